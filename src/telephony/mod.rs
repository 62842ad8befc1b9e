//! Calls coming in from a telephony provider: webhook bodies, their
//! signatures, and the instructions sent back.
//!
//! Pure functions only (no clock, no I/O): the edge hands in the request's URL,
//! header and body bytes, and gets back typed values or TwiML text. The only
//! provider today is Twilio Programmable Voice ([`twilio`]).
//!
//! The bodies are `application/x-www-form-urlencoded`. [`Form`] decodes them
//! into ordered `(name, value)` pairs, **bounded** ([`MAX_BODY_BYTES`],
//! [`MAX_PARAMS`]) because the route is public: anyone can POST to it, and
//! bounds are checked before the signature (which itself costs work per
//! parameter).
//!
//! This is request-path code that reads untrusted text: no indexing or string
//! slicing that could panic (a panic traps the wasm module).
#![deny(clippy::indexing_slicing, clippy::string_slice)]

pub mod twilio;

use std::fmt;

/// Largest webhook body accepted, in bytes (64 KiB). A Twilio voice webhook is
/// about 1 KiB; a transcription callback carries at most a few KiB of text.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Most parameters accepted in one body. Twilio sends about 20–40.
pub const MAX_PARAMS: usize = 200;

/// Why a webhook was refused.
///
/// Suggested answers for the integrator: [`TelephonyError::BadSignature`] →
/// 403 (not Twilio: no TwiML), [`TelephonyError::MissingAuthToken`] → 500 and a
/// log line, the rest → 400 on a *signed* request is a provider change worth
/// logging; on the voice route answer [`twilio::refuse_twiml`] instead so the
/// caller hears a message rather than "an application error has occurred".
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TelephonyError {
    /// The body is longer than [`MAX_BODY_BYTES`].
    BodyTooLarge {
        /// Its length in bytes.
        bytes: usize,
    },
    /// The body has more than [`MAX_PARAMS`] parameters.
    TooManyParams,
    /// No auth token is configured: nothing can be verified (and an empty
    /// HMAC key would let anyone sign).
    MissingAuthToken,
    /// The signature header is missing, is not base64 of 20 bytes, or does
    /// not match the URL and parameters. Deliberately one variant: the caller
    /// learns nothing about which part was wrong.
    BadSignature,
    /// A parameter the webhook needs is absent.
    MissingParam(&'static str),
    /// A parameter that must appear once appears several times (Twilio never
    /// does this; reading either copy would be a guess).
    DuplicateParam(&'static str),
    /// A parameter is present but malformed.
    InvalidParam {
        /// The parameter name, as Twilio spells it.
        name: &'static str,
        /// What is wrong with it.
        why: String,
    },
}

impl fmt::Display for TelephonyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TelephonyError::BodyTooLarge { bytes } => {
                write!(f, "body is {bytes} bytes, more than {MAX_BODY_BYTES}")
            }
            TelephonyError::TooManyParams => {
                write!(f, "body has more than {MAX_PARAMS} parameters")
            }
            TelephonyError::MissingAuthToken => f.write_str("no provider auth token is configured"),
            TelephonyError::BadSignature => f.write_str("request signature does not verify"),
            TelephonyError::MissingParam(name) => write!(f, "{name}: missing"),
            TelephonyError::DuplicateParam(name) => write!(f, "{name}: appears more than once"),
            TelephonyError::InvalidParam { name, why } => write!(f, "{name}: {why}"),
        }
    }
}

impl std::error::Error for TelephonyError {}

/// A decoded `application/x-www-form-urlencoded` body: `(name, value)` pairs
/// in the order they were sent, duplicates kept (the signature covers every
/// pair, so none may be dropped before it is checked).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Form {
    pairs: Vec<(String, String)>,
}

