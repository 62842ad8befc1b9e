//! `ringmark::backtest` on simulated sends: the truth only picks the number dialled, the
//! default shared tail attributes far more calls than the old fallback policy at the same
//! pool size, and stated confidence matches observed accuracy in aggregate. The event-less
//! entry points the backtest drives the pool through agree with the ones the Worker uses.

use std::collections::HashMap;

use ringmark::backtest::simulate::{SendModel, pool_body, write_timeline};
use ringmark::backtest::{Summary, run};
use ringmark::pool::{Call, Discard, Exhaustion, Holder, Pool, PoolConfig, Signal};
use serde_json::{Value, json};

/// A tenth of the issue's send (10,000 recipients) with a tenth of its pool.
fn send() -> SendModel {
    SendModel {
        recipients: 10_000,
        ..SendModel::default()
    }
}

fn timeline(model: &SendModel, seed: u64) -> Vec<u8> {
    let mut out = Vec::new();
    write_timeline(model, seed, &mut out).unwrap();
    out
}

fn backtest(numbers: u32, settings: serde_json::Value, timeline: &[u8]) -> (Summary, String) {
    let mut out = Vec::new();
    let summary = run(&pool_body(numbers, &settings), timeline, &mut out).unwrap();
    (summary, String::from_utf8(out).unwrap())
}

