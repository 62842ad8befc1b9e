//! The `email_path` target: email URLs (`/o/`, `/n/`, `/c/`) with arbitrary
//! methods, tokens, suffixes, queries and headers, through the [`Edge`] and
//! real pool/directory engines, over time, with reconfigurations and
//! reloads from storage in between.
//!
//! What must hold for every request (README, "Email URLs"):
//! - a GET or HEAD of an email URL answers 200 with the route's image or
//!   page (or, for a phone's click, a 302 to `tel:`), never cached; other
//!   methods get a plain 404; nothing panics;
//! - a token reaches a pool object iff it verifies under the deployment's
//!   keys and names a valid pool id (forgeries name nothing), and HEAD
//!   never reaches one;
//! - a configured pool answers every open; a number shown is one the pool
//!   was configured with (pool, fallback or overflow number);
//! - a machine's open never adds an exclusive or shared lease;
//! - storage takes every write, and a pool reloaded from it answers as before.
//!
//! [`Edge`]: ringmark::edge::Edge

use crate::json::{arm, one_in};
use crate::service::{BASE, CURRENT_KEY, FORGED_KEY, OLDER_KEY, SIGNING_KEY, Service, UNKNOWN_KEY};
use crate::vocab::{self, FALLBACKS, NUMBERS, OVERFLOWS};
use arbitrary::{Arbitrary, Unstructured};
use ringmark::edge::{Target, valid_pool_id};
use ringmark::http::{NO_STORE, Request, Response};
use ringmark::phone::E164;
use ringmark::protocol::ObjectErrorCode;
use ringmark::render::PIXEL_GIF;
use ringmark::token::{Claims, Keyring};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
const LEASES: [&str; 5] = ["exclusive", "soft", "shared", "overflow", "fallback"];

/// The keys of the fuzzed deployment and of the forgers.
pub struct Keys {
    /// What the edge verifies with.
    pub deployment: Keyring,
    current: Keyring,
    older: Keyring,
    unknown: Keyring,
    forged: Keyring,
}

impl Keys {
    /// Parses the fixed test keys.
    pub fn new() -> Self {
        let parse = |text| Keyring::parse(text).expect("a fuzz key");
        Keys {
            deployment: parse(SIGNING_KEY),
            current: parse(CURRENT_KEY),
            older: parse(OLDER_KEY),
            unknown: parse(UNKNOWN_KEY),
            forged: parse(FORGED_KEY),
        }
    }
}

impl Default for Keys {
    fn default() -> Self {
        Keys::new()
    }
}

/// A pool configuration the email path runs under, and the numbers it names.
struct Plan {
    body: Value,
    numbers: Vec<&'static str>,
    /// A display string was given that may not be drawable (the PUT may refuse it).
    odd_display: bool,
}

