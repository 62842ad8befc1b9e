//! Which URLs an endpoint may have: the server-side request forgery guard.
//!
//! Whoever registers an endpoint chooses where ringmark sends requests, so a
//! URL naming the deployment's own network (loopback, private ranges, a cloud
//! metadata service at 169.254.169.254) is refused, unless the operator set
//! `RINGMARK_ALLOW_PRIVATE_WEBHOOKS=1` for local tests.
//!
//! **The check is a pure function of the URL text, with no DNS.** A public
//! name that resolves to a private address (DNS rebinding, `127.0.0.1.nip.io`)
//! passes here. That is deliberate: a Worker has no resolver to ask before
//! `fetch()`, and a resolve-then-fetch check would race with the very
//! rebinding it meant to stop (the answer may change between the two). The
//! place to stop such names is where the connection is made (an egress proxy,
//! as the Standard Webhooks spec recommends); in a Worker, `fetch()` leaves from
//! Cloudflare's network rather than from a private network of the operator's.
//!
//! **The text is read strictly, so that this check and the `fetch()` that
//! follows see the same host.** WHATWG URL parsing (what `fetch` uses) is
//! lenient: it drops tabs and newlines anywhere, treats `\` as `/`, decodes
//! `%31%32%37.0.0.1`, and reads `0x7f.1`, `2130706433` and `0177.0.0.1` as
//! 127.0.0.1. Rather than reimplement every leniency (the `url` crate does,
//! at ~150–280 KB of wasm), anything where a lenient reader could disagree is
//! refused: bytes outside printable ASCII, `\`, `@` (credentials; the
//! signature authenticates), `%` in the host, `#`. What is left is parsed as
//! WHATWG does, including its numeric IPv4 forms, and the canonical text
//! ([`check_url`]'s answer) is what gets stored and fetched.
//!
//! Schemes: `https` only; `http` too when private targets are allowed (local
//! tests on `http://127.0.0.1:…`). Signatures authenticate a payload but do
//! not hide it, and payloads name recipients and phone numbers.
#![deny(clippy::indexing_slicing, clippy::string_slice)]

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Longest URL accepted, in bytes.
pub const MAX_URL_LEN: usize = 2048;

/// Why a URL was refused. The message says what to change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlError(pub String);

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UrlError {}

fn refuse<T>(why: impl Into<String>) -> Result<T, UrlError> {
    Err(UrlError(why.into()))
}

/// A URL's host, as `fetch()` will read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Host {
    /// A DNS name (lowercase ASCII; non-ASCII names must be given as `xn--` punycode).
    Domain(String),
    /// An IPv4 address, in whichever form it was written.
    Ipv4(Ipv4Addr),
    /// A bracketed IPv6 address.
    Ipv6(Ipv6Addr),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(d) => f.write_str(d),
            Host::Ipv4(a) => write!(f, "{a}"),
            Host::Ipv6(a) => write!(f, "[{}]", whatwg_ipv6(a)),
        }
    }
}

/// An IPv6 address as the WHATWG URL serialiser writes it: eight hex pieces,
/// the first longest run of two or more zero pieces compressed to `::`, and
/// never a dotted IPv4 tail (Rust's `Display` writes `::ffff:8.8.8.8`; a
/// URL parser writes `::ffff:808:808`).
fn whatwg_ipv6(a: &Ipv6Addr) -> String {
    let pieces = a.segments();
    let (mut best, mut best_len, mut run, mut run_len) = (None, 1, 0, 0);
    for (i, p) in pieces.iter().enumerate() {
        if *p == 0 {
            if run_len == 0 {
                run = i;
            }
            run_len += 1;
            if run_len > best_len {
                best = Some(run);
                best_len = run_len;
            }
        } else {
            run_len = 0;
        }
    }
    let mut out = String::new();
    let mut i = 0;
    while i < pieces.len() {
        if best == Some(i) {
            out.push_str(if i == 0 { "::" } else { ":" });
            i += best_len;
            continue;
        }
        if let Some(p) = pieces.get(i) {
            out.push_str(&format!("{p:x}"));
        }
        if i + 1 < pieces.len() {
            out.push(':');
        }
        i += 1;
    }
    out
}

