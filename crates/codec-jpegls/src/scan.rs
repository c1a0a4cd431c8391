//! Decoding of one JPEG-LS scan (T.87 Annex A and B): context modelling with the 365 regular-mode contexts and
//! the two run-interruption contexts, median edge-detecting prediction, bias correction, limited-length Golomb
//! codes, run mode with the J table, and the three interleave modes. Lines are decoded into a two-line buffer
//! per component with one edge sample on each side (T.87 A.2.1), then written into the caller's interleaved
//! output. This module must not parse marker segments (see `lib.rs`) nor allocate per pixel.

use crate::bits::{segment_end, BitReader};
use crate::error::*;

/// T.87 Table A.7: run-length order J[RUNindex].
const J: [u32; 32] = [
    0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 9, 10, 11, 12, 13,
    14, 15,
];

/// A decoded sample type of the output buffer: `u8` for P ≤ 8, `u16` otherwise.
pub(crate) trait Sample: Copy + Default {
    /// Convert a reconstructed value, already in 0..=MAXVAL, which fits the type.
    fn from_i32(v: i32) -> Self;
}

impl Sample for u8 {
    #[inline(always)]
    fn from_i32(v: i32) -> Self {
        v as u8
    }
}

impl Sample for u16 {
    #[inline(always)]
    fn from_i32(v: i32) -> Self {
        v as u16
    }
}

/// The coding parameters in force for a scan (T.87 C.2.4.1.1 after defaults were applied).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CodingParams {
    /// MAXVAL: the largest sample value.
    pub maxval: i32,
    /// NEAR: the maximum reconstruction error (0 = lossless).
    pub near: i32,
    /// Gradient quantization thresholds T1 ≤ T2 ≤ T3.
    pub t1: i32,
    pub t2: i32,
    pub t3: i32,
    /// RESET: the context counter limit.
    pub reset: i32,
}

impl CodingParams {
    /// RANGE (T.87 A.2.1).
    fn range(&self) -> i32 {
        (self.maxval + 2 * self.near) / (2 * self.near + 1) + 1
    }
}

/// ceil(log2(x)) for x ≥ 1.
fn ceil_log2(x: i32) -> u32 {
    let x = x.max(1) as u32;
    32 - (x - 1).leading_zeros()
}

/// Default thresholds T1, T2, T3 for MAXVAL and NEAR (T.87 C.2.4.1.1.1).
pub(crate) fn default_thresholds(maxval: i32, near: i32) -> (i32, i32, i32) {
    const BASIC_T1: i32 = 3;
    const BASIC_T2: i32 = 7;
    const BASIC_T3: i32 = 21;
    let clamp = |i: i32, j: i32| if i > maxval || i < j { j } else { i };
    if maxval >= 128 {
        let factor = (maxval.min(4095) + 128) / 256;
        let t1 = clamp(factor * (BASIC_T1 - 2) + 2 + 3 * near, near + 1);
        let t2 = clamp(factor * (BASIC_T2 - 3) + 3 + 5 * near, t1);
        let t3 = clamp(factor * (BASIC_T3 - 4) + 4 + 7 * near, t2);
        (t1, t2, t3)
    } else {
        let factor = 256 / (maxval + 1);
        let t1 = clamp((BASIC_T1 / factor + 3 * near).max(2), near + 1);
        let t2 = clamp((BASIC_T2 / factor + 5 * near).max(3), t1);
        let t3 = clamp((BASIC_T3 / factor + 7 * near).max(4), t2);
        (t1, t2, t3)
    }
}

/// The Golomb coding parameter k: the smallest k with N·2^k ≥ A (T.87 A.5.1), for N ≥ 1 and A ≥ 0. At most 31
/// for any i32 inputs, which `BitReader::golomb` relies on.
#[inline(always)]
fn golomb_k(n: i32, a: i32) -> u32 {
    let (n, a) = (n.max(1) as u32, a.max(1) as u32);
    let k0 = (31 - a.leading_zeros()).saturating_sub(31 - n.leading_zeros());
    // n·2^k0 has the same bit length as a (or a longer one when k0 is 0): one more step at most.
    let shifted = u64::from(n) << k0;
    k0 + u32::from(shifted < u64::from(a))
}

/// Slots for the 365 regular-mode contexts, rounded up to a power of two so that a context number can be masked
/// into range instead of bounds-checked.
const CONTEXT_SLOTS: usize = 512;

