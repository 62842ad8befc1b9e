//! The adapter in Rust, shared by the native service tests: an [`Edge`] and the real Durable
//! Object engines in process, each object's storage a real in-memory SQLite database
//! ([`sqlite::Store`]), with its alarm. It does what `worker/index.js` and `worker/objects.js`
//! do: runs a step's effects, answers as soon as the response is known, runs what is left after
//! it, and carries out each engine outcome (writes in one transaction, alarm, purge, then the
//! outbound requests it asks for, answered by a programmable fake [`Receiver`], whose results go
//! back to the engine).
#![allow(dead_code)] // each test binary uses its own part of it

pub mod sqlite;

use ringmark::edge::{Edge, EdgeConfig, Effect, EffectResult, Step, Target};
use ringmark::http::{Request, Response};
use ringmark::objects::outbox::RANDOM_BYTES;
use ringmark::objects::{DirectoryObject, Fetch, Outcome, PoolObject, WebhooksObject};
use sqlite::Store;
use std::cell::Cell;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::rc::Rc;

/// The signing key of every test deployment.
pub const KEY: &str = "test-signing-key-0123456789";
/// The admin token of every test deployment.
pub const ADMIN: &str = "test-admin-token-0123456789";
/// The origin of every test request.
pub const BASE: &str = "https://t.example.com";
/// The deployment's clock at the start of every test (2027-01-15T08:00:00Z).
pub const NOW: i64 = 1_800_000_000;

/// One pool's Durable Object: its engine, its storage and its alarm.
pub struct PoolSlot {
    pub engine: PoolObject,
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
    /// Carries out an engine outcome as `objects.js` does; returns the answer text.
    fn carry_out(&mut self, outcome: Outcome) -> String {
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
        outcome.answer
    }

    /// What the platform does after evicting the object: a fresh engine from its storage,
    /// loaded as `worker/objects.js` loads it (the snapshot's parts handed over one at a time).
    pub fn reload(&mut self) {
        self.engine = self
            .store
            .load_pool()
            .expect("a pool object reloads from its own storage");
    }

    /// The engine [`PoolSlot::reload`] would load, from every row at once instead
    /// (`PoolObject::load`, the path the snapshot's parts took before they were streamed).
    pub fn loaded_whole(&self) -> PoolObject {
        let rows = self
            .store
            .load_rows(PoolObject::STORED, PoolObject::load_query);
        PoolObject::load(&rows).expect("a pool object loads from all its rows at once")
    }
}

/// The deployment's webhooks object: its engine, its storage and its alarm.
pub struct WebhooksSlot {
    pub engine: WebhooksObject,
    pub store: Store,
    /// Unix seconds the object's alarm is set for.
    pub alarm: Option<i64>,
}

impl Default for WebhooksSlot {
    fn default() -> Self {
        WebhooksSlot {
            engine: WebhooksObject::empty(),
            store: Store::default(),
            alarm: None,
        }
    }
}

impl WebhooksSlot {
    /// What the platform does after evicting the object: a fresh engine from its storage.
    pub fn reload(&mut self) {
        let rows = self
            .store
            .load_rows(WebhooksObject::STORED, WebhooksObject::load_query);
        self.engine =
            WebhooksObject::load(&rows).expect("the webhooks object reloads from its own storage");
    }
}

/// One request the fake receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The status it answered (0: a network error).
    pub status: u16,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Every outbound request of the deployment lands here: it answers the statuses it was
/// programmed with, in order (0 is a network error), then 200.
#[derive(Default)]
pub struct Receiver {
    pub script: VecDeque<u16>,
    pub received: Vec<Received>,
}

impl Receiver {
    fn answer(
        &mut self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: &str,
    ) -> (u16, String) {
        let status = self.script.pop_front().unwrap_or(200);
        self.received.push(Received {
            method: method.into(),
            url: url.into(),
            headers: headers.to_vec(),
            body: body.into(),
            status,
        });
        if status == 0 {
            (0, "connection refused (fake receiver)".into())
        } else {
            (status, String::new())
        }
    }
}

