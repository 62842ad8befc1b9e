//! The keyword table and the one-pass scan behind every "does the UA contain X?" question.
//!
//! Why: the rules ask ~250 such questions per UA, and answering each with its own substring search cost most
//! of the classification time (round 2 profile). Instead every keyword any rule uses is declared next to that
//! rule (each rules module's `KEYWORD_LISTS`), all lists are concatenated here at compile time into one table,
//! and one pass over the UA sets three bit sets: keyword occurs, occurs at the start of a word, occurs as a
//! whole word. Rules then test bits.
//!
//! Why not an automaton crate: an `aho-corasick` DFA over the same table was the fastest native scan, but
//! building it at the first request cost ~1.5–2 ms natively and ~10 ms in wasm (the cold-start budget is
//! 2 ms); its contiguous NFA builds faster but scanned slower than this table (bench/classify/RESULTS.md).
//! So the index is built by `const fn`s at compile time — nothing runs at the first request — as a byte-pair
//! table: every second pair of the UA is looked up in an exact 64 Ki-bit pair filter, a hit must also pass a
//! 64 Ki-bit filter of (pair, next byte) — three in four pair hits are common pairs such as `; ` or `an` that
//! start no keyword there — and the few candidate keywords behind it are compared eight bytes at a time
//! (Wu–Manber-style skipping with a block of two).
//!
//! Rules name a keyword with [`kw!`]`("…")`, which resolves to its table index at compile time and fails the
//! build when the keyword is not declared in any list, so a rule and its keyword list cannot drift apart.

use crate::rules;

/// Every module's keyword lists, in order (duplicates allowed: a keyword's id is its first occurrence).
const SOURCES: &[&[&[&str]]] = &[
    rules::email::KEYWORD_LISTS,
    rules::bot::KEYWORD_LISTS,
    rules::device::KEYWORD_LISTS,
    rules::software::KEYWORD_LISTS,
];

#[allow(clippy::indexing_slicing)] // evaluated at compile time: an index out of range fails the build
const fn count(sources: &[&[&[&str]]]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < sources.len() {
        let mut j = 0;
        while j < sources[i].len() {
            n += sources[i][j].len();
            j += 1;
        }
        i += 1;
    }
    n
}

/// Number of table entries (with duplicates).
pub(crate) const COUNT: usize = count(SOURCES);
/// 64-bit words per bit set.
pub(crate) const WORDS: usize = COUNT.div_ceil(64);

/// All keywords at run time (a `static`, so indexing it never copies the array).
static KEYWORDS: [&str; COUNT] = TABLE;

/// All keywords, concatenated in `SOURCES` order.
#[allow(clippy::indexing_slicing)] // evaluated at compile time: an index out of range fails the build
pub(crate) const TABLE: [&str; COUNT] = {
    let mut out = [""; COUNT];
    let mut k = 0;
    let mut i = 0;
    while i < SOURCES.len() {
        let mut j = 0;
        while j < SOURCES[i].len() {
            let mut m = 0;
            while m < SOURCES[i][j].len() {
                out[k] = SOURCES[i][j][m];
                k += 1;
                m += 1;
            }
            j += 1;
        }
        i += 1;
    }
    out
};

#[allow(clippy::indexing_slicing)] // evaluated at compile time: an index out of range fails the build
const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// A keyword's index in [`TABLE`] (its first occurrence).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Kw(u16);

impl Kw {
    /// The id of `s`; a compile-time error (const panic) when no list declares it or it is not lowercase ASCII.
    #[allow(clippy::indexing_slicing)] // evaluated at compile time: an index out of range fails the build
    pub(crate) const fn of(s: &str) -> Kw {
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            assert!(
                b[i].is_ascii() && !b[i].is_ascii_uppercase(),
                "keywords are lowercase ASCII"
            );
            i += 1;
        }
        let mut i = 0;
        while i < COUNT {
            if same(TABLE[i], s) {
                return Kw(i as u16);
            }
            i += 1;
        }
        panic!("keyword not declared in any rules module's KEYWORD_LISTS")
    }

    /// The keyword text.
    pub(crate) fn text(self) -> &'static str {
        KEYWORDS.get(self.0 as usize).copied().unwrap_or_default()
    }
}

/// Resolves a keyword literal to its [`Kw`] id at compile time.
macro_rules! kw {
    ($s:literal) => {{
        const ID: $crate::keywords::Kw = $crate::keywords::Kw::of($s);
        ID
    }};
}
pub(crate) use kw;

