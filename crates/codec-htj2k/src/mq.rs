//! The MQ arithmetic decoder of JPEG 2000 Part 1 (ITU-T T.800 Annex C): the probability estimation state machine
//! (Table C.2) and the decoding procedures INITDEC, DECODE, RENORMD and BYTEIN (C.3). A context is one byte:
//! its state index times two plus its more probable symbol. This module must not know about coding passes.

/// Table C.2: (Qe, NMPS, NLPS, SWITCH) per state index.
const QE_TABLE: [(u16, u8, u8, u8); 47] = [
    (0x5601, 1, 1, 1),
    (0x3401, 2, 6, 0),
    (0x1801, 3, 9, 0),
    (0x0AC1, 4, 12, 0),
    (0x0521, 5, 29, 0),
    (0x0221, 38, 33, 0),
    (0x5601, 7, 6, 1),
    (0x5401, 8, 14, 0),
    (0x4801, 9, 14, 0),
    (0x3801, 10, 14, 0),
    (0x3001, 11, 17, 0),
    (0x2401, 12, 18, 0),
    (0x1C01, 13, 20, 0),
    (0x1601, 29, 21, 0),
    (0x5601, 15, 14, 1),
    (0x5401, 16, 14, 0),
    (0x5101, 17, 15, 0),
    (0x4801, 18, 16, 0),
    (0x3801, 19, 17, 0),
    (0x3401, 20, 18, 0),
    (0x3001, 21, 19, 0),
    (0x2801, 22, 19, 0),
    (0x2401, 23, 20, 0),
    (0x2201, 24, 21, 0),
    (0x1C01, 25, 22, 0),
    (0x1801, 26, 23, 0),
    (0x1601, 27, 24, 0),
    (0x1401, 28, 25, 0),
    (0x1201, 29, 26, 0),
    (0x1101, 30, 27, 0),
    (0x0AC1, 31, 28, 0),
    (0x09C1, 32, 29, 0),
    (0x08A1, 33, 30, 0),
    (0x0521, 34, 31, 0),
    (0x0441, 35, 32, 0),
    (0x02A1, 36, 33, 0),
    (0x0221, 37, 34, 0),
    (0x0141, 38, 35, 0),
    (0x0111, 39, 36, 0),
    (0x0085, 40, 37, 0),
    (0x0049, 41, 38, 0),
    (0x0025, 42, 39, 0),
    (0x0015, 43, 40, 0),
    (0x0009, 44, 41, 0),
    (0x0005, 45, 42, 0),
    (0x0001, 45, 43, 0),
    (0x5601, 46, 46, 0),
];

/// Per context byte (`index << 1 | mps`): Qe (shifted left 16, as the decoder keeps A), and the context byte
/// after an MPS and after an LPS (the SWITCH applied). 256 entries so that any byte indexes it; the bytes above 93 are never reached.
#[derive(Clone, Copy)]
struct State {
    qe: u32,
    next_mps: u8,
    next_lps: u8,
}

const fn states() -> [State; 256] {
    let mut t = [State {
        qe: 0x5601,
        next_mps: 0,
        next_lps: 0,
    }; 256];
    let mut i = 0;
    while i < 94 {
        let (qe, nmps, nlps, switch) = QE_TABLE[i >> 1];
        let mps = (i & 1) as u8;
        t[i] = State {
            qe: (qe as u32) << 16,
            next_mps: nmps << 1 | mps,
            next_lps: nlps << 1 | (mps ^ switch),
        };
        i += 1;
    }
    t
}

static STATES: [State; 256] = states();

/// The context byte of state index `index` with MPS 0.
pub(crate) const fn context(index: u8) -> u8 {
    index << 1
}

/// The decoder over one codeword segment; bytes past its end read as FF (T.800 C.3.4: the decoder feeds 1s
/// after a marker or the end of the data).
///
/// C is kept in the high 32 bits of a 64-bit register whose low bits hold the next bytes already, so that a
/// renormalisation is one shift: `ct` counts the bits loaded past C's (at least 16 between decisions, more than
/// any renormalisation shifts; refilled past 24 when fewer), and BYTEIN places each byte where the standard's would be once those bits have
/// been shifted in.
#[derive(Clone, Copy)]
pub(crate) struct Mq<'a> {
    data: &'a [u8],
    /// Index of the last byte moved into `c`.
    pos: usize,
    /// The interval A, shifted left 16 (its bits in the high half, like C's), so that C and Qe compare without
    /// shifts.
    a: u32,
    /// C shifted left 32, and the bits loaded after it.
    c: u64,
    ct: u32,
}

