//! Operations (issue 13, item 4): `/healthz`, JSON log lines that carry no
//! recipient id, token, IP or caller, two admin tokens during a rotation,
//! `RINGMARK_BASE_URL`, the IP-range file beside the module, and open counts
//! in an optional Analytics Engine dataset.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use ringmark::classify::{DeviceModels, IpRanges, Opener as OpenerKind};
use ringmark::edge::{Edge, EdgeConfig, EffectResult, parse_base_url};
use ringmark::http::{Request, Response};
use ringmark::telephony::twilio::signature;
use serde_json::{Value, json};
use support::{ADMIN, KEY, Service};

const BASE: &str = "https://t.example.com";
const NEXT: &str = "next-admin-token-9876543210";
const TWILIO: &str = "test-twilio-auth-token";
const RECIPIENT: &str = "alice@example.com";
const CALLER: &str = "+12125550123";
const DESKTOP: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";

fn models() -> DeviceModels {
    DeviceModels::parse("pixel 7\tsmartphone\nbq-7098g\ttablet\n").unwrap()
}

/// A ready deployment's configuration.
fn config() -> EdgeConfig {
    EdgeConfig {
        signing_key: KEY.into(),
        admin_token: ADMIN.into(),
        device_models: models(),
        ..EdgeConfig::default()
    }
}

fn json_of(r: &Response) -> Value {
    serde_json::from_slice(&r.body).unwrap_or(Value::Null)
}

fn healthz(config: &EdgeConfig) -> (u16, Value, String) {
    let edge = Edge::new(config);
    let step = edge.begin(&Request::new("GET", &format!("{BASE}/healthz")));
    let r = step.response.expect("healthz answers at once");
    assert!(step.effects.is_empty(), "healthz touches no object");
    assert_eq!(
        r.header_value("content-type"),
        Some("application/json; charset=utf-8")
    );
    let text = String::from_utf8(r.body.clone()).unwrap();
    (r.status, json_of(&r), text)
}

fn admin(s: &mut Service, token: &str, method: &str, path: &str, body: Value) -> (u16, Value) {
    let mut request = Request::new(method, &format!("{BASE}{path}"))
        .header("authorization", &format!("Bearer {token}"));
    if !body.is_null() {
        request = request.body(body.to_string());
    }
    let r = s.run(request);
    (r.status, json_of(&r))
}

fn put_pool(s: &mut Service) {
    let body = json!({"numbers": ["+14155550101", "+14155550102"],
                      "fallback": "+14155550100", "lease_seconds": 3600});
    let (status, answer) = admin(s, ADMIN, "PUT", "/v1/pools/p1", body);
    assert_eq!(status, 200, "{answer}");
}

// ---- /healthz ----

#[test]
fn healthz_is_ok_when_the_deployment_is_ready_and_shows_no_secret() {
    let (status, body, text) = healthz(&EdgeConfig {
        twilio_auth_token: TWILIO.into(),
        ..config()
    });
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    let checks = &body["checks"];
    assert_eq!(checks["signing_key"], json!({"ok": true, "keys": 1}));
    assert_eq!(checks["admin_token"], json!({"ok": true, "tokens": 1}));
    assert_eq!(
        checks["twilio_auth_token"],
        json!({"ok": true, "set": true})
    );
    assert_eq!(checks["device_models"], json!({"ok": true, "count": 2}));
    assert_eq!(checks["ip_ranges"]["count"], 0);
    for secret in [KEY, ADMIN, TWILIO] {
        assert!(!text.contains(secret), "{text}");
    }
    // No length of a secret either: no check carries a field naming one.
    assert!(!text.contains("len"), "{text}");
}

#[test]
fn healthz_says_twilio_is_not_set_without_failing() {
    let (status, body, _) = healthz(&config());
    assert_eq!(status, 200);
    assert_eq!(body["checks"]["twilio_auth_token"]["ok"], true);
    assert_eq!(body["checks"]["twilio_auth_token"]["set"], false);
    assert!(
        body["checks"]["twilio_auth_token"]["note"]
            .as_str()
            .unwrap()
            .starts_with("not set")
    );
}

