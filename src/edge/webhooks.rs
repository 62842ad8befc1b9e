//! Outbound webhooks at the edge: the admin routes, and [`enqueue`], the one
//! way the request path announces events.
//!
//! **Emitting an event** (from any route): build it with [`event`] (it draws
//! the id from the edge's randomness and takes the edge's clock), then make
//! [`enqueue`] an effect of a step that already carries the response, so it
//! runs after the response and never delays it:
//!
//! ```ignore
//! let e = webhooks::event(edge, EventType::CallStarted, EventData { pool, number: Some(to), ..EventData::default() });
//! webhooks::answer_then_enqueue(edge, response, vec![e])
//! ```
//!
//! The `WEBHOOKS` object stores each event once (by id), makes one delivery
//! per endpoint that wants it, and delivers from its alarm; a failed enqueue
//! is logged, never answered.
//!
//! **Routes** (bearer token checked by [`super::admin::begin`]):
//! `PUT|GET|DELETE /v1/webhooks/{id}`, `GET /v1/webhooks/{id}/deliveries?limit=`
//! and `POST /v1/webhooks/{id}/replay` `{"event_id": "msg_…"}`. Receiver URLs
//! must be public `https` unless `RINGMARK_ALLOW_PRIVATE_WEBHOOKS=1`
//! ([`crate::webhooks::address`]).
#![deny(clippy::indexing_slicing, clippy::string_slice)]

use super::{Cont, Edge, Effect, EffectResult, Step, Target, object};
use crate::error::{ApiError, ErrorCode, parse_json};
use crate::http::{Request, Response, percent_decode};
use crate::protocol::{
    Enqueued, ObjectError, ObjectErrorCode, RegisteredWebhook, Replayed, WebhookCommand,
    WebhookDeliveries, WebhookEndpoint,
};
use crate::webhooks::endpoint::check_id;
use crate::webhooks::event::EVENT_ID_RANDOM_BYTES;
use crate::webhooks::{EventData, EventType, Registration, WebhookEvent};
use serde::Deserialize;
use serde_json::{Value, json};

/// Deliveries listed when `?limit=` is not given.
pub const DEFAULT_LISTED: usize = 100;

/// What to do with the webhooks object's answer.
#[derive(Debug)]
pub(super) enum WebhookCont {
    /// An endpoint was registered: answer it with its secret.
    Registered,
    /// An endpoint, to answer.
    Endpoint,
    /// An endpoint was removed.
    Removed { id: String },
    /// An endpoint's deliveries, to list.
    Deliveries { id: String },
    /// A replay was scheduled.
    Replayed { id: String, event_id: String },
    /// Events were enqueued after a response: log a failure, nothing more.
    Enqueued,
}

/// The effect that hands `events` to the deployment's webhooks object.
///
/// Put it on a step that carries the response (see [`answer_then_enqueue`]):
/// the adapter then runs it after the response. Its result is read by
/// [`Edge::resume`], which only logs a failure. Events with no endpoint
/// wanting them are dropped by the object, so emitting is always safe.
pub fn enqueue(events: Vec<WebhookEvent>) -> Effect {
    object(Target::Webhooks, &WebhookCommand::Enqueue { events })
}

/// How long an isolate trusts the set of event types some endpoint wants
/// (seconds): an endpoint registered meanwhile gets events from every isolate
/// within this time; until then an isolate that knows nobody wants an event
/// type sends nothing to the webhooks object.
pub const WANTED_TTL_SECONDS: i64 = 30;

/// The events worth sending: all of them while this isolate's knowledge of
/// what endpoints want is stale or absent (the object's answer refreshes it),
/// only the wanted ones while it is fresh.
fn worth_sending(edge: &Edge, events: Vec<WebhookEvent>) -> Vec<WebhookEvent> {
    events
        .into_iter()
        .filter(|e| may_want(edge, e.event_type))
        .collect()
}

