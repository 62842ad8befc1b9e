//! Call records and outcomes: rule precedence, manual outcomes beating rules,
//! idempotent transitions, bounds errors that name the field, and the stored
//! record format.
#![cfg(not(target_arch = "wasm32"))]

use ringmark::calls::rules::{MAX_PHRASES, MAX_RULES};
use ringmark::calls::{
    CallId, CallRecord, CallStatus, Change, Currency, Facts, ManualOutcome, OutcomeSource,
    RecordError, Rules, StatusUpdate,
};
use ringmark::error::ErrorCode;
use ringmark::phone::E164;
use ringmark::telephony::Form;
use ringmark::telephony::twilio::StatusCallback;
use serde_json::{Value, json};

const SID: &str = "CA0123456789abcdef0123456789abcdef";
const T0: i64 = 1_795_000_000;

fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

/// The example rules of issue 11.
fn example_rules() -> Rules {
    Rules::parse(
        br#"[{"when": {"min_duration": 60}, "then": {"converted": true, "value": 50}},
             {"when": {"transcript_contains": ["credit card"]}, "then": {"converted": true, "value": 100, "tag": "payment"}},
             {"when": {"transcript_contains": ["wrong number"]}, "then": {"discard": true}}]"#,
        usd(),
    )
    .unwrap()
}

fn facts(duration: Option<u32>, transcript: Option<&str>) -> Facts<'_> {
    Facts {
        duration_seconds: duration,
        transcript,
    }
}

fn call() -> CallRecord {
    CallRecord::ringing(
        CallId::parse(SID).unwrap(),
        "spring",
        Some(E164::parse("+14155550100").unwrap()),
        E164::parse("+18005551212").unwrap(),
        None,
        T0,
    )
}

fn completed(duration: u32) -> StatusUpdate {
    StatusUpdate {
        status: CallStatus::Completed,
        duration_seconds: Some(duration),
    }
}

mod rules {
    use super::*;

    #[test]
    fn example_rules_decide_as_documented() {
        let rules = example_rules();
        // A long call: rule 0.
        let o = rules.evaluate(&facts(Some(90), None), T0).unwrap();
        assert!(o.converted && !o.discarded);
        assert_eq!(o.value.unwrap().amount.to_string(), "50.00");
        assert_eq!(o.value.unwrap().currency, usd());
        assert_eq!(
            o.source,
            OutcomeSource::Rule {
                index: 0,
                matched: vec![0]
            }
        );
        // A short call mentioning a credit card: rule 1, tagged.
        let o = rules
            .evaluate(&facts(Some(30), Some("Can I pay by Credit-Card?")), T0)
            .unwrap();
        assert_eq!(o.value.unwrap().amount.to_string(), "100.00");
        assert_eq!(o.tags, ["payment"]);
        assert_eq!(
            o.source,
            OutcomeSource::Rule {
                index: 1,
                matched: vec![1]
            }
        );
        // Both: the first matching rule sets the value; tags still accumulate.
        let o = rules
            .evaluate(&facts(Some(90), Some("credit card please")), T0)
            .unwrap();
        assert_eq!(o.value.unwrap().amount.to_string(), "50.00");
        assert_eq!(o.tags, ["payment"]);
        assert_eq!(
            o.source,
            OutcomeSource::Rule {
                index: 0,
                matched: vec![0, 1]
            }
        );
        // A wrong number: discarded, nothing else set.
        let o = rules
            .evaluate(&facts(Some(10), Some("Sorry, WRONG\n  number.")), T0)
            .unwrap();
        assert!(o.discarded && !o.converted && o.value.is_none());
        // Nothing matches: no outcome. No duration or transcript matches nothing.
        assert_eq!(rules.evaluate(&facts(Some(59), Some("hello")), T0), None);
        assert_eq!(rules.evaluate(&facts(None, None), T0), None);
        assert_eq!(Rules::none().evaluate(&facts(Some(999), None), T0), None);
    }

