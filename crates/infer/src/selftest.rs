//! The self-test image: a deterministic synthetic pattern on which every runtime (native Flex, browser Flex,
//! browser WebGPU, the server) must reproduce the probabilities recorded in a package's `selftest.json`.

use crate::GreyImage;

/// 256 × 256: a bright ellipse (a "body") with a faint ripple, grey levels in [0, 1].
pub fn image() -> GreyImage {
    let (w, h) = (256usize, 256usize);
    let data = (0..w * h)
        .map(|i| {
            let (x, y) = ((i % w) as f32, (i / w) as f32);
            let body = (1.0 - (((x - 128.0) / 110.0).powi(2) + ((y - 140.0) / 120.0).powi(2))).max(0.0).sqrt();
            (0.15 + 0.6 * body + 0.1 * (x / 9.0).sin() * (y / 13.0).cos()).clamp(0.0, 1.0)
        })
        .collect();
    GreyImage::new(w, h, data).expect("256 × 256 values")
}

/// The self-test volume of a 3D model whose grid is `voxel_mm`: 12 slices of [`image`] area-reduced to 40 × 40,
/// brighter towards the middle slice, with voxels of 0.8 × 0.8 × 1.5 grid cells (so resampling is exercised).
pub fn volume(voxel_mm: f32) -> crate::GreyVolume {
    let base = image().resize_area(40, 40);
    let slices: Vec<GreyImage> = (0..12)
        .map(|k| {
            let gain = 0.6 + 0.4 * (1.0 - ((k as f32 - 5.5) / 6.0).powi(2));
            GreyImage::new(40, 40, base.data.iter().map(|v| v * gain).collect()).expect("40 × 40 values")
        })
        .collect();
    crate::GreyVolume::from_slices(&slices, [0.8 * voxel_mm, 0.8 * voxel_mm, 1.5 * voxel_mm]).expect("12 equal slices")
}

/// A package's `selftest.json`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SelfTest {
    pub image: String,
    pub probabilities: Vec<f32>,
    pub backend: String,
}
