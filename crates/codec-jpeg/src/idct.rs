//! The "islow" inverse DCT of IJG libjpeg 6b (jidctint.c): the Loeffler–Ligtenberg–Moschytz factorisation in
//! 13-bit fixed point, columns first, with libjpeg's descaling, its DC-only shortcuts and its post-IDCT range
//! limit (which wraps out-of-range values modulo 4 × the sample range before clamping). Reproducing it exactly is
//! what makes the output byte-identical to dcmtk's dcmdjpeg. Must not know about scans, Huffman codes or colour.
//!
//! Arithmetic is done in `i64`, so no input can overflow; for every codestream whose intermediate values fit
//! libjpeg's 32-bit integers (all real ones) the results are the same.

const CONST_BITS: u32 = 13;

const FIX_0_298631336: i64 = 2446;
const FIX_0_390180644: i64 = 3196;
const FIX_0_541196100: i64 = 4433;
const FIX_0_765366865: i64 = 6270;
const FIX_0_899976223: i64 = 7373;
const FIX_1_175875602: i64 = 9633;
const FIX_1_501321110: i64 = 12299;
const FIX_1_847759065: i64 = 15137;
const FIX_1_961570560: i64 = 16069;
const FIX_2_053119869: i64 = 16819;
const FIX_2_562915447: i64 = 20995;
const FIX_3_072711026: i64 = 25172;

/// Round-half-up right shift, libjpeg's DESCALE.
#[inline(always)]
fn descale(x: i64, n: u32) -> i64 {
    (x + (1 << (n - 1))) >> n
}

/// Sample precision dependent constants of the IDCT and its range limit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IdctParams {
    /// PASS1_BITS: 2 for 8-bit samples, 1 for 12-bit (libjpeg loses a bit to avoid 32-bit overflow).
    pass1_bits: u32,
    /// 2^(P-1): the level shift.
    center: i64,
    /// 2^P - 1.
    max: i64,
    /// 4 × 2^P - 1: libjpeg's RANGE_MASK.
    mask: i64,
}

impl IdctParams {
    pub(crate) fn new(precision: u8) -> Self {
        let range = 1i64 << precision;
        IdctParams {
            pass1_bits: if precision <= 8 { 2 } else { 1 },
            center: range / 2,
            max: range - 1,
            mask: 4 * range - 1,
        }
    }

    /// libjpeg's post-IDCT range limit: the value is taken modulo 4 × 2^P as a signed number, level-shifted and
    /// clamped to 0..=2^P-1.
    #[inline(always)]
    fn limit(&self, x: i64) -> u16 {
        let mut v = x & self.mask;
        if v > self.mask / 2 {
            v -= self.mask + 1;
        }
        (v + self.center).clamp(0, self.max) as u16
    }
}

/// Dequantize `coef` (natural order) with `quant` (natural order), run the inverse DCT and write the 8×8 samples
/// to `out` (row `r` at `out[r * stride..]`).
pub(crate) fn idct_islow(
    coef: &[i16; 64],
    quant: &[u16; 64],
    p: &IdctParams,
    out: &mut [u16],
    stride: usize,
) {
    let pass1 = p.pass1_bits;
    // Dequantise first. The DC-only shortcuts test the dequantised values: when those are zero the full
    // transform gives exactly the shortcut's values, so this matches libjpeg's test on the quantised ones.
    let mut x = [0i64; 64];
    for ((d, &c), &q) in x.iter_mut().zip(coef).zip(quant) {
        *d = i64::from(c) * i64::from(q);
    }
    let mut ws = [0i64; 64];
    // Pass 1: columns from the input into the work array, scaled up by 2^PASS1_BITS.
    for c in 0..8 {
        let col = |r: usize| x[r * 8 + c];
        if (1..8).all(|r| col(r) == 0) {
            let dc = col(0) << pass1;
            for r in 0..8 {
                ws[r * 8 + c] = dc;
            }
            continue;
        }
        let o = butterfly(std::array::from_fn(col));
        let n = CONST_BITS - pass1;
        for (r, v) in o.into_iter().enumerate() {
            ws[r * 8 + c] = descale(v, n);
        }
    }
    // Pass 2: rows from the work array to the output, descaled by 2^(PASS1_BITS + 3) and range-limited.
    for r in 0..8 {
        let row: &[i64; 8] = ws[r * 8..r * 8 + 8].try_into().expect("8 values");
        let dst = &mut out[r * stride..r * stride + 8];
        if row[1..].iter().all(|&v| v == 0) {
            let v = p.limit(descale(row[0], pass1 + 3));
            dst.fill(v);
            continue;
        }
        let o = butterfly(*row);
        let n = CONST_BITS + pass1 + 3;
        for (d, v) in dst.iter_mut().zip(o) {
            *d = p.limit(descale(v, n));
        }
    }
}