impl<'a> Mq<'a> {
    /// INITDEC (C.3.5).
    pub fn new(data: &'a [u8]) -> Self {
        let mut mq = Mq {
            data,
            pos: 0,
            a: 0x8000 << 16,
            c: u64::from(data.first().copied().unwrap_or(0xFF)) << 48,
            ct: 0,
        };
        mq.fill();
        mq.c <<= 7;
        mq.ct -= 7;
        mq.fill();
        mq
    }

    #[inline(always)]
    fn byte(&self, i: usize) -> u64 {
        u64::from(self.data.get(i).copied().unwrap_or(0xFF))
    }

    /// BYTEIN (C.3.4) until more than 24 bits are loaded past C: the next byte (7 bits of it after an FF), or 1s at
    /// a marker (FF followed by a byte above 8F). The standard adds a byte at C bit 8 (9 after an FF) when `ct`
    /// reaches 0; `ct` bits earlier that is `ct` bits lower.
    #[inline(never)]
    fn fill(&mut self) {
        while self.ct <= 24 {
            let at = 40 - self.ct;
            if self.byte(self.pos) == 0xFF {
                let next = self.byte(self.pos + 1);
                if next > 0x8F {
                    self.c = self.c.wrapping_add(0xFF << at);
                    self.ct += 8;
                } else {
                    self.pos += 1;
                    self.c = self.c.wrapping_add(next << (at + 1));
                    self.ct += 7;
                }
            } else {
                self.pos += 1;
                self.c = self.c.wrapping_add(self.byte(self.pos) << at);
                self.ct += 8;
            }
        }
    }

    /// RENORMD (C.3.3): shift A and C left until A is at least 0x8000 (at most 15 bits, all loaded), then load
    /// more bytes if fewer than 16 bits are left.
    #[inline(always)]
    fn renorm(&mut self) {
        let shift = self.a.leading_zeros();
        self.a <<= shift;
        self.c <<= shift;
        self.ct -= shift;
        if self.ct < 16 {
            self.fill();
        }
    }

    /// DECODE (C.3.2) of one binary decision in context `cx`, which it updates.
    #[inline(always)]
    pub fn decode(&mut self, cx: &mut u8) -> u32 {
        let s = STATES[usize::from(*cx)];
        let mps = u32::from(*cx & 1);
        self.a -= s.qe;
        if self.c < u64::from(s.qe) << 32 {
            // LPS_EXCHANGE: the LPS sub-interval, unless it is the larger one.
            let d = if self.a < s.qe {
                *cx = s.next_mps;
                mps
            } else {
                *cx = s.next_lps;
                mps ^ 1
            };
            self.a = s.qe;
            self.renorm();
            d
        } else {
            self.c -= u64::from(s.qe) << 32;
            if self.a & 0x8000_0000 == 0 {
                // MPS_EXCHANGE.
                let d = if self.a < s.qe {
                    *cx = s.next_lps;
                    mps ^ 1
                } else {
                    *cx = s.next_mps;
                    mps
                };
                self.renorm();
                d
            } else {
                mps
            }
        }
    }
}

/// The raw (bypassed) decisions of a Part 1 code-block's arithmetic-bypass passes (T.800 D.6): the bits of the
/// segment, most significant first, 7 of the byte after an FF; past the end of the segment, 1s (as if it ended
/// with FF FF).
#[derive(Clone, Copy)]
pub(crate) struct Raw<'a> {
    data: &'a [u8],
    pos: usize,
    c: u32,
    ct: u32,
}

