//! Twilio Programmable Voice: request signatures, the three webhooks ringmark
//! receives, and the TwiML it answers with.
//!
//! ## Signatures
//!
//! Twilio signs every webhook with `X-Twilio-Signature`:
//!
//! ```text
//! base64( HMAC-SHA1( auth token, url ‖ name₁ ‖ value₁ ‖ name₂ ‖ value₂ ‖ … ) )
//! ```
//!
//! where `url` is the full URL Twilio requested (scheme, host, path *and*
//! query string) and the POST parameters are sorted by name. SHA-1 is
//! Twilio's choice, not ours; as an HMAC it is still sound.
//!
//! [`verify_signature`] matches Twilio's own helper library (twilio-node's
//! `validateRequest`, `src/webhooks/webhooks.ts`) rather than the prose
//! alone, because Twilio's back end is known to sign inconsistently:
//!
//! - **Duplicate names**: the helper turns a repeated name into an array, then
//!   concatenates `name ‖ value` for each *distinct* value in sorted order. So
//!   pairs are sorted by name then value, and identical pairs count once
//!   (twilio-python does the same with `sorted(set(values))`). Sorting compares
//!   UTF-16 code units, as JavaScript's `Array.prototype.sort` does.
//! - **Ports**: the URL is tried without its port (any port, as the helper's
//!   `removePort` does) and with one (the scheme's default `:443`/`:80` added
//!   when none is written, else as written).
//! - **Legacy query string**: each of those is also tried with its query
//!   string re-encoded the way Node's old `querystring` module did
//!   (`+` → `%20`, `encodeURIComponent`'s safe set, repeated names grouped).
//!
//! `url` must be the URL as a WHATWG URL parser serialises it — which is what
//! a Worker's `request.url` already is, and what the helper builds with
//! `new URL(url)`. Every candidate is compared with `Mac::verify_slice`
//! (constant time); which candidate matched is public (it depends on the URL
//! only), so trying them in turn leaks nothing.
//!
//! Not handled: `bodySHA256` (JSON-bodied webhooks; voice webhooks are forms)
//! and the SHA-256 "Webhooks Rules" signing, which Twilio only uses when an
//! account opts in.
//!
//! ## Which webhooks, keyed how
//!
//! - [`VoiceWebhook`]: the number's *A call comes in* URL. Its `CallSid` is the
//!   inbound (parent) call and **is the key of the stored call**.
//! - [`StatusCallback`]: how the call ended. ringmark's TwiML asks for it as
//!   the `<Dial action=…>` request (see [`dial_twiml`] for why), which carries
//!   the *parent* `CallSid` plus `DialCallStatus`/`DialCallDuration`. The other
//!   two shapes are read too — a `<Number statusCallback>` child-leg callback
//!   (child `CallSid` + `ParentCallSid`) and the number's own status callback
//!   (parent `CallSid`, `CallStatus`) — and [`StatusCallback::call_key`] finds
//!   the stored call in all three.
//! - [`Transcription`]: `TranscriptionText` for the call, keyed by `CallSid`.
#![deny(clippy::indexing_slicing, clippy::string_slice)]

use super::{Form, TelephonyError};
use crate::calls::{CallStatus, MAX_TRANSCRIPT_BYTES, bound_text};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use ringmark_phone::E164;
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use std::cmp::Ordering;
use std::fmt;

type HmacSha1 = Hmac<Sha1>;

/// The request header carrying Twilio's signature (compare case-insensitively).
pub const SIGNATURE_HEADER: &str = "X-Twilio-Signature";
/// The `Content-Type` of every TwiML answer.
pub const TWIML_CONTENT_TYPE: &str = "text/xml; charset=utf-8";
/// Longest text put in one `<Say>`, in characters (Twilio's limit is 4,096;
/// longer text is cut, not refused, so the caller still hears something).
pub const MAX_SAY_CHARS: usize = 4096;
/// `<Dial timeout>` bounds in seconds, as Twilio documents them (default 30).
pub const DIAL_TIMEOUT_RANGE: (u32, u32) = (5, 600);
const SHA1_LEN: usize = 20;

