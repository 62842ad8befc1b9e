//! Where things go in each variant, and how coverage becomes palette indices.
//!
//! **One box for both variants.** The email's HTML snippet is written once per campaign with fixed
//! `width`/`height` attributes (Outlook desktop needs them, email-clients.md), but the worker picks the
//! variant per open: text for desktops, the button for phones. So both variants of one (number, style)
//! are drawn on the same canvas: the larger of the two natural sizes in each dimension (in practice the
//! button's, except for small fonts with a label, where the two-line text is taller). Whatever is smaller
//! sits **left-aligned and vertically centred** in the box, whose rest is transparent:
//! * left, because the snippet sits where body text sits and email copy is left-aligned: the number
//!   starts where the surrounding text starts, and the spare width to its right shows the email's own
//!   background;
//! * centred vertically, because the snippet usually sits in a table cell or beside text whose middle it
//!   should share; a top-aligned number would look like it floats above its line.
//!
//! All geometry is in device pixels of the 2x image, derived from `em` = 2 × `font_px`:
//! * **Text**: the number on one line, 0.2 em left padding (and at least as much on the right), 0.15 em
//!   above and 0.1 em below the font's line boxes (so every number of a pool has the same height); an
//!   optional label line above it at 0.7 em (at least 11 CSS px), 80 % strength; the glyphs ringed by a
//!   halo of paper 0.08 em wide (the number's em, whole pixels), the glyphs' coverage dilated by an
//!   octagon of that radius. Palette: transparent, 2 rim steps, paper, 12 steps to ink.
//! * **Button**: a filled shape 2.4 em high (48 CSS px at the default 20 px: above the 44 px touch-target
//!   guideline), 0.85 em padding, the handset icon (0.9 em), then the label and the number on one line,
//!   centred on the cap height, 0.5 em between label and number. Palette: transparent, 3 edge steps at
//!   rising alpha, button, 11 steps to button ink.
//!
//! **At most 600 CSS px wide** ([`BOX_MAX_WIDTH`]): a (number, style) whose box would be wider is laid
//! out at the largest em that fits.
//!
//! Sizes are rounded up to even pixels so the 1x CSS size is exact.

use crate::canvas::{Canvas, Rect};
use crate::encode::{self, Palette};
use crate::font::{Face, Line};
use crate::icon;
use crate::{Image, RenderError, Shape, Style, Variant};

/// The widest box, in CSS px: the usual email column (600 px, the width email templates are built to).
/// A wider image would only be scaled down by the snippet's `max-width:100%` — at the cost of bytes — so
/// a style and number whose box would be wider are drawn at the largest font size that fits instead (a
/// 40 px font with a long label; never the default style).
pub const BOX_MAX_WIDTH: u32 = 600;

/// Device pixels per CSS pixel.
const SCALE: f32 = 2.0;

/// Rounds a pixel length up to the next even integer (at least 2).
fn even(v: f32) -> u32 {
    let n = v.ceil().max(2.0) as u32;
    n + (n & 1)
}

/// Coverage 0..=1 to a step 0..=`steps`.
fn quantise(c: f32, steps: f32) -> u8 {
    (c.clamp(0.0, 1.0) * steps + 0.5) as u8
}

/// Text variant: number line with an optional caption above, each glyph ringed by a halo of `paper`.
mod text {
    pub const LABEL_EM: f32 = 0.7;
    /// Smallest label, in CSS px: below this a caption stops being legible.
    pub const LABEL_MIN_PX: f32 = 11.0;
    pub const LABEL_STRENGTH: f32 = 0.8;
    pub const PAD_X_EM: f32 = 0.2;
    pub const PAD_TOP_EM: f32 = 0.15;
    pub const PAD_BOTTOM_EM: f32 = 0.1;
    /// Halo radius around every glyph: a little under Roboto Medium's stem (≈ 0.1 em), so the halo reads
    /// as an outline, not a box, and counters (the holes of 0, 6, 8, 9) stay open.
    pub const HALO_EM: f32 = 0.08;
    /// Palette layout: 0 transparent, 1..=2 paper at rising alpha (the halo's antialiased rim), 3 paper,
    /// 4..=15 paper→ink (the glyphs, drawn on the opaque halo). Measured: a rim of 2 steps instead of 4
    /// saves ≈ 5 % on a default image and does not show at 2x.
    pub const HALO_STEPS: f32 = 3.0;
    pub const INK_STEPS: f32 = 12.0;
}

