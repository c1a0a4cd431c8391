//! Part 1 codestreams with per-component and per-tile coding parameters: the `m_*` cases of `tests/data`, spliced by
//! `make_marker_data.py` from opj_compress encodings (COC/QCC in the main header, COD/COC/QCD/QCC in tile-part
//! headers, components of different precision), against the decodes of the separate encodings (which
//! opj_decompress also gives for the spliced codestreams) — 5/3 exactly, 9/7 (`lossy`) within 1. Must not depend on
//! OpenJPEG being installed.

use lumen_codec_htj2k::{
    decode, decode_reduced, decode_with_limit, prefix_resolution, read_components,
    read_header, Error, Samples,
};

mod common;
use common::{compare, data, len, values, widen, Rng};

#[test]
fn every_marker_case_decodes_like_opj_decompress() {
    let names = common::cases("m_");
    assert!(names.len() >= 24, "the test data is missing: {names:?}");
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
        if let Err(e) = compare(
            name,
            &values(&image.samples),
            &want,
            !name.contains("lossy"),
        ) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The features in the cases' names: a guard against the test data losing them.
#[test]
fn marker_features_are_covered() {
    let names = common::cases("m_");
    for needle in [
        "coc_u8_2c_cprl",
        "coc_u8_2c_rpcl",
        "coc_u8_2c_lrcp",
        "coc_u8_2c_pcrl",
        "coc_prec",
        "cocqcc",
        "qcc_",
        "tilecod_u12",
        "tilecoc_",
        "tilecod_over_coc",
        "tilecod_rpcl",
        "prec_u12_u8",
        "prec_s12_u8",
        "prec_s8_u5_s8",
        "rgn_u12",
        "rgn_u8_lossy",
        "rgn_c1_",
        "rgn_tile",
        "sub_u8_3c",
        "sub_21_u12",
        "sub_tiles",
        "offset_u8",
        "offset_tiles_u12",
        "offset_tiles_sub",
    ] {
        assert!(
            names.iter().any(|n| n.contains(needle)),
            "no case with {needle}"
        );
    }
}

#[test]
fn header_of_components_with_different_levels() {
    // Component 0: 3 levels (COD); component 1: 1 level (COC).
    let h = read_header(&data("m_coc_u8_2c_cprl.j2c")).unwrap();
    assert_eq!(
        (h.width, h.height, h.components, h.precision),
        (48, 40, 2, 8)
    );
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
        assert!(
            matches!(decode(&cs), Err(Error::InvalidSegment { .. })),
            "{marker:02X}"
        );
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

/// The offsets of the SOT markers of a codestream (its tile-parts).
fn tile_parts(cs: &[u8]) -> Vec<usize> {
    let mut at = Vec::new();
    let mut pos = find(cs, 0x90);
    while cs.get(pos..pos + 2) == Some(&[0xFF, 0x90][..]) {
        at.push(pos);
        let psot =
            u32::from_be_bytes([cs[pos + 6], cs[pos + 7], cs[pos + 8], cs[pos + 9]]) as usize;
        pos += psot;
    }
    at
}

/// Tile overrides: each tile decodes with its own levels; leaving out more levels than a tile has is an error.
#[test]
fn tiles_with_their_own_coding_style() {
    let cs = data("m_tilecod_u12_lossy.j2c");
    // The main header's COD: 2 levels; tile 1's: 3.
    assert_eq!(read_header(&cs).unwrap().levels, 2);
    let r = decode_reduced(&cs, 2).unwrap();
    assert_eq!((r.width, r.height), (12, 10));
    assert!(matches!(
        decode_reduced(&cs, 3),
        Err(Error::TooManyLevels { .. })
    ));
    // Tile 1 has 1 level (its COD) in m_tilecod_over_coc: one level can be left out, not two.
    let cs = data("m_tilecod_over_coc_u8_2c_lossy.j2c");
    assert!(decode_reduced(&cs, 1).is_ok());
    assert!(matches!(
        decode_reduced(&cs, 2),
        Err(Error::TooManyLevels { .. })
    ));
}

/// COD/COC/QCD/QCC belong in a tile's first tile-part header only (T.800 A.4.2): tile 1's header moved to a second
/// tile-part (after an empty first one) is an error.
#[test]
fn tile_parameters_after_the_first_tile_part_are_errors() {
    let base = data("m_tilecoc_u8_2c.j2c");
    let parts = tile_parts(&base);
    assert_eq!(parts.len(), 2);
    let mut cs = base[..parts[1]].to_vec();
    // SOT: tile 1, Psot 14, TPsot 0, TNsot 2; SOD.
    cs.extend_from_slice(&[0xFF, 0x90, 0, 10, 0, 1, 0, 0, 0, 14, 0, 2, 0xFF, 0x93]);
    let mut second = base[parts[1]..].to_vec();
    second[10] = 1;
    second[11] = 2;
    cs.extend_from_slice(&second);
    assert!(
        matches!(decode(&cs), Err(Error::InvalidSegment { .. })),
        "{:?}",
        decode(&cs).map(|i| i.header)
    );
    // As written (the parameters in the first tile-part), it decodes.
    assert!(decode(&base).is_ok());
}

/// Components of different precision and signedness: the header gives the largest precision and whether any is
/// signed (the sample type that holds them all), [`read_components`] each one's; each is clamped to its own range.
#[test]
fn components_of_different_precision_and_signedness() {
    let cs = data("m_prec_s8_u5_s8_3c.j2c");
    let h = read_header(&cs).unwrap();
    assert_eq!((h.precision, h.signed), (8, true));
    assert_eq!(
        read_components(&cs).unwrap(),
        vec![(8, true), (5, false), (8, true)]
    );
    let image = decode(&cs).unwrap();
    let Samples::I8(v) = &image.samples else {
        panic!("{:?}", image.header)
    };
    assert!(v.chunks_exact(3).all(|p| (0..32).contains(&p[1])));
    assert!(v.chunks_exact(3).any(|p| p[0] < 0));
    let cs = data("m_prec_s12_u8_2c_lossy.j2c");
    assert_eq!(read_components(&cs).unwrap(), vec![(12, true), (8, false)]);
    let image = decode(&cs).unwrap();
    assert!(matches!(image.samples, Samples::I16(_)));
    assert!(values(&image.samples)
        .chunks_exact(2)
        .all(|p| (0..256).contains(&p[1])));
    // An unsigned 8-bit component alongside a signed one: no 8-bit sample type holds both.
    let mut cs = data("m_coc_u8_2c_cprl.j2c");
    assert_eq!(&cs[2..4], &[0xFF, 0x51]);
    // SIZ's first Ssiz: after the marker, Lsiz, Rsiz, 8 four-byte fields and Csiz.
    cs[4 + 2 + 2 + 32 + 2] |= 0x80;
    assert_eq!(read_components(&cs).unwrap(), vec![(8, true), (8, false)]);
    assert!(matches!(read_header(&cs), Err(Error::Unsupported { .. })));
    assert!(matches!(decode(&cs), Err(Error::Unsupported { .. })));
}

/// Insert marker segment `segment` (marker, length and body) before the first SOT.
fn insert_before_sot(cs: &[u8], segment: &[u8]) -> Vec<u8> {
    let at = find(cs, 0x90);
    [&cs[..at], segment, &cs[at..]].concat()
}

/// RGN: damaged segments are errors; a region of interest with HT code-blocks, or a shift beyond the 29
/// magnitude bit-planes the block decoder handles, is refused.
#[test]
fn region_of_interest_errors_and_refusals() {
    let base = data("m_rgn_u12.j2c");
    let at = find(&base, 0x5E);
    assert_eq!(&base[at..at + 7], &[0xFF, 0x5E, 0, 5, 0, 0, 5]);
    // Unknown Srgn; a component past the last; a segment of the wrong length; cut inside it.
    for (i, v) in [(at + 5, 1u8), (at + 4, 1), (at + 3, 4), (at + 3, 6)] {
        let mut cs = base.clone();
        cs[i] = v;
        assert!(decode(&cs).is_err(), "byte {} = {v}", i - at);
    }
    assert!(matches!(
        decode(&base[..at + 5]),
        Err(Error::Truncated { .. })
    ));
    // A shift of 28 on top of a 12-bit image's bit-planes.
    let mut cs = base.clone();
    cs[at + 6] = 28;
    assert!(matches!(decode(&cs), Err(Error::Unsupported { .. })));
    // Any shift value: an error or an image, never a panic.
    for v in 0..=255u8 {
        let mut cs = base.clone();
        cs[at + 6] = v;
        let _ = decode(&cs);
    }
    // OpenJPEG's encoder scales every coefficient (make_marker_data.py): the code-blocks are the same whatever
    // the shift, so each shift the bit-planes allow (the block decoder starting that many bit-planes higher, then
    // the whole block scaled back down) gives the same image, and so does none.
    let want = decode(&base).unwrap().samples;
    for v in [0u8, 1, 2, 9, 14] {
        let mut cs = base.clone();
        cs[at + 6] = v;
        assert!(decode(&cs).unwrap().samples == want, "shift {v}");
    }
    // HT code-blocks with a region of interest.
    let ht = data("u8_65x33_lossy.j2c");
    let cs = insert_before_sot(&ht, &[0xFF, 0x5E, 0, 5, 0, 0, 3]);
    assert!(matches!(decode(&cs), Err(Error::Unsupported { .. })));
}

/// Random changes to the marker segments (the first bytes, and the tile-part headers) of every case: an error or
/// an image of the declared size, never a panic; the same for reduced and prefix decodes.
#[test]
fn random_header_corruption_is_an_error_or_an_image() {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    for name in common::cases("m_") {
        let cs = data(&format!("{name}.j2c"));
        let size = len(&decode(&cs).unwrap().samples);
        // The main header and the first tile-part header; the tile-parts' headers.
        let mut spots: Vec<(usize, usize)> = vec![(0, find(&cs, 0x93) + 2)];
        spots.extend(tile_parts(&cs).iter().map(|&t| (t, t + 40)));
        for _ in 0..300 {
            let mut bad = cs.clone();
            for _ in 0..1 + rng.next() % 3 {
                let (a, b) = spots[(rng.next() % spots.len() as u64) as usize];
                let i = a + (rng.next() % (b - a) as u64) as usize;
                if i >= bad.len() {
                    continue;
                }
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
            let _ = prefix_resolution(&bad[..bad.len() / 2]);
        }
    }
}

/// Prefixes of the cases: what `prefix_resolution` promises `decode_prefix` delivers, and the whole stream is the
/// whole image.
#[test]
fn prefixes_decode_at_the_resolution_they_hold() {
    for name in common::cases("m_") {
        common::check_prefixes(&name, 37);
    }
}

/// Subsampled components: the header has the image's size, each component's samples repeated over the pixels they
/// cover (the `.skip1` references, of `opj_decompress -r 1`, are tests/reduced.rs's); a colour transform of
/// subsampled components is refused.
#[test]
fn subsampled_components() {
    let cs = data("m_sub_u8_3c.j2c");
    let h = read_header(&cs).unwrap();
    assert_eq!((h.width, h.height, h.components), (48, 40, 3));
    let image = decode(&cs).unwrap();
    let v = values(&image.samples);
    // Component 1 (2×2): pixels 2x and 2x + 1 of rows 2y and 2y + 1 are equal.
    for y in (0..40).step_by(2) {
        for x in (0..48).step_by(2) {
            let at = |x: usize, y: usize| v[(y * 48 + x) * 3 + 1];
            assert!(
                at(x, y) == at(x + 1, y)
                    && at(x, y) == at(x, y + 1)
                    && at(x, y) == at(x + 1, y + 1)
            );
        }
    }
    // RCT over components 0 to 2 with component 1 subsampled (XRsiz of the second component set to 2).
    let mut cs = data("p1_rgb8_rct_lrcp_45x37.j2c");
    cs[42 + 3 + 1] = 2;
    assert!(matches!(decode(&cs), Err(Error::Unsupported { .. })));
}

/// Image and tile-grid offsets: the image is the area from (XOsiz, YOsiz) on, at any corner (the `g_*` cases of
/// tests/geometry.rs check odd ones against the reference decoders); its reduced resolutions only at an offset on
/// a multiple of 2^discard.
#[test]
fn image_and_tile_grid_offsets() {
    let cs = data("m_offset_u8.j2c");
    let h = read_header(&cs).unwrap();
    assert_eq!((h.width, h.height), (48, 40));
    // SIZ: XOsiz at bytes 16..20, YOsiz at 20..24, XTOsiz at 32..36.
    assert_eq!(&cs[16..24], &[0, 0, 0, 32, 0, 0, 0, 16]);
    let mut odd = cs.clone();
    odd[19] = 33;
    let image = decode(&odd).unwrap();
    assert_eq!((image.header.width, image.header.height), (47, 40));
    assert!(prefix_resolution(&odd).unwrap().is_some());
    assert!(matches!(
        decode_reduced(&odd, 1),
        Err(Error::Unsupported { .. })
    ));
    // A tile grid offset with the first tile not over the image (XTOsiz + XTsiz ≤ XOsiz) is invalid.
    let mut bad = cs.clone();
    bad[24..28].copy_from_slice(&16u32.to_be_bytes());
    bad[32..36].copy_from_slice(&16u32.to_be_bytes());
    assert!(matches!(
        read_header(&bad),
        Err(Error::InvalidSegment { .. })
    ));
    // Several tiles at an offset: one decode, equal to its reduced decodes' sizes.
    let cs = data("m_offset_tiles_u12_lossy.j2c");
    let r = decode_reduced(&cs, 2).unwrap();
    assert_eq!((r.width, r.height), (12, 10));
}
