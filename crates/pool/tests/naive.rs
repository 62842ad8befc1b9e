//! Property tests: random operation sequences run against `Pool` and against a naive model
//! written independently (plain vectors, everything recomputed from times by full scans, no
//! indexes, no timers). Checks: identical allocations and counts, never two exclusive holders
//! of one number, stickiness, machine signals never lease, every exhaustion has an outcome,
//! attribution of exclusively held numbers, and log replay reproducing the snapshot. A twin
//! pool driven through the event-less entry points (`open_into`, `record_call_into` with
//! `Discard`, as the backtest drives it) gives the same allocations, attributions and final
//! snapshot as the one that returns its events.

use proptest::prelude::*;
use ringmark_pool::{
    Call, Discard, Event, Exhaustion, ExhaustionOutcome, Holder, LeaseKind, Pool, PoolConfig,
    Signal,
};

const FALLBACK: &str = "+1900";
const OVERFLOW: &str = "+1800";
const UNIVERSE: [&str; 5] = ["+1000", "+1001", "+1002", "+1003", "+1004"];
const HOLDERS: usize = 7;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Role {
    Pool,
    Fallback,
    Overflow,
    Retired,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Exclusive,
    Shared,
    Soft,
    Fallback,
    Overflow,
}

#[derive(Clone, Debug)]
struct Number {
    e164: String,
    role: Role,
    quarantine_until: Option<i64>,
}

#[derive(Clone, Debug)]
struct Assoc {
    holder: usize,
    number: String,
    kind: Kind,
    since: i64,
    excl_until: i64,
    tail_until: i64,
    /// Last time a person was shown the number through this association.
    shown: i64,
}

impl Assoc {
    fn leased(&self) -> bool {
        matches!(self.kind, Kind::Exclusive | Kind::Shared)
    }
}

/// The naive model: every question answered by scanning everything.
struct Naive {
    config: PoolConfig,
    now: i64,
    numbers: Vec<Number>,
    assocs: Vec<Assoc>,
}

impl Naive {
    fn new(config: PoolConfig, now: i64) -> Self {
        let mut n = Self {
            config,
            now,
            numbers: Vec::new(),
            assocs: Vec::new(),
        };
        n.reconcile();
        n
    }

    fn find(&self, e164: &str) -> Option<usize> {
        self.numbers.iter().position(|n| n.e164 == e164)
    }

    fn quarantined(&self, n: &Number) -> bool {
        n.quarantine_until.is_some_and(|q| q > self.now)
    }

    /// The holder's current association: its newest one, if still alive.
    fn current(&self, h: usize) -> Option<usize> {
        let i = self.assocs.iter().rposition(|a| a.holder == h)?;
        (self.now < self.assocs[i].tail_until).then_some(i)
    }

    fn held_on(&self, e164: &str) -> Vec<usize> {
        (0..self.assocs.len())
            .filter(|&i| {
                let a = &self.assocs[i];
                a.number == e164 && a.leased() && self.now < a.excl_until
            })
            .collect()
    }

    fn tails_on(&self, e164: &str) -> Vec<usize> {
        (0..self.assocs.len())
            .filter(|&i| {
                let a = &self.assocs[i];
                a.number == e164
                    && a.leased()
                    && a.excl_until <= self.now
                    && self.now < a.tail_until
            })
            .collect()
    }

    fn released(&self, e164: &str) -> i64 {
        self.assocs
            .iter()
            .filter(|a| a.number == e164 && a.leased())
            .map(|a| a.excl_until)
            .max()
            .unwrap_or(i64::MIN)
    }

    fn granted(&self, e164: &str) -> i64 {
        self.assocs
            .iter()
            .filter(|a| a.number == e164 && a.leased())
            .map(|a| a.since)
            .max()
            .unwrap_or(i64::MIN)
    }

    fn leasable(&self) -> Vec<&Number> {
        self.numbers
            .iter()
            .filter(|n| n.role == Role::Pool && !self.quarantined(n))
            .collect()
    }

    fn free(&self) -> Vec<String> {
        self.leasable()
            .into_iter()
            .filter(|n| self.held_on(&n.e164).is_empty() && self.tails_on(&n.e164).is_empty())
            .map(|n| n.e164.clone())
            .collect()
    }

    /// Under `shared_tail`, whether a person can be placed on a pool number (a free one, or a
    /// tail nobody leases) rather than the fallback.
    fn shared_tail_places(&self) -> bool {
        self.config.exhaustion == Exhaustion::SharedTail
            && self
                .leasable()
                .iter()
                .any(|n| self.held_on(&n.e164).is_empty())
    }

