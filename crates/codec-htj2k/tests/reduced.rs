//! Reduced-resolution decodes: of whole codestreams against `ojph_expand -skip_res n` (the `<case>.skip<n>`
//! files of `tests/data`, made by `make_test_data.py`; for the Part 1 `p1_*` cases, `opj_decompress -r n` by
//! `make_part1_data.py`): exact for lossless streams, within 1 for lossy ones; and
//! of prefixes of resolution-major codestreams (the first bytes of a frame as they arrive), which must decode to
//! the same image as the whole codestream at the resolution the prefix holds, or say that nothing is decodable
//! yet, never panic. Must not depend on OpenJPH being installed.

use lumen_codec_htj2k::{
    decode, decode_prefix, decode_prefix_into, decode_reduced, decode_reduced_into,
    prefix_resolution, read_header, reduced_size, Error, ReducedImage, Samples,
};

mod common;
use common::{data, dir, values, Rng};

/// `(case, n)` for every `<case>.skip<n>` reference.
fn skip_cases() -> Vec<(String, u8)> {
    let mut cases: Vec<(String, u8)> = std::fs::read_dir(dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| {
            let (case, skip) = n.rsplit_once(".skip")?;
            Some((case.to_string(), skip.parse().ok()?))
        })
        .collect();
    cases.sort();
    cases
}

#[test]
fn reduced_decodes_equal_ojph_expand_skip_res() {
    let cases = skip_cases();
    assert!(cases.len() >= 20, "the test data is missing: {cases:?}");
    let mut lossless = 0;
    for (name, n) in &cases {
        let cs = data(&format!("{name}.j2c"));
        let image = decode_reduced(&cs, *n).unwrap_or_else(|e| panic!("{name} -{n}: {e}"));
        let h = image.header;
        assert_eq!(image.discarded, *n);
        // T.800 B.5: each level halves the size, rounding up.
        let (w, hh) = reduced_size(h.width, h.height, *n);
        assert_eq!((image.width, image.height), (w, hh), "{name} -{n}");
        let want_w = (0..*n).fold(h.width, |s, _| s.div_ceil(2));
        let want_h = (0..*n).fold(h.height, |s, _| s.div_ceil(2));
        assert_eq!((w, hh), (want_w, want_h));
        let got = values(&image.samples);
        assert_eq!(
            got.len(),
            (w * hh) as usize * usize::from(h.components),
            "{name} -{n}"
        );
        let bytes = data(&format!("{name}.skip{n}"));
        let want: Vec<i32> = if h.precision > 8 {
            bytes
                .chunks_exact(2)
                .map(|c| i32::from(u16::from_le_bytes([c[0], c[1]])))
                .collect()
        } else {
            bytes.iter().map(|&b| i32::from(b)).collect()
        };
        assert_eq!(got.len(), want.len(), "{name} -{n}: sample count");
        if h.reversible {
            if let Some(i) = got.iter().zip(&want).position(|(a, b)| a != b) {
                panic!(
                    "{name} -skip_res {n}: sample {i} is {}, ojph_expand gives {}",
                    got[i], want[i]
                );
            }
            lossless += 1;
        } else {
            let diff = got
                .iter()
                .zip(&want)
                .map(|(a, b)| (a - b).abs())
                .max()
                .unwrap();
            assert!(diff <= 1, "{name} -skip_res {n}: differs by {diff}");
        }
    }
    assert!(lossless >= 15);
}

#[test]
fn discarding_nothing_is_the_whole_decode_and_too_much_is_an_error() {
    for name in [
        "u12_rpcl_300x200",
        "rgb8_rct_lrcp_45x37",
        "u12_100x75_lossy",
        "ct16s_96x80",
    ] {
        let cs = data(&format!("{name}.j2c"));
        let whole = decode(&cs).unwrap();
        let reduced = decode_reduced(&cs, 0).unwrap();
        assert_eq!(reduced.samples, whole.samples, "{name}");
        assert_eq!(
            (reduced.width, reduced.height),
            (whole.header.width, whole.header.height)
        );
        let levels = whole.header.levels;
        assert!(decode_reduced(&cs, levels).is_ok());
        assert!(matches!(
            decode_reduced(&cs, levels + 1),
            Err(Error::TooManyLevels { .. })
        ));
    }
    // A signed image keeps its sign: the 1-level reduction of the CT-like image has air (about −1000) at the
    // corner and body values in the middle.
    let cs = data("ct16s_96x80.j2c");
    let image = decode_reduced(&cs, 1).unwrap();
    let Samples::I16(v) = &image.samples else {
        panic!("{:?}", image.header)
    };
    assert_eq!((image.width, image.height), (48, 40));
    assert!(v[48 * 2 + 2] < -900, "{}", v[48 * 2 + 2]);
    assert!(v[48 * 20 + 24].abs() < 200, "{}", v[48 * 20 + 24]);
    // The typed decode into a caller's buffer gives the same values; a wrong size is refused.
    let mut wide = vec![0i32; 48 * 40];
    decode_reduced_into(&cs, 1, &mut wide).unwrap();
    assert_eq!(wide, values(&image.samples));
    assert!(matches!(
        decode_reduced_into(&cs, 1, &mut vec![0i32; 96 * 80]),
        Err(Error::OutputSize { .. })
    ));
}

