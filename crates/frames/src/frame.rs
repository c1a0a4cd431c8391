//! What a decoded frame looks like once it is ready for the GPU renderer: [`FrameKey`] names it, [`FrameMeta`]
//! describes it (size, photometric interpretation after decode, the Modality LUT that was applied, windows, pixel
//! spacing, image plane, value ranges) and [`Pixels`] holds it — modality values ([`ModalityValues`]) for
//! monochrome images, interleaved RGB8 for colour. Everything here is plain data, serde-serialisable so it can
//! cross a Web Worker boundary. This module must not decode pixel data nor apply a VOI LUT or any display
//! transformation.
//!
//! ## Compact monochrome frames
//! A monochrome frame with 8- or 16-bit integer samples and a linear Modality LUT (Rescale Slope/Intercept, or
//! none) — every CT, MR, DX… — is held as its stored samples (`u8`/`i8`/`u16`/`i16`, as decoded) plus the slope
//! and intercept ([`ModalityValues::from_stored`], [`FrameMeta::stored_samples`] names the type): 2 bytes per
//! pixel instead of 4, so a series takes in memory what its raw pixel data takes. Modality values are computed
//! when asked for ([`ModalityValues::get`], [`ModalityValues::iter`], [`ModalityValues::to_f32`]) with exactly the
//! arithmetic the decoder used to store them (`(stored as f64 × slope + intercept) as f32`), so every consumer
//! sees the same `f32` values bit for bit. Float pixel data, 32-bit integers and Modality LUT Sequence tables keep
//! one `f32` per pixel.
//!
//! ## Stored values for the pixel probe
//! A compact frame has its stored values at hand. Otherwise, when the Modality LUT is linear,
//! [`FrameMeta::stored_value`] maps a modality value back to its stored value exactly (rounded for integer pixel
//! data). When it is a table (Modality LUT Sequence (0028,3000), not invertible), the decoder also keeps the
//! stored values as `i32` ([`Pixels::Modality::stored`]) and [`FrameMeta::has_stored_values`] says so.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

/// One frame of one instance: SOP Instance UID (0008,0018) and the 1-based frame number (as WADO-RS and the
/// Frame Number of PS3.3 count frames; single-frame instances have frame number 1).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FrameKey {
    /// SOP Instance UID (0008,0018).
    pub sop_instance_uid: String,
    /// Frame number, 1..=Number of Frames (0028,0008).
    pub frame_number: u32,
}

impl FrameKey {
    /// Frame `frame_number` (1-based) of instance `sop_instance_uid`.
    pub fn new(sop_instance_uid: impl Into<String>, frame_number: u32) -> Self {
        FrameKey {
            sop_instance_uid: sop_instance_uid.into(),
            frame_number,
        }
    }
}

impl fmt::Display for FrameKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} frame {}", self.sop_instance_uid, self.frame_number)
    }
}

/// How the pixels of a frame are laid out in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PixelFormat {
    /// One modality value per pixel, row by row (monochrome images): held as `f32`, or as the stored integer
    /// samples plus a linear Modality LUT when [`FrameMeta::stored_samples`] says so (see [`ModalityValues`]).
    ModalityF32,
    /// Three bytes R, G, B per pixel, row by row (every colour photometric interpretation after conversion).
    Rgb8,
}

/// The Modality LUT (PS3.3 C.11.1) that turned stored values into the modality values of [`Pixels::Modality`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ModalityMapping {
    /// No Modality LUT: modality values are the stored values.
    Identity,
    /// `modality = stored × slope + intercept`: Rescale Slope (0028,1053), Rescale Intercept (0028,1052).
    Rescale { slope: f64, intercept: f64 },
    /// A Modality LUT Sequence (0028,3000) table: not invertible, stored values travel alongside.
    Table {
        /// The second LUT Descriptor value: the stored value mapped to the first entry.
        first_mapped: i64,
        /// Number of entries.
        entries: usize,
    },
}

/// VOI LUT Function (0028,1056) of a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WindowFunction {
    /// LINEAR (PS3.3 C.11.2.1.2.1), the default.
    Linear,
    /// LINEAR_EXACT (C.11.2.1.3.2).
    LinearExact,
    /// SIGMOID (C.11.2.1.3.1).
    Sigmoid,
}

