//! A wasm32 module for timing lumen-dicom's frame decoding in a JavaScript engine against other wasm codecs on
//! the same codestream. Used only by `compare-cornerstone.sh` (through `bench.js`); it must not be a dependency
//! of anything.
//!
//! JavaScript writes a DICOM Part 10 file into the buffer returned by `input(len)` and calls `load(frame)`,
//! which parses it (not timed) and keeps frame `frame`'s codestream (readable at `codestream()`, so that the
//! other decoder gets exactly the same bytes), the Image Pixel attributes and the transfer syntax. `decode(n)`
//! then decodes that codestream `n` times with `lumen_dicom::decode::decode_frame_data`, the function the
//! viewer's decode workers call on a frame fetched from WADO-RS, and keeps the last result; `output()` writes it
//! as little-endian bytes (colour interleaved) for the comparison. `text()`/`text_len()` expose a description
//! of the loaded frame (JSON) or the last error. No `unsafe`: Rust only hands out pointers into its own buffers.
//!
//! Pointers returned here are invalidated when linear memory grows: JavaScript re-reads `memory.buffer` after
//! every call.

// openjp2 imports malloc/free and friends; the shim provides them on wasm32.
use lumen_wasm_libc_shim as _;

use dicom_core::value::Value;
use dicom_core::Tag;
use lumen_dicom::{DicomFile, Frame, ImageInfo, Samples};
use std::cell::RefCell;

const PIXEL_DATA: Tag = Tag(0x7FE0, 0x0010);

struct Loaded {
    codestream: Vec<u8>,
    info: ImageInfo,
    transfer_syntax: String,
}

#[derive(Default)]
struct State {
    input: Vec<u8>,
    loaded: Option<Loaded>,
    last: Option<Frame>,
    output: Vec<u8>,
    text: String,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// Make the input buffer `len` bytes long (zeroed); where it starts in linear memory.
#[no_mangle]
pub extern "C" fn input(len: u32) -> *mut u8 {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.input.clear();
        s.input.resize(len as usize, 0);
        s.input.as_mut_ptr()
    })
}

/// The encoded bytes of frame `index` of an encapsulated Pixel Data value: all fragments for a single-frame
/// image, fragment `index` when there is one fragment per frame. Other layouts are refused (this is a bench
/// tool: the inputs are written by gdcmconv, dcmcjpeg and the project's own Part 10 writer).
fn frame_codestream(file: &DicomFile, info: &ImageInfo, index: u32) -> Result<Vec<u8>, String> {
    if index >= info.number_of_frames {
        return Err(format!("frame {index} requested, the image has {}", info.number_of_frames));
    }
    let element = file.object().get(PIXEL_DATA).ok_or("no Pixel Data (7FE0,0010)")?;
    let Value::PixelSequence(seq) = element.value() else {
        return Err(format!(
            "Pixel Data is not encapsulated (transfer syntax {}): nothing to benchmark",
            file.transfer_syntax()
        ));
    };
    let fragments = seq.fragments();
    if info.number_of_frames == 1 {
        Ok(fragments.concat())
    } else if fragments.len() == info.number_of_frames as usize {
        Ok(fragments[index as usize].clone())
    } else {
        Err(format!(
            "{} fragments for {} frames: only one fragment per frame is supported",
            fragments.len(),
            info.number_of_frames
        ))
    }
}

fn load_input(input: &[u8], index: u32) -> Result<Loaded, String> {
    let file = DicomFile::from_bytes(input).map_err(|e| format!("cannot read the DICOM file: {e}"))?;
    let info = file.image_info().map_err(|e| format!("not an image: {e}"))?;
    let codestream = frame_codestream(&file, &info, index)?;
    Ok(Loaded {
        codestream,
        info,
        transfer_syntax: file.transfer_syntax().trim_end_matches('\0').trim().to_string(),
    })
}

