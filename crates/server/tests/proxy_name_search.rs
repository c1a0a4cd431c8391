//! Patient-name searches with several words through the proxy. Orthanc (1.10, DICOMweb plugin 1.7) compares the
//! raw query text, so the `%20` a browser sends for a space never matches there; the proxy sends Orthanc a `?`
//! wildcard in its place (which also matches the `^` between name components), and any other archive the
//! standard `%20`.
//!
//! The Orthanc test starts a throw-away Orthanc with its DICOMweb plugin on 127.0.0.1 (free port, temporary
//! storage, no authentication, no DICOM port), loads small CT instances through its REST API and searches them
//! through Lumen's proxy (`common/orthanc.rs`: a missing Orthanc fails the test with instructions unless
//! `LUMEN_SKIP_REFERENCE_TOOLS=1`; `ORTHANC_BIN` overrides the executable). The Orthanc it starts is killed on
//! drop, even when an assertion fails.

mod common;
#[path = "common/orthanc.rs"]
mod orthanc;

use axum::extract::Request;
use axum::middleware::Next;
use reqwest::StatusCode;
use std::sync::{Arc, Mutex};

async fn proxy_to(dicomweb_root: &str) -> String {
    let state = lumen_server::AppState::proxy(dicomweb_root, None).expect("valid PACS URL");
    common::start(lumen_server::router(state)).await
}

/// Study Instance UIDs found by a study search through the proxy at `lumen` with the raw query `query`.
async fn found(lumen: &str, query: &str) -> Vec<String> {
    let r = reqwest::get(format!("{lumen}/dicom-web/studies?{query}"))
        .await
        .expect("search through the proxy");
    assert_eq!(r.status(), StatusCode::OK, "search {query}");
    let json: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    let mut uids = common::values(&json, "0020000D");
    uids.sort();
    uids
}

/// One study per patient name, UIDs `1.2.826.0.77.N`.
fn studies(names: &[&str]) -> Vec<Vec<u8>> {
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let study = format!("1.2.826.0.77.{}", i + 1);
            common::instance(
                &study,
                &format!("{study}.1"),
                &format!("{study}.1.1"),
                name,
                "20240101",
                1,
            )
        })
        .collect()
}

const NAMES: &[&str] = &["DOE^JANE", "DOE^JOHN", "VAN DER BERG^ANNA", "Smith John"];
const JANE: &str = "1.2.826.0.77.1";
const JOHN: &str = "1.2.826.0.77.2";
const VAN_DER_BERG: &str = "1.2.826.0.77.3";
const SMITH: &str = "1.2.826.0.77.4";

#[tokio::test]
async fn orthanc_finds_names_typed_with_spaces_through_the_proxy() {
    let Some(orthanc) = orthanc::start_orthanc().await else {
        return;
    };
    // Orthanc's own REST API sits beside its DICOMweb root.
    let root = orthanc.dicomweb.trim_end_matches("/dicom-web").to_string();
    let client = reqwest::Client::new();
    for file in studies(NAMES) {
        let r = client
            .post(format!("{root}/instances"))
            .body(file)
            .send()
            .await
            .expect("upload to Orthanc");
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "Orthanc refused a test instance"
        );
    }
    let lumen = proxy_to(&orthanc.dicomweb).await;
    // What the web app sends for "doe jane": a trailing `*`, fuzzy matching, the space as %20.
    assert_eq!(
        found(&lumen, "PatientName=doe%20jane*&fuzzymatching=true").await,
        [JANE]
    );
    assert_eq!(
        found(&lumen, "PatientName=smith%20john*&fuzzymatching=true").await,
        [SMITH]
    );
    // A space inside a family name, and outer spaces, which are not significant.
    assert_eq!(
        found(&lumen, "PatientName=%20van%20der*%20").await,
        [VAN_DER_BERG]
    );
    // An exact name with the component separator, encoded as the browser may send it.
    assert_eq!(found(&lumen, "PatientName=DOE%5EJOHN").await, [JOHN]);
    assert_eq!(found(&lumen, "PatientName=doe*").await, [JANE, JOHN]);
    drop(orthanc);
}

#[tokio::test]
async fn other_archives_get_the_standard_space() {
    let files: Vec<(String, Vec<u8>)> = studies(NAMES)
        .into_iter()
        .enumerate()
        .map(|(i, f)| (format!("{i}.dcm"), f))
        .collect();
    let files: Vec<(&str, Vec<u8>)> = files.iter().map(|(n, f)| (n.as_str(), f.clone())).collect();
    let upstream = common::start_store(&files).await;
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let record = seen.clone();
    let app = lumen_server::router(lumen_server::AppState::from_store(upstream.store.clone()))
        .layer(axum::middleware::from_fn(
            move |req: Request, next: Next| {
                record
                    .lock()
                    .unwrap()
                    .push(req.uri().query().unwrap_or_default().to_string());
                next.run(req)
            },
        ));
    let upstream_url = common::start(app).await;
    let lumen = proxy_to(&format!("{upstream_url}/dicom-web")).await;
    // Lumen's fuzzy matching takes the words apart, so the space must reach it as a space.
    assert_eq!(
        found(&lumen, "PatientName=doe%20jane*&fuzzymatching=true").await,
        [JANE]
    );
    assert_eq!(
        found(&lumen, "PatientName=smith%20john*&fuzzymatching=true").await,
        [SMITH]
    );
    let queries = seen.lock().unwrap().clone();
    assert!(
        queries.contains(&"PatientName=doe%20jane*&fuzzymatching=true".to_string()),
        "the upstream saw {queries:?}"
    );
    assert!(
        !queries.iter().any(|q| q.contains('?')),
        "no wildcard may replace a space for a standard archive: {queries:?}"
    );
}
