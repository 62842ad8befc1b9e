//! Backtest benchmark: simulated sends (`ringmark::backtest::simulate`) replayed through the
//! real allocator and attribution (`ringmark::backtest::run`), over a grid of pool sizes ×
//! send spreads × pool configurations × seeds. Prints markdown: attribution quality per cell
//! (min–max over seeds) beside the analytic forecast for the same send and pool size
//! (`ringmark::pool::sizing::recommend`), the pool size the forecast recommends for 90 %
//! correct (added to the grid for each spread), the calibration of the default
//! configuration, backtest speed (default and `legacy`) against a JSON-parse floor in the
//! same run, a robustness row with call delays of a shape the attribution model was not
//! built for, and the same sends with taps on the snippet's call button (assumed rates).
//!
//! ```text
//! cargo run --release --example backtest -- [--seeds 3] [--recipients 100000] [--sizes 1317,2000,4000,8173,20000]
//! ```

use std::collections::HashMap;
use std::hint::black_box;
use std::io::BufRead;
use std::time::{Duration, Instant};

use ringmark::backtest::simulate::{DelayShape, SendModel, pool_body, write_timeline};
use ringmark::backtest::{Summary, run};
use ringmark::pool::sizing::{Forecast, SizingInput, recommend};
use serde_json::{Value, json};

#[path = "../common/cells.rs"]
mod cells;
use cells::{counts, range};

/// The pool size the calibration, speed and robustness sections use.
const FOCUS_SIZE: u32 = 2_000;
/// Deciles with fewer calls than this are left out of the worst calibration gap.
const GAP_MIN_CALLS: u64 = 20;
/// Timed repetitions in the speed section.
const SPEED_RUNS: usize = 5;
/// Share of calls attributed to the caller that the forecast's recommended size aims at.
const TARGET_CORRECT: f64 = 0.9;
/// The issue's target share of calls right and confident (≥ 0.8) at 2,000 numbers, 24 h.
const TARGET_CONFIDENT: f64 = 0.55;
/// Share of calls placed with the call button by a caller whose last open was on a phone, in
/// the taps section (assumption).
const TAP_TO_CALL_SHARE: f64 = 0.5;
/// Share of phone openers who tap the call button and do not call, in the taps section: with
/// [`TAP_TO_CALL_SHARE`], a tap turns into a call about 45 % of the time (assumption).
const TAP_WITHOUT_CALL_RATE: f64 = 0.019;
/// Exclusive lease of the `default` configuration, seconds (the forecast's lease).
const LEASE_SECONDS: u32 = 7_200;

/// The grid to run (`cargo run --release --example backtest -- --help`).
#[derive(clap::Parser)]
#[command(about = "Simulated sends replayed through the allocator: attribution per pool size")]
struct Args {
    /// Seeds per cell (1..=N).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..))]
    seeds: u64,
    /// Recipients per simulated send.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..))]
    recipients: u64,
    /// Pool sizes, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [1_317, 2_000, 4_000, 8_173, 20_000],
          value_parser = clap::value_parser!(u32).range(1..))]
    sizes: Vec<u32>,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

