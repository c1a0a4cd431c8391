//! The UI thread's side of the AI worker (`/ai-worker.js`, crate `web/ai-worker`): started on first use, it gets
//! [`AiRequest`]s and answers [`AiResponse`]s (see `lumen_infer::protocol`); this module keeps what the panel shows
//! — the backend, each model's download/load state and each image's results — and bumps a revision signal on
//! every change.
//!
//! The UI thread only copies a frame's modality values into a message: windowing, resizing and inference run in
//! the worker. This module must not build DOM nodes.

use js_sys::{Array, ArrayBuffer, Float32Array, Int16Array, Int8Array, Reflect, Uint16Array, Uint8Array};
use leptos::prelude::*;
use lumen_frames::{DecodedFrame, FrameKey, Pixels, StoredSampleType, StoredSamples};
use lumen_infer::manifest::ModelManifest;
use lumen_infer::protocol::{AiRequest, AiResponse, Backend, BackendChoice, JobId, RunPixels, Stage};
use lumen_infer::qc_rules::Finding;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, Worker, WorkerOptions, WorkerType};

const WORKER_SCRIPT: &str = "/ai-worker.js";
/// Runs of a bulk request sent to the worker at once.
const MAX_IN_FLIGHT: usize = 2;
/// Where the server publishes the model packages (`index.json`, `<id>/manifest.json`, …).
pub const MODELS_ROOT: &str = "/models";

/// A model's state in this page.
#[derive(Clone, Debug, PartialEq)]
pub enum ModelState {
    NotLoaded,
    Loading { job: JobId, stage: Stage, done: u64, total: u64 },
    Loaded { from_cache: bool, selftest_max_diff: f32, warm_up_ms: f64 },
    Failed(String),
}

/// The result of one model on one frame.
#[derive(Clone, Debug, PartialEq)]
pub enum RunState {
    Running { job: JobId },
    Done { probabilities: Vec<f32>, findings: Vec<Finding>, backend: Backend, ms: f64 },
    /// A segmentation model's label map (`width × height`, the output index per pixel, 0 = background).
    Segmented { labels: Rc<Vec<u8>>, width: u32, height: u32, counts: Vec<u64>, backend: Backend, ms: f64 },
    Failed(String),
}

/// A 3D model's run on a whole series in this browser.
#[derive(Clone, Debug, PartialEq)]
pub enum VolumeRun {
    /// `done` of `total` blocks (0 / 0 while the model loads and the volume is prepared).
    Running { job: JobId, done: u64, total: u64 },
    /// Every slice's label map is in [`AiClient::label_maps`].
    Done { slices: usize, blocks: u32, grid: [u32; 3], backend: Backend, ms: f64 },
    Failed(String),
}

/// A volume job in flight: the model and the frames of its slices, in the order the worker gets them.
struct VolumeJob {
    model: String,
    keys: Vec<FrameKey>,
    width: u32,
    height: u32,
}

/// Which backend the worker uses, once it said.
#[derive(Clone, Debug, PartialEq)]
pub struct BackendInfo {
    pub backend: Backend,
    pub adapter: Option<String>,
    pub fallback_reason: Option<String>,
}

#[derive(Default)]
struct Inner {
    worker: Option<Worker>,
    ready: bool,
    queued: Vec<Array>,
    next_job: JobId,
    backend: Option<BackendInfo>,
    worker_error: Option<String>,
    models: HashMap<String, ModelState>,
    /// (model id, frame) → result.
    runs: HashMap<(String, FrameKey), RunState>,
    /// Runs waiting for their model to load: job → message.
    waiting: HashMap<String, Vec<(JobId, Array)>>,
    /// job → (model, frame) for runs; job → model for loads.
    run_jobs: HashMap<JobId, (String, FrameKey)>,
    load_jobs: HashMap<JobId, String>,
    /// 3D runs: model id → state; job → what it covers.
    volumes: HashMap<String, VolumeRun>,
    volume_jobs: HashMap<JobId, VolumeJob>,
    /// Runs asked for in bulk (a whole series), started [`MAX_IN_FLIGHT`] at a time so that the pixels of
    /// hundreds of slices are not all copied into messages at once.
    backlog: std::collections::VecDeque<(ModelManifest, Rc<DecodedFrame>)>,
    _on_message: Option<Closure<dyn FnMut(MessageEvent)>>,
}

