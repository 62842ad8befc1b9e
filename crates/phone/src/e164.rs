//! The canonical stored form of a number: `+` and 8 to 15 digits starting with an assigned country code.

use crate::{PhoneError, country};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A phone number in E.164 form (`"+14155550132"`): the key of a pool entry and what a call's dialled
/// number is matched against. Serialises as that string; deserialising accepts anything
/// [`E164::parse`] accepts.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct E164(String);

impl E164 {
    /// Parses a number written with a leading `+` and its country code, ignoring the visual separators
    /// space, `.`, `-`, `(` and `)` (so `"+1 (415) 555-0132"` and `"+90 212 555 12 34"` parse).
    ///
    /// # Errors
    /// [`PhoneError::Empty`], [`PhoneError::MissingPlus`], [`PhoneError::InvalidChar`] (letters, a second
    /// `+`, `/`, …), [`PhoneError::LeadingZero`], [`PhoneError::TooShort`] / [`PhoneError::TooLong`]
    /// (8..=15 digits), [`PhoneError::UnknownCountryCode`], or [`PhoneError::WrongLength`] for +1 numbers
    /// without exactly 10 national digits.
    pub fn parse(s: &str) -> Result<E164, PhoneError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(PhoneError::Empty);
        }
        let rest = s.strip_prefix('+').ok_or(PhoneError::MissingPlus)?;
        let mut out = String::with_capacity(16);
        out.push('+');
        for (i, c) in rest.chars().enumerate() {
            match c {
                '0'..='9' => out.push(c),
                ' ' | '.' | '-' | '(' | ')' => {}
                _ => return Err(PhoneError::InvalidChar { c, at: i + 1 }),
            }
        }
        let digits = out.strip_prefix('+').unwrap_or(&out);
        if digits.starts_with('0') {
            return Err(PhoneError::LeadingZero);
        }
        match digits.len() {
            n if n < 8 => return Err(PhoneError::TooShort { digits: n }),
            n if n > 15 => return Err(PhoneError::TooLong { digits: n }),
            _ => {}
        }
        let (cc, cc_len) =
            country::split(digits).ok_or_else(|| PhoneError::UnknownCountryCode {
                prefix: digits.chars().take(3).collect(),
            })?;
        let national = digits.len() - cc_len;
        if cc == 1 && national != 10 {
            return Err(PhoneError::WrongLength {
                country_code: 1,
                expected: 10,
                found: national,
            });
        }
        Ok(E164(out))
    }

    /// The canonical string, `"+14155550132"`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The RFC 3966 URI for links and `Location:` headers, `"tel:+14155550132"`: global form, no visual
    /// separators, no parameters (RFC 3966 allows parameters, but dialers differ on them: none is appended).
    pub fn tel_uri(&self) -> String {
        format!("tel:{}", self.0)
    }

    /// The ITU-T country code, e.g. 1 or 90.
    pub fn country_code(&self) -> u16 {
        self.split().0
    }

    /// The national significant number: the digits after the country code.
    pub fn national_digits(&self) -> &str {
        let len = self.split().1;
        self.0.get(1 + len..).unwrap_or_default()
    }

    /// Country code and its length; always found, as `parse` checked it.
    fn split(&self) -> (u16, usize) {
        country::split(self.0.get(1..).unwrap_or_default()).unwrap_or((0, 0))
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for E164 {
    type Err = PhoneError;
    fn from_str(s: &str) -> Result<E164, PhoneError> {
        E164::parse(s)
    }
}

impl TryFrom<String> for E164 {
    type Error = PhoneError;
    fn try_from(s: String) -> Result<E164, PhoneError> {
        E164::parse(&s)
    }
}

impl From<E164> for String {
    fn from(n: E164) -> String {
        n.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> E164 {
        E164::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn strips_visual_separators() {
        for s in [
            "+14155550132",
            "+1 (415) 555-0132",
            " +1.415.555.0132 ",
            "+1-415-555-0132",
        ] {
            assert_eq!(ok(s).as_str(), "+14155550132", "{s}");
        }
        assert_eq!(ok("+90 (212) 555 12 34").as_str(), "+902125551234");
    }

    #[test]
    fn accessors() {
        let n = ok("+44 20 7946 0958");
        assert_eq!(n.tel_uri(), "tel:+442079460958");
        assert_eq!(n.country_code(), 44);
        assert_eq!(n.national_digits(), "2079460958");
        assert_eq!(ok("+35312345678").country_code(), 353);
        assert_eq!(ok("+79161234567").country_code(), 7);
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let cases: &[(&str, PhoneError)] = &[
            ("", PhoneError::Empty),
            ("   ", PhoneError::Empty),
            ("4155550132", PhoneError::MissingPlus),
            ("0212 555 12 34", PhoneError::MissingPlus),
            ("+1-800-FLOWERS", PhoneError::InvalidChar { c: 'F', at: 7 }),
            (
                "+1 415 555 0132 ext 5",
                PhoneError::InvalidChar { c: 'e', at: 16 },
            ),
            ("++14155550132", PhoneError::InvalidChar { c: '+', at: 1 }),
            ("+1/415/5550132", PhoneError::InvalidChar { c: '/', at: 2 }),
            ("+0212 555 1234", PhoneError::LeadingZero),
            ("+4930123", PhoneError::TooShort { digits: 7 }),
            ("+4930123456789012", PhoneError::TooLong { digits: 16 }),
            (
                "+2951234567",
                PhoneError::UnknownCountryCode {
                    prefix: "295".into(),
                },
            ),
            (
                "+1415555013",
                PhoneError::WrongLength {
                    country_code: 1,
                    expected: 10,
                    found: 9,
                },
            ),
        ];
        for (input, want) in cases {
            assert_eq!(E164::parse(input).as_ref(), Err(want), "{input:?}");
        }
        let msg = E164::parse("+1-800-FLOWERS")
            .expect_err("letters")
            .to_string();
        assert!(msg.contains("'F'") && msg.contains("position 7"), "{msg}");
    }

    #[test]
    fn serde_uses_the_canonical_string_and_validates() {
        let n: E164 = serde_json::from_str("\"+1 (415) 555-0132\"").expect("parses");
        assert_eq!(serde_json::to_string(&n).expect("json"), "\"+14155550132\"");
        let e = serde_json::from_str::<E164>("\"4155550132\"").expect_err("no plus");
        assert!(e.to_string().contains("must start with +"), "{e}");
    }
}
