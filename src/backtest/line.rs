//! One timeline line as [`super::run`] reads it, and the reader that turns text into it.
//!
//! Why a reader of its own in front of serde: reading a line through serde_json's derived
//! deserializer cost more than the pool's whole work on it (about 4,500 instructions a line
//! in the size-first release profile, 43 % of a backtest's instructions once the pool stopped
//! building events; this reader takes about 1,300), and the backtest is meant to replay a
//! million events a second. Timelines are machine-written and regular, so [`parse`] first
//! tries [`fast`], which reads a strict subset of JSON — one flat object of the known keys,
//! each at most once, strings without escapes or control characters, integers without sign
//! tricks, fraction or exponent — and answers `None` for anything else (escapes, `null`,
//! floats, unknown or duplicate keys, a trailing comma, a missing field, trailing text). serde
//! then reads that line, so every accepted line means what serde says it means and every
//! error is serde's message. The tests check that wherever [`fast`] answers, serde answers
//! the same.

use std::borrow::Cow;

use ringmark_pool::Signal;
use serde::Deserialize;

/// One timeline line as read (strings borrowed where the line has no escapes).
#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(super) struct Line<'a> {
    pub at: i64,
    pub kind: Kind,
    #[serde(borrow)]
    pub recipient: Cow<'a, str>,
    #[serde(default, borrow)]
    pub campaign: Option<Cow<'a, str>>,
    #[serde(default)]
    pub signal: Option<Signal>,
    #[serde(default, borrow)]
    pub device: Option<Cow<'a, str>>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub duration: Option<u32>,
}

/// What a line records.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(super) enum Kind {
    Open,
    Call,
}

/// `text.trim()`, without its character-by-character walk for the common line: one line feed
/// after a first and a last byte that are printable ASCII (so not whitespace).
#[inline(always)]
pub(super) fn trim(text: &str) -> &str {
    let bytes = text.as_bytes();
    let len = bytes.len() - usize::from(bytes.last() == Some(&b'\n'));
    match (bytes.first(), len.checked_sub(1).map(|i| bytes[i])) {
        (Some(&first), Some(last))
            if (0x21..0x80).contains(&first) && (0x21..0x80).contains(&last) =>
        {
            &text[..len]
        }
        _ => text.trim(),
    }
}

/// Reads one (trimmed, non-empty) timeline line: [`fast`] when it can, serde otherwise.
pub(super) fn parse(text: &str) -> Result<Line<'_>, serde_json::Error> {
    match fast(text) {
        Some(line) => Ok(line),
        None => serde_json::from_str(text),
    }
}

/// Longest `at` read here: 18 digits cannot overflow an `i64`.
const AT_DIGITS: usize = 18;
/// Longest `duration` read here: 9 digits cannot overflow a `u32`.
const DURATION_DIGITS: usize = 9;

