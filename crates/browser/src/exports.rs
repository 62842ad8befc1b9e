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

/** One bucket of the call-delay distribution. */
export interface DelayBucket {
  /** Upper end of the bucket, seconds after the open (or first call) the delay follows. */
  until_seconds: number;
  /** Share of delays in this bucket (shares are normalised by their sum). */
  share: number;
}

/** The simulated send (`ringmark simulate`'s model); every field is optional, defaults in brackets. */
export interface SendModel {
  /** Recipients, 1 – 250,000 [100,000]. */
  recipients: number;
  /** When the send starts, Unix seconds [1,796,000,000]. */
  start: number;
  /** Campaign id of every open ["c"]. */
  campaign: string;
  /** Hours over which deliveries are spread; 0 is a blast [24]. */
  send_spread_hours: number;
  /** Share of recipients who open as a person [0.2]; first opens follow Mailchimp's open curve. */
  human_open_rate: number;
  /** Share of human openers who open once more [0.3]. */
  reopen_rate: number;
  /** Share of recipients whose images Apple Mail Privacy Protection fetches at delivery [0.45]. */
  machine_prefetch_rate: number;
  /** Share of human opens on a smartphone [0.5]. */
  smartphone_share: number;
  /** Share of human openers who call [0.03]. */
  call_rate: number;
  /** Call delays after the last open [60 % within 2 h, 30 % within 3 days, 10 % within 14 days]. */
  call_delay: DelayBucket[];
  /** How delays spread within a bucket [`log_uniform`]. */
  call_delay_shape: "log_uniform" | "uniform";
  /** Share of callers who call a second time [0.2]. */
  second_call_rate: number;
  /** Share of calls that carry caller ID [1]. */
  caller_id_rate: number;
}

/** How a pool picks a free number: least recently released (`lru`, the default), or a seeded random order. */
export type Reuse = "lru" | { random: { seed: number } };
/** What a pool does when no number is free (see the README's Pools section). */
export type Exhaustion =
  | "shared_tail"
  | "fallback"
  | "steal_oldest_tail"
  | { overflow: { number: string } }
  | { share: { max_holders: number } };

/** A pool: the body of `PUT /v1/pools/{pool}`, checked by the Worker's own parser. */
export interface PoolConfig {
  /** The pool's numbers (E.164; separators accepted), at most 20,000 — or a count of fictional `+1415…` numbers. */
  numbers: string[] | number;
  /** The static number shown when the pool runs dry [`+16505550100`]. */
  fallback?: string;
  /** Guaranteed minimum exclusive hold, seconds [7200]. */
  lease_seconds?: number;
  /** Renewals stop extending past this age, seconds [max(7 days, lease)]. */
  max_lease_seconds?: number;
  /** Tail after the lease, seconds [7 days]. */
  tail_seconds?: number;
  /** Wait before a removed number is reused, seconds [45 days]. */
  quarantine_seconds?: number;
  /** How long ended associations and calls are kept, seconds [30 days]. */
  attribution_window_seconds?: number;
  /** Reuse order [`lru`]. */
  reuse?: Reuse;
  /** Exhaustion policy [`shared_tail`]. */
  exhaustion?: Exhaustion;
  /** Utilisation that raises pressure [0.75]. */
  pressure_threshold?: number;
  /** How display strings are written [`national`]. */
  display_format?: "national" | "international";
  /** Your own display string per number. */
  displays?: Record<string, string>;
  /** The pool's image style. */
  style?: Style;
}

/** Input of {@link simulate}. */
export interface SimulationInput {
  /** The send; missing fields take the defaults. */
  send?: Partial<SendModel>;
  /** The pool. */
  pool: PoolConfig;
  /** Random seed, a whole number ≥ 0 [1]: the same input gives the same result. */
  seed?: number;
  /** How long the series runs, hours (at most 8,784) [until the send's last open or call]. */
  hours?: number;
  /** The series' resolution, 1 – 1440 minutes, at most 5,000 samples [the smallest of 1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440 giving ≤ 500 samples]. */
  sample_minutes?: number;
}

