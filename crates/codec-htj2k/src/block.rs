//! The HT block decoder (ITU-T T.814 clause 7): the cleanup pass of one code-block, from its three byte streams —
//! MagSgn (forward from the start), MEL (forward from Pcup) and VLC (backward from the end) — to signed
//! quantization indices written into the subband. Only the cleanup pass: code-blocks with SigProp/MagRef passes
//! are refused by the caller. This module must not know about packets, subbands or the wavelet transform.

use crate::error::*;
use crate::vlc_table::{VLC_INITIAL, VLC_OTHER};
use std::cell::Cell;

/// Lookup of the CxtVLC tables: index `context << 7 | next 7 VLC bits`; entry `len | u_off << 3 | rho << 4 |
/// e_1 << 8 | e_k << 12`.
const fn lookup(rows: &[[u8; 7]]) -> [u16; 1024] {
    let mut table = [0u16; 1024];
    let mut i = 0;
    while i < rows.len() {
        let [c, rho, u_off, e_k, e_1, cwd, len] = rows[i];
        let entry = len as u16
            | (u_off as u16) << 3
            | (rho as u16) << 4
            | (e_1 as u16) << 8
            | (e_k as u16) << 12;
        let mut high = 0usize;
        while high < 1 << (7 - len) {
            table[(c as usize) << 7 | high << len | cwd as usize] = entry;
            high += 1;
        }
        i += 1;
    }
    table
}

static TABLE_INITIAL: [u16; 1024] = lookup(&VLC_INITIAL);
static TABLE_OTHER: [u16; 1024] = lookup(&VLC_OTHER);

/// u prefix by its next 3 VLC bits (first bit least significant): (bits used, prefix value).
const U_PREFIX: [(u8, u8); 8] = [
    (3, 5),
    (1, 1),
    (2, 2),
    (1, 1),
    (3, 3),
    (1, 1),
    (2, 2),
    (1, 1),
];
/// u suffix length by prefix value.
const U_SUFFIX_BITS: [u32; 6] = [0, 0, 0, 1, 0, 5];

/// Bit n of the index spread to byte n: as 0xFF (`SPREAD_FF`) or 0x01 (`SPREAD_01`).
const fn spread(byte: u32) -> [u32; 16] {
    let mut t = [0u32; 16];
    let mut i = 0;
    while i < 16 {
        let mut n = 0;
        while n < 4 {
            if i >> n & 1 == 1 {
                t[i] |= byte << (8 * n);
            }
            n += 1;
        }
        i += 1;
    }
    t
}
const SPREAD_FF: [u32; 16] = spread(0xFF);
const SPREAD_01: [u32; 16] = spread(0x01);

/// MEL exponents per state (T.814 Table 2).
const MEL_E: [u32; 13] = [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5];

/// The MagSgn stream: bits least significant first, a bit stuffed after each FF byte, padded with FF.
struct MagSgn<'a> {
    data: &'a [u8],
    pos: usize,
    acc: u64,
    bits: u32,
    unstuff: bool,
}

impl MagSgn<'_> {
    #[inline]
    fn fill(&mut self) {
        // Fast path: the next bytes hold no FF, so none of them is followed by a stuffed bit.
        if !self.unstuff {
            if let Some(bytes) = self.data.get(self.pos..self.pos + 8) {
                let word = u64::from_le_bytes([
                    bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                ]);
                let n = (64 - self.bits) / 8;
                let keep = if n >= 8 {
                    u64::MAX
                } else {
                    (1u64 << (8 * n)) - 1
                };
                let inverted = !word;
                // Bytes that are FF in `word` (exact for the lowest one, which is the one that matters).
                let ff =
                    inverted.wrapping_sub(0x0101_0101_0101_0101) & word & 0x8080_8080_8080_8080;
                if ff & keep == 0 {
                    self.acc |= (word & keep) << self.bits;
                    self.bits += 8 * n;
                    self.pos += n as usize;
                    return;
                }
            }
        }
        self.fill_bytewise();
    }

    /// Byte by byte, with bit unstuffing and padding: near FF bytes and the end of the stream.
    #[inline(never)]
    fn fill_bytewise(&mut self) {
        while self.bits <= 56 {
            let b = self.data.get(self.pos).copied().unwrap_or(0xFF);
            self.pos += 1;
            let (v, n) = if self.unstuff { (b & 0x7F, 7) } else { (b, 8) };
            self.acc |= u64::from(v) << self.bits;
            self.bits += n;
            self.unstuff = b == 0xFF;
        }
    }

    /// `n` ≤ 32 bits.
    #[inline(always)]
    fn take(&mut self, n: u32) -> u32 {
        if self.bits < n {
            self.fill();
        }
        let v = (self.acc & ((1u64 << n) - 1)) as u32;
        self.acc >>= n;
        self.bits -= n;
        v
    }
}

/// The MEL stream: bits most significant first, a bit stuffed after each FF byte, padded with FF; and the
/// adaptive run-length state machine.
struct Mel<'a> {
    data: &'a [u8],
    pos: usize,
    cur: u8,
    bits: u32,
    unstuff: bool,
    k: usize,
    run: u32,
    one: bool,
}

