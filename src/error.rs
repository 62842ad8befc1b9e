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
            ErrorCode::NotFound | ErrorCode::UnknownPool | ErrorCode::UnknownNumber => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::BadJson => 400,
            ErrorCode::InvalidField | ErrorCode::InvalidNumber => 422,
            ErrorCode::Conflict => 409,
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
pub fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::new(ErrorCode::BadJson, format!("body: {e}")))
}

#[cfg(test)]
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
    fn bad_json_is_400_and_quotes_serde() {
        let e = parse_json::<serde_json::Value>(b"{").unwrap_err();
        assert_eq!(e.status(), 400);
        assert!(e.message.starts_with("body: "));
    }
}
