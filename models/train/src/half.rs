//! `lumen-train f16 [ID…]`: converts a package's f32 weights to f16 (half the download) where its held-out
//! evaluation shows that accuracy holds, and records the parity in `metrics.json` (`"weights"`) and the model
//! card (its weights section).
//!
//! The package's own held-out evaluation runs twice on the same inputs, once with the f32 weights and once with
//! the f16 weights (converted back to f32 at load, as every runtime does). f16 is kept only when
//! - every held-out metric moves by at most a quarter of the half-width of its 95% CI (f32 weights), and
//! - a classifier's probabilities all agree within 1e-3 (the browser/native parity tolerance of
//!   `e2e/tests/viewer-ai.test.js`), a segmenter's label maps on at least 99.9% of the pixels or voxels (the
//!   browser/native label-map tolerance of `e2e/tests/viewer-seg.test.js`).
//!
//! Otherwise the package keeps its f32 weights and the card says why.

use std::path::Path;

use lumen_infer::manifest::Task;
use lumen_infer::{sha256_hex, Device, LoadedModel, ModelManifest, WeightsDtype};
use serde_json::json;

use crate::data::Radiograph;
use crate::package::{self, argmax, Evaluation};
use crate::{ctseg, ctseg3d};

/// The packages this command knows how to evaluate.
pub const PACKAGES: [&str; 4] = ["cxr-pneumonia", "cxr-qc", "ct-chest-seg", "ct-chest-seg3d"];
/// Largest allowed change of a classifier's probability.
pub const PROBABILITY_TOLERANCE: f64 = 1e-3;
/// Largest allowed fraction of changed labels of a segmenter.
pub const LABEL_TOLERANCE: f64 = 1e-3;
/// A metric may move by at most this fraction of the half-width of its 95% CI.
pub const CI_FRACTION: f64 = 0.25;

pub const RULE: &str = "f16 is kept when every held-out metric moves by at most a quarter of the half-width of its \
                        95% CI (f32 weights) and a classifier's probabilities all agree within 1e-3 (segmenter: label \
                        maps on at least 99.9% of pixels/voxels); else f32 is kept";

/// How one held-out metric moved from the f32 to the f16 weights.
#[derive(Debug, Clone)]
pub struct MetricChange {
    pub name: String,
    pub f32: f64,
    pub ci95: (f64, f64),
    pub f16: f64,
    pub allowed: f64,
}

impl MetricChange {
    pub fn delta(&self) -> f64 {
        self.f16 - self.f32
    }
}

/// The f32/f16 parity of one package's held-out evaluation.
#[derive(Debug, Clone)]
pub struct Parity {
    pub task: Task,
    /// Largest |Δ| of any probability (every class, every image or model-grid cell).
    pub max_abs_probability: f64,
    pub probabilities: usize,
    /// Classifiers: inputs whose most probable class changed, of `inputs`.
    pub argmax_changed: usize,
    pub inputs: usize,
    /// Segmenters: source pixels/voxels whose label changed, of `labels`.
    pub labels_changed: u64,
    pub labels: u64,
    /// Segmenters: Dice of each foreground class between the f32 and the f16 label maps.
    pub label_dice: Vec<(String, f64)>,
    pub metrics: Vec<MetricChange>,
}

/// `x ≤ limit`; false for NaN (a measurement that failed never passes).
fn within(x: f64, limit: f64) -> bool {
    x <= limit
}

/// Dice of class `c` between two label maps (1 when both lack it).
fn dice_between(a: &[Vec<u8>], b: &[Vec<u8>], c: u8) -> f64 {
    let (mut both, mut sum) = (0u64, 0u64);
    for (x, y) in a.iter().zip(b) {
        for (&p, &q) in x.iter().zip(y) {
            both += u64::from(p == c && q == c);
            sum += u64::from(p == c) + u64::from(q == c);
        }
    }
    if sum == 0 {
        1.0
    } else {
        2.0 * both as f64 / sum as f64
    }
}

