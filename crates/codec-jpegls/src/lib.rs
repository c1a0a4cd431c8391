//! # lumen-codec-jpegls — a pure-Rust JPEG-LS decoder
//!
//! Decodes JPEG-LS codestreams (ITU-T T.87 | ISO/IEC 14495-1), the compression of the DICOM transfer syntaxes
//! JPEG-LS Lossless (1.2.840.10008.1.2.4.80) and JPEG-LS Near-Lossless (1.2.840.10008.1.2.4.81): lossless and
//! near-lossless (NEAR > 0), 2 to 16 bits per sample, 1 to 4 components, interleave modes none, line and
//! sample, preset coding parameters (LSE id 1), oversize dimensions (LSE id 4) and restart markers.
//! Mapping tables (palettised images), point transforms, subsampled components and the HP colour transforms are
//! rejected with [`Error::Unsupported`].
//!
//! The crate holds no `unsafe`, never panics on input — truncated or corrupt codestreams give an [`Error`],
//! and the work done is bounded by the output size — and builds for `wasm32-unknown-unknown`. It knows nothing
//! about DICOM: it must not interpret Photometric Interpretation or any other data-set attribute.
//!
//! ```
//! // A 1×1 8-bit image holding the sample 0 (SOI, SOF55, SOS, one code, EOI).
//! let jls = [
//!     0xFF, 0xD8, 0xFF, 0xF7, 0x00, 0x0B, 0x08, 0x00, 0x01, 0x00, 0x01, 0x01, 0x01, 0x11, 0x00,
//!     0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0xC0, 0xFF, 0xD9,
//! ];
//! let image = lumen_codec_jpegls::decode(&jls).unwrap();
//! assert_eq!((image.info.width, image.info.height), (1, 1));
//! assert_eq!(image.samples, lumen_codec_jpegls::Samples::U8(vec![0]));
//! ```

mod bits;
mod error;
mod scan;

pub use error::{Error, Result};

use error::*;
use scan::{CodingParams, Sample, ScanLayout};
use snafu::prelude::*;

/// The default largest output [`decode`] accepts: 1 GiB.
pub const DEFAULT_MAX_OUTPUT_BYTES: u64 = 1 << 30;

/// The frame header (SOF55) of a codestream, with oversize dimensions (LSE id 4) applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameInfo {
    /// X: samples per line.
    pub width: u32,
    /// Y: number of lines.
    pub height: u32,
    /// P: sample precision in bits, 2 to 16.
    pub bits_per_sample: u8,
    /// Nf: number of components, 1 to 4.
    pub components: u8,
}

/// How the components of a scan were interleaved (the ILV field of SOS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterleaveMode {
    /// ILV = 0: one scan per component.
    None,
    /// ILV = 1: line by line.
    Line,
    /// ILV = 2: sample by sample.
    Sample,
}

/// Decoded samples, interleaved per pixel (all components of pixel 0, then pixel 1, …), lines top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Samples {
    /// For P ≤ 8.
    U8(Vec<u8>),
    /// For P > 8.
    U16(Vec<u16>),
}

/// A decoded JPEG-LS image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedImage {
    /// Size, precision and components from the frame header.
    pub info: FrameInfo,
    /// The largest NEAR of the scans: 0 when the image was coded losslessly.
    pub near: u16,
    /// Interleave mode of the (last) scan.
    pub interleave: InterleaveMode,
    /// `width × height × components` samples in 0..=MAXVAL.
    pub samples: Samples,
}

/// Read the frame header without decoding: size, precision and components.
pub fn read_frame_info(data: &[u8]) -> Result<FrameInfo> {
    let mut parser = Parser::new(data)?;
    loop {
        let marker = parser.next_marker()?;
        match marker {
            SOF55 => {
                parser.frame(marker)?;
            }
            LSE => parser.lse()?,
            SOS | EOI => {
                let frame = parser.frame.as_ref().context(UnexpectedMarkerSnafu {
                    marker,
                    place: "before the frame header (SOF55)",
                })?;
                return frame.info();
            }
            _ => parser.other(marker)?,
        }
    }
}

/// Decode a whole codestream, refusing output larger than [`DEFAULT_MAX_OUTPUT_BYTES`].
pub fn decode(data: &[u8]) -> Result<DecodedImage> {
    decode_with_limit(data, DEFAULT_MAX_OUTPUT_BYTES)
}

