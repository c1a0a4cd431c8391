//! The last step of every decode path: little-endian sample bytes in a Bits Allocated container become typed
//! stored values. Bits outside Bits Stored (0028,0101) / High Bit (0028,0102) are masked off, and values are
//! sign-extended from Bits Stored when Pixel Representation (0028,0103) is 1 (PS3.5 section 8.1.1). This module
//! must not reorder samples (see `native` for planar configuration).

use crate::error::*;
use crate::image::{ImageInfo, PixelDataKind, Samples};
use snafu::prelude::*;

/// Turn `count` samples of `bits_allocated` bits (8, 16 or 32; little-endian) into stored values.
pub(crate) fn unpack(bytes: &[u8], info: &ImageInfo, count: usize) -> Result<Samples> {
    let bytes_per_sample = match info.pixel_data_kind {
        PixelDataKind::Float => 4,
        PixelDataKind::DoubleFloat => 8,
        PixelDataKind::Integer => (info.bits_allocated as usize).div_ceil(8),
    };
    let needed = count * bytes_per_sample;
    ensure!(
        bytes.len() >= needed,
        TruncatedSnafu {
            detail: format!(
                "a frame needs {needed} bytes of pixel data, only {} are present",
                bytes.len()
            )
        }
    );
    let bytes = &bytes[..needed];
    match info.pixel_data_kind {
        PixelDataKind::Float => {
            return Ok(Samples::F32(
                bytes
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            ))
        }
        PixelDataKind::DoubleFloat => {
            return Ok(Samples::F64(
                bytes
                    .chunks_exact(8)
                    .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                    .collect(),
            ))
        }
        PixelDataKind::Integer => {}
    }
    let stored = StoredBits::new(info);
    let signed = info.is_signed();
    Ok(match (info.bits_allocated, signed) {
        (8, false) => Samples::U8(
            bytes
                .iter()
                .map(|&b| stored.unsigned(b as u32) as u8)
                .collect(),
        ),
        (8, true) => Samples::I8(
            bytes
                .iter()
                .map(|&b| stored.signed(b as u32) as i8)
                .collect(),
        ),
        (16, false) => Samples::U16(
            bytes
                .chunks_exact(2)
                .map(|c| stored.unsigned(u16::from_le_bytes([c[0], c[1]]) as u32) as u16)
                .collect(),
        ),
        (16, true) => Samples::I16(
            bytes
                .chunks_exact(2)
                .map(|c| stored.signed(u16::from_le_bytes([c[0], c[1]]) as u32) as i16)
                .collect(),
        ),
        (32, false) => Samples::U32(
            bytes
                .chunks_exact(4)
                .map(|c| stored.unsigned(u32::from_le_bytes([c[0], c[1], c[2], c[3]])))
                .collect(),
        ),
        (32, true) => Samples::I32(
            bytes
                .chunks_exact(4)
                .map(|c| stored.signed(u32::from_le_bytes([c[0], c[1], c[2], c[3]])))
                .collect(),
        ),
        (other, _) => return cannot_unpack(other),
    })
}

/// [`unpack`] for a decoder that returns 8-bit samples as values rather than bytes (`samples[i]` is the container
/// value of sample `i`, zero-extended to Bits Allocated 8, 16 or 32): the same stored values, without going through
/// little-endian bytes. The decoder's buffer becomes the frame's `Samples::U8` as it is when the mask is a no-op
/// (unsigned, Bits Stored 8, High Bit 7); other 8-bit layouts are converted in place, wider containers in one pass.
pub(crate) fn unpack_u8_values(
    mut samples: Vec<u8>,
    info: &ImageInfo,
    count: usize,
) -> Result<Samples> {
    check_values(samples.len(), info, count)?;
    samples.truncate(count);
    let stored = StoredBits::new(info);
    Ok(match (info.bits_allocated, info.is_signed()) {
        (8, false) if stored.keeps(8) => Samples::U8(samples),
        (8, false) => Samples::U8(
            samples
                .into_iter()
                .map(|b| stored.unsigned(b as u32) as u8)
                .collect(),
        ),
        (8, true) => Samples::I8(
            samples
                .into_iter()
                .map(|b| stored.signed(b as u32) as i8)
                .collect(),
        ),
        (bits_allocated, signed) => return widened(&samples, &stored, bits_allocated, signed),
    })
}

