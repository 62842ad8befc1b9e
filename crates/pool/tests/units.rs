//! Unit tests: each policy, tail, quarantine, pressure, machine signals, attribution,
//! config validation, snapshots, pruning, replay and sizing against the research tables.

use ringmark_pool::sizing::{self, SizingInput};
use ringmark_pool::{
    Event, Exhaustion, ExhaustionOutcome, Holder, LeaseKind, Pool, PoolConfig, PoolError, Reuse,
    Signal,
};
use std::collections::HashSet;

mod common;
use common::{call, nums, who};

const H: i64 = 3_600;
const D: i64 = 86_400;
const T0: i64 = 1_700_000_000;

fn cfg(n: usize, exhaustion: Exhaustion) -> PoolConfig {
    let mut c = PoolConfig::new(nums(n), "+18005550000", D as u32);
    c.tail_seconds = (2 * D) as u32;
    c.exhaustion = exhaustion;
    c
}

#[test]
fn ten_recipients_three_numbers_fallback() {
    let (mut pool, _) = Pool::new(cfg(3, Exhaustion::Fallback), T0).unwrap();
    let mut exclusive = Vec::new();
    let mut fallback = 0;
    for i in 0..10 {
        let (a, ev) = pool.open(&who(i), Signal::Human, "iphone", T0 + i as i64);
        match a.lease {
            LeaseKind::Exclusive => {
                assert_eq!(a.exhausted, None);
                exclusive.push(a.number);
            }
            LeaseKind::Fallback => {
                assert_eq!(a.number, "+18005550000");
                assert_eq!(a.exhausted, Some(ExhaustionOutcome::Fallback));
                assert!(ev.iter().any(|e| matches!(e, Event::Exhausted { .. })));
                fallback += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(exclusive.len(), 3);
    assert_eq!(fallback, 7);
    let distinct: HashSet<_> = exclusive.iter().collect();
    assert_eq!(
        distinct.len(),
        3,
        "a number was leased twice: {exclusive:?}"
    );
    // Never-released numbers go out in E.164 order.
    assert_eq!(exclusive, nums(3));
    let st = pool.stats(T0 + 10);
    assert_eq!((st.exclusive, st.free, st.fallback_holders), (3, 0, 7));
    assert_eq!(st.exhaustions.fallback, 7);
}

#[test]
fn renewal_stickiness_and_cap() {
    let mut c = cfg(2, Exhaustion::Fallback);
    c.max_lease_seconds = Some((3 * D) as u32);
    let (mut pool, _) = Pool::new(c, T0).unwrap();
    let (a, _) = pool.open(&who(1), Signal::Human, "d", T0);
    assert!(!a.sticky);
    assert_eq!(a.expires_at, Some(T0 + D));
    let (b, _) = pool.open(&who(1), Signal::Click, "d", T0 + D - 10);
    assert!(b.sticky);
    assert_eq!(b.number, a.number);
    assert_eq!(b.expires_at, Some(T0 + 2 * D - 10));
    // Renewals stop at since + max_lease.
    let (c2, _) = pool.open(&who(1), Signal::Human, "d", T0 + 2 * D + 5 * H);
    assert_eq!(c2.expires_at, Some(T0 + 3 * D));
    // Machine signals do not renew.
    let (m, _) = pool.open(&who(1), Signal::Machine, "proxy", T0 + 3 * D - 1);
    assert_eq!(
        (m.lease, m.expires_at),
        (LeaseKind::Exclusive, Some(T0 + 3 * D))
    );
    // After the cap, a human open in the tail gets the number back as soft, not exclusive.
    let (t, _) = pool.open(&who(1), Signal::Human, "d", T0 + 3 * D + 10);
    assert_eq!(
        (t.number.as_str(), t.lease, t.sticky),
        (a.number.as_str(), LeaseKind::Soft, true)
    );
}

#[test]
fn tail_is_protected_reacquired_and_then_freed_in_lru_order() {
    let (mut pool, _) = Pool::new(cfg(2, Exhaustion::Fallback), T0).unwrap();
    let (a, _) = pool.open(&who(1), Signal::Human, "d", T0);
    let (b, _) = pool.open(&who(2), Signal::Human, "d", T0 + H);
    // Lease of r1 ends at T0+D; its tail lasts 2 days. A third recipient finds nothing free.
    let (c, ev) = pool.open(&who(3), Signal::Human, "d", T0 + D + 1);
    assert_eq!(c.lease, LeaseKind::Fallback);
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::LeaseEnded { number, .. } if *number == a.number))
    );
    let st = pool.stats(T0 + D + 1);
    assert_eq!((st.exclusive, st.tail, st.free), (1, 1, 0));
    // r1 comes back during its tail: re-acquires the same number exclusively.
    let (a2, _) = pool.open(&who(1), Signal::Human, "d", T0 + D + 2);
    assert_eq!(
        (a2.number.as_str(), a2.lease, a2.sticky),
        (a.number.as_str(), LeaseKind::Exclusive, true)
    );
    // Let everything lapse: r1 released at T0+2D+2, r2 at T0+D+H. The LRU number is r2's.
    let later = T0 + 10 * D;
    let (d, _) = pool.open(&who(4), Signal::Human, "d", later);
    assert_eq!(d.number, b.number);
    let (e, _) = pool.open(&who(5), Signal::Human, "d", later);
    assert_eq!(e.number, a.number);
}

