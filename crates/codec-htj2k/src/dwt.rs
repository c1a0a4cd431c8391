//! Inverse discrete wavelet transforms (ITU-T T.800 Annex F): the reversible 5/3 on integers and the
//! irreversible 9/7 on floats, by lifting, with whole-sample symmetric extension, over a tile-component's
//! rectangle of the reference grid's coordinates ([`Rect`]): low-pass samples at even coordinates, so that a
//! resolution that starts at an odd coordinate starts with a high-pass sample (T.800 F.3.7, F.3.8). The
//! coefficients of each level lie in the usual layout: LL top left, HL
//! top right, LH bottom left, HH bottom right of the level's `w`×`h` area of a buffer of row stride `stride`.
//! Rows are transformed first, then columns (F.3.2). This module must not know about code-blocks.

/// A rectangle `[x0, x1) × [y0, y1)` of a tile-component's (or a resolution's) coordinates (T.800 B.2, B.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rect {
    pub x0: usize,
    pub y0: usize,
    pub x1: usize,
    pub y1: usize,
}

impl Rect {
    /// The rectangle of decomposition level `d`: every coordinate over 2^d, rounded up (T.800 B-14).
    pub fn scaled(&self, d: u32) -> Rect {
        let s = 1u64 << d.min(63);
        let c = |v: usize| (v as u64).div_ceil(s) as usize;
        Rect {
            x0: c(self.x0),
            y0: c(self.y0),
            x1: c(self.x1),
            y1: c(self.y1),
        }
    }

    pub fn w(&self) -> usize {
        self.x1 - self.x0
    }

    pub fn h(&self) -> usize {
        self.y1 - self.y0
    }
}

/// The size of level `d` of `rect`, and whether it starts at an odd column and an odd row.
fn area(rect: &Rect, d: u32) -> (usize, usize, bool, bool) {
    let a = rect.scaled(d);
    (a.w(), a.h(), a.x0 & 1 == 1, a.y0 & 1 == 1)
}

