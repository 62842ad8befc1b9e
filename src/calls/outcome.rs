//! What a call was worth, and who said so.
//!
//! An outcome comes from the pool's [`Rules`](super::Rules) or from a person
//! (`POST /v1/calls/{call_id}/outcome`, [`ManualOutcome`]). **A manual
//! outcome beats rules**: once set, rule evaluations leave it alone (see
//! [`CallRecord::evaluate_rules`](super::CallRecord::evaluate_rules)), because
//! the person listened to the call and the rules only guessed.

use super::FieldError;
use super::money::{Amount, Currency, Money};
use crate::error::{ApiError, check_unique_keys};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Most tags on one outcome.
pub const MAX_TAGS: usize = 16;
/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 64;

/// A call's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    /// The call converted (a sale, a booking: whatever the operator counts).
    pub converted: bool,
    /// What the conversion was worth, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Money>,
    /// Labels (`payment`, `support`), in the order first given, no repeats.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Leave the call out of reports (a wrong number, spam). `converted` is
    /// kept as computed, so the operator can still see why it was discarded.
    pub discarded: bool,
    /// Where it came from.
    pub source: OutcomeSource,
    /// When it was decided (Unix seconds). Not compared when deciding whether
    /// an outcome changed: re-deciding the same thing later is no change.
    pub decided_at: i64,
}

impl Outcome {
    /// Same decision, whenever it was taken.
    pub fn same_decision(&self, other: &Outcome) -> bool {
        self.converted == other.converted
            && self.value == other.value
            && self.tags == other.tags
            && self.discarded == other.discarded
            && self.source == other.source
    }

    /// Whether a person set it (rules must not overwrite it).
    pub fn is_manual(&self) -> bool {
        self.source == OutcomeSource::Manual
    }
}

/// Who decided an outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum OutcomeSource {
    /// The pool's rules.
    Rule {
        /// The first rule that matched (0-based index into the pool's rules).
        index: usize,
        /// Every rule that matched, in order (fields come from the first of
        /// them that sets each one).
        matched: Vec<usize>,
    },
    /// A person, through the API.
    Manual,
}

/// The validated body of `POST /v1/calls/{call_id}/outcome`:
///
/// ```json
/// {"converted": true, "value": 49.99, "currency": "USD", "tags": ["payment"], "discarded": false}
/// ```
///
/// `converted` is required; `value` needs `currency` (and `currency` needs
/// `value`); `tags` and `discarded` default to none and `false`. Unknown keys
/// are refused, so a typo (`"convertd"`) is not silently ignored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManualOutcome {
    /// See [`Outcome::converted`].
    pub converted: bool,
    /// See [`Outcome::value`].
    pub value: Option<Money>,
    /// See [`Outcome::tags`].
    pub tags: Vec<String>,
    /// See [`Outcome::discarded`].
    pub discarded: bool,
}

impl ManualOutcome {
    /// Reads and validates the request body.
    ///
    /// # Errors
    /// 400 `bad_json` for text that is not one JSON object (or repeats a key),
    /// 422 `invalid_field` naming the field otherwise.
    pub fn parse(body: &[u8]) -> Result<ManualOutcome, ApiError> {
        check_unique_keys(body)?;
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| ApiError::new(crate::error::ErrorCode::BadJson, format!("body: {e}")))?;
        Ok(ManualOutcome::from_value(&value)?)
    }

    /// Validates an already-parsed body.
    ///
    /// # Errors
    /// A [`FieldError`] naming the field.
    pub fn from_value(value: &Value) -> Result<ManualOutcome, FieldError> {
        let obj = object(
            value,
            "body",
            &["converted", "value", "currency", "tags", "discarded"],
        )?;
        let converted = match obj.get("converted") {
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(FieldError::new("converted", "expected true or false")),
            None => return Err(FieldError::new("converted", "required")),
        };
        let discarded = match obj.get("discarded") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(FieldError::new("discarded", "expected true or false")),
        };
        let amount = match obj.get("value") {
            None | Some(Value::Null) => None,
            Some(v) => Some(Amount::from_json(v).map_err(|m| FieldError::new("value", m))?),
        };
        let currency = match obj.get("currency") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => {
                Some(Currency::parse(s).map_err(|m| FieldError::new("currency", m))?)
            }
            Some(_) => {
                return Err(FieldError::new(
                    "currency",
                    "expected a string like \"USD\"",
                ));
            }
        };
        let value = match (amount, currency) {
            (Some(amount), Some(currency)) => Some(Money { amount, currency }),
            (None, None) => None,
            (Some(_), None) => {
                return Err(FieldError::new("currency", "required when value is given"));
            }
            (None, Some(_)) => {
                return Err(FieldError::new("value", "required when currency is given"));
            }
        };
        let tags = match obj.get("tags") {
            None | Some(Value::Null) => Vec::new(),
            Some(v) => tags(v, "tags")?,
        };
        Ok(ManualOutcome {
            converted,
            value,
            tags,
            discarded,
        })
    }

    /// The outcome it sets, decided at `now`.
    pub fn to_outcome(&self, now: i64) -> Outcome {
        Outcome {
            converted: self.converted,
            value: self.value,
            tags: self.tags.clone(),
            discarded: self.discarded,
            source: OutcomeSource::Manual,
            decided_at: now,
        }
    }
}

