//! The admin API: pools, tokens, sizing and call attribution.
//!
//! Every route needs `Authorization: Bearer $RINGMARK_ADMIN_TOKEN`. Input is
//! validated here, before any object is touched, so a bad request writes
//! nothing; a pool write that fails after the directory accepted its numbers
//! is undone in the directory before the error is answered.
//!
//! Request-path code reading untrusted input: no indexing or string slicing
//! that could panic (a panic traps the wasm module), and every number that
//! drives work is range-checked here, naming its field.
#![deny(clippy::indexing_slicing, clippy::string_slice)]

use super::{Cont, Edge, EffectResult, Step, Target, object, valid_pool_id};
use crate::calls::CallId;
use crate::error::{ApiError, ErrorCode, parse_json};
use crate::http::{Request, Response, percent_decode};
use crate::protocol::{
    CallChanged, CallRoute, CallSettings, ClaimReply, Configured, Deletion, DirectoryCommand,
    DirectoryEntry, Forgotten, ObjectError, ObjectErrorCode, PoolCommand, PoolSettings, PoolState,
    Released, ReportDetail, ReportReply, Reported,
};
use crate::reports::CampaignLine;
use crate::snippet::{Platform, Snippet};
use crate::token::{Claims, MAX_FIELD_LEN};
use ringmark_phone::{DisplayFormat, E164};
use ringmark_pool::{Attribution, Call, PoolConfig};
use ringmark_render::Style;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Most numbers one pool may hold. Its settings are one stored value, and a
/// Durable Object's SQLite refuses values over 2 MB: 20,000 numbers with their
/// display strings take about 1 MB. (The sizing forecast puts a
/// 100,000-recipient send at a few thousand numbers.)
pub const MAX_POOL_NUMBERS: usize = 20_000;

/// Most recipients one token request may carry.
pub const MAX_RECIPIENTS: usize = 10_000;

fn respond(result: Result<Response, ApiError>) -> Step {
    Step::respond(result.unwrap_or_else(|e| e.to_response()))
}

fn forward<T: Serialize>(target: Target, command: &T, cont: Cont) -> Step {
    Step::then(object(target, command), cont)
}

/// Shortest admin token accepted.
pub const MIN_ADMIN_TOKEN: usize = 16;

/// The admin API's bearer tokens: `RINGMARK_ADMIN_TOKEN` holds one, or two
/// separated by a comma while the token rotates (old and new both accepted
/// until every client has the new one; see `docs/DEPLOY.md`).
///
/// Why a list in the one secret rather than a second `…_NEXT` secret: a
/// rotation is then one `wrangler secret put` per step (add the new token
/// after the old, later put the new one alone), the secret's name never
/// changes, and it reads like `RINGMARK_SIGNING_KEY`'s list of keys. A comma
/// cannot occur in a token (generate them with `openssl rand -hex 32`).
pub struct AdminTokens {
    tokens: Vec<Vec<u8>>,
}

impl std::fmt::Debug for AdminTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a token.
        f.debug_struct("AdminTokens")
            .field("count", &self.tokens.len())
            .finish()
    }
}

impl AdminTokens {
    /// Most tokens accepted at once: the current one and its successor.
    pub const MAX: usize = 2;

    /// Reads `RINGMARK_ADMIN_TOKEN`: one token, or two separated by a comma,
    /// each at least [`MIN_ADMIN_TOKEN`] characters (surrounding spaces are
    /// ignored).
    ///
    /// # Errors
    /// What is wrong, never echoing a token or its length.
    pub fn parse(text: &str) -> Result<AdminTokens, String> {
        if text.trim().is_empty() {
            return Err("not set".into());
        }
        let tokens: Vec<Vec<u8>> = text
            .split(',')
            .map(|t| t.trim().as_bytes().to_vec())
            .collect();
        if tokens.len() > Self::MAX {
            return Err(format!(
                "holds {} comma-separated tokens; at most {} (the current one and the next)",
                tokens.len(),
                Self::MAX
            ));
        }
        if let Some(i) = tokens.iter().position(|t| t.len() < MIN_ADMIN_TOKEN) {
            return Err(format!(
                "token {} is shorter than {MIN_ADMIN_TOKEN} characters",
                i + 1
            ));
        }
        Ok(AdminTokens { tokens })
    }

    /// How many tokens are accepted (1, or 2 during a rotation).
    pub fn count(&self) -> usize {
        self.tokens.len()
    }

    /// Whether `presented` is one of the tokens. Each token is compared in
    /// constant time, all of them every time, and the results are combined
    /// without branching: the timing says neither whether nor which matched.
    pub fn accepts(&self, presented: &[u8]) -> bool {
        let mut matched = 0u8;
        for secret in &self.tokens {
            matched |= u8::from(constant_time_eq(presented, secret));
        }
        matched == 1
    }
}

/// Whether `presented` equals `secret`, in time that depends only on the
/// secret's length (every byte is compared, no early exit).
fn constant_time_eq(presented: &[u8], secret: &[u8]) -> bool {
    let mut diff = presented.len() ^ secret.len();
    for (i, b) in secret.iter().enumerate() {
        diff |= usize::from(b ^ presented.get(i).copied().unwrap_or(0));
    }
    std::hint::black_box(diff) == 0
}

/// Constant-time comparison of the presented bearer token with the admin tokens.
fn authorised(edge: &Edge, request: &Request) -> Result<(), ApiError> {
    let Ok(tokens) = &edge.admin_tokens else {
        return Err(ApiError::new(
            ErrorCode::Misconfigured,
            "RINGMARK_ADMIN_TOKEN is not set (or shorter than 16 characters, or more than two tokens)",
        ));
    };
    let presented = request
        .header_value("authorization")
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .unwrap_or("")
        .trim()
        .as_bytes();
    if tokens.accepts(presented) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::Unauthorized,
            "missing or wrong 'Authorization: Bearer' token",
        ))
    }
}

/// Routes an admin request.
pub fn begin(edge: &Edge, request: &Request) -> Step {
    if let Err(e) = authorised(edge, request) {
        return respond(Err(e));
    }
    let path = request.path().trim_end_matches('/');
    let segments: Vec<&str> = path.split('/').skip(2).collect(); // after "/v1"
    let method = request.method.as_str();
    let result = match segments.as_slice() {
        ["calls"] => only(method, "POST").and_then(|()| call(edge, request)),
        ["pools"] => only(method, "GET").and_then(|()| list_pools(request)),
        ["calls", call_id, "outcome"] => {
            only(method, "POST").and_then(|()| set_outcome(call_id, request))
        }
        ["calls", call_id] => only(method, "GET").and_then(|()| {
            let call_id = parse_call_id(call_id)?;
            Ok(forward(
                Target::Directory,
                &DirectoryCommand::FindCall {
                    call_id: call_id.clone(),
                },
                Cont::CallFound { call_id },
            ))
        }),
        ["webhooks", id, rest @ ..] => super::webhooks::route(edge, request, id, rest),
        ["pools", pool, rest @ ..] => {
            let pool = match percent_decode(pool).filter(|p| valid_pool_id(p)) {
                Some(p) => p,
                None => {
                    return respond(Err(ApiError::field(
                        ErrorCode::InvalidField,
                        "pool",
                        "must be 1-64 characters of A-Z a-z 0-9 - _ .",
                    )));
                }
            };
            match (rest, method) {
                ([], "PUT") => put_pool(pool, &request.body),
                ([], "GET") => Ok(pool_job(pool, PoolJob::State)),
                ([], "DELETE") => Ok(pool_job(pool, PoolJob::Delete)),
                (["tokens"], "POST") => tokens(edge, pool, request),
                (["sizing"], "GET") => sizing(pool, request),
                (["snippet"], "POST") => snippet(edge, pool, request),
                (["report"], "GET") => report(pool, request),
                (["campaigns"], "GET") => Ok(pool_job(pool, PoolJob::Campaigns)),
                (["recipients", recipient], "DELETE") => forget(pool, recipient),
                (
                    []
                    | ["tokens"]
                    | ["sizing"]
                    | ["snippet"]
                    | ["report"]
                    | ["campaigns"]
                    | ["recipients", _],
                    _,
                ) => Err(method_not_allowed(method)),
                _ => Err(not_found(path)),
            }
        }
        _ => Err(not_found(path)),
    };
    result.unwrap_or_else(|e| respond(Err(e)))
}

