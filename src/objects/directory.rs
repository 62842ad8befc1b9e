//! The directory object: which pool owns each tracking number.
//!
//! A call carries only the dialled number, so the service needs one place
//! that maps a number to its pool, and that enforces "a number belongs to one
//! pool at a time". There is one directory object per deployment; it holds
//! one small row per number, and is touched only by admin writes and calls,
//! never by email opens, so it is not on the hot path.
//!
//! A number a pool stops listing stays routed to that pool, *retired*, until
//! its quarantine ends: late calls still reach the recipient who held it, and
//! no other pool can take it before then.
//!
//! Fallback numbers are routed too, because exhausted pools and machine opens
//! hand them out and the pool can still rank who may have called. Several
//! pools may share one fallback (a company's main line); a call to a shared
//! fallback cannot be given to one pool and is refused with the pools named.
//! A fallback is never also a tracking number, in any pool.

use super::store::{Outcome, Write, stored_has};
use crate::calls::CallId;
use crate::protocol::{
    CallRoute, ClaimReply, DirectoryCommand, DirectoryEntry, ObjectError, ObjectErrorCode, Released,
};
use serde::Deserialize;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

/// The engine behind the directory's Durable Object.
#[derive(Default)]
pub struct DirectoryObject {
    numbers: BTreeMap<String, DirectoryEntry>,
    /// Fallback number → the pools using it.
    fallbacks: BTreeMap<String, BTreeSet<String>>,
    /// Call id → the pool it went to, for [`CALL_ROUTE_SECONDS`].
    calls: BTreeMap<String, CallRoute>,
    /// Pool → its shard count, for pools of more than one shard (kept for
    /// good: a pool's name keeps its count).
    shards: BTreeMap<String, u32>,
    /// Whether this engine's writes went out with the (idempotent) schema;
    /// the first write after every load carries it, which creates a fresh
    /// directory's tables and adds those a newer release introduced.
    schema_written: bool,
}

/// How long the directory remembers which pool a call went to (so its
/// outcome can be set by call id): a year and a month.
pub const CALL_ROUTE_SECONDS: i64 = 400 * 86_400;

/// One row of [`DirectoryObject::LOAD`].
#[derive(Deserialize)]
struct Row {
    kind: String,
    #[serde(flatten)]
    entry: DirectoryEntry,
}

