//! What an engine asks its Durable Object's storage and alarm to do.

use crate::protocol::{Answer, ObjectError};
use ringmark_pool::Timestamp;
use serde::Serialize;
use serde_json::Value;

/// One SQL statement with its parameters, applied in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Write {
    /// The statement (a constant of the engine; never built from input).
    pub sql: &'static str,
    /// Its `?` parameters.
    pub params: Vec<Value>,
}

impl Write {
    /// A statement with parameters.
    pub fn new(sql: &'static str, params: Vec<Value>) -> Self {
        Write { sql, params }
    }
}

/// An outbound HTTP request an object asks its adapter to make, after the
/// outcome's writes and alarm. The adapter does not follow redirects (a 3xx
/// is the answer), aborts after `timeout_seconds`, and hands every result
/// back, in order, to the engine's `fetched` (status 0 and the error text
/// when no answer came).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fetch {
    /// `POST`, …
    pub method: String,
    /// Absolute URL.
    pub url: String,
    /// Header names and values.
    pub headers: Vec<(String, String)>,
    /// Body text.
    pub body: String,
    /// Abort after this many seconds.
    pub timeout_seconds: u32,
}

/// The result of one command or alarm: the answer, and the effects the
/// adapter carries out before it answers — the writes (one transaction), then
/// the alarm, then a purge, then the fetches (whose results go back to the
/// engine, giving another outcome to carry out the same way). An outcome with
/// `reads` is not final: the adapter runs each query first and hands the rows
/// to the engine's `read`, whose outcome takes its place.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The [`Answer`] as JSON text (empty while `reads` are pending).
    pub answer: String,
    /// Queries whose rows the engine needs before it can answer (a report
    /// aggregated by SQLite rather than kept in memory).
    pub reads: Vec<Write>,
    /// Statements to apply in one transaction.
    pub writes: Vec<Write>,
    /// Make sure the object's alarm fires no later than this (Unix seconds):
    /// the adapter sets it unless an earlier one is already set.
    pub alarm: Option<Timestamp>,
    /// Delete all of the object's storage (and its alarm) after the writes.
    pub purge: bool,
    /// Outbound requests to make after the rest; their results go back to
    /// the engine (`fetched`), in this order.
    pub fetches: Vec<Fetch>,
}

/// Whether the row an engine's `STORED` query answered (JSON, as the adapter
/// hands it to `load_query`) counts at least one `table`: how an engine picks
/// the load query that fits an older store.
pub fn stored_has(stored_row: &str, table: &str) -> bool {
    serde_json::from_str::<Value>(stored_row)
        .ok()
        .and_then(|row| row.get(table).and_then(Value::as_i64))
        .is_some_and(|n| n > 0)
}

/// The statements of a schema as writes, to go first in an engine's first
/// write: storage is created by the first thing worth keeping, never by a
/// read, so an object that is only asked about (an unconfigured pool a token
/// names) keeps no storage at all.
pub fn schema_writes(schema: &'static [&'static str]) -> impl Iterator<Item = Write> {
    schema.iter().map(|sql| Write::new(sql, Vec::new()))
}

impl Outcome {
    /// A successful answer.
    pub fn ok<T: Serialize>(reply: T, writes: Vec<Write>) -> Self {
        Outcome::answer(Ok(reply), writes)
    }

    /// A refusal, with no writes.
    pub fn error(error: ObjectError) -> Self {
        Outcome::answer(Err::<(), _>(error), Vec::new())
    }

    /// The answer to a command (writes only go with success).
    pub fn answer<T: Serialize>(result: Result<T, ObjectError>, writes: Vec<Write>) -> Self {
        let writes = if result.is_ok() { writes } else { Vec::new() };
        Outcome {
            answer: Answer::from(result).to_json(),
            reads: Vec::new(),
            writes,
            alarm: None,
            purge: false,
            fetches: Vec::new(),
        }
    }

