//! Email-specific rules, run before any device rule: mailbox image proxies and prefetchers (machine openers),
//! and mail-client identification from UA product tokens or the Android `X-Requested-With` package.
//! Evidence for the signatures, public: Gmail's image proxy (`GoogleImageProxy`, images rewritten to
//! `googleusercontent.com/proxy`: wordtothewise.com/2013/12/gmail-deploys-image-proxy-servers), Apple Mail
//! Privacy Protection's bare `Mozilla/5.0` since September 2021 (github.com/ua-parser/uap-core/issues/509;
//! its egress ranges: mask-api.icloud.com/egress-ip-ranges.csv), Yahoo's proxy naming its help page
//! (help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html), and the mail clients' own product tokens.

use crate::DeviceClass;
use crate::iprange::IpOwner;
use crate::keywords::kw;
use crate::ua::Ua;

/// Keywords of the proxy, prefetch and mail-client rules below (scanned once per UA, see `crate::keywords`).
const KEYWORDS: &[&str] = &[
    // Proxies and prefetchers.
    "proxy",
    "googleimageproxy",
    "yahoomailproxy",
    "seznamemailproxy",
    "ramblermail",
    "imageproxy",
    "mail.ukr.net proxy",
    "fwdcdn.com",
    "superhumanproxy",
    " gecko firefox/",
    "edge/12.",
    // Mail clients.
    "outlook",
    "msoffice",
    "ms-office",
    "outlook-ios",
    "prod.iphone",
    "iphone",
    "ipad",
    "outlook-express",
    "microsoft outlook",
    "macoutlook/",
    "oneoutlook/",
    "cfnetwork/",
    "thunderbird/",
    "icedove/",
    "postbox",
    "airmail",
    "lotus-notes/",
    "mailspring/",
    "em client/",
    "navermailapp/",
    "ymail",
    "yahoomobilemail",
    "yahoo%20mail/",
    "yahoo mail/",
    "sparkmail/",
    "sparkdesktop/",
    "zohomail",
    "mailbird/",
    "fastmailua/",
    "superhuman/",
    "android-gmail/",
    "bluemail",
    "foxmail",
    "tutanota-desktop/",
    "kmail",
    "mailapp/",
    // Bare Apple WebKit (Apple Mail without MPP).
    "applewebkit/",
    "(macintosh;",
    "(iphone;",
    "(ipad;",
    "(khtml, like gecko) mobile/",
];

/// This module's keyword lists, collected by `crate::keywords`.
pub(crate) const KEYWORD_LISTS: &[&[&str]] = &[KEYWORDS];
use crate::{Opener, Signals};

/// A machine opener recognised from email-specific signals.
pub(crate) struct ProxyHit {
    pub opener: Opener,
    pub client: Option<&'static str>,
    pub proxy: &'static str,
    /// The reader's UA passes through (Superhuman), so the device can still be read from it.
    pub keeps_device: bool,
}

const GMAIL_PROXY: &str = "Gmail image proxy";
const GMAIL_PREFETCH: &str = "Gmail prefetch";
const APPLE_MPP: &str = "Apple Mail Privacy Protection";

fn hit(opener: Opener, client: &'static str, proxy: &'static str) -> Option<ProxyHit> {
    Some(ProxyHit {
        opener,
        client: Some(client),
        proxy,
        keeps_device: false,
    })
}

/// Proxy and prefetch signatures in the UA, then in the source IP's owner.
pub(crate) fn try_proxy(ua: &Ua, owner: Option<IpOwner>) -> Option<ProxyHit> {
    // Every named mail proxy carries "proxy" in its UA; one search skips them all for ordinary UAs.
    if ua.has(kw!("proxy")) {
        if ua.has(kw!("googleimageproxy")) {
            // Gmail web and apps (also Google Docs' image insert, which we cannot tell apart).
            return hit(Opener::Proxy, "Gmail", GMAIL_PROXY);
        }
        if ua.has(kw!("yahoomailproxy")) {
            return hit(Opener::Proxy, "Yahoo Mail", "Yahoo Mail proxy");
        }
        if ua.has(kw!("seznamemailproxy")) {
            return hit(Opener::Proxy, "Seznam Email", "Seznam email proxy");
        }
        if ua.has(kw!("ramblermail")) && ua.has(kw!("imageproxy")) {
            return hit(Opener::Proxy, "Rambler Mail", "Rambler Mail image proxy");
        }
        if ua.has(kw!("mail.ukr.net proxy")) || ua.has(kw!("fwdcdn.com")) {
            return hit(Opener::Proxy, "UkrNet Mail", "UkrNet mail proxy");
        }
        if ua.has(kw!("superhumanproxy")) {
            // Appends "(via SuperhumanProxy; …)" to the reader's own UA: the device survives.
            return Some(ProxyHit {
                opener: Opener::Proxy,
                client: Some("Superhuman"),
                proxy: "Superhuman proxy",
                keeps_device: true,
            });
        }
    }
    // Apple Mail Privacy Protection: the UA is exactly `Mozilla/5.0` (uap-core#509), fetched via Private Relay.
    if ua.raw.eq_ignore_ascii_case("mozilla/5.0") {
        return hit(Opener::Prefetch, "Apple Mail", APPLE_MPP);
    }
    if is_gmail_prefetch(ua) {
        return hit(Opener::Prefetch, "Gmail", GMAIL_PREFETCH);
    }
    // Gmail proxy base UA as ESP payloads truncate it: `… (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0`.
    // A real Gecko browser always writes `Gecko/<date>`; a bare `Gecko ` word before `Firefox/` is the proxy's.
    if ua.has(kw!(" gecko firefox/")) {
        return hit(Opener::Proxy, "Gmail", GMAIL_PROXY);
    }
    match owner? {
        IpOwner::GoogleImageProxy => hit(Opener::Proxy, "Gmail", GMAIL_PROXY),
        IpOwner::YahooImageProxy => hit(Opener::Proxy, "Yahoo Mail", "Yahoo Mail proxy"),
        IpOwner::MicrosoftScanner => hit(Opener::Scanner, "Outlook", "Microsoft 365 scanner"),
        IpOwner::Scanner => Some(ProxyHit {
            opener: Opener::Scanner,
            client: None,
            proxy: "Security scanner",
            keeps_device: false,
        }),
        IpOwner::Crawler => Some(ProxyHit {
            opener: Opener::Crawler,
            client: None,
            proxy: "Crawler network",
            keeps_device: false,
        }),
        // Private Relay also carries Safari browsing; only the bare MPP UA (handled above) or no UA is a prefetch.
        IpOwner::ApplePrivateRelay if ua.is_empty() => {
            hit(Opener::Prefetch, "Apple Mail", APPLE_MPP)
        }
        IpOwner::ApplePrivateRelay => None,
    }
}

