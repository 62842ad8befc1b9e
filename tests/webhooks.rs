//! Outbound webhooks, by behaviour: signatures against the Standard Webhooks
//! test vector, the retry sequence, exhaustion, replay, restarts, the address
//! guard and filters. Every clock is a number passed in: nothing here waits.

use ringmark::webhooks::Registration;
use ringmark::webhooks::address::check_url;
use ringmark::webhooks::event::{EventData, EventType, WebhookEvent};
use ringmark::webhooks::outbox::{
    Attempt, DeliveryResult, DeliveryState, Outbox, OutboxConfig, Recorded, SNAPSHOT_VERSION,
};
use ringmark::webhooks::signature::{Secret, VerifyError, sign, verify};

const T0: i64 = 1_795_428_900;

// ---- signatures -------------------------------------------------------------

/// The published vector: standard-webhooks/standard-webhooks,
/// libraries/go/webhook_test.go `TestWebhookSign` (also in the PHP, Python and
/// JS libraries' tests).
const VECTOR_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const VECTOR_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const VECTOR_TS: i64 = 1_614_265_330;
const VECTOR_BODY: &[u8] = br#"{"test": 2432232314}"#;
const VECTOR_SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

#[test]
fn signature_reproduces_the_published_vector() {
    let secret = Secret::parse(VECTOR_SECRET).unwrap();
    assert_eq!(sign(&secret, VECTOR_ID, VECTOR_TS, VECTOR_BODY), VECTOR_SIG);
    // The prefix is optional, as in the reference libraries.
    let bare = Secret::parse(VECTOR_SECRET.trim_start_matches("whsec_")).unwrap();
    assert_eq!(bare, secret);
    assert_eq!(secret.expose(), VECTOR_SECRET);
    assert_eq!(
        verify(
            &secret,
            VECTOR_ID,
            "1614265330",
            VECTOR_SIG,
            VECTOR_BODY,
            VECTOR_TS
        ),
        Ok(())
    );
}

#[test]
fn tampering_with_body_timestamp_or_id_is_refused() {
    let secret = Secret::parse(VECTOR_SECRET).unwrap();
    let ts = "1614265330";
    let now = VECTOR_TS;
    for (id, ts, body) in [
        (VECTOR_ID, ts, &br#"{"test": 2432232315}"#[..]),
        (VECTOR_ID, ts, &br#"{"test":2432232314}"#[..]),
        (VECTOR_ID, "1614265331", VECTOR_BODY),
        ("msg_p5jXN8AQM9LWM0D4loKWxJeK", ts, VECTOR_BODY),
    ] {
        assert_eq!(
            verify(&secret, id, ts, VECTOR_SIG, body, now),
            Err(VerifyError::NoMatch),
            "{id} {ts}"
        );
    }
    let other = Secret::from_random(&[9u8; 32]).unwrap();
    assert_eq!(
        verify(&other, VECTOR_ID, ts, VECTOR_SIG, VECTOR_BODY, now),
        Err(VerifyError::NoMatch)
    );
}

#[test]
fn several_signatures_any_v1_may_match() {
    let secret = Secret::parse(VECTOR_SECRET).unwrap();
    let header =
        format!("v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,abc v1a,zzz junk {VECTOR_SIG}");
    assert_eq!(
        verify(
            &secret,
            VECTOR_ID,
            "1614265330",
            &header,
            VECTOR_BODY,
            VECTOR_TS
        ),
        Ok(())
    );
    // The right tag under another version label does not count.
    let relabelled = VECTOR_SIG.replace("v1,", "v2,");
    assert_eq!(
        verify(
            &secret,
            VECTOR_ID,
            "1614265330",
            &relabelled,
            VECTOR_BODY,
            VECTOR_TS
        ),
        Err(VerifyError::NoMatch)
    );
}

#[test]
fn timestamps_outside_five_minutes_are_refused() {
    let secret = Secret::parse(VECTOR_SECRET).unwrap();
    let check = |now: i64| {
        verify(
            &secret,
            VECTOR_ID,
            "1614265330",
            VECTOR_SIG,
            VECTOR_BODY,
            now,
        )
    };
    assert_eq!(check(VECTOR_TS + 300), Ok(()));
    assert_eq!(check(VECTOR_TS - 300), Ok(()));
    assert_eq!(check(VECTOR_TS + 301), Err(VerifyError::TooOld));
    assert_eq!(check(VECTOR_TS - 301), Err(VerifyError::TooNew));
    for bad_ts in ["", "soon", "1614265330.5"] {
        assert_eq!(
            verify(
                &secret,
                VECTOR_ID,
                bad_ts,
                VECTOR_SIG,
                VECTOR_BODY,
                VECTOR_TS
            ),
            Err(VerifyError::Malformed)
        );
    }
    let long = "v1,x ".repeat(1000);
    assert_eq!(
        verify(
            &secret,
            VECTOR_ID,
            "1614265330",
            &long,
            VECTOR_BODY,
            VECTOR_TS
        ),
        Err(VerifyError::Malformed)
    );
}

// ---- helpers ----------------------------------------------------------------

fn registration(body: &str) -> Registration {
    Registration::parse(body.as_bytes(), false).unwrap()
}

fn outbox_with(id: &str, body: &str) -> Outbox {
    let mut outbox = Outbox::new(OutboxConfig::default());
    outbox
        .register(id, registration(body), &[id.len() as u8; 32], T0 - 100)
        .unwrap();
    outbox
}

fn event(n: u8, event_type: EventType, pool: &str, at: i64) -> WebhookEvent {
    WebhookEvent::new(
        &[n; 16],
        event_type,
        at,
        EventData {
            pool: pool.into(),
            campaign: Some("launch".into()),
            recipient: Some(format!("r-{n}")),
            number: Some("+14155550100".into()),
            ..EventData::default()
        },
    )
}

fn header<'a>(attempt: &'a Attempt, name: &str) -> &'a str {
    attempt
        .headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} header"))
}

