//! The one `#[wasm_bindgen]` surface, shared by the Worker and browsers.
//!
//! The Worker uses [`WasmEdge`] (the request loop), [`WasmPoolObject`],
//! [`WasmDirectoryObject`] and [`WasmWebhooksObject`] (the Durable Objects). Browsers and the demo page
//! use [`classify`], [`render_number`] and [`pixel_gif`]. Both may call
//! [`load_device_models`] first: the device-model table is data loaded beside
//! the module (LGPL-3.0-or-later, `data/device-models/`), never compiled in.
//! The Worker also calls [`load_ip_ranges`] with `data/ip-ranges/ip-ranges.txt`.
//! Values cross the boundary as primitives, strings and byte arrays;
//! `classify` returns a plain object described by the TypeScript types below.

use crate::edge::{Edge, EdgeConfig, Effect, EffectResult, Step};
use crate::http::Request;
use crate::objects::outbox::RANDOM_BYTES;
use crate::objects::store::{WRITES_CHUNK_BYTES, chunk_len, statements_json};
use crate::objects::{DirectoryObject, Outcome, PoolObject, WebhooksObject};
use js_sys::Object;
use ringmark_classify::{Classifier, DeviceModels, IpRanges, Signals};
use ringmark_render::{Style, Variant};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** Device class of the opener. */
export type DeviceClass = "smartphone" | "tablet" | "desktop" | "featurephone" | "tv" | "console" | "bot" | "other" | "unknown";
/** Who made the request: the recipient's device, or a machine. */
export type OpenerKind = "person" | "proxy" | "prefetch" | "scanner" | "crawler";
/** The classification of one request (a plain object). */
export interface Classification {
  device: DeviceClass;
  opener: OpenerKind;
  /** True when a machine (proxy, prefetch, scanner, crawler), not the recipient, made the request. */
  machine: boolean;
  /** Email client, when recognised (e.g. "Gmail", "Apple Mail", "Outlook"). */
  client: string | null;
  /** Proxy, prefetcher or scanner, when a machine made the request. */
  proxy: string | null;
  os: string | null;
  browser: string | null;
}
"#;

thread_local! {
    /// The table [`load_device_models`] installed (empty until then): used by
    /// [`classify`], [`answer`] and every [`WasmEdge`] made afterwards.
    static DEVICE_MODELS: RefCell<DeviceModels> = RefCell::default();
    /// The ranges [`load_ip_ranges`] installed (empty until then): used by
    /// every [`WasmEdge`] made afterwards, with `RINGMARK_IP_RANGES` added.
    static IP_RANGES: RefCell<IpRanges> = RefCell::default();
}

/// Loads the IP-range file — the bytes of `data/ip-ranges/ip-ranges.txt`
/// (`<cidr>,<owner>` lines, see `ringmark_classify::IpRanges::parse`) — for
/// every `Edge` created afterwards, which adds `RINGMARK_IP_RANGES` to it.
/// Returns how many ranges it holds. Throws on malformed data, naming the
/// line, and keeps the ranges it had. (A file beside the module rather than
/// the variable alone: a Worker variable holds at most 5 KB, a few hundred
/// ranges; published proxy and relay lists are far larger.)
#[wasm_bindgen]
pub fn load_ip_ranges(data: &[u8]) -> Result<u32, JsError> {
    let text = std::str::from_utf8(data)
        .map_err(|e| JsError::new(&format!("ip ranges: not UTF-8 text ({e})")))?;
    let ranges =
        IpRanges::parse(text, None).map_err(|e| JsError::new(&format!("ip ranges: {e}")))?;
    let n = ranges.len() as u32;
    IP_RANGES.with(|r| *r.borrow_mut() = ranges);
    Ok(n)
}

fn device_models() -> DeviceModels {
    DEVICE_MODELS.with(|m| m.borrow().clone())
}

