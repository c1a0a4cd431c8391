//! Model packages: the manifests of the in-house models, held-out evaluation through the runtime's own loading
//! path, and the files written to `models/<id>/`.

use std::path::Path;

use lumen_infer::manifest::{Architecture, Code, InputSource, InputSpec, ModelManifest, OutputLabel, RunsOn, Task, WeightsRef};
use lumen_infer::preprocess::model_input;
use lumen_infer::{sha256_hex, Classifier2dSpec, Device, GreyImage, LoadedModel};
use serde_json::json;

use crate::augment::QC_CLASSES;
use crate::data::{Radiograph, Split};
use crate::metrics;
use crate::train::{Sample, TrainConfig, Trained};

pub const WEIGHTS_FILE: &str = "weights.safetensors";

fn lumen_code(value: &str, meaning: &str) -> Code {
    // "99" scheme designators are private coding schemes in DICOM (PS3.16 8.1).
    Code { scheme: "99LUMEN".into(), value: value.into(), meaning: meaning.into() }
}

fn label(name: &str, display: &str, colour: [u8; 3], code: Code) -> OutputLabel {
    OutputLabel { name: name.into(), display: display.into(), colour, code }
}

fn chest_radiograph_input(size: usize) -> InputSpec {
    InputSpec {
        modalities: vec!["DX".into(), "CR".into()],
        body_parts: vec!["CHEST".into()],
        source: InputSource::DisplayedGrey,
        size,
        mean: 0.5,
        std: 0.25,
        window: None,
        voxel_mm: None,
    }
}

fn placeholder_weights() -> WeightsRef {
    WeightsRef { file: WEIGHTS_FILE.into(), sha256: "0".repeat(64), bytes: 0, dtype: "f32".into() }
}

pub fn pneumonia_manifest() -> ModelManifest {
    ModelManifest {
        id: "cxr-pneumonia".into(),
        name: "Pneumonia triage (chest radiograph)".into(),
        version: "1.0.0".into(),
        task: Task::Classification,
        architecture: Architecture::Classifier2d(Classifier2dSpec {
            in_channels: 1,
            widths: vec![16, 32, 64, 128],
            classes: 2,
            dropout: 0.3,
        }),
        input: chest_radiograph_input(128),
        outputs: vec![
            label("no-pneumonia", "No pneumonia finding", [80, 170, 90], lumen_code("no-pneumonia", "No pneumonia finding")),
            label("pneumonia", "Pneumonia", [230, 120, 40], Code {
                scheme: "SCT".into(),
                value: "233604007".into(),
                meaning: "Pneumonia".into(),
            }),
        ],
        weights: placeholder_weights(),
        card: "MODEL_CARD.md".into(),
        disclaimer: "Worklist triage support only, not a diagnosis: a small research model trained on 700 NIH \
                     chest radiographs with noisy text-mined labels. Every study must still be read."
            .into(),
        runs_on: RunsOn::Browser,
        triage_label: Some("pneumonia".into()),
    }
}

pub fn qc_manifest() -> ModelManifest {
    let names = [
        ("ok", "Acquisition looks standard"),
        ("rotated-90", "Image appears rotated 90° clockwise"),
        ("rotated-180", "Image appears upside down"),
        ("rotated-270", "Image appears rotated 90° counter-clockwise"),
        ("mirrored", "Image appears mirrored (left–right)"),
        ("inverted", "Grey scale appears inverted"),
    ];
    let colours = [[80, 170, 90], [230, 160, 40], [230, 160, 40], [230, 160, 40], [230, 160, 40], [230, 160, 40]];
    ModelManifest {
        id: "cxr-qc".into(),
        name: "Radiograph acquisition QC (orientation, inversion)".into(),
        version: "1.0.0".into(),
        task: Task::Classification,
        architecture: Architecture::Classifier2d(Classifier2dSpec {
            in_channels: 1,
            widths: vec![16, 32, 64, 128],
            classes: QC_CLASSES.len(),
            dropout: 0.2,
        }),
        input: chest_radiograph_input(64),
        outputs: QC_CLASSES
            .iter()
            .zip(names.iter().zip(colours))
            .map(|(c, ((n, d), col))| {
                debug_assert_eq!(c.name(), *n);
                label(n, d, col, lumen_code(&format!("qc-{n}"), d))
            })
            .collect(),
        weights: placeholder_weights(),
        card: "MODEL_CARD.md".into(),
        disclaimer: "Acquisition quality check to help catch a wrongly presented film; it does not judge anatomy \
                     or pathology. Self-supervised on frontal chest radiographs only."
            .into(),
        runs_on: RunsOn::Browser,
        triage_label: None,
    }
}