/// A window on modality values, as the renderer applies it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowPreset {
    /// Window Center (0028,1050), in modality units.
    pub center: f64,
    /// Window Width (0028,1051), in modality units.
    pub width: f64,
    /// VOI LUT Function (0028,1056).
    pub function: WindowFunction,
    /// Window Center & Width Explanation (0028,1055), e.g. "LUNG"; "full range" for the computed window.
    pub explanation: Option<String>,
}

/// A VOI LUT Sequence (0028,3010) table, for images that carry a table instead of (or besides) windows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoiLutTable {
    /// LUT Descriptor second value: the modality value mapped to the first entry.
    pub first_mapped: i64,
    /// Bits per entry (outputs span 0..=2^bits − 1).
    pub bits_per_entry: u16,
    /// LUT Data (0028,3006).
    pub entries: Vec<u16>,
    /// LUT Explanation (0028,3003).
    pub explanation: Option<String>,
}

/// Where the frame lies in patient space (PS3.3 C.7.6.2), LPS millimetres.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaneMeta {
    /// Image Position (Patient) (0020,0032): centre of the first transmitted pixel.
    pub position: [f64; 3],
    /// Image Orientation (Patient) (0020,0037), first three values (along a row), normalised.
    pub row_cosines: [f64; 3],
    /// Image Orientation (Patient), last three values (down a column), normalised.
    pub column_cosines: [f64; 3],
}

impl From<&lumen_dicom::geometry::ImagePlane> for PlaneMeta {
    fn from(p: &lumen_dicom::geometry::ImagePlane) -> Self {
        PlaneMeta {
            position: p.position,
            row_cosines: p.row_cosines,
            column_cosines: p.column_cosines,
        }
    }
}

/// Everything the renderer, the overlay and the pixel probe need to know about a decoded frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameMeta {
    /// Which frame this is.
    pub key: FrameKey,
    /// Rows (0028,0010).
    pub rows: u16,
    /// Columns (0028,0011).
    pub columns: u16,
    /// Layout of [`Pixels`]: monochrome → [`PixelFormat::ModalityF32`], colour → [`PixelFormat::Rgb8`].
    pub format: PixelFormat,
    /// Photometric Interpretation (0028,0004) as the data set declares it (e.g. "YBR_FULL_422").
    pub source_photometric: String,
    /// Photometric interpretation of the pixels handed over: "MONOCHROME1", "MONOCHROME2" or "RGB" (YBR
    /// converted, PALETTE COLOR expanded).
    pub photometric: String,
    /// Whether the renderer must invert the grayscale output: MONOCHROME1, or Presentation LUT Shape
    /// (2050,0020) INVERSE.
    pub invert: bool,
    /// Whether the Modality LUT has been applied to the pixels (true for every monochrome frame).
    pub modality_lut_applied: bool,
    /// The Modality LUT that was applied ([`ModalityMapping::Identity`] for colour frames).
    pub modality_lut: ModalityMapping,
    /// Units of the modality values: Rescale Type (0028,1054) or Modality LUT Type (0028,3004), e.g. "HU".
    pub units: Option<String>,
    /// The windows of the data set (Window Center/Width, per frame for enhanced objects), in file order.
    pub windows: Vec<WindowPreset>,
    /// The VOI LUT Sequence tables of the data set.
    pub voi_luts: Vec<VoiLutTable>,
    /// The window to show first: the data set's first valid window, else a LINEAR_EXACT window spanning the
    /// frame's modality range ("full range"). When `windows` is empty but `voi_luts` is not, the data set's own
    /// default is `voi_luts[0]` (PS3.3 C.11.2). Colour frames: LINEAR_EXACT 127.5/255, the identity.
    pub default_window: WindowPreset,
    /// Pixel Spacing (0028,0030) or the Pixel Measures Sequence: [between rows, between columns], mm.
    pub pixel_spacing: Option<[f64; 2]>,
    /// Image plane, when Image Position/Orientation (Patient) are present and valid.
    pub image_plane: Option<PlaneMeta>,
    /// Bits Stored (0028,0101).
    pub bits_stored: u16,
    /// Pixel Representation (0028,0103) is 1 (two's complement).
    pub signed: bool,
    /// Smallest and largest stored value in the frame (monochrome; `None` for colour or an empty frame).
    pub stored_range: Option<[f64; 2]>,
    /// Smallest and largest modality value in the frame (monochrome).
    pub modality_range: Option<[f32; 2]>,
    /// Whether [`Pixels::Modality::stored`] carries the stored values (Modality LUT Sequence tables only).
    pub has_stored_values: bool,
    /// Whether the pixel data is floating point (Float or Double Float Pixel Data): stored values are not
    /// integers.
    pub float_pixel_data: bool,
    /// For a monochrome frame held compactly (8/16-bit integer samples, linear Modality LUT): the type of its
    /// stored samples, which [`Pixels::Modality::values`] keeps instead of `f32` modality values. `None` when the
    /// frame holds one `f32` per pixel, and for colour frames.
    #[serde(default)]
    pub stored_samples: Option<StoredSampleType>,
}

