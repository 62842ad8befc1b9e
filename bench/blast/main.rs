//! A 1M-recipient send against one pool object (issue 12, item 4): can one Durable Object hold it?
//!
//! `cargo run --release --example blast [recipients] [numbers] [hours]`
//! (defaults: 1,000,000 recipients, a pool of 20,000 numbers (the most a pool takes), the first
//! 24 hours of the send).
//!
//! The send is `ringmark::backtest::simulate`'s model with its deliveries spread over the first
//! 10 minutes and half the recipients prefetched by Apple Mail Privacy Protection at delivery
//! (+0–60 s), people opening on the Mailchimp open curve (20 %, 30 % of them again). Every open
//! fetches the pixel and the number image: two commands to the pool object, coalesced as the
//! Worker sends them under load (`worker/coalesce.js`): the commands of one second in batches of
//! at most `MAX_BATCH`, each batch handled by the real engine (`PoolObject::handle_batch`) and its
//! writes applied in one transaction of real SQLite (bundled, in memory, with the Durable Object's
//! 2 MB value limit), as `worker/objects.js` does.
//!
//! It reports the rate the send needs (requests per second in its busiest second, and in its
//! busiest minute) against the rate the object's own work sustains (commands handled per second
//! of engine + SQLite time, natively: the wasm engine runs the same code a roughly constant factor
//! slower, measured by `bench/worker/floor.mjs`), the batch times (median, p99, max: a snapshot
//! lands in one batch), refused commands (must be 0), what the object holds at the end (recipients,
//! snapshot size: a Durable Object has 128 MB of memory) and how long a restart's reload takes.
#![allow(clippy::indexing_slicing)]

#[path = "../../tests/support/sqlite.rs"]
mod sqlite;

use ringmark::backtest::simulate::{SendModel, write_timeline};
use ringmark::objects::PoolObject;
use ringmark::objects::pool::MAX_BATCH;
use ringmark::protocol::read_answer;
use serde_json::{Value, json};
use sqlite::Store;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const START: i64 = 1_800_000_000;