    fn cut(&mut self, i: usize) {
        let now = self.now;
        let a = &mut self.assocs[i];
        a.excl_until = a.excl_until.min(now);
        a.tail_until = a.tail_until.min(now);
    }

    fn reconcile(&mut self) {
        let mut want: Vec<(String, Role)> = self
            .config
            .numbers
            .iter()
            .map(|n| (n.clone(), Role::Pool))
            .collect();
        want.push((self.config.fallback.clone(), Role::Fallback));
        if let Some(o) = self.config.overflow_number() {
            want.push((o.to_owned(), Role::Overflow));
        }
        for (e, _) in &want {
            if self.find(e).is_none() {
                self.numbers.push(Number {
                    e164: e.clone(),
                    role: Role::Retired,
                    quarantine_until: None,
                });
            }
        }
        for idx in 0..self.numbers.len() {
            let e = self.numbers[idx].e164.clone();
            let old = self.numbers[idx].role;
            let new = want
                .iter()
                .find(|w| w.0 == e)
                .map_or(Role::Retired, |w| w.1);
            if old == new {
                continue;
            }
            for h in 0..HOLDERS {
                if let Some(i) = self.current(h)
                    && self.assocs[i].number == e
                {
                    self.cut(i);
                }
            }
            let q = self.now + i64::from(self.config.quarantine_seconds);
            let n = &mut self.numbers[idx];
            n.role = new;
            match (old, new) {
                (_, Role::Retired) => n.quarantine_until = Some(q),
                (Role::Retired, Role::Pool) => {}
                (_, Role::Pool) => n.quarantine_until = Some(q),
                _ => n.quarantine_until = None,
            }
        }
    }

    fn configure(&mut self, config: PoolConfig, now: i64) {
        self.now = self.now.max(now);
        self.config = config;
        self.reconcile();
    }

    fn prune(&mut self, now: i64) {
        self.now = self.now.max(now);
        let cutoff = self.now - i64::from(self.config.attribution_window_seconds);
        let forget: Vec<String> = self
            .numbers
            .iter()
            .filter(|n| {
                n.role == Role::Retired
                    && !self.quarantined(n)
                    && self
                        .assocs
                        .iter()
                        .all(|a| a.number != n.e164 || a.tail_until < cutoff)
            })
            .map(|n| n.e164.clone())
            .collect();
        self.numbers.retain(|n| !forget.contains(&n.e164));
        self.assocs.retain(|a| !forget.contains(&a.number));
    }

    fn grant(&mut self, h: usize, number: &str, kind: Kind, len_excl: i64, len_tail: i64) {
        let now = self.now;
        self.assocs.push(Assoc {
            holder: h,
            number: number.to_owned(),
            kind,
            since: now,
            excl_until: now + len_excl,
            tail_until: now + len_excl + len_tail,
            shown: now,
        });
    }

    /// Returns (number, lease, sticky, exhausted).
    fn open(
        &mut self,
        h: usize,
        signal: Signal,
        now: i64,
    ) -> (String, LeaseKind, bool, Option<ExhaustionOutcome>) {
        self.now = self.now.max(now);
        let now = self.now;
        let lease = i64::from(self.config.lease_seconds);
        let tail = i64::from(self.config.tail_seconds);
        let max = i64::from(self.config.max_lease());
        let cur = self.current(h);
        let prev_number = cur.map(|i| self.assocs[i].number.clone());
        let kind_of_held = |me: &Naive, e: &str| {
            if me.held_on(e).len() > 1 {
                LeaseKind::Shared
            } else {
                LeaseKind::Exclusive
            }
        };
        let loose_lease = |k: Kind| match k {
            Kind::Fallback => LeaseKind::Fallback,
            Kind::Overflow => LeaseKind::Overflow,
            _ => LeaseKind::Soft,
        };
        let (number, kind, exhausted) = match (signal, cur) {
            (Signal::Machine, Some(i)) => {
                let a = self.assocs[i].clone();
                if a.leased() && now < a.excl_until {
                    (a.number.clone(), kind_of_held(self, &a.number), None)
                } else if a.leased() {
                    (a.number, LeaseKind::Soft, None)
                } else {
                    let len = if a.kind == Kind::Soft {
                        tail
                    } else {
                        lease + tail
                    };
                    let a = &mut self.assocs[i];
                    a.tail_until = a.tail_until.max(now + len);
                    (a.number.clone(), loose_lease(a.kind), None)
                }
            }
            (Signal::Machine, None) => {
                let fb = self.config.fallback.clone();
                self.grant(h, &fb, Kind::Soft, 0, tail);
                (fb, LeaseKind::Soft, None)
            }
            (_, Some(i)) if self.assocs[i].leased() && now < self.assocs[i].excl_until => {
                let a = &mut self.assocs[i];
                a.excl_until = a.excl_until.max((now + lease).min(a.since + max));
                a.tail_until = a.excl_until + tail;
                a.shown = now;
                let e = a.number.clone();
                (e.clone(), kind_of_held(self, &e), None)
            }
            (_, Some(i)) if self.assocs[i].leased() => {
                let e = self.assocs[i].number.clone();
                let cap = self.assocs[i].since + max;
                if self.held_on(&e).is_empty() && cap > now {
                    let a = &mut self.assocs[i];
                    a.excl_until = (now + lease).min(cap);
                    a.tail_until = a.excl_until + tail;
                    a.shown = now;
                    (e, LeaseKind::Exclusive, None)
                } else if self.shared_tail_places() {
                    // Someone else leases it now: a number of their own, the old one ended.
                    self.cut(i);
                    self.acquire(h, None)
                } else {
                    self.assocs[i].shown = now;
                    (e, LeaseKind::Soft, None)
                }
            }
            (_, cur) => self.acquire(h, cur),
        };
        let sticky = prev_number.as_deref() == Some(number.as_str());
        (number, kind, sticky, exhausted)
    }

