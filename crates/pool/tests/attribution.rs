//! Attribution at affordable pool sizes: the shared-tail policy, candidates that are never
//! silently dropped, scores that are probabilities, caller ID as strong but not absolute
//! evidence, and pools stored before the current scorer.

use ringmark_pool::{
    Event, Exhaustion, ExhaustionOutcome, LeaseKind, PolicyKind, Pool, PoolConfig, Signal,
};

mod common;
use common::{call, nums, who};

const M: i64 = 60;
const H: i64 = 3_600;
const D: i64 = 86_400;
const T0: i64 = 1_796_000_000;
const FALLBACK: &str = "+18005550000";

/// `n` numbers, an hour's exclusive lease, the default 7-day tail, the given policy.
fn pool(n: usize, exhaustion: Exhaustion) -> Pool {
    let mut c = PoolConfig::new(nums(n), FALLBACK, H as u32);
    c.exhaustion = exhaustion;
    Pool::new(c, T0).unwrap().0
}

fn recipients(att: &ringmark_pool::Attribution) -> Vec<&str> {
    att.candidates
        .iter()
        .map(|c| c.recipient.as_str())
        .collect()
}

mod shared_tail {
    use super::*;

    #[test]
    fn is_the_default_policy() {
        let c = PoolConfig::new(nums(1), FALLBACK, 60);
        assert_eq!(c.exhaustion, Exhaustion::SharedTail);
    }

    #[test]
    fn a_person_takes_the_tail_number_shown_longest_ago_and_its_holders_stay_candidates() {
        let mut p = pool(2, Exhaustion::SharedTail);
        let (a0, _) = p.open(&who(0), Signal::Human, "d", T0);
        let (a1, _) = p.open(&who(1), Signal::Human, "d", T0 + 10 * M);
        // Both leases end after an hour; both numbers are in their holders' tails.
        let (a2, ev) = p.open(&who(2), Signal::Human, "d", T0 + 3 * H);
        assert_eq!(a2.number, a0.number, "r0 was shown its number longest ago");
        assert_eq!((a2.lease, a2.exhausted), (LeaseKind::Exclusive, None));
        assert!(
            !ev.iter().any(|e| matches!(e, Event::Exhausted { .. })),
            "not an exhaustion"
        );
        let att = p.attribute(&call(&a0.number, T0 + 3 * H + 5 * M, None));
        assert_eq!(recipients(&att), ["r2", "r0"]);
        assert_ne!(a1.number, a0.number);
    }

    #[test]
    fn a_tail_holder_shown_their_number_again_sends_it_to_the_back() {
        let mut p = pool(2, Exhaustion::SharedTail);
        let (a0, _) = p.open(&who(0), Signal::Human, "d", T0);
        let (a1, _) = p.open(&who(1), Signal::Human, "d", T0 + 10 * M);
        let (again, _) = p.open(&who(0), Signal::Human, "d", T0 + 2 * H);
        assert_eq!(again.number, a0.number, "sticky in the tail");
        let (a2, _) = p.open(&who(2), Signal::Human, "d", T0 + 4 * H);
        assert_eq!(
            a2.number, a1.number,
            "r1's number was shown longest ago now"
        );
        // r0, re-shown while r2 holds another number, stays the likeliest caller of theirs.
        let att = p.attribute(&call(&a0.number, T0 + 4 * H + M, None));
        assert_eq!(att.candidates[0].recipient, "r0");
    }