pub fn classifier_spec(m: &ModelManifest) -> Classifier2dSpec {
    match &m.architecture {
        Architecture::Classifier2d(s) => s.clone(),
        other => panic!("{}: not a classifier ({other:?})", m.id),
    }
}

pub fn argmax(p: &[f32]) -> usize {
    p.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(i, _)| i).unwrap_or(0)
}

/// Every film under every QC presentation (no random changes): the validation/test set of the QC model.
pub fn qc_samples(films: &[&Radiograph], input: &InputSpec) -> Vec<Sample> {
    let mut out = Vec::new();
    for f in films {
        let img = GreyImage::from_u8(f.width, f.height, &f.pixels).expect("pixels");
        for (k, class) in QC_CLASSES.iter().enumerate() {
            out.push(Sample { input: model_input(&class.apply(&img), input.size, input.mean, input.std), label: k });
        }
    }
    out
}

/// Finalises the manifest for `weights`, loads the package back through [`LoadedModel`] (exactly the runtime's
/// path) and returns it.
pub(crate) fn finalise(mut manifest: ModelManifest, weights: &[u8]) -> Result<(ModelManifest, LoadedModel), String> {
    manifest.weights.sha256 = sha256_hex(weights);
    manifest.weights.bytes = weights.len() as u64;
    manifest.validate().map_err(|e| e.to_string())?;
    let model = LoadedModel::load(manifest.clone(), weights.to_vec(), &Device::flex()).map_err(|e| e.to_string())?;
    Ok((manifest, model))
}

pub(crate) fn write_package(
    out_root: &Path,
    manifest: &ModelManifest,
    model: &LoadedModel,
    weights: &[u8],
    metrics: serde_json::Value,
    card_metrics: &str,
) -> Result<(), String> {
    let dir = out_root.join(&manifest.id);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let selftest = model.selftest_outputs_blocking().map_err(|e| e.to_string())?;
    let write = |name: &str, bytes: &[u8]| {
        // Temp file + rename: a crash never leaves a half-written package file.
        let tmp = dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, bytes)
            .and_then(|_| std::fs::rename(&tmp, dir.join(name)))
            .map_err(|e| format!("{}: {e}", dir.join(name).display()))
    };
    write(WEIGHTS_FILE, weights)?;
    write("manifest.json", (serde_json::to_string_pretty(manifest).unwrap() + "\n").as_bytes())?;
    write("metrics.json", (serde_json::to_string_pretty(&metrics).unwrap() + "\n").as_bytes())?;
    let selftest = lumen_infer::selftest::SelfTest {
        image: if manifest.is_volumetric() {
            "lumen_infer::selftest::volume(voxel_mm): 40×40×12 synthetic pattern, 4×4×4 lattice of grid voxels".into()
        } else {
            "lumen_infer::selftest::image(): 256×256 synthetic pattern".into()
        },
        probabilities: selftest,
        backend: "burn Flex (native CPU)".into(),
    };
    write("selftest.json", (serde_json::to_string_pretty(&selftest).unwrap() + "\n").as_bytes())?;
    // The card's metrics section is regenerated between its markers; the rest is written by hand.
    let card_path = dir.join(&manifest.card);
    let card = std::fs::read_to_string(&card_path).map_err(|e| format!("{}: {e} (write the card first)", card_path.display()))?;
    let (start, end) = ("<!-- metrics:start -->", "<!-- metrics:end -->");
    let (a, b) = match (card.find(start), card.find(end)) {
        (Some(a), Some(b)) if a < b => (a + start.len(), b),
        _ => return Err(format!("{}: no {start} … {end} section", card_path.display())),
    };
    let new_card = format!("{}\n{}\n{}", &card[..a], card_metrics.trim(), &card[b..]);
    write(&manifest.card, new_card.as_bytes())?;
    eprintln!("wrote {}", dir.display());
    Ok(())
}

