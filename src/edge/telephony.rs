//! The carrier's webhooks: calls come in, ring the business, and end.
//!
//! Twilio Programmable Voice calls these URLs (`POST`, form-encoded), each
//! signed with `X-Twilio-Signature`:
//! - `/v1/telephony/twilio/voice`: a call rings a tracking number. The
//!   directory names its pool (and remembers the call), the pool attributes
//!   it and stores it under its `CallSid`, and the answer is TwiML dialling
//!   the pool's `forward_to` with the caller's number passed through, the
//!   whisper and recording if configured, and `<Dial action>` pointing at
//!   the status URL below. A number in no pool, or a pool without
//!   `forward_to`, gets a short spoken message and a hang-up, never an HTTP
//!   error (Twilio would read "an application error has occurred" to the
//!   caller).
//! - `/v1/telephony/twilio/status?pool=…`: the `<Dial action>` request when
//!   the forwarded leg ends (`DialCallStatus`, `DialCallDuration`): completes
//!   the stored call and applies the pool's outcome rules. Idempotent.
//! - `/v1/telephony/twilio/transcription?pool=…`: a transcript
//!   (`TranscriptionText`) for the rules. Idempotent.
//! - `/v1/telephony/twilio/whisper?text=…`: the whisper's TwiML, played to
//!   the agent before the caller is connected (the text was put in the URL
//!   by the voice answer, which Twilio then signs like any request).
//!
//! **Nothing is read before the signature verifies**, in constant time, with
//! `TWILIO_AUTH_TOKEN` over the URL Twilio requested and the sorted form
//! parameters ([`crate::telephony::twilio::verify_signature`]): a missing or
//! wrong signature is a 403 that names no object and stores nothing.
#![deny(clippy::indexing_slicing, clippy::string_slice)]

use super::{Edge, EffectResult, Step, Target, object, valid_pool_id};
use crate::calls::CallId;
use crate::error::{ApiError, ErrorCode};
use crate::http::{Request, Response, percent_decode};
use crate::protocol::{CallChanged, DirectoryCommand, DirectoryEntry, PoolCommand, Rung};
use crate::telephony::twilio::{
    self, DialPlan, StatusCallback, TWIML_CONTENT_TYPE, Transcription, VoiceWebhook,
};
use crate::telephony::{Form, TelephonyError};
use ringmark_phone::E164;

/// Seconds the forwarded line rings before Twilio gives up.
pub const DIAL_TIMEOUT_SECONDS: u32 = 30;

/// What the telephony routes wait for (private to the edge).
#[derive(Debug)]
pub(super) enum Cont {
    /// The directory found (or not) the dialled number's pool.
    Routed { call: VoiceCall },
    /// The pool attributed and stored the ringing call.
    Rang {
        call: VoiceCall,
        pool: String,
        /// The shard that stored the call, when the pool has more than one
        /// (the status callback's URL names it).
        shard: Option<u32>,
    },
    /// The directory said how many shards the pool of a transcription has.
    TranscriptShards {
        pool: String,
        call_id: CallId,
        text: String,
    },
    /// Every shard was asked to apply a change to a call one of them stored
    /// (one result per shard).
    ChangedAcross { what: &'static str },
    /// Every shard of a sharded pool said who may have called its fallback
    /// or overflow number (one result per shard).
    Fanned {
        call: VoiceCall,
        pool: String,
        shards: u32,
    },
    /// The pool applied a status or transcript.
    Changed { what: &'static str },
}

/// A verified voice webhook, carried between steps.
#[derive(Debug)]
pub(super) struct VoiceCall {
    call_id: CallId,
    to: E164,
    from: Option<E164>,
    origin: String,
}

fn twiml(xml: String) -> Response {
    Response::new(200, TWIML_CONTENT_TYPE, xml)
}

fn refuse(edge: &Edge, why: &str) -> Step {
    Step::respond(refusal(edge, why))
}

/// The spoken refusal and hang-up for a call ringmark won't forward (logged).
fn refusal(edge: &Edge, why: &str) -> Response {
    edge.warn(format!("telephony: call refused: {why}"));
    twiml(twilio::refuse_twiml(
        "Sorry, this number cannot take your call right now. Goodbye.",
    ))
}

/// The first value of query parameter `name` in `url`.
fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?').map(|(_, q)| q)?;
    let query = query.split('#').next().unwrap_or_default();
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(key).as_deref() == Some(name))
            .then(|| percent_decode(&value.replace('+', " ")))
            .flatten()
    })
}

