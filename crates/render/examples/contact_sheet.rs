//! Renders every variant × a few styles × a few numbers and labels into one PNG, for eyeballing.
//!
//! `cargo run -p ringmark-render --example contact_sheet -- out.png`
//!
//! Each row is one (number, style) pair: the text variant and the button (both in the one display box the
//! pair shares, so equal in size), at their native 2x size, composited over a light email background and
//! again over a dark-mode one: the images are transparent around the button's corners and around the
//! text's halo, so both must read on either.

use ringmark_render::{Colour, Shape, Style, Variant, number_image};
use std::error::Error;

const GAP: usize = 24;
/// Between the cells: a neutral grey, so each cell's own background shows.
const BACKDROP: [u8; 3] = [0x9c, 0xa3, 0xaf];
/// The email backgrounds each image is composited over: white, and a dark mode's near-black (#121212, the
/// dark surface of Material Design, which Gmail's and Outlook's dark themes are close to).
const BACKGROUNDS: [[u8; 3]; 2] = [[0xff, 0xff, 0xff], [0x12, 0x12, 0x12]];

/// A decoded image: width, height, RGB bytes.
type Rgb = (usize, usize, Vec<u8>);

/// Decodes `png_bytes` and composites it over `background`.
fn decode(png_bytes: &[u8], background: [u8; 3]) -> Result<Rgb, Box<dyn Error>> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info()?;
    let mut buf = vec![0; reader.output_buffer_size().ok_or("image too large")?];
    let info = reader.next_frame(&mut buf)?;
    buf.truncate(info.buffer_size());
    let rgb = match info.color_type {
        png::ColorType::Rgb => buf,
        png::ColorType::Rgba => buf
            .chunks_exact(4)
            .flat_map(|p| {
                let a = u16::from(p[3]);
                (0..3).map(move |c| {
                    ((u16::from(p[c]) * a + u16::from(background[c]) * (255 - a) + 127) / 255) as u8
                })
            })
            .collect(),
        other => return Err(format!("expected RGB(A) after expansion, got {other:?}").into()),
    };
    Ok((info.width as usize, info.height as usize, rgb))
}

fn styles() -> Result<Vec<(&'static str, Style)>, Box<dyn Error>> {
    let c = Colour::parse;
    Ok(vec![
        ("default", Style::default()),
        (
            "label",
            Style {
                label: Some("Call us".into()),
                ..Style::default()
            },
        ),
        (
            "turkish pill",
            Style {
                label: Some("Bizi arayın".into()),
                shape: Shape::Pill,
                button: c("#1d4ed8")?,
                paper: c("#f8fafc")?,
                ink: c("#1e3a8a")?,
                ..Style::default()
            },
        ),
        (
            "dark square",
            Style {
                label: Some("Şimdi ara · İletişim".into()),
                shape: Shape::Square,
                paper: c("#111827")?,
                ink: c("#f9fafb")?,
                button: c("#f59e0b")?,
                button_ink: c("#111827")?,
                ..Style::default()
            },
        ),
        (
            "small polish",
            Style {
                label: Some("Zadzwoń teraz".into()),
                font_px: 14,
                ..Style::default()
            },
        ),
        (
            "largest: 40 px german",
            Style {
                label: Some("Jetzt anrufen".into()),
                font_px: 40,
                button: c("#7c3aed")?,
                ..Style::default()
            },
        ),
        (
            "large czech",
            Style {
                label: Some("Zavolejte nám".into()),
                font_px: 32,
                button: c("#b91c1c")?,
                ..Style::default()
            },
        ),
    ])
}

fn main() -> Result<(), Box<dyn Error>> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "contact-sheet.png".into());
    let numbers = ["(415) 555-0132", "0 (212) 555 12 34", "+44 20 7946 0958"];
    let mut rows: Vec<Vec<Rgb>> = Vec::new();
    for (_, style) in styles()? {
        for number in numbers {
            let mut row = Vec::new();
            for background in BACKGROUNDS {
                for variant in [Variant::Text, Variant::Button] {
                    let img = number_image(number, variant, &style)?;
                    let rgb = decode(&img.png, background)?;
                    assert_eq!(
                        (rgb.0, rgb.1),
                        (2 * img.width as usize, 2 * img.height as usize)
                    );
                    row.push(rgb);
                }
            }
            rows.push(row);
        }
    }
    let col_w: Vec<usize> = (0..4)
        .map(|i| rows.iter().map(|r| r[i].0).max().unwrap_or(0))
        .collect();
    let width = GAP + col_w.iter().map(|w| w + GAP).sum::<usize>();
    let height = GAP
        + rows
            .iter()
            .map(|r| r.iter().map(|i| i.1).max().unwrap_or(0) + GAP)
            .sum::<usize>();
    let mut sheet: Vec<u8> = BACKDROP
        .iter()
        .copied()
        .cycle()
        .take(width * height * 3)
        .collect();
    let mut y = GAP;
    for row in &rows {
        let mut x = GAP;
        for (i, (w, h, px)) in row.iter().enumerate() {
            for r in 0..*h {
                let dst = ((y + r) * width + x) * 3;
                sheet[dst..dst + w * 3].copy_from_slice(&px[r * w * 3..(r + 1) * w * 3]);
            }
            x += col_w[i] + GAP;
        }
        y += row.iter().map(|i| i.1).max().unwrap_or(0) + GAP;
    }
    let file = std::io::BufWriter::new(std::fs::File::create(&out)?);
    let mut enc = png::Encoder::new(file, width as u32, height as u32);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header()?.write_image_data(&sheet)?;
    println!("{out}: {width}×{height}, {} rows", rows.len());
    Ok(())
}