/// Under the shared tail, a person who re-opens after their number went to somebody else is
/// not shown that person's number: they get a number of their own, and a call to either number
/// then points at one person. With every number leased they get their old number back (better
/// than the fallback). (Under the other policies nobody else is given a number during its tail,
/// but for a steal, which ends the tail.)
#[test]
fn a_re_opener_whose_number_somebody_else_leases_gets_their_own() {
    let (mut pool, _) = Pool::new(cfg(3, Exhaustion::SharedTail), T0).unwrap();
    let (a, _) = pool.open(&who(1), Signal::Human, "d", T0);
    pool.open(&who(2), Signal::Human, "d", T0 + H);
    pool.open(&who(3), Signal::Human, "d", T0 + 2 * H);
    // r1's lease ends at T0+D; r4 finds nothing free and takes r1's tail number.
    let (d, _) = pool.open(&who(4), Signal::Human, "d", T0 + D + 10);
    assert_eq!(
        (d.number.as_str(), d.lease),
        (a.number.as_str(), LeaseKind::Exclusive)
    );
    // r2's lease ends too; r1 re-opens: a number of their own (r2's tail), not r4's.
    let (a2, _) = pool.open(&who(1), Signal::Human, "d", T0 + D + 2 * H);
    assert_eq!((a2.lease, a2.sticky), (LeaseKind::Exclusive, false));
    assert_ne!(a2.number, a.number);
    // A call to r1's new number is theirs; a call to the old one is r4's, with r1 still named.
    let at = T0 + D + 2 * H + 600;
    let mine = pool.attribute(&call(&a2.number, at, None));
    assert_eq!(mine.candidates[0].recipient, "r1");
    assert!(mine.confidence > 0.9, "{mine:?}");
    let old = pool.attribute(&call(&a.number, at, None));
    assert_eq!(old.candidates[0].recipient, "r4");
    assert!(old.candidates.iter().any(|c| c.recipient == "r1"));
    // Fill the pool (r5 takes r3's tail number): r3 re-opens with nothing to spare and is shown
    // their own number again, now r5's, rather than the fallback.
    let (e, _) = pool.open(&who(5), Signal::Human, "d", T0 + D + 2 * H + 1);
    assert_eq!(e.lease, LeaseKind::Exclusive);
    let st = pool.stats(T0 + D + 2 * H + 2);
    assert_eq!((st.exclusive, st.free, st.tail), (3, 0, 0));
    let three = pool.holding(&who(3), T0 + D + 2 * H + 2).unwrap();
    assert_eq!(three.number, e.number);
    let (c2, _) = pool.open(&who(3), Signal::Human, "d", T0 + D + 2 * H + 2);
    assert_eq!(
        (c2.number, c2.lease, c2.sticky),
        (three.number, LeaseKind::Soft, true)
    );
}

#[test]
fn steal_oldest_tail() {
    let (mut pool, _) = Pool::new(cfg(2, Exhaustion::StealOldestTail), T0).unwrap();
    let (a, _) = pool.open(&who(1), Signal::Human, "d", T0);
    let (b, _) = pool.open(&who(2), Signal::Human, "d", T0 + H);
    // Both in exclusive phase: nothing to steal → fallback, reported.
    let (c, _) = pool.open(&who(3), Signal::Human, "d", T0 + 2 * H);
    assert_eq!(
        (c.lease, c.exhausted),
        (LeaseKind::Fallback, Some(ExhaustionOutcome::Fallback))
    );
    // Both in tail: r1's (released first) is stolen.
    let (d, ev) = pool.open(&who(4), Signal::Human, "d", T0 + D + 2 * H);
    assert_eq!(
        (d.number.as_str(), d.lease),
        (a.number.as_str(), LeaseKind::Exclusive)
    );
    assert_eq!(d.exhausted, Some(ExhaustionOutcome::Stole));
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::Stolen { from, .. } if *from == who(1)))
    );
    // r1 lost its number (no stickiness after a steal); r2 keeps its tail.
    assert!(pool.holding(&who(1), T0 + D + 2 * H).is_none());
    assert_eq!(
        pool.holding(&who(2), T0 + D + 2 * H).map(|h| h.number),
        Some(b.number)
    );
}

#[test]
fn overflow_policy() {
    let ex = Exhaustion::Overflow {
        number: "+18885550000".into(),
    };
    let (mut pool, _) = Pool::new(cfg(1, ex), T0).unwrap();
    pool.open(&who(1), Signal::Human, "d", T0);
    let (o, _) = pool.open(&who(2), Signal::Human, "d", T0 + 1);
    assert_eq!(
        (o.number.as_str(), o.lease),
        ("+18885550000", LeaseKind::Overflow)
    );
    assert_eq!(o.exhausted, Some(ExhaustionOutcome::Overflow));
    let (o2, _) = pool.open(&who(2), Signal::Human, "d", T0 + 2);
    assert!(o2.sticky);
    assert!(pool.owns("+18885550000"));
    assert!(!pool.owns("+18005550000"));
    let att = pool.attribute(&call("+18885550000", T0 + 60, None));
    assert!(att.overflow);
    assert_eq!(att.candidates[0].recipient, "r2");
    assert_eq!(pool.stats(T0 + 3).exhaustions.overflow, 2);
}

