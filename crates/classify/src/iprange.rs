//! Operator-updatable IP-range data: which networks belong to image proxies, Apple's Private Relay egress
//! (Mail Privacy Protection), and security scanners. Parsed from text so it can be refreshed without a rebuild.
//!
//! Format: one range per line, `<cidr>,<owner>[,…]`; `#` starts a comment; blank lines are ignored. Apple's
//! `egress-ip-ranges.csv` (`cidr,country,region,city,`) is read by passing `default_owner =
//! Some("apple-private-relay")`: with a default owner, the second field is used only if it names a known owner,
//! otherwise the default applies.

use crate::error::ClassifyError;
use std::net::IpAddr;

/// Who operates a network range, as far as email opens are concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IpOwner {
    /// iCloud Private Relay egress (Apple Mail Privacy Protection fetches through it).
    ApplePrivateRelay,
    /// Google's image proxy (Gmail), e.g. `66.102.0.0/20`.
    GoogleImageProxy,
    /// Yahoo Mail's image proxy.
    YahooImageProxy,
    /// Microsoft 365 / Exchange Online (Safe Links, link preview, Defender detonation).
    MicrosoftScanner,
    /// Any other security scanner (Proofpoint, Mimecast, Barracuda, …).
    Scanner,
    /// A known crawler or monitoring network.
    Crawler,
}

impl IpOwner {
    const NAMES: [(&'static str, IpOwner); 8] = [
        ("apple-private-relay", IpOwner::ApplePrivateRelay),
        ("google-image-proxy", IpOwner::GoogleImageProxy),
        ("yahoo-image-proxy", IpOwner::YahooImageProxy),
        ("microsoft-scanner", IpOwner::MicrosoftScanner),
        ("scanner", IpOwner::Scanner),
        ("proofpoint-scanner", IpOwner::Scanner),
        ("mimecast-scanner", IpOwner::Scanner),
        ("crawler", IpOwner::Crawler),
    ];

    /// Parses an owner name (`apple-private-relay`, `google-image-proxy`, `yahoo-image-proxy`,
    /// `microsoft-scanner`, `scanner`, `proofpoint-scanner`, `mimecast-scanner`, `crawler`; case-insensitive).
    pub fn from_name(name: &str) -> Option<IpOwner> {
        let name = name.trim();
        Self::NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|&(_, o)| o)
    }