/// Checks an attempt as a Standard Webhooks receiver would, at time `now`.
fn receiver_accepts(outbox: &Outbox, endpoint: &str, attempt: &Attempt, now: i64) {
    let secret = &outbox.endpoint(endpoint).unwrap().secret;
    assert_eq!(header(attempt, "content-type"), "application/json");
    verify(
        secret,
        header(attempt, "webhook-id"),
        header(attempt, "webhook-timestamp"),
        header(attempt, "webhook-signature"),
        attempt.body.as_bytes(),
        now,
    )
    .expect("the receiver verifies the attempt");
}

const CRM: &str = r#"{"url":"https://hooks.example.com/ringmark","events":["call.attributed"],"retry_schedule_seconds":[2,4]}"#;

// ---- retries ------------------------------------------------------------------

#[test]
fn fail_fail_succeed_keeps_one_webhook_id_and_lists_every_attempt() {
    let mut outbox = outbox_with("crm", CRM);
    let ev = event(1, EventType::CallAttributed, "spring", T0);
    let ids = outbox.enqueue(ev.clone(), T0);
    assert_eq!(ids.len(), 1);
    assert_eq!(outbox.next_alarm(), Some(T0));

    let first = outbox.due(T0);
    assert_eq!(first.len(), 1);
    let a1 = &first[0];
    assert_eq!((a1.attempt, a1.method), (1, "POST"));
    assert_eq!(a1.url, "https://hooks.example.com/ringmark");
    assert_eq!(a1.body, ev.body);
    receiver_accepts(&outbox, "crm", a1, T0);
    // Leased: not handed out again while its result is awaited.
    assert!(outbox.due(T0 + 1).is_empty());
    assert_eq!(
        outbox.record(a1.delivery, 1, DeliveryResult::Status(500), T0 + 1),
        Ok(Recorded::Retry(T0 + 3))
    );
    assert_eq!(outbox.next_alarm(), Some(T0 + 3));
    assert!(outbox.due(T0 + 2).is_empty(), "not before its time");

    let a2 = outbox.due(T0 + 3).pop().unwrap();
    assert_eq!(a2.attempt, 2);
    receiver_accepts(&outbox, "crm", &a2, T0 + 3);
    assert_eq!(
        outbox.record(
            a2.delivery,
            2,
            DeliveryResult::NetworkError("connection reset".into()),
            T0 + 4
        ),
        Ok(Recorded::Retry(T0 + 8))
    );

    let a3 = outbox.due(T0 + 8).pop().unwrap();
    assert_eq!(a3.attempt, 3);
    assert_eq!(
        outbox.record(a3.delivery, 3, DeliveryResult::Status(204), T0 + 9),
        Ok(Recorded::Delivered)
    );
    assert_eq!(outbox.next_alarm(), None);

    // The same webhook-id and body every time; the timestamp and signature are fresh.
    for a in [&a2, &a3] {
        assert_eq!(header(a, "webhook-id"), header(a1, "webhook-id"));
        assert_eq!(header(a, "webhook-id"), ev.id);
        assert_eq!(a.body, a1.body);
        assert_ne!(
            header(a, "webhook-signature"),
            header(a1, "webhook-signature")
        );
    }
    assert_eq!(header(&a3, "webhook-timestamp"), (T0 + 8).to_string());

    let listed = outbox.deliveries("crm", 10);
    assert_eq!(listed.len(), 1);
    let d = listed[0];
    assert_eq!(d.state, DeliveryState::Delivered { at: T0 + 9 });
    let seen: Vec<(u32, i64, Option<u16>, Option<&str>)> = d
        .attempts
        .iter()
        .map(|a| (a.attempt, a.at, a.status, a.error.as_deref()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (1, T0, Some(500), None),
            (2, T0 + 3, None, Some("connection reset")),
            (3, T0 + 8, Some(204), None),
        ]
    );
    let json = d.to_json();
    assert_eq!(json["state"], "delivered");
    assert!(json["next_at"].is_null());
    assert!(outbox.endpoint("crm").unwrap().disabled.is_none());
}

