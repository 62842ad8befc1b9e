//! Crawlers, monitors, HTTP libraries and other programs. Bots on the device corpus mostly do *not* say "bot"
//! (device-detection.md §5 #4: monitors, health checks, `DatadogSynthetics`, `…WebsiteMetadataRetriever`), so
//! besides keywords the rules use the shape of the UA: a contact URL or e-mail address, a `compatible;` comment
//! naming a non-browser product, or a product comment with no platform at all.

use super::device;
use crate::keywords::{KwSet, kw};
use crate::ua::Ua;
use crate::{DeviceClass, Signals};

/// Words that only programs put in their UA ("bot" itself is judged by [`bot_word`]).
const BOT_WORDS: &[&str] = &[
    "crawl",
    "spider",
    "slurp",
    "scrap",
    "headless",
    "phantomjs",
    "lighthouse",
    "ptst/",
    "pingdom",
    "uptime",
    "monitor",
    "checker",
    "validator",
    "preview",
    "fetcher",
    "scanner",
    "archiver",
    "indexer",
    "externalhit",
    "facebookexternal",
    "google-",
    "googleother",
    "synthetic",
    "curl/",
    "wget",
    "python",
    "java/",
    "go-http-client",
    "libwww",
    "httpclient",
    "http-client",
    "http_client",
    "axios/",
    "node-fetch",
    "undici",
    "guzzle",
    "ruby/",
    "perl/",
    "postman",
    "urllib",
    "aiohttp",
    "requests/",
    "reqwest",
    "parser",
    "analyzer",
    "retriever",
    "seo/",
    "sitemap",
    "inspector",
    "diagnostic",
    "observatory",
    "favicon",
    "research",
    // Monitoring, performance and SEO services drive a real browser and only add their name, after a normal
    // Chrome/Safari UA or inside its comment (`… Safari/537.36 by Siteimprove`, `(X11; Linux x86_64;
    // Catchpoint)`, WebPageTest's `PTST 2.264`): the vendor's name is the one sign, so the names are listed.
    "catchpoint",
    "siteimprove",
    "gtmetrix",
    "dareboost",
    "speedcurve",
    "site24x7",
    "statuscake",
    "uptrends",
    "webpagetest",
    "thousandeyes",
    "pagespeed",
    "page speed",
    "ptst ",
    // Google's AdSense crawler in a phone's guise (`…; Mediapartners-Google) Chrome/…`).
    "mediapartners",
    // Runtimes naming themselves, like `python` and `java/` above: JavaScript's, and Go's version in a comment
    // (`(…; go1.22.7; linux/amd64)`, what Go programs such as CI runners write).
    "node.js",
    "go1.",
];

/// Words that name a feed (RSS/Atom) reader or aggregator: bot evidence unless [`feed_reader`] says otherwise.
const FEED_WORDS: &[&str] = &["feed", "rss", "syndication"];

/// Words that look like bot keywords but name devices or browsers.
const NOT_BOT: &[&str] = &["searchapp", "yasearch", "feedback", "mosaic"];

/// Keywords that stay strong evidence even next to an excused word.
const STRONG: &[&str] = &["crawl", "spider", "http"];

/// HTTP client libraries and language runtimes, as the first product of a UA (see [`is_library`]).
const LIBRARY_TOKENS: &[&str] = &[
    "wget",
    "curl/",
    "python-",
    "python/",
    "php",
    "ruby",
    "java/",
    "jakarta",
    "lwp",
    "libwww-perl",
    "go-http-client",
    "okhttp",
    "axios/",
    "node-fetch",
    "undici",
    "http_request",
    "twisted",
    "guzzlehttp",
    "apache-httpclient",
    "aiohttp",
    "reqwest",
    // Erlang's HTTP client, also written in front of a borrowed browser UA (`hackney/1.6.6, Mozilla/5.0 …`).
    "hackney",
];

/// Contact URLs, the `compatible;` comment, unfilled UA templates.
const KEYWORDS: &[&str] = &[
    "{}",
    "_version]",
    "http://",
    "https://",
    "+http",
    "www.",
    "(compatible;",
    "bot",
    "subscriber",
    "php/",
];

/// This module's keyword lists, collected by `crate::keywords`.
pub(crate) const KEYWORD_LISTS: &[&[&str]] = &[BOT_WORDS, FEED_WORDS, NOT_BOT, STRONG, KEYWORDS];

