//! What the `jpegls_decode` fuzz target runs, shared with the regression test
//! `crates/codec-jpegls/tests/fuzz_regressions.rs` (which includes this file with `#[path]`).
#![allow(dead_code)]

/// Read the frame header, then decode the codestream with the public default limit. Errors are expected and
/// ignored: only a panic, a hang or an out-of-memory abort is a finding. Returns whether the decode succeeded.
pub fn decode(data: &[u8]) -> bool {
    let header = lumen_codec_jpegls::read_frame_info(data);
    let image = lumen_codec_jpegls::decode(data);
    if let (Ok(header), Ok(image)) = (header, &image) {
        // A successful decode must agree with its own header and hold exactly width × height × components samples.
        assert_eq!(header, image.info, "decode and read_frame_info disagree");
        let expected =
            header.width as usize * header.height as usize * usize::from(header.components);
        let len = match &image.samples {
            lumen_codec_jpegls::Samples::U8(v) => v.len(),
            lumen_codec_jpegls::Samples::U16(v) => v.len(),
        };
        assert_eq!(
            len, expected,
            "sample count does not match the frame header"
        );
    }
    image.is_ok()
}
