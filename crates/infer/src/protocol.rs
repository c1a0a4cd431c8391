//! The AI worker protocol: what the viewer's UI thread and the AI worker (`web/ai-worker`, started by
//! `static/ai-worker.js`) say to each other.
//!
//! On the wire every message is a JS array: item 0 is the message as JSON text, item 1 (for [`AiRequest::Run`]
//! only) the pixels — a `Float32Array` of modality values ([`RunPixels::Modality`]) or a `Uint8Array` of RGB
//! bytes ([`RunPixels::Rgb8`]), transferred. A segmentation model answers [`AiResponse::Segmentation`] with the
//! label map (one byte per pixel, row-major, the output index; 0 = background) as item 1, a transferred
//! `Uint8Array`. A 3D model runs on a whole series with [`AiRequest::RunVolume`]: item 1 is a `Float32Array` of
//! every slice's modality values, slice after slice in volume order (sorted along the slice normal by the page,
//! `lumen_dicom::geometry::sort_volume`, as the server does) — or, with `rescale`, their stored samples (an
//! `Int16Array` for a 16-bit CT: half the bytes) and each slice's linear Modality LUT — with the voxel spacing; it reports
//! [`AiResponse::Progress`] (stage `run`) after every block, stops between two blocks on a `Cancel`, and answers
//! [`AiResponse::VolumeSegmentation`] with every slice's label map, concatenated in the same order, as item 1 (a
//! transferred `Uint8Array`). The worker posts [`AiResponse::Ready`] once it has chosen its
//! backend; requests sent before are queued by the page.
//!
//! `static/ai-worker.js` holds messages posted while the module starts, so the page may post `Init` at once.
//! A `Cancel` for a job that is no longer running gets no answer. [`WindowPreset`]'s function travels as
//! `"Linear"`, `"LinearExact"` or `"Sigmoid"` (lumen-frames' own serde names). The worker reports
//! `selftest_max_diff` and leaves the verdict to the page.
//!
//! The worker turns the pixels into the model's input itself (window, inversion, resize, normalisation), so the UI
//! thread only copies a buffer.

use lumen_frames::WindowPreset;
use serde::{Deserialize, Serialize};

/// A request's id, chosen by the page; answers carry it back.
pub type JobId = u64;

/// Which compute backend the worker should use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackendChoice {
    /// WebGPU when the browser offers an adapter with the limits the models need, else the CPU.
    Auto,
    WebGpu,
    Cpu,
}

/// The backend the worker runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    /// burn-wgpu on the browser's WebGPU.
    WebGpu,
    /// burn's Flex backend: pure Rust on the CPU, in wasm.
    Cpu,
}

/// How the pixels of a [`AiRequest::Run`] travel (the array's item 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum RunPixels {
    /// A `Float32Array` of modality values, shown through `window` and inverted when `invert` (MONOCHROME1).
    Modality { window: WindowPreset, invert: bool },
    /// A `Uint8Array` of interleaved RGB bytes (taken as luma).
    Rgb8,
}

/// Page → worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum AiRequest {
    /// First message: pick the backend. Answered with [`AiResponse::Ready`].
    Init { backend: BackendChoice },
    /// Download (or take from the Cache API), verify and load model `model` from `{base_url}/{model}/`, then
    /// run a warm-up pass. Answered with progress, then [`AiResponse::Loaded`] or [`AiResponse::Failed`].
    Load { job: JobId, model: String, base_url: String },
    /// Run a loaded model on one image (`width` × `height`), and the pixel rules when `rules` is set. A
    /// classifier answers [`AiResponse::Result`], a segmentation model [`AiResponse::Segmentation`]. For a model
    /// whose input is a fixed window ([`crate::manifest::InputSource::ModalityWindow`]) the request's window and
    /// inversion are ignored.
    Run { job: JobId, model: String, width: u32, height: u32, pixels: RunPixels, rules: bool },
    /// Run a loaded 3D model ([`crate::manifest::ModelManifest::is_volumetric`]) on a whole series of `depth`
    /// slices of `width` × `height` (item 1: `depth × height × width` modality values, slice-major, in volume
    /// order) whose voxels measure `spacing` mm (along a row, along a column, between slices). Answered with
    /// progress per block, then [`AiResponse::VolumeSegmentation`]. With `rescale`, item 1 holds the slices'
    /// stored samples instead (an `Int16Array`, `Uint16Array`, `Int8Array` or `Uint8Array`, half or a quarter of
    /// the bytes of `f32` values) and `rescale[z]` is slice `z`'s linear Modality LUT `[slope, intercept]`: the
    /// worker computes the modality values (in `f64`, rounded to `f32`, as the decoder does) slice by slice.
    RunVolume {
        job: JobId,
        model: String,
        width: u32,
        height: u32,
        depth: u32,
        spacing: [f32; 3],
        pixels: RunPixels,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rescale: Option<Vec<[f64; 2]>>,
    },
    /// Run only the pixel rules ([`crate::qc_rules`]) on one image; needs no model.
    Rules { job: JobId, width: u32, height: u32, pixels: RunPixels },
    /// Drop job `job`: a download is aborted; a result not yet posted is not posted.
    Cancel { job: JobId },
}

/// What a job is doing, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    Download,
    Verify,
    WarmUp,
    Run,
}