/// Handle to the AI worker and its state (cheap to copy into components).
#[derive(Clone, Copy)]
pub struct AiClient {
    inner: StoredValue<Rc<RefCell<Inner>>, LocalStorage>,
    /// Bumped on every change; components read it to re-render.
    pub revision: RwSignal<u64>,
}

impl AiClient {
    pub fn new() -> AiClient {
        AiClient { inner: StoredValue::new_local(Rc::default()), revision: RwSignal::new(0) }
    }

    fn inner(&self) -> Rc<RefCell<Inner>> {
        self.inner.get_value()
    }

    fn changed(&self) {
        self.revision.update(|r| *r += 1);
    }

    /// Reads the state (tracks the revision).
    fn read<R>(&self, f: impl FnOnce(&Inner) -> R) -> R {
        self.revision.track();
        let inner = self.inner();
        let guard = inner.borrow();
        f(&guard)
    }

    pub fn backend(&self) -> Option<BackendInfo> {
        self.read(|i| i.backend.clone())
    }

    pub fn worker_error(&self) -> Option<String> {
        self.read(|i| i.worker_error.clone())
    }

    pub fn model_state(&self, id: &str) -> ModelState {
        self.read(|i| i.models.get(id).cloned().unwrap_or(ModelState::NotLoaded))
    }

    pub fn run_state(&self, id: &str, frame: &FrameKey) -> Option<RunState> {
        self.read(|i| i.runs.get(&(id.to_string(), frame.clone())).cloned())
    }

    /// Model `id`'s run on a whole series in this browser, if one was asked for (tracks the revision).
    pub fn volume_run(&self, id: &str) -> Option<VolumeRun> {
        self.read(|i| i.volumes.get(id).cloned())
    }

    /// Runs 3D model `manifest` on `volume` (its slices in volume order) in the worker, loading the model first if
    /// needed: progress per block, then every slice's label map (in [`Self::label_maps`], so the overlay and the
    /// save path are the 2D ones).
    pub fn run_volume(&self, manifest: &ModelManifest, volume: super::volume::SeriesVolume) {
        let inner = self.inner();
        if matches!(inner.borrow().volumes.get(&manifest.id), Some(VolumeRun::Running { .. })) {
            return;
        }
        let job = self.job();
        let (width, height, depth) = (volume.width, volume.height, volume.frames.len() as u32);
        let (buffer, rescale) = match volume_array(&volume.frames, width as usize * height as usize) {
            Ok(v) => v,
            Err(e) => {
                inner.borrow_mut().volumes.insert(manifest.id.clone(), VolumeRun::Failed(e));
                self.changed();
                return;
            }
        };
        let first = &volume.frames[0].meta;
        let pixels = RunPixels::Modality { window: first.default_window.clone(), invert: first.invert };
        let request =
            AiRequest::RunVolume { job, model: manifest.id.clone(), width, height, depth, spacing: volume.spacing, pixels, rescale };
        let array = message(&request);
        array.push(&buffer);
        let keys = volume.frames.iter().map(|f| f.meta.key.clone()).collect();
        {
            let mut i = inner.borrow_mut();
            i.volumes.insert(manifest.id.clone(), VolumeRun::Running { job, done: 0, total: 0 });
            i.volume_jobs.insert(job, VolumeJob { model: manifest.id.clone(), keys, width, height });
        }
        let loaded = matches!(inner.borrow().models.get(&manifest.id), Some(ModelState::Loaded { .. }));
        if loaded {
            self.post(array, buffer_of(&buffer));
        } else {
            inner.borrow_mut().waiting.entry(manifest.id.clone()).or_default().push((job, array));
            self.load(&manifest.id);
        }
        self.changed();
    }

