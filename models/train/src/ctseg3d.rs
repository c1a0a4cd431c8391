//! The 3D chest CT segmentation model (`models/ct-chest-seg3d`): a MeshNet-style network (dilated 3×3×3
//! convolutions, no pooling) that labels every voxel of the whole series at once as background, body, lung or
//! bone — the "heavy 3D model" that runs on Lumen's server. Trained on Lumen's own synthetic chest phantom
//! (`lumen-phantom`), whose generator knows the true label of every point.
//!
//! The series is resampled to an isotropic grid of [`VOXEL_MM`] before the network sees it (the runtime's
//! [`lumen_infer::GreyVolume::resample`]: box-averaged where the grid is coarser, linearly interpolated where it is
//! finer). Training crops imitate that: each is a [`CROP`]³ block of that grid through the phantom, centred at a
//! random point, rotated (±12°) and zoomed (0.85–1.2×) in plane, sampled 2 × 2 in plane per voxel; half of them
//! as if acquired with thick slices (1–4 grid voxels apart, linearly interpolated between them, as a thick-slice
//! series is), with noise. Validation and test are the demo series as the server receives it (512² × 220 slices),
//! run through the runtime's own path ([`lumen_infer::LoadedModel::segment_volume_blocking`]) and scored with
//! Dice per source slice; the small 96² × 22 demo series is scored too. Training and test share one synthetic
//! anatomy: the test shows that the pipeline works, not that the model generalises to patients.

use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use lumen_infer::manifest::{Architecture, FixedWindow, InputSource, InputSpec, Meshnet3dSpec, ModelManifest, RunsOn};
use lumen_infer::{to_safetensors, GreyImage, GreyVolume, LoadedModel, Meshnet3d};
use lumen_phantom::{ChestPhantom, CtGeometry};
use std::time::Instant;

use crate::ctseg::{class_of, demo_slice, dice, dice_with_ci, in_parallel, overlap, summed, window_grey, CLASSES};
use crate::package::Evaluation;
use crate::rng::Rng;

/// The isotropic grid the series is resampled to, mm.
pub const VOXEL_MM: f32 = 3.0;
/// Side of a training crop, voxels.
pub const CROP: usize = 40;
/// Side of the blocks inference runs in (plus the receptive-field margin), voxels.
const BLOCK: usize = 64;

pub fn manifest() -> ModelManifest {
    let mut m = crate::ctseg::manifest();
    m.id = "ct-chest-seg3d".into();
    m.name = "Chest CT body, lungs and bone, 3D (synthetic demo, server)".into();
    m.architecture = Architecture::Meshnet3d(Meshnet3dSpec {
        in_channels: 1,
        channels: 8,
        dilations: vec![1, 1, 2, 4, 8, 4, 2, 1, 1],
        classes: CLASSES.len(),
    });
    m.input = InputSpec {
        modalities: vec!["CT".into()],
        body_parts: vec!["CHEST".into()],
        source: InputSource::ModalityWindow,
        size: BLOCK,
        mean: 0.35,
        std: 0.3,
        window: Some(FixedWindow { center: 0.0, width: 2000.0 }),
        voxel_mm: Some(VOXEL_MM),
    };
    m.runs_on = RunsOn::ServerOrBrowser;
    m
}

fn spec(m: &ModelManifest) -> &Meshnet3dSpec {
    match &m.architecture {
        Architecture::Meshnet3d(s) => s,
        other => panic!("{}: not a meshnet-3d ({other:?})", m.id),
    }
}

/// One training crop: normalised input and the class of every voxel, both `CROP`³.
pub struct Crop {
    pub input: Vec<f32>,
    pub target: Vec<u8>,
}

