//! Fuzz target: DICOM parsing and decoding from raw file bytes.
#![no_main]

#[path = "../src/capped_alloc.rs"]
mod capped_alloc;

#[global_allocator]
static ALLOC: capped_alloc::Capped = capped_alloc::Capped;

#[path = "../src/dicom_harness.rs"]
mod dicom_harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = dicom_harness::parse_and_decode(data);
});
