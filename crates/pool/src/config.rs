//! Pool configuration as the admin API sends it ([`PoolConfig`]), its defaults and validation.
//!
//! Defaults, and why: exclusive renewals capped at 7 days
//! (zar's `MAX_RENEWAL_AGE`), a 7-day tail (95% of eventual openers have opened by then),
//! 45-day quarantine (FCC number aging), a 30-day attribution window (zar's route cache), LRU
//! reuse, a shared tail when no number is free (the fallback number only when every number is
//! inside an exclusive lease) and a pressure event at 75% utilisation (Call Dynamics).

use serde::{Deserialize, Serialize};

use crate::error::PoolError;

/// Default renewal cap when `max_lease_seconds` is absent: 7 days (or `lease_seconds` if longer).
pub const DEFAULT_MAX_LEASE_SECONDS: u32 = 7 * 86_400;
/// Default `tail_seconds`: 7 days.
pub const DEFAULT_TAIL_SECONDS: u32 = 7 * 86_400;
/// Default `quarantine_seconds`: 45 days.
pub const DEFAULT_QUARANTINE_SECONDS: u32 = 45 * 86_400;
/// Default `attribution_window_seconds`: 30 days.
pub const DEFAULT_ATTRIBUTION_WINDOW_SECONDS: u32 = 30 * 86_400;
/// Default `pressure_threshold`: 0.75.
pub const DEFAULT_PRESSURE_THRESHOLD: f64 = 0.75;

/// Configuration of one pool. JSON: `{"numbers": [...], "fallback": "+1...", "lease_seconds": 86400}`
/// plus optional fields (defaults in brackets):
/// `max_lease_seconds` [max(7 d, lease_seconds)], `tail_seconds` [7 d], `quarantine_seconds` [45 d],
/// `attribution_window_seconds` [30 d], `reuse` (`"lru"`), `exhaustion` (`"shared_tail"`),
/// `pressure_threshold` [0.75], `max_holders` [60 000]. Unknown fields are rejected.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolConfig {
    /// The pool's numbers in E.164 (validated by the caller; treated as opaque keys).
    pub numbers: Vec<String>,
    /// The campaign's static number: served on exhaustion (default policy) and for machine
    /// signals from recipients that hold nothing. Must not be a pool number.
    pub fallback: String,
    /// Guaranteed minimum exclusive hold after a grant or a human renewal, seconds (> 0).
    pub lease_seconds: u32,
    /// Cap on the age of an exclusive association (renewals stop extending past
    /// `since + max_lease_seconds`). `None` means max(7 days, `lease_seconds`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_lease_seconds: Option<u32>,
    /// How long a number stays attributable to its last holder after the exclusive phase,
    /// during which it is not handed to anyone else (unless stolen), seconds.
    #[serde(default = "default_tail")]
    pub tail_seconds: u32,
    /// How long a number removed from the pool (or leaving the fallback/overflow role) waits
    /// before it can be leased again, seconds.
    #[serde(default = "default_quarantine")]
    pub quarantine_seconds: u32,
    /// How long associations and calls are kept for attribution after they end, seconds.
    #[serde(default = "default_window")]
    pub attribution_window_seconds: u32,
    /// Which free number is handed out next.
    #[serde(default)]
    pub reuse: Reuse,
    /// What a human signal gets when no number is free.
    #[serde(default)]
    pub exhaustion: Exhaustion,
    /// Utilisation (non-free share of leasable numbers) at which a `pressure` event fires, (0, 1].
    #[serde(default = "default_threshold")]
    pub pressure_threshold: f64,
    /// Most recipients the pool keeps at once (`None`: [`DEFAULT_MAX_HOLDERS`]). A recipient
    /// the pool does not know, opening while it keeps this many, is shown the fallback and
    /// nothing of them is kept (exhaustion outcome `full`), until the attribution window prunes
    /// older ones. Every recipient an opening (a person's or a prefetch's) reached is kept until
    /// then, and a pool's memory grows with them: this bound keeps a pool that runs on one
    /// Durable Object (128 MB) serving instead of failing. Recipients first reached by a
    /// machine (a prefetch) may take only half of these places, so a prefetch flood never
    /// leaves the people no room. (1 ..= [`MAX_HOLDERS`].)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_holders: Option<u32>,
}

/// Default `max_holders`: 60,000. Set when a pool object's wasm memory peaked at 1.1–1.4 KB
/// per kept recipient while writing a snapshot (107.5 MB at 100,000). Since the snapshot is
/// written from a borrowed view and handed over one part at a time, the peak is a reload:
/// about 600 B per kept recipient in wasm (58.5 MB at 100,000) and about 500 B more in
/// JavaScript's heap for the stored rows (`bench/wasm/pool-memory.mjs`), about 110,000 in a
/// Durable Object's 128 MB; 60,000 leaves it ample room.
pub const DEFAULT_MAX_HOLDERS: u32 = 60_000;
/// Largest `max_holders` accepted (for a host with more memory than a Durable Object).
pub const MAX_HOLDERS: u32 = 10_000_000;

/// Reuse order of free numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reuse {
    /// Least-recently-released first, ties by E.164 string order (never-leased numbers first).
    #[default]
    Lru,
    /// A seeded pseudo-random order: each release draws a SplitMix64 key from
    /// (seed, number, release time); the free number with the smallest key goes next.
    Random {
        /// PRNG seed.
        seed: u64,
    },
}

