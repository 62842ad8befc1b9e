//! Signed recipient tokens: the `{token}` in every email URL.
//!
//! A token names a pool, a campaign and a recipient, and proves that the
//! operator issued it, so a URL typed or forged by someone else never takes a
//! number from a pool. It is opaque and URL-safe (base64url, no padding) and
//! short enough for an email merge field.
//!
//! *Opaque* matters: recipient ids are often email addresses, and image URLs
//! travel through mailbox proxies, scanners and access logs. So the ids are
//! encrypted, not just signed, in a deterministic SIV-style construction (the
//! same recipient always gets the same token, so a re-sent email keeps its
//! number):
//!
//! ```text
//! plaintext = len|pool | len|campaign | len|recipient      (each ≤ 255 bytes)
//! tag       = HMAC-SHA256(k_mac, version | key id | plaintext)[..16]
//! token     = base64url(version | key id | tag | ChaCha20(k_enc, nonce = tag[..12], plaintext))
//! ```
//!
//! `k_mac` and `k_enc` are derived from the secret with HKDF-SHA256 under
//! distinct labels. The 128-bit tag is both the authenticator (truncation to
//! ≥ 64 bits is allowed by NIST SP 800-107) and the synthetic IV, so equal
//! plaintexts — and only those — give equal tokens. Verification decrypts,
//! recomputes the tag and compares in constant time
//! (`Mac::verify_truncated_left`).
//!
//! Keys rotate by id: [`Keyring`] signs with its first key and verifies with
//! any key whose id the token names, so old emails keep working while new
//! sends use a new key.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20::ChaCha20;
use chacha20::cipher::{KeyIvInit, StreamCipher};
use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::fmt;

type HmacSha256 = Hmac<Sha256>;

const VERSION: u8 = 2;
const HEADER_LEN: usize = 2;
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

/// One key of the ring: its id and the two keys derived from its secret.
#[derive(Clone)]
struct Key {
    id: u8,
    mac: [u8; 32],
    enc: [u8; 32],
}

impl Key {
    fn derive(id: u8, secret: &[u8]) -> Key {
        let hk = Hkdf::<Sha256>::new(Some(b"ringmark token v2"), secret);
        let mut mac = [0u8; 32];
        let mut enc = [0u8; 32];
        // 32 bytes is far below HKDF's 255 × 32 limit, so expansion cannot fail.
        hk.expand(b"mac", &mut mac).expect("32-byte HKDF output");
        hk.expand(b"enc", &mut enc).expect("32-byte HKDF output");
        Key { id, mac, enc }
    }

    fn tag(&self, plaintext: &[u8]) -> [u8; TAG_LEN] {
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&self.mac_of(plaintext).finalize().into_bytes()[..TAG_LEN]);
        tag
    }

    fn mac_of(&self, plaintext: &[u8]) -> HmacSha256 {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac =
            <HmacSha256 as KeyInit>::new_from_slice(&self.mac).expect("HMAC takes any key length");
        mac.update(&[VERSION, self.id]);
        mac.update(plaintext);
        mac
    }

    /// Encrypts or decrypts in place (a stream cipher is its own inverse).
    fn crypt(&self, tag: &[u8], data: &mut [u8]) {
        let mut nonce = [0u8; 12];
        nonce.copy_from_slice(&tag[..12]);
        ChaCha20::new(&self.enc.into(), &nonce.into()).apply_keystream(data);
    }
}

