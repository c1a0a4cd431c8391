//! The chest radiograph (DX, For Presentation): a posteroanterior projection of the same [`ChestPhantom`] as the
//! CT. Each detector pixel holds the line integral of linear attenuation along the anteroposterior axis, mapped
//! linearly to 12 bits so that attenuating structures are bright in MONOCHROME2 (lungs dark; mediastinum, spine,
//! ribs, clavicles and the diaphragm bright; direct exposure black), plus mild hash-based quantum noise.
//!
//! The projection is computed on a coarse grid (`projection_step_mm`) and interpolated bilinearly to the
//! detector matrix, which also gives the slight unsharpness of a real radiograph. It must not write files.

use dicom_core::value::C;
use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_object::InMemDicomObject;

use crate::chest::ChestPhantom;
use crate::dataset::{ds, put_str, put_strs};
use crate::hash::{hash3, triangular_noise};

/// Largest stored value: _Bits Stored_ 12.
pub const DX_MAX: u16 = 4095;
const NOISE_SEED: u64 = 0x4458_4E4F_4953;

/// Detector geometry of the radiograph.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DxGeometry {
    /// _Rows_ (0028,0010): detector rows, head (top) to feet.
    pub rows: u16,
    /// _Columns_ (0028,0011): detector columns, patient right (image left) to patient left.
    pub columns: u16,
    /// _Imager Pixel Spacing_ (0018,1164) and _Pixel Spacing_ (0028,0030), mm (no magnification correction).
    pub pixel_spacing: f64,
    /// Sampling step of the projection grid and of the ray integration, mm.
    pub projection_step_mm: f64,
}

impl Default for DxGeometry {
    /// 2000 × 1800 pixels of 0.22 mm: a 440 × 396 mm field, projected every 1 mm.
    fn default() -> Self {
        DxGeometry {
            rows: 2000,
            columns: 1800,
            pixel_spacing: 0.22,
            projection_step_mm: 1.0,
        }
    }
}

impl DxGeometry {
    /// Patient x (mm) at the centre of detector column `c`.
    pub fn x_of(&self, c: f64) -> f64 {
        (c - f64::from(self.columns) / 2.0 + 0.5) * self.pixel_spacing
    }

    /// Patient z (mm) at the centre of detector row `r`: the field is centred 10 mm below z = 0 so the lung
    /// apices and the costophrenic angles both fit.
    pub fn z_of(&self, r: f64) -> f64 {
        -10.0 + (f64::from(self.rows) / 2.0 - 0.5 - r) * self.pixel_spacing
    }
}

/// Linear attenuation coefficient (1/mm) for a CT number: water 0.0195/mm at about 70 keV, scaled by density,
/// with an extra photoelectric boost for bone so that ribs stand out as they do on film.
fn attenuation(hu: f64) -> f64 {
    let density = (1.0 + hu / 1000.0).max(0.0);
    let bone_boost = 1.0 + 0.3 * ((hu - 100.0).max(0.0) / 1000.0);
    0.0195 * density * bone_boost
}

/// Render the radiograph as MONOCHROME2 stored values (row-major, 0..=[`DX_MAX`]).
pub fn dx_image(phantom: &ChestPhantom, geom: &DxGeometry) -> Vec<u16> {
    dx_image_with_threads(phantom, geom, 0)
}

