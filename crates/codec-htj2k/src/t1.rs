//! The JPEG 2000 Part 1 code-block decoder (EBCOT tier-1, ITU-T T.800 Annex D): the significance propagation,
//! magnitude refinement and cleanup passes over the MQ-coded data of one code-block, with the zero coding, sign
//! coding, magnitude refinement, run-length and uniform contexts of D.3, to signed quantization indices written
//! into the subband. Every Part 1 code-block style: arithmetic bypass (raw significance propagation and
//! refinement passes from the fifth bit-plane on), context reset, termination on each pass (a codeword segment per
//! pass: the caller gives the segments), vertically causal contexts, predictable termination (nothing to do when
//! decoding) and segmentation symbols. This module must not know about packets, subbands or the wavelet
//! transform.
//!
//! State: one `u32` of flags per coefficient, in a stripe-column layout (the four rows of a column of a stripe are
//! consecutive) with a border column on each side and a border stripe above and below, so that a coefficient's
//! eight neighbours are always in the buffer and a column's four flags are one load. Each coefficient holds the
//! significance of its neighbours (and the signs of the four direct ones), set when a neighbour becomes
//! significant, so a context is one table lookup; columns with nothing to code in a pass are skipped on their
//! four flags. The buffers are fixed-size arrays indexed with a mask, so the hot loops have no bounds checks; they
//! live in [`T1`] and are reused from code-block to code-block. Each pass works on the MQ decoder and the contexts
//! in locals.

use crate::error::*;
use crate::mq::{context, Mq, Raw};
use crate::packet::is_raw;

// Significance of the neighbours (N, W, E, S first: with the sign bits they index the sign context table).
const SIG_N: u32 = 1 << 0;
const SIG_W: u32 = 1 << 1;
const SIG_E: u32 = 1 << 2;
const SIG_S: u32 = 1 << 3;
const SIG_NW: u32 = 1 << 4;
const SIG_NE: u32 = 1 << 5;
const SIG_SW: u32 = 1 << 6;
const SIG_SE: u32 = 1 << 7;
const NEIGHBOURS: u32 = 0xFF;
// Signs of the direct neighbours (set with their significance when negative).
const NEG_N: u32 = 1 << 8;
const NEG_W: u32 = 1 << 9;
const NEG_E: u32 = 1 << 10;
const NEG_S: u32 = 1 << 11;
/// The coefficient is significant.
const SIG: u32 = 1 << 12;
/// The coefficient has been refined at least once.
const REFINED: u32 = 1 << 13;
/// The coefficient was coded by the significance propagation pass of the current bit-plane.
const VISITED: u32 = 1 << 14;
/// The coefficient is negative.
const NEG: u32 = 1 << 15;

// Context numbers: zero coding 0–8, sign coding 9–13, magnitude refinement 14–16, run-length 17, uniform 18.
const CX_MR_FIRST: usize = 14;
const CX_RL: usize = 17;
const CX_UNIFORM: usize = 18;

/// The flags and magnitudes of a code-block in the stripe-column layout: 4 × (w + 2) × (⌈h / 4⌉ + 2) entries,
/// at most 12,312 for a code-block of 4,096 samples (1024 × 4). Indices are masked with `MASK` (a no-op on
/// valid ones), so that the compiler knows them in bounds.
const BUF: usize = 1 << 14;
const MASK: usize = BUF - 1;
type Buf = [u32; BUF];
/// Entries of the buffers no code-block uses (four ahead of the last three, which are the highest).
const UNUSED: usize = BUF - 8;

/// Code-block style bits (COD SPcod) this decoder acts on.
pub(crate) const STYLE_RESET: u8 = 0x02;
pub(crate) const STYLE_CAUSAL: u8 = 0x08;
pub(crate) const STYLE_SEGMARK: u8 = 0x20;