/// `DELETE /v1/pools/{pool}/recipients/{recipient}`: forgets a recipient on
/// request (the id percent-encoded in the path, as tokens were issued for it).
fn forget(pool: String, recipient: &str) -> Result<Step, ApiError> {
    let recipient = percent_decode(recipient)
        .filter(|r| !r.is_empty() && r.len() <= MAX_FIELD_LEN)
        .ok_or_else(|| {
            ApiError::field(
                ErrorCode::InvalidField,
                "recipient",
                format!("must be 1 to {MAX_FIELD_LEN} bytes, percent-encoded in the path"),
            )
        })?;
    Ok(pool_job(pool, PoolJob::Forget { recipient }))
}

fn only(method: &str, allowed: &str) -> Result<(), ApiError> {
    if method == allowed {
        Ok(())
    } else {
        Err(method_not_allowed(method))
    }
}

fn method_not_allowed(method: &str) -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("{method} is not allowed here"),
    )
}

fn not_found(path: &str) -> ApiError {
    ApiError::new(ErrorCode::NotFound, format!("no admin route {path}"))
}

/// An object's refusal as the admin API's error: the object's code mapped
/// to the API's, its field kept; failures of our own are logged.
fn refused(edge: &Edge, pool: &str, e: ObjectError) -> ApiError {
    let with_field = |code: ErrorCode, default: &str| {
        let field = e.field.clone().unwrap_or_else(|| default.to_owned());
        ApiError::field(code, field, &e.message)
    };
    match e.code {
        ObjectErrorCode::UnknownPool => unknown_pool(pool),
        ObjectErrorCode::UnknownNumber => with_field(ErrorCode::UnknownNumber, "to"),
        ObjectErrorCode::Conflict => with_field(ErrorCode::Conflict, "numbers"),
        ObjectErrorCode::Invalid => ApiError::new(ErrorCode::InvalidField, e.message),
        ObjectErrorCode::Deleted => ApiError::field(ErrorCode::PoolDeleted, "pool", &e.message),
        ObjectErrorCode::UnknownCall => with_field(ErrorCode::UnknownCall, "call_id"),
        ObjectErrorCode::NotFound => with_field(ErrorCode::NotFound, "id"),
        ObjectErrorCode::BadCommand | ObjectErrorCode::Unreachable | ObjectErrorCode::Internal => {
            internal(edge, e.to_string())
        }
    }
}

/// Continues an admin request with the result of its one effect.
pub(super) fn resume(edge: &Edge, cont: Cont, result: EffectResult) -> Step {
    match cont {
        Cont::PutClaimed { pool, settings } => match result.answer::<ClaimReply>() {
            Ok(claim) if settings.shards > 1 => configure_shards(pool, &settings, claim),
            Ok(claim) => forward(
                Target::Pool(pool.clone()),
                &PoolCommand::Configure { settings },
                Cont::PutConfigured { pool, claim },
            ),
            Err(e) => respond(Err(refused(edge, &pool, e))),
        },
        Cont::PutConfigured { pool, claim } => match result.answer::<Configured>() {
            Ok(configured) => respond(Ok(with_pool(&pool, &configured))),
            Err(e) => {
                // Undo the claim so nothing half-written remains.
                let error = refused(edge, &pool, e);
                undo_claim(pool, claim, error)
            }
        },
        Cont::PutRestored { error } => {
            if let Err(e) = result.answer::<()>() {
                edge.warn(format!(
                    "directory restore failed after '{}': {e}",
                    error.message
                ));
            }
            respond(Err(error))
        }
        Cont::Forgot { pool } => respond(
            result
                .answer::<Forgotten>()
                .map(|forgotten| with_pool(&pool, &forgotten))
                .map_err(|e| refused(edge, &pool, e)),
        ),
        Cont::PoolState { pool } => respond(
            result
                .answer::<PoolState>()
                .map(|state| with_pool(&pool, &state))
                .map_err(|e| refused(edge, &pool, e)),
        ),
        Cont::Deleted { pool } => match result.answer::<Deletion>() {
            Ok(deletion) => release(pool, deletion),
            Err(e) => respond(Err(refused(edge, &pool, e))),
        },
        Cont::Released { pool, deletion } => respond(
            result
                .answer::<Released>()
                .map(|released| {
                    Response::json(
                        200,
                        &json!({
                            "pool": pool,
                            "deleted_at": deletion.deleted_at,
                            "purge_at": deletion.purge_at,
                            "numbers": deletion.numbers,
                            "numbers_free_at": released.free_at,
                        }),
                    )
                })
                .map_err(|e| refused(edge, &pool, e)),
        ),
        Cont::Tokens(job) => respond(
            result
                .answer::<PoolSettings>()
                .map_err(|e| refused(edge, &job.pool, e))
                .and_then(|_| job.sign(edge)),
        ),
        Cont::Snippet(job) => respond(
            result
                .answer::<PoolSettings>()
                .map_err(|e| refused(edge, &job.pool, e))
                .and_then(|settings| job.write(edge, &settings)),
        ),
        Cont::Sizing { pool, input } => respond(
            result
                .answer::<PoolState>()
                .map_err(|e| refused(edge, &pool, e))
                .and_then(|state| sizing_report(&pool, input, &state)),
        ),
        Cont::CallLookup { call, call_id } => match result.answer::<DirectoryEntry>() {
            Ok(entry) if entry.shards > 1 && entry.shard.is_none() => Step {
                response: None,
                effects: (0..entry.shards)
                    .map(|shard| {
                        super::object(
                            shard_target(&entry.pool, shard, entry.shards),
                            &PoolCommand::Attribute { call: call.clone() },
                        )
                    })
                    .collect(),
                cont: Cont::CallFanned {
                    pool: entry.pool,
                    shards: entry.shards,
                    call,
                    call_id,
                },
                log: Default::default(),
            },
            Ok(entry) => forward(
                shard_target(&entry.pool, entry.shard.unwrap_or(0), entry.shards),
                &PoolCommand::Call {
                    pool: entry.pool.clone(),
                    call,
                    call_id: call_id.clone(),
                    shards: 1,
                },
                Cont::CallDone {
                    pool: entry.pool,
                    call_id,
                },
            ),
            Err(e) if e.code == ObjectErrorCode::UnknownNumber => respond(Err(ApiError::field(
                ErrorCode::UnknownNumber,
                "to",
                format!("{} belongs to no pool", call.to),
            ))),
            Err(e) => respond(Err(refused(edge, "", e))),
        },
        Cont::CallDone { pool, call_id } => match result.answer::<Reported>() {
            Ok(reported) => {
                let mut body = attribution_body(&pool, &reported.attribution);
                if let Some(map) = body.as_object_mut() {
                    map.insert("call_id".into(), json!(call_id));
                }
                let mut events = Vec::new();
                if reported.new {
                    events = super::call_events::started(edge, &reported.record);
                    events.extend(super::call_events::changed(
                        edge,
                        &CallChanged {
                            completed: true,
                            outcome_changed: reported.record.outcome.is_some(),
                            changed: true,
                            record: reported.record,
                        },
                    ));
                }
                super::webhooks::answer_then_enqueue(edge, Response::json(200, &body), events)
            }
            Err(e) => respond(Err(refused(edge, &pool, e))),
        },
        Cont::OutcomeFound { call_id, outcome } => match result.answer::<CallRoute>() {
            Ok(route) if route.shards > 1 => {
                across_shards(&route, &PoolCommand::SetOutcome { call_id, outcome }, true)
            }
            Ok(route) => forward(
                Target::Pool(route.pool.clone()),
                &PoolCommand::SetOutcome { call_id, outcome },
                Cont::OutcomeSet { pool: route.pool },
            ),
            Err(e) => respond(Err(refused(edge, "", e))),
        },
        Cont::Report { pool, format } => respond(
            result
                .answer::<ReportReply>()
                .map_err(|e| refused(edge, &pool, e))
                .map(|reply| format.render(&pool, &reply)),
        ),
        Cont::Campaigns { pool } => respond(
            result
                .answer::<Vec<CampaignLine>>()
                .map(|campaigns| {
                    Response::json(200, &json!({ "pool": pool, "campaigns": campaigns }))
                })
                .map_err(|e| refused(edge, &pool, e)),
        ),
        Cont::PoolList => match result.answer::<crate::protocol::PoolList>() {
            Ok(list) if list.pools.is_empty() => respond(Ok(Response::json(
                200,
                &json!({ "pools": [], "more": false }),
            ))),
            Ok(list) => {
                let names: Vec<(String, u32)> = list
                    .pools
                    .into_iter()
                    .map(|p| {
                        let shards = list.shards.get(&p).copied().unwrap_or(1);
                        (p, shards)
                    })
                    .collect();
                Step {
                    response: None,
                    effects: names
                        .iter()
                        .flat_map(|(pool, shards)| {
                            (0..*shards).flat_map(move |shard| {
                                [PoolCommand::State, PoolCommand::Campaigns].map(|command| {
                                    super::object(shard_target(pool, shard, *shards), &command)
                                })
                            })
                        })
                        .collect(),
                    cont: Cont::PoolsListed {
                        names,
                        more: list.more,
                    },
                    log: Default::default(),
                }
            }
            Err(e) => respond(Err(refused(edge, "", e))),
        },
        Cont::CallFound { call_id } => match result.answer::<CallRoute>() {
            Ok(route) if route.shards > 1 => {
                across_shards(&route, &PoolCommand::GetCall { call_id }, false)
            }
            Ok(route) => forward(
                Target::Pool(route.pool.clone()),
                &PoolCommand::GetCall { call_id },
                Cont::CallShown { pool: route.pool },
            ),
            Err(e) => respond(Err(refused(edge, "", e))),
        },
        Cont::CallShown { pool } => respond(
            result
                .answer::<crate::calls::CallRecord>()
                .map(|call| Response::json(200, &json!({ "pool": pool, "call": call })))
                .map_err(|e| refused(edge, &pool, e)),
        ),
        Cont::OutcomeSet { pool } => match result.answer::<CallChanged>() {
            Ok(changed) => {
                let body =
                    json!({ "pool": pool, "changed": changed.changed, "call": changed.record });
                let events = super::call_events::changed(edge, &changed);
                super::webhooks::answer_then_enqueue(edge, Response::json(200, &body), events)
            }
            Err(e) => respond(Err(refused(edge, &pool, e))),
        },
        Cont::Done
        | Cont::PixelRecorded { .. }
        | Cont::Number { .. }
        | Cont::Click { .. }
        | Cont::Telephony(_)
        | Cont::PoolsListed { .. }
        | Cont::ShardsOf { .. }
        | Cont::Sharded { .. }
        | Cont::PutShardsConfigured { .. }
        | Cont::CallFanned { .. }
        | Cont::CallAcross { .. }
        | Cont::Webhooks(_) => respond(Err(internal(
            edge,
            "email continuation reached the admin API".into(),
        ))),
    }
}

