//! Signed recipient tokens: the `{token}` in every email URL.
//!
//! A token names a pool, a campaign and a recipient, and proves that the
//! operator issued it, so a URL typed or forged by someone else never takes a
//! number from a pool. It is opaque and URL-safe (base64url, no padding) and
//! short enough for an email merge field.
//!
//! Layout before base64url: `version (1) | key id (1) | pool | campaign |
//! recipient | tag (16)`, each string prefixed by its length as one byte (at
//! most 255 bytes each). The tag is HMAC-SHA256 over everything before it,
//! truncated to 128 bits (NIST SP 800-107 allows truncation to ≥ 64 bits; 128
//! keeps forgery out of reach while keeping URLs short). Verification is
//! constant-time (`Mac::verify_truncated_left`).
//!
//! Keys rotate by id: [`Keyring`] signs with its first key and verifies with
//! any key whose id the token names, so old emails keep working while new
//! sends use a new key.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::fmt;

type HmacSha256 = Hmac<Sha256>;

const VERSION: u8 = 1;
const TAG_LEN: usize = 16;
/// Longest pool, campaign or recipient id a token carries, in bytes.
pub const MAX_FIELD_LEN: usize = 255;

/// What a token says, once its signature has been checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    /// The pool the recipient draws a number from.
    pub pool: String,
    /// The campaign (one email send) the token was issued for.
    pub campaign: String,
    /// The operator's id for the recipient (opaque to ringmark).
    pub recipient: String,
}

/// Why a token was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenError {
    /// Not base64url, truncated, or an unknown version: nothing can be derived.
    Malformed,
    /// Well-formed but the tag does not verify (forged, altered, or signed with
    /// a key this deployment does not have). The claimed pool is returned so the
    /// caller can show that pool's fallback number without allocating.
    BadSignature {
        /// The pool the unverified token claims.
        pool: String,
    },
    /// A field is empty or longer than [`MAX_FIELD_LEN`] (when issuing).
    BadField(&'static str),
    /// The key ring text could not be read (when configuring).
    BadKey(String),
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenError::Malformed => f.write_str("token is malformed"),
            TokenError::BadSignature { .. } => f.write_str("token signature does not verify"),
            TokenError::BadField(field) => {
                write!(f, "{field} must be 1 to {MAX_FIELD_LEN} bytes long")
            }
            TokenError::BadKey(why) => write!(f, "signing key: {why}"),
        }
    }
}

impl std::error::Error for TokenError {}

/// The signing keys of a deployment, newest first.
#[derive(Clone)]
pub struct Keyring {
    keys: Vec<(u8, Vec<u8>)>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material.
        let ids: Vec<u8> = self.keys.iter().map(|(id, _)| *id).collect();
        f.debug_struct("Keyring").field("key_ids", &ids).finish()
    }
}

impl Keyring {
    /// Reads the `RINGMARK_SIGNING_KEY` secret.
    ///
    /// Either one secret (key id 0), or a comma-separated list of `id:secret`
    /// pairs with ids 0–255, the first of which signs. Each secret must be at
    /// least 16 bytes.
    ///
    /// # Errors
    /// [`TokenError::BadKey`] naming what is wrong.
    pub fn parse(text: &str) -> Result<Keyring, TokenError> {
        let text = text.trim();
        let mut keys = Vec::new();
        if text.contains(':') {
            for part in text.split(',') {
                let (id, secret) = part
                    .trim()
                    .split_once(':')
                    .ok_or_else(|| TokenError::BadKey(format!("'{part}' is not id:secret")))?;
                let id: u8 = id
                    .trim()
                    .parse()
                    .map_err(|_| TokenError::BadKey(format!("key id '{id}' is not 0-255")))?;
                if keys.iter().any(|(k, _)| *k == id) {
                    return Err(TokenError::BadKey(format!("key id {id} appears twice")));
                }
                keys.push((id, secret.trim().as_bytes().to_vec()));
            }
        } else {
            keys.push((0, text.as_bytes().to_vec()));
        }
        if let Some((id, _)) = keys.iter().find(|(_, s)| s.len() < 16) {
            return Err(TokenError::BadKey(format!(
                "key {id} is shorter than 16 bytes"
            )));
        }
        Ok(Keyring { keys })
    }

