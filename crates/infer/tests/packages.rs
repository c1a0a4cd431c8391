#![cfg(feature = "flex")]
//! The committed model packages in `models/`: each manifest is valid, its weights match their hash and load into
//! the architecture it names, and the runtime reproduces the package's recorded self-test output.

use std::path::{Path, PathBuf};

use lumen_infer::selftest::SelfTest;
use lumen_infer::manifest::Task;
use lumen_infer::{Device, InferError, LoadedModel, ModelManifest};

mod common;
use common::block_on;

fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models")
}

fn packages() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(models_dir())
        .expect("models/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("manifest.json").is_file())
        .collect();
    dirs.sort();
    dirs
}

fn load(dir: &Path) -> (ModelManifest, Vec<u8>) {
    let text = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
    let manifest = ModelManifest::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let weights = std::fs::read(dir.join(&manifest.weights.file)).unwrap();
    (manifest, weights)
}

#[test]
fn the_in_house_packages_are_committed() {
    let ids: Vec<String> = packages().iter().map(|d| d.file_name().unwrap().to_string_lossy().into_owned()).collect();
    for id in ["cxr-pneumonia", "cxr-qc"] {
        assert!(ids.iter().any(|i| i == id), "models/{id}/manifest.json missing (have {ids:?})");
    }
}

#[test]
fn every_package_loads_and_reproduces_its_selftest() {
    let device = Device::flex();
    for dir in packages() {
        let (manifest, weights) = load(&dir);
        assert_eq!(manifest.id, dir.file_name().unwrap().to_string_lossy(), "folder name = id");
        assert_eq!(weights.len() as u64, manifest.weights.bytes);
        assert!(dir.join(&manifest.card).is_file(), "{}: model card missing", manifest.id);
        let card = std::fs::read_to_string(dir.join(&manifest.card)).unwrap();
        assert!(!card.contains("(filled in by"), "{}: card metrics never generated", manifest.id);
        let expected: SelfTest =
            serde_json::from_str(&std::fs::read_to_string(dir.join("selftest.json")).unwrap()).unwrap();
        let model = LoadedModel::load(manifest.clone(), weights, &device).unwrap();
        let got = model.selftest_outputs_blocking().unwrap();
        let classes = manifest.outputs.len();
        let points = if manifest.task == Task::Segmentation { 64 } else { 1 };
        assert_eq!(got.len(), classes * points, "{}", manifest.id);
        assert_eq!(expected.probabilities.len(), got.len(), "{}: selftest.json length", manifest.id);
        for point in got.chunks(classes) {
            let sum: f32 = point.iter().sum();
            assert!((sum - 1.0).abs() < 1e-5, "softmax sums to {sum}");
        }
        for (g, e) in got.iter().zip(&expected.probabilities) {
            assert!((g - e).abs() < 1e-5, "{}: self-test {:?} vs recorded {:?}", manifest.id, got, expected.probabilities);
        }
    }
}

/// What `lumen-train f16` recorded in metrics.json (`"weights"`) agrees with the package, and a package that ships
/// f16 weights met the rule of docs/AI.md ("f16 weights") on its held-out evaluation.
#[test]
fn f16_weights_ship_only_where_the_recorded_parity_holds() {
    let mut converted = 0;
    for dir in packages() {
        let (manifest, weights) = load(&dir);
        let dtypes = lumen_infer::weights::tensor_dtypes(&weights).unwrap();
        let want = manifest.weights.element_type().unwrap().safetensors_name();
        assert!(dtypes.iter().all(|(_, d)| d == want), "{}: tensors {dtypes:?}, manifest {want}", manifest.id);
        let metrics: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("metrics.json")).unwrap()).unwrap();
        let record = &metrics["weights"];
        if record.is_null() {
            assert_eq!(manifest.weights.dtype, "f32", "{}: f16 weights without a recorded parity check", manifest.id);
            continue;
        }
        converted += 1;
        assert_eq!(record["dtype"], manifest.weights.dtype.as_str(), "{}", manifest.id);
        assert_eq!(record["bytes"], manifest.weights.bytes, "{}", manifest.id);
        let card = std::fs::read_to_string(dir.join(&manifest.card)).unwrap();
        assert!(card.contains(&manifest.weights.sha256), "{}: the card's weights section is stale", manifest.id);
        let parity = &record["parity"];
        let holds = parity["metrics"].as_array().unwrap().iter().all(|m| {
            m["change"].as_f64().unwrap().abs() <= m["allowed"].as_f64().unwrap()
        }) && match manifest.task {
            Task::Classification => parity["max_abs_probability_change"].as_f64().unwrap() <= 1e-3,
            Task::Segmentation => parity["label_agreement"].as_f64().unwrap() >= 0.999,
        };
        assert_eq!(record["f16_holds"].as_bool(), Some(holds), "{}: recorded verdict vs its numbers", manifest.id);
        assert_eq!(manifest.weights.dtype == "f16", holds, "{}: ships {} but f16 holds: {holds}", manifest.id, manifest.weights.dtype);
        if holds {
            assert!(record["f16_bytes"].as_u64().unwrap() * 2 < record["f32_bytes"].as_u64().unwrap() + 16384);
        }
    }
    assert!(converted >= 1, "no package has been through lumen-train f16");
}

