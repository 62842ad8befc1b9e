//! Past one object (issue 12, item 4): a pool split into S shards, simulated with S real
//! allocators, to measure what sharding costs in attribution and what it buys in memory.
//!
//! Why: one pool is one Durable Object (128 MB), which holds on the order of 100,000 recipients
//! (BENCHMARKS.md, "A pool object's memory…"), and a 1M-recipient send holds ~577,000 after a
//! day. docs/ARCHITECTURE.md ("Past one object") plans to split the pool by a hash of the
//! recipient into shard objects that each own a slice of the numbers. Before building it, this
//! replays the backtest's simulated sends through such a split — S independent
//! [`ringmark::pool::Pool`]s, the allocator the Worker runs — and scores every call exactly as
//! `ringmark backtest` does (`ringmark::backtest::run_observed`: the caller dials the number
//! they were last shown by a human or click open; correct top, correct & confident (≥ 0.8),
//! confidently wrong, dialled fallback).
//!
//! The simulated design:
//! * **Routing.** A recipient's opens all go to shard `route(recipient)`: FNV-1a 64 of the
//!   recipient id, mixed by SplitMix64's finaliser (FNV-1a's low bits depend only on the low
//!   bits of the input bytes), mapped onto `0..S` by multiply-shift. Stable across platforms
//!   and versions, so a recipient never changes shard: stickiness is each shard's own.
//! * **Numbers.** Every number belongs to exactly one shard and never moves, so a number's
//!   whole history lives in one allocator: it is leased by one shard only (no double lease, by
//!   construction) and a call to it asks only its owner (no merge). Two ways to split them:
//!   - `static`: dealt round-robin to the shards up front;
//!   - `lazy`: each shard starts with a quarter of an even share (at least one number) and a
//!     coordinator keeps the rest as a reserve, handing a shard a chunk of a quarter of its
//!     current count (at least one) when it has no never-used number left and a person opens
//!     who does not hold a leased number. Why this trigger: under the default
//!     least-recently-released reuse a single pool hands out every never-used number before it
//!     reuses a released one, and the reserve holds only never-used numbers; so a shard asks
//!     exactly when the single pool would have taken a number from the reserve (and before it
//!     would reuse a tail or show the fallback). A renewal (the recipient holds an exclusive
//!     or shared lease) needs no number and asks nothing. The reserve is dealt in E.164
//!     order, the order in which the single pool takes never-used numbers, so one lazy shard
//!     is exactly the single pool (asserted).
//!   - `reserve`: three quarters dealt up front, a quarter kept by the coordinator for the
//!     peaks: a shard gets a chunk (a quarter of its count) only when every number it owns is
//!     inside an exclusive lease and a person who holds no lease opens, i.e. when the shared
//!     tail has nothing to place them on and would show the fallback. Shards reuse their own
//!     tails first; the reserve goes to the shard whose burst outran its slice. (Not a single
//!     pool at S = 1, so no S = 1 row.)
//! * **Calls to the fallback number.** Every shard shows the one fallback number (to
//!   prefetches and, on exhaustion, to people), and the caller is unknown, so the coordinator
//!   asks every shard ([`Pool::attribute`], a pure query) and takes the best top candidate by
//!   its score × the shard's share of the pool, 1/S (the hash splits recipients evenly, so
//!   each shard's normaliser for the fallback number is about 1/S of the whole pool's); that
//!   product is the stated confidence. The call is then recorded in the winner's shard only
//!   (caller-ID evidence belongs where that recipient's later calls land). Exact merging
//!   would need each shard's raw weights, which the allocator does not answer; on these
//!   sends a fallback call has thousands of candidates in every shard and its confidence is
//!   near zero either way.
//!
//! S = 1 (`static` and `lazy`) must reproduce `ringmark::backtest::run` on the same send and
//! pool (counts and exhaustions): asserted for every cell, so the scoring here cannot drift
//! from the backtest's.
//!
//! ```text
//! cargo run --release --example shard -- [--seeds 3] [--recipients 100000] [--sizes 2000,8173] [--big 1000000] [--big-numbers 20000] [--big-seeds 1]
//! ```
//!
//! `--big 0` skips the 1M blast. Results go to stdout (deterministic: the same arguments
//! give the same bytes); times go to stderr.
// Native benchmark, never on a request path: indexing panics are bugs here.
#![allow(clippy::indexing_slicing)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Instant;

