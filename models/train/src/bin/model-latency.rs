//! `model-latency`: native inference latency of every model package in `models/`, cold (first run after
//! loading: shader compilation, allocation) and warm (median of the following runs), on burn's Flex CPU backend
//! and — when built with `--features gpu` and asked with `--gpu` — on a GPU through wgpu/Vulkan, in one process.
//! Prints a Markdown table and writes JSON (`--json FILE`). The browser's figures come from the e2e suite
//! (`target/e2e/ai-latency*.json`); this is the native column of docs/PERFORMANCE.md.
//!
//! ```sh
//! cargo run --release -p lumen-train --bin model-latency -- --runs 5
//! cargo run --release -p lumen-train --features gpu --bin model-latency -- --gpu --runs 5 --json latency.json
//! ```

use clap::Parser;
use lumen_infer::{Device, GreyImage, GreyVolume, LoadedModel, ModelManifest};
use lumen_phantom::{ct_slice, ChestPhantom, CtGeometry};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Parser)]
struct Cli {
    /// Folder of model packages (default: the repository's models/).
    #[arg(long)]
    models: Option<PathBuf>,
    /// Warm runs per model and device (the median is reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Also run on the GPU (needs `--features gpu`).
    #[arg(long)]
    gpu: bool,
    /// Skip the CPU runs.
    #[arg(long)]
    no_cpu: bool,
    /// Write the results as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// What a model is run on: a CT slice or volume through its fixed window, or a grey radiograph-sized image.
enum Input {
    Image(GreyImage, String),
    Volume(GreyVolume, String),
}

fn ct_input(m: &ModelManifest, geom: &CtGeometry) -> Vec<GreyImage> {
    let phantom = ChestPhantom::new();
    let window = m.input_window(
        &lumen_frames::WindowPreset { center: 40.0, width: 400.0, function: lumen_frames::WindowFunction::Linear, explanation: None },
        false,
    );
    (0..geom.slices)
        .map(|k| {
            let hu: Vec<f32> = ct_slice(&phantom, geom, k).hu.iter().map(|&v| f32::from(v)).collect();
            let grey = lumen_frames::displayed_grey(&hu, &window.0, window.1);
            GreyImage::new(usize::from(geom.columns), usize::from(geom.rows), grey).expect("slice size")
        })
        .collect()
}

fn inputs(m: &ModelManifest) -> Vec<Input> {
    if m.is_volumetric() {
        [("demo CT 512² × 220", CtGeometry::default()), ("small demo CT 96² × 22", CtGeometry::covering(96, 22))]
            .into_iter()
            .map(|(name, g)| {
                let slices = ct_input(m, &g);
                let spacing = [g.pixel_spacing as f32, g.pixel_spacing as f32, g.slice_spacing as f32];
                Input::Volume(GreyVolume::from_slices(&slices, spacing).expect("demo slices"), name.into())
            })
            .collect()
    } else if m.matches_modality("CT") {
        let g = CtGeometry { slices: 1, ..CtGeometry::default() };
        vec![Input::Image(ct_input(m, &g).remove(0), "CT slice 512²".into())]
    } else {
        // A radiograph-sized frame (2048 × 2500): the model's own resize is part of the latency.
        let img = lumen_infer::selftest::image().resize_area(2048, 2500);
        vec![Input::Image(img, "radiograph 2048 × 2500".into())]
    }
}

fn run(model: &LoadedModel, input: &Input) -> Result<(), String> {
    match input {
        Input::Image(img, _) if model.manifest.task == lumen_infer::manifest::Task::Classification => {
            model.classify_blocking(std::slice::from_ref(img)).map(|_| ()).map_err(|e| e.to_string())
        }
        Input::Image(img, _) => model.segment_blocking(img).map(|_| ()).map_err(|e| e.to_string()),
        Input::Volume(v, _) => model.segment_volume_blocking(v, &mut |_, _| true).map(|_| ()).map_err(|e| e.to_string()),
    }
}

fn devices(cli: &Cli) -> Vec<(Device, String)> {
    let mut out = Vec::new();
    if !cli.no_cpu {
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        out.push((Device::flex(), format!("CPU (burn Flex, {threads} threads)")));
    }
    if cli.gpu {
        #[cfg(feature = "gpu")]
        out.push((Device::vulkan(burn::tensor::DeviceKind::DefaultDevice), "GPU (burn wgpu, Vulkan)".into()));
        #[cfg(not(feature = "gpu"))]
        {
            eprintln!("model-latency: --gpu needs a build with --features gpu");
            std::process::exit(2);
        }
    }
    out
}

fn main() {
    let cli = Cli::parse();
    let root = cli.models.clone().unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."));
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("manifest.json").is_file() && p.join("selftest.json").is_file())
        .collect();
    dirs.sort();
    let mut rows = Vec::new();
    println!("| model | input | device | load | cold | warm (median of {}) |\n|---|---|---|---:|---:|---:|", cli.runs);
    for dir in &dirs {
        let text = std::fs::read_to_string(dir.join("manifest.json")).expect("manifest");
        let Ok(manifest) = ModelManifest::from_json(&text) else { continue };
        let weights = std::fs::read(dir.join(&manifest.weights.file)).expect("weights");
        let inputs = inputs(&manifest);
        for (device, device_name) in devices(&cli) {
            let t = Instant::now();
            let model = match LoadedModel::load(manifest.clone(), weights.clone(), &device) {
                Ok(m) => m,
                Err(e) => {
                    eprintln!("{}: {e}", manifest.id);
                    continue;
                }
            };
            let load_ms = t.elapsed().as_secs_f64() * 1e3;
            for input in &inputs {
                let name = match input {
                    Input::Image(_, n) | Input::Volume(_, n) => n.clone(),
                };
                let t = Instant::now();
                if let Err(e) = run(&model, input) {
                    eprintln!("{} on {device_name}: {e}", manifest.id);
                    continue;
                }
                let cold_ms = t.elapsed().as_secs_f64() * 1e3;
                let mut warm: Vec<f64> = (0..cli.runs)
                    .map(|_| {
                        let t = Instant::now();
                        run(&model, input).expect("a warm run after a good cold one");
                        t.elapsed().as_secs_f64() * 1e3
                    })
                    .collect();
                warm.sort_by(f64::total_cmp);
                let median = warm.get(warm.len() / 2).copied().unwrap_or(cold_ms);
                println!("| {} | {name} | {device_name} | {load_ms:.0} ms | {cold_ms:.1} ms | {median:.1} ms |", manifest.id);
                rows.push(serde_json::json!({"model": manifest.id, "input": name, "device": device_name,
                    "load_ms": load_ms, "cold_ms": cold_ms, "warm_ms": warm}));
            }
        }
    }
    if let Some(path) = cli.json {
        std::fs::write(&path, serde_json::to_string_pretty(&rows).expect("json") + "\n").expect("writing the JSON");
    }
}