/// Zero coding contexts (Table D.1) by the eight neighbour significance bits, for LL and LH (index 0), HL (1)
/// and HH (2) subbands.
const fn zc_tables() -> [[u8; 256]; 3] {
    let mut t = [[0u8; 256]; 3];
    let mut m = 0;
    while m < 256 {
        let f = m as u32;
        let h = ((f & SIG_W != 0) as u32) + ((f & SIG_E != 0) as u32);
        let v = ((f & SIG_N != 0) as u32) + ((f & SIG_S != 0) as u32);
        let d = ((f & SIG_NW != 0) as u32)
            + ((f & SIG_NE != 0) as u32)
            + ((f & SIG_SW != 0) as u32)
            + ((f & SIG_SE != 0) as u32);
        t[0][m] = zc_ll(h, v, d);
        t[1][m] = zc_ll(v, h, d);
        t[2][m] = if d >= 3 {
            8
        } else if d == 2 {
            if h + v >= 1 {
                7
            } else {
                6
            }
        } else if d == 1 {
            match h + v {
                0 => 3,
                1 => 4,
                _ => 5,
            }
        } else {
            match h + v {
                0 => 0,
                1 => 1,
                _ => 2,
            }
        };
        m += 1;
    }
    t
}

const fn zc_ll(h: u32, v: u32, d: u32) -> u8 {
    if h == 2 {
        8
    } else if h == 1 {
        if v >= 1 {
            7
        } else if d >= 1 {
            6
        } else {
            5
        }
    } else if v == 2 {
        4
    } else if v == 1 {
        3
    } else if d >= 2 {
        2
    } else if d == 1 {
        1
    } else {
        0
    }
}

static ZC: [[u8; 256]; 3] = zc_tables();

/// Sign coding (Tables D.2, D.3) by the significance and sign bits of the four direct neighbours (flags bits 0–3
/// and 8–11 packed into 8 bits): context | XOR bit << 7.
const fn sc_table() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let f = (i as u32 & 0xF) | ((i as u32 & 0xF0) << 4);
        let h = clamp(contribution(f, SIG_W, NEG_W) + contribution(f, SIG_E, NEG_E));
        let v = clamp(contribution(f, SIG_N, NEG_N) + contribution(f, SIG_S, NEG_S));
        let (cx, xor) = match (h, v) {
            (1, 1) => (13, 0),
            (1, 0) => (12, 0),
            (1, _) => (11, 0),
            (0, 1) => (10, 0),
            (0, 0) => (9, 0),
            (0, _) => (10, 1),
            (_, 1) => (11, 1),
            (_, 0) => (12, 1),
            _ => (13, 1),
        };
        t[i] = cx | xor << 7;
        i += 1;
    }
    t
}

/// A direct neighbour's sign contribution (Table D.2): 0 insignificant, 1 positive, −1 negative.
const fn contribution(f: u32, sig: u32, neg: u32) -> i32 {
    if f & sig == 0 {
        0
    } else if f & neg != 0 {
        -1
    } else {
        1
    }
}

const fn clamp(x: i32) -> i32 {
    if x > 1 {
        1
    } else if x < -1 {
        -1
    } else {
        x
    }
}

static SC: [u8; 256] = sc_table();

/// The initial contexts (Table D.7): all in state 0 except the all-zero neighbourhood zero coding context (4),
/// run-length (3) and uniform (46). 32 entries so that a masked index needs no bounds check.
const fn initial_contexts() -> [u8; 32] {
    let mut c = [context(0); 32];
    c[0] = context(4);
    c[CX_RL] = context(3);
    c[CX_UNIFORM] = context(46);
    c
}

const INITIAL_CONTEXTS: [u8; 32] = initial_contexts();

/// Reusable buffers of the code-block decoder.
#[derive(Default)]
pub(crate) struct T1 {
    /// Flags per coefficient, in the stripe-column layout.
    flags: Vec<u32>,
    /// Magnitude per coefficient (same layout), twice the index plus the half of the last coded bit-plane; valid
    /// only where the flags say significant.
    mags: Vec<u32>,
}

/// A code-block being decoded.
/// `CAUSAL`: vertically causal contexts (a coefficient in a stripe's first row does not make the stripe above see
/// it).
struct Block<'a, 'b, const CAUSAL: bool> {
    mq: Mq<'b>,
    raw: Raw<'b>,
    cx: [u8; 32],
    flags: &'a mut Buf,
    mags: &'a mut Buf,
    zc: &'static [u8; 256],
    w: usize,
    h: usize,
    /// Stripe stride of `flags` and `mags`: 4 × (w + 2).
    ss: usize,
}

