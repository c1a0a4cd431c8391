//! # lumen-codec-jpeg — a pure-Rust sequential DCT JPEG decoder
//!
//! Decodes JPEG codestreams (ITU-T T.81 | ISO/IEC 10918-1) of the sequential DCT processes with Huffman coding,
//! the compression of the DICOM transfer syntaxes JPEG Baseline (Process 1, 1.2.840.10008.1.2.4.50) and JPEG
//! Extended (Process 2 & 4, 1.2.840.10008.1.2.4.51): SOF0 and SOF1 frames, 8- and 12-bit samples, 1 to 4
//! components with any integer sampling factors up to 4×4, interleaved and non-interleaved scans, several scans
//! per frame and restart markers. Progressive, lossless, hierarchical and arithmetic-coded frames and the DNL
//! marker are rejected with [`Error::Unsupported`].
//!
//! The output is byte-identical to IJG libjpeg 6b's default decode — what dcmtk's `dcmdjpeg` produces: the
//! "islow" integer IDCT (jidctint.c), "fancy" chroma upsampling (jdsample.c) and, when asked for with
//! [`ColorTransform::YCbCrToRgb`], the fixed-point YCbCr→RGB conversion of jdcolor.c.
//!
//! The crate holds no `unsafe`, never panics on input — truncated or corrupt codestreams give an [`Error`], the
//! memory needed is checked against a limit before anything is allocated, and the work done is bounded by the
//! image size — and builds for `wasm32-unknown-unknown`. It knows nothing about DICOM: the caller decides, from
//! Photometric Interpretation, whether the components are YCbCr to convert.
//!
//! ```
//! use lumen_codec_jpeg::{decode, DecodeOptions, Samples};
//! // An 8×8 grey image of value 128: SOI, DQT (all ones), SOF0, DHT (DC: one code "0" for category 0;
//! // AC: one code "0" for EOB), SOS, two zero bits (DC diff 0, EOB) padded with ones, EOI.
//! let mut jpg = vec![0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x43, 0x00];
//! jpg.extend([1u8; 64]);
//! jpg.extend([0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x08, 0x00, 0x08, 0x01, 0x01, 0x11, 0x00]);
//! jpg.extend([0xFF, 0xC4, 0x00, 0x14, 0x00, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00]);
//! jpg.extend([0xFF, 0xC4, 0x00, 0x14, 0x10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00]);
//! jpg.extend([0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0x3F, 0xFF, 0xD9]);
//! let image = decode(&jpg, &DecodeOptions::default()).unwrap();
//! assert_eq!((image.info.width, image.info.height, image.info.precision), (8, 8, 8));
//! assert_eq!(image.samples, Samples::U8(vec![128; 64]));
//! ```

mod color;
mod error;
mod huffman;
mod idct;

pub use error::{Error, Result};

use color::{Plane, Upsampler, YccTables};
use error::*;
use huffman::{extend, BitReader, HuffmanTable};
use idct::{idct_islow, IdctParams};
use snafu::prelude::*;

/// The default largest amount of memory [`decode`] may allocate for one image: 1 GiB.
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;

/// Which sequential DCT process the frame header (SOF marker) announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Process {
    /// SOF0: baseline, 8-bit samples, at most two Huffman tables of each class. (A 12-bit SOF0 frame, which
    /// T.81 does not allow, is decoded anyway, as libjpeg does.)
    Baseline,
    /// SOF1: extended sequential with Huffman coding, 8- or 12-bit samples.
    Extended,
}

/// The frame header of a codestream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameInfo {
    /// The SOF marker.
    pub process: Process,
    /// X: samples per line.
    pub width: u32,
    /// Y: number of lines.
    pub height: u32,
    /// P: sample precision in bits, 8 or 12.
    pub precision: u8,
    /// Nf: number of components, 1 to 4.
    pub components: u8,
    /// (H, V) sampling factors of each component in frame order; entries past `components` are (0, 0).
    pub sampling: [(u8, u8); 4],
}

/// What to do with the colour of three-component images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorTransform {
    /// Return the components as coded (monochrome, RGB coded without transform, or YCbCr left as is).
    #[default]
    AsCoded,
    /// The three components are Y, Cb, Cr: convert them to R, G, B as libjpeg does. Ignored unless the frame
    /// has exactly three components.
    YCbCrToRgb,
}

