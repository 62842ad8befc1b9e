//! Device-class rules, an ordered pipeline of `try_*` stages: console → TV → other (wearables, cars, media
//! players) → feature phone → Apple → Android → other mobile platforms → client hints → desktop. Earlier stages
//! catch devices whose UAs also carry later stages' tokens (Android TVs say `Android`, KaiOS says `Android`,
//! the 3DS says `like iPhone`). Signals and their measured precision: device-detection.md §5–§7.

use super::model::{is_other_model, is_pc_model, is_phone_code, is_tablet_model, is_tv_model};
use crate::DeviceClass::{self, Console, Desktop, Featurephone, Other, Smartphone, Tablet, Tv};
use crate::Signals;
use crate::signals::unquote;
use crate::ua::{Ua, starts_ci};

/// The device class from UA and headers, or `None` when nothing names a device.
pub(crate) fn detect(ua: &Ua, s: &Signals) -> Option<DeviceClass> {
    // Android UAs (the bulk of traffic) skip the stages that only look at other platforms.
    let android = ua.has("android") || ua.has("adr ");
    try_console(ua)
        .or_else(|| try_tv(ua, s))
        .or_else(|| try_other(ua))
        .or_else(|| try_featurephone(ua, android))
        .or_else(|| if android { None } else { try_apple(ua) })
        .or_else(|| if android { try_android(ua, s) } else { None })
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
        || (ua.has_word("dtv") && !ua.has("android"))
        || (ua.has("aquos") && !ua.has("android"))
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

fn try_other(ua: &Ua) -> Option<DeviceClass> {
    let wearable =
        ua.has_word_start("watch") || ua.has("wearos") || ua.has("wear os") || ua.has_word("glass");
    let vr = ua.has("oculus") || ua.has("quest") || ua.has("pico ") || ua.has("vr ");
    let car = ua.has("tesla/") || ua.has("carplay") || ua.has("automotive");
    let media = ua.has("sonos") || ua.has("airplay") || ua.has("ipod") || ua.has("homepod");
    let reader = ua.has("kindle/") && !ua.has("android") && !ua.has("silk/");
    let samsung_wear = ua.has("sm-r") && ua.has("tizen");
    let amazon_echo = ua.android_model().is_some_and(|m| starts_ci(m, "aeo"));
    let model = ua.android_model().is_some_and(is_other_model);
    (wearable || vr || car || media || reader || samsung_wear || amazon_echo || model)
        .then_some(Other)
}

fn try_featurephone(ua: &Ua, android: bool) -> Option<DeviceClass> {
    if ua.has("kaios") {
        return Some(Featurephone);
    }
    // Smartphone platforms whose UAs also name Nokia, Samsung-SGH or a carrier (Windows Phone, MeeGo, Bada).
    if android
        || ua.has("iphone")
        || ua.has("windows nt")
        || ua.has("windows phone")
        || ua.has("iemobile")
        || ua.has("wds ")
        || ua.has("meego")
        || ua.has("bada/")
    {
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

/// Android phones, tablets and the rest (called only for UAs naming Android).
fn try_android(ua: &Ua, s: &Signals) -> Option<DeviceClass> {
    let hint_model = s.sec_ch_ua_model.map(unquote).filter(|m| !m.is_empty());
    let model = hint_model.or_else(|| ua.android_model());
    if model.is_some_and(is_pc_model) {
        return Some(Desktop);
    }
    if ua.has_word("tablet") && !ua.has("tablet pc") {
        return Some(Tablet);
    }
    if let Some(m) = model {
        if is_tablet_model(m) {
            return Some(Tablet);
        }
        if is_phone_code(m) {
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
