//! The `#[wasm_bindgen]` exports of the browser package, and their TypeScript types.

use std::cell::RefCell;

use ringmark::edge::email::answer as decide;
use ringmark_classify::{Classification, Classifier, DeviceModels, Signals};
use ringmark_render::{Style, Variant};
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** Device class of an opener. */
export type DeviceClass = "smartphone" | "tablet" | "desktop" | "featurephone" | "tv" | "console" | "bot" | "other" | "unknown";
/** Who made a request: the recipient's own device (`person`), or a machine. */
export type OpenerKind = "person" | "proxy" | "prefetch" | "scanner" | "crawler";
/** Which number image to draw: the number as text, or a "tap to call" button (smartphones). */
export type Variant = "text" | "button";
/** Request headers, lower- or mixed-case names (e.g. `{"sec-ch-ua-mobile": "?1"}`). */
export type Headers = Record<string, string>;

/** The classification of one request. */
export interface Classification {
  /** The device class (`unknown` behind a proxy that hides it; `bot` for crawlers). */
  device: DeviceClass;
  /** A person, or which kind of machine. */
  opener: OpenerKind;
  /** True when a machine (proxy, prefetch, scanner, crawler), not the recipient, made the request. */
  machine: boolean;
  /** Email client, when recognised (e.g. "Gmail", "Apple Mail", "Outlook"). */
  client: string | null;
  /** The proxy, prefetcher or scanner, when a machine made the request (e.g. "Gmail image proxy"). */
  proxy: string | null;
  /** Operating-system family, when the User-Agent names one (e.g. "Android", "iOS", "Windows"). */
  os: string | null;
  /** Browser or engine family, when the User-Agent names one (e.g. "Chrome", "Safari"). */
  browser: string | null;
}

/** What the Worker shows an opener. */
export interface Answer {
  /** `button` for smartphones (tap to call), `text` for everything else. */
  variant: Variant;
  /** True when the call link dials at once (`tel:` redirect: phones); otherwise it opens a page. */
  dials: boolean;
}

/** A pool's image style; every field is optional (defaults in brackets). Refused (thrown) when a text/background pair has less than 3:1 contrast. */
export interface Style {
  /** Text colour of the text variant, `#rrggbb` [`#111827`]. */
  ink?: string;
  /** Background of the whole image, opaque, `#rrggbb` [`#ffffff`]. */
  paper?: string;
  /** Button fill, `#rrggbb` [`#15803d`]. */
  button?: string;
  /** Text and icon colour on the button, `#rrggbb` [`#ffffff`]. */
  button_ink?: string;
  /** Font size in CSS px at 1×, 12–40 [20]; the PNG is drawn at twice this. */
  font_px?: number;
  /** A call to action (e.g. "Call us"): on the button, and above the number in the text variant [none]. */
  label?: string | null;
  /** Button corners [`rounded`]. */
  shape?: "rounded" | "pill" | "square";
}

/** An image's box in CSS pixels (the PNG is twice this). */
export interface Size {
  /** Width, CSS px. */
  width: number;
  /** Height, CSS px. */
  height: number;
}

"#;

thread_local! {
    /// The table [`load_device_models`] installed (empty until then).
    static DEVICE_MODELS: RefCell<DeviceModels> = RefCell::default();
}

/// Loads the device-model table (the bytes of `device-models.tsv`, LGPL-3.0-or-later data
/// shipped beside the module, never in it), which tells tablets, phones and TV boxes apart
/// when an Android User-Agent alone cannot. Returns how many model codes it holds. Throws on
/// malformed data, naming the line, and keeps the table it had.
#[wasm_bindgen]
pub fn load_device_models(table: &[u8]) -> Result<u32, JsError> {
    let text = std::str::from_utf8(table)
        .map_err(|e| JsError::new(&format!("device models: not UTF-8 text ({e})")))?;
    let models = DeviceModels::parse(text).map_err(|e| JsError::new(&e.to_string()))?;
    let n = models.len() as u32;
    DEVICE_MODELS.with(|m| *m.borrow_mut() = models);
    Ok(n)
}

/// Classifies a request from its User-Agent and, optionally, its other headers (client
/// hints, `X-Requested-With`, `Via`…): the device class, a person or which machine, the
/// email client. The same classifier the Worker runs on every email open.
#[wasm_bindgen(unchecked_return_type = "Classification")]
pub fn classify(
    user_agent: &str,
    #[wasm_bindgen(unchecked_param_type = "Headers")] headers: Option<js_sys::Object>,
) -> Result<JsValue, JsError> {
    plain(&classification(user_agent, headers)?)
}

