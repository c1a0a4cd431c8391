//! The chest CT segmentation model (`models/ct-chest-seg`): a 2D U-Net that labels every pixel of an axial slice
//! as background, body, lung or bone, trained on Lumen's own synthetic chest phantom (`lumen-phantom`), whose
//! generator knows the true label of every point.
//!
//! Training slices are not the demo series' slices: each is an axial plane through the phantom at a random
//! height, rotated (±12°), zoomed (0.85–1.2×) and shifted (±20 mm) in plane, with random noise (5–25 HU), sampled
//! on a 256² grid, windowed and area-averaged to the model's 128² like the viewer's input. Validation and test are
//! the demo series itself as the viewer receives it (512² slices with the demo's noise, every 5th slice for
//! validation, all 220 for the test), scored with Dice at full resolution after the runtime's own
//! up-sampling ([`lumen_infer::preprocess::label_map`]). Training and test share one synthetic anatomy: the test
//! shows that the pipeline works, not that the model generalises to patients.

use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use burn::tensor::activation::softmax;
use lumen_infer::manifest::{
    Architecture, Code, FixedWindow, InputSource, InputSpec, ModelManifest, OutputLabel, RunsOn, Task, Unet2dSpec, WeightsRef,
};
use lumen_infer::preprocess::{label_map, model_input};
use lumen_infer::{to_safetensors, GreyImage, LoadedModel, Unet2d};
use lumen_phantom::{ct_slice, ChestPhantom, CtGeometry, Label};
use std::time::Instant;

use crate::package::Evaluation;
use crate::rng::Rng;

/// Model classes, in output order (index = label value in the label map).
pub const CLASSES: [&str; 4] = ["background", "body", "lung", "bone"];

/// The model class of a phantom label: lung parenchyma with its vessels and nodules is "lung" (as lung masks are
/// drawn clinically), every other tissue inside the body outline (heart, aorta, airways, mediastinum) is "body".
pub fn class_of(label: u8) -> u8 {
    match label {
        l if l == Label::Background.value() => 0,
        l if l == Label::Lung.value() || l == Label::Vessel.value() || l == Label::Nodule.value() => 2,
        l if l == Label::Bone.value() => 3,
        _ => 1,
    }
}

const SIZE: usize = 128;
const RENDER: usize = 256;
/// The demo series' field of view (mm): 512 × 0.7.
const FOV_MM: f64 = 358.4;

fn sct(value: &str, meaning: &str) -> Code {
    Code { scheme: "SCT".into(), value: value.into(), meaning: meaning.into() }
}

pub fn manifest() -> ModelManifest {
    let label = |name: &str, display: &str, colour: [u8; 3], code: Code| OutputLabel {
        name: name.into(),
        display: display.into(),
        colour,
        code,
    };
    ModelManifest {
        id: "ct-chest-seg".into(),
        name: "Chest CT body, lungs and bone (synthetic demo)".into(),
        version: "1.0.0".into(),
        task: Task::Segmentation,
        architecture: Architecture::Unet2d(Unet2dSpec { in_channels: 1, widths: vec![16, 32, 64, 128], classes: CLASSES.len() }),
        input: InputSpec {
            modalities: vec!["CT".into()],
            body_parts: vec!["CHEST".into()],
            source: InputSource::ModalityWindow,
            size: SIZE,
            mean: 0.35,
            std: 0.3,
            window: Some(FixedWindow { center: 0.0, width: 2000.0 }),
            voxel_mm: None,
        },
        outputs: vec![
            label("background", "Background", [0, 0, 0], Code {
                scheme: "99LUMEN".into(),
                value: "background".into(),
                meaning: "Background".into(),
            }),
            label("body", "Body", [230, 180, 60], sct("38266002", "Entire body as a whole")),
            label("lung", "Lung", [70, 150, 240], sct("39607008", "Lung")),
            label("bone", "Bone", [240, 240, 240], sct("272673000", "Bone structure")),
        ],
        weights: WeightsRef { file: crate::package::WEIGHTS_FILE.into(), sha256: "0".repeat(64), bytes: 0, dtype: "f32".into() },
        card: "MODEL_CARD.md".into(),
        disclaimer: "Demonstration of the segmentation pipeline only, not for clinical use: trained and tested on \
                     Lumen's synthetic chest phantom, never on patient images."
            .into(),
        runs_on: RunsOn::Browser,
        triage_label: None,
    }
}