impl Mel<'_> {
    #[inline]
    fn bit(&mut self) -> u32 {
        if self.bits == 0 {
            let b = self.data.get(self.pos).copied().unwrap_or(0xFF);
            self.pos += 1;
            (self.cur, self.bits) = if self.unstuff { (b & 0x7F, 7) } else { (b, 8) };
            self.unstuff = b == 0xFF;
        }
        self.bits -= 1;
        u32::from(self.cur >> self.bits) & 1
    }

    /// The next MEL symbol: true for "significant".
    #[inline]
    fn decode(&mut self) -> bool {
        if self.run == 0 && !self.one {
            self.next_run();
        }
        if self.run > 0 {
            self.run -= 1;
            false
        } else {
            self.one = false;
            true
        }
    }

    /// Read the next run: 2^E zeros, or fewer zeros and a one.
    #[inline(never)]
    fn next_run(&mut self) {
        {
            let e = MEL_E[self.k];
            if self.bit() == 1 {
                self.run = 1 << e;
                self.k = (self.k + 1).min(12);
            } else {
                let mut r = 0;
                for _ in 0..e {
                    r = r << 1 | self.bit();
                }
                self.run = r;
                self.k = self.k.saturating_sub(1);
                self.one = true;
            }
        }
    }
}

/// The VLC stream, read backwards from the end of the code-block: bits least significant first, a bit stuffed in
/// a byte whose low 7 bits are all 1 after a byte above 8F, padded with 0.
struct Vlc<'a> {
    data: &'a [u8],
    remaining: usize,
    acc: u64,
    bits: u32,
    unstuff: bool,
}

impl Vlc<'_> {
    #[inline]
    fn fill(&mut self) {
        // Fast path: four bytes none of which can hold a stuffed bit (low 7 bits all 1).
        if self.bits <= 32 && self.remaining >= 4 {
            if let Some(b) = self.data.get(self.remaining - 4..self.remaining) {
                let word = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                let low7 = word & 0x7F7F_7F7F;
                // A byte whose low 7 bits are all 1 makes `low7 + 0x01010101` carry into its top bit.
                if (low7.wrapping_add(0x0101_0101) & 0x8080_8080) == 0 {
                    // Bytes are read from the end: the highest-addressed byte comes first.
                    self.acc |= u64::from(word.swap_bytes()) << self.bits;
                    self.bits += 32;
                    self.remaining -= 4;
                    self.unstuff = b[0] > 0x8F;
                    return;
                }
            }
        }
        self.fill_bytewise();
    }

    /// Byte by byte, with bit unstuffing and zero padding: near stuffed bytes and the start of the segment.
    #[inline(never)]
    fn fill_bytewise(&mut self) {
        while self.bits <= 56 {
            let b = if self.remaining > 0 {
                self.remaining -= 1;
                self.data.get(self.remaining).copied().unwrap_or(0)
            } else {
                0
            };
            let (v, n) = if self.unstuff && b & 0x7F == 0x7F {
                (b & 0x7F, 7)
            } else {
                (b, 8)
            };
            self.acc |= u64::from(v) << self.bits;
            self.bits += n;
            self.unstuff = b > 0x8F;
        }
    }

    #[inline]
    fn peek(&mut self, n: u32) -> u32 {
        if self.bits < n {
            self.fill();
        }
        (self.acc & ((1u64 << n) - 1)) as u32
    }

    #[inline]
    fn advance(&mut self, n: u32) {
        self.acc >>= n;
        self.bits -= n;
    }

    #[inline]
    fn take(&mut self, n: u32) -> u32 {
        let v = self.peek(n);
        self.advance(n);
        v
    }

    /// A u prefix (T.814 Table 3): 1, 2, 3 or 5.
    #[inline]
    fn u_prefix(&mut self) -> u32 {
        let w = self.peek(3);
        if w & 1 != 0 {
            self.advance(1);
            1
        } else if w & 2 != 0 {
            self.advance(2);
            2
        } else {
            self.advance(3);
            if w & 4 != 0 {
                3
            } else {
                5
            }
        }
    }

    #[inline]
    fn u_suffix(&mut self, prefix: u32) -> u32 {
        match prefix {
            3 => self.take(1),
            5 => self.take(5),
            _ => 0,
        }
    }

    #[inline]
    fn u_ext(&mut self, prefix: u32, suffix: u32) -> u32 {
        if prefix == 5 && suffix >= 28 {
            4 * self.take(4)
        } else {
            0
        }
    }
}

/// The u prefixes and suffix lengths of a quad pair outside the initial line pair, by which quads have a u
/// (`mode`: bit 0 the first, bit 1 the second) and the next 6 VLC bits: index `mode << 6 | bits`; entry
/// `prefix bits | suffix bits of the first << 3 | of the second << 6 | first prefix << 9 | second prefix << 12`.
const fn uvlc_lookup() -> [u16; 256] {
    let mut table = [0u16; 256];
    let mut mode = 1;
    while mode < 4 {
        let mut bits = 0usize;
        while bits < 64 {
            let (l0, v0) = U_PREFIX[bits & 7];
            let entry = if mode == 3 {
                let (l1, v1) = U_PREFIX[(bits >> l0) & 7];
                (l0 + l1) as u16
                    | (U_SUFFIX_BITS[v0 as usize] as u16) << 3
                    | (U_SUFFIX_BITS[v1 as usize] as u16) << 6
                    | (v0 as u16) << 9
                    | (v1 as u16) << 12
            } else if mode == 1 {
                l0 as u16 | (U_SUFFIX_BITS[v0 as usize] as u16) << 3 | (v0 as u16) << 9
            } else {
                l0 as u16 | (U_SUFFIX_BITS[v0 as usize] as u16) << 6 | (v0 as u16) << 12
            };
            table[mode << 6 | bits] = entry;
            bits += 1;
        }
        mode += 1;
    }
    table
}

static TABLE_UVLC: [u16; 256] = uvlc_lookup();

