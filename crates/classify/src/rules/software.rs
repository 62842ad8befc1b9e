//! Operating-system and browser families, for reporting only (the device class does not depend on them).

use super::device;
use crate::keywords::{Kw, Ranked, kw};
use crate::ua::Ua;

/// OS tokens, in precedence order (first match names the OS).
const OS_TOKENS: &[&str] = &[
    "kaios",
    "windows phone",
    "harmonyos",
    "tizen",
    "web0s",
    "webos",
    "iphone",
    "ipad",
    "ipod",
    "outlook-ios",
    "ios ",
    "android",
    "adr ",
    "cros ",
    "macintosh",
    "mac os",
    "macos",
    "windows",
    "win64",
    "win32",
    "msoffice",
    "blackberry",
    "bb10",
    "symbian",
    "playstation",
    "linux",
    "x11",
    // CFNetwork apps: Darwin, on macOS with the CPU or Mac model (`device::is_mac_app`).
    "darwin/",
];

/// Browser and engine tokens, in precedence order.
const BROWSER_TOKENS: &[&str] = &[
    "edg/",
    "edge/",
    "edga/",
    "edgios/",
    "opr/",
    "opera",
    "yabrowser",
    "samsungbrowser",
    "ucbrowser",
    "ucweb",
    "vivaldi",
    "silk/",
    "fxios/",
    "firefox/",
    "crios/",
    "; wv)",
    "electron/",
    "chrome/",
    "chromium/",
    "msie ",
    "trident/",
    "safari/",
    "applewebkit/",
];

/// This module's keyword lists, collected by `crate::keywords`.
pub(crate) const KEYWORD_LISTS: &[&[&str]] = &[OS_TOKENS, BROWSER_TOKENS];

/// The OS family named by the UA.
pub(crate) fn os(ua: &Ua) -> Option<&'static str> {
    const ORDER: &[(Kw, &str)] = &[
        (kw!("kaios"), "KaiOS"),
        (kw!("windows phone"), "Windows Phone"),
        (kw!("harmonyos"), "HarmonyOS"),
        (kw!("tizen"), "Tizen"),
        (kw!("web0s"), "webOS"),
        (kw!("webos"), "webOS"),
        (kw!("iphone"), "iOS"),
        (kw!("ipad"), "iPadOS"),
        (kw!("ipod"), "iOS"),
        (kw!("outlook-ios"), "iOS"),
        (kw!("ios "), "iOS"),
        (kw!("android"), "Android"),
        (kw!("adr "), "Android"),
        (kw!("cros "), "ChromeOS"),
        (kw!("macintosh"), "macOS"),
        (kw!("mac os"), "macOS"),
        (kw!("macos"), "macOS"),
        (kw!("windows"), "Windows"),
        (kw!("win64"), "Windows"),
        (kw!("win32"), "Windows"),
        (kw!("msoffice"), "Windows"),
        (kw!("blackberry"), "BlackBerry"),
        (kw!("bb10"), "BlackBerry"),
        (kw!("symbian"), "Symbian"),
        (kw!("playstation"), "PlayStation"),
        (kw!("linux"), "Linux"),
        (kw!("x11"), "Linux"),
    ];
    static RANKED: Ranked = Ranked::of(ORDER);
    if let Some((_, os)) = ua.first_of(&RANKED).and_then(|i| ORDER.get(i)) {
        return Some(os);
    }
    if ua.has(kw!("darwin/")) {
        return Some(if device::is_mac_app(ua) {
            "macOS"
        } else {
            "iOS"
        });
    }
    None
}

/// The browser (or engine) family named by the UA.
pub(crate) fn browser(ua: &Ua) -> Option<&'static str> {
    const ORDER: &[(Kw, &str)] = &[
        (kw!("edg/"), "Edge"),
        (kw!("edge/"), "Edge"),
        (kw!("edga/"), "Edge"),
        (kw!("edgios/"), "Edge"),
        (kw!("opr/"), "Opera"),
        (kw!("opera"), "Opera"),
        (kw!("yabrowser"), "Yandex Browser"),
        (kw!("samsungbrowser"), "Samsung Internet"),
        (kw!("ucbrowser"), "UC Browser"),
        (kw!("ucweb"), "UC Browser"),
        (kw!("vivaldi"), "Vivaldi"),
        (kw!("silk/"), "Silk"),
        (kw!("fxios/"), "Firefox"),
        (kw!("firefox/"), "Firefox"),
        (kw!("crios/"), "Chrome"),
        (kw!("; wv)"), "Android WebView"),
        (kw!("electron/"), "Electron"),
        (kw!("chrome/"), "Chrome"),
        (kw!("chromium/"), "Chrome"),
        (kw!("msie "), "Internet Explorer"),
        (kw!("trident/"), "Internet Explorer"),
        (kw!("safari/"), "Safari"),
    ];
    static RANKED: Ranked = Ranked::of(ORDER);
    if let Some((_, name)) = ua.first_of(&RANKED).and_then(|i| ORDER.get(i)) {
        return Some(name);
    }
    ua.has(kw!("applewebkit/")).then_some("WebKit")
}