/// Regular-mode context variables (T.87 A.2.2).
#[derive(Clone, Copy)]
struct Context {
    a: i32,
    b: i32,
    n: i32,
    /// C, within −128..=127.
    c: i16,
    /// The Golomb parameter for the current A and N (at most 31), computed when they change: the next sample in
    /// this context then need not wait for it. With C it fills 16 bytes, so that a context is found with a shift.
    k: u16,
}

/// Run-interruption context variables (T.87 A.7.2).
#[derive(Clone, Copy)]
struct RunContext {
    a: i32,
    n: i32,
    nn: i32,
}

/// Geometry of a scan and where its components go in the output.
pub(crate) struct ScanLayout<'a> {
    /// 0-based index of the scan in the codestream (for error messages).
    pub index: u32,
    /// X and Y of the frame header.
    pub width: usize,
    pub height: usize,
    /// For each component of the scan, its position in an output pixel.
    pub components: &'a [usize],
    /// Samples per output pixel (Nf).
    pub stride: usize,
    /// ILV: 0 none, 1 line, 2 sample.
    pub interleave: u8,
    /// Ri from the DRI segment, in lines; 0 = no restart markers.
    pub restart_interval: u32,
}

/// Scalars derived from the coding parameters, copied into locals by the hot loops.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Consts {
    maxval: i32,
    near: i32,
    /// 2·NEAR + 1.
    step: i32,
    range: i32,
    qbpp: u32,
    limit: u32,
    reset: i32,
}

impl Consts {
    /// The constants of lossless coding with MAXVAL = 2^`bpp` − 1 and default RESET (T.87 A.2.1, C.2.4.1.1).
    #[inline(always)]
    const fn lossless(bpp: u32) -> Consts {
        let bpp_for_limit = if bpp < 8 { 8 } else { bpp };
        Consts {
            maxval: (1 << bpp) - 1,
            near: 0,
            step: 1,
            range: 1 << bpp,
            qbpp: bpp,
            limit: 2 * (if bpp < 2 { 2 } else { bpp } + bpp_for_limit),
            reset: 64,
        }
    }
}

struct Decoder<'a> {
    reader: BitReader<'a>,
    contexts: [Context; CONTEXT_SLOTS],
    run_contexts: [RunContext; 2],
    /// Gradient quantization Q(d) for d in −MAXVAL..=MAXVAL, at index d + MAXVAL.
    quant: Vec<i8>,
    k: Consts,
}

impl<'a> Decoder<'a> {
    fn new(segment: &'a [u8], p: &CodingParams) -> Self {
        let range = p.range();
        let bpp = ceil_log2(p.maxval + 1).max(2);
        let limit = 2 * (bpp + bpp.max(8));
        let mut quant = Vec::with_capacity(2 * p.maxval as usize + 1);
        for d in -p.maxval..=p.maxval {
            // Q(d) = sign(d) · (number of thresholds NEAR < |d|, T1 ≤ |d|, T2 ≤ |d|, T3 ≤ |d|) (T.87 A.3.3).
            let m = d.abs();
            let q = i8::from(m > p.near)
                + i8::from(m >= p.t1)
                + i8::from(m >= p.t2)
                + i8::from(m >= p.t3);
            quant.push(if d < 0 { -q } else { q });
        }
        let mut dec = Decoder {
            reader: BitReader::new(segment),
            contexts: [Context {
                a: 0,
                b: 0,
                c: 0,
                n: 1,
                k: 0,
            }; CONTEXT_SLOTS],
            run_contexts: [RunContext { a: 0, n: 1, nn: 0 }; 2],
            quant,
            k: Consts {
                maxval: p.maxval,
                near: p.near,
                step: 2 * p.near + 1,
                range,
                qbpp: ceil_log2(range),
                limit,
                reset: p.reset,
            },
        };
        dec.reset_contexts();
        dec
    }

    /// Context variables at the start of a scan or restart interval (T.87 A.2.2).
    fn reset_contexts(&mut self) {
        let a = ((self.k.range + 32) / 64).max(2);
        self.contexts = [Context {
            a,
            b: 0,
            c: 0,
            n: 1,
            k: golomb_k(1, a) as u16,
        }; CONTEXT_SLOTS];
        self.run_contexts = [RunContext { a, n: 1, nn: 0 }; 2];
    }