#[test]
fn exhaustion_disables_the_endpoint_and_says_why() {
    let mut outbox = outbox_with("crm", CRM);
    outbox.enqueue(event(1, EventType::CallAttributed, "spring", T0), T0);
    outbox.enqueue(event(2, EventType::CallAttributed, "spring", T0), T0);
    let mut now = T0;
    let mut first = outbox.due(now);
    assert_eq!(first.len(), 2);
    let other = first.pop().unwrap();
    let mut attempt = first.pop().unwrap();
    // The other delivery is still in flight when the first one gives up.
    for expected in [Recorded::Retry(now + 2), Recorded::Retry(now + 2 + 4)] {
        assert_eq!(
            outbox.record(
                attempt.delivery,
                attempt.attempt,
                DeliveryResult::Status(503),
                now
            ),
            Ok(expected.clone())
        );
        let Recorded::Retry(at) = expected else {
            unreachable!()
        };
        now = at;
        attempt = outbox
            .due(now)
            .into_iter()
            .find(|a| a.delivery == attempt.delivery)
            .unwrap();
    }
    assert_eq!(attempt.attempt, 3, "1 + 2 schedule entries");
    let Ok(Recorded::Failed(reason)) =
        outbox.record(attempt.delivery, 3, DeliveryResult::Status(503), now)
    else {
        panic!("the last attempt fails the delivery");
    };
    assert!(
        reason.contains("all 3 attempts") && reason.contains("HTTP 503"),
        "{reason}"
    );
    let disabled = outbox.endpoint("crm").unwrap().disabled.clone().unwrap();
    assert_eq!((disabled.at, disabled.reason), (now, reason.clone()));
    assert_eq!(
        outbox.endpoint("crm").unwrap().public_json()["disabled"]["reason"],
        reason.as_str()
    );
    // Its other delivery fails with it; a disabled endpoint gets nothing new.
    let o = outbox.delivery(other.delivery).unwrap();
    assert!(
        matches!(&o.state, DeliveryState::Failed { reason, .. } if reason.contains("disabled"))
    );
    assert_eq!(
        outbox.record(
            other.delivery,
            other.attempt,
            DeliveryResult::Status(500),
            now
        ),
        Ok(Recorded::Ignored)
    );
    assert!(
        outbox
            .enqueue(event(3, EventType::CallAttributed, "spring", now), now)
            .is_empty()
    );
    assert_eq!(outbox.next_alarm(), None);
    // Registering it again re-enables it and keeps its secret.
    let secret = outbox.endpoint("crm").unwrap().secret.clone();
    outbox
        .register("crm", registration(CRM), &[0xee; 32], now)
        .unwrap();
    let e = outbox.endpoint("crm").unwrap();
    assert!(e.disabled.is_none());
    assert_eq!(e.secret, secret);
}

#[test]
fn gone_disables_at_once() {
    let mut outbox = outbox_with("crm", CRM);
    outbox.enqueue(event(1, EventType::CallAttributed, "spring", T0), T0);
    let a = outbox.due(T0).pop().unwrap();
    let r = outbox.record(a.delivery, 1, DeliveryResult::Status(410), T0 + 1);
    assert!(
        matches!(r, Ok(Recorded::Failed(ref why)) if why.contains("410")),
        "{r:?}"
    );
    assert!(outbox.endpoint("crm").unwrap().disabled.is_some());
}

