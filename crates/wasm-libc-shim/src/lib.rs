//! The handful of C library functions that `openjp2` (the pure-Rust OpenJPEG port behind dicom-pixeldata's
//! JPEG 2000 decoder) still imports, implemented on Rust's allocator so that a wasm32-unknown-unknown module
//! linking it has no unresolved `env` imports and instantiates in a browser.
//!
//! On `wasm32-unknown-unknown` this crate
//! - exports `malloc`, `calloc`, `realloc`, `free`, `strcpy`, `strcmp` and `strncmp` with C linkage. Each block
//!   from `malloc` carries its size in a 16-byte header in front of it (C's `free` has no size, Rust's `dealloc`
//!   needs one); blocks are 16-byte aligned like C's `max_align_t`; `free(NULL)` does nothing, as C requires;
//! - installs [`NullTolerantAllocator`] as the global allocator: openjp2's wavelet code calls Rust's `dealloc` on
//!   null pointers and allocates zero-size layouts, which trap ("memory access out of bounds") in the default wasm
//!   allocator.
//!
//! On every other target it exports nothing and installs nothing: the platform's libc and allocator are used.
//! A binary links it with `use lumen_wasm_libc_shim as _;` (an unused dependency is not linked by rustc).
//! It must not grow into a libc: add a function only when a dependency's wasm build imports it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::{c_char, c_int, c_void};

/// Bytes in front of each C block holding its requested size; also the blocks' alignment (C's `max_align_t`).
const HEADER: usize = 16;

/// A global allocator that forwards to [`System`] but accepts what C-ported code does with Rust's allocation API:
/// `dealloc` of a null pointer is a no-op, `realloc` of a null pointer allocates, and a zero-size layout is served
/// as a one-byte block (consistently in `alloc`, `dealloc` and `realloc`, so the layouts always match).
pub struct NullTolerantAllocator;

/// The layout actually requested from the system allocator: never zero-sized.
fn nonzero(layout: Layout) -> Layout {
    if layout.size() == 0 {
        // A size of 1 with an alignment that already formed a valid `Layout` is always valid.
        Layout::from_size_align(1, layout.align()).unwrap_or(layout)
    } else {
        layout
    }
}

unsafe impl GlobalAlloc for NullTolerantAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        System.alloc(nonzero(layout))
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        System.alloc_zeroed(nonzero(layout))
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if !ptr.is_null() {
            System.dealloc(ptr, nonzero(layout));
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new_size = new_size.max(1);
        if ptr.is_null() {
            return match Layout::from_size_align(new_size, layout.align()) {
                Ok(l) => System.alloc(l),
                Err(_) => std::ptr::null_mut(),
            };
        }
        System.realloc(ptr, nonzero(layout), new_size)
    }
}

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
#[global_allocator]
static GLOBAL: NullTolerantAllocator = NullTolerantAllocator;

/// The layout of a C block of `size` user bytes (header included), or `None` when it would overflow.
fn block_layout(size: usize) -> Option<Layout> {
    Layout::from_size_align(size.checked_add(HEADER)?, HEADER).ok()
}

/// C `malloc`: `size` bytes, 16-byte aligned, or null when out of memory or the size overflows.
///
/// # Safety
/// The result must be released only with [`c_free`] or resized with [`c_realloc`].
pub unsafe fn c_malloc(size: usize) -> *mut c_void {
    let Some(layout) = block_layout(size) else {
        return std::ptr::null_mut();
    };
    let base = std::alloc::alloc(layout);
    finish_block(base, size)
}

/// C `calloc`: `count × size` zeroed bytes, or null when the product overflows or memory is exhausted.
///
/// # Safety
/// As [`c_malloc`].
pub unsafe fn c_calloc(count: usize, size: usize) -> *mut c_void {
    let Some(total) = count.checked_mul(size) else {
        return std::ptr::null_mut();
    };
    let Some(layout) = block_layout(total) else {
        return std::ptr::null_mut();
    };
    let base = std::alloc::alloc_zeroed(layout);
    finish_block(base, total)
}

/// Writes the size header of a fresh block and returns the user pointer (null stays null).
unsafe fn finish_block(base: *mut u8, size: usize) -> *mut c_void {
    if base.is_null() {
        return std::ptr::null_mut();
    }
    (base as *mut usize).write(size);
    base.add(HEADER) as *mut c_void
}

