//! Replays the committed `htj2k_decode` fuzz corpus and crashers (`fuzz/corpus/htj2k_decode`,
//! `fuzz/regressions/htj2k_decode`) through the code the fuzz target runs, on stable Rust in the normal
//! `cargo test`: every codestream must decode or give an error — no panic, no hang. See docs/FUZZING.md.
//! (Truncations and random corruptions of the test codestreams are covered by `corrupt_input.rs`.)

#[path = "../../../fuzz/src/htj2k_harness.rs"]
mod htj2k_harness;

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
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz").join(sub);
    let mut out: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect(),
        Err(_) => Vec::new(),
    };
    out.sort();
    out
}

#[test]
fn htj2k_corpus_and_crashers_never_panic() {
    let corpus = files("corpus/htj2k_decode");
    assert!(corpus.len() >= 20, "only {} corpus files: is fuzz/corpus/htj2k_decode there?", corpus.len());
    let mut failures = Vec::new();
    let mut decoded = 0;
    for path in corpus.iter().chain(&files("regressions/htj2k_decode")) {
        let bytes = std::fs::read(path).unwrap();
        let start = Instant::now();
        // Its own thread, so a panic names its file.
        let result = std::thread::spawn(move || htj2k_harness::decode(&bytes)).join();
        let took = start.elapsed();
        match result {
            Err(_) => failures.push(format!("{}: panicked", path.display())),
            Ok(_) if took > TIME_LIMIT => failures.push(format!("{}: took {took:?}", path.display())),
            Ok(true) => decoded += 1,
            Ok(false) => {}
        }
    }
    assert!(failures.is_empty(), "fuzz inputs failed:\n{}", failures.join("\n"));
    // The corpus grew from the real test codestreams, so some must still decode: otherwise the target only ever
    // exercised error paths.
    assert!(decoded >= 5, "only {decoded} corpus codestreams decode");
}
