//! Conformance report: measures the classifier on the shared labelled corpora.
//!
//! ```text
//! cargo run -p ringmark-classify --release --example conformance -- [CORPUS_DIR] [--errors N] [--split]
//!     [--errors-half A|B] [--device-models FILE | --no-device-models]
//! ```
//! The classifier measured is the one the Worker runs: the rules plus the device-model table
//! (`data/device-models/device-models.tsv` unless `--device-models` names another, or `--no-device-models`).
//! With a table, the report ends with the targets of the rules alone beside it.
//! Two device-class corpora are measured: `ua-dev.tsv` (Matomo's fixtures, uap-core, woothee: the sources the
//! rules and the table were written from) and `yauaa-dev.tsv` (yauaa's test cases, a source they were not built
//! on). Each reports accuracy, per-class recall and precision, and the opener decision: **people called
//! machines** (rows not labelled `bot` that the classifier calls a machine: such a reader gets the fallback
//! number, so their call cannot be attributed) and **machines called people** (rows labelled `bot` called a
//! person: each can take a number).
//! `--split` also reports the two halves of each corpus split by a hash of the UA (a generalisation self-check).
//! `--errors-half A` (implies `--split`) prints error examples only for that half, so rules can be written from
//! one half's errors and confirmed on the other half unseen.
//! `CORPUS_DIR` defaults to `../shared/corpus` relative to the repository root. `--errors N` also prints up to N
//! example UAs per confusion cell (for reading error *groups*, not for tuning line by line).
//!
//! Label mappings (documented here because the report's figures depend on them):
//! * **ua-dev:** the predicted class is `device`, except that a machine opener whose device is `unknown` (a mail
//!   image proxy) counts as `bot`, because the corpus labels mail proxies (Matomo `bots.yml`) as bots. `unknown`
//!   predictions are their own column and always count as errors.
//! * **yauaa-dev:** as ua-dev, and a machine opener of class `other` (a bare HTTP library such as `curl/8.0`, by
//!   this crate's definition a machine but not a self-identified agent) also counts as `bot`, because yauaa
//!   files libraries under robots. Where a yauaa label contradicts this crate's documented definitions (a
//!   headless browser is a machine), the figure keeps the label and bench/classify/RESULTS.md lists the rows.
//! * **email-dev `client`:** the corpus names are descriptive; [`normalise_client`] maps each to this crate's
//!   label (e.g. "Gmail (GoogleImageProxy)" → "Gmail", "Outlook for iOS" → "Outlook", "Spark (Readdle) desktop"
//!   → "Spark"). `proxy = yes` must equal `machine`. `device_class = unknown` means nothing about the device
//!   survives, so it is shown but not scored.
//! * **woothee (plain mapping, device-detection.md §4):** pc → desktop, smartphone → smartphone, mobilephone →
//!   featurephone, crawler → bot, appliance → tv if os is DigitalTV else console, anything else → other.

use ringmark_classify::{Classification, Classifier, DeviceModels, IpRanges, signals_from_json};
use std::collections::BTreeMap;
use std::path::PathBuf;

const CLASSES: &[&str] = &[
    "smartphone",
    "tablet",
    "desktop",
    "featurephone",
    "bot",
    "tv",
    "console",
    "other",
    "unknown",
];

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('\\') => out.push('\\'),
                Some(o) => {
                    out.push('\\');
                    out.push(o)
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Corpus client name → this crate's client label.
fn normalise_client(corpus: &str) -> String {
    const TABLE: &[(&str, &str)] = &[
        ("Gmail", "Gmail"),
        ("Yahoo", "Yahoo Mail"),
        ("Rambler", "Rambler Mail"),
        ("UkrNet", "UkrNet Mail"),
        ("Seznam", "Seznam Email"),
        ("Outlook Express", "Outlook Express"),
        ("Outlook", "Outlook"), // Outlook for Windows/Mac/iOS, Outlook mobile, Outlook.com
        ("Apple Mail", "Apple Mail"),
        ("Spark", "Spark"),
        ("Zoho Mail", "Zoho Mail"),
        ("NAVER Mail", "NAVER Mail"),
        ("Superhuman", "Superhuman"),
        ("WEB.DE", "WEB.DE"),
        ("GMX", "GMX"),
    ];
    if let Some((_, label)) = TABLE.iter().find(|(p, _)| corpus.starts_with(p)) {
        return label.to_string();
    }
    // Otherwise the name before any parenthesised qualifier: "Samsung Email (Android)" → "Samsung Email".
    corpus
        .split(" (")
        .next()
        .unwrap_or(corpus)
        .trim()
        .to_string()
}

fn woothee_class(ua: &str) -> &'static str {
    match woothee::parser::Parser::new().parse(ua) {
        Some(r) => match r.category {
            "pc" => "desktop",
            "smartphone" => "smartphone",
            "mobilephone" => "featurephone",
            "crawler" => "bot",
            "appliance" if r.os == "DigitalTV" => "tv",
            "appliance" => "console",
            _ => "other",
        },
        None => "other",
    }
}