/// One training or evaluation slice: normalised `SIZE`² input, and its class per model pixel (training) or per
/// source pixel (evaluation).
pub struct SegSample {
    pub input: Vec<f32>,
    pub target: Vec<u8>,
}

/// The model's grey input from CT numbers: the manifest's fixed window, exactly as the viewer's AI worker applies
/// it ([`ModelManifest::input_window`] ignores the display window for this model).
pub(crate) fn window_grey(hu: &[f32], m: &ModelManifest) -> Vec<f32> {
    let any_display = lumen_frames::WindowPreset {
        center: 40.0,
        width: 400.0,
        function: lumen_frames::WindowFunction::Linear,
        explanation: None,
    };
    let (window, invert) = m.input_window(&any_display, true);
    lumen_frames::displayed_grey(hu, &window, invert)
}

/// A random axial plane through the phantom (see the module documentation).
fn training_slice(phantom: &ChestPhantom, m: &ModelManifest, geom: &CtGeometry, rng: &mut Rng) -> SegSample {
    let z_top = geom.z_top();
    let z = z_top - rng.range(0.0, geom.slice_spacing * f64::from(geom.slices - 1));
    let ctx = phantom.slice_context(z);
    let angle = rng.range(-12.0, 12.0).to_radians();
    let zoom = rng.range(0.85, 1.2);
    let (dx, dy) = (rng.range(-20.0, 20.0), rng.range(-20.0, 20.0));
    let noise = rng.range(5.0, 25.0);
    let (c, s) = (angle.cos(), angle.sin());
    // Grid coordinates (pixel centres, in units of the field of view) → patient mm.
    let point = |gx: f64, gy: f64| {
        let (u, v) = ((gx - 0.5) * FOV_MM / zoom, (gy - 0.5) * FOV_MM / zoom);
        (c * u - s * v + dx, s * u + c * v + dy)
    };
    let mut hu = Vec::with_capacity(RENDER * RENDER);
    for row in 0..RENDER {
        for col in 0..RENDER {
            let (x, y) = point((col as f64 + 0.5) / RENDER as f64, (row as f64 + 0.5) / RENDER as f64);
            let tri = rng.unit() + rng.unit() - 1.0;
            hu.push((ctx.sample(x, y).hu + noise * tri) as f32);
        }
    }
    let mut target = Vec::with_capacity(SIZE * SIZE);
    for row in 0..SIZE {
        for col in 0..SIZE {
            let (x, y) = point((col as f64 + 0.5) / SIZE as f64, (row as f64 + 0.5) / SIZE as f64);
            target.push(class_of(ctx.sample(x, y).label.value()));
        }
    }
    let grey = GreyImage::new(RENDER, RENDER, window_grey(&hu, m)).expect("render grid");
    SegSample { input: model_input(&grey, SIZE, m.input.mean, m.input.std), target }
}

/// Slice `k` of the demo series as the viewer receives it, with its true classes per source pixel.
pub fn demo_slice(phantom: &ChestPhantom, m: &ModelManifest, geom: &CtGeometry, k: u32) -> (GreyImage, Vec<u8>) {
    let slice = ct_slice(phantom, geom, k);
    let hu: Vec<f32> = slice.hu.iter().map(|&v| f32::from(v)).collect();
    let (w, h) = (usize::from(geom.columns), usize::from(geom.rows));
    let grey = GreyImage::new(w, h, window_grey(&hu, m)).expect("slice size");
    (grey, slice.labels.iter().map(|&l| class_of(l)).collect())
}

/// Per-class overlap counts of a predicted and a true label map: (intersection, predicted, true) per class.
pub fn overlap(pred: &[u8], truth: &[u8]) -> Vec<(u64, u64, u64)> {
    let mut out = vec![(0u64, 0u64, 0u64); CLASSES.len()];
    for (&p, &t) in pred.iter().zip(truth) {
        out[p as usize].1 += 1;
        out[t as usize].2 += 1;
        if p == t {
            out[p as usize].0 += 1;
        }
    }
    out
}

