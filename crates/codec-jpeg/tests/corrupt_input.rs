//! Truncated, corrupted and unsupported codestreams must give an error — never a panic, never an allocation the
//! header alone asks for — and each error must say what is wrong.

use lumen_codec_jpeg::{decode, read_frame_info, DecodeOptions, Error};
use std::path::PathBuf;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/{name}.jpg"));
    std::fs::read(path).expect("fixture codestream")
}

const FIXTURES: [&str; 4] = [
    "mono8_37x23_q90",
    "mono12_45x29_q90",
    "rgb8_41x27_420_restart1",
    "rgb8_41x27_420_scans",
];

/// Position of the first occurrence of marker FFxx.
fn marker(data: &[u8], code: u8) -> usize {
    data.windows(2)
        .position(|w| w == [0xFF, code])
        .expect("marker present")
}

#[test]
fn every_truncation_is_an_error() {
    for name in FIXTURES {
        let data = fixture(name);
        // Without only the EOI marker the image is complete (libjpeg accepts it too); shorter is an error.
        assert!(
            decode(&data[..data.len() - 2], &DecodeOptions::default()).is_ok(),
            "{name}"
        );
        for len in 0..data.len() - 2 {
            let result = decode(&data[..len], &DecodeOptions::default());
            assert!(result.is_err(), "{name} cut to {len} bytes decoded");
        }
    }
}

#[test]
fn corrupted_bytes_never_panic() {
    for name in FIXTURES {
        let data = fixture(name);
        for i in 0..data.len() {
            for value in [0x00, 0xFF, data[i] ^ 0x5A, data[i].wrapping_add(1)] {
                let mut bad = data.clone();
                bad[i] = value;
                let _ = decode(&bad, &DecodeOptions::default());
                let _ = read_frame_info(&bad);
            }
        }
    }
}

#[test]
fn corrupt_entropy_data_is_reported() {
    // All-ones entropy-coded data is no valid Huffman code of dcmcjpeg's optimised tables, or it overruns.
    let mut data = fixture("mono8_37x23_q90");
    let start = marker(&data, 0xDA) + 2 + 10;
    let end = data.len() - 2;
    for b in &mut data[start..end] {
        *b = 0xFE;
    }
    let err = decode(&data, &DecodeOptions::default()).unwrap_err();
    assert!(
        matches!(err, Error::CorruptData { .. } | Error::Truncated { .. }),
        "{err}"
    );
}

#[test]
fn not_a_jpeg() {
    let err = decode(b"GIF89a", &DecodeOptions::default()).unwrap_err();
    assert_eq!(err, Error::NotJpeg);
    assert!(err.to_string().contains("SOI"));
}

#[test]
fn progressive_lossless_and_arithmetic_frames_are_unsupported_by_name() {
    let data = fixture("mono8_37x23_q90");
    let sof = marker(&data, 0xC0);
    for (code, words) in [
        (0xC2, "progressive"),
        (0xC3, "lossless"),
        (0xC9, "arithmetic"),
    ] {
        let mut bad = data.clone();
        bad[sof + 1] = code;
        let err = decode(&bad, &DecodeOptions::default()).unwrap_err();
        assert!(matches!(err, Error::Unsupported { .. }), "{err}");
        assert!(err.to_string().contains(words), "{err}");
    }
}

#[test]
fn precision_other_than_8_or_12_is_invalid() {
    let data = fixture("mono12_45x29_q90");
    let sof = marker(&data, 0xC1);
    let mut bad = data.clone();
    bad[sof + 4] = 16;
    let err = decode(&bad, &DecodeOptions::default()).unwrap_err();
    assert!(err.to_string().contains("16-bit samples"), "{err}");
}

#[test]
fn twelve_bit_labelled_baseline_decodes_like_libjpeg() {
    // T.81 forbids 12-bit SOF0, libjpeg decodes it anyway; so does this decoder, with the same samples.
    let data = fixture("mono12_45x29_q90");
    let sof = marker(&data, 0xC1);
    let mut relabelled = data.clone();
    relabelled[sof + 1] = 0xC0;
    let image = decode(&relabelled, &DecodeOptions::default()).unwrap();
    assert_eq!(image.info.process, lumen_codec_jpeg::Process::Baseline);
    assert_eq!(
        image.samples,
        decode(&data, &DecodeOptions::default()).unwrap().samples
    );
}

#[test]
fn height_zero_needs_dnl_which_is_unsupported() {
    let mut data = fixture("mono8_37x23_q90");
    let sof = marker(&data, 0xC0);
    data[sof + 5] = 0;
    data[sof + 6] = 0;
    let err = decode(&data, &DecodeOptions::default()).unwrap_err();
    assert!(err.to_string().contains("DNL"), "{err}");
}

#[test]
fn huge_dimensions_are_refused_before_allocating() {
    let mut data = fixture("rgb8_41x27_420_restart1");
    let sof = marker(&data, 0xC0);
    data[sof + 5..sof + 9].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
    let err = decode(&data, &DecodeOptions::default()).unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err}");
    // The frame header alone is still readable.
    let info = read_frame_info(&data).unwrap();
    assert_eq!(
        (info.width, info.height, info.components),
        (65535, 65535, 3)
    );
    // A small limit refuses even a small image.
    let small = DecodeOptions {
        max_bytes: 1000,
        ..DecodeOptions::default()
    };
    let err = decode(&fixture("mono8_37x23_q90"), &small).unwrap_err();
    assert!(matches!(err, Error::TooLarge { limit: 1000, .. }), "{err}");
}

#[test]
fn a_scan_needs_its_huffman_tables() {
    let mut data = fixture("mono8_37x23_q90");
    let sos = marker(&data, 0xDA);
    data[sos + 6] = 0x33; // DC table 3, AC table 3: never defined
    let err = decode(&data, &DecodeOptions::default()).unwrap_err();
    assert!(err.to_string().contains("not defined"), "{err}");
}

#[test]
fn missing_restart_marker_is_an_error() {
    let data = fixture("mono8_50x30_restart1");
    let rst = marker(&data, 0xD0);
    let mut bad = data.clone();
    bad.drain(rst..rst + 2);
    assert!(decode(&bad, &DecodeOptions::default()).is_err());
}
