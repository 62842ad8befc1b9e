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
/// into a buffer sized exactly up front: a large pool's snapshot parts
/// (hundreds of MB in all) are neither cloned into a JSON tree nor copied
/// again as the buffer doubles (a doubling at the end of a 44 MB text once
/// set a pool object's memory high-water mark: the old and the new buffer
/// side by side).
pub fn statements_json(statements: &[Write]) -> String {
    let len = 2 + statements
        .iter()
        .map(|w| statement_len(w) + 1)
        .sum::<usize>();
    let rows: Vec<Statement<'_>> = statements.iter().map(Statement).collect();
    to_json(&rows, len)
}

/// One statement as JSON text, `[sql, param, …]`: the form in which the
/// adapter takes the writes one at a time (`Outcome.take_write` of the wasm
/// surface), so a snapshot part is copied out of wasm memory on its own
/// instead of inside one text of all the writes.
pub fn statement_json(write: &Write) -> String {
    to_json(&Statement(write), statement_len(write))
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

/// The length of a statement's JSON text: exact for its strings (the SQL and
/// text parameters, which is where the bytes are), a generous guess for
/// anything else.
fn statement_len(write: &Write) -> usize {
    let params: usize = write
        .params
        .iter()
        .map(|p| p.as_str().map_or(24, json_string_len) + 1)
        .sum();
    json_string_len(write.sql) + params + 2
}

/// The length of `text` as a JSON string literal, quotes and escapes included
/// (as serde_json writes it: a quote, a backslash and the short-form control
/// characters take two bytes, other control characters six).
fn json_string_len(text: &str) -> usize {
    let escapes: usize = text
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 1,
            0x00..=0x1f => 5,
            _ => 0,
        })
        .sum();
    text.len() + escapes + 2
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
    fn the_lengths_written_are_the_lengths_reserved() {
        let text = "a \"quoted\" \\ back\tslash\n\u{1}\u{1f} ünï ✉ 😀 \u{7f}";
        for params in [
            vec![json!(text), json!(7), Value::Null],
            vec![json!(""), json!(text.repeat(1_000))],
            Vec::new(),
        ] {
            let write = Write::new("INSERT INTO t VALUES (?, ?)", params);
            let one = statement_json(&write);
            assert_eq!(
                json_string_len(text),
                serde_json::to_string(text).unwrap().len()
            );
            assert!(one.len() <= statement_len(&write));
            let json = Outcome::ok((), vec![write.clone(), write]).writes_json();
            assert_eq!(json, format!("[{one},{one}]"));
        }
        // Text parameters (a snapshot's parts) are sized to the byte.
        let parts = Write::new(
            "INSERT INTO t VALUES (?, ?)",
            vec![json!(text), json!(text)],
        );
        assert_eq!(statement_json(&parts).len(), statement_len(&parts));
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
