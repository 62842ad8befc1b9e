//! The pool object: one per pool, it owns the allocator and the open log.
//!
//! Storage (SQLite, [`PoolObject::SCHEMA`], created in the transaction of the
//! pool's first configuration — never when the object is merely loaded or
//! asked about, so an `Open` for a pool that was never configured answers
//! `unknown_pool` and leaves no storage behind):
//! - `kv`: `settings` (the [`PoolSettings`]), `stats` (open counters),
//!   `snapshot_seq`, and `deleted` (a [`Deletion`], once the pool is deleted);
//! - `snapshot_parts`: the allocator's serde form, cut into numbered parts of
//!   at most [`SNAPSHOT_PART_BYTES`] (a Durable Object's SQLite refuses any
//!   value over 2 MB, and a pool of ten thousand recipients outgrows that;
//!   stores of format 1 kept it whole in `kv.snapshot`, which still loads);
//! - `events`: the allocator's audit log, one row per event, numbered;
//! - `opens`: one row per fetched email URL (time, device, client, machine);
//! - `calls`: one row per call taken or reported ([`crate::calls::CallRecord`],
//!   keyed by its id), with its status, transcript and outcome.
//!
//! JSON values in rows are versioned ([`super::stored`]); the fixture of the
//! format before versions (`tests/fixtures/pool-object-format-1.sql`) loads.
//!
//! Loading reads the settings, the snapshot and the events numbered after it,
//! and replays them ([`ringmark_pool::Pool::apply`]), so the object comes back
//! exactly as it was after a restart. A fresh snapshot is written every
//! [`SNAPSHOT_EVERY`] events, which also bounds the replay.
//!
//! **Retention.** Opens, audit events and calls older than the attribution
//! window are pruned by the object's alarm, every [`prune_interval`], whether
//! or not the pool allocates anything (a pixel-only pool prunes too): the
//! first write after every load asks for the alarm, and each alarm sets the
//! next. A deleted pool ([`PoolCommand::Delete`]) shows only its fallback,
//! records no opens, still attributes calls, and at the end of its window its
//! alarm purges all of its storage.

use super::store::{Outcome, Write, stored_has};
use super::stored::{self, DELETION, EVENT, SETTINGS, STATS};
use crate::calls::{
    AttributionSummary, CallId, CallRecord, CallStatus, ManualOutcome, StatusUpdate,
};
use crate::protocol::{
    CallChanged, Configured, Deletion, Forgotten, NumberReply, ObjectError, ObjectErrorCode,
    OpenKind, OpenStats, Opened, Opener, PoolCommand, PoolSettings, PoolState, ReportDetail,
    ReportReply, Reported, Rung,
};
use crate::reports;
use ringmark_pool::{Event, Holder, LeaseKind, Pool, Signal, Timestamp};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Events between two snapshots, at least: also no fewer than one per
/// [`SNAPSHOT_BYTES_PER_EVENT`] bytes of the last snapshot, so a large pool
/// writes about that much per event on average, and a reload replays at most
/// that many events.
pub const SNAPSHOT_EVERY: u32 = 256;
/// Snapshot bytes written per event on average, at most (see [`SNAPSHOT_EVERY`]):
/// a snapshot costs a few ns per byte to write and a replayed event a few µs,
/// so a reload stays within a few times the snapshot's own load.
pub const SNAPSHOT_BYTES_PER_EVENT: usize = 1024;
/// Largest part of a stored snapshot (below the platform's 2 MB per value).
pub const SNAPSHOT_PART_BYTES: usize = 1_000_000;

/// Most opens one coalesced call carries ([`PoolObject::handle_batch`]): the
/// Worker sends at most this many in one call, and the engine refuses the rest.
pub const MAX_BATCH: usize = 64;

/// The statement that saves the open counters: it replaces the whole value,
/// so a batch of opens writes it once, after its last open.
const SAVE_STATS: &str = "INSERT OR REPLACE INTO kv (k, v) VALUES ('stats', ?)";

/// How often the retention alarm prunes: an eighth of the attribution window,
/// between an hour and a day, so nothing is kept much past its window.
pub fn prune_interval(window_seconds: u32) -> i64 {
    (i64::from(window_seconds) / 8).clamp(3_600, 86_400)
}

struct Live {
    settings: PoolSettings,
    pool: Pool,
    stats: OpenStats,
    next_seq: i64,
    since_snapshot: u32,
    /// Size of the last snapshot written or loaded (bytes).
    snapshot_bytes: usize,
    deleted: Option<Deletion>,
    /// Calls taken or reported, by id.
    calls: BTreeMap<String, CallRecord>,
}

/// The engine behind one pool's Durable Object.
pub struct PoolObject {
    live: Option<Live>,
    /// A query waiting for the rows it asked for.
    pending: Option<Pending>,
    /// Whether this engine has made sure the retention alarm is set (the
    /// first write after a load asks for it).
    alarm_armed: bool,
    /// Whether this engine's writes went out with [`PoolObject::SCHEMA`]
    /// (idempotent `CREATE … IF NOT EXISTS`): the first write after every
    /// load carries it, which creates the tables of a fresh object and adds
    /// those a newer release introduced to an older one.
    schema_ensured: bool,
}

/// What the rows of the last outcome's `reads` are for.
enum Pending {
    /// A campaign's report.
    Report(String, ReportDetail),
    /// The list of the pool's campaigns.
    Campaigns,
}

/// One row of [`PoolObject::LOAD`]: a `kv` entry or an event.
#[derive(Deserialize)]
struct Row {
    t: String,
    a: Value,
    b: Value,
}

/// The rows of [`PoolObject::LOAD`] read from their JSON text.
fn read_rows(rows_json: &str) -> Result<Vec<Row>, String> {
    serde_json::from_str(rows_json).map_err(|e| format!("load rows: {e}"))
}

/// A stored snapshot's parts, in order, read as one text without ever being
/// one: each part is dropped once read, so a reload holds one part of the text
/// at a time next to the pool being parsed from it (the text whole, joined,
/// was a third of a large pool's reload peak).
struct PartsReader<I> {
    parts: I,
    current: Vec<u8>,
    at: usize,
}

impl<I: Iterator<Item = String>> PartsReader<I> {
    fn new(parts: I) -> Self {
        PartsReader {
            parts,
            current: Vec::new(),
            at: 0,
        }
    }
}

impl<I: Iterator<Item = String>> std::io::Read for PartsReader<I> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.current.len() {
            match self.parts.next() {
                Some(part) => {
                    self.current = part.into_bytes();
                    self.at = 0;
                }
                None => return Ok(0),
            }
        }
        let rest = self.current.get(self.at..).unwrap_or_default();
        let n = buf.len().min(rest.len());
        buf.iter_mut().zip(rest).for_each(|(to, from)| *to = *from);
        self.at += n;
        Ok(n)
    }
}

