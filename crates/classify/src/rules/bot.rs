//! Crawlers, monitors, HTTP libraries and other programs. Bots on the device corpus mostly do *not* say "bot"
//! (device-detection.md §5 #4: monitors, health checks, `DatadogSynthetics`, `…WebsiteMetadataRetriever`), so
//! besides keywords the rules use the shape of the UA: a contact URL or e-mail address, a `compatible;` comment
//! naming a non-browser product, or a product comment with no platform at all.

use crate::keywords::{KwSet, kw};
use crate::ua::Ua;

/// Words that only programs put in their UA.
const BOT_WORDS: &[&str] = &[
    "bot",
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
    "php/",
    "postman",
    "urllib",
    "aiohttp",
    "requests/",
    "reqwest",
    "feed",
    "rss",
    "parser",
    "analyzer",
    "retriever",
    "seo/",
    "sitemap",
];

/// Words that look like bot keywords but name devices or browsers.
const NOT_BOT: &[&str] = &["cubot", "searchapp", "yasearch", "feedback", "bot-"];

/// Keywords that stay strong evidence even next to an excused word.
const STRONG: &[&str] = &["crawl", "spider", "http", "bot/", "bot;", "bot)"];

/// Contact URLs and the `compatible;` comment.
const KEYWORDS: &[&str] = &["http://", "https://", "+http", "www.", "(compatible;"];

/// This module's keyword lists, collected by `crate::keywords`.
pub(crate) const KEYWORD_LISTS: &[&[&str]] = &[BOT_WORDS, NOT_BOT, STRONG, KEYWORDS];

const BOT_SET: KwSet = KwSet::of(BOT_WORDS);
const NOT_BOT_SET: KwSet = KwSet::of(NOT_BOT);
const STRONG_SET: KwSet = KwSet::of(STRONG);

/// Whether the UA is a program rather than a person's browser or mail client.
pub(crate) fn is_bot(ua: &Ua) -> bool {
    if ua.has_any(&BOT_SET) && !excused(ua) {
        return true;
    }
    // A contact URL or e-mail address: browsers never carry one.
    if ua.has(kw!("http://"))
        || ua.has(kw!("https://"))
        || ua.has(kw!("+http"))
        || ua.has(kw!("www."))
        || has_email(ua)
    {
        return true;
    }
    // `Mozilla/5.0 (compatible; Foo/1.0; …)` where Foo is not a browser.
    if let Some(rest) = ua.after(kw!("(compatible;")) {
        let name = rest.trim_start().to_ascii_lowercase();
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
        if !browser.iter().any(|b| name.starts_with(b)) && !name.contains("windows") {
            return true;
        }
    }
    false
}

fn excused(ua: &Ua) -> bool {
    // Only excuse when the keyword that fired is part of an excused word; cheap approximation: the UA has an
    // excused word and no other strong keyword.
    ua.has_any(&NOT_BOT_SET) && !ua.has_any(&STRONG_SET)
}

fn has_email(ua: &Ua) -> bool {
    let l = ua.lower();
    memchr::memchr_iter(b'@', l).any(|i| {
        i > 0
            && l[i - 1].is_ascii_alphanumeric()
            && l.get(i + 1).is_some_and(u8::is_ascii_alphanumeric)
            && l[i..].contains(&b'.')
    })
}
