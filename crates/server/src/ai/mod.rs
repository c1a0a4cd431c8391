//! The AI server fallback, `/api/ai/jobs`: the browser names a model and a study (optionally a series); the server
//! fetches the pixels from its own DICOMweb source (the folder store or the PACS behind the proxy, with the
//! request's credentials), runs the model natively with the same code as the browser's AI worker (`lumen-infer`
//! on burn's Flex CPU backend, input from `ModelManifest::frame_input`), stores the result in the study (a TID
//! 1500 SR for a classifier, a DICOM SEG for a segmentation model, built by `lumen-results`) and reports progress.
//!
//! - `POST /api/ai/jobs` `{"model", "study", "series"?}` → 202 `{"job"}`; 4xx with a message when the model, the
//!   study or a series the model accepts is missing; 503 when the server has no model packages.
//! - `GET /api/ai/jobs/{id}` → the job (see [`Job::to_json`]); `GET /api/ai/jobs` → every kept job, newest first.
//! - `DELETE /api/ai/jobs/{id}` → cancels: a queued job at once, a running one between two instances. Nothing is
//!   stored for a cancelled or failed job.
//!
//! One job runs at a time (the others wait in a bounded queue); decoding and inference run on the blocking pool.
//! Finished jobs are kept (the last [`KEPT_FINISHED`]) so a client can read their result later. Every failure — an
//! unreadable instance, a refused STOW — ends the job as `failed` with a message, never a panic or a partial result.

mod models;
mod source;

use models::ModelError;
pub(crate) use models::Models;
pub(crate) use source::Pacs;

use crate::error::ApiError;
use crate::{AppState, Backend};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use lumen_infer::manifest::Task;
use lumen_infer::{LoadedModel, ModelManifest};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::mpsc;

/// Finished jobs kept for their clients.
pub(crate) const KEPT_FINISHED: usize = 100;
/// Jobs that may wait behind the running one; more are refused (503) rather than piling up.
pub(crate) const MAX_QUEUED: usize = 32;
/// Labels a QC model reports and the viewer corrects; such models' reports carry the pixel-rule findings, as the
/// browser's do.
const QC_LABELS: [&str; 5] = [
    "rotated-90",
    "rotated-180",
    "rotated-270",
    "mirrored",
    "inverted",
];

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JobState {
    Queued,
    Running,
    Done,
    Failed,
    Cancelled,
}

impl JobState {
    fn name(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }

    fn finished(self) -> bool {
        matches!(
            self,
            JobState::Done | JobState::Failed | JobState::Cancelled
        )
    }
}

/// What a finished job stored.
#[derive(Debug, Clone)]
struct JobResult {
    series_instance_uid: String,
    sop_instance_uid: String,
    sop_class_uid: String,
    probabilities: Option<Vec<f32>>,
}

/// One job as clients see it.
#[derive(Debug, Clone)]
struct Job {
    id: String,
    model: String,
    study: String,
    series: String,
    state: JobState,
    done: usize,
    total: usize,
    message: Option<String>,
    result: Option<JobResult>,
    cancel: Arc<AtomicBool>,
    /// [`owner_of`] the request that created it.
    owner: Option<String>,
}

impl Job {
    /// `{"job", "model", "study", "series", "state", "done", "total", "message"?, "result"?}`.
    fn to_json(&self) -> Value {
        let mut out = json!({
            "job": self.id,
            "model": self.model,
            "study": self.study,
            "series": self.series,
            "state": self.state.name(),
            "done": self.done,
            "total": self.total,
        });
        if let Some(message) = &self.message {
            out["message"] = json!(message);
        }
        if let Some(r) = &self.result {
            let mut result = json!({
                "series_instance_uid": r.series_instance_uid,
                "sop_instance_uid": r.sop_instance_uid,
                "sop_class_uid": r.sop_class_uid,
            });
            if let Some(p) = &r.probabilities {
                result["probabilities"] = json!(p);
            }
            out["result"] = result;
        }
        out
    }
}

/// A job handed to the worker.
struct Work {
    id: String,
    manifest: ModelManifest,
    study: String,
    series: String,
    pacs: Pacs,
    cancel: Arc<AtomicBool>,
}

/// The AI service of one server: the model packages, the jobs, and the queue to the single worker.
pub(crate) struct AiService {
    models: Arc<Models>,
    jobs: Mutex<VecDeque<Job>>,
    queue: OnceLock<mpsc::UnboundedSender<Work>>,
}