/// What the browser's worker runs as its warm-up parity check (`selftest_outputs`, asynchronous read-back) gives
/// the recorded numbers for every package it may run — the 3D one too, block by block — and a 3D package allowed in
/// the browser keeps its blocks small enough for WebGPU: its largest activation (a block with its margin, every
/// channel, f32) fits the default `maxStorageBufferBindingSize` of 128 MiB.
#[test]
fn packages_the_browser_may_run_pass_the_worker_selftest() {
    let device = Device::flex();
    let mut volumetric = 0;
    for dir in packages() {
        let (manifest, weights) = load(&dir);
        if !manifest.runs_on.in_browser() {
            continue;
        }
        if let lumen_infer::manifest::Architecture::Meshnet3d(spec) = &manifest.architecture {
            volumetric += 1;
            let side = manifest.input.size + 2 * spec.receptive_radius();
            let bytes = side.pow(3) * spec.channels.max(spec.classes) * 4;
            assert!(bytes <= 128 << 20, "{}: a block's activation is {bytes} bytes", manifest.id);
        }
        let expected: SelfTest =
            serde_json::from_str(&std::fs::read_to_string(dir.join("selftest.json")).unwrap()).unwrap();
        let model = LoadedModel::load(manifest.clone(), weights, &device).unwrap();
        let got = block_on(model.selftest_outputs()).unwrap();
        assert_eq!(got.len(), expected.probabilities.len(), "{}", manifest.id);
        let diff = got.iter().zip(&expected.probabilities).map(|(g, e)| (g - e).abs()).fold(0f32, f32::max);
        assert!(diff < 1e-5, "{}: the worker's self-test is off by {diff}", manifest.id);
    }
    assert!(volumetric >= 1, "ct-chest-seg3d may run in the browser (runs_on server-or-browser)");
}

#[test]
fn corrupt_weights_are_refused_by_hash() {
    let dir = models_dir().join("cxr-qc");
    let (manifest, mut weights) = load(&dir);
    let last = weights.len() - 1;
    weights[last] ^= 1;
    match LoadedModel::load(manifest, weights, &Device::flex()) {
        Err(InferError::Hash { .. }) => {}
        other => panic!("expected a hash error, got {other:?}"),
    }
}

#[test]
fn weights_for_another_architecture_are_refused() {
    // The QC weights (6 classes) under the pneumonia manifest (2 classes), hash and dtype patched to match.
    let (mut manifest, _) = load(&models_dir().join("cxr-pneumonia"));
    let (qc, qc_weights) = load(&models_dir().join("cxr-qc"));
    manifest.weights.sha256 = lumen_infer::sha256_hex(&qc_weights);
    manifest.weights.dtype = qc.weights.dtype.clone();
    let err = LoadedModel::load(manifest.clone(), qc_weights.clone(), &Device::flex()).unwrap_err();
    assert!(matches!(err, InferError::Weights { .. }), "{err}");
    // Declared in the other element type, the same file is refused for that first, naming a tensor.
    manifest.weights.dtype = if qc.weights.dtype == "f32" { "f16".into() } else { "f32".into() };
    let err = LoadedModel::load(manifest.clone(), qc_weights, &Device::flex()).unwrap_err();
    assert!(matches!(err, InferError::Dtype { .. }), "{err}");
    assert!(err.to_string().contains(&format!("the manifest declares {} weights, but", manifest.weights.dtype)), "{err}");
}
