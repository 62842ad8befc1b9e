//! The `timestamp` target: call times as the admin API reads them.
//!
//! What must hold (`src/timestamp.rs`): nothing panics; RFC 3339 text is
//! read exactly as an independent reader ([`crate::reference`]) reads it;
//! every accepted time lies in years 0000–9999; Unix seconds (integer or
//! float) are accepted exactly when they do, floored; any instant written
//! in RFC 3339 reads back as itself; `check_recent` accepts exactly the
//! documented window, for any pair of times.

use crate::reference;
use arbitrary::{Arbitrary, Unstructured};
use ringmark::timestamp::{self, MAX_AGE_SECONDS, MAX_AHEAD_SECONDS, MAX_UNIX, MIN_UNIX};
use serde_json::Value;

fn check_text(s: &str) {
    let got = timestamp::rfc3339(s);
    let want = reference::parse(s);
    assert_eq!(got.as_ref().ok(), want.as_ref(), "rfc3339({s:?}) = {got:?}");
    if let Err(message) = &got {
        assert!(!message.is_empty());
    }
    let parsed = timestamp::parse(&Value::String(s.to_owned()));
    match want {
        Some(v) if (MIN_UNIX..=MAX_UNIX).contains(&v) => assert_eq!(parsed, Ok(v), "{s:?}"),
        _ => assert!(parsed.is_err(), "parse({s:?}) = {parsed:?}"),
    }
}

fn check_number(value: Value) {
    let got = timestamp::parse(&value);
    let want = match &value {
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => Some(i).filter(|i| (MIN_UNIX..=MAX_UNIX).contains(i)),
            (None, Some(_), _) => None, // above i64::MAX
            (None, None, Some(f)) => {
                (f.is_finite() && f >= MIN_UNIX as f64 && f <= MAX_UNIX as f64)
                    .then(|| f.floor() as i64)
            }
            _ => None,
        },
        _ => None,
    };
    assert_eq!(got.as_ref().ok(), want.as_ref(), "parse({value}) = {got:?}");
    if let Ok(v) = got {
        assert!((MIN_UNIX..=MAX_UNIX).contains(&v));
    }
}

fn check_recent(at: i64, now: i64) {
    let got = timestamp::check_recent(at, now).is_ok();
    let (at, now) = (i128::from(at), i128::from(now));
    let oldest = (now - i128::from(MAX_AGE_SECONDS)).max(i128::from(i64::MIN));
    let latest = (now + i128::from(MAX_AHEAD_SECONDS)).min(i128::from(i64::MAX));
    assert_eq!(
        got,
        (oldest..=latest).contains(&at),
        "check_recent({at}, {now})"
    );
}

/// An instant in years 0000–9999.
fn instant(u: &mut Unstructured) -> arbitrary::Result<i64> {
    Ok(match u.int_in_range(0..=3u8)? {
        0 => *u.choose(&[
            MIN_UNIX,
            MAX_UNIX,
            0,
            -1,
            951_868_800,
            1_795_428_900,
            4_107_542_400,
        ])?,
        _ => u.int_in_range(MIN_UNIX..=MAX_UNIX)?,
    })
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut u = Unstructured::new(rest);
    match mode % 5 {
        // Any text.
        0 => check_text(&String::from_utf8_lossy(rest)),
        // A real instant written out, then maybe damaged.
        1 | 2 => {
            let Ok(at) = instant(&mut u) else { return };
            let offset = u
                .int_in_range(-(23 * 60 + 59)..=(23 * 60 + 59))
                .unwrap_or(0);
            let fraction = match u.int_in_range(0..=3u8).unwrap_or(0) {
                0 => Some("123456789012345678901234567890"),
                1 => Some("0"),
                _ => None,
            };
            let zulu = *u.choose(&['Z', 'z', '+']).unwrap_or(&'Z');
            let Some(text) = reference::format(at, offset, fraction, zulu) else {
                return;
            };
            if mode % 5 == 1 {
                // Undamaged: reads back as itself.
                assert_eq!(timestamp::rfc3339(&text), Ok(at), "{text}");
            }
            let mut bytes = text.into_bytes();
            for _ in 0..u.int_in_range(0..=2u8).unwrap_or(0) {
                let Ok(i) = u.choose_index(bytes.len()) else {
                    break;
                };
                match u.int_in_range(0..=3u8).unwrap_or(0) {
                    0 => bytes[i] = u8::arbitrary(&mut u).unwrap_or(b'0'),
                    1 => bytes[i] = *u.choose(b"0123456789:-+.TZ ").unwrap_or(&b'0'),
                    2 => {
                        bytes.remove(i);
                    }
                    _ => bytes.insert(i, *u.choose(b"0123456789:-+.TZ\xc3\xa9").unwrap_or(&b'0')),
                }
            }
            check_text(&String::from_utf8_lossy(&bytes));
        }
        // JSON numbers.
        3 => {
            let value = match u.int_in_range(0..=3u8).unwrap_or(0) {
                0 => Value::from(i64::arbitrary(&mut u).unwrap_or(0)),
                1 => Value::from(u64::arbitrary(&mut u).unwrap_or(0)),
                2 => match serde_json::Number::from_f64(f64::arbitrary(&mut u).unwrap_or(0.0)) {
                    Some(n) => Value::Number(n),
                    None => Value::Null,
                },
                _ => serde_json::from_slice(rest).unwrap_or(Value::Null),
            };
            check_number(value);
        }
        // The recency window.
        _ => {
            let at = i64::arbitrary(&mut u).unwrap_or(0);
            let now = i64::arbitrary(&mut u).unwrap_or(0);
            check_recent(at, now);
            check_recent(now.saturating_sub(MAX_AGE_SECONDS), now);
            check_recent(now.saturating_add(MAX_AHEAD_SECONDS), now);
        }
    }
}
