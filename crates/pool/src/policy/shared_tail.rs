//! `shared_tail` (the default): when no number is free, a person takes the tail number whose
//! earlier holders are least likely still to call — the one shown to anybody longest ago —
//! as a fresh exclusive lease, and those earlier holders stay its candidates: attribution
//! weighs them by how long ago they saw it: a short exclusive lease, then a long shared tail
//! resolved by recency and caller ID, as Call Dynamics and CallTrackingMetrics report shared
//! numbers with probable visitors and a likelihood. Email callers act over days, so a number
//! per opener for a week would take about a fifth of the send. Only when every number is inside
//! an exclusive lease does the person see the fallback number.
//!
//! A person who re-opens while somebody else leases their old number gets a number of their
//! own the same way (`Pool::open_human`), rather than being shown the leased one again: two
//! recent shows of one number make both people's calls toss-ups. Measured in
//! `bench/backtest`: about one point more calls right and confident at 2,000 numbers.
//!
//! Reusing a tail number is this policy's normal work, not an exhaustion: it is not counted or
//! logged as one. Showing the fallback is.
//!
//! Why "shown longest ago": a candidate's weight falls with the time since they last saw the
//! number, and the most recent earlier holder dominates the sum, so the number whose latest
//! show is oldest leaves the new holder's calls least contested. The tail list is kept in that
//! order for this policy (`Pool::relist`), so the pick is the list's first entry.

use super::Placed;
use crate::lease::LeaseKind;
use crate::pool::{Kind, Pool};

pub(super) fn take(pool: &mut Pool, h: u32, d: u32, now: i64) -> Option<Placed> {
    let &(_, rank) = pool.tail_list.first()?;
    let s = pool.rank_to_slot[rank as usize];
    pool.grant_held(h, d, s, Kind::Exclusive, now);
    Some((s, LeaseKind::Exclusive, None))
}