#[test]
fn a_lapsed_lease_counts_as_a_failure_and_retries_with_the_same_id() {
    let mut outbox = outbox_with("crm", CRM);
    outbox.enqueue(event(1, EventType::CallAttributed, "spring", T0), T0);
    let a1 = outbox.due(T0).pop().unwrap();
    let lease_end = T0 + OutboxConfig::default().lease_seconds;
    assert_eq!(outbox.next_alarm(), Some(lease_end));
    assert!(outbox.due(lease_end - 1).is_empty());
    // The object was evicted mid-request: no result ever came. At lease end
    // the attempt fails, and the next one is due 2 s later.
    assert!(outbox.due(lease_end).is_empty());
    let a2 = outbox.due(lease_end + 2).pop().unwrap();
    assert_eq!(a2.attempt, 2);
    assert_eq!(header(&a2, "webhook-id"), header(&a1, "webhook-id"));
    let d = outbox.delivery(a1.delivery).unwrap();
    assert_eq!(
        d.attempts[0].error.as_deref(),
        Some("no result before the lease ended")
    );
    // The first attempt's success arrives late after all: it delivered.
    assert_eq!(
        outbox.record(a1.delivery, 1, DeliveryResult::Status(200), lease_end + 3),
        Ok(Recorded::Delivered)
    );
    assert_eq!(
        outbox.record(a2.delivery, 2, DeliveryResult::Status(200), lease_end + 4),
        Ok(Recorded::Ignored)
    );
    assert_eq!(outbox.next_alarm(), None);
}

#[test]
fn unknown_deliveries_and_attempts_are_refused() {
    use ringmark::webhooks::outbox::RecordError;
    let mut outbox = outbox_with("crm", CRM);
    outbox.enqueue(event(1, EventType::CallAttributed, "spring", T0), T0);
    let a = outbox.due(T0).pop().unwrap();
    assert_eq!(
        outbox.record(a.delivery + 100, 1, DeliveryResult::Status(200), T0),
        Err(RecordError::UnknownDelivery)
    );
    assert_eq!(
        outbox.record(a.delivery, 2, DeliveryResult::Status(200), T0),
        Err(RecordError::UnknownAttempt)
    );
}

// ---- replay -------------------------------------------------------------------

#[test]
fn replay_resends_the_same_event_as_a_new_delivery() {
    let mut outbox = outbox_with("crm", CRM);
    let ev = event(1, EventType::CallAttributed, "spring", T0);
    outbox.enqueue(ev.clone(), T0);
    let a = outbox.due(T0).pop().unwrap();
    outbox
        .record(a.delivery, 1, DeliveryResult::Status(200), T0)
        .unwrap();
    // Enqueueing the same event again is a no-op; replaying it is explicit.
    assert!(outbox.enqueue(ev.clone(), T0 + 10).is_empty());
    let id = outbox.replay(&ev.id, "crm", T0 + 10).unwrap();
    assert_ne!(id, a.delivery);
    let r = outbox.due(T0 + 10).pop().unwrap();
    assert_eq!((r.delivery, r.attempt), (id, 1));
    assert_eq!(header(&r, "webhook-id"), ev.id);
    assert_eq!(r.body, a.body);
    receiver_accepts(&outbox, "crm", &r, T0 + 10);
    assert_eq!(outbox.deliveries("crm", 10).len(), 2);
    assert_eq!(outbox.deliveries("crm", 10)[0].id, id, "newest first");

    use ringmark::webhooks::outbox::ReplayError;
    assert_eq!(
        outbox.replay("msg_nope", "crm", T0),
        Err(ReplayError::UnknownEvent)
    );
    assert_eq!(
        outbox.replay(&ev.id, "nope", T0),
        Err(ReplayError::UnknownEndpoint)
    );
    assert_eq!(ReplayError::UnknownEvent.to_api().status(), 404);
}

// ---- restart ------------------------------------------------------------------

