//! The edge: what the Worker does with each request, as a resumable plan.
//!
//! Some requests are answered at once (a pixel with a bad token, a 401).
//! Others need effects only the platform can carry out: a command to a
//! Durable Object (the pool that allocates, the directory that knows which
//! pool owns a dialled number) or an outbound HTTP request. Rather than
//! calling the platform from Rust, [`Edge::begin`] returns a [`Step`]: the
//! [`Response`] to send, if it is known, and the [`Effect`]s to run. The
//! adapter runs the effects (concurrently), hands their results to
//! [`Edge::resume`], and repeats until there are none. A step may carry a
//! response *and* effects: the adapter answers first and runs the rest after
//! the response (`ctx.waitUntil`) — a pixel is answered before its open is
//! recorded. The loop in `worker/index.js` knows nothing of routes or
//! objects' commands.
//!
//! Email-facing URLs ([`email`]) always end in a 200 image or page, whatever
//! goes wrong; admin URLs ([`admin`], and [`webhooks`] for outbound webhooks)
//! end in JSON, with a 4xx that names the problem for bad input. Events for
//! webhooks are handed to the webhooks object with [`webhooks::enqueue`], as
//! work after the response.
//!
//! `GET /healthz` ([`health`]) reports whether the isolate can serve. Every
//! log line is one JSON object ([`log`]) naming the request and its route
//! kind, scrubbed of the request's tokens, recipient ids and addresses.

pub mod admin;
mod call_events;
pub mod email;
pub mod health;
pub mod log;
mod shards;
pub mod telephony;
pub mod webhooks;

use crate::http::{Request, Response};
use crate::protocol::{ClaimReply, PoolSettings};
use crate::token::{Keyring, TokenError};
use log::{Level, LogLine, RequestLog};
use ringmark_classify::{Classifier, DeviceModels, IpRanges};
use ringmark_pool::Call;
use ringmark_render::{Renderer, Variant};
use std::cell::RefCell;

/// How many rendered images each isolate keeps: enough for every number of a
/// 1,000-number pool in both variants. At ~2.5 KB a default image that is
/// ~5 MB of the isolate's 128 MB. With 256, a pool of more than 256 numbers opened
/// evenly missed the cache on most re-opens, and a render is about half of a
/// re-open's time (`bench/worker/floor.mjs`, BENCHMARKS.md).
const RENDER_CACHE: usize = 2048;

/// The deployment's secrets and data, read once per isolate.
#[derive(Clone, Debug, Default)]
pub struct EdgeConfig {
    /// `RINGMARK_SIGNING_KEY`: signs and verifies tokens (see [`Keyring::parse`]).
    pub signing_key: String,
    /// `RINGMARK_ADMIN_TOKEN`: the bearer token of the admin API, or two
    /// separated by a comma while it rotates (see [`admin::AdminTokens`]).
    pub admin_token: String,
    /// `TWILIO_AUTH_TOKEN`: verifies Twilio's webhook signatures; empty:
    /// the telephony routes refuse every request.
    pub twilio_auth_token: String,
    /// `RINGMARK_IP_RANGES`: IP-range data for the classifier (see
    /// [`ringmark_classify::IpRanges::parse`]), added to [`Self::ip_range_file`];
    /// empty for none. A Worker variable holds at most 5 KB, so the bulk of
    /// the data is the file; the variable is for a few ranges of one's own.
    pub ip_ranges: String,
    /// The IP-range file bundled beside the module (`data/ip-ranges/ip-ranges.txt`,
    /// parsed when the isolate starts); empty for none.
    pub ip_range_file: IpRanges,
    /// `RINGMARK_BASE_URL`: the `https://host[:port]` origin issued URLs and
    /// snippets point at (a custom domain), instead of the origin the admin
    /// request came in on; empty for that default. See [`parse_base_url`].
    pub base_url: String,
    /// The device-model table (`data/device-models/`, loaded beside the module when the isolate starts);
    /// empty for none.
    pub device_models: DeviceModels,
    /// `RINGMARK_ALLOW_PRIVATE_WEBHOOKS=1`: webhook receivers may be loopback,
    /// private or `http` URLs (local development and tests; never in production).
    pub allow_private_webhooks: bool,
    /// A Workers Analytics Engine dataset is bound as `OPENS` (optional, see
    /// wrangler.toml): every open also writes one data point there
    /// ([`Effect::DataPoint`]), for dashboards and SQL over open counts
    /// without asking the pool objects.
    pub analytics: bool,
}

