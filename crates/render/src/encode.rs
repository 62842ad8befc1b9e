//! Palette PNG encoding: 16 colours at 4 bits per pixel, written directly — signature, `IHDR`, `PLTE`, one
//! `IDAT`, `IEND` — around a zlib stream from `miniz_oxide` (the deflate engine the `png` crate itself
//! uses through `flate2`). A number image's palette carries alpha (`tRNS`): its corners and the space around
//! its text are transparent; [`transparent`], the neutral image, is a 1-bit palette of one fully
//! transparent entry.
//!
//! Why not the `png` crate's encoder: measured on these images (`bench/render/RESULTS.md`), most of the
//! encode time was setting up a fresh deflate state per image (hash chains and a 64 KB LZ buffer,
//! ≈300 KB) and lazy matching at level 6. Here the compressor lives for the isolate and is reset between
//! images, and the level is chosen from measurements. Writing the four chunks is 40 lines; dropping
//! `png`, `flate2` and `fdeflate` from the build also shrinks the wasm. Every test decodes the output with
//! the `png` crate (a dev-dependency), which checks the chunk CRCs and the zlib Adler-32.
//!
//! Rows are written with filter type 0 (none): palette indices are labels, not intensities, so the
//! prediction filters only add entropy here (measured: 4–21 % larger at levels 3–9, never smaller; again
//! on the current images with `cargo run --release -p ringmark-render --example encode_choices`: on the
//! "Call us" text and button, Sub, Up, Paeth and per-row adaptive are 12–25 % larger, and one index per
//! byte (8-bit depth) 8–9 % larger than two per byte).
//!
//! **Within 4 KB** ([`within_budget`]): the first try is level 1 as drawn, which every default-size
//! image passes; over 4 KB, level 6 (2–8 % smaller on the large styles; see [`LEVEL_SMALL`] for why not
//! 9 or 10), then fewer antialiasing steps. Measured with the same example: merging 16 indices into 8
//! saves 19–24 %, into 4 saves 36–40 %. Not tried: Zopfli, whose authors report 3–8 % smaller output
//! than zlib's best at about 80× its time (Alakuijala and Vandevenne, "Data compression using Zopfli",
//! Google, 2013) — too slow for an open, and too little to replace the coarser steps.

use crate::{Colour, RenderError};
use miniz_oxide::deflate::core::{
    CompressorOxide, TDEFLFlush, TDEFLStatus, compress_to_output, create_comp_flags_from_zip_params,
};
use std::cell::RefCell;

/// Palette size: 4-bit indices.
pub(crate) const PALETTE_LEN: usize = 16;

/// A palette: each entry's colour and alpha (255 opaque, 0 transparent).
pub(crate) type Palette = [(Colour, u8); PALETTE_LEN];

/// The most bytes a number image may take: 4 KB at 2×, in every style. An image drawn over it is encoded
/// again at a stronger deflate level, then with fewer antialiasing steps, until it fits (see the
/// crate documentation).
pub const MAX_PNG_BYTES: usize = 4096;

/// Deflate level (miniz scale 0..=10) of the first try: 1, miniz's greedy fast path. A number image is
/// rendered on the open that first shows the number in an isolate, and the render was most of a first
/// open's time in the Worker (a render-cache-hit build answered first opens 2.3× as fast,
/// `bench/worker/floor.mjs`); deflate was about half of a render. Measured on the default images
/// (`bench/wasm/paired.mjs`, 15 pairs, against level 4): a warm render 0.75× (text, 468 → 353 µs) and
/// 0.73× (button) in wasm; natively deflate 79 → 27 µs. The price is bytes: 2,633 / 2,422 B instead of
/// 2,119 / 1,926 (+24–26 %), immaterial on an image fetched once per open and still far inside
/// [`MAX_PNG_BYTES`]; level 2 saved less than half as much time for +6 %. Images over the budget at this level
/// go on to [`LEVEL_SMALL`], as before.
const LEVEL: u8 = 1;
/// Deflate level of every later try, for the few large styles that need it: 2–8 % smaller than level 4
/// on them. Measured (native, `cargo bench -p ringmark-render --bench render`, 32 px labelled text
/// through the tries): level 6 ≈ 4 ms for the whole ladder, level 9 7–9 ms, level 10 14–18 ms, each
/// ending on the same or the next coarser step.
const LEVEL_SMALL: u8 = 6;

