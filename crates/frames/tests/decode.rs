//! Decode-for-display tests: whole instances (`decode_for_display`) and frames fetched alone from WADO-RS with
//! their DICOM JSON metadata (`decode_wado_frame`), native and RLE Lossless, against hand-computed modality
//! values, colours and metadata; plus the phantom demo's RLE cine, decoded both ways and compared.

use dicom_core::value::DataSetSequence;
use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use dicom_object::mem::InMemElement;
use dicom_object::InMemDicomObject;
use lumen_frames::*;
use lumen_phantom::{to_part10_bytes, TransferSyntax};

const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";
const RLE: &str = "1.2.840.10008.1.2.5";

fn el(tag: dicom_core::Tag, vr: VR, value: impl Into<PrimitiveValue>) -> InMemElement {
    DataElement::new(tag, vr, value.into())
}

/// Image Pixel attributes of a `rows`×`columns` single-sample image.
fn image(
    uid: &str,
    rows: u16,
    columns: u16,
    bits: u16,
    signed: bool,
    photometric: &str,
) -> InMemDicomObject {
    InMemDicomObject::from_element_iter([
        el(tags::SOP_CLASS_UID, VR::UI, "1.2.840.10008.5.1.4.1.1.7"),
        el(tags::SOP_INSTANCE_UID, VR::UI, uid),
        el(tags::SAMPLES_PER_PIXEL, VR::US, PrimitiveValue::from(1u16)),
        el(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, photometric),
        el(tags::ROWS, VR::US, PrimitiveValue::from(rows)),
        el(tags::COLUMNS, VR::US, PrimitiveValue::from(columns)),
        el(
            tags::BITS_ALLOCATED,
            VR::US,
            PrimitiveValue::from(if bits > 8 { 16u16 } else { 8 }),
        ),
        el(tags::BITS_STORED, VR::US, PrimitiveValue::from(bits)),
        el(tags::HIGH_BIT, VR::US, PrimitiveValue::from(bits - 1)),
        el(
            tags::PIXEL_REPRESENTATION,
            VR::US,
            PrimitiveValue::from(u16::from(signed)),
        ),
    ])
}

/// A 2×2 CT slice: stored 0, 1024, 1064, 2047 (12 bits signed), Rescale Intercept −1024 (HU), two windows,
/// axial plane at z = −30 with 0.5 × 0.6 mm pixels.
fn ct() -> InMemDicomObject {
    let mut obj = image("1.2.3.4", 2, 2, 12, true, "MONOCHROME2");
    for e in [
        el(tags::RESCALE_INTERCEPT, VR::DS, "-1024"),
        el(tags::RESCALE_SLOPE, VR::DS, "1"),
        el(tags::RESCALE_TYPE, VR::LO, "HU"),
        el(tags::WINDOW_CENTER, VR::DS, "40\\-600"),
        el(tags::WINDOW_WIDTH, VR::DS, "400\\1500"),
        el(
            tags::WINDOW_CENTER_WIDTH_EXPLANATION,
            VR::LO,
            "MEDIASTINUM\\LUNG",
        ),
        el(tags::IMAGE_POSITION_PATIENT, VR::DS, "-100\\-120\\-30"),
        el(tags::IMAGE_ORIENTATION_PATIENT, VR::DS, "1\\0\\0\\0\\1\\0"),
        el(tags::PIXEL_SPACING, VR::DS, "0.5\\0.6"),
        el(
            tags::PIXEL_DATA,
            VR::OW,
            PrimitiveValue::I16(vec![0i16, 1024, 1064, 2047].into()),
        ),
    ] {
        obj.put(e);
    }
    obj
}

fn ct_le_bytes() -> Vec<u8> {
    [0i16, 1024, 1064, 2047]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect()
}

fn modality(frame: &DecodedFrame) -> Vec<f32> {
    match &frame.pixels {
        Pixels::Modality { values, .. } => values.to_f32().into_owned(),
        Pixels::Rgb8(_) => panic!("colour frame"),
    }
}

