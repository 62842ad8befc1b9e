//! The crate's one error type, [`PoolError`]: invalid configurations, broken replays and
//! malformed snapshots. Allocation and attribution never fail: exhaustion is a reported outcome.

use std::fmt;

/// Everything that can go wrong at this crate's boundary. Every variant names the offending
/// field, number or event so the admin API can show it verbatim.
#[derive(Clone, Debug, PartialEq)]
pub enum PoolError {
    /// `numbers` is empty: a pool needs at least one number to lease.
    EmptyPool,
    /// A number string is empty (`field` is `numbers`, `fallback` or `exhaustion.overflow.number`).
    EmptyNumber {
        /// Config field holding the empty string.
        field: &'static str,
    },
    /// `number` appears twice in `numbers`.
    DuplicateNumber {
        /// The repeated number.
        number: String,
    },
    /// A special number (`field`: `fallback` or `exhaustion.overflow.number`) is also a pool number,
    /// or the overflow number equals the fallback number.
    NumberConflict {
        /// Config field of the special number.
        field: &'static str,
        /// The conflicting number.
        number: String,
    },
    /// A length that must be positive is zero (`field`: `lease_seconds`).
    ZeroLength {
        /// The zero field.
        field: &'static str,
    },
    /// `max_lease_seconds` is below `lease_seconds`.
    MaxBelowMin {
        /// Configured `max_lease_seconds`.
        max_lease_seconds: u32,
        /// Configured `lease_seconds`.
        lease_seconds: u32,
    },
    /// `pressure_threshold` is not a finite number in (0, 1].
    BadThreshold {
        /// The rejected value.
        value: f64,
    },
    /// `max_holders` is 0 or above [`crate::MAX_HOLDERS`].
    BadMaxHolders {
        /// The rejected value.
        value: u32,
    },
    /// `exhaustion.share.max_holders` is below 2 (one holder per number is not sharing).
    BadShare {
        /// The rejected value.
        max_holders: u32,
    },
    /// `replay` was given no events.
    ReplayEmpty,
    /// The first replayed event is not `created`, or a second `created` was applied.
    ReplayOrder {
        /// Timestamp of the offending event.
        at: i64,
    },
    /// Re-executing a recorded event gave a different outcome than the one recorded (the log
    /// was written by a different allocator version or was edited).
    ReplayMismatch {
        /// Timestamp of the offending event.
        at: i64,
        /// What was recorded versus what replay produced.
        detail: String,
    },
    /// A snapshot failed validation (dangling index, out-of-order history, bad config).
    Snapshot {
        /// What is wrong with it.
        detail: String,
    },
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmptyPool => write!(f, "numbers: the pool needs at least one number"),
            Self::EmptyNumber { field } => write!(f, "{field}: empty phone number"),
            Self::DuplicateNumber { number } => write!(f, "numbers: {number} is listed twice"),
            Self::NumberConflict { field, number } => {
                write!(
                    f,
                    "{field}: {number} is already used as another pool, fallback or overflow number"
                )
            }
            Self::ZeroLength { field } => write!(f, "{field}: must be greater than zero"),
            Self::MaxBelowMin {
                max_lease_seconds,
                lease_seconds,
            } => write!(
                f,
                "max_lease_seconds: {max_lease_seconds} is below lease_seconds {lease_seconds}"
            ),
            Self::BadThreshold { value } => {
                write!(f, "pressure_threshold: {value} is not in (0, 1]")
            }
            Self::BadMaxHolders { value } => write!(
                f,
                "max_holders: {value} is not in 1..={}",
                crate::MAX_HOLDERS
            ),
            Self::BadShare { max_holders } => {
                write!(f, "exhaustion.share.max_holders: {max_holders} is below 2")
            }
            Self::ReplayEmpty => write!(f, "replay: no events"),
            Self::ReplayOrder { at } => {
                write!(
                    f,
                    "replay: event at {at} is out of order (created must come first, once)"
                )
            }
            Self::ReplayMismatch { at, detail } => {
                write!(f, "replay: event at {at} diverged: {detail}")
            }
            Self::Snapshot { detail } => write!(f, "snapshot: {detail}"),
        }
    }
}

impl std::error::Error for PoolError {}
