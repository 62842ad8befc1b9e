//! A pool split into shards (`shards` in the pool's configuration), natively: routing of opens,
//! calls and erasure to the right shard object, the directory's number ownership, the sums the
//! admin API answers, and the refusal of a new shard count. `tests/e2e/shards.test.mjs` runs a
//! sharded pool in workerd.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use support::{ADMIN, BASE, NOW, Service};

use ringmark::edge::{EdgeConfig, Effect, Target};
use ringmark::http::{Request, Response};
use ringmark::objects::DirectoryObject;
use ringmark::protocol::{DirectoryCommand, DirectoryEntry, PoolCommand, PoolState, read_answer};
use ringmark::shard::{object_name, shard_of};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148";
const TWILIO: &str = "test-twilio-auth-token";
const FALLBACK: &str = "+14155550100";
const SHARDS: u32 = 4;

fn numbers(range: std::ops::Range<u32>) -> Vec<String> {
    range.map(|i| format!("+1415555{i:04}")).collect()
}

fn body(numbers: &[String], shards: Option<u32>) -> Value {
    let mut body = json!({
        "numbers": numbers,
        "fallback": FALLBACK,
        "lease_seconds": 3600,
        "forward_to": "+14155559999",
    });
    if let Some(shards) = shards {
        body["shards"] = json!(shards);
    }
    body
}

fn service() -> Service {
    Service::with_config(EdgeConfig {
        signing_key: support::KEY.into(),
        admin_token: ADMIN.into(),
        twilio_auth_token: TWILIO.into(),
        ..EdgeConfig::default()
    })
}

/// The state one shard object answers (its own figures, not the sum).
fn shard_state(s: &mut Service, name: &str) -> PoolState {
    let slot = s.pools.get_mut(name).expect("the shard object exists");
    read_answer(&slot.engine.handle(PoolCommand::State, s.now).answer).unwrap()
}

/// Recipients `r-0`…: their tokens for campaign `c1` of pool `big`.
fn tokens(s: &mut Service, count: usize) -> Vec<Value> {
    let recipients: Vec<String> = (0..count).map(|i| format!("r-{i}")).collect();
    let (status, body) = s.admin(
        "POST",
        "/v1/pools/big/tokens",
        json!({"campaign": "c1", "recipients": recipients}),
    );
    assert_eq!(status, 200, "{body}");
    body["tokens"].as_array().unwrap().clone()
}

/// A person taps the call link: the number they are shown (`tel:` redirect).
fn dial(s: &mut Service, token: &Value) -> String {
    let r =
        s.run(Request::new("GET", token["click"].as_str().unwrap()).header("user-agent", IPHONE));
    assert_eq!(r.status, 302);
    r.header_value("location")
        .unwrap()
        .trim_start_matches("tel:")
        .to_owned()
}

/// A sharded pool `big` of 12 numbers.
fn sharded() -> Service {
    let mut s = service();
    let (status, answer) = s.admin(
        "PUT",
        "/v1/pools/big",
        body(&numbers(101..113), Some(SHARDS)),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["shards"], SHARDS);
    assert_eq!(answer["config"]["numbers"].as_array().unwrap().len(), 12);
    s
}

#[test]
fn one_shard_is_the_pool_s_own_object_as_before() {
    for shards in [None, Some(1)] {
        let mut s = service();
        let (status, _) = s.admin("PUT", "/v1/pools/big", body(&numbers(101..103), shards));
        assert_eq!(status, 200);
        let names: BTreeSet<&String> = s.pools.keys().collect();
        assert_eq!(names, BTreeSet::from([&"big".to_owned()]));
        let settings = s.pools["big"]
            .store
            .query("SELECT v FROM kv WHERE k = 'settings'");
        let stored = settings[0]["v"].as_str().unwrap();
        assert!(
            !stored.contains("shard"),
            "one shard stores what it stored before: {stored}"
        );
        let tables = s.directory_store.table_counts();
        assert_eq!(tables.get("pool_shards"), Some(&0), "{tables:?}");
        assert_eq!(tables.get("number_shards"), Some(&0), "{tables:?}");
        let (_, state) = s.admin("GET", "/v1/pools/big", Value::Null);
        assert!(state.get("shards").is_none(), "{state}");
    }
}

