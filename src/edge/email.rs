//! The email-facing URLs: pixel, number image and call link.
//!
//! None of these ever answers an error: Gmail's proxy caches an error image
//! for weeks, and a broken image in an inbox costs the call. A failure
//! anywhere ends in the pool's fallback number or a neutral image, with a
//! line in the log.
//!
//! A token that does not verify — malformed, forged or altered — is answered
//! here and now, before any Durable Object is named: the pixel, the neutral
//! image (transparent, of the default snippet box: never a blank square), or
//! the call page without a number. Nothing it claims is read (see
//! [`crate::token`]), so a forgery can neither create a pool object nor show
//! an existing pool's fallback; and malformed and forged tokens take the same
//! path, so their timing tells nothing about the plaintext.

use super::{Cont, DataPoint, Edge, Effect, Step, Target, coalesced, valid_pool_id, webhooks};
use crate::http::{NO_STORE, Request, Response};
use crate::protocol::{NumberReply, ObjectError, OpenKind, Opened, Opener, PoolCommand, label};
use crate::token::{Claims, TokenError};
use crate::webhooks::{EventData, EventType, WebhookEvent};
use ringmark_classify::{Classification, DeviceClass, Signals};
use ringmark_render::{PIXEL_GIF, Style, Variant};
use serde_json::{Map, Value};

/// An open as the webhook events announce it: who, from which URL, and how
/// the opener was classified. Kept while the pool answers.
#[derive(Clone, Debug)]
pub struct Seen {
    /// The pool.
    pub pool: String,
    /// The campaign.
    pub campaign: String,
    /// The recipient.
    pub recipient: String,
    /// Which URL.
    pub kind: OpenKind,
    /// The classification.
    pub opener: Opener,
}

impl Seen {
    fn new(claims: &Claims, kind: OpenKind, c: &Classification) -> Box<Seen> {
        Box::new(Seen {
            pool: claims.pool.clone(),
            campaign: claims.campaign.clone(),
            recipient: claims.recipient.clone(),
            kind,
            opener: opener(c),
        })
    }

    fn data(&self, number: Option<&str>, details: Map<String, Value>) -> EventData {
        EventData {
            pool: self.pool.clone(),
            campaign: Some(self.campaign.clone()),
            recipient: Some(self.recipient.clone()),
            number: number.map(str::to_owned),
            device: None,
            opener: None,
            details,
        }
    }
}

/// The webhook events of an open the pool answered: `open.human` or
/// `open.machine` (with the number shown, if any), and `pool.pressure` /
/// `pool.exhausted` when the pool's reply says so. None when the pool refused
/// the open (an unknown pool).
pub fn open_events(
    edge: &Edge,
    seen: &Seen,
    answer: &Result<Opened, ObjectError>,
) -> Vec<WebhookEvent> {
    let Ok(reply) = answer else {
        return Vec::new();
    };
    let open_type = if seen.opener.machine {
        EventType::OpenMachine
    } else {
        EventType::OpenHuman
    };
    let mut events = Vec::new();
    let number = reply.as_ref().map(|r| r.number.as_str());
    if webhooks::may_want(edge, open_type) {
        events.push(open_event(edge, seen, open_type, reply.as_ref(), number));
    }
    if let Some(r) = reply {
        if r.pressure && webhooks::may_want(edge, EventType::PoolPressure) {
            let mut details = Map::new();
            details.insert("lease".into(), label(&r.lease).into());
            events.push(webhooks::event(
                edge,
                EventType::PoolPressure,
                seen.data(number, details),
            ));
        }
        if let Some(outcome) = &r.exhausted
            && webhooks::may_want(edge, EventType::PoolExhausted)
        {
            let mut details = Map::new();
            details.insert("outcome".into(), label(outcome).into());
            events.push(webhooks::event(
                edge,
                EventType::PoolExhausted,
                seen.data(number, details),
            ));
        }
    }
    events
}

