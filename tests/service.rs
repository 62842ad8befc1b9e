//! The whole request path natively: the edge's plans carried out against the
//! real Durable Object engines in process (the adapter's loop, in Rust).
//! Fast feedback for every route; `tests/e2e` runs the same flows in workerd.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use support::{ADMIN, BASE, NOW, Service};

use ringmark::edge::{Effect, EffectResult, Target};
use ringmark::http::{Request, Response};
use ringmark::protocol::{
    Configured, DirectoryCommand, DirectoryEntry, ObjectErrorCode, read_answer,
};
use serde_json::{Value, json};

const DESKTOP: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148";

impl Service {
    /// The edge's first step for an admin request, asserting it answers at once
    /// (refused before any object is asked, so nothing can have been written).
    fn refused_at_once(&self, method: &str, path: &str, body: &str) -> (u16, Value) {
        let request = Request::new(method, &format!("{BASE}{path}"))
            .header("authorization", &format!("Bearer {ADMIN}"))
            .body(body);
        let step = self.edge.begin(&request);
        assert!(
            step.effects.is_empty(),
            "{method} {path} {body}: reached an object: {:?}",
            step.effects
        );
        let r = step.response.expect("an answer");
        (r.status, serde_json::from_slice(&r.body).unwrap())
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
    let claim = s.edge.begin(&request);
    let [Effect::Object { target, .. }] = claim.effects.as_slice() else {
        panic!("a valid PUT claims its numbers first");
    };
    assert_eq!(*target, Target::Directory);
    let configure = s.advance(claim);
    let [Effect::Object { target, .. }] = configure.effects.as_slice() else {
        panic!("then configures the pool");
    };
    assert_eq!(*target, Target::Pool("p2".into()));
    // The pool can't be reached (as on storage trouble): the edge must undo the claim.
    let restore = s
        .edge
        .resume(configure, vec![EffectResult::failed("disk full")]);
    let [Effect::Object { target, .. }] = restore.effects.as_slice() else {
        panic!("a refused configuration is rolled back");
    };
    assert_eq!(*target, Target::Directory);
    let response = s
        .advance(restore)
        .response
        .expect("and the failure is answered");
    assert_eq!(response.status, 500);
    let lookup = s.directory.handle(
        DirectoryCommand::Lookup {
            number: "+14155550101".into(),
        },
        s.now,
    );
    assert_eq!(
        read_answer::<DirectoryEntry>(&lookup.answer)
            .unwrap_err()
            .code,
        ObjectErrorCode::UnknownNumber,
        "the claim left nothing behind"
    );
    // So the numbers are free for a pool that works.
    assert_eq!(s.admin("PUT", "/v1/pools/p3", pool_body()).0, 200);
}

#[test]
fn admin_routes_answer_json_errors() {
    let mut s = Service::new();
    let cases = [
        ("GET", "/v1/nothing", Value::Null, 404, "not_found"),
        (
            "PATCH",
            "/v1/pools/p1",
            Value::Null,
            405,
            "method_not_allowed",
        ),
        ("DELETE", "/v1/pools/p1", Value::Null, 404, "unknown_pool"),
        (
            "PUT",
            "/v1/pools/huge",
            json!({"numbers": (0..20_001).map(|i| format!("+1415{i:07}")).collect::<Vec<_>>(),
                   "fallback": "+14159999999", "lease_seconds": 3600}),
            422,
            "invalid_field",
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
            json!({"to": "555", "at": NOW}),
            422,
            "invalid_number",
        ),
        (
            "POST",
            "/v1/calls",
            json!({"to": "+14155550101", "at": NOW}),
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
    // What the platform does after evicting an object: a fresh engine loaded from the rows
    // its SQL left in storage must answer exactly as the one that wrote them.
    let history = |s: &mut Service, tokens: &[Value]| {
        for (i, t) in tokens.iter().chain(&tokens[..1]).enumerate() {
            s.now = NOW + 100 * i as i64;
            let ua = if i % 2 == 0 { DESKTOP } else { IPHONE };
            s.fetch(t["open"].as_str().unwrap(), ua);
            s.fetch(t["number"].as_str().unwrap(), ua);
        }
        s.now += 60;
    };
    let (mut kept, tokens) = with_pool();
    let (mut reloaded, _) = with_pool();
    history(&mut kept, &tokens);
    history(&mut reloaded, &tokens);
    reloaded.pools.get_mut("p1").unwrap().reload();
    let state = |s: &mut Service| s.admin("GET", "/v1/pools/p1", Value::Null);
    assert_eq!(state(&mut reloaded), state(&mut kept));
    for t in &tokens {
        let url = t["number"].as_str().unwrap();
        let (a, b) = (kept.fetch(url, DESKTOP), reloaded.fetch(url, DESKTOP));
        assert_eq!((a.headers, a.body), (b.headers, b.body));
    }
}

/// Asserts a 4xx JSON error naming `field`.
fn assert_refused(answer: (u16, Value), status: u16, field: &str, what: &str) {
    let (got, body) = answer;
    assert_eq!(got, status, "{what}: {body}");
    assert_eq!(body["error"]["field"], field, "{what}: {body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with(&format!("{field}: ")),
        "{what}: {message}"
    );
}

#[test]
fn call_times_outside_a_sane_window_are_refused_naming_the_field() {
    let s = Service::new();
    let year = 366 * 86_400;
    for at in [
        json!("2026-11-23T10:15:0éZ"), // once a slice inside 'é': a panic, a trapped module, a 500
        json!("2026-11-23T10:15:00é"),
        json!("ééééééééééééééééééééé"),
        json!("NaN"),
        json!(1e30),
        json!(-1e30),
        json!(-1),
        json!(0),
        json!(u64::MAX),
        json!(NOW - year - 1),
        json!(NOW + 86_401),
        json!("2020-01-01T00:00:00Z"),
        json!(null),
        json!([]),
    ] {
        let body = json!({"to": "+14155550101", "at": at}).to_string();
        let answer = s.refused_at_once("POST", "/v1/calls", &body);
        assert_refused(answer, 422, "at", &body);
    }
    // The raw text too: 1e30 is a float literal serde reads as f64.
    let answer = s.refused_at_once("POST", "/v1/calls", r#"{"to": "+14155550101", "at": 1e30}"#);
    assert_refused(answer, 422, "at", "1e30");
    for duration in [
        json!(86_401),
        json!(-1),
        json!(1.5),
        json!("60"),
        json!(1e30),
    ] {
        let body = json!({"to": "+14155550101", "at": NOW, "duration": duration}).to_string();
        assert_refused(
            s.refused_at_once("POST", "/v1/calls", &body),
            422,
            "duration",
            &body,
        );
    }
}

#[test]
fn calls_inside_the_window_are_attributed() {
    let (mut s, tokens) = with_pool();
    s.fetch(tokens[0]["number"].as_str().unwrap(), DESKTOP);
    let to = s
        .fetch(tokens[0]["click"].as_str().unwrap(), IPHONE)
        .header_value("location")
        .unwrap()
        .trim_start_matches("tel:")
        .to_owned();
    for (at, duration) in [
        (json!(NOW + 86_400), json!(86_400)),
        (json!(NOW as f64 + 0.5), json!(0)),
        (json!("2027-01-15T09:00:00+01:00"), Value::Null),
    ] {
        let (status, body) = s.admin(
            "POST",
            "/v1/calls",
            json!({"to": to, "at": at, "duration": duration}),
        );
        assert_eq!(status, 200, "{at}: {body}");
        assert_eq!(body["recipient"], "a");
    }
}

#[test]
fn absurd_sizing_inputs_are_refused_at_once_naming_the_field() {
    // Refused before any object is asked (`refused_at_once`), so no sizing maths runs.
    let s = Service::new();
    for (query, status, field) in [
        ("recipients=1000000000000000000", 422, "recipients"),
        ("recipients=100000001", 422, "recipients"),
        ("recipients=0", 422, "recipients"),
        ("recipients=-5", 422, "recipients"),
        ("recipients=1.5", 422, "recipients"),
        ("recipients=1e400", 422, "recipients"),
        ("recipients=NaN", 422, "recipients"),
        ("recipients=1000&pool_size=4294967295", 422, "pool_size"),
        ("recipients=1000&pool_size=10000001", 422, "pool_size"),
        (
            "recipients=1000&live_leases=99999999999",
            422,
            "live_leases",
        ),
        (
            "recipients=1000&human_open_rate=1.5",
            422,
            "human_open_rate",
        ),
        (
            "recipients=1000&human_open_rate=-0.1",
            422,
            "human_open_rate",
        ),
        (
            "recipients=1000&target_exhaustion=2",
            422,
            "target_exhaustion",
        ),
        ("recipients=1000&target_correct=1.01", 422, "target_correct"),
        ("recipients=1000&target_correct=0.1", 422, "target_correct"),
        (
            "recipients=1000&send_spread_hours=1e9",
            422,
            "send_spread_hours",
        ),
        (
            "recipients=1000&send_spread_hours=-1",
            422,
            "send_spread_hours",
        ),
        ("recipients=1000&lease_seconds=0", 422, "lease_seconds"),
        (
            "recipients=1000&lease_seconds=4294967295",
            422,
            "lease_seconds",
        ),
        (
            "recipients=1000&attribution_window_seconds=99999999",
            422,
            "attribution_window_seconds",
        ),
        ("recipients=1000&recipients=2000", 400, "recipients"),
        ("recipients=1000&pool_sise=3", 400, "pool_sise"),
        ("pool_size=3", 400, "recipients"),
    ] {
        let path = format!("/v1/pools/p1/sizing?{query}");
        assert_refused(s.refused_at_once("GET", &path, ""), status, field, query);
    }
}

#[test]
fn sizing_at_the_largest_accepted_inputs_stays_bounded() {
    let (mut s, _) = with_pool();
    // The work is bounded by the ranges (its cost is measured in BENCHMARKS.md, not here).
    let (status, body) = s.admin(
        "GET",
        "/v1/pools/p1/sizing?recipients=100000000&human_open_rate=1&pool_size=1000000",
        Value::Null,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["input"]["pool_size"], 1_000_000);
    assert!(body["recommendation"]["recommended_size"].as_u64() > Some(0));
}

#[test]
fn an_undrawable_display_is_refused_when_the_pool_is_saved() {
    let mut s = Service::new();
    for (display, what) in [
        (json!("☎ (415) 555-0101"), "characters the font cannot draw"),
        (json!("电话 555 0101"), "characters the font cannot draw"),
        (json!("(415) 555-0101\n"), "characters the font cannot draw"),
        (json!("  "), "empty"),
        (json!("5".repeat(33)), "at most 32"),
    ] {
        let mut body = pool_body();
        body["displays"] = json!({"+14155550101": display});
        let (status, answer) = s.admin("PUT", "/v1/pools/p1", body);
        assert_eq!(status, 422, "{display}: {answer}");
        assert_eq!(answer["error"]["field"], "displays.+14155550101");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(what), "{message}");
    }
    let (status, _) = s.admin("GET", "/v1/pools/p1", Value::Null);
    assert_eq!(status, 404, "no refused PUT created the pool");
    // A display the font can draw is kept, and the snippet sizes its box from it.
    let mut body = pool_body();
    body["displays"] = json!({"+14155550100": "415·555·0100 (Zürich)"});
    assert_eq!(s.admin("PUT", "/v1/pools/p1", body).0, 200);
    let (status, answer) = s.admin("POST", "/v1/pools/p1/snippet", json!({}));
    assert_eq!(status, 200, "{answer}");
    assert!(
        answer["html"]
            .as_str()
            .unwrap()
            .contains("Call 415·555·0100 (Zürich)")
    );
}

#[test]
fn a_stored_undrawable_display_names_itself_in_the_snippet_answer() {
    // A pool saved before displays were checked: configured on the object directly.
    let mut s = Service::new();
    let configure = json!({"op": "configure", "settings": {
        "config": {"numbers": ["+14155550101"], "fallback": "+14155550100", "lease_seconds": 3600},
        "displays": {"+14155550100": "☎ 555 0100"}, "style": {}
    }});
    let out = s
        .pools
        .entry("old".into())
        .or_default()
        .engine
        .handle_json(&configure.to_string(), NOW);
    assert!(
        read_answer::<Configured>(&out.answer).is_ok(),
        "{}",
        out.answer
    );
    let (status, body) = s.admin("POST", "/v1/pools/old/snippet", json!({}));
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "displays.+14155550100");
}

#[test]
fn duplicate_keys_are_refused_in_every_admin_body() {
    let (mut s, _) = with_pool();
    for (method, path, body, field) in [
        (
            "PUT",
            "/v1/pools/p2",
            r#"{"numbers": ["+14155550111"], "fallback": "+14155550110", "lease_seconds": 3600, "lease_seconds": 60}"#,
            "lease_seconds",
        ),
        (
            "PUT",
            "/v1/pools/p2",
            r#"{"numbers": ["+14155550111"], "fallback": "+14155550110", "lease_seconds": 3600,
                "style": {"label": "Call us", "label": "Call ☎"}}"#,
            "style.label",
        ),
        (
            "PUT",
            "/v1/pools/p2",
            r#"{"numbers": ["+14155550111"], "fallback": "+14155550110", "lease_seconds": 3600,
                "displays": {"+14155550111": "(415) 555-0111", "+14155550111": "☎"}}"#,
            "displays.+14155550111",
        ),
        (
            "POST",
            "/v1/pools/p1/tokens",
            r#"{"campaign": "c1", "recipients": ["a"], "campaign": "c2"}"#,
            "campaign",
        ),
        (
            "POST",
            "/v1/calls",
            r#"{"to": "+14155550101", "at": 1800000000, "at": 1e30}"#,
            "at",
        ),
        (
            "POST",
            "/v1/pools/p1/snippet",
            r#"{"platform": "mailchimp", "platform": "braze"}"#,
            "platform",
        ),
    ] {
        let (status, answer) = s.admin_raw(method, path, body);
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["error"]["code"], "bad_json", "{body}");
        assert_eq!(answer["error"]["field"], field, "{body}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .contains("duplicate key"),
            "{answer}"
        );
    }
    let (status, _) = s.admin("GET", "/v1/pools/p2", Value::Null);
    assert_eq!(status, 404, "no refused PUT created the pool");
}

