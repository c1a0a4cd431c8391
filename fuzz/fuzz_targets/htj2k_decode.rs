//! Fuzz target: Lumen's HTJ2K decoder on raw codestream bytes.
#![no_main]

#[path = "../src/capped_alloc.rs"]
mod capped_alloc;

#[global_allocator]
static ALLOC: capped_alloc::Capped = capped_alloc::Capped;

#[path = "../src/htj2k_harness.rs"]
mod htj2k_harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = htj2k_harness::decode(data);
});