#[test]
fn each_shard_is_configured_with_only_the_numbers_it_owns() {
    let mut s = sharded();
    let mut all = BTreeSet::new();
    for shard in 0..SHARDS {
        let state = shard_state(&mut s, &object_name("big", shard, SHARDS));
        assert_eq!(state.config.numbers.len(), 3, "dealt evenly");
        assert_eq!(
            state.config.fallback, FALLBACK,
            "every shard shows the fallback"
        );
        for n in &state.config.numbers {
            assert!(all.insert(n.clone()), "{n} is in two shards");
        }
    }
    assert_eq!(all.len(), 12);
    assert!(
        !s.pools.contains_key("big"),
        "no object named by the pool itself"
    );
}

#[test]
fn opens_go_to_the_recipient_s_shard_and_no_number_is_leased_twice() {
    let mut s = sharded();
    let tokens = tokens(&mut s, 12);
    let mut shown = BTreeMap::new();
    for (i, t) in tokens.iter().enumerate() {
        let before = s.commands.clone();
        let number = dial(&mut s, t);
        let recipient = format!("r-{i}");
        let owner = object_name("big", shard_of(&recipient, SHARDS), SHARDS);
        for shard in 0..SHARDS {
            let name = object_name("big", shard, SHARDS);
            let delta = s.commands.get(&name).copied().unwrap_or(0)
                - before.get(&name).copied().unwrap_or(0);
            assert_eq!(
                delta,
                usize::from(name == owner),
                "{recipient}'s open went to {name}"
            );
        }
        if number != FALLBACK {
            let numbers = shard_state(&mut s, &owner).config.numbers;
            assert!(
                numbers.contains(&number),
                "{recipient} shown {number}, not {owner}'s"
            );
        }
        shown.insert(recipient, number);
    }
    // Numbers held exclusively are distinct across shards.
    let leased: Vec<&String> = shown.values().filter(|n| n.as_str() != FALLBACK).collect();
    let distinct: BTreeSet<&&String> = leased.iter().collect();
    assert_eq!(
        distinct.len(),
        leased.len(),
        "a number leased twice: {shown:?}"
    );
    // A re-open keeps the number.
    s.now += 600;
    for (i, t) in tokens.iter().enumerate() {
        assert_eq!(
            dial(&mut s, t),
            shown[&format!("r-{i}")],
            "r-{i} changed number"
        );
    }
}

