//! The pool object: one per pool, it owns the allocator and the open log.
//!
//! Storage (SQLite, [`PoolObject::SCHEMA`], created in the transaction of the
//! pool's first configuration — never when the object is merely loaded or
//! asked about, so an `Open` for a pool that was never configured answers 404
//! and leaves no storage behind):
//! - `kv`: `settings` (the [`PoolSettings`]), `stats` (open counters),
//!   `snapshot` (the allocator's serde form) and `snapshot_seq`;
//! - `events`: the allocator's audit log, one row per event, numbered;
//! - `opens`: one row per fetched email URL (time, device, client, machine).
//!
//! Loading reads the settings, the snapshot and the events numbered after it,
//! and replays them ([`ringmark_pool::Pool::apply`]), so the object comes back
//! exactly as it was after a restart. A fresh snapshot is written every
//! [`SNAPSHOT_EVERY`] events, which also bounds the replay; audit rows and opens
//! older than the pool's attribution window are then pruned.

use super::store::{Outcome, Write};
use crate::protocol::{NumberReply, OpenKind, Opener, PoolCommand, PoolSettings};
use ringmark_pool::{Event, Holder, Pool, Signal, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Events between two snapshots.
pub const SNAPSHOT_EVERY: u32 = 256;

/// Counters of the opens a pool has seen.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenStats {
    /// Every recorded fetch of an email URL.
    pub total: u64,
    /// Fetches made by a machine (proxy, prefetch, scanner, crawler).
    pub machine: u64,
    /// Fetches made by a person's device.
    pub human: u64,
    /// By URL kind (`pixel`, `number`, `click`).
    pub by_kind: BTreeMap<String, u64>,
    /// By device class.
    pub by_device: BTreeMap<String, u64>,
    /// By email client (`unknown` when none was recognised).
    pub by_client: BTreeMap<String, u64>,
    /// By opener kind (`person`, `proxy`, `prefetch`, …).
    pub by_opener: BTreeMap<String, u64>,
}

impl OpenStats {
    fn count(&mut self, kind: OpenKind, opener: &Opener) {
        self.total += 1;
        if opener.machine {
            self.machine += 1;
        } else {
            self.human += 1;
        }
        let kind = match kind {
            OpenKind::Pixel => "pixel",
            OpenKind::Number => "number",
            OpenKind::Click => "click",
        };
        *self.by_kind.entry(kind.into()).or_default() += 1;
        *self.by_device.entry(opener.device.clone()).or_default() += 1;
        let client = opener.client.clone().unwrap_or_else(|| "unknown".into());
        *self.by_client.entry(client).or_default() += 1;
        *self.by_opener.entry(opener.opener.clone()).or_default() += 1;
    }
}

struct Live {
    settings: PoolSettings,
    pool: Pool,
    stats: OpenStats,
    next_seq: i64,
    since_snapshot: u32,
}

/// The engine behind one pool's Durable Object.
pub struct PoolObject {
    live: Option<Live>,
}

/// One row of [`PoolObject::LOAD`]: a `kv` entry or an event.
#[derive(Deserialize)]
struct Row {
    t: String,
    a: Value,
    b: Value,
}

