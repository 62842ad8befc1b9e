//! Device-class rules, an ordered pipeline of `try_*` stages: console → TV → other (wearables, cars, media
//! players) → feature phone → Apple → Android → other mobile platforms → client hints → desktop. Earlier stages
//! catch devices whose UAs also carry later stages' tokens (Android TVs say `Android`, KaiOS says `Android`,
//! the 3DS says `like iPhone`). Signals and their measured precision: device-detection.md §5–§7.

use super::model::{Facts, is_other_model};
use crate::DeviceClass::{self, Console, Desktop, Featurephone, Other, Smartphone, Tablet, Tv};
use crate::Signals;
use crate::keywords::{KwSet, kw};
use crate::models::DeviceModels;
use crate::signals::unquote;
use crate::ua::{Ua, starts_ci};

/// Single keywords of the stages below (the token groups are the `*_TOKENS` lists next to their stage).
const KEYWORDS: &[&str] = &[
    // Panasonic's TV browser, as a word: not the "viera" inside the phone name "RIVIERA".
    "viera",
    // Platform switches.
    "android",
    "adr ",
    "android ",
    "mobile",
    "tablet",
    "tablet pc",
    "mobile safari",
    "mobilesafari",
    "safari/",
    "pc",
    "desktop",
    // Consoles.
    "playstation",
    "nintendo",
    "xbox",
    "wii",
    "ps3",
    "ps4",
    "ps5",
    "psp",
    "ouya",
    "gamepad",
    "retroid",
    // TVs and set-top boxes.
    "tv",
    "dtv",
    "aquos",
    "stb",
    "omi/",
    "atv",
    "(screen ",
    "tizen",
    "mips",
    "linux sh4",
    "wired)",
    "wireless)",
    "directfb",
    "kylo",
    "ekioh",
    "wpe",
    // Wearables, VR, cars, media players, e-readers.
    "watch",
    "wearos",
    "wear os",
    "glass",
    "oculus",
    "pico ",
    "vr ",
    "tesla/",
    "carplay",
    "automotive",
    "qtcarbrowser",
    "family hub",
    "sonos",
    "icru_",
    "mdcr_",
    "airplay",
    "ipod",
    "homepod",
    "kindle/",
    "kobo touch",
    "silk/",
    "sm-r",
    // Feature-phone exclusions.
    "kaios",
    "iphone",
    "windows nt",
    "windows phone",
    "iemobile",
    "wds ",
    "meego",
    "bada/",
    "ddipocket",
    "j2me",
    // Apple, Android apps, other mobile platforms.
    "ipad",
    "cfnetwork/",
    " darwin/",
    "/apad",
    "applewebkit/",
    "gecko/",
    "dalvik",
    "playbook",
    "harmonyos",
    "openharmony",
    "(tablet;",
    "(mobile;",
    "macintosh",
    "touch",
    "puffin/",
    "foma;",
    "jig browser",
    "(vre;",
    "tablet pc",
    "samsungbrowser",
];

/// This module's keyword lists, collected by `crate::keywords`.
pub(crate) const KEYWORD_LISTS: &[&[&str]] = &[
    KEYWORDS,
    TV_TOKENS,
    J2ME_SMARTPHONE_TOKENS,
    FEATUREPHONE_TOKENS,
    MAC_TOKENS,
    PHONE_TOKENS,
    DESKTOP_TOKENS,
];