#[test]
fn the_snippet_csv_defuses_formula_cells() {
    let (mut s, _) = with_pool();
    let recipients = [
        "=cmd|' /C calc'!A0",
        "+14155550123",
        "-1+2",
        "@SUM(A1:A9)",
        "\t=1",
        "\r=1",
        "plain@example.com",
    ];
    let (status, body) = s.admin(
        "POST",
        "/v1/pools/p1/snippet",
        json!({"platform": "plain", "campaign": "c1", "recipients": recipients}),
    );
    assert_eq!(status, 200, "{body}");
    let csv = body["csv"].as_str().unwrap();
    let rows: Vec<&str> = csv.split("\r\n").filter(|r| !r.is_empty()).collect();
    let fields: Vec<&str> = rows
        .iter()
        .skip(1)
        .map(|r| r.rsplit_once(',').unwrap().0)
        .collect();
    assert_eq!(
        fields,
        [
            "'=cmd|' /C calc'!A0",
            "'+14155550123",
            "'-1+2",
            "'@SUM(A1:A9)",
            "'\t=1",
            "\"'\r=1\"",
            "plain@example.com",
        ],
        "{csv}"
    );
    for row in rows.iter().skip(1) {
        let token = row.rsplit_once(',').unwrap().1;
        assert!(
            !token.starts_with(ringmark::snippet::FORMULA_TRIGGERS),
            "tokens never need defusing: {token}"
        );
    }
}