impl AiService {
    pub(crate) fn new(models_dir: Option<PathBuf>) -> AiService {
        AiService {
            models: Arc::new(Models::new(models_dir)),
            jobs: Mutex::new(VecDeque::new()),
            queue: OnceLock::new(),
        }
    }

    fn with_jobs<T>(&self, f: impl FnOnce(&mut VecDeque<Job>) -> T) -> T {
        let mut jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut jobs)
    }

    fn update(&self, id: &str, f: impl FnOnce(&mut Job)) {
        self.with_jobs(|jobs| {
            if let Some(job) = jobs.iter_mut().find(|j| j.id == id) {
                f(job);
            }
        });
    }

    fn get(&self, id: &str) -> Option<Job> {
        self.with_jobs(|jobs| jobs.iter().find(|j| j.id == id).cloned())
    }

    /// Adds a queued job, dropping the oldest finished ones beyond [`KEPT_FINISHED`]; `None` when the queue is full.
    fn add(&self, job: Job) -> Option<()> {
        self.with_jobs(|jobs| {
            let waiting = jobs.iter().filter(|j| j.state == JobState::Queued).count();
            if waiting >= MAX_QUEUED {
                return None;
            }
            jobs.push_back(job);
            let mut finished = jobs.iter().filter(|j| j.state.finished()).count();
            while finished > KEPT_FINISHED {
                if let Some(pos) = jobs.iter().position(|j| j.state.finished()) {
                    jobs.remove(pos);
                }
                finished -= 1;
            }
            Some(())
        })
    }

    /// The worker's queue, started on first use (inside the server's runtime).
    fn sender(self: &Arc<Self>) -> mpsc::UnboundedSender<Work> {
        self.queue
            .get_or_init(|| {
                let (tx, rx) = mpsc::unbounded_channel();
                tokio::spawn(worker(Arc::downgrade(self), rx));
                tx
            })
            .clone()
    }
}

/// Runs the queued jobs one after another until the service is gone.
async fn worker(service: std::sync::Weak<AiService>, mut rx: mpsc::UnboundedReceiver<Work>) {
    while let Some(work) = rx.recv().await {
        let Some(service) = service.upgrade() else {
            return;
        };
        if work.cancel.load(Ordering::SeqCst) {
            continue; // cancelled while queued: its state says so already
        }
        service.update(&work.id, |j| j.state = JobState::Running);
        let id = work.id.clone();
        let outcome = run_job(&service, work).await;
        service.update(&id, |job| match outcome {
            Ok(result) => {
                job.state = JobState::Done;
                job.result = Some(result);
                job.message = None;
            }
            Err(Stop::Cancelled) => {
                job.state = JobState::Cancelled;
                job.message = Some("cancelled; nothing was stored".into());
            }
            Err(Stop::Failed(message)) => {
                job.state = JobState::Failed;
                job.message = Some(message);
            }
        });
    }
}

/// Why a job ended without a result.
enum Stop {
    Cancelled,
    Failed(String),
}

impl From<ApiError> for Stop {
    fn from(e: ApiError) -> Self {
        Stop::Failed(e.message)
    }
}

fn failed(e: impl std::fmt::Display) -> Stop {
    Stop::Failed(e.to_string())
}

/// 128 bits from the operating system's generator.
fn random_bits() -> Result<u128, String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| format!("no random numbers from the system: {e}"))?;
    Ok(u128::from_le_bytes(bytes))
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn new_uids() -> Result<lumen_results::NewUids, Stop> {
    Ok(lumen_results::NewUids {
        series: lumen_results::uid_from_random_bits(random_bits().map_err(Stop::Failed)?),
        instance: lumen_results::uid_from_random_bits(random_bits().map_err(Stop::Failed)?),
    })
}

fn model_error(e: ModelError) -> Stop {
    match e {
        ModelError::Unavailable => Stop::Failed(UNAVAILABLE.into()),
        ModelError::Unknown(id) => Stop::Failed(format!("unknown model {id:?}")),
        ModelError::Broken(message) => Stop::Failed(message),
    }
}

