//! Parsing and decoding of every transfer syntax lumen-dicom supports, on the small fixtures of
//! `tests/fixtures/` (made by `make_fixtures.py` with dcmtk and GDCM). Lossless syntaxes must give back the
//! source pattern exactly; lossy JPEG must equal dcmtk's decode byte for byte, other lossy syntaxes stay within 1
//! of the reference toolkit's decode. Unsupported syntaxes and broken files must give clear errors, never panics.

use lumen_dicom::display::{self, DisplayParams};
use lumen_dicom::{DicomFile, Error, PhotometricInterpretation, Samples};
use std::path::PathBuf;

const N: usize = 16;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn open(name: &str) -> DicomFile {
    DicomFile::open(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The CT pattern: 12-bit signed values covering the whole range.
fn ct_pattern() -> Vec<i16> {
    (0..N)
        .flat_map(|y| (0..N).map(move |x| ((x * 131 + y * 71) % 4096) as i16 - 2048))
        .collect()
}

fn mono8_pattern(frame: usize) -> Vec<u8> {
    (0..N)
        .flat_map(|y| (0..N).map(move |x| ((x * 8 + y * 4 + frame * 40) % 256) as u8))
        .collect()
}

fn rgb8_pattern() -> Vec<u8> {
    (0..N)
        .flat_map(|y| {
            (0..N).flat_map(move |x| [(x * 16) as u8, (y * 16) as u8, ((x + y) * 8) as u8])
        })
        .collect()
}

fn max_abs_diff(a: &[u8], b: &[u8]) -> i32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(&x, &y)| (x as i32 - y as i32).abs())
        .max()
        .unwrap_or(0)
}

#[test]
fn ct_decodes_exactly_in_every_lossless_syntax() {
    for name in [
        "ct12s.dcm",
        "ct12s_implicit.dcm",
        "ct12s_bigendian.dcm",
        "ct12s_deflated.dcm",
        "ct12s_rle.dcm",
        "ct12s_jpeg57.dcm",
        "ct12s_jpeg70.dcm",
        "ct12s_j2k90.dcm",
    ] {
        let file = open(name);
        let info = file.image_info().unwrap();
        assert_eq!(
            (
                info.rows,
                info.columns,
                info.bits_allocated,
                info.bits_stored
            ),
            (16, 16, 16, 12),
            "{name}"
        );
        let frame = file
            .decode_frame(0)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            frame.samples,
            Samples::I16(ct_pattern()),
            "{name} ({})",
            file.transfer_syntax_name()
        );
    }
}

#[test]
fn ct_display_uses_rescale_and_first_window() {
    let file = open("ct12s.dcm");
    let frame = file.decode_frame(0).unwrap();
    let params = DisplayParams::from_file(&file, &frame).unwrap();
    // stored 1064 → 40 HU
    assert_eq!(params.modality_value(1064.0), 40.0);
    assert_eq!(
        params.voi,
        Some(display::Voi::Window(display::Window {
            explanation: Some("SOFT".into()),
            ..display::Window::linear(40.0, 400.0)
        }))
    );
    let choices = display::voi_choices(file.object(), 0, true).unwrap();
    assert_eq!(choices[1].explanation(), Some("BONE"));
    let img = display::render_gray8(&frame, &params).unwrap();
    // pixel (0,0) stores -2048 → -3072 HU → black
    assert_eq!(img.data[0], 0);
    let plane = lumen_dicom::geometry::ImagePlane::from_object(file.object(), 0).unwrap();
    assert_eq!(plane.edge_labels().left, "R");
}

#[test]
fn rgb_decodes_exactly_in_lossless_syntaxes() {
    for name in [
        "rgb8.dcm",
        "rgb8_rle.dcm",
        "rgb8_jpeg70.dcm",
        "rgb8_j2k90.dcm",
    ] {
        let file = open(name);
        let frame = file
            .decode_frame(0)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            frame.photometric_interpretation,
            PhotometricInterpretation::Rgb,
            "{name}"
        );
        assert_eq!(frame.samples, Samples::U8(rgb8_pattern()), "{name}");
    }
}