    /// Stops model `id`'s run on a series (between two blocks in the worker); nothing of it is shown.
    pub fn cancel_volume(&self, id: &str) {
        let job = {
            let inner = self.inner();
            let mut i = inner.borrow_mut();
            let Some(VolumeRun::Running { job, .. }) = i.volumes.get(id).cloned() else { return };
            i.volumes.remove(id);
            i.volume_jobs.remove(&job);
            for list in i.waiting.values_mut() {
                list.retain(|(j, _)| *j != job);
            }
            job
        };
        self.post(message(&AiRequest::Cancel { job }), None);
        self.changed();
    }

    /// Every finished label map of model `id`: frame → labels (tracks the revision).
    pub fn label_maps(&self, id: &str) -> Vec<(FrameKey, Rc<Vec<u8>>, u32, u32)> {
        self.read(|i| {
            i.runs
                .iter()
                .filter(|((m, _), _)| m == id)
                .filter_map(|((_, k), r)| match r {
                    RunState::Segmented { labels, width, height, .. } => Some((k.clone(), labels.clone(), *width, *height)),
                    _ => None,
                })
                .collect()
        })
    }

    /// How many of `frames` model `id` has finished, and how many are queued or running.
    pub fn progress(&self, id: &str, frames: &[FrameKey]) -> (usize, usize) {
        self.read(|i| {
            let mut done = 0;
            let mut busy = 0;
            for f in frames {
                match i.runs.get(&(id.to_string(), f.clone())) {
                    Some(RunState::Segmented { .. } | RunState::Done { .. }) => done += 1,
                    Some(RunState::Running { .. }) => busy += 1,
                    _ => {}
                }
            }
            busy += i.backlog.iter().filter(|(m, f)| m.id == id && frames.contains(&f.meta.key)).count();
            (done, busy)
        })
    }

    /// Runs model `manifest` on every frame of `frames` that has no result yet, a few at a time.
    pub fn run_many(&self, manifest: &ModelManifest, frames: Vec<Rc<DecodedFrame>>) {
        {
            let inner = self.inner();
            let mut i = inner.borrow_mut();
            for f in frames {
                let key = (manifest.id.clone(), f.meta.key.clone());
                let queued = i.backlog.iter().any(|(m, q)| m.id == manifest.id && q.meta.key == f.meta.key);
                // A failed frame is tried again; a running or finished one is not.
                let busy_or_done =
                    matches!(i.runs.get(&key), Some(RunState::Running { .. } | RunState::Done { .. } | RunState::Segmented { .. }));
                if !queued && !busy_or_done {
                    i.backlog.push_back((manifest.clone(), f));
                }
            }
        }
        self.pump();
        self.changed();
    }

    /// Starts backlog runs while fewer than [`MAX_IN_FLIGHT`] runs are in flight.
    fn pump(&self) {
        loop {
            let next = {
                let inner = self.inner();
                let mut i = inner.borrow_mut();
                if i.run_jobs.len() >= MAX_IN_FLIGHT {
                    return;
                }
                // A model that failed to load is not downloaded again for each queued frame.
                let failed: Vec<String> =
                    i.models.iter().filter(|(_, s)| matches!(s, ModelState::Failed(_))).map(|(id, _)| id.clone()).collect();
                i.backlog.retain(|(m, _)| !failed.contains(&m.id));
                i.backlog.pop_front()
            };
            let Some((manifest, frame)) = next else { return };
            self.run(&manifest, &frame, false);
        }
    }

    /// Cancels every queued or running job of model `id` on `frames`.
    pub fn cancel_frames(&self, id: &str, frames: &[FrameKey]) {
        {
            let inner = self.inner();
            inner.borrow_mut().backlog.retain(|(m, f)| !(m.id == id && frames.contains(&f.meta.key)));
        }
        let jobs: Vec<JobId> = self.read(|i| {
            frames
                .iter()
                .filter_map(|f| match i.runs.get(&(id.to_string(), f.clone())) {
                    Some(RunState::Running { job }) => Some(*job),
                    _ => None,
                })
                .collect()
        });
        for job in jobs {
            self.cancel(job);
        }
    }

