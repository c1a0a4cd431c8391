//! Image operations for training: the acquisition errors the QC model learns to recognise, and the mild random
//! changes (crop, contrast, brightness) that keep both models from memorising the training films.

use crate::rng::Rng;
use lumen_infer::GreyImage;

/// The QC classes, in the order of the QC model's outputs.
pub const QC_CLASSES: [QcClass; 6] =
    [QcClass::Ok, QcClass::Rotated90, QcClass::Rotated180, QcClass::Rotated270, QcClass::Mirrored, QcClass::Inverted];

/// How a film can be presented wrongly (what the viewer shows, relative to the standard PA/AP view).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QcClass {
    /// Upright, patient's right on the viewer's left, bone bright.
    Ok,
    /// Turned 90° clockwise.
    Rotated90,
    Rotated180,
    /// Turned 90° counter-clockwise.
    Rotated270,
    /// Left and right swapped.
    Mirrored,
    /// Grey levels inverted (the MONOCHROME1/2 mix-up).
    Inverted,
}

impl QcClass {
    pub fn name(self) -> &'static str {
        match self {
            QcClass::Ok => "ok",
            QcClass::Rotated90 => "rotated-90",
            QcClass::Rotated180 => "rotated-180",
            QcClass::Rotated270 => "rotated-270",
            QcClass::Mirrored => "mirrored",
            QcClass::Inverted => "inverted",
        }
    }

    /// The film as it would look with this error.
    pub fn apply(self, img: &GreyImage) -> GreyImage {
        match self {
            QcClass::Ok => img.clone(),
            QcClass::Rotated90 => rotate90_cw(img),
            QcClass::Rotated180 => rotate90_cw(&rotate90_cw(img)),
            QcClass::Rotated270 => rotate90_cw(&rotate90_cw(&rotate90_cw(img))),
            QcClass::Mirrored => {
                let mut out = img.clone();
                for row in out.data.chunks_mut(img.width) {
                    row.reverse();
                }
                out
            }
            QcClass::Inverted => GreyImage { data: img.data.iter().map(|v| 1.0 - v).collect(), ..img.clone() },
        }
    }
}

/// Rotates clockwise by 90°: the top row becomes the right column.
pub fn rotate90_cw(img: &GreyImage) -> GreyImage {
    let (w, h) = (img.width, img.height);
    let mut data = vec![0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            // Source (x, y) → destination (h-1-y, x) in an image h wide, w tall.
            data[x * h + (h - 1 - y)] = img.data[y * w + x];
        }
    }
    GreyImage { width: h, height: w, data }
}

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

    fn img() -> GreyImage {
        // 3 wide, 2 tall:  a b c / d e f
        GreyImage::new(3, 2, vec![0.0, 0.1, 0.2, 0.3, 0.4, 0.5]).unwrap()
    }

    #[test]
    fn rotation_clockwise_puts_the_top_row_on_the_right() {
        let r = rotate90_cw(&img());
        assert_eq!((r.width, r.height), (2, 3));
        // d a / e b / f c
        assert_eq!(r.data, vec![0.3, 0.0, 0.4, 0.1, 0.5, 0.2]);
        assert_eq!(QcClass::Rotated270.apply(&QcClass::Rotated90.apply(&img())), img());
    }

    #[test]
    fn mirror_and_inversion() {
        assert_eq!(QcClass::Mirrored.apply(&img()).data, vec![0.2, 0.1, 0.0, 0.5, 0.4, 0.3]);
        let inv = QcClass::Inverted.apply(&img());
        assert!((inv.data[0] - 1.0).abs() < 1e-6 && (inv.data[5] - 0.5).abs() < 1e-6);
    }

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
