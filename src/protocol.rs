//! The typed contract between the edge and the Durable Objects.
//!
//! One Durable Object per pool (`POOL` binding, named by the pool id) owns the
//! allocator; one `DIRECTORY` object owns the number → pool map, so that a
//! call, which carries only the dialled number, finds its pool; one `WEBHOOKS`
//! object owns the outbound webhooks ([`WebhookCommand`]).
//!
//! Both ends are this crate, so every command is a Rust enum and every answer
//! a Rust type: the edge sends a [`PoolCommand`] or [`DirectoryCommand`] as JSON
//! text, the JS adapter hands the text to the object without reading it, and
//! the object answers an [`Answer`]: `{"ok": …}` with the command's reply type
//! (named on each variant), or `{"error": ObjectError}`. Enums cross as enums
//! (a lease kind, a device class), errors carry a code the edge maps to its
//! own ([`crate::error::ApiError`]) and the field at fault. Transport failures
//! (the object could not be reached) are the adapter's, and arrive at the edge
//! as [`ObjectErrorCode::Unreachable`].

use crate::calls::{CallId, CallRecord, CallStatus};
use crate::webhooks::endpoint::Disabled;
use crate::webhooks::outbox::Delivery;
use crate::webhooks::{Endpoint, EventType, Registration, WebhookEvent};
use ringmark_classify::{DeviceClass, Opener as OpenerKind};
use ringmark_pool::{Call, ExhaustionOutcome, LeaseKind, PoolConfig, PoolStats, Timestamp};
use ringmark_render::Style;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Everything a pool object keeps about its configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PoolSettings {
    /// The allocator's configuration (numbers, fallback, lease lengths, policies).
    pub config: PoolConfig,
    /// Display string per E.164 number (pool numbers, fallback, overflow),
    /// computed when the number joined the pool.
    pub displays: BTreeMap<String, String>,
    /// The image style.
    pub style: Style,
    /// How the pool takes live calls (none configured: calls are only
    /// attributed when reported to `POST /v1/calls`).
    #[serde(default, skip_serializing_if = "CallSettings::is_default")]
    pub calls: CallSettings,
    /// When the pool was first configured (Unix seconds; set by the pool
    /// object, kept across reconfigurations; absent for pools configured
    /// before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    /// How many shard objects the pool is split into (`PUT` field `shards`,
    /// a power of two from 1 to [`crate::shard::MAX_SHARDS`]; fixed for the
    /// pool's life). 1 — and absent, as in every pool stored before shards
    /// existed — is one object named by the pool, as before.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub shards: u32,
    /// Which shard these settings are (`0..shards`): each shard object is
    /// configured with only the numbers it owns ([`ClaimReply::shards`]),
    /// beside the shared fallback and settings.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub shard: u32,
}

fn one() -> u32 {
    1
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// How a pool takes live calls from the carrier (`PUT /v1/pools/{pool}`
/// fields `forward_to`, `whisper`, `record`, `rules`, `currency`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CallSettings {
    /// The business line calls are forwarded to (E.164). Without it the
    /// carrier's webhook is answered with a short message and a hang-up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward_to: Option<String>,
    /// What the agent hears before the caller is connected; `{campaign}` is
    /// replaced by the attributed campaign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whisper: Option<String>,
    /// Record forwarded calls (both channels, from answer).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub record: bool,
    /// Outcome rules (validated JSON, see [`crate::calls::Rules`]); `null` for none.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub rules: serde_json::Value,
    /// Currency of rule values that name none (ISO 4217; default USD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

impl CallSettings {
    fn is_default(&self) -> bool {
        *self == CallSettings::default()
    }

    /// The pool's currency (USD when none was set).
    pub fn currency(&self) -> crate::calls::Currency {
        self.currency
            .as_deref()
            .and_then(|c| crate::calls::Currency::parse(c).ok())
            .unwrap_or(crate::calls::Currency::USD)
    }

    /// The outcome rules (none when unset or, for a value stored before a
    /// rule format change, unreadable).
    pub fn rules(&self) -> crate::calls::Rules {
        if self.rules.is_null() {
            return crate::calls::Rules::none();
        }
        crate::calls::Rules::from_value(&self.rules, "rules", self.currency())
            .unwrap_or_else(|_| crate::calls::Rules::none())
    }
}

impl PoolSettings {
    /// The display string for a number (its E.164 form when none was stored).
    pub fn display(&self, number: &str) -> String {
        self.displays
            .get(number)
            .cloned()
            .unwrap_or_else(|| number.to_owned())
    }
}

/// Which email URL an open came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpenKind {
    /// `/o/{token}.gif`: records the open, allocates nothing.
    Pixel,
    /// `/n/{token}.png`: allocates or renews.
    Number,
    /// `/c/{token}`: a click, the strongest human signal.
    Click,
}