/// A string attribute of a DICOM JSON object.
fn json_string(obj: &Value, tag: &str) -> Option<String> {
    obj.get(tag)?.get("Value")?.get(0).and_then(|v| match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

fn json_number(obj: &Value, tag: &str) -> Option<f64> {
    let v = obj.get(tag)?.get("Value")?.get(0)?;
    v.as_f64().or_else(|| v.as_str()?.trim().parse().ok())
}

/// The series' instances in Instance Number order (then SOP Instance UID), each with its SOP Instance UID.
fn ordered_instances(metadata: Vec<Value>) -> Result<Vec<(String, Value)>, Stop> {
    let mut list = Vec::with_capacity(metadata.len());
    for obj in metadata {
        let sop = json_string(&obj, "00080018").ok_or_else(|| {
            failed("an instance of the series has no SOP Instance UID in its metadata")
        })?;
        list.push((sop, obj));
    }
    list.sort_by(|(a, oa), (b, ob)| {
        let na = json_number(oa, "00200013").unwrap_or(f64::MAX);
        let nb = json_number(ob, "00200013").unwrap_or(f64::MAX);
        na.total_cmp(&nb).then_with(|| a.cmp(b))
    });
    Ok(list)
}

async fn run_job(service: &Arc<AiService>, work: Work) -> Result<JobResult, Stop> {
    let check = |cancel: &AtomicBool| {
        if cancel.load(Ordering::SeqCst) {
            Err(Stop::Cancelled)
        } else {
            Ok(())
        }
    };
    let metadata = work.pacs.series_metadata(&work.study, &work.series).await?;
    let instances = ordered_instances(metadata)?;
    if instances.is_empty() {
        return Err(failed(format!("series {} holds no instance", work.series)));
    }
    let total = match work.manifest.task {
        Task::Classification => 1,
        // A 3D model's total (instances plus blocks) is known once the series' geometry is.
        Task::Segmentation => instances.len(),
    };
    service.update(&work.id, |j| j.total = total);
    check(&work.cancel)?;
    let models = service.models.clone();
    let id = work.manifest.id.clone();
    let model = tokio::task::spawn_blocking(move || models.load(&id))
        .await
        .map_err(failed)?
        .map_err(model_error)?;
    check(&work.cancel)?;
    match work.manifest.task {
        Task::Classification => classify(service, &work, model, &instances[0]).await,
        Task::Segmentation if model.manifest.is_volumetric() => {
            segment_volume(service, &work, model, &instances).await
        }
        Task::Segmentation => segment(service, &work, model, &instances).await,
    }
}

/// Decodes frame 1 of an instance into the model's input (blocking).
fn model_input(
    model: &LoadedModel,
    sop: &str,
    bytes: &[u8],
) -> Result<lumen_infer::GreyImage, Stop> {
    let frame = lumen_frames::decode_for_display(bytes, 1)
        .map_err(|e| failed(format!("instance {sop} cannot be decoded: {e}")))?;
    model
        .manifest
        .frame_input(&frame)
        .ok_or_else(|| failed(format!("instance {sop} has an empty frame")))
}

async fn classify(
    service: &Arc<AiService>,
    work: &Work,
    model: Arc<LoadedModel>,
    (sop, instance_json): &(String, Value),
) -> Result<JobResult, Stop> {
    let bytes = work.pacs.instance(&work.study, &work.series, sop).await?;
    let (sop_owned, json) = (sop.clone(), instance_json.clone());
    let (sr, probabilities) = tokio::task::spawn_blocking(move || -> Result<_, Stop> {
        let image = model_input(&model, &sop_owned, &bytes)?;
        let probabilities = model
            .classify_blocking(std::slice::from_ref(&image))
            .map_err(failed)?
            .into_iter()
            .next()
            .ok_or_else(|| failed(format!("model {}: no output", model.manifest.id)))?;
        let is_qc = model
            .manifest
            .outputs
            .iter()
            .any(|o| QC_LABELS.contains(&o.name.as_str()));
        let findings = if is_qc {
            lumen_infer::qc_rules::check(&image)
        } else {
            Vec::new()
        };
        let source = lumen_results::SourceImage::from_dicom_json(&json, Some(1))
            .map_err(|e| failed(format!("instance {sop_owned}: {e}")))?;
        let run = lumen_results::ModelRun::from_manifest(
            &model.manifest,
            &probabilities,
            &findings,
            "native",
        )
        .map_err(failed)?;
        let uids = new_uids()?;
        let now = lumen_results::ContentDateTime::from_unix_seconds(now_unix()).map_err(failed)?;
        let bytes = lumen_results::classification_sr(&source, &run, &uids, &now).map_err(failed)?;
        Ok(((bytes, uids), probabilities))
    })
    .await
    .map_err(failed)??;
    service.update(&work.id, |j| j.done = 1);
    if work.cancel.load(Ordering::SeqCst) {
        return Err(Stop::Cancelled);
    }
    let (bytes, uids) = sr;
    work.pacs
        .store(&work.study, bytes)
        .await
        .map_err(|e| failed(format!("the report could not be stored: {}", e.message)))?;
    Ok(JobResult {
        series_instance_uid: uids.series,
        sop_instance_uid: uids.instance,
        sop_class_uid: lumen_results::ENHANCED_SR.to_string(),
        probabilities: Some(probabilities),
    })
}

/// A single-frame instance's slice geometry and identity from its metadata, for a SEG (multi-frame instances are
/// refused: server segmentation takes single-frame slices).
fn source_slice(sop: &str, json: &Value) -> Result<lumen_results::SourceSlice, Stop> {
    let frames = json_number(json, "00280008").unwrap_or(1.0);
    if frames > 1.0 {
        return Err(failed(format!(
            "instance {sop} is a multi-frame image ({frames} frames): server segmentation takes single-frame slices"
        )));
    }
    lumen_results::SourceSlice::from_dicom_json(json).map_err(|e| failed(format!("instance {sop}: {e}")))
}

async fn segment(
    service: &Arc<AiService>,
    work: &Work,
    model: Arc<LoadedModel>,
    instances: &[(String, Value)],
) -> Result<JobResult, Stop> {
    let mut slices = Vec::with_capacity(instances.len());
    let mut maps = Vec::with_capacity(instances.len());
    for (k, (sop, json)) in instances.iter().enumerate() {
        if work.cancel.load(Ordering::SeqCst) {
            return Err(Stop::Cancelled);
        }
        let slice = source_slice(sop, json)?;
        let bytes = work.pacs.instance(&work.study, &work.series, sop).await?;
        let (m, s) = (model.clone(), sop.clone());
        let seg = tokio::task::spawn_blocking(move || -> Result<_, Stop> {
            let image = model_input(&m, &s, &bytes)?;
            m.segment_blocking(&image)
                .map_err(|e| failed(format!("instance {s}: {e}")))
        })
        .await
        .map_err(failed)??;
        if (seg.width, seg.height) != (slice.columns as usize, slice.rows as usize) {
            return Err(failed(format!(
                "instance {sop}: its pixels are {}×{} but its metadata says {}×{}",
                seg.width, seg.height, slice.columns, slice.rows
            )));
        }
        slices.push(slice);
        maps.push(seg.labels);
        service.update(&work.id, |j| j.done = k + 1);
    }
    store_segmentation(work, &model.manifest, slices, maps).await
}

/// The series as one volume for a 3D model: its slices sorted along their normal (they must form one regular
/// volume of equal-sized, parallel, evenly spaced slices), fetched and decoded in that order, labelled by the
/// model in one piece ([`LoadedModel::segment_volume_blocking`], which reports every block and stops when the
/// job is cancelled) and stored as one SEG. Progress counts the instances, then the blocks.
async fn segment_volume(
    service: &Arc<AiService>,
    work: &Work,
    model: Arc<LoadedModel>,
    instances: &[(String, Value)],
) -> Result<JobResult, Stop> {
    let mut sources = Vec::with_capacity(instances.len());
    let mut planes = Vec::with_capacity(instances.len());
    for (i, (sop, json)) in instances.iter().enumerate() {
        let slice = source_slice(sop, json)?;
        let o = slice.image_orientation;
        let plane = lumen_dicom::geometry::ImagePlane::new(
            slice.image_position,
            [o[0], o[1], o[2]],
            [o[3], o[4], o[5]],
            Some(slice.pixel_spacing),
        )
        .map_err(|e| failed(format!("instance {sop}: {e}")))?;
        planes.push((i, plane));
        sources.push(slice);
    }
    let layout = lumen_dicom::geometry::sort_volume(&planes).map_err(failed)?;
    let size = (sources[0].columns, sources[0].rows);
    if let Some(odd) = sources.iter().find(|s| (s.columns, s.rows) != size) {
        return Err(failed(format!(
            "the series is not one volume: instance {} is {}×{}, others {}×{}",
            odd.image.sop_instance_uid, odd.columns, odd.rows, size.0, size.1
        )));
    }
    if !layout.is_regular() {
        return Err(failed(format!(
            "the series is not one regular volume ({}): a 3D model needs evenly spaced parallel slices",
            layout.warnings().join("; ")
        )));
    }
    let dz = layout
        .spacing
        .ok_or_else(|| failed("a 3D model needs at least two slices at different positions"))?;
    let ps = sources[0].pixel_spacing;
    // Columns are `pixel_spacing[1]` apart, rows `pixel_spacing[0]`.
    let spacing = [ps[1] as f32, ps[0] as f32, dz as f32];
    let (width, height, depth) = (size.0 as usize, size.1 as usize, instances.len());
    let blocks = model
        .volume_blocks(width, height, depth, spacing)
        .ok_or_else(|| failed(format!("model {} is not a 3D model", model.manifest.id)))?;
    service.update(&work.id, |j| j.total = depth + blocks);
    // Each slice goes onto the model's grid as it arrives: the full-resolution series is never held.
    let mut volume = model.volume_builder(width, height, depth, spacing).map_err(failed)?;
    for (k, &i) in layout.order.iter().enumerate() {
        if work.cancel.load(Ordering::SeqCst) {
            return Err(Stop::Cancelled);
        }
        let sop = &instances[i].0;
        let bytes = work.pacs.instance(&work.study, &work.series, sop).await?;
        let (m, s) = (model.clone(), sop.clone());
        let image = tokio::task::spawn_blocking(move || model_input(&m, &s, &bytes))
            .await
            .map_err(failed)??;
        if (image.width, image.height) != (width, height) {
            return Err(failed(format!(
                "instance {sop}: its pixels are {}×{} but its metadata says {width}×{height}",
                image.width, image.height
            )));
        }
        volume.push(&image.data).map_err(failed)?;
        service.update(&work.id, |j| j.done = k + 1);
    }
    let volume = volume.finish().map_err(failed)?;
    let (svc, id, cancel) = (service.clone(), work.id.clone(), work.cancel.clone());
    let seg = tokio::task::spawn_blocking(move || {
        model.segment_volume_blocking(&volume, &mut |done, _| {
            svc.update(&id, |j| j.done = depth + done);
            !cancel.load(Ordering::SeqCst)
        })
    })
    .await
    .map_err(failed)?
    .map_err(|e| match e {
        lumen_infer::InferError::Cancelled { .. } => Stop::Cancelled,
        other => failed(other),
    })?;
    let mut slices = Vec::with_capacity(depth);
    for &i in &layout.order {
        slices.push(sources[i].clone());
    }
    store_segmentation(work, &work.manifest, slices, seg.slices).await
}

/// Builds the SEG of `maps` over `slices` (same order) and stores it in the study, unless the job was cancelled.
async fn store_segmentation(
    work: &Work,
    manifest: &ModelManifest,
    slices: Vec<lumen_results::SourceSlice>,
    maps: Vec<Vec<u8>>,
) -> Result<JobResult, Stop> {
    let manifest = manifest.clone();
    let (bytes, uids) = tokio::task::spawn_blocking(move || -> Result<_, Stop> {
        let run =
            lumen_results::SegmentationRun::from_manifest(&manifest, "native").map_err(failed)?;
        let uids = new_uids()?;
        let now = lumen_results::ContentDateTime::from_unix_seconds(now_unix()).map_err(failed)?;
        let bytes =
            lumen_results::segmentation_seg(&run, &slices, &maps, &uids, &now).map_err(failed)?;
        Ok((bytes, uids))
    })
    .await
    .map_err(failed)??;
    if work.cancel.load(Ordering::SeqCst) {
        return Err(Stop::Cancelled);
    }
    work.pacs.store(&work.study, bytes).await.map_err(|e| {
        failed(format!(
            "the segmentation could not be stored: {}",
            e.message
        ))
    })?;
    Ok(JobResult {
        series_instance_uid: uids.series,
        sop_instance_uid: uids.instance,
        sop_class_uid: lumen_results::SEGMENTATION_STORAGE.to_string(),
        probabilities: None,
    })
}

// ---------------------------------------------------------------------------------------------------- HTTP

const UNAVAILABLE: &str = "this server has no AI model packages: it was built without the web app \
(run scripts/build-web.sh, then rebuild lumen), so models run in the browser only";

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/ai/jobs", post(create).get(list))
        .route("/api/ai/jobs/{id}", get(status).delete(cancel))
}

/// A UID as it may appear in a URL path: digits and dots, at most 64 characters.
/// A UID's shape (PS3.5 9.1): at most 64 characters, non-empty components of digits separated by single dots —
/// so `.` and `..` never reach a PACS URL. (Leading zeros, which some vendors write, are let through.)
fn valid_uid(uid: &str) -> bool {
    uid.len() <= 64 && uid.split('.').all(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()))
}

