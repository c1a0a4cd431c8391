//! The Image Pixel Module (PS3.3 C.7.6.3) as plain Rust types: [`ImageInfo`] read from a data set, and the decoded
//! [`Frame`] holding *stored values* in a typed buffer. This module describes pixels; it must not decode
//! compressed data (see `decode`) nor apply any LUT (see `display`).

use crate::attr;
use crate::error::*;
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use snafu::prelude::*;
use std::fmt;

/// Photometric Interpretation (0028,0004), PS3.3 C.7.6.3.1.2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotometricInterpretation {
    /// Grayscale, minimum value displayed white.
    Monochrome1,
    /// Grayscale, minimum value displayed black.
    Monochrome2,
    /// Single sample used as an index into the Red, Green and Blue Palette Color LUTs.
    PaletteColor,
    /// Red, green, blue samples.
    Rgb,
    /// Full-range luminance and chrominance (CCIR 601 without headroom).
    YbrFull,
    /// YBR_FULL with chrominance subsampled horizontally by 2.
    YbrFull422,
    /// Partial-range (16..235) YCbCr with horizontal chrominance subsampling.
    YbrPartial422,
    /// Partial-range YCbCr subsampled horizontally and vertically (MPEG).
    YbrPartial420,
    /// Irreversible colour transform of JPEG 2000.
    YbrIct,
    /// Reversible colour transform of JPEG 2000.
    YbrRct,
    /// Any other value, kept verbatim (e.g. retired ARGB, HSV, CMYK).
    Other(String),
}

impl PhotometricInterpretation {
    /// Parse the defined term (padding ignored, case-sensitive as in PS3.3).
    pub fn parse(value: &str) -> Self {
        match value.trim_matches(|c: char| c == ' ' || c == '\0') {
            "MONOCHROME1" => Self::Monochrome1,
            "MONOCHROME2" => Self::Monochrome2,
            "PALETTE COLOR" => Self::PaletteColor,
            "RGB" => Self::Rgb,
            "YBR_FULL" => Self::YbrFull,
            "YBR_FULL_422" => Self::YbrFull422,
            "YBR_PARTIAL_422" => Self::YbrPartial422,
            "YBR_PARTIAL_420" => Self::YbrPartial420,
            "YBR_ICT" => Self::YbrIct,
            "YBR_RCT" => Self::YbrRct,
            other => Self::Other(other.to_string()),
        }
    }

    /// The defined term as written in the data set.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Monochrome1 => "MONOCHROME1",
            Self::Monochrome2 => "MONOCHROME2",
            Self::PaletteColor => "PALETTE COLOR",
            Self::Rgb => "RGB",
            Self::YbrFull => "YBR_FULL",
            Self::YbrFull422 => "YBR_FULL_422",
            Self::YbrPartial422 => "YBR_PARTIAL_422",
            Self::YbrPartial420 => "YBR_PARTIAL_420",
            Self::YbrIct => "YBR_ICT",
            Self::YbrRct => "YBR_RCT",
            Self::Other(s) => s,
        }
    }

    /// MONOCHROME1 or MONOCHROME2.
    pub fn is_monochrome(&self) -> bool {
        matches!(self, Self::Monochrome1 | Self::Monochrome2)
    }
}

impl fmt::Display for PhotometricInterpretation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Pixel Representation (0028,0103).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelRepresentation {
    /// 0000H: unsigned integer.
    Unsigned,
    /// 0001H: two's complement.
    Signed,
}

/// Planar Configuration (0028,0006).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanarConfiguration {
    /// 0: colour-by-pixel (R1 G1 B1 R2 G2 B2 …).
    Interleaved,
    /// 1: colour-by-plane (R1 R2 … G1 G2 … B1 B2 …).
    Planar,
}

/// Which pixel data element holds the samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelDataKind {
    /// Pixel Data (7FE0,0010): integer samples.
    Integer,
    /// Float Pixel Data (7FE0,0008): 32-bit IEEE floats.
    Float,
    /// Double Float Pixel Data (7FE0,0009): 64-bit IEEE floats.
    DoubleFloat,
}

/// Largest decoded frame accepted, in bytes (1 GiB).
pub const MAX_FRAME_BYTES: u64 = 1 << 30;

