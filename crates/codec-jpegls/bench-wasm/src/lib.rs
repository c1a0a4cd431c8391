//! A wasm32 module for comparing lumen-codec-jpegls with CharLS in the same JavaScript engine: it embeds the
//! codestream named by the `JLS_FILE` environment variable at build time (no unsafe pointer passing) and
//! exports `decode(iterations)`, returning a checksum of the last decode (0xFFFFFFFF on error). Used only by
//! `compare-charls.sh`; it must not be a dependency of anything.

static CODESTREAM: &[u8] = include_bytes!(env!("JLS_FILE"));

/// Decode the embedded codestream `iterations` times; the sum of the samples of the last decode.
#[no_mangle]
pub extern "C" fn decode(iterations: u32) -> u32 {
    let mut sum = 0u32;
    for i in 0..iterations {
        let Ok(image) = lumen_codec_jpegls::decode(CODESTREAM) else {
            return u32::MAX;
        };
        if i + 1 == iterations {
            sum = match image.samples {
                lumen_codec_jpegls::Samples::U8(v) => v.iter().fold(0u32, |s, &x| s.wrapping_add(u32::from(x))),
                lumen_codec_jpegls::Samples::U16(v) => v.iter().fold(0u32, |s, &x| s.wrapping_add(u32::from(x))),
            };
        }
    }
    sum
}
