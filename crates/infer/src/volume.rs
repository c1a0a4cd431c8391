//! Volumes for 3D models: a series' slices stacked in order, resampled to the model's isotropic grid
//! ([`GreyVolume::resample`]), and the model's per-voxel probabilities turned back into one label map per source
//! slice ([`slice_label_maps`]). Pure arithmetic, no device: the same code prepares training crops' validation
//! volumes and the server's inference.

use crate::preprocess::{area_weights, argmax_bilinear, grid_tap, Tap};
use crate::GreyImage;

/// A stack of grey images (the model's input grey levels, [0, 1]) with its voxel size.
#[derive(Debug, Clone, PartialEq)]
pub struct GreyVolume {
    pub width: usize,
    pub height: usize,
    /// Number of slices.
    pub depth: usize,
    /// Voxel size in mm: along a row (column spacing), along a column (row spacing), between slices.
    pub spacing: [f32; 3],
    /// `[rows, columns]` of every slice as `data` holds it: `[height, width]`, or the in-plane size of a 3D model's
    /// grid for a volume built slice by slice onto it ([`GreyVolumeBuilder`]: a 512² CT then takes ≈ 20× less memory).
    pub plane: [usize; 2],
    /// `depth × plane[0] × plane[1]` values, slice-major.
    pub data: Vec<f32>,
}

impl GreyVolume {
    /// Stacks `slices` (in order along the slice normal, equally spaced) into a volume. Every slice must have the
    /// first one's size and every spacing must be positive.
    pub fn from_slices(slices: &[GreyImage], spacing: [f32; 3]) -> Result<Self, String> {
        let first = slices.first().ok_or("a volume needs at least one slice")?;
        if let Some((k, s)) = slices.iter().enumerate().find(|(_, s)| s.width != first.width || s.height != first.height) {
            return Err(format!(
                "slice {} is {}×{}, the first is {}×{}: a volume needs slices of one size",
                k + 1,
                s.width,
                s.height,
                first.width,
                first.height
            ));
        }
        if !spacing.iter().all(|s| s.is_finite() && *s > 0.0) {
            return Err(format!("voxel spacing {spacing:?} mm must be positive"));
        }
        let mut data = Vec::with_capacity(first.width * first.height * slices.len());
        for s in slices {
            data.extend_from_slice(&s.data);
        }
        Ok(Self { width: first.width, height: first.height, depth: slices.len(), spacing, plane: [first.height, first.width], data })
    }

    /// Whether `data` holds `depth` slices of `plane` values (and there is at least one value).
    pub fn is_complete(&self) -> bool {
        let n = self.depth * self.plane[0] * self.plane[1];
        n > 0 && self.data.len() == n
    }

    /// The `[depth, height, width]` of this volume's field on a grid of `voxel_mm` cubes (at least one voxel per
    /// axis).
    pub fn grid_dims(&self, voxel_mm: f32) -> [usize; 3] {
        let n = |count: usize, spacing: f32| ((count as f64 * spacing as f64 / voxel_mm as f64).round() as usize).max(1);
        [n(self.depth, self.spacing[2]), n(self.height, self.spacing[1]), n(self.width, self.spacing[0])]
    }

    /// The volume on a `[depth, height, width]` grid spanning the same field: each axis in turn is area-averaged
    /// where the grid is coarser and linearly interpolated where it is finer (edges held).
    pub fn resample(&self, dims: [usize; 3]) -> Vec<f32> {
        let [d, h, w] = dims;
        let [rows, columns] = self.plane;
        let along_x = resample_axis(&self.data, [self.depth, rows, columns], 2, &axis_taps(columns, w));
        let along_y = resample_axis(&along_x, [self.depth, rows, w], 1, &axis_taps(rows, h));
        resample_axis(&along_y, [self.depth, h, w], 0, &axis_taps(self.depth, d))
    }
}

/// Builds a [`GreyVolume`] one slice at a time, each slice resampled in plane onto the grid of a 3D model with
/// `voxel_mm` voxels as soon as it is pushed, so the full-resolution stack never exists (for the demo CT, 512² ×
/// 220: 12.5 MB instead of 230 MB of `f32`). [`GreyVolume::resample`] then gives exactly what it gives for
/// [`GreyVolume::from_slices`] of the same slices: the in-plane steps are the same arithmetic, done earlier.
#[derive(Debug)]
pub struct GreyVolumeBuilder {
    volume: GreyVolume,
    columns: Vec<Vec<(usize, f32)>>,
    rows: Vec<Vec<(usize, f32)>>,
}