impl OpenKind {
    /// The lowercase name stored with the open and used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            OpenKind::Pixel => "pixel",
            OpenKind::Number => "number",
            OpenKind::Click => "click",
        }
    }
}

/// What the edge learnt about the opener, as stored with the open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opener {
    /// Device class.
    pub device: DeviceClass,
    /// Who made the request: the person, or which kind of machine.
    pub opener: OpenerKind,
    /// Email client, when known.
    pub client: Option<String>,
    /// Proxy or scanner name, when a machine made the request.
    pub proxy: Option<String>,
    /// True when a machine, not the recipient, made the request.
    pub machine: bool,
}

/// A message to a pool object. Each variant names the type of its reply.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum PoolCommand {
    /// Create or replace the pool's configuration. Reply: [`Configured`].
    Configure {
        /// The new settings (already validated by the edge).
        settings: Box<PoolSettings>,
    },
    /// An email URL was fetched. Reply: [`Opened`].
    Open {
        /// Campaign from the token.
        campaign: String,
        /// Recipient from the token.
        recipient: String,
        /// Which URL.
        kind: OpenKind,
        /// Who fetched it.
        opener: Opener,
    },
    /// Configuration and live figures, for people to read. Reply: [`PoolState`].
    State,
    /// The settings alone (no figures computed): for signing tokens and
    /// writing snippets. Reply: [`PoolSettings`].
    Settings,
    /// A call reported to `POST /v1/calls`, already over: attributed and
    /// kept under `call_id` (the same id again answers the stored call).
    /// Reply: [`Reported`].
    Call {
        /// The pool's name (kept with the call).
        pool: String,
        /// The call.
        call: Call,
        /// Its id.
        call_id: CallId,
        /// Above 1: a call to the fallback (or overflow) number of a pool of
        /// this many shards, which asked every shard ([`PoolCommand::Attribute`])
        /// and chose this one; its scores and confidence are this shard's
        /// share, 1/`shards` (see [`crate::shard`]).
        #[serde(default = "one", skip_serializing_if = "is_one")]
        shards: u32,
    },
    /// A live call ringing one of the pool's numbers (the carrier's voice
    /// webhook): attributed now and kept under `call_id`; a retried webhook
    /// answers the stored call. Reply: [`Rung`].
    Ring {
        /// The pool's name (kept with the call).
        pool: String,
        /// The call (no duration yet).
        call: Call,
        /// The carrier's id for it.
        call_id: CallId,
        /// As [`PoolCommand::Call`]'s `shards`.
        #[serde(default = "one", skip_serializing_if = "is_one")]
        shards: u32,
    },
    /// Who may have made a call, without storing it or changing anything:
    /// asked of every shard of a sharded pool when the fallback (or overflow)
    /// number, which every shard shows, is called. Reply:
    /// [`ringmark_pool::Attribution`].
    Attribute {
        /// The call.
        call: Call,
    },
    /// The carrier reported a call's status. Reply: [`CallChanged`].
    CallStatus {
        /// Which call.
        call_id: CallId,
        /// The reported status.
        status: CallStatus,
        /// Talk time of the forwarded leg, when reported.
        duration_seconds: Option<u32>,
    },
    /// A call's transcript arrived. Reply: [`CallChanged`].
    CallTranscript {
        /// Which call.
        call_id: CallId,
        /// The text.
        text: String,
    },
    /// Tokens are being issued for `recipients` of `campaign`: remember them
    /// (for the report's recipients with tokens and its per-recipient rows).
    /// Reply: [`PoolSettings`].
    Issue {
        /// The campaign.
        campaign: String,
        /// Its recipients (already validated by the edge).
        recipients: Vec<String>,
    },
    /// The pool's campaigns (recipients issued tokens, per campaign). Reply:
    /// a list of [`crate::reports::CampaignLine`].
    Campaigns,
    /// A campaign's report. Reply: [`ReportReply`].
    Report {
        /// The campaign.
        campaign: String,
        /// How much beyond the summary.
        detail: ReportDetail,
    },
    /// A stored call. Reply: [`crate::calls::CallRecord`].
    GetCall {
        /// Which call.
        call_id: CallId,
    },
    /// Someone set the call's outcome by hand (validated
    /// [`crate::calls::ManualOutcome`] JSON). Reply: [`CallChanged`].
    SetOutcome {
        /// Which call.
        call_id: CallId,
        /// The outcome body.
        outcome: serde_json::Value,
    },
    /// Stop leasing, answer the fallback, and delete the pool's data once its
    /// attribution window has passed. Idempotent. Reply: [`Deletion`].
    Delete,
    /// Forget a recipient on request (every campaign): their opens are
    /// deleted, their place in the allocator and in calls' attributions keeps
    /// no id, and no stored row names them afterwards. Idempotent. Reply:
    /// [`Forgotten`].
    Forget {
        /// The recipient id, as tokens carry it.
        recipient: String,
    },
}