const BOT_SET: KwSet = KwSet::of(BOT_WORDS);
const FEED_SET: KwSet = KwSet::of(FEED_WORDS);
const NOT_BOT_SET: KwSet = KwSet::of(NOT_BOT);
const STRONG_SET: KwSet = KwSet::of(STRONG);

/// Whether the UA is a bare HTTP library or language runtime (`Wget/1.21`, `Python-urllib/3.11`, `PHP/8.2`,
/// `Jakarta Commons-HttpClient/3.1`) with no crawler word of its own. Such a request is a machine, but not a
/// self-identified agent: both upstream taxonomies keep libraries apart from bots (woothee's `misc` category,
/// Matomo's `library` clients, which are not in its bot list), so the device class is `other`, not `bot`. A
/// product built on a library (`munin/2.0 (libwww-perl/6.15)`, `PHPCrawl`) names itself first or says "crawl",
/// and stays a bot.
pub(crate) fn is_library(ua: &Ua) -> bool {
    // Most UAs start with `Mozilla/`: one byte test rules them out before the list is compared.
    let first = ua.lower().first().copied().unwrap_or(b'm');
    first != b'm'
        && LIBRARY_TOKENS
            .iter()
            .any(|t| t.as_bytes().first() == Some(&first) && ua.starts_with(t))
        && !(ua.has(kw!("crawl")) || ua.has(kw!("spider")) || bot_word(ua))
}

/// A feed reader's device class (`NetNewsWire (macOS; RSS Reader; …)` → desktop, `RssBar/1.29` → other), or
/// `None` for anything else, aggregators included. A reader is the client of one person's subscriptions,
/// polling on a timer: Matomo files readers as feed-reader *clients* on the device their platform names, and
/// woothee as `misc`. Only server-side aggregators are in the bot lists, and they say so: a subscriber count
/// (`Feedbin - 9 subscribers`), a crawler word (`FeedFetcher`), or a contact URL with no platform beside it
/// (`MagpieRSS/0.7 (+http://…)`, `Tiny Tiny RSS/… (http://tt-rss.org/)`). A handheld or TV platform in the UA
/// (`…; GoogleAdSenseInfeed)` on Android) is not a reader either.
pub(crate) fn feed_reader(ua: &Ua) -> Option<DeviceClass> {
    if !ua.has_any(&FEED_SET)
        || program_word(ua)
        || bot_word(ua)
        || ua.has(kw!("subscriber"))
        || excused(ua)
        || names_handheld_or_tv(ua)
    {
        return None;
    }
    if device::names_desktop_os(ua) {
        Some(DeviceClass::Desktop)
    } else {
        (!has_contact(ua)).then_some(DeviceClass::Other)
    }
}

/// Whether the UA is a program rather than a person's browser or mail client.
pub(crate) fn is_bot(ua: &Ua) -> bool {
    // (Cheapest tests first: `bot_word` parses the Android model, which a first request would compile for a
    // UA the keyword bits already settle.)
    if ((program_word(ua) && !app_name_on_handheld(ua)) || ua.has_any(&FEED_SET)) && !excused(ua)
        || bot_word(ua)
        || unfilled_template(ua)
    {
        return true;
    }
    // A contact URL or e-mail address: browsers never carry one.
    if has_contact(ua) {
        return true;
    }
    // `Mozilla/5.0 (compatible; Foo/1.0; …)` where Foo is not a browser.
    // (Not when the UA names a handheld or TV platform: `iPhone (compatible; Smartphone2.0) <app>`, Panasonic's
    // `(compatible; U; InfiNet 0.1; Viera)`; a crawler imitating those names itself with a bot word.)
    if !names_handheld_or_tv(ua)
        && let Some(rest) = ua.after(kw!("(compatible;"))
    {
        let name = rest.trim_start().to_ascii_lowercase();
        // The comment names a desktop OS (`(compatible; IBrowse 3.0; AmigaOS4.0)`, `…; Haiku)`): a browser on
        // a niche platform; crawlers that put an OS there also carry a bot word or a URL, matched above.
        let comment = name.split(')').next().unwrap_or_default();
        let browser = [
            "msie",
            "konqueror",
            "ms-office",
            "msoffice",
            "lotus-notes",
            "webtv",
            "opera",
            "iemobile",
        ];
        let desktop_os = [
            "linux", "x11", "mac os", "macos", "amiga", "haiku", "syllable", "beos", "bsd",
            "sunos", "os/2", "unix", "risc os", "win16", "68k", "fedora", "cp/m",
        ];
        if !browser.iter().any(|b| name.starts_with(b))
            && !name.contains("windows")
            && !desktop_os.iter().any(|os| comment.contains(os))
        {
            return true;
        }
    }
    false
}

