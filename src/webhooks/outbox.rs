//! The delivery state machine: events in, HTTP requests out, results back.
//!
//! One [`Outbox`] holds an account's endpoints, the events waiting to be (or
//! recently) delivered and one [`Delivery`] per (event, endpoint). It does no
//! I/O and reads no clock: every method takes `now` (Unix seconds), and the
//! Durable Object around it
//!
//! 1. calls [`Outbox::enqueue`] when something happens;
//! 2. sets its alarm to [`Outbox::next_alarm`];
//! 3. on the alarm, makes the requests [`Outbox::due`] hands out (POST, no
//!    redirects followed, [`Attempt::timeout_seconds`]) and reports each
//!    result with [`Outbox::record`];
//! 4. after every mutation, applies [`Outbox::take_rows`] to its storage, and
//!    on start rebuilds the outbox with [`Outbox::from_rows`].
//!
//! Delivery is at least once, as the Standard Webhooks spec expects
//! (receivers dedupe by `webhook-id`). An attempt handed out by `due` is
//! *leased*: it is not handed out again until its result is recorded or the
//! lease ([`OutboxConfig::lease_seconds`]) runs out. The object may be evicted
//! mid-request; then the lease lapses, the attempt counts as failed ("no
//! result"), and the next one goes out per the schedule with the same
//! `webhook-id` and body (a fresh `webhook-timestamp` and signature). A success
//! reported after its lease lapsed still counts.
//!
//! Retries follow the endpoint's schedule ([`super::endpoint::DEFAULT_RETRY_SCHEDULE`]
//! unless it set its own). When the last attempt fails, the endpoint is
//! disabled and says why; its other pending deliveries fail with it (replay
//! them after fixing the receiver). `410 Gone` disables at once, as the spec
//! recommends. No jitter is added: the clock is the caller's, and one
//! object's deliveries are few enough not to stampede a receiver.
//!
//! Memory is bounded ([`OutboxConfig`]): finished deliveries and their events
//! are pruned after `keep_seconds`, and past the caps the oldest finished
//! ones go first; only if every kept delivery is still active is the oldest
//! active one dropped, counted in [`Outbox::dropped`].
#![deny(clippy::indexing_slicing, clippy::string_slice)]

use super::endpoint::{Disabled, Endpoint, Registration, check_id};
use super::event::WebhookEvent;
use super::signature::{Secret, sign};
use crate::error::{ApiError, ErrorCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The version of the stored form ([`Snapshot`] and the rows). Bump it when
/// the form changes, and teach [`Outbox::restore`] to migrate the old one.
pub const SNAPSHOT_VERSION: u32 = 1;
/// How long a receiver has to answer one request (the spec recommends 15–30 s).
pub const REQUEST_TIMEOUT_SECONDS: u32 = 15;
/// Longest error text kept per attempt (network errors can be long).
pub const MAX_ERROR_LEN: usize = 256;
/// The `user-agent` of every request.
pub const USER_AGENT: &str = concat!("ringmark-webhooks/", env!("CARGO_PKG_VERSION"));

/// Limits and timings of an outbox (not stored: the deployment's choice).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxConfig {
    /// Most endpoints.
    pub max_endpoints: usize,
    /// Most stored events.
    pub max_events: usize,
    /// Most stored deliveries.
    pub max_deliveries: usize,
    /// How long finished deliveries (and events none still needs) are kept
    /// for listing and replay.
    pub keep_seconds: i64,
    /// How long a handed-out attempt may go without a result before it
    /// counts as failed: longer than the request timeout, so a slow but
    /// living request is not duplicated.
    pub lease_seconds: i64,
    /// Most attempts one [`Outbox::due`] hands out (a Worker invocation has a
    /// subrequest limit); the rest stay due and the alarm fires again at once.
    pub max_attempts_per_due: usize,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        OutboxConfig {
            max_endpoints: 64,
            max_events: 1_000,
            max_deliveries: 5_000,
            keep_seconds: 7 * 86_400,
            lease_seconds: 4 * i64::from(REQUEST_TIMEOUT_SECONDS),
            max_attempts_per_due: 32,
        }
    }
}