impl T1 {
    /// Decode a `w`×`h` code-block of subband kind `kind` (0 LL, 1 HL, 2 LH, 3 HH) from its coded data: the
    /// codeword segments one after the other in `data`, `segments` giving each one's end in `data` and number of
    /// coding passes; the first pass is a cleanup pass of bit-plane `p` (Mb − 1 minus the missing MSBs). Writes every sample of the block into `out` at row stride `stride`: the quantization index
    /// ±μ, or with `half` ±(2μ + 1)·2^q (twice the mid-point of the interval, q the last bit-plane coded for the
    /// sample), for irreversible reconstruction. `p` at most 28.
    #[allow(clippy::too_many_arguments)]
    pub fn decode(
        &mut self,
        data: &[u8],
        segments: &[(usize, u32)],
        w: usize,
        h: usize,
        p: u32,
        kind: usize,
        style: u8,
        half: bool,
        out: &mut [i32],
        stride: usize,
    ) -> Result<()> {
        if w == 0 || h == 0 || w > 1024 || h > 1024 || out.len() < (h - 1) * stride + w {
            return corrupt("a code-block outside its subband");
        }
        if p > 28 {
            return corrupt("a code-block with more bit-planes than 29");
        }
        let passes: u32 = segments.iter().map(|s| s.1).sum();
        if passes > 3 * p + 1 {
            return corrupt("a code-block with more coding passes than bit-planes");
        }
        // Stripe-column layout: the four rows of a stripe column are consecutive, columns −1..=w, with a stripe of
        // border above and below.
        let ss = 4 * (w + 2);
        let n = ss * (h.div_ceil(4) + 2);
        if n > BUF {
            return corrupt("a code-block of more than 4096 samples");
        }
        if self.flags.len() < BUF {
            self.flags.resize(BUF, 0);
            self.mags.resize(BUF, 0);
        }
        // Magnitudes are written when a coefficient becomes significant and read only for significant ones.
        self.flags[..n].fill(0);
        let (Ok(flags), Ok(mags)) = (
            <&mut Buf>::try_from(&mut self.flags[..BUF]),
            <&mut Buf>::try_from(&mut self.mags[..BUF]),
        ) else {
            return corrupt("code-block buffers of the wrong size");
        };
        let zc = &ZC[[0, 1, 0, 2][kind & 3]];
        if style & STYLE_CAUSAL != 0 {
            run_passes::<true>(flags, mags, zc, w, h, data, segments, p, style)?;
        } else {
            run_passes::<false>(flags, mags, zc, w, h, data, segments, p, style)?;
        }
        // The samples out, with their signs.
        let shift = u32::from(!half);
        for y in 0..h {
            let first = (y / 4 + 1) * ss + 4 + (y & 3);
            let f = flags[first..].iter().step_by(4);
            let m = mags[first..].iter().step_by(4);
            let o = &mut out[y * stride..y * stride + w];
            for ((o, &f), &m) in o.iter_mut().zip(f).zip(m) {
                let v = if f & SIG != 0 { (m >> shift) as i32 } else { 0 };
                *o = if f & NEG != 0 { -v } else { v };
            }
        }
        Ok(())
    }
}

