//! One deployment in memory: the [`Edge`] and its Durable Objects, each
//! object's storage a real in-memory SQLite database.
//!
//! This is `worker/index.js` and `worker/objects.js` in Rust: the request
//! loop answers every [`Step::Forward`] by handing the command to the
//! engine of the named object and resuming the edge with its answer, and
//! each object applies the SQL its engine names ([`Outcome::writes`]) in one
//! transaction before it answers. [`Service::reload_pool`] and
//! [`Service::reload_directory`] do what the platform does when it evicts an
//! object: a fresh engine is loaded from the rows of the engine's own `LOAD`
//! query, which must bring it back exactly as it was.

use ringmark::edge::{Edge, EdgeConfig, Step, Target};
use ringmark::http::{Request, Response};
use ringmark::objects::{DirectoryObject, Outcome, PoolObject, Write};
use rusqlite::Connection;
use rusqlite::types::Value as SqlValue;
use serde_json::{Map, Value};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// `RINGMARK_SIGNING_KEY` of the fuzzed deployment: two keys, id 7 signs,
/// id 3 (an older key) still verifies.
pub const SIGNING_KEY: &str = "7:fuzz-signing-key-0123456789, 3:older-fuzz-signing-key-abc";
/// The key that signs new tokens, alone (what [`ringmark::token::Keyring::sign`] uses).
pub const CURRENT_KEY: &str = "7:fuzz-signing-key-0123456789";
/// The older key, alone: its tokens verify under [`SIGNING_KEY`].
pub const OLDER_KEY: &str = "3:older-fuzz-signing-key-abc";
/// A key id the deployment does not have.
pub const UNKNOWN_KEY: &str = "9:unknown-fuzz-signing-key-xyz";
/// The deployment's key id 7 with another secret: its tokens are forgeries.
pub const FORGED_KEY: &str = "7:not-the-deployments-secret!";
/// `RINGMARK_ADMIN_TOKEN`.
pub const ADMIN_TOKEN: &str = "fuzz-admin-token-0123456789";
/// The origin every request URL starts with.
pub const BASE: &str = "https://t.example.com";
/// Unix seconds at the start of every input.
pub const START: i64 = 1_800_000_000;
/// `RINGMARK_IP_RANGES`: a few ranges of each kind, so the IP path runs.
pub const IP_RANGES: &str = "\
66.102.0.0/20,google-image-proxy
132.245.0.0/16,microsoft-scanner
17.0.0.0/8,apple-private-relay
2a02:26f7::/32,apple-private-relay
98.136.0.0/14,yahoo-image-proxy
203.0.113.0/24,scanner
";
/// A small device-model table (the shipped one is 1.2 MB; its format is what matters).
pub const DEVICE_MODELS: &str = "\
# model<TAB>class
SM-T870\ttablet
BQ-7098G\ttablet
X96mini\ttv
TZ195\ttablet
Pixel 8\tsmartphone
";

/// Rows of a query, as the adapter hands them to an engine's `load`.
fn rows_json(conn: &Connection, sql: &str) -> String {
    let mut statement = conn
        .prepare(sql)
        .unwrap_or_else(|e| panic!("engine query does not prepare in SQLite: {e}: {sql}"));
    let names: Vec<String> = statement.column_names().map(str::to_owned).collect();
    let mut rows = statement
        .query([])
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

/// One Durable Object's SQLite storage.
pub struct Store {
    conn: Connection,
}

impl Default for Store {
    fn default() -> Self {
        Store {
            conn: Connection::open_in_memory().expect("in-memory SQLite"),
        }
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
                panic!(
                    "SQLite refused an engine write: {e}\n  {}\n  params {:?}",
                    write.sql, write.params
                );
            }
        }
        tx.commit().expect("SQLite commit");
    }

    /// The rows an engine loads from: `LOAD` when `STORED` says its tables exist, else none.
    pub fn load_rows(&self, stored: &str, load: &str) -> String {
        let stored: i64 = self
            .conn
            .query_row(stored, [], |row| row.get(0))
            .unwrap_or_else(|e| panic!("STORED query fails in SQLite: {e}: {stored}"));
        if stored == 1 {
            rows_json(&self.conn, load)
        } else {
            "[]".to_owned()
        }
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

/// A pool object: its engine and its storage.
pub struct PoolSlot {
    /// The engine.
    pub engine: PoolObject,
    /// Its storage.
    pub store: Store,
}

/// Checks what every engine answer must be, then applies its writes.
fn settle(outcome: &Outcome, store: &mut Store, what: &str, command: &str) {
    assert!(
        outcome.status == 200 || outcome.writes.is_empty(),
        "{what} answered {} and still asked for writes {:?}\n  command {command}",
        outcome.status,
        outcome.writes
    );
    assert!(
        serde_json::from_str::<Value>(&outcome.body).is_ok(),
        "{what} answered text that is not JSON: {:?}",
        outcome.body
    );
    store.apply(&outcome.writes);
}

/// Where each forward of one request went, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The object.
    pub target: Target,
    /// Its answer's status.
    pub status: u16,
    /// Its answer.
    pub body: String,
    /// How many writes it asked for.
    pub writes: usize,
}

