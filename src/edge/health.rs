//! `GET /healthz`: whether this isolate can serve, for uptime checks and
//! deploy pipelines.
//!
//! It answers from what the isolate read when it started — secrets, the
//! device-model table, IP ranges — and touches no Durable Object, so an
//! uptime check every minute costs no object request and cannot wake a pool.
//! No authentication: it says *whether* each secret is usable, never its
//! value or length.
//!
//! 503 (`"status": "unavailable"`) when the deployment cannot do its job: the
//! signing key is unusable (no token verifies: every email shows the neutral
//! image), the admin token is missing or too short (the admin API refuses
//! everything), the device-model table was not loaded (tablets and TV boxes
//! are misclassified), or `RINGMARK_BASE_URL` is set but not an `https://`
//! origin (issued URLs would point elsewhere). 200 otherwise: `"ok"`, or
//! `"degraded"` when something optional is wrong (unreadable
//! `RINGMARK_IP_RANGES`). `TWILIO_AUTH_TOKEN` is optional: "not set" only
//! means the telephony routes refuse every call.
#![deny(clippy::indexing_slicing, clippy::string_slice)]

use super::{Edge, Step};
use crate::http::{Request, Response};
use serde_json::{Value, json};

/// What the isolate loaded besides its secrets, counted when it started.
#[derive(Clone, Debug, Default)]
pub(super) struct Loaded {
    /// Model codes in the device-model table.
    pub device_models: usize,
    /// Ranges from the bundled file (`data/ip-ranges/ip-ranges.txt`).
    pub ip_ranges_file: usize,
    /// Ranges from `RINGMARK_IP_RANGES`: `None` when unset, the error when
    /// unreadable (then none of it is used).
    pub ip_ranges_variable: Option<Result<usize, String>>,
}

/// The checks and whether the isolate is ready (the status code follows).
pub fn report(edge: &Edge) -> (u16, Value) {
    let signing_key = match &edge.keys {
        Ok(keys) => json!({"ok": true, "keys": keys.len()}),
        Err(e) => json!({"ok": false, "error": e.to_string()}),
    };
    let admin_token = match &edge.admin_tokens {
        Ok(tokens) => json!({"ok": true, "tokens": tokens.count()}),
        Err(e) => json!({"ok": false, "error": e}),
    };
    let twilio = if edge.twilio_auth_token.is_empty() {
        json!({"ok": true, "set": false, "note": "not set: the telephony routes refuse every webhook"})
    } else {
        json!({"ok": true, "set": true})
    };
    let models = edge.loaded.device_models;
    let device_models = if models > 0 {
        json!({"ok": true, "count": models})
    } else {
        json!({"ok": false, "count": 0, "error": "the device-model table was not loaded"})
    };
    let file = edge.loaded.ip_ranges_file;
    let ip_ranges = match &edge.loaded.ip_ranges_variable {
        None => json!({"ok": true, "count": file, "file": file, "variable": "not set"}),
        Some(Ok(n)) => json!({"ok": true, "count": file + n, "file": file, "variable": n}),
        Some(Err(e)) => json!({
            "ok": false, "count": file, "file": file,
            "error": format!("RINGMARK_IP_RANGES ignored: {e}"),
        }),
    };
    let base_url = match &edge.base_url {
        Ok(None) => json!({"ok": true, "set": false}),
        Ok(Some(url)) => json!({"ok": true, "set": true, "url": url}),
        Err(e) => json!({"ok": false, "set": true, "error": e}),
    };
    let ready =
        edge.keys.is_ok() && edge.admin_tokens.is_ok() && models > 0 && edge.base_url.is_ok();
    let degraded = matches!(edge.loaded.ip_ranges_variable, Some(Err(_)));
    let (status, word) = match (ready, degraded) {
        (false, _) => (503, "unavailable"),
        (true, true) => (200, "degraded"),
        (true, false) => (200, "ok"),
    };
    let body = json!({
        "status": word,
        "version": env!("CARGO_PKG_VERSION"),
        "checks": {
            "signing_key": signing_key,
            "admin_token": admin_token,
            "twilio_auth_token": twilio,
            "device_models": device_models,
            "ip_ranges": ip_ranges,
            "base_url": base_url,
        },
    });
    (status, body)
}

/// `GET|HEAD /healthz`.
pub(super) fn healthz(edge: &Edge, _request: &Request) -> Step {
    let (status, body) = report(edge);
    if status != 200 {
        edge.warn(format!(
            "healthz: unavailable ({})",
            failing(&body).join(", ")
        ));
    }
    Step::respond(Response::json(status, &body).with_header(
        "cache-control",
        "no-cache, no-store, must-revalidate, private",
    ))
}

/// The names of the checks that failed.
fn failing(body: &Value) -> Vec<String> {
    body.get("checks")
        .and_then(Value::as_object)
        .map(|checks| {
            checks
                .iter()
                .filter(|(_, c)| c.get("ok") == Some(&Value::Bool(false)))
                .map(|(name, _)| name.clone())
                .collect()
        })
        .unwrap_or_default()
}
