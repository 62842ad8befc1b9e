//! Structured log lines: one JSON object per line, for Workers Logs.
//!
//! Every line the edge emits is `{"level", "msg", "request_id", "route"}`:
//! Workers Logs (`[observability]` in `wrangler.toml`) indexes the fields of a
//! JSON line, so an operator can filter one request (`request_id`, the
//! `cf-ray` header when Cloudflare sent one) or one kind of route
//! (`route`: `pixel`, `number`, `click`, `admin`, `telephony`, …).
//!
//! **What a line never carries**: recipient ids, tokens, bearer tokens, IP
//! addresses or callers' numbers. Messages are written not to contain them
//! (they name routes, pools, dialled tracking numbers and call ids), and as a
//! safety net every message is scrubbed of the request's sensitive values
//! ([`RequestLog::sensitive`]) before it is stored: the token in an email
//! URL and the recipient it names, the `Authorization` value, the client's
//! IP headers, a Twilio webhook's `From`/`Caller`, and the `recipients` and
//! `from` of an admin request's JSON body. Object errors relayed into a
//! message (a pool's replay error, a failed RPC's text) are covered by the
//! same scrub.
#![deny(clippy::indexing_slicing, clippy::string_slice)]

use crate::http::Request;
use crate::token::Keyring;
use serde::Serialize;
use std::rc::Rc;

/// How serious a line is; the adapter prints `info` with `console.log`,
/// `warn` with `console.warn` and `error` with `console.error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Worth knowing, nothing wrong.
    Info,
    /// A request was refused or degraded (a bad token, an object that failed).
    Warn,
    /// The deployment is misconfigured (an unusable signing key).
    Error,
}

/// One log line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogLine {
    /// How serious it is.
    pub level: Level,
    /// What happened, scrubbed of the request's sensitive values.
    pub msg: String,
    /// The request it belongs to (`cf-ray`, or a random id); `None` for
    /// lines outside a request (the isolate's start).
    pub request_id: Option<String>,
    /// The kind of route ([`route_kind`]), or `startup`.
    pub route: &'static str,
}

impl LogLine {
    /// The line as one JSON object (what the adapter prints).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| {
            // Serialising strings cannot fail; keep a line rather than panic.
            r#"{"level":"error","msg":"unserialisable log line","request_id":null,"route":"other"}"#
                .to_owned()
        })
    }
}

/// The kind of route a path belongs to: what a log line may say about where
/// it came from (never the path itself, which may hold a token).
pub fn route_kind(path: &str) -> &'static str {
    if path.starts_with("/o/") {
        "pixel"
    } else if path.starts_with("/n/") {
        "number"
    } else if path.starts_with("/c/") {
        "click"
    } else if path.starts_with("/v1/telephony/") {
        "telephony"
    } else if path.starts_with("/v1/webhooks") {
        "webhooks"
    } else if path.starts_with("/v1/") {
        "admin"
    } else if path == "/healthz" {
        "healthz"
    } else if path == "/" {
        "root"
    } else {
        "other"
    }
}

/// A `cf-ray` value usable as a request id: 1–64 ASCII letters, digits and
/// `-` (it is `<hex>-<colo>`); anything else is ignored.
fn ray_id(value: &str) -> Option<String> {
    let value = value.trim();
    ((1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    .then(|| value.to_owned())
}

/// The sensitive parts of a request, kept raw until a line needs scrubbing
/// (most requests log nothing, so nothing is parsed or decrypted for them).
#[derive(Debug, Default)]
struct Raw {
    /// The token of an email URL (`/o/{token}.gif`, …).
    token: Option<String>,
    /// Header values: `Authorization`, client IP headers.
    headers: Vec<String>,
    /// The body of an admin or telephony request.
    body: Option<Rc<[u8]>>,
}

/// What a request's log lines share: its id, its route kind, and what to
/// scrub from them. It travels with the request's [`super::Step`]s, so work
/// done after the response logs under the same id.
#[derive(Debug, Default)]
pub struct RequestLog {
    /// `cf-ray`, or a random id drawn when the first line is logged.
    pub(super) request_id: Option<String>,
    /// [`route_kind`] of the path, or `startup` outside a request.
    pub(super) route: &'static str,
    raw: Raw,
    /// The scrub list, computed from `raw` the first time a line is logged.
    sensitive: Option<Vec<String>>,
}

/// Header values that never appear in a log line.
const SENSITIVE_HEADERS: [&str; 6] = [
    "authorization",
    "cf-connecting-ip",
    "x-forwarded-for",
    "x-real-ip",
    "true-client-ip",
    "x-twilio-signature",
];

/// Shortest value scrubbed from messages: a one- or two-character recipient
/// id would mangle every message it occurs in, and says nothing on its own.
const MIN_SCRUB: usize = 3;

impl RequestLog {
    /// Lines outside a request.
    pub fn startup() -> Self {
        RequestLog {
            route: "startup",
            ..RequestLog::default()
        }
    }

    /// The log context of a request: its `cf-ray` id (if any), its route
    /// kind, and the raw values to scrub should a line be logged.
    pub fn for_request(request: &Request) -> Self {
        let path = request.path();
        let route = route_kind(path);
        let token = ["/o/", "/n/", "/c/"].iter().find_map(|prefix| {
            path.strip_prefix(prefix).map(|rest| {
                rest.trim_end_matches(".gif")
                    .trim_end_matches(".png")
                    .to_owned()
            })
        });
        let headers = SENSITIVE_HEADERS
            .iter()
            .filter_map(|name| request.header_value(name))
            .flat_map(|value| {
                // "Bearer <token>": the credential alone too (not the scheme's
                // word); "a, b" (x-forwarded-for): each address too.
                let mut parts = vec![value.trim().to_owned()];
                if let Some((_, credential)) = value.trim().split_once(' ') {
                    parts.push(credential.trim().to_owned());
                }
                parts.extend(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(str::to_owned),
                );
                parts
            })
            .collect();
        let body = (matches!(route, "admin" | "telephony" | "webhooks")
            && !request.body.is_empty())
        .then(|| Rc::from(request.body.as_slice()));
        RequestLog {
            request_id: request.header_value("cf-ray").and_then(ray_id),
            route,
            raw: Raw {
                token,
                headers,
                body,
            },
            sensitive: None,
        }
    }

    /// The values scrubbed from this request's lines: the raw token and the
    /// recipient it names (if it verifies with `keys`), sensitive headers,
    /// and from the body a Twilio webhook's `From`/`Caller` or an admin
    /// request's `recipients`/`recipient`/`from`. Longest first, so a value
    /// containing another is scrubbed whole.
    pub fn sensitive(&mut self, keys: Option<&Keyring>) -> &[String] {
        let raw = &self.raw;
        self.sensitive.get_or_insert_with(|| {
            let mut out = raw.headers.clone();
            if let Some(token) = &raw.token {
                out.push(token.clone());
                if let Some(claims) = keys.and_then(|k| k.verify(token).ok()) {
                    out.push(claims.recipient);
                }
            }
            if let Some(body) = &raw.body {
                out.extend(body_values(body));
            }
            out.retain(|v| v.len() >= MIN_SCRUB);
            out.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
            out.dedup();
            out
        })
    }
}

/// Sensitive values of a request body: form fields `From` and `Caller`
/// (Twilio), or the JSON fields `recipients` (strings), `recipient`, `from`,
/// `url` and `secret` (webhook receivers) at any depth.
fn body_values(body: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        collect_json(&value, &mut out);
    } else {
        for (name, value) in form_urlencoded::parse(body) {
            if matches!(name.as_ref(), "From" | "Caller") {
                out.push(value.into_owned());
            }
        }
    }
    out
}

fn collect_json(value: &serde_json::Value, out: &mut Vec<String>) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    // `url` and `secret`: a webhook receiver's URL may carry its own credential.
                    ("recipient" | "from" | "url" | "secret", Value::String(s)) => {
                        out.push(s.clone());
                    }
                    ("recipients", Value::Array(items)) => {
                        out.extend(items.iter().filter_map(Value::as_str).map(str::to_owned))
                    }
                    _ => collect_json(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_json(v, out)),
        _ => {}
    }
}