/// Which Durable Object an [`Effect::Object`] goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// The pool object with this name.
    Pool(String),
    /// The deployment's one directory object.
    Directory,
    /// The deployment's one webhooks object (outbound webhooks).
    Webhooks,
}

impl Target {
    /// The Worker binding of the object's namespace (`wrangler.toml`).
    pub fn binding(&self) -> &'static str {
        match self {
            Target::Pool(_) => "POOL",
            Target::Directory => "DIRECTORY",
            Target::Webhooks => "WEBHOOKS",
        }
    }

    /// The object's name within its namespace.
    pub fn name(&self) -> &str {
        match self {
            Target::Pool(name) => name,
            Target::Directory => "directory",
            Target::Webhooks => "webhooks",
        }
    }
}

/// Something only the platform can do, which the adapter runs for the edge.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Send a command (JSON text of a [`crate::protocol::PoolCommand`] or
    /// [`crate::protocol::DirectoryCommand`]) to a Durable Object; its
    /// [`crate::protocol::Answer`] text comes back.
    Object {
        /// Which object.
        target: Target,
        /// The command.
        command: String,
        /// `None`: send alone. `Some(linger_ms)`: the adapter may send this
        /// command together with others for the same object in one call
        /// (`commands([…])`, one answer per command, in order: see
        /// [`crate::objects::PoolObject::handle_batch`]) — at once when the
        /// object is idle and `linger_ms` is 0, otherwise when the call under
        /// way ends, or after waiting up to `linger_ms` for company. Only
        /// opens travel together: many arrive at once (an Apple Mail Privacy
        /// Protection burst), each costs the object little, and one round trip
        /// and one transaction for many is most of what a pool object can gain
        /// under load. Only a pixel lingers: its answer is already sent, so
        /// nobody waits for it. The answer each command gets is the one it
        /// would get alone.
        coalesce: Option<u32>,
    },
    /// An outbound HTTP request; its status and body come back.
    Fetch(Outbound),
    /// Write one data point to the Analytics Engine dataset bound as `OPENS`
    /// (`writeDataPoint`, which returns nothing and never waits): status 200
    /// and an empty body come back.
    DataPoint(DataPoint),
}

/// One Analytics Engine data point (developers.cloudflare.com/analytics/analytics-engine/):
/// up to 20 strings, 20 numbers and one index (the sampling key).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct DataPoint {
    /// Dimensions, in a fixed order the docs of the route that writes them name.
    pub blobs: Vec<String>,
    /// Values.
    pub doubles: Vec<f64>,
    /// The sampling key (one).
    pub indexes: Vec<String>,
}

/// An outbound HTTP request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outbound {
    /// `GET`, `POST`, …
    pub method: String,
    /// Absolute URL.
    pub url: String,
    /// Header names and values.
    pub headers: Vec<(String, String)>,
    /// Body text.
    pub body: String,
}

/// What running an [`Effect`] gave: for an object, status 200 and its answer
/// text; for a fetch, the response's status and body. Status 0: it could not
/// be carried out at all (the body says why).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EffectResult {
    /// HTTP status, or 0 when the effect failed.
    pub status: u16,
    /// Answer or response text, or the failure.
    pub body: String,
}

impl EffectResult {
    /// An effect that could not be carried out.
    pub fn failed(message: impl Into<String>) -> Self {
        EffectResult {
            status: 0,
            body: message.into(),
        }
    }

    /// The object's answer read as reply type `T` (a failed effect is an
    /// [`crate::protocol::ObjectErrorCode::Unreachable`] error).
    ///
    /// # Errors
    /// The object's refusal, or why its answer could not be had or read.
    pub fn answer<T: serde::de::DeserializeOwned>(
        &self,
    ) -> Result<T, crate::protocol::ObjectError> {
        use crate::protocol::{ObjectError, ObjectErrorCode};
        if self.status != 200 {
            return Err(ObjectError::new(
                ObjectErrorCode::Unreachable,
                format!("object unreachable ({}): {}", self.status, self.body),
            ));
        }
        crate::protocol::read_answer(&self.body)
    }
}