/// Who submitted a request, for showing jobs only to their submitter: a hash of the Authorization header (no
/// header: the anonymous owner — a server without authentication shows its jobs to everyone).
fn owner_of(headers: &HeaderMap) -> Option<String> {
    headers.get(header::AUTHORIZATION).map(|v| lumen_infer::sha256_hex(v.as_bytes()))
}

fn accepted(body: Value) -> Response {
    (StatusCode::ACCEPTED, Json(body)).into_response()
}

async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let service = state.ai.clone();
    if !service.models.available() {
        return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE));
    }
    let request: Value = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(format!(
            "the body must be JSON {{\"model\", \"study\", \"series\"?}}: {e}"
        ))
    })?;
    let field = |name: &str| -> Result<Option<String>, ApiError> {
        match request.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
            Some(_) => Err(ApiError::bad_request(format!(
                "\"{name}\" must be a string"
            ))),
        }
    };
    let model_id = field("model")?.ok_or_else(|| ApiError::bad_request("\"model\" is missing"))?;
    let study = field("study")?.ok_or_else(|| ApiError::bad_request("\"study\" is missing"))?;
    let series = field("series")?.filter(|s| !s.is_empty());
    for uid in std::iter::once(&study).chain(series.as_ref()) {
        if !valid_uid(uid) {
            return Err(ApiError::bad_request(format!("{uid:?} is not a DICOM UID")));
        }
    }
    let manifest = match service.models.manifest(&model_id) {
        Ok(m) => m,
        Err(ModelError::Unavailable) => {
            return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE))
        }
        Err(ModelError::Unknown(id)) => {
            return Err(ApiError::not_found(format!("unknown model {id:?}")))
        }
        Err(ModelError::Broken(message)) => return Err(ApiError::internal(message)),
    };
    let pacs = match &state.backend {
        Backend::Store(store) => Pacs::Store(store.clone()),
        Backend::Proxy(upstream) => Pacs::Proxy {
            upstream: upstream.clone(),
            authorization: headers.get(header::AUTHORIZATION).cloned(),
        },
    };
    let all = pacs.series_of_study(&study).await?;
    let modality_of = |s: &Value| json_string(s, "00080060").unwrap_or_default();
    let uid_of = |s: &Value| json_string(s, "0020000E").unwrap_or_default();
    let accepted_modalities = manifest.input.modalities.join("/");
    let series = match series {
        Some(uid) => {
            let found = all.iter().find(|s| uid_of(s) == uid).ok_or_else(|| {
                ApiError::not_found(format!("series {uid} not found in study {study}"))
            })?;
            let modality = modality_of(found);
            if !manifest.matches_modality(&modality) {
                return Err(ApiError::bad_request(format!(
                    "model {model_id} takes {accepted_modalities} images; series {uid} is {}",
                    if modality.is_empty() {
                        "of no modality".to_string()
                    } else {
                        modality
                    }
                )));
            }
            uid
        }
        None => all
            .iter()
            .filter(|s| manifest.matches_modality(&modality_of(s)))
            // Most instances; on a tie the first listed.
            .fold(None::<(&Value, f64)>, |best, s| {
                let n = json_number(s, "00201209").unwrap_or(0.0);
                match best {
                    Some((_, m)) if m >= n => best,
                    _ => Some((s, n)),
                }
            })
            .map(|(s, _)| uid_of(s))
            .filter(|uid| !uid.is_empty())
            .ok_or_else(|| {
                ApiError::not_found(format!(
                    "study {study} has no {accepted_modalities} series for model {model_id}"
                ))
            })?,
    };
    let id = format!("{:032x}", random_bits().map_err(ApiError::internal)?);
    let cancel = Arc::new(AtomicBool::new(false));
    let job = Job {
        id: id.clone(),
        model: model_id,
        study: study.clone(),
        series: series.clone(),
        state: JobState::Queued,
        done: 0,
        total: 0,
        message: None,
        result: None,
        cancel: cancel.clone(),
        owner: owner_of(&headers),
    };
    service.add(job).ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{MAX_QUEUED} AI jobs are already waiting; try again when they have run"),
        )
    })?;
    let work = Work {
        id: id.clone(),
        manifest,
        study,
        series,
        pacs,
        cancel,
    };
    if service.sender().send(work).is_err() {
        service.update(&id, |j| {
            j.state = JobState::Failed;
            j.message = Some("the AI worker has stopped".into());
        });
        return Err(ApiError::internal("the AI worker has stopped"));
    }
    Ok(accepted(json!({ "job": id })))
}

