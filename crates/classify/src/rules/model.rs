//! Device model-code conventions: what a model code (the Android `…; <model> Build/…` part, or
//! `Sec-CH-UA-Model`) says about the device class. Every rule is a *naming convention* of a brand or product
//! family, not a list of individual devices; each group says whose convention it is and why it holds.
//! Evidence: device-detection.md §6 (tablet signals and their precision), §5 #2 (TV boxes), §5 #5 (wearables,
//! car head units, media players).

use crate::ua::{starts_ci, starts_with_bytes};
use std::cell::Cell;

/// A model code with a lower-cased copy, so the prefix and substring lists below compare plain bytes
/// (lists are lowercase; checked by `tests::lists_are_lowercase`).
struct Code<'a> {
    text: &'a str,
    raw: &'a [u8],
    inline: [u8; 64],
    heap: Option<Vec<u8>>,
    /// Which byte classes ([`class`]) occur: a substring whose classes are not all present cannot occur.
    classes: u64,
    /// The first 8 bytes of the lower-cased copy as a little-endian word, zero-padded: a list prefix of up to 8
    /// bytes is one masked compare (see [`Prefixes`]).
    head: u64,
    /// Whether a [`TABLET_PREFIXES`] entry is a prefix, once asked (`tv` and `tablet` both ask of the same code).
    tablet_prefix: Cell<Option<bool>>,
}

/// A 6-bit class of a lower-cased byte: letters and digits have their own, everything else shares 28.
const fn class(b: u8) -> u32 {
    match b {
        b'a'..=b'z' => (b - b'a') as u32,
        b'0'..=b'9' => 26 + (b - b'0') as u32,
        _ => 36 + (b % 28) as u32,
    }
}

/// [`class`] of every byte, as a table: one load per byte where the `match` took several branches.
#[allow(clippy::indexing_slicing)] // evaluated at compile time: an index out of range fails the build
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = class(b as u8) as u8;
        b += 1;
    }
    t
};

/// The set of byte classes in `b`.
#[inline(always)]
fn classes(b: &[u8]) -> u64 {
    // (`CLASS` has 256 entries: a `u8` index is always in range.)
    #[allow(clippy::indexing_slicing)]
    b.iter().fold(0, |m, &c| m | 1 << CLASS[usize::from(c)])
}

/// [`classes`] at compile time, for literal needles.
#[allow(clippy::indexing_slicing)] // evaluated at compile time: an index out of range fails the build
const fn class_set(b: &[u8]) -> u64 {
    let mut m = 0u64;
    let mut i = 0;
    while i < b.len() {
        m |= 1 << class(b[i]);
        i += 1;
    }
    m
}

/// `$code.contains($needle)` for a literal needle, whose byte classes are computed at compile time (LLVM did not
/// fold every runtime fold: ~140 instructions per UA in `tablet` alone).
macro_rules! contains {
    ($code:expr, $needle:literal) => {{
        const NEED: u64 = class_set($needle.as_bytes());
        $code.contains_need($needle, NEED)
    }};
}

/// A lowercase prefix list with an index by first byte, so a model is compared only with the entries that
/// start with its own first byte, and each entry's first 8 bytes as a word and mask, so that compare is one AND
/// and one `==` on [`Code::head`] (a byte loop per entry was most of a model's prefix tests: a Samsung code
/// meets ten `sm-…` phone prefixes).
struct Prefixes {
    list: &'static [&'static str],
    by_first: [u64; 64],
    /// Each entry's first 8 bytes (little-endian, zero-padded) and the mask of the bytes it has.
    heads: [(u64, u64); 64],
    /// The entries longer than 8 bytes, whose rest is compared byte by byte after the head.
    long: u64,
}

impl Prefixes {
    /// Indexes `list` (at most 64 non-empty lowercase entries; checked at compile time).
    #[allow(clippy::indexing_slicing)] // evaluated at compile time: an index out of range fails the build
    const fn new(list: &'static [&'static str]) -> Self {
        check_list(list);
        let mut by_first = [0u64; 64];
        let mut heads = [(0u64, 0u64); 64];
        let mut long = 0u64;
        let mut i = 0;
        while i < list.len() {
            let b = list[i].as_bytes();
            by_first[class(b[0]) as usize] |= 1 << i;
            let mut j = 0;
            while j < b.len() && j < 8 {
                heads[i].0 |= (b[j] as u64) << (8 * j);
                heads[i].1 |= 0xff << (8 * j);
                j += 1;
            }
            if b.len() > 8 {
                long |= 1 << i;
            }
            i += 1;
        }
        Prefixes {
            list,
            by_first,
            heads,
            long,
        }
    }
}

/// The compile-time checks of a [`Prefixes`] or [`Needles`] list: at most 64 entries (one bit each in a
/// `u64`), none empty, all lowercase (they are compared with the lower-cased model).
#[allow(clippy::indexing_slicing)] // evaluated at compile time: an index out of range fails the build
const fn check_list(list: &[&str]) {
    assert!(list.len() <= 64, "model lists hold at most 64 entries");
    let mut i = 0;
    while i < list.len() {
        let b = list[i].as_bytes();
        assert!(!b.is_empty(), "empty model list entry");
        let mut j = 0;
        while j < b.len() {
            assert!(!b[j].is_ascii_uppercase(), "model lists are lowercase");
            j += 1;
        }
        i += 1;
    }
}