impl Parity {
    /// Compares the evaluations of the f32 (`full`) and f16 (`half`) weights on the same inputs.
    pub fn measure(manifest: &ModelManifest, full: &Evaluation, half: &Evaluation) -> Result<Self, String> {
        let same_shape = full.probabilities.len() == half.probabilities.len()
            && full.probabilities.iter().zip(&half.probabilities).all(|(a, b)| a.len() == b.len())
            && full.label_maps.len() == half.label_maps.len()
            && full.metrics.len() == half.metrics.len();
        if !same_shape {
            return Err(format!("{}: the f32 and f16 evaluations differ in shape", manifest.id));
        }
        let mut max_abs_probability = 0.0f64;
        let mut probabilities = 0;
        for (a, b) in full.probabilities.iter().zip(&half.probabilities) {
            probabilities += a.len();
            for (x, y) in a.iter().zip(b) {
                max_abs_probability = max_abs_probability.max((f64::from(*x) - f64::from(*y)).abs());
            }
        }
        let classes = manifest.outputs.len();
        let (argmax_changed, inputs) = if manifest.task == Task::Classification {
            let changed = full.probabilities.iter().zip(&half.probabilities).filter(|(a, b)| argmax(a) != argmax(b)).count();
            (changed, full.probabilities.len())
        } else {
            (0, 0)
        };
        let mut labels_changed = 0u64;
        let mut labels = 0u64;
        for (a, b) in full.label_maps.iter().zip(&half.label_maps) {
            labels += a.len() as u64;
            labels_changed += a.iter().zip(b).filter(|(p, q)| p != q).count() as u64;
        }
        let label_dice = if manifest.task == Task::Segmentation {
            (1..classes).map(|c| (manifest.outputs[c].name.clone(), dice_between(&full.label_maps, &half.label_maps, c as u8))).collect()
        } else {
            Vec::new()
        };
        let metrics = full
            .metrics
            .iter()
            .zip(&half.metrics)
            .map(|((name, f32, ci95), (_, f16, _))| MetricChange {
                name: name.clone(),
                f32: *f32,
                ci95: *ci95,
                f16: *f16,
                allowed: CI_FRACTION * (ci95.1 - ci95.0) / 2.0,
            })
            .collect();
        Ok(Parity {
            task: manifest.task,
            max_abs_probability,
            probabilities,
            argmax_changed,
            inputs,
            labels_changed,
            labels,
            label_dice,
            metrics,
        })
    }

