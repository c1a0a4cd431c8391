//! The ultrasound cine: an RGB multi-frame B-mode loop of a vessel seen along its length (like a carotid), in a
//! sector-shaped (phased-array) field of view, with speckle that moves with the tissue as the vessel pulses, and
//! a colour Doppler box over the vessel in the second half of the loop (red towards the probe, blue away, as a
//! horizontal flow seen by steered beams looks). Everything comes from integer hashes of fixed seeds.
//!
//! It must not write files.

use dicom_core::value::C;
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_object::InMemDicomObject;

use crate::dataset::{ds, put_str, put_strs};
use crate::hash::{hash3, unit};

const SPECKLE_SEED: u64 = 0x0055_5353_5045_434B;

/// Size and timing of the cine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UsGeometry {
    /// _Columns_ (pixels).
    pub width: u16,
    /// _Rows_ (pixels).
    pub height: u16,
    /// _Number of Frames_.
    pub frames: u32,
    /// _Frame Time_ (0018,1063), ms.
    pub frame_time_ms: f64,
}

impl Default for UsGeometry {
    /// 640 × 480, 40 frames at 30 frames per second.
    fn default() -> Self {
        UsGeometry {
            width: 640,
            height: 480,
            frames: 40,
            frame_time_ms: 100.0 / 3.0,
        }
    }
}

/// Frames (0-based) in which the colour Doppler box is shown: the second half of the loop.
pub fn doppler_active(geom: &UsGeometry, frame: u32) -> bool {
    frame >= geom.frames / 2
}

/// Value noise: smooth pseudo-random field in [0, 1] from hashed lattice points, bilinearly interpolated.
fn value_noise(x: f64, y: f64, seed: u64) -> f64 {
    let xi = x.floor();
    let yi = y.floor();
    let tx = x - xi;
    let ty = y - yi;
    let (xi, yi) = (xi as i64, yi as i64);
    let h = |dx: i64, dy: i64| unit(hash3(seed, xi + dx, yi + dy, 0));
    let sx = tx * tx * (3.0 - 2.0 * tx);
    let sy = ty * ty * (3.0 - 2.0 * ty);
    let a = h(0, 0) + (h(1, 0) - h(0, 0)) * sx;
    let b = h(0, 1) + (h(1, 1) - h(0, 1)) * sx;
    a + (b - a) * sy
}

/// Render frame `frame` as interleaved RGB bytes (row-major, _Planar Configuration_ 0).
pub fn us_frame(geom: &UsGeometry, frame: u32) -> Vec<u8> {
    let w = f64::from(geom.width);
    let h = f64::from(geom.height);
    let apex = (w / 2.0, h * 0.06);
    let depth = h * 0.88;
    let half_angle = 38f64.to_radians();
    // Cardiac phase: 18 frames per beat; the vessel widens in systole and tissue moves a little.
    let phase = (f64::from(frame) / 18.0) * std::f64::consts::TAU;
    let systole = phase.sin().max(0.0).powi(2);
    let motion = 3.0 * phase.sin();
    let vessel_y = apex.1 + depth * 0.52;
    let vessel_r = depth * 0.075 * (1.0 + 0.12 * systole);
    let doppler = doppler_active(geom, frame);
    let box_x = (w * 0.30, w * 0.70);
    let box_y = (vessel_y - depth * 0.16, vessel_y + depth * 0.16);
    let mut out = Vec::with_capacity(usize::from(geom.width) * usize::from(geom.height) * 3);
    for row in 0..geom.height {
        for col in 0..geom.width {
            let x = f64::from(col) + 0.5;
            let y = f64::from(row) + 0.5;
            let dx = x - apex.0;
            let dy = y - apex.1;
            let r = (dx * dx + dy * dy).sqrt();
            let angle = dx.atan2(dy);
            let mut rgb = [0u8; 3];
            if r > depth * 0.04 && r < depth && angle.abs() < half_angle {
                // Tissue coordinates move with the pulse, so the speckle moves with them.
                let ty = y - motion * (1.0 - (y - vessel_y).abs() / depth);
                let tissue_dy = ty - vessel_y;
                let in_lumen = tissue_dy.abs() < vessel_r;
                let wall = !in_lumen && tissue_dy.abs() < vessel_r + 4.0;
                let layer =
                    |centre: f64, width: f64| (-(ty - centre).powi(2) / (width * width)).exp();
                let echogenicity = if in_lumen {
                    0.05
                } else if wall {
                    0.95
                } else {
                    0.35 + 0.45 * layer(apex.1 + depth * 0.2, 6.0)
                        + 0.3 * layer(apex.1 + depth * 0.3, 4.0)
                        + 0.25 * layer(apex.1 + depth * 0.82, 12.0)
                };
                let speckle = value_noise(x / 2.5, ty / 1.6, SPECKLE_SEED);
                let fine = unit(hash3(SPECKLE_SEED, col.into(), (ty.round()) as i64, 7));
                // Rayleigh-like speckle: many dark grains, a few bright ones.
                let s = (-(1.0 - 0.98 * speckle).ln()).sqrt() * 0.8 + 0.2 * fine;
                let attenuation = 1.0 - 0.45 * (r / depth);
                let grey = (255.0 * echogenicity * s * attenuation).clamp(0.0, 255.0) as u8;
                rgb = [grey, grey, grey];
                if doppler && in_lumen && x > box_x.0 && x < box_x.1 {
                    // Beam direction (sin, cos of angle) · horizontal flow: sign gives colour, speed gives brightness.
                    let profile = 1.0 - (tissue_dy / vessel_r).powi(2);
                    let speed = (0.35 + 0.65 * systole) * profile;
                    let towards = angle.sin() * speed;
                    let v = (towards.abs().sqrt() * 255.0).clamp(40.0, 255.0) as u8;
                    rgb = if towards >= 0.0 {
                        [v, (f64::from(v) * 0.25 * speed) as u8, 0]
                    } else {
                        [0, (f64::from(v) * 0.4 * speed) as u8, v]
                    };
                }
            }
            if doppler {
                let on_box_x = (x - box_x.0).abs() < 1.0 || (x - box_x.1).abs() < 1.0;
                let on_box_y = (y - box_y.0).abs() < 1.0 || (y - box_y.1).abs() < 1.0;
                if (on_box_x && y > box_y.0 && y < box_y.1)
                    || (on_box_y && x > box_x.0 && x < box_x.1)
                {
                    rgb = [230, 230, 230];
                }
                // Colour bar at the left edge: red on top, blue below.
                let bar_top = h * 0.2;
                let bar_h = h * 0.3;
                if x > 12.0 && x < 22.0 && y > bar_top && y < bar_top + bar_h {
                    let t = (y - bar_top) / bar_h;
                    rgb = if t < 0.5 {
                        [(255.0 * (1.0 - 2.0 * t)) as u8, 0, 0]
                    } else {
                        [0, 0, (255.0 * (2.0 * t - 1.0)) as u8]
                    };
                }
            }
            // Depth marks every 10 % of the depth on the right of the sector.
            let mark_x = apex.0 + depth * half_angle.sin() + 16.0;
            if (x - mark_x).abs() < 2.0 {
                let frac = (y - apex.1) / depth * 10.0;
                if frac > 0.0 && frac <= 10.0 && (frac - frac.round()).abs() * depth / 10.0 < 1.0 {
                    rgb = [200, 200, 200];
                }
            }
            out.extend_from_slice(&rgb);
        }
    }
    out
}

