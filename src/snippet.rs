//! The HTML a marketer pastes into an email, and the per-recipient CSV.
//!
//! Email HTML is its own dialect: tables for layout, explicit `width` and
//! `height` attributes (Outlook desktop honours attributes, not CSS, and needs
//! them to size the box while images are blocked), inline styles only, and
//! `alt` text that carries a *static* number, because images are often
//! blocked (Outlook and Thunderbird by default) and alt text is fixed at send
//! time. The per-recipient token goes in as the email platform's merge field,
//! filled from a CSV column uploaded with the recipient list.
//!
//! **Dark modes and blocked images.** The number image is transparent around
//! what it draws (see `ringmark_render`), so no box of paper shows on a dark
//! page. Around it, the snippet:
//! * declares `color-scheme: light dark` (and Apple's older
//!   `supported-color-schemes`) on its table, so clients that honour the
//!   property treat the block as dark-ready instead of recolouring it
//!   (parcel.io, "Guide to color scheme in email": the `color-scheme` meta
//!   and property, `supported-color-schemes` for older Apple Mail);
//! * styles the `alt` text as the number — bold, the style's size — in a colour
//!   that reads on a white and on a dark page ([`alt_colour`]), so a client that
//!   blocks images and shows alt text (Thunderbird, Apple Mail and Gmail with
//!   remote images off) shows a readable number;
//! * gives classic Outlook for Windows (the Word engine, which blocks images by
//!   default and shows no styled alt text) a *bulletproof* button instead of the
//!   image: a VML rounded rectangle with the number as live text, inside
//!   `<!--[if mso]>` so every other client skips it, and the image inside
//!   `<!--[if !mso]><!-->` so Outlook skips that (Campaign Monitor's
//!   bulletproof buttons, buttons.cm; see `snippet/outlook.rs`). Its text is the pool's
//!   fallback number, the only number known when the email is sent; its link
//!   goes through `/c/{token}` like the image's, so the click is counted and the
//!   page it opens shows the recipient's own number.
#![deny(clippy::indexing_slicing, clippy::string_slice)]

mod outlook;

use ringmark_render::{Colour, RenderError, Style};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// Email platforms whose merge-field syntax the snippet speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// Mailchimp merge tag `*|RM_TOKEN|*` (audience field tag `RM_TOKEN`).
    Mailchimp,
    /// SendGrid dynamic template `{{ringmark_token}}`.
    Sendgrid,
    /// Klaviyo profile property `{{ person|lookup:'ringmark_token' }}`.
    Klaviyo,
    /// HubSpot contact property `{{ contact.ringmark_token }}`.
    Hubspot,
    /// Braze custom attribute `{{custom_attribute.${ringmark_token}}}`.
    Braze,
    /// A literal `{{TOKEN}}` placeholder for any other tool.
    Plain,
}

impl Platform {
    /// All platforms, in documentation order.
    pub const ALL: [Platform; 6] = [
        Platform::Mailchimp,
        Platform::Sendgrid,
        Platform::Klaviyo,
        Platform::Hubspot,
        Platform::Braze,
        Platform::Plain,
    ];

    /// The merge field that expands to a recipient's token.
    pub fn merge_field(self) -> &'static str {
        match self {
            Platform::Mailchimp => "*|RM_TOKEN|*",
            Platform::Sendgrid => "{{ringmark_token}}",
            Platform::Klaviyo => "{{ person|lookup:'ringmark_token' }}",
            Platform::Hubspot => "{{ contact.ringmark_token }}",
            Platform::Braze => "{{custom_attribute.${ringmark_token}}}",
            Platform::Plain => "{{TOKEN}}",
        }
    }

    /// The column name the CSV uses for the token (what the platform imports
    /// as the field the merge tag reads).
    pub fn csv_column(self) -> &'static str {
        match self {
            Platform::Mailchimp => "RM_TOKEN",
            Platform::Plain => "TOKEN",
            _ => "ringmark_token",
        }
    }
}