// ---------------------------------------------------------------------------
// Signatures
// ---------------------------------------------------------------------------

/// The `X-Twilio-Signature` Twilio would send for `url` and `params` (base64).
///
/// For simulators, the CLI and tests; the request path uses
/// [`verify_signature`]. `url` is used exactly as given (no port variants).
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    STANDARD.encode(mac(auth_token, url, params).finalize().into_bytes())
}

/// Checks a request's `X-Twilio-Signature` against the auth token, the URL
/// Twilio requested and the decoded POST parameters (empty for a GET).
///
/// # Errors
/// [`TelephonyError::MissingAuthToken`] when `auth_token` is empty;
/// [`TelephonyError::BadSignature`] when `header` is `None`, is not base64 of
/// 20 bytes, or matches none of the URL variants (see the module docs).
pub fn verify_signature(
    auth_token: &str,
    url: &str,
    form: &Form,
    header: Option<&str>,
) -> Result<(), TelephonyError> {
    if auth_token.is_empty() {
        return Err(TelephonyError::MissingAuthToken);
    }
    let header = header.ok_or(TelephonyError::BadSignature)?.trim();
    let claimed = STANDARD
        .decode(header)
        .map_err(|_| TelephonyError::BadSignature)?;
    if claimed.len() != SHA1_LEN {
        return Err(TelephonyError::BadSignature);
    }
    let matched = url_candidates(url).iter().any(|candidate| {
        mac(auth_token, candidate, form.pairs())
            .verify_slice(&claimed)
            .is_ok()
    });
    if matched {
        Ok(())
    } else {
        Err(TelephonyError::BadSignature)
    }
}

/// HMAC-SHA1 over `url` and the pairs sorted by (name, value), identical
/// pairs once (twilio-node's `toFormUrlEncodedParam` on arrays).
fn mac(auth_token: &str, url: &str, params: &[(String, String)]) -> HmacSha1 {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort_by(|a, b| utf16_cmp(&a.0, &b.0).then_with(|| utf16_cmp(&a.1, &b.1)));
    sorted.dedup();
    // HMAC accepts keys of any length, so this cannot fail; the fallback
    // (an all-zero key) is unreachable and would only fail verification.
    let mut mac = <HmacSha1 as KeyInit>::new_from_slice(auth_token.as_bytes())
        .unwrap_or_else(|_| <HmacSha1 as KeyInit>::new(&Default::default()));
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    mac
}

/// JavaScript's default string order: by UTF-16 code unit.
fn utf16_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// The URLs twilio-node's `validateRequest` tries, in its order, duplicates
/// removed: without port, with port, and both with the legacy query string.
fn url_candidates(url: &str) -> Vec<String> {
    let (without, with) = match split_url(url) {
        Some(p) => (p.without_port(), p.with_port(url)),
        // Not `scheme://…`: Twilio never requests such a URL; try it as is.
        None => (url.to_owned(), url.to_owned()),
    };
    let legacy_without = legacy_query(&without);
    let legacy_with = legacy_query(&with);
    let mut out: Vec<String> = Vec::with_capacity(4);
    for candidate in [Some(without), Some(with), legacy_without, legacy_with]
        .into_iter()
        .flatten()
    {
        if !out.contains(&candidate) {
            out.push(candidate);
        }
    }
    out
}

/// A URL split around its port.
struct UrlParts<'a> {
    scheme: &'a str,
    userinfo: &'a str,
    host: &'a str,
    port: Option<&'a str>,
    tail: &'a str,
}

fn split_url(url: &str) -> Option<UrlParts<'_>> {
    let (scheme, rest) = url.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at_checked(end)?;
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(at) => authority.split_at_checked(at + 1)?,
        None => ("", authority),
    };
    // The port follows the last ':' unless that ':' is inside an IPv6 literal.
    let (host, port) = match hostport.rfind(':') {
        Some(colon) if !hostport.get(colon..)?.contains(']') => {
            let (host, port) = hostport.split_at_checked(colon)?;
            (host, port.get(1..).filter(|p| !p.is_empty()))
        }
        _ => (hostport, None),
    };
    Some(UrlParts {
        scheme,
        userinfo,
        host,
        port,
        tail,
    })
}