/// A reply with the pool's name added as its first field.
fn with_pool<T: Serialize>(pool: &str, reply: &T) -> Response {
    let mut body = Map::new();
    body.insert("pool".into(), json!(pool));
    if let Ok(Value::Object(fields)) = serde_json::to_value(reply) {
        body.extend(fields);
    }
    Response::json(200, &body)
}

fn unknown_pool(pool: &str) -> ApiError {
    ApiError::field(ErrorCode::UnknownPool, "pool", format!("no pool '{pool}'"))
}

fn internal(edge: &Edge, message: String) -> ApiError {
    edge.warn(format!("admin: {message}"));
    ApiError::new(ErrorCode::Internal, message)
}

/// Reads and normalises one E.164 field.
fn e164(field: &str, value: &Value) -> Result<E164, ApiError> {
    let text = value.as_str().ok_or_else(|| {
        ApiError::field(
            ErrorCode::InvalidNumber,
            field,
            "expected an E.164 string like \"+14155550132\"",
        )
    })?;
    E164::parse(text).map_err(|e| ApiError::field(ErrorCode::InvalidNumber, field, e))
}

/// A validated `PUT /v1/pools/{pool}` body: the settings and the numbers the
/// pool claims in the directory (pool numbers and the overflow number).
pub struct PoolBody {
    /// Configuration, display strings and style, every number in E.164.
    pub settings: PoolSettings,
    /// Numbers the pool owns exclusively (the fallback may be shared).
    pub claimed: Vec<String>,
}

/// Parses and validates the body of `PUT /v1/pools/{pool}` (also what
/// `ringmark backtest` reads): numbers normalised to E.164, the style and
/// display strings checked, the allocator configuration validated.
pub fn pool_body(body: &[u8]) -> Result<PoolBody, ApiError> {
    let mut object: Map<String, Value> = match parse_json::<Value>(body)? {
        Value::Object(map) => map,
        _ => {
            return Err(ApiError::new(
                ErrorCode::BadJson,
                "body: expected a JSON object",
            ));
        }
    };
    let style: Style = match object.remove("style") {
        Some(v) => serde_json::from_value(v)
            .map_err(|e| ApiError::field(ErrorCode::BadJson, "style", e))?,
        None => Style::default(),
    };
    style
        .validate()
        .map_err(|e| ApiError::field(ErrorCode::InvalidField, "style", e))?;
    let format: DisplayFormat = match object.remove("display_format") {
        Some(v) => serde_json::from_value(v).map_err(|e| {
            ApiError::field(
                ErrorCode::BadJson,
                "display_format",
                format!("{e} (national or international)"),
            )
        })?,
        None => DisplayFormat::National,
    };
    let calls = call_settings(&mut object)?;
    let shards = match object.remove("shards") {
        None | Some(Value::Null) => 1,
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|&n| crate::shard::valid_shards(n))
            .ok_or_else(|| {
                ApiError::field(
                    ErrorCode::InvalidField,
                    "shards",
                    format!(
                        "must be a power of two from 1 to {} (about one shard per 150,000 recipients a send has, rounded up), not {v}",
                        crate::shard::MAX_SHARDS
                    ),
                )
            })?,
    };
    let given: BTreeMap<String, String> = match object.remove("displays") {
        Some(v) => serde_json::from_value(v)
            .map_err(|e| ApiError::field(ErrorCode::BadJson, "displays", e))?,
        None => BTreeMap::new(),
    };

    // Normalise every number to E.164 before the allocator sees it.
    let mut numbers = Vec::new();
    match object.get_mut("numbers") {
        Some(Value::Array(list)) if list.len() > MAX_POOL_NUMBERS => {
            return Err(ApiError::field(
                ErrorCode::InvalidField,
                "numbers",
                format!(
                    "at most {MAX_POOL_NUMBERS} numbers per pool (this has {}); split a larger send across pools",
                    list.len()
                ),
            ));
        }
        Some(Value::Array(list)) => {
            for (i, v) in list.iter_mut().enumerate() {
                let n = e164(&format!("numbers[{i}]"), v)?;
                *v = json!(n.as_str());
                numbers.push(n);
            }
        }
        Some(_) => {
            return Err(ApiError::field(
                ErrorCode::BadJson,
                "numbers",
                "expected an array of E.164 strings",
            ));
        }
        None => return Err(ApiError::field(ErrorCode::BadJson, "numbers", "missing")),
    }
    if numbers.len() < shards as usize {
        return Err(ApiError::field(
            ErrorCode::InvalidField,
            "shards",
            format!(
                "{shards} shards need at least {shards} numbers (each shard owns its own), this pool has {}",
                numbers.len()
            ),
        ));
    }
    // The pool's own numbers are claimed in the directory; the fallback may be shared.
    let mut claimed: Vec<String> = numbers.iter().map(|n| n.as_str().to_owned()).collect();
    match object.get_mut("fallback") {
        Some(v) => {
            let n = e164("fallback", v)?;
            *v = json!(n.as_str());
            numbers.push(n);
        }
        None => return Err(ApiError::field(ErrorCode::BadJson, "fallback", "missing")),
    }
    if let Some(v) = object
        .get_mut("exhaustion")
        .and_then(|e| e.get_mut("overflow"))
        .and_then(|o| o.get_mut("number"))
    {
        let n = e164("exhaustion.overflow.number", v)?;
        *v = json!(n.as_str());
        claimed.push(n.as_str().to_owned());
        numbers.push(n);
    }
    let config: PoolConfig = serde_json::from_value(Value::Object(object))
        .map_err(|e| ApiError::new(ErrorCode::BadJson, format!("body: {e}")))?;
    config
        .validate()
        .map_err(|e| ApiError::new(ErrorCode::InvalidField, e.to_string()))?;

    let mut displays = BTreeMap::new();
    for n in &numbers {
        let display = given
            .get(n.as_str())
            .cloned()
            .unwrap_or_else(|| ringmark_phone::display(n, format));
        displays.insert(n.as_str().to_owned(), display);
    }
    for key in given.keys() {
        if !displays.contains_key(key) {
            return Err(ApiError::field(
                ErrorCode::InvalidField,
                format!("displays.{key}"),
                "is not a number of this pool",
            ));
        }
    }
    // Every display string is drawn later, at an open, where a failure could only
    // show a neutral image: check each now with the renderer's own rules.
    for (number, display) in &displays {
        ringmark_render::validate_display(display).map_err(|e| {
            ApiError::field(ErrorCode::InvalidField, format!("displays.{number}"), e)
        })?;
    }
    if let Some(forward_to) = &calls.forward_to
        && numbers.iter().any(|n| n.as_str() == forward_to)
    {
        return Err(ApiError::field(
            ErrorCode::InvalidField,
            "forward_to",
            "is one of the pool's own numbers (calls would loop)",
        ));
    }
    Ok(PoolBody {
        settings: PoolSettings {
            config,
            displays,
            style,
            calls,
            // The pool object sets it on the first configuration.
            created_at: None,
            shards,
            shard: 0,
        },
        claimed,
    })
}