    #[test]
    fn the_fallback_only_when_every_number_is_inside_an_exclusive_lease() {
        let mut p = pool(2, Exhaustion::SharedTail);
        p.open(&who(0), Signal::Human, "d", T0);
        p.open(&who(1), Signal::Human, "d", T0 + M);
        let (a, ev) = p.open(&who(2), Signal::Human, "d", T0 + 2 * M);
        assert_eq!(
            (a.number.as_str(), a.lease),
            (FALLBACK, LeaseKind::Fallback)
        );
        assert_eq!(a.exhausted, Some(ExhaustionOutcome::Fallback));
        assert!(ev.iter().any(|e| matches!(
            e,
            Event::Exhausted {
                policy: PolicyKind::SharedTail,
                outcome: ExhaustionOutcome::Fallback,
                ..
            }
        )));
        // Once a lease ends, the next person takes that tail number instead.
        let (b, _) = p.open(&who(3), Signal::Human, "d", T0 + 2 * H);
        assert_eq!((b.lease, b.exhausted), (LeaseKind::Exclusive, None));
    }

    #[test]
    fn machines_still_never_take_a_number() {
        let mut p = pool(1, Exhaustion::SharedTail);
        p.open(&who(0), Signal::Human, "d", T0);
        let (m, _) = p.open(&who(1), Signal::Machine, "proxy", T0 + 2 * H);
        assert_eq!((m.number.as_str(), m.lease), (FALLBACK, LeaseKind::Soft));
        assert_eq!(
            p.stats(T0 + 2 * H).tail,
            1,
            "the tail number was not given to a machine"
        );
    }
}

mod candidates {
    use super::*;

    #[test]
    fn a_soft_hold_whose_holder_moved_to_a_pool_number_does_not_outrank_who_saw_the_fallback() {
        let mut p = pool(1, Exhaustion::Fallback);
        p.open(&who(0), Signal::Machine, "proxy", T0); // prefetch: soft hold on the fallback
        let (up, _) = p.open(&who(0), Signal::Human, "d", T0 + M); // then a person: a number
        assert_eq!(up.lease, LeaseKind::Exclusive);
        let (fb, _) = p.open(&who(1), Signal::Human, "d", T0 + 20 * M); // shown the fallback
        assert_eq!(fb.number, FALLBACK);
        let att = p.attribute(&call(FALLBACK, T0 + 25 * M, None));
        assert_eq!(att.candidates[0].recipient, "r1", "{att:?}");
    }

    #[test]
    fn a_fallback_call_weighs_everyone_it_was_shown_to() {
        // 2,000 people shown the fallback within a few minutes: one call is one of them, each
        // about as likely as the next (the old scan stopped at the 256 most recent).
        let mut p = pool(1, Exhaustion::Fallback);
        for i in 0..2_000 {
            p.open(&who(i), Signal::Human, "d", T0 + i as i64 / 10);
        }
        let att = p.attribute(&call(FALLBACK, T0 + 3 * H, None));
        assert_eq!(att.candidates.len(), 10);
        assert!(att.confidence < 1.0 / 1_000.0, "{}", att.confidence);
        assert!(att.ambiguous);
    }

    #[test]
    fn a_late_caller_keeps_their_share_when_the_number_has_a_new_holder() {
        let mut c = PoolConfig::new(nums(1), FALLBACK, H as u32);
        c.tail_seconds = 0;
        let mut p = Pool::new(c, T0).unwrap().0;
        let (a0, _) = p.open(&who(0), Signal::Human, "d", T0);
        let (a1, _) = p.open(&who(1), Signal::Human, "d", T0 + 2 * D);
        assert_eq!(a1.number, a0.number);
        // 30 hours after r1 saw the number, 78 hours after r0 did: r1 is likelier, not certain.
        let att = p.attribute(&call(&a0.number, T0 + 2 * D + 30 * H, None));
        assert_eq!(recipients(&att), ["r1", "r0"]);
        assert!(att.confidence < 0.8 && att.ambiguous, "{att:?}");
        assert_eq!(att.candidates[1].state, "late");
    }