/// C `realloc`: resizes a block keeping its first `min(old, new)` bytes. A null `ptr` behaves as `malloc`; a zero
/// `new_size` frees the block and returns null (glibc's behaviour). On failure the old block is left untouched and
/// null is returned.
///
/// # Safety
/// `ptr` must be null or a live block from [`c_malloc`], [`c_calloc`] or [`c_realloc`].
pub unsafe fn c_realloc(ptr: *mut c_void, new_size: usize) -> *mut c_void {
    if ptr.is_null() {
        return c_malloc(new_size);
    }
    if new_size == 0 {
        c_free(ptr);
        return std::ptr::null_mut();
    }
    let base = (ptr as *mut u8).sub(HEADER);
    let old_size = (base as *const usize).read();
    let (Some(old_layout), Some(new_layout)) = (block_layout(old_size), block_layout(new_size))
    else {
        return std::ptr::null_mut();
    };
    let new_base = std::alloc::realloc(base, old_layout, new_layout.size());
    finish_block(new_base, new_size)
}

/// C `free`: releases a block; `free(NULL)` does nothing.
///
/// # Safety
/// `ptr` must be null or a live block from [`c_malloc`], [`c_calloc`] or [`c_realloc`], freed once.
pub unsafe fn c_free(ptr: *mut c_void) {
    if ptr.is_null() {
        return;
    }
    let base = (ptr as *mut u8).sub(HEADER);
    let size = (base as *const usize).read();
    if let Some(layout) = block_layout(size) {
        std::alloc::dealloc(base, layout);
    }
}

/// C `strcpy`: copies the NUL-terminated string at `src`, terminator included, to `dst`; returns `dst`.
///
/// # Safety
/// `src` must be NUL-terminated and `dst` large enough; the two must not overlap.
pub unsafe fn c_strcpy(dst: *mut c_char, src: *const c_char) -> *mut c_char {
    let mut i = 0;
    loop {
        let c = *src.add(i);
        *dst.add(i) = c;
        if c == 0 {
            return dst;
        }
        i += 1;
    }
}

/// C `strncmp`: compares at most `n` bytes as `unsigned char`, stopping after a NUL; negative, zero or positive.
///
/// # Safety
/// Both strings must be NUL-terminated or at least `n` bytes long.
pub unsafe fn c_strncmp(a: *const c_char, b: *const c_char, n: usize) -> c_int {
    for i in 0..n {
        let (x, y) = (*a.add(i) as u8, *b.add(i) as u8);
        if x != y {
            return c_int::from(x) - c_int::from(y);
        }
        if x == 0 {
            return 0;
        }
    }
    0
}

/// C `strcmp`: [`c_strncmp`] without a length bound.
///
/// # Safety
/// Both strings must be NUL-terminated.
pub unsafe fn c_strcmp(a: *const c_char, b: *const c_char) -> c_int {
    c_strncmp(a, b, usize::MAX)
}

/// The C-linkage symbols, only where there is no libc to provide them.
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
mod exports {
    use super::*;

