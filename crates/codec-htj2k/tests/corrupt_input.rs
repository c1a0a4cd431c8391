//! Truncation and corruption sweep: every prefix of some test codestreams and thousands of fixed-seed random byte
//! changes must give an `Err` or an image — never a panic, a hang or an oversized output; and a prefix that lost
//! coded data must never decode. Must not depend on OpenJPH.

use lumen_codec_htj2k::{decode, decode_with_limit, Error};

mod common;
use common::{len, Rng};

fn data(name: &str) -> Vec<u8> {
    common::data(&format!("{name}.j2c"))
}

const CASES: [&str; 5] = [
    "ct16s_96x80",
    "rgb8_rct_lrcp_45x37",
    "u12_7x13_l5",
    "rgb8_ict_45x37_lossy",
    "u12_blocks16x128_100x90",
];


#[test]
fn prefixes_without_all_the_coded_data_are_errors() {
    for name in CASES {
        let cs = data(name);
        let whole = decode(&cs).unwrap();
        // The last two bytes are EOC: a stream cut there still holds every packet and decodes the same.
        for cut in 0..cs.len() {
            match decode(&cs[..cut]) {
                Err(_) => {}
                Ok(image) => {
                    assert!(
                        cut >= cs.len() - 2,
                        "{name}: the {cut}-byte prefix of {} decoded",
                        cs.len()
                    );
                    assert_eq!(image, whole);
                }
            }
        }
    }
}

#[test]
fn random_corruption_is_an_error_or_an_image_of_the_declared_size() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut decoded = 0;
    for name in CASES {
        let cs = data(name);
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
            // A corrupt SIZ may declare a larger image: the limit bounds what is allocated for it.
            match decode_with_limit(&bad, 4 * size as u64) {
                Ok(image) => {
                    let h = image.header;
                    let n = (h.width * h.height) as usize * usize::from(h.components);
                    assert_eq!(len(&image.samples), n);
                    decoded += 1;
                }
                Err(Error::TooLarge { needed, .. }) => assert!(needed > 4 * size as u64),
                Err(_) => {}
            }
        }
    }
    // Most changes land in coded data, which has no redundancy: they still decode (to other pixels).
    assert!(decoded > 100, "only {decoded} corrupted streams decoded");
}

#[test]
fn header_fields_out_of_range_are_errors() {
    let cs = data("u12_7x13_l3");
    let siz = 4;
    // Zero components, a 0×0 image, a component subsampling of 0.
    for (offset, bytes) in [
        (siz + 36, vec![0, 0]),
        (siz + 4, vec![0, 0, 0, 0]),
        (siz + 40, vec![0]),
    ] {
        let mut bad = cs.clone();
        bad[offset..offset + bytes.len()].copy_from_slice(&bytes);
        assert!(decode(&bad).is_err(), "SIZ byte {offset} set to {bytes:?}");
    }
}
