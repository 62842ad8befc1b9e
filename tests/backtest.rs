//! `ringmark::backtest` on simulated sends: the truth only picks the number dialled, the
//! default shared tail attributes far more calls than the old fallback policy at the same
//! pool size, and stated confidence matches observed accuracy in aggregate.

use ringmark::backtest::simulate::{SendModel, pool_body, write_timeline};
use ringmark::backtest::{Summary, run};
use serde_json::json;

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