/// Longest whisper, characters (a few seconds of speech; Twilio's `<Say>` takes 4,096).
pub const MAX_WHISPER_CHARS: usize = 500;

/// Takes the live-call fields out of a pool body (`forward_to`, `whisper`,
/// `record`, `rules`, `currency`) and validates them, naming the field.
fn call_settings(object: &mut Map<String, Value>) -> Result<CallSettings, ApiError> {
    let mut calls = CallSettings::default();
    if let Some(v) = object.remove("forward_to").filter(|v| !v.is_null()) {
        calls.forward_to = Some(e164("forward_to", &v)?.as_str().to_owned());
    }
    if let Some(v) = object.remove("whisper").filter(|v| !v.is_null()) {
        let text = v
            .as_str()
            .ok_or_else(|| ApiError::field(ErrorCode::BadJson, "whisper", "expected a string"))?;
        if text.trim().is_empty() || text.chars().count() > MAX_WHISPER_CHARS {
            return Err(ApiError::field(
                ErrorCode::InvalidField,
                "whisper",
                format!("must be 1 to {MAX_WHISPER_CHARS} characters"),
            ));
        }
        calls.whisper = Some(text.to_owned());
    }
    if let Some(v) = object.remove("record").filter(|v| !v.is_null()) {
        calls.record = v.as_bool().ok_or_else(|| {
            ApiError::field(ErrorCode::BadJson, "record", "expected true or false")
        })?;
    }
    if let Some(v) = object.remove("currency").filter(|v| !v.is_null()) {
        let code = v.as_str().unwrap_or_default();
        crate::calls::Currency::parse(code)
            .map_err(|e| ApiError::field(ErrorCode::InvalidField, "currency", e))?;
        calls.currency = Some(code.to_owned());
    }
    if let Some(v) = object.remove("rules").filter(|v| !v.is_null()) {
        crate::calls::Rules::from_value(&v, "rules", calls.currency())?;
        calls.rules = v;
    }
    Ok(calls)
}

/// `PUT /v1/pools/{pool}`: validates everything, then claims the numbers in
/// the directory and configures the pool.
fn put_pool(pool: String, body: &[u8]) -> Result<Step, ApiError> {
    let PoolBody { settings, claimed } = pool_body(body)?;
    let config = &settings.config;
    let quarantine_seconds = config.quarantine_seconds as i64;
    let fallback = config.fallback.clone();
    // The overflow number is shown by every shard: routed to the pool, dealt to none.
    let shared = config
        .overflow_number()
        .map(str::to_owned)
        .into_iter()
        .collect();
    let shards = settings.shards;
    let settings = Box::new(settings);
    Ok(forward(
        Target::Directory,
        &DirectoryCommand::Claim {
            pool: pool.clone(),
            numbers: claimed,
            fallback,
            quarantine_seconds,
            shards,
            shared,
        },
        Cont::PutClaimed { pool, settings },
    ))
}

/// A request for tokens, waiting for the pool to confirm it exists.
#[derive(Debug)]
pub(super) struct TokenJob {
    pool: String,
    campaign: String,
    recipients: Vec<String>,
    origin: String,
    /// The pool's shard count, carried in its tokens (1: none).
    shards: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    campaign: String,
    recipients: Vec<String>,
}

#[derive(Serialize)]
struct IssuedToken {
    recipient: String,
    token: String,
    open: String,
    number: String,
    click: String,
}

impl TokenJob {
    /// `(recipient, token)` for every recipient.
    fn rows(&self, edge: &Edge) -> Result<Vec<(String, String)>, ApiError> {
        let keys = edge.keys.as_ref().map_err(|e| {
            ApiError::new(
                ErrorCode::Misconfigured,
                format!("RINGMARK_SIGNING_KEY: {e}"),
            )
        })?;
        self.recipients
            .iter()
            .map(|recipient| {
                let claims = Claims {
                    pool: self.pool.clone(),
                    campaign: self.campaign.clone(),
                    recipient: recipient.clone(),
                };
                keys.sign_with_shards(&claims, self.shards)
                    .map(|token| (recipient.clone(), token))
                    .map_err(|e| ApiError::new(ErrorCode::InvalidField, e.to_string()))
            })
            .collect()
    }

    fn sign(&self, edge: &Edge) -> Result<Response, ApiError> {
        let tokens: Vec<IssuedToken> = self
            .rows(edge)?
            .into_iter()
            .map(|(recipient, token)| IssuedToken {
                recipient,
                open: format!("{}/o/{token}.gif", self.origin),
                number: format!("{}/n/{token}.png", self.origin),
                click: format!("{}/c/{token}", self.origin),
                token,
            })
            .collect();
        Ok(Response::json(
            200,
            &json!({ "pool": self.pool, "campaign": self.campaign, "tokens": tokens }),
        ))
    }
}

/// `POST /v1/pools/{pool}/tokens`.
fn tokens(edge: &Edge, pool: String, request: &Request) -> Result<Step, ApiError> {
    let body: TokenRequest = parse_json(&request.body)?;
    let job = token_job(
        edge,
        &pool,
        body.campaign,
        body.recipients,
        edge.issuing_origin(request),
    )?;
    Ok(pool_job(pool, PoolJob::Tokens(Box::new(job))))
}