/// [`dx_image`] on up to `threads` threads (0 = one per core).
pub fn dx_image_with_threads(
    phantom: &ChestPhantom,
    geom: &DxGeometry,
    threads: usize,
) -> Vec<u16> {
    let step = geom.projection_step_mm.max(0.25);
    let width_mm = f64::from(geom.columns) * geom.pixel_spacing;
    let height_mm = f64::from(geom.rows) * geom.pixel_spacing;
    let nx = (width_mm / step).ceil() as usize + 2;
    let nz = (height_mm / step).ceil() as usize + 2;
    let x0 = geom.x_of(0.0) - step;
    let z0 = geom.z_of(0.0) + step;
    let ny = (240.0 / step).ceil() as usize;
    let rows = crate::par::map(nz, threads, |iz| {
        let z = z0 - iz as f64 * step;
        let ctx = phantom.slice_context(z);
        let row: Vec<f64> = (0..nx)
            .map(|ix| {
                let x = x0 + ix as f64 * step;
                let sum: f64 = (0..ny)
                    .map(|iy| attenuation(ctx.sample(x, -120.0 + (iy as f64 + 0.5) * step).hu))
                    .sum();
                sum * step
            })
            .collect();
        Ok::<_, std::convert::Infallible>(row)
    });
    let line_integrals: Vec<f64> = match rows {
        Ok(rows) => rows.concat(),
        Err(never) => match never {},
    };
    let mut out = Vec::with_capacity(usize::from(geom.rows) * usize::from(geom.columns));
    for r in 0..geom.rows {
        let fz = ((z0 - geom.z_of(f64::from(r))) / step).clamp(0.0, (nz - 2) as f64);
        let iz = fz.floor() as usize;
        let tz = fz - iz as f64;
        for c in 0..geom.columns {
            let fx = ((geom.x_of(f64::from(c)) - x0) / step).clamp(0.0, (nx - 2) as f64);
            let ix = fx.floor() as usize;
            let tx = fx - ix as f64;
            let at = |i: usize, j: usize| line_integrals.get(j * nx + i).copied().unwrap_or(0.0);
            let l = (at(ix, iz) * (1.0 - tx) + at(ix + 1, iz) * tx) * (1.0 - tz)
                + (at(ix, iz + 1) * (1.0 - tx) + at(ix + 1, iz + 1) * tx) * tz;
            let noise = triangular_noise(hash3(NOISE_SEED, i64::from(c), i64::from(r), 0), 24.0);
            let v = 150.0 + 640.0 * l + noise;
            out.push(v.round().clamp(0.0, f64::from(DX_MAX)) as u16);
        }
    }
    out
}

/// A VOI window (centre, width) covering the 1st to 99.8th percentile of the exposed-through-patient pixels,
/// and a narrower one centred on the lungs.
pub fn dx_windows(image: &[u16]) -> [(f64, f64); 2] {
    let mut hist = vec![0u64; usize::from(DX_MAX) + 1];
    let mut count = 0u64;
    for &v in image {
        if v > 400 {
            if let Some(h) = hist.get_mut(usize::from(v)) {
                *h += 1;
                count += 1;
            }
        }
    }
    let percentile = |q: f64| -> f64 {
        let target = (count as f64 * q) as u64;
        let mut acc = 0;
        for (v, &h) in hist.iter().enumerate() {
            acc += h;
            if acc > target {
                return v as f64;
            }
        }
        f64::from(DX_MAX)
    };
    let lo = percentile(0.01);
    let hi = percentile(0.998);
    let mid = percentile(0.35);
    let full = ((lo + hi) / 2.0, (hi - lo).max(2.0));
    let lung = (mid, ((hi - lo) * 0.6).max(2.0));
    [full.map_round(), lung.map_round()]
}

trait RoundPair {
    fn map_round(self) -> (f64, f64);
}
impl RoundPair for (f64, f64) {
    fn map_round(self) -> (f64, f64) {
        (self.0.round(), self.1.round())
    }
}

/// Invert MONOCHROME2 stored values into MONOCHROME1 (`4095 − v`), so both files display alike.
pub fn to_monochrome1(image: &[u16]) -> Vec<u16> {
    image.iter().map(|&v| DX_MAX - v.min(DX_MAX)).collect()
}