fn describe(l: &Loaded) -> String {
    let i = &l.info;
    format!(
        "{{\"transfer_syntax\":\"{}\",\"rows\":{},\"columns\":{},\"samples_per_pixel\":{},\"bits_allocated\":{},\
         \"bits_stored\":{},\"signed\":{},\"photometric_interpretation\":\"{}\",\"codestream_bytes\":{}}}",
        l.transfer_syntax,
        i.rows,
        i.columns,
        i.samples_per_pixel,
        i.bits_allocated,
        i.bits_stored,
        i.is_signed(),
        i.photometric_interpretation.as_str(),
        l.codestream.len()
    )
}

/// Parse the input buffer as a DICOM file and keep frame `index` (0-based); the codestream's length, or 0 on
/// error (then `text()` holds the reason). On success `text()` holds a JSON description of the frame.
#[no_mangle]
pub extern "C" fn load(index: u32) -> u32 {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.last = None;
        s.output.clear();
        let result = load_input(&s.input, index);
        match result {
            Ok(l) => {
                s.text = describe(&l);
                let len = l.codestream.len() as u32;
                s.loaded = Some(l);
                len
            }
            Err(e) => {
                s.loaded = None;
                s.text = e;
                0
            }
        }
    })
}

/// Where the loaded codestream starts in linear memory.
#[no_mangle]
pub extern "C" fn codestream() -> *const u8 {
    STATE.with(|s| {
        s.borrow()
            .loaded
            .as_ref()
            .map_or(std::ptr::null(), |l| l.codestream.as_ptr())
    })
}

/// Decode the loaded codestream `iterations` times (at least once); 1 on success, 0 on error (reason in
/// `text()`).
#[no_mangle]
pub extern "C" fn decode(iterations: u32) -> u32 {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let result = match &s.loaded {
            None => Err("decode called before a successful load".to_string()),
            Some(l) => {
                let mut last = Err(String::new());
                for _ in 0..iterations.max(1) {
                    last = lumen_dicom::decode::decode_frame_data(&l.codestream, &l.transfer_syntax, &l.info, 0)
                        .map_err(|e| e.to_string());
                    if last.is_err() {
                        break;
                    }
                }
                last
            }
        };
        match result {
            Ok(frame) => {
                s.last = Some(frame);
                1
            }
            Err(e) => {
                s.last = None;
                s.text = e;
                0
            }
        }
    })
}

/// Write the last decoded frame as little-endian bytes, samples interleaved; their length (0 when nothing was
/// decoded or the samples are not integers of 8 or 16 bits). Read them at `output_ptr()`.
#[no_mangle]
pub extern "C" fn output() -> u32 {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let bytes = match s.last.as_ref().map(|f| &f.samples) {
            Some(Samples::U8(v)) => v.clone(),
            Some(Samples::I8(v)) => v.iter().map(|&x| x as u8).collect(),
            Some(Samples::U16(v)) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Some(Samples::I16(v)) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            _ => Vec::new(),
        };
        s.output = bytes;
        s.output.len() as u32
    })
}

/// Where the bytes written by `output()` start in linear memory.
#[no_mangle]
pub extern "C" fn output_ptr() -> *const u8 {
    STATE.with(|s| s.borrow().output.as_ptr())
}

/// The photometric interpretation of the last decoded frame's samples, in `text()` ("" when none).
#[no_mangle]
pub extern "C" fn output_photometric() -> u32 {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let pi = s
            .last
            .as_ref()
            .map(|f| f.photometric_interpretation.as_str().to_string())
            .unwrap_or_default();
        s.text = pi;
        s.text.len() as u32
    })
}

/// Where the current text (description, error, photometric interpretation) starts in linear memory.
#[no_mangle]
pub extern "C" fn text() -> *const u8 {
    STATE.with(|s| s.borrow().text.as_ptr())
}

/// The length in bytes of the current text.
#[no_mangle]
pub extern "C" fn text_len() -> u32 {
    STATE.with(|s| s.borrow().text.len() as u32)
}