/// Loads a device-model table — the bytes of `data/device-models/device-models.tsv`
/// (`<model code><TAB><class>` lines; `pkg/device-models.tsv` after `make build`) —
/// for [`classify`], [`answer`] and every `Edge` created afterwards. Returns how
/// many model codes it holds. Throws on malformed data, naming the line, and
/// keeps the table it had. (Bytes, not a string: the 1.2 MB table then crosses
/// into wasm as one copy, without UTF-8 encoding.)
#[wasm_bindgen]
pub fn load_device_models(table: &[u8]) -> Result<u32, JsError> {
    let text = std::str::from_utf8(table)
        .map_err(|e| JsError::new(&format!("device models: not UTF-8 text ({e})")))?;
    let models = DeviceModels::parse(text).map_err(|e| JsError::new(&e.to_string()))?;
    let n = models.len() as u32;
    DEVICE_MODELS.with(|m| *m.borrow_mut() = models);
    Ok(n)
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = log)]
    fn console_log(line: &str);
    #[wasm_bindgen(js_namespace = console, js_name = warn)]
    fn console_warn(line: &str);
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(line: &str);
}

fn now_secs() -> i64 {
    (js_sys::Date::now() / 1000.0).floor() as i64
}

/// Prints the edge's log lines, one JSON object each, at their level
/// (Workers Logs indexes the JSON fields).
fn flush(edge: &Edge) {
    use crate::edge::log::Level;
    for line in edge.take_log() {
        let json = line.to_json();
        match line.level {
            Level::Info => console_log(&json),
            Level::Warn => console_warn(&json),
            Level::Error => console_error(&json),
        }
    }
}

/// Classifies a request from its User-Agent and, optionally, other headers
/// (an object of header name → value, e.g. `{"sec-ch-ua-mobile": "?0"}`).
#[wasm_bindgen(unchecked_return_type = "Classification")]
pub fn classify(
    user_agent: &str,
    #[wasm_bindgen(unchecked_param_type = "Record<string, string>")] headers: Option<Object>,
) -> Result<JsValue, JsError> {
    to_plain(&classify_request(user_agent, headers)?)
}

/// What the worker would show this opener: `{ variant: "button" | "text", dials: boolean }`.
#[wasm_bindgen(unchecked_return_type = "{ variant: \"button\" | \"text\"; dials: boolean }")]
pub fn answer(
    user_agent: &str,
    #[wasm_bindgen(unchecked_param_type = "Record<string, string>")] headers: Option<Object>,
) -> Result<JsValue, JsError> {
    to_plain(&crate::edge::email::answer(&classify_request(
        user_agent, headers,
    )?))
}

/// Classifies a User-Agent and an optional JS object of header name → value.
fn classify_request(
    user_agent: &str,
    headers: Option<Object>,
) -> Result<ringmark_classify::Classification, JsError> {
    let pairs: Vec<(String, String)> = match headers {
        None => Vec::new(),
        Some(headers) => {
            let map: std::collections::BTreeMap<String, String> =
                serde_wasm_bindgen::from_value(headers.into())
                    .map_err(|e| JsError::new(&format!("headers: {e}")))?;
            map.into_iter().collect()
        }
    };
    let signals = Signals::from_headers(
        user_agent,
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    );
    Ok(Classifier::new()
        .with_device_models(device_models())
        .classify(&signals))
}

fn to_plain<T: serde::Serialize>(value: &T) -> Result<JsValue, JsError> {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    value
        .serialize(&serializer)
        .map_err(|e| JsError::new(&e.to_string()))
}

/// Renders a number image (PNG bytes at 2×): `variant` is `"text"` or
/// `"button"`; `style_json` is a style object as JSON (`""` for the default).
#[wasm_bindgen]
pub fn render_number(display: &str, variant: &str, style_json: &str) -> Result<Vec<u8>, JsError> {
    let variant: Variant = serde_json::from_value(serde_json::Value::String(variant.to_owned()))
        .map_err(|_| JsError::new("variant must be \"text\" or \"button\""))?;
    let style = parse_style(style_json)?;
    let image = ringmark_render::number_image(display, variant, &style)
        .map_err(|e| JsError::new(&e.to_string()))?;
    Ok(image.png)
}

