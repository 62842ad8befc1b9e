//! The call loop through the whole service natively: Twilio's voice webhook rings a tracking
//! number, the call is attributed and forwarded, the status and transcript callbacks complete it
//! and the pool's rules give it an outcome, which a person can correct by hand. (The signatures
//! here come from our own signer; `tests/e2e/calls.test.mjs` signs with Twilio's `twilio` package.)
#![cfg(not(target_arch = "wasm32"))]

mod support;

use support::{ADMIN, BASE, Service};

use ringmark::edge::EdgeConfig;
use ringmark::http::{Request, Response};
use ringmark::telephony::twilio::signature;
use serde_json::{Value, json};

const TWILIO: &str = "test-twilio-auth-token";
const DESKTOP: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
const SID: &str = "CA0123456789abcdef0123456789abcdef";
const CALLER: &str = "+12125550123";

fn service() -> Service {
    Service::with_config(EdgeConfig {
        signing_key: support::KEY.into(),
        admin_token: ADMIN.into(),
        twilio_auth_token: TWILIO.into(),
        ..EdgeConfig::default()
    })
}

/// A pool that takes live calls, and recipient `a` shown its first number.
fn pool(s: &mut Service, forward_to: bool) -> String {
    let mut body = json!({
        "numbers": ["+14155550101", "+14155550102"],
        "fallback": "+14155550100",
        "lease_seconds": 3600,
        "whisper": "Call from the {campaign} email",
        "record": true,
        "rules": [
            {"when": {"min_duration": 60}, "then": {"converted": true, "value": 50}},
            {"when": {"transcript_contains": ["credit card"]}, "then": {"converted": true, "value": 100, "tag": "payment"}}
        ]
    });
    if forward_to {
        body["forward_to"] = json!("+14155559999");
    }
    let (status, answer) = s.admin("PUT", "/v1/pools/p1", body);
    assert_eq!(status, 200, "{answer}");
    let (_, tokens) = s.admin(
        "POST",
        "/v1/pools/p1/tokens",
        json!({"campaign": "spring", "recipients": ["a"]}),
    );
    let url = tokens["tokens"][0]["number"].as_str().unwrap().to_owned();
    let shown = s.run(Request::new("GET", &url).header("user-agent", DESKTOP));
    assert_eq!(shown.header_value("x-ringmark-lease"), Some("exclusive"));
    "+14155550101".into()
}

/// A form-encoded Twilio request to `url`, signed with `token` (None: unsigned).
fn twilio(s: &mut Service, url: &str, params: &[(&str, &str)], token: Option<&str>) -> Response {
    let pairs: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&pairs)
        .finish();
    let mut request = Request::new("POST", url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    if let Some(token) = token {
        request = request.header("x-twilio-signature", &signature(token, url, &pairs));
    }
    s.run(request)
}

fn voice(s: &mut Service, to: &str, token: Option<&str>) -> (u16, String) {
    let url = format!("{BASE}/v1/telephony/twilio/voice");
    let params = [
        ("CallSid", SID),
        ("From", CALLER),
        ("To", to),
        ("CallStatus", "ringing"),
    ];
    let r = twilio(s, &url, &params, token);
    (r.status, String::from_utf8_lossy(&r.body).into_owned())
}

fn call_state(s: &mut Service) -> Value {
    let outcome = s.pools.get_mut("p1").unwrap();
    let rows = outcome.store.query("SELECT body FROM calls");
    serde_json::from_str(rows[0]["body"].as_str().unwrap()).unwrap()
}

