//! The sizing simulation: a simulated send ([`super::simulate`]) replayed through the real
//! allocator and attribution ([`super::run_observed`], the code `ringmark backtest` runs, on
//! the `Pool` the pool object drives), with the pool sampled over time. It is what the
//! browser package's `simulate` and the console's what-if call: JSON in, JSON out.
//!
//! Why a replay and not the sizing formula: the formula (`ringmark_pool::sizing`) is a fluid
//! model; the series shows what this allocator does with one concrete send — when its numbers
//! fill, how long its tails hold them, whether a person ever sees the fallback — and its
//! summary is exactly what `ringmark backtest` prints for the same timeline.
//!
//! The work is bounded: at most [`MAX_RECIPIENTS`] recipients, the admin API's
//! 20,000 numbers, [`MAX_POINTS`] samples; anything else is refused naming the field.
// Native and browser tooling over trusted input sizes (checked below), never on the
// Worker's request path.
#![allow(clippy::indexing_slicing, clippy::string_slice)]

use std::fmt;

use ringmark_pool::{Allocation, LeaseKind, Pool, Signal};
use serde::Serialize;
use serde_json::{Map, Value};

use super::simulate::{SendModel, pool_body, write_timeline};
use super::{Observer, Summary, run_observed};
use crate::edge::admin::{MAX_POOL_NUMBERS, pool_body as parse_pool};

/// Most recipients one simulation takes. A 100,000-recipient send replays in about 0.15 s in
/// headless Chromium and 250,000 in about 1.3 s (BENCHMARKS.md): the cap keeps the worst input
/// of a what-if form to a couple of seconds and its timeline (about 80 bytes a line, ~0.75
/// lines a recipient) to a few tens of MB.
pub const MAX_RECIPIENTS: u64 = 250_000;
/// Most samples in a series (`hours` × 60 / `sample_minutes`).
pub const MAX_POINTS: u64 = 5_000;
/// Points a series aims at when `sample_minutes` is not given.
pub const TARGET_POINTS: u64 = 500;
/// Longest series, hours (a year and a day).
pub const MAX_HOURS: f64 = 366.0 * 24.0;
/// Seed when none is given.
pub const DEFAULT_SEED: u64 = 1;
/// Fallback number of a pool given without one (`+1 650 555 0100`, a fictional number).
pub const DEFAULT_FALLBACK: &str = "+16505550100";
/// `lease_seconds` of a pool given without one (2 hours, as `ringmark simulate`'s pools).
pub const DEFAULT_LEASE_SECONDS: u32 = 7_200;
/// The default resolutions, minutes: the smallest that keeps a series within [`TARGET_POINTS`].
const STEPS: [u64; 15] = [
    1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1_440,
];

/// An input the simulation refuses: which field, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimulationError {
    /// The field's path, e.g. `send.recipients`, `pool.numbers[3]`, `sample_minutes`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl SimulationError {
    fn new(field: impl Into<String>, message: impl fmt::Display) -> Self {
        Self {
            field: field.into(),
            message: message.to_string(),
        }
    }
}

impl fmt::Display for SimulationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for SimulationError {}

/// What one simulation answers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SimulationResult {
    /// Sample times, hours since the send started (0, then every `sample_minutes`).
    pub hours: Vec<f64>,
    /// At each sample, the share of the pool's leasable numbers inside an exclusive (or
    /// shared, under the `share` policy) lease: numbers a person holds.
    pub utilisation: Vec<f64>,
    /// At each sample, the share of leasable numbers in their tail: held by nobody, still
    /// attributable to earlier holders, and handed out again (as a shared tail) only when no
    /// number is free. `utilisation + shared` is the share not free.
    pub shared: Vec<f64>,
    /// When a person's open was first answered with the pool's fallback number (every
    /// number was inside a lease, or the policy refuses tails), hours since the send started;
    /// `null` when no person ever saw it. Exact, not rounded to a sample.
    pub dry_at_hours: Option<f64>,
    /// The resolution of the series, minutes.
    pub sample_minutes: u64,
    /// The summary `ringmark backtest` prints for this send on this pool.
    pub summary: Summary,
}