impl FrameMeta {
    /// Number of pixels, Rows × Columns.
    pub fn pixel_count(&self) -> usize {
        self.rows as usize * self.columns as usize
    }

    /// Bytes the pixels of this frame take in memory (what the cache counts).
    pub fn pixel_bytes(&self) -> usize {
        let n = self.pixel_count();
        match self.format {
            PixelFormat::ModalityF32 => match self.stored_samples {
                Some(t) => n.saturating_mul(t.bytes()),
                None => n.saturating_mul(if self.has_stored_values { 8 } else { 4 }),
            },
            PixelFormat::Rgb8 => n.saturating_mul(3),
        }
    }

    /// The stored value behind a modality value, for the pixel probe: exact inverse of a linear Modality LUT
    /// (rounded to the nearest integer unless the pixel data is floating point). `None` for a Modality LUT table —
    /// read [`Pixels::Modality::stored`] instead — and for colour frames.
    pub fn stored_value(&self, modality: f32) -> Option<f64> {
        if self.format != PixelFormat::ModalityF32 {
            return None;
        }
        let m = modality as f64;
        let stored = match self.modality_lut {
            ModalityMapping::Identity => m,
            ModalityMapping::Rescale { slope, intercept } if slope != 0.0 => {
                (m - intercept) / slope
            }
            _ => return None,
        };
        Some(if self.float_pixel_data {
            stored
        } else {
            stored.round()
        })
    }
}

/// The integer type of the stored samples a compact monochrome frame keeps (Bits Allocated 8 or 16; Pixel
/// Representation 0 or 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredSampleType {
    /// Unsigned 8-bit.
    U8,
    /// Signed 8-bit.
    I8,
    /// Unsigned 16-bit.
    U16,
    /// Signed 16-bit.
    I16,
}

impl StoredSampleType {
    /// Bytes per sample.
    pub fn bytes(self) -> usize {
        match self {
            StoredSampleType::U8 | StoredSampleType::I8 => 1,
            StoredSampleType::U16 | StoredSampleType::I16 => 2,
        }
    }
}

/// The stored samples of a compact monochrome frame, row by row, as decoded (bits above Bits Stored masked off,
/// sign-extended for Pixel Representation 1).
#[derive(Debug, Clone, PartialEq)]
pub enum StoredSamples {
    /// Unsigned 8-bit samples.
    U8(Vec<u8>),
    /// Signed 8-bit samples.
    I8(Vec<i8>),
    /// Unsigned 16-bit samples.
    U16(Vec<u16>),
    /// Signed 16-bit samples.
    I16(Vec<i16>),
}

