//! The HTML a marketer pastes into an email, and the per-recipient CSV.
//!
//! Email HTML is its own dialect: tables for layout, explicit `width` and
//! `height` attributes (Outlook desktop honours attributes, not CSS, and needs
//! them to size the box while images are blocked), inline styles only, and
//! `alt` text that carries a *static* number, because images are often
//! blocked (Outlook by default) and alt text is fixed at send time. The
//! per-recipient token goes in as the email platform's merge field, filled
//! from a CSV column uploaded with the recipient list.
#![deny(clippy::indexing_slicing, clippy::string_slice)]

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
}

impl Snippet<'_> {
    /// The email-safe HTML: a one-cell table holding the linked number image
    /// and the tracking pixel.
    pub fn html(&self) -> String {
        let base = escape(self.base_url.trim_end_matches('/'));
        let token = self.platform.merge_field();
        let alt = escape(format!("{} {}", self.alt_prefix, self.fallback_display).trim());
        let (w, h) = (self.width, self.height);
        let mut out = String::new();
        let _ = write!(
            out,
            "<!-- ringmark: per-recipient call number ({platform:?}) -->\n\
             <table role=\"presentation\" border=\"0\" cellpadding=\"0\" cellspacing=\"0\" style=\"border-collapse:collapse\">\n\
             <tr><td align=\"center\" style=\"padding:0\">\n\
             <a href=\"{base}/c/{token}\" target=\"_blank\" style=\"text-decoration:none\">\
             <img src=\"{base}/n/{token}.png\" width=\"{w}\" height=\"{h}\" alt=\"{alt}\" \
             style=\"display:block;border:0;outline:none;width:{w}px;max-width:100%;height:auto;font:bold 18px Arial,sans-serif;color:#111827\"></a>\n\
             <img src=\"{base}/o/{token}.gif\" width=\"1\" height=\"1\" alt=\"\" style=\"display:block;border:0;width:1px;height:1px\">\n\
             </td></tr>\n</table>\n",
            platform = self.platform,
        );
        out
    }
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

    fn snippet(platform: Platform) -> Snippet<'static> {
        Snippet {
            base_url: "https://t.example.com/",
            platform,
            fallback_display: "(415) 555-0132",
            width: 300,
            height: 60,
            alt_prefix: "Call",
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
            assert_eq!(html.matches(p.merge_field()).count(), 3, "{p:?}");
        }
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