/// A random crop of the resampled grid through the phantom (see the module documentation).
fn training_crop(phantom: &ChestPhantom, m: &ModelManifest, geom: &CtGeometry, rng: &mut Rng) -> Crop {
    let field_z = geom.slice_spacing * f64::from(geom.slices - 1);
    let zc = geom.z_top() - rng.range(0.0, field_z);
    let (xc, yc) = (rng.range(-90.0, 90.0), rng.range(-90.0, 90.0));
    let angle = rng.range(-12.0, 12.0).to_radians();
    let zoom = rng.range(0.85, 1.2);
    let step = f64::from(VOXEL_MM) / zoom;
    // Thick slices for half the crops: acquired every `thick` voxels, linearly interpolated in between.
    let thick = if rng.unit() < 0.5 { 1.0 } else { rng.range(1.0, 4.0) };
    let phase = rng.unit() * thick;
    let noise = rng.range(1.0, 10.0);
    let (c, s) = (angle.cos(), angle.sin());
    let half = CROP as f64 / 2.0;
    let offset = |i: f64| (i - half + 0.5) * step;
    let to_patient = |u: f64, v: f64| (xc + c * u - s * v, yc + s * u + c * v);
    // The HU plane (2 × 2 samples per voxel) and the label plane at crop height `kz` (in voxels, fractional).
    let plane = |kz: f64, labels: bool| -> (Vec<f32>, Vec<u8>) {
        let ctx = phantom.slice_context(zc + (kz - half + 0.5) * step);
        let mut hu = Vec::with_capacity(CROP * CROP);
        let mut lab = Vec::new();
        for row in 0..CROP {
            for col in 0..CROP {
                let mut sum = 0.0;
                for (du, dv) in [(-0.25, -0.25), (0.25, -0.25), (-0.25, 0.25), (0.25, 0.25)] {
                    let (x, y) = to_patient(offset(col as f64) + du * step, offset(row as f64) + dv * step);
                    sum += ctx.sample(x, y).hu;
                }
                hu.push((sum / 4.0) as f32);
                if labels {
                    let (x, y) = to_patient(offset(col as f64), offset(row as f64));
                    lab.push(class_of(ctx.sample(x, y).label.value()));
                }
            }
        }
        (hu, lab)
    };
    let mut input = Vec::with_capacity(CROP * CROP * CROP);
    let mut target = Vec::with_capacity(CROP * CROP * CROP);
    let mut acquired: std::collections::HashMap<i64, Vec<f32>> = std::collections::HashMap::new();
    for kz in 0..CROP {
        let (hu_here, labels) = plane(kz as f64, true);
        target.extend(labels);
        let hu = if thick <= 1.0 {
            hu_here
        } else {
            // The two acquired planes around this voxel's height, and where it lies between them.
            let t = (kz as f64 - phase) / thick;
            let (j, f) = (t.floor() as i64, (t - t.floor()) as f32);
            let mut get = |j: i64| acquired.entry(j).or_insert_with(|| plane(phase + j as f64 * thick, false).0).clone();
            let (a, b) = (get(j), get(j + 1));
            a.iter().zip(&b).map(|(a, b)| a * (1.0 - f) + b * f).collect()
        };
        let hu: Vec<f32> = hu.iter().map(|v| v + (noise * (rng.unit() + rng.unit() - 1.0)) as f32).collect();
        input.extend(window_grey(&hu, m).iter().map(|v| (v - m.input.mean) / m.input.std));
    }
    Crop { input, target }
}

/// A demo series as the server receives it: its grey volume (the model's window) and the true class of every
/// source voxel, slice by slice.
pub fn demo_volume(phantom: &ChestPhantom, m: &ModelManifest, geom: &CtGeometry) -> (GreyVolume, Vec<Vec<u8>>) {
    let ks: Vec<u64> = (0..u64::from(geom.slices)).collect();
    let slices: Vec<(GreyImage, Vec<u8>)> = in_parallel(&ks, |k| demo_slice(phantom, m, geom, k as u32));
    let spacing = [geom.pixel_spacing as f32, geom.pixel_spacing as f32, geom.slice_spacing as f32];
    let (images, truth): (Vec<GreyImage>, Vec<Vec<u8>>) = slices.into_iter().unzip();
    (GreyVolume::from_slices(&images, spacing).expect("demo slices"), truth)
}

/// Per-class overlap counts of each slice's label map against the truth.
pub fn slice_overlaps(pred: &[Vec<u8>], truth: &[Vec<u8>]) -> Vec<Vec<(u64, u64, u64)>> {
    pred.iter().zip(truth).map(|(p, t)| overlap(p, t)).collect()
}

pub struct Trained3d {
    pub weights: Vec<u8>,
    pub best_epoch: usize,
    pub best_val: f64,
    pub log: Vec<(usize, f64, f64, f64)>,
    /// Epochs run, and planned (the learning-rate schedule's length).
    pub epochs: usize,
    pub planned_epochs: usize,
    pub crops: usize,
    pub seed: u64,
    pub device: String,
}

