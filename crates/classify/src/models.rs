//! Operator-updatable device-model data: Android model codes and the device class each one is.
//!
//! # Why a table
//! 19 % of Android tablets send `Mobile` (their Chrome lays pages out for a phone-sized screen width) and many
//! TV boxes omit it, so for white-label devices nothing but the model code (`BQ-7098G`, `TZ195`, `X96mini`)
//! tells a tablet or a TV from a phone (device-detection.md §6). White-label codes follow no convention a rule
//! could read (`rules::model` holds the conventions that exist); only a list of devices separates them. The
//! list shipped in `data/device-models/` is generated from Matomo's device database, the one open database of
//! model codes with a device type, which is LGPL-3.0-or-later. So the table is **data, not code**: parsed from
//! text when the Worker (or a page) starts, refreshed without a rebuild, and kept out of the MIT/Apache-2.0
//! module. The classifier works without it (every rule stays); with it, the phone/tablet/TV decision of an
//! Android UA whose model code is listed follows the table (`rules::device::detect`).
//!
//! # Format
//! One `<model code><TAB><class>` per line, `class` a [`DeviceClass`] name other than `bot` and `unknown`.
//! Lines starting with `#` are comments; blank lines are ignored. Codes compare ASCII-case-insensitively. A
//! code listed twice with different classes is an error; a malformed line is an error naming it, and nothing
//! of the text is applied.
//!
//! # Storage
//! No strings are kept. Each code's 64-bit hash (foldhash, over the lower-cased bytes) picks one of 8,192
//! buckets by its top 13 bits; in the bucket the code is a `u32`: the next 29 hash bits and the class in the
//! low 3. That is 4 bytes a code (230 KB for the shipped 58,000), loading is a counting sort, and a lookup
//! reads one bucket of about 7 entries: +2.2 % instructions a UA, +4–6 % time natively, where the bucket read
//! usually misses the cache (8-byte entries measured the same; bench/classify/RESULTS.md, round 8). Two
//! listed codes share bucket and fingerprint with probability ~n²/2⁴³ (about 4·10⁻⁴ for the shipped table; it
//! parses, so it has none), and an unlisted code matches a listed one with probability ~7/2²⁹, about 10⁻⁸ a
//! lookup.

use crate::DeviceClass;
use crate::error::ClassifyError;
use foldhash::fast::FixedState;
use std::hash::BuildHasher;
use std::sync::Arc;

/// A device-model table (see the module docs). Cheap to clone: the entries are shared.
#[derive(Clone, Default)]
pub struct DeviceModels {
    /// Bucket by bucket, each sorted: `fingerprint | index of the class in DeviceClass::ALL` (see [`place`]).
    entries: Arc<[u32]>,
    /// `starts[b]..starts[b + 1]` are bucket `b`'s entries (empty when the table is).
    starts: Arc<[u32]>,
}

/// Says how many codes, not the 58,000 hashes.
impl std::fmt::Debug for DeviceModels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceModels")
            .field("codes", &self.entries.len())
            .finish()
    }
}

const CLASS_BITS: u32 = 0b111;
/// Buckets are chosen by the top 13 hash bits: about 7 codes a bucket for the shipped table.
const BUCKET_BITS: u32 = 13;
/// The longest model code the table takes (the shipped table's longest is 34 bytes).
const MAX_CODE: usize = 64;
/// Hashes live in memory only; a fixed seed keeps a table's layout the same on every run.
const SEED: u64 = 0x5eed_de71_ce00;
/// The classes a model code can name.
const NAMES: &str = "smartphone, tablet, desktop, featurephone, tv, console or other";

/// Where `code` (ASCII-lower-cased) lives: its bucket, and its fingerprint with the class bits clear;
/// `None` past [`MAX_CODE`] bytes. (foldhash reads the bytes a word at a time; the module already carries
/// it, for the pool's maps.)
fn place(code: &[u8]) -> Option<(usize, u32)> {
    let mut buf = [0u8; MAX_CODE];
    let low = buf.get_mut(..code.len())?;
    for (d, s) in low.iter_mut().zip(code) {
        *d = s.to_ascii_lowercase();
    }
    let h = FixedState::with_seed(SEED).hash_one(&*low);
    let bucket = (h >> (64 - BUCKET_BITS)) as usize;
    // The 32 bits below the bucket's, the lowest 3 cleared for the class: a 29-bit fingerprint.
    Some((bucket, (h >> (64 - BUCKET_BITS - 32)) as u32 & !CLASS_BITS))
}

