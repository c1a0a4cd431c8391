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
    card_weights: &str,
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
    // The card's metrics and weights sections are regenerated between their markers; the rest is written by hand.
    let card_path = dir.join(&manifest.card);
    let card = std::fs::read_to_string(&card_path).map_err(|e| format!("{}: {e} (write the card first)", card_path.display()))?;
    let card = replace_section(&card, "metrics", card_metrics).map_err(|e| format!("{}: {e}", card_path.display()))?;
    let card = if card.contains("<!-- weights:start -->") {
        replace_section(&card, "weights", card_weights).map_err(|e| format!("{}: {e}", card_path.display()))?
    } else {
        // A card from before the weights section: it goes before the limitations (or at the end).
        let section = format!("## Weights\n<!-- weights:start -->\n{}\n<!-- weights:end -->\n\n", card_weights.trim());
        match card.find("## Limitations") {
            Some(at) => format!("{}{section}{}", &card[..at], &card[at..]),
            None => format!("{}\n{section}", card.trim_end()),
        }
    };
    write(&manifest.card, card.as_bytes())?;
    eprintln!("wrote {}", dir.display());
    Ok(())
}

/// `card` with the text between `<!-- {name}:start -->` and `<!-- {name}:end -->` replaced by `text`.
pub(crate) fn replace_section(card: &str, name: &str, text: &str) -> Result<String, String> {
    let (start, end) = (format!("<!-- {name}:start -->"), format!("<!-- {name}:end -->"));
    match (card.find(&start), card.find(&end)) {
        (Some(a), Some(b)) if a < b => Ok(format!("{}\n{}\n{}", &card[..a + start.len()], text.trim(), &card[b..])),
        _ => Err(format!("no {start} … {end} section")),
    }
}

/// The card's weights section: the stored element type and size, and for weights converted to f16 the parity
/// with the f32 weights they were converted from ([`crate::half`]).
pub(crate) fn weights_section(manifest: &ModelManifest, parity: Option<&str>) -> String {
    let mut out = format!(
        "`{}` ({} safetensors, {} bytes, SHA-256 `{}`); the runtime computes in f32 whatever the file stores.\n",
        manifest.weights.file, manifest.weights.dtype, manifest.weights.bytes, manifest.weights.sha256
    );
    match parity {
        Some(p) => out += p,
        None => out += &format!(
            "\nf32 as trained; `cargo run --release -p lumen-train -- f16 {}` converts them to f16 where the held-out \
             evaluation shows that accuracy holds (docs/AI.md, \"f16 weights\").\n",
            manifest.id
        ),
    }
    out
}

pub(crate) fn log_json(t: &Trained) -> serde_json::Value {
    json!(t.log.iter().map(|(e, l, v, s)| json!({"epoch": e, "train_loss": l, "val": v, "seconds": s})).collect::<Vec<_>>())
}

/// A package's held-out evaluation through the runtime's own path: metrics.json's `"test"`, the card's table, the
/// raw outputs (for the f32/f16 parity check, [`crate::half`]) and the held-out metrics with their 95% CIs.
pub struct Evaluation {
    pub test: serde_json::Value,
    pub table: String,
    /// Every probability the model produced: per image (classifier), per slice or series on the model's grid
    /// (segmenter).
    pub probabilities: Vec<Vec<f32>>,
    /// Segmenters: the label map of every source slice.
    pub label_maps: Vec<Vec<u8>>,
    /// `(name, value, 95% CI)` of each held-out metric.
    pub metrics: Vec<(String, f64, (f64, f64))>,
}

