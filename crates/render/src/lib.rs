//! Phone-number images that look right in every inbox.
//!
//! When a recipient opens a marketing email, ringmark answers the image request with the number leased to
//! that recipient: a **"tap to call" button** for smartphones, **the number as text** for everything else
//! (Google's own pattern: call button on phones, plain number on desktop; call-tracking.md §4.7). Design
//! decisions, with the measurements behind them in libraries.md Part A:
//!
//! * **Raster, not HTML text**: the number is chosen when the email is *opened*, long after it was sent, so
//!   only an image can carry it. Alt text is fixed at send time and carries a static number.
//! * **PNG, 4-bit palette with alpha, dark-mode safe**: nothing but the drawing is opaque. The button's
//!   corners are transparent (antialiased edge in the button colour at rising alpha), and the text variant
//!   is drawn on transparency with a thin halo of `paper` (0.08 em) around every glyph: on a page of the
//!   paper's colour the halo is invisible, on a dark-mode page (prefers-color-scheme, a client's forced
//!   dark, Windows high contrast) the ink still sits on its paper, so no white box shows and no dark text
//!   vanishes into a dark page (Litmus's dark-mode guide recommends such outlines for dark elements of
//!   transparent images). GIF has only 1-bit transparency, which cannot antialias an edge over an
//!   unknown background.
//! * **At most [`MAX_PNG_BYTES`] (4 KB) in every style**: a box is at most [`BOX_MAX_WIDTH`] (600) CSS px
//!   wide, the usual email column; glyph pens sit on whole CSS pixels so repeated digits are repeated
//!   bytes for deflate; and an image over 4 KB is encoded again at a stronger deflate level, then with
//!   fewer antialiasing steps, until it fits (only 32–40 px styles get there, mostly with labels;
//!   tested with the largest styles). Measured choices in `encode.rs` and BENCHMARKS.md.
//! * **2x pixels, 1x size**: [`Image::width`]/[`Image::height`] are the CSS size to put in the HTML
//!   `width`/`height` attributes (honoured by Outlook desktop); the PNG has twice as many pixels for
//!   high-density screens.
//! * **One box for both variants**: the snippet is written once per campaign, the variant is chosen per
//!   open, so the text and the button of one (number, style) share one canvas — the larger of the two —
//!   with the smaller drawn left-aligned and vertically centred on the paper. [`display_size`] gives that
//!   box without rendering; it is the same for every number of the same format (tabular digits).
//! * **`ab_glyph` (lite) and `miniz_oxide`**: exact-area antialiasing (≈230 levels before quantising),
//!   written straight into a palette-index canvas; the PNG chunks are written here around a zlib stream
//!   from a compressor kept per isolate (the `png` crate's encoder spent most of its time setting up
//!   deflate state; see `encode.rs` and `bench/render/RESULTS.md`). A build-time atlas or GIF would be
//!   smaller but fixes sizes or costs maintenance (libraries.md A7). The font is a 20 KB Roboto Medium
//!   subset (Latin-1 and Latin Extended-A) parsed once per isolate. In wasm (Node/V8, size-first
//!   profile) a warm default render is ≈ 0.2–0.3 ms (glyphs are rasterised once per place and size per
//!   isolate, `font.rs`), a cache hit a few µs.
//! * **Validation up front**: [`Style::validate`] refuses labels with characters the font lacks (naming
//!   them), malformed colours, sizes out of range and unreadable colour pairs, and [`validate_display`]
//!   applies the same checks to a number's display string, so the admin API fails, not the open.
//! * **Caching**: [`Renderer`] keeps recent images per isolate (bounded LRU).
//! * **Never a blank box**: a number-image request that cannot be served a number gets [`neutral_image`],
//!   never an error: a transparent image of the box of [`NEUTRAL_DISPLAY`] in the default style, computed
//!   by the same [`display_size`] that sizes the snippet and every number image.
//!
//! ```
//! use ringmark_render::{number_image, Style, Variant};
//! let style = Style { label: Some("Call us".into()), ..Style::default() };
//! style.validate()?;
//! let img = number_image("(415) 555-0132", Variant::Button, &style)?;
//! assert!(img.png.starts_with(b"\x89PNG"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(clippy::indexing_slicing, clippy::string_slice)]
#![forbid(unsafe_code)]

