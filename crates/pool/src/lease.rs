//! The vocabulary of a lease request and its answer: who asks ([`Holder`]), on what evidence
//! ([`Signal`]), and what they get ([`Allocation`], [`LeaseKind`], [`ExhaustionOutcome`]).

use serde::{Deserialize, Serialize};

/// Unix seconds. Always passed in by the caller (no clock in this crate).
pub type Timestamp = i64;

/// The identity a number is leased to: one recipient of one campaign.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Holder {
    /// Campaign identifier.
    pub campaign: String,
    /// Recipient token (signed, carried in the image and CTA URLs).
    pub recipient: String,
}

impl Holder {
    /// Builds a holder from anything string-like.
    pub fn new(campaign: impl Into<String>, recipient: impl Into<String>) -> Self {
        Self {
            campaign: campaign.into(),
            recipient: recipient.into(),
        }
    }
}

/// How much the request says about a human being present.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// A non-proxy image load by a person's mail client: takes or renews an exclusive lease.
    Human,
    /// A CTA click from a non-scanner: the strongest human signal; same effect as `Human`.
    Click,
    /// Apple MPP prefetch, link scanner, bot or caching image proxy: never takes an exclusive
    /// lease, only a soft hold.
    Machine,
}

/// What kind of association the returned number carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaseKind {
    /// The recipient is the number's only current holder.
    Exclusive,
    /// Non-exclusive: a machine signal's soft hold, or a recipient whose number is in its tail.
    Soft,
    /// The number is held by several recipients (`share` policy).
    Shared,
    /// The reserved overflow number (`overflow` policy).
    Overflow,
    /// The pool's fallback number.
    Fallback,
}

/// What the exhaustion policy did when no number was free.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExhaustionOutcome {
    /// Served the overflow number.
    Overflow,
    /// Took the oldest tail number from its tail holders.
    Stole,
    /// Added the recipient to a leased or tail number.
    Shared,
    /// Served the fallback number (the `fallback` policy, or another policy with nothing to take).
    Fallback,
    /// The pool keeps as many recipients as it may (`max_holders`): served the fallback to a
    /// person it did not know, and kept nothing of them.
    Full,
}

/// The answer to [`crate::Pool::open`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Allocation {
    /// The number to render (E.164).
    pub number: String,
    /// The association the recipient now has with it.
    pub lease: LeaseKind,
    /// True when the recipient already had this number before the request.
    pub sticky: bool,
    /// Set when no number was free for a human signal: the policy's outcome.
    pub exhausted: Option<ExhaustionOutcome>,
    /// Whether the pool is above its pressure threshold after this request.
    pub pressure: bool,
    /// When the association lapses unless renewed: the end of the exclusive/shared phase, or
    /// the end of the tail/soft/fallback/overflow association.
    pub expires_at: Option<Timestamp>,
}

/// A recipient's current association, as seen by [`crate::Pool::holding`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Holding {
    /// The number (E.164).
    pub number: String,
    /// `exclusive`/`shared` during the lease, `soft` in the tail or for a soft hold,
    /// `fallback`/`overflow` for exhaustion outcomes.
    pub lease: LeaseKind,
    /// When the current phase ends.
    pub expires_at: Timestamp,
}