/// Which half of the `--split` self-check a UA falls in: the low bit of its FNV-1a hash. Tune on one half,
/// confirm on the other; a rule that only fits individual strings shows up as a gap between the halves.
fn split_half(ua: &str) -> u8 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in ua.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h & 1) as u8
}

/// The figures of one classifier over a corpus's rows (all, or one split half).
#[derive(Default)]
struct Measure {
    confusion: BTreeMap<(&'static str, &'static str), usize>,
    examples: BTreeMap<(&'static str, &'static str), Vec<String>>,
    woothee: BTreeMap<(&'static str, &'static str), usize>,
    /// (truth, prediction) of every row, in corpus order (to compare two classifiers row by row).
    rows: Vec<(&'static str, &'static str)>,
    /// Rows, and rows not from Matomo's fixtures; right answers of each, and woothee's right answers.
    n: usize,
    n_nm: usize,
    ok: usize,
    ok_nm: usize,
    ok_woothee: usize,
    /// The opener decision: rows labelled as a person's device and how many of them were called machines;
    /// rows labelled `bot` and how many were called people; desktops, and desktops called machines.
    people: usize,
    people_machine: usize,
    bots: usize,
    bots_person: usize,
    desktops: usize,
    desktops_machine: usize,
}

impl Measure {
    fn cell(&self, t: &str, p: &str) -> usize {
        self.confusion.get(&(t, p)).copied().unwrap_or(0)
    }
    /// (recall, support)
    fn recall(&self, c: &str) -> (f64, usize) {
        let s: usize = CLASSES.iter().map(|p| self.cell(c, p)).sum();
        (self.cell(c, c) as f64 / s.max(1) as f64, s)
    }
    /// (precision, predicted)
    fn precision(&self, c: &str) -> (f64, usize) {
        let s: usize = CLASSES.iter().map(|t| self.cell(t, c)).sum();
        (self.cell(c, c) as f64 / s.max(1) as f64, s)
    }
    fn accuracy(&self) -> f64 {
        self.ok as f64 / self.n.max(1) as f64
    }
    fn accuracy_nm(&self) -> f64 {
        self.ok_nm as f64 / self.n_nm.max(1) as f64
    }
    /// Share of people's requests called machines: each takes the fallback number instead of its own.
    fn people_called_machines(&self) -> f64 {
        self.people_machine as f64 / self.people.max(1) as f64
    }
    /// Share of machines' requests called people: each can take a number no one will call.
    fn machines_called_people(&self) -> f64 {
        self.bots_person as f64 / self.bots.max(1) as f64
    }
    /// The issue's targets for `corpus`: (name, measured, threshold, at least (`true`) or at most).
    fn targets(&self, corpus: Corpus) -> Vec<Target> {
        let at_least = |name, got, want| Target {
            name,
            got,
            want,
            at_least: true,
        };
        let at_most = |name, got, want| Target {
            name,
            got,
            want,
            at_least: false,
        };
        match corpus {
            Corpus::UaDev => vec![
                at_least("accuracy overall >= 0.98", self.accuracy(), 0.98),
                at_least("accuracy non-matomo >= 0.90", self.accuracy_nm(), 0.90),
                at_least("tablet recall >= 0.95", self.recall("tablet").0, 0.95),
                at_least("tablet precision >= 0.95", self.precision("tablet").0, 0.95),
                at_least(
                    "smartphone precision >= 0.98",
                    self.precision("smartphone").0,
                    0.98,
                ),
                at_least("tv recall >= 0.90", self.recall("tv").0, 0.90),
                at_least("bot recall >= 0.90", self.recall("bot").0, 0.90),
            ],
            Corpus::Yauaa => vec![
                at_least("accuracy overall >= 0.96", self.accuracy(), 0.96),
                at_most(
                    "people called machines <= 0.015",
                    self.people_called_machines(),
                    0.015,
                ),
                at_most(
                    "machines called people <= 0.04",
                    self.machines_called_people(),
                    0.04,
                ),
                at_least(
                    "smartphone precision >= 0.98",
                    self.precision("smartphone").0,
                    0.98,
                ),
                at_least("tablet recall >= 0.90", self.recall("tablet").0, 0.90),
            ],
        }
    }
}