    fn acquire(
        &mut self,
        h: usize,
        cur: Option<usize>,
    ) -> (String, LeaseKind, Option<ExhaustionOutcome>) {
        let lease = i64::from(self.config.lease_seconds);
        let tail = i64::from(self.config.tail_seconds);
        let mut free = self.free();
        free.sort_by_key(|e| (self.released(e), e.clone()));
        if let Some(e) = free.first() {
            let e = e.clone();
            self.grant(h, &e, Kind::Exclusive, lease, tail);
            return (e, LeaseKind::Exclusive, None);
        }
        let loose = |me: &mut Naive, number: &str, kind: Kind| match cur {
            Some(i) if me.assocs[i].number == number && me.assocs[i].kind == kind => {
                let now = me.now;
                let a = &mut me.assocs[i];
                a.tail_until = a.tail_until.max(now + lease + tail);
            }
            _ => me.grant(h, number, kind, 0, lease + tail),
        };
        match self.config.exhaustion.clone() {
            Exhaustion::SharedTail => {
                // The tail number whose latest show to anyone is oldest; its holders stay.
                let shown = |me: &Naive, e: &str| {
                    me.assocs
                        .iter()
                        .filter(|a| a.number == e)
                        .map(|a| a.shown)
                        .max()
                };
                let mut tails: Vec<(Option<i64>, String)> = self
                    .leasable()
                    .into_iter()
                    .filter(|n| {
                        self.held_on(&n.e164).is_empty() && !self.tails_on(&n.e164).is_empty()
                    })
                    .map(|n| (shown(self, &n.e164), n.e164.clone()))
                    .collect();
                tails.sort();
                if let Some((_, e)) = tails.first().cloned() {
                    self.grant(h, &e, Kind::Exclusive, lease, tail);
                    return (e, LeaseKind::Exclusive, None);
                }
            }
            Exhaustion::Overflow { number } => {
                loose(self, &number, Kind::Overflow);
                return (
                    number,
                    LeaseKind::Overflow,
                    Some(ExhaustionOutcome::Overflow),
                );
            }
            Exhaustion::StealOldestTail => {
                let mut tails: Vec<String> = self
                    .leasable()
                    .into_iter()
                    .filter(|n| {
                        self.held_on(&n.e164).is_empty() && !self.tails_on(&n.e164).is_empty()
                    })
                    .map(|n| n.e164.clone())
                    .collect();
                tails.sort_by_key(|e| (self.released(e), e.clone()));
                if let Some(e) = tails.first().cloned() {
                    for i in self.tails_on(&e) {
                        self.cut(i);
                    }
                    self.grant(h, &e, Kind::Exclusive, lease, tail);
                    return (e, LeaseKind::Exclusive, Some(ExhaustionOutcome::Stole));
                }
            }
            Exhaustion::Share { max_holders } => {
                let mut c: Vec<(usize, i64, String)> = self
                    .leasable()
                    .into_iter()
                    .map(|n| {
                        let count = self.held_on(&n.e164).len() + self.tails_on(&n.e164).len();
                        (count, self.granted(&n.e164), n.e164.clone())
                    })
                    .filter(|c| c.0 > 0 && c.0 < max_holders as usize)
                    .collect();
                c.sort();
                if let Some((_, _, e)) = c.first().cloned() {
                    self.grant(h, &e, Kind::Shared, lease, tail);
                    let k = if self.held_on(&e).len() > 1 {
                        LeaseKind::Shared
                    } else {
                        LeaseKind::Exclusive
                    };
                    return (e, k, Some(ExhaustionOutcome::Shared));
                }
            }
            Exhaustion::Fallback => {}
        }
        let fb = self.config.fallback.clone();
        loose(self, &fb, Kind::Fallback);
        (fb, LeaseKind::Fallback, Some(ExhaustionOutcome::Fallback))
    }

