//! Saving a model's result to the archive: a TID 1500 Measurement Report (Enhanced SR, `lumen-results`) built in
//! the browser from the image's WADO-RS metadata and stored with STOW-RS in the image's study, through the same
//! DICOMweb root (and bearer token) the images came from; and a segmentation model's label maps over the slices
//! of a series as a DICOM Segmentation (`lumen-results`). It also reads back the reports and segmentations Lumen
//! stored earlier.

use lumen_infer::manifest::ModelManifest;
use lumen_infer::qc_rules::Finding;
use lumen_results::{
    classification_sr, read_classification_sr, read_segmentation, segmentation_seg, uid_from_random_bits,
    ContentDateTime, ModelRun, NewUids, Segmentation, SegmentationRun, SourceImage, SourceSlice, SrSummary,
};
use lumen_dicomweb::TransferSyntaxRequest;
use serde_json::Value;

/// 128 bits from the browser's cryptographic generator.
fn random_bits() -> Result<u128, String> {
    let crypto = leptos::prelude::window().crypto().map_err(|e| format!("no crypto: {e:?}"))?;
    let mut bytes = [0u8; 16];
    crypto
        .get_random_values_with_u8_array(&mut bytes)
        .map_err(|e| format!("no random numbers: {e:?}"))?;
    Ok(u128::from_le_bytes(bytes))
}

/// Builds the report for `probabilities` (and `findings`) of `manifest`'s model on the instance described by
/// `instance` (its DICOM JSON) and stores it; returns the report as read back from the bytes stored.
pub async fn save_classification(
    dicomweb_root: &str,
    instance: &Value,
    frame_number: u32,
    manifest: &ModelManifest,
    probabilities: &[f32],
    findings: &[Finding],
    backend: &str,
) -> Result<SrSummary, String> {
    let source = SourceImage::from_dicom_json(instance, Some(frame_number)).map_err(|e| e.to_string())?;
    let run = ModelRun::from_manifest(manifest, probabilities, findings, backend).map_err(|e| e.to_string())?;
    let uids = NewUids { series: uid_from_random_bits(random_bits()?), instance: uid_from_random_bits(random_bits()?) };
    let now = ContentDateTime::from_unix_seconds((js_sys::Date::now() / 1000.0) as i64).map_err(|e| e.to_string())?;
    let bytes = classification_sr(&source, &run, &uids, &now).map_err(|e| e.to_string())?;
    let summary = read_classification_sr(&bytes)
        .map_err(|e| e.to_string())?
        .ok_or("the report written is not readable as Lumen's")?;
    let client = crate::auth::client(dicomweb_root);
    let response = client
        .store_instances(Some(&source.study_instance_uid), vec![bytes])
        .await
        .map_err(|e| e.to_string())?;
    if !response.failed.is_empty() {
        let reasons: Vec<String> =
            response.failed.iter().map(|f| f.failure_reason.map(|r| format!("0x{r:04X}")).unwrap_or_default()).collect();
        return Err(format!("the archive refused the report (failure reason {})", reasons.join(", ")));
    }
    Ok(summary)
}

/// Lumen's reports among the SR instances of a study: each instance is fetched (WADO-RS) and read; other SRs are
/// skipped.
pub async fn stored_reports(dicomweb_root: &str, study: &str, series: &[String]) -> Vec<SrSummary> {
    let client = crate::auth::client(dicomweb_root);
    let mut out = Vec::new();
    for s in series {
        let Ok(instances) = client.retrieve_series(study, s, &TransferSyntaxRequest::Default).await else {
            continue;
        };
        for bytes in instances {
            if let Ok(Some(summary)) = read_classification_sr(&bytes) {
                out.push(summary);
            }
        }
    }
    out
}

/// Builds the DICOM Segmentation of `manifest`'s label maps over `slices` (each: the slice's DICOM JSON and its
/// label map) and stores it in their study; returns what the archive now holds, as read back from the bytes.
pub async fn save_segmentation(
    dicomweb_root: &str,
    slices: &[(Value, std::rc::Rc<Vec<u8>>)],
    manifest: &ModelManifest,
    backend: &str,
) -> Result<Segmentation, String> {
    let sources = slices
        .iter()
        .map(|(json, _)| SourceSlice::from_dicom_json(json))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let maps: Vec<&[u8]> = slices.iter().map(|(_, l)| l.as_slice()).collect();
    let run = SegmentationRun::from_manifest(manifest, backend).map_err(|e| e.to_string())?;
    let uids = NewUids { series: uid_from_random_bits(random_bits()?), instance: uid_from_random_bits(random_bits()?) };
    let now = ContentDateTime::from_unix_seconds((js_sys::Date::now() / 1000.0) as i64).map_err(|e| e.to_string())?;
    let bytes = segmentation_seg(&run, &sources, &maps, &uids, &now).map_err(|e| e.to_string())?;
    let stored = read_segmentation(&bytes).map_err(|e| e.to_string())?;
    let study = sources.first().map(|s| s.image.study_instance_uid.clone());
    let client = crate::auth::client(dicomweb_root);
    let response = client.store_instances(study.as_deref(), vec![bytes]).await.map_err(|e| e.to_string())?;
    if !response.failed.is_empty() {
        let reasons: Vec<String> =
            response.failed.iter().map(|f| f.failure_reason.map(|r| format!("0x{r:04X}")).unwrap_or_default()).collect();
        return Err(format!("the archive refused the segmentation (failure reason {})", reasons.join(", ")));
    }
    Ok(stored)
}

/// The Segmentations written by Lumen among the SEG series of a study.
pub async fn stored_segmentations(dicomweb_root: &str, study: &str, series: &[String]) -> Vec<Segmentation> {
    let client = crate::auth::client(dicomweb_root);
    let mut out = Vec::new();
    for s in series {
        let Ok(instances) = client.retrieve_series(study, s, &TransferSyntaxRequest::Default).await else {
            continue;
        };
        for bytes in instances {
            match read_segmentation(&bytes) {
                Ok(seg) if seg.written_by_lumen => out.push(seg),
                Ok(_) => {}
                Err(e) => leptos::logging::warn!("Lumen: a stored segmentation could not be read: {e}"),
            }
        }
    }
    out
}