    /// Why f16 does not hold (empty: it holds), by [`RULE`].
    pub fn failures(&self) -> Vec<String> {
        let mut out = Vec::new();
        for m in &self.metrics {
            if !within(m.delta().abs(), m.allowed) {
                out.push(format!("{} moved by {:+.4}, more than the allowed ±{:.4}", m.name, m.delta(), m.allowed));
            }
        }
        match self.task {
            Task::Classification => {
                if !within(self.max_abs_probability, PROBABILITY_TOLERANCE) {
                    out.push(format!("a probability moved by {:.2e}, more than {PROBABILITY_TOLERANCE:e}", self.max_abs_probability));
                }
            }
            Task::Segmentation => {
                let fraction = self.labels_changed as f64 / self.labels.max(1) as f64;
                if !within(fraction, LABEL_TOLERANCE) || self.labels == 0 {
                    out.push(format!("{:.3}% of the labels changed, more than {:.1}%", 100.0 * fraction, 100.0 * LABEL_TOLERANCE));
                }
            }
        }
        out
    }

    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "max_abs_probability_change": self.max_abs_probability,
            "probabilities_compared": self.probabilities,
            "argmax_changed": (self.task == Task::Classification).then_some(self.argmax_changed),
            "inputs": (self.task == Task::Classification).then_some(self.inputs),
            "labels_changed": (self.task == Task::Segmentation).then_some(self.labels_changed),
            "labels_compared": (self.task == Task::Segmentation).then_some(self.labels),
            "label_agreement": (self.task == Task::Segmentation).then(|| 1.0 - self.labels_changed as f64 / self.labels.max(1) as f64),
            "label_dice_f32_vs_f16": self.label_dice.iter().map(|(c, d)| json!({"class": c, "dice": d})).collect::<Vec<_>>(),
            "metrics": self.metrics.iter().map(|m| json!({
                "metric": m.name, "f32": m.f32, "f32_ci95": [m.ci95.0, m.ci95.1], "f16": m.f16,
                "change": m.delta(), "allowed": m.allowed,
            })).collect::<Vec<_>>(),
        })
    }

    /// The card's parity table.
    pub fn markdown(&self) -> String {
        let mut out = String::from(
            "| f32 → f16 weights, same held-out inputs | f32 | f16 | change | allowed |\n|---|---|---|---|---|\n",
        );
        for m in &self.metrics {
            out += &format!(
                "| {} | {:.4} (95% CI {:.3}–{:.3}) | {:.4} | {:+.5} | ±{:.4} |\n",
                m.name,
                m.f32,
                m.ci95.0,
                m.ci95.1,
                m.f16,
                m.delta(),
                m.allowed
            );
        }
        match self.task {
            Task::Classification => {
                out += &format!(
                    "| largest probability change ({} probabilities) | | | {:.1e} | {PROBABILITY_TOLERANCE:.0e} |\n\
                     | inputs whose most probable class changed | | | {} of {} | |\n",
                    self.probabilities, self.max_abs_probability, self.argmax_changed, self.inputs
                );
            }
            Task::Segmentation => {
                out += &format!(
                    "| labels changed (source pixels/voxels) | | | {} of {} ({:.4}%) | {:.1}% |\n\
                     | largest probability change ({} model-grid probabilities) | | | {:.1e} | (not a criterion) |\n",
                    self.labels_changed,
                    self.labels,
                    100.0 * self.labels_changed as f64 / self.labels.max(1) as f64,
                    100.0 * LABEL_TOLERANCE,
                    self.probabilities,
                    self.max_abs_probability
                );
                for (class, d) in &self.label_dice {
                    out += &format!("| Dice of {class}, f32 vs f16 label maps | | | {d:.5} | |\n");
                }
            }
        }
        out
    }
}

