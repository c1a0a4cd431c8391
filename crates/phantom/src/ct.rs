//! The chest CT series: geometry of the axial stack (Image Plane module), rendering of one slice from the
//! [`ChestPhantom`] with deterministic noise, the ground-truth label slices and volume, and the CT Image
//! attributes of each instance.
//!
//! Pixel encoding (documented choice): 16-bit two's-complement stored values (_Pixel Representation_ 1, _Bits
//! Stored_ 16), `stored = HU + 1024`, with _Rescale Intercept_ −1024 and _Rescale Slope_ 1, as many scanners do.
//! Air (−1000 HU) is therefore stored near 24 and nothing is negative, yet readers must honour the signed
//! representation. Window presets: lung −600/1500 and mediastinum 40/400.
//!
//! It must not write files (see `lib.rs`) and must not know about other modalities.

use dicom_core::VR;
use dicom_dictionary_std::{tags, uids};
use dicom_object::InMemDicomObject;

use crate::chest::{ChestPhantom, Label};
use crate::dataset::{ds, put_image_plane, put_str, put_strs};
use crate::geom::Vec3;
use crate::hash::{hash3, triangular_noise};

/// The CT stored value for 0 HU: _Rescale Intercept_ is minus this.
pub const CT_HU_OFFSET: i32 = 1024;
/// Amplitude of the deterministic noise added to every CT voxel, HU (triangular distribution).
pub const CT_NOISE_HU: f64 = 10.0;
const NOISE_SEED: u64 = 0x0043_544E_4F49_5345;

/// Geometry of the axial CT stack.
///
/// Slices are ordered head to feet: slice `k` (0-based, _Instance Number_ `k + 1`) lies at
/// `z = z_top − k · slice_spacing`. Rows run anterior→posterior (+y), columns patient right→left (+x), so
/// _Image Orientation (Patient)_ is `1\0\0\0\1\0` and the slice normal is +z.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CtGeometry {
    /// _Columns_ (0028,0011).
    pub columns: u16,
    /// _Rows_ (0028,0010).
    pub rows: u16,
    /// Number of slices (instances) in the main series.
    pub slices: u32,
    /// _Pixel Spacing_ (0028,0030), mm, same along rows and columns.
    pub pixel_spacing: f64,
    /// Distance between slice centres along the normal, mm; also _Slice Thickness_ (0018,0050).
    pub slice_spacing: f64,
}

impl Default for CtGeometry {
    /// 512 × 512 × 220 slices, 0.7 mm pixels, 1.25 mm slices: a 358 × 358 × 275 mm chest CT.
    fn default() -> Self {
        CtGeometry {
            columns: 512,
            rows: 512,
            slices: 220,
            pixel_spacing: 0.7,
            slice_spacing: 1.25,
        }
    }
}

impl CtGeometry {
    /// _Image Orientation (Patient)_ (0020,0037) of every slice.
    pub const ORIENTATION: [f64; 6] = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0];

    /// A smaller grid over the same 358 × 275 mm field: `size` × `size` pixels and `slices` slices.
    pub fn covering(size: u16, slices: u32) -> Self {
        let size = size.max(8);
        let slices = slices.max(2);
        CtGeometry {
            columns: size,
            rows: size,
            slices,
            pixel_spacing: 358.4 / f64::from(size),
            slice_spacing: 275.0 / f64::from(slices),
        }
    }

    /// Height of the first (most superior) slice, mm: a whole number of slice spacings above z = 0, so that
    /// slice positions fall on multiples of the spacing.
    pub fn z_top(&self) -> f64 {
        f64::from((self.slices.saturating_sub(1)) / 2) * self.slice_spacing
    }

    /// _Image Position (Patient)_ (0020,0032) of slice `k`: the centre of its first transmitted pixel.
    pub fn position(&self, k: u32) -> Vec3 {
        [
            -f64::from(self.columns) / 2.0 * self.pixel_spacing,
            -f64::from(self.rows) / 2.0 * self.pixel_spacing,
            self.z_top() - f64::from(k) * self.slice_spacing,
        ]
    }

    /// Patient coordinates of the centre of pixel (`row`, `column`) of slice `k`.
    pub fn pixel_centre(&self, k: u32, row: u32, column: u32) -> Vec3 {
        let p = self.position(k);
        [
            p[0] + f64::from(column) * self.pixel_spacing,
            p[1] + f64::from(row) * self.pixel_spacing,
            p[2],
        ]
    }

    /// Fractional (slice, row, column) index of a point in patient coordinates.
    pub fn index_of(&self, p: Vec3) -> [f64; 3] {
        let o = self.position(0);
        [
            (self.z_top() - p[2]) / self.slice_spacing,
            (p[1] - o[1]) / self.pixel_spacing,
            (p[0] - o[0]) / self.pixel_spacing,
        ]
    }

    /// Number of pixels in one slice.
    pub fn pixels_per_slice(&self) -> usize {
        usize::from(self.rows) * usize::from(self.columns)
    }
}

