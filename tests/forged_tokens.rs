//! Forged, altered and random tokens at the edge: nothing in a token is used
//! before its tag verifies, so none of them reaches a Durable Object. Each
//! email route answers at once with what it answers for a pool that does not
//! exist — the pixel, the neutral image, the call page without a number —
//! and the pool objects see no command and write nothing.
//! (`tests/e2e/forged.test.mjs` checks the same against workerd's storage.)
#![cfg(not(target_arch = "wasm32"))]

mod support;

use support::{ADMIN, KEY, Service};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ringmark::edge::{Effect, Target};
use ringmark::http::{Request, Response};
use ringmark::token::{Claims, Keyring, TokenError};
use serde_json::{Value, json};

const BASE: &str = "https://t.example.com";
const DESKTOP: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148";
/// Issued for pool `p1`, campaign `c1`, recipient `a` under [`KEY`] by the
/// release before verification authenticated first (same format).
const OLD_TOKEN: &str = "AgCVlHYNxtRlWOdRiX-BgZWOH6dOTPultgc";

impl Service {
    /// With pool `p1` configured.
    fn with_pool() -> Self {
        let mut s = Service::new();
        let body = json!({"numbers": ["+14155550101", "+14155550102"],
                          "fallback": "+14155550100", "lease_seconds": 3600});
        let request = Request::new("PUT", &format!("{BASE}/v1/pools/p1"))
            .header("authorization", &format!("Bearer {ADMIN}"))
            .body(body.to_string());
        assert_eq!(s.run(request).status, 200);
        s
    }

    fn state(&mut self, pool: &str) -> Value {
        let request = Request::new("GET", &format!("{BASE}/v1/pools/{pool}"))
            .header("authorization", &format!("Bearer {ADMIN}"));
        let response = self.run(request);
        assert_eq!(response.status, 200);
        serde_json::from_slice(&response.body).unwrap()
    }
}

/// The three email URLs of a token.
fn urls(token: &str) -> [String; 3] {
    [
        format!("{BASE}/o/{token}.gif"),
        format!("{BASE}/n/{token}.png"),
        format!("{BASE}/c/{token}"),
    ]
}

fn get(url: &str, ua: &str) -> Request {
    Request::new("GET", url).header("user-agent", ua)
}

/// A PNG's size from its IHDR chunk.
/// The edge's answer to `url` when it needs no object at all (it panics if the request would
/// reach one, before or after its response).
fn at_once(s: &Service, url: &str, ua: &str) -> Response {
    let step = s.edge.begin(&get(url, ua));
    assert!(
        step.effects.is_empty(),
        "{url} reached an object: {:?}",
        step.effects
    );
    step.response
        .unwrap_or_else(|| panic!("{url} has no answer"))
}

fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && &png[12..16] == b"IHDR");
    let be = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

/// Checks the answer owed to a token that names no usable pool.
fn assert_refused(url: &str, ua: &str, response: &Response) {
    assert_eq!(response.status, 200, "{url}");
    let content_type = response.header_value("content-type").unwrap_or("");
    if url.contains("/o/") {
        assert_eq!(content_type, "image/gif", "{url}");
        assert_eq!(response.body, ringmark_render::PIXEL_GIF, "{url}");
        assert_eq!(&response.body[6..10], &[1, 0, 1, 0], "1×1");
    } else if url.contains("/n/") {
        assert_eq!(content_type, "image/png", "{url}");
        let neutral = ringmark_render::neutral_image();
        assert_eq!(response.body, neutral.png, "{url}");
        assert_eq!(
            png_size(&response.body),
            (neutral.width * 2, neutral.height * 2),
            "{url}: the default snippet box at 2×, never a stretched 1×1"
        );
        assert!(response.header_value("x-ringmark-lease").is_none(), "{url}");
    } else {
        assert!(content_type.starts_with("text/html"), "{url} {ua}");
        let html = String::from_utf8_lossy(&response.body);
        assert!(html.contains("no longer valid"), "{url} {ua}");
        assert!(!html.contains("tel:"), "{url} {ua}: no number is shown");
        assert!(response.header_value("location").is_none(), "{url} {ua}");
    }
    assert!(
        response
            .header_value("cache-control")
            .is_some_and(|c| c.contains("no-store")),
        "{url}: never cached"
    );
}

