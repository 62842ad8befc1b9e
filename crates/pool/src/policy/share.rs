//! `share`: add the recipient to the least-crowded leased or tail number, up to `max_holders`
//! recipients per number (Call Dynamics' shared numbers with probable visitors).

use super::Placed;
use crate::lease::ExhaustionOutcome;
use crate::pool::{Kind, Pool, Role};

pub(super) fn take(pool: &mut Pool, h: u32, d: u32, now: i64, max_holders: u32) -> Option<Placed> {
    let s = pool
        .slots
        .iter()
        .enumerate()
        .filter(|(_, sl)| sl.role == Role::Pool && sl.quarantine_until.is_none())
        .map(|(s, sl)| (sl.held.len() + sl.tails.len(), sl, s as u32))
        .filter(|&(n, _, _)| n > 0 && n < max_holders as usize)
        .min_by_key(|&(n, sl, _)| (n, sl.granted_at.unwrap_or(i64::MIN), sl.rank))
        .map(|(_, _, s)| s)?;
    pool.grant_held(h, d, s, Kind::Shared, now);
    Some((s, pool.held_kind(s), Some(ExhaustionOutcome::Shared)))
}
