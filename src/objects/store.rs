//! What an engine asks its Durable Object's SQLite storage to do.

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

/// The answer to one command: a status, a JSON body, and the writes that must
/// be durable before the answer leaves the object.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// 200 on success; 404 for an unknown pool or number; 409 for a conflict;
    /// 400 for a command the engine cannot read.
    pub status: u16,
    /// JSON text.
    pub body: String,
    /// Statements to apply in one transaction.
    pub writes: Vec<Write>,
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
    pub fn ok<T: Serialize + ?Sized>(body: &T, writes: Vec<Write>) -> Self {
        Outcome {
            status: 200,
            body: serde_json::to_string(body).unwrap_or_else(|_| "null".into()),
            writes,
        }
    }

    /// A failed answer with an error message and no writes.
    pub fn error(status: u16, message: impl Into<String>) -> Self {
        Outcome {
            status,
            body: serde_json::json!({ "error": message.into() }).to_string(),
            writes: Vec::new(),
        }
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
        let rows: Vec<Value> = self
            .writes
            .iter()
            .map(|w| {
                let mut row = Vec::with_capacity(w.params.len() + 1);
                row.push(Value::from(w.sql));
                row.extend(w.params.iter().cloned());
                Value::Array(row)
            })
            .collect();
        Value::Array(rows).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn writes_serialise_statement_then_params() {
        let o = Outcome::ok(
            &json!({"a": 1}),
            vec![Write::new(
                "INSERT INTO kv VALUES (?, ?)",
                vec![json!("k"), json!(2)],
            )],
        );
        assert_eq!(
            o.writes_json(),
            r#"[["INSERT INTO kv VALUES (?, ?)","k",2]]"#
        );
        assert_eq!(o.body, r#"{"a":1}"#);
    }

    #[test]
    fn errors_write_nothing() {
        let o = Outcome::error(404, "no pool");
        assert_eq!(o.status, 404);
        assert!(o.writes.is_empty());
        assert_eq!(o.writes_json(), "[]");
    }
}