#[test]
fn a_signed_call_is_attributed_and_forwarded_with_whisper_recording_and_status_callback() {
    let mut s = service();
    let to = pool(&mut s, true);
    let (status, xml) = voice(&mut s, &to, Some(TWILIO));
    assert_eq!(status, 200);
    assert!(xml.contains(">+14155559999</Number>"), "{xml}");
    assert!(xml.contains(&format!("callerId=\"{CALLER}\"")), "{xml}");
    assert!(xml.contains("record=\"record-from-answer-dual\""), "{xml}");
    assert!(
        xml.contains("action=\"https://t.example.com/v1/telephony/twilio/status?pool=p1\""),
        "{xml}"
    );
    assert!(
        xml.contains("whisper?text=Call%20from%20the%20spring%20email"),
        "the whisper names the attributed campaign: {xml}"
    );
    let call = call_state(&mut s);
    assert_eq!(call["call_id"], SID);
    assert_eq!(call["attribution"]["recipient"], "a");
    assert_eq!(call["status"], "ringing");
    // Twilio retries a webhook it got no answer to: the same call, stored once.
    let (_, again) = voice(&mut s, &to, Some(TWILIO));
    assert_eq!(again, xml);
    let (_, state) = s.admin("GET", "/v1/pools/p1", Value::Null);
    assert_eq!(state["live"]["calls"], 1, "attributed once");
}

#[test]
fn a_missing_or_wrong_signature_is_refused_and_stores_nothing() {
    let mut s = service();
    let to = pool(&mut s, true);
    let before = (s.pool_tables("p1"), s.directory_store.table_counts());
    for token in [None, Some("not-the-auth-token")] {
        let (status, body) = voice(&mut s, &to, token);
        assert_eq!(status, 403, "{body}");
        assert!(body.contains("bad_signature"), "{body}");
    }
    assert_eq!(
        (s.pool_tables("p1"), s.directory_store.table_counts()),
        before
    );
}

#[test]
fn a_number_in_no_pool_or_a_pool_without_forward_to_hangs_up_politely() {
    let mut s = service();
    let (status, xml) = voice(&mut s, "+14155550999", Some(TWILIO));
    assert_eq!(status, 200, "never an HTTP error Twilio would read aloud");
    assert!(xml.contains("<Say>") && xml.contains("<Hangup/>"), "{xml}");
    let to = pool(&mut s, false);
    let (status, xml) = voice(&mut s, &to, Some(TWILIO));
    assert_eq!(status, 200);
    assert!(xml.contains("<Hangup/>") && !xml.contains("<Dial"), "{xml}");
}

