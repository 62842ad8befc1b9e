//! The webhooks object: one per deployment (`WEBHOOKS` binding, named
//! `"webhooks"`), it owns the outbound webhooks' [`Outbox`]: endpoints,
//! events waiting to be (or recently) delivered, and their deliveries.
//!
//! Storage (SQLite, [`WebhooksObject::SCHEMA`], created with the first write):
//! one table `webhook_rows (kind, key, value)` holding the outbox's rows
//! ([`Outbox::take_rows`]), each value versioned ([`super::stored::WEBHOOK_ROW`]).
//! Every mutation's rows go out in the outcome's one transaction; loading
//! rebuilds the outbox with [`Outbox::from_rows`].
//!
//! **Deliveries are driven by the alarm.** Every mutation asks for the alarm
//! at [`Outbox::next_alarm`]. On the alarm, [`Outbox::due`] hands out the
//! attempts due: their leases are written first, then the outcome asks the
//! adapter for the HTTP requests ([`Outcome::fetches`]); the adapter hands
//! the results back to [`WebhooksObject::fetched`], which records them and
//! asks for the next alarm (the next retry, or the lease end of a request
//! still out). The engine remembers which attempts it handed out, in order;
//! if it is reloaded meanwhile, results arriving for attempts it no longer
//! knows are dropped and those attempts fail when their lease lapses (the
//! next one goes out per the schedule, with the same `webhook-id`).
//!
//! `pool.pressure` and `pool.exhausted` arrive with every open that sees the
//! condition; the object passes on at most one of each per pool per
//! [`POOL_ALERT_INTERVAL`] (remembered in memory: after a restart one more
//! may go out).
//!
//! Clock and randomness are passed in (the secret of a new endpoint is made of
//! the bytes the adapter drew), so tests are deterministic.