/// An event as stored, with when it was stored (for pruning).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    /// The event (its body is what every attempt sends).
    pub event: WebhookEvent,
    /// When it was enqueued (Unix seconds).
    pub stored_at: i64,
}

/// Where a delivery stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DeliveryState {
    /// The next attempt goes out at `at`.
    Scheduled {
        /// Unix seconds.
        at: i64,
    },
    /// Attempt `attempt` was handed out; its result is awaited until `lease_until`.
    InFlight {
        /// Attempt number (1-based).
        attempt: u32,
        /// When the attempt counts as failed without a result.
        lease_until: i64,
    },
    /// A 2xx answer arrived.
    Delivered {
        /// Unix seconds.
        at: i64,
    },
    /// No more attempts: retries exhausted, `410 Gone`, or the endpoint disabled or removed.
    Failed {
        /// Unix seconds.
        at: i64,
        /// Why.
        reason: String,
    },
}

/// One attempt of a delivery, for the listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptRecord {
    /// Attempt number (1-based).
    pub attempt: u32,
    /// When it was handed out (Unix seconds); also its `webhook-timestamp`.
    pub at: i64,
    /// The HTTP status answered, if one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The network error, or why no result came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One event on its way to one endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// Its id, unique within the outbox (reported back with each result).
    pub id: u64,
    /// The endpoint's id.
    pub endpoint: String,
    /// The event's id (`webhook-id`).
    pub event: String,
    /// When it was created (Unix seconds).
    pub created: i64,
    /// Where it stands.
    #[serde(flatten)]
    pub state: DeliveryState,
    /// Its attempts so far, oldest first.
    pub attempts: Vec<AttemptRecord>,
}

impl Delivery {
    /// When the next attempt goes out, if one is scheduled.
    pub fn next_at(&self) -> Option<i64> {
        match self.state {
            DeliveryState::Scheduled { at } => Some(at),
            _ => None,
        }
    }

    fn is_active(&self) -> bool {
        matches!(
            self.state,
            DeliveryState::Scheduled { .. } | DeliveryState::InFlight { .. }
        )
    }

    fn finished_at(&self) -> Option<i64> {
        match self.state {
            DeliveryState::Delivered { at } | DeliveryState::Failed { at, .. } => Some(at),
            _ => None,
        }
    }

    /// The listing's view (`GET /v1/webhooks/{id}/deliveries`).
    pub fn to_json(&self) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut v {
            map.insert("next_at".into(), self.next_at().into());
        }
        v
    }
}

/// A request to make: everything the adapter needs, fully formed.
///
/// Send `body` as-is with `POST` and these headers, **without following
/// redirects** (`redirect: "manual"`: a 3xx is a failure, as the spec says, and
/// following one would bypass the address check), and abort after
/// `timeout_seconds`. Report the result with [`Outbox::record`] quoting
/// `delivery` and `attempt`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Attempt {
    /// The delivery this attempt belongs to.
    pub delivery: u64,
    /// Its number (1-based).
    pub attempt: u32,
    /// Always `POST`.
    pub method: &'static str,
    /// The endpoint's canonical URL.
    pub url: String,
    /// `content-type`, `user-agent`, `webhook-id`, `webhook-timestamp`, `webhook-signature`.
    pub headers: Vec<(String, String)>,
    /// The event's body, byte for byte as signed.
    pub body: String,
    /// Abort the request after this many seconds (then report a network error).
    pub timeout_seconds: u32,
}

/// What came of an attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryResult {
    /// The receiver answered with this status (2xx is success, anything else a failure).
    Status(u16),
    /// No answer: DNS, TLS, connection or timeout (the message is kept, shortened).
    NetworkError(String),
}

/// What [`Outbox::record`] made of a result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// Delivered; nothing more to do.
    Delivered,
    /// Failed; the next attempt goes out at this time.
    Retry(i64),
    /// Failed for good; the endpoint was disabled (when it still existed) with this reason.
    Failed(String),
    /// A repeated or late failure whose attempt was already settled: nothing changed.
    Ignored,
}

/// Why a reported result was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordError {
    /// No such delivery (never existed, or pruned).
    UnknownDelivery,
    /// The delivery has no such attempt.
    UnknownAttempt,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RecordError::UnknownDelivery => "no such delivery",
            RecordError::UnknownAttempt => "no such attempt",
        })
    }
}

