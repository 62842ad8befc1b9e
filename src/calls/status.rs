//! Where a call is in its life.

use serde::{Deserialize, Serialize};

/// A call's status, in Twilio's vocabulary (the same strings, so no mapping
/// table can drift): `queued`, `ringing`, `in-progress`, then one final
/// status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CallStatus {
    /// Waiting to be placed.
    Queued,
    /// Ringing (the status of a freshly recorded inbound call).
    Ringing,
    /// Answered and talking.
    InProgress,
    /// Final: answered and ended normally.
    Completed,
    /// Final: the forwarded number was busy.
    Busy,
    /// Final: the call could not be placed.
    Failed,
    /// Final: nobody answered within the timeout.
    NoAnswer,
    /// Final: the caller hung up before it was answered.
    Canceled,
}

impl CallStatus {
    /// Reads Twilio's string (`"in-progress"`, `"no-answer"`, …).
    pub fn parse(s: &str) -> Option<CallStatus> {
        Some(match s {
            "queued" => CallStatus::Queued,
            "ringing" => CallStatus::Ringing,
            "in-progress" => CallStatus::InProgress,
            "completed" => CallStatus::Completed,
            "busy" => CallStatus::Busy,
            "failed" => CallStatus::Failed,
            "no-answer" => CallStatus::NoAnswer,
            "canceled" => CallStatus::Canceled,
            _ => return None,
        })
    }

    /// Twilio's string for the status.
    pub fn as_str(self) -> &'static str {
        match self {
            CallStatus::Queued => "queued",
            CallStatus::Ringing => "ringing",
            CallStatus::InProgress => "in-progress",
            CallStatus::Completed => "completed",
            CallStatus::Busy => "busy",
            CallStatus::Failed => "failed",
            CallStatus::NoAnswer => "no-answer",
            CallStatus::Canceled => "canceled",
        }
    }

    /// Whether the call is over: no later status can change it.
    pub fn is_final(self) -> bool {
        self.stage() == 3
    }

    /// Order of a call's life: a report of an earlier stage arriving late
    /// (callbacks can be reordered) never moves a call back.
    pub(crate) fn stage(self) -> u8 {
        match self {
            CallStatus::Queued => 0,
            CallStatus::Ringing => 1,
            CallStatus::InProgress => 2,
            _ => 3,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip_through_parse_and_serde() {
        for s in [
            "queued",
            "ringing",
            "in-progress",
            "completed",
            "busy",
            "failed",
            "no-answer",
            "canceled",
        ] {
            let status = CallStatus::parse(s).unwrap();
            assert_eq!(status.as_str(), s);
            assert_eq!(serde_json::to_string(&status).unwrap(), format!("\"{s}\""));
        }
        assert_eq!(CallStatus::parse("cancelled"), None);
        assert_eq!(CallStatus::parse("Completed"), None);
    }
}