/// Exhaustion policy: what a human signal gets when no number is free. Always reported.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Exhaustion {
    /// Take the tail number shown to anyone longest ago as a new exclusive lease; its earlier
    /// holders stay candidates (see `policy/shared_tail.rs`). The fallback number only when
    /// every number is inside an exclusive lease.
    #[default]
    SharedTail,
    /// Serve the pool's fallback number (untracked per recipient).
    Fallback,
    /// Take the tail number released longest ago from its tail holders; fallback if no tail exists.
    StealOldestTail,
    /// Serve one reserved, tracked overflow number (flagged `overflow` in attribution).
    Overflow {
        /// The overflow number (not a pool number, not the fallback).
        number: String,
    },
    /// Add the recipient to the least-crowded leased or tail number, up to `max_holders`
    /// recipients per number; fallback when every number is full.
    Share {
        /// Maximum holders (leased plus tail) per number, ≥ 2.
        max_holders: u32,
    },
}

fn default_tail() -> u32 {
    DEFAULT_TAIL_SECONDS
}
fn default_quarantine() -> u32 {
    DEFAULT_QUARANTINE_SECONDS
}
fn default_window() -> u32 {
    DEFAULT_ATTRIBUTION_WINDOW_SECONDS
}
fn default_threshold() -> f64 {
    DEFAULT_PRESSURE_THRESHOLD
}

impl PoolConfig {
    /// `max_holders`, or its default.
    pub fn holder_limit(&self) -> u32 {
        self.max_holders.unwrap_or(DEFAULT_MAX_HOLDERS)
    }

    /// A config with the given numbers, fallback and lease and every other field at its default.
    pub fn new(numbers: Vec<String>, fallback: impl Into<String>, lease_seconds: u32) -> Self {
        Self {
            numbers,
            fallback: fallback.into(),
            lease_seconds,
            max_lease_seconds: None,
            tail_seconds: DEFAULT_TAIL_SECONDS,
            quarantine_seconds: DEFAULT_QUARANTINE_SECONDS,
            attribution_window_seconds: DEFAULT_ATTRIBUTION_WINDOW_SECONDS,
            reuse: Reuse::Lru,
            exhaustion: Exhaustion::SharedTail,
            pressure_threshold: DEFAULT_PRESSURE_THRESHOLD,
            max_holders: None,
        }
    }

    /// The effective renewal cap: `max_lease_seconds`, or max(7 days, `lease_seconds`).
    pub fn max_lease(&self) -> u32 {
        self.max_lease_seconds
            .unwrap_or(DEFAULT_MAX_LEASE_SECONDS.max(self.lease_seconds))
    }

    /// The overflow number, when the policy is `overflow`.
    pub fn overflow_number(&self) -> Option<&str> {
        match &self.exhaustion {
            Exhaustion::Overflow { number } => Some(number),
            _ => None,
        }
    }

    /// Checks the config: non-empty, duplicate-free pool; special numbers outside the pool and
    /// distinct; positive lease; cap ≥ lease; threshold in (0, 1]; share ≥ 2 holders.
    pub fn validate(&self) -> Result<(), PoolError> {
        if self.numbers.is_empty() {
            return Err(PoolError::EmptyPool);
        }
        let mut sorted: Vec<&str> = self.numbers.iter().map(String::as_str).collect();
        sorted.sort_unstable();
        if sorted.first().is_some_and(|n| n.is_empty()) {
            return Err(PoolError::EmptyNumber { field: "numbers" });
        }
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(PoolError::DuplicateNumber {
                number: w[0].to_owned(),
            });
        }
        let in_pool = |n: &str| sorted.binary_search(&n).is_ok();
        if self.fallback.is_empty() {
            return Err(PoolError::EmptyNumber { field: "fallback" });
        }
        if in_pool(&self.fallback) {
            return Err(PoolError::NumberConflict {
                field: "fallback",
                number: self.fallback.clone(),
            });
        }
        match &self.exhaustion {
            Exhaustion::Overflow { number } => {
                const FIELD: &str = "exhaustion.overflow.number";
                if number.is_empty() {
                    return Err(PoolError::EmptyNumber { field: FIELD });
                }
                if in_pool(number) || *number == self.fallback {
                    return Err(PoolError::NumberConflict {
                        field: FIELD,
                        number: number.clone(),
                    });
                }
            }
            Exhaustion::Share { max_holders } if *max_holders < 2 => {
                return Err(PoolError::BadShare {
                    max_holders: *max_holders,
                });
            }
            _ => {}
        }
        if self.lease_seconds == 0 {
            return Err(PoolError::ZeroLength {
                field: "lease_seconds",
            });
        }
        if let Some(max) = self.max_lease_seconds
            && max < self.lease_seconds
        {
            return Err(PoolError::MaxBelowMin {
                max_lease_seconds: max,
                lease_seconds: self.lease_seconds,
            });
        }
        let t = self.pressure_threshold;
        if !(t.is_finite() && t > 0.0 && t <= 1.0) {
            return Err(PoolError::BadThreshold { value: t });
        }
        if let Some(value) = self.max_holders
            && !(1..=MAX_HOLDERS).contains(&value)
        {
            return Err(PoolError::BadMaxHolders { value });
        }
        Ok(())
    }
}
