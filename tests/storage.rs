//! What the Durable Objects keep, and for how long: stored formats of an earlier release load
//! after an upgrade, the retention alarm prunes every pool (pixel-only ones included), a deleted
//! pool shows its fallback and is purged after its attribution window, and a pixel is answered
//! before its open is recorded. Every object's SQL runs in real SQLite (`tests/support`).
#![cfg(not(target_arch = "wasm32"))]

mod support;

use support::sqlite::Store;
use support::{NOW, PoolSlot, Service};

use ringmark::http::{Request, Response};
use ringmark::objects::pool::prune_interval;
use ringmark::objects::{DirectoryObject, PoolObject};
use ringmark::protocol::{DirectoryCommand, DirectoryEntry, PoolCommand, PoolState, read_answer};
use serde_json::{Value, json};

const DESKTOP: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
const DAY: i64 = 86_400;

fn fetch(s: &mut Service, url: &str) -> Response {
    s.run(Request::new("GET", url).header("user-agent", DESKTOP))
}

/// A pool `p1` with a 2-day attribution window and tokens for `a`, `b`, `c`.
fn pool(s: &mut Service) -> Vec<Value> {
    let body = json!({
        "numbers": ["+14155550101", "+14155550102"],
        "fallback": "+14155550100",
        "lease_seconds": 3600,
        "tail_seconds": DAY,
        "attribution_window_seconds": 2 * DAY,
        "quarantine_seconds": 3 * DAY,
    });
    let (status, answer) = s.admin("PUT", "/v1/pools/p1", body);
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = s.admin(
        "POST",
        "/v1/pools/p1/tokens",
        json!({"campaign": "c1", "recipients": ["a", "b", "c"]}),
    );
    assert_eq!(status, 200, "{answer}");
    answer["tokens"].as_array().unwrap().clone()
}

fn url<'a>(token: &'a Value, kind: &str) -> &'a str {
    token[kind].as_str().unwrap()
}

fn count(s: &Service, table: &str) -> usize {
    s.pool_tables("p1").get(table).copied().unwrap_or(0)
}

/// Moves the clock to `at` and fires every alarm due by then, one at a time, as the platform
/// would (each alarm sets the next).
fn run_until(s: &mut Service, at: i64) {
    loop {
        let next = s.pools.values().filter_map(|slot| slot.alarm).min();
        match next {
            Some(alarm) if alarm <= at => {
                s.now = alarm;
                s.fire_alarms();
            }
            _ => break,
        }
    }
    s.now = at;
}

mod stored_formats {
    use super::*;

    fn state(slot: &mut PoolSlot, now: i64) -> PoolState {
        read_answer(&slot.engine.handle(PoolCommand::State, now).answer).unwrap()
    }