/// Button variant.
mod button {
    pub const HEIGHT_EM: f32 = 2.4;
    pub const PAD_EM: f32 = 0.85;
    pub const ICON_EM: f32 = 0.9;
    pub const ICON_GAP_EM: f32 = 0.45;
    pub const LABEL_GAP_EM: f32 = 0.5;
    /// Palette layout: 0 transparent, 1..=3 button at rising alpha (the antialiased edge), 4 button,
    /// 5..=15 button→button_ink.
    pub const EDGE_STEPS: f32 = 4.0;
    pub const INK_STEPS: f32 = 11.0;
}

/// Both variants of one (display, style), laid out but not drawn.
pub(crate) struct Plan<'a> {
    face: &'a Face,
    style: &'a Style,
    em: f32,
    number: Line,
    /// Text variant: the caption line and its pixel size.
    text_label: Option<(Line, f32)>,
    /// Text variant natural height (unrounded), for centring it in the box.
    text_h: f32,
    /// Button variant: the label line (at `em`), the icon-to-number content width, the button size.
    button_label: Option<Line>,
    button_content_w: f32,
    button_w: u32,
    button_h: u32,
    /// The shared canvas, in device pixels.
    pub width: u32,
    pub height: u32,
}

impl<'a> Plan<'a> {
    /// Lays out a validated `display`/`style` pair for both variants and picks the shared box: at
    /// `font_px`, or — when that box would be wider than [`BOX_MAX_WIDTH`] CSS px — at the largest size
    /// whose box fits it.
    pub fn new(face: &'a Face, display: &str, style: &'a Style) -> Plan<'a> {
        let em = f32::from(style.font_px) * SCALE;
        let plan = Plan::at(face, display, style, em);
        let max = BOX_MAX_WIDTH * SCALE as u32;
        if plan.width <= max {
            return plan;
        }
        // Widths grow linearly with the em (plus rounding to even pixels): scale, then step down until the
        // rounding fits too (one or two steps).
        let mut em = em * max as f32 / plan.width as f32;
        loop {
            let plan = Plan::at(face, display, style, em);
            if plan.width <= max || em < 1.0 {
                return plan;
            }
            em *= 0.995;
        }
    }

    /// Both variants laid out at `em` device pixels per em.
    fn at(face: &'a Face, display: &str, style: &'a Style, em: f32) -> Plan<'a> {
        let number = face.line(display, em);
        let line_box = |size: f32| (face.ascent + face.descent) * size;

        let label_px = (text::LABEL_EM * em)
            .max(text::LABEL_MIN_PX * SCALE)
            .min(em);
        let text_label = style
            .label
            .as_deref()
            .map(|l| (face.line(l, label_px), label_px));
        let label_h = text_label.as_ref().map_or(0.0, |_| line_box(label_px));
        let text_content_w = number
            .width
            .max(text_label.as_ref().map_or(0.0, |(l, _)| l.width));
        let text_w = text_content_w + 2.0 * text::PAD_X_EM * em;
        let text_h = (text::PAD_TOP_EM + text::PAD_BOTTOM_EM) * em + label_h + line_box(em);

        let button_label = style.label.as_deref().map(|l| face.line(l, em));
        let label_w = button_label
            .as_ref()
            .map_or(0.0, |l| l.width + button::LABEL_GAP_EM * em);
        let button_content_w =
            (button::ICON_EM + button::ICON_GAP_EM) * em + label_w + number.width;
        let button_w = even(button_content_w + 2.0 * button::PAD_EM * em);
        let button_h = even(button::HEIGHT_EM * em);

        Plan {
            face,
            style,
            em,
            number,
            text_label,
            text_h,
            button_label,
            button_content_w,
            button_w,
            button_h,
            width: even(text_w).max(button_w),
            height: even(text_h).max(button_h),
        }
    }

    /// Draws `variant` on the shared canvas and encodes it.
    pub fn render(&self, variant: Variant) -> Result<Image, RenderError> {
        let (canvas, palette, ramps) = match variant {
            Variant::Text => (self.text(), text_palette(self.style), TEXT_RAMPS),
            Variant::Button => (self.button(), button_palette(self.style), BUTTON_RAMPS),
        };
        let png = encode::within_budget(
            canvas.width,
            canvas.height,
            canvas.pixels(),
            &palette,
            &ramps,
        )?;
        Ok(Image {
            png,
            width: self.width / 2,
            height: self.height / 2,
        })
    }

    fn text(&self) -> Canvas {
        use text::{HALO_EM, HALO_STEPS, INK_STEPS, LABEL_STRENGTH};
        let (face, em) = (self.face, self.em);
        let mut canvas = Canvas::new(self.width, self.height);
        let x = (text::PAD_X_EM * em).round();
        let mut top = (self.height as f32 - self.text_h) / 2.0 + text::PAD_TOP_EM * em;
        // The glyphs, in the ink's indices (all above the halo's).
        let ink = |strength: f32| {
            move |c: f32| match quantise(c * strength, INK_STEPS) {
                0 => 0,
                t => HALO_STEPS as u8 + t,
            }
        };
        if let Some((label, px)) = &self.text_label {
            let baseline = (top + face.ascent * px).round();
            face.draw(label, x, baseline, ink(LABEL_STRENGTH), &mut canvas);
            top += (face.ascent + face.descent) * px;
        }
        let baseline = (top + face.ascent * em).round();
        face.draw(&self.number, x, baseline, ink(1.0), &mut canvas);
        // The halo: the glyphs' coverage dilated by its radius, into the halo's indices wherever no glyph
        // is. The label's coverage peaks at its strength, which counts as full. Only the rectangle of the
        // text's line boxes (plus the radius and a glyph's overhang) is dilated: about half the box,
        // whose width is usually the button's.
        let radius = (HALO_EM * em).round().max(1.0) as u32;
        let (w, h) = (self.width as usize, self.height as usize);
        let pad = radius as f32 + 0.15 * em + 2.0;
        let first_top = (self.height as f32 - self.text_h) / 2.0 + text::PAD_TOP_EM * em;
        let content_w = self
            .number
            .width
            .max(self.text_label.as_ref().map_or(0.0, |(l, _)| l.width));
        let x0 = (x - pad).max(0.0) as usize;
        let x1 = ((x + content_w + pad).ceil() as usize).min(w);
        let y0 = (first_top - pad).max(0.0) as usize;
        let y1 = ((baseline + face.descent * em + pad).ceil() as usize).min(h);
        if x0 >= x1 || y0 >= y1 {
            return canvas;
        }
        let sub_w = x1 - x0;
        let mut coverage: Vec<u8> = Vec::with_capacity(sub_w * (y1 - y0));
        for row in canvas.pixels().chunks_exact(w).skip(y0).take(y1 - y0) {
            if let Some(span) = row.get(x0..x1) {
                coverage.extend(span.iter().map(|&i| i.saturating_sub(HALO_STEPS as u8)));
            }
        }
        let halo = crate::canvas::dilate(&coverage, sub_w, y1 - y0, radius);
        // Dilated coverage (0..=INK_STEPS) to the halo's index, looked up rather than computed per pixel.
        let full = INK_STEPS * LABEL_STRENGTH;
        let index: [u8; 16] = std::array::from_fn(|d| quantise(d as f32 / full, HALO_STEPS));
        let rows = canvas
            .pixels_mut()
            .chunks_exact_mut(w)
            .skip(y0)
            .take(y1 - y0);
        for (row, halo_row) in rows.zip(halo.chunks_exact(sub_w)) {
            let Some(span) = row.get_mut(x0..x1) else {
                continue;
            };
            for (px, &d) in span.iter_mut().zip(halo_row) {
                if *px == 0 {
                    *px = index.get(usize::from(d & 15)).copied().unwrap_or(0);
                }
            }
        }
        canvas
    }

    fn button(&self) -> Canvas {
        use button::{EDGE_STEPS, INK_STEPS};
        let (face, em, style) = (self.face, self.em, self.style);
        let mut canvas = Canvas::new(self.width, self.height);
        let rect = Rect {
            x: 0,
            y: (self.height - self.button_h) / 2,
            w: self.button_w,
            h: self.button_h,
        };
        let (wf, hf) = (rect.w as f32, rect.h as f32);
        let radius = match style.shape {
            Shape::Rounded => 0.2 * hf,
            Shape::Pill => hf / 2.0,
            Shape::Square => 0.0,
        };
        canvas.fill_rounded(rect, radius, |c| quantise(c, EDGE_STEPS));

        // Ink indices sit above every shape index, so "raise" lets ink win wherever it shows at all.
        let ink = |c: f32| match quantise(c, INK_STEPS) {
            0 => 0,
            t => EDGE_STEPS as u8 + t,
        };
        let mid = rect.y as f32 + hf / 2.0;
        let mut x = ((wf - self.button_content_w) / 2.0).round();
        let icon = button::ICON_EM * em;
        canvas.fill(&icon::handset(x, mid - icon / 2.0, icon), ink);
        x += icon + button::ICON_GAP_EM * em;
        let baseline = (mid + face.cap_height * em / 2.0).round();
        if let Some(l) = &self.button_label {
            face.draw(l, x.round(), baseline, ink, &mut canvas);
            x += l.width + button::LABEL_GAP_EM * em;
        }
        face.draw(&self.number, x.round(), baseline, ink, &mut canvas);

        canvas
    }
}