/// The coding passes of a code-block (see [`T1::decode`]) on cleared flags.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn run_passes<const CAUSAL: bool>(
    flags: &mut Buf,
    mags: &mut Buf,
    zc: &'static [u8; 256],
    w: usize,
    h: usize,
    data: &[u8],
    segments: &[(usize, u32)],
    p: u32,
    style: u8,
) -> Result<()> {
    let ss = 4 * (w + 2);
    let mut b = Block::<CAUSAL> {
        mq: Mq::new(&[]),
        raw: Raw::new(&[]),
        cx: INITIAL_CONTEXTS,
        flags,
        mags,
        zc,
        w,
        h,
        ss,
    };
    let mut plane = p;
    let (mut pass, mut seg_start) = (0, 0);
    for &(seg_end, n) in segments {
        let seg = data.get(seg_start..seg_end).ok_or(Error::CorruptData {
            reason: "a codeword segment outside the code-block's data",
        })?;
        seg_start = seg_end;
        // A segment is all raw or all MQ-coded passes (the caller cuts them so).
        let raw = is_raw(style, pass);
        if raw {
            b.raw = Raw::new(seg);
        } else {
            b.mq = Mq::new(seg);
        }
        for _ in 0..n {
            // Pass 0 is the cleanup of bit-plane p; then significance propagation, refinement and cleanup of
            // each lower bit-plane.
            match pass % 3 {
                0 => {
                    b.cleanup(plane);
                    if style & STYLE_SEGMARK != 0 {
                        let cx = &mut b.cx;
                        let mut symbol = 0;
                        for _ in 0..4 {
                            symbol = symbol << 1 | b.mq.decode(&mut cx[CX_UNIFORM]);
                        }
                        if symbol != 0xA {
                            return corrupt("a wrong segmentation symbol after a cleanup pass");
                        }
                    }
                }
                1 => {
                    plane -= 1;
                    if raw {
                        b.significance::<true>(plane)
                    } else {
                        b.significance::<false>(plane)
                    }
                }
                _ if raw => b.refinement::<true>(plane),
                _ => b.refinement::<false>(plane),
            }
            if style & STYLE_RESET != 0 {
                b.cx = INITIAL_CONTEXTS;
            }
            pass += 1;
        }
    }
    Ok(())
}

/// Mark the coefficient at `i` significant, of sign `neg`, in its flags and its neighbours' (stripe stride
/// `ss`; the row in the stripe is `i & 3`).
#[inline(always)]
fn set_significant(f: &mut Buf, ss: usize, i: usize, neg: bool, causal: bool) {
    let n = u32::from(neg);
    let r = i & 3;
    let north = if r == 0 { i + 3 - ss } else { i - 1 };
    // Vertically causal: the stripe above codes its last row as if this stripe were insignificant; its marks go
    // to entries past any code-block's.
    let north = if causal && r == 0 { UNUSED } else { north };
    let south = if r == 3 { i + ss - 3 } else { i + 1 };
    f[(north - 4) & MASK] |= SIG_SE;
    f[north & MASK] |= SIG_S | (n * NEG_S);
    f[(north + 4) & MASK] |= SIG_SW;
    f[(i - 4) & MASK] |= SIG_E | (n * NEG_E);
    f[i & MASK] |= SIG | (n * NEG);
    f[(i + 4) & MASK] |= SIG_W | (n * NEG_W);
    f[(south - 4) & MASK] |= SIG_NE;
    f[south & MASK] |= SIG_N | (n * NEG_N);
    f[(south + 4) & MASK] |= SIG_NW;
}

/// The flags of a stripe column's four coefficients, from `i`.
#[inline(always)]
fn column(f: &Buf, i: usize) -> [u32; 4] {
    [
        f[i & MASK],
        f[(i + 1) & MASK],
        f[(i + 2) & MASK],
        f[(i + 3) & MASK],
    ]
}

/// The state a pass works on, in locals: the MQ decoder and contexts are copied in and out of the [`Block`] so
/// that they live in registers.
struct Pass<'a, 'b, const CAUSAL: bool> {
    mq: Mq<'b>,
    raw: Raw<'b>,
    cx: [u8; 32],
    flags: &'a mut Buf,
    mags: &'a mut Buf,
    zc: &'static [u8; 256],
    ss: usize,
}

impl<const CAUSAL: bool> Pass<'_, '_, CAUSAL> {
    /// One decision: a raw bit in a bypassed pass (`RAW`), otherwise MQ-decoded in context `cx`.
    #[inline(always)]
    fn decide<const RAW: bool>(&mut self, cx: usize) -> u32 {
        if RAW {
            self.raw.bit()
        } else {
            self.mq.decode(&mut self.cx[cx & 31])
        }
    }

    /// Decode the sign of the coefficient at `i` (flags `f`) that just became significant at bit-plane `plane`
    /// (a raw bit in a bypassed pass, without the sign prediction).
    #[inline(always)]
    fn become_significant<const RAW: bool>(&mut self, i: usize, f: u32, plane: u32) {
        let sc = SC[((f & 0xF) | ((f >> 4) & 0xF0)) as usize];
        let neg = if RAW {
            self.raw.bit()
        } else {
            self.decide::<false>(usize::from(sc & 0x1F)) ^ u32::from(sc >> 7)
        };
        self.mags[i & MASK] = 3 << plane;
        set_significant(self.flags, self.ss, i, neg != 0, CAUSAL);
    }

