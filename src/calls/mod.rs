//! Calls to a pool's numbers once they have come in: the stored record, how
//! it moves through a call's life, and what it was worth.
//!
//! - [`CallRecord`] ([`record`]): one call, versioned for storage, keyed by a
//!   [`CallId`] ([`id`]).
//! - [`transitions`]: the only way a record changes — ringing, a status
//!   callback, a transcript, a manual outcome — each idempotent (Twilio
//!   retries callbacks) and each saying what changed, so the caller knows
//!   which webhook event (`call.completed`, `call.outcome`) to emit.
//! - [`Rules`] ([`rules`]): a pool's outcome rules, validated with errors that
//!   name the field, evaluated when a call ends or its transcript arrives.
//! - [`Outcome`] ([`outcome`]) and [`Money`] ([`money`]): what a call was
//!   worth; a manual outcome always beats the rules.
//!
//! Everything here is pure: the clock (`now`, Unix seconds) and randomness
//! are passed in, nothing is read or written.
#![deny(clippy::indexing_slicing, clippy::string_slice)]

pub mod id;
pub mod money;
pub mod outcome;
pub mod record;
pub mod rules;
pub mod status;
pub mod transitions;

pub use id::CallId;
pub use money::{Amount, Currency, Money};
pub use outcome::{ManualOutcome, Outcome, OutcomeSource};
pub use record::{AttributionSummary, CallRecord, RecordError};
pub use rules::{Facts, Rules};
pub use status::CallStatus;
pub use transitions::{Change, StatusUpdate};

use crate::error::{ApiError, ErrorCode};
use std::fmt;

/// Longest transcript kept, in bytes (32 KiB, about 40 minutes of speech).
/// Longer text is cut at a character boundary, not refused: the call is
/// genuine, and phrase rules only need the words.
pub const MAX_TRANSCRIPT_BYTES: usize = 32 * 1024;

/// `text` cut to at most `max` bytes at a character boundary, and whether it
/// was cut.
pub fn bound_text(text: &str, max: usize) -> (&str, bool) {
    if text.len() <= max {
        return (text, false);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (text.get(..end).unwrap_or_default(), true)
}

/// A value in a JSON body that is wrong, with the path of the field
/// (`rules[1].when.transcript_contains[0]`), so the operator can fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// JSON path of the offending field.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    pub(crate) fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for FieldError {}

impl From<FieldError> for ApiError {
    /// A 422 `invalid_field` naming the field.
    fn from(e: FieldError) -> ApiError {
        ApiError::field(ErrorCode::InvalidField, e.field, e.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bound_text_cuts_at_a_char_boundary() {
        assert_eq!(bound_text("abc", 3), ("abc", false));
        assert_eq!(bound_text("abcd", 3), ("abc", true));
        // 'é' is two bytes: a cut through it backs off to before it.
        assert_eq!(bound_text("aé", 2), ("a", true));
        assert_eq!(bound_text("", 0), ("", false));
    }
}
