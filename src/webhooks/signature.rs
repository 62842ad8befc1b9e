//! Standard Webhooks signatures: the `whsec_` secret, `sign` and `verify`.
//!
//! The scheme is the one the [Standard Webhooks] specification fixes, so a
//! receiver verifies ringmark's requests with any of its published libraries
//! (or Svix's, which share it):
//!
//! ```text
//! signed content    = "{webhook-id}.{webhook-timestamp}.{body}"
//! webhook-signature = "v1," + base64(HMAC-SHA256(key, signed content))
//! secret            = "whsec_" + base64(key)            (key: 24 to 64 bytes)
//! ```
//!
//! The header may carry several space-separated signatures (the spec's way of
//! rotating a secret without downtime); a receiver accepts the request when
//! any `v1` signature verifies. [`verify`] is here for ringmark's own tests
//! and for operators who want to check a captured request in Rust; it compares
//! in constant time (`Mac::verify_slice`, `subtle`) and refuses timestamps
//! more than [`TOLERANCE_SECONDS`] away from now, as the reference libraries do.
//!
//! [Standard Webhooks]: https://www.standardwebhooks.com
#![deny(clippy::indexing_slicing, clippy::string_slice)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::Sha256;
use std::fmt;

type HmacSha256 = Hmac<Sha256>;

/// The prefix that marks a symmetric Standard Webhooks secret.
pub const SECRET_PREFIX: &str = "whsec_";
/// How far a `webhook-timestamp` may lie from the verifier's clock, either
/// way: five minutes, the reference libraries' tolerance. It bounds how long
/// a captured request can be replayed.
pub const TOLERANCE_SECONDS: i64 = 5 * 60;
/// Fewest key bytes a secret may have: the spec's minimum (192 bits).
pub const MIN_KEY_BYTES: usize = 24;
/// Most key bytes a secret may have. The spec allows up to 64 here; more would
/// only be hashed down by HMAC anyway.
pub const MAX_KEY_BYTES: usize = 64;
/// Longest `webhook-signature` header [`verify`] reads: 16 signatures of the
/// longest scheme the spec names. Longer headers are refused before any HMAC
/// work, so a hostile sender cannot make the verifier loop.
pub const MAX_SIGNATURE_HEADER: usize = 16 * 96;

/// A symmetric signing secret: the key bytes behind a `whsec_…` string.
///
/// One per endpoint (the spec asks that keys are never shared between
/// endpoints). `Debug` never prints it; [`Secret::expose`] is the one way out,
/// named so that every place a secret leaves is easy to find.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    key: Vec<u8>,
}

/// Why a secret was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretError {
    /// The text is not base64 (after an optional `whsec_` prefix).
    NotBase64,
    /// The key has fewer than [`MIN_KEY_BYTES`] or more than [`MAX_KEY_BYTES`] bytes.
    BadLength(usize),
}

impl fmt::Display for SecretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretError::NotBase64 => f.write_str("secret is not whsec_ followed by base64"),
            SecretError::BadLength(n) => write!(
                f,
                "secret key is {n} bytes; it must be {MIN_KEY_BYTES} to {MAX_KEY_BYTES}"
            ),
        }
    }
}

impl std::error::Error for SecretError {}

impl Secret {
    /// A new secret from random bytes the caller drew (`getrandom` in the
    /// Worker, fixed bytes in tests): the engine never draws randomness itself.
    ///
    /// # Errors
    /// [`SecretError::BadLength`] unless 24 to 64 bytes are given (32 is the
    /// usual choice).
    pub fn from_random(bytes: &[u8]) -> Result<Secret, SecretError> {
        if (MIN_KEY_BYTES..=MAX_KEY_BYTES).contains(&bytes.len()) {
            Ok(Secret {
                key: bytes.to_vec(),
            })
        } else {
            Err(SecretError::BadLength(bytes.len()))
        }
    }

    /// Reads a `whsec_…` string. The prefix is optional, as in the reference
    /// libraries, so a secret pasted without it still works.
    ///
    /// # Errors
    /// [`SecretError`] when the text is not base64 or the key length is out of bounds.
    pub fn parse(text: &str) -> Result<Secret, SecretError> {
        let text = text.trim();
        let b64 = text.strip_prefix(SECRET_PREFIX).unwrap_or(text);
        // Bound the work before decoding: base64 of MAX_KEY_BYTES is 88 characters.
        if b64.len() > MAX_KEY_BYTES.div_ceil(3) * 4 {
            return Err(SecretError::BadLength(b64.len() / 4 * 3));
        }
        let key = STANDARD
            .decode(b64.as_bytes())
            .map_err(|_| SecretError::NotBase64)?;
        Secret::from_random(&key)
    }