/// Validates a campaign and its recipients before anything is signed.
fn token_job(
    edge: &Edge,
    pool: &str,
    campaign: String,
    recipients: Vec<String>,
    origin: &str,
) -> Result<TokenJob, ApiError> {
    // U+0001 is refused: no id a person is known by has it, and ids starting
    // with it are how the pool marks a recipient it was asked to forget
    // (`ringmark_pool::ERASED`).
    let check = |field: String, value: &str| {
        if value.is_empty() || value.len() > MAX_FIELD_LEN {
            Err(ApiError::field(
                ErrorCode::InvalidField,
                field,
                format!("must be 1 to {MAX_FIELD_LEN} bytes"),
            ))
        } else if value.contains('\u{1}') {
            Err(ApiError::field(
                ErrorCode::InvalidField,
                field,
                "must not contain the control character U+0001",
            ))
        } else {
            Ok(())
        }
    };
    check("campaign".into(), &campaign)?;
    if recipients.is_empty() || recipients.len() > MAX_RECIPIENTS {
        return Err(ApiError::field(
            ErrorCode::InvalidField,
            "recipients",
            format!("must hold 1 to {MAX_RECIPIENTS} recipient ids"),
        ));
    }
    for (i, r) in recipients.iter().enumerate() {
        check(format!("recipients[{i}]"), r)?;
    }
    if let Err(e) = &edge.keys {
        return Err(ApiError::new(
            ErrorCode::Misconfigured,
            format!("RINGMARK_SIGNING_KEY: {e}"),
        ));
    }
    Ok(TokenJob {
        pool: pool.to_owned(),
        campaign,
        recipients,
        origin: origin.to_owned(),
        shards: 1,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CallRequest {
    to: Value,
    #[serde(default)]
    from: Option<Value>,
    at: Value,
    #[serde(default)]
    duration: Option<Value>,
}

/// Longest call `duration` accepted, seconds (a day).
pub const MAX_CALL_DURATION: u32 = 86_400;

/// `POST /v1/calls`: normalises the call, then asks the directory for its pool.
fn call(edge: &Edge, request: &Request) -> Result<Step, ApiError> {
    let body: CallRequest = parse_json(&request.body)?;
    let to = e164("to", &body.to)?;
    let from = match &body.from {
        None | Some(Value::Null) => None,
        Some(v) => Some(e164("from", v)?.as_str().to_owned()),
    };
    let at = crate::timestamp::parse(&body.at)
        .and_then(|at| crate::timestamp::check_recent(at, edge.now()).map(|()| at))
        .map_err(|e| ApiError::field(ErrorCode::InvalidField, "at", e))?;
    let duration = match &body.duration {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .and_then(|d| u32::try_from(d).ok())
                .filter(|&d| d <= MAX_CALL_DURATION)
                .ok_or_else(|| {
                    ApiError::field(
                        ErrorCode::InvalidField,
                        "duration",
                        format!("must be whole seconds from 0 to {MAX_CALL_DURATION}"),
                    )
                })?,
        ),
    };
    let call = Call {
        to: to.as_str().to_owned(),
        from,
        at,
        duration,
    };
    let call_id = reported_call_id(&call);
    Ok(forward(
        Target::Directory,
        &DirectoryCommand::RouteCall {
            number: call.to.clone(),
            call_id: call_id.clone(),
            at,
        },
        Cont::CallLookup { call, call_id },
    ))
}

/// How a report is answered.
#[derive(Debug)]
pub(super) enum ReportFormat {
    /// The figures as JSON.
    Json,
    /// One row per recipient (CSV).
    Csv,
    /// Google Ads' offline call-conversion import (CSV), with this conversion name.
    GoogleAds(String),
}

impl ReportFormat {
    fn render(&self, pool: &str, reply: &ReportReply) -> Response {
        let csv = |body: String, name: &str| {
            Response::new(200, "text/csv; charset=utf-8", body).with_header(
                "content-disposition",
                &format!(
                    "attachment; filename=\"{}\"",
                    format!("{pool}-{}-{name}.csv", reply.summary.campaign).replace(
                        |c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '.' && c != '_',
                        "_"
                    )
                ),
            )
        };
        match self {
            ReportFormat::Json => {
                Response::json(200, &json!({ "pool": pool, "report": reply.summary }))
            }
            ReportFormat::Csv => csv(
                crate::reports::recipients_csv(&reply.recipients),
                "recipients",
            ),
            ReportFormat::GoogleAds(name) => csv(
                crate::reports::google_ads_csv(&reply.summary.campaign, &reply.calls, name),
                "google-ads",
            ),
        }
    }
}

/// Longest Google Ads conversion name (Google's limit).
pub const MAX_CONVERSION_NAME: usize = 100;

/// `GET /v1/pools/{pool}/report?campaign=…[&format=csv|google-ads][&conversion_name=…]`.
fn report(pool: String, request: &Request) -> Result<Step, ApiError> {
    let query = request.url.split_once('?').map_or("", |(_, q)| q);
    let mut params: BTreeMap<String, String> = BTreeMap::new();
    for pair in query
        .split('#')
        .next()
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(key).unwrap_or_default();
        let value = percent_decode(&value.replace('+', " ")).unwrap_or_default();
        if !matches!(key.as_str(), "campaign" | "format" | "conversion_name") {
            return Err(ApiError::field(
                ErrorCode::BadJson,
                key,
                "unknown report parameter (known: campaign, format, conversion_name)",
            ));
        }
        if params.insert(key.clone(), value).is_some() {
            return Err(ApiError::field(ErrorCode::BadJson, key, "given twice"));
        }
    }
    let campaign = params.remove("campaign").unwrap_or_default();
    if campaign.is_empty() || campaign.len() > MAX_FIELD_LEN {
        return Err(ApiError::field(
            ErrorCode::InvalidField,
            "campaign",
            format!("required, 1 to {MAX_FIELD_LEN} bytes"),
        ));
    }
    let name = params
        .remove("conversion_name")
        .unwrap_or_else(|| "ringmark call".to_owned());
    if name.trim().is_empty() || name.chars().count() > MAX_CONVERSION_NAME {
        return Err(ApiError::field(
            ErrorCode::InvalidField,
            "conversion_name",
            format!("1 to {MAX_CONVERSION_NAME} characters"),
        ));
    }
    let (format, detail) = match params.remove("format").as_deref() {
        None | Some("json") => (ReportFormat::Json, ReportDetail::Summary),
        Some("csv") => (ReportFormat::Csv, ReportDetail::Recipients),
        Some("google-ads") => (ReportFormat::GoogleAds(name), ReportDetail::Conversions),
        Some(_) => {
            return Err(ApiError::field(
                ErrorCode::InvalidField,
                "format",
                "json, csv or google-ads",
            ));
        }
    };
    Ok(pool_job(
        pool,
        PoolJob::Report {
            campaign,
            detail,
            format,
        },
    ))
}

/// Pools listed per page of `GET /v1/pools`.
pub const POOLS_PER_PAGE: usize = 100;

/// `GET /v1/pools[?after=name]`: every pool the directory knows, with its
/// figures (each pool's object asked at once), a page at a time.
fn list_pools(request: &Request) -> Result<Step, ApiError> {
    let query = request.url.split_once('?').map_or("", |(_, q)| q);
    let mut after = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("after", v)) => {
                let v = percent_decode(v)
                    .filter(|p| valid_pool_id(p))
                    .ok_or_else(|| {
                        ApiError::field(ErrorCode::InvalidField, "after", "not a pool id")
                    })?;
                after = Some(v);
            }
            _ => {
                return Err(ApiError::field(
                    ErrorCode::BadJson,
                    pair.split('=').next().unwrap_or(pair),
                    "unknown parameter (known: after)",
                ));
            }
        }
    }
    Ok(forward(
        Target::Directory,
        &DirectoryCommand::Pools {
            after,
            limit: POOLS_PER_PAGE,
        },
        Cont::PoolList,
    ))
}

/// The answer of `GET /v1/pools`: one summary per pool whose state came back
/// (`results` holds two per pool: its state, then its campaigns).
pub(super) fn pools_listed(
    edge: &Edge,
    names: Vec<(String, u32)>,
    more: bool,
    results: Vec<EffectResult>,
) -> Step {
    let mut summaries = Vec::new();
    let mut results = results.into_iter();
    for (pool, shards) in &names {
        // A sharded pool: each shard's state and campaigns, summed.
        let (mut states, mut lines) = (Vec::new(), Vec::new());
        for _ in 0..*shards {
            let (Some(state), Some(campaigns)) = (results.next(), results.next()) else {
                break;
            };
            states.push(state.answer::<PoolState>());
            lines.push(campaigns);
        }
        let state = match states.into_iter().collect::<Result<Vec<_>, _>>() {
            Ok(states) => super::shards::state(states)
                .ok_or_else(|| ObjectError::new(ObjectErrorCode::Internal, "no shard answered")),
            Err(e) => Err(e),
        };
        let campaigns = match lines
            .iter()
            .map(EffectResult::answer::<Vec<CampaignLine>>)
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(per_shard) => EffectResult {
                status: 200,
                body: crate::protocol::Answer::Ok(super::shards::campaigns(per_shard)).to_json(),
            },
            Err(e) => EffectResult {
                status: 200,
                body: crate::protocol::Answer::<()>::Error(e).to_json(),
            },
        };
        match state {
            Ok(state) => {
                // A pool that answered its state but not its campaigns is still listed.
                let campaigns = campaigns.answer::<Vec<CampaignLine>>().unwrap_or_else(|e| {
                    edge.warn(format!("pool list: pool {pool} campaigns: {e}"));
                    Vec::new()
                });
                summaries.push(pool_summary(pool, &state, &campaigns));
            }
            // Numbers still routed to a purged pool: the directory lists it, the pool is gone.
            Err(e) if e.code == ObjectErrorCode::UnknownPool => {}
            Err(e) => {
                edge.warn(format!("pool list: pool {pool} did not answer: {e}"));
                summaries.push(json!({ "pool": pool, "error": e.message }));
            }
        }
    }
    let next = if more {
        names.last().map(|(name, _)| name.clone())
    } else {
        None
    };
    respond(Ok(Response::json(
        200,
        &json!({ "pools": summaries, "more": more, "next_after": next }),
    )))
}

/// A pool's line in `GET /v1/pools`.
fn pool_summary(pool: &str, state: &PoolState, campaigns: &[CampaignLine]) -> Value {
    let mut summary = json!({
        "pool": pool,
        "created_at": state.created_at,
        "campaigns": campaigns.iter().map(|c| c.campaign.as_str()).collect::<Vec<_>>(),
        "numbers": state.config.numbers.len(),
        "fallback": state.config.fallback,
        "utilisation": state.live.utilisation,
        "pressure": state.live.pressure,
        "exclusive": state.live.exclusive,
        "holders": state.live.holders,
        "calls": state.live.calls,
        "opens": {"total": state.opens.total, "human": state.opens.human, "machine": state.opens.machine},
        "exhaustions": state.live.exhaustions,
        "deleted": state.deleted,
    });
    // A sharded pool's line is the sum over its shards, and says how many.
    if state.shards > 1
        && let Some(line) = summary.as_object_mut()
    {
        line.insert("shards".into(), json!(state.shards));
    }
    summary
}

