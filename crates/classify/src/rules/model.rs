//! Device model-code conventions: what a model code (the Android `…; <model> Build/…` part, or
//! `Sec-CH-UA-Model`) says about the device class. Every rule is a *naming convention* of a brand or product
//! family, not a list of individual devices; each group says whose convention it is and why it holds.
//! Evidence: device-detection.md §6 (tablet signals and their precision), §5 #2 (TV boxes), §5 #5 (wearables,
//! car head units, media players).

use crate::ua::{contains_ci, starts_ci};

/// Brand words some vendors put in front of the model code (`SAMSUNG SM-T237P`, `HUAWEI M2-801W`).
fn brandless(m: &str) -> &str {
    for brand in [
        "samsung-", "samsung ", "huawei ", "honor ", "acer ", "nook ",
    ] {
        if starts_ci(m, brand) {
            return m[brand.len()..].trim_start();
        }
    }
    m
}

/// Tablet prefixes strong enough to win over the TV heuristics below (`BTV-DL09` is a MediaPad, not a TV).
const TABLET_PREFIXES: &[&str] = &[
    // Samsung Galaxy Tab / Note tablets; `SCH-I800`-era carrier tabs are too rare to name.
    "SM-T",
    "SM-P",
    "SM-X",
    "GT-P",
    "GT-N51",
    "GT-N80", // Lenovo Tab / Yoga Tab / IdeaTab.
    "TB-",
    "TB2-",
    "TB3-",
    "YT-",
    "YT3-",
    "LENOVO TB",
    "LENOVO YT",
    "LENOVO TAB",
    "IDEATAB",
    // Huawei / Honor tablet families (MediaPad, MatePad, Honor Pad).
    "AGS",
    "BAH",
    "KOB",
    "SCM",
    "CMR",
    "MRX",
    "BTV",
    "JDN",
    "AGR",
    "DBY",
    "CPN",
    "MEDIAPAD",
    "MATEPAD",
    // Google, Motorola, Asus, Sony.
    "NEXUS 7",
    "NEXUS 9",
    "NEXUS 10",
    "PIXEL C",
    "PIXEL TABLET",
    "XOOM",
    "TRANSFORMER",
    "SGP",
    // Amazon Kindle Fire; Barnes & Noble Nook (`BNTV…`/`BNRV…`); Prestigio MultiPad; Digma tablet lines.
    "KINDLE",
    "BNTV",
    "BNRV",
    "PMT",
    "PMP",
    "PLANE ",
    "OPTIMA ",
    "CITI 7",
    "CITI 1",
    // OPPO / OnePlus Pad (`OPD…`), realme Pad (`RMP…`).
    "OPD",
    "RMP",
];

