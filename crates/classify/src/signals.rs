//! The request facts the classifier reads: the User-Agent plus the few headers and the source IP that carry
//! device or client information (client hints, `X-Requested-With`).

use std::net::IpAddr;

/// Everything about one image request that the classifier looks at. Borrowed from the request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Signals<'a> {
    /// The `User-Agent` header (empty when absent).
    pub user_agent: &'a str,
    /// `Sec-CH-UA-Mobile` (`?1` / `?0`).
    pub sec_ch_ua_mobile: Option<&'a str>,
    /// `Sec-CH-UA-Platform` (e.g. `"Android"`, quotes optional).
    pub sec_ch_ua_platform: Option<&'a str>,
    /// `Sec-CH-UA-Model` (e.g. `"SM-T870"`, quotes optional).
    pub sec_ch_ua_model: Option<&'a str>,
    /// `Sec-CH-UA`: the brand list (`"Chromium";v="124", "HeadlessChrome";v="124"`), sent by Chromium browsers on
    /// every request.
    pub sec_ch_ua: Option<&'a str>,
    /// `Sec-CH-UA-Form-Factors`: the device's form factors as the browser states them (`"Tablet"`, `"XR"`,
    /// `"EInk"`, `"Automotive"`, `"Watch"`, `"Desktop"`, `"Mobile"`; a list).
    pub sec_ch_ua_form_factors: Option<&'a str>,
    /// `X-Requested-With`: the Android app package that embeds the WebView (e.g. `com.samsung.android.email.provider`).
    pub x_requested_with: Option<&'a str>,
    /// The client's IP address, if known (matched against [`crate::IpRanges`]).
    pub ip: Option<IpAddr>,
}

impl<'a> Signals<'a> {
    /// Signals from a User-Agent only.
    pub fn from_user_agent(user_agent: &'a str) -> Self {
        Signals {
            user_agent,
            ..Signals::default()
        }
    }

    /// Signals from a User-Agent and any header pairs. Names are matched ASCII case-insensitively, with `_`
    /// treated as `-` and a CGI-style `http-`/`HTTP_` prefix ignored (so `HTTP_X_REQUESTED_WITH` works);
    /// unknown names are ignored. A `User-Agent` pair is ignored (the argument wins).
    pub fn from_headers<I: IntoIterator<Item = (&'a str, &'a str)>>(
        user_agent: &'a str,
        headers: I,
    ) -> Self {
        let mut s = Signals::from_user_agent(user_agent);
        for (name, value) in headers {
            match header_slot(name) {
                Some(Slot::Mobile) => s.sec_ch_ua_mobile = Some(value),
                Some(Slot::Platform) => s.sec_ch_ua_platform = Some(value),
                Some(Slot::Model) => s.sec_ch_ua_model = Some(value),
                Some(Slot::Brands) => s.sec_ch_ua = Some(value),
                Some(Slot::FormFactors) => s.sec_ch_ua_form_factors = Some(value),
                Some(Slot::RequestedWith) => s.x_requested_with = Some(value),
                None => {}
            }
        }
        s
    }
}

enum Slot {
    Mobile,
    Platform,
    Model,
    Brands,
    FormFactors,
    RequestedWith,
}

/// Which field a header name fills, comparing case-insensitively with `_` ≡ `-`.
fn header_slot(name: &str) -> Option<Slot> {
    let name = name.trim().as_bytes();
    let name = strip_prefix_ci(name, b"http-").unwrap_or(name);
    const TABLE: [(&[u8], Slot); 6] = [
        (b"sec-ch-ua-mobile", Slot::Mobile),
        (b"sec-ch-ua-platform", Slot::Platform),
        (b"sec-ch-ua-model", Slot::Model),
        (b"sec-ch-ua", Slot::Brands),
        (b"sec-ch-ua-form-factors", Slot::FormFactors),
        (b"x-requested-with", Slot::RequestedWith),
    ];
    TABLE
        .into_iter()
        .find(|(n, _)| eq_header(name, n))
        .map(|(_, slot)| slot)
}

fn strip_prefix_ci<'b>(s: &'b [u8], prefix: &[u8]) -> Option<&'b [u8]> {
    let (head, rest) = s.split_at_checked(prefix.len())?;
    eq_header(head, prefix).then_some(rest)
}

fn eq_header(a: &[u8], lower: &[u8]) -> bool {
    a.len() == lower.len()
        && a.iter().zip(lower).all(|(&x, &y)| {
            let x = x.to_ascii_lowercase();
            x == y || (x == b'_' && y == b'-')
        })
}

/// A client-hint value without surrounding whitespace and double quotes (`"Android"` → `Android`).
pub(crate) fn unquote(v: &str) -> &str {
    let v = v.trim();
    v.strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(v)
}