#[test]
fn state_campaigns_and_report_are_sums_over_the_shards() {
    let mut s = sharded();
    let tokens = tokens(&mut s, 20);
    for t in &tokens {
        dial(&mut s, t);
    }
    let (status, state) = s.admin("GET", "/v1/pools/big", Value::Null);
    assert_eq!(status, 200, "{state}");
    assert_eq!(state["shards"], SHARDS);
    let per_shard: Vec<PoolState> = (0..SHARDS)
        .map(|k| shard_state(&mut s, &object_name("big", k, SHARDS)))
        .collect();
    let sum = |f: fn(&PoolState) -> u64| per_shard.iter().map(f).sum::<u64>();
    assert_eq!(state["opens"]["total"], 20);
    assert_eq!(state["opens"]["total"], sum(|p| p.opens.total));
    assert_eq!(state["live"]["holders"], sum(|p| u64::from(p.live.holders)));
    assert_eq!(
        state["live"]["exclusive"],
        sum(|p| u64::from(p.live.exclusive))
    );
    assert_eq!(state["live"]["numbers"], 12);
    assert_eq!(state["config"]["numbers"].as_array().unwrap().len(), 12);
    let leasable = sum(|p| u64::from(p.live.leasable)) as f64;
    let free = sum(|p| u64::from(p.live.free)) as f64;
    assert!(
        (state["live"]["utilisation"].as_f64().unwrap() - (leasable - free) / leasable).abs()
            < 1e-9
    );

    let (_, campaigns) = s.admin("GET", "/v1/pools/big/campaigns", Value::Null);
    assert_eq!(campaigns["campaigns"][0]["recipients"], 20, "{campaigns}");

    let (status, report) = s.admin("GET", "/v1/pools/big/report?campaign=c1", Value::Null);
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["report"]["recipients_with_tokens"], 20);
    assert_eq!(report["report"]["opens"], 20);
    assert_eq!(report["report"]["recipients_opened"], 20);
    let csv = s.run(
        Request::new(
            "GET",
            &format!("{BASE}/v1/pools/big/report?campaign=c1&format=csv"),
        )
        .header("authorization", &format!("Bearer {ADMIN}")),
    );
    let text = String::from_utf8(csv.body).unwrap();
    assert_eq!(
        text.lines().count(),
        21,
        "a header and every recipient: {text}"
    );

    // The list: a sharded pool's line is its sum, beside a one-shard pool's own.
    let (status, _) = s.admin("PUT", "/v1/pools/small", body(&numbers(201..203), None));
    assert_eq!(status, 200);
    let (_, list) = s.admin("GET", "/v1/pools", Value::Null);
    let lines = list["pools"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "{list}");
    assert_eq!(lines[0]["pool"], "big");
    assert_eq!(lines[0]["opens"]["total"], 20, "{list}");
    assert_eq!(lines[0]["numbers"], 12, "{list}");
    assert_eq!(lines[0]["shards"], SHARDS, "{list}");
    assert_eq!(lines[0]["holders"], state["live"]["holders"], "{list}");
    assert_eq!(lines[1]["pool"], "small");
    assert_eq!(lines[1]["numbers"], 2, "{list}");
    assert!(lines[1].get("shards").is_none(), "{list}");

    // Sizing reads the summed figures.
    let (status, sizing) = s.admin("GET", "/v1/pools/big/sizing?recipients=100000", Value::Null);
    assert_eq!(status, 200, "{sizing}");
    assert_eq!(sizing["live"]["leasable"], 12, "{sizing}");
    assert_eq!(sizing["input"]["pool_size"], 12, "{sizing}");
}

#[test]
fn a_snippet_s_csv_tokens_carry_the_shard_count_and_each_shard_remembers_its_recipients() {
    let mut s = sharded();
    let recipients: Vec<String> = (0..16).map(|i| format!("q-{i}")).collect();
    let (status, body) = s.admin(
        "POST",
        "/v1/pools/big/snippet",
        json!({"campaign": "c2", "recipients": recipients}),
    );
    assert_eq!(status, 200, "{body}");
    let csv = body["csv"].as_str().unwrap();
    let keys = ringmark::token::Keyring::parse(support::KEY).unwrap();
    for line in csv.lines().skip(1) {
        let (recipient, token) = line.split_once(',').unwrap();
        let (claims, shards) = keys.verify_with_shards(token).unwrap();
        assert_eq!((claims.recipient.as_str(), shards), (recipient, SHARDS));
    }
    let mut issued = 0;
    for k in 0..SHARDS {
        let name = object_name("big", k, SHARDS);
        let rows = s.pools[&name]
            .store
            .query("SELECT recipient FROM recipients");
        for row in rows.as_array().unwrap() {
            let r = row["recipient"].as_str().unwrap();
            assert_eq!(shard_of(r, SHARDS), k, "{r} remembered by shard {k}");
            issued += 1;
        }
    }
    assert_eq!(issued, 16);
}