/// One rendered CT slice.
#[derive(Debug, Clone, PartialEq)]
pub struct CtSlice {
    /// CT numbers (HU, noise included), row-major.
    pub hu: Vec<i16>,
    /// Ground-truth [`Label`] values, row-major.
    pub labels: Vec<u8>,
}

impl CtSlice {
    /// The stored pixel values (`HU + 1024`) as little-endian bytes, ready for Pixel Data.
    pub fn stored_le_bytes(&self) -> Vec<u8> {
        self.hu
            .iter()
            .flat_map(|&h| {
                ((i32::from(h) + CT_HU_OFFSET).clamp(i16::MIN.into(), i16::MAX.into()) as i16)
                    .to_le_bytes()
            })
            .collect()
    }
}

/// Render slice `k` of the phantom: noiseless anatomy plus ±[`CT_NOISE_HU`] of hash-based noise keyed by
/// (column, row, slice).
pub fn ct_slice(phantom: &ChestPhantom, geom: &CtGeometry, k: u32) -> CtSlice {
    let z = geom.position(k)[2];
    let ctx = phantom.slice_context(z);
    let n = geom.pixels_per_slice();
    let mut hu = Vec::with_capacity(n);
    let mut labels = Vec::with_capacity(n);
    for row in 0..u32::from(geom.rows) {
        for col in 0..u32::from(geom.columns) {
            let p = geom.pixel_centre(k, row, col);
            let v = ctx.sample(p[0], p[1]);
            let noise = triangular_noise(
                hash3(NOISE_SEED, i64::from(col), i64::from(row), i64::from(k)),
                CT_NOISE_HU,
            );
            hu.push((v.hu + noise).round().clamp(-2048.0, 4095.0) as i16);
            labels.push(v.label.value());
        }
    }
    CtSlice { hu, labels }
}

/// Ground-truth labels of slice `k` (row-major [`Label`] values).
pub fn ct_label_slice(phantom: &ChestPhantom, geom: &CtGeometry, k: u32) -> Vec<u8> {
    let z = geom.position(k)[2];
    let ctx = phantom.slice_context(z);
    let mut labels = Vec::with_capacity(geom.pixels_per_slice());
    for row in 0..u32::from(geom.rows) {
        for col in 0..u32::from(geom.columns) {
            let p = geom.pixel_centre(k, row, col);
            labels.push(ctx.sample(p[0], p[1]).label.value());
        }
    }
    labels
}

/// Ground-truth label volume of the whole main series: slice-major in instance order, then rows, then columns
/// (`index = (k · rows + row) · columns + column`), values from [`Label`].
pub fn ct_label_volume(phantom: &ChestPhantom, geom: &CtGeometry) -> Vec<u8> {
    let mut out = Vec::with_capacity(geom.pixels_per_slice() * geom.slices as usize);
    for k in 0..geom.slices {
        out.extend(ct_label_slice(phantom, geom, k));
    }
    out
}

/// The label at the centre of voxel (`k`, `row`, `column`).
pub fn ct_label_at(
    phantom: &ChestPhantom,
    geom: &CtGeometry,
    k: u32,
    row: u32,
    column: u32,
) -> Label {
    phantom.sample(geom.pixel_centre(k, row, column)).label
}