/// A half-way state: one delivery waiting for its retry, one in flight.
fn busy_outbox() -> Outbox {
    let mut outbox = outbox_with("crm", CRM);
    outbox
        .register(
            "all",
            registration(
                r#"{"url":"https://b.example.org/h","events":["call.attributed","open.human"]}"#,
            ),
            &[7; 24],
            T0,
        )
        .unwrap();
    outbox.enqueue(event(1, EventType::CallAttributed, "spring", T0), T0);
    outbox.enqueue(event(2, EventType::OpenHuman, "spring", T0), T0);
    let attempts = outbox.due(T0);
    assert_eq!(attempts.len(), 3);
    let crm = attempts
        .iter()
        .find(|a| a.url.contains("hooks.example.com"))
        .unwrap();
    outbox
        .record(crm.delivery, 1, DeliveryResult::Status(502), T0 + 1)
        .unwrap();
    outbox
}

#[test]
fn a_snapshot_restores_the_same_due_attempts() {
    let mut before = busy_outbox();
    let json = serde_json::to_string(&before.snapshot()).unwrap();
    let mut after = Outbox::restore(&json, OutboxConfig::default()).unwrap();
    assert_eq!(after.snapshot(), before.snapshot());
    assert_eq!(after.next_alarm(), before.next_alarm());
    for now in [T0 + 3, T0 + 61, T0 + 70] {
        assert_eq!(after.due(now), before.due(now), "at {now}");
    }
}

#[test]
fn storage_rows_restore_the_same_due_attempts() {
    let mut before = busy_outbox();
    // The adapter's table: (kind, key) -> value, with every change applied.
    let mut table = std::collections::BTreeMap::new();
    let mut apply = |outbox: &mut Outbox| {
        for row in outbox.take_rows() {
            match row.value {
                Some(v) => table.insert((row.kind, row.key), v),
                None => table.remove(&(row.kind, row.key)),
            };
        }
    };
    apply(&mut before);
    let rows: Vec<(&str, &str, &str)> = table
        .iter()
        .map(|((k, key), v)| (*k, key.as_str(), v.as_str()))
        .collect();
    let mut after = Outbox::from_rows(rows, OutboxConfig::default()).unwrap();
    assert_eq!(after.snapshot(), before.snapshot());
    assert_eq!(after.due(T0 + 3), before.due(T0 + 3));
    assert!(!after.take_rows().is_empty(), "due() changed rows");
    assert!(
        Outbox::from_rows([], OutboxConfig::default())
            .unwrap()
            .next_alarm()
            .is_none()
    );
}

#[test]
fn the_committed_v1_fixture_loads_and_delivers() {
    let json = include_str!("fixtures/webhooks-outbox-v1.json");
    let mut outbox = Outbox::restore(json, OutboxConfig::default()).unwrap();
    assert_eq!(outbox.next_alarm(), Some(1_795_428_905));
    assert!(outbox.due(1_795_428_904).is_empty());
    let a = outbox.due(1_795_428_905).pop().unwrap();
    assert_eq!((a.delivery, a.attempt), (1, 2));
    assert_eq!(header(&a, "webhook-id"), "msg_p5jXN8AQM9LWM0D4loKWxJek");
    let secret = Secret::parse(VECTOR_SECRET).unwrap();
    assert_eq!(
        header(&a, "webhook-signature"),
        sign(
            &secret,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_795_428_905,
            a.body.as_bytes()
        )
    );
    // Ids are never reused after a restart.
    let new = outbox.enqueue(
        event(9, EventType::OpenMachine, "any", 1_795_429_000),
        1_795_429_000,
    );
    assert_eq!(new, vec![3]);
}

#[test]
fn a_newer_or_unversioned_snapshot_is_refused() {
    let json = include_str!("fixtures/webhooks-outbox-v1.json");
    let newer = json.replacen(
        "\"version\": 1",
        &format!("\"version\": {}", SNAPSHOT_VERSION + 1),
        1,
    );
    let e = Outbox::restore(&newer, OutboxConfig::default()).unwrap_err();
    assert!(e.to_string().contains("newer"), "{e}");
    let none = json.replacen("\"version\": 1,", "", 1);
    assert!(Outbox::restore(&none, OutboxConfig::default()).is_err());
    let meta = r#"{"version":2,"next_delivery":1}"#;
    assert!(Outbox::from_rows([("meta", "meta", meta)], OutboxConfig::default()).is_err());
}

// ---- bounded memory -----------------------------------------------------------

