//! Inverse discrete wavelet transforms (ITU-T T.800 Annex F): the reversible 5/3 on integers and the
//! irreversible 9/7 on floats, by lifting, with whole-sample symmetric extension, for a tile whose origin is 0
//! (low-pass samples at even positions). The coefficients of each level lie in the usual layout: LL top left, HL
//! top right, LH bottom left, HH bottom right of the level's `w`×`h` area of a buffer of row stride `stride`.
//! Rows are transformed first, then columns (F.3.2). This module must not know about code-blocks.

/// Sizes of the resolution areas: `(w, h)` of level `d` is the image size divided by 2^d, rounded up.
fn area(w: usize, h: usize, d: u32) -> (usize, usize) {
    let s = 1usize << d.min(usize::BITS - 1);
    (w.div_ceil(s), h.div_ceil(s))
}

/// The 9/7's K normalisation (T.800 F.3.8.2, step 1: low-pass samples × K, high-pass × 1/K) that the synthesis
/// of level `d` applies to its band `kind` (0 LL, 1 HL, 2 LH, 3 HH), horizontally and vertically; a direction
/// with fewer than 2 samples is not filtered. The transform here leaves it out: it is folded into the subbands'
/// quantization steps and, for the LL quadrant of lower levels, into the copy between levels.
pub(crate) fn k_gain(w: usize, h: usize, d: u32, kind: u8) -> f32 {
    let (aw, ah) = area(w, h, d.saturating_sub(1));
    let horizontal = match (aw >= 2, kind & 1 == 0) {
        (false, _) => 1.0,
        (true, true) => K,
        (true, false) => 1.0 / K,
    };
    let vertical = match (ah >= 2, kind < 2) {
        (false, _) => 1.0,
        (true, true) => K,
        (true, false) => 1.0 / K,
    };
    horizontal * vertical
}

/// Arithmetic the two transforms share.
trait Lift: Copy + Default {
    /// Row-wise `x -= f(a + b)` (even step) or `x += g(a + b)`, per transform and step.
    fn step(x: &mut [Self], a: &[Self], b: &[Self], step: usize);
    /// `dst = src × f` (the 9/7's K normalisation of a whole LL quadrant; a copy for the 5/3).
    fn copy_scaled(dst: &mut [Self], src: &[Self], f: f32);
    const STEPS: usize;
}

impl Lift for i32 {
    const STEPS: usize = 2;
    #[inline]
    fn step(x: &mut [i32], a: &[i32], b: &[i32], step: usize) {
        if step == 0 {
            for ((x, &a), &b) in x.iter_mut().zip(a).zip(b) {
                *x = x.wrapping_sub(a.wrapping_add(b).wrapping_add(2) >> 2);
            }
        } else {
            for ((x, &a), &b) in x.iter_mut().zip(a).zip(b) {
                *x = x.wrapping_add(a.wrapping_add(b) >> 1);
            }
        }
    }
    fn copy_scaled(dst: &mut [i32], src: &[i32], _: f32) {
        dst.copy_from_slice(src);
    }
}

const ALPHA: f32 = -1.586_134_3;
const BETA: f32 = -0.052_980_118;
const GAMMA: f32 = 0.882_911_1;
const DELTA: f32 = 0.443_506_87;
const K: f32 = 1.230_174_1;

impl Lift for f32 {
    const STEPS: usize = 4;
    #[inline]
    fn step(x: &mut [f32], a: &[f32], b: &[f32], step: usize) {
        let c = [DELTA, GAMMA, BETA, ALPHA][step];
        for ((x, &a), &b) in x.iter_mut().zip(a).zip(b) {
            *x -= c * (a + b);
        }
    }
    fn copy_scaled(dst: &mut [f32], src: &[f32], f: f32) {
        for (d, &v) in dst.iter_mut().zip(src) {
            *d = v * f;
        }
    }
}

/// One row, in place: deinterleaved (low half, high half) in `row`, interleaved and transformed out.
fn row_1d<T: Lift>(row: &mut [T], tmp: &mut [T]) {
    let n = row.len();
    if n < 2 {
        return;
    }
    let nl = n.div_ceil(2);
    let (low, high) = row.split_at_mut(nl);
    row_lift(low, high);
    let tmp = &mut tmp[..n];
    for (pair, (&e, &o)) in tmp.chunks_exact_mut(2).zip(low.iter().zip(high.iter())) {
        pair[0] = e;
        pair[1] = o;
    }
    if n % 2 == 1 {
        tmp[n - 1] = low[nl - 1];
    }
    row.copy_from_slice(tmp);
}

/// The lifting steps along one row (sample-wise neighbours), without per-sample index clamping.
fn row_lift<T: Lift>(s: &mut [T], d: &mut [T]) {
    let (nl, nh) = (s.len(), d.len());
    for step in 0..T::STEPS {
        if step % 2 == 0 {
            T::step(&mut s[..1], &d[..1], &d[..1], step);
            if nh > 1 {
                T::step(&mut s[1..nh], &d[..nh - 1], &d[1..nh], step);
            }
            if nl > nh {
                T::step(&mut s[nh..nl], &d[nh - 1..nh], &d[nh - 1..nh], step);
            }
        } else {
            let paired = nh.min(nl - 1);
            T::step(&mut d[..paired], &s[..paired], &s[1..paired + 1], step);
            if paired < nh {
                T::step(
                    &mut d[paired..nh],
                    &s[paired..paired + 1],
                    &s[paired..paired + 1],
                    step,
                );
            }
        }
    }
}

