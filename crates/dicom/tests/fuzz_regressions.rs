//! Replays the committed fuzz corpora and crashers (`fuzz/corpus/{dicom_parse,encapsulated_frames}`,
//! `fuzz/regressions/{dicom_parse,encapsulated_frames}`) through the same code the fuzz targets run, on stable
//! Rust in the normal `cargo test`: every input must give a result or an error — no panic, no hang. See
//! docs/FUZZING.md for how the corpora were made and how to fuzz further.

#[path = "../../../fuzz/src/dicom_harness.rs"]
mod dicom_harness;

// The fuzz targets' allocator, so an input that made a target abort on a huge infallible allocation aborts here
// too instead of quietly allocating gigabytes on a big machine.
#[path = "../../../fuzz/src/capped_alloc.rs"]
mod capped_alloc;

#[global_allocator]
static ALLOC: capped_alloc::Capped = capped_alloc::Capped;

use dicom_harness::Outcome;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// libFuzzer ran with `-timeout=10`; an unoptimised test build gets twice that per input.
const TIME_LIMIT: Duration = Duration::from_secs(20);

fn fuzz_dir(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz")
        .join(sub)
}

/// The files of one folder, sorted; an absent folder has none.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect(),
        Err(_) => Vec::new(),
    };
    out.sort();
    out
}

/// Run every file of `dirs` through `run`, each on its own thread so a panic names its file, and fail with the
/// list of inputs that panicked or took longer than [`TIME_LIMIT`].
fn replay(dirs: &[PathBuf], run: fn(&[u8]) -> Outcome) -> Vec<(PathBuf, Outcome)> {
    let mut failures = Vec::new();
    let mut outcomes = Vec::new();
    for path in dirs.iter().flat_map(|d| files(d)) {
        let bytes = std::fs::read(&path).unwrap();
        let start = Instant::now();
        let result = std::thread::spawn(move || run(&bytes)).join();
        let took = start.elapsed();
        match result {
            Err(_) => failures.push(format!("{}: panicked", path.display())),
            Ok(_) if took > TIME_LIMIT => {
                failures.push(format!("{}: took {took:?}", path.display()))
            }
            Ok(outcome) => outcomes.push((path, outcome)),
        }
    }
    assert!(
        failures.is_empty(),
        "fuzz inputs failed:\n{}",
        failures.join("\n")
    );
    outcomes
}

fn wrapped(input: &[u8]) -> Outcome {
    dicom_harness::parse_and_decode(&dicom_harness::wrap_encapsulated(input))
}

#[test]
fn dicom_parse_corpus_and_crashers_never_panic() {
    let outcomes = replay(
        &[
            fuzz_dir("corpus/dicom_parse"),
            fuzz_dir("regressions/dicom_parse"),
        ],
        dicom_harness::parse_and_decode,
    );
    assert!(
        outcomes.len() >= 20,
        "only {} corpus files: is fuzz/corpus/dicom_parse there?",
        outcomes.len()
    );
    // The corpus grew from real files of every syntax, so some of it must still decode: otherwise the target
    // only ever exercised error paths.
    let decoded = outcomes
        .iter()
        .filter(|(_, o)| o.frames_decoded > 0)
        .count();
    assert!(decoded >= 10, "only {decoded} corpus files decode a frame");
}

#[test]
fn encapsulated_frames_corpus_and_crashers_never_panic() {
    let outcomes = replay(
        &[
            fuzz_dir("corpus/encapsulated_frames"),
            fuzz_dir("regressions/encapsulated_frames"),
        ],
        wrapped,
    );
    assert!(outcomes.len() >= 20, "only {} corpus files", outcomes.len());
    // The wrapper must build a file that parses whatever the fuzz bytes are (the Image Pixel attributes it
    // writes may still be refused by image_info, e.g. Bits Stored above Bits Allocated) ...
    for (path, outcome) in &outcomes {
        assert!(
            outcome.parsed,
            "{} did not parse: {outcome:?}",
            path.display()
        );
    }
    // ... and the corpus must reach every decoder with a codestream it accepts.
    for family in [
        "1.2.840.10008.1.2.5",
        "1.2.840.10008.1.2.4.50",
        "1.2.840.10008.1.2.4.70",
        "1.2.840.10008.1.2.4.8",
        "1.2.840.10008.1.2.4.9",
        "1.2.840.10008.1.2.4.20",
    ] {
        assert!(
            outcomes
                .iter()
                .any(|(_, o)| o.transfer_syntax.starts_with(family) && o.frames_decoded > 0),
            "no corpus input decodes in transfer syntax {family}*"
        );
    }
}

#[test]
fn wrap_encapsulated_builds_the_header_the_input_asks_for() {
    // JPEG-LS, 3 rows × 2 columns, 1 sample, 8 bits, MONOCHROME2, 2 frames, 2 fragments with an offset table.
    let mut input = vec![5, 3, 0, 2, 0, 1, 8, 8, 0, 0, 1, 0b101];
    input.extend_from_slice(&[0xFF, 0xD8, 1, 2, 3]);
    let file =
        lumen_dicom::DicomFile::from_bytes(&dicom_harness::wrap_encapsulated(&input)).unwrap();
    assert_eq!(file.transfer_syntax(), "1.2.840.10008.1.2.4.80");
    let info = file.image_info().unwrap();
    assert_eq!((info.rows, info.columns, info.samples_per_pixel), (3, 2, 1));
    assert_eq!(
        (info.bits_allocated, info.bits_stored, info.high_bit),
        (8, 8, 7)
    );
    assert_eq!(info.number_of_frames, 2);
    // A 5-byte codestream is no JPEG-LS image: an error, not a panic.
    assert!(file.decode_frame(0).is_err());
}

#[test]
fn huge_declared_element_length_is_refused_before_allocating() {
    // Regression for the first dicom_parse crasher: a 4-byte-length element (unknown VR, read as UN) declaring
    // ~4 GiB in a file of a few hundred bytes. dicom-parser would allocate the declared size before reading.
    let mut bytes = dicom_harness::wrap_encapsulated(&[0, 1, 0, 1, 0, 1, 8, 8, 0, 0, 0, 0, 0, 0]);
    let at = bytes
        .windows(4)
        .position(|w| w == [0x28, 0x00, 0x10, 0x00])
        .unwrap(); // Rows
    bytes.splice(
        at..at + 8,
        [
            0x28, 0x00, 0x10, 0x30, b'8', b'@', 0, 0, 0xF0, 0xFF, 0xFF, 0xFF,
        ],
    );
    let start = Instant::now();
    let err = lumen_dicom::DicomFile::from_bytes(&bytes).unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "took {:?}",
        start.elapsed()
    );
    assert!(matches!(err, lumen_dicom::Error::Truncated { .. }), "{err}");
    assert!(err.to_string().contains("(0028,3010)"), "{err}");
}

#[test]
fn valid_files_with_nested_sequences_still_parse_in_every_encoding() {
    // fuzz/seeds/dicom_parse: one small image with nested sequences, written by dcmtk with defined and undefined
    // sequence/item lengths, in Explicit VR Little/Big Endian, Implicit VR Little Endian, without File Meta
    // Information, RLE and JPEG-LS. The declared-length check added for the fuzz crashers must accept them all.
    let seeds = files(&fuzz_dir("seeds/dicom_parse"));
    assert!(seeds.len() >= 10, "only {} seed files", seeds.len());
    for path in seeds {
        let bytes = std::fs::read(&path).unwrap();
        let file = lumen_dicom::DicomFile::from_bytes(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        file.decode_frame(0)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}