/// Reads and authenticates a Twilio request: its form, once the signature
/// over the URL and every parameter verifies.
fn verified_form(edge: &Edge, request: &Request) -> Result<Form, Response> {
    let refuse = |code: ErrorCode, message: &str| ApiError::new(code, message).to_response();
    if request.method != "POST" {
        return Err(refuse(
            ErrorCode::MethodNotAllowed,
            "the carrier's webhooks are POST",
        ));
    }
    if edge.twilio_auth_token.is_empty() {
        edge.warn("telephony: TWILIO_AUTH_TOKEN is not set; refusing every webhook".into());
        return Err(refuse(
            ErrorCode::Misconfigured,
            "TWILIO_AUTH_TOKEN is not set",
        ));
    }
    let form = Form::parse(&request.body).map_err(|e| {
        refuse(
            ErrorCode::BadJson,
            &format!("body: {e} (expected Twilio's form-encoded webhook)"),
        )
    })?;
    let header = request.header_value(twilio::SIGNATURE_HEADER);
    match twilio::verify_signature(&edge.twilio_auth_token, &request.url, &form, header) {
        Ok(()) => Ok(form),
        Err(TelephonyError::MissingAuthToken) => Err(refuse(
            ErrorCode::Misconfigured,
            "TWILIO_AUTH_TOKEN is not set",
        )),
        Err(_) => {
            edge.warn("telephony: refused a request whose Twilio signature does not verify".into());
            Err(ApiError::new(
                ErrorCode::BadSignature,
                "X-Twilio-Signature does not verify",
            )
            .to_response())
        }
    }
}

/// Routes a request under `/v1/telephony/`.
pub fn begin(edge: &Edge, request: &Request, rest: &str) -> Step {
    let form = match verified_form(edge, request) {
        Ok(form) => form,
        Err(response) => return Step::respond(response),
    };
    match rest.trim_end_matches('/') {
        "twilio/voice" => voice(edge, request, &form),
        "twilio/status" => status(edge, request, &form),
        "twilio/transcription" => transcription(edge, request, &form),
        "twilio/whisper" => {
            let text = query_param(&request.url, "text").unwrap_or_default();
            Step::respond(twiml(twilio::whisper_twiml(&text, "")))
        }
        other => Step::respond(
            ApiError::new(
                ErrorCode::NotFound,
                format!("no telephony route /v1/telephony/{other}"),
            )
            .to_response(),
        ),
    }
}

fn voice(edge: &Edge, request: &Request, form: &Form) -> Step {
    let webhook = match VoiceWebhook::from_form(form) {
        Ok(w) => w,
        Err(e) => return refuse(edge, &format!("unreadable voice webhook: {e}")),
    };
    let call = VoiceCall {
        call_id: webhook.call_sid.call_id(),
        to: webhook.to,
        from: webhook.from,
        origin: request.origin().to_owned(),
    };
    Step::then(
        object(
            Target::Directory,
            &DirectoryCommand::RouteCall {
                number: call.to.as_str().to_owned(),
                call_id: call.call_id.clone(),
                at: edge.now(),
            },
        ),
        super::Cont::Telephony(Cont::Routed { call }),
    )
}

/// The pool named in a callback URL ringmark wrote itself (`?pool=`).
/// The pool object a status or transcription callback goes to: the pool
/// named by `?pool=`, or its shard when `&shard=` names one (the status URL
/// the voice answer gave Twilio names the shard that stored the call).
fn callback_pool(request: &Request) -> Option<String> {
    let pool = query_param(&request.url, "pool").filter(|p| valid_pool_id(p))?;
    match query_param(&request.url, "shard") {
        None => Some(pool),
        Some(shard) => {
            let shard = shard
                .parse::<u32>()
                .ok()
                .filter(|&s| s < crate::shard::MAX_SHARDS)?;
            Some(crate::shard::object_name(
                &pool,
                shard,
                crate::shard::MAX_SHARDS,
            ))
        }
    }
}

