//! The one error type of the crate: why a string is not an E.164 number.

use std::fmt;

/// Why [`E164::parse`](crate::E164::parse) refused its input. Messages say what to fix.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PhoneError {
    /// Nothing but spaces.
    Empty,
    /// The number does not start with `+` and a country code (a national number like `0212…` needs its
    /// country code to be stored unambiguously).
    MissingPlus,
    /// A character other than a digit or a visual separator (space `.` `-` `(` `)`), or a second `+`.
    InvalidChar {
        /// The character.
        c: char,
        /// Its char index in the input.
        at: usize,
    },
    /// The first digit after `+` is 0 (no country code starts with 0).
    LeadingZero,
    /// Fewer than 8 digits in all.
    TooShort {
        /// Digits found.
        digits: usize,
    },
    /// More than 15 digits in all (the E.164 maximum).
    TooLong {
        /// Digits found.
        digits: usize,
    },
    /// No assigned ITU-T country code is a prefix of the digits.
    UnknownCountryCode {
        /// The first three digits.
        prefix: String,
    },
    /// The country has a fixed national length the digits do not match (only NANP, +1: always 10).
    WrongLength {
        /// Country code.
        country_code: u16,
        /// Digits after the country code that a number there has.
        expected: usize,
        /// Digits after the country code found.
        found: usize,
    },
}

impl fmt::Display for PhoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PhoneError::Empty => f.write_str("phone number is empty"),
            PhoneError::MissingPlus => f.write_str(
                "phone number must start with + and the country code (E.164), e.g. +14155550132",
            ),
            PhoneError::InvalidChar { c, at } => write!(
                f,
                "phone number has {c:?} at position {at}; only digits and the separators space . - ( ) are allowed after the leading +"
            ),
            PhoneError::LeadingZero => f.write_str(
                "country code cannot start with 0: drop the national trunk prefix after +",
            ),
            PhoneError::TooShort { digits } => {
                write!(f, "phone number has {digits} digits, at least 8 are needed")
            }
            PhoneError::TooLong { digits } => {
                write!(
                    f,
                    "phone number has {digits} digits, E.164 allows at most 15"
                )
            }
            PhoneError::UnknownCountryCode { prefix } => {
                write!(f, "+{prefix}… does not start with an assigned country code")
            }
            PhoneError::WrongLength {
                country_code,
                expected,
                found,
            } => write!(
                f,
                "+{country_code} numbers have {expected} digits after the country code, found {found}"
            ),
        }
    }
}

impl std::error::Error for PhoneError {}