/// The device class from UA and headers, or `None` when nothing names a device.
///
/// Stages that only other platforms reach (Apple, other mobile platforms, hints, desktop, Puffin, screen
/// sizes) are kept out of line (`#[inline(never)]`): V8 compiles wasm lazily, function by function, so a
/// first request pays only for the code its own path runs (bench/classify/RESULTS.md, round 6).
///
/// Last, an Android phone/tablet/TV answer is checked against the operator's device-model table
/// ([`DeviceModels`]): a listed model code is the most specific fact there is (a white-label tablet whose
/// Chrome says `Mobile`, a box that omits it), so the table's class wins. Other answers (wearables, cars,
/// consoles, bots) rest on explicit tokens and stay.
pub(crate) fn detect(ua: &Ua, s: &Signals, models: &DeviceModels) -> Option<DeviceClass> {
    // Android UAs (the bulk of traffic) skip the stages that only look at other platforms.
    let android = ua.has(kw!("android")) || ua.has(kw!("adr "));
    // The model code (client hint first, else the Android UA's), judged once by every model convention.
    let hint = s.sec_ch_ua_model.map(unquote).filter(|m| !m.is_empty());
    let code = hint.or_else(|| ua.android_model());
    let class = detect_by_rules(ua, s, android, hint, code);
    match class {
        Some(Smartphone | Tablet | Tv) if android => {
            let class = code.and_then(|c| models.class_of(c)).or(class);
            // The browser's own `Sec-CH-UA-Mobile: ?0` on an Android phone or tablet UA without `Mobile`: a
            // tablet, or a phone in Samsung DeX or desktop mode driving a large screen. The browser states the
            // mode it lays pages out for, which neither the model code's conventions nor the table (the
            // hardware) can know.
            if class == Some(Smartphone) && mobile_hint(s) == Some("?0") && !says_mobile(ua) {
                Some(Tablet)
            } else {
                class
            }
        }
        _ => class,
    }
}

fn mobile_hint<'s>(s: &Signals<'s>) -> Option<&'s str> {
    s.sec_ch_ua_mobile.map(unquote)
}

fn says_mobile(ua: &Ua) -> bool {
    ua.has_word(kw!("mobile")) || ua.has(kw!("mobile safari")) || ua.has(kw!("mobilesafari"))
}

/// The rule pipeline of [`detect`].
fn detect_by_rules(
    ua: &Ua,
    s: &Signals,
    android: bool,
    hint: Option<&str>,
    code: Option<&str>,
) -> Option<DeviceClass> {
    let model = code.map(Facts::of);
    // `try_other` reads the UA's own model only.
    let ua_model_other = if hint.is_none() {
        model.is_some_and(|f| f.other)
    } else {
        ua.android_model().is_some_and(is_other_model)
    };
    try_console(ua)
        .or_else(|| try_tv(ua, s, model))
        .or_else(|| try_form_factors(s))
        .or_else(|| try_puffin(ua))
        .or_else(|| try_other(ua, ua_model_other))
        .or_else(|| try_featurephone(ua, android))
        .or_else(|| if android { None } else { try_apple(ua) })
        .or_else(|| {
            if android {
                try_android(ua, s, model)
            } else {
                None
            }
        })
        .or_else(|| try_mobile_platform(ua))
        .or_else(|| try_hints(s))
        .or_else(|| try_desktop(ua))
}

fn try_console(ua: &Ua) -> Option<DeviceClass> {
    let hit = ua.has(kw!("playstation"))
        || ua.has(kw!("nintendo"))
        || ua.has_word_start(kw!("xbox"))
        || ua.has_word(kw!("wii"))
        || ua.has_word(kw!("ps3"))
        || ua.has_word(kw!("ps4"))
        || ua.has_word(kw!("ps5"))
        || ua.has_word(kw!("psp"))
        || ua.has(kw!("ouya"))
        || ua.has(kw!("gamepad"))
        // Retroid's Android handhelds name themselves `Retroid Pocket <n>`.
        || ua.has(kw!("retroid"));
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
    "streaming box",
    // TiviMate, an IPTV player published for Android TV only, names the box in its comment.
    "tivimate/",
    "mibox",
    "mi box",
    "firetv",
    "fire tv",
    "webtv",
    "hybridcast",
    "brightsign",
    "stbapp",
];

const TV_SET: KwSet = KwSet::of(TV_TOKENS);

/// Whether the UA names a TV platform or TV product.
pub(crate) fn names_tv(ua: &Ua) -> bool {
    ua.has_any(&TV_SET) || ua.has_word_start(kw!("viera"))
}