/// The index in [`DeviceClass::ALL`] of a class a model code can name.
fn class_index(name: &str) -> Result<u32, String> {
    let class = match name {
        // The names as the generator writes them, without the case-insensitive search of `FromStr`.
        "smartphone" => DeviceClass::Smartphone,
        "tablet" => DeviceClass::Tablet,
        "tv" => DeviceClass::Tv,
        other => other
            .parse()
            .map_err(|_| format!("unknown device class {name:?} ({NAMES})"))?,
    };
    match class {
        DeviceClass::Bot | DeviceClass::Unknown => Err(format!(
            "{class} is not a device a model code can name ({NAMES})"
        )),
        _ => Ok(DeviceClass::ALL
            .iter()
            .position(|c| *c == class)
            .unwrap_or(0) as u32),
    }
}

impl DeviceModels {
    /// Parses table text (see the module docs). Errors name the 1-based line; on error nothing is kept.
    pub fn parse(text: &str) -> Result<DeviceModels, ClassifyError> {
        // (bucket, fingerprint | class) of every line.
        let mut entries: Vec<(u32, u32)> = Vec::with_capacity(text.len() / 16);
        // One walk over the bytes with memchr (the shipped table is 1.2 MB; `lines()` + `split_once` cost a
        // third more at the module's size-first optimisation level).
        let bytes = text.as_bytes();
        let (mut at, mut line) = (0, 0);
        while at < bytes.len() {
            line += 1;
            let rest = bytes.get(at..).unwrap_or_default();
            let end = memchr::memchr(b'\n', rest).map_or(bytes.len(), |i| at + i);
            // (Cut at ASCII bytes, so always on a character boundary.)
            let row = text.get(at..end).unwrap_or_default();
            at = end + 1;
            let err = |reason: String| ClassifyError::DeviceModelLine { line, reason };
            if row.starts_with('#') || row.trim_ascii().is_empty() {
                continue;
            }
            let tab = memchr::memchr(b'\t', row.as_bytes())
                .ok_or_else(|| err("expected <model code><TAB><class>".into()))?;
            let (code, class) = (row.get(..tab), row.get(tab + 1..));
            let (code, class) = (code.unwrap_or_default(), class.unwrap_or_default());
            let code = code.trim_ascii();
            if code.is_empty() {
                return Err(err("empty model code".into()));
            }
            let (bucket, fingerprint) = place(code.as_bytes())
                .ok_or_else(|| err(format!("model code longer than {MAX_CODE} bytes")))?;
            let class = class_index(class.trim_ascii()).map_err(err)?;
            entries.push((bucket as u32, fingerprint | class));
        }
        let (entries, starts) = bucket_sort(entries).map_err(|at| conflict(text, at))?;
        Ok(DeviceModels {
            entries: entries.into(),
            starts: starts.into(),
        })
    }

    /// How many model codes the table holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table is empty (the classifier then uses its rules alone).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The class the table gives `model` (compared ASCII-case-insensitively, surrounding spaces ignored).
    pub fn class_of(&self, model: &str) -> Option<DeviceClass> {
        if self.entries.is_empty() {
            return None;
        }
        let (b, fingerprint) = place(model.trim_ascii().as_bytes())?;
        let (&from, &to) = (self.starts.get(b)?, self.starts.get(b + 1)?);
        let bucket = self.entries.get(from as usize..to as usize)?;
        let e = *bucket.iter().find(|&&e| e >= fingerprint)?;
        if e & !CLASS_BITS != fingerprint {
            return None;
        }
        DeviceClass::ALL.get((e & CLASS_BITS) as usize).copied()
    }
}