/// A set of keywords, tested against a UA with one AND per 64 keywords.
#[derive(Clone, Copy, Debug)]
pub(crate) struct KwSet([u64; WORDS]);

impl KwSet {
    /// The set of `list`'s keywords (each must be declared; checked at compile time when used in a const).
    #[allow(clippy::indexing_slicing)] // evaluated at compile time: an index out of range fails the build
    pub(crate) const fn of(list: &[&str]) -> KwSet {
        let mut bits = [0u64; WORDS];
        let mut i = 0;
        while i < list.len() {
            let Kw(id) = Kw::of(list[i]);
            bits[id as usize / 64] |= 1 << (id % 64);
            i += 1;
        }
        KwSet(bits)
    }
}

/// A keyword list in precedence order, for "the first listed keyword that occurs": the set of its keywords
/// and each keyword's position in the list, so the answer costs one AND per 64 keywords plus one lookup per
/// keyword that occurs, instead of one test per list entry.
pub(crate) struct Ranked {
    set: KwSet,
    rank: [u8; COUNT],
}

impl Ranked {
    /// Ranks the keywords of `list` by position (at most 255 entries; a repeated keyword keeps its first rank).
    #[allow(clippy::indexing_slicing)] // evaluated at compile time: an index out of range fails the build
    pub(crate) const fn of<T: Copy>(list: &[(Kw, T)]) -> Ranked {
        assert!(
            list.len() < u8::MAX as usize,
            "ranked lists hold fewer than 255 entries"
        );
        let mut set = [0u64; WORDS];
        let mut rank = [u8::MAX; COUNT];
        let mut i = 0;
        while i < list.len() {
            let id = list[i].0.0 as usize;
            if rank[id] == u8::MAX {
                rank[id] = i as u8;
            }
            set[id / 64] |= 1 << (id % 64);
            i += 1;
        }
        Ranked {
            set: KwSet(set),
            rank,
        }
    }
}

/// Which keywords occur in one UA, and where (word-start / whole-word occurrences).
pub(crate) struct Hits {
    any: [u64; WORDS],
    word_start: [u64; WORDS],
    word: [u64; WORDS],
}

// Every `Kw` is made at compile time from a table index (`Kw::of`), so `id / 64 < WORDS`; this runs for every
// keyword question a rule asks, where `get` cost ~1 % of a classification.
#[allow(clippy::indexing_slicing)]
#[inline]
fn test(bits: &[u64; WORDS], Kw(id): Kw) -> bool {
    bits[id as usize / 64] & (1 << (id % 64)) != 0
}

impl Hits {
    /// Whether the keyword occurs anywhere.
    #[inline]
    pub(crate) fn has(&self, k: Kw) -> bool {
        test(&self.any, k)
    }

    /// Whether the keyword occurs not preceded by an ASCII letter or digit.
    #[inline]
    pub(crate) fn has_word_start(&self, k: Kw) -> bool {
        test(&self.word_start, k)
    }

    /// Whether the keyword occurs neither preceded nor followed by an ASCII letter or digit.
    #[inline]
    pub(crate) fn has_word(&self, k: Kw) -> bool {
        test(&self.word, k)
    }

    /// Whether any keyword of `set` occurs.
    #[inline]
    pub(crate) fn has_any(&self, set: &KwSet) -> bool {
        self.any.iter().zip(&set.0).any(|(a, b)| a & b != 0)
    }

    /// Whether any keyword of `set` occurs at the start of a word.
    #[inline]
    pub(crate) fn has_any_word_start(&self, set: &KwSet) -> bool {
        self.word_start.iter().zip(&set.0).any(|(a, b)| a & b != 0)
    }

    /// The position in `r`'s list of the first listed keyword that occurs.
    pub(crate) fn first_of(&self, r: &Ranked) -> Option<usize> {
        let mut best = u8::MAX;
        for (w, (&a, &m)) in self.any.iter().zip(&r.set.0).enumerate() {
            let mut bits = a & m;
            while bits != 0 {
                let rank = r.rank.get(w * 64 + bits.trailing_zeros() as usize);
                best = best.min(rank.copied().unwrap_or(u8::MAX));
                bits &= bits - 1;
            }
        }
        (best != u8::MAX).then_some(usize::from(best))
    }