/// The edge and the objects of one deployment.
pub struct Service {
    /// The edge of the (one) isolate.
    pub edge: Edge,
    /// Pool objects by name (created on first use, like `idFromName`).
    pub pools: BTreeMap<String, PoolSlot>,
    /// The directory's engine.
    pub directory: DirectoryObject,
    /// The directory's storage.
    pub directory_store: Store,
    /// What the forwards of the last [`Service::run`] did.
    pub deliveries: Vec<Delivery>,
    now: Rc<Cell<i64>>,
}

impl Default for Service {
    fn default() -> Self {
        Service::new()
    }
}

impl Service {
    /// A deployment with [`SIGNING_KEY`], [`ADMIN_TOKEN`], [`IP_RANGES`] and
    /// [`DEVICE_MODELS`], no pool, at [`START`].
    pub fn new() -> Self {
        let now = Rc::new(Cell::new(START));
        let clock = Rc::clone(&now);
        let edge = Edge::new(&EdgeConfig {
            signing_key: SIGNING_KEY.into(),
            admin_token: ADMIN_TOKEN.into(),
            ip_ranges: IP_RANGES.into(),
            device_models: device_models(),
        })
        .with_clock(move || clock.get());
        assert!(
            edge.take_log().is_empty(),
            "the fuzzed deployment's configuration is refused"
        );
        Service {
            edge,
            pools: BTreeMap::new(),
            directory: DirectoryObject::load("[]").expect("an empty directory loads"),
            directory_store: Store::default(),
            deliveries: Vec::new(),
            now,
        }
    }

    /// Unix seconds now (the objects' clock and the edge's).
    pub fn now(&self) -> i64 {
        self.now.get()
    }

    /// Moves the clock forward.
    pub fn advance(&mut self, seconds: i64) {
        self.now.set(self.now.get().saturating_add(seconds.max(0)));
    }

    /// Sends a forward's command to its object, as the adapter does.
    fn deliver(&mut self, target: &Target, command: &str) -> (u16, String) {
        let now = self.now();
        let (outcome, store, what) = match target {
            Target::Pool(name) => {
                let slot = self.pools.entry(name.clone()).or_insert_with(|| PoolSlot {
                    engine: PoolObject::load("[]").expect("an empty pool loads"),
                    store: Store::default(),
                });
                (slot.engine.handle(command, now), &mut slot.store, "pool")
            }
            Target::Directory => (
                self.directory.handle(command, now),
                &mut self.directory_store,
                "directory",
            ),
        };
        settle(&outcome, store, what, command);
        self.deliveries.push(Delivery {
            target: target.clone(),
            status: outcome.status,
            body: outcome.body.clone(),
            writes: outcome.writes.len(),
        });
        (outcome.status, outcome.body)
    }

    /// Runs a request to its response (the Worker's fetch loop). A request
    /// that keeps forwarding past 16 steps is a bug.
    pub fn run(&mut self, request: &Request) -> Response {
        self.deliveries.clear();
        let mut step = self.edge.begin(request);
        for _ in 0..16 {
            match step {
                Step::Respond(response) => {
                    let _ = self.edge.take_log();
                    return response;
                }
                Step::Forward(forward) => {
                    let (status, body) = self.deliver(&forward.target, &forward.command);
                    step = self.edge.resume(forward, status, &body);
                }
            }
        }
        panic!(
            "{} {} forwarded more than 16 times: {:?}",
            request.method, request.url, self.deliveries
        );
    }

