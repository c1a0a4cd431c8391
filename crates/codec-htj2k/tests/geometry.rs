//! Tiles, image offsets and tile-grid offsets whose corners are not multiples of 2^levels: the `g_*` cases of
//! `tests/data` (made by `make_geometry_data.py` with opj_compress and ojph_compress), against opj_decompress's and
//! ojph_expand's decodes — 5/3 exactly, 9/7 (`lossy`) within 1; their `.skip<n>` references are tests/reduced.rs's.
//! And packed packet headers (`g_ppm_*`, `g_ppt_*`: opj_compress codestreams whose packet headers the generator
//! moved to PPM or PPT marker segments, which opj_decompress decodes to the same image).
//! Corrupt and truncated variants must give an error or an image, never a panic. Must not depend on OpenJPEG or
//! OpenJPH being installed.

use lumen_codec_htj2k::{
    decode, decode_prefix, decode_reduced, decode_with_limit, prefix_resolution, read_header, Error,
};

mod common;
use common::{data, len, values, widen, Rng};

#[test]
fn every_geometry_case_decodes_like_the_reference_decoders() {
    let names = common::cases("g_");
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
    for name in common::cases("g_") {
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
    for name in common::cases("g_") {
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

/// The offsets of the marker segments `marker` (FF xx) of a codestream's headers, in order: before the first SOD,
/// and in each tile-part header (found by SOT's Psot).
fn segments(cs: &[u8], marker: u8) -> Vec<usize> {
    let mut out = Vec::new();
    let mut pos = 2;
    while pos + 4 <= cs.len() {
        let (m, len) = (cs[pos + 1], usize::from(u16::from_be_bytes([cs[pos + 2], cs[pos + 3]])));
        match m {
            0x90 => {
                let psot = u32::from_be_bytes([cs[pos + 6], cs[pos + 7], cs[pos + 8], cs[pos + 9]]) as usize;
                // The tile-part header's segments.
                let mut p = pos + 12;
                while cs[p + 1] != 0x93 {
                    if cs[p + 1] == marker {
                        out.push(p);
                    }
                    p += 2 + usize::from(u16::from_be_bytes([cs[p + 2], cs[p + 3]]));
                }
                pos += psot;
            }
            0xD9 => break,
            _ => {
                if m == marker {
                    out.push(pos);
                }
                pos += 2 + len;
            }
        }
    }
    out
}

/// Packed packet headers: PPM in the main header (Nppm per tile-part, split across segments) and PPT in the
/// tile-part headers (numbered across a tile's tile-parts), with and without SOP/EPH markers (which stay in the
/// packets and in the packed headers respectively); the cases decode like opj_decompress (above).
#[test]
fn packed_packet_headers_decode_and_their_damage_is_an_error() {
    for (name, marker, least) in [
        ("g_ppm_eph_tiles_u8_2c", 0x60, 3),
        ("g_ppm_u12_layers", 0x60, 1),
        ("g_ppt_eph_tiles_u8_2c_lossy", 0x61, 6),
        ("g_ppt_u8", 0x61, 1),
    ] {
        let cs = data(&format!("{name}.j2c"));
        let at = segments(&cs, marker);
        assert!(at.len() >= least, "{name}: {} segments", at.len());
        let whole = decode(&cs).unwrap();
        // A segment's index repeated: invalid.
        if at.len() > 1 {
            let mut bad = cs.clone();
            bad[at[1] + 4] = bad[at[0] + 4];
            assert!(
                matches!(decode(&bad), Err(Error::InvalidSegment { .. })),
                "{name}: {:?}",
                decode(&bad).map(|i| i.header)
            );
        }
        // A reduced resolution reads the packed headers of the kept resolutions only (the image at an odd offset
        // has none).
        match decode_reduced(&cs, 1) {
            Ok(reduced) => assert_eq!(reduced.header, whole.header),
            Err(e) => assert!(
                name == "g_ppm_eph_tiles_u8_2c" && matches!(e, Error::Unsupported { .. }),
                "{name}: {e}"
            ),
        }
        // Prefixes: the packed headers are there, the bodies not yet.
        for cut in [cs.len() / 3, cs.len() / 2, cs.len() - 3] {
            let _ = prefix_resolution(&cs[..cut]);
            let _ = decode_prefix(&cs[..cut]);
        }
    }
    // Nppm beyond the PPM stream; the first tile-part's packet headers cut short.
    let cs = data("g_ppm_u12_layers.j2c");
    let ppm = segments(&cs, 0x60)[0];
    let mut bad = cs.clone();
    bad[ppm + 5..ppm + 9].copy_from_slice(&u32::MAX.to_be_bytes());
    assert!(matches!(decode(&bad), Err(Error::InvalidSegment { .. })));
    let mut bad = cs.clone();
    bad[ppm + 5..ppm + 9].copy_from_slice(&3u32.to_be_bytes());
    assert!(decode(&bad).is_err());
    // PPM and PPT together: invalid (T.800 A.7.5).
    let ppt = [0xFF, 0x61, 0x00, 0x04, 0x00, 0x80];
    let sod = cs.windows(2).position(|w| w == [0xFF, 0x93]).unwrap();
    let mut bad = cs[..sod].to_vec();
    bad.extend_from_slice(&ppt);
    bad.extend_from_slice(&cs[sod..]);
    // Psot of the (only) tile-part grows by the segment.
    let sot = cs.windows(2).position(|w| w == [0xFF, 0x90]).unwrap();
    let psot = u32::from_be_bytes(bad[sot + 6..sot + 10].try_into().unwrap()) + ppt.len() as u32;
    bad[sot + 6..sot + 10].copy_from_slice(&psot.to_be_bytes());
    assert!(matches!(decode(&bad), Err(Error::InvalidSegment { .. })));
}

/// Prefixes of the cases decode at the resolution `prefix_resolution` promises, to the reduced decode of the whole
/// codestream; at an odd image offset only the whole image is promised.
#[test]
fn prefixes_of_geometry_cases_decode_at_the_resolution_they_hold() {
    for name in common::cases("g_") {
        common::check_prefixes(&name, 97);
    }
}