/// splitmix64: a fixed, dependency-free sequence for the mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// 1,000 distinct mutations of `token`, each flipping 1 to 4 random bits.
fn bit_flips(token: &str, rng: &mut Rng) -> Vec<String> {
    let bytes = URL_SAFE_NO_PAD.decode(token).unwrap();
    let mut out = std::collections::BTreeSet::new();
    while out.len() < 1000 {
        let mut altered = bytes.clone();
        for _ in 0..=rng.below(4) {
            let i = rng.below(altered.len());
            altered[i] ^= 1 << rng.below(8);
        }
        if altered != bytes {
            out.insert(URL_SAFE_NO_PAD.encode(&altered));
        }
    }
    out.into_iter().collect()
}

/// 1,000 random tokens: random bytes of random lengths, half of them behind a
/// valid version and key id (so they reach the tag check), and random text.
fn random_tokens(rng: &mut Rng) -> Vec<String> {
    (0..1000)
        .map(|i| {
            let len = rng.below(120);
            let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            match i % 4 {
                0 | 1 if bytes.len() >= 2 => {
                    bytes[0] = 2;
                    bytes[1] = 0;
                    URL_SAFE_NO_PAD.encode(&bytes)
                }
                2 => URL_SAFE_NO_PAD.encode(&bytes),
                _ => {
                    const URL_SAFE: &[u8] =
                        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~";
                    bytes
                        .iter()
                        .map(|b| char::from(URL_SAFE[usize::from(*b) % URL_SAFE.len()]))
                        .collect()
                }
            }
        })
        .collect()
}

#[test]
fn forged_altered_and_random_tokens_never_reach_an_object() {
    let mut s = Service::with_pool();
    let keys = Keyring::parse(KEY).unwrap();
    let valid = keys
        .sign(&Claims {
            pool: "p1".into(),
            campaign: "c1".into(),
            recipient: "alice@example.com".into(),
        })
        .unwrap();
    let mut rng = Rng(0x5eed);
    let mutations = bit_flips(&valid, &mut rng);
    let random = random_tokens(&mut rng);
    let before = s.state("p1");
    let (mut malformed, mut bad_mac) = (0, 0);
    for token in mutations.iter().chain(&random) {
        match keys.verify(token) {
            Err(TokenError::Malformed) => malformed += 1,
            Err(TokenError::BadSignature) => bad_mac += 1,
            other => panic!("{token} was accepted: {other:?}"),
        }
        for url in urls(token) {
            for ua in [DESKTOP, IPHONE] {
                assert_refused(&url, ua, &at_once(&s, &url, ua));
            }
        }
    }
    // Both refusals were exercised: public checks (length, version, key id)
    // and the tag.
    assert!(malformed > 300 && bad_mac > 1000, "{malformed} {bad_mac}");
    assert!(
        s.edge
            .take_log()
            .iter()
            .all(|l| l.msg.contains("refused token"))
    );
    assert_eq!(s.pools.len(), 1, "no pool object was created");
    assert_eq!(
        s.state("p1"),
        before,
        "the pool counted and allocated nothing"
    );
}

#[test]
fn a_forgery_steered_onto_a_configured_pool_gets_nothing_of_it() {
    // ChaCha20 is malleable: XOR a token for pool "p2" (never configured) so
    // its ciphertext decrypts to "p1", a real pool. Before, the edge parsed
    // that name and showed p1's fallback number; now the tag fails first.
    let s = Service::with_pool();
    let keys = Keyring::parse(KEY).unwrap();
    let claims = Claims {
        pool: "p2".into(),
        campaign: "c1".into(),
        recipient: "a".into(),
    };
    let mut bytes = URL_SAFE_NO_PAD.decode(keys.sign(&claims).unwrap()).unwrap();
    bytes[2 + 16 + 2] ^= b'2' ^ b'1'; // header, tag, length byte, 'p'
    let forged = URL_SAFE_NO_PAD.encode(&bytes);
    assert_eq!(keys.verify(&forged), Err(TokenError::BadSignature));
    for url in urls(&forged) {
        for ua in [DESKTOP, IPHONE] {
            assert_refused(&url, ua, &at_once(&s, &url, ua));
        }
    }
    assert_eq!(
        s.commands.get("p1"),
        Some(&1),
        "only the PUT's configuration"
    );
}