#[test]
fn the_pool_list_shows_every_pool_with_its_figures_a_page_at_a_time() {
    let mut s = Service::new();
    let (status, body) = s.admin("GET", "/v1/pools", Value::Null);
    assert_eq!((status, &body["pools"]), (200, &json!([])), "{body}");
    for i in 0..101 {
        let pool = json!({"numbers": [format!("+1415556{i:04}")], "fallback": format!("+1415557{i:04}"),
                          "lease_seconds": 3600});
        let (status, body) = s.admin("PUT", &format!("/v1/pools/p{i:03}"), pool);
        assert_eq!(status, 200, "{body}");
    }
    let (status, first) = s.admin("GET", "/v1/pools", Value::Null);
    assert_eq!(status, 200, "{first}");
    let pools = first["pools"].as_array().unwrap();
    assert_eq!(pools.len(), 100);
    assert_eq!(pools[0]["pool"], "p000");
    assert_eq!(pools[0]["numbers"], 1);
    assert_eq!(pools[0]["fallback"], "+14155570000");
    assert_eq!(first["more"], true);
    assert_eq!(first["next_after"], "p099");
    let (_, second) = s.admin("GET", "/v1/pools?after=p099", Value::Null);
    assert_eq!(second["pools"].as_array().unwrap().len(), 1);
    assert_eq!(second["pools"][0]["pool"], "p100");
    assert_eq!(second["more"], false);
    let (status, body) = s.admin("GET", "/v1/pools?after=../x", Value::Null);
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("after")),
        "{body}"
    );
    let (status, body) = s.admin("GET", "/v1/pools?limit=5", Value::Null);
    assert_eq!(
        (status, &body["error"]["field"]),
        (400, &json!("limit")),
        "{body}"
    );
}