fn status(edge: &Edge, request: &Request, form: &Form) -> Step {
    let hangup = || Step::respond(twiml(twilio::hangup_twiml()));
    let (Some(pool), Ok(callback)) = (callback_pool(request), StatusCallback::from_form(form))
    else {
        edge.warn("telephony: unreadable status callback".into());
        return hangup();
    };
    // The call is over either way: answer now, update the call after.
    Step::respond_then(
        twiml(twilio::hangup_twiml()),
        object(
            Target::Pool(pool),
            &PoolCommand::CallStatus {
                call_id: callback.call_key().call_id(),
                status: callback.status,
                duration_seconds: callback.duration_seconds,
            },
        ),
        super::Cont::Telephony(Cont::Changed { what: "status" }),
    )
}

fn transcription(edge: &Edge, request: &Request, form: &Form) -> Step {
    let empty = || Step::respond(twiml(twilio::hangup_twiml()));
    let (Some(pool), Ok(transcript)) = (callback_pool(request), Transcription::from_form(form))
    else {
        edge.warn("telephony: unreadable transcription callback".into());
        return empty();
    };
    let Some(text) = transcript.text else {
        return empty(); // a failed transcription carries no text
    };
    if query_param(&request.url, "shard").is_none() {
        // A transcription URL is the operator's, and names no shard: the
        // directory says how many the pool has, and every shard is asked
        // (the one that stored the call applies it).
        return Step::respond_then(
            twiml(twilio::hangup_twiml()),
            object(
                Target::Directory,
                &crate::protocol::DirectoryCommand::PoolShards { pool: pool.clone() },
            ),
            super::Cont::Telephony(Cont::TranscriptShards {
                pool,
                call_id: transcript.call_sid.call_id(),
                text,
            }),
        );
    }
    Step::respond_then(
        twiml(twilio::hangup_twiml()),
        object(
            Target::Pool(pool),
            &PoolCommand::CallTranscript {
                call_id: transcript.call_sid.call_id(),
                text,
            },
        ),
        super::Cont::Telephony(Cont::Changed {
            what: "transcription",
        }),
    )
}

/// Continues a telephony request with its effect's result.
pub(super) fn resume(edge: &Edge, cont: Cont, result: EffectResult) -> Step {
    match cont {
        Cont::Routed { call } => match result.answer::<DirectoryEntry>() {
            // The fallback or overflow number of a sharded pool: every shard
            // shows it, so every shard is asked who may have called.
            Ok(entry) if entry.shards > 1 && entry.shard.is_none() => {
                let ask = PoolCommand::Attribute {
                    call: ring_call(edge, &call),
                };
                Step {
                    response: None,
                    effects: (0..entry.shards)
                        .map(|shard| {
                            object(
                                super::admin::shard_target(&entry.pool, shard, entry.shards),
                                &ask,
                            )
                        })
                        .collect(),
                    cont: super::Cont::Telephony(Cont::Fanned {
                        call,
                        pool: entry.pool,
                        shards: entry.shards,
                    }),
                    log: Default::default(),
                }
            }
            Ok(entry) => {
                let shard = entry.shard.filter(|_| entry.shards > 1);
                ring(edge, call, entry.pool, shard, entry.shards, 1)
            }
            Err(e) => refuse(edge, &format!("{}: {e}", call.to)),
        },
        Cont::Fanned { .. } | Cont::ChangedAcross { .. } => {
            refuse(edge, "a fanned-out step resumed with one result")
        }
        Cont::TranscriptShards {
            pool,
            call_id,
            text,
        } => {
            let shards = match result.answer::<u32>() {
                Ok(shards) => shards.max(1),
                Err(e) => {
                    edge.warn(format!("telephony: transcription not applied: {e}"));
                    return Step::finished();
                }
            };
            let command = PoolCommand::CallTranscript { call_id, text };
            let cont = if shards == 1 {
                Cont::Changed {
                    what: "transcription",
                }
            } else {
                Cont::ChangedAcross {
                    what: "transcription",
                }
            };
            Step {
                response: None,
                effects: (0..shards)
                    .map(|shard| object(super::admin::shard_target(&pool, shard, shards), &command))
                    .collect(),
                cont: super::Cont::Telephony(cont),
                log: Default::default(),
            }
        }
        Cont::Rang { call, pool, shard } => match result.answer::<Rung>() {
            Ok(rung) => dial(edge, &call, &pool, shard, &rung),
            Err(e) => refuse(edge, &format!("pool {pool}: {e}")),
        },
        Cont::Changed { what } => match result.answer::<CallChanged>() {
            Ok(changed) => {
                super::webhooks::then_enqueue(edge, super::call_events::changed(edge, &changed))
            }
            Err(e) => {
                edge.warn(format!("telephony: {what} not applied: {e}"));
                Step::finished()
            }
        },
    }
}

