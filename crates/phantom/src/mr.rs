//! The MR series: an axial T1-weighted brain phantom. White matter is brighter than grey matter, CSF is dark,
//! scalp fat is the brightest, the skull is a dark band; the cortex folds into gyri, with lateral ventricles,
//! eyes and a cerebellum at the lower levels. Values are unsigned 12-bit (_Bits Stored_ 12) with Rician-looking
//! hash-based noise. It must not write files.

use dicom_core::VR;
use dicom_dictionary_std::{tags, uids};
use dicom_object::InMemDicomObject;

use crate::dataset::{ds, put_image_plane, put_str, put_strs};
use crate::hash::{hash3, unit};

const NOISE_SEED: u64 = 0x4D52_4E4F_4953;

const T1_AIR: f64 = 0.0;
const T1_SCALP_FAT: f64 = 950.0;
const T1_SKULL: f64 = 70.0;
const T1_CSF: f64 = 160.0;
const T1_GREY: f64 = 480.0;
const T1_WHITE: f64 = 720.0;
const T1_VITREOUS: f64 = 120.0;
const T1_LENS: f64 = 400.0;
const T1_ORBIT_FAT: f64 = 900.0;
const T1_MUSCLE: f64 = 380.0;

/// Geometry of the axial MR stack.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MrGeometry {
    /// _Rows_ and _Columns_ (square matrix).
    pub size: u16,
    /// Number of slices.
    pub slices: u32,
    /// _Pixel Spacing_ (mm).
    pub pixel_spacing: f64,
    /// _Slice Thickness_ (mm).
    pub slice_thickness: f64,
    /// _Spacing Between Slices_ (mm), centre to centre.
    pub slice_spacing: f64,
}

impl Default for MrGeometry {
    /// 256 × 256 × 24 slices, 0.9375 mm pixels (240 mm field), 5 mm slices every 6 mm.
    fn default() -> Self {
        MrGeometry {
            size: 256,
            slices: 24,
            pixel_spacing: 0.9375,
            slice_thickness: 5.0,
            slice_spacing: 6.0,
        }
    }
}

impl MrGeometry {
    /// _Image Position (Patient)_ of slice `k` (0 = most inferior; the stack goes up towards the vertex).
    pub fn position(&self, k: u32) -> [f64; 3] {
        let half = f64::from(self.size) / 2.0 * self.pixel_spacing;
        let z0 = -(f64::from(self.slices.saturating_sub(1)) / 2.0) * self.slice_spacing;
        [-half, -half, z0 + f64::from(k) * self.slice_spacing]
    }
}

/// T1 signal (noiseless) at a point of the head (patient coordinates, mm; head centre at the origin).
pub fn t1_signal(x: f64, y: f64, z: f64) -> f64 {
    let ell = |cx: f64, cy: f64, cz: f64, a: f64, b: f64, c: f64| {
        let u = (x - cx) / a;
        let v = (y - cy) / b;
        let w = (z - cz) / c;
        u * u + v * v + w * w
    };
    let head = ell(0.0, 0.0, 0.0, 75.0, 95.0, 85.0);
    if head >= 1.0 {
        // The neck below the head.
        if z < -40.0 && ell(0.0, 15.0, -40.0, 45.0, 45.0, 200.0) < 1.0 {
            return T1_MUSCLE;
        }
        return T1_AIR;
    }
    // Eyes and orbits, in front and low.
    for s in [-1.0, 1.0] {
        let eye = ell(s * 32.0, -72.0, -38.0, 12.0, 12.0, 12.0);
        if eye < 1.0 {
            return if ell(s * 32.0, -82.0, -38.0, 4.5, 2.0, 4.5) < 1.0 {
                T1_LENS
            } else {
                T1_VITREOUS
            };
        }
        if ell(s * 30.0, -55.0, -38.0, 17.0, 28.0, 15.0) < 1.0 {
            return T1_ORBIT_FAT;
        }
    }
    // Scalp (fat) ~5 mm, then skull ~6 mm, then a thin CSF layer.
    if head > 0.87 {
        return T1_SCALP_FAT;
    }
    if head > 0.74 {
        return T1_SKULL;
    }
    let brain = ell(0.0, 2.0, 3.0, 64.0, 83.0, 72.0);
    if brain >= 0.92 {
        return T1_CSF;
    }
    // Gyri: the cortical ribbon's inner border undulates with the angle around the head.
    let theta = x.atan2(y);
    let phi = (z / 72.0).clamp(-1.0, 1.0).asin();
    let folds = 0.09 * (theta * 11.0).sin() * (phi * 7.0 + theta * 3.0).cos();
    // Sulci: thin CSF clefts reaching into the grey matter.
    if brain > 0.72 && (theta * 11.0).sin().abs() < 0.08 {
        return T1_CSF;
    }
    // Lateral ventricles (butterfly) and third ventricle.
    for s in [-1.0, 1.0] {
        if ell(s * 9.0, -4.0, 12.0, 6.0, 26.0, 9.0) < 1.0 {
            return T1_CSF;
        }
    }
    if ell(0.0, 2.0, -5.0, 2.0, 12.0, 8.0) < 1.0 {
        return T1_CSF;
    }
    // Deep grey matter (thalami, basal ganglia).
    for s in [-1.0, 1.0] {
        if ell(s * 14.0, 4.0, 0.0, 9.0, 12.0, 10.0) < 1.0 {
            return T1_GREY + 60.0;
        }
    }
    // Cerebellum: posterior and low, with foliation stripes.
    if ell(0.0, 45.0, -40.0, 50.0, 30.0, 22.0) < 1.0 {
        let folia = ((z * 1.4) + (y * 0.3)).sin();
        return if folia > 0.2 {
            T1_GREY
        } else {
            T1_WHITE - 80.0
        };
    }
    if brain > 0.62 + folds {
        T1_GREY
    } else {
        T1_WHITE
    }
}

