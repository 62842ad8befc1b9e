//! JSON text from fuzz input: a tree that may repeat keys, hold numbers
//! serde cannot represent, or end in raw text, written out by hand so the
//! admin API's own parser sees every oddity.

use arbitrary::{Arbitrary, Unstructured};

/// Field names the admin API reads, so structured bodies reach deep.
pub const KEYS: &[&str] = &[
    "numbers",
    "fallback",
    "lease_seconds",
    "max_lease_seconds",
    "tail_seconds",
    "quarantine_seconds",
    "attribution_window_seconds",
    "reuse",
    "random",
    "seed",
    "lru",
    "exhaustion",
    "overflow",
    "number",
    "share",
    "max_holders",
    "pressure_threshold",
    "style",
    "label",
    "ink",
    "paper",
    "button",
    "button_ink",
    "font_px",
    "shape",
    "display_format",
    "displays",
    "campaign",
    "recipients",
    "platform",
    "base_url",
    "to",
    "from",
    "at",
    "duration",
];

/// String values that mean something somewhere in the API.
pub const WORDS: &[&str] = &[
    "",
    "+14155550101",
    "+14155550102",
    "+14155550103",
    "+14155550100",
    "+1 (415) 555-0104",
    "+442079460958",
    "+902125551234",
    "+4930123456",
    "+0123",
    "14155550101",
    "national",
    "international",
    "lru",
    "shared_tail",
    "fallback",
    "steal_oldest_tail",
    "rounded",
    "pill",
    "square",
    "#111827",
    "#ffffff",
    "#15803d",
    "#fff",
    "Call us",
    "Bizi arayın",
    "mailchimp",
    "sendgrid",
    "klaviyo",
    "hubspot",
    "braze",
    "plain",
    "https://t.example.com",
    "http://x",
    "c1",
    "a",
    "b",
    "2026-11-23T10:15:00Z",
    "2027-01-15T08:00:00+01:00",
    "9999-12-31T23:59:59Z",
    "\u{0}",
    "ééé",
];

/// A JSON value, or something almost like one.
#[derive(Clone, Debug)]
pub enum J {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A large unsigned integer.
    UInt(u64),
    /// A float (non-finite ones are written as huge literals).
    Float(f64),
    /// Numbers written as text: `1e400`, `-0`, `1.5e-7`, …
    NumText(String),
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<J>),
    /// An object; keys may repeat.
    Obj(Vec<(String, J)>),
    /// Anything at all, written as is.
    Raw(String),
}

/// A match arm in `0..=n`, uniformly; `n` (the `_` arm, the usual case)
/// once the input is used up.
pub fn arm(u: &mut Unstructured, n: u8) -> arbitrary::Result<u8> {
    Ok(n - u.int_in_range(0..=n)?)
}

/// True one time in `n`; false once the input is used up (so an exhausted
/// input adds nothing optional).
pub fn one_in(u: &mut Unstructured, n: u8) -> arbitrary::Result<bool> {
    Ok(u.int_in_range(1..=n)? == n)
}

/// A string value: usually one of [`WORDS`], sometimes anything.
pub fn word(u: &mut Unstructured) -> arbitrary::Result<String> {
    Ok(match arm(u, 3)? {
        0 => String::arbitrary(u)?,
        1 => format!("{}{}", u.choose(WORDS)?, String::arbitrary(u)?),
        _ => (*u.choose(WORDS)?).to_owned(),
    })
}

/// An object key: usually one of [`KEYS`].
pub fn key(u: &mut Unstructured) -> arbitrary::Result<String> {
    Ok(if one_in(u, 8)? {
        String::arbitrary(u)?
    } else {
        (*u.choose(KEYS)?).to_owned()
    })
}