impl UrlParts<'_> {
    /// The helper's `removePort`: any port goes.
    fn without_port(&self) -> String {
        format!(
            "{}://{}{}{}",
            self.scheme, self.userinfo, self.host, self.tail
        )
    }

    /// The helper's `addPort`: the scheme's default port when none is
    /// written (`:443` for https, `:80` for anything else), else unchanged.
    fn with_port(&self, url: &str) -> String {
        if self.port.is_some() {
            return url.to_owned();
        }
        let port = if self.scheme.eq_ignore_ascii_case("https") {
            "443"
        } else {
            "80"
        };
        format!(
            "{}://{}{}:{port}{}",
            self.scheme, self.userinfo, self.host, self.tail
        )
    }
}

/// The helper's `withLegacyQuerystring`: the query decoded by Node's
/// `querystring.parse` and re-encoded by `querystring.stringify` (names in
/// first-seen order, repeated names grouped), appended after the rest of the
/// URL. `None` when there is no query (the helper returns the URL unchanged,
/// already a candidate).
fn legacy_query(url: &str) -> Option<String> {
    let (before, after) = url.split_once('?')?;
    let (query, fragment) = match after.split_once('#') {
        Some((q, f)) => (q, Some(f)),
        None => (after, None),
    };
    if query.is_empty() {
        return None;
    }
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        match groups.iter_mut().find(|(n, _)| *n == name) {
            Some((_, values)) => values.push(value.into_owned()),
            None => groups.push((name.into_owned(), vec![value.into_owned()])),
        }
    }
    let mut out = String::from(before);
    if let Some(fragment) = fragment {
        // `parsedUrl.toString()` keeps the fragment before the appended query.
        out.push('#');
        out.push_str(fragment);
    }
    out.push('?');
    let mut first = true;
    for (name, values) in &groups {
        for value in values {
            if !first {
                out.push('&');
            }
            first = false;
            node_escape(name, &mut out);
            out.push('=');
            node_escape(value, &mut out);
        }
    }
    Some(out)
}