/// The tries of [`within_budget`], in order: deflate level and how many steps each of the palette's two
/// ramps keeps (`None`: all of them).
const LADDER: [(u8, Option<(u8, u8)>); 7] = [
    (LEVEL, None),
    (LEVEL_SMALL, None),
    (LEVEL_SMALL, Some((3, 7))),
    (LEVEL_SMALL, Some((2, 5))),
    (LEVEL_SMALL, Some((2, 3))),
    (LEVEL_SMALL, Some((1, 2))),
    (LEVEL_SMALL, Some((1, 1))),
];

/// Encodes `indices` within [`MAX_PNG_BYTES`]: first as drawn at the fast level, then at a stronger
/// level, then with each of the palette's `ramps` (first and last index of a run of blends, such as paper
/// → ink) coarsened to fewer steps — the antialiasing loses levels, the shapes stay where they are —
/// until one fits. Only large styles (32–40 px fonts) go past the first try, and at most the
/// last try's image is returned if nothing fits (no style the layout allows gets there; tested).
pub(crate) fn within_budget(
    width: u32,
    height: u32,
    indices: &[u8],
    palette: &Palette,
    ramps: &[(u8, u8); 2],
) -> Result<Vec<u8>, RenderError> {
    let mut png = Vec::new();
    for (level, steps) in LADDER {
        png = match steps {
            None => indexed4(width, height, indices, palette, level)?,
            Some((first, second)) => {
                let map = coarsen(ramps, [first, second]);
                let fewer: Vec<u8> = indices
                    .iter()
                    .map(|&i| map.get(usize::from(i)).copied().unwrap_or(i))
                    .collect();
                indexed4(width, height, &fewer, palette, level)?
            }
        };
        if png.len() <= MAX_PNG_BYTES {
            break;
        }
    }
    Ok(png)
}

/// The index map that keeps `steps[k] + 1` evenly spaced indices of ramp `k` (its ends included) and
/// sends every other index of the ramp to the nearest kept one. Indices outside the ramps map to
/// themselves.
fn coarsen(ramps: &[(u8, u8); 2], steps: [u8; 2]) -> [u8; PALETTE_LEN] {
    let mut map: [u8; PALETTE_LEN] = std::array::from_fn(|i| i as u8);
    for (&(lo, hi), n) in ramps.iter().zip(steps) {
        let (span, n) = (f32::from(hi - lo), f32::from(n.max(1)));
        for i in lo..=hi {
            let t = f32::from(i - lo) / span;
            let kept = lo + ((t * n).round() / n * span).round() as u8;
            if let Some(slot) = map.get_mut(usize::from(i)) {
                *slot = kept;
            }
        }
    }
    map
}
/// zlib framing with a 32 KB window (positive window bits = zlib header and Adler-32 trailer).
const WINDOW_BITS: i32 = 15;

thread_local! {
    /// The isolate's deflate state, reset per image. A wasm isolate is single-threaded, so this is one
    /// compressor per isolate; natively, one per thread.
    static DEFLATE: RefCell<Option<Box<CompressorOxide>>> = const { RefCell::new(None) };
}

/// Encodes `indices` (one palette index 0..16 per pixel, row-major, `width × height` of them) as a 4-bit
/// indexed PNG, deflated at `level`. The palette's alphas go in a `tRNS` chunk (without its trailing
/// opaque entries, as the PNG specification allows), none if every entry is opaque.
pub(crate) fn indexed4(
    width: u32,
    height: u32,
    indices: &[u8],
    palette: &Palette,
    level: u8,
) -> Result<Vec<u8>, RenderError> {
    let row_bytes = (width as usize).div_ceil(2);
    if width == 0 || height == 0 || indices.len() != width as usize * height as usize {
        return Err(RenderError::Encode(format!(
            "{} indices for a {width}×{height} image",
            indices.len()
        )));
    }
    // Scanlines: a filter-type byte (0) then two pixels per byte, high nibble first. Plain slice loops:
    // under the size-first wasm profile, iterator adapters are not always inlined.
    let mut raw = vec![0; (row_bytes + 1) * height as usize];
    for (line, row) in raw
        .chunks_exact_mut(row_bytes + 1)
        .zip(indices.chunks_exact(width as usize))
    {
        let (pairs, odd) = row.as_chunks::<2>();
        let Some((_filter, bytes)) = line.split_first_mut() else {
            continue;
        };
        for (byte, &[hi, lo]) in bytes.iter_mut().zip(pairs) {
            *byte = (hi & 0x0f) << 4 | (lo & 0x0f);
        }
        if let ([last], Some(byte)) = (odd, bytes.last_mut()) {
            *byte = (last & 0x0f) << 4;
        }
    }
    let zlib = deflate(&raw, level)?;
    let plte: Vec<u8> = palette.iter().flat_map(|(c, _)| [c.r, c.g, c.b]).collect();
    let mut trns: Vec<u8> = palette.iter().map(|&(_, a)| a).collect();
    while trns.last() == Some(&255) {
        trns.pop();
    }
    let trns = (!trns.is_empty()).then_some(trns.as_slice());
    Ok(indexed_png(width, height, 4, &plte, trns, &zlib))
}

