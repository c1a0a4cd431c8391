//! What the `dicom_parse` and `encapsulated_frames` fuzz targets run, shared with the regression test
//! `crates/dicom/tests/fuzz_regressions.rs` (which includes this file with `#[path]`), so a committed corpus
//! file is replayed exactly as the fuzzer ran it. Plain Rust: no fuzzing crate is needed to build it.
#![allow(dead_code)]

use lumen_dicom::DicomFile;

/// At most this many frames are decoded per input. Number of Frames (0028,0008) is read from the input, so
/// without a cap a 200-byte file declaring 2³¹ frames would keep the fuzzer busy for hours on one input. Frames
/// past the cap take the same code paths as the ones before it.
pub const MAX_FRAMES: u32 = 4;

/// What one input came to, for the regression tests (the fuzz targets ignore it).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// `DicomFile::from_bytes` succeeded.
    pub parsed: bool,
    /// The transfer syntax UID of the parsed file.
    pub transfer_syntax: String,
    /// `image_info` succeeded.
    pub has_image: bool,
    /// Frames decoded without error.
    pub frames_decoded: u32,
}

/// Parse `bytes` as DICOM, read the Image Pixel attributes and decode the first [`MAX_FRAMES`] frames. Errors
/// are expected and only counted: a panic, a hang or an out-of-memory abort is a finding.
pub fn parse_and_decode(bytes: &[u8]) -> Outcome {
    let mut outcome = Outcome::default();
    let Ok(file) = DicomFile::from_bytes(bytes) else {
        return outcome;
    };
    outcome.parsed = true;
    outcome.transfer_syntax = file.transfer_syntax().to_string();
    let _ = file.transfer_syntax_name();
    let _ = file.sop_class_name();
    if file.image_info().is_err() {
        return outcome;
    }
    outcome.has_image = true;
    let frames = file.number_of_frames().min(MAX_FRAMES);
    for index in 0..frames {
        if file.decode_frame(index).is_ok() {
            outcome.frames_decoded += 1;
        }
    }
    // One past the end must be an error, not a panic.
    assert!(
        file.decode_frame(file.number_of_frames()).is_err(),
        "decoding frame Number of Frames (one past the last) succeeded"
    );
    outcome
}

/// Transfer syntaxes `wrap_encapsulated` chooses from (input byte 0, modulo the length). New syntaxes go at the
/// end, so that seeds written with the index of an older syntax keep it.
pub const TRANSFER_SYNTAXES: [&str; 12] = [
    "1.2.840.10008.1.2.5",    // RLE Lossless
    "1.2.840.10008.1.2.4.50", // JPEG Baseline
    "1.2.840.10008.1.2.4.51", // JPEG Extended
    "1.2.840.10008.1.2.4.57", // JPEG Lossless
    "1.2.840.10008.1.2.4.70", // JPEG Lossless SV1
    "1.2.840.10008.1.2.4.80", // JPEG-LS Lossless
    "1.2.840.10008.1.2.4.81", // JPEG-LS Near-Lossless
    "1.2.840.10008.1.2.4.90", // JPEG 2000 Lossless
    "1.2.840.10008.1.2.4.91", // JPEG 2000
    "1.2.840.10008.1.2.4.201", // HTJ2K Lossless
    "1.2.840.10008.1.2.4.202", // HTJ2K Lossless RPCL
    "1.2.840.10008.1.2.4.203", // HTJ2K
];

/// Photometric Interpretations `wrap_encapsulated` chooses from (input byte 9, modulo the length).
pub const PHOTOMETRICS: [&str; 8] = [
    "MONOCHROME2",
    "MONOCHROME1",
    "RGB",
    "YBR_FULL",
    "YBR_FULL_422",
    "YBR_ICT",
    "YBR_RCT",
    "PALETTE COLOR",
];

/// Length of the fixed header at the start of an `encapsulated_frames` input.
pub const HEADER_LEN: usize = 12;