/// What the Worker shows this opener: the image variant (`button` on smartphones, `text`
/// elsewhere) and whether the call link dials at once — the Worker's own decision.
#[wasm_bindgen(unchecked_return_type = "Answer")]
pub fn answer(
    user_agent: &str,
    #[wasm_bindgen(unchecked_param_type = "Headers")] headers: Option<js_sys::Object>,
) -> Result<JsValue, JsError> {
    plain(&decide(&classification(user_agent, headers)?))
}

/// Draws a number image: a PNG at 2× of `display` (the string shown, e.g.
/// `"(415) 555-0132"`) as `variant`, in `style` (the defaults when left out). Throws when
/// the style is refused (contrast, size, a label the font cannot draw) or the display
/// string cannot be drawn, with the reason.
#[wasm_bindgen]
pub fn render_number(
    display: &str,
    #[wasm_bindgen(unchecked_param_type = "Variant")] variant: &str,
    #[wasm_bindgen(unchecked_param_type = "Style")] style: Option<js_sys::Object>,
) -> Result<Vec<u8>, JsError> {
    let variant = variant_of(variant)?;
    let style = style_of(style)?;
    let image = ringmark_render::number_image(display, variant, &style)
        .map_err(|e| JsError::new(&e.to_string()))?;
    Ok(image.png)
}

/// The box of `display`'s image in `style`, CSS pixels (the PNG is twice this; both variants
/// share it): the `width` and `height` a page or an email gives the `<img>`.
#[wasm_bindgen(unchecked_return_type = "Size")]
pub fn display_size(
    display: &str,
    #[wasm_bindgen(unchecked_param_type = "Style")] style: Option<js_sys::Object>,
) -> Result<JsValue, JsError> {
    #[derive(Serialize)]
    struct Size {
        width: u32,
        height: u32,
    }
    let (width, height) = ringmark_render::display_size(display, &style_of(style)?)
        .map_err(|e| JsError::new(&e.to_string()))?;
    plain(&Size { width, height })
}

/// The tracking pixel the Worker answers (a transparent 1×1 GIF).
#[wasm_bindgen]
pub fn pixel_gif() -> Vec<u8> {
    ringmark_render::PIXEL_GIF.to_vec()
}

/// The package's version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

fn classification(
    user_agent: &str,
    headers: Option<js_sys::Object>,
) -> Result<Classification, JsError> {
    let pairs: Vec<(String, String)> = match headers {
        None => Vec::new(),
        Some(headers) => {
            serde_wasm_bindgen::from_value::<std::collections::BTreeMap<_, _>>(headers.into())
                .map_err(|e| JsError::new(&format!("headers: {e}")))?
                .into_iter()
                .collect()
        }
    };
    let signals = Signals::from_headers(
        user_agent,
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    );
    let models = DEVICE_MODELS.with(|m| m.borrow().clone());
    Ok(Classifier::new()
        .with_device_models(models)
        .classify(&signals))
}

fn variant_of(variant: &str) -> Result<Variant, JsError> {
    match variant {
        "text" => Ok(Variant::Text),
        "button" => Ok(Variant::Button),
        _ => Err(JsError::new("variant must be \"text\" or \"button\"")),
    }
}

/// A style object, read field by field by serde (unknown fields refused), then checked with
/// the renderer's own rules. (Not through serde_json: it would be the only user of it in this
/// module, ~10 KB gzipped.)
fn style_of(style: Option<js_sys::Object>) -> Result<Style, JsError> {
    let style: Style = match style {
        None => Style::default(),
        Some(object) => {
            // serde-wasm-bindgen reads only the fields it knows, so `deny_unknown_fields` does
            // not apply: refuse a misspelt field here, as the Worker's JSON reader does.
            let known = js_sys::Object::keys(&plain(&Style::default())?.into());
            for key in js_sys::Object::keys(&object).iter() {
                if !known.includes(&key, 0) {
                    return Err(JsError::new(&format!(
                        "style: unknown field `{}`",
                        key.as_string().unwrap_or_default()
                    )));
                }
            }
            serde_wasm_bindgen::from_value(object.into())
                .map_err(|e| JsError::new(&format!("style: {e}")))?
        }
    };
    style
        .validate()
        .map_err(|e| JsError::new(&format!("style: {e}")))?;
    Ok(style)
}

fn plain<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&e.to_string()))
}