/// Tablet model-code conventions of the large brands (device-detection.md §6 table).
pub(crate) fn is_tablet_model(m: &str) -> bool {
    let m = brandless(m.trim());
    let b = m.as_bytes();
    if TABLET_PREFIXES.iter().any(|p| starts_ci(m, p)) {
        return true;
    }
    // Amazon Fire tablets: `KF` + 2–4 capitals (KFTT, KFAPWI).
    if (4..=6).contains(&b.len()) && starts_ci(m, "kf") && b[2..].iter().all(u8::is_ascii_uppercase)
    {
        return true;
    }
    let digit_at = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    // Lenovo's newer tablet codes drop the dash: `TB` + 3 digits (`TB328FU`).
    if starts_ci(m, "tb") && digit_at(2) && digit_at(3) && digit_at(4) {
        return true;
    }
    // Asus: TF + 3 digits (Transformer), K0xx / P0xx codes.
    if starts_ci(m, "tf") && digit_at(2) && digit_at(3) && digit_at(4) {
        return true;
    }
    if b.len() == 4 && (b[0] == b'K' || b[0] == b'P') && b[1] == b'0' && digit_at(2) {
        return true;
    }
    // Acer Iconia codes: A1-/A3- (Iconia Tab), B1-/B3- (Iconia One). Acer phones are Liquid `S`/`E`/`Z` codes.
    if b.len() > 3 && matches!(&b[..3], b"A1-" | b"A3-" | b"B1-" | b"B3-") {
        return true;
    }
    // LG G Pad: `LG-V` + digits (LG's V-series phones use `LG-H…`/`LM-V…` codes).
    if starts_ci(m, "lg-v") && digit_at(4) {
        return true;
    }
    // Nokia T-series tablets (`Nokia T20`).
    if starts_ci(m, "nokia t") && digit_at(7) && digit_at(8) {
        return true;
    }
    // Xiaomi's date-style codes mark Redmi Pad / Xiaomi Pad with `RP` after the 5-character date block
    // (`23073RPBFG`); Xiaomi phones use other letters there.
    if b.len() >= 8 && b[..4].iter().all(u8::is_ascii_digit) && starts_ci(&m[5..], "rp") {
        return true;
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
    if has_code_word(m, "mid") || starts_ci(m, "pmid") {
        return true;
    }
    // "Pad"/"Tab"/"Slate" inside the model name (MiPad, Pad 13, Tab S7, TAB-10US, HP Slate), iPlay (Alldocube);
    // not the phone brand Coolpad or the Asus PadFone.
    (contains_ci(m, "pad") && !contains_ci(m, "padfone") && !contains_ci(m, "coolpad"))
        || (contains_ci(m, "tab") && !contains_ci(m, "table "))
        || contains_ci(m, "slate")
        || contains_ci(m, "iplay")
}

/// Whether `word` (lowercase) occurs in `m` delimited by start/end, space, `_` or `-`, or followed by digits
/// (`MID7012`, `GEOFOX MID 743`).
fn has_code_word(m: &str, word: &str) -> bool {
    let b = m.as_bytes();
    let n = word.len();
    (0..b.len().saturating_sub(n - 1)).any(|i| {
        b[i..i + n].eq_ignore_ascii_case(word.as_bytes())
            && (i == 0 || matches!(b[i - 1], b' ' | b'_' | b'-'))
            && b.get(i + n)
                .is_none_or(|c| matches!(c, b' ' | b'_' | b'-') || c.is_ascii_digit())
    })
}

/// The variant part of a Huawei / Honor code (`AGS2-W09` → `W09`): 3–4 capitals, an optional digit, `-`.
fn huawei_variant(m: &str) -> Option<&[u8]> {
    let b = m.as_bytes();
    let letters = b.iter().take_while(|c| c.is_ascii_uppercase()).count();
    if !(3..=4).contains(&letters) {
        return None;
    }
    let mut i = letters;
    if b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    (b.get(i) == Some(&b'-')).then(|| &b[i + 1..])
}

/// An Alcatel-style bare code (`9032X`, `8094M`, `5033D`): 4 digits, an optional capital, optionally a
/// `_XX` market suffix. Returns the first digit.
fn alcatel_code(b: &[u8]) -> Option<u8> {
    let code = b.split(|&c| c == b'_').next()?;
    let ok = (4..=5).contains(&code.len())
        && code[..4].iter().all(u8::is_ascii_digit)
        && code.get(4).is_none_or(u8::is_ascii_uppercase);
    ok.then(|| code[0])
}

/// Phone model-code conventions, used when the UA omits `Mobile` (app UAs, desktop-mode and Chinese-market
/// browsers). Callers run [`is_tablet_model`] first: the brand prefixes below name lines that are all phones
/// once their tablet codes are excluded.
pub(crate) fn is_phone_code(m: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "SM-G",
        "SM-A",
        "SM-N",
        "SM-S",
        "SM-J",
        "SM-M",
        "SM-F",
        "SM-E",
        "SM-C",
        "SM-W20",
        "GT-I",
        "GT-S",
        "REDMI",
        "MI ",
        "POCO",
        "CPH",
        "RMX",
        "MOTO",
        "XT1",
        "XT2",
        "LM-",
        "NOKIA",
        "ONEPLUS",
        "PIXEL",
        "IPHONE",
        "VIVO",
        "INFINIX",
        "TECNO",
        "ITEL",
        "HUAWEI",
        "HONOR",
        "COOLPAD",
        "YL-COOLPAD",
    ];
    let m = m.trim();
    if PREFIXES.iter().any(|p| starts_ci(m, p)) {
        return true;
    }
    let b = m.as_bytes();
    let digits = |r: &[u8]| !r.is_empty() && r.iter().all(u8::is_ascii_digit);
    // vivo: `V` + 4 digits + optional capitals (`V2031A`).
    if b.len() >= 5 && b[0] == b'V' && digits(&b[1..5]) && b[5..].iter().all(u8::is_ascii_uppercase)
    {
        return true;
    }
    // OPPO China-market codes: `P` + 3 capitals + 2 digits (`PDYM20`); OPPO's tablets are `OPD…`.
    if b.len() == 6 && b[0] == b'P' && b[1..4].iter().all(u8::is_ascii_uppercase) && digits(&b[4..])
    {
        return true;
    }
    // Xiaomi date codes: `M` + YYMM + capital + digit (`M2006C3LG`); its pads are `…K8…` / `…RP…`.
    if b.len() >= 7 && b[0] == b'M' && digits(&b[1..5]) && b[5].is_ascii_uppercase() {
        return !contains_ci(m, "k8");
    }
    // Huawei / Honor cellular variants (`-L29`, `-LX1`, `-AL00`, `-AN10`, `-TL00`, `-N49`): Wi-Fi-only `-W`
    // and the tablet families were taken by `is_tablet_model`.
    if let Some(v) = huawei_variant(m) {
        let letters = v.iter().take_while(|c| c.is_ascii_uppercase()).count();
        let kind = &v[..letters];
        let cellular = matches!(
            kind,
            b"L" | b"LX" | b"AL" | b"AN" | b"TL" | b"TN" | b"N" | b"NX" | b"DL" | b"CL" | b"UL"
        );
        return cellular && v.get(letters).is_some_and(u8::is_ascii_digit);
    }
    false
}