fn configs() -> [(&'static str, Value); 3] {
    [
        ("default", json!({"lease_seconds": LEASE_SECONDS})),
        (
            "legacy",
            json!({"lease_seconds": LEASE_SECONDS, "exhaustion": "fallback"}),
        ),
        (
            "web",
            json!({"lease_seconds": 1800, "max_lease_seconds": 1800, "tail_seconds": 0,
                   "reuse": {"random": {"seed": 7}}}),
        ),
    ]
}

const SPREADS: [(&str, f64); 2] = [("24 h", 24.0), ("blast", 0.0)];

fn model(recipients: u64, spread: f64, shape: DelayShape) -> SendModel {
    SendModel {
        recipients,
        send_spread_hours: spread,
        call_delay_shape: shape,
        ..SendModel::default()
    }
}

fn timeline(model: &SendModel, seed: u64) -> Vec<u8> {
    let mut out = Vec::new();
    write_timeline(model, seed, &mut out).expect("simulate");
    out
}

fn backtest(numbers: u32, settings: &Value, timeline: &[u8]) -> Summary {
    run(&pool_body(numbers, settings), timeline, std::io::sink()).expect("backtest")
}

/// The sizing inputs for a simulated send (shared-tail pool, the `default` configuration's
/// lease, the pool's 30-day attribution window), at `pool_size` when given.
fn sizing(recipients: u64, spread_hours: f64, pool_size: Option<u32>) -> SizingInput {
    SizingInput {
        recipients,
        human_open_rate: 0.2,
        send_spread_hours: spread_hours,
        lease_seconds: LEASE_SECONDS,
        attribution_window_seconds: 30 * 86_400,
        pool_size,
        target_correct: TARGET_CORRECT,
        ..SizingInput::new(recipients)
    }
}

/// One backtest's summary and its call lines (the summary line left out).
fn call_lines(numbers: u32, settings: &Value, timeline: &[u8]) -> (Summary, Vec<Value>) {
    let mut out = Vec::new();
    let summary = run(&pool_body(numbers, settings), timeline, &mut out).expect("backtest");
    let lines = out
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .filter_map(|l| serde_json::from_slice::<Value>(l).ok())
        .filter(|v| v.get("summary").is_none())
        .collect();
    (summary, lines)
}

/// The stated confidence of every call of one backtest, from its call lines.
fn confidences(numbers: u32, settings: &Value, timeline: &[u8]) -> Vec<f64> {
    call_lines(numbers, settings, timeline)
        .1
        .iter()
        .filter_map(|v| v.get("confidence").and_then(Value::as_f64))
        .collect()
}

/// The send of the taps section: the default send plus taps on the call button at the rates
/// the attribution model assumes (`ringmark_pool::tap`; both assumptions).
fn with_taps(recipients: u64, spread: f64) -> SendModel {
    SendModel {
        tap_to_call_share: TAP_TO_CALL_SHARE,
        tap_without_call_rate: TAP_WITHOUT_CALL_RATE,
        ..model(recipients, spread, DelayShape::LogUniform)
    }
}

/// Per call line of a backtest of `timeline`: (tapped: the caller tapped the call button in
/// the hour before the call, stated confidence, right). The tap is read from the timeline, the
/// truth the attribution never sees.
fn tap_calls(lines: &[Value], timeline: &[u8]) -> Vec<(bool, f64, bool)> {
    let mut taps: HashMap<String, Vec<i64>> = HashMap::new();
    for line in timeline.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let v: Value = serde_json::from_slice(line).expect("timeline line");
        if v["signal"] == "click" {
            let who = v["recipient"].as_str().expect("recipient").to_owned();
            taps.entry(who)
                .or_default()
                .push(v["at"].as_i64().expect("at"));
        }
    }
    lines
        .iter()
        .map(|v| {
            let (at, caller) = (v["at"].as_i64().expect("at"), &v["recipient"]);
            let tapped = caller
                .as_str()
                .and_then(|c| taps.get(c))
                .is_some_and(|ts| ts.iter().any(|&t| t <= at && at - t <= 3_600));
            let confidence = v["confidence"].as_f64().expect("confidence");
            (tapped, confidence, v["top"] == *caller)
        })
        .collect()
}

/// If the confidences are calibrated, the fewest confidently wrong calls (as a share of all
/// calls) that any confidence line allows while `target` of all calls are expected right and
/// confident: take the most confident calls first until the sum of their confidences (the
/// expected right ones) reaches `target`; the sum of `1 − c` over them is the expected wrong.
/// `None` when every call together does not reach it.
fn fewest_wrong(confidences: &[f64], target: f64) -> Option<f64> {
    let mut c = confidences.to_vec();
    c.sort_by(|a, b| b.total_cmp(a));
    let n = c.len() as f64;
    let (mut right, mut wrong) = (0.0, 0.0);
    for x in c {
        right += x;
        wrong += 1.0 - x;
        if right >= target * n {
            return Some(wrong / n);
        }
    }
    None
}

/// The analytic forecast for `numbers` numbers on the send.
fn forecast(recipients: u64, spread_hours: f64, numbers: u32) -> Forecast {
    recommend(&sizing(recipients, spread_hours, Some(numbers)))
        .attribution
        .expect("a pool size gives a forecast")
}

