//! ASCII token scanning over a User-Agent: one lower-casing pass into a stack buffer, then one keyword scan
//! (see [`crate::keywords`]) that answers every "does the UA contain X?" question the rules ask, plus small
//! parsers for the parts that carry the device (the Android model code). No regex, no allocation for UAs up to
//! 256 bytes (99 % of the dev corpus).

use crate::keywords::{Hits, Kw, KwSet, PAD, Ranked, kw};
use std::cell::OnceCell;

const INLINE: usize = 256;

/// A User-Agent prepared for case-insensitive scanning. Needles passed as `&str` must be lowercase.
pub(crate) struct Ua<'a> {
    /// The UA as received (trimmed).
    pub raw: &'a str,
    /// The lower-cased text, followed by [`PAD`] zero bytes for the keyword scan.
    inline: [u8; INLINE + PAD],
    /// The same, for UAs longer than `INLINE`.
    heap: Option<Vec<u8>>,
    len: usize,
    hits: Hits,
    /// Offset of the first `android` (`usize::MAX`: none).
    android_at: usize,
    /// Whether an `@` occurs.
    at: bool,
    model: OnceCell<Option<&'a str>>,
}

impl<'a> Ua<'a> {
    /// Prepares `raw` (leading/trailing whitespace dropped; `%20` is left as is).
    // wasm SIMD for this function only: LLVM vectorises the lower-casing loop (3-5 % of a warm wasm
    // classification; a crate-wide `+simd128` slowed first calls, see `.cargo/config.toml`). Every wasm host
    // ringmark targets (workerd, Node 16.4+, Chrome 91+, Firefox 89+, Safari 16.4+) runs wasm SIMD.
    #[cfg_attr(target_arch = "wasm32", target_feature(enable = "simd128"))]
    pub fn new(raw: &'a str) -> Self {
        let raw = raw.trim_ascii();
        let bytes = raw.as_bytes();
        let mut inline = [0u8; INLINE + PAD];
        // UAs past the inline buffer (1 % of the dev corpus) get a zeroed heap buffer; one loop fills either, so
        // the (vectorised) loop exists once in the module.
        let mut heap = (bytes.len() > INLINE).then(|| vec![0u8; bytes.len() + PAD]);
        let buf: &mut [u8] = match &mut heap {
            Some(v) => v,
            None => &mut inline,
        };
        // Whether an `@` occurs, noted in the same pass: only then can the UA carry an e-mail address.
        let mut at = false;
        for (d, s) in buf.iter_mut().zip(bytes) {
            *d = s.to_ascii_lowercase();
            at |= *s == b'@';
        }
        let (hits, android_at) = Hits::scan_marking(buf, bytes.len());
        Ua {
            raw,
            inline,
            heap,
            len: bytes.len(),
            hits,
            android_at,
            at,
            model: OnceCell::new(),
        }
    }

    /// Whether the UA contains an `@`.
    #[inline]
    pub fn has_at(&self) -> bool {
        self.at
    }

    /// The lower-cased bytes.
    #[inline]
    pub fn lower(&self) -> &[u8] {
        match &self.heap {
            Some(v) => v.get(..self.len).unwrap_or_default(),
            None => self.inline.get(..self.len).unwrap_or_default(),
        }
    }

    /// Whether the UA is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Byte offset of the first occurrence of keyword `k`.
    pub fn find(&self, k: Kw) -> Option<usize> {
        if !self.hits.has(k) {
            return None;
        }
        // `android …` keywords cannot start before the first `android` the scan saw.
        let from = if k == kw!("android ") {
            self.android_at.min(self.len)
        } else {
            0
        };
        find_bytes(self.lower(), k.text().as_bytes(), from)
    }

    /// Whether keyword `k` occurs anywhere.
    #[inline]
    pub fn has(&self, k: Kw) -> bool {
        self.hits.has(k)
    }

    /// Whether any keyword of `set` occurs.
    #[inline]
    pub fn has_any(&self, set: &KwSet) -> bool {
        self.hits.has_any(set)
    }

    /// Whether any keyword of `set` occurs at the start of a word.
    #[inline]
    pub fn has_any_word_start(&self, set: &KwSet) -> bool {
        self.hits.has_any_word_start(set)
    }

    /// The position in `r`'s list of the first listed keyword that occurs.
    #[inline]
    pub fn first_of(&self, r: &Ranked) -> Option<usize> {
        self.hits.first_of(r)
    }

    /// Whether the UA starts with `needle`.
    #[inline]
    pub fn starts_with(&self, needle: &str) -> bool {
        starts_with_bytes(self.lower(), needle.as_bytes())
    }

    /// Whether keyword `k` occurs as a whole word: not preceded or followed by an ASCII letter or digit.
    #[inline]
    pub fn has_word(&self, k: Kw) -> bool {
        self.hits.has_word(k)
    }

    /// Whether keyword `k` occurs at the start of a word (not preceded by a letter or digit).
    #[inline]
    pub fn has_word_start(&self, k: Kw) -> bool {
        self.hits.has_word_start(k)
    }