#[test]
fn finished_deliveries_are_pruned_and_caps_hold() {
    let config = OutboxConfig {
        max_events: 5,
        max_deliveries: 5,
        keep_seconds: 100,
        ..OutboxConfig::default()
    };
    let mut outbox = Outbox::new(config);
    outbox
        .register("crm", registration(CRM), &[1; 32], T0)
        .unwrap();
    for n in 0..20u8 {
        let now = T0 + i64::from(n);
        outbox.enqueue(event(n, EventType::CallAttributed, "spring", now), now);
        for a in outbox.due(now) {
            outbox
                .record(a.delivery, a.attempt, DeliveryResult::Status(200), now)
                .unwrap();
        }
        let s = outbox.snapshot();
        assert!(s.events.len() <= 5 && s.deliveries.len() <= 5, "{n}");
    }
    assert_eq!(outbox.dropped(), 0, "only finished deliveries were evicted");
    // Past the keep window, finished deliveries and their events go.
    outbox.enqueue(
        event(99, EventType::CallAttributed, "spring", T0 + 500),
        T0 + 500,
    );
    let s = outbox.snapshot();
    assert_eq!((s.events.len(), s.deliveries.len()), (1, 1));
}

// ---- filters ------------------------------------------------------------------

#[test]
fn filters_match_event_types_and_pools() {
    let mut outbox = Outbox::new(OutboxConfig::default());
    for (id, body) in [
        (
            "calls",
            r#"{"url":"https://a.example.com/","events":["call.started","call.completed"]}"#,
        ),
        (
            "spring-opens",
            r#"{"url":"https://b.example.com/","events":["open.human","open.machine"],"pools":["spring"]}"#,
        ),
        (
            "pressure",
            r#"{"url":"https://c.example.com/","events":["pool.pressure","pool.exhausted"],"pools":["spring","autumn"]}"#,
        ),
    ] {
        outbox
            .register(id, registration(body), &[3; 32], T0)
            .unwrap();
    }
    let wants = |t: EventType, pool: &str| -> Vec<String> {
        outbox
            .endpoints()
            .filter(|e| e.wants(t, pool))
            .map(|e| e.id.clone())
            .collect()
    };
    assert_eq!(wants(EventType::CallStarted, "x"), ["calls"]);
    assert_eq!(wants(EventType::CallAttributed, "x"), Vec::<String>::new());
    assert_eq!(wants(EventType::OpenMachine, "spring"), ["spring-opens"]);
    assert_eq!(
        wants(EventType::OpenMachine, "autumn"),
        Vec::<String>::new()
    );
    assert_eq!(wants(EventType::PoolExhausted, "autumn"), ["pressure"]);
    assert_eq!(
        wants(EventType::PoolPressure, "winter"),
        Vec::<String>::new()
    );
    let ids = outbox.enqueue(event(1, EventType::OpenHuman, "spring", T0), T0);
    assert_eq!(ids.len(), 1);
    assert!(
        outbox
            .enqueue(event(2, EventType::OpenHuman, "summer", T0), T0)
            .is_empty()
    );
    assert!(outbox.remove("spring-opens", T0));
    assert!(outbox.deliveries("spring-opens", 10).is_empty());
    assert_eq!(outbox.next_alarm(), None);
}

// ---- the address guard --------------------------------------------------------