/// A share as a percentage with one decimal.
fn percent(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

/// Largest |accuracy − mean confidence| over deciles with enough calls, in points.
fn worst_gap(s: &Summary) -> Option<f64> {
    s.deciles
        .iter()
        .filter(|d| d.calls >= GAP_MIN_CALLS)
        .filter_map(|d| Some((d.accuracy? - d.mean_confidence?).abs() * 100.0))
        .reduce(f64::max)
}

const HEADER: &str = "| numbers | spread | config | correct top | correct & confident (≥0.8) | forecast correct | forecast confident | confidently wrong | dialled fallback | peak exclusive | worst decile gap | calls |\n|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|";

/// One table row; `numbers` is the first cell as printed, `forecast` the analytic forecast
/// (shared-tail policy) when the row's configuration is the one it models.
fn row(
    numbers: &str,
    spread: &str,
    config: &str,
    runs: &[Summary],
    forecast: Option<&Forecast>,
) -> String {
    let pct = |f: fn(&Summary) -> f64| range(runs.iter().map(|s| f(s) * 100.0), "%");
    let (fc, fcc) = forecast.map_or(("–".into(), "–".into()), |f| {
        (percent(f.correct), percent(f.correct_confident))
    });
    format!(
        "| {numbers} | {spread} | {config} | {} | {} | {fc} | {fcc} | {} | {} | {} | {} | {} |",
        pct(|s| s.correct_top),
        pct(|s| s.correct_confident),
        pct(|s| s.confidently_wrong),
        pct(|s| s.dialled_fallback),
        pct(|s| s.peak_exclusive),
        range(runs.iter().filter_map(worst_gap), "pp"),
        counts(runs.iter().map(|s| s.calls)),
    )
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median of `f` over seeds, in percent.
fn median_pct(runs: &[Summary], f: fn(&Summary) -> f64) -> f64 {
    median(runs.iter().map(|s| f(s) * 100.0).collect())
}

/// Time of one backtest of `timeline` on `body` (the pool body's parsing included), seconds.
fn time_backtest(body: &[u8], timeline: &[u8]) -> f64 {
    let t0 = Instant::now();
    black_box(run(body, timeline, std::io::sink()).expect("backtest"));
    t0.elapsed().as_secs_f64()
}

fn main() {
    let args = <Args as clap::Parser>::parse();
    let began = Instant::now();
    let seeds: Vec<u64> = (1..=args.seeds).collect();
    let configs = configs();
    println!(
        "# Backtest: {} recipients, seeds 1..={}, pool sizes {:?}\n",
        args.recipients, args.seeds, args.sizes
    );

    // One timeline per (spread, seed), shared by every pool size and configuration.
    let mut simulate = Duration::ZERO;
    let mut lines = 0u64;
    let mut timelines: HashMap<(usize, u64), Vec<u8>> = HashMap::new();
    for (i, &(_, hours)) in SPREADS.iter().enumerate() {
        for &seed in &seeds {
            let t0 = Instant::now();
            let t = timeline(&model(args.recipients, hours, DelayShape::LogUniform), seed);
            simulate += t0.elapsed();
            lines += t.iter().filter(|&&b| b == b'\n').count() as u64;
            timelines.insert((i, seed), t);
        }
    }

    // The size the forecast recommends for 90 % correct, per spread, joins the grid.
    println!(
        "## Forecast: pool size for {:.0} % correct (`size_for_target_correct`, shared tail, lease {LEASE_SECONDS} s)\n\n\
         | spread | recommended numbers | forecast correct | forecast confident | forecast confidently wrong | forecast dialled fallback |\n\
         |---|---:|---:|---:|---:|---:|",
        TARGET_CORRECT * 100.0
    );
    let mut target_sizes: Vec<Option<u32>> = Vec::new();
    for &(spread, hours) in &SPREADS {
        let report = recommend(&sizing(args.recipients, hours, None));
        match report.size_for_target_correct {
            Some(f) => println!(
                "| {spread} | {} | {} | {} | {} | {} |",
                f.numbers,
                percent(f.correct),
                percent(f.correct_confident),
                percent(f.confidently_wrong),
                percent(f.dialled_fallback)
            ),
            None => {
                println!("| {spread} | none (a number per opener falls short) | – | – | – | – |")
            }
        }
        target_sizes.push(report.size_for_target_correct.map(|f| f.numbers));
    }
    let spread_sizes: Vec<Vec<u32>> = target_sizes
        .iter()
        .map(|extra| {
            let mut sizes = args.sizes.clone();
            sizes.extend(*extra);
            sizes.sort_unstable();
            sizes.dedup();
            sizes
        })
        .collect();
    let mut all_sizes: Vec<u32> = spread_sizes.concat();
    all_sizes.sort_unstable();
    all_sizes.dedup();

    println!(
        "\n## Attribution (min–max over seeds; forecast for the default configuration)\n\n\
         \"(90 %)\" marks the size the forecast recommends for 90 % correct at that spread.\n\n{HEADER}"
    );
    let mut grid: HashMap<(u32, usize, usize), Vec<Summary>> = HashMap::new();
    let mut forecasts: HashMap<(u32, usize), Forecast> = HashMap::new();
    let mut replay = Duration::ZERO;
    for &numbers in &all_sizes {
        for (si, &(spread, hours)) in SPREADS.iter().enumerate() {
            if !spread_sizes[si].contains(&numbers) {
                continue;
            }
            let label = if target_sizes[si] == Some(numbers) {
                format!("{numbers} (90 %)")
            } else {
                numbers.to_string()
            };
            let f = forecast(args.recipients, hours, numbers);
            forecasts.insert((numbers, si), f);
            for (ci, (config, settings)) in configs.iter().enumerate() {
                let t0 = Instant::now();
                let runs: Vec<Summary> = seeds
                    .iter()
                    .map(|seed| backtest(numbers, settings, &timelines[&(si, *seed)]))
                    .collect();
                replay += t0.elapsed();
                let f = (ci == 0).then_some(&f);
                println!("{}", row(&label, spread, config, &runs, f));
                grid.insert((numbers, si, ci), runs);
            }
        }
    }

    println!(
        "\n## Forecast against simulation: default configuration (simulation: median over seeds)\n\n\
         | numbers | spread | correct: simulated | forecast | sim − forecast | confident: simulated | forecast | sim − forecast | confidently wrong: simulated | forecast | dialled fallback: simulated | forecast |\n\
         |---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for &numbers in &all_sizes {
        for (si, &(spread, _)) in SPREADS.iter().enumerate() {
            let (Some(runs), Some(f)) =
                (grid.get(&(numbers, si, 0)), forecasts.get(&(numbers, si)))
            else {
                continue;
            };
            let (c, cc) = (
                median_pct(runs, |s| s.correct_top),
                median_pct(runs, |s| s.correct_confident),
            );
            println!(
                "| {numbers} | {spread} | {c:.1} % | {:.1} % | {:+.1} pp | {cc:.1} % | {:.1} % | {:+.1} pp | {:.1} % | {:.1} % | {:.1} % | {:.1} % |",
                f.correct * 100.0,
                c - f.correct * 100.0,
                f.correct_confident * 100.0,
                cc - f.correct_confident * 100.0,
                median_pct(runs, |s| s.confidently_wrong),
                f.confidently_wrong * 100.0,
                median_pct(runs, |s| s.dialled_fallback),
                f.dialled_fallback * 100.0,
            );
        }
    }

    println!(
        "\n## At the forecast's size for {:.0} % correct: default configuration, simulated\n\n\
         | spread | numbers | correct top per seed | ≥ {:.0} % in every seed |\n|---|---:|---|---|",
        TARGET_CORRECT * 100.0,
        TARGET_CORRECT * 100.0
    );
    for (si, &(spread, _)) in SPREADS.iter().enumerate() {
        let Some(numbers) = target_sizes[si] else {
            println!("| {spread} | – | – | – |");
            continue;
        };
        let runs = &grid[&(numbers, si, 0)];
        let per_seed: Vec<String> = runs
            .iter()
            .map(|s| format!("{:.1} %", s.correct_top * 100.0))
            .collect();
        let met = runs.iter().all(|s| s.correct_top >= TARGET_CORRECT);
        println!(
            "| {spread} | {numbers} | {} | {} |",
            per_seed.join(", "),
            if met { "yes" } else { "no" }
        );
    }
    let focus: Vec<Summary> = match grid.get(&(FOCUS_SIZE, 0, 0)) {
        Some(runs) => runs.clone(),
        None => seeds
            .iter()
            .map(|seed| backtest(FOCUS_SIZE, &configs[0].1, &timelines[&(0, *seed)]))
            .collect(),
    };

    println!(
        "\n## Calibration: default, {FOCUS_SIZE} numbers, 24 h (pooled over seeds)\n\n\
         | confidence | calls | mean confidence | accuracy |\n|---|---:|---:|---:|"
    );
    let mut pooled = [(0u64, 0u64, 0.0f64); 10];
    for s in &focus {
        for (band, x) in pooled.iter_mut().zip(&s.deciles) {
            band.0 += x.calls;
            band.1 += x.correct;
            band.2 += x.mean_confidence.unwrap_or(0.0) * x.calls as f64;
        }
    }
    calibration_rows(&pooled);

    println!(
        "\n## What the stated confidences allow: default, {FOCUS_SIZE} numbers, 24 h\n\n\
         If confidence means what it says, a call stated at `c` is wrong with probability `1 − c`,\n\
         so the confidently wrong share any line can give is fixed by the confidences. Per seed:\n\
         the share confidently wrong expected at the 0.8 line (Σ (1 − c) over calls at ≥ 0.8) and\n\
         observed; and, for {:.0} % of calls right and confident, the fewest confidently wrong any\n\
         line allows (the most confident calls first until their Σ c reaches {:.0} % of calls).\n\n\
         | seed | calls | stated ≥ 0.8 | stated ≥ 0.98 | expected confidently wrong at 0.8 | observed | fewest confidently wrong for {:.0} % right and confident |\n\
         |---:|---:|---:|---:|---:|---:|---:|",
        TARGET_CONFIDENT * 100.0,
        TARGET_CONFIDENT * 100.0,
        TARGET_CONFIDENT * 100.0,
    );
    for (&seed, summary) in seeds.iter().zip(&focus) {
        let c = confidences(FOCUS_SIZE, &configs[0].1, &timelines[&(0, seed)]);
        let n = c.len() as f64;
        let share = |k: usize| percent(k as f64 / n);
        let expected: f64 = c.iter().filter(|&&x| x >= 0.8).map(|x| 1.0 - x).sum();
        println!(
            "| {seed} | {} | {} | {} | {} | {} | {} |",
            c.len(),
            share(c.iter().filter(|&&x| x >= 0.8).count()),
            share(c.iter().filter(|&&x| x >= 0.98).count()),
            percent(expected / n),
            percent(summary.confidently_wrong),
            fewest_wrong(&c, TARGET_CONFIDENT).map_or("unreachable".into(), percent),
        );
    }

    println!(
        "\n## Robustness: call delays uniform within each bucket (model built for log-uniform)\n\n{HEADER}"
    );
    let focus_forecast = forecast(args.recipients, SPREADS[0].1, FOCUS_SIZE);
    let focus_label = FOCUS_SIZE.to_string();
    println!(
        "{}",
        row(
            &focus_label,
            "24 h",
            "default, log-uniform",
            &focus,
            Some(&focus_forecast)
        )
    );
    let uniform: Vec<Summary> = seeds
        .iter()
        .map(|&seed| {
            let t = timeline(
                &model(args.recipients, SPREADS[0].1, DelayShape::Uniform),
                seed,
            );
            backtest(FOCUS_SIZE, &configs[0].1, &t)
        })
        .collect();
    println!(
        "{}",
        row(
            &focus_label,
            "24 h",
            "default, uniform",
            &uniform,
            Some(&focus_forecast)
        )
    );

    taps_section(&args, &seeds, &focus, &configs[0].1, &focus_forecast);

    // Speed: the backtest against the floor of reading and parsing the same lines.
    let t = &timelines[&(0, 1)];
    let events = focus[0].events as f64;
    let (body, legacy_body) = (
        pool_body(FOCUS_SIZE, &configs[0].1),
        pool_body(FOCUS_SIZE, &configs[1].1),
    );
    let mut backtest_s = Vec::new();
    let mut legacy_s = Vec::new();
    let mut parse_s = Vec::new();
    // Each round times default, legacy and the parse floor once, so drift hits all three.
    for _ in 0..SPEED_RUNS {
        backtest_s.push(time_backtest(&body, t));
        legacy_s.push(time_backtest(&legacy_body, t));
        let t0 = Instant::now();
        let mut reader = &t[..];
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).expect("read") == 0 {
                break;
            }
            black_box(serde_json::from_str::<Value>(line.trim()).expect("parse"));
        }
        parse_s.push(t0.elapsed().as_secs_f64());
    }
    let (b, l, p) = (median(backtest_s), median(legacy_s), median(parse_s));
    println!(
        "\n## Speed: {FOCUS_SIZE} numbers, 24 h, seed 1 ({events} events; median of {SPEED_RUNS} alternating rounds)\n\n\
         | | time | events/s | ÷ parse floor |\n|---|---:|---:|---:|\n\
         | backtest (`run`), default (shared tail) | {:.1} ms | {:.0} | {:.2}× |\n\
         | backtest (`run`), legacy (exhaustion `fallback`) | {:.1} ms | {:.0} | {:.2}× |\n\
         | floor: read + `serde_json::Value` parse | {:.1} ms | {:.0} | 1.00× |",
        b * 1e3,
        events / b,
        b / p,
        l * 1e3,
        events / l,
        l / p,
        p * 1e3,
        events / p,
    );
    println!(
        "\nSimulation: {lines} lines in {:.0} ms ({:.0} lines/s); grid replay {:.1} s; whole run {:.1} s.",
        simulate.as_secs_f64() * 1e3,
        lines as f64 / simulate.as_secs_f64(),
        replay.as_secs_f64(),
        began.elapsed().as_secs_f64()
    );
}