/// One word per quad of three consecutive quad rows (index = quad + 1; the first slot and those past the row have
/// ρ = 0): the CxtVLC table entry of the quad (bits 0–15: `len | u_off << 3 | rho << 4 | e_1 << 8 | e_k << 12`,
/// 0 for a quad the MEL says is insignificant) and its unsigned residual u (bits 16–23), as the VLC pass writes
/// them; once the magnitude pass has been over the quad, bits 16–23 hold instead the larger of the exponents of
/// its bottom-left sample and of the bottom-right sample of the quad before it (slot `quads + 1`: of the last
/// quad's bottom-right sample), so that κ of a quad below is the larger of two words' maxima. Kept between
/// code-blocks so that a block allocates nothing.
#[derive(Default)]
pub(crate) struct Scratch {
    /// The quad row above the one being decoded (exponents).
    prev: Vec<u32>,
    /// The quad row whose magnitudes are being decoded.
    cur: Vec<u32>,
    /// The next quad row, whose VLC pass runs alongside.
    next: Vec<u32>,
}

/// The CxtVLC table entry of a quad of context `context` < 8 (0 for a quad the MEL says is insignificant).
#[inline(always)]
fn quad_entry(context: u32, table: &[u16; 1024], mel: &mut Mel, vlc: &mut Vlc) -> u32 {
    if context == 0 && !mel.decode() {
        0
    } else {
        let e = u32::from(table[(context as usize & 7) << 7 | vlc.peek(7) as usize]);
        vlc.advance(e & 7);
        e
    }
}

/// Where the cleanup pass writes a sample's quantization index: the integer plane of a reversible subband, or the
/// float plane of an irreversible one, dequantised on the way.
pub(crate) trait Coefficient: Copy {
    /// The coefficient of index `q` (±μ·2^p, or twice the mid-point ±(2μ + 1)·2^p), scaled by `scale`
    /// (integers: always 1).
    #[cfg_attr(
        all(target_arch = "wasm32", target_feature = "simd128"),
        allow(dead_code)
    )]
    fn from_index(q: i32, scale: f32) -> Self;
    /// [`Coefficient::from_index`] of the four lanes of `q`.
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    fn from_indices(q: core::arch::wasm32::v128, scale: f32) -> [Self; 4];
}

impl Coefficient for i32 {
    #[inline(always)]
    fn from_index(q: i32, _: f32) -> i32 {
        q
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    #[inline(always)]
    fn from_indices(q: core::arch::wasm32::v128, _: f32) -> [i32; 4] {
        use core::arch::wasm32::i32x4_extract_lane;
        [
            i32x4_extract_lane::<0>(q),
            i32x4_extract_lane::<1>(q),
            i32x4_extract_lane::<2>(q),
            i32x4_extract_lane::<3>(q),
        ]
    }
}

impl Coefficient for f32 {
    #[inline(always)]
    fn from_index(q: i32, scale: f32) -> f32 {
        q as f32 * scale
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    #[inline(always)]
    fn from_indices(q: core::arch::wasm32::v128, scale: f32) -> [f32; 4] {
        use core::arch::wasm32::*;
        let f = f32x4_mul(f32x4_convert_i32x4(q), f32x4_splat(scale));
        [
            f32x4_extract_lane::<0>(f),
            f32x4_extract_lane::<1>(f),
            f32x4_extract_lane::<2>(f),
            f32x4_extract_lane::<3>(f),
        ]
    }
}

/// The signed coefficients (before scaling) of a quad's four samples from their `v` = 2(μ − 1) + sign and
/// significance pattern `rho`: ±μ·2^p, or with `HALF` ±(2μ + 1)·2^p; 0 for insignificant samples.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[inline(always)]
fn quad_values<const HALF: bool, T: Coefficient>(
    v: [u32; 4],
    rho: u32,
    p: u32,
    scale: f32,
) -> [T; 4] {
    let mut values = [T::from_index(0, scale); 4];
    for n in 0..4 {
        let sig = 0u32.wrapping_sub(rho >> n & 1);
        let magnitude = if HALF {
            ((v[n] | 1) + 2) << p
        } else {
            ((v[n] >> 1) + 1) << p
        } & sig;
        let negative = 0u32.wrapping_sub(v[n] & 1);
        values[n] = T::from_index(
            ((magnitude ^ negative).wrapping_sub(negative)) as i32,
            scale,
        );
    }
    values
}

/// [`quad_values`] with the four lanes in one SIMD128 vector (the field extraction before it needs per-lane
/// variable shifts, which wasm lacks, so it stays scalar).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn quad_values<const HALF: bool, T: Coefficient>(
    v: [u32; 4],
    rho: u32,
    p: u32,
    scale: f32,
) -> [T; 4] {
    quad_values_v::<HALF, T>(
        core::arch::wasm32::u32x4(v[0], v[1], v[2], v[3]),
        rho,
        p,
        scale,
    )
}

/// [`quad_values`] of the four lanes of `vv`.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn quad_values_v<const HALF: bool, T: Coefficient>(
    vv: core::arch::wasm32::v128,
    rho: u32,
    p: u32,
    scale: f32,
) -> [T; 4] {
    use core::arch::wasm32::*;
    let one = u32x4_splat(1);
    let sig = i32x4_ne(
        v128_and(u32x4_splat(rho), u32x4(1, 2, 4, 8)),
        u32x4_splat(0),
    );
    let magnitude = if HALF {
        i32x4_shl(i32x4_add(v128_or(vv, one), u32x4_splat(2)), p)
    } else {
        i32x4_shl(i32x4_add(u32x4_shr(vv, 1), one), p)
    };
    let magnitude = v128_and(magnitude, sig);
    let negative = i32x4_neg(v128_and(vv, one));
    T::from_indices(i32x4_sub(v128_xor(magnitude, negative), negative), scale)
}