/// The 9/7's K normalisation (T.800 F.3.8.2, step 1: low-pass samples × K, high-pass × 1/K) that the synthesis
/// of level `d` applies to its band `kind` (0 LL, 1 HL, 2 LH, 3 HH), horizontally and vertically; a direction
/// with fewer than 2 samples is not filtered. The transform here leaves it out: it is folded into the subbands'
/// quantization steps and, for the LL quadrant of lower levels, into the copy between levels.
pub(crate) fn k_gain(rect: &Rect, d: u32, kind: u8) -> f32 {
    let (aw, ah, _, _) = area(rect, d.saturating_sub(1));
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
    /// A lone high-pass sample (a signal of one sample at an odd coordinate, T.800 F.3.7): halved (the 5/3
    /// truncating, as OpenJPEG does; OpenJPEG's 9/7 leaves it, but its high-pass coefficients are half the
    /// standard's to begin with, and OpenJPH halves it).
    fn lone_high(x: &mut [Self]);
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
    fn lone_high(x: &mut [i32]) {
        for v in x {
            *v /= 2;
        }
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
    fn lone_high(x: &mut [f32]) {
        for v in x {
            *v *= 0.5;
        }
    }
}

/// One row, in place: deinterleaved (low half, high half) in `row`, interleaved and transformed out. `odd`: the
/// row starts at an odd coordinate (with a high-pass sample).
fn row_1d<T: Lift>(row: &mut [T], tmp: &mut [T], odd: bool) {
    let n = row.len();
    if odd {
        return row_1d_odd(row, tmp);
    }
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

/// [`row_1d`] of a row that starts at an odd coordinate: `⌊n/2⌋` low-pass samples at the odd positions.
fn row_1d_odd<T: Lift>(row: &mut [T], tmp: &mut [T]) {
    let n = row.len();
    if n < 2 {
        T::lone_high(row);
        return;
    }
    let nl = n / 2;
    let (low, high) = row.split_at_mut(nl);
    row_lift_odd(low, high);
    let tmp = &mut tmp[..n];
    for (pair, (&e, &o)) in tmp.chunks_exact_mut(2).zip(high.iter().zip(low.iter())) {
        pair[0] = e;
        pair[1] = o;
    }
    if n % 2 == 1 {
        tmp[n - 1] = high[n / 2];
    }
    row.copy_from_slice(tmp);
}

/// The lifting steps of a signal that starts with a high-pass sample: low `s[j]` lies between high `d[j]` and
/// `d[j + 1]`, high `d[j]` between low `s[j − 1]` and `s[j]` (mirrored at the ends). `d` has as many samples as
/// `s` or one more, and `s` at least one.
fn row_lift_odd<T: Lift>(s: &mut [T], d: &mut [T]) {
    let (nl, nh) = (s.len(), d.len());
    for step in 0..T::STEPS {
        if step % 2 == 0 {
            let paired = nl.min(nh - 1);
            T::step(&mut s[..paired], &d[..paired], &d[1..paired + 1], step);
            if paired < nl {
                T::step(
                    &mut s[paired..nl],
                    &d[paired..paired + 1],
                    &d[paired..paired + 1],
                    step,
                );
            }
        } else {
            T::step(&mut d[..1], &s[..1], &s[..1], step);
            if nl > 1 {
                T::step(&mut d[1..nl], &s[..nl - 1], &s[1..nl], step);
            }
            if nh > nl {
                T::step(&mut d[nl..nh], &s[nl - 1..nl], &s[nl - 1..nl], step);
            }
        }
    }
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
///
/// `xodd`, `yodd`: the area starts at an odd column or row; rows starting at an odd row go to [`level_odd_rows`].
#[allow(clippy::too_many_arguments)]
fn level<T: Lift>(
    buf: &mut [T],
    stride: usize,
    w: usize,
    h: usize,
    xodd: bool,
    yodd: bool,
    row_tmp: &mut [T],
    mut done: impl FnMut(usize, &[T]),
) {
    let r = |k: usize| k * stride..k * stride + w;
    if h < 2 {
        for y in 0..h {
            if w >= 2 || xodd {
                row_1d(&mut buf[r(y)], row_tmp, xodd);
            }
            if yodd {
                T::lone_high(&mut buf[r(y)]);
            }
            done(y, &buf[r(y)]);
        }
        return;
    }
    if yodd {
        return level_odd_rows(buf, stride, w, h, xodd, row_tmp, done);
    }
    let nl = h.div_ceil(2);
    let nh = h / 2;
    let (low, high) = buf.split_at_mut(nl * stride);
    // Low row k is final after the last even step (lag STEPS/2 − 1), high row k after the last odd one.
    let lag = T::STEPS / 2;
    for t in 0..nl + lag + 1 {
        if w >= 2 || xodd {
            if t < nl {
                row_1d(&mut low[r(t)], row_tmp, xodd);
            }
            if t < nh {
                row_1d(&mut high[r(t)], row_tmp, xodd);
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

/// [`level`] of an area of at least 2 rows that starts at an odd row: `⌊h/2⌋` low rows (at the odd positions)
/// first in the buffer, then `⌈h/2⌉` high rows; the rows' horizontal transforms, then each lifting step over all
/// the columns in turn (a separate pass per step: this layout is the rare one, of tiles off a multiple of
/// 2^levels), then every row to `done`.
fn level_odd_rows<T: Lift>(
    buf: &mut [T],
    stride: usize,
    w: usize,
    h: usize,
    xodd: bool,
    row_tmp: &mut [T],
    mut done: impl FnMut(usize, &[T]),
) {
    let r = |k: usize| k * stride..k * stride + w;
    let (nl, nh) = (h / 2, h.div_ceil(2));
    if w >= 2 || xodd {
        for y in 0..h {
            row_1d(&mut buf[r(y)], row_tmp, xodd);
        }
    }
    let (low, high) = buf.split_at_mut(nl * stride);
    for step in 0..T::STEPS {
        if step % 2 == 0 {
            for j in 0..nl {
                let (a, b) = (j, (j + 1).min(nh - 1));
                T::step(&mut low[r(j)], &high[r(a)], &high[r(b)], step);
            }
        } else {
            for j in 0..nh {
                let (a, b) = (j.saturating_sub(1).min(nl - 1), j.min(nl - 1));
                T::step(&mut high[r(j)], &low[r(a)], &low[r(b)], step);
            }
        }
    }
    for y in 0..h {
        let k = if y & 1 == 0 { nl + y / 2 } else { y / 2 };
        done(y, &buf[r(k)]);
    }
}

/// Where row `y` of a component's result lies in its buffer after [`inverse_53`] or [`inverse_97`] of `levels`
/// levels of `rect`.
pub(crate) fn result_row(y: usize, rect: &Rect, levels: u32) -> usize {
    if levels == 0 {
        y
    } else {
        source_row(y, rect.h(), rect.y0 & 1 == 1)
    }
}

/// Where row `y` of a column-transformed area of `h` rows (starting at an odd row: `yodd`) lies.
fn source_row(y: usize, h: usize, yodd: bool) -> usize {
    if h < 2 {
        y
    } else if yodd {
        if y & 1 == 0 {
            h / 2 + y / 2
        } else {
            y / 2
        }
    } else if y & 1 == 0 {
        y / 2
    } else {
        h.div_ceil(2) + y / 2
    }
}

/// Inverse transform of `levels` levels of a component of `rect` (its coordinates at the resolution decoded) in
/// `buf` (row stride `rect.w()`); the rows of the result go to `emit(y, row)` as each becomes final, in no
/// particular order (the last level is never interleaved in memory: afterwards row `y` lies at [`result_row`]).
fn inverse<T: Lift>(buf: &mut [T], rect: &Rect, levels: u32, mut emit: impl FnMut(usize, &[T])) {
    let (w, h) = (rect.w(), rect.h());
    if levels == 0 {
        for y in 0..h {
            emit(y, &buf[y * w..(y + 1) * w]);
        }
        return;
    }
    let mut row_tmp = vec![T::default(); w];
    let (qw, qh, _, _) = area(rect, 1);
    let mut tmp = vec![T::default(); if levels > 1 { qw * qh } else { 0 }];
    for d in (2..=levels).rev() {
        let (aw, ah, xodd, yodd) = area(rect, d - 1);
        // Interleaved into `tmp` with the K normalisation the next level applies to this LL quadrant, then
        // copied back for the next level.
        let f = k_gain(rect, d - 1, 0);
        level(buf, w, aw, ah, xodd, yodd, &mut row_tmp, |y, row| {
            T::copy_scaled(&mut tmp[y * aw..(y + 1) * aw], row, f)
        });
        for (y, src) in tmp[..aw * ah].chunks_exact(aw.max(1)).enumerate() {
            buf[y * w..y * w + aw].copy_from_slice(src);
        }
    }
    let (xodd, yodd) = (rect.x0 & 1 == 1, rect.y0 & 1 == 1);
    level(buf, w, w, h, xodd, yodd, &mut row_tmp, emit);
}

/// Inverse reversible 5/3 transform of `levels` levels of a component of `rect`; rows of the result to `emit`.
pub(crate) fn inverse_53(
    buf: &mut [i32],
    rect: &Rect,
    levels: u32,
    emit: impl FnMut(usize, &[i32]),
) {
    inverse(buf, rect, levels, emit);
}

/// Inverse irreversible 9/7 transform of `levels` levels of a component of `rect`; rows of the result to `emit`.
pub(crate) fn inverse_97(
    buf: &mut [f32],
    rect: &Rect,
    levels: u32,
    emit: impl FnMut(usize, &[f32]),
) {
    inverse(buf, rect, levels, emit);
}