pub(crate) fn log_json(t: &Trained) -> serde_json::Value {
    json!(t.log.iter().map(|(e, l, v, s)| json!({"epoch": e, "train_loss": l, "val": v, "seconds": s})).collect::<Vec<_>>())
}

pub fn write_pneumonia(
    out_root: &Path,
    manifest: ModelManifest,
    trained: &Trained,
    cfg: &TrainConfig,
    train_seconds: f64,
    films: &[Radiograph],
) -> Result<(), String> {
    let (manifest, model) = finalise(manifest, &trained.weights)?;
    let test: Vec<&Radiograph> = films.iter().filter(|f| f.split == Split::Test).collect();
    let images: Vec<GreyImage> = test.iter().map(|f| GreyImage::from_u8(f.width, f.height, &f.pixels).unwrap()).collect();
    let probs = model.classify_blocking(&images).map_err(|e| e.to_string())?;
    let scores: Vec<f32> = probs.iter().map(|p| p[1]).collect();
    let labels: Vec<u8> = test.iter().map(|f| f.label).collect();
    let auc = metrics::auc(&scores, &labels).ok_or("the test split lacks a class")?;
    let (lo, hi) = metrics::auc_ci(&scores, &labels, 2000, 1);
    let right = scores.iter().zip(&labels).filter(|(s, l)| (**s >= 0.5) == (**l == 1)).count();
    let sens = scores.iter().zip(&labels).filter(|(s, l)| **l == 1 && **s >= 0.5).count();
    let spec = scores.iter().zip(&labels).filter(|(s, l)| **l == 0 && **s < 0.5).count();
    let (pos, neg) = (labels.iter().filter(|&&l| l == 1).count(), labels.iter().filter(|&&l| l == 0).count());
    let (acc_lo, acc_hi) = metrics::wilson(right, labels.len());
    eprintln!("test AUC {auc:.3} (95% CI {lo:.3}–{hi:.3}), accuracy at 0.5 {}/{}", right, labels.len());
    let m = json!({
        "model": manifest.id, "version": manifest.version,
        "test": {
            "n": labels.len(), "positives": pos, "negatives": neg,
            "auc": auc, "auc_ci95": [lo, hi], "ci_method": "percentile bootstrap, 2000 resamples, seed 1",
            "threshold": 0.5, "accuracy": right as f64 / labels.len() as f64, "accuracy_ci95": [acc_lo, acc_hi],
            "sensitivity": sens as f64 / pos as f64, "specificity": spec as f64 / neg as f64,
            "scores": scores, "labels": labels,
        },
        "selection": {"best_epoch": trained.best_epoch, "val_auc": trained.best_val},
        "training": {"epochs": cfg.epochs, "batch": cfg.batch, "lr": cfg.lr, "weight_decay": cfg.weight_decay,
                      "seed": cfg.seed, "seconds": train_seconds, "log": log_json(trained)},
        "command": "cargo run --release -p lumen-train -- pneumonia",
    });
    let card = format!(
        "| held-out test split (150 films, 75 pneumonia / 75 no finding, patients disjoint from training) | value |\n\
         |---|---|\n\
         | ROC AUC | **{auc:.3}** (95% CI {lo:.3}–{hi:.3}, percentile bootstrap, 2000 resamples) |\n\
         | accuracy at score ≥ 0.5 | {:.1}% (95% CI {:.1}–{:.1}%, Wilson) |\n\
         | sensitivity / specificity at 0.5 | {:.1}% / {:.1}% |\n\
         | model selected at epoch | {} of {} (validation AUC {:.3}) |\n",
        100.0 * right as f64 / labels.len() as f64,
        100.0 * acc_lo,
        100.0 * acc_hi,
        100.0 * sens as f64 / pos as f64,
        100.0 * spec as f64 / neg as f64,
        trained.best_epoch,
        cfg.epochs,
        trained.best_val
    );
    write_package(out_root, &manifest, &model, &trained.weights, m, &card)
}

