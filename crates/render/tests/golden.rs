//! Golden images: every variant in a few styles, decoded with the `png` crate and compared pixel by pixel
//! with the reference PNGs in `tests/golden/`. After an intended change, look at the contact sheet, then
//! rewrite the references with `BLESS=1 cargo test -p ringmark-render --test golden`.
//!
//! Also checks the properties every image must have: 2x pixels for the 1x size, a 4-bit palette,
//! transparent around what it draws (no box of paper for a dark mode to show), the text readable on light
//! and dark backgrounds, antialiased, at most 4 KB in every style, and one display box shared by both
//! variants.

use ringmark_render::{
    BOX_MAX_WIDTH, Colour, FONT_PX_MAX, Image, LABEL_MAX_CHARS, MAX_PNG_BYTES, NEUTRAL_DISPLAY,
    NUMBER_MAX_CHARS, PIXEL_GIF, Shape, Style, Variant, display_size, neutral_image,
    neutral_image_in, number_image,
};
use std::path::PathBuf;

/// A decoded PNG: the file's header facts, its raw (packed) rows and its pixels expanded to RGB.
struct Decoded {
    width: u32,
    height: u32,
    depth: png::BitDepth,
    color: png::ColorType,
    trns: bool,
    palette_len: usize,
    raw_indices: Vec<u8>,
    /// Pixels as RGBA (an image without `tRNS` is given alpha 255).
    rgba: Vec<u8>,
}

fn decode(bytes: &[u8]) -> Decoded {
    let raw = {
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .expect("png header");
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buf).expect("png data");
        buf.truncate(info.buffer_size());
        buf
    };
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("png header");
    let (trns, palette_len) = {
        let info = reader.info();
        (
            info.trns.is_some(),
            info.palette.as_ref().map_or(0, |p| p.len() / 3),
        )
    };
    let mut rgb = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut rgb).expect("png data");
    rgb.truncate(info.buffer_size());
    let rgba = match info.color_type {
        png::ColorType::Rgba => rgb,
        _ => rgb
            .chunks(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
    };
    let header = reader.info();
    Decoded {
        width: info.width,
        height: info.height,
        depth: header.bit_depth,
        color: header.color_type,
        trns,
        palette_len,
        raw_indices: raw,
        rgba,
    }
}

fn cases() -> Vec<(&'static str, &'static str, Variant, Style)> {
    let label = |l: &str| Some(l.to_owned());
    let dark = Style {
        paper: Colour::rgb(0x11, 0x18, 0x27),
        ink: Colour::rgb(0xf9, 0xfa, 0xfb),
        button: Colour::rgb(0xf5, 0x9e, 0x0b),
        button_ink: Colour::rgb(0x11, 0x18, 0x27),
        shape: Shape::Square,
        ..Style::default()
    };
    let mut out = Vec::new();
    for (name, variant) in [("text", Variant::Text), ("button", Variant::Button)] {
        let names: [(&str, &str, Style); 5] = [
            ("us-default", "(415) 555-0132", Style::default()),
            (
                "tr-label-pill",
                "0 (212) 555 12 34",
                Style {
                    label: label("Bizi arayın"),
                    shape: Shape::Pill,
                    ..Style::default()
                },
            ),
            (
                "uk-dark-square",
                "+44 20 7946 0958",
                Style {
                    label: label("Şimdi ara"),
                    ..dark.clone()
                },
            ),
            (
                "de-small",
                "030 1234567",
                Style {
                    font_px: 12,
                    label: label("Jetzt anrufen"),
                    ..Style::default()
                },
            ),
            (
                "au-large",
                "(02) 9374 4000",
                Style {
                    font_px: 40,
                    ..Style::default()
                },
            ),
        ];
        for (case, number, style) in names {
            out.push((leak(format!("{name}-{case}")), number, variant, style));
        }
    }
    out
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

#[test]
fn images_match_the_golden_references() {
    let bless = std::env::var_os("BLESS").is_some_and(|v| v == "1");
    let mut mismatched = Vec::new();
    for (name, number, variant, style) in cases() {
        let img = number_image(number, variant, &style).unwrap_or_else(|e| panic!("{name}: {e}"));
        let path = golden_dir().join(format!("{name}.png"));
        if bless {
            std::fs::write(&path, &img.png).expect("write golden");
            continue;
        }
        let reference = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run with BLESS=1 to create)", path.display()));
        let (got, want) = (decode(&img.png), decode(&reference));
        if (got.width, got.height) != (want.width, want.height) || got.rgba != want.rgba {
            let differing = got
                .rgba
                .chunks(4)
                .zip(want.rgba.chunks(4))
                .filter(|(a, b)| a != b)
                .count();
            mismatched.push(format!(
                "{name}: {}×{} vs reference {}×{}, {differing} pixels differ",
                got.width, got.height, want.width, want.height
            ));
        }
    }
    assert!(
        mismatched.is_empty(),
        "golden mismatches:\n{}",
        mismatched.join("\n")
    );
}