impl<'a> Code<'a> {
    /// The lower-cased copy also turns `_` into a space: white-label firmware often writes the marketing name
    /// with underscores for spaces (`ACME_Tab_8`), and the lists below are written with spaces.
    // wasm SIMD for the lower-casing loop, as in `Ua::new` (which says why).
    #[cfg_attr(target_arch = "wasm32", target_feature(enable = "simd128"))]
    fn new(m: &'a str) -> Self {
        let raw = m.as_bytes();
        let mut inline = [0u8; 64];
        let norm = |c: u8| {
            if c == b'_' {
                b' '
            } else {
                c.to_ascii_lowercase()
            }
        };
        let heap = if raw.len() > inline.len() {
            Some(raw.iter().map(|&c| norm(c)).collect())
        } else {
            for (d, &s) in inline.iter_mut().zip(raw) {
                *d = norm(s);
            }
            None
        };
        let mut code = Code {
            text: m,
            raw,
            inline,
            heap,
            classes: 0,
            head: 0,
            tablet_prefix: Cell::new(None),
        };
        code.classes = classes(code.low());
        // The inline buffer is zero past the model; a model past it (> 64 bytes) has 8 bytes of its own.
        let head = match &code.heap {
            Some(v) => v.first_chunk::<8>(),
            None => code.inline.first_chunk::<8>(),
        };
        code.head = head.map_or(0, |h| u64::from_le_bytes(*h));
        code
    }

    fn low(&self) -> &[u8] {
        match &self.heap {
            Some(v) => v,
            None => self.inline.get(..self.raw.len()).unwrap_or_default(),
        }
    }

    /// Case-insensitive prefix test (`p` lowercase).
    fn starts(&self, p: &str) -> bool {
        // First byte before the slice compare: most list entries are rejected without a `memcmp` call.
        let (l, p) = (self.low(), p.as_bytes());
        p.first() == l.first() && starts_with_bytes(l, p)
    }

    /// Case-insensitive substring test (`n` lowercase, `need` its byte classes: use [`contains!`]); a needle
    /// with a byte class the model lacks is rejected without a search.
    #[inline(always)]
    fn contains_need(&self, n: &str, need: u64) -> bool {
        self.has_classes(need) && self.find(n.as_bytes())
    }

    /// Whether every byte class of `need` occurs (a necessary condition for any text of those classes).
    #[inline(always)]
    fn has_classes(&self, need: u64) -> bool {
        self.classes & need == need
    }

    /// Whether any entry of `list` occurs.
    fn contains_any(&self, list: &Needles) -> bool {
        list.list
            .iter()
            .zip(&list.classes)
            .any(|(n, &need)| self.classes & need == need && self.find(n.as_bytes()))
    }

    /// Substring search without the class filter.
    fn find(&self, n: &[u8]) -> bool {
        let l = self.low();
        let Some((&first, rest)) = n.split_first() else {
            return true;
        };
        l.windows(n.len())
            .any(|w| w.split_first() == Some((&first, rest)))
    }

    /// The length of the first entry of `list` that is a prefix.
    fn prefix_len(&self, list: &Prefixes) -> Option<usize> {
        let &first = self.low().first()?;
        let mut bits = list
            .by_first
            .get(class(first) as usize)
            .copied()
            .unwrap_or(0);
        while bits != 0 {
            let i = bits.trailing_zeros() as usize;
            if self.starts_entry(list, i) {
                return list.list.get(i).map(|p| p.len());
            }
            bits &= bits - 1;
        }
        None
    }

    /// Whether entry `i` of `list` is a prefix: the head compare, then the bytes past 8 for long entries.
    #[inline]
    fn starts_entry(&self, list: &Prefixes, i: usize) -> bool {
        let (value, mask) = list.heads.get(i).copied().unwrap_or((1, 0));
        self.head & mask == value
            && (list.long & (1 << i) == 0
                || list
                    .list
                    .get(i)
                    .is_some_and(|p| starts_with_bytes(self.low(), p.as_bytes())))
    }

    /// Whether a [`TABLET_PREFIXES`] entry is a prefix (computed once per code).
    fn tablet_prefix(&self) -> bool {
        if let Some(known) = self.tablet_prefix.get() {
            return known;
        }
        let known = self.starts_any(&TABLET);
        self.tablet_prefix.set(Some(known));
        known
    }

    /// Whether any entry of `list` is a prefix.
    fn starts_any(&self, list: &Prefixes) -> bool {
        let Some(&first) = self.low().first() else {
            return false;
        };
        let mut bits = list
            .by_first
            .get(class(first) as usize)
            .copied()
            .unwrap_or(0);
        while bits != 0 {
            if self.starts_entry(list, bits.trailing_zeros() as usize) {
                return true;
            }
            bits &= bits - 1;
        }
        false
    }
}

