//! The embedded font: Roboto Medium (Apache-2.0), cut with `assets/fonts/subset.sh` to Latin-1, Latin
//! Extended-A, Romanian comma-below letters and typographic punctuation (20 KB, 13.8 KB gzipped).
//!
//! Parsed once per isolate (a `OnceLock`). Text is laid out left to right with the font's advances and no
//! kerning or shaping (Roboto has no legacy `kern` table; digits are tabular anyway).
//!
//! The tables are read with ttf-parser one by one — `head`, `hhea`, `maxp`, `hmtx`, `cmap`, `loca`,
//! `glyf` — and the outlines handed to ab_glyph's rasteriser, rather than through ab_glyph's `FontRef`:
//! `FontRef` parses every table a font may have, which links ttf-parser's CFF interpreter and Rust's
//! decimal-to-float tables into the module (~15 KB gzipped of the browser module) although this font
//! is TrueType. The tests check every metric and outline against `FontRef`'s.

use crate::canvas::Canvas;
use ab_glyph::{
    GlyphId, Outline, OutlineCurve, OutlinedGlyph, PxScale, PxScaleFactor, Rect, point,
};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::OnceLock;
use ttf_parser::{RawFace, Tag, cmap, glyf, head, hhea, hmtx, loca, maxp};

/// The subset font file, committed with its licence in `assets/fonts/`.
static FONT_BYTES: &[u8] = include_bytes!("../assets/fonts/Roboto-Medium-subset.ttf");

/// The parsed font plus the metrics layout needs, all in em units (1.0 = the font size).
pub(crate) struct Face {
    cmap: cmap::Table<'static>,
    hmtx: hmtx::Table<'static>,
    glyf: glyf::Table<'static>,
    units_per_em: f32,
    /// hhea ascent − descent, font units: ab_glyph's `PxScale` counts this, not the em.
    height_unscaled: f32,
    /// `height_unscaled / units_per_em`: multiply an em size by this for a `PxScale`.
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
    FACE.get_or_init(|| Face::parse(FONT_BYTES)).as_ref()
}

/// Whether the embedded font has a glyph for `c` (spaces count as drawable).
pub fn can_draw(c: char) -> bool {
    face().is_some_and(|f| f.glyph_id(c) != GlyphId(0))
}

impl Face {
    fn parse(data: &'static [u8]) -> Option<Face> {
        let raw = RawFace::parse(data, 0).ok()?;
        let table = |tag: &[u8; 4]| raw.table(Tag::from_bytes(tag));
        let head = head::Table::parse(table(b"head")?)?;
        let hhea = hhea::Table::parse(table(b"hhea")?)?;
        let maxp = maxp::Table::parse(table(b"maxp")?)?;
        let hmtx = hmtx::Table::parse(
            hhea.number_of_metrics,
            maxp.number_of_glyphs,
            table(b"hmtx")?,
        )?;
        let loca = loca::Table::parse(
            maxp.number_of_glyphs,
            head.index_to_location_format,
            table(b"loca")?,
        )?;
        let glyf = glyf::Table::parse(loca, table(b"glyf")?)?;
        let cmap = cmap::Table::parse(table(b"cmap")?)?;
        let upem = f32::from(head.units_per_em);
        let (ascent, descent) = (f32::from(hhea.ascender), f32::from(hhea.descender));
        let mut face = Face {
            cmap,
            hmtx,
            glyf,
            units_per_em: upem,
            height_unscaled: ascent - descent,
            em_to_scale: (ascent - descent) / upem,
            ascent: ascent / upem,
            descent: -descent / upem,
            cap_height: 0.0,
        };
        let cap = face.outline(face.glyph_id('H'))?.bounds;
        // Outline bounds run top (max y) to bottom; only the extent matters here.
        face.cap_height = (cap.max.y - cap.min.y).abs() / upem;
        Some(face)
    }

    /// The glyph for `c` in the first Unicode `cmap` subtable that has one (`.notdef`, 0, otherwise).
    fn glyph_id(&self, c: char) -> GlyphId {
        self.cmap
            .subtables
            .into_iter()
            .filter(|s| s.is_unicode())
            .find_map(|s| s.glyph_index(u32::from(c)))
            .map_or(GlyphId(0), |id| GlyphId(id.0))
    }

    /// Advance width of a glyph, font units.
    fn h_advance_unscaled(&self, id: GlyphId) -> f32 {
        f32::from(self.hmtx.advance(ttf_parser::GlyphId(id.0)).unwrap_or(0))
    }