/// Decode a whole codestream, refusing images whose decoded samples need more than `max_output_bytes`.
pub fn decode_with_limit(data: &[u8], max_output_bytes: u64) -> Result<DecodedImage> {
    let mut parser = Parser::new(data)?;
    let mut output: Option<Output> = None;
    let mut near = 0u16;
    let mut interleave = InterleaveMode::None;
    let mut scans = 0u32;
    loop {
        let marker = parser.next_marker()?;
        match marker {
            SOF55 => parser.frame(marker)?,
            LSE => parser.lse()?,
            DRI => parser.dri()?,
            SOS => {
                let frame = parser.frame.as_ref().context(UnexpectedMarkerSnafu {
                    marker: 0xDAu8,
                    place: "before the frame header (SOF55)",
                })?;
                let info = frame.info()?;
                if output.is_none() {
                    output = Some(Output::new(&info, max_output_bytes)?);
                }
                let scan = parser.sos()?;
                let params = parser.coding_params(scan.near)?;
                let layout = ScanLayout {
                    index: scans,
                    width: info.width as usize,
                    height: info.height as usize,
                    components: &scan.positions,
                    stride: usize::from(info.components),
                    interleave: scan.interleave,
                    restart_interval: parser.restart_interval,
                };
                let start = parser.pos;
                parser.pos = match output.as_mut() {
                    Some(Output::U8(v)) => scan::decode_scan(data, start, &layout, &params, v)?,
                    Some(Output::U16(v)) => scan::decode_scan(data, start, &layout, &params, v)?,
                    None => start,
                };
                near = near.max(params.near as u16);
                interleave = match scan.interleave {
                    0 => InterleaveMode::None,
                    1 => InterleaveMode::Line,
                    _ => InterleaveMode::Sample,
                };
                scans += 1;
            }
            EOI => {
                let frame = parser.frame.as_ref().context(UnexpectedMarkerSnafu {
                    marker: 0xD9u8,
                    place: "before the frame header (SOF55)",
                })?;
                let info = frame.info()?;
                if let Some(missing) = frame.decoded.iter().position(|d| !d) {
                    return InvalidSegmentSnafu {
                        segment: "EOI",
                        reason: format!(
                            "the codestream ends before component {} was coded in a scan",
                            frame.ids.get(missing).copied().unwrap_or_default()
                        ),
                    }
                    .fail();
                }
                let samples = match output {
                    Some(Output::U8(v)) => Samples::U8(v),
                    Some(Output::U16(v)) => Samples::U16(v),
                    None => {
                        return TruncatedSnafu {
                            part: "before any scan",
                        }
                        .fail()
                    }
                };
                return Ok(DecodedImage {
                    info,
                    near,
                    interleave,
                    samples,
                });
            }
            _ => parser.other(marker)?,
        }
    }
}

const SOF55: u8 = 0xF7;
const LSE: u8 = 0xF8;
const SOS: u8 = 0xDA;
const EOI: u8 = 0xD9;
const DRI: u8 = 0xDD;

enum Output {
    U8(Vec<u8>),
    U16(Vec<u16>),
}

impl Output {
    fn new(info: &FrameInfo, limit: u64) -> Result<Self> {
        let samples = u64::from(info.width) * u64::from(info.height) * u64::from(info.components);
        let bytes_per_sample = if info.bits_per_sample <= 8 { 1 } else { 2 };
        let needed = samples * bytes_per_sample;
        ensure!(needed <= limit, TooLargeSnafu { needed, limit });
        let n = usize::try_from(samples).map_err(|_| Error::TooLarge { needed, limit })?;
        fn alloc<T: Sample>(n: usize, needed: u64, limit: u64) -> Result<Vec<T>> {
            let mut v = Vec::new();
            v.try_reserve_exact(n)
                .map_err(|_| Error::TooLarge { needed, limit })?;
            v.resize(n, T::default());
            Ok(v)
        }
        Ok(if info.bits_per_sample <= 8 {
            Output::U8(alloc(n, needed, limit)?)
        } else {
            Output::U16(alloc(n, needed, limit)?)
        })
    }
}

struct Frame {
    width: u32,
    height: u32,
    precision: u8,
    /// Component identifiers Ci, in frame order.
    ids: Vec<u8>,
    /// Whether each component has been coded in a scan.
    decoded: Vec<bool>,
}