fn number(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

/// The test split's images and labels.
fn test_films(films: &[Radiograph]) -> Vec<&Radiograph> {
    films.iter().filter(|f| f.split == Split::Test).collect()
}

/// The pneumonia model's held-out evaluation (AUC with a bootstrap CI, accuracy, sensitivity, specificity at 0.5),
/// for each of `models` on the same test films.
pub fn evaluate_pneumonia(models: &[&LoadedModel], films: &[Radiograph]) -> Result<Vec<Evaluation>, String> {
    let test = test_films(films);
    let images: Vec<GreyImage> = test.iter().map(|f| GreyImage::from_u8(f.width, f.height, &f.pixels).unwrap()).collect();
    let labels: Vec<u8> = test.iter().map(|f| f.label).collect();
    let mut out = Vec::new();
    for model in models {
        let probs = model.classify_blocking(&images).map_err(|e| e.to_string())?;
        let scores: Vec<f32> = probs.iter().map(|p| p[1]).collect();
        let auc = metrics::auc(&scores, &labels).ok_or("the test split lacks a class")?;
        let (lo, hi) = metrics::auc_ci(&scores, &labels, 2000, 1);
        let right = scores.iter().zip(&labels).filter(|(s, l)| (**s >= 0.5) == (**l == 1)).count();
        let sens = scores.iter().zip(&labels).filter(|(s, l)| **l == 1 && **s >= 0.5).count();
        let spec = scores.iter().zip(&labels).filter(|(s, l)| **l == 0 && **s < 0.5).count();
        let (pos, neg) = (labels.iter().filter(|&&l| l == 1).count(), labels.iter().filter(|&&l| l == 0).count());
        let (acc_lo, acc_hi) = metrics::wilson(right, labels.len());
        eprintln!("test AUC {auc:.4} (95% CI {lo:.3}–{hi:.3}), accuracy at 0.5 {}/{}", right, labels.len());
        let test = json!({
            "n": labels.len(), "positives": pos, "negatives": neg,
            "auc": auc, "auc_ci95": [lo, hi], "ci_method": "percentile bootstrap, 2000 resamples, seed 1",
            "threshold": 0.5, "accuracy": right as f64 / labels.len() as f64, "accuracy_ci95": [acc_lo, acc_hi],
            "sensitivity": sens as f64 / pos as f64, "specificity": spec as f64 / neg as f64,
            "scores": scores, "labels": labels,
        });
        let table = format!(
            "| held-out test split (150 films, 75 pneumonia / 75 no finding, patients disjoint from training) | value |\n\
             |---|---|\n\
             | ROC AUC | **{auc:.3}** (95% CI {lo:.3}–{hi:.3}, percentile bootstrap, 2000 resamples) |\n\
             | accuracy at score ≥ 0.5 | {:.1}% (95% CI {:.1}–{:.1}%, Wilson) |\n\
             | sensitivity / specificity at 0.5 | {:.1}% / {:.1}% |\n",
            100.0 * right as f64 / labels.len() as f64,
            100.0 * acc_lo,
            100.0 * acc_hi,
            100.0 * sens as f64 / pos as f64,
            100.0 * spec as f64 / neg as f64,
        );
        out.push(Evaluation { test, table, probabilities: probs, label_maps: Vec::new(), metrics: vec![("AUC".into(), auc, (lo, hi))] });
    }
    Ok(out)
}

/// The card's line on model selection, from metrics.json.
pub fn pneumonia_note(m: &serde_json::Value) -> String {
    format!(
        "| model selected at epoch | {} of {} (validation AUC {:.3}) |\n",
        m["selection"]["best_epoch"],
        m["training"]["epochs"],
        number(&m["selection"]["val_auc"])
    )
}

pub fn write_pneumonia(
    out_root: &Path,
    manifest: ModelManifest,
    trained: &Trained,
    cfg: &TrainConfig,
    train_seconds: f64,
    films: &[Radiograph],
) -> Result<(), String> {
    let run = TrainingRun { trained, cfg, train_seconds, films };
    write_classifier(out_root, manifest, &run, evaluate_pneumonia, "val_auc", "pneumonia", pneumonia_note)
}

/// One finished training run of a radiograph classifier: what its package's metrics.json records.
struct TrainingRun<'a> {
    trained: &'a Trained,
    cfg: &'a TrainConfig,
    train_seconds: f64,
    films: &'a [Radiograph],
}

