//! The snapshot written from the pool's own data: [`SnapshotRef`] serialises exactly what
//! [`Snapshot::from`](super::Snapshot) would (same fields, same order, same omissions), but
//! borrows every string and list instead of copying the allocator first.
//!
//! Why: a snapshot is written while the pool is live, and the owned [`Snapshot`](super::Snapshot)
//! is a second allocator's worth of memory (every recipient id cloned, every holder,
//! number and association rebuilt) held for as long as the JSON is being written. A Durable
//! Object has 128 MB for everything, so that copy came straight off the number of recipients a
//! pool can hold. The owned form stays the one snapshots load into (versions, migrations and
//! validation live there); this view only writes, and a test holds the two texts byte-identical.

use serde::{Serialize, Serializer};

use super::{FORMAT, SnapAssociation, SnapInterval};
use crate::attribution::Call;
use crate::config::PoolConfig;
use crate::pool::{ExhaustionCounts, HolderRec, Interval, NONE, Pool, Role, Slot, StoredCall};

/// A borrowed view of a [`Pool`] that serialises as its snapshot.
#[derive(Serialize)]
#[serde(rename = "Snapshot")]
pub(crate) struct SnapshotRef<'a> {
    version: u32,
    config: &'a PoolConfig,
    clock: i64,
    pressure: bool,
    exhaustions: ExhaustionCounts,
    campaigns: &'a [Box<str>],
    devices: &'a [Box<str>],
    holders: Each<'a, HolderRec, HolderView<'a>>,
    numbers: Each<'a, Slot, NumberView<'a>>,
    calls: Each<'a, StoredCall, CallView<'a>>,
    #[serde(skip_serializing_if = "<[u64]>::is_empty")]
    delay_counts: &'a [u64],
    #[serde(skip_serializing_if = "<[u64]>::is_empty")]
    delay_exposure: &'a [u64],
}

impl<'a> SnapshotRef<'a> {
    pub(crate) fn new(p: &'a Pool) -> Self {
        // The delay model's lists are left out while they hold nothing learned.
        let learned = |v: &'a [u64]| if v.iter().any(|&c| c > 0) { v } else { &[] };
        Self {
            version: FORMAT,
            config: &p.config,
            clock: p.clock,
            pressure: p.pressure,
            exhaustions: p.exhaustions,
            campaigns: &p.campaigns,
            devices: &p.devices,
            holders: Each(&p.holders, HolderView::new),
            numbers: Each(&p.slots, NumberView::new),
            calls: Each(&p.calls, CallView::new),
            delay_counts: learned(p.delays.counts()),
            delay_exposure: learned(p.delays.exposure()),
        }
    }
}

/// A list serialised as the sequence of one small view per item, made as it is written (a
/// `Vec` of the views would be the copy this module exists to avoid).
struct Each<'a, T, V>(&'a [T], fn(&'a T) -> V);

impl<'a, T, V: Serialize> Serialize for Each<'a, T, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // What `Vec<V>` does too (`collect_seq`), so the text is the same.
        serializer.collect_seq(self.0.iter().map(self.1))
    }
}

/// A holder as [`super::SnapHolder`] writes it.
#[derive(Serialize)]
#[serde(rename = "SnapHolder")]
struct HolderView<'a> {
    campaign: u32,
    recipient: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    association: Option<SnapAssociation>,
}

impl<'a> HolderView<'a> {
    fn new(h: &'a HolderRec) -> Self {
        Self {
            campaign: h.campaign,
            recipient: &h.recipient,
            association: SnapAssociation::of(h),
        }
    }
}

/// A number as [`super::SnapNumber`] writes it.
#[derive(Serialize)]
#[serde(rename = "SnapNumber")]
struct NumberView<'a> {
    e164: &'a str,
    role: Role,
    quarantine_until: Option<i64>,
    released_at: Option<i64>,
    granted_at: Option<i64>,
    held: &'a [u32],
    tails: &'a [u32],
    history: Each<'a, Interval, SnapInterval>,
}

impl<'a> NumberView<'a> {
    fn new(s: &'a Slot) -> Self {
        Self {
            e164: &s.e164,
            role: s.role,
            quarantine_until: s.quarantine_until,
            released_at: s.released_at,
            granted_at: s.granted_at,
            held: &s.held,
            tails: &s.tails,
            history: Each(&s.history, SnapInterval::from),
        }
    }
}

/// A stored call as [`super::SnapCall`] writes it.
#[derive(Serialize)]
#[serde(rename = "SnapCall")]
struct CallView<'a> {
    call: &'a Call,
    recorded_at: i64,
    linked: Option<u32>,
    device: u32,
    #[serde(skip_serializing_if = "<[(u32, u32)]>::is_empty")]
    posterior: &'a [(u32, u32)],
}