    /// (exclusive, shared, tail, free, quarantined, soft, fallback holders, overflow holders)
    fn counts(&self) -> [u32; 8] {
        let mut c = [0u32; 8];
        for n in &self.numbers {
            if self.quarantined(n) {
                c[4] += 1;
            }
        }
        for n in self.leasable() {
            let (held, tails) = (self.held_on(&n.e164).len(), self.tails_on(&n.e164).len());
            match (held, tails) {
                (0, 0) => c[3] += 1,
                (0, _) => c[2] += 1,
                (1, _) => c[0] += 1,
                _ => c[1] += 1,
            }
        }
        for h in 0..HOLDERS {
            if let Some(i) = self.current(h) {
                match self.assocs[i].kind {
                    Kind::Soft => c[5] += 1,
                    Kind::Fallback => c[6] += 1,
                    Kind::Overflow => c[7] += 1,
                    _ => {}
                }
            }
        }
        c
    }
}

#[derive(Clone, Debug)]
enum Op {
    Open {
        holder: usize,
        signal: u8,
        dt: i64,
    },
    Configure {
        mask: u8,
        policy: u8,
        dt: i64,
    },
    Call {
        number: usize,
        from: Option<u8>,
        dt: i64,
    },
    Prune {
        dt: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let dt = prop_oneof![4 => 0i64..20, 3 => 20i64..200, 1 => 200i64..600];
    prop_oneof![
        12 => (0..HOLDERS, 0u8..3, dt.clone()).prop_map(|(holder, signal, dt)| Op::Open { holder, signal, dt }),
        1 => (1u8..32, 0u8..5, dt.clone()).prop_map(|(mask, policy, dt)| Op::Configure { mask, policy, dt }),
        2 => (0usize..7, proptest::option::of(0u8..3), dt.clone()).prop_map(|(number, from, dt)| Op::Call { number, from, dt }),
        1 => dt.prop_map(|dt| Op::Prune { dt }),
    ]
}

fn config(mask: u8, policy: u8) -> PoolConfig {
    let numbers = UNIVERSE
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

fn holder(i: usize) -> Holder {
    Holder::new("c", format!("r{i}"))
}

fn signal(s: u8) -> Signal {
    match s {
        0 => Signal::Human,
        1 => Signal::Click,
        _ => Signal::Machine,
    }
}

fn stats_counts(pool: &Pool, now: i64) -> [u32; 8] {
    let s = pool.stats(now);
    [
        s.exclusive,
        s.shared,
        s.tail,
        s.free,
        s.quarantined,
        s.soft,
        s.fallback_holders,
        s.overflow_holders,
    ]
}

/// 160 cases by default (a fast suite); `PROPTEST_CASES=2000` runs a deeper search.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(160)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn pool_matches_naive_model(mask in 1u8..32, policy in 0u8..5, ops in proptest::collection::vec(op(), 1..70)) {
        let mut now = 1_000i64;
        let (mut pool, mut log) = Pool::new(config(mask, policy), now).unwrap();
        let mut naive = Naive::new(config(mask, policy), now);
        let (mut quiet, _) = Pool::new(config(mask, policy), now).unwrap();
        for op in ops {
            match op {
                Op::Open { holder: h, signal: s, dt } => {
                    now += dt;
                    let sig = signal(s);
                    let before = pool.holding(&holder(h), now);
                    // A tail holder who cannot re-acquire their number (somebody else leases
                    // it, or their association reached max_lease) is moved to a number of their
                    // own in a shared-tail pool.
                    let movable = sig != Signal::Machine
                        && naive.config.exhaustion == Exhaustion::SharedTail
                        && naive.current(h).is_some_and(|i| {
                            let a = &naive.assocs[i];
                            let others = naive.assocs.iter().any(|o| {
                                o.holder != h && o.number == a.number && o.leased() && now < o.excl_until
                            });
                            a.leased()
                                && a.excl_until <= now
                                && now < a.tail_until
                                && (others || a.since + i64::from(naive.config.max_lease()) <= now)
                        });
                    let free_before = pool.stats(now).free;
                    let (a, ev) = pool.open(&holder(h), sig, "dev", now);
                    let want = naive.open(h, sig, now);
                    prop_assert_eq!(&quiet.open_into(&holder(h), sig, "dev", now, &mut Discard), &a);
                    prop_assert_eq!((a.number.clone(), a.lease, a.sticky, a.exhausted), want, "open r{} {:?} at {}", h, sig, now);
                    // Machine signals never lease nor consume a free number.
                    if sig == Signal::Machine {
                        let was_leased = before.as_ref().is_some_and(|b| matches!(b.lease, LeaseKind::Exclusive | LeaseKind::Shared));
                        prop_assert!(was_leased || !matches!(a.lease, LeaseKind::Exclusive | LeaseKind::Shared));
                        prop_assert_eq!(pool.stats(now).free, free_before);
                    }
                    // Stickiness: a lease or tail holder gets its number back (a tail holder
                    // moved off a number somebody else leases aside).
                    if let Some(b) = &before
                        && (matches!(b.lease, LeaseKind::Exclusive | LeaseKind::Shared)
                            || (b.lease == LeaseKind::Soft && b.number != FALLBACK && !movable))
                    {
                        prop_assert_eq!(&a.number, &b.number);
                        prop_assert!(a.sticky);
                    }
                    // Exhaustion always has an outcome, reported as an event.
                    if matches!(a.lease, LeaseKind::Fallback | LeaseKind::Overflow) && sig != Signal::Machine {
                        prop_assert!(a.exhausted.is_some());
                    }
                    if a.exhausted.is_some() {
                        let reported = ev.iter().any(|e| matches!(e, Event::Exhausted { .. }));
                        prop_assert!(reported, "exhaustion without an event");
                    }
                    log.extend(ev);
                }
                Op::Configure { mask, policy, dt } => {
                    now += dt;
                    log.extend(pool.configure(config(mask, policy), now).unwrap());
                    quiet.configure(config(mask, policy), now).unwrap();
                    naive.configure(config(mask, policy), now);
                }
                Op::Call { number, from, dt } => {
                    now += dt;
                    let to = [UNIVERSE.as_slice(), &[FALLBACK, OVERFLOW]].concat()[number].to_owned();
                    let call = Call { to: to.clone(), from: from.map(|f| format!("+1415{f}")), at: now, duration: None };
                    let (att, ev) = pool.record_call(call.clone(), now);
                    prop_assert_eq!(&quiet.record_call_into(call, now, &mut Discard), &att);
                    naive.now = naive.now.max(now);
                    log.extend(ev);
                    // A number only ever held by one recipient, who holds it now, with no caller ID,
                    // attributes to them.
                    let held = naive.held_on(&to);
                    let only = held.len() == 1
                        && naive.assocs.iter().all(|a| a.number != to || a.holder == naive.assocs[held[0]].holder);
                    if from.is_none() && only {
                        let want = holder(naive.assocs[held[0]].holder);
                        prop_assert_eq!(&att.candidates[0].recipient, &want.recipient);
                        prop_assert_eq!(att.candidates[0].state.as_str(), "exclusive");
                        prop_assert!(!att.ambiguous);
                    }
                }
                Op::Prune { dt } => {
                    now += dt;
                    log.extend(pool.prune(now));
                    quiet.prune(now);
                    naive.prune(now);
                }
            }
            prop_assert_eq!(stats_counts(&pool, now), naive.counts(), "counts at {}", now);
            // Never two exclusive holders of one number.
            let mut excl: Vec<String> = (0..HOLDERS)
                .filter_map(|h| pool.holding(&holder(h), now))
                .filter(|x| x.lease == LeaseKind::Exclusive)
                .map(|x| x.number)
                .collect();
            let n = excl.len();
            excl.sort();
            excl.dedup();
            prop_assert_eq!(excl.len(), n, "two exclusive holders of one number");
        }
        // Replaying the log reproduces the state; so does a snapshot round trip.
        let replayed = Pool::replay(&log).unwrap();
        let snap = serde_json::to_value(&pool).unwrap();
        prop_assert_eq!(serde_json::to_value(&replayed).unwrap(), snap.clone());
        prop_assert_eq!(serde_json::to_value(&quiet).unwrap(), snap.clone());
        let restored: Pool = serde_json::from_value(snap.clone()).unwrap();
        prop_assert_eq!(serde_json::to_value(&restored).unwrap(), snap);
    }
}
