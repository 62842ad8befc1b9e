//! Never a blank box: every `/n/{token}.png` that cannot be served a number
//! still answers 200 `image/png` with the snippet's box, so the email's layout
//! does not jump and no stretched blank square shows.
//!
//! The snippet's `width`/`height` come from `ringmark_render::display_size`
//! of the pool's fallback display in the pool's style; a number image is drawn
//! at twice that box. A URL whose pool cannot be known (malformed, forged,
//! unfilled merge field, a key dropped from the key ring) or whose pool has no
//! number to give (never configured, purged, object failing) answers
//! `ringmark_render::neutral_image()`: a transparent PNG of the box of
//! `ringmark_render::NEUTRAL_DISPLAY` in the default style, which is the box
//! of every default-style pool of ten-digit North American numbers in
//! national format (the pool below).
#![cfg(not(target_arch = "wasm32"))]

mod support;

use support::{ADMIN, BASE, KEY, NOW, Service};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ringmark::edge::{EdgeConfig, EffectResult};
use ringmark::http::{Request, Response};
use ringmark::protocol::{Configured, read_answer};
use ringmark::snippet::Platform;
use ringmark::token::{Claims, Keyring};
use serde_json::{Value, json};

const DESKTOP: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148";
const DAY: i64 = 86_400;

fn get(url: &str, ua: &str) -> Request {
    Request::new("GET", url).header("user-agent", ua)
}

fn image_url(token: &str) -> String {
    format!("{BASE}/n/{token}.png")
}

/// Pool `p1` in the default style (US numbers, national display) and a token for it.
fn with_pool(s: &mut Service, style: Value) -> String {
    let mut body = json!({
        "numbers": ["+14155550101", "+14155550102"],
        "fallback": "+14155550100",
        "lease_seconds": 3600,
        "attribution_window_seconds": 2 * DAY,
    });
    if !style.is_null() {
        body["style"] = style;
    }
    let (status, answer) = s.admin("PUT", "/v1/pools/p1", body);
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = s.admin(
        "POST",
        "/v1/pools/p1/tokens",
        json!({"campaign": "c1", "recipients": ["a"]}),
    );
    assert_eq!(status, 200, "{answer}");
    answer["tokens"][0]["token"].as_str().unwrap().to_owned()
}

/// The snippet's `width` and `height` for pool `p1`, as its HTML writes them.
fn snippet_box(s: &mut Service) -> (u32, u32) {
    let (status, body) = s.admin(
        "POST",
        "/v1/pools/p1/snippet",
        json!({"platform": "mailchimp"}),
    );
    assert_eq!(status, 200, "{body}");
    let (w, h) = (
        body["width"].as_u64().unwrap() as u32,
        body["height"].as_u64().unwrap() as u32,
    );
    let html = body["html"].as_str().unwrap();
    assert!(
        html.contains(&format!("width=\"{w}\" height=\"{h}\"")),
        "{html}"
    );
    (w, h)
}

/// A PNG's pixel size and whether every pixel is fully transparent (decoded by the `png` crate,
/// which also checks the chunk CRCs and the zlib checksum).
fn decode(png_bytes: &[u8]) -> ((u32, u32), bool) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::ALPHA);
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut buf).expect("PNG data");
    assert_eq!(info.color_type, png::ColorType::Rgba);
    let pixels = buf.get(..info.buffer_size()).expect("the frame");
    let transparent = pixels.chunks_exact(4).all(|px| px.get(3) == Some(&0));
    ((info.width, info.height), transparent)
}

/// Checks a number-image answer that could show no number: 200, `image/png`, never cached, no
/// lease, and a transparent image of the snippet's box at 2×.
fn assert_neutral_box(what: &str, response: &Response, css_box: (u32, u32)) {
    assert_eq!(response.status, 200, "{what}");
    assert_eq!(
        response.header_value("content-type"),
        Some("image/png"),
        "{what}"
    );
    assert!(
        response
            .header_value("cache-control")
            .is_some_and(|c| c.contains("no-store")),
        "{what}: never cached"
    );
    assert!(
        response.header_value("x-ringmark-lease").is_none(),
        "{what}"
    );
    let (size, transparent) = decode(&response.body);
    assert_eq!(
        size,
        (css_box.0 * 2, css_box.1 * 2),
        "{what}: the box at 2×"
    );
    assert!(transparent, "{what}: nothing drawn");
    assert_eq!(
        response.body,
        ringmark_render::neutral_image().png,
        "{what}: the neutral image"
    );
}

/// The edge's answer when it needs no object (it panics if the request would reach one).
fn at_once(s: &Service, url: &str, ua: &str) -> Response {
    let step = s.edge.begin(&get(url, ua));
    assert!(step.effects.is_empty(), "{url} reached an object");
    step.response.expect("an answer")
}