fn try_tv(ua: &Ua, s: &Signals, model: Option<Facts>) -> Option<DeviceClass> {
    let android = ua.has(kw!("android"));
    if names_tv(ua)
        || ua.has_word(kw!("tv"))
        || (ua.has_word(kw!("dtv")) && !ua.has(kw!("android")))
        || (ua.has(kw!("aquos")) && !ua.has(kw!("android")))
        || ua.has_word(kw!("stb"))
        || ua.has_word_start(kw!("omi/"))
    {
        return Some(Tv);
    }
    if ua.has(kw!("tizen")) && ua.has(kw!("tv")) {
        return Some(Tv);
    }
    // Amazon's Fire TV player API (`Amazon;AFTMM;<id>;;tpapi`): the `AFT…` model code in its second field.
    if ua.starts_with("amazon;aft") {
        return Some(Tv);
    }
    // Set-top Linux without Android: MIPS/SH4 boxes, DirectFB, Kylo, and the set-top browser engines Ekioh and
    // WPE (WebKit's embedded port, named as a word: `… Safari/601.1 WPE`).
    if !ua.has(kw!("android"))
        && (ua.has(kw!("mips"))
            || ua.has(kw!("linux sh4"))
            || ua.has(kw!("directfb"))
            || ua.has(kw!("kylo"))
            || ua.has(kw!("ekioh"))
            || ua.has_word(kw!("wpe")))
    {
        return Some(Tv);
    }
    // Opera's TV SDK closes the UA with the set's maker, model and connection: `(MEDION, Si2156LG32, wireless)`.
    // (Keyed on `wired)`: a keyword starting `, ` would be a candidate at every `KHTML, like` of every UA.)
    let suffix = |k| {
        ua.find(k)
            .and_then(|i| ua.lower().get(..i))
            .is_some_and(|before| before.trim_ascii_end().ends_with(b","))
    };
    if ua.has(kw!("wired)")) && suffix(kw!("wired)"))
        || ua.has(kw!("wireless)")) && suffix(kw!("wireless)"))
    {
        return Some(Tv);
    }
    // A TV-named app package, unless the UA says Mobile (phone apps that cast *to* a TV).
    if s.x_requested_with.is_some_and(is_tv_package) && !ua.has_word(kw!("mobile")) {
        return Some(Tv);
    }
    if model.is_some_and(|f| f.tv) {
        return Some(Tv);
    }
    // `ATV` as a word is Google's own abbreviation for Android TV (`wv-atv`, the TV WebView; `… ATV4` boxes).
    if ua.has_word(kw!("atv")) && android {
        return Some(Tv);
    }
    if android && android_tv_build(ua) {
        return Some(Tv);
    }
    None
}

/// Whether the AOSP build ID after `Build/` is an Android TV one. Build IDs are `<release letter><branch
/// letter><digit or letter>.<YYMMDD>…` (`TP1A.220624.014`, `RKQ1.…`); Google's Android TV (ATV) release
/// branches use `T` as the branch letter from Nougat (`N`) on (`PTT1.…`, `QTT8.…`, `RTT0.…`, `STTC.…`), so
/// boxes and TVs built on the certified ATV tree say so even when their model code is opaque and their WebView
/// says `Mobile`. Phone and tablet branches use other letters (`P`, `K`, `D`, `Q`…).
fn android_tv_build(ua: &Ua) -> bool {
    // The build ID follows the model code (`<model> Build/<id>`), which the UA's model parser has already
    // located: no search. (Not a keyword: `Build/` is in most Android UAs, and its common byte pairs would
    // slow the keyword scan of every UA.)
    let Some(id) = ua.build_id() else {
        return false;
    };
    let b = id.as_bytes();
    let alnum = b
        .iter()
        .skip(2)
        .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        .count();
    let end = |i: usize| b.get(i).is_none_or(|c| matches!(c, b';' | b')' | b' '));
    // Box firmware often stops at the release and branch (`Build/STTC`, `Build/RT`), or gives only the
    // release's codename (`Build/PI` for Pie); phone and tablet builds carry the full dated ID.
    let bare_branch = b.len() >= 2 && alnum <= 2 && end(2 + alnum);
    let atv_branch = b.first().is_some_and(|c| (b'N'..=b'W').contains(c))
        && b.get(1) == Some(&b'T')
        && (bare_branch
            || (1..=3).contains(&alnum)
                && b.get(2 + alnum) == Some(&b'.')
                && b.get(3 + alnum).is_some_and(u8::is_ascii_digit));
    atv_branch || b.starts_with(b"PI") && end(2)
}