/// The email snippet of a pool (`ringmark snippet`, `POST /v1/pools/{pool}/snippet`):
/// `platform` as the API names it (`"mailchimp"`, …, `"plain"`), the fallback's
/// display string, and its style as JSON (`""` for the default). For pages that
/// preview the snippet as an email client shows it.
#[wasm_bindgen]
pub fn snippet_html(
    base_url: &str,
    platform: &str,
    fallback_display: &str,
    style_json: &str,
) -> Result<String, JsError> {
    let platform: crate::snippet::Platform =
        serde_json::from_value(serde_json::Value::String(platform.to_owned()))
            .map_err(|e| JsError::new(&format!("platform: {e}")))?;
    let style = parse_style(style_json)?;
    let snippet = crate::snippet::Snippet::new(base_url, platform, fallback_display, &style)
        .map_err(|e| JsError::new(&e.to_string()))?;
    Ok(snippet.html())
}

/// A style from JSON (`""`: the default), validated.
fn parse_style(style_json: &str) -> Result<Style, JsError> {
    let style: Style = if style_json.trim().is_empty() {
        Style::default()
    } else {
        serde_json::from_str(style_json).map_err(|e| JsError::new(&format!("style: {e}")))?
    };
    style.validate().map_err(|e| JsError::new(&e.to_string()))?;
    Ok(style)
}

/// Runs the request path's code once, so V8 compiles it while the isolate
/// starts rather than during the first email open. wasm functions are
/// compiled lazily on first call; the renderer (rasteriser + deflate) is the
/// largest part and costs several ms the first time (bench/render/RESULTS.md).
#[wasm_bindgen]
pub fn warm_up() {
    // An iPhone and an Android phone: the Apple path, and the Android path with its model-table lookup.
    let classifier = Classifier::new().with_device_models(device_models());
    for ua in [
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
        "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
    ] {
        let _ = classifier.classify(&Signals::from_user_agent(ua));
    }
    for variant in [Variant::Text, Variant::Button] {
        let _ = ringmark_render::number_image("(415) 555-0132", variant, &Style::default());
    }
}

/// The tracking pixel's bytes.
#[wasm_bindgen]
pub fn pixel_gif() -> Vec<u8> {
    ringmark_render::PIXEL_GIF.to_vec()
}

/// The neutral image's bytes: what `/n/{token}.png` answers when it cannot be
/// served a number (a transparent PNG of the default snippet box at 2×, see
/// `ringmark_render::neutral_image`). The Worker copies them, and the pixel's,
/// into JS at isolate start, so it can still answer an image URL of the same
/// size if the module itself fails.
#[wasm_bindgen]
pub fn neutral_png() -> Vec<u8> {
    ringmark_render::neutral_image().png
}

/// The crate version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// The Worker's request loop, one per isolate.
#[wasm_bindgen(js_name = Edge)]
pub struct WasmEdge {
    edge: Edge,
    test_trap: bool,
}

/// The paths that trap the module once [`WasmEdge::enable_test_trap`] was called.
const TEST_TRAP_PATHS: [&str; 2] = ["/n/ringmark-test-trap.png", "/o/ringmark-test-trap.gif"];

/// A step of a request: the response, once known, and the effects to run.
#[wasm_bindgen(js_name = Step)]
pub struct WasmStep {
    step: Option<Step>,
}

/// An effect as the adapter reads it (a plain object).
#[derive(serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum PlainEffect<'a> {
    Object {
        binding: &'static str,
        name: &'a str,
        command: &'a str,
        coalesce: Option<u32>,
    },
    Fetch {
        method: &'a str,
        url: &'a str,
        headers: &'a [(String, String)],
        body: &'a str,
    },
    DataPoint {
        blobs: &'a [String],
        doubles: &'a [f64],
        indexes: &'a [String],
    },
}