    // The scan's inner loop: every index is bounded by the loop condition (`q + 1 < hay.len()`), by a table
    // built at compile time (`bucket` < NBUCKETS, ids < COUNT), or by a length checked just before. Written with
    // `get`, the loop cost 8 % more instructions per classification (bench/classify/RESULTS.md, round 9).
    #[allow(clippy::indexing_slicing)]
    #[inline]
    fn set(&mut self, hay: &[u8], id: usize, start: usize, end: usize) {
        let (w, bit) = (id / 64, 1u64 << (id % 64));
        self.any[w] |= bit;
        let before = start == 0 || !hay[start - 1].is_ascii_alphanumeric();
        if before {
            self.word_start[w] |= bit;
            let after = hay.get(end).is_none_or(|b| !b.is_ascii_alphanumeric());
            if after {
                self.word[w] |= bit;
            }
        }
    }

    /// Scans lower-cased `hay` once.
    #[cfg(test)]
    pub(crate) fn scan(hay: &[u8]) -> Hits {
        Self::scan_marking(hay).0
    }

    /// Scans lower-cased `hay` once; also returns the offset of the first `android` (`usize::MAX` if none),
    /// where the Android model parser starts instead of searching again.
    ///
    /// Nine UAs in ten open with `Mozilla/5.0 (` (or `4.0`), and no keyword lies in its first 12 bytes
    /// (checked by `tests::no_keyword_in_the_skipped_prefix`), so the scan starts at its `(`: six fewer pair
    /// lookups per UA. Word boundaries are unchanged: the byte before the `(` is a space.
    pub(crate) fn scan_marking(hay: &[u8]) -> (Hits, usize) {
        let mut h = Hits {
            any: [0; WORDS],
            word_start: [0; WORDS],
            word: [0; WORDS],
        };
        let skip = if SKIPPED_PREFIXES.iter().any(|p| hay.starts_with(p)) {
            SKIP
        } else {
            0
        };
        let mut android = usize::MAX;
        h.scan_pairs(hay.get(skip..).unwrap_or_default(), &mut android);
        (h, android.saturating_add(skip))
    }

    /// Examines every second byte pair (`q` = 0, 2, 4, …): a keyword of 3+ bytes starting at `p` shows its
    /// first pair at an even `q = p` or its second pair at an even `q = p + 1`, and the table lists both
    /// (Wu–Manber-style skipping with a block of two). A two-byte keyword is a table entry at an even `p`; at an
    /// odd `p` its second byte starts the even pair at `p + 1`, so the filter also passes every pair starting
    /// with such a byte, and the byte before is compared on the spot (no separate search per short keyword).
    // The scan's inner loop: every index is bounded by the loop condition (`q + 1 < hay.len()`), by a table
    // built at compile time (`bucket` < NBUCKETS, ids < COUNT), or by a length checked just before. Written with
    // `get`, the loop cost 8 % more instructions per classification (bench/classify/RESULTS.md, round 9).
    #[allow(clippy::indexing_slicing)]
    fn scan_pairs(&mut self, hay: &[u8], android: &mut usize) {
        let t = &PAIRS;
        let mut q = 0;
        while q + 1 < hay.len() {
            let key = u16::from_le_bytes([hay[q], hay[q + 1]]);
            if t.pair_bits[usize::from(key >> 6)] & (1 << (key & 63)) != 0 {
                if q > 0 && SHORT_SECOND[usize::from(hay[q] >> 6)] & (1 << (hay[q] & 63)) != 0 {
                    self.check_short(hay, q - 1);
                }
                // The byte after the pair must also fit some entry (most pair hits are common pairs such as
                // `; `, `in`, `an` that start no keyword here): one more bit test instead of the bucket walk.
                let gate = match hay.get(q + 2) {
                    Some(&c) => {
                        let i = trigram(key, c);
                        t.tri_bits[i / 64] & (1 << (i % 64)) != 0
                    }
                    None => true,
                };
                if gate {
                    self.check_pair(hay, q, key, android);
                }
            }
            q += 2;
        }
        // A two-byte keyword ending the text at an odd offset has no even pair after its first byte.
        if hay.len() % 2 == 1 && hay.len() >= 3 {
            self.check_short(hay, hay.len() - 2);
        }
    }

    /// Sets the two-byte keyword at `p`, if any.
    #[inline]
    fn check_short(&mut self, hay: &[u8], p: usize) {
        if let Some(&[a, b]) = hay.get(p..).and_then(<[u8]>::first_chunk::<2>) {
            let key = u16::from_le_bytes([a, b]);
            for &(pair, id) in &SHORT {
                if pair == key {
                    self.set(hay, usize::from(id), p, p + 2);
                }
            }
        }
    }

