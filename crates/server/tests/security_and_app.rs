//! Security headers and the web app, over real HTTP: every response — the app page, an SPA route, an API answer,
//! an error — carries the Content-Security-Policy, `X-Content-Type-Options` and `Referrer-Policy`; `/api/config`
//! points the app at Lumen's own `/dicom-web`.

mod common;

use reqwest::StatusCode;

fn assert_security_headers(r: &reqwest::Response) {
    let h = r.headers();
    let csp = h
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        csp.starts_with(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'"
        ),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'self'"), "{csp}");
    assert!(
        csp.contains("object-src 'none'") && csp.contains("base-uri 'none'"),
        "{csp}"
    );
    assert_eq!(
        h.get("x-content-type-options")
            .and_then(|v| v.to_str().ok()),
        Some("nosniff")
    );
    assert_eq!(
        h.get("referrer-policy").and_then(|v| v.to_str().ok()),
        Some("no-referrer")
    );
}

#[tokio::test]
async fn every_kind_of_response_carries_the_security_headers() {
    let s = common::start_store(&[]).await;
    for (path, status) in [
        ("/", StatusCode::OK),
        ("/studies/1.2.3", StatusCode::OK),
        ("/dicom-web/studies", StatusCode::OK),
        ("/dicom-web/studies/1.2.3/metadata", StatusCode::NOT_FOUND),
        ("/api/config", StatusCode::OK),
        ("/missing.js", StatusCode::NOT_FOUND),
    ] {
        let r = reqwest::get(format!("{}{path}", s.url)).await.unwrap();
        assert_eq!(r.status(), status, "{path}");
        assert_security_headers(&r);
    }
}

#[tokio::test]
async fn app_routes_without_an_extension_serve_index_html() {
    let s = common::start_store(&[]).await;
    let root = reqwest::get(format!("{}/", s.url)).await.unwrap();
    assert_eq!(root.headers()["content-type"], "text/html; charset=utf-8");
    let root = root.text().await.unwrap();
    let deep = reqwest::get(format!("{}/studies/1.2.3/series", s.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(deep, root);
}

#[tokio::test]
async fn api_config_names_the_same_origin_dicomweb_root() {
    let s = common::start_store(&[]).await;
    let body = reqwest::get(format!("{}/api/config", s.url))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["sources"][0]["dicomweb"], "/dicom-web");
    assert_eq!(
        json["embedders"],
        serde_json::json!([]),
        "framed by its own origin only"
    );
}

#[tokio::test]
async fn configured_origins_appear_in_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let config = lumen_server::Config {
        source: lumen_server::Source::Folder(dir.path().to_path_buf()),
        frame_ancestors: vec!["https://ris.example.org".into()],
        connect_origins: vec!["https://pacs.example.org".into()],
        ..lumen_server::Config::default()
    };
    let state = lumen_server::AppState::open(&config).unwrap();
    let url = common::start(lumen_server::router(state)).await;
    let r = reqwest::get(format!("{url}/")).await.unwrap();
    let csp = r.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("connect-src 'self' https://pacs.example.org;"),
        "{csp}"
    );
    assert!(
        csp.contains("frame-ancestors https://ris.example.org;"),
        "{csp}"
    );
    // The web app accepts a posted token from the pages allowed to frame it, and learns them here.
    let body = reqwest::get(format!("{url}/api/config"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let config: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        config["embedders"],
        serde_json::json!(["https://ris.example.org"])
    );
}

#[tokio::test]
async fn json_is_gzipped_for_clients_that_ask_and_dicom_is_not() {
    let study = "1.2.826.0.3";
    let s = common::start_store(&[(
        "x.dcm",
        common::instance(
            study,
            "1.2.826.0.3.1",
            "1.2.826.0.3.1.1",
            "Gzip^Test",
            "20200101",
            1,
        ),
    )])
    .await;
    let client = reqwest::Client::new();
    let plain = client
        .get(format!("{}/dicom-web/studies/{study}/metadata", s.url))
        .send()
        .await
        .unwrap();
    assert!(
        plain.bytes().await.unwrap().len() > 256,
        "metadata must exceed the compression threshold"
    );
    let r = client
        .get(format!("{}/dicom-web/studies/{study}/metadata", s.url))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok()),
        Some("gzip")
    );
    let r = client
        .get(format!("{}/dicom-web/studies/{study}", s.url))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    assert!(r.headers().get("content-encoding").is_none());
}
