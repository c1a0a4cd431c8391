//! What the integration tests share: the committed test codestreams, samples widened for comparison, and a fixed
//! pseudo-random sequence.
// Each test binary uses its own subset.
#![allow(dead_code)]

use lumen_codec_htj2k::Samples;
use std::path::PathBuf;

/// `tests/data`, where `make_test_data.py` wrote the codestreams and their reference decodes.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// A file of `tests/data`.
pub fn data(name: &str) -> Vec<u8> {
    let path = dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Decoded samples widened to i32.
pub fn values(samples: &Samples) -> Vec<i32> {
    match samples {
        Samples::U8(v) => v.iter().map(|&s| i32::from(s)).collect(),
        Samples::I8(v) => v.iter().map(|&s| i32::from(s)).collect(),
        Samples::U16(v) => v.iter().map(|&s| i32::from(s)).collect(),
        Samples::I16(v) => v.iter().map(|&s| i32::from(s)).collect(),
    }
}

/// A reference decode (`.ref`: little-endian samples of `like`'s type) widened to i32.
pub fn widen(bytes: &[u8], like: &Samples) -> Vec<i32> {
    match like {
        Samples::U8(_) => bytes.iter().map(|&b| i32::from(b)).collect(),
        Samples::I8(_) => bytes.iter().map(|&b| i32::from(b as i8)).collect(),
        Samples::U16(_) => bytes.chunks_exact(2).map(|c| i32::from(u16::from_le_bytes([c[0], c[1]]))).collect(),
        Samples::I16(_) => bytes.chunks_exact(2).map(|c| i32::from(i16::from_le_bytes([c[0], c[1]]))).collect(),
    }
}

/// Number of decoded samples.
pub fn len(s: &Samples) -> usize {
    match s {
        Samples::U8(v) => v.len(),
        Samples::I8(v) => v.len(),
        Samples::U16(v) => v.len(),
        Samples::I16(v) => v.len(),
    }
}

/// xorshift64*: a fixed pseudo-random sequence, so failures reproduce.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Every case of a family (`p1_`, `m_`, `g_`: the files `<prefix>….ref`), by file name, sorted.
pub fn cases(prefix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(prefix))
        .filter_map(|n| n.strip_suffix(".ref").map(str::to_string))
        .collect();
    names.sort();
    names
}

/// The largest difference, or the first differing sample of an exact case, as a message.
pub fn compare(name: &str, got: &[i32], want: &[i32], exact: bool) -> Result<(), String> {
    if got.len() != want.len() {
        return Err(format!(
            "{name}: {} samples, want {}",
            got.len(),
            want.len()
        ));
    }
    if exact {
        if let Some(i) = got.iter().zip(want).position(|(a, b)| a != b) {
            return Err(format!(
                "{name}: sample {i} is {}, want {}",
                got[i], want[i]
            ));
        }
    } else {
        let diff = got
            .iter()
            .zip(want)
            .map(|(a, b)| (a - b).abs())
            .max()
            .unwrap_or(0);
        if diff > 1 {
            return Err(format!("{name}: differs by {diff}"));
        }
    }
    Ok(())
}

/// Prefixes of case `name`'s codestream, cut every `step` bytes: what `prefix_resolution` promises, `decode_prefix`
/// delivers (the whole image, or the reduced decode of the whole codestream), and the whole stream is promised at
/// full resolution.
pub fn check_prefixes(name: &str, step: usize) {
    use lumen_codec_htj2k::{decode, decode_prefix, decode_reduced, prefix_resolution};
    let cs = data(&format!("{name}.j2c"));
    let whole = decode(&cs).unwrap();
    for cut in (0..=cs.len()).step_by(step).chain([cs.len()]) {
        let prefix = &cs[..cut];
        match prefix_resolution(prefix).unwrap_or_else(|e| panic!("{name} cut at {cut}: {e}")) {
            None => assert!(decode_prefix(prefix).unwrap().is_none(), "{name} {cut}"),
            Some(p) => {
                let image = decode_prefix(prefix).unwrap().unwrap();
                assert_eq!(image.discarded, p.discard);
                if p.discard == 0 {
                    assert_eq!(image.samples, whole.samples, "{name} {cut}");
                } else {
                    let reduced = decode_reduced(&cs, p.discard).unwrap();
                    assert_eq!(image.samples, reduced.samples, "{name} {cut}");
                }
            }
        }
    }
    assert_eq!(prefix_resolution(&cs).unwrap().unwrap().discard, 0, "{name}");
}
