//! Conformance of `lumen decode --format raw` against the reference toolkits. Deterministic source images (a
//! 64×64 CT-like image with 12 of 16 bits stored and signed values, 8-bit monochrome, 8-bit RGB, and a 4-frame
//! 8-bit image) are written in Explicit VR Little Endian, encoded with dcmtk and GDCM into every transfer syntax
//! Lumen decodes, decoded back by the same toolkits (dcmdrle, dcmdjpeg, gdcmconv --raw) as the reference, and
//! compared with Lumen's output: byte for byte for lossless syntaxes, within a printed maximum difference for
//! lossy ones; JPEG-LS lossless and near-lossless (.80/.81, every interleave mode) byte for byte against dcmtk's
//! `dcmdjpls`; lossy JPEG Baseline (.50) and Extended (.51, 12-bit included) byte for byte against `dcmdjpeg`.
//! A syntax Lumen does not decode (JPEG Full Progression, retired .55) must fail with a clear "not supported yet"
//! error. A last
//! test checks `--format png` against the windowing formula and `lumen info --json` against the source attributes.
//!
//! Needs dcmtk and GDCM on PATH; without them the test fails, unless `LUMEN_SKIP_REFERENCE_TOOLS=1` is set.

use dicom_core::value::{DicomValueType, PrimitiveValue, Value};
use dicom_core::{DataElement, VR};
use dicom_dictionary_std::tags;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use std::path::{Path, PathBuf};
use std::process::Command;

const SIZE: u16 = 64;
const TOOLS: &[&str] = &[
    "dcmconv", "dcmcrle", "dcmdrle", "dcmcjpeg", "dcmdjpeg", "dcmcjpls", "dcmdjpls", "gdcmconv",
];

/// One source image: its name, its pixel attributes, its native little-endian pixel bytes.
struct Source {
    name: &'static str,
    samples_per_pixel: u16,
    photometric: &'static str,
    bits_allocated: u16,
    bits_stored: u16,
    signed: bool,
    frames: u32,
    pixels: Vec<u8>,
}

fn sources() -> Vec<Source> {
    let n = SIZE as usize;
    let ct: Vec<u8> = (0..n)
        .flat_map(|y| (0..n).map(move |x| ((x * 13 + y * 29 + (x * y) % 17) % 4096) as i16 - 2048))
        .flat_map(i16::to_le_bytes)
        .collect();
    let mono8: Vec<u8> = (0..n)
        .flat_map(|y| {
            (0..n).map(move |x| ((x * 3 + y * 2 + ((x / 8 + y / 8) % 2) * 40) % 256) as u8)
        })
        .collect();
    let rgb8: Vec<u8> = (0..n)
        .flat_map(|y| (0..n).flat_map(move |x| [(x * 4) as u8, (y * 4) as u8, ((x + y) * 2) as u8]))
        .collect();
    let multi: Vec<u8> = (0..4)
        .flat_map(|f| {
            (0..n).flat_map(move |y| (0..n).map(move |x| ((x * 3 + y * 2 + f * 50) % 256) as u8))
        })
        .collect();
    vec![
        Source {
            name: "ct12s",
            samples_per_pixel: 1,
            photometric: "MONOCHROME2",
            bits_allocated: 16,
            bits_stored: 12,
            signed: true,
            frames: 1,
            pixels: ct,
        },
        Source {
            name: "mono8",
            samples_per_pixel: 1,
            photometric: "MONOCHROME2",
            bits_allocated: 8,
            bits_stored: 8,
            signed: false,
            frames: 1,
            pixels: mono8,
        },
        Source {
            name: "rgb8",
            samples_per_pixel: 3,
            photometric: "RGB",
            bits_allocated: 8,
            bits_stored: 8,
            signed: false,
            frames: 1,
            pixels: rgb8,
        },
        Source {
            name: "multi8",
            samples_per_pixel: 1,
            photometric: "MONOCHROME2",
            bits_allocated: 8,
            bits_stored: 8,
            signed: false,
            frames: 4,
            pixels: multi,
        },
    ]
}

