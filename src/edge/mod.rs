//! The edge: what the Worker does with each request, as a resumable plan.
//!
//! Some requests are answered at once (a pixel with a bad token, a 401).
//! Others need a Durable Object: the pool that allocates, or the directory
//! that knows which pool owns a dialled number. Rather than calling the
//! platform from Rust, [`Edge::begin`] returns a [`Step`]: either the
//! [`Response`] to send, or a [`Forward`] naming the object and the command
//! text to send it. The adapter sends it, and hands the object's answer to
//! [`Edge::resume`], which returns the next step. The loop in
//! `worker/index.js` is five lines and knows nothing of routes.
//!
//! Email-facing URLs ([`email`]) always end in a 200 image or page, whatever
//! goes wrong; admin URLs ([`admin`]) end in JSON, with a 4xx that names the
//! problem for bad input.

pub mod admin;
pub mod email;

use crate::http::{Request, Response};
use crate::protocol::{ClaimReply, PoolSettings};
use crate::token::{Keyring, TokenError};
use ringmark_classify::{Classifier, DeviceModels};
use ringmark_pool::Call;
use ringmark_render::{Renderer, Variant};
use std::cell::RefCell;

/// How many rendered images each isolate keeps.
const RENDER_CACHE: usize = 256;

/// The deployment's secrets and data, read once per isolate.
#[derive(Clone, Debug, Default)]
pub struct EdgeConfig {
    /// `RINGMARK_SIGNING_KEY`: signs and verifies tokens (see [`Keyring::parse`]).
    pub signing_key: String,
    /// `RINGMARK_ADMIN_TOKEN`: the bearer token of the admin API.
    pub admin_token: String,
    /// `RINGMARK_IP_RANGES`: IP-range data for the classifier (see
    /// [`ringmark_classify::IpRanges::parse`]); empty for none.
    pub ip_ranges: String,
    /// The device-model table (`data/device-models/`, loaded beside the module when the isolate starts);
    /// empty for none.
    pub device_models: DeviceModels,
}

/// Which Durable Object a [`Forward`] goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// The pool object with this name.
    Pool(String),
    /// The deployment's one directory object.
    Directory,
}

/// A command for a Durable Object, and what to do with its answer.
#[derive(Debug)]
pub struct Forward {
    /// Where to send it.
    pub target: Target,
    /// The command, JSON text (a [`crate::protocol::PoolCommand`] or
    /// [`crate::protocol::DirectoryCommand`]).
    pub command: String,
    cont: Cont,
}

/// The next thing the adapter does.
#[derive(Debug)]
pub enum Step {
    /// Send this response; the request is done.
    Respond(Response),
    /// Send a command to an object, then call [`Edge::resume`] with its answer.
    Forward(Forward),
}

/// What to do with an object's answer (private: only the edge reads it).
#[derive(Debug)]
enum Cont {
    /// A pixel open was recorded (or not): answer the GIF either way.
    Pixel,
    /// Render the number image the pool answered.
    Number { variant: Variant },
    /// Send the recipient to their number.
    Click { dial: bool },
    /// The directory accepted (or refused) a claim; configure the pool next.
    PutClaimed {
        pool: String,
        settings: Box<PoolSettings>,
    },
    /// The pool took (or refused) its configuration.
    PutConfigured { pool: String, claim: ClaimReply },
    /// A failed configuration was undone in the directory; report the failure.
    PutRestored { status: u16, message: String },
    /// The pool's state, to report.
    PoolState { pool: String },
    /// The pool exists: sign the tokens.
    Tokens(Box<admin::TokenJob>),
    /// The pool's state: write the email snippet (and CSV).
    Snippet(Box<admin::SnippetJob>),
    /// The pool's state, for sizing.
    Sizing {
        pool: String,
        input: serde_json::Value,
    },
    /// The directory found (or not) the pool of a dialled number.
    CallLookup { call: Call },
    /// The pool attributed the call.
    CallDone { pool: String },
}

/// The edge logic of one isolate: keys, classifier and image cache.
pub struct Edge {
    keys: Result<Keyring, TokenError>,
    admin_token: String,
    classifier: Classifier,
    renderer: RefCell<Renderer>,
    log: RefCell<Vec<String>>,
    /// Unix seconds now: only to refuse call times far from the present.
    clock: Box<dyn Fn() -> i64>,
}