/// What a snippet needs.
#[derive(Clone, Debug)]
pub struct Snippet<'a> {
    /// Where the Worker answers, e.g. `https://t.example.com` (no trailing slash).
    pub base_url: &'a str,
    /// Merge-field dialect.
    pub platform: Platform,
    /// The static number for the alt text, as displayed.
    pub fallback_display: &'a str,
    /// Intended display width of the number image (CSS px).
    pub width: u32,
    /// Intended display height of the number image (CSS px).
    pub height: u32,
    /// Text before the number in the alt text, e.g. "Call".
    pub alt_prefix: &'a str,
    /// The pool's style: the alt text's colour and size, and the Outlook
    /// button's colours, corners, label and size.
    pub style: &'a Style,
}

impl<'a> Snippet<'a> {
    /// The snippet of a pool whose fallback shows as `fallback_display` in
    /// `style`: its box is [`ringmark_render::display_size`] of that display,
    /// the box every number image of the pool is drawn in.
    ///
    /// # Errors
    /// Whatever `display_size` refuses (an invalid style, an undrawable display).
    pub fn new(
        base_url: &'a str,
        platform: Platform,
        fallback_display: &'a str,
        style: &'a Style,
    ) -> Result<Snippet<'a>, RenderError> {
        let (width, height) = ringmark_render::display_size(fallback_display, style)?;
        Ok(Snippet {
            base_url,
            platform,
            fallback_display,
            width,
            height,
            alt_prefix: "Call",
            style,
        })
    }

    /// The email-safe HTML: a one-cell table holding the linked number image
    /// (for Outlook's Word engine, the VML button instead) and the tracking
    /// pixel.
    pub fn html(&self) -> String {
        let base = escape(self.base_url.trim_end_matches('/'));
        let token = self.platform.merge_field();
        let alt = escape(format!("{} {}", self.alt_prefix, self.fallback_display).trim());
        let (w, h) = (self.width, self.height);
        let alt_colour = alt_colour(self.style);
        // The alt text at the number's size (the style's, or the smaller one a
        // box capped at the email column was drawn at), never taller than the box.
        let alt_px = alt_px(self.style, h);
        let button = outlook::button(self, &base, token);
        let mut out = String::new();
        let _ = write!(
            out,
            "<!-- ringmark: per-recipient call number ({platform:?}) -->\n\
             <table role=\"presentation\" border=\"0\" cellpadding=\"0\" cellspacing=\"0\" \
             style=\"border-collapse:collapse;color-scheme:light dark;supported-color-schemes:light dark\">\n\
             <tr><td align=\"center\" style=\"padding:0\">\n\
             {button}\
             <!--[if !mso]><!-->\
             <a href=\"{base}/c/{token}\" target=\"_blank\" style=\"text-decoration:none;color:{alt_colour}\">\
             <img src=\"{base}/n/{token}.png\" width=\"{w}\" height=\"{h}\" alt=\"{alt}\" \
             style=\"display:block;border:0;outline:none;width:{w}px;max-width:100%;height:auto;\
             font:bold {alt_px}px Arial,sans-serif;color:{alt_colour}\"></a>\
             <!--<![endif]-->\n\
             <img src=\"{base}/o/{token}.gif\" width=\"1\" height=\"1\" alt=\"\" style=\"display:block;border:0;width:1px;height:1px\">\n\
             </td></tr>\n</table>\n",
            platform = self.platform,
        );
        out
    }
}

/// The light page and the dark page the alt text must read on: white, and
/// Material Design's dark surface `#121212`, which the dark themes of Gmail and
/// Outlook are close to.
pub const PAGES: [Colour; 2] = [Colour::rgb(0xff, 0xff, 0xff), Colour::rgb(0x12, 0x12, 0x12)];

