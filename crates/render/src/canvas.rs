//! The index canvas: one palette index per pixel, written as shapes and text are rasterised. Coverage
//! (0.0 ..= 1.0 from the exact-area rasteriser) is turned into an index by the caller's `ink` mapping at
//! the moment a pixel is touched, and a pixel keeps the larger of its old and new index. Each palette is
//! laid out so that a larger index means "more of the foreground", so taking the maximum index is the same
//! as quantising the maximum coverage — without a float buffer four times the size, a second buffer for
//! the button shape or a separate quantising pass (the 32 px button canvas is 150 k pixels).
//!
//! Filled shapes go through `ab_glyph_rasterizer`, the rasteriser the glyphs use, so button edges, the
//! icon and the text antialias alike.

use ab_glyph_rasterizer::{Point, Rasterizer, point};

/// A `width × height` grid of palette indices, row-major, starting at 0 (paper).
pub(crate) struct Canvas {
    pub width: u32,
    pub height: u32,
    px: Vec<u8>,
}

/// An axis-aligned rectangle in whole pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rect {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

impl Canvas {
    /// An all-paper (index 0) canvas.
    pub fn new(width: u32, height: u32) -> Canvas {
        Canvas {
            width,
            height,
            px: vec![0; width as usize * height as usize],
        }
    }

    /// Index at (`x`, `y`); 0 outside.
    #[cfg(test)]
    pub fn at(&self, x: u32, y: u32) -> u8 {
        if x < self.width && y < self.height {
            self.px[(y * self.width + x) as usize]
        } else {
            0
        }
    }

    /// Raises the pixel at (`x`, `y`) to at least `v`; ignores pixels outside the canvas.
    pub fn raise(&mut self, x: i32, y: i32, v: u8) {
        if x >= 0
            && y >= 0
            && (x as u32) < self.width
            && (y as u32) < self.height
            && let Some(cell) = self.px.get_mut((y as u32 * self.width + x as u32) as usize)
            && v > *cell
        {
            *cell = v;
        }
    }

    /// All indices, row-major.
    pub fn pixels(&self) -> &[u8] {
        &self.px
    }