/// Unix seconds from the platform's clock.
fn system_now() -> i64 {
    #[cfg(target_arch = "wasm32")]
    {
        (js_sys::Date::now() / 1000.0).floor() as i64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    }
}

impl Edge {
    /// Builds the edge from the deployment's configuration. A bad key or bad
    /// IP-range data does not stop image URLs from answering (they fall back);
    /// the problem is logged and the admin API reports it.
    pub fn new(config: &EdgeConfig) -> Self {
        let mut log = Vec::new();
        let keys = Keyring::parse(&config.signing_key);
        if let Err(e) = &keys {
            log.push(format!("RINGMARK_SIGNING_KEY is unusable: {e}"));
        }
        let classifier = if config.ip_ranges.trim().is_empty() {
            Classifier::new()
        } else {
            match ringmark_classify::IpRanges::parse(&config.ip_ranges, None) {
                Ok(ranges) => Classifier::with_ip_ranges(ranges),
                Err(e) => {
                    log.push(format!("RINGMARK_IP_RANGES ignored: {e}"));
                    Classifier::new()
                }
            }
        }
        .with_device_models(config.device_models.clone());
        Edge {
            keys,
            admin_token: config.admin_token.clone(),
            classifier,
            renderer: RefCell::new(Renderer::new(RENDER_CACHE)),
            log: RefCell::new(log),
            clock: Box::new(system_now),
        }
    }

    /// Replaces the platform clock (Unix seconds), for tests and simulations
    /// whose objects run on their own time.
    pub fn with_clock(mut self, clock: impl Fn() -> i64 + 'static) -> Self {
        self.clock = Box::new(clock);
        self
    }

    /// Unix seconds now, by the edge's clock.
    fn now(&self) -> i64 {
        (self.clock)()
    }

    /// Starts handling a request. (Time is the objects' business, passed into
    /// their engines; the edge reads its clock only to refuse call times far
    /// from the present.)
    pub fn begin(&self, request: &Request) -> Step {
        let path = request.path();
        let head_or_get = matches!(request.method.as_str(), "GET" | "HEAD");
        if let Some(rest) = path.strip_prefix("/o/") {
            if head_or_get {
                return email::pixel(self, request, rest);
            }
        } else if let Some(rest) = path.strip_prefix("/n/") {
            if head_or_get {
                return email::number(self, request, rest);
            }
        } else if let Some(rest) = path.strip_prefix("/c/") {
            if head_or_get {
                return email::click(self, request, rest);
            }
        } else if path.starts_with("/v1/") {
            return admin::begin(self, request);
        } else if path == "/" && head_or_get {
            return Step::Respond(Response::new(
                200,
                "text/plain; charset=utf-8",
                concat!(
                    "ringmark ",
                    env!("CARGO_PKG_VERSION"),
                    ": per-recipient call-tracking numbers for email. See /v1/ (admin API).\n"
                ),
            ));
        }
        Step::Respond(email::not_found(request))
    }

    /// Continues a request with the answer (`status`, JSON `body`) of the
    /// object a [`Forward`] went to.
    pub fn resume(&self, forward: Forward, status: u16, body: &str) -> Step {
        match forward.cont {
            Cont::Pixel => {
                if status != 200 {
                    self.warn(format!("pixel open not recorded: {status} {body}"));
                }
                Step::Respond(email::pixel_response())
            }
            Cont::Number { variant } => {
                Step::Respond(email::number_image(self, variant, status, body))
            }
            Cont::Click { dial } => Step::Respond(email::click_page(self, dial, status, body)),
            cont => admin::resume(self, cont, status, body),
        }
    }

    /// Takes the log lines gathered since the last call (the adapter prints them).
    pub fn take_log(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.borrow_mut())
    }

    fn warn(&self, line: String) {
        self.log.borrow_mut().push(line);
    }
}

/// A pool id as it may appear in a URL and a Durable Object name.
pub fn valid_pool_id(pool: &str) -> bool {
    (1..=64).contains(&pool.len())
        && pool
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}