/// Android TV-box makers whose whole product line is set-top boxes (their models carry no other TV word),
/// (Yandex's TV modules, `YNDX-000` + digits, device-detection.md §5 #2, are checked separately: its phone
/// is `YNDX-000SB`).
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
];

/// Set-top SoCs that appear in box model names (Rockchip RK3318/RK3328/RK322x, Amlogic S905/S912,
/// Allwinner H616/H618); tablet SoCs (RK3126, RK3288, A33, A133…) are not listed.
const TV_CHIPS: &[&str] = &[
    "rk3318", "rk3328", "rk322", "s905", "s912", "s922", "amlogic", "h616", "h618",
];

/// TV model-code conventions: Amazon Fire TV `AFT…`, set-top words and SoCs, box brands, and a 2-digit screen
/// diagonal (19"–99") in a panel code (`32LH7010T`, `VHIX-55U169TSY`, `LE32CT5515AK`).
pub(crate) fn is_tv_model(m: &str) -> bool {
    let m = m.trim();
    if TABLET_PREFIXES.iter().any(|p| starts_ci(m, p)) {
        return false;
    }
    if starts_ci(m, "aft") && m.as_bytes().get(3).is_some_and(u8::is_ascii_uppercase) {
        return true;
    }
    if contains_ci(m, "led") && !contains_ci(m, "sled")
        || contains_ci(m, "uhd")
        || contains_ci(m, "dvb")
        || contains_ci(m, "stb")
    {
        return true;
    }
    // A box: `… Box`, `MyBox`, `HK1RBOX` (not the phone names Turbo-X / Runbo-X).
    if contains_ci(m, "box") && !contains_ci(m, "turbox") && !contains_ci(m, "runbox") {
        return true;
    }
    if TV_BOX_BRANDS.iter().any(|p| starts_ci(m, p)) || TV_CHIPS.iter().any(|c| contains_ci(m, c)) {
        return true;
    }
    if starts_ci(m, "yndx-000") && m.as_bytes().get(8).is_some_and(u8::is_ascii_digit) {
        return true;
    }
    // ODM TV chassis are sold as "<Brand> Shell <panel code>"; "Stick" names HDMI sticks; a free-standing "4K"
    // names a TV or box (not `…04K`/`5044K`, Japanese carrier and Alcatel phone codes).
    if contains_ci(m, "shell") || contains_ci(m, "stick") || has_4k(m.as_bytes()) {
        return true;
    }
    // An upper-case "TV" starting or ending a word: MiTV4, KoganTVAP, AQUOS-TVX19A, `… TV`. After a capital it
    // must end the word and not be `DTV` (a broadcast tuner in a phone or tablet): `STV100`, `HTV31` are phones.
    let b = m.as_bytes();
    for i in memchr::memmem::find_iter(b, b"TV") {
        let before = if i == 0 { b' ' } else { b[i - 1] };
        let after = b.get(i + 2).copied().unwrap_or(b' ');
        let ok = if before.is_ascii_uppercase() {
            before != b'D' && !after.is_ascii_alphanumeric()
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
    memchr::memmem::find_iter(b, b"4K").any(|i| {
        (i == 0 || !b[i - 1].is_ascii_digit())
            && b.get(i + 2).is_none_or(|c| !c.is_ascii_alphanumeric())
    })
}

/// A TV panel code: at the start of the model or after `-`/`_`/space, up to 3 capitals, a 2-digit diagonal in
/// inches, a capital, and at least 3 more capitals/digits including a digit (`32LE7011D`, `K32DLJ12HS`,
/// `P32L32T2CSM`, `VHIX-55U169TSY`). Phone codes put digits right after their model number (`SM-G9550`,
/// `ZC554KL`, `M2006C3LG`), and tablet names with a size (`ARCHOS 70b`, `ATL-21PLUS`) have no coded tail.
fn panel_code(b: &[u8]) -> bool {
    let starts = std::iter::once(0).chain(
        b.iter()
            .enumerate()
            .filter(|(_, c)| matches!(c, b'-' | b'_' | b' '))
            .map(|(i, _)| i + 1),
    );
    for st in starts {
        let seg = &b[st.min(b.len())..];
        let letters = seg
            .iter()
            .take(4)
            .take_while(|c| c.is_ascii_uppercase())
            .count();
        if letters > 3 {
            continue;
        }
        let rest = &seg[letters..];
        let min_diag = if letters == 0 { 19 } else { 24 };
        let min_tail = if letters == 0 { 2 } else { 3 };
        if rest.len() >= 3 + min_tail
            && rest[0].is_ascii_digit()
            && rest[1].is_ascii_digit()
            && rest[2].is_ascii_uppercase()
            && (min_diag..=99).contains(&((rest[0] - b'0') * 10 + (rest[1] - b'0')))
        {
            let tail: Vec<u8> = rest[3..]
                .iter()
                .copied()
                .take_while(|&c| {
                    c.is_ascii_uppercase()
                        || c.is_ascii_digit()
                        || (letters == 0 && matches!(c, b'-' | b'_' | b'/'))
                })
                .filter(u8::is_ascii_alphanumeric)
                .collect();
            if tail.len() >= min_tail && tail.iter().any(u8::is_ascii_digit) {
                return true;
            }
        }
    }
    false
}

/// Model codes of devices that are neither phones, tablets nor TVs (class "other"): Samsung wearables
/// (`SM-R…`: Gear / Galaxy Watch), Samsung Galaxy Camera (`EK-G…`), Nikon Coolpix cameras, watches named in
/// the model (`ZenWatch`, `TicWatch`), car head units named after their screen resolution (`…1280x480`),
/// hi-fi music players (FiiO, Shanling, Sony Walkman `NW-`), single-board computers.
pub(crate) fn is_other_model(m: &str) -> bool {
    let m = brandless(m.trim());
    const PREFIXES: &[&str] = &[
        "SM-R",
        "EK-G",
        "COOLPIX",
        "FIIO",
        "SHANLING",
        "NW-",
        "COWON",
        "HIBY",
        "RASPBERRY",
        "ODROID",
        "TINKER BOARD",
    ];
    if PREFIXES.iter().any(|p| starts_ci(m, p)) || contains_ci(m, "watch") {
        return true;
    }
    // `<digits>x<digits>` screen resolution in the model name: car head units (`ks1280x480`).
    let b = m.as_bytes();
    b.iter().enumerate().any(|(i, &c)| {
        c == b'x'
            && i >= 3
            && b[i - 3..i].iter().all(u8::is_ascii_digit)
            && b.get(i + 1..i + 4)
                .is_some_and(|r| r.iter().all(u8::is_ascii_digit))
    })
}

/// Laptop and mini-PC product lines (Android-x86 and ARC installs, Chromebooks running Android apps): the
/// model names a PC family, so the device is a desktop-class computer whatever the UA's platform says.
pub(crate) fn is_pc_model(m: &str) -> bool {
    const LINES: &[&str] = &[
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
        "nuc",
    ];
    let m = brandless(m.trim());
    LINES.iter().any(|l| contains_ci(m, l))
}
