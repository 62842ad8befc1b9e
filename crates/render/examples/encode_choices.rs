//! Measures the encoding choices for the number PNG: bit depth (4-bit packed vs one index per byte), row
//! filters, fewer palette indices (antialiasing re-quantised by merging neighbouring indices) and deflate
//! level, on the shipped images. A large style's shipped image may already have fewer steps (the encoder
//! keeps every image within 4 KB); the count of indices it uses is printed with it.
//!
//! `cargo run --release -p ringmark-render --example encode_choices`

use ringmark_render::{FONT_PX_MAX, Style, Variant, number_image};

fn indices(png_bytes: &[u8]) -> (usize, usize, Vec<u8>) {
    let mut d = png::Decoder::new(std::io::Cursor::new(png_bytes));
    d.set_transformations(png::Transformations::IDENTITY);
    let mut r = d.read_info().expect("info");
    let mut buf = vec![0; r.output_buffer_size().expect("size")];
    let info = r.next_frame(&mut buf).expect("frame");
    let (w, h) = (info.width as usize, info.height as usize);
    let depth = info.bit_depth as usize;
    let stride = info.line_size;
    let mut out = Vec::with_capacity(w * h);
    for y in 0..h {
        let row = &buf[y * stride..(y + 1) * stride];
        for x in 0..w {
            let v = match depth {
                8 => row[x],
                4 => (row[x / 2] >> (4 - 4 * (x % 2))) & 15,
                2 => (row[x / 4] >> (6 - 2 * (x % 4))) & 3,
                _ => (row[x / 8] >> (7 - x % 8)) & 1,
            };
            out.push(v);
        }
    }
    (w, h, out)
}

fn pack(w: usize, h: usize, idx: &[u8], depth: usize) -> Vec<Vec<u8>> {
    (0..h)
        .map(|y| {
            let row = &idx[y * w..(y + 1) * w];
            let per = 8 / depth;
            let mut out = vec![0u8; w.div_ceil(per)];
            for (x, &v) in row.iter().enumerate() {
                out[x / per] |= v << (8 - depth - depth * (x % per));
            }
            out
        })
        .collect()
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = a as i16 + b as i16 - c as i16;
    let (pa, pb, pc) = (
        (p - a as i16).abs(),
        (p - b as i16).abs(),
        (p - c as i16).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

fn filter(rows: &[Vec<u8>], kind: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let zero = vec![0u8; rows[0].len()];
    for (y, row) in rows.iter().enumerate() {
        let up = if y == 0 { &zero } else { &rows[y - 1] };
        let apply = |k: u8| -> Vec<u8> {
            (0..row.len())
                .map(|i| {
                    let a = if i == 0 { 0 } else { row[i - 1] };
                    let b = up[i];
                    let c = if i == 0 { 0 } else { up[i - 1] };
                    match k {
                        0 => row[i],
                        1 => row[i].wrapping_sub(a),
                        2 => row[i].wrapping_sub(b),
                        3 => row[i].wrapping_sub(((a as u16 + b as u16) / 2) as u8),
                        _ => row[i].wrapping_sub(paeth(a, b, c)),
                    }
                })
                .collect()
        };
        let (k, line) = if kind == 5 {
            (0..5u8)
                .map(|k| (k, apply(k)))
                .min_by_key(|(_, l)| {
                    l.iter()
                        .map(|&v| (v as i8).unsigned_abs() as u32)
                        .sum::<u32>()
                })
                .expect("five")
        } else {
            (kind, apply(kind))
        };
        out.push(k);
        out.extend(line);
    }
    out
}

fn main() {
    let label = |l: &str| Some(l.to_owned());
    let cases = [
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
            "40 px German",
            "+49 30 12345678",
            Style {
                font_px: FONT_PX_MAX,
                label: label("Jetzt anrufen"),
                ..Style::default()
            },
        ),
    ];
    for (name, number, style) in cases {
        for variant in [Variant::Text, Variant::Button] {
            let img = number_image(number, variant, &style).expect("render");
            let (w, h, idx) = indices(&img.png);
            let mut used = idx.clone();
            used.sort_unstable();
            used.dedup();
            println!(
                "\n{name} / {variant:?}: {w}×{h}, shipped {} B, {} palette indices used",
                img.png.len(),
                used.len()
            );
            for levels in [16u8, 8, 6, 4] {
                // Re-quantise: index i (of 0..15) to the nearest of `levels` evenly spaced steps, kept as
                // indices 0..levels-1 (only the count of distinct symbols matters to the compressor).
                let q: Vec<u8> = idx
                    .iter()
                    .map(|&i| ((f32::from(i) * f32::from(levels - 1) / 15.0) + 0.5) as u8)
                    .collect();
                for depth in [4usize, 8] {
                    let rows = pack(w, h, &q, depth);
                    let mut line = format!("  levels {levels:2} depth {depth}:");
                    for (fname, f) in [
                        ("none", 0u8),
                        ("sub", 1),
                        ("up", 2),
                        ("paeth", 4),
                        ("adaptive", 5),
                    ] {
                        let raw = filter(&rows, f);
                        let l4 = miniz_oxide::deflate::compress_to_vec_zlib(&raw, 4).len();
                        let l9 = miniz_oxide::deflate::compress_to_vec_zlib(&raw, 9).len();
                        line.push_str(&format!(" {fname} {l4}/{l9}"));
                    }
                    println!("{line}");
                }
            }
        }
    }
}