use ringmark::backtest::simulate::{SendModel, pool_body, write_timeline};
use ringmark::backtest::{CONFIDENT, Counts, Summary, run};
use ringmark::pool::{
    Call, Discard, ExhaustionCounts, Holder, LeaseKind, MAX_HOLDERS, Pool, PoolConfig, Signal,
};
use serde::Deserialize;
use serde_json::{Value, json};

#[path = "../common/cells.rs"]
mod cells;
use cells::{counts, range};

/// Shard counts of the 100,000-recipient grid.
const SHARDS: [usize; 5] = [1, 2, 4, 8, 16];
/// Shard counts of the 1M blast.
const BIG_SHARDS: [usize; 3] = [1, 8, 16];
/// Send spreads: 24 hours, and a blast (every email delivered at once).
const SPREADS: [(&str, f64); 2] = [("24 h", 24.0), ("blast", 0.0)];
/// A lazy shard starts with this share of an even split (the rest is the reserve).
const LAZY_START: usize = 4;
/// A hand-out is this share of the shard's current count (at least one number).
const LAZY_CHUNK: usize = 4;
/// The `reserve` design keeps this share of the numbers back for shards about to exhaust.
const RESERVE_SHARE: usize = 4;
/// Recipients one pool object holds within a Durable Object's 128 MB (BENCHMARKS.md).
const OBJECT_HOLDERS: u32 = 100_000;

/// How the numbers are split among the shards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Design {
    /// Dealt round-robin up front.
    Static,
    /// A quarter of an even share up front, the rest handed out in chunks on demand.
    Lazy,
    /// Three quarters up front, the rest kept for the shard about to show the fallback.
    Reserve,
}

impl Design {
    fn name(self) -> &'static str {
        match self {
            Self::Static => "static",
            Self::Lazy => "lazy",
            Self::Reserve => "reserve",
        }
    }
}

/// One timeline line as `bench/backtest`'s simulation writes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    at: i64,
    kind: LineKind,
    recipient: String,
    #[serde(default)]
    campaign: Option<String>,
    #[serde(default)]
    signal: Option<Signal>,
    #[serde(default)]
    device: Option<String>,
    #[serde(default)]
    from: Option<String>,
}

#[derive(Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum LineKind {
    Open,
    Call,
}

/// A parsed timeline event; recipients are indices (`r{index}`), devices static labels.
enum Event {
    Open {
        at: i64,
        recipient: u32,
        signal: Signal,
        device: &'static str,
    },
    Call {
        at: i64,
        recipient: u32,
        from: Option<Box<str>>,
    },
}

/// The simulated send's lines, parsed once and replayed by every cell. Refuses what the
/// simulation never writes (`to`, `duration`, other campaigns), which the scoring here omits.
fn parse(timeline: &[u8], campaign: &str) -> Vec<Event> {
    timeline
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let line: Line = serde_json::from_slice(l).expect("a simulated line");
            let recipient = line
                .recipient
                .strip_prefix('r')
                .and_then(|n| n.parse().ok())
                .expect("simulated recipients are r1 … rN");
            match line.kind {
                LineKind::Open => {
                    assert_eq!(line.campaign.as_deref(), Some(campaign));
                    let device = match line.device.as_deref() {
                        Some("proxy") => "proxy",
                        Some("smartphone") => "smartphone",
                        Some("desktop") => "desktop",
                        None => "unknown",
                        Some(other) => panic!("unexpected device {other}"),
                    };
                    Event::Open {
                        at: line.at,
                        recipient,
                        signal: line.signal.expect("an open has a signal"),
                        device,
                    }
                }
                LineKind::Call => {
                    assert!(line.campaign.is_none(), "simulated calls carry no campaign");
                    Event::Call {
                        at: line.at,
                        recipient,
                        from: line.from.map(String::into_boxed_str),
                    }
                }
            }
        })
        .collect()
}

