//! Proxy mode over real HTTP: a Lumen in front of another in-process Lumen (the "PACS"). Searches, retrieves and
//! uploads pass through unchanged; the upstream receives the browser's `Authorization` header, or the configured
//! bearer token when the browser sends none; an unreachable upstream is a 502 with a clear message.

mod common;

use axum::extract::Request;
use axum::middleware::Next;
use reqwest::StatusCode;
use std::sync::{Arc, Mutex};

/// Starts an upstream Lumen over `files` that records the `Authorization` header of every request it receives.
async fn recording_upstream(
    files: &[(&str, Vec<u8>)],
) -> (common::Running, String, Arc<Mutex<Vec<Option<String>>>>) {
    let upstream = common::start_store(files).await;
    let seen: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
    let record = seen.clone();
    let app = lumen_server::router(lumen_server::AppState::from_store(upstream.store.clone()))
        .layer(axum::middleware::from_fn(
            move |req: Request, next: Next| {
                let record = record.clone();
                async move {
                    let auth = req
                        .headers()
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    record.lock().unwrap().push(auth);
                    next.run(req).await
                }
            },
        ));
    let url = common::start(app).await;
    (upstream, url, seen)
}

async fn proxy_to(upstream_url: &str, token: Option<&str>) -> String {
    let state = lumen_server::AppState::proxy(
        &format!("{upstream_url}/dicom-web"),
        token.map(str::to_string),
    )
    .unwrap();
    common::start(lumen_server::router(state)).await
}

#[tokio::test]
async fn searches_pass_through_with_the_configured_token() {
    let file = common::instance(
        "1.2.826.0.5",
        "1.2.826.0.5.1",
        "1.2.826.0.5.1.1",
        "Proxy^Pat",
        "20220202",
        1,
    );
    let (_up, up_url, seen) = recording_upstream(&[("x.dcm", file)]).await;
    let lumen = proxy_to(&up_url, Some("secret-token")).await;
    let r = reqwest::get(format!("{lumen}/dicom-web/studies?PatientName=proxy*"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/dicom+json");
    // Lumen's own policy replaces the upstream's.
    assert!(r.headers().get("content-security-policy").is_some());
    let json: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(common::values(&json, "0020000D"), ["1.2.826.0.5"]);
    // The upstream's Retrieve URL is rewritten to Lumen's origin.
    assert_eq!(
        common::values(&json, "00081190"),
        [format!("{lumen}/dicom-web/studies/1.2.826.0.5")]
    );
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        [Some("Bearer secret-token".to_string())]
    );
}

#[tokio::test]
async fn the_browsers_own_authorization_wins_over_the_configured_token() {
    let (_up, up_url, seen) = recording_upstream(&[]).await;
    let lumen = proxy_to(&up_url, Some("server-token")).await;
    let r = reqwest::Client::new()
        .get(format!("{lumen}/dicom-web/studies"))
        .header("authorization", "Bearer user-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        [Some("Bearer user-token".to_string())]
    );
}

#[tokio::test]
async fn uploads_and_retrieves_stream_through_the_proxy() {
    let (up, up_url, _seen) = recording_upstream(&[]).await;
    let lumen = proxy_to(&up_url, None).await;
    let bytes = common::instance(
        "1.2.826.0.6",
        "1.2.826.0.6.1",
        "1.2.826.0.6.1.1",
        "Up^Load",
        "20220202",
        2,
    );
    let (ct, body) = common::stow_body(std::slice::from_ref(&bytes));
    let r = reqwest::Client::new()
        .post(format!("{lumen}/dicom-web/studies"))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(up.store.instance_count(), 1);
    let r = reqwest::Client::new()
        .get(format!(
            "{lumen}/dicom-web/studies/1.2.826.0.6/series/1.2.826.0.6.1/instances/1.2.826.0.6.1.1"
        ))
        .header(
            "accept",
            "multipart/related; type=\"application/dicom\"; transfer-syntax=*",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    let parts = lumen_dicomweb::multipart::parse_related(&ct, &r.bytes().await.unwrap()).unwrap();
    assert_eq!(parts[0].body.as_ref(), bytes.as_slice());
    // Upstream errors keep their status.
    let r = reqwest::get(format!("{lumen}/dicom-web/studies/9.9/metadata"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_unreachable_pacs_is_a_bad_gateway() {
    // Bind and drop a listener to get a port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let lumen = proxy_to(&format!("http://127.0.0.1:{port}"), None).await;
    let r = reqwest::get(format!("{lumen}/dicom-web/studies"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    let json: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert!(
        json["error"]
            .as_str()
            .unwrap_or_default()
            .contains("cannot reach the PACS"),
        "{json}"
    );
}
