//! Pixel data decoding: from the Pixel Data (7FE0,0010), Float Pixel Data (7FE0,0008) or Double Float Pixel Data
//! (7FE0,0009) element of a data set to one [`Frame`] of *stored values*, whatever the transfer syntax. Native
//! syntaxes and RLE Lossless are unpacked here; JPEG-LS codestreams go to lumen-codec-jpegls, JPEG and JPEG 2000
//! codestreams to dicom-pixeldata's decoders, after their headers were checked against the Image Pixel
//! attributes, so that bad input gives an error rather than a panic in a codec. Every path ends in the same unpacking step (bits above Bits Stored masked off,
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
pub fn decode_frame(
    obj: &InMemDicomObject,
    ts_uid: &str,
    info: &ImageInfo,
    index: u32,
) -> Result<Frame> {
    ensure!(
        index < info.number_of_frames,
        FrameOutOfRangeSnafu {
            index,
            count: info.number_of_frames
        }
    );
    let ts = transfer_syntax::lookup(ts_uid);
    let tag = match info.pixel_data_kind {
        PixelDataKind::Integer => tags::PIXEL_DATA,
        PixelDataKind::Float => tags::FLOAT_PIXEL_DATA,
        PixelDataKind::DoubleFloat => tags::DOUBLE_FLOAT_PIXEL_DATA,
    };
    let element = obj.get(tag).context(MissingPixelDataSnafu)?;
    match (element.value(), ts.encoding) {
        (_, PixelEncoding::Unsupported) => UnsupportedTransferSyntaxSnafu {
            uid: ts_uid.to_string(),
            name: ts.name,
        }
        .fail(),
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

/// Decode one frame given only its encoded bytes, as DICOMweb returns them from a `…/frames/{n}` request: for
/// native syntaxes exactly one frame of little-endian native pixel data, for encapsulated syntaxes the frame's
/// codestream (its fragments concatenated). `info` comes from the instance's metadata; `index` only labels the
/// frame. Errors as for [`decode_frame`].
pub fn decode_frame_data(data: &[u8], ts_uid: &str, info: &ImageInfo, index: u32) -> Result<Frame> {
    let ts = transfer_syntax::lookup(ts_uid);
    match ts.encoding {
        PixelEncoding::Unsupported => UnsupportedTransferSyntaxSnafu {
            uid: ts_uid.to_string(),
            name: ts.name,
        }
        .fail(),
        PixelEncoding::Native => {
            if info.bits_allocated == 1 && info.pixel_data_kind == PixelDataKind::Integer {
                let value = PrimitiveValue::U8(data.to_vec().into());
                let one = ImageInfo {
                    number_of_frames: 1,
                    ..info.clone()
                };
                let mut frame = native::decode(&value, &one, 0)?;
                frame.index = index;
                return Ok(frame);
            }
            native::frame_from_native_bytes(data, info, index)
        }
        encoding => {
            ensure!(
                info.pixel_data_kind == PixelDataKind::Integer,
                UnsupportedImageSnafu {
                    reason: "float pixel data cannot be encapsulated".to_string()
                }
            );
            encapsulated::decode_codestream(data, encoding, ts.name, info, index)
        }
    }
}

/// A frame shown while its codestream is still arriving.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    /// The frame at full Rows × Columns: each pixel of the reduced-resolution decode repeated over the
    /// 2^`discarded_levels` × 2^`discarded_levels` pixels it stands for (so geometry and measurements hold).
    pub frame: Frame,
    /// Resolution levels left out (0: the data held the whole image).
    pub discarded_levels: u8,
}

/// A preview of a frame from the first bytes of its codestream (`prefix`, as DICOMweb delivers them for a
/// `…/frames/{n}` request), for the HTJ2K transfer syntaxes (.201, .202, .203): the highest resolution whose
/// packets the bytes hold, decoded with lumen-codec-htj2k (useful for resolution-major codestreams, e.g. .202's
/// RPCL). `None` for any other syntax, while nothing is decodable yet, or for a codestream lumen-codec-htj2k
/// does not handle (the whole frame then decodes as usual). Errors: the bytes contradict `info` or are corrupt.
pub fn preview_frame_data(
    prefix: &[u8],
    ts_uid: &str,
    info: &ImageInfo,
    index: u32,
) -> Result<Option<Preview>> {
    if !matches!(
        ts_uid.trim(),
        "1.2.840.10008.1.2.4.201" | "1.2.840.10008.1.2.4.202" | "1.2.840.10008.1.2.4.203"
    ) || info.pixel_data_kind != PixelDataKind::Integer
    {
        return Ok(None);
    }
    let syntax = transfer_syntax::lookup(ts_uid.trim()).name;
    Ok(
        encapsulated::htj2k_preview(prefix, info, index, syntax)?.map(
            |(frame, discarded_levels)| Preview {
                frame,
                discarded_levels,
            },
        ),
    )
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

#[cfg(test)]
mod tests {
    use crate::image::{PhotometricInterpretation, Samples};
    use crate::{DicomFile, Error};
    use dicom_core::value::{DataSetSequence, PixelFragmentSequence};
    use dicom_core::{DataElement, PrimitiveValue, VR};
    use dicom_dictionary_std::tags;
    use dicom_object::{FileMetaTableBuilder, InMemDicomObject};

    /// An image object with the given pixel attributes and Pixel Data element, in transfer syntax `ts`.
    fn image(
        ts: &str,
        rows: u16,
        columns: u16,
        attrs: &[(dicom_core::Tag, VR, PrimitiveValue)],
        pixel_data: DataElement<InMemDicomObject>,
    ) -> DicomFile {
        let mut obj = InMemDicomObject::from_element_iter([
            DataElement::new(
                tags::SOP_CLASS_UID,
                VR::UI,
                PrimitiveValue::from("1.2.840.10008.5.1.4.1.1.7"),
            ),
            DataElement::new(
                tags::SOP_INSTANCE_UID,
                VR::UI,
                PrimitiveValue::from("2.25.1"),
            ),
            DataElement::new(tags::ROWS, VR::US, PrimitiveValue::from(rows)),
            DataElement::new(tags::COLUMNS, VR::US, PrimitiveValue::from(columns)),
        ]);
        for (tag, vr, value) in attrs {
            obj.put(DataElement::new(*tag, *vr, value.clone()));
        }
        obj.put(pixel_data);
        DicomFile::from_object(
            obj.with_meta(FileMetaTableBuilder::new().transfer_syntax(ts))
                .unwrap(),
        )
    }

    fn us(tag: dicom_core::Tag, v: u16) -> (dicom_core::Tag, VR, PrimitiveValue) {
        (tag, VR::US, PrimitiveValue::from(v))
    }

    fn cs(tag: dicom_core::Tag, v: &str) -> (dicom_core::Tag, VR, PrimitiveValue) {
        (tag, VR::CS, PrimitiveValue::from(v))
    }

    const LE: &str = "1.2.840.10008.1.2.1";

    #[test]
    fn planar_rgb_is_interleaved() {
        let file = image(
            LE,
            1,
            2,
            &[
                us(tags::SAMPLES_PER_PIXEL, 3),
                cs(tags::PHOTOMETRIC_INTERPRETATION, "RGB"),
                us(tags::PLANAR_CONFIGURATION, 1),
                us(tags::BITS_ALLOCATED, 8),
                us(tags::BITS_STORED, 8),
            ],
            DataElement::new(
                tags::PIXEL_DATA,
                VR::OB,
                PrimitiveValue::U8(vec![1, 2, 10, 20, 100, 200].into()),
            ),
        );
        assert_eq!(
            file.decode_frame(0).unwrap().samples,
            Samples::U8(vec![1, 10, 100, 2, 20, 200])
        );
    }

    #[test]
    fn second_frame_of_sixteen_bit_data_is_read_alone() {
        let file = image(
            LE,
            1,
            2,
            &[
                us(tags::BITS_ALLOCATED, 16),
                us(tags::BITS_STORED, 16),
                (tags::NUMBER_OF_FRAMES, VR::IS, PrimitiveValue::from("3")),
            ],
            DataElement::new(
                tags::PIXEL_DATA,
                VR::OW,
                PrimitiveValue::U16(vec![1, 2, 300, 400, 5, 6].into()),
            ),
        );
        let frame = file.decode_frame(1).unwrap();
        assert_eq!(frame.samples, Samples::U16(vec![300, 400]));
        assert_eq!(
            frame.photometric_interpretation,
            PhotometricInterpretation::Monochrome2
        );
    }

    #[test]
    fn float_and_double_float_pixel_data() {
        let file = image(
            LE,
            1,
            2,
            &[],
            DataElement::new(
                tags::FLOAT_PIXEL_DATA,
                VR::OF,
                PrimitiveValue::F32(vec![-1.5, 2.25].into()),
            ),
        );
        assert_eq!(
            file.decode_frame(0).unwrap().samples,
            Samples::F32(vec![-1.5, 2.25])
        );
        let file = image(
            LE,
            1,
            1,
            &[],
            DataElement::new(
                tags::DOUBLE_FLOAT_PIXEL_DATA,
                VR::OD,
                PrimitiveValue::F64(vec![1e-9].into()),
            ),
        );
        assert_eq!(
            file.decode_frame(0).unwrap().samples,
            Samples::F64(vec![1e-9])
        );
    }

    #[test]
    fn one_bit_frames_start_mid_byte() {
        // 3 pixels per frame; frame 1 is bits 3..6 of 0b0010_1000 → 1, 0, 1.
        let file = image(
            LE,
            1,
            3,
            &[
                us(tags::BITS_ALLOCATED, 1),
                us(tags::BITS_STORED, 1),
                (tags::NUMBER_OF_FRAMES, VR::IS, PrimitiveValue::from("2")),
            ],
            DataElement::new(
                tags::PIXEL_DATA,
                VR::OB,
                PrimitiveValue::U8(vec![0b0010_1000, 0].into()),
            ),
        );
        assert_eq!(
            file.decode_frame(1).unwrap().samples,
            Samples::U8(vec![1, 0, 1])
        );
    }

    #[test]
    fn native_ybr_full_422_is_expanded_to_ybr_full() {
        let file = image(
            LE,
            1,
            2,
            &[
                us(tags::SAMPLES_PER_PIXEL, 3),
                cs(tags::PHOTOMETRIC_INTERPRETATION, "YBR_FULL_422"),
                us(tags::BITS_ALLOCATED, 8),
                us(tags::BITS_STORED, 8),
            ],
            DataElement::new(
                tags::PIXEL_DATA,
                VR::OB,
                PrimitiveValue::U8(vec![50, 60, 128, 140].into()),
            ),
        );
        let frame = file.decode_frame(0).unwrap();
        assert_eq!(
            frame.photometric_interpretation,
            PhotometricInterpretation::YbrFull
        );
        assert_eq!(frame.samples, Samples::U8(vec![50, 128, 140, 60, 128, 140]));
    }

    #[test]
    fn short_native_pixel_data_is_truncated() {
        let file = image(
            LE,
            2,
            2,
            &[us(tags::BITS_ALLOCATED, 16), us(tags::BITS_STORED, 16)],
            DataElement::new(
                tags::PIXEL_DATA,
                VR::OW,
                PrimitiveValue::U16(vec![1, 2, 3].into()),
            ),
        );
        let err = file.decode_frame(0).unwrap_err();
        assert!(matches!(err, Error::Truncated { .. }), "{err}");
    }

    #[test]
    fn rle_signed_sixteen_bit_frame_decodes() {
        // Two pixels, 12 bits stored, signed: -2 (0x0FFE) and 5.
        let s0 = super::rle::encode_segment(&[0x0F, 0x00]);
        let s1 = super::rle::encode_segment(&[0xFE, 0x05]);
        let mut frame = vec![0u8; 64];
        frame[0] = 2;
        frame[4..8].copy_from_slice(&64u32.to_le_bytes());
        frame[8..12].copy_from_slice(&(64 + s0.len() as u32).to_le_bytes());
        frame.extend(s0);
        frame.extend(s1);
        let pixel_data = DataElement::new(
            tags::PIXEL_DATA,
            VR::OB,
            PixelFragmentSequence::new(Vec::<u32>::new(), vec![frame]),
        );
        let file = image(
            "1.2.840.10008.1.2.5",
            1,
            2,
            &[
                us(tags::BITS_ALLOCATED, 16),
                us(tags::BITS_STORED, 12),
                us(tags::HIGH_BIT, 11),
                us(tags::PIXEL_REPRESENTATION, 1),
            ],
            pixel_data,
        );
        assert_eq!(
            file.decode_frame(0).unwrap().samples,
            Samples::I16(vec![-2, 5])
        );
    }

    #[test]
    fn sequence_in_place_of_pixel_data_is_an_error() {
        let file = image(
            LE,
            1,
            1,
            &[us(tags::BITS_ALLOCATED, 8)],
            DataElement::new(
                tags::PIXEL_DATA,
                VR::SQ,
                DataSetSequence::from(Vec::<InMemDicomObject>::new()),
            ),
        );
        assert!(file.decode_frame(0).is_err());
    }

    #[test]
    fn missing_rows_is_named() {
        let obj = InMemDicomObject::from_element_iter([DataElement::new(
            tags::PIXEL_DATA,
            VR::OB,
            PrimitiveValue::U8(vec![0].into()),
        )]);
        let err = crate::ImageInfo::from_object(&obj).unwrap_err();
        assert_eq!(err.to_string(), "missing attribute Rows (0028,0010)");
    }
}
