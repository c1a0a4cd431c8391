//! Tiles, image offsets and tile-grid offsets whose corners are not multiples of 2^levels: the `g_*` cases of
//! `tests/data` (made by `make_geometry_data.py` with opj_compress and ojph_compress), against opj_decompress's and
//! ojph_expand's decodes — 5/3 exactly, 9/7 (`lossy`) within 1; their `.skip<n>` references are tests/reduced.rs's.
//! Corrupt and truncated variants must give an error or an image, never a panic. Must not depend on OpenJPEG or
//! OpenJPH being installed.

use lumen_codec_htj2k::{
    decode, decode_prefix, decode_reduced, decode_with_limit, prefix_resolution, read_header, Error,
};

mod common;
use common::{data, len, values, widen, Rng};

/// Every `g_*` case, by file name.
fn cases() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(common::dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("g_"))
        .filter_map(|n| n.strip_suffix(".ref").map(str::to_string))
        .collect();
    names.sort();
    names
}

#[test]
fn every_geometry_case_decodes_like_the_reference_decoders() {
    let names = cases();
    assert!(names.len() >= 16, "the test data is missing: {names:?}");
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
        let got = values(&image.samples);
        let want = widen(&data(&format!("{name}.ref")), &image.samples);
        let tolerance = if name.contains("lossy") { 1 } else { 0 };
        if got.len() != want.len() {
            failures.push(format!(
                "{name}: {} samples, want {}",
                got.len(),
                want.len()
            ));
        } else if let Some(i) = got
            .iter()
            .zip(&want)
            .position(|(a, b)| (a - b).abs() > tolerance)
        {
            failures.push(format!(
                "{name}: sample {i} is {}, want {}",
                got[i], want[i]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The geometries in the cases: a guard against the test data losing them. SIZ after its marker: Xsiz at 4, Ysiz at
/// 8, XOsiz at 12, YOsiz at 16, XTsiz at 20, YTsiz at 24, XTOsiz at 28, YTOsiz at 32.
#[test]
fn geometry_cases_have_odd_corners() {
    let be = |b: &[u8], o: usize| u32::from_be_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
    let mut odd_offset = 0;
    let mut odd_tiles = 0;
    for name in cases() {
        let cs = data(&format!("{name}.j2c"));
        let siz = &cs[4..];
        let (x0, y0, tw, th) = (be(siz, 12), be(siz, 16), be(siz, 20), be(siz, 24));
        let (tx0, ty0) = (be(siz, 28), be(siz, 32));
        let levels = read_header(&cs).unwrap().levels;
        let unit = 1u32 << levels;
        odd_offset += usize::from(x0 % 2 == 1 || y0 % 2 == 1);
        let corners = (1..4).any(|k| (tx0 + k * tw) % unit != 0 || (ty0 + k * th) % unit != 0);
        odd_tiles += usize::from(corners && (tw < be(siz, 4) || th < be(siz, 8)));
    }
    assert!(odd_offset >= 5, "{odd_offset} cases at odd offsets");
    assert!(odd_tiles >= 8, "{odd_tiles} cases with tiles off 2^levels");
}

/// The image at an odd offset has no reduced resolution of `reduced_size`'s size: refused, not mis-sized.
#[test]
fn reduced_resolution_at_an_odd_offset_is_refused() {
    let cs = data("g_offset_d3_5_u8.j2c");
    assert!(decode(&cs).is_ok());
    assert!(matches!(
        decode_reduced(&cs, 1),
        Err(Error::Unsupported { .. })
    ));
    assert!(decode_reduced(&cs, 0).is_ok());
}

/// Random damage to the headers and the packets, and truncation: an error or an image of the header's size.
#[test]
fn corrupt_geometry_cases_are_errors_or_images() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for name in cases() {
        let cs = data(&format!("{name}.j2c"));
        let size = len(&decode(&cs).unwrap().samples);
        for _ in 0..60 {
            let mut bad = cs.clone();
            for _ in 0..1 + rng.next() % 4 {
                // Mostly the main header (SIZ's geometry), sometimes anywhere.
                let span = if rng.next().is_multiple_of(2) {
                    48.min(bad.len())
                } else {
                    bad.len()
                };
                let i = (rng.next() % span as u64) as usize;
                match rng.next() % 3 {
                    0 => bad[i] ^= 1 << (rng.next() % 8),
                    1 => bad[i] = rng.next() as u8,
                    _ => bad[i] = 0,
                }
            }
            if let Ok(image) = decode_with_limit(&bad, 4 * size as u64) {
                let h = image.header;
                assert_eq!(
                    len(&image.samples),
                    (h.width * h.height) as usize * usize::from(h.components)
                );
            }
            let _ = decode_reduced(&bad, 1);
            let cut = (rng.next() % bad.len() as u64) as usize;
            let _ = prefix_resolution(&bad[..cut]);
            let _ = decode_prefix(&bad[..cut]);
            assert!(decode(&cs[..cut.max(1)]).is_err() || cut + 2 >= cs.len());
        }
    }
}