/// The next thing the adapter does: send `response` if there is one, and run
/// `effects`, then call [`Edge::resume`] with their results (in order). When
/// the response has already been sent, the effects run after it and any later
/// response is ignored (the edge never makes one).
#[derive(Debug)]
pub struct Step {
    /// The answer to the request, once it is known.
    pub response: Option<Response>,
    /// Effects to run concurrently before resuming.
    pub effects: Vec<Effect>,
    cont: Cont,
    /// The request's log context (id, route kind, values to scrub), carried
    /// to the steps after this one.
    log: RequestLog,
}

impl Step {
    /// Answer, and nothing else to do.
    pub fn respond(response: Response) -> Self {
        Step {
            response: Some(response),
            effects: Vec::new(),
            cont: Cont::Done,

            log: RequestLog::default(),
        }
    }

    /// Run one effect, then continue with `cont`.
    fn then(effect: Effect, cont: Cont) -> Self {
        Step {
            response: None,
            effects: vec![effect],
            cont,

            log: RequestLog::default(),
        }
    }

    /// Answer now, and run `effect` after the response.
    fn respond_then(response: Response, effect: Effect, cont: Cont) -> Self {
        Step {
            response: Some(response),
            effects: vec![effect],
            cont,

            log: RequestLog::default(),
        }
    }

    /// Also runs `effect`, if any, after this step's own (whose results come
    /// first, so the continuation reads the same ones).
    fn also(mut self, effect: Option<Effect>) -> Self {
        self.effects.extend(effect);
        self
    }

    /// Nothing left to do and nothing to answer (the response was sent before).
    fn finished() -> Self {
        Step {
            response: None,
            effects: Vec::new(),
            cont: Cont::Done,

            log: RequestLog::default(),
        }
    }

    /// True when nothing is left to run.
    pub fn is_done(&self) -> bool {
        self.effects.is_empty()
    }
}

/// A command for an object, as an effect.
fn object<C: serde::Serialize>(target: Target, command: &C) -> Effect {
    Effect::Object {
        target,
        command: serde_json::to_string(command).unwrap_or_default(),
        coalesce: None,
    }
}

/// A command for an object that may travel with others, waiting up to
/// `linger_ms` for them when the object is idle (see `coalesce`).
fn coalesced<C: serde::Serialize>(target: Target, command: &C, linger_ms: u32) -> Effect {
    Effect::Object {
        target,
        command: serde_json::to_string(command).unwrap_or_default(),
        coalesce: Some(linger_ms),
    }
}

/// What to do with an object's answer (private: only the edge reads it).
#[derive(Debug)]
enum Cont {
    /// Nothing is left to do.
    Done,
    /// A pixel open was recorded (or not), after the pixel was answered;
    /// announce it.
    PixelRecorded { seen: Box<email::Seen> },
    /// Render the number image the pool answered, then announce the open.
    Number {
        variant: Variant,
        seen: Box<email::Seen>,
    },
    /// Send the recipient to their number, then announce the open.
    Click { dial: bool, seen: Box<email::Seen> },
    /// A webhooks route or an enqueue of events.
    Webhooks(webhooks::WebhookCont),
    /// The directory accepted (or refused) a claim; configure the pool next.
    PutClaimed {
        pool: String,
        settings: Box<PoolSettings>,
    },
    /// The pool took (or refused) its configuration.
    PutConfigured { pool: String, claim: ClaimReply },
    /// A failed configuration was undone in the directory; report the failure.
    PutRestored { error: crate::error::ApiError },
    /// The pool's state, to report.
    PoolState { pool: String },
    /// The pool was deleted; release its numbers in the directory next.
    Deleted { pool: String },
    /// A recipient was forgotten.
    Forgot { pool: String },
    /// The directory released the deleted pool's numbers.
    Released {
        pool: String,
        deletion: crate::protocol::Deletion,
    },
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
    CallLookup {
        call: Call,
        call_id: crate::calls::CallId,
    },
    /// The pool attributed the call.
    CallDone {
        pool: String,
        call_id: crate::calls::CallId,
    },
    /// The directory found (or not) the pool of a call whose outcome is set.
    OutcomeFound {
        call_id: crate::calls::CallId,
        outcome: serde_json::Value,
    },
    /// The pool set the call's outcome.
    OutcomeSet { pool: String },
    /// The pool's report, to render.
    Report {
        pool: String,
        format: admin::ReportFormat,
    },
    /// The pool's campaigns.
    Campaigns { pool: String },
    /// The directory listed pools: ask each for its state and campaigns.
    PoolList,
    /// Every listed pool's state and campaigns, in the order listed (two
    /// results per shard of each pool, all at once), with each pool's shard count.
    PoolsListed {
        names: Vec<(String, u32)>,
        more: bool,
    },
    /// The directory said how many shards the pool has: run the admin job.
    ShardsOf {
        pool: String,
        job: Box<admin::PoolJob>,
    },
    /// Every shard of a sharded pool answered the job's command (one result
    /// per shard, in shard order).
    Sharded {
        pool: String,
        job: Box<admin::PoolJob>,
    },
    /// Every shard of a sharded pool took (or refused) its configuration.
    PutShardsConfigured {
        pool: String,
        claim: ClaimReply,
        config: Box<ringmark_pool::PoolConfig>,
    },
    /// Every shard said who may have called a sharded pool's fallback or
    /// overflow number (`POST /v1/calls`).
    CallFanned {
        pool: String,
        shards: u32,
        call: Call,
        call_id: crate::calls::CallId,
    },
    /// Every shard of a sharded pool was asked for a stored call (or to set
    /// its outcome): one of them has it.
    CallAcross { pool: String, outcome: bool },
    /// The directory found (or not) the pool of a call to show.
    CallFound { call_id: crate::calls::CallId },
    /// The pool's stored call.
    CallShown { pool: String },
    /// The carrier's call webhooks (`telephony`).
    Telephony(telephony::Cont),
}

