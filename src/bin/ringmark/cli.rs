//! The command line itself (native only: see `main.rs`).

use clap::{Args, Parser, Subcommand};
use ringmark::backtest::simulate::SendModel;
use ringmark::classify::{Classifier, DeviceModels, IpRanges};
use ringmark::phone::{DisplayFormat, E164};
use ringmark::pool::sizing::SizingInput;
use ringmark::snippet::{Platform, Snippet};
use serde_json::Value;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Per-recipient call-tracking numbers for email opens: the command-line tools.
#[derive(Parser)]
#[command(name = "ringmark", version, arg_required_else_help = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Classify(ClassifyArgs),
    PoolSize(PoolSizeArgs),
    Snippet(SnippetArgs),
    Backtest(BacktestArgs),
    Simulate(SimulateArgs),
}

/// Classify openers as the Worker does.
///
/// Reads User-Agents, one per line, or TSV lines `user_agent<TAB>headers-json`
/// on stdin; writes one JSON object per line; progress on stderr every 10,000
/// lines.
#[derive(Args)]
struct ClassifyArgs {
    /// Proxy IP ranges (the file the Worker loads)
    #[arg(long, value_name = "FILE")]
    ip_ranges: Option<PathBuf>,
    /// A model-code table such as data/device-models/device-models.tsv (what the Worker loads)
    #[arg(long, value_name = "FILE")]
    device_models: Option<PathBuf>,
}

/// Recommend a pool size: a readable summary, or the JSON report with --json.
///
/// Little's law over the email open curve with an Erlang-B margin for exhaustion, and a
/// forecast of how many calls the pool attributes to the right recipient.
#[derive(Args)]
struct PoolSizeArgs {
    /// Print the whole report as JSON (for scripts)
    #[arg(long)]
    json: bool,
    /// Recipients of the send
    #[arg(long, value_name = "N")]
    recipients: u64,
    /// Share of recipients who will open as humans (non-proxy)
    #[arg(long, value_name = "R", default_value_t = SizingInput::new(0).human_open_rate)]
    human_open_rate: f64,
    /// Hours over which the send is spread evenly (0 = blast)
    #[arg(long, value_name = "H", default_value_t = SizingInput::new(0).send_spread_hours)]
    send_spread_hours: f64,
    /// Exclusive lease length, seconds
    #[arg(long, value_name = "S", default_value_t = SizingInput::new(0).lease_seconds)]
    lease_seconds: u32,
    /// Acceptable probability that an opener finds no free number
    #[arg(long, value_name = "P", default_value_t = SizingInput::new(0).target_exhaustion)]
    target_exhaustion: f64,
    /// Window over which tails share a number, seconds
    #[arg(long, value_name = "S", default_value_t = SizingInput::new(0).attribution_window_seconds)]
    attribution_window_seconds: u32,
    /// Current pool size, to report utilisation and blocking against it
    #[arg(long, value_name = "N")]
    pool_size: Option<u32>,
    /// Currently live leases (from the pool's stats), for current utilisation
    #[arg(long, value_name = "N")]
    live_leases: Option<u32>,
    /// Share of calls to attribute to the right recipient, for the attribution-based size
    #[arg(long, value_name = "R", default_value_t = SizingInput::new(0).target_correct)]
    target_correct: f64,
}

/// Print the email HTML for the number image.
///
/// With --tokens (the JSON answer of POST /v1/pools/{pool}/tokens), prints the
/// per-recipient CSV to import into the platform instead.
#[derive(Args)]
struct SnippetArgs {
    /// Where the Worker answers, e.g. https://t.example.com
    #[arg(long, value_name = "URL", required_unless_present = "tokens")]
    base_url: Option<String>,
    /// The static number for the alt text
    #[arg(long, value_name = "+E164", required_unless_present = "tokens", value_parser = E164::parse)]
    fallback: Option<E164>,
    /// Merge-field dialect
    #[arg(long, default_value = "plain",
          value_parser = api_name::<Platform>("mailchimp, sendgrid, klaviyo, hubspot, braze, plain"))]
    platform: Platform,
    /// The alt text's number as displayed [default: the fallback, formatted]
    #[arg(long, value_name = "TEXT")]
    display: Option<String>,
    /// How to format the fallback when --display is not given
    #[arg(long, default_value = "national",
          value_parser = api_name::<DisplayFormat>("national, international"))]
    format: DisplayFormat,
    /// The JSON answer of POST /v1/pools/{pool}/tokens: print the CSV instead
    #[arg(long, value_name = "FILE")]
    tokens: Option<PathBuf>,
    /// The pool's image style as JSON, e.g. '{"label": "Call us", "font_px": 24}': it sets the
    /// image's box, which the HTML must match
    #[arg(long, value_name = "JSON")]
    style: Option<String>,
}

