//! JPEG 2000 Part 1 (EBCOT) codestreams: the `p1_*` cases of `tests/data`, made by `make_part1_data.py` with
//! OpenJPEG's `opj_compress`, against `opj_decompress`'s decodes — lossless and truncated-5/3 streams exactly,
//! lossy (9/7) streams within 1. Must not depend on OpenJPEG being installed.

use lumen_codec_htj2k::{decode, decode_reduced, read_header, Error};

mod common;
use common::{compare, data, len, values, widen};

#[test]
fn every_part1_case_decodes_like_opj_decompress() {
    let names = common::cases("p1_");
    assert!(names.len() >= 50, "the test data is missing: {names:?}");
    let mut failures = Vec::new();
    for name in &names {
        let cs = data(&format!("{name}.j2c"));
        assert!(!lumen_codec_htj2k::is_htj2k(&cs), "{name}");
        let image = match decode(&cs) {
            Ok(image) => image,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        let lossy = name.contains("lossy");
        assert_eq!(image.header.reversible, !lossy, "{name}");
        let want = widen(&data(&format!("{name}.ref")), &image.samples);
        if let Err(e) = compare(name, &values(&image.samples), &want, !lossy) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn headers_of_part1_codestreams() {
    let h = read_header(&data("p1_ct16s_96x80.j2c")).unwrap();
    assert_eq!(
        (
            h.width,
            h.height,
            h.components,
            h.precision,
            h.signed,
            h.levels
        ),
        (96, 80, 1, 16, true, 5)
    );
    assert!(h.reversible && !h.colour_transform);
    let h = read_header(&data("p1_rgb8_ict_45x37_lossy.j2c")).unwrap();
    assert_eq!((h.components, h.precision, h.signed), (3, 8, false));
    assert!(!h.reversible && h.colour_transform);
}

#[test]
fn reduced_part1_decodes_match_the_whole_decode_with_nothing_discarded() {
    for name in ["p1_ct16s_96x80", "p1_rgb8_ict_45x37_lossy"] {
        let cs = data(&format!("{name}.j2c"));
        let whole = decode(&cs).unwrap();
        let reduced = decode_reduced(&cs, 0).unwrap();
        assert_eq!(reduced.samples, whole.samples, "{name}");
        assert!(matches!(
            decode_reduced(&cs, 6),
            Err(Error::TooManyLevels { .. })
        ));
    }
}

/// The offset of the COD marker segment's code-block style byte (SPcod) in a codestream.
fn style_byte(cs: &[u8]) -> usize {
    cs.windows(2).position(|w| w == [0xFF, 0x52]).unwrap() + 12
}

#[test]
fn part1_features_the_decoder_leaves_to_others_are_unsupported() {
    let base = data("p1_u8_65x33_lossy.j2c");
    let style = style_byte(&base);
    assert_eq!(base[style], 0);
    // Mixed HT and Part 1 code-blocks.
    let mut cs = base.clone();
    cs[style] = 0xC0;
    assert!(matches!(decode(&cs), Err(Error::Unsupported { .. })));
    // Tiles whose corners are not on multiples of 2^levels (20×20 tiles, 3 levels) are decoded since geometry
    // support (tests/geometry.rs checks such cases against opj_decompress): at every resolution.
    let cs = data("p1_u12_tiles20_l3_100x90.j2c");
    assert!(decode(&cs).is_ok());
    assert_eq!(decode_reduced(&cs, 3).map(|r| (r.width, r.height)).unwrap(), (13, 12));
    assert!(lumen_codec_htj2k::prefix_resolution(&cs).unwrap().is_some());
    // The COD marker renamed COC (decoded since COC support, tests/markers.rs): a main header without COD.
    let mut cs = base.clone();
    cs[style - 11] = 0x53;
    assert!(matches!(decode(&cs), Err(Error::InvalidSegment { .. })));
}

/// Several quality layers, precincts and the code-block styles, in the cases' names: every one of them is among
/// the cases that decode like OpenJPEG (a guard against the test data losing them).
#[test]
fn layers_precincts_and_code_block_styles_are_covered() {
    let names = common::cases("p1_");
    for needle in [
        "layers5",
        "layers3",
        "layers4",
        "precincts",
        "prec_layers_lrcp",
        "prec_layers_rlcp",
        "prec_layers_rpcl",
        "prec_layers_pcrl",
        "prec_layers_cprl",
        "style1_",
        "style4_",
        "style8_",
        "style5_",
        "style63_",
        "style1_lossy",
        "style5_layers_prec",
        "tiles32",
        "tiles64_tp",
        "tiles_layers_prec",
        "tiles_lossy",
        "tiles32_style13",
        "poc_res",
        "poc_comp",
    ] {
        assert!(
            names.iter().any(|n| n.contains(needle)),
            "no case with {needle}"
        );
    }
    // The style cases really carry their styles, and the layer cases their layers.
    let cs = data("p1_u16_style63_67x45.j2c");
    assert_eq!(cs[style_byte(&cs)], 63);
    for name in ["p1_rgb8_poc_res_45x37", "p1_rgb8_poc_comp_45x37"] {
        assert!(
            data(&format!("{name}.j2c"))
                .windows(2)
                .any(|w| w == [0xFF, 0x5F]),
            "{name}: no POC"
        );
    }
    let cs = data("p1_ct16s_layers5_96x80.j2c");
    let s = style_byte(&cs);
    assert_eq!(u16::from_be_bytes([cs[s - 6], cs[s - 5]]), 5);
}

/// The later layers refine the image: a COD that announces only the first two of five layers (whose packets come
/// first in LRCP) gives another image than the whole stream.
#[test]
fn a_whole_tiled_codestream_is_its_own_prefix() {
    for name in ["p1_u12_tiles32_100x90", "p1_rgb8_tiles_layers_prec_45x37"] {
        let cs = data(&format!("{name}.j2c"));
        let p = lumen_codec_htj2k::prefix_resolution(&cs).unwrap().unwrap();
        assert_eq!(p.discard, 0, "{name}");
        let whole = decode(&cs).unwrap();
        let prefix = lumen_codec_htj2k::decode_prefix(&cs).unwrap().unwrap();
        assert_eq!(prefix.samples, whole.samples, "{name}");
        // Without its last tile nothing is decodable at any resolution, and the whole decode is an error.
        let last_sot = cs.windows(2).rposition(|w| w == [0xFF, 0x90]).unwrap();
        let cut = &cs[..last_sot];
        assert!(
            lumen_codec_htj2k::prefix_resolution(cut).unwrap().is_none(),
            "{name}"
        );
        assert!(decode(cut).is_err(), "{name}");
    }
}

/// A header that declares more packets than the tile has bytes (65,535 layers of 2×2 precincts) is refused at
/// once, before anything is allocated per packet or precinct.
#[test]
fn more_packets_than_bytes_is_truncated() {
    let mut cs = data("p1_u12_precincts32_100x90.j2c");
    let cod = cs.windows(2).position(|w| w == [0xFF, 0x52]).unwrap();
    assert_eq!(cs[cod + 4], 1, "precincts signalled");
    cs[cod + 6..cod + 8].copy_from_slice(&u16::MAX.to_be_bytes());
    let levels = usize::from(cs[cod + 9]);
    for b in &mut cs[cod + 14..cod + 15 + levels] {
        *b = 0x11;
    }
    let start = std::time::Instant::now();
    assert!(
        matches!(decode(&cs), Err(Error::Truncated { .. })),
        "{:?}",
        decode(&cs).map(|i| i.header)
    );
    assert!(matches!(
        lumen_codec_htj2k::prefix_resolution(&cs),
        Ok(None)
    ));
    // Without the check some 10^8 packets would be listed, then read until the data runs out: seconds.
    assert!(start.elapsed().as_millis() < 500, "{:?}", start.elapsed());
}

#[test]
fn every_layer_contributes() {
    let cs = data("p1_ct16s_layers5_96x80.j2c");
    let whole = decode(&cs).unwrap();
    let s = style_byte(&cs);
    let mut fewer = cs.clone();
    fewer[s - 6..s - 4].copy_from_slice(&2u16.to_be_bytes());
    // The first two layers' packets come first (LRCP): the rest of the tile is left unread.
    let two = decode(&fewer).unwrap();
    assert_ne!(two.samples, whole.samples);
}

#[test]
fn a_wrong_segmentation_symbol_is_an_error() {
    // The reset + segmentation symbol case decoded without segmentation symbols (style 0x02): the first cleanup
    // pass's symbol is read as data, so the decode desynchronises; with SEGMARK set on a stream that has none,
    // the symbol check fails.
    let mut cs = data("p1_u8_sop_eph_65x33.j2c");
    let style = style_byte(&cs);
    cs[style] = 0x20;
    assert!(matches!(decode(&cs), Err(Error::CorruptData { .. })));
}

const CORRUPT_CASES: [&str; 10] = [
    "p1_ct16s_70x66_l5",
    "p1_rgb8_rct_lrcp_45x37",
    "p1_rgb8_ict_45x37_lossy",
    "p1_u12_reset_segmark_100x90",
    "p1_rgb8_prec_layers_pcrl_45x37",
    "p1_u16_style63_67x45",
    "p1_u16_style5_layers_prec_67x45",
    "p1_u8_style1_lossy_65x33",
    "p1_u12_tiles32_style13_layers_100x90",
    "p1_rgb8_tiles_layers_prec_45x37",
];

#[test]
fn part1_prefixes_without_all_the_coded_data_are_errors() {
    for name in CORRUPT_CASES {
        let cs = data(&format!("{name}.j2c"));
        let whole = decode(&cs).unwrap();
        for cut in 0..cs.len() {
            if let Ok(image) = decode(&cs[..cut]) {
                // Only EOC may be missing.
                assert!(cut >= cs.len() - 2, "{name}: the {cut}-byte prefix decoded");
                assert_eq!(image, whole);
            }
        }
    }
}

#[test]
fn part1_random_corruption_is_an_error_or_an_image_of_the_declared_size() {
    let mut rng = common::Rng(0x2545_F491_4F6C_DD1D);
    let mut decoded = 0;
    for name in CORRUPT_CASES {
        let cs = data(&format!("{name}.j2c"));
        let size = len(&decode(&cs).unwrap().samples);
        for _ in 0..800 {
            let mut bad = cs.clone();
            for _ in 0..1 + rng.next() % 4 {
                let i = (rng.next() % bad.len() as u64) as usize;
                match rng.next() % 3 {
                    0 => bad[i] ^= 1 << (rng.next() % 8),
                    1 => bad[i] = rng.next() as u8,
                    _ => bad[i] = 0xFF,
                }
            }
            match lumen_codec_htj2k::decode_with_limit(&bad, 4 * size as u64) {
                Ok(image) => {
                    let h = image.header;
                    let n = (h.width * h.height) as usize * usize::from(h.components);
                    assert_eq!(len(&image.samples), n, "{name}");
                    decoded += 1;
                }
                Err(Error::TooLarge { needed, .. }) => assert!(needed > 4 * size as u64),
                Err(_) => {}
            }
        }
    }
    // The MQ-coded data has no redundancy: most changes there still decode (to other pixels).
    assert!(decoded > 100, "only {decoded} corrupted streams decoded");
}