/// Every prefix of `cs` (every `step` bytes, and the last 3): `prefix_resolution` never panics, is `None` or a
/// resolution that only grows with the prefix, and what `decode_prefix` gives is exactly the whole codestream's
/// decode at that resolution. Returns the shortest prefix for each number of discarded levels.
fn sweep_prefixes(name: &str, step: usize) -> Vec<(u8, usize)> {
    let cs = data(&format!("{name}.j2c"));
    let levels = read_header(&cs).unwrap().levels;
    let reference: Vec<ReducedImage> = (0..=levels)
        .map(|d| decode_reduced(&cs, d).unwrap())
        .collect();
    let mut first_at: Vec<(u8, usize)> = Vec::new();
    let mut last: Option<u8> = None;
    let cuts: std::collections::BTreeSet<usize> = (0..cs.len())
        .step_by(step)
        .chain(cs.len() - 3..=cs.len())
        .collect();
    for cut in cuts {
        let prefix = &cs[..cut];
        let p = prefix_resolution(prefix).unwrap_or_else(|e| panic!("{name} at {cut}: {e}"));
        let Some(p) = p else {
            assert!(
                last.is_none(),
                "{name}: nothing decodable at {cut} after {last:?}"
            );
            assert!(decode_prefix(prefix).unwrap().is_none());
            continue;
        };
        if let Some(l) = last {
            assert!(p.discard <= l, "{name}: the resolution went down at {cut}");
        }
        if last != Some(p.discard) {
            first_at.push((p.discard, cut));
            let image = decode_prefix(prefix).unwrap().unwrap();
            assert_eq!(
                image,
                reference[usize::from(p.discard)],
                "{name}: prefix of {cut} bytes at -{}",
                p.discard
            );
        }
        last = Some(p.discard);
    }
    assert_eq!(last, Some(0), "{name}: the whole codestream is complete");
    first_at
}

#[test]
fn prefixes_of_resolution_major_codestreams_decode_level_by_level() {
    for (name, step) in [
        ("u12_rpcl_300x200", 37),
        ("u16_rlcp_97x61", 1),
        ("rgb8_rct_rpcl_45x37", 1),
        ("rgb8_rct_rlcp_45x37", 1),
        ("rgb8_rct_lrcp_45x37", 1),
        ("u8_cprl_65x33", 1),
        ("u12_100x75_lossy", 1),
        ("ct16s_96x80", 1),
    ] {
        let cs = data(&format!("{name}.j2c"));
        let levels = read_header(&cs).unwrap().levels;
        let first_at = sweep_prefixes(name, step);
        // Every resolution becomes decodable on its own, lowest first, and the whole image only at the end.
        let discards: Vec<u8> = first_at.iter().map(|&(d, _)| d).collect();
        assert_eq!(discards, (0..=levels).rev().collect::<Vec<_>>(), "{name}");
        let &(_, whole_at) = first_at.last().unwrap();
        assert!(
            whole_at >= cs.len() - 2 - step,
            "{name}: {whole_at} of {}",
            cs.len()
        );
        // The lowest resolution needs only a small part of the stream.
        assert!(first_at[0].1 < cs.len() / 4, "{name}: {first_at:?}");
    }
}

#[test]
fn a_component_major_colour_stream_has_no_preview_before_its_last_component() {
    // CPRL sends all of red (after the RCT: Y) before any of the chroma: a resolution is complete only once the
    // last component's packet of it has arrived.
    let name = "rgb8_rct_cprl_45x37";
    let first_at = sweep_prefixes(name, 1);
    let cs = data(&format!("{name}.j2c"));
    assert!(first_at[0].1 > cs.len() / 2, "{first_at:?}");
}

#[test]
fn a_prefix_too_short_for_the_asked_resolution_is_truncated() {
    let cs = data("u12_rpcl_300x200.j2c");
    let half = &cs[..cs.len() / 2];
    let p = prefix_resolution(half).unwrap().unwrap();
    assert!(p.discard > 0 && p.discard < 5, "{p:?}");
    let (w, h) = reduced_size(300, 200, p.discard);
    let mut out = vec![0u16; (w * h) as usize];
    decode_prefix_into(half, p.discard, &mut out).unwrap();
    let (w, h) = reduced_size(300, 200, p.discard - 1);
    let mut out = vec![0u16; (w * h) as usize];
    assert!(matches!(
        decode_prefix_into(half, p.discard - 1, &mut out),
        Err(Error::Truncated { .. })
    ));
}