/// Checks an endpoint URL and returns its canonical form (lowercase scheme
/// and host, numeric IPv4 forms written as dotted quads, default port
/// dropped, `/` for an empty path), which is what should be stored and fetched.
///
/// # Errors
/// [`UrlError`] saying why the URL is refused.
pub fn check_url(text: &str, allow_private: bool) -> Result<String, UrlError> {
    if text.len() > MAX_URL_LEN {
        return refuse(format!("longer than {MAX_URL_LEN} bytes"));
    }
    if let Some(c) = text.chars().find(|c| !c.is_ascii_graphic() || *c == '\\') {
        return refuse(format!(
            "contains {c:?}: write the URL in printable ASCII, without spaces or backslashes \
             (percent-encode the path, punycode the host)"
        ));
    }
    if text.contains('#') {
        return refuse("has a fragment (#…), which is never sent to the server");
    }
    let (scheme, rest) = text
        .split_once("://")
        .ok_or_else(|| UrlError("must start with https://".into()))?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => 443,
        "http" if allow_private => 80,
        "http" => return refuse("must use https (http only when private webhooks are allowed)"),
        _ => return refuse("must use https"),
    };
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    if authority.contains('@') {
        return refuse("must not carry credentials (user@host); the signature authenticates");
    }
    if authority.contains('%') {
        return refuse("host must not be percent-encoded");
    }
    let (host, port, bracketed) = split_host_port(authority)?;
    let port = match port {
        None => None,
        Some(p) => {
            let n: u16 = p
                .parse()
                .ok()
                .filter(|n| *n != 0 && p.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| UrlError(format!("port {p:?} is not 1-65535")))?;
            (n != default_port).then_some(n)
        }
    };
    let host = parse_host(host, bracketed)?;
    if !allow_private && let Some(why) = private_reason(&host) {
        return refuse(format!(
            "{host} is {why}; webhooks go to public addresses only \
             (set RINGMARK_ALLOW_PRIVATE_WEBHOOKS=1 for local tests)"
        ));
    }
    let path = if path.is_empty() { "/" } else { path };
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_owned()
    };
    Ok(match port {
        Some(p) => format!("{scheme}://{host}:{p}{path}"),
        None => format!("{scheme}://{host}{path}"),
    })
}

/// Splits `host[:port]` or `[v6][:port]`; `true` when the host was bracketed.
fn split_host_port(authority: &str) -> Result<(&str, Option<&str>, bool), UrlError> {
    if let Some(inner) = authority.strip_prefix('[') {
        let (v6, after) = inner
            .split_once(']')
            .ok_or_else(|| UrlError("IPv6 host lacks its closing ]".into()))?;
        if after.is_empty() {
            return Ok((v6, None, true));
        }
        return match after.strip_prefix(':') {
            Some(port) => Ok((v6, Some(port), true)),
            None => refuse("unexpected text after the IPv6 host"),
        };
    }
    match authority.split_once(':') {
        None => Ok((authority, None, false)),
        Some((h, p)) if !p.contains(':') => Ok((h, Some(p), false)),
        Some(_) => refuse("an IPv6 host must be written in [brackets]"),
    }
}

fn parse_host(host: &str, bracketed: bool) -> Result<Host, UrlError> {
    if host.is_empty() {
        return refuse("has no host");
    }
    if bracketed {
        return host
            .parse::<Ipv6Addr>()
            .map(Host::Ipv6)
            .map_err(|_| UrlError(format!("[{host}] is not an IPv6 address")));
    }
    let lower = host.to_ascii_lowercase();
    // A trailing dot names the same DNS name (fully qualified).
    let name = lower.strip_suffix('.').unwrap_or(&lower);
    let labels: Vec<&str> = name.split('.').collect();
    if ends_in_number(&labels) {
        return whatwg_ipv4(&labels).map(Host::Ipv4);
    }
    if name.len() > 253 {
        return refuse("host name is longer than 253 bytes");
    }
    for label in &labels {
        if label.is_empty() || label.len() > 63 {
            return refuse(format!("host {host:?} has an empty or over-long label"));
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return refuse(format!(
                "host {host:?} may only hold letters, digits, '-' and '_' (punycode non-ASCII names)"
            ));
        }
    }
    Ok(Host::Domain(lower))
}

