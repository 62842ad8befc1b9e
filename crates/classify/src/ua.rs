//! ASCII token scanning over a User-Agent: one lower-casing pass into a stack buffer that also records which
//! byte pairs (bigrams) occur, then substring and word-boundary searches and small parsers for the parts that
//! carry the device (the Android model code). No regex, no allocation for UAs up to 512 bytes.
//!
//! Why the bigram set: the rule pipeline asks a few hundred "does the UA contain X?" questions, and almost all
//! answers are "no". A 4096-bit set of the UA's bigrams (6-bit byte classes) answers most of them with one or
//! two bit tests; only needles whose bigrams are all present are searched for (`memchr` on the first byte).

use std::cell::OnceCell;

const INLINE: usize = 512;

/// A User-Agent prepared for case-insensitive scanning. All needles passed to its methods must be lowercase.
pub(crate) struct Ua<'a> {
    /// The UA as received (trimmed).
    pub raw: &'a str,
    inline: [u8; INLINE],
    heap: Option<Vec<u8>>,
    len: usize,
    bigrams: [u64; 64],
    model: OnceCell<Option<&'a str>>,
}

/// 6-bit class of each (lower-cased) byte: letters and digits get their own class, common punctuation too,
/// everything else shares the remaining classes.
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = match c {
            b'a'..=b'z' => c - b'a',
            b'A'..=b'Z' => c - b'A',
            b'0'..=b'9' => 26 + (c - b'0'),
            b' ' => 36,
            b'/' => 37,
            b';' => 38,
            b'(' => 39,
            b')' => 40,
            b'-' => 41,
            b'.' => 42,
            b'_' => 43,
            b',' => 44,
            b'+' => 45,
            b':' => 46,
            _ => 47 + (c % 17),
        };
        b += 1;
    }
    t
};

#[inline]
fn bigram(a: u8, b: u8) -> usize {
    (CLASS[a as usize] as usize) << 6 | CLASS[b as usize] as usize
}

impl<'a> Ua<'a> {
    /// Prepares `raw` (leading/trailing whitespace dropped; `%20` is left as is).
    pub fn new(raw: &'a str) -> Self {
        let raw = raw.trim();
        let bytes = raw.as_bytes();
        let mut ua = Ua {
            raw,
            inline: [0; INLINE],
            heap: None,
            len: bytes.len(),
            bigrams: [0; 64],
            model: OnceCell::new(),
        };
        if bytes.len() > INLINE {
            ua.heap = Some(bytes.to_ascii_lowercase());
        }
        // One pass: lower-case into the buffer and record bigrams.
        let mut prev: Option<u8> = None;
        for (i, &b) in bytes.iter().enumerate() {
            let b = b.to_ascii_lowercase();
            if i < INLINE {
                ua.inline[i] = b;
            }
            if let Some(p) = prev {
                let g = bigram(p, b);
                ua.bigrams[g >> 6] |= 1 << (g & 63);
            }
            prev = Some(b);
        }
        ua
    }

    /// Whether every bigram of `needle` occurs in the UA (a necessary condition for `needle` to occur).
    #[inline]
    fn may_contain(&self, needle: &[u8]) -> bool {
        needle.windows(2).all(|w| {
            let g = bigram(w[0], w[1]);
            self.bigrams[g >> 6] & (1 << (g & 63)) != 0
        })
    }

    /// The lower-cased bytes.
    #[inline]
    pub fn lower(&self) -> &[u8] {
        match &self.heap {
            Some(v) => v,
            None => &self.inline[..self.len],
        }
    }

    /// Whether the UA is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Byte offset of the first occurrence of `needle`.
    #[inline]
    pub fn find(&self, needle: &str) -> Option<usize> {
        let n = needle.as_bytes();
        if !self.may_contain(n) {
            return None;
        }
        find_bytes(self.lower(), n, 0)
    }

    /// Whether `needle` occurs anywhere.
    #[inline]
    pub fn has(&self, needle: &str) -> bool {
        self.find(needle).is_some()
    }

    /// Whether any of `needles` occurs.
    pub fn has_any(&self, needles: &[&str]) -> bool {
        needles.iter().any(|n| self.has(n))
    }

    /// Whether the UA starts with `needle`.
    #[inline]
    pub fn starts_with(&self, needle: &str) -> bool {
        self.lower().starts_with(needle.as_bytes())
    }

    /// Whether `needle` occurs as a whole word: not preceded or followed by an ASCII letter or digit.
    pub fn has_word(&self, needle: &str) -> bool {
        self.word_at(needle).is_some()
    }

    /// Offset of the first whole-word occurrence of `needle` (see [`Ua::has_word`]).
    pub fn word_at(&self, needle: &str) -> Option<usize> {
        let hay = self.lower();
        let n = needle.as_bytes();
        if !self.may_contain(n) {
            return None;
        }
        find_all(hay, n).find(|&i| {
            let before = i == 0 || !hay[i - 1].is_ascii_alphanumeric();
            let after = hay
                .get(i + n.len())
                .is_none_or(|b| !b.is_ascii_alphanumeric());
            before && after
        })
    }

