//! Call times as the API accepts them: Unix seconds or RFC 3339.
//!
//! Hand-written (about 40 lines) rather than a date crate: this is the only
//! date the service reads, RFC 3339 is a fixed-width format, and `time` or
//! `chrono` would add tens of KB to the wasm for it.

/// Reads a JSON value holding Unix seconds (integer or float) or an RFC 3339
/// string (`2026-11-23T10:15:00Z`, `2026-11-23T11:15:00.5+01:00`).
///
/// # Errors
/// A message saying what is wrong.
pub fn parse(value: &serde_json::Value) -> Result<i64, String> {
    match value {
        serde_json::Value::Number(n) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite())
                    .map(|f| f.floor() as i64)
            })
            .ok_or_else(|| "not a Unix time".to_owned()),
        serde_json::Value::String(s) => rfc3339(s),
        _ => Err("expected Unix seconds or an RFC 3339 string".to_owned()),
    }
}

/// Parses an RFC 3339 date-time into Unix seconds (fractions are dropped).
///
/// # Errors
/// A message saying what is wrong.
pub fn rfc3339(s: &str) -> Result<i64, String> {
    let bad = || format!("'{s}' is not an RFC 3339 date-time (like 2026-11-23T10:15:00Z)");
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return Err(bad());
    }
    if b[13] != b':' || b[16] != b':' {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Result<i64, String> {
        let part = &s[r];
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().map_err(|_| bad())
        } else {
            Err(bad())
        }
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 && rest.as_bytes()[3] == b':' => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return Err(bad()),
            };
            let end = s.len();
            let (h, m) = (num(end - 5..end - 3)?, num(end - 2..end)?);
            sign * (h * 3600 + m * 60)
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
    }
}