/// A valid pool body for pool `which` (0 or 1: disjoint number ranges).
fn plan(u: &mut Unstructured, which: usize) -> arbitrary::Result<Plan> {
    let range = &NUMBERS[which * 4..which * 4 + 4];
    let mut numbers: Vec<&'static str> = range
        .iter()
        .copied()
        .filter(|_| u.ratio(2, 3).unwrap_or(true))
        .collect();
    if numbers.is_empty() {
        numbers.push(range[usize::from(u.int_in_range(0..=3u8)?)]);
    }
    let fallback = if which == 1 && one_in(u, 2)? {
        FALLBACKS[0] // shared with pool 0
    } else {
        FALLBACKS[which]
    };
    let mut body = json!({
        "numbers": numbers,
        "fallback": fallback,
        "lease_seconds": *u.choose(&[1u32, 60, 600, 3600, 86_400])?,
    });
    let mut named = numbers.clone();
    named.push(fallback);
    for (field, choices) in [
        ("tail_seconds", &[0u32, 60, 3600, 604_800][..]),
        ("quarantine_seconds", &[0, 3600, 3_888_000][..]),
        (
            "attribution_window_seconds",
            &[0, 3600, 86_400, 2_592_000][..],
        ),
        ("max_lease_seconds", &[86_400, 604_800, 4_000_000][..]),
    ] {
        if one_in(u, 3)? {
            body[field] = json!(*u.choose(choices)?);
        }
    }
    if body["max_lease_seconds"].as_u64() < body["lease_seconds"].as_u64()
        && !body["max_lease_seconds"].is_null()
    {
        body["max_lease_seconds"] = body["lease_seconds"].clone();
    }
    match u.int_in_range(0..=6u8)? {
        0 => {}
        1 => body["exhaustion"] = json!("shared_tail"),
        2 => body["exhaustion"] = json!("fallback"),
        3 => body["exhaustion"] = json!("steal_oldest_tail"),
        4 => {
            body["exhaustion"] = json!({"overflow": {"number": OVERFLOWS[which]}});
            named.push(OVERFLOWS[which]);
        }
        _ => body["exhaustion"] = json!({"share": {"max_holders": u.int_in_range(2..=4u32)?}}),
    }
    if one_in(u, 3)? {
        body["reuse"] = json!({"random": {"seed": u64::arbitrary(u)?}});
    }
    if one_in(u, 3)? {
        body["pressure_threshold"] = json!(*u.choose(&[0.01, 0.5, 1.0])?);
    }
    if one_in(u, 3)? {
        body["display_format"] = json!(*u.choose(&["national", "international"])?);
    }
    if one_in(u, 2)? {
        let label = *u.choose(&["Call us", "Bizi arayın", "Appelez-nous", "Ring"])?;
        let shape = *u.choose(&["rounded", "pill", "square"])?;
        body["style"] =
            json!({"label": label, "shape": shape, "font_px": u.int_in_range(12..=40u32)?});
    }
    let mut odd_display = false;
    if one_in(u, 4)? {
        let number = *u.choose(&named)?;
        let display = if one_in(u, 2)? {
            (*u.choose(&["415-555-0101", "(415) 555 0101", "+1 415 555 0101"])?).to_owned()
        } else {
            odd_display = true;
            String::arbitrary(u)?
        };
        body["displays"] = json!({ number: display });
    }
    Ok(Plan {
        body,
        numbers: named,
        odd_display,
    })
}

/// Configures `pool` through the admin API; a valid plan must be taken.
fn configure(s: &mut Service, pool: &str, plan: &Plan) -> bool {
    let response = s.admin(
        "PUT",
        &format!("/v1/pools/{pool}"),
        plan.body.to_string().as_bytes(),
    );
    let ok = response.status == 200;
    assert!(
        ok || (plan.odd_display && response.status == 422),
        "PUT /v1/pools/{pool} {} answered {}: {}",
        plan.body,
        response.status,
        String::from_utf8_lossy(&response.body)
    );
    ok
}

/// The token of one request.
fn token(u: &mut Unstructured, keys: &Keys) -> arbitrary::Result<String> {
    let signed = |u: &mut Unstructured| -> arbitrary::Result<String> {
        let pool = match u.int_in_range(0..=9u8)? {
            0..=3 => "p1".to_owned(),
            4 | 5 => "p2".to_owned(),
            6 => "ghost".to_owned(),
            7 => (*u.choose(&["bad id", "", "p1/../p2", "é", "x%20y"])?).to_owned(),
            _ => String::arbitrary(u)?,
        };
        let campaign = vocab::pick(u, &["c1", "c2"])?;
        let recipient = vocab::pick(u, &["a", "b", "c", "d", "e", "f"])?;
        let ring = match u.int_in_range(0..=9u8)? {
            0..=5 => &keys.current,
            6 | 7 => &keys.older,
            8 => &keys.unknown,
            _ => &keys.forged,
        };
        Ok(ring
            .sign(&Claims {
                pool,
                campaign,
                recipient,
            })
            .unwrap_or_default())
    };
    Ok(match u.int_in_range(0..=9u8)? {
        0..=5 => signed(u)?,
        6 | 7 => {
            // A signed token, altered.
            let mut t: Vec<char> = signed(u)?.chars().collect();
            match u.int_in_range(0..=5u8)? {
                0 if !t.is_empty() => {
                    let i = u.choose_index(t.len())?;
                    t[i] = char::arbitrary(u)?;
                }
                1 => t.truncate(u.int_in_range(0..=t.len())?),
                2 => t.extend(String::arbitrary(u)?.chars()),
                3 if t.len() > 1 => {
                    let (i, j) = (u.choose_index(t.len())?, u.choose_index(t.len())?);
                    t.swap(i, j);
                }
                4 => t.iter_mut().for_each(|c| *c = c.to_ascii_uppercase()),
                _ => t.insert(u.int_in_range(0..=t.len())?, '='),
            }
            t.into_iter().collect()
        }
        _ => String::arbitrary(u)?,
    })
}

