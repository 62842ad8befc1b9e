//! `overflow`: one reserved, tracked overflow number (Invoca's `allow_overflow`), flagged
//! `overflow` in attribution.

use super::Placed;
use crate::lease::{ExhaustionOutcome, LeaseKind};
use crate::pool::{Kind, Pool};

pub(super) fn take(pool: &mut Pool, h: u32, d: u32, now: i64) -> Option<Placed> {
    let s = pool.overflow_slot;
    pool.keep_or_grant_loose(h, d, s, Kind::Overflow, now);
    Some((s, LeaseKind::Overflow, Some(ExhaustionOutcome::Overflow)))
}