impl StoredSamples {
    /// Number of samples.
    pub fn len(&self) -> usize {
        match self {
            StoredSamples::U8(v) => v.len(),
            StoredSamples::I8(v) => v.len(),
            StoredSamples::U16(v) => v.len(),
            StoredSamples::I16(v) => v.len(),
        }
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Their type.
    pub fn sample_type(&self) -> StoredSampleType {
        match self {
            StoredSamples::U8(_) => StoredSampleType::U8,
            StoredSamples::I8(_) => StoredSampleType::I8,
            StoredSamples::U16(_) => StoredSampleType::U16,
            StoredSamples::I16(_) => StoredSampleType::I16,
        }
    }

    /// Sample `i`, `None` past the end.
    pub fn get(&self, i: usize) -> Option<i32> {
        match self {
            StoredSamples::U8(v) => v.get(i).map(|&x| x as i32),
            StoredSamples::I8(v) => v.get(i).map(|&x| x as i32),
            StoredSamples::U16(v) => v.get(i).map(|&x| x as i32),
            StoredSamples::I16(v) => v.get(i).map(|&x| x as i32),
        }
    }

    /// Bytes held in memory.
    pub fn byte_len(&self) -> usize {
        self.len() * self.sample_type().bytes()
    }
}

#[derive(Debug, Clone)]
enum Repr {
    F32(Vec<f32>),
    Stored {
        samples: StoredSamples,
        slope: f64,
        intercept: f64,
    },
}

/// The modality values of a monochrome frame, one per pixel, row by row: either held as `f32`, or computed on
/// demand from the stored integer samples and a linear Modality LUT (see the module documentation). Two values
/// are equal when they hold the same modality values, whatever their representation.
#[derive(Debug, Clone)]
pub struct ModalityValues {
    repr: Repr,
    /// The `f32` values of a compact frame, made by [`ModalityValues::as_slice`] only.
    materialized: OnceLock<Vec<f32>>,
}

/// Applies a linear Modality LUT exactly as the decoder does: in `f64`, then rounded to `f32`.
#[inline(always)]
fn rescale(stored: f64, slope: f64, intercept: f64) -> f32 {
    (stored * slope + intercept) as f32
}

impl ModalityValues {
    /// Values held as `f32` (float pixel data, 32-bit integers, Modality LUT tables).
    pub fn from_f32(values: Vec<f32>) -> Self {
        ModalityValues {
            repr: Repr::F32(values),
            materialized: OnceLock::new(),
        }
    }

    /// Values given by stored samples and a linear Modality LUT: `modality = stored × slope + intercept`
    /// (slope 1 and intercept 0 for no Modality LUT).
    pub fn from_stored(samples: StoredSamples, slope: f64, intercept: f64) -> Self {
        ModalityValues {
            repr: Repr::Stored {
                samples,
                slope,
                intercept,
            },
            materialized: OnceLock::new(),
        }
    }

    /// Number of values (pixels).
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::F32(v) => v.len(),
            Repr::Stored { samples, .. } => samples.len(),
        }
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Modality value `i`, `None` past the end.
    pub fn get(&self, i: usize) -> Option<f32> {
        match &self.repr {
            Repr::F32(v) => v.get(i).copied(),
            Repr::Stored {
                samples,
                slope,
                intercept,
            } => samples
                .get(i)
                .map(|s| rescale(s as f64, *slope, *intercept)),
        }
    }

    /// The stored samples and the linear Modality LUT `(slope, intercept)` of a compact frame; `None` when the
    /// values are held as `f32`.
    pub fn stored(&self) -> Option<(&StoredSamples, f64, f64)> {
        match &self.repr {
            Repr::F32(_) => None,
            Repr::Stored {
                samples,
                slope,
                intercept,
            } => Some((samples, *slope, *intercept)),
        }
    }

    /// The values when they are held as `f32` (no allocation); `None` for a compact frame.
    pub fn as_f32(&self) -> Option<&[f32]> {
        match &self.repr {
            Repr::F32(v) => Some(v),
            Repr::Stored { .. } => None,
        }
    }