/// One target of the report.
struct Target {
    name: &'static str,
    got: f64,
    want: f64,
    at_least: bool,
}

impl Target {
    fn met(&self) -> bool {
        if self.at_least {
            self.got >= self.want
        } else {
            self.got <= self.want
        }
    }
}

/// The labelled device-class corpora (same columns; see the label mappings in the module docs).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Corpus {
    /// `ua-dev.tsv`: Matomo fixtures, uap-core and woothee test sets.
    UaDev,
    /// `yauaa-dev.tsv`: yauaa's test cases, a source the rules were not written from.
    Yauaa,
}

impl Corpus {
    fn file(self) -> &'static str {
        match self {
            Corpus::UaDev => "ua-dev.tsv",
            Corpus::Yauaa => "yauaa-dev.tsv",
        }
    }
}

/// Classifies a corpus's rows (all, or one split half), keeping up to `show_errors` examples per error cell.
fn measure(
    corpus: Corpus,
    text: &str,
    classifier: &Classifier,
    half: Option<u8>,
    show_errors: usize,
) -> Measure {
    let mut m = Measure::default();
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 3 {
            continue;
        }
        if half.is_some_and(|h| split_half(cols[1]) != h) {
            continue;
        }
        let truth = CLASSES
            .iter()
            .copied()
            .find(|c| *c == cols[0])
            .unwrap_or("other");
        let ua = unescape(cols[1]);
        let facts = signals_from_json(cols.get(3).copied().unwrap_or(""));
        let c = classifier.classify(&facts.signals(&ua));
        let pred = predicted_class(corpus, &c);
        let pred = CLASSES
            .iter()
            .copied()
            .find(|x| *x == pred)
            .unwrap_or("unknown");
        *m.confusion.entry((truth, pred)).or_default() += 1;
        m.rows.push((truth, pred));
        if truth != pred && show_errors > 0 {
            let e = m.examples.entry((truth, pred)).or_default();
            if e.len() < show_errors {
                e.push(format!("{ua}  {}", cols.get(3).copied().unwrap_or("")));
            }
        }
        m.n += 1;
        m.ok += usize::from(truth == pred);
        if truth == "bot" {
            m.bots += 1;
            m.bots_person += usize::from(!c.machine);
        } else {
            m.people += 1;
            m.people_machine += usize::from(c.machine);
        }
        if truth == "desktop" {
            m.desktops += 1;
            m.desktops_machine += usize::from(c.machine);
        }
        if !cols[2].starts_with("matomo") {
            m.n_nm += 1;
            m.ok_nm += usize::from(truth == pred);
        }
        let w = woothee_class(&ua);
        *m.woothee.entry((truth, w)).or_default() += 1;
        m.ok_woothee += usize::from(w == truth);
    }
    m
}

/// The class a prediction counts as, for `corpus` (see the label mappings in the module docs).
fn predicted_class(corpus: Corpus, c: &Classification) -> &'static str {
    use ringmark_classify::DeviceClass::{Other, Unknown};
    let bot = match corpus {
        // Matomo files mail image proxies under bots.
        Corpus::UaDev => c.machine && c.device == Unknown,
        // yauaa files bare HTTP libraries (`other` machines here) under robots too.
        Corpus::Yauaa => c.machine && matches!(c.device, Unknown | Other),
    };
    if bot { "bot" } else { c.device.as_str() }
}

