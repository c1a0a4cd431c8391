//! The DICOMweb service over a folder store, exercised over real HTTP (reqwest against a server on 127.0.0.1):
//! QIDO-RS results and content type, STOW-RS success and failure (and what lands on disk), WADO-RS instance bytes,
//! study streaming, frames, metadata with bulk data, and content negotiation errors.

mod common;

use common::{instance, start_store, stow_body, values, EXPLICIT_VR_LE};
use lumen_dicomweb::multipart::parse_related;
use reqwest::StatusCode;

const STUDY_A: &str = "1.2.826.0.1.1";
const STUDY_B: &str = "1.2.826.0.1.2";

async fn two_studies() -> common::Running {
    start_store(&[
        (
            "a/1.dcm",
            instance(
                STUDY_A,
                "1.2.826.0.1.1.1",
                "1.2.826.0.1.1.1.1",
                "Müller^Hans",
                "20230610",
                1,
            ),
        ),
        (
            "b/1.dcm",
            instance(
                STUDY_B,
                "1.2.826.0.1.2.1",
                "1.2.826.0.1.2.1.1",
                "Doe^Jane",
                "20210101",
                3,
            ),
        ),
    ])
    .await
}

async fn get_json(url: &str) -> (StatusCode, String, serde_json::Value) {
    let r = reqwest::get(url).await.expect("request");
    let status = r.status();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let json = r
        .bytes()
        .await
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(serde_json::Value::Null);
    (status, ct, json)
}

#[tokio::test]
async fn qido_studies_returns_the_matching_studies_as_dicom_json() {
    let s = two_studies().await;
    let (status, ct, all) = get_json(&format!("{}/dicom-web/studies", s.url)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, "application/dicom+json");
    // Newest first.
    assert_eq!(values(&all, "0020000D"), [STUDY_A, STUDY_B]);
    let (_, _, fuzzy) = get_json(&format!(
        "{}/dicom-web/studies?PatientName=muller&fuzzymatching=true",
        s.url
    ))
    .await;
    assert_eq!(values(&fuzzy, "0020000D"), [STUDY_A]);
    let (_, _, dated) = get_json(&format!("{}/dicom-web/studies?StudyDate=-20221231", s.url)).await;
    assert_eq!(values(&dated, "0020000D"), [STUDY_B]);
    // Retrieve URL is built from the Host the client used.
    assert_eq!(
        values(&dated, "00081190"),
        [format!("{}/dicom-web/studies/{STUDY_B}", s.url)]
    );
}

#[tokio::test]
async fn qido_series_and_instances_are_scoped_by_the_path() {
    let s = two_studies().await;
    let (_, _, series) = get_json(&format!("{}/dicom-web/studies/{STUDY_B}/series", s.url)).await;
    assert_eq!(values(&series, "0020000E"), ["1.2.826.0.1.2.1"]);
    let (_, _, inst) = get_json(&format!(
        "{}/dicom-web/studies/{STUDY_B}/series/1.2.826.0.1.2.1/instances",
        s.url
    ))
    .await;
    assert_eq!(values(&inst, "00080018"), ["1.2.826.0.1.2.1.1"]);
    assert_eq!(values(&inst, "00280008"), ["3"]);
    let (status, _, err) = get_json(&format!("{}/dicom-web/studies/9.9.9/series", s.url)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        err["error"].as_str().unwrap_or_default().contains("9.9.9"),
        "{err}"
    );
}

#[tokio::test]
async fn qido_with_an_unknown_attribute_is_a_bad_request() {
    let s = two_studies().await;
    let (status, _, err) = get_json(&format!("{}/dicom-web/studies?PatientNmae=x", s.url)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        err["error"]
            .as_str()
            .unwrap_or_default()
            .contains("PatientNmae"),
        "{err}"
    );
}

#[tokio::test]
async fn stow_then_qido_finds_the_instance_and_the_file_is_complete() {
    let s = start_store(&[]).await;
    let bytes = instance(
        "1.2.826.0.9",
        "1.2.826.0.9.1",
        "1.2.826.0.9.1.1",
        "New^Patient",
        "20240101",
        1,
    );
    let (ct, body) = stow_body(std::slice::from_ref(&bytes));
    let r = reqwest::Client::new()
        .post(format!("{}/dicom-web/studies", s.url))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/dicom+json");
    let json: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(
        json["00081199"]["Value"][0]["00081155"]["Value"][0],
        "1.2.826.0.9.1.1"
    );
    assert!(json.get("00081198").is_none());

    let (_, _, found) = get_json(&format!("{}/dicom-web/studies?PatientName=new*", s.url)).await;
    assert_eq!(values(&found, "0020000D"), ["1.2.826.0.9"]);
    let on_disk = s
        .dir
        .path()
        .join("1.2.826.0.9/1.2.826.0.9.1/1.2.826.0.9.1.1.dcm");
    assert_eq!(std::fs::read(on_disk).unwrap(), bytes);
}