    // The scan's inner loop: every index is bounded by the loop condition (`q + 1 < hay.len()`), by a table
    // built at compile time (`bucket` < NBUCKETS, ids < COUNT), or by a length checked just before. Written with
    // `get`, the loop cost 8 % more instructions per classification (bench/classify/RESULTS.md, round 9).
    #[allow(clippy::indexing_slicing)]
    fn check_pair(&mut self, hay: &[u8], q: usize, key: u16, android: &mut usize) {
        let t = &PAIRS;
        let b = bucket(key);
        let (from, to) = (usize::from(t.start[b]), usize::from(t.start[b + 1]));
        // The 8 bytes after the pair, zero-padded (keyword bytes are never 0).
        let after = &hay[q + 2..];
        let word = match after.first_chunk::<8>() {
            Some(w) => u64::from_le_bytes(*w),
            None => after
                .iter()
                .rev()
                .fold(0u64, |acc, &b| acc << 8 | u64::from(b)),
        };
        for e in &t.entries[from..to] {
            if e.pair != key || word & e.mask8 != e.tail8 {
                continue;
            }
            // Entries for a keyword's second pair also check the byte before.
            let start = match e.before {
                None => q,
                Some(c) if q > 0 && hay[q - 1] == c => q - 1,
                Some(_) => continue,
            };
            if e.tail.len() > 8 && after.get(8..e.tail.len()) != Some(&e.tail[8..]) {
                continue;
            }
            self.set(hay, usize::from(e.id), start, q + 2 + e.tail.len());
            if e.id == ANDROID.0 {
                *android = (*android).min(start);
            }
        }
    }
}

const ANDROID: Kw = Kw::of("android");

/// UA openings whose first [`SKIP`] bytes hold no keyword (see [`Hits::scan_marking`]).
const SKIPPED_PREFIXES: [&[u8]; 2] = [b"mozilla/5.0 (", b"mozilla/4.0 ("];
/// `mozilla/5.0 ` without the `(`, which keywords such as `(iphone;` start with.
const SKIP: usize = 12;

const NBUCKETS: usize = 2048;
/// Table entries: up to two per keyword.
const ENTRIES: usize = 2 * COUNT;
/// Two-byte keywords (at most).
const SHORTS: usize = count_shorts();

#[allow(clippy::indexing_slicing)] // evaluated at compile time: an index out of range fails the build
const fn count_shorts() -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < COUNT {
        if TABLE[i].len() == 2 && Kw::of(TABLE[i]).0 as usize == i {
            n += 1;
        }
        i += 1;
    }
    n
}

/// Bucket of a byte pair (little-endian `u16`).
#[inline]
const fn bucket(pair: u16) -> usize {
    ((pair as u32).wrapping_mul(0x9E37_79B1) >> (32 - 11)) as usize
}

/// Bit index (of 64 Ki) of a byte pair and the byte after it, for the trigram gate in [`Hits::scan_pairs`].
#[inline]
const fn trigram(pair: u16, next: u8) -> usize {
    ((pair as u32 ^ (next as u32) << 16).wrapping_mul(0x9E37_79B1) >> 16) as usize
}

/// One way to spot a keyword: a byte pair inside it, and what must surround the pair.
#[derive(Clone, Copy)]
struct Entry {
    pair: u16,
    id: u16,
    /// The keyword's first byte, when `pair` is its second and third byte.
    before: Option<u8>,
    /// The keyword after `pair`.
    tail: &'static [u8],
    /// The first 8 bytes of `tail` as a little-endian word, and the mask of the bytes it has.
    tail8: u64,
    mask8: u64,
}

/// The second bytes of the two-byte keywords (a 256-bit set).
#[allow(clippy::indexing_slicing)] // evaluated at compile time: an index out of range fails the build
const SHORT_SECOND: [u64; 4] = {
    let mut bits = [0u64; 4];
    let mut i = 0;
    while i < SHORTS {
        let b = (SHORT[i].0 >> 8) as u8;
        bits[b as usize / 64] |= 1 << (b % 64);
        i += 1;
    }
    bits
};

/// The distinct keywords indexed by byte pair, built at compile time (no work at the first request).
struct Pairs {
    start: [u16; NBUCKETS + 1],
    entries: [Entry; ENTRIES],
    /// Which pairs start any entry, or start with a two-byte keyword's second byte (64 Ki bits).
    pair_bits: [u64; 1024],
    /// Which (pair, next byte) triples can start an entry's match ([`trigram`], 64 Ki bits); an entry whose
    /// keyword ends with its pair admits every next byte.
    tri_bits: [u64; 1024],
}

