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

    /// Raises the pixels of row `y` from column `x` on by `ink` of `coverage` (one value per pixel,
    /// left to right), each to at least its index, never lower: pixels of no coverage and
    /// pixels outside the canvas are left alone. The row is clipped to the canvas once, not per pixel: a
    /// glyph is drawn a row at a time.
    pub fn raise_span(&mut self, x: i32, y: i32, coverage: &[f32], ink: impl Fn(f32) -> u8) {
        let Ok(y) = u32::try_from(y) else {
            return;
        };
        let width = i64::from(self.width);
        if y >= self.height {
            return;
        }
        // Columns of `coverage` inside the canvas: from `skip` on, `take` of them.
        let x = i64::from(x);
        let skip = (-x).max(0);
        let take = (width - x).min(coverage.len() as i64) - skip;
        if take <= 0 {
            return;
        }
        let start = y as usize * self.width as usize + (x + skip) as usize;
        let (skip, take) = (skip as usize, take as usize);
        let (Some(cells), Some(coverage)) = (
            self.px.get_mut(start..start + take),
            coverage.get(skip..skip + take),
        ) else {
            return;
        };
        for (cell, &c) in cells.iter_mut().zip(coverage) {
            if c > 0.0 {
                let v = ink(c);
                if v > *cell {
                    *cell = v;
                }
            }
        }
    }

    /// All indices, row-major.
    pub fn pixels(&self) -> &[u8] {
        &self.px
    }

    /// All indices, row-major, to change in place.
    pub fn pixels_mut(&mut self) -> &mut [u8] {
        &mut self.px
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

/// Grey-scale dilation of the `width × height` grid `src` (row-major, values below 128) by an octagon of
/// radius `radius` pixels: each output value is the largest input value within that octagon around it.
/// The octagon is a square of radius ≈ 0.7 r, grown by r − that in the four axis directions (a square's
/// dilation by a diamond), which keeps its diagonal reach within a pixel of a disc's. Dilating
/// antialiased coverage moves its soft edge outward and keeps the edge's profile.
///
/// It runs on every pixel around the text of every text image, so it works on eight pixels at once: each
/// row is packed into `u64` words (zero-padded to whole words, which only extends the grid with pixels
/// that cannot raise a maximum) and the byte-wise maximum is computed with word arithmetic (see
/// [`max8`]). wasm has no auto-vectorised byte loops without SIMD, and the byte-at-a-time version doubled
/// the time of a default text image there; re-rasterising each glyph on a circle of copies cost five times
/// the whole render.
pub(crate) fn dilate(src: &[u8], width: usize, height: usize, radius: u32) -> Vec<u8> {
    let r = radius as usize;
    let square = ((radius as f32 * 0.7).round() as usize).clamp(usize::from(r > 0), r);
    if width == 0 || src.len() != width * height {
        return src.to_vec();
    }
    let n = width.div_ceil(8);
    let mut words: Vec<u64> = Vec::with_capacity(n * height);
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    for row in src.chunks_exact(width) {
        let (whole, rest) = row.as_chunks::<8>();
        words.extend(whole.iter().map(|&bytes| u64::from_le_bytes(bytes) & LOW7));
        if !rest.is_empty() {
            let mut bytes = [0u8; 8];
            for (b, &v) in bytes.iter_mut().zip(rest) {
                *b = v;
            }
            words.push(u64::from_le_bytes(bytes) & LOW7);
        }
    }
    let mut prev = words.clone();
    for _ in 0..square {
        grow(&mut words, &mut prev, n, true, false);
        grow(&mut words, &mut prev, n, false, true);
    }
    for _ in square..r {
        grow(&mut words, &mut prev, n, true, true);
    }
    let mut out = Vec::with_capacity(src.len());
    for row in words.chunks_exact(n) {
        for (k, word) in row.iter().enumerate() {
            let bytes = word.to_le_bytes();
            let take = (width - k * 8).min(8);
            out.extend_from_slice(bytes.get(..take).unwrap_or(&[]));
        }
    }
    out
}

/// One step of [`dilate`] on packed rows of `n` words: raises each pixel to its left and right
/// neighbours (`sideways`) and to those above and below (`vertical`), all read from the state before the
/// step (kept in `prev`).
fn grow(words: &mut [u64], prev: &mut [u64], n: usize, sideways: bool, vertical: bool) {
    prev.copy_from_slice(words);
    if sideways {
        for (row, src) in words.chunks_exact_mut(n).zip(prev.chunks_exact(n)) {
            let mut left = 0u64;
            for (k, (d, &w)) in row.iter_mut().zip(src).enumerate() {
                let right = src.get(k + 1).copied().unwrap_or(0);
                // Little-endian: byte i of a word is pixel 8k + i, so a left shift brings pixel x - 1
                // to x, a right shift pixel x + 1, and the neighbouring words fill the ends.
                let from_left = (w << 8) | (left >> 56);
                let from_right = (w >> 8) | (right << 56);
                *d = max8(*d, max8(from_left, from_right));
                left = w;
            }
        }
    }
    if vertical {
        for (d, &v) in words.iter_mut().skip(n).zip(prev.iter()) {
            *d = max8(*d, v);
        }
        for (d, &v) in words.iter_mut().zip(prev.iter().skip(n)) {
            *d = max8(*d, v);
        }
    }
}

/// The byte-wise maximum of two words whose bytes are all below 128: `(a | 0x80…) − b` sets each byte's
/// high bit exactly where `a ≥ b` (no borrow crosses bytes), which becomes a byte mask to select with.
fn max8(a: u64, b: u64) -> u64 {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let a_wins = (((a | HIGH) - b) & HIGH) >> 7;
    let mask = a_wins * 0xff;
    (a & mask) | (b & !mask)
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
    fn dilation_reaches_the_radius_along_the_axes_and_about_it_on_the_diagonals() {
        let (w, h) = (21usize, 21usize);
        let mut src = vec![0u8; w * h];
        src[10 * w + 10] = 9;
        src[0] = 3;
        let out = dilate(&src, w, h, 4);
        let at = |x: usize, y: usize| out[y * w + x];
        // Along the axes exactly the radius; never past it; the corner pixel's own value spreads too.
        assert_eq!((at(14, 10), at(15, 10), at(10, 6), at(10, 5)), (9, 0, 9, 0));
        for y in 0..h {
            for x in 0..w {
                let (dx, dy) = (x as f32 - 10.0, y as f32 - 10.0);
                let d = (dx * dx + dy * dy).sqrt();
                if d <= 4.0 * 0.75 {
                    assert_eq!(at(x, y), 9, "inside the disc's core at ({x},{y})");
                }
                if d > 4.0 * 1.3 {
                    assert_ne!(at(x, y), 9, "far past the radius at ({x},{y})");
                }
            }
        }
        assert_eq!((at(0, 0), at(1, 1), at(4, 0)), (3, 3, 3));
        // Wider than a word, and rows whose width is not a multiple of 8: the same as pixel by pixel.
        let (w2, h2) = (29usize, 7usize);
        let noise: Vec<u8> = (0..w2 * h2)
            .map(|i| ((i * 37 + i / 5) % 13) as u8)
            .collect();
        let slow = |r: i64| {
            let mut out = vec![0u8; w2 * h2];
            for y in 0..h2 as i64 {
                for x in 0..w2 as i64 {
                    let mut m = 0;
                    for dy in -r..=r {
                        for dx in -r..=r {
                            let (sx, sy) = (x + dx, y + dy);
                            if (0..w2 as i64).contains(&sx) && (0..h2 as i64).contains(&sy) {
                                m = m.max(noise[(sy * w2 as i64 + sx) as usize]);
                            }
                        }
                    }
                    out[(y * w2 as i64 + x) as usize] = m;
                }
            }
            out
        };
        // Radius 1 is the 3×3 square, radius 3 a 5×5 square grown by a diamond step.
        assert_eq!(dilate(&noise, w2, h2, 1), slow(1));
        let three = dilate(&noise, w2, h2, 3);
        let (sq, sq3) = (slow(2), slow(3));
        for i in 0..w2 * h2 {
            assert!(sq[i] <= three[i] && three[i] <= sq3[i], "pixel {i}");
        }
        // Radius 0 is the identity; values never wrap from one row's end to the next row's start.
        assert_eq!(dilate(&src, w, h, 0), src);
        let mut edge = vec![0u8; 4 * 2];
        edge[3] = 5; // the end of row 0
        assert_eq!(dilate(&edge, 4, 2, 1), [0, 0, 5, 5, 0, 0, 5, 5]);
    }

    #[test]
    fn byte_wise_max_of_words() {
        let a = u64::from_le_bytes([0, 127, 5, 9, 64, 1, 0, 3]);
        let b = u64::from_le_bytes([1, 126, 5, 10, 63, 0, 0, 127]);
        assert_eq!(max8(a, b).to_le_bytes(), [1, 127, 5, 10, 64, 1, 0, 127]);
        assert_eq!(max8(b, a), max8(a, b));
    }

    #[test]
    fn raise_span_keeps_the_maximum_and_ignores_outside() {
        // Every placement of a span around and across a 4 × 3 canvas, against the rule pixel by pixel.
        let coverage = [0.0, 0.3, 1.0, 0.0, 0.6, 0.9];
        let ink = |c: f32| (c * 10.0) as u8;
        for len in 0..=coverage.len() {
            for x in -7..6 {
                for y in -2..5 {
                    let mut c = Canvas::new(4, 3);
                    c.px.iter_mut()
                        .enumerate()
                        .for_each(|(i, p)| *p = (i % 5) as u8);
                    let mut expected = c.px.clone();
                    for (k, &v) in coverage.iter().take(len).enumerate() {
                        let px = x + k as i32;
                        if v > 0.0 && (0..4).contains(&px) && (0..3).contains(&y) {
                            let cell = &mut expected[(y * 4 + px) as usize];
                            *cell = (*cell).max(ink(v));
                        }
                    }
                    c.raise_span(x, y, &coverage[..len], ink);
                    assert_eq!(c.px, expected, "x {x}, y {y}, {len} values");
                }
            }
        }
    }
}
