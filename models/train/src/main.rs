//! `lumen-train`: retrains Lumen's in-house models and rewrites their packages in `models/`.
//!
//! ```sh
//! cargo run --release -p lumen-train -- pneumonia   # models/cxr-pneumonia
//! cargo run --release -p lumen-train -- qc          # models/cxr-qc
//! cargo run --release -p lumen-train -- ct-seg      # models/ct-chest-seg (synthetic phantom, needs no data)
//! cargo run --release -p lumen-train -- ct-seg3d    # models/ct-chest-seg3d (3D, synthetic phantom)
//! cargo run --release -p lumen-train --features gpu -- ct-seg3d --gpu   # the same on a GPU (Vulkan)
//! cargo run --release -p lumen-train -- f16 [ID…]   # f16 weights where the held-out evaluation holds (all four)
//! ```
//! Data: `../shared/data/cxr-pneumonia` (or `--data DIR` / `LUMEN_CXR_DATA`). Everything is seeded: the same
//! command on the same machine writes the same weights.

mod augment;
mod ctseg;
mod ctseg3d;
mod data;
mod half;
mod metrics;
mod package;
mod rng;
mod train;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use lumen_infer::preprocess::model_input;
use lumen_infer::GreyImage;

use augment::{random_crop, random_tone, QC_CLASSES};
use data::{Radiograph, Split};
use train::{Sample, TrainConfig};

#[derive(Parser)]
#[command(about = "Train Lumen's in-house chest X-ray models and write their packages")]
struct Cli {
    #[command(subcommand)]
    model: Model,
    /// The cxr-pneumonia data folder (default: ../shared/data/cxr-pneumonia next to the repository).
    #[arg(long, global = true)]
    data: Option<PathBuf>,
    /// Where packages are written (default: the repository's models/ folder).
    #[arg(long, global = true)]
    out: Option<PathBuf>,
    /// Override the number of epochs (for quick experiments; the committed models use the defaults).
    #[arg(long, global = true)]
    epochs: Option<usize>,
    /// ct-seg3d: number of random training crops (default 512).
    #[arg(long, global = true)]
    crops: Option<usize>,
    /// ct-seg3d: train on the GPU (burn's Vulkan backend; build with `--features gpu`).
    #[arg(long, global = true)]
    gpu: bool,
    /// ct-seg3d: stop before an epoch that would end after this many seconds of training (the best epoch so far
    /// is kept).
    #[arg(long, global = true)]
    time_budget: Option<f64>,
}

#[derive(Subcommand)]
enum Model {
    /// Pneumonia vs no finding (triage support), models/cxr-pneumonia.
    Pneumonia,
    /// Acquisition QC: rotated 90/180/270°, mirrored, inverted, or OK, models/cxr-qc.
    Qc,
    /// Chest CT segmentation (background, body, lung, bone) on the synthetic phantom, models/ct-chest-seg.
    CtSeg,
    /// The same classes labelled in 3D over the whole series (MeshNet, runs on the server), models/ct-chest-seg3d.
    CtSeg3d,
    /// Converts packages' f32 weights to f16 where accuracy holds: re-runs each package's held-out evaluation with
    /// the f32 and the f16 weights on the same inputs, records the parity in metrics.json and the model card, and
    /// keeps f16 only within the tolerances of docs/AI.md ("f16 weights"). No ID: all four packages.
    F16 {
        /// Package ids (cxr-pneumonia, cxr-qc, ct-chest-seg, ct-chest-seg3d).
        ids: Vec<String>,
    },
    /// How often each pixel rule (lumen_infer::qc_rules) fires on the films as they are, and on degraded copies
    /// (burnt-out centre, black edges, flattened contrast): prints a Markdown table for docs/AI.md.
    Rules,
}