    /// Decode one line of one component (ILV 0 or 1). `prev` and `cur` hold `width + 2` samples: index 0 and
    /// `width + 1` are the edges, already set.
    fn line(&mut self, prev: &[i32], cur: &mut [i32], run_index: &mut usize) -> Option<()> {
        if self.k.near == 0 && self.k.range == self.k.maxval + 1 && self.k.range.count_ones() == 1 {
            // Lossless with MAXVAL = 2^P − 1 and the default RESET: every coding constant is known at compile
            // time for the common sample sizes, which frees registers in the loop.
            let fixed = |bpp: u32| self.k == Consts::lossless(bpp);
            if fixed(16) {
                line::<true, true, 16>(self, prev, cur, run_index)
            } else if fixed(12) {
                line::<true, true, 12>(self, prev, cur, run_index)
            } else if fixed(8) {
                line::<true, true, 8>(self, prev, cur, run_index)
            } else {
                line::<true, true, 0>(self, prev, cur, run_index)
            }
        } else if self.k.near == 0 {
            line::<true, false, 0>(self, prev, cur, run_index)
        } else {
            line::<false, false, 0>(self, prev, cur, run_index)
        }
    }

    /// Decode one line of all components, sample-interleaved (ILV 2). `prev[c]` and `cur[c]` as in [`Self::line`].
    fn line_interleaved(
        &mut self,
        prev: &[Vec<i32>],
        cur: &mut [Vec<i32>],
        run_index: &mut usize,
    ) -> Option<()> {
        let nc = cur.len();
        if nc == 0 || nc > 4 || prev.len() != nc {
            return None;
        }
        let width = cur[0].len().checked_sub(2)?;
        if prev.iter().chain(cur.iter()).any(|l| l.len() != width + 2) {
            return None;
        }
        let Decoder {
            reader,
            contexts,
            run_contexts,
            quant,
            k,
        } = self;
        let k = *k;
        let mut x = 1usize;
        let mut qs = [0i32; 4];
        while x <= width {
            let mut flat = true;
            for c in 0..nc {
                let (p, l) = (&prev[c], &cur[c]);
                qs[c] = context_id(quant, k.maxval, l[x - 1], p[x], p[x - 1], p[x + 1]);
                flat &= qs[c] == 0;
            }
            if flat {
                let (len, end) = run_length(reader, width + 1 - x, run_index)?;
                for l in cur.iter_mut() {
                    let ra = l[x - 1];
                    l[x..x + len].fill(ra);
                }
                x += len;
                if end {
                    break;
                }
                // In sample-interleaved mode every component of the interruption sample uses RItype 0.
                for c in 0..nc {
                    let ra = cur[c][x - 1];
                    let rb = prev[c][x];
                    let e = interruption_error(reader, run_contexts, &k, 0, *run_index)?;
                    let e = if rb < ra { -e } else { e };
                    cur[c][x] = fix::<false, false>(&k, rb + e * k.step);
                }
                *run_index = run_index.saturating_sub(1);
            } else {
                for c in 0..nc {
                    let ra = cur[c][x - 1];
                    let rb = prev[c][x];
                    let rc = prev[c][x - 1];
                    cur[c][x] = if k.near == 0 {
                        regular::<true, false>(reader, contexts, &k, qs[c], ra, rb, rc)?
                    } else {
                        regular::<false, false>(reader, contexts, &k, qs[c], ra, rb, rc)?
                    };
                }
            }
            x += 1;
        }
        Some(())
    }
}

/// Signed context number 81·Q1 + 9·Q2 + Q3 (T.87 A.3.3–A.3.4) of a sample with neighbours Ra, Rb, Rc, Rd.
#[inline(always)]
fn context_id(quant: &[i8], maxval: i32, ra: i32, rb: i32, rc: i32, rd: i32) -> i32 {
    let q = |d: i32| i32::from(quant.get((d + maxval) as usize).copied().unwrap_or(0));
    81 * q(rd - rb) + 9 * q(rb - rc) + q(rc - ra)
}

