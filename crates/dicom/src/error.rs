//! The one error type of `lumen-dicom`. Every variant says, in words a user or integrator understands, what is
//! wrong with the file and which DICOM attribute is involved. This module must not decide policy (what to do
//! about an error); it only describes the failure.

use dicom_core::Tag;
use snafu::Snafu;
use std::path::PathBuf;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while parsing, decoding or displaying a DICOM object.
#[derive(Debug, Snafu)]
#[snafu(visibility(pub(crate)))]
#[non_exhaustive]
pub enum Error {
    /// The file could not be read from disk.
    #[snafu(display("cannot read {}: {source}", path.display()))]
    ReadFile {
        path: PathBuf,
        source: std::io::Error,
    },

    /// The bytes are not DICOM at all (no "DICM" prefix and no recognisable first data element).
    #[snafu(display("not a DICOM file: {reason}"))]
    NotDicom { reason: String },

    /// The data ends before an element or the pixel data is complete.
    #[snafu(display("the DICOM data is truncated: {detail}"))]
    Truncated { detail: String },

    /// The data set could not be parsed for another reason.
    #[snafu(display("cannot parse the DICOM data set: {detail}"))]
    Parse { detail: String },

    /// The object has no Pixel Data (7FE0,0010), Float Pixel Data (7FE0,0008) or Double Float Pixel Data
    /// (7FE0,0009).
    #[snafu(display(
        "the data set has no pixel data: none of Pixel Data (7FE0,0010), Float Pixel Data (7FE0,0008) or Double Float Pixel Data (7FE0,0009) is present"
    ))]
    MissingPixelData,

    /// Pixel data is encoded in a transfer syntax Lumen cannot decode (yet).
    #[snafu(display("transfer syntax {uid} ({name}) is not supported yet"))]
    UnsupportedTransferSyntax { uid: String, name: String },

    /// A required image attribute is absent.
    #[snafu(display("missing attribute {name} {tag}"))]
    MissingAttribute { name: &'static str, tag: Tag },

    /// An attribute is present but its value cannot be used.
    #[snafu(display("invalid {name} {tag}: {reason}"))]
    InvalidAttribute {
        name: &'static str,
        tag: Tag,
        reason: String,
    },

    /// The combination of image attributes is valid DICOM but not something Lumen decodes.
    #[snafu(display("unsupported image: {reason}"))]
    UnsupportedImage { reason: String },

    /// A frame index beyond Number of Frames (0028,0008) was requested.
    #[snafu(display(
        "frame {index} does not exist: the image has {count} frame(s), numbered from 0"
    ))]
    FrameOutOfRange { index: u32, count: u32 },

    /// The compressed data of a frame could not be decoded.
    #[snafu(display("cannot decode frame {frame} ({syntax}): {reason}"))]
    Decode {
        frame: u32,
        syntax: String,
        reason: String,
    },

    /// A lookup table (Modality LUT, VOI LUT, Palette Color LUT) is malformed.
    #[snafu(display("invalid {lut}: {reason}"))]
    InvalidLut { lut: &'static str, reason: String },

    /// Patient geometry attributes cannot be used (missing, wrong number of values, degenerate vectors).
    #[snafu(display("invalid geometry: {reason}"))]
    Geometry { reason: String },
}
