//! Chroma upsampling and colour conversion as IJG libjpeg 6b does them by default: "fancy" triangle-filter
//! upsampling for 2:1 horizontal (h2v1) and 2:1 both ways (h2v2) with edge rows and columns replicated, plain
//! replication for other integer ratios (jdsample.c), and the 16-bit fixed-point YCbCr→RGB tables of jdcolor.c.
//! Must not know about scans, Huffman codes or the IDCT.

/// One decoded component: its samples at the component's own resolution.
pub(crate) struct Plane<'a> {
    pub(crate) samples: &'a [u16],
    pub(crate) stride: usize,
    /// Valid samples per line: ceil(width × h / hmax) (libjpeg's downsampled_width).
    pub(crate) width: usize,
    /// Valid lines: ceil(height × v / vmax).
    pub(crate) height: usize,
}

/// How jdsample.c upsamples one component (with `do_fancy_upsampling` on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Upsampler {
    /// The component is at full resolution.
    None,
    /// 2:1 horizontally, triangle filter.
    H2V1Fancy,
    /// 2:1 both ways, triangle filter.
    H2V2Fancy,
    /// Integer ratios (and 2:1 components at most 2 samples wide): replication.
    Replicate { h: usize, v: usize },
}

impl Upsampler {
    /// libjpeg's choice for a component sampled `h × v` in a frame with maxima `hmax × vmax` whose plane is
    /// `width` samples wide. Errors (as text) on ratios libjpeg does not implement.
    #[allow(clippy::manual_is_multiple_of)] // is_multiple_of is newer than the workspace's rust-version
    pub(crate) fn new(
        h: usize,
        v: usize,
        hmax: usize,
        vmax: usize,
        width: usize,
    ) -> Result<Self, String> {
        Ok(if h == hmax && v == vmax {
            Upsampler::None
        } else if h * 2 == hmax && v == vmax && width > 2 {
            Upsampler::H2V1Fancy
        } else if h * 2 == hmax && v * 2 == vmax && width > 2 {
            Upsampler::H2V2Fancy
        } else if hmax % h == 0 && vmax % v == 0 {
            Upsampler::Replicate {
                h: hmax / h,
                v: vmax / v,
            }
        } else {
            return Err(format!(
                "upsampling a {h}×{v} component to {hmax}×{vmax} (fractional sampling)"
            ));
        })
    }

    /// Output line `y` of `plane` upsampled: the plane's own line when it is at full resolution, else written
    /// into `out` (at least `2 × plane.width` and the image width long).
    pub(crate) fn line<'r>(self, plane: &Plane<'r>, y: usize, out: &'r mut [u16]) -> &'r [u16] {
        let (dw, dh) = (plane.width, plane.height);
        let samples: &'r [u16] = plane.samples;
        let row = |y: usize| &samples[y * plane.stride..y * plane.stride + dw];
        match self {
            Upsampler::None => return row(y),
            Upsampler::H2V1Fancy => h2v1_fancy(row(y), out),
            Upsampler::H2V2Fancy => {
                let inrow = y / 2;
                // The neighbouring line: above for even output lines, below for odd; edges replicated.
                let other = if y & 1 == 0 {
                    inrow.saturating_sub(1)
                } else {
                    (inrow + 1).min(dh - 1)
                };
                h2v2_fancy(row(inrow), row(other), out);
            }
            Upsampler::Replicate { h, v } => {
                let src = &samples[(y / v) * plane.stride..];
                for (x, o) in out[..dw * h].iter_mut().enumerate() {
                    *o = src[x / h];
                }
            }
        }
        out
    }
}

/// Upsample a whole plane to `width × height` (tightly packed): [`Upsampler::line`] for every line.
#[cfg(test)]
fn upsample(
    plane: &Plane<'_>,
    (h, v): (usize, usize),
    hmax: usize,
    vmax: usize,
    width: usize,
    height: usize,
) -> Result<Vec<u16>, String> {
    let up = Upsampler::new(h, v, hmax, vmax, plane.width)?;
    let mut line = vec![0u16; (plane.width * hmax).max(width)];
    let mut out = Vec::with_capacity(width * height);
    for y in 0..height {
        out.extend_from_slice(&up.line(plane, y, &mut line)[..width]);
    }
    Ok(out)
}

