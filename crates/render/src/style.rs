//! What an operator may choose per pool: colours, size, label, button shape; and the checks that keep the
//! result readable.

use crate::{Colour, RenderError, font};
use serde::{Deserialize, Serialize};

/// Smallest accepted `font_px` (CSS px at 1x): below this digits blur in email clients that downscale.
pub const FONT_PX_MIN: u16 = 12;
/// Largest accepted `font_px`: keeps the default-length number within a 600 px email column.
pub const FONT_PX_MAX: u16 = 40;
/// Longest label, in characters: one short call to action ("Call us", "Bizi arayın", "Jetzt anrufen").
pub const LABEL_MAX_CHARS: usize = 32;
/// Longest number display string, in characters (E.164 has at most 15 digits plus separators).
pub const NUMBER_MAX_CHARS: usize = 32;
/// Minimum WCAG contrast ratio between a text colour and its background (the AA large-text level; the
/// number is drawn at ≥ 12 px Medium weight and usually ≥ 18 px).
pub const MIN_CONTRAST: f32 = 3.0;

/// Which image to draw for an opener.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    /// The number as text on paper: desktop, tablet and unknown devices, where a button invites a click
    /// that cannot dial.
    Text,
    /// A "tap to call" button (handset icon, optional label, number) for smartphones.
    Button,
}

/// Corner style of the button.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Shape {
    /// Corners rounded by about a fifth of the button height.
    #[default]
    Rounded,
    /// Fully round ends (radius = half the height).
    Pill,
    /// Sharp corners.
    Square,
}

/// Per-pool look of the number image. Every field has a default, so `{}` is a valid style; unknown fields
/// are refused so a typo in the admin API does not silently fall back to a default.
///
/// The `label` (for example `"Call us"`) is drawn:
/// * on the **button** after the handset icon and before the number, in `button_ink`, same size;
/// * in the **text** variant on its own line above the number, at 70 % of `font_px` (at least 11 px), in
///   `ink` at 80 % strength (a caption, so the number stays the strongest element).
///
/// Both variants of one number share one display box ([`display_size`](crate::display_size)), so a
/// style's label widens the text variant's box too.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Style {
    /// Text colour of the text variant (default `#111827`, near black).
    pub ink: Colour,
    /// The colour the text variant's glyphs sit on (default `#ffffff`): a thin halo around each glyph,
    /// the rest of the image transparent. Set it to the email's background, where the halo is invisible;
    /// on a dark-mode page it keeps the ink readable.
    pub paper: Colour,
    /// Button fill (default `#15803d`, a green with 5:1 contrast to white).
    pub button: Colour,
    /// Text and icon colour on the button (default `#ffffff`).
    pub button_ink: Colour,
    /// Font size in CSS px at 1x (default 20); the PNG is drawn at twice this.
    pub font_px: u16,
    /// Optional call to action, see the type documentation for where it goes.
    pub label: Option<String>,
    /// Button corners (default rounded).
    pub shape: Shape,
}

impl Default for Style {
    fn default() -> Style {
        Style {
            ink: Colour::rgb(0x11, 0x18, 0x27),
            paper: Colour::rgb(0xff, 0xff, 0xff),
            button: Colour::rgb(0x15, 0x80, 0x3d),
            button_ink: Colour::rgb(0xff, 0xff, 0xff),
            font_px: 20,
            label: None,
            shape: Shape::Rounded,
        }
    }
}

impl Style {
    /// Checks everything that can be checked without a number: the font size range, the label (non-empty,
    /// at most [`LABEL_MAX_CHARS`], every character drawable by the embedded font) and the contrast of
    /// both text/background pairs (at least [`MIN_CONTRAST`]).
    ///
    /// # Errors
    /// The first problem found, as [`RenderError::FontSize`], [`RenderError::Empty`],
    /// [`RenderError::TooLong`], [`RenderError::Undrawable`] (naming every undrawable character) or
    /// [`RenderError::LowContrast`].
    pub fn validate(&self) -> Result<(), RenderError> {
        if !(FONT_PX_MIN..=FONT_PX_MAX).contains(&self.font_px) {
            return Err(RenderError::FontSize { px: self.font_px });
        }
        if let Some(label) = &self.label {
            check_text("label", label, LABEL_MAX_CHARS)?;
        }
        for (pair, fg, bg) in [
            ("ink on paper", self.ink, self.paper),
            ("button_ink on button", self.button_ink, self.button),
        ] {
            let ratio = fg.contrast(bg);
            if ratio < MIN_CONTRAST {
                return Err(RenderError::LowContrast { pair, ratio });
            }
        }
        Ok(())
    }
}