/// The `open.human` / `open.machine` event of an open.
fn open_event(
    edge: &Edge,
    seen: &Seen,
    open_type: EventType,
    reply: Option<&NumberReply>,
    number: Option<&str>,
) -> WebhookEvent {
    let mut details = Map::new();
    details.insert("source".into(), seen.kind.as_str().into());
    if let Some(client) = &seen.opener.client {
        details.insert("client".into(), client.as_str().into());
    }
    if let Some(proxy) = &seen.opener.proxy {
        details.insert("proxy".into(), proxy.as_str().into());
    }
    if let Some(r) = reply {
        details.insert("lease".into(), label(&r.lease).into());
    }
    let mut data = seen.data(number, details);
    data.device = Some(seen.opener.device.as_str().to_owned());
    data.opener = Some(seen.opener.opener.as_str().to_owned());
    webhooks::event(edge, open_type, data)
}

/// After a pixel was answered and its open recorded: announce the open.
pub(super) fn pixel_recorded(
    edge: &Edge,
    seen: &Seen,
    answer: Result<Opened, ObjectError>,
) -> Step {
    if let Err(e) = &answer {
        edge.warn(format!("pixel open not recorded: {e}"));
    }
    webhooks::then_enqueue(edge, open_events(edge, seen, &answer))
}

/// Classifies the opener of a request from all its headers.
pub fn classify(edge: &Edge, request: &Request) -> Classification {
    let ua = request.header_value("user-agent").unwrap_or("");
    let headers = request
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()));
    let mut signals = Signals::from_headers(ua, headers);
    signals.ip = request
        .header_value("cf-connecting-ip")
        .and_then(|ip| ip.trim().parse().ok());
    edge.classifier.classify(&signals)
}

fn opener(c: &Classification) -> Opener {
    Opener {
        device: c.device,
        opener: c.opener,
        client: c.client.map(str::to_owned),
        proxy: c.proxy.map(str::to_owned),
        machine: c.machine,
    }
}

/// The token in `/x/{token}.ext`.
fn token<'a>(rest: &'a str, ext: &str) -> &'a str {
    rest.strip_suffix(ext).unwrap_or(rest)
}

/// The claims of an authentic token naming a usable pool, and the pool's
/// shard count, or `None` (logged). A refused token is never forwarded anywhere.
fn verify(edge: &Edge, route: &str, token: &str) -> Option<(Claims, u32)> {
    let verified = match &edge.keys {
        Ok(keys) => keys.verify_with_shards(token),
        Err(_) => Err(TokenError::Malformed),
    };
    match verified {
        Ok((claims, shards)) if valid_pool_id(&claims.pool) => Some((claims, shards)),
        Ok((claims, _)) => {
            edge.warn(format!(
                "{route}: signed token names an invalid pool id ({} bytes)",
                claims.pool.len()
            ));
            None
        }
        Err(e) => {
            edge.warn(format!("{route}: refused token: {e}"));
            None
        }
    }
}

/// How long a pixel's open may wait for others to travel with to the pool
/// object (see `Effect::Object`'s `coalesce`): its answer is already sent, and
/// in a burst an isolate then sends one call per quarter second per pool rather
/// than one per open. Short enough that counts read a moment later are whole.
pub const PIXEL_LINGER_MS: u32 = 250;

/// The command recording an open of `claims`' recipient, sent to their pool
/// — to the recipient's shard of it when the pool has `shards` > 1
/// ([`crate::shard::shard_of`]), so opens coalesce per shard object.
fn open(claims: Claims, shards: u32, kind: OpenKind, c: &Classification) -> super::Effect {
    let shard = crate::shard::shard_of(&claims.recipient, shards);
    let target = Target::Pool(crate::shard::object_name(&claims.pool, shard, shards));
    let command = PoolCommand::Open {
        campaign: claims.campaign,
        recipient: claims.recipient,
        kind,
        opener: opener(c),
    };
    let linger = if kind == OpenKind::Pixel {
        PIXEL_LINGER_MS
    } else {
        0
    };
    coalesced(target, &command, linger)
}

