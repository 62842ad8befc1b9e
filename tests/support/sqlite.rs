//! One Durable Object's SQLite storage, in memory: the SQL an engine names runs in real SQLite,
//! the way `worker/objects.js` runs it in workerd. Shared by the native tests (`tests/support`)
//! and the fuzz targets (`fuzz/src/service.rs`, by path).
#![allow(dead_code)] // each user takes its own part

use ringmark::objects::Write;
use ringmark::objects::pool::PoolObject;
use rusqlite::Connection;
use rusqlite::types::Value as SqlValue;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Rows of a query, as the adapter hands them to an engine's `load`.
fn rows_json(conn: &Connection, sql: &str) -> String {
    rows_json_with(conn, sql, &[])
}

/// Rows of a query with `?` parameters (as the adapter binds them).
fn rows_json_with(conn: &Connection, sql: &str, params: &[Value]) -> String {
    let mut statement = conn
        .prepare(sql)
        .unwrap_or_else(|e| panic!("engine query does not prepare in SQLite: {e}: {sql}"));
    let names: Vec<String> = statement.column_names().map(str::to_owned).collect();
    let params: Vec<SqlValue> = params.iter().map(to_sql).collect();
    let mut rows = statement
        .query(rusqlite::params_from_iter(params))
        .unwrap_or_else(|e| panic!("engine query fails in SQLite: {e}: {sql}"));
    let mut out = Vec::new();
    while let Some(row) = rows.next().expect("SQLite row") {
        let mut object = Map::new();
        for (i, name) in names.iter().enumerate() {
            let value: SqlValue = row.get(i).expect("SQLite column");
            object.insert(name.clone(), from_sql(value));
        }
        out.push(Value::Object(object));
    }
    Value::Array(out).to_string()
}