    /// Every value, in order, computed on the fly for a compact frame.
    pub fn iter(&self) -> ModalityIter<'_> {
        let inner = match &self.repr {
            Repr::F32(v) => IterInner::F32(v.iter()),
            Repr::Stored {
                samples,
                slope,
                intercept,
            } => {
                let (slope, intercept) = (*slope, *intercept);
                match samples {
                    StoredSamples::U8(v) => IterInner::U8(v.iter(), slope, intercept),
                    StoredSamples::I8(v) => IterInner::I8(v.iter(), slope, intercept),
                    StoredSamples::U16(v) => IterInner::U16(v.iter(), slope, intercept),
                    StoredSamples::I16(v) => IterInner::I16(v.iter(), slope, intercept),
                }
            }
        };
        ModalityIter(inner)
    }

    /// Writes every value into `out` (cleared first): what a GPU upload or an AI input takes, into a buffer the
    /// caller reuses.
    pub fn write_f32(&self, out: &mut Vec<f32>) {
        out.clear();
        out.reserve(self.len());
        match &self.repr {
            Repr::F32(v) => out.extend_from_slice(v),
            Repr::Stored {
                samples,
                slope,
                intercept,
            } => {
                let (m, b) = (*slope, *intercept);
                match samples {
                    StoredSamples::U8(v) => out.extend(v.iter().map(|&s| rescale(s as f64, m, b))),
                    StoredSamples::I8(v) => out.extend(v.iter().map(|&s| rescale(s as f64, m, b))),
                    StoredSamples::U16(v) => out.extend(v.iter().map(|&s| rescale(s as f64, m, b))),
                    StoredSamples::I16(v) => out.extend(v.iter().map(|&s| rescale(s as f64, m, b))),
                }
            }
        }
    }

    /// The values as one `f32` slice: borrowed when held as `f32`, else computed into a new vector that the caller
    /// owns (and drops) — nothing is kept in the frame.
    pub fn to_f32(&self) -> Cow<'_, [f32]> {
        match &self.repr {
            Repr::F32(v) => Cow::Borrowed(v),
            Repr::Stored { .. } => {
                let mut out = Vec::new();
                self.write_f32(&mut out);
                Cow::Owned(out)
            }
        }
    }

    /// The values as a `&[f32]` for callers that need a slice living as long as the frame. For a compact frame
    /// this computes the `f32` values once and **keeps them in the frame** (4 more bytes per pixel, counted by
    /// [`ModalityValues::byte_len`] but not by a cache that counted the frame before): prefer
    /// [`ModalityValues::to_f32`], [`ModalityValues::iter`] or [`ModalityValues::write_f32`].
    pub fn as_slice(&self) -> &[f32] {
        match &self.repr {
            Repr::F32(v) => v,
            Repr::Stored { .. } => self.materialized.get_or_init(|| {
                let mut out = Vec::new();
                self.write_f32(&mut out);
                out
            }),
        }
    }

    /// The representation, moved out (what the worker protocol sends).
    pub fn into_parts(self) -> ModalityParts {
        match self.repr {
            Repr::F32(v) => ModalityParts::F32(v),
            Repr::Stored {
                samples,
                slope,
                intercept,
            } => ModalityParts::Stored {
                samples,
                slope,
                intercept,
            },
        }
    }

    /// The smallest and largest value (ignoring NaN); `None` when empty or all NaN.
    pub fn min_max(&self) -> Option<[f32; 2]> {
        let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
        for v in self.iter() {
            if v < lo {
                lo = v;
            }
            if v > hi {
                hi = v;
            }
        }
        (lo <= hi).then_some([lo, hi])
    }

    /// Bytes held in memory: the samples (or `f32` values), plus `f32` values made by
    /// [`ModalityValues::as_slice`].
    pub fn byte_len(&self) -> usize {
        let own = match &self.repr {
            Repr::F32(v) => v.len() * 4,
            Repr::Stored { samples, .. } => samples.byte_len(),
        };
        own + self.materialized.get().map_or(0, |v| v.len() * 4)
    }
}

/// The representation of [`ModalityValues`], moved out by [`ModalityValues::into_parts`].
#[derive(Debug, Clone, PartialEq)]
pub enum ModalityParts {
    /// One `f32` modality value per pixel.
    F32(Vec<f32>),
    /// Stored samples and the linear Modality LUT that maps them.
    Stored {
        samples: StoredSamples,
        slope: f64,
        intercept: f64,
    },
}