    #[test]
    fn a_pool_stored_by_the_release_before_versions_loads_and_keeps_working() {
        // 697a10a's database: bare settings, counters and events (tests/fixtures/README.md).
        let mut slot = PoolSlot {
            store: Store::from_sql(include_str!("fixtures/pool-object-format-1.sql")),
            ..PoolSlot::default()
        };
        slot.reload();
        let now = NOW + 1_000;
        let loaded = state(&mut slot, now);
        assert_eq!(loaded.opens.total, 8, "the open counters came back");
        assert_eq!(loaded.opens.by_device["smartphone"], 4);
        assert_eq!(loaded.live.calls, 1, "the attributed call came back");
        assert_eq!(
            loaded.live.fallback_holders, 1,
            "r4 still holds the fallback"
        );
        assert_eq!(loaded.style.label.as_deref(), Some("Call us"));
        assert_eq!(loaded.shards, 1, "a pool stored before shards is one shard");
        let settings: ringmark::protocol::PoolSettings =
            read_answer(&slot.engine.handle(PoolCommand::Settings, now).answer).unwrap();
        assert_eq!((settings.shards, settings.shard), (1, 0));

        // It goes on: a call to r2's number finds r2, and new rows are written in the
        // current (versioned) formats next to the old ones.
        let call = json!({"op": "call", "pool": "spring", "call_id": "CA0123456789abcdef0123456789abcdef",
            "call": {"to": "+14155550102", "from": "+12125550123", "at": now}});
        let outcome = slot.engine.handle_json(&call.to_string(), now);
        slot.store.apply(&outcome.writes);
        let reported: ringmark::protocol::Reported = read_answer(&outcome.answer).unwrap();
        assert_eq!(reported.attribution.candidates[0].recipient, "r2");
        let opened = json!({"op": "open", "campaign": "launch", "recipient": "r5", "kind": "number",
            "opener": {"device": "desktop", "opener": "person", "client": null, "proxy": null, "machine": false}});
        let outcome = slot.engine.handle_json(&opened.to_string(), now);
        slot.store.apply(&outcome.writes);
        let bodies = slot.store.query("SELECT body FROM events ORDER BY seq");
        let bodies: Vec<&str> = bodies
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["body"].as_str().unwrap())
            .collect();
        assert!(
            bodies.first().unwrap().starts_with(r#"{"type":"created""#),
            "old rows stay"
        );
        assert!(
            bodies.last().unwrap().contains(r#""version":2"#),
            "new rows are versioned"
        );
        // Both kinds replay together.
        let before = state(&mut slot, now);
        slot.reload();
        assert_eq!(state(&mut slot, now), before);
        // The next snapshot (the retention alarm writes one) moves format 1's whole
        // `kv.snapshot` into format 2's parts, and the store still reloads.
        let alarm = slot.engine.alarm(now);
        slot.store.apply(&alarm.writes);
        let whole = slot
            .store
            .query("SELECT COUNT(*) AS n FROM kv WHERE k = 'snapshot'");
        assert_eq!(whole[0]["n"], 0);
        let parts = slot.store.query("SELECT COUNT(*) AS n FROM snapshot_parts");
        assert_eq!(parts[0]["n"], 1);
        slot.reload();
        assert_eq!(state(&mut slot, now), before);
    }

    #[test]
    fn the_directory_stored_by_the_release_before_versions_loads() {
        let store = Store::from_sql(include_str!("fixtures/directory-object-format-1.sql"));
        let rows = store.load_rows(DirectoryObject::STORED, DirectoryObject::load_query);
        let mut directory = DirectoryObject::load(&rows).unwrap();
        for (number, pool) in [("+14155550102", "spring"), ("+14155550100", "spring")] {
            let outcome = directory.handle(
                DirectoryCommand::Lookup {
                    number: number.into(),
                },
                NOW,
            );
            let entry: DirectoryEntry = read_answer(&outcome.answer).unwrap();
            assert_eq!(entry.pool, pool, "{number}");
            assert_eq!(
                (entry.shard, entry.shards),
                (None, 1),
                "stored before shards: one"
            );
        }
        let outcome = directory.handle(
            DirectoryCommand::PoolShards {
                pool: "spring".into(),
            },
            NOW,
        );
        assert_eq!(read_answer::<u32>(&outcome.answer), Ok(1));
        // Its pool cannot become sharded, and the refusal writes nothing.
        let outcome = directory.handle(
            DirectoryCommand::Claim {
                pool: "spring".into(),
                numbers: vec!["+14155550101".into(), "+14155550102".into()],
                fallback: "+14155550100".into(),
                quarantine_seconds: 3600,
                shards: 2,
                shared: Vec::new(),
            },
            NOW,
        );
        let error = read_answer::<ringmark::protocol::ClaimReply>(&outcome.answer).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("shards"));
        assert!(outcome.writes.is_empty());
    }