use super::store::{Fetch, Outcome, Write};
use super::stored::{self, WEBHOOK_ROW};
use crate::error::{ApiError, ErrorCode};
use crate::protocol::{
    Enqueued, ObjectError, ObjectErrorCode, RegisteredWebhook, Replayed, WebhookCommand,
    WebhookDeliveries, WebhookEndpoint,
};
use crate::webhooks::outbox::{DeliveryResult, OutboxConfig};
use crate::webhooks::{EventType, Outbox, WebhookEvent};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Bytes of randomness [`WebhooksObject::handle`] takes (a new endpoint's secret).
pub const RANDOM_BYTES: usize = 32;

/// Most deliveries one listing answers.
pub const MAX_LISTED: usize = 1_000;

/// At most one `pool.pressure` (and one `pool.exhausted`) per pool this often, in seconds.
pub const POOL_ALERT_INTERVAL: i64 = 3_600;

/// Longest response-body excerpt kept with a network error.
const MAX_BODY_EXCERPT: usize = 200;

/// The engine behind the webhooks Durable Object.
pub struct WebhooksObject {
    outbox: Outbox,
    /// Whether storage holds the schema (rows were loaded, or a write went out).
    schema_written: bool,
    /// The attempts of the fetches last asked for, in order: (delivery, attempt).
    in_flight: Vec<(u64, u32)>,
    /// When a pool alert (type, pool) was last passed on.
    alerts: BTreeMap<(EventType, String), i64>,
}

/// One row of [`WebhooksObject::LOAD`].
#[derive(Deserialize)]
struct Row {
    kind: String,
    key: String,
    value: String,
}

fn not_found(field: &str, message: impl Into<String>) -> ObjectError {
    ObjectError::field(ObjectErrorCode::NotFound, field, message)
}

fn no_webhook(id: &str) -> ObjectError {
    not_found("id", format!("no webhook '{id}'"))
}

/// An [`ApiError`] of the outbox as the object's error (the edge maps it back).
fn from_api(e: ApiError) -> ObjectError {
    let code = match e.code {
        ErrorCode::InvalidField | ErrorCode::BadJson => ObjectErrorCode::Invalid,
        ErrorCode::Conflict => ObjectErrorCode::Conflict,
        ErrorCode::NotFound => ObjectErrorCode::NotFound,
        _ => ObjectErrorCode::Internal,
    };
    ObjectError {
        code,
        message: e.message,
        field: e.field,
    }
}

impl WebhooksObject {
    /// Statements that create the schema (idempotent), written before the first rows.
    pub const SCHEMA: &'static [&'static str] = &[
        "CREATE TABLE IF NOT EXISTS webhook_rows (kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (kind, key))",
    ];

    /// A query answering one row `{stored}`: 1 when the table [`WebhooksObject::LOAD`]
    /// reads exists (see [`super::PoolObject::STORED`]).
    pub const STORED: &'static str = "SELECT COUNT(*) = 1 AS stored FROM sqlite_master \
         WHERE type = 'table' AND name = 'webhook_rows'";

    /// The query whose rows [`WebhooksObject::load`] takes.
    pub const LOAD: &'static str = "SELECT kind, key, value FROM webhook_rows";

    /// The load query for the [`WebhooksObject::STORED`] row (one schema so far).
    pub fn load_query(_stored_row: &str) -> &'static str {
        Self::LOAD
    }

    /// An object with nothing stored.
    pub fn empty() -> Self {
        WebhooksObject {
            outbox: Outbox::new(OutboxConfig::default()),
            schema_written: false,
            in_flight: Vec::new(),
            alerts: BTreeMap::new(),
        }
    }

    /// Rebuilds the engine from the rows of [`WebhooksObject::LOAD`] (a JSON array of objects).
    ///
    /// # Errors
    /// A message when a row cannot be read (or was written by a newer release).
    pub fn load(rows_json: &str) -> Result<Self, String> {
        let rows: Vec<Row> =
            serde_json::from_str(rows_json).map_err(|e| format!("webhook rows: {e}"))?;
        let mut inner = Vec::with_capacity(rows.len());
        for row in &rows {
            let (_, value) = stored::open(WEBHOOK_ROW, &row.value)
                .map_err(|e| format!("{} row {:?}: {e}", row.kind, row.key))?;
            inner.push((row.kind.as_str(), row.key.as_str(), value.to_string()));
        }
        let outbox = Outbox::from_rows(
            inner.iter().map(|(k, key, v)| (*k, *key, v.as_str())),
            OutboxConfig::default(),
        )
        .map_err(|e| e.to_string())?;
        Ok(WebhooksObject {
            outbox,
            schema_written: !rows.is_empty(),
            in_flight: Vec::new(),
            alerts: BTreeMap::new(),
        })
    }

    /// The outbox (read-only), for tests and reports.
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// Handles one [`WebhookCommand`] as the JSON text the adapter carries.
    pub fn handle_json(&mut self, command: &str, now: i64, random: &[u8; RANDOM_BYTES]) -> Outcome {
        match serde_json::from_str::<WebhookCommand>(command) {
            Ok(command) => self.handle(command, now, random),
            Err(e) => Outcome::error(ObjectError::new(
                ObjectErrorCode::BadCommand,
                format!("command: {e}"),
            )),
        }
    }

    /// Handles one [`WebhookCommand`] at time `now` (Unix seconds); `random`
    /// becomes the secret of an endpoint it registers.
    pub fn handle(
        &mut self,
        command: WebhookCommand,
        now: i64,
        random: &[u8; RANDOM_BYTES],
    ) -> Outcome {
        let result: Result<Value, ObjectError> = match command {
            WebhookCommand::Register { id, registration } => self
                .outbox
                .register(&id, registration, random, now)
                .map(|e| RegisteredWebhook {
                    endpoint: WebhookEndpoint::from(e),
                    secret: e.secret.expose(),
                })
                .map(|r| json!(r))
                .map_err(from_api),
            WebhookCommand::Get { id } => self
                .outbox
                .endpoint(&id)
                .map(|e| json!(WebhookEndpoint::from(e)))
                .ok_or_else(|| no_webhook(&id)),
            WebhookCommand::Remove { id } => {
                if self.outbox.remove(&id, now) {
                    Ok(Value::Null)
                } else {
                    Err(no_webhook(&id))
                }
            }
            WebhookCommand::Deliveries { id, limit } => match self.outbox.endpoint(&id) {
                Some(_) => Ok(json!(WebhookDeliveries {
                    deliveries: self
                        .outbox
                        .deliveries(&id, limit.min(MAX_LISTED))
                        .into_iter()
                        .cloned()
                        .collect(),
                })),
                None => Err(no_webhook(&id)),
            },
            WebhookCommand::Replay { id, event_id } => self
                .outbox
                .replay(&event_id, &id, now)
                .map(|delivery| json!(Replayed { delivery }))
                .map_err(|e| from_api(e.to_api())),
            WebhookCommand::Enqueue { events } => {
                let mut deliveries = 0;
                for event in events {
                    if self.throttled(&event, now) {
                        continue;
                    }
                    deliveries += self.outbox.enqueue(event, now).len();
                }
                let mut wanted: Vec<EventType> = self
                    .outbox
                    .endpoints()
                    .filter(|e| e.disabled.is_none())
                    .flat_map(|e| e.events.iter().copied())
                    .collect();
                wanted.sort_by_key(|t| t.as_str());
                wanted.dedup();
                Ok(json!(Enqueued { deliveries, wanted }))
            }
        };
        let outcome = Outcome::answer(result, Vec::new());
        self.persisted(outcome)
    }

    /// Whether a pool alert repeats one passed on less than [`POOL_ALERT_INTERVAL`] ago
    /// (and, when it does not, remembers it).
    fn throttled(&mut self, event: &WebhookEvent, now: i64) -> bool {
        if !matches!(
            event.event_type,
            EventType::PoolPressure | EventType::PoolExhausted
        ) {
            return false;
        }
        let key = (event.event_type, event.pool.clone());
        if self
            .alerts
            .get(&key)
            .is_some_and(|last| now.saturating_sub(*last) < POOL_ALERT_INTERVAL)
        {
            return true;
        }
        // Keep the memory bounded: forget alerts old enough not to matter.
        if self.alerts.len() >= 4_096 {
            self.alerts
                .retain(|_, last| now.saturating_sub(*last) < POOL_ALERT_INTERVAL);
        }
        self.alerts.insert(key, now);
        false
    }

    /// The object's alarm fired: hand out the attempts due, leased (the
    /// leases are written before the requests go out), and ask for them.
    pub fn alarm(&mut self, now: i64) -> Outcome {
        let attempts = self.outbox.due(now);
        self.in_flight = attempts.iter().map(|a| (a.delivery, a.attempt)).collect();
        let mut outcome = self.persisted(Outcome::ok((), Vec::new()));
        outcome.fetches = attempts
            .into_iter()
            .map(|a| Fetch {
                method: a.method.to_owned(),
                url: a.url,
                headers: a.headers,
                body: a.body,
                timeout_seconds: a.timeout_seconds,
            })
            .collect();
        outcome
    }

    /// The results of the fetches the last [`WebhooksObject::alarm`] asked
    /// for, in order: `(status, body)`, status 0 when no answer came (the body
    /// says why). Records them and asks for the next alarm.
    pub fn fetched(&mut self, results: Vec<(u16, String)>, now: i64) -> Outcome {
        let in_flight = std::mem::take(&mut self.in_flight);
        for ((delivery, attempt), (status, body)) in in_flight.into_iter().zip(results) {
            let result = if status == 0 {
                let mut text = body;
                if text.len() > MAX_BODY_EXCERPT {
                    let mut cut = MAX_BODY_EXCERPT;
                    while !text.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    text.truncate(cut);
                }
                DeliveryResult::NetworkError(text)
            } else {
                DeliveryResult::Status(status)
            };
            // An unknown delivery was removed meanwhile: nothing to record.
            let _ = self.outbox.record(delivery, attempt, result, now);
        }
        self.persisted(Outcome::ok((), Vec::new()))
    }

    /// Adds the outbox's row changes to `outcome` (schema first, when it is
    /// the first write) and asks for the next alarm.
    fn persisted(&mut self, mut outcome: Outcome) -> Outcome {
        let writes: Vec<Write> = self
            .outbox
            .take_rows()
            .into_iter()
            .map(|row| match row.value {
                Some(value) => {
                    let value: Value = serde_json::from_str(&value).unwrap_or(Value::Null);
                    Write::new(
                        "INSERT OR REPLACE INTO webhook_rows (kind, key, value) VALUES (?, ?, ?)",
                        vec![
                            json!(row.kind),
                            json!(row.key),
                            json!(stored::encode(WEBHOOK_ROW, &value)),
                        ],
                    )
                }
                None => Write::new(
                    "DELETE FROM webhook_rows WHERE kind = ? AND key = ?",
                    vec![json!(row.kind), json!(row.key)],
                ),
            })
            .collect();
        if writes.is_empty() {
            return outcome;
        }
        outcome.writes.extend(writes);
        if !self.schema_written {
            self.schema_written = true;
            outcome = outcome.creating(Self::SCHEMA);
        }
        outcome.with_alarm(self.outbox.next_alarm())
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)] // tests may panic
mod tests {
    use super::*;
    use crate::protocol::read_answer;
    use crate::webhooks::{EventData, Registration};