#[test]
fn every_image_is_2x_palette_4bit_transparent_around_and_antialiased() {
    for (name, number, variant, style) in cases() {
        let Image { png, width, height } = number_image(number, variant, &style).expect("renders");
        let d = decode(&png);
        assert_eq!((d.width, d.height), (2 * width, 2 * height), "{name}");
        assert_eq!(
            (d.color, d.depth),
            (png::ColorType::Indexed, png::BitDepth::Four),
            "{name}"
        );
        assert_eq!(
            d.rgba.len(),
            4 * d.width as usize * d.height as usize,
            "{name}: expands to RGBA"
        );
        assert!(d.trns, "{name}: has transparency");
        assert_eq!(d.palette_len, 16, "{name}");
        // 4-bit indices: the unexpanded rows pack two pixels per byte.
        assert_eq!(
            d.raw_indices.len(),
            (d.width as usize).div_ceil(2) * d.height as usize,
            "{name}"
        );
        let mut levels: Vec<&[u8]> = d.rgba.chunks(4).collect();
        levels.sort_unstable();
        levels.dedup();
        // Every level up to the default size; a large style may lose some to the byte budget.
        let least = if style.font_px <= 20 { 12 } else { 6 };
        assert!(
            levels.len() >= least,
            "{name}: only {} colours, text is not antialiased",
            levels.len()
        );
        // Nothing is drawn at the corner: it is transparent, except at the square button's corner.
        let corner = &d.rgba[..4];
        if variant == Variant::Button && style.shape == Shape::Square {
            let b = style.button;
            assert_eq!(corner, [b.r, b.g, b.b, 255], "{name}");
        } else {
            assert_eq!(corner[3], 0, "{name}: transparent corner");
        }
        // Whatever is transparent in the text variant is so around the text, and a good part of it.
        if variant == Variant::Text {
            let clear = d.rgba.chunks(4).filter(|p| p[3] == 0).count();
            assert!(
                clear * 3 > d.rgba.len() / 4,
                "{name}: {clear} transparent pixels"
            );
        }
    }
}

/// `rgba` composited over `bg`.
fn over(rgba: &[u8], bg: [u8; 3]) -> [u8; 3] {
    let a = u16::from(rgba[3]);
    std::array::from_fn(|c| {
        ((u16::from(rgba[c]) * a + u16::from(bg[c]) * (255 - a) + 127) / 255) as u8
    })
}