/// Options of [`decode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Colour conversion of three-component images.
    pub color: ColorTransform,
    /// Refuse images whose decoding needs more memory than this many bytes (output and working planes).
    pub max_bytes: u64,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            color: ColorTransform::AsCoded,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// Decoded samples, interleaved per pixel (all components of pixel 0, then pixel 1, …), lines top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Samples {
    /// For 8-bit precision.
    U8(Vec<u8>),
    /// For 12-bit precision (values 0..=4095).
    U16(Vec<u16>),
}

/// A decoded JPEG image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedImage {
    /// Size, precision and components from the frame header.
    pub info: FrameInfo,
    /// `width × height × components` samples, at full resolution (subsampled components upsampled).
    pub samples: Samples,
    /// Whether YCbCr was converted to RGB.
    pub converted_to_rgb: bool,
}

/// Coefficient index in natural (row-major) order of the k-th coefficient in zig-zag order, with libjpeg's 16
/// extra entries so that a corrupt run length cannot index past the block, padded to 128 (entries past 79 are
/// never used: they let an index masked with 127 go without a bounds check).
const NATURAL_ORDER: [usize; 128] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
    63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
    63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
    63, 63, 63, 63, 63, 63,
];

const SOF0: u8 = 0xC0;
const SOF1: u8 = 0xC1;
const DHT: u8 = 0xC4;
const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const DQT: u8 = 0xDB;
const DNL: u8 = 0xDC;
const DRI: u8 = 0xDD;