/// The four MagSgn fields of a quad, v = 2(μ − 1) + sign with the implicit top bit (`e_1`), from the 64-bit
/// window `a` of the stream, in the lanes of one vector: sample n's `m_n` bits (byte n of `mb`) start at bit
/// `o_n` (byte n of `offsets`). wasm has no per-lane variable shift, so each lane gathers the four bytes its field
/// starts in (a byte shuffle), shifts them left by 7 − (o_n mod 8) with a multiply by a power of two from a byte
/// table, then right by 7; 2^m_n comes from a float's exponent field. Needs every `m_n` ≤ 24 (the field ends
/// below bit 32 of the lane) and the four fields within the window's low 56 bits.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn quad_fields(a: u64, mb: u32, offsets: u32, e_1: u32) -> core::arch::wasm32::v128 {
    use core::arch::wasm32::*;
    // Byte n of x to lane n.
    let widen = |x: u32| u32x4_extend_low_u16x8(u16x8_extend_low_u8x16(u32x4_splat(x)));
    let (m, o) = (widen(mb), widen(offsets));
    // Lane n gathers bytes ⌊o_n / 8⌋ to ⌊o_n / 8⌋ + 3 (o_n < 56: no byte of `offsets` carries into the next).
    let gather = i8x16_add(
        i8x16_swizzle(
            u32x4_splat(offsets >> 3 & 0x1F1F_1F1F),
            u8x16(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3),
        ),
        u8x16(0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3),
    );
    let window = i8x16_swizzle(u64x2_splat(a), gather);
    // 2^(7 − r) for r = o mod 8, from the low byte of each lane (the other bytes index past the table: 0).
    let scale = i8x16_swizzle(
        u8x16(128, 64, 32, 16, 8, 4, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0),
        v128_or(v128_and(o, u32x4_splat(7)), u32x4_splat(0xFFFF_FF00)),
    );
    let field = u32x4_shr(i32x4_mul(window, scale), 7);
    // 2^m: the float of exponent m, converted (exact for m ≤ 30).
    let bit = i32x4_trunc_sat_f32x4(u32x4_shl(i32x4_add(m, u32x4_splat(127)), 23));
    let e1 = i32x4_ne(
        v128_and(u32x4_splat(e_1), u32x4(1, 2, 4, 8)),
        u32x4_splat(0),
    );
    v128_or(
        v128_and(field, i32x4_sub(bit, u32x4_splat(1))),
        v128_and(bit, e1),
    )
}

/// Decode the cleanup pass of a `w`×`h` code-block whose least significant coded bit-plane is `p` (Mb − 1 minus
/// the missing MSBs) and whose quads have at most `max_u` magnitude bits (Uq), writing the quantization indices
/// into `out` at row stride `stride`: ±μ·2^p (reversible, into `i32`), or the dequantised coefficients
/// ±(2μ + 1)·2^p × `half_step` (irreversible, into `f32`: twice the mid-point of the quantization interval times
/// half the step); 0 for insignificant samples. `out` must be zero where this block lies, and `max_u + p` at
/// most 30.
///
/// Each quad row is decoded in two passes, as the three streams allow: first the significance, exponent and u
/// information of every quad (MEL and VLC streams), then the magnitudes and signs (MagSgn stream), so that each
/// loop carries only one stream's dependency chain.
#[allow(clippy::too_many_arguments)]
pub(crate) fn decode_cleanup_53(
    data: &[u8],
    w: usize,
    h: usize,
    p: u32,
    max_u: u32,
    out: &mut [i32],
    stride: usize,
    s: &mut Scratch,
) -> Result<()> {
    cleanup::<false, i32>(data, w, h, p, max_u, out, stride, 1.0, s)
}

/// [`decode_cleanup_53`] for an irreversible subband: mid-point reconstruction (T.800 E.1.1.2, r = 1/2),
/// dequantised with `half_step` (half the quantization step) straight into the float plane.
#[allow(clippy::too_many_arguments)]
pub(crate) fn decode_cleanup_97(
    data: &[u8],
    w: usize,
    h: usize,
    p: u32,
    max_u: u32,
    out: &mut [f32],
    stride: usize,
    half_step: f32,
    s: &mut Scratch,
) -> Result<()> {
    cleanup::<true, f32>(data, w, h, p, max_u, out, stride, half_step, s)
}