/// A value named as the API names it (the type's serde names), so the command line and the
/// JSON API accept the same words; an unknown one lists them.
fn api_name<T: serde::de::DeserializeOwned>(
    choices: &'static str,
) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static {
    move |name: &str| {
        serde_json::from_value(Value::String(name.to_lowercase()))
            .map_err(|_| format!("'{name}' is not one of: {choices}"))
    }
}

/// Replay a timeline through the Worker's allocator and attribution, and score it.
///
/// Reads the timeline, one JSON object per line sorted by `at`, on stdin:
/// `{"at": 1796000000, "kind": "open", "recipient": "r1", "campaign": "c", "signal": "human"}`
/// or `{"at": 1796003600, "kind": "call", "recipient": "r1", "from": "+12125550123"}`.
/// Writes one JSON line per call, then one `{"summary": …}` line.
#[derive(Args)]
struct BacktestArgs {
    /// The pool configuration: JSON, the body of PUT /v1/pools/{pool}
    #[arg(long, value_name = "FILE")]
    pool: PathBuf,
    /// Print only the summary line
    #[arg(long)]
    summary_only: bool,
}

/// Write a simulated send's timeline (backtest input) to stdout.
#[derive(Args)]
struct SimulateArgs {
    /// The send to simulate, as JSON [default: the built-in model]
    #[arg(long, value_name = "FILE")]
    model: Option<PathBuf>,
    /// Random seed: the same model and seed give the same timeline
    #[arg(long, value_name = "N", default_value_t = 1)]
    seed: u64,
}

