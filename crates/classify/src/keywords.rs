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
//! So the index is built by `const fn`s at compile time — nothing runs at the first request — as a trigram
//! table: at every second byte of the UA, the pair there and the byte after it are looked up in one 128 Ki-bit
//! filter, and the few candidate keywords behind a hit, bucketed by the same trigram, are compared eight bytes
//! at a time (Wu–Manber-style skipping with a block of two). Round 10 keyed both on the trigram instead of the
//! pair: four in ten pairs of a UA are pairs some keyword has (`; `, `an`, `in`, `ro`…), one in six trigrams,
//! and a pair's bucket held ~5 entries where the trigram's holds ~2 (bench/classify/RESULTS.md).
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

    /// Scans lower-cased `hay` once (tests: without the padding `Ua` provides).
    #[cfg(test)]
    pub(crate) fn scan(hay: &[u8]) -> Hits {
        Self::scan_unpadded(hay).0
    }

    /// [`Hits::scan_marking`] of `hay`, padded here.
    #[cfg(test)]
    pub(crate) fn scan_unpadded(hay: &[u8]) -> (Hits, usize) {
        let mut v = hay.to_vec();
        v.resize(hay.len() + PAD, 0);
        Self::scan_marking(&v, hay.len())
    }

    /// Scans lower-cased text `buf[..len]` once; also returns the offset of the first `android` (`usize::MAX` if
    /// none), where the Android model parser starts instead of searching again. `buf` continues with [`PAD`]
    /// zero bytes after the text, so the scan reads a trigram and the eight bytes after it without a bounds
    /// branch (a shorter `buf` is copied first; `Ua` always pads).
    ///
    /// Nine UAs in ten open with `Mozilla/5.0 (` (or `4.0`), and no keyword lies in its first 12 bytes
    /// (checked by `tests::no_keyword_in_the_skipped_prefix`), so the scan starts at its `(`: six fewer
    /// lookups per UA. Word boundaries are unchanged: the byte before the `(` is a space.
    pub(crate) fn scan_marking(buf: &[u8], len: usize) -> (Hits, usize) {
        let Some(padded) = buf.get(..len.saturating_add(PAD)) else {
            let mut v = buf.get(..len).unwrap_or(buf).to_vec();
            let len = v.len();
            v.resize(len + PAD, 0);
            return Self::scan_marking(&v, len);
        };
        debug_assert!(padded.iter().skip(len).all(|&b| b == 0));
        let mut h = Hits {
            any: [0; WORDS],
            word_start: [0; WORDS],
            word: [0; WORDS],
        };
        let text = padded.get(..len).unwrap_or_default();
        let skip = if SKIPPED_PREFIXES.iter().any(|p| text.starts_with(p)) {
            SKIP
        } else {
            0
        };
        let mut android = usize::MAX;
        h.scan_pairs(
            padded.get(skip..).unwrap_or_default(),
            len.saturating_sub(skip),
            &mut android,
        );
        (h, android.saturating_add(skip))
    }

    /// Examines every second byte position (`q` = 0, 2, 4, …) by its trigram, the pair at `q` and the byte
    /// after it: a keyword of 3+ bytes starting at `p` shows its first pair at an even `q = p` or its second pair
    /// at an even `q = p + 1`, and the table lists both (Wu–Manber-style skipping with a block of two). The
    /// trigram is looked up in one 128 Ki-bit filter; only the positions that pass it (12.6 of ~63 per ua-dev UA)
    /// walk a bucket of entries keyed by the same trigram, ~2 entries instead of the ~5 sharing a pair.
    ///
    /// Entries that end with their pair (two-byte keywords; a three-byte keyword's second pair) admit any next
    /// byte: the filter passes all 256 trigrams of such a pair, and their entries are keyed `(pair, 0)` and
    /// walked when a small filter of those pairs says so. A two-byte keyword at an odd `p` is the second and
    /// third byte of the trigram at `q = p - 1`, whose filter bits are set for every first byte.
    ///
    /// Past the end of the text the bytes read as 0 (the padding), which no keyword contains.
    // Indexes into the compile-time tables are bounded by construction (`filter_word` < FILTER_WORDS, `bucket` <
    // NBUCKETS, ids < COUNT); the text is read with `get`. Written with `get` throughout, round 9's loop cost 8 %
    // more instructions per classification (bench/classify/RESULTS.md).
    #[allow(clippy::indexing_slicing)]
    fn scan_pairs(&mut self, hay: &[u8], len: usize, android: &mut usize) {
        let t = &PAIRS;
        let mut q = 0;
        // Three trigrams (at q, q + 2, q + 4) from one 8-byte load. The last load may examine up to two positions
        // past the text: their pairs hold a padding 0, which no keyword has, so they match nothing. The three
        // filter bits are gathered first and the candidates handled in one loop, so the candidate code exists
        // once, inlined (a call per candidate cost ~25 instructions of register saving).
        while q + 1 < len {
            let Some(chunk) = hay.get(q..).and_then(<[u8]>::first_chunk::<8>) else {
                break;
            };
            let w = u64::from_le_bytes(*chunk);
            let mut pass = 0u32;
            for k in 0..3 {
                let h = hash((w >> (16 * k)) as u32 & 0x00ff_ffff);
                pass |= u32::from(t.tri_bits[filter_word(h)] & filter_bit(h) != 0) << k;
            }
            while pass != 0 {
                let k = pass.trailing_zeros();
                pass &= pass - 1;
                let tri = (w >> (16 * k)) as u32 & 0x00ff_ffff;
                self.check_trigram(hay, q + 2 * k as usize, tri, android);
            }
            q += 6;
        }
    }

    /// The entries behind a trigram that passed the filter (see [`Hits::scan_pairs`]).
    // Table indexes bounded by construction, as in `scan_pairs`.
    #[allow(clippy::indexing_slicing)]
    #[inline(always)]
    fn check_trigram(&mut self, hay: &[u8], q: usize, tri: u32, android: &mut usize) {
        let t = &PAIRS;
        // The 8 bytes after the trigram (inside the padding: keyword bytes are never 0).
        let word = hay
            .get(q + 3..)
            .and_then(<[u8]>::first_chunk::<8>)
            .map_or(0, |w| u64::from_le_bytes(*w));
        self.walk(hay, q, tri, bucket(hash(tri)), word, android);
        let pair = tri & 0xffff;
        // Entries that end with their pair, unless the walk above already was theirs (at the end of the text).
        if tri != pair && t.pair_only[pair_slot(pair)] & (1 << (pair % 64)) != 0 {
            self.walk_pair_only(hay, q, pair, android);
        }
        // A two-byte keyword at the odd offset `q + 1`.
        let odd = (tri >> 8) as u16;
        if SHORT_FIRST[usize::from(odd as u8 >> 6)] & (1 << (odd & 63)) != 0 {
            for &(pair, id) in &SHORT {
                if pair == odd {
                    self.set(hay, usize::from(id), q + 1, q + 3);
                }
            }
        }
    }

    /// [`Hits::walk`] of the entries that end with `pair` (rare: out of line).
    #[inline(never)]
    fn walk_pair_only(&mut self, hay: &[u8], q: usize, pair: u32, android: &mut usize) {
        self.walk(hay, q, pair, bucket(hash(pair)), 0, android);
    }

    /// Sets the keywords of bucket `b` whose entry matches `key` at `q` (`word`: the 8 bytes after the key).
    // Table indexes bounded by construction, as in `scan_pairs`; `hay[q - 1]` by `q > 0` (`q < len`).
    #[allow(clippy::indexing_slicing)]
    #[inline(always)]
    fn walk(&mut self, hay: &[u8], q: usize, key: u32, b: usize, word: u64, android: &mut usize) {
        let t = &PAIRS;
        let (from, to) = (usize::from(t.start[b]), usize::from(t.start[b + 1]));
        for e in &t.entries[from..to] {
            if e.key != key || word & e.mask8 != e.rest8 {
                continue;
            }
            // Entries for a keyword's second pair also check the byte before.
            let start = match e.before {
                0 => q,
                c if q > 0 && hay[q - 1] == c => q - 1,
                _ => continue,
            };
            let end = q + usize::from(e.len);
            // Keywords longer than the key and 8 bytes: the rest of the text (rare).
            if end > q + 11 && hay.get(q + 11..end) != e.id_text().get(q + 11 - start..) {
                continue;
            }
            self.set(hay, usize::from(e.id), start, end);
            if e.id == ANDROID.0 {
                *android = (*android).min(start);
            }
        }
    }
}