/// A change asked of every shard: the answer of the one that has the call
/// ([`super::shards::call_answer`]).
pub(super) fn changed_across(edge: &Edge, what: &'static str, results: Vec<EffectResult>) -> Step {
    resume(
        edge,
        Cont::Changed { what },
        super::shards::call_answer(results),
    )
}

/// The call a voice webhook reports, as the allocator reads it.
fn ring_call(edge: &Edge, call: &VoiceCall) -> ringmark_pool::Call {
    ringmark_pool::Call {
        to: call.to.as_str().to_owned(),
        from: call.from.as_ref().map(|f| f.as_str().to_owned()),
        at: edge.now(),
        duration: None,
    }
}

/// Rings the call in the pool object (shard `shard` of `shards`, when the pool
/// has more than one); `share` above 1 scales its attribution (a fallback call).
fn ring(
    edge: &Edge,
    call: VoiceCall,
    pool: String,
    shard: Option<u32>,
    shards: u32,
    share: u32,
) -> Step {
    let target = super::admin::shard_target(&pool, shard.unwrap_or(0), shards);
    Step::then(
        object(
            target,
            &PoolCommand::Ring {
                pool: pool.clone(),
                call: ring_call(edge, &call),
                call_id: call.call_id.clone(),
                shards: share,
            },
        ),
        super::Cont::Telephony(Cont::Rang { call, pool, shard }),
    )
}

/// Every shard answered who may have called a sharded pool's fallback or
/// overflow number: the call rings in the shard with the best candidate, at
/// that shard's share of the pool ([`super::shards::best_shard`]).
pub(super) fn fanned(
    edge: &Edge,
    call: VoiceCall,
    pool: String,
    shards: u32,
    results: &[EffectResult],
) -> Step {
    let attributions: Vec<Option<ringmark_pool::Attribution>> = results
        .iter()
        .map(|r| r.answer::<ringmark_pool::Attribution>().ok())
        .collect();
    if attributions.iter().all(Option::is_none) {
        return refuse(edge, &format!("pool {pool}: no shard answered"));
    }
    let best = super::shards::best_shard(&attributions);
    ring(edge, call, pool, Some(best), shards, shards)
}

/// The TwiML that forwards the call to the pool's line.
fn dial(edge: &Edge, call: &VoiceCall, pool: &str, shard: Option<u32>, rung: &Rung) -> Step {
    let events = if rung.new {
        super::call_events::started(edge, &rung.record)
    } else {
        Vec::new() // a retried webhook: announced the first time
    };
    let Some(forward_to) = rung.forward_to.as_deref().and_then(|n| E164::parse(n).ok()) else {
        let refused = refusal(edge, &format!("pool {pool} has no forward_to"));
        return super::webhooks::answer_then_enqueue(edge, refused, events);
    };
    let encode = |s: &str| crate::http::percent_encode(s);
    let plan = DialPlan {
        forward_to,
        caller_id_passthrough: call.from.clone(),
        whisper_url: rung.whisper.as_ref().map(|text| {
            format!(
                "{}/v1/telephony/twilio/whisper?text={}",
                call.origin,
                encode(text)
            )
        }),
        record: rung.record_call,
        status_callback: match shard {
            Some(shard) => format!(
                "{}/v1/telephony/twilio/status?pool={}&shard={shard}",
                call.origin,
                encode(pool)
            ),
            None => format!(
                "{}/v1/telephony/twilio/status?pool={}",
                call.origin,
                encode(pool)
            ),
        },
        timeout_seconds: DIAL_TIMEOUT_SECONDS,
    };
    super::webhooks::answer_then_enqueue(edge, twiml(twilio::dial_twiml(&plan)), events)
}