fn decode_all(file: &DicomFile) -> Vec<u8> {
    let mut decoded = Vec::new();
    for i in 0..file.number_of_frames() {
        let frame = file
            .decode_frame(i)
            .unwrap_or_else(|e| panic!("frame {i}: {e}"));
        // YBR_FULL and YBR_FULL_422 come out of the JPEG decoder as RGB.
        if frame.samples_per_pixel == 3 {
            assert_eq!(
                frame.photometric_interpretation,
                PhotometricInterpretation::Rgb
            );
        }
        decoded.extend(frame.samples.to_le_bytes());
    }
    decoded
}

#[test]
fn jpeg_baseline_monochrome_equals_the_reference_decoder() {
    // lumen-codec-jpeg reproduces libjpeg's integer IDCT, so the decode is dcmdjpeg's byte for byte.
    for (name, reference) in [
        ("mono8_jpeg50.dcm", "mono8_jpeg50.ref.raw"),
        ("multi8_jpeg50.dcm", "multi8_jpeg50.ref.raw"),
    ] {
        let decoded = decode_all(&open(name));
        let expected = std::fs::read(fixture(reference)).unwrap();
        println!(
            "{name}: max abs diff to dcmdjpeg = {}",
            max_abs_diff(&decoded, &expected)
        );
        assert!(decoded == expected, "{name} differs from dcmdjpeg");
    }
}

#[test]
fn jpeg_baseline_colour_equals_the_reference_decoder() {
    // YBR_FULL_422 (4:2:2, libjpeg's "fancy" upsampling) and YBR_FULL (4:4:4) with libjpeg's fixed-point
    // YCbCr→RGB: byte for byte what dcmdjpeg decodes.
    for (name, reference) in [
        ("rgb8_jpeg50.dcm", "rgb8_jpeg50.ref.raw"),
        ("rgb8_jpeg50_444.dcm", "rgb8_jpeg50_444.ref.raw"),
    ] {
        let decoded = decode_all(&open(name));
        let expected = std::fs::read(fixture(reference)).unwrap();
        println!(
            "{name}: max abs diff to dcmdjpeg = {}",
            max_abs_diff(&decoded, &expected)
        );
        assert!(decoded == expected, "{name} differs from dcmdjpeg");
    }
}

#[test]
fn jpeg_extended_12_bit_equals_the_reference_decoder() {
    // dcmcjpeg stored the signed CT pattern as unsigned 12-bit with Rescale Intercept -4095 (instead of -1024).
    let file = open("ct12s_jpeg51.dcm");
    let frame = file.decode_frame(0).unwrap();
    assert_eq!(
        frame.photometric_interpretation,
        PhotometricInterpretation::Monochrome2
    );
    let decoded = frame.samples.to_le_bytes();
    assert_eq!(
        decoded,
        std::fs::read(fixture("ct12s_jpeg51.ref.raw")).unwrap()
    );
    // Lossy, but close to the source in Hounsfield units.
    let Samples::U16(stored) = &frame.samples else {
        panic!("12-bit unsigned samples expected, got {:?}", frame.samples)
    };
    let hu_error = stored
        .iter()
        .zip(ct_pattern())
        .map(|(&s, source)| (i32::from(s) - 4095 - (i32::from(source) - 1024)).abs())
        .max()
        .unwrap();
    println!("ct12s_jpeg51: max error to the source = {hu_error} HU");
    assert!(hu_error <= 4, "{hu_error} HU");
}

#[test]
fn jpeg_ls_lossless_gives_back_the_source_pattern() {
    let frame = open("ct12s_jpegls80.dcm").decode_frame(0).unwrap();
    assert_eq!(frame.samples, Samples::I16(ct_pattern()));
    assert_eq!(
        frame.photometric_interpretation,
        PhotometricInterpretation::Monochrome2
    );
}

#[test]
fn jpeg_ls_near_lossless_equals_the_reference_decoder_and_stays_within_near() {
    // Near-lossless decoding is deterministic: byte for byte what dcmdjpls decodes, and within NEAR = 2 (dcmcjpls
    // +en default) of the source.
    let decoded = decode_all(&open("mono8_jpegls81.dcm"));
    assert_eq!(
        decoded,
        std::fs::read(fixture("mono8_jpegls81.ref.raw")).unwrap()
    );
    let diff = max_abs_diff(&decoded, &mono8_pattern(0));
    assert!((1..=2).contains(&diff), "max abs diff to the source {diff}");
}

