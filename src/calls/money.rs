//! Conversion values: exact decimal amounts and ISO 4217 currency codes.
//!
//! **Why not `f64`:** binary floating point cannot hold most decimal amounts
//! (`0.1 + 0.2 != 0.3`), so totals drift and two readers of the same value
//! can round differently. An [`Amount`] is an integer number of hundredths,
//! independent of the currency — not the currency's minor unit, which would
//! need an ISO 4217 exponent table (JPY has 0 decimals, KWD 3) for values
//! that are estimates of a call's worth anyway. Two decimals is what
//! marketers type (`49.99`); more precision is refused rather than rounded,
//! so nothing is silently changed.
//!
//! JSON input accepts a number (`50`, `49.99`) or a string (`"49.99"`), at
//! most two decimals, non-negative, below 10¹² units. A number is read from
//! serde_json's `f64` through its shortest round-trip text (Rust's `Display`),
//! which is the text the client wrote for anything with ≤ 15 significant
//! digits — every amount in range. Output is always the canonical string
//! (`"49.99"`, `"50.00"`): exact, and safe in JavaScript, whose numbers are
//! floats too.

use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// Largest amount accepted, in hundredths (just under 10¹² units): far above
/// any call's value, and below 2⁵³ so totals stay exact even in JavaScript.
pub const MAX_HUNDREDTHS: u64 = 100_000_000_000_000 - 1;

/// A non-negative decimal amount with two decimals, as hundredths.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(u64);

impl Amount {
    /// From hundredths (`4999` is 49.99), if in range.
    pub fn from_hundredths(hundredths: u64) -> Option<Amount> {
        (hundredths <= MAX_HUNDREDTHS).then_some(Amount(hundredths))
    }

    /// The amount in hundredths.
    pub fn hundredths(self) -> u64 {
        self.0
    }

    /// Reads decimal text: digits, then optionally `.` and one or two digits.
    ///
    /// # Errors
    /// A message saying what is wrong.
    pub fn parse(s: &str) -> Result<Amount, String> {
        let (units, fraction) = s.split_once('.').unwrap_or((s, ""));
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(units) || (s.contains('.') && !digits(fraction)) {
            return Err(format!("{s:?} is not a decimal amount like 49.99"));
        }
        if fraction.len() > 2 {
            return Err(format!("{s} has more than 2 decimals"));
        }
        let too_big = || format!("{s} is larger than {}", Amount(MAX_HUNDREDTHS));
        let units: u64 = units.parse().map_err(|_| too_big())?;
        let cents: u64 = format!("{fraction:0<2}").parse().unwrap_or(0);
        units
            .checked_mul(100)
            .and_then(|u| u.checked_add(cents))
            .and_then(Amount::from_hundredths)
            .ok_or_else(too_big)
    }

    /// Reads a JSON number or string (see the module docs).
    ///
    /// # Errors
    /// A message saying what is wrong (negative, too many decimals, too
    /// large, not a number or string).
    pub fn from_json(value: &serde_json::Value) -> Result<Amount, String> {
        match value {
            serde_json::Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    return u
                        .checked_mul(100)
                        .and_then(Amount::from_hundredths)
                        .ok_or_else(|| format!("{u} is larger than {}", Amount(MAX_HUNDREDTHS)));
                }
                if n.as_i64().is_some_and(|i| i < 0) || n.as_f64().is_some_and(|f| f < 0.0) {
                    return Err(format!("{n} is negative"));
                }
                match n.as_f64() {
                    Some(f) if f.is_finite() => Amount::parse(&f.to_string()),
                    _ => Err(format!("{n} is not a decimal amount")),
                }
            }
            serde_json::Value::String(s) => Amount::parse(s),
            _ => Err("expected a number like 49.99 or a string like \"49.99\"".to_owned()),
        }
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hundredths_text(self.0))
    }
}

/// Hundredths as exact decimal text (`4999` → `"49.99"`), for amounts and for
/// sums of them, which may exceed one amount's range.
pub fn hundredths_text(hundredths: u64) -> String {
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Amount, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        Amount::from_json(&value).map_err(serde::de::Error::custom)
    }
}

/// An ISO 4217 currency code: three upper-case ASCII letters (`USD`, `EUR`,
/// `TRY`). Only the shape is checked: the code list changes, and a typo
/// shows in every report that names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    /// US dollars: a pool's currency when it names none.
    pub const USD: Currency = Currency(*b"USD");

    /// Checks the shape.
    ///
    /// # Errors
    /// A message when it is not three upper-case letters.
    pub fn parse(s: &str) -> Result<Currency, String> {
        match s.as_bytes() {
            &[a, b, c] if [a, b, c].iter().all(u8::is_ascii_uppercase) => Ok(Currency([a, b, c])),
            _ => Err(format!(
                "{s:?} is not an ISO 4217 code (three upper-case letters, like USD)"
            )),
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // Three ASCII letters by construction.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Currency, D::Error> {
        let s = String::deserialize(d)?;
        Currency::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// An amount in a currency: a value never travels without its currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Money {
    /// The amount (`"49.99"`).
    pub amount: Amount,
    /// Its currency (`"USD"`).
    pub currency: Currency,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn amounts_from_numbers_and_strings_are_exact() {
        for (input, hundredths) in [
            (json!(50), 5000),
            (json!(0), 0),
            (json!(49.99), 4999),
            (json!(0.1), 10),
            (json!(0.3), 30),
            (json!(1.5), 150),
            (json!(50.0), 5000),
            (json!("49.99"), 4999),
            (json!("7"), 700),
            (json!("7.5"), 750),
            (json!(999_999_999_999.99), MAX_HUNDREDTHS),
        ] {
            assert_eq!(
                Amount::from_json(&input).map(Amount::hundredths),
                Ok(hundredths),
                "{input}"
            );
        }
    }

    #[test]
    fn amounts_that_would_be_rounded_or_are_out_of_range_are_refused() {
        for input in [
            json!(49.999),
            json!(-1),
            json!(-0.5),
            json!(1e12),
            json!(1e300),
            json!("1e3"),
            json!("49.999"),
            json!(".5"),
            json!("5."),
            json!("+5"),
            json!(" 5"),
            json!("5,00"),
            json!(""),
            json!(null),
            json!(true),
            json!(u64::MAX),
        ] {
            assert!(Amount::from_json(&input).is_err(), "{input}");
        }
    }

    #[test]
    fn canonical_text_round_trips() {
        let a = Amount::from_hundredths(4905).unwrap();
        assert_eq!(a.to_string(), "49.05");
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"49.05\"");
        assert_eq!(serde_json::from_str::<Amount>("\"49.05\"").unwrap(), a);
        assert_eq!(Amount::from_hundredths(5000).unwrap().to_string(), "50.00");
    }

    #[test]
    fn currencies_are_three_upper_case_letters() {
        assert_eq!(Currency::parse("USD").unwrap().as_str(), "USD");
        for bad in ["usd", "US", "USDT", "U$D", "", "ÜSD"] {
            assert!(Currency::parse(bad).is_err(), "{bad}");
        }
    }
}
