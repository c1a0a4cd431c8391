//! The one error type of `lumen-frames`. Each variant says what went wrong with a frame, a series' metadata or a
//! message between the viewer and its decode workers, in words a user or integrator understands. This module must
//! not decide what the viewer does about an error (the loading state keeps it next to the frame it belongs to).

use snafu::Snafu;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the frames layer.
#[derive(Debug, Snafu)]
#[snafu(visibility(pub(crate)))]
#[non_exhaustive]
pub enum Error {
    /// lumen-dicom could not parse or decode the instance or frame.
    #[snafu(display("{context}: {source}"))]
    Dicom {
        context: String,
        source: lumen_dicom::Error,
    },

    /// The instance metadata (DICOM JSON) cannot be used.
    #[snafu(display("invalid instance metadata: {reason}"))]
    Metadata { reason: String },

    /// A frame number outside 1..=Number of Frames (0028,0008) was asked for.
    #[snafu(display("frame number {frame_number} does not exist: the instance has {count} frame(s), numbered from 1"))]
    FrameNumber { frame_number: u32, count: u32 },

    /// The decoded frame cannot be turned into pixels for display.
    #[snafu(display("cannot prepare the frame for display: {reason}"))]
    Display { reason: String },

    /// Pixel buffers received with a decode response do not match its metadata.
    #[snafu(display("the pixel buffers do not match the frame metadata: {reason}"))]
    BufferMismatch { reason: String },

    /// The frame's transfer syntax is unknown or its media type cannot be mapped to one.
    #[snafu(display("unknown transfer syntax for a frame of media type {media_type:?}"))]
    UnknownFrameSyntax { media_type: String },
}