/// Converts each package of `ids` (all of [`PACKAGES`] when empty) under `out_root`.
pub fn run(out_root: &Path, data_dir: &Path, ids: &[String]) -> Result<(), String> {
    let ids: Vec<String> = if ids.is_empty() { PACKAGES.iter().map(|s| s.to_string()).collect() } else { ids.to_vec() };
    if let Some(bad) = ids.iter().find(|id| !PACKAGES.contains(&id.as_str())) {
        return Err(format!("unknown package {bad:?} (known: {})", PACKAGES.join(", ")));
    }
    let films = if ids.iter().any(|id| id.starts_with("cxr-")) {
        let films = crate::data::load(data_dir).map_err(|e| format!("cannot read the held-out data: {e}"))?;
        eprintln!("{} radiographs from {}", films.len(), data_dir.display());
        films
    } else {
        Vec::new()
    };
    for id in &ids {
        convert(out_root, id, &films)?;
    }
    Ok(())
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn convert(out_root: &Path, id: &str, films: &[Radiograph]) -> Result<(), String> {
    let dir = out_root.join(id);
    let text = String::from_utf8(read(&dir.join("manifest.json"))?).map_err(|e| format!("{id}: manifest.json: {e}"))?;
    let manifest = ModelManifest::from_json(&text).map_err(|e| e.to_string())?;
    if manifest.weights.element_type() != Some(WeightsDtype::F32) {
        return Err(format!(
            "{id}: the package already ships {} weights; convert from its f32 weights (retrain it, or restore the f32 \
             weights.safetensors and manifest.json from git)",
            manifest.weights.dtype
        ));
    }
    let weights = read(&dir.join(&manifest.weights.file))?;
    let device = Device::flex();
    let full = LoadedModel::load(manifest.clone(), weights.clone(), &device).map_err(|e| e.to_string())?;
    let half_bytes = full.network.weights_as(WeightsDtype::F16)?;
    let mut half_manifest = manifest.clone();
    half_manifest.weights.dtype = WeightsDtype::F16.as_str().into();
    half_manifest.weights.sha256 = sha256_hex(&half_bytes);
    half_manifest.weights.bytes = half_bytes.len() as u64;
    let half = LoadedModel::load(half_manifest.clone(), half_bytes.clone(), &device).map_err(|e| e.to_string())?;
    eprintln!("{id}: evaluating the f32 and the f16 weights on the held-out inputs");
    let t0 = std::time::Instant::now();
    let models = [&full, &half];
    let mut evals = match id {
        "cxr-pneumonia" => package::evaluate_pneumonia(&models, films)?,
        "cxr-qc" => package::evaluate_qc(&models, films)?,
        "ct-chest-seg" => ctseg::evaluate_held_out(&models)?,
        "ct-chest-seg3d" => ctseg3d::evaluate_held_out(&models)?,
        other => return Err(format!("unknown package {other:?}")),
    };
    let half_eval = evals.pop().ok_or("no f16 evaluation")?;
    let full_eval = evals.pop().ok_or("no f32 evaluation")?;
    let parity = Parity::measure(&manifest, &full_eval, &half_eval)?;
    let failures = parity.failures();
    let keep_half = failures.is_empty();
    eprintln!("{id}: {:.0} s; {}", t0.elapsed().as_secs_f64(), if keep_half { "f16 holds".into() } else { failures.join("; ") });

    let metrics_path = dir.join("metrics.json");
    let mut metrics: serde_json::Value =
        serde_json::from_slice(&read(&metrics_path)?).map_err(|e| format!("{}: {e}", metrics_path.display()))?;
    let note = match id {
        "cxr-pneumonia" => package::pneumonia_note(&metrics),
        "cxr-qc" => package::qc_note(&metrics),
        "ct-chest-seg" => ctseg::note(&metrics),
        _ => ctseg3d::note(&metrics),
    };
    let command = format!("cargo run --release -p lumen-train -- f16 {id}");
    let (chosen_manifest, chosen_model, chosen_bytes, chosen_eval) = if keep_half {
        (&half_manifest, &half, &half_bytes, &half_eval)
    } else {
        (&manifest, &full, &weights, &full_eval)
    };
    metrics["test"] = chosen_eval.test.clone();
    metrics["weights"] = json!({
        "dtype": chosen_manifest.weights.dtype,
        "bytes": chosen_manifest.weights.bytes,
        "f32_bytes": weights.len(),
        "f16_bytes": half_bytes.len(),
        "rule": RULE,
        "f16_holds": keep_half,
        "why_not": failures,
        "parity": parity.to_json(),
        "command": command,
    });
    // "test" holds the shipped weights' evaluation; the other one is kept beside the parity numbers.
    let (other, other_test) = if keep_half { ("f32_test", &full_eval.test) } else { ("f16_test", &half_eval.test) };
    metrics["weights"][other] = other_test.clone();
    let verdict = if keep_half {
        format!(
            "**Shipped as f16**: {} → {} bytes ({:.0}% of the f32 download). The held-out evaluation above is the f16 \
             weights'; the f32 weights they were converted from gave:\n\n",
            weights.len(),
            half_bytes.len(),
            100.0 * half_bytes.len() as f64 / weights.len() as f64
        )
    } else {
        format!(
            "**Kept as f32**: f16 ({} bytes instead of {}) does not hold here: {}.\n\n",
            half_bytes.len(),
            weights.len(),
            failures.join("; ")
        )
    };
    let section = format!(
        "{verdict}{}\nRule: {RULE}. Measured by `{command}` (both weights on the same held-out inputs, burn Flex).\n",
        parity.markdown()
    );
    let card_weights = package::weights_section(chosen_manifest, Some(&format!("\n{section}")));
    let card_metrics = chosen_eval.table.clone() + &note;
    package::write_package(out_root, chosen_manifest, chosen_model, chosen_bytes, metrics, &card_metrics, &card_weights)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(task: Task) -> ModelManifest {
        match task {
            Task::Classification => package::pneumonia_manifest(),
            Task::Segmentation => ctseg::manifest(),
        }
    }

    fn eval(probabilities: Vec<Vec<f32>>, label_maps: Vec<Vec<u8>>, metric: f64) -> Evaluation {
        Evaluation {
            test: json!({}),
            table: String::new(),
            probabilities,
            label_maps,
            metrics: vec![("AUC".into(), metric, (0.89, 0.97))],
        }
    }

    #[test]
    fn a_classifier_keeps_f16_only_within_the_probability_and_ci_tolerances() {
        let m = manifest(Task::Classification);
        let full = eval(vec![vec![0.3, 0.7], vec![0.9, 0.1]], Vec::new(), 0.930);
        let close = eval(vec![vec![0.3004, 0.6996], vec![0.9, 0.1]], Vec::new(), 0.931);
        let p = Parity::measure(&m, &full, &close).unwrap();
        assert!((p.max_abs_probability - 4e-4).abs() < 1e-6, "{}", p.max_abs_probability);
        assert_eq!((p.argmax_changed, p.inputs, p.probabilities), (0, 2, 4));
        assert!((p.metrics[0].allowed - 0.01).abs() < 1e-9);
        assert!(p.failures().is_empty(), "{:?}", p.failures());
        // A probability 2e-3 away fails, and so does an AUC moved by more than a quarter of the CI half-width.
        let far = eval(vec![vec![0.302, 0.698], vec![0.9, 0.1]], Vec::new(), 0.930);
        let f = Parity::measure(&m, &full, &far).unwrap().failures();
        assert!(f.len() == 1 && f[0].contains("a probability moved by 2.00e-3"), "{f:?}");
        let drift = eval(full.probabilities.clone(), Vec::new(), 0.915);
        let f = Parity::measure(&m, &full, &drift).unwrap().failures();
        assert!(f.len() == 1 && f[0].starts_with("AUC moved by -0.0150"), "{f:?}");
        let flipped = eval(vec![vec![0.7, 0.3], vec![0.9, 0.1]], Vec::new(), 0.930);
        assert_eq!(Parity::measure(&m, &full, &flipped).unwrap().argmax_changed, 1);
    }

    #[test]
    fn a_segmenter_keeps_f16_only_when_at_most_one_label_in_a_thousand_changes() {
        let m = manifest(Task::Segmentation);
        let truth: Vec<Vec<u8>> = vec![(0..2000).map(|i| (i % 4) as u8).collect()];
        let full = eval(vec![vec![0.5; 8]], truth.clone(), 0.95);
        let mut two = truth.clone();
        two[0][1] = 2;
        two[0][5] = 0;
        let p = Parity::measure(&m, &full, &eval(vec![vec![0.5; 8]], two, 0.95)).unwrap();
        assert_eq!((p.labels_changed, p.labels), (2, 2000));
        assert!(p.failures().is_empty(), "{:?}", p.failures());
        let body = p.label_dice.iter().find(|(c, _)| c == "body").unwrap().1;
        assert!((body - 2.0 * 498.0 / 998.0).abs() < 1e-9, "{body}");
        let mut three = truth.clone();
        for i in [1, 5, 9] {
            three[0][i] = 0;
        }
        let f = Parity::measure(&m, &full, &eval(vec![vec![0.5; 8]], three, 0.95)).unwrap().failures();
        assert!(f.len() == 1 && f[0].contains("0.150% of the labels changed"), "{f:?}");
        // Shapes that do not match are an error, not a comparison of the wrong things.
        assert!(Parity::measure(&m, &full, &eval(vec![vec![0.5; 7]], truth, 0.95)).is_err());
    }
}