#[test]
fn healthz_is_503_when_the_deployment_cannot_serve() {
    let cases = [
        (
            "signing_key",
            EdgeConfig {
                signing_key: String::new(),
                ..config()
            },
        ),
        (
            "signing_key",
            EdgeConfig {
                // Without a colon, the second part could be a secret: it is never echoed.
                signing_key: "1:first-secret-0123456789,loose-secret-0123456789".into(),
                ..config()
            },
        ),
        (
            "admin_token",
            EdgeConfig {
                admin_token: String::new(),
                ..config()
            },
        ),
        (
            "admin_token",
            EdgeConfig {
                admin_token: "tiny1".into(),
                ..config()
            },
        ),
        (
            "admin_token",
            EdgeConfig {
                admin_token: format!("{ADMIN},{NEXT},{ADMIN}x"),
                ..config()
            },
        ),
        (
            "device_models",
            EdgeConfig {
                device_models: DeviceModels::default(),
                ..config()
            },
        ),
        (
            "base_url",
            EdgeConfig {
                base_url: "http://t.example.com".into(),
                ..config()
            },
        ),
    ];
    for (failing, config) in cases {
        let (status, body, text) = healthz(&config);
        assert_eq!(status, 503, "{failing}: {body}");
        assert_eq!(body["status"], "unavailable");
        assert_eq!(body["checks"][failing]["ok"], false, "{body}");
        for secret in ["loose-secret", "tiny1", ADMIN, NEXT] {
            assert!(!text.contains(secret), "{failing} leaks {secret}: {text}");
        }
    }
}

#[test]
fn healthz_answers_head_and_logs_only_names_of_failing_checks() {
    let edge = Edge::new(&EdgeConfig {
        admin_token: "short".into(),
        ..config()
    });
    edge.take_log(); // the startup line
    let step = edge.begin(&Request::new("HEAD", &format!("{BASE}/healthz")));
    assert_eq!(step.response.unwrap().status, 503);
    let log = edge.take_log();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].route, "healthz");
    assert_eq!(log[0].msg, "healthz: unavailable (admin_token)");
}

#[test]
fn the_root_page_is_unchanged() {
    let edge = Edge::new(&config());
    let r = edge
        .begin(&Request::new("GET", &format!("{BASE}/")))
        .response
        .unwrap();
    assert_eq!(r.status, 200);
    assert!(
        String::from_utf8(r.body)
            .unwrap()
            .starts_with(&format!("ringmark {}: ", env!("CARGO_PKG_VERSION")))
    );
}

// ---- IP ranges: the file beside the module, and the variable added to it ----

#[test]
fn ip_ranges_come_from_the_file_and_the_variable() {
    let file = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/ip-ranges/ip-ranges.txt"
    ))
    .unwrap();
    let file = IpRanges::parse(&file, None).expect("the shipped file parses");
    let shipped = file.len();
    let edge = Edge::new(&EdgeConfig {
        ip_range_file: file,
        ip_ranges: "203.0.113.0/24,google-image-proxy\n".into(),
        ..config()
    });
    let opener = |ip: &str| {
        let request = Request::new("GET", &format!("{BASE}/o/x.gif"))
            .header("user-agent", DESKTOP)
            .header("cf-connecting-ip", ip);
        ringmark::edge::email::classify(&edge, &request).opener
    };
    assert_eq!(
        opener("203.0.113.7"),
        OpenerKind::Proxy,
        "the variable's range"
    );
    assert_eq!(opener("198.51.100.7"), OpenerKind::Person);
    let step = edge.begin(&Request::new("GET", &format!("{BASE}/healthz")));
    let body = json_of(&step.response.unwrap());
    assert_eq!(
        body["checks"]["ip_ranges"],
        json!({"ok": true, "count": shipped + 1, "file": shipped, "variable": 1})
    );
}

