//! Properties over arbitrary numbers: display strings keep every digit, and the international form parses
//! back to the same number.

use proptest::prelude::*;
use ringmark_phone::{DisplayFormat, E164, display};

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn display_strings_keep_the_digits_and_parse_back(raw in "[1-9][0-9]{7,14}") {
        let Ok(n) = E164::parse(&format!("+{raw}")) else {
            // Spare country codes and +1 with the wrong length are refused; nothing to check.
            return Ok(());
        };
        let international = display(&n, DisplayFormat::International);
        prop_assert_eq!(E164::parse(&international), Ok(n.clone()), "{}", international);
        let prefix = format!("+{} ", n.country_code());
        prop_assert!(international.starts_with(&prefix), "{}", international);
        let national = display(&n, DisplayFormat::National);
        prop_assert!(digits(&national).ends_with(n.national_digits()), "{}", national);
        prop_assert!(!national.contains("  ") && !national.ends_with(' '), "{:?}", national);
    }

    #[test]
    fn separators_never_change_the_number(raw in "[1-9][0-9]{7,14}", seps in proptest::collection::vec("[ .()-]{0,2}", 16)) {
        let Ok(plain) = E164::parse(&format!("+{raw}")) else { return Ok(()); };
        let decorated: String = raw.chars().zip(seps.iter()).map(|(c, s)| format!("{c}{s}")).collect();
        prop_assert_eq!(E164::parse(&format!("+{decorated}")), Ok(plain));
    }
}