mod cache;
mod canvas;
mod colour;
mod encode;
mod error;
mod font;
mod icon;
mod layout;
mod pixel;
mod style;

pub use cache::Renderer;
pub use colour::Colour;
pub use encode::MAX_PNG_BYTES;
pub use error::RenderError;
pub use font::can_draw;
pub use layout::BOX_MAX_WIDTH;
pub use pixel::PIXEL_GIF;
pub use style::{
    FONT_PX_MAX, FONT_PX_MIN, LABEL_MAX_CHARS, MIN_CONTRAST, NUMBER_MAX_CHARS, Shape, Style,
    Variant,
};

/// A rendered image: PNG bytes at 2x plus the intended CSS display size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// The PNG file (`2 × width` by `2 × height` pixels; a number is a 4-bit palette with alpha, at most
    /// [`MAX_PNG_BYTES`]; the neutral image a 1-bit palette of one transparent entry).
    pub png: Vec<u8>,
    /// Display width in CSS pixels (1x); the same for both variants, see [`display_size`].
    pub width: u32,
    /// Display height in CSS pixels (1x); the same for both variants.
    pub height: u32,
}

/// Renders the number's display string (for example `"(415) 555-0132"`, precomputed when the number joined
/// the pool) as the chosen variant in `style`.
///
/// # Errors
/// Whatever [`Style::validate`] reports, then for the number [`RenderError::Empty`],
/// [`RenderError::TooLong`] (over [`NUMBER_MAX_CHARS`]) or [`RenderError::Undrawable`];
/// [`RenderError::Font`]/[`RenderError::Encode`] only on a build defect.
pub fn number_image(display: &str, variant: Variant, style: &Style) -> Result<Image, RenderError> {
    plan(display, style)?.render(variant)
}

/// The CSS size (width, height at 1x) of both variants of `display` in `style`, without drawing or
/// encoding: what the campaign's HTML snippet puts in its `width`/`height` attributes. The text and the
/// button variant of one (display, style) always share this box (see the layout notes in the crate
/// documentation), so one snippet fits whichever variant an open gets.
///
/// The box depends on the number's *shape*, not its digits: Roboto's digits all have the same advance
/// (tabular figures, checked by a test), so every number with the same separators in the same places and
/// the same count of digits — as numbers of one pool usually are — has the same box.
///
/// # Errors
/// As [`number_image`] (minus the encoding failure).
pub fn display_size(display: &str, style: &Style) -> Result<(u32, u32), RenderError> {
    let plan = plan(display, style)?;
    Ok((plan.width / 2, plan.height / 2))
}

/// Checks a number's display string the way [`number_image`] and [`display_size`] do before drawing it:
/// not blank, at most [`NUMBER_MAX_CHARS`] characters, every character drawable by the embedded font
/// ([`can_draw`]). A display string that passes renders in every valid [`Style`], so callers that store
/// display strings (the admin API) check them with this at save time, and the open never fails.
///
/// # Errors
/// [`RenderError::Empty`], [`RenderError::TooLong`] or [`RenderError::Undrawable`] (naming every
/// undrawable character), each with the field `"number"`.
pub fn validate_display(display: &str) -> Result<(), RenderError> {
    style::check_text("number", display, NUMBER_MAX_CHARS)
}

/// Validates the inputs and lays out both variants.
fn plan<'a>(display: &str, style: &'a Style) -> Result<layout::Plan<'a>, RenderError> {
    style.validate()?;
    validate_display(display)?;
    let face = font::face().ok_or(RenderError::Font)?;
    Ok(layout::Plan::new(face, display, style))
}