    /// The canonical name.
    pub fn as_str(&self) -> &'static str {
        match self {
            IpOwner::ApplePrivateRelay => "apple-private-relay",
            IpOwner::GoogleImageProxy => "google-image-proxy",
            IpOwner::YahooImageProxy => "yahoo-image-proxy",
            IpOwner::MicrosoftScanner => "microsoft-scanner",
            IpOwner::Scanner => "scanner",
            IpOwner::Crawler => "crawler",
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Range {
    start: u128,
    end: u128,
    owner: IpOwner,
}

/// A set of IP ranges with owners; lookups return the most specific containing range.
#[derive(Clone, Debug, Default)]
pub struct IpRanges {
    /// Sorted by start; IPv4 is stored as IPv4-mapped IPv6.
    ranges: Vec<Range>,
    /// `max_end[i]` = the largest `end` among `ranges[..=i]` (lets lookups stop early with overlaps).
    max_end: Vec<u128>,
}

/// A small, documented default set, for operators who have no list yet:
/// * `66.102.0.0/20` — Google, reverse DNS `google-proxy-66-102-*.google.com` (Gmail image proxy; email-clients.md §2.1).
/// * `132.245.0.0/16` — Microsoft 365 Exchange Online (published Office 365 endpoint list); Outlook.com link
///   preview was seen from `132.245.26.156` (email-clients.md §2.6).
const BUILTIN: &str = "\
66.102.0.0/20,google-image-proxy
132.245.0.0/16,microsoft-scanner
";

impl IpRanges {
    /// Parses range text (see the module doc). Errors name the 1-based line.
    pub fn parse(text: &str, default_owner: Option<&str>) -> Result<IpRanges, ClassifyError> {
        let default = match default_owner {
            Some(name) => {
                Some(
                    IpOwner::from_name(name).ok_or_else(|| ClassifyError::IpRangeLine {
                        line: 0,
                        reason: format!("unknown default owner {name:?}"),
                    })?,
                )
            }
            None => None,
        };
        let mut ranges = Vec::new();
        for (idx, line) in text.lines().enumerate() {
            let err = |reason: String| ClassifyError::IpRangeLine {
                line: idx + 1,
                reason,
            };
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let mut fields = line.split(',');
            let cidr = fields.next().unwrap_or("").trim();
            let second = fields.next().map(str::trim).unwrap_or("");
            let owner = match (IpOwner::from_name(second), default) {
                (Some(o), _) => o,
                (None, Some(d)) => d,
                (None, None) if second.is_empty() => return Err(err("missing owner".into())),
                (None, None) => return Err(err(format!("unknown owner {second:?}"))),
            };
            let (start, end) = parse_cidr(cidr).map_err(err)?;
            ranges.push(Range { start, end, owner });
        }
        Ok(IpRanges::from_ranges(ranges))
    }

    /// The built-in default set (see `BUILTIN` in the source for each range's evidence).
    pub fn builtin() -> IpRanges {
        // The built-in text is a constant checked by a unit test; fall back to empty rather than panic.
        IpRanges::parse(BUILTIN, None).unwrap_or_default()
    }

    /// Adds all ranges of `other` to `self`.
    pub fn merge(mut self, other: IpRanges) -> IpRanges {
        self.ranges.extend(other.ranges);
        IpRanges::from_ranges(self.ranges)
    }

    fn from_ranges(mut ranges: Vec<Range>) -> IpRanges {
        ranges.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
        let mut max = 0;
        let max_end = ranges
            .iter()
            .map(|r| {
                max = max.max(r.end);
                max
            })
            .collect();
        IpRanges { ranges, max_end }
    }

    /// Number of ranges.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Whether there are no ranges.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The owner of the most specific range containing `ip`.
    pub fn owner_of(&self, ip: IpAddr) -> Option<IpOwner> {
        let x = to_u128(ip);
        let upto = self.ranges.partition_point(|r| r.start <= x);
        let mut best: Option<Range> = None;
        let ranges = self.ranges.get(..upto).unwrap_or_default();
        for (&r, &max_end) in ranges.iter().zip(&self.max_end).rev() {
            if max_end < x {
                break;
            }
            if r.end >= x && best.is_none_or(|b| r.end - r.start < b.end - b.start) {
                best = Some(r);
            }
        }
        best.map(|r| r.owner)
    }
}

fn to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// `a.b.c.d/n`, `x::/n`, or a bare address (a single host) → inclusive (start, end) in mapped-IPv6 space.
fn parse_cidr(s: &str) -> Result<(u128, u128), String> {
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (s, None),
    };
    let ip: IpAddr = addr
        .trim()
        .parse()
        .map_err(|_| format!("bad address {addr:?}"))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len: u32 = match len {
        Some(l) => l
            .trim()
            .parse()
            .map_err(|_| format!("bad prefix length {l:?}"))?,
        None => max,
    };
    if len > max {
        return Err(format!("prefix length {len} exceeds {max}"));
    }
    let bits = 128 - (max - len); // prefix length in 128-bit space
    let base = to_u128(ip);
    let host_mask: u128 = u128::MAX.checked_shr(bits).unwrap_or(0);
    let start = base & !host_mask;
    Ok((start, start | host_mask))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn builtin_parses_and_matches_documented_hosts() {
        let r = IpRanges::builtin();
        assert_eq!(r.len(), 2);
        // The Gmail proxy host from the SendGrid fixture and the Outlook.com link-preview host.
        assert_eq!(
            r.owner_of(ip("66.102.6.229")),
            Some(IpOwner::GoogleImageProxy)
        );
        assert_eq!(
            r.owner_of(ip("132.245.26.156")),
            Some(IpOwner::MicrosoftScanner)
        );
        assert_eq!(r.owner_of(ip("66.102.16.1")), None); // just past the /20
        assert_eq!(r.owner_of(ip("8.8.8.8")), None);
    }

    #[test]
    fn most_specific_range_wins_and_v6_works() {
        let r = IpRanges::parse(
            "# comment\n\n10.0.0.0/8,scanner\n10.1.0.0/16,crawler # inner\n2a02:26f7::/32,apple-private-relay\n",
            None,
        )
        .unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r.owner_of(ip("10.1.2.3")), Some(IpOwner::Crawler));
        assert_eq!(r.owner_of(ip("10.2.2.3")), Some(IpOwner::Scanner));
        assert_eq!(
            r.owner_of(ip("2a02:26f7:1::1")),
            Some(IpOwner::ApplePrivateRelay)
        );
        assert_eq!(r.owner_of(ip("2a02:26f8::1")), None);
        assert_eq!(r.owner_of(ip("11.0.0.0")), None);
    }

    #[test]
    fn apple_egress_csv_with_default_owner() {
        let csv =
            "172.224.224.0/27,US,US-CA,Los Angeles,\n2a02:26f7:b3c0:4000::/64,DE,DE-BE,Berlin,\n";
        assert!(
            IpRanges::parse(csv, None).is_err(),
            "country code is not an owner"
        );
        let r = IpRanges::parse(csv, Some("apple-private-relay")).unwrap();
        assert_eq!(
            r.owner_of(ip("172.224.224.31")),
            Some(IpOwner::ApplePrivateRelay)
        );
        assert_eq!(r.owner_of(ip("172.224.224.32")), None);
    }

    #[test]
    fn errors_name_the_line() {
        let e = IpRanges::parse("1.2.3.0/24,scanner\n1.2.3.0/33,scanner\n", None).unwrap_err();
        assert_eq!(
            e,
            ClassifyError::IpRangeLine {
                line: 2,
                reason: "prefix length 33 exceeds 32".into()
            }
        );
        let e = IpRanges::parse("\n1.2.3.0/24,martians\n", None).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        assert!(IpRanges::parse("x.y/8,scanner", None).is_err());
        assert!(
            IpRanges::parse("1.2.3.4", None).is_err(),
            "owner required without default"
        );
        assert!(IpRanges::parse("", Some("nobody")).is_err());
    }

    #[test]
    fn host_and_zero_prefix() {
        let r = IpRanges::parse("1.2.3.4,scanner\n::/0,crawler\n", None).unwrap();
        assert_eq!(r.owner_of(ip("1.2.3.4")), Some(IpOwner::Scanner));
        assert_eq!(r.owner_of(ip("1.2.3.5")), Some(IpOwner::Crawler));
    }
}