/// `text` as a browser puts it in a URL path (WHATWG's path percent-encode set) and fully
/// percent-encoded (what some ESPs' link rewriters do).
fn as_sent(text: &str) -> [String; 3] {
    let mut path = String::new();
    let mut full = String::new();
    for byte in text.bytes() {
        let encoded = format!("%{byte:02X}");
        if b" \"#<>?`{}".contains(&byte) {
            path.push_str(&encoded);
        } else {
            path.push(char::from(byte));
        }
        if byte.is_ascii_alphanumeric() {
            full.push(char::from(byte));
        } else {
            full.push_str(&encoded);
        }
    }
    [text.to_owned(), path, full]
}

#[test]
fn the_neutral_image_is_the_default_snippet_box() {
    let mut s = Service::new();
    with_pool(&mut s, Value::Null);
    let css_box = snippet_box(&mut s);
    let neutral = ringmark_render::neutral_image();
    assert_eq!((neutral.width, neutral.height), css_box);
    assert_eq!(
        ringmark_render::display_size(ringmark_render::NEUTRAL_DISPLAY, &Default::default()),
        Ok(css_box),
        "one rule: the neutral box is display_size of the neutral display"
    );
}

#[test]
fn every_refused_token_answers_the_box_at_once() {
    let mut s = Service::new();
    let token = with_pool(&mut s, Value::Null);
    let css_box = snippet_box(&mut s);
    let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
    if let Some(last) = bytes.last_mut() {
        *last ^= 0x01;
    }
    let forged = URL_SAFE_NO_PAD.encode(&bytes);
    let mut cases = vec![
        ("malformed".to_owned(), "not-a-token".to_owned()),
        ("empty".to_owned(), String::new()),
        ("truncated".to_owned(), token.chars().take(20).collect()),
        ("forged".to_owned(), forged),
    ];
    for platform in Platform::ALL {
        for (i, sent) in as_sent(platform.merge_field()).into_iter().enumerate() {
            cases.push((format!("unfilled merge field {platform:?} #{i}"), sent));
        }
    }
    for (what, token) in &cases {
        for ua in [DESKTOP, IPHONE] {
            let what = format!("{what} ({token}) {ua}");
            assert_neutral_box(&what, &at_once(&s, &image_url(token), ua), css_box);
        }
    }
}

#[test]
fn a_token_signed_by_a_dropped_key_answers_the_box_and_a_kept_key_its_number() {
    // Tokens name their key by id; a key dropped from RINGMARK_SIGNING_KEY can verify nothing,
    // so the pool cannot be known: the neutral box. Kept after a newer key, it still verifies.
    let old = Keyring::parse(&format!("0:{KEY}")).unwrap();
    let token = old
        .sign(&Claims {
            pool: "p1".into(),
            campaign: "c1".into(),
            recipient: "a".into(),
        })
        .unwrap();
    for (keys, kept) in [
        ("1:new-secret-0123456789", false),
        (&format!("1:new-secret-0123456789, 0:{KEY}")[..], true),
    ] {
        let mut s = Service::with_config(EdgeConfig {
            signing_key: keys.into(),
            admin_token: ADMIN.into(),
            ..EdgeConfig::default()
        });
        with_pool(&mut s, Value::Null);
        let css_box = snippet_box(&mut s);
        if kept {
            let response = s.run(get(&image_url(&token), DESKTOP));
            assert_eq!(response.header_value("x-ringmark-lease"), Some("exclusive"));
            assert_eq!(decode(&response.body).0, (css_box.0 * 2, css_box.1 * 2));
        } else {
            let response = at_once(&s, &image_url(&token), DESKTOP);
            assert_neutral_box("a dropped key", &response, css_box);
        }
    }
}

