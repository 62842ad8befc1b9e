//! Coverage buffers: how much of each pixel a shape or text covers (0.0 ..= 1.0), before colours are
//! assigned. Filled shapes go through `ab_glyph_rasterizer`, the same exact-area rasteriser the glyphs use,
//! so button edges, the icon and the text antialias alike.

use ab_glyph_rasterizer::{Point, Rasterizer, point};

/// A `width × height` grid of coverage values, row-major.
pub(crate) struct Coverage {
    pub width: u32,
    pub height: u32,
    cells: Vec<f32>,
}

impl Coverage {
    /// An empty (all 0.0) buffer.
    pub fn new(width: u32, height: u32) -> Coverage {
        Coverage {
            width,
            height,
            cells: vec![0.0; width as usize * height as usize],
        }
    }

    /// Coverage at (`x`, `y`); 0.0 outside.
    #[cfg(test)]
    pub fn at(&self, x: u32, y: u32) -> f32 {
        if x < self.width && y < self.height {
            self.cells[(y * self.width + x) as usize]
        } else {
            0.0
        }
    }

    /// Raises the pixel at (`x`, `y`) to at least `v`; ignores pixels outside the buffer.
    pub fn raise(&mut self, x: i32, y: i32, v: f32) {
        if x >= 0 && y >= 0 && (x as u32) < self.width && (y as u32) < self.height {
            let cell = &mut self.cells[(y as u32 * self.width + x as u32) as usize];
            if v > *cell {
                *cell = v;
            }
        }
    }

    /// All cells, row-major.
    pub fn cells(&self) -> &[f32] {
        &self.cells
    }

    /// Fills a closed outline (`segments`, in pixel coordinates, one contour), raising covered pixels to
    /// `strength` × coverage. Only the outline's bounding box is rasterised.
    pub fn fill(&mut self, segments: &[Segment], strength: f32) {
        let (mut lo, mut hi) = (point(f32::MAX, f32::MAX), point(f32::MIN, f32::MIN));
        for s in segments {
            let pts: &[Point] = match s {
                Segment::Line(a, b) => &[*a, *b],
                Segment::Cubic(a, b, c, d) => &[*a, *b, *c, *d],
            };
            for p in pts {
                lo = point(lo.x.min(p.x), lo.y.min(p.y));
                hi = point(hi.x.max(p.x), hi.y.max(p.y));
            }
        }
        // Control points bound a cubic, so the box holds the whole outline; clamp it to the canvas.
        let x0 = lo.x.floor().max(0.0) as u32;
        let y0 = lo.y.floor().max(0.0) as u32;
        let x1 = (hi.x.ceil().max(0.0) as u32).min(self.width);
        let y1 = (hi.y.ceil().max(0.0) as u32).min(self.height);
        if x1 <= x0 || y1 <= y0 {
            return;
        }
        let (bw, bh) = ((x1 - x0) as usize, (y1 - y0) as usize);
        let shift = |p: Point| point(p.x - x0 as f32, p.y - y0 as f32);
        let mut r = Rasterizer::new(bw, bh);
        for s in segments {
            match *s {
                Segment::Line(a, b) => r.draw_line(shift(a), shift(b)),
                Segment::Cubic(a, b, c, d) => r.draw_cubic(shift(a), shift(b), shift(c), shift(d)),
            }
        }
        let width = self.width as usize;
        let origin = y0 as usize * width + x0 as usize;
        r.for_each_pixel(|i, a| {
            let cell = &mut self.cells[origin + (i / bw) * width + i % bw];
            let v = a.min(1.0) * strength;
            if v > *cell {
                *cell = v;
            }
        });
    }