/// Build a Part 10 file (Explicit VR Little Endian data set, encapsulated Pixel Data) from a fuzz input:
///
/// | byte   | meaning                                                                        |
/// |--------|--------------------------------------------------------------------------------|
/// | 0      | transfer syntax: index into [`TRANSFER_SYNTAXES`]                              |
/// | 1–2    | Rows, little endian                                                            |
/// | 3–4    | Columns, little endian                                                         |
/// | 5      | Samples per Pixel                                                              |
/// | 6      | Bits Allocated                                                                 |
/// | 7      | Bits Stored (High Bit is Bits Stored − 1)                                      |
/// | 8      | bit 0: Pixel Representation; bit 1: Planar Configuration                       |
/// | 9      | Photometric Interpretation: index into [`PHOTOMETRICS`]                        |
/// | 10     | Number of Frames − 1, modulo 4                                                 |
/// | 11     | bits 0–1: fragment count − 1; bit 2: write a Basic Offset Table                |
/// | 12…    | the encoded bytes, cut into that many fragments of near-equal length           |
///
/// A shorter input is zero-padded to the header length. Odd fragments get a trailing zero byte, as encoders
/// pad them, so the file itself is always well formed and the fuzzer's effort goes into the codestream.
pub fn wrap_encapsulated(input: &[u8]) -> Vec<u8> {
    let mut head = [0u8; HEADER_LEN];
    let n = input.len().min(HEADER_LEN);
    head[..n].copy_from_slice(&input[..n]);
    let payload = input.get(HEADER_LEN..).unwrap_or(&[]);

    let ts = TRANSFER_SYNTAXES[head[0] as usize % TRANSFER_SYNTAXES.len()];
    let rows = u16::from_le_bytes([head[1], head[2]]);
    let columns = u16::from_le_bytes([head[3], head[4]]);
    let samples = u16::from(head[5]);
    let bits_allocated = u16::from(head[6]);
    let bits_stored = u16::from(head[7]);
    let high_bit = bits_stored.saturating_sub(1);
    let pixel_representation = u16::from(head[8] & 1);
    let planar = u16::from((head[8] >> 1) & 1);
    let photometric = PHOTOMETRICS[head[9] as usize % PHOTOMETRICS.len()];
    let frames = 1 + u32::from(head[10] % 4);
    let fragment_count = 1 + usize::from(head[11] & 3);
    let with_offsets = head[11] & 4 != 0;

    // Cut the payload into fragments.
    let mut fragments: Vec<Vec<u8>> = Vec::with_capacity(fragment_count);
    let size = payload.len().div_ceil(fragment_count).max(1);
    for chunk in payload.chunks(size) {
        let mut f = chunk.to_vec();
        if f.len() % 2 == 1 {
            f.push(0);
        }
        fragments.push(f);
    }
    if fragments.is_empty() {
        fragments.push(Vec::new());
    }

    let mut ds = Vec::new();
    put_us(&mut ds, 0x0028, 0x0002, samples);
    put_str(&mut ds, 0x0028, 0x0004, b"CS", photometric, b' ');
    if samples > 1 {
        put_us(&mut ds, 0x0028, 0x0006, planar);
    }
    put_str(&mut ds, 0x0028, 0x0008, b"IS", &frames.to_string(), b' ');
    put_us(&mut ds, 0x0028, 0x0010, rows);
    put_us(&mut ds, 0x0028, 0x0011, columns);
    put_us(&mut ds, 0x0028, 0x0100, bits_allocated);
    put_us(&mut ds, 0x0028, 0x0101, bits_stored);
    put_us(&mut ds, 0x0028, 0x0102, high_bit);
    put_us(&mut ds, 0x0028, 0x0103, pixel_representation);
    // Pixel Data, OB, undefined length.
    put_tag(&mut ds, 0x7FE0, 0x0010);
    ds.extend_from_slice(b"OB\0\0");
    ds.extend_from_slice(&u32::MAX.to_le_bytes());
    let mut offsets = Vec::new();
    if with_offsets {
        let mut pos = 0u32;
        for f in &fragments {
            offsets.extend_from_slice(&pos.to_le_bytes());
            pos = pos.wrapping_add(8 + f.len() as u32);
        }
    }
    put_item(&mut ds, &offsets);
    for f in &fragments {
        put_item(&mut ds, f);
    }
    put_tag(&mut ds, 0xFFFE, 0xE0DD);
    ds.extend_from_slice(&0u32.to_le_bytes());

    let mut meta = Vec::new();
    put_tag(&mut meta, 0x0002, 0x0001);
    meta.extend_from_slice(b"OB\0\0");
    meta.extend_from_slice(&2u32.to_le_bytes());
    meta.extend_from_slice(&[0, 1]);
    put_str(
        &mut meta,
        0x0002,
        0x0002,
        b"UI",
        "1.2.840.10008.5.1.4.1.1.7",
        0,
    );
    put_str(&mut meta, 0x0002, 0x0003, b"UI", "1.2.3.4", 0);
    put_str(&mut meta, 0x0002, 0x0010, b"UI", ts, 0);

    let mut file = vec![0u8; 128];
    file.extend_from_slice(b"DICM");
    put_tag(&mut file, 0x0002, 0x0000);
    file.extend_from_slice(b"UL");
    file.extend_from_slice(&4u16.to_le_bytes());
    file.extend_from_slice(&(meta.len() as u32).to_le_bytes());
    file.extend_from_slice(&meta);
    file.extend_from_slice(&ds);
    file
}

fn put_tag(out: &mut Vec<u8>, group: u16, element: u16) {
    out.extend_from_slice(&group.to_le_bytes());
    out.extend_from_slice(&element.to_le_bytes());
}

fn put_us(out: &mut Vec<u8>, group: u16, element: u16, value: u16) {
    put_tag(out, group, element);
    out.extend_from_slice(b"US");
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&value.to_le_bytes());
}

fn put_str(out: &mut Vec<u8>, group: u16, element: u16, vr: &[u8; 2], value: &str, pad: u8) {
    let mut bytes = value.as_bytes().to_vec();
    if bytes.len() % 2 == 1 {
        bytes.push(pad);
    }
    put_tag(out, group, element);
    out.extend_from_slice(vr);
    out.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
    out.extend_from_slice(&bytes);
}

fn put_item(out: &mut Vec<u8>, value: &[u8]) {
    put_tag(out, 0xFFFE, 0xE000);
    out.extend_from_slice(&(value.len() as u32).to_le_bytes());
    out.extend_from_slice(value);
}
