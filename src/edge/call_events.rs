//! The webhook events of a call's life: `call.started` and `call.attributed`
//! when it rings (or is reported), `call.completed` when it ends,
//! `call.outcome` when its outcome is set or changed. Built from the stored
//! [`CallRecord`], so every event of one call carries the same `call_id`,
//! numbers and attribution; enqueued after the response that caused them.

use super::Edge;
use super::webhooks::event;
use crate::calls::CallRecord;
use crate::protocol::CallChanged;
use crate::webhooks::{EventData, EventType, WebhookEvent};
use serde_json::{Map, Value, json};

/// The event data every call event shares.
fn data(record: &CallRecord, extra: &[(&str, Value)]) -> EventData {
    let attribution = record.attribution.as_ref();
    let mut details = Map::new();
    details.insert("call_id".into(), json!(record.call_id));
    details.insert("from".into(), json!(record.from));
    details.insert("started_at".into(), json!(record.started_at));
    details.insert("status".into(), json!(record.status));
    if let Some(a) = attribution {
        details.insert("confidence".into(), json!(a.confidence));
        details.insert("ambiguous".into(), json!(a.ambiguous));
        details.insert("reason".into(), json!(a.reason));
    }
    for (key, value) in extra {
        details.insert((*key).to_owned(), value.clone());
    }
    EventData {
        pool: record.pool.clone(),
        campaign: attribution.and_then(|a| a.campaign.clone()),
        recipient: attribution.and_then(|a| a.recipient.clone()),
        number: Some(record.to.as_str().to_owned()),
        details,
        ..EventData::default()
    }
}

/// A call rang (or was reported) and was attributed.
pub fn started(edge: &Edge, record: &CallRecord) -> Vec<WebhookEvent> {
    vec![
        event(edge, EventType::CallStarted, data(record, &[])),
        event(edge, EventType::CallAttributed, data(record, &[])),
    ]
}

/// What a change of a stored call announces: its completion and its outcome.
pub fn changed(edge: &Edge, changed: &CallChanged) -> Vec<WebhookEvent> {
    let record = &changed.record;
    let mut events = Vec::new();
    if changed.completed {
        let extra = [
            ("ended_at", json!(record.ended_at)),
            ("duration_seconds", json!(record.duration_seconds)),
        ];
        events.push(event(edge, EventType::CallCompleted, data(record, &extra)));
    }
    if changed.outcome_changed {
        let extra = [("outcome", json!(record.outcome))];
        events.push(event(edge, EventType::CallOutcome, data(record, &extra)));
    }
    events
}
