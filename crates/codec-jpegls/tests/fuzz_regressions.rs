//! Replays the committed `jpegls_decode` fuzz corpus and crashers (`fuzz/corpus/jpegls_decode`,
//! `fuzz/regressions/jpegls_decode`) through the code the fuzz target runs, on stable Rust in the normal
//! `cargo test`: every codestream must decode or give an error — no panic, no hang. See docs/FUZZING.md.

#[path = "../../../fuzz/src/jpegls_harness.rs"]
mod jpegls_harness;

// The fuzz targets' allocator, so an input that made a target abort on a huge infallible allocation aborts here
// too instead of quietly allocating gigabytes on a big machine.
#[path = "../../../fuzz/src/capped_alloc.rs"]
mod capped_alloc;

#[global_allocator]
static ALLOC: capped_alloc::Capped = capped_alloc::Capped;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// libFuzzer ran with `-timeout=10`; this crate is unoptimised in test builds, so allow more.
const TIME_LIMIT: Duration = Duration::from_secs(30);

fn files(sub: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz")
        .join(sub);
    let mut out: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect(),
        Err(_) => Vec::new(),
    };
    out.sort();
    out
}

#[test]
fn jpegls_corpus_and_crashers_never_panic() {
    let corpus = files("corpus/jpegls_decode");
    assert!(
        corpus.len() >= 20,
        "only {} corpus files: is fuzz/corpus/jpegls_decode there?",
        corpus.len()
    );
    let mut failures = Vec::new();
    let mut decoded = 0;
    for path in corpus.iter().chain(&files("regressions/jpegls_decode")) {
        let bytes = std::fs::read(path).unwrap();
        let start = Instant::now();
        // Its own thread, so a panic names its file.
        let result = std::thread::spawn(move || jpegls_harness::decode(&bytes)).join();
        let took = start.elapsed();
        match result {
            Err(_) => failures.push(format!("{}: panicked", path.display())),
            Ok(_) if took > TIME_LIMIT => {
                failures.push(format!("{}: took {took:?}", path.display()))
            }
            Ok(true) => decoded += 1,
            Ok(false) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "fuzz inputs failed:\n{}",
        failures.join("\n")
    );
    // The corpus grew from real codestreams (every interleave mode, lossless and near-lossless), so some must
    // still decode: otherwise the target only ever exercised error paths.
    assert!(decoded >= 5, "only {decoded} corpus codestreams decode");
}

#[test]
fn truncating_a_valid_codestream_anywhere_gives_an_error_not_a_panic() {
    // The smallest seed that decodes, cut at every length (the "truncated streams return errors").
    let seed = files("corpus/jpegls_decode")
        .into_iter()
        .map(|p| std::fs::read(p).unwrap())
        .filter(|b| lumen_codec_jpegls::decode(b).is_ok())
        .min_by_key(|b| b.len())
        .expect("a corpus codestream that decodes");
    for len in 0..seed.len() {
        let cut = &seed[..len];
        let result = std::panic::catch_unwind(|| lumen_codec_jpegls::decode(cut));
        let result = result.unwrap_or_else(|_| panic!("decoding the first {len} bytes panicked"));
        // Without SOI, the frame header and a scan header there is nothing to decode.
        if len < 4 {
            assert!(result.is_err(), "the first {len} bytes decoded");
        }
    }
}