/// A source of random bytes: fills the buffer it is given.
pub type RandomSource = dyn Fn(&mut [u8]);

/// The edge logic of one isolate: keys, classifier and image cache.
pub struct Edge {
    keys: Result<Keyring, TokenError>,
    admin_tokens: Result<admin::AdminTokens, String>,
    twilio_auth_token: String,
    /// `RINGMARK_BASE_URL`: `Ok(None)` when unset, the error when invalid
    /// (then requests' own origins are used and `/healthz` fails).
    base_url: Result<Option<String>, String>,
    /// What was loaded at start, for `/healthz`.
    loaded: health::Loaded,
    classifier: Classifier,
    renderer: RefCell<Renderer>,
    log: RefCell<Vec<LogLine>>,
    /// The log context of the request being handled (swapped in and out of
    /// its steps by `begin` and `resume`).
    request_log: RefCell<RequestLog>,
    /// Unix seconds now: to refuse call times far from the present, and to
    /// date webhook events.
    clock: Box<dyn Fn() -> i64>,
    /// Fills a buffer with random bytes (webhook event ids).
    random: Box<RandomSource>,
    /// Whether webhook receivers may be private addresses.
    allow_private_webhooks: bool,
    /// Whether opens write data points to the `OPENS` dataset.
    analytics: bool,
    /// When this isolate last learnt which event types some webhook endpoint
    /// wants, and those types (see `webhooks::WANTED_TTL_SECONDS`).
    webhooks_wanted: RefCell<Option<(i64, std::collections::BTreeSet<crate::webhooks::EventType>)>>,
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

/// Random bytes from the platform (`crypto.getRandomValues` in wasm). If the
/// source fails (it does not on the platforms ringmark runs on), the bytes
/// come from the clock, which still makes distinct event ids in practice.
fn system_random(buf: &mut [u8]) {
    if getrandom::fill(buf).is_err() {
        let seed = system_now().to_le_bytes();
        for (i, b) in buf.iter_mut().enumerate() {
            *b = seed.get(i % seed.len()).copied().unwrap_or(0) ^ (i as u8);
        }
    }
}

impl Edge {
    /// Builds the edge from the deployment's configuration. A bad key or bad
    /// IP-range data does not stop image URLs from answering (they fall back);
    /// the problem is logged and the admin API reports it.
    pub fn new(config: &EdgeConfig) -> Self {
        let mut log = Vec::new();
        let mut error = |msg: String| {
            log.push(LogLine {
                level: Level::Error,
                msg,
                request_id: None,
                route: "startup",
            });
        };
        let keys = Keyring::parse(&config.signing_key);
        if let Err(e) = &keys {
            error(format!("RINGMARK_SIGNING_KEY is unusable: {e}"));
        }
        let admin_tokens = admin::AdminTokens::parse(&config.admin_token);
        if let Err(e) = &admin_tokens {
            error(format!("RINGMARK_ADMIN_TOKEN is unusable: {e}"));
        }
        let base_url = parse_base_url(&config.base_url);
        if let Err(e) = &base_url {
            error(format!("RINGMARK_BASE_URL is ignored: {e}"));
        }
        let mut ranges = config.ip_range_file.clone();
        let ip_ranges_file = ranges.len();
        let ip_ranges_variable = if config.ip_ranges.trim().is_empty() {
            None
        } else {
            match IpRanges::parse(&config.ip_ranges, None) {
                Ok(extra) => {
                    let n = extra.len();
                    ranges = ranges.merge(extra);
                    Some(Ok(n))
                }
                Err(e) => {
                    error(format!("RINGMARK_IP_RANGES ignored: {e}"));
                    Some(Err(e.to_string()))
                }
            }
        };
        let classifier =
            Classifier::with_ip_ranges(ranges).with_device_models(config.device_models.clone());
        Edge {
            keys,
            admin_tokens,
            twilio_auth_token: config.twilio_auth_token.clone(),
            base_url,
            loaded: health::Loaded {
                device_models: config.device_models.len(),
                ip_ranges_file,
                ip_ranges_variable,
            },
            classifier,
            renderer: RefCell::new(Renderer::new(RENDER_CACHE)),
            log: RefCell::new(log),
            request_log: RefCell::new(RequestLog::startup()),
            clock: Box::new(system_now),
            random: Box::new(system_random),
            allow_private_webhooks: config.allow_private_webhooks,
            analytics: config.analytics,
            webhooks_wanted: RefCell::new(None),
        }
    }