    #[no_mangle]
    pub unsafe extern "C" fn malloc(size: usize) -> *mut c_void {
        c_malloc(size)
    }
    #[no_mangle]
    pub unsafe extern "C" fn calloc(count: usize, size: usize) -> *mut c_void {
        c_calloc(count, size)
    }
    #[no_mangle]
    pub unsafe extern "C" fn realloc(ptr: *mut c_void, size: usize) -> *mut c_void {
        c_realloc(ptr, size)
    }
    #[no_mangle]
    pub unsafe extern "C" fn free(ptr: *mut c_void) {
        c_free(ptr)
    }
    #[no_mangle]
    pub unsafe extern "C" fn strcpy(dst: *mut c_char, src: *const c_char) -> *mut c_char {
        c_strcpy(dst, src)
    }
    #[no_mangle]
    pub unsafe extern "C" fn strcmp(a: *const c_char, b: *const c_char) -> c_int {
        c_strcmp(a, b)
    }
    #[no_mangle]
    pub unsafe extern "C" fn strncmp(a: *const c_char, b: *const c_char, n: usize) -> c_int {
        c_strncmp(a, b, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malloc_blocks_are_16_byte_aligned_and_writable() {
        unsafe {
            for size in [1usize, 3, 16, 17, 1000] {
                let p = c_malloc(size) as *mut u8;
                assert!(!p.is_null());
                assert_eq!(p as usize % 16, 0, "block of {size} bytes not 16-aligned");
                std::ptr::write_bytes(p, 0xAB, size);
                assert_eq!(*p.add(size - 1), 0xAB);
                c_free(p as *mut c_void);
            }
        }
    }

    #[test]
    fn calloc_returns_zeroed_memory() {
        unsafe {
            let p = c_calloc(10, 4) as *const u8;
            assert!(!p.is_null());
            assert!((0..40).all(|i| *p.add(i) == 0));
            c_free(p as *mut c_void);
        }
    }

    #[test]
    fn calloc_overflowing_product_is_null() {
        unsafe {
            assert!(c_calloc(usize::MAX, 2).is_null());
        }
    }

    #[test]
    fn malloc_of_a_size_that_overflows_the_header_is_null() {
        unsafe {
            assert!(c_malloc(usize::MAX - 4).is_null());
        }
    }

    #[test]
    fn realloc_keeps_contents_when_growing_and_shrinking() {
        unsafe {
            let p = c_malloc(4) as *mut u8;
            for i in 0..4 {
                *p.add(i) = i as u8 + 1;
            }
            let q = c_realloc(p as *mut c_void, 4096) as *mut u8;
            assert!(!q.is_null());
            assert_eq!(std::slice::from_raw_parts(q, 4), &[1, 2, 3, 4]);
            let r = c_realloc(q as *mut c_void, 2) as *mut u8;
            assert_eq!(std::slice::from_raw_parts(r, 2), &[1, 2]);
            c_free(r as *mut c_void);
        }
    }

    #[test]
    fn realloc_of_null_allocates_and_to_zero_frees() {
        unsafe {
            let p = c_realloc(std::ptr::null_mut(), 8);
            assert!(!p.is_null());
            assert!(c_realloc(p, 0).is_null());
        }
    }

    #[test]
    fn free_of_null_is_a_no_op() {
        unsafe { c_free(std::ptr::null_mut()) }
    }

    #[test]
    fn strcpy_copies_through_the_terminator() {
        let src = b"J2K\0";
        let mut dst = [0x55 as c_char; 6];
        unsafe {
            let r = c_strcpy(dst.as_mut_ptr(), src.as_ptr() as *const c_char);
            assert_eq!(r, dst.as_mut_ptr());
        }
        assert_eq!(dst.map(|c| c as u8), [b'J', b'2', b'K', 0, 0x55, 0x55]);
    }

    #[test]
    fn strcmp_orders_as_unsigned_bytes() {
        let cmp = |a: &[u8], b: &[u8]| unsafe { c_strcmp(a.as_ptr() as _, b.as_ptr() as _) };
        assert_eq!(cmp(b"abc\0", b"abc\0"), 0);
        assert!(cmp(b"abc\0", b"abd\0") < 0);
        assert!(cmp(b"ab\0", b"abc\0") < 0);
        // 0xE9 ('é' in Latin-1) sorts after ASCII, as C compares unsigned char.
        assert!(cmp(b"\xE9\0", b"z\0") > 0);
    }

    #[test]
    fn strncmp_stops_after_n_bytes() {
        let cmp = |a: &[u8], b: &[u8], n| unsafe { c_strncmp(a.as_ptr() as _, b.as_ptr() as _, n) };
        assert_eq!(cmp(b"jp2c\0", b"jp2h\0", 3), 0);
        assert!(cmp(b"jp2c\0", b"jp2h\0", 4) < 0);
        assert_eq!(cmp(b"x\0", b"y\0", 0), 0);
    }

    #[test]
    fn null_tolerant_allocator_accepts_null_and_zero_size() {
        let a = NullTolerantAllocator;
        unsafe {
            let zero = Layout::from_size_align(0, 32).expect("valid layout");
            let p = a.alloc(zero);
            assert!(!p.is_null());
            assert_eq!(p as usize % 32, 0);
            a.dealloc(p, zero);
            a.dealloc(std::ptr::null_mut(), zero);
            let q = a.realloc(std::ptr::null_mut(), zero, 64);
            assert!(!q.is_null());
            a.dealloc(q, Layout::from_size_align(64, 32).expect("valid layout"));
        }
    }
}
