//! Truncation and corruption sweep: every prefix of a fixture codestream and thousands of fixed-seed random byte
//! flips must give an `Err` or an image of the declared size — never a panic, a hang or an oversized output.
//! Must not depend on dcmtk.

use lumen_codec_jpegls::{decode, decode_with_limit, Error, Samples};
use std::path::PathBuf;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/{name}.jls"));
    std::fs::read(path).expect("fixture codestream")
}

const FIXTURES: [&str; 8] = [
    "mono8_513x17",
    "mono12_100x40_near2",
    "mono16_97x31",
    "rgb8_33x17_none",
    "rgb8_33x17_line",
    "rgb8_33x17_sample",
    "charls_mono8_513x17_restart4",
    "charls_rgba8_17x9_sample",
];

#[test]
fn every_strict_prefix_is_an_error() {
    for name in FIXTURES {
        let data = fixture(name);
        assert!(decode(&data).is_ok(), "{name} must decode whole");
        for len in 0..data.len() {
            assert!(
                decode(&data[..len]).is_err(),
                "{name}: the {len}-byte prefix of {} bytes decoded",
                data.len()
            );
        }
    }
}

/// xorshift64*: a fixed pseudo-random sequence, so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[test]
fn random_byte_flips_never_panic_and_keep_the_declared_size() {
    let mut rng = Rng(0x1234_5678_9ABC_DEF1);
    for name in FIXTURES {
        let original = fixture(name);
        for _ in 0..600 {
            let mut data = original.clone();
            let flips = 1 + rng.next() % 4;
            for _ in 0..flips {
                let at = (rng.next() % data.len() as u64) as usize;
                data[at] ^= 1 << (rng.next() % 8);
            }
            // A flip in the frame header can make the image larger; 64 MiB keeps the sweep quick.
            if let Ok(image) = decode_with_limit(&data, 64 << 20) {
                let expected = image.info.width as usize
                    * image.info.height as usize
                    * image.info.components as usize;
                let len = match &image.samples {
                    Samples::U8(v) => v.len(),
                    Samples::U16(v) => v.len(),
                };
                assert_eq!(len, expected, "{name}");
            }
        }
    }
}

#[test]
fn huge_declared_size_is_refused_before_allocating() {
    // SOF55 declaring 65535 × 65535 × 4 components of 16 bits.
    let data = [
        0xFF, 0xD8, 0xFF, 0xF7, 0x00, 0x14, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x04, 1, 0x11, 0, 2,
        0x11, 0, 3, 0x11, 0, 4, 0x11, 0, 0xFF, 0xDA, 0x00, 0x0E, 4, 1, 0, 2, 0, 3, 0, 4, 0, 0, 2,
        0, 0xFF, 0xD9,
    ];
    let err = decode(&data).unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err}");
}

#[test]
fn mapping_table_is_refused_with_a_clear_error() {
    // LSE id 2 (mapping table specification) before the scan.
    let data = [
        0xFF, 0xD8, 0xFF, 0xF7, 0x00, 0x0B, 0x08, 0x00, 0x01, 0x00, 0x01, 0x01, 0x01, 0x11, 0x00,
        0xFF, 0xF8, 0x00, 0x06, 0x02, 0x01, 0x01, 0x00,
    ];
    let err = decode(&data).unwrap_err();
    assert_eq!(
        err.to_string(),
        "JPEG-LS mapping tables (LSE id 2 and 3, palettised images) is not supported"
    );
}

#[test]
fn baseline_jpeg_is_not_mistaken_for_jpeg_ls() {
    let data = [
        0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 8, 0, 1, 0, 1, 1, 1, 0x11, 0,
    ];
    let err = decode(&data).unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
}

#[test]
fn oversize_dimensions_after_the_first_scan_are_refused() {
    // A 1×1 two-component image coded as two scans; between them an LSE id 4 tries to make it 65536 wide.
    let mut data = vec![
        0xFF, 0xD8, 0xFF, 0xF7, 0x00, 0x0E, 0x08, 0x00, 0x01, 0x00, 0x01, 0x02, 1, 0x11, 0, 2,
        0x11, 0,
    ];
    let scan = |id: u8| {
        [
            0xFF, 0xDA, 0x00, 0x08, 0x01, id, 0x00, 0x00, 0x00, 0x00, 0xC0,
        ]
    };
    data.extend(scan(1));
    data.extend([0xFF, 0xF8, 0x00, 0x0C, 0x04, 0x04, 0, 0, 0, 1, 0, 1, 0, 0]);
    data.extend(scan(2));
    data.extend([0xFF, 0xD9]);
    let err = decode(&data).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the JPEG-LS LSE marker segment is invalid: oversize dimensions after the first scan"
    );
}

#[test]
fn two_scans_of_a_two_component_image_decode() {
    // The same stream without the LSE: each scan codes one sample 0 (the 1×1 example of the crate docs).
    let mut data = vec![
        0xFF, 0xD8, 0xFF, 0xF7, 0x00, 0x0E, 0x08, 0x00, 0x01, 0x00, 0x01, 0x02, 1, 0x11, 0, 2,
        0x11, 0,
    ];
    let scan = |id: u8| {
        [
            0xFF, 0xDA, 0x00, 0x08, 0x01, id, 0x00, 0x00, 0x00, 0x00, 0xC0,
        ]
    };
    data.extend(scan(1));
    data.extend(scan(2));
    data.extend([0xFF, 0xD9]);
    assert_eq!(decode(&data).unwrap().samples, Samples::U8(vec![0, 0]));
}