/// Dice of one class from summed overlap counts (1 when the class is absent from both).
pub fn dice((inter, pred, truth): (u64, u64, u64)) -> f64 {
    if pred + truth == 0 {
        1.0
    } else {
        2.0 * inter as f64 / (pred + truth) as f64
    }
}

/// `f(seed)` for every seed on every core, in the seeds' order (so the result does not depend on the thread count).
pub(crate) fn in_parallel<T: Send>(seeds: &[u64], f: impl Fn(u64) -> T + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = seeds
            .chunks(seeds.len().div_ceil(threads).max(1))
            .map(|part| scope.spawn(move || part.iter().map(|&s| f(s)).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("rendering thread")).collect()
    })
}

/// Per-class overlap counts summed over slices.
pub(crate) fn summed(slices: &[&Vec<(u64, u64, u64)>]) -> Vec<(u64, u64, u64)> {
    let mut t = vec![(0u64, 0u64, 0u64); CLASSES.len()];
    for s in slices {
        for (a, b) in t.iter_mut().zip(s.iter()) {
            a.0 += b.0;
            a.1 += b.1;
            a.2 += b.2;
        }
    }
    t
}

/// The summed overlap counts of every class over `per_slice`, and each class's 95% CI of Dice: percentile
/// bootstrap over slices (2000 resamples, seed 1).
pub(crate) fn dice_with_ci(per_slice: &[Vec<(u64, u64, u64)>]) -> (Vec<(u64, u64, u64)>, Vec<(f64, f64)>) {
    let all: Vec<&Vec<(u64, u64, u64)>> = per_slice.iter().collect();
    let mut rng = Rng::new(1);
    let mut boot: Vec<Vec<f64>> = vec![Vec::with_capacity(2000); CLASSES.len()];
    for _ in 0..2000 {
        let pick: Vec<&Vec<(u64, u64, u64)>> = (0..all.len()).map(|_| all[rng.below(all.len())]).collect();
        for (c, t) in summed(&pick).into_iter().enumerate() {
            boot[c].push(dice(t));
        }
    }
    let cis = boot
        .iter_mut()
        .map(|v| {
            v.sort_by(f64::total_cmp);
            (v[(v.len() as f64 * 0.025) as usize], v[((v.len() as f64 * 0.975) as usize).min(v.len() - 1)])
        })
        .collect();
    (summed(&all), cis)
}

pub struct TrainedSeg {
    pub weights: Vec<u8>,
    pub best_epoch: usize,
    pub best_val: f64,
    pub log: Vec<(usize, f64, f64, f64)>,
    pub epochs: usize,
    pub train_slices: usize,
    pub seed: u64,
}