/// A SQLite value as workerd hands it to JavaScript (then JSON).
fn from_sql(value: SqlValue) -> Value {
    match value {
        SqlValue::Null => Value::Null,
        SqlValue::Integer(i) => Value::from(i),
        SqlValue::Real(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        SqlValue::Text(s) => Value::String(s),
        SqlValue::Blob(b) => Value::from(b),
    }
}

/// A JSON parameter as the adapter binds it (`sql.exec(statement, ...params)`).
fn to_sql(value: &Value) -> SqlValue {
    match value {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => SqlValue::Integer(i),
            None => SqlValue::Real(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => SqlValue::Text(s.clone()),
        other => SqlValue::Text(other.to_string()),
    }
}

/// The largest string, BLOB or row a Durable Object's SQLite stores (2 MB).
pub const MAX_VALUE_BYTES: i32 = 2_000_000;

/// One Durable Object's SQLite storage.
pub struct Store {
    conn: Connection,
}

impl Default for Store {
    fn default() -> Self {
        let conn = Connection::open_in_memory().expect("in-memory SQLite");
        // Cloudflare's SQLite-backed Durable Objects refuse any string, BLOB or row over
        // 2 MB (developers.cloudflare.com/durable-objects/platform/limits): so does this one.
        conn.set_limit(
            rusqlite::limits::Limit::SQLITE_LIMIT_LENGTH,
            MAX_VALUE_BYTES,
        )
        .expect("SQLite takes the length limit");
        Store { conn }
    }
}

impl Store {
    /// Applies an outcome's writes in one transaction, as `objects.js` does.
    /// A write that SQLite refuses is an engine bug (the adapter would drop
    /// the engine and reload it, forever): it panics, naming the statement.
    pub fn apply(&mut self, writes: &[Write]) {
        if writes.is_empty() {
            return;
        }
        let tx = self.conn.transaction().expect("SQLite transaction");
        for write in writes {
            let params: Vec<SqlValue> = write.params.iter().map(to_sql).collect();
            if let Err(e) = tx.execute(write.sql, rusqlite::params_from_iter(params)) {
                let params = format!("{:?}", write.params);
                let shown: String = params.chars().take(300).collect();
                panic!(
                    "SQLite refused an engine write: {e}\n  {}\n  params ({} chars) {shown}…",
                    write.sql,
                    params.len()
                );
            }
        }
        tx.commit().expect("SQLite commit");
    }

    /// The rows an engine loads from: `LOAD` when `STORED` says its tables exist, else none.
    ///
    /// `load` picks the query for the schema the `stored` row describes (its JSON), as
    /// `objects.js` asks `Engine.load_query(row)`.
    pub fn load_rows(&self, stored: &str, load: fn(&str) -> &'static str) -> String {
        let rows: Value = serde_json::from_str(&rows_json(&self.conn, stored)).expect("JSON");
        let row = rows.get(0).cloned().unwrap_or(Value::Null);
        if row.get("stored").and_then(Value::as_i64) == Some(1) {
            rows_json(&self.conn, load(&row.to_string()))
        } else {
            "[]".to_owned()
        }
    }

    /// A pool object's engine loaded from this storage as `worker/objects.js` loads it: the
    /// snapshot's parts handed over one at a time (`load_streamed`), the rows before them in one
    /// text; a store of format 1 (no parts table) from every row at once.
    pub fn load_pool(&self) -> Result<PoolObject, String> {
        let rows: Value =
            serde_json::from_str(&rows_json(&self.conn, PoolObject::STORED)).expect("JSON");
        let row = rows.get(0).cloned().unwrap_or(Value::Null);
        if row.get("stored").and_then(Value::as_i64) != Some(1) {
            return PoolObject::load("[]");
        }
        let row = row.to_string();
        let Some(parts) = PoolObject::parts_query(&row) else {
            return PoolObject::load(&rows_json(&self.conn, PoolObject::load_query(&row)));
        };
        let parts: Vec<String> = match serde_json::from_str(&rows_json(&self.conn, parts)) {
            Ok(Value::Array(rows)) => rows
                .iter()
                .map(|r| r["b"].as_str().expect("a part's text").to_owned())
                .collect(),
            _ => panic!("the parts query answers rows"),
        };
        let rows = rows_json(&self.conn, PoolObject::rows_query(&row));
        PoolObject::load_streamed(rows, parts.into_iter())
    }

    /// Every table's rows, sorted: the whole of what is stored.
    pub fn dump(&self) -> String {
        let mut tables: Vec<String> = Vec::new();
        let mut statement = self
            .conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .expect("sqlite_master");
        let names = statement
            .query_map([], |row| row.get::<_, String>(0))
            .expect("table names");
        for name in names {
            let name = name.expect("table name");
            let rows: Value =
                serde_json::from_str(&rows_json(&self.conn, &format!("SELECT * FROM \"{name}\"")))
                    .expect("rows are JSON");
            let mut rows: Vec<String> = rows
                .as_array()
                .into_iter()
                .flatten()
                .map(Value::to_string)
                .collect();
            rows.sort();
            tables.push(format!("{name}: {}", rows.join(", ")));
        }
        tables.join("\n")
    }

    /// The numbers the directory's tables hold.
    pub fn directory_numbers(&self) -> Vec<String> {
        let Ok(mut statement) = self
            .conn
            .prepare("SELECT number FROM numbers UNION SELECT number FROM fallbacks")
        else {
            return Vec::new(); // no schema yet
        };
        statement
            .query_map([], |row| row.get::<_, String>(0))
            .expect("directory numbers")
            .map(|n| n.expect("number"))
            .collect()
    }
}

impl Store {
    /// The whole database as SQL text (schema, then every row as an `INSERT`), the form the
    /// stored-format fixtures are committed in.
    pub fn sql_dump(&self) -> String {
        let mut out = String::new();
        let mut tables = self
            .conn
            .prepare("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type DESC, name")
            .expect("sqlite_master");
        let objects: Vec<(String, String)> = tables
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .expect("schema")
            .map(|r| r.expect("schema row"))
            .collect();
        for (_, sql) in &objects {
            out.push_str(sql);
            out.push_str(";\n");
        }
        for (name, sql) in &objects {
            if !sql.starts_with("CREATE TABLE") {
                continue;
            }
            let mut statement = self
                .conn
                .prepare(&format!("SELECT * FROM \"{name}\""))
                .expect("select");
            let columns = statement.column_count();
            let mut rows = statement.query([]).expect("rows");
            while let Some(row) = rows.next().expect("row") {
                let values: Vec<String> = (0..columns)
                    .map(|i| match row.get::<_, SqlValue>(i).expect("value") {
                        SqlValue::Null => "NULL".to_owned(),
                        SqlValue::Integer(i) => i.to_string(),
                        SqlValue::Real(f) => f.to_string(),
                        SqlValue::Text(s) => format!("'{}'", s.replace('\'', "''")),
                        SqlValue::Blob(_) => "NULL".to_owned(),
                    })
                    .collect();
                out.push_str(&format!(
                    "INSERT INTO \"{name}\" VALUES ({});\n",
                    values.join(", ")
                ));
            }
        }
        out
    }

    /// A database restored from [`Store::sql_dump`] text.
    pub fn from_sql(dump: &str) -> Self {
        let store = Store::default();
        store.conn.execute_batch(dump).expect("fixture SQL loads");
        store
    }
}

impl Store {
    /// Rows per table (no tables: empty).
    pub fn table_counts(&self) -> BTreeMap<String, usize> {
        let mut statement = self
            .conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .expect("sqlite_master");
        let names: Vec<String> = statement
            .query_map([], |row| row.get::<_, String>(0))
            .expect("table names")
            .map(|n| n.expect("table name"))
            .collect();
        names
            .into_iter()
            .map(|name| {
                let count: i64 = self
                    .conn
                    .query_row(&format!("SELECT COUNT(*) FROM \"{name}\""), [], |row| {
                        row.get(0)
                    })
                    .expect("count");
                (name, usize::try_from(count).unwrap_or(0))
            })
            .collect()
    }

    /// The rows of each read an engine asked for, as the JSON array its `read` takes.
    pub fn reads(&self, reads: &[Write]) -> String {
        let results: Vec<Value> = reads
            .iter()
            .map(|r| {
                serde_json::from_str(&rows_json_with(&self.conn, r.sql, &r.params))
                    .expect("rows are JSON")
            })
            .collect();
        Value::Array(results).to_string()
    }

    /// Runs a query and answers its rows as JSON (for assertions).
    pub fn query(&self, sql: &str) -> Value {
        serde_json::from_str(&rows_json(&self.conn, sql)).expect("rows are JSON")
    }
}
