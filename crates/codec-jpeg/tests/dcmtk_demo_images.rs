//! End-to-end against dcmtk on Lumen's own demo images: `lumen demo --small` writes CT, radiograph, MR and a
//! colour ultrasound cine; dcmcjpeg compresses them (baseline 8-bit, extended 12-bit, 4:2:2, 4:4:4, 4:1:1),
//! dcmdjpeg decodes them, and every frame decoded here must equal dcmdjpeg's byte for byte.
//!
//! Needs dcmtk on the PATH and the `lumen` binary (`cargo build -p lumen`; found at `target/debug/lumen` or
//! `$LUMEN_BIN`); without them the test says why and passes without checking anything. The committed fixtures
//! (`fixtures_match_dcmtk.rs`) cover the same decoder without any tool.

use lumen_codec_jpeg::{decode, ColorTransform, DecodeOptions, Samples};
use std::path::{Path, PathBuf};
use std::process::Command;

fn lumen_binary() -> Option<PathBuf> {
    let path = std::env::var_os("LUMEN_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/debug/lumen")
        });
    path.is_file().then_some(path)
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("tool runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Value offset and length of the last Pixel Data element of an Explicit VR Little Endian file.
fn pixel_element(data: &[u8]) -> (usize, u32) {
    let at = data
        .windows(5)
        .rposition(|w| w == [0xE0, 0x7F, 0x10, 0x00, b'O'])
        .expect("pixel data element");
    let len = u32::from_le_bytes(data[at + 8..at + 12].try_into().unwrap());
    (at + 12, len)
}

/// The fragments of an encapsulated Pixel Data element, Basic Offset Table excluded.
fn fragments(data: &[u8]) -> Vec<Vec<u8>> {
    let (mut pos, len) = pixel_element(data);
    assert_eq!(len, u32::MAX, "encapsulated pixel data");
    let mut out = Vec::new();
    loop {
        let tag = u32::from_le_bytes(data[pos..pos + 4].try_into().unwrap());
        let n = u32::from_le_bytes(data[pos + 4..pos + 8].try_into().unwrap()) as usize;
        pos += 8;
        if tag == 0xE0DD_FFFE {
            break;
        }
        out.push(data[pos..pos + n].to_vec());
        pos += n;
    }
    out.remove(0);
    out
}

/// Photometric Interpretation (0028,0004) of an Explicit VR Little Endian file.
fn photometric(data: &[u8]) -> String {
    let at = data
        .windows(6)
        .position(|w| w == [0x28, 0x00, 0x04, 0x00, b'C', b'S'])
        .expect("photometric interpretation");
    let len = usize::from(u16::from_le_bytes([data[at + 6], data[at + 7]]));
    String::from_utf8_lossy(&data[at + 8..at + 8 + len])
        .trim()
        .to_string()
}

/// Compress `source` with dcmcjpeg `options`, decode with dcmdjpeg and with this crate; returns the largest
/// difference and whether the outputs are equal.
fn compare(dir: &Path, source: &Path, options: &[&str], name: &str) -> (i32, bool) {
    let (enc, dec) = (
        dir.join(format!("{name}.enc.dcm")),
        dir.join(format!("{name}.dec.dcm")),
    );
    run(Command::new("dcmcjpeg").args(options).arg(source).arg(&enc));
    run(Command::new("dcmdjpeg").arg(&enc).arg(&dec));
    let enc = std::fs::read(enc).unwrap();
    let dec = std::fs::read(dec).unwrap();
    let pi = photometric(&enc);
    let options = DecodeOptions {
        color: if pi.starts_with("YBR_FULL") {
            ColorTransform::YCbCrToRgb
        } else {
            ColorTransform::AsCoded
        },
        ..DecodeOptions::default()
    };
    let mut ours = Vec::new();
    let mut wide = false;
    for (i, frame) in fragments(&enc).iter().enumerate() {
        let image = decode(frame, &options).unwrap_or_else(|e| panic!("{name} frame {i}: {e}"));
        match image.samples {
            Samples::U8(v) => ours.extend(v.iter().map(|&s| i32::from(s))),
            Samples::U16(v) => {
                wide = true;
                ours.extend(v.iter().map(|&s| i32::from(s)));
            }
        }
    }
    let (at, len) = pixel_element(&dec);
    let raw = &dec[at..at + len as usize];
    let reference: Vec<i32> = if wide {
        raw.chunks_exact(2)
            .map(|c| i32::from(u16::from_le_bytes([c[0], c[1]])))
            .collect()
    } else {
        raw[..ours.len().min(raw.len())]
            .iter()
            .map(|&b| i32::from(b))
            .collect()
    };
    assert_eq!(ours.len(), reference.len(), "{name}: sample count");
    let diff = ours
        .iter()
        .zip(&reference)
        .map(|(a, b)| (a - b).abs())
        .max()
        .unwrap_or(0);
    (diff, ours == reference)
}

#[test]
fn demo_images_compressed_by_dcmcjpeg_decode_exactly_as_dcmdjpeg() {
    let Some(lumen) = lumen_binary() else {
        println!("SKIPPED: no lumen binary (cargo build -p lumen, or set LUMEN_BIN)");
        return;
    };
    if !have("dcmcjpeg") || !have("dcmdjpeg") {
        println!("SKIPPED: dcmtk (dcmcjpeg, dcmdjpeg) is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    run(Command::new(lumen)
        .args(["demo", "--small", "--out"])
        .arg(&demo));
    let ct = demo.join("ct-chest/01-axial-12.5mm-explicit-le/0010.dcm");
    let dx = demo.join("dx-chest/01-pa-monochrome2/0001.dcm");
    let mr = demo.join("mr-brain/01-axial-t1-explicit-le/0003.dcm");
    let us = demo.join("us-cine/01-cine-explicit-le/0001.dcm");
    let cases: [(&Path, &[&str], &str); 8] = [
        (&ct, &["+ee"], "ct-16bit-as-12bit-extended"),
        (&dx, &["+ee"], "dx-12bit-extended"),
        (&dx, &["+ee", "+q", "40"], "dx-12bit-extended-q40"),
        (&dx, &["+eb"], "dx-as-8bit-baseline"),
        (&mr, &["+ee"], "mr-12bit-extended"),
        (&us, &["+eb"], "us-cine-ybr-422"),
        (&us, &["+eb", "+s4"], "us-cine-ybr-444"),
        (&us, &["+eb", "+n1", "+q", "50"], "us-cine-ybr-411"),
    ];
    let mut failures = Vec::new();
    for (source, options, name) in cases {
        let (diff, equal) = compare(dir.path(), source, options, name);
        println!(
            "{name} (dcmcjpeg {}): max abs diff to dcmdjpeg = {diff}",
            options.join(" ")
        );
        if !equal {
            failures.push(name);
        }
    }
    assert!(failures.is_empty(), "differ from dcmdjpeg: {failures:?}");
}