    /// Issues a token for one recipient of one campaign, signed with the newest key.
    ///
    /// # Errors
    /// [`TokenError::BadField`] when a field is empty or too long.
    pub fn sign(&self, claims: &Claims) -> Result<String, TokenError> {
        let (id, key) = &self.keys[0];
        let mut bytes = vec![VERSION, *id];
        for (name, value) in [
            ("pool", &claims.pool),
            ("campaign", &claims.campaign),
            ("recipient", &claims.recipient),
        ] {
            if value.is_empty() || value.len() > MAX_FIELD_LEN {
                return Err(TokenError::BadField(name));
            }
            bytes.push(value.len() as u8);
            bytes.extend_from_slice(value.as_bytes());
        }
        let tag = mac(key, &bytes).finalize().into_bytes();
        bytes.extend_from_slice(&tag[..TAG_LEN]);
        Ok(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Checks a token and returns what it says.
    ///
    /// # Errors
    /// [`TokenError::Malformed`] when nothing can be read from it;
    /// [`TokenError::BadSignature`] (with the claimed pool) when it does not verify.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(token.as_bytes())
            .map_err(|_| TokenError::Malformed)?;
        if bytes.len() < 2 + 3 + TAG_LEN || bytes[0] != VERSION {
            return Err(TokenError::Malformed);
        }
        let (body, tag) = bytes.split_at(bytes.len() - TAG_LEN);
        let mut fields = Vec::with_capacity(3);
        let mut rest = &body[2..];
        for _ in 0..3 {
            let (&len, tail) = rest.split_first().ok_or(TokenError::Malformed)?;
            let len = usize::from(len);
            if len == 0 || tail.len() < len {
                return Err(TokenError::Malformed);
            }
            let text = std::str::from_utf8(&tail[..len]).map_err(|_| TokenError::Malformed)?;
            fields.push(text.to_owned());
            rest = &tail[len..];
        }
        if !rest.is_empty() {
            return Err(TokenError::Malformed);
        }
        let recipient = fields.pop().unwrap_or_default();
        let campaign = fields.pop().unwrap_or_default();
        let pool = fields.pop().unwrap_or_default();
        let key = self.keys.iter().find(|(id, _)| *id == body[1]);
        let verified =
            key.is_some_and(|(_, key)| mac(key, body).verify_truncated_left(tag).is_ok());
        if verified {
            Ok(Claims {
                pool,
                campaign,
                recipient,
            })
        } else {
            Err(TokenError::BadSignature { pool })
        }
    }
}

fn mac(key: &[u8], data: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            pool: "spring".into(),
            campaign: "launch-1".into(),
            recipient: "r-42".into(),
        }
    }

    fn ring() -> Keyring {
        Keyring::parse("dev-signing-key-0123456789").unwrap()
    }

    #[test]
    fn round_trip_and_url_safe() {
        let token = ring().sign(&claims()).unwrap();
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(ring().verify(&token).unwrap(), claims());
    }

    #[test]
    fn same_claims_same_token() {
        // Deterministic: re-issuing a recipient's token gives the same URL.
        assert_eq!(
            ring().sign(&claims()).unwrap(),
            ring().sign(&claims()).unwrap()
        );
    }

    #[test]
    fn every_flipped_bit_is_refused() {
        let token = ring().sign(&claims()).unwrap();
        let bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut altered = bytes.clone();
                altered[i] ^= 1 << bit;
                let forged = URL_SAFE_NO_PAD.encode(&altered);
                assert!(
                    ring().verify(&forged).is_err(),
                    "byte {i} bit {bit} accepted"
                );
            }
        }
    }

    #[test]
    fn wrong_key_reports_claimed_pool() {
        let other = Keyring::parse("another-key-abcdefghijkl").unwrap();
        let token = other.sign(&claims()).unwrap();
        assert_eq!(
            ring().verify(&token),
            Err(TokenError::BadSignature {
                pool: "spring".into()
            })
        );
    }

    #[test]
    fn garbage_is_malformed() {
        for token in ["", "x", "!!!!", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "a.b"] {
            assert_eq!(ring().verify(token), Err(TokenError::Malformed), "{token}");
        }
    }

    #[test]
    fn rotation_verifies_old_keys_signs_with_first() {
        let old = Keyring::parse("1:old-secret-0123456789").unwrap();
        let both = Keyring::parse("2:new-secret-0123456789, 1:old-secret-0123456789").unwrap();
        let old_token = old.sign(&claims()).unwrap();
        assert_eq!(both.verify(&old_token).unwrap(), claims());
        let new_token = both.sign(&claims()).unwrap();
        assert!(old.verify(&new_token).is_err());
    }

    #[test]
    fn bad_keys_and_fields() {
        assert!(matches!(
            Keyring::parse("short"),
            Err(TokenError::BadKey(_))
        ));
        assert!(matches!(
            Keyring::parse("1:aaaaaaaaaaaaaaaaaaaa,1:bbbbbbbbbbbbbbbbbbbb"),
            Err(TokenError::BadKey(_))
        ));
        let mut c = claims();
        c.recipient = String::new();
        assert_eq!(ring().sign(&c), Err(TokenError::BadField("recipient")));
        c.recipient = "x".repeat(256);
        assert_eq!(ring().sign(&c), Err(TokenError::BadField("recipient")));
    }
}