/// A lowercase substring list with each entry's byte classes precomputed (see [`Code::contains_need`]).
struct Needles {
    list: &'static [&'static str],
    classes: [u64; 64],
}

impl Needles {
    /// Indexes `list` (at most 64 non-empty lowercase entries; checked at compile time).
    #[allow(clippy::indexing_slicing)] // evaluated at compile time: an index out of range fails the build
    const fn new(list: &'static [&'static str]) -> Self {
        check_list(list);
        let mut classes = [0u64; 64];
        let mut i = 0;
        while i < list.len() {
            let b = list[i].as_bytes();
            let mut j = 0;
            while j < b.len() {
                classes[i] |= 1 << class(b[j]);
                j += 1;
            }
            i += 1;
        }
        Needles { list, classes }
    }
}

/// Offsets of the case-sensitive two-byte `pair` in `b`.
fn pairs(b: &[u8], pair: [u8; 2]) -> impl Iterator<Item = usize> + '_ {
    b.windows(2)
        .enumerate()
        .filter(move |(_, w)| **w == pair)
        .map(|(i, _)| i)
}

/// Brand words some vendors put in front of the model code (`SAMSUNG SM-T237P`, `HUAWEI M2-801W`).
fn brandless(m: &str) -> &str {
    for brand in [
        "samsung-", "samsung ", "huawei ", "honor ", "acer ", "nook ",
    ] {
        if starts_ci(m, brand) {
            return m.get(brand.len()..).unwrap_or(m).trim_ascii_start();
        }
    }
    m
}

/// Tablet prefixes strong enough to win over the TV heuristics below (`BTV-DL09` is a MediaPad, not a TV).
const TABLET_PREFIXES: &[&str] = &[
    // Samsung Galaxy Tab / Note tablets; `SCH-I800`-era carrier tabs are too rare to name.
    "sm-t",
    "sm-p",
    "sm-x",
    "gt-p",
    "gt-n51",
    "gt-n80", // Lenovo Tab / Yoga Tab / IdeaTab.
    "tb-",
    "tb2-",
    "tb3-",
    "yt-",
    "yt3-",
    "lenovo tb",
    "lenovo yt",
    "lenovo tab",
    "ideatab",
    // Huawei / Honor tablet families (MediaPad, MatePad, Honor Pad).
    "ags",
    "bah",
    "kob",
    "scm",
    "cmr",
    "mrx",
    "btv",
    "jdn",
    "agr",
    "dby",
    "cpn",
    "mediapad",
    "matepad",
    // MediaPad M2 / T1 (`M2-80x`, `M2-A01`, `T1-70x`, `T1-A2x`, `T1-82x`); the newer Huawei / Honor families
    // are in `HUAWEI_TABLET_PREFIXES`.
    "m2-80",
    "m2-a01",
    "t1-70",
    "t1-a2",
    "t1-82",
    // Google, Motorola, Asus, Sony.
    "nexus 7",
    "nexus 9",
    "nexus 10",
    "pixel c",
    "pixel tablet",
    "xoom",
    "transformer",
    "sgp",
    // Amazon Kindle Fire; Barnes & Noble Nook (`BNTV…`/`BNRV…`); Prestigio MultiPad; Digma tablet lines.
    "kindle",
    "bntv",
    "bnrv",
    "pmt",
    "pmp",
    "plane ",
    "optima ",
    "citi 7",
    "citi 1",
    // OPPO / OnePlus Pad (`OPD…`), realme Pad (`RMP…`).
    "opd",
    "rmp",
];

const TABLET: Prefixes = Prefixes::new(TABLET_PREFIXES);

/// More Huawei / Honor tablet families, whose cellular variants (`-L09`, `-AL00`, `-N09`) look like phone
/// codes: MediaPad T2/T3/M5/M6 (`PLE-`, `BG2-`, `SHT-`, `VRD-`), MatePad 11 (`DBR-`, `BTK-`, `GOT-`), Honor
/// Pad / Tab (`HEY-`, `HEY2-`, `ELN-`, `KRJ-`, `KRJ2-`; the `BZx-` family is matched in [`tablet`]). Checked
/// only for codes in Huawei shape (see [`huawei_variant`]), so other models pay nothing for the list.
///
/// The list names the family letters; a generation digit may follow (`BG2-`, `HEY2-`, `ELN2-`).
const HUAWEI_TABLET_FAMILIES: &[&str] = &[
    "ple", "bg", "sht", "vrd", "dbr", "btk", "got", "hey", "eln", "krj",
];

/// Whether a Huawei-shaped code's family letters are one of [`HUAWEI_TABLET_FAMILIES`].
fn huawei_tablet_family(b: &[u8]) -> bool {
    let letters = b.iter().take_while(|c| c.is_ascii_uppercase()).count();
    HUAWEI_TABLET_FAMILIES.iter().any(|f| {
        f.as_bytes()
            .eq_ignore_ascii_case(b.get(..letters).unwrap_or_default())
    })
}