/// The Image Pixel attributes needed to decode and display a frame.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageInfo {
    /// Rows (0028,0010).
    pub rows: u16,
    /// Columns (0028,0011).
    pub columns: u16,
    /// Samples per Pixel (0028,0002).
    pub samples_per_pixel: u16,
    /// Bits Allocated (0028,0100).
    pub bits_allocated: u16,
    /// Bits Stored (0028,0101); equals Bits Allocated for float pixel data.
    pub bits_stored: u16,
    /// High Bit (0028,0102).
    pub high_bit: u16,
    /// Pixel Representation (0028,0103).
    pub pixel_representation: PixelRepresentation,
    /// Photometric Interpretation (0028,0004) as declared in the data set.
    pub photometric_interpretation: PhotometricInterpretation,
    /// Planar Configuration (0028,0006); interleaved when absent.
    pub planar_configuration: PlanarConfiguration,
    /// Number of Frames (0028,0008); 1 when absent.
    pub number_of_frames: u32,
    /// Which pixel data element is present.
    pub pixel_data_kind: PixelDataKind,
}

impl ImageInfo {
    /// Read the Image Pixel attributes of `obj`. Fails with [`Error::MissingPixelData`] when no pixel data element
    /// is present, and with a named attribute error when a required attribute is missing or out of range.
    pub fn from_object(obj: &InMemDicomObject) -> Result<Self> {
        let pixel_data_kind = if obj.get(tags::PIXEL_DATA).is_some() {
            PixelDataKind::Integer
        } else if obj.get(tags::FLOAT_PIXEL_DATA).is_some() {
            PixelDataKind::Float
        } else if obj.get(tags::DOUBLE_FLOAT_PIXEL_DATA).is_some() {
            PixelDataKind::DoubleFloat
        } else {
            return MissingPixelDataSnafu.fail();
        };
        let rows = required_u16(obj, tags::ROWS, "Rows")?;
        let columns = required_u16(obj, tags::COLUMNS, "Columns")?;
        ensure!(
            rows > 0 && columns > 0,
            UnsupportedImageSnafu {
                reason: format!("the image is empty ({rows} rows × {columns} columns)")
            }
        );
        let samples_per_pixel =
            optional_u16(obj, tags::SAMPLES_PER_PIXEL, "Samples per Pixel")?.unwrap_or(1);
        ensure!(
            samples_per_pixel == 1 || samples_per_pixel == 3,
            InvalidAttributeSnafu {
                name: "Samples per Pixel",
                tag: tags::SAMPLES_PER_PIXEL,
                reason: format!(
                    "{samples_per_pixel} samples per pixel; only 1 and 3 are supported"
                )
            }
        );
        let default_bits = match pixel_data_kind {
            PixelDataKind::Integer => None,
            PixelDataKind::Float => Some(32),
            PixelDataKind::DoubleFloat => Some(64),
        };
        let bits_allocated = match (
            optional_u16(obj, tags::BITS_ALLOCATED, "Bits Allocated")?,
            default_bits,
        ) {
            (Some(b), _) => b,
            (None, Some(b)) => b,
            (None, None) => {
                return MissingAttributeSnafu {
                    name: "Bits Allocated",
                    tag: tags::BITS_ALLOCATED,
                }
                .fail()
            }
        };
        let valid_allocation = match pixel_data_kind {
            PixelDataKind::Integer => matches!(bits_allocated, 1 | 8 | 16 | 32),
            PixelDataKind::Float => bits_allocated == 32,
            PixelDataKind::DoubleFloat => bits_allocated == 64,
        };
        ensure!(
            valid_allocation,
            InvalidAttributeSnafu {
                name: "Bits Allocated",
                tag: tags::BITS_ALLOCATED,
                reason: format!(
                    "{bits_allocated} bits is not supported for this pixel data element"
                )
            }
        );
        let bits_stored = match pixel_data_kind {
            PixelDataKind::Integer => {
                optional_u16(obj, tags::BITS_STORED, "Bits Stored")?.unwrap_or(bits_allocated)
            }
            _ => bits_allocated,
        };
        ensure!(
            bits_stored >= 1 && bits_stored <= bits_allocated,
            InvalidAttributeSnafu {
                name: "Bits Stored",
                tag: tags::BITS_STORED,
                reason: format!("{bits_stored} bits stored in a {bits_allocated}-bit container")
            }
        );
        let high_bit = match pixel_data_kind {
            PixelDataKind::Integer => {
                optional_u16(obj, tags::HIGH_BIT, "High Bit")?.unwrap_or(bits_stored - 1)
            }
            _ => bits_allocated - 1,
        };
        ensure!(
            high_bit < bits_allocated && high_bit + 1 >= bits_stored,
            InvalidAttributeSnafu {
                name: "High Bit",
                tag: tags::HIGH_BIT,
                reason: format!("high bit {high_bit} does not fit {bits_stored} bits stored in {bits_allocated} allocated")
            }
        );
        let pixel_representation =
            match optional_u16(obj, tags::PIXEL_REPRESENTATION, "Pixel Representation")? {
                None | Some(0) => PixelRepresentation::Unsigned,
                Some(1) => PixelRepresentation::Signed,
                Some(other) => {
                    return InvalidAttributeSnafu {
                        name: "Pixel Representation",
                        tag: tags::PIXEL_REPRESENTATION,
                        reason: format!("{other} is neither 0 (unsigned) nor 1 (two's complement)"),
                    }
                    .fail()
                }
            };
        let photometric_interpretation = match attr::string(obj, tags::PHOTOMETRIC_INTERPRETATION) {
            Some(pi) => PhotometricInterpretation::parse(&pi),
            None if samples_per_pixel == 1 => PhotometricInterpretation::Monochrome2,
            None => PhotometricInterpretation::Rgb,
        };
        let planar_configuration =
            match optional_u16(obj, tags::PLANAR_CONFIGURATION, "Planar Configuration")? {
                Some(1) if samples_per_pixel > 1 => PlanarConfiguration::Planar,
                _ => PlanarConfiguration::Interleaved,
            };
        // Bound one frame's size so that every per-frame offset computation fits in memory (and in a 32-bit
        // wasm address space).
        let frame_bytes = rows as u64
            * columns as u64
            * samples_per_pixel as u64
            * (bits_allocated.max(8) as u64 / 8);
        ensure!(
            frame_bytes <= MAX_FRAME_BYTES,
            UnsupportedImageSnafu {
                reason: format!("one frame would take {frame_bytes} bytes, more than the {MAX_FRAME_BYTES} supported")
            }
        );
        let number_of_frames = match attr::int(obj, tags::NUMBER_OF_FRAMES) {
            None => 1,
            Some(n) if n >= 1 && n <= u32::MAX as i64 => n as u32,
            Some(0) => 1,
            Some(n) => {
                return InvalidAttributeSnafu {
                    name: "Number of Frames",
                    tag: tags::NUMBER_OF_FRAMES,
                    reason: format!("{n} frames"),
                }
                .fail()
            }
        };
        Ok(ImageInfo {
            rows,
            columns,
            samples_per_pixel,
            bits_allocated,
            bits_stored,
            high_bit,
            pixel_representation,
            photometric_interpretation,
            planar_configuration,
            number_of_frames,
            pixel_data_kind,
        })
    }