#[wasm_bindgen(js_class = Edge)]
impl WasmEdge {
    /// Reads the deployment's secrets and data (and the table
    /// [`load_device_models`] installed). `allow_private_webhooks` is
    /// `RINGMARK_ALLOW_PRIVATE_WEBHOOKS` (`"1"` allows private receivers);
    /// `twilio_auth_token` is `TWILIO_AUTH_TOKEN`; `base_url` is
    /// `RINGMARK_BASE_URL`; `analytics` is whether an Analytics Engine
    /// dataset is bound as `OPENS`. The ranges [`load_ip_ranges`] installed come
    /// first, `ip_ranges` (`RINGMARK_IP_RANGES`) is added to them.
    #[wasm_bindgen(constructor)]
    pub fn new(
        signing_key: Option<String>,
        admin_token: Option<String>,
        ip_ranges: Option<String>,
        allow_private_webhooks: Option<String>,
        twilio_auth_token: Option<String>,
        base_url: Option<String>,
        analytics: Option<bool>,
    ) -> WasmEdge {
        let edge = Edge::new(&EdgeConfig {
            signing_key: signing_key.unwrap_or_default(),
            admin_token: admin_token.unwrap_or_default(),
            ip_ranges: ip_ranges.unwrap_or_default(),
            ip_range_file: IP_RANGES.with(|r| r.borrow().clone()),
            base_url: base_url.unwrap_or_default(),
            twilio_auth_token: twilio_auth_token.unwrap_or_default(),
            device_models: device_models(),
            allow_private_webhooks: allow_private_webhooks.as_deref() == Some("1"),
            analytics: analytics == Some(true),
        });
        flush(&edge);
        WasmEdge {
            edge,
            test_trap: false,
        }
    }

    /// For tests of the Worker's last resort only (the adapter calls it when
    /// `RINGMARK_TEST_TRAP=1`): from now on a request for
    /// `/n/ringmark-test-trap.png` or `/o/ringmark-test-trap.gif` panics, which
    /// traps the module the way a defect on the request path would.
    pub fn enable_test_trap(&mut self) {
        self.test_trap = true;
    }

    /// Starts a request. `headers` is a flat list `[name, value, name, value, …]`.
    pub fn begin(&self, method: &str, url: &str, headers: Vec<String>, body: Vec<u8>) -> WasmStep {
        let mut request = Request::new(method, url);
        request.headers = headers
            .chunks_exact(2)
            .filter_map(|pair| match pair {
                [name, value] => Some((name.clone(), value.clone())),
                _ => None,
            })
            .collect();
        request.body = body;
        if self.test_trap && TEST_TRAP_PATHS.contains(&request.path()) {
            panic!("RINGMARK_TEST_TRAP: deliberate trap on {}", request.path());
        }
        let step = self.edge.begin(&request);
        flush(&self.edge);
        WasmStep { step: Some(step) }
    }

    /// Continues a request with the results of the step's effects, in order:
    /// `statuses[i]` and `bodies[i]` for `effects[i]` (status 0: the effect
    /// failed and the body says why).
    pub fn resume(
        &self,
        step: &mut WasmStep,
        statuses: Vec<u16>,
        bodies: Vec<String>,
    ) -> Result<WasmStep, JsError> {
        let Some(taken) = step.step.take() else {
            return Err(JsError::new(
                "resume() needs a step that was not resumed yet",
            ));
        };
        let results = statuses
            .into_iter()
            .zip(bodies)
            .map(|(status, body)| EffectResult { status, body })
            .collect();
        let next = self.edge.resume(taken, results);
        flush(&self.edge);
        Ok(WasmStep { step: Some(next) })
    }
}

#[wasm_bindgen(js_class = Step)]
impl WasmStep {
    fn response(&self) -> Option<&crate::http::Response> {
        self.step.as_ref().and_then(|s| s.response.as_ref())
    }

    /// Whether the step carries the response (send it, then run any effects
    /// after it with `ctx.waitUntil`).
    #[wasm_bindgen(getter)]
    pub fn has_response(&self) -> bool {
        self.response().is_some()
    }

