//! What a webhook announces: [`EventType`], [`WebhookEvent`] and its JSON payload.
//!
//! The payload has the Standard Webhooks shape, minified:
//!
//! ```json
//! {"type":"call.attributed","timestamp":"2026-11-23T10:15:00Z","data":{"pool":"spring",...}}
//! ```
//!
//! `timestamp` is when the event happened (RFC 3339, as in the spec's
//! examples), not when it is delivered: that is the `webhook-timestamp`
//! header, which changes with every attempt. The body is rendered once, when
//! the event is created, and stored: every attempt and every replay sends the
//! same bytes under the same `webhook-id`, so a receiver can dedupe by id.
#![deny(clippy::indexing_slicing, clippy::string_slice)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use std::fmt;
use std::str::FromStr;

/// Declares the event types, once: the enum, its wire names, its docs and
/// [`EventType::ALL`] all come from this list, so adding a type is one line.
macro_rules! event_types {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal,)+) => {
        /// The kind of an event, named on the wire as `area.what`
        /// (the spec's full-stop delimited, hierarchical types).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EventType {
            $($(#[doc = $doc])* $variant,)+
        }

        impl EventType {
            /// Every event type, in declaration order.
            pub const ALL: &'static [EventType] = &[$(EventType::$variant,)+];

            /// The wire name (`open.human`, …).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(EventType::$variant => $name,)+
                }
            }
        }
    };
}

event_types! {
    /// A person opened the email (their own device fetched an email URL).
    OpenHuman = "open.human",
    /// A machine fetched an email URL: `data.opener` says which kind
    /// (`apple_mpp`, `gmail_proxy`, `scanner`, `prefetch`, `crawler`, …).
    OpenMachine = "open.machine",
    /// A call to a tracking number started.
    CallStarted = "call.started",
    /// A call was attributed to a recipient, with a confidence.
    CallAttributed = "call.attributed",
    /// A call ended (duration known).
    CallCompleted = "call.completed",
    /// The operator recorded a call's business outcome (sale, lead, …).
    CallOutcome = "call.outcome",
    /// A pool's utilisation crossed its pressure threshold upward.
    PoolPressure = "pool.pressure",
    /// A pool had no free number for a person and applied its exhaustion policy.
    PoolExhausted = "pool.exhausted",
}

/// Why an event type name was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownEventType(pub String);

impl fmt::Display for UnknownEventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: String = self.0.chars().take(40).collect();
        let names: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
        write!(
            f,
            "unknown event type {shown:?} (known: {})",
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownEventType {}

impl FromStr for EventType {
    type Err = UnknownEventType;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventType::ALL
            .iter()
            .copied()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownEventType(s.to_owned()))
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for EventType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// Bytes of randomness behind an event id (128 bits: collisions are not a concern).
pub const EVENT_ID_RANDOM_BYTES: usize = 16;

/// An event's id: `msg_` + base64url of 16 random bytes. It is the
/// `webhook-id` of every attempt and replay of the event: the receiver's
/// idempotency key. It never contains `.`, which the signed content uses as
/// its delimiter (the spec asks for that).
pub fn event_id(random: &[u8; EVENT_ID_RANDOM_BYTES]) -> String {
    format!("msg_{}", URL_SAFE_NO_PAD.encode(random))
}

/// What the event is about. The common fields have names of their own so that
/// every event type spells them the same way; anything particular to one type
/// (a call's duration, an attribution's confidence, a pool's utilisation) goes
/// in `details`, which is flattened into `data`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EventData {
    /// The pool (every event belongs to one; endpoints filter on it).
    pub pool: String,
    /// The campaign (email send), when the event concerns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    /// The operator's recipient id, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    /// The tracking number (E.164), when one is involved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// The device class (`smartphone`, `tablet`, `desktop`, …) of an open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// The opener kind of an `open.machine` (`apple_mpp`, `gmail_proxy`, `scanner`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opener: Option<String>,
    /// Type-specific fields, such as `started_at`, `duration_seconds`,
    /// `confidence`, `outcome` or `utilisation`.
    #[serde(flatten)]
    pub details: Map<String, Value>,
}