/// The alt text's colour: the first of the style's `button` and `ink` whose
/// contrast is at least [`ringmark_render::MIN_CONTRAST`] (3:1) on both
/// [`PAGES`] — an email's colours may be inverted, but an alt text's inline
/// colour usually is not — else the mid grey `#767676`, which has 4.5:1 on white
/// and 4.1:1 on `#121212`. The default style's green button (`#15803d`) reads
/// on both (5.0:1 and 3.7:1); its near-black ink does not.
pub fn alt_colour(style: &Style) -> Colour {
    [style.button, style.ink]
        .into_iter()
        .find(|c| {
            PAGES
                .iter()
                .all(|&page| c.contrast(page) >= ringmark_render::MIN_CONTRAST)
        })
        .unwrap_or(Colour::rgb(0x76, 0x76, 0x76))
}

/// The font size, in CSS px, of text standing in for the number in a box
/// `height` px high: the style's `font_px`, or less if the box was capped at
/// the email column's width and the number drawn smaller (the button is 2.4 em
/// high, so the box's height bounds the em).
fn alt_px(style: &Style, height: u32) -> u32 {
    let from_box = (height * 10 / 24).max(u32::from(ringmark_render::FONT_PX_MIN));
    u32::from(style.font_px).min(from_box)
}

/// The CSV to upload with the recipient list: one row per recipient, with the
/// platform's token column. Fields are quoted per RFC 4180 when needed, and a
/// field a spreadsheet would run as a formula is defused (see [`csv_field`]).
pub fn csv(platform: Platform, rows: &[(String, String)]) -> String {
    let mut out = format!("recipient,{}\r\n", platform.csv_column());
    for (recipient, token) in rows {
        out.push_str(&csv_field(recipient));
        out.push(',');
        out.push_str(&csv_field(token));
        out.push_str("\r\n");
    }
    out
}

