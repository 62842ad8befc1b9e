//! The messages the edge sends to the Durable Objects, and their answers.
//!
//! Both ends are this crate, so the messages are plain serde enums sent as
//! JSON bodies: the JS adapter forwards the text without reading it. One
//! Durable Object per pool (`POOL` binding, named by the pool id) owns the
//! allocator; one `DIRECTORY` object owns the number → pool map, so that a
//! call, which carries only the dialled number, finds its pool.

use ringmark_pool::{Call, PoolConfig};
use ringmark_render::Style;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

/// What the edge learnt about the opener, as stored with the open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opener {
    /// Device class label (`smartphone`, `tablet`, …).
    pub device: String,
    /// Opener kind label (`person`, `proxy`, `prefetch`, `scanner`, `crawler`).
    pub opener: String,
    /// Email client label, when known.
    pub client: Option<String>,
    /// Proxy or scanner name, when a machine made the request.
    pub proxy: Option<String>,
    /// True when a machine, not the recipient, made the request.
    pub machine: bool,
}

/// A message to a pool object.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum PoolCommand {
    /// Create or replace the pool's configuration.
    Configure {
        /// The new settings (already validated by the edge).
        settings: Box<PoolSettings>,
    },
    /// An email URL was fetched.
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
    /// Configuration and live figures.
    State,
    /// A call to one of the pool's numbers.
    Call {
        /// The call.
        call: Call,
    },
}

/// A pool object's answer to [`PoolCommand::Open`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NumberReply {
    /// E.164 number to show.
    pub number: String,
    /// Its display string.
    pub display: String,
    /// The pool's image style.
    pub style: Style,
    /// How the number was obtained (`exclusive`, `soft`, `fallback`, …).
    pub lease: String,
    /// When the pool had no free number for a person: the exhaustion
    /// policy's outcome (`overflow`, `stole`, `shared`, `fallback`).
    #[serde(default)]
    pub exhausted: Option<String>,
    /// True while the pool's utilisation is at or above its pressure threshold.
    #[serde(default)]
    pub pressure: bool,
}

/// A message to the directory object.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum DirectoryCommand {
    /// Make `numbers` exactly the set `pool` owns. Numbers the pool no longer
    /// lists stay routed to it, retired, for `quarantine_seconds`.
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
    },
    /// Undo a claim whose pool configuration then failed.
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
    /// Which pool owns a number.
    Lookup {
        /// E.164 number.
        number: String,
    },
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
}
