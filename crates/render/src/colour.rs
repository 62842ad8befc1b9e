//! Colours as the admin API writes them (`"#rrggbb"`), their WCAG contrast, and blending for antialiasing.

use crate::RenderError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An opaque sRGB colour; serialised as `"#rrggbb"` (lower case), parsed from either case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Colour {
    /// Red, 0..=255.
    pub r: u8,
    /// Green, 0..=255.
    pub g: u8,
    /// Blue, 0..=255.
    pub b: u8,
}

impl Colour {
    /// A colour from its three channels.
    pub const fn rgb(r: u8, g: u8, b: u8) -> Colour {
        Colour { r, g, b }
    }

    /// Parses `"#rrggbb"`.
    ///
    /// # Errors
    /// [`RenderError::BadColour`] for anything else (no short `#rgb`, no names, no alpha).
    pub fn parse(s: &str) -> Result<Colour, RenderError> {
        let bad = || RenderError::BadColour {
            input: s.to_owned(),
        };
        let hex = s.strip_prefix('#').ok_or_else(bad)?;
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let channel = |i: usize| {
            let pair = hex.get(i..i + 2).ok_or_else(bad)?;
            u8::from_str_radix(pair, 16).map_err(|_| bad())
        };
        Ok(Colour::rgb(channel(0)?, channel(2)?, channel(4)?))
    }

    /// WCAG 2 relative luminance, 0.0 (black) ..= 1.0 (white).
    pub fn luminance(self) -> f32 {
        fn linear(c: u8) -> f32 {
            let c = f32::from(c) / 255.0;
            if c <= 0.040_45 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        }
        0.2126 * linear(self.r) + 0.7152 * linear(self.g) + 0.0722 * linear(self.b)
    }

    /// WCAG 2 contrast ratio between two colours, 1.0 ..= 21.0 (symmetric).
    pub fn contrast(self, other: Colour) -> f32 {
        let (a, b) = (self.luminance(), other.luminance());
        let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
        (hi + 0.05) / (lo + 0.05)
    }

    /// The colour `t` of the way from `self` to `to` (`t` clamped to 0..=1), interpolated in sRGB as
    /// browsers composite antialiased text.
    pub fn mix(self, to: Colour, t: f32) -> Colour {
        let t = t.clamp(0.0, 1.0);
        let ch = |a: u8, b: u8| {
            let v = f32::from(a) + (f32::from(b) - f32::from(a)) * t;
            // In range by construction: a convex combination of two u8 values.
            (v + 0.5) as u8
        };
        Colour::rgb(ch(self.r, to.r), ch(self.g, to.g), ch(self.b, to.b))
    }
}

impl fmt::Display for Colour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.r, self.g, self.b)
    }
}

impl TryFrom<String> for Colour {
    type Error = RenderError;
    fn try_from(s: String) -> Result<Colour, RenderError> {
        Colour::parse(&s)
    }
}

impl From<Colour> for String {
    fn from(c: Colour) -> String {
        c.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_hex() {
        let c = Colour::parse("#15803D").expect("valid");
        assert_eq!(c, Colour::rgb(0x15, 0x80, 0x3d));
        assert_eq!(c.to_string(), "#15803d");
    }

    #[test]
    fn refuses_other_forms() {
        for bad in [
            "15803d",
            "#fff",
            "#15803d00",
            "#15803g",
            "red",
            "",
            "#",
            "#+1+2+3",
        ] {
            assert_eq!(
                Colour::parse(bad),
                Err(RenderError::BadColour {
                    input: bad.to_owned()
                }),
                "{bad}"
            );
        }
    }

    #[test]
    fn contrast_matches_wcag_reference_values() {
        let black = Colour::rgb(0, 0, 0);
        let white = Colour::rgb(255, 255, 255);
        assert!((black.contrast(white) - 21.0).abs() < 0.01);
        assert!((white.contrast(white) - 1.0).abs() < 1e-6);
        // #777777 on white is the classic 4.48:1 example.
        let grey = Colour::rgb(0x77, 0x77, 0x77);
        assert!(
            (grey.contrast(white) - 4.48).abs() < 0.01,
            "{}",
            grey.contrast(white)
        );
    }

    #[test]
    fn mix_goes_from_one_end_to_the_other() {
        let a = Colour::rgb(255, 255, 255);
        let b = Colour::rgb(17, 24, 39);
        assert_eq!(a.mix(b, 0.0), a);
        assert_eq!(a.mix(b, 1.0), b);
        assert_eq!(a.mix(b, 0.5), Colour::rgb(136, 140, 147));
        assert_eq!(a.mix(b, 7.0), b);
    }
}