#[test]
fn the_status_and_transcript_complete_the_call_and_the_rules_value_it_and_a_person_corrects_it() {
    let mut s = service();
    let to = pool(&mut s, true);
    voice(&mut s, &to, Some(TWILIO));
    let status_url = format!("{BASE}/v1/telephony/twilio/status?pool=p1");
    let params = [
        ("CallSid", SID),
        ("DialCallStatus", "completed"),
        ("DialCallDuration", "30"),
        ("DialCallSid", "CAfedcba9876543210fedcba9876543210"),
    ];
    let r = twilio(&mut s, &status_url, &params, Some(TWILIO));
    assert_eq!(r.status, 200);
    assert!(String::from_utf8_lossy(&r.body).contains("<Hangup/>"));
    let call = call_state(&mut s);
    assert_eq!(call["status"], "completed");
    assert_eq!(call["duration_seconds"], 30);
    assert!(
        call["outcome"].is_null(),
        "30 s is under the 60 s rule: {call}"
    );
    // The transcript mentions a credit card: the second rule converts it.
    let transcript_url = format!("{BASE}/v1/telephony/twilio/transcription?pool=p1");
    let params = [
        ("CallSid", SID),
        ("TranscriptionStatus", "completed"),
        (
            "TranscriptionText",
            "Hi, can I pay by Credit-Card for the spring trip?",
        ),
    ];
    assert_eq!(
        twilio(&mut s, &transcript_url, &params, Some(TWILIO)).status,
        200
    );
    let call = call_state(&mut s);
    assert_eq!(call["outcome"]["converted"], true, "{call}");
    assert_eq!(call["outcome"]["value"]["amount"], "100.00", "{call}");
    // Twilio retries: the same callback again changes nothing.
    assert_eq!(
        twilio(&mut s, &transcript_url, &params, Some(TWILIO)).status,
        200
    );
    assert_eq!(call_state(&mut s), call);
    // A person knows better: the manual outcome wins over the rules.
    let (status, body) = s.admin(
        "POST",
        &format!("/v1/calls/{SID}/outcome"),
        json!({"converted": true, "value": 240, "currency": "USD", "tags": ["booked"]}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["call"]["outcome"]["value"]["amount"], "240.00",
        "{body}"
    );
    assert_eq!(
        twilio(&mut s, &transcript_url, &params, Some(TWILIO)).status,
        200
    );
    assert_eq!(call_state(&mut s)["outcome"]["value"]["amount"], "240.00");
    // A forged callback changes nothing.
    let forged = [
        ("CallSid", SID),
        ("TranscriptionStatus", "completed"),
        ("TranscriptionText", "wrong number"),
    ];
    assert_eq!(
        twilio(&mut s, &transcript_url, &forged, Some("forged")).status,
        403
    );
    assert_eq!(call_state(&mut s)["outcome"]["value"]["amount"], "240.00");
}

#[test]
fn a_reported_call_gets_an_id_its_outcome_can_be_set_by_and_reporting_it_again_is_one_call() {
    let mut s = service();
    let to = pool(&mut s, true);
    let report = json!({"to": to, "from": CALLER, "at": support::NOW + 60, "duration": 75});
    let (status, first) = s.admin("POST", "/v1/calls", report.clone());
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["recipient"], "a");
    let call_id = first["call_id"].as_str().unwrap().to_owned();
    assert!(call_id.starts_with("call_"), "{call_id}");
    let (_, again) = s.admin("POST", "/v1/calls", report);
    assert_eq!(again["call_id"], first["call_id"]);
    let (_, state) = s.admin("GET", "/v1/pools/p1", Value::Null);
    assert_eq!(
        state["live"]["calls"], 1,
        "the same call reported twice is one call"
    );
    // 75 s: the duration rule converted it.
    assert_eq!(call_state(&mut s)["outcome"]["value"]["amount"], "50.00");
    let (status, body) = s.admin(
        "POST",
        &format!("/v1/calls/{call_id}/outcome"),
        json!({"converted": false}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["call"]["outcome"]["converted"], false);
    for (path, want) in [
        ("/v1/calls/CAffffffffffffffffffffffffffffffff/outcome", 404),
        ("/v1/calls/nope/outcome", 422),
    ] {
        let (status, body) = s.admin("POST", path, json!({"converted": true}));
        assert_eq!(status, want, "{path}: {body}");
    }
}

mod reports {
    use super::*;

    #[test]
    fn opens_over_time_counts_people_and_each_kind_of_machine_per_hour() {
        let mut s = service();
        pool(&mut s, false);
        let (_, issued) = s.admin(
            "POST",
            "/v1/pools/p1/tokens",
            json!({"campaign": "summer", "recipients": ["a", "b"]}),
        );
        let url = |i: usize, kind: &str| issued["tokens"][i][kind].as_str().unwrap().to_owned();
        let first = s.now - s.now % 3_600;
        s.run(Request::new("GET", &url(0, "open")).header("user-agent", APPLE_MPP));
        s.run(Request::new("GET", &url(1, "open")).header("user-agent", APPLE_MPP));
        // Two hours and a bit later: a person, and Gmail's proxy.
        s.now = first + 2 * 3_600 + 59;
        s.run(Request::new("GET", &url(0, "number")).header("user-agent", DESKTOP));
        s.run(Request::new("GET", &url(1, "open")).header("user-agent", GMAIL));
        let (status, body) = s.admin("GET", "/v1/pools/p1/report?campaign=summer", Value::Null);
        assert_eq!(status, 200, "{body}");
        let series = &body["report"]["opens_over_time"];
        let machine = |apple: u64, gmail: u64| json!({"apple_mpp": apple, "gmail_proxy": gmail, "other_proxies": 0, "scanners": 0, "crawlers": 0});
        assert_eq!(
            series,
            &json!([
                {"at": first, "human": 0, "machine": machine(2, 0)},
                {"at": first + 2 * 3_600, "human": 1, "machine": machine(0, 1)},
            ]),
            "hours without opens are left out: {series}"
        );
    }

    const GMAIL: &str =
        "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)";
    const APPLE_MPP: &str = "Mozilla/5.0";

    #[test]
    fn the_campaign_report_and_both_csvs_show_opens_by_kind_the_call_the_conversion_and_the_value()
    {
        let mut s = service();
        let to = pool(&mut s, true); // recipient `a` of `spring` opened on a desktop
        let (_, issued) = s.admin(
            "POST",
            "/v1/pools/p1/tokens",
            json!({"campaign": "spring", "recipients": ["a", "b", "c", "d"]}),
        );
        let url = |i: usize, kind: &str| issued["tokens"][i][kind].as_str().unwrap().to_owned();
        s.run(Request::new("GET", &url(1, "open")).header("user-agent", APPLE_MPP));
        s.run(Request::new("GET", &url(2, "number")).header("user-agent", GMAIL));
        // a calls, talks 75 s: the duration rule values the call at 50.00.
        voice(&mut s, &to, Some(TWILIO));
        let status_url = format!("{BASE}/v1/telephony/twilio/status?pool=p1");
        let params = [
            ("CallSid", SID),
            ("DialCallStatus", "completed"),
            ("DialCallDuration", "75"),
        ];
        assert_eq!(
            twilio(&mut s, &status_url, &params, Some(TWILIO)).status,
            200
        );

        let (status, body) = s.admin("GET", "/v1/pools/p1/report?campaign=spring", Value::Null);
        assert_eq!(status, 200, "{body}");
        let r = &body["report"];
        assert_eq!(r["recipients_with_tokens"], 4, "{r}");
        assert_eq!(r["human_opens"], 1, "{r}");
        assert_eq!(r["human_by_device"]["desktop"], 1);
        assert_eq!(r["machine_opens"]["apple_mpp"], 1, "{r}");
        assert_eq!(r["machine_opens"]["gmail_proxy"], 1, "{r}");
        assert_eq!(r["recipients_opened"], 1);
        assert_eq!(r["numbers_leased"], 1);
        assert_eq!(r["calls"]["total"], 1);
        assert_eq!(r["calls"]["attributed"], 1);
        assert_eq!(r["calls"]["conversions"], 1);
        assert_eq!(r["value"]["USD"], "50.00");
        assert_eq!(r["value_per_1000_recipients"]["USD"], "12500.00");
        // Every open of this test came in the same hour.
        let hour = s.now - s.now % 3_600;
        assert_eq!(
            r["opens_over_time"],
            json!([{"at": hour, "human": 1, "machine": {"apple_mpp": 1, "gmail_proxy": 1,
                    "other_proxies": 0, "scanners": 0, "crawlers": 0}}]),
            "{r}"
        );

        let csv = s.run(
            Request::new(
                "GET",
                &format!("{BASE}/v1/pools/p1/report?campaign=spring&format=csv"),
            )
            .header("authorization", &format!("Bearer {ADMIN}")),
        );
        assert_eq!(
            csv.header_value("content-type"),
            Some("text/csv; charset=utf-8")
        );
        let text = String::from_utf8(csv.body).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "header + one row per recipient: {text}");
        assert!(
            lines[0].starts_with("recipient,number,first_human_open,device,client,human_opens")
        );
        assert!(
            lines[1]
                .starts_with("a,+14155550101,2027-01-15T08:00:00Z,desktop,,1,0,1,true,50.00 USD"),
            "{}",
            lines[1]
        );
        assert!(lines[2].starts_with("b,,,,,0,1,0,false"), "{}", lines[2]);
        assert!(lines[4].starts_with("d,,,,,0,0,0,false"), "{}", lines[4]);

        let ads = s.run(
            Request::new(
                "GET",
                &format!("{BASE}/v1/pools/p1/report?campaign=spring&format=google-ads&conversion_name=Email%20call"),
            )
            .header("authorization", &format!("Bearer {ADMIN}")),
        );
        let text = String::from_utf8(ads.body).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "Parameters:TimeZone=+0000");
        assert_eq!(
            lines[1],
            "Caller's Phone Number,Call Start Time,Conversion Name,Conversion Time,Conversion Value,Conversion Currency"
        );
        assert_eq!(
            lines[2],
            "+12125550123,2027-01-15 08:00:00,Email call,2027-01-15 08:00:00,50.00,USD"
        );
        assert_eq!(lines.len(), 3);

        for (query, field) in [
            ("", "campaign"),
            ("?campaign=spring&format=xml", "format"),
            ("?campaign=spring&campaign=x", "campaign"),
            ("?campaign=spring&limit=3", "limit"),
        ] {
            let (status, body) =
                s.admin("GET", &format!("/v1/pools/p1/report{query}"), Value::Null);
            assert!((400..500).contains(&status), "{query}: {body}");
            assert_eq!(body["error"]["field"], field, "{query}");
        }
    }
}