#[test]
fn lossy_jpeg_2000_is_within_one_of_the_reference_decoder() {
    let file = open("multi8_j2k91.dcm");
    let expected = std::fs::read(fixture("multi8_j2k91.ref.raw")).unwrap();
    let decoded: Vec<u8> = (0..3)
        .flat_map(|i| file.decode_frame(i).unwrap().samples.to_le_bytes())
        .collect();
    let diff = max_abs_diff(&decoded, &expected);
    println!("multi8_j2k91: max abs diff to gdcmconv = {diff}");
    assert!(diff <= 1);
}

#[test]
fn multi_frame_frames_decode_independently() {
    for name in ["multi8.dcm", "multi8_rle.dcm"] {
        let file = open(name);
        assert_eq!(file.number_of_frames(), 3);
        // the last frame alone, then the first
        for i in [2u32, 0, 1] {
            let frame = file.decode_frame(i).unwrap();
            assert_eq!(frame.index, i);
            assert_eq!(
                frame.samples,
                Samples::U8(mono8_pattern(i as usize)),
                "{name} frame {i}"
            );
        }
        let err = file.decode_frame(3).unwrap_err();
        assert!(
            matches!(err, Error::FrameOutOfRange { index: 3, count: 3 }),
            "{err}"
        );
    }
}

#[test]
fn unsupported_syntaxes_say_so_by_name() {
    // No fixture is in a syntax without a decoder: relabel the JPEG Extended file as JPEG 2000 Part 2 (same UID
    // length, so the File Meta Information stays valid).
    let (from, uid) = (b"1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.93");
    let mut bytes = std::fs::read(fixture("ct12s_jpeg51.dcm")).unwrap();
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("transfer syntax UID in the file meta");
    bytes[at..at + from.len()].copy_from_slice(uid.as_bytes());
    let file = DicomFile::from_bytes(&bytes).unwrap();
    // the data set itself is readable
    assert_eq!(
        file.string(dicom_dictionary_std::tags::PATIENT_ID)
            .as_deref(),
        Some("LUMEN-1")
    );
    let err = file.decode_frame(0).unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, Error::UnsupportedTransferSyntax { .. }),
        "{text}"
    );
    assert!(
        text.contains(uid) && text.contains("is not supported yet"),
        "{text}"
    );
}

#[test]
fn file_without_preamble_parses() {
    let bytes = std::fs::read(fixture("ct12s.dcm")).unwrap();
    let file = DicomFile::from_bytes(&bytes[128..]).unwrap();
    assert!(file.has_file_meta());
    assert_eq!(
        file.decode_frame(0).unwrap().samples,
        Samples::I16(ct_pattern())
    );
}

/// The data set bytes of a Part 10 file (everything after the File Meta Information group).
fn dataset_bytes(name: &str) -> Vec<u8> {
    let bytes = std::fs::read(fixture(name)).unwrap();
    // (0002,0000) UL group length at offset 132: value at 140..144
    let group_len = u32::from_le_bytes([bytes[140], bytes[141], bytes[142], bytes[143]]) as usize;
    bytes[144 + group_len..].to_vec()
}