/// A `Sec-CH-UA` brand list naming a headless browser (`"HeadlessChrome";v="124"`): Chromium sends the brand
/// list on every request, and in headless mode names itself there even when the UA was overridden to look like
/// a normal Chrome. A headless browser is driven by a program, so it is a machine.
pub(crate) fn headless_brand(s: &Signals) -> bool {
    s.sec_ch_ua.is_some_and(|b| {
        b.as_bytes()
            .windows(b"headless".len())
            .any(|w| w.eq_ignore_ascii_case(b"headless"))
    })
}

/// A UA built from a template its program never filled in: an empty `{}` standing as a comment field (`(…;
/// Windows NT 5.1; {}; SV1)`) or a `[…_VERSION]` placeholder (`AppleWebKit/[WEBKIT_VERSION]`). A browser writes
/// its own UA; only code that assembles one leaves these. (An app's JSON blob with an empty object, `"extra":"{}"`,
/// is not a comment field.)
fn unfilled_template(ua: &Ua) -> bool {
    let field = ua.find(kw!("{}")).is_some_and(|i| {
        let l = ua.lower();
        let before = i.checked_sub(1).and_then(|j| l.get(j));
        matches!(before, Some(b' ' | b'(' | b';'))
            && matches!(l.get(i + 2), None | Some(b';' | b')' | b' '))
    });
    field || ua.has(kw!("_version]"))
}

/// A phone or tablet app whose product name merely contains a weak program word (`CamScanner/6.27` after an
/// Android WebView UA, `LeapHTTPClient/8.0` after `(iPad4,4; iOS 12.4.2)`). The app runs on a concrete device:
/// an Android WebView (`; wv)`) or an iOS hardware identifier (`iPad4,4`, `iPhone12,1`), which only apps
/// write; and the program words occur only inside its longer name (none starts a word). Crawlers in a
/// handheld's guise copy a browser's UA, not a WebView's, and name themselves as a word of their own
/// (`BingPreview/1.0b` after a space starts a word) or with a strong word (`Bytespider`), judged as before.
fn app_name_on_handheld(ua: &Ua) -> bool {
    let app = (ua.has(kw!("android")) && ua.has(kw!("; wv)"))) || ios_hardware_id(ua);
    // (Only `crawl` and `spider` of the strong words: `http` is part of an app's `…HTTPClient`, and a contact URL
    // is judged on its own.)
    app && !ua.has_any_word_start(&BOT_SET)
        && !ua.has(kw!("crawl"))
        && !ua.has(kw!("spider"))
        && !ua.has_word_start(kw!("php/"))
}

/// `iPhone<n>,<n>` / `iPad<n>,<n>`: Apple's hardware identifier, which apps read from the system and browsers
/// never show.
fn ios_hardware_id(ua: &Ua) -> bool {
    [kw!("iphone"), kw!("ipad")].into_iter().any(|k| {
        ua.find(k).is_some_and(|i| {
            let rest = ua.lower().get(i + k.text().len()..).unwrap_or_default();
            let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
            digits > 0 && rest.get(digits) == Some(&b',')
        })
    })
}

/// One of the [`BOT_WORDS`], or `PHP/` as a word of its own (not the `FirePHP/` a Firefox extension appends
/// to a person's UA).
fn program_word(ua: &Ua) -> bool {
    ua.has_any(&BOT_SET) || ua.has_word_start(kw!("php/"))
}

/// A contact URL or e-mail address: browsers never carry one.
fn has_contact(ua: &Ua) -> bool {
    ua.has(kw!("http://"))
        || ua.has(kw!("https://"))
        || ua.has(kw!("+http"))
        || ua.has(kw!("www."))
        || has_email(ua)
}

/// The UA names an iPhone, iPad, Android or TV platform.
fn names_handheld_or_tv(ua: &Ua) -> bool {
    ua.has(kw!("iphone")) || ua.has(kw!("ipad")) || ua.has(kw!("android")) || device::names_tv(ua)
}

fn excused(ua: &Ua) -> bool {
    // Only excuse when the keyword that fired is part of an excused word; cheap approximation: the UA has an
    // excused word and no other strong keyword.
    ua.has_any(&NOT_BOT_SET) && !ua.has_any(&STRONG_SET)
}

