//! Device-class rules, an ordered pipeline of `try_*` stages: console → TV → other (wearables, cars, media
//! players) → feature phone → Apple → Android → other mobile platforms → client hints → desktop. Earlier stages
//! catch devices whose UAs also carry later stages' tokens (Android TVs say `Android`, KaiOS says `Android`,
//! the 3DS says `like iPhone`). Signals and their measured precision: device-detection.md §5–§7.

use crate::DeviceClass::{self, Console, Desktop, Featurephone, Other, Smartphone, Tablet, Tv};
use crate::Signals;
use crate::signals::unquote;
use crate::ua::{Ua, contains_ci, starts_ci};

/// The device class from UA and headers, or `None` when nothing names a device.
pub(crate) fn detect(ua: &Ua, s: &Signals) -> Option<DeviceClass> {
    try_console(ua)
        .or_else(|| try_tv(ua, s))
        .or_else(|| try_other(ua))
        .or_else(|| try_featurephone(ua))
        .or_else(|| try_apple(ua))
        .or_else(|| try_android(ua, s))
        .or_else(|| try_mobile_platform(ua))
        .or_else(|| try_hints(s))
        .or_else(|| try_desktop(ua))
}

fn try_console(ua: &Ua) -> Option<DeviceClass> {
    let hit = ua.has("playstation")
        || ua.has("nintendo")
        || ua.has("xbox")
        || ua.has_word("wii")
        || ua.has_word("ps3")
        || ua.has_word("ps4")
        || ua.has_word("ps5")
        || ua.has_word("psp")
        || ua.has("ouya")
        || ua.has("gamepad");
    hit.then_some(Console)
}

/// TV tokens (device-detection.md §5 #2, #3, #7): HbbTV/CE-HTML, vendor TV platforms, set-top boxes.
const TV_TOKENS: &[&str] = &[
    "hbbtv",
    "smarttv",
    "smart-tv",
    "smart tv",
    "smart_tv",
    "googletv",
    "google tv",
    "android tv",
    "androidtv",
    "appletv",
    "apple tv",
    "crkey",
    "roku",
    "netcast",
    "web0s",
    "webos.tv",
    "webos tv",
    "bravia",
    "philipstv",
    "nettv",
    "viera",
    "aquos",
    "ce-html",
    "opera tv",
    "chromecast",
    "vidaa",
    "sonydtv",
    "freebox",
    "maple",
    "inettvbrowser",
    "viziotv",
    "vizio",
    "espial",
    "tvbox",
    "tv box",
    "mibox",
    "mi box",
    "firetv",
    "fire tv",
];

fn try_tv(ua: &Ua, s: &Signals) -> Option<DeviceClass> {
    if ua.has_any(TV_TOKENS)
        || ua.has_word("tv")
        || ua.has_word("dtv")
        || ua.has_word("stb")
        || ua.has_word_start("omi/")
    {
        return Some(Tv);
    }
    if ua.has("tizen") && ua.has("tv") {
        return Some(Tv);
    }
    // Set-top Linux without Android: MIPS/SH4 boxes, DirectFB, Kylo.
    if !ua.has("android")
        && (ua.has("mipsel") || ua.has("linux sh4") || ua.has("directfb") || ua.has("kylo"))
    {
        return Some(Tv);
    }
    // A TV-named app package, unless the UA says Mobile (phone apps that cast *to* a TV).
    if s.x_requested_with.is_some_and(is_tv_package) && !ua.has_word("mobile") {
        return Some(Tv);
    }
    let hint = s.sec_ch_ua_model.map(unquote).filter(|m| !m.is_empty());
    let model = hint.or_else(|| ua.android_model());
    if model.is_some_and(is_tv_model) {
        return Some(Tv);
    }
    None
}

/// App packages of TV launchers and browsers: a `tv` segment (`com.tv.browser`, `…​.androidtv`, `tv.…`).
fn is_tv_package(p: &str) -> bool {
    p.split('.').any(|seg| {
        seg.eq_ignore_ascii_case("tv") || starts_ci(seg, "androidtv") || starts_ci(seg, "smarttv")
    })
}