fn write_source(src: &Source, path: &Path) {
    let us = |v: u16| PrimitiveValue::from(v);
    let sop_class = if src.name == "ct12s" {
        "1.2.840.10008.5.1.4.1.1.2"
    } else {
        "1.2.840.10008.5.1.4.1.1.7"
    };
    let mut obj = InMemDicomObject::from_element_iter([
        DataElement::new(tags::SOP_CLASS_UID, VR::UI, PrimitiveValue::from(sop_class)),
        DataElement::new(
            tags::SOP_INSTANCE_UID,
            VR::UI,
            PrimitiveValue::from(format!("2.25.1000{}", src.name.len())),
        ),
        DataElement::new(tags::MODALITY, VR::CS, PrimitiveValue::from("OT")),
        DataElement::new(
            tags::PATIENT_NAME,
            VR::PN,
            PrimitiveValue::from("CONFORMANCE^TEST"),
        ),
        DataElement::new(tags::SAMPLES_PER_PIXEL, VR::US, us(src.samples_per_pixel)),
        DataElement::new(
            tags::PHOTOMETRIC_INTERPRETATION,
            VR::CS,
            PrimitiveValue::from(src.photometric),
        ),
        DataElement::new(tags::ROWS, VR::US, us(SIZE)),
        DataElement::new(tags::COLUMNS, VR::US, us(SIZE)),
        DataElement::new(tags::BITS_ALLOCATED, VR::US, us(src.bits_allocated)),
        DataElement::new(tags::BITS_STORED, VR::US, us(src.bits_stored)),
        DataElement::new(tags::HIGH_BIT, VR::US, us(src.bits_stored - 1)),
        DataElement::new(tags::PIXEL_REPRESENTATION, VR::US, us(src.signed as u16)),
    ]);
    if src.samples_per_pixel == 3 {
        obj.put(DataElement::new(tags::PLANAR_CONFIGURATION, VR::US, us(0)));
    }
    if src.frames > 1 {
        obj.put(DataElement::new(
            tags::NUMBER_OF_FRAMES,
            VR::IS,
            PrimitiveValue::from(src.frames.to_string()),
        ));
    }
    let value = if src.bits_allocated == 16 {
        let words: Vec<u16> = src
            .pixels
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        DataElement::new(tags::PIXEL_DATA, VR::OW, PrimitiveValue::U16(words.into()))
    } else {
        DataElement::new(
            tags::PIXEL_DATA,
            VR::OB,
            PrimitiveValue::U8(src.pixels.clone().into()),
        )
    };
    obj.put(value);
    let file = obj
        .with_meta(FileMetaTableBuilder::new().transfer_syntax("1.2.840.10008.1.2.1"))
        .expect("file meta");
    file.write_to_file(path).expect("write source");
}

fn tool_missing() -> Option<&'static str> {
    TOOLS
        .iter()
        .copied()
        .find(|tool| Command::new(tool).arg("--version").output().is_err())
}