/// Reconstructed value brought back into 0..=MAXVAL (T.87 A.4.4 and the modulo reduction of A.4.5).
#[inline(always)]
fn fix<const LOSSLESS: bool, const POW2: bool>(k: &Consts, mut rx: i32) -> i32 {
    if LOSSLESS && POW2 {
        // RANGE = MAXVAL + 1 is a power of two: the modulo reduction is a mask, and the result is in range.
        return rx & k.maxval;
    }
    if LOSSLESS {
        if rx < 0 {
            rx += k.range;
        } else if rx > k.maxval {
            rx -= k.range;
        }
    } else if rx < -k.near {
        rx += k.range * k.step;
    } else if rx > k.maxval + k.near {
        rx -= k.range * k.step;
    }
    rx.clamp(0, k.maxval)
}

/// Decode one sample in regular mode (T.87 A.4–A.6) from its signed context `qs` and neighbours.
/// `LOSSLESS` is NEAR = 0.
#[inline(always)]
fn regular<const LOSSLESS: bool, const POW2: bool>(
    reader: &mut BitReader,
    contexts: &mut [Context; CONTEXT_SLOTS],
    k: &Consts,
    qs: i32,
    ra: i32,
    rb: i32,
    rc: i32,
) -> Option<i32> {
    // sign is 0 for a positive context, −1 for a negative one: (x ^ sign) − sign applies it without a branch.
    let sign = qs >> 31;
    // |qs| ≤ 364; the mask lets the compiler drop the bounds check.
    let ctx = &mut contexts[((qs ^ sign) - sign) as usize & (CONTEXT_SLOTS - 1)];
    // Median edge detector (A.4.1): the median of Ra, Rb and Ra + Rb − Rc.
    let px = ra.min(rb).max(ra.max(rb).min(ra + rb - rc));
    let px = (px + ((i32::from(ctx.c) ^ sign) - sign)).clamp(0, k.maxval);
    let kk = u32::from(ctx.k);
    let mapped = reader.golomb(kk, k.limit, k.qbpp)?;
    if mapped > (k.range as u64) << 2 {
        return None;
    }
    let mapped = mapped as i32;
    let mut err = (mapped >> 1) ^ -(mapped & 1);
    if LOSSLESS && kk == 0 && 2 * ctx.b <= -ctx.n {
        err = !err;
    }
    // Context update and bias correction (A.6).
    let step = if LOSSLESS { 1 } else { k.step };
    ctx.a += err.abs();
    ctx.b += err * step;
    // Halve A, B and N when N reaches RESET: a shift by 0 or 1 rather than a branch that is taken on one sample
    // in RESET of each context, at no predictable time.
    let halve = u32::from(ctx.n == k.reset);
    ctx.a >>= halve;
    ctx.b >>= halve;
    ctx.n >>= halve;
    ctx.n += 1;
    ctx.k = golomb_k(ctx.n, ctx.a) as u16;
    bias_update(ctx);
    let e = err * step;
    Some(fix::<LOSSLESS, POW2>(k, px + ((e ^ sign) - sign)))
}

/// Bias computation of T.87 A.6.2 (B within (−N, 0] afterwards, C within −128..=127), written as selects:
/// which way B moves is data-dependent, and a branch on it was mispredicted on about one sample in four
/// (cachegrind --branch-sim on the 12-bit radiograph).
#[inline(always)]
fn bias_update(ctx: &mut Context) {
    let (b, c, n) = (ctx.b, i32::from(ctx.c), ctx.n);
    let below = b <= -n;
    let above = b > 0;
    let b_below = (b + n).max(1 - n);
    let b_above = (b - n).min(0);
    ctx.b = if below {
        b_below
    } else if above {
        b_above
    } else {
        b
    };
    ctx.c = (c - i32::from(below & (c > -128)) + i32::from(above & (c < 127))) as i16;
}

/// Decode the error of a run-interruption sample (T.87 A.7.2) in context `ritype` (0 or 1).
#[inline]
fn interruption_error(
    reader: &mut BitReader,
    run_contexts: &mut [RunContext; 2],
    k: &Consts,
    ritype: usize,
    run_index: usize,
) -> Option<i32> {
    let ctx = &mut run_contexts[ritype & 1];
    let rit = (ritype & 1) as i32;
    let temp = ctx.a + if rit == 1 { ctx.n >> 1 } else { 0 };
    let kk = golomb_k(ctx.n, temp);
    let limit = k.limit.saturating_sub(J[run_index & 31] + 1);
    let em = reader.golomb(kk, limit, k.qbpp)?;
    if em > (k.range as u64) << 2 {
        return None;
    }
    let em = em as i32;
    let t = em + rit;
    let map = t & 1;
    let abs = (t + map) >> 1;
    let err = if (kk != 0 || 2 * ctx.nn >= ctx.n) == (map == 1) {
        -abs
    } else {
        abs
    };
    if err < 0 {
        ctx.nn += 1;
    }
    ctx.a += (em + 1 - rit) >> 1;
    if ctx.n == k.reset {
        ctx.a >>= 1;
        ctx.n >>= 1;
        ctx.nn >>= 1;
    }
    ctx.n += 1;
    Some(err)
}