/// "bot" ending a word or a camel-case part (`Googlebot/`, `AdsBot-Google`, `BotPoke`), except where it is
/// part of a device's name: running on into lower-case letters (`htc_botdugls` firmware names; the all-capitals
/// `BOTECH` TV maker runs on too), the phone brand Cubot, or inside the Android model slot (`M bot 51`,
/// `XBot Junior`: bots name themselves in product tokens, not as an Android device). Bots whose name only
/// contains "bot" mid-word carry a URL or a `compatible;` comment, checked separately.
fn bot_word(ua: &Ua) -> bool {
    if !ua.has(kw!("bot")) {
        return false;
    }
    let (l, raw) = (ua.lower(), ua.raw.as_bytes());
    let model = ua.android_model().and_then(|m| {
        let start = (m.as_ptr() as usize).checked_sub(raw.as_ptr() as usize)?;
        Some(start..start + m.len())
    });
    // (`memchr_iter` on `b`, not `memmem`: the substring searcher adds ~15 KB of wasm for one 3-byte word.)
    let mut at =
        memchr::memchr_iter(b'b', l).filter(|&i| l.get(i..).is_some_and(|r| r.starts_with(b"bot")));
    at.any(|i| {
        let ends = match raw.get(i + 3) {
            None => true,
            Some(&c) => {
                !c.is_ascii_alphabetic() || c.is_ascii_uppercase() && raw.get(i + 2) == Some(&b't')
            }
        };
        // Digits then letters after it (`…Bot7KTt`): the middle of a random id, not a name and its version.
        let after = raw.get(i + 3..).unwrap_or_default();
        let digits = after.iter().take_while(|c| c.is_ascii_digit()).count();
        let ends = ends && !(digits > 0 && after.get(digits).is_some_and(u8::is_ascii_alphabetic));
        let cubot = i.checked_sub(2).and_then(|j| l.get(j..i)) == Some(b"cu");
        // Written as a word is written: `bot`, `Bot` or `BOT`. Mixed case (`NrbOt0CE`) is a random token (a
        // session or tracking id glued onto a person's UA), not a name.
        let shape = matches!(raw.get(i..i + 3), Some(b"bot" | b"Bot" | b"BOT"));
        ends && shape && !cubot && !model.as_ref().is_some_and(|m| m.contains(&i))
    })
}

/// A contact e-mail address: `name@host.tld` with an alphabetic top-level domain (`android@88.0.4324.181`, which
/// Ecosia appends as a version, is not one), unless it tags a browser (see [`tags_a_browser`]).
fn has_email(ua: &Ua) -> bool {
    if !ua.has_at() {
        return false;
    }
    let l = ua.lower();
    memchr::memchr_iter(b'@', l).any(|i| {
        let (Some(before), Some(after)) = (l.get(..i), l.get(i + 1..)) else {
            return false;
        };
        let host_len = after
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-'))
            .count();
        let host = after.get(..host_len).unwrap_or_default();
        let tld = host.rsplit(|&c| c == b'.').next().unwrap_or_default();
        before.last().is_some_and(u8::is_ascii_alphanumeric)
            && host.contains(&b'.')
            && tld.len() >= 2
            && tld.iter().all(u8::is_ascii_alphabetic)
            && !tags_a_browser(ua, i)
    })
}

/// Whether the address at byte `at` tags a browser's UA from outside any comment (`… Gecko/20100101 Firefox/104.0 +
/// name@host.me`, also with the spaces squeezed out, or written in front of `Mozilla/5.0 (…`): bug-bounty
/// programmes ask researchers to tag their own browser this way, so the request is still a person's. A crawler's
/// contact address sits inside its comment (`(compatible; FooBot/1.0; +bot@host.com)`), follows a `;` list it
/// appends about itself, or stands beside its own product name with no browser token in the UA.
fn tags_a_browser(ua: &Ua, at: usize) -> bool {
    let l = ua.lower();
    let before = l.get(..at).unwrap_or(l);
    // The separator before the address's local part: a space, `+` or nothing (`… Safari/537.36+name@host`), not
    // the `;` of a list the agent appends about itself (`… Safari/537.36; +collection@host`).
    let local = before
        .iter()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
        .count();
    let sep = before
        .iter()
        .rev()
        .skip(local)
        .find(|&&c| c != b' ' && c != b'+');
    if matches!(sep, Some(b';' | b',')) {
        return false;
    }
    let open = before.iter().filter(|&&c| c == b'(').count();
    let close = before.iter().filter(|&&c| c == b')').count();
    let browser = ua.has(kw!("firefox/")) || ua.has(kw!("chrome/")) || ua.has(kw!("safari/"));
    open == close && browser
}