pub fn main() -> ExitCode {
    let (name, result) = match Cli::parse().command {
        Command::Classify(a) => ("classify", classify(a)),
        Command::PoolSize(a) => ("pool-size", pool_size(a)),
        Command::Snippet(a) => ("snippet", snippet(a)),
        Command::Backtest(a) => ("backtest", backtest(a)),
        Command::Simulate(a) => ("simulate", simulate(a)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ringmark {name}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn read_text(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn classify(args: ClassifyArgs) -> Result<(), String> {
    let mut classifier = match &args.ip_ranges {
        Some(path) => Classifier::with_ip_ranges(
            IpRanges::parse(&read_text(path)?, None)
                .map_err(|e| format!("{}: {e}", path.display()))?,
        ),
        None => Classifier::new(),
    };
    if let Some(path) = &args.device_models {
        let models = DeviceModels::parse(&read_text(path)?)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        classifier = classifier.with_device_models(models);
    }
    let stdin = io::stdin().lock();
    let stdout = BufWriter::new(io::stdout().lock());
    let mut progress = |n: u64| eprintln!("ringmark classify: {n} lines");
    let (mut repaired, mut skipped) = (0u64, 0u64);
    let mut note = |n: ringmark::classify::LineNote| match n {
        ringmark::classify::LineNote::Repaired { line, why } => {
            repaired += 1;
            eprintln!("ringmark classify: line {line}: {why}");
        }
        ringmark::classify::LineNote::Skipped { line, why } => {
            skipped += 1;
            eprintln!("ringmark classify: line {line}: skipped ({why})");
        }
    };
    let n =
        ringmark::classify::classify_lines(&classifier, stdin, stdout, &mut progress, &mut note)
            .map_err(|e| e.to_string())?;
    if n >= 10_000 || repaired + skipped > 0 {
        eprintln!("ringmark classify: done, {n} lines ({repaired} repaired, {skipped} skipped)");
    }
    Ok(())
}

fn pool_size(args: PoolSizeArgs) -> Result<(), String> {
    let input = SizingInput {
        recipients: args.recipients,
        human_open_rate: args.human_open_rate,
        send_spread_hours: args.send_spread_hours,
        lease_seconds: args.lease_seconds,
        target_exhaustion: args.target_exhaustion,
        attribution_window_seconds: args.attribution_window_seconds,
        pool_size: args.pool_size,
        live_leases: args.live_leases,
        target_correct: args.target_correct,
    };
    let report = ringmark::pool::sizing::recommend(&input);
    if args.json {
        let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        println!("{json}");
    } else {
        print!("{}", summary(&input, &report));
    }
    Ok(())
}

/// A whole number with thousands separators.
fn thousands(n: f64) -> String {
    let digits = format!("{:.0}", n.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Seconds as the largest unit that reads well.
fn duration(seconds: f64) -> String {
    if seconds >= 2.0 * 86_400.0 {
        format!("{:.1} days", seconds / 86_400.0)
    } else if seconds >= 2.0 * 3_600.0 {
        format!("{:.1} hours", seconds / 3_600.0)
    } else {
        format!("{:.0} minutes", seconds / 60.0)
    }
}

fn percent(share: f64) -> String {
    format!("{:.0} %", share * 100.0)
}

/// The pool-size report as sentences an operator acts on.
fn summary(input: &SizingInput, r: &ringmark::pool::sizing::SizingReport) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let spread = if input.send_spread_hours > 0.0 {
        format!("spread over {} hours", input.send_spread_hours)
    } else {
        "sent all at once".to_owned()
    };
    let _ = writeln!(
        out,
        "Send: {} recipients, about {} people opening, {spread}, exclusive leases of {}.",
        thousands(input.recipients as f64),
        thousands(r.openers),
        duration(f64::from(input.lease_seconds)),
    );
    let _ = writeln!(
        out,
        "Leases peak at {} at once, {} after the send starts.",
        thousands(r.peak_concurrent_leases),
        duration(r.peak_at_seconds),
    );
    let _ = writeln!(
        out,
        "For at most {} of openers to find every number leased: {} numbers.",
        percent(input.target_exhaustion),
        thousands(f64::from(r.recommended_size)),
    );
    let a = &r.attribution_at_recommended;
    let _ = writeln!(
        out,
        "  With {} numbers, about {} of calls go to the right recipient ({} confidently).",
        thousands(f64::from(a.numbers)),
        percent(a.correct),
        percent(a.correct_confident),
    );
    if let Some(a) = &r.attribution {
        let _ = writeln!(
            out,
            "With your {} numbers: {} of calls to the right recipient, {} confidently, {} confidently wrong; {} of callers see the fallback number.",
            thousands(f64::from(a.numbers)),
            percent(a.correct),
            percent(a.correct_confident),
            percent(a.confidently_wrong),
            percent(a.dialled_fallback),
        );
    }
    match &r.size_for_target_correct {
        Some(t) => {
            let _ = writeln!(
                out,
                "For {} of calls to go to the right recipient: {} numbers.",
                percent(input.target_correct),
                thousands(f64::from(t.numbers)),
            );
        }
        None => {
            let _ = writeln!(
                out,
                "No pool size attributes {} of calls correctly for this send: spread it over more hours.",
                percent(input.target_correct),
            );
        }
    }
    if let Some(m) = r.max_lease_seconds_for_pool {
        let _ = writeln!(
            out,
            "Your pool holds every opener for at most {} before exclusive leases run out.",
            duration(m),
        );
    }
    out.push_str("(--json prints every figure.)\n");
    out
}

fn snippet(args: SnippetArgs) -> Result<(), String> {
    let platform = args.platform;
    if let Some(path) = &args.tokens {
        let answer: Value = serde_json::from_str(&read_text(path)?)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let rows: Vec<(String, String)> = answer["tokens"]
            .as_array()
            .ok_or_else(|| {
                format!(
                    "{}: no \"tokens\" array (the answer of POST /v1/pools/{{pool}}/tokens)",
                    path.display()
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
    // clap has already refused a command line without them.
    let (Some(base_url), Some(fallback)) = (&args.base_url, &args.fallback) else {
        return Err("--base-url and --fallback are required without --tokens".into());
    };
    let display = args
        .display
        .unwrap_or_else(|| ringmark::phone::display(fallback, args.format));
    let style: ringmark::render::Style = match &args.style {
        Some(json) => serde_json::from_str(json).map_err(|e| format!("--style: {e}"))?,
        None => Default::default(),
    };
    style.validate().map_err(|e| format!("--style: {e}"))?;
    let html = Snippet::new(base_url, platform, &display, &style)
        .map_err(|e| e.to_string())?
        .html();
    io::stdout()
        .write_all(html.as_bytes())
        .map_err(|e| e.to_string())
}

fn backtest(args: BacktestArgs) -> Result<(), String> {
    let pool = read(&args.pool)?;
    let stdin = io::stdin().lock();
    let mut out = BufWriter::new(io::stdout().lock());
    if args.summary_only {
        let summary =
            ringmark::backtest::run(&pool, stdin, io::sink()).map_err(|e| e.to_string())?;
        serde_json::to_writer(&mut out, &serde_json::json!({ "summary": summary }))
            .map_err(|e| e.to_string())?;
        writeln!(out)
            .and_then(|()| out.flush())
            .map_err(|e| e.to_string())
    } else {
        ringmark::backtest::run(&pool, stdin, out)
            .map(drop)
            .map_err(|e| e.to_string())
    }
}

fn simulate(args: SimulateArgs) -> Result<(), String> {
    let model: SendModel = match &args.model {
        Some(path) => {
            serde_json::from_slice(&read(path)?).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => SendModel::default(),
    };
    let mut out = BufWriter::new(io::stdout().lock());
    ringmark::backtest::simulate::write_timeline(&model, args.seed, &mut out)
        .and_then(|_| out.flush())
        .map_err(|e| e.to_string())
}
