//! TEMPORARY lab: compare PNG encoder settings on rendered images.
use ringmark_render::{Shape, Style, Variant, number_image};
use std::time::Instant;

fn raw(png_bytes: &[u8]) -> (u32, u32, Vec<u8>, Vec<u8>) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(png_bytes))
        .read_info()
        .unwrap();
    let pal = reader.info().palette.as_ref().unwrap().to_vec();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf, pal)
}

fn enc(
    w: u32,
    h: u32,
    packed: &[u8],
    pal: &[u8],
    c: png::DeflateCompression,
    f: png::Filter,
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut e = png::Encoder::new(&mut out, w, h);
    e.set_color(png::ColorType::Indexed);
    e.set_depth(png::BitDepth::Four);
    e.set_palette(pal.to_vec());
    e.set_deflate_compression(c);
    e.set_filter(f);
    let mut wr = e.write_header().unwrap();
    wr.write_image_data(packed).unwrap();
    wr.finish().unwrap();
    out
}

fn med(mut f: impl FnMut(), n: usize) -> f64 {
    let mut v: Vec<f64> = (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[n / 2]
}

fn old_main() {
    let number = "(415) 555-0132";
    let styles = [
        ("default", Style::default()),
        (
            "label",
            Style {
                label: Some("Call us".into()),
                ..Style::default()
            },
        ),
        (
            "32tr",
            Style {
                font_px: 32,
                label: Some("Bizi arayın".into()),
                ..Style::default()
            },
        ),
        (
            "40pill",
            Style {
                font_px: 40,
                shape: Shape::Pill,
                ..Style::default()
            },
        ),
    ];
    use png::DeflateCompression as D;
    use png::Filter as F;
    for (name, s) in &styles {
        for v in [Variant::Text, Variant::Button] {
            let img = number_image(number, v, s).unwrap();
            let total = med(
                || {
                    std::hint::black_box(number_image(number, v, s).unwrap());
                },
                200,
            );
            let (w, h, packed, pal) = raw(&img.png);
            println!(
                "{name}/{v:?} {w}x{h} total {total:.0}us, {} B",
                img.png.len()
            );
            for (cn, c) in [
                ("L1", D::Level(1)),
                ("L3", D::Level(3)),
                ("L6", D::Level(6)),
                ("L9", D::Level(9)),
                ("fdef", D::FdeflateUltraFast),
            ] {
                let mut line = format!("  {cn:5}");
                for (fname, f) in [
                    ("none", F::NoFilter),
                    ("sub", F::Sub),
                    ("up", F::Up),
                    ("paeth", F::Paeth),
                    ("adapt", F::Adaptive),
                ] {
                    let out = enc(w, h, &packed, &pal, c, f);
                    let t = med(
                        || {
                            std::hint::black_box(enc(w, h, &packed, &pal, c, f));
                        },
                        100,
                    );
                    line += &format!(" {fname}:{:>5}B/{:>4.0}us", out.len(), t);
                }
                println!("{line}");
            }
        }
    }
}

pub mod mz {
    use miniz_oxide::deflate::core::{
        CompressorOxide, TDEFLFlush, TDEFLStatus, compress, create_comp_flags_from_zip_params,
    };
    pub fn flags(level: i32, strategy: i32) -> u32 {
        create_comp_flags_from_zip_params(level, 15, strategy)
    }
    pub fn run(c: &mut CompressorOxide, rows: &[u8], out: &mut Vec<u8>) {
        c.reset();
        out.clear();
        out.resize(rows.len() / 2 + 1024, 0);
        let (status, _, n) = compress(c, rows, out, TDEFLFlush::Finish);
        assert_eq!(status, TDEFLStatus::Done);
        out.truncate(n);
    }
    pub fn fresh(flags: u32) -> CompressorOxide {
        CompressorOxide::new(flags)
    }
}
fn main() {
    if std::env::var_os("MZ").is_some() {
        return mz_main();
    }
    if std::env::var_os("DEPTH").is_some() {
        return depth_main();
    }
    old_main();
}
fn mz_main() {
    let number = "(415) 555-0132";
    let styles = [
        ("default", Style::default()),
        (
            "label",
            Style {
                label: Some("Call us".into()),
                ..Style::default()
            },
        ),
        (
            "32tr",
            Style {
                font_px: 32,
                label: Some("Bizi arayın".into()),
                ..Style::default()
            },
        ),
    ];
    for (name, s) in &styles {
        for v in [Variant::Text, Variant::Button] {
            let img = number_image(number, v, s).unwrap();
            let (w, _h, packed, _pal) = raw(&img.png);
            let rb = (w as usize).div_ceil(2);
            let rows: Vec<u8> = packed
                .chunks(rb)
                .flat_map(|r| std::iter::once(0u8).chain(r.iter().copied()))
                .collect();
            println!("{name}/{v:?} {} B raw, png {} B", rows.len(), img.png.len());
            let mut out = Vec::new();
            for (sn, strat) in [("def", 0)] {
                let mut line = format!("  {sn}");
                for level in [3, 4, 5, 6, 7] {
                    let fl = mz::flags(level, strat);
                    let t_fresh = med(
                        || {
                            let mut c = mz::fresh(fl);
                            mz::run(&mut c, &rows, &mut out);
                        },
                        100,
                    );
                    let mut c = mz::fresh(fl);
                    let t_reuse = med(
                        || {
                            mz::run(&mut c, &rows, &mut out);
                        },
                        100,
                    );
                    line += &format!(
                        " L{level}:{:>5}B {:>4.0}/{:>4.0}us",
                        out.len(),
                        t_fresh,
                        t_reuse
                    );
                }
                println!("{line}");
            }
            let t = med(
                || {
                    let mut c = fdeflate::Compressor::new(Vec::new()).unwrap();
                    c.write_data(&rows).unwrap();
                    std::hint::black_box(c.finish().unwrap());
                },
                100,
            );
            let mut c = fdeflate::Compressor::new(Vec::new()).unwrap();
            c.write_data(&rows).unwrap();
            let n = c.finish().unwrap().len();
            println!("  fdeflate {n} B {t:.0}us");
        }
    }
}

#[allow(dead_code)]
fn depth_main() {
    let number = "(415) 555-0132";
    let styles = [
        ("default", Style::default()),
        (
            "label",
            Style {
                label: Some("Call us".into()),
                ..Style::default()
            },
        ),
        (
            "32tr",
            Style {
                font_px: 32,
                label: Some("Bizi arayın".into()),
                ..Style::default()
            },
        ),
    ];
    for (name, s) in &styles {
        for v in [Variant::Text, Variant::Button] {
            let img = number_image(number, v, s).unwrap();
            let (w, _h, packed, _pal) = raw(&img.png);
            let rb = (w as usize).div_ceil(2);
            let idx: Vec<Vec<u8>> = packed
                .chunks(rb)
                .map(|r| {
                    r.iter()
                        .flat_map(|b| [b >> 4, b & 15])
                        .take(w as usize)
                        .collect()
                })
                .collect();
            let pack4 = |rows: &Vec<Vec<u8>>| -> Vec<u8> {
                rows.iter()
                    .flat_map(|r| {
                        std::iter::once(0u8).chain(
                            r.chunks(2)
                                .map(|p| p[0] << 4 | p.get(1).copied().unwrap_or(0)),
                        )
                    })
                    .collect()
            };
            let pack8 = |rows: &Vec<Vec<u8>>| -> Vec<u8> {
                rows.iter()
                    .flat_map(|r| std::iter::once(0u8).chain(r.iter().copied()))
                    .collect()
            };
            let coarse = |k: u8| -> Vec<Vec<u8>> {
                idx.iter()
                    .map(|r| {
                        r.iter()
                            .map(|&i| {
                                let (base, steps) = if v == Variant::Text {
                                    (0u8, 15u8)
                                } else if i <= 4 {
                                    (0, 4)
                                } else {
                                    (4, 11)
                                };
                                let t = (i - base) as f32 / steps as f32;
                                let q = (t * k as f32).round() / k as f32;
                                base + (q * steps as f32).round() as u8
                            })
                            .collect()
                    })
                    .collect()
            };
            let mut out = Vec::new();
            let mut line = format!("{name}/{v:?}");
            for level in [4, 6] {
                let mut c = mz::fresh(mz::flags(level, 0));
                for (lab, data) in [
                    ("4bit16", pack4(&idx)),
                    ("8bit16", pack8(&idx)),
                    ("4bit8lv", pack4(&coarse(7))),
                    ("4bit6lv", pack4(&coarse(5))),
                ] {
                    let t = med(|| mz::run(&mut c, &data, &mut out), 30);
                    line += &format!(" L{level} {lab}:{}B/{t:.0}us", out.len());
                }
            }
            println!("{line}");
        }
    }
}