#[test]
fn private_and_hostile_urls_are_refused() {
    for url in [
        // loopback, in every spelling a WHATWG parser accepts
        "https://127.0.0.1/",
        "https://127.1/",
        "https://2130706433/",
        "https://0x7f000001/",
        "https://0x7F.0.0.1/",
        "https://0177.0.0.1/",
        "https://127.0.0.1.:8443/",
        "https://localhost/",
        "https://LOCALHOST./",
        "https://api.localhost/",
        "https://[::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://[::ffff:7f00:1]/",
        "https://[0:0:0:0:0:0:0:1]:443/",
        // unspecified
        "https://0.0.0.0/",
        "https://0/",
        "https://[::]/",
        // private, CGNAT, link-local and metadata
        "https://10.1.2.3/",
        "https://172.16.0.1/",
        "https://172.31.255.255/",
        "https://192.168.1.1/",
        "https://100.64.0.1/",
        "https://100.100.100.200/",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fe80::1]/",
        "https://[fd00:ec2::254]/",
        "https://[fc00::1]/",
        "https://[::ffff:169.254.169.254]/",
        "https://[64:ff9b::a9fe:a9fe]/",
        "https://[2002:7f00:1::]/",
        "https://metadata.google.internal/computeMetadata/v1/",
        "https://metadata/",
        "https://printer.local/",
        // multicast, broadcast, documentation
        "https://224.0.0.1/",
        "https://255.255.255.255/",
        "https://[ff02::1]/",
        "https://[2001:db8::1]/",
        // text a lenient parser would read differently
        "https://evil.example.com\\@127.0.0.1/",
        "https://127.0.0.1\\@evil.example.com/",
        "https://user:pw@example.com/",
        "https://example.com@127.0.0.1/",
        "https://%31%32%37.0.0.1/",
        "https://exa\tmple.com/",
        " https://example.com/",
        "https://example.com/ ",
        "https://exämple.com/",
        "https://example.com/#frag",
        "https://[127.0.0.1]/",
        "https://[::1/",
        "https://::1/",
        "https://1.2.3.4.5/",
        "https://256.0.0.1/",
        "https://example..com/",
        "https:///path",
        "https://example.com:0/",
        "https://example.com:65536/",
        "https://example.com:/",
        "https://example.com:+443/",
        // schemes
        "http://example.com/",
        "ftp://example.com/",
        "javascript:alert(1)",
        "example.com/hook",
    ] {
        assert!(check_url(url, false).is_err(), "{url:?} was accepted");
    }
}

#[test]
fn public_urls_are_accepted_in_canonical_form() {
    for (url, canonical) in [
        (
            "https://hooks.example.com/ringmark?key=1",
            "https://hooks.example.com/ringmark?key=1",
        ),
        ("HTTPS://Hooks.Example.COM", "https://hooks.example.com/"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443?x", "https://example.com:8443/?x"),
        ("https://8.8.8.8/h", "https://8.8.8.8/h"),
        ("https://134744072/h", "https://8.8.8.8/h"),
        ("https://[2606:4700::1111]/h", "https://[2606:4700::1111]/h"),
        ("https://[::ffff:8.8.8.8]/", "https://[::ffff:808:808]/"),
        ("https://xn--exmple-cua.com/", "https://xn--exmple-cua.com/"),
        ("https://0x7f.example.com/", "https://0x7f.example.com/"),
    ] {
        assert_eq!(check_url(url, false).as_deref(), Ok(canonical), "{url}");
    }
}

#[test]
fn allow_private_admits_local_test_receivers() {
    assert_eq!(
        check_url("http://127.0.0.1:8788/hook", true).as_deref(),
        Ok("http://127.0.0.1:8788/hook")
    );
    assert!(check_url("http://localhost:9000/", true).is_ok());
    assert!(check_url("https://[::1]/", true).is_ok());
    // Still refused: what could be misread, and other schemes.
    assert!(check_url("http://a\\@127.0.0.1/", true).is_err());
    assert!(check_url("ftp://127.0.0.1/", true).is_err());
}

/// Differential check against the `url` crate (a WHATWG URL implementation,
/// as `fetch()` uses): for every URL accepted, both read the same host, port
/// and path, so what was checked is what will be fetched.
#[test]
fn accepted_urls_mean_the_same_to_a_whatwg_parser() {
    let mut accepted = 0;
    for url in [
        "https://hooks.example.com/ringmark?key=1",
        "HTTPS://Hooks.Example.COM",
        "https://example.com:443/a",
        "https://example.com:08443/a",
        "https://134744072/h",
        "https://0x08080808/",
        "https://010.010.010.010/",
        "https://8.8.2056/",
        "https://[2606:4700::1111]/h",
        "https://[::ffff:8.8.8.8]/",
        "https://0x7f.example.com/",
        "https://example.com./",
        "https://a_b.example.com/x%20y",
        "http://127.0.0.1:8788/hook",
        "http://[::1]:8080",
        "https://[2001:4860:0:0:0:0:0:8888]/",
        "https://[2001:0:0:1:0:0:0:1]/",
        "https://[1:0:0:2:0:0:0:0]/",
        "https://[1:2:3:4:5:6:7:0]/",
    ] {
        let Ok(ours) = check_url(url, true) else {
            continue;
        };
        accepted += 1;
        let theirs = url::Url::parse(url).unwrap();
        let reparsed = url::Url::parse(&ours).unwrap();
        assert_eq!(reparsed, theirs, "{url} -> {ours}");
        assert_eq!(ours, theirs.as_str(), "{url}");
    }
    assert_eq!(accepted, 19);
}
