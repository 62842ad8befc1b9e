//! Benchmark of `ringmark-pool` (harness = false): allocate-or-renew throughput at 10k
//! numbers × 1M recipients, heap bytes per live association (counting global allocator),
//! and attribution query latency. Prints medians.
//!
//! Run: `CARGO_TARGET_DIR=target-pool cargo bench -p ringmark-pool --bench pool`

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write;
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;

use ringmark_pool::{Call, Holder, Pool, PoolConfig, Signal};

/// Counts live heap bytes (requested sizes).
struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const NUMBERS: usize = 10_000;
const RECIPIENTS: u64 = 1_000_000;
const T0: i64 = 1_700_000_000;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[path = "../common/rng.rs"]
mod rng;
use rng::Rng;

fn config(n: usize) -> PoolConfig {
    let numbers = (0..n).map(|i| format!("+1555{i:07}")).collect();
    // Every number stays inside its day-long lease through the run, so the policy shows the
    // fallback to everyone past the first 10k either way; `fallback` names it.
    let mut c = PoolConfig::new(numbers, "+18005550000", 86_400);
    c.exhaustion = ringmark_pool::Exhaustion::Fallback;
    c
}

fn holders(n: u64) -> Vec<Holder> {
    (0..n)
        .map(|i| Holder::new("spring-sale", format!("rcpt-{i:016x}")))
        .collect()
}

fn main() {
    let all = holders(RECIPIENTS);

    // 1. Throughput: first opens (interning 1M recipients), then random re-opens.
    let mut fill = Vec::new();
    let mut renew = Vec::new();
    let mut machine = Vec::new();
    let mut renew_hot = Vec::new();
    let mut pool = None;
    for round in 0..5 {
        let (mut p, _) = Pool::new(config(NUMBERS), T0).unwrap();
        let mut now = T0;
        let start = Instant::now();
        for (i, h) in all.iter().enumerate() {
            if i % 100 == 0 {
                now += 1;
            }
            black_box(p.open(h, Signal::Human, "iphone", now));
        }
        fill.push(RECIPIENTS as f64 / start.elapsed().as_secs_f64());
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 + round);
        let start = Instant::now();
        for i in 0..RECIPIENTS {
            if i % 100 == 0 {
                now += 1;
            }
            let h = &all[(rng.next() % RECIPIENTS) as usize];
            black_box(p.open(h, Signal::Human, "iphone", now));
        }
        renew.push(RECIPIENTS as f64 / start.elapsed().as_secs_f64());
        let start = Instant::now();
        for _ in 0..RECIPIENTS / 4 {
            let h = &all[(rng.next() % RECIPIENTS) as usize];
            black_box(p.open(h, Signal::Machine, "apple-mpp", now));
        }
        machine.push((RECIPIENTS / 4) as f64 / start.elapsed().as_secs_f64());
        // Same random re-opens, but the holder is built per request in one reused buffer, as
        // the worker does when it decodes a token (the loop above reads 1M holders scattered
        // over ~110 MB of the bench's own heap: two cold misses per op before the pool runs).
        let mut hot = Holder::new("spring-sale", String::with_capacity(32));
        let start = Instant::now();
        for i in 0..RECIPIENTS {
            if i % 100 == 0 {
                now += 1;
            }
            let k = rng.next() % RECIPIENTS;
            hot.recipient.clear();
            let _ = write!(hot.recipient, "rcpt-{k:016x}");
            black_box(p.open(&hot, Signal::Human, "iphone", now));
        }
        renew_hot.push(RECIPIENTS as f64 / start.elapsed().as_secs_f64());
        pool = Some(p);
    }
    println!(
        "allocate-or-renew, {NUMBERS} numbers x {RECIPIENTS} recipients (events included), median of 5:"
    );
    println!(
        "  first open (intern + grant/fallback): {:>10.0} ops/s",
        median(&mut fill)
    );
    println!(
        "  random re-open (renew/fallback):      {:>10.0} ops/s",
        median(&mut renew)
    );
    println!(
        "  random machine signal:                {:>10.0} ops/s",
        median(&mut machine)
    );
    println!(
        "  random re-open, holder built per op:  {:>10.0} ops/s",
        median(&mut renew_hot)
    );

    // 2. Attribution latency on the filled pool.
    let p = pool.take().unwrap();
    let now = p.stats(T0).utilisation; // touch
    black_box(now);
    let mut rng = Rng(7);
    let t_call = T0 + 20_000;
    let mut per_query = Vec::new();
    for _ in 0..11 {
        let start = Instant::now();
        for _ in 0..10_000 {
            let to = format!("+1555{:07}", rng.next() % NUMBERS as u64);
            let from = Some(format!("+1415{:07}", rng.next() % 10_000_000));
            black_box(p.attribute(&Call {
                to,
                from,
                at: t_call,
                duration: Some(90),
            }));
        }
        per_query.push(start.elapsed().as_secs_f64() * 1e6 / 10_000.0);
    }
    // The fallback number was shown to ~990k recipients here, and attribution weighs every one
    // of them (no cap since scorer 2): a query is milliseconds, so batches are small.
    let mut fb_query = Vec::new();
    for _ in 0..11 {
        let start = Instant::now();
        for _ in 0..10 {
            let call = Call {
                to: "+18005550000".into(),
                from: None,
                at: t_call,
                duration: None,
            };
            black_box(p.attribute(&call));
        }
        fb_query.push(start.elapsed().as_secs_f64() * 1e6 / 10.0);
    }
    println!("attribution query, median of 11 batches:");
    println!(
        "  pool number:     {:>7.2} us/query",
        median(&mut per_query)
    );
    println!(
        "  fallback number: {:>7.2} us/query (every association in the window scanned)",
        median(&mut fb_query),
    );
    drop(p);

    // 3. Memory: live heap bytes of the pool per live association.
    for (label, recipients) in [
        ("10k numbers x 10k recipients (all exclusive)", 10_000u64),
        (
            "10k numbers x 1M recipients (10k exclusive + fallback)",
            RECIPIENTS,
        ),
    ] {
        let before = LIVE.load(Ordering::Relaxed);
        let (mut p, _) = Pool::new(config(NUMBERS), T0).unwrap();
        let empty = LIVE.load(Ordering::Relaxed);
        for (i, h) in all.iter().take(recipients as usize).enumerate() {
            black_box(p.open(h, Signal::Human, "iphone", T0 + i as i64 / 100));
        }
        let after = LIVE.load(Ordering::Relaxed);
        let bytes = (after - before) as f64;
        let marginal = (after - empty) as f64;
        let s = p.stats(T0 + recipients as i64 / 100);
        let live = f64::from(
            s.exclusive + s.shared + s.tail + s.soft + s.fallback_holders + s.overflow_holders,
        );
        println!(
            "memory, {label}: {:.1} MB, {:.1} B per live association all-in, {:.1} B marginal over the empty pool ({live} live)",
            bytes / 1e6,
            bytes / live,
            marginal / live
        );
        drop(p);
    }
}