/// A pool object's answer to [`PoolCommand::Ring`]: the stored call and how
/// to connect it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rung {
    /// The call as stored (with its attribution).
    pub record: CallRecord,
    /// Where to forward it, if the pool takes live calls.
    pub forward_to: Option<String>,
    /// The whisper, `{campaign}` already replaced.
    pub whisper: Option<String>,
    /// Record the forwarded call.
    pub record_call: bool,
    /// False when the webhook was a retry of a call already stored.
    pub new: bool,
}

/// What a report carries beyond its summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportDetail {
    /// The figures only.
    Summary,
    /// And one row per recipient.
    Recipients,
    /// And the campaign's converted calls.
    Conversions,
}

/// A pool object's answer to [`PoolCommand::Report`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportReply {
    /// The figures.
    pub summary: crate::reports::CampaignReport,
    /// Per recipient ([`ReportDetail::Recipients`]).
    #[serde(default)]
    pub recipients: Vec<crate::reports::RecipientRow>,
    /// The campaign's calls ([`ReportDetail::Conversions`]).
    #[serde(default)]
    pub calls: Vec<CallRecord>,
}

/// A pool object's answer to [`PoolCommand::Call`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reported {
    /// The attribution (re-read for a call reported before).
    pub attribution: ringmark_pool::Attribution,
    /// The call as stored.
    pub record: CallRecord,
    /// False when the same call was reported before.
    pub new: bool,
}

/// A pool object's answer to a change of a stored call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallChanged {
    /// The call as stored now.
    pub record: CallRecord,
    /// Anything changed (and was saved).
    pub changed: bool,
    /// The call reached a final status just now.
    pub completed: bool,
    /// The outcome was set or replaced just now.
    pub outcome_changed: bool,
}

/// A pool object's answer to [`PoolCommand::Configure`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Configured {
    /// The configuration now in force.
    pub config: PoolConfig,
    /// Live figures right after it.
    pub live: PoolStats,
}

/// A pool object's answer to [`PoolCommand::Open`]: the number to show, or
/// nothing for a pixel (which shows no number).
pub type Opened = Option<NumberReply>;

/// The number a recipient is shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NumberReply {
    /// E.164 number to show.
    pub number: String,
    /// Its display string.
    pub display: String,
    /// The pool's image style.
    pub style: Style,
    /// How the number was obtained.
    pub lease: LeaseKind,
    /// When the pool had no free number for a person: the exhaustion
    /// policy's outcome.
    #[serde(default)]
    pub exhausted: Option<ExhaustionOutcome>,
    /// True while the pool's utilisation is at or above its pressure threshold.
    #[serde(default)]
    pub pressure: bool,
}

