//! The worker's event loop: one `onmessage` handler, one `spawn_local` task per job, shared state in a
//! thread-local (a worker has one thread). No borrow of the state is held across an `await`.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use js_sys::{Array, Float32Array, Function, Int16Array, Int8Array, Reflect, Uint16Array, Uint8Array};
use lumen_infer::protocol::{AiRequest, AiResponse, Backend, BackendChoice, JobId, RunPixels, Stage};
use lumen_infer::selftest::SelfTest;
use lumen_infer::manifest::Task;
use lumen_infer::{qc_rules, sha256_hex, Device, GreyImage, LoadedModel, ModelManifest};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{AbortController, AbortSignal, Cache, DedicatedWorkerGlobalScope, MessageEvent, RequestInit, Response};

use crate::request::{self, PixelBuf, VolumeSamples, VolumeSource};
use lumen_frames::{StoredSampleType, StoredSamples};

/// The Cache API cache holding verified weights.
const CACHE_NAME: &str = "lumen-models-v1";
/// The storage-buffer binding size the WebGPU device must allow (the largest tensor of the built-in models is a
/// few MiB; 64 MiB leaves room for batches).
const MIN_STORAGE_BINDING: u64 = 64 << 20;
/// Download progress is posted at most every this many bytes.
const PROGRESS_STEP: usize = 256 << 10;

struct Engine {
    device: Device,
    backend: Backend,
    /// WebGPU on a software rasteriser (SwiftShader, llvmpipe/lavapipe, or an adapter the browser marks as its
    /// fallback): 3D models then run on the CPU backend instead, which is ≈ 10× faster for a MeshNet there
    /// (docs/AI.md: 245.6 s on SwiftShader vs 26.2 s on the CPU for the small demo CT).
    software_gpu: bool,
    /// The `ready` message, posted again to a repeated `init`.
    ready: AiResponse,
}

#[derive(Default)]
struct State {
    engine: Option<Rc<Engine>>,
    initialising: bool,
    models: HashMap<String, Rc<LoadedModel>>,
    /// Models placed on the CPU backend although the engine is WebGPU (3D models on a software adapter).
    on_cpu: HashSet<String>,
    /// Jobs in flight, with the controller that aborts their downloads.
    jobs: HashMap<JobId, Option<AbortController>>,
    /// Jobs cancelled while in flight: their answers are dropped.
    cancelled: HashSet<JobId>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::default();
}