/// Trains the U-Net from scratch; model selection by mean foreground Dice on the validation slices.
pub fn train(m: &ModelManifest, epochs: usize, seed: u64) -> TrainedSeg {
    let Architecture::Unet2d(spec) = &m.architecture else { unreachable!("ct-chest-seg is a unet-2d") };
    let phantom = ChestPhantom::new();
    let geom = CtGeometry::default();
    let mut rng = Rng::new(seed);
    let train_slices: usize = 640;
    let t0 = Instant::now();
    // One seed per slice, drawn up front, so that rendering in parallel gives the same slices.
    let seeds: Vec<u64> = (0..train_slices).map(|_| rng.next_u64()).collect();
    let train_set: Vec<SegSample> = in_parallel(&seeds, |s| training_slice(&phantom, m, &geom, &mut Rng::new(s)));
    eprintln!("{} training slices rendered in {:.1} s", train_set.len(), t0.elapsed().as_secs_f64());
    let val: Vec<(GreyImage, Vec<u8>)> = (0..geom.slices).step_by(5).map(|k| demo_slice(&phantom, m, &geom, k)).collect();

    let plain = Device::flex();
    plain.seed(seed);
    let device = plain.clone().autodiff();
    let mut model = Unet2d::new(spec, &device);
    let mut optim = AdamConfig::new().with_weight_decay(Some(WeightDecayConfig::new(1e-4))).init();
    // Bone is thin and rare: weigh it up so that it is not swallowed by body.
    let loss_fn = CrossEntropyLossConfig::new().with_weights(Some(vec![0.5, 1.0, 1.0, 3.0])).init(&device);
    let (batch, lr0) = (16usize, 3e-3);
    let mut order: Vec<usize> = (0..train_set.len()).collect();
    let mut best: Option<(f64, usize, Vec<u8>)> = None;
    let mut log = Vec::new();
    for epoch in 0..epochs {
        let t = Instant::now();
        rng.shuffle(&mut order);
        let lr = crate::train::epoch_lr(lr0, epoch, epochs);
        let (mut loss_sum, mut batches) = (0.0, 0);
        for chunk in order.chunks(batch) {
            if chunk.len() < 2 {
                continue;
            }
            let n = chunk.len();
            let mut x = Vec::with_capacity(n * SIZE * SIZE);
            let mut y = Vec::with_capacity(n * SIZE * SIZE);
            for &i in chunk {
                // Fresh intensity jitter per visit: a small gain and offset on the normalised input.
                let (gain, offset) = (rng.range(0.95, 1.05) as f32, rng.range(-0.05, 0.05) as f32);
                x.extend(train_set[i].input.iter().map(|v| v * gain + offset));
                y.extend(train_set[i].target.iter().map(|&c| c as i64));
            }
            let x = Tensor::<4>::from_data(TensorData::new(x, [n, 1, SIZE, SIZE]), &device);
            let y = Tensor::<1, Int>::from_data(TensorData::new(y, [n * SIZE * SIZE]), &device);
            let logits = model.forward(x).permute([0, 2, 3, 1]).reshape([n * SIZE * SIZE, spec.classes]);
            let loss = loss_fn.forward(logits, y);
            loss_sum += loss.clone().into_scalar::<f32>() as f64;
            batches += 1;
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(lr, model, grads);
        }
        let eval = model.valid();
        let score = evaluate(&eval, m, &val, &plain).iter().skip(1).map(|&d| dice(d)).sum::<f64>() / (CLASSES.len() - 1) as f64;
        let secs = t.elapsed().as_secs_f64();
        let loss = loss_sum / batches.max(1) as f64;
        eprintln!("epoch {:>3}: lr {lr:.5}  loss {loss:.4}  val mean Dice {score:.4}  ({secs:.1} s)", epoch + 1);
        log.push((epoch + 1, loss, score, secs));
        if best.as_ref().is_none_or(|(b, _, _)| score > *b) {
            best = Some((score, epoch + 1, to_safetensors(&eval).expect("serialising weights")));
        }
    }
    let (best_val, best_epoch, weights) = best.expect("at least one epoch");
    TrainedSeg { weights, best_epoch, best_val, log, epochs, train_slices, seed }
}

/// Summed per-class overlap counts of `model` on `slices` at full resolution.
fn evaluate(model: &Unet2d, m: &ModelManifest, slices: &[(GreyImage, Vec<u8>)], device: &Device) -> Vec<(u64, u64, u64)> {
    let classes = CLASSES.len();
    let mut total = vec![(0u64, 0u64, 0u64); classes];
    for chunk in slices.chunks(8) {
        let mut x = Vec::with_capacity(chunk.len() * SIZE * SIZE);
        for (img, _) in chunk {
            x.extend(model_input(img, SIZE, m.input.mean, m.input.std));
        }
        let x = Tensor::<4>::from_data(TensorData::new(x, [chunk.len(), 1, SIZE, SIZE]), device);
        let p: Vec<f32> = softmax(model.forward(x), 1).into_data().try_to_vec().expect("f32 probabilities");
        for ((img, truth), probs) in chunk.iter().zip(p.chunks(classes * SIZE * SIZE)) {
            let pred = label_map(probs, classes, SIZE, img.width, img.height).expect("label map");
            for (t, o) in total.iter_mut().zip(overlap(&pred, truth)) {
                t.0 += o.0;
                t.1 += o.1;
                t.2 += o.2;
            }
        }
    }
    total
}