    /// Starts the worker if it is not running.
    fn ensure_worker(&self) {
        let inner = self.inner();
        if inner.borrow().worker.is_some() || inner.borrow().worker_error.is_some() {
            return;
        }
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        options.set_name("lumen-ai");
        let worker = match Worker::new_with_options(WORKER_SCRIPT, &options) {
            Ok(w) => w,
            Err(e) => {
                inner.borrow_mut().worker_error = Some(format!("cannot start the AI worker: {e:?}"));
                self.changed();
                return;
            }
        };
        let me = *self;
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| me.on_message(ev));
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let me = *self;
        let on_error = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |ev: web_sys::ErrorEvent| {
            let inner = me.inner();
            inner.borrow_mut().worker_error = Some(format!("the AI worker failed: {}", ev.message()));
            me.changed();
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
        // The backend choice: `lumen.ai.backend` in localStorage (`cpu` forces the CPU), else automatic.
        let choice = match window().local_storage().ok().flatten().and_then(|s| s.get_item("lumen.ai.backend").ok().flatten()).as_deref() {
            Some("cpu") => BackendChoice::Cpu,
            Some("webgpu") => BackendChoice::WebGpu,
            _ => BackendChoice::Auto,
        };
        let init = message(&AiRequest::Init { backend: choice });
        // Init goes first, before anything queued.
        let _ = worker.post_message(&init);
        let mut i = inner.borrow_mut();
        i.worker = Some(worker);
        i._on_message = Some(on_message);
    }

    fn post(&self, array: Array, transfer: Option<JsValue>) {
        self.ensure_worker();
        let inner = self.inner();
        let mut i = inner.borrow_mut();
        if !i.ready {
            i.queued.push(array);
            return;
        }
        if let Some(w) = &i.worker {
            let result = match transfer {
                Some(t) => w.post_message_with_transfer(&array, &Array::of1(&t)),
                None => w.post_message(&array),
            };
            if let Err(e) = result {
                i.worker_error = Some(format!("cannot reach the AI worker: {e:?}"));
            }
        }
    }

    fn job(&self) -> JobId {
        let inner = self.inner();
        let mut i = inner.borrow_mut();
        i.next_job += 1;
        i.next_job
    }

    /// Loads model `id` (download with progress, hash check, warm-up) unless it is loaded or loading.
    pub fn load(&self, id: &str) {
        let inner = self.inner();
        if matches!(inner.borrow().models.get(id), Some(ModelState::Loading { .. } | ModelState::Loaded { .. })) {
            return;
        }
        let job = self.job();
        {
            let mut i = inner.borrow_mut();
            i.models.insert(id.to_string(), ModelState::Loading { job, stage: Stage::Download, done: 0, total: 0 });
            i.load_jobs.insert(job, id.to_string());
        }
        let base_url = format!("{}{MODELS_ROOT}", location().origin().unwrap_or_default());
        self.post(message(&AiRequest::Load { job, model: id.to_string(), base_url }), None);
        self.changed();
    }

    /// Runs model `manifest` on `frame` (loading the model first if needed); `rules` adds the pixel rules.
    pub fn run(&self, manifest: &ModelManifest, frame: &DecodedFrame, rules: bool) {
        let key = (manifest.id.clone(), frame.meta.key.clone());
        let inner = self.inner();
        if manifest.is_volumetric() {
            // A 3D model labels a whole series ([`Self::run_volume`]), never one image.
            return;
        }
        if matches!(
            inner.borrow().runs.get(&key),
            Some(RunState::Running { .. } | RunState::Done { .. } | RunState::Segmented { .. })
        ) {
            return;
        }
        let job = self.job();
        let (width, height) = (frame.meta.columns as u32, frame.meta.rows as u32);
        let (pixels, buffer): (RunPixels, JsValue) = match &frame.pixels {
            Pixels::Modality { values, .. } => (
                RunPixels::Modality { window: frame.meta.default_window.clone(), invert: frame.meta.invert },
                // Converted for this message only: the cached frame keeps its compact stored samples.
                Float32Array::from(values.to_f32().as_ref()).into(),
            ),
            Pixels::Rgb8(rgb) => (RunPixels::Rgb8, Uint8Array::from(rgb.as_slice()).into()),
        };
        let array = message(&AiRequest::Run { job, model: manifest.id.clone(), width, height, pixels, rules });
        array.push(&buffer);
        {
            let mut i = inner.borrow_mut();
            i.runs.insert(key.clone(), RunState::Running { job });
            i.run_jobs.insert(job, key);
        }
        let loaded = matches!(inner.borrow().models.get(&manifest.id), Some(ModelState::Loaded { .. }));
        if loaded {
            let transfer = buffer_of(&buffer);
            self.post(array, transfer);
        } else {
            inner.borrow_mut().waiting.entry(manifest.id.clone()).or_default().push((job, array));
            self.load(&manifest.id);
        }
        self.changed();
    }

