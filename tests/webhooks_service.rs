//! Outbound webhooks through the whole service, natively: the admin routes, events emitted by
//! email opens after their response, the `WEBHOOKS` object's alarm making the requests (answered
//! by the harness's programmable fake receiver), retries, exhaustion, replay, reloads, and the
//! private-address rule. The clock is the harness's: nothing here waits.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use ringmark::http::{Request, Response};
use ringmark::webhooks::{Secret, verify};
use serde_json::{Value, json};
use support::{BASE, NOW, Received, Service};

const DESKTOP: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
const GMAIL_PROXY: &str =
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)";
const RECEIVER: &str = "https://hooks.example.com/ringmark";

/// A pool of two numbers and tokens for three recipients.
fn pool(s: &mut Service) -> Vec<Value> {
    let (status, body) = s.admin("PUT",
        "/v1/pools/p1",
        json!({"numbers": ["+14155550101", "+14155550102"], "fallback": "+14155550100", "lease_seconds": 3600}),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = s.admin(
        "POST",
        "/v1/pools/p1/tokens",
        json!({"campaign": "c1", "recipients": ["a", "b", "c"]}),
    );
    assert_eq!(status, 200, "{body}");
    body["tokens"].as_array().unwrap().clone()
}

/// Registers webhook `id` for `events`; returns its secret.
fn register(s: &mut Service, id: &str, events: Value, schedule: Value) -> Secret {
    let (status, body) = s.admin(
        "PUT",
        &format!("/v1/webhooks/{id}"),
        json!({"url": RECEIVER, "events": events, "retry_schedule_seconds": schedule}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], id);
    assert_eq!(body["url"], RECEIVER);
    Secret::parse(body["secret"].as_str().unwrap()).unwrap()
}

fn open(s: &mut Service, url: &str, ua: &str) -> Response {
    s.answer(Request::new("GET", url).header("user-agent", ua))
}

/// Checks a delivery's signature as a receiver would, and reads its body.
fn verified(secret: &Secret, r: &Received, now: i64) -> Value {
    let id = r.header("webhook-id").unwrap();
    let ts = r.header("webhook-timestamp").unwrap();
    let sig = r.header("webhook-signature").unwrap();
    verify(secret, id, ts, sig, r.body.as_bytes(), now).expect("the signature verifies");
    assert_eq!(r.method, "POST");
    assert_eq!(r.header("content-type"), Some("application/json"));
    serde_json::from_str(&r.body).unwrap()
}

/// Moves the clock to each alarm of the webhooks object and fires it, until none is due by `until`.
fn deliver_until(s: &mut Service, until: i64) {
    while let Some(at) = s.webhooks.alarm.filter(|at| *at <= until) {
        s.now = s.now.max(at);
        s.fire_alarms();
    }
}

#[test]
fn a_number_image_is_answered_first_and_its_open_is_delivered_signed() {
    let mut s = Service::new();
    let tokens = pool(&mut s);
    let secret = register(
        &mut s,
        "crm",
        json!(["open.human", "open.machine"]),
        json!([1, 1]),
    );

    let image = open(&mut s, tokens[0]["number"].as_str().unwrap(), DESKTOP);
    assert_eq!(image.status, 200);
    assert_eq!(image.header_value("content-type"), Some("image/png"));
    // The enqueue is work after the response: nothing reached the webhooks object yet.
    assert_eq!(s.after.len(), 1);
    assert!(s.webhook_commands.iter().all(|c| !c.contains("enqueue")));
    s.finish();
    assert_eq!(s.webhooks.alarm, Some(NOW), "due at once");
    assert!(
        s.receiver.received.is_empty(),
        "deliveries go out on the alarm"
    );

    deliver_until(&mut s, NOW);
    assert_eq!(s.receiver.received.len(), 1);
    let r = &s.receiver.received[0];
    assert_eq!(r.url, RECEIVER);
    let body = verified(&secret, r, NOW);
    assert_eq!(body["type"], "open.human");
    assert_eq!(body["timestamp"], "2027-01-15T08:00:00Z");
    let data = &body["data"];
    assert_eq!(data["pool"], "p1");
    assert_eq!(data["campaign"], "c1");
    assert_eq!(data["recipient"], "a");
    assert_eq!(data["number"], "+14155550101");
    assert_eq!(data["device"], "desktop");
    assert_eq!(data["opener"], "person");
    assert_eq!(data["source"], "number");
    assert!(r.header("webhook-id").unwrap().starts_with("msg_"));
    assert_eq!(
        s.webhooks.engine.outbox().next_alarm(),
        None,
        "delivered: nothing pending (the lease's alarm may still fire, and finds nothing to do)"
    );

    // A pixel fetched by Gmail's proxy: open.machine, no number, the proxy named.
    let pixel = open(&mut s, tokens[1]["open"].as_str().unwrap(), GMAIL_PROXY);
    assert_eq!(pixel.header_value("content-type"), Some("image/gif"));
    s.finish();
    deliver_until(&mut s, NOW);
    let body = verified(&secret, &s.receiver.received[1], NOW);
    assert_eq!(body["type"], "open.machine");
    assert_eq!(body["data"]["recipient"], "b");
    assert!(body["data"].get("number").is_none());
    assert!(body["data"]["proxy"].is_string(), "{body}");
    assert_ne!(
        s.receiver.received[0].header("webhook-id"),
        s.receiver.received[1].header("webhook-id"),
        "every event has its own id"
    );

    // A click answers its redirect or page first, then announces itself.
    let click = open(&mut s, tokens[0]["click"].as_str().unwrap(), DESKTOP);
    assert_eq!(click.status, 200);
    assert_eq!(s.after.len(), 1);
    s.finish();
    deliver_until(&mut s, NOW);
    let body = verified(&secret, &s.receiver.received[2], NOW);
    assert_eq!(body["data"]["source"], "click");
    assert_eq!(body["data"]["number"], "+14155550101");
}

#[test]
fn failed_attempts_are_retried_with_the_same_id_and_listed() {
    let mut s = Service::new();
    let tokens = pool(&mut s);
    let secret = register(&mut s, "crm", json!(["open.human"]), json!([1, 1]));
    s.receiver.script.extend([500, 0, 200]);
    open(&mut s, tokens[0]["number"].as_str().unwrap(), DESKTOP);
    s.finish();
    deliver_until(&mut s, NOW + 10);

    let got = &s.receiver.received;
    assert_eq!(got.len(), 3, "500, a network error, then 200");
    let id = got[0].header("webhook-id").unwrap().to_owned();
    for (i, r) in got.iter().enumerate() {
        assert_eq!(r.header("webhook-id"), Some(id.as_str()), "attempt {i}");
        assert_eq!(r.body, got[0].body, "same bytes every attempt");
        let ts: i64 = r.header("webhook-timestamp").unwrap().parse().unwrap();
        assert_eq!(ts, NOW + i as i64, "each retry one second after the last");
        verified(&secret, r, ts);
    }

    let (status, listed) = s.admin("GET", "/v1/webhooks/crm/deliveries", Value::Null);
    assert_eq!(status, 200, "{listed}");
    let deliveries = listed["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 1);
    let d = &deliveries[0];
    assert_eq!(d["event"], id.as_str());
    assert_eq!(d["state"], "delivered");
    let attempts = d["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 3);
    assert_eq!(attempts[0]["status"], 500);
    assert!(attempts[1]["error"].as_str().unwrap().contains("refused"));
    assert_eq!(attempts[2]["status"], 200);
}

#[test]
fn an_exhausted_schedule_disables_the_webhook_and_a_replay_needs_it_re_enabled() {
    let mut s = Service::new();
    let tokens = pool(&mut s);
    register(&mut s, "crm", json!(["open.human"]), json!([1]));
    s.receiver.script.extend([503, 503]);
    open(&mut s, tokens[0]["number"].as_str().unwrap(), DESKTOP);
    s.finish();
    deliver_until(&mut s, NOW + 10);
    assert_eq!(s.receiver.received.len(), 2);

    let (status, endpoint) = s.admin("GET", "/v1/webhooks/crm", Value::Null);
    assert_eq!(status, 200);
    assert!(
        endpoint.get("secret").is_none(),
        "GET never shows the secret"
    );
    let reason = endpoint["disabled"]["reason"].as_str().unwrap();
    assert!(reason.contains("HTTP 503"), "{reason}");
    let event_id = s.receiver.received[0]
        .header("webhook-id")
        .unwrap()
        .to_owned();

    let (status, body) = s.admin(
        "POST",
        "/v1/webhooks/crm/replay",
        json!({"event_id": event_id}),
    );
    assert_eq!(status, 409, "{body}");

    // PUT again re-enables it with the same secret; the replay goes out with the same id.
    register(&mut s, "crm", json!(["open.human"]), json!([1]));
    let (status, body) = s.admin(
        "POST",
        "/v1/webhooks/crm/replay",
        json!({"event_id": event_id}),
    );
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["event_id"], event_id.as_str());
    let now = s.now;
    deliver_until(&mut s, now);
    let last = s.receiver.received.last().unwrap();
    assert_eq!(last.header("webhook-id"), Some(event_id.as_str()));
    assert_eq!(last.status, 200);

    let (status, body) = s.admin(
        "POST",
        "/v1/webhooks/crm/replay",
        json!({"event_id": "msg_nope"}),
    );
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (404, Some("event"))
    );
}

#[test]
fn pool_alerts_follow_the_pools_reply_at_most_once_an_hour() {
    let mut s = Service::new();
    let tokens = pool(&mut s);
    register(
        &mut s,
        "ops",
        json!(["pool.pressure", "pool.exhausted"]),
        json!([60]),
    );
    for t in &tokens {
        open(&mut s, t["number"].as_str().unwrap(), DESKTOP);
        s.finish();
    }
    // A fourth open of the exhausted pool within the hour announces nothing new.
    open(&mut s, tokens[2]["number"].as_str().unwrap(), DESKTOP);
    s.finish();
    deliver_until(&mut s, NOW);
    let types: Vec<String> = s
        .receiver
        .received
        .iter()
        .map(|r| {
            serde_json::from_str::<Value>(&r.body).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(types, ["pool.pressure", "pool.exhausted"], "{types:?}");
    let exhausted: Value = serde_json::from_str(&s.receiver.received[1].body).unwrap();
    assert_eq!(exhausted["data"]["outcome"], "fallback");
    assert_eq!(exhausted["data"]["number"], "+14155550100");
}

#[test]
fn deliveries_survive_a_reload_from_versioned_rows() {
    let mut s = Service::new();
    let tokens = pool(&mut s);
    register(&mut s, "crm", json!(["open.human"]), json!([1, 1]));
    s.receiver.script.push_back(500);
    open(&mut s, tokens[0]["number"].as_str().unwrap(), DESKTOP);
    s.finish();
    deliver_until(&mut s, NOW);
    assert_eq!(s.receiver.received.len(), 1);

    let rows = s
        .webhooks
        .store
        .query("SELECT kind, value FROM webhook_rows");
    for row in rows.as_array().unwrap() {
        let value: Value = serde_json::from_str(row["value"].as_str().unwrap()).unwrap();
        assert_eq!(value["version"], 1, "{row}");
    }
    // Evicted between attempts: the retry still goes out, from storage.
    s.webhooks.reload();
    deliver_until(&mut s, NOW + 5);
    assert_eq!(s.receiver.received.len(), 2);
    assert_eq!(
        s.receiver.received[0].header("webhook-id"),
        s.receiver.received[1].header("webhook-id")
    );
    assert_eq!(s.receiver.received[1].status, 200);
}

#[test]
fn routes_validate_their_input_and_name_the_field() {
    let mut s = Service::new();
    let (status, body) = s.admin("GET", "/v1/webhooks/nope", Value::Null);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let (status, _) = s.admin("DELETE", "/v1/webhooks/nope", Value::Null);
    assert_eq!(status, 404);
    let (status, body) = s.admin(
        "PUT",
        "/v1/webhooks/bad%20id",
        json!({"url": RECEIVER, "events": ["open.human"]}),
    );
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("id")));
    let (status, body) = s.admin(
        "PUT",
        "/v1/webhooks/a",
        json!({"url": RECEIVER, "events": ["open.sideways"]}),
    );
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("events[0]"))
    );
    let (status, _) = s.admin("POST", "/v1/webhooks/a", Value::Null);
    assert_eq!(status, 405);
    let (status, body) = s.admin("GET", "/v1/webhooks/a/deliveries?limit=0", Value::Null);
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("limit"))
    );

    register(&mut s, "a", json!(["call.started"]), json!([5]));
    let (status, body) = s.admin("GET", "/v1/webhooks/a/deliveries?limit=5", Value::Null);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["deliveries"], json!([]));
    let (status, body) = s.admin("DELETE", "/v1/webhooks/a", Value::Null);
    assert_eq!((status, &body["deleted"]), (200, &json!(true)));
    let (status, _) = s.admin("GET", "/v1/webhooks/a", Value::Null);
    assert_eq!(status, 404);
    // No token, no webhooks.
    let r = s.run(Request::new("GET", &format!("{BASE}/v1/webhooks/a")));
    assert_eq!(r.status, 401);
}

