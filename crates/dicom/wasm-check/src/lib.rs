//! A wasm32 module that checks lumen-dicom's HTJ2K (and JPEG 2000) decoding in a JavaScript engine: it embeds
//! fixtures of `tests/fixtures/` and exports `decode(which)`, which decodes every frame of fixture `which` and
//! returns the byte length of the result (pixel data as DICOM lays it out: little endian, colour interleaved),
//! or 0 on error; `output()` points at those bytes. `check.js` compares them with the fixture's reference
//! decode. Used only by `check.sh`; it must not be a dependency of anything.

// openjp2 imports malloc/free and friends; the shim provides them on wasm32.
use lumen_wasm_libc_shim as _;

use lumen_dicom::{DicomFile, Samples};
use std::cell::RefCell;

/// The embedded files, in the order check.js names them.
static FILES: &[&[u8]] = &[
    include_bytes!("../../tests/fixtures/htj2k/ct16s_lossless.dcm"),
    include_bytes!("../../tests/fixtures/htj2k/ct16s_rpcl_tiles.dcm"),
    include_bytes!("../../tests/fixtures/htj2k/ct16s_lossy.dcm"),
    include_bytes!("../../tests/fixtures/htj2k/u12_tiles_rpcl.dcm"),
    include_bytes!("../../tests/fixtures/htj2k/u8_multiframe.dcm"),
    include_bytes!("../../tests/fixtures/htj2k/rgb8_rct.dcm"),
    include_bytes!("../../tests/fixtures/htj2k/rgb8_ict_lossy.dcm"),
    include_bytes!("../../tests/fixtures/ct12s_j2k90.dcm"),
];

thread_local! {
    static OUTPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

fn decode_all(bytes: &[u8]) -> Option<Vec<u8>> {
    let file = DicomFile::from_bytes(bytes).ok()?;
    let mut out = Vec::new();
    for i in 0..file.number_of_frames() {
        match file.decode_frame(i).ok()?.samples {
            Samples::U8(v) => out.extend_from_slice(&v),
            Samples::I8(v) => out.extend(v.iter().map(|&x| x as u8)),
            Samples::U16(v) => out.extend(v.iter().flat_map(|x| x.to_le_bytes())),
            Samples::I16(v) => out.extend(v.iter().flat_map(|x| x.to_le_bytes())),
            _ => return None,
        }
    }
    Some(out)
}

/// Decode every frame of embedded file `which`; the length of the result, 0 on error.
#[no_mangle]
pub extern "C" fn decode(which: u32) -> u32 {
    let result = FILES
        .get(which as usize)
        .and_then(|bytes| decode_all(bytes));
    OUTPUT.with(|o| {
        let mut o = o.borrow_mut();
        *o = result.unwrap_or_default();
        o.len() as u32
    })
}

/// Where the last `decode` result starts in linear memory.
#[no_mangle]
pub extern "C" fn output() -> *const u8 {
    OUTPUT.with(|o| o.borrow().as_ptr())
}
