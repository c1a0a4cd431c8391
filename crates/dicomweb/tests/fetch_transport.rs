//! The browser transport (`FetchTransport`, feature `browser`) and the client over it, run on wasm32 under Node's
//! `fetch` with `data:` URLs as the server: status, headers and body must come through unchanged, and the client
//! must decode JSON and multipart answers received through fetch exactly as through reqwest.
//!
//! Run: `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner cargo test -p lumen-dicomweb
//! --target wasm32-unknown-unknown --features browser --test fetch_transport`. Natively this file compiles to
//! nothing. It must not reach the network.
#![cfg(all(target_arch = "wasm32", feature = "browser"))]

use dicom_dictionary_std::tags;
use lumen_dicomweb::transport::FetchTransport;
use lumen_dicomweb::{
    json, Client, HttpRequest, Method, QidoQuery, TransferSyntaxRequest, Transport,
};
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
async fn fetch_returns_status_headers_and_body() {
    let request = HttpRequest {
        method: Method::Get,
        url: "data:text/plain;charset=utf-8,hello%20DICOMweb".into(),
        headers: vec![("Accept".into(), "text/plain".into())],
        body: Default::default(),
    };
    let response = FetchTransport::new()
        .send(request)
        .await
        .expect("data: URL fetch");
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-type"),
        Some("text/plain;charset=utf-8")
    );
    assert_eq!(&response.body[..], b"hello DICOMweb");
}

#[wasm_bindgen_test]
async fn fetch_failures_become_transport_errors() {
    let request = HttpRequest {
        method: Method::Get,
        url: "notascheme://x".into(),
        headers: vec![],
        body: Default::default(),
    };
    let err = FetchTransport::new()
        .send(request)
        .await
        .expect_err("an unsupported scheme cannot be fetched");
    assert!(!err.message.is_empty());
}

#[wasm_bindgen_test]
async fn client_decodes_qido_json_through_fetch() {
    // The fragment (`#`) swallows the path and query the client appends, so the data: URL is the whole answer.
    let body = r#"[{"00100010":{"vr":"PN","Value":[{"Alphabetic":"DEMO^FETCH"}]}}]"#;
    let base = format!("data:application/dicom+json,{}#", body.replace('"', "%22"));
    let client = Client::new(FetchTransport::new(), base);
    let studies = client
        .search_studies(&QidoQuery::new().patient_name("DEMO*"))
        .await
        .expect("QIDO over fetch");
    assert_eq!(
        json::person_name(&studies[0], tags::PATIENT_NAME).as_deref(),
        Some("DEMO^FETCH")
    );
}

#[wasm_bindgen_test]
async fn client_decodes_multipart_instances_through_fetch() {
    let body = "--b%0D%0AContent-Type: application/dicom%0D%0A%0D%0APART10%0D%0A--b--%0D%0A";
    let base = format!("data:multipart/related;type=%22application/dicom%22;boundary=b,{body}#");
    let client = Client::new(FetchTransport::new(), base);
    let bytes = client
        .retrieve_instance("1.2", "1.2.3", "1.2.3.4", &TransferSyntaxRequest::Any)
        .await
        .expect("WADO over fetch");
    assert_eq!(&bytes[..], b"PART10");
}
