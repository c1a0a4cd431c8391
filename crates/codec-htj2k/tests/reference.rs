//! Decodes of the codestreams in `tests/data` (made by `make_test_data.py` with OpenJPH's `ojph_compress`)
//! against `ojph_expand`'s decodes: lossless streams exactly, lossy streams within 1 (rounding order).
//! Must not depend on OpenJPH being installed.

use lumen_codec_htj2k::{decode, decode_into, read_header, Error, Samples};

mod common;
use common::{data, values};

/// Every case with a stored reference, by file name.
fn cases() -> Vec<String> {
    let dir = common::dir();
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        // The Part 1 cases (`p1_*`, from OpenJPEG) are tests/part1.rs's, the `m_*` ones tests/markers.rs's.
        .filter(|n| !n.starts_with("p1_") && !n.starts_with("m_"))
        .filter_map(|n| n.strip_suffix(".ref").map(str::to_string))
        .collect();
    names.sort();
    names
}

fn reference(name: &str, like: &Samples) -> Vec<i32> {
    common::widen(&data(&format!("{name}.ref")), like)
}

#[test]
fn every_case_decodes_like_ojph_expand() {
    let names = cases();
    assert!(names.len() >= 30, "the test data is missing: {names:?}");
    let mut lossy = 0;
    for name in &names {
        let image = decode(&data(&format!("{name}.j2c"))).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = values(&image.samples);
        let want = reference(name, &image.samples);
        assert_eq!(got.len(), want.len(), "{name}: sample count");
        if name.contains("lossy") {
            assert!(
                !image.header.reversible,
                "{name} is coded with the 9/7 wavelet"
            );
            let diff = got
                .iter()
                .zip(&want)
                .map(|(a, b)| (a - b).abs())
                .max()
                .unwrap();
            assert!(
                diff <= 1,
                "{name}: lossy decode differs from ojph_expand by {diff}"
            );
            lossy += 1;
        } else {
            assert!(
                image.header.reversible,
                "{name} is coded with the 5/3 wavelet"
            );
            if let Some(i) = got.iter().zip(&want).position(|(a, b)| a != b) {
                panic!(
                    "{name}: sample {i} is {}, ojph_expand gives {}",
                    got[i], want[i]
                );
            }
        }
    }
    assert!(lossy >= 5);
}

#[test]
fn headers_describe_the_images() {
    let h = read_header(&data("ct16s_96x80.j2c")).unwrap();
    assert_eq!(
        (h.width, h.height, h.components, h.precision, h.signed),
        (96, 80, 1, 16, true)
    );
    assert!(h.reversible && !h.colour_transform);
    assert_eq!(h.levels, 5);
    let h = read_header(&data("rgb8_ict_45x37_lossy.j2c")).unwrap();
    assert_eq!(
        (h.width, h.height, h.components, h.precision, h.signed),
        (45, 37, 3, 8, false)
    );
    assert!(!h.reversible && h.colour_transform);
    assert_eq!(read_header(&data("u12_7x13_l3.j2c")).unwrap().levels, 3);
}

#[test]
fn a_large_odd_sized_image_is_exact() {
    // make_test_data.py: the 513×511 source is (7x + 3y) mod 4096, coded losslessly with 5 levels.
    let mut out = vec![0u16; 513 * 511];
    decode_into(&data("u12_513x511.j2c"), &mut out).unwrap();
    for y in 0..511 {
        for x in 0..513 {
            assert_eq!(
                out[y * 513 + x],
                ((7 * x + 3 * y) % 4096) as u16,
                "sample ({x}, {y})"
            );
        }
    }
}

#[test]
fn decode_into_other_types_keeps_the_values() {
    // 16-bit signed samples into i32, and 12-bit ones into i32, match the typed decode.
    for name in ["ct16s_96x80", "u12_100x75_lossy"] {
        let cs = data(&format!("{name}.j2c"));
        let typed = values(&decode(&cs).unwrap().samples);
        let mut wide = vec![0i32; typed.len()];
        decode_into(&cs, &mut wide).unwrap();
        assert_eq!(wide, typed, "{name}");
    }
}

#[test]
fn a_wrong_output_size_is_refused() {
    let cs = data("u8_65x33_lossy.j2c");
    let mut out = vec![0u8; 65 * 33 - 1];
    assert!(matches!(
        decode_into(&cs, &mut out),
        Err(Error::OutputSize { .. })
    ));
    assert!(matches!(
        lumen_codec_htj2k::decode_with_limit(&cs, 65 * 33 - 1),
        Err(Error::TooLarge { .. })
    ));
}

#[test]
fn what_the_decoder_does_not_handle_is_unsupported() {
    // Several quality layers (COD SGcod layers = 2) are decoded, but this stream has no second layer's packets:
    // what is read as one (the next packets) gives an error.
    let mut cs = data("u8_65x33_lossy.j2c");
    let cod = cs.windows(2).position(|w| w == [0xFF, 0x52]).unwrap();
    cs[cod + 6..cod + 8].copy_from_slice(&2u16.to_be_bytes());
    assert!(decode(&cs).is_err(), "{:?}", decode(&cs));
    // Mixed HT and Part 1 code-blocks (code-block style bits 6 and 7).
    let mut cs = data("u8_65x33_lossy.j2c");
    cs[cod + 12] |= 0xC0;
    assert!(matches!(decode(&cs), Err(Error::Unsupported { .. })));
    // Several tiles are decoded, but this stream has only the first.
    let mut cs = data("u8_65x33_lossy.j2c");
    cs[24..28].copy_from_slice(&32u32.to_be_bytes());
    assert!(matches!(decode(&cs), Err(Error::Truncated { .. })));
    // An image offset (XOsiz) is decoded (tests/geometry.rs), but not at a reduced resolution unless it is a
    // multiple of 2^discard.
    let mut cs = data("u8_65x33_lossy.j2c");
    cs[16..20].copy_from_slice(&1u32.to_be_bytes());
    cs[32..36].copy_from_slice(&1u32.to_be_bytes());
    assert_eq!(lumen_codec_htj2k::read_header(&cs).unwrap().width, 64);
    assert!(matches!(
        lumen_codec_htj2k::decode_reduced(&cs, 1),
        Err(Error::Unsupported { .. })
    ));
}

#[test]
fn a_codestream_is_recognised_as_htj2k_by_its_cap_marker() {
    assert!(lumen_codec_htj2k::is_htj2k(&data("u8_1x1.j2c")));
    assert!(!lumen_codec_htj2k::is_htj2k(b"\xFF\xD8\xFF\xE0"));
}
