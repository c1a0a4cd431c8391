//! The "islow" inverse DCT of IJG libjpeg 6b (jidctint.c): the Loeffler–Ligtenberg–Moschytz factorisation in
//! 13-bit fixed point, columns first, with libjpeg's descaling, its DC-only shortcuts and its post-IDCT range
//! limit (which wraps out-of-range values modulo 4 × the sample range before clamping). Reproducing it exactly is
//! what makes the output byte-identical to dcmtk's dcmdjpeg. Must not know about scans, Huffman codes or colour.
//!
//! dcmtk's libjpeg computes in `long` (64 bits on the platforms it is built for), so no input overflows there.
//! Here a block is transformed in `i32` — written as loops over 8 independent columns (then rows), which the
//! compiler vectorises natively, and with `core::arch::wasm32` `i32x4` intrinsics where wasm simd128 is enabled
//! (module `simd`) — when bounds on its coefficients and on the work array
//! prove that no intermediate value can leave the `i32` range, so that the result is exactly the 64-bit one; any
//! other block (only corrupt or extreme ones) takes the same transform in `i64`. A block with only a DC coefficient is filled
//! with its value directly, which is what the transform gives.

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
    /// Blocks whose dequantised coefficients have a sum of magnitudes up to this take pass 1 in `i32`.
    i32_l1_limit: u32,
    /// Pass 2 runs in `i32` when no row of the work array has a sum of magnitudes above this.
    i32_row_limit: i32,
}

impl IdctParams {
    pub(crate) fn new(precision: u8) -> Self {
        let range = 1i64 << precision;
        IdctParams {
            pass1_bits: if precision <= 8 { 2 } else { 1 },
            center: range / 2,
            max: range - 1,
            mask: 4 * range - 1,
            i32_l1_limit: if precision <= 8 {
                I32_L1_LIMIT_8
            } else {
                I32_L1_LIMIT_12
            },
            i32_row_limit: if precision <= 8 {
                I32_ROW_LIMIT_8
            } else {
                I32_ROW_LIMIT_12
            },
        }
    }