    /// Not an answer yet: run these queries and hand their rows to the engine.
    pub fn reading(reads: Vec<Write>) -> Self {
        Outcome {
            answer: String::new(),
            reads,
            writes: Vec::new(),
            alarm: None,
            purge: false,
            fetches: Vec::new(),
        }
    }

    /// Also asks for an alarm no later than `at`.
    pub fn with_alarm(mut self, at: Option<Timestamp>) -> Self {
        self.alarm = match (self.alarm, at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self
    }

    /// Puts `schema` before the writes, if there are any (an answer that
    /// writes nothing still creates nothing).
    pub fn creating(mut self, schema: &'static [&'static str]) -> Self {
        if !self.writes.is_empty() {
            self.writes.splice(0..0, schema_writes(schema));
        }
        self
    }

    /// The writes as JSON: `[[sql, param, …], …]`, the form the JS adapter applies.
    pub fn writes_json(&self) -> String {
        statements_json(&self.writes)
    }

    /// The reads as JSON, in the same form as the writes.
    pub fn reads_json(&self) -> String {
        statements_json(&self.reads)
    }
}

/// The statements as JSON text, `[[sql, param, …], …]`, written in one pass
/// into a buffer sized up front for its escapes: a large pool's snapshot
/// parts are neither cloned into a JSON tree nor copied again as the buffer
/// doubles (a doubling at the end of a 44 MB text once set a pool object's
/// memory high-water mark: the old and the new buffer side by side).
pub fn statements_json(statements: &[Write]) -> String {
    let len = 2 + statements
        .iter()
        .map(|w| statement_len(w) + 1)
        .sum::<usize>();
    let rows: Vec<Statement<'_>> = statements.iter().map(Statement).collect();
    to_json(&rows, len)
}

/// Most JSON text the adapter takes in one chunk of writes (`Outcome.take_writes`
/// of the wasm surface), unless one statement alone is larger: an open's
/// writes go together, as one text, and each snapshot part (up to
/// [`crate::objects::pool::SNAPSHOT_PART_BYTES`] before escaping) goes alone.
pub const WRITES_CHUNK_BYTES: usize = 1 << 20;

/// How many of `writes` the next chunk takes: as many as fit in `budget`
/// bytes of JSON text, and at least one (none only if there are none). The
/// adapter takes a large pool's writes in such chunks, not as one text of them
/// all, so a snapshot part is copied out of wasm memory on its own, while the
/// small writes of a batch of opens still cross in one text.
pub fn chunk_len(writes: &[Write], budget: usize) -> usize {
    let mut bytes = 2;
    let mut n = 0;
    for write in writes {
        bytes += statement_len(write) + 1;
        if n > 0 && bytes > budget {
            break;
        }
        n += 1;
    }
    n
}

/// A statement serialised as `[sql, param, …]`.
struct Statement<'a>(&'a Write);

impl Serialize for Statement<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(Some(self.0.params.len() + 1))?;
        seq.serialize_element(self.0.sql)?;
        for param in &self.0.params {
            seq.serialize_element(param)?;
        }
        seq.end()
    }
}

/// `value` as JSON text, in a buffer of `capacity` bytes to begin with.
fn to_json(value: &impl Serialize, capacity: usize) -> String {
    let mut out = Vec::with_capacity(capacity);
    // Serialising plain strings and JSON values into a Vec cannot fail.
    if serde_json::to_writer(&mut out, value).is_err() {
        return "[]".to_owned();
    }
    String::from_utf8(out).unwrap_or_else(|_| "[]".to_owned())
}

/// Room for a statement's JSON text: for its strings (the SQL and text
/// parameters, which is where the bytes are) see [`json_string_room`], a
/// generous guess for anything else.
fn statement_len(write: &Write) -> usize {
    let params: usize = write
        .params
        .iter()
        .map(|p| p.as_str().map_or(24, json_string_room) + 1)
        .sum();
    json_string_room(write.sql) + params + 2
}

