//! Turning an image from the viewer into a model's input tensor data.

/// A single-channel image of grey levels, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct GreyImage {
    pub width: usize,
    pub height: usize,
    pub data: Vec<f32>,
}

impl GreyImage {
    pub fn new(width: usize, height: usize, data: Vec<f32>) -> Option<Self> {
        (width > 0 && height > 0 && data.len() == width * height).then_some(Self { width, height, data })
    }

    /// From 8-bit grey levels, scaled to [0, 1].
    pub fn from_u8(width: usize, height: usize, data: &[u8]) -> Option<Self> {
        Self::new(width, height, data.iter().map(|&v| v as f32 / 255.0).collect())
    }

    /// Centres the image in a square of side `max(width, height)` filled with `fill` (radiographs are taller
    /// or wider than the square the models see; padding keeps the anatomy's proportions).
    pub fn pad_to_square(&self, fill: f32) -> GreyImage {
        let side = self.width.max(self.height);
        if side == self.width && side == self.height {
            return self.clone();
        }
        let mut data = vec![fill; side * side];
        let (x0, y0) = ((side - self.width) / 2, (side - self.height) / 2);
        for y in 0..self.height {
            let dst = (y0 + y) * side + x0;
            data[dst..dst + self.width].copy_from_slice(&self.data[y * self.width..(y + 1) * self.width]);
        }
        GreyImage { width: side, height: side, data }
    }

    /// Area-averaging resize (each output pixel is the mean of the source area it covers, fractional edges
    /// weighted), separable. Up-sampling degenerates to nearest neighbour.
    pub fn resize_area(&self, width: usize, height: usize) -> GreyImage {
        assert!(width > 0 && height > 0, "resize to an empty image");
        let wx = area_weights(self.width, width);
        let wy = area_weights(self.height, height);
        // Rows first: height × width.
        let mut tmp = vec![0f32; self.height * width];
        for y in 0..self.height {
            let src = &self.data[y * self.width..(y + 1) * self.width];
            let dst = &mut tmp[y * width..(y + 1) * width];
            for (o, taps) in wx.iter().enumerate() {
                dst[o] = taps.iter().map(|&(i, w)| src[i] * w).sum();
            }
        }
        let mut out = vec![0f32; height * width];
        for (o, taps) in wy.iter().enumerate() {
            let dst = &mut out[o * width..(o + 1) * width];
            for &(i, w) in taps {
                let src = &tmp[i * width..(i + 1) * width];
                for (d, s) in dst.iter_mut().zip(src) {
                    *d += s * w;
                }
            }
        }
        GreyImage { width, height, data: out }
    }
}

/// For each output index, the source indices and weights (summing to 1) of a box filter.
pub(crate) fn area_weights(src: usize, dst: usize) -> Vec<Vec<(usize, f32)>> {
    let scale = src as f64 / dst as f64;
    (0..dst)
        .map(|o| {
            if scale <= 1.0 {
                let i = (((o as f64 + 0.5) * scale) as usize).min(src - 1);
                return vec![(i, 1.0)];
            }
            let (a, b) = (o as f64 * scale, (o as f64 + 1.0) * scale);
            let mut taps = Vec::new();
            let mut i = a.floor() as usize;
            while (i as f64) < b && i < src {
                let cover = (b.min(i as f64 + 1.0) - a.max(i as f64)).max(0.0);
                if cover > 0.0 {
                    taps.push((i, (cover / scale) as f32));
                }
                i += 1;
            }
            taps
        })
        .collect()
}

/// The model input for one image: pad to square (with black), area-resize to `size`², normalise.
pub fn model_input(image: &GreyImage, size: usize, mean: f32, std: f32) -> Vec<f32> {
    let square = image.pad_to_square(0.0);
    let small = if square.width == size { square } else { square.resize_area(size, size) };
    small.data.iter().map(|v| (v - mean) / std).collect()
}

/// A segmentation model's per-pixel class probabilities (`classes × size × size`, class-major, on the padded
/// square grid of [`model_input`]) turned into a label map of the original `width × height` image: each source
/// pixel's centre is mapped onto the model grid, every class probability is interpolated bilinearly there (edge
/// values held), and the most probable class wins (ties go to the lower index). One byte per pixel, row-major;
/// 0 is the first output (background).
pub fn label_map(probabilities: &[f32], classes: usize, size: usize, width: usize, height: usize) -> Option<Vec<u8>> {
    if classes == 0 || classes > 256 || size == 0 || width == 0 || height == 0 {
        return None;
    }
    if probabilities.len() != classes * size * size {
        return None;
    }
    let side = width.max(height);
    let (x0, y0) = ((side - width) / 2, (side - height) / 2);
    let scale = size as f64 / side as f64;
    let xs: Vec<Tap> = (0..width).map(|x| grid_tap(x + x0, scale, size)).collect();
    let ys: Vec<Tap> = (0..height).map(|y| grid_tap(y + y0, scale, size)).collect();
    Some(argmax_bilinear(probabilities, classes, size, size, &xs, &ys))
}

/// Two neighbouring grid indices and the weight of the second.
pub(crate) type Tap = (usize, usize, f32);