    /// A glyph's outline in font units, as ab_glyph builds it (`None` for an empty glyph).
    fn outline(&self, id: GlyphId) -> Option<Outline> {
        let mut builder = Curves::default();
        let b = self
            .glyf
            .outline(ttf_parser::GlyphId(id.0), &mut builder)
            .filter(|b| b.x_min < b.x_max && b.y_min < b.y_max)?;
        ttf_parser::OutlineBuilder::close(&mut builder);
        Some(Outline {
            bounds: Rect {
                min: point(b.x_min.into(), b.y_max.into()),
                max: point(b.x_max.into(), b.y_min.into()),
            },
            curves: builder.curves,
        })
    }
}

/// Collects a glyph's contours as ab_glyph's curves (the builder ab_glyph itself uses, restated).
#[derive(Default)]
struct Curves {
    last: ab_glyph::Point,
    last_move: Option<ab_glyph::Point>,
    curves: Vec<OutlineCurve>,
}

impl ttf_parser::OutlineBuilder for Curves {
    fn move_to(&mut self, x: f32, y: f32) {
        self.last = point(x, y);
        self.last_move = Some(self.last);
    }
    fn line_to(&mut self, x: f32, y: f32) {
        let p = point(x, y);
        self.curves.push(OutlineCurve::Line(self.last, p));
        self.last = p;
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        let p = point(x, y);
        self.curves
            .push(OutlineCurve::Quad(self.last, point(x1, y1), p));
        self.last = p;
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let p = point(x, y);
        self.curves.push(OutlineCurve::Cubic(
            self.last,
            point(x1, y1),
            point(x2, y2),
            p,
        ));
        self.last = p;
    }
    fn close(&mut self) {
        if let Some(m) = self.last_move.take() {
            self.curves.push(OutlineCurve::Line(self.last, m));
        }
    }
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
        let h_factor = em_px / self.units_per_em;
        let mut x = 0.0;
        let glyphs = text
            .chars()
            .map(|c| {
                let id = self.glyph_id(c);
                let at = x;
                x += self.h_advance_unscaled(id) * h_factor;
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
    /// larger of its current index and `ink(glyph coverage)`. `ink(0.0)` must be 0 (both callers'
    /// mappings are): pixels a glyph does not cover are left alone.
    pub fn draw(
        &self,
        line: &Line,
        x: f32,
        baseline: f32,
        ink: impl Fn(f32) -> u8,
        canvas: &mut Canvas,
    ) {
        debug_assert_eq!(ink(0.0), 0, "ink(0.0) must leave a pixel alone");
        for &(id, gx) in &line.glyphs {
            // Pen positions on even pixels (whole CSS pixels): repeated characters then draw identical
            // pixels at byte-aligned places in the 4-bit rows, which deflate finds as repeats.
            let pen = ((x + gx) / 2.0).round() * 2.0;
            let Some(raster) = self.raster(id, line.scale, pen, baseline) else {
                continue;
            };
            // Row by row: a pixel's place from its row and column, not from a division of its
            // index by the width, and each row clipped to the canvas once (measured in wasm,
            // `bench/wasm/paired.mjs`: the per-pixel division alone made text renders 8 % slower).
            for (row, y) in raster.coverage.chunks(raster.width.max(1)).zip(raster.y..) {
                canvas.raise_span(raster.x, y, row, &ink);
            }
        }
    }

    /// The coverage of glyph `id` at `scale` with its pen at (`pen`, `baseline`), from the isolate's
    /// [`RASTERS`] or rasterised now (`None` for a glyph without an outline, such as a space).
    fn raster(&self, id: GlyphId, scale: PxScale, pen: f32, baseline: f32) -> Option<Rc<Raster>> {
        let key = (
            id.0,
            scale.x.to_bits(),
            scale.y.to_bits(),
            pen.to_bits(),
            baseline.to_bits(),
        );
        let hit = RASTERS.with(|cache| {
            let cache = cache.borrow();
            cache
                .0
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, r)| r.clone())
        });
        if let Some(hit) = hit {
            return hit;
        }
        // ab_glyph's `Font::outline_glyph`: the scale counts ascent − descent.
        let factor = PxScaleFactor {
            horizontal: scale.x / self.height_unscaled,
            vertical: scale.y / self.height_unscaled,
        };
        let raster = self.outline(id).map(|outline| {
            let glyph = id.with_scale_and_position(scale, point(pen, baseline));
            let outlined = OutlinedGlyph::new(glyph, outline, factor);
            let b = outlined.px_bounds();
            let width = (b.max.x - b.min.x) as usize;
            let height = (b.max.y - b.min.y) as usize;
            let mut coverage = vec![0.0; width * height];
            outlined.draw(|px, py, c| {
                if let Some(cell) = coverage.get_mut(py as usize * width + px as usize) {
                    *cell = c.min(1.0);
                }
            });
            Rc::new(Raster {
                x: b.min.x as i32,
                y: b.min.y as i32,
                width,
                coverage,
            })
        });
        RASTERS.with(|cache| {
            let (rasters, held) = &mut *cache.borrow_mut();
            let bytes = raster.as_ref().map_or(0, |r| r.coverage.len() * 4);
            if *held + bytes > RASTER_CACHE_BYTES || rasters.len() >= RASTER_CACHE_ENTRIES {
                rasters.clear();
                *held = 0;
            }
            *held += bytes;
            rasters.push((key, raster.clone()));
        });
        raster
    }
}