/// Runs a simulation from its JSON input:
///
/// ```json
/// {"send": {"recipients": 20000, "send_spread_hours": 24},
///  "pool": {"numbers": 300, "lease_seconds": 3600},
///  "seed": 1, "sample_minutes": 30, "hours": 72}
/// ```
///
/// * `send` (optional): fields of [`SendModel`]; missing ones take its defaults.
/// * `pool`: the body of `PUT /v1/pools/{pool}`, with two conveniences: `numbers` may be a
///   count (that many fictional `+1415…` numbers), and `fallback` and `lease_seconds` may be
///   left out ([`DEFAULT_FALLBACK`], [`DEFAULT_LEASE_SECONDS`]).
/// * `seed` (optional, [`DEFAULT_SEED`]): the same input gives the same result.
/// * `hours` (optional): how long the series runs; default until the send's last open or call.
/// * `sample_minutes` (optional): the series' resolution; default the smallest of 1, 2, 5, 10,
///   15, 20, 30 minutes, 1, 2, 3, 4, 6, 8, 12 or 24 hours that keeps it within 500 points.
///
/// ```
/// use ringmark::backtest::series::simulate;
/// let result = simulate(r#"{"send": {"recipients": 2000}, "pool": {"numbers": 40}}"#).unwrap();
/// assert_eq!(result.hours.len(), result.utilisation.len());
/// assert!(result.utilisation.iter().any(|&u| u > 0.0));
/// ```
pub fn simulate(input: &str) -> Result<SimulationResult, SimulationError> {
    let input: Value = serde_json::from_str(input).map_err(|e| SimulationError::new("input", e))?;
    let Value::Object(mut input) = input else {
        return Err(SimulationError::new("input", "expected a JSON object"));
    };
    let model = send_model(input.remove("send"))?;
    let pool = pool_json(
        input
            .remove("pool")
            .ok_or_else(|| SimulationError::new("pool", "missing"))?,
    )?;
    let seed = match input.remove("seed") {
        None | Some(Value::Null) => DEFAULT_SEED,
        Some(v) => v.as_u64().ok_or_else(|| {
            SimulationError::new("seed", format!("{v} is not a whole number ≥ 0"))
        })?,
    };
    let hours = match input.remove("hours") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_f64() {
            Some(h) if h > 0.0 && h <= MAX_HOURS => Some(h),
            _ => {
                return Err(SimulationError::new(
                    "hours",
                    format!("{v} is not a number of hours above 0 and at most {MAX_HOURS}"),
                ));
            }
        },
    };
    let sample_minutes = match input.remove("sample_minutes") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64() {
            Some(m) if (1..=1_440).contains(&m) => Some(m),
            _ => {
                return Err(SimulationError::new(
                    "sample_minutes",
                    format!("{v} is not a whole number of minutes from 1 to 1440"),
                ));
            }
        },
    };
    if let Some(key) = input.keys().next() {
        return Err(SimulationError::new(
            key.as_str(),
            "unknown field (send, pool, seed, hours, sample_minutes)",
        ));
    }

    let mut timeline = Vec::new();
    write_timeline(&model, seed, &mut timeline).map_err(|e| SimulationError::new("send", e))?;
    let end_seconds = match hours {
        Some(h) => (h * 3_600.0).ceil() as i64,
        None => (last_at(&timeline).unwrap_or(model.start) - model.start).max(0),
    };
    let step_minutes = match sample_minutes {
        Some(m) => {
            let points = end_seconds as u64 / (m * 60) + 1;
            if points > MAX_POINTS {
                return Err(SimulationError::new(
                    "sample_minutes",
                    format!(
                        "{m} minutes over {:.1} hours is {points} samples; at most {MAX_POINTS}",
                        end_seconds as f64 / 3_600.0
                    ),
                ));
            }
            m
        }
        None => STEPS
            .into_iter()
            .find(|m| end_seconds as u64 / (m * 60) < TARGET_POINTS)
            .unwrap_or(1_440),
    };
    let mut sampler = Sampler {
        start: model.start,
        step: step_minutes as i64 * 60,
        end: model.start + end_seconds,
        next: model.start,
        hours: Vec::new(),
        utilisation: Vec::new(),
        shared: Vec::new(),
        dry_at: None,
    };
    let summary = run_observed(&pool, timeline.as_slice(), std::io::sink(), &mut sampler)
        .map_err(|e| SimulationError::new("pool", e))?;
    Ok(SimulationResult {
        hours: sampler.hours,
        utilisation: sampler.utilisation,
        shared: sampler.shared,
        dry_at_hours: sampler.dry_at,
        sample_minutes: step_minutes,
        summary,
    })
}