#[test]
fn the_truth_only_chooses_the_number_dialled() {
    // Two recipients are shown the same number in turn; a call to it is attributed the same
    // whoever the timeline says placed it.
    let pool = pool_body(1, &json!({"lease_seconds": 3600}));
    let lines = |caller: &str| {
        let opens = concat!(
            r#"{"at": 1000, "kind": "open", "recipient": "ann", "campaign": "c", "signal": "human"}"#,
            "\n",
            r#"{"at": 9000, "kind": "open", "recipient": "bob", "campaign": "c", "signal": "human"}"#,
            "\n",
        );
        format!(r#"{opens}{{"at": 9600, "kind": "call", "recipient": "{caller}"}}"#)
    };
    let attributed = |caller: &str| {
        let mut out = Vec::new();
        let s = run(&pool, lines(caller).as_bytes(), &mut out).unwrap();
        let line: serde_json::Value =
            serde_json::from_str(String::from_utf8(out).unwrap().lines().next().unwrap()).unwrap();
        (
            s.counts.correct_top,
            line["top"].clone(),
            line["confidence"].clone(),
        )
    };
    let (bob_right, bob_top, bob_conf) = attributed("bob");
    let (ann_right, ann_top, ann_conf) = attributed("ann");
    assert_eq!((bob_top.clone(), bob_conf.clone()), (ann_top, ann_conf));
    assert_eq!(bob_top, "bob");
    assert_eq!((bob_right, ann_right), (1, 0));
}

#[test]
fn the_same_timeline_gives_the_same_bytes() {
    let t = timeline(&send(), 3);
    let (_, a) = backtest(200, json!({"lease_seconds": 7200}), &t);
    let (_, b) = backtest(200, json!({"lease_seconds": 7200}), &t);
    assert_eq!(a, b);
    assert!(a.lines().last().unwrap().starts_with(r#"{"summary":"#));
}

#[test]
fn the_shared_tail_attributes_far_more_calls_than_the_fallback_policy() {
    let t = timeline(&send(), 1);
    let (shared, _) = backtest(200, json!({"lease_seconds": 7200}), &t);
    let (fallback, _) = backtest(
        200,
        json!({"lease_seconds": 7200, "exhaustion": "fallback"}),
        &t,
    );
    assert!(shared.calls > 40, "{shared:?}");
    assert!(shared.correct_top > 0.6, "{shared:?}");
    assert!(
        shared.correct_top > 2.5 * fallback.correct_top,
        "shared {} vs fallback {}",
        shared.correct_top,
        fallback.correct_top
    );
    assert!(shared.dialled_fallback < 0.05 && fallback.dialled_fallback > 0.5);
}

#[test]
fn stated_confidence_matches_observed_accuracy_in_aggregate() {
    // Pooled over seeds: the mean stated confidence is close to the share attributed
    // correctly, and the confident calls are right at about the rate they claim.
    let (mut calls, mut correct, mut stated) = (0u64, 0u64, 0.0f64);
    let (mut high, mut high_right, mut high_stated) = (0u64, 0u64, 0.0f64);
    for seed in 1..=4 {
        let (s, _) = backtest(
            200,
            json!({"lease_seconds": 7200}),
            &timeline(&send(), seed),
        );
        calls += s.calls;
        correct += s.counts.correct_top;
        for d in &s.deciles {
            stated += d.mean_confidence.unwrap_or(0.0) * d.calls as f64;
            if d.from >= 0.8 {
                high += d.calls;
                high_right += d.correct;
                high_stated += d.mean_confidence.unwrap_or(0.0) * d.calls as f64;
            }
        }
    }
    let accuracy = correct as f64 / calls as f64;
    let mean = stated / calls as f64;
    assert!(
        (accuracy - mean).abs() < 0.08,
        "accuracy {accuracy:.3}, stated {mean:.3}"
    );
    let (acc_high, mean_high) = (high_right as f64 / high as f64, high_stated / high as f64);
    assert!(
        (acc_high - mean_high).abs() < 0.06,
        "confident calls: accuracy {acc_high:.3}, stated {mean_high:.3} over {high}"
    );
}

#[test]
fn the_event_less_path_allocates_and_attributes_as_the_event_path_does() {
    // A simulated send replayed through two pools side by side, on a pool small enough to
    // exhaust under every policy: one driven by `open`/`record_call` (events returned, as the
    // Worker drives it), one by `open_into`/`record_call_into` with `Discard` (as `run` drives
    // it). Every allocation, every attribution and the final state agree. The lines are read
    // as plain JSON values, independently of the backtest's own line reader.
    let t = timeline(&send(), 2);
    let lines: Vec<Value> = t
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    let numbers: Vec<String> = (0..120)
        .map(|i| format!("+1415{}", 2_000_000 + i))
        .collect();
    for exhaustion in [
        Exhaustion::SharedTail,
        Exhaustion::Fallback,
        Exhaustion::StealOldestTail,
        Exhaustion::Overflow {
            number: "+16505550199".into(),
        },
        Exhaustion::Share { max_holders: 3 },
    ] {
        let mut config = PoolConfig::new(numbers.clone(), "+16505550100", 7_200);
        config.exhaustion = exhaustion.clone();
        let start = lines[0]["at"].as_i64().unwrap();
        let (mut loud, _) = Pool::new(config.clone(), start).unwrap();
        let (mut quiet, _) = Pool::new(config, start).unwrap();
        let mut shown: HashMap<String, String> = HashMap::new();
        let (mut events, mut calls) = (0usize, 0usize);
        for line in &lines {
            let at = line["at"].as_i64().unwrap();
            let recipient = line["recipient"].as_str().unwrap();
            if line["kind"] == "open" {
                let holder = Holder::new(line["campaign"].as_str().unwrap(), recipient);
                let signal: Signal = serde_json::from_value(line["signal"].clone()).unwrap();
                let device = line["device"].as_str().unwrap_or("unknown");
                let (a, e) = loud.open(&holder, signal, device, at);
                let b = quiet.open_into(&holder, signal, device, at, &mut Discard);
                assert_eq!(a, b, "{exhaustion:?}: {line}");
                events += e.len();
                if signal != Signal::Machine {
                    shown.insert(recipient.to_owned(), a.number);
                }
            } else {
                let call = Call {
                    to: shown
                        .get(recipient)
                        .cloned()
                        .unwrap_or_else(|| "+16505550100".into()),
                    from: line["from"].as_str().map(str::to_owned),
                    at,
                    duration: None,
                };
                let (a, e) = loud.record_call(call.clone(), at);
                let b = quiet.record_call_into(call, at, &mut Discard);
                assert_eq!(a, b, "{exhaustion:?}: {line}");
                events += e.len();
                calls += 1;
            }
        }
        assert!(
            calls > 40 && events > lines.len(),
            "{calls} calls, {events} events"
        );
        assert_eq!(
            serde_json::to_value(&loud).unwrap(),
            serde_json::to_value(&quiet).unwrap(),
            "{exhaustion:?}"
        );
        assert_eq!(loud.exhaustion_counts(), quiet.exhaustion_counts());
        assert!(
            quiet.exhaustion_counts() != Default::default(),
            "{exhaustion:?} never exhausted"
        );
    }
}