/// App packages of TV launchers and browsers: a `tv` segment (`com.tv.browser`, `…​.androidtv`, `tv.…`).
fn is_tv_package(p: &str) -> bool {
    p.split('.').any(|seg| {
        seg.eq_ignore_ascii_case("tv") || starts_ci(seg, "androidtv") || starts_ci(seg, "smarttv")
    })
}

/// `Sec-CH-UA-Form-Factors`, the browser's own list of what the device is. The kinds that are not phones or
/// desktops settle the class (`Tablet`; `XR`, `EInk`, `Automotive`, `Watch` are class "other": headsets,
/// e-readers, cars, wearables); `Mobile` and `Desktop` leave it to the UA and the other hints, which say the
/// same more precisely.
#[inline(never)] // cold for most first requests: see `detect`
fn try_form_factors(s: &Signals) -> Option<DeviceClass> {
    let list = s.sec_ch_ua_form_factors?;
    let mut tablet = false;
    for f in list.split(',').map(unquote) {
        if ["xr", "eink", "automotive", "watch"]
            .iter()
            .any(|k| f.eq_ignore_ascii_case(k))
        {
            return Some(Other);
        }
        tablet |= f.eq_ignore_ascii_case("tablet");
    }
    tablet.then_some(Tablet)
}

/// Puffin, a cloud-rendering browser, ends its version with the device kind it was built for: `AP`/`IP`
/// (Android / iOS phone), `AT`/`IT` (Android tablet / iPad). That is the browser's own statement, so it wins
/// over model-name heuristics (a phone named `…-Glass`); other suffixes (`WD` desktop, `FP` cloud phone) say
/// nothing here.
#[inline(never)] // cold for most first requests: see `detect`
fn try_puffin(ua: &Ua) -> Option<DeviceClass> {
    let version = ua.after(kw!("puffin/"))?;
    let end = version
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
        .unwrap_or(version.len());
    let tail = version.as_bytes().get(..end).unwrap_or_default();
    match tail.len().checked_sub(2).and_then(|i| tail.get(i..)) {
        Some(b"AP" | b"IP") => Some(Smartphone),
        Some(b"AT" | b"IT") => Some(Tablet),
        _ => None,
    }
}

/// `other_model`: the UA's Android model follows a wearable/camera/player/board convention.
fn try_other(ua: &Ua, other_model: bool) -> Option<DeviceClass> {
    let wearable = ua.has_word_start(kw!("watch"))
        || ua.has(kw!("wearos"))
        || ua.has(kw!("wear os"))
        || ua.has_word(kw!("glass"));
    // Meta's headsets say `OculusBrowser`, or name themselves `Quest <n>` in the Android model slot; "Quest"
    // elsewhere is a phone line (`QUMO Quest 402`, `conquest-S6`).
    let quest = ua.android_model().is_some_and(|m| {
        starts_ci(m, "quest ") && m.as_bytes().get(6).is_some_and(u8::is_ascii_digit)
    });
    let vr = ua.has(kw!("oculus")) || quest || ua.has(kw!("pico ")) || ua.has(kw!("vr "));
    // Tesla's in-car browser is `QtCarBrowser`, with or without `Tesla/`.
    let car = ua.has(kw!("tesla/"))
        || ua.has(kw!("carplay"))
        || ua.has(kw!("automotive"))
        || ua.has(kw!("qtcarbrowser"));
    // Samsung's Family Hub refrigerators browse on Tizen.
    let appliance = ua.has(kw!("family hub"));
    // Sonos's controller apps name the phone or computer they run on (`Sonos/… (ICRU_iPhone11,6)`, `(MDCR_…)`):
    // that device is the reader's, so only the speakers' own strings are "other".
    let sonos_controller = ua.has(kw!("icru_")) || ua.has(kw!("mdcr_"));
    let media = ua.has(kw!("sonos")) && !sonos_controller
        || ua.has(kw!("airplay"))
        || ua.has(kw!("ipod"))
        || ua.has(kw!("homepod"));
    // E-ink readers: Kindle's own browser, and Kobo's, which every Kobo reader calls `(Kobo Touch)`.
    let reader = ua.has(kw!("kindle/")) && !ua.has(kw!("android")) && !ua.has(kw!("silk/"))
        || ua.has(kw!("kobo touch"));
    let samsung_wear = ua.has(kw!("sm-r")) && ua.has(kw!("tizen"));
    let amazon_echo = ua.android_model().is_some_and(|m| starts_ci(m, "aeo"));
    (wearable
        || vr
        || car
        || appliance
        || media
        || reader
        || samsung_wear
        || amazon_echo
        || other_model)
        .then_some(Other)
}