/// The characters that make a spreadsheet treat a cell as a formula when it
/// starts with one (OWASP, CSV injection): `=`, `+`, `-`, `@`, tab and carriage return.
pub const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// One CSV field: a value starting with one of [`FORMULA_TRIGGERS`] is
/// prefixed with `'` (so Excel, LibreOffice and Google Sheets show it as
/// text), then the field is quoted per RFC 4180 when it holds a comma, a
/// quote or a line break. Every CSV the API or the CLI writes goes through here.
pub fn csv_field(value: &str) -> String {
    let value = if value.starts_with(FORMULA_TRIGGERS) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    static DEFAULT: std::sync::LazyLock<Style> = std::sync::LazyLock::new(Style::default);

    fn snippet(platform: Platform) -> Snippet<'static> {
        Snippet {
            base_url: "https://t.example.com/",
            platform,
            fallback_display: "(415) 555-0132",
            width: 300,
            height: 60,
            alt_prefix: "Call",
            style: &DEFAULT,
        }
    }

    #[test]
    fn html_is_table_based_with_dimensions_alt_and_links() {
        let html = snippet(Platform::Mailchimp).html();
        assert!(html.contains("<table role=\"presentation\""));
        assert!(html.contains("href=\"https://t.example.com/c/*|RM_TOKEN|*\""));
        assert!(html.contains(
            "src=\"https://t.example.com/n/*|RM_TOKEN|*.png\" width=\"300\" height=\"60\""
        ));
        assert!(html.contains("alt=\"Call (415) 555-0132\""));
        assert!(
            html.contains(
                "src=\"https://t.example.com/o/*|RM_TOKEN|*.gif\" width=\"1\" height=\"1\""
            )
        );
        assert!(
            !html.contains("tel:"),
            "the tel: link goes through /c/ so clicks are counted"
        );
    }

    #[test]
    fn every_platform_has_its_merge_field() {
        for p in Platform::ALL {
            let html = snippet(p).html();
            // Outlook's button link, the image's link, the image, the pixel.
            assert_eq!(html.matches(p.merge_field()).count(), 4, "{p:?}");
        }
    }

    #[test]
    fn the_image_is_hidden_from_outlook_and_the_pixel_is_not() {
        let html = snippet(Platform::Plain).html();
        let open = html.find("<!--[if !mso]><!-->").expect("non-mso block");
        let close = html.find("<!--<![endif]-->").expect("closed");
        let image = html.find("/n/{{TOKEN}}.png").expect("image");
        let pixel = html.find("/o/{{TOKEN}}.gif").expect("pixel");
        assert!(open < image && image < close, "{html}");
        assert!(pixel > close, "the pixel counts Outlook's opens too");
        // The Outlook block ends before the image's starts: exactly one shows anywhere.
        assert!(html.find("<![endif]-->").expect("mso end") < open);
    }

    #[test]
    fn the_block_declares_light_and_dark_and_styles_its_alt_text_as_the_number() {
        let html = snippet(Platform::Plain).html();
        assert!(html.contains("color-scheme:light dark;supported-color-schemes:light dark"));
        // Default style: the button's green reads on white and on #121212; bold, at the number's size.
        assert!(
            html.contains("font:bold 20px Arial,sans-serif;color:#15803d"),
            "{html}"
        );
    }

    #[test]
    fn alt_colour_reads_on_light_and_dark_pages() {
        let green = Style::default();
        assert_eq!(alt_colour(&green), green.button);
        // A pale button and a dark ink: neither reads on both pages, so the mid grey.
        let pale = Style {
            button: Colour::rgb(0xfd, 0xe6, 0x8a),
            button_ink: Colour::rgb(0x11, 0x18, 0x27),
            ..Style::default()
        };
        assert_eq!(alt_colour(&pale), Colour::rgb(0x76, 0x76, 0x76));
        for style in [green, pale] {
            for page in PAGES {
                assert!(alt_colour(&style).contrast(page) >= ringmark_render::MIN_CONTRAST);
            }
        }
        // A mid-tone ink is taken when the button fails.
        let ink = Colour::rgb(0x25, 0x63, 0xeb);
        let blue_ink = Style {
            ink,
            button: Colour::rgb(0xfd, 0xe6, 0x8a),
            button_ink: Colour::rgb(0x11, 0x18, 0x27),
            ..Style::default()
        };
        assert_eq!(alt_colour(&blue_ink), ink);
    }

    #[test]
    fn new_takes_the_box_of_the_fallback_in_the_style() {
        let style = Style {
            label: Some("Call us".into()),
            ..Style::default()
        };
        let s = Snippet::new(
            "https://t.example.com",
            Platform::Plain,
            "(415) 555-0132",
            &style,
        )
        .expect("snippet");
        assert_eq!(
            (s.width, s.height),
            ringmark_render::display_size("(415) 555-0132", &style).expect("size")
        );
        assert!(Snippet::new("https://t", Platform::Plain, "☎", &style).is_err());
    }

    #[test]
    fn alt_text_is_escaped() {
        let mut s = snippet(Platform::Plain);
        s.fallback_display = "<b>\"x\"";
        assert!(s.html().contains("alt=\"Call &lt;b&gt;&quot;x&quot;\""));
    }

    #[test]
    fn csv_defuses_every_formula_trigger() {
        for (cell, field) in [
            ("=1+1", "'=1+1"),
            ("+1 415 555 0101", "'+1 415 555 0101"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "\"'\r=1\""),
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"",
            ),
            ("a=1", "a=1"),
            ("alice@example.com", "alice@example.com"),
            ("", ""),
        ] {
            assert_eq!(csv_field(cell), field, "{cell:?}");
        }
        let rows = vec![("\t@x".to_owned(), "tok".to_owned())];
        assert_eq!(
            csv(Platform::Plain, &rows),
            "recipient,TOKEN\r\n'\t@x,tok\r\n"
        );
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let rows = vec![
            ("r1".to_owned(), "tok1".to_owned()),
            ("a,b".to_owned(), "tok2".to_owned()),
            ("=cmd()".to_owned(), "tok3".to_owned()),
        ];
        assert_eq!(
            csv(Platform::Sendgrid, &rows),
            "recipient,ringmark_token\r\nr1,tok1\r\n\"a,b\",tok2\r\n'=cmd(),tok3\r\n"
        );
    }
}