/// Counters of the opens a pool has seen.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenStats {
    /// Every recorded fetch of an email URL.
    pub total: u64,
    /// Fetches made by a machine (proxy, prefetch, scanner, crawler).
    pub machine: u64,
    /// Fetches made by a person's device.
    pub human: u64,
    /// By URL kind (`pixel`, `number`, `click`).
    pub by_kind: BTreeMap<String, u64>,
    /// By device class.
    pub by_device: BTreeMap<String, u64>,
    /// By email client (`unknown` when none was recognised).
    pub by_client: BTreeMap<String, u64>,
    /// By opener kind (`person`, `proxy`, `prefetch`, …).
    pub by_opener: BTreeMap<String, u64>,
}

impl OpenStats {
    /// Counts one open.
    pub fn count(&mut self, kind: OpenKind, opener: &Opener) {
        self.total += 1;
        if opener.machine {
            self.machine += 1;
        } else {
            self.human += 1;
        }
        *self.by_kind.entry(kind.as_str().into()).or_default() += 1;
        *self
            .by_device
            .entry(opener.device.as_str().into())
            .or_default() += 1;
        let client = opener.client.clone().unwrap_or_else(|| "unknown".into());
        *self.by_client.entry(client).or_default() += 1;
        *self
            .by_opener
            .entry(opener.opener.as_str().into())
            .or_default() += 1;
    }
}

/// A pool object's answer to [`PoolCommand::State`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PoolState {
    /// The allocator's configuration.
    pub config: PoolConfig,
    /// The image style.
    pub style: Style,
    /// Display string per number.
    pub displays: BTreeMap<String, String>,
    /// Live figures.
    pub live: PoolStats,
    /// Open counters.
    pub opens: OpenStats,
    /// When the pool was first configured (see [`PoolSettings::created_at`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    /// The pool's shard count ([`PoolSettings::shards`]; absent for 1). The
    /// admin API answers a sharded pool's state summed over its shards.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub shards: u32,
    /// Set once the pool was deleted: it shows only its fallback, and its data
    /// goes at `purge_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<Deletion>,
}

/// A deleted pool's schedule: the answer to [`PoolCommand::Delete`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deletion {
    /// When the pool was deleted (Unix seconds).
    pub deleted_at: Timestamp,
    /// When its data is deleted: `deleted_at` plus the attribution window, so
    /// calls from emails already sent are still attributed until then.
    pub purge_at: Timestamp,
    /// The numbers it owned, which the directory retires into quarantine.
    pub numbers: Vec<String>,
    /// The quarantine the pool configured.
    pub quarantine_seconds: i64,
}

/// What forgetting a recipient changed: the answer to [`PoolCommand::Forget`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Forgotten {
    /// Holder records in the allocator that now name no one (one per campaign
    /// the recipient was seen in; 0 when the pool never saw the id).
    pub holders: u64,
    /// Stored calls whose attribution named the recipient and no longer does.
    pub calls: u64,
}