fn try_featurephone(ua: &Ua, android: bool) -> Option<DeviceClass> {
    if ua.has(kw!("kaios")) {
        return Some(Featurephone);
    }
    // Smartphone platforms whose UAs also name Nokia, Samsung-SGH or a carrier (Windows Phone, MeeGo, Bada).
    if android
        || ua.has(kw!("iphone"))
        || ua.has(kw!("windows nt"))
        || ua.has(kw!("windows phone"))
        || ua.has(kw!("iemobile"))
        || ua.has(kw!("wds "))
        || ua.has(kw!("meego"))
        || ua.has(kw!("bada/"))
    {
        return None;
    }
    // Smartphone platforms that also carry J2ME tokens (BlackBerry OS, Symbian S60).
    if ua.has_any(&J2ME_SMARTPHONE_SET) {
        return Some(Smartphone);
    }
    // Japanese carrier stacks: DoCoMo's `FOMA` i-mode phones and the `jig browser` for KDDI/SoftBank handsets;
    // Opera Mini on MediaTek's `VRE` feature-phone runtime.
    (ua.has_any(&FEATUREPHONE_SET)
        || ua.has(kw!("foma;"))
        || ua.has(kw!("jig browser"))
        || ua.has(kw!("(vre;"))
        || ua.has(kw!("ddipocket"))
        || ua.has(kw!("j2me"))
        || ua.starts_with("lg-"))
    .then_some(Featurephone)
}

/// Smartphone platforms that also carry J2ME tokens (BlackBerry OS, Symbian S60).
const J2ME_SMARTPHONE_TOKENS: &[&str] = &["blackberry", "symbian", "series60", "s60"];
const J2ME_SMARTPHONE_SET: KwSet = KwSet::of(J2ME_SMARTPHONE_TOKENS);