/// CT-specific attributes (Frame of Reference, Image Plane, CT Image, VOI LUT) for slice `k`.
/// `spacing_between_slices` is the step of the series the slice belongs to (larger for subset series).
pub(crate) fn put_ct_attributes(
    obj: &mut InMemDicomObject,
    geom: &CtGeometry,
    k: u32,
    frame_of_reference_uid: &str,
    spacing_between_slices: f64,
) {
    let pos = geom.position(k);
    put_str(obj, tags::SOP_CLASS_UID, VR::UI, uids::CT_IMAGE_STORAGE);
    put_strs(
        obj,
        tags::IMAGE_TYPE,
        VR::CS,
        &["ORIGINAL".into(), "PRIMARY".into(), "AXIAL".into()],
    );
    put_str(obj, tags::CONTRAST_BOLUS_AGENT, VR::LO, "IODINE (DEMO)");
    put_str(obj, tags::SCAN_OPTIONS, VR::CS, "HELICAL MODE");
    put_str(obj, tags::KVP, VR::DS, "120");
    put_str(obj, tags::SLICE_THICKNESS, VR::DS, &ds(geom.slice_spacing));
    put_str(
        obj,
        tags::SPACING_BETWEEN_SLICES,
        VR::DS,
        &ds(spacing_between_slices),
    );
    put_str(obj, tags::CONVOLUTION_KERNEL, VR::SH, "STANDARD");
    put_str(obj, tags::PATIENT_POSITION, VR::CS, "HFS");
    put_str(obj, tags::ACQUISITION_NUMBER, VR::IS, "1");
    put_image_plane(
        obj,
        pos,
        CtGeometry::ORIENTATION,
        frame_of_reference_uid,
        "SN",
        geom.pixel_spacing,
    );
    put_strs(
        obj,
        tags::WINDOW_CENTER,
        VR::DS,
        &["-600".into(), "40".into()],
    );
    put_strs(
        obj,
        tags::WINDOW_WIDTH,
        VR::DS,
        &["1500".into(), "400".into()],
    );
    put_strs(
        obj,
        tags::WINDOW_CENTER_WIDTH_EXPLANATION,
        VR::LO,
        &["LUNG".into(), "MEDIASTINUM".into()],
    );
    put_str(
        obj,
        tags::RESCALE_INTERCEPT,
        VR::DS,
        &ds(-f64::from(CT_HU_OFFSET)),
    );
    put_str(obj, tags::RESCALE_SLOPE, VR::DS, "1");
    put_str(obj, tags::RESCALE_TYPE, VR::LO, "HU");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dot(a: Vec3, b: Vec3) -> f64 {
        a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
    }

    #[test]
    fn positions_step_by_spacing_along_the_normal() {
        let g = CtGeometry::default();
        let normal = [0.0, 0.0, 1.0]; // row direction × column direction
        for k in 0..g.slices - 1 {
            let a = g.position(k);
            let b = g.position(k + 1);
            let step = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
            assert!((dot(step, normal) + 1.25).abs() < 1e-9, "slice {k}");
            assert!(step[0] == 0.0 && step[1] == 0.0);
        }
        // Slices fall on multiples of the spacing and the stack covers 275 mm.
        assert_eq!(g.position(0)[2], 136.25);
        assert_eq!(g.position(219)[2], -137.5);
    }

    #[test]
    fn index_of_inverts_pixel_centre() {
        let g = CtGeometry::default();
        let p = g.pixel_centre(49, 100, 300);
        let idx = g.index_of(p);
        assert!(
            (idx[0] - 49.0).abs() < 1e-9
                && (idx[1] - 100.0).abs() < 1e-9
                && (idx[2] - 300.0).abs() < 1e-9
        );
    }

    #[test]
    fn slice_has_expected_hu_at_known_points() {
        let ph = ChestPhantom::new();
        let g = CtGeometry::default();
        // Slice through the 12 mm nodule at z = -25 (k = (136.25 + 25) / 1.25 = 129).
        let k = 129;
        assert_eq!(g.position(k)[2], -25.0);
        let s = ct_slice(&ph, &g, k);
        let at = |x: f64, y: f64| {
            let idx = g.index_of([x, y, -25.0]);
            let i = idx[1].round() as usize * usize::from(g.columns) + idx[2].round() as usize;
            (s.hu[i], s.labels[i])
        };
        let (hu, label) = at(-90.0, 45.0); // nodule centre
        assert_eq!(label, Label::Nodule.value());
        assert!((hu - 40).abs() <= 10, "{hu}");
        let (hu, label) = at(31.0, 33.0); // descending aorta
        assert_eq!(label, Label::Aorta.value());
        assert!((hu - 200).abs() <= 10, "{hu}");
        let (hu, label) = at(0.0, -170.0); // air in front of the patient
        assert_eq!(label, Label::Background.value());
        assert!((hu + 1000).abs() <= 10, "{hu}");
        let (hu, label) = at(-105.0, 0.0); // right lung periphery
        assert_eq!(label, Label::Lung.value());
        assert!((hu + 850).abs() <= 10, "{hu}");
        // Stored values are HU + 1024.
        let bytes = s.stored_le_bytes();
        assert_eq!(i16::from_le_bytes([bytes[0], bytes[1]]), s.hu[0] + 1024);
    }

    #[test]
    fn noise_is_bounded_and_not_constant() {
        let ph = ChestPhantom::new();
        let g = CtGeometry::covering(64, 8);
        let s = ct_slice(&ph, &g, 3);
        let air: Vec<i16> =
            s.hu.iter()
                .zip(&s.labels)
                .filter(|(_, &l)| l == 0)
                .map(|(&h, _)| h)
                .collect();
        assert!(air.iter().all(|&h| (-1010..=-990).contains(&h)));
        assert!(air.iter().any(|&h| h != air[0]));
    }

    #[test]
    fn label_volume_matches_slices() {
        let ph = ChestPhantom::new();
        let g = CtGeometry::covering(32, 6);
        let vol = ct_label_volume(&ph, &g);
        assert_eq!(vol.len(), 32 * 32 * 6);
        assert_eq!(
            &vol[32 * 32 * 2..32 * 32 * 3],
            ct_slice(&ph, &g, 2).labels.as_slice()
        );
        assert_eq!(
            ct_label_at(&ph, &g, 2, 5, 7).value(),
            vol[(2 * 32 + 5) * 32 + 7]
        );
    }
}