/// A call id from the path.
fn parse_call_id(segment: &str) -> Result<CallId, ApiError> {
    percent_decode(segment)
        .and_then(|id| CallId::parse(&id).ok())
        .ok_or_else(|| {
            ApiError::field(
                ErrorCode::InvalidField,
                "call_id",
                "not a call id (a Twilio CallSid or the call_id POST /v1/calls answered)",
            )
        })
}

/// The id of a call reported to `POST /v1/calls`: derived from what the call
/// is (dialled number, caller, start), so reporting the same call twice gives
/// the same id and records it once.
fn reported_call_id(call: &Call) -> CallId {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    hash.update(call.to.as_bytes());
    hash.update([0]);
    hash.update(call.from.as_deref().unwrap_or("").as_bytes());
    hash.update([0]);
    hash.update(call.at.to_be_bytes());
    let digest = hash.finalize();
    let mut bytes = [0u8; 16];
    for (b, d) in bytes.iter_mut().zip(digest.iter()) {
        *b = *d;
    }
    CallId::generate(bytes)
}

/// `POST /v1/calls/{call_id}/outcome`: sets (or corrects) a call's outcome by
/// hand; a manual outcome beats the pool's rules.
fn set_outcome(call_id: &str, request: &Request) -> Result<Step, ApiError> {
    let call_id = parse_call_id(call_id)?;
    // Validated here, so a bad body touches no object.
    crate::calls::ManualOutcome::parse(&request.body)?;
    let outcome: Value = parse_json(&request.body)?;
    Ok(forward(
        Target::Directory,
        &DirectoryCommand::FindCall {
            call_id: call_id.clone(),
        },
        Cont::OutcomeFound { call_id, outcome },
    ))
}

/// The attribution answer: the best candidate's facts at the top, then all
/// candidates. A candidate forgotten on request keeps its place and score with
/// `recipient: null`.
fn attribution_body(pool: &str, attribution: &Attribution) -> Value {
    let best = attribution.candidates.first();
    let named = |r: &String| (!ringmark_pool::is_erased(r)).then(|| r.clone());
    let mut body = Map::new();
    body.insert("pool".into(), json!(pool));
    body.insert("campaign".into(), json!(best.map(|c| &c.campaign)));
    body.insert(
        "recipient".into(),
        json!(best.and_then(|c| named(&c.recipient))),
    );
    body.insert("device".into(), json!(best.map(|c| &c.device)));
    body.insert("lease_state".into(), json!(best.map(|c| &c.state)));
    if let Ok(Value::Object(mut fields)) = serde_json::to_value(attribution) {
        if let Some(Value::Array(candidates)) = fields.get_mut("candidates") {
            for (candidate, c) in candidates.iter_mut().zip(&attribution.candidates) {
                if let Some(slot) = candidate.get_mut("recipient") {
                    *slot = json!(named(&c.recipient));
                }
            }
        }
        body.extend(fields);
    }
    Value::Object(body)
}

/// What a sizing parameter may hold.
#[derive(Clone, Copy)]
enum Range {
    /// A whole number in `min..=max`.
    Whole(u64, u64),
    /// A real number in `min..=max`.
    Real(f64, f64),
}

/// Most recipients a sizing query may name: beyond every real send, and the
/// sizing maths' work is bounded whatever the count (`MAX_POOL` numbers).
pub const MAX_SIZING_RECIPIENTS: u64 = 100_000_000;
/// Longest lease or attribution window a sizing query may name, seconds (366 days;
/// the open curve is flat after 30).
pub const MAX_SIZING_SECONDS: u64 = 366 * 86_400;
/// Longest send spread a sizing query may name, hours (30 days).
pub const MAX_SPREAD_HOURS: f64 = 720.0;

/// Every parameter of the sizing query and its range (the fields of
/// `ringmark_pool::sizing::SizingInput`).
const SIZING_FIELDS: [(&str, Range); 9] = [
    ("recipients", Range::Whole(1, MAX_SIZING_RECIPIENTS)),
    ("human_open_rate", Range::Real(0.0, 1.0)),
    ("send_spread_hours", Range::Real(0.0, MAX_SPREAD_HOURS)),
    ("lease_seconds", Range::Whole(1, MAX_SIZING_SECONDS)),
    ("target_exhaustion", Range::Real(0.0, 1.0)),
    (
        "attribution_window_seconds",
        Range::Whole(1, MAX_SIZING_SECONDS),
    ),
    (
        "pool_size",
        Range::Whole(0, ringmark_pool::sizing::MAX_POOL as u64),
    ),
    (
        "live_leases",
        Range::Whole(0, ringmark_pool::sizing::MAX_POOL as u64),
    ),
    ("target_correct", Range::Real(0.5, 1.0)),
];

/// Checks one sizing parameter against its range, as the JSON value the sizing
/// input is read from.
fn sizing_value(key: &str, range: Range, number: &serde_json::Number) -> Result<Value, ApiError> {
    let f = number.as_f64().filter(|f| f.is_finite());
    match range {
        Range::Whole(min, max) => number
            .as_u64()
            .or_else(|| {
                // 1e5 is a whole number written as a float.
                f.filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= max as f64)
                    .map(|f| f as u64)
            })
            .filter(|n| (min..=max).contains(n))
            .map(Value::from)
            .ok_or_else(|| {
                ApiError::field(
                    ErrorCode::InvalidField,
                    key,
                    format!("must be a whole number from {min} to {max}, not {number}"),
                )
            }),
        Range::Real(min, max) => f
            .filter(|f| (min..=max).contains(f))
            .map(Value::from)
            .ok_or_else(|| {
                ApiError::field(
                    ErrorCode::InvalidField,
                    key,
                    format!("must be a number from {min} to {max}, not {number}"),
                )
            }),
    }
}

/// `GET /v1/pools/{pool}/sizing?recipients=…`: the query becomes the sizing input.
/// Every parameter is range-checked (an unknown or repeated one is refused), so
/// the work the report takes stays bounded.
fn sizing(pool: String, request: &Request) -> Result<Step, ApiError> {
    let query = request.url.split_once('?').map_or("", |(_, q)| q);
    let query = query.split('#').next().unwrap_or_default();
    let mut input = Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(key).unwrap_or_default();
        let value = percent_decode(value).unwrap_or_default();
        let Some(&(_, range)) = SIZING_FIELDS.iter().find(|(name, _)| *name == key) else {
            let known: Vec<&str> = SIZING_FIELDS.iter().map(|(name, _)| *name).collect();
            return Err(ApiError::field(
                ErrorCode::BadJson,
                key,
                format!("unknown sizing parameter (known: {})", known.join(", ")),
            ));
        };
        if input.contains_key(&key) {
            return Err(ApiError::field(
                ErrorCode::BadJson,
                key,
                "given twice (each parameter may appear once)",
            ));
        }
        // Parsed as a JSON number so integers stay integers.
        let number: serde_json::Number = serde_json::from_str(&value).map_err(|_| {
            ApiError::field(ErrorCode::InvalidField, key.clone(), "expected a number")
        })?;
        let value = sizing_value(&key, range, &number)?;
        input.insert(key, value);
    }
    if !input.contains_key("recipients") {
        return Err(ApiError::field(
            ErrorCode::BadJson,
            "recipients",
            "missing (how many recipients the send has)",
        ));
    }
    let input = Value::Object(input);
    // Fail fast on a bad query, before touching the pool.
    sizing_input(input.clone())?;
    Ok(pool_job(pool, PoolJob::Sizing { input }))
}

fn sizing_input(input: Value) -> Result<ringmark_pool::sizing::SizingInput, ApiError> {
    serde_json::from_value(input)
        .map_err(|e| ApiError::new(ErrorCode::BadJson, format!("query: {e}")))
}

