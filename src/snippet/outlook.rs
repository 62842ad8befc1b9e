//! The bulletproof button for classic Outlook on Windows: the number as live
//! text in a VML rounded rectangle, which Outlook's Word engine draws without
//! loading anything (Campaign Monitor, "Bulletproof email buttons",
//! buttons.cm; Microsoft's VML reference for `v:roundrect`).
//!
//! Why a button of text there: that Outlook blocks remote images by default and
//! does not style alt text, so the number image would be a blank, outlined box
//! with small grey alt text. Inside `<!--[if mso]>`, which only the Word engine
//! reads, the button takes the image's box (the snippet's `width` × `height`),
//! in the pool's button colours and corners, with its label and fallback
//! number; `w:anchorlock` keeps the text from being edited as a text box when
//! the email is forwarded.

use super::{Snippet, escape};
use ringmark_render::Shape;
use std::fmt::Write as _;

/// The conditional block: empty for nothing, so the caller pastes it as is.
pub(super) fn button(snippet: &Snippet<'_>, base: &str, token: &str) -> String {
    let style = snippet.style;
    let (w, h) = (snippet.width, snippet.height);
    let text = match &style.label {
        Some(label) => format!("{label} {}", snippet.fallback_display),
        None => snippet.fallback_display.to_owned(),
    };
    let text = escape(&text);
    // VML's arcsize is the corner radius as a share of half the shorter side;
    // the image's rounded corners are a fifth of the button's height.
    let arc = match style.shape {
        Shape::Rounded => 40,
        Shape::Pill => 100,
        Shape::Square => 0,
    };
    // Arial is a little wider than the image's Roboto, and the image spends
    // about 1.35 em on its handset icon: at 90 % of the number's size the text
    // fits the box the image's icon, label and number fill.
    let px = super::alt_px(style, h) * 9 / 10;
    let (fill, ink) = (style.button, style.button_ink);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!--[if mso]>\
         <v:roundrect xmlns:v=\"urn:schemas-microsoft-com:vml\" xmlns:w=\"urn:schemas-microsoft-com:office:word\" \
         href=\"{base}/c/{token}\" style=\"height:{h}px;v-text-anchor:middle;width:{w}px;\" \
         arcsize=\"{arc}%\" strokecolor=\"{fill}\" fillcolor=\"{fill}\">\
         <w:anchorlock/>\
         <center style=\"color:{ink};font-family:Arial,sans-serif;font-size:{px}px;font-weight:bold;\">{text}</center>\
         </v:roundrect>\
         <![endif]-->"
    );
    out
}

#[cfg(test)]
mod tests {
    use super::super::{Platform, Snippet};
    use ringmark_render::{Colour, Shape, Style};

    fn snippet_html(style: &Style) -> String {
        Snippet::new(
            "https://t.example.com",
            Platform::Mailchimp,
            "(415) 555-0132",
            style,
        )
        .expect("snippet")
        .html()
    }

    /// The text between `<!--[if mso]>` and its `<![endif]-->`.
    fn mso_block(html: &str) -> &str {
        let start = html.find("<!--[if mso]>").expect("mso block") + "<!--[if mso]>".len();
        let len = html
            .get(start..)
            .and_then(|rest| rest.find("<![endif]-->"))
            .expect("closed");
        html.get(start..start + len).expect("block")
    }

    #[test]
    fn outlook_gets_a_vml_button_with_the_number_as_text_and_the_counted_link() {
        let style = Style::default();
        let html = snippet_html(&style);
        let block = mso_block(&html);
        let (w, h) = ringmark_render::display_size("(415) 555-0132", &style).expect("size");
        assert!(block.starts_with("<v:roundrect xmlns:v=\"urn:schemas-microsoft-com:vml\""));
        assert!(block.contains("href=\"https://t.example.com/c/*|RM_TOKEN|*\""));
        assert!(block.contains(&format!("height:{h}px;v-text-anchor:middle;width:{w}px;")));
        assert!(block.contains("fillcolor=\"#15803d\"") && block.contains("color:#ffffff"));
        assert!(block.contains("<w:anchorlock/>"));
        assert!(block.contains(">(415) 555-0132</center>"), "{block}");
        assert!(block.ends_with("</v:roundrect>"));
        // No image in Outlook's branch: it would be blocked.
        assert!(!block.contains("<img"));
    }

    #[test]
    fn outlook_button_follows_the_style() {
        let style = Style {
            label: Some("Appelez <vite>".into()),
            shape: Shape::Pill,
            button: Colour::rgb(0x1d, 0x4e, 0xd8),
            button_ink: Colour::rgb(0xff, 0xff, 0xee),
            ..Style::default()
        };
        let html = snippet_html(&style);
        let block = mso_block(&html);
        assert!(block.contains("arcsize=\"100%\""));
        assert!(block.contains("fillcolor=\"#1d4ed8\"") && block.contains("color:#ffffee"));
        assert!(
            block.contains(">Appelez &lt;vite&gt; (415) 555-0132</center>"),
            "{block}"
        );
        let square = Style {
            shape: Shape::Square,
            ..Style::default()
        };
        assert!(mso_block(&snippet_html(&square)).contains("arcsize=\"0%\""));
    }
}
