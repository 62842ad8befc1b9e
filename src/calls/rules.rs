//! A pool's outcome rules: "a call over a minute is a conversion worth 50",
//! "a call mentioning a credit card is worth 100 and tagged `payment`".
//!
//! ```json
//! [{"when": {"min_duration": 60}, "then": {"converted": true, "value": 50}},
//!  {"when": {"transcript_contains": ["credit card"]}, "then": {"converted": true, "value": 100, "tag": "payment"}},
//!  {"when": {"transcript_contains": ["wrong number"]}, "then": {"discard": true}}]
//! ```
//!
//! ## `when`
//!
//! Every condition given must hold (AND); an empty `when` always matches (a
//! catch-all default, useful last):
//!
//! - `min_duration` / `max_duration`: talk time in seconds, inclusive. A call
//!   without a duration (unanswered, or not over yet) matches neither.
//! - `transcript_contains`: a list of phrases, **any** of which appears in the
//!   transcript. Matching is on whole words, ignoring case (Unicode lower
//!   case) and punctuation, with runs of spaces and punctuation counting as
//!   one space: `"credit card"` matches `"…my Credit-Card, please"` but not
//!   `"credit cards"`. No transcript matches nothing.
//!
//! ## `then`, and which rule wins
//!
//! `converted` (bool), `value` (amount, ≤ 2 decimals) with optional
//! `currency` (the pool's currency otherwise), `tag` or `tags`, `discard`
//! (bool). At least one must be given.
//!
//! **The first matching rule per field wins**: for each of `converted`,
//! `value` and `discard`, the outcome takes it from the first matching rule
//! that sets that field, so an earlier, more specific rule is never
//! overridden by a later, broader one, and a later rule still fills in what
//! earlier ones left unset. **Tags accumulate** over all matching rules, in
//! rule order without repeats (the first [`MAX_TAGS`] kept): they are labels,
//! not a single answer. Unset
//! fields default to not converted, no value, not discarded. When no rule
//! matches there is no outcome.
//!
//! ## Bounds
//!
//! At most [`MAX_RULES`] rules, [`MAX_PHRASES`] phrases per rule, phrases of
//! at most [`MAX_PHRASE_CHARS`] characters; unknown keys are refused. Every
//! error names its field (`rules[1].when.transcript_contains[0]`).

use super::FieldError;
use super::money::{Amount, Currency, Money};
use super::outcome::{MAX_TAGS, Outcome, OutcomeSource, object, one_tag, tags};
use crate::error::{ApiError, ErrorCode, check_unique_keys};
use serde::{Serialize, Serializer};
use serde_json::Value;

/// Most rules per pool.
pub const MAX_RULES: usize = 32;
/// Most phrases in one `transcript_contains`.
pub const MAX_PHRASES: usize = 16;
/// Longest phrase, in characters.
pub const MAX_PHRASE_CHARS: usize = 100;

/// A pool's validated rules, in evaluation order.
///
/// Serialises to the canonical form of the input (`tag` folded into `tags`,
/// values as decimal strings with their currency), which parses back to the
/// same rules.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Rules(Vec<Rule>);

/// One rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// When it applies.
    pub when: When,
    /// What it decides.
    pub then: Then,
}

/// A rule's conditions (all must hold).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct When {
    /// Shortest talk time, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_duration: Option<u32>,
    /// Longest talk time, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_duration: Option<u32>,
    /// Phrases, any of which must appear in the transcript.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub transcript_contains: Vec<Phrase>,
}

/// What a rule decides (unset fields are left to later rules).
///
/// Serialised flat, as written: `{"converted": true, "value": "50.00",
/// "currency": "USD", "tags": ["payment"], "discard": false}`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Then {
    /// See [`Outcome::converted`].
    pub converted: Option<bool>,
    /// See [`Outcome::value`].
    pub value: Option<Money>,
    /// Tags added when the rule matches.
    pub tags: Vec<String>,
    /// See [`Outcome::discarded`].
    pub discard: Option<bool>,
}

impl Serialize for Then {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        if let Some(converted) = self.converted {
            map.serialize_entry("converted", &converted)?;
        }
        if let Some(money) = &self.value {
            map.serialize_entry("value", &money.amount)?;
            map.serialize_entry("currency", &money.currency)?;
        }
        if !self.tags.is_empty() {
            map.serialize_entry("tags", &self.tags)?;
        }
        if let Some(discard) = self.discard {
            map.serialize_entry("discard", &discard)?;
        }
        map.end()
    }
}