    #[test]
    fn a_directory_stored_before_shards_loads_as_one_shard_pools_and_gains_the_shard_tables() {
        // The release before shards: `numbers`, `fallbacks` and `calls`, no shard tables.
        let mut store = Store::default();
        let old_schema: Vec<ringmark::objects::Write> = DirectoryObject::SCHEMA
            .iter()
            .filter(|sql| !sql.contains("shards"))
            .map(|sql| ringmark::objects::Write::new(sql, Vec::new()))
            .collect();
        assert_eq!(old_schema.len(), 3);
        store.apply(&old_schema);
        store.apply(&[
            ringmark::objects::Write::new(
                "INSERT INTO numbers (number, pool, retired_at, free_at) VALUES ('+14155550101', 'spring', NULL, NULL)",
                Vec::new(),
            ),
            ringmark::objects::Write::new(
                "INSERT INTO fallbacks (number, pool) VALUES ('+14155550100', 'spring')",
                Vec::new(),
            ),
        ]);
        // The directory reloaded from the store, looking up one number.
        let lookup = |store: &Store, number: &str| -> DirectoryEntry {
            let rows = store.load_rows(DirectoryObject::STORED, DirectoryObject::load_query);
            let mut directory = DirectoryObject::load(&rows).unwrap();
            let command = DirectoryCommand::Lookup {
                number: number.into(),
            };
            read_answer(&directory.handle(command, NOW).answer).unwrap()
        };
        let entry = lookup(&store, "+14155550101");
        assert_eq!(
            (entry.pool.as_str(), entry.shard, entry.shards),
            ("spring", None, 1)
        );
        // A new sharded pool's first claim adds the shard tables in its transaction.
        let rows = store.load_rows(DirectoryObject::STORED, DirectoryObject::load_query);
        let mut directory = DirectoryObject::load(&rows).unwrap();
        let outcome = directory.handle(
            DirectoryCommand::Claim {
                pool: "big".into(),
                numbers: vec!["+14155550201".into(), "+14155550202".into()],
                fallback: "+14155550200".into(),
                quarantine_seconds: 3600,
                shards: 2,
                shared: Vec::new(),
            },
            NOW,
        );
        store.apply(&outcome.writes);
        let entry = lookup(&store, "+14155550202");
        assert_eq!(
            (entry.pool.as_str(), entry.shard, entry.shards),
            ("big", Some(1), 2)
        );
    }