    #[test]
    fn scores_are_probabilities_that_leave_room_for_an_outsider() {
        let mut p = pool(1, Exhaustion::SharedTail);
        let (a, _) = p.open(&who(0), Signal::Human, "d", T0);
        let fresh = p.attribute(&call(&a.number, T0 + 10 * M, None));
        let stale = p.attribute(&call(&a.number, T0 + 25 * D, None));
        assert_eq!(recipients(&stale), ["r0"]);
        assert!(fresh.confidence > 0.99, "{fresh:?}");
        assert!(stale.confidence < fresh.confidence, "{stale:?}");
        let sum: f64 = fresh.candidates.iter().map(|c| c.score).sum();
        assert!(sum <= 1.0);
    }
}

mod caller_id {
    use super::*;

    const PHONE: &str = "+12125550123";

    #[test]
    fn a_repeat_caller_is_found_on_a_number_shared_since() {
        let mut p = pool(1, Exhaustion::SharedTail);
        let (a, _) = p.open(&who(0), Signal::Human, "d", T0);
        let (first, _) = p.record_call(call(&a.number, T0 + 10 * M, Some(PHONE)), T0 + 10 * M);
        assert_eq!(first.candidates[0].recipient, "r0");
        p.open(&who(1), Signal::Human, "d", T0 + 3 * H); // r1 takes the tail number
        let again = p.attribute(&call(&a.number, T0 + 3 * H + 20 * M, Some(PHONE)));
        assert_eq!(again.candidates[0].recipient, "r0", "{again:?}");
        assert!(again.reason.starts_with("caller_id_link"));
        // Without the caller ID the fresh holder is the likelier caller.
        let anon = p.attribute(&call(&a.number, T0 + 3 * H + 20 * M, None));
        assert_eq!(anon.candidates[0].recipient, "r1");
    }

    /// A repeat call from a line is placed by one of the first call's candidates, as likely as
    /// that call said: its evidence keeps every candidate of the first call, not only the first
    /// few (kept to four, the others dropped out and the four took their share).
    #[test]
    fn a_repeat_call_keeps_every_candidate_of_the_first_at_their_odds() {
        // Six people shown one number a few minutes apart (shared), then a call from PHONE.
        let mut p = pool(1, Exhaustion::Share { max_holders: 6 });
        let mut number = String::new();
        for i in 0..6 {
            let (a, _) = p.open(&who(i), Signal::Human, "d", T0 + 5 * M * i as i64);
            number = a.number;
        }
        let at = T0 + 40 * M;
        let (first, _) = p.record_call(call(&number, at, Some(PHONE)), at);
        assert_eq!(first.candidates.len(), 6, "{first:?}");
        // The same line again a minute later: the same six, at about the same odds.
        let again = p.attribute(&call(&number, at + M, Some(PHONE)));
        assert_eq!(again.candidates.len(), 6, "{again:?}");
        for c in &first.candidates {
            let later = again
                .candidates
                .iter()
                .find(|x| x.recipient == c.recipient)
                .expect("every candidate of the first call is one of the repeat");
            assert!(
                (later.score - c.score).abs() < 0.02,
                "{}: {} then {}",
                c.recipient,
                c.score,
                later.score
            );
        }
    }

    #[test]
    fn is_strong_but_not_absolute() {
        // The phone is linked to r0 with certainty; later it calls a number r0 never held, a
        // minute after r2 was shown it: r2 (a household or office line, a forwarded email),
        // with r0 still a candidate.
        let mut p = pool(2, Exhaustion::SharedTail);
        let (a0, _) = p.open(&who(0), Signal::Human, "d", T0);
        let (first, _) = p.record_call(call(&a0.number, T0 + 10 * M, Some(PHONE)), T0 + 10 * M);
        assert!(first.confidence > 0.99, "{first:?}");
        let (a2, _) = p.open(&who(2), Signal::Human, "d", T0 + 4 * H);
        assert_ne!(a2.number, a0.number);
        let att = p.attribute(&call(&a2.number, T0 + 4 * H + M, Some(PHONE)));
        assert_eq!(recipients(&att), ["r2", "r0"], "{att:?}");
        assert_eq!(att.candidates[1].state, "caller_id");
    }
}

mod taps {
    use super::*;