/// A message to the directory object. Each variant names the type of its reply.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum DirectoryCommand {
    /// Make `numbers` exactly the set `pool` owns. Numbers the pool no longer
    /// lists stay routed to it, retired, for `quarantine_seconds`. Reply: [`ClaimReply`].
    Claim {
        /// The pool.
        pool: String,
        /// Its numbers (pool numbers and overflow number).
        numbers: Vec<String>,
        /// Its fallback number: routed to the pool for calls, and shareable
        /// between pools (a company's main line), but never a tracking number.
        fallback: String,
        /// How long a retired number stays with the pool.
        quarantine_seconds: i64,
        /// The pool's shard count ([`PoolSettings::shards`]): recorded with
        /// the pool's first claim and refused if it changes later (conflict
        /// on `shards`). Above 1, each of `numbers` new to the pool is dealt
        /// to the shard that owns the fewest, for good ([`ClaimReply::shards`]).
        #[serde(default = "one", skip_serializing_if = "is_one")]
        shards: u32,
        /// Numbers among `numbers` that every shard shows (the overflow
        /// number): routed to the pool, dealt to no shard.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        shared: Vec<String>,
    },
    /// How many shards a pool has (1 for a pool the directory does not
    /// know). Reply: `u32`.
    PoolShards {
        /// The pool.
        pool: String,
    },
    /// Undo a claim whose pool configuration then failed. Reply: `()`.
    Restore {
        /// The pool.
        pool: String,
        /// The entries the claim answered with in `previous`.
        previous: Vec<DirectoryEntry>,
        /// The numbers the failed claim added.
        added: Vec<String>,
        /// The pool's fallback before the claim.
        previous_fallback: Option<String>,
    },
    /// A pool was deleted: retire every number it owns into quarantine (calls
    /// to them still reach it until then) and stop routing its fallback to it.
    /// Idempotent. Reply: [`Released`].
    Release {
        /// The pool.
        pool: String,
        /// How long its numbers stay retired before another pool may take them.
        quarantine_seconds: i64,
    },
    /// Which pool owns a number. Reply: [`DirectoryEntry`].
    Lookup {
        /// E.164 number.
        number: String,
    },
    /// Which pool owns a dialled number; remember that `call_id` went to it,
    /// so the call's outcome can be set by id later. Reply: [`DirectoryEntry`].
    RouteCall {
        /// The dialled number.
        number: String,
        /// The call's id.
        call_id: CallId,
        /// When it came in.
        at: Timestamp,
    },
    /// Which pool a call went to. Reply: [`CallRoute`].
    FindCall {
        /// The call's id.
        call_id: CallId,
    },
    /// The pools that own numbers or a fallback, by name (at most `limit`
    /// after `after`). Reply: [`PoolList`].
    Pools {
        /// Only pools named after this one.
        after: Option<String>,
        /// At most this many.
        limit: usize,
    },
}

/// The directory's answer to [`DirectoryCommand::Pools`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolList {
    /// Pool names, sorted.
    pub pools: Vec<String>,
    /// Whether more pools follow the last one.
    pub more: bool,
    /// The shard count of each listed pool that has more than one.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub shards: BTreeMap<String, u32>,
}

/// The directory's answer to [`DirectoryCommand::FindCall`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRoute {
    /// The pool the call went to.
    pub pool: String,
    /// When it came in.
    pub at: Timestamp,
    /// The pool's shard count: above 1, the call is stored in one of them
    /// (the edge asks each).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub shards: u32,
}

/// One row of the directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryEntry {
    /// E.164 number.
    pub number: String,
    /// Owning pool.
    pub pool: String,
    /// When the pool dropped the number (it still routes there until the
    /// quarantine ends).
    pub retired_at: Option<i64>,
    /// End of the quarantine for a retired number.
    pub free_at: Option<i64>,
    /// The shard that owns the number, when its pool has more than one
    /// (none for a fallback or overflow number, which every shard shows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<u32>,
    /// The pool's shard count.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub shards: u32,
}

/// The directory's answer to a claim.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimReply {
    /// The pool's entries before the claim (to undo it).
    pub previous: Vec<DirectoryEntry>,
    /// Numbers that were new to the pool.
    pub added: Vec<String>,
    /// The pool's fallback number before the claim.
    pub previous_fallback: Option<String>,
    /// For a pool of more than one shard: the owning shard of each of its
    /// live numbers (the claim's `numbers` but `shared`), each shard's
    /// configuration carrying only its own.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub shards: BTreeMap<String, u32>,
}

/// The directory's answer to a release.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Released {
    /// Numbers retired by this release (none when it was already released).
    pub retired: Vec<String>,
    /// When the last of them may be claimed by another pool.
    pub free_at: Option<i64>,
}

