//! Decode an HTJ2K codestream to raw little-endian samples (16-bit above 8 bits), interleaved, and time it.
//! Usage: cargo run --release -p lumen-codec-htj2k --example decode -- IN.j2c OUT.raw [RUNS]
fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: decode IN.j2c OUT.raw [RUNS]");
        std::process::exit(2);
    }
    let data = std::fs::read(&args[1]).expect("read the codestream");
    let runs: usize = args.get(3).and_then(|r| r.parse().ok()).unwrap_or(1);
    let mut best = f64::MAX;
    let mut image = None;
    for _ in 0..runs {
        let t = std::time::Instant::now();
        let decoded = lumen_codec_htj2k::decode(&data);
        best = best.min(t.elapsed().as_secs_f64());
        image = Some(decoded);
    }
    let image = match image.expect("one run") {
        Ok(i) => i,
        Err(e) => {
            eprintln!("decode: {e}");
            std::process::exit(1);
        }
    };
    let bytes: Vec<u8> = match &image.samples {
        lumen_codec_htj2k::Samples::U8(v) => v.clone(),
        lumen_codec_htj2k::Samples::I8(v) => v.iter().map(|&s| s as u8).collect(),
        lumen_codec_htj2k::Samples::U16(v) => v.iter().flat_map(|s| s.to_le_bytes()).collect(),
        lumen_codec_htj2k::Samples::I16(v) => v.iter().flat_map(|s| s.to_le_bytes()).collect(),
    };
    std::fs::write(&args[2], bytes).expect("write the output");
    if runs > 1 {
        let h = image.header;
        let mb = f64::from(h.width)
            * f64::from(h.height)
            * f64::from(h.components)
            * if h.precision > 8 { 2.0 } else { 1.0 }
            / 1e6;
        println!("{:.3} ms ({:.1} MB/s)", best * 1e3, mb / best);
    }
}