/// `value` as an object with only `allowed` keys.
pub(crate) fn object<'a>(
    value: &'a Value,
    path: &str,
    allowed: &[&str],
) -> Result<&'a Map<String, Value>, FieldError> {
    let obj = value
        .as_object()
        .ok_or_else(|| FieldError::new(path, "expected an object"))?;
    if let Some(key) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        let field = if path == "body" {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        return Err(FieldError::new(
            field,
            format!("unknown field (expected one of: {})", allowed.join(", ")),
        ));
    }
    Ok(obj)
}

/// A list of tags at `path`: at most [`MAX_TAGS`], each a single tag.
pub(crate) fn tags(value: &Value, path: &str) -> Result<Vec<String>, FieldError> {
    let list = value
        .as_array()
        .ok_or_else(|| FieldError::new(path, "expected a list of strings"))?;
    if list.len() > MAX_TAGS {
        return Err(FieldError::new(
            path,
            format!("at most {MAX_TAGS} tags, found {}", list.len()),
        ));
    }
    let mut out = Vec::with_capacity(list.len());
    for (i, tag) in list.iter().enumerate() {
        let tag = one_tag(tag, &format!("{path}[{i}]"))?;
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    Ok(out)
}

/// One tag at `path`: 1 to [`MAX_TAG_CHARS`] characters, no control
/// characters, surrounding spaces trimmed.
pub(crate) fn one_tag(value: &Value, path: &str) -> Result<String, FieldError> {
    let tag = value
        .as_str()
        .ok_or_else(|| FieldError::new(path, "expected a string"))?
        .trim();
    if tag.is_empty() {
        return Err(FieldError::new(path, "must not be empty"));
    }
    if tag.chars().count() > MAX_TAG_CHARS {
        return Err(FieldError::new(
            path,
            format!("longer than {MAX_TAG_CHARS} characters"),
        ));
    }
    if tag.chars().any(char::is_control) {
        return Err(FieldError::new(path, "contains a control character"));
    }
    Ok(tag.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn field_of(body: &str) -> Option<String> {
        ManualOutcome::parse(body.as_bytes()).unwrap_err().field
    }

    #[test]
    fn a_full_body_is_read() {
        let m = ManualOutcome::parse(
            br#"{"converted": true, "value": 49.99, "currency": "EUR", "tags": ["vip", " vip ", "payment"], "discarded": false}"#,
        )
        .unwrap();
        assert!(m.converted && !m.discarded);
        assert_eq!(m.value.unwrap().amount.hundredths(), 4999);
        assert_eq!(m.value.unwrap().currency.as_str(), "EUR");
        assert_eq!(m.tags, ["vip", "payment"]);
        let o = m.to_outcome(7);
        assert!(o.is_manual());
        assert_eq!(o.decided_at, 7);
    }

    #[test]
    fn errors_name_the_field() {
        for (body, field) in [
            (r#"{}"#, "converted"),
            (r#"{"converted": "yes"}"#, "converted"),
            (r#"{"converted": true, "value": 5}"#, "currency"),
            (r#"{"converted": true, "currency": "USD"}"#, "value"),
            (
                r#"{"converted": true, "value": 5.001, "currency": "USD"}"#,
                "value",
            ),
            (
                r#"{"converted": true, "value": 5, "currency": "usd"}"#,
                "currency",
            ),
            (r#"{"converted": true, "tags": ["ok", ""]}"#, "tags[1]"),
            (r#"{"converted": true, "tags": "x"}"#, "tags"),
            (r#"{"converted": true, "convertd": false}"#, "convertd"),
        ] {
            assert_eq!(field_of(body).as_deref(), Some(field), "{body}");
        }
        let long = format!(r#"{{"converted": true, "tags": ["{}"]}}"#, "t".repeat(65));
        assert_eq!(field_of(&long).as_deref(), Some("tags[0]"));
        let many = format!(
            r#"{{"converted": true, "tags": [{}]}}"#,
            (0..17)
                .map(|i| format!("\"t{i}\""))
                .collect::<Vec<_>>()
                .join(",")
        );
        assert_eq!(field_of(&many).as_deref(), Some("tags"));
    }

    #[test]
    fn syntax_errors_and_repeated_keys_are_bad_json() {
        for body in [
            r#"{"converted": true"#,
            r#"{"converted": true, "converted": false}"#,
        ] {
            let e = ManualOutcome::parse(body.as_bytes()).unwrap_err();
            assert_eq!(e.code, ErrorCode::BadJson, "{body}");
        }
        let e = ManualOutcome::parse(b"[]").unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidField);
    }
}
