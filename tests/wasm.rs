//! The wasm build's API, run in Node and in headless Chromium
//! (`make test-wasm`): the same module the Worker and the demo page load.
#![cfg(target_arch = "wasm32")]

use js_sys::{Object, Reflect};
use ringmark::edge::{Edge, EdgeConfig, Effect, EffectResult, Target};
use ringmark::http::Request;
use ringmark::token::{Claims, Keyring};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
const KEY: &str = "wasm-test-signing-key-0123";

fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(key)).unwrap()
}

#[wasm_bindgen_test]
fn classify_returns_a_plain_object() {
    let c = ringmark::wasm::classify(IPHONE, None).unwrap();
    let proto = Object::get_prototype_of(&c);
    assert!(JsValue::from(proto) == JsValue::from(Object::get_prototype_of(&Object::new())));
    assert_eq!(get(&c, "device").as_string().as_deref(), Some("smartphone"));
    assert_eq!(get(&c, "machine").as_bool(), Some(false));
    assert!(
        get(&c, "client").is_null(),
        "no email client in a plain Safari UA"
    );
}

#[wasm_bindgen_test]
fn classify_reads_headers_from_an_object() {
    let ua = "Mozilla/5.0 (Linux; Android 14; SM-S918B; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/126.0.0.0 Mobile Safari/537.36";
    let headers = Object::new();
    Reflect::set(
        &headers,
        &"X-Requested-With".into(),
        &"com.samsung.android.email.provider".into(),
    )
    .unwrap();
    let c = ringmark::wasm::classify(ua, Some(headers)).unwrap();
    assert_eq!(
        get(&c, "client").as_string().as_deref(),
        Some("Samsung Email")
    );
    let numbers = Object::new();
    Reflect::set(
        &numbers,
        &"sec-ch-ua-mobile".into(),
        &JsValue::from_f64(3.0),
    )
    .unwrap();
    let bad = ringmark::wasm::classify(ua, Some(numbers));
    assert!(bad.is_err(), "header values must be strings");
}

/// The device-model table loads in wasm (the whole shipped file), settles a white-label tablet that says
/// `Mobile`, and a malformed table is refused without touching the loaded one.
#[wasm_bindgen_test]
fn the_device_model_table_loads_and_decides_white_label_tablets() {
    let tablet = "Mozilla/5.0 (Linux; Android 10; Sencor_Element 9.7V2) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36";
    let device = || get(&ringmark::wasm::classify(tablet, None).unwrap(), "device").as_string();
    assert_eq!(device().as_deref(), Some("smartphone"), "the rules alone");
    let shipped = include_str!("../data/device-models/device-models.tsv");
    let n = ringmark::wasm::load_device_models(shipped.as_bytes()).unwrap();
    assert!(n > 50_000, "{n} codes");
    assert_eq!(device().as_deref(), Some("tablet"), "with the table");
    assert!(ringmark::wasm::load_device_models(b"sencor_element 9.7v2\tphablet\n").is_err());
    assert!(
        ringmark::wasm::load_device_models(&[0xff, 0xfe]).is_err(),
        "not UTF-8"
    );
    assert_eq!(
        device().as_deref(),
        Some("tablet"),
        "a refused table leaves the loaded one"
    );
    // Back to no table, for the other tests in this module instance.
    assert_eq!(ringmark::wasm::load_device_models(b"").unwrap(), 0);
    assert_eq!(device().as_deref(), Some("smartphone"));
}

#[wasm_bindgen_test]
fn renders_png_variants() {
    for variant in ["text", "button"] {
        let png = ringmark::wasm::render_number("(415) 555-0132", variant, "").unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{variant}");
        assert!(png.len() <= 4096, "{variant}: {} bytes", png.len());
    }
    assert!(ringmark::wasm::render_number("1", "svg", "").is_err());
    assert_eq!(&ringmark::wasm::pixel_gif()[..6], b"GIF89a");
}

