//! The `admin_api` target: sequences of `/v1/` requests with arbitrary JSON
//! bodies and query strings (mostly with the right bearer token) through
//! the [`Edge`] and real pool and directory engines.
//!
//! What must hold (README, "Admin API"):
//! - every answer is JSON; every non-2xx answer is
//!   `{"error": {"code", "message", …}}` with a documented code and the
//!   status the README gives that code; nothing panics;
//! - no answer is a 500: storage here never fails, so an internal error is
//!   a bug (a validated input the service then cannot handle);
//! - a refused request writes nothing: every engine answers as before and
//!   every store holds the same rows (a pool write the pool refuses is
//!   undone in the directory);
//! - a PUT that succeeds routes each of its numbers to the pool; issued
//!   tokens verify to what was asked; an attributed call names the pool
//!   the directory routes its number to;
//! - storage takes every write, and reloaded objects answer as before;
//! - `DELETE /v1/pools/{pool}` answers the deletion's schedule (the same one
//!   when repeated), retires the pool's numbers in the directory and stops
//!   routing its fallback to it; until its purge the pool still answers GET,
//!   with `deleted` set, refuses a PUT (409 `pool_deleted` once it is reached),
//!   and its number images answer the fallback (lease `fallback`) without
//!   recording an open or changing anything else; its alarm purges it exactly
//!   when its purge time has come, after which it is an unknown pool;
//! - every pool's `settings` answer agrees with its `state`, and an object
//!   handed a command it cannot read answers `bad_command` and changes nothing.
//!
//! [`Edge`]: ringmark::edge::Edge

use crate::json::{self, J, arm, one_in, word};
use crate::reference;
use crate::service::{ADMIN_TOKEN, BASE, Fired, SIGNING_KEY, Service, settle};
use crate::vocab::{self, FALLBACKS, NUMBERS, OVERFLOWS};
use arbitrary::{Arbitrary, Unstructured};
use ringmark::edge::{Target, valid_pool_id};
use ringmark::http::{Request, Response, percent_decode};
use ringmark::phone::E164;
use ringmark::protocol::{DirectoryCommand, ObjectErrorCode, PoolCommand};
use ringmark::render::PIXEL_GIF;
use ringmark::token::{Claims, Keyring};
use serde_json::Value;
use std::collections::BTreeMap;

/// What the target knows that the service must agree with: the pools it
/// deleted, each with `(deleted_at, purge_at)`, until their alarm purges them.
#[derive(Default)]
struct Model {
    deleted: BTreeMap<String, (i64, i64)>,
}

impl Model {
    /// Forgets the pools the alarms purged.
    fn fired(&mut self, fired: &[Fired]) {
        for f in fired.iter().filter(|f| f.purged) {
            let purge_at = self.deleted.remove(&f.pool).map(|(_, p)| p);
            assert!(
                purge_at.is_some_and(|p| p <= f.at),
                "pool {} purged at {} (deleted: {purge_at:?})",
                f.pool,
                f.at
            );
        }
    }
}

/// Error codes and the status the README documents for each.
const CODES: &[(&str, u16)] = &[
    ("unauthorized", 401),
    ("not_found", 404),
    ("unknown_pool", 404),
    ("unknown_number", 404),
    ("method_not_allowed", 405),
    ("bad_json", 400),
    ("invalid_field", 422),
    ("invalid_number", 422),
    ("conflict", 409),
    ("pool_deleted", 409),
    ("misconfigured", 500),
    ("internal", 500),
];

/// A pool id as it appears in a URL: mostly a few good ones.
fn pool_segment(u: &mut Unstructured) -> arbitrary::Result<String> {
    Ok(match u.int_in_range(0..=11u8)? {
        0..=3 => "p1".to_owned(),
        4 | 5 => "p2".to_owned(),
        6 => "p3".to_owned(),
        7 => (*u.choose(&[
            "%70%31",
            "bad%20name",
            "a.b_c-D9",
            "%",
            "%zz",
            "%C3%A9",
            "",
            "p1%2Ftokens",
            "0123456789012345678901234567890123456789012345678901234567890123",
            "01234567890123456789012345678901234567890123456789012345678901234",
        ])?)
        .to_owned(),
        _ => String::arbitrary(u)?,
    })
}

/// A number as a client might write it.
fn number(u: &mut Unstructured) -> arbitrary::Result<J> {
    let all = vocab::all_numbers();
    Ok(match arm(u, 9)? {
        0 => J::any(u, 1)?,
        1 => J::Str(word(u)?),
        2 => {
            // Visual separators the API accepts.
            let n = *u.choose(&all)?;
            let mut out = String::new();
            for c in n.chars() {
                out.push(c);
                if c.is_ascii_digit() && one_in(u, 4)? {
                    out.push(*u.choose(&[' ', '-', '.', '(', ')'])?);
                }
            }
            J::Str(out)
        }
        _ => J::Str((*u.choose(&all)?).to_owned()),
    })
}

/// Sometimes the expected value, sometimes any value.
macro_rules! or_any {
    ($u:expr, $j:expr) => {
        if one_in($u, 8)? { J::any($u, 2)? } else { $j }
    };
}

