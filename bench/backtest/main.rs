//! Backtest benchmark (harness = false): simulated sends (`ringmark::backtest::simulate`)
//! replayed through the real allocator and attribution (`ringmark::backtest::run`), over a
//! grid of pool sizes × send spreads × pool configurations × seeds. Prints markdown:
//! attribution quality per cell (min–max over seeds), the calibration of the default
//! configuration, backtest speed against a JSON-parse floor in the same run, and a
//! robustness row with call delays of a shape the attribution model was not built for.
//!
//! ```text
//! cargo run --release --example backtest -- [--seeds 3] [--recipients 100000] [--sizes 1317,2000,4000,8173,25000]
//! ```

use std::collections::HashMap;
use std::hint::black_box;
use std::io::BufRead;
use std::time::{Duration, Instant};

use ringmark::backtest::simulate::{DelayShape, SendModel, pool_body, write_timeline};
use ringmark::backtest::{Summary, run};
use serde_json::{Value, json};

/// The pool size the calibration, speed and robustness sections use.
const FOCUS_SIZE: u32 = 2_000;
/// Deciles with fewer calls than this are left out of the worst calibration gap.
const GAP_MIN_CALLS: u64 = 20;
/// Timed repetitions in the speed section.
const SPEED_RUNS: usize = 5;

struct Args {
    seeds: u64,
    recipients: u64,
    sizes: Vec<u32>,
}

fn usage(problem: &str) -> ! {
    eprintln!(
        "{problem}\nusage: cargo run --release --example backtest -- [--seeds N] [--recipients N] [--sizes A,B,…]"
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut args = Args {
        seeds: 3,
        recipients: 100_000,
        sizes: vec![1_317, 2_000, 4_000, 8_173, 25_000],
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (arg.clone(), None),
        };
        if name == "--bench" {
            continue; // cargo bench passes it
        }
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next())
                .unwrap_or_else(|| usage(&format!("{name} needs a value")))
        };
        let bad =
            |v: &str| -> ! { usage(&format!("{name}: {v:?} is not a positive whole number")) };
        match name.as_str() {
            "--seeds" => {
                let v = value();
                args.seeds = v.parse().ok().filter(|&n| n > 0).unwrap_or_else(|| bad(&v));
            }
            "--recipients" => {
                let v = value();
                args.recipients = v.parse().ok().filter(|&n| n > 0).unwrap_or_else(|| bad(&v));
            }
            "--sizes" => {
                let v = value();
                args.sizes = v
                    .split(',')
                    .map(|s| {
                        s.trim()
                            .parse()
                            .ok()
                            .filter(|&n| n > 0)
                            .unwrap_or_else(|| bad(s))
                    })
                    .collect();
            }
            _ => usage(&format!("unknown argument {arg:?}")),
        }
    }
    args
}