#[test]
fn a_call_to_a_shard_s_number_asks_only_its_owner_and_finds_the_opener() {
    let mut s = sharded();
    let tokens = tokens(&mut s, 8);
    let numbers: Vec<String> = tokens.iter().map(|t| dial(&mut s, t)).collect();
    let (i, number) = numbers
        .iter()
        .enumerate()
        .find(|(_, n)| n.as_str() != FALLBACK)
        .expect("someone holds a pool number");
    let owner = object_name("big", shard_of(&format!("r-{i}"), SHARDS), SHARDS);
    let before = s.commands.clone();
    let (status, body) = s.admin(
        "POST",
        "/v1/calls",
        json!({"to": number, "from": "+12125550123", "at": NOW + 60}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["recipient"], format!("r-{i}"));
    for (name, count) in &s.commands {
        let delta = count - before.get(name).copied().unwrap_or(0);
        assert_eq!(delta, usize::from(*name == owner), "{name} was asked");
    }
    // The call is found by id (in its shard), and its outcome set there.
    let id = body["call_id"].as_str().unwrap().to_owned();
    let (status, shown) = s.admin("GET", &format!("/v1/calls/{id}"), Value::Null);
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["call"]["to"], number.as_str());
    let (status, set) = s.admin(
        "POST",
        &format!("/v1/calls/{id}/outcome"),
        json!({"converted": true, "value": "10.00", "currency": "USD"}),
    );
    assert_eq!(status, 200, "{set}");
    let (_, report) = s.admin("GET", "/v1/pools/big/report?campaign=c1", Value::Null);
    assert_eq!(report["report"]["calls"]["conversions"], 1, "{report}");
    assert_eq!(report["report"]["value"]["USD"], "10.00", "{report}");
}

#[test]
fn a_call_to_the_fallback_asks_every_shard_and_is_stored_in_one_at_its_share() {
    let mut s = sharded();
    let tokens = tokens(&mut s, 30);
    let shown: Vec<String> = tokens.iter().map(|t| dial(&mut s, t)).collect();
    assert!(
        shown.iter().any(|n| n == FALLBACK),
        "12 numbers, 30 people: some see the fallback"
    );
    let before = s.commands.clone();
    let (status, body) = s.admin(
        "POST",
        "/v1/calls",
        json!({"to": FALLBACK, "from": "+12125550123", "at": NOW + 60}),
    );
    assert_eq!(status, 200, "{body}");
    let asked: BTreeMap<&String, usize> = s
        .commands
        .iter()
        .map(|(name, count)| (name, count - before.get(name).copied().unwrap_or(0)))
        .collect();
    assert_eq!(asked.len(), SHARDS as usize);
    assert_eq!(
        asked.values().sum::<usize>(),
        SHARDS as usize + 1,
        "{asked:?}: each asked, one stores"
    );
    let top = body["candidates"][0]["score"].as_f64().unwrap();
    assert!(
        body["confidence"].as_f64().unwrap() <= 1.0 / f64::from(SHARDS) + 1e-9,
        "{body}"
    );
    assert!(top <= 1.0 / f64::from(SHARDS) + 1e-9, "{body}");
    let stored: usize = (0..SHARDS)
        .map(|k| {
            let name = object_name("big", k, SHARDS);
            s.pools[&name]
                .store
                .query("SELECT COUNT(*) AS n FROM calls")[0]["n"]
                .as_u64()
                .unwrap() as usize
        })
        .sum();
    assert_eq!(stored, 1, "stored in one shard");
    let (_, state) = s.admin("GET", "/v1/pools/big", Value::Null);
    assert_eq!(state["live"]["calls"], 1);
}