fn seconds(u: &mut Unstructured) -> arbitrary::Result<J> {
    Ok(or_any!(
        u,
        J::Int(*u.choose(&[3600, 1, 60, 86_400, 604_800, 3_888_000, 4_294_967_295, 0])?)
    ))
}

/// A pool body: the documented fields, in order or not, mostly valid (so
/// pools exist, overlap and conflict), now and then not.
fn pool_body(u: &mut Unstructured) -> arbitrary::Result<J> {
    let mut fields = Vec::new();
    if !one_in(u, 32)? {
        // A run of distinct tracking numbers from anywhere in the list: pools overlap.
        let start = u.choose_index(NUMBERS.len())?;
        let n = u.int_in_range(1..=4)?;
        let mut numbers: Vec<J> = (0..n)
            .map(|i| J::Str(NUMBERS[(start + i) % NUMBERS.len()].to_owned()))
            .collect();
        if one_in(u, 6)? {
            let at = u.int_in_range(0..=numbers.len())?;
            numbers.insert(at, number(u)?);
        }
        if one_in(u, 6)? {
            // Separators, as clients write them.
            let at = u.choose_index(numbers.len())?;
            if let J::Str(n) = &numbers[at]
                && NUMBERS.contains(&n.as_str())
            {
                numbers[at] = J::Str(format!("+1 ({}) {}-{}", &n[2..5], &n[5..8], &n[8..]));
            }
        }
        fields.push(("numbers".to_owned(), or_any!(u, J::Arr(numbers))));
    }
    if !one_in(u, 32)? {
        let fallback = match arm(u, 9)? {
            0 => number(u)?,
            1 => J::Str((*u.choose(&NUMBERS)?).to_owned()),
            _ => J::Str((*u.choose(&FALLBACKS)?).to_owned()),
        };
        fields.push(("fallback".to_owned(), fallback));
    }
    if !one_in(u, 32)? {
        fields.push(("lease_seconds".to_owned(), seconds(u)?));
    }
    // Shard counts: mostly valid (1, 2, 4), sometimes refused (not a power of two, too many, not
    // a count), so sharded pools meet every route, and changes of count meet their refusal.
    if one_in(u, 3)? {
        let shards = match arm(u, 8)? {
            0 => J::Int(u.int_in_range(0..=130)?),
            1 => or_any!(u, J::Int(2)),
            _ => J::Int(*u.choose(&[1, 2, 4])?),
        };
        fields.push(("shards".to_owned(), shards));
    }
    for key in [
        "max_lease_seconds",
        "tail_seconds",
        "quarantine_seconds",
        "attribution_window_seconds",
    ] {
        if one_in(u, 4)? {
            fields.push((key.to_owned(), seconds(u)?));
        }
    }
    if one_in(u, 3)? {
        let exhaustion = match u.int_in_range(0..=4u8)? {
            0 => J::Str(
                (*u.choose(&[
                    "shared_tail",
                    "fallback",
                    "steal_oldest_tail",
                    "share",
                    "overflow",
                ])?)
                .to_owned(),
            ),
            1 => {
                let overflow = if one_in(u, 4)? {
                    number(u)?
                } else {
                    J::Str((*u.choose(&OVERFLOWS)?).to_owned())
                };
                J::Obj(vec![(
                    "overflow".into(),
                    J::Obj(vec![("number".into(), overflow)]),
                )])
            }
            2 => J::Obj(vec![(
                "share".into(),
                J::Obj(vec![(
                    "max_holders".into(),
                    or_any!(u, J::Int(u.int_in_range(0..=5)?)),
                )]),
            )]),
            _ => J::any(u, 2)?,
        };
        fields.push(("exhaustion".to_owned(), exhaustion));
    }
    if one_in(u, 4)? {
        let reuse = match u.int_in_range(0..=2u8)? {
            0 => J::Str("lru".into()),
            1 => J::Obj(vec![(
                "random".into(),
                J::Obj(vec![(
                    "seed".into(),
                    or_any!(u, J::UInt(u64::arbitrary(u)?)),
                )]),
            )]),
            _ => J::any(u, 2)?,
        };
        fields.push(("reuse".to_owned(), reuse));
    }
    if one_in(u, 4)? {
        let t = or_any!(
            u,
            J::Float(*u.choose(&[0.0, 0.01, 0.5, 0.75, 1.0, 1.0000001, -0.5])?)
        );
        fields.push(("pressure_threshold".to_owned(), t));
    }
    if one_in(u, 3)? {
        let mut style = Vec::new();
        for (key, values) in [
            (
                "label",
                &[
                    "Call us",
                    "Bizi arayın",
                    "",
                    "☎ Call",
                    "Appelez-nous maintenant, s'il vous plaît, merci beaucoup",
                ][..],
            ),
            (
                "ink",
                &["#111827", "#fff", "#ffffff", "red", "#12345", "#FFFFFF"][..],
            ),
            ("paper", &["#ffffff", "#111827", "#fefefe"][..]),
            ("button", &["#15803d", "#ffffff", "#000"][..]),
            ("button_ink", &["#ffffff", "#15803d"][..]),
            ("shape", &["rounded", "pill", "square", "circle"][..]),
        ] {
            if one_in(u, 3)? {
                style.push((key.to_owned(), or_any!(u, J::Str(vocab::pick(u, values)?))));
            }
        }
        if one_in(u, 3)? {
            style.push((
                "font_px".to_owned(),
                or_any!(u, J::Int(u.int_in_range(10..=42)?)),
            ));
        }
        fields.push(("style".to_owned(), or_any!(u, J::Obj(style))));
    }
    if one_in(u, 5)? {
        let format = or_any!(
            u,
            J::Str((*u.choose(&["national", "international", "e164"])?).to_owned())
        );
        fields.push(("display_format".to_owned(), format));
    }
    if one_in(u, 5)? {
        let mut displays = Vec::new();
        for _ in 0..u.int_in_range(0..=3)? {
            let key = match number(u)? {
                J::Str(s) => s,
                _ => word(u)?,
            };
            let value = or_any!(
                u,
                J::Str(vocab::pick(
                    u,
                    &["(415) 555-0101", "415.555.0101", "", "Call ☎"]
                )?)
            );
            displays.push((key, value));
        }
        fields.push(("displays".to_owned(), or_any!(u, J::Obj(displays))));
    }
    // Shuffle a little: order must not matter.
    if fields.len() > 1 && one_in(u, 4)? {
        let i = u.choose_index(fields.len())?;
        let j = u.choose_index(fields.len())?;
        fields.swap(i, j);
    }
    Ok(J::Obj(fields))
}