impl PoolObject {
    /// Statements that create the schema (idempotent), written before the
    /// first configuration's rows.
    pub const SCHEMA: &'static [&'static str] = &[
        "CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, body TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS opens (at INTEGER NOT NULL, campaign TEXT NOT NULL, recipient TEXT NOT NULL, kind TEXT NOT NULL, device TEXT NOT NULL, opener TEXT NOT NULL, client TEXT, proxy TEXT, machine INTEGER NOT NULL)",
        "CREATE INDEX IF NOT EXISTS opens_at ON opens (at)",
    ];

    /// A query answering one row `{stored}`: 1 when the tables [`PoolObject::LOAD`]
    /// reads exist. The adapter runs `LOAD` only then, and otherwise loads from
    /// no rows; reading `sqlite_master` creates nothing.
    pub const STORED: &'static str = "SELECT COUNT(*) = 2 AS stored FROM sqlite_master \
         WHERE type = 'table' AND name IN ('kv', 'events')";

    /// The query whose rows [`PoolObject::load`] takes (as a JSON array of objects).
    pub const LOAD: &'static str = "SELECT 'kv' AS t, k AS a, v AS b FROM kv \
         UNION ALL SELECT 'ev' AS t, seq AS a, body AS b FROM events \
         WHERE seq > COALESCE((SELECT CAST(v AS INTEGER) FROM kv WHERE k = 'snapshot_seq'), 0) \
         ORDER BY t DESC, a";

    /// An object with no pool configured yet.
    pub fn empty() -> Self {
        PoolObject { live: None }
    }

    /// Rebuilds the engine from the rows of [`PoolObject::LOAD`].
    ///
    /// # Errors
    /// A message when the stored rows cannot be read or replayed (the adapter
    /// then answers 500, and image URLs fall back).
    pub fn load(rows_json: &str) -> Result<Self, String> {
        let rows: Vec<Row> =
            serde_json::from_str(rows_json).map_err(|e| format!("load rows: {e}"))?;
        let mut kv = BTreeMap::new();
        let mut events = Vec::new();
        for row in rows {
            let text = row.b.as_str().unwrap_or_default().to_owned();
            match row.t.as_str() {
                "kv" => {
                    kv.insert(row.a.as_str().unwrap_or_default().to_owned(), text);
                }
                _ => events.push((row.a.as_i64().unwrap_or(0), text)),
            }
        }
        let Some(settings) = kv.get("settings") else {
            return Ok(PoolObject::empty());
        };
        let settings: PoolSettings =
            serde_json::from_str(settings).map_err(|e| format!("settings: {e}"))?;
        let mut pool: Pool = serde_json::from_str(kv.get("snapshot").ok_or("no snapshot")?)
            .map_err(|e| format!("snapshot: {e}"))?;
        let stats = match kv.get("stats") {
            Some(s) => serde_json::from_str(s).map_err(|e| format!("stats: {e}"))?,
            None => OpenStats::default(),
        };
        let snapshot_seq: i64 = kv
            .get("snapshot_seq")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut last = snapshot_seq;
        for (seq, body) in &events {
            let event: Event =
                serde_json::from_str(body).map_err(|e| format!("event {seq}: {e}"))?;
            pool.apply(&event)
                .map_err(|e| format!("replay event {seq}: {e}"))?;
            last = last.max(*seq);
        }
        Ok(PoolObject {
            live: Some(Live {
                settings,
                pool,
                stats,
                next_seq: last + 1,
                since_snapshot: events.len() as u32,
            }),
        })
    }

    /// Handles one [`PoolCommand`] (JSON text) at time `now` (Unix seconds).
    pub fn handle(&mut self, command_json: &str, now: Timestamp) -> Outcome {
        let command: PoolCommand = match serde_json::from_str(command_json) {
            Ok(c) => c,
            Err(e) => return Outcome::error(400, format!("command: {e}")),
        };
        // Only a configuration writes to an unconfigured object: its first
        // write creates the schema, in the same transaction.
        let fresh = self.live.is_none();
        let outcome = match command {
            PoolCommand::Configure { settings } => self.configure(*settings, now),
            PoolCommand::Open {
                campaign,
                recipient,
                kind,
                opener,
            } => self.open(
                Holder {
                    campaign,
                    recipient,
                },
                kind,
                &opener,
                now,
            ),
            PoolCommand::State => match &self.live {
                Some(live) => Outcome::ok(
                    &json!({
                        "config": live.settings.config,
                        "style": live.settings.style,
                        "displays": live.settings.displays,
                        "live": live.pool.stats(now),
                        "opens": live.stats,
                    }),
                    Vec::new(),
                ),
                None => Outcome::error(404, "no such pool"),
            },
            PoolCommand::Call { call } => {
                let Some(live) = self.live.as_mut() else {
                    return Outcome::error(404, "no such pool");
                };
                let (attribution, events) = live.pool.record_call(call, now);
                let writes = live.persist(&events, now);
                Outcome::ok(&attribution, writes)
            }
        };
        if fresh {
            outcome.creating(Self::SCHEMA)
        } else {
            outcome
        }
    }

    fn configure(&mut self, settings: PoolSettings, now: Timestamp) -> Outcome {
        let (pool, events, stats, next_seq) = match self.live.take() {
            Some(mut live) => match live.pool.configure(settings.config.clone(), now) {
                Ok(events) => (live.pool, events, live.stats, live.next_seq),
                Err(e) => {
                    self.live = Some(live);
                    return Outcome::error(422, e.to_string());
                }
            },
            None => match Pool::new(settings.config.clone(), now) {
                Ok((pool, events)) => (pool, events, OpenStats::default(), 1),
                Err(e) => return Outcome::error(422, e.to_string()),
            },
        };
        let mut live = Live {
            settings,
            pool,
            stats,
            next_seq,
            since_snapshot: 0,
        };
        let mut writes = vec![Write::new(
            "INSERT OR REPLACE INTO kv (k, v) VALUES ('settings', ?)",
            vec![json!(
                serde_json::to_string(&live.settings).unwrap_or_default()
            )],
        )];
        writes.extend(live.persist(&events, now));
        // A configuration change always leaves a snapshot behind it.
        if live.since_snapshot > 0 {
            writes.extend(live.snapshot(now));
        }
        let body = json!({ "config": live.settings.config, "live": live.pool.stats(now) });
        self.live = Some(live);
        Outcome::ok(&body, writes)
    }

    fn open(&mut self, holder: Holder, kind: OpenKind, opener: &Opener, now: Timestamp) -> Outcome {
        let Some(live) = self.live.as_mut() else {
            return Outcome::error(404, "no such pool");
        };
        live.stats.count(kind, opener);
        let mut writes = vec![
            Write::new(
                "INSERT INTO opens (at, campaign, recipient, kind, device, opener, client, proxy, machine) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                vec![
                    json!(now),
                    json!(holder.campaign),
                    json!(holder.recipient),
                    json!(kind),
                    json!(opener.device),
                    json!(opener.opener),
                    json!(opener.client),
                    json!(opener.proxy),
                    json!(i64::from(opener.machine)),
                ],
            ),
            Write::new(
                "INSERT OR REPLACE INTO kv (k, v) VALUES ('stats', ?)",
                vec![json!(
                    serde_json::to_string(&live.stats).unwrap_or_default()
                )],
            ),
        ];
        if kind == OpenKind::Pixel {
            return Outcome::ok(&json!({ "recorded": true }), writes);
        }
        let signal = if opener.machine {
            Signal::Machine
        } else if kind == OpenKind::Click {
            Signal::Click
        } else {
            Signal::Human
        };
        let (allocation, events) = live.pool.open(&holder, signal, &opener.device, now);
        writes.extend(live.persist(&events, now));
        let label =
            |v: serde_json::Result<Value>| v.ok().and_then(|v| v.as_str().map(str::to_owned));
        let reply = NumberReply {
            display: live.settings.display(&allocation.number),
            number: allocation.number,
            style: live.settings.style.clone(),
            lease: label(serde_json::to_value(allocation.lease)).unwrap_or_default(),
            exhausted: allocation
                .exhausted
                .and_then(|e| label(serde_json::to_value(e))),
            pressure: allocation.pressure,
        };
        Outcome::ok(&reply, writes)
    }
}