fn main() {
    let cli = Cli::parse();
    let data_dir = cli.data.clone().unwrap_or_else(data::default_data_dir);
    let out_root = cli.out.clone().unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."));
    if let Model::F16 { ids } = &cli.model {
        if let Err(e) = half::run(&out_root, &data_dir, ids) {
            eprintln!("lumen-train: {e}");
            std::process::exit(1);
        }
        return;
    }
    if let Model::CtSeg = cli.model {
        let manifest = ctseg::manifest();
        let t0 = std::time::Instant::now();
        let trained = ctseg::train(&manifest, cli.epochs.unwrap_or(8), 20261129);
        let seconds = t0.elapsed().as_secs_f64();
        if let Err(e) = ctseg::write(&out_root, manifest, &trained, seconds) {
            eprintln!("lumen-train: {e}");
            std::process::exit(1);
        }
        return;
    }
    if let Model::CtSeg3d = cli.model {
        let (device, name) = match training_device(cli.gpu) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("lumen-train: {e}");
                std::process::exit(2);
            }
        };
        let manifest = ctseg3d::manifest();
        let t0 = std::time::Instant::now();
        let trained = ctseg3d::train(&manifest, cli.epochs.unwrap_or(6), cli.crops.unwrap_or(512), 20261127, device, &name, cli.time_budget);
        let seconds = t0.elapsed().as_secs_f64();
        if let Err(e) = ctseg3d::write(&out_root, manifest, &trained, seconds) {
            eprintln!("lumen-train: {e}");
            std::process::exit(1);
        }
        return;
    }
    let films = match data::load(&data_dir) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("lumen-train: cannot read the training data: {e}");
            std::process::exit(1);
        }
    };
    eprintln!("{} radiographs from {}", films.len(), data_dir.display());
    let result = match cli.model {
        Model::Pneumonia => pneumonia(&films, &out_root, cli.epochs),
        Model::Qc => qc(&films, &out_root, cli.epochs),
        Model::Rules => {
            rules(&films);
            Ok(())
        }
        Model::CtSeg | Model::CtSeg3d | Model::F16 { .. } => unreachable!("handled above"),
    };
    if let Err(e) = result {
        eprintln!("lumen-train: {e}");
        std::process::exit(1);
    }
}

fn grey(r: &Radiograph) -> GreyImage {
    GreyImage::from_u8(r.width, r.height, &r.pixels).expect("decoded PNG has width × height pixels")
}

fn split(films: &[Radiograph], s: Split) -> Vec<&Radiograph> {
    films.iter().filter(|f| f.split == s).collect()
}

fn pneumonia(films: &[Radiograph], out_root: &std::path::Path, epochs: Option<usize>) -> Result<(), String> {
    let manifest = package::pneumonia_manifest();
    let spec = package::classifier_spec(&manifest);
    let input = manifest.input.clone();
    let cfg = TrainConfig { size: input.size, epochs: epochs.unwrap_or(24), batch: 32, lr: 2e-3, weight_decay: 1e-4, seed: 20261127 };
    let train_films = split(films, Split::Train);
    let val: Vec<Sample> = split(films, Split::Val)
        .iter()
        .map(|f| Sample { input: model_input(&grey(f), input.size, input.mean, input.std), label: f.label as usize })
        .collect();
    let t0 = std::time::Instant::now();
    let trained = train::train(
        &spec,
        &cfg,
        |_, rng| {
            train_films
                .iter()
                .map(|f| {
                    let mut img = random_crop(&grey(f), rng);
                    random_tone(&mut img, rng);
                    Sample { input: model_input(&img, input.size, input.mean, input.std), label: f.label as usize }
                })
                .collect()
        },
        &val,
        |probs, labels| {
            let scores: Vec<f32> = probs.iter().map(|p| p[1]).collect();
            let labels: Vec<u8> = labels.iter().map(|&l| l as u8).collect();
            metrics::auc(&scores, &labels).unwrap_or(0.5)
        },
    );
    let train_seconds = t0.elapsed().as_secs_f64();
    package::write_pneumonia(out_root, manifest, &trained, &cfg, train_seconds, films)
}