mod events {
    use super::*;
    use ringmark::webhooks::{Secret, verify};

    /// Registers endpoint `crm` for the four call events; its secret.
    fn call_hook(s: &mut Service) -> Secret {
        let (status, body) = s.admin("PUT",
            "/v1/webhooks/crm",
            json!({"url": "https://crm.example.com/hook",
                   "events": ["call.started", "call.attributed", "call.completed", "call.outcome"]}),
        );
        assert_eq!(status, 200, "{body}");
        Secret::parse(body["secret"].as_str().unwrap()).unwrap()
    }

    /// Fires the webhooks object's alarms until every delivery is made.
    fn deliver_all(s: &mut Service) {
        while let Some(at) = s.webhooks.alarm {
            s.now = s.now.max(at);
            s.fire_alarms();
        }
    }

    #[test]
    fn a_receiver_gets_the_calls_life_as_signed_events_with_one_call_id() {
        let mut s = service();
        let to = pool(&mut s, true);
        let secret = call_hook(&mut s);
        voice(&mut s, &to, Some(TWILIO));
        voice(&mut s, &to, Some(TWILIO)); // Twilio's retry: announced once
        let status_url = format!("{BASE}/v1/telephony/twilio/status?pool=p1");
        let params = [
            ("CallSid", SID),
            ("DialCallStatus", "completed"),
            ("DialCallDuration", "90"),
        ];
        twilio(&mut s, &status_url, &params, Some(TWILIO));
        deliver_all(&mut s);
        let events: Vec<Value> = s
            .receiver
            .received
            .iter()
            .map(|r| {
                let (id, ts, sig) = (
                    r.header("webhook-id").unwrap(),
                    r.header("webhook-timestamp").unwrap(),
                    r.header("webhook-signature").unwrap(),
                );
                verify(&secret, id, ts, sig, r.body.as_bytes(), support::NOW).expect("signed");
                serde_json::from_str(&r.body).unwrap()
            })
            .collect();
        let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(
            types,
            [
                "call.started",
                "call.attributed",
                "call.completed",
                "call.outcome"
            ],
            "{events:?}"
        );
        for e in &events {
            assert_eq!(e["data"]["call_id"], SID);
            assert_eq!(e["data"]["pool"], "p1");
            assert_eq!(e["data"]["recipient"], "a");
            assert_eq!(e["data"]["campaign"], "spring");
            assert_eq!(e["data"]["number"], to);
        }
        assert_eq!(events[2]["data"]["duration_seconds"], 90);
        assert_eq!(events[3]["data"]["outcome"]["value"]["amount"], "50.00");
    }

    #[test]
    fn a_reported_call_is_announced_once_with_its_completion_and_outcome() {
        let mut s = service();
        let to = pool(&mut s, true);
        call_hook(&mut s);
        let report = json!({"to": to, "from": CALLER, "at": support::NOW + 60, "duration": 75});
        s.admin("POST", "/v1/calls", report.clone());
        s.admin("POST", "/v1/calls", report); // the same call again: no new events
        deliver_all(&mut s);
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
        assert_eq!(
            types,
            [
                "call.started",
                "call.attributed",
                "call.completed",
                "call.outcome"
            ]
        );
    }
}