/// Tablet model-code conventions of the large brands (device-detection.md §6 table).
fn tablet(c: &Code) -> bool {
    let m = c.text;
    let b = m.as_bytes();
    if c.tablet_prefix() {
        return true;
    }
    // Amazon Fire tablets: `KF` + 2–4 capitals (KFTT, KFAPWI).
    if (4..=6).contains(&b.len()) && c.starts("kf") && b.iter().skip(2).all(u8::is_ascii_uppercase)
    {
        return true;
    }
    let digit_at = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    // Huawei-shaped codes: the tablet families above, and Honor's `BZ` + letter family (Honor Pad / Play Pad:
    // `BZx-W09`, `BZx-AL00`).
    if huawei_variant(m).is_some()
        && (huawei_tablet_family(b)
            || (c.starts("bz") && b.get(2).is_some_and(u8::is_ascii_uppercase)))
    {
        return true;
    }
    // Lenovo's newer tablet codes drop the dash: `TB` + 3 digits (`TB328FU`).
    if c.starts("tb") && digit_at(2) && digit_at(3) && digit_at(4) {
        return true;
    }
    // Asus: TF + 3 digits (Transformer), K0xx / P0xx codes.
    if c.starts("tf") && digit_at(2) && digit_at(3) && digit_at(4) {
        return true;
    }
    if b.len() == 4 && matches!(b, [b'K' | b'P', b'0', ..]) && digit_at(2) {
        return true;
    }
    // Acer Iconia codes: A1-/A3- (Iconia Tab), B1-/B3- (Iconia One). Acer phones are Liquid `S`/`E`/`Z` codes.
    if b.len() > 3 && matches!(b, [b'A' | b'B', b'1' | b'3', b'-', ..]) {
        return true;
    }
    // LG G Pad: `LG-V` + digits (LG's V-series phones use `LG-H…`/`LM-V…` codes).
    if c.starts("lg-v") && digit_at(4) {
        return true;
    }
    // Nokia T-series tablets (`Nokia T20`).
    if c.starts("nokia t") && digit_at(7) && digit_at(8) {
        return true;
    }
    // Xiaomi's date-style codes mark Redmi Pad / Xiaomi Pad with `RP` after the 5-character date block
    // (`23073RPBFG`); Xiaomi phones use other letters there.
    if b.len() >= 8
        && b.iter().take(4).all(u8::is_ascii_digit)
        && c.low().get(5..).is_some_and(|r| r.starts_with(b"rp"))
    {
        return true;
    }
    // Russian-market ODM hardware codes (Digma and the white-label makers sharing its factories) close the
    // model with `<2 capitals><4 digits><2 capitals>` whose leading digits are the screen diagonal in inches:
    // `XS1234AB` is a 12" tablet, `XS8123AB` an 8" one, `XS5123AB` a 5" phone.
    if b.len() >= 8
        && b.split(|c| matches!(c, b' ' | b'_' | b'-'))
            .any(size_coded_tablet)
    {
        return true;
    }
    // Transsion (TECNO, Infinix, itel) write the brand before the code; phone codes put a one-digit series
    // after the letters (`TECNO KX7`) or start a longer number with the 5"–6" diagonal (`Infinix X6xxx`,
    // `itel W5xxx`), while the tablets' numbers start with the 7"–9" or 10"–13" diagonal (`itel W7xxx`,
    // `… X1234`, `… P10001L`), or are TECNO's DroiPad `DP` line.
    if let Some(code) = c.prefix_len(&TRANSSION).and_then(|n| b.get(n..)) {
        let letters = code.iter().take_while(|c| c.is_ascii_uppercase()).count();
        let number = code.get(letters..).unwrap_or_default();
        let digits = number.iter().take_while(|c| c.is_ascii_digit()).count();
        let size_first = (1..=2).contains(&letters)
            && digits >= 3
            && matches!(number, [b'1', b'0'..=b'3', ..] | [b'7'..=b'9', ..]);
        if size_first || code.starts_with(b"DP") {
            return true;
        }
    }
    // Huawei / Honor: `-W` + 2 digits is the Wi-Fi-only variant, which only tablets have (phones are always
    // cellular: `-L`, `-AL`, `-LX`…); the `-AL09`/`-AL19` cellular variants are MediaPad / MatePad ones.
    if let Some(v) = huawei_variant(m)
        && (v.starts_with(b"W") && v.get(1).is_some_and(u8::is_ascii_digit)
            || v.starts_with(b"AL09")
            || v.starts_with(b"AL19"))
    {
        return true;
    }
    // Alcatel: 4-digit codes in the 8000/9000 series are its tablets (phones are 4xxx–7xxx).
    if alcatel_code(b).is_some_and(|first| matches!(first, b'8' | b'9')) {
        return true;
    }
    // BQ: tablets are BQ-7xxx/8xxx/9xxx/10xx (phones are 4xxx–6xxx).
    let bq = m
        .strip_prefix("BQ-")
        .or_else(|| m.strip_prefix("BQru-"))
        .or_else(|| m.strip_prefix("BQRU-"));
    if let Some(rest) = bq
        && let Some(&c) = rest.as_bytes().first()
        && matches!(c, b'7' | b'8' | b'9' | b'1')
    {
        return true;
    }
    // "MID" (mobile internet device) as a word or code prefix: the generic white-label tablet name.
    if c.has_classes(class_set(b"mid")) && has_code_word(c.low(), b"mid") || c.starts("pmid") {
        return true;
    }
    // "Pad"/"Tab"/"Slate" inside the model name (MiPad, Pad 13, Tab S7, TAB-10US, HP Slate), iPlay (Alldocube);
    // not the phone brand Coolpad or the Asus PadFone.
    (contains!(c, "pad") && !contains!(c, "padfone") && !contains!(c, "coolpad"))
        || (contains!(c, "tab") && !contains!(c, "table "))
        || contains!(c, "slate")
        || contains!(c, "iplay")
}