/// The shard of a recipient among `shards`: the Worker's own routing ([`ringmark::shard::shard_of`]:
/// FNV-1a 64, SplitMix64's finaliser, multiply-shift), so the simulation and the service share one
/// definition.
fn route(recipient: &str, shards: usize) -> usize {
    ringmark::shard::shard_of(recipient, u32::try_from(shards).unwrap_or(u32::MAX)) as usize
}

/// What the caller was last shown (as `run_observed` classifies it).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shown {
    Pool,
    Fallback,
    Overflow,
}

/// One cell's replay.
struct Outcome {
    calls: u64,
    counts: Counts,
    exhaustions: ExhaustionCounts,
    /// Recipients held (interned) by the fullest shard, and by all shards together.
    max_holders: u32,
    all_holders: u32,
    /// Coordinator hand-outs (lazy), numbers handed out in them, numbers left in the reserve.
    handouts: u32,
    handed: u32,
    reserve_left: u32,
    /// Fewest and most numbers one shard owns at the end.
    numbers: (usize, usize),
}

/// A shard: its allocator, its configuration (the numbers it owns) and how many of them were
/// never shown to anyone.
struct Shard {
    pool: Pool,
    config: PoolConfig,
    never_used: usize,
}

/// Replays `events` through `shards` allocators configured as `base` (each owning its slice
/// of `base.numbers`) and scores every call as `ringmark::backtest::run_observed` does.
fn replay(events: &[Event], base: &PoolConfig, shards: usize, design: Design) -> Outcome {
    let numbers = &base.numbers;
    let n = numbers.len();
    assert!(shards <= n, "every shard needs a number");
    let fallback = base.fallback.clone();
    let index: HashMap<&str, usize> = numbers
        .iter()
        .enumerate()
        .map(|(i, e)| (e.as_str(), i))
        .collect();
    // Number → owning shard (usize::MAX: still in the reserve); never changes once set.
    let mut owner = vec![usize::MAX; n];
    let mut used = vec![false; n];
    let mut slices: Vec<Vec<String>> = vec![Vec::new(); shards];
    let dealt = match design {
        Design::Static => n,
        Design::Lazy => (n / (LAZY_START * shards)).max(1) * shards,
        Design::Reserve => ((n - n / RESERVE_SHARE) / shards).max(1) * shards,
    };
    for i in 0..dealt {
        owner[i] = i % shards;
        slices[i % shards].push(numbers[i].clone());
    }
    let mut reserve = dealt; // the next number the coordinator hands out
    let Some(start) = events.first().map(|e| match e {
        Event::Open { at, .. } | Event::Call { at, .. } => *at,
    }) else {
        panic!("an empty timeline");
    };
    let mut shard: Vec<Shard> = slices
        .into_iter()
        .map(|slice| {
            let config = PoolConfig {
                numbers: slice,
                ..base.clone()
            };
            let (pool, _) = Pool::new(config.clone(), start).expect("a valid shard");
            Shard {
                pool,
                never_used: config.numbers.len(),
                config,
            }
        })
        .collect();
    let (mut handouts, mut handed) = (0u32, 0u32);
    let mut shown: Vec<Option<(String, Shown)>> = Vec::new();
    let mut counts = Counts::default();
    let mut calls = 0u64;
    let mut holder = Holder::new(base_campaign(), "");
    for event in events {
        match *event {
            Event::Open {
                at,
                recipient,
                signal,
                device,
            } => {
                name(recipient, &mut holder);
                let s = route(&holder.recipient, shards);
                let sh = &mut shard[s];
                let dry = match design {
                    Design::Static => false,
                    Design::Lazy => sh.never_used == 0,
                    Design::Reserve => {
                        // Every number inside an exclusive lease: the shared tail has no
                        // number to place a person on and would show the fallback.
                        sh.pool.advance_to(at);
                        sh.pool.occupancy().1 >= 1.0
                    }
                };
                if signal != Signal::Machine && dry && reserve < n {
                    let renewal = sh.pool.holding(&holder, at).is_some_and(|h| {
                        matches!(h.lease, LeaseKind::Exclusive | LeaseKind::Shared)
                    });
                    if !renewal {
                        let chunk = (sh.config.numbers.len() / LAZY_CHUNK)
                            .max(1)
                            .min(n - reserve);
                        for i in reserve..reserve + chunk {
                            owner[i] = s;
                            sh.config.numbers.push(numbers[i].clone());
                        }
                        reserve += chunk;
                        sh.never_used += chunk;
                        handouts += 1;
                        handed += chunk as u32;
                        sh.pool
                            .configure(sh.config.clone(), at)
                            .expect("a valid shard");
                    }
                }
                let a = sh.pool.open_into(&holder, signal, device, at, &mut Discard);
                if let Some(&i) = index.get(a.number.as_str())
                    && !used[i]
                {
                    used[i] = true;
                    sh.never_used -= 1;
                }
                if signal != Signal::Machine {
                    let what = match a.lease {
                        LeaseKind::Fallback => Shown::Fallback,
                        LeaseKind::Overflow => Shown::Overflow,
                        _ if a.number == fallback => Shown::Fallback,
                        _ => Shown::Pool,
                    };
                    let r = recipient as usize;
                    if shown.len() <= r {
                        shown.resize(r + 1, None);
                    }
                    shown[r] = Some((a.number, what));
                }
            }
            Event::Call {
                at,
                recipient,
                ref from,
            } => {
                calls += 1;
                name(recipient, &mut holder);
                let (to, what) = match shown.get(recipient as usize) {
                    Some(Some((number, what))) => (number.clone(), Some(*what)),
                    _ => (fallback.clone(), None),
                };
                let call = Call {
                    to,
                    from: from.as_deref().map(str::to_owned),
                    at,
                    duration: None,
                };
                let (top, confidence) = match index.get(call.to.as_str()) {
                    // A pool number: only its owner has ever shown it.
                    Some(&i) => {
                        let a = shard[owner[i]]
                            .pool
                            .record_call_into(call, at, &mut Discard);
                        (
                            a.candidates.first().map(|c| c.recipient.clone()),
                            a.confidence,
                        )
                    }
                    None if shards == 1 => {
                        let a = shard[0].pool.record_call_into(call, at, &mut Discard);
                        (
                            a.candidates.first().map(|c| c.recipient.clone()),
                            a.confidence,
                        )
                    }
                    // The fallback number: every shard showed it. Ask them all.
                    None => {
                        let mut best: Option<(usize, f64)> = None;
                        for (k, sh) in shard.iter_mut().enumerate() {
                            sh.pool.advance_to(at);
                            let a = sh.pool.attribute(&call);
                            if let Some(c) = a.candidates.first()
                                && best.is_none_or(|(_, score)| c.score > score)
                            {
                                best = Some((k, c.score));
                            }
                        }
                        let k = best.map_or(0, |(k, _)| k);
                        let a = shard[k].pool.record_call_into(call, at, &mut Discard);
                        (
                            a.candidates.first().map(|c| c.recipient.clone()),
                            a.confidence / shards as f64,
                        )
                    }
                };
                let correct = top.as_deref() == Some(holder.recipient.as_str());
                counts.correct_top += u64::from(correct);
                if confidence >= CONFIDENT {
                    if correct {
                        counts.correct_confident += 1;
                    } else {
                        counts.confidently_wrong += 1;
                    }
                }
                match what {
                    Some(Shown::Fallback) => counts.dialled_fallback += 1,
                    Some(Shown::Overflow) => counts.dialled_overflow += 1,
                    None => counts.never_shown += 1,
                    Some(Shown::Pool) => {}
                }
            }
        }
    }
    let last = match events.last() {
        Some(Event::Open { at, .. } | Event::Call { at, .. }) => *at,
        None => start,
    };
    let mut exhaustions = ExhaustionCounts::default();
    let (mut max_holders, mut all_holders) = (0u32, 0u32);
    for sh in &shard {
        let e = sh.pool.exhaustion_counts();
        exhaustions.overflow += e.overflow;
        exhaustions.stole += e.stole;
        exhaustions.shared += e.shared;
        exhaustions.fallback += e.fallback;
        exhaustions.full += e.full;
        exhaustions.prefetches_unkept += e.prefetches_unkept;
        // The simulation never prunes: a shard's holders only grow, so the end is the peak.
        let held = sh.pool.stats(last).holders;
        max_holders = max_holders.max(held);
        all_holders += held;
    }
    let sizes = shard.iter().map(|s| s.config.numbers.len());
    Outcome {
        calls,
        counts,
        exhaustions,
        max_holders,
        all_holders,
        handouts,
        handed,
        reserve_left: (n - reserve) as u32,
        numbers: (sizes.clone().min().unwrap_or(0), sizes.max().unwrap_or(0)),
    }
}

