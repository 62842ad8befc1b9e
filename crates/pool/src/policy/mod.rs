//! Exhaustion policies: what a person's open gets when no number is free. One file per
//! policy; [`take`] is the one place that maps the configured [`Exhaustion`] to its code, and
//! [`crate::config::Exhaustion`] the one place it is named in the configuration. A new policy
//! is a file here, a variant there and an arm in each `match`.
//!
//! A policy either places the recipient on a pool number (or the overflow number) and says
//! how, or declines, and the recipient is shown the fallback number. Every outcome but the
//! shared tail's reuse of a tail number is an exhaustion: reported in the allocation, counted,
//! and logged as [`crate::Event::Exhausted`].

mod fallback;
mod overflow;
mod share;
mod shared_tail;
mod steal_oldest_tail;

use crate::config::Exhaustion;
use crate::event::{EventSink, PolicyKind};
use crate::lease::{ExhaustionOutcome, LeaseKind};
use crate::pool::Pool;

/// Where a policy placed the recipient: slot, lease kind, and the exhaustion outcome
/// (`None`: not an exhaustion).
pub(crate) type Placed = (u32, LeaseKind, Option<ExhaustionOutcome>);

/// Applies the pool's policy for holder `h` (device `d`) at `now`: `(policy, placement)`;
/// `None` placement means the fallback number.
pub(crate) fn take(
    pool: &mut Pool,
    h: u32,
    d: u32,
    now: i64,
    events: &mut impl EventSink,
) -> (PolicyKind, Option<Placed>) {
    let placed = match pool.config.exhaustion.clone() {
        Exhaustion::SharedTail => shared_tail::take(pool, h, d, now),
        Exhaustion::Fallback => fallback::take(),
        Exhaustion::Overflow { .. } => overflow::take(pool, h, d, now),
        Exhaustion::StealOldestTail => steal_oldest_tail::take(pool, h, d, now, events),
        Exhaustion::Share { max_holders } => share::take(pool, h, d, now, max_holders),
    };
    (kind(&pool.config.exhaustion), placed)
}

/// The policy a configuration names (also for events that report it without running it).
pub(crate) fn kind(exhaustion: &Exhaustion) -> PolicyKind {
    match exhaustion {
        Exhaustion::SharedTail => PolicyKind::SharedTail,
        Exhaustion::Fallback => PolicyKind::Fallback,
        Exhaustion::Overflow { .. } => PolicyKind::Overflow,
        Exhaustion::StealOldestTail => PolicyKind::StealOldestTail,
        Exhaustion::Share { .. } => PolicyKind::Share,
    }
}