    #[test]
    fn a_value_from_a_newer_release_is_refused_not_misread() {
        let mut store = Store::from_sql(include_str!("fixtures/pool-object-format-1.sql"));
        let newer = ringmark::objects::Write::new(
            "UPDATE kv SET v = ? WHERE k = 'stats'",
            vec![json!(r#"{"version":9,"value":{}}"#)],
        );
        store.apply(&[newer]);
        let rows = store.load_rows(PoolObject::STORED, PoolObject::load_query);
        let error = PoolObject::load(&rows).err().unwrap();
        assert!(error.contains("newer release"), "{error}");
    }
}

mod retention {
    use super::*;

    #[test]
    fn a_pixel_only_pool_prunes_its_opens_after_the_window() {
        let mut s = Service::new();
        let tokens = pool(&mut s);
        for t in &tokens {
            fetch(&mut s, url(t, "open"));
        }
        assert_eq!(count(&s, "opens"), 3);
        let alarm = s.pools["p1"]
            .alarm
            .expect("the first write set the retention alarm");
        assert_eq!(alarm, NOW + prune_interval(2 * DAY as u32));
        // A day later: still inside the window.
        run_until(&mut s, NOW + DAY);
        assert_eq!(count(&s, "opens"), 3);
        // Past the window (and the next prune): gone, with no allocation ever made.
        run_until(&mut s, NOW + 2 * DAY + prune_interval(2 * DAY as u32));
        assert_eq!(
            count(&s, "opens"),
            0,
            "opens older than the window are pruned"
        );
        assert!(s.pools["p1"].alarm.is_some(), "and the next prune is set");
    }

    #[test]
    fn events_and_calls_older_than_the_window_are_pruned_too() {
        let mut s = Service::new();
        let tokens = pool(&mut s);
        fetch(&mut s, url(&tokens[0], "number"));
        let (status, body) = s.admin(
            "POST",
            "/v1/calls",
            json!({"to": "+14155550101", "at": NOW + 60}),
        );
        assert_eq!(status, 200, "{body}");
        assert!(count(&s, "events") >= 3);
        // The lease (1 h) and tail (1 day) end, then the 2-day window after them passes.
        run_until(&mut s, NOW + 5 * DAY);
        let (_, state) = s.admin("GET", "/v1/pools/p1", Value::Null);
        assert_eq!(state["live"]["calls"], 0, "the call is out of the window");
        assert_eq!(state["live"]["holders"], 0, "and so is its recipient");
        let horizon = s.now - 2 * DAY - prune_interval(2 * DAY as u32);
        let old = s.pools["p1"].store.query(&format!(
            "SELECT COUNT(*) AS n FROM events WHERE at < {horizon}"
        ));
        assert_eq!(
            old[0]["n"], 0,
            "audit rows older than the window are deleted"
        );
        assert_eq!(count(&s, "opens"), 0);
    }

    #[test]
    fn an_object_reloaded_from_storage_asks_for_the_alarm_again_without_pushing_it_back() {
        let mut s = Service::new();
        let tokens = pool(&mut s);
        let first = s.pools["p1"].alarm.unwrap();
        s.now = NOW + 3_600;
        s.pools.get_mut("p1").unwrap().reload();
        fetch(&mut s, url(&tokens[0], "open"));
        assert_eq!(
            s.pools["p1"].alarm,
            Some(first),
            "an earlier alarm already set is kept (no later than, not reset)"
        );
    }
}

mod deletion {
    use super::*;

    #[test]
    fn a_deleted_pool_shows_its_fallback_still_attributes_and_is_purged_after_its_window() {
        let mut s = Service::new();
        let tokens = pool(&mut s);
        let shown = fetch(&mut s, url(&tokens[0], "number"));
        assert_eq!(shown.header_value("x-ringmark-lease"), Some("exclusive"));

        s.now = NOW + 600;
        let (status, deleted) = s.admin("DELETE", "/v1/pools/p1", Value::Null);
        assert_eq!(status, 200, "{deleted}");
        assert_eq!(deleted["purge_at"], NOW + 600 + 2 * DAY);
        assert_eq!(deleted["numbers"], json!(["+14155550101", "+14155550102"]));
        assert_eq!(deleted["numbers_free_at"], NOW + 600 + 3 * DAY);
        // Idempotent: the same schedule again.
        let (status, again) = s.admin("DELETE", "/v1/pools/p1", Value::Null);
        assert_eq!((status, &again["purge_at"]), (200, &deleted["purge_at"]));

        // Old emails show the fallback, and record nothing.
        let opens = count(&s, "opens");
        let after = fetch(&mut s, url(&tokens[1], "number"));
        assert_eq!(after.header_value("x-ringmark-lease"), Some("fallback"));
        fetch(&mut s, url(&tokens[1], "open"));
        assert_eq!(count(&s, "opens"), opens, "a deleted pool records no opens");
        // The numbers can't be reconfigured while they are quarantined.
        let (status, body) = s.admin(
            "PUT",
            "/v1/pools/p1",
            json!({
            "numbers": ["+14155550101"], "fallback": "+14155550100", "lease_seconds": 3600}),
        );
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["error"]["code"], "pool_deleted");
        // Late calls are still attributed to whoever saw the number.
        let (status, call) = s.admin(
            "POST",
            "/v1/calls",
            json!({"to": "+14155550101", "at": NOW + 900}),
        );
        assert_eq!(status, 200, "{call}");
        assert_eq!(call["recipient"], "a");

        // After the window: every row is gone.
        run_until(&mut s, NOW + 600 + 2 * DAY);
        assert!(
            s.pool_tables("p1").is_empty(),
            "storage purged: {:?}",
            s.pool_tables("p1")
        );
        assert_eq!(s.pools["p1"].alarm, None);
        let (status, _) = s.admin("GET", "/v1/pools/p1", Value::Null);
        assert_eq!(status, 404, "the pool is gone");
        // Its numbers stay quarantined in the directory for the pool's quarantine.
        let (status, body) = s.admin(
            "PUT",
            "/v1/pools/p2",
            json!({
            "numbers": ["+14155550101"], "fallback": "+14155550199", "lease_seconds": 3600}),
        );
        assert_eq!(
            (status, &body["error"]["code"]),
            (409, &json!("conflict")),
            "{body}"
        );
        s.now = NOW + 600 + 3 * DAY;
        let (status, body) = s.admin(
            "PUT",
            "/v1/pools/p2",
            json!({
            "numbers": ["+14155550101"], "fallback": "+14155550199", "lease_seconds": 3600}),
        );
        assert_eq!(status, 200, "{body}");
    }
}

mod answer_first {
    use super::*;