/// The display string whose box the neutral image takes: a ten-digit North American number in national
/// format, the shape `ringmark_phone::display` gives every `+1` number by default.
///
/// A number image URL that cannot be served a number (a token that does not verify, an unfilled merge
/// field, a pool never configured or purged, a pool object failing) cannot know the pool's style or its
/// fallback's shape, so it cannot know the pool's snippet box: it takes this display's box in the default
/// style. That is exactly the box of every default-style pool of `+1` numbers shown nationally; other
/// pools' snippets declare their own box and the email client scales the neutral image into it
/// (`height:auto` keeps its aspect ratio, so the slot keeps about the number's height and shows nothing).
/// The digits are irrelevant (tabular figures, see [`display_size`]); only the shape counts.
pub const NEUTRAL_DISPLAY: &str = "(000) 000-0000";

/// The image for a number-image request that cannot be served a number: a fully transparent PNG of the
/// box [`display_size`] gives [`NEUTRAL_DISPLAY`] in the default [`Style`], at 2× like every number
/// image, so the snippet's slot keeps its size (the layout never jumps) and shows nothing — where a 1×1
/// image would be stretched by the snippet's `width` and `height:auto` into a large blank square. Built
/// once per isolate (about 100 bytes). Never fails; see [`neutral_image_in`].
pub fn neutral_image() -> Image {
    thread_local! {
        static NEUTRAL: std::cell::OnceCell<Image> = const { std::cell::OnceCell::new() };
    }
    NEUTRAL.with(|cell| {
        cell.get_or_init(|| neutral_image_in(&Style::default()))
            .clone()
    })
}

/// The neutral image in `style`: transparent, of the box [`display_size`] gives [`NEUTRAL_DISPLAY`] in
/// `style` (the default style's if `style` is refused). For a pool whose style is known but whose number
/// cannot be drawn, this is its snippet's box when its fallback has the neutral display's shape.
///
/// Never fails: should the font or the encoder fail (a build defect, which no test allows), the answer is
/// a 1×1 transparent PNG, still a valid image.
pub fn neutral_image_in(style: &Style) -> Image {
    let size = display_size(NEUTRAL_DISPLAY, style)
        .or_else(|_| display_size(NEUTRAL_DISPLAY, &Style::default()));
    let image = size.and_then(|(width, height)| {
        let png = encode::transparent(width * 2, height * 2)?;
        Ok(Image { png, width, height })
    });
    image.unwrap_or_else(|_| Image {
        png: pixel::BLANK_1X1_PNG.to_vec(),
        width: 1,
        height: 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_render_from_cached_glyphs_is_the_render_from_scratch() {
        let style = Style {
            label: Some("Call us".into()),
            ..Style::default()
        };
        for variant in [Variant::Text, Variant::Button] {
            font::forget_rasters();
            let fresh = number_image("(415) 555-0132", variant, &style).expect("renders");
            // Numbers of the same shape draw other digits at the same places, and the same digits.
            for other in ["(212) 555-0198", "(646) 555-0177"] {
                number_image(other, variant, &style).expect("renders");
            }
            let held = font::rasters_held();
            let again = number_image("(415) 555-0132", variant, &style).expect("renders");
            assert_eq!(
                font::rasters_held(),
                held,
                "every glyph of the repeat came from the cache"
            );
            assert_eq!(again, fresh, "{variant:?}");
        }
    }

    #[test]
    fn validate_display_is_the_check_rendering_applies() {
        assert_eq!(validate_display("(415) 555-0132"), Ok(()));
        assert_eq!(validate_display("+44 20 7946 0958"), Ok(()));
        for bad in ["", "   ", "☎ 555-0132", &"5".repeat(NUMBER_MAX_CHARS + 1)] {
            let refused = validate_display(bad).expect_err(bad);
            let style = Style::default();
            assert_eq!(display_size(bad, &style), Err(refused.clone()), "{bad}");
            assert_eq!(
                number_image(bad, Variant::Text, &style).map(|_| ()),
                Err(refused)
            );
        }
        // The longest accepted display renders in the largest style with the longest label.
        let longest = "8".repeat(NUMBER_MAX_CHARS);
        let style = Style {
            font_px: FONT_PX_MAX,
            label: Some("W".repeat(LABEL_MAX_CHARS)),
            ..Style::default()
        };
        assert_eq!(validate_display(&longest), Ok(()));
        for variant in [Variant::Text, Variant::Button] {
            assert!(number_image(&longest, variant, &style).is_ok());
        }
    }
}