/// A byte cursor over one line. Everything is `#[inline(always)]` and written as plain loops:
/// the release profile optimises for size, and a call per byte (an iterator's closure left
/// out of line) cost as much as serde.
struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Cursor<'a> {
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    /// Skips JSON whitespace (serde_json's set: space, tab, line feed, carriage return).
    #[inline(always)]
    fn space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    #[inline(always)]
    fn eat(&mut self, byte: u8) -> Option<()> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Some(())
        } else {
            None
        }
    }

    /// A string without escapes or control characters, borrowed from the line.
    #[inline(always)]
    fn string(&mut self) -> Option<&'a str> {
        let (start, end) = self.raw()?;
        // Both ends sit next to an ASCII quote, so they are character boundaries.
        Some(&self.text[start..end])
    }

    /// The same string's bytes (keys and words, matched byte by byte: no boundary checks).
    #[inline(always)]
    fn word(&mut self) -> Option<&'a [u8]> {
        let (start, end) = self.raw()?;
        Some(&self.text.as_bytes()[start..end])
    }

    /// Where the string at the cursor starts and ends (quotes excluded).
    #[inline(always)]
    fn raw(&mut self) -> Option<(usize, usize)> {
        self.eat(b'"')?;
        let bytes = self.text.as_bytes();
        let start = self.at;
        let mut end = start;
        // Eight bytes at a time while eight remain, then byte by byte.
        while let Some(word) = bytes.get(end..end + 8) {
            let word = u64::from_le_bytes(word.try_into().ok()?);
            match stop_in(word) {
                Some(i) => {
                    end += i;
                    return self.close(start, end);
                }
                None => end += 8,
            }
        }
        while end < bytes.len() && !stops(bytes[end]) {
            end += 1;
        }
        self.close(start, end)
    }

    /// Ends the string at `end`: it must be a quote (not an escape or a control character).
    #[inline(always)]
    fn close(&mut self, start: usize, end: usize) -> Option<(usize, usize)> {
        self.at = end;
        self.eat(b'"')?;
        Some((start, end))
    }

    /// Digits of a non-negative integer, at most `max` of them, no leading zero, not followed
    /// by anything serde would read as part of a number (`.`, `e`, `E`).
    #[inline(always)]
    fn digits(&mut self, max: usize) -> Option<u64> {
        let bytes = self.text.as_bytes();
        let start = self.at;
        let mut end = start;
        let mut n = 0u64;
        while end < bytes.len() && bytes[end].is_ascii_digit() {
            n = n * 10 + u64::from(bytes[end] - b'0');
            end += 1;
            if end - start > max {
                return None;
            }
        }
        let len = end - start;
        if len == 0 || (len > 1 && bytes[start] == b'0') {
            return None;
        }
        if let Some(b'.' | b'e' | b'E') = bytes.get(end) {
            return None;
        }
        self.at = end;
        Some(n)
    }

    /// An `i64`; not `-0`, which serde_json reads as a float (and refuses for an integer).
    #[inline(always)]
    fn int(&mut self) -> Option<i64> {
        let negative = self.eat(b'-').is_some();
        let n = i64::try_from(self.digits(AT_DIGITS)?).ok()?;
        match (negative, n) {
            (true, 0) => None,
            (true, n) => Some(-n),
            (false, n) => Some(n),
        }
    }
}

/// A byte that ends the fast reader's string: a quote, an escape or a control character.
#[inline(always)]
fn stops(b: u8) -> bool {
    b == b'"' || b == b'\\' || b < 0x20
}

/// Index of the first byte of `word` (little-endian: lowest address first) that [`stops`] a
/// string. Each test marks a byte's high bit where it matches; a borrow can also mark bytes
/// *after* a real match, never before one, so the lowest mark is exact.
#[inline(always)]
fn stop_in(word: u64) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let quote = zero(word ^ (ONES * u64::from(b'"')));
    let escape = zero(word ^ (ONES * u64::from(b'\\')));
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    let marks = quote | escape | control;
    (marks != 0).then(|| marks.trailing_zeros() as usize / 8)
}

/// Sets a field read once; a second occurrence declines the line (serde refuses it).
#[inline(always)]
fn once<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    match slot {
        Some(_) => None,
        None => {
            *slot = Some(value);
            Some(())
        }
    }
}