pub fn write_qc(
    out_root: &Path,
    manifest: ModelManifest,
    trained: &Trained,
    cfg: &TrainConfig,
    train_seconds: f64,
    films: &[Radiograph],
) -> Result<(), String> {
    let (manifest, model) = finalise(manifest, &trained.weights)?;
    let test: Vec<&Radiograph> = films.iter().filter(|f| f.split == Split::Test).collect();
    let k = QC_CLASSES.len();
    let mut confusion = vec![vec![0usize; k]; k];
    for f in &test {
        let img = GreyImage::from_u8(f.width, f.height, &f.pixels).unwrap();
        let variants: Vec<GreyImage> = QC_CLASSES.iter().map(|c| c.apply(&img)).collect();
        let probs = model.classify_blocking(&variants).map_err(|e| e.to_string())?;
        for (truth, p) in probs.iter().enumerate() {
            confusion[truth][argmax(p)] += 1;
        }
    }
    let mut per_class = Vec::new();
    let mut card = String::from(
        "| held-out test split: 150 films × 6 presentations | correct | accuracy (95% CI, Wilson) |\n|---|---|---|\n",
    );
    for (i, class) in QC_CLASSES.iter().enumerate() {
        let n: usize = confusion[i].iter().sum();
        let right = confusion[i][i];
        let (lo, hi) = metrics::wilson(right, n);
        per_class.push(json!({"class": class.name(), "n": n, "correct": right, "accuracy": right as f64 / n as f64, "ci95": [lo, hi]}));
        card += &format!(
            "| {} | {right}/{n} | {:.1}% ({:.1}–{:.1}%) |\n",
            manifest.outputs[i].display,
            100.0 * right as f64 / n as f64,
            100.0 * lo,
            100.0 * hi
        );
        eprintln!("{:>12}: {right}/{n}", class.name());
    }
    let total_right: usize = (0..k).map(|i| confusion[i][i]).sum();
    let total: usize = confusion.iter().flatten().sum();
    card += &format!(
        "| **all** | {total_right}/{total} | {:.1}% |\n\nModel selected at epoch {} of {} (validation accuracy {:.3}). \
         Confusion matrix (rows: truth, columns: prediction, order as above): `{:?}`\n",
        100.0 * total_right as f64 / total as f64,
        trained.best_epoch,
        cfg.epochs,
        trained.best_val,
        confusion
    );
    let m = json!({
        "model": manifest.id, "version": manifest.version,
        "test": {"per_class": per_class, "confusion": confusion, "accuracy": total_right as f64 / total as f64},
        "selection": {"best_epoch": trained.best_epoch, "val_accuracy": trained.best_val},
        "training": {"epochs": cfg.epochs, "batch": cfg.batch, "lr": cfg.lr, "weight_decay": cfg.weight_decay,
                      "seed": cfg.seed, "seconds": train_seconds, "log": log_json(trained)},
        "command": "cargo run --release -p lumen-train -- qc",
    });
    write_package(out_root, &manifest, &model, &trained.weights, m, &card)
}