/// The pool parsed from its snapshot's parts as they come (see [`PartsReader`]),
/// and the snapshot's length in bytes.
fn parse_parts(parts: impl Iterator<Item = String>) -> Result<(Pool, usize), String> {
    let mut bytes = 0usize;
    let counted = parts.inspect(|p| bytes += p.len());
    let pool =
        serde_json::from_reader(PartsReader::new(counted)).map_err(|e| format!("snapshot: {e}"))?;
    Ok((pool, bytes))
}

/// A command's JSON text read, or why not (`bad_command`).
fn parse(command: &str) -> Result<PoolCommand, ObjectError> {
    serde_json::from_str(command)
        .map_err(|e| ObjectError::new(ObjectErrorCode::BadCommand, format!("command: {e}")))
}

fn unknown_pool() -> ObjectError {
    ObjectError::new(ObjectErrorCode::UnknownPool, "no such pool")
}

impl PoolObject {
    /// Statements that create the schema (idempotent), written before the
    /// first configuration's rows.
    pub const SCHEMA: &'static [&'static str] = &[
        "CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, body TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS opens (at INTEGER NOT NULL, campaign TEXT NOT NULL, recipient TEXT NOT NULL, kind TEXT NOT NULL, device TEXT NOT NULL, opener TEXT NOT NULL, client TEXT, proxy TEXT, machine INTEGER NOT NULL)",
        "CREATE INDEX IF NOT EXISTS opens_at ON opens (at)",
        "CREATE TABLE IF NOT EXISTS calls (call_id TEXT PRIMARY KEY, at INTEGER NOT NULL, body TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS snapshot_parts (part INTEGER PRIMARY KEY, body TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS recipients (campaign TEXT NOT NULL, recipient TEXT NOT NULL, issued_at INTEGER NOT NULL, PRIMARY KEY (campaign, recipient))",
        "CREATE INDEX IF NOT EXISTS opens_campaign ON opens (campaign, recipient)",
    ];

    /// A query answering one row `{stored, calls}`: `stored` is 1 when the
    /// tables [`PoolObject::LOAD`] reads exist, `calls` when the `calls` table
    /// (added in format 2) does too. The adapter runs the query
    /// [`PoolObject::load_query`] picks for that row only when `stored`, and
    /// otherwise loads from no rows; reading `sqlite_master` creates nothing.
    pub const STORED: &'static str = "SELECT COALESCE(SUM(name IN ('kv', 'events')), 0) = 2 AS stored, \
         COALESCE(SUM(name = 'calls'), 0) AS calls, \
         COALESCE(SUM(name = 'snapshot_parts'), 0) AS parts FROM sqlite_master WHERE type = 'table'";

    /// The query whose rows [`PoolObject::load`] takes (as a JSON array of
    /// objects), for a pool stored before the `calls` table existed.
    pub const LOAD: &'static str = "SELECT 'kv' AS t, k AS a, v AS b FROM kv \
         UNION ALL SELECT 'ev' AS t, seq AS a, body AS b FROM events \
         WHERE seq > COALESCE((SELECT CAST(v AS INTEGER) FROM kv WHERE k = 'snapshot_seq'), 0) \
         ORDER BY t DESC, a";

    /// [`PoolObject::LOAD`], the stored calls and the snapshot's parts (every
    /// table of format 2).
    pub const LOAD_WITH_CALLS: &'static str = "SELECT 'kv' AS t, k AS a, v AS b FROM kv \
         UNION ALL SELECT 'ev' AS t, seq AS a, body AS b FROM events \
         WHERE seq > COALESCE((SELECT CAST(v AS INTEGER) FROM kv WHERE k = 'snapshot_seq'), 0) \
         UNION ALL SELECT 'call' AS t, call_id AS a, body AS b FROM calls \
         UNION ALL SELECT 'sp' AS t, part AS a, body AS b FROM snapshot_parts \
         ORDER BY t DESC, a";

    /// The load query for the schema the [`PoolObject::STORED`] row (JSON)
    /// describes: format 1's tables, or all of format 2's (the idempotent
    /// schema adds them together, in one transaction).
    pub fn load_query(stored_row: &str) -> &'static str {
        if stored_has(stored_row, "calls") && stored_has(stored_row, "parts") {
            Self::LOAD_WITH_CALLS
        } else {
            Self::LOAD
        }
    }

    /// An object with no pool configured yet.
    pub fn empty() -> Self {
        PoolObject {
            live: None,
            pending: None,
            alarm_armed: false,
            schema_ensured: false,
        }
    }

    /// The query for the rows [`PoolObject::load_streamed`] takes: those of
    /// [`PoolObject::load_query`] but the snapshot's parts, which
    /// [`PoolObject::parts_query`] reads.
    pub fn rows_query(stored_row: &str) -> &'static str {
        if stored_has(stored_row, "calls") && stored_has(stored_row, "parts") {
            Self::LOAD_WITH_CALLS_BUT_PARTS
        } else {
            Self::LOAD
        }
    }

    /// [`PoolObject::LOAD_WITH_CALLS`] without the snapshot's parts.
    pub const LOAD_WITH_CALLS_BUT_PARTS: &'static str = "SELECT 'kv' AS t, k AS a, v AS b FROM kv \
         UNION ALL SELECT 'ev' AS t, seq AS a, body AS b FROM events \
         WHERE seq > COALESCE((SELECT CAST(v AS INTEGER) FROM kv WHERE k = 'snapshot_seq'), 0) \
         UNION ALL SELECT 'call' AS t, call_id AS a, body AS b FROM calls \
         ORDER BY t DESC, a";

    /// The query whose rows (`{b}`: one part's text each, in order) are the
    /// snapshot's parts, for a store the `stored` row (JSON) says has them;
    /// `None` for format 1, which kept the snapshot whole among the rows.
    pub fn parts_query(stored_row: &str) -> Option<&'static str> {
        (stored_has(stored_row, "calls") && stored_has(stored_row, "parts"))
            .then_some("SELECT body AS b FROM snapshot_parts ORDER BY part")
    }

    /// Rebuilds the engine from the rows of [`PoolObject::LOAD`], migrating
    /// values stored in older formats.
    ///
    /// # Errors
    /// A message when the stored rows cannot be read or replayed (the adapter
    /// then answers `unreachable`, and image URLs fall back).
    pub fn load(rows_json: &str) -> Result<Self, String> {
        Self::from_rows(read_rows(rows_json)?, std::iter::empty())
    }

    /// [`PoolObject::load`] of a rows text the caller hands over, freed as
    /// soon as it is read: a large pool's rows are its whole snapshot
    /// (escaped), which would otherwise stay in memory next to the snapshot
    /// put together from them and the pool parsed from that.
    ///
    /// # Errors
    /// As [`PoolObject::load`].
    pub fn load_owned(rows_json: String) -> Result<Self, String> {
        let rows = read_rows(&rows_json)?;
        drop(rows_json);
        Self::from_rows(rows, std::iter::empty())
    }

    /// Rebuilds the engine from the rows of [`PoolObject::rows_query`] and the
    /// snapshot's parts from [`PoolObject::parts_query`], one at a time: the
    /// adapter hands each part over as the engine reads it, so neither side
    /// ever holds the whole snapshot text (the reload of a large pool peaked
    /// at the rows, their text, the snapshot joined from them and the pool
    /// parsed from that).
    ///
    /// # Errors
    /// As [`PoolObject::load`].
    pub fn load_streamed(
        rows_json: String,
        parts: impl Iterator<Item = String>,
    ) -> Result<Self, String> {
        let rows = read_rows(&rows_json)?;
        drop(rows_json);
        Self::from_rows(rows, parts)
    }

    /// The engine from its stored rows (each row's text moved, not copied) and
    /// the snapshot parts not among them.
    fn from_rows(rows: Vec<Row>, streamed: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut kv = BTreeMap::new();
        let mut events = Vec::new();
        let mut calls = BTreeMap::new();
        let mut parts: Vec<(i64, String)> = Vec::new();
        for row in rows {
            let text = match row.b {
                Value::String(text) => text,
                _ => String::new(),
            };
            match row.t.as_str() {
                "kv" => {
                    kv.insert(row.a.as_str().unwrap_or_default().to_owned(), text);
                }
                "sp" => parts.push((row.a.as_i64().unwrap_or(0), text)),
                "call" => {
                    let record = CallRecord::load(text.as_bytes())
                        .map_err(|e| format!("call {}: {e}", row.a))?;
                    calls.insert(record.call_id.as_str().to_owned(), record);
                }
                _ => events.push((row.a.as_i64().unwrap_or(0), text)),
            }
        }
        let Some(settings) = kv.get("settings") else {
            return Ok(PoolObject::empty());
        };
        let settings: PoolSettings = stored::decode(SETTINGS, settings)?;
        // Format 2 keeps the snapshot in parts (among the rows, or streamed); format 1 kept it
        // whole in kv.
        parts.sort_by_key(|(part, _)| *part);
        let mut parts = parts
            .into_iter()
            .map(|(_, text)| text)
            .chain(streamed)
            .peekable();
        let (mut pool, snapshot_bytes): (Pool, usize) = if parts.peek().is_some() {
            parse_parts(parts)?
        } else {
            let snapshot = kv.remove("snapshot").ok_or("no snapshot")?;
            let pool = serde_json::from_str(&snapshot).map_err(|e| format!("snapshot: {e}"))?;
            (pool, snapshot.len())
        };
        let stats = match kv.get("stats") {
            Some(s) => stored::decode(STATS, s)?,
            None => OpenStats::default(),
        };
        let deleted = match kv.get("deleted") {
            Some(d) => Some(stored::decode(DELETION, d)?),
            None => None,
        };
        let snapshot_seq: i64 = kv
            .get("snapshot_seq")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut last = snapshot_seq;
        for (seq, body) in &events {
            let event: Event =
                stored::decode(EVENT, body).map_err(|e| format!("event {seq}: {e}"))?;
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
                snapshot_bytes,
                deleted,
                calls,
            }),
            pending: None,
            alarm_armed: false,
            schema_ensured: false,
        })
    }

    /// Handles one [`PoolCommand`] as the JSON text the adapter carries.
    pub fn handle_json(&mut self, command: &str, now: Timestamp) -> Outcome {
        match parse(command) {
            Ok(command) => self.handle(command, now),
            Err(e) => Outcome::error(e),
        }
    }

    /// Handles opens the Worker coalesced into one call (see
    /// [`crate::edge::Effect::Object`]'s `coalesce`): each command as
    /// [`PoolObject::handle_json`] would, in order, with one answer per
    /// command, and their writes in one outcome — one transaction instead of
    /// one each, and the open counters saved once instead of once per open.
    /// Only `open` commands are taken (they never read, fetch or purge); any
    /// other command, or any beyond [`MAX_BATCH`], is refused on its own
    /// without touching the rest.
    ///
    /// Same answers and same storage as the commands sent one by one (held by
    /// `tests/storage.rs`); if carrying the outcome out fails, the adapter
    /// reloads the engine from storage and retries the whole batch, as for
    /// one command.
    pub fn handle_batch(&mut self, commands: &[String], now: Timestamp) -> (Vec<String>, Outcome) {
        let mut answers = Vec::with_capacity(commands.len());
        let mut merged = Outcome::ok((), Vec::new());
        merged.answer.clear(); // the answers are `answers`, one per command
        let counted = self.opens_counted();
        for (i, text) in commands.iter().enumerate() {
            let outcome = match parse(text) {
                Ok(_) if i >= MAX_BATCH => Outcome::error(ObjectError::new(
                    ObjectErrorCode::BadCommand,
                    format!("a batch carries at most {MAX_BATCH} commands"),
                )),
                Ok(PoolCommand::Open {
                    campaign,
                    recipient,
                    kind,
                    opener,
                }) => {
                    let holder = Holder {
                        campaign,
                        recipient,
                    };
                    let outcome = self.open(holder, kind, &opener, now);
                    self.finish(outcome, now)
                }
                Ok(_) => Outcome::error(ObjectError::new(
                    ObjectErrorCode::BadCommand,
                    "only opens are taken in a batch",
                )),
                Err(e) => Outcome::error(e),
            };
            answers.push(outcome.answer);
            merged.writes.extend(outcome.writes);
            merged = merged.with_alarm(outcome.alarm);
        }
        // The counters once for the whole batch, in the same transaction: encoding
        // them for every open was measurable work thrown away by the next one.
        merged.writes.extend(self.save_stats_since(counted));
        (answers, merged)
    }

    /// Handles one [`PoolCommand`] at time `now` (Unix seconds).
    pub fn handle(&mut self, command: PoolCommand, now: Timestamp) -> Outcome {
        let outcome = match command {
            PoolCommand::Configure { settings } => self.configure(*settings, now),
            PoolCommand::Open {
                campaign,
                recipient,
                kind,
                opener,
            } => {
                let counted = self.opens_counted();
                let holder = Holder {
                    campaign,
                    recipient,
                };
                let mut outcome = self.open(holder, kind, &opener, now);
                outcome.writes.extend(self.save_stats_since(counted));
                outcome
            }
            PoolCommand::State => match &self.live {
                Some(live) => Outcome::ok(
                    PoolState {
                        config: live.settings.config.clone(),
                        style: live.settings.style.clone(),
                        displays: live.settings.displays.clone(),
                        live: live.pool.stats(now),
                        opens: live.stats.clone(),
                        created_at: live.settings.created_at,
                        shards: live.settings.shards,
                        deleted: live.deleted.clone(),
                    },
                    Vec::new(),
                ),
                None => Outcome::error(unknown_pool()),
            },
            PoolCommand::Settings => match &self.live {
                Some(live) => Outcome::ok(&live.settings, Vec::new()),
                None => Outcome::error(unknown_pool()),
            },
            PoolCommand::Call {
                pool,
                call,
                call_id,
                shards,
            } => self.on_live(|live| live.reported_call(&pool, call, call_id, shards, now)),
            PoolCommand::Ring {
                pool,
                call,
                call_id,
                shards,
            } => self.on_live(|live| live.ring(&pool, call, call_id, shards, now)),
            PoolCommand::Attribute { call } => match &self.live {
                Some(live) => Outcome::ok(live.pool.attribute(&call), Vec::new()),
                None => Outcome::error(unknown_pool()),
            },
            PoolCommand::CallStatus {
                call_id,
                status,
                duration_seconds,
            } => self.change_call(&call_id, |record, rules| {
                let update = StatusUpdate {
                    status,
                    duration_seconds,
                };
                Ok(record.apply_status(update, rules, now))
            }),
            PoolCommand::CallTranscript { call_id, text } => self
                .change_call(&call_id, |record, rules| {
                    Ok(record.apply_transcript(&text, rules, now))
                }),
            PoolCommand::SetOutcome { call_id, outcome } => {
                self.change_call(&call_id, |record, _| {
                    let manual = ManualOutcome::from_value(&outcome)
                        .map_err(|e| ObjectError::new(ObjectErrorCode::Invalid, e.to_string()))?;
                    Ok(record.set_manual_outcome(&manual, now))
                })
            }
            PoolCommand::Issue {
                campaign,
                recipients,
            } => match self.live.as_mut() {
                Some(live) if live.deleted.is_some() => Outcome::error(ObjectError::new(
                    ObjectErrorCode::Deleted,
                    "the pool was deleted: no new tokens",
                )),
                Some(live) => {
                    let writes = recipients
                        .iter()
                        .map(|r| {
                            Write::new(
                                "INSERT OR IGNORE INTO recipients (campaign, recipient, issued_at) VALUES (?, ?, ?)",
                                vec![json!(campaign), json!(r), json!(now)],
                            )
                        })
                        .collect();
                    Outcome::ok(&live.settings, writes)
                }
                None => Outcome::error(unknown_pool()),
            },
            PoolCommand::Report { campaign, detail } => {
                if self.live.is_none() {
                    return Outcome::error(unknown_pool());
                }
                let mut reads = vec![
                    Write::new(reports::OPENS_BY_KIND, vec![json!(campaign)]),
                    Write::new(reports::RECIPIENT_COUNT, vec![json!(campaign)]),
                    Write::new(reports::OPENS_BY_RECIPIENT, vec![json!(campaign)]),
                    Write::new(reports::OPENS_BY_HOUR, vec![json!(campaign)]),
                ];
                if detail == ReportDetail::Recipients {
                    reads.push(Write::new(reports::RECIPIENTS, vec![json!(campaign)]));
                    reads.push(Write::new(reports::FIRST_HUMAN_OPEN, vec![json!(campaign)]));
                }
                self.pending = Some(Pending::Report(campaign, detail));
                return Outcome::reading(reads);
            }
            PoolCommand::Campaigns => {
                if self.live.is_none() {
                    return Outcome::error(unknown_pool());
                }
                self.pending = Some(Pending::Campaigns);
                return Outcome::reading(vec![Write::new(reports::CAMPAIGNS, Vec::new())]);
            }
            PoolCommand::GetCall { call_id } => match &self.live {
                Some(live) => match live.calls.get(call_id.as_str()) {
                    Some(record) => Outcome::ok(record, Vec::new()),
                    None => Outcome::error(ObjectError::field(
                        ObjectErrorCode::UnknownCall,
                        "call_id",
                        format!("no call {call_id} in this pool"),
                    )),
                },
                None => Outcome::error(unknown_pool()),
            },
            PoolCommand::Delete => self.delete(now),
            PoolCommand::Forget { recipient } => self.forget(&recipient, now),
        };
        self.finish(outcome, now)
    }

    /// Every outcome with writes leaves here: the first write after a load
    /// (or of a fresh object) carries the schema, in the same transaction,
    /// and asks for the retention alarm.
    fn finish(&mut self, outcome: Outcome, now: Timestamp) -> Outcome {
        let outcome = if self.schema_ensured || outcome.writes.is_empty() {
            outcome
        } else {
            self.schema_ensured = true;
            outcome.creating(Self::SCHEMA)
        };
        self.arm(outcome, now)
    }

    /// `f` on the configured pool, or `unknown_pool`.
    fn on_live(&mut self, f: impl FnOnce(&mut Live) -> Outcome) -> Outcome {
        match self.live.as_mut() {
            Some(live) => f(live),
            None => Outcome::error(unknown_pool()),
        }
    }

    /// Applies `change` to a stored call and saves it when it changed.
    fn change_call(
        &mut self,
        call_id: &CallId,
        change: impl FnOnce(
            &mut CallRecord,
            &crate::calls::Rules,
        ) -> Result<crate::calls::Change, ObjectError>,
    ) -> Outcome {
        let Some(live) = self.live.as_mut() else {
            return Outcome::error(unknown_pool());
        };
        let rules = live.settings.calls.rules();
        let Some(record) = live.calls.get_mut(call_id.as_str()) else {
            return Outcome::error(ObjectError::field(
                ObjectErrorCode::UnknownCall,
                "call_id",
                format!("no call {call_id} in this pool"),
            ));
        };
        let change = match change(record, &rules) {
            Ok(change) => change,
            Err(e) => return Outcome::error(e),
        };
        let writes = if change.changed {
            vec![save_call(record)]
        } else {
            Vec::new()
        };
        Outcome::ok(
            CallChanged {
                record: record.clone(),
                changed: change.changed,
                completed: change.completed,
                outcome_changed: change.outcome_changed,
            },
            writes,
        )
    }

    /// The rows of the queries the last outcome's `reads` named (a JSON array
    /// with one array of row objects per query), for the query waiting on them.
    pub fn read(&mut self, results_json: &str, now: Timestamp) -> Outcome {
        let (Some(pending), Some(live)) = (self.pending.take(), self.live.as_ref()) else {
            return Outcome::error(ObjectError::new(
                ObjectErrorCode::BadCommand,
                "rows arrived with no query waiting for them",
            ));
        };
        let results: Vec<Vec<Value>> = match serde_json::from_str(results_json) {
            Ok(r) => r,
            Err(e) => {
                return Outcome::error(ObjectError::new(
                    ObjectErrorCode::Internal,
                    format!("report rows: {e}"),
                ));
            }
        };
        let rows = |i: usize| results.get(i).map(Vec::as_slice).unwrap_or_default();
        match pending {
            Pending::Report(campaign, detail) => {
                Outcome::ok(live.report(&campaign, detail, &rows, now), Vec::new())
            }
            Pending::Campaigns => Outcome::ok(reports::campaigns(rows(0)), Vec::new()),
        }
    }

    /// The object's alarm fired: prune what is older than the attribution
    /// window (or, for a deleted pool whose window has passed, purge it all),
    /// and ask for the next alarm.
    pub fn alarm(&mut self, now: Timestamp) -> Outcome {
        let Some(live) = self.live.as_mut() else {
            // Nothing stored: no alarm is needed any more.
            return Outcome::ok((), Vec::new());
        };
        if live.deleted.as_ref().is_some_and(|d| now >= d.purge_at) {
            self.live = None;
            self.alarm_armed = false;
            let mut outcome = Outcome::ok((), Vec::new());
            outcome.purge = true;
            return outcome;
        }
        let writes = live.prune(now);
        let next = live.next_alarm(now);
        self.alarm_armed = true;
        let outcome = Outcome::ok((), writes).with_alarm(Some(next));
        self.finish(outcome, now)
    }

    /// The first write after a load also makes sure the retention alarm is set.
    fn arm(&mut self, outcome: Outcome, now: Timestamp) -> Outcome {
        if self.alarm_armed || outcome.writes.is_empty() {
            return outcome;
        }
        match &self.live {
            Some(live) => {
                self.alarm_armed = true;
                outcome.with_alarm(Some(live.next_alarm(now)))
            }
            None => outcome,
        }
    }

    fn configure(&mut self, mut settings: PoolSettings, now: Timestamp) -> Outcome {
        // A pool's shard count is fixed for its life (a new count would hash
        // its recipients to other shards); the directory refuses a change
        // first, and the object, which knows what it was configured with,
        // refuses it too.
        if let Some(live) = &self.live
            && (live.settings.shards, live.settings.shard) != (settings.shards, settings.shard)
        {
            return Outcome::error(ObjectError::field(
                ObjectErrorCode::Conflict,
                "shards",
                format!(
                    "this pool has {} shards for good (a new count would move its recipients to other numbers); create a new pool instead",
                    live.settings.shards
                ),
            ));
        }
        // Created by the first configuration; a pool stored before this was kept has none.
        settings.created_at = match &self.live {
            Some(live) => live.settings.created_at,
            None => Some(now),
        };
        if let Some(deleted) = self.live.as_ref().and_then(|l| l.deleted.as_ref()) {
            return Outcome::error(ObjectError::new(
                ObjectErrorCode::Deleted,
                format!(
                    "the pool was deleted; its data is deleted at {} (Unix seconds), after which it can be configured again",
                    deleted.purge_at
                ),
            ));
        }
        let invalid = |e: ringmark_pool::PoolError| {
            Outcome::error(ObjectError::new(ObjectErrorCode::Invalid, e.to_string()))
        };
        let (pool, events, stats, next_seq, calls) = match self.live.take() {
            Some(mut live) => match live.pool.configure(settings.config.clone(), now) {
                Ok(events) => (live.pool, events, live.stats, live.next_seq, live.calls),
                Err(e) => {
                    self.live = Some(live);
                    return invalid(e);
                }
            },
            None => match Pool::new(settings.config.clone(), now) {
                Ok((pool, events)) => (pool, events, OpenStats::default(), 1, BTreeMap::new()),
                Err(e) => return invalid(e),
            },
        };
        let mut live = Live {
            settings,
            pool,
            stats,
            next_seq,
            since_snapshot: 0,
            snapshot_bytes: 0,
            deleted: None,
            calls,
        };
        let mut writes = vec![Write::new(
            "INSERT OR REPLACE INTO kv (k, v) VALUES ('settings', ?)",
            vec![json!(stored::encode(SETTINGS, &live.settings))],
        )];
        writes.extend(live.persist(&events, now));
        // A configuration change always leaves a snapshot behind it.
        if live.since_snapshot > 0 {
            writes.extend(live.snapshot());
        }
        let reply = Configured {
            config: live.settings.config.clone(),
            live: live.pool.stats(now),
        };
        self.live = Some(live);
        Outcome::ok(reply, writes)
    }

    fn delete(&mut self, now: Timestamp) -> Outcome {
        let Some(live) = self.live.as_mut() else {
            return Outcome::error(unknown_pool());
        };
        if let Some(deleted) = &live.deleted {
            return Outcome::ok(deleted.clone(), Vec::new());
        }
        let config = live.pool.config();
        let mut numbers = config.numbers.clone();
        numbers.extend(config.overflow_number().map(str::to_owned));
        let deletion = Deletion {
            deleted_at: now,
            purge_at: now + i64::from(config.attribution_window_seconds),
            numbers,
            quarantine_seconds: i64::from(config.quarantine_seconds),
        };
        let writes = vec![Write::new(
            "INSERT OR REPLACE INTO kv (k, v) VALUES ('deleted', ?)",
            vec![json!(stored::encode(DELETION, &deletion))],
        )];
        live.deleted = Some(deletion.clone());
        // The purge must not wait for the next prune.
        let purge_at = deletion.purge_at;
        Outcome::ok(deletion, writes).with_alarm(Some(purge_at))
    }

    /// Forgets `recipient` (see [`PoolCommand::Forget`]), in one transaction:
    /// the allocator renames their holder records ([`Pool::forget`]) and a
    /// snapshot taken after it replaces the stored one, the audit events up to
    /// it are deleted (they name the recipient, and the snapshot covers them),
    /// their opens and issued tokens are deleted, and calls attributed to them keep their
    /// attribution's confidence and lose the id (reason `erased`).
    fn forget(&mut self, recipient: &str, now: Timestamp) -> Outcome {
        let Some(live) = self.live.as_mut() else {
            return Outcome::error(unknown_pool());
        };
        let (holders, events) = live.pool.forget(recipient, now);
        let mut writes = vec![
            Write::new(
                "DELETE FROM opens WHERE recipient = ?",
                vec![json!(recipient)],
            ),
            Write::new(
                "DELETE FROM recipients WHERE recipient = ?",
                vec![json!(recipient)],
            ),
        ];
        let mut calls = 0u64;
        let named: Vec<CallRecord> = live
            .calls
            .values()
            .filter(|c| {
                c.attribution
                    .as_ref()
                    .is_some_and(|a| a.recipient.as_deref() == Some(recipient))
            })
            .cloned()
            .collect();
        for mut record in named {
            if let Some(a) = record.attribution.as_mut() {
                a.recipient = None;
                a.reason = "erased".to_owned();
            }
            writes.push(live.keep_call(&record));
            calls += 1;
        }
        if holders > 0 {
            writes.extend(events.iter().map(|e| live.append(e, now)));
            writes.extend(live.snapshot());
            writes.push(Write::new(
                "DELETE FROM events WHERE seq < ?",
                vec![json!(live.next_seq)],
            ));
        }
        let outcome = Outcome::ok(Forgotten { holders, calls }, writes);
        self.finish(outcome, now)
    }

    /// Opens counted so far (0 before the pool is configured).
    fn opens_counted(&self) -> u64 {
        self.live.as_ref().map_or(0, |live| live.stats.total)
    }

    /// The write that saves the open counters, when opens were counted since
    /// [`Self::opens_counted`] said `counted` (none otherwise).
    fn save_stats_since(&self, counted: u64) -> Option<Write> {
        let live = self
            .live
            .as_ref()
            .filter(|live| live.stats.total != counted)?;
        Some(Write::new(
            SAVE_STATS,
            vec![json!(stored::encode(STATS, &live.stats))],
        ))
    }

    /// Records an open and answers it; the counters it raised are saved by the
    /// caller ([`Self::save_stats_since`]), once per command or per batch.
    fn open(&mut self, holder: Holder, kind: OpenKind, opener: &Opener, now: Timestamp) -> Outcome {
        let Some(live) = self.live.as_mut() else {
            return Outcome::error(unknown_pool());
        };
        if live.deleted.is_some() {
            // A deleted pool records nothing and leases nothing: old emails
            // show its fallback until its data is purged.
            let reply: Opened = (kind != OpenKind::Pixel).then(|| live.fallback_reply());
            return Outcome::ok(reply, Vec::new());
        }
        live.stats.count(kind, opener);
        let mut writes = vec![Write::new(
            "INSERT INTO opens (at, campaign, recipient, kind, device, opener, client, proxy, machine) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                json!(now),
                json!(holder.campaign),
                json!(holder.recipient),
                json!(kind.as_str()),
                json!(opener.device.as_str()),
                json!(opener.opener.as_str()),
                json!(opener.client),
                json!(opener.proxy),
                json!(i64::from(opener.machine)),
            ],
        )];
        if kind == OpenKind::Pixel {
            return Outcome::ok(Opened::None, writes);
        }
        let signal = if opener.machine {
            Signal::Machine
        } else if kind == OpenKind::Click {
            Signal::Click
        } else {
            Signal::Human
        };
        let (allocation, events) = live.pool.open(&holder, signal, opener.device.as_str(), now);
        writes.extend(live.persist(&events, now));
        let reply: Opened = Some(NumberReply {
            display: live.settings.display(&allocation.number),
            number: allocation.number,
            style: live.settings.style.clone(),
            lease: allocation.lease,
            exhausted: allocation.exhausted,
            pressure: allocation.pressure,
        });
        Outcome::ok(reply, writes)
    }
}

