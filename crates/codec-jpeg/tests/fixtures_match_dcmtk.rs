//! Decodes every fixture codestream (made by dcmtk's dcmcjpeg or by libjpeg through `fixtures/encode.c`, see
//! `fixtures/regenerate.py`) and compares the samples byte for byte with dcmtk's `dcmdjpeg` decode of the same
//! codestream — YCbCr converted to RGB, as dcmdjpeg does for YBR_FULL(_422). Must not need dcmtk to run.

use lumen_codec_jpeg::{decode, ColorTransform, DecodeOptions, Process, Samples};
use std::path::PathBuf;

fn fixture(name: &str) -> (Vec<u8>, Vec<u8>) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let jpg = std::fs::read(dir.join(format!("{name}.jpg"))).expect("fixture codestream");
    let raw = std::fs::read(dir.join(format!("{name}.raw"))).expect("fixture reference decode");
    (jpg, raw)
}

fn le_bytes(samples: &Samples) -> Vec<u8> {
    match samples {
        Samples::U8(v) => v.clone(),
        Samples::U16(v) => v.iter().flat_map(|s| s.to_le_bytes()).collect(),
    }
}

/// Decode fixture `name`, check its header, and require byte equality with dcmdjpeg (printing the largest
/// difference first when there is one).
fn check(name: &str, process: Process, width: u32, height: u32, precision: u8, components: u8) {
    let (jpg, raw) = fixture(name);
    let options = DecodeOptions {
        color: ColorTransform::YCbCrToRgb,
        ..DecodeOptions::default()
    };
    let image = decode(&jpg, &options).unwrap_or_else(|e| panic!("{name}: {e}"));
    let info = image.info;
    assert_eq!(info.process, process, "{name}");
    assert_eq!((info.width, info.height), (width, height), "{name}");
    assert_eq!(info.precision, precision, "{name}");
    assert_eq!(info.components, components, "{name}");
    assert_eq!(image.converted_to_rgb, components == 3, "{name}");
    let got = le_bytes(&image.samples);
    assert_eq!(got.len(), raw.len(), "{name}: decoded size");
    let step = if precision > 8 { 2 } else { 1 };
    let value = |b: &[u8], i: usize| -> i32 {
        if step == 2 {
            i32::from(u16::from_le_bytes([b[i], b[i + 1]]))
        } else {
            i32::from(b[i])
        }
    };
    let max_diff = (0..got.len())
        .step_by(step)
        .map(|i| (value(&got, i) - value(&raw, i)).abs())
        .max()
        .unwrap_or(0);
    println!("{name}: max abs diff to dcmdjpeg = {max_diff}");
    if let Some(i) = got.iter().zip(&raw).position(|(a, b)| a != b) {
        let (pixel, comp) = (
            (i / step) / components as usize,
            (i / step) % components as usize,
        );
        panic!(
            "{name}: differs from dcmdjpeg (max abs diff {max_diff}); first at pixel ({}, {}) component {comp}",
            pixel % width as usize,
            pixel / width as usize
        );
    }
}

#[test]
fn baseline_monochrome() {
    check("mono8_37x23_q90", Process::Baseline, 37, 23, 8, 1);
}

#[test]
fn baseline_monochrome_coarse_quantisation_clamps_like_libjpeg() {
    check("mono8_37x23_q15", Process::Baseline, 37, 23, 8, 1);
}

#[test]
fn extended_twelve_bit() {
    check("mono12_45x29_q90", Process::Extended, 45, 29, 12, 1);
    check("mono12_45x29_q25", Process::Extended, 45, 29, 12, 1);
}

#[test]
fn colour_422_fancy_horizontal_upsampling() {
    check("rgb8_33x17_422", Process::Baseline, 33, 17, 8, 3);
    check("rgb8_35x19_422_q30", Process::Baseline, 35, 19, 8, 3);
}

#[test]
fn colour_444() {
    check("rgb8_33x17_444", Process::Baseline, 33, 17, 8, 3);
}

#[test]
fn colour_411_replicated_chroma() {
    check("rgb8_35x19_411", Process::Baseline, 35, 19, 8, 3);
}

#[test]
fn colour_420_fancy_upsampling_with_a_restart_marker_after_every_mcu() {
    check("rgb8_41x27_420_restart1", Process::Baseline, 41, 27, 8, 3);
}

#[test]
fn colour_420_one_scan_per_component() {
    check("rgb8_41x27_420_scans", Process::Baseline, 41, 27, 8, 3);
}

#[test]
fn colour_440_vertical_replication() {
    check("rgb8_41x27_440", Process::Baseline, 41, 27, 8, 3);
}

#[test]
fn chroma_sampled_finer_than_luma() {
    check("rgb8_23x21_chroma22", Process::Baseline, 23, 21, 8, 3);
}

#[test]
fn monochrome_with_restart_markers() {
    check("mono8_50x30_restart1", Process::Baseline, 50, 30, 8, 1);
}

#[test]
fn image_narrower_than_two_chroma_samples() {
    check("rgb8_2x3_420", Process::Baseline, 2, 3, 8, 3);
}