impl<'a> Raw<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Raw {
            data,
            pos: 0,
            c: 0,
            ct: 0,
        }
    }

    #[inline(always)]
    pub fn bit(&mut self) -> u32 {
        if self.ct == 0 {
            let b = u32::from(self.data.get(self.pos).copied().unwrap_or(0xFF));
            if self.c != 0xFF {
                self.c = b;
                self.pos += 1;
                self.ct = 8;
            } else if b <= 0x8F {
                self.c = b;
                self.pos += 1;
                self.ct = 7;
            } else {
                // A marker (or the end): 1s from here on.
                self.ct = 8;
            }
        }
        self.ct -= 1;
        (self.c >> self.ct) & 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The MQ encoder of T.800 C.2 (software conventions), to check the decoder against.
    struct Encoder {
        a: u32,
        c: u32,
        ct: u32,
        b: i32, // -1: no byte yet
        out: Vec<u8>,
    }

    impl Encoder {
        fn new() -> Self {
            Encoder {
                a: 0x8000,
                c: 0,
                ct: 12,
                b: -1,
                out: Vec::new(),
            }
        }
        fn byte_out(&mut self) {
            if self.b == 0xFF {
                self.push();
                self.b = (self.c >> 20) as i32;
                self.c &= 0xFFFFF;
                self.ct = 7;
            } else if self.c < 0x8000000 {
                self.push();
                self.b = (self.c >> 19) as i32;
                self.c &= 0x7FFFF;
                self.ct = 8;
            } else {
                self.b += 1;
                if self.b == 0xFF {
                    self.c &= 0x7FFFFFF;
                    self.push();
                    self.b = (self.c >> 20) as i32;
                    self.c &= 0xFFFFF;
                    self.ct = 7;
                } else {
                    self.push();
                    self.b = (self.c >> 19) as i32;
                    self.c &= 0x7FFFF;
                    self.ct = 8;
                }
            }
        }
        fn push(&mut self) {
            if self.b >= 0 {
                self.out.push(self.b as u8);
            }
        }
        fn renorm(&mut self) {
            loop {
                self.a <<= 1;
                self.c <<= 1;
                self.ct -= 1;
                if self.ct == 0 {
                    self.byte_out();
                }
                if self.a & 0x8000 != 0 {
                    break;
                }
            }
        }
        fn encode(&mut self, cx: &mut u8, d: u32) {
            let s = STATES[usize::from(*cx)];
            let s = State {
                qe: s.qe >> 16,
                ..s
            };
            let mps = u32::from(*cx & 1);
            if d == mps {
                self.a -= s.qe;
                if self.a & 0x8000 == 0 {
                    if self.a < s.qe {
                        self.a = s.qe;
                    } else {
                        self.c += s.qe;
                    }
                    *cx = s.next_mps;
                    self.renorm();
                } else {
                    self.c += s.qe;
                }
            } else {
                self.a -= s.qe;
                if self.a < s.qe {
                    self.c += s.qe;
                } else {
                    self.a = s.qe;
                }
                *cx = s.next_lps;
                self.renorm();
            }
        }
        fn flush(mut self) -> Vec<u8> {
            let temp = self.c + self.a;
            self.c |= 0xFFFF;
            if self.c >= temp {
                self.c -= 0x8000;
            }
            self.c <<= self.ct;
            self.byte_out();
            self.c <<= self.ct;
            self.byte_out();
            self.push();
            if self.out.last() == Some(&0xFF) {
                self.out.pop();
            }
            self.out
        }
    }

    #[test]
    fn decodes_what_the_t800_encoder_codes() {
        let mut x = 0x1234_5678u32;
        for skew in [1u32, 3, 8, 30] {
            let mut enc = Encoder::new();
            let mut ecx = [context(0), context(4), context(46), context(3)];
            let mut symbols = Vec::new();
            for i in 0..20000 {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                let d = u32::from(x % 32 < skew);
                let k = i % 4;
                symbols.push((k, d));
                enc.encode(&mut ecx[k], d);
            }
            let bytes = enc.flush();
            let mut dec = Mq::new(&bytes);
            let mut dcx = [context(0), context(4), context(46), context(3)];
            for (i, &(k, d)) in symbols.iter().enumerate() {
                assert_eq!(dec.decode(&mut dcx[k]), d, "skew {skew}, symbol {i}");
            }
        }
    }
}