/// The Analytics Engine data point of an open, when a dataset is bound as
/// `OPENS` (see [`super::EdgeConfig::analytics`]): blobs `[pool, campaign,
/// kind, device, opener, client, proxy, machine]` (`client` and `proxy` empty
/// when unknown, `machine` `"1"` or `"0"`), one double (1: the open), indexed
/// by pool. Never the recipient, the address or the User-Agent. It goes with
/// the open's command, so an open counted here is one the pool was asked to
/// record.
fn counted(edge: &Edge, claims: &Claims, kind: OpenKind, c: &Classification) -> Option<Effect> {
    edge.analytics.then(|| {
        Effect::DataPoint(DataPoint {
            blobs: vec![
                claims.pool.clone(),
                claims.campaign.clone(),
                kind.as_str().to_owned(),
                c.device.as_str().to_owned(),
                c.opener.as_str().to_owned(),
                c.client.unwrap_or_default().to_owned(),
                c.proxy.unwrap_or_default().to_owned(),
                if c.machine { "1" } else { "0" }.to_owned(),
            ],
            doubles: vec![1.0],
            indexes: vec![claims.pool.clone()],
        })
    })
}

/// The transparent 1×1 GIF, never cached.
pub fn pixel_response() -> Response {
    Response::image("image/gif", PIXEL_GIF)
}

/// `GET|HEAD /o/{token}.gif`: answers the pixel at once (its bytes never
/// depend on the pool), then records the open (not for HEAD) after the
/// response, so the pool object's round trip is off the image's path.
pub fn pixel(edge: &Edge, request: &Request, rest: &str) -> Step {
    if request.method == "HEAD" {
        return Step::respond(pixel_response());
    }
    match verify(edge, "pixel", token(rest, ".gif")) {
        Some((claims, shards)) => {
            let c = classify(edge, request);
            let seen = Seen::new(&claims, OpenKind::Pixel, &c);
            let point = counted(edge, &claims, OpenKind::Pixel, &c);
            Step::respond_then(
                pixel_response(),
                open(claims, shards, OpenKind::Pixel, &c),
                Cont::PixelRecorded { seen },
            )
            .also(point)
        }
        None => Step::respond(pixel_response()),
    }
}

/// What an opener is shown: the image variant, and whether the call link dials at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Answer {
    /// `button` for smartphones (tap to call), `text` for everything else.
    pub variant: Variant,
    /// True when `/c/` answers with a redirect to `tel:` (phones); otherwise a page.
    pub dials: bool,
}

/// The presentation decision for a classified opener. A machine opener is
/// shown what the device it stands for would see (Superhuman keeps the
/// reader's device; Gmail's proxy has none, so it gets the text variant).
pub fn answer(c: &Classification) -> Answer {
    Answer {
        variant: match c.device {
            DeviceClass::Smartphone => Variant::Button,
            _ => Variant::Text,
        },
        dials: matches!(
            c.device,
            DeviceClass::Smartphone | DeviceClass::Featurephone
        ),
    }
}

/// `GET|HEAD /n/{token}.png`: allocates or renews, answers the number image.
pub fn number(edge: &Edge, request: &Request, rest: &str) -> Step {
    if request.method == "HEAD" {
        // Headers only: no open is counted and nothing is allocated.
        return Step::respond(Response::image("image/png", Vec::new()));
    }
    let c = classify(edge, request);
    let variant = answer(&c).variant;
    match verify(edge, "number image", token(rest, ".png")) {
        Some((claims, shards)) => {
            let seen = Seen::new(&claims, OpenKind::Number, &c);
            let point = counted(edge, &claims, OpenKind::Number, &c);
            Step::then(
                open(claims, shards, OpenKind::Number, &c),
                Cont::Number { variant, seen },
            )
            .also(point)
        }
        None => Step::respond(neutral_response()),
    }
}

/// The image for a number-image request that cannot be served a number: a
/// token that does not verify (malformed, forged, an unfilled merge field
/// such as `*|RM_TOKEN|*`, signed by a key no longer in the key ring), a pool
/// never configured or purged, a pool object that failed. It is
/// [`ringmark_render::neutral_image`]: transparent, of the default snippet
/// box (see [`ringmark_render::NEUTRAL_DISPLAY`]) at 2×, so the slot keeps the
/// number's size and shows nothing — never a 1×1 image that the snippet's
/// `width` and `height:auto` would stretch into a large blank square. Only a
/// verified answer from a pool says which style it has, so nothing else can
/// be matched; a deleted pool, which still answers, shows its fallback number.
fn neutral_response() -> Response {
    Response::image("image/png", ringmark_render::neutral_image().png)
}

