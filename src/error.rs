//! The error type of the admin/API boundary.
//!
//! Email-facing URLs never show an error (they fall back to an image); the
//! admin API answers every problem with a 4xx/5xx and a JSON body that names
//! it, so a client can fix its request:
//!
//! ```json
//! {"error": {"code": "invalid_number", "message": "numbers[2]: ...", "field": "numbers[2]"}}
//! ```
//!
//! The HTTP status lives here and nowhere else ([`ApiError::status`]).
#![deny(clippy::indexing_slicing, clippy::string_slice)]

use crate::http::Response;
use serde::Serialize;
use std::fmt;

/// What went wrong, as a stable machine-readable code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// No or wrong `Authorization: Bearer` token (401).
    Unauthorized,
    /// No such route (404).
    NotFound,
    /// The route exists but not for this method (405).
    MethodNotAllowed,
    /// The body is not valid JSON or misses or misnames a field (400).
    BadJson,
    /// A value is out of range or inconsistent (422).
    InvalidField,
    /// A phone number is not valid E.164 (422).
    InvalidNumber,
    /// The pool does not exist (404).
    UnknownPool,
    /// The dialled number belongs to no pool (404).
    UnknownNumber,
    /// A number already belongs to another pool, or is quarantined (409).
    Conflict,
    /// The pool was deleted and waits for its data to be purged (409).
    PoolDeleted,
    /// No call has that id (404).
    UnknownCall,
    /// A carrier webhook's signature does not verify (403).
    BadSignature,
    /// The deployment is misconfigured (a missing secret) (500).
    Misconfigured,
    /// Storage or an internal step failed; nothing was written (500/503).
    Internal,
}

/// An error answered by the admin API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApiError {
    /// Machine-readable code.
    pub code: ErrorCode,
    /// Human-readable explanation.
    pub message: String,
    /// The offending field (JSON path), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    /// An error without a field.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            field: None,
        }
    }

    /// An error about one field.
    pub fn field(code: ErrorCode, field: impl Into<String>, message: impl fmt::Display) -> Self {
        let field = field.into();
        ApiError {
            code,
            message: format!("{field}: {message}"),
            field: Some(field),
        }
    }

    /// The HTTP status for this error.
    pub fn status(&self) -> u16 {
        match self.code {
            ErrorCode::Unauthorized => 401,
            ErrorCode::BadSignature => 403,
            ErrorCode::NotFound
            | ErrorCode::UnknownPool
            | ErrorCode::UnknownNumber
            | ErrorCode::UnknownCall => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::BadJson => 400,
            ErrorCode::InvalidField | ErrorCode::InvalidNumber => 422,
            ErrorCode::Conflict | ErrorCode::PoolDeleted => 409,
            ErrorCode::Misconfigured | ErrorCode::Internal => 500,
        }
    }

    /// The JSON response for this error.
    pub fn to_response(&self) -> Response {
        #[derive(Serialize)]
        struct Body<'a> {
            error: &'a ApiError,
        }
        let response = Response::json(self.status(), &Body { error: self });
        if self.code == ErrorCode::Unauthorized {
            response.with_header("www-authenticate", "Bearer realm=\"ringmark\"")
        } else {
            response
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}

/// Reads a JSON body into `T`, turning serde's message into a [`ErrorCode::BadJson`] error.
///
/// A key that appears twice in one object is refused (400, the error's `field`
/// naming its path, like `style.label`), at any depth: serde would otherwise keep
/// the last one silently, and two readers of the same body could disagree.
pub fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    check_unique_keys(body)?;
    serde_json::from_slice(body)
        .map_err(|e| ApiError::new(ErrorCode::BadJson, format!("body: {e}")))
}