impl Frame {
    fn info(&self) -> Result<FrameInfo> {
        ensure!(
            self.width > 0 && self.height > 0,
            InvalidSegmentSnafu {
                segment: "SOF55",
                reason: format!(
                    "the image is {}×{} and no LSE segment (id 4) gives its real size",
                    self.width, self.height
                ),
            }
        );
        Ok(FrameInfo {
            width: self.width,
            height: self.height,
            bits_per_sample: self.precision,
            components: self.ids.len() as u8,
        })
    }
}

struct ScanHeader {
    positions: Vec<usize>,
    near: i32,
    interleave: u8,
}

/// Preset coding parameters from LSE id 1; 0 means "default" (T.87 C.2.4.1.1).
#[derive(Default, Clone, Copy)]
struct Presets {
    maxval: u16,
    t1: u16,
    t2: u16,
    t3: u16,
    reset: u16,
}

struct Parser<'a> {
    data: &'a [u8],
    pos: usize,
    frame: Option<Frame>,
    presets: Presets,
    restart_interval: u32,
}

impl<'a> Parser<'a> {
    fn new(data: &'a [u8]) -> Result<Self> {
        ensure!(data.get(..2) == Some(&[0xFF, 0xD8]), NotJpegLsSnafu);
        Ok(Parser {
            data,
            pos: 2,
            frame: None,
            presets: Presets::default(),
            restart_interval: 0,
        })
    }

    /// The next marker code, skipping fill bytes (FF).
    fn next_marker(&mut self) -> Result<u8> {
        match self.data.get(self.pos) {
            Some(0xFF) => {}
            Some(_) => {
                return InvalidSegmentSnafu {
                    segment: "marker",
                    reason: format!("byte {} is not the start of a marker", self.pos),
                }
                .fail()
            }
            None => {
                return TruncatedSnafu {
                    part: "before the EOI marker",
                }
                .fail()
            }
        }
        while self.data.get(self.pos) == Some(&0xFF) {
            self.pos += 1;
        }
        let marker = *self.data.get(self.pos).context(TruncatedSnafu {
            part: "inside a marker",
        })?;
        self.pos += 1;
        Ok(marker)
    }

