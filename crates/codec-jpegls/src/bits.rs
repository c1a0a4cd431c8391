//! The bit reader for JPEG-LS entropy-coded segments (T.87 section 9 / A.1): reads the bits of one segment —
//! the bytes between a scan header (or restart marker) and the next marker — MSB first, removing the 0 bit that
//! the encoder stuffs after every FF byte. It refills a 64-bit cache up to eight bytes at a time. Past the end of
//! the segment it supplies zero bits and counts them, so that the caller can report truncation instead of
//! looping or panicking; it must not look beyond its segment or interpret markers.

/// Index of the first marker (FF followed by a byte ≥ 80) at or after `start`, or `data.len()` when there is none.
/// A stuffed FF (followed by a byte < 80) is data, not a marker.
pub(crate) fn segment_end(data: &[u8], start: usize) -> usize {
    let mut i = start;
    while let Some(offset) = data
        .get(i..)
        .and_then(|rest| rest.iter().position(|&b| b == 0xFF))
    {
        i += offset;
        match data.get(i + 1) {
            Some(&next) if next < 0x80 => i += 2,
            _ => return i,
        }
    }
    data.len()
}

/// `true` when any byte of `w` is FF.
#[inline(always)]
fn has_ff_byte(w: u64) -> bool {
    let v = !w;
    (v.wrapping_sub(0x0101_0101_0101_0101) & !v & 0x8080_8080_8080_8080) != 0
}

/// Eight bytes as a big-endian number. wasm32 has no byte-swap instruction (LLVM expands `u64::from_be_bytes`
/// to about 25 shifts, masks and ors); with SIMD128 one shuffle does it.
#[inline(always)]
fn be_u64(bytes: [u8; 8]) -> u64 {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        use core::arch::wasm32::{i8x16_shuffle, u64x2, u64x2_extract_lane};
        let v = u64x2(u64::from_le_bytes(bytes), 0);
        let swapped = i8x16_shuffle::<7, 6, 5, 4, 3, 2, 1, 0, 8, 9, 10, 11, 12, 13, 14, 15>(v, v);
        u64x2_extract_lane::<0>(swapped)
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        u64::from_be_bytes(bytes)
    }
}

/// `Copy`, and its out-of-line (cold) paths take and return it by value: a decoder loop that keeps its reader in
/// a local never passes that local's address to a call, so the compiler can keep the cache in registers (in wasm
/// a reader whose address is taken lives in linear memory, and every code would load and store it).
#[derive(Clone, Copy)]
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
    /// Valid bits are the top `bits` bits (at most 63). The bits below them are zero or, after
    /// [`Self::refill_eager`], the next bits of the segment in their final place, so adding bytes with `|` later is
    /// harmless.
    cache: u64,
    bits: u32,
    /// Zero bits appended past the end of the segment (they sit at the bottom of the valid bits).
    pad: u32,
}

impl<'a> BitReader<'a> {
    /// A reader over one entropy-coded segment (no marker inside, see [`segment_end`]).
    pub(crate) fn new(data: &'a [u8]) -> Self {
        let mut r = BitReader {
            data,
            pos: 0,
            cache: 0,
            bits: 0,
            pad: 0,
        };
        r.refill();
        r
    }

    /// `true` once bits past the end of the segment have been consumed.
    #[inline]
    pub(crate) fn overrun(&self) -> bool {
        self.pad > self.bits
    }

    /// Fill the cache to at least 49 bits (zeros past the end of the segment).
    #[inline]
    fn refill(&mut self) {
        if self.bits > 56 {
            return;
        }
        self.refill_eager();
        if self.bits < 56 {
            *self = self.refill_slow();
        }
    }