impl std::error::Error for RecordError {}

/// The whole outbox as stored: versioned, so a newer build's form is refused
/// rather than misread.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// [`SNAPSHOT_VERSION`] when written.
    pub version: u32,
    /// The next delivery id.
    pub next_delivery: u64,
    /// Active deliveries dropped to stay within the caps, ever.
    #[serde(default)]
    pub dropped: u64,
    /// Endpoints, by id.
    pub endpoints: Vec<Endpoint>,
    /// Stored events.
    pub events: Vec<StoredEvent>,
    /// Deliveries.
    pub deliveries: Vec<Delivery>,
}

/// The `meta` row: the version and counters.
#[derive(Serialize, Deserialize)]
struct Meta {
    version: u32,
    next_delivery: u64,
    #[serde(default)]
    dropped: u64,
}

/// One change to storage: put `value` (JSON text) under (`kind`, `key`), or
/// delete that row when `value` is `None`. Kinds: `meta`, `endpoint`, `event`,
/// `delivery`. A table `(kind TEXT, key TEXT, value TEXT, PRIMARY KEY (kind, key))`
/// holds them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowChange {
    /// Row kind.
    pub kind: &'static str,
    /// Row key within the kind.
    pub key: String,
    /// New JSON text, or `None` to delete.
    pub value: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum RowKey {
    Meta,
    Endpoint(String),
    Event(String),
    Delivery(u64),
}

/// Why stored state could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError(pub String);

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "webhook outbox: {}", self.0)
    }
}

impl std::error::Error for LoadError {}

/// Why a replay was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplayError {
    /// No such endpoint.
    UnknownEndpoint,
    /// The endpoint is disabled (re-register it first).
    EndpointDisabled,
    /// No such event stored (never, or pruned after `keep_seconds`).
    UnknownEvent,
}

impl ReplayError {
    /// As an API error (404 or 409).
    pub fn to_api(&self) -> ApiError {
        match self {
            ReplayError::UnknownEndpoint => ApiError::new(ErrorCode::NotFound, "no such webhook"),
            ReplayError::EndpointDisabled => ApiError::new(
                ErrorCode::Conflict,
                "the webhook is disabled; PUT it again to re-enable it",
            ),
            ReplayError::UnknownEvent => ApiError::field(
                ErrorCode::NotFound,
                "event",
                "no such event (events are kept for a limited time)",
            ),
        }
    }
}

/// The outbox: endpoints, events and deliveries of one account.
#[derive(Clone, Debug)]
pub struct Outbox {
    config: OutboxConfig,
    endpoints: BTreeMap<String, Endpoint>,
    events: BTreeMap<String, StoredEvent>,
    deliveries: BTreeMap<u64, Delivery>,
    next_delivery: u64,
    dropped: u64,
    dirty: BTreeSet<RowKey>,
}

