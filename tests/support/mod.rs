//! The adapter's loop in Rust, shared by the native service tests: an [`Edge`] and the real
//! Durable Object engines in process, counting what reaches each pool object.
#![allow(dead_code)] // each test binary uses its own part of it

use ringmark::edge::{Edge, EdgeConfig, Forward, Step, Target};
use ringmark::http::{Request, Response};
use ringmark::objects::{DirectoryObject, PoolObject};
use std::collections::HashMap;

/// The signing key of every test deployment.
pub const KEY: &str = "test-signing-key-0123456789";
/// The admin token of every test deployment.
pub const ADMIN: &str = "test-admin-token-0123456789";
/// The deployment's clock at the start of every test (2027-01-15T08:00:00Z).
pub const NOW: i64 = 1_800_000_000;

/// The edge and the objects of one deployment.
pub struct Service {
    pub edge: Edge,
    pub pools: HashMap<String, PoolObject>,
    pub directory: DirectoryObject,
    /// Commands delivered, per pool.
    pub commands: HashMap<String, usize>,
    /// SQL statements the pool objects asked to apply, per pool.
    pub writes: HashMap<String, usize>,
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
            commands: HashMap::new(),
            writes: HashMap::new(),
            now: NOW,
        }
    }

    /// Sends a command where the adapter would.
    pub fn deliver(&mut self, forward: &Forward) -> (u16, String) {
        let outcome = match &forward.target {
            Target::Pool(name) => {
                *self.commands.entry(name.clone()).or_default() += 1;
                let outcome = self
                    .pools
                    .entry(name.clone())
                    .or_insert_with(PoolObject::empty)
                    .handle(&forward.command, self.now);
                *self.writes.entry(name.clone()).or_default() += outcome.writes.len();
                outcome
            }
            Target::Directory => self.directory.handle(&forward.command, self.now),
        };
        (outcome.status, outcome.body)
    }

    /// Carries a request through every step to its response, as `worker/index.js` does.
    pub fn run(&mut self, request: Request) -> Response {
        let mut step = self.edge.begin(&request);
        loop {
            match step {
                Step::Respond(response) => return response,
                Step::Forward(forward) => {
                    let (status, body) = self.deliver(&forward);
                    step = self.edge.resume(forward, status, &body);
                }
            }
        }
    }
}
