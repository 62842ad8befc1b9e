//! Call times as the API accepts them: Unix seconds or RFC 3339.
//!
//! Hand-written (a few dozen lines) rather than a date crate: this is the only
//! date the service reads, RFC 3339 is a fixed-width format, and `time` or
//! `chrono` would add tens of KB to the wasm for it.
//!
//! This is request-path code that reads untrusted text: no indexing or string
//! slicing that could panic (a panic traps the wasm module).
#![deny(clippy::indexing_slicing, clippy::string_slice)]

/// The latest instant either form may name: 9999-12-31T23:59:59Z. Larger Unix
/// seconds (`1e30`) are refused here, before any clock comparison.
pub const MAX_UNIX: i64 = 253_402_300_799;
/// The earliest: 0000-01-01T00:00:00Z.
pub const MIN_UNIX: i64 = -62_167_219_200;

/// Reads a JSON value holding Unix seconds (integer or float) or an RFC 3339
/// string (`2026-11-23T10:15:00Z`, `2026-11-23T11:15:00.5+01:00`).
///
/// # Errors
/// A message saying what is wrong, including times outside years 0000–9999.
pub fn parse(value: &serde_json::Value) -> Result<i64, String> {
    let seconds = match value {
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => i,
            None => {
                let f = n.as_f64().unwrap_or(f64::NAN);
                // Compared as floats: an `as` cast would saturate 1e30 to i64::MAX.
                if !(f.is_finite() && (MIN_UNIX as f64..=MAX_UNIX as f64).contains(&f)) {
                    return Err(format!("{n} is not a Unix time in years 0000-9999"));
                }
                f.floor() as i64
            }
        },
        serde_json::Value::String(s) => rfc3339(s)?,
        _ => return Err("expected Unix seconds or an RFC 3339 string".to_owned()),
    };
    if (MIN_UNIX..=MAX_UNIX).contains(&seconds) {
        Ok(seconds)
    } else {
        Err(format!("{seconds} is not a Unix time in years 0000-9999"))
    }
}

/// How long before now a call may have been made to be attributed: a year
/// (and a day for leap years). Older calls are refused, not stored.
pub const MAX_AGE_SECONDS: i64 = 366 * 86_400;
/// How far after now a call time may lie: a day, for clock skew and time
/// zones written wrong. A call later than that is refused.
pub const MAX_AHEAD_SECONDS: i64 = 86_400;

/// Checks that `at` (Unix seconds) lies within [`MAX_AGE_SECONDS`] before and
/// [`MAX_AHEAD_SECONDS`] after `now`.
///
/// # Errors
/// A message naming the accepted window.
pub fn check_recent(at: i64, now: i64) -> Result<(), String> {
    if at < now.saturating_sub(MAX_AGE_SECONDS) {
        Err(format!(
            "{at} is more than {} days before now ({now}); calls older than a year are not attributed",
            MAX_AGE_SECONDS / 86_400
        ))
    } else if at > now.saturating_add(MAX_AHEAD_SECONDS) {
        Err(format!(
            "{at} is more than a day after now ({now}); give the time the call was made"
        ))
    } else {
        Ok(())
    }
}