/// Node's `querystring.escape`: `encodeURIComponent`'s unreserved set kept,
/// every other UTF-8 byte as `%XX` (upper-case hex).
fn node_escape(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            for nibble in [b >> 4, b & 0x0f] {
                out.push(char::from(
                    HEX.get(usize::from(nibble)).copied().unwrap_or(b'0'),
                ));
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Typed webhooks
// ---------------------------------------------------------------------------

/// A Twilio call identifier: `CA` and 32 hex digits.
///
/// Checked because it becomes a storage key and a URL path segment
/// (`/v1/calls/{call_id}`): nothing else may get in.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CallSid(String, crate::calls::CallId);

impl CallSid {
    /// Checks the shape: `CA` followed by exactly 32 hex digits (either case,
    /// kept as written; Twilio writes lower case). The check is the call
    /// model's ([`crate::calls::CallId::from_sid`]): a SID is a call id.
    ///
    /// # Errors
    /// A message naming what is wrong.
    pub fn parse(s: &str) -> Result<CallSid, String> {
        crate::calls::CallId::from_sid(s).map(|id| CallSid(s.to_owned(), id))
    }

    /// The SID as Twilio wrote it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The stored call's id: the SID itself.
    pub fn call_id(&self) -> crate::calls::CallId {
        self.1.clone()
    }
}

impl From<&StatusCallback> for crate::calls::StatusUpdate {
    fn from(cb: &StatusCallback) -> crate::calls::StatusUpdate {
        crate::calls::StatusUpdate {
            status: cb.status,
            duration_seconds: cb.duration_seconds,
        }
    }
}

impl fmt::Display for CallSid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for CallSid {
    type Error = String;
    fn try_from(s: String) -> Result<CallSid, String> {
        CallSid::parse(&s)
    }
}

impl From<CallSid> for String {
    fn from(sid: CallSid) -> String {
        sid.0
    }
}

/// Caller IDs Twilio puts in `From` when the caller withheld their number:
/// the keypad spellings of ANONYMOUS, RESTRICTED, BLOCKED, UNKNOWN and
/// UNAVAILABLE. Some parse as E.164 (`+266 696687` looks like Lesotho), so
/// they are named here and never treated as a caller's line.
pub const WITHHELD_CALLER_IDS: [&str; 5] = [
    "+266696687",
    "+7378742833",
    "+2562533",
    "+8656696",
    "+86282452253",
];

/// The caller's number when it is a real E.164 line; `None` when withheld
/// (empty, `Anonymous`, a [`WITHHELD_CALLER_IDS`] sentinel, a SIP or client
/// identity, or anything else that is not E.164).
///
/// Used both for `From` and to decide the `callerId` passthrough, so a
/// withheld caller is never presented to the callee as a number.
pub fn caller_number(from: &str) -> Option<E164> {
    let n = E164::parse(from).ok()?;
    (!WITHHELD_CALLER_IDS.contains(&n.as_str())).then_some(n)
}

/// The *A call comes in* webhook: someone dialled one of the pool's numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoiceWebhook {
    /// The inbound call: the stored call's key.
    pub call_sid: CallSid,
    /// The caller, when their number is known ([`caller_number`]).
    pub from: Option<E164>,
    /// The dialled number: which pool number was called.
    pub to: E164,
    /// `CallStatus` when sent (normally `ringing`).
    pub status: Option<CallStatus>,
}

impl VoiceWebhook {
    /// Reads the webhook from a form whose signature has been verified.
    ///
    /// # Errors
    /// [`TelephonyError::MissingParam`] (`CallSid`, `To`),
    /// [`TelephonyError::DuplicateParam`], or
    /// [`TelephonyError::InvalidParam`] for a malformed `CallSid`, a `To`
    /// that is not E.164, or an unknown `CallStatus`. A withheld `From` is
    /// not an error.
    pub fn from_form(form: &Form) -> Result<VoiceWebhook, TelephonyError> {
        let to = form.require("To")?;
        Ok(VoiceWebhook {
            call_sid: call_sid(form, "CallSid")?,
            from: form.get("From")?.and_then(caller_number),
            to: E164::parse(to).map_err(|e| TelephonyError::InvalidParam {
                name: "To",
                why: e.to_string(),
            })?,
            status: form
                .get("CallStatus")?
                .map(|s| status(s, "CallStatus"))
                .transpose()?,
        })
    }
}

/// Which request a [`StatusCallback`] came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackSource {
    /// The `<Dial action>` request (`DialCallStatus`): what ringmark asks for.
    DialAction,
    /// A `<Number statusCallback>` report about the forwarded (child) leg.
    ChildLeg,
    /// The number's own status callback about the inbound call.
    Call,
}

/// How a call (or its forwarded leg) ended, or progressed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusCallback {
    /// The request's `CallSid`: the inbound call for [`CallbackSource::DialAction`]
    /// and [`CallbackSource::Call`], the child leg for [`CallbackSource::ChildLeg`].
    pub call_sid: CallSid,
    /// `ParentCallSid`: the inbound call, on a child-leg report.
    pub parent_call_sid: Option<CallSid>,
    /// `DialCallSid`: the forwarded leg, on a `<Dial action>` request (absent
    /// when no leg was created).
    pub dial_call_sid: Option<CallSid>,
    /// `DialCallStatus` or `CallStatus`.
    pub status: CallStatus,
    /// `DialCallDuration` or `CallDuration`, in seconds: the talk time of the
    /// forwarded leg for the first two sources, the whole call for the third.
    pub duration_seconds: Option<u32>,
    /// Which shape this was.
    pub source: CallbackSource,
}

