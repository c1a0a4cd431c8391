//! The AI server fallback over real HTTP (`/api/ai/jobs`), against a folder store holding the small demo and the
//! repository's model packages (`models/`): the server fetches the pixels itself, runs the model natively, stores
//! an SR or a SEG in the study, and what it stored equals a direct native run on the same files. Errors are 4xx
//! with a message; a cancelled job stores nothing. A second Lumen proxying the first (`--pacs` mode) runs a job
//! through the PACS's DICOMweb API.

mod common;
#[path = "common/orthanc.rs"]
mod orthanc;

use lumen_infer::{Device, LoadedModel, ModelManifest};
use lumen_phantom::{DemoManifest, SeriesEntry, StudyEntry};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models")
}

fn load_model(id: &str) -> LoadedModel {
    let dir = models_dir().join(id);
    let manifest =
        ModelManifest::from_json(&std::fs::read_to_string(dir.join("manifest.json")).unwrap())
            .unwrap();
    let weights = std::fs::read(dir.join(&manifest.weights.file)).unwrap();
    LoadedModel::load(manifest, weights, &Device::flex()).unwrap()
}

/// A server over a fresh small demo, with the repository's model packages.
struct Demo {
    url: String,
    manifest: DemoManifest,
    _dir: tempfile::TempDir,
}

async fn start_demo() -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let manifest =
        lumen_phantom::write_demo(dir.path(), &lumen_phantom::DemoOptions::small()).unwrap();
    let store = std::sync::Arc::new(lumen_store::Store::open(dir.path()).unwrap());
    let state = lumen_server::AppState::from_store(store).with_models_dir(Some(models_dir()));
    let url = common::start(lumen_server::router(state)).await;
    Demo {
        url,
        manifest,
        _dir: dir,
    }
}

impl Demo {
    /// The study holding a series of `modality`, and its series of that modality with the most instances.
    fn largest(&self, modality: &str) -> (&StudyEntry, &SeriesEntry) {
        self.manifest
            .all_series()
            .filter(|(_, se)| se.modality == modality)
            .max_by_key(|(_, se)| se.instances.len())
            .unwrap_or_else(|| panic!("the demo has a {modality} series"))
    }

    fn file(&self, path: &Path) -> Vec<u8> {
        std::fs::read(self.manifest.root.join(path)).unwrap()
    }
}

async fn post_job(url: &str, body: Value) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(format!("{url}/api/ai/jobs"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, json_of(r).await)
}