/// An integer, often near a boundary.
pub fn int(u: &mut Unstructured) -> arbitrary::Result<i64> {
    Ok(match u.int_in_range(0..=5u8)? {
        0 => i64::arbitrary(u)?,
        1 => *u.choose(&[
            0,
            1,
            -1,
            2,
            3,
            59,
            60,
            3600,
            86_400,
            604_800,
            3_888_000,
            2_592_000,
            i64::from(u32::MAX),
            i64::from(u32::MAX) + 1,
            i64::MAX,
            i64::MIN,
            1_800_000_000,
            253_402_300_799,
            253_402_300_800,
            -62_167_219_200,
            10_000,
            10_001,
        ])?,
        2 => u.int_in_range(0..=100_000)?,
        3 => 1_800_000_000 + u.int_in_range(-40_000_000..=200_000)?,
        _ => u.int_in_range(0..=4_000_000)?,
    })
}

impl J {
    /// A value of any shape, at most `depth` levels deep.
    pub fn any(u: &mut Unstructured, depth: u32) -> arbitrary::Result<J> {
        let top = if depth == 0 { 7 } else { 10 };
        Ok(match u.int_in_range(0..=top)? {
            0 => J::Null,
            1 => J::Bool(bool::arbitrary(u)?),
            2 | 3 => J::Int(int(u)?),
            4 => J::UInt(u64::arbitrary(u)?),
            5 => J::Float(f64::arbitrary(u)?),
            6 => J::NumText(
                (*u.choose(&[
                    "1e400",
                    "-1e400",
                    "-0",
                    "0.0",
                    "1.5e-7",
                    "1e2",
                    "1E+2",
                    "0.999999999999999999",
                    "18446744073709551616",
                    "-9223372036854775809",
                    "01",
                    "1.",
                    ".5",
                    "NaN",
                ])?)
                .to_owned(),
            ),
            7 => J::Str(word(u)?),
            8 => J::Arr(
                (0..u.int_in_range(0..=4)?)
                    .map(|_| J::any(u, depth - 1))
                    .collect::<arbitrary::Result<_>>()?,
            ),
            9 => J::Obj(
                (0..u.int_in_range(0..=5)?)
                    .map(|_| Ok((key(u)?, J::any(u, depth - 1)?)))
                    .collect::<arbitrary::Result<_>>()?,
            ),
            _ => J::Raw(String::arbitrary(u)?),
        })
    }

    /// The value written as JSON text (or not quite JSON, for `Raw`/`NumText`).
    pub fn text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            J::Null => out.push_str("null"),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            J::Int(i) => out.push_str(&i.to_string()),
            J::UInt(i) => out.push_str(&i.to_string()),
            J::Float(f) if f.is_finite() => out.push_str(&format!("{f:?}")),
            J::Float(f) if f.is_nan() => out.push_str("1e999"),
            J::Float(f) => out.push_str(if *f > 0.0 { "1e999" } else { "-1e999" }),
            J::NumText(t) | J::Raw(t) => out.push_str(t),
            J::Str(s) => out.push_str(&serde_json::to_string(s).unwrap_or_default()),
            J::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            J::Obj(fields) => {
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(k).unwrap_or_default());
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// A body: a structured object (usually), any JSON-ish value, or raw bytes.
pub fn body(
    u: &mut Unstructured,
    structured: impl FnOnce(&mut Unstructured) -> arbitrary::Result<J>,
) -> arbitrary::Result<Vec<u8>> {
    Ok(match u.int_in_range(0..=9u8)? {
        8 => Vec::<u8>::arbitrary(u)?,
        9 => J::any(u, 3)?.text().into_bytes(),
        _ => {
            let mut j = structured(u)?;
            // Now and then, one more (or a repeated) field anywhere at the top.
            if let J::Obj(fields) = &mut j {
                if one_in(u, 10)? {
                    let at = u.int_in_range(0..=fields.len())?;
                    fields.insert(at, (key(u)?, J::any(u, 2)?));
                }
                if !fields.is_empty() && one_in(u, 12)? {
                    let at = u.choose_index(fields.len())?;
                    fields.remove(at);
                }
            }
            j.text().into_bytes()
        }
    })
}