const EMPTY: Entry = Entry {
    pair: 0,
    id: 0,
    before: None,
    tail: &[],
    tail8: 0,
    mask8: 0,
};

#[allow(clippy::indexing_slicing)] // evaluated at compile time: an index out of range fails the build
const fn entry(k: &'static [u8], id: usize, offset: usize) -> Entry {
    let tail = k.split_at(offset + 2).1;
    let (mut tail8, mut mask8) = (0u64, 0u64);
    let mut j = 0;
    while j < tail.len() && j < 8 {
        tail8 |= (tail[j] as u64) << (8 * j);
        mask8 |= 0xff << (8 * j);
        j += 1;
    }
    Entry {
        pair: u16::from_le_bytes([k[offset], k[offset + 1]]),
        id: id as u16,
        before: if offset == 0 { None } else { Some(k[0]) },
        tail,
        tail8,
        mask8,
    }
}

/// The entries of every distinct keyword: its first pair, and (3+ bytes) its second pair.
#[allow(clippy::indexing_slicing)] // evaluated at compile time: an index out of range fails the build
const fn all_entries() -> ([Entry; ENTRIES], usize) {
    let mut out = [EMPTY; ENTRIES];
    let mut n = 0;
    let mut i = 0;
    while i < COUNT {
        let k = TABLE[i].as_bytes();
        assert!(k.len() >= 2, "keywords are at least two bytes long");
        if Kw::of(TABLE[i]).0 as usize == i {
            out[n] = entry(k, i, 0);
            n += 1;
            if k.len() >= 3 {
                out[n] = entry(k, i, 1);
                n += 1;
            }
        }
        i += 1;
    }
    (out, n)
}

/// The two-byte keywords (the pair as a little-endian `u16`, id).
#[allow(clippy::indexing_slicing)] // evaluated at compile time: an index out of range fails the build
const SHORT: [(u16, u16); SHORTS] = {
    let mut out = [(0u16, 0u16); SHORTS];
    let mut n = 0;
    let mut i = 0;
    while i < COUNT {
        let k = TABLE[i].as_bytes();
        if k.len() == 2 && Kw::of(TABLE[i]).0 as usize == i {
            out[n] = (u16::from_le_bytes([k[0], k[1]]), i as u16);
            n += 1;
        }
        i += 1;
    }
    out
};

#[allow(clippy::indexing_slicing)] // evaluated at compile time: an index out of range fails the build
static PAIRS: Pairs = {
    let (all, n) = all_entries();
    let mut counts = [0u16; NBUCKETS + 1];
    let mut i = 0;
    while i < n {
        counts[bucket(all[i].pair) + 1] += 1;
        i += 1;
    }
    let mut start = [0u16; NBUCKETS + 1];
    let mut b = 1;
    while b <= NBUCKETS {
        start[b] = start[b - 1] + counts[b];
        b += 1;
    }
    let mut fill = [0u16; NBUCKETS];
    let mut entries = [EMPTY; ENTRIES];
    let mut pair_bits = [0u64; 1024];
    let mut tri_bits = [0u64; 1024];
    let mut i = 0;
    while i < n {
        let e = all[i];
        let b = bucket(e.pair);
        entries[(start[b] + fill[b]) as usize] = e;
        fill[b] += 1;
        pair_bits[e.pair as usize / 64] |= 1 << (e.pair % 64);
        if e.tail.is_empty() {
            let mut next = 0usize;
            while next < 256 {
                let t = trigram(e.pair, next as u8);
                tri_bits[t / 64] |= 1 << (t % 64);
                next += 1;
            }
        } else {
            let t = trigram(e.pair, e.tail[0]);
            tri_bits[t / 64] |= 1 << (t % 64);
        }
        i += 1;
    }
    // Every pair starting with a two-byte keyword's second byte (see `Hits::scan_pairs`).
    let mut s = 0;
    while s < SHORTS {
        let first = SHORT[s].0 >> 8;
        let mut next = 0u16;
        while next < 256 {
            let pair = first | next << 8;
            pair_bits[pair as usize / 64] |= 1 << (pair % 64);
            next += 1;
        }
        s += 1;
    }
    Pairs {
        start,
        entries,
        pair_bits,
        tri_bits,
    }
};