#[test]
fn share_policy_caps_holders_then_falls_back() {
    let (mut pool, _) = Pool::new(cfg(2, Exhaustion::Share { max_holders: 2 }), T0).unwrap();
    let (a, _) = pool.open(&who(1), Signal::Human, "d", T0);
    let (b, _) = pool.open(&who(2), Signal::Human, "d", T0 + 10);
    let (c, _) = pool.open(&who(3), Signal::Human, "d", T0 + 20);
    // Least crowded, then least recently granted: r1's number.
    assert_eq!(
        (c.number.as_str(), c.lease),
        (a.number.as_str(), LeaseKind::Shared)
    );
    assert_eq!(c.exhausted, Some(ExhaustionOutcome::Shared));
    let (d, _) = pool.open(&who(4), Signal::Human, "d", T0 + 30);
    assert_eq!(d.number, b.number);
    let (e, _) = pool.open(&who(5), Signal::Human, "d", T0 + 40);
    assert_eq!(
        (e.lease, e.exhausted),
        (LeaseKind::Fallback, Some(ExhaustionOutcome::Fallback))
    );
    // The original holder now reports a shared lease; calls are ambiguous.
    let (a2, _) = pool.open(&who(1), Signal::Human, "d", T0 + 50);
    assert_eq!(a2.lease, LeaseKind::Shared);
    let att = pool.attribute(&call(&a.number, T0 + 60, None));
    assert!(att.ambiguous);
    assert_eq!(att.candidates.len(), 2);
    assert!(att.candidates.iter().all(|c| c.state == "shared"));
    assert!(att.reason.starts_with("shared"));
    let st = pool.stats(T0 + 60);
    assert_eq!(
        (st.shared, st.exhaustions.shared, st.exhaustions.fallback),
        (2, 2, 1)
    );
}

#[test]
fn machine_signals_take_soft_holds_and_humans_upgrade() {
    let (mut pool, _) = Pool::new(cfg(2, Exhaustion::Fallback), T0).unwrap();
    let (m, _) = pool.open(&who(1), Signal::Machine, "apple-mpp", T0);
    assert_eq!(
        (m.number.as_str(), m.lease, m.exhausted),
        ("+18005550000", LeaseKind::Soft, None)
    );
    assert_eq!(
        pool.stats(T0).free,
        2,
        "a machine signal consumed a free number"
    );
    let (m2, _) = pool.open(&who(1), Signal::Machine, "apple-mpp", T0 + 5);
    assert!(m2.sticky);
    let (h, _) = pool.open(&who(1), Signal::Human, "iphone", T0 + 10);
    assert_eq!((h.lease, h.sticky), (LeaseKind::Exclusive, false));
    // A machine signal now returns the leased number.
    let (m3, _) = pool.open(&who(1), Signal::Machine, "scanner", T0 + 20);
    assert_eq!(
        (m3.number, m3.lease, m3.sticky),
        (h.number, LeaseKind::Exclusive, true)
    );
    assert_eq!(pool.stats(T0 + 20).soft, 0);
}

#[test]
fn quarantine_on_removal_and_readd() {
    let mut c = cfg(3, Exhaustion::Fallback);
    c.quarantine_seconds = (10 * D) as u32;
    let (mut pool, _) = Pool::new(c.clone(), T0).unwrap();
    let (a, _) = pool.open(&who(1), Signal::Human, "d", T0);
    let mut c2 = c.clone();
    c2.numbers.retain(|n| *n != a.number);
    let ev = pool.configure(c2, T0 + D / 2).unwrap();
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::Quarantined { number, until, .. }
        if *number == a.number && *until == T0 + D / 2 + 10 * D))
    );
    assert!(ev.iter().any(|e| matches!(e, Event::AssociationCut { .. })));
    assert!(pool.holding(&who(1), T0 + D / 2).is_none());
    // Calls to the retired number still attribute, tagged.
    let att = pool.attribute(&call(&a.number, T0 + D, None));
    assert!(att.reason.starts_with("retired_number"), "{}", att.reason);
    assert_eq!(att.candidates[0].recipient, "r1");
    // Re-adding keeps the quarantine running.
    pool.configure(c.clone(), T0 + D).unwrap();
    assert_eq!(pool.stats(T0 + D).quarantined, 1);
    assert_eq!(pool.stats(T0 + D).leasable, 2);
    for i in 2..4 {
        let (x, _) = pool.open(&who(i), Signal::Human, "d", T0 + D + i as i64);
        assert_ne!(x.number, a.number);
    }
    // After the quarantine it is free again.
    let ev = pool.prune(T0 + D / 2 + 10 * D);
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::QuarantineEnded { number, .. } if *number == a.number))
    );
    assert_eq!(pool.stats(T0 + 11 * D).quarantined, 0);
}

#[test]
fn pressure_crosses_up_and_down() {
    let mut c = cfg(4, Exhaustion::Fallback);
    c.pressure_threshold = 0.5;
    c.tail_seconds = 0;
    let (mut pool, _) = Pool::new(c, T0).unwrap();
    let (a, ev) = pool.open(&who(1), Signal::Human, "d", T0);
    assert!(!a.pressure && !ev.iter().any(|e| matches!(e, Event::Pressure { .. })));
    let (b, ev) = pool.open(&who(2), Signal::Human, "d", T0 + 1);
    assert!(b.pressure);
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::Pressure { utilisation, .. } if *utilisation == 0.5))
    );
    let (_, ev) = pool.open(&who(3), Signal::Human, "d", T0 + 2);
    assert!(
        !ev.iter().any(|e| matches!(e, Event::Pressure { .. })),
        "fires only on crossing"
    );
    let (_, ev) = pool.open(&who(9), Signal::Machine, "d", T0 + 2 * D);
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::PressureRelieved { .. }))
    );
}