    /// One number: r0's lease has ended and r1 leases it; r0 is shown it again a minute later
    /// (every number is leased, so they get it back beside r1) with `signal`, and a call comes
    /// 15 s after that. Returns the attribution at `after` seconds past r0's show.
    fn scene(signal: Signal, after: i64) -> ringmark_pool::Attribution {
        let mut p = pool(1, Exhaustion::SharedTail);
        let (a0, _) = p.open(&who(0), Signal::Human, "d", T0);
        let (a1, _) = p.open(&who(1), Signal::Human, "d", T0 + 61 * M);
        assert_eq!(a1.number, a0.number);
        let (again, _) = p.open(&who(0), signal, "d", T0 + 62 * M);
        assert_eq!(again.number, a0.number);
        p.attribute(&call(&a0.number, T0 + 62 * M + after, None))
    }

    #[test]
    fn a_tap_seconds_before_the_call_makes_the_tapper_the_confident_caller() {
        // Shown by an image 15 s before the call, against r1 shown 75 s before: a toss-up
        // leaning to r0.
        let opened = scene(Signal::Human, 15);
        assert_eq!(recipients(&opened), ["r0", "r1"], "{opened:?}");
        assert!(opened.ambiguous && opened.confidence < 0.8, "{opened:?}");
        // The same show as a tap on the call button: the dialler opened with the number.
        let tapped = scene(Signal::Click, 15);
        assert_eq!(recipients(&tapped), ["r0", "r1"], "{tapped:?}");
        assert!(!tapped.ambiguous && tapped.confidence > 0.95, "{tapped:?}");
        assert!(tapped.reason.starts_with("tap: "), "{}", tapped.reason);
        assert!(!opened.reason.starts_with("tap"), "{}", opened.reason);
    }

    /// The fallback is a line people also call from elsewhere: a tap on it seconds before a
    /// call to it weighs as the image would.
    #[test]
    fn a_tap_on_the_fallback_number_weighs_as_an_open() {
        let call_after = |signal: Signal| {
            let mut p = pool(1, Exhaustion::Fallback);
            p.open(&who(0), Signal::Human, "d", T0);
            let (a1, _) = p.open(&who(1), Signal::Human, "d", T0 + M);
            let (a2, _) = p.open(&who(2), signal, "d", T0 + 2 * M);
            assert_eq!(
                (a1.number.as_str(), a2.number.as_str()),
                (FALLBACK, FALLBACK)
            );
            p.attribute(&call(FALLBACK, T0 + 2 * M + 15, None))
        };
        let (opened, tapped) = (call_after(Signal::Human), call_after(Signal::Click));
        assert_eq!(opened.candidates, tapped.candidates);
        assert_eq!(opened.confidence, tapped.confidence);
        assert!(!tapped.reason.starts_with("tap"), "{}", tapped.reason);
    }

    #[test]
    fn past_its_hour_a_tap_weighs_as_an_open() {
        let (opened, tapped) = (scene(Signal::Human, 2 * H), scene(Signal::Click, 2 * H));
        assert_eq!(opened.candidates, tapped.candidates);
        assert_eq!(opened.confidence, tapped.confidence);
    }
}

mod stored_formats {
    use super::*;

    /// A pool as the previous release stored it (snapshot and event log; calls without candidate
    /// probabilities or scorer version), written by that release's code.
    const BEFORE_SCORER_2: &str = include_str!("fixtures/pool-before-scorer-2.json");