    /// Replaces the platform's randomness (webhook event ids), for tests.
    pub fn with_random(mut self, random: impl Fn(&mut [u8]) + 'static) -> Self {
        self.random = Box::new(random);
        self
    }

    /// Fills `buf` with random bytes from the edge's source.
    fn fill_random(&self, buf: &mut [u8]) {
        (self.random)(buf);
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
    /// from the present and to date webhook events.)
    pub fn begin(&self, request: &Request) -> Step {
        *self.request_log.borrow_mut() = RequestLog::for_request(request);
        let mut step = self.route(request);
        step.log = self.request_log.replace(RequestLog::startup());
        step
    }

    /// Routes a request to its handler.
    fn route(&self, request: &Request) -> Step {
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
        } else if let Some(rest) = path.strip_prefix("/v1/telephony/") {
            // Authenticated by the carrier's signature, not the admin token.
            return telephony::begin(self, request, rest);
        } else if path.starts_with("/v1/") {
            return admin::begin(self, request);
        } else if path == "/healthz" && head_or_get {
            return health::healthz(self, request);
        } else if path == "/" && head_or_get {
            return Step::respond(Response::new(
                200,
                "text/plain; charset=utf-8",
                concat!(
                    "ringmark ",
                    env!("CARGO_PKG_VERSION"),
                    ": per-recipient call-tracking numbers for email. See /v1/ (admin API).\n"
                ),
            ));
        }
        Step::respond(email::not_found(request))
    }

    /// Continues a request with the results of the step's effects, in the
    /// order the step listed them.
    pub fn resume(&self, mut step: Step, results: Vec<EffectResult>) -> Step {
        *self.request_log.borrow_mut() = std::mem::take(&mut step.log);
        let mut next = self.continue_with(step, results);
        next.log = self.request_log.replace(RequestLog::startup());
        next
    }