/// Run length coded at the current position (T.87 A.7.1.2): the number of samples equal to Ra from there on,
/// and whether the run reached the end of the line (no interruption sample follows). `remaining` ≥ 1.
#[inline]
fn run_length(
    reader: &mut BitReader,
    remaining: usize,
    run_index: &mut usize,
) -> Option<(usize, bool)> {
    let mut count = 0usize;
    while reader.read_bit() {
        let rg = 1usize << J[*run_index & 31];
        let n = rg.min(remaining - count);
        count += n;
        if n == rg && *run_index < 31 {
            *run_index += 1;
        }
        if count == remaining {
            return Some((count, true));
        }
    }
    let extra = reader.read_bits(J[*run_index & 31]) as usize;
    count += extra;
    // An interruption sample follows, so the run must end before the line does.
    (count < remaining).then_some((count, false))
}

/// One line of one component; see [`Decoder::line`].
#[inline(never)]
fn line<const LOSSLESS: bool, const POW2: bool, const BPP: u32>(
    dec: &mut Decoder,
    prev: &[i32],
    cur: &mut [i32],
    run_index: &mut usize,
) -> Option<()> {
    let width = cur.len().checked_sub(2)?;
    if prev.len() != cur.len() {
        return None;
    }
    let Decoder {
        reader,
        contexts,
        run_contexts,
        quant,
        k,
    } = dec;
    // BPP ≠ 0: the caller checked that the coding constants are those of `Consts::lossless(BPP)`.
    let k = if BPP != 0 { Consts::lossless(BPP) } else { *k };
    let quant: &[i8] = quant;
    // A local copy of the reader keeps its cache in registers: the compiler cannot prove that the writes to
    // `cur` leave a reader behind a reference untouched.
    let mut local = *reader;
    let result = line_inner::<LOSSLESS, POW2>(
        &mut local,
        contexts,
        run_contexts,
        quant,
        &k,
        prev,
        cur,
        run_index,
        width,
    );
    *reader = local;
    result
}