/// Sets `holder`'s recipient to the simulation's name for index `r`.
fn name(r: u32, holder: &mut Holder) {
    holder.recipient.clear();
    write!(holder.recipient, "r{r}").expect("a String takes it");
}

/// The campaign of every simulated open.
fn base_campaign() -> String {
    SendModel::default().campaign
}

/// The pool configuration `ringmark backtest` builds from `pool_body(numbers, settings)`.
fn config(numbers: u32, settings: &Value) -> (Vec<u8>, PoolConfig) {
    let body = pool_body(numbers, settings);
    let config = ringmark::edge::admin::pool_body(&body)
        .expect("a valid pool body")
        .settings
        .config;
    (body, config)
}

/// S = 1 must be `ringmark backtest`: same calls, counts and exhaustions.
fn check_single(outcome: &Outcome, reference: &Summary, what: &str) {
    assert_eq!(outcome.calls, reference.calls, "{what}: calls");
    assert_eq!(outcome.counts, reference.counts, "{what}: counts");
    assert_eq!(
        outcome.exhaustions, reference.exhaustions,
        "{what}: exhaustions"
    );
}

/// The grid to run (`cargo run --release --example shard -- --help`).
#[derive(clap::Parser)]
#[command(about = "Simulated sends replayed through a pool split into S shards")]
struct Args {
    /// Seeds per cell of the 100,000-recipient grid (1..=N).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..))]
    seeds: u64,
    /// Recipients per simulated send of the grid.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..))]
    recipients: u64,
    /// Pool sizes of the grid, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [2_000, 8_173],
          value_parser = clap::value_parser!(u32).range(1..))]
    sizes: Vec<u32>,
    /// Recipients of the big blast (0: skip it).
    #[arg(long, default_value_t = 1_000_000)]
    big: u64,
    /// Pool size of the big blast.
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u32).range(1..))]
    big_numbers: u32,
    /// Seeds of the big blast.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    big_seeds: u64,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// One simulated send: its timeline (for `ringmark backtest`) and the parsed events.
