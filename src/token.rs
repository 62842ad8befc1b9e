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
//!             [ | 1|shards ]                              (only for a pool of 2–64 shards)
//! tag       = HMAC-SHA256(k_mac, version | key id | plaintext)[..16]
//! token     = base64url(version | key id | tag | ChaCha20(k_enc, nonce = tag[..12], plaintext))
//! ```
//!
//! `k_mac` and `k_enc` are derived from the secret with HKDF-SHA256 under
//! distinct labels. The 128-bit tag is both the authenticator (truncation to
//! ≥ 64 bits is allowed by NIST SP 800-107) and the synthetic IV, so equal
//! plaintexts — and only those — give equal tokens.
//!
//! **Nothing in a token is used before it is authenticated.** ChaCha20 is
//! malleable: flipping a ciphertext bit flips the same plaintext bit, so an
//! unauthenticated plaintext can be steered to name any pool. Verification
//! therefore decrypts into a buffer, recomputes the tag over it and compares
//! it in constant time (`Mac::verify_truncated_left`, `subtle`); only a token
//! whose tag verifies has its fields parsed. A refused token says nothing about
//! its contents ([`TokenError::BadSignature`] carries no field), and every
//! tampered token of a given length takes the same path and the same time.
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
/// Shortest and longest decoded token: three fields of 1 and of
/// [`MAX_FIELD_LEN`] bytes, each with its length byte.
const MIN_TOKEN_LEN: usize = HEADER_LEN + TAG_LEN + 3 * 2;
const MAX_TOKEN_LEN: usize = HEADER_LEN + TAG_LEN + 3 * (1 + MAX_FIELD_LEN) + 2;
/// The base64url length of [`MAX_TOKEN_LEN`] bytes: longer text is refused
/// before it is decoded.
const MAX_TOKEN_CHARS: usize = (MAX_TOKEN_LEN * 4).div_ceil(3);

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
    /// Well-formed but the tag does not verify: forged or altered. Nothing of
    /// its plaintext has been read, so nothing is reported about it.
    BadSignature,
    /// A field is empty or longer than [`MAX_FIELD_LEN`] (when issuing).
    BadField(&'static str),
    /// The key ring text could not be read (when configuring).
    BadKey(String),
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenError::Malformed => f.write_str("token is malformed"),
            TokenError::BadSignature => f.write_str("token signature does not verify"),
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
        let mac = self.mac_of(plaintext).finalize().into_bytes();
        for (t, m) in tag.iter_mut().zip(mac.iter()) {
            *t = *m; // the first TAG_LEN bytes of the 32-byte HMAC
        }
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
        for (n, t) in nonce.iter_mut().zip(tag) {
            *n = *t; // the tag's first 12 bytes (it is TAG_LEN ≥ 12 long)
        }
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
            for (n, part) in text.split(',').enumerate() {
                let (id, secret) = part
                    .trim()
                    .split_once(':')
                    // Never echo the part: without its colon it may be a secret.
                    .ok_or_else(|| {
                        TokenError::BadKey(format!("part {} is not id:secret", n + 1))
                    })?;
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

    /// How many keys the ring holds (for `/healthz`; never their material).
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the ring holds no key (a parsed ring always holds one).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Issues a token for one recipient of one campaign, signed with the newest key.
    ///
    /// # Errors
    /// [`TokenError::BadField`] when a field is empty or too long.
    pub fn sign(&self, claims: &Claims) -> Result<String, TokenError> {
        self.sign_with_shards(claims, 1)
    }

    /// Issues a token for a recipient of a pool split into `shards` shard
    /// objects ([`crate::shard`]): the count travels in the token (a fourth
    /// field, written only when it is above 1, so a one-shard pool's tokens
    /// are exactly [`Keyring::sign`]'s), so the edge routes an open to the
    /// recipient's shard without asking anyone.
    ///
    /// # Errors
    /// [`TokenError::BadField`] when a field is empty or too long, or
    /// `shards` is not a valid shard count ([`crate::shard::valid_shards`]).
    pub fn sign_with_shards(&self, claims: &Claims, shards: u32) -> Result<String, TokenError> {
        let Some(key) = self.keys.first() else {
            return Err(TokenError::BadKey("the key ring is empty".into()));
        };
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
        if !crate::shard::valid_shards(shards) {
            return Err(TokenError::BadField("shards"));
        }
        if shards > 1 {
            plaintext.extend_from_slice(&[1, u8::try_from(shards).unwrap_or(u8::MAX)]);
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
    /// The plaintext is authenticated before any byte of it is read: a forged
    /// or altered token is refused without its fields being parsed.
    ///
    /// # Errors
    /// [`TokenError::Malformed`] when it is not base64url, has the wrong length
    /// or version, or names a key this deployment does not have (all public:
    /// nothing secret is involved in telling); [`TokenError::BadSignature`] when
    /// its tag does not verify.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        self.verify_with_shards(token).map(|(claims, _)| claims)
    }

    /// [`Keyring::verify`], and the shard count of the token's pool (1 for a
    /// token without one: every token issued before shards existed).
    ///
    /// # Errors
    /// As [`Keyring::verify`].
    pub fn verify_with_shards(&self, token: &str) -> Result<(Claims, u32), TokenError> {
        if token.len() > MAX_TOKEN_CHARS {
            return Err(TokenError::Malformed);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(token.as_bytes())
            .map_err(|_| TokenError::Malformed)?;
        let (Some(&[version, key_id]), Some(body)) =
            (bytes.first_chunk::<2>(), bytes.get(HEADER_LEN..))
        else {
            return Err(TokenError::Malformed);
        };
        if !(MIN_TOKEN_LEN..=MAX_TOKEN_LEN).contains(&bytes.len()) || version != VERSION {
            return Err(TokenError::Malformed);
        }
        let key = self
            .keys
            .iter()
            .find(|k| k.id == key_id)
            .ok_or(TokenError::Malformed)?;
        let (tag, ciphertext) = body
            .split_at_checked(TAG_LEN)
            .ok_or(TokenError::Malformed)?;
        // The tag is an HMAC over the plaintext (SIV), so decrypt into a buffer
        // first; nothing reads the buffer until the tag over it verifies.
        let mut plaintext = ciphertext.to_vec();
        key.crypt(tag, &mut plaintext);
        key.mac_of(&plaintext)
            .verify_truncated_left(tag)
            .map_err(|_| TokenError::BadSignature)?;
        // Authentic from here on: only this deployment's signer wrote it, and
        // `sign` only writes three non-empty UTF-8 fields.
        let (fields, shards) = fields(&plaintext).ok_or(TokenError::Malformed)?;
        match fields.map(text) {
            [Some(pool), Some(campaign), Some(recipient)] => Ok((
                Claims {
                    pool,
                    campaign,
                    recipient,
                },
                shards,
            )),
            _ => Err(TokenError::Malformed),
        }
    }
}

/// The three length-prefixed fields of a plaintext and its shard count (the
/// optional fourth field, one byte: 2 to 64, a power of two; 1 without it),
/// or `None`.
fn fields(mut rest: &[u8]) -> Option<([&[u8]; 3], u32)> {
    let mut out: [&[u8]; 3] = [&[]; 3];
    for field in &mut out {
        let (&len, tail) = rest.split_first()?;
        let len = usize::from(len);
        if len == 0 || tail.len() < len {
            return None;
        }
        (*field, rest) = tail.split_at_checked(len)?;
    }
    match rest {
        [] => Some((out, 1)),
        [1, shards] if *shards > 1 && crate::shard::valid_shards(u32::from(*shards)) => {
            Some((out, u32::from(*shards)))
        }
        _ => None,
    }
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
    fn a_sharded_pool_s_token_carries_its_shard_count_and_one_shard_changes_nothing() {
        let ring = ring();
        let plain = ring.sign(&claims()).unwrap();
        assert_eq!(ring.sign_with_shards(&claims(), 1).unwrap(), plain);
        assert_eq!(ring.verify_with_shards(&plain).unwrap(), (claims(), 1));
        for shards in [2, 8, 64] {
            let token = ring.sign_with_shards(&claims(), shards).unwrap();
            assert_ne!(token, plain);
            assert_eq!(ring.verify_with_shards(&token).unwrap(), (claims(), shards));
            assert_eq!(ring.verify(&token).unwrap(), claims());
        }
        for bad in [0, 3, 128] {
            assert_eq!(
                ring.sign_with_shards(&claims(), bad),
                Err(TokenError::BadField("shards"))
            );
        }
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
    fn every_flipped_bit_is_refused_before_anything_is_read() {
        let token = ring().sign(&claims()).unwrap();
        let bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut altered = bytes.clone();
                altered[i] ^= 1 << bit;
                let forged = URL_SAFE_NO_PAD.encode(&altered);
                // The version and key id are public and checked first; any other
                // change fails the tag, whatever the plaintext now says.
                let expected = if i < HEADER_LEN {
                    TokenError::Malformed
                } else {
                    TokenError::BadSignature
                };
                assert_eq!(ring().verify(&forged), Err(expected), "byte {i} bit {bit}");
            }
        }
    }

    #[test]
    fn wrong_key_is_a_bad_signature() {
        let other = Keyring::parse("another-key-abcdefghijkl").unwrap();
        let token = other.sign(&claims()).unwrap();
        assert_eq!(ring().verify(&token), Err(TokenError::BadSignature));
    }

    #[test]
    fn a_mutation_naming_another_pool_reveals_and_reaches_nothing() {
        // ChaCha20 is malleable: XOR-ing the ciphertext turns "spring" into
        // "sprinG" (or any pool name of the same length). The tag catches it,
        // and the refusal carries no field, so no pool is named downstream.
        let token = ring().sign(&claims()).unwrap();
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        let pool_at = HEADER_LEN + TAG_LEN + 1;
        for (i, (from, to)) in "spring".bytes().zip("summer".bytes()).enumerate() {
            bytes[pool_at + i] ^= from ^ to;
        }
        let forged = URL_SAFE_NO_PAD.encode(&bytes);
        assert_eq!(ring().verify(&forged), Err(TokenError::BadSignature));
    }

    #[test]
    fn unparseable_plaintext_fails_the_tag_not_the_parser() {
        // Before, the fields were parsed first: a cut-off token was "malformed"
        // and an intact one with a bad tag "bad signature", an oracle telling
        // whether the (unauthenticated) plaintext parsed. Now both fail the tag.
        let token = ring().sign(&claims()).unwrap();
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        bytes.pop(); // the last field is now one byte short
        let cut = URL_SAFE_NO_PAD.encode(&bytes);
        assert_eq!(ring().verify(&cut), Err(TokenError::BadSignature));
        let len_at = HEADER_LEN + TAG_LEN;
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        bytes[len_at] ^= 0xff; // the pool's length byte now overruns the plaintext
        let overrun = URL_SAFE_NO_PAD.encode(&bytes);
        assert_eq!(ring().verify(&overrun), Err(TokenError::BadSignature));
    }

    #[test]
    fn an_authentic_plaintext_that_does_not_parse_is_malformed() {
        // Only the signer can make one (sign never does); parsing it after the
        // tag verifies must still refuse it cleanly.
        let key = &ring().keys[0];
        for mut plaintext in [
            vec![1, b'p', 0, 2, b'r', b's'],
            vec![1, 0xff, 1, b'c', 1, b'r'],
        ] {
            let tag = key.tag(&plaintext);
            key.crypt(&tag, &mut plaintext);
            let mut bytes = vec![VERSION, key.id];
            bytes.extend_from_slice(&tag);
            bytes.extend_from_slice(&plaintext);
            let token = URL_SAFE_NO_PAD.encode(&bytes);
            assert_eq!(ring().verify(&token), Err(TokenError::Malformed));
        }
    }

    #[test]
    fn tokens_issued_before_verification_changed_still_verify() {
        // Issued by the previous release (which parsed before authenticating):
        // the format is unchanged, so every token already sent keeps working.
        let test_ring = Keyring::parse("test-signing-key-0123456789").unwrap();
        for (token, pool, campaign, recipient) in [
            ("AgCVlHYNxtRlWOdRiX-BgZWOH6dOTPultgc", "p1", "c1", "a"),
            ("AgDg5BXpaJbvNEQnx9491PgRnmhmMqD2up8", "p1", "c1", "b"),
        ] {
            let expected = Claims {
                pool: pool.into(),
                campaign: campaign.into(),
                recipient: recipient.into(),
            };
            assert_eq!(test_ring.verify(token), Ok(expected.clone()));
            assert_eq!(test_ring.sign(&expected).unwrap(), token);
        }
        let mut alice = claims();
        alice.recipient = "alice@example.com".into();
        for (token, expected) in [
            (
                "AgCYkpKvY0pryolBW7umMmxExiSIB4ScqMFietHTgrjbbnnXLQSK",
                claims(),
            ),
            (
                "AgA4CnjFZt80yoxU602rWHt6SmCBZRQpaxjw0Un7bWmipCtZm8W0BQ9MyuJLvhJeH-WfKg",
                alice,
            ),
        ] {
            assert_eq!(ring().verify(token), Ok(expected));
        }
        // An old token signed with a rotated-out key id still verifies under it.
        let rotated = Keyring::parse("2:new-secret-0123456789, 1:old-secret-0123456789").unwrap();
        assert_eq!(
            rotated.verify("AgIbNVVf5T4eFcBFHa0e5qe1vPt66PjVf8lgQkGkOjNGP0hKpKt9"),
            Ok(claims())
        );
    }

    #[test]
    fn oversized_text_is_refused_before_decoding() {
        let long = "A".repeat(MAX_TOKEN_CHARS + 1);
        assert_eq!(ring().verify(&long), Err(TokenError::Malformed));
        // The longest token sign can issue is within the limit.
        let c = Claims {
            pool: "p".repeat(MAX_FIELD_LEN),
            campaign: "c".repeat(MAX_FIELD_LEN),
            recipient: "r".repeat(MAX_FIELD_LEN),
        };
        let token = ring().sign(&c).unwrap();
        assert!(token.len() <= MAX_TOKEN_CHARS);
        assert_eq!(ring().verify(&token), Ok(c));
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
