//! A wasm32 module for timing lumen-codec-jpeg in a JavaScript engine: it embeds the codestream named by the
//! `JPEG_FILE` environment variable at build time (no pointer passing) and exports `decode(iterations, rgb)`,
//! returning a checksum of the last decode (0xFFFFFFFF on error). Used only by `bench.sh`; it must not be a
//! dependency of anything.

use lumen_codec_jpeg::{ColorTransform, DecodeOptions, Samples};

static CODESTREAM: &[u8] = include_bytes!(env!("JPEG_FILE"));

/// Decode the embedded codestream `iterations` times (YCbCr→RGB when `rgb` is 1); the sum of the samples of the
/// last decode.
#[no_mangle]
pub extern "C" fn decode(iterations: u32, rgb: u32) -> u32 {
    let options = DecodeOptions {
        color: if rgb == 1 {
            ColorTransform::YCbCrToRgb
        } else {
            ColorTransform::AsCoded
        },
        ..DecodeOptions::default()
    };
    let mut sum = 0u32;
    for i in 0..iterations {
        let Ok(image) = lumen_codec_jpeg::decode(CODESTREAM, &options) else {
            return u32::MAX;
        };
        if i + 1 == iterations {
            sum = match image.samples {
                Samples::U8(v) => v.iter().fold(0u32, |s, &x| s.wrapping_add(u32::from(x))),
                Samples::U16(v) => v.iter().fold(0u32, |s, &x| s.wrapping_add(u32::from(x))),
            };
        }
    }
    sum
}

thread_local! {
    static BUFFERS: std::cell::RefCell<(Vec<u8>, Vec<u8>)> = const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

/// Make the input buffer `len` bytes long; where it starts. For `check.js`, which decodes any codestream.
#[no_mangle]
pub extern "C" fn input(len: u32) -> *mut u8 {
    BUFFERS.with(|b| {
        let mut b = b.borrow_mut();
        b.0.clear();
        b.0.resize(len as usize, 0);
        b.0.as_mut_ptr()
    })
}

/// Decode the input buffer (YCbCr→RGB when `rgb` is 1) into the output buffer as little-endian samples; their
/// length, or `u32::MAX` on error. Read them at `output()`.
#[no_mangle]
pub extern "C" fn decode_input(rgb: u32) -> u32 {
    BUFFERS.with(|b| {
        let mut b = b.borrow_mut();
        let options = DecodeOptions {
            color: if rgb == 1 {
                ColorTransform::YCbCrToRgb
            } else {
                ColorTransform::AsCoded
            },
            ..DecodeOptions::default()
        };
        let Ok(image) = lumen_codec_jpeg::decode(&b.0, &options) else {
            return u32::MAX;
        };
        b.1 = match image.samples {
            Samples::U8(v) => v,
            Samples::U16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        };
        b.1.len() as u32
    })
}

/// Where the output of the last `decode_input` starts.
#[no_mangle]
pub extern "C" fn output() -> *const u8 {
    BUFFERS.with(|b| b.borrow().1.as_ptr())
}