/// jdsample.c h2v1_fancy_upsample: each output sample is ¾ of the nearer input and ¼ of the further one, with
/// rounding biased alternately (+1, +2). `input.len() > 2`.
fn h2v1_fancy(input: &[u16], out: &mut [u16]) {
    let n = input.len();
    let out = &mut out[..2 * n];
    out[0] = input[0];
    out[1] = ((u32::from(input[0]) * 3 + u32::from(input[1]) + 2) >> 2) as u16;
    for (o, w) in out[2..2 * n - 2].chunks_exact_mut(2).zip(input.windows(3)) {
        let v = u32::from(w[1]) * 3;
        o[0] = ((v + u32::from(w[0]) + 1) >> 2) as u16;
        o[1] = ((v + u32::from(w[2]) + 2) >> 2) as u16;
    }
    out[2 * n - 2] = ((u32::from(input[n - 1]) * 3 + u32::from(input[n - 2]) + 1) >> 2) as u16;
    out[2 * n - 1] = input[n - 1];
}

/// jdsample.c h2v2_fancy_upsample for one output line: the column sums are ¾ of the nearer input line and ¼ of
/// the other (`far`), then the same triangle filter horizontally, with biases 8 and 7. `near.len() > 2`.
fn h2v2_fancy(near: &[u16], far: &[u16], out: &mut [u16]) {
    let n = near.len();
    let far = &far[..n];
    let out = &mut out[..2 * n];
    let sum = |i: usize| u32::from(near[i]) * 3 + u32::from(far[i]);
    let (first, second) = (sum(0), sum(1));
    out[0] = ((first * 4 + 8) >> 4) as u16;
    out[1] = ((first * 3 + second + 7) >> 4) as u16;
    let mut last = first;
    let mut this = second;
    for ((o, &a), &b) in out[2..2 * n - 2]
        .chunks_exact_mut(2)
        .zip(&near[2..])
        .zip(&far[2..])
    {
        let next = u32::from(a) * 3 + u32::from(b);
        o[0] = ((this * 3 + last + 8) >> 4) as u16;
        o[1] = ((this * 3 + next + 7) >> 4) as u16;
        last = this;
        this = next;
    }
    out[2 * n - 2] = ((this * 3 + last + 8) >> 4) as u16;
    out[2 * n - 1] = ((this * 4 + 7) >> 4) as u16;
}

const SCALEBITS: u32 = 16;
const ONE_HALF: i64 = 1 << (SCALEBITS - 1);
/// FIX(x) = (INT32)(x × 2^16 + 0.5) of jdcolor.c.
const FIX_1_40200: i64 = 91881;
const FIX_1_77200: i64 = 116130;
const FIX_0_71414: i64 = 46802;
const FIX_0_34414: i64 = 22554;

/// jdcolor.c's YCbCr→RGB conversion for one sample precision. libjpeg looks the products up in tables built as
/// `Cr_r[i] = (FIX(1.40200) × x + ONE_HALF) >> 16`, `Cb_b[i] = (FIX(1.77200) × x + ONE_HALF) >> 16`,
/// `Cr_g[i] = -FIX(0.71414) × x`, `Cb_g[i] = -FIX(0.34414) × x + ONE_HALF` with `x = i - CENTERJSAMPLE`; here the
/// same integers are computed for each pixel (in `i32`: at most 116130 × 2048 in magnitude), which the compiler
/// can vectorise, where table lookups cannot be.
pub(crate) struct YccTables {
    center: i32,
    max: i32,
}

impl YccTables {
    pub(crate) fn new(precision: u8) -> Self {
        let size = 1i32 << precision;
        YccTables {
            center: size / 2,
            max: size - 1,
        }
    }