/// WHATWG's "ends in a number": the last label is all digits or `0x` + hex,
/// in which case the whole host is read as an IPv4 address.
fn ends_in_number(labels: &[&str]) -> bool {
    let Some(last) = labels.last() else {
        return false;
    };
    if !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    match last.strip_prefix("0x") {
        Some(hex) => hex.bytes().all(|b| b.is_ascii_hexdigit()),
        None => false,
    }
}

/// The WHATWG IPv4 parser: 1 to 4 parts, each decimal, `0x` hex or
/// `0`-prefixed octal; the last part fills the remaining bytes
/// (`127.1` = 127.0.0.1, `2130706433` = 127.0.0.1).
fn whatwg_ipv4(labels: &[&str]) -> Result<Ipv4Addr, UrlError> {
    let bad = || UrlError(format!("{:?} is not an IPv4 address", labels.join(".")));
    if labels.is_empty() || labels.len() > 4 {
        return Err(bad());
    }
    let mut numbers = Vec::with_capacity(4);
    for part in labels {
        let (digits, radix) = if let Some(hex) = part.strip_prefix("0x") {
            (hex, 16)
        } else if part.len() > 1 && part.starts_with('0') {
            (part.get(1..).unwrap_or(""), 8)
        } else {
            (*part, 10)
        };
        let n = if digits.is_empty() {
            if part.is_empty() {
                return Err(bad());
            }
            0
        } else {
            // u64 holds any part that could be valid; longer text is refused.
            u64::from_str_radix(digits, radix).map_err(|_| bad())?
        };
        numbers.push(n);
    }
    let (last, init) = numbers.split_last().ok_or_else(bad)?;
    if init.iter().any(|n| *n > 255) {
        return Err(bad());
    }
    let free_bytes = 4 - init.len() as u32;
    if *last >= 256u64.pow(free_bytes) {
        return Err(bad());
    }
    let mut value = *last;
    for (i, n) in init.iter().enumerate() {
        value += n << (8 * (3 - i as u32));
    }
    u32::try_from(value).map(Ipv4Addr::from).map_err(|_| bad())
}

/// Refused IPv4 ranges: (network, prefix length, what it is).
const IPV4_BLOCKED: &[([u8; 4], u8, &str)] = &[
    (
        [0, 0, 0, 0],
        8,
        "an unspecified/this-network address (0.0.0.0/8)",
    ),
    ([10, 0, 0, 0], 8, "a private address (10.0.0.0/8)"),
    (
        [100, 64, 0, 0],
        10,
        "a carrier-grade NAT address (100.64.0.0/10)",
    ),
    ([127, 0, 0, 0], 8, "a loopback address (127.0.0.0/8)"),
    (
        [169, 254, 0, 0],
        16,
        "a link-local address (169.254.0.0/16, where cloud metadata services live)",
    ),
    ([172, 16, 0, 0], 12, "a private address (172.16.0.0/12)"),
    (
        [192, 0, 0, 0],
        24,
        "an IETF protocol address (192.0.0.0/24)",
    ),
    ([192, 0, 2, 0], 24, "a documentation address (192.0.2.0/24)"),
    ([192, 168, 0, 0], 16, "a private address (192.168.0.0/16)"),
    (
        [198, 18, 0, 0],
        15,
        "a benchmarking address (198.18.0.0/15)",
    ),
    (
        [198, 51, 100, 0],
        24,
        "a documentation address (198.51.100.0/24)",
    ),
    (
        [203, 0, 113, 0],
        24,
        "a documentation address (203.0.113.0/24)",
    ),
    ([224, 0, 0, 0], 4, "a multicast address (224.0.0.0/4)"),
    (
        [240, 0, 0, 0],
        4,
        "a reserved or broadcast address (240.0.0.0/4)",
    ),
];