fn assert_ct_frame(frame: &DecodedFrame) {
    assert_eq!(modality(frame), &[-1024.0, 0.0, 40.0, 1023.0]);
    let m = &frame.meta;
    assert_eq!(m.key, FrameKey::new("1.2.3.4", 1));
    assert_eq!(
        (m.rows, m.columns, m.format),
        (2, 2, PixelFormat::ModalityF32)
    );
    assert_eq!(
        (m.photometric.as_str(), m.invert, m.modality_lut_applied),
        ("MONOCHROME2", false, true)
    );
    assert_eq!(
        m.modality_lut,
        ModalityMapping::Rescale {
            slope: 1.0,
            intercept: -1024.0
        }
    );
    assert_eq!(m.units.as_deref(), Some("HU"));
    assert_eq!(m.windows.len(), 2);
    assert_eq!(
        (m.default_window.center, m.default_window.width),
        (40.0, 400.0)
    );
    assert_eq!(m.windows[1].explanation.as_deref(), Some("LUNG"));
    assert_eq!(
        (
            m.windows[1].center,
            m.windows[1].width,
            m.windows[1].function
        ),
        (-600.0, 1500.0, WindowFunction::Linear)
    );
    assert_eq!(m.pixel_spacing, Some([0.5, 0.6]));
    assert_eq!(
        m.image_plane.as_ref().map(|p| p.position),
        Some([-100.0, -120.0, -30.0])
    );
    assert_eq!(m.stored_range, Some([0.0, 2047.0]));
    assert_eq!(m.modality_range, Some([-1024.0, 1023.0]));
    assert!(!m.has_stored_values);
    // Pixel probe: HU 40 at (column 0, row 1) is stored value 1064.
    assert_eq!(frame.modality_value(0, 1), Some(40.0));
    assert_eq!(frame.stored_value(0, 1), Some(1064.0));
    assert_eq!(frame.stored_value(2, 0), None);
    // Held as the 16-bit stored samples, not as f32: 2 bytes per pixel.
    assert_eq!(m.pixel_bytes(), 8);
    assert_eq!(frame.pixels.byte_len(), 8);
    assert_eq!(m.stored_samples, Some(StoredSampleType::I16));
}

#[test]
fn thirty_two_bit_samples_are_held_as_f32_modality_values() {
    let mut obj = image("1.2.32", 1, 3, 16, false, "MONOCHROME2");
    obj.put(el(tags::BITS_ALLOCATED, VR::US, PrimitiveValue::from(32u16)));
    obj.put(el(tags::BITS_STORED, VR::US, PrimitiveValue::from(32u16)));
    obj.put(el(tags::HIGH_BIT, VR::US, PrimitiveValue::from(31u16)));
    obj.put(el(tags::RESCALE_INTERCEPT, VR::DS, "-5"));
    obj.put(el(tags::RESCALE_SLOPE, VR::DS, "2"));
    let bytes: Vec<u8> = [0u32, 70_000, 4_000_000_000].iter().flat_map(|v| v.to_le_bytes()).collect();
    obj.put(el(tags::PIXEL_DATA, VR::OW, PrimitiveValue::U8(bytes.into())));
    let file = to_part10_bytes(obj, TransferSyntax::ExplicitVrLittleEndian).unwrap();
    let frame = decode_for_display(&file, 1).unwrap();
    assert_eq!(modality(&frame), &[-5.0, 139_995.0, 7_999_999_995.0]);
    // No compact form for 32-bit samples: one f32 per pixel, as before.
    assert_eq!(frame.meta.stored_samples, None);
    assert_eq!(frame.meta.pixel_bytes(), 12);
    assert_eq!(frame.pixels.byte_len(), 12);
    assert_eq!(frame.stored_value(1, 0), Some(70_000.0));
    let (response, buffers) = frame.clone().into_response(1);
    assert!(matches!(buffers[..], [PixelBuffer::F32(_)]));
    let DecodeOutcome::Decoded { meta, buffers: layouts } = response.result else { panic!("not decoded") };
    assert_eq!(DecodedFrame::from_response(*meta, &layouts, buffers).unwrap(), frame);
}