fn qc(films: &[Radiograph], out_root: &std::path::Path, epochs: Option<usize>) -> Result<(), String> {
    let manifest = package::qc_manifest();
    let spec = package::classifier_spec(&manifest);
    let input = manifest.input.clone();
    let cfg = TrainConfig { size: input.size, epochs: epochs.unwrap_or(12), batch: 32, lr: 2e-3, weight_decay: 1e-4, seed: 20261128 };
    let train_films = split(films, Split::Train);
    let val: Vec<Sample> = package::qc_samples(&split(films, Split::Val), &input);
    let t0 = std::time::Instant::now();
    let trained = train::train(
        &spec,
        &cfg,
        |_, rng| {
            // Each film twice per epoch, each time with a random presentation error (or none).
            let mut out = Vec::with_capacity(train_films.len() * 2);
            for f in &train_films {
                for _ in 0..2 {
                    let class = rng.below(QC_CLASSES.len());
                    let mut img = random_crop(&grey(f), rng);
                    random_tone(&mut img, rng);
                    let img = QC_CLASSES[class].apply(&img);
                    out.push(Sample { input: model_input(&img, input.size, input.mean, input.std), label: class });
                }
            }
            out
        },
        &val,
        |probs, labels| {
            let right = probs.iter().zip(labels).filter(|(p, &l)| package::argmax(p) == l).count();
            right as f64 / labels.len() as f64
        },
    );
    let train_seconds = t0.elapsed().as_secs_f64();
    package::write_qc(out_root, manifest, &trained, &cfg, train_seconds, films)
}

fn rules(films: &[Radiograph]) {
    use lumen_infer::qc_rules::check;
    let degrade: [(&str, fn(&mut GreyImage)); 4] = [
        ("as acquired", |_| {}),
        ("centre burnt out (middle 60% set to white)", |img| {
            let (w, h) = (img.width, img.height);
            for y in h / 5..h - h / 5 {
                for x in w / 5..w - w / 5 {
                    img.data[y * w + x] = 1.0;
                }
            }
        }),
        ("black 4% margins on every side", |img| {
            let (w, h) = (img.width, img.height);
            let m = (w.min(h) * 4 / 100).max(1);
            for y in 0..h {
                for x in 0..w {
                    if x < m || y < m || x >= w - m || y >= h - m {
                        img.data[y * w + x] = 0.0;
                    }
                }
            }
        }),
        ("contrast flattened to 15%", |img| {
            for v in &mut img.data {
                *v = 0.45 + (*v - 0.5) * 0.15;
            }
        }),
    ];
    let ids = ["clipped-bright", "clipped-dark", "no-collimation", "low-contrast"];
    println!("| films (n = {}) | {} |", films.len(), ids.join(" | "));
    println!("|---|{}", "---|".repeat(ids.len()));
    for (name, f) in degrade {
        let mut counts = [0usize; 4];
        for film in films {
            let mut img = grey(film);
            f(&mut img);
            for finding in check(&img) {
                if let Some(i) = ids.iter().position(|id| *id == finding.rule) {
                    counts[i] += 1;
                }
            }
        }
        let cells: Vec<String> =
            counts.iter().map(|c| format!("{:.1}%", 100.0 * *c as f64 / films.len() as f64)).collect();
        println!("| {name} | {} |", cells.join(" | "));
    }
}

/// The device to train on: burn's Flex CPU backend, or with `--gpu` the first Vulkan GPU (feature `gpu`).
fn training_device(gpu: bool) -> Result<(lumen_infer::Device, String), String> {
    if !gpu {
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        return Ok((lumen_infer::Device::flex(), format!("the CPU (burn Flex, {threads} threads)")));
    }
    #[cfg(feature = "gpu")]
    {
        Ok((lumen_infer::Device::vulkan(burn::tensor::DeviceKind::DefaultDevice), "a GPU (burn wgpu, Vulkan)".into()))
    }
    #[cfg(not(feature = "gpu"))]
    Err("--gpu needs a build with `--features gpu`".into())
}
