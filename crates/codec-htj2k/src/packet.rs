//! Packet headers (ITU-T T.800 B.9–B.10) of a single-layer tile with one precinct per resolution: tag trees,
//! coding passes, Lblock and codeword segment lengths; out come the code-blocks' byte ranges. This module must
//! not decode code-block data.

use crate::error::*;

/// Packet header bits: most significant first, 7 bits in a byte that follows an FF.
pub(crate) struct HeaderBits<'a> {
    data: &'a [u8],
    pub pos: usize,
    cur: u8,
    left: u32,
    last_ff: bool,
}

impl<'a> HeaderBits<'a> {
    pub fn new(data: &'a [u8], pos: usize) -> Self {
        HeaderBits {
            data,
            pos,
            cur: 0,
            left: 0,
            last_ff: false,
        }
    }

    fn bit(&mut self) -> Result<u32> {
        if self.left == 0 {
            let b = *self.data.get(self.pos).ok_or(Error::Truncated {
                part: "inside a packet header",
            })?;
            self.pos += 1;
            self.left = if self.last_ff { 7 } else { 8 };
            self.last_ff = b == 0xFF;
            self.cur = b;
        }
        self.left -= 1;
        Ok(u32::from(self.cur >> self.left) & 1)
    }

    fn bits(&mut self, n: u32) -> Result<u32> {
        let mut v = 0;
        for _ in 0..n {
            v = v << 1 | self.bit()?;
        }
        Ok(v)
    }

    /// Skip to the end of the header: past the current byte, and past the stuffed byte after an FF.
    pub fn align(&mut self) {
        self.left = 0;
        if self.last_ff {
            self.pos += 1;
            self.last_ff = false;
        }
    }
}

/// A tag tree (T.800 B.10.2) over a `w`×`h` grid of code-blocks.
pub(crate) struct TagTree {
    /// (width, offset into `nodes`) per level, leaves first.
    levels: Vec<(usize, usize)>,
    value: Vec<u32>,
    low: Vec<u32>,
}

const UNKNOWN: u32 = u32::MAX;

impl TagTree {
    pub fn new(w: usize, h: usize) -> Self {
        let mut levels = Vec::new();
        let (mut lw, mut lh, mut total) = (w.max(1), h.max(1), 0);
        loop {
            levels.push((lw, total));
            total += lw * lh;
            if lw == 1 && lh == 1 {
                break;
            }
            lw = lw.div_ceil(2);
            lh = lh.div_ceil(2);
        }
        TagTree {
            levels,
            value: vec![UNKNOWN; total],
            low: vec![0; total],
        }
    }

    /// Decode whether the leaf's value is below `threshold` (reading only the bits needed).
    pub fn below(
        &mut self,
        bits: &mut HeaderBits,
        x: usize,
        y: usize,
        threshold: u32,
    ) -> Result<bool> {
        let mut low = 0;
        let mut node = 0;
        for level in (0..self.levels.len()).rev() {
            let (lw, offset) = self.levels[level];
            node = offset + (y >> level) * lw + (x >> level);
            if low > self.low[node] {
                self.low[node] = low;
            } else {
                low = self.low[node];
            }
            while low < threshold && low < self.value[node] {
                if bits.bit()? == 1 {
                    self.value[node] = low;
                } else {
                    low += 1;
                }
            }
            self.low[node] = low;
        }
        Ok(self.value[node] < threshold)
    }

    /// Decode the leaf's value in full.
    pub fn value(&mut self, bits: &mut HeaderBits, x: usize, y: usize, max: u32) -> Result<u32> {
        let mut threshold = 1;
        while !self.below(bits, x, y, threshold)? {
            threshold += 1;
            if threshold > max {
                return corrupt("a tag tree value beyond any possible bit-plane count");
            }
        }
        Ok(threshold - 1)
    }
}

/// One subband's code-block grid in a packet.
pub(crate) struct BandGrid {
    pub cbx: usize,
    pub cby: usize,
}

/// A code-block's contribution in a packet.
pub(crate) struct Contribution {
    /// Index of the band in the packet's band list, and of the code-block in raster order.
    pub band: usize,
    pub block: usize,
    pub missing_msbs: u32,
    /// Coding passes (1 for an HT cleanup pass).
    pub passes: u32,
    pub start: usize,
    pub len: usize,
}

/// Read one packet starting at `pos` of `data`; returns the position after its body. `ht`: HT code-blocks (one
/// cleanup pass each); otherwise Part 1 code-blocks, all of whose passes form one codeword segment.
pub(crate) fn read_packet(
    data: &[u8],
    pos: usize,
    bands: &[BandGrid],
    sop: bool,
    eph: bool,
    ht: bool,
    out: &mut Vec<Contribution>,
) -> Result<usize> {
    let mut pos = pos;
    if sop {
        // Cut before the two bytes that tell whether an SOP marker is there: the packet is incomplete.
        match data.get(pos..pos + 2) {
            None => {
                return Err(Error::Truncated {
                    part: "before a packet",
                })
            }
            Some([0xFF, 0x91]) => pos += 6,
            Some(_) => {}
        }
    }
    let mut bits = HeaderBits::new(data, pos);
    let first = out.len();
    if bits.bit()? == 1 {
        for (b, grid) in bands.iter().enumerate() {
            let n = grid.cbx * grid.cby;
            if n == 0 {
                continue;
            }
            let mut inclusion = TagTree::new(grid.cbx, grid.cby);
            let mut zero_planes = TagTree::new(grid.cbx, grid.cby);
            for block in 0..n {
                let (x, y) = (block % grid.cbx, block / grid.cbx);
                if !inclusion.below(&mut bits, x, y, 1)? {
                    continue;
                }
                let missing_msbs = zero_planes.value(&mut bits, x, y, 74)?;
                let passes = if bits.bit()? == 0 {
                    1
                } else if bits.bit()? == 0 {
                    2
                } else {
                    match bits.bits(2)? {
                        v @ 0..=2 => 3 + v,
                        _ => match bits.bits(5)? {
                            v @ 0..=30 => 6 + v,
                            _ => 37 + bits.bits(7)?,
                        },
                    }
                };
                let mut lblock = 3;
                while bits.bit()? == 1 {
                    lblock += 1;
                    if lblock > 32 {
                        return corrupt("a code-block length indicator (Lblock) over 32 bits");
                    }
                }
                if ht && passes != 1 {
                    return unsupported("HT refinement passes (SigProp/MagRef)");
                }
                // One codeword segment: Lblock + ⌊log2 passes⌋ bits of length (B.10.7.1).
                let length_bits = lblock + passes.ilog2();
                if length_bits > 32 {
                    return corrupt("a code-block length of more than 32 bits");
                }
                let len = bits.bits(length_bits)? as usize;
                out.push(Contribution {
                    band: b,
                    block,
                    missing_msbs,
                    passes,
                    start: 0,
                    len,
                });
            }
        }
    }
    bits.align();
    let mut pos = bits.pos;
    if eph {
        match data.get(pos..pos + 2) {
            None => {
                return Err(Error::Truncated {
                    part: "before the EPH marker of a packet header",
                })
            }
            Some([0xFF, 0x92]) => pos += 2,
            Some(_) => return corrupt("a packet header without its EPH marker"),
        }
    }
    for c in &mut out[first..] {
        c.start = pos;
        pos = pos
            .checked_add(c.len)
            .filter(|&end| end <= data.len())
            .ok_or(Error::Truncated {
                part: "inside the coded data of a code-block",
            })?;
    }
    Ok(pos)
}