    /// Convert one pixel. Samples must be below 2^precision.
    #[inline(always)]
    pub(crate) fn rgb(&self, y: u16, cb: u16, cr: u16) -> [u16; 3] {
        const fn k(v: i64) -> i32 {
            v as i32
        }
        let y = i32::from(y);
        let cb = i32::from(cb) - self.center;
        let cr = i32::from(cr) - self.center;
        let half = k(ONE_HALF);
        let r = (k(FIX_1_40200) * cr + half) >> SCALEBITS;
        let g = (k(-FIX_0_71414) * cr + (k(-FIX_0_34414) * cb + half)) >> SCALEBITS;
        let b = (k(FIX_1_77200) * cb + half) >> SCALEBITS;
        [
            (y + r).clamp(0, self.max) as u16,
            (y + g).clamp(0, self.max) as u16,
            (y + b).clamp(0, self.max) as u16,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_point_constants_are_libjpeg_fix() {
        let fix = |x: f64| (x * 65536.0 + 0.5) as i64;
        assert_eq!(FIX_1_40200, fix(1.402));
        assert_eq!(FIX_1_77200, fix(1.772));
        assert_eq!(FIX_0_71414, fix(0.71414));
        assert_eq!(FIX_0_34414, fix(0.34414));
    }

    #[test]
    fn ycbcr_to_rgb_matches_hand_computed_values() {
        let t = YccTables::new(8);
        // Neutral chroma keeps grey.
        assert_eq!(t.rgb(100, 128, 128), [100, 100, 100]);
        // Cr = 228: R = 100 + round(1.402 × 100) = 240; G = 100 - 71.414 → floor(28.586 + 0.5) = 29 (table
        // keeps ONE_HALF in Cb_g), B = 100.
        assert_eq!(t.rgb(100, 128, 228), [240, 29, 100]);
        // Cb = 28: B = 100 - round(177.2) = -77 → 0; G = 100 + 34.414 → 134.
        assert_eq!(t.rgb(100, 28, 128), [100, 134, 0]);
        let t12 = YccTables::new(12);
        assert_eq!(t12.rgb(4000, 2048, 3048), [4095, 3286, 4000]);
    }

    #[test]
    fn h2v1_fancy_weights_three_quarters_and_one_quarter() {
        let mut out = [0u16; 8];
        h2v1_fancy(&[0, 100, 200, 40], &mut out);
        // Edges copied; inside (3·a + b + 1 or 2) / 4.
        assert_eq!(out, [0, 25, 75, 125, 175, 160, 80, 40]);
    }

    #[test]
    fn h2v2_fancy_blends_the_neighbouring_line() {
        let mut out = [0u16; 6];
        h2v2_fancy(&[16, 32, 48], &[0, 0, 0], &mut out);
        // Column sums 48, 96, 144; outputs (4·48+8)/16 = 12, (3·48+96+7)/16 = 15, (3·96+48+8)/16 = 21,
        // (3·96+144+7)/16 = 27, (3·144+96+8)/16 = 33, (4·144+7)/16 = 36.
        assert_eq!(out, [12, 15, 21, 27, 33, 36]);
    }

    #[test]
    fn narrow_planes_and_other_ratios_replicate() {
        let samples = [10u16, 20, 30, 40];
        let plane = Plane {
            samples: &samples,
            stride: 2,
            width: 2,
            height: 2,
        };
        // Two samples wide: libjpeg does not filter, it replicates.
        let out = upsample(&plane, (1, 1), 2, 1, 4, 2).unwrap();
        assert_eq!(out, [10, 10, 20, 20, 30, 30, 40, 40]);
        let out = upsample(&plane, (1, 1), 1, 2, 2, 4).unwrap();
        assert_eq!(out, [10, 20, 10, 20, 30, 40, 30, 40]);
        assert!(upsample(&plane, (3, 1), 4, 1, 4, 2).is_err());
    }
}