/// TV model-code conventions: Amazon Fire TV `AFT…`, and a leading 2-digit screen diagonal (19"–99") followed
/// by a long letter/digit code (`32LH7010T`, `VHIX-55U169TSY`), or an explicit `LED`/`UHD` in the code.
pub(crate) fn is_tv_model(m: &str) -> bool {
    if starts_ci(m, "aft") && m.as_bytes().get(3).is_some_and(u8::is_ascii_uppercase) {
        return true;
    }
    if contains_ci(m, "led") && !contains_ci(m, "sled")
        || contains_ci(m, "uhd")
        || contains_ci(m, " box")
    {
        return true;
    }
    // ODM TV chassis are sold as "<Brand> Shell <panel code>"; "4K" and "Stick" name TVs and HDMI sticks.
    if contains_ci(m, "shell") || contains_ci(m, "4k") || contains_ci(m, "stick") {
        return true;
    }
    // An upper-case "TV" ending a word or starting one: MiTV-…, SmartATV, SmarterTV.
    let b = m.as_bytes();
    for i in memchr::memmem::find_iter(b, b"TV") {
        let before_ok =
            i == 0 || b[i - 1].is_ascii_alphabetic() || matches!(b[i - 1], b'-' | b' ' | b'_');
        let after_ok = b.get(i + 2).is_none_or(|c| !c.is_ascii_lowercase());
        if before_ok && after_ok {
            return true;
        }
    }
    let starts = std::iter::once(0).chain(
        b.iter()
            .enumerate()
            .filter(|(_, c)| **c == b'-')
            .map(|(i, _)| i + 1),
    );
    for st in starts {
        let rest = &b[st.min(b.len())..];
        if rest.len() >= 5
            && rest[0].is_ascii_digit()
            && rest[1].is_ascii_digit()
            && rest[2].is_ascii_alphabetic()
            && (19..=99).contains(&((rest[0] - b'0') * 10 + (rest[1] - b'0')))
        {
            return true;
        }
    }
    false
}

fn try_other(ua: &Ua) -> Option<DeviceClass> {
    let wearable =
        ua.has_word_start("watch") || ua.has("wearos") || ua.has("wear os") || ua.has_word("glass");
    let vr = ua.has("oculus") || ua.has("quest") || ua.has("pico ") || ua.has("vr ");
    let car = ua.has("tesla/") || ua.has("carplay") || ua.has("automotive");
    let media = ua.has("sonos") || ua.has("airplay") || ua.has("ipod") || ua.has("homepod");
    let reader = ua.has("kindle/") && !ua.has("android") && !ua.has("silk/");
    let samsung_wear = ua.has("sm-r") && ua.has("tizen");
    let amazon_echo = ua.android_model().is_some_and(|m| starts_ci(m, "aeo"));
    (wearable || vr || car || media || reader || samsung_wear || amazon_echo).then_some(Other)
}

fn try_featurephone(ua: &Ua) -> Option<DeviceClass> {
    if ua.has("kaios") {
        return Some(Featurephone);
    }
    if ua.has("android") || ua.has("adr ") || ua.has("iphone") || ua.has("windows nt") {
        return None;
    }
    // Smartphone platforms that also carry J2ME tokens (BlackBerry OS, Symbian S60).
    if ua.has_any(&["blackberry", "symbian", "series60", "s60"]) {
        return Some(Smartphone);
    }
    const TOKENS: &[&str] = &[
        "midp",
        "cldc",
        "wap",
        "up.browser",
        "up.link",
        "netfront",
        "obigo",
        "maui",
        "brew",
        "series40",
        "nokia",
        "docomo",
        "kddi",
        "softbank",
        "vodafone/",
        "sie-",
        "samsung-sgh",
        "sonyericsson",
        "mot-",
        "profile/",
        "configuration/",
        "spreadtrum",
        "mocor",
        "mre/",
        "wireless",
        "willcom",
    ];
    (ua.has_any(TOKENS) || ua.has("ddipocket") || ua.has("j2me") || ua.starts_with("lg-"))
        .then_some(Featurephone)
}