/** Accuracy within one band of stated confidence. */
export interface Decile {
  /** Lower bound of the stated confidence (inclusive). */
  from: number;
  /** Upper bound (exclusive; the last band includes 1). */
  to: number;
  /** Calls whose confidence fell here. */
  calls: number;
  /** Of those, calls whose top candidate was the caller. */
  correct: number;
  /** `correct / calls`, null when empty. */
  accuracy: number | null;
  /** Mean stated confidence, null when empty. */
  mean_confidence: number | null;
}

/** The summary `ringmark backtest` prints. Shares are of calls; confident means confidence ≥ 0.8. */
export interface BacktestSummary {
  /** Timeline lines read. */
  events: number;
  /** Opens. */
  opens: number;
  /** Calls. */
  calls: number;
  /** Share of calls whose top candidate is the caller. */
  correct_top: number;
  /** Share attributed to the caller with confidence ≥ 0.8. */
  correct_confident: number;
  /** Share attributed to someone else with confidence ≥ 0.8. */
  confidently_wrong: number;
  /** Share of calls that dialled the fallback number. */
  dialled_fallback: number;
  /** The counts behind the shares. */
  counts: {
    correct_top: number;
    correct_confident: number;
    confidently_wrong: number;
    dialled_fallback: number;
    dialled_overflow: number;
    never_shown: number;
  };
  /** Highest share of leasable numbers not free (in a lease or a tail). */
  peak_utilisation: number;
  /** Highest share of leasable numbers inside a lease. */
  peak_exclusive: number;
  /** Exhaustion outcomes over the run. */
  exhaustions: { overflow: number; stole: number; shared: number; fallback: number };
  /** Stated confidence against observed accuracy, ten bands. */
  deciles: Decile[];
}

/** Output of {@link simulate}: a series per sample, and the backtest's summary. */
export interface SimulationResult {
  /** Sample times, hours since the send started (0, then every `sample_minutes`). */
  hours: number[];
  /** At each sample, the share of the pool's numbers inside a person's lease (0..1). */
  utilisation: number[];
  /** At each sample, the share of numbers in their tail: held by nobody, still attributable to earlier holders, reused (shared) only when nothing is free (0..1). */
  shared: number[];
  /** When a person's open was first answered with the fallback number, hours since the start (exact); null when never. */
  dry_at_hours: number | null;
  /** The series' resolution, minutes. */
  sample_minutes: number;
  /** What `ringmark backtest` prints for this send on this pool. */
  summary: BacktestSummary;
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

/// Replays a simulated send through the real allocator and attribution (the code
/// `ringmark backtest` and the Worker's pool object run) and samples the pool over time:
/// how full it gets, when (if ever) a person sees the fallback, and how well calls are
/// attributed. Throws naming the field when the input is refused (e.g. more than 250,000
/// recipients, a pool the admin API would refuse, more than 5,000 samples).
#[wasm_bindgen(unchecked_return_type = "SimulationResult")]
pub fn simulate(
    #[wasm_bindgen(unchecked_param_type = "SimulationInput")] input: JsValue,
) -> Result<JsValue, JsError> {
    let text = js_sys::JSON::stringify(&input)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| JsError::new("input: not a JSON value"))?;
    let result =
        ringmark::backtest::series::simulate(&text).map_err(|e| JsError::new(&e.to_string()))?;
    plain(&result)
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
    serde_json::from_value(serde_json::Value::String(variant.to_owned()))
        .map_err(|_| JsError::new("variant must be \"text\" or \"button\""))
}

fn style_of(style: Option<js_sys::Object>) -> Result<Style, JsError> {
    let style: Style = match style {
        None => Style::default(),
        Some(object) => {
            let text = js_sys::JSON::stringify(&object)
                .ok()
                .and_then(|s| s.as_string())
                .ok_or_else(|| JsError::new("style: not a JSON object"))?;
            serde_json::from_str(&text).map_err(|e| JsError::new(&format!("style: {e}")))?
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