/// Checks that no object in the JSON text `body` has the same key twice.
///
/// # Errors
/// [`ErrorCode::BadJson`] naming the duplicate key's path, or serde's message
/// when the text is not JSON.
pub fn check_unique_keys(body: &[u8]) -> Result<(), ApiError> {
    use serde::de::DeserializeSeed;
    let duplicate = std::cell::RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(body);
    let checked = unique::Keys {
        duplicate: &duplicate,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    match (checked, duplicate.into_inner()) {
        (Ok(()), _) => Ok(()),
        (Err(_), Some(path)) => {
            let field = path.into_iter().rev().collect::<String>();
            let field = field.strip_prefix('.').unwrap_or(&field).to_owned();
            Err(ApiError::field(
                ErrorCode::BadJson,
                field,
                "duplicate key (each key may appear once per object)",
            ))
        }
        (Err(e), None) => Err(ApiError::new(ErrorCode::BadJson, format!("body: {e}"))),
    }
}

/// The visitor behind [`check_unique_keys`]: walks any JSON value, keeps the
/// keys of each object, and on a repeated key records its path (segments
/// innermost first, each pushed as the error passes back up, so nothing is
/// formatted unless a key repeats).
mod unique {
    use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
    use std::cell::RefCell;
    use std::collections::BTreeSet;
    use std::fmt;

    #[derive(Clone, Copy)]
    pub(super) struct Keys<'a> {
        pub duplicate: &'a RefCell<Option<Vec<String>>>,
    }

    impl Keys<'_> {
        fn push(&self, segment: impl FnOnce() -> String) {
            if let Some(path) = self.duplicate.borrow_mut().as_mut() {
                path.push(segment());
            }
        }
    }

    impl<'de> DeserializeSeed<'de> for Keys<'_> {
        type Value = ();
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Keys<'_> {
        type Value = ();

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_none<E>(self) -> Result<(), E> {
            Ok(())
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let mut i = 0usize;
            loop {
                match seq.next_element_seed(self) {
                    Ok(Some(())) => i += 1,
                    Ok(None) => return Ok(()),
                    Err(e) => {
                        self.push(|| format!("[{i}]"));
                        return Err(e);
                    }
                }
            }
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let mut seen = BTreeSet::new();
            while let Some(key) = map.next_key::<String>()? {
                if seen.contains(&key) {
                    let message = format!("duplicate key {key:?}");
                    *self.duplicate.borrow_mut() = Some(vec![format!(".{key}")]);
                    return Err(de::Error::custom(message));
                }
                if let Err(e) = map.next_value_seed(self) {
                    self.push(|| format!(".{key}"));
                    return Err(e);
                }
                seen.insert(key);
            }
            Ok(())
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)] // tests may panic
mod tests {
    use super::*;

    #[test]
    fn body_names_code_field_and_message() {
        let e = ApiError::field(ErrorCode::InvalidNumber, "numbers[1]", "missing '+'");
        let r = e.to_response();
        assert_eq!(r.status, 422);
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["error"]["code"], "invalid_number");
        assert_eq!(v["error"]["field"], "numbers[1]");
        assert_eq!(v["error"]["message"], "numbers[1]: missing '+'");
    }

    #[test]
    fn unauthorized_carries_challenge() {
        let r = ApiError::new(ErrorCode::Unauthorized, "no").to_response();
        assert_eq!(r.status, 401);
        assert!(r.header_value("www-authenticate").is_some());
    }

    #[test]
    fn duplicate_keys_are_refused_naming_their_path() {
        for (body, field) in [
            (r#"{"at": 1, "to": "+1", "at": 2}"#, "at"),
            (r#"{"style": {"label": "a", "label": "b"}}"#, "style.label"),
            (r#"{"n": [{"x": 1}, {"x": 1, "y": 2, "x": 3}]}"#, "n[1].x"),
            (r#"[{}, {"k": {"a": [], "a": null}}]"#, "[1].k.a"),
            (r#"{"a\u0062": 1, "ab": 2}"#, "ab"),
        ] {
            let e = parse_json::<serde_json::Value>(body.as_bytes()).unwrap_err();
            assert_eq!(e.status(), 400, "{body}");
            assert_eq!(e.code, ErrorCode::BadJson);
            assert_eq!(e.field.as_deref(), Some(field), "{body}");
            assert!(e.message.contains("duplicate key"), "{}", e.message);
        }
        // The same key in different objects is fine.
        let v: serde_json::Value =
            parse_json(br#"{"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}]}"#).unwrap();
        assert_eq!(v["b"][1]["a"], 2);
        // Syntax errors keep serde's message; trailing text is refused as before.
        let e = parse_json::<serde_json::Value>(br#"{"a": 1} x"#).unwrap_err();
        assert!(
            e.field.is_none() && e.message.starts_with("body: trailing"),
            "{e}"
        );
    }

    #[test]
    fn bad_json_is_400_and_quotes_serde() {
        let e = parse_json::<serde_json::Value>(b"{").unwrap_err();
        assert_eq!(e.status(), 400);
        assert!(e.message.starts_with("body: "));
    }
}