/// A message to the deployment's one webhooks object (`WEBHOOKS` binding,
/// named `"webhooks"`; engine: [`crate::objects::WebhooksObject`]). Each
/// variant names the type of its reply.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum WebhookCommand {
    /// Register or update an endpoint (a new one gets a fresh secret; an
    /// existing one keeps its secret and is re-enabled). Reply: [`RegisteredWebhook`].
    Register {
        /// The endpoint id (checked by the object).
        id: String,
        /// The registration, already validated by the edge (URL guard included).
        registration: Registration,
    },
    /// One endpoint. Reply: [`WebhookEndpoint`].
    Get {
        /// The endpoint id.
        id: String,
    },
    /// Remove an endpoint and its deliveries. Reply: `()`.
    Remove {
        /// The endpoint id.
        id: String,
    },
    /// An endpoint's deliveries, newest first. Reply: [`WebhookDeliveries`].
    Deliveries {
        /// The endpoint id.
        id: String,
        /// At most this many.
        limit: usize,
    },
    /// Send a stored event to an endpoint again. Reply: [`Replayed`].
    Replay {
        /// The endpoint id.
        id: String,
        /// The event (`msg_…`, its `webhook-id`).
        event_id: String,
    },
    /// Events that happened: one delivery per endpoint that wants each.
    /// Idempotent per event id. Reply: [`Enqueued`].
    Enqueue {
        /// The events, bodies rendered.
        events: Vec<WebhookEvent>,
    },
}

/// An endpoint as the admin API shows it (never its secret).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    /// Its id.
    pub id: String,
    /// The canonical URL requests go to.
    pub url: String,
    /// The event types it receives.
    pub events: Vec<EventType>,
    /// The pools it hears about (empty: all).
    pub pools: Vec<String>,
    /// Seconds to wait before each retry.
    pub retry_schedule_seconds: Vec<u32>,
    /// When it was first registered (Unix seconds).
    pub created: i64,
    /// Set when deliveries stopped (retries exhausted or `410 Gone`), with why.
    pub disabled: Option<Disabled>,
}

impl From<&Endpoint> for WebhookEndpoint {
    fn from(e: &Endpoint) -> Self {
        WebhookEndpoint {
            id: e.id.clone(),
            url: e.url.clone(),
            events: e.events.clone(),
            pools: e.pools.clone(),
            retry_schedule_seconds: e.retry_schedule_seconds.clone(),
            created: e.created,
            disabled: e.disabled.clone(),
        }
    }
}

/// The webhooks object's answer to [`WebhookCommand::Register`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegisteredWebhook {
    /// The endpoint as registered.
    pub endpoint: WebhookEndpoint,
    /// Its signing secret (`whsec_…`), for the receiver to verify with.
    pub secret: String,
}

/// The webhooks object's answer to [`WebhookCommand::Deliveries`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookDeliveries {
    /// Newest first.
    pub deliveries: Vec<Delivery>,
}

/// The webhooks object's answer to [`WebhookCommand::Replay`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replayed {
    /// The new delivery's id.
    pub delivery: u64,
}

/// The webhooks object's answer to [`WebhookCommand::Enqueue`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enqueued {
    /// Deliveries created (0 when no endpoint wants the events).
    pub deliveries: usize,
    /// The event types some enabled endpoint wants (of any pool): the edge
    /// caches it for a short while and sends nothing nobody wants.
    #[serde(default)]
    pub wanted: Vec<EventType>,
}

/// Why an object refused a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectErrorCode {
    /// The command text could not be read (a bug between edge and object).
    BadCommand,
    /// The pool was never configured (or its data was purged).
    UnknownPool,
    /// The number belongs to no pool.
    UnknownNumber,
    /// The thing named (a webhook, an event) does not exist; `field` says which.
    NotFound,
    /// A number is taken by another pool, quarantined, or a shared fallback.
    Conflict,
    /// The configuration is invalid for the allocator.
    Invalid,
    /// The pool is deleted and waiting to be purged.
    Deleted,
    /// No call with that id.
    UnknownCall,
    /// The adapter could not reach the object (or it threw).
    Unreachable,
    /// The object failed to read its own storage.
    Internal,
}