async fn job(url: &str, id: &str) -> Value {
    let r = reqwest::get(format!("{url}/api/ai/jobs/{id}"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    json_of(r).await
}

/// A response's JSON body (`null` when it is not JSON).
async fn json_of(r: reqwest::Response) -> Value {
    serde_json::from_slice(&r.bytes().await.unwrap()).unwrap_or(Value::Null)
}

/// Polls a job until it leaves queued/running; fails the test after `limit`.
async fn wait(url: &str, id: &str, limit: Duration) -> Value {
    let start = Instant::now();
    loop {
        let j = job(url, id).await;
        if !matches!(j["state"].as_str(), Some("queued" | "running")) {
            return j;
        }
        assert!(start.elapsed() < limit, "job still {j} after {limit:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// QIDO-RS: the series of `study` with modality `modality`.
async fn series_of(url: &str, study: &str, modality: &str) -> Vec<String> {
    let r = reqwest::get(format!(
        "{url}/dicom-web/studies/{study}/series?Modality={modality}"
    ))
    .await
    .unwrap();
    if r.status() == StatusCode::NO_CONTENT {
        return Vec::new();
    }
    let json = json_of(r).await;
    common::values(&json, "0020000E")
}

/// WADO-RS: one stored instance as Part 10 bytes.
async fn retrieve(url: &str, study: &str, series: &str, sop: &str) -> Vec<u8> {
    let r = reqwest::Client::new()
        .get(format!(
            "{url}/dicom-web/studies/{study}/series/{series}/instances/{sop}"
        ))
        .header("accept", "multipart/related; type=\"application/dicom\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let content_type = r.headers()["content-type"].to_str().unwrap().to_string();
    let body = r.bytes().await.unwrap();
    let parts = lumen_dicomweb::multipart::parse_related(&content_type, &body).unwrap();
    parts[0].body.to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segmentation_job_stores_a_seg_equal_to_the_native_run() {
    let demo = start_demo().await;
    let (study, series) = demo.largest("CT");
    let t0 = Instant::now();
    // No series named: the server picks the CT series with the most instances (the main series).
    let (status, body) = post_job(
        &demo.url,
        json!({ "model": "ct-chest-seg", "study": study.study_instance_uid }),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let id = body["job"].as_str().unwrap().to_string();
    let done = wait(&demo.url, &id, Duration::from_secs(600)).await;
    eprintln!(
        "segmentation job over {} slices: {:.1} s",
        series.instances.len(),
        t0.elapsed().as_secs_f64()
    );
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["series"], series.series_instance_uid.as_str());
    assert_eq!(done["done"], series.instances.len());
    assert_eq!(done["total"], series.instances.len());
    let result = &done["result"];
    assert_eq!(result["sop_class_uid"], lumen_results::SEGMENTATION_STORAGE);
    let seg_series = result["series_instance_uid"].as_str().unwrap();
    let seg_sop = result["sop_instance_uid"].as_str().unwrap();
    assert_eq!(
        series_of(&demo.url, &study.study_instance_uid, "SEG").await,
        [seg_series]
    );
    let bytes = retrieve(&demo.url, &study.study_instance_uid, seg_series, seg_sop).await;
    let seg = lumen_results::read_segmentation(&bytes).unwrap();
    assert!(seg.written_by_lumen);
    assert_eq!(seg.slices.len(), series.instances.len());

    let model = load_model("ct-chest-seg");
    let mut labelled = 0;
    for instance in &series.instances {
        let frame = lumen_frames::decode_for_display(&demo.file(&instance.path), 1).unwrap();
        let image = model.manifest.frame_input(&frame).unwrap();
        let native = model.segment_blocking(&image).unwrap();
        let stored = seg
            .label_map(&instance.sop_instance_uid)
            .unwrap_or_else(|| panic!("no label map for {}", instance.sop_instance_uid));
        assert_eq!(
            (stored.columns as usize, stored.rows as usize),
            (native.width, native.height)
        );
        assert!(
            stored.labels == native.labels,
            "slice {}: the stored labels differ from the native run in {} pixels",
            instance.instance_number,
            stored
                .labels
                .iter()
                .zip(&native.labels)
                .filter(|(a, b)| a != b)
                .count()
        );
        labelled += native.labels.iter().filter(|&&l| l != 0).count();
    }
    assert!(
        labelled > 0,
        "the model found nothing: the comparison would be vacuous"
    );
}

/// A 3D model (`runs_on: server`): the server stacks the series into one volume along the slice normal, labels it
/// at once and stores one SEG; its label maps equal a native run of the same model over the same files.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_3d_model_labels_the_series_as_one_volume() {
    let demo = start_demo().await;
    let (study, series) = demo.largest("CT");
    let t0 = Instant::now();
    let (status, body) = post_job(
        &demo.url,
        json!({ "model": "ct-chest-seg3d", "study": study.study_instance_uid }),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let id = body["job"].as_str().unwrap().to_string();
    let done = wait(&demo.url, &id, Duration::from_secs(900)).await;
    eprintln!(
        "3D segmentation job over {} slices: {:.1} s",
        series.instances.len(),
        t0.elapsed().as_secs_f64()
    );
    assert_eq!(done["state"], "done", "{done}");
    let n = series.instances.len();
    let total = done["total"].as_u64().unwrap() as usize;
    assert!(total > n, "progress counts the instances, then the blocks: {done}");
    assert_eq!(done["done"], total);
    let result = &done["result"];
    assert_eq!(result["sop_class_uid"], lumen_results::SEGMENTATION_STORAGE);
    let (seg_series, seg_sop) = (
        result["series_instance_uid"].as_str().unwrap(),
        result["sop_instance_uid"].as_str().unwrap(),
    );
    let bytes = retrieve(&demo.url, &study.study_instance_uid, seg_series, seg_sop).await;
    let seg = lumen_results::read_segmentation(&bytes).unwrap();
    assert_eq!(seg.slices.len(), n);

    // The native run: the same files, stacked by position along the normal (the demo's instances run head to
    // feet, i.e. downwards in z, so the volume is their reverse).
    let model = load_model("ct-chest-seg3d");
    let geom = lumen_phantom::DemoOptions::small().ct;
    assert_eq!(n, geom.slices as usize, "the main series holds every slice");
    let mut instances: Vec<&lumen_phantom::InstanceEntry> = series.instances.iter().collect();
    instances.sort_by_key(|i| std::cmp::Reverse(i.instance_number));
    let images: Vec<lumen_infer::GreyImage> = instances
        .iter()
        .map(|instance| {
            let frame = lumen_frames::decode_for_display(&demo.file(&instance.path), 1).unwrap();
            model.manifest.frame_input(&frame).unwrap()
        })
        .collect();
    let (ps, dz) = (geom.pixel_spacing as f32, geom.slice_spacing as f32);
    let volume = lumen_infer::GreyVolume::from_slices(&images, [ps, ps, dz]).unwrap();
    let native = model.segment_volume_blocking(&volume, &mut |_, _| true).unwrap();
    let mut counts = [0usize; 4];
    for (instance, labels) in instances.iter().zip(&native.slices) {
        let stored = seg
            .label_map(&instance.sop_instance_uid)
            .unwrap_or_else(|| panic!("no label map for {}", instance.sop_instance_uid));
        assert!(
            &stored.labels == labels,
            "slice {}: the stored labels differ from the native run in {} pixels",
            instance.instance_number,
            stored.labels.iter().zip(labels).filter(|(a, b)| a != b).count()
        );
        for &l in labels {
            counts[l as usize] += 1;
        }
    }
    assert!(counts[1] > 0 && counts[2] > 0, "body and lung are found: {counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn classification_job_stores_an_sr_with_the_native_probabilities() {
    let demo = start_demo().await;
    let (study, series) = demo.largest("DX");
    let t0 = Instant::now();
    let (status, body) = post_job(
        &demo.url,
        json!({ "model": "cxr-qc", "study": study.study_instance_uid, "series": series.series_instance_uid }),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let id = body["job"].as_str().unwrap().to_string();
    let done = wait(&demo.url, &id, Duration::from_secs(300)).await;
    eprintln!("classification job: {:.2} s", t0.elapsed().as_secs_f64());
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(
        (done["done"].as_u64(), done["total"].as_u64()),
        (Some(1), Some(1))
    );
    let result = &done["result"];
    assert_eq!(result["sop_class_uid"], lumen_results::ENHANCED_SR);
    let sr_series = result["series_instance_uid"].as_str().unwrap();
    let sr_sop = result["sop_instance_uid"].as_str().unwrap();
    assert_eq!(
        series_of(&demo.url, &study.study_instance_uid, "SR").await,
        [sr_series]
    );
    let bytes = retrieve(&demo.url, &study.study_instance_uid, sr_series, sr_sop).await;
    let report = lumen_results::read_classification_sr(&bytes)
        .unwrap()
        .expect("Lumen's report");
    assert_eq!(report.model_id, "cxr-qc");
    assert_eq!(report.backend.as_deref(), Some("native"));
    let first = series
        .instances
        .iter()
        .min_by_key(|i| i.instance_number)
        .unwrap();
    assert_eq!(report.source_sop_instance_uid, first.sop_instance_uid);

    let model = load_model("cxr-qc");
    let frame = lumen_frames::decode_for_display(&demo.file(&first.path), 1).unwrap();
    let image = model.manifest.frame_input(&frame).unwrap();
    let native = model
        .classify_blocking(std::slice::from_ref(&image))
        .unwrap()
        .remove(0);
    let answered: Vec<f64> = result["probabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_f64().unwrap())
        .collect();
    assert_eq!(report.outputs.len(), native.len());
    assert_eq!(answered.len(), native.len());
    for (i, output) in model.manifest.outputs.iter().enumerate() {
        let stored = report.probability(&output.code).unwrap();
        assert!(
            (stored - native[i]).abs() <= 1e-6,
            "{}: stored {stored}, native {}",
            output.name,
            native[i]
        );
        assert!((answered[i] - native[i] as f64).abs() <= 1e-6);
    }
    // A QC model's report carries the pixel rules' findings, as the browser's does.
    assert_eq!(
        report.qc_rule_findings.len(),
        lumen_infer::qc_rules::check(&image).len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_refused_with_a_message() {
    let demo = start_demo().await;
    let (ct_study, ct_series) = demo.largest("CT");
    let (dx_study, _) = demo.largest("DX");
    let cases = [
        (
            json!({ "model": "no-such-model", "study": ct_study.study_instance_uid }),
            StatusCode::NOT_FOUND,
            "unknown model",
        ),
        (
            json!({ "model": "../cxr-qc", "study": ct_study.study_instance_uid }),
            StatusCode::NOT_FOUND,
            "unknown model",
        ),
        (
            json!({ "model": "cxr-qc", "study": "1.2.3.4.5.6.7" }),
            StatusCode::NOT_FOUND,
            "study 1.2.3.4.5.6.7 not found",
        ),
        (
            json!({ "model": "cxr-qc", "study": ct_study.study_instance_uid, "series": "1.2.3.999" }),
            StatusCode::NOT_FOUND,
            "series 1.2.3.999 not found",
        ),
        (
            json!({ "model": "cxr-qc", "study": ct_study.study_instance_uid, "series": ct_series.series_instance_uid }),
            StatusCode::BAD_REQUEST,
            "series",
        ),
        // The CT study holds no radiograph; the DX study no CT.
        (
            json!({ "model": "cxr-qc", "study": ct_study.study_instance_uid }),
            StatusCode::NOT_FOUND,
            "no DX/CR series",
        ),
        (
            json!({ "model": "ct-chest-seg", "study": dx_study.study_instance_uid }),
            StatusCode::NOT_FOUND,
            "no CT series",
        ),
        (
            json!({ "study": ct_study.study_instance_uid }),
            StatusCode::BAD_REQUEST,
            "\"model\" is missing",
        ),
        (
            json!({ "model": "cxr-qc", "study": "1.2/../x" }),
            StatusCode::BAD_REQUEST,
            "not a DICOM UID",
        ),
    ];
    for (body, status, message) in cases {
        let (got, answer) = post_job(&demo.url, body.clone()).await;
        assert_eq!(got, status, "{body} → {answer}");
        let text = answer["error"].as_str().unwrap_or_default();
        assert!(
            text.contains(message),
            "{body} → {text:?} lacks {message:?}"
        );
    }
    let r = reqwest::Client::new()
        .post(format!("{}/api/ai/jobs", demo.url))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = reqwest::get(format!("{}/api/ai/jobs/0123", demo.url))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Nothing was queued by any of them.
    let all = json_of(
        reqwest::get(format!("{}/api/ai/jobs", demo.url))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(all, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_jobs_store_nothing() {
    let demo = start_demo().await;
    let (ct_study, _) = demo.largest("CT");
    let (dx_study, _) = demo.largest("DX");
    let (_, first) = post_job(
        &demo.url,
        json!({ "model": "ct-chest-seg", "study": ct_study.study_instance_uid }),
    )
    .await;
    let (_, second) = post_job(
        &demo.url,
        json!({ "model": "cxr-qc", "study": dx_study.study_instance_uid }),
    )
    .await;
    let (first, second) = (
        first["job"].as_str().unwrap(),
        second["job"].as_str().unwrap(),
    );
    // Wait until the segmentation is under way (at least one slice done)…
    let start = Instant::now();
    loop {
        let j = job(&demo.url, first).await;
        if j["state"] == "running" && j["done"].as_u64().unwrap_or(0) >= 1 {
            break;
        }
        assert!(j["state"] == "queued" || j["state"] == "running", "{j}");
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the segmentation never started: {j}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // …one job runs at a time: the second waits behind it.
    assert_eq!(job(&demo.url, second).await["state"], "queued");
    let client = reqwest::Client::new();
    let r = client
        .delete(format!("{}/api/ai/jobs/{second}", demo.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let answer = json_of(r).await;
    assert_eq!(answer["state"], "cancelled", "{answer}");
    // The running segmentation stops between two slices.
    let r = client
        .delete(format!("{}/api/ai/jobs/{first}", demo.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let end = wait(&demo.url, first, Duration::from_secs(300)).await;
    assert_eq!(end["state"], "cancelled", "{end}");
    assert!(
        end["done"].as_u64().unwrap() < end["total"].as_u64().unwrap(),
        "{end}"
    );
    assert!(end.get("result").is_none());
    let second_end = job(&demo.url, second).await;
    assert_eq!(second_end["state"], "cancelled");
    assert_eq!(second_end["done"], 0);
    assert!(series_of(&demo.url, &ct_study.study_instance_uid, "SEG")
        .await
        .is_empty());
    assert!(series_of(&demo.url, &dx_study.study_instance_uid, "SR")
        .await
        .is_empty());
    let r = client
        .delete(format!("{}/api/ai/jobs/nope", demo.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_slice_fails_the_job_by_name_and_stores_nothing() {
    let demo = start_demo().await;
    let (study, series) = demo.largest("CT");
    // Indexed intact, then cut short on disk: its pixel data ends half-way.
    let broken = &series.instances[series.instances.len() / 2];
    let path = demo.manifest.root.join(&broken.path);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let (status, body) = post_job(
        &demo.url,
        json!({ "model": "ct-chest-seg", "study": study.study_instance_uid }),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let end = wait(
        &demo.url,
        body["job"].as_str().unwrap(),
        Duration::from_secs(300),
    )
    .await;
    assert_eq!(end["state"], "failed", "{end}");
    let message = end["message"].as_str().unwrap();
    eprintln!("failed as expected: {message}");
    assert!(message.contains(&broken.sop_instance_uid), "{message}");
    assert!(end.get("result").is_none());
    assert!(series_of(&demo.url, &study.study_instance_uid, "SEG")
        .await
        .is_empty());
    // A finished job cannot be cancelled.
    let r = reqwest::Client::new()
        .delete(format!(
            "{}/api/ai/jobs/{}",
            demo.url,
            body["job"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_mode_fetches_from_and_stores_to_the_pacs() {
    // The "PACS" is a Lumen over the demo; the server under test proxies it and must do the job through its
    // DICOMweb API (QIDO, metadata, WADO, STOW), not a local store.
    let pacs = start_demo().await;
    let state = lumen_server::AppState::proxy(&format!("{}/dicom-web", pacs.url), None)
        .unwrap()
        .with_models_dir(Some(models_dir()));
    let lumen = common::start(lumen_server::router(state)).await;
    let (study, _) = pacs.largest("DX");
    let (status, body) = post_job(
        &lumen,
        json!({ "model": "cxr-qc", "study": study.study_instance_uid }),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let done = wait(
        &lumen,
        body["job"].as_str().unwrap(),
        Duration::from_secs(300),
    )
    .await;
    assert_eq!(done["state"], "done", "{done}");
    let sr_series = done["result"]["series_instance_uid"].as_str().unwrap();
    assert_eq!(
        series_of(&pacs.url, &study.study_instance_uid, "SR").await,
        [sr_series]
    );
    let (status, body) = post_job(
        &lumen,
        json!({ "model": "cxr-qc", "study": "1.2.3.4.5.6.7" }),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

#[tokio::test]
async fn without_model_packages_the_endpoint_says_so() {
    // A server whose models folder does not exist still starts; jobs of an unknown model are 404. Without any
    // source of packages (no folder, web app not embedded) the answer is 503.
    let running = common::start_store(&[]).await;
    let (status, body) =
        post_job(&running.url, json!({ "model": "cxr-qc", "study": "1.2.3" })).await;
    let embedded = status != StatusCode::SERVICE_UNAVAILABLE;
    if !embedded {
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("built without the web app"),
            "{body}"
        );
    } else {
        // The web app with its models is embedded in this build: the model is known, the study is not.
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orthanc_behind_the_proxy_gets_the_report() {
    let Some(orthanc) = orthanc::start_orthanc().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let demo = lumen_phantom::write_demo(dir.path(), &lumen_phantom::DemoOptions::small()).unwrap();
    let (study, series) = demo
        .all_series()
        .find(|(_, se)| se.modality == "DX")
        .expect("the demo has a radiograph");
    let files: Vec<Vec<u8>> = series
        .instances
        .iter()
        .map(|i| std::fs::read(demo.root.join(&i.path)).unwrap())
        .collect();
    let pacs = lumen_dicomweb::Client::new(
        lumen_dicomweb::transport::ReqwestTransport::new(),
        orthanc.dicomweb.clone(),
    );
    assert!(pacs
        .store_instances(None, files.clone())
        .await
        .unwrap()
        .all_stored());
    let state = lumen_server::AppState::proxy(&orthanc.dicomweb, None)
        .unwrap()
        .with_models_dir(Some(models_dir()));
    let lumen = common::start(lumen_server::router(state)).await;
    let (status, body) = post_job(
        &lumen,
        json!({ "model": "cxr-qc", "study": study.study_instance_uid }),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let done = wait(
        &lumen,
        body["job"].as_str().unwrap(),
        Duration::from_secs(300),
    )
    .await;
    assert_eq!(done["state"], "done", "{done}");
    let sr_series = done["result"]["series_instance_uid"].as_str().unwrap();
    let stored = pacs
        .retrieve_series(
            &study.study_instance_uid,
            sr_series,
            &lumen_dicomweb::TransferSyntaxRequest::Default,
        )
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    let report = lumen_results::read_classification_sr(&stored[0])
        .unwrap()
        .expect("Lumen's report");
    let model = load_model("cxr-qc");
    let frame = lumen_frames::decode_for_display(&files[0], 1).unwrap();
    let image = model.manifest.frame_input(&frame).unwrap();
    let native = model
        .classify_blocking(std::slice::from_ref(&image))
        .unwrap()
        .remove(0);
    for (i, output) in model.manifest.outputs.iter().enumerate() {
        let p = report.probability(&output.code).unwrap();
        assert!(
            (p - native[i]).abs() <= 1e-6,
            "{}: Orthanc holds {p}, native {}",
            output.name,
            native[i]
        );
    }
}

#[tokio::test]
async fn a_job_is_seen_and_cancelled_only_with_the_authorization_that_submitted_it() {
    let demo = start_demo().await;
    let (study, series) = demo.largest("DX");
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{}/api/ai/jobs", demo.url))
        .header("content-type", "application/json")
        .header("authorization", "Bearer alice")
        .body(json!({ "model": "cxr-qc", "study": study.study_instance_uid, "series": series.series_instance_uid }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let id = json_of(r).await["job"].as_str().unwrap().to_string();
    let get = |auth: Option<&'static str>| {
        let mut req = client.get(format!("{}/api/ai/jobs/{id}", demo.url));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        req.send()
    };
    // Another user, or nobody, does not see it, cannot cancel it, and does not find it in the list.
    assert_eq!(get(None).await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(get(Some("Bearer bob")).await.unwrap().status(), StatusCode::NOT_FOUND);
    let cancel = client
        .delete(format!("{}/api/ai/jobs/{id}", demo.url))
        .header("authorization", "Bearer bob")
        .send()
        .await
        .unwrap();
    assert_eq!(cancel.status(), StatusCode::NOT_FOUND);
    let list = json_of(client.get(format!("{}/api/ai/jobs", demo.url)).header("authorization", "Bearer bob").send().await.unwrap()).await;
    assert_eq!(list, json!([]));
    // The submitter does, and the job runs to the end.
    let start = Instant::now();
    loop {
        let j = json_of(get(Some("Bearer alice")).await.unwrap()).await;
        if j["state"] == "done" {
            break;
        }
        assert!(matches!(j["state"].as_str(), Some("queued" | "running")), "{j}");
        assert!(start.elapsed() < Duration::from_secs(300), "still {j}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mine = json_of(client.get(format!("{}/api/ai/jobs", demo.url)).header("authorization", "Bearer alice").send().await.unwrap()).await;
    assert_eq!(mine.as_array().map(|a| a.len()), Some(1));
}