#[test]
fn ct_instance_decodes_to_hounsfield_units_with_windows_spacing_and_plane() {
    let bytes = to_part10_bytes(ct(), TransferSyntax::ExplicitVrLittleEndian).unwrap();
    assert_ct_frame(&decode_for_display(&bytes, 1).unwrap());
}

#[test]
fn monochrome1_without_window_gets_the_full_range_and_inversion() {
    let mut obj = image("1.9", 1, 4, 8, false, "MONOCHROME1");
    obj.put(el(
        tags::PIXEL_DATA,
        VR::OB,
        PrimitiveValue::U8(vec![10u8, 20, 30, 40].into()),
    ));
    let bytes = to_part10_bytes(obj, TransferSyntax::ExplicitVrLittleEndian).unwrap();
    let frame = decode_for_display(&bytes, 1).unwrap();
    assert_eq!(modality(&frame), &[10.0, 20.0, 30.0, 40.0]);
    assert!(frame.meta.invert);
    assert_eq!(frame.meta.modality_lut, ModalityMapping::Identity);
    // Modality range 10..=40: centre 25, width 30, LINEAR_EXACT.
    let w = &frame.meta.default_window;
    assert_eq!(
        (w.center, w.width, w.function),
        (25.0, 30.0, WindowFunction::LinearExact)
    );
    assert!(frame.meta.windows.is_empty());
}

#[test]
fn displayed_grey_applies_the_window_and_monochrome1_inversion() {
    let mut obj = image("1.9.1", 1, 4, 8, false, "MONOCHROME1");
    obj.put(el(tags::PIXEL_DATA, VR::OB, PrimitiveValue::U8(vec![10u8, 20, 30, 40].into())));
    let bytes = to_part10_bytes(obj, TransferSyntax::ExplicitVrLittleEndian).unwrap();
    let frame = decode_for_display(&bytes, 1).unwrap();
    // Full-range LINEAR_EXACT 25/30: 10 → 0, 20 → (20-25)/30+0.5 = 1/3, 30 → 2/3, 40 → 1; then inverted.
    let grey = frame.displayed_grey(&frame.meta.default_window);
    let expect = [1.0, 2.0 / 3.0, 1.0 / 3.0, 0.0];
    for (g, e) in grey.iter().zip(expect) {
        assert!((g - e).abs() < 1e-6, "{grey:?}");
    }
    // LINEAR 25/11 (PS3.3 C.11.2.1.2.1): x ≤ 19.5 → 0, x > 29.5 → 1, 20 → (20-24.5)/10+0.5 = 0.05.
    let linear = WindowPreset { center: 25.0, width: 11.0, function: WindowFunction::Linear, explanation: None };
    let grey = frame.displayed_grey(&linear);
    let expect = [1.0, 0.95, 0.0, 0.0];
    for (g, e) in grey.iter().zip(expect) {
        assert!((g - e).abs() < 1e-6, "{grey:?}");
    }
}