/// The signing keys of a deployment, newest first.
#[derive(Clone)]
pub struct Keyring {
    keys: Vec<Key>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material.
        let ids: Vec<u8> = self.keys.iter().map(|k| k.id).collect();
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
        Ok(Keyring {
            keys: keys
                .iter()
                .map(|(id, secret)| Key::derive(*id, secret))
                .collect(),
        })
    }

    /// Issues a token for one recipient of one campaign, signed with the newest key.
    ///
    /// # Errors
    /// [`TokenError::BadField`] when a field is empty or too long.
    pub fn sign(&self, claims: &Claims) -> Result<String, TokenError> {
        let key = &self.keys[0];
        let mut plaintext = Vec::new();
        for (name, value) in [
            ("pool", &claims.pool),
            ("campaign", &claims.campaign),
            ("recipient", &claims.recipient),
        ] {
            if value.is_empty() || value.len() > MAX_FIELD_LEN {
                return Err(TokenError::BadField(name));
            }
            plaintext.push(value.len() as u8);
            plaintext.extend_from_slice(value.as_bytes());
        }
        let tag = key.tag(&plaintext);
        key.crypt(&tag, &mut plaintext);
        let mut bytes = Vec::with_capacity(HEADER_LEN + TAG_LEN + plaintext.len());
        bytes.extend_from_slice(&[VERSION, key.id]);
        bytes.extend_from_slice(&tag);
        bytes.extend_from_slice(&plaintext);
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
        if bytes.len() < HEADER_LEN + TAG_LEN + 3 || bytes[0] != VERSION {
            return Err(TokenError::Malformed);
        }
        let key = self
            .keys
            .iter()
            .find(|k| k.id == bytes[1])
            .ok_or(TokenError::Malformed)?;
        let tag = &bytes[HEADER_LEN..HEADER_LEN + TAG_LEN];
        let mut plaintext = bytes[HEADER_LEN + TAG_LEN..].to_vec();
        key.crypt(tag, &mut plaintext);
        let [pool, campaign, recipient] = fields(&plaintext).ok_or(TokenError::Malformed)?;
        if key.mac_of(&plaintext).verify_truncated_left(tag).is_err() {
            // The claimed pool (when it still reads as text) lets the caller
            // show that pool's fallback number, allocating nothing.
            return Err(match text(pool) {
                Some(pool) => TokenError::BadSignature { pool },
                None => TokenError::Malformed,
            });
        }
        match (text(pool), text(campaign), text(recipient)) {
            (Some(pool), Some(campaign), Some(recipient)) => Ok(Claims {
                pool,
                campaign,
                recipient,
            }),
            _ => Err(TokenError::Malformed),
        }
    }
}

/// The three length-prefixed fields of a plaintext, or `None`.
fn fields(mut rest: &[u8]) -> Option<[&[u8]; 3]> {
    let mut out: [&[u8]; 3] = [&[]; 3];
    for field in &mut out {
        let (&len, tail) = rest.split_first()?;
        let len = usize::from(len);
        if len == 0 || tail.len() < len {
            return None;
        }
        *field = &tail[..len];
        rest = &tail[len..];
    }
    rest.is_empty().then_some(out)
}

fn text(bytes: &[u8]) -> Option<String> {
    std::str::from_utf8(bytes).ok().map(str::to_owned)
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
    fn ids_are_not_readable_in_the_token() {
        let mut c = claims();
        c.recipient = "alice@example.com".into();
        let bytes = URL_SAFE_NO_PAD.decode(ring().sign(&c).unwrap()).unwrap();
        for id in ["alice", "spring", "launch"] {
            assert!(
                !bytes.windows(id.len()).any(|w| w == id.as_bytes()),
                "{id} appears in clear"
            );
        }
    }

    #[test]
    fn different_recipients_get_unrelated_tokens() {
        let mut other = claims();
        other.recipient = "r-43".into();
        let a = URL_SAFE_NO_PAD
            .decode(ring().sign(&claims()).unwrap())
            .unwrap();
        let b = URL_SAFE_NO_PAD
            .decode(ring().sign(&other).unwrap())
            .unwrap();
        // Same length, but the synthetic IV differs, so even the shared pool and
        // campaign prefix encrypts differently.
        assert_eq!(a.len(), b.len());
        assert_ne!(a[2..18], b[2..18]);
        assert_ne!(a[18..25], b[18..25]);
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
    fn wrong_key_reveals_nothing() {
        let other = Keyring::parse("another-key-abcdefghijkl").unwrap();
        let token = other.sign(&claims()).unwrap();
        assert_eq!(ring().verify(&token), Err(TokenError::Malformed));
    }

    #[test]
    fn altered_recipient_reports_claimed_pool() {
        // A stream cipher keeps the pool readable when only a later byte is
        // altered: the caller can then show that pool's fallback number.
        let token = ring().sign(&claims()).unwrap();
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        let recipient_start = bytes.len() - claims().recipient.len();
        for i in recipient_start..bytes.len() {
            for bit in [0x01, 0x80] {
                bytes[i] ^= bit;
                let forged = URL_SAFE_NO_PAD.encode(&bytes);
                assert_eq!(
                    ring().verify(&forged),
                    Err(TokenError::BadSignature {
                        pool: "spring".into()
                    }),
                    "byte {i} bit {bit:#x}"
                );
                bytes[i] ^= bit;
            }
        }
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
