//! The `ringmark` binary as a user runs it: the command line itself (version,
//! help, usage errors), `classify` with and without the device-model table,
//! `pool-size`, and `backtest` on hand-written and simulated timelines.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// What a run left behind.
struct Run {
    code: i32,
    out: String,
    err: String,
}

/// Runs `ringmark ARGS` with `stdin`, from the crate root.
fn ringmark(args: &[&str], stdin: &str) -> Run {
    ringmark_bytes(args, stdin.as_bytes())
}

/// [`ringmark`] with raw bytes on stdin (logs are not always UTF-8).
fn ringmark_bytes(args: &[&str], stdin: &[u8]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ringmark"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ringmark");
    // A command that exits before reading (a usage error) closes the pipe: not a failure here.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        out: String::from_utf8(out.stdout).unwrap(),
        err: String::from_utf8(out.stderr).unwrap(),
    }
}

/// A scratch directory for one test, removed by the test when it passes.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ringmark-cli-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn json(line: &str) -> serde_json::Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"))
}

mod command_line {
    use super::*;

    #[test]
    fn version_is_the_crates() {
        let run = ringmark(&["--version"], "");
        assert_eq!(run.code, 0, "{}", run.err);
        assert_eq!(
            run.out.trim(),
            format!("ringmark {}", env!("CARGO_PKG_VERSION"))
        );
    }

    #[test]
    fn help_succeeds_and_lists_every_command() {
        let run = ringmark(&["--help"], "");
        assert_eq!(run.code, 0, "{}", run.err);
        for command in ["classify", "pool-size", "snippet", "backtest", "simulate"] {
            assert!(run.out.contains(command), "{command} missing:\n{}", run.out);
        }
        let run = ringmark(&["backtest", "--help"], "");
        assert_eq!(run.code, 0, "{}", run.err);
        assert!(run.out.contains("--pool <FILE>"), "{}", run.out);
        assert!(run.out.contains("--summary-only"), "{}", run.out);
    }

    #[test]
    fn usage_errors_exit_2() {
        let run = ringmark(&["classify", "--no-such-option", "x"], "");
        assert_eq!(run.code, 2);
        assert!(run.err.contains("--no-such-option"), "{}", run.err);
        let run = ringmark(&["pool-size"], "");
        assert_eq!(run.code, 2);
        assert!(run.err.contains("--recipients"), "{}", run.err);
        let run = ringmark(&[], "");
        assert_eq!(run.code, 2, "no command at all");
        let run = ringmark(&["no-such-command"], "");
        assert_eq!(run.code, 2);
    }

    #[test]
    fn a_bad_choice_lists_the_choices() {
        let base = ["snippet", "--base-url", "https://t.example.com"];
        let run = ringmark(
            &[
                &base[..],
                &["--fallback", "+14155550100", "--platform", "gmail"],
            ]
            .concat(),
            "",
        );
        assert_eq!(run.code, 2);
        assert!(
            run.err
                .contains("mailchimp, sendgrid, klaviyo, hubspot, braze, plain"),
            "{}",
            run.err
        );
        let run = ringmark(
            &[
                &base[..],
                &["--fallback", "+14155550100", "--format", "e164"],
            ]
            .concat(),
            "",
        );
        assert_eq!(run.code, 2);
        assert!(run.err.contains("national"), "{}", run.err);
        let run = ringmark(&[&base[..], &["--fallback", "4155550100"]].concat(), "");
        assert_eq!(run.code, 2, "a fallback that is not E.164");
    }
}

mod classify {
    use super::*;

    /// A white-label tablet whose Chrome says `Mobile`: a phone to the rules, a tablet to the table.
    const TABLET: &str = "Mozilla/5.0 (Linux; Android 10; Sencor_Element 9.7V2) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36";

    fn classify(args: &[&str], stdin: &str) -> Run {
        ringmark(&[&["classify"], args].concat(), stdin)
    }

