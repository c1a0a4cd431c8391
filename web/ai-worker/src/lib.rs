//! Lumen's AI worker: the `lumen-infer` models in a dedicated Web Worker.
//!
//! `static/ai-worker.js` loads this module (`lumen_ai.js` / `lumen_ai_bg.wasm`, built by `scripts/build-web.sh`
//! apart from the viewer's module, so burn is not in the first-load bundle) and calls [`ai_worker_main`], which
//! answers the protocol of [`lumen_infer::protocol`]:
//! - `init` picks the backend: WebGPU through burn-wgpu when the browser offers an adapter with the limits the
//!   models need, else (or when asked) burn's Flex backend on the CPU; `ready` says which, and why WebGPU was not
//!   used;
//! - `load` fetches `{base_url}/{model}/manifest.json` and the weights (streamed, with progress), checks the
//!   weights' SHA-256 before anything is cached or loaded, keeps them in the Cache API (`lumen-models-v1`, keyed by
//!   URL and hash), loads them and runs the package's self-test image as warm-up and parity check;
//! - `run` / `rules` turn the page's pixels into displayed grey levels and classify them / apply the pixel rules;
//! - `run-volume` runs a 3D model on a whole series (the slices' modality values in volume order and the voxel
//!   spacing) block by block, posting progress after each block and yielding to the event loop so that a `cancel`
//!   stops it before the next; the answer carries every slice's label map (transferred);
//! - `cancel` aborts a download, stops a volume between two blocks and suppresses a job's answer.
//!
//! A model whose manifest says `runs_on: server` is refused at `load` (the two `…-or-…` values are accepted).
//!
//! Every failure is a `failed` message; the worker never panics on bad input (a panic would kill it).

pub mod request;

#[cfg(target_arch = "wasm32")]
mod worker;
#[cfg(target_arch = "wasm32")]
pub use worker::ai_worker_main;

// lumen-frames links lumen-dicom, whose JPEG 2000 decoder imports a few C functions on wasm32.
#[cfg(target_arch = "wasm32")]
use lumen_wasm_libc_shim as _;
