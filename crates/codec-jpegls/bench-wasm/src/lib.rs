//! A wasm32 module for comparing lumen-codec-jpegls with CharLS in the same JavaScript engine: it embeds the
//! codestream named by the `JLS_FILE` environment variable at build time (no unsafe pointer passing) and
//! exports `decode(iterations)`, which decodes it and keeps the last image (returning 0, or 0xFFFFFFFF on error),
//! and `checksum()`, the sum of the samples of the kept image (outside the timed call, as bench.js sums CharLS's
//! output outside its timing). Used only by `compare-charls.sh`; it must not be a dependency of anything.

use std::sync::Mutex;

static CODESTREAM: &[u8] = include_bytes!(env!("JLS_FILE"));

static LAST: Mutex<Option<lumen_codec_jpegls::Samples>> = Mutex::new(None);

/// Decode the embedded codestream `iterations` times and keep the last image; 0, or u32::MAX on error.
#[no_mangle]
pub extern "C" fn decode(iterations: u32) -> u32 {
    for _ in 0..iterations {
        let Ok(image) = lumen_codec_jpegls::decode(CODESTREAM) else {
            return u32::MAX;
        };
        if let Ok(mut last) = LAST.lock() {
            *last = Some(image.samples);
        }
    }
    0
}

/// The sum of the samples of the image kept by the last `decode` (0 when there is none).
#[no_mangle]
pub extern "C" fn checksum() -> u32 {
    let Ok(last) = LAST.lock() else {
        return 0;
    };
    match last.as_ref() {
        Some(lumen_codec_jpegls::Samples::U8(v)) => {
            v.iter().fold(0u32, |s, &x| s.wrapping_add(u32::from(x)))
        }
        Some(lumen_codec_jpegls::Samples::U16(v)) => {
            v.iter().fold(0u32, |s, &x| s.wrapping_add(u32::from(x)))
        }
        None => 0,
    }
}