/// Render slice `k` as unsigned stored values (row-major), with noise whose spread grows with signal like a
/// magnitude image (and never negative).
pub fn mr_slice(geom: &MrGeometry, k: u32) -> Vec<u16> {
    let p = geom.position(k);
    let mut out = Vec::with_capacity(usize::from(geom.size) * usize::from(geom.size));
    for row in 0..geom.size {
        for col in 0..geom.size {
            let x = p[0] + f64::from(col) * geom.pixel_spacing;
            let y = p[1] + f64::from(row) * geom.pixel_spacing;
            let s = t1_signal(x, y, p[2]);
            let h = hash3(NOISE_SEED, i64::from(col), i64::from(row), i64::from(k));
            let n1 = (unit(h) - 0.5) * 40.0;
            let n2 = (unit(h.rotate_left(29)) - 0.5) * 40.0;
            // Magnitude of a complex signal with Gaussian-ish noise: Rician, floor above zero in air.
            let v = ((s + n1).powi(2) + n2 * n2).sqrt();
            out.push(v.round().clamp(0.0, 4095.0) as u16);
        }
    }
    out
}

/// MR-specific attributes (Frame of Reference, Image Plane, MR Image, VOI LUT) of slice `k`.
pub(crate) fn put_mr_attributes(
    obj: &mut InMemDicomObject,
    geom: &MrGeometry,
    k: u32,
    frame_of_reference_uid: &str,
) {
    let pos = geom.position(k);
    put_str(obj, tags::SOP_CLASS_UID, VR::UI, uids::MR_IMAGE_STORAGE);
    put_strs(
        obj,
        tags::IMAGE_TYPE,
        VR::CS,
        &["ORIGINAL".into(), "PRIMARY".into(), "M".into(), "ND".into()],
    );
    put_str(obj, tags::SCANNING_SEQUENCE, VR::CS, "SE");
    put_str(obj, tags::SEQUENCE_VARIANT, VR::CS, "NONE");
    put_str(obj, tags::SCAN_OPTIONS, VR::CS, "");
    put_str(obj, tags::MR_ACQUISITION_TYPE, VR::CS, "2D");
    put_str(obj, tags::SEQUENCE_NAME, VR::SH, "se2d1");
    put_str(obj, tags::REPETITION_TIME, VR::DS, "500");
    put_str(obj, tags::ECHO_TIME, VR::DS, "15");
    put_str(obj, tags::ECHO_TRAIN_LENGTH, VR::IS, "1");
    put_str(obj, tags::MAGNETIC_FIELD_STRENGTH, VR::DS, "1.5");
    put_str(obj, tags::IMAGED_NUCLEUS, VR::SH, "1H");
    put_str(
        obj,
        tags::SLICE_THICKNESS,
        VR::DS,
        &ds(geom.slice_thickness),
    );
    put_str(
        obj,
        tags::SPACING_BETWEEN_SLICES,
        VR::DS,
        &ds(geom.slice_spacing),
    );
    put_str(obj, tags::PATIENT_POSITION, VR::CS, "HFS");
    put_image_plane(
        obj,
        pos,
        [1.0, 0.0, 0.0, 0.0, 1.0, 0.0],
        frame_of_reference_uid,
        "",
        geom.pixel_spacing,
    );
    put_strs(
        obj,
        tags::WINDOW_CENTER,
        VR::DS,
        &["500".into(), "600".into(), "350".into()],
    );
    put_strs(
        obj,
        tags::WINDOW_WIDTH,
        VR::DS,
        &["1000".into(), "500".into(), "700".into()],
    );
    put_strs(
        obj,
        tags::WINDOW_CENTER_WIDTH_EXPLANATION,
        VR::LO,
        &["DEFAULT".into(), "BRAIN".into(), "SOFT".into()],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t1_contrast_orders_tissues() {
        // Deep white matter (centrum semiovale), cortex near the surface, ventricle, scalp, outside.
        let white = t1_signal(25.0, 10.0, 30.0);
        let csf = t1_signal(9.0, -4.0, 12.0);
        let scalp = t1_signal(0.0, 0.0, 82.0);
        assert_eq!(white, T1_WHITE);
        assert_eq!(csf, T1_CSF);
        assert_eq!(scalp, T1_SCALP_FAT);
        assert_eq!(t1_signal(0.0, -120.0, 0.0), T1_AIR);
        assert!(scalp > white && white > T1_GREY && T1_GREY > csf);
    }

    #[test]
    fn slices_are_deterministic_and_step_up() {
        let g = MrGeometry {
            size: 32,
            slices: 4,
            ..MrGeometry::default()
        };
        assert_eq!(mr_slice(&g, 2), mr_slice(&g, 2));
        assert_eq!(g.position(1)[2] - g.position(0)[2], 6.0);
        assert!(mr_slice(&g, 2).iter().all(|&v| v <= 4095));
    }
}
