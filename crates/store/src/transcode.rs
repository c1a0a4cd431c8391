//! Sending an instance to a client that does not accept its stored transfer syntax: re-encoding the data set in
//! Explicit (or Implicit) VR Little Endian and, for compressed pixel data, decoding the frames with `lumen-dicom`
//! to native stored values.
//!
//! Decoded colour frames come out as the decoder produced them (JPEG and JPEG 2000 colour is RGB, YBR_FULL_422 is
//! expanded), so Photometric Interpretation (0028,0004), Planar Configuration (0028,0006) and Bits Allocated
//! (0028,0100) are rewritten to describe the new pixel data. This module never writes files.

use crate::error::{self, Result};
use crate::pixel::{self, is_native};
use dicom_core::value::PrimitiveValue;
use dicom_core::{DataElement, VR};
use dicom_dictionary_std::tags;
use dicom_encoding::transfer_syntax::TransferSyntaxIndex;
use dicom_object::DefaultDicomObject;
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;
use lumen_dicom::{DicomFile, Samples};

/// Decodes frames `numbers` (1-based) of a compressed instance to native little-endian stored values.
pub(crate) fn decoded_frames(
    obj: DefaultDicomObject,
    sop_instance_uid: &str,
    numbers: &[u32],
) -> Result<Vec<Vec<u8>>> {
    let frames = pixel::number_of_frames(&obj);
    for &n in numbers {
        snafu::ensure!(
            n >= 1 && n <= frames,
            error::FrameOutOfRangeSnafu { frame: n, frames }
        );
    }
    let file = DicomFile::from_object(obj);
    numbers
        .iter()
        .map(|&n| {
            file.decode_frame(n - 1)
                .map(|f| f.samples.to_le_bytes())
                .map_err(|e| error::Error::Encode {
                    sop_instance_uid: sop_instance_uid.to_string(),
                    reason: e.to_string(),
                })
        })
        .collect()
}

/// The whole instance as a Part 10 file in `target` (Explicit or Implicit VR Little Endian), decoding its pixel
/// data first when it is compressed.
pub(crate) fn to_native_part10(
    mut obj: DefaultDicomObject,
    sop_instance_uid: &str,
    target: &str,
) -> Result<Vec<u8>> {
    let encode_error = |reason: String| error::Error::Encode {
        sop_instance_uid: sop_instance_uid.to_string(),
        reason,
    };
    let stored = obj
        .meta()
        .transfer_syntax()
        .trim_end_matches(['\0', ' '])
        .to_string();
    let has_pixels = obj.element_opt(tags::PIXEL_DATA).ok().flatten().is_some();
    if !is_native(&stored) && has_pixels {
        let count = pixel::number_of_frames(&obj);
        let file = DicomFile::from_object(obj.clone());
        let mut data = Vec::new();
        let mut first = None;
        for i in 0..count {
            let frame = file
                .decode_frame(i)
                .map_err(|e| encode_error(e.to_string()))?;
            data.extend_from_slice(&frame.samples.to_le_bytes());
            first.get_or_insert(frame);
        }
        let frame = first.ok_or_else(|| encode_error("no frame could be decoded".into()))?;
        let bits_allocated: u16 = match &frame.samples {
            Samples::U8(_) | Samples::I8(_) => 8,
            Samples::U16(_) | Samples::I16(_) => 16,
            Samples::U32(_) | Samples::I32(_) | Samples::F32(_) => 32,
            Samples::F64(_) => 64,
        };
        if data.len() % 2 == 1 {
            data.push(0);
        }
        let vr = if bits_allocated == 8 { VR::OB } else { VR::OW };
        obj.put(DataElement::new(
            tags::PIXEL_DATA,
            vr,
            PrimitiveValue::from(data),
        ));
        obj.put(DataElement::new(
            tags::PHOTOMETRIC_INTERPRETATION,
            VR::CS,
            PrimitiveValue::from(frame.photometric_interpretation.as_str().to_string()),
        ));
        obj.put(DataElement::new(
            tags::BITS_ALLOCATED,
            VR::US,
            PrimitiveValue::from(bits_allocated),
        ));
        obj.put(DataElement::new(
            tags::SAMPLES_PER_PIXEL,
            VR::US,
            PrimitiveValue::from(frame.samples_per_pixel),
        ));
        if frame.samples_per_pixel > 1 {
            obj.put(DataElement::new(
                tags::PLANAR_CONFIGURATION,
                VR::US,
                PrimitiveValue::from(0u16),
            ));
        } else {
            obj.remove_element(tags::PLANAR_CONFIGURATION);
        }
    }
    let ts = TransferSyntaxRegistry
        .get(target)
        .ok_or_else(|| encode_error(format!("unknown transfer syntax {target}")))?;
    obj.meta_mut().set_transfer_syntax(ts);
    let mut out = Vec::new();
    obj.write_all(&mut out)
        .map_err(|e| encode_error(e.to_string()))?;
    Ok(out)
}