/// `msg` with every value of `sensitive` replaced by `[redacted]`.
pub fn scrub(msg: &str, sensitive: &[String]) -> String {
    let mut out = msg.to_owned();
    for value in sensitive {
        if out.contains(value.as_str()) {
            out = out.replace(value.as_str(), "[redacted]");
        }
    }
    out
}

/// A random request id: 16 lowercase hex digits from `fill`.
pub fn random_id(fill: impl Fn(&mut [u8])) -> String {
    let mut bytes = [0u8; 8];
    fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_kinds_name_no_path() {
        assert_eq!(route_kind("/o/abc.gif"), "pixel");
        assert_eq!(route_kind("/n/abc.png"), "number");
        assert_eq!(route_kind("/c/abc"), "click");
        assert_eq!(route_kind("/v1/telephony/twilio/voice"), "telephony");
        assert_eq!(route_kind("/v1/pools/p"), "admin");
        assert_eq!(route_kind("/v1/webhooks/x"), "webhooks");
        assert_eq!(route_kind("/healthz"), "healthz");
        assert_eq!(route_kind("/"), "root");
        assert_eq!(route_kind("/favicon.ico"), "other");
    }

    #[test]
    fn ray_ids_are_checked() {
        assert_eq!(
            ray_id("8f1c2d3e4f5a6b7c-LHR").as_deref(),
            Some("8f1c2d3e4f5a6b7c-LHR")
        );
        assert_eq!(ray_id("a\"b"), None);
        assert_eq!(ray_id(""), None);
        assert_eq!(ray_id(&"a".repeat(65)), None);
    }

    #[test]
    fn scrubbing_replaces_longest_values_first() {
        let mut log = RequestLog::for_request(
            &Request::new("POST", "https://x.test/v1/pools/p/tokens")
                .header("authorization", "Bearer secret-admin-token-123")
                .body(r#"{"campaign":"c","recipients":["alice@example.com","al"]}"#),
        );
        let sensitive = log.sensitive(None).to_vec();
        assert_eq!(
            scrub(
                "alice@example.com failed with Bearer secret-admin-token-123 al",
                &sensitive
            ),
            "[redacted] failed with [redacted] al"
        );
    }

    #[test]
    fn twilio_callers_are_scrubbed() {
        let mut log = RequestLog::for_request(
            &Request::new("POST", "https://x.test/v1/telephony/twilio/voice")
                .body("To=%2B14155550201&From=%2B12125550123&Caller=%2B12125550123"),
        );
        let sensitive = log.sensitive(None).to_vec();
        assert_eq!(
            scrub("from +12125550123 to +14155550201", &sensitive),
            "from [redacted] to +14155550201"
        );
    }

    #[test]
    fn lines_are_json_objects() {
        let line = LogLine {
            level: Level::Warn,
            msg: "a \"quoted\" message\n".into(),
            request_id: Some("r1".into()),
            route: "pixel",
        };
        let v: serde_json::Value = serde_json::from_str(&line.to_json()).unwrap();
        assert_eq!(v["level"], "warn");
        assert_eq!(v["msg"], "a \"quoted\" message\n");
        assert_eq!(v["request_id"], "r1");
        assert_eq!(v["route"], "pixel");
    }
}