/// Whether an event of `event_type` may be wanted: false only while this
/// isolate's knowledge of what endpoints want is fresh and leaves it out. A
/// route asks before building an event, so an open that no endpoint listens
/// for costs no payload, id or timestamp (measured in the pixel's and the
/// number image's profiles, `bench/worker/profile.mjs`: building the open's
/// event was 3–4 % of the Worker's time, all of it thrown away when nobody
/// wants opens).
pub fn may_want(edge: &Edge, event_type: EventType) -> bool {
    match &*edge.webhooks_wanted.borrow() {
        Some((at, types)) if edge.now() - at < WANTED_TTL_SECONDS => types.contains(&event_type),
        _ => true,
    }
}

/// Forgets what endpoints want (after this isolate changed an endpoint).
fn forget_wanted(edge: &Edge) {
    *edge.webhooks_wanted.borrow_mut() = None;
}

/// Answers `response` now and enqueues `events` after it (just the response
/// when there are none, or none an endpoint wants).
pub fn answer_then_enqueue(edge: &Edge, response: Response, events: Vec<WebhookEvent>) -> Step {
    let events = worth_sending(edge, events);
    if events.is_empty() {
        return Step::respond(response);
    }
    Step::respond_then(
        response,
        enqueue(events),
        Cont::Webhooks(WebhookCont::Enqueued),
    )
}

/// Work already after the response: enqueue `events` next (nothing when
/// there are none).
pub fn then_enqueue(edge: &Edge, events: Vec<WebhookEvent>) -> Step {
    let events = worth_sending(edge, events);
    if events.is_empty() {
        return Step::finished();
    }
    Step {
        response: None,
        effects: vec![enqueue(events)],
        cont: Cont::Webhooks(WebhookCont::Enqueued),
        log: super::log::RequestLog::default(),
    }
}

/// Builds an event that happened now (by the edge's clock), with a fresh id
/// drawn from the edge's randomness.
pub fn event(edge: &Edge, event_type: EventType, data: EventData) -> WebhookEvent {
    let mut random = [0u8; EVENT_ID_RANDOM_BYTES];
    edge.fill_random(&mut random);
    WebhookEvent::new(&random, event_type, edge.now(), data)
}

fn respond(result: Result<Response, ApiError>) -> Step {
    Step::respond(result.unwrap_or_else(|e| e.to_response()))
}

fn forward(command: &WebhookCommand, cont: WebhookCont) -> Step {
    Step::then(object(Target::Webhooks, command), Cont::Webhooks(cont))
}

fn method_not_allowed(method: &str) -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("{method} is not allowed here"),
    )
}

/// The body of `POST /v1/webhooks/{id}/replay`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplayBody {
    event_id: String,
}

/// Routes `/v1/webhooks/{id}{/rest}` (already authorised).
pub(super) fn route(
    edge: &Edge,
    request: &Request,
    id: &str,
    rest: &[&str],
) -> Result<Step, ApiError> {
    let id = percent_decode(id).unwrap_or_default();
    check_id(&id)?;
    let method = request.method.as_str();
    match (rest, method) {
        ([], "PUT") => {
            let registration = Registration::parse(&request.body, edge.allow_private_webhooks)?;
            Ok(forward(
                &WebhookCommand::Register { id, registration },
                WebhookCont::Registered,
            ))
        }
        ([], "GET") => Ok(forward(&WebhookCommand::Get { id }, WebhookCont::Endpoint)),
        ([], "DELETE") => Ok(forward(
            &WebhookCommand::Remove { id: id.clone() },
            WebhookCont::Removed { id },
        )),
        (["deliveries"], "GET") => {
            let limit = limit(request)?;
            Ok(forward(
                &WebhookCommand::Deliveries {
                    id: id.clone(),
                    limit,
                },
                WebhookCont::Deliveries { id },
            ))
        }
        (["replay"], "POST") => {
            let body: ReplayBody = parse_json(&request.body)?;
            if body.event_id.is_empty() || body.event_id.len() > 64 {
                return Err(ApiError::field(
                    ErrorCode::InvalidField,
                    "event_id",
                    "must be an event id (msg_…) of 1 to 64 bytes",
                ));
            }
            Ok(forward(
                &WebhookCommand::Replay {
                    id: id.clone(),
                    event_id: body.event_id.clone(),
                },
                WebhookCont::Replayed {
                    id,
                    event_id: body.event_id,
                },
            ))
        }
        ([] | ["deliveries"] | ["replay"], _) => Err(method_not_allowed(method)),
        _ => Err(ApiError::new(
            ErrorCode::NotFound,
            format!("no admin route {}", request.path()),
        )),
    }
}

