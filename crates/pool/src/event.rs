//! The audit log ([`Event`]): every state change, each with its timestamp.
//!
//! Two families. *Input* events (`created`, `configured`, `opened`, `call_recorded`, `pruned`)
//! carry a request and its recorded outcome; [`crate::Pool::apply`] re-executes the request at the
//! event's time and checks the outcome, so replaying the log rebuilds the state exactly
//! (so the log, not the snapshot, is the record of truth). *Derived* events (lease and tail ends, quarantine, exhaustion, steals,
//! pressure) are consequences of inputs and of time; replay recomputes them, so applying one is
//! a no-op. Lease expiry is a function of time: it is reported by the first operation at or
//! after the expiry, stamped with the expiry time itself.

use serde::{Deserialize, Serialize};

use crate::attribution::Call;
use crate::config::PoolConfig;
use crate::lease::{ExhaustionOutcome, Holder, LeaseKind, Signal, Timestamp};

/// Name of an exhaustion policy, as reported in [`Event::Exhausted`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyKind {
    /// `shared_tail`
    SharedTail,
    /// `fallback`
    Fallback,
    /// `steal_oldest_tail`
    StealOldestTail,
    /// `overflow`
    Overflow,
    /// `share`
    Share,
}

/// One entry of the audit log. JSON: internally tagged, `{"type": "opened", "at": ..., ...}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// Input: the pool was created with `config` (always the first event).
    Created {
        /// When.
        at: Timestamp,
        /// Initial configuration.
        config: PoolConfig,
    },
    /// Input: the pool was reconfigured.
    Configured {
        /// When.
        at: Timestamp,
        /// New configuration.
        config: PoolConfig,
    },
    /// Input: a recipient's image or CTA was requested, and what they got.
    Opened {
        /// When.
        at: Timestamp,
        /// Who.
        holder: Holder,
        /// Evidence of a human.
        signal: Signal,
        /// Device label stored with the association.
        device: String,
        /// Number served.
        number: String,
        /// Association kind.
        lease: LeaseKind,
        /// Same number as before.
        sticky: bool,
        /// When the association lapses.
        expires_at: Option<Timestamp>,
    },
    /// Input: a call was stored, and the top candidate it was attributed to at that time.
    CallRecorded {
        /// When the call was recorded.
        at: Timestamp,
        /// The call.
        call: Call,
        /// Best candidate, if any.
        holder: Option<Holder>,
        /// Confidence of the attribution.
        confidence: f64,
        /// Version of the scorer that attributed it (0: before versions were logged).
        #[serde(default)]
        scorer: u32,
    },
    /// Input: history older than the attribution window was dropped.
    Pruned {
        /// When.
        at: Timestamp,
        /// Associations dropped.
        associations: u64,
        /// Calls dropped.
        calls: u64,
        /// Holders forgotten.
        holders: u64,
    },
    /// Input: a recipient was forgotten on request ([`crate::Pool::forget`]); the event names
    /// nobody, and replaying it changes nothing (the snapshot written with it holds the change).
    Forgotten {
        /// When.
        at: Timestamp,
        /// Holder records renamed.
        holders: u64,
    },
    /// Derived: an exclusive/shared phase ended; the number enters its tail for this holder.
    LeaseEnded {
        /// Expiry time.
        at: Timestamp,
        /// Number.
        number: String,
        /// Former holder.
        holder: Holder,
    },
    /// Derived: a tail, soft, fallback or overflow association ended.
    AssociationEnded {
        /// Expiry time.
        at: Timestamp,
        /// Number.
        number: String,
        /// Former holder.
        holder: Holder,
    },
    /// Derived: an association was cut because its number left the pool or changed role.
    AssociationCut {
        /// When.
        at: Timestamp,
        /// Number.
        number: String,
        /// Former holder.
        holder: Holder,
    },
    /// Derived: a number entered quarantine.
    Quarantined {
        /// When.
        at: Timestamp,
        /// Number.
        number: String,
        /// End of quarantine.
        until: Timestamp,
    },
    /// Derived: a number left quarantine.
    QuarantineEnded {
        /// End of quarantine.
        at: Timestamp,
        /// Number.
        number: String,
    },
    /// Derived: a human signal found no free number; the policy's outcome.
    Exhausted {
        /// When.
        at: Timestamp,
        /// Who asked.
        holder: Holder,
        /// Configured policy.
        policy: PolicyKind,
        /// What happened (`fallback` when the policy had nothing to take).
        outcome: ExhaustionOutcome,
        /// Number served.
        number: String,
    },
    /// Derived: a tail number was taken from its tail holder (`steal_oldest_tail`).
    Stolen {
        /// When.
        at: Timestamp,
        /// Number.
        number: String,
        /// Tail holder that lost it.
        from: Holder,
        /// New exclusive holder.
        to: Holder,
    },
    /// Derived: utilisation crossed the pressure threshold upward.
    Pressure {
        /// When.
        at: Timestamp,
        /// Utilisation after the operation.
        utilisation: f64,
    },
    /// Derived: utilisation fell back below the pressure threshold.
    PressureRelieved {
        /// When.
        at: Timestamp,
        /// Utilisation after the operation.
        utilisation: f64,
    },
}

impl Event {
    /// The event's timestamp.
    pub fn at(&self) -> Timestamp {
        match self {
            Self::Created { at, .. }
            | Self::Configured { at, .. }
            | Self::Opened { at, .. }
            | Self::CallRecorded { at, .. }
            | Self::Pruned { at, .. }
            | Self::Forgotten { at, .. }
            | Self::LeaseEnded { at, .. }
            | Self::AssociationEnded { at, .. }
            | Self::AssociationCut { at, .. }
            | Self::Quarantined { at, .. }
            | Self::QuarantineEnded { at, .. }
            | Self::Exhausted { at, .. }
            | Self::Stolen { at, .. }
            | Self::Pressure { at, .. }
            | Self::PressureRelieved { at, .. } => *at,
        }
    }
}

/// Where a [`crate::Pool`] operation puts the events it produces. The pool hands each event
/// over as a closure that builds it, so a sink that keeps nothing never builds one: an event
/// carries owned strings (holders, numbers, devices), and building them costs more than the
/// allocation itself on the open path. One generic implementation of each operation serves
/// both kinds of caller, so the events a caller gets and the state changes it causes cannot
/// diverge from what a caller that ignores the events causes.
pub trait EventSink {
    /// Takes the event `make` builds, in order; a sink may drop it without calling `make`.
    fn emit(&mut self, make: impl FnOnce() -> Event);
}

/// The audit log: every event, in the order the operation produced them (what
/// [`crate::Pool::open`] and [`crate::Pool::record_call`] return).
impl EventSink for Vec<Event> {
    fn emit(&mut self, make: impl FnOnce() -> Event) {
        self.push(make());
    }
}

/// A sink that drops every event unbuilt, for callers that read only an operation's return
/// value and keep no log (the backtest replays millions of opens and reads only the numbers).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Discard;

impl EventSink for Discard {
    fn emit(&mut self, _make: impl FnOnce() -> Event) {}
}