/// Gmail's active-session prefetch UAs (Bird/SparkPost blog; Keila `@bot_user_agents`).
fn is_gmail_prefetch(ua: &Ua) -> bool {
    // A full Edge/12 UA with a second `Mozilla/5.0` glued to its end: no browser ends its UA that way.
    if ua.lower().ends_with(b" mozilla/5.0") && ua.has(kw!("edge/12.")) {
        return true;
    }
    // Keila's second "new Gmail user agent" (CHANGELOG v0.14.2): an exact Windows Chrome 104 string. It is
    // generic (a real Chrome 104 sends it too), so only this exact, now long-outdated string matches.
    ua.raw
        == "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/104.0.0.0 Safari/537.36"
}

/// A mail client recognised from the request.
pub(crate) struct ClientHit {
    pub client: &'static str,
    /// The device class the client implies when the UA itself names no device.
    pub device: Option<DeviceClass>,
}

fn client(client: &'static str, device: Option<DeviceClass>) -> Option<ClientHit> {
    Some(ClientHit { client, device })
}

/// Android mail apps name themselves only in `X-Requested-With` (Matomo `regexes/client/hints/apps.yml`).
pub(crate) fn client_from_package(package: &str) -> Option<ClientHit> {
    const APPS: &[(&str, &str)] = &[
        ("com.samsung.android.email.provider", "Samsung Email"),
        ("com.samsung.android.email", "Samsung Email"),
        ("de.gmx.mobile.android.mail", "GMX"),
        ("de.web.mobile.android.mail", "WEB.DE"),
        ("com.microsoft.office.outlook", "Outlook"),
        ("com.google.android.gm", "Gmail"),
        ("com.yahoo.mobile.client.android.mail", "Yahoo Mail"),
        ("it.italiaonline.mail", "Libero Mail"),
        ("de.telekom.mail", "Telekom Mail"),
        ("com.myhomescreen.email", "Email Home"),
        ("ru.mail.mailapp", "Mail.ru"),
        ("ru.yandex.mail", "Yandex Mail"),
        ("com.yandex.mail", "Yandex Mail"),
        ("me.bluemail.mail", "BlueMail"),
        ("com.readdle.spark", "Spark"),
        ("ch.protonmail.android", "Proton Mail"),
        ("com.fsck.k9", "K-9 Mail"),
        ("net.thunderbird.android", "Thunderbird"),
        ("com.easilydo.mail", "Edison Mail"),
        ("com.aol.mobile.aolapp", "AOL Mail"),
        ("com.tencent.androidqqmail", "QQ Mail"),
        ("com.netease.mail", "NetEase Mail"),
    ];
    let package = package.trim();
    APPS.iter()
        .find(|(p, _)| p.eq_ignore_ascii_case(package))
        .and_then(|&(_, name)| client(name, Some(DeviceClass::Smartphone)))
}

