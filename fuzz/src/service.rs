//! One deployment in memory: the [`Edge`] and its Durable Objects, each
//! object's storage a real in-memory SQLite database, each pool object with
//! its alarm.
//!
//! This is `worker/index.js` and `worker/objects.js` in Rust, the loop of
//! `tests/support/mod.rs` (`Service::answer`, `finish`, `advance`): a
//! [`Step`]'s response is sent as soon as it is known, its [`Effect`]s run
//! (an object's command goes to the engine of the named object, a fetch
//! fails: there is no network) and resume the edge, until none are left;
//! effects of a step that already answered run after the response. Each
//! object carries out its engine's [`Outcome`] as the adapter does
//! (`PoolSlot::carry_out`): the writes in one transaction, the alarm (the
//! earliest wins), the purge (a fresh empty store and engine). Pool alarms
//! fire through [`Service::fire_alarms`]. [`Service::reload_pool`] and
//! [`Service::reload_directory`] do what the platform does when it evicts an
//! object: a fresh engine is loaded from the rows of the engine's own `LOAD`
//! query, which must bring it back exactly as it was.
//!
//! The storage is the native tests' (`tests/support/sqlite.rs`, included by path).

use ringmark::edge::{Edge, EdgeConfig, Effect, EffectResult, Outbound, Step, Target};
use ringmark::http::{Request, Response};
use ringmark::objects::outbox::WebhooksObject;
use ringmark::objects::{DirectoryObject, Outcome, PoolObject};
use ringmark::protocol::{
    Answer, DirectoryCommand, ObjectError, ObjectErrorCode, PoolCommand, read_answer,
};
use serde_json::Value;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::rc::Rc;

#[path = "../../tests/support/sqlite.rs"]
mod sqlite;
pub use sqlite::Store;

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
/// `TWILIO_AUTH_TOKEN` of the fuzzed deployment.
pub const TWILIO_AUTH_TOKEN: &str = "fuzz-twilio-auth-token";
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

/// A pool object: its engine, its storage and its alarm.
pub struct PoolSlot {
    /// The engine.
    pub engine: PoolObject,
    /// Its storage.
    pub store: Store,
    /// Unix seconds the object's alarm is set for.
    pub alarm: Option<i64>,
}

impl Default for PoolSlot {
    fn default() -> Self {
        PoolSlot {
            engine: PoolObject::empty(),
            store: Store::default(),
            alarm: None,
        }
    }
}

impl PoolSlot {
    /// Carries out an engine outcome as `objects.js` does (`tests/support`'s
    /// `PoolSlot::carry_out`): writes, then the alarm (earliest wins), then a purge.
    fn carry_out(&mut self, outcome: &Outcome) {
        self.store.apply(&outcome.writes);
        if let Some(at) = outcome.alarm
            && self.alarm.is_none_or(|current| current > at)
        {
            self.alarm = Some(at);
        }
        if outcome.purge {
            self.alarm = None;
            self.store = Store::default();
            self.engine = PoolObject::empty();
        }
    }
}

/// Checks what every engine answer must be: JSON of an [`Answer`] (`{"ok": …}`
/// or `{"error": {"code", "message", "field"?}}` with a known code and a
/// message), and an error never carries writes, an alarm or a purge. Returns
/// the reply (as JSON) or the error.
pub fn settle(outcome: &Outcome, what: &str, command: &str) -> Result<Value, ObjectError> {
    let value: Value = serde_json::from_str(&outcome.answer).unwrap_or_else(|e| {
        panic!(
            "{what} answered text that is not JSON ({e}): {:?}\n  command {command}",
            outcome.answer
        )
    });
    let answer: Answer<Value> = serde_json::from_value(value.clone()).unwrap_or_else(|e| {
        panic!("{what} answered JSON that is not an Answer ({e}): {value}\n  command {command}")
    });
    let keys: Vec<&String> = value
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert!(
        keys == ["ok"] || keys == ["error"],
        "{what} answered {value}\n  command {command}"
    );
    match answer {
        Answer::Ok(reply) => Ok(reply),
        Answer::Error(error) => {
            assert!(
                outcome.writes.is_empty() && outcome.alarm.is_none() && !outcome.purge,
                "{what} refused ({error}) and still asked for writes {:?}, alarm {:?}, purge {}\n  command {command}",
                outcome.writes,
                outcome.alarm,
                outcome.purge
            );
            assert!(
                !error.message.is_empty(),
                "{what} refused without a message: {value}\n  command {command}"
            );
            assert!(
                error.field.as_deref().is_none_or(|f| !f.is_empty()),
                "{what}: empty field in {value}"
            );
            Err(error)
        }
    }
}