fn recipients(u: &mut Unstructured) -> arbitrary::Result<J> {
    let n = match arm(u, 31)? {
        0 => 0,
        1 => 10_001,
        2 => 10_000,
        _ => u.int_in_range(1..=4)?,
    };
    let mut list = Vec::with_capacity(n);
    for i in 0..n {
        list.push(if n > 4 {
            J::Str(format!("r{i}"))
        } else {
            or_any!(
                u,
                J::Str(vocab::pick(u, &["a", "b", "c", "alice@example.com", ""])?)
            )
        });
    }
    Ok(or_any!(u, J::Arr(list)))
}

fn tokens_body(u: &mut Unstructured) -> arbitrary::Result<J> {
    let mut fields = vec![
        (
            "campaign".to_owned(),
            or_any!(u, J::Str(vocab::pick(u, &["c1", "c2", ""])?)),
        ),
        ("recipients".to_owned(), recipients(u)?),
    ];
    if one_in(u, 8)? {
        fields.remove(u.choose_index(2)?);
    }
    Ok(J::Obj(fields))
}

fn snippet_body(u: &mut Unstructured) -> arbitrary::Result<J> {
    let mut fields = Vec::new();
    if u.ratio(2, 3)? {
        let platform = vocab::pick(
            u,
            &[
                "mailchimp",
                "sendgrid",
                "klaviyo",
                "hubspot",
                "braze",
                "plain",
                "Mailchimp",
            ],
        )?;
        fields.push(("platform".to_owned(), or_any!(u, J::Str(platform))));
    }
    if one_in(u, 3)? {
        let base = vocab::pick(
            u,
            &[
                "https://t.example.com",
                "http://x/",
                "ftp://x",
                "https://",
                "https://t.example.com///",
            ],
        )?;
        fields.push(("base_url".to_owned(), or_any!(u, J::Str(base))));
    }
    if one_in(u, 2)? {
        fields.push((
            "campaign".to_owned(),
            J::Str(vocab::pick(u, &["c1", "c2", ""])?),
        ));
        if !one_in(u, 8)? {
            fields.push(("recipients".to_owned(), recipients(u)?));
        }
    }
    Ok(J::Obj(fields))
}

/// A call time near now: Unix seconds, a float, or RFC 3339 at some offset.
fn call_time(u: &mut Unstructured, now: i64) -> arbitrary::Result<J> {
    let delta = match arm(u, 5)? {
        0 => -(366 * 86_400) + u.int_in_range(-2..=2)?,
        1 => 86_400 + u.int_in_range(-2..=2)?,
        2 => json::int(u)?.wrapping_sub(now),
        _ => -u.int_in_range(0..=40 * 86_400)?,
    };
    let at = now.saturating_add(delta);
    Ok(match arm(u, 5)? {
        0 => J::Float(at as f64 + 0.5),
        1 | 2 => {
            let offset = *u.choose(&[0, 60, -300, 330, 23 * 60 + 59, -(23 * 60 + 59)])?;
            let fraction = *u.choose(&[None, Some("5"), Some("000000001")])?;
            let zulu = *u.choose(&['Z', 'z', '+'])?;
            match reference::format(at, offset, fraction, zulu) {
                Some(text) => J::Str(text),
                None => J::Int(at),
            }
        }
        3 => J::any(u, 1)?,
        _ => J::Int(at),
    })
}