    /// Cancels a load or run (the worker aborts a download; a late answer is dropped).
    pub fn cancel(&self, job: JobId) {
        let inner = self.inner();
        {
            let mut i = inner.borrow_mut();
            if let Some(id) = i.load_jobs.remove(&job) {
                i.models.insert(id.clone(), ModelState::NotLoaded);
                // Runs waiting for this model, and a bulk run's remaining frames, are cancelled with it.
                i.backlog.retain(|(m, _)| m.id != id);
                for (run_job, _) in i.waiting.remove(&id).unwrap_or_default() {
                    if let Some(key) = i.run_jobs.remove(&run_job) {
                        i.runs.remove(&key);
                    }
                    if let Some(v) = i.volume_jobs.remove(&run_job) {
                        i.volumes.remove(&v.model);
                    }
                }
            }
            if let Some(key) = i.run_jobs.remove(&job) {
                i.runs.remove(&key);
                // A run still waiting for its model never reached the worker: drop it from the queue.
                for list in i.waiting.values_mut() {
                    list.retain(|(j, _)| *j != job);
                }
            }
        }
        self.post(message(&AiRequest::Cancel { job }), None);
        self.changed();
    }

    /// Forgets a failed run so it can be tried again.
    pub fn forget(&self, id: &str, frame: &FrameKey) {
        self.inner().borrow_mut().runs.remove(&(id.to_string(), frame.clone()));
        let inner = self.inner();
        let mut i = inner.borrow_mut();
        if matches!(i.models.get(id), Some(ModelState::Failed(_))) {
            i.models.remove(id);
        }
        drop(i);
        self.changed();
    }