fn send(recipients: u64, spread_hours: f64, seed: u64) -> (Vec<u8>, Vec<Event>) {
    let model = SendModel {
        recipients,
        send_spread_hours: spread_hours,
        ..SendModel::default()
    };
    let mut raw = Vec::new();
    write_timeline(&model, seed, &mut raw).expect("simulate");
    let events = parse(&raw, &model.campaign);
    (raw, events)
}

/// Signed `min … max` in points with one decimal (one value when they agree).
fn signed_range(v: &[f64]) -> String {
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = (format!("{lo:+.1}"), format!("{hi:+.1}"));
    if lo == hi {
        format!("{lo} pp")
    } else {
        format!("{lo} … {hi} pp")
    }
}

const HEADER: &str = "| numbers | spread | design | shards | correct top | Δ one pool | correct & confident (≥0.8) | Δ one pool | confidently wrong | dialled fallback | holders: fullest shard | holders: all shards | numbers per shard | hand-outs (numbers; left) | not kept (`full` + `prefetches_unkept`) | calls |\n|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|";

/// A count as a percentage of the outcome's calls.
fn share(o: &Outcome, f: fn(&Counts) -> u64) -> f64 {
    f(&o.counts) as f64 / o.calls.max(1) as f64 * 100.0
}

/// One table row over seeds; `one` is the one-pool row of the same send and pool (the Δ
/// columns: per seed, this row's share minus one pool's on the same timeline, in points).
fn row(
    numbers: &str,
    spread: &str,
    design: &str,
    shards: usize,
    runs: &[Outcome],
    one: &[Outcome],
) -> String {
    let pct = |f: fn(&Counts) -> u64| range(runs.iter().map(|o| share(o, f)), "%");
    let delta = |f: fn(&Counts) -> u64| {
        if shards == 1 {
            return "–".to_owned();
        }
        let v: Vec<f64> = runs
            .iter()
            .zip(one)
            .map(|(o, b)| share(o, f) - share(b, f))
            .collect();
        signed_range(&v)
    };
    let handouts = if runs.iter().any(|o| o.handouts > 0 || o.reserve_left > 0) {
        format!(
            "{} ({}; {} left)",
            counts(runs.iter().map(|o| u64::from(o.handouts))),
            counts(runs.iter().map(|o| u64::from(o.handed))),
            counts(runs.iter().map(|o| u64::from(o.reserve_left))),
        )
    } else {
        "–".into()
    };
    let per_shard = {
        let lo = runs.iter().map(|o| o.numbers.0).min().unwrap_or(0);
        let hi = runs.iter().map(|o| o.numbers.1).max().unwrap_or(0);
        if lo == hi {
            lo.to_string()
        } else {
            format!("{lo}–{hi}")
        }
    };
    format!(
        "| {numbers} | {spread} | {design} | {shards} | {} | {} | {} | {} | {} | {} | {} | {} | {per_shard} | {handouts} | {} | {} |",
        pct(|c| c.correct_top),
        delta(|c| c.correct_top),
        pct(|c| c.correct_confident),
        delta(|c| c.correct_confident),
        pct(|c| c.confidently_wrong),
        pct(|c| c.dialled_fallback),
        counts(runs.iter().map(|o| u64::from(o.max_holders))),
        counts(runs.iter().map(|o| u64::from(o.all_holders))),
        counts(
            runs.iter()
                .map(|o| o.exhaustions.full + o.exhaustions.prefetches_unkept),
        ),
        counts(runs.iter().map(|o| o.calls)),
    )
}

