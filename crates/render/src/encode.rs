//! Palette PNG encoding: 16 colours at 4 bits per pixel through the `png` crate (libraries.md A3: about
//! 3.2 KB for a 600×120 number at `Compression::Balanced`). Only IHDR, PLTE, IDAT and IEND are written:
//! the paper is opaque, so there is no `tRNS`.

use crate::{Colour, RenderError};

/// Palette size: 4-bit indices.
pub(crate) const PALETTE_LEN: usize = 16;

/// Encodes `indices` (one palette index 0..16 per pixel, row-major, `width × height` of them) as a 4-bit
/// indexed PNG.
pub(crate) fn indexed4(
    width: u32,
    height: u32,
    indices: &[u8],
    palette: &[Colour; PALETTE_LEN],
) -> Result<Vec<u8>, RenderError> {
    let row_bytes = (width as usize).div_ceil(2);
    let mut packed = Vec::with_capacity(row_bytes * height as usize);
    for row in indices.chunks(width.max(1) as usize) {
        for pair in row.chunks(2) {
            let hi = pair[0] & 0x0f;
            let lo = pair.get(1).map_or(0, |v| v & 0x0f);
            packed.push(hi << 4 | lo);
        }
    }
    let plte: Vec<u8> = palette.iter().flat_map(|c| [c.r, c.g, c.b]).collect();
    let mut out = Vec::with_capacity(packed.len() / 4 + 128);
    let err = |e: png::EncodingError| RenderError::Encode(e.to_string());
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(png::ColorType::Indexed);
        enc.set_depth(png::BitDepth::Four);
        enc.set_palette(plte);
        enc.set_compression(png::Compression::Balanced);
        // Palette indices are labels, not intensities: prediction filters only add entropy here.
        enc.set_filter(png::Filter::NoFilter);
        let mut writer = enc.write_header().map_err(err)?;
        writer.write_image_data(&packed).map_err(err)?;
        writer.finish().map_err(err)?;
    }
    Ok(out)
}