/// [`unpack_u8_values`] for 16-bit decoder output (12- or 16-bit samples) in a 16- or 32-bit container: the
/// decoder's buffer is kept as `Samples::U16` when the mask is a no-op (unsigned, Bits Stored 16, High Bit 15),
/// masked (or sign-extended to `Samples::I16`) in place in a 16-bit container otherwise, widened in one pass to 32.
pub(crate) fn unpack_u16_values(
    mut samples: Vec<u16>,
    info: &ImageInfo,
    count: usize,
) -> Result<Samples> {
    check_values(samples.len(), info, count)?;
    samples.truncate(count);
    let stored = StoredBits::new(info);
    Ok(match (info.bits_allocated, info.is_signed()) {
        (16, false) if stored.keeps(16) => Samples::U16(samples),
        (16, false) => Samples::U16(
            samples
                .into_iter()
                .map(|s| stored.unsigned(s as u32) as u16)
                .collect(),
        ),
        (16, true) => Samples::I16(
            samples
                .into_iter()
                .map(|s| stored.signed(s as u32) as i16)
                .collect(),
        ),
        (bits_allocated, signed) => return widened(&samples, &stored, bits_allocated, signed),
    })
}

/// Decoder values in a wider container (16 or 32 bits), masked or sign-extended in the one pass that widens them;
/// any other Bits Allocated cannot be unpacked.
fn widened<T: Copy + Into<u32>>(
    samples: &[T],
    stored: &StoredBits,
    bits_allocated: u16,
    signed: bool,
) -> Result<Samples> {
    Ok(match (bits_allocated, signed) {
        (16, false) => Samples::U16(samples.iter().map(|&s| stored.unsigned(s.into()) as u16).collect()),
        (16, true) => Samples::I16(samples.iter().map(|&s| stored.signed(s.into()) as i16).collect()),
        (32, false) => Samples::U32(samples.iter().map(|&s| stored.unsigned(s.into())).collect()),
        (32, true) => Samples::I32(samples.iter().map(|&s| stored.signed(s.into())).collect()),
        (other, _) => return cannot_unpack(other),
    })
}

/// The checks [`unpack`] makes before converting decoder values: integer pixel data, at least `count` values.
fn check_values(len: usize, info: &ImageInfo, count: usize) -> Result<()> {
    ensure!(
        info.pixel_data_kind == PixelDataKind::Integer,
        UnsupportedImageSnafu {
            reason: "a decoder's integer samples cannot be float pixel data".to_string()
        }
    );
    ensure!(
        len >= count,
        TruncatedSnafu {
            detail: format!("a frame needs {count} samples, the decoder produced {len}")
        }
    );
    Ok(())
}

fn cannot_unpack<T>(bits_allocated: u16) -> Result<T> {
    UnsupportedImageSnafu {
        reason: format!("Bits Allocated {bits_allocated} cannot be unpacked here"),
    }
    .fail()
}

/// Unpack `count` 1-bit samples starting `bit_offset` bits into `bytes` (bit 0 of each byte comes first,
/// PS3.5 section 8.1.1) to 0/1 values.
pub(crate) fn unpack_bits(bytes: &[u8], bit_offset: usize, count: usize) -> Result<Samples> {
    let needed_bits = bit_offset + count;
    ensure!(
        bytes.len() * 8 >= needed_bits,
        TruncatedSnafu {
            detail: format!(
                "a frame needs {} bytes of 1-bit pixel data, only {} are present",
                needed_bits.div_ceil(8),
                bytes.len()
            )
        }
    );
    Ok(Samples::U8(
        (bit_offset..needed_bits)
            .map(|bit| (bytes[bit / 8] >> (bit % 8)) & 1)
            .collect(),
    ))
}

/// Where the stored bits sit in the container: `shift` low bits below them, `bits` of them.
struct StoredBits {
    shift: u32,
    bits: u32,
}

impl StoredBits {
    fn new(info: &ImageInfo) -> Self {
        let bits = info.bits_stored as u32;
        // High Bit is normally Bits Stored - 1; a larger High Bit means the stored bits are not right-aligned.
        let shift = (info.high_bit as u32 + 1).saturating_sub(bits);
        StoredBits { shift, bits }
    }