#[test]
fn attribution_ranks_exclusive_tail_and_links_caller_id() {
    let (mut pool, _) = Pool::new(cfg(1, Exhaustion::Fallback), T0).unwrap();
    let (a, _) = pool.open(&who(1), Signal::Human, "iphone", T0);
    // Exclusive at call time: decisive.
    let (att, _) = pool.record_call(call(&a.number, T0 + H, Some("+14155550101")), T0 + H);
    assert_eq!(att.candidates.len(), 1);
    let c0 = &att.candidates[0];
    assert_eq!(
        (c0.recipient.as_str(), c0.state.as_str(), c0.device.as_str()),
        ("r1", "exclusive", "iphone")
    );
    assert!(!att.ambiguous && att.confidence > 0.9, "{att:?}");
    assert!(att.reason.starts_with("exclusive"));
    // Tail only: lower confidence.
    let tail = pool.attribute(&call(&a.number, T0 + D + H, None));
    assert_eq!(tail.candidates[0].state, "tail");
    assert!(tail.confidence < att.confidence);
    // Number goes to r2 after r1's tail; a call from r1's phone links back to r1.
    let (b, _) = pool.open(&who(2), Signal::Human, "android", T0 + 4 * D);
    assert_eq!(b.number, a.number);
    let plain = pool.attribute(&call(&a.number, T0 + 4 * D + H, None));
    assert_eq!(plain.candidates[0].recipient, "r2");
    let linked = pool.attribute(&call(&a.number, T0 + 4 * D + H, Some("+14155550101")));
    assert_eq!(linked.candidates[0].recipient, "r1");
    assert!(
        linked.reason.starts_with("caller_id_link"),
        "{}",
        linked.reason
    );
    // A linked caller dialling the fallback number is still found.
    let fb = pool.attribute(&call("+18005550000", T0 + 4 * D + H, Some("+14155550101")));
    assert_eq!(
        (
            fb.candidates[0].recipient.as_str(),
            fb.candidates[0].state.as_str()
        ),
        ("r1", "caller_id")
    );
    // Calls before any association, and unknown numbers.
    assert!(
        pool.attribute(&call(&a.number, T0 - 10, None))
            .candidates
            .is_empty()
    );
    let unknown = pool.attribute(&call("+19999999999", T0, None));
    assert!(unknown.reason.starts_with("unknown_number") && unknown.confidence == 0.0);
}

#[test]
fn fallback_calls_are_ambiguous_and_misdials_discounted() {
    let (mut pool, _) = Pool::new(cfg(1, Exhaustion::Fallback), T0).unwrap();
    for i in 0..5 {
        pool.open(&who(i), Signal::Human, "d", T0 + i as i64);
    }
    let att = pool.attribute(&call("+18005550000", T0 + H, None));
    // Four people shown the same number within seconds of each other an hour ago: as likely
    // as each other.
    assert_eq!(att.candidates.len(), 4);
    assert!(att.ambiguous, "{att:?}");
    assert!((att.confidence - 0.25).abs() < 0.01, "{att:?}");
    let (a, _) = pool.open(&who(0), Signal::Human, "d", T0 + 10);
    let mut short = call(&a.number, T0 + 20, None);
    short.duration = Some(2);
    let s = pool.attribute(&short);
    let l = pool.attribute(&call(&a.number, T0 + 20, None));
    assert!((s.confidence - l.confidence / 2.0).abs() <= 1e-6); // both rounded to 6 places
    assert!(s.reason.contains("misdial"));
}

#[test]
fn late_call_after_everything_ended() {
    let (mut pool, _) = Pool::new(cfg(2, Exhaustion::Fallback), T0).unwrap();
    let (a, _) = pool.open(&who(1), Signal::Human, "d", T0);
    let att = pool.attribute(&call(&a.number, T0 + 5 * D, None));
    assert_eq!(att.candidates[0].state, "late");
    assert!(att.reason.starts_with("late_call"));
    // Beyond the attribution window nothing is left.
    assert!(
        pool.attribute(&call(&a.number, T0 + 40 * D, None))
            .candidates
            .is_empty()
    );
}

#[test]
fn reattribute_links_in_call_order() {
    let (mut pool, _) = Pool::new(cfg(1, Exhaustion::Fallback), T0).unwrap();
    let (a, _) = pool.open(&who(1), Signal::Human, "d", T0);
    pool.open(&who(2), Signal::Human, "d", T0 + 4 * D);
    // The later call is recorded first, so when recorded it has no link and goes to r2.
    let (late, _) = pool.record_call(
        call(&a.number, T0 + 4 * D + H, Some("+1415")),
        T0 + 4 * D + 2 * H,
    );
    assert_eq!(late.candidates[0].recipient, "r2");
    pool.record_call(call(&a.number, T0 + H, Some("+1415")), T0 + 4 * D + 3 * H);
    let re = pool.reattribute();
    assert_eq!(re.len(), 2);
    assert_eq!(re[0].0.at, T0 + 4 * D + H);
    assert_eq!(
        re[0].1.candidates[0].recipient, "r1",
        "the earlier call's link now applies"
    );
    assert_eq!(re[1].1.candidates[0].recipient, "r1");
}

