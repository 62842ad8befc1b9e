//! Call identifiers.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Lower-case Crockford base32 (no `i`, `l`, `o`, `u`): unambiguous when read
/// aloud or retyped from a report.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
const PREFIX: &str = "call_";
const GENERATED_CHARS: usize = 26;

/// A stored call's id, the `{call_id}` of `/v1/calls/{call_id}`.
///
/// Either the provider's `CallSid` (`CA` + 32 hex), so a retried webhook
/// finds the same record with no lookup table, or, for calls ringmark learns
/// of without one (the API's manual `POST /v1/calls`), `call_` and 26
/// base32 characters from 128 injected random bits ([`CallId::generate`]).
/// Both shapes are URL-safe, so the id can go in a path unescaped.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CallId(String);

impl CallId {
    /// The id of a carrier's call: its SID, `CA` and 32 hex digits (the
    /// shape Twilio documents; the Twilio adapter checks it and converts
    /// with `CallSid::call_id`).
    ///
    /// # Errors
    /// A message when `sid` is not of that shape.
    pub fn from_sid(sid: &str) -> Result<CallId, String> {
        let hex = sid
            .strip_prefix("CA")
            .ok_or_else(|| "a CallSid starts with \"CA\"".to_owned())?;
        if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("a CallSid is \"CA\" and 32 hex digits".to_owned());
        }
        Ok(CallId(sid.to_owned()))
    }

    /// A fresh id from 16 random bytes (the caller supplies them, so tests
    /// are deterministic): `call_` and the 128 bits in 26 base32 characters,
    /// most significant first.
    pub fn generate(random: [u8; 16]) -> CallId {
        let mut bits = u128::from_be_bytes(random);
        let mut chars = [b'0'; GENERATED_CHARS];
        for c in chars.iter_mut().rev() {
            *c = ALPHABET.get((bits & 31) as usize).copied().unwrap_or(b'0');
            bits >>= 5;
        }
        let mut id = String::with_capacity(PREFIX.len() + GENERATED_CHARS);
        id.push_str(PREFIX);
        id.extend(chars.iter().map(|&b| char::from(b)));
        CallId(id)
    }

    /// Checks a path or stored id.
    ///
    /// # Errors
    /// A message when it is neither a `CallSid` nor a generated id.
    pub fn parse(s: &str) -> Result<CallId, String> {
        if s.starts_with("CA") {
            return CallId::from_sid(s);
        }
        let ok = s.strip_prefix(PREFIX).is_some_and(|rest| {
            rest.len() == GENERATED_CHARS
                && rest.bytes().all(|b| ALPHABET.contains(&b))
                // 26 × 5 = 130 bits hold 128: the first character is 0–7.
                && rest.bytes().next().is_some_and(|b| (b'0'..=b'7').contains(&b))
        });
        if ok {
            Ok(CallId(s.to_owned()))
        } else {
            Err(format!(
                "a call id is a CallSid (CA + 32 hex) or {PREFIX} and {GENERATED_CHARS} base32 characters"
            ))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for CallId {
    type Error = String;
    fn try_from(s: String) -> Result<CallId, String> {
        CallId::parse(&s)
    }
}

impl From<CallId> for String {
    fn from(id: CallId) -> String {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_deterministic_and_parse() {
        let zero = CallId::generate([0; 16]);
        assert_eq!(zero.as_str(), "call_00000000000000000000000000");
        let max = CallId::generate([0xff; 16]);
        assert_eq!(max.as_str(), "call_7zzzzzzzzzzzzzzzzzzzzzzzzz");
        let one = CallId::generate([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 33]);
        assert_eq!(one.as_str(), "call_00000000000000000000000011");
        for id in [zero, max, one] {
            assert_eq!(CallId::parse(id.as_str()), Ok(id.clone()));
        }
    }

    #[test]
    fn parse_refuses_everything_else() {
        let sid = "CA0123456789abcdef0123456789abcdef";
        assert_eq!(CallId::parse(sid).unwrap().as_str(), sid);
        for bad in [
            "",
            "call_",
            "call_8zzzzzzzzzzzzzzzzzzzzzzzzz", // more than 128 bits
            "call_0000000000000000000000000i", // not Crockford
            "call_000000000000000000000000000",
            "CA0123",
            "../etc/passwd",
            "call_00000000000000000000000000/x",
        ] {
            assert!(CallId::parse(bad).is_err(), "{bad}");
        }
    }
}
