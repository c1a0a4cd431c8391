//! Time lumen-dicom's decode of one frame of a DICOM file, in process: read and parse the file once, then decode
//! frame 0 `ITERATIONS` times and print the median and best times and the throughput of decoded stored values.
//! Used for the HTJ2K and JPEG 2000 numbers of docs/PERFORMANCE.md.
//!
//! Usage: cargo run --release -p lumen-dicom --example frame_bench -- FILE.dcm [ITERATIONS]

use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: frame_bench FILE.dcm [ITERATIONS]");
        std::process::exit(2);
    };
    let iterations: usize = match args.next().map(|s| s.parse()) {
        None => 5,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("ITERATIONS must be a positive integer");
            std::process::exit(2);
        }
    };
    let file = match lumen_dicom::DicomFile::open(&path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    };
    let mut times = Vec::with_capacity(iterations);
    let mut bytes = 0;
    for _ in 0..iterations {
        let start = Instant::now();
        let frame = match file.decode_frame(0) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("{path}: {e}");
                std::process::exit(1);
            }
        };
        times.push(start.elapsed().as_secs_f64());
        let width = match frame.samples {
            lumen_dicom::Samples::U8(_) | lumen_dicom::Samples::I8(_) => 1,
            lumen_dicom::Samples::U16(_) | lumen_dicom::Samples::I16(_) => 2,
            lumen_dicom::Samples::F64(_) => 8,
            _ => 4,
        };
        bytes = frame.samples.len() * width;
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "{path}: {} ({}), frame 0: median {:.2} ms, best {:.2} ms over {iterations} run(s) = {:.0} MB/s of stored values",
        file.transfer_syntax(),
        file.transfer_syntax_name(),
        median * 1e3,
        times[0] * 1e3,
        bytes as f64 / median / 1e6
    );
}
