//! Where things go in each variant, and how coverage becomes palette indices.
//!
//! All geometry is in device pixels of the 2x image, derived from `em` = 2 × `font_px`:
//! * **Text**: the number on one line, left-aligned, 0.2 em side padding, 0.15 em above and 0.1 em below
//!   the font's line boxes (so every number of a pool has the same height); an optional label line above
//!   it at 0.7 em (at least 11 CSS px), 80 % strength. Palette: 16 steps from paper to ink.
//! * **Button**: a filled shape 2.4 em high (48 CSS px at the default 20 px: above the 44 px touch-target
//!   guideline), 0.85 em padding, the handset icon (0.9 em), then the label and the number on one line,
//!   centred on the cap height, 0.5 em between label and number. Palette: paper, 3 edge blends, button, 11 steps to button ink.
//!
//! Sizes are rounded up to even pixels so the 1x CSS size is exact.

use crate::canvas::Coverage;
use crate::encode::{self, PALETTE_LEN};
use crate::font::Face;
use crate::icon;
use crate::{Colour, Image, RenderError, Shape, Style, Variant};

/// Device pixels per CSS pixel.
const SCALE: f32 = 2.0;

/// Rounds a pixel length up to the next even integer (at least 2).
fn even(v: f32) -> u32 {
    let n = v.ceil().max(2.0) as u32;
    n + (n & 1)
}

/// Renders a validated `display`/`style` pair.
pub(crate) fn render(
    face: &Face,
    display: &str,
    variant: Variant,
    style: &Style,
) -> Result<Image, RenderError> {
    let em = f32::from(style.font_px) * SCALE;
    let (width, height, indices, palette) = match variant {
        Variant::Text => text(face, display, style, em),
        Variant::Button => button(face, display, style, em),
    };
    let png = encode::indexed4(width, height, &indices, &palette)?;
    Ok(Image {
        png,
        width: width / 2,
        height: height / 2,
    })
}

type Raster = (u32, u32, Vec<u8>, [Colour; PALETTE_LEN]);

fn text(face: &Face, display: &str, style: &Style, em: f32) -> Raster {
    const LABEL_EM: f32 = 0.7;
    /// Smallest label, in CSS px: below this a caption stops being legible.
    const LABEL_MIN_PX: f32 = 11.0;
    const LABEL_STRENGTH: f32 = 0.8;
    let (pad_x, pad_top, pad_bottom) = (0.2 * em, 0.15 * em, 0.1 * em);
    let label_px = (LABEL_EM * em).max(LABEL_MIN_PX * SCALE).min(em);
    let number = face.line(display, em);
    let label = style.label.as_deref().map(|l| face.line(l, label_px));
    let line_box = |size: f32| (face.ascent + face.descent) * size;
    let label_h = label.as_ref().map_or(0.0, |_| line_box(label_px));
    let content_w = number.width.max(label.as_ref().map_or(0.0, |l| l.width));
    let w = even(content_w + 2.0 * pad_x);
    let h = even(pad_top + label_h + line_box(em) + pad_bottom);
    let mut cov = Coverage::new(w, h);
    let x = pad_x.round();
    if let Some(l) = &label {
        face.draw(
            l,
            x,
            (pad_top + face.ascent * label_px).round(),
            LABEL_STRENGTH,
            &mut cov,
        );
    }
    face.draw(
        &number,
        x,
        (pad_top + label_h + face.ascent * em).round(),
        1.0,
        &mut cov,
    );

    let last = (PALETTE_LEN - 1) as f32;
    let palette = std::array::from_fn(|i| style.paper.mix(style.ink, i as f32 / last));
    let indices = cov.cells().iter().map(|&c| quantise(c, last)).collect();
    (w, h, indices, palette)
}

fn button(face: &Face, display: &str, style: &Style, em: f32) -> Raster {
    const HEIGHT_EM: f32 = 2.4;
    const PAD_EM: f32 = 0.85;
    const ICON_EM: f32 = 0.9;
    const ICON_GAP_EM: f32 = 0.45;
    const LABEL_GAP_EM: f32 = 0.5;
    /// Palette layout: 0 paper, 1..=3 paper→button edge blends, 4 button, 5..=15 button→button_ink.
    const EDGE_STEPS: f32 = 4.0;
    const INK_STEPS: f32 = 11.0;

    let h = even(HEIGHT_EM * em);
    let number = face.line(display, em);
    let label = style.label.as_deref().map(|l| face.line(l, em));
    let label_w = label.as_ref().map_or(0.0, |l| l.width + LABEL_GAP_EM * em);
    let content_w = ICON_EM * em + ICON_GAP_EM * em + label_w + number.width;
    let w = even(content_w + 2.0 * PAD_EM * em);
    let (wf, hf) = (w as f32, h as f32);

    let mut shape = Coverage::new(w, h);
    let radius = match style.shape {
        Shape::Rounded => 0.2 * hf,
        Shape::Pill => hf / 2.0,
        Shape::Square => 0.0,
    };
    shape.fill_rounded(radius);

    let mut ink = Coverage::new(w, h);
    let mid = hf / 2.0;
    let mut x = ((wf - content_w) / 2.0).round();
    let icon = ICON_EM * em;
    ink.fill(&icon::handset(x, mid - icon / 2.0, icon), 1.0);
    x += icon + ICON_GAP_EM * em;
    let baseline = (mid + face.cap_height * em / 2.0).round();
    if let Some(l) = &label {
        face.draw(l, x.round(), baseline, 1.0, &mut ink);
    }
    face.draw(&number, (x + label_w).round(), baseline, 1.0, &mut ink);

    let mut palette = [style.button; PALETTE_LEN];
    for (i, slot) in palette.iter_mut().enumerate() {
        let i = i as f32;
        *slot = if i <= EDGE_STEPS {
            style.paper.mix(style.button, i / EDGE_STEPS)
        } else {
            style
                .button
                .mix(style.button_ink, (i - EDGE_STEPS) / INK_STEPS)
        };
    }
    let indices = shape
        .cells()
        .iter()
        .zip(ink.cells())
        .map(|(&s, &t)| (s, t))
        .map(|(s, t)| {
            let t = quantise(t, INK_STEPS);
            if t > 0 {
                EDGE_STEPS as u8 + t
            } else {
                quantise(s, EDGE_STEPS)
            }
        })
        .collect();
    (w, h, indices, palette)
}

/// Coverage 0..=1 to a step 0..=`steps`.
fn quantise(c: f32, steps: f32) -> u8 {
    (c.clamp(0.0, 1.0) * steps + 0.5) as u8
}