fn sizing_report(pool: &str, mut input: Value, state: &PoolState) -> Result<Response, ApiError> {
    let live = &state.live;
    // What the query leaves out comes from the pool itself: its lease length,
    // its leasable numbers and its live exclusive leases (held to the query's
    // ranges: a pool may lease for longer than the sizing maths looks).
    if let Some(map) = input.as_object_mut() {
        let leases = u64::from(live.exclusive).saturating_add(u64::from(live.shared));
        for (key, value) in [
            ("lease_seconds", u64::from(state.config.lease_seconds)),
            ("pool_size", u64::from(live.leasable)),
            ("live_leases", leases),
        ] {
            let range = SIZING_FIELDS
                .iter()
                .find(|(name, _)| *name == key)
                .map(|&(_, range)| range);
            if let Some(Range::Whole(min, max)) = range {
                map.entry(key).or_insert(json!(value.clamp(min, max)));
            }
        }
    }
    let input = sizing_input(input)?;
    let report = ringmark_pool::sizing::recommend(&input);
    Ok(Response::json(
        200,
        &json!({ "pool": pool, "input": input, "recommendation": report, "live": live }),
    ))
}

/// A snippet request, waiting for the pool's settings (fallback number and style).
#[derive(Debug)]
pub(super) struct SnippetJob {
    pool: String,
    platform: Platform,
    base_url: String,
    tokens: Option<TokenJob>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SnippetRequest {
    #[serde(default = "default_platform")]
    platform: Platform,
    #[serde(default)]
    base_url: Option<String>,
    #[serde(default)]
    campaign: Option<String>,
    #[serde(default)]
    recipients: Option<Vec<String>>,
}

fn default_platform() -> Platform {
    Platform::Plain
}

/// `POST /v1/pools/{pool}/snippet`: the email HTML for a platform, and with
/// `campaign` + `recipients`, the CSV of tokens to upload as its merge field.
fn snippet(edge: &Edge, pool: String, request: &Request) -> Result<Step, ApiError> {
    let body: SnippetRequest = parse_json(&request.body)?;
    let base_url = match body.base_url {
        Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
            url.trim_end_matches('/').to_owned()
        }
        Some(_) => {
            return Err(ApiError::field(
                ErrorCode::InvalidField,
                "base_url",
                "must start with https:// (or http://)",
            ));
        }
        // RINGMARK_BASE_URL when set, else the origin this request came in on.
        None => edge.issuing_origin(request).to_owned(),
    };
    let tokens = match (body.campaign, body.recipients) {
        (Some(campaign), Some(recipients)) => {
            let job = token_job(edge, &pool, campaign, recipients, &base_url)?;
            Some(job)
        }
        (None, None) => None,
        _ => {
            return Err(ApiError::new(
                ErrorCode::InvalidField,
                "campaign and recipients go together (both for a CSV, neither for HTML only)",
            ));
        }
    };
    // With recipients, the pool remembers them (for its reports), like the token API.
    let job = SnippetJob {
        pool: pool.clone(),
        platform: body.platform,
        base_url,
        tokens,
    };
    Ok(pool_job(pool, PoolJob::Snippet(Box::new(job))))
}

impl SnippetJob {
    fn write(&self, edge: &Edge, settings: &PoolSettings) -> Result<Response, ApiError> {
        let fallback = settings.config.fallback.as_str();
        let display = settings.display(fallback);
        let style = &settings.style;
        // Display strings are checked when a pool is saved; one stored before that
        // check existed may still be undrawable: name it, so a new PUT fixes it.
        let snippet =
            Snippet::new(&self.base_url, self.platform, &display, style).map_err(|e| {
                ApiError::field(
                    ErrorCode::InvalidField,
                    format!("displays.{fallback}"),
                    format!("{e} (the pool's stored display cannot be drawn: PUT the pool again)"),
                )
            })?;
        let (width, height) = (snippet.width, snippet.height);
        let html = snippet.html();
        let mut body = Map::new();
        body.insert("pool".into(), json!(self.pool));
        body.insert("platform".into(), json!(self.platform));
        body.insert("merge_field".into(), json!(self.platform.merge_field()));
        body.insert("csv_column".into(), json!(self.platform.csv_column()));
        body.insert("width".into(), json!(width));
        body.insert("height".into(), json!(height));
        body.insert("html".into(), json!(html));
        if let Some(job) = &self.tokens {
            let rows = job.rows(edge)?;
            body.insert(
                "csv".into(),
                json!(crate::snippet::csv(self.platform, &rows)),
            );
        }
        Ok(Response::json(200, &body))
    }
}

/// The object of shard `shard` of a pool of `shards` (the pool's own object
/// when it has one).
pub(super) fn shard_target(pool: &str, shard: u32, shards: u32) -> Target {
    Target::Pool(crate::shard::object_name(pool, shard, shards))
}

/// What an admin route asks of a pool, once the directory has said how many
/// shards it has: one pool object (as before shards existed), or each shard
/// and the answers summed ([`super::shards`]).
#[derive(Debug)]
pub(super) enum PoolJob {
    /// `GET /v1/pools/{pool}`.
    State,
    /// `DELETE /v1/pools/{pool}`.
    Delete,
    /// `GET /v1/pools/{pool}/campaigns`.
    Campaigns,
    /// `DELETE /v1/pools/{pool}/recipients/{id}`: the recipient's shard only.
    Forget { recipient: String },
    /// `GET /v1/pools/{pool}/report`.
    Report {
        campaign: String,
        detail: ReportDetail,
        format: ReportFormat,
    },
    /// `GET /v1/pools/{pool}/sizing`.
    Sizing { input: Value },
    /// `POST /v1/pools/{pool}/tokens`: each shard remembers its recipients.
    Tokens(Box<TokenJob>),
    /// `POST /v1/pools/{pool}/snippet`.
    Snippet(Box<SnippetJob>),
}

/// Asks the directory for the pool's shard count, then runs `job`.
fn pool_job(pool: String, job: PoolJob) -> Step {
    forward(
        Target::Directory,
        &DirectoryCommand::PoolShards { pool: pool.clone() },
        Cont::ShardsOf {
            pool,
            job: Box::new(job),
        },
    )
}

/// The `Issue` of a token job's recipients that hash to `shard` (`Settings`
/// when none does: every shard still confirms the pool exists).
fn issue(job: &TokenJob, shard: u32) -> PoolCommand {
    let recipients: Vec<String> = job
        .recipients
        .iter()
        .filter(|r| crate::shard::shard_of(r, job.shards) == shard)
        .cloned()
        .collect();
    if recipients.is_empty() {
        PoolCommand::Settings
    } else {
        PoolCommand::Issue {
            campaign: job.campaign.clone(),
            recipients,
        }
    }
}

/// Runs a pool job once the directory answered the pool's shard count.
pub(super) fn shards_of(edge: &Edge, pool: String, job: PoolJob, result: EffectResult) -> Step {
    let shards = match result.answer::<u32>() {
        Ok(shards) => shards.max(1),
        Err(e) => return respond(Err(refused(edge, &pool, e))),
    };
    if shards == 1 {
        // One object named by the pool: exactly as before shards existed.
        let target = Target::Pool(pool.clone());
        return match job {
            PoolJob::State => forward(target, &PoolCommand::State, Cont::PoolState { pool }),
            PoolJob::Delete => forward(target, &PoolCommand::Delete, Cont::Deleted { pool }),
            PoolJob::Campaigns => {
                forward(target, &PoolCommand::Campaigns, Cont::Campaigns { pool })
            }
            PoolJob::Forget { recipient } => forward(
                target,
                &PoolCommand::Forget { recipient },
                Cont::Forgot { pool },
            ),
            PoolJob::Report {
                campaign,
                detail,
                format,
            } => forward(
                target,
                &PoolCommand::Report { campaign, detail },
                Cont::Report { pool, format },
            ),
            PoolJob::Sizing { input } => {
                forward(target, &PoolCommand::State, Cont::Sizing { pool, input })
            }
            PoolJob::Tokens(job) => forward(target, &issue(&job, 0), Cont::Tokens(job)),
            PoolJob::Snippet(job) => {
                let command = job
                    .tokens
                    .as_ref()
                    .map_or(PoolCommand::Settings, |t| issue(t, 0));
                forward(target, &command, Cont::Snippet(job))
            }
        };
    }
    let each = |command: &PoolCommand| -> Vec<super::Effect> {
        (0..shards)
            .map(|shard| super::object(shard_target(&pool, shard, shards), command))
            .collect()
    };
    let mut job = job;
    let effects = match &mut job {
        PoolJob::Forget { recipient } => {
            let shard = crate::shard::shard_of(recipient, shards);
            return forward(
                shard_target(&pool, shard, shards),
                &PoolCommand::Forget {
                    recipient: std::mem::take(recipient),
                },
                Cont::Forgot { pool },
            );
        }
        PoolJob::State | PoolJob::Sizing { .. } => each(&PoolCommand::State),
        PoolJob::Delete => each(&PoolCommand::Delete),
        PoolJob::Campaigns => each(&PoolCommand::Campaigns),
        PoolJob::Report {
            campaign, detail, ..
        } => each(&PoolCommand::Report {
            campaign: campaign.clone(),
            detail: *detail,
        }),
        PoolJob::Tokens(job) => {
            job.shards = shards;
            (0..shards)
                .map(|shard| super::object(shard_target(&pool, shard, shards), &issue(job, shard)))
                .collect()
        }
        PoolJob::Snippet(job) => match job.tokens.as_mut() {
            Some(tokens) => {
                tokens.shards = shards;
                (0..shards)
                    .map(|shard| {
                        super::object(shard_target(&pool, shard, shards), &issue(tokens, shard))
                    })
                    .collect()
            }
            None => vec![super::object(
                shard_target(&pool, 0, shards),
                &PoolCommand::Settings,
            )],
        },
    };
    Step {
        response: None,
        effects,
        cont: Cont::Sharded {
            pool,
            job: Box::new(job),
        },
        log: Default::default(),
    }
}