#[test]
fn the_file_alone_classifies_what_it_lists() {
    let edge = Edge::new(&EdgeConfig {
        ip_range_file: IpRanges::parse("66.102.0.0/20,google-image-proxy\n", None).unwrap(),
        ..config()
    });
    let request = Request::new("GET", &format!("{BASE}/o/x.gif"))
        .header("user-agent", DESKTOP)
        .header("cf-connecting-ip", "66.102.3.4");
    let c = ringmark::edge::email::classify(&edge, &request);
    assert_eq!(c.opener, OpenerKind::Proxy);
}

#[test]
fn an_unreadable_variable_is_ignored_and_reported_as_degraded() {
    let (status, body, _) = healthz(&EdgeConfig {
        ip_range_file: IpRanges::parse("66.102.0.0/20,google-image-proxy\n", None).unwrap(),
        ip_ranges: "not-an-ip,google-image-proxy".into(),
        ..config()
    });
    assert_eq!(status, 200);
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["checks"]["ip_ranges"]["ok"], false);
    assert_eq!(
        body["checks"]["ip_ranges"]["count"], 1,
        "the file still counts"
    );
}

// ---- two admin tokens ----

#[test]
fn both_tokens_of_a_rotation_are_accepted() {
    let mut s = Service::with_config(EdgeConfig {
        admin_token: format!("{ADMIN}, {NEXT}"),
        ..config()
    });
    put_pool(&mut s);
    for token in [ADMIN, NEXT] {
        let (status, body) = admin(&mut s, token, "GET", "/v1/pools/p1", Value::Null);
        assert_eq!(status, 200, "{token}: {body}");
    }
    let both = format!("{ADMIN},{NEXT}");
    let prefix = &ADMIN[..ADMIN.len() - 1];
    let extended = format!("{NEXT}0");
    for wrong in ["", prefix, &extended, &both, "wrong-token-0123456789"] {
        let (status, body) = admin(&mut s, wrong, "GET", "/v1/pools/p1", Value::Null);
        assert_eq!(status, 401, "{wrong:?}: {body}");
        assert_eq!(body["error"]["code"], "unauthorized");
    }
}

#[test]
fn a_single_token_still_works_and_bad_lists_refuse_everything() {
    let mut s = Service::with_config(config());
    put_pool(&mut s);
    let (status, _) = admin(&mut s, NEXT, "GET", "/v1/pools/p1", Value::Null);
    assert_eq!(status, 401);
    for bad in [
        format!("{ADMIN},short"),
        format!("{ADMIN},{NEXT},third-admin-token-000000"),
        format!("{ADMIN},"),
    ] {
        let mut s = Service::with_config(EdgeConfig {
            admin_token: bad.clone(),
            ..config()
        });
        let (status, body) = admin(&mut s, ADMIN, "GET", "/v1/pools/p1", Value::Null);
        assert_eq!(status, 500, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "misconfigured");
        let text = body.to_string();
        assert!(!text.contains(ADMIN) && !text.contains(NEXT), "{text}");
    }
}

// ---- RINGMARK_BASE_URL ----

#[test]
fn base_urls_are_https_origins() {
    assert_eq!(parse_base_url(""), Ok(None));
    assert_eq!(parse_base_url("  "), Ok(None));
    for (text, origin) in [
        ("https://t.example.com", "https://t.example.com"),
        ("https://t.example.com/", "https://t.example.com"),
        ("https://T.Example.com:8443", "https://t.example.com:8443"),
    ] {
        assert_eq!(parse_base_url(text), Ok(Some(origin.to_owned())), "{text}");
    }
    for bad in [
        "http://t.example.com",
        "t.example.com",
        "https://",
        "https://t.example.com/email",
        "https://t.example.com?x=1",
        "https://user:pw@t.example.com",
        "https://t.example.com:0",
        "https://t.example.com:99999",
        "https://-t.example.com",
        "https://t example.com",
    ] {
        assert!(parse_base_url(bad).is_err(), "{bad}");
    }
}