/// Trains the MeshNet from scratch on `device` (Flex CPU, or a GPU when built with one); model selection by mean
/// foreground Dice on the small demo series (through the runtime's path on the CPU).
/// `budget_s`: stop after the epoch that would leave too little time for another (the best epoch so far is kept).
pub fn train(m: &ModelManifest, epochs: usize, crops: usize, seed: u64, device: Device, device_name: &str, budget_s: Option<f64>) -> Trained3d {
    let spec = spec(m).clone();
    let phantom = ChestPhantom::new();
    let geom = CtGeometry::default();
    let mut rng = Rng::new(seed);
    let t0 = Instant::now();
    let seeds: Vec<u64> = (0..crops).map(|_| rng.next_u64()).collect();
    let train_set: Vec<Crop> = in_parallel(&seeds, |s| training_crop(&phantom, m, &geom, &mut Rng::new(s)));
    eprintln!("{} training crops of {CROP}³ rendered in {:.1} s", train_set.len(), t0.elapsed().as_secs_f64());
    let small_geom = CtGeometry::covering(96, 22);
    let (val_volume, val_truth) = demo_volume(&phantom, m, &small_geom);

    device.seed(seed);
    let train_device = device.clone().autodiff();
    let mut model = Meshnet3d::new(&spec, &train_device);
    let mut optim = AdamConfig::new().with_weight_decay(Some(WeightDecayConfig::new(1e-4))).init();
    let loss_fn = CrossEntropyLossConfig::new().with_weights(Some(vec![0.5, 1.0, 1.0, 3.0])).init(&train_device);
    let (batch, lr0) = (4usize, 3e-3);
    let n_vox = CROP * CROP * CROP;
    let mut order: Vec<usize> = (0..train_set.len()).collect();
    let mut best: Option<(f64, usize, Vec<u8>)> = None;
    let mut log = Vec::new();
    for epoch in 0..epochs {
        let t = Instant::now();
        rng.shuffle(&mut order);
        let lr = crate::train::epoch_lr(lr0, epoch, epochs);
        let (mut loss_sum, mut batches) = (0.0, 0);
        for chunk in order.chunks(batch) {
            let n = chunk.len();
            let mut x = Vec::with_capacity(n * n_vox);
            let mut y = Vec::with_capacity(n * n_vox);
            for &i in chunk {
                let (gain, offset) = (rng.range(0.95, 1.05) as f32, rng.range(-0.05, 0.05) as f32);
                x.extend(train_set[i].input.iter().map(|v| v * gain + offset));
                y.extend(train_set[i].target.iter().map(|&c| c as i64));
            }
            let x = Tensor::<5>::from_data(TensorData::new(x, [n, 1, CROP, CROP, CROP]), &train_device);
            let y = Tensor::<1, Int>::from_data(TensorData::new(y, [n * n_vox]), &train_device);
            let logits = model.forward(x).permute([0, 2, 3, 4, 1]).reshape([n * n_vox, spec.classes]);
            let loss = loss_fn.forward(logits, y);
            loss_sum += loss.clone().into_scalar::<f32>() as f64;
            batches += 1;
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(lr, model, grads);
        }
        let train_secs = t.elapsed().as_secs_f64();
        let weights = to_safetensors(&model.valid()).expect("serialising weights");
        let score = match finalise(m.clone(), &weights) {
            Ok((_, loaded)) => mean_foreground_dice(&loaded, &val_volume, &val_truth),
            Err(e) => panic!("the trained weights do not load: {e}"),
        };
        let secs = t.elapsed().as_secs_f64();
        let loss = loss_sum / batches.max(1) as f64;
        eprintln!("epoch {:>3}: lr {lr:.5}  loss {loss:.4}  val mean Dice {score:.4}  ({train_secs:.1} s training, {secs:.1} s)", epoch + 1);
        log.push((epoch + 1, loss, score, secs));
        if best.as_ref().is_none_or(|(b, _, _)| score > *b) {
            best = Some((score, epoch + 1, weights));
        }
        if budget_s.is_some_and(|b| t0.elapsed().as_secs_f64() + secs > b) && epoch + 1 < epochs {
            eprintln!("stopping after epoch {}: the time budget would be exceeded by another", epoch + 1);
            break;
        }
    }
    let (best_val, best_epoch, weights) = best.expect("at least one epoch");
    Trained3d { weights, best_epoch, best_val, epochs: log.len(), log, planned_epochs: epochs, crops, seed, device: device_name.into() }
}

fn finalise(m: ModelManifest, weights: &[u8]) -> Result<(ModelManifest, LoadedModel), String> {
    crate::package::finalise(m, weights)
}

/// Mean Dice of body, lung and bone over a series through the runtime's own path.
fn mean_foreground_dice(model: &LoadedModel, volume: &GreyVolume, truth: &[Vec<u8>]) -> f64 {
    let seg = model.segment_volume_blocking(volume, &mut |_, _| true).expect("3D segmentation");
    let per_slice = slice_overlaps(&seg.slices, truth);
    let totals = summed(&per_slice.iter().collect::<Vec<_>>());
    totals.iter().skip(1).map(|&t| dice(t)).sum::<f64>() / (CLASSES.len() - 1) as f64
}

