//! The whole request path natively: the edge's plans carried out against the
//! real Durable Object engines in process (the adapter's loop, in Rust).
//! Fast feedback for every route; `tests/e2e` runs the same flows in workerd.
#![cfg(not(target_arch = "wasm32"))]

use ringmark::edge::{Edge, EdgeConfig, Forward, Step, Target};
use ringmark::http::{Request, Response};
use ringmark::objects::{DirectoryObject, PoolObject};
use serde_json::{Value, json};
use std::collections::HashMap;

const ADMIN: &str = "test-admin-token-0123456789";
const DESKTOP: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148";
const BASE: &str = "https://t.example.com";

/// The edge and the objects of one deployment.
struct Service {
    edge: Edge,
    pools: HashMap<String, PoolObject>,
    directory: DirectoryObject,
    now: i64,
}

impl Service {
    fn new() -> Self {
        Service {
            edge: Edge::new(&EdgeConfig {
                signing_key: "test-signing-key-0123456789".into(),
                admin_token: ADMIN.into(),
                ..EdgeConfig::default()
            }),
            pools: HashMap::new(),
            directory: DirectoryObject::default(),
            now: 1_800_000_000,
        }
    }

    /// Sends a command where the adapter would.
    fn deliver(&mut self, forward: &Forward) -> (u16, String) {
        let outcome = match &forward.target {
            Target::Pool(name) => self
                .pools
                .entry(name.clone())
                .or_insert_with(PoolObject::empty)
                .handle(&forward.command, self.now),
            Target::Directory => self.directory.handle(&forward.command, self.now),
        };
        (outcome.status, outcome.body)
    }

    fn run(&mut self, request: Request) -> Response {
        let mut step = self.edge.begin(&request);
        loop {
            match step {
                Step::Respond(response) => return response,
                Step::Forward(forward) => {
                    let (status, body) = self.deliver(&forward);
                    step = self.edge.resume(forward, status, &body);
                }
            }
        }
    }

    fn admin(&mut self, method: &str, path: &str, body: Value) -> (u16, Value) {
        let mut request = Request::new(method, &format!("{BASE}{path}"))
            .header("authorization", &format!("Bearer {ADMIN}"));
        if !body.is_null() {
            request = request.body(body.to_string());
        }
        let response = self.run(request);
        let json = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        (response.status, json)
    }

    fn fetch(&mut self, url: &str, ua: &str) -> Response {
        self.run(Request::new("GET", url).header("user-agent", ua))
    }
}

fn pool_body() -> Value {
    json!({
        "numbers": ["+14155550101", "+14155550102"],
        "fallback": "+14155550100",
        "lease_seconds": 3600,
        "style": {"label": "Call us"}
    })
}

fn with_pool() -> (Service, Vec<Value>) {
    let mut s = Service::new();
    let (status, body) = s.admin("PUT", "/v1/pools/p1", pool_body());
    assert_eq!(status, 200, "{body}");
    let (status, body) = s.admin(
        "POST",
        "/v1/pools/p1/tokens",
        json!({"campaign": "c1", "recipients": ["a", "b", "c"]}),
    );
    assert_eq!(status, 200, "{body}");
    let tokens = body["tokens"].as_array().unwrap().clone();
    (s, tokens)
}

#[test]
fn numbers_are_sticky_and_the_pool_runs_dry_into_the_fallback() {
    let (mut s, tokens) = with_pool();
    let lease = |s: &mut Service, t: &Value| {
        let r = s.fetch(t["number"].as_str().unwrap(), DESKTOP);
        assert_eq!(r.status, 200);
        r.header_value("x-ringmark-lease").unwrap().to_owned()
    };
    assert_eq!(lease(&mut s, &tokens[0]), "exclusive");
    assert_eq!(lease(&mut s, &tokens[1]), "exclusive");
    assert_eq!(lease(&mut s, &tokens[2]), "fallback");
    let dial = |s: &mut Service, t: &Value| {
        let r = s.fetch(t["click"].as_str().unwrap(), IPHONE);
        assert_eq!(r.status, 302);
        r.header_value("location").unwrap().to_owned()
    };
    let first = dial(&mut s, &tokens[0]);
    s.now += 600;
    assert_eq!(
        dial(&mut s, &tokens[0]),
        first,
        "same recipient, same number"
    );
    assert_ne!(dial(&mut s, &tokens[1]), first);
    assert_eq!(dial(&mut s, &tokens[2]), "tel:+14155550100");
}