/// Replays one send and pool for every shard count and both designs and prints their rows.
/// S = 1 `static` is checked against `ringmark backtest` on every seed, and S = 1 `lazy`
/// against S = 1 `static` (so both equal the backtest); the lazy one is not printed.
fn rows(
    timelines: &[(Vec<u8>, Vec<Event>)],
    (body, base): (&[u8], &PoolConfig),
    shard_counts: &[usize],
    (numbers, spread, suffix): (&str, &str, &str),
) {
    let what = format!("{numbers} numbers, {spread}{suffix}");
    let replays = |shards: usize, design: Design| -> Vec<Outcome> {
        timelines
            .iter()
            .enumerate()
            .map(|(i, (_, events))| {
                let t0 = Instant::now();
                let o = replay(events, base, shards, design);
                eprintln!(
                    "{what}, {}, S = {shards}, seed {}: {:.1} s",
                    design.name(),
                    i + 1,
                    t0.elapsed().as_secs_f64()
                );
                o
            })
            .collect()
    };
    let one = replays(1, Design::Static);
    for (i, ((raw, _), o)) in timelines.iter().zip(&one).enumerate() {
        let reference = run(body, &raw[..], std::io::sink()).expect("backtest");
        check_single(o, &reference, &format!("{what}, seed {}", i + 1));
    }
    println!(
        "{}",
        row(numbers, spread, &format!("one pool{suffix}"), 1, &one, &one)
    );
    for design in [Design::Static, Design::Lazy, Design::Reserve] {
        for &shards in shard_counts {
            if shards == 1 && design == Design::Reserve {
                continue; // one pool with numbers held back from itself: not a design
            }
            let runs = replays(shards, design);
            if shards == 1 {
                for (lazy, single) in runs.iter().zip(&one) {
                    assert_eq!(
                        (lazy.calls, &lazy.counts, lazy.exhaustions),
                        (single.calls, &single.counts, single.exhaustions),
                        "{what}: one lazy shard is one pool"
                    );
                }
                continue;
            }
            let name = format!("{}{suffix}", design.name());
            println!("{}", row(numbers, spread, &name, shards, &runs, &one));
        }
    }
}