#[test]
fn tokens_and_snippets_use_the_base_url_and_a_body_base_url_wins() {
    let mut s = Service::with_config(EdgeConfig {
        base_url: "https://t.brand.example/".into(),
        ..config()
    });
    put_pool(&mut s);
    let body = json!({"campaign": "c", "recipients": [RECIPIENT]});
    let (status, issued) = admin(&mut s, ADMIN, "POST", "/v1/pools/p1/tokens", body);
    assert_eq!(status, 200, "{issued}");
    let row = &issued["tokens"][0];
    let token = row["token"].as_str().unwrap();
    assert_eq!(
        row["open"],
        format!("https://t.brand.example/o/{token}.gif")
    );
    assert_eq!(
        row["number"],
        format!("https://t.brand.example/n/{token}.png")
    );
    assert_eq!(row["click"], format!("https://t.brand.example/c/{token}"));

    let (status, snippet) = admin(&mut s, ADMIN, "POST", "/v1/pools/p1/snippet", json!({}));
    assert_eq!(status, 200, "{snippet}");
    let html = snippet["html"].as_str().unwrap();
    assert!(html.contains("https://t.brand.example/n/"), "{html}");
    assert!(!html.contains(BASE), "{html}");

    let (status, snippet) = admin(
        &mut s,
        ADMIN,
        "POST",
        "/v1/pools/p1/snippet",
        json!({"base_url": "https://other.example"}),
    );
    assert_eq!(status, 200, "{snippet}");
    let html = snippet["html"].as_str().unwrap();
    assert!(html.contains("https://other.example/n/"), "{html}");
    assert!(!html.contains("t.brand.example"), "{html}");
}

#[test]
fn without_a_valid_base_url_the_request_origin_is_used() {
    for base_url in ["", "https://t.brand.example/path"] {
        let mut s = Service::with_config(EdgeConfig {
            base_url: base_url.into(),
            ..config()
        });
        put_pool(&mut s);
        let body = json!({"campaign": "c", "recipients": [RECIPIENT]});
        let (status, issued) = admin(&mut s, ADMIN, "POST", "/v1/pools/p1/tokens", body);
        assert_eq!(status, 200, "{issued}");
        let open = issued["tokens"][0]["open"].as_str().unwrap();
        assert!(
            open.starts_with(&format!("{BASE}/o/")),
            "{base_url}: {open}"
        );
    }
}

// ---- structured logs ----

/// Parses every line as JSON, checks the fields every line has, and that
/// none carries any of `forbidden`.
fn lines(edge: &Edge, forbidden: &[&str]) -> Vec<Value> {
    edge.take_log()
        .iter()
        .map(|line| {
            let text = line.to_json();
            let v: Value = serde_json::from_str(&text).expect("a log line is JSON");
            let object = v.as_object().expect("a log line is one object");
            for field in ["level", "msg", "request_id", "route"] {
                assert!(object.contains_key(field), "{field} in {text}");
            }
            assert!(!text.contains('\n'), "one line: {text}");
            for f in forbidden {
                assert!(!text.contains(f), "{f} leaked: {text}");
            }
            v
        })
        .collect()
}

fn token_for(s: &mut Service) -> String {
    let body = json!({"campaign": "c", "recipients": [RECIPIENT]});
    let (_, issued) = admin(s, ADMIN, "POST", "/v1/pools/p1/tokens", body);
    issued["tokens"][0]["token"].as_str().unwrap().to_owned()
}