    const T0: i64 = 1_800_000_000;
    const RANDOM: [u8; RANDOM_BYTES] = [7; RANDOM_BYTES];

    fn register(object: &mut WebhooksObject, id: &str) -> Outcome {
        let registration = Registration::parse(
            br#"{"url":"https://hooks.example.com/r","events":["open.human","pool.pressure"],"retry_schedule_seconds":[10]}"#,
            false,
        )
        .unwrap();
        object.handle(
            WebhookCommand::Register {
                id: id.into(),
                registration,
            },
            T0,
            &RANDOM,
        )
    }

    fn event(n: u8, event_type: EventType) -> WebhookEvent {
        WebhookEvent::new(
            &[n; 16],
            event_type,
            T0,
            EventData {
                pool: "p".into(),
                ..EventData::default()
            },
        )
    }

    #[test]
    fn reads_write_nothing_and_the_first_write_creates_the_schema() {
        let mut object = WebhooksObject::empty();
        let get = object.handle(WebhookCommand::Get { id: "a".into() }, T0, &RANDOM);
        assert!(get.writes.is_empty() && get.alarm.is_none());
        assert_eq!(
            read_answer::<WebhookEndpoint>(&get.answer)
                .unwrap_err()
                .code,
            ObjectErrorCode::NotFound
        );
        let put = register(&mut object, "a");
        assert_eq!(put.writes[0].sql, WebhooksObject::SCHEMA[0]);
        let reply: RegisteredWebhook = read_answer(&put.answer).unwrap();
        assert!(reply.secret.starts_with("whsec_"));
        assert_eq!(put.alarm, None, "nothing to deliver yet");
        let again = register(&mut object, "a");
        assert!(again.writes.iter().all(|w| !w.sql.starts_with("CREATE")));
    }

