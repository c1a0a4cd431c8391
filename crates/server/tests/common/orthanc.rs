//! A throw-away Orthanc with its DICOMweb plugin for the server's tests (127.0.0.1, free port, temporary storage, no
//! authentication, no DICOM port): started by [`start_orthanc`], killed on drop. Orthanc missing from the machine
//! fails the test with instructions, unless `LUMEN_SKIP_REFERENCE_TOOLS=1`; `ORTHANC_BIN` overrides the executable.
#![allow(dead_code)]

use lumen_dicomweb::transport::ReqwestTransport;
use lumen_dicomweb::{Client, QidoQuery};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian installs Orthanc; `ORTHANC_BIN` overrides it.
const ORTHANC_DEFAULT_BIN: &str = "/usr/sbin/Orthanc";
const PLUGIN_CANDIDATES: &[&str] = &[
    "/usr/share/orthanc/plugins/libOrthancDicomWeb.so",
    "/usr/lib/orthanc/libOrthancDicomWeb.so.1.7",
    "/usr/lib/orthanc/libOrthancDicomWeb.so",
];

// ------------------------------------------------------------------------------------------------ Orthanc helper

/// A running Orthanc; killed and its storage deleted on drop.
pub struct Orthanc {
    pub child: Child,
    pub dir: tempfile::TempDir,
    /// `http://127.0.0.1:PORT/dicom-web`
    pub dicomweb: String,
}

impl Drop for Orthanc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port on 127.0.0.1");
    listener.local_addr().expect("local address").port()
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

/// Starts Orthanc, or returns `None` (after printing why) when it is absent and skipping is allowed.
pub async fn start_orthanc() -> Option<Orthanc> {
    let orthanc_bin =
        std::env::var("ORTHANC_BIN").unwrap_or_else(|_| ORTHANC_DEFAULT_BIN.to_string());
    let plugin = dicomweb_plugin();
    if !Path::new(&orthanc_bin).exists() || plugin.is_none() {
        let why = format!(
            "Orthanc with its DICOMweb plugin is not installed ({orthanc_bin}, libOrthancDicomWeb.so); \
             install the Debian packages `orthanc` and `orthanc-dicomweb`"
        );
        if std::env::var("LUMEN_SKIP_REFERENCE_TOOLS").as_deref() == Ok("1") {
            eprintln!("SKIPPED conformance_orthanc: {why} (LUMEN_SKIP_REFERENCE_TOOLS=1)");
            return None;
        }
        panic!("{why}, or set LUMEN_SKIP_REFERENCE_TOOLS=1 to skip this test");
    }
    let plugin = plugin.expect("checked above");
    let dir = tempfile::tempdir().expect("temporary folder for Orthanc");
    let storage = dir.path().join("storage");
    std::fs::create_dir_all(&storage).expect("create Orthanc storage folder");
    let http_port = free_port();
    let config = serde_json::json!({
        "Name": "LUMEN-CONFORMANCE",
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
    let child = Command::new(&orthanc_bin)
        .arg(&config_path)
        .stdout(Stdio::from(log.try_clone().expect("log handle")))
        .stderr(Stdio::from(log))
        .spawn()
        .expect("spawn Orthanc");
    let mut orthanc = Orthanc {
        child,
        dir,
        dicomweb: format!("http://127.0.0.1:{http_port}/dicom-web"),
    };
    let client = Client::new(ReqwestTransport::new(), orthanc.dicomweb.clone());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if client.search_studies(&QidoQuery::new()).await.is_ok() {
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