/// Whether a three-component codestream is coded as YCbCr, guessed as libjpeg guesses it when nothing else says
/// so: a JFIF (APP0) marker means YCbCr; an Adobe (APP14) marker says it with its transform flag (0: RGB); without
/// either, component ids 1, 2, 3 mean YCbCr and 'R', 'G', 'B' mean RGB; anything else is taken as YCbCr. `false`
/// for other component counts and for streams whose frame header cannot be found. For DICOM files whose
/// Photometric Interpretation says RGB although the codestream is YCbCr (written by some devices), as Cornerstone
/// and libjpeg-based viewers show them.
pub fn guess_ycbcr(data: &[u8]) -> bool {
    let mut jfif = false;
    let mut adobe_transform: Option<u8> = None;
    let mut i = 2;
    if data.len() < 4 || data[0] != 0xFF || data[1] != SOI {
        return false;
    }
    while i + 4 <= data.len() {
        if data[i] != 0xFF {
            return false;
        }
        let marker = data[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        let length = usize::from(u16::from_be_bytes([data[i + 2], data[i + 3]]));
        let Some(payload) = data.get(i + 4..i + 2 + length.max(2)) else {
            return false;
        };
        match marker {
            0xE0 if payload.starts_with(b"JFIF\0") => jfif = true,
            0xEE if payload.len() >= 12 && payload.starts_with(b"Adobe") => {
                adobe_transform = Some(payload[11])
            }
            0xC0..=0xCF if !matches!(marker, DHT | 0xC8 | 0xCC) => {
                // P, Y, X, Nf, then (id, sampling, table) per component.
                if payload.len() < 6 || payload[5] != 3 || payload.len() < 6 + 9 {
                    return false;
                }
                let ids = [payload[6], payload[9], payload[12]];
                return match (jfif, adobe_transform) {
                    (true, _) => true,
                    (false, Some(transform)) => transform != 0,
                    (false, None) => ids != [b'R', b'G', b'B'],
                };
            }
            SOS | EOI => return false,
            _ => {}
        }
        i += 2 + length;
    }
    false
}

/// Read the frame header without decoding: size, precision, components and sampling.
pub fn read_frame_info(data: &[u8]) -> Result<FrameInfo> {
    let mut parser = Parser::new(data)?;
    loop {
        let marker = parser.next_marker()?;
        match marker {
            SOF0 | SOF1 => return Ok(parser.sof(marker)?.info),
            SOS | EOI => {
                return UnexpectedMarkerSnafu {
                    marker,
                    place: "before the frame header (SOF)",
                }
                .fail()
            }
            _ => parser.other(marker)?,
        }
    }
}

/// Decode a whole codestream.
pub fn decode(data: &[u8], options: &DecodeOptions) -> Result<DecodedImage> {
    let mut parser = Parser::new(data)?;
    let mut frame: Option<Frame> = None;
    let mut scans = 0u32;
    loop {
        let marker = match parser.next_marker() {
            Ok(m) => m,
            // A missing EOI after complete scans is tolerated, as libjpeg does.
            Err(Error::Truncated { .. }) if frame.as_ref().is_some_and(Frame::complete) => EOI,
            Err(e) => return Err(e),
        };
        match marker {
            SOF0 | SOF1 => {
                ensure!(
                    frame.is_none(),
                    UnexpectedMarkerSnafu {
                        marker,
                        place: "after the frame header: a codestream holds one frame"
                    }
                );
                let header = parser.sof(marker)?;
                frame = Some(Frame::new(header, options.max_bytes)?);
            }
            SOS => {
                let frame = frame.as_mut().context(UnexpectedMarkerSnafu {
                    marker,
                    place: "before the frame header (SOF)",
                })?;
                parser.scan(frame, scans)?;
                scans += 1;
            }
            EOI => {
                let frame = frame.context(UnexpectedMarkerSnafu {
                    marker,
                    place: "before the frame header (SOF)",
                })?;
                return frame.finish(options.color);
            }
            _ => parser.other(marker)?,
        }
    }
}

/// One frame component as the SOF segment declares it.
#[derive(Debug, Clone, Copy)]
struct ComponentSpec {
    id: u8,
    h: usize,
    v: usize,
    tq: usize,
}

struct FrameHeader {
    info: FrameInfo,
    components: Vec<ComponentSpec>,
}

/// A component being decoded: its samples at its own resolution, padded to whole MCUs.
struct Component {
    spec: ComponentSpec,
    samples: Vec<u16>,
    /// Samples per padded line.
    stride: usize,
    /// ceil(width × h / hmax), ceil(height × v / vmax).
    width: usize,
    height: usize,
    decoded: bool,
}

struct Frame {
    info: FrameInfo,
    components: Vec<Component>,
    hmax: usize,
    vmax: usize,
    mcus_x: usize,
    mcus_y: usize,
}

impl Frame {
    fn new(header: FrameHeader, max_bytes: u64) -> Result<Self> {
        let info = header.info;
        let hmax = header.components.iter().map(|c| c.h).max().unwrap_or(1);
        let vmax = header.components.iter().map(|c| c.v).max().unwrap_or(1);
        let (w, h) = (info.width as u64, info.height as u64);
        let mcus_x = w.div_ceil(8 * hmax as u64);
        let mcus_y = h.div_ceil(8 * vmax as u64);
        // Memory: the padded component planes (2 bytes a sample) and the output; the upsampler's line buffers
        // are negligible.
        let mut needed =
            w * h * u64::from(info.components) * if info.precision > 8 { 2 } else { 1 };
        for c in &header.components {
            needed += mcus_x * 8 * c.h as u64 * mcus_y * 8 * c.v as u64 * 2;
        }
        let too_large = TooLargeSnafu {
            needed,
            limit: max_bytes,
        };
        ensure!(needed <= max_bytes, too_large);
        let to_usize = |v: u64| usize::try_from(v).ok().context(too_large);
        let (mcus_x, mcus_y) = (to_usize(mcus_x)?, to_usize(mcus_y)?);
        to_usize(needed)?;
        let components = header
            .components
            .iter()
            .map(|&spec| {
                let stride = mcus_x * 8 * spec.h;
                Component {
                    spec,
                    samples: vec![0; stride * mcus_y * 8 * spec.v],
                    stride,
                    width: (w * spec.h as u64).div_ceil(hmax as u64) as usize,
                    height: (h * spec.v as u64).div_ceil(vmax as u64) as usize,
                    decoded: false,
                }
            })
            .collect();
        Ok(Frame {
            info,
            components,
            hmax,
            vmax,
            mcus_x,
            mcus_y,
        })
    }

    fn complete(&self) -> bool {
        self.components.iter().all(|c| c.decoded)
    }

    /// Upsample, convert colour and interleave.
    fn finish(self, color: ColorTransform) -> Result<DecodedImage> {
        if let Some(c) = self.components.iter().find(|c| !c.decoded) {
            return TruncatedSnafu {
                part: if c.spec.id == self.components[0].spec.id {
                    "before any scan"
                } else {
                    "before every component had its scan"
                },
            }
            .fail();
        }
        let convert = color == ColorTransform::YCbCrToRgb && self.components.len() == 3;
        let samples = if self.info.precision <= 8 {
            Samples::U8(self.interleave(convert)?)
        } else {
            Samples::U16(self.interleave(convert)?)
        };
        Ok(DecodedImage {
            info: self.info,
            samples,
            converted_to_rgb: convert,
        })
    }

    /// The output samples, line by line: each component's line upsampled, then converted or interleaved.
    fn interleave<T: OutputSample>(&self, convert: bool) -> Result<Vec<T>> {
        let (width, height) = (self.info.width as usize, self.info.height as usize);
        let n = self.components.len();
        let mut planes = Vec::with_capacity(n);
        for c in &self.components {
            let plane = Plane {
                samples: &c.samples,
                stride: c.stride,
                width: c.width,
                height: c.height,
            };
            let up = Upsampler::new(c.spec.h, c.spec.v, self.hmax, self.vmax, c.width)
                .map_err(|feature| Error::Unsupported { feature })?;
            planes.push((plane, up));
        }
        let line_len = planes
            .iter()
            .map(|(p, _)| p.width * self.hmax)
            .max()
            .unwrap_or(0)
            .max(width);
        let mut lines = vec![vec![0u16; line_len]; n];
        let tables = convert.then(|| YccTables::new(self.info.precision));
        let mut out = vec![T::default(); width * height * n];
        for (y, dst) in out.chunks_exact_mut(width * n).enumerate() {
            let mut rows: [&[u16]; 4] = [&[]; 4];
            for (((plane, up), line), row) in planes.iter().zip(&mut lines).zip(&mut rows) {
                *row = &up.line(plane, y, line)[..width];
            }
            let lines = &rows[..n];
            match &tables {
                Some(t) => {
                    let (l0, l1, l2) = (&lines[0][..width], &lines[1][..width], &lines[2][..width]);
                    for (((px, &y), &cb), &cr) in dst.chunks_exact_mut(3).zip(l0).zip(l1).zip(l2) {
                        let [r, g, b] = t.rgb(y, cb, cr);
                        px[0] = T::from_u16(r);
                        px[1] = T::from_u16(g);
                        px[2] = T::from_u16(b);
                    }
                }
                None if n == 1 => {
                    for (d, &s) in dst.iter_mut().zip(&lines[0][..width]) {
                        *d = T::from_u16(s);
                    }
                }
                None => {
                    for (i, line) in lines.iter().enumerate() {
                        for (d, &s) in dst.iter_mut().skip(i).step_by(n).zip(&line[..width]) {
                            *d = T::from_u16(s);
                        }
                    }
                }
            }
        }
        Ok(out)
    }
}

/// An output sample type: u8 for 8-bit precision, u16 for 12-bit. Values are below 2^precision.
trait OutputSample: Copy + Default {
    fn from_u16(v: u16) -> Self;
}

impl OutputSample for u8 {
    #[inline(always)]
    fn from_u16(v: u16) -> Self {
        v as u8
    }
}

impl OutputSample for u16 {
    #[inline(always)]
    fn from_u16(v: u16) -> Self {
        v
    }
}

/// One component of a scan, with the tables it uses.
struct ScanComponent {
    index: usize,
    dc: usize,
    ac: usize,
}

struct Parser<'a> {
    data: &'a [u8],
    pos: usize,
    /// Quantisation tables in natural order.
    quant: [Option<[u16; 64]>; 4],
    dc: [Option<HuffmanTable>; 4],
    ac: [Option<HuffmanTable>; 4],
    restart_interval: u32,
}

