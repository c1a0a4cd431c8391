//! Image operations for training: the acquisition errors the QC model learns to recognise, and the mild random
//! changes (crop, contrast, brightness) that keep both models from memorising the training films.

use crate::rng::Rng;
use lumen_infer::GreyImage;

pub use lumen_infer::presentation::QC_CLASSES;

/// A random crop covering 85–100% of each side, at a random position.
pub fn random_crop(img: &GreyImage, rng: &mut Rng) -> GreyImage {
    let scale = rng.range(0.85, 1.0);
    let cw = ((img.width as f64 * scale).round() as usize).clamp(1, img.width);
    let ch = ((img.height as f64 * scale).round() as usize).clamp(1, img.height);
    let x0 = rng.below(img.width - cw + 1);
    let y0 = rng.below(img.height - ch + 1);
    let mut data = Vec::with_capacity(cw * ch);
    for y in y0..y0 + ch {
        data.extend_from_slice(&img.data[y * img.width + x0..y * img.width + x0 + cw]);
    }
    GreyImage { width: cw, height: ch, data }
}

/// Random contrast (×0.85–1.15 about mid-grey), brightness (±0.05) and gamma (0.8–1.25), clamped to [0, 1].
pub fn random_tone(img: &mut GreyImage, rng: &mut Rng) {
    let c = rng.range(0.85, 1.15) as f32;
    let b = rng.range(-0.05, 0.05) as f32;
    let g = rng.range(0.8, 1.25) as f32;
    for v in &mut img.data {
        *v = (((*v - 0.5) * c + 0.5 + b).clamp(0.0, 1.0)).powf(g);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crops_stay_inside_and_keep_most_of_the_image() {
        let big = GreyImage::new(100, 80, (0..8000).map(|i| i as f32).collect()).unwrap();
        let mut rng = Rng::new(3);
        for _ in 0..50 {
            let c = random_crop(&big, &mut rng);
            assert!(c.width >= 85 && c.height >= 68 && c.data.len() == c.width * c.height);
        }
    }
}