/// Transsion brand words written before the model code (see [`tablet`]).
const TRANSSION: Prefixes = Prefixes::new(&["tecno ", "infinix ", "itel "]);

/// An ODM hardware code `<2 capitals><4 digits><2 capitals>` whose size digits name a tablet (7"–9" or
/// 10"–13"), see [`tablet`].
fn size_coded_tablet(w: &[u8]) -> bool {
    let [a, b, size @ .., y, z] = w else {
        return false;
    };
    w.len() == 8
        && [a, b, y, z].iter().all(|c| c.is_ascii_uppercase())
        && size.iter().all(u8::is_ascii_digit)
        && matches!(size, [b'7'..=b'9', ..] | [b'1', b'0'..=b'3', ..])
}

/// Whether `word` (lowercase) occurs in `m` delimited by start/end, space, `_` or `-`, or followed by digits
/// (`MID7012`, `GEOFOX MID 743`).
fn has_code_word(b: &[u8], word: &[u8]) -> bool {
    let n = word.len();
    (0..b.len().saturating_sub(n.saturating_sub(1))).any(|i| {
        b.get(i..i + n) == Some(word)
            && i.checked_sub(1)
                .and_then(|j| b.get(j))
                .is_none_or(|c| matches!(c, b' ' | b'_' | b'-'))
            && b.get(i + n)
                .is_none_or(|c| matches!(c, b' ' | b'_' | b'-') || c.is_ascii_digit())
    })
}

/// The variant part of a Huawei / Honor code (`AGS2-W09` → `W09`, `BG2-W09` → `W09`): 3–4 capitals and an
/// optional digit, or 2 capitals and a digit, then `-`.
fn huawei_variant(m: &str) -> Option<&[u8]> {
    let b = m.as_bytes();
    let letters = b.iter().take_while(|c| c.is_ascii_uppercase()).count();
    let digit = b.get(letters).is_some_and(u8::is_ascii_digit);
    if !((3..=4).contains(&letters) || letters == 2 && digit) {
        return None;
    }
    let mut i = letters;
    if digit {
        i += 1;
    }
    (b.get(i) == Some(&b'-')).then(|| b.get(i + 1..)).flatten()
}

/// An Alcatel-style bare code (`9032X`, `8094M`, `5033D`): 4 digits, an optional capital, optionally a
/// `_XX` market suffix. Returns the first digit.
fn alcatel_code(b: &[u8]) -> Option<u8> {
    if !b.first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let code = b.split(|&c| c == b'_').next()?;
    let ok = (4..=5).contains(&code.len())
        && code.iter().take(4).all(u8::is_ascii_digit)
        && code.get(4).is_none_or(u8::is_ascii_uppercase);
    code.first().copied().filter(|_| ok)
}

/// Phone brand and series prefixes (lowercase), see [`phone`].
const PHONE_PREFIXES: &[&str] = &[
    "sm-g",
    "sm-a",
    "sm-n",
    "sm-s",
    "sm-j",
    "sm-m",
    "sm-f",
    "sm-e",
    "sm-c",
    "sm-w20",
    "gt-i",
    "gt-s",
    "redmi",
    "mi ",
    "poco",
    "cph",
    "rmx",
    "moto",
    "xt1",
    "xt2",
    "lm-",
    "nokia",
    "oneplus",
    "pixel",
    "iphone",
    "vivo",
    "infinix",
    "tecno",
    "itel",
    "huawei",
    "honor",
    "coolpad",
    "yl-coolpad",
];

const PHONE: Prefixes = Prefixes::new(PHONE_PREFIXES);