/// The edge and the objects of one deployment.
pub struct Service {
    pub edge: Edge,
    pub pools: HashMap<String, PoolSlot>,
    pub directory: DirectoryObject,
    pub directory_store: Store,
    pub webhooks: WebhooksSlot,
    /// Answers every outbound request (webhook deliveries, edge fetches).
    pub receiver: Receiver,
    /// Commands the webhooks object got.
    pub webhook_commands: Vec<String>,
    /// Draws of randomness so far (each draw is distinct and deterministic).
    pub draws: Rc<Cell<u64>>,
    /// Commands delivered, per pool.
    pub commands: HashMap<String, usize>,
    /// SQL statements the pool objects asked to apply, per pool.
    pub writes: HashMap<String, usize>,
    /// Steps whose response was sent, with effects still to run (what `ctx.waitUntil` holds).
    pub after: Vec<Step>,
    /// Analytics Engine data points written (when the edge has `analytics`).
    pub data_points: Vec<ringmark::edge::DataPoint>,
    pub now: i64,
}

impl Service {
    /// An admin request with the deployment's bearer token and a JSON body
    /// (`null`: none); the status and the JSON answer.
    pub fn admin(
        &mut self,
        method: &str,
        path: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let body = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        self.admin_raw(method, path, &body)
    }

    /// An admin request with a body sent as is (not re-serialised JSON).
    pub fn admin_raw(&mut self, method: &str, path: &str, body: &str) -> (u16, serde_json::Value) {
        let mut request = Request::new(method, &format!("{BASE}{path}"))
            .header("authorization", &format!("Bearer {ADMIN}"));
        if !body.is_empty() {
            request = request.body(body);
        }
        let response = self.run(request);
        let json = serde_json::from_slice(&response.body).unwrap_or(serde_json::Value::Null);
        (response.status, json)
    }
}

impl Service {
    pub fn new() -> Self {
        Service::with_config(EdgeConfig {
            signing_key: KEY.into(),
            admin_token: ADMIN.into(),
            ..EdgeConfig::default()
        })
    }

    /// A deployment whose webhook receivers may be private addresses
    /// (`RINGMARK_ALLOW_PRIVATE_WEBHOOKS=1`).
    pub fn with_private_webhooks() -> Self {
        Service::with_config(EdgeConfig {
            signing_key: KEY.into(),
            admin_token: ADMIN.into(),
            allow_private_webhooks: true,
            ..EdgeConfig::default()
        })
    }

    pub fn with_config(config: EdgeConfig) -> Self {
        let draws = Rc::new(Cell::new(0u64));
        let edge_draws = Rc::clone(&draws);
        Service {
            edge: Edge::new(&config)
                .with_clock(|| NOW)
                .with_random(move |buf| {
                    fill(&edge_draws, buf);
                }),
            pools: HashMap::new(),
            directory: DirectoryObject::default(),
            directory_store: Store::default(),
            webhooks: WebhooksSlot::default(),
            receiver: Receiver::default(),
            webhook_commands: Vec::new(),
            draws,
            commands: HashMap::new(),
            writes: HashMap::new(),
            after: Vec::new(),
            data_points: Vec::new(),
            now: NOW,
        }
    }

    /// Runs one effect where the adapter would.
    pub fn run_effect(&mut self, effect: &Effect) -> EffectResult {
        match effect {
            Effect::Object {
                target,
                command,
                coalesce,
            } => {
                let answer = match target {
                    Target::Pool(name) if coalesce.is_some() => {
                        // The adapter sends a coalescable command in a batch (of one here,
                        // when no call to the object is under way).
                        *self.commands.entry(name.clone()).or_default() += 1;
                        let slot = self.pools.entry(name.clone()).or_default();
                        let (mut answers, outcome) = slot
                            .engine
                            .handle_batch(std::slice::from_ref(command), self.now);
                        *self.writes.entry(name.clone()).or_default() += outcome.writes.len();
                        slot.carry_out(outcome);
                        answers.pop().expect("one answer per command of a batch")
                    }
                    Target::Pool(name) => {
                        *self.commands.entry(name.clone()).or_default() += 1;
                        let slot = self.pools.entry(name.clone()).or_default();
                        let mut outcome = slot.engine.handle_json(command, self.now);
                        while !outcome.reads.is_empty() {
                            let rows = slot.store.reads(&outcome.reads);
                            outcome = slot.engine.read(&rows, self.now);
                        }
                        *self.writes.entry(name.clone()).or_default() += outcome.writes.len();
                        slot.carry_out(outcome)
                    }
                    Target::Directory => {
                        let outcome = self.directory.handle_json(command, self.now);
                        self.directory_store.apply(&outcome.writes);
                        outcome.answer
                    }
                    Target::Webhooks => {
                        self.webhook_commands.push(command.clone());
                        let mut random = [0u8; RANDOM_BYTES];
                        fill(&self.draws, &mut random);
                        let outcome = self.webhooks.engine.handle_json(command, self.now, &random);
                        self.carry_out_webhooks(outcome)
                    }
                };
                EffectResult {
                    status: 200,
                    body: answer,
                }
            }
            Effect::DataPoint(point) => {
                self.data_points.push(point.clone());
                EffectResult {
                    status: 200,
                    body: String::new(),
                }
            }
            Effect::Fetch(out) => {
                let (status, body) =
                    self.receiver
                        .answer(&out.method, &out.url, &out.headers, &out.body);
                EffectResult { status, body }
            }
        }
    }