/// The system allocator, counting the bytes live: what the engine holds in memory is the drop in
/// live bytes when it is dropped (native sizes; wasm32's 4-byte pointers make it somewhat smaller).
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn arg(n: usize, default: u64) -> u64 {
    std::env::args()
        .nth(n)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

/// One open's command for the pool object.
fn command(recipient: &str, kind: &str, machine: bool) -> String {
    let (device, opener, proxy) = if machine {
        (
            "unknown",
            "prefetch",
            json!("Apple Mail Privacy Protection"),
        )
    } else {
        ("smartphone", "person", Value::Null)
    };
    json!({"op": "open", "campaign": "c", "recipient": recipient, "kind": kind,
           "opener": {"device": device, "opener": opener, "client": "Apple Mail", "proxy": proxy,
                      "machine": machine}})
    .to_string()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let recipients = arg(1, 1_000_000);
    let numbers = arg(2, 20_000);
    let hours = arg(3, 24);

    let model = SendModel {
        recipients,
        start: START,
        send_spread_hours: 10.0 / 60.0,
        machine_prefetch_rate: 0.5,
        ..SendModel::default()
    };
    let mut timeline = Vec::new();
    write_timeline(&model, 1, &mut timeline).expect("the model is valid");
    let end = START + hours as i64 * 3_600;
    // (second, recipient, machine) of every open in the window, in time order.
    let mut opens: Vec<(i64, String, bool)> = Vec::new();
    for line in timeline.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let v: Value = serde_json::from_slice(line).expect("timeline line");
        let at = v["at"].as_i64().expect("at");
        if v["kind"] == "open" && at < end {
            let machine = v["signal"] == "machine";
            opens.push((
                at,
                v["recipient"].as_str().expect("recipient").to_owned(),
                machine,
            ));
        }
    }
    drop(timeline);

    // The rate the send needs: two requests per open, per second and per minute.
    let mut per_second = std::collections::BTreeMap::<i64, u64>::new();
    for (at, _, _) in &opens {
        *per_second.entry(*at).or_default() += 2;
    }
    let peak_second = per_second.values().copied().max().unwrap_or(0);
    let mut per_minute = std::collections::BTreeMap::<i64, u64>::new();
    for (at, n) in &per_second {
        *per_minute.entry(at.div_euclid(60)).or_default() += n;
    }
    let peak_minute = per_minute.values().copied().max().unwrap_or(0) as f64 / 60.0;
    let first_10_min = per_second.range(..START + 600).map(|(_, n)| n).sum::<u64>();

    let mut object = PoolObject::empty();
    let mut store = Store::default();
    let pool: Vec<String> = (0..numbers)
        .map(|i| format!("+1415{:07}", 2_000_000 + i))
        .collect();
    let configure = json!({"op": "configure", "settings": {
        // No `max_holders` bound: this measures what the whole send would hold.
        "config": {"numbers": pool, "fallback": "+14155550100", "lease_seconds": 3600,
                   "max_holders": 10_000_000},
        "displays": {}, "style": {}
    }});
    let outcome = object.handle_json(&configure.to_string(), START);
    assert!(
        read_answer::<Value>(&outcome.answer).is_ok(),
        "{}",
        outcome.answer
    );
    store.apply(&outcome.writes);

    let (mut engine, mut sql) = (Duration::ZERO, Duration::ZERO);
    let mut batch_times = Vec::new();
    let (mut commands_handled, mut refused, mut largest_snapshot) = (0u64, 0u64, 0usize);
    let mut i = 0;
    while i < opens.len() {
        let second = opens[i].0;
        let mut j = i;
        while j < opens.len() && opens[j].0 == second {
            j += 1;
        }
        let commands: Vec<String> = opens[i..j]
            .iter()
            .flat_map(|(_, r, m)| [command(r, "pixel", *m), command(r, "number", *m)])
            .collect();
        for batch in commands.chunks(MAX_BATCH) {
            let t0 = Instant::now();
            let (answers, outcome) = object.handle_batch(batch, second);
            let t1 = Instant::now();
            store.apply(&outcome.writes);
            let t2 = Instant::now();
            engine += t1 - t0;
            sql += t2 - t1;
            batch_times.push(t2 - t0);
            commands_handled += answers.len() as u64;
            refused += answers
                .iter()
                .filter(|a| read_answer::<Value>(a).is_err())
                .count() as u64;
            let snapshot: usize = outcome
                .writes
                .iter()
                .filter(|w| w.sql.contains("snapshot_parts"))
                .flat_map(|w| w.params.iter())
                .filter_map(Value::as_str)
                .map(str::len)
                .sum();
            largest_snapshot = largest_snapshot.max(snapshot);
        }
        i = j;
    }
    batch_times.sort();

    let state: Value = read_answer(&object.handle_json(r#"{"op":"state"}"#, end).answer)
        .expect("the pool answers its state");
    let t0 = Instant::now();
    let rows = store.load_rows(PoolObject::STORED, PoolObject::load_query);
    let reloaded = PoolObject::load(&rows).expect("the pool reloads");
    let reload = t0.elapsed();
    drop(reloaded);
    let before = LIVE.load(Ordering::Relaxed);
    drop(object);
    let engine_bytes = before.saturating_sub(LIVE.load(Ordering::Relaxed));

    let busy = engine + sql;
    let sustained = commands_handled as f64 / busy.as_secs_f64();
    println!(
        "send: {recipients} recipients, deliveries over 10 min, 50 % Apple MPP prefetch, first {hours} h"
    );
    println!(
        "pool object: {numbers} numbers; {} opens, {commands_handled} commands, {} batches",
        opens.len(),
        batch_times.len()
    );
    println!(
        "needed: busiest second {peak_second} req/s, busiest minute {peak_minute:.0} req/s, first 10 min {first_10_min} requests"
    );
    println!(
        "object's own work: {:.1} s engine + {:.1} s SQLite = {sustained:.0} commands/s sustained natively ({:.1}× the busiest minute, {:.1}× the busiest second)",
        engine.as_secs_f64(),
        sql.as_secs_f64(),
        sustained / peak_minute,
        sustained / peak_second as f64
    );
    println!(
        "batch time: median {:.2} ms, p99 {:.2} ms, max {:.1} ms",
        percentile(&batch_times, 0.5).as_secs_f64() * 1e3,
        percentile(&batch_times, 0.99).as_secs_f64() * 1e3,
        batch_times.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
    );
    println!("refused commands: {refused}");
    println!(
        "engine memory at the end: {:.1} MB live (native; a Durable Object has 128 MB for everything)",
        engine_bytes as f64 / 1e6
    );
    println!(
        "at the end: {} recipients held, utilisation {:.2}, largest snapshot {:.1} MB, stored rows reloaded in {:.2} s ({:.1} MB of rows)",
        state["live"]["holders"],
        state["live"]["utilisation"].as_f64().unwrap_or(f64::NAN),
        largest_snapshot as f64 / 1e6,
        reload.as_secs_f64(),
        rows.len() as f64 / 1e6,
    );
}
