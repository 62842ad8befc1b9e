//! How a call record changes: pure, idempotent steps.
//!
//! Twilio retries a webhook it got no timely answer for, and may deliver
//! callbacks out of order, so every step here is safe to apply twice and
//! never moves a call backwards:
//!
//! - [`CallRecord::ringing`] creates the record for a new inbound call. On a
//!   retried voice webhook the caller keeps the stored record (insert if
//!   absent, keyed by [`CallId`]).
//! - [`CallRecord::apply_status`]: statuses only move forward
//!   (`queued` → `ringing` → `in-progress` → final); the **first final status
//!   wins** and later reports of any status are ignored.
//! - [`CallRecord::apply_transcript`]: the latest text is kept.
//! - [`CallRecord::set_manual_outcome`]: a person's decision, which rules never
//!   overwrite.
//!
//! Each returns a [`Change`] saying what happened, so the caller saves only
//! when something changed and emits `call.completed` / `call.outcome` exactly
//! once per real change, however often Twilio retries.

use super::id::CallId;
use super::outcome::ManualOutcome;
use super::record::{AttributionSummary, CURRENT_VERSION, CallRecord};
use super::rules::{Facts, Rules};
use super::status::CallStatus;
use super::{MAX_TRANSCRIPT_BYTES, bound_text};
use ringmark_phone::E164;

/// What a step changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[must_use = "save the record when `changed`, and emit events for `completed` and `outcome_changed`"]
pub struct Change {
    /// The record differs from before: save it.
    pub changed: bool,
    /// The call reached a final status just now: emit `call.completed`.
    pub completed: bool,
    /// The outcome was set, replaced or removed just now: emit `call.outcome`.
    pub outcome_changed: bool,
}

/// A provider-neutral status report (what a carrier callback, such as
/// [`crate::telephony::twilio::StatusCallback`], boils down to).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusUpdate {
    /// The reported status.
    pub status: CallStatus,
    /// Talk time in seconds, when reported.
    pub duration_seconds: Option<u32>,
}

impl CallRecord {
    /// A new call, ringing, with the pool's attribution (if any) at `now`.
    pub fn ringing(
        call_id: CallId,
        pool: &str,
        from: Option<E164>,
        to: E164,
        attribution: Option<AttributionSummary>,
        now: i64,
    ) -> CallRecord {
        CallRecord {
            version: CURRENT_VERSION,
            call_id,
            pool: pool.to_owned(),
            from,
            to,
            started_at: now,
            ended_at: None,
            status: CallStatus::Ringing,
            duration_seconds: None,
            transcript: None,
            transcript_truncated: false,
            attribution,
            outcome: None,
        }
    }

    /// Applies a status report. A final status records `ended_at = now` and
    /// the duration, then evaluates `rules`.
    ///
    /// Ignored (no change): a report of an earlier or the same stage, and any
    /// report once the call is final (the first final status wins, so a
    /// retried or duplicated callback cannot flip `completed` to `failed`).
    pub fn apply_status(&mut self, update: StatusUpdate, rules: &Rules, now: i64) -> Change {
        if self.status.is_final() || update.status.stage() <= self.status.stage() {
            return Change::default();
        }
        self.status = update.status;
        if !update.status.is_final() {
            return Change {
                changed: true,
                ..Change::default()
            };
        }
        self.ended_at = Some(now);
        self.duration_seconds = update.duration_seconds;
        Change {
            changed: true,
            completed: true,
            outcome_changed: self.evaluate_rules(rules, now),
        }
    }

    /// Stores a transcript (cut to [`MAX_TRANSCRIPT_BYTES`]) and, if the call
    /// is over, re-evaluates `rules` with it. The same text again is no
    /// change; a different text replaces it. A transcript arriving before
    /// the call ends is kept and used when it ends.
    pub fn apply_transcript(&mut self, text: &str, rules: &Rules, now: i64) -> Change {
        let (text, truncated) = bound_text(text, MAX_TRANSCRIPT_BYTES);
        if self.transcript.as_deref() == Some(text) && self.transcript_truncated == truncated {
            return Change::default();
        }
        self.transcript = Some(text.to_owned());
        self.transcript_truncated = truncated;
        let outcome_changed = self.status.is_final() && self.evaluate_rules(rules, now);
        Change {
            changed: true,
            completed: false,
            outcome_changed,
        }
    }

    /// Sets a person's outcome, which from now on beats the rules. Setting
    /// the same decision again is no change (its `decided_at` stays).
    pub fn set_manual_outcome(&mut self, manual: &ManualOutcome, now: i64) -> Change {
        let outcome = manual.to_outcome(now);
        if self
            .outcome
            .as_ref()
            .is_some_and(|o| o.same_decision(&outcome))
        {
            return Change::default();
        }
        self.outcome = Some(outcome);
        Change {
            changed: true,
            completed: false,
            outcome_changed: true,
        }
    }

    /// Re-decides the outcome from `rules` and the call's facts (duration,
    /// transcript), unless a person set it. Returns whether the outcome
    /// changed; the same decision again keeps the earlier `decided_at`.
    ///
    /// Public so the caller can re-run it when a pool's rules change.
    pub fn evaluate_rules(&mut self, rules: &Rules, now: i64) -> bool {
        if self.outcome.as_ref().is_some_and(|o| o.is_manual()) {
            return false;
        }
        let facts = Facts {
            duration_seconds: self.duration_seconds,
            transcript: self.transcript.as_deref(),
        };
        let decided = rules.evaluate(&facts, now);
        let same = match (&self.outcome, &decided) {
            (Some(old), Some(new)) => old.same_decision(new),
            (None, None) => true,
            _ => false,
        };
        if !same {
            self.outcome = decided;
        }
        !same
    }
}