/// The held-out evaluation on all 220 slices of the demo series at full resolution, through the runtime's own
/// path (Dice per class with a bootstrap CI over slices), for each of `models` on the same slices.
pub fn evaluate_held_out(models: &[&LoadedModel]) -> Result<Vec<Evaluation>, String> {
    let Some(first) = models.first() else { return Ok(Vec::new()) };
    let manifest = &first.manifest;
    let phantom = ChestPhantom::new();
    let geom = CtGeometry::default();
    let classes = CLASSES.len();
    let mut per_slice = vec![Vec::with_capacity(geom.slices as usize); models.len()];
    let mut probabilities = vec![Vec::with_capacity(geom.slices as usize); models.len()];
    let mut label_maps = vec![Vec::with_capacity(geom.slices as usize); models.len()];
    for k in 0..geom.slices {
        let (img, truth) = demo_slice(&phantom, manifest, &geom, k);
        for (i, model) in models.iter().enumerate() {
            let seg = model.segment_blocking(&img).map_err(|e| e.to_string())?;
            per_slice[i].push(overlap(&seg.labels, &truth));
            probabilities[i].push(seg.probabilities);
            label_maps[i].push(seg.labels);
        }
    }
    let mut out = Vec::new();
    for ((per_slice, probabilities), label_maps) in per_slice.into_iter().zip(probabilities).zip(label_maps) {
        let (totals, cis) = dice_with_ci(&per_slice);
        let mut table = String::from(
            "| class | Dice on the 220 demo CT slices (512², full resolution) | 95% CI (bootstrap over slices) |\n|---|---|---|\n",
        );
        let mut per_class = Vec::new();
        let mut metrics = Vec::new();
        for c in 1..classes {
            let d = dice(totals[c]);
            let (lo, hi) = cis[c];
            eprintln!("{:>10}: Dice {d:.4} ({lo:.4}–{hi:.4})", CLASSES[c]);
            table += &format!("| {} | **{d:.3}** | {lo:.3}–{hi:.3} |\n", manifest.outputs[c].display);
            per_class.push(serde_json::json!({"class": CLASSES[c], "dice": d, "ci95": [lo, hi],
                "intersection": totals[c].0, "predicted": totals[c].1, "true": totals[c].2}));
            metrics.push((format!("Dice {}", CLASSES[c]), d, (lo, hi)));
        }
        let test = serde_json::json!({"slices": geom.slices, "per_class": per_class,
                 "ci_method": "percentile bootstrap over slices, 2000 resamples, seed 1",
                 "note": "same synthetic anatomy as training (different sampling): a pipeline check, not generalisation"});
        out.push(Evaluation { test, table, probabilities, label_maps, metrics });
    }
    Ok(out)
}

/// The card's sentence on model selection and training, from metrics.json.
pub fn note(m: &serde_json::Value) -> String {
    format!(
        "\nModel selected at epoch {} of {} (validation mean foreground Dice {:.3} on every 5th demo slice). \
         Training: {} random planes through the same phantom, {:.0} s on the CPU.\n",
        m["selection"]["best_epoch"],
        m["training"]["epochs"],
        m["selection"]["val_mean_dice"].as_f64().unwrap_or(f64::NAN),
        m["training"]["slices"],
        m["training"]["seconds"].as_f64().unwrap_or(f64::NAN)
    )
}

/// Evaluates the trained weights on all slices of the demo series through the runtime's own loading path and
/// writes `models/ct-chest-seg/`.
pub fn write(out_root: &std::path::Path, m: ModelManifest, trained: &TrainedSeg, train_seconds: f64) -> Result<(), String> {
    let (manifest, model) = crate::package::finalise(m, &trained.weights)?;
    let eval = evaluate_held_out(&[&model])?.remove(0);
    let metrics = serde_json::json!({
        "model": manifest.id, "version": manifest.version,
        "test": eval.test,
        "selection": {"best_epoch": trained.best_epoch, "val_mean_dice": trained.best_val},
        "training": {"epochs": trained.epochs, "slices": trained.train_slices, "seed": trained.seed, "seconds": train_seconds,
                      "log": trained.log.iter().map(|(e, l, v, s)| serde_json::json!({"epoch": e, "train_loss": l, "val": v, "seconds": s})).collect::<Vec<_>>()},
        "command": "cargo run --release -p lumen-train -- ct-seg",
    });
    let card = eval.table + &note(&metrics);
    let weights = crate::package::weights_section(&manifest, None);
    crate::package::write_package(out_root, &manifest, &model, &trained.weights, metrics, &card, &weights)
}