    /// [`limit`](Self::limit) in `i32`: sign-extend from P + 2 bits (the wrap modulo 4 × 2^P), level-shift, clamp.
    #[inline(always)]
    fn limit_i32(&self, x: i32) -> u16 {
        let shift = 30 - (self.max + 1).trailing_zeros();
        (((x << shift) >> shift) + self.center as i32).clamp(0, self.max as i32) as u16
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

/// Every intermediate value of the 1-D transform is a linear combination of its 8 inputs with weights of
/// magnitude at most `C_INT` = 25172 (FIX_3_072711026), plus its rounding term; so a pass stays within `i32` when
/// the inputs of each 1-D transform have a sum of magnitudes `L` with `C_INT × L + 2^(n-1) < 2^31` (n: the pass's
/// descaling shift). Pass 1 (n = 13 − PASS1_BITS) is checked on the sum over the whole block, which bounds every
/// column's; pass 2 (n = 16 + PASS1_BITS) on the actual rows of the work array. The limits are the largest such
/// `L` (checked by a test). For 8-bit samples (PASS1_BITS 2):
const I32_L1_LIMIT_8: u32 = 85_312;
const I32_ROW_LIMIT_8: i32 = 85_307;
/// The same for 12-bit samples (PASS1_BITS 1).
const I32_L1_LIMIT_12: u32 = 85_312;
const I32_ROW_LIMIT_12: i32 = 85_309;
#[cfg(test)]
const C_INT: i64 = 25172;

/// Run the inverse DCT of a block of dequantised coefficients `x` (natural order; coefficient × quantisation
/// value, as libjpeg multiplies them) and write the 8×8 samples to `out` (row `r` at `out[r * stride..]`).
/// `l1` is the sum of the coefficients' magnitudes (saturating) and `dc_only` says that all but `x[0]` are zero.
pub(crate) fn idct_islow(
    x: &[i32; 64],
    l1: u32,
    dc_only: bool,
    p: &IdctParams,
    out: &mut [u16],
    stride: usize,
) {
    let out = &mut out[..7 * stride + 8];
    if dc_only {
        // libjpeg's column and row shortcuts: every sample is the descaled DC.
        let v = p.limit(descale(i64::from(x[0]) << p.pass1_bits, p.pass1_bits + 3));
        for r in 0..8 {
            out[r * stride..r * stride + 8].fill(v);
        }
    } else if l1 > p.i32_l1_limit || !idct_i32(x, p, out, stride) {
        idct_i64(x, p, out, stride);
    }
}

/// [`idct_i32_scalar`], or its explicit wasm SIMD128 form where that is enabled: the compiler vectorises the
/// scalar loops only at opt-level 3 before linking, which the viewer's LTO build does not keep.
#[inline(always)]
fn idct_i32(x: &[i32; 64], p: &IdctParams, out: &mut [u16], stride: usize) -> bool {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    return simd::idct_i32(x, p, out, stride);
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    return idct_i32_scalar(x, p, out, stride);
}

/// The transform in `i32`, for blocks within [`IdctParams::i32_l1_limit`]; `false` (and nothing written) when
/// the work array is past [`IdctParams::i32_row_limit`]. The shortcuts of libjpeg for zero columns and rows give
/// exactly what the full transform gives, so they are not taken here.
#[cfg_attr(all(target_arch = "wasm32", target_feature = "simd128"), allow(dead_code))]
#[inline(always)]
fn idct_i32_scalar(x: &[i32; 64], p: &IdctParams, out: &mut [u16], stride: usize) -> bool {
    let pass1 = p.pass1_bits;
    let (n1, n2) = (CONST_BITS - pass1, CONST_BITS + pass1 + 3);
    let (round1, round2) = (1i32 << (n1 - 1), 1i32 << (n2 - 1));
    // Pass 1: the 8 columns side by side (one lane each), into the work array, row-major.
    let mut ws = [0i32; 64];
    for c in 0..8 {
        let o = butterfly_i32(std::array::from_fn(|r| x[r * 8 + c]));
        for r in 0..8 {
            ws[r * 8 + c] = (o[r] + round1) >> n1;
        }
    }
    // Values in the work array are at most (C_OUT × L + 2^(n1-1)) / 2^n1 ≈ 2^19: their sums fit.
    let mut worst = 0;
    for r in 0..8 {
        worst = worst.max(ws[r * 8..r * 8 + 8].iter().map(|v| v.abs()).sum::<i32>());
    }
    if worst > p.i32_row_limit {
        return false;
    }
    // Pass 2: the 8 rows side by side, from the transposed work array; results come out transposed.
    let mut wt = [0i32; 64];
    for r in 0..8 {
        for c in 0..8 {
            wt[c * 8 + r] = ws[r * 8 + c];
        }
    }
    let mut res = [0u16; 64];
    for r in 0..8 {
        let o = butterfly_i32(std::array::from_fn(|c| wt[c * 8 + r]));
        for k in 0..8 {
            res[k * 8 + r] = p.limit_i32((o[k] + round2) >> n2);
        }
    }
    for r in 0..8 {
        let dst = &mut out[r * stride..r * stride + 8];
        for (k, d) in dst.iter_mut().enumerate() {
            *d = res[k * 8 + r];
        }
    }
    true
}

/// The transform in `i64`, where no input can overflow: libjpeg's loops, with its zero-column and zero-row
/// shortcuts.
#[inline(never)]
fn idct_i64(coef: &[i32; 64], p: &IdctParams, out: &mut [u16], stride: usize) {
    let pass1 = p.pass1_bits;
    let x: [i64; 64] = std::array::from_fn(|i| i64::from(coef[i]));
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

/// The 1-D transform of jidctint.c, before descaling: outputs 0..7 scaled by 2^CONST_BITS. One body for the
/// `i64` transform and the `i32` one (only for inputs within the limits of [`IdctParams`]).
macro_rules! butterfly_fn {
    ($name:ident, $t:ty, $k:expr) => {
        #[inline(always)]
        fn $name(x: [$t; 8]) -> [$t; 8] {
            let k = $k;
            // Even part.
            let z2 = x[2];
            let z3 = x[6];
            let z1 = (z2 + z3) * k(FIX_0_541196100);
            let tmp2 = z1 + z3 * k(-FIX_1_847759065);
            let tmp3 = z1 + z2 * k(FIX_0_765366865);
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
            let z5 = (z3 + z4) * k(FIX_1_175875602);
            let t0 = t0 * k(FIX_0_298631336);
            let t1 = t1 * k(FIX_2_053119869);
            let t2 = t2 * k(FIX_3_072711026);
            let t3 = t3 * k(FIX_1_501321110);
            let z1 = z1 * k(-FIX_0_899976223);
            let z2 = z2 * k(-FIX_2_562915447);
            let z3 = z3 * k(-FIX_1_961570560) + z5;
            let z4 = z4 * k(-FIX_0_390180644) + z5;
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
    };
}
butterfly_fn!(butterfly, i64, |v: i64| v);
butterfly_fn!(butterfly_i32, i32, |v: i64| v as i32);

/// [`idct_i32_scalar`] with wasm SIMD128, four columns (then rows) per vector: the same `i32` operations in the
/// same order, lane by lane, so the same results; the transposes are lane shuffles.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[allow(clippy::needless_range_loop)] // row/column indices are what the loops compute with
mod simd {
    use super::*;
    use core::arch::wasm32::*;
    use std::ops::{Add, Mul, Shl, Sub};

    /// Four `i32` lanes.
    #[derive(Clone, Copy)]
    pub(super) struct V(v128);

    impl Add for V {
        type Output = V;
        #[inline(always)]
        fn add(self, o: V) -> V {
            V(i32x4_add(self.0, o.0))
        }
    }
    impl Sub for V {
        type Output = V;
        #[inline(always)]
        fn sub(self, o: V) -> V {
            V(i32x4_sub(self.0, o.0))
        }
    }
    impl Mul for V {
        type Output = V;
        #[inline(always)]
        fn mul(self, o: V) -> V {
            V(i32x4_mul(self.0, o.0))
        }
    }
    impl Shl<u32> for V {
        type Output = V;
        #[inline(always)]
        fn shl(self, n: u32) -> V {
            V(i32x4_shl(self.0, n))
        }
    }

    butterfly_fn!(butterfly_v, V, |v: i64| V(i32x4_splat(v as i32)));

    /// Transpose a 4×4 block held as four row vectors.
    #[inline(always)]
    fn transpose4(a: V, b: V, c: V, d: V) -> [V; 4] {
        let t0 = i32x4_shuffle::<0, 4, 1, 5>(a.0, b.0);
        let t1 = i32x4_shuffle::<2, 6, 3, 7>(a.0, b.0);
        let t2 = i32x4_shuffle::<0, 4, 1, 5>(c.0, d.0);
        let t3 = i32x4_shuffle::<2, 6, 3, 7>(c.0, d.0);
        [
            V(i32x4_shuffle::<0, 1, 4, 5>(t0, t2)),
            V(i32x4_shuffle::<2, 3, 6, 7>(t0, t2)),
            V(i32x4_shuffle::<0, 1, 4, 5>(t1, t3)),
            V(i32x4_shuffle::<2, 3, 6, 7>(t1, t3)),
        ]
    }

    /// Transpose an 8×8 block held as `m[row][half]` (half 0: columns 0..4, half 1: columns 4..8).
    #[inline(always)]
    fn transpose8(m: &[[V; 2]; 8]) -> [[V; 2]; 8] {
        let mut t = *m;
        for rb in 0..2 {
            for hb in 0..2 {
                let r = rb * 4;
                let q = transpose4(m[r][hb], m[r + 1][hb], m[r + 2][hb], m[r + 3][hb]);
                for (j, v) in q.into_iter().enumerate() {
                    t[hb * 4 + j][rb] = v;
                }
            }
        }
        t
    }

    #[inline(always)]
    pub(super) fn idct_i32(x: &[i32; 64], p: &IdctParams, out: &mut [u16], stride: usize) -> bool {
        let pass1 = p.pass1_bits;
        let (n1, n2) = (CONST_BITS - pass1, CONST_BITS + pass1 + 3);
        let (round1, round2) = (i32x4_splat(1 << (n1 - 1)), i32x4_splat(1 << (n2 - 1)));
        let load = |r: usize, h: usize| {
            let b = r * 8 + h * 4;
            V(i32x4(x[b], x[b + 1], x[b + 2], x[b + 3]))
        };
        // Pass 1: columns, four per vector; ws[row][half].
        let mut ws = [[V(i32x4_splat(0)); 2]; 8];
        for h in 0..2 {
            let o = butterfly_v(std::array::from_fn(|r| load(r, h)));
            for r in 0..8 {
                ws[r][h] = V(i32x4_shr(i32x4_add(o[r].0, round1), n1));
            }
        }
        // Rows of the work array as lanes: wt[column][row half].
        let wt = transpose8(&ws);
        let limit = i32x4_splat(p.i32_row_limit);
        for rb in 0..2 {
            let mut sum = i32x4_splat(0);
            for c in wt.iter() {
                sum = i32x4_add(sum, i32x4_abs(c[rb].0));
            }
            if v128_any_true(i32x4_gt(sum, limit)) {
                return false;
            }
        }
        // Pass 2: rows, four per vector; res[column][row half], range-limited.
        let shift = 30 - (p.max as i32 + 1).trailing_zeros();
        let (center, max, zero) = (
            i32x4_splat(p.center as i32),
            i32x4_splat(p.max as i32),
            i32x4_splat(0),
        );
        let mut res = [[V(zero); 2]; 8];
        for rb in 0..2 {
            let o = butterfly_v(std::array::from_fn(|c| wt[c][rb]));
            for k in 0..8 {
                let v = i32x4_shr(i32x4_add(o[k].0, round2), n2);
                let v = i32x4_shr(i32x4_shl(v, shift), shift);
                res[k][rb] = V(i32x4_min(i32x4_max(i32x4_add(v, center), zero), max));
            }
        }
        let rows = transpose8(&res);
        for (r, row) in rows.iter().enumerate() {
            let v = u16x8_narrow_i32x4(row[0].0, row[1].0);
            let lanes = [
                u16x8_extract_lane::<0>(v),
                u16x8_extract_lane::<1>(v),
                u16x8_extract_lane::<2>(v),
                u16x8_extract_lane::<3>(v),
                u16x8_extract_lane::<4>(v),
                u16x8_extract_lane::<5>(v),
                u16x8_extract_lane::<6>(v),
                u16x8_extract_lane::<7>(v),
            ];
            out[r * stride..r * stride + 8].copy_from_slice(&lanes);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The transform of `coef` with all quantisation values 1, through `idct_islow` as the decoder calls it.
    fn run(coef: [i16; 64], precision: u8) -> [u16; 64] {
        let x: [i32; 64] = std::array::from_fn(|i| i32::from(coef[i]));
        let l1 = x.iter().map(|v| v.unsigned_abs()).sum();
        let dc_only = x[1..].iter().all(|&v| v == 0);
        let mut out = [0u16; 64];
        idct_islow(&x, l1, dc_only, &IdctParams::new(precision), &mut out, 8);
        out
    }

    /// The i32 transform (which must accept the block) and the i64 one.
    fn both_paths(x: &[i32; 64], precision: u8) -> ([u16; 64], [u16; 64]) {
        let p = IdctParams::new(precision);
        let (mut a, mut b) = ([0u16; 64], [0u16; 64]);
        assert!(idct_i32(x, &p, &mut a, 8), "i32 transform refused {x:?}");
        idct_i64(x, &p, &mut b, 8);
        (a, b)
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
        // The full transforms agree with the shortcut.
        let mut x = [0i32; 64];
        x[0] = -84;
        assert_eq!(both_paths(&x, 8), ([118; 64], [118; 64]));
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
        let x: [i32; 64] = std::array::from_fn(|i| i32::from(coef[i]));
        let (a, b) = both_paths(&x, 8);
        assert_eq!(a, out);
        assert_eq!(b, out);
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
        // The same wrap in the i32 transform, with an AC coefficient so that no shortcut applies.
        let mut x = [0i32; 64];
        x[0] = 4200;
        x[9] = 1;
        let (a, b) = both_paths(&x, 8);
        assert_eq!(a, b);
        assert!(
            a.iter().all(|&v| v < 5),
            "wrapped below 0 and clamped: {a:?}"
        );
    }

    /// xorshift64*: reproducible pseudo-random numbers for the tests.
    fn rng(seed: u64) -> impl FnMut() -> u64 {
        let mut s = seed;
        move || {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            s.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
    }

    #[test]
    fn i32_transform_equals_i64_one_wherever_it_is_taken() {
        for precision in [8u8, 12] {
            let p = IdctParams::new(precision);
            let limit = p.i32_l1_limit;
            let mut next = rng(u64::from(precision));
            let mut refused = 0;
            for case in 0..20_000 {
                // Random supports and signs; sums of magnitudes from small to exactly the limit, with the
                // mass on few coefficients (worst for the intermediate values) or spread out.
                let n = 1 + (next() % if case % 2 == 0 { 4 } else { 64 }) as usize;
                let total = if case % 3 == 0 {
                    limit
                } else {
                    (next() % u64::from(limit)) as u32 + 1
                };
                let mut x = [0i32; 64];
                let mut left = i64::from(total);
                for i in 0..n {
                    let pos = (next() % 64) as usize;
                    let share = if i + 1 == n {
                        left
                    } else {
                        (next() % (left as u64 + 1)) as i64
                    };
                    left -= share;
                    x[pos] += if next() & 1 == 0 {
                        share as i32
                    } else {
                        -(share as i32)
                    };
                }
                let l1: u32 = x.iter().map(|v| v.unsigned_abs()).sum();
                assert!(l1 <= limit);
                let (mut a, mut b) = ([0u16; 64], [0u16; 64]);
                if idct_i32(&x, &p, &mut a, 8) {
                    idct_i64(&x, &p, &mut b, 8);
                    assert_eq!(a, b, "precision {precision}, block {x:?}");
                } else {
                    refused += 1;
                    assert_eq!(a, [0; 64], "nothing written when refused");
                }
                // The entry point always gives the i64 result.
                let mut c = [0u16; 64];
                idct_islow(&x, l1, false, &p, &mut c, 8);
                idct_i64(&x, &p, &mut b, 8);
                assert_eq!(c, b);
            }
            // Blocks near the limit with their mass on a few coefficients exceed the row check.
            assert!(refused > 0 && refused < 20_000, "{refused} refused");
        }
        // Past the bound the entry point takes the i64 transform: here the i32 one would overflow.
        let mut x = [0i32; 64];
        x[3] = i32::MAX / 2;
        x[5] = -(i32::MAX / 2);
        let mut out = [0u16; 64];
        let p = IdctParams::new(8);
        idct_islow(&x, u32::MAX, false, &p, &mut out, 8);
        let mut expected = [0u16; 64];
        idct_i64(&x, &p, &mut expected, 8);
        assert_eq!(out, expected);
    }

    #[test]
    fn i32_limits_follow_from_the_transform_constants() {
        // C_INT: the largest weight of one input in any intermediate value: FIX_3_072711026, on x[3] alone
        // (t2 = x[3] × FIX_3_072711026) — no sum of weights in the transform is larger.
        assert_eq!(C_INT, FIX_3_072711026);
        let fits = |l: i64, n: u32| C_INT * l + (1 << (n - 1)) < 1 << 31;
        for precision in [8u8, 12] {
            let p = IdctParams::new(precision);
            let (n1, n2) = (CONST_BITS - p.pass1_bits, CONST_BITS + p.pass1_bits + 3);
            let (l1, row) = (i64::from(p.i32_l1_limit), i64::from(p.i32_row_limit));
            assert!(
                fits(l1, n1) && !fits(l1 + 1, n1),
                "{precision}-bit pass 1 limit"
            );
            assert!(
                fits(row, n2) && !fits(row + 1, n2),
                "{precision}-bit pass 2 limit"
            );
        }
        // A unit input reaches the largest weight: the i64 transform of x[3] = 2^20 shows 25172 × 2^20 in no
        // output, but its outputs stay below C_INT × 2^20.
        let mut x = [0i64; 8];
        x[3] = 1 << 20;
        assert!(butterfly(x).iter().all(|v| v.abs() <= C_INT << 20));
    }
}