    /// Fills the whole canvas with a rectangle whose corners are rounded by `radius` (clamped to half the
    /// shorter side): full coverage is written directly, only the four corner squares are rasterised.
    pub fn fill_rounded(&mut self, radius: f32) {
        let (w, h) = (self.width as f32, self.height as f32);
        let r = radius.clamp(0.0, w.min(h) / 2.0);
        let edge = r.ceil() as u32;
        for y in 0..self.height {
            let inset = if y < edge || y + edge >= self.height {
                edge
            } else {
                0
            };
            let row = (y * self.width) as usize;
            // Never past the middle, so the span is well-formed for any canvas size.
            let inset = inset.min(self.width / 2);
            let span = &mut self.cells[row + inset as usize..row + (self.width - inset) as usize];
            span.fill(1.0);
        }
        if r <= 0.0 {
            return;
        }
        let e = edge as f32;
        // Each corner: the square [corner, corner ± e] minus what lies outside the quarter circle.
        for (cx, cy, sx, sy) in [
            (0.0, 0.0, 1.0, 1.0),
            (w, 0.0, -1.0, 1.0),
            (w, h, -1.0, -1.0),
            (0.0, h, 1.0, -1.0),
        ] {
            let p = |u: f32, v: f32| point(cx + sx * u, cy + sy * v);
            let k = r * KAPPA;
            self.fill(
                &[
                    Segment::Line(p(e, e), p(e, 0.0)),
                    Segment::Line(p(e, 0.0), p(r, 0.0)),
                    Segment::Cubic(p(r, 0.0), p(r - k, 0.0), p(0.0, r - k), p(0.0, r)),
                    Segment::Line(p(0.0, r), p(0.0, e)),
                    Segment::Line(p(0.0, e), p(e, e)),
                ],
                1.0,
            );
        }
    }
}

/// Control-point distance for a cubic quarter circle of radius 1 (max radial error 0.03 %).
const KAPPA: f32 = 0.552_284_8;

/// One piece of an outline.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Segment {
    /// A straight edge from the first to the second point.
    Line(Point, Point),
    /// A cubic Bézier: start, two controls, end.
    Cubic(Point, Point, Point, Point),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn square_fill_covers_exactly_its_pixels() {
        let mut c = Coverage::new(6, 4);
        c.fill(
            &[
                Segment::Line(point(1.0, 1.0), point(5.0, 1.0)),
                Segment::Line(point(5.0, 1.0), point(5.0, 3.0)),
                Segment::Line(point(5.0, 3.0), point(1.0, 3.0)),
                Segment::Line(point(1.0, 3.0), point(1.0, 1.0)),
            ],
            1.0,
        );
        let total: f32 = (0..4)
            .flat_map(|y| (0..6).map(move |x| (x, y)))
            .map(|(x, y)| c.at(x, y))
            .sum();
        assert!((total - 8.0).abs() < 1e-3, "{total}");
        assert_eq!(c.at(0, 0), 0.0);
        assert!((c.at(1, 1) - 1.0).abs() < 1e-4);
    }

    #[test]
    fn rounded_corners_are_partly_covered_and_area_matches() {
        let mut c = Coverage::new(40, 40);
        c.fill_rounded(20.0);
        let total: f32 = (0..40)
            .flat_map(|y| (0..40).map(move |x| (x, y)))
            .map(|(x, y)| c.at(x, y))
            .sum();
        let circle = std::f32::consts::PI * 400.0;
        // The rasteriser flattens cubics into lines, losing a little area.
        assert!(
            (total - circle).abs() / circle < 0.01,
            "{total} vs {circle}"
        );
        assert!(c.at(0, 0) < 0.01 && c.at(20, 20) > 0.99);
        let partial = (0..40)
            .flat_map(|y| (0..40).map(move |x| (x, y)))
            .filter(|&(x, y)| (0.2..0.8).contains(&c.at(x, y)))
            .count();
        assert!(partial > 40, "antialiased edge pixels: {partial}");
    }

    #[test]
    fn rounded_rect_has_the_expected_area_and_full_interior() {
        for (w, h, r) in [
            (30, 12, 0.0),
            (30, 12, 3.3),
            (30, 12, 6.0),
            (31, 9, 100.0),
            (3, 40, 1.5),
        ] {
            let mut c = Coverage::new(w, h);
            c.fill_rounded(r);
            let r = r.min(w.min(h) as f32 / 2.0);
            let want = (w * h) as f32 - (4.0 - std::f32::consts::PI) * r * r;
            let total: f32 = c.cells().iter().sum();
            assert!(
                (total - want).abs() < 0.01 * want,
                "{w}x{h} r={r}: {total} vs {want}"
            );
            assert!(c.cells().iter().all(|v| (0.0..=1.0).contains(v)));
            assert_eq!(c.at(w / 2, h / 2), 1.0);
        }
    }

    #[test]
    fn raise_keeps_the_maximum_and_ignores_outside() {
        let mut c = Coverage::new(2, 2);
        c.raise(1, 1, 0.5);
        c.raise(1, 1, 0.25);
        c.raise(-1, 0, 1.0);
        c.raise(2, 0, 1.0);
        assert_eq!(c.at(1, 1), 0.5);
        assert_eq!(c.at(0, 0), 0.0);
    }
}