/// Checks one text field: not blank, not too long, every character drawable.
pub(crate) fn check_text(field: &'static str, text: &str, max: usize) -> Result<(), RenderError> {
    if text.trim().is_empty() {
        return Err(RenderError::Empty { field });
    }
    let chars = text.chars().count();
    if chars > max {
        return Err(RenderError::TooLong { field, chars, max });
    }
    let mut missing: Vec<char> = Vec::new();
    for c in text.chars() {
        if !font::can_draw(c) && !missing.contains(&c) {
            missing.push(c);
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(RenderError::Undrawable {
            field,
            chars: missing,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_json_is_the_default_style() {
        let s: Style = serde_json::from_str("{}").expect("defaults");
        assert_eq!(s, Style::default());
        assert_eq!(s.validate(), Ok(()));
    }

    #[test]
    fn json_round_trip_uses_hex_and_lowercase_names() {
        let s = Style {
            label: Some("Bizi arayın".into()),
            shape: Shape::Pill,
            ..Style::default()
        };
        let json = serde_json::to_string(&s).expect("serialise");
        assert!(json.contains("\"button\":\"#15803d\""), "{json}");
        assert!(json.contains("\"shape\":\"pill\""), "{json}");
        let back: Style = serde_json::from_str(&json).expect("parse");
        assert_eq!(back, s);
    }

    #[test]
    fn unknown_fields_and_bad_colours_are_refused() {
        let e = serde_json::from_str::<Style>(r##"{"colour":"#000000"}"##).expect_err("unknown");
        assert!(e.to_string().contains("unknown field `colour`"), "{e}");
        let e = serde_json::from_str::<Style>(r##"{"ink":"#12345"}"##).expect_err("bad colour");
        assert!(e.to_string().contains("#rrggbb"), "{e}");
    }

    #[test]
    fn font_size_range_is_enforced() {
        for (px, ok) in [(11, false), (12, true), (40, true), (41, false)] {
            let s = Style {
                font_px: px,
                ..Style::default()
            };
            assert_eq!(s.validate().is_ok(), ok, "{px}");
        }
    }

    #[test]
    fn undrawable_label_names_each_character_once() {
        let s = Style {
            label: Some("Ara ☎ ☎ 电话".into()),
            ..Style::default()
        };
        let e = s
            .validate()
            .expect_err("emoji and CJK are not in the subset");
        assert_eq!(
            e,
            RenderError::Undrawable {
                field: "label",
                chars: vec!['☎', '电', '话']
            }
        );
        let msg = e.to_string();
        assert!(
            msg.contains("'☎' (U+260E)") && msg.contains("'电' (U+7535)"),
            "{msg}"
        );
    }

    #[test]
    fn labels_in_latin_languages_are_accepted() {
        for label in [
            "Call us",
            "Bizi arayın",
            "İletişim: şimdi ğ",
            "Zadzwoń",
            "Zavolejte nám",
            "Appelez-nous",
            "Sună acum ș ț",
        ] {
            let s = Style {
                label: Some(label.into()),
                ..Style::default()
            };
            assert_eq!(s.validate(), Ok(()), "{label}");
        }
    }

    #[test]
    fn blank_and_long_labels_are_refused() {
        let s = Style {
            label: Some("  ".into()),
            ..Style::default()
        };
        assert_eq!(s.validate(), Err(RenderError::Empty { field: "label" }));
        let s = Style {
            label: Some("x".repeat(33)),
            ..Style::default()
        };
        assert_eq!(
            s.validate(),
            Err(RenderError::TooLong {
                field: "label",
                chars: 33,
                max: 32
            })
        );
    }

    #[test]
    fn low_contrast_pairs_are_refused() {
        let s = Style {
            button_ink: Colour::rgb(0x22, 0x99, 0x55),
            ..Style::default()
        };
        match s.validate() {
            Err(RenderError::LowContrast { pair, ratio }) => {
                assert_eq!(pair, "button_ink on button");
                assert!(ratio < MIN_CONTRAST);
            }
            other => panic!("expected LowContrast, got {other:?}"),
        }
        let s = Style {
            ink: Colour::rgb(0xcc, 0xcc, 0xcc),
            ..Style::default()
        };
        assert!(matches!(
            s.validate(),
            Err(RenderError::LowContrast {
                pair: "ink on paper",
                ..
            })
        ));
    }
}