impl GreyVolumeBuilder {
    /// A builder for `depth` slices of `width × height` with voxel size `spacing` (mm: column, row, slice).
    pub fn new(width: usize, height: usize, depth: usize, spacing: [f32; 3], voxel_mm: f32) -> Result<Self, String> {
        if width == 0 || height == 0 || depth == 0 {
            return Err(format!("a volume of {depth} slices of {width} × {height} is empty"));
        }
        if !spacing.iter().all(|s| s.is_finite() && *s > 0.0) {
            return Err(format!("voxel spacing {spacing:?} mm must be positive"));
        }
        if !(voxel_mm.is_finite() && voxel_mm > 0.0) {
            return Err(format!("the model's voxel size {voxel_mm} mm must be positive"));
        }
        let probe = GreyVolume { width, height, depth, spacing, plane: [height, width], data: Vec::new() };
        let [_, rows, columns] = probe.grid_dims(voxel_mm);
        Self::with_plane(width, height, depth, spacing, [rows, columns])
    }

    /// A builder that resamples every slice in plane to `plane` = `[rows, columns]` (`[height, width]` keeps the
    /// slices as they are).
    pub fn with_plane(width: usize, height: usize, depth: usize, spacing: [f32; 3], plane: [usize; 2]) -> Result<Self, String> {
        if width == 0 || height == 0 || depth == 0 || plane.contains(&0) {
            return Err(format!("a volume of {depth} slices of {width} × {height} on a {} × {} plane is empty", plane[1], plane[0]));
        }
        if !spacing.iter().all(|s| s.is_finite() && *s > 0.0) {
            return Err(format!("voxel spacing {spacing:?} mm must be positive"));
        }
        let [rows, columns] = plane;
        let volume = GreyVolume { width, height, depth, spacing, plane, data: Vec::with_capacity(depth * rows * columns) };
        Ok(Self { volume, columns: axis_taps(width, columns), rows: axis_taps(height, rows) })
    }

    /// Adds the next slice (`width × height` grey levels, row-major).
    pub fn push(&mut self, slice: &[f32]) -> Result<(), String> {
        let v = &self.volume;
        let pushed = v.data.len() / (v.plane[0] * v.plane[1]);
        if pushed == v.depth {
            return Err(format!("the volume already has its {} slices", v.depth));
        }
        if slice.len() != v.width * v.height {
            return Err(format!("slice {} has {} values, a {} × {} slice needs {}", pushed + 1, slice.len(), v.width, v.height, v.width * v.height));
        }
        let along_x = resample_axis(slice, [1, v.height, v.width], 2, &self.columns);
        let along_y = resample_axis(&along_x, [1, v.height, v.plane[1]], 1, &self.rows);
        self.volume.data.extend_from_slice(&along_y);
        Ok(())
    }

    /// The volume, once every slice is in.
    pub fn finish(self) -> Result<GreyVolume, String> {
        let v = self.volume;
        if !v.is_complete() {
            let pushed = v.data.len() / (v.plane[0] * v.plane[1]);
            return Err(format!("the volume has {pushed} of its {} slices", v.depth));
        }
        Ok(v)
    }
}

/// For each of `dst` cells, the `src` cells and weights (summing to 1) that make it: a box filter when shrinking,
/// linear interpolation between cell centres when growing.
fn axis_taps(src: usize, dst: usize) -> Vec<Vec<(usize, f32)>> {
    if dst < src {
        return area_weights(src, dst);
    }
    (0..dst)
        .map(|o| {
            let (lo, hi, f) = grid_tap(o, src as f64 / dst as f64, src);
            if hi == lo || f == 0.0 { vec![(lo, 1.0)] } else { vec![(lo, 1.0 - f), (hi, f)] }
        })
        .collect()
}

/// Resamples `data` (`dims` = depth, height, width) along `axis` (0 = slices, 1 = rows, 2 = columns).
fn resample_axis(data: &[f32], dims: [usize; 3], axis: usize, taps: &[Vec<(usize, f32)>]) -> Vec<f32> {
    let mut out_dims = dims;
    out_dims[axis] = taps.len();
    let [od, oh, ow] = out_dims;
    let [_, h, w] = dims;
    let mut out = vec![0f32; od * oh * ow];
    match axis {
        2 => {
            for (row_in, row_out) in data.chunks_exact(w).zip(out.chunks_exact_mut(ow)) {
                for (o, t) in row_out.iter_mut().zip(taps) {
                    *o = t.iter().map(|&(i, wt)| row_in[i] * wt).sum();
                }
            }
        }
        1 => {
            for z in 0..od {
                for (y, t) in taps.iter().enumerate() {
                    let dst = &mut out[(z * oh + y) * ow..(z * oh + y + 1) * ow];
                    for &(i, wt) in t {
                        let src = &data[(z * h + i) * w..(z * h + i + 1) * w];
                        dst.iter_mut().zip(src).for_each(|(d, s)| *d += s * wt);
                    }
                }
            }
        }
        _ => {
            let plane = h * w;
            for (z, t) in taps.iter().enumerate() {
                let dst = &mut out[z * plane..(z + 1) * plane];
                for &(i, wt) in t {
                    let src = &data[i * plane..(i + 1) * plane];
                    dst.iter_mut().zip(src).for_each(|(d, s)| *d += s * wt);
                }
            }
        }
    }
    out
}

