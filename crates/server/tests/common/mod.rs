//! Shared fixtures of the server's integration tests: small DICOM instances built in memory with hand-chosen
//! attributes and pixel values, and a running server on an ephemeral 127.0.0.1 port.
#![allow(dead_code)] // each test file uses a different subset

use dicom_core::value::PrimitiveValue;
use dicom_core::{DataElement, VR};
use dicom_dictionary_std::tags;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use std::sync::Arc;

pub const CT_IMAGE_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.2";
pub const EXPLICIT_VR_LE: &str = "1.2.840.10008.1.2.1";

/// A CT instance of 2×2 16-bit pixels with `frames` frames; pixel i of frame f (0-based) holds 100·f + i.
pub fn instance(
    study: &str,
    series: &str,
    sop: &str,
    patient: &str,
    date: &str,
    frames: u16,
) -> Vec<u8> {
    let mut obj = InMemDicomObject::new_empty();
    let mut put = |tag, vr, v: PrimitiveValue| {
        obj.put(DataElement::new(tag, vr, v));
    };
    put(tags::SOP_CLASS_UID, VR::UI, CT_IMAGE_STORAGE.into());
    put(tags::SOP_INSTANCE_UID, VR::UI, sop.into());
    put(tags::STUDY_DATE, VR::DA, date.into());
    put(tags::MODALITY, VR::CS, "CT".into());
    put(tags::PATIENT_NAME, VR::PN, patient.into());
    put(tags::PATIENT_ID, VR::LO, format!("ID-{patient}").into());
    put(tags::STUDY_INSTANCE_UID, VR::UI, study.into());
    put(tags::SERIES_INSTANCE_UID, VR::UI, series.into());
    put(tags::SERIES_NUMBER, VR::IS, "1".into());
    put(tags::INSTANCE_NUMBER, VR::IS, "1".into());
    put(tags::SAMPLES_PER_PIXEL, VR::US, PrimitiveValue::from(1u16));
    put(
        tags::PHOTOMETRIC_INTERPRETATION,
        VR::CS,
        "MONOCHROME2".into(),
    );
    put(tags::NUMBER_OF_FRAMES, VR::IS, frames.to_string().into());
    put(tags::ROWS, VR::US, PrimitiveValue::from(2u16));
    put(tags::COLUMNS, VR::US, PrimitiveValue::from(2u16));
    put(tags::BITS_ALLOCATED, VR::US, PrimitiveValue::from(16u16));
    put(tags::BITS_STORED, VR::US, PrimitiveValue::from(16u16));
    put(tags::HIGH_BIT, VR::US, PrimitiveValue::from(15u16));
    put(
        tags::PIXEL_REPRESENTATION,
        VR::US,
        PrimitiveValue::from(0u16),
    );
    let values: Vec<u16> = (0..frames)
        .flat_map(|f| (0..4).map(move |i| 100 * f + i))
        .collect();
    put(tags::PIXEL_DATA, VR::OW, PrimitiveValue::U16(values.into()));
    let meta = FileMetaTableBuilder::new()
        .transfer_syntax(EXPLICIT_VR_LE)
        .media_storage_sop_class_uid(CT_IMAGE_STORAGE)
        .media_storage_sop_instance_uid(sop)
        .build()
        .expect("valid file meta");
    let mut out = Vec::new();
    obj.with_exact_meta(meta)
        .write_all(&mut out)
        .expect("in-memory write");
    out
}

/// A running server: its base URL and the store folder behind it.
pub struct Running {
    pub url: String,
    pub dir: tempfile::TempDir,
    pub store: Arc<lumen_store::Store>,
}

/// Starts a store-backed server over a folder holding `files` (relative path, bytes).
pub async fn start_store(files: &[(&str, Vec<u8>)]) -> Running {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, bytes) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("file in a folder")).expect("create folder");
        std::fs::write(path, bytes).expect("write fixture");
    }
    let store = Arc::new(lumen_store::Store::open(dir.path()).expect("index fixture folder"));
    let url = start(lumen_server::router(lumen_server::AppState::from_store(
        store.clone(),
    )))
    .await;
    Running { url, dir, store }
}

/// Serves `app` on 127.0.0.1 with an ephemeral port; returns `http://127.0.0.1:PORT`.
pub async fn start(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    format!("http://{addr}")
}

/// A STOW-RS body holding `instances`, and its Content-Type.
pub fn stow_body(instances: &[Vec<u8>]) -> (String, Vec<u8>) {
    let parts: Vec<lumen_dicomweb::multipart::Part> = instances
        .iter()
        .map(|b| lumen_dicomweb::multipart::Part::new("application/dicom", b.clone()))
        .collect();
    lumen_dicomweb::multipart::build_related(&parts, "application/dicom")
}

/// The first string value of attribute `tag` (8 hex digits) of each DICOM JSON object.
pub fn values(json: &serde_json::Value, tag: &str) -> Vec<String> {
    json.as_array()
        .map(|a| {
            a.iter()
                .map(|o| {
                    o[tag]["Value"][0]
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| o[tag]["Value"][0].to_string())
                })
                .collect()
        })
        .unwrap_or_default()
}