/// Where the centre of source pixel `i` falls on a grid of `grid` cells (`scale` = grid cells per source pixel):
/// the two cells to interpolate between and the weight of the second (edge values held).
pub(crate) fn grid_tap(i: usize, scale: f64, grid: usize) -> Tap {
    let g = ((i as f64 + 0.5) * scale - 0.5).clamp(0.0, (grid - 1) as f64);
    let lo = g.floor() as usize;
    let hi = (lo + 1).min(grid - 1);
    (lo, hi, (g - lo as f64) as f32)
}

/// For each output pixel (`xs` × `ys` taps into a `gw × gh` grid of `classes` class-major probability planes),
/// every class's probability interpolated bilinearly and the most probable class (ties: the lower index).
pub(crate) fn argmax_bilinear(probabilities: &[f32], classes: usize, gw: usize, gh: usize, xs: &[Tap], ys: &[Tap]) -> Vec<u8> {
    let mut out = vec![0u8; xs.len() * ys.len()];
    let plane = gw * gh;
    for (y, &(ya, yb, fy)) in ys.iter().enumerate() {
        for (x, &(xa, xb, fx)) in xs.iter().enumerate() {
            let (mut best, mut best_p) = (0usize, f32::NEG_INFINITY);
            for c in 0..classes {
                let p = &probabilities[c * plane..(c + 1) * plane];
                let top = p[ya * gw + xa] * (1.0 - fx) + p[ya * gw + xb] * fx;
                let bottom = p[yb * gw + xa] * (1.0 - fx) + p[yb * gw + xb] * fx;
                let v = top * (1.0 - fy) + bottom * fy;
                if v > best_p {
                    best = c;
                    best_p = v;
                }
            }
            out[y * xs.len() + x] = best as u8;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halving_averages_2x2_blocks() {
        let img = GreyImage::new(4, 2, vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]).unwrap();
        let out = img.resize_area(2, 1);
        assert_eq!(out.data, vec![(0.0 + 1.0 + 4.0 + 5.0) / 4.0, (2.0 + 3.0 + 6.0 + 7.0) / 4.0]);
    }

    #[test]
    fn fractional_areas_keep_the_mean() {
        let data: Vec<f32> = (0..25).map(|i| (i * 7 % 11) as f32).collect();
        let img = GreyImage::new(5, 5, data.clone()).unwrap();
        let out = img.resize_area(3, 3);
        let mean_in: f32 = data.iter().sum::<f32>() / 25.0;
        let mean_out: f32 = out.data.iter().sum::<f32>() / 9.0;
        assert!((mean_in - mean_out).abs() < 1e-4, "{mean_in} vs {mean_out}");
        // Top-left output covers source [0, 5/3)²: pixel (0,0) fully, (1,0),(0,1),(1,1) by 2/3.
        let w = [1.0, 2.0 / 3.0];
        let mut expect = 0.0;
        for y in 0..2 {
            for x in 0..2 {
                expect += data[y * 5 + x] * w[x] * w[y];
            }
        }
        expect /= (5.0f32 / 3.0).powi(2);
        assert!((out.data[0] - expect).abs() < 1e-4, "{} vs {expect}", out.data[0]);
    }

    #[test]
    fn padding_centres_a_tall_image() {
        let img = GreyImage::new(2, 4, vec![1.0; 8]).unwrap();
        let sq = img.pad_to_square(0.0);
        assert_eq!((sq.width, sq.height), (4, 4));
        assert_eq!(&sq.data[0..4], &[0.0, 1.0, 1.0, 0.0]);
    }

    #[test]
    fn model_input_normalises() {
        let img = GreyImage::from_u8(2, 2, &[0, 255, 255, 0]).unwrap();
        let x = model_input(&img, 1, 0.5, 0.25);
        assert_eq!(x, vec![0.0]);
        let x = model_input(&img, 2, 0.5, 0.25);
        assert_eq!(x, vec![-2.0, 2.0, 2.0, -2.0]);
    }

    #[test]
    fn label_maps_follow_the_most_probable_class_at_source_resolution() {
        // 2 classes on a 2×2 grid: class 1 wins in the right column only.
        let p1 = [0.1, 0.9, 0.2, 0.8];
        let p0: Vec<f32> = p1.iter().map(|p| 1.0 - p).collect();
        let probs: Vec<f32> = p0.iter().chain(p1.iter()).copied().collect();
        let map = label_map(&probs, 2, 2, 4, 4).unwrap();
        for row in map.chunks(4) {
            assert_eq!(row, &[0, 0, 1, 1]);
        }
        // A 4-wide, 2-high image is padded to 4×4: its rows are the grid's middle rows.
        let map = label_map(&probs, 2, 2, 4, 2).unwrap();
        assert_eq!(map, vec![0, 0, 1, 1, 0, 0, 1, 1]);
        // Ties go to the lower class.
        assert_eq!(label_map(&[0.5, 0.5], 2, 1, 1, 1).unwrap(), vec![0]);
        assert!(label_map(&probs, 3, 2, 4, 4).is_none());
        assert!(label_map(&probs, 2, 2, 0, 4).is_none());
    }

    #[test]
    fn bad_sizes_are_refused() {
        assert!(GreyImage::new(2, 2, vec![0.0; 3]).is_none());
        assert!(GreyImage::new(0, 2, vec![]).is_none());
    }
}