/// Orders `(bucket, entry)` pairs bucket by bucket (a counting sort) and sorts each bucket, dropping repeated
/// entries; returns the entries and the bucket starts, or the `(bucket, fingerprint)` that two entries give
/// different classes.
// Indexes here are bucket numbers from `place` (below `1 << BUCKET_BITS` by construction) and counting-sort
// offsets bounded by the counts just taken; this runs once when the table is loaded, not per request.
#[allow(clippy::indexing_slicing)]
fn bucket_sort(entries: Vec<(u32, u32)>) -> Result<(Vec<u32>, Vec<u32>), (usize, u32)> {
    let mut starts = vec![0u32; (1 << BUCKET_BITS) + 1];
    for &(b, _) in &entries {
        starts[b as usize + 1] += 1;
    }
    for b in 1..starts.len() {
        starts[b] += starts[b - 1];
    }
    let mut next = starts.clone();
    let mut sorted = vec![0u32; entries.len()];
    for (b, e) in entries {
        let slot = &mut next[b as usize];
        sorted[*slot as usize] = e;
        *slot += 1;
    }
    let mut out = Vec::with_capacity(sorted.len());
    let mut kept = vec![0u32; starts.len()];
    for b in 0..starts.len() - 1 {
        let run = &mut sorted[starts[b] as usize..starts[b + 1] as usize];
        run.sort_unstable();
        kept[b] = out.len() as u32;
        let mut prev: Option<u32> = None;
        for &e in run.iter() {
            match prev {
                Some(p) if p == e => continue,
                Some(p) if p & !CLASS_BITS == e & !CLASS_BITS => return Err((b, e & !CLASS_BITS)),
                _ => {}
            }
            out.push(e);
            prev = Some(e);
        }
    }
    kept[starts.len() - 1] = out.len() as u32;
    Ok((out, kept))
}

/// The error for a code listed with two classes: a second pass finds its lines (the error path only).
fn conflict(text: &str, at: (usize, u32)) -> ClassifyError {
    let mut lines = text.lines().enumerate().filter_map(|(idx, line)| {
        let code = line.split_once('\t')?.0.trim_ascii();
        (!line.starts_with('#') && place(code.as_bytes()) == Some(at)).then_some(idx + 1)
    });
    let first = lines.next().unwrap_or(0);
    ClassifyError::DeviceModelLine {
        line: lines.next().unwrap_or(first),
        reason: format!("the model code on line {first} is listed again with another class"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DeviceClass::{Other, Smartphone, Tablet, Tv};

    #[test]
    fn parses_and_looks_up_case_insensitively() {
        let t = DeviceModels::parse(
            "# comment\n\nbq-7098g\ttablet\nX96mini\ttv\n  acme phone 5 \tsmartphone\nw1\tother\n",
        )
        .unwrap();
        assert_eq!(t.len(), 4);
        assert_eq!(t.class_of("BQ-7098G"), Some(Tablet));
        assert_eq!(t.class_of("x96MINI"), Some(Tv));
        assert_eq!(t.class_of(" ACME Phone 5"), Some(Smartphone));
        assert_eq!(t.class_of("W1"), Some(Other));
        assert_eq!(t.class_of("BQ-7098"), None, "exact codes only, no prefixes");
        assert_eq!(t.class_of(""), None);
        assert_eq!(DeviceModels::default().class_of("BQ-7098G"), None);
    }

    #[test]
    fn a_repeated_line_is_harmless_a_conflict_is_an_error() {
        assert_eq!(
            DeviceModels::parse("a1\ttablet\nA1\ttablet\n")
                .unwrap()
                .len(),
            1
        );
        let e = DeviceModels::parse("a1\ttablet\nb2\ttv\nA1\tsmartphone\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "device models, line 3: the model code on line 1 is listed again with another class"
        );
    }

    #[test]
    fn bad_lines_are_named() {
        for (text, want) in [
            (
                "a1\ttablet\nb2 tablet\n",
                "line 2: expected <model code><TAB><class>",
            ),
            ("\ttablet\n", "line 1: empty model code"),
            ("a1\tphablet\n", "line 1: unknown device class \"phablet\""),
            (
                "a1\tbot\n",
                "line 1: bot is not a device a model code can name",
            ),
            ("a1\tunknown\n", "line 1: unknown is not a device"),
            (
                &format!("{}\ttablet\n", "x".repeat(65)),
                "line 1: model code longer than 64 bytes",
            ),
        ] {
            let e = DeviceModels::parse(text).unwrap_err().to_string();
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }

    /// The shipped table parses, and holds the classes it says it holds.
    #[test]
    fn the_shipped_table_parses() {
        let text = include_str!("../../../data/device-models/device-models.tsv");
        let t = DeviceModels::parse(text).unwrap();
        let lines = text.lines().filter(|l| !l.starts_with('#')).count();
        assert_eq!(t.len(), lines, "no code is listed twice");
        assert!(t.len() > 50_000, "{} codes", t.len());
        // A BQ tablet, an Amazon Fire TV, a Pixel: spot checks of Matomo's own types.
        assert_eq!(t.class_of("BQ-7098G"), Some(Tablet));
        assert_eq!(t.class_of("AFTMM"), Some(Tv));
        assert_eq!(t.class_of("Pixel 7"), Some(Smartphone));
    }
}