fn try_apple(ua: &Ua) -> Option<DeviceClass> {
    if ua.has("ipad") {
        return Some(Tablet);
    }
    if ua.has("iphone") || ua.starts_with("dv(iph") {
        return Some(Smartphone);
    }
    if ua.has("cfnetwork/") || ua.starts_with("darwin/") || ua.has(" darwin/") {
        // macOS apps append the CPU architecture or a Mac model; iOS apps do not (device-detection.md §5 #10).
        let mac = ua.has_any(&[
            "(x86_64)", "(i386)", "(arm64)", "(ppc", "macbook", "imac", "macmini", "macpro",
            "mac os", "macos",
        ]);
        return Some(if mac { Desktop } else { Smartphone });
    }
    None
}

fn try_android(ua: &Ua, s: &Signals) -> Option<DeviceClass> {
    if !ua.has("android") && !ua.has("adr ") {
        return None;
    }
    let hint_model = s.sec_ch_ua_model.map(unquote).filter(|m| !m.is_empty());
    let model = hint_model.or_else(|| ua.android_model());
    if ua.has_word("tablet") && !ua.has("tablet pc") {
        return Some(Tablet);
    }
    if let Some(m) = model {
        if is_tablet_model(m) {
            return Some(Tablet);
        }
        if is_phone_model(m) {
            return Some(Smartphone);
        }
    }
    // Yandex apps' tablet builds mark themselves `…/apad` (precision 0.83 alone; after the phone-model check).
    if ua.has("/apad") {
        return Some(Tablet);
    }
    // Android 3.x (Honeycomb) shipped on tablets only.
    if ua.version_after("android ") == Some(3) {
        return Some(Tablet);
    }
    match s.sec_ch_ua_mobile.map(unquote) {
        Some("?1") => return Some(Smartphone),
        Some("?0") => return Some(Tablet),
        _ => {}
    }
    if ua.has_word("mobile") || ua.has("mobile safari") {
        return Some(Smartphone);
    }
    // Android without `Mobile` is a tablet once TVs are filtered out — for browser UAs. App UAs (Dalvik,
    // OkHttp, in-app strings) never say Mobile, and most come from phones.
    let browser = ua.starts_with("mozilla/")
        && (ua.has("applewebkit/") || ua.has("gecko/"))
        && !ua.has("dalvik");
    Some(if browser { Tablet } else { Smartphone })
}

