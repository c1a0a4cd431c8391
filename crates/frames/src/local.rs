//! Files opened from the reader's own disk (picker, drag and drop, a dropped folder): what the viewer needs to
//! treat them like a series from an archive. A decode worker parses each file once and sends back its DICOM JSON,
//! the same shape WADO-RS metadata has, so the stack ordering, overlays, tag browser and hanging protocol work
//! unchanged; frames are then decoded from the file's bytes ([`crate::FrameSource::Bytes`]).
//!
//! This module must not read files or talk to workers: the web app does that and calls [`local_metadata`].

use crate::error::*;
use dicom_dictionary_std::tags;
use lumen_dicom::DicomFile;
use lumen_dicomweb::json;
use serde_json::Value;
use snafu::prelude::*;

/// The attributes that hold pixel samples, left out of [`local_metadata`]: the frames are decoded from the file
/// itself, and carrying megabytes of base64 to the page for nothing would only cost memory.
const PIXEL_TAGS: [dicom_core::Tag; 3] = [
    tags::PIXEL_DATA,
    tags::FLOAT_PIXEL_DATA,
    tags::DOUBLE_FLOAT_PIXEL_DATA,
];

/// The DICOM JSON (PS3.18 F.2) of a parsed file, as WADO-RS metadata would give it: every attribute of the data
/// set but the pixel samples, plus Transfer Syntax UID (0002,0010) from the file meta group, which the tag browser
/// shows and which tells how the file is encoded.
pub fn local_metadata(file: &DicomFile) -> Result<Value> {
    let mut object = file.object().clone();
    for tag in PIXEL_TAGS {
        object.remove_element(tag);
    }
    let mut value = json::to_dicom_json(&object).map_err(|e| Error::Metadata {
        reason: format!("cannot write the file's attributes as DICOM JSON: {e}"),
    })?;
    let syntax = file
        .transfer_syntax()
        .trim_end_matches('\0')
        .trim()
        .to_string();
    if let (Some(map), false) = (value.as_object_mut(), syntax.is_empty()) {
        map.insert(
            json::tag_key(tags::TRANSFER_SYNTAX_UID),
            serde_json::json!({ "vr": "UI", "Value": [syntax] }),
        );
    }
    Ok(value)
}

/// Parses `bytes` (a Part 10 file, or a bare data set whose encoding can be told) and returns its
/// [`local_metadata`]; an error names what is wrong (not DICOM, truncated…), never a panic.
pub fn local_metadata_from_bytes(bytes: &[u8]) -> Result<Value> {
    let file = DicomFile::from_bytes(bytes).context(DicomSnafu {
        context: "not a readable DICOM file",
    })?;
    local_metadata(&file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build_stack;

    /// The files of the demo's main CT series (generated in memory).
    fn demo_ct_files() -> Vec<Vec<u8>> {
        let (_, files) =
            lumen_phantom::demo_in_memory(&lumen_phantom::DemoOptions::small()).expect("demo");
        let ct: Vec<Vec<u8>> = files
            .into_iter()
            .filter(|(p, _)| p.to_string_lossy().starts_with("ct-"))
            .map(|(_, b)| b)
            .collect();
        ct
    }

    #[test]
    fn metadata_has_the_image_attributes_and_syntax_but_no_pixels() {
        let files = demo_ct_files();
        assert!(!files.is_empty(), "the demo has CT files");
        let value = local_metadata_from_bytes(&files[0]).unwrap();
        assert!(json::integer(&value, tags::ROWS).is_some_and(|r| r > 0));
        assert!(json::string(&value, tags::SOP_INSTANCE_UID).is_some());
        assert!(json::string(&value, tags::TRANSFER_SYNTAX_UID)
            .is_some_and(|s| s.starts_with("1.2.840.10008.1.2")));
        assert!(
            json::attribute(&value, tags::PIXEL_DATA).is_none(),
            "pixel data left out"
        );
        let text = serde_json::to_string(&value).unwrap();
        assert!(
            text.len() < 64 * 1024,
            "metadata stays small ({} bytes)",
            text.len()
        );
    }

    #[test]
    fn local_files_order_into_a_stack_like_archive_metadata() {
        let files = demo_ct_files();
        let metadata: Vec<Value> = files
            .iter()
            .map(|b| local_metadata_from_bytes(b).unwrap())
            .collect();
        let series = json::string(&metadata[0], tags::SERIES_INSTANCE_UID).unwrap();
        let same: Vec<Value> = metadata
            .into_iter()
            .filter(|m| {
                json::string(m, tags::SERIES_INSTANCE_UID).as_deref() == Some(series.as_str())
            })
            .collect();
        let stack = build_stack(&same);
        assert_eq!(stack.frames.len(), same.len());
        assert!(stack.skipped.is_empty());
    }

    #[test]
    fn text_and_truncated_files_are_errors_that_say_so() {
        let err = local_metadata_from_bytes(b"These are notes, not a DICOM file.\n").unwrap_err();
        assert!(err.to_string().contains("DICOM"), "{err}");
        let files = demo_ct_files();
        let truncated = &files[0][..200];
        assert!(local_metadata_from_bytes(truncated).is_err());
        assert!(local_metadata_from_bytes(&[]).is_err());
    }
}