#[test]
fn modality_lut_sequence_is_applied_and_stored_values_travel_alongside() {
    let mut obj = image("1.8", 2, 2, 16, false, "MONOCHROME2");
    let item = InMemDicomObject::from_element_iter([
        el(
            tags::LUT_DESCRIPTOR,
            VR::US,
            PrimitiveValue::from([4u16, 0, 16]),
        ),
        el(
            tags::LUT_DATA,
            VR::OW,
            PrimitiveValue::U16(vec![100u16, 200, 300, 400].into()),
        ),
        el(tags::MODALITY_LUT_TYPE, VR::LO, "OD"),
    ]);
    obj.put(InMemElement::new(
        tags::MODALITY_LUT_SEQUENCE,
        VR::SQ,
        DataSetSequence::from(vec![item]),
    ));
    obj.put(el(
        tags::PIXEL_DATA,
        VR::OW,
        PrimitiveValue::U16(vec![3u16, 2, 1, 0].into()),
    ));
    let bytes = to_part10_bytes(obj, TransferSyntax::ExplicitVrLittleEndian).unwrap();
    let frame = decode_for_display(&bytes, 1).unwrap();
    assert_eq!(modality(&frame), &[400.0, 300.0, 200.0, 100.0]);
    assert_eq!(
        frame.meta.modality_lut,
        ModalityMapping::Table {
            first_mapped: 0,
            entries: 4
        }
    );
    assert_eq!(frame.meta.units.as_deref(), Some("OD"));
    assert!(frame.meta.has_stored_values);
    // A table is not linear: values are held as f32 (plus the i32 stored values), not compactly.
    assert_eq!(frame.meta.stored_samples, None);
    assert_eq!(frame.meta.stored_value(300.0), None);
    assert_eq!(frame.stored_value(1, 0), Some(2.0));
    assert_eq!(frame.meta.pixel_bytes(), 32);
}

#[test]
fn ybr_full_colour_becomes_rgb8() {
    let mut obj = image("1.7", 1, 1, 8, false, "YBR_FULL");
    obj.put(el(
        tags::SAMPLES_PER_PIXEL,
        VR::US,
        PrimitiveValue::from(3u16),
    ));
    obj.put(el(
        tags::PLANAR_CONFIGURATION,
        VR::US,
        PrimitiveValue::from(0u16),
    ));
    obj.put(el(
        tags::PIXEL_DATA,
        VR::OB,
        PrimitiveValue::U8(vec![100u8, 150, 90].into()),
    ));
    let bytes = to_part10_bytes(obj, TransferSyntax::ExplicitVrLittleEndian).unwrap();
    let frame = decode_for_display(&bytes, 1).unwrap();
    // Y 100, Cb 150, Cr 90: R = 100 + 1.402·(−38) = 46.7, G = 100 − 0.344136·22 − 0.714136·(−38) = 119.6,
    // B = 100 + 1.772·22 = 139.0.
    assert_eq!(frame.pixels, Pixels::Rgb8(vec![47, 120, 139]));
    assert_eq!(
        (frame.meta.format, frame.meta.photometric.as_str()),
        (PixelFormat::Rgb8, "RGB")
    );
    assert_eq!(frame.meta.source_photometric, "YBR_FULL");
    assert_eq!(frame.rgb(0, 0), Some([47, 120, 139]));
    assert_eq!(frame.stored_value(0, 0), None);
}

#[test]
fn palette_color_is_expanded_to_rgb8() {
    let mut obj = image("1.6", 1, 2, 8, false, "PALETTE COLOR");
    let d = PrimitiveValue::from([2u16, 0, 16]);
    for (desc, data, entries) in [
        (
            tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
            tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DATA,
            vec![0u16, 65535],
        ),
        (
            tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
            tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA,
            vec![65535, 0],
        ),
        (
            tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
            tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA,
            vec![0, 32896],
        ),
    ] {
        obj.put(el(desc, VR::US, d.clone()));
        obj.put(el(data, VR::OW, PrimitiveValue::U16(entries.into())));
    }
    obj.put(el(
        tags::PIXEL_DATA,
        VR::OB,
        PrimitiveValue::U8(vec![0u8, 1].into()),
    ));
    let bytes = to_part10_bytes(obj, TransferSyntax::ExplicitVrLittleEndian).unwrap();
    let frame = decode_for_display(&bytes, 1).unwrap();
    // Index 0 → (0, 65535, 0) → green; index 1 → (65535, 0, 32896) → 32896/65535·255 = 128.0.
    assert_eq!(frame.pixels, Pixels::Rgb8(vec![0, 255, 0, 255, 0, 128]));
    assert_eq!(frame.meta.source_photometric, "PALETTE COLOR");
}