/// `?limit=` of the deliveries listing: 1 to [`crate::objects::outbox::MAX_LISTED`].
fn limit(request: &Request) -> Result<usize, ApiError> {
    let query = request.url.split_once('?').map_or("", |(_, q)| q);
    let query = query.split('#').next().unwrap_or_default();
    let max = crate::objects::outbox::MAX_LISTED;
    let mut limit = DEFAULT_LISTED;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key != "limit" {
            return Err(ApiError::field(
                ErrorCode::BadJson,
                percent_decode(key).unwrap_or_default(),
                "unknown parameter (known: limit)",
            ));
        }
        limit = value
            .parse()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                ApiError::field(
                    ErrorCode::InvalidField,
                    "limit",
                    format!("must be a whole number from 1 to {max}"),
                )
            })?;
    }
    Ok(limit)
}

/// The webhooks object's refusal as the admin API's error.
fn refused(edge: &Edge, e: ObjectError) -> ApiError {
    let field = e.field.clone();
    let with = |code: ErrorCode| match &field {
        Some(f) => ApiError::field(code, f, &e.message),
        None => ApiError::new(code, &e.message),
    };
    match e.code {
        ObjectErrorCode::NotFound => with(ErrorCode::NotFound),
        ObjectErrorCode::Conflict => with(ErrorCode::Conflict),
        ObjectErrorCode::Invalid => with(ErrorCode::InvalidField),
        _ => {
            edge.warn(format!("webhooks: {e}"));
            ApiError::new(ErrorCode::Internal, e.message)
        }
    }
}

/// Continues a webhooks request with the object's answer.
pub(super) fn resume(edge: &Edge, cont: WebhookCont, result: EffectResult) -> Step {
    match cont {
        WebhookCont::Registered => {
            forget_wanted(edge);
            respond(
                result
                    .answer::<RegisteredWebhook>()
                    .map(|r| {
                        let mut body = json!(r.endpoint);
                        if let Value::Object(map) = &mut body {
                            map.insert("secret".into(), Value::String(r.secret));
                        }
                        Response::json(200, &body)
                    })
                    .map_err(|e| refused(edge, e)),
            )
        }
        WebhookCont::Endpoint => respond(
            result
                .answer::<WebhookEndpoint>()
                .map(|e| Response::json(200, &e))
                .map_err(|e| refused(edge, e)),
        ),
        WebhookCont::Removed { id } => {
            forget_wanted(edge);
            respond(
                result
                    .answer::<()>()
                    .map(|()| Response::json(200, &json!({"id": id, "deleted": true})))
                    .map_err(|e| refused(edge, e)),
            )
        }
        WebhookCont::Deliveries { id } => respond(
            result
                .answer::<WebhookDeliveries>()
                .map(|d| {
                    let list: Vec<Value> = d.deliveries.iter().map(|d| d.to_json()).collect();
                    Response::json(200, &json!({"id": id, "deliveries": list}))
                })
                .map_err(|e| refused(edge, e)),
        ),
        WebhookCont::Replayed { id, event_id } => respond(
            result
                .answer::<Replayed>()
                .map(|r| {
                    Response::json(
                        202,
                        &json!({"id": id, "event_id": event_id, "delivery": r.delivery}),
                    )
                })
                .map_err(|e| refused(edge, e)),
        ),
        WebhookCont::Enqueued => {
            match result.answer::<Enqueued>() {
                Ok(enqueued) => {
                    *edge.webhooks_wanted.borrow_mut() =
                        Some((edge.now(), enqueued.wanted.into_iter().collect()));
                }
                Err(e) => edge.warn(format!("webhook events not enqueued: {e}")),
            }
            Step::finished()
        }
    }
}