#[test]
fn config_json_defaults_and_validation_errors() {
    let c: PoolConfig = serde_json::from_str(
        r#"{"numbers": ["+15550001", "+15550002"], "fallback": "+18005550000", "lease_seconds": 86400}"#,
    )
    .unwrap();
    assert_eq!(c.tail_seconds, 7 * 86_400);
    assert_eq!(c.quarantine_seconds, 45 * 86_400);
    assert_eq!(c.attribution_window_seconds, 30 * 86_400);
    assert_eq!(c.max_lease(), 7 * 86_400);
    assert_eq!(
        (c.reuse, c.exhaustion.clone(), c.pressure_threshold),
        (Reuse::Lru, Exhaustion::SharedTail, 0.75)
    );
    c.validate().unwrap();
    let c2: PoolConfig = serde_json::from_str(
        r#"{"numbers": ["+1"], "fallback": "+2", "lease_seconds": 60, "reuse": {"random": {"seed": 7}},
            "exhaustion": {"share": {"max_holders": 3}}}"#,
    )
    .unwrap();
    assert_eq!(
        (c2.reuse, c2.exhaustion),
        (
            Reuse::Random { seed: 7 },
            Exhaustion::Share { max_holders: 3 }
        )
    );
    let c3: PoolConfig = serde_json::from_str(
        r#"{"numbers": ["+1"], "fallback": "+2", "lease_seconds": 60, "exhaustion": "steal_oldest_tail"}"#,
    )
    .unwrap();
    assert_eq!(c3.exhaustion, Exhaustion::StealOldestTail);
    assert!(
        serde_json::from_str::<PoolConfig>(
            r#"{"numbers": [], "fallback": "+2", "lease_seconds": 1, "bogus": 1}"#
        )
        .is_err()
    );

    let base = || PoolConfig::new(vec!["+1".into(), "+2".into()], "+9", 60);
    let check = |f: &dyn Fn(&mut PoolConfig), want: PoolError, field: &str| {
        let mut c = base();
        f(&mut c);
        let err = c.validate().unwrap_err();
        assert_eq!(err, want);
        assert!(err.to_string().contains(field), "{err}");
        assert!(Pool::new(c, T0).is_err());
    };
    check(&|c| c.numbers.clear(), PoolError::EmptyPool, "numbers");
    check(
        &|c| c.numbers.push("+1".into()),
        PoolError::DuplicateNumber {
            number: "+1".into(),
        },
        "+1",
    );
    check(
        &|c| c.numbers.push(String::new()),
        PoolError::EmptyNumber { field: "numbers" },
        "numbers",
    );
    check(
        &|c| c.fallback = "+2".into(),
        PoolError::NumberConflict {
            field: "fallback",
            number: "+2".into(),
        },
        "fallback",
    );
    check(
        &|c| c.fallback.clear(),
        PoolError::EmptyNumber { field: "fallback" },
        "fallback",
    );
    check(
        &|c| {
            c.exhaustion = Exhaustion::Overflow {
                number: "+1".into(),
            }
        },
        PoolError::NumberConflict {
            field: "exhaustion.overflow.number",
            number: "+1".into(),
        },
        "overflow",
    );
    check(
        &|c| {
            c.exhaustion = Exhaustion::Overflow {
                number: "+9".into(),
            }
        },
        PoolError::NumberConflict {
            field: "exhaustion.overflow.number",
            number: "+9".into(),
        },
        "overflow",
    );
    check(
        &|c| c.lease_seconds = 0,
        PoolError::ZeroLength {
            field: "lease_seconds",
        },
        "lease_seconds",
    );
    check(
        &|c| c.max_lease_seconds = Some(30),
        PoolError::MaxBelowMin {
            max_lease_seconds: 30,
            lease_seconds: 60,
        },
        "max_lease_seconds",
    );
    check(
        &|c| c.pressure_threshold = 0.0,
        PoolError::BadThreshold { value: 0.0 },
        "pressure_threshold",
    );
    check(
        &|c| c.pressure_threshold = 1.5,
        PoolError::BadThreshold { value: 1.5 },
        "pressure_threshold",
    );
    check(
        &|c| c.exhaustion = Exhaustion::Share { max_holders: 1 },
        PoolError::BadShare { max_holders: 1 },
        "max_holders",
    );
}

#[test]
fn configure_is_atomic_on_error() {
    let (mut pool, _) = Pool::new(cfg(2, Exhaustion::Fallback), T0).unwrap();
    pool.open(&who(1), Signal::Human, "d", T0);
    let before = serde_json::to_value(&pool).unwrap();
    let mut bad = cfg(2, Exhaustion::Fallback);
    bad.lease_seconds = 0;
    assert!(pool.configure(bad, T0 + 5).is_err());
    assert_eq!(serde_json::to_value(&pool).unwrap(), before);
}

#[test]
fn snapshot_round_trip_and_corruption() {
    let (mut pool, _) = Pool::new(cfg(3, Exhaustion::Share { max_holders: 3 }), T0).unwrap();
    for i in 0..8 {
        pool.open(
            &who(i),
            if i % 3 == 0 {
                Signal::Machine
            } else {
                Signal::Human
            },
            "d",
            T0 + i as i64 * H,
        );
    }
    pool.record_call(call(&nums(3)[0], T0 + 2 * H, Some("+1415")), T0 + 9 * H);
    let json = serde_json::to_string(&pool).unwrap();
    let back: Pool = serde_json::from_str(&json).unwrap();
    assert_eq!(serde_json::to_string(&back).unwrap(), json);
    // The restored pool behaves the same.
    let (mut p1, mut p2) = (pool.clone(), back);
    for i in 0..12 {
        let t = T0 + 10 * H + i as i64 * 7 * H;
        assert_eq!(
            p1.open(&who(i), Signal::Human, "d", t),
            p2.open(&who(i), Signal::Human, "d", t)
        );
    }
    // A dangling index is an error, not a panic.
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["holders"][0]["association"] =
        serde_json::json!({"number": 99, "interval": 0, "phase": "held"});
    assert!(serde_json::from_value::<Pool>(v.clone()).is_err());
    v["holders"][0]["association"] = serde_json::Value::Null;
    v["numbers"][0]["history"][0]["holder"] = serde_json::json!(10_000);
    assert!(serde_json::from_value::<Pool>(v).is_err());
}