#[test]
fn frame_numbers_outside_the_instance_are_errors() {
    let bytes = to_part10_bytes(ct(), TransferSyntax::ExplicitVrLittleEndian).unwrap();
    for n in [0, 2] {
        let err = decode_for_display(&bytes, n).unwrap_err();
        assert!(matches!(err, Error::FrameNumber { count: 1, .. }), "{err}");
    }
}

#[test]
fn truncated_and_non_dicom_bytes_are_errors_not_panics() {
    let bytes = to_part10_bytes(ct(), TransferSyntax::ExplicitVrLittleEndian).unwrap();
    for cut in [0, 10, 132, bytes.len() / 2, bytes.len() - 3] {
        assert!(
            decode_for_display(&bytes[..cut], 1).is_err(),
            "cut at {cut}"
        );
    }
    let err = decode_for_display(b"this is not a DICOM file at all", 1).unwrap_err();
    assert!(err.to_string().contains("not a DICOM file"), "{err}");
}

/// The instance metadata as a WADO-RS server returns it: binary values (Pixel Data) replaced by a BulkDataURI.
fn metadata(obj: &InMemDicomObject) -> serde_json::Value {
    lumen_dicomweb::json::to_dicom_json_with_bulk_data(obj, 0, &|_| {
        "http://pacs/bulk/7FE00010".to_string()
    })
    .unwrap()
}

#[test]
fn native_wado_frame_decodes_with_the_instance_metadata() {
    let meta = metadata(&ct());
    assert!(meta["7FE00010"]["BulkDataURI"].is_string());
    assert_ct_frame(&decode_wado_frame(&ct_le_bytes(), EXPLICIT_LE, &meta, 1).unwrap());
    // Metadata without any Pixel Data attribute works too.
    let mut bare = meta.clone();
    bare.as_object_mut().unwrap().remove("7FE00010");
    assert_ct_frame(&decode_wado_frame(&ct_le_bytes(), EXPLICIT_LE, &bare, 1).unwrap());
}

#[test]
fn rle_wado_frame_decodes_with_the_instance_metadata() {
    // Hand-made RLE Lossless frame (PS3.5 G.3.1) of a 2×2 8-bit image: header with one segment at offset 64;
    // the segment is one literal run, n = 3 → 4 bytes 5, 6, 7, 8.
    let mut frame = Vec::new();
    frame.extend_from_slice(&1u32.to_le_bytes());
    frame.extend_from_slice(&64u32.to_le_bytes());
    frame.resize(64, 0);
    frame.extend_from_slice(&[3, 5, 6, 7, 8, 0]);
    let mut obj = image("1.5", 2, 2, 8, false, "MONOCHROME2");
    obj.put(el(tags::RESCALE_SLOPE, VR::DS, "2"));
    obj.put(el(tags::RESCALE_INTERCEPT, VR::DS, "-1"));
    let decoded = decode_wado_frame(&frame, RLE, &metadata(&obj), 1).unwrap();
    // modality = 2·stored − 1
    assert_eq!(modality(&decoded), &[9.0, 11.0, 13.0, 15.0]);
    assert_eq!(decoded.stored_value(1, 1), Some(8.0));
}

#[test]
fn sixteen_bit_signed_rle_wado_frame_gives_hounsfield_units() {
    let frame = lumen_phantom::rle::encode_frame(&ct_le_bytes(), 2, 2, 1, 2).unwrap();
    let mut obj = ct();
    obj.remove_element(tags::PIXEL_DATA);
    assert_ct_frame(&decode_wado_frame(&frame, RLE, &metadata(&obj), 1).unwrap());
}

#[test]
fn a_wado_frame_beyond_number_of_frames_or_with_bad_metadata_is_an_error() {
    let meta = metadata(&ct());
    assert!(matches!(
        decode_wado_frame(&ct_le_bytes(), EXPLICIT_LE, &meta, 2),
        Err(Error::FrameNumber { .. })
    ));
    assert!(matches!(
        decode_wado_frame(&ct_le_bytes(), EXPLICIT_LE, &serde_json::json!([1, 2]), 1),
        Err(Error::Metadata { .. })
    ));
    // A frame shorter than Rows × Columns × 2 bytes.
    assert!(decode_wado_frame(&ct_le_bytes()[..5], EXPLICIT_LE, &meta, 1).is_err());
    // Garbage labelled as RLE.
    assert!(decode_wado_frame(&[0xFF; 40], RLE, &meta, 1).is_err());
}