const ANDROID: Kw = Kw::of("android");

/// Zero bytes after the text in the buffer [`Hits::scan_marking`] reads: 8 bytes from the last even offset, and
/// the 8 bytes after a trigram examined up to two positions past the text (`q + 15 <= len + 13`).
pub(crate) const PAD: usize = 16;

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

/// The hash of a trigram (pair in the low 16 bits, next byte in bits 16–23): its top 16 bits index the
/// filter, its top 11 bits the bucket.
#[inline]
const fn hash(tri: u32) -> u32 {
    tri.wrapping_mul(0x9E37_79B1)
}

/// Words of the trigram filter: 128 Ki bits, of which ~5,900 are set (4.5 %; most are the 256 trigrams of each
/// pair that ends a keyword), so about that share of a UA's positions pass it by collision. At 64 Ki bits twice
/// as many did, which cost ~330 instructions per UA (bench/classify/RESULTS.md, round 10).
const FILTER_WORDS: usize = 2048;

/// Word of the trigram filter for a trigram hash (its top 11 bits).
#[inline]
const fn filter_word(h: u32) -> usize {
    (h >> 21) as usize
}

/// Bit of the trigram filter for a trigram hash (the next 6 bits).
#[inline]
const fn filter_bit(h: u32) -> u64 {
    1 << ((h >> 15) & 63)
}