#[test]
fn a_pool_never_configured_or_purged_answers_the_box() {
    let mut s = Service::new();
    let token = with_pool(&mut s, Value::Null);
    let css_box = snippet_box(&mut s);
    let ghost = Keyring::parse(KEY)
        .unwrap()
        .sign(&Claims {
            pool: "ghost".into(),
            campaign: "c1".into(),
            recipient: "a".into(),
        })
        .unwrap();
    for ua in [DESKTOP, IPHONE] {
        let response = s.run(get(&image_url(&ghost), ua));
        assert_neutral_box("never configured", &response, css_box);
    }

    // Deleted: old emails show the fallback, drawn in the pool's style in the same box.
    let (status, deleted) = s.admin("DELETE", "/v1/pools/p1", Value::Null);
    assert_eq!(status, 200, "{deleted}");
    for ua in [DESKTOP, IPHONE] {
        let response = s.run(get(&image_url(&token), ua));
        assert_eq!(response.header_value("x-ringmark-lease"), Some("fallback"));
        let (size, transparent) = decode(&response.body);
        assert_eq!(size, (css_box.0 * 2, css_box.1 * 2), "the fallback, {ua}");
        assert!(!transparent);
    }
    // Purged after its attribution window: the pool is unknown again.
    let purge_at = deleted["purge_at"].as_i64().unwrap();
    while let Some(alarm) = s.pools.values().filter_map(|slot| slot.alarm).min() {
        assert!(alarm <= purge_at, "the purge is the last alarm");
        s.now = alarm;
        s.fire_alarms();
    }
    assert!(s.pool_tables("p1").is_empty(), "purged");
    for ua in [DESKTOP, IPHONE] {
        let response = s.run(get(&image_url(&token), ua));
        assert_neutral_box("purged", &response, css_box);
    }
}

#[test]
fn a_failing_pool_object_answers_the_box() {
    let mut s = Service::new();
    let token = with_pool(&mut s, Value::Null);
    let css_box = snippet_box(&mut s);
    let failures = [
        ("unreachable", EffectResult::failed("connection reset")),
        (
            "a 500",
            EffectResult {
                status: 500,
                body: "internal error".into(),
            },
        ),
        (
            "an unreadable answer",
            EffectResult {
                status: 200,
                body: "not json".into(),
            },
        ),
    ];
    for (what, result) in failures {
        for ua in [DESKTOP, IPHONE] {
            let step = s.edge.begin(&get(&image_url(&token), ua));
            assert_eq!(step.effects.len(), 1, "a valid token asks its pool");
            let step = s.edge.resume(step, vec![result.clone()]);
            let response = step.response.expect("an answer");
            assert_neutral_box(what, &response, css_box);
        }
    }
}

#[test]
fn a_number_image_has_its_snippet_box_in_any_style() {
    // The snippet's box and the images of the pool's numbers are one computation: a styled pool's
    // numbers (same shape as its fallback) fill exactly the box its snippet declares.
    for style in [Value::Null, json!({"label": "Call us", "font_px": 24})] {
        let mut s = Service::new();
        let token = with_pool(&mut s, style.clone());
        let css_box = snippet_box(&mut s);
        for ua in [DESKTOP, IPHONE] {
            let response = s.run(get(&image_url(&token), ua));
            assert_eq!(response.header_value("x-ringmark-lease"), Some("exclusive"));
            let (size, transparent) = decode(&response.body);
            assert_eq!(size, (css_box.0 * 2, css_box.1 * 2), "{style} {ua}");
            assert!(!transparent, "a number is drawn");
        }
    }
}

#[test]
fn a_number_that_cannot_be_drawn_answers_its_pools_box() {
    // A pool saved before display strings were checked (configured on the object directly), whose
    // number cannot be drawn: the pool answered, so its style is known, and the neutral image takes
    // the box its snippet declares.
    let mut s = Service::new();
    let configure = json!({"op": "configure", "settings": {
        "config": {"numbers": ["+14155550101"], "fallback": "+14155550100", "lease_seconds": 3600},
        "displays": {"+14155550100": "(415) 555-0100", "+14155550101": "☎ 555 0101"},
        "style": {"label": "Call us", "font_px": 24}
    }});
    let slot = s.pools.entry("p1".into()).or_default();
    let out = slot.engine.handle_json(&configure.to_string(), NOW);
    assert!(
        read_answer::<Configured>(&out.answer).is_ok(),
        "{}",
        out.answer
    );
    slot.store.apply(&out.writes);
    let css_box = snippet_box(&mut s);
    assert_ne!(
        css_box,
        (
            ringmark_render::neutral_image().width,
            ringmark_render::neutral_image().height
        ),
        "a styled pool's box is its own"
    );
    let (status, answer) = s.admin(
        "POST",
        "/v1/pools/p1/tokens",
        json!({"campaign": "c1", "recipients": ["a"]}),
    );
    assert_eq!(status, 200, "{answer}");
    let token = answer["tokens"][0]["token"].as_str().unwrap().to_owned();
    let response = s.run(get(&image_url(&token), DESKTOP));
    assert_eq!(response.status, 200);
    assert_eq!(response.header_value("x-ringmark-lease"), None);
    let (size, transparent) = decode(&response.body);
    assert_eq!(size, (css_box.0 * 2, css_box.1 * 2));
    assert!(transparent);
    assert!(
        s.edge
            .take_log()
            .iter()
            .any(|l| l.msg.contains("render failed")),
        "logged"
    );
}