/// Refused IPv6 ranges that do not embed an IPv4 address.
const IPV6_BLOCKED: &[(u128, u8, &str)] = &[
    (
        0,
        96,
        "an unspecified, loopback or IPv4-compatible address (::/96)",
    ),
    (
        0x0100_0000_0000_0000 << 64,
        64,
        "a discard-only address (100::/64)",
    ),
    (
        0x0064_ff9b_0001 << 80,
        48,
        "a local-use NAT64 address (64:ff9b:1::/48)",
    ),
    (0x2001_0000 << 96, 32, "a Teredo address (2001::/32)"),
    (
        0x2001_0db8 << 96,
        32,
        "a documentation address (2001:db8::/32)",
    ),
    (0xfc00 << 112, 7, "a unique-local address (fc00::/7)"),
    (0xfe80 << 112, 10, "a link-local address (fe80::/10)"),
    (0xfec0 << 112, 10, "a site-local address (fec0::/10)"),
    (0xff00 << 112, 8, "a multicast address (ff00::/8)"),
];

fn in_prefix(addr: u128, net: u128, len: u8, bits: u32) -> bool {
    let shift = bits - u32::from(len);
    addr.checked_shr(shift) == net.checked_shr(shift)
}

fn ipv4_reason(a: Ipv4Addr) -> Option<String> {
    let addr = u32::from(a);
    IPV4_BLOCKED
        .iter()
        .find(|(net, len, _)| {
            in_prefix(
                u128::from(addr),
                u128::from(u32::from_be_bytes(*net)),
                *len,
                32,
            )
        })
        .map(|(_, _, why)| (*why).to_owned())
}

/// Why a host is not public, or `None` when it may be called.
pub fn private_reason(host: &Host) -> Option<String> {
    match host {
        Host::Ipv4(a) => ipv4_reason(*a),
        Host::Ipv6(a) => {
            let addr = u128::from(*a);
            // Forms that carry an IPv4 address are judged by it: IPv4-mapped
            // (::ffff:0:0/96), NAT64 (64:ff9b::/96) and 6to4 (2002::/16).
            let embedded = if in_prefix(addr, 0xffff << 32, 96, 128)
                || in_prefix(addr, 0x0064_ff9b << 96, 96, 128)
            {
                Some(Ipv4Addr::from((addr & 0xffff_ffff) as u32))
            } else if in_prefix(addr, 0x2002 << 112, 16, 128) {
                Some(Ipv4Addr::from(((addr >> 80) & 0xffff_ffff) as u32))
            } else {
                None
            };
            if let Some(v4) = embedded {
                return ipv4_reason(v4).map(|why| format!("an IPv6 form of {v4}, {why}"));
            }
            IPV6_BLOCKED
                .iter()
                .find(|(net, len, _)| in_prefix(addr, *net, *len, 128))
                .map(|(_, _, why)| (*why).to_owned())
        }
        Host::Domain(name) => {
            let name = name.strip_suffix('.').unwrap_or(name);
            if name == "localhost" || name.ends_with(".localhost") {
                Some("a loopback name (localhost)".into())
            } else if !name.contains('.') {
                // `http://metadata/`, `http://db/`: resolved through internal search domains.
                Some("a single-label name, resolved only inside a private network".into())
            } else if [".local", ".internal", ".localdomain", ".home.arpa", ".lan"]
                .iter()
                .any(|suffix| name.ends_with(suffix))
            {
                Some("a private-network name (metadata.google.internal, *.local, …)".into())
            } else {
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whatwg_ipv4_forms() {
        for (text, addr) in [
            ("127.0.0.1", [127, 0, 0, 1]),
            ("2130706433", [127, 0, 0, 1]),
            ("0x7f000001", [127, 0, 0, 1]),
            ("0177.0.0.1", [127, 0, 0, 1]),
            ("127.1", [127, 0, 0, 1]),
            ("0x7f.1", [127, 0, 0, 1]),
            ("10.0x00.0.010", [10, 0, 0, 8]),
            ("0x", [0, 0, 0, 0]),
            ("8.8.8.8.", [8, 8, 8, 8]),
        ] {
            assert_eq!(
                parse_host(text, false),
                Ok(Host::Ipv4(Ipv4Addr::from(addr))),
                "{text}"
            );
        }
        for text in [
            "1.2.3.4.5",
            "256.1.1.1",
            "1.2.3.256",
            "08.1.1.1",
            "1..1",
            "99999999999999999999999",
        ] {
            assert!(parse_host(text, false).is_err(), "{text}");
        }
    }
}
