//! Reference implementations to check the crate's against: RFC 3339 times
//! written and read another way (year-by-year day counts rather than the
//! crate's era arithmetic).

/// Is `year` a leap year in the proleptic Gregorian calendar.
pub fn leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in `month` of `year`.
pub fn month_days(year: i64, month: i64) -> i64 {
    const DAYS: [i64; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if month == 2 && leap(year) {
        29
    } else {
        DAYS[(month - 1) as usize]
    }
}

/// Leap years in `[0, year)`, for `year >= 0`.
fn leaps_before(year: i64) -> i64 {
    if year <= 0 {
        0
    } else {
        // Year 0 is a leap year; count multiples of 4, 100 and 400 in [0, year - 1].
        let last = year - 1;
        (last / 4 + 1) - (last / 100 + 1) + (last / 400 + 1)
    }
}

/// Days from 0000-01-01 to the first day of `year` (0 ≤ year ≤ 10000).
fn days_before_year(year: i64) -> i64 {
    year * 365 + leaps_before(year)
}

/// Days from 0000-01-01 to 1970-01-01.
const EPOCH_DAYS: i64 = 719_528;

/// Unix day number of a date (no validation).
pub fn day_number(year: i64, month: i64, day: i64) -> i64 {
    let mut days = days_before_year(year);
    for m in 1..month {
        days += month_days(year, m);
    }
    days + day - 1 - EPOCH_DAYS
}

/// The date of a Unix day number, for years 0000–9999.
pub fn date_of(day_number: i64) -> (i64, i64, i64) {
    let mut days = day_number + EPOCH_DAYS;
    // Estimate the year, then correct it.
    let mut year = (days * 400 / 146_097).clamp(0, 9999);
    while year > 0 && days_before_year(year) > days {
        year -= 1;
    }
    while days_before_year(year + 1) <= days {
        year += 1;
    }
    days -= days_before_year(year);
    let mut month = 1;
    while days >= month_days(year, month) {
        days -= month_days(year, month);
        month += 1;
    }
    (year, month, days + 1)
}

/// Unix seconds written in RFC 3339 at a UTC offset (minutes) with an
/// optional fraction. `None` outside years 0000–9999 (local time).
pub fn format(
    unix: i64,
    offset_minutes: i64,
    fraction: Option<&str>,
    zulu: char,
) -> Option<String> {
    let local = unix.checked_add(offset_minutes * 60)?;
    let day = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    if day < day_number(0, 1, 1) || day > day_number(9999, 12, 31) {
        return None;
    }
    let (y, mo, d) = date_of(day);
    if !(0..=9999).contains(&y) || day_number(y, mo, d) != day {
        return None;
    }
    let frac = fraction.map(|f| format!(".{f}")).unwrap_or_default();
    let zone = if offset_minutes == 0 && zulu != '+' {
        zulu.to_string()
    } else {
        let sign = if offset_minutes < 0 { '-' } else { '+' };
        let m = offset_minutes.abs();
        format!("{sign}{:02}:{:02}", m / 60, m % 60)
    };
    Some(format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}{frac}{zone}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    ))
}

/// Reads RFC 3339 the way the admin API documents it, as a second opinion:
/// `YYYY-MM-DD(T|t| )HH:MM:SS[.digits](Z|z|±HH:MM)`, seconds 0–60, offsets
/// up to 23:59. `None` for anything else.
pub fn parse(s: &str) -> Option<i64> {
    let s = s.as_bytes();
    if !s.is_ascii() || s.len() < 20 {
        return None;
    }
    let digits = |from: usize, n: usize| -> Option<i64> {
        let part = s.get(from..from + n)?;
        part.iter().all(u8::is_ascii_digit).then(|| {
            part.iter()
                .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0'))
        })
    };
    let year = digits(0, 4)?;
    let month = digits(5, 2)?;
    let day = digits(8, 2)?;
    let hour = digits(11, 2)?;
    let minute = digits(14, 2)?;
    let second = digits(17, 2)?;
    if s[4] != b'-' || s[7] != b'-' || !b"Tt ".contains(&s[10]) || s[13] != b':' || s[16] != b':' {
        return None;
    }
    let mut at = 19;
    if s.get(at) == Some(&b'.') {
        let n = s[at + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if n == 0 {
            return None;
        }
        at += 1 + n;
    }
    let zone = &s[at..];
    let offset = match zone {
        b"Z" | b"z" => 0,
        [sign, ..] if zone.len() == 6 && (*sign == b'+' || *sign == b'-') && zone[3] == b':' => {
            let h = digits(at + 1, 2)?;
            let m = digits(at + 4, 2)?;
            if h > 23 || m > 59 {
                return None;
            }
            let o = h * 3600 + m * 60;
            if *sign == b'-' { -o } else { o }
        }
        _ => return None,
    };
    if !(1..=12).contains(&month)
        || !(1..=month_days(year, month)).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    Some(day_number(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_days() {
        assert_eq!(day_number(1970, 1, 1), 0);
        assert_eq!(day_number(2000, 3, 1), 11_017);
        assert_eq!(day_number(0, 1, 1), -EPOCH_DAYS);
        assert_eq!(date_of(0), (1970, 1, 1));
        assert_eq!(date_of(11_017), (2000, 3, 1));
        assert_eq!(date_of(-EPOCH_DAYS), (0, 1, 1));
        assert_eq!(date_of(day_number(9999, 12, 31)), (9999, 12, 31));
        assert_eq!(parse("2026-11-23T10:15:00Z"), Some(1_795_428_900));
        assert_eq!(parse("2026-11-23T11:15:00.250+01:00"), Some(1_795_428_900));
        assert_eq!(
            format(1_795_428_900, 60, Some("5"), 'Z').as_deref(),
            Some("2026-11-23T11:15:00.5+01:00")
        );
    }
}