/// Reads a line in the common shape, or `None` when it is not in it (see the module docs).
pub(super) fn fast(text: &str) -> Option<Line<'_>> {
    let mut c = Cursor { text, at: 0 };
    let (mut at, mut kind, mut recipient, mut campaign, mut signal) =
        (None, None, None, None, None);
    let (mut device, mut from, mut to, mut duration) = (None, None, None, None);
    c.space();
    c.eat(b'{')?;
    c.space();
    if c.peek() != Some(b'}') {
        loop {
            // Slice patterns compile to a length test and byte compares, not string compares.
            let key = c.word()?;
            c.space();
            c.eat(b':')?;
            c.space();
            match key {
                [b'a', b't'] => once(&mut at, c.int()?)?,
                [b'k', b'i', b'n', b'd'] => {
                    let k = match c.word()? {
                        [b'o', b'p', b'e', b'n'] => Kind::Open,
                        [b'c', b'a', b'l', b'l'] => Kind::Call,
                        _ => return None,
                    };
                    once(&mut kind, k)?;
                }
                [b'r', b'e', b'c', b'i', b'p', b'i', b'e', b'n', b't'] => {
                    once(&mut recipient, c.string()?)?
                }
                [b'c', b'a', b'm', b'p', b'a', b'i', b'g', b'n'] => {
                    once(&mut campaign, c.string()?)?
                }
                [b's', b'i', b'g', b'n', b'a', b'l'] => {
                    let s = match c.word()? {
                        [b'h', b'u', b'm', b'a', b'n'] => Signal::Human,
                        [b'c', b'l', b'i', b'c', b'k'] => Signal::Click,
                        [b'm', b'a', b'c', b'h', b'i', b'n', b'e'] => Signal::Machine,
                        _ => return None,
                    };
                    once(&mut signal, s)?;
                }
                [b'd', b'e', b'v', b'i', b'c', b'e'] => once(&mut device, c.string()?)?,
                [b'f', b'r', b'o', b'm'] => once(&mut from, c.string()?)?,
                [b't', b'o'] => once(&mut to, c.string()?)?,
                [b'd', b'u', b'r', b'a', b't', b'i', b'o', b'n'] => {
                    let d = u32::try_from(c.digits(DURATION_DIGITS)?).ok()?;
                    once(&mut duration, d)?;
                }
                _ => return None,
            }
            c.space();
            if c.eat(b',').is_none() {
                break;
            }
            c.space();
        }
    }
    c.eat(b'}')?;
    c.space();
    if c.at != text.len() {
        return None;
    }
    Some(Line {
        at: at?,
        kind: kind?,
        recipient: Cow::Borrowed(recipient?),
        campaign: campaign.map(Cow::Borrowed),
        signal,
        device: device.map(Cow::Borrowed),
        from: from.map(str::to_owned),
        to: to.map(str::to_owned),
        duration,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backtest::simulate::{SendModel, write_timeline};
    use proptest::prelude::*;

    /// What serde makes of a line (`None`: an error).
    fn serde_reads(text: &str) -> Option<Line<'_>> {
        serde_json::from_str(text).ok()
    }

    #[test]
    fn simulated_lines_take_the_fast_path_and_read_as_serde_reads_them() {
        let model = SendModel {
            recipients: 3_000,
            ..SendModel::default()
        };
        let mut out = Vec::new();
        write_timeline(&model, 5, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let (mut opens, mut calls) = (0, 0);
        for line in text.lines() {
            let got = fast(line).unwrap_or_else(|| panic!("declined {line}"));
            match got.kind {
                Kind::Open => opens += 1,
                Kind::Call => calls += 1,
            }
            assert_eq!(Some(got), serde_reads(line), "{line}");
        }
        assert!(opens > 1_000 && calls > 10, "{opens} opens, {calls} calls");
    }

    #[test]
    fn documented_lines_take_the_fast_path() {
        for line in [
            r#"{"at": 1796000000, "kind": "open", "recipient": "r1", "campaign": "c", "signal": "human"}"#,
            r#"{"at": 1796003600, "kind": "call", "recipient": "r1", "from": "+12125550123"}"#,
            " { \"at\" : -5 , \"kind\":\"call\",\"recipient\":\"r\u{e9}\",\"to\":\"+1\",\"duration\":0 }\t",
        ] {
            let want = serde_reads(line).unwrap();
            assert_eq!(fast(line), Some(want), "{line}");
        }
    }

    #[test]
    fn lines_outside_the_subset_are_left_to_serde() {
        for line in [
            r#"{"at": 1, "kind": "open", "recipient": "r\"1", "signal": "human"}"#, // escape
            r#"{"at": 1, "kind": "open", "recipient": "r1", "campaign": null}"#,    // null
            r#"{"at": 1.0, "kind": "call", "recipient": "r1"}"#,                    // float
            r#"{"at": 1e3, "kind": "call", "recipient": "r1"}"#,                    // exponent
            r#"{"at": 01, "kind": "call", "recipient": "r1"}"#,                     // leading zero
            r#"{"at": 1, "kind": "call", "recipient": "r1", "x": 1}"#,              // unknown key
            r#"{"at": 1, "kind": "call", "recipient": "r1", "at": 2}"#,             // duplicate
            r#"{"at": 1, "kind": "call", "recipient": "r1",}"#, // trailing comma
            r#"{"at": 1, "kind": "call"}"#,                     // missing field
            r#"{"at": 1, "kind": "call", "recipient": "r1"} x"#, // trailing text
            r#"{"at": 1, "kind": "call", "recipient": "r1", "duration": -1}"#, // negative u32
            r#"{"at": 1, "kind": "dial", "recipient": "r1"}"#,  // unknown kind
            r#"{"at": -0, "kind": "call", "recipient": "r1"}"#, // a float to serde
        ] {
            assert_eq!(fast(line), None, "{line}");
        }
    }

    /// A value for a key: mostly one serde accepts for it, sometimes any JSON-ish snippet.
    fn value(key: &'static str) -> impl Strategy<Value = String> {
        let good: Vec<&'static str> = match key {
            "at" => vec![
                "1796000000",
                "0",
                "-17",
                "999999999999999999",
                "-999999999999999999",
            ],
            "kind" => vec!["\"open\"", "\"call\""],
            "signal" => vec!["\"human\"", "\"click\"", "\"machine\""],
            "duration" => vec!["0", "60", "4294967295", "999999999"],
            _ => vec![
                "\"r1\"",
                "\"c\"",
                "\"\"",
                "\"+12125550123\"",
                "\"caf\u{e9} \u{1f4de}\"",
            ],
        };
        let any = prop::sample::select(vec![
            "null",
            "true",
            "[]",
            "{}",
            "1.5",
            "1e3",
            "1E3",
            "007",
            "-",
            "--1",
            "-0",
            "-0.0",
            "4294967296",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "99999999999999999999",
            "\"a\\\"b\"",
            "\"abcdefghijk\\\"l\"",
            "\"abcdefghijkl\\u0041\"",
            "\"abcdefghi\x01\"",
            "\"x\\u0041\"",
            "\"tab\there\"",
            "\"open\"",
            "\"Human\"",
            "\"\\u006fpen\"",
            "\"unterminated",
            "\"r1\"",
            "12",
        ]);
        prop_oneof![
            19 => prop::sample::select(good).prop_map(str::to_owned),
            1 => any.prop_map(str::to_owned),
        ]
    }

    /// The optional keys (each at most once in a line serde accepts).
    const OPTIONAL: [&str; 6] = ["campaign", "signal", "device", "from", "to", "duration"];
    /// Keys that repeat a required one or that serde refuses.
    const ODD: [&str; 6] = ["at", "kind", "recipient", "bogus", "\\u0061t", "At"];

    fn key() -> impl Strategy<Value = &'static str> {
        prop_oneof![
            19 => prop::sample::select(OPTIONAL.to_vec()),
            1 => prop::sample::select(ODD.to_vec()),
        ]
    }

    /// JSON whitespace, mostly, and a few bytes that are not.
    fn space() -> impl Strategy<Value = &'static str> {
        prop_oneof![
            49 => prop::sample::select(vec!["", "", "", " ", "  ", "\t", "\r\n"]),
            1 => prop::sample::select(vec!["\u{a0}", "x", ",", ":"]),
        ]
    }

    /// A line built from random keys (the three required ones first, usually), values,
    /// separators and ends.
    fn line() -> impl Strategy<Value = String> {
        let field = key().prop_flat_map(|k| (Just(k), value(k), space(), space(), space()));
        let required = (value("at"), value("kind"), value("recipient"));
        (
            prop::bool::weighted(0.95),
            required,
            prop::collection::vec(field, 0..4),
            space(),
            prop_oneof![
                19 => Just(""),
                1 => prop::sample::select(vec![",", " x", "}", "\n", "\u{a0}"]),
            ],
            prop::bool::weighted(0.02),
        )
            .prop_map(|(with_required, (at, kind, who), fields, sp, end, open)| {
                let mut parts = Vec::new();
                if with_required {
                    parts.push(format!("\"at\":{at}"));
                    parts.push(format!("\"kind\": {kind}"));
                    parts.push(format!("\"recipient\" :{who}"));
                }
                for (k, v, a, b, c) in fields {
                    parts.push(format!("{a}\"{k}\"{b}:{c}{v}"));
                }
                let body = parts.join(&format!("{sp},"));
                let close = if open { "" } else { "}" };
                format!("{sp}{{{body}{sp}{close}{end}")
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

        /// The word-at-a-time scan finds the first byte the byte-by-byte test stops at.
        #[test]
        fn stop_in_finds_the_first_stopping_byte(bytes in prop::array::uniform8(prop_oneof![
            Just(b'"'), Just(b'\\'), 0u8..0x20, Just(0x20u8), Just(0x21u8), 0x22u8..=0xff
        ])) {
            let want = bytes.iter().position(|&b| stops(b));
            prop_assert_eq!(stop_in(u64::from_le_bytes(bytes)), want);
        }

        /// Wherever the fast reader answers, serde reads the same line (and never fails).
        #[test]
        fn the_fast_reader_agrees_with_serde(text in line()) {
            if let Some(got) = fast(&text) {
                prop_assert_eq!(Some(got), serde_reads(&text), "{}", text);
            }
            prop_assert_eq!(trim(&text), text.trim());
            let line = format!("{text}\n");
            prop_assert_eq!(trim(&line), line.trim());
            // The reader `run` uses gives serde's answer either way.
            prop_assert_eq!(parse(&text).ok(), serde_reads(&text));
        }
    }
}