    #[test]
    fn a_pixel_is_answered_before_its_open_is_recorded_and_the_open_is_not_lost() {
        let mut s = Service::new();
        let tokens = pool(&mut s);
        let response =
            s.answer(Request::new("GET", url(&tokens[0], "open")).header("user-agent", DESKTOP));
        assert_eq!(response.status, 200);
        assert_eq!(response.header_value("content-type"), Some("image/gif"));
        assert_eq!(count(&s, "opens"), 0, "nothing recorded before the answer");
        assert_eq!(
            s.after.len(),
            1,
            "the open waits in the work after the response"
        );
        s.finish();
        assert_eq!(count(&s, "opens"), 1, "recorded after the response");
        // The number image needs its number, so it waits for the pool. Its webhook events
        // would be left for after the response, but the pixel's enqueue taught this isolate
        // that no endpoint wants opens: nothing is left.
        let number =
            s.answer(Request::new("GET", url(&tokens[0], "number")).header("user-agent", DESKTOP));
        assert!(s.after.is_empty(), "{:?}", s.after);
        assert_eq!(number.header_value("x-ringmark-lease"), Some("exclusive"));
    }
}

mod large_pools {
    use super::*;
    use ringmark::objects::Write;

    /// Opens `n` recipients straight on the pool object (faster than through the edge), each
    /// outcome carried out in SQLite with Cloudflare's 2 MB value limit.
    fn open_many(slot: &mut PoolSlot, n: usize, now: i64) {
        for i in 0..n {
            let open = json!({"op": "open", "campaign": "c", "recipient": format!("recipient-{i:06}"),
                "kind": "number",
                "opener": {"device": "desktop", "opener": "person", "client": null, "proxy": null, "machine": false}});
            let outcome = slot.engine.handle_json(&open.to_string(), now + i as i64);
            assert!(outcome.answer.starts_with(r#"{"ok""#), "{}", outcome.answer);
            slot.store.apply(&outcome.writes);
        }
    }

    #[test]
    fn a_pool_whose_state_outgrows_one_stored_value_still_snapshots_and_reloads() {
        // 20,000 recipients on 2,000 numbers: the allocator's snapshot is several MB, more
        // than one SQLite value may hold on the platform.
        let mut slot = PoolSlot::default();
        let configure = json!({"op": "configure", "settings": {
            "config": {"numbers": (0..2000).map(|i| format!("+1415{i:07}")).collect::<Vec<_>>(),
                       "fallback": "+14159999999", "lease_seconds": 3600},
            "displays": {}, "style": {}}});
        let outcome = slot.engine.handle_json(&configure.to_string(), NOW);
        slot.store.apply(&outcome.writes);
        open_many(&mut slot, 20_000, NOW);
        let largest: Vec<Write> = vec![Write::new(
            "SELECT MAX(LENGTH(body)) AS n FROM snapshot_parts",
            Vec::new(),
        )];
        let rows: Value = serde_json::from_str(&slot.store.reads(&largest)).unwrap();
        let largest = rows[0][0]["n"].as_i64().unwrap();
        assert!(largest > 0 && largest <= 1_000_000, "{largest}");
        let before = slot
            .engine
            .handle_json(r#"{"op":"state"}"#, NOW + 30_000)
            .answer;
        slot.reload();
        let after = slot
            .engine
            .handle_json(r#"{"op":"state"}"#, NOW + 30_000)
            .answer;
        assert_eq!(
            after, before,
            "the chunked snapshot and the events after it reload exactly"
        );
        // The reload took the parts one at a time (as the adapter hands them over); every row at
        // once, as older adapters and the fuzz harness load, gives the same pool.
        let parts = slot.store.query("SELECT COUNT(*) AS n FROM snapshot_parts");
        assert!(parts[0]["n"].as_i64().unwrap() > 1, "{parts}");
        let whole = slot
            .loaded_whole()
            .handle_json(r#"{"op":"state"}"#, NOW + 30_000)
            .answer;
        assert_eq!(whole, before);
    }

    #[test]
    fn the_largest_pool_accepted_fits_the_platforms_value_limit() {
        let mut s = Service::new();
        let numbers: Vec<String> = (0..ringmark::edge::admin::MAX_POOL_NUMBERS)
            .map(|i| format!("+1415{i:07}"))
            .collect();
        let (status, body) = s.admin(
            "PUT",
            "/v1/pools/big",
            json!({"numbers": numbers, "fallback": "+14159999999", "lease_seconds": 3600}),
        );
        assert_eq!(status, 200, "{body}");
        let largest = s.pools["big"].store.query(
            "SELECT MAX(n) AS n FROM (SELECT LENGTH(v) AS n FROM kv UNION ALL SELECT LENGTH(body) FROM events \
             UNION ALL SELECT LENGTH(body) FROM snapshot_parts)",
        );
        let largest = largest[0]["n"].as_i64().unwrap();
        assert!(largest < 1_500_000, "largest stored value {largest} bytes");
    }
}

/// Opens the Worker coalesced into one call (`commands([…])`, worker/coalesce.js) are the same
/// opens as one by one: the same answer to each, and the same rows stored, whatever the batches.
mod coalesced_opens {
    use super::*;
    use proptest::prelude::*;
    use ringmark::objects::pool::MAX_BATCH;

    /// A configured pool object of three numbers (so a run exhausts it), in real SQLite.
    fn configured() -> PoolSlot {
        let mut slot = PoolSlot::default();
        let configure = json!({"op": "configure", "settings": {
            "config": {"numbers": ["+14155550101", "+14155550102", "+14155550103"],
                       "fallback": "+14155550100", "lease_seconds": 600, "tail_seconds": 3600},
            "displays": {}, "style": {}
        }});
        let outcome = slot.engine.handle_json(&configure.to_string(), NOW);
        assert!(
            read_answer::<Value>(&outcome.answer).is_ok(),
            "{}",
            outcome.answer
        );
        slot.store.apply(&outcome.writes);
        slot
    }

    /// An open of recipient `r{who}`: a pixel, a number image or a click, by a person or a machine.
    fn open(who: u8, kind: u8, machine: bool) -> String {
        let kind = ["pixel", "number", "click"][usize::from(kind % 3)];
        let (device, opener) = if machine {
            ("unknown", "prefetch")
        } else {
            ("desktop", "person")
        };
        json!({"op": "open", "campaign": "c", "recipient": format!("r{who}"), "kind": kind,
               "opener": {"device": device, "opener": opener, "client": null,
                          "proxy": if machine { json!("Apple Mail Privacy Protection") } else { Value::Null },
                          "machine": machine}})
        .to_string()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn give_the_answers_and_the_storage_of_the_same_opens_one_by_one(
            opens in prop::collection::vec((0u8..8, 0u8..3, any::<bool>(), 0i64..900), 1..120),
            cuts in prop::collection::vec(1usize..MAX_BATCH, 1..40),
        ) {
            let mut alone = configured();
            let mut batched = configured();
            // Time moves on between groups of opens (leases end, tails run out); a batch is
            // handled at one instant, as the object handles one call.
            let mut now = NOW;
            let mut expected = Vec::new();
            let mut answers = Vec::new();
            let mut rest = opens.as_slice();
            for cut in cuts.iter().cycle() {
                if rest.is_empty() {
                    break;
                }
                let (group, after) = rest.split_at((*cut).min(rest.len()));
                rest = after;
                now += group[0].3;
                let commands: Vec<String> = group.iter().map(|&(w, k, m, _)| open(w, k, m)).collect();
                for c in &commands {
                    let outcome = alone.engine.handle_json(c, now);
                    alone.store.apply(&outcome.writes);
                    expected.push(outcome.answer);
                }
                let (mut got, outcome) = batched.engine.handle_batch(&commands, now);
                prop_assert!(outcome.reads.is_empty() && outcome.fetches.is_empty() && !outcome.purge);
                batched.store.apply(&outcome.writes);
                answers.append(&mut got);
            }
            prop_assert_eq!(&answers, &expected);
            prop_assert_eq!(batched.store.dump(), alone.store.dump());
            // And the object reloads from what the batches stored to the same pool.
            batched.reload();
            let state = |slot: &mut PoolSlot| slot.engine.handle(PoolCommand::State, now).answer;
            prop_assert_eq!(state(&mut batched), state(&mut alone));
        }
    }

    #[test]
    fn save_the_open_counters_once_per_batch() {
        let mut slot = configured();
        let commands: Vec<String> = (0..10).map(|i| open(i, 0, i % 2 == 0)).collect();
        let (answers, outcome) = slot.engine.handle_batch(&commands, NOW);
        assert_eq!(answers.len(), 10);
        let saves = outcome
            .writes
            .iter()
            .filter(|w| w.sql.contains("'stats'"))
            .count();
        let rows = outcome
            .writes
            .iter()
            .filter(|w| w.sql.starts_with("INSERT INTO opens"))
            .count();
        assert_eq!((saves, rows), (1, 10));
    }

    #[test]
    fn refuse_anything_but_opens_and_anything_past_the_limit_one_by_one() {
        let mut slot = configured();
        let mut commands = vec![json!({"op": "state"}).to_string(), "not json".to_owned()];
        commands.extend((0..MAX_BATCH).map(|i| open((i % 8) as u8, 1, false)));
        let (answers, outcome) = slot.engine.handle_batch(&commands, NOW);
        let codes: Vec<Option<String>> = answers
            .iter()
            .map(|a| match read_answer::<Value>(a) {
                Ok(_) => None,
                Err(e) => Some(format!("{:?}", e.code)),
            })
            .collect();
        assert_eq!(codes[0].as_deref(), Some("BadCommand"), "{}", answers[0]);
        assert_eq!(codes[1].as_deref(), Some("BadCommand"), "{}", answers[1]);
        // The opens that fit are answered (the first MAX_BATCH commands, two of them refused):
        assert!(codes[2..MAX_BATCH].iter().all(Option::is_none));
        // and the two past the limit are refused, without writes of their own.
        assert!(
            codes[MAX_BATCH..]
                .iter()
                .all(|c| c.as_deref() == Some("BadCommand"))
        );
        let rows = outcome
            .writes
            .iter()
            .filter(|w| w.sql.starts_with("INSERT INTO opens"))
            .count();
        assert_eq!(rows, MAX_BATCH - 2);
    }
}

/// A recipient forgotten on request (`DELETE /v1/pools/{pool}/recipients/{id}`): no stored row
/// names them afterwards, the pool keeps working, and a call to the number they held is not
/// pinned on anyone else.
mod forgetting_a_recipient {
    use super::*;

    const ALICE: &str = "alice.42@example.com";

    fn setup(s: &mut Service) -> (Value, Value) {
        let (status, answer) = s.admin(
            "PUT",
            "/v1/pools/p1",
            json!({"numbers": ["+14155550101", "+14155550102"], "fallback": "+14155550100",
                   "lease_seconds": 3600}),
        );
        assert_eq!(status, 200, "{answer}");
        let (status, answer) = s.admin(
            "POST",
            "/v1/pools/p1/tokens",
            json!({"campaign": "spring", "recipients": [ALICE, "bob"]}),
        );
        assert_eq!(status, 200, "{answer}");
        let tokens = answer["tokens"].as_array().unwrap().clone();
        (tokens[0].clone(), tokens[1].clone())
    }

    #[test]
    fn leaves_no_row_naming_them_and_keeps_their_place_unnamed() {
        let mut s = Service::new();
        let (alice, bob) = setup(&mut s);
        fetch(&mut s, url(&alice, "open"));
        let held = fetch(&mut s, url(&alice, "number"));
        assert_eq!(held.header_value("x-ringmark-lease"), Some("exclusive"));
        fetch(&mut s, url(&bob, "number"));
        let (status, call) = s.admin(
            "POST",
            "/v1/calls",
            json!({"to": "+14155550101", "at": NOW + 60}),
        );
        assert_eq!(
            (status, call["recipient"].as_str()),
            (200, Some(ALICE)),
            "{call}"
        );
        assert!(s.pools["p1"].store.dump().contains(ALICE));

        let path = "/v1/pools/p1/recipients/alice.42%40example.com";
        let (status, answer) = s.admin("DELETE", path, Value::Null);
        assert_eq!(status, 200, "{answer}");
        assert_eq!(
            (answer["holders"].as_u64(), answer["calls"].as_u64()),
            (Some(1), Some(1))
        );
        let dump = s.pools["p1"].store.dump();
        let naming: Vec<&str> = dump.lines().filter(|l| l.contains(ALICE)).collect();
        assert!(naming.is_empty(), "stored rows still name them: {naming:?}");

        // A later call to the number Alice held goes to her unnamed place, not to Bob.
        let (status, call) = s.admin(
            "POST",
            "/v1/calls",
            json!({"to": "+14155550101", "at": NOW + 120}),
        );
        assert_eq!(status, 200, "{call}");
        assert_eq!(call["recipient"], Value::Null, "{call}");
        assert!(
            call["candidates"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["recipient"] != json!("bob"))
        );
        // The stored call keeps its confidence and loses the id.
        let (_, state) = s.admin("GET", "/v1/pools/p1", Value::Null);
        assert_eq!(state["live"]["calls"], 2, "{state}");
        // The pool reloads from what was stored, and Bob keeps his number.
        s.pools.get_mut("p1").unwrap().reload();
        let again = fetch(&mut s, url(&bob, "number"));
        assert_eq!(again.header_value("x-ringmark-lease"), Some("exclusive"));
        // Forgetting again finds nothing; an unknown pool or an empty id is refused.
        let (status, answer) = s.admin("DELETE", path, Value::Null);
        assert_eq!(
            (status, answer["holders"].as_u64()),
            (200, Some(0)),
            "{answer}"
        );
        let (status, _) = s.admin("DELETE", "/v1/pools/nope/recipients/x", Value::Null);
        assert_eq!(status, 404);
        let (status, answer) = s.admin("PUT", "/v1/pools/p1/recipients/x", Value::Null);
        assert_eq!(status, 405, "{answer}");
    }

    #[test]
    fn ids_that_could_pass_for_a_forgotten_place_are_never_issued() {
        let mut s = Service::new();
        setup(&mut s);
        let (status, answer) = s.admin(
            "POST",
            "/v1/pools/p1/tokens",
            json!({"campaign": "spring", "recipients": ["ok", "\u{1}erased:0"]}),
        );
        assert_eq!(status, 422, "{answer}");
        assert_eq!(answer["error"]["field"], "recipients[1]", "{answer}");
    }
}