    fn mask(&self) -> u32 {
        if self.bits >= 32 {
            u32::MAX
        } else {
            (1u32 << self.bits) - 1
        }
    }

    /// Whether every `container_bits`-bit container value is its own stored value (as an unsigned number).
    fn keeps(&self, container_bits: u32) -> bool {
        self.shift == 0 && self.bits >= container_bits
    }

    /// The stored value as an unsigned number.
    fn unsigned(&self, container: u32) -> u32 {
        (container >> self.shift) & self.mask()
    }

    /// The stored value sign-extended from `bits` to 32 bits.
    fn signed(&self, container: u32) -> i32 {
        let v = self.unsigned(container);
        if self.bits >= 32 {
            return v as i32;
        }
        let sign = 1u32 << (self.bits - 1);
        if v & sign != 0 {
            (v | !self.mask()) as i32
        } else {
            v as i32
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::{PhotometricInterpretation, PixelRepresentation, PlanarConfiguration};

    fn info(bits_allocated: u16, bits_stored: u16, high_bit: u16, signed: bool) -> ImageInfo {
        ImageInfo {
            rows: 1,
            columns: 4,
            samples_per_pixel: 1,
            bits_allocated,
            bits_stored,
            high_bit,
            pixel_representation: if signed {
                PixelRepresentation::Signed
            } else {
                PixelRepresentation::Unsigned
            },
            photometric_interpretation: PhotometricInterpretation::Monochrome2,
            planar_configuration: PlanarConfiguration::Interleaved,
            number_of_frames: 1,
            pixel_data_kind: PixelDataKind::Integer,
        }
    }

    #[test]
    fn twelve_bit_signed_in_sixteen_is_sign_extended() {
        // 0x0800 is the 12-bit pattern of -2048; 0x0FFF is -1; 0x07FF is +2047; 0xF001 has garbage above bit 11
        // (an overlay bit pattern) and stores +1.
        let bytes = [0x00, 0x08, 0xFF, 0x0F, 0xFF, 0x07, 0x01, 0xF0];
        let samples = unpack(&bytes, &info(16, 12, 11, true), 4).unwrap();
        assert_eq!(samples, Samples::I16(vec![-2048, -1, 2047, 1]));
    }

    #[test]
    fn bits_above_bits_stored_are_masked_for_unsigned_data() {
        let bytes = [0xFF, 0xFF, 0x34, 0x12, 0x00, 0x10, 0xFF, 0x0F];
        let samples = unpack(&bytes, &info(16, 12, 11, false), 4).unwrap();
        assert_eq!(samples, Samples::U16(vec![0x0FFF, 0x0234, 0x0000, 0x0FFF]));
    }

    #[test]
    fn high_bit_above_bits_stored_shifts_values_down() {
        // 12 bits stored at bits 4..=15 (High Bit 15): 0xABC0 stores 0xABC.
        let bytes = [0xC0, 0xAB, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00];
        let samples = unpack(&bytes, &info(16, 12, 15, false), 4).unwrap();
        assert_eq!(samples, Samples::U16(vec![0xABC, 0x001, 0, 0]));
    }

    #[test]
    fn eight_bit_signed_values_keep_their_sign() {
        let samples = unpack(&[0x80, 0xFF, 0x00, 0x7F], &info(8, 8, 7, true), 4).unwrap();
        assert_eq!(samples, Samples::I8(vec![-128, -1, 0, 127]));
    }

    #[test]
    fn thirty_two_bit_signed_values_round_trip() {
        let mut bytes = Vec::new();
        for v in [-5i32, 70000, i32::MIN, 0] {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        let samples = unpack(&bytes, &info(32, 32, 31, true), 4).unwrap();
        assert_eq!(samples, Samples::I32(vec![-5, 70000, i32::MIN, 0]));
    }

    #[test]
    fn short_data_is_reported_as_truncated() {
        let err = unpack(&[0, 1, 2], &info(16, 16, 15, false), 4).unwrap_err();
        assert!(matches!(err, Error::Truncated { .. }), "{err}");
    }

    /// `values` as the little-endian bytes of a `bits`-bit container each, what decoders used to hand to `unpack`.
    fn container_bytes(values: &[u32], bits_allocated: u16) -> Vec<u8> {
        let width = bits_allocated as usize / 8;
        values
            .iter()
            .flat_map(|v| v.to_le_bytes()[..width].to_vec())
            .collect()
    }

    #[test]
    fn eight_bit_decoder_values_give_what_unpacking_their_bytes_gives() {
        let values: Vec<u8> = (0..=255).collect();
        let wide: Vec<u32> = values.iter().map(|&v| v as u32).collect();
        for (ba, bs, hb) in [
            (8, 8, 7),
            (8, 7, 6),
            (8, 6, 7),
            (16, 8, 7),
            (16, 12, 11),
            (32, 8, 7),
        ] {
            for signed in [false, true] {
                let info = info(ba, bs, hb, signed);
                let expected = unpack(&container_bytes(&wide, ba), &info, 256).unwrap();
                let got = unpack_u8_values(values.clone(), &info, 256).unwrap();
                assert_eq!(
                    got, expected,
                    "Bits Allocated {ba}, Stored {bs}, High Bit {hb}, signed {signed}"
                );
            }
        }
    }

    #[test]
    fn sixteen_bit_decoder_values_give_what_unpacking_their_bytes_gives() {
        // Every 12-bit value, and values above 12 bits (which a Bits Stored 12 mask must clear).
        let values: Vec<u16> = (0..4096).chain([0x1000, 0x8001, 0xFFFF]).collect();
        let wide: Vec<u32> = values.iter().map(|&v| v as u32).collect();
        let n = values.len();
        for (ba, bs, hb) in [
            (16, 16, 15),
            (16, 12, 11),
            (16, 12, 15),
            (16, 14, 13),
            (32, 12, 11),
            (32, 16, 15),
        ] {
            for signed in [false, true] {
                let info = info(ba, bs, hb, signed);
                let expected = unpack(&container_bytes(&wide, ba), &info, n).unwrap();
                let got = unpack_u16_values(values.clone(), &info, n).unwrap();
                assert_eq!(
                    got, expected,
                    "Bits Allocated {ba}, Stored {bs}, High Bit {hb}, signed {signed}"
                );
            }
        }
    }

    #[test]
    fn unmasked_decoder_buffer_becomes_the_samples_without_a_copy() {
        let values = vec![0u8, 17, 255, 128, 9];
        let ptr = values.as_ptr();
        match unpack_u8_values(values, &info(8, 8, 7, false), 4).unwrap() {
            Samples::U8(v) => {
                assert_eq!(v, [0, 17, 255, 128], "only `count` samples are kept");
                assert_eq!(v.as_ptr(), ptr, "the 8-bit buffer was copied");
            }
            other => panic!("expected U8 samples, got {other:?}"),
        }
        let values = vec![4095u16, 0, 0x1234];
        let ptr = values.as_ptr();
        match unpack_u16_values(values, &info(16, 16, 15, false), 3).unwrap() {
            Samples::U16(v) => {
                assert_eq!(v, [4095, 0, 0x1234]);
                assert_eq!(v.as_ptr(), ptr, "the 16-bit buffer was copied");
            }
            other => panic!("expected U16 samples, got {other:?}"),
        }
    }

    #[test]
    fn too_few_decoder_values_or_a_narrow_container_are_errors() {
        let err = unpack_u8_values(vec![1, 2, 3], &info(8, 8, 7, false), 4).unwrap_err();
        assert!(matches!(err, Error::Truncated { .. }), "{err}");
        let err = unpack_u16_values(vec![1, 2, 3, 4], &info(8, 8, 7, false), 4).unwrap_err();
        assert!(matches!(err, Error::UnsupportedImage { .. }), "{err}");
    }

    #[test]
    fn single_bit_samples_are_read_least_significant_bit_first() {
        // 0b1010_0101: pixels 0..8 are 1,0,1,0,0,1,0,1; start at bit 2.
        let samples = unpack_bits(&[0b1010_0101], 2, 5).unwrap();
        assert_eq!(samples, Samples::U8(vec![1, 0, 0, 1, 0]));
    }
}