/// Prints one measure (table, confusion, targets, error examples); returns whether every target was met.
fn print_report(corpus: Corpus, m: &Measure, title: &str) -> bool {
    println!("== {}, {title} ({} rows)\n", corpus.file(), m.n);
    println!(
        "{:<13} {:>7} {:>8} {:>9} {:>9}",
        "class", "support", "recall", "predicted", "precision"
    );
    for c in CLASSES {
        let (r, s) = m.recall(c);
        let (p, ps) = m.precision(c);
        println!("{c:<13} {s:>7} {r:>8.4} {ps:>9} {p:>9.4}");
    }
    println!("\nconfusion (rows truth, columns prediction):");
    print!("{:<13}", "truth\\pred");
    for p in CLASSES {
        print!("{:>9}", &p[..p.len().min(8)]);
    }
    println!();
    for t in CLASSES.iter().take(8) {
        print!("{t:<13}");
        for p in CLASSES {
            print!("{:>9}", m.cell(t, p));
        }
        println!();
    }
    let acc_w = m.ok_woothee as f64 / m.n.max(1) as f64;
    if corpus == Corpus::UaDev {
        println!(
            "\naccuracy: {:.4} overall ({}/{}); {:.4} on non-matomo rows ({}/{})",
            m.accuracy(),
            m.ok,
            m.n,
            m.accuracy_nm(),
            m.ok_nm,
            m.n_nm
        );
    } else {
        println!("\naccuracy: {:.4} ({}/{})", m.accuracy(), m.ok, m.n);
    }
    println!(
        "opener: people called machines {:.4} ({}/{}; desktops {}/{}); machines called people {:.4} ({}/{})",
        m.people_called_machines(),
        m.people_machine,
        m.people,
        m.desktops_machine,
        m.desktops,
        m.machines_called_people(),
        m.bots_person,
        m.bots
    );
    println!(
        "woothee 0.13 plain mapping, same rows: {acc_w:.4} ({}/{})",
        m.ok_woothee, m.n
    );
    let wcell = |t: &str, p: &str| m.woothee.get(&(t, p)).copied().unwrap_or(0);
    println!(
        "woothee recall: tablet {}/{}, tv {}/{}, bot {}/{}",
        wcell("tablet", "tablet"),
        m.recall("tablet").1,
        wcell("tv", "tv"),
        m.recall("tv").1,
        wcell("bot", "bot"),
        m.recall("bot").1
    );

    let mut all_met = true;
    println!("\ntargets:");
    for t in m.targets(corpus) {
        all_met &= t.met();
        println!(
            "  {:<32} {:.4}  {}",
            t.name,
            t.got,
            if t.met() { "met" } else { "MISSED" }
        );
    }

    if !m.examples.is_empty() {
        println!("\nerror examples:");
        let mut cells: Vec<_> = m.examples.iter().collect();
        cells.sort_by_key(|(k, _)| std::cmp::Reverse(m.cell(k.0, k.1)));
        for ((t, p), uas) in cells {
            println!("-- {t} -> {p} ({})", m.cell(t, p));
            for u in uas {
                println!("   {u}");
            }
        }
    }

    all_met
}