fn configs() -> [(&'static str, Value); 3] {
    [
        ("default", json!({"lease_seconds": 7200})),
        (
            "legacy",
            json!({"lease_seconds": 7200, "exhaustion": "fallback"}),
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

/// Largest |accuracy − mean confidence| over deciles with enough calls, in points.
fn worst_gap(s: &Summary) -> Option<f64> {
    s.deciles
        .iter()
        .filter(|d| d.calls >= GAP_MIN_CALLS)
        .filter_map(|d| Some((d.accuracy? - d.mean_confidence?).abs() * 100.0))
        .reduce(f64::max)
}

/// `min–max` over seeds with one decimal (one value when they agree), then `unit`.
fn range(values: impl IntoIterator<Item = f64>, unit: &str) -> String {
    let v: Vec<f64> = values.into_iter().collect();
    if v.is_empty() {
        return "–".into();
    }
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = (format!("{lo:.1}"), format!("{hi:.1}"));
    if lo == hi {
        format!("{lo} {unit}")
    } else {
        format!("{lo}–{hi} {unit}")
    }
}

fn counts(values: impl IntoIterator<Item = u64>) -> String {
    let v: Vec<u64> = values.into_iter().collect();
    let (lo, hi) = (v.iter().min().unwrap(), v.iter().max().unwrap());
    if lo == hi {
        lo.to_string()
    } else {
        format!("{lo}–{hi}")
    }
}

const HEADER: &str = "| numbers | spread | config | correct top | correct & confident (≥0.8) | confidently wrong | dialled fallback | peak exclusive | worst decile gap | calls |\n|---:|---|---|---:|---:|---:|---:|---:|---:|---:|";

fn row(numbers: u32, spread: &str, config: &str, runs: &[Summary]) -> String {
    let pct = |f: fn(&Summary) -> f64| range(runs.iter().map(|s| f(s) * 100.0), "%");
    format!(
        "| {numbers} | {spread} | {config} | {} | {} | {} | {} | {} | {} | {} |",
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

fn main() {
    let args = parse_args();
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

    println!("## Attribution (min–max over seeds)\n\n{HEADER}");
    let mut grid: HashMap<(u32, usize, usize), Vec<Summary>> = HashMap::new();
    let mut replay = Duration::ZERO;
    for &numbers in &args.sizes {
        for (si, &(spread, _)) in SPREADS.iter().enumerate() {
            for (ci, (config, settings)) in configs.iter().enumerate() {
                let t0 = Instant::now();
                let runs: Vec<Summary> = seeds
                    .iter()
                    .map(|seed| backtest(numbers, settings, &timelines[&(si, *seed)]))
                    .collect();
                replay += t0.elapsed();
                println!("{}", row(numbers, spread, config, &runs));
                grid.insert((numbers, si, ci), runs);
            }
        }
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
    for d in 0..10 {
        let (mut calls, mut correct, mut confidence) = (0u64, 0u64, 0.0f64);
        for s in &focus {
            let x = &s.deciles[d];
            calls += x.calls;
            correct += x.correct;
            confidence += x.mean_confidence.unwrap_or(0.0) * x.calls as f64;
        }
        let (from, to) = (&focus[0].deciles[d].from, &focus[0].deciles[d].to);
        let close = if d == 9 { ']' } else { ')' };
        if calls == 0 {
            println!("| [{from:.1}, {to:.1}{close} | 0 | – | – |");
        } else {
            println!(
                "| [{from:.1}, {to:.1}{close} | {calls} | {:.1} % | {:.1} % |",
                confidence / calls as f64 * 100.0,
                correct as f64 / calls as f64 * 100.0
            );
        }
    }

    println!(
        "\n## Robustness: call delays uniform within each bucket (model built for log-uniform)\n\n{HEADER}"
    );
    println!(
        "{}",
        row(FOCUS_SIZE, "24 h", "default, log-uniform", &focus)
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
    println!("{}", row(FOCUS_SIZE, "24 h", "default, uniform", &uniform));

    // Speed: the backtest against the floor of reading and parsing the same lines.
    let t = &timelines[&(0, 1)];
    let events = focus[0].events as f64;
    let body = pool_body(FOCUS_SIZE, &configs[0].1);
    let mut backtest_s = Vec::new();
    let mut parse_s = Vec::new();
    for _ in 0..SPEED_RUNS {
        let t0 = Instant::now();
        black_box(run(&body, &t[..], std::io::sink()).expect("backtest"));
        backtest_s.push(t0.elapsed().as_secs_f64());
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
    let (b, p) = (median(backtest_s), median(parse_s));
    println!(
        "\n## Speed: default, {FOCUS_SIZE} numbers, 24 h, seed 1 ({events} events; median of {SPEED_RUNS})\n\n\
         | | time | events/s |\n|---|---:|---:|\n\
         | backtest (`run`) | {:.1} ms | {:.0} |\n\
         | floor: read + `serde_json::Value` parse | {:.1} ms | {:.0} |\n\
         | ratio backtest / parse | {:.2}× | |",
        b * 1e3,
        events / b,
        p * 1e3,
        events / p,
        b / p
    );
    println!(
        "\nSimulation: {lines} lines in {:.0} ms ({:.0} lines/s); grid replay {:.1} s; whole run {:.1} s.",
        simulate.as_secs_f64() * 1e3,
        lines as f64 / simulate.as_secs_f64(),
        replay.as_secs_f64(),
        began.elapsed().as_secs_f64()
    );
}
