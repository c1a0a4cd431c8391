//! Huffman tables (ITU-T T.81 Annex C, decoding per F.2.2.3) and the bit reader of entropy-coded segments
//! (byte stuffing, fill bytes, markers). Must not know about blocks, components or colour.

use crate::error::*;
use snafu::prelude::*;

/// Bits looked up at once in the fast table.
const LOOKUP_BITS: u32 = 9;

/// One decoding table built from a DHT segment.
#[derive(Debug, Clone)]
pub(crate) struct HuffmanTable {
    /// Indexed by the next LOOKUP_BITS bits: (code length, symbol), length 0 when the code is longer.
    lookup: Box<[(u8, u8); 1 << LOOKUP_BITS]>,
    /// Indexed by the next LOOKUP_BITS bits, for codes that fit there together with the magnitude bits their
    /// symbol announces: `value << 16 | run << 8 | bits used`, where the symbol is `run << 4 | size` (a DC
    /// table's category is a size with run 0) and `value` is the EXTENDed coefficient (0 when size is 0).
    /// 0 where the code or its magnitude bits are longer.
    fast: Box<[i32; 1 << LOOKUP_BITS]>,
    /// Largest code of each length 1..=16 (index = length), -1 when there is none.
    maxcode: [i32; 18],
    /// Symbol index of the first code of each length, minus that code.
    valoffset: [i32; 17],
    values: Vec<u8>,
}

impl HuffmanTable {
    /// Build a table from the 16 code-length counts and the symbols of a DHT segment.
    pub(crate) fn new(counts: &[u8; 16], values: &[u8]) -> Result<Self> {
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        ensure!(
            total <= 256 && total == values.len(),
            InvalidSegmentSnafu {
                segment: "DHT",
                reason: format!("{total} codes for {} symbols", values.len()),
            }
        );
        let mut maxcode = [-1i32; 18];
        let mut valoffset = [0i32; 17];
        let mut lookup = Box::new([(0u8, 0u8); 1 << LOOKUP_BITS]);
        let mut fast = Box::new([0i32; 1 << LOOKUP_BITS]);
        let mut code: i32 = 0;
        let mut k: i32 = 0;
        for len in 1..=16u32 {
            let n = i32::from(counts[len as usize - 1]);
            // libjpeg's check: the codes of one length must fit in that many bits.
            ensure!(
                code + n <= 1 << len,
                InvalidSegmentSnafu {
                    segment: "DHT",
                    reason: "the code lengths overflow the code space".to_string(),
                }
            );
            if n > 0 {
                valoffset[len as usize] = k - code;
                for i in 0..n {
                    let c = code + i;
                    if len <= LOOKUP_BITS {
                        let shift = LOOKUP_BITS - len;
                        let first = (c as usize) << shift;
                        let sym = values[(k + i) as usize];
                        for e in &mut lookup[first..first + (1 << shift)] {
                            *e = (len as u8, sym);
                        }
                        let (run, size) = (i32::from(sym >> 4), u32::from(sym & 15));
                        if len + size <= LOOKUP_BITS {
                            for (j, e) in fast[first..first + (1 << shift)].iter_mut().enumerate() {
                                let extra = (j as u32 >> (shift - size)) & ((1 << size) - 1);
                                let value = extend(extra, size);
                                *e = value << 16 | run << 8 | (len + size) as i32;
                            }
                        }
                    }
                }
                code += n;
                k += n;
                maxcode[len as usize] = code - 1;
            }
            code <<= 1;
        }
        maxcode[17] = i32::MAX; // sentinel: no code is longer than 16 bits
        Ok(HuffmanTable {
            lookup,
            fast,
            maxcode,
            valoffset,
            values: values.to_vec(),
        })
    }
}

/// Reads bits from an entropy-coded segment. It stops before a marker (or the end of the data) and then
/// supplies zero bits, counting them, so that a decode that used more bits than the data held is detected.
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    /// Next byte to load.
    pub(crate) pos: usize,
    buffer: u64,
    bits: u32,
    /// Zero bits supplied after the data ran out, still in or consumed from the buffer.
    padding: u32,
    at_marker: bool,
}

