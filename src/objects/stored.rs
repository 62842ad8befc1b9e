//! Versioned stored forms: every JSON value an engine keeps in a row says
//! which format it is in, and loading an older one migrates it.
//!
//! A stored value is `{"version": N, "value": …}`. Values written before
//! formats were versioned are bare JSON (the settings, open counters and
//! event rows of `697a10a` and earlier); they read as version 1. A value
//! from a newer release is refused with an error rather than misread, so a
//! rollback cannot silently drop fields. The allocator's snapshot carries its
//! own version inside (`ringmark_pool::Pool`'s serde form) and is stored as is.
//!
//! To change a format: bump its `version` here, keep the old reader as a
//! migration step in [`decode`]'s caller, and commit a fixture of the old
//! format (`tests/fixtures/`).

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// One kind of stored value and its current version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Format {
    /// What the value is (for messages).
    pub kind: &'static str,
    /// The version written now.
    pub version: u32,
    /// The version a bare (unversioned) value is read as, when such values
    /// were ever written.
    pub bare: Option<u32>,
}

/// A pool's settings (`kv.settings`). 1: bare `PoolSettings`; 2: enveloped,
/// same fields.
pub const SETTINGS: Format = Format {
    kind: "settings",
    version: 2,
    bare: Some(1),
};

/// A pool's open counters (`kv.stats`). 1: bare; 2: enveloped.
pub const STATS: Format = Format {
    kind: "stats",
    version: 2,
    bare: Some(1),
};

/// One allocator event (`events.body`). 1: bare `ringmark_pool::Event`; 2: enveloped.
pub const EVENT: Format = Format {
    kind: "event",
    version: 2,
    bare: Some(1),
};

/// A deleted pool's schedule (`kv.deleted`). 1: enveloped (new in format 2 of the pool object).
pub const DELETION: Format = Format {
    kind: "deletion",
    version: 1,
    bare: None,
};

/// One row of the webhooks object (`webhook_rows.value`: an endpoint, event,
/// delivery or the outbox's meta row, in [`crate::webhooks::outbox`]'s form,
/// whose meta row also carries that form's own version). 1: enveloped.
pub const WEBHOOK_ROW: Format = Format {
    kind: "webhook row",
    version: 1,
    bare: None,
};

/// The stored text of `value` in `format`'s current version:
/// `{"value": …, "version": n}`.
///
/// Written straight from `value`'s fields, not through a [`Value`] tree, which
/// was a large part of a pool object's time for an open in the Worker's
/// profile (`bench/worker/profile.mjs`): every open appends an event, every
/// batch saves its counters. Objects in `value` keep their fields' declared order; readers
/// parse JSON and never depended on the order (values stored through a
/// [`Value`] have their keys sorted, and still read).
pub fn encode<T: Serialize>(format: Format, value: &T) -> String {
    #[derive(Serialize)]
    struct Envelope<'a, T> {
        value: &'a T,
        version: u32,
    }
    serde_json::to_string(&Envelope {
        value,
        version: format.version,
    })
    // Our stored types have string keys only, so this cannot fail; should one
    // ever not serialise, store the envelope of nothing rather than no row.
    .unwrap_or_else(|_| format!(r#"{{"value":null,"version":{}}}"#, format.version))
}

/// Reads a stored value: its version, and the JSON to read at that version.
///
/// # Errors
/// A message when the text is not JSON, is bare where bare values never
/// existed, or comes from a newer release.
pub fn open(format: Format, text: &str) -> Result<(u32, Value), String> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("{}: not JSON: {e}", format.kind))?;
    let enveloped = value
        .as_object()
        .filter(|o| o.len() == 2 && o.contains_key("value"))
        .and_then(|o| o.get("version"))
        .and_then(Value::as_u64)
        .and_then(|v| u32::try_from(v).ok());
    let (version, inner) = match (enveloped, format.bare) {
        (Some(version), _) => (version, value.get("value").cloned().unwrap_or(Value::Null)),
        (None, Some(bare)) => (bare, value),
        (None, None) => return Err(format!("{}: no version", format.kind)),
    };
    if version > format.version {
        return Err(format!(
            "{} format {version} was written by a newer release (this one reads up to {})",
            format.kind, format.version
        ));
    }
    Ok((version, inner))
}

/// Reads a stored value whose older versions all hold the same fields as the
/// current one (every format so far): the version only says how it is wrapped.
///
/// # Errors
/// As [`open`], or when the fields do not read as `T`.
pub fn decode<T: DeserializeOwned>(format: Format, text: &str) -> Result<T, String> {
    let (version, value) = open(format, text)?;
    serde_json::from_value(value).map_err(|e| format!("{} format {version}: {e}", format.kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn a_value_round_trips_in_the_current_version() {
        let mut value = BTreeMap::new();
        value.insert("a".to_owned(), 1u32);
        let text = encode(STATS, &value);
        assert_eq!(text, r#"{"value":{"a":1},"version":2}"#);
        assert_eq!(decode::<BTreeMap<String, u32>>(STATS, &text), Ok(value));
    }

    #[test]
    fn a_bare_value_reads_as_version_1() {
        let (version, value) = open(SETTINGS, r#"{"config":{},"displays":{},"style":{}}"#).unwrap();
        assert_eq!(version, 1);
        assert!(value.get("config").is_some());
        // A bare value that happens to have a `version` field is still bare.
        let (version, _) = open(EVENT, r#"{"type":"created","version":7}"#).unwrap();
        assert_eq!(version, 1);
    }

    #[test]
    fn newer_and_unversioned_new_formats_are_refused() {
        let newer = r#"{"version":3,"value":{}}"#;
        assert!(open(SETTINGS, newer).unwrap_err().contains("newer release"));
        assert!(open(DELETION, "{}").unwrap_err().contains("no version"));
        assert!(open(STATS, "not json").is_err());
    }
}