/// What a request's route is, by the path the edge will read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    Pixel,
    Number,
    Click,
}

impl Route {
    fn prefix(self) -> &'static str {
        match self {
            Route::Pixel => "/o/",
            Route::Number => "/n/",
            Route::Click => "/c/",
        }
    }
    /// The route the edge reads from a path, if an email one.
    fn of(path: &str) -> Option<Route> {
        [Route::Pixel, Route::Number, Route::Click]
            .into_iter()
            .find(|r| path.starts_with(r.prefix()))
    }

    fn ext(self) -> &'static str {
        match self {
            Route::Pixel => ".gif",
            Route::Number => ".png",
            Route::Click => "",
        }
    }
}

/// One fuzzed email request and the route it is meant for.
fn request(u: &mut Unstructured, keys: &Keys) -> arbitrary::Result<(Request, Route)> {
    let route = *u.choose(&[Route::Pixel, Route::Number, Route::Number, Route::Click])?;
    let method = match arm(u, 15)? {
        0 => "HEAD".to_owned(),
        1 => (*u.choose(&["POST", "PUT", "DELETE", "OPTIONS", "get", "head"])?).to_owned(),
        2 => String::arbitrary(u)?,
        _ => "GET".to_owned(),
    };
    let origin = *u.choose(&[
        BASE,
        BASE,
        "http://127.0.0.1:8787",
        "https://t.example.com:443",
        "",
    ])?;
    let token = token(u, keys)?;
    let suffix = match arm(u, 7)? {
        0 => String::arbitrary(u)?,
        1 => (*u.choose(&[".gif", ".png", ".jpg", "/", ".png.png", "%2Epng"])?).to_owned(),
        _ => route.ext().to_owned(),
    };
    let query = match arm(u, 5)? {
        0 => format!("?{}", String::arbitrary(u)?),
        1 => "#frag".to_owned(),
        _ => String::new(),
    };
    let url = format!("{origin}{}{token}{suffix}{query}", route.prefix());
    let mut req = Request::new(&method, &url);
    for (name, value) in vocab::headers(u)? {
        req = req.header(&name, &value);
    }
    Ok((req, route))
}

/// What the edge must do with the token in the request's path: the pool it
/// may name, or `None` when the token must be refused.
fn authentic_pool(keys: &Keys, request: &Request, route: Route) -> Option<String> {
    let rest = request.path().strip_prefix(route.prefix())?;
    let token = rest.strip_suffix(route.ext()).unwrap_or(rest);
    let claims = keys.deployment.verify(token).ok()?;
    valid_pool_id(&claims.pool).then_some(claims.pool)
}

fn header<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
    response.header_value(name)
}

fn body_text(response: &Response) -> String {
    String::from_utf8_lossy(&response.body).into_owned()
}

/// The number a click answer shows, if any.
fn shown_number(response: &Response) -> Option<String> {
    if response.status == 302 {
        return header(response, "location")
            .and_then(|l| l.strip_prefix("tel:"))
            .map(str::to_owned);
    }
    let html = body_text(response);
    let at = html.find("href=\"tel:")? + "href=\"tel:".len();
    html[at..].split('"').next().map(str::to_owned)
}

/// `exclusive + shared` leases of a pool now, from its engine.
fn held(s: &mut Service, pool: &str) -> Option<u64> {
    let v = s.pool_state(pool)?.ok()?;
    Some(v["live"]["exclusive"].as_u64()? + v["live"]["shared"].as_u64()?)
}

