//! 1-bit pixel data, packed as PS3.5 8.1.1 and 8.2 want it for a BINARY segmentation.
//!
//! Pixels go eight to a byte, the first pixel in the least significant bit. The frames of native (uncompressed)
//! multi-frame Pixel Data follow one another with no padding: when a frame's rows × columns is not a multiple of
//! 8 the next frame starts in the middle of a byte. Only the whole value is padded, with zero bits, to an even
//! length.

/// Appends pixels, one bit each.
#[derive(Debug, Default)]
pub(crate) struct BitWriter {
    bytes: Vec<u8>,
    /// The byte being filled, and how many of its bits are.
    current: u8,
    filled: u8,
}

impl BitWriter {
    /// Room for `bits` pixels.
    pub fn with_capacity(bits: u64) -> Self {
        Self {
            bytes: Vec::with_capacity(usize::try_from(bits.div_ceil(8)).unwrap_or(0) + 1),
            ..Self::default()
        }
    }

    pub fn push(&mut self, set: bool) {
        self.current |= u8::from(set) << self.filled;
        self.filled += 1;
        if self.filled == 8 {
            self.bytes.push(self.current);
            self.current = 0;
            self.filled = 0;
        }
    }

    /// The Pixel Data value: the packed bits, padded with zero bits to an even number of bytes.
    pub fn finish(mut self) -> Vec<u8> {
        if self.filled > 0 {
            self.bytes.push(self.current);
        }
        if self.bytes.len() % 2 == 1 {
            self.bytes.push(0);
        }
        self.bytes
    }
}

/// Pixel `index` (counted from the first pixel of the first frame) of 1-bit Pixel Data; `false` past the end.
pub(crate) fn bit(data: &[u8], index: u64) -> bool {
    usize::try_from(index / 8)
        .ok()
        .and_then(|byte| data.get(byte))
        .is_some_and(|b| b >> (index % 8) & 1 == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_pixel_is_the_least_significant_bit() {
        let mut w = BitWriter::default();
        for set in [
            true, false, false, false, false, false, false, true, false, true,
        ] {
            w.push(set);
        }
        assert_eq!(w.finish(), vec![0b1000_0001, 0b0000_0010]);
    }

    #[test]
    fn frames_of_odd_size_are_packed_across_byte_boundaries() {
        // Three 3×3 frames (9 pixels each): frame 2 starts at bit 9 (byte 1, bit 1), frame 3 at bit 18 (byte 2,
        // bit 2), so frame 3's centre pixel is bit 22 (byte 2, bit 6). 27 bits take 4 bytes, already even.
        let frames = [
            [1, 0, 0, 0, 0, 0, 0, 0, 1],
            [1, 1, 1, 1, 1, 1, 1, 1, 1],
            [0, 0, 0, 0, 1, 0, 0, 0, 0],
        ];
        let mut w = BitWriter::with_capacity(27);
        for f in &frames {
            for &p in f {
                w.push(p == 1);
            }
        }
        let data = w.finish();
        assert_eq!(
            data,
            vec![0b0000_0001, 0b1111_1111, 0b0100_0011, 0b0000_0000]
        );
        for (f, frame) in frames.iter().enumerate() {
            for (i, &p) in frame.iter().enumerate() {
                assert_eq!(
                    bit(&data, (f * 9 + i) as u64),
                    p == 1,
                    "frame {f} pixel {i}"
                );
            }
        }
        assert!(!bit(&data, 1_000), "past the end");
    }

    #[test]
    fn an_odd_byte_count_is_padded_to_even() {
        let mut w = BitWriter::default();
        for _ in 0..17 {
            w.push(true);
        }
        assert_eq!(w.finish(), vec![0xFF, 0xFF, 0x01, 0x00]);
        assert_eq!(BitWriter::default().finish(), Vec::<u8>::new());
    }
}
