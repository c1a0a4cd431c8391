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

/// A package's `selftest.json`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SelfTest {
    pub image: String,
    pub probabilities: Vec<f32>,
    pub backend: String,
}