/// One event, ready to be delivered: its id, type, time and rendered body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookEvent {
    /// `msg_…`: the `webhook-id` (see [`event_id`]).
    pub id: String,
    /// What happened.
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// When it happened (Unix seconds).
    pub timestamp: i64,
    /// The pool it belongs to (copied out of the body for filtering).
    pub pool: String,
    /// The exact JSON body every attempt sends (see [`WebhookEvent::new`]).
    pub body: String,
}

impl WebhookEvent {
    /// Builds an event and renders its body once:
    /// `{"type": …, "timestamp": RFC 3339, "data": {…}}`, minified.
    ///
    /// `random` is drawn by the caller and becomes the id.
    pub fn new(
        random: &[u8; EVENT_ID_RANDOM_BYTES],
        event_type: EventType,
        timestamp: i64,
        data: EventData,
    ) -> WebhookEvent {
        #[derive(Serialize)]
        struct Payload<'a> {
            #[serde(rename = "type")]
            event_type: EventType,
            timestamp: String,
            data: &'a EventData,
        }
        let body = serde_json::to_string(&Payload {
            event_type,
            timestamp: format_rfc3339(timestamp),
            data: &data,
        })
        // Serialising strings, numbers and a string-keyed map cannot fail.
        .unwrap_or_else(|_| "{}".to_owned());
        WebhookEvent {
            id: event_id(random),
            event_type,
            timestamp,
            pool: data.pool,
            body,
        }
    }
}

/// Unix seconds as RFC 3339 in UTC (`2026-11-23T10:15:00Z`). Times outside
/// years 0000–9999 are clamped to that range (the clock never gives them).
pub fn format_rfc3339(unix: i64) -> String {
    let unix = unix.clamp(crate::timestamp::MIN_UNIX, crate::timestamp::MAX_UNIX);
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (year, month, day).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)] // tests may panic
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for t in EventType::ALL {
            assert_eq!(t.as_str().parse::<EventType>(), Ok(*t));
            assert!(seen.insert(t.as_str()));
            let json = serde_json::to_string(t).unwrap();
            assert_eq!(serde_json::from_str::<EventType>(&json).unwrap(), *t);
            // The spec's recommended charset: [a-zA-Z0-9_] identifiers, '.'-delimited.
            assert!(t.as_str().split('.').all(
                |p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            ));
        }
        assert_eq!(EventType::ALL.len(), 8);
        let e = "call.ended".parse::<EventType>().unwrap_err();
        assert!(e.to_string().contains("call.completed"), "{e}");
    }

    #[test]
    fn rfc3339_matches_the_parser() {
        for t in [
            0,
            951_868_800,
            1_795_428_900,
            -1,
            1_614_265_330,
            crate::timestamp::MAX_UNIX,
        ] {
            let text = format_rfc3339(t);
            assert_eq!(crate::timestamp::rfc3339(&text), Ok(t), "{text}");
        }
        assert_eq!(format_rfc3339(1_795_428_900), "2026-11-23T10:15:00Z");
        assert_eq!(format_rfc3339(i64::MAX), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn payload_has_the_standard_shape() {
        let mut details = Map::new();
        details.insert("confidence".into(), Value::from(0.9));
        let event = WebhookEvent::new(
            &[0xab; 16],
            EventType::CallAttributed,
            1_795_428_900,
            EventData {
                pool: "spring".into(),
                campaign: Some("launch".into()),
                recipient: Some("r-1".into()),
                number: Some("+14155550100".into()),
                details,
                ..EventData::default()
            },
        );
        assert!(event.id.starts_with("msg_") && !event.id.contains('.'));
        assert_eq!(event.id, event_id(&[0xab; 16]), "deterministic");
        let v: Value = serde_json::from_str(&event.body).unwrap();
        assert_eq!(v["type"], "call.attributed");
        assert_eq!(v["timestamp"], "2026-11-23T10:15:00Z");
        assert_eq!(v["data"]["pool"], "spring");
        assert_eq!(v["data"]["confidence"], 0.9);
        assert!(
            v["data"].get("device").is_none(),
            "absent fields are left out"
        );
        assert!(!event.body.contains(' '), "minified");
    }
}