    fn device(json_line: &str) -> String {
        json(json_line)["device"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn a_line_of_broken_bytes_is_repaired_and_every_line_answered() {
        let mut log = b"curl/8.0\n\xff\xfe broken\n\n".to_vec();
        log.extend_from_slice(format!("{TABLET}\n").as_bytes());
        let run = ringmark_bytes(&["classify"], &log);
        assert_eq!(run.code, 0, "{}", run.err);
        let lines: Vec<&str> = run.out.lines().collect();
        assert_eq!(lines.len(), 4, "{}", run.out);
        assert_eq!(json(lines[2])["skipped"], "empty line");
        assert_eq!(
            device(lines[3]),
            "smartphone",
            "the line after them is classified"
        );
        assert!(run.err.contains("line 2: invalid UTF-8"), "{}", run.err);
        assert!(run.err.contains("line 3: skipped"), "{}", run.err);
    }

    #[test]
    fn classify_reads_the_device_model_table() {
        let run = classify(&[], &format!("{TABLET}\n"));
        assert_eq!(
            (run.code, device(run.out.trim())),
            (0, "smartphone".into()),
            "rules alone"
        );
        let table = ["--device-models", "data/device-models/device-models.tsv"];
        let run = classify(&table, &format!("{TABLET}\n"));
        assert_eq!(
            (run.code, device(run.out.trim())),
            (0, "tablet".into()),
            "with the table"
        );
    }

    #[test]
    fn a_bad_table_is_an_error_naming_the_line() {
        let dir = scratch("bad-table");
        let bad = dir.join("models.tsv");
        std::fs::write(&bad, "acme qx-700\ttablet\nacme qx-800 tablet\n").unwrap();
        let run = classify(&["--device-models", bad.to_str().unwrap()], "");
        assert_eq!(run.code, 1);
        assert!(
            run.out.is_empty(),
            "nothing classified with a half-read table"
        );
        assert!(
            run.err
                .contains("device models, line 2: expected <model code><TAB><class>"),
            "{}",
            run.err
        );
        let run = classify(&["--device-models", "no/such/file.tsv"], "");
        assert_eq!(run.code, 1);
        assert!(run.err.contains("no/such/file.tsv"), "{}", run.err);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

mod pool_size {
    use super::*;

    #[test]
    fn says_what_to_do_in_sentences() {
        let run = ringmark(
            &[
                "pool-size",
                "--recipients",
                "100000",
                "--send-spread-hours",
                "24",
                "--pool-size",
                "2000",
            ],
            "",
        );
        assert_eq!(run.code, 0, "{}", run.err);
        assert!(run.out.contains("100,000 recipients"), "{}", run.out);
        assert!(run.out.contains("With your 2,000 numbers:"), "{}", run.out);
        assert!(
            run.out.contains("of calls to go to the right recipient:"),
            "{}",
            run.out
        );
        assert!(
            !run.out.contains('{'),
            "no JSON without --json: {}",
            run.out
        );
    }

    #[test]
    fn recommends_a_size_as_json() {
        let run = ringmark(&["pool-size", "--json", "--recipients", "100000"], "");
        assert_eq!(run.code, 0, "{}", run.err);
        let report = json(&run.out);
        assert!(
            report["recommended_size"].as_u64().is_some_and(|n| n > 0),
            "{}",
            run.out
        );
    }

    #[test]
    fn every_option_reaches_the_model() {
        let size = |extra: &[&str]| {
            let run = ringmark(
                &[&["pool-size", "--json", "--recipients", "100000"], extra].concat(),
                "",
            );
            assert_eq!(run.code, 0, "{}", run.err);
            json(&run.out)["recommended_size"].as_u64().unwrap()
        };
        let base = size(&[]);
        assert!(size(&["--human-open-rate", "0.4"]) > base);
        assert!(size(&["--lease-seconds", "3600"]) < base);
        let run = ringmark(
            &[
                "pool-size",
                "--json",
                "--recipients",
                "100000",
                "--pool-size",
                "500",
            ],
            "",
        );
        assert_eq!(json(&run.out)["pool_size"], 500, "{}", run.out);
    }
}

mod snippet {
    use super::*;

    fn image_box(html: &str) -> String {
        // The number image is the first <img>; its width and height are the box.
        let img = &html[html.find("<img").expect("an img")..];
        let w = img
            .split("width=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let h = img
            .split("height=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        format!("{w}x{h}")
    }

    #[test]
    fn the_style_sets_the_image_box() {
        let base = [
            "snippet",
            "--base-url",
            "https://t.example.com",
            "--fallback",
            "+14155550100",
        ];
        let plain = ringmark(&base, "");
        let labelled = ringmark(
            &[&base[..], &["--style", r#"{"label": "Call us"}"#]].concat(),
            "",
        );
        assert_eq!(
            (plain.code, labelled.code),
            (0, 0),
            "{}{}",
            plain.err,
            labelled.err
        );
        assert_ne!(
            image_box(&plain.out),
            image_box(&labelled.out),
            "a label widens the box"
        );
        let bad = ringmark(&[&base[..], &["--style", r#"{"font_px": 3}"#]].concat(), "");
        assert_eq!(bad.code, 1);
        assert!(bad.err.contains("--style"), "{}", bad.err);
    }
}

mod backtest {
    use super::*;

    /// Two NANP numbers, a fallback, one-hour leases.
    const POOL: &str = r#"{"numbers": ["+14155550101", "+14155550102"], "fallback": "+14155550100", "lease_seconds": 3600}"#;

    /// Ann opens as a person, then calls the number she was shown.
    const TIMELINE: &str = concat!(
        r#"{"at": 1000, "kind": "open", "recipient": "ann", "campaign": "c", "signal": "human"}"#,
        "\n",
        r#"{"at": 1600, "kind": "call", "recipient": "ann", "from": "+12125550123"}"#,
        "\n",
    );

    /// Writes the pool file into a scratch directory; returns (directory, pool path).
    fn pool_file(test: &str) -> (PathBuf, String) {
        let dir = scratch(test);
        let path = dir.join("pool.json");
        std::fs::write(&path, POOL).unwrap();
        let path = path.to_str().unwrap().to_owned();
        (dir, path)
    }

    #[test]
    fn scores_each_call_then_summarises() {
        let (dir, pool) = pool_file("scores");
        let run = ringmark(&["backtest", "--pool", &pool], TIMELINE);
        assert_eq!(run.code, 0, "{}", run.err);
        let lines: Vec<_> = run.out.lines().map(json).collect();
        assert_eq!(lines.len(), 2, "{}", run.out);
        assert_eq!(lines[0]["top"], "ann", "{}", run.out);
        assert_eq!(lines[0]["correct"], true, "{}", run.out);
        assert_eq!(lines[1]["summary"]["calls"], 1, "{}", run.out);
        assert_eq!(lines[1]["summary"]["correct_top"], 1.0, "{}", run.out);

        let run = ringmark(&["backtest", "--pool", &pool, "--summary-only"], TIMELINE);
        assert_eq!(run.code, 0, "{}", run.err);
        let lines: Vec<_> = run.out.lines().map(json).collect();
        assert_eq!(lines.len(), 1, "only the summary: {}", run.out);
        assert_eq!(lines[0]["summary"]["calls"], 1, "{}", run.out);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_line_that_is_not_json_fails_naming_it() {
        let (dir, pool) = pool_file("not-json");
        let timeline = format!("{}\nnot json\n", TIMELINE.lines().next().unwrap());
        let run = ringmark(&["backtest", "--pool", &pool], &timeline);
        assert_eq!(run.code, 1);
        assert!(
            run.err.starts_with("ringmark backtest: ") && run.err.contains("line 2"),
            "{}",
            run.err
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_pool_file_fails_naming_it() {
        let run = ringmark(&["backtest", "--pool", "no/such/pool.json"], TIMELINE);
        assert_eq!(run.code, 1);
        assert!(run.err.contains("no/such/pool.json"), "{}", run.err);
    }

    /// `simulate --seed 1` into `backtest`. A small send (`--model`): the default one, 100 000
    /// recipients, takes half a minute in a debug build.
    #[test]
    fn a_simulated_send_backtests_end_to_end() {
        let (dir, pool) = pool_file("simulated");
        let model = dir.join("model.json");
        std::fs::write(&model, r#"{"recipients": 5000}"#).unwrap();
        let simulate = [
            "simulate",
            "--model",
            model.to_str().unwrap(),
            "--seed",
            "1",
        ];
        let simulated = ringmark(&simulate, "");
        assert_eq!(simulated.code, 0, "{}", simulated.err);
        assert_eq!(
            ringmark(&simulate, "").out,
            simulated.out,
            "the same seed, the same send"
        );
        let run = ringmark(
            &["backtest", "--pool", &pool, "--summary-only"],
            &simulated.out,
        );
        assert_eq!(run.code, 0, "{}", run.err);
        let summary = json(run.out.trim());
        assert_eq!(
            summary["summary"]["events"],
            simulated
                .out
                .lines()
                .filter(|l| !l.trim().is_empty())
                .count(),
            "every simulated line is an event: {}",
            run.out
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