/// Checks one answer against the email contract.
fn check(
    s: &mut Service,
    keys: &Keys,
    request: &Request,
    route: Route,
    response: &Response,
    configured: &BTreeMap<String, BTreeSet<&'static str>>,
) {
    let what = format!("{} {}", request.method, request.url);
    let get = request.method == "GET";
    let head = request.method == "HEAD";
    if !get && !head {
        assert_eq!(
            response.status, 404,
            "{what}: other methods are not email URLs"
        );
        assert!(s.deliveries.is_empty(), "{what} reached an object");
        return;
    }
    // Email answers are never cached, whatever happened.
    match (route, head) {
        (Route::Pixel, _) => {
            assert_eq!(response.status, 200, "{what}");
            assert_eq!(
                header(response, "content-type"),
                Some("image/gif"),
                "{what}"
            );
            assert_eq!(response.body, PIXEL_GIF, "{what}");
            assert_eq!(header(response, "cache-control"), Some(NO_STORE), "{what}");
        }
        (Route::Number, _) => {
            assert_eq!(response.status, 200, "{what}");
            assert_eq!(
                header(response, "content-type"),
                Some("image/png"),
                "{what}"
            );
            assert_eq!(header(response, "cache-control"), Some(NO_STORE), "{what}");
            if get {
                assert!(
                    response.body.starts_with(PNG_SIGNATURE),
                    "{what}: not a PNG"
                );
            }
        }
        (Route::Click, true) => {
            assert_eq!(response.status, 200, "{what}");
            assert!(
                header(response, "content-type").is_some_and(|t| t.starts_with("text/html")),
                "{what}"
            );
        }
        (Route::Click, false) => {
            assert!(
                matches!(response.status, 200 | 302),
                "{what}: answered {}",
                response.status
            );
            assert_eq!(header(response, "cache-control"), Some(NO_STORE), "{what}");
            if response.status == 302 {
                let number = shown_number(response).unwrap_or_default();
                assert!(E164::parse(&number).is_ok(), "{what}: dials {number:?}");
            } else {
                assert!(
                    header(response, "content-type").is_some_and(|t| t.starts_with("text/html")),
                    "{what}"
                );
            }
        }
    }
    // Objects: HEAD never reaches one; GET reaches the pool iff the token verifies.
    let expected = if head {
        None
    } else {
        authentic_pool(keys, request, route)
    };
    match &expected {
        None => assert!(
            s.deliveries.is_empty(),
            "{what}: a refused token reached {:?}",
            s.deliveries
        ),
        Some(pool) => {
            assert_eq!(
                s.deliveries.len(),
                1,
                "{what}: an authentic token makes exactly one object call: {:?}",
                s.deliveries
            );
            assert_eq!(s.deliveries[0].target, Target::Pool(pool.clone()), "{what}");
            // The pixel is answered before its open is recorded; an image or a
            // page waits for the number it shows.
            let before = usize::from(route != Route::Pixel);
            assert_eq!(
                s.before_response, before,
                "{what}: {} object calls before the response",
                s.before_response
            );
        }
    }
    let Some(pool) = expected else {
        // Nothing was allocated: the neutral image, the page without a number.
        if route == Route::Number {
            assert_eq!(header(response, "x-ringmark-lease"), None, "{what}");
        }
        if route == Route::Click && !head {
            assert_eq!(response.status, 200, "{what}");
            assert_eq!(shown_number(response), None, "{what}");
        }
        return;
    };
    let delivery = &s.deliveries[0];
    let Some(allowed) = configured.get(&pool) else {
        assert_eq!(
            delivery.code(),
            Some(ObjectErrorCode::UnknownPool),
            "{what}: an unconfigured pool answered {:?}",
            delivery.result
        );
        assert_eq!(delivery.writes, 0, "{what}: an unconfigured pool wrote");
        assert_eq!(header(response, "x-ringmark-lease"), None, "{what}");
        assert_eq!(shown_number(response), None, "{what}");
        return;
    };
    assert!(
        delivery.ok(),
        "{what}: configured pool {pool} answered {:?}",
        delivery.result
    );
    assert!(
        delivery.writes > 0,
        "{what}: configured pool {pool} recorded nothing"
    );
    match route {
        Route::Pixel => assert_eq!(
            delivery.reply(),
            &Value::Null,
            "{what}: a pixel's open answered a number"
        ),
        Route::Number => {
            let lease = header(response, "x-ringmark-lease");
            // A display string the renderer refuses ends in the neutral image, without headers.
            assert!(
                lease.is_none_or(|l| LEASES.contains(&l)),
                "{what}: lease {lease:?}"
            );
            let reply = delivery.reply();
            let number = reply["number"].as_str().unwrap_or_default();
            if let Some(lease) = lease {
                assert_eq!(
                    reply["lease"].as_str(),
                    Some(lease),
                    "{what}: the image's lease header is not the pool's answer {reply}"
                );
            }
            assert!(
                allowed.contains(number),
                "{what}: pool {pool} showed {number}, not one of its numbers {allowed:?}"
            );
        }
        Route::Click => {
            let number = shown_number(response).unwrap_or_default();
            assert!(
                allowed.contains(number.as_str()),
                "{what}: pool {pool} showed {number:?}, not one of its numbers {allowed:?}"
            );
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
        static KEYS: Keys = Keys::new();
    }
    KEYS.with(|keys| -> arbitrary::Result<()> {
        let mut s = Service::new();
        // Every number each pool was ever configured with (a holder may keep a retired one).
        let mut configured: BTreeMap<String, BTreeSet<&'static str>> = BTreeMap::new();
        let pools = if one_in(u, 3)? { 2 } else { 1 };
        for which in 0..pools {
            let name = format!("p{}", which + 1);
            let plan = plan(u, which)?;
            if configure(&mut s, &name, &plan) {
                configured.entry(name).or_default().extend(plan.numbers);
            }
        }
        let all = vocab::all_numbers();
        for _ in 0..u.int_in_range(1..=48u8)? {
            if u.is_empty() {
                break; // an exhausted input only repeats its first choices
            }
            match u.int_in_range(0..=19u8)? {
                0 => {
                    let seconds =
                        *u.choose(&[1, 59, 600, 3600, 86_400, 604_800, 2_678_400, 3_888_001])?;
                    // Alarms fire on time on the way, or late (at the next firing step).
                    if u.ratio(2, 3)? {
                        s.advance_firing(seconds, 32);
                    } else {
                        s.advance(seconds);
                    }
                }
                1 => s.reload_pool(u.choose(&["p1", "p2", "ghost"])?),
                2 => s.reload_directory(&all),
                4 => {
                    s.fire_alarms();
                }
                3 => {
                    let which = usize::from(u.int_in_range(0..=1u8)?);
                    let name = format!("p{}", which + 1);
                    let plan = plan(u, which)?;
                    if configure(&mut s, &name, &plan) {
                        configured.entry(name).or_default().extend(plan.numbers);
                    }
                }
                _ => {
                    let (request, meant) = request(u, keys)?;
                    let Some(route) = Route::of(request.path()) else {
                        // The token broke the URL apart (`://` in it, with no origin before).
                        s.run(&request);
                        assert!(
                            s.deliveries.is_empty(),
                            "{} {} (meant for {meant:?}) reached an object",
                            request.method,
                            request.url
                        );
                        continue;
                    };
                    let pool = authentic_pool(keys, &request, route);
                    let c = ringmark::edge::email::classify(&s.edge, &request);
                    let watch = pool
                        .as_deref()
                        .filter(|_| c.machine && route != Route::Pixel && request.method == "GET")
                        .and_then(|p| held(&mut s, p).map(|h| (p.to_owned(), h)));
                    let response = s.run(&request);
                    check(&mut s, keys, &request, route, &response, &configured);
                    if let Some((pool, before)) = watch {
                        let after = held(&mut s, &pool).unwrap_or(before);
                        assert!(
                            after <= before,
                            "{} {}: a machine opener ({c:?}) took a lease: {before} -> {after}",
                            request.method,
                            request.url
                        );
                    }
                }
            }
        }
        // The whole history once more from storage.
        s.reload_pool("p1");
        s.reload_pool("p2");
        s.reload_directory(&all);
        Ok(())
    })
}