#[test]
fn the_first_bytes_and_garbage() {
    let cs = data("u16_rlcp_97x61.j2c");
    for n in 0..40 {
        assert_eq!(prefix_resolution(&cs[..n]), Ok(None), "{n} bytes");
    }
    assert!(matches!(
        prefix_resolution(b"\xFF\xD8\xFF\xE0 a JPEG"),
        Err(Error::NotJ2k)
    ));
    assert!(matches!(prefix_resolution(b"\xFF\x4F\xFF"), Ok(None)));
    assert!(matches!(
        prefix_resolution(b"\xFF\x4F\x00"),
        Err(Error::NotJ2k)
    ));
}

#[test]
fn corrupt_prefixes_are_errors_or_images_never_panics() {
    let mut rng = Rng(0x5DEE_CE66_D1CE_4E5B);
    let mut decoded = 0;
    for name in ["u16_rlcp_97x61", "rgb8_rct_rpcl_45x37", "u12_100x75_lossy"] {
        let cs = data(&format!("{name}.j2c"));
        for _ in 0..1500 {
            let cut = (rng.next() % cs.len() as u64) as usize;
            let mut bad = cs[..cut].to_vec();
            if bad.is_empty() {
                continue;
            }
            for _ in 0..1 + rng.next() % 3 {
                let i = (rng.next() % bad.len() as u64) as usize;
                bad[i] = match rng.next() % 3 {
                    0 => bad[i] ^ 1 << (rng.next() % 8),
                    1 => rng.next() as u8,
                    _ => 0xFF,
                };
            }
            if let Ok(Some(image)) = decode_prefix(&bad) {
                let n =
                    (image.width * image.height) as usize * usize::from(image.header.components);
                assert_eq!(values(&image.samples).len(), n);
                let (w, h) = reduced_size(image.header.width, image.header.height, image.discarded);
                assert_eq!((image.width, image.height), (w, h));
                decoded += 1;
            }
        }
    }
    assert!(decoded > 100, "only {decoded} decoded");
}

/// `cs` with its one tile-part split in two at byte `at` of the tile data (a packet boundary), as an encoder that
/// writes a tile-part per resolution would.
fn split_tile_part(cs: &[u8], at: usize) -> Vec<u8> {
    let sot = cs.windows(2).position(|w| w == [0xFF, 0x90]).unwrap();
    let sod = sot + 12;
    assert_eq!(
        &cs[sod..sod + 2],
        [0xFF, 0x93],
        "no marker between SOT and SOD"
    );
    let body = &cs[sod + 2..cs.len() - 2];
    assert_eq!(&cs[cs.len() - 2..], [0xFF, 0xD9]);
    let mut out = cs[..sot].to_vec();
    for (i, part) in [&body[..at], &body[at..]].into_iter().enumerate() {
        let psot = (14 + part.len()) as u32;
        out.extend_from_slice(&[0xFF, 0x90, 0, 10, 0, 0]);
        out.extend_from_slice(&psot.to_be_bytes());
        out.extend_from_slice(&[i as u8, 2, 0xFF, 0x93]);
        out.extend_from_slice(part);
    }
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

#[test]
fn prefixes_over_several_tile_parts() {
    let cs = data("u16_rlcp_97x61.j2c");
    let whole = decode(&cs).unwrap();
    let sod = cs.windows(2).position(|w| w == [0xFF, 0x93]).unwrap() + 2;
    // Split where resolution 2 becomes complete (discard 2 of 4 levels).
    let at = (0..cs.len())
        .find(|&n| {
            prefix_resolution(&cs[..n])
                .unwrap()
                .is_some_and(|p| p.discard == 2)
        })
        .unwrap();
    let two = split_tile_part(&cs, at - sod);
    assert_eq!(decode(&two).unwrap(), whole);
    let second_sot = sod + (at - sod);
    for cut in 0..two.len() {
        let p = prefix_resolution(&two[..cut]).unwrap_or_else(|e| panic!("at {cut}: {e}"));
        if cut >= second_sot && cut < second_sot + 14 {
            // Inside the second tile-part's header: what the first one holds.
            assert_eq!(p.map(|p| p.discard), Some(2), "at {cut}");
        }
        if let Some(p) = p {
            let image = decode_prefix(&two[..cut]).unwrap().unwrap();
            assert_eq!(image, decode_reduced(&cs, p.discard).unwrap(), "at {cut}");
        }
    }
    assert_eq!(prefix_resolution(&two).unwrap().map(|p| p.discard), Some(0));
}
