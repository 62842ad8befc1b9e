//! Pool health at a given time ([`PoolStats`]): how many numbers are in each state,
//! utilisation (Call Dynamics advises adding numbers above 75 %: <https://support.calldynamics.com.au/support/solutions/articles/17000088350-how-to-monitor-pool-utilisation>) and exhaustion counts.

use serde::{Deserialize, Serialize};

use crate::attribution::Call;
use crate::lease::Timestamp;
use crate::pool::{ExhaustionCounts, Kind, NONE, Phase, Pool, Role};

/// Counts at one instant (`stats(now)` applies pending expiries without changing the pool).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PoolStats {
    /// Pool numbers configured (including quarantined ones).
    pub numbers: u32,
    /// Pool numbers that can be leased (not quarantined).
    pub leasable: u32,
    /// Numbers with exactly one holder in its exclusive phase.
    pub exclusive: u32,
    /// Numbers with several holders (`share` policy).
    pub shared: u32,
    /// Numbers held by nobody but still in a tail.
    pub tail: u32,
    /// Leasable numbers with no association.
    pub free: u32,
    /// Numbers in quarantine (pool numbers and retired ones).
    pub quarantined: u32,
    /// Live machine-signal soft holds.
    pub soft: u32,
    /// Recipients currently associated with the fallback number because of exhaustion.
    pub fallback_holders: u32,
    /// Recipients currently associated with the overflow number.
    pub overflow_holders: u32,
    /// Non-free share of leasable numbers (1 when none is leasable).
    pub utilisation: f64,
    /// Exhaustion outcomes since creation.
    pub exhaustions: ExhaustionCounts,
    /// Utilisation is at or above the pressure threshold.
    pub pressure: bool,
    /// Recipients known to the pool (until pruned).
    pub holders: u32,
    /// Calls stored.
    pub calls: u32,
    /// Expected share of calls placed now that attribution would give to the right recipient:
    /// over every number, the top candidate's weight against all candidates' weights, each
    /// number weighed by how likely a call to it is now (`None` when nobody could call).
    pub expected_correct: Option<f64>,
    /// Of those, the share attributed with confidence ≥ 0.8.
    pub expected_confident: Option<f64>,
}

impl Pool {
    /// Counts at `now` (not earlier than the pool's clock).
    pub fn stats(&self, now: Timestamp) -> PoolStats {
        let now = now.max(self.clock);
        let mut held = vec![0u32; self.slots.len()];
        let mut tails = vec![0u32; self.slots.len()];
        let (mut soft, mut fallback_holders, mut overflow_holders) = (0, 0, 0);
        for r in &self.holders {
            if r.slot == NONE {
                continue;
            }
            let s = r.slot as usize;
            let iv = &self.slots[s].history[r.iv as usize];
            match r.phase {
                Phase::Held if now < iv.excl_until() => held[s] += 1,
                Phase::Held | Phase::Tail if now < iv.tail_until() => tails[s] += 1,
                Phase::Loose if now < iv.tail_until() => match iv.kind {
                    Kind::Fallback => fallback_holders += 1,
                    Kind::Overflow => overflow_holders += 1,
                    _ => soft += 1,
                },
                _ => {}
            }
        }
        let mut st = PoolStats {
            numbers: 0,
            leasable: 0,
            exclusive: 0,
            shared: 0,
            tail: 0,
            free: 0,
            quarantined: 0,
            soft,
            fallback_holders,
            overflow_holders,
            utilisation: 1.0,
            exhaustions: self.exhaustions,
            pressure: false,
            holders: self.holders.len() as u32,
            calls: self.calls.len() as u32,
            expected_correct: None,
            expected_confident: None,
        };
        for (s, slot) in self.slots.iter().enumerate() {
            let quarantined = slot.quarantine_until.is_some_and(|q| q > now);
            if quarantined {
                st.quarantined += 1;
            }
            if slot.role != Role::Pool {
                continue;
            }
            st.numbers += 1;
            if quarantined {
                continue;
            }
            st.leasable += 1;
            match (held[s], tails[s]) {
                (0, 0) => st.free += 1,
                (0, _) => st.tail += 1,
                (1, _) => st.exclusive += 1,
                _ => st.shared += 1,
            }
        }
        if st.leasable > 0 {
            st.utilisation = f64::from(st.leasable - st.free) / f64::from(st.leasable);
        }
        st.pressure = st.utilisation >= self.config.pressure_threshold;
        (st.expected_correct, st.expected_confident) = self.expected_accuracy(now);
        st
    }

    /// See [`PoolStats::expected_correct`]: a call now to each number, scored as attribution
    /// scores it. One pass over the associations in the window.
    fn expected_accuracy(&self, now: Timestamp) -> (Option<f64>, Option<f64>) {
        let (mut all, mut top, mut confident) = (0.0, 0.0, 0.0);
        for slot in self.slots.iter().filter(|s| !s.history.is_empty()) {
            let call = Call {
                to: slot.e164.to_string(),
                from: None,
                at: now,
                duration: None,
            };
            let scored = self.score(&call, &[]);
            let sum: f64 = scored.raw.iter().map(|r| r.weight).sum();
            let best = scored.raw.iter().map(|r| r.weight).fold(0.0, f64::max);
            all += sum;
            top += best;
            if best / scored.total >= 0.8 {
                confident += best;
            }
        }
        if all > 0.0 {
            (Some(top / all), Some(confident / all))
        } else {
            (None, None)
        }
    }
}