#[test]
fn bare_datasets_are_sniffed_as_implicit_or_explicit_little_endian() {
    for (name, uid) in [
        ("ct12s_implicit.dcm", "1.2.840.10008.1.2"),
        ("ct12s.dcm", "1.2.840.10008.1.2.1"),
    ] {
        let file =
            DicomFile::from_bytes(&dataset_bytes(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!file.has_file_meta());
        assert_eq!(file.transfer_syntax(), uid, "{name}");
        assert_eq!(
            file.sop_instance_uid().as_deref(),
            Some("1.2.826.0.1.3680043.10.1234.10")
        );
        assert_eq!(
            file.decode_frame(0).unwrap().samples,
            Samples::I16(ct_pattern()),
            "{name}"
        );
    }
}

#[test]
fn bare_big_endian_dataset_is_sniffed() {
    let file = DicomFile::from_bytes(&dataset_bytes("ct12s_bigendian.dcm")).unwrap();
    assert_eq!(file.transfer_syntax(), "1.2.840.10008.1.2.2");
    assert_eq!(
        file.decode_frame(0).unwrap().samples,
        Samples::I16(ct_pattern())
    );
}

#[test]
fn meta_group_without_preamble_or_magic_parses() {
    let bytes = std::fs::read(fixture("ct12s_rle.dcm")).unwrap();
    let file = DicomFile::from_bytes(&bytes[132..]).unwrap();
    assert!(file.has_file_meta());
    assert_eq!(file.transfer_syntax(), "1.2.840.10008.1.2.5");
    assert_eq!(
        file.decode_frame(0).unwrap().samples,
        Samples::I16(ct_pattern())
    );
}

#[test]
fn accessors_return_trimmed_values_and_uids() {
    let file = open("ct12s_deflated.dcm");
    assert_eq!(file.transfer_syntax(), "1.2.840.10008.1.2.1.99");
    assert_eq!(
        file.transfer_syntax_name(),
        "Deflated Explicit VR Little Endian"
    );
    assert_eq!(
        file.string(dicom_dictionary_std::tags::PATIENT_NAME)
            .as_deref(),
        Some("TEST^FIXTURE")
    );
    assert_eq!(
        file.sop_class_uid().as_deref(),
        Some("1.2.840.10008.5.1.4.1.1.2")
    );
    assert_eq!(
        file.study_instance_uid().as_deref(),
        Some("1.2.826.0.1.3680043.10.1234.1")
    );
    assert_eq!(
        file.series_instance_uid().as_deref(),
        Some("1.2.826.0.1.3680043.10.1234.2")
    );
    assert_eq!(
        file.numbers(dicom_dictionary_std::tags::WINDOW_WIDTH),
        vec![400.0, 1500.0]
    );
    assert_eq!(
        file.number(dicom_dictionary_std::tags::RESCALE_INTERCEPT),
        Some(-1024.0)
    );
}

#[test]
fn not_dicom_is_reported() {
    let err = DicomFile::from_bytes(b"\x89PNG\r\n\x1a\n not a dicom file at all").unwrap_err();
    assert!(matches!(err, Error::NotDicom { .. }), "{err}");
    let err = DicomFile::from_bytes(b"tiny").unwrap_err();
    assert!(matches!(err, Error::NotDicom { .. }), "{err}");
}

#[test]
fn truncated_files_are_reported_as_truncated() {
    let bytes = std::fs::read(fixture("ct12s.dcm")).unwrap();
    // cut inside the pixel data, then inside the data set header area
    for cut in [bytes.len() - 100, 400] {
        match DicomFile::from_bytes(&bytes[..cut]) {
            Err(Error::Truncated { .. }) => {}
            Err(other) => panic!("cut at {cut}: expected truncation, got {other}"),
            Ok(file) => {
                let err = file.decode_frame(0).unwrap_err();
                assert!(
                    matches!(
                        err,
                        Error::Truncated { .. }
                            | Error::MissingPixelData
                            | Error::MissingAttribute { .. }
                    ),
                    "cut at {cut}: {err}"
                );
            }
        }
    }
}

#[test]
fn missing_pixel_data_is_reported() {
    let bytes = dataset_bytes("ct12s.dcm");
    // find the Pixel Data tag (7FE0,0010) and cut right before it
    let pos = bytes
        .windows(4)
        .position(|w| w == [0xE0, 0x7F, 0x10, 0x00])
        .unwrap();
    let file = DicomFile::from_bytes(&bytes[..pos]).unwrap();
    let err = file.decode_frame(0).unwrap_err();
    assert!(matches!(err, Error::MissingPixelData), "{err}");
    assert!(err.to_string().contains("Pixel Data (7FE0,0010)"));
}

#[test]
fn corrupt_compressed_frames_are_errors_not_panics() {
    for name in [
        "ct12s_jpeg70.dcm",
        "ct12s_j2k90.dcm",
        "ct12s_rle.dcm",
        "rgb8_jpeg50.dcm",
    ] {
        let mut bytes = std::fs::read(fixture(name)).unwrap();
        // garble the second half of the file, which is inside the codestream
        let len = bytes.len();
        for (i, b) in bytes[len / 2..len - 8].iter_mut().enumerate() {
            *b = (i * 37 % 251) as u8;
        }
        if let Ok(file) = DicomFile::from_bytes(&bytes) {
            // Either a decode error, or (if the codec tolerates the damage) some frame: never a panic.
            let _ = file.decode_frame(0);
        }
    }
}

/// A Part 10 file with the data set of `name` and a File Meta Information group naming `ts_uid`.
fn with_transfer_syntax(name: &str, ts_uid: &str) -> Vec<u8> {
    let meta = dicom_object::FileMetaTableBuilder::new()
        .transfer_syntax(ts_uid)
        .media_storage_sop_class_uid("1.2.840.10008.5.1.4.1.1.2")
        .media_storage_sop_instance_uid("1.2.826.0.1.3680043.10.1234.10")
        .build()
        .unwrap();
    let mut bytes = vec![0u8; 128];
    bytes.extend_from_slice(b"DICM");
    meta.write(&mut bytes).unwrap();
    bytes.extend(dataset_bytes(name));
    bytes
}

#[test]
fn jpip_and_unknown_syntaxes_parse_but_do_not_decode() {
    for (uid, name) in [
        // HTJ2K itself (.201-.203) decodes: tests/htj2k.rs
        ("1.2.840.10008.1.2.4.204", "JPIP HTJ2K Referenced"),
        ("1.2.840.10008.1.2.4.94", "JPIP Referenced"),
        ("1.2.826.0.1.3680043.10.1234.99", "unknown transfer syntax"),
    ] {
        let file = DicomFile::from_bytes(&with_transfer_syntax("ct12s_rle.dcm", uid))
            .unwrap_or_else(|e| panic!("{uid}: {e}"));
        assert_eq!(file.transfer_syntax(), uid);
        assert_eq!(
            file.string(dicom_dictionary_std::tags::PATIENT_ID)
                .as_deref(),
            Some("LUMEN-1")
        );
        let err = file.decode_frame(0).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("transfer syntax {uid} ({name}) is not supported yet")
        );
    }
}