    /// Zero coding then, if significant, sign coding of the coefficient at `i` with flags `f`.
    #[inline(always)]
    fn code_significance<const RAW: bool>(&mut self, i: usize, f: u32, plane: u32) {
        let zc = usize::from(self.zc[(f & NEIGHBOURS) as usize]);
        if self.decide::<RAW>(zc) != 0 {
            self.become_significant::<RAW>(i, f, plane);
        }
    }

    /// Significance propagation of the coefficient at `i`.
    #[inline(always)]
    fn significance_one<const RAW: bool>(&mut self, i: usize, plane: u32) {
        let f = self.flags[i & MASK];
        if f & SIG == 0 && f & NEIGHBOURS != 0 {
            self.code_significance::<RAW>(i, f, plane);
            self.flags[i & MASK] |= VISITED;
        }
    }

    /// Magnitude refinement of the coefficient at `i`.
    #[inline(always)]
    fn refinement_one<const RAW: bool>(&mut self, i: usize, half: u32) {
        let f = self.flags[i & MASK];
        if f & (SIG | VISITED) == SIG {
            let cx = if f & REFINED != 0 {
                CX_MR_FIRST + 2
            } else {
                CX_MR_FIRST + usize::from(f & NEIGHBOURS != 0)
            };
            let bit = self.decide::<RAW>(cx);
            // The half of the plane above becomes this bit plus the half of this plane.
            let m = self.mags[i & MASK];
            self.mags[i & MASK] = if bit != 0 { m + half } else { m - half };
            self.flags[i & MASK] = f | REFINED;
        }
    }

    /// Cleanup of the coefficient at `i`.
    #[inline(always)]
    fn cleanup_one(&mut self, i: usize, plane: u32) {
        let f = self.flags[i & MASK];
        if f & (SIG | VISITED) == 0 {
            self.code_significance::<false>(i, f, plane);
        } else {
            self.flags[i & MASK] = f & !VISITED;
        }
    }
}

/// `$one(i + r, …)` for the rows `r` from `$start` to 3 of a full stripe column, written out (no loop).
macro_rules! rows_from {
    ($p:ident . $one:ident $(::<$g:ident>)? ($i:expr, $start:expr, $arg:expr)) => {{
        let (i, start) = ($i, $start);
        if start == 0 {
            $p.$one$(::<$g>)?(i, $arg);
        }
        if start <= 1 {
            $p.$one$(::<$g>)?(i + 1, $arg);
        }
        if start <= 2 {
            $p.$one$(::<$g>)?(i + 2, $arg);
        }
        if start <= 3 {
            $p.$one$(::<$g>)?(i + 3, $arg);
        }
    }};
}

/// Run `$body` for each stripe column of a `$w`×`$h` block (stripe stride `$ss`), with `$i` the index of its first
/// coefficient and `$rows` its number of rows; `continue` goes on to the next column. A macro rather than a
/// function taking a closure, so that the body is compiled into the loop.
macro_rules! each_column {
    ($w:expr, $h:expr, $ss:expr, |$i:ident, $rows:ident| $body:block) => {
        for s in 0..$h.div_ceil(4) {
            let $rows = ($h - 4 * s).min(4);
            let first = (s + 1) * $ss + 4;
            for x in 0..$w {
                let $i = first + 4 * x;
                $body
            }
        }
    };
}

/// One coding pass over a block (`$self`): its decoders and contexts moved into a [`Pass`] `$p`, `$full` run for
/// each full stripe column (its first coefficient `$i`; `continue` goes on to the next column), `$one` for each
/// coefficient `$j` of a column cut short by the bottom of the block, then the state moved back.
macro_rules! pass {
    ($self:ident, |$p:ident, $i:ident| $full:block, |$j:ident| $one:expr) => {{
        let (w, h, ss) = ($self.w, $self.h, $self.ss);
        let mut $p = $self.start();
        each_column!(w, h, ss, |$i, rows| {
            if rows == 4 {
                $full
            } else {
                for r in 0..rows {
                    let $j = $i + r;
                    $one;
                }
            }
        });
        let (mq, raw, cx) = ($p.mq, $p.raw, $p.cx);
        $self.finish(mq, raw, cx);
    }};
}

