//! Native benchmark: ringmark-classify vs woothee over the corpus User-Agents, in the same run.
//!
//! ```text
//! cargo bench -p ringmark-classify --bench classify -- [CORPUS_DIR] [ROUNDS]
//! ```
//! Reads `ua-dev.tsv` (default `../shared/corpus` relative to the repository root), runs ROUNDS (default 7)
//! alternating passes of each classifier over every UA (headers included for ours), and prints the median
//! UA/s and µs/UA of each plus the speed ratio. Ours runs twice: the rules alone, and with the device-model
//! table the Worker loads (`data/device-models/device-models.tsv`), whose parse time is reported too. Also
//! times the very first classification (cold: nothing is lazily built in this crate, so it should be close to
//! a warm call).

use ringmark_classify::{Classifier, DeviceClass, DeviceModels, signals_from_json};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let dir = args.first().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
    });
    let rounds: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(7).max(1);
    let text = std::fs::read_to_string(dir.join("ua-dev.tsv")).expect("read ua-dev.tsv");
    let rows: Vec<(String, String)> = text
        .lines()
        .skip(1)
        .filter_map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (c.len() >= 2).then(|| {
                (
                    c[1].to_string(),
                    c.get(3).copied().unwrap_or("").to_string(),
                )
            })
        })
        .collect();
    let facts: Vec<_> = rows.iter().map(|(_, h)| signals_from_json(h)).collect();
    let classifier = Classifier::new();
    let table = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../data/device-models/device-models.tsv"),
    )
    .expect("read data/device-models/device-models.tsv");
    let mut loads = Vec::new();
    let mut models = DeviceModels::default();
    for _ in 0..rounds {
        let t = Instant::now();
        models = DeviceModels::parse(&table).expect("the shipped table parses");
        loads.push(t.elapsed().as_secs_f64());
    }
    let with_table = classifier.clone().with_device_models(models.clone());

    let t = Instant::now();
    let first = classifier.classify(&facts[0].signals(&rows[0].0));
    let cold = t.elapsed();
    black_box(first);

    let woothee = woothee::parser::Parser::new();
    let (mut ours, mut ours_table, mut theirs) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        for (c, times) in [(&classifier, &mut ours), (&with_table, &mut ours_table)] {
            let t = Instant::now();
            let mut phones = 0usize;
            for ((ua, _), f) in rows.iter().zip(&facts) {
                let c = c.classify(&f.signals(ua));
                phones += usize::from(c.device == DeviceClass::Smartphone);
            }
            black_box(phones);
            times.push(t.elapsed().as_secs_f64());
        }

        let t = Instant::now();
        let mut found = 0usize;
        for (ua, _) in &rows {
            found += usize::from(black_box(woothee.parse(ua)).is_some());
        }
        black_box(found);
        theirs.push(t.elapsed().as_secs_f64());
    }
    let n = rows.len() as f64;
    let (o, ot, w) = (median(ours), median(ours_table), median(theirs));
    println!("corpus: {} UAs, {rounds} rounds, medians", rows.len());
    println!(
        "ringmark-classify: {:>6.3} M UA/s  {:>6.3} µs/UA",
        n / o / 1e6,
        o / n * 1e6
    );
    println!(
        "  + device table:  {:>6.3} M UA/s  {:>6.3} µs/UA  ({:.2}x the rules alone)",
        n / ot / 1e6,
        ot / n * 1e6,
        ot / o
    );
    println!(
        "woothee 0.13:      {:>6.3} M UA/s  {:>6.3} µs/UA",
        n / w / 1e6,
        w / n * 1e6
    );
    println!(
        "speed ratio (ours / woothee): {:.2}x; with the device table {:.2}x",
        w / o,
        w / ot
    );
    println!(
        "device table: {} codes parsed in {:.2} ms (median)",
        models.len(),
        median(loads) * 1e3
    );
    println!(
        "first classification (cold, native): {:.1} µs",
        cold.as_secs_f64() * 1e6
    );
}