#[cfg(test)]
#[allow(clippy::string_slice)] // tests may panic (their keyword pieces are ASCII)
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The bits a naive search over every keyword would set.
    fn naive(hay: &[u8]) -> Hits {
        let mut h = Hits {
            any: [0; WORDS],
            word_start: [0; WORDS],
            word: [0; WORDS],
        };
        let mut seen = std::collections::HashSet::new();
        for (id, k) in TABLE.iter().enumerate() {
            let k = k.as_bytes();
            if !seen.insert(k) || k.len() > hay.len() {
                continue;
            }
            for start in 0..=hay.len() - k.len() {
                if &hay[start..start + k.len()] == k {
                    h.set(hay, id, start, start + k.len());
                }
            }
        }
        h
    }

    fn same_bits(a: &Hits, b: &Hits) -> bool {
        a.any == b.any && a.word_start == b.word_start && a.word == b.word
    }

    /// Every keyword is found at both byte parities, at the start and at the end of the text.
    #[test]
    fn finds_every_keyword_at_every_alignment() {
        for k in TABLE {
            let id = Kw::of(k);
            for (pre, post) in [("", ""), ("x", ""), ("", " y"), ("x ", "y"), ("xx;", ")")] {
                let hay = format!("{pre}{k}{post}");
                let h = Hits::scan(hay.as_bytes());
                assert!(h.has(id), "{k:?} not found in {hay:?}");
                assert!(
                    same_bits(&h, &naive(hay.as_bytes())),
                    "bits differ for {hay:?}"
                );
            }
        }
    }

    /// No keyword lies in, or starts inside, the bytes `scan_marking` skips.
    #[test]
    fn no_keyword_in_the_skipped_prefix() {
        for p in SKIPPED_PREFIXES {
            assert!(p.len() > SKIP && p[SKIP] == b'(');
            for i in 0..SKIP {
                let rest = &p[i..];
                for k in TABLE {
                    let k = k.as_bytes();
                    assert!(
                        !(rest.starts_with(k) || k.starts_with(rest)),
                        "{:?} overlaps the skipped prefix",
                        String::from_utf8_lossy(k)
                    );
                }
            }
        }
    }

    /// Behind a skipped prefix the scan still equals the naive search, with `android` offsets in the whole text.
    #[test]
    fn skipped_prefix_keeps_bits_and_offsets() {
        for k in TABLE {
            for p in ["mozilla/5.0 (", "mozilla/4.0 ("] {
                let hay = format!("{p}{k}; x");
                let (h, android) = Hits::scan_marking(hay.as_bytes());
                assert!(
                    same_bits(&h, &naive(hay.as_bytes())),
                    "bits differ for {hay:?}"
                );
                if k == "android" {
                    assert_eq!(android, p.len());
                }
            }
        }
    }

    #[test]
    fn word_bits_follow_boundaries() {
        let h = Hits::scan(b"smart-tv; tvbox android 12;watchface");
        assert!(h.has_word(Kw::of("tv")));
        assert!(h.has(Kw::of("tvbox")) && !h.has_word(Kw::of("mobile")));
        assert!(h.has_word_start(Kw::of("watch")) && !h.has_word(Kw::of("watch")));
        assert!(h.has(Kw::of("android")) && h.has_word(Kw::of("android")));
        assert!(!h.has_word(Kw::of("pc")) && !h.has(Kw::of("pc")));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// Texts glued from keyword pieces and separators: the one-pass scan equals a naive search.
        #[test]
        fn scan_equals_naive_search(parts in proptest::collection::vec(
            (0..COUNT, 0usize..4, 0usize..6, prop::sample::select(vec!["", " ", ";", "/", "x", "1", "(", "tv"])),
            0..12,
        )) {
            let mut hay = String::new();
            for (id, cut_front, cut_back, sep) in parts {
                let k = TABLE[id];
                let a = cut_front.min(k.len());
                let b = k.len().saturating_sub(cut_back).max(a);
                hay.push_str(&k[a..b]);
                hay.push_str(sep);
            }
            let h = Hits::scan(hay.as_bytes());
            prop_assert!(same_bits(&h, &naive(hay.as_bytes())), "bits differ for {:?}", hay);
            let hay = format!("mozilla/5.0 ({hay}");
            let h = Hits::scan(hay.as_bytes());
            prop_assert!(same_bits(&h, &naive(hay.as_bytes())), "bits differ for {:?}", hay);
        }
    }
}