    /// The effects to run, as plain objects:
    /// `{kind: "object", binding, name, command, coalesce}` (call the Durable
    /// Object `env[binding].getByName(name)` with `command`; when `coalesce` is
    /// a number, it may go with others for the same object in one
    /// `commands([…])` call, waiting up to that many milliseconds for them) or
    /// `{kind: "fetch", method, url, headers: [[name, value], …], body}` or
    /// `{kind: "data_point", blobs, doubles, indexes}` (`env.OPENS.writeDataPoint`).
    #[wasm_bindgen(
        getter,
        unchecked_return_type = "Array<{kind: \"object\"; binding: string; name: string; command: string; coalesce: number | null} | {kind: \"fetch\"; method: string; url: string; headers: [string, string][]; body: string} | {kind: \"data_point\"; blobs: string[]; doubles: number[]; indexes: string[]}>"
    )]
    pub fn effects(&self) -> Result<JsValue, JsError> {
        let effects: Vec<PlainEffect<'_>> = self
            .step
            .iter()
            .flat_map(|s| s.effects.iter())
            .map(|effect| match effect {
                Effect::Object {
                    target,
                    command,
                    coalesce,
                } => PlainEffect::Object {
                    binding: target.binding(),
                    name: target.name(),
                    command,
                    coalesce: *coalesce,
                },
                Effect::Fetch(out) => PlainEffect::Fetch {
                    method: &out.method,
                    url: &out.url,
                    headers: &out.headers,
                    body: &out.body,
                },
                Effect::DataPoint(point) => PlainEffect::DataPoint {
                    blobs: &point.blobs,
                    doubles: &point.doubles,
                    indexes: &point.indexes,
                },
            })
            .collect();
        to_plain(&effects)
    }

    /// The response status.
    #[wasm_bindgen(getter)]
    pub fn status(&self) -> u16 {
        self.response().map_or(500, |r| r.status)
    }

    /// The response headers, flat: `[name, value, …]`.
    #[wasm_bindgen(getter)]
    pub fn headers(&self) -> Vec<String> {
        self.response()
            .map(|r| {
                r.headers
                    .iter()
                    .flat_map(|(k, v)| [k.clone(), v.clone()])
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The response body.
    #[wasm_bindgen(getter)]
    pub fn body(&self) -> Vec<u8> {
        self.response().map(|r| r.body.clone()).unwrap_or_default()
    }
}

/// What a Durable Object engine decided: its answer, and the effects to
/// carry out before answering (writes, alarm, purge; in that order).
#[wasm_bindgen(js_name = Outcome)]
pub struct WasmOutcome {
    outcome: Outcome,
    /// One answer per command of a batch (`handle_batch`); `None` for one command.
    answers: Option<Vec<String>>,
    /// How many writes `take_writes` has handed out (and emptied) so far.
    taken: usize,
}

#[wasm_bindgen(js_class = Outcome)]
impl WasmOutcome {
    /// The answer text to hand back to the caller.
    #[wasm_bindgen(getter)]
    pub fn answer(&self) -> String {
        self.outcome.answer.clone()
    }
    /// For a batch (`handle_batch`), one answer text per command, in order;
    /// `undefined` for one command.
    #[wasm_bindgen(getter)]
    pub fn answers(&self) -> Option<Vec<String>> {
        self.answers.clone()
    }
    /// The writes not taken yet (all of them unless `take_writes` was called),
    /// JSON `[[sql, param, …], …]`, to apply in one transaction.
    #[wasm_bindgen(getter)]
    pub fn writes(&self) -> String {
        let left = self.outcome.writes.get(self.taken..).unwrap_or_default();
        statements_json(left)
    }
    /// How many writes are left for `take_writes`.
    #[wasm_bindgen(getter)]
    pub fn pending_writes(&self) -> usize {
        self.outcome.writes.len().saturating_sub(self.taken)
    }
    /// The next writes, JSON `[[sql, param, …], …]`, taken out of the outcome
    /// (`undefined` after the last): about 1 MB of them, or one larger alone.
    /// Apply every chunk, in order, in one transaction. How the adapter reads
    /// the writes: one text of all of them would hold a large pool's snapshot
    /// parts twice in wasm memory (the parts and the text made from them,
    /// ~50 MB each at 200,000 held recipients), and twice more in JavaScript
    /// (the text and its parse); taken in chunks, each part's text is made,
    /// handed over and freed before the next, and the part freed with it.
    pub fn take_writes(&mut self) -> Option<String> {
        let left = self.outcome.writes.get_mut(self.taken..)?;
        let chunk = left.get_mut(..chunk_len(left, WRITES_CHUNK_BYTES))?;
        if chunk.is_empty() {
            return None;
        }
        let text = statements_json(chunk);
        self.taken += chunk.len();
        for write in chunk {
            write.params = Vec::new();
        }
        Some(text)
    }
    /// Queries to run first, JSON `[[sql, param, …], …]` (`"[]"` for none):
    /// their rows go to the engine's `read`, whose outcome replaces this one.
    #[wasm_bindgen(getter)]
    pub fn reads(&self) -> String {
        self.outcome.reads_json()
    }
    /// Make sure the object's alarm fires no later than this (milliseconds
    /// since the epoch, as `setAlarm` takes), unless `undefined`.
    #[wasm_bindgen(getter)]
    pub fn alarm(&self) -> Option<f64> {
        self.outcome.alarm.map(|at| at as f64 * 1000.0)
    }
    /// Delete all of the object's storage (and its alarm) after the writes.
    #[wasm_bindgen(getter)]
    pub fn purge(&self) -> bool {
        self.outcome.purge
    }
    /// Outbound requests to make after the rest, as plain objects
    /// `{method, url, headers: [[name, value], …], body, timeout_seconds}`:
    /// no redirects followed; hand the results, in order, to the engine's
    /// `fetched(statuses, bodies)` (status 0 and the error when no answer came).
    #[wasm_bindgen(
        getter,
        unchecked_return_type = "Array<{method: string; url: string; headers: [string, string][]; body: string; timeout_seconds: number}>"
    )]
    pub fn fetches(&self) -> Result<JsValue, JsError> {
        to_plain(&self.outcome.fetches)
    }
}