#[test]
fn prune_drops_old_history_and_holders() {
    let mut c = cfg(2, Exhaustion::Fallback);
    c.attribution_window_seconds = (5 * D) as u32;
    let (mut pool, _) = Pool::new(c, T0).unwrap();
    let (a, _) = pool.open(&who(1), Signal::Human, "d", T0);
    pool.record_call(call(&a.number, T0 + H, Some("+1415")), T0 + H);
    pool.open(&who(2), Signal::Human, "d", T0 + 6 * D);
    let ev = pool.prune(T0 + 8 * D + H);
    // r1's association ended at T0+3D (lease + 2-day tail), more than 5 days before.
    assert!(
        ev.iter().any(|e| matches!(
            e,
            Event::Pruned {
                associations: 1,
                calls: 1,
                holders: 1,
                ..
            }
        )),
        "{ev:?}"
    );
    assert_eq!(pool.stats(T0 + 8 * D + H).holders, 1);
    assert!(
        pool.attribute(&call(&a.number, T0 + H, None))
            .candidates
            .is_empty()
    );
    assert_eq!(
        pool.holding(&who(2), T0 + 8 * D + H).map(|h| h.lease),
        Some(LeaseKind::Soft)
    );
}

#[test]
fn replay_reproduces_state_and_detects_divergence() {
    let (mut pool, mut log) = Pool::new(cfg(2, Exhaustion::StealOldestTail), T0).unwrap();
    for i in 0..6 {
        log.extend(
            pool.open(&who(i % 4), Signal::Human, "d", T0 + i as i64 * 20 * H)
                .1,
        );
    }
    log.extend(
        pool.record_call(call(&nums(2)[0], T0 + H, Some("+1")), T0 + 5 * D)
            .1,
    );
    log.extend(
        pool.configure(cfg(3, Exhaustion::Fallback), T0 + 6 * D)
            .unwrap(),
    );
    log.extend(pool.prune(T0 + 40 * D));
    let json = serde_json::to_string(&log).unwrap();
    let log2: Vec<Event> = serde_json::from_str(&json).unwrap();
    assert_eq!(log2, log);
    let replayed = Pool::replay(&log2).unwrap();
    assert_eq!(
        serde_json::to_value(&replayed).unwrap(),
        serde_json::to_value(&pool).unwrap()
    );
    // Tampering with an outcome is detected.
    let mut bad = log.clone();
    let i = bad
        .iter()
        .position(|e| matches!(e, Event::Opened { .. }))
        .unwrap();
    if let Event::Opened { number, .. } = &mut bad[i] {
        *number = "+10000000000".into();
    }
    assert!(matches!(
        Pool::replay(&bad),
        Err(PoolError::ReplayMismatch { .. })
    ));
    assert!(matches!(Pool::replay(&[]), Err(PoolError::ReplayEmpty)));
    assert!(matches!(
        Pool::replay(&log[1..]),
        Err(PoolError::ReplayOrder { .. })
    ));
}

#[test]
fn random_reuse_is_deterministic_and_differs_from_lru() {
    let run = |reuse| {
        let mut c = cfg(20, Exhaustion::Fallback);
        c.reuse = reuse;
        let (mut pool, _) = Pool::new(c, T0).unwrap();
        (0..10)
            .map(|i| {
                pool.open(&who(i), Signal::Human, "d", T0 + i as i64)
                    .0
                    .number
            })
            .collect::<Vec<_>>()
    };
    let r1 = run(Reuse::Random { seed: 1 });
    assert_eq!(r1, run(Reuse::Random { seed: 1 }));
    assert_ne!(r1, run(Reuse::Random { seed: 2 }));
    assert_eq!(run(Reuse::Lru), nums(10));
    assert_eq!(r1.iter().collect::<HashSet<_>>().len(), 10);
}

fn within(got: f64, want: f64, pct: f64) -> bool {
    (got - want).abs() <= want * pct / 100.0
}

#[test]
fn sizing_reproduces_the_research_peak_table() {
    // call-tracking.md §2.2, 100k recipients, 20% human openers.
    let rows: [(f64, f64, f64); 6] = [
        (1_800.0, 5_572.0, 324.0),
        (7_200.0, 8_188.0, 1_287.0),
        (86_400.0, 15_600.0, 12_630.0),
        (259_200.0, 17_520.0, 17_189.0),
        (604_800.0, 19_000.0, 18_869.0),
        (2_592_000.0, 20_000.0, 20_000.0),
    ];
    for (lease, blast, spread) in rows {
        let mut inp = SizingInput::new(100_000);
        inp.lease_seconds = lease as u32;
        let b = sizing::recommend(&inp).peak_concurrent_leases;
        inp.send_spread_hours = 24.0;
        let s = sizing::recommend(&inp).peak_concurrent_leases;
        assert!(within(b, blast, 2.0), "blast W={lease}: {b} vs {blast}");
        assert!(within(s, spread, 3.0), "spread W={lease}: {s} vs {spread}");
    }
}

#[test]
fn sizing_erlang_b_cross_check_and_pool_report() {
    // First-hour rate 6,667/h × 0.5 h = 3,333 Erl → 3,355 numbers (1%), 3,448 (0.1%).
    let a = 20_000.0 / 3.0 * 0.5;
    let (m1, b1) = sizing::erlang_b_servers(a, 0.01);
    let (m2, _) = sizing::erlang_b_servers(a, 0.001);
    assert!(within(f64::from(m1), 3_355.0, 1.0), "{m1}");
    assert!(within(f64::from(m2), 3_448.0, 1.0), "{m2}");
    assert!(b1 <= 0.01 && sizing::erlang_b(m1 - 1, a) > 0.01);
    // Textbook value: E(10 servers, 5 Erl) ≈ 0.01838.
    assert!((sizing::erlang_b(10, 5.0) - 0.018_38).abs() < 1e-4);

    let mut inp = SizingInput::new(100_000);
    inp.lease_seconds = 1_800;
    inp.send_spread_hours = 24.0;
    inp.pool_size = Some(1_000);
    inp.live_leases = Some(250);
    let r = sizing::recommend(&inp);
    assert!(r.recommended_size as f64 >= r.peak_concurrent_leases);
    assert!(r.blocking_probability <= 0.01);
    assert_eq!(r.utilisation, Some(0.25));
    assert!(r.pool_blocking_probability.unwrap() < 1e-6);
    // Largest sustainable lease at M = 1,000 over 24 h: 93 min in the research table.
    let w = r.max_lease_seconds_for_pool.unwrap() / 60.0;
    assert!(within(w, 93.0, 5.0), "{w} min");
    // Shared tail over 7 days, 24-h send: ~18.9k concurrent tails; at M = 1,000 → ~19 per number.
    assert!(within(
        r.tail_candidates_per_number * f64::from(r.recommended_size) / 1_000.0,
        18.9,
        3.0
    ));
}