/// The cleanup pass, with the reconstruction (`HALF`: the irreversible mid-point) and the output type constant.
#[allow(clippy::too_many_arguments)]
fn cleanup<const HALF: bool, T: Coefficient>(
    data: &[u8],
    w: usize,
    h: usize,
    p: u32,
    max_u: u32,
    out: &mut [T],
    stride: usize,
    scale: f32,
    s: &mut Scratch,
) -> Result<()> {
    let lcup = data.len();
    if lcup < 2 {
        return corrupt("an HT cleanup segment shorter than 2 bytes");
    }
    let scup = (usize::from(data[lcup - 1]) << 4) | usize::from(data[lcup - 2] & 0xF);
    if scup < 2 || scup > lcup || scup > 4079 {
        return corrupt("an HT cleanup segment with an impossible MEL/VLC length (Scup)");
    }
    if w == 0 || h == 0 || w > 1024 || h > 1024 || out.len() < (h - 1) * stride + w {
        return corrupt("a code-block outside its subband");
    }
    let pcup = lcup - scup;
    if max_u + p > 30 {
        return corrupt("a code-block with more bit-planes than 30");
    }

    let mut ms = MagSgn {
        data: &data[..pcup],
        pos: 0,
        acc: 0,
        bits: 0,
        unstuff: false,
    };
    let mut mel = Mel {
        data: &data[pcup..lcup - 1],
        pos: 0,
        cur: 0,
        bits: 0,
        unstuff: false,
        k: 0,
        run: 0,
        one: false,
    };
    let last = data[lcup - 2];
    let mut vlc = {
        let nibble = last >> 4;
        let bits = if nibble & 7 == 7 { 3 } else { 4 };
        Vlc {
            data: &data[pcup..lcup - 2],
            remaining: lcup - 2 - pcup,
            acc: u64::from(nibble & ((1 << bits) - 1)),
            bits,
            unstuff: (last | 0xF) > 0x8F,
        }
    };

    let quads = w.div_ceil(2);
    // Rounded up to pairs of quads, plus the zero slot before the row and two after it.
    let slots = 2 * quads.div_ceil(2);
    let n = slots + 3;
    for v in [&mut s.prev, &mut s.cur, &mut s.next] {
        v.clear();
        v.resize(n, 0);
    }
    let ctx = Magnitudes {
        w,
        h,
        p,
        max_u,
        fast_u: max_u.min(14),
        stride,
        scale,
    };

    // The VLC pass of the initial row alone; then the VLC pass of each row alongside the magnitude pass of the
    // row above it, which does not depend on it: the two loops' dependency chains (the VLC and MEL streams, the
    // MagSgn stream) overlap.
    initial_row(quads, &mut mel, &mut vlc, &mut s.cur[..n]);
    let rows = h.div_ceil(2);
    for qy in 0..rows {
        let y0 = 2 * qy;
        let base = y0 * stride;
        let (prev, cur, next) = (&s.prev[..n], &mut s.cur[..n], &mut s.next[..n]);
        if qy + 1 < rows {
            let mut left_rho = 0u32;
            // The magnitude pass writes the exponents into the words of `cur` that the VLC pass has read.
            let cur = Cell::from_mut(cur).as_slice_of_cells();
            // Slots q to q + 3 of `cur` (quads q − 1 to q + 2), q + 1 to q + 4 of `prev` (the exponent maxima
            // either side of quads q and q + 1) and q + 1, q + 2 of `next`.
            // The exponent of the bottom-right sample of the quad before.
            let mut right = 0;
            for (qp, (((p12, p34), (c01, c23)), words)) in prev[1..]
                .chunks_exact(2)
                .zip(prev[3..].chunks_exact(2))
                .zip(cur.chunks_exact(2).zip(cur[2..].chunks_exact(2)))
                .zip(next[1..].chunks_exact_mut(2))
                .enumerate()
            {
                let q = 2 * qp;
                let above = [c01[0].get(), c01[1].get(), c23[0].get(), c23[1].get()];
                let [e0, e1, u0, u1] =
                    vlc_pair(above, &mut left_rho, q + 1 < quads, &mut mel, &mut vlc);
                words[0] = e0 | u0 << 16;
                words[1] = e1 | u1 << 16;
                // Both quads' MagSgn fields from one window where they fit (wasm SIMD), else quad by quad.
                #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
                let pair = pair_fields::<HALF, T>(
                    above[1],
                    above[2],
                    [p12[0], p12[1], p34[0]],
                    &ctx,
                    &mut ms,
                );
                #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
                let pair: Option<([T; 4], [T; 4], [u32; 4])> = None;
                let (va, vb) = if let Some((va, vb, [la, ra, lb, rb])) = pair {
                    c01[1].set((above[1] & 0xFFFF) | right.max(la) << 16);
                    c23[0].set((above[2] & 0xFFFF) | ra.max(lb) << 16);
                    right = rb;
                    (va, vb)
                } else {
                    let (l, r, va) = magnitudes::<HALF, false, T>(
                        above[1],
                        q,
                        y0,
                        base,
                        &ctx,
                        &mut ms,
                        [p12[0], p12[1]],
                        out,
                    )?;
                    c01[1].set((above[1] & 0xFFFF) | right.max(l) << 16);
                    right = r;
                    // Past the last quad (`quads` odd), the word is 0: an insignificant quad, nothing written.
                    let (l, r, vb) = magnitudes::<HALF, false, T>(
                        above[2],
                        q + 1,
                        y0,
                        base,
                        &ctx,
                        &mut ms,
                        [p12[1], p34[0]],
                        out,
                    )?;
                    c23[0].set((above[2] & 0xFFFF) | right.max(l) << 16);
                    right = r;
                    (va, vb)
                };
                // The pair's four columns of each of its two lines as one run of four (a vector store where the
                // target has one); pairs at the edges, and the pad quad of an odd-width row, out of line.
                let (x0, at) = (2 * q, base + 2 * q);
                if x0 + 4 <= w && y0 + 2 <= h {
                    if let Some(top) = out.get_mut(at..at + 4) {
                        top.copy_from_slice(&[va[0], va[2], vb[0], vb[2]]);
                    }
                    if let Some(bottom) = out.get_mut(at + stride..at + stride + 4) {
                        bottom.copy_from_slice(&[va[1], va[3], vb[1], vb[3]]);
                    }
                } else {
                    store_pair_edge([va, vb], x0, y0, w, h, at, stride, out);
                }
            }
            // The maximum right of the last quad (ρ bits 0: past the row).
            if let Some(after) = cur.get(slots + 1) {
                after.set(right << 16);
            }
        } else {
            for (q, (&word, above)) in cur[1..=quads].iter().zip(prev[1..].windows(2)).enumerate() {
                magnitudes::<HALF, true, T>(
                    word,
                    q,
                    y0,
                    base,
                    &ctx,
                    &mut ms,
                    [above[0], above[1]],
                    out,
                )?;
            }
        }
        // The decoded row becomes the row above; the row above's words are all overwritten by the next VLC pass
        // (slots 1 to `slots`; the others are never written).
        std::mem::swap(&mut s.prev, &mut s.cur);
        std::mem::swap(&mut s.cur, &mut s.next);
    }
    Ok(())
}

