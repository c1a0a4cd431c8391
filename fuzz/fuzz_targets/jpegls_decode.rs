//! Fuzz target: the JPEG-LS decoder on raw codestream bytes.
#![no_main]

#[path = "../src/capped_alloc.rs"]
mod capped_alloc;

#[global_allocator]
static ALLOC: capped_alloc::Capped = capped_alloc::Capped;

#[path = "../src/jpegls_harness.rs"]
mod jpegls_harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = jpegls_harness::decode(data);
});