impl<'a> Parser<'a> {
    fn new(data: &'a [u8]) -> Result<Self> {
        ensure!(data.starts_with(&[0xFF, SOI]), NotJpegSnafu);
        Ok(Parser {
            data,
            pos: 2,
            quant: [None; 4],
            dc: Default::default(),
            ac: Default::default(),
            restart_interval: 0,
        })
    }

    /// The next marker code. Bytes that are not a marker are skipped (libjpeg warns and does the same).
    fn next_marker(&mut self) -> Result<u8> {
        loop {
            let b = *self.data.get(self.pos).context(TruncatedSnafu {
                part: "before the EOI marker",
            })?;
            self.pos += 1;
            if b != 0xFF {
                continue;
            }
            while self.data.get(self.pos) == Some(&0xFF) {
                self.pos += 1;
            }
            let m = *self.data.get(self.pos).context(TruncatedSnafu {
                part: "inside a marker",
            })?;
            self.pos += 1;
            if m != 0x00 {
                return Ok(m);
            }
        }
    }

    /// The body of the marker segment at `pos` (after the marker), and step over it.
    fn segment(&mut self, name: &'static str) -> Result<&'a [u8]> {
        let len = self
            .data
            .get(self.pos..self.pos + 2)
            .context(TruncatedSnafu {
                part: "inside a marker segment",
            })?;
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        ensure!(
            len >= 2,
            InvalidSegmentSnafu {
                segment: name,
                reason: format!("length {len}"),
            }
        );
        let body = self
            .data
            .get(self.pos + 2..self.pos + len)
            .context(TruncatedSnafu {
                part: "inside a marker segment",
            })?;
        self.pos += len;
        Ok(body)
    }

    /// Tables, restart interval, and segments without meaning for decoding.
    fn other(&mut self, marker: u8) -> Result<()> {
        match marker {
            DQT => self.dqt(),
            DHT => self.dht(),
            DRI => {
                let body = self.segment("DRI")?;
                ensure!(
                    body.len() == 2,
                    InvalidSegmentSnafu {
                        segment: "DRI",
                        reason: format!("length {}", body.len() + 2),
                    }
                );
                self.restart_interval = u32::from(u16::from_be_bytes([body[0], body[1]]));
                Ok(())
            }
            0xC2 | 0xC6 | 0xCA | 0xCE => UnsupportedSnafu {
                feature: format!("progressive coding (SOF{})", marker - 0xC0),
            }
            .fail(),
            0xC3 | 0xC7 | 0xCB | 0xCF => UnsupportedSnafu {
                feature: format!("lossless coding (SOF{}) in this decoder", marker - 0xC0),
            }
            .fail(),
            0xC5 => UnsupportedSnafu {
                feature: "hierarchical coding (SOF5)".to_string(),
            }
            .fail(),
            0xC9 => UnsupportedSnafu {
                feature: "arithmetic coding (SOF9)".to_string(),
            }
            .fail(),
            DNL => UnsupportedSnafu {
                feature: "DNL (number of lines defined after the first scan)".to_string(),
            }
            .fail(),
            0xD0..=0xD7 | 0x01 => Ok(()), // stray RSTn or TEM: no segment
            SOI => UnexpectedMarkerSnafu {
                marker,
                place: "inside the codestream",
            }
            .fail(),
            // APPn, COM, DAC (arithmetic tables: the SOF9+ frames that use them are refused), DHP, EXP…
            _ => {
                self.segment("APPn/COM")?;
                Ok(())
            }
        }
    }

    fn dqt(&mut self) -> Result<()> {
        let mut body = self.segment("DQT")?;
        while let Some((&pq_tq, rest)) = body.split_first() {
            let (pq, tq) = (pq_tq >> 4, usize::from(pq_tq & 15));
            ensure!(
                pq <= 1 && tq <= 3,
                InvalidSegmentSnafu {
                    segment: "DQT",
                    reason: format!("precision {pq} / destination {tq}"),
                }
            );
            let size = if pq == 0 { 64 } else { 128 };
            let values = rest.get(..size).context(InvalidSegmentSnafu {
                segment: "DQT",
                reason: "shorter than its tables".to_string(),
            })?;
            let mut table = [0u16; 64];
            for k in 0..64 {
                table[NATURAL_ORDER[k]] = if pq == 0 {
                    u16::from(values[k])
                } else {
                    u16::from_be_bytes([values[2 * k], values[2 * k + 1]])
                };
            }
            self.quant[tq] = Some(table);
            body = &rest[size..];
        }
        Ok(())
    }

    fn dht(&mut self) -> Result<()> {
        let mut body = self.segment("DHT")?;
        while !body.is_empty() {
            let invalid = |reason: String| Error::InvalidSegment {
                segment: "DHT",
                reason,
            };
            let head = body
                .get(..17)
                .ok_or_else(|| invalid("shorter than its tables".to_string()))?;
            let (tc, th) = (head[0] >> 4, usize::from(head[0] & 15));
            if tc > 1 || th > 3 {
                return Err(invalid(format!("class {tc} / destination {th}")));
            }
            let mut counts = [0u8; 16];
            counts.copy_from_slice(&head[1..17]);
            let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
            let values = body
                .get(17..17 + total)
                .ok_or_else(|| invalid("shorter than its tables".to_string()))?;
            let table = HuffmanTable::new(&counts, values)?;
            if tc == 0 {
                // libjpeg's check: a DC table codes difference categories 0..=15.
                if values.iter().any(|&v| v > 15) {
                    return Err(invalid("a DC table with a category above 15".to_string()));
                }
                self.dc[th] = Some(table);
            } else {
                self.ac[th] = Some(table);
            }
            body = &body[17 + total..];
        }
        Ok(())
    }

    fn sof(&mut self, marker: u8) -> Result<FrameHeader> {
        let name = if marker == SOF0 { "SOF0" } else { "SOF1" };
        let body = self.segment(name)?;
        let invalid = |reason: String| Error::InvalidSegment {
            segment: name,
            reason,
        };
        if body.len() < 6 {
            return Err(invalid(format!("length {}", body.len() + 2)));
        }
        let precision = body[0];
        let height = u32::from(u16::from_be_bytes([body[1], body[2]]));
        let width = u32::from(u16::from_be_bytes([body[3], body[4]]));
        let nf = body[5];
        // T.81 allows only 8 bits in SOF0, but libjpeg (and so dcmdjpeg) decodes a 12-bit SOF0 frame like SOF1:
        // some encoders write one.
        if precision != 8 && precision != 12 {
            return Err(invalid(format!("{precision}-bit samples")));
        }
        ensure!(
            height > 0,
            UnsupportedSnafu {
                feature: "DNL (number of lines defined after the first scan)".to_string()
            }
        );
        if width == 0 {
            return Err(invalid("0 samples per line".to_string()));
        }
        if !(1..=4).contains(&nf) {
            return Err(invalid(format!("{nf} components")));
        }
        if body.len() != 6 + 3 * usize::from(nf) {
            return Err(invalid(format!(
                "length {} for {nf} components",
                body.len() + 2
            )));
        }
        let mut components = Vec::with_capacity(usize::from(nf));
        let mut sampling = [(0u8, 0u8); 4];
        for (i, c) in body[6..].chunks_exact(3).enumerate() {
            let (h, v, tq) = (c[1] >> 4, c[1] & 15, c[2]);
            if !(1..=4).contains(&h) || !(1..=4).contains(&v) || tq > 3 {
                return Err(invalid(format!(
                    "component {}: sampling {h}×{v}, quantisation table {tq}",
                    c[0]
                )));
            }
            if components.iter().any(|s: &ComponentSpec| s.id == c[0]) {
                return Err(invalid(format!("component id {} appears twice", c[0])));
            }
            sampling[i] = (h, v);
            components.push(ComponentSpec {
                id: c[0],
                h: usize::from(h),
                v: usize::from(v),
                tq: usize::from(tq),
            });
        }
        Ok(FrameHeader {
            info: FrameInfo {
                process: if marker == SOF0 {
                    Process::Baseline
                } else {
                    Process::Extended
                },
                width,
                height,
                precision,
                components: nf,
                sampling,
            },
            components,
        })
    }

    /// Read an SOS segment and decode its entropy-coded data into `frame`.
    fn scan(&mut self, frame: &mut Frame, scan_index: u32) -> Result<()> {
        let body = self.segment("SOS")?;
        let invalid = |reason: String| Error::InvalidSegment {
            segment: "SOS",
            reason,
        };
        let ns = usize::from(*body.first().ok_or_else(|| invalid("empty".to_string()))?);
        if !(1..=4).contains(&ns) || body.len() != 1 + 2 * ns + 3 {
            return Err(invalid(format!(
                "{ns} components in {} bytes",
                body.len() + 2
            )));
        }
        let mut comps = Vec::with_capacity(ns);
        for c in body[1..1 + 2 * ns].chunks_exact(2) {
            let index = frame
                .components
                .iter()
                .position(|fc| fc.spec.id == c[0])
                .ok_or_else(|| invalid(format!("component {} is not in the frame", c[0])))?;
            if frame.components[index].decoded
                || comps.iter().any(|s: &ScanComponent| s.index == index)
            {
                return Err(invalid(format!(
                    "component {} is coded twice (sequential JPEG codes each once)",
                    c[0]
                )));
            }
            let (dc, ac) = (usize::from(c[1] >> 4), usize::from(c[1] & 15));
            if dc > 3 || ac > 3 || self.dc[dc].is_none() || self.ac[ac].is_none() {
                return Err(invalid(format!(
                    "component {} uses Huffman tables DC{dc}/AC{ac}, which are not defined",
                    c[0]
                )));
            }
            comps.push(ScanComponent { index, dc, ac });
        }
        // Ss, Se, Ah/Al are fixed for sequential DCT; like libjpeg, other values are ignored.
        let blocks_per_mcu: usize = comps
            .iter()
            .map(|s| {
                let c = &frame.components[s.index].spec;
                c.h * c.v
            })
            .sum();
        if ns > 1 && blocks_per_mcu > 10 {
            return Err(invalid(format!(
                "{blocks_per_mcu} blocks in an MCU, more than 10"
            )));
        }
        // Latch the quantisation tables at the start of the scan, as libjpeg does.
        let mut quant = Vec::with_capacity(ns);
        for s in &comps {
            let spec = frame.components[s.index].spec;
            quant.push(self.quant[spec.tq].context(InvalidSegmentSnafu {
                segment: "SOS",
                reason: format!(
                    "component {} uses quantisation table {}, which is not defined",
                    spec.id, spec.tq
                ),
            })?);
        }
        let (mcus_x, mcus_total) = if ns == 1 {
            let c = &frame.components[comps[0].index];
            let bx = c.width.div_ceil(8);
            (bx, bx * c.height.div_ceil(8))
        } else {
            (frame.mcus_x, frame.mcus_x * frame.mcus_y)
        };
        let params = IdctParams::new(frame.info.precision);
        let restart = self.restart_interval as usize;
        let mut reader = BitReader::new(self.data, self.pos);
        let mut pred = [0i32; 4];
        // Dequantised coefficients of the block being decoded, in natural order.
        let mut block = [0i32; 64];
        for mcu in 0..mcus_total {
            let corrupt = |reason: &'static str| Error::CorruptData {
                scan: scan_index,
                mcu: mcu as u32,
                reason,
            };
            if restart > 0 && mcu > 0 && mcu % restart == 0 {
                reader.next_marker().context(TruncatedSnafu {
                    part: "where a restart marker was expected",
                })?;
                match reader.take_marker() {
                    Some(0xD0..=0xD7) => {}
                    Some(m) => {
                        return UnexpectedMarkerSnafu {
                            marker: m,
                            place: "where a restart marker (RSTn) was expected",
                        }
                        .fail()
                    }
                    None => {
                        return TruncatedSnafu {
                            part: "inside a restart marker",
                        }
                        .fail()
                    }
                }
                pred = [0; 4];
            }
            let (mx, my) = (mcu % mcus_x, mcu / mcus_x);
            for (si, s) in comps.iter().enumerate() {
                let (dc, ac) = (
                    self.dc[s.dc]
                        .as_ref()
                        .ok_or_else(|| corrupt("no DC table"))?,
                    self.ac[s.ac]
                        .as_ref()
                        .ok_or_else(|| corrupt("no AC table"))?,
                );
                let q = &quant[si];
                let comp = &mut frame.components[s.index];
                let (bh, bv) = if ns == 1 {
                    (1, 1)
                } else {
                    (comp.spec.h, comp.spec.v)
                };
                for by in 0..bv {
                    for bx in 0..bh {
                        block.fill(0);
                        reader.refill();
                        let diff = match reader.decode_fast(dc) {
                            Some((_, diff)) => diff,
                            None => {
                                let cat = reader
                                    .decode(dc)
                                    .ok_or_else(|| corrupt("invalid DC code"))?;
                                let cat = u32::from(cat);
                                extend(reader.bits(cat), cat)
                            }
                        };
                        pred[si] = pred[si].wrapping_add(diff);
                        // libjpeg keeps coefficients in 16 bits (JCOEF) and multiplies them by the table
                        // value in its IDCT; i16 × u16 fits in i32.
                        let x0 = i32::from(pred[si] as i16) * i32::from(q[0]);
                        block[0] = x0;
                        // At most 80 terms below 2^31 each: no overflow in u64.
                        let mut l1 = u64::from(x0.unsigned_abs());
                        let mut dc_only = true;
                        let mut k = 1;
                        while k < 64 {
                            reader.refill();
                            let (r, value) = match reader.decode_fast(ac) {
                                Some(rv) => rv,
                                None => {
                                    let rs = reader
                                        .decode(ac)
                                        .ok_or_else(|| corrupt("invalid AC code"))?;
                                    let (r, size) = (usize::from(rs >> 4), u32::from(rs & 15));
                                    (
                                        r,
                                        if size == 0 {
                                            0
                                        } else {
                                            extend(reader.bits(size), size)
                                        },
                                    )
                                }
                            };
                            // A size of 0 (value 0) is EOB, or ZRL with a run of 15; EXTEND never gives 0.
                            if value != 0 {
                                k += r;
                                // k < 80 (k < 64 before, a run of at most 15): the masks only spare the
                                // bounds checks.
                                let n = NATURAL_ORDER[k & 127] & 63;
                                let v = i32::from(value as i16) * i32::from(q[n]);
                                block[n] = v;
                                l1 += u64::from(v.unsigned_abs());
                                dc_only = false;
                            } else if r == 15 {
                                k += 15;
                            } else {
                                break;
                            }
                            k += 1;
                        }
                        let (x, y) = ((mx * bh + bx) * 8, (my * bv + by) * 8);
                        let stride = comp.stride;
                        let start = y * stride + x;
                        let out = comp
                            .samples
                            .get_mut(start..start + 7 * stride + 8)
                            .ok_or_else(|| corrupt("block outside the component"))?;
                        let l1 = u32::try_from(l1).unwrap_or(u32::MAX);
                        idct_islow(&block, l1, dc_only, &params, out, stride);
                    }
                }
            }
            ensure!(
                !reader.overrun(),
                TruncatedSnafu {
                    part: "inside the entropy-coded data of a scan"
                }
            );
        }
        for s in &comps {
            frame.components[s.index].decoded = true;
        }
        // Continue at the marker after the scan (skipping any stray bytes, as libjpeg does).
        self.pos = reader.next_marker().unwrap_or(self.data.len());
        Ok(())
    }
}

