//! Native (uncompressed) pixel data, PS3.5 section 8.1: find the bytes of one frame inside the Pixel Data value
//! without copying the others, undo Planar Configuration 1, expand horizontally subsampled YBR_*_422 samples to
//! one Cb/Cr pair per pixel (PS3.3 C.7.6.3.1.2), then unpack the stored values. Must not apply any LUT.

use super::{expanded_photometric, primitive_byte_len, primitive_le_range, unpack};
use crate::error::*;
use crate::image::{
    Frame, ImageInfo, PhotometricInterpretation, PixelDataKind, PlanarConfiguration,
};
use dicom_core::value::PrimitiveValue;
use snafu::prelude::*;

/// Whether native samples of this image are stored as Y1 Y2 Cb Cr per pair of pixels.
fn is_subsampled_422(info: &ImageInfo) -> bool {
    info.samples_per_pixel == 3
        && matches!(
            info.photometric_interpretation,
            PhotometricInterpretation::YbrFull422 | PhotometricInterpretation::YbrPartial422
        )
}

/// Bytes one native frame occupies (for Bits Allocated ≥ 8).
pub(crate) fn native_frame_len(info: &ImageInfo) -> usize {
    let bytes_per_sample = match info.pixel_data_kind {
        PixelDataKind::Integer => (info.bits_allocated as usize).div_ceil(8),
        PixelDataKind::Float => 4,
        PixelDataKind::DoubleFloat => 8,
    };
    let samples = if is_subsampled_422(info) {
        info.pixels_per_frame() * 2
    } else {
        info.pixels_per_frame() * info.samples_per_pixel as usize
    };
    samples * bytes_per_sample
}

/// Decode frame `index` from a native Pixel Data value.
pub(crate) fn decode(value: &PrimitiveValue, info: &ImageInfo, index: u32) -> Result<Frame> {
    let total = primitive_byte_len(value);
    if info.bits_allocated == 1 && info.pixel_data_kind == PixelDataKind::Integer {
        let frame_bits = info.pixels_per_frame() * info.samples_per_pixel as usize;
        let start_bit = (index as usize)
            .checked_mul(frame_bits)
            .context(TruncatedSnafu {
                detail: format!("frame {index} lies beyond any pixel data this program can hold"),
            })?;
        let first_byte = start_bit / 8;
        let end_byte = (start_bit + frame_bits).div_ceil(8);
        let bytes = primitive_le_range(value, first_byte, end_byte - first_byte).context(TruncatedSnafu {
            detail: format!(
                "frame {index} needs pixel data bytes {first_byte}..{end_byte}, the value has {total} bytes"
            ),
        })?;
        let samples = unpack::unpack_bits(&bytes, start_bit % 8, frame_bits)?;
        return Ok(Frame {
            index,
            rows: info.rows,
            columns: info.columns,
            samples_per_pixel: info.samples_per_pixel,
            bits_stored: 1,
            signed: false,
            photometric_interpretation: info.photometric_interpretation.clone(),
            samples,
        });
    }
    let frame_len = native_frame_len(info);
    let start = (index as usize)
        .checked_mul(frame_len)
        .context(TruncatedSnafu {
            detail: format!("frame {index} lies beyond any pixel data this program can hold"),
        })?;
    let bytes = primitive_le_range(value, start, frame_len).context(TruncatedSnafu {
        detail: format!(
            "frame {index} needs pixel data bytes {start}..{}, the value has {total} bytes",
            start + frame_len
        ),
    })?;
    frame_from_native_bytes(&bytes, info, index)
}

/// Build a frame from the native bytes of exactly one frame (also used for Encapsulated Uncompressed).
pub(crate) fn frame_from_native_bytes(bytes: &[u8], info: &ImageInfo, index: u32) -> Result<Frame> {
    let bytes_per_sample = match info.pixel_data_kind {
        PixelDataKind::Integer => (info.bits_allocated as usize).div_ceil(8),
        PixelDataKind::Float => 4,
        PixelDataKind::DoubleFloat => 8,
    };
    let pixels = info.pixels_per_frame();
    let spp = info.samples_per_pixel as usize;
    let expected = native_frame_len(info);
    ensure!(
        bytes.len() >= expected,
        TruncatedSnafu {
            detail: format!(
                "frame {index} has {} bytes, {expected} are needed",
                bytes.len()
            )
        }
    );
    let mut photometric = info.photometric_interpretation.clone();
    let interleaved: Vec<u8> = if is_subsampled_422(info) {
        ensure!(
            info.columns % 2 == 0,
            UnsupportedImageSnafu {
                reason: format!(
                    "{} with an odd number of columns ({})",
                    photometric, info.columns
                )
            }
        );
        photometric = expanded_photometric(&photometric);
        expand_422(&bytes[..expected], bytes_per_sample)
    } else if spp > 1 && info.planar_configuration == PlanarConfiguration::Planar {
        planar_to_interleaved(&bytes[..expected], spp, pixels, bytes_per_sample)
    } else {
        bytes[..expected].to_vec()
    };
    let samples = unpack::unpack(&interleaved, info, pixels * spp)?;
    Ok(Frame {
        index,
        rows: info.rows,
        columns: info.columns,
        samples_per_pixel: info.samples_per_pixel,
        bits_stored: info.bits_stored,
        signed: info.is_signed() && info.pixel_data_kind == PixelDataKind::Integer,
        photometric_interpretation: photometric,
        samples,
    })
}

/// R1 R2 … G1 G2 … B1 B2 … → R1 G1 B1 R2 G2 B2 …, moving `bytes_per_sample`-byte samples.
pub(crate) fn planar_to_interleaved(
    bytes: &[u8],
    spp: usize,
    pixels: usize,
    bytes_per_sample: usize,
) -> Vec<u8> {
    let mut out = vec![0u8; spp * pixels * bytes_per_sample];
    let plane = pixels * bytes_per_sample;
    for s in 0..spp {
        for p in 0..pixels {
            let src = s * plane + p * bytes_per_sample;
            let dst = (p * spp + s) * bytes_per_sample;
            if let (Some(from), Some(to)) = (
                bytes.get(src..src + bytes_per_sample),
                out.get_mut(dst..dst + bytes_per_sample),
            ) {
                to.copy_from_slice(from);
            }
        }
    }
    out
}

/// Y1 Y2 Cb Cr (one chrominance pair per two pixels) → Y1 Cb Cr Y2 Cb Cr.
fn expand_422(bytes: &[u8], bps: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() / 4 * 6);
    for group in bytes.chunks_exact(4 * bps) {
        let (y1, rest) = group.split_at(bps);
        let (y2, rest) = rest.split_at(bps);
        let (cb, cr) = rest.split_at(bps);
        for y in [y1, y2] {
            out.extend_from_slice(y);
            out.extend_from_slice(cb);
            out.extend_from_slice(cr);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planar_configuration_one_becomes_interleaved() {
        let planar = [1, 2, 3, 10, 20, 30, 100, 200, 250];
        assert_eq!(
            planar_to_interleaved(&planar, 3, 3, 1),
            vec![1, 10, 100, 2, 20, 200, 3, 30, 250]
        );
    }

    #[test]
    fn ybr_422_pairs_share_their_chrominance() {
        assert_eq!(
            expand_422(&[10, 20, 128, 140], 1),
            vec![10, 128, 140, 20, 128, 140]
        );
    }
}