#[test]
fn media_types_map_to_transfer_syntaxes() {
    assert_eq!(
        transfer_syntax_for_media_type("application/octet-stream"),
        Some(EXPLICIT_LE)
    );
    assert_eq!(
        transfer_syntax_for_media_type("image/dicom-rle; transfer-syntax=1.2.840.10008.1.2.5"),
        Some(RLE)
    );
    assert_eq!(
        transfer_syntax_for_media_type("Image/JPEG"),
        Some("1.2.840.10008.1.2.4.50")
    );
    assert_eq!(transfer_syntax_for_media_type("text/html"), None);
}

/// The demo's RLE ultrasound cine: frame 5 decoded from the whole file and from its fragment alone (as a
/// WADO-RS `/frames/5` answer) must be identical.
#[test]
fn phantom_rle_cine_frame_decodes_the_same_whole_or_alone() {
    let (manifest, files) =
        lumen_phantom::demo_in_memory(&lumen_phantom::DemoOptions::small()).unwrap();
    let (_, series) = manifest
        .all_series()
        .find(|(_, s)| s.modality == "US" && s.transfer_syntax == TransferSyntax::RleLossless)
        .expect("an RLE cine in the demo");
    let path = &series.instances[0].path;
    let bytes = &files.iter().find(|(p, _)| p == path).unwrap().1;
    let whole = decode_for_display(bytes, 5).unwrap();
    assert_eq!(whole.meta.format, PixelFormat::Rgb8);
    assert_eq!(
        (whole.meta.rows, whole.meta.columns),
        (series.rows, series.columns)
    );

    let file = lumen_dicom::DicomFile::from_bytes(bytes).unwrap();
    let pixel_data = file.object().get(tags::PIXEL_DATA).unwrap();
    let fragment = match pixel_data.value() {
        dicom_core::value::Value::PixelSequence(seq) => seq.fragments()[4].clone(),
        _ => panic!("not encapsulated"),
    };
    let alone = decode_wado_frame(&fragment, RLE, &metadata(file.object()), 5).unwrap();
    assert_eq!(alone.pixels, whole.pixels);
    assert_eq!(alone.meta, whole.meta);
}

/// The demo CT: modality values are HU (stored − 1024), with the phantom's window presets.
#[test]
fn phantom_ct_slice_has_hounsfield_units_and_window_presets() {
    let (manifest, files) =
        lumen_phantom::demo_in_memory(&lumen_phantom::DemoOptions::small()).unwrap();
    let (_, series) = manifest
        .all_series()
        .find(|(_, s)| {
            s.modality == "CT" && s.transfer_syntax == TransferSyntax::ExplicitVrLittleEndian
        })
        .unwrap();
    let path = &series.instances[0].path;
    let bytes = &files.iter().find(|(p, _)| p == path).unwrap().1;
    let frame = decode_for_display(bytes, 1).unwrap();
    assert_eq!(frame.meta.units.as_deref(), Some("HU"));
    assert_eq!(
        frame.meta.modality_lut,
        ModalityMapping::Rescale {
            slope: 1.0,
            intercept: -1024.0
        }
    );
    assert!(frame.meta.windows.len() >= 2, "{:?}", frame.meta.windows);
    let file = lumen_dicom::DicomFile::from_bytes(bytes).unwrap();
    let stored = file.decode_frame(0).unwrap();
    for (i, v) in modality(&frame).iter().enumerate().step_by(97) {
        assert_eq!(*v as f64, stored.samples.get(i).unwrap() - 1024.0);
    }
}

