//! The adapter in Rust, shared by the native service tests: an [`Edge`] and the real Durable
//! Object engines in process, each object's storage a real in-memory SQLite database
//! ([`sqlite::Store`]), with its alarm. It does what `worker/index.js` and `worker/objects.js`
//! do: runs a step's effects, answers as soon as the response is known, runs what is left after
//! it, and carries out each engine outcome (writes in one transaction, alarm, purge).
#![allow(dead_code)] // each test binary uses its own part of it

pub mod sqlite;

use ringmark::edge::{Edge, EdgeConfig, Effect, EffectResult, Step, Target};
use ringmark::http::{Request, Response};
use ringmark::objects::{DirectoryObject, Outcome, PoolObject};
use sqlite::Store;
use std::collections::{BTreeMap, HashMap};

/// The signing key of every test deployment.
pub const KEY: &str = "test-signing-key-0123456789";
/// The admin token of every test deployment.
pub const ADMIN: &str = "test-admin-token-0123456789";
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

    /// What the platform does after evicting the object: a fresh engine from its storage.
    pub fn reload(&mut self) {
        let rows = self
            .store
            .load_rows(PoolObject::STORED, PoolObject::load_query);
        self.engine = PoolObject::load(&rows).expect("a pool object reloads from its own storage");
    }
}

/// The edge and the objects of one deployment.
pub struct Service {
    pub edge: Edge,
    pub pools: HashMap<String, PoolSlot>,
    pub directory: DirectoryObject,
    pub directory_store: Store,
    /// Commands delivered, per pool.
    pub commands: HashMap<String, usize>,
    /// SQL statements the pool objects asked to apply, per pool.
    pub writes: HashMap<String, usize>,
    /// Steps whose response was sent, with effects still to run (what `ctx.waitUntil` holds).
    pub after: Vec<Step>,
    pub now: i64,
}

impl Service {
    pub fn new() -> Self {
        Service {
            edge: Edge::new(&EdgeConfig {
                signing_key: KEY.into(),
                admin_token: ADMIN.into(),
                ..EdgeConfig::default()
            })
            .with_clock(|| NOW),
            pools: HashMap::new(),
            directory: DirectoryObject::default(),
            directory_store: Store::default(),
            commands: HashMap::new(),
            writes: HashMap::new(),
            after: Vec::new(),
            now: NOW,
        }
    }

    /// Runs one effect where the adapter would.
    pub fn run_effect(&mut self, effect: &Effect) -> EffectResult {
        match effect {
            Effect::Object { target, command } => {
                let answer = match target {
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
                };
                EffectResult {
                    status: 200,
                    body: answer,
                }
            }
            Effect::Fetch(out) => EffectResult::failed(format!(
                "no network in the native tests ({} {})",
                out.method, out.url
            )),
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

    /// Fires every pool alarm due at `self.now`, as the platform would; returns how many fired.
    pub fn fire_alarms(&mut self) -> usize {
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