/// J2ME/WAP stacks, feature-phone browsers and makers, Japanese carriers.
const FEATUREPHONE_TOKENS: &[&str] = &[
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
const FEATUREPHONE_SET: KwSet = KwSet::of(FEATUREPHONE_TOKENS);

/// What macOS apps append to a `CFNetwork`/`Darwin` UA: the CPU architecture or a Mac model.
const MAC_TOKENS: &[&str] = &[
    "(x86_64)",
    "(i386)",
    "(arm64)",
    "(ppc",
    "macbook",
    "imac",
    "macmini",
    "macpro",
    "mac os",
    "macos",
    "powermac",
    "powerbook",
    "power%20macintosh",
];
const MAC_SET: KwSet = KwSet::of(MAC_TOKENS);

#[inline(never)] // cold for most first requests: see `detect`
fn try_apple(ua: &Ua) -> Option<DeviceClass> {
    if ua.has(kw!("ipad")) {
        return Some(Tablet);
    }
    if ua.has(kw!("iphone")) || ua.starts_with("dv(iph") {
        return Some(Smartphone);
    }
    if ua.has(kw!("cfnetwork/")) || ua.starts_with("darwin/") || ua.has(kw!(" darwin/")) {
        return Some(if is_mac_app(ua) { Desktop } else { Smartphone });
    }
    None
}

/// Whether a `CFNetwork`/`Darwin` app UA comes from macOS: macOS apps append the CPU architecture or a Mac
/// model, iOS apps do not (device-detection.md §5 #10). `software::os` names the OS by the same test.
pub(crate) fn is_mac_app(ua: &Ua) -> bool {
    ua.has_any(&MAC_SET)
}

/// Android phones, tablets and the rest (called only for UAs naming Android).
fn try_android(ua: &Ua, s: &Signals, model: Option<Facts>) -> Option<DeviceClass> {
    if model.is_some_and(|f| f.pc) {
        return Some(Desktop);
    }
    if says_tablet(ua) {
        return Some(Tablet);
    }
    if let Some(f) = model {
        if f.tablet {
            return Some(Tablet);
        }
        if f.phone {
            return Some(Smartphone);
        }
    }
    if screen_is_tablet(ua) {
        return Some(Tablet);
    }
    // Yandex apps' tablet builds mark themselves `…/apad` (precision 0.83 alone; after the phone-model check).
    if ua.has(kw!("/apad")) {
        return Some(Tablet);
    }
    // Android 3.x (Honeycomb) shipped on tablets only.
    if ua.version_after(kw!("android ")) == Some(3) {
        return Some(Tablet);
    }
    match mobile_hint(s) {
        Some("?1") => return Some(Smartphone),
        Some("?0") => return Some(Tablet),
        _ => {}
    }
    if says_mobile(ua) {
        return Some(Smartphone);
    }
    // Android without `Mobile` is a tablet once TVs are filtered out — for complete browser UAs. App UAs
    // (Dalvik, OkHttp, in-app strings) never say Mobile, and most come from phones; nor does a WebKit UA cut
    // short before its closing `[Mobile ]Safari/…` token, so its silence says nothing either.
    let browser = ua.starts_with("mozilla/")
        && (ua.has(kw!("applewebkit/")) && ua.has(kw!("safari/")) || ua.has(kw!("gecko/")))
        && !ua.has(kw!("dalvik"));
    if !browser {
        return Some(Smartphone);
    }
    Some(Tablet)
}

/// `Tablet` as a word, or as a versioned capability token (`(compatible; Tablet2.0)`, which app frameworks write
/// where phones get `Smartphone2.0`), but not Windows' `Tablet PC` (see [`try_mobile_platform`]).
fn says_tablet(ua: &Ua) -> bool {
    if !ua.has_word_start(kw!("tablet")) || ua.has(kw!("tablet pc")) {
        return false;
    }
    ua.has_word(kw!("tablet"))
        || ua.find(kw!("tablet")).is_some_and(|i| {
            ua.lower()
                .get(i + "tablet".len())
                .is_some_and(u8::is_ascii_digit)
        })
}

/// E-reader firmware (PocketBook and its ODM siblings) states the panel in the UA as `(screen <w>x<h>; …)`,
/// and says `Mobile` whatever the panel. A shorter side of 600 px or more at a 4:3-ish aspect (below 1.6:1) is
/// a tablet-class panel; phones are narrower than 600 px or taller than 16:10.
#[inline(never)] // cold for most first requests: see `detect`
fn screen_is_tablet(ua: &Ua) -> bool {
    let Some(rest) = ua.after(kw!("(screen ")) else {
        return false;
    };
    let mut it = rest.splitn(2, 'x');
    let (Some(w), Some(h)) = (it.next(), it.next()) else {
        return false;
    };
    let (Some(w), Some(h)) = (crate::ua::leading_number(w), crate::ua::leading_number(h)) else {
        return false;
    };
    let (short, long) = (w.min(h), w.max(h));
    short >= 600 && long * 10 < short * 16
}

#[inline(never)] // cold for most first requests: see `detect`
fn try_mobile_platform(ua: &Ua) -> Option<DeviceClass> {
    if ua.has(kw!("playbook")) {
        return Some(Tablet);
    }
    // Amazon Silk outside an Android UA is the Kindle Fire's desktop-mode string (`Linux; U; en-us; KFTHWI
    // Build/…` or a Mac one); Fire TV's Silk says Android and an `AFT…` model, and consoles were taken earlier.
    if ua.has(kw!("silk/")) {
        return Some(Tablet);
    }
    if ua.has(kw!("harmonyos")) || ua.has(kw!("openharmony")) {
        if ua.has_word(kw!("tablet")) {
            return Some(Tablet);
        }
        if ua.has_word(kw!("pc")) {
            return Some(Desktop);
        }
        return Some(Smartphone);
    }
    if ua.has_any(&PHONE_SET) {
        return Some(Smartphone);
    }
    // Internet Explorer on a touch-screen Windows device says `Touch` (phones said `WPDesktop`/`IEMobile`,
    // matched above): the Windows tablet and 2-in-1 convention.
    // (Not Internet Explorer's `Tablet PC 2.0`: Windows 7 installs the Tablet PC components on desktops too, so
    // the token is in many desktops' UAs.)
    if ua.has(kw!("windows nt")) && ua.has_word(kw!("touch")) {
        return Some(Tablet);
    }
    // Samsung Internet exists only on Android; with a desktop Linux platform instead it is a Galaxy phone or
    // tablet in DeX (or desktop) mode, a large screen driven like a tablet.
    if ua.has(kw!("samsungbrowser")) && ua.has(kw!("x11")) && !says_mobile(ua) {
        return Some(Tablet);
    }
    if says_tablet(ua) {
        return Some(Tablet);
    }
    // Firefox OS and other Gecko mobiles: `(Mobile; rv:…)` / `(Tablet; rv:…)`.
    if ua.has(kw!("(tablet;")) {
        return Some(Tablet);
    }
    if ua.has(kw!("(mobile;"))
        || ua.has_word(kw!("mobile")) && !ua.has(kw!("windows nt")) && !ua.has(kw!("macintosh"))
    {
        return Some(Smartphone);
    }
    None
}

/// Smartphone platforms other than Android and iOS, and the raw in-app string of Facebook for Android
/// (`[FBAN/FB4A;…]`, which names no platform).
const PHONE_TOKENS: &[&str] = &[
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
    "[fban/fb4a",
    "lumia",
    "zunewp7",
    // Windows Phone's own mail and sync agent (`MSFT-WP/7.10.8860`).
    "msft-wp/",
];
const PHONE_SET: KwSet = KwSet::of(PHONE_TOKENS);

/// Client hints without a platform token in the UA (reduced UAs, apps).
#[inline(never)] // cold for most first requests: see `detect`
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

#[inline(never)] // cold for most first requests: see `detect`
fn try_desktop(ua: &Ua) -> Option<DeviceClass> {
    (names_desktop_os(ua) || ua.has_word(kw!("desktop"))).then_some(Desktop)
}

/// Whether the UA names a desktop operating system.
pub(crate) fn names_desktop_os(ua: &Ua) -> bool {
    ua.has_any(&DESKTOP_SET)
}

/// Desktop operating systems.
const DESKTOP_TOKENS: &[&str] = &[
    "windows",
    "win64",
    "wow64",
    "win32",
    "win98",
    "win95",
    "win 9x",
    "winnt",
    "cros ", // ChromeOS: `(X11; CrOS x86_64 …)`; a bare "cros" is inside "Microsoft"
    "x11",
    "linux",
    "ubuntu",
    "suse",
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
    "cygwin",
    "mdcr_",
    "syllable",
    "openvms",
    "win7",
    "win8",
    "win10",
    "win11",
    "qtver=",
    // Old and rare desktop platforms: Windows 3.x (`Win16`), 68K Macs, Unix workstations (`UNIX BSD/SYSV`), RISC
    // OS, CP/M, and a distribution named in place of `Linux` (`X11; Fedora;`).
    "win16",
    "68k",
    "unix",
    "sysv",
    "risc os",
    "cp/m",
    "fedora",
    "illumos",
    "solaris",
    // Microsoft's desktop Office programs (`Microsoft Office/16.0`; their iPad builds say `iPad`, matched
    // first) and messaging clients (Lync, renamed Skype for Business), which load the images of the
    // messages they show: Windows and macOS programs only.
    "lync ",
    "skype for business",
    "microsoft office",
];
const DESKTOP_SET: KwSet = KwSet::of(DESKTOP_TOKENS);
