//! Twilio webhooks: signatures (Twilio's published vectors and the helper
//! library's port and duplicate-key behaviour), typed webhooks, and TwiML
//! escaping.
#![cfg(not(target_arch = "wasm32"))]

use ringmark::calls::CallStatus;
use ringmark::phone::E164;
use ringmark::telephony::twilio::{
    self, CallbackSource, DialPlan, StatusCallback, Transcription, TranscriptionStatus,
    VoiceWebhook, caller_number, dial_twiml, hangup_twiml, refuse_twiml, verify_signature,
    whisper_twiml,
};
use ringmark::telephony::{Form, TelephonyError};

const TOKEN: &str = "12345";
const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

/// The parameters of the example in Twilio's security documentation
/// (twilio.com/docs/usage/security, "Validating requests").
fn docs_params() -> Form {
    Form::from_pairs([
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+12349013030"),
        ("Digits", "1234"),
        ("From", "+12349013030"),
        ("To", "+18005551212"),
    ])
}

/// The same example as twilio-node's `spec/validation.spec.js` writes it.
fn helper_params() -> Form {
    Form::from_pairs([
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+14158675309"),
        ("Digits", "1234"),
        ("From", "+14158675309"),
        ("To", "+18005551212"),
    ])
}

fn verify(url: &str, form: &Form, header: &str) -> Result<(), TelephonyError> {
    verify_signature(TOKEN, url, form, Some(header))
}

mod signature {
    use super::*;

