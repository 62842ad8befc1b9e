//! Endpoints: where webhooks go, which ones they want, and how to retry.
//!
//! Registered by `PUT /v1/webhooks/{id}` with
//! `{"url", "events", "pools"?, "retry_schedule_seconds"?}` ([`Registration`]).
//!
//! Filters, decided here:
//! - `events` must list at least one type. There is no "everything" default,
//!   so an event type added in a later release never reaches a receiver that
//!   has not asked for it (and whose code has never seen its schema).
//! - `pools` omitted or empty means every pool: pools are the operator's own
//!   and come and go, and "tell me about all of them" is the usual wish.
//!
//! A second `PUT` of the same id updates the URL, filters and schedule, keeps
//! the secret (receivers keep verifying) and re-enables a disabled endpoint.
#![deny(clippy::indexing_slicing, clippy::string_slice)]

use super::address::{MAX_URL_LEN, check_url};
use super::event::EventType;
use super::signature::Secret;
use crate::error::{ApiError, ErrorCode, parse_json};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Most event types one endpoint may list.
pub const MAX_EVENTS: usize = 16;
/// Most pools one endpoint may list.
pub const MAX_POOLS: usize = 64;
/// Longest pool id, as in tokens.
pub const MAX_POOL_LEN: usize = crate::token::MAX_FIELD_LEN;
/// Most entries of a retry schedule.
pub const MAX_SCHEDULE_LEN: usize = 20;
/// Longest wait of a retry schedule: a week.
pub const MAX_RETRY_DELAY: u32 = 7 * 86_400;
/// Longest endpoint id (`{id}` in the path).
pub const MAX_ID_LEN: usize = 64;

/// The default waits between attempts, after a first attempt made at once:
/// 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, so 8 attempts over 27 h 35 min 5 s.
///
/// It is Svix's published schedule (docs.svix.com/retries), of which the
/// Standard Webhooks spec's example schedule is an extension; it spans more
/// than a day, so a receiver that is down overnight still gets everything.
pub const DEFAULT_RETRY_SCHEDULE: &[u32] = &[5, 300, 1800, 7200, 18_000, 36_000, 36_000];

/// Why and when an endpoint stopped receiving webhooks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disabled {
    /// When (Unix seconds).
    pub at: i64,
    /// Why, in words for the operator (the failed delivery and its last error).
    pub reason: String,
}

/// A registered endpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
    /// The operator's id for it (`{id}` in the path).
    pub id: String,
    /// Canonical URL (see [`check_url`]): what is fetched.
    pub url: String,
    /// Event types it receives (never empty).
    pub events: Vec<EventType>,
    /// Pools it hears about; empty for every pool.
    pub pools: Vec<String>,
    /// Its signing secret, unique to it.
    pub secret: Secret,
    /// Waits (seconds) between attempts, after an immediate first one.
    pub retry_schedule_seconds: Vec<u32>,
    /// When it was first registered (Unix seconds).
    pub created: i64,
    /// Set when deliveries to it stopped (retries exhausted, or `410 Gone`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<Disabled>,
}

impl Endpoint {
    /// Whether it wants an event of this type about this pool. A disabled
    /// endpoint wants nothing.
    pub fn wants(&self, event: EventType, pool: &str) -> bool {
        self.disabled.is_none()
            && self.events.contains(&event)
            && (self.pools.is_empty() || self.pools.iter().any(|p| p == pool))
    }

    /// How many attempts a delivery gets: one, plus one per schedule entry.
    pub fn max_attempts(&self) -> u32 {
        u32::try_from(self.retry_schedule_seconds.len()).unwrap_or(u32::MAX - 1) + 1
    }

    /// The public view (`GET /v1/webhooks/{id}`): everything but the secret.
    pub fn public_json(&self) -> Value {
        serde_json::json!({
            "id": self.id,
            "url": self.url,
            "events": self.events,
            "pools": self.pools,
            "retry_schedule_seconds": self.retry_schedule_seconds,
            "created": self.created,
            "disabled": self.disabled,
        })
    }
}

