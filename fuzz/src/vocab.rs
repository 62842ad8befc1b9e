//! Realistic pieces the fuzzer combines: User-Agents, header names and
//! values, numbers, pool and recipient ids.

use crate::json::{arm, one_in};
use arbitrary::{Arbitrary, Unstructured};

/// Tracking numbers the pools draw from.
pub const NUMBERS: [&str; 8] = [
    "+14155550101",
    "+14155550102",
    "+14155550103",
    "+14155550104",
    "+14155550105",
    "+14155550106",
    "+14155550107",
    "+14155550108",
];
/// Fallback numbers (one shared by two pools when the fuzzer says so).
pub const FALLBACKS: [&str; 2] = ["+14155550100", "+442079460958"];
/// Overflow numbers.
pub const OVERFLOWS: [&str; 2] = ["+14155550199", "+902125551234"];

/// Every number above, for directory views.
pub fn all_numbers() -> Vec<&'static str> {
    NUMBERS
        .iter()
        .chain(&FALLBACKS)
        .chain(&OVERFLOWS)
        .copied()
        .collect()
}

/// User-Agents of the openers that matter: people's devices, mailbox
/// proxies and prefetchers, scanners, bots, HTTP libraries.
pub const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 12; SM-T870) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 9; X96mini) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/90.0 Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.19045 Microsoft Outlook 16.0",
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
    "Mozilla/5.0",
    "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "curl/8.5.0",
    "python-requests/2.31.0",
    "Nokia6300/2.0 (05.00) Profile/MIDP-2.0 Configuration/CLDC-1.1",
    "Mozilla/5.0 (Linux; Android 13; SM-S918B; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0 Mobile Safari/537.36",
    "",
];

/// Header names the classifier reads, spelled the ways it accepts, and a few it ignores.
pub const HEADER_NAMES: &[&str] = &[
    "user-agent",
    "User-Agent",
    "sec-ch-ua-mobile",
    "Sec-CH-UA-Mobile",
    "sec-ch-ua-platform",
    "sec-ch-ua-model",
    "x-requested-with",
    "X-Requested-With",
    "HTTP_X_REQUESTED_WITH",
    "http-sec-ch-ua-model",
    "sec-ch-ua",
    "Sec-CH-UA-Form-Factors",
    "cf-connecting-ip",
    "CF-Connecting-IP",
    "accept",
    "authorization",
];

/// Header values that mean something to the classifier.
pub const HEADER_VALUES: &[&str] = &[
    "?1",
    "?0",
    "\"Tablet\"",
    "\"XR\", \"EInk\"",
    "\"HeadlessChrome\";v=\"124\", \"Chromium\";v=\"124\"",
    "\"Android\"",
    "Android",
    "\"iOS\"",
    "\"Windows\"",
    "\"macOS\"",
    "\"SM-T870\"",
    "SM-T870",
    "\"X96mini\"",
    "\"\"",
    "\"",
    "com.google.android.gm",
    "com.samsung.android.email.provider",
    "com.microsoft.office.outlook",
    "66.102.0.5",
    "66.102.15.255",
    "132.245.26.156",
    "17.1.2.3",
    "2a02:26f7::1",
    "98.137.1.1",
    "203.0.113.9",
    "127.0.0.1",
    "::1",
    " 66.102.1.1 ",
    "::ffff:66.102.0.7",
    "999.1.1.1",
    "image/webp,*/*",
];

/// A string: usually from `list`, sometimes it with arbitrary text after, sometimes anything.
pub fn pick(u: &mut Unstructured, list: &[&str]) -> arbitrary::Result<String> {
    Ok(match arm(u, 5)? {
        0 => String::arbitrary(u)?,
        1 => format!("{}{}", u.choose(list)?, String::arbitrary(u)?),
        _ => (*u.choose(list)?).to_owned(),
    })
}

/// Header pairs for an email request: a User-Agent (mostly) and a few more.
pub fn headers(u: &mut Unstructured) -> arbitrary::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    if !one_in(u, 10)? {
        out.push(("user-agent".to_owned(), pick(u, USER_AGENTS)?));
    }
    for _ in 0..u.int_in_range(0..=4)? {
        let name = pick(u, HEADER_NAMES)?;
        let value = if name.eq_ignore_ascii_case("user-agent") {
            pick(u, USER_AGENTS)?
        } else {
            pick(u, HEADER_VALUES)?
        };
        out.push((name, value));
    }
    Ok(out)
}