    /// Number of pixels in one frame (Rows × Columns).
    pub fn pixels_per_frame(&self) -> usize {
        self.rows as usize * self.columns as usize
    }

    /// Whether stored values are two's complement.
    pub fn is_signed(&self) -> bool {
        self.pixel_representation == PixelRepresentation::Signed
    }
}

fn optional_u16(
    obj: &InMemDicomObject,
    tag: dicom_core::Tag,
    name: &'static str,
) -> Result<Option<u16>> {
    match attr::int(obj, tag) {
        None => {
            if obj
                .get(tag)
                .map(|e| {
                    !e.value()
                        .to_str()
                        .map(|s| s.trim().is_empty())
                        .unwrap_or(false)
                })
                .unwrap_or(false)
            {
                return InvalidAttributeSnafu {
                    name,
                    tag,
                    reason: "the value is not a number".to_string(),
                }
                .fail();
            }
            Ok(None)
        }
        Some(v) if (0..=u16::MAX as i64).contains(&v) => Ok(Some(v as u16)),
        Some(v) => InvalidAttributeSnafu {
            name,
            tag,
            reason: format!("{v} is out of range"),
        }
        .fail(),
    }
}

fn required_u16(obj: &InMemDicomObject, tag: dicom_core::Tag, name: &'static str) -> Result<u16> {
    optional_u16(obj, tag, name)?.context(MissingAttributeSnafu { name, tag })
}

/// Stored values of one frame in the smallest container matching Bits Allocated and Pixel Representation.
#[derive(Debug, Clone, PartialEq)]
pub enum Samples {
    /// Bits Allocated 1 (unpacked to 0/1) or 8, unsigned.
    U8(Vec<u8>),
    /// Bits Allocated 8, signed.
    I8(Vec<i8>),
    /// Bits Allocated 16, unsigned.
    U16(Vec<u16>),
    /// Bits Allocated 16, signed.
    I16(Vec<i16>),
    /// Bits Allocated 32, unsigned.
    U32(Vec<u32>),
    /// Bits Allocated 32, signed.
    I32(Vec<i32>),
    /// Float Pixel Data.
    F32(Vec<f32>),
    /// Double Float Pixel Data.
    F64(Vec<f64>),
}