/// The text variant's palette (see [`text`]): transparent, the halo's rim in `paper` at rising alpha,
/// opaque `paper`, then blends to `ink`.
fn text_palette(style: &Style) -> Palette {
    use text::{HALO_STEPS, INK_STEPS};
    std::array::from_fn(|i| {
        let i = i as f32;
        if i <= HALO_STEPS {
            (style.paper, alpha(i / HALO_STEPS))
        } else {
            (
                style.paper.mix(style.ink, (i - HALO_STEPS) / INK_STEPS),
                255,
            )
        }
    })
}

/// The button's palette (see [`button`]): transparent, the edge in `button` at rising alpha, opaque
/// `button`, then blends to `button_ink`.
fn button_palette(style: &Style) -> Palette {
    use button::{EDGE_STEPS, INK_STEPS};
    std::array::from_fn(|i| {
        let i = i as f32;
        if i <= EDGE_STEPS {
            (style.button, alpha(i / EDGE_STEPS))
        } else {
            (
                style
                    .button
                    .mix(style.button_ink, (i - EDGE_STEPS) / INK_STEPS),
                255,
            )
        }
    })
}

/// Coverage 0..=1 as an 8-bit alpha.
fn alpha(coverage: f32) -> u8 {
    (coverage.clamp(0.0, 1.0) * 255.0 + 0.5) as u8
}

/// The palettes' two ramps, as (first, last) index: what [`encode::within_budget`] may coarsen.
const TEXT_RAMPS: [(u8, u8); 2] = [(0, text::HALO_STEPS as u8), (text::HALO_STEPS as u8, 15)];
const BUTTON_RAMPS: [(u8, u8); 2] = [
    (0, button::EDGE_STEPS as u8),
    (button::EDGE_STEPS as u8, 15),
];
