#![cfg(feature = "flex")]
//! The numbers in the committed model cards come from the committed weights: the held-out test split of
//! `../shared/data/cxr-pneumonia` is scored again through the runtime and compared with each package's
//! `metrics.json`. Skipped, with a message, when the data is absent (it is never in the repository).

use std::path::{Path, PathBuf};

use lumen_infer::presentation::QC_CLASSES;
use lumen_infer::{Device, GreyImage, LoadedModel, ModelManifest};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("LUMEN_CXR_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/data/cxr-pneumonia"));
    if dir.join("labels.csv").is_file() {
        Some(dir)
    } else {
        eprintln!("SKIPPED: no training data at {} (../shared/data is not in the repository)", dir.display());
        None
    }
}

/// The test split: (image, label).
fn test_split(dir: &Path) -> Vec<(GreyImage, u8)> {
    let csv = std::fs::read_to_string(dir.join("labels.csv")).unwrap();
    csv.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            (f.last() == Some(&"test")).then(|| {
                let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(dir.join(f[0])).unwrap()));
                let mut reader = decoder.read_info().unwrap();
                let mut buf = vec![0; reader.output_buffer_size().unwrap()];
                let info = reader.next_frame(&mut buf).unwrap();
                let step = info.color_type.samples();
                let px: Vec<u8> = buf[..info.buffer_size()].chunks(step).map(|c| c[0]).collect();
                (GreyImage::from_u8(info.width as usize, info.height as usize, &px).unwrap(), f[1].parse().unwrap())
            })
        })
        .collect()
}

fn load(id: &str) -> (LoadedModel, serde_json::Value) {
    let dir = repo().join("models").join(id);
    let manifest = ModelManifest::from_json(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let weights = std::fs::read(dir.join(&manifest.weights.file)).unwrap();
    let metrics = serde_json::from_str(&std::fs::read_to_string(dir.join("metrics.json")).unwrap()).unwrap();
    (LoadedModel::load(manifest, weights, &Device::flex()).unwrap(), metrics)
}

#[test]
fn the_pneumonia_card_auc_is_reproduced_from_the_weights() {
    let Some(dir) = data_dir() else { return };
    let films = test_split(&dir);
    assert_eq!(films.len(), 150);
    let (model, metrics) = load("cxr-pneumonia");
    let images: Vec<GreyImage> = films.iter().map(|f| f.0.clone()).collect();
    let scores: Vec<f32> = model.classify_blocking(&images).unwrap().iter().map(|p| p[1]).collect();
    // Mann–Whitney AUC (ties count half).
    let (mut won, mut pairs) = (0.0f64, 0.0f64);
    for (sp, _) in scores.iter().zip(&films).filter(|(_, f)| f.1 == 1) {
        for (sn, _) in scores.iter().zip(&films).filter(|(_, f)| f.1 == 0) {
            pairs += 1.0;
            won += if sp > sn { 1.0 } else if sp == sn { 0.5 } else { 0.0 };
        }
    }
    let auc = won / pairs;
    // Per film: the recorded scores are the committed weights' (after an f16 conversion, the f16 weights').
    let recorded_scores: Vec<f64> = metrics["test"]["scores"].as_array().unwrap().iter().map(|s| s.as_f64().unwrap()).collect();
    assert_eq!(recorded_scores.len(), scores.len());
    let worst = scores.iter().zip(&recorded_scores).map(|(a, b)| (f64::from(*a) - b).abs()).fold(0.0, f64::max);
    assert!(worst < 1e-5, "a film's score differs from metrics.json by {worst}");
    let recorded = metrics["test"]["auc"].as_f64().unwrap();
    assert!((auc - recorded).abs() < 1e-3, "AUC {auc} from the weights vs {recorded} in metrics.json");
    assert!(auc > 0.8, "the committed triage model separates the held-out films (AUC {auc})");
}

#[test]
fn the_qc_card_accuracy_is_reproduced_from_the_weights() {
    let Some(dir) = data_dir() else { return };
    let films = test_split(&dir);
    let (model, metrics) = load("cxr-qc");
    let mut correct = [0usize; 6];
    for (img, _) in &films {
        let variants: Vec<GreyImage> = QC_CLASSES.iter().map(|c| c.apply(img)).collect();
        let probs = model.classify_blocking(&variants).unwrap();
        for (truth, p) in probs.iter().enumerate() {
            let top = p.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
            correct[truth] += (top == truth) as usize;
        }
    }
    let recorded: Vec<u64> =
        metrics["test"]["per_class"].as_array().unwrap().iter().map(|c| c["correct"].as_u64().unwrap()).collect();
    for (i, (&got, &want)) in correct.iter().zip(&recorded).enumerate() {
        // Float sums in another order may flip a film sitting on a decision boundary, not more.
        assert!((got as i64 - want as i64).abs() <= 1, "class {i}: {got} correct now, {want} in metrics.json");
    }
    assert!(correct.iter().all(|&c| c >= 135), "each presentation recognised on ≥ 90% of held-out films: {correct:?}");
}