impl Form {
    /// Decodes a body: `+` is a space, `%XX` a byte; bytes that are not UTF-8
    /// become U+FFFD (as in every Twilio helper library, which sign the
    /// decoded text). Empty pieces (`a=1&&b=2`) are skipped; a piece without
    /// `=` is a name with an empty value.
    ///
    /// # Errors
    /// [`TelephonyError::BodyTooLarge`] before any decoding;
    /// [`TelephonyError::TooManyParams`] as soon as the count passes
    /// [`MAX_PARAMS`].
    pub fn parse(body: &[u8]) -> Result<Form, TelephonyError> {
        if body.len() > MAX_BODY_BYTES {
            return Err(TelephonyError::BodyTooLarge { bytes: body.len() });
        }
        let mut pairs = Vec::new();
        for (name, value) in form_urlencoded::parse(body) {
            if pairs.len() == MAX_PARAMS {
                return Err(TelephonyError::TooManyParams);
            }
            pairs.push((name.into_owned(), value.into_owned()));
        }
        Ok(Form { pairs })
    }

    /// A form from pairs already decoded (tests, simulators, the CLI).
    pub fn from_pairs<N: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (N, V)>,
    ) -> Form {
        Form {
            pairs: pairs
                .into_iter()
                .map(|(n, v)| (n.into(), v.into()))
                .collect(),
        }
    }

    /// Every pair, in body order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The single value of `name`, if present.
    ///
    /// # Errors
    /// [`TelephonyError::DuplicateParam`] when `name` appears more than once:
    /// a typed field must not depend on which copy a reader picks.
    pub fn get(&self, name: &'static str) -> Result<Option<&str>, TelephonyError> {
        let mut found = None;
        for (n, v) in &self.pairs {
            if n == name {
                if found.is_some() {
                    return Err(TelephonyError::DuplicateParam(name));
                }
                found = Some(v.as_str());
            }
        }
        Ok(found)
    }

    /// The single value of `name`, which must be present.
    ///
    /// # Errors
    /// [`TelephonyError::MissingParam`] or [`TelephonyError::DuplicateParam`].
    pub fn require(&self, name: &'static str) -> Result<&str, TelephonyError> {
        self.get(name)?.ok_or(TelephonyError::MissingParam(name))
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)] // tests may panic
mod tests {
    use super::*;

    #[test]
    fn decodes_in_order_with_plus_percent_and_duplicates() {
        let f = Form::parse(b"To=%2B18005551212&Body=It%27s+amazing&a&&To=x&=v").unwrap();
        assert_eq!(
            f.pairs(),
            &[
                ("To".to_owned(), "+18005551212".to_owned()),
                ("Body".to_owned(), "It's amazing".to_owned()),
                ("a".to_owned(), String::new()),
                ("To".to_owned(), "x".to_owned()),
                (String::new(), "v".to_owned()),
            ]
        );
        assert_eq!(f.get("To"), Err(TelephonyError::DuplicateParam("To")));
        assert_eq!(f.get("Body"), Ok(Some("It's amazing")));
        assert_eq!(f.get("Nope"), Ok(None));
        assert_eq!(f.require("Nope"), Err(TelephonyError::MissingParam("Nope")));
    }

    #[test]
    fn invalid_utf8_is_replaced_not_refused() {
        let f = Form::parse(b"A=%FF%FEok").unwrap();
        assert_eq!(f.get("A"), Ok(Some("\u{FFFD}\u{FFFD}ok")));
    }

    #[test]
    fn bounds_are_typed_errors() {
        let big = vec![b'a'; MAX_BODY_BYTES + 1];
        assert_eq!(
            Form::parse(&big),
            Err(TelephonyError::BodyTooLarge {
                bytes: MAX_BODY_BYTES + 1
            })
        );
        // Exactly at the limit is fine.
        assert!(Form::parse(&big[..MAX_BODY_BYTES]).is_ok());
        let at_limit = vec!["k=v"; MAX_PARAMS].join("&");
        assert_eq!(Form::parse(at_limit.as_bytes()).unwrap().pairs().len(), 200);
        let over = vec!["k=v"; MAX_PARAMS + 1].join("&");
        assert_eq!(
            Form::parse(over.as_bytes()),
            Err(TelephonyError::TooManyParams)
        );
    }
}
