//! Pixel data decoding: from the Pixel Data (7FE0,0010), Float Pixel Data (7FE0,0008) or Double Float Pixel Data
//! (7FE0,0009) element of a data set to one [`Frame`] of *stored values*, whatever the transfer syntax. Native
//! syntaxes and RLE Lossless are unpacked here; JPEG and JPEG 2000 codestreams go to dicom-pixeldata's decoders
//! after their headers were checked against the Image Pixel attributes, so that bad input gives an error rather
//! than a panic in a codec. Every path ends in the same unpacking step (bits above Bits Stored masked off,
//! sign extension for Pixel Representation 1, colour samples interleaved). This module must not apply any LUT.

mod encapsulated;
mod native;
mod rle;
mod unpack;

use crate::error::*;
use crate::image::{Frame, ImageInfo, PhotometricInterpretation, PixelDataKind};
use crate::transfer_syntax::{self, PixelEncoding};
use dicom_core::value::{PrimitiveValue, Value};
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use snafu::prelude::*;

/// Decode frame `index` (0-based) of the image in `obj`, encoded in transfer syntax `ts_uid`.
///
/// Only the requested frame is decompressed. Errors: [`Error::FrameOutOfRange`],
/// [`Error::UnsupportedTransferSyntax`], [`Error::MissingPixelData`], [`Error::Truncated`] when the pixel data
/// is shorter than the attributes require, [`Error::Decode`] when a codestream is corrupt.
pub fn decode_frame(obj: &InMemDicomObject, ts_uid: &str, info: &ImageInfo, index: u32) -> Result<Frame> {
    ensure!(index < info.number_of_frames, FrameOutOfRangeSnafu { index, count: info.number_of_frames });
    let ts = transfer_syntax::lookup(ts_uid);
    let tag = match info.pixel_data_kind {
        PixelDataKind::Integer => tags::PIXEL_DATA,
        PixelDataKind::Float => tags::FLOAT_PIXEL_DATA,
        PixelDataKind::DoubleFloat => tags::DOUBLE_FLOAT_PIXEL_DATA,
    };
    let element = obj.get(tag).context(MissingPixelDataSnafu)?;
    match (element.value(), ts.encoding) {
        (_, PixelEncoding::Unsupported) => {
            UnsupportedTransferSyntaxSnafu { uid: ts_uid.to_string(), name: ts.name }.fail()
        }
        (Value::Primitive(p), _) => native::decode(p, info, index),
        (Value::PixelSequence(seq), encoding) => {
            let eot = extended_offset_table(obj);
            encapsulated::decode(seq, eot.as_ref(), encoding, ts.name, info, index)
        }
        (Value::Sequence(_), _) => InvalidAttributeSnafu {
            name: "Pixel Data",
            tag,
            reason: "the element is a sequence of items, not pixel data".to_string(),
        }
        .fail(),
    }
}

/// Extended Offset Table (7FE0,0001) and Extended Offset Table Lengths (7FE0,0002), when both are present.
fn extended_offset_table(obj: &InMemDicomObject) -> Option<(Vec<u64>, Vec<u64>)> {
    let read = |tag| -> Option<Vec<u64>> {
        let bytes = crate::attr::le_bytes(obj, tag)?;
        Some(
            bytes
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect(),
        )
    };
    let offsets = read(tags::EXTENDED_OFFSET_TABLE)?;
    let lengths = read(tags::EXTENDED_OFFSET_TABLE_LENGTHS)?;
    (offsets.len() == lengths.len() && !offsets.is_empty()).then_some((offsets, lengths))
}

/// Size in bytes of one element of a primitive value.
fn element_size(p: &PrimitiveValue) -> usize {
    match p {
        PrimitiveValue::U16(_) | PrimitiveValue::I16(_) => 2,
        PrimitiveValue::U32(_) | PrimitiveValue::I32(_) | PrimitiveValue::F32(_) => 4,
        PrimitiveValue::U64(_) | PrimitiveValue::I64(_) | PrimitiveValue::F64(_) => 8,
        _ => 1,
    }
}

/// Number of bytes of a binary primitive value.
pub(crate) fn primitive_byte_len(p: &PrimitiveValue) -> usize {
    match p {
        PrimitiveValue::U8(v) => v.len(),
        PrimitiveValue::U16(v) => v.len() * 2,
        PrimitiveValue::I16(v) => v.len() * 2,
        PrimitiveValue::U32(v) => v.len() * 4,
        PrimitiveValue::I32(v) => v.len() * 4,
        PrimitiveValue::F32(v) => v.len() * 4,
        PrimitiveValue::U64(v) => v.len() * 8,
        PrimitiveValue::I64(v) => v.len() * 8,
        PrimitiveValue::F64(v) => v.len() * 8,
        other => other.to_bytes().len(),
    }
}

/// Bytes `start..start + len` of a binary primitive value, each element written little-endian (so OW words read
/// from Explicit VR Big Endian come out in the little-endian order the rest of the crate expects). `None` when
/// the value is shorter.
pub(crate) fn primitive_le_range(p: &PrimitiveValue, start: usize, len: usize) -> Option<Vec<u8>> {
    let end = start.checked_add(len)?;
    if end > primitive_byte_len(p) {
        return None;
    }
    let size = element_size(p);
    let first = start / size;
    let last = end.div_ceil(size);
    fn conv<T: Copy, const N: usize>(v: &[T], f: impl Fn(T) -> [u8; N]) -> Vec<u8> {
        let mut out = Vec::with_capacity(v.len() * N);
        for &x in v {
            out.extend_from_slice(&f(x));
        }
        out
    }
    let bytes = match p {
        PrimitiveValue::U8(v) => return v.get(start..end).map(<[u8]>::to_vec),
        PrimitiveValue::U16(v) => conv(v.get(first..last)?, u16::to_le_bytes),
        PrimitiveValue::I16(v) => conv(v.get(first..last)?, i16::to_le_bytes),
        PrimitiveValue::U32(v) => conv(v.get(first..last)?, u32::to_le_bytes),
        PrimitiveValue::I32(v) => conv(v.get(first..last)?, i32::to_le_bytes),
        PrimitiveValue::F32(v) => conv(v.get(first..last)?, f32::to_le_bytes),
        PrimitiveValue::U64(v) => conv(v.get(first..last)?, u64::to_le_bytes),
        PrimitiveValue::I64(v) => conv(v.get(first..last)?, i64::to_le_bytes),
        PrimitiveValue::F64(v) => conv(v.get(first..last)?, f64::to_le_bytes),
        other => return other.to_bytes().get(start..end).map(<[u8]>::to_vec),
    };
    let skip = start - first * size;
    bytes.get(skip..skip + len).map(<[u8]>::to_vec)
}

/// All bytes of a binary primitive value, little-endian.
pub(crate) fn primitive_le_bytes(p: &PrimitiveValue) -> Vec<u8> {
    primitive_le_range(p, 0, primitive_byte_len(p)).unwrap_or_default()
}

/// Photometric interpretation of decoded samples when the decoder itself converted colour (JPEG lossy, JPEG 2000
/// with a multi-component transform) or when subsampled YBR was expanded to full resolution.
pub(crate) fn expanded_photometric(pi: &PhotometricInterpretation) -> PhotometricInterpretation {
    match pi {
        PhotometricInterpretation::YbrFull422 => PhotometricInterpretation::YbrFull,
        other => other.clone(),
    }
}