/// A phrase as the operator wrote it, and its normalised form for matching.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phrase {
    text: String,
    /// Normalised, with a space on each side (whole-word matching).
    needle: String,
}

impl Phrase {
    /// The phrase as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl Serialize for Phrase {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// What rules are evaluated against.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Facts<'a> {
    /// Talk time in seconds, when known.
    pub duration_seconds: Option<u32>,
    /// The transcript, when one has arrived.
    pub transcript: Option<&'a str>,
}

impl Rules {
    /// No rules: calls get no outcome unless set by hand.
    pub fn none() -> Rules {
        Rules(Vec::new())
    }

    /// The rules in order.
    pub fn rules(&self) -> &[Rule] {
        &self.0
    }

    /// Reads and validates a JSON body holding the list of rules.
    /// `currency` is the pool's, for values that name none.
    ///
    /// # Errors
    /// 400 `bad_json` for text that is not JSON (or repeats a key), 422
    /// `invalid_field` naming the field (`rules[1].when.transcript_contains[0]`).
    pub fn parse(body: &[u8], currency: Currency) -> Result<Rules, ApiError> {
        check_unique_keys(body)?;
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| ApiError::new(ErrorCode::BadJson, format!("rules: {e}")))?;
        Ok(Rules::from_value(&value, "rules", currency)?)
    }

    /// Validates rules already parsed (for instance the `rules` field of a
    /// pool's config, `path` being that field's path).
    ///
    /// # Errors
    /// A [`FieldError`] naming the field.
    pub fn from_value(value: &Value, path: &str, currency: Currency) -> Result<Rules, FieldError> {
        let list = value
            .as_array()
            .ok_or_else(|| FieldError::new(path, "expected a list of rules"))?;
        if list.len() > MAX_RULES {
            return Err(FieldError::new(
                path,
                format!("at most {MAX_RULES} rules, found {}", list.len()),
            ));
        }
        let mut rules = Vec::with_capacity(list.len());
        for (i, rule) in list.iter().enumerate() {
            rules.push(parse_rule(rule, &format!("{path}[{i}]"), currency)?);
        }
        Ok(Rules(rules))
    }

    /// The outcome the rules give for `facts`, or `None` when no rule
    /// matches (see the module docs for precedence).
    pub fn evaluate(&self, facts: &Facts<'_>, now: i64) -> Option<Outcome> {
        let transcript = facts.transcript.map(|t| format!(" {} ", normalise(t)));
        let mut matched = Vec::new();
        let (mut converted, mut value, mut discarded) = (None, None, None);
        let mut tags: Vec<String> = Vec::new();
        for (i, rule) in self.0.iter().enumerate() {
            if !rule
                .when
                .matches(facts.duration_seconds, transcript.as_deref())
            {
                continue;
            }
            matched.push(i);
            converted = converted.or(rule.then.converted);
            value = value.or(rule.then.value);
            discarded = discarded.or(rule.then.discard);
            for tag in &rule.then.tags {
                if !tags.contains(tag) && tags.len() < MAX_TAGS {
                    tags.push(tag.clone());
                }
            }
        }
        let index = *matched.first()?;
        Some(Outcome {
            converted: converted.unwrap_or(false),
            value,
            tags,
            discarded: discarded.unwrap_or(false),
            source: OutcomeSource::Rule { index, matched },
            decided_at: now,
        })
    }
}

impl When {
    /// `transcript` is normalised and padded with spaces.
    fn matches(&self, duration: Option<u32>, transcript: Option<&str>) -> bool {
        let bounded = self.min_duration.is_some() || self.max_duration.is_some();
        let in_range = |d: u32| {
            self.min_duration.is_none_or(|min| d >= min)
                && self.max_duration.is_none_or(|max| d <= max)
        };
        // A duration condition needs a duration: an unknown one matches neither bound.
        if bounded && !duration.is_some_and(in_range) {
            return false;
        }
        if !self.transcript_contains.is_empty() {
            let Some(transcript) = transcript else {
                return false;
            };
            if !self
                .transcript_contains
                .iter()
                .any(|p| transcript.contains(&p.needle))
            {
                return false;
            }
        }
        true
    }
}

/// Lower case (Unicode), every run of characters that are not letters or
/// digits turned into one space, trimmed.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        } else {
            space = true;
        }
    }
    out
}

