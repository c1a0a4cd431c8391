//! Packet headers (ITU-T T.800 B.9–B.10): tag trees, inclusion across quality layers, coding passes, Lblock and
//! codeword segment lengths, per precinct; out come the byte ranges of the code-blocks' codeword segments. This module must
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

/// Code-block styles (COD SPcod) that decide how a code-block's coding passes are cut into codeword segments.
pub(crate) const STYLE_BYPASS: u8 = 0x01;
pub(crate) const STYLE_TERMALL: u8 = 0x04;

/// The coding pass after the last of the codeword segment that holds pass `pass` (T.800 D.4.1, Table D.9):
/// every pass with termination on each pass; with arithmetic bypass, the first ten passes (MQ-coded), then
/// alternately a raw segment of a significance propagation and a refinement pass and an MQ segment of a cleanup
/// pass; otherwise one segment of all passes.
pub(crate) fn segment_end(style: u8, pass: u32) -> u32 {
    if style & STYLE_TERMALL != 0 {
        pass + 1
    } else if style & STYLE_BYPASS != 0 {
        match pass {
            0..=9 => 10,
            // Pass 10 is the significance propagation pass of the fifth bit-plane.
            _ if pass % 3 == 1 => pass + 2,
            _ => pass + 1,
        }
    } else {
        u32::MAX
    }
}

/// Whether pass `pass` of a code-block of style `style` is raw (bypassed) rather than MQ-coded.
pub(crate) fn is_raw(style: u8, pass: u32) -> bool {
    style & STYLE_BYPASS != 0 && pass >= 10 && !pass.is_multiple_of(3)
}

/// What the packet headers have said about a code-block so far (T.800 B.10): state across quality layers.
#[derive(Clone, Copy, Default)]
pub(crate) struct BlockState {
    pub included: bool,
    /// Lblock, the length indicator (3 until incremented).
    pub lblock: u8,
    pub missing_msbs: u8,
    /// Coding passes received so far.
    pub passes: u32,
}

/// The code-blocks of one subband inside one precinct: a `cbx`×`cby` part of the subband's code-block grid.
pub(crate) struct PrecinctBand {
    /// Index (into the code-block states) of the part's top-left code-block, and of the next row's.
    pub first: usize,
    pub stride: usize,
    pub cbx: usize,
    pub cby: usize,
    inclusion: TagTree,
    zero_planes: TagTree,
}

impl PrecinctBand {
    pub fn new(first: usize, stride: usize, cbx: usize, cby: usize) -> Self {
        PrecinctBand {
            first,
            stride,
            cbx,
            cby,
            inclusion: TagTree::new(cbx, cby),
            zero_planes: TagTree::new(cbx, cby),
        }
    }
}

/// A piece of a code-block's coded data in a packet: `passes` coding passes in `len` bytes at `start`, which start a
/// codeword segment or continue the code-block's last one.
#[derive(Clone, Copy)]
pub(crate) struct Piece {
    pub block: usize,
    pub start: usize,
    pub len: usize,
    pub passes: u32,
    pub new_segment: bool,
}

/// Read the packet of quality layer `layer` of a precinct (its subbands' code-blocks in `bands`, their states in
/// `blocks`) starting at `pos` of `data`; returns the position after its body, and after its header in
/// `headers`. Appends to `out` a piece per codeword segment (or part of one) of each code-block the packet
/// includes. `ht`: HT code-blocks (only the cleanup pass is handled); otherwise Part 1 code-blocks segmented by
/// `style`. `headers`: packed packet headers (PPM, PPT; T.800 A.7.4) and where this packet's starts — the header
/// (and its EPH marker) is read there, the body (after any SOP marker) from `data`; None: both from `data`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn read_packet(
    data: &[u8],
    pos: usize,
    headers: Option<(&[u8], usize)>,
    bands: &mut [PrecinctBand],
    layer: u32,
    blocks: &mut [BlockState],
    sop: bool,
    eph: bool,
    ht: bool,
    style: u8,
    out: &mut Vec<Piece>,
) -> Result<(usize, usize)> {
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
    let (hdata, hpos) = headers.unwrap_or((data, pos));
    let mut bits = HeaderBits::new(hdata, hpos);
    let first = out.len();
    if bits.bit()? == 1 {
        for band in bands.iter_mut() {
            for y in 0..band.cby {
                for x in 0..band.cbx {
                    let index = band.first + y * band.stride + x;
                    let state = blocks.get_mut(index).ok_or(Error::CorruptData {
                        reason: "a code-block outside its subband",
                    })?;
                    if state.included {
                        if bits.bit()? == 0 {
                            continue;
                        }
                    } else {
                        if !band.inclusion.below(&mut bits, x, y, layer + 1)? {
                            continue;
                        }
                        state.missing_msbs = band.zero_planes.value(&mut bits, x, y, 74)? as u8;
                        state.included = true;
                        state.lblock = 3;
                    }
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
                    while bits.bit()? == 1 {
                        state.lblock += 1;
                        if state.lblock > 32 {
                            return corrupt("a code-block length indicator (Lblock) over 32 bits");
                        }
                    }
                    if ht && state.passes + passes != 1 {
                        return unsupported("HT refinement passes (SigProp/MagRef)");
                    }
                    if state.passes + passes > 164 {
                        return corrupt("a code-block with more coding passes than bit-planes");
                    }
                    // One length per codeword segment the passes reach into: Lblock + ⌊log2 passes⌋ bits (B.10.7).
                    let mut pass = state.passes;
                    let end = pass + passes;
                    while pass < end {
                        let seg_end = segment_end(style, pass).min(end);
                        let n = seg_end - pass;
                        let length_bits = u32::from(state.lblock) + n.ilog2();
                        if length_bits > 32 {
                            return corrupt("a code-block length of more than 32 bits");
                        }
                        let len = bits.bits(length_bits)? as usize;
                        let new_segment = pass == 0 || segment_end(style, pass - 1) == pass;
                        out.push(Piece {
                            block: index,
                            start: 0,
                            len,
                            passes: n,
                            new_segment,
                        });
                        pass = seg_end;
                    }
                    state.passes = end;
                }
            }
        }
    }
    bits.align();
    let mut hend = bits.pos;
    if eph {
        match hdata.get(hend..hend + 2) {
            None => {
                return Err(Error::Truncated {
                    part: "before the EPH marker of a packet header",
                })
            }
            Some([0xFF, 0x92]) => hend += 2,
            Some(_) => return corrupt("a packet header without its EPH marker"),
        }
    }
    let mut pos = if headers.is_some() { pos } else { hend };
    for c in &mut out[first..] {
        c.start = pos;
        pos = pos
            .checked_add(c.len)
            .filter(|&end| end <= data.len())
            .ok_or(Error::Truncated {
                part: "inside the coded data of a code-block",
            })?;
    }
    Ok((pos, hend))
}