/// Encodes a fully transparent `width × height` image: 1 bit per pixel, a palette of one entry (white)
/// that `tRNS` marks fully transparent, every index 0. The rows are all zeros, so the image is about a
/// hundred bytes whatever its size: the neutral image, which must take a number's box and show nothing.
pub(crate) fn transparent(width: u32, height: u32) -> Result<Vec<u8>, RenderError> {
    if width == 0 || height == 0 {
        return Err(RenderError::Encode(format!(
            "a {width}×{height} transparent image"
        )));
    }
    // Each scanline: filter type 0, then one bit per pixel, all index 0.
    let raw = vec![0; ((width as usize).div_ceil(8) + 1) * height as usize];
    let zlib = deflate(&raw, LEVEL)?;
    Ok(indexed_png(width, height, 1, &[0xff; 3], Some(&[0]), &zlib))
}

/// The PNG file of an indexed image: signature, `IHDR` (colour type 3 at `depth` bits), `PLTE`, an
/// optional `tRNS` (alpha per palette entry), one `IDAT` holding `zlib`, `IEND`.
fn indexed_png(
    width: u32,
    height: u32,
    depth: u8,
    plte: &[u8],
    trns: Option<&[u8]>,
    zlib: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(zlib.len() + plte.len() + 8 + 25 + 12 + 13 + 12 + 12);
    out.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    let mut ihdr = [0; 13];
    ihdr[..4].copy_from_slice(&width.to_be_bytes());
    ihdr[4..8].copy_from_slice(&height.to_be_bytes());
    // Bit depth, colour type 3 (indexed), deflate, adaptive-filter method 0, no interlace.
    ihdr[8..].copy_from_slice(&[depth, 3, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"PLTE", plte);
    if let Some(alpha) = trns {
        chunk(&mut out, b"tRNS", alpha);
    }
    chunk(&mut out, b"IDAT", zlib);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// PNG's CRC-32 (ISO-HDLC: the zlib/PNG polynomial), one 256-entry table.
const PNG_CRC: crc::Crc<u32, crc::Table<1>> =
    crc::Crc::<u32, crc::Table<1>>::new(&crc::CRC_32_ISO_HDLC);

/// Appends one chunk: length, type, data, CRC-32 of type and data.
fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    // Chunks here are at most a few hundred KB (a 40 px, 32-character button), far below 2^31.
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = PNG_CRC.digest();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
}

/// Compresses `raw` into a zlib stream at `level` with the isolate's compressor (a fresh one if it is
/// somehow busy).
fn deflate(raw: &[u8], level: u8) -> Result<Vec<u8>, RenderError> {
    let flags = create_comp_flags_from_zip_params(i32::from(level), WINDOW_BITS, 0);
    let run = |c: &mut CompressorOxide| {
        c.set_compression_level_raw(level);
        let mut out = Vec::with_capacity(raw.len() / 4 + 64);
        let (status, _) = compress_to_output(c, raw, TDEFLFlush::Finish, |bytes| {
            out.extend_from_slice(bytes);
            true
        });
        c.reset();
        match status {
            TDEFLStatus::Done => Ok(out),
            other => Err(RenderError::Encode(format!("deflate stopped: {other:?}"))),
        }
    };
    DEFLATE.with(|cell| match cell.try_borrow_mut() {
        Ok(mut slot) => run(slot.get_or_insert_with(|| Box::new(CompressorOxide::new(flags)))),
        Err(_) => run(&mut CompressorOxide::new(flags)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_carry_the_standard_crc() {
        // IEND's CRC is fixed by the PNG specification: AE 42 60 82.
        let mut out = Vec::new();
        chunk(&mut out, b"IEND", &[]);
        assert_eq!(
            out,
            [0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82]
        );
    }

    #[test]
    fn wrong_buffer_size_is_an_error_not_a_panic() {
        let palette = [(Colour::rgb(0, 0, 0), 255); PALETTE_LEN];
        assert!(indexed4(3, 2, &[0; 5], &palette, LEVEL).is_err());
        assert!(indexed4(0, 0, &[], &palette, LEVEL).is_err());
        assert!(indexed4(3, 2, &[0; 6], &palette, LEVEL).is_ok());
        assert!(transparent(0, 5).is_err());
        assert!(transparent(5, 0).is_err());
    }

    #[test]
    fn the_reused_compressor_gives_the_same_bytes_as_a_fresh_one() {
        let palette = std::array::from_fn(|i| (Colour::rgb(i as u8 * 16, 0, 0), 255));
        let a: Vec<u8> = (0..999u32).map(|i| (i * 7 % 16) as u8).collect();
        let b: Vec<u8> = (0..999u32).map(|i| (i / 50 % 16) as u8).collect();
        let first = indexed4(37, 27, &a, &palette, LEVEL).expect("a");
        indexed4(37, 27, &b, &palette, LEVEL_SMALL).expect("b in between, at another level");
        assert_eq!(
            indexed4(37, 27, &a, &palette, LEVEL).expect("a again"),
            first
        );
    }

    #[test]
    fn trns_holds_the_alphas_up_to_the_last_translucent_entry() {
        let mut palette: Palette = [(Colour::rgb(1, 2, 3), 255); PALETTE_LEN];
        let opaque = indexed4(4, 1, &[0, 1, 2, 3], &palette, LEVEL).expect("opaque");
        assert!(!opaque.windows(4).any(|w| w == b"tRNS"));
        palette[0].1 = 0;
        palette[2].1 = 128;
        let png = indexed4(4, 1, &[0, 1, 2, 3], &palette, LEVEL).expect("alpha");
        let at = png
            .windows(4)
            .position(|w| w == b"tRNS")
            .expect("tRNS chunk");
        assert_eq!(png.get(at - 4..at), Some(&[0, 0, 0, 3][..]), "length 3");
        assert_eq!(png.get(at + 4..at + 7), Some(&[0, 255, 128][..]));
    }

    #[test]
    fn coarsening_keeps_each_ramps_ends_and_evenly_spaced_steps() {
        let map = coarsen(&[(0, 3), (3, 15)], [1, 3]);
        // Ramp 0..=3 keeps its ends; ramp 3..=15 keeps 3, 7, 11, 15.
        assert_eq!(map, [0, 0, 3, 3, 3, 7, 7, 7, 7, 11, 11, 11, 11, 15, 15, 15]);
        let identity = coarsen(&[(0, 3), (3, 15)], [3, 12]);
        assert!(
            identity
                .iter()
                .enumerate()
                .all(|(i, &m)| usize::from(m) == i)
        );
    }

    #[test]
    fn the_budget_is_met_by_coarsening_when_the_first_try_is_over() {
        // Noise in 16 levels cannot fit; in two levels per ramp it compresses well below the budget.
        let (w, h) = (900u32, 120u32);
        let mut seed = 7u32;
        let noise: Vec<u8> = (0..w * h)
            .map(|_| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (seed >> 16) as u8 & 15
            })
            .collect();
        let palette = [(Colour::rgb(0, 0, 0), 255); PALETTE_LEN];
        assert!(indexed4(w, h, &noise, &palette, LEVEL).expect("raw").len() > MAX_PNG_BYTES);
        let fitted = within_budget(w, h, &noise, &palette, &[(0, 3), (3, 15)]).expect("fits");
        // Still the whole image: decodes to w × h indices.
        let mut reader = png::Decoder::new(std::io::Cursor::new(&fitted))
            .read_info()
            .expect("header");
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buf).expect("data");
        assert_eq!((info.width, info.height), (w, h));
        let small =
            within_budget(4, 1, &[0, 1, 2, 3], &palette, &[(0, 3), (3, 15)]).expect("small");
        assert_eq!(
            small,
            indexed4(4, 1, &[0, 1, 2, 3], &palette, LEVEL).expect("first try")
        );
    }
}