/// The text variant reads on a white page and on a dark mode's near-black one (#121212): every pixel of
/// full ink sits at least 2 px (1 CSS px) inside the opaque halo of paper, so against either page the
/// glyphs are ink on paper, whose contrast the style's validation holds at ≥ 3:1.
#[test]
fn text_reads_on_light_and_dark_pages() {
    let dark_paper = Style {
        paper: Colour::rgb(0x11, 0x18, 0x27),
        ink: Colour::rgb(0xf9, 0xfa, 0xfb),
        label: Some("Call us".into()),
        ..Style::default()
    };
    let labelled = Style {
        label: Some("Call us".into()),
        ..Style::default()
    };
    for style in [Style::default(), labelled, dark_paper] {
        let img = number_image("(415) 555-0132", Variant::Text, &style).expect("renders");
        let d = decode(&img.png);
        let (w, h) = (d.width as i64, d.height as i64);
        let px = |x: i64, y: i64| {
            let i = ((y.clamp(0, h - 1) * w + x.clamp(0, w - 1)) * 4) as usize;
            &d.rgba[i..i + 4]
        };
        let ink = style.ink;
        let mut full_ink = 0;
        for y in 0..h {
            for x in 0..w {
                if px(x, y) != [ink.r, ink.g, ink.b, 255] {
                    continue;
                }
                full_ink += 1;
                for (dx, dy) in (-2i64..=2).flat_map(|dx| (-2i64..=2).map(move |dy| (dx, dy))) {
                    if dx * dx + dy * dy <= 4 {
                        assert!(
                            px(x + dx, y + dy)[3] == 255,
                            "{style:?}: ink at ({x},{y}) meets the page"
                        );
                    }
                }
            }
        }
        assert!(full_ink > 500, "{full_ink} pixels of full ink");
        // And the page itself shows through around the text, on either page.
        for page in [[0xff; 3], [0x12; 3]] {
            assert_eq!(over(px(0, 0), page), page);
        }
    }
}

#[test]
fn every_style_fits_in_4_kb() {
    assert_eq!(MAX_PNG_BYTES, 4096);
    let label = |l: &str| Some(l.to_owned());
    let styles = [
        Style::default(),
        Style {
            label: label("Call us"),
            ..Style::default()
        },
        Style {
            font_px: 32,
            label: label("Bizi arayın"),
            ..Style::default()
        },
        Style {
            font_px: 32,
            label: label("Call us"),
            shape: Shape::Pill,
            ..Style::default()
        },
        Style {
            font_px: FONT_PX_MAX,
            label: label("Jetzt anrufen"),
            ..Style::default()
        },
        Style {
            font_px: FONT_PX_MAX,
            label: label("Rufen Sie uns jetzt kostenlos an"),
            ..Style::default()
        },
        Style {
            font_px: FONT_PX_MAX,
            label: label(&"W".repeat(LABEL_MAX_CHARS)),
            ..Style::default()
        },
        Style {
            font_px: FONT_PX_MAX,
            ..Style::default()
        },
    ];
    let longest = format!("+1 (415) 555-0132 {}", "8".repeat(NUMBER_MAX_CHARS - 18));
    for style in &styles {
        for number in [
            "(415) 555-0132",
            "+49 30 12345678",
            "0 (212) 555 12 34",
            &longest,
        ] {
            for variant in [Variant::Text, Variant::Button] {
                let img = number_image(number, variant, style).expect("renders");
                assert!(
                    img.png.len() <= MAX_PNG_BYTES,
                    "{number} {variant:?} {style:?}: {} bytes",
                    img.png.len()
                );
                assert!(
                    img.width <= BOX_MAX_WIDTH,
                    "{number} {style:?}: {} px wide",
                    img.width
                );
            }
        }
    }
}

#[test]
fn a_box_wider_than_the_column_is_drawn_smaller_and_the_rest_at_their_size() {
    let german = Style {
        font_px: FONT_PX_MAX,
        label: Some("Jetzt anrufen".into()),
        ..Style::default()
    };
    let (w, h) = display_size("+49 30 12345678", &german).expect("size");
    assert!(
        w <= BOX_MAX_WIDTH && w > BOX_MAX_WIDTH - 4,
        "{w}: shrunk to the column"
    );
    // The button is 2.4 em high: 96 px at 40 px, so the font was scaled to fit.
    assert!(h < 96, "{h}");
    // A box that fits keeps the style's size: the default button is 48 px high.
    assert_eq!(
        display_size("(415) 555-0132", &Style::default())
            .expect("size")
            .1,
        48
    );
}

