//! A global allocator for the fuzz targets that refuses any single allocation above [`CAP_BYTES`].
//!
//! A few hundred bytes of DICOM can declare an element length, Rows × Columns or a frame size of gigabytes.
//! Code that asks for such memory *fallibly* (`try_reserve`) must then see the refusal and return an error, as
//! it would on wasm32, where the browser holds the viewer to a few GiB. Code that allocates *infallibly* aborts
//! in `handle_alloc_error`, which libFuzzer records as a crash: exactly the bug class this is meant to catch.
//! Without the cap, each such input made dicom-parser zero-fill up to 4 GiB before noticing the file was too
//! short, and the fuzzer spent its time in memset instead of exploring (see docs/FUZZING.md).

use std::alloc::{GlobalAlloc, Layout, System};

/// Largest single allocation the fuzz targets allow: 256 MiB.
pub const CAP_BYTES: usize = 256 << 20;

pub struct Capped;

unsafe impl GlobalAlloc for Capped {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > CAP_BYTES {
            return std::ptr::null_mut();
        }
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() > CAP_BYTES {
            return std::ptr::null_mut();
        }
        System.alloc_zeroed(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > CAP_BYTES {
            return std::ptr::null_mut();
        }
        System.realloc(ptr, layout, new_size)
    }
}
