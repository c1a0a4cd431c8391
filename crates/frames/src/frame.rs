//! What a decoded frame looks like once it is ready for the GPU renderer: [`FrameKey`] names it, [`FrameMeta`]
//! describes it (size, photometric interpretation after decode, the Modality LUT that was applied, windows, pixel
//! spacing, image plane, value ranges) and [`Pixels`] holds it — modality values as `f32` for monochrome images,
//! interleaved RGB8 for colour. Everything here is plain data, serde-serialisable so it can cross a Web Worker
//! boundary. This module must not decode pixel data nor apply a VOI LUT or any display transformation.
//!
//! ## Stored values for the pixel probe
//! Monochrome pixels travel as modality values (stored value × Rescale Slope + Rescale Intercept, or through the
//! Modality LUT Sequence). When the Modality LUT is linear, [`FrameMeta::stored_value`] maps a modality value back
//! to its stored value exactly (rounded for integer pixel data), so no second buffer is needed. When it is a table
//! (Modality LUT Sequence (0028,3000), not invertible), the decoder also keeps the stored values as `i32`
//! ([`Pixels::Modality::stored`]) and [`FrameMeta::has_stored_values`] says so.

use serde::{Deserialize, Serialize};
use std::fmt;

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
    /// One `f32` modality value per pixel, row by row (monochrome images).
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
            PixelFormat::ModalityF32 => {
                n.saturating_mul(if self.has_stored_values { 8 } else { 4 })
            }
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

/// The pixels of a decoded frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Pixels {
    /// Monochrome: one modality value per pixel, row by row.
    Modality {
        /// Modality values (Hounsfield units for CT).
        values: Vec<f32>,
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
                values.len() * 4 + stored.as_ref().map_or(0, |s| s.len() * 4)
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
            Pixels::Modality { values, .. } => values.get(i).copied(),
            Pixels::Rgb8(_) => None,
        }
    }

    /// The stored value of the pixel at (`column`, `row`) (monochrome only): from the stored buffer when it
    /// travelled, else by inverting the linear Modality LUT.
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
            } => self.meta.stored_value(*values.get(i)?),
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
            lumen_dicom::display::Window { width: 1.0, ..window }
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
pub fn displayed_grey(values: &[f32], window: &WindowPreset, invert: bool) -> Vec<f32> {
    values
        .iter()
        .map(|&v| {
            let y = window.unit(v as f64) as f32;
            if invert {
                1.0 - y
            } else {
                y
            }
        })
        .collect()
}

/// Interleaved RGB bytes as luma (ITU-R BT.601) in [0, 1].
pub fn rgb_luma(rgb: &[u8]) -> Vec<f32> {
    rgb.chunks_exact(3)
        .map(|p| (0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32) / 255.0)
        .collect()
}
