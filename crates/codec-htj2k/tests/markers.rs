//! Part 1 codestreams with per-component and per-tile coding parameters: the `m_*` cases of `tests/data`, spliced by
//! `make_marker_data.py` from opj_compress encodings (COC/QCC in the main header, COD/COC/QCD/QCC in tile-part
//! headers, components of different precision), against the decodes of the separate encodings (which
//! opj_decompress also gives for the spliced codestreams) — 5/3 exactly, 9/7 (`lossy`) within 1. Must not depend on
//! OpenJPEG being installed.

use lumen_codec_htj2k::{decode, decode_reduced, read_header, Error};

mod common;
use common::{data, values, widen};

/// Every `m_*` case, by file name.
fn cases() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(common::dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("m_"))
        .filter_map(|n| n.strip_suffix(".ref").map(str::to_string))
        .collect();
    names.sort();
    names
}

fn compare(name: &str, got: &[i32], want: &[i32], exact: bool) -> Result<(), String> {
    if got.len() != want.len() {
        return Err(format!("{name}: {} samples, want {}", got.len(), want.len()));
    }
    let tolerance = if exact { 0 } else { 1 };
    match got.iter().zip(want).position(|(a, b)| (a - b).abs() > tolerance) {
        Some(i) => Err(format!("{name}: sample {i} is {}, want {}", got[i], want[i])),
        None => Ok(()),
    }
}

#[test]
fn every_marker_case_decodes_like_opj_decompress() {
    let names = cases();
    assert!(names.len() >= 7, "the test data is missing: {names:?}");
    let mut failures = Vec::new();
    for name in &names {
        let cs = data(&format!("{name}.j2c"));
        let image = match decode(&cs) {
            Ok(image) => image,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        let want = widen(&data(&format!("{name}.ref")), &image.samples);
        if let Err(e) = compare(name, &values(&image.samples), &want, !name.contains("lossy")) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The features in the cases' names: a guard against the test data losing them.
#[test]
fn marker_features_are_covered() {
    let names = cases();
    for needle in ["coc_u8_2c_cprl", "coc_u8_2c_rpcl", "coc_u8_2c_lrcp", "coc_u8_2c_pcrl", "coc_prec", "cocqcc", "qcc_"] {
        assert!(names.iter().any(|n| n.contains(needle)), "no case with {needle}");
    }
}

#[test]
fn header_of_components_with_different_levels() {
    // Component 0: 3 levels (COD); component 1: 1 level (COC).
    let h = read_header(&data("m_coc_u8_2c_cprl.j2c")).unwrap();
    assert_eq!((h.width, h.height, h.components, h.precision), (48, 40, 2, 8));
    assert_eq!(h.levels, 1, "the fewest levels of any component");
    assert!(h.reversible);
    // One level can be left out of every component, two cannot.
    let r = decode_reduced(&data("m_coc_u8_2c_cprl.j2c"), 1).unwrap();
    assert_eq!((r.width, r.height), (24, 20));
    assert!(matches!(
        decode_reduced(&data("m_coc_u8_2c_cprl.j2c"), 2),
        Err(Error::TooManyLevels { .. })
    ));
}

/// Reduced resolutions of components with different levels: each component without its highest level is the
/// same whatever the progression (the cases differ only in packet order).
#[test]
fn reduced_resolutions_agree_across_progressions() {
    let want = decode_reduced(&data("m_coc_u8_2c_cprl.j2c"), 1).unwrap();
    for p in ["rpcl", "lrcp", "pcrl"] {
        let got = decode_reduced(&data(&format!("m_coc_u8_2c_{p}.j2c")), 1).unwrap();
        assert_eq!(got, want, "{p}");
    }
}

/// The offset of the first marker segment `marker` in the main header or the first tile-part header.
fn find(cs: &[u8], marker: u8) -> usize {
    cs.windows(2).position(|w| w == [0xFF, marker]).unwrap()
}

/// Damaged COC, QCC and tile-part parameters give errors, never panics or a different image.
#[test]
fn corrupt_marker_segments_are_errors() {
    let base = data("m_cocqcc_u12_3c_lossy.j2c");
    for marker in [0x53u8, 0x5D] {
        let at = find(&base, marker);
        let len = usize::from(u16::from_be_bytes([base[at + 2], base[at + 3]]));
        // A component index past the last component.
        let mut cs = base.clone();
        cs[at + 4] = 3;
        assert!(matches!(decode(&cs), Err(Error::InvalidSegment { .. })), "{marker:02X}");
        // A segment too short for its fields (the rest of the header then misparses).
        let mut cs = base.clone();
        cs[at + 2..at + 4].copy_from_slice(&3u16.to_be_bytes());
        assert!(decode(&cs).is_err(), "{marker:02X}");
        // Truncated inside the segment.
        assert!(decode(&base[..at + len / 2]).is_err());
        assert!(read_header(&base[..at + 3]).is_err());
        // Every byte of the segment's body changed: an error or an image, never a panic.
        for i in at + 4..at + 2 + len {
            for v in [0u8, 0x0F, 0x20, 0x7F, 0xFF] {
                let mut cs = base.clone();
                cs[i] = v;
                let _ = decode(&cs);
            }
        }
    }
    // A COC with an unknown Scoc bit.
    let at = find(&base, 0x53);
    let mut cs = base.clone();
    cs[at + 5] = 0x02;
    assert!(matches!(decode(&cs), Err(Error::InvalidSegment { .. })));
}
