//! `ringmark backtest`: replays a timeline of opens and calls through the same
//! allocator and attribution code the Worker runs, and scores the attribution
//! against the truth the timeline carries.
//!
//! Why: the measure of a pool is the share of calls attributed to the right
//! person, with a confidence that means what it says. Operators answer "how
//! many numbers do I need, with which lease?" on their own logs (opens, and
//! calls matched to customers), and `bench/backtest` answers it on simulated
//! sends.
//!
//! Input, one JSON object per line, sorted by `at` (Unix seconds):
//!
//! ```text
//! {"at": 1796000000, "kind": "open", "recipient": "r1", "campaign": "c", "signal": "human"}
//! {"at": 1796003600, "kind": "call", "recipient": "r1", "from": "+12125550123"}
//! ```
//!
//! * `open`: `signal` is `human`, `click` or `machine`; optional `device` (the
//!   label stored with the association, default `unknown`).
//! * `call`: `recipient` is who really calls. The truth is used only to choose
//!   the number dialled (the number that recipient was last *shown*: the
//!   answer to their last human or click open, since a machine's fetch is seen
//!   by nobody), never to attribute. Optional `to` overrides the dialled
//!   number (logs of real calls know it), optional `from` (caller ID) and
//!   `duration` are passed to attribution as the Worker would.
//!
//! Output: one JSON line per call (`at`, `recipient`, `to`, `shown`, `top`,
//! `confidence`, `correct`, `candidates`), then one `{"summary": {...}}` line.
//! Nothing in the output depends on a clock: the same input gives the same
//! bytes.
// Native tooling (the CLI and the benchmark), never on a request path: the crate-wide
// ban on panicking indexing is for code that untrusted requests reach.
#![allow(clippy::indexing_slicing, clippy::string_slice)]

use std::collections::HashMap;
use std::fmt;
use std::io::{BufRead, Write};

use foldhash::fast::FixedState;

use ringmark_pool::{
    Allocation, Call, Candidate, Discard, ExhaustionCounts, Holder, LeaseKind, Pool, Signal,
};
use serde::Serialize;

use crate::edge::admin::pool_body;

mod line;
pub mod series;
pub mod simulate;

use line::Kind;

/// Calls at or above this confidence count as confident (the issue's and the
/// console's threshold; `ambiguous` uses the same line).
pub const CONFIDENT: f64 = 0.8;

/// Why a backtest stopped. Every variant names where.
#[derive(Debug)]
pub enum BacktestError {
    /// The pool configuration was refused (the admin API's message).
    Pool(String),
    /// A timeline line is not a valid event (1-based line number).
    Line {
        /// 1-based line number in the timeline.
        line: u64,
        /// What is wrong with it.
        message: String,
    },
    /// Reading the timeline or writing the result failed.
    Io(std::io::Error),
}

impl fmt::Display for BacktestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pool(m) => write!(f, "pool configuration: {m}"),
            Self::Line { line, message } => write!(f, "timeline line {line}: {message}"),
            Self::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for BacktestError {}

impl From<std::io::Error> for BacktestError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

/// What the caller had been shown before the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Shown {
    /// A pool number (exclusive, shared, or their own number in its tail).
    Pool,
    /// The pool's fallback number.
    Fallback,
    /// The overflow number.
    Overflow,
    /// Nothing: the recipient never opened as a person (the call dials `to`, or the fallback).
    None,
}

/// One scored call, as written.
#[derive(Serialize)]
struct CallLine<'a> {
    at: i64,
    recipient: &'a str,
    to: &'a str,
    shown: Shown,
    top: Option<&'a str>,
    confidence: f64,
    correct: bool,
    candidates: &'a [Candidate],
}

/// Accuracy within one confidence decile.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Decile {
    /// Lower bound of the stated confidence (inclusive).
    pub from: f64,
    /// Upper bound (exclusive; the last decile includes 1.0).
    pub to: f64,
    /// Calls whose confidence fell here.
    pub calls: u64,
    /// Of those, calls whose top candidate was the caller.
    pub correct: u64,
    /// `correct / calls` (null when empty).
    pub accuracy: Option<f64>,
    /// Mean stated confidence of those calls (null when empty).
    pub mean_confidence: Option<f64>,
}

/// Counts behind the summary's shares.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Counts {
    /// Top candidate is the caller.
    pub correct_top: u64,
    /// Top candidate is the caller and confidence ≥ [`CONFIDENT`].
    pub correct_confident: u64,
    /// Top candidate is someone else and confidence ≥ [`CONFIDENT`].
    pub confidently_wrong: u64,
    /// The caller dialled the fallback number.
    pub dialled_fallback: u64,
    /// The caller dialled the overflow number.
    pub dialled_overflow: u64,
    /// The caller had never been shown a number.
    pub never_shown: u64,
}