/// One synthesis level of a `w`×`h` area (row stride `stride`): rows, then columns, lifted in place in one sweep
/// down the rows. The low rows (top half) and high rows (bottom half) stay deinterleaved: row `y` of the result
/// is row [`source_row`]`(y, h)`, and goes to `done(y, row)` as soon as it is final (in the order y = 0, 2, 1,
/// 4, 3, …), so that a caller can consume it while it is still in the cache.
///
/// All column lifting steps run in one sweep: at row `t`, step 0 updates low row `t`, step 1 high row `t − 1`,
/// step 2 low row `t − 1`, step 3 high row `t − 2` (step `s` lags by `⌈s/2⌉` rows), so that every step finds
/// the rows it reads already updated by the steps before it and not yet by the steps after it — including at the
/// symmetric extension of the ends, where indices clamp to `nl − 1` ≤ `nh` and `nh − 1`. No step reads a row
/// below `t`, so rows `t` (low and high) get their horizontal transform at the start of that sweep step. Each row
/// is read and written once per level instead of once per step and pass.
fn level<T: Lift>(
    buf: &mut [T],
    stride: usize,
    w: usize,
    h: usize,
    row_tmp: &mut [T],
    mut done: impl FnMut(usize, &[T]),
) {
    let r = |k: usize| k * stride..k * stride + w;
    if h < 2 {
        for y in 0..h {
            if w >= 2 {
                row_1d(&mut buf[r(y)], row_tmp);
            }
            done(y, &buf[r(y)]);
        }
        return;
    }
    let nl = h.div_ceil(2);
    let nh = h / 2;
    let (low, high) = buf.split_at_mut(nl * stride);
    // Low row k is final after the last even step (lag STEPS/2 − 1), high row k after the last odd one.
    let lag = T::STEPS / 2;
    for t in 0..nl + lag + 1 {
        if w >= 2 {
            if t < nl {
                row_1d(&mut low[r(t)], row_tmp);
            }
            if t < nh {
                row_1d(&mut high[r(t)], row_tmp);
            }
        }
        for step in 0..T::STEPS {
            let Some(k) = t.checked_sub(step.div_ceil(2)) else {
                continue;
            };
            if step % 2 == 0 {
                if k < nl {
                    let (a, b) = (k.saturating_sub(1).min(nh - 1), k.min(nh - 1));
                    T::step(&mut low[r(k)], &high[r(a)], &high[r(b)], step);
                }
            } else if k < nh {
                let b = (k + 1).min(nl - 1);
                T::step(&mut high[r(k)], &low[r(k)], &low[r(b)], step);
            }
        }
        if let Some(k) = (t + 1).checked_sub(lag) {
            if k < nl {
                done(2 * k, &low[r(k)]);
            }
        }
        if let Some(k) = t.checked_sub(lag) {
            if k < nh {
                done(2 * k + 1, &high[r(k)]);
            }
        }
    }
}

/// Where row `y` of a component's result lies in its buffer after [`inverse_53`] or [`inverse_97`].
pub(crate) fn result_row(y: usize, h: usize, levels: u32) -> usize {
    if levels == 0 {
        y
    } else {
        source_row(y, h)
    }
}

/// Where row `y` of a column-transformed area of `h` rows lies.
fn source_row(y: usize, h: usize) -> usize {
    if y & 1 == 0 || h < 2 {
        y / 2
    } else {
        h.div_ceil(2) + y / 2
    }
}

/// Inverse transform of `levels` levels of a `w`×`h` component in `buf` (row stride `w`); the rows of the
/// result go to `emit(y, row)` as each becomes final, in no particular order (the last level is never interleaved
/// in memory: afterwards row `y` lies at [`result_row`]).
fn inverse<T: Lift>(
    buf: &mut [T],
    w: usize,
    h: usize,
    levels: u32,
    mut emit: impl FnMut(usize, &[T]),
) {
    if levels == 0 {
        for y in 0..h {
            emit(y, &buf[y * w..(y + 1) * w]);
        }
        return;
    }
    let mut row_tmp = vec![T::default(); w];
    let (qw, qh) = area(w, h, 1);
    let mut tmp = vec![T::default(); if levels > 1 { qw * qh } else { 0 }];
    for d in (2..=levels).rev() {
        let (aw, ah) = area(w, h, d - 1);
        // Interleaved into `tmp` with the K normalisation the next level applies to this LL quadrant, then
        // copied back for the next level.
        let f = k_gain(w, h, d - 1, 0);
        level(buf, w, aw, ah, &mut row_tmp, |y, row| {
            T::copy_scaled(&mut tmp[y * aw..(y + 1) * aw], row, f)
        });
        for (y, src) in tmp[..aw * ah].chunks_exact(aw.max(1)).enumerate() {
            buf[y * w..y * w + aw].copy_from_slice(src);
        }
    }
    level(buf, w, w, h, &mut row_tmp, emit);
}

/// Inverse reversible 5/3 transform of `levels` levels of a `w`×`h` component; rows of the result to `emit`.
pub(crate) fn inverse_53(
    buf: &mut [i32],
    w: usize,
    h: usize,
    levels: u32,
    emit: impl FnMut(usize, &[i32]),
) {
    inverse(buf, w, h, levels, emit);
}

/// Inverse irreversible 9/7 transform of `levels` levels of a `w`×`h` component; rows of the result to `emit`.
pub(crate) fn inverse_97(
    buf: &mut [f32],
    w: usize,
    h: usize,
    levels: u32,
    emit: impl FnMut(usize, &[f32]),
) {
    inverse(buf, w, h, levels, emit);
}