fn call_body(u: &mut Unstructured, now: i64) -> arbitrary::Result<J> {
    let mut fields = vec![
        ("to".to_owned(), number(u)?),
        ("at".to_owned(), call_time(u, now)?),
    ];
    if one_in(u, 2)? {
        let from = if one_in(u, 2)? {
            J::Str((*u.choose(&["+12125550123", "+12125550124", "+442079460000"])?).to_owned())
        } else {
            number(u)?
        };
        fields.push(("from".to_owned(), from));
    }
    if one_in(u, 2)? {
        fields.push((
            "duration".to_owned(),
            or_any!(
                u,
                J::Int(*u.choose(&[0, 3, 4, 5, 95, 4_294_967_295, 4_294_967_296, -1])?)
            ),
        ));
    }
    Ok(J::Obj(fields))
}

fn sizing_query(u: &mut Unstructured) -> arbitrary::Result<String> {
    if one_in(u, 8)? {
        return String::arbitrary(u);
    }
    let mut pairs = Vec::new();
    if !one_in(u, 8)? {
        let recipients = *u.choose(&["100000", "1", "2000", "0", "5000000"])?;
        pairs.push(format!("recipients={recipients}"));
    }
    for _ in 0..u.int_in_range(0..=5)? {
        let key = vocab::pick(
            u,
            &[
                "recipients",
                "human_open_rate",
                "send_spread_hours",
                "lease_seconds",
                "target_exhaustion",
                "attribution_window_seconds",
                "pool_size",
                "live_leases",
                "target_correct",
                "nonsense",
            ],
        )?;
        let value = vocab::pick(
            u,
            &[
                "100000",
                "0",
                "1",
                "0.2",
                "0.5",
                "24",
                "7200",
                "-1",
                "1e3",
                "1e400",
                "NaN",
                "18446744073709551616",
                "4294967296",
                "0.0001",
                "1.0",
                "2",
                "100000000",
                "10000000000",
                "abc",
                "",
                "%31%30",
            ],
        )?;
        pairs.push(if one_in(u, 16)? {
            key
        } else {
            format!("{key}={value}")
        });
    }
    Ok(pairs.join("&"))
}

/// The bearer header: right nearly always.
fn auth(u: &mut Unstructured) -> arbitrary::Result<(Option<String>, bool)> {
    Ok(match u.int_in_range(0..=31u8)? {
        26 => (None, false),
        27 => (Some(format!("Bearer {ADMIN_TOKEN}x")), false),
        28 => (Some(format!("Basic {ADMIN_TOKEN}")), false),
        29 => (Some(String::arbitrary(u)?), false),
        30 => (Some(format!("bearer  {ADMIN_TOKEN} ")), true),
        31 => (Some(ADMIN_TOKEN[..ADMIN_TOKEN.len() - 1].to_owned()), false),
        _ => (Some(format!("Bearer {ADMIN_TOKEN}")), true),
    })
}

/// One admin request, and whether its bearer token is the right one.
fn request(u: &mut Unstructured, now: i64) -> arbitrary::Result<(Request, bool)> {
    let (method, path, body) = match u.int_in_range(0..=16u8)? {
        16 => (
            "DELETE".to_owned(),
            format!("/v1/pools/{}", pool_segment(u)?),
            if one_in(u, 4)? {
                json::body(u, |u| J::any(u, 1))?
            } else {
                Vec::new()
            },
        ),
        0..=3 => (
            "PUT".to_owned(),
            format!("/v1/pools/{}", pool_segment(u)?),
            json::body(u, pool_body)?,
        ),
        4 => (
            "GET".to_owned(),
            format!("/v1/pools/{}", pool_segment(u)?),
            Vec::new(),
        ),
        5 | 6 => (
            "POST".to_owned(),
            format!("/v1/pools/{}/tokens", pool_segment(u)?),
            json::body(u, tokens_body)?,
        ),
        7 => (
            "POST".to_owned(),
            format!("/v1/pools/{}/snippet", pool_segment(u)?),
            json::body(u, snippet_body)?,
        ),
        8 => (
            "GET".to_owned(),
            format!("/v1/pools/{}/sizing?{}", pool_segment(u)?, sizing_query(u)?),
            Vec::new(),
        ),
        9..=11 => (
            "POST".to_owned(),
            "/v1/calls".to_owned(),
            json::body(u, |u| call_body(u, now))?,
        ),
        12 => {
            // Any method on a known route.
            let method = vocab::pick(
                u,
                &["GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS"],
            )?;
            let path = vocab::pick(
                u,
                &[
                    "/v1/calls",
                    "/v1/pools/p1",
                    "/v1/pools/p1/tokens",
                    "/v1/pools/p1/sizing",
                    "/v1/pools/p1/snippet",
                    "/v1/pools/p1/",
                    "/v1/pools",
                    "/v1/",
                    "/v1/pools/p1/x/y",
                ],
            )?;
            (method, path, json::body(u, |u| J::any(u, 2))?)
        }
        _ => {
            let method = vocab::pick(u, &["GET", "PUT", "POST"])?;
            (
                method,
                format!("/v1/{}", String::arbitrary(u)?),
                Vec::<u8>::arbitrary(u)?,
            )
        }
    };
    let (authorization, right) = auth(u)?;
    let mut request = Request::new(&method, &format!("{BASE}{path}")).body(body);
    if let Some(value) = authorization {
        request = request.header("authorization", &value);
    }
    Ok((request, right))
}