/// The 1-D transform of jidctint.c, before descaling: outputs 0..7 scaled by 2^CONST_BITS.
#[inline(always)]
fn butterfly(x: [i64; 8]) -> [i64; 8] {
    // Even part.
    let z2 = x[2];
    let z3 = x[6];
    let z1 = (z2 + z3) * FIX_0_541196100;
    let tmp2 = z1 + z3 * -FIX_1_847759065;
    let tmp3 = z1 + z2 * FIX_0_765366865;
    let tmp0 = (x[0] + x[4]) << CONST_BITS;
    let tmp1 = (x[0] - x[4]) << CONST_BITS;
    let tmp10 = tmp0 + tmp3;
    let tmp13 = tmp0 - tmp3;
    let tmp11 = tmp1 + tmp2;
    let tmp12 = tmp1 - tmp2;
    // Odd part.
    let (t0, t1, t2, t3) = (x[7], x[5], x[3], x[1]);
    let z1 = t0 + t3;
    let z2 = t1 + t2;
    let z3 = t0 + t2;
    let z4 = t1 + t3;
    let z5 = (z3 + z4) * FIX_1_175875602;
    let t0 = t0 * FIX_0_298631336;
    let t1 = t1 * FIX_2_053119869;
    let t2 = t2 * FIX_3_072711026;
    let t3 = t3 * FIX_1_501321110;
    let z1 = z1 * -FIX_0_899976223;
    let z2 = z2 * -FIX_2_562915447;
    let z3 = z3 * -FIX_1_961570560 + z5;
    let z4 = z4 * -FIX_0_390180644 + z5;
    let t0 = t0 + z1 + z3;
    let t1 = t1 + z2 + z4;
    let t2 = t2 + z2 + z3;
    let t3 = t3 + z1 + z4;
    [
        tmp10 + t3,
        tmp11 + t2,
        tmp12 + t1,
        tmp13 + t0,
        tmp13 - t0,
        tmp12 - t1,
        tmp11 - t2,
        tmp10 - t3,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(coef: [i16; 64], precision: u8) -> [u16; 64] {
        let mut out = [0u16; 64];
        idct_islow(&coef, &[1; 64], &IdctParams::new(precision), &mut out, 8);
        out
    }

    #[test]
    fn dc_only_block_is_flat_at_dc_over_eight_plus_the_level_shift() {
        let mut coef = [0i16; 64];
        coef[0] = 80; // 80 / 8 = 10 above mid-grey
        assert_eq!(run(coef, 8), [138; 64]);
        coef[0] = -84; // -10.5 rounds half up to -10
        assert_eq!(run(coef, 8), [118; 64]);
        coef[0] = 800;
        assert_eq!(run(coef, 12), [2148; 64]);
    }

    #[test]
    fn first_horizontal_ac_gives_libjpeg_cosine_ramp() {
        // F(0,1) = 100: f(x) = 100/8 * sqrt(2) * cos((2x+1)π/16), rounded by libjpeg's fixed point.
        // Hand computation: 17.68·cos(π/16)=17.34, 14.70, 9.82, 3.45 and their negatives, + 128.
        let mut coef = [0i16; 64];
        coef[1] = 100;
        let out = run(coef, 8);
        assert_eq!(&out[..8], &[145, 143, 138, 131, 125, 118, 113, 111]);
        for r in 1..8 {
            assert_eq!(out[r * 8..r * 8 + 8], out[..8], "row {r}");
        }
    }

    #[test]
    fn out_of_range_values_clamp_and_wrap_like_libjpeg() {
        let mut coef = [0i16; 64];
        coef[0] = 2000; // 250 + 128 → clamps to 255
        assert_eq!(run(coef, 8), [255; 64]);
        coef[0] = -2000; // -250 + 128 → clamps to 0
        assert_eq!(run(coef, 8), [0; 64]);
        // 4200 / 8 = 525 ≡ 525 - 1024 = -499 (mod 1024) → 0: libjpeg's range limit table wraps.
        coef[0] = 4200;
        assert_eq!(run(coef, 8), [0; 64]);
    }
}