    #[test]
    fn an_event_goes_out_on_the_alarm_and_its_result_schedules_the_retry() {
        let mut object = WebhooksObject::empty();
        register(&mut object, "a");
        let enqueued = object.handle(
            WebhookCommand::Enqueue {
                events: vec![event(1, EventType::OpenHuman)],
            },
            T0,
            &RANDOM,
        );
        assert_eq!(enqueued.alarm, Some(T0));
        let alarm = object.alarm(T0);
        assert_eq!(alarm.fetches.len(), 1);
        assert!(!alarm.writes.is_empty(), "the lease is written first");
        assert_eq!(alarm.fetches[0].method, "POST");
        let done = object.fetched(vec![(500, String::new())], T0);
        assert_eq!(done.alarm, Some(T0 + 10));
        let retry = object.alarm(T0 + 10);
        assert_eq!(retry.fetches.len(), 1);
        let ok = object.fetched(vec![(204, String::new())], T0 + 10);
        assert_eq!(ok.alarm, None);
        let listed = object.handle(
            WebhookCommand::Deliveries {
                id: "a".into(),
                limit: 10,
            },
            T0 + 10,
            &RANDOM,
        );
        let listed: WebhookDeliveries = read_answer(&listed.answer).unwrap();
        assert_eq!(listed.deliveries[0].attempts.len(), 2);
    }

    #[test]
    fn pool_alerts_are_passed_on_once_an_interval() {
        let mut object = WebhooksObject::empty();
        register(&mut object, "a");
        let count = |object: &mut WebhooksObject, n: u8, at: i64| {
            let o = object.handle(
                WebhookCommand::Enqueue {
                    events: vec![event(n, EventType::PoolPressure)],
                },
                at,
                &RANDOM,
            );
            read_answer::<Enqueued>(&o.answer).unwrap().deliveries
        };
        assert_eq!(count(&mut object, 1, T0), 1);
        assert_eq!(count(&mut object, 2, T0 + 60), 0);
        assert_eq!(count(&mut object, 3, T0 + POOL_ALERT_INTERVAL), 1);
    }

    #[test]
    fn it_reloads_from_its_rows_and_refuses_rows_of_a_newer_release() {
        let mut object = WebhooksObject::empty();
        let put = register(&mut object, "a");
        // The rows as SQLite would hand them back: the last value of each (kind, key).
        let mut rows = BTreeMap::new();
        for w in put.writes.iter().filter(|w| w.sql.starts_with("INSERT")) {
            let key = (
                w.params[0].as_str().unwrap().to_owned(),
                w.params[1].as_str().unwrap().to_owned(),
            );
            rows.insert(key, w.params[2].clone());
        }
        let json: Vec<Value> = rows
            .iter()
            .map(|((kind, key), value)| json!({"kind": kind, "key": key, "value": value}))
            .collect();
        let text = Value::Array(json.clone()).to_string();
        let reloaded = WebhooksObject::load(&text).unwrap();
        assert_eq!(
            reloaded.outbox().endpoint("a"),
            object.outbox().endpoint("a")
        );

        let newer: Vec<Value> = json
            .into_iter()
            .map(|mut row| {
                row["value"] = json!(r#"{"version":2,"value":{}}"#);
                row
            })
            .collect();
        let error = WebhooksObject::load(&Value::Array(newer).to_string())
            .err()
            .unwrap();
        assert!(error.contains("newer release"), "{error}");
    }
}