fn shorten(mut text: String) -> String {
    if text.len() > MAX_ERROR_LEN {
        let mut cut = MAX_ERROR_LEN;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    text
}

impl Outbox {
    /// An empty outbox.
    pub fn new(config: OutboxConfig) -> Outbox {
        Outbox {
            config,
            endpoints: BTreeMap::new(),
            events: BTreeMap::new(),
            deliveries: BTreeMap::new(),
            next_delivery: 1,
            dropped: 0,
            dirty: BTreeSet::new(),
        }
    }

    /// Registers or updates endpoint `id` (`PUT /v1/webhooks/{id}`).
    ///
    /// A new endpoint gets a secret made of `secret_random` (24 to 64 bytes
    /// the caller drew); an existing one keeps its secret and is re-enabled.
    ///
    /// # Errors
    /// 422 for a bad id, 409 past [`OutboxConfig::max_endpoints`], 500 for
    /// random bytes of the wrong length.
    pub fn register(
        &mut self,
        id: &str,
        registration: Registration,
        secret_random: &[u8],
        now: i64,
    ) -> Result<&Endpoint, ApiError> {
        check_id(id)?;
        let (secret, created) = match self.endpoints.get(id) {
            Some(old) => (old.secret.clone(), old.created),
            None => {
                if self.endpoints.len() >= self.config.max_endpoints {
                    return Err(ApiError::new(
                        ErrorCode::Conflict,
                        format!("at most {} webhooks", self.config.max_endpoints),
                    ));
                }
                let secret = Secret::from_random(secret_random)
                    .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
                (secret, now)
            }
        };
        let endpoint = Endpoint {
            id: id.to_owned(),
            url: registration.url,
            events: registration.events,
            pools: registration.pools,
            secret,
            retry_schedule_seconds: registration.retry_schedule_seconds,
            created,
            disabled: None,
        };
        self.dirty.insert(RowKey::Endpoint(id.to_owned()));
        self.endpoints.insert(id.to_owned(), endpoint);
        self.endpoints
            .get(id)
            .ok_or_else(|| ApiError::new(ErrorCode::Internal, "endpoint not kept"))
    }
}

impl Outbox {
    /// Endpoint `id`, if registered.
    pub fn endpoint(&self, id: &str) -> Option<&Endpoint> {
        self.endpoints.get(id)
    }

    /// Every endpoint, by id.
    pub fn endpoints(&self) -> impl Iterator<Item = &Endpoint> {
        self.endpoints.values()
    }

    /// Active deliveries dropped to stay within the caps, ever (0 unless overloaded).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Removes endpoint `id` (`DELETE /v1/webhooks/{id}`) and all its
    /// deliveries. An attempt in flight may still arrive at the receiver; its
    /// result is then refused as unknown. Answers whether it existed.
    pub fn remove(&mut self, id: &str, now: i64) -> bool {
        if self.endpoints.remove(id).is_none() {
            return false;
        }
        self.dirty.insert(RowKey::Endpoint(id.to_owned()));
        let gone: Vec<u64> = self
            .deliveries
            .values()
            .filter(|d| d.endpoint == id)
            .map(|d| d.id)
            .collect();
        for d in gone {
            self.drop_delivery(d);
        }
        self.prune(now);
        true
    }

    /// Takes in an event: one delivery per endpoint that wants it, due now.
    /// Answers their ids (none when no endpoint wants it, or the event id was
    /// already taken in: enqueueing is idempotent).
    pub fn enqueue(&mut self, event: WebhookEvent, now: i64) -> Vec<u64> {
        if self.events.contains_key(&event.id) {
            return Vec::new();
        }
        let wanted: Vec<String> = self
            .endpoints
            .values()
            .filter(|e| e.wants(event.event_type, &event.pool))
            .map(|e| e.id.clone())
            .collect();
        if wanted.is_empty() {
            return Vec::new();
        }
        let ids = wanted
            .into_iter()
            .map(|endpoint| self.new_delivery(endpoint, event.id.clone(), now))
            .collect();
        self.dirty.insert(RowKey::Event(event.id.clone()));
        self.events.insert(
            event.id.clone(),
            StoredEvent {
                event,
                stored_at: now,
            },
        );
        self.prune(now);
        ids
    }

    /// Sends stored event `event_id` to endpoint `endpoint_id` again, as a new
    /// delivery due now (`POST /v1/webhooks/{id}/replay`). It keeps the event's
    /// `webhook-id`, so a receiver that already processed it can tell.
    ///
    /// # Errors
    /// [`ReplayError`] when the endpoint or event is unknown, or the endpoint disabled.
    pub fn replay(
        &mut self,
        event_id: &str,
        endpoint_id: &str,
        now: i64,
    ) -> Result<u64, ReplayError> {
        let endpoint = self
            .endpoints
            .get(endpoint_id)
            .ok_or(ReplayError::UnknownEndpoint)?;
        if endpoint.disabled.is_some() {
            return Err(ReplayError::EndpointDisabled);
        }
        if !self.events.contains_key(event_id) {
            return Err(ReplayError::UnknownEvent);
        }
        let id = self.new_delivery(endpoint_id.to_owned(), event_id.to_owned(), now);
        self.prune(now);
        Ok(id)
    }

    fn new_delivery(&mut self, endpoint: String, event: String, now: i64) -> u64 {
        let id = self.next_delivery;
        self.next_delivery += 1;
        self.dirty.insert(RowKey::Meta);
        self.dirty.insert(RowKey::Delivery(id));
        self.deliveries.insert(
            id,
            Delivery {
                id,
                endpoint,
                event,
                created: now,
                state: DeliveryState::Scheduled { at: now },
                attempts: Vec::new(),
            },
        );
        id
    }

    /// When the alarm should next fire: the earliest scheduled attempt or
    /// lease end, or `None` when nothing is pending.
    pub fn next_alarm(&self) -> Option<i64> {
        self.deliveries
            .values()
            .filter_map(|d| match d.state {
                DeliveryState::Scheduled { at } => Some(at),
                DeliveryState::InFlight { lease_until, .. } => Some(lease_until),
                _ => None,
            })
            .min()
    }

    /// The requests to make now, at most [`OutboxConfig::max_attempts_per_due`]
    /// (earliest first). Each is leased: it is not handed out again until its
    /// result is recorded or its lease ends. Leases that ended before `now`
    /// count as failed attempts first.
    pub fn due(&mut self, now: i64) -> Vec<Attempt> {
        let lapsed: Vec<(u64, u32, i64)> = self
            .deliveries
            .values()
            .filter_map(|d| match d.state {
                DeliveryState::InFlight {
                    attempt,
                    lease_until,
                } if lease_until <= now => Some((d.id, attempt, lease_until)),
                _ => None,
            })
            .collect();
        for (id, attempt, lease_until) in lapsed {
            let error = DeliveryResult::NetworkError("no result before the lease ended".into());
            // The attempt exists (it is the one in flight), so this cannot fail.
            let _ = self.record(id, attempt, error, lease_until);
        }
        let mut ready: Vec<(i64, u64)> = self
            .deliveries
            .values()
            .filter_map(|d| d.next_at().filter(|at| *at <= now).map(|at| (at, d.id)))
            .collect();
        ready.sort_unstable();
        ready.truncate(self.config.max_attempts_per_due);
        ready
            .into_iter()
            .filter_map(|(_, id)| self.hand_out(id, now))
            .collect()
    }

    fn hand_out(&mut self, id: u64, now: i64) -> Option<Attempt> {
        let lease = self.config.lease_seconds;
        let delivery = self.deliveries.get_mut(&id)?;
        let endpoint = self.endpoints.get(&delivery.endpoint);
        let stored = self.events.get(&delivery.event);
        let (Some(endpoint), Some(stored)) = (endpoint, stored) else {
            // Unreachable by construction (removal drops deliveries, pruning
            // keeps events with active deliveries); failing is the safe answer.
            delivery.state = DeliveryState::Failed {
                at: now,
                reason: "endpoint or event no longer stored".into(),
            };
            self.dirty.insert(RowKey::Delivery(id));
            return None;
        };
        let attempt = u32::try_from(delivery.attempts.len()).unwrap_or(u32::MAX - 1) + 1;
        let event = &stored.event;
        let signature = sign(&endpoint.secret, &event.id, now, event.body.as_bytes());
        let headers = vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("user-agent".to_owned(), USER_AGENT.to_owned()),
            ("webhook-id".to_owned(), event.id.clone()),
            ("webhook-timestamp".to_owned(), now.to_string()),
            ("webhook-signature".to_owned(), signature),
        ];
        let out = Attempt {
            delivery: id,
            attempt,
            method: "POST",
            url: endpoint.url.clone(),
            headers,
            body: event.body.clone(),
            timeout_seconds: REQUEST_TIMEOUT_SECONDS,
        };
        delivery.attempts.push(AttemptRecord {
            attempt,
            at: now,
            status: None,
            error: None,
        });
        delivery.state = DeliveryState::InFlight {
            attempt,
            lease_until: now.saturating_add(lease),
        };
        self.dirty.insert(RowKey::Delivery(id));
        Some(out)
    }

    /// Takes in the result of attempt `attempt` of delivery `delivery`.
    ///
    /// 2xx delivers. `410 Gone` fails the delivery and disables the endpoint.
    /// Any other status or a network error schedules the next attempt after
    /// the endpoint's next wait, or, when the schedule is used up, fails the
    /// delivery and disables the endpoint with the reason. A success that
    /// arrives after its lease ended still delivers; a failure for an attempt
    /// already settled is [`Recorded::Ignored`].
    ///
    /// # Errors
    /// [`RecordError`] when the delivery or attempt is unknown.
    pub fn record(
        &mut self,
        delivery: u64,
        attempt: u32,
        result: DeliveryResult,
        now: i64,
    ) -> Result<Recorded, RecordError> {
        let d = self
            .deliveries
            .get_mut(&delivery)
            .ok_or(RecordError::UnknownDelivery)?;
        let record = d
            .attempts
            .iter_mut()
            .find(|a| a.attempt == attempt)
            .ok_or(RecordError::UnknownAttempt)?;
        let success = matches!(result, DeliveryResult::Status(200..=299));
        let settled =
            !matches!(d.state, DeliveryState::InFlight { attempt: a, .. } if a == attempt);
        if settled && (!success || matches!(d.state, DeliveryState::Delivered { .. })) {
            return Ok(Recorded::Ignored);
        }
        match &result {
            DeliveryResult::Status(code) => {
                record.status = Some(*code);
                record.error = None;
            }
            DeliveryResult::NetworkError(e) => record.error = Some(shorten(e.clone())),
        }
        self.dirty.insert(RowKey::Delivery(delivery));
        if success {
            d.state = DeliveryState::Delivered { at: now };
            self.prune(now);
            return Ok(Recorded::Delivered);
        }
        let endpoint = self.endpoints.get(&d.endpoint);
        let wait = endpoint.and_then(|e| {
            let index = usize::try_from(attempt).ok()?.checked_sub(1)?;
            e.retry_schedule_seconds.get(index).copied()
        });
        let last = match &result {
            DeliveryResult::Status(code) => format!("HTTP {code}"),
            DeliveryResult::NetworkError(e) => shorten(e.clone()),
        };
        let gone = result == DeliveryResult::Status(410);
        match (endpoint, wait) {
            (Some(_), Some(wait)) if !gone => {
                let at = now.saturating_add(i64::from(wait));
                d.state = DeliveryState::Scheduled { at };
                Ok(Recorded::Retry(at))
            }
            (None, _) => {
                let reason = "the webhook was removed".to_owned();
                d.state = DeliveryState::Failed {
                    at: now,
                    reason: reason.clone(),
                };
                Ok(Recorded::Failed(reason))
            }
            (Some(_), _) => {
                let reason = if gone {
                    format!(
                        "delivery {delivery} of {}: the receiver answered 410 Gone",
                        d.event
                    )
                } else {
                    let first = d.attempts.first().map_or(now, |a| a.at);
                    format!(
                        "delivery {delivery} of {} failed all {attempt} attempts over {} s; last: {last}",
                        d.event,
                        now.saturating_sub(first)
                    )
                };
                d.state = DeliveryState::Failed {
                    at: now,
                    reason: reason.clone(),
                };
                let endpoint_id = d.endpoint.clone();
                self.disable(&endpoint_id, reason.clone(), now);
                self.prune(now);
                Ok(Recorded::Failed(reason))
            }
        }
    }

    /// Disables an endpoint and fails its other active deliveries.
    fn disable(&mut self, endpoint_id: &str, reason: String, now: i64) {
        if let Some(e) = self.endpoints.get_mut(endpoint_id) {
            e.disabled = Some(Disabled {
                at: now,
                reason: reason.clone(),
            });
            self.dirty.insert(RowKey::Endpoint(endpoint_id.to_owned()));
        }
        for d in self.deliveries.values_mut() {
            if d.endpoint == endpoint_id && d.is_active() {
                d.state = DeliveryState::Failed {
                    at: now,
                    reason: format!("the webhook was disabled: {reason}"),
                };
                self.dirty.insert(RowKey::Delivery(d.id));
            }
        }
    }

    /// Endpoint `endpoint_id`'s deliveries, newest first, at most `limit`.
    pub fn deliveries(&self, endpoint_id: &str, limit: usize) -> Vec<&Delivery> {
        self.deliveries
            .values()
            .rev()
            .filter(|d| d.endpoint == endpoint_id)
            .take(limit)
            .collect()
    }

    /// Delivery `id`, if stored.
    pub fn delivery(&self, id: u64) -> Option<&Delivery> {
        self.deliveries.get(&id)
    }

    fn drop_delivery(&mut self, id: u64) {
        if self.deliveries.remove(&id).is_some() {
            self.dirty.insert(RowKey::Delivery(id));
        }
    }

    fn drop_event(&mut self, id: &str) {
        if self.events.remove(id).is_some() {
            self.dirty.insert(RowKey::Event(id.to_owned()));
        }
        let gone: Vec<u64> = self
            .deliveries
            .values()
            .filter(|d| d.event == id)
            .map(|d| d.id)
            .collect();
        for d in gone {
            if self.deliveries.get(&d).is_some_and(Delivery::is_active) {
                self.dropped += 1;
                self.dirty.insert(RowKey::Meta);
            }
            self.drop_delivery(d);
        }
    }

    /// Forgets what is old, then keeps within the caps (see the module docs).
    fn prune(&mut self, now: i64) {
        let horizon = now.saturating_sub(self.config.keep_seconds);
        let old: Vec<u64> = self
            .deliveries
            .values()
            .filter(|d| d.finished_at().is_some_and(|at| at < horizon))
            .map(|d| d.id)
            .collect();
        for id in old {
            self.drop_delivery(id);
        }
        let needed: BTreeSet<&str> = self.deliveries.values().map(|d| d.event.as_str()).collect();
        let unneeded: Vec<String> = self
            .events
            .values()
            .filter(|e| e.stored_at < horizon && !needed.contains(e.event.id.as_str()))
            .map(|e| e.event.id.clone())
            .collect();
        for id in unneeded {
            self.drop_event(&id);
        }
        // Deliveries past the cap: oldest finished first, then oldest active.
        while self.deliveries.len() > self.config.max_deliveries {
            let victim = self
                .deliveries
                .values()
                .find(|d| !d.is_active())
                .or_else(|| self.deliveries.values().next())
                .map(|d| (d.id, d.is_active()));
            let Some((id, active)) = victim else { break };
            if active {
                self.dropped += 1;
                self.dirty.insert(RowKey::Meta);
            }
            self.drop_delivery(id);
        }
        // Events past the cap: oldest with no active delivery first.
        while self.events.len() > self.config.max_events {
            let active: BTreeSet<&str> = self
                .deliveries
                .values()
                .filter(|d| d.is_active())
                .map(|d| d.event.as_str())
                .collect();
            let victim = self
                .events
                .values()
                .filter(|e| !active.contains(e.event.id.as_str()))
                .min_by_key(|e| e.stored_at)
                .or_else(|| self.events.values().min_by_key(|e| e.stored_at))
                .map(|e| e.event.id.clone());
            let Some(id) = victim else { break };
            self.drop_event(&id);
        }
    }

    /// The changes to storage since the last call, in a stable order. Apply
    /// them in one transaction after each mutating call (`register`, `remove`,
    /// `enqueue`, `replay`, `due`, `record`).
    pub fn take_rows(&mut self) -> Vec<RowChange> {
        let dirty = std::mem::take(&mut self.dirty);
        dirty
            .into_iter()
            .map(|key| {
                let (kind, key, value) = match key {
                    RowKey::Meta => (
                        "meta",
                        "meta".to_owned(),
                        serde_json::to_string(&Meta {
                            version: SNAPSHOT_VERSION,
                            next_delivery: self.next_delivery,
                            dropped: self.dropped,
                        })
                        .ok(),
                    ),
                    RowKey::Endpoint(id) => {
                        let v = self
                            .endpoints
                            .get(&id)
                            .and_then(|e| serde_json::to_string(e).ok());
                        ("endpoint", id, v)
                    }
                    RowKey::Event(id) => {
                        let v = self
                            .events
                            .get(&id)
                            .and_then(|e| serde_json::to_string(e).ok());
                        ("event", id, v)
                    }
                    RowKey::Delivery(id) => {
                        let v = self
                            .deliveries
                            .get(&id)
                            .and_then(|d| serde_json::to_string(d).ok());
                        ("delivery", id.to_string(), v)
                    }
                };
                RowChange { kind, key, value }
            })
            .collect()
    }

    /// The whole state, versioned.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            version: SNAPSHOT_VERSION,
            next_delivery: self.next_delivery,
            dropped: self.dropped,
            endpoints: self.endpoints.values().cloned().collect(),
            events: self.events.values().cloned().collect(),
            deliveries: self.deliveries.values().cloned().collect(),
        }
    }

    /// Rebuilds an outbox from a [`Snapshot`]'s JSON.
    ///
    /// # Errors
    /// [`LoadError`] when the text is not a snapshot, or was written by a
    /// newer build (its `version` is above [`SNAPSHOT_VERSION`]): refusing is
    /// safer than dropping fields this build does not know.
    pub fn restore(json: &str, config: OutboxConfig) -> Result<Outbox, LoadError> {
        let value: Value =
            serde_json::from_str(json).map_err(|e| LoadError(format!("snapshot: {e}")))?;
        let version = value
            .get("version")
            .and_then(Value::as_u64)
            .ok_or_else(|| LoadError("snapshot has no version".into()))?;
        check_version(version)?;
        // Version 1 is the only one so far; an older form would be migrated here.
        let snapshot: Snapshot =
            serde_json::from_value(value).map_err(|e| LoadError(format!("snapshot: {e}")))?;
        Ok(Outbox::from_snapshot(snapshot, config))
    }

    fn from_snapshot(s: Snapshot, config: OutboxConfig) -> Outbox {
        let max_id = s.deliveries.iter().map(|d| d.id).max().unwrap_or(0);
        Outbox {
            config,
            endpoints: s.endpoints.into_iter().map(|e| (e.id.clone(), e)).collect(),
            events: s
                .events
                .into_iter()
                .map(|e| (e.event.id.clone(), e))
                .collect(),
            deliveries: s.deliveries.into_iter().map(|d| (d.id, d)).collect(),
            // Never reuse an id, even if the counter was stored stale.
            next_delivery: s.next_delivery.max(max_id.saturating_add(1)),
            dropped: s.dropped,
            dirty: BTreeSet::new(),
        }
    }

    /// Rebuilds an outbox from its storage rows: `(kind, key, value)` as
    /// written by [`Outbox::take_rows`]. No rows gives an empty outbox.
    ///
    /// # Errors
    /// [`LoadError`] naming the row that cannot be read, or a newer version.
    pub fn from_rows<'a>(
        rows: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
        config: OutboxConfig,
    ) -> Result<Outbox, LoadError> {
        let mut s = Snapshot {
            version: SNAPSHOT_VERSION,
            next_delivery: 1,
            dropped: 0,
            endpoints: Vec::new(),
            events: Vec::new(),
            deliveries: Vec::new(),
        };
        let row_err = |kind: &str, key: &str, e: serde_json::Error| {
            LoadError(format!("{kind} row {key:?}: {e}"))
        };
        let mut rest = Vec::new();
        for (kind, key, value) in rows {
            if kind == "meta" {
                let meta: Meta = serde_json::from_str(value).map_err(|e| row_err(kind, key, e))?;
                check_version(u64::from(meta.version))?;
                s.next_delivery = meta.next_delivery;
                s.dropped = meta.dropped;
            } else {
                rest.push((kind, key, value));
            }
        }
        for (kind, key, value) in rest {
            match kind {
                "endpoint" => s
                    .endpoints
                    .push(serde_json::from_str(value).map_err(|e| row_err(kind, key, e))?),
                "event" => s
                    .events
                    .push(serde_json::from_str(value).map_err(|e| row_err(kind, key, e))?),
                "delivery" => s
                    .deliveries
                    .push(serde_json::from_str(value).map_err(|e| row_err(kind, key, e))?),
                other => return Err(LoadError(format!("unknown row kind {other:?}"))),
            }
        }
        Ok(Outbox::from_snapshot(s, config))
    }
}

fn check_version(version: u64) -> Result<(), LoadError> {
    if version > u64::from(SNAPSHOT_VERSION) {
        Err(LoadError(format!(
            "stored version {version} is newer than this build's {SNAPSHOT_VERSION}; \
             deploy the newer build"
        )))
    } else if version == 0 {
        Err(LoadError("stored version 0 is not a version".into()))
    } else {
        Ok(())
    }
}