impl StatusCallback {
    /// Reads any of the three shapes from a verified form: `DialCallStatus`
    /// makes it a Dial action, `ParentCallSid` a child-leg report, otherwise a
    /// report about the call itself.
    ///
    /// # Errors
    /// [`TelephonyError::MissingParam`] (`CallSid`, `CallStatus`),
    /// [`TelephonyError::DuplicateParam`], or
    /// [`TelephonyError::InvalidParam`] for a malformed SID, an unknown
    /// status or a duration that is not a whole number of seconds.
    pub fn from_form(form: &Form) -> Result<StatusCallback, TelephonyError> {
        let call_sid = call_sid(form, "CallSid")?;
        let parent_call_sid = optional_sid(form, "ParentCallSid")?;
        if let Some(dial_status) = form.get("DialCallStatus")? {
            return Ok(StatusCallback {
                call_sid,
                parent_call_sid,
                dial_call_sid: optional_sid(form, "DialCallSid")?,
                // `answered` is what a <Dial><Conference> reports for a connected call.
                status: if dial_status == "answered" {
                    CallStatus::Completed
                } else {
                    status(dial_status, "DialCallStatus")?
                },
                duration_seconds: seconds(form, "DialCallDuration")?,
                source: CallbackSource::DialAction,
            });
        }
        let source = if parent_call_sid.is_some() {
            CallbackSource::ChildLeg
        } else {
            CallbackSource::Call
        };
        Ok(StatusCallback {
            call_sid,
            parent_call_sid,
            dial_call_sid: None,
            status: status(form.require("CallStatus")?, "CallStatus")?,
            duration_seconds: seconds(form, "CallDuration")?,
            source,
        })
    }

    /// The SID the stored call is keyed by: the inbound call's, which is
    /// `ParentCallSid` on a child-leg report and `CallSid` otherwise.
    pub fn call_key(&self) -> &CallSid {
        self.parent_call_sid.as_ref().unwrap_or(&self.call_sid)
    }
}

/// `TranscriptionStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TranscriptionStatus {
    /// The text is there.
    Completed,
    /// Twilio could not transcribe; there is no text.
    Failed,
}

/// A transcription callback (`transcribeCallback`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transcription {
    /// The call the recording belongs to (the stored call's key).
    pub call_sid: CallSid,
    /// Whether Twilio managed to transcribe.
    pub status: TranscriptionStatus,
    /// `TranscriptionText`, cut to [`MAX_TRANSCRIPT_BYTES`] at a character
    /// boundary; `None` when it failed or was absent.
    pub text: Option<String>,
    /// The text was longer than [`MAX_TRANSCRIPT_BYTES`] and was cut. Cut, not
    /// refused: a long call is genuine, and a refusal would only make Twilio
    /// retry the same body.
    pub truncated: bool,
}

impl Transcription {
    /// Reads the callback from a verified form.
    ///
    /// # Errors
    /// [`TelephonyError::MissingParam`] (`CallSid`, `TranscriptionStatus`),
    /// [`TelephonyError::DuplicateParam`], or
    /// [`TelephonyError::InvalidParam`] for a malformed SID or status.
    pub fn from_form(form: &Form) -> Result<Transcription, TelephonyError> {
        let call_sid = call_sid(form, "CallSid")?;
        let status = match form.require("TranscriptionStatus")? {
            "completed" => TranscriptionStatus::Completed,
            "failed" => TranscriptionStatus::Failed,
            other => {
                return Err(TelephonyError::InvalidParam {
                    name: "TranscriptionStatus",
                    why: format!("unknown status {other:?}"),
                });
            }
        };
        let (text, truncated) = match (status, form.get("TranscriptionText")?) {
            (TranscriptionStatus::Completed, Some(text)) => {
                let (text, cut) = bound_text(text, MAX_TRANSCRIPT_BYTES);
                (Some(text.to_owned()), cut)
            }
            _ => (None, false),
        };
        Ok(Transcription {
            call_sid,
            status,
            text,
            truncated,
        })
    }
}