    /// Carries out a webhooks-object outcome as `objects.js` does: writes, alarm, then its
    /// fetches (answered by the receiver), whose results make the next outcome; returns the
    /// first answer.
    pub fn carry_out_webhooks(&mut self, outcome: Outcome) -> String {
        let answer = outcome.answer.clone();
        let mut outcome = outcome;
        loop {
            let slot = &mut self.webhooks;
            slot.store.apply(&outcome.writes);
            if let Some(at) = outcome.alarm
                && slot.alarm.is_none_or(|current| current > at)
            {
                slot.alarm = Some(at);
            }
            assert!(!outcome.purge, "the webhooks object never purges");
            if outcome.fetches.is_empty() {
                return answer;
            }
            let results = outcome
                .fetches
                .iter()
                .map(|f: &Fetch| {
                    assert!(f.timeout_seconds > 0);
                    self.receiver.answer(&f.method, &f.url, &f.headers, &f.body)
                })
                .collect();
            outcome = self.webhooks.engine.fetched(results, self.now);
        }
    }

    /// Runs a step's effects and resumes the edge with their results.
    pub fn advance(&mut self, step: Step) -> Step {
        let results = step.effects.iter().map(|e| self.run_effect(e)).collect();
        self.edge.resume(step, results)
    }

    /// Carries a request to its response, leaving work after the response in [`Service::after`].
    pub fn answer(&mut self, request: Request) -> Response {
        let mut step = self.edge.begin(&request);
        loop {
            if let Some(response) = step.response.take() {
                if !step.is_done() {
                    self.after.push(step);
                }
                return response;
            }
            assert!(
                !step.is_done(),
                "a step with neither a response nor effects"
            );
            step = self.advance(step);
        }
    }

    /// Runs every piece of work left after responses, to the end (what `ctx.waitUntil` does).
    pub fn finish(&mut self) {
        while let Some(mut step) = self.after.pop() {
            while !step.is_done() {
                step = self.advance(step);
                assert!(
                    step.response.is_none(),
                    "work after the response made a second response"
                );
            }
        }
    }

    /// Carries a request through every step, including the work after its response.
    pub fn run(&mut self, request: Request) -> Response {
        let response = self.answer(request);
        self.finish();
        response
    }

    /// Fires every alarm due at `self.now` (pools' and the webhooks object's), as the platform
    /// would; returns how many fired.
    pub fn fire_alarms(&mut self) -> usize {
        let mut fired = 0;
        if self.webhooks.alarm.is_some_and(|at| at <= self.now) {
            self.webhooks.alarm = None;
            let outcome = self.webhooks.engine.alarm(self.now);
            self.carry_out_webhooks(outcome);
            fired += 1;
        }
        fired + self.fire_pool_alarms()
    }

    /// Fires every pool alarm due at `self.now`; returns how many fired.
    fn fire_pool_alarms(&mut self) -> usize {
        let now = self.now;
        let due: Vec<String> = self
            .pools
            .iter()
            .filter(|(_, slot)| slot.alarm.is_some_and(|at| at <= now))
            .map(|(name, _)| name.clone())
            .collect();
        for name in &due {
            if let Some(slot) = self.pools.get_mut(name) {
                slot.alarm = None;
                let outcome = slot.engine.alarm(now);
                slot.carry_out(outcome);
            }
        }
        due.len()
    }

    /// Every table of a pool object's storage, sorted (empty when it has none).
    pub fn pool_tables(&self, pool: &str) -> BTreeMap<String, usize> {
        self.pools
            .get(pool)
            .map(|slot| slot.store.table_counts())
            .unwrap_or_default()
    }
}

/// Deterministic "random" bytes: each draw distinct (its number in the first 8 bytes).
fn fill(draws: &Rc<Cell<u64>>, buf: &mut [u8]) {
    let n = draws.get() + 1;
    draws.set(n);
    for (i, b) in buf.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(31) ^ 0x5a;
    }
    for (b, n) in buf.iter_mut().zip(n.to_le_bytes()) {
        *b = n;
    }
}