/// The engine of a pool's Durable Object.
#[wasm_bindgen(js_name = PoolObject)]
pub struct WasmPoolObject {
    inner: PoolObject,
}

impl From<Outcome> for WasmOutcome {
    fn from(outcome: Outcome) -> Self {
        WasmOutcome {
            outcome,
            answers: None,
            taken: 0,
        }
    }
}

#[wasm_bindgen(js_class = PoolObject)]
impl WasmPoolObject {
    /// A query answering one row `{stored, …}`: whether there are tables to
    /// read (otherwise load from no rows; the first write creates them), and
    /// which (older stores lack tables added later).
    pub fn stored_query() -> String {
        PoolObject::STORED.to_owned()
    }
    /// The query whose rows `load` takes, for the `stored_query()` row (JSON).
    pub fn load_query(stored_row: &str) -> String {
        PoolObject::load_query(stored_row).to_owned()
    }
    /// Rebuilds the engine from the rows of `load_query()` (JSON array of objects).
    /// Takes the text (a copy in wasm memory) so that it is freed once read.
    pub fn load(rows_json: String) -> Result<WasmPoolObject, JsError> {
        PoolObject::load_owned(rows_json)
            .map(|inner| WasmPoolObject { inner })
            .map_err(|e| JsError::new(&e))
    }
    /// The query for the rows `load_streamed` takes: `load_query()`'s but the
    /// snapshot's parts.
    pub fn rows_query(stored_row: &str) -> String {
        PoolObject::rows_query(stored_row).to_owned()
    }
    /// The query whose rows (`{b}`, in order) are the snapshot's parts, or
    /// `undefined` for a store that keeps none (format 1).
    pub fn parts_query(stored_row: &str) -> Option<String> {
        PoolObject::parts_query(stored_row).map(str::to_owned)
    }
    /// Rebuilds the engine from the rows of `rows_query()` and the snapshot's
    /// parts, which `next_part()` returns one at a time (a string, then
    /// `undefined` when there are no more): the engine reads each part as it
    /// parses, so the whole snapshot text is never in memory on either side.
    pub fn load_streamed(
        rows_json: String,
        next_part: &js_sys::Function,
    ) -> Result<WasmPoolObject, JsError> {
        let parts = std::iter::from_fn(|| next_part.call0(&JsValue::NULL).ok()?.as_string());
        PoolObject::load_streamed(rows_json, parts)
            .map(|inner| WasmPoolObject { inner })
            .map_err(|e| JsError::new(&e))
    }
    /// Handles one command.
    pub fn handle(&mut self, command: &str) -> WasmOutcome {
        self.inner.handle_json(command, now_secs()).into()
    }
    /// Handles opens coalesced into one call: one answer per command
    /// (`answers`), their writes in one outcome.
    pub fn handle_batch(&mut self, commands: Vec<String>) -> WasmOutcome {
        let (answers, outcome) = self.inner.handle_batch(&commands, now_secs());
        WasmOutcome {
            outcome,
            answers: Some(answers),
            taken: 0,
        }
    }
    /// The rows of the previous outcome's `reads` (JSON: one array of row
    /// objects per query).
    pub fn read(&mut self, results: &str) -> WasmOutcome {
        self.inner.read(results, now_secs()).into()
    }
    /// The object's alarm fired (retention: prune, or purge a deleted pool).
    pub fn alarm(&mut self) -> WasmOutcome {
        self.inner.alarm(now_secs()).into()
    }
}

