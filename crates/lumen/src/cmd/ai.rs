//! `lumen ai FILE --model DIR [--frame N]`: runs a model package natively (burn's Flex CPU backend) on one frame
//! and prints its outputs as JSON — the same preprocessing and network as the browser's AI worker, so this is the
//! reference the browser's WebGPU and CPU results are compared with.
//!
//! Input: the frame as displayed (`lumen_frames::displayed_grey` with the frame's default window: Modality LUT,
//! the file's first window or the full range, MONOCHROME1 inverted), or, for a model with a fixed input window
//! (the CT segmentation), the modality values through that window. Output for a classifier:
//! `{"model", "version", "labels", "probabilities", "findings", "backend", "cold_ms", "warm_ms"}` (findings: the
//! pixel rules of `lumen_infer::qc_rules`; the times are of the first and a second inference, preprocessing
//! included); for a segmentation model `"counts"` (pixels per output) and `"label_map_sha256"` instead of
//! probabilities and findings, and `--labels-out FILE` writes the label map (one byte per pixel, row-major).

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
    /// Segmentation models: write the label map here (columns × rows bytes, row-major, the output index).
    #[arg(long, value_name = "FILE")]
    pub labels_out: Option<PathBuf>,
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
    let image = model.manifest.frame_input(&frame).ok_or_else(|| in_file(&"empty frame"))?;
    if model.manifest.task == lumen_infer::manifest::Task::Segmentation {
        return segment(&args, &model, &image);
    }
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

fn segment(args: &Args, model: &LoadedModel, image: &GreyImage) -> Result<(), String> {
    let in_model = |e: &dyn std::fmt::Display| format!("{}: {e}", args.model.display());
    let t0 = std::time::Instant::now();
    let seg = model.segment_blocking(image).map_err(|e| in_model(&e))?;
    let cold_ms = t0.elapsed().as_secs_f64() * 1e3;
    let t1 = std::time::Instant::now();
    model.segment_blocking(image).map_err(|e| in_model(&e))?;
    let warm_ms = t1.elapsed().as_secs_f64() * 1e3;
    if let Some(path) = &args.labels_out {
        std::fs::write(path, &seg.labels).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let labels: Vec<&str> = model.manifest.outputs.iter().map(|o| o.name.as_str()).collect();
    let out = serde_json::json!({
        "model": model.manifest.id,
        "version": model.manifest.version,
        "labels": labels,
        "width": seg.width,
        "height": seg.height,
        "counts": seg.counts(labels.len()),
        "label_map_sha256": lumen_infer::sha256_hex(&seg.labels),
        "backend": "native (burn Flex, CPU)",
        "cold_ms": cold_ms,
        "warm_ms": warm_ms,
    });
    println!("{}", serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?);
    Ok(())
}