/// Bucket of a trigram hash.
#[inline]
const fn bucket(h: u32) -> usize {
    (h >> (32 - 11)) as usize
}

/// Word of [`Pairs::pair_only`] for a pair (1 Ki bits: the word is a hash of the pair, the bit its low 6 bits).
#[inline]
const fn pair_slot(pair: u32) -> usize {
    (pair.wrapping_mul(0x9E37_79B1) >> (32 - 4)) as usize
}

/// One way to spot a keyword: a byte pair inside it and the byte after (the entry's key), and what must
/// surround them.
#[derive(Clone, Copy)]
struct Entry {
    /// The pair (low 16 bits) and the keyword's next byte (bits 16–23), 0 when the keyword ends with the pair.
    key: u32,
    id: u16,
    /// The keyword's first byte, when the pair is its second and third byte (0: the pair is its first).
    before: u8,
    /// End of the keyword, counted from the pair's first byte.
    len: u8,
    /// The first 8 bytes of the keyword after the key, as a little-endian word, and the mask of the bytes it
    /// has. (Bytes past those 8 are compared with the keyword's text: a slice here would make the table a
    /// quarter larger in wasm.)
    rest8: u64,
    mask8: u64,
}

impl Entry {
    /// The keyword's bytes.
    fn id_text(&self) -> &'static [u8] {
        Kw(self.id).text().as_bytes()
    }
}

/// The first bytes of the two-byte keywords' pairs (a set of their low 6 bits; see `check_trigram`).
#[allow(clippy::indexing_slicing)] // evaluated at compile time: an index out of range fails the build
const SHORT_FIRST: [u64; 4] = {
    let mut bits = [0u64; 4];
    let mut i = 0;
    while i < SHORTS {
        let b = SHORT[i].0 as u8;
        bits[b as usize / 64] |= 1 << (b % 64);
        i += 1;
    }
    bits
};