/// One glyph's coverage (0.0 ..= 1.0) over its pixel bounds, whose top-left pixel is (`x`, `y`).
struct Raster {
    x: i32,
    y: i32,
    width: usize,
    coverage: Vec<f32>,
}

/// The most coverage bytes [`RASTERS`] keeps before it starts over: a default-style pool's digits at
/// every place of its numbers' shape, in both variants, take a few hundred KB.
const RASTER_CACHE_BYTES: usize = 2 << 20;

/// The most glyph rasters [`RASTERS`] keeps before it starts over, which bounds a lookup's scan
/// (the numbers of one default-style pool of one shape use about 150, both variants).
const RASTER_CACHE_ENTRIES: usize = 1024;

/// Key of a glyph's raster: glyph id, scale (x, y) and pen (x, baseline) as `f32` bits.
type RasterKey = (u16, u32, u32, u32, u32);

/// The cached rasters (`None`: the glyph has no outline), looked up by a scan: a few hundred entries
/// at most, and a map's code cost the browser package more than its budget allowed (issue 14).
type RasterMap = Vec<(RasterKey, Option<Rc<Raster>>)>;

/// How many glyph rasters this thread holds (tests of the cache).
#[cfg(test)]
pub(crate) fn rasters_held() -> usize {
    RASTERS.with(|cache| cache.borrow().0.len())
}

/// Empties this thread's glyph rasters (tests of the cache).
#[cfg(test)]
pub(crate) fn forget_rasters() {
    RASTERS.with(|cache| *cache.borrow_mut() = (Vec::new(), 0));
}

thread_local! {
    /// Rasterised glyphs, per isolate (a wasm isolate is single-threaded). A number is drawn with its
    /// pens on whole pixels at places its shape fixes, so the numbers of one pool keep drawing the same
    /// ten digits at the same places: rasterising each once saves most of the glyph work of every
    /// later render (`bench/wasm/paired.mjs`). The key holds every input of the rasteriser, so a hit is
    /// the very coverage it would compute again. Kept with the coverage bytes it holds, for the bound.
    static RASTERS: RefCell<(RasterMap, usize)> = const { RefCell::new((Vec::new(), 0)) };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ab_glyph's own reading of the font, the oracle for the tables read here.
    fn oracle() -> ab_glyph::FontRef<'static> {
        ab_glyph::FontRef::try_from_slice(FONT_BYTES).expect("ab_glyph parses the font")
    }

    #[test]
    fn metrics_glyphs_advances_and_outlines_are_ab_glyphs() {
        use ab_glyph::Font;
        let (f, o) = (face().expect("font"), oracle());
        let upem = o.units_per_em().unwrap();
        assert_eq!(f.units_per_em, upem);
        assert_eq!(f.height_unscaled, o.height_unscaled());
        assert_eq!(f.ascent, o.ascent_unscaled() / upem);
        assert_eq!(f.descent, -o.descent_unscaled() / upem);
        let chars = (0x20..=0x24ff).filter_map(char::from_u32);
        let mut drawn = 0;
        for c in chars {
            let id = f.glyph_id(c);
            assert_eq!(id, o.glyph_id(c), "{c:?}");
            assert_eq!(f.h_advance_unscaled(id), o.h_advance_unscaled(id), "{c:?}");
            let (mine, theirs) = (f.outline(id), o.outline(id));
            assert_eq!(mine.is_some(), theirs.is_some(), "{c:?}");
            if let (Some(a), Some(b)) = (mine, theirs) {
                assert_eq!(a.bounds, b.bounds, "{c:?}");
                // OutlineCurve has no PartialEq; its Debug form prints every point exactly.
                assert_eq!(
                    format!("{:?}", a.curves),
                    format!("{:?}", b.curves),
                    "{c:?}"
                );
                drawn += 1;
            }
        }
        assert!(drawn > 300, "{drawn} glyphs compared");
    }

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
