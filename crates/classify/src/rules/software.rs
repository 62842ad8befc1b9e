//! Operating-system and browser families, for reporting only (the device class does not depend on them).

use crate::ua::Ua;

/// The OS family named by the UA.
pub(crate) fn os(ua: &Ua) -> Option<&'static str> {
    const ORDER: &[(&str, &str)] = &[
        ("kaios", "KaiOS"),
        ("windows phone", "Windows Phone"),
        ("harmonyos", "HarmonyOS"),
        ("tizen", "Tizen"),
        ("web0s", "webOS"),
        ("webos", "webOS"),
        ("iphone", "iOS"),
        ("ipad", "iPadOS"),
        ("ipod", "iOS"),
        ("outlook-ios", "iOS"),
        ("ios ", "iOS"),
        ("android", "Android"),
        ("adr ", "Android"),
        ("cros", "ChromeOS"),
        ("macintosh", "macOS"),
        ("mac os", "macOS"),
        ("macos", "macOS"),
        ("windows", "Windows"),
        ("win64", "Windows"),
        ("win32", "Windows"),
        ("msoffice", "Windows"),
        ("blackberry", "BlackBerry"),
        ("bb10", "BlackBerry"),
        ("symbian", "Symbian"),
        ("playstation", "PlayStation"),
        ("linux", "Linux"),
        ("x11", "Linux"),
    ];
    if let Some(&(_, name)) = ORDER.iter().find(|(needle, _)| ua.has(needle)) {
        return Some(name);
    }
    if ua.has("darwin/") {
        return Some(
            if ua.has("(x86_64)") || ua.has("(arm64)") || ua.has("(i386)") {
                "macOS"
            } else {
                "iOS"
            },
        );
    }
    None
}

/// The browser (or engine) family named by the UA.
pub(crate) fn browser(ua: &Ua) -> Option<&'static str> {
    const ORDER: &[(&str, &str)] = &[
        ("edg/", "Edge"),
        ("edge/", "Edge"),
        ("edga/", "Edge"),
        ("edgios/", "Edge"),
        ("opr/", "Opera"),
        ("opera", "Opera"),
        ("yabrowser", "Yandex Browser"),
        ("samsungbrowser", "Samsung Internet"),
        ("ucbrowser", "UC Browser"),
        ("ucweb", "UC Browser"),
        ("vivaldi", "Vivaldi"),
        ("silk/", "Silk"),
        ("fxios/", "Firefox"),
        ("firefox/", "Firefox"),
        ("crios/", "Chrome"),
        ("; wv)", "Android WebView"),
        ("electron/", "Electron"),
        ("chrome/", "Chrome"),
        ("chromium/", "Chrome"),
        ("msie ", "Internet Explorer"),
        ("trident/", "Internet Explorer"),
        ("safari/", "Safari"),
    ];
    if let Some(&(_, name)) = ORDER.iter().find(|(needle, _)| ua.has(needle)) {
        return Some(name);
    }
    ua.has("applewebkit/").then_some("WebKit")
}
