//! `steal_oldest_tail`: take the tail number released longest ago from its tail holders
//! (zar's policy), who stop being its holders (they stay in its history for attribution).

use super::Placed;
use crate::event::{Event, EventSink};
use crate::lease::{ExhaustionOutcome, LeaseKind};
use crate::pool::{Kind, Pool};

pub(super) fn take(
    pool: &mut Pool,
    h: u32,
    d: u32,
    now: i64,
    events: &mut impl EventSink,
) -> Option<Placed> {
    let &(_, rank) = pool.tail_list.first()?;
    let s = pool.rank_to_slot[rank as usize];
    let victims = std::mem::take(&mut pool.slots[s as usize].tails);
    for v in victims {
        pool.cut(v, s, now);
        events.emit(|| Event::Stolen {
            at: now,
            number: pool.number(s),
            from: pool.holder(v),
            to: pool.holder(h),
        });
    }
    pool.grant_held(h, d, s, Kind::Exclusive, now);
    Some((s, LeaseKind::Exclusive, Some(ExhaustionOutcome::Stole)))
}