/// The send: [`SendModel`]'s defaults with the given fields over them, each field checked
/// on its own so an error names it.
fn send_model(send: Option<Value>) -> Result<SendModel, SimulationError> {
    let fields = match send {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(fields)) => fields,
        Some(_) => return Err(SimulationError::new("send", "expected an object")),
    };
    let Ok(Value::Object(mut merged)) = serde_json::to_value(SendModel::default()) else {
        return Err(SimulationError::new(
            "send",
            "the default model is an object",
        ));
    };
    for (key, value) in fields {
        if !merged.contains_key(&key) {
            return Err(SimulationError::new(format!("send.{key}"), "unknown field"));
        }
        merged.insert(key.clone(), value);
        serde_json::from_value::<SendModel>(Value::Object(merged.clone()))
            .map_err(|e| SimulationError::new(format!("send.{key}"), e))?;
    }
    let model: SendModel = serde_json::from_value(Value::Object(merged))
        .map_err(|e| SimulationError::new("send", e))?;
    if !(1..=MAX_RECIPIENTS).contains(&model.recipients) {
        return Err(SimulationError::new(
            "send.recipients",
            format!(
                "{} is not from 1 to {MAX_RECIPIENTS} (larger sends: `ringmark simulate | ringmark backtest`)",
                model.recipients
            ),
        ));
    }
    model.validate().map_err(|e| match e.split_once(": ") {
        Some((field, message)) => SimulationError::new(format!("send.{field}"), message),
        None => SimulationError::new("send", e),
    })?;
    Ok(model)
}

/// The pool as the body of `PUT /v1/pools/{pool}`, checked by the admin API's own parser
/// (errors name `pool.<field>`).
fn pool_json(pool: Value) -> Result<Vec<u8>, SimulationError> {
    let Value::Object(mut fields) = pool else {
        return Err(SimulationError::new("pool", "expected an object"));
    };
    let body = match fields.remove("numbers") {
        Some(Value::Number(n)) => {
            let count = n
                .as_u64()
                .filter(|&c| (1..=MAX_POOL_NUMBERS as u64).contains(&c))
                .ok_or_else(|| {
                    SimulationError::new(
                        "pool.numbers",
                        format!("{n} is not a count from 1 to {MAX_POOL_NUMBERS}"),
                    )
                })?;
            pool_body(count as u32, &Value::Object(fields))
        }
        Some(list) => {
            fields.insert("numbers".into(), list);
            fields
                .entry("fallback")
                .or_insert_with(|| DEFAULT_FALLBACK.into());
            fields
                .entry("lease_seconds")
                .or_insert_with(|| DEFAULT_LEASE_SECONDS.into());
            serde_json::to_vec(&Value::Object(fields))
                .map_err(|e| SimulationError::new("pool", e))?
        }
        None => return Err(SimulationError::new("pool.numbers", "missing")),
    };
    parse_pool(&body).map_err(|e| match &e.field {
        // The admin API's message starts with the field; it is named once, with its path.
        Some(field) => SimulationError::new(
            format!("pool.{field}"),
            e.message
                .strip_prefix(&format!("{field}: "))
                .unwrap_or(&e.message),
        ),
        None => SimulationError::new("pool", &e.message),
    })?;
    Ok(body)
}

/// The `at` of a timeline's last line.
fn last_at(timeline: &[u8]) -> Option<i64> {
    let text = timeline.strip_suffix(b"\n").unwrap_or(timeline);
    let last = text.rsplit(|&b| b == b'\n').next()?;
    serde_json::from_slice::<Value>(last)
        .ok()?
        .get("at")?
        .as_i64()
}

/// Samples the pool every `step` seconds from `start` to `end`, advancing its clock to each
/// sample time between the lines (see [`Observer::before`]).
struct Sampler {
    start: i64,
    step: i64,
    end: i64,
    next: i64,
    hours: Vec<f64>,
    utilisation: Vec<f64>,
    shared: Vec<f64>,
    dry_at: Option<f64>,
}

impl Sampler {
    fn hours(&self, at: i64) -> f64 {
        (at - self.start) as f64 / 3_600.0
    }

    /// Takes every sample due before `until` (and within the series).
    fn sample_until(&mut self, until: i64, pool: &mut Pool) {
        while self.next < until && self.next <= self.end {
            pool.advance_to(self.next);
            let (not_free, held) = pool.occupancy();
            self.hours.push(self.hours(self.next));
            self.utilisation.push(held);
            self.shared.push((not_free - held).max(0.0));
            self.next += self.step;
        }
    }
}

