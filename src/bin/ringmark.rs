//! `ringmark`: the command-line side of the same cores the Worker runs.
//!
//! ```text
//! ringmark classify [--ip-ranges FILE] [--device-models FILE]   User-Agents or TSV (ua<TAB>headers-json) on stdin → JSON lines
//! ringmark pool-size --recipients N [--FIELD VALUE …]   recommend a pool size (JSON)
//! ringmark snippet --base-url URL --fallback +E164 [--platform P] [--display TEXT] [--tokens FILE]
//! ```
//!
//! Arguments are `--name value` pairs; `--name` with dashes or underscores is
//! the same field. Exit status: 0 on success, 2 on a usage error, 1 otherwise.

use ringmark::classify::{Classifier, DeviceModels, IpRanges};
use ringmark::phone::{DisplayFormat, E164};
use ringmark::snippet::{Platform, Snippet};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

const USAGE: &str = "usage:
  ringmark classify [--ip-ranges FILE] [--device-models FILE]
      reads User-Agents, one per line, or TSV lines `user_agent<TAB>headers-json` on stdin;
      writes one JSON object per line; progress on stderr every 10,000 lines.
      --device-models: a model-code table such as data/device-models/device-models.tsv (what the Worker loads)
  ringmark pool-size --recipients N [--human-open-rate R] [--send-spread-hours H] [--lease-seconds S] [...]
      recommends a pool size (Little's law over the email open curve + Erlang-B); prints JSON
  ringmark snippet --base-url URL --fallback +E164 [--platform mailchimp|sendgrid|klaviyo|hubspot|braze|plain]
                   [--display TEXT] [--format national|international] [--tokens FILE]
      prints the email HTML; with --tokens (the JSON answer of POST /v1/pools/{pool}/tokens)
      prints the per-recipient CSV instead";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let options = match options(rest) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("ringmark: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match command.as_str() {
        "classify" => classify(&options),
        "pool-size" => pool_size(&options),
        "snippet" => snippet(&options),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => {
            eprintln!("ringmark: unknown command '{other}'\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ringmark: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `--name value` pairs, names normalised to snake_case.
fn options(args: &[String]) -> Result<BTreeMap<String, String>, String> {
    let mut map = BTreeMap::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let name = arg
            .strip_prefix("--")
            .ok_or_else(|| format!("expected --name, got '{arg}'"))?;
        let value = it.next().ok_or_else(|| format!("--{name} needs a value"))?;
        map.insert(name.replace('-', "_"), value.clone());
    }
    Ok(map)
}

fn classify(options: &BTreeMap<String, String>) -> Result<(), String> {
    let read = |path: &String| std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"));
    let mut classifier = match options.get("ip_ranges") {
        Some(path) => Classifier::with_ip_ranges(
            IpRanges::parse(&read(path)?, None).map_err(|e| format!("{path}: {e}"))?,
        ),
        None => Classifier::new(),
    };
    if let Some(path) = options.get("device_models") {
        let models = DeviceModels::parse(&read(path)?).map_err(|e| format!("{path}: {e}"))?;
        classifier = classifier.with_device_models(models);
    }
    let stdin = io::stdin().lock();
    let stdout = BufWriter::new(io::stdout().lock());
    let mut progress = |n: u64| eprintln!("ringmark classify: {n} lines");
    let n = ringmark::classify::classify_lines(&classifier, stdin, stdout, &mut progress)
        .map_err(|e| e.to_string())?;
    if n >= 10_000 {
        eprintln!("ringmark classify: done, {n} lines");
    }
    Ok(())
}

fn pool_size(options: &BTreeMap<String, String>) -> Result<(), String> {
    let mut input = Map::new();
    for (name, value) in options {
        // Parsed as a JSON number so integers stay integers.
        let number: serde_json::Number = serde_json::from_str(value)
            .map_err(|_| format!("--{name}: '{value}' is not a number"))?;
        input.insert(name.clone(), Value::Number(number));
    }
    let input: ringmark::pool::sizing::SizingInput =
        serde_json::from_value(Value::Object(input)).map_err(|e| format!("pool-size: {e}"))?;
    let report = ringmark::pool::sizing::recommend(&input);
    let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    println!("{json}");
    Ok(())
}

fn snippet(options: &BTreeMap<String, String>) -> Result<(), String> {
    let platform: Platform = match options.get("platform") {
        Some(p) => serde_json::from_value(Value::String(p.to_lowercase()))
            .map_err(|_| format!("--platform: unknown platform '{p}'"))?,
        None => Platform::Plain,
    };
    if let Some(path) = options.get("tokens") {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        let answer: Value = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
        let rows: Vec<(String, String)> = answer["tokens"]
            .as_array()
            .ok_or_else(|| {
                format!(
                    "{path}: no \"tokens\" array (the answer of POST /v1/pools/{{pool}}/tokens)"
                )
            })?
            .iter()
            .map(|t| {
                let field = |k: &str| t[k].as_str().unwrap_or_default().to_owned();
                (field("recipient"), field("token"))
            })
            .collect();
        print!("{}", ringmark::snippet::csv(platform, &rows));
        return Ok(());
    }
    let base_url = options.get("base_url").ok_or("--base-url is required")?;
    let fallback = options.get("fallback").ok_or("--fallback is required")?;
    let fallback = E164::parse(fallback).map_err(|e| format!("--fallback: {e}"))?;
    let format: DisplayFormat = match options.get("format") {
        Some(f) => serde_json::from_value(Value::String(f.clone()))
            .map_err(|_| format!("--format: '{f}' is not national or international"))?,
        None => DisplayFormat::National,
    };
    let display = options
        .get("display")
        .cloned()
        .unwrap_or_else(|| ringmark::phone::display(&fallback, format));
    let (width, height) =
        ringmark::render::display_size(&display, &Default::default()).map_err(|e| e.to_string())?;
    let html = Snippet {
        base_url,
        platform,
        fallback_display: &display,
        width,
        height,
        alt_prefix: "Call",
    }
    .html();
    io::stdout()
        .write_all(html.as_bytes())
        .map_err(|e| e.to_string())
}
