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

/// Arithmetic the two transforms share.
trait Lift: Copy + Default {
    /// Row-wise `x -= f(a + b)` (even step) or `x += g(a + b)`, per transform and step.
    fn step(x: &mut [Self], a: &[Self], b: &[Self], step: usize);
    fn scale(x: &mut [Self], low: bool);
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
    fn scale(_: &mut [i32], _: bool) {}
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
    fn scale(x: &mut [f32], low: bool) {
        let k = if low { K } else { 1.0 / K };
        for v in x {
            *v *= k;
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
    T::scale(low, true);
    T::scale(high, false);
    let (s, d) = tmp[..n].split_at_mut(nl);
    s.copy_from_slice(low);
    d.copy_from_slice(high);
    let nh = d.len();
    for step in 0..T::STEPS {
        if step % 2 == 0 {
            // Even samples from their odd neighbours: d[k-1] and d[k], mirrored at both ends.
            T::step(&mut s[..1], &d[..1], &d[..1], step);
            if nh > 1 {
                T::step(&mut s[1..nh], &d[..nh - 1], &d[1..nh], step);
            }
            if nl > nh {
                T::step(&mut s[nh..nl], &d[nh - 1..nh], &d[nh - 1..nh], step);
            }
        } else {
            // Odd samples from s[k] and s[k+1], mirrored at the end.
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
    for (pair, (&e, &o)) in row.chunks_exact_mut(2).zip(s.iter().zip(d.iter())) {
        pair[0] = e;
        pair[1] = o;
    }
    if n % 2 == 1 {
        row[n - 1] = s[nl - 1];
    }
}

/// Columns of a `w`×`h` area, in place, with `tmp` holding `w × h` samples.
fn columns<T: Lift>(buf: &mut [T], stride: usize, w: usize, h: usize, tmp: &mut [T]) {
    if h < 2 {
        return;
    }
    let nl = h.div_ceil(2);
    let tmp = &mut tmp[..w * h];
    // Interleave: row 2k from low row k, row 2k+1 from high row k.
    for y in 0..h {
        let src = if y % 2 == 0 { y / 2 } else { nl + y / 2 };
        let dst = &mut tmp[y * w..(y + 1) * w];
        dst.copy_from_slice(&buf[src * stride..src * stride + w]);
        T::scale(dst, y % 2 == 0);
    }
    let mirror = |r: isize| -> usize {
        let last = h as isize - 1;
        (if r < 0 {
            -r
        } else if r > last {
            2 * last - r
        } else {
            r
        }) as usize
    };
    for step in 0..T::STEPS {
        let first = if step % 2 == 0 { 0 } else { 1 };
        for y in (first..h).step_by(2) {
            let (a, b) = (mirror(y as isize - 1), mirror(y as isize + 1));
            // a and b are on the other parity, so they never alias row y.
            let (before, rest) = tmp.split_at_mut(y * w);
            let (row, after) = rest.split_at_mut(w);
            let get = |r: usize| -> &[T] {
                if r < y {
                    &before[r * w..(r + 1) * w]
                } else {
                    &after[(r - y - 1) * w..(r - y) * w]
                }
            };
            T::step(row, get(a), get(b), step);
        }
    }
    for y in 0..h {
        buf[y * stride..y * stride + w].copy_from_slice(&tmp[y * w..(y + 1) * w]);
    }
}

fn inverse<T: Lift>(buf: &mut [T], stride: usize, w: usize, h: usize, levels: u32) {
    let mut tmp = vec![T::default(); w * h];
    for d in (1..=levels).rev() {
        let (aw, ah) = area(w, h, d - 1);
        if aw >= 2 {
            for y in 0..ah {
                row_1d(&mut buf[y * stride..y * stride + aw], &mut tmp);
            }
        }
        columns(buf, stride, aw, ah, &mut tmp);
    }
}

/// Inverse reversible 5/3 transform of `levels` levels of a `w`×`h` component.
pub(crate) fn inverse_53(buf: &mut [i32], w: usize, h: usize, levels: u32) {
    inverse(buf, w, w, h, levels);
}

/// Inverse irreversible 9/7 transform of `levels` levels of a `w`×`h` component.
pub(crate) fn inverse_97(buf: &mut [f32], w: usize, h: usize, levels: u32) {
    inverse(buf, w, w, h, levels);
}