/// The held-out evaluation on both demo series through the runtime's own path (Dice per class and series with a
/// bootstrap CI over slices), for each of `models` on the same volumes.
pub fn evaluate_held_out(models: &[&LoadedModel]) -> Result<Vec<Evaluation>, String> {
    let Some(first) = models.first() else { return Ok(Vec::new()) };
    let manifest = &first.manifest;
    let phantom = ChestPhantom::new();
    let classes = CLASSES.len();
    let mut out: Vec<Evaluation> = models
        .iter()
        .map(|_| Evaluation { test: serde_json::Value::Null, table: String::new(), probabilities: Vec::new(), label_maps: Vec::new(), metrics: Vec::new() })
        .collect();
    let mut tests = vec![Vec::new(); models.len()];
    for (name, geom) in [("demo CT 512² × 220", CtGeometry::default()), ("small demo CT 96² × 22", CtGeometry::covering(96, 22))] {
        let (volume, truth) = demo_volume(&phantom, manifest, &geom);
        for ((model, eval), tests) in models.iter().zip(out.iter_mut()).zip(tests.iter_mut()) {
            let t = Instant::now();
            let seg = model.segment_volume_blocking(&volume, &mut |_, _| true).map_err(|e| e.to_string())?;
            let secs = t.elapsed().as_secs_f64();
            let per_slice = slice_overlaps(&seg.slices, &truth);
            let (totals, cis) = dice_with_ci(&per_slice);
            eval.table += &format!(
                "\n**{name}** (grid {:?} voxels of {VOXEL_MM} mm; {:.1} s on the CPU, burn Flex):\n\n\
                 | class | Dice per source voxel | 95% CI (bootstrap over slices) |\n|---|---|---|\n",
                seg.grid, secs
            );
            let mut per_class = Vec::new();
            for c in 1..classes {
                let d = dice(totals[c]);
                let (lo, hi) = cis[c];
                eprintln!("{name}: {:>6}: Dice {d:.4} ({lo:.4}–{hi:.4})", CLASSES[c]);
                eval.table += &format!("| {} | **{d:.3}** | {lo:.3}–{hi:.3} |\n", manifest.outputs[c].display);
                per_class.push(serde_json::json!({"class": CLASSES[c], "dice": d, "ci95": [lo, hi],
                    "intersection": totals[c].0, "predicted": totals[c].1, "true": totals[c].2}));
                eval.metrics.push((format!("Dice {} ({name})", CLASSES[c]), d, (lo, hi)));
            }
            tests.push(serde_json::json!({"series": name, "slices": geom.slices, "grid": seg.grid, "seconds": secs,
                "per_class": per_class}));
            eval.probabilities.push(seg.probabilities);
            eval.label_maps.extend(seg.slices);
        }
    }
    for (eval, tests) in out.iter_mut().zip(tests) {
        eval.test = serde_json::json!({"series": tests,
                 "ci_method": "percentile bootstrap over slices, 2000 resamples, seed 1",
                 "note": "same synthetic anatomy as training (different sampling): a pipeline check, not generalisation"});
    }
    Ok(out)
}

/// The card's sentence on model selection and training, from metrics.json.
pub fn note(m: &serde_json::Value) -> String {
    format!(
        "\nModel selected at epoch {} of {} (validation mean foreground Dice {:.3} on the small demo series). \
         Training: {} random {CROP}³ crops of the phantom, {:.0} s on {}.\n",
        m["selection"]["best_epoch"],
        m["training"]["epochs"],
        m["selection"]["val_mean_dice"].as_f64().unwrap_or(f64::NAN),
        m["training"]["crops"],
        m["training"]["seconds"].as_f64().unwrap_or(f64::NAN),
        m["training"]["device"].as_str().unwrap_or("an unrecorded device")
    )
}

/// Evaluates the trained weights on both demo series through the runtime's own loading path and writes
/// `models/ct-chest-seg3d/`.
pub fn write(out_root: &std::path::Path, m: ModelManifest, trained: &Trained3d, train_seconds: f64) -> Result<(), String> {
    let (manifest, model) = finalise(m, &trained.weights)?;
    let eval = evaluate_held_out(&[&model])?.remove(0);
    let metrics = serde_json::json!({
        "model": manifest.id, "version": manifest.version,
        "test": eval.test,
        "selection": {"best_epoch": trained.best_epoch, "val_mean_dice": trained.best_val},
        "training": {"epochs": trained.epochs, "planned_epochs": trained.planned_epochs, "crops": trained.crops, "crop": CROP, "seed": trained.seed,
                      "seconds": train_seconds, "device": trained.device,
                      "log": trained.log.iter().map(|(e, l, v, s)| serde_json::json!({"epoch": e, "train_loss": l, "val": v, "seconds": s})).collect::<Vec<_>>()},
        "command": "cargo run --release -p lumen-train -- ct-seg3d",
    });
    let card = eval.table + &note(&metrics);
    let weights = crate::package::weights_section(&manifest, None);
    crate::package::write_package(out_root, &manifest, &model, &trained.weights, metrics, &card, &weights)
}
