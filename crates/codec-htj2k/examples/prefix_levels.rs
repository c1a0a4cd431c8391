//! For each resolution of an HTJ2K codestream: the shortest prefix that decodes at it (`prefix_resolution`), when
//! that prefix has arrived at a given link speed, and how long decoding it takes (`decode_prefix`, best of N).
//! Usage: cargo run --release -p lumen-codec-htj2k --example prefix_levels -- IN.j2c [MBIT_S] [LATENCY_MS] [RUNS]
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        eprintln!("usage: prefix_levels IN.j2c [MBIT_S] [LATENCY_MS] [RUNS]");
        std::process::exit(2);
    };
    let data = std::fs::read(path).expect("read the codestream");
    let mbits: f64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(30.0);
    let latency: f64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(10.0);
    let runs: usize = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(5);
    let header = match lumen_codec_htj2k::read_header(&data) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("prefix_levels: {e}");
            std::process::exit(1);
        }
    };
    println!(
        "{path}: {}×{}, {} levels, {} bytes; {mbits} Mbit/s, {latency} ms latency",
        header.width,
        header.height,
        header.levels,
        data.len()
    );
    println!("levels left out | size | prefix bytes | share | arrived (ms) | decode (ms)");
    // Binary search of the shortest prefix for each level: prefix_resolution only grows with the prefix.
    let discard_at = |n: usize| {
        lumen_codec_htj2k::prefix_resolution(&data[..n])
            .ok()
            .flatten()
            .map(|p| p.discard)
    };
    for d in (0..=header.levels).rev() {
        let (mut lo, mut hi) = (0usize, data.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if discard_at(mid).is_some_and(|got| got <= d) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        let prefix = &data[..lo];
        let mut best = f64::MAX;
        for _ in 0..runs {
            let t = std::time::Instant::now();
            let image = lumen_codec_htj2k::decode_prefix(prefix);
            best = best.min(t.elapsed().as_secs_f64());
            assert!(matches!(image, Ok(Some(_))), "the prefix decodes");
        }
        let (w, h) = lumen_codec_htj2k::reduced_size(header.width, header.height, d);
        println!(
            "{d} | {w}×{h} | {lo} | {:.1} % | {:.1} | {:.2}",
            100.0 * lo as f64 / data.len() as f64,
            latency + lo as f64 * 8.0 / (mbits * 1e3),
            best * 1e3
        );
    }
}