#[test]
fn the_pool_list_and_the_campaigns_route_name_each_pools_campaigns_and_when_it_was_created() {
    let (mut s, _) = with_pool();
    let later = s.now + 7_200;
    s.now = later;
    let (status, body) = s.admin(
        "POST",
        "/v1/pools/p1/tokens",
        json!({"campaign": "c0", "recipients": ["z"]}),
    );
    assert_eq!(status, 200, "{body}");
    // A reconfiguration keeps the creation time.
    let (status, body) = s.admin("PUT", "/v1/pools/p1", pool_body());
    assert_eq!(status, 200, "{body}");

    let (status, list) = s.admin("GET", "/v1/pools", Value::Null);
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["pools"][0]["campaigns"], json!(["c0", "c1"]), "{list}");
    assert_eq!(list["pools"][0]["created_at"], NOW, "{list}");
    let (_, state) = s.admin("GET", "/v1/pools/p1", Value::Null);
    assert_eq!(state["created_at"], NOW, "{state}");

    let (status, body) = s.admin("GET", "/v1/pools/p1/campaigns", Value::Null);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["campaigns"],
        json!([
            {"campaign": "c0", "recipients": 1, "first_issued": later},
            {"campaign": "c1", "recipients": 3, "first_issued": NOW},
        ]),
        "{body}"
    );
    let (status, body) = s.admin("GET", "/v1/pools/nope/campaigns", Value::Null);
    assert_eq!(
        (status, &body["error"]["code"]),
        (404, &json!("unknown_pool")),
        "{body}"
    );
    let (status, _) = s.admin("POST", "/v1/pools/p1/campaigns", json!({}));
    assert_eq!(status, 405);
}