/// Phone model-code conventions, used when the UA omits `Mobile` (app UAs, desktop-mode and Chinese-market
/// browsers). Callers run [`tablet`] first: the brand prefixes below name lines that are all phones
/// once their tablet codes are excluded.
fn phone(c: &Code) -> bool {
    let m = c.text;
    if c.starts_any(&PHONE) {
        return true;
    }
    let b = m.as_bytes();
    let digits = |r: &[u8]| !r.is_empty() && r.iter().all(u8::is_ascii_digit);
    // vivo: `V` + 4 digits + optional capitals (`V2031A`).
    if let [b'V', rest @ ..] = b
        && let Some((number, letters)) = rest.split_at_checked(4)
        && digits(number)
        && letters.iter().all(u8::is_ascii_uppercase)
    {
        return true;
    }
    // OPPO China-market codes: `P` + 3 capitals + 2 digits (`PDYM20`); OPPO's tablets are `OPD…`.
    if let [b'P', x, y, z, d1, d2] = b
        && [x, y, z].iter().all(|c| c.is_ascii_uppercase())
        && digits(&[*d1, *d2])
    {
        return true;
    }
    // Xiaomi date codes: `M` + YYMM + capital + digit (`M2006C3LG`); its pads are `…K8…` / `…RP…`.
    if let [b'M', d1, d2, d3, d4, letter, _, ..] = b
        && digits(&[*d1, *d2, *d3, *d4])
        && letter.is_ascii_uppercase()
    {
        return !contains!(c, "k8");
    }
    // Huawei / Honor cellular variants (`-L29`, `-LX1`, `-AL00`, `-AN10`, `-TL00`, `-N49`): Wi-Fi-only `-W`
    // and the tablet families were taken by `tablet`.
    if let Some(v) = huawei_variant(m) {
        let letters = v.iter().take_while(|c| c.is_ascii_uppercase()).count();
        let kind = v.get(..letters).unwrap_or_default();
        let cellular = matches!(
            kind,
            b"L" | b"LX" | b"AL" | b"AN" | b"TL" | b"TN" | b"N" | b"NX" | b"DL" | b"CL" | b"UL"
        );
        return cellular && v.get(letters).is_some_and(u8::is_ascii_digit);
    }
    false
}

/// Android TV-box makers and product lines that are all set-top boxes, whose models carry no other TV word
/// (Vinga's media players are `VMP-0xx`; iconBIT's boxes are its `Movie` and `XDS` lines, its tablets are
/// not). Yandex's TV modules, `YNDX-000` + digits (device-detection.md §5 #2), are checked separately: its
/// phone is `YNDX-000SB`.
const TV_BOX_BRANDS: &[&str] = &[
    "ugoos",
    "zidoo",
    "vontar",
    "beelink",
    "mecool",
    "me-cool",
    "pendoo",
    "transpeed",
    "tanix",
    "magicsee",
    "sunvell",
    "nexbox",
    "minix",
    "neo-x",
    "neo-u",
    "h96",
    "x96",
    "x88",
    "a95x",
    "t95",
    "tx3",
    "tx5",
    "tx6",
    "tx9",
    "hk1",
    "mxq",
    "m8s",
    "evpad",
    "formuler",
    "dune hd",
    "zappiti",
    "mygica",
    "droidlogic",
    "nexon",
    "yundoo",
    "invin",
    "vmp-0",
    "iconbit movie",
    "iconbit xds",
];

const TV_BOX: Prefixes = Prefixes::new(TV_BOX_BRANDS);
const CHIPS: Needles = Needles::new(TV_CHIPS);

/// Set-top SoCs that appear in box model names (Rockchip RK3318/RK3328/RK322x, Amlogic S905/S912,
/// Allwinner H616/H618); tablet SoCs (RK3126, RK3288, A33, A133…) are not listed.
const TV_CHIPS: &[&str] = &[
    "rk3318", "rk3328", "rk322", "s905", "s912", "s922", "amlogic", "h616", "h618",
];

/// TV model-code conventions: Amazon Fire TV `AFT…`, set-top words and SoCs, box brands, and a 2-digit screen
/// diagonal (19"–99") in a panel code (`32LH7010T`, `VHIX-55U169TSY`, `LE32CT5515AK`).
fn tv(c: &Code) -> bool {
    let m = c.text;
    if c.tablet_prefix() {
        return false;
    }
    if c.starts("aft") && m.as_bytes().get(3).is_some_and(u8::is_ascii_uppercase) {
        return true;
    }
    if contains!(c, "led") && !contains!(c, "sled")
        || contains!(c, "uhd")
        || contains!(c, "dvb")
        || contains!(c, "stb")
    {
        return true;
    }
    // A box: `… Box`, `MyBox`, `HK1RBOX` (not the phone names Turbo-X / Runbo-X).
    if contains!(c, "box") && !contains!(c, "turbox") && !contains!(c, "runbox") {
        return true;
    }
    if c.starts_any(&TV_BOX) || c.contains_any(&CHIPS) {
        return true;
    }
    if c.starts("yndx-000") && m.as_bytes().get(8).is_some_and(u8::is_ascii_digit) {
        return true;
    }
    // ODM TV chassis are sold as "<Brand> Shell <panel code>"; "Stick" names HDMI sticks; a free-standing "4K"
    // names a TV or box (not `…04K`/`5044K`, Japanese carrier and Alcatel phone codes).
    if contains!(c, "shell")
        || contains!(c, "stick")
        || c.has_classes(class_set(b"4k")) && has_4k(m.as_bytes())
    {
        return true;
    }
    // An upper-case "TV" starting or ending a word: MiTV4, KoganTVAP, AQUOS-TVX19A, `… TV`, `MD09TV`. After a capital it
    // must end the word and not be `DTV` (a broadcast tuner in a phone or tablet): `STV100`, `HTV31` are phones;
    // but `DTV` + a 20"–99" diagonal is a TV's panel code.
    let b = m.as_bytes();
    for i in pairs(b, *b"TV") {
        let before = i
            .checked_sub(1)
            .and_then(|j| b.get(j))
            .copied()
            .unwrap_or(b' ');
        let after = b.get(i + 2).copied().unwrap_or(b' ');
        // `DTV` followed by a panel diagonal (`TDTV43BS06U`) is a TV's own code, not a phone's tuner.
        let diagonal = b
            .get(i + 2..i + 4)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit) && d.first() >= Some(&b'2'));
        let ok = if before.is_ascii_uppercase() {
            (before != b'D' && !after.is_ascii_alphanumeric()) || (before == b'D' && diagonal)
        } else if before.is_ascii_digit() {
            // A series number then TV, ending the word: `MD09TV`.
            !after.is_ascii_alphanumeric()
        } else {
            (before.is_ascii_lowercase() || matches!(before, b'-' | b' ' | b'_'))
                && !after.is_ascii_lowercase()
        };
        if ok {
            return true;
        }
    }
    panel_code(b)
}