/// Parses an RFC 3339 date-time into Unix seconds (fractions are dropped).
///
/// Works on bytes with checked access only: any text, however malformed or
/// however many bytes its characters take, gets an error, never a panic.
///
/// # Errors
/// A message saying what is wrong.
pub fn rfc3339(s: &str) -> Result<i64, String> {
    let bad = || {
        // Quoted, and cut short: the text is the client's, of any length.
        let shown: String = s.chars().take(40).collect();
        let more = if shown.len() < s.len() { "…" } else { "" };
        format!("{shown:?}{more} is not an RFC 3339 date-time (like 2026-11-23T10:15:00Z)")
    };
    let b = s.as_bytes();
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    // A run of ASCII digits at `range`, as a number.
    let num = |range: std::ops::Range<usize>| -> Result<i64, String> {
        let digits = b.get(range).ok_or_else(bad)?;
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return Err(bad());
        }
        Ok(digits.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    };
    if at(4) != b'-'
        || at(7) != b'-'
        || !matches!(at(10), b'T' | b't' | b' ')
        || at(13) != b':'
        || at(16) != b':'
    {
        return Err(bad());
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = b.get(19..).ok_or_else(bad)?;
    if let Some(frac) = rest.strip_prefix(b".") {
        let digits = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return Err(bad());
        }
        rest = frac.get(digits..).ok_or_else(bad)?;
    }
    let offset = match rest {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let two = |a: u8, b: u8| -> Result<i64, String> {
                if a.is_ascii_digit() && b.is_ascii_digit() {
                    Ok(i64::from(a - b'0') * 10 + i64::from(b - b'0'))
                } else {
                    Err(bad())
                }
            };
            let (h, m) = (two(*h1, *h2)?, two(*m1, *m2)?);
            if h > 23 || m > 59 {
                return Err(bad());
            }
            let seconds = h * 3600 + m * 60;
            if *sign == b'+' { seconds } else { -seconds }
        }
        _ => return Err(bad()),
    };
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return Err(bad());
    }
    Ok(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_quote_at_most_40_characters() {
        let long = "é".repeat(1_000);
        let e = rfc3339(&long).unwrap_err();
        assert!(e.chars().count() < 120, "{e}");
        assert!(e.contains('…'));
        assert!(rfc3339("soon").unwrap_err().starts_with("\"soon\" is not"));
    }

    #[test]
    fn known_instants() {
        assert_eq!(rfc3339("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(rfc3339("2000-03-01T00:00:00Z"), Ok(951_868_800));
        assert_eq!(rfc3339("2026-11-23T10:15:00Z"), Ok(1_795_428_900));
        assert_eq!(rfc3339("2026-11-23T11:15:00.250+01:00"), Ok(1_795_428_900));
        assert_eq!(rfc3339("2026-11-23T05:15:00-05:00"), Ok(1_795_428_900));
    }

    #[test]
    fn refuses_nonsense() {
        for s in [
            "2026-02-30T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-11-23 10:15",
            "2026-11-23T10:15:00",
            "2026-11-23T10:15:00+0100",
            "2026-11-23T10:15:00.Z",
            "yesterday",
            "2026-11-23T10:15:0éZ",
            "2026-11-23T10:15:00.5é",
            "2026-11-23T10:15:00+01:0é",
            "2026-11-23T10:15:00+25:00",
            "éééééééééééééééééééééé",
            "2026-11-2é10:15:00Z",
            "+026-11-23T10:15:00Z",
            "2026-11-23T10:15:00.",
            "",
        ] {
            assert!(rfc3339(s).is_err(), "{s}");
        }
    }

    #[test]
    fn json_forms() {
        assert_eq!(parse(&json!(1_795_428_900)), Ok(1_795_428_900));
        assert_eq!(parse(&json!(1_795_428_900.7)), Ok(1_795_428_900));
        assert_eq!(parse(&json!("2026-11-23T10:15:00Z")), Ok(1_795_428_900));
        assert!(parse(&json!(true)).is_err());
        assert_eq!(parse(&json!(-1)), Ok(-1), "the caller checks the window");
    }

    #[test]
    fn refuses_times_outside_years_0000_to_9999() {
        for v in [
            json!(1e30),
            json!(-1e30),
            json!(1e300),
            json!(f64::MAX),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(253_402_300_800_i64),
        ] {
            assert!(parse(&v).is_err(), "{v}");
        }
        assert_eq!(parse(&json!(MAX_UNIX)), Ok(MAX_UNIX));
        assert_eq!(rfc3339("9999-12-31T23:59:59Z"), Ok(MAX_UNIX));
        assert_eq!(rfc3339("0000-01-01T00:00:00Z"), Ok(MIN_UNIX));
    }

    #[test]
    fn recent_means_a_year_back_and_a_day_ahead() {
        let now = 1_800_000_000;
        assert_eq!(check_recent(now, now), Ok(()));
        assert_eq!(check_recent(now - MAX_AGE_SECONDS, now), Ok(()));
        assert_eq!(check_recent(now + MAX_AHEAD_SECONDS, now), Ok(()));
        assert!(check_recent(now - MAX_AGE_SECONDS - 1, now).is_err());
        assert!(check_recent(now + MAX_AHEAD_SECONDS + 1, now).is_err());
        assert!(check_recent(-1, now).is_err());
        assert!(check_recent(i64::MAX, i64::MAX).is_ok());
        assert!(check_recent(i64::MIN, i64::MAX).is_err());
    }

    proptest::proptest! {
        /// Any text at all is answered with a value or an error, never a panic
        /// (a panic is a trapped wasm module and a 500).
        #[test]
        fn any_text_is_answered_without_panicking(s in "\\PC{0,40}") {
            let _ = rfc3339(&s);
        }

        #[test]
        fn almost_valid_text_is_answered_without_panicking(
            i in 0usize..25,
            c in proptest::char::any(),
        ) {
            let mut chars: Vec<char> = "2026-11-23T10:15:00+01:00".chars().collect();
            if let Some(slot) = chars.get_mut(i) {
                *slot = c;
            }
            let s: String = chars.into_iter().collect();
            let _ = rfc3339(&s);
        }
    }
}