    /// Whether `needle` occurs at the start of a word (not preceded by a letter or digit).
    pub fn has_word_start(&self, needle: &str) -> bool {
        let hay = self.lower();
        let n = needle.as_bytes();
        self.may_contain(n)
            && find_all(hay, n).any(|i| i == 0 || !hay[i - 1].is_ascii_alphanumeric())
    }

    /// The raw text after the first occurrence of `needle` (case-insensitive), or `None`.
    pub fn after(&self, needle: &str) -> Option<&'a str> {
        let i = self.find(needle)? + needle.len();
        self.raw.get(i..)
    }

    /// The major version number right after `needle` (e.g. `after_version("chrome/")` → 120).
    pub fn version_after(&self, needle: &str) -> Option<u32> {
        leading_number(self.after(needle)?)
    }

    /// The Android device model code, e.g. `SM-T580` from `(Linux; Android 8.1.0; SM-T580 Build/…)`.
    /// Skips the version, a locale (`en-us`), `U`/`wv`/`K`-style fillers and a `Mobile`/`Tablet` marker.
    pub fn android_model(&self) -> Option<&'a str> {
        *self.model.get_or_init(|| self.parse_android_model())
    }

    fn parse_android_model(&self) -> Option<&'a str> {
        // The platform "Android" is followed by a version or `;` (not `SurfsharkAndroid/`, `com.….android`).
        let l = self.lower();
        let i = find_all(l, b"android").find(|&i| {
            let after = &l[i + 7..];
            let after = after.strip_prefix(b" ").unwrap_or(after);
            after
                .first()
                .is_some_and(|c| c.is_ascii_digit() || *c == b';')
        })?;
        let rest = self.raw.get(i + "android".len()..)?;
        // Version: digits, dots, spaces, underscores, slashes.
        let rest = rest.trim_start_matches(|c: char| {
            c.is_ascii_digit() || matches!(c, '.' | ' ' | '_' | '/' | '-')
        });
        let rest = rest.strip_prefix(';')?;
        let mut parts = rest.split(';');
        for part in parts.by_ref() {
            let part = part.trim();
            let part = part.split(')').next().unwrap_or(part).trim();
            if part.is_empty() || is_filler(part) {
                continue;
            }
            let model = cut_build(part);
            return (!model.is_empty()).then_some(model);
        }
        None
    }
}

/// Fillers that sit between the Android version and the model code: a locale (`en-us`, `zh-Hans-CN`), `U`,
/// `wv`, architecture words, or a `Mobile`/`Tablet` marker.
fn is_filler(part: &str) -> bool {
    let b = part.as_bytes();
    let alpha = |c: &u8| c.is_ascii_alphabetic();
    let locale = (5..=10).contains(&b.len())
        && b[..2].iter().all(alpha)
        && matches!(b[2], b'-' | b'_')
        && b[3..].iter().all(|c| alpha(c) || *c == b'-');
    locale
        || [
            "u", "i", "n", "wv", "mobile", "tablet", "arm", "arm_64", "linux", "x86_64", "x86",
            "aarch64",
        ]
        .iter()
        .any(|f| part.eq_ignore_ascii_case(f))
}

/// Drops ` Build/…` and anything after it from a model part.
fn cut_build(part: &str) -> &str {
    let lower_pos = part
        .as_bytes()
        .windows(6)
        .position(|w| w.eq_ignore_ascii_case(b"build/"));
    let cut = match lower_pos {
        Some(p) => &part[..p],
        None => part,
    };
    cut.trim()
}

/// First occurrence of `needle` in `hay` at or after `from` (memchr on the first byte, then compare).
#[inline]
fn find_bytes(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let mut at = from;
    while at < hay.len() {
        let i = at + memchr::memchr(first, &hay[at..])?;
        if hay[i + 1..].starts_with(rest) {
            return Some(i);
        }
        at = i + 1;
    }
    None
}

/// All (possibly overlapping) occurrences of `needle` in `hay`.
fn find_all<'h>(hay: &'h [u8], needle: &'h [u8]) -> impl Iterator<Item = usize> + 'h {
    let mut from = 0;
    std::iter::from_fn(move || {
        let i = find_bytes(hay, needle, from)?;
        from = i + 1;
        Some(i)
    })
}

/// The leading decimal number of `s` (`"120.0.1"` → 120).
pub(crate) fn leading_number(s: &str) -> Option<u32> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).take(9);
    let mut n: u32 = 0;
    let mut any = false;
    for d in digits {
        n = n * 10 + u32::from(d - b'0');
        any = true;
    }
    any.then_some(n)
}

/// Case-insensitive "starts with" for model codes.
pub(crate) fn starts_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// Case-insensitive "contains" for short strings such as model codes (needle lowercase).
pub(crate) fn contains_ci(s: &str, needle: &str) -> bool {
    let n = needle.as_bytes();
    s.len() >= n.len()
        && s.as_bytes()
            .windows(n.len())
            .any(|w| w.eq_ignore_ascii_case(n))
}