/// A validated registration body. Its serde form is how the edge hands it to
/// the webhooks object ([`crate::protocol::WebhookCommand::Register`]);
/// deserialising does not validate, so only [`Registration::parse`] makes one
/// from input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// Canonical URL.
    pub url: String,
    /// Event types, deduplicated, in the order given.
    pub events: Vec<EventType>,
    /// Pools (empty for all).
    pub pools: Vec<String>,
    /// Waits between attempts.
    pub retry_schedule_seconds: Vec<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    url: String,
    events: Vec<Value>,
    #[serde(default)]
    pools: Option<Vec<Value>>,
    #[serde(default)]
    retry_schedule_seconds: Option<Vec<Value>>,
}

fn invalid(field: impl Into<String>, message: impl std::fmt::Display) -> ApiError {
    ApiError::field(ErrorCode::InvalidField, field, message)
}

/// Checks an endpoint id from the path: 1 to 64 of `A-Z a-z 0-9 _ -`.
///
/// # Errors
/// [`ErrorCode::InvalidField`] naming `id`.
pub fn check_id(id: &str) -> Result<(), ApiError> {
    if id.is_empty()
        || id.len() > MAX_ID_LEN
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(invalid(
            "id",
            format!("must be 1 to {MAX_ID_LEN} of A-Z, a-z, 0-9, '_' and '-'"),
        ));
    }
    Ok(())
}