fn main() {
    let args = <Args as clap::Parser>::parse();
    let began = Instant::now();
    let default = json!({"lease_seconds": 7_200});
    println!(
        "# Sharded pool: {} recipients, seeds 1..={}, pool sizes {:?}, shards {SHARDS:?}\n\n\
         Default configuration (shared tail, lease 7,200 s, `max_holders` default in every shard).\n\
         `static`: numbers dealt round-robin up front; `lazy`: 1/{LAZY_START} of an even share up front,\n\
         then chunks of 1/{LAZY_CHUNK} of the shard's count when it has no never-used number left;\n\
         `reserve`: all but 1/{RESERVE_SHARE} up front, chunks only to a shard about to show the fallback.\n\
         S = 1 is one pool: checked equal to `ringmark backtest` (calls, counts, exhaustions), as\n\
         one lazy shard, on every seed. Cells are min–max over seeds; Δ one pool: per seed, the\n\
         share minus one pool's on the same send, in points. Holders: recipients interned at the\n\
         end of the send (the peak: nothing is pruned within it). Hand-outs: coordinator\n\
         hand-outs (numbers handed out in them; numbers left in the reserve at the end).\n\n{HEADER}",
        args.recipients, args.seeds, args.sizes
    );
    let seeds: Vec<u64> = (1..=args.seeds).collect();
    for &(spread, hours) in &SPREADS {
        let timelines: Vec<(Vec<u8>, Vec<Event>)> = seeds
            .iter()
            .map(|&seed| send(args.recipients, hours, seed))
            .collect();
        for &numbers in &args.sizes {
            let (body, base) = config(numbers, &default);
            rows(
                &timelines,
                (&body, &base),
                &SHARDS,
                (&numbers.to_string(), spread, ""),
            );
        }
    }

    if args.big > 0 {
        let limits = [
            ("", json!({"lease_seconds": 7_200})),
            (
                ", unbounded",
                json!({"lease_seconds": 7_200, "max_holders": MAX_HOLDERS}),
            ),
        ];
        println!(
            "\n## {} recipients, blast, {} numbers, seeds 1..={}\n\n\
             The same send model delivered at once. Plain rows: every shard keeps the default\n\
             `max_holders` of its own object, as a deployed shard would; `unbounded`: {MAX_HOLDERS}, for the\n\
             memory each shard needs and attribution without the limit. A pool object holds on the\n\
             order of {OBJECT_HOLDERS} recipients (BENCHMARKS.md).\n\n{HEADER}",
            args.big, args.big_numbers, args.big_seeds
        );
        let timelines: Vec<(Vec<u8>, Vec<Event>)> = (1..=args.big_seeds)
            .map(|seed| send(args.big, 0.0, seed))
            .collect();
        for (suffix, settings) in &limits {
            let (body, base) = config(args.big_numbers, settings);
            rows(
                &timelines,
                (&body, &base),
                &BIG_SHARDS,
                (&args.big_numbers.to_string(), "blast", suffix),
            );
        }
    }
    eprintln!("whole run {:.1} s", began.elapsed().as_secs_f64());
}
