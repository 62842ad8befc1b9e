//! The ordered decision pipeline: email proxies and prefetchers first (they must never reach the pool), then
//! mail clients, then bots, then the device rules. Each stage owns one kind of signal.

pub(crate) mod bot;
pub(crate) mod device;
pub(crate) mod email;
mod model;
pub(crate) mod software;

use crate::iprange::IpOwner;
use crate::models::DeviceModels;
use crate::ua::Ua;
use crate::{Classification, DeviceClass, Opener, Signals};

/// Runs the pipeline over one request.
pub(crate) fn classify(
    s: &Signals,
    owner: Option<IpOwner>,
    models: &DeviceModels,
) -> Classification {
    let ua = Ua::new(s.user_agent);
    let os = software::os(&ua);
    let browser = software::browser(&ua);
    let out = |device, opener: Opener, client, proxy| Classification {
        device,
        opener,
        machine: opener != Opener::Person,
        client,
        proxy,
        os,
        browser,
    };

    if let Some(p) = email::try_proxy(&ua, owner) {
        let device = if p.keeps_device {
            device::detect(&ua, s, models).unwrap_or(DeviceClass::Unknown)
        } else {
            DeviceClass::Unknown
        };
        return out(device, p.opener, p.client, Some(p.proxy));
    }

    if let Some(c) = email::try_client(&ua, s) {
        let device = device::detect(&ua, s, models)
            .filter(|d| *d != DeviceClass::Bot)
            .or(c.device)
            .unwrap_or(DeviceClass::Unknown);
        return out(device, Opener::Person, Some(c.client), None);
    }

    if ua.is_empty() {
        return out(DeviceClass::Unknown, Opener::Person, None, None);
    }
    if bot::is_library(&ua) {
        return out(DeviceClass::Other, Opener::Crawler, None, None);
    }
    // A feed reader polls on a timer whether or not anyone reads: a machine opener on the device it names.
    if let Some(device) = bot::feed_reader(&ua) {
        return out(device, Opener::Crawler, None, None);
    }
    if bot::is_bot(&ua) || bot::headless_brand(s) {
        return out(DeviceClass::Bot, Opener::Crawler, None, None);
    }
    let client = email::is_bare_apple_webkit(&ua).then_some("Apple Mail");
    match device::detect(&ua, s, models) {
        Some(device) => out(device, Opener::Person, client, None),
        // Nothing names a device. Browsers always name their platform in the first comment, so a
        // `Mozilla/…` UA with none (`Mozilla/5.0 infrawatch/0.1`, `Mozilla/5.0 (Exchange check)`) is a program
        // borrowing the prefix; a bare `Mozilla/x.y`, an Opera UA or a mail client's own string stays unknown.
        None if client.is_some() || ua.starts_with("opera") || bare_mozilla(&ua) => {
            out(DeviceClass::Unknown, Opener::Person, client, None)
        }
        None => out(DeviceClass::Bot, Opener::Crawler, None, None),
    }
}

/// `Mozilla/<version>` and nothing else.
fn bare_mozilla(ua: &Ua) -> bool {
    ua.lower()
        .strip_prefix(b"mozilla/")
        .is_some_and(|v| v.iter().all(|c| c.is_ascii_digit() || *c == b'.'))
}

/// Whether a TV/tablet model code rule matches (exposed for unit tests of the model conventions).
#[cfg(test)]
pub(crate) fn model_class(model: &str) -> Option<DeviceClass> {
    let facts = model::Facts::of(model);
    if facts.tv {
        Some(DeviceClass::Tv)
    } else if facts.tablet {
        Some(DeviceClass::Tablet)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::model_class;
    use crate::DeviceClass::{Tablet, Tv};

    /// Model-code conventions: screen-size TV codes vs Japanese carrier phone codes (`SO-51A`), Xiaomi numeric
    /// phone codes, and brand tablet prefixes.
    #[test]
    fn model_conventions() {
        for (m, want) in [
            ("43UQ7500", Some(Tv)),
            ("VHIX-55U169TSY", Some(Tv)),
            ("AFTSSS", Some(Tv)),
            ("MiTV-AYFR0", Some(Tv)),
            ("Brand Shell LC390", Some(Tv)),
            ("SO-51A", None),
            ("SC-52C", None),
            ("2201117TG", None),
            ("5033D", None),
            ("TA-1053", None),
            ("SM-A546B", None),
            ("SM-T870", Some(Tablet)),
            ("Lenovo TB-X606F", Some(Tablet)),
            ("KFTRWI", Some(Tablet)),
            ("BQ-1077L", Some(Tablet)),
            ("BQ-5515L", None),
            ("MatePad 11", Some(Tablet)),
            ("K013", Some(Tablet)),
            ("Pixel 8", None),
        ] {
            assert_eq!(model_class(m), want, "{m}");
        }
    }
}
