//! wasm-bindgen surface for the Node benchmark: renders the benchmark presets by index, with and without
//! the per-isolate cache, and reports the shared display box.

use ringmark_render::{Renderer, Style, Variant, display_size, number_image};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

thread_local! {
    static CACHE: RefCell<Renderer> = RefCell::new(Renderer::new(256));
}

/// Benchmark styles: 0 default, 1 label "Call us", 2 32 px with a Turkish label.
fn preset(i: u32) -> Style {
    match i {
        1 => Style {
            label: Some("Call us".into()),
            ..Style::default()
        },
        2 => Style {
            font_px: 32,
            label: Some("Bizi arayın".into()),
            ..Style::default()
        },
        _ => Style::default(),
    }
}

fn variant(button: bool) -> Variant {
    if button { Variant::Button } else { Variant::Text }
}

/// Renders and encodes one image (no cache); returns the PNG bytes.
#[wasm_bindgen]
pub fn render(display: &str, button: bool, style: u32) -> Result<Vec<u8>, JsError> {
    number_image(display, variant(button), &preset(style))
        .map(|i| i.png)
        .map_err(|e| JsError::new(&e.to_string()))
}

/// Renders through the per-isolate cache; returns the PNG length (so a hit copies nothing to JS).
#[wasm_bindgen]
pub fn render_cached(display: &str, button: bool, style: u32) -> Result<usize, JsError> {
    CACHE.with(|c| {
        c.borrow_mut()
            .render(display, variant(button), &preset(style))
            .map(|i| i.png.len())
            .map_err(|e| JsError::new(&e.to_string()))
    })
}

/// The CSS display box shared by both variants, as `[width, height]`.
#[wasm_bindgen]
pub fn size(display: &str, style: u32) -> Result<Vec<u32>, JsError> {
    display_size(display, &preset(style))
        .map(|(w, h)| vec![w, h])
        .map_err(|e| JsError::new(&e.to_string()))
}