#[test]
fn an_email_request_logs_json_under_its_ray_id_without_token_or_recipient() {
    let mut s = Service::with_config(config());
    put_pool(&mut s);
    let token = token_for(&mut s);
    s.edge.take_log();
    // The pool fails, and its error text names the recipient (as a replay or
    // storage error may): the line must not.
    let request = Request::new("GET", &format!("{BASE}/n/{token}.png"))
        .header("user-agent", DESKTOP)
        .header("cf-ray", "8f1c2d3e4f5a6b7c-LHR")
        .header("cf-connecting-ip", "198.51.100.23");
    let step = s.edge.begin(&request);
    assert_eq!(step.effects.len(), 1);
    let step = s.edge.resume(
        step,
        vec![EffectResult::failed(format!(
            "storage: row for {RECIPIENT} via {token} from 198.51.100.23 is corrupt"
        ))],
    );
    assert_eq!(
        step.response.as_ref().unwrap().status,
        200,
        "the neutral image"
    );
    let logged = lines(&s.edge, &[RECIPIENT, &token, "198.51.100.23", KEY, ADMIN]);
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(logged[0]["level"], "warn");
    assert_eq!(logged[0]["route"], "number");
    assert_eq!(logged[0]["request_id"], "8f1c2d3e4f5a6b7c-LHR");
    let msg = logged[0]["msg"].as_str().unwrap();
    assert!(
        msg.contains("[redacted]") && msg.contains("is corrupt"),
        "{msg}"
    );
}

#[test]
fn a_request_without_ray_gets_one_random_id_for_all_its_lines() {
    let edge = Edge::new(&config()).with_random(|buf| buf.fill(0xab));
    edge.take_log();
    let forged = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let step = edge
        .begin(&Request::new("GET", &format!("{BASE}/c/{forged}")).header("user-agent", DESKTOP));
    assert_eq!(step.response.unwrap().status, 200);
    let logged = lines(&edge, &[forged]);
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0]["route"], "click");
    assert_eq!(logged[0]["request_id"], "abababababababab");
    assert!(logged[0]["msg"].as_str().unwrap().contains("refused token"));
}

#[test]
fn an_id_is_drawn_only_for_a_request_that_logs_without_ray() {
    let mut s = Service::with_config(config());
    let forged = format!("{BASE}/c/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    let draws = s.draws.get();
    assert_eq!(s.run(Request::new("GET", &format!("{BASE}/"))).status, 200);
    assert!(s.edge.take_log().is_empty());
    assert_eq!(s.draws.get(), draws, "nothing logged: nothing drawn");
    s.run(Request::new("GET", &forged).header("cf-ray", "abc-LHR"));
    assert_eq!(lines(&s.edge, &[]).len(), 1);
    assert_eq!(s.draws.get(), draws, "the ray id is used");
    s.run(Request::new("GET", &forged));
    assert_eq!(lines(&s.edge, &[]).len(), 1);
    assert_eq!(s.draws.get(), draws + 1, "one draw for the random id");
}

#[test]
fn an_admin_request_logs_no_recipient_or_bearer_token() {
    let mut s = Service::with_config(config());
    put_pool(&mut s);
    s.edge.take_log();
    let request = Request::new("POST", &format!("{BASE}/v1/pools/p1/tokens"))
        .header("authorization", &format!("Bearer {ADMIN}"))
        .header("cf-ray", "1234abcd-AMS")
        .body(json!({"campaign": "c", "recipients": [RECIPIENT, "bob@example.com"]}).to_string());
    let step = s.edge.begin(&request);
    let step = s.edge.resume(
        step,
        vec![EffectResult::failed(format!(
            "Error: issue for bob@example.com failed (auth {ADMIN})"
        ))],
    );
    let r = step.response.unwrap();
    assert_eq!(r.status, 500);
    let logged = lines(&s.edge, &[RECIPIENT, "bob@example.com", ADMIN]);
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0]["route"], "admin");
    assert_eq!(logged[0]["request_id"], "1234abcd-AMS");
}