/// `4K` not preceded by a digit and not followed by a letter or digit.
fn has_4k(b: &[u8]) -> bool {
    pairs(b, *b"4K").any(|i| {
        i.checked_sub(1)
            .and_then(|j| b.get(j))
            .is_none_or(|c| !c.is_ascii_digit())
            && b.get(i + 2).is_none_or(|c| !c.is_ascii_alphanumeric())
    })
}

/// A TV panel code: at the start of the model or after `-`/`_`/space, up to 3 capitals, a 2-digit diagonal in
/// inches, a capital, and at least 3 more capitals/digits including a digit (`32LE7011D`, `K32DLJ12HS`,
/// `P32L32T2CSM`, `VHIX-55U169TSY`). Phone codes put digits right after their model number (`SM-G9550`,
/// `ZC554KL`, `M2006C3LG`), and tablet names with a size (`ARCHOS 70b`, `ATL-21PLUS`) have no coded tail.
fn panel_code(b: &[u8]) -> bool {
    // Segment starts: 0, then after each separator (a plain loop: the iterator chain cost twice as much).
    let mut next = Some(0);
    while let Some(st) = next {
        let seg = b.get(st..).unwrap_or_default();
        next = seg
            .iter()
            .position(|c| matches!(c, b'-' | b'_' | b' '))
            .map(|i| st + i + 1);
        let letters = seg
            .iter()
            .take(4)
            .take_while(|c| c.is_ascii_uppercase())
            .count();
        if letters > 3 {
            continue;
        }
        let rest = seg.get(letters..).unwrap_or_default();
        let min_diag = if letters == 0 { 19 } else { 24 };
        let min_tail = if letters == 0 { 2 } else { 3 };
        if let [d1 @ b'0'..=b'9', d2 @ b'0'..=b'9', b'A'..=b'Z', after @ ..] = rest
            && after.len() >= min_tail
            && (min_diag..=99).contains(&((d1 - b'0') * 10 + (d2 - b'0')))
        {
            // The coded tail's letters and digits: how many, and whether a digit is among them.
            let (n, digit) = after
                .iter()
                .take_while(|&&c| {
                    c.is_ascii_uppercase()
                        || c.is_ascii_digit()
                        || (letters == 0 && matches!(c, b'-' | b'_' | b'/'))
                })
                .filter(|c| c.is_ascii_alphanumeric())
                .fold((0, false), |(n, d), c| (n + 1, d || c.is_ascii_digit()));
            if n >= min_tail && digit {
                return true;
            }
        }
    }
    false
}

/// Prefixes of wearables, cameras, music players and boards (lowercase), see [`is_other_model`].
const OTHER_PREFIXES: &[&str] = &[
    "sm-r",
    "ek-g",
    "coolpix",
    "fiio",
    "shanling",
    "nw-",
    "cowon",
    "hiby",
    "raspberry",
    "odroid",
    "tinker board",
];

const OTHER: Prefixes = Prefixes::new(OTHER_PREFIXES);

/// Model codes of devices that are neither phones, tablets nor TVs (class "other"): Samsung wearables
/// (`SM-R…`: Gear / Galaxy Watch), Samsung Galaxy Camera (`EK-G…`), Nikon Coolpix cameras, watches named in
/// the model (`ZenWatch`, `TicWatch`), car head units named after their screen resolution (`…1280x480`) or
/// automotive SoC, point-of-sale terminals, hi-fi music players (FiiO, Shanling, Sony Walkman `NW-`),
/// single-board computers, e-ink readers.
pub(crate) fn is_other_model(m: &str) -> bool {
    other(&Code::new(brandless(m.trim_ascii())))
}