#[test]
fn sop_class_is_named() {
    assert_eq!(open("ct12s.dcm").sop_class_name(), Some("CT Image Storage"));
}

#[test]
fn every_truncation_of_every_fixture_is_an_error_or_a_frame_never_a_panic() {
    for entry in std::fs::read_dir(fixture("")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("dcm") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        for k in 1..40 {
            let cut = bytes.len() * k / 40;
            if let Ok(file) = DicomFile::from_bytes(&bytes[..cut]) {
                for i in 0..file.number_of_frames().min(4) {
                    let _ = file.decode_frame(i);
                }
            }
        }
    }
}

#[test]
fn frames_fetched_alone_decode_like_frames_in_a_file() {
    // What a DICOMweb client gets from …/frames/2: the RLE-encoded second frame and the instance metadata.
    let file = open("multi8_rle.dcm");
    let info = file.image_info().unwrap();
    let Some(dicom_core::value::Value::PixelSequence(seq)) = file
        .object()
        .get(dicom_dictionary_std::tags::PIXEL_DATA)
        .map(|e| e.value())
    else {
        panic!("encapsulated pixel data expected");
    };
    let data = &seq.fragments()[1];
    let frame =
        lumen_dicom::decode::decode_frame_data(data, "1.2.840.10008.1.2.5", &info, 1).unwrap();
    assert_eq!(frame.samples, Samples::U8(mono8_pattern(1)));
    // a native frame
    let native = mono8_pattern(2);
    let frame =
        lumen_dicom::decode::decode_frame_data(&native, "1.2.840.10008.1.2.1", &info, 2).unwrap();
    assert_eq!(frame.samples, Samples::U8(mono8_pattern(2)));
    // too short
    assert!(
        lumen_dicom::decode::decode_frame_data(&native[..10], "1.2.840.10008.1.2.1", &info, 2)
            .is_err()
    );
}