impl Live {
    /// Appends events to the audit log; snapshots every [`SNAPSHOT_EVERY`].
    fn persist(&mut self, events: &[Event], now: Timestamp) -> Vec<Write> {
        let mut writes: Vec<Write> = events.iter().map(|e| self.append(e, now)).collect();
        self.since_snapshot += events.len() as u32;
        if self.since_snapshot >= SNAPSHOT_EVERY {
            writes.extend(self.snapshot(now));
        }
        writes
    }

    /// The next numbered row of the audit log.
    fn append(&mut self, event: &Event, now: Timestamp) -> Write {
        let write = Write::new(
            "INSERT INTO events (seq, at, body) VALUES (?, ?, ?)",
            vec![
                json!(self.next_seq),
                json!(now),
                json!(serde_json::to_string(event).unwrap_or_default()),
            ],
        );
        self.next_seq += 1;
        write
    }

    /// Writes a snapshot covering every event so far and prunes old history.
    fn snapshot(&mut self, now: Timestamp) -> Vec<Write> {
        let pruned = self.pool.prune(now);
        let mut writes: Vec<Write> = pruned.iter().map(|e| self.append(e, now)).collect();
        let covered = self.next_seq - 1;
        let horizon = now - self.pool.config().attribution_window_seconds as i64;
        writes.push(Write::new(
            "INSERT OR REPLACE INTO kv (k, v) VALUES ('snapshot', ?)",
            vec![json!(serde_json::to_string(&self.pool).unwrap_or_default())],
        ));
        writes.push(Write::new(
            "INSERT OR REPLACE INTO kv (k, v) VALUES ('snapshot_seq', ?)",
            vec![json!(covered.to_string())],
        ));
        writes.push(Write::new(
            "DELETE FROM events WHERE at < ? AND seq <= ?",
            vec![json!(horizon), json!(covered)],
        ));
        writes.push(Write::new(
            "DELETE FROM opens WHERE at < ?",
            vec![json!(horizon)],
        ));
        self.since_snapshot = 0;
        writes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn configure() -> String {
        json!({"op": "configure", "settings": {
            "config": {"numbers": ["+14155550101", "+14155550102"], "fallback": "+14155550100", "lease_seconds": 3600},
            "displays": {}, "style": {}
        }})
        .to_string()
    }

    fn open(kind: &str) -> String {
        json!({"op": "open", "campaign": "c", "recipient": "r", "kind": kind,
               "opener": {"device": "desktop", "opener": "person", "client": null, "proxy": null, "machine": false}})
        .to_string()
    }

    fn creates_schema(outcome: &Outcome) -> bool {
        outcome.writes.iter().any(|w| w.sql.starts_with("CREATE"))
    }

    #[test]
    fn an_unconfigured_pool_answers_404_and_writes_nothing() {
        // What a verified token for a pool that was never configured reaches:
        // no table, no row, so the object keeps no storage.
        for mut pool in [PoolObject::empty(), PoolObject::load("[]").unwrap()] {
            let call = json!({"op": "call", "call": {"to": "+14155550101", "at": 100}}).to_string();
            for command in [
                open("pixel"),
                open("number"),
                open("click"),
                r#"{"op":"state"}"#.to_owned(),
                call,
            ] {
                let outcome = pool.handle(&command, 100);
                assert_eq!(outcome.status, 404, "{command}");
                assert!(
                    outcome.writes.is_empty(),
                    "{command} wrote {:?}",
                    outcome.writes
                );
            }
            let refused = json!({"op": "configure", "settings": {
                "config": {"numbers": [], "fallback": "+14155550100", "lease_seconds": 3600},
                "displays": {}, "style": {}
            }});
            let outcome = pool.handle(&refused.to_string(), 100);
            assert_ne!(outcome.status, 200);
            assert!(
                outcome.writes.is_empty(),
                "a refused configuration creates nothing"
            );
        }
    }

    #[test]
    fn the_first_configuration_creates_the_schema_in_its_transaction() {
        let mut pool = PoolObject::empty();
        let first = pool.handle(&configure(), 100);
        assert_eq!(first.status, 200, "{}", first.body);
        let schema = PoolObject::SCHEMA.len();
        assert!(
            first.writes[..schema]
                .iter()
                .map(|w| w.sql)
                .eq(PoolObject::SCHEMA.iter().copied()),
            "the schema goes first, in the same transaction as the settings"
        );
        assert!(first.writes.len() > schema);
        assert!(!creates_schema(&pool.handle(&open("number"), 101)));
        assert!(!creates_schema(&pool.handle(&configure(), 102)));
    }

    #[test]
    fn a_pool_loaded_from_storage_does_not_recreate_its_schema() {
        let mut pool = PoolObject::empty();
        let first = pool.handle(&configure(), 100);
        let kv = |key: &str| {
            first
                .writes
                .iter()
                .find(|w| w.sql.contains(&format!("('{key}', ?)")))
                .and_then(|w| w.params[0].as_str())
                .unwrap()
                .to_owned()
        };
        let rows = json!([
            {"t": "kv", "a": "settings", "b": kv("settings")},
            {"t": "kv", "a": "snapshot", "b": kv("snapshot")},
            {"t": "kv", "a": "snapshot_seq", "b": kv("snapshot_seq")},
        ]);
        let mut loaded = PoolObject::load(&rows.to_string()).unwrap();
        let opened = loaded.handle(&open("number"), 101);
        assert_eq!(opened.status, 200, "{}", opened.body);
        assert!(!opened.writes.is_empty());
        assert!(!creates_schema(&opened));
    }
}
