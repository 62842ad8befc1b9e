//! Palette PNG encoding: 16 colours at 4 bits per pixel, written directly — signature, `IHDR`, `PLTE`, one
//! `IDAT`, `IEND` — around a zlib stream from `miniz_oxide` (the deflate engine the `png` crate itself
//! uses through `flate2`). The paper is opaque, so a number image has no `tRNS`; only [`transparent`], the
//! neutral image, is a 1-bit palette of one fully transparent entry.
//!
//! Why not the `png` crate's encoder: measured on these images (`bench/render/RESULTS.md`), most of the
//! encode time was setting up a fresh deflate state per image (hash chains and a 64 KB LZ buffer,
//! ≈300 KB) and lazy matching at level 6. Here the compressor lives for the isolate and is reset between
//! images, and the level is chosen from measurements. Writing the four chunks is 40 lines; dropping
//! `png`, `flate2` and `fdeflate` from the build also shrinks the wasm. Every test decodes the output with
//! the `png` crate (a dev-dependency), which checks the chunk CRCs and the zlib Adler-32.
//!
//! Rows are written with filter type 0 (none): palette indices are labels, not intensities, so the
//! prediction filters only add entropy here (measured: 4–21 % larger at levels 3–9, never smaller).

use crate::{Colour, RenderError};
use miniz_oxide::deflate::core::{
    CompressorOxide, TDEFLFlush, TDEFLStatus, compress_to_output, create_comp_flags_from_zip_params,
};
use std::cell::RefCell;

/// Palette size: 4-bit indices.
pub(crate) const PALETTE_LEN: usize = 16;

/// Deflate level (miniz scale 0..=10). Chosen by measurement (RESULTS.md): level 4 is about twice as
/// fast as level 6 for 1–6 % more bytes; levels 1–2 are up to 40 % faster but 5–35 % larger.
const LEVEL: i32 = 4;
/// zlib framing with a 32 KB window (positive window bits = zlib header and Adler-32 trailer).
const WINDOW_BITS: i32 = 15;

thread_local! {
    /// The isolate's deflate state, reset per image. A wasm isolate is single-threaded, so this is one
    /// compressor per isolate; natively, one per thread.
    static DEFLATE: RefCell<Option<Box<CompressorOxide>>> = const { RefCell::new(None) };
}

/// Encodes `indices` (one palette index 0..16 per pixel, row-major, `width × height` of them) as a 4-bit
/// indexed PNG.
pub(crate) fn indexed4(
    width: u32,
    height: u32,
    indices: &[u8],
    palette: &[Colour; PALETTE_LEN],
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
    let zlib = deflate(&raw)?;
    let plte: Vec<u8> = palette.iter().flat_map(|c| [c.r, c.g, c.b]).collect();
    Ok(indexed_png(width, height, 4, &plte, None, &zlib))
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
    let zlib = deflate(&raw)?;
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

/// Compresses `raw` into a zlib stream with the isolate's compressor (a fresh one if it is somehow busy).
fn deflate(raw: &[u8]) -> Result<Vec<u8>, RenderError> {
    let flags = create_comp_flags_from_zip_params(LEVEL, WINDOW_BITS, 0);
    let run = |c: &mut CompressorOxide| {
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
        let palette = [Colour::rgb(0, 0, 0); PALETTE_LEN];
        assert!(indexed4(3, 2, &[0; 5], &palette).is_err());
        assert!(indexed4(0, 0, &[], &palette).is_err());
        assert!(indexed4(3, 2, &[0; 6], &palette).is_ok());
        assert!(transparent(0, 5).is_err());
        assert!(transparent(5, 0).is_err());
    }

    #[test]
    fn the_reused_compressor_gives_the_same_bytes_as_a_fresh_one() {
        let palette = std::array::from_fn(|i| Colour::rgb(i as u8 * 16, 0, 0));
        let a: Vec<u8> = (0..999u32).map(|i| (i * 7 % 16) as u8).collect();
        let b: Vec<u8> = (0..999u32).map(|i| (i / 50 % 16) as u8).collect();
        let first = indexed4(37, 27, &a, &palette).expect("a");
        indexed4(37, 27, &b, &palette).expect("b in between");
        assert_eq!(indexed4(37, 27, &a, &palette).expect("a again"), first);
    }
}
