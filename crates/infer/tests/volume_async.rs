#![cfg(feature = "flex")]
//! The browser's 3D path (`LoadedModel::segment_volume`, asynchronous read-back block by block) labels a series
//! exactly as the server's (`segment_volume_blocking`) with the committed `ct-chest-seg3d` package.

use std::path::Path;

use lumen_infer::{Device, GreyImage, GreyVolume, InferError, LoadedModel, ModelManifest};

mod common;
use common::block_on;

fn model() -> LoadedModel {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/ct-chest-seg3d");
    let manifest = ModelManifest::from_json(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let weights = std::fs::read(dir.join(&manifest.weights.file)).unwrap();
    LoadedModel::load(manifest, weights, &Device::flex()).unwrap()
}

/// A chest-like volume (air around a body ellipse, two dark lungs, a bright spine) of 120 × 100 pixels of 2 mm and
/// 20 slices of 5 mm: a 33 × 67 × 80 grid of 3 mm, i.e. 1 × 2 × 2 blocks of 64³.
fn chest() -> GreyVolume {
    let (w, h, d) = (120usize, 100usize, 20usize);
    let slices: Vec<GreyImage> = (0..d)
        .map(|z| {
            let data = (0..w * h)
                .map(|i| {
                    let (x, y) = ((i % w) as f32, (i / w) as f32);
                    let inside = |cx: f32, cy: f32, rx: f32, ry: f32| ((x - cx) / rx).powi(2) + ((y - cy) / ry).powi(2) < 1.0;
                    let lung_ry = 26.0 * (1.0 - ((z as f32 - 10.0) / 14.0).powi(2));
                    if !inside(60.0, 50.0, 54.0, 42.0) {
                        0.0
                    } else if inside(60.0, 72.0, 7.0, 7.0) {
                        0.9
                    } else if inside(38.0, 46.0, 15.0, lung_ry) || inside(82.0, 46.0, 15.0, lung_ry) {
                        0.12
                    } else {
                        0.5
                    }
                })
                .collect();
            GreyImage::new(w, h, data).unwrap()
        })
        .collect();
    GreyVolume::from_slices(&slices, [2.0, 2.0, 5.0]).unwrap()
}

#[test]
fn async_volume_segmentation_equals_the_blocking_one() {
    let model = model();
    let volume = chest();
    let mut sync_calls = Vec::new();
    let blocking = model
        .segment_volume_blocking(&volume, &mut |d, t| {
            sync_calls.push((d, t));
            true
        })
        .unwrap();
    let mut async_calls = Vec::new();
    let asynchronous = block_on(model.segment_volume(&volume, |d, t| {
        async_calls.push((d, t));
        std::future::ready(true)
    }))
    .unwrap();
    assert_eq!(blocking.grid, [33, 67, 80]);
    assert_eq!(sync_calls, (1..=4).map(|k| (k, 4)).collect::<Vec<_>>(), "four blocks");
    assert_eq!(async_calls, sync_calls);
    assert_eq!(asynchronous.slices.len(), 20);
    assert!(asynchronous.slices == blocking.slices, "the label maps differ");
    assert!(asynchronous.probabilities == blocking.probabilities);
    // The maps are not trivial: the model finds body, lung and bone in this chest.
    let mut counts = [0usize; 4];
    for l in blocking.slices.iter().flatten() {
        counts[*l as usize] += 1;
    }
    assert!(counts.iter().all(|&c| c > 100), "every class present: {counts:?}");
    // Cancelled after the first block: no label maps.
    let stopped = block_on(model.segment_volume(&volume, |d, _| std::future::ready(d < 1)));
    assert!(matches!(stopped, Err(InferError::Cancelled { .. })), "{stopped:?}");
    // A volume whose values do not match its size is refused with the reason.
    let broken = GreyVolume { data: vec![0.0; 5], ..volume };
    let err = block_on(model.segment_volume(&broken, |_, _| std::future::ready(true))).unwrap_err();
    assert!(err.to_string().contains("do not match its size"), "{err}");
}