impl Samples {
    /// Number of samples (pixels × samples per pixel).
    pub fn len(&self) -> usize {
        match self {
            Samples::U8(v) => v.len(),
            Samples::I8(v) => v.len(),
            Samples::U16(v) => v.len(),
            Samples::I16(v) => v.len(),
            Samples::U32(v) => v.len(),
            Samples::I32(v) => v.len(),
            Samples::F32(v) => v.len(),
            Samples::F64(v) => v.len(),
        }
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sample `i` as `f64`, `None` past the end.
    pub fn get(&self, i: usize) -> Option<f64> {
        match self {
            Samples::U8(v) => v.get(i).map(|&x| x as f64),
            Samples::I8(v) => v.get(i).map(|&x| x as f64),
            Samples::U16(v) => v.get(i).map(|&x| x as f64),
            Samples::I16(v) => v.get(i).map(|&x| x as f64),
            Samples::U32(v) => v.get(i).map(|&x| x as f64),
            Samples::I32(v) => v.get(i).map(|&x| x as f64),
            Samples::F32(v) => v.get(i).map(|&x| x as f64),
            Samples::F64(v) => v.get(i).copied(),
        }
    }

    /// Integer sample `i` (`None` for float data or past the end).
    pub fn get_int(&self, i: usize) -> Option<i64> {
        match self {
            Samples::U8(v) => v.get(i).map(|&x| x as i64),
            Samples::I8(v) => v.get(i).map(|&x| x as i64),
            Samples::U16(v) => v.get(i).map(|&x| x as i64),
            Samples::I16(v) => v.get(i).map(|&x| x as i64),
            Samples::U32(v) => v.get(i).map(|&x| x as i64),
            Samples::I32(v) => v.get(i).map(|&x| x as i64),
            Samples::F32(_) | Samples::F64(_) => None,
        }
    }

    /// Whether the samples are floating point (Float or Double Float Pixel Data).
    pub fn is_float(&self) -> bool {
        matches!(self, Samples::F32(_) | Samples::F64(_))
    }

    /// The samples as little-endian bytes in their container (1, 2, 4 or 8 bytes per sample).
    pub fn to_le_bytes(&self) -> Vec<u8> {
        fn flat<const N: usize, T: Copy>(v: &[T], f: impl Fn(T) -> [u8; N]) -> Vec<u8> {
            let mut out = Vec::with_capacity(v.len() * N);
            for &x in v {
                out.extend_from_slice(&f(x));
            }
            out
        }
        match self {
            Samples::U8(v) => v.clone(),
            Samples::I8(v) => flat(v, i8::to_le_bytes),
            Samples::U16(v) => flat(v, u16::to_le_bytes),
            Samples::I16(v) => flat(v, i16::to_le_bytes),
            Samples::U32(v) => flat(v, u32::to_le_bytes),
            Samples::I32(v) => flat(v, i32::to_le_bytes),
            Samples::F32(v) => flat(v, f32::to_le_bytes),
            Samples::F64(v) => flat(v, f64::to_le_bytes),
        }
    }

    /// Smallest and largest sample (ignoring NaN); `None` when empty.
    pub fn min_max(&self) -> Option<(f64, f64)> {
        let mut min = f64::INFINITY;
        let mut max = f64::NEG_INFINITY;
        for i in 0..self.len() {
            if let Some(v) = self.get(i) {
                if v < min {
                    min = v;
                }
                if v > max {
                    max = v;
                }
            }
        }
        (min <= max).then_some((min, max))
    }
}

/// One decoded frame: stored values (after decompression, bits above Bits Stored masked off and sign-extended
/// for Pixel Representation 1), colour samples interleaved.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// 0-based frame index within the object.
    pub index: u32,
    /// Rows (0028,0010).
    pub rows: u16,
    /// Columns (0028,0011).
    pub columns: u16,
    /// Samples per pixel in `samples` (3 for every colour frame, including expanded YBR_FULL_422).
    pub samples_per_pixel: u16,
    /// Bits Stored (0028,0101) of the samples.
    pub bits_stored: u16,
    /// Whether samples are two's complement (Pixel Representation 1).
    pub signed: bool,
    /// The photometric interpretation of *these* samples: JPEG baseline and JPEG 2000 colour decoders output RGB
    /// whatever the data set declares (YBR_FULL_422, YBR_ICT, YBR_RCT), and native YBR_FULL_422 is expanded to
    /// YBR_FULL.
    pub photometric_interpretation: PhotometricInterpretation,
    /// The stored values, row by row, samples interleaved.
    pub samples: Samples,
}

impl Frame {
    /// The stored value of sample `sample` of the pixel at (`column`, `row`); `None` outside the frame.
    pub fn stored_value(&self, column: u32, row: u32, sample: u16) -> Option<f64> {
        if column >= self.columns as u32
            || row >= self.rows as u32
            || sample >= self.samples_per_pixel
        {
            return None;
        }
        let i = (row as usize * self.columns as usize + column as usize)
            * self.samples_per_pixel as usize
            + sample as usize;
        self.samples.get(i)
    }
}