#[test]
fn a_refused_pool_configuration_is_undone_in_the_directory() {
    let mut s = Service::new();
    let request = Request::new("PUT", &format!("{BASE}/v1/pools/p2"))
        .header("authorization", &format!("Bearer {ADMIN}"))
        .body(pool_body().to_string());
    let Step::Forward(claim) = s.edge.begin(&request) else {
        panic!("a valid PUT claims its numbers first");
    };
    assert_eq!(claim.target, Target::Directory);
    let (status, body) = s.deliver(&claim);
    let Step::Forward(configure) = s.edge.resume(claim, status, &body) else {
        panic!("then configures the pool");
    };
    assert!(matches!(configure.target, Target::Pool(ref p) if p == "p2"));
    // The pool refuses (as it would on storage trouble): the edge must undo the claim.
    let Step::Forward(restore) = s.edge.resume(configure, 500, r#"{"error":"disk full"}"#) else {
        panic!("a refused configuration is rolled back");
    };
    assert_eq!(restore.target, Target::Directory);
    let (status, body) = s.deliver(&restore);
    let Step::Respond(response) = s.edge.resume(restore, status, &body) else {
        panic!("and the failure is answered");
    };
    assert_eq!(response.status, 500);
    let lookup = s
        .directory
        .handle(r#"{"op":"lookup","number":"+14155550101"}"#, s.now);
    assert_eq!(lookup.status, 404, "the claim left nothing behind");
    // So the numbers are free for a pool that works.
    assert_eq!(s.admin("PUT", "/v1/pools/p3", pool_body()).0, 200);
}

#[test]
fn admin_routes_answer_json_errors() {
    let mut s = Service::new();
    let cases = [
        ("GET", "/v1/nothing", Value::Null, 404, "not_found"),
        (
            "DELETE",
            "/v1/pools/p1",
            Value::Null,
            405,
            "method_not_allowed",
        ),
        (
            "GET",
            "/v1/pools/bad%20name",
            Value::Null,
            422,
            "invalid_field",
        ),
        ("GET", "/v1/pools/missing", Value::Null, 404, "unknown_pool"),
        (
            "POST",
            "/v1/calls",
            json!({"to": "+14155550101"}),
            400,
            "bad_json",
        ),
        (
            "POST",
            "/v1/calls",
            json!({"to": "555", "at": 0}),
            422,
            "invalid_number",
        ),
        (
            "POST",
            "/v1/calls",
            json!({"to": "+14155550101", "at": 0}),
            404,
            "unknown_number",
        ),
    ];
    for (method, path, body, status, code) in cases {
        let (got, json) = s.admin(method, path, body);
        assert_eq!(got, status, "{method} {path}: {json}");
        assert_eq!(json["error"]["code"], code, "{method} {path}");
        assert!(
            json["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    let unauthorised = s.run(Request::new("GET", &format!("{BASE}/v1/pools/p1")));
    assert_eq!(unauthorised.status, 401);
}

#[test]
fn calls_are_attributed_with_rfc3339_times() {
    let (mut s, tokens) = with_pool();
    s.fetch(tokens[1]["number"].as_str().unwrap(), DESKTOP);
    let number = s.fetch(tokens[1]["click"].as_str().unwrap(), IPHONE);
    let to = number
        .header_value("location")
        .unwrap()
        .trim_start_matches("tel:")
        .to_owned();
    let (status, body) = s.admin(
        "POST",
        "/v1/calls",
        json!({"to": to, "at": "2027-01-15T08:00:00Z"}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["pool"], "p1");
    assert_eq!(body["recipient"], "b");
    assert_eq!(body["campaign"], "c1");
    // The device of the recipient's latest human signal: the click came from an iPhone.
    assert_eq!(body["device"], "smartphone");
    assert!(body["confidence"].as_f64().unwrap() > 0.5);
}

#[test]
fn snippet_gives_html_with_the_fallback_in_alt_text_and_a_csv() {
    let (mut s, _) = with_pool();
    let (status, body) = s.admin(
        "POST",
        "/v1/pools/p1/snippet",
        json!({"platform": "mailchimp", "campaign": "c1", "recipients": ["a", "b"]}),
    );
    assert_eq!(status, 200, "{body}");
    let html = body["html"].as_str().unwrap();
    assert!(html.contains("alt=\"Call (415) 555-0100\""), "{html}");
    assert!(html.contains(&format!("src=\"{BASE}/n/*|RM_TOKEN|*.png\"")));
    let (w, h) = (
        body["width"].as_u64().unwrap(),
        body["height"].as_u64().unwrap(),
    );
    assert!(html.contains(&format!("width=\"{w}\" height=\"{h}\"")));
    let csv = body["csv"].as_str().unwrap();
    assert!(csv.starts_with("recipient,RM_TOKEN\r\na,"), "{csv}");
    assert_eq!(csv.lines().count(), 3);
    let (status, _) = s.admin(
        "POST",
        "/v1/pools/p1/snippet",
        json!({"platform": "myspace"}),
    );
    assert_eq!(status, 400);
    let (status, _) = s.admin("POST", "/v1/pools/p1/snippet", json!({"campaign": "c1"}));
    assert_eq!(status, 422, "campaign without recipients is refused");
}

#[test]
fn sizing_uses_the_pools_lease_and_reports_live_use() {
    let (mut s, _) = with_pool();
    let (status, body) = s.admin("GET", "/v1/pools/p1/sizing?recipients=100000", Value::Null);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["input"]["lease_seconds"], json!(3600));
    assert!(body["recommendation"].is_object());
    assert_eq!(body["live"]["numbers"], 2);
    let (status, body) = s.admin("GET", "/v1/pools/p1/sizing?recipients=lots", Value::Null);
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "recipients");
}

#[test]
fn a_pool_object_reloads_to_the_same_answers() {
    // What the adapter does after a restart: replay the stored rows.
    let mut pool = PoolObject::empty();
    let configure = json!({"op": "configure", "settings": {
        "config": {"numbers": ["+14155550101", "+14155550102"], "fallback": "+14155550100", "lease_seconds": 3600},
        "displays": {}, "style": {}
    }});
    let mut kv: HashMap<String, String> = HashMap::new();
    let mut events: Vec<(i64, String)> = Vec::new();
    let mut apply = |outcome: &ringmark::objects::Outcome| {
        for w in &outcome.writes {
            let p = &w.params;
            if w.sql.starts_with("INSERT OR REPLACE INTO kv") {
                let key = w.sql.split('\'').nth(1).unwrap().to_owned();
                kv.insert(key, p[0].as_str().unwrap().to_owned());
            } else if w.sql.starts_with("INSERT INTO events") {
                events.push((p[0].as_i64().unwrap(), p[2].as_str().unwrap().to_owned()));
            }
        }
    };
    apply(&pool.handle(&configure.to_string(), 100));
    let open = |r: &str| {
        json!({"op": "open", "campaign": "c", "recipient": r, "kind": "number",
               "opener": {"device": "desktop", "opener": "person", "client": null, "proxy": null, "machine": false}})
        .to_string()
    };
    let mut answers = Vec::new();
    for (i, r) in ["a", "b", "c", "a"].iter().enumerate() {
        let out = pool.handle(&open(r), 200 + i as i64);
        apply(&out);
        answers.push(out.body);
    }
    let snapshot_seq: i64 = kv
        .get("snapshot_seq")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut rows: Vec<Value> = kv
        .iter()
        .map(|(k, v)| json!({"t": "kv", "a": k, "b": v}))
        .collect();
    rows.extend(
        events
            .iter()
            .filter(|(seq, _)| *seq > snapshot_seq)
            .map(|(seq, body)| json!({"t": "ev", "a": seq, "b": body})),
    );
    let mut reloaded = PoolObject::load(&Value::Array(rows).to_string()).unwrap();
    let state = |p: &mut PoolObject| {
        let v: Value = serde_json::from_str(&p.handle(r#"{"op":"state"}"#, 300).body).unwrap();
        (v["live"].clone(), v["opens"].clone())
    };
    assert_eq!(state(&mut reloaded), state(&mut pool));
    let next = reloaded.handle(&open("b"), 400);
    assert_eq!(next.body, pool.handle(&open("b"), 400).body);
}