    /// An admin request with the right bearer token.
    pub fn admin(&mut self, method: &str, path: &str, body: &[u8]) -> Response {
        let request = Request::new(method, &format!("{BASE}{path}"))
            .header("authorization", &format!("Bearer {ADMIN_TOKEN}"))
            .body(body.to_vec());
        self.run(&request)
    }

    /// A pool's `state` answer (status, body), straight from its engine, or
    /// `None` when no object of that name was ever addressed.
    pub fn pool_state(&mut self, pool: &str) -> Option<(u16, String)> {
        let now = self.now();
        self.pools.get_mut(pool).map(|slot| {
            let outcome = slot.engine.handle(r#"{"op":"state"}"#, now);
            assert!(
                outcome.writes.is_empty(),
                "state wrote {:?}",
                outcome.writes
            );
            (outcome.status, outcome.body)
        })
    }

    /// The directory's answer for each number it stores and each of `extra`.
    pub fn directory_view(&mut self, extra: &[&str]) -> Vec<(String, u16, String)> {
        let now = self.now();
        let mut numbers = self.directory_store.directory_numbers();
        numbers.extend(extra.iter().map(|n| (*n).to_owned()));
        numbers.sort();
        numbers.dedup();
        numbers
            .into_iter()
            .map(|number| {
                let command = serde_json::json!({"op": "lookup", "number": number}).to_string();
                let outcome = self.directory.handle(&command, now);
                assert!(
                    outcome.writes.is_empty(),
                    "lookup wrote {:?}",
                    outcome.writes
                );
                (number, outcome.status, outcome.body)
            })
            .collect()
    }

    /// Everything observable: each engine's answers and each store's rows.
    pub fn fingerprint(&mut self, extra: &[&str]) -> String {
        let mut out = String::new();
        let names: Vec<String> = self.pools.keys().cloned().collect();
        for name in names {
            let state = self.pool_state(&name);
            let slot = &self.pools[&name];
            if matches!(state, Some((404, _))) && slot.store.dump().is_empty() {
                continue; // addressed, never configured: the same as no object at all
            }
            out.push_str(&format!("pool {name}: {state:?}\n{}\n", slot.store.dump()));
        }
        let view = self.directory_view(extra);
        out.push_str(&format!(
            "directory: {view:?}\n{}\n",
            self.directory_store.dump()
        ));
        out
    }

    /// The platform evicts a pool object and loads it again from storage:
    /// its answers must not change.
    pub fn reload_pool(&mut self, pool: &str) {
        let before = self.pool_state(pool);
        let Some(slot) = self.pools.get_mut(pool) else {
            return;
        };
        let rows = slot.store.load_rows(PoolObject::STORED, PoolObject::LOAD);
        slot.engine = PoolObject::load(&rows).unwrap_or_else(|e| {
            panic!("pool {pool} does not load from its own storage: {e}\nrows {rows}")
        });
        let after = self.pool_state(pool);
        assert_eq!(
            before, after,
            "pool {pool} answers differently after a reload from storage"
        );
    }

    /// The platform evicts the directory and loads it again from storage.
    pub fn reload_directory(&mut self, extra: &[&str]) {
        let before = self.directory_view(extra);
        let rows = self
            .directory_store
            .load_rows(DirectoryObject::STORED, DirectoryObject::LOAD);
        self.directory = DirectoryObject::load(&rows).unwrap_or_else(|e| {
            panic!("the directory does not load from its own storage: {e}\nrows {rows}")
        });
        let after = self.directory_view(extra);
        assert_eq!(
            before, after,
            "the directory answers differently after a reload from storage"
        );
    }
}

/// [`DEVICE_MODELS`], parsed once per process.
pub fn device_models() -> ringmark::classify::DeviceModels {
    static MODELS: std::sync::OnceLock<ringmark::classify::DeviceModels> =
        std::sync::OnceLock::new();
    MODELS
        .get_or_init(|| {
            ringmark::classify::DeviceModels::parse(DEVICE_MODELS).expect("the fuzz model table")
        })
        .clone()
}