/// The distinct keywords indexed by trigram, built at compile time (no work at the first request).
struct Pairs {
    start: [u16; NBUCKETS + 1],
    entries: [Entry; ENTRIES],
    /// Which trigrams ([`hash`], 128 Ki bits) can start an entry's match: an entry's key, every trigram of a
    /// pair that ends an entry's keyword, and every trigram whose second and third byte are a two-byte keyword.
    tri_bits: [u64; FILTER_WORDS],
    /// Which pairs end an entry's keyword ([`pair_slot`]).
    pair_only: [u64; 16],
}

const EMPTY: Entry = Entry {
    key: 0,
    id: 0,
    before: 0,
    len: 0,
    rest8: 0,
    mask8: 0,
};

#[allow(clippy::indexing_slicing)] // evaluated at compile time: an index out of range fails the build
const fn entry(k: &'static [u8], id: usize, offset: usize) -> Entry {
    let tail = k.split_at(offset + 2).1;
    let (next, rest) = match tail.split_first() {
        Some((&c, rest)) => (c, rest),
        None => (0, tail),
    };
    let (mut rest8, mut mask8) = (0u64, 0u64);
    let mut j = 0;
    while j < rest.len() && j < 8 {
        rest8 |= (rest[j] as u64) << (8 * j);
        mask8 |= 0xff << (8 * j);
        j += 1;
    }
    assert!(
        k.len() - offset < 256,
        "keywords are shorter than 256 bytes"
    );
    Entry {
        key: u32::from_le_bytes([k[offset], k[offset + 1], next, 0]),
        id: id as u16,
        before: if offset == 0 { 0 } else { k[0] },
        len: (k.len() - offset) as u8,
        rest8,
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
        let mut j = 0;
        while j < k.len() {
            assert!(k[j] != 0, "keywords hold no 0 byte (the scan pads with 0)");
            j += 1;
        }
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

/// Sets the filter bit of trigram `tri`.
#[allow(clippy::indexing_slicing)] // evaluated at compile time: an index out of range fails the build
const fn set_tri(bits: &mut [u64; FILTER_WORDS], tri: u32) {
    let h = hash(tri);
    bits[filter_word(h)] |= filter_bit(h);
}

#[allow(clippy::indexing_slicing)] // evaluated at compile time: an index out of range fails the build
static PAIRS: Pairs = {
    let (all, n) = all_entries();
    let mut counts = [0u16; NBUCKETS + 1];
    let mut i = 0;
    while i < n {
        counts[bucket(hash(all[i].key)) + 1] += 1;
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
    let mut tri_bits = [0u64; FILTER_WORDS];
    let mut pair_only = [0u64; 16];
    let mut i = 0;
    while i < n {
        let e = all[i];
        let b = bucket(hash(e.key));
        entries[(start[b] + fill[b]) as usize] = e;
        fill[b] += 1;
        if e.key >> 16 == 0 {
            // The keyword ends with the pair: any next byte.
            let mut next = 0u32;
            while next < 256 {
                set_tri(&mut tri_bits, e.key | next << 16);
                next += 1;
            }
            pair_only[pair_slot(e.key)] |= 1 << (e.key % 64);
        } else {
            set_tri(&mut tri_bits, e.key);
        }
        i += 1;
    }
    // Every trigram whose second and third byte are a two-byte keyword (one at an odd offset).
    let mut s = 0;
    while s < SHORTS {
        let mut first = 0u32;
        while first < 256 {
            set_tri(&mut tri_bits, first | (SHORT[s].0 as u32) << 8);
            first += 1;
        }
        s += 1;
    }
    Pairs {
        start,
        entries,
        tri_bits,
        pair_only,
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
                let (h, android) = Hits::scan_unpadded(hay.as_bytes());
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