fn call_sid(form: &Form, name: &'static str) -> Result<CallSid, TelephonyError> {
    CallSid::parse(form.require(name)?).map_err(|why| TelephonyError::InvalidParam { name, why })
}

fn optional_sid(form: &Form, name: &'static str) -> Result<Option<CallSid>, TelephonyError> {
    match form.get(name)? {
        None | Some("") => Ok(None),
        Some(s) => CallSid::parse(s)
            .map(Some)
            .map_err(|why| TelephonyError::InvalidParam { name, why }),
    }
}

fn status(s: &str, name: &'static str) -> Result<CallStatus, TelephonyError> {
    CallStatus::parse(s).ok_or_else(|| TelephonyError::InvalidParam {
        name,
        why: format!("unknown call status {s:?}"),
    })
}

fn seconds(form: &Form, name: &'static str) -> Result<Option<u32>, TelephonyError> {
    match form.get(name)? {
        None | Some("") => Ok(None),
        Some(s) => s
            .parse::<u32>()
            .map(Some)
            .map_err(|_| TelephonyError::InvalidParam {
                name,
                why: format!("{s:?} is not a whole number of seconds"),
            }),
    }
}

// ---------------------------------------------------------------------------
// TwiML
// ---------------------------------------------------------------------------

/// How to forward one inbound call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DialPlan {
    /// Where the pool forwards calls (`forward_to` in its config).
    pub forward_to: E164,
    /// The caller's number, shown to the callee as `callerId` so the business
    /// sees who is calling. Pass [`VoiceWebhook::from`]: `None` (withheld)
    /// omits the attribute and Twilio shows the tracking number instead.
    pub caller_id_passthrough: Option<E164>,
    /// A URL answering [`whisper_twiml`], played to the callee on answer
    /// (before the caller is connected) via `<Number url>`: "call from the
    /// spring campaign".
    pub whisper_url: Option<String>,
    /// Record both parties on separate channels from answer
    /// (`record="record-from-answer-dual"`).
    pub record: bool,
    /// The `<Dial action>` URL: Twilio posts `DialCallStatus` and
    /// `DialCallDuration` there when the forwarded leg ends ([`StatusCallback`]).
    pub status_callback: String,
    /// Seconds to let the forwarded number ring, clamped to
    /// [`DIAL_TIMEOUT_RANGE`].
    pub timeout_seconds: u32,
}

/// The TwiML forwarding a call:
///
/// ```xml
/// <?xml version="1.0" encoding="UTF-8"?>
/// <Response><Dial action="{status_callback}" method="POST" timeout="30"
///   callerId="+14155550100" record="record-from-answer-dual"><Number
///   url="{whisper_url}" method="POST">+14155550199</Number></Dial></Response>
/// ```
/// (one line in reality; optional attributes omitted when unset).
///
/// **Why `<Dial action>` and not `<Number statusCallback>`:** the action
/// request is made exactly once per dial whatever the outcome (answered,
/// busy, no-answer, failed, canceled, caller hung up), carries the *parent*
/// `CallSid` (the stored call's key, no lookup by child SID), and its
/// `DialCallDuration` is the talk time of the forwarded leg — what a
/// `min_duration` rule means. A `<Number statusCallback>` fires per leg, only
/// for events asked for, and carries the child's SID. The action's answer
/// controls the rest of the call: reply [`hangup_twiml`].
pub fn dial_twiml(plan: &DialPlan) -> String {
    let (min, max) = DIAL_TIMEOUT_RANGE;
    let mut out = String::from(XML_HEADER);
    out.push_str("<Response><Dial action=\"");
    escape(&plan.status_callback, &mut out);
    out.push_str("\" method=\"POST\" timeout=\"");
    out.push_str(&plan.timeout_seconds.clamp(min, max).to_string());
    out.push('"');
    if let Some(caller) = &plan.caller_id_passthrough {
        out.push_str(" callerId=\"");
        escape(caller.as_str(), &mut out);
        out.push('"');
    }
    if plan.record {
        out.push_str(" record=\"record-from-answer-dual\"");
    }
    out.push_str("><Number");
    if let Some(url) = &plan.whisper_url {
        out.push_str(" url=\"");
        escape(url, &mut out);
        out.push_str("\" method=\"POST\"");
    }
    out.push('>');
    escape(plan.forward_to.as_str(), &mut out);
    out.push_str("</Number></Dial></Response>");
    out
}

