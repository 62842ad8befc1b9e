//! Batch mode: lines in, JSON lines out, progress callbacks, headers JSON and `_remote_ip`.

use ringmark_classify::{Classifier, IpRanges, LineNote, classify_lines, signals_from_json};

#[test]
fn classify_lines_writes_one_object_per_line() {
    let input = "Mozilla/5.0\n\ncurl/8.0\nMozilla/5.0 (Linux; Android 14; SM-A546B; wv) AppleWebKit/537.36 Chrome/124 Mobile Safari/537.36\t{\"X-Requested-With\":\"de.gmx.mobile.android.mail\"}\nMozilla/5.0 (Windows NT 10.0; rv:109.0) Gecko/20100101 Firefox/115.0\t{\"_remote_ip\":\"66.102.1.1\"}\n";
    let mut out = Vec::new();
    let mut calls = 0;
    let cl = Classifier::with_ip_ranges(IpRanges::builtin());
    let mut notes = Vec::new();
    let n = classify_lines(
        &cl,
        input.as_bytes(),
        &mut out,
        &mut |_| calls += 1,
        &mut |n| notes.push(n),
    )
    .unwrap();
    assert_eq!(n, 5);
    assert_eq!(calls, 0);
    let mut lines: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5, "one output line per input line");
    assert_eq!(
        lines.remove(1),
        serde_json::json!({"line": 2, "skipped": "empty line"})
    );
    assert_eq!(
        notes,
        [LineNote::Skipped {
            line: 2,
            why: "empty line"
        }]
    );
    assert_eq!(lines[0]["user_agent"], "Mozilla/5.0");
    assert_eq!(lines[0]["line"], 1);
    assert_eq!(lines[0]["opener"], "prefetch");
    assert_eq!(lines[1]["device"], "other", "a bare HTTP library");
    assert_eq!(lines[1]["machine"], true);
    assert_eq!(lines[2]["client"], "GMX");
    assert_eq!(lines[2]["device"], "smartphone");
    assert_eq!(
        lines[3]["client"], "Gmail",
        "the _remote_ip fact reaches the IP ranges"
    );
    assert_eq!(lines[3]["machine"], true);
}

#[test]
fn progress_every_ten_thousand() {
    let input = "curl/8.0\n".repeat(25_000);
    let mut seen = Vec::new();
    let n = classify_lines(
        &Classifier::new(),
        input.as_bytes(),
        std::io::sink(),
        &mut |d| seen.push(d),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(n, 25_000);
    assert_eq!(seen, vec![10_000, 20_000]);
}

#[test]
fn a_broken_line_never_stops_the_batch() {
    // An access log: a UA with bytes that are not UTF-8, a headers column that is not JSON,
    // then a good line. Every line gets its output line and broken ones are reported.
    let mut input =
        b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) Gecko/20100101 Firefox/126.0 \xff\xfe\n"
            .to_vec();
    input.extend_from_slice(b"curl/8.0\t{not json\n");
    input.extend_from_slice(b"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148\n");
    let mut out = Vec::new();
    let mut notes = Vec::new();
    let n = classify_lines(
        &Classifier::new(),
        &input[..],
        &mut out,
        &mut |_| {},
        &mut |n| notes.push(n),
    )
    .unwrap();
    assert_eq!(n, 3);
    let lines: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["device"], "desktop");
    assert!(
        lines[0]["user_agent"]
            .as_str()
            .unwrap()
            .ends_with('\u{fffd}')
    );
    assert_eq!(lines[1]["device"], "other");
    assert_eq!(lines[2]["device"], "smartphone");
    assert!(
        matches!(notes[0], LineNote::Repaired { line: 1, .. }),
        "{notes:?}"
    );
    assert!(
        matches!(notes[1], LineNote::Repaired { line: 2, .. }),
        "{notes:?}"
    );
    assert_eq!(notes.len(), 2);
}

#[test]
fn headers_json_forms() {
    let f = signals_from_json(
        r#"{"mobile":false,"platform":"Android","model":"SM-X200","_remote_ip_owner":"x","n":3}"#,
    );
    let s = f.signals("UA");
    assert_eq!(s.sec_ch_ua_mobile, Some("?0"));
    assert_eq!(s.sec_ch_ua_platform, Some("Android"));
    assert_eq!(s.sec_ch_ua_model, Some("SM-X200"));
    assert_eq!(s.ip, None);
    assert_eq!(signals_from_json("not json"), Default::default());
    assert_eq!(
        signals_from_json(r#"{"_remote_ip":"::1"}"#).ip,
        Some("::1".parse().unwrap())
    );
}