    /// The body of the marker segment at the current position (after its length), advancing past it.
    fn segment(&mut self, name: &'static str) -> Result<&'a [u8]> {
        let len = self
            .data
            .get(self.pos..self.pos + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
            .context(TruncatedSnafu {
                part: "inside a marker segment length",
            })?;
        ensure!(
            len >= 2,
            InvalidSegmentSnafu {
                segment: name,
                reason: format!("length {len} is less than 2"),
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

    fn frame(&mut self, _marker: u8) -> Result<()> {
        let invalid = |reason: String| Error::InvalidSegment {
            segment: "SOF55",
            reason,
        };
        ensure!(
            self.frame.is_none(),
            UnexpectedMarkerSnafu {
                marker: SOF55,
                place: "after the frame header: only one frame is allowed",
            }
        );
        let b = self.segment("SOF55")?;
        let (head, comps) = b
            .split_at_checked(6)
            .ok_or_else(|| invalid("shorter than 6 bytes".into()))?;
        let precision = head[0];
        let height = u32::from(u16::from_be_bytes([head[1], head[2]]));
        let width = u32::from(u16::from_be_bytes([head[3], head[4]]));
        let nf = head[5];
        ensure!(
            (2..=16).contains(&precision),
            InvalidSegmentSnafu {
                segment: "SOF55",
                reason: format!("sample precision P = {precision}, T.87 allows 2 to 16"),
            }
        );
        ensure!(
            (1..=4).contains(&nf),
            UnsupportedSnafu {
                feature: format!("an image with {nf} components (1 to 4 are supported)"),
            }
        );
        ensure!(
            comps.len() == 3 * usize::from(nf),
            InvalidSegmentSnafu {
                segment: "SOF55",
                reason: format!("length does not match Nf = {nf} components"),
            }
        );
        let mut ids = Vec::with_capacity(usize::from(nf));
        for c in comps.chunks_exact(3) {
            ensure!(
                c[1] == 0x11,
                UnsupportedSnafu {
                    feature: format!(
                        "a subsampled component (sampling factors {}×{})",
                        c[1] >> 4,
                        c[1] & 15
                    ),
                }
            );
            ensure!(
                !ids.contains(&c[0]),
                InvalidSegmentSnafu {
                    segment: "SOF55",
                    reason: format!("component identifier {} appears twice", c[0]),
                }
            );
            ids.push(c[0]);
        }
        self.frame = Some(Frame {
            width,
            height,
            precision,
            decoded: vec![false; ids.len()],
            ids,
        });
        Ok(())
    }

    fn lse(&mut self) -> Result<()> {
        let b = self.segment("LSE")?;
        let invalid = |reason: &str| Error::InvalidSegment {
            segment: "LSE",
            reason: reason.to_string(),
        };
        let be16 = |i: usize| b.get(i..i + 2).map(|s| u16::from_be_bytes([s[0], s[1]]));
        match b.first() {
            Some(1) => {
                ensure!(
                    b.len() == 11,
                    InvalidSegmentSnafu {
                        segment: "LSE",
                        reason: format!(
                            "preset coding parameters need 11 bytes, the segment has {}",
                            b.len()
                        ),
                    }
                );
                self.presets = Presets {
                    maxval: be16(1).unwrap_or(0),
                    t1: be16(3).unwrap_or(0),
                    t2: be16(5).unwrap_or(0),
                    t3: be16(7).unwrap_or(0),
                    reset: be16(9).unwrap_or(0),
                };
                Ok(())
            }
            Some(2) | Some(3) => UnsupportedSnafu {
                feature: "mapping tables (LSE id 2 and 3, palettised images)".to_string(),
            }
            .fail(),
            Some(4) => {
                let wxy = usize::from(
                    *b.get(1)
                        .ok_or_else(|| invalid("oversize dimensions without Wxy"))?,
                );
                ensure!(
                    (2..=4).contains(&wxy) && b.len() == 2 + 2 * wxy,
                    InvalidSegmentSnafu {
                        segment: "LSE",
                        reason: format!(
                            "oversize dimensions with Wxy = {wxy} and {} bytes",
                            b.len()
                        ),
                    }
                );
                let read = |at: usize| {
                    b.get(at..at + wxy)
                        .map(|s| s.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x)))
                        .unwrap_or(0)
                };
                let height = read(2);
                let width = read(2 + wxy);
                let frame = self
                    .frame
                    .as_mut()
                    .ok_or_else(|| invalid("oversize dimensions before the frame header"))?;
                if frame.decoded.iter().any(|&d| d) {
                    return Err(invalid("oversize dimensions after the first scan"));
                }
                frame.height = u32::try_from(height).map_err(|_| invalid("height above 2³²−1"))?;
                frame.width = u32::try_from(width).map_err(|_| invalid("width above 2³²−1"))?;
                Ok(())
            }
            Some(id) => InvalidSegmentSnafu {
                segment: "LSE",
                reason: format!("unknown parameter id {id}"),
            }
            .fail(),
            None => Err(invalid("empty segment")),
        }
    }

    fn dri(&mut self) -> Result<()> {
        let b = self.segment("DRI")?;
        ensure!(
            (2..=4).contains(&b.len()),
            InvalidSegmentSnafu {
                segment: "DRI",
                reason: format!("{} bytes of restart interval", b.len()),
            }
        );
        self.restart_interval = b.iter().fold(0u32, |acc, &x| (acc << 8) | u32::from(x));
        Ok(())
    }

    fn sos(&mut self) -> Result<ScanHeader> {
        let b = self.segment("SOS")?;
        let invalid = |reason: String| Error::InvalidSegment {
            segment: "SOS",
            reason,
        };
        let frame = self
            .frame
            .as_mut()
            .ok_or_else(|| invalid("before the frame header".into()))?;
        let ns = usize::from(*b.first().ok_or_else(|| invalid("empty segment".into()))?);
        ensure!(
            (1..=4).contains(&ns) && b.len() == 1 + 2 * ns + 3,
            InvalidSegmentSnafu {
                segment: "SOS",
                reason: format!("{} bytes for Ns = {ns} components", b.len()),
            }
        );
        let mut positions = Vec::with_capacity(ns);
        for c in b[1..1 + 2 * ns].chunks_exact(2) {
            let position =
                frame.ids.iter().position(|&id| id == c[0]).ok_or_else(|| {
                    invalid(format!("component {} is not in the frame header", c[0]))
                })?;
            ensure!(
                !frame.decoded[position],
                InvalidSegmentSnafu {
                    segment: "SOS",
                    reason: format!("component {} was already coded in an earlier scan", c[0]),
                }
            );
            ensure!(
                c[1] == 0,
                UnsupportedSnafu {
                    feature: "mapping tables (palettised images)".to_string(),
                }
            );
            frame.decoded[position] = true;
            positions.push(position);
        }
        let near = i32::from(b[1 + 2 * ns]);
        let interleave = b[2 + 2 * ns];
        let transform = b[3 + 2 * ns];
        ensure!(
            interleave <= 2,
            InvalidSegmentSnafu {
                segment: "SOS",
                reason: format!("interleave mode ILV = {interleave}, T.87 allows 0 to 2"),
            }
        );
        ensure!(
            interleave != 0 || ns == 1,
            InvalidSegmentSnafu {
                segment: "SOS",
                reason: format!("{ns} components in a non-interleaved scan"),
            }
        );
        ensure!(
            transform & 0x0F == 0,
            UnsupportedSnafu {
                feature: format!("point transform Pt = {}", transform & 0x0F),
            }
        );
        Ok(ScanHeader {
            positions,
            near,
            interleave: if ns == 1 { 0 } else { interleave },
        })
    }

    /// The coding parameters for a scan with the given NEAR: LSE presets with defaults filled in, validated.
    fn coding_params(&self, near: i32) -> Result<CodingParams> {
        let invalid = |reason: String| Error::InvalidSegment {
            segment: "LSE",
            reason,
        };
        let precision = self.frame.as_ref().map_or(8, |f| f.precision);
        let full = (1i32 << precision) - 1;
        let p = self.presets;
        let maxval = if p.maxval == 0 {
            full
        } else {
            i32::from(p.maxval)
        };
        ensure!(
            (1..=full).contains(&maxval),
            InvalidSegmentSnafu {
                segment: "LSE",
                reason: format!("MAXVAL {maxval} does not fit P = {precision} bits"),
            }
        );
        ensure!(
            near <= (maxval / 2).min(255),
            InvalidSegmentSnafu {
                segment: "SOS",
                reason: format!("NEAR = {near} is larger than MAXVAL / 2 = {}", maxval / 2),
            }
        );
        let (d1, d2, d3) = scan::default_thresholds(maxval, near);
        let pick = |v: u16, d: i32| if v == 0 { d } else { i32::from(v) };
        let (t1, t2, t3) = (pick(p.t1, d1), pick(p.t2, d2), pick(p.t3, d3));
        if !(near < t1 && t1 <= t2 && t2 <= t3 && t3 <= maxval) {
            return Err(invalid(format!(
                "thresholds T1 = {t1}, T2 = {t2}, T3 = {t3} are not ordered within NEAR + 1 = {} and MAXVAL = {maxval}",
                near + 1
            )));
        }
        let reset = if p.reset == 0 { 64 } else { i32::from(p.reset) };
        ensure!(
            (3..=maxval.max(255)).contains(&reset),
            InvalidSegmentSnafu {
                segment: "LSE",
                reason: format!("RESET = {reset} is outside 3..=max(255, MAXVAL)"),
            }
        );
        Ok(CodingParams {
            maxval,
            near,
            t1,
            t2,
            t3,
            reset,
        })
    }

    /// Any other marker: skip APPn and COM segments, reject the rest.
    fn other(&mut self, marker: u8) -> Result<()> {
        match marker {
            0xE8 => {
                // HP's colour transform travels in an APP8 "mrfx" segment; a transform other than 0 changes
                // the samples, so it must not be ignored.
                let b = self.segment("APP8")?;
                if b.starts_with(b"mrfx") && b.get(4).is_some_and(|&t| t != 0) {
                    return UnsupportedSnafu {
                        feature: format!("HP colour transform {}", b.get(4).copied().unwrap_or(0)),
                    }
                    .fail();
                }
                Ok(())
            }
            0xE0..=0xEF | 0xFE => self.segment("APPn/COM").map(|_| ()),
            0xF9 => UnsupportedSnafu {
                feature: "Part 2 extensions (SOF57)".to_string(),
            }
            .fail(),
            0xC0..=0xCF => UnsupportedSnafu {
                feature: format!(
                    "decoding of a JPEG (ISO 10918, SOF{}) frame: this is not a JPEG-LS codestream",
                    marker - 0xC0
                ),
            }
            .fail(),
            0xD8 => UnexpectedMarkerSnafu {
                marker,
                place: "inside the codestream (a second SOI)",
            }
            .fail(),
            0xD0..=0xD7 => UnexpectedMarkerSnafu {
                marker,
                place: "outside a scan with restart interval",
            }
            .fail(),
            _ => UnexpectedMarkerSnafu {
                marker,
                place: "where T.87 allows no such marker",
            }
            .fail(),
        }
    }
}