/// The whisper played to the callee: `template` with every `{campaign}`
/// replaced by the campaign's name, in one `<Say>`.
pub fn whisper_twiml(template: &str, campaign: &str) -> String {
    let text = template.replace("{campaign}", campaign);
    let mut out = String::from(XML_HEADER);
    out.push_str("<Response>");
    say(&text, &mut out);
    out.push_str("</Response>");
    out
}

/// The answer for a call ringmark will not forward (a number in no pool, a
/// pool without `forward_to`, a body it cannot read): a `<Say>` then
/// `<Hangup/>`, always with status 200. An HTTP error would make Twilio read
/// out "an application error has occurred" to a real caller.
pub fn refuse_twiml(message: &str) -> String {
    let mut out = String::from(XML_HEADER);
    out.push_str("<Response>");
    if !message.trim().is_empty() {
        say(message, &mut out);
    }
    out.push_str("<Hangup/></Response>");
    out
}

/// The answer to the `<Dial action>` request: end the call (the forwarded leg
/// is over, there is nothing more to do).
pub fn hangup_twiml() -> String {
    format!("{XML_HEADER}<Response><Hangup/></Response>")
}

const XML_HEADER: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";

fn say(text: &str, out: &mut String) {
    out.push_str("<Say>");
    let end = text
        .char_indices()
        .nth(MAX_SAY_CHARS)
        .map_or(text.len(), |(i, _)| i);
    escape(text.get(..end).unwrap_or(text), out);
    out.push_str("</Say>");
}

/// Escapes text for XML content and double-quoted attributes. Characters XML
/// 1.0 forbids (C0 controls other than tab/LF/CR, U+FFFE, U+FFFF) are dropped:
/// no escape makes them legal, and Twilio refuses the whole document.
/// Tab/LF/CR are written as character references so attribute values keep
/// them instead of having them normalised to spaces.
fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)] // tests may panic
mod tests {
    use super::*;

    #[test]
    fn url_variants_match_the_helper() {
        assert_eq!(
            url_candidates("https://a.example/x?y=1"),
            [
                "https://a.example/x?y=1",
                "https://a.example:443/x?y=1",
                // The legacy re-encoding of `y=1` is itself, so nothing new.
            ]
        );
        assert_eq!(
            url_candidates("http://u:p@a.example:8080/x"),
            ["http://u:p@a.example/x", "http://u:p@a.example:8080/x"]
        );
        assert_eq!(
            url_candidates("https://[::1]:8443/x?b=It%27s+ok&a=1&b=2"),
            [
                "https://[::1]/x?b=It%27s+ok&a=1&b=2",
                "https://[::1]:8443/x?b=It%27s+ok&a=1&b=2",
                "https://[::1]/x?b=It's%20ok&b=2&a=1",
                "https://[::1]:8443/x?b=It's%20ok&b=2&a=1",
            ]
        );
        assert_eq!(
            url_candidates("https://[::1]/x"),
            ["https://[::1]/x", "https://[::1]:443/x"]
        );
    }

    #[test]
    fn node_escape_is_encode_uri_component() {
        let mut out = String::new();
        node_escape("a b+c/é~*'()!", &mut out);
        assert_eq!(out, "a%20b%2Bc%2F%C3%A9~*'()!");
    }

    #[test]
    fn escape_handles_every_special_and_drops_illegal() {
        let mut out = String::new();
        escape("<a href=\"x\">&'\u{0}\u{1b}\u{FFFF}\t\n", &mut out);
        assert_eq!(out, "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&#9;&#10;");
    }
}