/// The same sends with taps on the call button (assumed rates), at the focus size: the rows,
/// the tap calls apart from the others, and calibration.
fn taps_section(
    args: &Args,
    seeds: &[u64],
    focus: &[Summary],
    settings: &Value,
    focus_forecast: &Forecast,
) {
    println!(
        "\n## Taps on the call button: default, {FOCUS_SIZE} numbers, 24 h\n\n\
         The same sends, plus: a call whose caller last opened on a phone is placed with the\n\
         snippet's call button {:.0} % of the time (a `click` 3 s–1 h before it, 90 % within 2 min),\n\
         and {:.1} % of phone openers who do not call tap it anyway (assumptions, so that a tap turns\n\
         into a call about 45 % of the time, as `ringmark_pool::tap` assumes). \"Tap calls\" are calls\n\
         whose caller tapped in the hour before.\n\n{HEADER}",
        TAP_TO_CALL_SHARE * 100.0,
        TAP_WITHOUT_CALL_RATE * 100.0
    );
    let label = FOCUS_SIZE.to_string();
    println!(
        "{}",
        row(
            &label,
            "24 h",
            "default, no taps",
            focus,
            Some(focus_forecast)
        )
    );
    let timelines: Vec<Vec<u8>> = seeds
        .iter()
        .map(|&seed| timeline(&with_taps(args.recipients, SPREADS[0].1), seed))
        .collect();
    let replays: Vec<(Summary, Vec<Value>)> = timelines
        .iter()
        .map(|t| call_lines(FOCUS_SIZE, settings, t))
        .collect();
    let runs: Vec<Summary> = replays.iter().map(|(s, _)| s.clone()).collect();
    println!(
        "{}",
        row(&label, "24 h", "default, taps", &runs, Some(focus_forecast))
    );
    println!(
        "\n| seed | calls | tap calls | tap calls right & confident | tap calls confidently wrong | other calls right & confident | other calls confidently wrong | fewest confidently wrong for {:.0} % right and confident |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|",
        TARGET_CONFIDENT * 100.0
    );
    let mut pooled = [(0u64, 0u64, 0.0f64); 10];
    for ((&seed, t), (_, lines)) in seeds.iter().zip(&timelines).zip(&replays) {
        let calls = tap_calls(lines, t);
        let share = |tapped: bool, right: bool| {
            let of: Vec<_> = calls.iter().filter(|c| c.0 == tapped).collect();
            let k = of.iter().filter(|c| c.1 >= 0.8 && c.2 == right).count();
            format!("{} of {}", k, of.len())
        };
        let confidences: Vec<f64> = calls.iter().map(|c| c.1).collect();
        for &(_, c, right) in &calls {
            let d = ((c * 10.0) as usize).min(9);
            pooled[d].0 += 1;
            pooled[d].1 += u64::from(right);
            pooled[d].2 += c;
        }
        println!(
            "| {seed} | {} | {} | {} | {} | {} | {} | {} |",
            calls.len(),
            calls.iter().filter(|c| c.0).count(),
            share(true, true),
            share(true, false),
            share(false, true),
            share(false, false),
            fewest_wrong(&confidences, TARGET_CONFIDENT).map_or("unreachable".into(), percent),
        );
    }
    println!(
        "\nCalibration with taps (pooled over seeds):\n\n| confidence | calls | mean confidence | accuracy |\n|---|---:|---:|---:|"
    );
    calibration_rows(&pooled);
}

/// The rows of a calibration table from ten bands of (calls, right, sum of stated confidence),
/// the last band closed at 1.
fn calibration_rows(bands: &[(u64, u64, f64); 10]) {
    for (d, &(n, right, sum)) in bands.iter().enumerate() {
        let close = if d == 9 { ']' } else { ')' };
        let band = format!(
            "[{:.1}, {:.1}{close}",
            d as f64 / 10.0,
            (d + 1) as f64 / 10.0
        );
        if n == 0 {
            println!("| {band} | 0 | – | – |");
        } else {
            println!(
                "| {band} | {n} | {:.1} % | {:.1} % |",
                sum / n as f64 * 100.0,
                right as f64 / n as f64 * 100.0
            );
        }
    }
}