/// The targets side by side: the shipped configuration (rules + device-model table) and the rules alone, so
/// the table's share of each figure is visible; then the rows the table changes, right and wrong.
fn print_comparison(corpus: Corpus, shipped: &Measure, rules: &Measure) {
    println!(
        "\n== {}: rules alone vs rules + device-model table (all rows)\n",
        corpus.file()
    );
    println!("  {:<32} {:>11} {:>13}", "", "rules alone", "rules + table");
    for (alone, with) in rules
        .targets(corpus)
        .into_iter()
        .zip(shipped.targets(corpus))
    {
        println!(
            "  {:<32} {:>11.4} {:>13.4}{}",
            alone.name,
            alone.got,
            with.got,
            if alone.met() {
                ""
            } else {
                "   (missed by the rules alone)"
            }
        );
    }
    let (mut changed, mut righted, mut wronged) = (0, 0, 0);
    for (&(truth, a), &(_, b)) in rules.rows.iter().zip(&shipped.rows) {
        if a != b {
            changed += 1;
            righted += usize::from(b == truth);
            wronged += usize::from(a == truth);
        }
    }
    println!("  the table changes {changed} rows: {righted} become right, {wronged} become wrong.");
    if corpus == Corpus::UaDev {
        println!(
            "  Most corpus labels are Matomo's own, the database the table comes from, so its gain here\n  \
             overstates its gain on real traffic."
        );
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut dir: Option<PathBuf> = None;
    let mut show_errors = 0usize;
    let mut split = false;
    let mut errors_half: Option<u8> = None;
    let mut models_path = Some(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../data/device-models/device-models.tsv"),
    );
    while let Some(a) = args.next() {
        if a == "--device-models" {
            models_path = Some(PathBuf::from(
                args.next().expect("--device-models takes a path"),
            ));
        } else if a == "--no-device-models" {
            models_path = None;
        } else if a == "--split" {
            split = true;
        } else if a == "--errors-half" {
            split = true;
            errors_half = match args.next().as_deref() {
                Some("A" | "a") => Some(0),
                Some("B" | "b") => Some(1),
                other => panic!("--errors-half takes A or B, got {other:?}"),
            };
            if show_errors == 0 {
                show_errors = 5;
            }
        } else if a == "--errors" {
            show_errors = args.next().and_then(|n| n.parse().ok()).unwrap_or(5);
        } else {
            dir = Some(PathBuf::from(a));
        }
    }
    let dir = dir.unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
    });
    let models = match &models_path {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            DeviceModels::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        }
        None => DeviceModels::default(),
    };
    let rules_alone = Classifier::with_ip_ranges(IpRanges::builtin());
    let classifier = rules_alone.clone().with_device_models(models.clone());
    let config = if models.is_empty() {
        "rules alone, no device-model table".to_string()
    } else {
        format!("rules + device-model table of {} codes", models.len())
    };
    println!("classifier: {config}\n");
    let mut all_met = true;

    let whole_errors = if errors_half.is_some() {
        0
    } else {
        show_errors
    };
    for corpus in [Corpus::UaDev, Corpus::Yauaa] {
        let path = dir.join(corpus.file());
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let shipped = measure(corpus, &text, &classifier, None, whole_errors);
        all_met &= print_report(corpus, &shipped, "all rows");
        if split {
            for h in 0..2 {
                println!();
                let errors = if errors_half == Some(h) {
                    show_errors
                } else {
                    0
                };
                let m = measure(corpus, &text, &classifier, Some(h), errors);
                let title = format!("split half {}", ["A", "B"][usize::from(h)]);
                all_met &= print_report(corpus, &m, &title);
            }
        }
        if !models.is_empty() {
            let alone = measure(corpus, &text, &rules_alone, None, 0);
            print_comparison(corpus, &shipped, &alone);
        }
        println!();
    }

    // ---------------- email-dev ----------------
    let text = std::fs::read_to_string(dir.join("email-dev.tsv")).expect("read email-dev.tsv");
    let (mut rows, mut right, mut dev_scored, mut dev_right) = (0, 0, 0, 0);
    let mut wrong = Vec::new();
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 5 {
            continue;
        }
        let (client, proxy, device, ua) = (cols[0], cols[1] == "yes", cols[2], unescape(cols[3]));
        let facts = signals_from_json(cols[4]);
        let c = classifier.classify(&facts.signals(&ua));
        let want = normalise_client(client);
        let client_ok = c.client == Some(want.as_str());
        let proxy_ok = c.machine == proxy;
        rows += 1;
        if client_ok && proxy_ok {
            right += 1;
        } else {
            wrong.push(format!(
                "  corpus client {client:?} (→ {want:?}) proxy={proxy} | got client {:?} machine={} proxy {:?} | {ua}",
                c.client, c.machine, c.proxy
            ));
        }
        if device != "unknown" {
            dev_scored += 1;
            dev_right += usize::from(c.device.as_str() == device);
        }
    }
    let email_met = right == rows;
    all_met &= email_met;
    println!("\n== email-dev.tsv ({rows} rows, IP ranges: built-in)");
    println!(
        "client and proxy/machine flag right: {right}/{rows}  {}",
        if email_met { "met" } else { "MISSED" }
    );
    println!("device class right where the corpus states one: {dev_right}/{dev_scored}");
    if !wrong.is_empty() {
        println!("rows wrong:");
        for w in &wrong {
            println!("{w}");
        }
    }
    println!("\nall targets met: {all_met}");
}