/// The engine of the directory's Durable Object.
#[wasm_bindgen(js_name = DirectoryObject)]
pub struct WasmDirectoryObject {
    inner: DirectoryObject,
}

#[wasm_bindgen(js_class = DirectoryObject)]
impl WasmDirectoryObject {
    /// A query answering one row `{stored, …}` (see `PoolObject.stored_query`).
    pub fn stored_query() -> String {
        DirectoryObject::STORED.to_owned()
    }
    /// The query whose rows `load` takes, for the `stored_query()` row (JSON).
    pub fn load_query(stored_row: &str) -> String {
        DirectoryObject::load_query(stored_row).to_owned()
    }
    /// Rebuilds the engine from the rows of `load_query()`.
    pub fn load(rows_json: &str) -> Result<WasmDirectoryObject, JsError> {
        DirectoryObject::load(rows_json)
            .map(|inner| WasmDirectoryObject { inner })
            .map_err(|e| JsError::new(&e))
    }
    /// Handles one command.
    pub fn handle(&mut self, command: &str) -> WasmOutcome {
        self.inner.handle_json(command, now_secs()).into()
    }
    /// The directory sets no alarm; an alarm left by an older release does nothing.
    pub fn alarm(&mut self) -> WasmOutcome {
        Outcome::ok((), Vec::new()).into()
    }
}

/// The engine of the webhooks Durable Object (outbound webhooks).
#[wasm_bindgen(js_name = WebhooksObject)]
pub struct WasmWebhooksObject {
    inner: WebhooksObject,
}

/// Fresh random bytes for the engine (a new endpoint's secret).
fn random_bytes() -> Result<[u8; RANDOM_BYTES], JsError> {
    let mut bytes = [0u8; RANDOM_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| JsError::new(&format!("randomness: {e}")))?;
    Ok(bytes)
}

#[wasm_bindgen(js_class = WebhooksObject)]
impl WasmWebhooksObject {
    /// A query answering one row `{stored}`: whether `load_query()` has tables
    /// to read (otherwise load from no rows; the first write creates them).
    pub fn stored_query() -> String {
        WebhooksObject::STORED.to_owned()
    }
    /// The query whose rows `load` takes.
    pub fn load_query(stored_row: &str) -> String {
        WebhooksObject::load_query(stored_row).to_owned()
    }
    /// Rebuilds the engine from the rows of `load_query()`.
    pub fn load(rows_json: &str) -> Result<WasmWebhooksObject, JsError> {
        WebhooksObject::load(rows_json)
            .map(|inner| WasmWebhooksObject { inner })
            .map_err(|e| JsError::new(&e))
    }
    /// Handles one command.
    pub fn handle(&mut self, command: &str) -> Result<WasmOutcome, JsError> {
        let random = random_bytes()?;
        Ok(self.inner.handle_json(command, now_secs(), &random).into())
    }
    /// The object's alarm fired: the deliveries due, as fetches.
    pub fn alarm(&mut self) -> WasmOutcome {
        self.inner.alarm(now_secs()).into()
    }
    /// The results of the last outcome's fetches, in order (status 0: no answer, the body says why).
    pub fn fetched(&mut self, statuses: Vec<u16>, bodies: Vec<String>) -> WasmOutcome {
        let results = statuses.into_iter().zip(bodies).collect();
        self.inner.fetched(results, now_secs()).into()
    }
}