#[test]
fn fallback_number_returns_the_ten_heaviest_best_first() {
    // One pool number: r0 takes it, r1..r40 fall back, one per hour (so recency orders them),
    // except r39 and r40, opened in the same second (a tie: the one seen first ranks first).
    let (mut pool, _) = Pool::new(cfg(1, Exhaustion::Fallback), T0).unwrap();
    pool.open(&who(0), Signal::Human, "d", T0);
    for i in 1..=40 {
        let at = T0 + (i.min(39) as i64) * H;
        let (a, _) = pool.open(&who(i), Signal::Human, "d", at);
        assert_eq!(a.lease, LeaseKind::Fallback);
    }
    // r5 renews last: its fallback association is the most recently touched.
    pool.open(&who(5), Signal::Human, "d", T0 + 40 * H);
    let att = pool.attribute(&call("+18005550000", T0 + 41 * H, None));
    let got: Vec<&str> = att
        .candidates
        .iter()
        .map(|c| c.recipient.as_str())
        .collect();
    assert_eq!(
        got,
        [
            "r5", "r39", "r40", "r38", "r37", "r36", "r35", "r34", "r33", "r32"
        ]
    );
    assert!(att.candidates.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(att.candidates.iter().all(|c| c.state == "fallback"));
    assert!(att.ambiguous);
    assert!(att.reason.ends_with("; 40 candidates"), "{}", att.reason);
}

#[test]
fn short_and_long_recipient_ids_survive_renewal_and_snapshot() {
    // Ids up to 22 bytes are stored inline in the holder record, longer ones on the heap.
    let ids = [
        "",
        "r",
        "exactly-22-bytes-id-xx",
        "exactly-23-bytes-id-xxx",
        "a.rather.long.address+tag@subdomain.example.com",
        "ünïcödé-ïd-wïth-multïbyte-chars",
    ];
    let (mut pool, _) = Pool::new(cfg(8, Exhaustion::Fallback), T0).unwrap();
    let mut first = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let (a, ev) = pool.open(
            &Holder::new("spring", *id),
            Signal::Human,
            "d",
            T0 + i as i64,
        );
        assert!(matches!(&ev[0], Event::Opened { holder, .. } if holder.recipient == *id));
        first.push(a.number);
    }
    let json = serde_json::to_string(&pool).unwrap();
    let mut back: Pool = serde_json::from_str(&json).unwrap();
    assert_eq!(serde_json::to_string(&back).unwrap(), json);
    for (i, id) in ids.iter().enumerate() {
        let h = Holder::new("spring", *id);
        let (a, _) = back.open(&h, Signal::Human, "d", T0 + 100);
        assert_eq!((&a.number, a.sticky), (&first[i], true), "{id}");
        let att = back.attribute(&call(&first[i], T0 + 101, None));
        assert_eq!(att.candidates[0].recipient, *id);
    }
    // A prefix or extension of a stored id is a different holder.
    let (a, _) = back.open(
        &Holder::new("spring", "exactly-22-bytes-id-x"),
        Signal::Human,
        "d",
        T0 + 200,
    );
    assert!(!a.sticky);
}

/// A recipient forgotten on request: their id is gone from the pool and its snapshot, and a
/// call to the number they held still counts them — under an id that names no one — so it is
/// not pinned on someone else.
#[test]
fn forgetting_a_recipient_keeps_their_place_but_not_their_id() {
    let (mut pool, _) = Pool::new(cfg(1, Exhaustion::Fallback), T0).unwrap();
    let (a, _) = pool.open(&who(1), Signal::Human, "iphone", T0);
    assert_eq!(a.lease, LeaseKind::Exclusive);
    pool.open(&who(2), Signal::Human, "iphone", T0 + 1);
    let others = pool.holding(&who(2), T0 + 60);
    assert!(others.is_some());
    let (forgotten, events) = pool.forget("r1", T0 + 60);
    assert_eq!(
        pool.holding(&who(2), T0 + 60),
        others,
        "the others are found as before"
    );
    assert_eq!(forgotten, 1);
    assert!(matches!(
        events.as_slice(),
        [Event::Forgotten { holders: 1, .. }]
    ));
    let snapshot = serde_json::to_string(&pool).unwrap();
    assert!(
        !snapshot.contains("\"r1\""),
        "the id survives in the snapshot"
    );
    // The number is still held, by the erased record, and a call to it is attributed to it.
    let attribution = pool.attribute(&call(&a.number, T0 + 120, None));
    let top = attribution
        .candidates
        .first()
        .expect("the erased holder is still a candidate");
    assert!(
        ringmark_pool::is_erased(&top.recipient),
        "{}",
        top.recipient
    );
    // The erased record is found under its new id, as every record is under its own.
    let erased = Holder::new("spring", top.recipient.clone());
    assert_eq!(
        pool.holding(&erased, T0 + 120).map(|h| h.number),
        Some(a.number.clone())
    );
    // The same id opening again is a new recipient, who does not get the erased one's number.
    let (again, _) = pool.open(&who(1), Signal::Human, "iphone", T0 + 180);
    assert_eq!(again.lease, LeaseKind::Fallback);
    // Forgetting an id the pool does not know changes nothing and logs nothing.
    assert_eq!(pool.forget("nobody", T0 + 240), (0, Vec::new()));
    // And the pool reloads from its snapshot, to the same snapshot.
    let text = serde_json::to_string(&pool).unwrap();
    let reloaded: Pool = serde_json::from_str(&text).unwrap();
    assert_eq!(reloaded.stats(T0 + 300), pool.stats(T0 + 300));
    assert_eq!(serde_json::to_string(&reloaded).unwrap(), text);
}

