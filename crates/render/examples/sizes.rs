//! Bytes of the number image for the styles that make the largest PNGs, both variants: what the
//! "every style ≤ 4 KB" test holds, printed as a table (BENCHMARKS.md quotes it).
//!
//! `cargo run --release -p ringmark-render --example sizes`

use ringmark_render::{FONT_PX_MAX, Shape, Style, Variant, number_image};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let label = |l: &str| Some(l.to_owned());
    let cases: Vec<(&str, &str, Style)> = vec![
        ("default", "(415) 555-0132", Style::default()),
        (
            "label \"Call us\"",
            "(415) 555-0132",
            Style {
                label: label("Call us"),
                ..Style::default()
            },
        ),
        (
            "32 px + \"Bizi arayın\"",
            "(415) 555-0132",
            Style {
                font_px: 32,
                label: label("Bizi arayın"),
                ..Style::default()
            },
        ),
        (
            "32 px + \"Call us\"",
            "(415) 555-0132",
            Style {
                font_px: 32,
                label: label("Call us"),
                ..Style::default()
            },
        ),
        (
            "40 px German",
            "+49 30 12345678",
            Style {
                font_px: FONT_PX_MAX,
                label: label("Jetzt anrufen"),
                ..Style::default()
            },
        ),
        (
            "40 px pill, long label",
            "+44 20 7946 0958",
            Style {
                font_px: FONT_PX_MAX,
                shape: Shape::Pill,
                label: label("Rufen Sie uns jetzt kostenlos an"),
                ..Style::default()
            },
        ),
        (
            "40 px, 32 W label, 32-char number",
            "+1 (415) 555-0132 ext. 12345 678",
            Style {
                font_px: FONT_PX_MAX,
                label: label(&"W".repeat(32)),
                ..Style::default()
            },
        ),
    ];
    println!("| style | number | CSS box | text B | button B |");
    println!("|---|---|---|---:|---:|");
    for (name, number, style) in cases {
        let t = number_image(number, Variant::Text, &style)?;
        let b = number_image(number, Variant::Button, &style)?;
        println!(
            "| {name} | {number} | {}×{} | {} | {} |",
            t.width,
            t.height,
            t.png.len(),
            b.png.len()
        );
    }
    Ok(())
}