    fn on_message(&self, ev: MessageEvent) {
        let Ok(array) = ev.data().dyn_into::<Array>() else {
            return;
        };
        let Some(text) = array.get(0).as_string() else {
            return;
        };
        let response = match serde_json::from_str::<AiResponse>(&text) {
            Ok(r) => r,
            Err(e) => {
                leptos::logging::error!("Lumen: unexpected AI worker message ({e}): {text}");
                return;
            }
        };
        let inner = self.inner();
        let mut flush = Vec::new();
        {
            let mut i = inner.borrow_mut();
            match response {
                AiResponse::Ready { backend, adapter, fallback_reason, .. } => {
                    i.ready = true;
                    i.backend = Some(BackendInfo { backend, adapter, fallback_reason });
                    flush = std::mem::take(&mut i.queued).into_iter().map(|a| (a, None)).collect();
                }
                AiResponse::Progress { job, stage, done, total } => {
                    if let Some(id) = i.load_jobs.get(&job).cloned() {
                        i.models.insert(id, ModelState::Loading { job, stage, done, total });
                    } else if let Some(model) = i.volume_jobs.get(&job).map(|v| v.model.clone()) {
                        i.volumes.insert(model, VolumeRun::Running { job, done, total });
                    }
                }
                AiResponse::VolumeSegmentation { job, width, height, depth, grid, blocks, backend, ms, .. } => {
                    if let Some(v) = i.volume_jobs.remove(&job) {
                        let slice = width as usize * height as usize;
                        let state = match array.get(1).dyn_into::<Uint8Array>() {
                            Ok(bytes)
                                if (width, height) == (v.width, v.height)
                                    && depth as usize == v.keys.len()
                                    && bytes.length() as usize == slice * v.keys.len() =>
                            {
                                // Slice by slice out of the JS array: the page's wasm memory holds the label maps
                                // once, never a second whole-volume copy.
                                for (z, key) in v.keys.iter().enumerate() {
                                    let map = bytes.subarray((z * slice) as u32, ((z + 1) * slice) as u32).to_vec();
                                    let mut counts = vec![0u64; 256];
                                    for &l in &map {
                                        counts[l as usize] += 1;
                                    }
                                    counts.truncate(counts.iter().rposition(|&c| c > 0).map_or(1, |last| last + 1));
                                    let seg = RunState::Segmented { labels: Rc::new(map), width, height, counts, backend, ms };
                                    i.runs.insert((v.model.clone(), key.clone()), seg);
                                }
                                VolumeRun::Done { slices: v.keys.len(), blocks, grid, backend, ms }
                            }
                            _ => VolumeRun::Failed("the AI worker sent label maps of the wrong size".into()),
                        };
                        i.volumes.insert(v.model, state);
                    }
                }
                AiResponse::Loaded { job, model, from_cache, selftest_max_diff, warm_up_ms, .. } => {
                    if i.load_jobs.remove(&job).is_some() {
                        i.models.insert(model.clone(), ModelState::Loaded { from_cache, selftest_max_diff, warm_up_ms });
                        for (_, array) in i.waiting.remove(&model).unwrap_or_default() {
                            let transfer = buffer_of(&array.get(1));
                            flush.push((array, transfer));
                        }
                    }
                }
                AiResponse::Result { job, probabilities, findings, backend, ms, .. } => {
                    if let Some(key) = i.run_jobs.remove(&job) {
                        i.runs.insert(key, RunState::Done { probabilities, findings, backend, ms });
                    }
                }
                AiResponse::Segmentation { job, width, height, counts, backend, ms, .. } => {
                    if let Some(key) = i.run_jobs.remove(&job) {
                        let state = match array.get(1).dyn_into::<Uint8Array>() {
                            Ok(bytes) if bytes.length() as u64 == width as u64 * height as u64 => RunState::Segmented {
                                labels: Rc::new(bytes.to_vec()),
                                width,
                                height,
                                counts,
                                backend,
                                ms,
                            },
                            _ => RunState::Failed("the AI worker sent a label map of the wrong size".into()),
                        };
                        i.runs.insert(key, state);
                    }
                }
                AiResponse::RulesResult { .. } | AiResponse::Cancelled { .. } => {}
                AiResponse::Failed { job, message } => match job {
                    Some(job) => {
                        if let Some(id) = i.load_jobs.remove(&job) {
                            i.models.insert(id.clone(), ModelState::Failed(message.clone()));
                            // A bulk run of this model stops: its other frames would only retry the download.
                            i.backlog.retain(|(m, _)| m.id != id);
                            for (run_job, _) in i.waiting.remove(&id).unwrap_or_default() {
                                if let Some(key) = i.run_jobs.remove(&run_job) {
                                    i.runs.insert(key, RunState::Failed(message.clone()));
                                }
                                if let Some(v) = i.volume_jobs.remove(&run_job) {
                                    i.volumes.insert(v.model, VolumeRun::Failed(message.clone()));
                                }
                            }
                        } else if let Some(key) = i.run_jobs.remove(&job) {
                            i.runs.insert(key, RunState::Failed(message));
                        } else if let Some(v) = i.volume_jobs.remove(&job) {
                            i.volumes.insert(v.model, VolumeRun::Failed(message));
                        }
                    }
                    None => i.worker_error = Some(message),
                },
            }
        }
        for (array, transfer) in flush {
            self.post(array, transfer);
        }
        self.pump();
        self.changed();
    }
}

impl Default for AiClient {
    fn default() -> Self {
        Self::new()
    }
}

/// `[json]` for a request.
fn message(request: &AiRequest) -> Array {
    let text = serde_json::to_string(request).unwrap_or_default();
    Array::of1(&JsValue::from_str(&text))
}