/// DX-specific attributes (DX Series/Image/Detector, VOI LUT) of one radiograph. `monochrome1` selects the
/// inverted encoding, whose windows are mirrored.
pub(crate) fn put_dx_attributes(
    obj: &mut InMemDicomObject,
    geom: &DxGeometry,
    windows: [(f64, f64); 2],
    monochrome1: bool,
) {
    put_str(
        obj,
        tags::SOP_CLASS_UID,
        VR::UI,
        uids::DIGITAL_X_RAY_IMAGE_STORAGE_FOR_PRESENTATION,
    );
    put_strs(
        obj,
        tags::IMAGE_TYPE,
        VR::CS,
        &["ORIGINAL".into(), "PRIMARY".into()],
    );
    put_str(
        obj,
        tags::PRESENTATION_INTENT_TYPE,
        VR::CS,
        "FOR PRESENTATION",
    );
    put_str(obj, tags::VIEW_POSITION, VR::CS, "PA");
    put_strs(
        obj,
        tags::PATIENT_ORIENTATION,
        VR::CS,
        &["L".into(), "F".into()],
    );
    put_str(obj, tags::KVP, VR::DS, "125");
    put_str(obj, tags::DISTANCE_SOURCE_TO_DETECTOR, VR::DS, "1800");
    put_str(obj, tags::DETECTOR_TYPE, VR::CS, "DIRECT");
    put_strs(
        obj,
        tags::IMAGER_PIXEL_SPACING,
        VR::DS,
        &[ds(geom.pixel_spacing), ds(geom.pixel_spacing)],
    );
    put_strs(
        obj,
        tags::PIXEL_SPACING,
        VR::DS,
        &[ds(geom.pixel_spacing), ds(geom.pixel_spacing)],
    );
    put_str(obj, tags::BURNED_IN_ANNOTATION, VR::CS, "NO");
    put_str(obj, tags::LOSSY_IMAGE_COMPRESSION, VR::CS, "00");
    put_str(obj, tags::PIXEL_INTENSITY_RELATIONSHIP, VR::CS, "LOG");
    // +1: lower values mean less X-ray intensity (MONOCHROME1 here); −1: lower values mean more.
    let sign: i16 = if monochrome1 { 1 } else { -1 };
    obj.put(DataElement::new(
        tags::PIXEL_INTENSITY_RELATIONSHIP_SIGN,
        VR::SS,
        PrimitiveValue::I16(C::from_elem(sign, 1)),
    ));
    put_str(obj, tags::RESCALE_INTERCEPT, VR::DS, "0");
    put_str(obj, tags::RESCALE_SLOPE, VR::DS, "1");
    put_str(obj, tags::RESCALE_TYPE, VR::LO, "US");
    let centre = |c: f64| {
        if monochrome1 {
            f64::from(DX_MAX) - c
        } else {
            c
        }
    };
    put_strs(
        obj,
        tags::WINDOW_CENTER,
        VR::DS,
        &[ds(centre(windows[0].0)), ds(centre(windows[1].0))],
    );
    put_strs(
        obj,
        tags::WINDOW_WIDTH,
        VR::DS,
        &[ds(windows[0].1), ds(windows[1].1)],
    );
    put_strs(
        obj,
        tags::WINDOW_CENTER_WIDTH_EXPLANATION,
        VR::LO,
        &["DEFAULT".into(), "LUNG".into()],
    );
    put_str(
        obj,
        tags::PRESENTATION_LUT_SHAPE,
        VR::CS,
        if monochrome1 { "INVERSE" } else { "IDENTITY" },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> DxGeometry {
        DxGeometry {
            rows: 200,
            columns: 180,
            pixel_spacing: 2.2,
            projection_step_mm: 4.0,
        }
    }

    #[test]
    fn lungs_are_darker_than_spine_and_air_is_darkest() {
        let ph = ChestPhantom::new();
        let g = small();
        let img = dx_image(&ph, &g);
        let at = |x: f64, z: f64| {
            let c = (x / g.pixel_spacing + f64::from(g.columns) / 2.0 - 0.5).round() as usize;
            let r = (f64::from(g.rows) / 2.0 - 0.5 - (z + 10.0) / g.pixel_spacing).round() as usize;
            img[r * usize::from(g.columns) + c]
        };
        let lung = at(-80.0, 40.0);
        let spine = at(0.0, 40.0);
        let air = at(-190.0, 40.0);
        assert!(air < 300, "air {air}");
        assert!(lung + 500 < spine, "lung {lung} spine {spine}");
        // Below the diaphragm (liver) is brighter than the lung above it.
        assert!(at(-80.0, -130.0) > lung + 500);
    }

    #[test]
    fn monochrome1_inverts_values() {
        assert_eq!(to_monochrome1(&[0, 4095, 1000]), vec![4095, 0, 3095]);
    }

    #[test]
    fn windows_lie_within_the_stored_range() {
        let ph = ChestPhantom::new();
        let img = dx_image(&ph, &small());
        for (c, w) in dx_windows(&img) {
            assert!(c > 0.0 && c < 4095.0 && w > 0.0 && w <= 4096.0, "{c} {w}");
        }
    }
}