/// One command one request sent to an object, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    /// The object.
    pub target: Target,
    /// The command text.
    pub command: String,
    /// Its answer: the reply (JSON) or the refusal.
    pub result: Result<Value, ObjectError>,
    /// How many writes it asked for.
    pub writes: usize,
}

impl Delivery {
    /// The object answered `ok`.
    pub fn ok(&self) -> bool {
        self.result.is_ok()
    }

    /// The refusal's code, if refused.
    pub fn code(&self) -> Option<ObjectErrorCode> {
        self.result.as_ref().err().map(|e| e.code)
    }

    /// The reply (`null` when refused).
    pub fn reply(&self) -> &Value {
        self.result.as_ref().unwrap_or(&Value::Null)
    }
}

/// What one pool alarm did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fired {
    /// The pool.
    pub pool: String,
    /// When it fired.
    pub at: i64,
    /// Whether it purged the pool's storage.
    pub purged: bool,
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
    /// What the object effects of the last [`Service::run`] did, in order.
    pub deliveries: Vec<Delivery>,
    /// How many of [`Service::deliveries`] ran before the response was known
    /// (the rest ran after it).
    pub before_response: usize,
    /// Outbound fetches of the last [`Service::run`] (all fail: no network).
    pub fetches: Vec<Outbound>,
    /// The webhooks object's engine (its deliveries are not fuzzed: it takes
    /// the events the request path enqueues and must answer each).
    pub webhooks: WebhooksObject,
    /// Commands the webhooks object got.
    pub webhook_commands: usize,
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
        let draws = Rc::new(Cell::new(0u64));
        let edge_draws = Rc::clone(&draws);
        let edge = Edge::new(&EdgeConfig {
            signing_key: SIGNING_KEY.into(),
            admin_token: ADMIN_TOKEN.into(),
            ip_ranges: IP_RANGES.into(),
            device_models: device_models(),
            twilio_auth_token: TWILIO_AUTH_TOKEN.into(),
            allow_private_webhooks: false,
            ..EdgeConfig::default()
        })
        .with_clock(move || clock.get())
        .with_random(move |buf| {
            // Deterministic: a counter spread over the bytes (the fuzzer replays inputs).
            let n = edge_draws.get().wrapping_add(1);
            edge_draws.set(n);
            for (i, b) in buf.iter_mut().enumerate() {
                *b = (n.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> ((i % 8) * 8)) as u8 ^ i as u8;
            }
        });
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
            before_response: 0,
            fetches: Vec::new(),
            webhooks: WebhooksObject::empty(),
            webhook_commands: 0,
            now,
        }
    }

    /// Unix seconds now (the objects' clock and the edge's).
    pub fn now(&self) -> i64 {
        self.now.get()
    }

    /// Moves the clock forward (alarms that come due wait for [`Service::fire_alarms`]).
    pub fn advance(&mut self, seconds: i64) {
        self.now.set(self.now.get().saturating_add(seconds.max(0)));
    }

    /// Moves the clock forward `seconds`, firing each pool alarm at the time it
    /// is set for on the way (at most `limit` firings; the rest fire late, at
    /// the end).
    pub fn advance_firing(&mut self, seconds: i64, limit: usize) -> Vec<Fired> {
        let end = self.now().saturating_add(seconds.max(0));
        let mut fired = Vec::new();
        for _ in 0..limit {
            let next = self.pools.values().filter_map(|s| s.alarm).min();
            match next {
                Some(at) if at <= end => {
                    self.now.set(at.max(self.now()));
                    fired.extend(self.fire_alarms());
                }
                _ => break,
            }
        }
        self.now.set(end);
        fired.extend(self.fire_alarms());
        fired
    }

    /// Runs one effect where the adapter would.
    fn run_effect(&mut self, effect: &Effect) -> EffectResult {
        let now = self.now();
        match effect {
            Effect::Object {
                target,
                command,
                coalesce,
            } => {
                let (outcome, result) = match target {
                    Target::Pool(name) => {
                        let slot = self.pools.entry(name.clone()).or_default();
                        let mut outcome = if coalesce.is_some() {
                            // An open goes as the Worker sends it: in a batch (of one here).
                            let (mut answers, mut outcome) =
                                slot.engine.handle_batch(std::slice::from_ref(command), now);
                            outcome.answer = answers.pop().unwrap_or_default();
                            outcome
                        } else {
                            slot.engine.handle_json(command, now)
                        };
                        // A report's queries, answered by the pool's SQLite first.
                        while !outcome.reads.is_empty() {
                            let rows = slot.store.reads(&outcome.reads);
                            outcome = slot.engine.read(&rows, now);
                        }
                        let result = settle(&outcome, &format!("pool {name}"), command);
                        slot.carry_out(&outcome);
                        (outcome, result)
                    }
                    Target::Webhooks => {
                        self.webhook_commands += 1;
                        let random = [self.webhook_commands as u8; ringmark::objects::outbox::RANDOM_BYTES];
                        let outcome = self.webhooks.handle_json(command, now, &random);
                        let result = settle(&outcome, "webhooks", command);
                        (outcome, result)
                    }
                    Target::Directory => {
                        let outcome = self.directory.handle_json(command, now);
                        let result = settle(&outcome, "directory", command);
                        assert!(
                            outcome.alarm.is_none() && !outcome.purge,
                            "the directory asked for an alarm or a purge: {outcome:?}"
                        );
                        self.directory_store.apply(&outcome.writes);
                        (outcome, result)
                    }
                };
                // Webhook events are announcements of what the request did, not part of it:
                // kept apart (and checked: the object takes every one).
                if *target == Target::Webhooks {
                    assert!(result.is_ok(), "the webhooks object refused {command}: {result:?}");
                } else {
                    self.deliveries.push(Delivery {
                        target: target.clone(),
                        command: command.clone(),
                        result,
                        writes: outcome.writes.len(),
                    });
                }
                EffectResult {
                    status: 200,
                    body: outcome.answer,
                }
            }
            Effect::DataPoint(_) => EffectResult {
                status: 200,
                body: String::new(),
            },
            Effect::Fetch(out) => {
                self.fetches.push(out.clone());
                EffectResult::failed(format!(
                    "no network in the fuzzed deployment ({} {})",
                    out.method, out.url
                ))
            }
        }
    }

    /// Runs a step's effects and resumes the edge with their results, in order.
    fn resume(&mut self, step: Step) -> Step {
        let results: Vec<EffectResult> = step.effects.iter().map(|e| self.run_effect(e)).collect();
        self.edge.resume(step, results)
    }

    /// Runs a request to its response and then the work left after it (the
    /// Worker's fetch handler and its `ctx.waitUntil`), as `tests/support`'s
    /// `Service::run` does. A request that takes more than 16 rounds of
    /// effects, ends without a response or answers twice is a bug.
    pub fn run(&mut self, request: &Request) -> Response {
        self.deliveries.clear();
        self.fetches.clear();
        self.before_response = 0;
        let what = format!("{} {}", request.method, request.url);
        let mut step = self.edge.begin(request);
        let mut response: Option<Response> = None;
        let mut rounds = 0;
        loop {
            if let Some(answer) = step.response.take() {
                assert!(
                    response.is_none(),
                    "{what}: work after the response made a second response ({})\n  deliveries {:?}",
                    answer.status,
                    self.deliveries
                );
                response = Some(answer);
                self.before_response = self.deliveries.len();
            }
            if step.is_done() {
                break;
            }
            rounds += 1;
            assert!(
                rounds <= 16,
                "{what}: more than 16 rounds of effects: {:?}",
                self.deliveries
            );
            step = self.resume(step);
        }
        let _ = self.edge.take_log();
        response.unwrap_or_else(|| {
            panic!(
                "{what}: a step with neither a response nor effects, and no response sent\n  deliveries {:?}",
                self.deliveries
            )
        })
    }

    /// An admin request with the right bearer token.
    pub fn admin(&mut self, method: &str, path: &str, body: &[u8]) -> Response {
        let request = Request::new(method, &format!("{BASE}{path}"))
            .header("authorization", &format!("Bearer {ADMIN_TOKEN}"))
            .body(body.to_vec());
        self.run(&request)
    }

    /// Sends a read-only command straight to a pool's engine: its answer must
    /// write nothing.
    fn ask_pool(&mut self, pool: &str, command: PoolCommand) -> Option<Result<Value, ObjectError>> {
        let now = self.now();
        let text = serde_json::to_string(&command).unwrap_or_default();
        self.pools.get_mut(pool).map(|slot| {
            let outcome = slot.engine.handle(command, now);
            let result = settle(&outcome, &format!("pool {pool}"), &text);
            assert!(
                outcome.writes.is_empty() && outcome.alarm.is_none() && !outcome.purge,
                "{text} wrote {:?} (alarm {:?}, purge {})",
                outcome.writes,
                outcome.alarm,
                outcome.purge
            );
            result
        })
    }

    /// A pool's `state` answer, straight from its engine, or `None` when no
    /// object of that name was ever addressed.
    pub fn pool_state(&mut self, pool: &str) -> Option<Result<Value, ObjectError>> {
        self.ask_pool(pool, PoolCommand::State)
    }

    /// A pool's `settings` answer, straight from its engine.
    pub fn pool_settings(&mut self, pool: &str) -> Option<Result<Value, ObjectError>> {
        self.ask_pool(pool, PoolCommand::Settings)
    }

    /// The directory's answer for one number.
    pub fn lookup(&mut self, number: &str) -> Result<Value, ObjectError> {
        let now = self.now();
        let command = DirectoryCommand::Lookup {
            number: number.to_owned(),
        };
        let text = serde_json::to_string(&command).unwrap_or_default();
        let outcome = self.directory.handle(command, now);
        let result = settle(&outcome, "directory", &text);
        assert!(
            outcome.writes.is_empty() && outcome.alarm.is_none() && !outcome.purge,
            "lookup wrote {:?}",
            outcome.writes
        );
        // The typed reading agrees with the generic one.
        assert_eq!(
            read_answer::<ringmark::protocol::DirectoryEntry>(&outcome.answer)
                .map(|e| serde_json::to_value(e).unwrap_or_default()),
            result,
            "lookup {number}"
        );
        result
    }

    /// The directory's answer for each number it stores and each of `extra`.
    pub fn directory_view(&mut self, extra: &[&str]) -> Vec<(String, Result<Value, ObjectError>)> {
        let mut numbers = self.directory_store.directory_numbers();
        numbers.extend(extra.iter().map(|n| (*n).to_owned()));
        numbers.sort();
        numbers.dedup();
        numbers
            .into_iter()
            .map(|number| {
                let result = self.lookup(&number);
                (number, result)
            })
            .collect()
    }

    /// Everything observable: each engine's answers, each store's rows and
    /// each pool's alarm.
    pub fn fingerprint(&mut self, extra: &[&str]) -> String {
        let mut out = String::new();
        let names: Vec<String> = self.pools.keys().cloned().collect();
        for name in names {
            let state = self.pool_state(&name);
            let slot = &self.pools[&name];
            let dump = slot.store.dump();
            if matches!(&state, Some(Err(e)) if e.code == ObjectErrorCode::UnknownPool)
                && dump.is_empty()
                && slot.alarm.is_none()
            {
                continue; // addressed, never configured (or purged): the same as no object at all
            }
            out.push_str(&format!(
                "pool {name}: {state:?}\nalarm {:?}\n{dump}\n",
                slot.alarm
            ));
        }
        let view = self.directory_view(extra);
        out.push_str(&format!(
            "directory: {view:?}\n{}\n",
            self.directory_store.dump()
        ));
        out
    }

    /// Fires every pool alarm due now, as the platform does, and checks each:
    /// the answer is `ok`; it purges iff the pool was deleted and its purge
    /// time has come, and then the object is empty (no row, no alarm, an
    /// unknown pool); otherwise a configured pool sets its next alarm, keeps
    /// its configuration and counters, and reloads from storage to the same
    /// answers.
    pub fn fire_alarms(&mut self) -> Vec<Fired> {
        let now = self.now();
        let due: Vec<String> = self
            .pools
            .iter()
            .filter(|(_, slot)| slot.alarm.is_some_and(|at| at <= now))
            .map(|(name, _)| name.clone())
            .collect();
        let mut fired = Vec::new();
        for name in due {
            let before = self.pool_state(&name).expect("a pool with an alarm exists");
            let slot = self.pools.get_mut(&name).expect("due pool");
            slot.alarm = None;
            let outcome = slot.engine.alarm(now);
            let what = format!("pool {name}'s alarm at {now}");
            let reply = settle(&outcome, &what, "alarm");
            assert!(reply.is_ok(), "{what} answered {}", outcome.answer);
            slot.carry_out(&outcome);
            let due_purge = before.as_ref().is_ok_and(|state| {
                state["deleted"]["purge_at"]
                    .as_i64()
                    .is_some_and(|purge_at| purge_at <= now)
            });
            assert_eq!(
                outcome.purge, due_purge,
                "{what}: purge {} for state {before:?}",
                outcome.purge
            );
            let after = self.pool_state(&name).expect("the pool still exists");
            let slot = &self.pools[&name];
            if outcome.purge {
                assert!(
                    slot.store.table_counts().is_empty() && slot.alarm.is_none(),
                    "{what}: purged, but storage {:?}, alarm {:?}",
                    slot.store.table_counts(),
                    slot.alarm
                );
                assert!(
                    matches!(&after, Err(e) if e.code == ObjectErrorCode::UnknownPool),
                    "{what}: a purged pool answers {after:?}"
                );
            } else if let Ok(state) = &before {
                assert!(
                    outcome.alarm.is_some_and(|at| at > now) && slot.alarm.is_some(),
                    "{what}: a configured pool's alarm set no next alarm: {outcome:?}"
                );
                let after = after.unwrap_or_else(|e| panic!("{what}: the pool became {e}"));
                for key in ["config", "style", "displays", "opens", "deleted"] {
                    assert_eq!(state[key], after[key], "{what} changed {key}");
                }
                self.reload_pool(&name);
            } else {
                assert!(
                    outcome.writes.is_empty() && outcome.alarm.is_none(),
                    "{what}: an unconfigured pool's alarm asked for {outcome:?}"
                );
            }
            fired.push(Fired {
                pool: name,
                at: now,
                purged: outcome.purge,
            });
        }
        fired
    }

    /// The platform evicts a pool object and loads it again from storage:
    /// its answers must not change.
    pub fn reload_pool(&mut self, pool: &str) {
        let before = self.pool_state(pool);
        let settings_before = self.pool_settings(pool);
        let Some(slot) = self.pools.get_mut(pool) else {
            return;
        };
        let rows = slot.store.load_rows(PoolObject::STORED, PoolObject::load_query);
        slot.engine = PoolObject::load(&rows).unwrap_or_else(|e| {
            panic!("pool {pool} does not load from its own storage: {e}\nrows {rows}")
        });
        let after = self.pool_state(pool);
        assert_eq!(
            before, after,
            "pool {pool} answers differently after a reload from storage"
        );
        assert_eq!(
            settings_before,
            self.pool_settings(pool),
            "pool {pool}'s settings differ after a reload from storage"
        );
    }

    /// The platform evicts the directory and loads it again from storage.
    pub fn reload_directory(&mut self, extra: &[&str]) {
        let before = self.directory_view(extra);
        let rows = self
            .directory_store
            .load_rows(DirectoryObject::STORED, DirectoryObject::load_query);
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