/// The VLC pass of the initial quad row of a block of `quads` quads per row (T.814 7.3.5, 7.3.6: its own CxtVLC
/// table, contexts from the left only, and the u code with the MEL-coded bit for pairs of quads that both have
/// a u), into the quad words `row` (see [`Scratch`]), a pair of quads at a time.
fn initial_row(quads: usize, mel: &mut Mel, vlc: &mut Vlc, row: &mut [u32]) {
    let initial_context = |l: u32| (l & 1) | (l >> 1 & 1) | (l >> 2 & 1) << 1 | (l >> 3 & 1) << 2;
    let mut left_rho = 0u32;
    let slots = 2 * quads.div_ceil(2);
    for (qp, words) in row[1..=slots].chunks_exact_mut(2).enumerate() {
        let e0 = quad_entry(initial_context(left_rho), &TABLE_INITIAL, mel, vlc);
        left_rho = e0 >> 4 & 0xF;
        let e1 = if 2 * qp + 1 < quads {
            let e = quad_entry(initial_context(left_rho), &TABLE_INITIAL, mel, vlc);
            left_rho = e >> 4 & 0xF;
            e
        } else {
            0
        };
        let (off0, off1) = (e0 >> 3 & 1, e1 >> 3 & 1);
        let mut uq = [0u32; 2];
        if off0 == 1 && off1 == 1 {
            if mel.decode() {
                let (p0, p1) = (vlc.u_prefix(), vlc.u_prefix());
                let (s0, s1) = (vlc.u_suffix(p0), vlc.u_suffix(p1));
                let (x0, x1) = (vlc.u_ext(p0, s0), vlc.u_ext(p1, s1));
                uq = [2 + p0 + s0 + x0, 2 + p1 + s1 + x1];
            } else {
                let p0 = vlc.u_prefix();
                if p0 > 2 {
                    let p1 = vlc.take(1) + 1;
                    let s0 = vlc.u_suffix(p0);
                    let x0 = vlc.u_ext(p0, s0);
                    uq = [p0 + s0 + x0, p1];
                } else {
                    let p1 = vlc.u_prefix();
                    let (s0, s1) = (vlc.u_suffix(p0), vlc.u_suffix(p1));
                    let (x0, x1) = (vlc.u_ext(p0, s0), vlc.u_ext(p1, s1));
                    uq = [p0 + s0 + x0, p1 + s1 + x1];
                }
            }
        } else if off0 == 1 || off1 == 1 {
            let i = off1 as usize;
            let p = vlc.u_prefix();
            let sfx = vlc.u_suffix(p);
            uq[i] = p + sfx + vlc.u_ext(p, sfx);
        }
        words[0] = e0 | uq[0] << 16;
        words[1] = e1 | uq[1] << 16;
    }
}

/// The VLC pass of a pair of quads outside the initial row (T.814 7.3.5, 7.3.6): `above` holds the words (see
/// [`Scratch`]) of the quads q − 1 to q + 2 of the row above (ρ in bits 4–7: bit 5 the bottom-left sample, bit 7
/// the bottom-right), `left_rho` ρ of the
/// quad to the left (updated); `second`: whether the second quad lies in the block. Gives both quads' CxtVLC
/// entries and u. Each present u is prefix (both), then suffix (both), then extension: prefixes and suffix
/// lengths from one lookup, both suffixes from one read.
#[inline(always)]
fn vlc_pair(
    above: [u32; 4],
    left_rho: &mut u32,
    second: bool,
    mel: &mut Mel,
    vlc: &mut Vlc,
) -> [u32; 4] {
    let [a0, a1, a2, a3] = above.map(|a| a >> 4);
    // σ^nw | σ^n of quad q + 1, σ^ne | σ^nf of quad q.
    let mid = (a1 >> 3 | a2 >> 1) & 1;
    let west = |l: u32| ((l >> 2 | l >> 3) & 1) << 1;
    // The two CxtVLC codewords (≤ 7 bits each), the two u prefixes (≤ 3 bits each) and suffixes (≤ 5 bits
    // each) come from one 32-bit window, consumed at once: the lookups chain through shifts of the window only.
    let bits = vlc.peek(32);
    let entry = |context: u32, bits: u32, mel: &mut Mel| {
        if context == 0 && !mel.decode() {
            0
        } else {
            u32::from(TABLE_OTHER[(context as usize & 7) << 7 | (bits & 0x7F) as usize])
        }
    };
    let c0 = ((a0 >> 3 | a1 >> 1) & 1) | west(*left_rho) | mid << 2;
    let e0 = entry(c0, bits, mel);
    *left_rho = e0 >> 4 & 0xF;
    let bits = bits >> (e0 & 7);
    let e1 = if second {
        let c1 = mid | west(*left_rho) | ((a2 >> 3 | a3 >> 1) & 1) << 2;
        let e = entry(c1, bits, mel);
        *left_rho = e >> 4 & 0xF;
        e
    } else {
        0
    };
    let bits = bits >> (e1 & 7);
    let (off0, off1) = (e0 >> 3 & 1, e1 >> 3 & 1);
    let t = u32::from(TABLE_UVLC[((off0 | off1 << 1) << 6 | (bits & 63)) as usize]);
    let (prefix_len, s0_len, s1_len) = (t & 7, t >> 3 & 7, t >> 6 & 7);
    let suffix = (bits >> prefix_len) & ((1 << (s0_len + s1_len)) - 1);
    vlc.advance((e0 & 7) + (e1 & 7) + prefix_len + s0_len + s1_len);
    let mut u0 = (t >> 9 & 7) + (suffix & ((1 << s0_len) - 1));
    let mut u1 = (t >> 12 & 7) + (suffix >> s0_len);
    // A prefix of 5 with a suffix of 28 or more has a 4-bit extension.
    if u0 > 32 {
        u0 += 4 * vlc.take(4);
    }
    if u1 > 32 {
        u1 += 4 * vlc.take(4);
    }
    [e0, e1, u0, u1]
}