/// Mail clients from UA product tokens (device hint where the product only exists on one kind of device).
pub(crate) fn try_client(ua: &Ua, signals: &Signals) -> Option<ClientHit> {
    use DeviceClass::{Desktop, Smartphone};
    if let Some(hit) = signals.x_requested_with.and_then(client_from_package) {
        return Some(hit);
    }
    // Outlook family.
    if ua.has(kw!("outlook")) || ua.has(kw!("msoffice")) || ua.has(kw!("ms-office")) {
        if ua.has(kw!("outlook-ios")) {
            let device = if ua.has(kw!("prod.iphone")) || ua.has(kw!("iphone")) {
                Some(Smartphone)
            } else if ua.has(kw!("ipad")) {
                Some(DeviceClass::Tablet)
            } else {
                None
            };
            return client("Outlook", device);
        }
        if ua.has(kw!("outlook-express")) {
            return client("Outlook Express", Some(Desktop));
        }
        // Classic Windows (`Microsoft Outlook 16.0…`, `ms-office; MSOffice 16`), Mac (`MacOutlook/`,
        // `Outlook/… CFNetwork … (x86_64)`), new Windows (`OneOutlook/`).
        if ua.has(kw!("microsoft outlook"))
            || ua.has(kw!("msoffice"))
            || ua.has(kw!("ms-office"))
            || ua.has(kw!("macoutlook/"))
            || ua.has(kw!("oneoutlook/"))
            || ua.starts_with("outlook/")
        {
            return client("Outlook", Some(Desktop));
        }
    }
    if ua.starts_with("mail/") && ua.has(kw!("cfnetwork/")) {
        return client("Apple Mail", None);
    }
    if ua.has(kw!("thunderbird/")) {
        return client("Thunderbird", Some(Desktop));
    }
    // Debian's rebuild of Thunderbird under its own name (2007–2017): `Gecko/20100101 Icedove/45.6.0`.
    if ua.has(kw!("icedove/")) {
        return client("Icedove", Some(Desktop));
    }
    if ua.has(kw!("postbox")) {
        return client("Postbox", Some(Desktop));
    }
    if ua.has(kw!("airmail")) {
        return client("Airmail", None);
    }
    if ua.has(kw!("lotus-notes/")) {
        return client("Lotus Notes", Some(Desktop));
    }
    if ua.starts_with("the bat!") {
        return client("The Bat!", Some(Desktop)); // Windows-only client
    }
    if ua.has(kw!("mailspring/")) {
        return client("Mailspring", Some(Desktop));
    }
    if ua.starts_with("windowsmail/") {
        return client("Windows Mail", Some(Desktop));
    }
    if ua.has(kw!("em client/")) || ua.starts_with("emclient/") {
        return client("eM Client", Some(Desktop));
    }
    if ua.has(kw!("navermailapp/")) {
        return client("NAVER Mail", Some(Smartphone));
    }
    if ua.has(kw!("ymail"))
        || ua.has(kw!("yahoomobilemail"))
        || ua.has(kw!("yahoo%20mail/"))
        || ua.has(kw!("yahoo mail/"))
    {
        return client("Yahoo Mail", None);
    }
    if ua.has(kw!("sparkmail/")) || ua.has(kw!("sparkdesktop/")) {
        return client("Spark", Some(Desktop));
    }
    if ua.has(kw!("zohomail")) {
        return client("Zoho Mail", None);
    }
    if ua.has(kw!("mailbird/")) {
        return client("Mailbird", Some(Desktop));
    }
    if ua.has(kw!("fastmailua/")) {
        return client("Fastmail", None);
    }
    if ua.has(kw!("superhuman/")) {
        return client("Superhuman", None);
    }
    if ua.has(kw!("android-gmail/")) {
        return client("Gmail", Some(Smartphone));
    }
    if ua.has(kw!("bluemail")) {
        return client("BlueMail", None);
    }
    if ua.has(kw!("foxmail")) {
        return client("Foxmail", None);
    }
    if ua.has(kw!("tutanota-desktop/")) {
        return client("Tuta", Some(Desktop));
    }
    if ua.has(kw!("kmail")) {
        return client("KMail", Some(Desktop));
    }
    if ua.has(kw!("mailapp/")) {
        return client("MailApp", None);
    }
    None
}

/// Apple Mail without MPP has no product token: a WebKit UA that stops after `(KHTML, like Gecko)` (macOS)
/// or after `Mobile/<build>` (iOS), with no `Safari/`, `Version/` or any app token (uap-core `regexes.yaml`
/// "Apple Mail — not directly detectable"; uap-core#528; express-useragent#78).
pub(crate) fn is_bare_apple_webkit(ua: &Ua) -> bool {
    let l = ua.lower();
    if !ua.starts_with("mozilla/5.0 (") || !ua.has(kw!("applewebkit/")) {
        return false;
    }
    if l.ends_with(b"(khtml, like gecko)") {
        return ua.has(kw!("(macintosh;")) || ua.has(kw!("(iphone;")) || ua.has(kw!("(ipad;"));
    }
    // iOS: `… (KHTML, like Gecko) Mobile/15E148` and nothing after.
    const IOS_TAIL: &[u8] = b"(khtml, like gecko) mobile/";
    let last = ua
        .has(kw!("(khtml, like gecko) mobile/"))
        .then(|| l.windows(IOS_TAIL.len()).rposition(|w| w == IOS_TAIL))
        .flatten();
    if let Some(i) = last {
        let tail = l.get(i + IOS_TAIL.len()..).unwrap_or_default();
        return tail.iter().all(u8::is_ascii_alphanumeric)
            && (ua.has(kw!("(iphone;")) || ua.has(kw!("(ipad;")));
    }
    false
}