    /// The raw text after the first occurrence of keyword `k`, or `None`.
    pub fn after(&self, k: Kw) -> Option<&'a str> {
        let i = self.find(k)? + k.text().len();
        self.raw.get(i..)
    }

    /// The text after `Build/` when it directly follows the Android model code (`SM-T580 Build/PPR1.…` →
    /// `PPR1.…`; Cronet's `SN01DNGL300; Build/RTT0.…` puts a `;` between), from the cached model parse (no
    /// search).
    pub fn build_id(&self) -> Option<&'a str> {
        let model = self.android_model()?;
        let end = (model.as_ptr() as usize).checked_sub(self.raw.as_ptr() as usize)? + model.len();
        let l = self.lower();
        let end = end + usize::from(l.get(end) == Some(&b';'));
        let at = end + usize::from(l.get(end) == Some(&b' '));
        (l.get(at) == Some(&b'b') && starts_with_bytes(l.get(at..).unwrap_or_default(), b"build/"))
            .then(|| self.raw.get(at + 6..))
            .flatten()
    }

    /// The major version number right after keyword `k` (e.g. `version_after(kw!("chrome/"))` → 120).
    pub fn version_after(&self, k: Kw) -> Option<u32> {
        leading_number(self.after(k)?)
    }

    /// The Android device model code, e.g. `SM-T580` from `(Linux; Android 8.1.0; SM-T580 Build/…)`.
    /// Skips the version, a locale (`en-us`), `U`/`wv`/`K`-style fillers and a `Mobile`/`Tablet` marker.
    pub fn android_model(&self) -> Option<&'a str> {
        *self.model.get_or_init(|| self.parse_android_model())
    }

    fn parse_android_model(&self) -> Option<&'a str> {
        if !self.has(kw!("android")) {
            return None;
        }
        // The platform "Android" is followed by a version or `;` (not `SurfsharkAndroid/`, `com.….android`).
        let l = self.lower();
        // The scan found the first `android` (no search for it); later ones are searched only when it is not the
        // platform.
        let from = self.android_at.min(l.len());
        let later = l.get(from + 1..).unwrap_or_default();
        let i = std::iter::once(from)
            .chain(find_all(later, b"android").map(|i| i + from + 1))
            .find(|&i| {
                let after = l.get(i + 7..).unwrap_or_default();
                let after = after.strip_prefix(b" ").unwrap_or(after);
                after
                    .first()
                    .is_some_and(|c| c.is_ascii_digit() || *c == b';')
            })?;
        let rest = self.raw.get(i + "android".len()..)?;
        // Version: digits, dots, spaces, underscores, slashes.
        // (Byte loops and `trim_ascii`: the `char`-decoding trims cost ~250 instructions per UA here.)
        let skip = rest
            .bytes()
            .take_while(|c| c.is_ascii_digit() || matches!(c, b'.' | b' ' | b'_' | b'/' | b'-'))
            .count();
        let rest = rest.get(skip..)?;
        let mut rest = rest.strip_prefix(';')?;
        // The `;`-separated parts, up to the `)` that closes the platform comment: nothing after it is the model
        // (`Android 7.0;) … (compatible; FooBot)` has none). One byte loop finds whichever comes first (parts are
        // a few bytes long; two `memchr` calls per part each paid their call, and the `;` search ran to the end
        // of the UA when the model was the comment's last part).
        loop {
            let end = rest.bytes().position(|c| c == b';' || c == b')');
            let close = end.is_some_and(|i| rest.as_bytes().get(i) == Some(&b')'));
            let (part, next) = match end {
                Some(i) => (rest.get(..i)?, rest.get(i + 1..)),
                None => (rest, None),
            };
            let part = part.trim_ascii();
            if !(part.is_empty() || is_filler(part)) {
                let model = cut_build(part);
                return (!model.is_empty()).then_some(model);
            }
            if close {
                return None;
            }
            rest = next?;
        }
    }
}

/// Fillers that sit between the Android version and the model code: a locale (`en-us`, `zh-Hans-CN`, `de-`), `U`,
/// `wv`, architecture words, or a `Mobile`/`Tablet` marker.
fn is_filler(part: &str) -> bool {
    let b = part.as_bytes();
    let alpha = |c: &u8| c.is_ascii_alphabetic();
    // (Also a locale whose region was left empty: `de-`.)
    let locale = (b.len() == 3 || (5..=10).contains(&b.len()))
        && b.iter().take(2).all(alpha)
        && matches!(b.get(2), Some(b'-' | b'_'))
        && b.iter().skip(3).all(|c| alpha(c) || *c == b'-');
    // Lower-cased into a small buffer and matched as one `match` (the list unrolled into case-insensitive
    // compares was 2 KB of wasm on the first-request path).
    let mut low = [0u8; 8];
    if locale || b.len() > low.len() {
        return locale;
    }
    for (d, s) in low.iter_mut().zip(b) {
        *d = s.to_ascii_lowercase();
    }
    matches!(
        low.get(..b.len()).unwrap_or_default(),
        b"u" | b"i"
            | b"n"
            | b"wv"
            | b"mobile"
            | b"tablet"
            | b"arm"
            | b"arm_64"
            | b"linux"
            | b"x86_64"
            | b"x86"
            | b"aarch64"
    )
}

/// Drops ` Build/…` and anything after it from a model part.
fn cut_build(part: &str) -> &str {
    let b = part.as_bytes();
    let lower_pos = b.windows(6).position(|w| {
        w.first().is_some_and(|c| c | 0x20 == b'b') && w.eq_ignore_ascii_case(b"build/")
    });
    let cut = match lower_pos {
        Some(p) => part.get(..p).unwrap_or(part),
        None => part,
    };
    cut.trim_ascii()
}

/// First occurrence of `needle` in `hay` at or after `from` (memchr on the first byte, then compare).
#[inline]
fn find_bytes(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let mut at = from;
    while at < hay.len() {
        let i = at + memchr::memchr(first, hay.get(at..)?)?;
        if hay.get(i + 1..).is_some_and(|h| h.starts_with(rest)) {
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

/// `hay.starts_with(prefix)` as an inline byte loop (short prefixes: cheaper than a `memcmp` call).
#[inline]
pub(crate) fn starts_with_bytes(hay: &[u8], prefix: &[u8]) -> bool {
    hay.len() >= prefix.len() && hay.iter().zip(prefix).all(|(a, b)| a == b)
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
    s.as_bytes()
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
}