    #[test]
    fn first_matching_rule_per_field() {
        let rules = Rules::parse(
            br#"[{"when": {}, "then": {"tag": "seen"}},
                 {"when": {"max_duration": 10}, "then": {"converted": false, "tags": ["short", "seen"]}},
                 {"when": {}, "then": {"converted": true, "value": "12.34", "currency": "EUR", "discard": false}},
                 {"when": {}, "then": {"value": 99, "discard": true, "tag": "last"}}]"#,
            usd(),
        )
        .unwrap();
        // Short call: converted from rule 1 (the first that sets it), value and
        // discard from rule 2, tags from all four in order, no repeats.
        let o = rules.evaluate(&facts(Some(5), None), T0).unwrap();
        assert!(!o.converted && !o.discarded);
        assert_eq!(o.value.unwrap().amount.to_string(), "12.34");
        assert_eq!(o.value.unwrap().currency.as_str(), "EUR");
        assert_eq!(o.tags, ["seen", "short", "last"]);
        assert_eq!(
            o.source,
            OutcomeSource::Rule {
                index: 0,
                matched: vec![0, 1, 2, 3]
            }
        );
        // Long call: rule 1 does not match, so converted comes from rule 2.
        let o = rules.evaluate(&facts(Some(50), None), T0).unwrap();
        assert!(o.converted);
        assert_eq!(o.tags, ["seen", "last"]);
    }

    #[test]
    fn phrases_match_whole_words_ignoring_case_punctuation_and_spacing() {
        let rules = Rules::parse(
            r#"[{"when": {"transcript_contains": ["  Credit   CARD ", "réservation"]}, "then": {"converted": true}}]"#
                .as_bytes(),
            usd(),
        )
        .unwrap();
        for (transcript, matches) in [
            ("credit card", true),
            ("My CREDIT\n\tcard, please", true),
            ("credit-card", true),
            ("(credit card)", true),
            ("une RÉSERVATION pour deux", true),
            ("credit cards", false),
            ("discredit card", false),
            ("credit", false),
            ("", false),
        ] {
            assert_eq!(
                rules.evaluate(&facts(None, Some(transcript)), T0).is_some(),
                matches,
                "{transcript}"
            );
        }
    }

    #[test]
    fn errors_name_the_field() {
        let long = "x".repeat(101);
        let too_many_phrases = (0..=MAX_PHRASES)
            .map(|i| format!("p{i}"))
            .collect::<Vec<_>>();
        let too_many_rules = vec![json!({"when": {}, "then": {"converted": true}}); MAX_RULES + 1];
        for (rules, field) in [
            (
                json!([{"when": {}, "then": {"converted": true}},
                       {"when": {"transcript_contains": ["ok", long]}, "then": {"converted": true}}]),
                "rules[1].when.transcript_contains[1]",
            ),
            (
                json!([{"when": {"transcript_contains": ["ok", 3]}, "then": {"converted": true}}]),
                "rules[0].when.transcript_contains[1]",
            ),
            (
                json!([{"when": {"transcript_contains": ["..."]}, "then": {"converted": true}}]),
                "rules[0].when.transcript_contains[0]",
            ),
            (
                json!([{"when": {"transcript_contains": too_many_phrases}, "then": {"converted": true}}]),
                "rules[0].when.transcript_contains",
            ),
            (
                json!([{"when": {"transcript_contains": []}, "then": {"converted": true}}]),
                "rules[0].when.transcript_contains",
            ),
            (json!(too_many_rules), "rules"),
            (json!({"when": {}}), "rules"),
            (
                json!([{"when": {"min_secs": 5}, "then": {"converted": true}}]),
                "rules[0].when.min_secs",
            ),
            (
                json!([{"when": {}, "then": {"converted": true}, "else": {}}]),
                "rules[0].else",
            ),
            (json!([{"then": {"converted": true}}]), "rules[0].when"),
            (json!([{"when": {}}]), "rules[0].then"),
            (json!([{"when": {}, "then": {}}]), "rules[0].then"),
            (
                json!([{"when": {"min_duration": -1}, "then": {"converted": true}}]),
                "rules[0].when.min_duration",
            ),
            (
                json!([{"when": {"min_duration": 1.5}, "then": {"converted": true}}]),
                "rules[0].when.min_duration",
            ),
            (
                json!([{"when": {"min_duration": 60, "max_duration": 30}, "then": {"converted": true}}]),
                "rules[0].when.max_duration",
            ),
            (
                json!([{"when": {}, "then": {"value": 1.005}}]),
                "rules[0].then.value",
            ),
            (
                json!([{"when": {}, "then": {"value": -5}}]),
                "rules[0].then.value",
            ),
            (
                json!([{"when": {}, "then": {"converted": 1}}]),
                "rules[0].then.converted",
            ),
            (
                json!([{"when": {}, "then": {"converted": true, "currency": "EUR"}}]),
                "rules[0].then.currency",
            ),
            (
                json!([{"when": {}, "then": {"value": 5, "currency": "eur"}}]),
                "rules[0].then.currency",
            ),
            (
                json!([{"when": {}, "then": {"tag": ""}}]),
                "rules[0].then.tag",
            ),
            (
                json!([{"when": {}, "then": {"tags": ["a", 1]}}]),
                "rules[0].then.tags[1]",
            ),
        ] {
            let e = Rules::parse(rules.to_string().as_bytes(), usd()).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidField, "{rules}");
            assert_eq!(e.field.as_deref(), Some(field), "{rules}: {e}");
            assert_eq!(e.status(), 422);
        }
        // Syntax and repeated keys are 400s.
        let e = Rules::parse(
            br#"[{"when": {}, "when": {}, "then": {"converted": true}}]"#,
            usd(),
        )
        .unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::BadJson, Some("[0].when"))
        );
        let e = Rules::parse(b"[", usd()).unwrap_err();
        assert_eq!(e.code, ErrorCode::BadJson);
    }

    #[test]
    fn the_limits_themselves_are_accepted() {
        let phrases: Vec<String> = (0..MAX_PHRASES)
            .map(|i| format!("{i}{}", "x".repeat(98)))
            .collect();
        let rule = json!({"when": {"transcript_contains": phrases}, "then": {"converted": true}});
        let rules =
            Rules::parse(json!(vec![rule; MAX_RULES]).to_string().as_bytes(), usd()).unwrap();
        assert_eq!(rules.rules().len(), MAX_RULES);
    }

    #[test]
    fn serialised_rules_parse_back_to_the_same_rules() {
        let rules = example_rules();
        let written = serde_json::to_value(&rules).unwrap();
        assert_eq!(
            written[1]["then"],
            json!({"converted": true, "value": "100.00", "currency": "USD", "tags": ["payment"]})
        );
        // The pool's currency was written out, so another default changes nothing.
        let again = Rules::from_value(&written, "rules", Currency::parse("EUR").unwrap()).unwrap();
        assert_eq!(again, rules);
    }
}