/// An object's refusal: a code, a message for people, and the field at fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectError {
    /// What went wrong.
    pub code: ObjectErrorCode,
    /// Human-readable explanation.
    pub message: String,
    /// The input field at fault (JSON path), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ObjectError {
    /// An error without a field.
    pub fn new(code: ObjectErrorCode, message: impl Into<String>) -> Self {
        ObjectError {
            code,
            message: message.into(),
            field: None,
        }
    }

    /// An error naming the field at fault.
    pub fn field(code: ObjectErrorCode, field: &str, message: impl Into<String>) -> Self {
        ObjectError {
            code,
            message: message.into(),
            field: Some(field.to_owned()),
        }
    }
}

impl fmt::Display for ObjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

/// What an object answers to every command: the command's reply, or an error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer<T> {
    /// The reply.
    Ok(T),
    /// The refusal.
    Error(ObjectError),
}

impl<T: Serialize> Answer<T> {
    /// The answer as the JSON text the adapter carries back.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| {
            let error = ObjectError::new(ObjectErrorCode::Internal, format!("answer: {e}"));
            serde_json::to_string(&Answer::<()>::Error(error)).unwrap_or_default()
        })
    }
}

impl<T> From<Result<T, ObjectError>> for Answer<T> {
    fn from(result: Result<T, ObjectError>) -> Self {
        match result {
            Ok(v) => Answer::Ok(v),
            Err(e) => Answer::Error(e),
        }
    }
}

/// Reads an object's answer text as the reply type `T` the command names.
///
/// # Errors
/// The object's own error, or [`ObjectErrorCode::Internal`] when the text is
/// not an answer of that type.
pub fn read_answer<T: DeserializeOwned>(text: &str) -> Result<T, ObjectError> {
    match serde_json::from_str::<Answer<T>>(text) {
        Ok(Answer::Ok(v)) => Ok(v),
        Ok(Answer::Error(e)) => Err(e),
        Err(e) => Err(ObjectError::new(
            ObjectErrorCode::Internal,
            format!("unreadable object answer: {e}"),
        )),
    }
}

/// The lowercase label an enum serialises to (`"exclusive"`, `"smartphone"`),
/// for headers and stored rows.
pub fn label<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_carry_the_reply_or_a_coded_error() {
        let ok: Answer<Deletion> = Answer::Ok(Deletion {
            deleted_at: 1,
            purge_at: 2,
            numbers: vec!["+14155550101".into()],
            quarantine_seconds: 3,
        });
        let text = ok.to_json();
        assert!(text.starts_with(r#"{"ok":"#), "{text}");
        assert_eq!(read_answer::<Deletion>(&text).map(|d| d.purge_at), Ok(2));

        let refused: Answer<Deletion> = Answer::Error(ObjectError::field(
            ObjectErrorCode::Conflict,
            "numbers",
            "taken",
        ));
        let text = refused.to_json();
        assert_eq!(
            text,
            r#"{"error":{"code":"conflict","message":"taken","field":"numbers"}}"#
        );
        let error = read_answer::<Deletion>(&text).unwrap_err();
        assert_eq!(error.code, ObjectErrorCode::Conflict);
        assert_eq!(error.field.as_deref(), Some("numbers"));
    }

    #[test]
    fn an_answer_of_the_wrong_type_is_an_internal_error_not_a_panic() {
        let error = read_answer::<Deletion>(r#"{"ok":{"number":"+1"}}"#).unwrap_err();
        assert_eq!(error.code, ObjectErrorCode::Internal);
        let error = read_answer::<Deletion>("not json").unwrap_err();
        assert_eq!(error.code, ObjectErrorCode::Internal);
    }

    #[test]
    fn enums_cross_as_their_names() {
        let opener = Opener {
            device: DeviceClass::Smartphone,
            opener: OpenerKind::Prefetch,
            client: None,
            proxy: Some("Apple MPP".into()),
            machine: true,
        };
        let json = serde_json::to_value(&opener).unwrap();
        assert_eq!(json["device"], "smartphone");
        assert_eq!(json["opener"], "prefetch");
        assert_eq!(
            serde_json::from_value::<Opener>(json).unwrap(),
            opener,
            "round trip"
        );
        assert_eq!(label(&LeaseKind::Exclusive), "exclusive");
    }
}