    /// Top up the cache to 56–63 bits from the next eight bytes when they hold no FF (no stuffed bit) — without a
    /// branch on how many bits are left, so that it can run before every code; otherwise leave it to
    /// [`Self::refill_slow`]. The bits of the partial byte also land in the cache, below the valid bits, in their
    /// final place (see `cache`).
    #[inline(always)]
    fn refill_eager(&mut self) {
        if let Some(arr) = self
            .data
            .get(self.pos..self.pos + 8)
            .and_then(|c| <[u8; 8]>::try_from(c).ok())
        {
            if !has_ff_byte(u64::from_le_bytes(arr)) {
                // bits ≤ 63, so the shift is in range; whole bytes are added until 56 ≤ bits ≤ 63.
                self.cache |= be_u64(arr).wrapping_shr(self.bits);
                self.pos += ((63 - self.bits) >> 3) as usize;
                self.bits |= 56;
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn refill_slow(mut self) -> Self {
        self.refill_bytes();
        self
    }

    /// Add bytes one at a time until at least 49 bits are valid, removing stuffed bits.
    fn refill_bytes(&mut self) {
        while self.bits < 56 {
            match self.data.get(self.pos) {
                Some(&0xFF) => match self.data.get(self.pos + 1) {
                    Some(&stuffed) if stuffed < 0x80 => {
                        if self.bits > 48 {
                            return;
                        }
                        self.cache |= 0xFF << (56 - self.bits);
                        self.bits += 8;
                        self.cache |= u64::from(stuffed) << (57 - self.bits);
                        self.bits += 7;
                        self.pos += 2;
                    }
                    _ => {
                        // An FF with nothing after it ends the segment.
                        self.pos = self.data.len();
                    }
                },
                Some(&b) => {
                    self.cache |= u64::from(b) << (56 - self.bits);
                    self.bits += 8;
                    self.pos += 1;
                }
                None => {
                    self.bits += 8;
                    self.pad = self.pad.saturating_add(8);
                }
            }
        }
    }

    #[inline(always)]
    fn consume(&mut self, n: u32) {
        self.cache = if n < 64 { self.cache << n } else { 0 };
        self.bits -= n;
    }

    /// Read `n` ≤ 32 bits as an unsigned number.
    #[inline]
    pub(crate) fn read_bits(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        if self.bits < n {
            self.refill();
        }
        let v = (self.cache >> (64 - n)) as u32;
        self.consume(n);
        v
    }

    /// Read one bit.
    #[inline]
    pub(crate) fn read_bit(&mut self) -> bool {
        if self.bits == 0 {
            self.refill();
        }
        let v = self.cache >> 63 != 0;
        self.consume(1);
        v
    }

    /// Count zero bits up to and including the next 1 bit; returns the number of zeros, or `None` when more than
    /// `max` zeros follow (corrupt or truncated data).
    #[inline(always)]
    fn read_unary(&mut self, max: u32) -> Option<u32> {
        if self.bits < 50 {
            self.refill();
        }
        let lz = self.cache.leading_zeros();
        if lz < self.bits {
            self.consume(lz + 1);
            return (lz <= max).then_some(lz);
        }
        self.read_unary_slow(max)
    }

    #[inline(always)]
    fn read_unary_slow(&mut self, max: u32) -> Option<u32> {
        let mut q = 0u32;
        loop {
            let lz = self.cache.leading_zeros();
            if lz < self.bits {
                self.consume(lz + 1);
                q += lz;
                return (q <= max).then_some(q);
            }
            q += self.bits;
            self.cache = 0;
            self.bits = 0;
            if q > max {
                return None;
            }
            self.refill();
        }
    }

    /// Decode one limited-length Golomb code (T.87 A.5.3): `k` the Golomb parameter, `limit` the maximum code
    /// length (LIMIT, or LIMIT − J[RUNindex] − 1 in a run interruption), `qbpp` the bits of an escaped value.
    /// Returns the mapped error value, or `None` when the code is longer than `limit` allows.
    #[inline(always)]
    pub(crate) fn golomb(&mut self, k: u32, limit: u32, qbpp: u32) -> Option<u64> {
        // Top up before every code (no hard-to-predict branch on the bits left); near an FF or the end of the
        // segment, refill byte by byte when fewer than 32 bits are left. Longer codes take the slow path.
        self.refill_eager();
        if self.bits < 32 {
            self.refill();
        }
        let escape = limit.saturating_sub(qbpp + 1);
        let lz = self.cache.leading_zeros();
        // Fast path: the whole code (q zeros, a 1, k bits) is in the cache and is not an escape. k ≤ 31 (see
        // `scan::golomb_k`) and lz + 1 + k ≤ bits ≤ 63, so the wrapping shifts below are exact; they only spare
        // the range checks of the plain ones.
        if lz < escape && lz + 1 + k <= self.bits {
            let low = ((self.cache << (lz + 1)) >> 1).wrapping_shr(63u32.wrapping_sub(k));
            let n = lz + 1 + k;
            self.cache = self.cache.wrapping_shl(n);
            self.bits -= n;
            return Some(u64::from(lz).wrapping_shl(k) | low);
        }
        let (reader, v) = self.golomb_slow(k, escape, qbpp);
        *self = reader;
        v.map(u64::from)
    }

    #[cold]
    #[inline(never)]
    fn golomb_slow(mut self, k: u32, escape: u32, qbpp: u32) -> (Self, Option<u32>) {
        let v = self.golomb_slow_in_place(k, escape, qbpp);
        (self, v)
    }

    #[inline(always)]
    fn golomb_slow_in_place(&mut self, k: u32, escape: u32, qbpp: u32) -> Option<u32> {
        self.refill();
        let q = self.read_unary(escape)?;
        if q < escape {
            if k == 0 {
                return Some(q);
            }
            let high = u64::from(q).checked_shl(k)?;
            let v = high | u64::from(self.read_bits(k.min(32)));
            u32::try_from(v).ok()
        } else {
            Some(self.read_bits(qbpp) + 1)
        }
    }
}