mod transitions {
    use super::*;

    #[test]
    fn completion_is_reported_once_however_often_twilio_retries() {
        let rules = example_rules();
        let mut c = call();
        let first = c.apply_status(completed(90), &rules, T0 + 100);
        assert_eq!(
            first,
            Change {
                changed: true,
                completed: true,
                outcome_changed: true
            }
        );
        assert_eq!(
            (c.status, c.duration_seconds, c.ended_at),
            (CallStatus::Completed, Some(90), Some(T0 + 100))
        );
        let snapshot = c.clone();
        // The same callback again, later: nothing changes, not even times.
        assert_eq!(
            c.apply_status(completed(90), &rules, T0 + 200),
            Change::default()
        );
        assert_eq!(c, snapshot);
        // A different final status after the first is ignored too.
        let failed = StatusUpdate {
            status: CallStatus::Failed,
            duration_seconds: None,
        };
        assert_eq!(c.apply_status(failed, &rules, T0 + 300), Change::default());
        assert_eq!(c, snapshot);
    }

    #[test]
    fn statuses_never_move_backwards() {
        let rules = Rules::none();
        let mut c = call();
        let progress = StatusUpdate {
            status: CallStatus::InProgress,
            duration_seconds: None,
        };
        let ringing = StatusUpdate {
            status: CallStatus::Ringing,
            duration_seconds: None,
        };
        assert_eq!(c.apply_status(ringing, &rules, T0), Change::default());
        assert_eq!(
            c.apply_status(progress, &rules, T0 + 5),
            Change {
                changed: true,
                completed: false,
                outcome_changed: false
            }
        );
        assert_eq!(c.apply_status(progress, &rules, T0 + 6), Change::default());
        assert_eq!(c.apply_status(ringing, &rules, T0 + 7), Change::default());
        assert_eq!(c.status, CallStatus::InProgress);
        // No rules: completion without an outcome.
        let change = c.apply_status(completed(3), &rules, T0 + 8);
        assert!(change.completed && !change.outcome_changed);
        assert_eq!(c.outcome, None);
    }

