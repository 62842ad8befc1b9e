//! The one error type of the crate: every way a style, a number string or the encoder can be refused.

use std::fmt;

/// Why an image could not be rendered or a [`Style`](crate::Style) was refused.
///
/// Every variant names the field at fault so the admin API can show the message as is.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum RenderError {
    /// A colour was not written as `#rrggbb` (six hex digits after `#`).
    BadColour {
        /// The text that was given.
        input: String,
    },
    /// `font_px` is outside [`FONT_PX_MIN`](crate::FONT_PX_MIN)..=[`FONT_PX_MAX`](crate::FONT_PX_MAX).
    FontSize {
        /// The size that was given.
        px: u16,
    },
    /// The text has characters the embedded font has no glyph for (see [`can_draw`](crate::can_draw)).
    Undrawable {
        /// `"label"` or `"number"`.
        field: &'static str,
        /// The offending characters, in order of first appearance, without repeats.
        chars: Vec<char>,
    },
    /// The text is empty or only spaces.
    Empty {
        /// `"label"` or `"number"`.
        field: &'static str,
    },
    /// The text is longer than the image layout allows.
    TooLong {
        /// `"label"` or `"number"`.
        field: &'static str,
        /// Characters given.
        chars: usize,
        /// Characters allowed.
        max: usize,
    },
    /// A text colour and its background are too close to read (WCAG contrast ratio below 3:1, the large-text
    /// minimum).
    LowContrast {
        /// `"ink on paper"` or `"button_ink on button"`.
        pair: &'static str,
        /// The contrast ratio found, 1.0 ..= 21.0.
        ratio: f32,
    },
    /// The embedded font did not parse (a build defect; a test guards it).
    Font,
    /// The PNG encoder failed (in-memory encoding: a defect, not an input problem).
    Encode(String),
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderError::BadColour { input } => {
                write!(f, "colour {input:?} is not written as #rrggbb")
            }
            RenderError::FontSize { px } => write!(
                f,
                "font_px {px} is outside {}..={}",
                crate::FONT_PX_MIN,
                crate::FONT_PX_MAX
            ),
            RenderError::Undrawable { field, chars } => {
                write!(f, "{field} has characters the font cannot draw: ")?;
                for (i, c) in chars.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{c:?} (U+{:04X})", u32::from(*c))?;
                }
                Ok(())
            }
            RenderError::Empty { field } => write!(f, "{field} is empty"),
            RenderError::TooLong { field, chars, max } => {
                write!(f, "{field} has {chars} characters, at most {max} fit")
            }
            RenderError::LowContrast { pair, ratio } => write!(
                f,
                "{pair} has a contrast ratio of {ratio:.2}:1, at least 3:1 is needed"
            ),
            RenderError::Font => f.write_str("the embedded font did not parse"),
            RenderError::Encode(e) => write!(f, "PNG encoding failed: {e}"),
        }
    }
}

impl std::error::Error for RenderError {}