/// A 3D model's class probabilities on its grid (`classes × d × h × w`, class-major; `grid` = `[d, h, w]`) turned
/// into one label map per source slice (`width × height × depth`, the field the grid spans): each source voxel's
/// centre is mapped onto the grid, every class is interpolated linearly between the two nearest grid planes and
/// bilinearly within them (edges held), and the most probable class wins (ties: the lower index). `None` when
/// the sizes disagree.
pub fn slice_label_maps(
    probabilities: &[f32],
    classes: usize,
    grid: [usize; 3],
    width: usize,
    height: usize,
    depth: usize,
) -> Option<Vec<Vec<u8>>> {
    let [d, h, w] = grid;
    if classes == 0 || classes > 256 || d * h * w == 0 || width * height * depth == 0 {
        return None;
    }
    if probabilities.len() != classes * d * h * w {
        return None;
    }
    let xs: Vec<Tap> = (0..width).map(|x| grid_tap(x, w as f64 / width as f64, w)).collect();
    let ys: Vec<Tap> = (0..height).map(|y| grid_tap(y, h as f64 / height as f64, h)).collect();
    let plane = h * w;
    let mut blended = vec![0f32; classes * plane];
    let maps = (0..depth)
        .map(|k| {
            let (za, zb, fz) = grid_tap(k, d as f64 / depth as f64, d);
            for c in 0..classes {
                let a = &probabilities[(c * d + za) * plane..(c * d + za + 1) * plane];
                let b = &probabilities[(c * d + zb) * plane..(c * d + zb + 1) * plane];
                let dst = &mut blended[c * plane..(c + 1) * plane];
                for ((o, pa), pb) in dst.iter_mut().zip(a).zip(b) {
                    *o = pa * (1.0 - fz) + pb * fz;
                }
            }
            argmax_bilinear(&blended, classes, w, h, &xs, &ys)
        })
        .collect();
    Some(maps)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn volume(w: usize, h: usize, d: usize, spacing: [f32; 3], f: impl Fn(usize, usize, usize) -> f32) -> GreyVolume {
        let slices: Vec<GreyImage> = (0..d)
            .map(|z| GreyImage::new(w, h, (0..w * h).map(|i| f(i % w, i / w, z)).collect()).unwrap())
            .collect();
        GreyVolume::from_slices(&slices, spacing).unwrap()
    }

    #[test]
    fn grid_dims_follow_the_field_in_mm() {
        // The demo CT's field: 512 × 0.7 mm in plane, 220 × 1.25 mm between slices.
        let v = GreyVolume { width: 512, height: 512, depth: 220, spacing: [0.7, 0.7, 1.25], plane: [512, 512], data: vec![] };
        assert_eq!(v.grid_dims(3.5), [79, 102, 102]);
        let tiny = GreyVolume { width: 1, height: 1, depth: 1, spacing: [0.1, 0.1, 0.1], plane: [1, 1], data: vec![0.0] };
        assert_eq!(tiny.grid_dims(5.0), [1, 1, 1]);
    }

    #[test]
    fn resampling_keeps_a_ramp_and_the_mean() {
        // A linear ramp along every axis stays linear whether the grid shrinks or grows.
        let v = volume(12, 8, 6, [1.0, 1.0, 4.0], |x, y, z| x as f32 + 2.0 * y as f32 + 3.0 * z as f32);
        let dims = [12, 4, 6]; // z grows ×2, y shrinks ×2, x shrinks ×2
        let r = v.resample(dims);
        assert_eq!(r.len(), 12 * 4 * 6);
        // x: 2-cell boxes → centre 2o + 0.5; y: centre 2o + 0.5; z: linear, centre (o + 0.5) / 2 − 0.5 (edges held).
        for z in 1..11 {
            for y in 0..4 {
                for x in 0..6 {
                    let expect = (2 * x) as f32 + 0.5 + 2.0 * ((2 * y) as f32 + 0.5) + 3.0 * ((z as f32 + 0.5) / 2.0 - 0.5);
                    let got = r[(z * 4 + y) * 6 + x];
                    assert!((got - expect).abs() < 1e-4, "({z},{y},{x}): {got} vs {expect}");
                }
            }
        }
        // Identity when the grid is the volume's own.
        assert_eq!(v.resample([6, 8, 12]), v.data);
    }

    #[test]
    fn label_maps_come_back_to_every_source_slice() {
        // Two classes on a 4 × 4 × 4 grid: class 1 where the grid's z ≥ 2 and x ≥ 2.
        let (d, h, w) = (4, 4, 4);
        let mut probs = vec![0f32; 2 * d * h * w];
        for z in 0..d {
            for y in 0..h {
                for x in 0..w {
                    let one = (z >= 2 && x >= 2) as u8 as f32;
                    probs[(z * h + y) * w + x] = 1.0 - one;
                    probs[((d + z) * h + y) * w + x] = one;
                }
            }
        }
        let maps = slice_label_maps(&probs, 2, [d, h, w], 8, 6, 8).unwrap();
        assert_eq!(maps.len(), 8);
        assert!(maps[..4].iter().all(|m| m.iter().all(|&l| l == 0)), "the upper half is background");
        for m in &maps[4..] {
            assert_eq!(m.len(), 48);
            for (i, &l) in m.iter().enumerate() {
                assert_eq!(l, u8::from(i % 8 >= 4), "pixel {i}");
            }
        }
        assert!(slice_label_maps(&probs[1..], 2, [d, h, w], 8, 6, 8).is_none());
    }

    #[test]
    fn a_volume_built_onto_the_grid_resamples_exactly_like_the_full_stack() {
        // Shrinking in plane (area), growing between slices (linear), and an odd in-plane size.
        let f = |x: usize, y: usize, z: usize| ((x * 7 + y * 13 + z * 29) % 31) as f32 / 31.0;
        for (w, h, d, spacing, voxel) in [(40, 30, 6, [0.7, 0.9, 2.5], 2.0), (33, 17, 9, [1.0, 1.0, 1.0], 1.5), (5, 4, 3, [2.0, 2.0, 0.5], 1.0)] {
            let full = volume(w, h, d, spacing, f);
            let grid = full.grid_dims(voxel);
            let mut b = GreyVolumeBuilder::new(w, h, d, spacing, voxel).unwrap();
            for z in 0..d {
                b.push(&full.data[z * w * h..(z + 1) * w * h]).unwrap();
            }
            let built = b.finish().unwrap();
            assert_eq!(built.plane, [grid[1], grid[2]]);
            assert_eq!(built.data.len(), d * grid[1] * grid[2]);
            assert_eq!(built.resample(grid), full.resample(grid), "{w}×{h}×{d}");
            assert_eq!(built.grid_dims(voxel), grid);
        }
    }

    #[test]
    fn the_builder_refuses_wrong_slices_and_missing_ones() {
        assert!(GreyVolumeBuilder::new(0, 4, 2, [1.0; 3], 1.0).is_err());
        assert!(GreyVolumeBuilder::new(4, 4, 2, [1.0, f32::NAN, 1.0], 1.0).is_err());
        assert!(GreyVolumeBuilder::new(4, 4, 2, [1.0; 3], 0.0).is_err());
        let mut b = GreyVolumeBuilder::new(4, 4, 2, [1.0; 3], 2.0).unwrap();
        assert!(b.push(&[0.0; 15]).unwrap_err().contains("slice 1 has 15 values"));
        b.push(&[0.5; 16]).unwrap();
        let mut short = GreyVolumeBuilder::new(4, 4, 2, [1.0; 3], 2.0).unwrap();
        short.push(&[0.5; 16]).unwrap();
        assert!(short.finish().unwrap_err().contains("1 of its 2 slices"));
        b.push(&[0.5; 16]).unwrap();
        assert!(b.push(&[0.5; 16]).unwrap_err().contains("already has its 2 slices"));
        assert_eq!(b.finish().unwrap().data, vec![0.5; 8]);
    }

    #[test]
    fn slices_of_different_sizes_are_refused() {
        let a = GreyImage::new(2, 2, vec![0.0; 4]).unwrap();
        let b = GreyImage::new(3, 2, vec![0.0; 6]).unwrap();
        assert!(GreyVolume::from_slices(&[a.clone(), b], [1.0; 3]).unwrap_err().contains("slice 2 is 3×2"));
        assert!(GreyVolume::from_slices(&[a], [1.0, 0.0, 1.0]).is_err());
        assert!(GreyVolume::from_slices(&[], [1.0; 3]).is_err());
    }
}