    #[test]
    fn a_transcript_after_completion_re_decides_once() {
        let rules = example_rules();
        let mut c = call();
        let _ = c.apply_status(completed(20), &rules, T0 + 30);
        assert_eq!(c.outcome, None);
        let text = "I'd like to pay with my credit card";
        assert_eq!(
            c.apply_transcript(text, &rules, T0 + 90),
            Change {
                changed: true,
                completed: false,
                outcome_changed: true
            }
        );
        let outcome = c.outcome.clone().unwrap();
        assert_eq!(outcome.tags, ["payment"]);
        assert_eq!(outcome.decided_at, T0 + 90);
        let snapshot = c.clone();
        assert_eq!(
            c.apply_transcript(text, &rules, T0 + 120),
            Change::default()
        );
        assert_eq!(c, snapshot);
        // A corrected transcript re-decides: now a wrong number.
        let change = c.apply_transcript("oh, wrong number, sorry", &rules, T0 + 150);
        assert!(change.changed && change.outcome_changed);
        assert!(c.outcome.as_ref().unwrap().discarded);
    }

    #[test]
    fn a_transcript_before_completion_waits_for_it() {
        let rules = example_rules();
        let mut c = call();
        let change = c.apply_transcript("credit card", &rules, T0 + 5);
        assert!(change.changed && !change.outcome_changed);
        assert_eq!(c.outcome, None);
        let change = c.apply_status(completed(20), &rules, T0 + 30);
        assert!(change.completed && change.outcome_changed);
        assert_eq!(c.outcome.unwrap().tags, ["payment"]);
    }

    #[test]
    fn a_re_decision_with_the_same_result_keeps_its_time() {
        let rules = example_rules();
        let mut c = call();
        let _ = c.apply_status(completed(90), &rules, T0 + 100);
        // A transcript no rule cares about: the outcome stays as decided.
        let change = c.apply_transcript("hello there", &rules, T0 + 200);
        assert!(change.changed && !change.outcome_changed);
        assert_eq!(c.outcome.unwrap().decided_at, T0 + 100);
    }

    #[test]
    fn transcripts_are_bounded() {
        let mut c = call();
        let change = c.apply_transcript(&"a".repeat(40_000), &Rules::none(), T0);
        assert!(change.changed);
        assert_eq!(c.transcript.as_ref().unwrap().len(), 32 * 1024);
        assert!(c.transcript_truncated);
        // The same over-long text again is the same record.
        assert_eq!(
            c.apply_transcript(&"a".repeat(40_000), &Rules::none(), T0 + 1),
            Change::default()
        );
    }

    #[test]
    fn status_callbacks_from_twilio_drive_the_record() {
        let form = Form::from_pairs([
            ("CallSid", SID),
            ("DialCallStatus", "completed"),
            ("DialCallDuration", "61"),
        ]);
        let cb = StatusCallback::from_form(&form).unwrap();
        let mut c = call();
        assert_eq!(c.call_id, cb.call_key().call_id());
        let change = c.apply_status(StatusUpdate::from(&cb), &example_rules(), T0 + 70);
        assert!(change.completed && change.outcome_changed);
        assert!(c.outcome.unwrap().converted);
    }
}

mod manual {
    use super::*;