/// Tablet model-code conventions of the large brands (device-detection.md §6 table).
pub(crate) fn is_tablet_model(m: &str) -> bool {
    const PREFIXES: &[&str] = &[
        // Samsung Galaxy Tab / Note tablets.
        "SM-T",
        "SM-P",
        "SM-X",
        "GT-P",
        "GT-N51",
        "GT-N80",
        // Lenovo.
        "TB-",
        "TB2-",
        "TB3-",
        "TB-X",
        "YT-",
        "YT3-",
        "LENOVO TB",
        "LENOVO YT",
        "LENOVO TAB",
        "IDEATAB",
        // Huawei / Honor tablet families.
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
        // Amazon Kindle Fire; generic "mobile internet device"; Prestigio MultiPad; Digma tablet lines.
        "KINDLE",
        "MID",
        "PMT",
        "PMP",
        "PLANE ",
        "OPTIMA ",
        "CITI 7",
        "CITI 1",
    ];
    if PREFIXES.iter().any(|p| starts_ci(m, p)) {
        return true;
    }
    let b = m.as_bytes();
    // Amazon Fire tablets: `KF` + 2–4 capitals (KFTT, KFAPWI).
    if b.len() >= 4
        && b.len() <= 6
        && starts_ci(m, "kf")
        && b[2..].iter().all(u8::is_ascii_uppercase)
    {
        return true;
    }
    // Asus: TF + 3 digits (Transformer), K0xx / P0xx codes.
    let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
    if b.len() >= 5 && starts_ci(m, "tf") && digits(&b[2..5]) {
        return true;
    }
    if b.len() == 4 && (b[0] == b'K' || b[0] == b'P') && b[1] == b'0' && b[2].is_ascii_digit() {
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
    // "Pad"/"Tab" inside the model name (MiPad, Pad 13, Tab S7, TAB-10US, SlidePad), iPlay (Alldocube).
    (contains_ci(m, "pad") && !contains_ci(m, "padfone"))
        || (contains_ci(m, "tab") && !contains_ci(m, "table "))
        || contains_ci(m, "iplay")
}

/// Phone model-code conventions (used when the UA omits `Mobile`, e.g. app UAs and desktop-mode requests).
fn is_phone_model(m: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "SM-G", "SM-A", "SM-N", "SM-S", "SM-J", "SM-M", "SM-F", "SM-E", "SM-C", "GT-I", "GT-S",
        "REDMI", "MI ", "POCO", "CPH", "RMX", "MOTO", "XT1", "XT2", "LM-", "NOKIA", "ONEPLUS",
        "PIXEL", "IPHONE", "VIVO", "INFINIX", "TECNO", "ITEL", "HUAWEI", "HONOR",
    ];
    PREFIXES.iter().any(|p| starts_ci(m, p)) && !is_tablet_model(m)
}

fn try_mobile_platform(ua: &Ua) -> Option<DeviceClass> {
    if ua.has("playbook") {
        return Some(Tablet);
    }
    if ua.has("harmonyos") || ua.has("openharmony") {
        if ua.has_word("tablet") {
            return Some(Tablet);
        }
        if ua.has_word("pc") {
            return Some(Desktop);
        }
        return Some(Smartphone);
    }
    const PHONE: &[&str] = &[
        "windows phone",
        "windows mobile",
        "iemobile",
        "wpdesktop",
        "blackberry",
        "bb10",
        "symbian",
        "series60",
        "s60",
        "meego",
        "maemo",
        "sailfish",
        "webos",
        "palm",
    ];
    if ua.has_any(PHONE) {
        return Some(Smartphone);
    }
    // Firefox OS and other Gecko mobiles: `(Mobile; rv:…)` / `(Tablet; rv:…)`.
    if ua.has("(tablet;") {
        return Some(Tablet);
    }
    if ua.has("(mobile;") || ua.has_word("mobile") && !ua.has("windows nt") && !ua.has("macintosh")
    {
        return Some(Smartphone);
    }
    None
}

/// Client hints without a platform token in the UA (reduced UAs, apps).
fn try_hints(s: &Signals) -> Option<DeviceClass> {
    let platform = s.sec_ch_ua_platform.map(unquote)?;
    let mobile = s.sec_ch_ua_mobile.map(unquote);
    match platform.to_ascii_lowercase().as_str() {
        "android" => Some(if mobile == Some("?0") {
            Tablet
        } else {
            Smartphone
        }),
        "ios" => Some(Smartphone),
        "windows" | "macos" | "linux" | "chrome os" | "chromeos" => Some(Desktop),
        _ => None,
    }
}

fn try_desktop(ua: &Ua) -> Option<DeviceClass> {
    const TOKENS: &[&str] = &[
        "windows",
        "win64",
        "wow64",
        "win32",
        "win98",
        "win95",
        "win 9x",
        "winnt",
        "cros",
        "x11",
        "linux",
        "ubuntu",
        "freebsd",
        "openbsd",
        "netbsd",
        "sunos",
        "macintosh",
        "mac os",
        "mac_powerpc",
        "macos",
        "os/2",
        "beos",
        "haiku",
        "amiga",
    ];
    (ua.has_any(TOKENS) || ua.has_word("desktop")).then_some(Desktop)
}