/// The summary line.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Timeline lines read.
    pub events: u64,
    /// Open lines.
    pub opens: u64,
    /// Call lines.
    pub calls: u64,
    /// Share of calls whose top candidate is the caller.
    pub correct_top: f64,
    /// Share of calls attributed correctly with confidence ≥ [`CONFIDENT`].
    pub correct_confident: f64,
    /// Share of calls attributed to someone else with confidence ≥ [`CONFIDENT`].
    pub confidently_wrong: f64,
    /// Share of calls that dialled the fallback number.
    pub dialled_fallback: f64,
    /// The counts behind the shares.
    pub counts: Counts,
    /// Highest share of leasable numbers not free (exclusive or in a tail).
    pub peak_utilisation: f64,
    /// Highest share of leasable numbers inside an exclusive (or shared) lease.
    pub peak_exclusive: f64,
    /// Exhaustion outcomes over the run.
    pub exhaustions: ExhaustionCounts,
    /// Stated confidence against observed accuracy, in ten bands.
    pub deciles: Vec<Decile>,
}

#[derive(Default)]
struct Tally {
    counts: Counts,
    deciles: [(u64, u64, f64); 10],
}

impl Tally {
    fn add(&mut self, confidence: f64, correct: bool, shown: Shown) {
        let c = &mut self.counts;
        c.correct_top += u64::from(correct);
        if confidence >= CONFIDENT {
            if correct {
                c.correct_confident += 1;
            } else {
                c.confidently_wrong += 1;
            }
        }
        match shown {
            Shown::Fallback => c.dialled_fallback += 1,
            Shown::Overflow => c.dialled_overflow += 1,
            Shown::None => c.never_shown += 1,
            Shown::Pool => {}
        }
        let band = ((confidence * 10.0).floor().max(0.0) as usize).min(9);
        let d = &mut self.deciles[band];
        d.0 += 1;
        d.1 += u64::from(correct);
        d.2 += confidence;
    }
}

fn share(n: u64, of: u64) -> f64 {
    if of == 0 { 0.0 } else { n as f64 / of as f64 }
}

/// Runs a backtest: `pool` is the JSON body of `PUT /v1/pools/{pool}`, `timeline`
/// the JSON lines described in the module docs. Writes one line per call and the
/// summary line to `out`, and returns the summary.
///
/// ```
/// let pool = br#"{"numbers": ["+14155550101", "+14155550102"], "fallback": "+14155550100", "lease_seconds": 3600}"#;
/// let timeline = concat!(
///     r#"{"at": 1000, "kind": "open", "recipient": "ann", "campaign": "c", "signal": "human"}"#, "\n",
///     r#"{"at": 1600, "kind": "call", "recipient": "ann", "from": "+12125550123"}"#, "\n",
/// );
/// let mut out = Vec::new();
/// let summary = ringmark::backtest::run(pool, timeline.as_bytes(), &mut out).unwrap();
/// assert_eq!((summary.calls, summary.counts.correct_top), (1, 1));
/// ```
pub fn run<R: BufRead, W: Write>(
    pool: &[u8],
    timeline: R,
    out: W,
) -> Result<Summary, BacktestError> {
    run_observed(pool, timeline, out, &mut ())
}

/// What a replay reports to an onlooker as it goes: the simulation's series
/// ([`series`]) samples the pool between lines with it. [`run`] observes nothing (`()`).
pub trait Observer {
    /// Before the line at `at` is applied, the pool as every earlier line left it (the
    /// first line creates the pool, so the first call comes before the second line). The
    /// observer may advance the pool's clock up to `at` ([`Pool::advance_to`]): the line
    /// would do so first anyway, so no result changes.
    fn before(&mut self, _at: i64, _pool: &mut Pool) {}
    /// A line's open was answered: `signal` and the allocation the pool made.
    fn opened(&mut self, _at: i64, _signal: Signal, _allocation: &Allocation) {}
    /// The last line was applied; `pool` is `None` when the timeline had no line.
    fn finished(&mut self, _pool: Option<&mut Pool>) {}
}

impl Observer for () {}