    fn manual(body: Value) -> ManualOutcome {
        ManualOutcome::parse(body.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn a_manual_outcome_beats_rules_from_then_on() {
        let rules = example_rules();
        let mut c = call();
        let _ = c.apply_status(completed(90), &rules, T0 + 100);
        assert!(c.outcome.as_ref().unwrap().converted);
        let m = manual(json!({"converted": false, "tags": ["spam"]}));
        assert_eq!(
            c.set_manual_outcome(&m, T0 + 200),
            Change {
                changed: true,
                completed: false,
                outcome_changed: true
            }
        );
        // A transcript matching a rule no longer changes the outcome...
        let change = c.apply_transcript("credit card", &rules, T0 + 300);
        assert!(change.changed && !change.outcome_changed);
        // ...nor does re-running the rules.
        assert!(!c.evaluate_rules(&rules, T0 + 400));
        let o = c.outcome.as_ref().unwrap();
        assert_eq!(o.source, OutcomeSource::Manual);
        assert!(!o.converted);
        assert_eq!(o.tags, ["spam"]);
        assert_eq!(o.decided_at, T0 + 200);
    }

    #[test]
    fn setting_the_same_manual_outcome_twice_is_no_change() {
        let mut c = call();
        let m = manual(json!({"converted": true, "value": 49.99, "currency": "USD"}));
        assert!(c.set_manual_outcome(&m, T0 + 10).outcome_changed);
        let snapshot = c.clone();
        assert_eq!(c.set_manual_outcome(&m, T0 + 20), Change::default());
        assert_eq!(c, snapshot);
        // A different manual decision replaces it.
        let other = manual(json!({"converted": true, "value": "50", "currency": "USD"}));
        assert!(c.set_manual_outcome(&other, T0 + 30).outcome_changed);
        assert_eq!(
            c.outcome.unwrap().value.unwrap().amount.to_string(),
            "50.00"
        );
    }

    #[test]
    fn a_manual_outcome_equal_to_the_rules_still_takes_over() {
        // The person confirmed what the rules said: from now on it is theirs.
        let rules = Rules::parse(br#"[{"when": {}, "then": {"converted": true}}]"#, usd()).unwrap();
        let mut c = call();
        let _ = c.apply_status(completed(1), &rules, T0);
        let change = c.set_manual_outcome(&manual(json!({"converted": true})), T0 + 1);
        assert!(change.outcome_changed);
        assert!(c.outcome.unwrap().is_manual());
    }
}

mod record {
    use super::*;

    const FIXTURE: &str = include_str!("fixtures/call_record_v1.json");

    #[test]
    fn the_v1_fixture_loads_and_writes_back_identically() {
        let record = CallRecord::load(FIXTURE.as_bytes()).unwrap();
        assert_eq!(record.version, 1);
        assert_eq!(record.call_id.as_str(), SID);
        assert_eq!(record.status, CallStatus::Completed);
        assert_eq!(record.duration_seconds, Some(95));
        let attribution = record.attribution.as_ref().unwrap();
        assert_eq!(attribution.recipient.as_deref(), Some("r-42"));
        let outcome = record.outcome.as_ref().unwrap();
        assert_eq!(outcome.value.unwrap().amount.hundredths(), 5000);
        assert_eq!(
            outcome.source,
            OutcomeSource::Rule {
                index: 0,
                matched: vec![0, 1]
            }
        );
        let written: Value = serde_json::from_str(&record.to_json()).unwrap();
        let fixture: Value = serde_json::from_str(FIXTURE).unwrap();
        assert_eq!(written, fixture);
    }

    #[test]
    fn the_fixture_is_what_the_transitions_produce() {
        let rules = Rules::parse(
            br#"[{"when": {"min_duration": 60}, "then": {"converted": true, "value": 50}},
                 {"when": {"transcript_contains": ["credit card"]}, "then": {"tag": "payment"}}]"#,
            usd(),
        )
        .unwrap();
        let mut c = call();
        c.attribution = CallRecord::load(FIXTURE.as_bytes()).unwrap().attribution;
        let _ = c.apply_status(completed(95), &rules, T0 + 120);
        let _ = c.apply_transcript("Hi, can I pay by credit card?", &rules, T0 + 180);
        assert_eq!(c, CallRecord::load(FIXTURE.as_bytes()).unwrap());
    }

    #[test]
    fn other_versions_and_shapes_are_refused() {
        let mut v: Value = serde_json::from_str(FIXTURE).unwrap();
        v["version"] = json!(2);
        assert_eq!(
            CallRecord::load(v.to_string().as_bytes()),
            Err(RecordError::TooNew {
                found: 2,
                supported: 1
            })
        );
        v["version"] = json!(0);
        assert_eq!(
            CallRecord::load(v.to_string().as_bytes()),
            Err(RecordError::Unsupported { found: 0 })
        );
        v["version"] = json!("1");
        assert!(matches!(
            CallRecord::load(v.to_string().as_bytes()),
            Err(RecordError::Malformed(_))
        ));
        v.as_object_mut().unwrap().remove("version");
        assert_eq!(
            CallRecord::load(v.to_string().as_bytes()),
            Err(RecordError::MissingVersion)
        );
        let mut v: Value = serde_json::from_str(FIXTURE).unwrap();
        v["surprise"] = json!(true);
        assert!(matches!(
            CallRecord::load(v.to_string().as_bytes()),
            Err(RecordError::Malformed(_))
        ));
        let mut v: Value = serde_json::from_str(FIXTURE).unwrap();
        v["to"] = json!("not a number");
        assert!(matches!(
            CallRecord::load(v.to_string().as_bytes()),
            Err(RecordError::Malformed(_))
        ));
        assert!(matches!(
            CallRecord::load(b"{"),
            Err(RecordError::Malformed(_))
        ));
    }
}