#[test]
fn telephony_lines_name_the_dialled_number_never_the_caller() {
    let mut s = Service::with_config(EdgeConfig {
        twilio_auth_token: TWILIO.into(),
        ..config()
    });
    s.edge.take_log();
    // A call to a number in no pool: refused, logged with the dialled number.
    let url = format!("{BASE}/v1/telephony/twilio/voice");
    let params = [
        ("CallSid", "CA0123456789abcdef0123456789abcdef"),
        ("From", CALLER),
        ("Caller", CALLER),
        ("To", "+14155550999"),
        ("CallStatus", "ringing"),
    ];
    let pairs: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&pairs)
        .finish();
    let signed = Request::new("POST", &url)
        .header("x-twilio-signature", &signature(TWILIO, &url, &pairs))
        .body(body.clone());
    let r = s.run(signed);
    assert_eq!(r.status, 200);
    let logged = lines(&s.edge, &[CALLER, "12125550123"]);
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(logged[0]["route"], "telephony");
    assert!(logged[0]["msg"].as_str().unwrap().contains("+14155550999"));
    // An unsigned one: refused, and the line says only that.
    let r = s.run(Request::new("POST", &url).body(body));
    assert_eq!(r.status, 403);
    let logged = lines(&s.edge, &[CALLER]);
    assert_eq!(logged.len(), 1);
}

#[test]
fn startup_lines_are_json_and_name_no_secret() {
    let edge = Edge::new(&EdgeConfig {
        signing_key: "0:first-secret-0123456789,loose-secret-0123456789".into(),
        admin_token: format!("{ADMIN},tiny"),
        base_url: "ftp://x".into(),
        ..config()
    });
    let logged = lines(&edge, &["first-secret", "loose-secret", ADMIN, "tiny"]);
    assert_eq!(logged.len(), 3, "{logged:?}");
    for line in &logged {
        assert_eq!(line["level"], "error");
        assert_eq!(line["route"], "startup");
        assert_eq!(line["request_id"], Value::Null);
    }
}

/// With an Analytics Engine dataset bound as `OPENS`, every open also writes one data point —
/// pool, campaign, kind and classification, never the recipient — and without one, none.
mod analytics_engine {
    use super::*;

    const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148";
    const RECIPIENT: &str = "carol-7731@example.com";

    fn opens(analytics: bool) -> Service {
        let mut s = Service::with_config(EdgeConfig {
            analytics,
            ..config()
        });
        let (status, body) = s.admin(
            "PUT",
            "/v1/pools/p1",
            json!({"numbers": ["+14155550101"], "fallback": "+14155550100", "lease_seconds": 3600}),
        );
        assert_eq!(status, 200, "{body}");
        let (_, body) = s.admin(
            "POST",
            "/v1/pools/p1/tokens",
            json!({"campaign": "spring", "recipients": [RECIPIENT]}),
        );
        let token = body["tokens"][0].clone();
        for kind in ["open", "number", "click"] {
            let url = token[kind].as_str().unwrap();
            let r = s.run(Request::new("GET", url).header("user-agent", IPHONE));
            assert!(r.status == 200 || r.status == 302, "{kind}: {}", r.status);
        }
        s.finish();
        s
    }

    #[test]
    fn each_open_writes_one_data_point_naming_no_recipient() {
        let s = opens(true);
        let kinds: Vec<&str> = s.data_points.iter().map(|p| p.blobs[2].as_str()).collect();
        assert_eq!(kinds, ["pixel", "number", "click"]);
        for p in &s.data_points {
            assert_eq!(&p.blobs[..2], ["p1", "spring"]);
            assert_eq!(
                (p.blobs[3].as_str(), p.blobs[7].as_str()),
                ("smartphone", "0")
            );
            assert_eq!(
                (p.doubles.as_slice(), p.indexes.as_slice()),
                (&[1.0][..], &["p1".to_owned()][..])
            );
            assert!(
                p.blobs.iter().all(|b| !b.contains("carol")),
                "{:?}",
                p.blobs
            );
        }
    }

    #[test]
    fn none_without_the_binding() {
        assert!(opens(false).data_points.is_empty());
    }
}
