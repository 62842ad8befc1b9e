//! Renders every variant × a few styles × a few numbers and labels into one PNG, for eyeballing.
//!
//! `cargo run -p ringmark-render --example contact_sheet -- out.png`
//!
//! Each row is one (number, style) pair: the text variant on the left, the button on the right (both in
//! the one display box the pair shares, so equal in size), pasted at their native 2x size on a grey
//! backdrop so the paper edges show.

use ringmark_render::{Colour, Shape, Style, Variant, number_image};
use std::error::Error;

const GAP: usize = 24;
const BACKDROP: [u8; 3] = [0xd1, 0xd5, 0xdb];

/// A decoded image: width, height, RGB bytes.
type Rgb = (usize, usize, Vec<u8>);

fn decode(png_bytes: &[u8]) -> Result<Rgb, Box<dyn Error>> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info()?;
    let mut buf = vec![0; reader.output_buffer_size().ok_or("image too large")?];
    let info = reader.next_frame(&mut buf)?;
    if info.color_type != png::ColorType::Rgb {
        return Err(format!("expected RGB after expansion, got {:?}", info.color_type).into());
    }
    buf.truncate(info.buffer_size());
    Ok((info.width as usize, info.height as usize, buf))
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
            for variant in [Variant::Text, Variant::Button] {
                let img = number_image(number, variant, &style)?;
                let rgb = decode(&img.png)?;
                assert_eq!(
                    (rgb.0, rgb.1),
                    (2 * img.width as usize, 2 * img.height as usize)
                );
                row.push(rgb);
            }
            rows.push(row);
        }
    }
    let col_w: Vec<usize> = (0..2)
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