impl DirectoryObject {
    /// Statements that create the schema (idempotent), written before the
    /// directory's first rows.
    pub const SCHEMA: &'static [&'static str] = &[
        "CREATE TABLE IF NOT EXISTS numbers (number TEXT PRIMARY KEY, pool TEXT NOT NULL, retired_at INTEGER, free_at INTEGER)",
        "CREATE TABLE IF NOT EXISTS fallbacks (number TEXT NOT NULL, pool TEXT NOT NULL, PRIMARY KEY (number, pool))",
        "CREATE TABLE IF NOT EXISTS calls (call_id TEXT PRIMARY KEY, pool TEXT NOT NULL, at INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS pool_shards (pool TEXT PRIMARY KEY, shards INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS number_shards (number TEXT PRIMARY KEY, pool TEXT NOT NULL, shard INTEGER NOT NULL)",
    ];

    /// A query answering one row `{stored, calls}`: `stored` is 1 when the
    /// tables [`DirectoryObject::LOAD`] reads exist, `calls` when the `calls`
    /// table (added later) does too (see [`super::PoolObject::STORED`]).
    pub const STORED: &'static str = "SELECT COALESCE(SUM(name IN ('numbers', 'fallbacks')), 0) = 2 AS stored, \
         COALESCE(SUM(name = 'calls'), 0) AS calls, \
         COALESCE(SUM(name = 'pool_shards'), 0) AS shards FROM sqlite_master WHERE type = 'table'";

    /// The query whose rows [`DirectoryObject::load`] takes, for a directory
    /// stored before the `calls` table existed.
    pub const LOAD: &'static str = "SELECT 'number' AS kind, number, pool, retired_at, free_at FROM numbers \
         UNION ALL SELECT 'fallback' AS kind, number, pool, NULL, NULL FROM fallbacks";

    /// [`DirectoryObject::LOAD`] and the call routes (`retired_at` carries the call's time).
    pub const LOAD_WITH_CALLS: &'static str = "SELECT 'number' AS kind, number, pool, retired_at, free_at FROM numbers \
         UNION ALL SELECT 'fallback' AS kind, number, pool, NULL, NULL FROM fallbacks \
         UNION ALL SELECT 'call' AS kind, call_id, pool, at, NULL FROM calls";

    /// [`DirectoryObject::LOAD_WITH_CALLS`] and the shard tables (written
    /// with the schema since shards exist, so always beside `calls`): a
    /// pool's count (`retired_at` carries it) and a number's shard (`retired_at`).
    pub const LOAD_WITH_SHARDS: &'static str = "SELECT 'number' AS kind, number, pool, retired_at, free_at FROM numbers \
         UNION ALL SELECT 'fallback' AS kind, number, pool, NULL, NULL FROM fallbacks \
         UNION ALL SELECT 'call' AS kind, call_id, pool, at, NULL FROM calls \
         UNION ALL SELECT 'shards' AS kind, pool, pool, shards, NULL FROM pool_shards \
         UNION ALL SELECT 'shard' AS kind, number, pool, shard, NULL FROM number_shards";

    /// The load query for the schema the [`DirectoryObject::STORED`] row (JSON) describes.
    pub fn load_query(stored_row: &str) -> &'static str {
        if stored_has(stored_row, "shards") {
            Self::LOAD_WITH_SHARDS
        } else if stored_has(stored_row, "calls") {
            Self::LOAD_WITH_CALLS
        } else {
            Self::LOAD
        }
    }

    /// Rebuilds the engine from the rows of [`DirectoryObject::LOAD`] (a JSON array of objects).
    ///
    /// # Errors
    /// A message when the rows cannot be read.
    pub fn load(rows_json: &str) -> Result<Self, String> {
        let rows: Vec<Row> =
            serde_json::from_str(rows_json).map_err(|e| format!("directory rows: {e}"))?;
        // A loaded directory still writes its (idempotent) schema once: that
        // adds tables a newer release introduced.
        let mut directory = DirectoryObject::default();
        let mut owners = Vec::new();
        for Row { kind, entry } in rows {
            if kind == "call" {
                let at = entry.retired_at.unwrap_or(0);
                directory.calls.insert(
                    entry.number,
                    CallRoute {
                        pool: entry.pool,
                        at,
                        shards: 1,
                    },
                );
            } else if kind == "shards" {
                let shards = entry.retired_at.and_then(|n| u32::try_from(n).ok());
                directory.shards.insert(entry.pool, shards.unwrap_or(1));
            } else if kind == "shard" {
                owners.push(entry);
            } else if kind == "fallback" {
                directory
                    .fallbacks
                    .entry(entry.number)
                    .or_default()
                    .insert(entry.pool);
            } else {
                directory.numbers.insert(entry.number.clone(), entry);
            }
        }
        for owner in owners {
            if let Some(entry) = directory
                .numbers
                .get_mut(&owner.number)
                .filter(|e| e.pool == owner.pool)
            {
                entry.shard = owner.retired_at.and_then(|n| u32::try_from(n).ok());
            }
        }
        Ok(directory)
    }

    /// Handles one [`DirectoryCommand`] as the JSON text the adapter carries.
    pub fn handle_json(&mut self, command: &str, now: i64) -> Outcome {
        match serde_json::from_str::<DirectoryCommand>(command) {
            Ok(command) => self.handle(command, now),
            Err(e) => Outcome::error(ObjectError::new(
                ObjectErrorCode::BadCommand,
                format!("command: {e}"),
            )),
        }
    }

    /// Handles one [`DirectoryCommand`] at time `now`.
    pub fn handle(&mut self, command: DirectoryCommand, now: i64) -> Outcome {
        let outcome = match command {
            DirectoryCommand::Claim {
                pool,
                numbers,
                fallback,
                quarantine_seconds,
                shards,
                shared,
            } => self.claim(
                &pool,
                &numbers,
                &fallback,
                quarantine_seconds,
                (shards, &shared),
                now,
            ),
            DirectoryCommand::PoolShards { pool } => Outcome::ok(self.shards_of(&pool), Vec::new()),
            DirectoryCommand::Restore {
                pool,
                previous,
                added,
                previous_fallback,
            } => self.restore(&pool, previous, &added, previous_fallback),
            DirectoryCommand::Release {
                pool,
                quarantine_seconds,
            } => self.release(&pool, quarantine_seconds, now),
            DirectoryCommand::Lookup { number } => self.lookup(number),
            DirectoryCommand::RouteCall {
                number,
                call_id,
                at,
            } => self.route_call(number, &call_id, at, now),
            DirectoryCommand::Pools { after, limit } => {
                let names: std::collections::BTreeSet<&String> = self
                    .numbers
                    .values()
                    .map(|e| &e.pool)
                    .chain(self.fallbacks.values().flatten())
                    .filter(|p| after.as_ref().is_none_or(|a| *p > a))
                    .collect();
                let pools: Vec<String> = names.iter().take(limit).map(|p| (*p).clone()).collect();
                let shards = pools
                    .iter()
                    .filter_map(|p| self.shards.get(p).map(|&s| (p.clone(), s)))
                    .collect();
                Outcome::ok(
                    crate::protocol::PoolList {
                        more: names.len() > pools.len(),
                        pools,
                        shards,
                    },
                    Vec::new(),
                )
            }
            DirectoryCommand::FindCall { call_id } => match self.calls.get(call_id.as_str()) {
                Some(route) => {
                    let route = CallRoute {
                        shards: self.shards_of(&route.pool),
                        ..route.clone()
                    };
                    Outcome::ok(route, Vec::new())
                }
                None => Outcome::error(ObjectError::field(
                    ObjectErrorCode::UnknownCall,
                    "call_id",
                    format!("no call {call_id}"),
                )),
            },
        };
        if self.schema_written || outcome.writes.is_empty() {
            return outcome;
        }
        self.schema_written = true;
        outcome.creating(Self::SCHEMA)
    }

    /// A lookup that also remembers where the call went (and forgets routes
    /// older than [`CALL_ROUTE_SECONDS`]).
    fn route_call(&mut self, number: String, call_id: &CallId, at: i64, now: i64) -> Outcome {
        let found = self.lookup(number);
        let routed = crate::protocol::read_answer::<DirectoryEntry>(&found.answer);
        let Ok(entry) = routed else {
            return found;
        };
        let mut writes = Vec::new();
        let horizon = now - CALL_ROUTE_SECONDS;
        if self.calls.values().any(|c| c.at < horizon) {
            self.calls.retain(|_, c| c.at >= horizon);
            writes.push(Write::new(
                "DELETE FROM calls WHERE at < ?",
                vec![json!(horizon)],
            ));
        }
        if !self.calls.contains_key(call_id.as_str()) {
            writes.push(Write::new(
                "INSERT OR REPLACE INTO calls (call_id, pool, at) VALUES (?, ?, ?)",
                vec![json!(call_id.as_str()), json!(entry.pool), json!(at)],
            ));
            self.calls.insert(
                call_id.as_str().to_owned(),
                CallRoute {
                    pool: entry.pool.clone(),
                    at,
                    shards: 1,
                },
            );
        }
        Outcome::ok(entry, writes)
    }

    /// A pool's shard count (1 when it has one, or is unknown).
    fn shards_of(&self, pool: &str) -> u32 {
        self.shards.get(pool).copied().unwrap_or(1)
    }

    fn lookup(&self, number: String) -> Outcome {
        if let Some(entry) = self.numbers.get(&number) {
            let entry = DirectoryEntry {
                shards: self.shards_of(&entry.pool),
                ..entry.clone()
            };
            return Outcome::ok(entry, Vec::new());
        }
        let pools: Vec<&String> = self.fallbacks.get(&number).into_iter().flatten().collect();
        match pools.as_slice() {
            [] => Outcome::error(ObjectError::field(
                ObjectErrorCode::UnknownNumber,
                "to",
                format!("{number} belongs to no pool"),
            )),
            [pool] => Outcome::ok(
                DirectoryEntry {
                    number,
                    pool: (*pool).clone(),
                    retired_at: None,
                    free_at: None,
                    shard: None,
                    shards: self.shards_of(pool),
                },
                Vec::new(),
            ),
            _ => Outcome::error(ObjectError::field(
                ObjectErrorCode::Conflict,
                "to",
                format!(
                    "{number} is the fallback number of pools {}: a call to it cannot be attributed to one pool",
                    pools
                        .iter()
                        .map(|p| format!("'{p}'"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }

    fn fallback_of(&self, pool: &str) -> Option<String> {
        self.fallbacks
            .iter()
            .find(|(_, pools)| pools.contains(pool))
            .map(|(number, _)| number.clone())
    }

    fn set_fallback(&mut self, pool: &str, fallback: Option<&str>, writes: &mut Vec<Write>) {
        if let Some(old) = self.fallback_of(pool) {
            if Some(old.as_str()) == fallback {
                return;
            }
            if let Some(pools) = self.fallbacks.get_mut(&old) {
                pools.remove(pool);
                if pools.is_empty() {
                    self.fallbacks.remove(&old);
                }
            }
            writes.push(Write::new(
                "DELETE FROM fallbacks WHERE number = ? AND pool = ?",
                vec![json!(old), json!(pool)],
            ));
        }
        if let Some(number) = fallback {
            self.fallbacks
                .entry(number.to_owned())
                .or_default()
                .insert(pool.to_owned());
            writes.push(Write::new(
                "INSERT OR REPLACE INTO fallbacks (number, pool) VALUES (?, ?)",
                vec![json!(number), json!(pool)],
            ));
        }
    }

    fn claim(
        &mut self,
        pool: &str,
        numbers: &[String],
        fallback: &str,
        quarantine: i64,
        (shards, shared): (u32, &[String]),
        now: i64,
    ) -> Outcome {
        // A pool's shard count is fixed for its life: a pool the directory
        // routes anything to (a live or quarantined number, its fallback)
        // keeps the count it was created with.
        let known = self.fallback_of(pool).is_some()
            || self
                .numbers
                .values()
                .any(|e| e.pool == pool && e.free_at.is_none_or(|f| now < f));
        if known && self.shards_of(pool) != shards {
            return Outcome::error(ObjectError::field(
                ObjectErrorCode::Conflict,
                "shards",
                format!(
                    "pool '{pool}' has {} shard(s) for good: a new count would hash its recipients to other shards and move them off their numbers; create a new pool instead",
                    self.shards_of(pool)
                ),
            ));
        }
        let mut conflicts = Vec::new();
        if let Some(entry) = self.numbers.get(fallback) {
            conflicts.push(format!(
                "fallback {fallback} is a tracking number of pool '{}'",
                entry.pool
            ));
        }
        for number in numbers {
            if let Some(pools) = self.fallbacks.get(number) {
                let pools: Vec<String> = pools.iter().map(|p| format!("'{p}'")).collect();
                conflicts.push(format!(
                    "{number} is the fallback number of pool {}",
                    pools.join(", ")
                ));
            }
            if let Some(entry) = self.numbers.get(number).filter(|e| e.pool != pool) {
                match entry.free_at {
                    None => conflicts.push(format!("{number} belongs to pool '{}'", entry.pool)),
                    Some(free_at) if now < free_at => conflicts.push(format!(
                        "{number} left pool '{}' and is quarantined until {free_at}",
                        entry.pool
                    )),
                    Some(_) => {}
                }
            }
        }
        if !conflicts.is_empty() {
            return Outcome::error(ObjectError::field(
                ObjectErrorCode::Conflict,
                "numbers",
                conflicts.join("; "),
            ));
        }
        let previous: Vec<DirectoryEntry> = self
            .numbers
            .values()
            .filter(|e| e.pool == pool)
            .cloned()
            .collect();
        let mut writes = Vec::new();
        let mut added = Vec::new();
        for entry in &previous {
            if entry.retired_at.is_none() && !numbers.contains(&entry.number) {
                let retired = DirectoryEntry {
                    retired_at: Some(now),
                    free_at: Some(now + quarantine),
                    ..entry.clone()
                };
                writes.push(upsert(&retired));
                self.numbers.insert(retired.number.clone(), retired);
            }
        }
        for number in numbers {
            let current = self.numbers.get(number);
            if current.is_some_and(|e| e.pool == pool && e.retired_at.is_none()) {
                continue;
            }
            if current.is_none_or(|e| e.pool != pool) {
                added.push(number.clone());
            }
            // A number the pool owned before (retired, now listed again)
            // keeps its shard.
            let shard = current.filter(|e| e.pool == pool).and_then(|e| e.shard);
            let entry = DirectoryEntry {
                number: number.clone(),
                pool: pool.to_owned(),
                retired_at: None,
                free_at: None,
                shard,
                shards: 1,
            };
            writes.push(upsert(&entry));
            self.numbers.insert(number.clone(), entry);
        }
        let previous_fallback = self.fallback_of(pool);
        self.set_fallback(pool, Some(fallback), &mut writes);
        let dealt = if shards > 1 {
            self.deal(pool, numbers, shards, shared, &mut writes)
        } else {
            BTreeMap::new()
        };
        Outcome::ok(
            ClaimReply {
                previous,
                added,
                previous_fallback,
                shards: dealt,
            },
            writes,
        )
    }

    /// Records a sharded pool's count, and deals each of its live numbers
    /// that has no shard yet to the shard that owns the fewest live numbers
    /// (the lowest index on a tie; numbers in the order claimed), for good.
    /// Why dealt and recorded rather than hashed: the shards stay within one
    /// number of each other when a pool is created, and numbers added later
    /// fill the emptiest shards; a number's shard never depends on the rest
    /// of the list, so adding or dropping numbers moves no other number.
    /// The shared numbers (overflow) belong to every shard and are dealt to
    /// none. Answers every live number's shard.
    fn deal(
        &mut self,
        pool: &str,
        numbers: &[String],
        shards: u32,
        shared: &[String],
        writes: &mut Vec<Write>,
    ) -> BTreeMap<String, u32> {
        if self.shards.get(pool) != Some(&shards) {
            self.shards.insert(pool.to_owned(), shards);
            writes.push(Write::new(
                "INSERT OR REPLACE INTO pool_shards (pool, shards) VALUES (?, ?)",
                vec![json!(pool), json!(shards)],
            ));
        }
        let live: Vec<&String> = numbers.iter().filter(|n| !shared.contains(n)).collect();
        let mut owned = vec![0u32; shards as usize];
        for number in &live {
            if let Some(s) = self.numbers.get(*number).and_then(|e| e.shard)
                && let Some(count) = owned.get_mut(s as usize)
            {
                *count += 1;
            }
        }
        let mut dealt = BTreeMap::new();
        for number in live {
            let Some(entry) = self.numbers.get_mut(number) else {
                continue;
            };
            let shard = match entry.shard.filter(|&s| s < shards) {
                Some(s) => s,
                None => {
                    let (fewest, _) = owned
                        .iter()
                        .enumerate()
                        .min_by_key(|&(i, count)| (*count, i))
                        .unwrap_or((0, &0));
                    let s = u32::try_from(fewest).unwrap_or(0);
                    if let Some(count) = owned.get_mut(fewest) {
                        *count += 1;
                    }
                    entry.shard = Some(s);
                    writes.push(Write::new(
                        "INSERT OR REPLACE INTO number_shards (number, pool, shard) VALUES (?, ?, ?)",
                        vec![json!(number), json!(pool), json!(s)],
                    ));
                    s
                }
            };
            dealt.insert(number.clone(), shard);
        }
        dealt
    }

    /// Retires every live number of a deleted pool into quarantine and stops
    /// routing its fallback to it. Numbers already retired keep their dates,
    /// so a repeated release changes nothing.
    fn release(&mut self, pool: &str, quarantine: i64, now: i64) -> Outcome {
        let mut writes = Vec::new();
        let mut retired = Vec::new();
        let mut free_at = None;
        for entry in self.numbers.values_mut().filter(|e| e.pool == pool) {
            if entry.retired_at.is_none() {
                entry.retired_at = Some(now);
                entry.free_at = Some(now + quarantine);
                writes.push(upsert(entry));
                retired.push(entry.number.clone());
            }
            free_at = free_at.max(entry.free_at);
        }
        self.set_fallback(pool, None, &mut writes);
        Outcome::ok(Released { retired, free_at }, writes)
    }

    fn restore(
        &mut self,
        pool: &str,
        previous: Vec<DirectoryEntry>,
        added: &[String],
        previous_fallback: Option<String>,
    ) -> Outcome {
        let mut writes = Vec::new();
        self.set_fallback(pool, previous_fallback.as_deref(), &mut writes);
        for number in added {
            if self.numbers.get(number).is_some_and(|e| e.pool == pool) {
                let dealt = self.numbers.remove(number).and_then(|e| e.shard).is_some();
                writes.push(Write::new(
                    "DELETE FROM numbers WHERE number = ?",
                    vec![json!(number)],
                ));
                if dealt {
                    writes.push(Write::new(
                        "DELETE FROM number_shards WHERE number = ?",
                        vec![json!(number)],
                    ));
                }
            }
        }
        for entry in previous {
            writes.push(upsert(&entry));
            self.numbers.insert(entry.number.clone(), entry);
        }
        // A pool the failed claim created is forgotten with its shard count,
        // so a corrected PUT may choose another.
        let known =
            self.fallback_of(pool).is_some() || self.numbers.values().any(|e| e.pool == pool);
        if !known && self.shards.remove(pool).is_some() {
            writes.push(Write::new(
                "DELETE FROM pool_shards WHERE pool = ?",
                vec![json!(pool)],
            ));
        }
        Outcome::ok((), writes)
    }
}

fn upsert(entry: &DirectoryEntry) -> Write {
    Write::new(
        "INSERT OR REPLACE INTO numbers (number, pool, retired_at, free_at) VALUES (?, ?, ?, ?)",
        vec![
            json!(entry.number),
            json!(entry.pool),
            json!(entry.retired_at),
            json!(entry.free_at),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::read_answer;

    fn claim(d: &mut DirectoryObject, pool: &str, numbers: &[&str], now: i64) -> Outcome {
        d.handle(
            DirectoryCommand::Claim {
                pool: pool.into(),
                numbers: numbers.iter().map(|n| (*n).to_owned()).collect(),
                fallback: "+15550000000".into(),
                quarantine_seconds: 100,
                shards: 1,
                shared: Vec::new(),
            },
            now,
        )
    }

    fn claim_sharded(
        d: &mut DirectoryObject,
        pool: &str,
        numbers: &[&str],
        shards: u32,
        now: i64,
    ) -> Result<ClaimReply, ObjectError> {
        let outcome = d.handle(
            DirectoryCommand::Claim {
                pool: pool.into(),
                numbers: numbers.iter().map(|n| (*n).to_owned()).collect(),
                fallback: "+15550000000".into(),
                quarantine_seconds: 100,
                shards,
                shared: Vec::new(),
            },
            now,
        );
        let reply = read_answer::<ClaimReply>(&outcome.answer);
        if reply.is_err() {
            assert!(outcome.writes.is_empty(), "a refused claim writes nothing");
        }
        reply
    }

    fn numbers(range: std::ops::Range<u32>) -> Vec<String> {
        range.map(|i| format!("+1555000{i:04}")).collect()
    }

    #[test]
    fn a_sharded_pool_s_numbers_are_dealt_evenly_and_never_move() {
        let mut d = DirectoryObject::default();
        let first = numbers(1..11);
        let refs: Vec<&str> = first.iter().map(String::as_str).collect();
        let reply = claim_sharded(&mut d, "big", &refs, 4, 0).unwrap();
        let mut per_shard = [0; 4];
        for s in reply.shards.values() {
            per_shard[*s as usize] += 1;
        }
        assert_eq!(per_shard, [3, 3, 2, 2], "{:?}", reply.shards);
        // Drop two numbers of shard 0 and add four: the others keep their
        // shards, the new ones fill the emptiest shards.
        let dropped: Vec<&String> = first
            .iter()
            .filter(|n| reply.shards[*n] == 0)
            .take(2)
            .collect();
        let mut next: Vec<String> = first
            .iter()
            .filter(|n| !dropped.contains(n))
            .cloned()
            .collect();
        next.extend(numbers(11..15));
        let refs: Vec<&str> = next.iter().map(String::as_str).collect();
        let again = claim_sharded(&mut d, "big", &refs, 4, 10).unwrap();
        for n in &next {
            if let Some(before) = reply.shards.get(n) {
                assert_eq!(again.shards[n], *before, "{n} moved");
            }
        }
        let mut per_shard = [0; 4];
        for s in again.shards.values() {
            per_shard[*s as usize] += 1;
        }
        assert_eq!(per_shard, [3, 3, 3, 3], "{:?}", again.shards);
        // Lookups name the owner and the count; the fallback names no shard.
        let n = &next[0];
        let entry = lookup(&mut d, n).unwrap();
        assert_eq!((entry.shard, entry.shards), (Some(again.shards[n]), 4));
        let fallback = lookup(&mut d, "+15550000000").unwrap();
        assert_eq!((fallback.shard, fallback.shards), (None, 4));
        // A dropped number, listed again, returns to its old shard.
        let mut back = next.clone();
        back.push(dropped[0].clone());
        let refs: Vec<&str> = back.iter().map(String::as_str).collect();
        let third = claim_sharded(&mut d, "big", &refs, 4, 20).unwrap();
        assert_eq!(third.shards[dropped[0]], 0);
    }

    #[test]
    fn a_pool_s_shard_count_cannot_change() {
        let mut d = DirectoryObject::default();
        claim(&mut d, "one", &["+15550000001", "+15550000002"], 0);
        let error =
            claim_sharded(&mut d, "one", &["+15550000001", "+15550000002"], 2, 1).unwrap_err();
        assert_eq!(error.code, ObjectErrorCode::Conflict);
        assert_eq!(error.field.as_deref(), Some("shards"));
        claim_sharded(&mut d, "two", &["+15550000003", "+15550000004"], 2, 0).unwrap();
        let error =
            claim_sharded(&mut d, "two", &["+15550000003", "+15550000004"], 4, 1).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("shards"));
        let error =
            claim_sharded(&mut d, "two", &["+15550000003", "+15550000004"], 1, 1).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("shards"));
        let shards = d.handle(DirectoryCommand::PoolShards { pool: "two".into() }, 2);
        assert_eq!(read_answer::<u32>(&shards.answer), Ok(2));
        let shards = d.handle(DirectoryCommand::PoolShards { pool: "one".into() }, 2);
        assert_eq!(read_answer::<u32>(&shards.answer), Ok(1));
    }

    fn lookup(d: &mut DirectoryObject, number: &str) -> Result<DirectoryEntry, ObjectError> {
        let outcome = d.handle(
            DirectoryCommand::Lookup {
                number: number.into(),
            },
            0,
        );
        read_answer(&outcome.answer)
    }

    fn code<T: serde::de::DeserializeOwned + std::fmt::Debug>(
        outcome: &Outcome,
    ) -> ObjectErrorCode {
        read_answer::<T>(&outcome.answer).unwrap_err().code
    }

    #[test]
    fn a_number_belongs_to_one_pool() {
        let mut d = DirectoryObject::default();
        let first = claim(&mut d, "a", &["+15550000001", "+15550000002"], 0);
        assert!(read_answer::<ClaimReply>(&first.answer).is_ok());
        let clash = claim(&mut d, "b", &["+15550000002", "+15550000003"], 1);
        let error = read_answer::<ClaimReply>(&clash.answer).unwrap_err();
        assert_eq!(error.code, ObjectErrorCode::Conflict);
        assert_eq!(error.field.as_deref(), Some("numbers"));
        assert!(
            error.message.contains("+15550000002 belongs to pool 'a'"),
            "{error}"
        );
        assert!(clash.writes.is_empty(), "a refused claim writes nothing");
        assert_eq!(
            lookup(&mut d, "+15550000003").unwrap_err().code,
            ObjectErrorCode::UnknownNumber
        );
    }

    #[test]
    fn dropped_numbers_stay_routed_until_quarantine_ends() {
        let mut d = DirectoryObject::default();
        claim(&mut d, "a", &["+15550000001", "+15550000002"], 0);
        claim(&mut d, "a", &["+15550000001"], 10);
        let entry = lookup(&mut d, "+15550000002").unwrap();
        assert_eq!((entry.pool.as_str(), entry.free_at), ("a", Some(110)));
        let early = claim(&mut d, "b", &["+15550000002"], 50);
        assert_eq!(code::<ClaimReply>(&early), ObjectErrorCode::Conflict);
        let later = claim(&mut d, "b", &["+15550000002"], 110);
        assert!(read_answer::<ClaimReply>(&later.answer).is_ok());
        assert_eq!(lookup(&mut d, "+15550000002").unwrap().pool, "b");
    }

    #[test]
    fn restore_undoes_a_claim() {
        let mut d = DirectoryObject::default();
        claim(&mut d, "a", &["+15550000001"], 0);
        let out = claim(&mut d, "a", &["+15550000002"], 5);
        let reply: ClaimReply = read_answer(&out.answer).unwrap();
        assert_eq!(reply.added, vec!["+15550000002".to_string()]);
        let undo = d.handle(
            DirectoryCommand::Restore {
                pool: "a".into(),
                previous: reply.previous,
                added: reply.added,
                previous_fallback: reply.previous_fallback,
            },
            6,
        );
        assert_eq!(read_answer::<()>(&undo.answer), Ok(()));
        assert!(lookup(&mut d, "+15550000002").is_err());
        assert_eq!(lookup(&mut d, "+15550000001").unwrap().retired_at, None);
    }

    #[test]
    fn a_released_pool_keeps_its_numbers_in_quarantine_and_loses_its_fallback() {
        let mut d = DirectoryObject::default();
        claim(&mut d, "a", &["+15550000001", "+15550000002"], 0);
        let release = |d: &mut DirectoryObject, now| {
            let outcome = d.handle(
                DirectoryCommand::Release {
                    pool: "a".into(),
                    quarantine_seconds: 100,
                },
                now,
            );
            (
                read_answer::<Released>(&outcome.answer).unwrap(),
                outcome.writes.len(),
            )
        };
        let (released, writes) = release(&mut d, 20);
        assert_eq!(released.retired, ["+15550000001", "+15550000002"]);
        assert_eq!(released.free_at, Some(120));
        assert_eq!(writes, 3, "two numbers retired, the fallback unrouted");
        // Late calls still reach the deleted pool until the quarantine ends.
        let entry = lookup(&mut d, "+15550000001").unwrap();
        assert_eq!((entry.pool.as_str(), entry.retired_at), ("a", Some(20)));
        assert!(
            lookup(&mut d, "+15550000000").is_err(),
            "fallback no longer routed"
        );
        // Another pool can't take them before then; it can afterwards.
        let early = claim(&mut d, "b", &["+15550000001"], 119);
        assert_eq!(code::<ClaimReply>(&early), ObjectErrorCode::Conflict);
        // Releasing again changes nothing and keeps the dates.
        let (again, writes) = release(&mut d, 60);
        assert!(again.retired.is_empty());
        assert_eq!((again.free_at, writes), (Some(120), 0));
        assert!(
            read_answer::<ClaimReply>(&claim(&mut d, "b", &["+15550000001"], 120).answer).is_ok()
        );
    }

    #[test]
    fn fallbacks_route_calls_until_shared() {
        let mut d = DirectoryObject::default();
        claim(&mut d, "a", &["+15550000001"], 0);
        assert_eq!(
            lookup(&mut d, "+15550000000").unwrap().pool,
            "a",
            "a call to the fallback reaches its pool"
        );
        claim(&mut d, "b", &["+15550000002"], 0);
        let shared = lookup(&mut d, "+15550000000").unwrap_err();
        assert_eq!(shared.code, ObjectErrorCode::Conflict);
        assert!(shared.message.contains("'a', 'b'"), "{shared}");
        // A fallback is never a tracking number, and the reverse.
        let clash = d.handle(
            DirectoryCommand::Claim {
                pool: "c".into(),
                numbers: vec!["+15550000000".into()],
                fallback: "+15550000009".into(),
                quarantine_seconds: 1,
                shards: 1,
                shared: Vec::new(),
            },
            0,
        );
        assert_eq!(code::<ClaimReply>(&clash), ObjectErrorCode::Conflict);
        let clash = d.handle(
            DirectoryCommand::Claim {
                pool: "c".into(),
                numbers: vec!["+15550000008".into()],
                fallback: "+15550000001".into(),
                quarantine_seconds: 1,
                shards: 1,
                shared: Vec::new(),
            },
            0,
        );
        let error = read_answer::<ClaimReply>(&clash.answer).unwrap_err();
        assert!(
            error.message.contains("is a tracking number of pool 'a'"),
            "{error}"
        );
    }

    #[test]
    fn load_round_trips_writes() {
        let mut d = DirectoryObject::default();
        let read = d.handle(
            DirectoryCommand::Lookup {
                number: "+15550000001".into(),
            },
            0,
        );
        assert!(read.writes.is_empty(), "a read creates nothing");
        let out = claim(&mut d, "a", &["+15550000001"], 0);
        let schema = DirectoryObject::SCHEMA.len();
        assert!(
            out.writes[..schema]
                .iter()
                .map(|w| w.sql)
                .eq(DirectoryObject::SCHEMA.iter().copied()),
            "the first write creates the schema"
        );
        assert_eq!(
            out.writes.len(),
            schema + 2,
            "then the number and the fallback"
        );
        let again = claim(&mut d, "a", &["+15550000001", "+15550000002"], 1);
        assert_eq!(again.writes.len(), 1, "later writes do not repeat it");
        let rows = serde_json::json!([
            {"kind": "number", "number": "+15550000001", "pool": "a", "retired_at": null, "free_at": null},
            {"kind": "fallback", "number": "+15550000000", "pool": "a", "retired_at": null, "free_at": null}
        ]);
        let mut loaded = DirectoryObject::load(&rows.to_string()).unwrap();
        assert!(lookup(&mut loaded, "+15550000001").is_ok());
        assert!(
            lookup(&mut loaded, "+15550000000").is_ok(),
            "the fallback loads too"
        );
        let more = claim(&mut loaded, "b", &["+15550000009"], 0);
        assert!(
            more.writes
                .iter()
                .take_while(|w| w.sql.starts_with("CREATE"))
                .count()
                == schema
                && more
                    .writes
                    .iter()
                    .skip(schema)
                    .all(|w| !w.sql.starts_with("CREATE")),
            "a loaded directory writes its idempotent schema once (adding newer tables)"
        );
        let after = claim(&mut loaded, "b", &["+15550000008"], 0);
        assert!(after.writes.iter().all(|w| !w.sql.starts_with("CREATE")));
        assert_eq!(
            code::<()>(&d.handle_json("{\"op\":\"nope\"}", 0)),
            ObjectErrorCode::BadCommand,
            "unknown commands are refused"
        );
    }
}