fn other(c: &Code) -> bool {
    let m = c.text;
    if c.starts_any(&OTHER) || contains!(c, "watch") || c.contains_any(&CAR_CHIPS) {
        return true;
    }
    // Tolino's e-ink readers (`tolino shine 4`, `tolino vision 5`, `tolino page`); its Android tablets are the
    // `tolino tab` line.
    if c.starts("tolino") && !contains!(c, "tab") {
        return true;
    }
    // Point-of-sale terminals (`WPOS-3`, `MultiPOSX9`: "POS" closing a word or standing alone). The
    // class-filtered `contains` first: most models cannot contain the word at all.
    if contains!(c, "pos")
        && (has_code_word(c.low(), b"pos") || contains!(c, "multipos") || contains!(c, "wpos"))
    {
        return true;
    }
    // White-label car stereos name themselves after their core count and automotive SoC: Allwinner T3/T8, R16
    // (`QUAD-CORE T3 p1`, `OCTA-CORE T8`, `UltraOcta-T8`, `QuadCore-R16`).
    // One pass: a `t`/`r` + 1–2 digits, after one of the words and at most one separator.
    let l = c.low();
    // (Only a model with the letters of one of the words can hold it: most are passed over without a scan.)
    let words = [class_set(b"core"), class_set(b"octa"), class_set(b"quad")];
    let soc = words.iter().any(|&w| c.has_classes(w))
        && (1..l.len()).any(|i| {
            let (Some(before), Some([b't' | b'r', after @ ..])) = (l.get(..i), l.get(i..)) else {
                return false;
            };
            let digits = after.iter().take_while(|c| c.is_ascii_digit()).count();
            if !(1..=2).contains(&digits) {
                return false;
            }
            let before = before
                .strip_suffix(b" ")
                .or(before.strip_suffix(b"-"))
                .or(before.strip_suffix(b"_"))
                .unwrap_or(before);
            [b"core", b"octa", b"quad"]
                .iter()
                .any(|w| before.ends_with(*w))
        });
    if soc {
        return true;
    }
    // `<digits>x<digits>` screen resolution in the model name: car head units (`ks1280x480`).
    let b = m.as_bytes();
    c.has_classes(class_set(b"x"))
        && b.iter().enumerate().any(|(i, &c)| {
            c == b'x'
                && i.checked_sub(3)
                    .and_then(|j| b.get(j..i))
                    .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
                && b.get(i + 1..i + 4)
                    .is_some_and(|r| r.iter().all(u8::is_ascii_digit))
        })
}

const CAR_CHIPS: Needles = Needles::new(CAR_CHIP_NAMES);

/// Automotive SoCs named in car head units' model codes: AutoChips AC8227L, UNISOC's car parts.
const CAR_CHIP_NAMES: &[&str] = &["8227l", "sp9853i", "uis7862", "uis8581"];

const PC: Needles = Needles::new(PC_LINES);

/// Laptop and mini-PC product lines (lowercase), see [`pc`].
const PC_LINES: &[&str] = &[
    "chromebook",
    "elitebook",
    "probook",
    "pavilion",
    "latitude",
    "inspiron",
    "vostro",
    "thinkpad",
    "satellite",
    "aspire",
    "travelmate",
    "vivobook",
    "zenbook",
    "macbook",
    "pixelbook",
    "nuc",
];

/// Laptop and mini-PC product lines (Android-x86 and ARC installs, Chromebooks running Android apps): the
/// model names a PC family, so the device is a desktop-class computer whatever the UA's platform says.
fn pc(c: &Code) -> bool {
    // (`ThinkPad Tablet` is the line's Android tablet.)
    c.contains_any(&PC) && !contains!(c, "tablet")
}

#[cfg(test)]
mod tests {
    /// `Code::starts`/`contains` compare against the lower-cased model: every list must be lowercase.
    #[test]
    fn lists_are_lowercase() {
        for list in [
            super::TABLET_PREFIXES,
            super::HUAWEI_TABLET_FAMILIES,
            super::TV_BOX_BRANDS,
            super::TV_CHIPS,
            super::PHONE_PREFIXES,
            super::OTHER_PREFIXES,
            super::CAR_CHIP_NAMES,
            super::PC_LINES,
        ] {
            for p in list {
                assert_eq!(*p, p.to_ascii_lowercase());
            }
        }
    }
}

/// Everything the model-code conventions say about one model, computed together (one lower-casing per form).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Facts {
    /// [`tv`].
    pub tv: bool,
    /// [`tablet`].
    pub tablet: bool,
    /// [`phone`].
    pub phone: bool,
    /// [`pc`].
    pub pc: bool,
    /// [`is_other_model`].
    pub other: bool,
}

impl Facts {
    /// The facts of model `m`.
    pub(crate) fn of(m: &str) -> Facts {
        let trimmed = m.trim_ascii();
        let plain = Code::new(trimmed);
        let bare = brandless(trimmed);
        let branded;
        let bare = if bare.len() == trimmed.len() {
            &plain
        } else {
            branded = Code::new(bare);
            &branded
        };
        Facts {
            tv: tv(&plain),
            tablet: tablet(bare),
            phone: phone(&plain),
            pc: pc(bare),
            other: other(bare),
        }
    }
}