#[test]
fn undrawable_number_is_refused_with_the_characters() {
    let e =
        number_image("(415) 555-0132 ☎", Variant::Text, &Style::default()).expect_err("no glyph");
    assert!(
        e.to_string()
            .contains("number has characters the font cannot draw: '☎' (U+260E)"),
        "{e}"
    );
    let e = number_image(" ", Variant::Button, &Style::default()).expect_err("blank");
    assert_eq!(e.to_string(), "number is empty");
}

#[test]
fn invalid_style_is_refused_before_rendering() {
    let style = Style {
        font_px: 9,
        ..Style::default()
    };
    let e = number_image("(415) 555-0132", Variant::Text, &style).expect_err("too small");
    assert_eq!(e.to_string(), "font_px 9 is outside 12..=40");
}

#[test]
fn pixel_gif_is_a_valid_transparent_1x1_gif() {
    assert_eq!(PIXEL_GIF.len(), 43);
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options.read_info(PIXEL_GIF).expect("gif header");
    assert_eq!((decoder.width(), decoder.height()), (1, 1));
    let frame = decoder
        .read_next_frame()
        .expect("frame")
        .expect("one frame");
    assert_eq!((frame.width, frame.height), (1, 1));
    assert_eq!(frame.transparent, Some(0));
    assert_eq!(frame.buffer.as_ref()[3], 0, "alpha of the only pixel");
    assert!(decoder.read_next_frame().expect("trailer").is_none());
}

/// Decodes a PNG to RGBA: its size and pixels.
fn decode_rgba(png_bytes: &[u8]) -> ((u32, u32), Vec<u8>) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::ALPHA);
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("png data");
    assert_eq!(info.color_type, png::ColorType::Rgba);
    buf.truncate(info.buffer_size());
    ((info.width, info.height), buf)
}

#[test]
fn neutral_image_is_a_transparent_png_of_the_default_number_box() {
    let img = neutral_image();
    let default_box = display_size(NEUTRAL_DISPLAY, &Style::default()).expect("size");
    assert_eq!((img.width, img.height), default_box);
    // The box of every default-style +1 number shown nationally, whatever its digits.
    assert_eq!(
        display_size("(415) 555-0132", &Style::default()),
        Ok(default_box)
    );
    let (size, rgba) = decode_rgba(&img.png);
    assert_eq!(
        size,
        (img.width * 2, img.height * 2),
        "drawn at 2× like a number"
    );
    assert!(
        rgba.chunks_exact(4).all(|px| px[3] == 0),
        "every pixel transparent"
    );
    assert!(img.png.len() < 200, "{} bytes", img.png.len());
    assert_eq!(neutral_image(), img, "the same image every time");
}

#[test]
fn neutral_image_in_a_style_takes_that_styles_box() {
    let styled = Style {
        label: Some("Call us".into()),
        font_px: 28,
        ..Style::default()
    };
    let img = neutral_image_in(&styled);
    assert_eq!(
        (img.width, img.height),
        display_size(NEUTRAL_DISPLAY, &styled).expect("size")
    );
    assert_ne!(
        (img.width, img.height),
        (neutral_image().width, neutral_image().height)
    );
    let (size, rgba) = decode_rgba(&img.png);
    assert_eq!(size, (img.width * 2, img.height * 2));
    assert!(rgba.chunks_exact(4).all(|px| px[3] == 0));
    // A refused style falls back to the default box rather than failing.
    let refused = Style {
        font_px: 0,
        ..Style::default()
    };
    assert!(refused.validate().is_err());
    assert_eq!(neutral_image_in(&refused), neutral_image());
}