/// Every shard's answer as `T`, or the first refusal.
fn answers<T: serde::de::DeserializeOwned>(
    results: &[EffectResult],
) -> Result<Vec<T>, ObjectError> {
    results.iter().map(EffectResult::answer::<T>).collect()
}

fn no_shard() -> ObjectError {
    ObjectError::new(ObjectErrorCode::Internal, "no shard answered")
}

/// A sharded pool's job, with every shard's answer (in shard order).
pub(super) fn sharded(edge: &Edge, pool: String, job: PoolJob, results: &[EffectResult]) -> Step {
    let state = |results: &[EffectResult]| {
        answers::<PoolState>(results)
            .and_then(|states| super::shards::state(states).ok_or_else(no_shard))
    };
    let refuse = |e: ObjectError| refused(edge, &pool, e);
    let result = match job {
        PoolJob::State => state(results)
            .map(|state| with_pool(&pool, &state))
            .map_err(refuse),
        PoolJob::Sizing { input } => state(results)
            .map_err(refuse)
            .and_then(|state| sizing_report(&pool, input, &state)),
        PoolJob::Campaigns => answers::<Vec<CampaignLine>>(results)
            .map(|per_shard| {
                let campaigns = super::shards::campaigns(per_shard);
                Response::json(200, &json!({ "pool": pool, "campaigns": campaigns }))
            })
            .map_err(refuse),
        PoolJob::Report { format, .. } => answers::<ReportReply>(results)
            .and_then(|replies| super::shards::report(replies).ok_or_else(no_shard))
            .map(|reply| format.render(&pool, &reply))
            .map_err(refuse),
        PoolJob::Delete => {
            return match answers::<Deletion>(results)
                .and_then(|d| super::shards::deletion(d).ok_or_else(no_shard))
            {
                Ok(deletion) => release(pool, deletion),
                Err(e) => respond(Err(refused(edge, &pool, e))),
            };
        }
        PoolJob::Tokens(job) => answers::<PoolSettings>(results)
            .map_err(refuse)
            .and_then(|_| job.sign(edge)),
        PoolJob::Snippet(job) => answers::<PoolSettings>(results)
            .and_then(|s| s.into_iter().next().ok_or_else(no_shard))
            .map_err(refuse)
            .and_then(|settings| job.write(edge, &settings)),
        PoolJob::Forget { .. } => Err(refuse(no_shard())),
    };
    respond(result)
}

/// A deleted pool's numbers go back to the directory, retired for the deletion's quarantine.
fn release(pool: String, deletion: Deletion) -> Step {
    forward(
        Target::Directory,
        &DirectoryCommand::Release {
            pool: pool.clone(),
            quarantine_seconds: deletion.quarantine_seconds,
        },
        Cont::Released { pool, deletion },
    )
}

/// Gives the directory back what a refused PUT's claim took, then answers `error`.
fn undo_claim(pool: String, claim: ClaimReply, error: ApiError) -> Step {
    forward(
        Target::Directory,
        &DirectoryCommand::Restore {
            pool,
            previous: claim.previous,
            added: claim.added,
            previous_fallback: claim.previous_fallback,
        },
        Cont::PutRestored { error },
    )
}

/// A sharded pool's PUT after the directory's claim: each shard is configured
/// with the numbers the directory dealt it. Each shard's configuration is
/// checked here first, so a shard that would refuse it (a shard left with too
/// few numbers for the pool's settings) undoes the claim before any shard is
/// written.
fn configure_shards(pool: String, settings: &PoolSettings, claim: ClaimReply) -> Step {
    let parts = super::shards::split(settings, &claim.shards, settings.shards);
    if let Some((shard, e)) = parts
        .iter()
        .find_map(|p| p.config.validate().err().map(|e| (p.shard, e)))
    {
        let error = ApiError::field(
            ErrorCode::InvalidField,
            "shards",
            format!("shard {shard} would refuse its numbers: {e}"),
        );
        return undo_claim(pool, claim, error);
    }
    let shards = settings.shards;
    Step {
        response: None,
        effects: parts
            .into_iter()
            .map(|part| {
                super::object(
                    shard_target(&pool, part.shard, shards),
                    &PoolCommand::Configure {
                        settings: Box::new(part),
                    },
                )
            })
            .collect(),
        cont: Cont::PutShardsConfigured {
            pool,
            claim,
            config: Box::new(settings.config.clone()),
        },
        log: Default::default(),
    }
}

/// Every shard took (or one refused) its configuration.
pub(super) fn shards_configured(
    edge: &Edge,
    pool: String,
    claim: ClaimReply,
    config: PoolConfig,
    results: &[EffectResult],
) -> Step {
    match answers::<Configured>(results) {
        Ok(configured) => {
            let stats: Vec<_> = configured.into_iter().map(|c| c.live).collect();
            let live = super::shards::stats(&stats, config.pressure_threshold);
            let shards = results.len();
            let mut response = with_pool(&pool, &Configured { config, live });
            if let Ok(mut body) = serde_json::from_slice::<Map<String, Value>>(&response.body) {
                body.insert("shards".into(), json!(shards));
                response = Response::json(200, &body);
            }
            respond(Ok(response))
        }
        Err(e) => {
            // Undo the claim; shards that took the configuration keep it (a
            // shard refuses only what the edge checked, so this is a shard
            // that could not be reached; the same PUT again repairs it).
            let error = refused(edge, &pool, e);
            undo_claim(pool, claim, error)
        }
    }
}

/// A call to a sharded pool's fallback or overflow number, after every shard
/// said who may have made it: stored in the shard with the best candidate,
/// at that shard's share of the pool.
pub(super) fn call_fanned(
    edge: &Edge,
    pool: String,
    shards: u32,
    call: Call,
    call_id: CallId,
    results: &[EffectResult],
) -> Step {
    let attributions: Vec<Option<Attribution>> = results
        .iter()
        .map(|r| r.answer::<Attribution>().ok())
        .collect();
    if attributions.iter().all(Option::is_none) {
        let e = results.first().map_or_else(no_shard, |r| {
            r.answer::<Attribution>().err().unwrap_or_else(no_shard)
        });
        return respond(Err(refused(edge, &pool, e)));
    }
    let best = super::shards::best_shard(&attributions);
    forward(
        shard_target(&pool, best, shards),
        &PoolCommand::Call {
            pool: pool.clone(),
            call,
            call_id: call_id.clone(),
            shards,
        },
        Cont::CallDone { pool, call_id },
    )
}

/// Asks every shard of a call's pool for a stored call (or to set its
/// outcome): the one that stored it answers, the others know no such call.
fn across_shards(route: &CallRoute, command: &PoolCommand, outcome: bool) -> Step {
    Step {
        response: None,
        effects: (0..route.shards)
            .map(|shard| super::object(shard_target(&route.pool, shard, route.shards), command))
            .collect(),
        cont: Cont::CallAcross {
            pool: route.pool.clone(),
            outcome,
        },
        log: Default::default(),
    }
}

/// The answer of the shard that has the call ([`super::shards::call_answer`]).
pub(super) fn call_across(
    edge: &Edge,
    pool: String,
    outcome: bool,
    results: Vec<EffectResult>,
) -> Step {
    let cont = if outcome {
        Cont::OutcomeSet { pool }
    } else {
        Cont::CallShown { pool }
    };
    resume(edge, cont, super::shards::call_answer(results))
}