#[tokio::test]
async fn stow_of_garbage_fails_with_409_and_writes_nothing() {
    let s = start_store(&[]).await;
    let (ct, body) = stow_body(&[b"this is not a DICOM file".to_vec()]);
    let r = reqwest::Client::new()
        .post(format!("{}/dicom-web/studies", s.url))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.headers().get("warning").is_some());
    let json: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    // Failure Reason 0xC000 "Cannot understand".
    assert_eq!(json["00081198"]["Value"][0]["00081197"]["Value"][0], 0xC000);
    assert!(json.get("00081199").is_none());
    assert_eq!(std::fs::read_dir(s.dir.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn stow_with_one_good_and_one_bad_part_is_accepted_with_202() {
    let s = start_store(&[]).await;
    let good = instance(
        "1.2.826.0.9",
        "1.2.826.0.9.1",
        "1.2.826.0.9.1.1",
        "A^B",
        "20240101",
        1,
    );
    let (ct, body) = stow_body(&[good, b"garbage".to_vec()]);
    let r = reqwest::Client::new()
        .post(format!("{}/dicom-web/studies", s.url))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
}

#[tokio::test]
async fn stow_to_another_study_than_the_instance_fails() {
    let s = start_store(&[]).await;
    let bytes = instance(
        "1.2.826.0.9",
        "1.2.826.0.9.1",
        "1.2.826.0.9.1.1",
        "A^B",
        "20240101",
        1,
    );
    let (ct, body) = stow_body(&[bytes]);
    let r = reqwest::Client::new()
        .post(format!("{}/dicom-web/studies/1.2.826.0.8", s.url))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let json: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(
        json["00081198"]["Value"][0]["00081155"]["Value"][0],
        "1.2.826.0.9.1.1"
    );
    assert_eq!(s.store.instance_count(), 0);
}

#[tokio::test]
async fn stow_of_a_non_multipart_body_is_unsupported_media_type() {
    let s = start_store(&[]).await;
    let r = reqwest::Client::new()
        .post(format!("{}/dicom-web/studies", s.url))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn wado_instance_returns_the_stored_file_byte_for_byte() {
    let s = two_studies().await;
    let file = std::fs::read(s.dir.path().join("a/1.dcm")).unwrap();
    let url = format!(
        "{}/dicom-web/studies/{STUDY_A}/series/1.2.826.0.1.1.1/instances/1.2.826.0.1.1.1.1",
        s.url
    );
    for accept in [
        "multipart/related; type=\"application/dicom\"; transfer-syntax=*",
        "multipart/related; type=\"application/dicom\"",
    ] {
        let r = reqwest::Client::new()
            .get(&url)
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let ct = r.headers()["content-type"].to_str().unwrap().to_string();
        assert!(
            ct.starts_with("multipart/related; type=\"application/dicom\""),
            "{ct}"
        );
        let parts = parse_related(&ct, &r.bytes().await.unwrap()).unwrap();
        assert_eq!(parts.len(), 1);
        assert_eq!(
            parts[0].content_type,
            format!("application/dicom; transfer-syntax={EXPLICIT_VR_LE}")
        );
        assert_eq!(parts[0].body.as_ref(), file.as_slice());
    }
}

#[tokio::test]
async fn wado_instance_in_an_unacceptable_media_type_is_406() {
    let s = two_studies().await;
    let url = format!(
        "{}/dicom-web/studies/{STUDY_A}/series/1.2.826.0.1.1.1/instances/1.2.826.0.1.1.1.1",
        s.url
    );
    let r = reqwest::Client::new()
        .get(&url)
        .header("accept", "image/png")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_ACCEPTABLE);
}

#[tokio::test]
async fn wado_study_streams_every_instance() {
    let s = start_store(&[
        (
            "1.dcm",
            instance(
                STUDY_A,
                "1.2.826.0.1.1.1",
                "1.2.826.0.1.1.1.1",
                "A^B",
                "20230610",
                1,
            ),
        ),
        (
            "2.dcm",
            instance(
                STUDY_A,
                "1.2.826.0.1.1.1",
                "1.2.826.0.1.1.1.2",
                "A^B",
                "20230610",
                1,
            ),
        ),
        (
            "3.dcm",
            instance(
                STUDY_A,
                "1.2.826.0.1.1.2",
                "1.2.826.0.1.1.2.1",
                "A^B",
                "20230610",
                2,
            ),
        ),
    ])
    .await;
    let r = reqwest::get(format!("{}/dicom-web/studies/{STUDY_A}", s.url))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    let parts = parse_related(&ct, &r.bytes().await.unwrap()).unwrap();
    assert_eq!(parts.len(), 3);
    let mut expected: Vec<Vec<u8>> = ["1.dcm", "2.dcm", "3.dcm"]
        .iter()
        .map(|f| std::fs::read(s.dir.path().join(f)).unwrap())
        .collect();
    let mut got: Vec<Vec<u8>> = parts.iter().map(|p| p.body.to_vec()).collect();
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
    let r = reqwest::get(format!(
        "{}/dicom-web/studies/{STUDY_A}/series/1.2.826.0.1.1.2",
        s.url
    ))
    .await
    .unwrap();
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert_eq!(
        parse_related(&ct, &r.bytes().await.unwrap()).unwrap().len(),
        1
    );
}

#[tokio::test]
async fn frames_of_a_multi_frame_instance_are_returned_in_request_order() {
    let s = two_studies().await;
    let url = format!(
        "{}/dicom-web/studies/{STUDY_B}/series/1.2.826.0.1.2.1/instances/1.2.826.0.1.2.1.1/frames/3,1",
        s.url
    );
    let r = reqwest::Client::new()
        .get(&url)
        .header(
            "accept",
            "multipart/related; type=\"application/octet-stream\"",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(
        ct.starts_with("multipart/related; type=\"application/octet-stream\""),
        "{ct}"
    );
    let parts = parse_related(&ct, &r.bytes().await.unwrap()).unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(
        parts[0].content_type,
        format!("application/octet-stream; transfer-syntax={EXPLICIT_VR_LE}")
    );
    // Frame 3 (0-based 2) holds 200..=203, frame 1 holds 0..=3, 16-bit little endian.
    assert_eq!(parts[0].body.as_ref(), &[200, 0, 201, 0, 202, 0, 203, 0]);
    assert_eq!(parts[1].body.as_ref(), &[0, 0, 1, 0, 2, 0, 3, 0]);
    let r = reqwest::get(url.replace("frames/3,1", "frames/4"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = reqwest::get(url.replace("frames/3,1", "frames/x"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn metadata_points_pixel_data_to_bulk_data_that_serves_it() {
    let s = two_studies().await;
    let (status, ct, meta) =
        get_json(&format!("{}/dicom-web/studies/{STUDY_B}/metadata", s.url)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, "application/dicom+json");
    assert_eq!(meta.as_array().map(Vec::len), Some(1));
    let uri = meta[0]["7FE00010"]["BulkDataURI"]
        .as_str()
        .expect("BulkDataURI")
        .to_string();
    assert!(uri.starts_with(&s.url), "{uri}");
    let r = reqwest::get(&uri).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    let parts = parse_related(&ct, &r.bytes().await.unwrap()).unwrap();
    // Uncompressed pixel data is one part: the three frames back to back.
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].body.len(), 3 * 8);
    assert_eq!(&parts[0].body[8..10], &[100, 0]);
}

#[tokio::test]
async fn unknown_dicomweb_paths_are_404_json() {
    let s = two_studies().await;
    let (status, ct, err) = get_json(&format!("{}/dicom-web/workitems", s.url)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(ct, "application/json");
    assert!(err["error"].as_str().is_some());
}

#[tokio::test]
async fn series_and_instances_can_be_retrieved_by_their_own_uid() {
    let s = two_studies().await;
    let file = std::fs::read(s.dir.path().join("b/1.dcm")).unwrap();
    let accept = "multipart/related; type=\"application/dicom\"; transfer-syntax=*";
    for path in ["series/1.2.826.0.1.2.1", "instances/1.2.826.0.1.2.1.1"] {
        let r = reqwest::Client::new()
            .get(format!("{}/dicom-web/{path}", s.url))
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let ct = r.headers()["content-type"].to_str().unwrap().to_string();
        let parts = parse_related(&ct, &r.bytes().await.unwrap()).unwrap();
        assert_eq!(parts.len(), 1, "{path}");
        assert_eq!(parts[0].body.as_ref(), file.as_slice(), "{path}");
    }
    let r = reqwest::get(format!("{}/dicom-web/instances/9.9.9", s.url))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