#[test]
fn both_variants_share_the_display_box() {
    for (name, number, variant, style) in cases() {
        let img = number_image(number, variant, &style).expect("renders");
        let size = display_size(number, &style).expect("size");
        assert_eq!((img.width, img.height), size, "{name}");
        let other = match variant {
            Variant::Text => Variant::Button,
            Variant::Button => Variant::Text,
        };
        let twin = number_image(number, other, &style).expect("renders");
        assert_eq!((twin.width, twin.height), size, "{name} vs its {other:?}");
    }
}

#[test]
fn numbers_of_one_format_share_a_box_and_other_formats_do_not() {
    let labelled = Style {
        label: Some("Call us".into()),
        ..Style::default()
    };
    for style in [Style::default(), labelled] {
        let size = |n: &str| display_size(n, &style).expect("size");
        let us = size("(415) 555-0132");
        for same in ["(212) 999-8888", "(000) 111-1111", "(987) 654-3210"] {
            assert_eq!(size(same), us, "{same}");
        }
        assert!(size("(415) 555-01328").0 > us.0, "one more digit is wider");
        assert!(size("+1 415 555 0132").0 != us.0, "another format");
    }
}

/// Rows and columns of a decoded image holding anything but the colour at its top-left corner.
fn ink_bounds(d: &Decoded) -> (usize, usize, usize, usize) {
    let (w, h) = (d.width as usize, d.height as usize);
    let bg = &d.rgba[..4];
    let inked = |x: usize, y: usize| &d.rgba[(y * w + x) * 4..(y * w + x) * 4 + 4] != bg;
    let rows: Vec<usize> = (0..h).filter(|&y| (0..w).any(|x| inked(x, y))).collect();
    let cols: Vec<usize> = (0..w).filter(|&x| (0..h).any(|y| inked(x, y))).collect();
    (cols[0], cols[cols.len() - 1], rows[0], rows[rows.len() - 1])
}

#[test]
fn text_in_a_wider_box_is_left_aligned_and_vertically_centred() {
    for style in [
        Style::default(),
        Style {
            label: Some("Call us".into()),
            ..Style::default()
        },
    ] {
        let img = number_image("(415) 555-0132", Variant::Text, &style).expect("renders");
        let d = decode(&img.png);
        let (left, right, top, bottom) = ink_bounds(&d);
        let em = 2.0 * f32::from(style.font_px);
        // The padding is 0.2 em, less the halo's 0.08 em; glyph side bearings add a pixel or two.
        assert!(
            (left as f32) >= 0.12 * em - 1.0 && (left as f32) <= 0.12 * em + 4.0,
            "left margin {left}"
        );
        assert!(
            d.width as usize - 1 - right > 3 * left,
            "spare width goes right: {left}..{right} of {}",
            d.width
        );
        let (above, below) = (top as f32, (d.height as usize - 1 - bottom) as f32);
        assert!(above >= 0.07 * em && below >= 0.07 * em, "{above} {below}");
        // Centred line boxes: the ink's margins differ by less than the font's descent (0.27 em).
        assert!((above - below).abs() < 0.3 * em, "{above} vs {below}");
    }
}

#[test]
fn button_in_a_taller_box_is_centred() {
    let style = Style {
        font_px: 12,
        label: Some("Jetzt anrufen".into()),
        ..Style::default()
    };
    let img = number_image("030 1234567", Variant::Button, &style).expect("renders");
    let d = decode(&img.png);
    let (left, right, top, bottom) = ink_bounds(&d);
    let (w, h) = (d.width as usize, d.height as usize);
    assert!(top > 0, "the two-line text is taller than the 12 px button");
    assert_eq!(
        top,
        h - 1 - bottom,
        "equal transparent rows above and below"
    );
    assert_eq!((left, right), (0, w - 1), "the button spans the box");
}
