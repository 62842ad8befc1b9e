//! The `ringmark` binary as a user runs it: `classify` with and without the device-model table.

use std::io::Write;
use std::process::{Command, Stdio};

/// A white-label tablet whose Chrome says `Mobile`: a phone to the rules, a tablet to the table.
const TABLET: &str = "Mozilla/5.0 (Linux; Android 10; Sencor_Element 9.7V2) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36";

/// Runs `ringmark classify ARGS` with `stdin`; returns (exit code, stdout, stderr).
fn classify(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ringmark"))
        .arg("classify")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ringmark");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn device(json_line: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(json_line).expect("a JSON line");
    v["device"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn classify_reads_the_device_model_table() {
    let (code, out, _) = classify(&[], &format!("{TABLET}\n"));
    assert_eq!(
        (code, device(out.trim())),
        (0, "smartphone".into()),
        "rules alone"
    );
    let table = ["--device-models", "data/device-models/device-models.tsv"];
    let (code, out, _) = classify(&table, &format!("{TABLET}\n"));
    assert_eq!(
        (code, device(out.trim())),
        (0, "tablet".into()),
        "with the table"
    );
}

#[test]
fn a_bad_table_is_an_error_naming_the_line() {
    let dir = std::env::temp_dir().join(format!("ringmark-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("models.tsv");
    std::fs::write(&bad, "acme qx-700\ttablet\nacme qx-800 tablet\n").unwrap();
    let (code, out, err) = classify(&["--device-models", bad.to_str().unwrap()], "");
    assert_eq!(code, 1);
    assert!(out.is_empty(), "nothing classified with a half-read table");
    assert!(
        err.contains("device models, line 2: expected <model code><TAB><class>"),
        "{err}"
    );
    let (code, _, err) = classify(&["--device-models", "no/such/file.tsv"], "");
    assert_eq!(code, 1);
    assert!(err.contains("no/such/file.tsv"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