    /// The secret as `whsec_` + base64, the form shown to the operator once
    /// (in the answer to the registration) and kept in storage.
    pub fn expose(&self) -> String {
        format!("{SECRET_PREFIX}{}", STANDARD.encode(&self.key))
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes keys of any length, so this cannot fail.
        <HmacSha256 as KeyInit>::new_from_slice(&self.key).expect("HMAC takes any key length")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material, not even a prefix of it.
        write!(f, "Secret({SECRET_PREFIX}…, {} bytes)", self.key.len())
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.expose())
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Secret::parse(&text).map_err(serde::de::Error::custom)
    }
}

fn signed_content(secret: &Secret, msg_id: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
    let mut mac = secret.mac();
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `webhook-signature` value for one request: `v1,` + base64 of
/// HMAC-SHA256 over `{msg_id}.{timestamp}.{body}`.
///
/// `body` must be the exact bytes sent: the receiver hashes what it gets.
pub fn sign(secret: &Secret, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    let tag = signed_content(secret, msg_id, timestamp, body)
        .finalize()
        .into_bytes();
    format!("v1,{}", STANDARD.encode(tag))
}

/// Why a request's signature was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyError {
    /// A header is empty, the timestamp is not an integer, or the signature
    /// header is longer than [`MAX_SIGNATURE_HEADER`].
    Malformed,
    /// `webhook-timestamp` is more than [`TOLERANCE_SECONDS`] before now.
    TooOld,
    /// `webhook-timestamp` is more than [`TOLERANCE_SECONDS`] after now.
    TooNew,
    /// No `v1` signature in the header matches.
    NoMatch,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VerifyError::Malformed => "webhook headers are missing or malformed",
            VerifyError::TooOld => "webhook-timestamp is too old",
            VerifyError::TooNew => "webhook-timestamp is too far in the future",
            VerifyError::NoMatch => "no webhook signature matches",
        })
    }
}

impl std::error::Error for VerifyError {}

/// Checks a received request as a Standard Webhooks receiver does.
///
/// `msg_id`, `timestamp` and `signatures` are the `webhook-id`,
/// `webhook-timestamp` and `webhook-signature` header values; `now` is the
/// verifier's clock (Unix seconds). The timestamp is checked first (cheap and
/// public), then each `v1,` entry of the header is compared with the expected
/// tag in constant time; other versions (`v1a`, future ones) are skipped.
///
/// # Errors
/// [`VerifyError`] saying which check failed.
pub fn verify(
    secret: &Secret,
    msg_id: &str,
    timestamp: &str,
    signatures: &str,
    body: &[u8],
    now: i64,
) -> Result<(), VerifyError> {
    if msg_id.is_empty() || signatures.is_empty() || signatures.len() > MAX_SIGNATURE_HEADER {
        return Err(VerifyError::Malformed);
    }
    let at: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| VerifyError::Malformed)?;
    if now.saturating_sub(at) > TOLERANCE_SECONDS {
        return Err(VerifyError::TooOld);
    }
    if at.saturating_sub(now) > TOLERANCE_SECONDS {
        return Err(VerifyError::TooNew);
    }
    let expected = signed_content(secret, msg_id, at, body);
    for entry in signatures.split(' ') {
        let Some(("v1", b64)) = entry.split_once(',') else {
            continue;
        };
        // Decoding the candidate is public work; the comparison with the
        // expected tag is the constant-time one.
        let Ok(candidate) = STANDARD.decode(b64.as_bytes()) else {
            continue;
        };
        if expected.clone().verify_slice(&candidate).is_ok() {
            return Ok(());
        }
    }
    Err(VerifyError::NoMatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_key() {
        let secret = Secret::from_random(&[7u8; 32]).unwrap();
        let shown = format!("{secret:?}");
        assert!(!shown.contains(&STANDARD.encode([7u8; 32])), "{shown}");
        assert!(!shown.contains("Bwc"), "{shown}");
        assert_eq!(shown, "Secret(whsec_…, 32 bytes)");
    }

    #[test]
    fn secret_lengths_are_bounded() {
        assert_eq!(
            Secret::from_random(&[0u8; 23]),
            Err(SecretError::BadLength(23))
        );
        assert!(Secret::from_random(&[0u8; 24]).is_ok());
        assert!(Secret::from_random(&[0u8; 64]).is_ok());
        assert!(Secret::from_random(&[0u8; 65]).is_err());
        assert!(Secret::parse(&format!("whsec_{}", "A".repeat(400))).is_err());
        assert_eq!(Secret::parse("whsec_!!!"), Err(SecretError::NotBase64));
    }

    #[test]
    fn secret_round_trips_through_text_and_serde() {
        let secret = Secret::from_random(&[
            1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
        ])
        .unwrap();
        let text = secret.expose();
        assert!(text.starts_with("whsec_"));
        assert_eq!(Secret::parse(&text).unwrap(), secret);
        let json = serde_json::to_string(&secret).unwrap();
        assert_eq!(json, format!("\"{text}\""));
        assert_eq!(serde_json::from_str::<Secret>(&json).unwrap(), secret);
    }
}