fn with_state<R>(f: impl FnOnce(&mut State) -> R) -> R {
    STATE.with(|s| f(&mut s.borrow_mut()))
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn now_ms() -> f64 {
    scope().performance().map(|p| p.now()).unwrap_or_else(js_sys::Date::now)
}

/// A JS exception as text.
fn js_text(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

fn post(resp: &AiResponse) {
    post_with(resp, None);
}

/// Posts `[JSON, bytes]`, the bytes' buffer transferred (not copied).
fn post_with(resp: &AiResponse, bytes: Option<Uint8Array>) {
    let text = serde_json::to_string(resp).unwrap_or_else(|e| {
        format!(r#"{{"type":"failed","job":null,"message":"the worker could not serialise its answer: {e}"}}"#)
    });
    let sent = match bytes {
        Some(bytes) => {
            let transfer = Array::of1(&bytes.buffer());
            scope().post_message_with_transfer(&Array::of2(&JsValue::from_str(&text), &bytes), &transfer)
        }
        None => scope().post_message(&Array::of1(&JsValue::from_str(&text))),
    };
    if let Err(e) = sent {
        web_sys::console::error_1(&format!("Lumen AI worker: postMessage failed: {}", js_text(&e)).into());
    }
}

fn fail(job: Option<JobId>, message: impl Into<String>) {
    post(&AiResponse::Failed { job, message: message.into() });
}

/// Entry point, called by `static/ai-worker.js` once the module is instantiated.
#[wasm_bindgen]
pub fn ai_worker_main() {
    console_error_panic_hook::set_once();
    let handler = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| on_message(event.data()));
    scope().set_onmessage(Some(handler.as_ref().unchecked_ref()));
    handler.forget();
}

fn on_message(data: JsValue) {
    let (text, buf) = if Array::is_array(&data) {
        let items: Array = data.unchecked_into();
        (items.get(0).as_string(), items.get(1))
    } else {
        (data.as_string(), JsValue::UNDEFINED)
    };
    let Some(text) = text else {
        return fail(None, "a message to the AI worker is an array [JSON text, pixels?]");
    };
    let req = match serde_json::from_str::<AiRequest>(&text) {
        Ok(req) => req,
        Err(e) => return fail(request::job_of(&text), format!("unreadable request: {e}")),
    };
    match req {
        AiRequest::Init { backend } => spawn_local(init(backend)),
        AiRequest::Load { job, model, base_url } => {
            if let Err(message) = begin(job) {
                return fail(Some(job), message);
            }
            spawn_local(async move {
                let outcome = load(job, &model, &base_url).await;
                finish(job, outcome);
            });
        }
        AiRequest::Run { job, model, width, height, pixels, rules } => {
            if let Err(message) = begin(job) {
                return fail(Some(job), message);
            }
            spawn_local(async move {
                let outcome = run(&model, width, height, &pixels, &buf, rules).await;
                finish_with(job, outcome.map(|out| match out {
                    RunOutput::Classes { probabilities, findings, backend, ms } => {
                        (AiResponse::Result { job, model, probabilities, findings, backend, ms }, None)
                    }
                    RunOutput::Labels { labels, counts, backend, ms } => {
                        let bytes = Uint8Array::from(labels.as_slice());
                        (AiResponse::Segmentation { job, model, width, height, counts, backend, ms }, Some(bytes))
                    }
                }));
            });
        }
        AiRequest::RunVolume { job, model, width, height, depth, spacing, pixels, rescale } => {
            if let Err(message) = begin(job) {
                return fail(Some(job), message);
            }
            spawn_local(async move {
                let outcome = run_volume(job, &model, width, height, depth, spacing, &pixels, rescale.as_deref(), &buf).await;
                finish_with(job, outcome.map(|out| {
                    let bytes = out.labels;
                    let resp = AiResponse::VolumeSegmentation {
                        job,
                        model,
                        width,
                        height,
                        depth,
                        grid: out.grid,
                        blocks: out.blocks,
                        counts: out.counts,
                        backend: out.backend,
                        ms: out.ms,
                    };
                    (resp, Some(bytes))
                }));
            });
        }
        AiRequest::Rules { job, width, height, pixels } => match grey_from_js(width, height, &pixels, &buf) {
            Ok(img) => post(&AiResponse::RulesResult { job, findings: qc_rules::check(&img) }),
            Err(message) => fail(Some(job), message),
        },
        AiRequest::Cancel { job } => cancel(job),
    }
}

// --- jobs ---------------------------------------------------------------------------------------------------------

fn begin(job: JobId) -> Result<(), String> {
    with_state(|s| {
        if s.jobs.contains_key(&job) {
            return Err(format!("job {job} is already running"));
        }
        s.cancelled.remove(&job);
        s.jobs.insert(job, None);
        Ok(())
    })
}

fn is_cancelled(job: JobId) -> bool {
    with_state(|s| s.cancelled.contains(&job))
}

/// Posts a job's answer, unless it was cancelled.
fn finish(job: JobId, outcome: Result<AiResponse, String>) {
    finish_with(job, outcome.map(|resp| (resp, None)));
}

/// [`finish`] for an answer that carries bytes as item 1.
fn finish_with(job: JobId, outcome: Result<(AiResponse, Option<Uint8Array>), String>) {
    let cancelled = with_state(|s| {
        s.jobs.remove(&job);
        s.cancelled.remove(&job)
    });
    if cancelled {
        return;
    }
    match outcome {
        Ok((resp, bytes)) => post_with(&resp, bytes),
        Err(message) => fail(Some(job), message),
    }
}

/// Cancels a job in flight: aborts its download and answers `cancelled` now; its own answer is never posted. A
/// job that is not in flight (finished, or never started) gets no answer.
fn cancel(job: JobId) {
    let controller = with_state(|s| {
        let controller = s.jobs.get(&job).cloned()?;
        s.cancelled.insert(job);
        Some(controller)
    });
    if let Some(controller) = controller {
        if let Some(c) = controller {
            c.abort();
        }
        post(&AiResponse::Cancelled { job });
    }
}

fn check_not_cancelled(job: JobId) -> Result<(), String> {
    if is_cancelled(job) {
        Err(format!("job {job} was cancelled"))
    } else {
        Ok(())
    }
}

// --- init ---------------------------------------------------------------------------------------------------------

async fn init(choice: BackendChoice) {
    let existing = with_state(|s| {
        if let Some(engine) = &s.engine {
            return Err(Some(engine.ready.clone()));
        }
        if s.initialising {
            return Err(None);
        }
        s.initialising = true;
        Ok(())
    });
    match existing {
        Err(Some(ready)) => return post(&ready),
        Err(None) => return fail(None, "init is already in progress"),
        Ok(()) => {}
    }
    let cpu = |fallback_reason: Option<String>| Engine {
        device: Device::flex(),
        backend: Backend::Cpu,
        software_gpu: false,
        ready: AiResponse::Ready { backend: Backend::Cpu, adapter: None, max_storage_buffer_binding_size: None, fallback_reason },
    };
    let engine = match choice {
        BackendChoice::Cpu => Ok(cpu(None)),
        BackendChoice::Auto => Ok(match webgpu().await {
            Ok(engine) => engine,
            Err(reason) => {
                web_sys::console::warn_1(&format!("Lumen AI worker: using the CPU: {reason}").into());
                cpu(Some(reason))
            }
        }),
        BackendChoice::WebGpu => webgpu().await.map_err(|reason| format!("WebGPU was asked for but cannot be used: {reason}")),
    };
    let ready = with_state(|s| {
        s.initialising = false;
        engine.map(|e| {
            let ready = e.ready.clone();
            s.engine = Some(Rc::new(e));
            ready
        })
    });
    match ready {
        Ok(ready) => post(&ready),
        Err(message) => fail(None, message),
    }
}

fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// WebGPU through burn-wgpu, after checking in JS that the browser has an adapter with the limits the models
/// need (so that wgpu is only asked for what exists). The error is the reason for the CPU fallback.
async fn webgpu() -> Result<Engine, String> {
    let gpu = get(&scope().navigator(), "gpu");
    if gpu.is_undefined() || gpu.is_null() {
        return Err("this browser offers no WebGPU in workers (navigator.gpu is absent)".into());
    }
    let request_adapter: Function =
        get(&gpu, "requestAdapter").dyn_into().map_err(|_| "navigator.gpu.requestAdapter is not a function".to_string())?;
    let promise: js_sys::Promise = request_adapter
        .call0(&gpu)
        .map_err(|e| format!("requestAdapter failed: {}", js_text(&e)))?
        .dyn_into()
        .map_err(|_| "requestAdapter did not return a promise".to_string())?;
    let adapter = JsFuture::from(promise).await.map_err(|e| format!("requestAdapter failed: {}", js_text(&e)))?;
    if adapter.is_null() || adapter.is_undefined() {
        return Err("WebGPU has no adapter (no usable GPU or software renderer)".into());
    }
    let adapter_limit = get(&get(&adapter, "limits"), "maxStorageBufferBindingSize").as_f64().unwrap_or(0.0) as u64;
    if adapter_limit < MIN_STORAGE_BINDING {
        return Err(format!(
            "the WebGPU adapter allows storage buffers of {adapter_limit} bytes, the models need {MIN_STORAGE_BINDING}"
        ));
    }
    let info = get(&adapter, "info");
    let description = ["description", "vendor", "architecture", "device"]
        .iter()
        .filter_map(|k| get(&info, k).as_string().filter(|v| !v.is_empty()))
        .collect::<Vec<_>>()
        .join(" ");
    let software_gpu = get(&info, "isFallbackAdapter").as_bool() == Some(true)
        || get(&adapter, "isFallbackAdapter").as_bool() == Some(true)
        || request::is_software_adapter(&description);
    let adapter_name = if description.is_empty() { "unnamed WebGPU adapter".to_string() } else { description };

    let (device, setup) = Device::wgpu_options()
        .graphics_api(burn::tensor::wgpu::WgpuBackend::WebGpu)
        .init_with_setup_async()
        .await
        .map_err(|e| format!("burn could not open the WebGPU device: {e}"))?;
    let limit = setup.device.limits().max_storage_buffer_binding_size;
    if limit < MIN_STORAGE_BINDING {
        return Err(format!("the WebGPU device allows storage buffers of {limit} bytes, the models need {MIN_STORAGE_BINDING}"));
    }
    Ok(Engine {
        device,
        backend: Backend::WebGpu,
        software_gpu,
        ready: AiResponse::Ready {
            backend: Backend::WebGpu,
            adapter: Some(adapter_name),
            max_storage_buffer_binding_size: Some(limit),
            fallback_reason: None,
        },
    })
}

fn engine() -> Result<Rc<Engine>, String> {
    with_state(|s| s.engine.clone()).ok_or_else(|| "the AI worker is not ready: send init first".to_string())
}

// --- fetching ----------------------------------------------------------------------------------------------------

async fn fetch(url: &str, signal: &AbortSignal) -> Result<Response, String> {
    let init = RequestInit::new();
    init.set_signal(Some(signal));
    let resp = JsFuture::from(scope().fetch_with_str_and_init(url, &init))
        .await
        .map_err(|e| format!("{url}: {}", js_text(&e)))?;
    let resp: Response = resp.dyn_into().map_err(|_| format!("{url}: fetch did not return a Response"))?;
    if !resp.ok() {
        return Err(format!("{url}: HTTP {} {}", resp.status(), resp.status_text()));
    }
    Ok(resp)
}

async fn response_text(url: &str, resp: Response) -> Result<String, String> {
    let promise = resp.text().map_err(|e| format!("{url}: {}", js_text(&e)))?;
    JsFuture::from(promise)
        .await
        .map_err(|e| format!("{url}: {}", js_text(&e)))?
        .as_string()
        .ok_or_else(|| format!("{url}: the body is not text"))
}

async fn response_bytes(resp: Response) -> Result<Vec<u8>, String> {
    let promise = resp.array_buffer().map_err(|e| js_text(&e))?;
    let buffer = JsFuture::from(promise).await.map_err(|e| js_text(&e))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// Streams `url` into memory, posting download progress against `expected` bytes (the manifest's size); more
/// bytes than that are refused at once.
async fn download(job: JobId, url: &str, expected: u64, signal: &AbortSignal) -> Result<Vec<u8>, String> {
    let resp = fetch(url, signal).await?;
    let body = resp.body().ok_or_else(|| format!("{url}: the response has no body"))?;
    let reader: web_sys::ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut bytes = Vec::with_capacity(expected.min(1 << 30) as usize);
    let mut reported = 0usize;
    post(&AiResponse::Progress { job, stage: Stage::Download, done: 0, total: expected });
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(|e| format!("{url}: {}", js_text(&e)))?;
        check_not_cancelled(job)?;
        if get(&chunk, "done").as_bool().unwrap_or(true) {
            break;
        }
        let value: Uint8Array =
            get(&chunk, "value").dyn_into().map_err(|_| format!("{url}: the stream gave something other than bytes"))?;
        let start = bytes.len();
        let len = value.length() as usize;
        if (start + len) as u64 > expected {
            let _ = reader.cancel();
            return Err(format!("{url}: the server sent more than the {expected} bytes the manifest announces"));
        }
        bytes.resize(start + len, 0);
        value.copy_to(&mut bytes[start..]);
        if bytes.len() - reported >= PROGRESS_STEP {
            reported = bytes.len();
            post(&AiResponse::Progress { job, stage: Stage::Download, done: reported as u64, total: expected });
        }
    }
    if reported != bytes.len() {
        post(&AiResponse::Progress { job, stage: Stage::Download, done: bytes.len() as u64, total: expected });
    }
    Ok(bytes)
}

/// The models cache, or `None` (with a console note) where the Cache API is unavailable.
async fn open_cache() -> Option<Cache> {
    let caches = match scope().caches() {
        Ok(c) => c,
        Err(e) => {
            web_sys::console::warn_1(&format!("Lumen AI worker: no Cache API, weights are not kept: {}", js_text(&e)).into());
            return None;
        }
    };
    match JsFuture::from(caches.open(CACHE_NAME)).await {
        Ok(cache) => cache.dyn_into().ok(),
        Err(e) => {
            web_sys::console::warn_1(&format!("Lumen AI worker: cannot open the models cache: {}", js_text(&e)).into());
            None
        }
    }
}

async fn cached_bytes(cache: &Cache, key: &str) -> Option<Vec<u8>> {
    let hit = JsFuture::from(cache.match_with_str(key)).await.ok()?;
    let resp: Response = hit.dyn_into().ok()?;
    response_bytes(resp).await.ok()
}

/// Stores verified weights under `key` and drops other versions of the same file.
async fn store_in_cache(cache: &Cache, key: &str, prefix: &str, bytes: &[u8]) {
    let body = Uint8Array::from(bytes);
    let stored = match Response::new_with_opt_buffer_source(Some(&body)) {
        Ok(resp) => JsFuture::from(cache.put_with_str(key, &resp)).await.map(|_| ()),
        Err(e) => Err(e),
    };
    if let Err(e) = stored {
        web_sys::console::warn_1(&format!("Lumen AI worker: weights not cached: {}", js_text(&e)).into());
        return;
    }
    let Ok(keys) = JsFuture::from(cache.keys()).await else { return };
    for req in Array::from(&keys).iter() {
        let url = get(&req, "url").as_string().unwrap_or_default();
        if url.starts_with(prefix) && url != key {
            let _ = JsFuture::from(cache.delete_with_str(&url)).await;
        }
    }
}

// --- load ---------------------------------------------------------------------------------------------------------

/// `base_url` made absolute against the worker's own location (the Cache API needs absolute URLs).
fn absolute(base_url: &str) -> Result<String, String> {
    let here = scope().location().href();
    web_sys::Url::new_with_base(base_url, &here)
        .map(|u| u.href())
        .map_err(|e| format!("{base_url:?} is not a URL: {}", js_text(&e)))
}

async fn load(job: JobId, model: &str, base_url: &str) -> Result<AiResponse, String> {
    let t0 = now_ms();
    request::check_model_id(model)?;
    let engine = engine()?;
    let base = absolute(base_url)?;
    let controller = AbortController::new().map_err(|e| js_text(&e))?;
    let signal = controller.signal();
    with_state(|s| {
        if let Some(slot) = s.jobs.get_mut(&job) {
            *slot = Some(controller);
        }
    });

    let manifest_url = request::package_url(&base, model, "manifest.json");
    let text = response_text(&manifest_url, fetch(&manifest_url, &signal).await?).await?;
    let manifest = ModelManifest::from_json(&text).map_err(|e| format!("{manifest_url}: {e}"))?;
    if manifest.id != model {
        return Err(format!("{manifest_url} describes model {:?}, not {model:?}", manifest.id));
    }
    if !manifest.runs_on.in_browser() {
        // Refused before its weights are downloaded: the viewer asks the Lumen server to run it.
        return Err(format!("model {model} runs on the Lumen server, not in the browser (its manifest says runs_on: server)"));
    }
    request::check_file_name(&manifest.weights.file)?;
    let expected = manifest.weights.sha256.to_ascii_lowercase();
    let weights_url = request::package_url(&base, model, &manifest.weights.file);
    let key = request::cache_key(&weights_url, &expected);
    check_not_cancelled(job)?;

    let cache = open_cache().await;
    let mut weights = None;
    if let Some(cache) = &cache {
        if let Some(bytes) = cached_bytes(cache, &key).await {
            let total = bytes.len() as u64;
            post(&AiResponse::Progress { job, stage: Stage::Verify, done: 0, total });
            if sha256_hex(&bytes) == expected {
                post(&AiResponse::Progress { job, stage: Stage::Verify, done: total, total });
                weights = Some(bytes);
            } else {
                web_sys::console::warn_1(&format!("Lumen AI worker: cached weights of {model} are corrupt; downloading again").into());
                let _ = JsFuture::from(cache.delete_with_str(&key)).await;
            }
        }
    }
    let from_cache = weights.is_some();
    let weights = match weights {
        Some(w) => w,
        None => {
            let bytes = download(job, &weights_url, manifest.weights.bytes, &signal).await?;
            let total = bytes.len() as u64;
            post(&AiResponse::Progress { job, stage: Stage::Verify, done: 0, total });
            let actual = sha256_hex(&bytes);
            if actual != expected {
                return Err(format!(
                    "model {model}: the downloaded weights {weights_url} ({total} bytes) have SHA-256 {actual}, the manifest \
                     says {expected}: refused, not cached and not loaded (corrupt or tampered download)"
                ));
            }
            post(&AiResponse::Progress { job, stage: Stage::Verify, done: total, total });
            check_not_cancelled(job)?;
            if let Some(cache) = &cache {
                store_in_cache(cache, &key, &request::cache_prefix(&weights_url), &bytes).await;
            }
            bytes
        }
    };
    check_not_cancelled(job)?;

    let selftest_url = request::package_url(&base, model, "selftest.json");
    let selftest_text = response_text(&selftest_url, fetch(&selftest_url, &signal).await?).await?;
    let recorded: SelfTest = serde_json::from_str(&selftest_text).map_err(|e| format!("{selftest_url}: {e}"))?;
    check_not_cancelled(job)?;

    // A 3D model on a software WebGPU adapter runs on the CPU backend (see `Engine::software_gpu`).
    let on_cpu = engine.software_gpu && manifest.is_volumetric();
    let device = if on_cpu { Device::flex() } else { engine.device.clone() };
    let loaded = LoadedModel::load(manifest, weights, &device).map_err(|e| e.to_string())?;
    post(&AiResponse::Progress { job, stage: Stage::WarmUp, done: 0, total: 1 });
    let t_warm = now_ms();
    let ours = loaded.selftest_outputs().await.map_err(|e| e.to_string())?;
    let warm_up_ms = now_ms() - t_warm;
    let selftest_max_diff = request::max_abs_diff(&ours, &recorded.probabilities).map_err(|e| format!("model {model}: {e}"))?;
    post(&AiResponse::Progress { job, stage: Stage::WarmUp, done: 1, total: 1 });
    check_not_cancelled(job)?;
    with_state(|s| {
        s.models.insert(model.to_string(), Rc::new(loaded));
        if on_cpu {
            s.on_cpu.insert(model.to_string());
        } else {
            s.on_cpu.remove(model);
        }
    });
    Ok(AiResponse::Loaded { job, model: model.to_string(), from_cache, selftest_max_diff, ms: now_ms() - t0, warm_up_ms })
}

// --- run ----------------------------------------------------------------------------------------------------------

fn grey_from_js(width: u32, height: u32, pixels: &RunPixels, buf: &JsValue) -> Result<GreyImage, String> {
    if let Some(values) = buf.dyn_ref::<Float32Array>() {
        request::grey_image(width, height, pixels, PixelBuf::F32(&values.to_vec()))
    } else if let Some(bytes) = buf.dyn_ref::<Uint8Array>() {
        request::grey_image(width, height, pixels, PixelBuf::U8(&bytes.to_vec()))
    } else {
        request::grey_image(width, height, pixels, PixelBuf::Missing)
    }
}

/// Item 1 of a `run-volume` request (the page's typed array, transferred), read slice by slice.
struct JsVolume<'a>(&'a JsValue);

impl VolumeSource for JsVolume<'_> {
    fn samples(&self) -> Option<VolumeSamples> {
        let b = self.0;
        Some(if b.is_instance_of::<Float32Array>() {
            VolumeSamples::F32
        } else if b.is_instance_of::<Int16Array>() {
            VolumeSamples::Stored(StoredSampleType::I16)
        } else if b.is_instance_of::<Uint16Array>() {
            VolumeSamples::Stored(StoredSampleType::U16)
        } else if b.is_instance_of::<Int8Array>() {
            VolumeSamples::Stored(StoredSampleType::I8)
        } else if b.is_instance_of::<Uint8Array>() {
            VolumeSamples::Stored(StoredSampleType::U8)
        } else {
            return None;
        })
    }

    fn len(&self) -> usize {
        Reflect::get(self.0, &"length".into()).ok().and_then(|l| l.as_f64()).map_or(0, |l| l as usize)
    }

    fn f32_range(&self, start: usize, n: usize, out: &mut Vec<f32>) {
        out.clear();
        if let Some(a) = self.0.dyn_ref::<Float32Array>() {
            out.resize(n, 0.0);
            a.subarray(start as u32, (start + n) as u32).copy_to(out);
        }
    }

    fn stored_range(&self, start: usize, n: usize) -> StoredSamples {
        let (a, b) = (start as u32, (start + n) as u32);
        let js = self.0;
        if let Some(x) = js.dyn_ref::<Int16Array>() {
            StoredSamples::I16(x.subarray(a, b).to_vec())
        } else if let Some(x) = js.dyn_ref::<Uint16Array>() {
            StoredSamples::U16(x.subarray(a, b).to_vec())
        } else if let Some(x) = js.dyn_ref::<Int8Array>() {
            StoredSamples::I8(x.subarray(a, b).to_vec())
        } else if let Some(x) = js.dyn_ref::<Uint8Array>() {
            StoredSamples::U8(x.subarray(a, b).to_vec())
        } else {
            StoredSamples::U8(Vec::new())
        }
    }
}

