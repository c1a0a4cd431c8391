//! sRGB colours to and from DICOM's Recommended Display CIELab Value.
//!
//! DICOM gives a segment's colour as CIELab in the ICC Profile Connection Space (PS3.3 C.10.7.1.1, "PCS-Values"):
//! the D50 white point, each of L*, a*, b* scaled to an unsigned 16-bit value — L* 0…100 to 0…0xFFFF, a* and b*
//! −128…127 to 0…0xFFFF. A manifest colour is 8-bit sRGB (IEC 61966-2-1, D65), so the way there is: undo the
//! sRGB transfer curve, linear RGB → XYZ with the sRGB primaries adapted to D50 (the Bradford transform, as ICC
//! profiles do), XYZ → L*a*b* (CIE 1976) relative to D50, then scale.

/// Linear sRGB → CIE XYZ relative to D50 (sRGB primaries, Bradford-adapted from D65 to D50; the matrix of the ICC
/// sRGB profile). Each row sums to the D50 white, so sRGB white is exactly L* 100, a* 0, b* 0.
const RGB_TO_XYZ_D50: [[f64; 3]; 3] = [
    [0.436_074_7, 0.385_064_9, 0.143_080_4],
    [0.222_504_5, 0.716_878_6, 0.060_616_9],
    [0.013_932_2, 0.097_104_5, 0.714_173_3],
];

/// The D50 white (X, Y, Z), the row sums of [`RGB_TO_XYZ_D50`].
const WHITE_D50: [f64; 3] = [
    RGB_TO_XYZ_D50[0][0] + RGB_TO_XYZ_D50[0][1] + RGB_TO_XYZ_D50[0][2],
    RGB_TO_XYZ_D50[1][0] + RGB_TO_XYZ_D50[1][1] + RGB_TO_XYZ_D50[1][2],
    RGB_TO_XYZ_D50[2][0] + RGB_TO_XYZ_D50[2][1] + RGB_TO_XYZ_D50[2][2],
];

/// δ of the CIE 1976 L*a*b* function.
const DELTA: f64 = 6.0 / 29.0;

