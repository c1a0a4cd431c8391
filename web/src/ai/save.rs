//! Saving a model's result to the archive: a TID 1500 Measurement Report (Enhanced SR, `lumen-results`) built in
//! the browser from the image's WADO-RS metadata and stored with STOW-RS in the image's study, through the same
//! DICOMweb root (and bearer token) the images came from. It also reads back the reports Lumen stored earlier.

use lumen_infer::manifest::ModelManifest;
use lumen_infer::qc_rules::Finding;
use lumen_results::{
    classification_sr, read_classification_sr, uid_from_random_bits, ContentDateTime, ModelRun, NewUids,
    SourceImage, SrSummary,
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
