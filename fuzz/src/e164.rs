//! The `e164` target: phone numbers as the admin API reads them, and their
//! display strings.
//!
//! What must hold (`crates/phone`): nothing panics; an accepted number is
//! `+` and 8–15 digits with no leading zero, is a fixed point of parsing,
//! survives serde, and is split into country code and national digits that
//! make it up; its international display is `+cc` and space-separated
//! groups that parse back to it; its national display ends in its national
//! digits; `tel:` is the number.

use ringmark::phone::{DisplayFormat, E164, display};

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(n) = E164::parse(&text) else {
        // Refused: serde refuses it the same way.
        let json = serde_json::to_string(&*text).expect("a string serialises");
        assert!(serde_json::from_str::<E164>(&json).is_err(), "{text:?}");
        return;
    };
    let s = n.as_str();
    let d = &s[1..];
    assert!(s.starts_with('+'), "{text:?} -> {s}");
    assert!(d.bytes().all(|b| b.is_ascii_digit()), "{text:?} -> {s}");
    assert!((8..=15).contains(&d.len()), "{text:?} -> {s}");
    assert!(!d.starts_with('0'), "{text:?} -> {s}");
    // Only the visual separators were dropped.
    assert_eq!(digits(&text), d, "{text:?} -> {s}");
    assert_eq!(E164::parse(s).as_ref(), Ok(&n), "{s} is not a fixed point");
    let json = serde_json::to_string(&n).expect("serialises");
    assert_eq!(json, format!("\"{s}\""));
    assert_eq!(serde_json::from_str::<E164>(&json).ok().as_ref(), Some(&n));
    assert_eq!(n.tel_uri(), format!("tel:{s}"));
    let cc = n.country_code().to_string();
    let national = n.national_digits();
    assert_eq!(format!("{cc}{national}"), d, "{s}: cc {cc} + {national}");
    assert!((1..=3).contains(&cc.len()) && !national.is_empty(), "{s}");

    let international = display(&n, DisplayFormat::International);
    assert!(
        international.starts_with(&format!("+{cc} ")),
        "{s}: international {international:?}"
    );
    assert!(
        international
            .chars()
            .all(|c| c.is_ascii_digit() || c == ' ' || c == '+'),
        "{s}: international {international:?}"
    );
    assert!(
        !international.contains("  ") && !international.ends_with(' '),
        "{s}: {international:?}"
    );
    assert_eq!(
        E164::parse(&international).as_ref(),
        Ok(&n),
        "{s}: international {international:?}"
    );

    let national_text = display(&n, DisplayFormat::National);
    assert!(
        digits(&national_text).ends_with(national),
        "{s}: national {national_text:?} lost digits of {national}"
    );
    assert!(
        national_text
            .chars()
            .all(|c| c.is_ascii_digit() || " ()-+".contains(c)),
        "{s}: national {national_text:?}"
    );
    ringmark::render::validate_display(&national_text)
        .unwrap_or_else(|e| panic!("{s}: national {national_text:?} cannot be drawn: {e}"));
    ringmark::render::validate_display(&international)
        .unwrap_or_else(|e| panic!("{s}: international {international:?} cannot be drawn: {e}"));
}