    /// Hands a step's results to the route that planned it.
    fn continue_with(&self, step: Step, results: Vec<EffectResult>) -> Step {
        // Continuations that read every result of a step at once.
        let cont = match step.cont {
            Cont::PoolsListed { names, more } => {
                return admin::pools_listed(self, names, more, results);
            }
            Cont::Sharded { pool, job } => return admin::sharded(self, pool, *job, &results),
            Cont::PutShardsConfigured {
                pool,
                claim,
                config,
            } => return admin::shards_configured(self, pool, claim, *config, &results),
            Cont::CallFanned {
                pool,
                shards,
                call,
                call_id,
            } => return admin::call_fanned(self, pool, shards, call, call_id, &results),
            Cont::CallAcross { pool, outcome } => {
                return admin::call_across(self, pool, outcome, results);
            }
            Cont::Telephony(telephony::Cont::Fanned { call, pool, shards }) => {
                return telephony::fanned(self, call, pool, shards, &results);
            }
            Cont::Telephony(telephony::Cont::ChangedAcross { what }) => {
                return telephony::changed_across(self, what, results);
            }
            cont => cont,
        };
        let mut results = results.into_iter();
        let result = results
            .next()
            .unwrap_or_else(|| EffectResult::failed("no result for the effect"));
        match cont {
            Cont::Done => Step::respond(Response::new(
                500,
                "text/plain; charset=utf-8",
                "nothing to resume\n",
            )),
            Cont::PixelRecorded { seen } => email::pixel_recorded(self, &seen, result.answer()),
            Cont::Number { variant, seen } => {
                let answer = result.answer();
                let events = email::open_events(self, &seen, &answer);
                webhooks::answer_then_enqueue(
                    self,
                    email::number_image(self, variant, answer),
                    events,
                )
            }
            Cont::Click { dial, seen } => {
                let answer = result.answer();
                let events = email::open_events(self, &seen, &answer);
                webhooks::answer_then_enqueue(self, email::click_page(self, dial, answer), events)
            }
            Cont::Telephony(cont) => telephony::resume(self, cont, result),
            Cont::Webhooks(cont) => webhooks::resume(self, cont, result),
            Cont::ShardsOf { pool, job } => admin::shards_of(self, pool, *job, result),
            cont => admin::resume(self, cont, result),
        }
    }

    /// Takes the log lines gathered since the last call (the adapter prints
    /// each as its [`LogLine::to_json`]).
    pub fn take_log(&self) -> Vec<LogLine> {
        std::mem::take(&mut *self.log.borrow_mut())
    }

    /// Logs a warning about the request being handled.
    fn warn(&self, line: String) {
        self.log_line(Level::Warn, &line);
    }

    /// Logs `msg` under the current request's id and route kind, scrubbed of
    /// its sensitive values (see [`log`]). The id is drawn on the first line
    /// of a request without `cf-ray`, so requests that log nothing draw no
    /// randomness.
    fn log_line(&self, level: Level, msg: &str) {
        let mut ctx = self.request_log.borrow_mut();
        if ctx.request_id.is_none() && ctx.route != "startup" {
            ctx.request_id = Some(log::random_id(|buf| self.fill_random(buf)));
        }
        let msg = log::scrub(msg, ctx.sensitive(self.keys.as_ref().ok()));
        self.log.borrow_mut().push(LogLine {
            level,
            msg,
            request_id: ctx.request_id.clone(),
            route: ctx.route,
        });
    }

    /// The origin issued URLs point at: `RINGMARK_BASE_URL` when set and
    /// valid, else the origin the request came in on.
    fn issuing_origin<'a>(&'a self, request: &'a Request) -> &'a str {
        match &self.base_url {
            Ok(Some(url)) => url,
            _ => request.origin(),
        }
    }
}

/// Reads `RINGMARK_BASE_URL`: empty is unset (`Ok(None)`); otherwise an
/// `https://` origin — host and optional port, no path, query, fragment or
/// credentials (a trailing `/` is dropped) — so URLs built as
/// `{base}/o/{token}.gif` are what the operator expects.
///
/// # Errors
/// Why the value is not such an origin.
pub fn parse_base_url(text: &str) -> Result<Option<String>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let Some(authority) = text.strip_prefix("https://") else {
        return Err("must start with https://".into());
    };
    let authority = authority.strip_suffix('/').unwrap_or(authority);
    if authority.is_empty() {
        return Err("names no host".into());
    }
    if authority.contains(['/', '?', '#']) {
        return Err("must be an origin (https://host[:port]), without a path".into());
    }
    if authority.contains('@') {
        return Err("must not carry credentials".into());
    }
    // A host name or IPv4 address, then an optional `:port` (no IPv6 literals:
    // a deployment's public origin is a domain).
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    let host_ok = !host.is_empty()
        && !host.starts_with(['.', '-'])
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'));
    if !host_ok {
        return Err("has an invalid host".into());
    }
    if let Some(port) = port
        && port.parse::<u16>().map_or(true, |p| p == 0)
    {
        return Err("has an invalid port".into());
    }
    Ok(Some(format!("https://{}", authority.to_ascii_lowercase())))
}

/// A pool id as it may appear in a URL and a Durable Object name.
pub fn valid_pool_id(pool: &str) -> bool {
    (1..=64).contains(&pool.len())
        && pool
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}