impl<'b, const CAUSAL: bool> Block<'_, 'b, CAUSAL> {
    /// The decoders' and contexts' state back from a [`Pass`].
    #[inline(always)]
    fn finish(&mut self, mq: Mq<'b>, raw: Raw<'b>, cx: [u8; 32]) {
        self.mq = mq;
        self.raw = raw;
        self.cx = cx;
    }

    /// The block's state moved into a [`Pass`].
    #[inline(always)]
    fn start(&mut self) -> Pass<'_, 'b, CAUSAL> {
        Pass {
            mq: self.mq,
            raw: self.raw,
            cx: self.cx,
            flags: &mut *self.flags,
            mags: &mut *self.mags,
            zc: self.zc,
            ss: self.ss,
        }
    }

    /// The significance propagation pass (D.3.1) of bit-plane `plane`: insignificant coefficients with a
    /// significant neighbour.
    ///
    /// The three passes are never inlined: each is one hot loop with its own locals. Inlined into the code-block
    /// loop (as LLVM chose once the bypass and causal variants existed), a Part 1 decode took ≈ 15 % longer in wasm
    /// (`crates/codec-htj2k/examples/wasm_ab.js`, CT slice lossless and lossy, 27 November 2026).
    #[inline(never)]
    fn significance<const RAW: bool>(&mut self, plane: u32) {
        pass!(
            self,
            |p, i| {
                // Nothing to code in a column where no coefficient has a significant neighbour, or all are
                // significant.
                let c = column(p.flags, i);
                if (c[0] | c[1] | c[2] | c[3]) & NEIGHBOURS == 0
                    || c[0] & c[1] & c[2] & c[3] & SIG != 0
                {
                    continue;
                }
                rows_from!(p.significance_one::<RAW>(i, 0, plane));
            },
            |j| p.significance_one::<RAW>(j, plane)
        );
    }

    /// The magnitude refinement pass (D.3.3) of bit-plane `plane`: coefficients significant before it.
    #[inline(never)]
    fn refinement<const RAW: bool>(&mut self, plane: u32) {
        let half = 1u32 << plane;
        pass!(
            self,
            |p, i| {
                let c = column(p.flags, i);
                if (c[0] | c[1] | c[2] | c[3]) & SIG == 0 {
                    continue;
                }
                rows_from!(p.refinement_one::<RAW>(i, 0, half));
            },
            |j| p.refinement_one::<RAW>(j, half)
        );
    }

    /// The cleanup pass (D.3.4) of bit-plane `plane`: the coefficients the other passes left, with run-length
    /// coding of columns of four whose neighbourhoods are all insignificant. Clears the VISITED marks.
    #[inline(never)]
    fn cleanup(&mut self, plane: u32) {
        pass!(
            self,
            |p, i| {
                let c = column(p.flags, i);
                let any = c[0] | c[1] | c[2] | c[3];
                // Nothing to code or clear in a column of coefficients significant before this bit-plane.
                if c[0] & c[1] & c[2] & c[3] & SIG != 0 && any & VISITED == 0 {
                    continue;
                }
                if any & (SIG | VISITED | NEIGHBOURS) == 0 {
                    if p.mq.decode(&mut p.cx[CX_RL]) == 0 {
                        continue;
                    }
                    let mut r = p.mq.decode(&mut p.cx[CX_UNIFORM]) as usize;
                    r = r << 1 | p.mq.decode(&mut p.cx[CX_UNIFORM]) as usize;
                    let f = p.flags[(i + r) & MASK];
                    p.become_significant::<false>(i + r, f, plane);
                    rows_from!(p.cleanup_one(i, r + 1, plane));
                } else {
                    rows_from!(p.cleanup_one(i, 0, plane));
                }
            },
            |j| p.cleanup_one(j, plane)
        );
    }
}
