//! Throughput benchmark: decode one JPEG codestream repeatedly and print MB/s of decoded output.
//!
//! `cargo run --release -p lumen-codec-jpeg --example jpeg_bench -- FILE [SECONDS] [--rgb]`
//!
//! FILE is a raw JPEG codestream or a DICOM file in a JPEG transfer syntax written by dcmcjpeg (Explicit VR Little
//! Endian, one fragment per frame), whose first frame is taken. `--rgb` converts YCbCr to RGB. The decode is
//! repeated for at least SECONDS (default 2) and the median time per decode is reported. This is a measuring tool:
//! it must not be used by the library.

use lumen_codec_jpeg::{decode, ColorTransform, DecodeOptions, Samples};
use std::time::{Duration, Instant};

/// The first fragment after the Basic Offset Table of an encapsulated Pixel Data (7FE0,0010) element.
fn first_frame(data: &[u8]) -> Option<&[u8]> {
    let tag = [
        0xE0, 0x7F, 0x10, 0x00, b'O', b'B', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
    ];
    let mut pos = data.windows(tag.len()).rposition(|w| w == tag)? + tag.len();
    for item in 0..2 {
        let head = data.get(pos..pos + 8)?;
        let len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
        pos += 8;
        if item == 1 {
            return data.get(pos..pos + len);
        }
        pos += len;
    }
    None
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: bench FILE [SECONDS] [--rgb]");
        std::process::exit(2);
    };
    let seconds: f64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(2.0);
    let rgb = args.iter().any(|a| a == "--rgb");
    let data = std::fs::read(path).expect("readable file");
    let jpeg = if data.starts_with(&[0xFF, 0xD8]) {
        &data[..]
    } else {
        first_frame(&data).expect("a DICOM file with encapsulated JPEG pixel data")
    };
    let options = DecodeOptions {
        color: if rgb {
            ColorTransform::YCbCrToRgb
        } else {
            ColorTransform::AsCoded
        },
        ..DecodeOptions::default()
    };
    let first = decode(jpeg, &options).expect("decodable codestream");
    let bytes = match &first.samples {
        Samples::U8(v) => v.len(),
        Samples::U16(v) => v.len() * 2,
    };
    let mut times = Vec::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs_f64(seconds) || times.len() < 5 {
        let t = Instant::now();
        let image = decode(jpeg, &options).expect("decodable codestream");
        times.push(t.elapsed());
        std::hint::black_box(image);
    }
    times.sort();
    let median = times[times.len() / 2].as_secs_f64();
    let info = first.info;
    println!(
        "{}×{} {}-bit {} components: {} bytes in, {bytes} bytes out, median {:.3} ms over {} decodes, {:.1} MB/s",
        info.width,
        info.height,
        info.precision,
        info.components,
        jpeg.len(),
        median * 1e3,
        times.len(),
        bytes as f64 / median / 1e6
    );
}
