//! Turns the bytes of a DICOM file from the user's disk into the first frame as displayed (PS3.3 C.11: Modality
//! LUT, VOI LUT, presentation) plus the facts shown next to it, by calling `lumen-dicom`.
//!
//! All DICOM work is `lumen-dicom`'s; this module only picks what the page shows. It runs in a decode worker
//! (`crate::decode_worker`), never on the page's thread, and must not touch the page.

use dicom_dictionary_std::tags;
use lumen_dicom::{display, DicomFile};

/// The first frame of a local file, ready to paint, and what to say about it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RenderedFile {
    /// Columns (0028,0011).
    pub width: u32,
    /// Rows (0028,0010).
    pub height: u32,
    /// `width × height × 4` bytes of 8-bit RGBA.
    pub rgba: Vec<u8>,
    /// The PS3.6 name of the Transfer Syntax (0002,0010) and its UID.
    pub transfer_syntax: String,
    /// Photometric Interpretation (0028,0004) as declared.
    pub photometric_interpretation: String,
    /// Number of Frames (0028,0008); 1 when absent.
    pub number_of_frames: u32,
    /// Modality (0008,0060).
    pub modality: String,
    /// Patient Name (0010,0010), as stored.
    pub patient_name: String,
}

impl RenderedFile {
    /// [`render_first_frame`] with its error as text, as the decode worker sends it back.
    pub fn render(bytes: &[u8]) -> Result<RenderedFile, String> {
        render_first_frame(bytes).map_err(|e| e.to_string())
    }
}

/// Parses `bytes`, decodes frame 0 and renders it for display with the data set's own LUTs and window.
pub fn render_first_frame(bytes: &[u8]) -> Result<RenderedFile, lumen_dicom::Error> {
    let file = DicomFile::from_bytes(bytes)?;
    let info = file.image_info()?;
    let frame = file.decode_frame(0)?;
    let params = display::DisplayParams::from_file(&file, &frame)?;
    let image = display::render_frame(&frame, &params)?;
    Ok(RenderedFile {
        width: image.width,
        height: image.height,
        rgba: image.data,
        transfer_syntax: format!(
            "{} ({})",
            file.transfer_syntax_name(),
            file.transfer_syntax()
        ),
        photometric_interpretation: info.photometric_interpretation.as_str().to_string(),
        number_of_frames: info.number_of_frames,
        modality: file.string(tags::MODALITY).unwrap_or_default(),
        patient_name: file.string(tags::PATIENT_NAME).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn bytes_that_are_not_dicom_are_an_error_not_a_panic() {
        let err =
            render_first_frame(b"certainly not a DICOM file, just text").expect_err("not DICOM");
        assert!(!err.to_string().is_empty());
        assert!(render_first_frame(&[]).is_err());
    }
}
