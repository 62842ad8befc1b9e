//! The stored call, versioned.
//!
//! A record is JSON in Durable Object storage and outlives the code that
//! wrote it, so it carries a `version`. [`CallRecord::load`] reads every
//! version this code knows (migrating older ones forward, once there are
//! any) and **refuses newer ones** ([`RecordError::TooNew`]) instead of
//! dropping the fields it does not know, which a later save would then erase.
//! Unknown fields within a known version are refused too: a record only this
//! code writes that has extra fields is a bug to surface, not to ignore.
//!
//! The format is pinned by `tests/fixtures/call_record_v1.json`.

use super::id::CallId;
use super::outcome::Outcome;
use super::status::CallStatus;
use ringmark_phone::E164;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The record format this code writes.
pub const CURRENT_VERSION: u32 = 1;

/// One call to one of a pool's numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallRecord {
    /// Format version ([`CURRENT_VERSION`] when written by this code).
    pub version: u32,
    /// The call's id (its `CallSid`, or a generated one).
    pub call_id: CallId,
    /// The pool the dialled number belongs to.
    pub pool: String,
    /// The caller, when their number is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<E164>,
    /// The dialled (tracking) number.
    pub to: E164,
    /// When the call came in (Unix seconds).
    pub started_at: i64,
    /// When it reached a final status (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<i64>,
    /// Where the call is in its life.
    pub status: CallStatus,
    /// Talk time of the forwarded leg in seconds, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<u32>,
    /// The transcript, at most [`MAX_TRANSCRIPT_BYTES`](super::MAX_TRANSCRIPT_BYTES).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript: Option<String>,
    /// The transcript was longer and has been cut.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub transcript_truncated: bool,
    /// Who most likely called, from the pool's attribution at ring time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<AttributionSummary>,
    /// What the call was worth, once decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
}

/// The top of an attribution, kept with the call.
///
/// ringmark's own small type rather than the pool crate's `Attribution`, so
/// the stored format does not change when the attribution model does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributionSummary {
    /// The most likely recipient, when there is a candidate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    /// That recipient's campaign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    /// 0..=1: how much to trust the recipient.
    pub confidence: f64,
    /// Several plausible candidates and no decisive one.
    pub ambiguous: bool,
    /// The reason code (`exclusive`, `shared`, `no_candidates`, …).
    pub reason: String,
}

impl AttributionSummary {
    /// Summarises the pool's answer: its first candidate, its confidence
    /// (clamped to 0..=1, NaN as 0, so the record always serialises), and the
    /// code part of its `code: text` reason.
    pub fn from_attribution(a: &ringmark_pool::Attribution) -> AttributionSummary {
        let top = a.candidates.first();
        let confidence = if a.confidence.is_nan() {
            0.0
        } else {
            a.confidence.clamp(0.0, 1.0)
        };
        // A recipient forgotten on request is still the likeliest caller, but names no one.
        let erased = top.is_some_and(|c| ringmark_pool::is_erased(&c.recipient));
        AttributionSummary {
            recipient: top.filter(|_| !erased).map(|c| c.recipient.clone()),
            campaign: top.map(|c| c.campaign.clone()),
            confidence,
            ambiguous: a.ambiguous,
            reason: if erased {
                "erased".to_owned()
            } else {
                a.reason
                    .split_once(':')
                    .map_or(a.reason.as_str(), |(code, _)| code)
                    .trim()
                    .to_owned()
            },
        }
    }
}

/// Why a stored record could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordError {
    /// Not JSON, or not a record of its version (a field missing, unknown or
    /// malformed).
    Malformed(String),
    /// No `version` field.
    MissingVersion,
    /// Written by newer code: refused, so a save from this code cannot drop
    /// what it does not understand.
    TooNew {
        /// The record's version.
        found: u64,
        /// The newest this code reads.
        supported: u32,
    },
    /// An old version this code no longer migrates.
    Unsupported {
        /// The record's version.
        found: u64,
    },
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordError::Malformed(why) => write!(f, "call record is malformed: {why}"),
            RecordError::MissingVersion => f.write_str("call record has no version"),
            RecordError::TooNew { found, supported } => write!(
                f,
                "call record version {found} is newer than this code reads ({supported})"
            ),
            RecordError::Unsupported { found } => {
                write!(f, "call record version {found} is not supported")
            }
        }
    }
}

impl std::error::Error for RecordError {}

impl CallRecord {
    /// Reads a stored record, migrating older versions to the current one.
    ///
    /// # Errors
    /// [`RecordError`] saying why.
    pub fn load(json: &[u8]) -> Result<CallRecord, RecordError> {
        let value: serde_json::Value =
            serde_json::from_slice(json).map_err(|e| RecordError::Malformed(e.to_string()))?;
        let version = value
            .get("version")
            .ok_or(RecordError::MissingVersion)?
            .as_u64()
            .ok_or_else(|| RecordError::Malformed("version is not a whole number".to_owned()))?;
        match version {
            1 => serde_json::from_value(value).map_err(|e| RecordError::Malformed(e.to_string())),
            // A future version 2 adds an arm here migrating version 1.
            v if v > u64::from(CURRENT_VERSION) => Err(RecordError::TooNew {
                found: v,
                supported: CURRENT_VERSION,
            }),
            v => Err(RecordError::Unsupported { found: v }),
        }
    }

    /// The record as stored (compact JSON, fields in declaration order).
    pub fn to_json(&self) -> String {
        // Only strings, numbers and bools, and confidence is kept finite:
        // serialising cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ringmark_pool::{Attribution, Candidate};

    fn attribution(candidates: Vec<Candidate>, confidence: f64, reason: &str) -> Attribution {
        Attribution {
            candidates,
            ambiguous: false,
            confidence,
            overflow: false,
            reason: reason.to_owned(),
        }
    }

    #[test]
    fn summary_keeps_the_top_candidate_and_the_reason_code() {
        let top = Candidate {
            campaign: "launch-1".into(),
            recipient: "r-42".into(),
            score: 0.9,
            state: "exclusive".into(),
            device: "smartphone".into(),
            since: 1,
            until: Some(2),
        };
        let mut second = top.clone();
        second.recipient = "r-43".into();
        let s = AttributionSummary::from_attribution(&attribution(
            vec![top, second],
            0.9,
            "exclusive: only r-42 held the number",
        ));
        assert_eq!(s.recipient.as_deref(), Some("r-42"));
        assert_eq!(s.campaign.as_deref(), Some("launch-1"));
        assert_eq!(s.reason, "exclusive");
        assert_eq!(s.confidence, 0.9);
    }

    #[test]
    fn summary_confidence_is_always_storable() {
        for (confidence, stored) in [(f64::NAN, 0.0), (-1.0, 0.0), (7.0, 1.0)] {
            let s = AttributionSummary::from_attribution(&attribution(
                Vec::new(),
                confidence,
                "no_candidates",
            ));
            assert_eq!(s.confidence, stored);
            assert_eq!((s.recipient, s.reason.as_str()), (None, "no_candidates"));
        }
    }
}