/// Writes a trained radiograph classifier's package: its held-out evaluation (`evaluate`), metrics.json with the
/// model selection (`val_key`: the validation metric's name) and the training settings, and the card (the
/// evaluation's table and `note`). `command` is the `lumen-train` sub-command that retrains it.
fn write_classifier(
    out_root: &Path,
    manifest: ModelManifest,
    run: &TrainingRun<'_>,
    evaluate: fn(&[&LoadedModel], &[Radiograph]) -> Result<Vec<Evaluation>, String>,
    val_key: &str,
    command: &str,
    note: fn(&serde_json::Value) -> String,
) -> Result<(), String> {
    let (trained, cfg) = (run.trained, run.cfg);
    let (manifest, model) = finalise(manifest, &trained.weights)?;
    let eval = evaluate(&[&model], run.films)?.remove(0);
    let m = json!({
        "model": manifest.id, "version": manifest.version,
        "test": eval.test,
        "selection": {"best_epoch": trained.best_epoch, val_key: trained.best_val},
        "training": {"epochs": cfg.epochs, "batch": cfg.batch, "lr": cfg.lr, "weight_decay": cfg.weight_decay,
                      "seed": cfg.seed, "seconds": run.train_seconds, "log": log_json(trained)},
        "command": format!("cargo run --release -p lumen-train -- {command}"),
    });
    let card = eval.table + &note(&m);
    write_package(out_root, &manifest, &model, &trained.weights, m, &card, &weights_section(&manifest, None))
}

/// The QC model's held-out evaluation (accuracy per presentation with Wilson CIs, confusion matrix), for each of
/// `models` on the same test films.
pub fn evaluate_qc(models: &[&LoadedModel], films: &[Radiograph]) -> Result<Vec<Evaluation>, String> {
    let test = test_films(films);
    let k = QC_CLASSES.len();
    let mut out = Vec::new();
    for model in models {
        let mut confusion = vec![vec![0usize; k]; k];
        let mut all = Vec::with_capacity(test.len() * k);
        for f in &test {
            let img = GreyImage::from_u8(f.width, f.height, &f.pixels).unwrap();
            let variants: Vec<GreyImage> = QC_CLASSES.iter().map(|c| c.apply(&img)).collect();
            let probs = model.classify_blocking(&variants).map_err(|e| e.to_string())?;
            for (truth, p) in probs.iter().enumerate() {
                confusion[truth][argmax(p)] += 1;
            }
            all.extend(probs);
        }
        let mut per_class = Vec::new();
        let mut metrics_out = Vec::new();
        let mut table = String::from(
            "| held-out test split: 150 films × 6 presentations | correct | accuracy (95% CI, Wilson) |\n|---|---|---|\n",
        );
        for (i, class) in QC_CLASSES.iter().enumerate() {
            let n: usize = confusion[i].iter().sum();
            let right = confusion[i][i];
            let (lo, hi) = metrics::wilson(right, n);
            let acc = right as f64 / n as f64;
            per_class.push(json!({"class": class.name(), "n": n, "correct": right, "accuracy": acc, "ci95": [lo, hi]}));
            metrics_out.push((format!("accuracy {}", class.name()), acc, (lo, hi)));
            table += &format!(
                "| {} | {right}/{n} | {:.1}% ({:.1}–{:.1}%) |\n",
                model.manifest.outputs[i].display,
                100.0 * acc,
                100.0 * lo,
                100.0 * hi
            );
            eprintln!("{:>12}: {right}/{n}", class.name());
        }
        let total_right: usize = (0..k).map(|i| confusion[i][i]).sum();
        let total: usize = confusion.iter().flatten().sum();
        table += &format!(
            "| **all** | {total_right}/{total} | {:.1}% |\n\nConfusion matrix (rows: truth, columns: prediction, order as \
             above): `{:?}`\n",
            100.0 * total_right as f64 / total as f64,
            confusion
        );
        let test = json!({"per_class": per_class, "confusion": confusion, "accuracy": total_right as f64 / total as f64});
        out.push(Evaluation { test, table, probabilities: all, label_maps: Vec::new(), metrics: metrics_out });
    }
    Ok(out)
}

/// The card's sentence on model selection, from metrics.json.
pub fn qc_note(m: &serde_json::Value) -> String {
    format!(
        "\nModel selected at epoch {} of {} (validation accuracy {:.3}).\n",
        m["selection"]["best_epoch"],
        m["training"]["epochs"],
        number(&m["selection"]["val_accuracy"])
    )
}

pub fn write_qc(
    out_root: &Path,
    manifest: ModelManifest,
    trained: &Trained,
    cfg: &TrainConfig,
    train_seconds: f64,
    films: &[Radiograph],
) -> Result<(), String> {
    let run = TrainingRun { trained, cfg, train_seconds, films };
    write_classifier(out_root, manifest, &run, evaluate_qc, "val_accuracy", "qc", qc_note)
}