/// US-specific attributes (US Image, Cine, Multi-frame) of the cine.
pub(crate) fn put_us_attributes(obj: &mut InMemDicomObject, geom: &UsGeometry) {
    put_str(
        obj,
        tags::SOP_CLASS_UID,
        VR::UI,
        uids::ULTRASOUND_MULTI_FRAME_IMAGE_STORAGE,
    );
    put_strs(
        obj,
        tags::IMAGE_TYPE,
        VR::CS,
        &["ORIGINAL".into(), "PRIMARY".into(), "VASCULAR".into()],
    );
    put_str(
        obj,
        tags::NUMBER_OF_FRAMES,
        VR::IS,
        &geom.frames.to_string(),
    );
    obj.put(DataElement::new(
        tags::FRAME_INCREMENT_POINTER,
        VR::AT,
        PrimitiveValue::Tags(C::from_elem(Tag(0x0018, 0x1063), 1)),
    ));
    put_str(obj, tags::FRAME_TIME, VR::DS, &ds(geom.frame_time_ms));
    let rate = (1000.0 / geom.frame_time_ms).round();
    put_str(obj, tags::CINE_RATE, VR::IS, &ds(rate));
    put_str(obj, tags::RECOMMENDED_DISPLAY_FRAME_RATE, VR::IS, &ds(rate));
    put_str(obj, tags::FRAME_DELAY, VR::DS, "0");
    put_str(obj, tags::LOSSY_IMAGE_COMPRESSION, VR::CS, "00");
    put_str(obj, tags::BURNED_IN_ANNOTATION, VR::CS, "NO");
    put_str(obj, tags::TRANSDUCER_DATA, VR::LO, "PHASED ARRAY 2.5 MHZ");
    put_str(obj, tags::PATIENT_ORIENTATION, VR::CS, "");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> UsGeometry {
        UsGeometry {
            width: 160,
            height: 120,
            frames: 8,
            ..UsGeometry::default()
        }
    }

    #[test]
    fn outside_the_sector_is_black_and_inside_has_texture() {
        let g = small();
        let f = us_frame(&g, 0);
        assert_eq!(f.len(), 160 * 120 * 3);
        // Top-left corner is outside the fan.
        assert_eq!(&f[0..3], &[0, 0, 0]);
        // Along the centre line below the vessel there is varying grey (speckle).
        let greys: Vec<u8> = (90..110).map(|row| f[(row * 160 + 80) * 3]).collect();
        assert!(greys.iter().any(|&g| g != greys[0]));
    }

    #[test]
    fn doppler_colour_only_in_second_half() {
        let g = small();
        let coloured = |f: &[u8]| {
            f.chunks_exact(3)
                .filter(|p| p[0] != p[1] || p[1] != p[2])
                .count()
        };
        assert_eq!(coloured(&us_frame(&g, 1)), 0);
        assert!(coloured(&us_frame(&g, 5)) > 20);
    }

    #[test]
    fn frames_differ_so_the_loop_moves() {
        let g = small();
        assert_ne!(us_frame(&g, 0), us_frame(&g, 3));
        assert_eq!(us_frame(&g, 3), us_frame(&g, 3));
    }
}