/// What the magnitude pass of a block needs besides the streams.
struct Magnitudes {
    w: usize,
    h: usize,
    p: u32,
    max_u: u32,
    /// The largest U of the SIMD path, `max_u` at most: up to 14, a quad's fields fit 56 bits (and each 24).
    #[cfg_attr(
        not(all(target_arch = "wasm32", target_feature = "simd128")),
        allow(dead_code)
    )]
    fast_u: u32,
    stride: usize,
    scale: f32,
}

/// The magnitudes and signs (T.814 7.3.7 and 7.3.8) of quad `q` of the quad row starting at line `y0` (at
/// `base` in `out`), from its `word` (CxtVLC entry and u, see [`Scratch`]) and the words of quads q and q + 1 of
/// the row above (`above`: the exponent maxima either side of the quad); gives the exponents of its own bottom-left
/// and bottom-right samples (0 for an insignificant quad).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn magnitudes<const HALF: bool, const STORE: bool, T: Coefficient>(
    word: u32,
    q: usize,
    y0: usize,
    base: usize,
    c: &Magnitudes,
    ms: &mut MagSgn,
    above: [u32; 2],
    out: &mut [T],
) -> Result<(u32, u32, [T; 4])> {
    let rho = word >> 4 & 0xF;
    if rho == 0 {
        return Ok((0, 0, [T::from_index(0, 0.0); 4]));
    }
    let (entry, u) = (word & 0xFFFF, word >> 16);
    let (w, h, p, stride, scale) = (c.w, c.h, c.p, c.stride, c.scale);
    let x0 = 2 * q;
    // κ (T.814 7.3.7): 1, or for quads with several significant samples the largest exponent above minus 1 (the
    // line above is all zero in the initial line pair).
    // The exponents of the bottom samples of quads q − 1 (right), q (both) and q + 1 (left) of the row above: the
    // maxima either side of quad q.
    let e_max = (above[0] >> 16).max(above[1] >> 16);
    let gamma = u32::from(rho & (rho - 1) != 0);
    let kappa = (gamma * e_max.saturating_sub(1)).max(1);
    let big_u = kappa + u;
    // (`fast_u` ≤ `max_u`: one comparison on the common path.)
    if big_u > c.fast_u && big_u > c.max_u {
        return corrupt("an HT quad with more magnitude bits than the subband has");
    }
    let (e_1, e_k) = (entry >> 8 & 0xF, entry >> 12 & 0xF);
    // Branch-free over the four samples: an insignificant one reads 0 bits and gives 0.
    // The four samples' magnitude bit counts m_n = U − (bit n of e_k), 0 for insignificant ones, one per byte
    // (the tables give e_k ⊆ ρ, so no byte borrows), and their bit offsets in the MagSgn stream.
    let mb = ((big_u * 0x0101_0101) & SPREAD_FF[rho as usize]) - SPREAD_01[e_k as usize];
    let total = mb.wrapping_mul(0x0101_0101) >> 24;
    let offsets = mb.wrapping_mul(0x0101_0100);
    // v = 2(μ − 1) + sign, with the implicit top bit (e_1) of the samples whose exponent is known; the
    // coefficients, and v of the bottom two samples.
    // (The label is only broken out of with simd128.)
    #[cfg_attr(
        not(all(target_arch = "wasm32", target_feature = "simd128")),
        allow(unused_labels)
    )]
    let (values, v1, v3) = 'v: {
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        if big_u <= c.fast_u {
            use core::arch::wasm32::u32x4_extract_lane;
            if ms.bits < total {
                ms.fill();
            }
            let vv = quad_fields(ms.acc, mb, offsets, e_1);
            ms.acc >>= total;
            ms.bits -= total;
            break 'v (
                quad_values_v::<HALF, T>(vv, rho, p, scale),
                u32x4_extract_lane::<1>(vv),
                u32x4_extract_lane::<3>(vv),
            );
        }
        let mut v = [0u32; 4];
        if total <= 56 {
            if ms.bits < total {
                ms.fill();
            }
            let a = ms.acc;
            for (n, v) in v.iter_mut().enumerate() {
                let m = mb >> (8 * n) & 0xFF;
                let o = offsets >> (8 * n) & 0xFF;
                let bit = 1u64.wrapping_shl(m);
                let e1 = 0u64.wrapping_sub(u64::from(e_1 >> n & 1));
                *v = ((a.wrapping_shr(o) & (bit - 1)) | (bit & e1)) as u32;
            }
            ms.acc >>= total;
            ms.bits -= total;
        } else {
            for (n, v) in v.iter_mut().enumerate() {
                let m = mb >> (8 * n) & 0xFF;
                *v = ms.take(m) | (e_1 >> n & 1) << m;
            }
        }
        (quad_values::<HALF, T>(v, rho, p, scale), v[1], v[3])
    };
    // Exponents of the bottom two samples, for κ of the quads below.
    let exponent =
        |v: u32, n: u32| (32 - (v | 1).leading_zeros()) & 0u32.wrapping_sub(rho >> n & 1);
    if STORE {
        store_quad(values, x0, y0, w, h, base + x0, stride, out);
    }
    Ok((exponent(v1, 1), exponent(v3, 3), values))
}