/// [`run`], telling `observer` about each line (see [`Observer`]).
pub fn run_observed<R: BufRead, W: Write>(
    pool: &[u8],
    timeline: R,
    mut out: W,
    observer: &mut impl Observer,
) -> Result<Summary, BacktestError> {
    let body = pool_body(pool).map_err(|e| BacktestError::Pool(e.message))?;
    let config = body.settings.config;
    let fallback = config.fallback.clone();
    let overflow = config.overflow_number().map(str::to_owned);
    let mut engine: Option<Pool> = None;
    let mut holder = Holder::new("", "");
    // Recipient → (number they were last shown, what it was). Never iterated: the hasher's
    // seed cannot change a result.
    let mut shown: HashMap<String, (String, Shown), FixedState> =
        HashMap::with_hasher(FixedState::with_seed(0));
    let mut tally = Tally::default();
    let (mut events, mut opens, mut calls) = (0u64, 0u64, 0u64);
    let (mut peak_utilisation, mut peak_exclusive) = (0.0f64, 0.0f64);
    let mut last_at = i64::MIN;
    let mut text = String::new();
    let mut timeline = timeline;
    let mut number = 0u64;
    loop {
        text.clear();
        if timeline.read_line(&mut text)? == 0 {
            break;
        }
        number += 1;
        let trimmed = line::trim(&text);
        if trimmed.is_empty() {
            continue;
        }
        let bad = |message: String| BacktestError::Line {
            line: number,
            message,
        };
        let line = line::parse(trimmed).map_err(|e| bad(e.to_string()))?;
        if line.at < last_at {
            return Err(bad(format!(
                "at {} is earlier than the line before ({last_at}): the timeline must be sorted by time",
                line.at
            )));
        }
        last_at = line.at;
        events += 1;
        let pool = match &mut engine {
            Some(p) => p,
            None => {
                let (p, _) = Pool::new(config.clone(), line.at)
                    .map_err(|e| BacktestError::Pool(e.to_string()))?;
                engine.insert(p)
            }
        };
        observer.before(line.at, pool);
        match line.kind {
            Kind::Open => {
                opens += 1;
                let signal = line.signal.ok_or_else(|| {
                    bad("an open needs \"signal\" (human, click or machine)".into())
                })?;
                holder.campaign.clear();
                holder
                    .campaign
                    .push_str(line.campaign.as_deref().unwrap_or(""));
                holder.recipient.clear();
                holder.recipient.push_str(&line.recipient);
                let device = line.device.as_deref().unwrap_or("unknown");
                // Nothing reads the pool's events here: `Discard` skips building them.
                let allocation = pool.open_into(&holder, signal, device, line.at, &mut Discard);
                observer.opened(line.at, signal, &allocation);
                if signal != Signal::Machine {
                    let what = match allocation.lease {
                        LeaseKind::Fallback => Shown::Fallback,
                        LeaseKind::Overflow => Shown::Overflow,
                        _ if allocation.number == fallback => Shown::Fallback,
                        _ => Shown::Pool,
                    };
                    match shown.get_mut(line.recipient.as_ref()) {
                        Some(entry) => {
                            entry.1 = what;
                            if entry.0 != allocation.number {
                                entry.0 = allocation.number;
                            }
                        }
                        None => {
                            shown.insert(line.recipient.to_string(), (allocation.number, what));
                        }
                    }
                }
                let (utilisation, exclusive) = pool.occupancy();
                peak_utilisation = peak_utilisation.max(utilisation);
                peak_exclusive = peak_exclusive.max(exclusive);
            }
            Kind::Call => {
                calls += 1;
                let (to, what) = match (&line.to, shown.get(line.recipient.as_ref())) {
                    (Some(to), _) => {
                        let what = if *to == fallback {
                            Shown::Fallback
                        } else if overflow.as_deref() == Some(to.as_str()) {
                            Shown::Overflow
                        } else {
                            Shown::Pool
                        };
                        (to.clone(), what)
                    }
                    (None, Some((n, what))) => (n.clone(), *what),
                    (None, None) => (fallback.clone(), Shown::None),
                };
                let call = Call {
                    to: to.clone(),
                    from: line.from.clone(),
                    at: line.at,
                    duration: line.duration,
                };
                let attribution = pool.record_call_into(call, line.at, &mut Discard);
                let top = attribution.candidates.first().map(|c| c.recipient.as_str());
                let correct = top == Some(line.recipient.as_ref())
                    && line.campaign.as_deref().is_none_or(|c| {
                        attribution
                            .candidates
                            .first()
                            .is_some_and(|t| t.campaign == c)
                    });
                tally.add(attribution.confidence, correct, what);
                serde_json::to_writer(
                    &mut out,
                    &CallLine {
                        at: line.at,
                        recipient: &line.recipient,
                        to: &to,
                        shown: what,
                        top,
                        confidence: attribution.confidence,
                        correct,
                        candidates: &attribution.candidates,
                    },
                )
                .map_err(std::io::Error::from)?;
                out.write_all(b"\n")?;
            }
        }
    }
    observer.finished(engine.as_mut());
    let deciles = tally
        .deciles
        .iter()
        .enumerate()
        .map(|(i, &(n, ok, sum))| Decile {
            from: i as f64 / 10.0,
            to: (i + 1) as f64 / 10.0,
            calls: n,
            correct: ok,
            accuracy: (n > 0).then(|| ok as f64 / n as f64),
            mean_confidence: (n > 0).then(|| sum / n as f64),
        })
        .collect();
    let c = &tally.counts;
    let summary = Summary {
        events,
        opens,
        calls,
        correct_top: share(c.correct_top, calls),
        correct_confident: share(c.correct_confident, calls),
        confidently_wrong: share(c.confidently_wrong, calls),
        dialled_fallback: share(c.dialled_fallback, calls),
        counts: tally.counts.clone(),
        peak_utilisation,
        peak_exclusive,
        exhaustions: engine.map(|p| p.exhaustion_counts()).unwrap_or_default(),
        deciles,
    };
    serde_json::to_writer(&mut out, &serde_json::json!({ "summary": summary }))
        .map_err(std::io::Error::from)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(summary)
}