/// The ArrayBuffer behind a typed array, for the transfer list.
/// A series' slices (in volume order, `slice` pixels each) as one JS typed array for the worker, written slice by
/// slice straight into JS memory, so this module's memory never holds the whole stack: the stored samples plus each
/// slice's `[slope, intercept]` when every slice is compact with one sample type (a 16-bit CT: half the bytes of
/// `f32`), else the modality values as a `Float32Array`.
fn volume_array(frames: &[Rc<DecodedFrame>], slice: usize) -> Result<(JsValue, Option<Vec<[f64; 2]>>), String> {
    let mut values = Vec::with_capacity(frames.len());
    for f in frames {
        match &f.pixels {
            Pixels::Modality { values: v, .. } if v.len() == slice => values.push(v),
            Pixels::Modality { .. } => return Err(format!("slice {} does not have {slice} pixels", f.meta.key.sop_instance_uid)),
            Pixels::Rgb8(_) => return Err(format!("slice {} has no modality values", f.meta.key.sop_instance_uid)),
        }
    }
    let total = (slice * frames.len()) as u32;
    let at = |z: usize| ((z * slice) as u32, ((z + 1) * slice) as u32);
    let types: Vec<_> = values.iter().map(|v| v.stored().map(|(s, _, _)| s.sample_type())).collect();
    let one_type = types.first().copied().flatten().filter(|t| types.iter().all(|u| *u == Some(*t)));
    let Some(sample_type) = one_type else {
        let array = Float32Array::new_with_length(total);
        for (z, v) in values.iter().enumerate() {
            let (a, b) = at(z);
            array.subarray(a, b).copy_from(&v.to_f32());
        }
        return Ok((array.into(), None));
    };
    let rescale = values.iter().filter_map(|v| v.stored()).map(|(_, m, b)| [m, b]).collect();
    macro_rules! stored_array {
        ($array:ty, $variant:ident) => {{
            let array = <$array>::new_with_length(total);
            for (z, v) in values.iter().enumerate() {
                if let Some((StoredSamples::$variant(s), _, _)) = v.stored() {
                    let (a, b) = at(z);
                    array.subarray(a, b).copy_from(s);
                }
            }
            JsValue::from(array)
        }};
    }
    let array = match sample_type {
        StoredSampleType::I16 => stored_array!(Int16Array, I16),
        StoredSampleType::U16 => stored_array!(Uint16Array, U16),
        StoredSampleType::I8 => stored_array!(Int8Array, I8),
        StoredSampleType::U8 => stored_array!(Uint8Array, U8),
    };
    Ok((array, Some(rescale)))
}

/// The buffer under a typed array, to transfer it with the message.
fn buffer_of(v: &JsValue) -> Option<JsValue> {
    if !ArrayBuffer::is_view(v) {
        return None;
    }
    Reflect::get(v, &"buffer".into()).ok().filter(|b| b.is_instance_of::<ArrayBuffer>())
}

/// The model packages the server publishes: `/models/index.json` (a list of ids), then each manifest.
pub async fn fetch_catalog() -> Result<Vec<ModelManifest>, String> {
    let origin = location().origin().unwrap_or_default();
    let ids: Vec<String> = serde_json::from_slice(&get(&format!("{origin}{MODELS_ROOT}/index.json")).await?)
        .map_err(|e| format!("{MODELS_ROOT}/index.json: {e}"))?;
    let mut out = Vec::new();
    for id in ids {
        let url = format!("{origin}{MODELS_ROOT}/{id}/manifest.json");
        let text = String::from_utf8_lossy(&get(&url).await?).into_owned();
        match ModelManifest::from_json(&text) {
            Ok(m) => out.push(m),
            Err(e) => leptos::logging::warn!("Lumen: model {id} skipped: {e}"),
        }
    }
    Ok(out)
}

async fn get(url: &str) -> Result<Vec<u8>, String> {
    use lumen_dicomweb::transport::FetchTransport;
    use lumen_dicomweb::{HttpRequest, Method, Transport};
    let request = HttpRequest {
        method: Method::Get,
        url: url.to_string(),
        headers: vec![("Accept".to_string(), "application/json".to_string())],
        body: bytes::Bytes::new(),
    };
    let response = FetchTransport::new().send(request).await.map_err(|e| e.to_string())?;
    match response.status {
        200 => Ok(response.body.to_vec()),
        status => Err(format!("{url}: HTTP {status}")),
    }
}