/// `value` as JSON text cut into parts of at most `max` bytes (at character
/// boundaries), and the text's whole length, without ever holding the whole
/// text: a large pool's snapshot (a 1M-recipient send's is 150 MB) would
/// otherwise sit in memory once more, plus the slack of a doubling buffer,
/// next to the parts made from it. `None` if `value` cannot be serialised.
fn json_parts<T: serde::Serialize>(value: &T, max: usize) -> Option<(Vec<String>, usize)> {
    struct Parts {
        done: Vec<String>,
        current: Vec<u8>,
        max: usize,
        total: usize,
    }
    impl std::io::Write for Parts {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.current.extend_from_slice(buf);
            self.total += buf.len();
            while self.current.len() > self.max {
                // Back to the first byte of the character at the cut (never a continuation byte).
                let mut cut = self.max;
                while cut > 0 && self.current.get(cut).is_some_and(|b| b & 0xC0 == 0x80) {
                    cut -= 1;
                }
                let mut next = Vec::with_capacity(self.max + 64);
                next.extend(self.current.drain(cut..));
                let part = std::mem::replace(&mut self.current, next);
                self.done
                    .push(String::from_utf8(part).map_err(std::io::Error::other)?);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let max = max.max(4);
    let mut parts = Parts {
        done: Vec::new(),
        current: Vec::with_capacity(max + 64),
        max,
        total: 0,
    };
    serde_json::to_writer(&mut parts, value).ok()?;
    if !parts.current.is_empty() {
        parts.done.push(String::from_utf8(parts.current).ok()?);
    }
    Some((parts.done, parts.total))
}

/// The row of a stored call.
/// A shard's attribution of a call to the fallback or overflow number, which
/// every one of a pool's `shards` shards shows: its scores and confidence
/// times the shard's share of the pool, 1/`shards` (the hash splits
/// recipients evenly). Unchanged for one shard.
fn shard_share(
    mut attribution: ringmark_pool::Attribution,
    shards: u32,
) -> ringmark_pool::Attribution {
    if shards > 1 {
        let share = 1.0 / f64::from(shards);
        attribution.confidence *= share;
        for c in &mut attribution.candidates {
            c.score *= share;
        }
    }
    attribution
}

fn save_call(record: &CallRecord) -> Write {
    Write::new(
        "INSERT OR REPLACE INTO calls (call_id, at, body) VALUES (?, ?, ?)",
        vec![
            json!(record.call_id.as_str()),
            json!(record.started_at),
            json!(record.to_json()),
        ],
    )
}

/// The pool's query for a stored call (its attribution, re-read, without recording it again).
fn stored_call(record: &CallRecord) -> ringmark_pool::Call {
    ringmark_pool::Call {
        to: record.to.as_str().to_owned(),
        from: record.from.as_ref().map(|f| f.as_str().to_owned()),
        at: record.started_at,
        duration: record.duration_seconds,
    }
}

impl Live {
    /// A campaign's report from the rows of its queries (see `PoolCommand::Report`).
    fn report<'r>(
        &self,
        campaign: &str,
        detail: ReportDetail,
        rows: &dyn Fn(usize) -> &'r [Value],
        now: Timestamp,
    ) -> ReportReply {
        let mut summary = reports::CampaignReport {
            campaign: campaign.to_owned(),
            recipients_with_tokens: rows(1)
                .first()
                .and_then(|r| r.get("n"))
                .and_then(Value::as_u64)
                .unwrap_or(0),
            ..reports::CampaignReport::default()
        };
        reports::add_opens(&mut summary, rows(0));
        reports::add_timeline(&mut summary, rows(3));
        let holding = |recipient: &str| {
            let holder = Holder {
                campaign: campaign.to_owned(),
                recipient: recipient.to_owned(),
            };
            self.pool.holding(&holder, now)
        };
        let mut leased = std::collections::BTreeSet::new();
        for r in rows(2) {
            let Some(recipient) = r.get("recipient").and_then(Value::as_str) else {
                continue;
            };
            if r.get("human").and_then(Value::as_u64).unwrap_or(0) > 0 {
                summary.recipients_opened += 1;
            }
            if let Some(h) = holding(recipient)
                && matches!(h.lease, LeaseKind::Exclusive | LeaseKind::Shared)
            {
                leased.insert(h.number);
            }
        }
        summary.numbers_leased = leased.len() as u64;
        reports::add_calls(&mut summary, self.calls.values());
        let recipients = if detail == ReportDetail::Recipients {
            reports::recipient_rows(
                campaign,
                rows(4),
                rows(2),
                rows(5),
                self.calls.values(),
                |r| holding(r).map(|h| h.number),
            )
        } else {
            Vec::new()
        };
        let calls = if detail == ReportDetail::Conversions {
            self.calls
                .values()
                .filter(|c| {
                    c.attribution.as_ref().and_then(|a| a.campaign.as_deref()) == Some(campaign)
                })
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        ReportReply {
            summary,
            recipients,
            calls,
        }
    }

    /// The pool's fallback number, as shown by a deleted pool.
    fn fallback_reply(&self) -> NumberReply {
        let number = self.settings.config.fallback.clone();
        NumberReply {
            display: self.settings.display(&number),
            number,
            style: self.settings.style.clone(),
            lease: LeaseKind::Fallback,
            exhausted: None,
            pressure: false,
        }
    }

    /// When the retention alarm should next fire.
    fn next_alarm(&self, now: Timestamp) -> Timestamp {
        let next = now + prune_interval(self.pool.config().attribution_window_seconds);
        match &self.deleted {
            Some(d) => next.min(d.purge_at),
            None => next,
        }
    }

    /// Appends events to the audit log; snapshots every [`SNAPSHOT_EVERY`]
    /// events, or fewer often for a pool whose snapshot is large.
    fn persist(&mut self, events: &[Event], now: Timestamp) -> Vec<Write> {
        let mut writes: Vec<Write> = events.iter().map(|e| self.append(e, now)).collect();
        self.since_snapshot += events.len() as u32;
        let every = u32::try_from(self.snapshot_bytes / SNAPSHOT_BYTES_PER_EVENT)
            .unwrap_or(u32::MAX)
            .max(SNAPSHOT_EVERY);
        if self.since_snapshot >= every {
            writes.extend(self.snapshot());
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
                json!(stored::encode(EVENT, event)),
            ],
        );
        self.next_seq += 1;
        write
    }

    /// A call reported after the fact: attributed, and kept as completed
    /// (with its duration, so duration rules apply). The same id again
    /// answers the stored attribution without recording the call twice.
    fn reported_call(
        &mut self,
        pool: &str,
        call: ringmark_pool::Call,
        call_id: CallId,
        shards: u32,
        now: Timestamp,
    ) -> Outcome {
        if let Some(stored) = self.calls.get(call_id.as_str()) {
            let reply = Reported {
                attribution: shard_share(self.pool.attribute(&stored_call(stored)), shards),
                record: stored.clone(),
                new: false,
            };
            return Outcome::ok(reply, Vec::new());
        }
        let duration = call.duration;
        let (attribution, mut record, mut writes) =
            match self.take_call(pool, call, call_id, shards, now) {
                Ok(taken) => taken,
                Err(e) => return Outcome::error(e),
            };
        let rules = self.settings.calls.rules();
        let _ = record.apply_status(
            StatusUpdate {
                status: CallStatus::Completed,
                duration_seconds: duration,
            },
            &rules,
            now,
        );
        writes.push(self.keep_call(&record));
        let reply = Reported {
            attribution,
            record,
            new: true,
        };
        Outcome::ok(reply, writes)
    }

    /// A live call ringing: attributed now and stored; a retried webhook
    /// answers the stored call.
    fn ring(
        &mut self,
        pool: &str,
        call: ringmark_pool::Call,
        call_id: CallId,
        shards: u32,
        now: Timestamp,
    ) -> Outcome {
        if let Some(stored) = self.calls.get(call_id.as_str()) {
            let reply = self.rung(stored.clone(), false);
            return Outcome::ok(reply, Vec::new());
        }
        let (_, record, mut writes) = match self.take_call(pool, call, call_id, shards, now) {
            Ok(taken) => taken,
            Err(e) => return Outcome::error(e),
        };
        writes.push(self.keep_call(&record));
        Outcome::ok(self.rung(record, true), writes)
    }

    /// A new call: checked first, so a refused one changes nothing; then
    /// attributed and recorded by the allocator (its events to persist), and
    /// its record built from the attribution.
    fn take_call(
        &mut self,
        pool: &str,
        call: ringmark_pool::Call,
        call_id: CallId,
        shards: u32,
        now: Timestamp,
    ) -> Result<(ringmark_pool::Attribution, CallRecord, Vec<Write>), ObjectError> {
        let to = ringmark_phone::E164::parse(&call.to)
            .map_err(|e| ObjectError::field(ObjectErrorCode::Invalid, "to", e.to_string()))?;
        let from = call
            .from
            .as_deref()
            .and_then(|f| ringmark_phone::E164::parse(f).ok());
        let at = call.at;
        let (attribution, events) = self.pool.record_call(call, now);
        let attribution = shard_share(attribution, shards);
        let record = CallRecord::ringing(
            call_id,
            pool,
            from,
            to,
            Some(AttributionSummary::from_attribution(&attribution)),
            at,
        );
        let writes = self.persist(&events, now);
        Ok((attribution, record, writes))
    }

    /// Keeps a new call in memory; its row.
    fn keep_call(&mut self, record: &CallRecord) -> Write {
        self.calls
            .insert(record.call_id.as_str().to_owned(), record.clone());
        save_call(record)
    }

    fn rung(&self, record: CallRecord, new: bool) -> Rung {
        let calls = &self.settings.calls;
        let campaign = record
            .attribution
            .as_ref()
            .and_then(|a| a.campaign.clone())
            .unwrap_or_default();
        Rung {
            forward_to: calls.forward_to.clone(),
            whisper: calls
                .whisper
                .as_ref()
                .map(|w| w.replace("{campaign}", &campaign)),
            record_call: calls.record,
            new,
            record,
        }
    }

    /// Writes a snapshot covering every event so far, in parts.
    fn snapshot(&mut self) -> Vec<Write> {
        let covered = self.next_seq - 1;
        let (parts, bytes) = json_parts(&self.pool, SNAPSHOT_PART_BYTES).unwrap_or_default();
        self.snapshot_bytes = bytes;
        let mut writes = vec![
            Write::new("DELETE FROM snapshot_parts", Vec::new()),
            Write::new("DELETE FROM kv WHERE k = 'snapshot'", Vec::new()),
        ];
        for (part, body) in parts.into_iter().enumerate() {
            writes.push(Write::new(
                "INSERT INTO snapshot_parts (part, body) VALUES (?, ?)",
                vec![json!(part), Value::String(body)],
            ));
        }
        writes.push(Write::new(
            "INSERT OR REPLACE INTO kv (k, v) VALUES ('snapshot_seq', ?)",
            vec![json!(covered.to_string())],
        ));
        self.since_snapshot = 0;
        writes
    }

    /// Retention (the alarm's work): drops from the allocator and from every
    /// table what is older than the attribution window, then snapshots.
    /// Kept off the open path: pruning compacts the whole allocator, and the
    /// deletes scan their tables.
    fn prune(&mut self, now: Timestamp) -> Vec<Write> {
        let pruned = self.pool.prune(now);
        let mut writes: Vec<Write> = pruned.iter().map(|e| self.append(e, now)).collect();
        writes.extend(self.snapshot());
        let covered = self.next_seq - 1;
        let horizon = now - i64::from(self.pool.config().attribution_window_seconds);
        writes.push(Write::new(
            "DELETE FROM events WHERE at < ? AND seq <= ?",
            vec![json!(horizon), json!(covered)],
        ));
        writes.push(Write::new(
            "DELETE FROM opens WHERE at < ?",
            vec![json!(horizon)],
        ));
        writes.push(Write::new(
            "DELETE FROM recipients WHERE issued_at < ?",
            vec![json!(horizon)],
        ));
        let before = self.calls.len();
        self.calls.retain(|_, c| c.started_at >= horizon);
        if self.calls.len() < before {
            writes.push(Write::new(
                "DELETE FROM calls WHERE at < ?",
                vec![json!(horizon)],
            ));
        }
        writes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::read_answer;

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
    fn an_unconfigured_pool_answers_unknown_pool_and_writes_nothing() {
        // What a verified token for a pool that was never configured reaches:
        // no table, no row, no alarm, so the object keeps no storage.
        for mut pool in [PoolObject::empty(), PoolObject::load("[]").unwrap()] {
            let call =
                json!({"op": "call", "pool": "p", "call_id": "CA0123456789abcdef0123456789abcdef",
                              "call": {"to": "+14155550101", "at": 100}})
                .to_string();
            for command in [
                open("pixel"),
                open("number"),
                open("click"),
                r#"{"op":"state"}"#.to_owned(),
                r#"{"op":"settings"}"#.to_owned(),
                r#"{"op":"delete"}"#.to_owned(),
                call,
            ] {
                let outcome = pool.handle_json(&command, 100);
                let error = read_answer::<Value>(&outcome.answer).unwrap_err();
                assert_eq!(error.code, ObjectErrorCode::UnknownPool, "{command}");
                assert!(
                    outcome.writes.is_empty() && outcome.alarm.is_none(),
                    "{command} wrote {:?}",
                    outcome.writes
                );
            }
            let refused = json!({"op": "configure", "settings": {
                "config": {"numbers": [], "fallback": "+14155550100", "lease_seconds": 3600},
                "displays": {}, "style": {}
            }});
            let outcome = pool.handle_json(&refused.to_string(), 100);
            let error = read_answer::<Value>(&outcome.answer).unwrap_err();
            assert_eq!(error.code, ObjectErrorCode::Invalid);
            assert!(
                outcome.writes.is_empty(),
                "a refused configuration creates nothing"
            );
            // An alarm left on an empty object asks for nothing more.
            let alarm = pool.alarm(100);
            assert!(alarm.writes.is_empty() && alarm.alarm.is_none() && !alarm.purge);
        }
    }

    #[test]
    fn the_first_configuration_creates_the_schema_in_its_transaction_and_sets_the_alarm() {
        let mut pool = PoolObject::empty();
        let first = pool.handle_json(&configure(), 100);
        assert!(
            read_answer::<Configured>(&first.answer).is_ok(),
            "{}",
            first.answer
        );
        let schema = PoolObject::SCHEMA.len();
        assert!(
            first.writes[..schema]
                .iter()
                .map(|w| w.sql)
                .eq(PoolObject::SCHEMA.iter().copied()),
            "the schema goes first, in the same transaction as the settings"
        );
        assert!(first.writes.len() > schema);
        assert_eq!(first.alarm, Some(100 + prune_interval(30 * 86_400)));
        let next = pool.handle_json(&open("number"), 101);
        assert!(!creates_schema(&next));
        assert_eq!(next.alarm, None, "asked once per load");
        assert!(!creates_schema(&pool.handle_json(&configure(), 102)));
    }

    #[test]
    fn commands_the_engine_cannot_read_are_refused_as_bad_commands() {
        let mut pool = PoolObject::empty();
        for text in ["", "{}", r#"{"op":"explode"}"#, r#"{"op":"open"}"#] {
            let outcome = pool.handle_json(text, 1);
            let error = read_answer::<Value>(&outcome.answer).unwrap_err();
            assert_eq!(error.code, ObjectErrorCode::BadCommand, "{text}");
        }
    }

    #[test]
    fn a_call_the_object_refuses_leaves_the_allocator_as_it_was() {
        let mut pool = PoolObject::empty();
        assert!(read_answer::<Configured>(&pool.handle_json(&configure(), 100).answer).is_ok());
        let state = |p: &mut PoolObject| p.handle_json(r#"{"op":"state"}"#, 200).answer;
        let before = state(&mut pool);
        for op in ["call", "ring"] {
            let call = json!({"op": op, "pool": "p", "call_id": "CA0123456789abcdef0123456789abcdef",
                              "call": {"to": "not a number", "at": 150}});
            let outcome = pool.handle_json(&call.to_string(), 200);
            let error = read_answer::<Value>(&outcome.answer).unwrap_err();
            assert_eq!(error.code, ObjectErrorCode::Invalid, "{op}");
            assert!(outcome.writes.is_empty(), "{op}");
        }
        assert_eq!(
            state(&mut pool),
            before,
            "no call was recorded in memory either"
        );
    }

    #[test]
    fn json_parts_cut_whole_characters_and_join_to_the_text() {
        let value =
            json!({"ids": (0..200).map(|i| format!("réçipient-{i}-€𝄞")).collect::<Vec<_>>()});
        let text = serde_json::to_string(&value).unwrap();
        for max in [4, 5, 7, 64, 1000, text.len(), text.len() + 1] {
            let (parts, total) = json_parts(&value, max).unwrap();
            assert_eq!(total, text.len());
            assert!(
                parts.iter().all(|p| !p.is_empty() && p.len() <= max),
                "max {max}"
            );
            assert_eq!(parts.concat(), text, "max {max}");
        }
    }

    #[test]
    fn prune_interval_stays_between_an_hour_and_a_day() {
        assert_eq!(prune_interval(0), 3_600);
        assert_eq!(prune_interval(2 * 86_400), 21_600);
        assert_eq!(prune_interval(30 * 86_400), 86_400);
        assert_eq!(prune_interval(u32::MAX), 86_400);
    }
}
