//! What the `htj2k_decode` fuzz target runs, shared with the regression test
//! `crates/codec-htj2k/tests/fuzz_regressions.rs` (which includes this file with `#[path]`).
#![allow(dead_code)]

/// The largest decoded image the harness lets the decoder produce (the viewer's frames are far smaller; the
/// limit keeps a 100-byte header that declares 65535² × 16 components from costing seconds per input).
pub const MAX_OUTPUT_BYTES: u64 = 64 << 20;

/// Read the header, then decode with a bounded output. Errors (`Unsupported` included) are expected and ignored:
/// only a panic, a hang or an out-of-memory abort is a finding. Returns whether the decode succeeded.
pub fn decode(data: &[u8]) -> bool {
    let header = lumen_codec_htj2k::read_header(data);
    let _ = lumen_codec_htj2k::is_htj2k(data);
    let image = lumen_codec_htj2k::decode_with_limit(data, MAX_OUTPUT_BYTES);
    if let (Ok(header), Ok(image)) = (header, &image) {
        // A successful decode agrees with its own header and holds exactly width × height × components samples.
        assert_eq!(header, image.header, "decode and read_header disagree");
        let expected = header.width as usize * header.height as usize * usize::from(header.components);
        let len = match &image.samples {
            lumen_codec_htj2k::Samples::U8(v) => v.len(),
            lumen_codec_htj2k::Samples::I8(v) => v.len(),
            lumen_codec_htj2k::Samples::U16(v) => v.len(),
            lumen_codec_htj2k::Samples::I16(v) => v.len(),
        };
        assert_eq!(len, expected, "sample count does not match the header");
    }
    image.is_ok()
}