impl Observer for Sampler {
    fn before(&mut self, at: i64, pool: &mut Pool) {
        // A sample at `t` sees every line with `at <= t`.
        self.sample_until(at, pool);
    }

    fn opened(&mut self, at: i64, signal: Signal, allocation: &Allocation) {
        if signal != Signal::Machine
            && allocation.lease == LeaseKind::Fallback
            && self.dry_at.is_none()
        {
            self.dry_at = Some(self.hours(at));
        }
    }

    fn finished(&mut self, pool: Option<&mut Pool>) {
        if let Some(pool) = pool {
            self.sample_until(i64::MAX, pool);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &str) -> SimulationResult {
        simulate(input).unwrap_or_else(|e| panic!("{e}"))
    }

    fn refused(input: &str) -> SimulationError {
        simulate(input).expect_err("refused")
    }

    mod the_series {
        use super::*;

        #[test]
        fn rises_while_people_open_then_falls_as_leases_end() {
            let r = run(r#"{"send": {"recipients": 5000, "send_spread_hours": 4},
                    "pool": {"numbers": 2000, "lease_seconds": 3600, "tail_seconds": 3600}, "hours": 96}"#);
            let peak = r.utilisation.iter().copied().fold(0.0, f64::max);
            let at_peak = r.utilisation.iter().position(|&u| u == peak).unwrap();
            assert_eq!(r.utilisation[0], 0.0);
            assert!(peak > 0.05, "peak {peak}");
            assert!(r.hours[at_peak] < 24.0, "peak at {} h", r.hours[at_peak]);
            assert!(*r.utilisation.last().unwrap() < peak / 4.0);
            // The shared tail follows the leases: numbers enter it when a lease ends.
            assert!(r.shared.iter().any(|&s| s > 0.0));
            assert_eq!(r.dry_at_hours, None);
        }

        #[test]
        fn samples_every_step_from_the_start_to_the_horizon() {
            let r = run(
                r#"{"send": {"recipients": 500}, "pool": {"numbers": 50}, "hours": 10, "sample_minutes": 30}"#,
            );
            assert_eq!(r.sample_minutes, 30);
            assert_eq!(r.hours.len(), 21);
            assert_eq!((r.hours[0], r.hours[1], r.hours[20]), (0.0, 0.5, 10.0));
            assert_eq!(r.utilisation.len(), 21);
            assert_eq!(r.shared.len(), 21);
        }

        #[test]
        fn shares_stay_between_0_and_1() {
            let r = run(r#"{"send": {"recipients": 3000}, "pool": {"numbers": 10}}"#);
            for (u, s) in r.utilisation.iter().zip(&r.shared) {
                assert!((0.0..=1.0).contains(u) && (0.0..=1.0).contains(s));
                assert!(u + s <= 1.0 + 1e-9);
            }
        }

        #[test]
        fn by_default_it_runs_to_the_last_event_in_at_most_500_points() {
            let r = run(r#"{"send": {"recipients": 2000}, "pool": {"numbers": 100}}"#);
            assert!(r.hours.len() <= TARGET_POINTS as usize + 1);
            // The default send's calls come days after the opens.
            assert!(*r.hours.last().unwrap() > 72.0);
        }

        #[test]
        fn the_same_input_gives_the_same_result() {
            let input = r#"{"send": {"recipients": 2000}, "pool": {"numbers": 30}, "seed": 9}"#;
            assert_eq!(run(input), run(input));
            let other =
                run(r#"{"send": {"recipients": 2000}, "pool": {"numbers": 30}, "seed": 10}"#);
            assert_ne!(run(input).utilisation, other.utilisation);
        }
    }

    mod running_dry {
        use super::*;

        #[test]
        fn a_pool_far_too_small_shows_people_the_fallback() {
            let r = run(
                r#"{"send": {"recipients": 4000, "send_spread_hours": 0}, "pool": {"numbers": 5, "lease_seconds": 86400}}"#,
            );
            let dry = r.dry_at_hours.expect("ran dry");
            assert!(dry < 2.0, "dry at {dry} h");
            assert!(r.summary.exhaustions.fallback > 0);
            assert_eq!(r.utilisation.iter().copied().fold(0.0, f64::max), 1.0);
        }

        #[test]
        fn a_bigger_pool_is_never_worse() {
            let at = |n: u32| {
                run(&format!(
                    r#"{{"send": {{"recipients": 6000, "send_spread_hours": 2}}, "pool": {{"numbers": {n}, "lease_seconds": 14400}}}}"#
                ))
            };
            let (small, big) = (at(40), at(400));
            assert!(small.dry_at_hours.is_some());
            assert!(
                big.dry_at_hours
                    .is_none_or(|b| b >= small.dry_at_hours.unwrap())
            );
            assert!(big.summary.correct_top >= small.summary.correct_top);
            assert!(
                big.utilisation.iter().copied().fold(0.0, f64::max)
                    <= small.utilisation.iter().copied().fold(0.0, f64::max)
            );
        }
    }

    mod the_same_code_as_backtest {
        use super::*;
        use crate::backtest::simulate::{SendModel, pool_body, write_timeline};

        #[test]
        fn the_summary_is_what_ringmark_backtest_prints_for_the_same_send() {
            let model = SendModel {
                recipients: 3_000,
                ..SendModel::default()
            };
            let mut timeline = Vec::new();
            write_timeline(&model, 4, &mut timeline).unwrap();
            let body = pool_body(60, &serde_json::json!({"lease_seconds": 3600}));
            let expected = crate::backtest::run(&body, timeline.as_slice(), std::io::sink())
                .expect("backtest");
            let r = run(
                r#"{"send": {"recipients": 3000}, "pool": {"numbers": 60, "lease_seconds": 3600}, "seed": 4, "hours": 400, "sample_minutes": 5}"#,
            );
            // Sampling every 5 minutes advances the pool's clock between lines: no result moves.
            assert_eq!(r.summary, expected);
        }

        #[test]
        fn a_list_of_numbers_is_a_put_body() {
            let r = run(
                r#"{"send": {"recipients": 200}, "pool": {"numbers": ["+1 (415) 555-0101", "+14155550102"], "exhaustion": "fallback"}}"#,
            );
            assert!(r.summary.opens > 0);
        }
    }

    mod refusals_name_the_field {
        use super::*;

        #[test]
        fn too_many_recipients() {
            let e = refused(r#"{"send": {"recipients": 1000000}, "pool": {"numbers": 10}}"#);
            assert_eq!(e.field, "send.recipients");
            assert!(e.to_string().contains("250000"), "{e}");
        }

        #[test]
        fn a_send_field_of_the_wrong_type_or_range_or_name() {
            let field = |send: &str| {
                refused(&format!(r#"{{"send": {send}, "pool": {{"numbers": 10}}}}"#)).field
            };
            assert_eq!(
                field(r#"{"human_open_rate": "high"}"#),
                "send.human_open_rate"
            );
            assert_eq!(field(r#"{"human_open_rate": 1.5}"#), "send.human_open_rate");
            assert_eq!(field(r#"{"open_rate": 0.2}"#), "send.open_rate");
            assert_eq!(field(r#"{"recipients": 0}"#), "send.recipients");
        }

        #[test]
        fn a_bad_pool() {
            let field = |pool: &str| {
                refused(&format!(
                    r#"{{"send": {{"recipients": 10}}, "pool": {pool}}}"#
                ))
                .field
            };
            assert_eq!(field(r#"{"numbers": 0}"#), "pool.numbers");
            assert_eq!(field(r#"{"numbers": 20001}"#), "pool.numbers");
            assert_eq!(field(r#"{"lease_seconds": 60}"#), "pool.numbers");
            assert_eq!(field(r#"{"numbers": ["+1415555010"]}"#), "pool.numbers[0]");
            assert_eq!(
                field(r#"{"numbers": 10, "style": {"font_px": 99}}"#),
                "pool.style"
            );
            assert_eq!(refused(r#"{"send": {}}"#).field, "pool");
        }

        #[test]
        fn too_many_samples_and_unknown_fields() {
            let e = refused(
                r#"{"send": {"recipients": 10}, "pool": {"numbers": 5}, "hours": 8000, "sample_minutes": 1}"#,
            );
            assert_eq!(e.field, "sample_minutes");
            assert_eq!(
                refused(r#"{"pool": {"numbers": 5}, "hours": -1}"#).field,
                "hours"
            );
            assert_eq!(
                refused(r#"{"pool": {"numbers": 5}, "seed": -1}"#).field,
                "seed"
            );
            assert_eq!(
                refused(r#"{"pool": {"numbers": 5}, "samples": 3}"#).field,
                "samples"
            );
        }
    }
}