impl<'a> CallView<'a> {
    fn new(c: &'a StoredCall) -> Self {
        Self {
            call: &c.call,
            recorded_at: c.recorded_at,
            linked: (c.linked != NONE).then_some(c.linked),
            device: c.device,
            posterior: &c.posterior,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Exhaustion;
    use crate::lease::{Holder, Signal};
    use crate::snapshot::Snapshot;

    const NUMBERS: [&str; 5] = [
        "+14155550100",
        "+14155550101",
        "+14155550102",
        "+14155550103",
        "+14155550104",
    ];
    const FALLBACK: &str = "+14155550999";
    const OVERFLOW: &str = "+14155550888";
    /// Recipient ids that exercise the writer: escapes, non-ASCII, the inline and heap forms.
    const RECIPIENTS: [&str; 8] = [
        "r0",
        "r1",
        "quote\"d",
        "back\\slash",
        "tab\there",
        "ünïcødé ✉ 😀",
        "a-recipient-id-well-past-the-inline-limit@example.com",
        "",
    ];
    const DEVICES: [&str; 3] = ["iPhone", "dev \"2\"", "Apple Mail"];

    /// A small deterministic generator (xorshift): every run checks the same pools.
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    fn config(mask: u64, policy: u64) -> PoolConfig {
        let numbers = NUMBERS
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, n)| n.to_string())
            .collect();
        let mut c = PoolConfig::new(numbers, FALLBACK, 100);
        c.max_lease_seconds = Some(250);
        c.tail_seconds = 150;
        c.quarantine_seconds = 300;
        c.attribution_window_seconds = 400;
        c.pressure_threshold = 0.6;
        c.exhaustion = match policy {
            0 => Exhaustion::Fallback,
            1 => Exhaustion::StealOldestTail,
            2 => Exhaustion::Overflow {
                number: OVERFLOW.into(),
            },
            3 => Exhaustion::Share { max_holders: 2 },
            _ => Exhaustion::SharedTail,
        };
        c
    }

    /// The view's text is the owned snapshot's, byte for byte, for many pools driven through
    /// every kind of change (opens of each signal, calls with and without caller ID, new
    /// configurations, pruning, forgetting), checked after every step; and every optional
    /// field of the format turns up in some of them, so none goes unchecked.
    #[test]
    fn the_view_writes_the_owned_snapshots_text() {
        let mut rng = Rng(0x5eed_f00d_5a4e);
        let mut seen = [0usize; 6];
        let optional = [
            "\"association\"",
            "\"moved\"",
            "\"clicked\"",
            "\"posterior\"",
            "\"delay_counts\"",
            "\"delay_exposure\"",
        ];
        for pool_no in 0..150 {
            let mut now = 1_000i64;
            let (mut pool, _) = Pool::new(config(1 + rng.below(31), rng.below(5)), now).unwrap();
            // Every fifteenth pool takes, inside one attribution window, the calls the delay model
            // learns from (the first re-estimate comes after 64).
            let long = pool_no % 15 == 0;
            let (steps, gaps) = if long {
                (160, [0, 1, 2, 3, 5])
            } else {
                (60, [0, 5, 30, 120, 500])
            };
            for _step in 0..steps {
                now += gaps[rng.below(5) as usize];
                // Half of a long pool's steps are calls.
                let op = if long && rng.below(2) == 0 {
                    13
                } else {
                    rng.below(20)
                };
                match op {
                    0..=12 => {
                        let holder = Holder::new(
                            ["c", "camp\"aign"][rng.below(2) as usize],
                            RECIPIENTS[rng.below(RECIPIENTS.len() as u64) as usize],
                        );
                        let signal =
                            [Signal::Human, Signal::Click, Signal::Machine][rng.below(3) as usize];
                        let device = DEVICES[rng.below(3) as usize];
                        pool.open(&holder, signal, device, now);
                    }
                    13..=15 => {
                        let to = [&NUMBERS[..], &[FALLBACK, OVERFLOW]].concat()
                            [rng.below(7) as usize]
                            .to_owned();
                        let from = (rng.below(3) > 0).then(|| format!("+1415{}", rng.below(3)));
                        let duration = (rng.below(2) == 0).then(|| rng.below(600) as u32);
                        let call = Call {
                            to,
                            from,
                            at: now,
                            duration,
                        };
                        pool.record_call(call, now);
                    }
                    16 => {
                        pool.configure(config(1 + rng.below(31), rng.below(5)), now)
                            .unwrap();
                    }
                    17 if !long => {
                        pool.prune(now);
                    }
                    18 => {
                        pool.forget(RECIPIENTS[rng.below(RECIPIENTS.len() as u64) as usize], now);
                    }
                    _ => pool.advance_to(now),
                }
                let owned = serde_json::to_string(&Snapshot::from(&pool)).unwrap();
                let viewed = serde_json::to_string(&SnapshotRef::new(&pool)).unwrap();
                assert_eq!(viewed, owned);
                assert_eq!(serde_json::to_string(&pool).unwrap(), owned);
                for (n, field) in seen.iter_mut().zip(optional) {
                    *n += usize::from(owned.contains(field));
                }
            }
            // Pretty printing goes through the same fields and lengths.
            assert_eq!(
                serde_json::to_string_pretty(&pool).unwrap(),
                serde_json::to_string_pretty(&Snapshot::from(&pool)).unwrap()
            );
            // And the text loads back into the same pool.
            let text = serde_json::to_string(&pool).unwrap();
            let back: Pool = serde_json::from_str(&text).unwrap();
            assert_eq!(serde_json::to_string(&back).unwrap(), text);
        }
        for (n, field) in seen.iter().zip(optional) {
            assert!(*n > 0, "no snapshot carried {field}");
        }
    }
}