#[test]
fn private_receivers_are_refused_unless_the_deployment_allows_them() {
    let private = json!({"url": "http://127.0.0.1:8080/hook", "events": ["open.human"]});
    let mut s = Service::new();
    let (status, body) = s.admin("PUT", "/v1/webhooks/local", private.clone());
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("url")),
        "{body}"
    );
    assert!(s.webhook_commands.is_empty(), "refused before the object");
    for url in [
        "https://10.0.0.1/h",
        "https://localhost/h",
        "https://[::1]/h",
        "https://169.254.169.254/latest",
    ] {
        let (status, body) = s.admin(
            "PUT",
            "/v1/webhooks/local",
            json!({"url": url, "events": ["open.human"]}),
        );
        assert_eq!(status, 422, "{url}: {body}");
    }

    let mut s = Service::with_private_webhooks();
    let (status, body) = s.admin("PUT", "/v1/webhooks/local", private);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["url"], "http://127.0.0.1:8080/hook");
}

#[test]
fn opens_without_webhooks_store_nothing_in_the_webhooks_object() {
    let mut s = Service::new();
    let tokens = pool(&mut s);
    open(&mut s, tokens[0]["number"].as_str().unwrap(), DESKTOP);
    s.finish();
    assert_eq!(s.webhook_commands.len(), 1, "the open was offered");
    assert!(
        s.webhooks.store.table_counts().is_empty(),
        "and nothing stored"
    );
    assert_eq!(s.webhooks.alarm, None);
    // The answer said nobody wants anything: for the next 30 s this isolate
    // sends nothing more, however many opens come (a blast's opens must not
    // all queue on the one webhooks object).
    for t in &tokens {
        for kind in ["open", "number", "click"] {
            open(&mut s, t[kind].as_str().unwrap(), DESKTOP);
        }
    }
    s.finish();
    assert_eq!(s.webhook_commands.len(), 1, "{:?}", s.webhook_commands);
    // Registering an endpoint here forgets that: the next open is offered and delivered.
    register(&mut s, "crm", json!(["open.human"]), Value::Null);
    let before = s.webhook_commands.len();
    open(&mut s, tokens[1]["number"].as_str().unwrap(), DESKTOP);
    s.finish();
    assert_eq!(s.webhook_commands.len(), before + 1);
    deliver_until(&mut s, NOW + 60);
    assert_eq!(s.receiver.received.len(), 1, "delivered");
}