#[test]
fn a_refused_token_gets_what_an_unknown_pool_gets() {
    // A verified token for a pool that was never configured does reach its
    // object (only the object knows), which answers 404 and writes nothing;
    // the edge then answers exactly what it answers a refused token at once.
    let mut s = Service::with_pool();
    let keys = Keyring::parse(KEY).unwrap();
    let ghost = keys
        .sign(&Claims {
            pool: "ghost".into(),
            campaign: "c1".into(),
            recipient: "a".into(),
        })
        .unwrap();
    for (ghost_url, forged_url) in urls(&ghost).iter().zip(urls("not-a-token")) {
        for ua in [DESKTOP, IPHONE] {
            let unknown = s.run(get(ghost_url, ua));
            let refused = at_once(&s, &forged_url, ua);
            assert_refused(ghost_url, ua, &unknown);
            assert_eq!(
                (unknown.status, &unknown.headers, &unknown.body),
                (refused.status, &refused.headers, &refused.body),
                "{ghost_url} {ua}"
            );
        }
    }
    assert_eq!(
        s.commands.get("ghost"),
        Some(&6),
        "each GET asked the object"
    );
    assert_eq!(s.writes.get("ghost"), Some(&0), "which wrote nothing");
}

#[test]
fn malformed_and_bad_mac_tokens_take_one_path() {
    // Both end in `begin`, before any object, with the same answer; only the
    // log line says which check refused the token.
    let s = Service::with_pool();
    let keys = Keyring::parse(KEY).unwrap();
    let mut bytes = URL_SAFE_NO_PAD.decode(OLD_TOKEN).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    let bad_mac = URL_SAFE_NO_PAD.encode(&bytes);
    bytes.truncate(last); // now the plaintext does not even parse: still the tag's refusal
    let cut = URL_SAFE_NO_PAD.encode(&bytes);
    let malformed = [
        "not-a-token",
        "",
        "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "a.b",
    ];
    assert_eq!(keys.verify(&bad_mac), Err(TokenError::BadSignature));
    assert_eq!(keys.verify(&cut), Err(TokenError::BadSignature));
    for token in malformed {
        assert_eq!(keys.verify(token), Err(TokenError::Malformed), "{token}");
    }
    for (i, url) in urls(&bad_mac).iter().enumerate() {
        for ua in [DESKTOP, IPHONE] {
            let answer = |url: &str| {
                let r = at_once(&s, url, ua);
                (r.status, r.headers, r.body)
            };
            let reference = answer(url);
            assert_eq!(answer(&urls(&cut)[i]), reference);
            for token in malformed {
                assert_eq!(answer(&urls(token)[i]), reference, "{token}");
            }
        }
    }
    let log = s.edge.take_log();
    assert!(
        log.iter()
            .any(|l| l.msg.ends_with("token signature does not verify"))
    );
    assert!(log.iter().any(|l| l.msg.ends_with("token is malformed")));
}

#[test]
fn a_token_issued_in_the_old_format_still_opens() {
    let mut s = Service::with_pool();
    let request = Request::new("POST", &format!("{BASE}/v1/pools/p1/tokens"))
        .header("authorization", &format!("Bearer {ADMIN}"))
        .body(json!({"campaign": "c1", "recipients": ["a"]}).to_string());
    let issued: Value = serde_json::from_slice(&s.run(request).body).unwrap();
    assert_eq!(
        issued["tokens"][0]["token"], OLD_TOKEN,
        "the format is unchanged"
    );
    let url = format!("{BASE}/n/{OLD_TOKEN}.png");
    let step = s.edge.begin(&get(&url, DESKTOP));
    let [
        Effect::Object {
            target, command, ..
        },
    ] = step.effects.as_slice()
    else {
        panic!("a valid token opens its pool: {:?}", step.effects);
    };
    assert_eq!(*target, Target::Pool("p1".into()));
    let command: Value = serde_json::from_str(command).unwrap();
    assert_eq!(
        (&command["op"], &command["campaign"], &command["recipient"]),
        (&json!("open"), &json!("c1"), &json!("a"))
    );
    let response = s.run(get(&url, DESKTOP));
    assert_eq!(response.header_value("x-ringmark-lease"), Some("exclusive"));
    assert_ne!(
        response.body,
        ringmark_render::neutral_image().png,
        "the number, not the neutral image (which has the same box)"
    );
}