enum RunOutput {
    Classes { probabilities: Vec<f32>, findings: Vec<qc_rules::Finding>, backend: Backend, ms: f64 },
    Labels { labels: Vec<u8>, counts: Vec<u64>, backend: Backend, ms: f64 },
}

async fn run(model: &str, width: u32, height: u32, pixels: &RunPixels, buf: &JsValue, rules: bool) -> Result<RunOutput, String> {
    let engine = engine()?;
    let loaded = with_state(|s| s.models.get(model).cloned())
        .ok_or_else(|| format!("model {model:?} is not loaded: send load first"))?;
    let t0 = now_ms();
    let pixels = request::model_pixels(&loaded.manifest, pixels);
    let img = grey_from_js(width, height, &pixels, buf)?;
    if loaded.manifest.task == Task::Segmentation {
        let seg = loaded.segment(&img).await.map_err(|e| e.to_string())?;
        let counts = seg.counts(loaded.manifest.outputs.len()).into_iter().map(|c| c as u64).collect();
        return Ok(RunOutput::Labels { labels: seg.labels, counts, backend: engine.backend, ms: now_ms() - t0 });
    }
    let findings = if rules { qc_rules::check(&img) } else { Vec::new() };
    let probs = loaded.classify(std::slice::from_ref(&img)).await.map_err(|e| e.to_string())?;
    let probabilities = probs.into_iter().next().ok_or_else(|| format!("model {model}: no output"))?;
    Ok(RunOutput::Classes { probabilities, findings, backend: engine.backend, ms: now_ms() - t0 })
}

