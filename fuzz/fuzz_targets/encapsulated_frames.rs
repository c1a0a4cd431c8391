//! Fuzz target: fuzz bytes become the encapsulated Pixel Data of a small, well-formed DICOM file, so every
//! decoder (RLE, JPEG, JPEG lossless, JPEG 2000, JPEG-LS) is reached without the fuzzer first having to
//! discover a valid Part 10 header. See `dicom_harness::wrap_encapsulated` for the input layout.
#![no_main]

#[path = "../src/capped_alloc.rs"]
mod capped_alloc;

#[global_allocator]
static ALLOC: capped_alloc::Capped = capped_alloc::Capped;

#[path = "../src/dicom_harness.rs"]
mod dicom_harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let file = dicom_harness::wrap_encapsulated(data);
    let _ = dicom_harness::parse_and_decode(&file);
});