/// CIE L*a*b* (D50) of an 8-bit sRGB colour: L* in 0…100, a* and b* roughly −128…127.
pub fn srgb_to_lab(rgb: [u8; 3]) -> [f64; 3] {
    let linear = rgb.map(|c| srgb_decode(f64::from(c) / 255.0));
    let xyz = mul(&RGB_TO_XYZ_D50, linear);
    let f = |i: usize| lab_f(xyz[i] / WHITE_D50[i]);
    let (fx, fy, fz) = (f(0), f(1), f(2));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// The 8-bit sRGB colour nearest to CIE L*a*b* (D50); colours outside the sRGB gamut are clipped.
pub fn lab_to_srgb(lab: [f64; 3]) -> [u8; 3] {
    let fy = (lab[0] + 16.0) / 116.0;
    let f = [fy + lab[1] / 500.0, fy, fy - lab[2] / 200.0];
    let xyz = [0, 1, 2].map(|i| lab_f_inverse(f[i]) * WHITE_D50[i]);
    let linear = mul(&inverse(&RGB_TO_XYZ_D50), xyz);
    linear.map(|c| (srgb_encode(c.clamp(0.0, 1.0)) * 255.0).round() as u8)
}

/// DICOM's Recommended Display CIELab Value (three US) of an 8-bit sRGB colour.
pub fn srgb_to_dicom_lab(rgb: [u8; 3]) -> [u16; 3] {
    let [l, a, b] = srgb_to_lab(rgb);
    let scale = |v: f64, lo: f64, hi: f64| {
        ((v - lo) / (hi - lo) * 65535.0).round().clamp(0.0, 65535.0) as u16
    };
    [
        scale(l, 0.0, 100.0),
        scale(a, -128.0, 127.0),
        scale(b, -128.0, 127.0),
    ]
}

/// The 8-bit sRGB colour of a Recommended Display CIELab Value (the inverse of [`srgb_to_dicom_lab`]; every 8-bit
/// colour comes back unchanged).
pub fn dicom_lab_to_srgb(value: [u16; 3]) -> [u8; 3] {
    let unscale = |v: u16, lo: f64, hi: f64| lo + f64::from(v) / 65535.0 * (hi - lo);
    lab_to_srgb([
        unscale(value[0], 0.0, 100.0),
        unscale(value[1], -128.0, 127.0),
        unscale(value[2], -128.0, 127.0),
    ])
}

fn srgb_decode(c: f64) -> f64 {
    if c <= 0.040_45 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

fn srgb_encode(c: f64) -> f64 {
    if c <= 0.003_130_8 {
        c * 12.92
    } else {
        1.055 * c.powf(1.0 / 2.4) - 0.055
    }
}

fn lab_f(t: f64) -> f64 {
    if t > DELTA * DELTA * DELTA {
        t.cbrt()
    } else {
        t / (3.0 * DELTA * DELTA) + 4.0 / 29.0
    }
}

fn lab_f_inverse(t: f64) -> f64 {
    if t > DELTA {
        t * t * t
    } else {
        3.0 * DELTA * DELTA * (t - 4.0 / 29.0)
    }
}

fn mul(m: &[[f64; 3]; 3], v: [f64; 3]) -> [f64; 3] {
    m.map(|row| row[0] * v[0] + row[1] * v[1] + row[2] * v[2])
}

/// The inverse of a 3×3 matrix (adjugate over determinant); only used on [`RGB_TO_XYZ_D50`], which is invertible.
fn inverse(m: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let c = |r: usize, k: usize| {
        let (r1, r2) = ((r + 1) % 3, (r + 2) % 3);
        let (k1, k2) = ((k + 1) % 3, (k + 2) % 3);
        m[r1][k1] * m[r2][k2] - m[r1][k2] * m[r2][k1]
    };
    let det = m[0][0] * c(0, 0) + m[0][1] * c(0, 1) + m[0][2] * c(0, 2);
    let mut out = [[0.0; 3]; 3];
    for (r, row) in out.iter_mut().enumerate() {
        for (k, v) in row.iter_mut().enumerate() {
            *v = c(k, r) / det;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: [f64; 3], b: [f64; 3], tol: f64) -> bool {
        a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol)
    }

    #[test]
    fn white_black_and_grey_are_neutral() {
        // a* = b* = 0 scales to 128 × 65535 / 255 = 128 × 257 = 32896 exactly.
        assert_eq!(srgb_to_dicom_lab([255, 255, 255]), [65535, 32896, 32896]);
        assert_eq!(srgb_to_dicom_lab([0, 0, 0]), [0, 32896, 32896]);
        // sRGB 128 grey: Y = 0.21586, L* = 53.585 (the textbook value for mid-grey).
        let grey = srgb_to_lab([128, 128, 128]);
        assert!(close(grey, [53.585, 0.0, 0.0], 0.001), "{grey:?}");
        assert_eq!(srgb_to_dicom_lab([128, 128, 128]), [35117, 32896, 32896]);
    }

    #[test]
    fn primaries_match_the_icc_d50_values() {
        // sRGB primaries in CIELab relative to D50 (Bradford adaptation), as ICC colour-managed tools report them
        // (Lindbloom's calculator: red 54.29 80.80 69.89, green 87.82 −79.29 80.99, blue 29.57 68.30 −112.03).
        let cases = [
            ([255, 0, 0], [54.29, 80.80, 69.89]),
            ([0, 255, 0], [87.82, -79.29, 80.99]),
            ([0, 0, 255], [29.57, 68.30, -112.03]),
        ];
        for (rgb, lab) in cases {
            let got = srgb_to_lab(rgb);
            assert!(close(got, lab, 0.06), "{rgb:?}: {got:?}, expected {lab:?}");
        }
        // Not the D65 values (53.24 80.09 67.20): DICOM's PCS is D50.
        assert!(!close(srgb_to_lab([255, 0, 0]), [53.24, 80.09, 67.20], 0.5));
        // Scaled: L* 54.289 → 35578, a* 80.811 → 53664, b* 69.887 → 50857 (computed independently from the sRGB
        // chromaticities, Bradford to D50); the ICC matrix's rounding may move the last unit or so.
        let got = srgb_to_dicom_lab([255, 0, 0]);
        for (g, e) in got.iter().zip([35578u16, 53664, 50857]) {
            assert!(g.abs_diff(e) <= 8, "{got:?}");
        }
    }

    #[test]
    fn every_8_bit_colour_survives_the_round_trip() {
        for r in (0..=255u8).step_by(3) {
            for g in (0..=255u8).step_by(5) {
                for b in (0..=255u8).step_by(7) {
                    let rgb = [r, g, b];
                    assert_eq!(dicom_lab_to_srgb(srgb_to_dicom_lab(rgb)), rgb);
                }
            }
        }
        for c in [[255, 255, 255], [0, 0, 0], [255, 0, 0], [1, 254, 2]] {
            assert_eq!(dicom_lab_to_srgb(srgb_to_dicom_lab(c)), c);
        }
    }
}