#[test]
fn a_pool_past_max_holders_shows_new_recipients_the_fallback_and_keeps_serving_its_own() {
    let mut s = Service::new();
    let body = |max: u32| {
        json!({"numbers": ["+14155550101", "+14155550102", "+14155550103"],
               "fallback": "+14155550100", "lease_seconds": 3600, "max_holders": max})
    };
    let (status, refused) = s.admin("PUT", "/v1/pools/p1", body(0));
    assert_eq!(status, 422, "{refused}");
    assert!(refused.to_string().contains("max_holders"), "{refused}");
    let (status, answer) = s.admin("PUT", "/v1/pools/p1", body(2));
    assert_eq!(status, 200, "{answer}");
    let (_, tokens) = s.admin(
        "POST",
        "/v1/pools/p1/tokens",
        json!({"campaign": "c1", "recipients": ["a", "b", "c"]}),
    );
    let open = |s: &mut Service, i: usize| {
        let url = tokens["tokens"][i]["number"].as_str().unwrap().to_owned();
        s.run(Request::new("GET", &url).header("user-agent", DESKTOP))
    };
    for i in 0..2 {
        assert_eq!(
            open(&mut s, i).header_value("x-ringmark-lease"),
            Some("exclusive")
        );
    }
    let third = open(&mut s, 2);
    assert_eq!(third.status, 200);
    assert_eq!(
        (
            third.header_value("x-ringmark-lease"),
            third.header_value("x-ringmark-exhausted")
        ),
        (Some("fallback"), Some("full"))
    );
    assert_eq!(
        open(&mut s, 0).header_value("x-ringmark-lease"),
        Some("exclusive")
    );
    let (_, state) = s.admin("GET", "/v1/pools/p1", Value::Null);
    assert_eq!(state["live"]["exhaustions"]["full"], 1, "{state}");
    assert_eq!(state["live"]["holders"], 2, "{state}");
}