/// A pool that keeps as many recipients as it may (`max_holders`) shows a recipient it does
/// not know the fallback and keeps nothing of them; those it knows are served as before, and
/// once the window prunes older ones it keeps new recipients again. The log replays to the same.
#[test]
fn a_full_pool_keeps_serving_and_keeps_no_one_new() {
    let mut c = cfg(5, Exhaustion::SharedTail);
    c.max_holders = Some(3);
    c.attribution_window_seconds = D as u32;
    let (mut pool, mut log) = Pool::new(c, T0).unwrap();
    for i in 0..3 {
        let (a, ev) = pool.open(&who(i), Signal::Human, "iphone", T0 + i as i64);
        assert_eq!(a.lease, LeaseKind::Exclusive);
        log.extend(ev);
    }
    let (full, ev) = pool.open(&who(3), Signal::Human, "iphone", T0 + 10);
    log.extend(ev);
    assert_eq!(
        (full.number.as_str(), full.lease),
        ("+18005550000", LeaseKind::Fallback)
    );
    assert_eq!(full.exhausted, Some(ExhaustionOutcome::Full));
    let (machine, ev) = pool.open(&who(4), Signal::Machine, "", T0 + 11);
    log.extend(ev);
    assert_eq!(
        (machine.number.as_str(), machine.lease, machine.exhausted),
        ("+18005550000", LeaseKind::Soft, None),
        "a prefetch not kept is answered as a kept one"
    );
    let st = pool.stats(T0 + 12);
    assert_eq!(
        (
            st.holders,
            st.exhaustions.full,
            st.exhaustions.prefetches_unkept,
            st.free
        ),
        (3, 1, 1, 2),
        "free numbers are not the limit"
    );
    // A recipient the pool keeps is served as before.
    let (again, ev) = pool.open(&who(1), Signal::Human, "iphone", T0 + 20);
    log.extend(ev);
    assert_eq!((again.lease, again.sticky), (LeaseKind::Exclusive, true));
    // The log replays to the same pool.
    let replayed = Pool::replay(&log).unwrap();
    assert_eq!(replayed.stats(T0 + 30), pool.stats(T0 + 30));
    // Past leases, tails and the window, pruning frees the places: new recipients are kept.
    let later = T0 + 12 * D;
    pool.prune(later);
    let (kept, _) = pool.open(&who(3), Signal::Human, "iphone", later);
    assert_eq!(kept.lease, LeaseKind::Exclusive);
}

/// A prefetch flood (Apple MPP fetches about half a send at delivery) cannot lock people out:
/// recipients first reached by a machine take at most half of `max_holders`; past that a
/// prefetch of someone new is answered as a kept one (a soft hold on the fallback) but not kept,
/// and people still find room up to the limit.
#[test]
fn prefetches_take_at_most_half_the_room_people_the_rest() {
    let mut c = cfg(5, Exhaustion::SharedTail);
    c.max_holders = Some(4);
    let (mut pool, mut log) = Pool::new(c, T0).unwrap();
    for i in 0..10 {
        let (a, ev) = pool.open(&who(i), Signal::Machine, "proxy", T0 + i as i64);
        log.extend(ev);
        assert_eq!(
            (a.number.as_str(), a.lease, a.exhausted),
            ("+18005550000", LeaseKind::Soft, None),
            "kept or not, a prefetch gets a soft hold's answer"
        );
    }
    let st = pool.stats(T0 + 10);
    assert_eq!(
        (st.holders, st.exhaustions.prefetches_unkept),
        (2, 8),
        "half of max_holders"
    );
    // Two people nobody prefetched still get numbers; so does one a kept prefetch reached.
    for i in [20, 21, 0] {
        let (a, ev) = pool.open(&who(i), Signal::Human, "iphone", T0 + 100 + i as i64);
        log.extend(ev);
        assert_eq!((a.lease, a.exhausted), (LeaseKind::Exclusive, None), "r{i}");
    }
    // At the limit a new person is refused as before.
    let (a, ev) = pool.open(&who(22), Signal::Human, "iphone", T0 + 200);
    log.extend(ev);
    assert_eq!(a.exhausted, Some(ExhaustionOutcome::Full));
    let st = pool.stats(T0 + 201);
    assert_eq!(
        (
            st.holders,
            st.exhaustions.full,
            st.exhaustions.prefetches_unkept
        ),
        (4, 1, 8)
    );
    let replayed = Pool::replay(&log).unwrap();
    assert_eq!(replayed.stats(T0 + 201), st);
}

#[test]
fn max_holders_must_keep_at_least_one_recipient() {
    let mut c = cfg(2, Exhaustion::SharedTail);
    c.max_holders = Some(0);
    assert_eq!(c.validate(), Err(PoolError::BadMaxHolders { value: 0 }));
    c.max_holders = Some(1);
    assert_eq!(c.validate(), Ok(()));
}
