//! Where a pool object's time goes for one open, natively (issue 12, item 3): decoding the
//! command, the engine's decision (allocation, events, reply), encoding the writes for the
//! adapter, and applying them in SQLite — against the floor of one SQL insert in the same run.
//!
//! `cargo run --release --example objects [opens]`
//!
//! It also reloads the object as the adapter does (queries, parse, replay) right after each
//! snapshot of the last round and again just before the next one is due: what the snapshot
//! cadence (`SNAPSHOT_EVERY`, `SNAPSHOT_BYTES_PER_EVENT`) trades, load time against write time.
//!
//! Native timings stand in for wasm ones (the wasm build runs the same code slower by a
//! roughly constant factor); the SQLite here is rusqlite's bundled one, in memory, the engine
//! the Durable Object runs. Reported as medians of 5 rounds and as shares of the whole.
#![allow(clippy::indexing_slicing)]

use ringmark::objects::{PoolObject, Write};
use ringmark::protocol::PoolCommand;
// The native tests' SQLite store (also the fuzz targets'): writes applied as `worker/objects.js`
// applies them, and an object reloaded as it reloads one.
#[path = "../../tests/support/sqlite.rs"]
mod sqlite;
use serde_json::json;
use sqlite::Store;
use std::time::Instant;

const NOW: i64 = 1_800_000_000;

fn open_command(i: usize, machine: bool) -> String {
    json!({"op": "open", "campaign": "c", "recipient": format!("recipient-{i:07}"), "kind": "number",
        "opener": {"device": "smartphone", "opener": if machine { "prefetch" } else { "person" },
                   "client": "Apple Mail", "proxy": if machine { Some("Apple Mail Privacy Protection") } else { None },
                   "machine": machine}})
    .to_string()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let opens: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5_000);
    let (mut decode, mut engine, mut encode, mut sql, mut floor) =
        (vec![], vec![], vec![], vec![], vec![]);
    let mut engine_median = vec![];
    let mut writes_per_open = 0.0;
    let mut reloads: Vec<(usize, usize, f64)> = Vec::new();
    for round in 0..5 {
        let mut pool = PoolObject::empty();
        let mut store = Store::default();
        let configure = json!({"op": "configure", "settings": {
            "config": {"numbers": (0..2000).map(|i| format!("+1415{i:07}")).collect::<Vec<_>>(),
                       "fallback": "+14159999999", "lease_seconds": 3600},
            "displays": {}, "style": {}}});
        let outcome = pool.handle_json(&configure.to_string(), NOW);
        store.apply(&outcome.writes);
        let commands: Vec<String> = (0..opens)
            .map(|i| open_command(i + round, i % 2 == 0))
            .collect();
        // 1. decoding alone
        let t = Instant::now();
        for c in &commands {
            let parsed: PoolCommand = serde_json::from_str(c).expect("command");
            std::hint::black_box(parsed);
        }
        decode.push(t.elapsed().as_secs_f64() / opens as f64);
        // 2. the whole engine step (decode + decide + reply), 3. writes as JSON, 4. SQLite
        let (mut e, mut w, mut q, mut n) = (0.0, 0.0, 0.0, 0usize);
        let mut each = Vec::with_capacity(opens);
        // Reloads (last round): right after a snapshot, and with the most events to replay, just
        // before the next one is due (every max(256, bytes / 1 KB) events).
        let (mut since, mut every, mut snapshot_bytes) = (0usize, usize::MAX, 0usize);
        for (i, c) in commands.iter().enumerate() {
            let t = Instant::now();
            let outcome = pool.handle_json(c, NOW + i as i64);
            let took = t.elapsed().as_secs_f64();
            e += took;
            each.push(took);
            let t = Instant::now();
            std::hint::black_box(outcome.writes_json());
            w += t.elapsed().as_secs_f64();
            let t = Instant::now();
            store.apply(&outcome.writes);
            q += t.elapsed().as_secs_f64();
            n += outcome.writes.len();
            if round == 4 {
                let parts: usize = outcome
                    .writes
                    .iter()
                    .filter(|w| w.sql.starts_with("INSERT INTO snapshot_parts"))
                    .map(|w| w.params[1].as_str().map_or(0, str::len))
                    .sum();
                if parts > 0 {
                    (since, snapshot_bytes) = (0, parts);
                    every = (parts / ringmark::objects::pool::SNAPSHOT_BYTES_PER_EVENT)
                        .max(ringmark::objects::pool::SNAPSHOT_EVERY as usize);
                } else {
                    since += outcome
                        .writes
                        .iter()
                        .filter(|w| w.sql.starts_with("INSERT INTO events"))
                        .count();
                }
                if since == 0 || since + 1 == every {
                    let t = Instant::now();
                    std::hint::black_box(store.load_pool().expect("the pool reloads"));
                    reloads.push((snapshot_bytes, since, t.elapsed().as_secs_f64()));
                }
            }
        }
        engine.push(e / opens as f64);
        engine_median.push(median(each));
        encode.push(w / opens as f64);
        sql.push(q / opens as f64);
        writes_per_open = n as f64 / opens as f64;
        // The floor: one INSERT of one row, in its own transaction.
        store.apply(&[Write::new(
            "CREATE TABLE floor (at INTEGER, v TEXT)",
            Vec::new(),
        )]);
        let t = Instant::now();
        for i in 0..opens {
            store.apply(&[Write::new(
                "INSERT INTO floor (at, v) VALUES (?, ?)",
                vec![json!(i), json!("x")],
            )]);
        }
        floor.push(t.elapsed().as_secs_f64() / opens as f64);
    }
    let (d, e, w, q, f) = (
        median(decode),
        median(engine),
        median(encode),
        median(sql),
        median(floor),
    );
    let total = e + w + q;
    let us = |x: f64| x * 1e6;
    println!(
        "pool object, one number-image open ({opens} opens x 5 rounds, 2,000 numbers, half machine opens), medians:"
    );
    println!("  decode command (inside the engine step) {:7.2} us", us(d));
    println!(
        "  engine step, the median open (no snapshot) {:7.2} us; the mean below spreads the snapshot written every 256+ events",
        us(median(engine_median))
    );
    println!(
        "  engine step (decode + allocate + events + reply) {:7.2} us  {:4.1}%",
        us(e),
        100.0 * e / total
    );
    println!(
        "  writes to JSON for the adapter         {:7.2} us  {:4.1}%",
        us(w),
        100.0 * w / total
    );
    println!(
        "  SQLite transaction ({writes_per_open:.2} statements)    {:7.2} us  {:4.1}%",
        us(q),
        100.0 * q / total
    );
    println!(
        "  total                                   {:7.2} us  = {:.1}x the one-insert floor ({:.2} us)",
        us(total),
        total / f,
        us(f)
    );
    // What a reload costs against the snapshot cadence: each snapshot's reload with nothing to
    // replay, then with the most events the cadence lets pile up before the next.
    println!("reloads of the last round (queries + parse + replay, as the adapter loads):");
    for pair in reloads.windows(2) {
        if let [(bytes, 0, fresh), (same, piled, before)] = *pair
            && bytes == same
            && piled > 0
        {
            println!(
                "  snapshot {:5} KB: right after it {:6.2} ms ({:4.1} ns/byte); {piled} events later {:6.2} ms ({:4.1} us per replayed event)",
                bytes / 1024,
                fresh * 1e3,
                fresh * 1e9 / bytes as f64,
                before * 1e3,
                (before - fresh) * 1e6 / piled as f64
            );
        }
    }
}