    #[test]
    fn twilio_documentation_example() {
        // Twilio's docs: auth token 12345 gives 0/KCTR6DLpKmkAf8muzZqo1nDgQ=.
        let form = docs_params();
        assert_eq!(
            twilio::signature(TOKEN, URL, form.pairs()),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        );
        assert_eq!(verify(URL, &form, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="), Ok(()));
    }

    #[test]
    fn helper_library_vectors() {
        // Each vector from twilio-node's spec/validation.spec.js.
        let form = helper_params();
        for (url, header) in [
            (URL, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
            // A port in the requested URL is stripped...
            (
                "https://mycompany.com:1234/myapp.php?foo=1&bar=2",
                "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
            ),
            // ...or kept, when Twilio signed it with the port.
            (
                "http://mycompany.com:1234/myapp.php?foo=1&bar=2",
                "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=",
            ),
            // Twilio signed with the default port the request URL lacks.
            (URL, "kvajT1Ptam85bY51eRf/AJRuM3w="),
            (
                "http://mycompany.com/myapp.php?foo=1&bar=2",
                "0ZXoZLH/DfblKGATFgpif+LLRf4=",
            ),
            // Credentials in the URL are part of what is signed.
            (
                "https://user:pass@mycompany.com/myapp.php?foo=1&bar=2",
                "CukzLTc1tT5dXEDIHm/tKBanW10=",
            ),
            (
                "https://user@mycompany.com/myapp.php?foo=1&bar=2",
                "2YRLlVAflCqxaNicjMpJcSTgzSs=",
            ),
            (
                "https://user:pass@mycompany.com/myapp.php?foo=1&bar=2",
                "ZQFR1PTIZXF2MXB8ZnKCvnnA+rI=",
            ),
            // The helper's `new URL()` writes `'` as %27: the URL as a Worker
            // (WHATWG) serialises it is what verifies.
            (
                "https://mycompany.com/myapp.php?foo=1&bar=2&Body=It%27s+amazing",
                "TfZzewPq8wqrGlMfyAud8+/IvJ0=",
            ),
        ] {
            assert_eq!(verify(url, &form, header), Ok(()), "{url} {header}");
        }
    }

    #[test]
    fn repeated_names_sort_by_value_and_count_once() {
        // twilio-node turns repeats into arrays, sorts them and drops repeats.
        for form in [
            Form::from_pairs([
                ("MessagingBinding.Address", "+1325xxxxxxx"),
                ("MessagingBinding.Address", "+1415xxxxxxx"),
            ]),
            Form::from_pairs([
                ("MessagingBinding.Address", "+1415xxxxxxx"),
                ("MessagingBinding.Address", "+1325xxxxxxx"),
            ]),
        ] {
            assert_eq!(verify(URL, &form, "83O6e2vORAoJHUNzJjDWN1jz+BA="), Ok(()));
        }
        let form = Form::from_pairs([
            ("Sid", "CA123"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Digits", "1234"),
            ("Digits", "1234"),
        ]);
        assert_eq!(verify(URL, &form, "IK+Dwps556ElfBT0I3Rgjkr1wJU="), Ok(()));
        // A repeat with a *different* value is a different request.
        let form = Form::from_pairs([
            ("Sid", "CA123"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Digits", "1234"),
            ("Digits", "9999"),
        ]);
        assert_eq!(
            verify(URL, &form, "IK+Dwps556ElfBT0I3Rgjkr1wJU="),
            Err(TelephonyError::BadSignature)
        );
    }

    #[test]
    fn a_decoded_body_verifies_like_the_pairs() {
        let body = b"To=%2B18005551212&From=%2B12349013030&Caller=%2B12349013030&Digits=1234&CallSid=CA1234567890ABCDE";
        let form = Form::parse(body).unwrap();
        assert_eq!(verify(URL, &form, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="), Ok(()));
    }

    #[test]
    fn legacy_query_string_encoding_is_accepted() {
        // Signed over Node's old querystring encoding (`%20`, `'` kept)
        // while the request URL says `%27` and `+`.
        let form = helper_params();
        let legacy = "https://a.example/v?q=It's%20ok&n=1";
        let header = twilio::signature(TOKEN, legacy, form.pairs());
        assert_eq!(
            verify("https://a.example/v?q=It%27s+ok&n=1", &form, &header),
            Ok(())
        );
        assert_eq!(
            verify("https://a.example/v?q=It%27s+no&n=1", &form, &header),
            Err(TelephonyError::BadSignature)
        );
    }

    #[test]
    fn tampering_is_refused() {
        let good = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";
        let form = docs_params();
        for url in [
            "https://mycompany.com/myapp.php?foo=1&bar=3",
            "https://mycompany.com/myapp.php?foo=1",
            "https://mycompany.com/myapp.php?foo=1&bar=2&x=1",
            "https://mycompany.com/other.php?foo=1&bar=2",
            "http://mycompany.com/myapp.php?foo=1&bar=2",
            "https://evil.example/myapp.php?foo=1&bar=2",
            "not a url",
            "",
        ] {
            assert_eq!(
                verify(url, &form, good),
                Err(TelephonyError::BadSignature),
                "{url}"
            );
        }
        let mut pairs = form.pairs().to_vec();
        pairs[2].1 = "1235".into();
        assert_eq!(
            verify(URL, &Form::from_pairs(pairs.clone()), good),
            Err(TelephonyError::BadSignature)
        );
        pairs.pop();
        assert_eq!(
            verify(URL, &Form::from_pairs(pairs), good),
            Err(TelephonyError::BadSignature)
        );
        let mut extra = form.pairs().to_vec();
        extra.push(("Extra".into(), String::new()));
        assert_eq!(
            verify(URL, &Form::from_pairs(extra), good),
            Err(TelephonyError::BadSignature)
        );
        // Another account's token.
        assert_eq!(
            verify_signature("54321", URL, &form, Some(good)),
            Err(TelephonyError::BadSignature)
        );
    }

    #[test]
    fn missing_or_malformed_headers_and_tokens_are_refused() {
        let form = docs_params();
        assert_eq!(
            verify_signature(TOKEN, URL, &form, None),
            Err(TelephonyError::BadSignature)
        );
        for header in [
            "",
            "WRONG_SIGNATURE",
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ",  // unpadded
            "0/KCTR6DLpKmkAf8muzZqo1nDg==", // 19 bytes
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ=0/KCTR6DLpKmkAf8muzZqo1nDgQ=",
            "1/KCTR6DLpKmkAf8muzZqo1nDgQ=",
        ] {
            assert_eq!(
                verify(URL, &form, header),
                Err(TelephonyError::BadSignature),
                "{header}"
            );
        }
        // Surrounding whitespace is not part of the signature.
        assert_eq!(verify(URL, &form, " 0/KCTR6DLpKmkAf8muzZqo1nDgQ= "), Ok(()));
        assert_eq!(
            verify_signature("", URL, &form, Some("0/KCTR6DLpKmkAf8muzZqo1nDgQ=")),
            Err(TelephonyError::MissingAuthToken)
        );
    }
}

mod webhooks {
    use super::*;

    const PARENT: &str = "CA0123456789abcdef0123456789abcdef";
    const CHILD: &str = "CAfedcba9876543210fedcba9876543210";

    fn form(pairs: &[(&str, &str)]) -> Form {
        Form::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn voice_webhook_reads_the_call() {
        let hook = VoiceWebhook::from_form(&form(&[
            ("AccountSid", "AC0123456789abcdef0123456789abcdef"),
            ("CallSid", PARENT),
            ("From", "+14155550100"),
            ("To", "+18005551212"),
            ("CallStatus", "ringing"),
            ("Direction", "inbound"),
        ]))
        .unwrap();
        assert_eq!(hook.call_sid.as_str(), PARENT);
        assert_eq!(hook.from, Some(E164::parse("+14155550100").unwrap()));
        assert_eq!(hook.to.as_str(), "+18005551212");
        assert_eq!(hook.status, Some(CallStatus::Ringing));
    }

    #[test]
    fn withheld_callers_have_no_number() {
        for from in [
            "",
            "Anonymous",
            "anonymous",
            "+266696687",
            "+7378742833",
            "+2562533",
            "+8656696",
            "+86282452253",
            "client:alice",
            "sip:alice@example.com",
            "0212 555 12 34",
        ] {
            assert_eq!(caller_number(from), None, "{from}");
            let hook = VoiceWebhook::from_form(&form(&[
                ("CallSid", PARENT),
                ("From", from),
                ("To", "+18005551212"),
            ]))
            .unwrap();
            assert_eq!(hook.from, None, "{from}");
        }
        let hook =
            VoiceWebhook::from_form(&form(&[("CallSid", PARENT), ("To", "+18005551212")])).unwrap();
        assert_eq!(hook.from, None);
    }

    #[test]
    fn voice_webhook_refusals_name_the_parameter() {
        for (pairs, expected) in [
            (
                vec![("To", "+18005551212")],
                TelephonyError::MissingParam("CallSid"),
            ),
            (
                vec![("CallSid", PARENT)],
                TelephonyError::MissingParam("To"),
            ),
            (
                vec![
                    ("CallSid", PARENT),
                    ("CallSid", CHILD),
                    ("To", "+18005551212"),
                ],
                TelephonyError::DuplicateParam("CallSid"),
            ),
        ] {
            assert_eq!(VoiceWebhook::from_form(&form(&pairs)), Err(expected));
        }
        for (pairs, name) in [
            (
                vec![("CallSid", "CA1234"), ("To", "+18005551212")],
                "CallSid",
            ),
            (
                vec![
                    ("CallSid", "CA0123456789abcdef0123456789abcdeg"),
                    ("To", "+18005551212"),
                ],
                "CallSid",
            ),
            (vec![("CallSid", PARENT), ("To", "Anonymous")], "To"),
            (
                vec![
                    ("CallSid", PARENT),
                    ("To", "+18005551212"),
                    ("CallStatus", "dialing"),
                ],
                "CallStatus",
            ),
        ] {
            match VoiceWebhook::from_form(&form(&pairs)) {
                Err(TelephonyError::InvalidParam { name: n, .. }) => assert_eq!(n, name),
                other => panic!("{pairs:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn every_status_shape_finds_the_parent_call() {
        // <Dial action>: the parent CallSid, DialCallStatus, DialCallDuration.
        let action = StatusCallback::from_form(&form(&[
            ("CallSid", PARENT),
            ("CallStatus", "in-progress"),
            ("DialCallSid", CHILD),
            ("DialCallStatus", "completed"),
            ("DialCallDuration", "95"),
        ]))
        .unwrap();
        assert_eq!(action.source, CallbackSource::DialAction);
        assert_eq!(action.status, CallStatus::Completed);
        assert_eq!(action.duration_seconds, Some(95));
        assert_eq!(
            action.dial_call_sid.as_ref().map(|s| s.as_str()),
            Some(CHILD)
        );
        assert_eq!(action.call_key().as_str(), PARENT);

        // <Number statusCallback>: the child's CallSid plus ParentCallSid.
        let child = StatusCallback::from_form(&form(&[
            ("CallSid", CHILD),
            ("ParentCallSid", PARENT),
            ("CallStatus", "completed"),
            ("CallDuration", "95"),
        ]))
        .unwrap();
        assert_eq!(child.source, CallbackSource::ChildLeg);
        assert_eq!(child.call_key().as_str(), PARENT);

        // The number's own status callback.
        let own =
            StatusCallback::from_form(&form(&[("CallSid", PARENT), ("CallStatus", "no-answer")]))
                .unwrap();
        assert_eq!(own.source, CallbackSource::Call);
        assert_eq!(own.status, CallStatus::NoAnswer);
        assert_eq!(own.duration_seconds, None);
        assert_eq!(own.call_key().as_str(), PARENT);

        // An unanswered dial has no DialCallSid and no duration.
        let busy =
            StatusCallback::from_form(&form(&[("CallSid", PARENT), ("DialCallStatus", "busy")]))
                .unwrap();
        assert_eq!(
            (busy.status, busy.duration_seconds),
            (CallStatus::Busy, None)
        );
    }

    #[test]
    fn status_refusals_name_the_parameter() {
        for (pairs, name) in [
            (
                vec![("CallSid", PARENT), ("CallStatus", "done")],
                "CallStatus",
            ),
            (
                vec![("CallSid", PARENT), ("DialCallStatus", "done")],
                "DialCallStatus",
            ),
            (
                vec![
                    ("CallSid", PARENT),
                    ("CallStatus", "completed"),
                    ("CallDuration", "9.5"),
                ],
                "CallDuration",
            ),
            (
                vec![
                    ("CallSid", PARENT),
                    ("DialCallStatus", "completed"),
                    ("DialCallDuration", "-1"),
                ],
                "DialCallDuration",
            ),
            (
                vec![
                    ("CallSid", CHILD),
                    ("ParentCallSid", "x"),
                    ("CallStatus", "completed"),
                ],
                "ParentCallSid",
            ),
        ] {
            match StatusCallback::from_form(&form(&pairs)) {
                Err(TelephonyError::InvalidParam { name: n, .. }) => assert_eq!(n, name),
                other => panic!("{pairs:?}: {other:?}"),
            }
        }
        assert_eq!(
            StatusCallback::from_form(&form(&[("CallSid", PARENT)])),
            Err(TelephonyError::MissingParam("CallStatus"))
        );
    }

    #[test]
    fn transcriptions_are_read_and_bounded() {
        let t = Transcription::from_form(&form(&[
            ("CallSid", PARENT),
            ("TranscriptionStatus", "completed"),
            (
                "TranscriptionText",
                "Hello, I'd like to pay by credit card.",
            ),
        ]))
        .unwrap();
        assert_eq!(t.status, TranscriptionStatus::Completed);
        assert_eq!(
            t.text.as_deref(),
            Some("Hello, I'd like to pay by credit card.")
        );
        assert!(!t.truncated);

        let failed = Transcription::from_form(&form(&[
            ("CallSid", PARENT),
            ("TranscriptionStatus", "failed"),
        ]))
        .unwrap();
        assert_eq!(
            (failed.status, failed.text),
            (TranscriptionStatus::Failed, None)
        );

        let long = "é".repeat(20_000); // 40,000 bytes
        let t = Transcription::from_form(&form(&[
            ("CallSid", PARENT),
            ("TranscriptionStatus", "completed"),
            ("TranscriptionText", &long),
        ]))
        .unwrap();
        let text = t.text.unwrap();
        assert!(t.truncated);
        assert_eq!(text.len(), 32 * 1024);
        assert!(text.chars().all(|c| c == 'é'));
    }
}

mod twiml {
    use super::*;

    const HEADER: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";

    fn plan() -> DialPlan {
        DialPlan {
            forward_to: E164::parse("+14155550199").unwrap(),
            caller_id_passthrough: Some(E164::parse("+14155550100").unwrap()),
            whisper_url: Some(
                "https://t.example.com/v1/twilio/whisper?pool=spring&c=launch".into(),
            ),
            record: true,
            status_callback: "https://t.example.com/v1/twilio/status".into(),
            timeout_seconds: 25,
        }
    }

    #[test]
    fn dial_names_every_attribute() {
        assert_eq!(
            dial_twiml(&plan()),
            format!(
                "{HEADER}<Response><Dial action=\"https://t.example.com/v1/twilio/status\" method=\"POST\" \
                 timeout=\"25\" callerId=\"+14155550100\" record=\"record-from-answer-dual\">\
                 <Number url=\"https://t.example.com/v1/twilio/whisper?pool=spring&amp;c=launch\" method=\"POST\">\
                 +14155550199</Number></Dial></Response>"
            )
        );
    }

    #[test]
    fn dial_omits_what_is_unset_and_clamps_the_timeout() {
        let mut p = plan();
        p.caller_id_passthrough = caller_number("+266696687");
        p.whisper_url = None;
        p.record = false;
        p.timeout_seconds = 0;
        assert_eq!(
            dial_twiml(&p),
            format!(
                "{HEADER}<Response><Dial action=\"https://t.example.com/v1/twilio/status\" method=\"POST\" \
                 timeout=\"5\"><Number>+14155550199</Number></Dial></Response>"
            )
        );
        p.timeout_seconds = 100_000;
        assert!(dial_twiml(&p).contains("timeout=\"600\""));
    }

    #[test]
    fn hostile_attribute_values_stay_inside_their_quotes() {
        let mut p = plan();
        p.status_callback = "https://x/\"><Hangup/><Dial>+19005550000</Dial><x a='".into();
        p.whisper_url = Some("https://x/?a=1&b=<2>\u{0}\u{1f}".into());
        let xml = dial_twiml(&p);
        assert!(xml.contains(
            "action=\"https://x/&quot;&gt;&lt;Hangup/&gt;&lt;Dial&gt;+19005550000&lt;/Dial&gt;&lt;x a=&apos;\""
        ));
        assert!(xml.contains("url=\"https://x/?a=1&amp;b=&lt;2&gt;\""));
        // Exactly the elements ringmark wrote.
        assert_eq!(xml.matches('<').count(), 6 + 1, "{xml}"); // 3 open, 3 close, <?xml
    }

    #[test]
    fn whisper_substitutes_the_campaign_then_escapes() {
        assert_eq!(
            whisper_twiml(
                "Call from the {campaign} campaign. {campaign}!",
                "Spring & Co"
            ),
            format!(
                "{HEADER}<Response><Say>Call from the Spring &amp; Co campaign. Spring &amp; Co!</Say></Response>"
            )
        );
        let xml = whisper_twiml("{campaign}", "</Say><Dial>+19005550000</Dial><Say>");
        assert_eq!(
            xml,
            format!(
                "{HEADER}<Response><Say>&lt;/Say&gt;&lt;Dial&gt;+19005550000&lt;/Dial&gt;&lt;Say&gt;</Say></Response>"
            )
        );
        // A campaign named like the placeholder is not substituted again.
        assert!(whisper_twiml("{campaign}", "{campaign}").contains("<Say>{campaign}</Say>"));
    }

    #[test]
    fn refuse_says_then_hangs_up() {
        assert_eq!(
            refuse_twiml("Sorry, this number is not in service."),
            format!(
                "{HEADER}<Response><Say>Sorry, this number is not in service.</Say><Hangup/></Response>"
            )
        );
        assert_eq!(
            refuse_twiml("a<b>&'\"\u{7}\u{FFFE}\r\n"),
            format!(
                "{HEADER}<Response><Say>a&lt;b&gt;&amp;&apos;&quot;&#13;&#10;</Say><Hangup/></Response>"
            )
        );
        assert_eq!(
            refuse_twiml("  "),
            format!("{HEADER}<Response><Hangup/></Response>")
        );
        assert_eq!(
            hangup_twiml(),
            format!("{HEADER}<Response><Hangup/></Response>")
        );
        // Long messages are cut to Twilio's <Say> limit, by characters.
        let xml = refuse_twiml(&"é".repeat(5000));
        assert_eq!(xml.matches('é').count(), 4096);
    }
}
