//! The handset icon on the call button: the outline of Material Design's "call" icon (Apache-2.0, Google),
//! converted once from its SVG path to absolute cubic segments on a 24-unit grid.

use crate::canvas::Segment;
use ab_glyph_rasterizer::point;

/// Absolute outline in the icon's 24 × 24 design grid: (kind, points) where kind 'L' has 1 point and 'C'
/// has 3 (controls, end); the path starts at [`START`] and is closed.
const START: (f32, f32) = (6.62, 10.79);
const PATH: &[(char, [(f32, f32); 3])] = &[
    ('C', [(8.06, 13.62), (10.38, 15.93), (13.21, 17.38)]),
    ('L', [(15.41, 15.18), (0.0, 0.0), (0.0, 0.0)]),
    ('C', [(15.68, 14.91), (16.08, 14.82), (16.43, 14.94)]),
    ('C', [(17.55, 15.31), (18.76, 15.51), (20.0, 15.51)]),
    ('C', [(20.55, 15.51), (21.0, 15.96), (21.0, 16.51)]),
    ('L', [(21.0, 20.0), (0.0, 0.0), (0.0, 0.0)]),
    ('C', [(21.0, 20.55), (20.55, 21.0), (20.0, 21.0)]),
    ('C', [(10.61, 21.0), (3.0, 13.39), (3.0, 4.0)]),
    ('C', [(3.0, 3.45), (3.45, 3.0), (4.0, 3.0)]),
    ('L', [(7.5, 3.0), (0.0, 0.0), (0.0, 0.0)]),
    ('C', [(8.05, 3.0), (8.5, 3.45), (8.5, 4.0)]),
    ('C', [(8.5, 5.25), (8.7, 6.45), (9.07, 7.57)]),
    ('C', [(9.18, 7.92), (9.1, 8.31), (8.82, 8.59)]),
    ('L', [(6.62, 10.79), (0.0, 0.0), (0.0, 0.0)]),
];
/// The drawn part of the grid: units 3 ..= 21 on both axes.
const INK_MIN: f32 = 3.0;
const INK_SIZE: f32 = 18.0;

/// The handset outline scaled so its inked square is `size` pixels wide, with that square's top-left
/// corner at (`x`, `y`).
pub(crate) fn handset(x: f32, y: f32, size: f32) -> Vec<Segment> {
    let k = size / INK_SIZE;
    let at = |(u, v): (f32, f32)| point(x + (u - INK_MIN) * k, y + (v - INK_MIN) * k);
    let mut pen = at(START);
    PATH.iter()
        .map(|&(kind, pts)| {
            let seg = if kind == 'C' {
                Segment::Cubic(pen, at(pts[0]), at(pts[1]), at(pts[2]))
            } else {
                Segment::Line(pen, at(pts[0]))
            };
            pen = at(if kind == 'C' { pts[2] } else { pts[0] });
            seg
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canvas::Canvas;

    #[test]
    fn handset_is_closed_and_fits_its_square() {
        let segs = handset(2.0, 2.0, 36.0);
        let last = match segs.last() {
            Some(Segment::Line(_, end)) => *end,
            other => panic!("path should end with a line back to the start: {other:?}"),
        };
        let first = match segs.first() {
            Some(Segment::Cubic(start, ..)) => *start,
            other => panic!("{other:?}"),
        };
        assert_eq!((last.x, last.y), (first.x, first.y));
        let mut c = Canvas::new(40, 40);
        c.fill(&segs, |v| (v * 255.0 + 0.5) as u8);
        let inked: f32 = c.pixels().iter().map(|&v| f32::from(v) / 255.0).sum();
        // A handset covers roughly a third of its bounding square; nothing spills outside it.
        assert!(
            inked > 0.25 * 36.0 * 36.0 && inked < 0.5 * 36.0 * 36.0,
            "{inked}"
        );
        for i in 0..40 {
            assert_eq!(c.at(i, 0) + c.at(0, i) + c.at(i, 39) + c.at(39, i), 0);
        }
    }
}
