//! `lumen ai FILE --model DIR [--frame N]`: runs a model package natively (burn's Flex CPU backend) on one frame
//! and prints its outputs as JSON — the same preprocessing and network as the browser's AI worker, so this is the
//! reference the browser's WebGPU and CPU results are compared with.
//!
//! Input: the frame as displayed (`lumen_frames::DecodedFrame::displayed_grey` with the frame's default window:
//! Modality LUT, the file's first window or the full range, MONOCHROME1 inverted). Output:
//! `{"model", "version", "labels", "probabilities", "findings", "backend", "cold_ms", "warm_ms"}` (findings: the
//! pixel rules of `lumen_infer::qc_rules`; the times are of the first and a second inference, preprocessing
//! included).

use lumen_infer::{Device, GreyImage, LoadedModel, ModelManifest};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The DICOM file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The model package folder (with manifest.json), e.g. models/cxr-qc.
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// The frame (1-based). Default: 1.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub frame: u32,
}

pub fn run(args: Args) -> Result<(), String> {
    let in_file = |e: &dyn std::fmt::Display| format!("{}: {e}", args.file.display());
    let in_model = |e: &dyn std::fmt::Display| format!("{}: {e}", args.model.display());
    let text = std::fs::read_to_string(args.model.join("manifest.json")).map_err(|e| in_model(&e))?;
    let manifest = ModelManifest::from_json(&text).map_err(|e| in_model(&e))?;
    let weights = std::fs::read(args.model.join(&manifest.weights.file)).map_err(|e| in_model(&e))?;
    let model = LoadedModel::load(manifest, weights, &Device::flex()).map_err(|e| in_model(&e))?;
    let bytes = std::fs::read(&args.file).map_err(|e| in_file(&e))?;
    let frame = lumen_frames::decode_for_display(&bytes, args.frame).map_err(|e| in_file(&e))?;
    let grey = frame.displayed_grey(&frame.meta.default_window);
    let image = GreyImage::new(frame.meta.columns as usize, frame.meta.rows as usize, grey)
        .ok_or_else(|| in_file(&"empty frame"))?;
    // Timed twice: the first run includes the backend's one-time work (allocation, kernel set-up).
    let t0 = std::time::Instant::now();
    let probabilities = model.classify_blocking(std::slice::from_ref(&image)).map_err(|e| in_model(&e))?;
    let cold_ms = t0.elapsed().as_secs_f64() * 1e3;
    let t1 = std::time::Instant::now();
    model.classify_blocking(std::slice::from_ref(&image)).map_err(|e| in_model(&e))?;
    let warm_ms = t1.elapsed().as_secs_f64() * 1e3;
    let findings = lumen_infer::qc_rules::check(&image);
    let labels: Vec<&str> = model.manifest.outputs.iter().map(|o| o.name.as_str()).collect();
    let out = serde_json::json!({
        "model": model.manifest.id,
        "version": model.manifest.version,
        "labels": labels,
        "probabilities": probabilities[0],
        "findings": findings,
        "backend": "native (burn Flex, CPU)",
        "cold_ms": cold_ms,
        "warm_ms": warm_ms,
    });
    println!("{}", serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?);
    Ok(())
}