fn run_tool(args: &[&str]) -> Result<(), String> {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .map_err(|e| format!("{}: {e}", args[0]))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Pixel data of an uncompressed reference file, normalised to what `lumen decode --format raw` promises:
/// little-endian, colour interleaved, bits above Bits Stored masked off, sign-extended for signed data.
fn reference_pixels(path: &Path) -> Result<Vec<u8>, String> {
    let obj = dicom_object::open_file(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let int = |tag| {
        obj.element(tag)
            .ok()
            .and_then(|e| e.to_int::<i64>().ok())
            .unwrap_or(0)
    };
    let (ba, bs, signed) = (
        int(tags::BITS_ALLOCATED),
        int(tags::BITS_STORED),
        int(tags::PIXEL_REPRESENTATION) == 1,
    );
    let (spp, planar) = (
        int(tags::SAMPLES_PER_PIXEL) as usize,
        int(tags::PLANAR_CONFIGURATION) == 1,
    );
    let pi = obj
        .element(tags::PHOTOMETRIC_INTERPRETATION)
        .ok()
        .and_then(|e| e.to_str().ok())
        .unwrap_or_default();
    if spp == 3 && pi.trim() != "RGB" {
        return Err(format!("reference decode is {pi}, not RGB"));
    }
    let pixels = (int(tags::ROWS) * int(tags::COLUMNS)) as usize;
    let value = obj
        .element(tags::PIXEL_DATA)
        .map_err(|e| e.to_string())?
        .value();
    let mut bytes: Vec<u8> = match value {
        Value::Primitive(PrimitiveValue::U8(v)) => v.to_vec(),
        Value::Primitive(PrimitiveValue::U16(v)) => {
            v.iter().flat_map(|w| w.to_le_bytes()).collect()
        }
        other => {
            return Err(format!(
                "unexpected reference pixel data {:?}",
                other.value_type()
            ))
        }
    };
    let bps = (ba / 8) as usize;
    if spp == 3 && planar {
        let frame_len = pixels * 3 * bps;
        let mut interleaved = Vec::with_capacity(bytes.len());
        for frame in bytes.chunks(frame_len) {
            for p in 0..pixels {
                for s in 0..3 {
                    let at = (s * pixels + p) * bps;
                    interleaved.extend_from_slice(&frame[at..at + bps]);
                }
            }
        }
        bytes = interleaved;
    }
    if ba == 16 && bs < 16 {
        for c in bytes.chunks_exact_mut(2) {
            let v = u16::from_le_bytes([c[0], c[1]]) & ((1u16 << bs) - 1);
            let v = if signed && v & (1 << (bs - 1)) != 0 {
                v | !((1u16 << bs) - 1)
            } else {
                v
            };
            c.copy_from_slice(&v.to_le_bytes());
        }
    }
    Ok(bytes)
}

/// Run `lumen decode --format raw`, returning its output bytes or its stderr.
fn lumen_raw(input: &Path, frame: Option<u32>, out: &Path) -> Result<Vec<u8>, String> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lumen"));
    cmd.arg("decode")
        .arg(input)
        .arg("--format")
        .arg("raw")
        .arg("--out")
        .arg(out);
    if let Some(f) = frame {
        cmd.arg("--frame").arg(f.to_string());
    }
    let output = cmd.output().map_err(|e| format!("cannot run lumen: {e}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).trim().to_string());
    }
    std::fs::read(out).map_err(|e| e.to_string())
}

/// Largest absolute difference between samples (16-bit samples compared as signed/unsigned words).
fn max_abs_diff(a: &[u8], b: &[u8], bits_allocated: u16, signed: bool) -> Option<i64> {
    if a.len() != b.len() {
        return None;
    }
    Some(if bits_allocated == 16 {
        a.chunks_exact(2)
            .zip(b.chunks_exact(2))
            .map(|(x, y)| {
                let (x, y) = (
                    u16::from_le_bytes([x[0], x[1]]),
                    u16::from_le_bytes([y[0], y[1]]),
                );
                if signed {
                    (x as i16 as i64 - y as i16 as i64).abs()
                } else {
                    (x as i64 - y as i64).abs()
                }
            })
            .max()
            .unwrap_or(0)
    } else {
        a.iter()
            .zip(b)
            .map(|(&x, &y)| (x as i64 - y as i64).abs())
            .max()
            .unwrap_or(0)
    })
}

/// One encoding of a source: tool command, reference decoder, and the allowed difference.
struct Case {
    label: &'static str,
    encode: Vec<&'static str>,
    decode: Option<Vec<&'static str>>,
    tolerance: i64,
}

fn cases(src: &Source) -> Vec<Case> {
    let mut v = vec![
        Case {
            label: "explicit VR LE (.1.2.1)",
            encode: vec!["dcmconv", "+te"],
            decode: None,
            tolerance: 0,
        },
        Case {
            label: "implicit VR LE (.1.2)",
            encode: vec!["dcmconv", "+ti"],
            decode: None,
            tolerance: 0,
        },
        Case {
            label: "explicit VR BE (.1.2.2)",
            encode: vec!["dcmconv", "+tb"],
            decode: None,
            tolerance: 0,
        },
        Case {
            label: "deflated (.1.2.1.99)",
            encode: vec!["dcmconv", "+td"],
            decode: None,
            tolerance: 0,
        },
        Case {
            label: "RLE lossless (.5)",
            encode: vec!["dcmcrle"],
            decode: Some(vec!["dcmdrle"]),
            tolerance: 0,
        },
        Case {
            label: "JPEG lossless P14 (.57)",
            encode: vec!["dcmcjpeg", "+el"],
            decode: Some(vec!["dcmdjpeg"]),
            tolerance: 0,
        },
        Case {
            label: "JPEG lossless SV1 (.70)",
            encode: vec!["dcmcjpeg", "+e1"],
            decode: Some(vec!["dcmdjpeg"]),
            tolerance: 0,
        },
        Case {
            label: "RLE, 1 KB fragments (.5)",
            encode: vec!["dcmcrle", "+fs", "1"],
            decode: Some(vec!["dcmdrle"]),
            tolerance: 0,
        },
        Case {
            label: "JPEG SV1, 1 KB fragments (.70)",
            encode: vec!["dcmcjpeg", "+e1", "+fs", "1"],
            decode: Some(vec!["dcmdjpeg"]),
            tolerance: 0,
        },
        Case {
            label: "JPEG SV1, 1 KB fragments, no BOT (.70)",
            encode: vec!["dcmcjpeg", "+e1", "+fs", "1", "-ot"],
            decode: Some(vec!["dcmdjpeg"]),
            tolerance: 0,
        },
        Case {
            label: "JPEG 2000 lossless (.90)",
            encode: vec!["gdcmconv", "--j2k"],
            decode: Some(vec!["gdcmconv", "--raw"]),
            tolerance: 0,
        },
        Case {
            label: "JPEG 2000 lossy (.91)",
            encode: vec!["gdcmconv", "--j2k", "--lossy", "-q", "40"],
            decode: Some(vec!["gdcmconv", "--raw"]),
            tolerance: 1,
        },
    ];
    // JPEG-LS decoding is deterministic, near-lossless included: byte for byte what dcmdjpls gives.
    v.extend([
        Case {
            label: "JPEG-LS lossless (.80)",
            encode: vec!["dcmcjpls", "+el"],
            decode: Some(vec!["dcmdjpls"]),
            tolerance: 0,
        },
        Case {
            label: "JPEG-LS lossless, 1 KB fragments (.80)",
            encode: vec!["dcmcjpls", "+el", "+fs", "1"],
            decode: Some(vec!["dcmdjpls"]),
            tolerance: 0,
        },
    ]);
    // dcmcjpls refuses near-lossless coding of signed pixel data.
    if !src.signed {
        for (label, near) in [
            ("JPEG-LS near-lossless NEAR=2 (.81)", "2"),
            ("JPEG-LS near-lossless NEAR=7 (.81)", "7"),
        ] {
            v.push(Case {
                label,
                encode: vec!["dcmcjpls", "+en", "+md", near],
                decode: Some(vec!["dcmdjpls"]),
                tolerance: 0,
            });
        }
    }
    if src.samples_per_pixel == 3 {
        for (label, option) in [
            ("JPEG-LS lossless, no interleave (.80)", "+in"),
            ("JPEG-LS lossless, line interleave (.80)", "+il"),
            ("JPEG-LS lossless, sample interleave (.80)", "+is"),
        ] {
            v.push(Case {
                label,
                encode: vec!["dcmcjpls", "+el", option],
                decode: Some(vec!["dcmdjpls"]),
                tolerance: 0,
            });
        }
        for (label, option) in [
            ("JPEG-LS NEAR=3, no interleave (.81)", "+in"),
            ("JPEG-LS NEAR=3, sample interleave (.81)", "+is"),
        ] {
            v.push(Case {
                label,
                encode: vec!["dcmcjpls", "+en", "+md", "3", option],
                decode: Some(vec!["dcmdjpls"]),
                tolerance: 0,
            });
        }
    }
    // lumen-codec-jpeg reproduces libjpeg 6b (integer IDCT, fancy upsampling, YCbCr→RGB tables): lossy JPEG
    // decodes byte for byte as dcmdjpeg does.
    if src.bits_allocated == 8 {
        v.push(Case {
            label: "JPEG baseline (.50)",
            encode: vec!["dcmcjpeg", "+eb"],
            decode: Some(vec!["dcmdjpeg"]),
            tolerance: 0,
        });
        if src.samples_per_pixel == 3 {
            v.push(Case {
                label: "JPEG baseline 4:4:4 (.50)",
                encode: vec!["dcmcjpeg", "+eb", "+s4"],
                decode: Some(vec!["dcmdjpeg"]),
                tolerance: 0,
            });
        }
    }
    v.push(Case {
        label: "JPEG extended (.51)",
        encode: vec!["dcmcjpeg", "+ee"],
        decode: Some(vec!["dcmdjpeg"]),
        tolerance: 0,
    });
    v
}

#[test]
fn lumen_decode_matches_reference_toolkits() {
    if let Some(tool) = tool_missing() {
        if std::env::var("LUMEN_SKIP_REFERENCE_TOOLS").as_deref() == Ok("1") {
            println!(
                "SKIPPED: `{tool}` (dcmtk/GDCM) is not installed and LUMEN_SKIP_REFERENCE_TOOLS=1"
            );
            return;
        }
        panic!(
            "the reference tool `{tool}` is not on PATH: install dcmtk and GDCM (apt-get install dcmtk libgdcm-tools), \
             or set LUMEN_SKIP_REFERENCE_TOOLS=1 to skip this conformance test"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let d = |name: String| -> PathBuf { dir.path().join(name) };
    let mut failures = Vec::new();
    let mut checked = 0;
    for src in sources() {
        let source_path = d(format!("{}.dcm", src.name));
        write_source(&src, &source_path);
        for (i, case) in cases(&src).iter().enumerate() {
            let encoded = d(format!("{}_{i}.dcm", src.name));
            let mut encode = case.encode.clone();
            let (s, e) = (source_path.to_str().unwrap(), encoded.to_str().unwrap());
            encode.extend([s, e]);
            let what = format!("{} {}", src.name, case.label);
            if let Err(e) = run_tool(&encode) {
                failures.push(format!("{what}: could not encode: {e}"));
                continue;
            }
            let reference = match &case.decode {
                None => Ok(src.pixels.clone()).and_then(|_| reference_pixels(&source_path)),
                Some(decode) => {
                    let decoded = d(format!("{}_{i}_ref.dcm", src.name));
                    let mut cmd = decode.clone();
                    cmd.extend([e, decoded.to_str().unwrap()]);
                    run_tool(&cmd).and_then(|_| reference_pixels(&decoded))
                }
            };
            let reference = match reference {
                Ok(r) => r,
                Err(e) => {
                    failures.push(format!("{what}: reference decode failed: {e}"));
                    continue;
                }
            };
            let ours = match lumen_raw(&encoded, None, &d(format!("{}_{i}.raw", src.name))) {
                Ok(b) => b,
                Err(e) => {
                    failures.push(format!("{what}: lumen decode failed: {e}"));
                    continue;
                }
            };
            checked += 1;
            match max_abs_diff(&ours, &reference, src.bits_allocated, src.signed) {
                None => failures.push(format!(
                    "{what}: {} bytes, reference has {}",
                    ours.len(),
                    reference.len()
                )),
                Some(diff) => {
                    println!(
                        "{what:<48} max abs diff {diff} (allowed {})",
                        case.tolerance
                    );
                    if diff > case.tolerance {
                        failures.push(format!("{what}: max abs diff {diff} > {}", case.tolerance));
                    }
                }
            }
            // Every frame alone gives its slice of the whole.
            if src.frames > 1 {
                let frame_len = reference.len() / src.frames as usize;
                for f in 0..src.frames {
                    match lumen_raw(&encoded, Some(f), &d(format!("{}_{i}_{f}.raw", src.name))) {
                        Ok(one)
                            if one.len() == frame_len
                                && ours
                                    .get(f as usize * frame_len..(f as usize + 1) * frame_len)
                                    == Some(&one[..]) => {}
                        Ok(_) => failures.push(format!(
                            "{what}: --frame {f} differs from the same frame of the full decode"
                        )),
                        Err(e) => failures.push(format!("{what}: --frame {f}: {e}")),
                    }
                }
            }
        }
    }
    println!("{checked} encodings compared");
    assert!(
        failures.is_empty(),
        "conformance failures:\n{}",
        failures.join("\n")
    );
}

#[test]
fn unsupported_syntaxes_fail_cleanly() {
    if let Some(tool) = tool_missing() {
        if std::env::var("LUMEN_SKIP_REFERENCE_TOOLS").as_deref() == Ok("1") {
            println!(
                "SKIPPED: `{tool}` (dcmtk/GDCM) is not installed and LUMEN_SKIP_REFERENCE_TOOLS=1"
            );
            return;
        }
        panic!("the reference tool `{tool}` is not on PATH: install dcmtk and GDCM, or set LUMEN_SKIP_REFERENCE_TOOLS=1");
    }
    let dir = tempfile::tempdir().unwrap();
    let all = sources();
    for (src_name, args, uid) in [("ct12s", vec!["dcmcjpeg", "+ep"], "1.2.840.10008.1.2.4.55")] {
        let src = all.iter().find(|s| s.name == src_name).unwrap();
        let source_path = dir.path().join(format!("{src_name}.dcm"));
        write_source(src, &source_path);
        let encoded = dir.path().join(format!(
            "{src_name}_{}.dcm",
            uid.rsplit('.').next().unwrap()
        ));
        let mut cmd = args.clone();
        cmd.extend([source_path.to_str().unwrap(), encoded.to_str().unwrap()]);
        run_tool(&cmd).unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_lumen"))
            .arg("decode")
            .arg(&encoded)
            .args(["--format", "raw", "--out"])
            .arg(dir.path().join("never.raw"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        println!(
            "{uid}: exit {:?}, stderr: {}",
            output.status.code(),
            stderr.trim()
        );
        assert!(!output.status.success(), "{uid}: lumen decode succeeded");
        assert!(
            output.status.code().is_some(),
            "{uid}: lumen was killed by a signal"
        );
        assert!(
            stderr.contains(uid) && stderr.contains("is not supported yet"),
            "{uid}: {stderr}"
        );
        assert!(
            stderr.contains(encoded.to_str().unwrap()),
            "{uid}: the error must name the file: {stderr}"
        );
        assert!(
            !stderr.contains("panicked") && !stderr.contains("internal error"),
            "{uid}: {stderr}"
        );
        assert_eq!(
            stderr.trim().lines().count(),
            1,
            "{uid}: one line expected: {stderr}"
        );
    }
}

#[test]
fn png_output_is_the_displayed_image_and_info_prints_dicom_json() {
    let dir = tempfile::tempdir().unwrap();
    let all = sources();
    let ct = all.iter().find(|s| s.name == "ct12s").unwrap();
    let path = dir.path().join("ct.dcm");
    write_source(ct, &path);

    // PNG: no window in the file, so the full stored range maps to 0..=255 (LINEAR_EXACT over min..max).
    let png_path = dir.path().join("ct.png");
    let status = Command::new(env!("CARGO_BIN_EXE_lumen"))
        .arg("decode")
        .arg(&path)
        .arg("--out")
        .arg(&png_path)
        .status()
        .unwrap();
    assert!(status.success());
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&png_path).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(
        (info.width, info.height, info.color_type),
        (64, 64, png::ColorType::Grayscale)
    );
    let stored: Vec<i16> = ct
        .pixels
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect();
    let (min, max) = (
        *stored.iter().min().unwrap() as f64,
        *stored.iter().max().unwrap() as f64,
    );
    let (c, w) = ((min + max) / 2.0, max - min);
    for (i, &v) in stored.iter().enumerate().step_by(97) {
        let expected = (((v as f64 - c) / w + 0.5) * 255.0)
            .clamp(0.0, 255.0)
            .round() as u8;
        assert_eq!(buf[i], expected, "pixel {i} (stored {v})");
    }

    // info --json: the DICOM JSON model of the data set.
    let out = Command::new(env!("CARGO_BIN_EXE_lumen"))
        .arg("info")
        .arg(&path)
        .arg("--json")
        .output()
        .unwrap();
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["00280010"]["vr"], "US");
    assert_eq!(json["00280010"]["Value"][0], 64);
    assert_eq!(json["00280101"]["Value"][0], 12);

    // info: the summary names the transfer syntax.
    let out = Command::new(env!("CARGO_BIN_EXE_lumen"))
        .arg("info")
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("1.2.840.10008.1.2.1 (Explicit VR Little Endian)"),
        "{text}"
    );
    assert!(text.contains("64 columns × 64 rows, 1 frame(s)"), "{text}");
    assert!(
        text.contains("12 stored") && text.contains("signed"),
        "{text}"
    );
}