#[cfg(test)]
mod guess_tests {
    use super::guess_ycbcr;

    /// SOI, optional APPn segment, SOF0 with three components of the given ids.
    fn stream(app: Option<(u8, &[u8])>, ids: [u8; 3]) -> Vec<u8> {
        let mut s = vec![0xFF, 0xD8];
        if let Some((marker, payload)) = app {
            s.extend([0xFF, marker]);
            s.extend(((payload.len() + 2) as u16).to_be_bytes());
            s.extend(payload);
        }
        s.extend([0xFF, 0xC0, 0x00, 17, 8, 0, 8, 0, 8, 3]);
        for id in ids {
            s.extend([id, 0x11, 0]);
        }
        s
    }

    #[test]
    fn colour_is_guessed_as_libjpeg_does() {
        assert!(guess_ycbcr(&stream(
            Some((0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0")),
            [b'R', b'G', b'B']
        )));
        let adobe = |t: u8| [b'A', b'd', b'o', b'b', b'e', 0, 100, 0, 0, 0, 0, t];
        assert!(!guess_ycbcr(&stream(Some((0xEE, &adobe(0))), [1, 2, 3])));
        assert!(guess_ycbcr(&stream(
            Some((0xEE, &adobe(1))),
            [b'R', b'G', b'B']
        )));
        assert!(guess_ycbcr(&stream(None, [1, 2, 3])));
        assert!(!guess_ycbcr(&stream(None, [b'R', b'G', b'B'])));
        assert!(guess_ycbcr(&stream(None, [0, 1, 2])));
        // Not three components, truncated, not JPEG: no conversion.
        let mut mono = vec![
            0xFF, 0xD8, 0xFF, 0xC0, 0x00, 11, 8, 0, 8, 0, 8, 1, 1, 0x11, 0,
        ];
        assert!(!guess_ycbcr(&mono));
        mono.truncate(7);
        assert!(!guess_ycbcr(&mono));
        assert!(!guess_ycbcr(b"not a jpeg"));
        assert!(!guess_ycbcr(&[]));
    }
}