impl<'a> BitReader<'a> {
    pub(crate) fn new(data: &'a [u8], pos: usize) -> Self {
        BitReader {
            data,
            pos,
            buffer: 0,
            bits: 0,
            padding: 0,
            at_marker: false,
        }
    }

    #[inline(never)]
    fn fill(&mut self) {
        // Fast path: the next 8 bytes hold no FF (so no stuffing, no marker): take as many as fit at once.
        if let Some(chunk) = self.data.get(self.pos..self.pos + 8) {
            let chunk = u64::from_be_bytes(chunk.try_into().expect("8 bytes"));
            let inverted = !chunk;
            let has_ff =
                inverted.wrapping_sub(0x0101_0101_0101_0101) & !inverted & 0x8080_8080_8080_8080
                    != 0;
            if !has_ff && !self.at_marker {
                let n = (64 - self.bits) / 8;
                let taken = if n == 8 {
                    chunk
                } else {
                    chunk & !(u64::MAX >> (8 * n))
                };
                self.buffer |= taken >> self.bits;
                self.bits += 8 * n;
                self.pos += n as usize;
                return;
            }
        }
        while self.bits <= 56 {
            let byte = if self.at_marker {
                self.padding += 8;
                0
            } else {
                match self.data.get(self.pos) {
                    None => {
                        self.at_marker = true;
                        continue;
                    }
                    Some(&0xFF) => {
                        // Skip fill bytes; FF00 is a stuffed FF, anything else is a marker.
                        let mut next = self.pos + 1;
                        while self.data.get(next) == Some(&0xFF) {
                            next += 1;
                        }
                        match self.data.get(next) {
                            Some(0x00) => {
                                self.pos = next + 1;
                                0xFF
                            }
                            _ => {
                                self.at_marker = true;
                                continue;
                            }
                        }
                    }
                    Some(&b) => {
                        self.pos += 1;
                        b
                    }
                }
            };
            self.buffer |= u64::from(byte) << (56 - self.bits);
            self.bits += 8;
        }
    }

    /// True when more bits were consumed than the data held.
    pub(crate) fn overrun(&self) -> bool {
        // Padding still in the buffer is `min(padding, bits)`; more padding than that has been consumed.
        self.padding > self.bits
    }

    #[inline(always)]
    fn peek(&mut self, n: u32) -> u32 {
        if self.bits < n {
            self.fill();
        }
        (self.buffer >> (64 - n)) as u32
    }

    /// Make sure at least 32 bits are buffered: enough for one code and its magnitude bits without a check.
    #[inline(always)]
    pub(crate) fn refill(&mut self) {
        if self.bits < 32 {
            self.fill();
        }
    }

    /// Decode a code and its magnitude bits in one lookup when the table's fast entry covers them: (run,
    /// EXTENDed value, 0 when the symbol's size is 0). Call [`refill`](Self::refill) first. `None` when the
    /// code is not in the fast table: then use [`decode`](Self::decode) and [`bits`](Self::bits).
    #[inline(always)]
    pub(crate) fn decode_fast(&mut self, table: &HuffmanTable) -> Option<(usize, i32)> {
        let e = table.fast[(self.buffer >> (64 - LOOKUP_BITS)) as usize];
        if e == 0 {
            return None;
        }
        self.consume((e & 0xFF) as u32);
        Some((((e >> 8) & 0xFF) as usize, e >> 16))
    }

    #[inline(always)]
    fn consume(&mut self, n: u32) {
        self.buffer <<= n;
        self.bits -= n;
    }

    /// `n` (0..=16) raw bits.
    #[inline(always)]
    pub(crate) fn bits(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        let v = self.peek(n);
        self.consume(n);
        v
    }

    /// Decode one symbol, or `None` when the bits match no code of the table.
    #[inline(always)]
    pub(crate) fn decode(&mut self, table: &HuffmanTable) -> Option<u8> {
        let look = self.peek(16);
        let (len, sym) = table.lookup[(look >> (16 - LOOKUP_BITS)) as usize];
        if len > 0 {
            self.consume(u32::from(len));
            return Some(sym);
        }
        let mut len = LOOKUP_BITS + 1;
        let mut code = (look >> (16 - len)) as i32;
        while code > table.maxcode[len as usize] {
            len += 1;
            if len > 16 {
                return None;
            }
            code = (look >> (16 - len)) as i32;
        }
        self.consume(len);
        let index = table.valoffset[len as usize] + code;
        table.values.get(index as usize).copied()
    }