/// An enhanced multi-frame instance fetched frame by frame: frame 2's rescale, window and plane come from its
/// own Per-frame Functional Groups item, spacing and orientation from the shared groups.
#[test]
fn enhanced_multi_frame_wado_frame_uses_its_own_functional_groups() {
    let per_frame = |z: f64, intercept: &str, slope: &str, window: Option<(f64, f64)>| {
        let mut item = serde_json::json!({
            "00209113": {"vr": "SQ", "Value": [{"00200032": {"vr": "DS", "Value": [0, 0, z]}}]},
            "00289145": {"vr": "SQ", "Value": [{
                "00281052": {"vr": "DS", "Value": [intercept]},
                "00281053": {"vr": "DS", "Value": [slope]},
                "00281054": {"vr": "LO", "Value": ["HU"]}
            }]}
        });
        if let Some((c, w)) = window {
            item["00289132"] = serde_json::json!({"vr": "SQ", "Value": [{
                "00281050": {"vr": "DS", "Value": [c]},
                "00281051": {"vr": "DS", "Value": [w]}
            }]});
        }
        item
    };
    let meta = serde_json::json!({
        "00080018": {"vr": "UI", "Value": ["1.2.840.99.1"]},
        "00280002": {"vr": "US", "Value": [1]},
        "00280004": {"vr": "CS", "Value": ["MONOCHROME2"]},
        "00280008": {"vr": "IS", "Value": ["2"]},
        "00280010": {"vr": "US", "Value": [1]},
        "00280011": {"vr": "US", "Value": [2]},
        "00280100": {"vr": "US", "Value": [16]},
        "00280101": {"vr": "US", "Value": [16]},
        "00280102": {"vr": "US", "Value": [15]},
        "00280103": {"vr": "US", "Value": [0]},
        "52009229": {"vr": "SQ", "Value": [{
            "00209116": {"vr": "SQ", "Value": [{"00200037": {"vr": "DS", "Value": [1, 0, 0, 0, 1, 0]}}]},
            "00289110": {"vr": "SQ", "Value": [{"00280030": {"vr": "DS", "Value": [0.8, 0.8]}}]}
        }]},
        "52009230": {"vr": "SQ", "Value": [
            per_frame(0.0, "-1000", "1", None),
            per_frame(5.0, "-500", "2", Some((50.0, 350.0)))
        ]},
        "7FE00010": {"vr": "OW", "BulkDataURI": "http://pacs/frames"}
    });
    let frame_bytes: Vec<u8> = [100u16, 200].iter().flat_map(|v| v.to_le_bytes()).collect();
    let frame = decode_wado_frame(&frame_bytes, EXPLICIT_LE, &meta, 2).unwrap();
    // Frame 2: modality = 2·stored − 500 → 100 ↦ −300, 200 ↦ −100.
    assert_eq!(modality(&frame), &[-300.0, -100.0]);
    assert_eq!(
        frame.meta.modality_lut,
        ModalityMapping::Rescale {
            slope: 2.0,
            intercept: -500.0
        }
    );
    assert_eq!(frame.meta.units.as_deref(), Some("HU"));
    assert_eq!(
        (
            frame.meta.default_window.center,
            frame.meta.default_window.width
        ),
        (50.0, 350.0)
    );
    assert_eq!(
        frame.meta.image_plane.as_ref().map(|p| p.position),
        Some([0.0, 0.0, 5.0])
    );
    assert_eq!(frame.meta.pixel_spacing, Some([0.8, 0.8]));
    assert_eq!(frame.meta.key, FrameKey::new("1.2.840.99.1", 2));
    assert_eq!(frame.stored_value(1, 0), Some(200.0));
    // Frame 1: its own rescale, no window → full range −900..−800.
    let first = decode_wado_frame(&frame_bytes, EXPLICIT_LE, &meta, 1).unwrap();
    assert_eq!(modality(&first), &[-900.0, -800.0]);
    let w = &first.meta.default_window;
    assert_eq!(
        (w.center, w.width, w.function),
        (-850.0, 100.0, WindowFunction::LinearExact)
    );
}