/// The magnitude step of a pair of quads (`word0`, `word1`; `above`: the exponent maxima either side of them in
/// the row above) from one window of the MagSgn stream, when both are significant, both on the SIMD path and
/// their fields fit 56 bits together: one refill check and one advance of the reader for the pair, and the
/// byte gathers of [`quad_fields`] on one splat window. Gives both quads' values and bottom exponents (left,
/// right, left, right); `None` (nothing read) otherwise.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn pair_fields<const HALF: bool, T: Coefficient>(
    word0: u32,
    word1: u32,
    above: [u32; 3],
    c: &Magnitudes,
    ms: &mut MagSgn,
) -> Option<([T; 4], [T; 4], [u32; 4])> {
    use core::arch::wasm32::u32x4_extract_lane;
    let (rho0, rho1) = (word0 >> 4 & 0xF, word1 >> 4 & 0xF);
    if rho0 == 0 || rho1 == 0 {
        return None;
    }
    let e = [above[0] >> 16, above[1] >> 16, above[2] >> 16];
    let prep = |word: u32, rho: u32, e_max: u32| {
        let u = word >> 16;
        let gamma = u32::from(rho & (rho - 1) != 0);
        let kappa = (gamma * e_max.saturating_sub(1)).max(1);
        let big_u = kappa + u;
        let e_k = word >> 12 & 0xF;
        let mb = ((big_u * 0x0101_0101) & SPREAD_FF[rho as usize]) - SPREAD_01[e_k as usize];
        (big_u, mb)
    };
    let (u0, mb0) = prep(word0, rho0, e[0].max(e[1]));
    let (u1, mb1) = prep(word1, rho1, e[1].max(e[2]));
    let t0 = mb0.wrapping_mul(0x0101_0101) >> 24;
    let t1 = mb1.wrapping_mul(0x0101_0101) >> 24;
    if u0.max(u1) > c.fast_u || t0 + t1 > 56 {
        return None;
    }
    if ms.bits < t0 + t1 {
        ms.fill();
    }
    let a = ms.acc;
    let v0 = quad_fields(a, mb0, mb0.wrapping_mul(0x0101_0100), word0 >> 8 & 0xF);
    let v1 = quad_fields(
        a,
        mb1,
        mb1.wrapping_mul(0x0101_0100).wrapping_add(t0 * 0x0101_0101),
        word1 >> 8 & 0xF,
    );
    ms.acc >>= t0 + t1;
    ms.bits -= t0 + t1;
    let exponent =
        |v: u32, rho: u32, n: u32| (32 - (v | 1).leading_zeros()) & 0u32.wrapping_sub(rho >> n & 1);
    let (p, scale) = (c.p, c.scale);
    Some((
        quad_values_v::<HALF, T>(v0, rho0, p, scale),
        quad_values_v::<HALF, T>(v1, rho1, p, scale),
        [
            exponent(u32x4_extract_lane::<1>(v0), rho0, 1),
            exponent(u32x4_extract_lane::<3>(v0), rho0, 3),
            exponent(u32x4_extract_lane::<1>(v1), rho1, 1),
            exponent(u32x4_extract_lane::<3>(v1), rho1, 3),
        ],
    ))
}

/// Stores quad values (n: sample n of the quad, column n / 2, row n % 2) at `at` in `out`, the parts inside the
/// `w`×`h` block.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn store_quad<T: Copy>(
    values: [T; 4],
    x0: usize,
    y0: usize,
    w: usize,
    h: usize,
    at: usize,
    stride: usize,
    out: &mut [T],
) {
    if x0 + 1 < w && y0 + 1 < h {
        if let Some(rows) = out.get_mut(at..at + stride + 2) {
            rows[0] = values[0];
            rows[1] = values[2];
            rows[stride] = values[1];
            rows[stride + 1] = values[3];
        }
    } else {
        for (n, &value) in values.iter().enumerate() {
            let (dx, dy) = (n >> 1, n & 1);
            if x0 + dx < w && y0 + dy < h {
                if let Some(slot) = out.get_mut(at + dy * stride + dx) {
                    *slot = value;
                }
            }
        }
    }
}

/// [`store_quad`] out of line, for the pairs of quads at the right and bottom edges of a block.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn store_pair_edge<T: Copy>(
    values: [[T; 4]; 2],
    x0: usize,
    y0: usize,
    w: usize,
    h: usize,
    at: usize,
    stride: usize,
    out: &mut [T],
) {
    store_quad(values[0], x0, y0, w, h, at, stride, out);
    store_quad(values[1], x0 + 2, y0, w, h, at + 2, stride, out);
}
