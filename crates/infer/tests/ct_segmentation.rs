#![cfg(feature = "flex")]
//! The committed CT segmentation package (`models/ct-chest-seg`) on the *small* demo CT (96 × 96 pixels of
//! 3.7 mm, 22 slices of 12.5 mm: what the browser tests open), against the phantom's true labels: the model was
//! trained on 2.8 mm planes of the same synthetic anatomy, so this checks that the input path (fixed window,
//! area resize, bilinear up-sampling of the probabilities) works at another resolution, not clinical accuracy.

use std::path::Path;

use lumen_infer::manifest::Task;
use lumen_infer::{Device, GreyImage, LoadedModel, ModelManifest};
use lumen_phantom::{ct_slice, ChestPhantom, CtGeometry, Label};

/// The model's classes (background, body, lung, bone) of a phantom label, as the training code maps them.
fn class_of(label: u8) -> u8 {
    match label {
        l if l == Label::Background.value() => 0,
        l if l == Label::Lung.value() || l == Label::Vessel.value() || l == Label::Nodule.value() => 2,
        l if l == Label::Bone.value() => 3,
        _ => 1,
    }
}

fn load() -> LoadedModel {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/ct-chest-seg");
    let manifest = ModelManifest::from_json(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest.task, Task::Segmentation);
    let weights = std::fs::read(dir.join(&manifest.weights.file)).unwrap();
    LoadedModel::load(manifest, weights, &Device::flex()).unwrap()
}

#[test]
fn the_small_demo_ct_is_segmented_close_to_the_phantoms_truth() {
    let model = load();
    let phantom = ChestPhantom::new();
    let geom = CtGeometry::covering(96, 22);
    let any = lumen_frames::WindowPreset { center: 40.0, width: 400.0, function: lumen_frames::WindowFunction::Linear, explanation: None };
    // The display window and inversion must not matter: the model has its own fixed window.
    let (window, invert) = model.manifest.input_window(&any, true);
    assert!(!invert);
    let mut inter = [0u64; 4];
    let mut sums = [0u64; 4];
    for k in 0..geom.slices {
        let slice = ct_slice(&phantom, &geom, k);
        let hu: Vec<f32> = slice.hu.iter().map(|&v| f32::from(v)).collect();
        let image = GreyImage::new(96, 96, lumen_frames::displayed_grey(&hu, &window, invert)).unwrap();
        let seg = model.segment_blocking(&image).unwrap();
        assert_eq!((seg.width, seg.height, seg.labels.len()), (96, 96, 96 * 96));
        for (&p, &t) in seg.labels.iter().zip(&slice.labels) {
            let t = class_of(t);
            sums[p as usize] += 1;
            sums[t as usize] += 1;
            if p == t {
                inter[p as usize] += 2;
            }
        }
    }
    let dice: Vec<f64> = (0..4).map(|c| inter[c] as f64 / sums[c].max(1) as f64).collect();
    eprintln!("Dice on the small demo CT: body {:.3}, lung {:.3}, bone {:.3}", dice[1], dice[2], dice[3]);
    assert!(dice[1] > 0.9, "body Dice {:.3}", dice[1]);
    assert!(dice[2] > 0.9, "lung Dice {:.3}", dice[2]);
    assert!(dice[3] > 0.5, "bone Dice {:.3}", dice[3]);
}

#[test]
fn a_classifier_refuses_to_segment_and_a_segmenter_to_classify() {
    let model = load();
    let img = lumen_infer::selftest::image();
    assert!(model.classify_blocking(std::slice::from_ref(&img)).unwrap_err().to_string().contains("segmentation model"));
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/cxr-qc");
    let manifest = ModelManifest::from_json(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let weights = std::fs::read(dir.join(&manifest.weights.file)).unwrap();
    let qc = LoadedModel::load(manifest, weights, &Device::flex()).unwrap();
    assert!(qc.segment_blocking(&img).unwrap_err().to_string().contains("classification model"));
}
