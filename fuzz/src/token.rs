//! The `token` target: arbitrary text as a token and as key-ring
//! configuration, with a fixed test key ring.
//!
//! What must hold (`src/token.rs`): nothing panics; a token verifies only if
//! this deployment signed it, and then it is the one canonical token of its
//! claims (re-signing gives the same text); any change to a signed token is
//! refused; signing then verifying gives back the claims.

use crate::service::{CURRENT_KEY, FORGED_KEY, OLDER_KEY, SIGNING_KEY};
use arbitrary::{Arbitrary, Unstructured};
use ringmark::token::{Claims, Keyring, MAX_FIELD_LEN};

struct Rings {
    deployment: Keyring,
    current: Keyring,
    older: Keyring,
    forged: Keyring,
}

fn rings() -> &'static Rings {
    static RINGS: std::sync::OnceLock<Rings> = std::sync::OnceLock::new();
    RINGS.get_or_init(|| {
        let parse = |t| Keyring::parse(t).expect("a fuzz key");
        Rings {
            deployment: parse(SIGNING_KEY),
            current: parse(CURRENT_KEY),
            older: parse(OLDER_KEY),
            forged: parse(FORGED_KEY),
        }
    })
}

/// Checks a token the deployment accepted.
fn accepted(token: &str, claims: &Claims) {
    let r = rings();
    for field in [&claims.pool, &claims.campaign, &claims.recipient] {
        assert!(
            !field.is_empty() && field.len() <= MAX_FIELD_LEN,
            "{token:?} verified to a field of {} bytes",
            field.len()
        );
    }
    // Only the deployment's keys sign: it is one of theirs, canonical.
    let by_current = r.current.sign(claims).expect("claims that verified sign");
    let by_older = r.older.sign(claims).expect("claims that verified sign");
    assert!(
        token == by_current || token == by_older,
        "{token:?} verified to {claims:?} but is not what either key signs for them \
         ({by_current} / {by_older})"
    );
    assert!(
        r.forged.verify(token).is_err(),
        "{token:?} verified under a forger's key"
    );
}

fn field(u: &mut Unstructured) -> arbitrary::Result<String> {
    Ok(match u.int_in_range(0..=7u8)? {
        0 => "x".repeat(u.int_in_range(250..=260)?),
        1 => String::new(),
        _ => String::arbitrary(u)?,
    })
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let r = rings();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        // Arbitrary text as a token.
        0 | 1 => {
            let token = String::from_utf8_lossy(rest);
            if let Ok(claims) = r.deployment.verify(&token) {
                accepted(&token, &claims);
            }
        }
        // Signed claims, then altered.
        2 => {
            let mut u = Unstructured::new(rest);
            let (Ok(pool), Ok(campaign), Ok(recipient)) =
                (field(&mut u), field(&mut u), field(&mut u))
            else {
                return;
            };
            let claims = Claims {
                pool,
                campaign,
                recipient,
            };
            let ring = if u.ratio(1, 3).unwrap_or(false) {
                &r.older
            } else {
                &r.current
            };
            let token = match ring.sign(&claims) {
                Ok(t) => t,
                Err(e) => {
                    assert!(
                        [&claims.pool, &claims.campaign, &claims.recipient]
                            .iter()
                            .any(|f| f.is_empty() || f.len() > MAX_FIELD_LEN),
                        "signing {claims:?} failed: {e}"
                    );
                    return;
                }
            };
            assert_eq!(r.deployment.verify(&token).as_ref(), Ok(&claims), "{token}");
            accepted(&token, &claims);
            // Any change is refused.
            let mut altered: Vec<u8> = token.clone().into_bytes();
            let edit = u.int_in_range(0..=3u8).unwrap_or(0);
            let at = u.choose_index(altered.len()).unwrap_or(0);
            let byte = u8::arbitrary(&mut u).unwrap_or(b'A');
            match edit {
                0 => altered[at] = byte,
                1 => altered.truncate(at),
                2 => altered.insert(at, byte),
                _ => altered.push(byte),
            }
            let altered = String::from_utf8_lossy(&altered).into_owned();
            if altered != token {
                assert!(
                    r.deployment.verify(&altered).is_err(),
                    "{token} altered to {altered} still verifies"
                );
            }
        }
        // Arbitrary key-ring text.
        _ => {
            let text = String::from_utf8_lossy(rest);
            if let Ok(ring) = Keyring::parse(&text) {
                let claims = Claims {
                    pool: "p1".into(),
                    campaign: "c1".into(),
                    recipient: "alice@example.com".into(),
                };
                let token = ring.sign(&claims).expect("a parsed ring signs");
                assert_eq!(ring.verify(&token), Ok(claims), "ring {text:?}");
            }
        }
    }
}
