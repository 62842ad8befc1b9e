//! The `classify` target: arbitrary User-Agent bytes and header maps, and
//! the operator data the classifier loads (device-model table, IP ranges),
//! plus the CLI's batch mode.
//!
//! What must hold (`crates/classify`): nothing panics; `machine` is exactly
//! "the opener is not a person"; classification is a function of its input;
//! a device-model table that parses answers every code it lists with the
//! class it lists, in any ASCII case.

use crate::service::{self, IP_RANGES};
use crate::vocab;
use arbitrary::{Arbitrary, Unstructured};
use ringmark::classify::{
    Classification, Classifier, DeviceClass, DeviceModels, IpRanges, Opener, Signals,
    classify_lines, signals_from_json,
};
use std::net::IpAddr;

fn classifier() -> &'static Classifier {
    static C: std::sync::OnceLock<Classifier> = std::sync::OnceLock::new();
    C.get_or_init(|| {
        Classifier::with_ip_ranges(IpRanges::parse(IP_RANGES, None).expect("fuzz ranges"))
            .with_device_models(service::device_models())
    })
}

fn consistent(c: &Classification, what: &dyn std::fmt::Debug) {
    assert_eq!(c.machine, c.opener != Opener::Person, "{what:?}: {c:?}");
    // Serialises (the pool stores it, the browser API returns it).
    serde_json::to_string(c).expect("a classification serialises");
    let answer = ringmark::edge::email::answer(c);
    assert_eq!(
        answer.dials,
        matches!(
            c.device,
            DeviceClass::Smartphone | DeviceClass::Featurephone
        )
    );
}

fn ip(u: &mut Unstructured) -> arbitrary::Result<Option<IpAddr>> {
    Ok(match u.int_in_range(0..=3u8)? {
        0 => None,
        1 => Some(IpAddr::from(<[u8; 4]>::arbitrary(u)?)),
        2 => Some(IpAddr::from(<[u8; 16]>::arbitrary(u)?)),
        _ => vocab::pick(u, vocab::HEADER_VALUES)?.trim().parse().ok(),
    })
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut u = Unstructured::new(rest);
    match mode % 6 {
        // A UA of arbitrary bytes and arbitrary header pairs.
        0..=2 => {
            let len = u.arbitrary_len::<u8>().unwrap_or(0);
            let ua_bytes = u.bytes(len).unwrap_or_default();
            let ua = if mode % 6 == 2 {
                // A real UA with the bytes spliced in.
                let base = *u.choose(vocab::USER_AGENTS).unwrap_or(&"");
                let at = u.int_in_range(0..=base.len()).unwrap_or(0);
                let at = (0..=at)
                    .rev()
                    .find(|&i| base.is_char_boundary(i))
                    .unwrap_or(0);
                format!(
                    "{}{}{}",
                    &base[..at],
                    String::from_utf8_lossy(ua_bytes),
                    &base[at..]
                )
            } else {
                String::from_utf8_lossy(ua_bytes).into_owned()
            };
            let mut headers: Vec<(String, String)> = Vec::new();
            for _ in 0..u.int_in_range(0..=6u8).unwrap_or(0) {
                let (Ok(name), Ok(value)) = (
                    vocab::pick(&mut u, vocab::HEADER_NAMES),
                    vocab::pick(&mut u, vocab::HEADER_VALUES),
                ) else {
                    break;
                };
                headers.push((name, value));
            }
            let mut signals =
                Signals::from_headers(&ua, headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            signals.ip = ip(&mut u).unwrap_or(None);
            let c = classifier().classify(&signals);
            consistent(&c, &signals);
            assert_eq!(
                classifier().classify(&signals),
                c,
                "{signals:?}: not a function of its input"
            );
            let bare = ringmark::classify::classify(&signals);
            consistent(&bare, &signals);
            let ua_only = ringmark::classify::classify(&Signals::from_user_agent(&ua));
            consistent(&ua_only, &ua);
        }
        // The CLI's batch mode: lines of `UA<TAB>headers-json`.
        3 => {
            let mut out = Vec::new();
            let _ = classify_lines(classifier(), rest, &mut out, &mut |_| {}, &mut |_| {});
            for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                let v: serde_json::Value =
                    serde_json::from_slice(line).expect("batch output is JSON lines");
                if v.get("skipped").is_some() {
                    continue;
                }
                assert_eq!(v["machine"].as_bool(), Some(v["opener"] != "person"), "{v}");
            }
            let facts = signals_from_json(&String::from_utf8_lossy(rest));
            consistent(
                &classifier().classify(&facts.signals("Mozilla/5.0")),
                &facts,
            );
        }
        // A device-model table.
        4 => {
            let text = String::from_utf8_lossy(rest);
            let Ok(models) = DeviceModels::parse(&text) else {
                return;
            };
            let mut listed = 0;
            for row in text.split('\n') {
                if row.starts_with('#') || row.trim_ascii().is_empty() {
                    continue;
                }
                let (code, class) = row.split_once('\t').expect("a table that parses has tabs");
                let code = code.trim_ascii();
                let class: DeviceClass = class
                    .trim_ascii()
                    .parse()
                    .expect("a table that parses names classes");
                listed += 1;
                assert_eq!(models.class_of(code), Some(class), "{code:?} in {text:?}");
                assert_eq!(
                    models.class_of(&code.to_ascii_uppercase()),
                    Some(class),
                    "{code:?}"
                );
                assert_eq!(
                    models.class_of(&code.to_ascii_lowercase()),
                    Some(class),
                    "{code:?}"
                );
            }
            assert!(
                models.len() <= listed,
                "{} codes from {listed} lines",
                models.len()
            );
            let with = Classifier::new().with_device_models(models);
            for ua in vocab::USER_AGENTS {
                consistent(&with.classify(&Signals::from_user_agent(ua)), ua);
            }
        }
        // IP-range data.
        _ => {
            let (owner_byte, text) = rest.split_first().unwrap_or((&0, &[]));
            let default = match owner_byte % 3 {
                0 => None,
                1 => Some("apple-private-relay"),
                _ => Some("nobody"),
            };
            let text = String::from_utf8_lossy(text);
            let Ok(ranges) = IpRanges::parse(&text, default) else {
                return;
            };
            let mut probe = Unstructured::new(rest);
            let classifier = Classifier::with_ip_ranges(ranges.clone().merge(IpRanges::builtin()));
            for _ in 0..8 {
                let Ok(Some(addr)) = ip(&mut probe) else {
                    continue;
                };
                let _ = ranges.owner_of(addr);
                let mut signals = Signals::from_user_agent("Mozilla/5.0");
                signals.ip = Some(addr);
                consistent(&classifier.classify(&signals), &signals);
            }
        }
    }
}