#[test]
fn a_voice_call_rings_in_the_owner_and_its_status_callback_names_the_shard() {
    let mut s = sharded();
    let tokens = tokens(&mut s, 4);
    let number = dial(&mut s, &tokens[0]);
    let owner = shard_of("r-0", SHARDS);
    let url = format!("{BASE}/v1/telephony/twilio/voice");
    let sid = "CA0123456789abcdef0123456789abcdef";
    let params = [
        ("CallSid", sid),
        ("From", "+12125550123"),
        ("To", number.as_str()),
        ("CallStatus", "ringing"),
    ];
    let r = twilio(&mut s, &url, &params);
    let xml = String::from_utf8(r.body).unwrap();
    let action = format!("status?pool=big&amp;shard={owner}\"");
    assert!(xml.contains(&action), "{xml}");
    let status_url = format!("{BASE}/v1/telephony/twilio/status?pool=big&shard={owner}");
    let params = [
        ("CallSid", sid),
        ("DialCallStatus", "completed"),
        ("DialCallDuration", "75"),
    ];
    twilio(&mut s, &status_url, &params);
    // A transcription URL (the operator's) names no shard: every shard is asked.
    let transcription_url = format!("{BASE}/v1/telephony/twilio/transcription?pool=big");
    let params = [
        ("CallSid", sid),
        ("TranscriptionStatus", "completed"),
        ("TranscriptionText", "I would like to book a table"),
    ];
    twilio(&mut s, &transcription_url, &params);
    let name = object_name("big", owner, SHARDS);
    let rows = s.pools[&name].store.query("SELECT body FROM calls");
    let call: Value = serde_json::from_str(rows[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(call["status"], "completed", "{call}");
    assert_eq!(call["attribution"]["recipient"], "r-0", "{call}");
    assert_eq!(call["transcript"], "I would like to book a table", "{call}");
}

fn twilio(s: &mut Service, url: &str, params: &[(&str, &str)]) -> Response {
    let pairs: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&pairs)
        .finish();
    let signature = ringmark::telephony::twilio::signature(TWILIO, url, &pairs);
    s.run(
        Request::new("POST", url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", &signature)
            .body(body),
    )
}

#[test]
fn forgetting_a_recipient_goes_to_their_shard() {
    let mut s = sharded();
    let tokens = tokens(&mut s, 6);
    for t in &tokens {
        dial(&mut s, t);
    }
    let before = s.commands.clone();
    let (status, body) = s.admin("DELETE", "/v1/pools/big/recipients/r-3", Value::Null);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["holders"], 1, "{body}");
    let owner = object_name("big", shard_of("r-3", SHARDS), SHARDS);
    for (name, count) in &s.commands {
        let delta = count - before.get(name).copied().unwrap_or(0);
        assert_eq!(delta, usize::from(*name == owner), "{name} was asked");
    }
    let opens = s.pools[&owner]
        .store
        .query("SELECT COUNT(*) AS n FROM opens WHERE recipient = 'r-3'");
    assert_eq!(opens[0]["n"], 0);
}

#[test]
fn a_new_shard_count_is_refused_naming_the_field_and_nothing_is_written() {
    let mut s = sharded();
    let dump = |s: &Service| {
        let mut all = vec![s.directory_store.dump()];
        let mut names: Vec<&String> = s.pools.keys().collect();
        names.sort();
        all.extend(names.into_iter().map(|n| s.pools[n].store.dump()));
        all
    };
    let before = dump(&s);
    for shards in [Some(2), Some(8), Some(1), None] {
        let (status, answer) = s.admin("PUT", "/v1/pools/big", body(&numbers(101..113), shards));
        assert_eq!(status, 409, "{shards:?}: {answer}");
        assert_eq!(answer["error"]["field"], "shards", "{answer}");
        assert_eq!(dump(&s), before, "{shards:?}: something was written");
    }
    // An unsharded pool cannot become sharded either.
    let (status, _) = s.admin("PUT", "/v1/pools/small", body(&numbers(201..203), None));
    assert_eq!(status, 200);
    let (status, answer) = s.admin("PUT", "/v1/pools/small", body(&numbers(201..203), Some(2)));
    assert_eq!(
        (status, answer["error"]["field"].as_str()),
        (409, Some("shards")),
        "{answer}"
    );
    // The same count again is a normal reconfiguration.
    let (status, answer) = s.admin(
        "PUT",
        "/v1/pools/big",
        body(&numbers(101..113), Some(SHARDS)),
    );
    assert_eq!(status, 200, "{answer}");
}

#[test]
fn a_bad_shard_count_is_refused_before_any_object_is_asked() {
    let s = service();
    for (shards, numbers) in [
        (json!(3), numbers(101..113)),
        (json!(128), numbers(101..113)),
        (json!(0), numbers(101..113)),
        (json!("4"), numbers(101..113)),
        (json!(8), numbers(101..105)),
    ] {
        let mut b = body(&numbers, None);
        b["shards"] = shards.clone();
        let request = Request::new("PUT", &format!("{BASE}/v1/pools/big"))
            .header("authorization", &format!("Bearer {ADMIN}"))
            .body(b.to_string());
        let step = s.edge.begin(&request);
        assert!(step.effects.is_empty(), "{shards}: reached an object");
        let r = step.response.unwrap();
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(r.status, 422, "{shards}: {body}");
        assert_eq!(body["error"]["field"], "shards", "{body}");
    }
}

#[test]
fn numbers_keep_their_shard_when_the_list_changes() {
    let mut s = sharded();
    let owners = |s: &mut Service| -> BTreeMap<String, u32> {
        (0..SHARDS)
            .flat_map(|k| {
                shard_state(s, &object_name("big", k, SHARDS))
                    .config
                    .numbers
                    .into_iter()
                    .map(move |n| (n, k))
            })
            .collect()
    };
    let before = owners(&mut s);
    // Drop three numbers of shard 1, add five.
    let dropped: Vec<&String> = before
        .iter()
        .filter(|(_, k)| **k == 1)
        .map(|(n, _)| n)
        .collect();
    let mut list: Vec<String> = numbers(101..113)
        .into_iter()
        .filter(|n| !dropped.contains(&n))
        .collect();
    list.extend(numbers(113..118));
    let (status, answer) = s.admin("PUT", "/v1/pools/big", body(&list, Some(SHARDS)));
    assert_eq!(status, 200, "{answer}");
    let after = owners(&mut s);
    for (n, k) in &after {
        if let Some(was) = before.get(n) {
            assert_eq!(k, was, "{n} moved");
        }
    }
    let mut per_shard = [0; SHARDS as usize];
    for k in after.values() {
        per_shard[*k as usize] += 1;
    }
    // Shard 1 kept none of its 3: it takes the first 3 new ones, then the ties go to the
    // lowest index.
    assert_eq!(
        per_shard,
        [4, 4, 3, 3],
        "new numbers fill the emptiest shard first: {after:?}"
    );
    // The directory's record survives its reload.
    let rows = s
        .directory_store
        .load_rows(DirectoryObject::STORED, DirectoryObject::load_query);
    let mut reloaded = DirectoryObject::load(&rows).unwrap();
    for (n, k) in &after {
        let outcome = reloaded.handle(DirectoryCommand::Lookup { number: n.clone() }, NOW);
        let entry: DirectoryEntry = read_answer(&outcome.answer).unwrap();
        assert_eq!((entry.shard, entry.shards), (Some(*k), SHARDS), "{n}");
    }
}

#[test]
fn deleting_a_sharded_pool_deletes_every_shard_and_releases_every_number() {
    let mut s = sharded();
    let (status, body) = s.admin("DELETE", "/v1/pools/big", Value::Null);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["numbers"].as_array().unwrap().len(), 12, "{body}");
    for k in 0..SHARDS {
        assert!(
            shard_state(&mut s, &object_name("big", k, SHARDS))
                .deleted
                .is_some()
        );
    }
    let (_, state) = s.admin("GET", "/v1/pools/big", Value::Null);
    assert!(state["deleted"]["purge_at"].is_number(), "{state}");
}

#[test]
fn the_edge_routes_an_open_in_its_first_step() {
    // Decided in Rust from the token alone: the effect names the shard object.
    let mut s = sharded();
    let tokens = tokens(&mut s, 3);
    for (i, t) in tokens.iter().enumerate() {
        let request =
            Request::new("GET", t["number"].as_str().unwrap()).header("user-agent", IPHONE);
        let step = s.edge.begin(&request);
        let Some(Effect::Object {
            target, coalesce, ..
        }) = step.effects.first()
        else {
            panic!("an open is an object command");
        };
        assert!(coalesce.is_some());
        let shard = shard_of(&format!("r-{i}"), SHARDS);
        assert_eq!(*target, Target::Pool(format!("big#{shard}")));
    }
}