/// Renders the number a pool answered; any failure ends in a neutral image of
/// the snippet's box ([`ringmark_render::neutral_image`], or, when the
/// number cannot be drawn, [`ringmark_render::neutral_image_in`] the pool's style).
pub fn number_image(
    edge: &Edge,
    variant: Variant,
    answer: Result<Opened, ObjectError>,
) -> Response {
    let reply: NumberReply = match answer {
        Ok(Some(reply)) => reply,
        Ok(None) => {
            edge.warn("number image: the pool answered no number".to_owned());
            return neutral_response();
        }
        Err(e) => {
            edge.warn(format!("number image: {e}"));
            return neutral_response();
        }
    };
    let mut renderer = edge.renderer.borrow_mut();
    let image = renderer
        .render(&reply.display, variant, &reply.style)
        .or_else(|e| {
            edge.warn(format!(
                "number image: style refused ({e}); default style used"
            ));
            renderer.render(&reply.display, variant, &Style::default())
        });
    match image {
        Ok(image) => {
            let mut response = Response::image("image/png", image.png.clone())
                .with_header("x-ringmark-lease", &label(&reply.lease));
            if let Some(outcome) = &reply.exhausted {
                response = response.with_header("x-ringmark-exhausted", &label(outcome));
            }
            if reply.pressure {
                response = response.with_header("x-ringmark-pressure", "1");
            }
            response
        }
        Err(e) => {
            // The pool answered, so its style is known: the neutral image takes
            // the box its snippet declares (for a fallback of the neutral shape).
            edge.warn(format!("number image: render failed: {e}"));
            Response::image(
                "image/png",
                ringmark_render::neutral_image_in(&reply.style).png,
            )
        }
    }
}

/// `GET|HEAD /c/{token}`: a click. Phones go straight to the dialler; other
/// devices get a small page with the number and a `tel:` link.
pub fn click(edge: &Edge, request: &Request, rest: &str) -> Step {
    if request.method == "HEAD" {
        // Link scanners probe with HEAD: answer without counting a click.
        return Step::respond(Response::new(200, "text/html; charset=utf-8", Vec::new()));
    }
    let c = classify(edge, request);
    let dial = answer(&c).dials;
    match verify(edge, "click", rest) {
        Some((claims, shards)) => {
            let seen = Seen::new(&claims, OpenKind::Click, &c);
            let point = counted(edge, &claims, OpenKind::Click, &c);
            Step::then(
                open(claims, shards, OpenKind::Click, &c),
                Cont::Click { dial, seen },
            )
            .also(point)
        }
        None => Step::respond(page(None)),
    }
}

/// The answer to a click, from the pool's reply.
pub fn click_page(edge: &Edge, dial: bool, answer: Result<Opened, ObjectError>) -> Response {
    match answer {
        Ok(Some(reply)) if dial => Response::new(302, "text/plain; charset=utf-8", Vec::new())
            .with_header("location", &format!("tel:{}", reply.number))
            .with_header("cache-control", NO_STORE),
        Ok(Some(reply)) => page(Some(&reply)),
        Ok(None) => {
            edge.warn("click: the pool answered no number".to_owned());
            page(None)
        }
        Err(e) => {
            edge.warn(format!("click: {e}"));
            page(None)
        }
    }
}

fn page(reply: Option<&NumberReply>) -> Response {
    let main = match reply {
        Some(r) => format!(
            "<p>Call us on</p><p class=\"n\"><a href=\"tel:{}\">{}</a></p>",
            crate::snippet::escape(&r.number),
            crate::snippet::escape(&r.display)
        ),
        None => "<p>This call link is no longer valid. Please use the number in the email.</p>"
            .to_owned(),
    };
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>Call us</title>\
         <style>body{{font:18px/1.4 system-ui,sans-serif;margin:3em auto;max-width:28em;text-align:center;color:#111827}}\
         .n{{font-size:2em;font-weight:600}}a{{color:#1d4ed8}}</style></head><body>{main}</body></html>"
    );
    Response::new(200, "text/html; charset=utf-8", html).with_header("cache-control", NO_STORE)
}

/// Anything else: a plain 404 (not an email URL, so no image is owed).
pub fn not_found(request: &Request) -> Response {
    Response::new(
        404,
        "text/plain; charset=utf-8",
        format!("no route for {} {}\n", request.method, request.path()),
    )
}