/// Worker → page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum AiResponse {
    Ready {
        backend: Backend,
        /// The adapter's description (WebGPU only).
        adapter: Option<String>,
        /// `maxStorageBufferBindingSize` of the device (WebGPU only).
        max_storage_buffer_binding_size: Option<u64>,
        /// Why WebGPU was not used, when it was asked for or available but refused.
        fallback_reason: Option<String>,
    },
    Progress { job: JobId, stage: Stage, done: u64, total: u64 },
    Loaded {
        job: JobId,
        model: String,
        /// The weights came from the Cache API (no download).
        from_cache: bool,
        /// Largest absolute difference between this backend's output on [`crate::selftest::image`] and the
        /// package's `selftest.json` (native Flex): the parity check, run as the warm-up pass.
        selftest_max_diff: f32,
        /// Download + verify + load + warm-up, ms.
        ms: f64,
        /// The warm-up (first) inference alone, ms.
        warm_up_ms: f64,
    },
    Result {
        job: JobId,
        model: String,
        /// Softmax probabilities in the order of the manifest's outputs.
        probabilities: Vec<f32>,
        /// Pixel-rule findings (empty unless asked for).
        findings: Vec<crate::qc_rules::Finding>,
        backend: Backend,
        /// Inference time (preprocessing included), ms.
        ms: f64,
    },
    /// A segmentation model's answer; the label map (`width × height` bytes) travels as item 1.
    Segmentation {
        job: JobId,
        model: String,
        width: u32,
        height: u32,
        /// Pixels of each output index, in the order of the manifest's outputs.
        counts: Vec<u64>,
        backend: Backend,
        /// Inference time (preprocessing and up-sampling included), ms.
        ms: f64,
    },
    /// A 3D model's answer; the label maps (`depth` slices of `width × height` bytes, in the request's order)
    /// travel as item 1.
    VolumeSegmentation {
        job: JobId,
        model: String,
        width: u32,
        height: u32,
        depth: u32,
        /// The model's grid, `[depth, height, width]` voxels.
        grid: [u32; 3],
        /// Blocks run.
        blocks: u32,
        /// Voxels of each output index, in the order of the manifest's outputs.
        counts: Vec<u64>,
        backend: Backend,
        /// Inference time (resampling and label maps included), ms.
        ms: f64,
    },
    RulesResult { job: JobId, findings: Vec<crate::qc_rules::Finding> },
    Failed { job: Option<JobId>, message: String },
    Cancelled { job: JobId },
}

#[cfg(test)]
mod tests {
    use super::*;
    use lumen_frames::WindowFunction;

    #[test]
    fn messages_round_trip_as_tagged_json() {
        let run = AiRequest::Run {
            job: 7,
            model: "cxr-qc".into(),
            width: 2,
            height: 3,
            pixels: RunPixels::Modality {
                window: WindowPreset { center: 40.0, width: 400.0, function: WindowFunction::Linear, explanation: None },
                invert: true,
            },
            rules: true,
        };
        let text = serde_json::to_string(&run).unwrap();
        assert!(text.starts_with(r#"{"type":"run","job":7"#), "{text}");
        assert!(text.contains(r#""kind":"modality""#), "{text}");
        assert_eq!(serde_json::from_str::<AiRequest>(&text).unwrap(), run);
        let ready: AiResponse = serde_json::from_str(
            r#"{"type":"ready","backend":"cpu","adapter":null,"max_storage_buffer_binding_size":null,"fallback_reason":"no adapter"}"#,
        )
        .unwrap();
        assert!(matches!(ready, AiResponse::Ready { backend: Backend::Cpu, .. }));
        assert!(serde_json::from_str::<AiRequest>(r#"{"type":"explode"}"#).is_err());
        let volume: AiRequest = serde_json::from_str(
            r#"{"type":"run-volume","job":9,"model":"ct-chest-seg3d","width":96,"height":96,"depth":22,"spacing":[3.7,3.7,12.5],
                "pixels":{"kind":"modality","window":{"center":40,"width":400,"function":"Linear","explanation":null},"invert":false}}"#,
        )
        .unwrap();
        assert!(matches!(volume, AiRequest::RunVolume { depth: 22, spacing: [_, _, s], rescale: None, .. } if s == 12.5));
        // Stored samples: each slice's slope and intercept travel with the request.
        let stored = AiRequest::RunVolume {
            job: 10,
            model: "ct-chest-seg3d".into(),
            width: 2,
            height: 2,
            depth: 2,
            spacing: [1.0, 1.0, 2.0],
            pixels: RunPixels::Modality { window: WindowPreset { center: 40.0, width: 400.0, function: WindowFunction::Linear, explanation: None }, invert: false },
            rescale: Some(vec![[1.0, -1024.0], [0.5, -1000.0]]),
        };
        let text = serde_json::to_string(&stored).unwrap();
        assert!(text.contains(r#""rescale":[[1.0,-1024.0],[0.5,-1000.0]]"#), "{text}");
        assert_eq!(serde_json::from_str::<AiRequest>(&text).unwrap(), stored);
        let answer = AiResponse::VolumeSegmentation {
            job: 9,
            model: "ct-chest-seg3d".into(),
            width: 96,
            height: 96,
            depth: 22,
            grid: [92, 119, 119],
            blocks: 8,
            counts: vec![1, 2, 3, 4],
            backend: Backend::Cpu,
            ms: 1.0,
        };
        let text = serde_json::to_string(&answer).unwrap();
        assert!(text.starts_with(r#"{"type":"volume-segmentation","job":9"#), "{text}");
        assert_eq!(serde_json::from_str::<AiResponse>(&text).unwrap(), answer);
    }
}