/// The pool a `/v1/pools/{pool}…` path names, decoded, if valid.
fn named_pool(request: &Request) -> Option<String> {
    let path = request.path().trim_end_matches('/');
    let segment = path.strip_prefix("/v1/pools/")?.split('/').next()?;
    percent_decode(segment).filter(|p| valid_pool_id(p))
}

/// The pool of a `/v1/pools/{pool}` path (the pool route itself, nothing after it).
fn pool_route(request: &Request) -> Option<String> {
    let path = request.path().trim_end_matches('/');
    let segment = path.strip_prefix("/v1/pools/")?;
    if segment.contains('/') {
        return None;
    }
    named_pool(request)
}

/// Checks one answer.
fn check(
    s: &mut Service,
    model: &mut Model,
    keys: &Keyring,
    request: &Request,
    right: bool,
    response: &Response,
    before: &str,
) {
    let what = format!(
        "{} {} {}",
        request.method,
        request.url,
        String::from_utf8_lossy(&request.body)
    );
    let text = String::from_utf8_lossy(&response.body);
    if !request.path().starts_with("/v1/") {
        // Not the admin API (a fuzzed path of another shape): no object is involved.
        assert!(
            s.deliveries.is_empty(),
            "{what}: reached {:?}",
            s.deliveries
        );
        return;
    }
    assert!(
        response
            .header_value("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "{what}: answered {:?}",
        response.headers
    );
    let body: Value = serde_json::from_slice(&response.body).unwrap_or_else(|e| {
        panic!(
            "{what}: answered {} with text that is not JSON ({e}): {text}",
            response.status
        )
    });
    for delivery in &s.deliveries {
        if let Target::Pool(pool) = &delivery.target {
            // A pool's own object, or one of its shards (`{pool}#{shard}`).
            let named = pool.split_once('#').map_or(pool.as_str(), |(name, shard)| {
                assert!(
                    shard
                        .parse::<u32>()
                        .is_ok_and(|s| s < ringmark::shard::MAX_SHARDS),
                    "{what}: forwarded to shard {pool:?}"
                );
                name
            });
            assert!(valid_pool_id(named), "{what}: forwarded to pool {pool:?}");
        }
    }
    assert!(s.fetches.is_empty(), "{what}: fetched {:?}", s.fetches);
    assert_eq!(
        s.before_response,
        s.deliveries.len(),
        "{what}: an admin answer waits for its object calls"
    );
    // A deleted pool takes no configuration; once the PUT reaches it, it says so.
    if request.method == "PUT"
        && right
        && let Some(pool) = pool_route(request)
        && model.deleted.contains_key(&pool)
    {
        assert!(
            !(200..300).contains(&response.status),
            "{what}: deleted pool {pool} took a configuration: {text}"
        );
        let reached = s
            .deliveries
            .iter()
            .find(|d| d.target == Target::Pool(pool.clone()));
        if let Some(delivery) = reached {
            assert_eq!(
                delivery.code(),
                Some(ObjectErrorCode::Deleted),
                "{what}: deleted pool {pool} answered {:?}",
                delivery.result
            );
            assert_eq!(
                (response.status, body["error"]["code"].as_str()),
                (409, Some("pool_deleted")),
                "{what}: {text}"
            );
        }
    }
    if !right {
        assert_eq!(
            response.status, 401,
            "{what}: a wrong bearer token answered {text}"
        );
        assert!(
            s.deliveries.is_empty(),
            "{what}: unauthorised request reached an object"
        );
        assert!(
            response.header_value("www-authenticate").is_some(),
            "{what}"
        );
    }
    if !(200..300).contains(&response.status) {
        let code = body["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: no error code in {text}"));
        let status = CODES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, s)| *s)
            .unwrap_or_else(|| panic!("{what}: undocumented error code {code:?}"));
        assert_eq!(
            status, response.status,
            "{what}: code {code} with status {}",
            response.status
        );
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{what}: no message in {text}"
        );
        assert!(
            body["error"]["field"].is_null() || body["error"]["field"].is_string(),
            "{what}: {text}"
        );
        assert_ne!(
            response.status, 500,
            "{what}: internal error with healthy storage: {text}\n  deliveries {:?}",
            s.deliveries
        );
        let after = s.fingerprint(&vocab::all_numbers());
        assert!(
            after == before,
            "{what}: refused ({text}) but changed state\n--- before\n{before}\n--- after\n{after}"
        );
        return;
    }
    assert!(body.is_object(), "{what}: {text}");
    let path = request.path().trim_end_matches('/').to_owned();
    let pool = named_pool(request);
    match (request.method.as_str(), pool) {
        ("PUT", Some(pool)) => {
            assert_eq!(body["pool"], pool.as_str(), "{what}: {text}");
            let config = &body["config"];
            let mut claimed: Vec<&str> = config["numbers"]
                .as_array()
                .unwrap_or_else(|| panic!("{what}: no numbers in {text}"))
                .iter()
                .filter_map(Value::as_str)
                .collect();
            claimed.extend(config["exhaustion"]["overflow"]["number"].as_str());
            for number in claimed {
                assert!(E164::parse(number).is_ok(), "{what}: stored {number:?}");
                let lookup = s.lookup(number);
                let entry = lookup.as_ref().unwrap_or(&Value::Null);
                assert!(
                    entry["pool"] == pool.as_str() && entry["retired_at"].is_null(),
                    "{what}: {number} is not routed to {pool}: {lookup:?}"
                );
            }
        }
        ("POST", Some(pool)) if path.ends_with("/tokens") || path.ends_with("/snippet") => {
            let asked: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
            let campaign = asked["campaign"].as_str();
            let rows: Vec<(String, String)> = if path.ends_with("/tokens") {
                body["tokens"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{what}: no tokens in {text}"))
                    .iter()
                    .map(|t| {
                        let token = t["token"].as_str().unwrap_or_default().to_owned();
                        assert_eq!(
                            t["number"].as_str(),
                            Some(format!("{BASE}/n/{token}.png").as_str()),
                            "{what}"
                        );
                        (
                            t["recipient"].as_str().unwrap_or_default().to_owned(),
                            token,
                        )
                    })
                    .collect()
            } else {
                assert!(
                    body["html"].as_str().is_some_and(|h| !h.is_empty()),
                    "{what}: {text}"
                );
                Vec::new()
            };
            for (recipient, token) in rows {
                let claims = keys.verify(&token).unwrap_or_else(|e| {
                    panic!("{what}: issued token {token} does not verify: {e}")
                });
                assert_eq!(claims.pool, pool, "{what}");
                assert_eq!(Some(claims.campaign.as_str()), campaign, "{what}");
                assert_eq!(claims.recipient, recipient, "{what}");
            }
        }
        ("POST", None) if path == "/v1/calls" => {
            let attributed = body["pool"]
                .as_str()
                .unwrap_or_else(|| panic!("{what}: no pool in {text}"));
            let routed = s
                .deliveries
                .first()
                .filter(|d| d.target == Target::Directory && d.ok());
            assert!(
                routed.is_some(),
                "{what}: attributed without the directory: {:?}",
                s.deliveries
            );
            assert_eq!(
                s.deliveries.last().map(|d| &d.target),
                Some(&Target::Pool(attributed.to_owned())),
                "{what}: {text}"
            );
            let confidence = body["confidence"].as_f64().unwrap_or(-1.0);
            assert!(
                (0.0..=1.0).contains(&confidence),
                "{what}: confidence {confidence}"
            );
        }
        ("DELETE", Some(pool)) => {
            assert_eq!(body["pool"], pool.as_str(), "{what}: {text}");
            let (Some(deleted_at), Some(purge_at)) =
                (body["deleted_at"].as_i64(), body["purge_at"].as_i64())
            else {
                panic!("{what}: no schedule in {text}");
            };
            assert!(
                deleted_at <= s.now() && deleted_at <= purge_at,
                "{what}: {text}"
            );
            match model.deleted.get(&pool) {
                Some(&earlier) => assert_eq!(
                    (deleted_at, purge_at),
                    earlier,
                    "{what}: a repeated DELETE changed the schedule: {text}"
                ),
                None => assert_eq!(deleted_at, s.now(), "{what}: {text}"),
            }
            model.deleted.insert(pool.clone(), (deleted_at, purge_at));
            let targets: Vec<(&Target, bool)> =
                s.deliveries.iter().map(|d| (&d.target, d.ok())).collect();
            assert_eq!(
                targets,
                [
                    (&Target::Directory, true),
                    (&Target::Pool(pool.clone()), true),
                    (&Target::Directory, true)
                ],
                "{what}: the directory (its shard count), the pool, then the directory"
            );
            let state = match s.pool_state(&pool) {
                Some(Ok(state)) => state,
                other => panic!("{what}: the deleted pool answers {other:?}"),
            };
            assert_eq!(
                (
                    state["deleted"]["deleted_at"].as_i64(),
                    state["deleted"]["purge_at"].as_i64()
                ),
                (Some(deleted_at), Some(purge_at)),
                "{what}: state {state}"
            );
            let mut owned: Vec<&str> = state["config"]["numbers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            owned.extend(state["config"]["exhaustion"]["overflow"]["number"].as_str());
            let mut listed: Vec<&str> = body["numbers"]
                .as_array()
                .unwrap_or_else(|| panic!("{what}: no numbers in {text}"))
                .iter()
                .filter_map(Value::as_str)
                .collect();
            owned.sort_unstable();
            listed.sort_unstable();
            assert_eq!(listed, owned, "{what}: the deletion's numbers");
            for number in listed {
                let lookup = s.lookup(number);
                let entry = lookup.as_ref().unwrap_or(&Value::Null);
                assert!(
                    entry["pool"] == pool.as_str()
                        && entry["retired_at"].is_i64()
                        && entry["free_at"]
                            .as_i64()
                            .is_some_and(|f| body["numbers_free_at"]
                                .as_i64()
                                .is_some_and(|all| f <= all)),
                    "{what}: {number} is not retired from {pool}: {lookup:?} ({text})"
                );
            }
            if let Some(fallback) = state["config"]["fallback"].as_str() {
                let lookup = s.lookup(fallback);
                assert!(
                    lookup.as_ref().map_or(true, |e| e["pool"] != pool.as_str()),
                    "{what}: the fallback {fallback} still routes to deleted {pool}: {lookup:?}"
                );
            }
        }
        ("GET", Some(pool)) => {
            assert_eq!(body["pool"], pool.as_str(), "{what}: {text}");
            if pool_route(request).is_some() {
                let deleted = (
                    body["deleted"]["deleted_at"].as_i64(),
                    body["deleted"]["purge_at"].as_i64(),
                );
                match model.deleted.get(&pool) {
                    Some(&(d, p)) => assert_eq!(
                        deleted,
                        (Some(d), Some(p)),
                        "{what}: a deleted pool's state: {text}"
                    ),
                    None => assert!(body["deleted"].is_null(), "{what}: {text}"),
                }
            }
        }
        _ => {}
    }
}

/// A number image or pixel of pool `p1`…`p3`, with a genuine token.
fn email_request(
    u: &mut Unstructured,
    keys: &Keyring,
    model: &Model,
) -> arbitrary::Result<(Request, String)> {
    // Half the time a deleted pool, when there is one.
    let deleted: Vec<&String> = model.deleted.keys().collect();
    let pool = if !deleted.is_empty() && u.ratio(1, 2)? {
        (*u.choose(&deleted)?).clone()
    } else {
        (*u.choose(&["p1", "p1", "p2", "p3"])?).to_owned()
    };
    let claims = Claims {
        pool: pool.clone(),
        campaign: (*u.choose(&["c1", "c2"])?).to_owned(),
        recipient: (*u.choose(&["a", "b", "c"])?).to_owned(),
    };
    let token = keys.sign(&claims).expect("the fuzz key signs");
    let url = if u.ratio(3, 4)? {
        format!("{BASE}/n/{token}.png")
    } else {
        format!("{BASE}/o/{token}.gif")
    };
    let mut request = Request::new("GET", &url);
    for (name, value) in vocab::headers(u)? {
        request = request.header(&name, &value);
    }
    Ok((request, pool))
}

/// Checks an email URL's answer; a deleted pool shows its fallback and records nothing.
fn check_email(
    s: &mut Service,
    model: &Model,
    request: &Request,
    pool: &str,
    response: &Response,
    before: &str,
) {
    let what = format!("{} {}", request.method, request.url);
    let number = request.path().starts_with("/n/");
    assert_eq!(response.status, 200, "{what}");
    if number {
        assert_eq!(
            response.header_value("content-type"),
            Some("image/png"),
            "{what}"
        );
    } else {
        assert_eq!(response.body, PIXEL_GIF, "{what}");
    }
    assert!(s.fetches.is_empty(), "{what}: fetched {:?}", s.fetches);
    let delivery = match s.deliveries.as_slice() {
        [delivery] => delivery.clone(),
        other => panic!("{what}: one object call expected: {other:?}"),
    };
    assert_eq!(delivery.target, Target::Pool(pool.to_owned()), "{what}");
    assert_eq!(s.before_response, usize::from(number), "{what}");
    if !model.deleted.contains_key(pool) {
        return;
    }
    assert!(
        delivery.ok() && delivery.writes == 0,
        "{what}: deleted pool {pool} answered {:?} with {} writes",
        delivery.result,
        delivery.writes
    );
    let after = s.fingerprint(&vocab::all_numbers());
    assert!(
        after == before,
        "{what}: an open of deleted pool {pool} changed state\n--- before\n{before}\n--- after\n{after}"
    );
    let reply = delivery.reply();
    if number {
        let fallback = match s.pool_state(pool) {
            Some(Ok(state)) => state["config"]["fallback"].clone(),
            other => panic!("{what}: deleted pool {pool} answers {other:?}"),
        };
        assert!(
            reply["lease"] == "fallback" && reply["number"] == fallback,
            "{what}: deleted pool {pool} showed {reply}, not its fallback {fallback}"
        );
        let lease = response.header_value("x-ringmark-lease");
        assert!(
            lease.is_none_or(|l| l == "fallback"),
            "{what}: lease {lease:?}"
        );
    } else {
        assert!(reply.is_null(), "{what}: {reply}");
    }
}

/// A command an object cannot read: arbitrary JSON, or a command with a
/// wrong or missing op or field.
fn unreadable_command(u: &mut Unstructured) -> arbitrary::Result<String> {
    Ok(match arm(u, 3)? {
        0 => String::from_utf8_lossy(&json::body(u, |u| J::any(u, 2))?).into_owned(),
        _ => {
            let op = vocab::pick(
                u,
                &[
                    "configure",
                    "open",
                    "state",
                    "settings",
                    "call",
                    "delete",
                    "claim",
                    "restore",
                    "release",
                    "lookup",
                    "State",
                    "Settings",
                    "",
                ],
            )?;
            let mut fields = vec![("op".to_owned(), J::Str(op))];
            for _ in 0..u.int_in_range(0..=2)? {
                fields.push((json::key(u)?, J::any(u, 1)?));
            }
            J::Obj(fields).text()
        }
    })
}

/// Every pool's `settings` agrees with its `state`, and its `deleted` with the model.
fn invariants(s: &mut Service, model: &Model) {
    let names: Vec<String> = s.pools.keys().cloned().collect();
    for pool in names {
        let state = s.pool_state(&pool).expect("listed pool");
        let settings = s.pool_settings(&pool).expect("listed pool");
        match (&state, &settings) {
            (Ok(state), Ok(settings)) => {
                for key in ["config", "style", "displays"] {
                    assert_eq!(
                        state[key], settings[key],
                        "pool {pool}: settings and state disagree on {key}"
                    );
                }
                let deleted = (
                    state["deleted"]["deleted_at"].as_i64(),
                    state["deleted"]["purge_at"].as_i64(),
                );
                match model.deleted.get(&pool) {
                    Some(&(d, p)) => assert_eq!(deleted, (Some(d), Some(p)), "pool {pool}"),
                    None => assert!(state["deleted"].is_null(), "pool {pool}: {state}"),
                }
            }
            (Err(a), Err(b)) => {
                assert_eq!(a.code, b.code, "pool {pool}");
                assert!(
                    a.code == ObjectErrorCode::UnknownPool && !model.deleted.contains_key(&pool),
                    "pool {pool} answers {a}"
                );
            }
            _ => panic!("pool {pool}: state {state:?} but settings {settings:?}"),
        }
    }
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let _ = run_steps(&mut u);
}

fn run_steps(u: &mut Unstructured) -> arbitrary::Result<()> {
    thread_local! {
        static KEYS: Keyring = Keyring::parse(SIGNING_KEY).expect("the fuzz key");
    }
    KEYS.with(|keys| -> arbitrary::Result<()> {
        let mut s = Service::new();
        let mut model = Model::default();
        let all = vocab::all_numbers();
        // Often start from a working pool, so later requests find one.
        if one_in(u, 2)? {
            let body = serde_json::json!({
                "numbers": &NUMBERS[..3], "fallback": FALLBACKS[0], "lease_seconds": 3600,
                "exhaustion": {"overflow": {"number": OVERFLOWS[0]}}
            });
            let response = s.admin("PUT", "/v1/pools/p1", body.to_string().as_bytes());
            assert_eq!(
                response.status,
                200,
                "{}",
                String::from_utf8_lossy(&response.body)
            );
        }
        for _ in 0..u.int_in_range(1..=24u8)? {
            if u.is_empty() {
                break; // an exhausted input only repeats its first choices
            }
            match u.int_in_range(0..=17u8)? {
                0 => {
                    let seconds = *u.choose(&[1, 3600, 86_400, 3_888_001, 31_622_400])?;
                    // Alarms fire on time on the way, or late (at a firing step).
                    if u.ratio(2, 3)? {
                        let fired = s.advance_firing(seconds, 32);
                        model.fired(&fired);
                    } else {
                        s.advance(seconds);
                    }
                }
                1 => s.reload_pool(u.choose(&["p1", "p2", "p3"])?),
                2 => s.reload_directory(&all),
                3 => {
                    let fired = s.fire_alarms();
                    model.fired(&fired);
                }
                4 | 5 => {
                    let (request, pool) = email_request(u, keys, &model)?;
                    let before = s.fingerprint(&all);
                    let response = s.run(&request);
                    check_email(&mut s, &model, &request, &pool, &response, &before);
                }
                6 => {
                    let command = unreadable_command(u)?;
                    let now = s.now();
                    let before = s.fingerprint(&all);
                    let (outcome, what) = if u.ratio(1, 2)? {
                        if serde_json::from_str::<PoolCommand>(&command).is_ok() {
                            continue;
                        }
                        let pool = *u.choose(&["p1", "p2", "p3"])?;
                        let slot = s.pools.entry(pool.to_owned()).or_default();
                        (
                            slot.engine.handle_json(&command, now),
                            format!("pool {pool}"),
                        )
                    } else {
                        if serde_json::from_str::<DirectoryCommand>(&command).is_ok() {
                            continue;
                        }
                        (
                            s.directory.handle_json(&command, now),
                            "directory".to_owned(),
                        )
                    };
                    let result = settle(&outcome, &what, &command);
                    assert!(
                        matches!(&result, Err(e) if e.code == ObjectErrorCode::BadCommand),
                        "{what} read {command:?}: {result:?}"
                    );
                    let after = s.fingerprint(&all);
                    assert!(after == before, "{what}: {command:?} changed state");
                }
                _ => {
                    let (request, right) = request(u, s.now())?;
                    let before = s.fingerprint(&all);
                    let response = s.run(&request);
                    check(
                        &mut s, &mut model, keys, &request, right, &response, &before,
                    );
                }
            }
            invariants(&mut s, &model);
        }
        s.reload_pool("p1");
        s.reload_pool("p2");
        s.reload_pool("p3");
        s.reload_directory(&all);
        Ok(())
    })
}