#[wasm_bindgen_test]
fn writes_the_snippet_a_page_can_preview() {
    let html = ringmark::wasm::snippet_html(
        "https://t.example.com",
        "plain",
        "(415) 555-0132",
        r#"{"label": "Call us"}"#,
    )
    .unwrap();
    assert!(
        html.contains("src=\"https://t.example.com/n/{{TOKEN}}.png\" width=\"271\" height=\"48\"")
    );
    assert!(html.contains(">Call us (415) 555-0132</center>"), "{html}");
    assert!(ringmark::wasm::snippet_html("https://t", "gmail", "(415) 555-0132", "").is_err());
    assert!(
        ringmark::wasm::snippet_html("https://t", "plain", "(415) 555-0132", r#"{"font_px": 2}"#)
            .is_err()
    );
}

#[wasm_bindgen_test]
fn edge_plans_a_number_image_through_the_pool_object() {
    let edge = Edge::new(&EdgeConfig {
        signing_key: KEY.into(),
        admin_token: "wasm-test-admin-token".into(),
        ..EdgeConfig::default()
    });
    let claims = Claims {
        pool: "p1".into(),
        campaign: "c".into(),
        recipient: "r".into(),
    };
    let token = Keyring::parse(KEY).unwrap().sign(&claims).unwrap();

    // A pool object configured through its own command, as the Worker would.
    let mut pool = ringmark::objects::PoolObject::empty();
    let configure = serde_json::json!({"op": "configure", "settings": {
        "config": {"numbers": ["+14155550101"], "fallback": "+14155550100", "lease_seconds": 3600},
        "displays": {"+14155550101": "(415) 555-0101"},
        "style": {}
    }});
    let configured = pool.handle_json(&configure.to_string(), 1_000);
    assert!(
        configured.answer.starts_with(r#"{"ok":"#),
        "{}",
        configured.answer
    );

    let request = Request::new("GET", &format!("https://t.example/n/{token}.png"))
        .header("user-agent", IPHONE);
    let step = edge.begin(&request);
    let [
        Effect::Object {
            target, command, ..
        },
    ] = step.effects.as_slice()
    else {
        panic!("a valid token goes to its pool");
    };
    assert_eq!(*target, Target::Pool("p1".into()));
    let answer = pool.handle_json(command, 1_000);
    assert!(answer.answer.starts_with(r#"{"ok":"#), "{}", answer.answer);
    assert!(!answer.writes.is_empty(), "the allocation is persisted");
    let result = EffectResult {
        status: 200,
        body: answer.answer,
    };
    let Some(response) = edge.resume(step, vec![result]).response else {
        panic!("the image is answered after the pool");
    };
    assert_eq!(response.status, 200);
    assert_eq!(response.header_value("content-type"), Some("image/png"));
    assert_eq!(response.header_value("x-ringmark-lease"), Some("exclusive"));
}

#[wasm_bindgen_test]
fn a_forged_token_still_gets_an_image() {
    let edge = Edge::new(&EdgeConfig {
        signing_key: KEY.into(),
        ..EdgeConfig::default()
    });
    let step = edge.begin(&Request::new("GET", "https://t.example/n/garbage.png"));
    assert!(
        step.effects.is_empty(),
        "nothing to forward for an unreadable token"
    );
    let response = step.response.expect("answered at once");
    assert_eq!(response.status, 200);
    assert_eq!(response.header_value("content-type"), Some("image/png"));
}

/// The adapter takes an outcome's writes in chunks (worker/objects.js): the same statements, in
/// the same order, as the one text of them all, and each taken only once.
#[wasm_bindgen_test]
fn writes_taken_in_chunks_are_the_writes_text() {
    let mut pool = ringmark::wasm::WasmPoolObject::load("[]".into()).unwrap();
    let configure = serde_json::json!({"op": "configure", "settings": {
        "config": {"numbers": ["+14155550101"], "fallback": "+14155550100", "lease_seconds": 3600},
        "displays": {},
        "style": {}
    }});
    let mut outcome = pool.handle(&configure.to_string());
    let whole = outcome.writes();
    assert!(whole.contains("snapshot_parts"), "configuring snapshots");
    let mut statements = Vec::new();
    while let Some(chunk) = outcome.take_writes() {
        let chunk: Vec<serde_json::Value> = serde_json::from_str(&chunk).unwrap();
        assert!(!chunk.is_empty());
        statements.extend(chunk);
    }
    assert_eq!(outcome.pending_writes(), 0);
    assert_eq!(serde_json::to_string(&statements).unwrap(), whole);
    assert_eq!(outcome.writes(), "[]");
    assert_eq!(outcome.take_writes(), None);
}