impl From<Vec<f32>> for ModalityValues {
    fn from(values: Vec<f32>) -> Self {
        ModalityValues::from_f32(values)
    }
}

impl PartialEq for ModalityValues {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl PartialEq<[f32]> for ModalityValues {
    fn eq(&self, other: &[f32]) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter().copied())
    }
}

impl PartialEq<Vec<f32>> for ModalityValues {
    fn eq(&self, other: &Vec<f32>) -> bool {
        *self == other[..]
    }
}

#[derive(Debug, Clone)]
enum IterInner<'a> {
    F32(std::slice::Iter<'a, f32>),
    U8(std::slice::Iter<'a, u8>, f64, f64),
    I8(std::slice::Iter<'a, i8>, f64, f64),
    U16(std::slice::Iter<'a, u16>, f64, f64),
    I16(std::slice::Iter<'a, i16>, f64, f64),
}

/// Iterator over the modality values of a frame ([`ModalityValues::iter`]).
#[derive(Debug, Clone)]
pub struct ModalityIter<'a>(IterInner<'a>);

impl Iterator for ModalityIter<'_> {
    type Item = f32;

    #[inline]
    fn next(&mut self) -> Option<f32> {
        match &mut self.0 {
            IterInner::F32(it) => it.next().copied(),
            IterInner::U8(it, m, b) => it.next().map(|&s| rescale(s as f64, *m, *b)),
            IterInner::I8(it, m, b) => it.next().map(|&s| rescale(s as f64, *m, *b)),
            IterInner::U16(it, m, b) => it.next().map(|&s| rescale(s as f64, *m, *b)),
            IterInner::I16(it, m, b) => it.next().map(|&s| rescale(s as f64, *m, *b)),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = match &self.0 {
            IterInner::F32(it) => it.len(),
            IterInner::U8(it, ..) => it.len(),
            IterInner::I8(it, ..) => it.len(),
            IterInner::U16(it, ..) => it.len(),
            IterInner::I16(it, ..) => it.len(),
        };
        (n, Some(n))
    }
}

impl ExactSizeIterator for ModalityIter<'_> {}

/// Anything that gives modality values in pixel order: `[f32]`, `Vec<f32>` and [`ModalityValues`] (what
/// [`displayed_grey`] takes).
pub trait ModalitySource {
    /// Number of values.
    fn value_count(&self) -> usize;
    /// Calls `f` with every value, in order.
    fn for_each_value<F: FnMut(f32)>(&self, f: F);
}

impl ModalitySource for [f32] {
    fn value_count(&self) -> usize {
        self.len()
    }
    fn for_each_value<F: FnMut(f32)>(&self, f: F) {
        self.iter().copied().for_each(f)
    }
}

impl ModalitySource for Vec<f32> {
    fn value_count(&self) -> usize {
        self.len()
    }
    fn for_each_value<F: FnMut(f32)>(&self, f: F) {
        self.iter().copied().for_each(f)
    }
}

impl ModalitySource for ModalityValues {
    fn value_count(&self) -> usize {
        self.len()
    }
    fn for_each_value<F: FnMut(f32)>(&self, f: F) {
        self.iter().for_each(f)
    }
}

/// The pixels of a decoded frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Pixels {
    /// Monochrome: one modality value per pixel, row by row.
    Modality {
        /// Modality values (Hounsfield units for CT): held as `f32` or as stored samples plus a linear Modality
        /// LUT (see [`ModalityValues`]).
        values: ModalityValues,
        /// Stored values, only when the Modality LUT is a table ([`FrameMeta::has_stored_values`]).
        stored: Option<Vec<i32>>,
    },
    /// Colour: R, G, B bytes per pixel, row by row.
    Rgb8(Vec<u8>),
}

impl Pixels {
    /// Bytes held in memory.
    pub fn byte_len(&self) -> usize {
        match self {
            Pixels::Modality { values, stored } => {
                values.byte_len() + stored.as_ref().map_or(0, |s| s.len() * 4)
            }
            Pixels::Rgb8(v) => v.len(),
        }
    }
}

/// A frame ready for the renderer: its description and its pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedFrame {
    /// What the pixels are.
    pub meta: FrameMeta,
    /// The pixels.
    pub pixels: Pixels,
}

impl DecodedFrame {
    /// The modality value of the pixel at (`column`, `row`) (monochrome only).
    pub fn modality_value(&self, column: u32, row: u32) -> Option<f32> {
        let i = self.index(column, row)?;
        match &self.pixels {
            Pixels::Modality { values, .. } => values.get(i),
            Pixels::Rgb8(_) => None,
        }
    }

    /// The stored value of the pixel at (`column`, `row`) (monochrome only): the stored sample of a compact frame,
    /// from the stored buffer when it travelled, else by inverting the linear Modality LUT.
    pub fn stored_value(&self, column: u32, row: u32) -> Option<f64> {
        let i = self.index(column, row)?;
        match &self.pixels {
            Pixels::Modality {
                stored: Some(stored),
                ..
            } => stored.get(i).map(|&v| v as f64),
            Pixels::Modality {
                values,
                stored: None,
            } => match values.stored() {
                Some((samples, ..)) => samples.get(i).map(|s| s as f64),
                None => self.meta.stored_value(values.get(i)?),
            },
            Pixels::Rgb8(_) => None,
        }
    }

    /// The RGB colour of the pixel at (`column`, `row`) (colour only).
    pub fn rgb(&self, column: u32, row: u32) -> Option<[u8; 3]> {
        let i = self.index(column, row)?;
        match &self.pixels {
            Pixels::Rgb8(v) => Some([*v.get(i * 3)?, *v.get(i * 3 + 1)?, *v.get(i * 3 + 2)?]),
            Pixels::Modality { .. } => None,
        }
    }

    fn index(&self, column: u32, row: u32) -> Option<usize> {
        (column < self.meta.columns as u32 && row < self.meta.rows as u32)
            .then(|| row as usize * self.meta.columns as usize + column as usize)
    }
}

impl WindowPreset {
    /// Maps modality value `x` to [0, 1] with the window's function (PS3.3 C.11.2.1.2 / C.11.2.1.3).
    pub fn unit(&self, x: f64) -> f64 {
        let function = match self.function {
            WindowFunction::Linear => lumen_dicom::display::VoiLutFunction::Linear,
            WindowFunction::LinearExact => lumen_dicom::display::VoiLutFunction::LinearExact,
            WindowFunction::Sigmoid => lumen_dicom::display::VoiLutFunction::Sigmoid,
        };
        let window = lumen_dicom::display::Window {
            center: self.center,
            width: self.width,
            function,
            explanation: None,
        };
        // A width the function does not allow (e.g. LINEAR below 1) is treated as the narrowest allowed one.
        let window = if window.is_valid() {
            window
        } else {
            lumen_dicom::display::Window {
                width: 1.0,
                ..window
            }
        };
        window.apply(x, 0.0, 1.0)
    }
}

impl DecodedFrame {
    /// The frame as displayed in grey levels [0, 1], row by row: see [`displayed_grey`].
    pub fn displayed_grey(&self, window: &WindowPreset) -> Vec<f32> {
        match &self.pixels {
            Pixels::Modality { values, .. } => displayed_grey(values, window, self.meta.invert),
            Pixels::Rgb8(rgb) => rgb_luma(rgb),
        }
    }
}

/// Monochrome modality values as displayed, in grey levels [0, 1]: through `window` and, when `invert`
/// (MONOCHROME1 or an INVERSE presentation), inverted — bright bone either way. What the AI models take as input
/// ("displayed grey").
pub fn displayed_grey<V: ModalitySource + ?Sized>(
    values: &V,
    window: &WindowPreset,
    invert: bool,
) -> Vec<f32> {
    let mut out = Vec::with_capacity(values.value_count());
    values.for_each_value(|v| {
        let y = window.unit(v as f64) as f32;
        out.push(if invert { 1.0 - y } else { y });
    });
    out
}

/// Interleaved RGB bytes as luma (ITU-R BT.601) in [0, 1].
pub fn rgb_luma(rgb: &[u8]) -> Vec<f32> {
    rgb.chunks_exact(3)
        .map(|p| (0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32) / 255.0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every 16-bit stored value, under an awkward rescale, gives the very `f32` the decoder used to store: the
    /// GPU upload, the probe and the AI input see the same numbers as before.
    #[test]
    fn compact_values_equal_the_f32_values_bit_for_bit() {
        let (slope, intercept) = (0.37, -1024.3);
        let signed: Vec<i16> = (i16::MIN..=i16::MAX).collect();
        let unsigned: Vec<u16> = (0..=u16::MAX).collect();
        let expect_i: Vec<f32> = signed
            .iter()
            .map(|&s| (s as f64 * slope + intercept) as f32)
            .collect();
        let expect_u: Vec<f32> = unsigned
            .iter()
            .map(|&s| (s as f64 * slope + intercept) as f32)
            .collect();
        let vi = ModalityValues::from_stored(StoredSamples::I16(signed), slope, intercept);
        let vu = ModalityValues::from_stored(StoredSamples::U16(unsigned), slope, intercept);
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&vi.to_f32()), bits(&expect_i));
        assert_eq!(bits(&vu.to_f32()), bits(&expect_u));
        assert_eq!(bits(&vi.iter().collect::<Vec<_>>()), bits(&expect_i));
        assert_eq!(vi.get(70_000), None);
        assert_eq!(vi.get(0).map(f32::to_bits), Some(expect_i[0].to_bits()));
        // Half the bytes of f32 values.
        assert_eq!(vi.byte_len(), 65_536 * 2);
        assert_eq!(vi.min_max(), Some([expect_i[0], expect_i[65_535]]));
        // The same values, whatever the representation, are equal.
        assert_eq!(vi, ModalityValues::from_f32(expect_i.clone()));
        assert_ne!(vi, vu);
    }

    #[test]
    fn eight_bit_samples_without_a_modality_lut_are_their_own_values() {
        let v = ModalityValues::from_stored(StoredSamples::I8(vec![-128, 0, 127]), 1.0, 0.0);
        assert_eq!(v.to_f32().as_ref(), &[-128.0, 0.0, 127.0]);
        assert_eq!(v.byte_len(), 3);
        let u = ModalityValues::from_stored(StoredSamples::U8(vec![0, 255]), 2.0, 1.0);
        assert_eq!(u, vec![1.0, 511.0]);
    }

    #[test]
    fn f32_values_are_borrowed_and_compact_ones_computed_only_on_request() {
        let f = ModalityValues::from_f32(vec![1.5, -2.0]);
        assert!(matches!(f.to_f32(), Cow::Borrowed(_)));
        assert_eq!(f.as_f32(), Some(&[1.5f32, -2.0][..]));
        assert_eq!(f.byte_len(), 8);
        let c = ModalityValues::from_stored(StoredSamples::U16(vec![1, 2]), 1.0, -1.0);
        assert!(matches!(c.to_f32(), Cow::Owned(_)));
        assert_eq!(c.as_f32(), None);
        // to_f32 keeps nothing; the compatibility slice does, and is counted.
        assert_eq!(c.byte_len(), 4);
        assert_eq!(c.as_slice(), &[0.0, 1.0]);
        assert_eq!(c.byte_len(), 4 + 8);
        let mut out = vec![9.0; 7];
        c.write_f32(&mut out);
        assert_eq!(out, vec![0.0, 1.0]);
    }

    #[test]
    fn displayed_grey_is_the_same_from_f32_and_from_stored_samples() {
        let window = WindowPreset {
            center: 40.0,
            width: 400.0,
            function: WindowFunction::Linear,
            explanation: None,
        };
        let samples: Vec<i16> = (-200..1200).step_by(7).collect();
        let compact = ModalityValues::from_stored(StoredSamples::I16(samples), 1.0, -1024.0);
        let floats = compact.to_f32().into_owned();
        assert_eq!(
            displayed_grey(&compact, &window, true),
            displayed_grey(&floats, &window, true)
        );
        assert_eq!(
            displayed_grey(&compact, &window, false),
            displayed_grey(floats.as_slice(), &window, false)
        );
    }
}
