//! Throughput benchmark: decode one JPEG-LS codestream repeatedly and print MB/s of decoded output.
//!
//! `cargo run --release -p lumen-codec-jpegls --example bench -- FILE [SECONDS]`
//! `cargo run --release -p lumen-codec-jpegls --example bench -- FILE --extract OUT.jls` (write the codestream)
//!
//! FILE is a raw JPEG-LS codestream (`.jls`) or a DICOM file in a JPEG-LS transfer syntax, whose first frame is
//! taken from the encapsulated Pixel Data (Explicit VR Little Endian only, enough for dcmcjpls output). The
//! decode is repeated for at least SECONDS (default 2) and the median time per decode is reported. This is a
//! measuring tool: it must not be used by the library.

use std::time::{Duration, Instant};

/// The first frame's codestream from an encapsulated Pixel Data (7FE0,0010) element: its fragments after the
/// Basic Offset Table, concatenated until the next one starting with SOI.
fn codestream_from_dicom(data: &[u8]) -> Option<Vec<u8>> {
    let tag = [
        0xE0, 0x7F, 0x10, 0x00, b'O', b'B', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
    ];
    let start = data.windows(tag.len()).rposition(|w| w == tag)? + tag.len();
    let mut pos = start;
    let mut items = Vec::new();
    while let Some(head) = data.get(pos..pos + 8) {
        let (group, element) = (
            u16::from_le_bytes([head[0], head[1]]),
            u16::from_le_bytes([head[2], head[3]]),
        );
        let len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
        pos += 8;
        if (group, element) != (0xFFFE, 0xE000) {
            break;
        }
        items.push(data.get(pos..pos + len)?);
        pos += len;
    }
    let mut out = Vec::new();
    for (i, fragment) in items.iter().skip(1).enumerate() {
        if i > 0 && fragment.starts_with(&[0xFF, 0xD8]) {
            break;
        }
        out.extend_from_slice(fragment);
    }
    Some(out)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: bench FILE [SECONDS]");
        std::process::exit(2);
    };
    let second = args.next();
    let extract = if second.as_deref() == Some("--extract") {
        args.next()
    } else {
        None
    };
    let seconds: f64 = second.and_then(|s| s.parse().ok()).unwrap_or(2.0);
    let data = std::fs::read(&path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(1);
    });
    let codestream = if data.get(128..132) == Some(b"DICM") {
        codestream_from_dicom(&data).unwrap_or_else(|| {
            eprintln!("{path}: no encapsulated Pixel Data found");
            std::process::exit(1);
        })
    } else {
        data
    };
    if let Some(out) = extract {
        std::fs::write(&out, &codestream).unwrap_or_else(|e| {
            eprintln!("{out}: {e}");
            std::process::exit(1);
        });
        println!("{out}: {} bytes of codestream", codestream.len());
        return;
    }
    let first = lumen_codec_jpegls::decode(&codestream).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(1);
    });
    let out_bytes = match &first.samples {
        lumen_codec_jpegls::Samples::U8(v) => v.len(),
        lumen_codec_jpegls::Samples::U16(v) => v.len() * 2,
    };
    let mut times = Vec::new();
    let budget = Duration::from_secs_f64(seconds);
    let started = Instant::now();
    while started.elapsed() < budget || times.len() < 5 {
        let t = Instant::now();
        let image = lumen_codec_jpegls::decode(&codestream).expect("decoded once already");
        times.push(t.elapsed());
        std::hint::black_box(image);
    }
    times.sort();
    let median = times[times.len() / 2].as_secs_f64();
    let info = first.info;
    println!(
        "{path}: {}×{} × {} component(s), {} bits, NEAR {}, {:?}; codestream {} bytes, output {} bytes",
        info.width,
        info.height,
        info.components,
        info.bits_per_sample,
        first.near,
        first.interleave,
        codestream.len(),
        out_bytes
    );
    println!(
        "{} decodes, median {:.3} ms, best {:.3} ms: {:.1} MB/s of decoded output ({:.1} Mpixel/s)",
        times.len(),
        median * 1e3,
        times[0].as_secs_f64() * 1e3,
        out_bytes as f64 / median / 1e6,
        (info.width as f64 * info.height as f64) / median / 1e6
    );
}