    /// Forget the buffered bits and move to the next marker (at a restart or the end of a scan). Returns the
    /// position of the marker's FF byte, or `None` at the end of the data. Bytes before it are skipped, as libjpeg
    /// does with "extraneous bytes before marker".
    pub(crate) fn next_marker(&mut self) -> Option<usize> {
        self.buffer = 0;
        self.bits = 0;
        self.padding = 0;
        self.at_marker = false;
        let mut p = self.pos;
        loop {
            let b = *self.data.get(p)?;
            if b == 0xFF {
                let mut next = p + 1;
                while self.data.get(next) == Some(&0xFF) {
                    next += 1;
                }
                match self.data.get(next) {
                    None => return None,
                    Some(0x00) => p = next + 1,
                    Some(_) => {
                        self.pos = next - 1;
                        return Some(next - 1);
                    }
                }
            } else {
                p += 1;
            }
        }
    }

    /// After [`next_marker`](Self::next_marker): the marker code, and step over it.
    pub(crate) fn take_marker(&mut self) -> Option<u8> {
        let m = *self.data.get(self.pos + 1)?;
        self.pos += 2;
        Some(m)
    }
}

/// Sign-extend a `s`-bit magnitude category value (T.81 F.2.2.1 EXTEND).
#[inline]
pub(crate) fn extend(v: u32, s: u32) -> i32 {
    if s == 0 {
        0
    } else if v < 1 << (s - 1) {
        v as i32 - (1 << s) + 1
    } else {
        v as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_of_every_length_decode() {
        // Lengths 1, 2, 10, 16: codes 0, 10, 1100000000, 1100000001000000.
        let mut counts = [0u8; 16];
        counts[0] = 1;
        counts[1] = 1;
        counts[9] = 1;
        counts[15] = 1;
        let t = HuffmanTable::new(&counts, &[7, 8, 9, 10]).unwrap();
        // 0 | 10 | 1100000000 | 1100000001000000 | 1 (pad) → bits packed into bytes.
        let bits = "0101100000000110000000100000011111";
        let mut bytes = Vec::new();
        for chunk in bits.as_bytes().chunks(8) {
            let mut b = 0u8;
            for i in 0..8 {
                b = (b << 1) | u8::from(chunk.get(i).is_none_or(|&c| c == b'1'));
            }
            bytes.push(b);
        }
        let mut r = BitReader::new(&bytes, 0);
        assert_eq!(
            [t.clone(), t.clone(), t.clone(), t.clone()].map(|t| r.decode(&t)),
            [Some(7), Some(8), Some(9), Some(10)]
        );
        assert!(!r.overrun());
    }

    #[test]
    fn stuffed_ff_is_data_and_a_marker_stops_the_segment() {
        let data = [0xFF, 0x00, 0xAB, 0xFF, 0xD0, 0x12];
        let mut r = BitReader::new(&data, 0);
        assert_eq!(r.bits(8), 0xFF);
        assert_eq!(r.bits(8), 0xAB);
        assert!(!r.overrun());
        assert_eq!(r.bits(8), 0); // zero padding at the marker
        assert!(r.overrun());
        assert_eq!(r.next_marker(), Some(3));
        assert_eq!(r.take_marker(), Some(0xD0));
    }

    #[test]
    fn overfull_code_lengths_are_rejected() {
        let mut counts = [0u8; 16];
        counts[0] = 3; // three 1-bit codes
        assert!(HuffmanTable::new(&counts, &[1, 2, 3]).is_err());
        assert!(HuffmanTable::new(&[0; 16], &[1]).is_err());
    }

    #[test]
    fn extend_gives_negative_values_below_half_range() {
        assert_eq!(extend(0, 1), -1);
        assert_eq!(extend(1, 1), 1);
        assert_eq!(extend(0b010, 3), -5);
        assert_eq!(extend(0b110, 3), 6);
        assert_eq!(extend(0, 15), -32767);
    }
}