/// Run mode at sample `x` of a line (T.87 A.7): the run and, unless it reaches the end of the line, the
/// interruption sample. Returns the position of the interruption sample (`width + 1` when the run ended the
/// line) and its value.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn run_mode<const LOSSLESS: bool, const POW2: bool>(
    reader: &mut BitReader,
    run_contexts: &mut [RunContext; 2],
    k: &Consts,
    prev: &[i32],
    cur: &mut [i32],
    x: usize,
    ra: i32,
    run_index: &mut usize,
) -> Option<(usize, i32)> {
    let width = cur.len().checked_sub(2)?;
    let (len, end) = run_length(reader, (width + 1).checked_sub(x)?, run_index)?;
    if let Some(run) = cur.get_mut(x..x + len) {
        run.fill(ra);
    }
    let x = x + len;
    if end {
        return Some((width + 1, ra));
    }
    let above = prev.get(x).copied().unwrap_or(0);
    let rx = if (ra - above).abs() <= k.near {
        let e = interruption_error(reader, run_contexts, k, 1, *run_index)?;
        fix::<LOSSLESS, POW2>(k, ra + e * k.step)
    } else {
        let e = interruption_error(reader, run_contexts, k, 0, *run_index)?;
        let e = if above < ra { -e } else { e };
        fix::<LOSSLESS, POW2>(k, above + e * k.step)
    };
    if let Some(slot) = cur.get_mut(x) {
        *slot = rx;
    }
    *run_index = run_index.saturating_sub(1);
    Some((x, rx))
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn line_inner<const LOSSLESS: bool, const POW2: bool>(
    reader: &mut BitReader,
    contexts: &mut [Context; CONTEXT_SLOTS],
    run_contexts: &mut [RunContext; 2],
    quant: &[i8],
    k: &Consts,
    prev: &[i32],
    cur: &mut [i32],
    run_index: &mut usize,
    width: usize,
) -> Option<()> {
    let k = *k;
    let mut x = 1usize;
    // Neighbours of sample x: Ra = cur[x − 1], Rc = prev[x − 1], Rb = prev[x], Rd = prev[x + 1].
    let mut ra = cur[0];
    let mut rc = prev[0];
    let mut rb = prev[1];
    while x <= width {
        let rd = prev.get(x + 1).copied().unwrap_or(rb);
        let qs = context_id(quant, k.maxval, ra, rb, rc, rd);
        if qs == 0 {
            // Run mode is out of line and works on a copy of the reader, so that `reader` (a local of `line`)
            // never has its address taken and can stay in registers.
            let mut r = *reader;
            let rx =
                run_mode::<LOSSLESS, POW2>(&mut r, run_contexts, &k, prev, cur, x, ra, run_index);
            *reader = r;
            let (x_next, rx) = rx?;
            x = x_next;
            if x > width {
                break;
            }
            ra = rx;
            rc = prev.get(x).copied().unwrap_or(0);
            x += 1;
            rb = prev.get(x).copied().unwrap_or(0);
        } else {
            let rx = regular::<LOSSLESS, POW2>(reader, contexts, &k, qs, ra, rb, rc)?;
            if let Some(slot) = cur.get_mut(x) {
                *slot = rx;
            }
            ra = rx;
            rc = rb;
            rb = rd;
            x += 1;
        }
    }
    Some(())
}

/// Write line `y` of scan component `cur` to output position `component` of every pixel.
#[inline]
fn write_line<S: Sample>(
    out: &mut [S],
    layout: &ScanLayout,
    y: usize,
    component: usize,
    cur: &[i32],
) {
    let row_len = layout.width * layout.stride;
    let Some(row) = out.get_mut(y * row_len..(y + 1) * row_len) else {
        return;
    };
    let Some(samples) = cur.get(1..=layout.width) else {
        return;
    };
    if layout.stride == 1 {
        for (o, &v) in row.iter_mut().zip(samples) {
            *o = S::from_i32(v);
        }
    } else {
        for (px, &v) in row.chunks_exact_mut(layout.stride).zip(samples) {
            if let Some(o) = px.get_mut(component) {
                *o = S::from_i32(v);
            }
        }
    }
}

/// Set the edge samples of a line pair before decoding `cur` (T.87 A.2.1): Ra of the first sample is Rb, and
/// Rd of the last sample repeats the last sample of the previous line.
#[inline]
fn set_edges(prev: &mut [i32], cur: &mut [i32]) {
    let w = prev.len() - 2;
    cur[0] = prev[1];
    prev[w + 1] = prev[w];
}

/// Decode the scan whose entropy-coded data starts at `start`, writing into `out` (`width × height × stride`
/// samples). Returns the position of the marker that ends the scan.
pub(crate) fn decode_scan<S: Sample>(
    data: &[u8],
    start: usize,
    layout: &ScanLayout,
    params: &CodingParams,
    out: &mut [S],
) -> Result<usize> {
    let ns = layout.components.len();
    let width = layout.width;
    let corrupt = |line: usize, reason: &'static str| Error::CorruptData {
        scan: layout.index,
        line: line as u32,
        reason,
    };
    let mut end = segment_end(data, start);
    let mut dec = Decoder::new(data.get(start..end).unwrap_or_default(), params);
    let mut prev: Vec<Vec<i32>> = vec![vec![0; width + 2]; ns];
    let mut cur: Vec<Vec<i32>> = vec![vec![0; width + 2]; ns];
    let mut run_index = [0usize; 4];
    let mut restarts = 0u32;
    for y in 0..layout.height {
        if layout.restart_interval > 0 && y > 0 && y % layout.restart_interval as usize == 0 {
            if dec.reader.overrun() {
                return TruncatedSnafu {
                    part: "inside a restart interval",
                }
                .fail();
            }
            // Expect RSTm (fill bytes FF allowed before it), then start afresh (T.87 D.3.2).
            let mut pos = end;
            while data.get(pos) == Some(&0xFF) && data.get(pos + 1) == Some(&0xFF) {
                pos += 1;
            }
            match (data.get(pos), data.get(pos + 1)) {
                (Some(0xFF), Some(&m)) if m == 0xD0 + (restarts % 8) as u8 => {}
                (Some(0xFF), Some(&m)) => {
                    return UnexpectedMarkerSnafu {
                        marker: m,
                        place: "where a restart marker (RSTm) was expected",
                    }
                    .fail()
                }
                _ => {
                    return TruncatedSnafu {
                        part: "before a restart marker",
                    }
                    .fail()
                }
            }
            restarts += 1;
            let seg_start = pos + 2;
            end = segment_end(data, seg_start);
            dec.reader = BitReader::new(data.get(seg_start..end).unwrap_or_default());
            dec.reset_contexts();
            run_index = [0; 4];
            for l in prev.iter_mut().chain(cur.iter_mut()) {
                l.fill(0);
            }
        }
        if layout.interleave == 2 && ns > 1 {
            for (p, c) in prev.iter_mut().zip(cur.iter_mut()) {
                set_edges(p, c);
            }
            dec.line_interleaved(&prev, &mut cur, &mut run_index[0])
                .ok_or_else(|| corrupt(y, "invalid code in sample-interleaved line"))?;
        } else {
            for c in 0..ns {
                set_edges(&mut prev[c], &mut cur[c]);
                dec.line(&prev[c], &mut cur[c], &mut run_index[c])
                    .ok_or_else(|| corrupt(y, "invalid Golomb code or run length"))?;
            }
        }
        if dec.reader.overrun() {
            return TruncatedSnafu {
                part: "inside the entropy-coded data of a scan",
            }
            .fail();
        }
        for (c, &component) in layout.components.iter().enumerate() {
            write_line(out, layout, y, component, &cur[c]);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    Ok(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_thresholds_match_t87_table_c3() {
        // T.87 Table C.3 / C.2.4.1.1.1: 8 bits 3, 7, 21; 12 and 16 bits (FACTOR 16) 18, 67, 276.
        assert_eq!(default_thresholds(255, 0), (3, 7, 21));
        assert_eq!(default_thresholds(4095, 0), (18, 67, 276));
        assert_eq!(default_thresholds(65535, 0), (18, 67, 276));
        // 10 bits: FACTOR = (1023 + 128) / 256 = 4 → 4 + 2, 16 + 3, 68 + 4.
        assert_eq!(default_thresholds(1023, 0), (6, 19, 72));
        // NEAR = 2 at 8 bits: 3 + 6, 7 + 10, 21 + 14.
        assert_eq!(default_thresholds(255, 2), (9, 17, 35));
    }

    #[test]
    fn small_maxval_thresholds_use_the_divided_basic_values() {
        // MAXVAL 31: FACTOR = 256 / 32 = 8; 3/8 = 0 → 2, 7/8 = 0 → 3, 21/8 = 2 → 4.
        assert_eq!(default_thresholds(31, 0), (2, 3, 4));
        // MAXVAL 3 (2 bits): the minimum 2, 3, 4 clamp to MAXVAL: T2 = 3, T3 = 4 > 3 → T2.
        assert_eq!(default_thresholds(3, 0), (2, 3, 3));
        // MAXVAL 127, NEAR 1: FACTOR 2; 1 + 3 = 4, 3 + 5 = 8, 10 + 7 = 17.
        assert_eq!(default_thresholds(127, 1), (4, 8, 17));
    }

    #[test]
    fn golomb_k_never_exceeds_31() {
        assert_eq!(golomb_k(1, i32::MAX), 31);
        assert_eq!(golomb_k(i32::MIN, i32::MAX), 31);
        assert_eq!(golomb_k(i32::MAX, 0), 0);
    }

    #[test]
    fn golomb_k_is_the_smallest_k_with_n_shifted_at_least_a() {
        for n in 1..70 {
            for a in 0..5000 {
                let mut k = 0;
                while (n << k) < a {
                    k += 1;
                }
                assert_eq!(golomb_k(n, a), k, "N = {n}, A = {a}");
            }
        }
    }

    #[test]
    fn segment_end_skips_stuffed_ff_and_stops_at_markers() {
        use crate::bits::segment_end;
        assert_eq!(segment_end(&[1, 0xFF, 0x7F, 2, 0xFF, 0xD0, 3], 0), 4);
        assert_eq!(segment_end(&[1, 2, 3], 0), 3);
        assert_eq!(segment_end(&[1, 0xFF], 0), 1);
    }
}