    /// Fills a closed outline (`segments`, in pixel coordinates, one contour), raising each covered pixel
    /// to `ink(coverage)`. Only the outline's bounding box is rasterised.
    pub fn fill(&mut self, segments: &[Segment], ink: impl Fn(f32) -> u8) {
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
            let Some(cell) = self.px.get_mut(origin + (i / bw) * width + i % bw) else {
                return; // outside the canvas (the glyph was placed inside it)
            };
            let v = ink(a.min(1.0));
            if v > *cell {
                *cell = v;
            }
        });
    }

    /// Fills `rect` (clamped to the canvas) with a rectangle whose corners are rounded by `radius`
    /// (clamped to half its shorter side): interior pixels are set to `ink(1.0)` directly, only the four
    /// corner squares are rasterised.
    pub fn fill_rounded(&mut self, rect: Rect, radius: f32, ink: impl Fn(f32) -> u8 + Copy) {
        let rect = Rect {
            w: rect.w.min(self.width.saturating_sub(rect.x)),
            h: rect.h.min(self.height.saturating_sub(rect.y)),
            ..rect
        };
        let (w, h) = (rect.w as f32, rect.h as f32);
        let r = radius.clamp(0.0, w.min(h) / 2.0);
        let edge = r.ceil() as u32;
        let full = ink(1.0);
        for y in 0..rect.h {
            let inset = if y < edge || y + edge >= rect.h {
                edge
            } else {
                0
            };
            // Never past the middle, so the span is well-formed for any size.
            let inset = inset.min(rect.w / 2);
            let row = ((rect.y + y) * self.width + rect.x) as usize;
            if let Some(span) = self
                .px
                .get_mut(row + inset as usize..row + (rect.w - inset) as usize)
            {
                span.fill(full);
            }
        }
        if r <= 0.0 {
            return;
        }
        let e = edge as f32;
        let (x0, y0) = (rect.x as f32, rect.y as f32);
        // Each corner: the square [corner, corner ± e] minus what lies outside the quarter circle.
        for (cx, cy, sx, sy) in [
            (x0, y0, 1.0, 1.0),
            (x0 + w, y0, -1.0, 1.0),
            (x0 + w, y0 + h, -1.0, -1.0),
            (x0, y0 + h, 1.0, -1.0),
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
                ink,
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

    /// Coverage at 255 levels, so sums of indices measure area to within 0.2 %.
    fn fine(c: f32) -> u8 {
        (c.clamp(0.0, 1.0) * 255.0 + 0.5) as u8
    }

    fn area(c: &Canvas) -> f32 {
        c.pixels().iter().map(|&v| f32::from(v) / 255.0).sum()
    }

    #[test]
    fn square_fill_covers_exactly_its_pixels() {
        let mut c = Canvas::new(6, 4);
        c.fill(
            &[
                Segment::Line(point(1.0, 1.0), point(5.0, 1.0)),
                Segment::Line(point(5.0, 1.0), point(5.0, 3.0)),
                Segment::Line(point(5.0, 3.0), point(1.0, 3.0)),
                Segment::Line(point(1.0, 3.0), point(1.0, 1.0)),
            ],
            fine,
        );
        assert!((area(&c) - 8.0).abs() < 1e-3, "{}", area(&c));
        assert_eq!(c.at(0, 0), 0);
        assert_eq!(c.at(1, 1), 255);
    }

    #[test]
    fn rounded_corners_are_partly_covered_and_area_matches() {
        let mut c = Canvas::new(40, 40);
        c.fill_rounded(
            Rect {
                x: 0,
                y: 0,
                w: 40,
                h: 40,
            },
            20.0,
            fine,
        );
        let circle = std::f32::consts::PI * 400.0;
        // The rasteriser flattens cubics into lines, losing a little area.
        assert!(
            (area(&c) - circle).abs() / circle < 0.01,
            "{} vs {circle}",
            area(&c)
        );
        assert!(c.at(0, 0) < 3 && c.at(20, 20) == 255);
        let partial = c
            .pixels()
            .iter()
            .filter(|&&v| (51..204).contains(&v))
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
            let mut c = Canvas::new(w, h);
            c.fill_rounded(Rect { x: 0, y: 0, w, h }, r, fine);
            let r = r.min(w.min(h) as f32 / 2.0);
            let want = (w * h) as f32 - (4.0 - std::f32::consts::PI) * r * r;
            assert!(
                (area(&c) - want).abs() < 0.01 * want,
                "{w}x{h} r={r}: {} vs {want}",
                area(&c)
            );
            assert_eq!(c.at(w / 2, h / 2), 255);
        }
    }

    #[test]
    fn rounded_rect_stays_inside_its_rect_and_is_clamped_to_the_canvas() {
        let mut c = Canvas::new(20, 20);
        let rect = Rect {
            x: 4,
            y: 6,
            w: 10,
            h: 8,
        };
        c.fill_rounded(rect, 2.0, fine);
        for y in 0..20 {
            for x in 0..20 {
                let inside = (4..14).contains(&x) && (6..14).contains(&y);
                assert!(inside || c.at(x, y) == 0, "({x},{y}) painted outside");
            }
        }
        let want = 80.0 - (4.0 - std::f32::consts::PI) * 4.0;
        assert!((area(&c) - want).abs() < 0.01 * want, "{}", area(&c));
        // A rect hanging off the canvas is cut, not a panic.
        let mut c = Canvas::new(10, 10);
        c.fill_rounded(
            Rect {
                x: 6,
                y: 8,
                w: 10,
                h: 10,
            },
            0.0,
            fine,
        );
        assert_eq!(area(&c), 8.0);
    }

    #[test]
    fn raise_keeps_the_maximum_and_ignores_outside() {
        let mut c = Canvas::new(2, 2);
        c.raise(1, 1, 9);
        c.raise(1, 1, 4);
        c.raise(-1, 0, 15);
        c.raise(2, 0, 15);
        assert_eq!(c.at(1, 1), 9);
        assert_eq!(c.pixels().iter().map(|&v| u32::from(v)).sum::<u32>(), 9);
    }
}