fn parse_rule(value: &Value, path: &str, currency: Currency) -> Result<Rule, FieldError> {
    let obj = object(value, path, &["when", "then"])?;
    let when = obj
        .get("when")
        .ok_or_else(|| FieldError::new(format!("{path}.when"), "required"))?;
    let then = obj
        .get("then")
        .ok_or_else(|| FieldError::new(format!("{path}.then"), "required"))?;
    Ok(Rule {
        when: parse_when(when, &format!("{path}.when"))?,
        then: parse_then(then, &format!("{path}.then"), currency)?,
    })
}

fn parse_when(value: &Value, path: &str) -> Result<When, FieldError> {
    let obj = object(
        value,
        path,
        &["min_duration", "max_duration", "transcript_contains"],
    )?;
    let seconds = |key: &str| -> Result<Option<u32>, FieldError> {
        match obj.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| {
                    FieldError::new(
                        format!("{path}.{key}"),
                        "expected whole seconds (0 or more)",
                    )
                }),
        }
    };
    let min_duration = seconds("min_duration")?;
    let max_duration = seconds("max_duration")?;
    if let (Some(min), Some(max)) = (min_duration, max_duration)
        && min > max
    {
        return Err(FieldError::new(
            format!("{path}.max_duration"),
            format!("{max} is less than min_duration {min}"),
        ));
    }
    let mut transcript_contains = Vec::new();
    if let Some(list) = obj.get("transcript_contains") {
        let field = format!("{path}.transcript_contains");
        let list = list
            .as_array()
            .ok_or_else(|| FieldError::new(&field, "expected a list of phrases"))?;
        if list.is_empty() || list.len() > MAX_PHRASES {
            return Err(FieldError::new(
                &field,
                format!("1 to {MAX_PHRASES} phrases, found {}", list.len()),
            ));
        }
        for (i, phrase) in list.iter().enumerate() {
            let field = format!("{field}[{i}]");
            let text = phrase
                .as_str()
                .ok_or_else(|| FieldError::new(&field, "expected a string"))?;
            if text.chars().count() > MAX_PHRASE_CHARS {
                return Err(FieldError::new(
                    &field,
                    format!("longer than {MAX_PHRASE_CHARS} characters"),
                ));
            }
            let normalised = normalise(text);
            if normalised.is_empty() {
                return Err(FieldError::new(&field, "has no letters or digits"));
            }
            transcript_contains.push(Phrase {
                text: text.to_owned(),
                needle: format!(" {normalised} "),
            });
        }
    }
    Ok(When {
        min_duration,
        max_duration,
        transcript_contains,
    })
}

fn parse_then(value: &Value, path: &str, default: Currency) -> Result<Then, FieldError> {
    let obj = object(
        value,
        path,
        &["converted", "value", "currency", "tag", "tags", "discard"],
    )?;
    let flag = |key: &str| -> Result<Option<bool>, FieldError> {
        match obj.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(FieldError::new(
                format!("{path}.{key}"),
                "expected true or false",
            )),
        }
    };
    let converted = flag("converted")?;
    let discard = flag("discard")?;
    let currency = match obj.get("currency") {
        None => None,
        Some(Value::String(s)) => {
            Some(Currency::parse(s).map_err(|m| FieldError::new(format!("{path}.currency"), m))?)
        }
        Some(_) => {
            return Err(FieldError::new(
                format!("{path}.currency"),
                "expected a string like \"USD\"",
            ));
        }
    };
    let value = match obj.get("value") {
        None => {
            if currency.is_some() {
                return Err(FieldError::new(
                    format!("{path}.currency"),
                    "only meaningful with value",
                ));
            }
            None
        }
        Some(v) => Some(Money {
            amount: Amount::from_json(v)
                .map_err(|m| FieldError::new(format!("{path}.value"), m))?,
            currency: currency.unwrap_or(default),
        }),
    };
    let mut all_tags = Vec::new();
    if let Some(tag) = obj.get("tag") {
        all_tags.push(one_tag(tag, &format!("{path}.tag"))?);
    }
    if let Some(list) = obj.get("tags") {
        for tag in tags(list, &format!("{path}.tags"))? {
            if !all_tags.contains(&tag) {
                all_tags.push(tag);
            }
        }
    }
    if all_tags.len() > MAX_TAGS {
        return Err(FieldError::new(
            format!("{path}.tags"),
            format!("at most {MAX_TAGS} tags"),
        ));
    }
    if converted.is_none() && value.is_none() && discard.is_none() && all_tags.is_empty() {
        return Err(FieldError::new(
            path,
            "sets nothing (give converted, value, tag(s) or discard)",
        ));
    }
    Ok(Then {
        converted,
        value,
        tags: all_tags,
        discard,
    })
}
