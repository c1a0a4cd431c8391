//! Decodes every fixture codestream made by dcmtk's `dcmcjpls` or by CharLS (see `fixtures/regenerate.py`) and
//! compares the samples byte for byte with the reference decode of the same codestream (`dcmdjpls`, or CharLS
//! for the `charls_*` fixtures). Must not need dcmtk or CharLS to run.

use lumen_codec_jpegls::{decode, InterleaveMode, Samples};
use std::path::PathBuf;

fn fixture(name: &str) -> (Vec<u8>, Vec<u8>) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let jls = std::fs::read(dir.join(format!("{name}.jls"))).expect("fixture codestream");
    let raw = std::fs::read(dir.join(format!("{name}.raw"))).expect("fixture reference decode");
    (jls, raw)
}

fn le_bytes(samples: &Samples) -> Vec<u8> {
    match samples {
        Samples::U8(v) => v.clone(),
        Samples::U16(v) => v.iter().flat_map(|s| s.to_le_bytes()).collect(),
    }
}

/// Decode fixture `name` and check size, precision, components, NEAR and interleave against expectations.
fn check(
    name: &str,
    width: u32,
    height: u32,
    bits: u8,
    components: u8,
    near: u16,
    ilv: InterleaveMode,
) {
    let (jls, raw) = fixture(name);
    let image = decode(&jls).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(image.info.width, width, "{name}");
    assert_eq!(image.info.height, height, "{name}");
    assert_eq!(image.info.bits_per_sample, bits, "{name}");
    assert_eq!(image.info.components, components, "{name}");
    assert_eq!(image.near, near, "{name}");
    assert_eq!(image.interleave, ilv, "{name}");
    let got = le_bytes(&image.samples);
    assert_eq!(got.len(), raw.len(), "{name}: decoded size");
    if let Some(i) = got.iter().zip(&raw).position(|(a, b)| a != b) {
        panic!(
            "{name}: first difference with dcmdjpls at byte {i}: {} ≠ {}",
            got[i], raw[i]
        );
    }
}

#[test]
fn one_pixel_eight_bit() {
    check("mono8_1x1", 1, 1, 8, 1, 0, InterleaveMode::None);
}

#[test]
fn odd_size_eight_bit() {
    check("mono8_7x3", 7, 3, 8, 1, 0, InterleaveMode::None);
}

#[test]
fn wide_eight_bit_with_runs_ramps_and_noise() {
    check("mono8_513x17", 513, 17, 8, 1, 0, InterleaveMode::None);
}

#[test]
fn near_lossless_eight_bit() {
    check("mono8_513x17_near2", 513, 17, 8, 1, 2, InterleaveMode::None);
}

#[test]
fn five_bit_values_in_eight_bit_precision() {
    check("mono5_31x9", 31, 9, 8, 1, 0, InterleaveMode::None);
}

#[test]
fn twelve_bit_lossless() {
    // dcmcjpls codes lossless 12-bit data with the precision of Bits Allocated (P = 16).
    check("mono12_513x17", 513, 17, 16, 1, 0, InterleaveMode::None);
}

#[test]
fn twelve_bit_near_lossless() {
    check(
        "mono12_100x40_near2",
        100,
        40,
        12,
        1,
        2,
        InterleaveMode::None,
    );
}

#[test]
fn sixteen_bit_full_range_with_preset_parameters() {
    check("mono16_97x31", 97, 31, 16, 1, 0, InterleaveMode::None);
}

#[test]
fn one_pixel_sixteen_bit() {
    check("mono16_1x1", 1, 1, 16, 1, 0, InterleaveMode::None);
}

#[test]
fn rgb_not_interleaved_three_scans() {
    check("rgb8_33x17_none", 33, 17, 8, 3, 0, InterleaveMode::None);
}

#[test]
fn rgb_line_interleaved() {
    check("rgb8_33x17_line", 33, 17, 8, 3, 0, InterleaveMode::Line);
}

#[test]
fn rgb_sample_interleaved() {
    check("rgb8_33x17_sample", 33, 17, 8, 3, 0, InterleaveMode::Sample);
}

#[test]
fn rgb_sample_interleaved_odd_size() {
    check("rgb8_7x3_sample", 7, 3, 8, 3, 0, InterleaveMode::Sample);
}

#[test]
fn rgb_near_lossless_each_interleave_mode() {
    check(
        "rgb8_65x21_none_near2",
        65,
        21,
        8,
        3,
        2,
        InterleaveMode::None,
    );
    check(
        "rgb8_65x21_line_near2",
        65,
        21,
        8,
        3,
        2,
        InterleaveMode::Line,
    );
    check(
        "rgb8_65x21_sample_near2",
        65,
        21,
        8,
        3,
        2,
        InterleaveMode::Sample,
    );
}

// Streams dcmtk cannot make, encoded with CharLS (see regenerate.py); the reference is CharLS's decode.

#[test]
fn two_bit_precision() {
    check("charls_mono2_13x7", 13, 7, 2, 1, 0, InterleaveMode::None);
}

#[test]
fn five_bit_precision_uses_the_small_maxval_thresholds() {
    check("charls_mono5_31x9", 31, 9, 5, 1, 0, InterleaveMode::None);
}

#[test]
fn seven_bit_near_lossless() {
    check(
        "charls_mono7_40x10_near1",
        40,
        10,
        7,
        1,
        1,
        InterleaveMode::None,
    );
}

#[test]
fn ten_bit_precision() {
    check(
        "charls_mono10_64x12",
        64,
        12,
        10,
        1,
        0,
        InterleaveMode::None,
    );
}

#[test]
fn four_components_sample_and_line_interleaved() {
    check(
        "charls_rgba8_17x9_sample",
        17,
        9,
        8,
        4,
        0,
        InterleaveMode::Sample,
    );
    check(
        "charls_rgba8_17x9_line",
        17,
        9,
        8,
        4,
        0,
        InterleaveMode::Line,
    );
}

#[test]
fn restart_markers_every_four_lines() {
    check(
        "charls_mono8_513x17_restart4",
        513,
        17,
        8,
        1,
        0,
        InterleaveMode::None,
    );
}

#[test]
fn restart_markers_in_a_line_interleaved_colour_scan() {
    check(
        "charls_rgb8_33x17_line_restart5",
        33,
        17,
        8,
        3,
        0,
        InterleaveMode::Line,
    );
}
