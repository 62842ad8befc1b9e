//! The embedded font: Roboto Medium (Apache-2.0), cut with `assets/fonts/subset.sh` to Latin-1, Latin
//! Extended-A, Romanian comma-below letters and typographic punctuation (20 KB, 13.8 KB gzipped).
//!
//! Parsed once per isolate (a `OnceLock`; ab_glyph parses tables lazily, so this is cheap). Text is laid out
//! left to right with the font's advances and no kerning or shaping (ab_glyph reads only the legacy `kern`
//! table, which Roboto lacks; digits are tabular anyway).

use crate::canvas::Canvas;
use ab_glyph::{Font, FontRef, GlyphId, PxScale, point};
use std::sync::OnceLock;

/// The subset font file, committed with its licence in `assets/fonts/`.
static FONT_BYTES: &[u8] = include_bytes!("../assets/fonts/Roboto-Medium-subset.ttf");

/// The parsed font plus the metrics layout needs, all in em units (1.0 = the font size).
pub(crate) struct Face {
    font: FontRef<'static>,
    /// ab_glyph's `PxScale` counts ascent − descent, not the em: multiply an em size by this.
    em_to_scale: f32,
    /// Baseline to the top of the line box (hhea ascent).
    pub ascent: f32,
    /// Baseline to the bottom of the line box (positive, hhea descent).
    pub descent: f32,
    /// Height of flat capitals and digits ("H").
    pub cap_height: f32,
}

/// The face, or `None` if the embedded bytes do not parse (guarded by a test; callers map it to
/// [`RenderError::Font`](crate::RenderError::Font)).
pub(crate) fn face() -> Option<&'static Face> {
    static FACE: OnceLock<Option<Face>> = OnceLock::new();
    FACE.get_or_init(|| {
        let font = FontRef::try_from_slice(FONT_BYTES).ok()?;
        let upem = font.units_per_em()?;
        let cap = font.outline(font.glyph_id('H'))?.bounds;
        Some(Face {
            em_to_scale: font.height_unscaled() / upem,
            ascent: font.ascent_unscaled() / upem,
            descent: -font.descent_unscaled() / upem,
            // ab_glyph flips y for outlines; only the extent matters here.
            cap_height: (cap.max.y - cap.min.y).abs() / upem,
            font,
        })
    })
    .as_ref()
}

/// Whether the embedded font has a glyph for `c` (spaces count as drawable).
pub fn can_draw(c: char) -> bool {
    face().is_some_and(|f| f.font.glyph_id(c) != GlyphId(0))
}

/// A line of text laid out at one size: glyph ids with their pen x positions, in pixels.
pub(crate) struct Line {
    glyphs: Vec<(GlyphId, f32)>,
    scale: PxScale,
    /// Advance width of the whole line, in pixels.
    pub width: f32,
}

impl Face {
    /// Lays out `text` at `em_px` pixels per em. Characters without a glyph draw as the font's
    /// `.notdef` box; callers validate first.
    pub fn line(&self, text: &str, em_px: f32) -> Line {
        let scale = PxScale::from(em_px * self.em_to_scale);
        let h_factor = em_px / self.font.units_per_em().unwrap_or(1.0);
        let mut x = 0.0;
        let glyphs = text
            .chars()
            .map(|c| {
                let id = self.font.glyph_id(c);
                let at = x;
                x += self.font.h_advance_unscaled(id) * h_factor;
                (id, at)
            })
            .collect();
        Line {
            glyphs,
            scale,
            width: x,
        }
    }

    /// Draws `line` with its pen starting at (`x`, `baseline`) onto `canvas`, each touched pixel taking the
    /// larger of its current index and `ink(glyph coverage)`.
    pub fn draw(
        &self,
        line: &Line,
        x: f32,
        baseline: f32,
        ink: impl Fn(f32) -> u8,
        canvas: &mut Canvas,
    ) {
        for &(id, gx) in &line.glyphs {
            // Pen positions on even pixels (whole CSS pixels): repeated characters then draw identical
            // pixels at byte-aligned places in the 4-bit rows, which deflate finds as repeats.
            let pen = ((x + gx) / 2.0).round() * 2.0;
            let glyph = id.with_scale_and_position(line.scale, point(pen, baseline));
            if let Some(outlined) = self.font.outline_glyph(glyph) {
                let b = outlined.px_bounds();
                outlined.draw(|px, py, c| {
                    let (cx, cy) = (b.min.x as i32 + px as i32, b.min.y as i32 + py as i32);
                    canvas.raise(cx, cy, ink(c.min(1.0)));
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_font_parses_with_sane_metrics() {
        let f = face().expect("font parses");
        assert!((0.9..1.0).contains(&f.ascent), "{}", f.ascent);
        assert!((0.2..0.3).contains(&f.descent), "{}", f.descent);
        assert!((0.68..0.74).contains(&f.cap_height), "{}", f.cap_height);
    }

    #[test]
    fn subset_covers_latin_extended_a_and_phone_punctuation() {
        let wanted = (0x20..=0x7e)
            .chain(0xa0..=0xff)
            .chain(0x100..=0x17f)
            .chain([0x2010, 0x2013, 0x2014, 0x2019, 0x201c, 0x20ac, 0x2212]);
        let missing: Vec<char> = wanted
            .filter_map(char::from_u32)
            .filter(|&c| !can_draw(c))
            .collect();
        assert!(missing.is_empty(), "{missing:?}");
        assert!(!can_draw('☎') && !can_draw('\n') && !can_draw('ж'));
    }

    #[test]
    fn digits_are_tabular_and_lines_scale_linearly() {
        let f = face().expect("font");
        assert_eq!(f.line("0000", 40.0).width, f.line("1111", 40.0).width);
        let (a, b) = (
            f.line("(415) 555-0132", 20.0).width,
            f.line("(415) 555-0132", 40.0).width,
        );
        assert!((b - 2.0 * a).abs() < 1e-3, "{a} {b}");
    }

    /// The display box depends only on a number's shape (documented on `display_size`): every digit must
    /// advance by the same amount.
    #[test]
    fn every_digit_has_the_same_advance() {
        let f = face().expect("font");
        let widths: Vec<f32> = ('0'..='9')
            .map(|d| f.line(&d.to_string(), 40.0).width)
            .collect();
        assert!(widths[0] > 10.0, "{widths:?}");
        assert!(widths.iter().all(|&w| w == widths[0]), "{widths:?}");
    }
}
