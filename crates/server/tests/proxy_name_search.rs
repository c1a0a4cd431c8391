//! Patient-name searches with several words through the proxy. Orthanc (1.10, DICOMweb plugin 1.7) compares the
//! raw query text, so the `%20` a browser sends for a space never matches there; the proxy sends Orthanc a `?`
//! wildcard in its place (which also matches the `^` between name components), and any other archive the
//! standard `%20`.
//!
//! The Orthanc test starts a throw-away Orthanc with its DICOMweb plugin on 127.0.0.1 (free port, temporary
//! storage, no authentication, no DICOM port), loads small CT instances through its REST API and searches them
//! through Lumen's proxy. It is skipped, saying so, when Orthanc or the plugin is not installed (Debian packages
//! `orthanc` and `orthanc-dicomweb`); `ORTHANC_BIN` overrides the executable. The Orthanc it starts is killed on
//! drop, even when an assertion fails.

mod common;

use axum::extract::Request;
use axum::middleware::Next;
use reqwest::StatusCode;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PLUGIN_CANDIDATES: &[&str] = &[
    "/usr/share/orthanc/plugins/libOrthancDicomWeb.so",
    "/usr/lib/orthanc/libOrthancDicomWeb.so.1.7",
    "/usr/lib/orthanc/libOrthancDicomWeb.so",
];

/// A running Orthanc, killed on drop; its storage lives in `dir`.
struct Orthanc {
    child: Child,
    dir: tempfile::TempDir,
    /// `http://127.0.0.1:PORT`
    root: String,
}

impl Drop for Orthanc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind an ephemeral port on 127.0.0.1")
        .local_addr()
        .expect("local address")
        .port()
}

/// `ORTHANC_BIN`, else `/usr/sbin/Orthanc`, else `Orthanc` on `PATH`.
fn orthanc_binary() -> Option<PathBuf> {
    if let Ok(bin) = std::env::var("ORTHANC_BIN") {
        return Some(PathBuf::from(bin)).filter(|p| p.exists());
    }
    let default = PathBuf::from("/usr/sbin/Orthanc");
    if default.exists() {
        return Some(default);
    }
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join("Orthanc"))
        .find(|p| p.exists())
}

fn dicomweb_plugin() -> Option<PathBuf> {
    if let Some(p) = PLUGIN_CANDIDATES
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
    {
        return Some(p);
    }
    let out = Command::new("dpkg")
        .args(["-L", "orthanc-dicomweb"])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find(|l| l.contains("libOrthancDicomWeb.so"))
        .map(PathBuf::from)
}

/// Starts Orthanc with the DICOMweb plugin, or returns `None` after printing why the test is skipped.
async fn start_orthanc(test: &str) -> Option<Orthanc> {
    let (Some(bin), Some(plugin)) = (orthanc_binary(), dicomweb_plugin()) else {
        eprintln!(
            "SKIPPED {test}: Orthanc with its DICOMweb plugin is not installed (looked for $ORTHANC_BIN, \
             /usr/sbin/Orthanc, Orthanc on PATH, libOrthancDicomWeb.so); install the Debian packages `orthanc` \
             and `orthanc-dicomweb` to run it"
        );
        return None;
    };
    let dir = tempfile::tempdir().expect("temporary folder for Orthanc");
    let storage = dir.path().join("storage");
    std::fs::create_dir_all(&storage).expect("create Orthanc storage folder");
    let http_port = free_port();
    let config = serde_json::json!({
        "Name": "LUMEN-PROXY-TEST",
        "StorageDirectory": storage,
        "IndexDirectory": storage,
        "HttpServerEnabled": true,
        "HttpPort": http_port,
        "RemoteAccessAllowed": false,
        "AuthenticationEnabled": false,
        "DicomServerEnabled": false,
        "DicomPort": free_port(),
        "Plugins": [plugin],
        "DicomWeb": { "Enable": true, "Root": "/dicom-web/", "EnableWado": false }
    });
    let config_path = dir.path().join("orthanc.json");
    std::fs::write(
        &config_path,
        serde_json::to_vec_pretty(&config).expect("JSON"),
    )
    .expect("write Orthanc config");
    let log = std::fs::File::create(dir.path().join("orthanc.log")).expect("Orthanc log file");
    let child = Command::new(&bin)
        .arg(&config_path)
        .stdout(Stdio::from(log.try_clone().expect("log handle")))
        .stderr(Stdio::from(log))
        .spawn()
        .expect("spawn Orthanc");
    let mut orthanc = Orthanc {
        child,
        dir,
        root: format!("http://127.0.0.1:{http_port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let up = reqwest::get(format!("{}/dicom-web/studies", orthanc.root)).await;
        if up.is_ok_and(|r| r.status().is_success()) {
            return Some(orthanc);
        }
        let exited = orthanc.child.try_wait().ok().flatten();
        if exited.is_some() || Instant::now() > deadline {
            let log =
                std::fs::read_to_string(orthanc.dir.path().join("orthanc.log")).unwrap_or_default();
            panic!("Orthanc did not start ({exited:?}); its log:\n{log}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

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
    let Some(orthanc) =
        start_orthanc("orthanc_finds_names_typed_with_spaces_through_the_proxy").await
    else {
        return;
    };
    let client = reqwest::Client::new();
    for file in studies(NAMES) {
        let r = client
            .post(format!("{}/instances", orthanc.root))
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
    let lumen = proxy_to(&format!("{}/dicom-web", orthanc.root)).await;
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