    #[test]
    fn a_snapshot_and_log_from_before_scorer_2_load_and_replay() {
        let v: serde_json::Value = serde_json::from_str(BEFORE_SCORER_2).unwrap();
        let loaded: Pool = serde_json::from_value(v["snapshot"].clone()).unwrap();
        let events: Vec<Event> = serde_json::from_value(v["events"].clone()).unwrap();
        let replayed = Pool::replay(&events).unwrap();
        let now = T0 + 3 * H + M;
        for i in 0..4 {
            assert_eq!(
                loaded.holding(&who(i), now),
                replayed.holding(&who(i), now),
                "r{i}"
            );
        }
        assert_eq!(
            loaded.config().exhaustion,
            Exhaustion::Fallback,
            "stored policy kept"
        );
        // The old call's link is still caller-ID evidence for a repeat call.
        let again = loaded.attribute(&call("+14155550101", now, Some(PHONE_IN_FIXTURE)));
        assert_eq!(again.candidates[0].recipient, "r0", "{again:?}");
        // And the pool round-trips in today's format.
        let json = serde_json::to_value(&loaded).unwrap();
        let back: Pool = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(serde_json::to_value(&back).unwrap(), json);
    }

    const PHONE_IN_FIXTURE: &str = "+12125550123";

    /// A pool stored in format 2 (before taps were told from opens), written by that release's
    /// code: r1 and r3 tapped the call button, r3 forty seconds before a call.
    const FORMAT_2: &str = include_str!("fixtures/pool-format-2.json");

    #[test]
    fn a_format_2_snapshot_loads_without_taps_and_its_log_replays_them() {
        let v: serde_json::Value = serde_json::from_str(FORMAT_2).unwrap();
        assert_eq!(v["snapshot"]["version"], 2);
        let loaded: Pool = serde_json::from_value(v["snapshot"].clone()).unwrap();
        let events: Vec<Event> = serde_json::from_value(v["events"].clone()).unwrap();
        let replayed = Pool::replay(&events).unwrap();
        let now = T0 + 3 * H;
        for i in 0..4 {
            assert_eq!(
                loaded.holding(&who(i), now),
                replayed.holding(&who(i), now),
                "r{i}"
            );
        }
        // The stored call went to r3's number 40 s after r3 tapped it (and an hour after r1
        // was shown it): the snapshot does not know of the tap, the log does.
        let Some(Event::CallRecorded { call, .. }) = events.last() else {
            panic!("the fixture ends with its call")
        };
        let from_snapshot = loaded.attribute(call);
        let from_log = replayed.attribute(call);
        assert_eq!(from_log.candidates[0].recipient, "r3", "{from_log:?}");
        assert!(
            from_log.confidence > from_snapshot.confidence,
            "{from_log:?} {from_snapshot:?}"
        );
        // Today's format keeps the tap.
        let json = serde_json::to_value(&replayed).unwrap();
        assert_eq!(json["version"], 3);
        let back: Pool = serde_json::from_value(json).unwrap();
        assert_eq!(back.attribute(call), from_log);
    }

    #[test]
    fn todays_snapshots_say_their_format_and_a_newer_one_is_refused() {
        let mut p = pool(1, Exhaustion::SharedTail);
        p.open(&who(0), Signal::Human, "d", T0);
        let mut json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["version"], 3);
        json["version"] = 99.into();
        let err = serde_json::from_value::<Pool>(json)
            .unwrap_err()
            .to_string();
        assert!(err.contains("newer"), "{err}");
    }
}

mod live_figures {
    use super::*;

    #[test]
    fn expected_accuracy_falls_as_holders_share_numbers() {
        let mut p = pool(1, Exhaustion::SharedTail);
        assert_eq!(p.stats(T0).expected_correct, None, "nobody could call yet");
        p.open(&who(0), Signal::Human, "d", T0);
        let alone = p.stats(T0 + 10 * M);
        assert!(alone.expected_correct.unwrap() > 0.99, "{alone:?}");
        p.open(&who(1), Signal::Human, "d", T0 + 3 * H); // shares r0's number from its tail
        let shared = p.stats(T0 + 4 * H);
        let (correct, confident) = (
            shared.expected_correct.unwrap(),
            shared.expected_confident.unwrap(),
        );
        assert!(
            correct < alone.expected_correct.unwrap() && correct > 0.5,
            "{shared:?}"
        );
        assert!(confident <= correct);
    }
}