/// Room for `text` as a JSON string literal: its quotes, and a quarter more
/// for escapes. A snapshot's quotes and backslashes are about 15 % of its
/// bytes (the old `len / 16` fell short, and the buffer doubled at the end);
/// counting them exactly costs a pass over every part (taking the writes took
/// a quarter longer in `bench/wasm/pool-memory.mjs`'s feed). A text that
/// escapes more only makes its buffer grow once.
fn json_string_room(text: &str) -> usize {
    text.len() + text.len() / 4 + 2
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{ObjectErrorCode, read_answer};
    use serde_json::json;

    #[test]
    fn writes_serialise_statement_then_params() {
        let o = Outcome::ok(
            json!({"a": 1}),
            vec![Write::new(
                "INSERT INTO kv VALUES (?, ?)",
                vec![json!("k"), json!(2)],
            )],
        );
        assert_eq!(
            o.writes_json(),
            r#"[["INSERT INTO kv VALUES (?, ?)","k",2]]"#
        );
        assert_eq!(o.answer, r#"{"ok":{"a":1}}"#);
    }

    #[test]
    fn the_room_reserved_holds_a_snapshots_statements() {
        // A snapshot's text escapes about 15 % of its bytes (its quotes).
        let holder = r#"{"campaign":0,"recipient":"recipient-123","association":{"number":3,"interval":0,"phase":"held"}}"#;
        let part = format!("[{}]", vec![holder; 1_000].join(","));
        let write = Write::new(
            "INSERT INTO snapshot_parts (part, body) VALUES (?, ?)",
            vec![json!(0), json!(part)],
        );
        let rows = statements_json(std::slice::from_ref(&write));
        assert!(rows.len() <= statement_len(&write) + 2);
        assert_eq!(
            rows,
            serde_json::to_string(&json!([[write.sql, 0, part]])).unwrap()
        );
        // A text that escapes more is still written whole (its buffer grows).
        let text = "\"\\\u{1}".repeat(1_000);
        let write = Write::new("INSERT INTO t VALUES (?)", vec![json!(text)]);
        assert_eq!(
            Outcome::ok((), vec![write]).writes_json(),
            serde_json::to_string(&json!([["INSERT INTO t VALUES (?)", text]])).unwrap()
        );
    }

    #[test]
    fn chunks_hold_what_fits_and_a_large_statement_alone() {
        let small = Write::new("INSERT INTO t VALUES (?)", vec![json!(1)]);
        let large = Write::new("INSERT INTO t VALUES (?)", vec![json!("x".repeat(2_000))]);
        let writes = vec![small.clone(), small.clone(), large, small.clone()];
        assert_eq!(chunk_len(&writes, 1_000), 2, "the small ones together");
        assert_eq!(chunk_len(&writes[2..], 1_000), 1, "the large one alone");
        assert_eq!(chunk_len(&writes[3..], 1_000), 1);
        assert_eq!(chunk_len(&[], 1_000), 0);
        assert_eq!(chunk_len(&writes, usize::MAX), 4);
        // What a chunk takes fits its budget whenever it holds more than one statement.
        for budget in [1, 60, 100, 1_000, 3_000] {
            let n = chunk_len(&writes, budget);
            assert!(
                n == 1 || statements_json(&writes[..n]).len() <= budget,
                "{budget}"
            );
        }
    }

    #[test]
    fn errors_write_nothing() {
        let o = Outcome::answer(
            Err::<(), _>(ObjectError::new(ObjectErrorCode::UnknownPool, "no pool")),
            vec![Write::new("DELETE FROM kv", Vec::new())],
        );
        assert!(o.writes.is_empty());
        assert_eq!(o.writes_json(), "[]");
        assert_eq!(
            read_answer::<()>(&o.answer).unwrap_err().code,
            ObjectErrorCode::UnknownPool
        );
    }

    #[test]
    fn the_earliest_alarm_wins() {
        let o = Outcome::ok((), Vec::new())
            .with_alarm(Some(50))
            .with_alarm(Some(40))
            .with_alarm(None);
        assert_eq!(o.alarm, Some(40));
    }
}