async fn status(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let owner = owner_of(&headers);
    state
        .ai
        .get(&id)
        .filter(|j| j.owner == owner)
        .map(|j| Json(j.to_json()))
        .ok_or_else(|| ApiError::not_found(format!("no AI job {id}")))
}

/// The caller's jobs (same Authorization as when they were submitted), newest first.
async fn list(State(state): State<AppState>, headers: HeaderMap) -> Json<Value> {
    let owner = owner_of(&headers);
    Json(Value::Array(state.ai.with_jobs(|jobs| {
        jobs.iter().rev().filter(|j| j.owner == owner).map(Job::to_json).collect()
    })))
}

/// Cancels a job: a queued one becomes `cancelled` now; a running one stops before its next instance (and before
/// storing), which its state shows shortly after. A finished job cannot be cancelled (409).
async fn cancel(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let owner = owner_of(&headers);
    let job = state.ai.with_jobs(|jobs| {
        let job = jobs.iter_mut().find(|j| j.id == id && j.owner == owner)?;
        if !job.state.finished() {
            job.cancel.store(true, Ordering::SeqCst);
            if job.state == JobState::Queued {
                job.state = JobState::Cancelled;
                job.message = Some("cancelled before it ran; nothing was stored".into());
            }
        }
        Some(job.clone())
    });
    let job = job.ok_or_else(|| ApiError::not_found(format!("no AI job {id}")))?;
    if job.state.finished() && !job.cancel.load(Ordering::SeqCst) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("AI job {id} has already finished ({})", job.state.name()),
        ));
    }
    Ok(Json(job.to_json()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_follow_instance_number_then_uid() {
        let obj = |sop: &str, n: Option<i64>| {
            let mut o = json!({ "00080018": { "vr": "UI", "Value": [sop] } });
            if let Some(n) = n {
                o["00200013"] = json!({ "vr": "IS", "Value": [n] });
            }
            o
        };
        let ordered = ordered_instances(vec![
            obj("1.9", None),
            obj("1.3", Some(10)),
            obj("1.2", Some(2)),
            obj("1.1", Some(10)),
        ])
        .ok()
        .unwrap();
        let sops: Vec<&str> = ordered.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(sops, ["1.2", "1.1", "1.3", "1.9"]);
        assert!(ordered_instances(vec![json!({})]).is_err());
    }

    #[test]
    fn only_uids_reach_urls() {
        assert!(valid_uid("1.2.840.10008.5.1"));
        assert!(!valid_uid("1.2/../x"));
        assert!(!valid_uid(""));
        assert!(!valid_uid(&"1".repeat(65)));
        for bad in [".", "..", "1..2", ".1", "1."] {
            assert!(!valid_uid(bad), "{bad}");
        }
    }

    #[test]
    fn finished_jobs_beyond_the_limit_are_dropped_oldest_first() {
        let service = AiService::new(None);
        let job = |i: usize, state| Job {
            id: i.to_string(),
            model: "m".into(),
            study: "1".into(),
            series: "2".into(),
            state,
            done: 0,
            total: 0,
            message: None,
            result: None,
            cancel: Arc::new(AtomicBool::new(false)),
            owner: None,
        };
        for i in 0..KEPT_FINISHED + 5 {
            service.add(job(i, JobState::Done)).unwrap();
        }
        service.add(job(999, JobState::Queued)).unwrap();
        assert!(service.get("4").is_none());
        assert!(service.get("5").is_some());
        assert!(service.get("999").is_some());
        for i in 0..MAX_QUEUED - 1 {
            service.add(job(1000 + i, JobState::Queued)).unwrap();
        }
        assert!(
            service.add(job(5000, JobState::Queued)).is_none(),
            "the queue is bounded"
        );
    }
}