struct VolumeOutput {
    /// Every slice's label map, concatenated in the request's order (a JS array, written slice by slice: the
    /// worker's memory never holds a second copy of the label maps).
    labels: Uint8Array,
    grid: [u32; 3],
    blocks: u32,
    counts: Vec<u64>,
    backend: Backend,
    ms: f64,
}

/// Resolves after the worker's event loop has run once (a zero timeout), so that a `cancel` posted meanwhile is
/// handled between two blocks.
async fn next_turn() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if scope().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0).is_err() {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// A 3D model on a whole series: block by block ([`LoadedModel::segment_volume`]), progress after every block,
/// stopped between two blocks once the job is cancelled.
#[allow(clippy::too_many_arguments)]
#[allow(clippy::too_many_arguments)]
async fn run_volume(
    job: JobId,
    model: &str,
    width: u32,
    height: u32,
    depth: u32,
    spacing: [f32; 3],
    pixels: &RunPixels,
    rescale: Option<&[[f64; 2]]>,
    buf: &JsValue,
) -> Result<VolumeOutput, String> {
    let engine = engine()?;
    let loaded = with_state(|s| s.models.get(model).cloned())
        .ok_or_else(|| format!("model {model:?} is not loaded: send load first"))?;
    if !loaded.manifest.is_volumetric() {
        return Err(format!("model {model} labels one image at a time: send run, not run-volume"));
    }
    let t0 = now_ms();
    let pixels = request::model_pixels(&loaded.manifest, pixels);
    // Read from the page's array one slice at a time, each slice resampled in plane onto the model's grid at once:
    // no full-resolution copy of the series in this memory (12.5 MB instead of 230 MB for a 512² × 220 CT).
    let voxel = loaded.manifest.input.voxel_mm.unwrap_or(1.0);
    let volume = request::grey_volume(width, height, depth, spacing, Some(voxel), &pixels, rescale, &JsVolume(buf))?;
    let mut blocks = 0;
    let seg = loaded
        .segment_volume(&volume, |done, total| {
            blocks = done;
            post(&AiResponse::Progress { job, stage: Stage::Run, done: done as u64, total: total as u64 });
            async move {
                next_turn().await;
                !is_cancelled(job)
            }
        })
        .await
        .map_err(|e| e.to_string())?;
    let classes = loaded.manifest.outputs.len();
    let mut counts = vec![0u64; classes];
    let labels = Uint8Array::new_with_length(seg.slices.iter().map(Vec::len).sum::<usize>() as u32);
    let mut at = 0u32;
    for slice in &seg.slices {
        for &l in slice {
            if let Some(c) = counts.get_mut(l as usize) {
                *c += 1;
            }
        }
        labels.subarray(at, at + slice.len() as u32).copy_from(slice);
        at += slice.len() as u32;
    }
    let grid = seg.grid.map(|n| n as u32);
    let backend = if with_state(|s| s.on_cpu.contains(model)) { Backend::Cpu } else { engine.backend };
    Ok(VolumeOutput { labels, grid, blocks: blocks as u32, counts, backend, ms: now_ms() - t0 })
}