impl Registration {
    /// Reads and validates a `PUT /v1/webhooks/{id}` body. `allow_private`
    /// comes from `RINGMARK_ALLOW_PRIVATE_WEBHOOKS=1`.
    ///
    /// # Errors
    /// 400 ([`ErrorCode::BadJson`]) for JSON that does not fit the shape
    /// (unknown or duplicate keys included); 422 ([`ErrorCode::InvalidField`])
    /// naming the field, such as `url`, `events[2]` or `retry_schedule_seconds[0]`.
    pub fn parse(body: &[u8], allow_private: bool) -> Result<Registration, ApiError> {
        let body: Body = parse_json(body)?;
        if body.url.len() > MAX_URL_LEN {
            return Err(invalid("url", format!("longer than {MAX_URL_LEN} bytes")));
        }
        let url = check_url(&body.url, allow_private).map_err(|e| invalid("url", e))?;

        if body.events.is_empty() {
            return Err(invalid(
                "events",
                "list at least one event type (there is no catch-all)",
            ));
        }
        if body.events.len() > MAX_EVENTS {
            return Err(invalid("events", format!("at most {MAX_EVENTS} entries")));
        }
        let mut events = Vec::new();
        for (i, v) in body.events.iter().enumerate() {
            let field = format!("events[{i}]");
            let name = v
                .as_str()
                .ok_or_else(|| invalid(&field, "must be a string"))?;
            let t: EventType = name.parse().map_err(|e| invalid(&field, e))?;
            if events.contains(&t) {
                return Err(invalid(&field, format!("{t} is listed twice")));
            }
            events.push(t);
        }

        let pools_in = body.pools.unwrap_or_default();
        if pools_in.len() > MAX_POOLS {
            return Err(invalid("pools", format!("at most {MAX_POOLS} entries")));
        }
        let mut pools: Vec<String> = Vec::new();
        for (i, v) in pools_in.iter().enumerate() {
            let field = format!("pools[{i}]");
            let pool = v
                .as_str()
                .filter(|p| !p.is_empty() && p.len() <= MAX_POOL_LEN)
                .ok_or_else(|| {
                    invalid(
                        &field,
                        format!("must be a pool id of 1 to {MAX_POOL_LEN} bytes"),
                    )
                })?;
            if pools.iter().any(|p| p == pool) {
                return Err(invalid(&field, "listed twice"));
            }
            pools.push(pool.to_owned());
        }

        let retry_schedule_seconds = match body.retry_schedule_seconds {
            None => DEFAULT_RETRY_SCHEDULE.to_vec(),
            Some(list) => {
                if list.len() > MAX_SCHEDULE_LEN {
                    return Err(invalid(
                        "retry_schedule_seconds",
                        format!("at most {MAX_SCHEDULE_LEN} entries"),
                    ));
                }
                let mut out = Vec::with_capacity(list.len());
                for (i, v) in list.iter().enumerate() {
                    let n = v
                        .as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                        .filter(|n| (1..=MAX_RETRY_DELAY).contains(n))
                        .ok_or_else(|| {
                            invalid(
                                format!("retry_schedule_seconds[{i}]"),
                                format!(
                                    "must be whole seconds from 1 to {MAX_RETRY_DELAY} (7 days)"
                                ),
                            )
                        })?;
                    out.push(n);
                }
                out
            }
        };
        Ok(Registration {
            url,
            events,
            pools,
            retry_schedule_seconds,
        })
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)] // tests may panic
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<Registration, ApiError> {
        Registration::parse(body.as_bytes(), false)
    }

    #[test]
    fn errors_name_the_field() {
        for (body, field, status) in [
            (
                r#"{"url":"http://example.com/h","events":["open.human"]}"#,
                Some("url"),
                422,
            ),
            (
                r#"{"url":"https://example.com/h","events":[]}"#,
                Some("events"),
                422,
            ),
            (
                r#"{"url":"https://example.com/h","events":["open.human","call.started","nope"]}"#,
                Some("events[2]"),
                422,
            ),
            (
                r#"{"url":"https://example.com/h","events":["open.human","open.human"]}"#,
                Some("events[1]"),
                422,
            ),
            (
                r#"{"url":"https://example.com/h","events":["open.human"],"retry_schedule_seconds":[0]}"#,
                Some("retry_schedule_seconds[0]"),
                422,
            ),
            (
                r#"{"url":"https://example.com/h","events":["open.human"],"retry_schedule_seconds":[1,604801]}"#,
                Some("retry_schedule_seconds[1]"),
                422,
            ),
            (
                r#"{"url":"https://example.com/h","events":["open.human"],"retry_schedule_seconds":[1.5]}"#,
                Some("retry_schedule_seconds[0]"),
                422,
            ),
            (
                r#"{"url":"https://example.com/h","events":["open.human"],"pools":["a",""]}"#,
                Some("pools[1]"),
                422,
            ),
            (
                r#"{"url":"https://example.com/h","events":["open.human"],"extra":1}"#,
                None,
                400,
            ),
            (
                r#"{"url":"https://example.com/h","url":"https://example.org/","events":["open.human"]}"#,
                Some("url"),
                400,
            ),
        ] {
            let e = parse(body).unwrap_err();
            assert_eq!(e.status(), status, "{body}: {e}");
            assert_eq!(e.field.as_deref(), field, "{body}: {e}");
        }
    }

    #[test]
    fn bounds() {
        let events: Vec<String> = (0..17).map(|_| "\"open.human\"".to_owned()).collect();
        let body = format!(
            r#"{{"url":"https://example.com/","events":[{}]}}"#,
            events.join(",")
        );
        assert_eq!(parse(&body).unwrap_err().field.as_deref(), Some("events"));
        let pools: Vec<String> = (0..65).map(|i| format!("\"p{i}\"")).collect();
        let body = format!(
            r#"{{"url":"https://example.com/","events":["open.human"],"pools":[{}]}}"#,
            pools.join(",")
        );
        assert_eq!(parse(&body).unwrap_err().field.as_deref(), Some("pools"));
        let schedule = vec!["1"; 21].join(",");
        let body = format!(
            r#"{{"url":"https://example.com/","events":["open.human"],"retry_schedule_seconds":[{schedule}]}}"#
        );
        assert_eq!(
            parse(&body).unwrap_err().field.as_deref(),
            Some("retry_schedule_seconds")
        );
        let long = format!(
            r#"{{"url":"https://example.com/{}","events":["open.human"]}}"#,
            "a".repeat(2048)
        );
        assert_eq!(parse(&long).unwrap_err().field.as_deref(), Some("url"));
    }

    #[test]
    fn defaults_and_canonical_url() {
        let r = parse(r#"{"url":"HTTPS://Hooks.Example.com:443","events":["call.completed"]}"#)
            .unwrap();
        assert_eq!(r.url, "https://hooks.example.com/");
        assert_eq!(r.retry_schedule_seconds, DEFAULT_RETRY_SCHEDULE);
        assert!(r.pools.is_empty());
        let total: u32 = DEFAULT_RETRY_SCHEDULE.iter().sum();
        assert!(
            total >= 24 * 3600,
            "the default spans more than a day: {total}"
        );
        assert_eq!(total, 99_305);
    }

    #[test]
    fn ids() {
        assert!(check_id("crm-1_A").is_ok());
        for bad in ["", "a/b", "a.b", &"x".repeat(65)] {
            assert_eq!(check_id(bad).unwrap_err().field.as_deref(), Some("id"));
        }
    }
}