/// A tap on the call button goes through the click route to the pool as a tap, and a call
/// seconds later names the tapper confidently; the same show as an image leaves the call a
/// toss-up between the two people shown the number within a minute of it.
#[test]
fn a_tap_on_the_call_button_just_before_a_call_names_the_tapper() {
    let call_after = |tap: bool| {
        let mut s = Service::new();
        let (status, body) = s.admin(
            "PUT",
            "/v1/pools/p1",
            json!({"numbers": ["+14155550101"], "fallback": "+14155550100",
                   "lease_seconds": 3600, "exhaustion": {"share": {"max_holders": 2}}}),
        );
        assert_eq!(status, 200, "{body}");
        let (_, body) = s.admin(
            "POST",
            "/v1/pools/p1/tokens",
            json!({"campaign": "c1", "recipients": ["a", "b"]}),
        );
        let tokens = body["tokens"].as_array().unwrap().clone();
        assert_eq!(
            s.fetch(tokens[0]["number"].as_str().unwrap(), DESKTOP)
                .status,
            200
        );
        s.now += 10;
        if tap {
            let r = s.fetch(tokens[1]["click"].as_str().unwrap(), IPHONE);
            assert_eq!(r.header_value("location"), Some("tel:+14155550101"));
        } else {
            assert_eq!(
                s.fetch(tokens[1]["number"].as_str().unwrap(), IPHONE)
                    .status,
                200
            );
        }
        s.now += 30;
        let (status, body) = s.admin(
            "POST",
            "/v1/calls",
            json!({"to": "+14155550101", "at": s.now}),
        );
        assert_eq!(status, 200, "{body}");
        body
    };
    let opened = call_after(false);
    assert!(opened["ambiguous"].as_bool().unwrap(), "{opened}");
    let tapped = call_after(true);
    assert_eq!(tapped["recipient"], "b", "{tapped}");
    assert!(tapped["confidence"].as_f64().unwrap() > 0.95, "{tapped}");
    assert!(
        tapped["reason"].as_str().unwrap().starts_with("tap: "),
        "{tapped}"
    );
    assert_eq!(tapped["candidates"][1]["recipient"], "a", "{tapped}");
}
