//! Errors of the JPEG-LS decoder. Each variant says which part of the codestream was wrong, in terms a user who
//! knows only "this image does not open" can pass on. This module must not format pixel data or hold any state.

use snafu::Snafu;

/// Why a JPEG-LS codestream could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Snafu)]
#[snafu(visibility(pub(crate)))]
#[non_exhaustive]
pub enum Error {
    /// The data does not start with the SOI marker (FFD8).
    #[snafu(display("not a JPEG-LS codestream: it does not start with the SOI marker (FFD8)"))]
    NotJpegLs,

    /// The codestream ends before the decoder has what it needs.
    #[snafu(display("the JPEG-LS codestream is truncated: it ends {part}"))]
    Truncated {
        /// Where the data ran out.
        part: &'static str,
    },

    /// A marker segment has a length or field that T.87 does not allow.
    #[snafu(display("the JPEG-LS {segment} marker segment is invalid: {reason}"))]
    InvalidSegment {
        /// The segment's name (SOF55, SOS, LSE, DRI…).
        segment: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// A marker that does not belong where it was found.
    #[snafu(display("unexpected marker FF{marker:02X} {place}"))]
    UnexpectedMarker {
        /// The second byte of the marker.
        marker: u8,
        /// Where it was found.
        place: &'static str,
    },

    /// A valid JPEG-LS feature this decoder does not implement.
    #[snafu(display("JPEG-LS {feature} is not supported"))]
    Unsupported {
        /// The feature, as T.87 names it.
        feature: String,
    },

    /// The entropy-coded data contradicts itself.
    #[snafu(display(
        "the JPEG-LS entropy-coded data is corrupt in line {line} of scan {scan}: {reason}"
    ))]
    CorruptData {
        /// 0-based scan index.
        scan: u32,
        /// 0-based line within the image.
        line: u32,
        /// What was inconsistent.
        reason: &'static str,
    },

    /// The decoded image would be larger than the caller allows.
    #[snafu(display(
        "the JPEG-LS image needs {needed} bytes of output, more than the limit of {limit} bytes"
    ))]
    TooLarge {
        /// Output size the header asks for.
        needed: u64,
        /// The limit in force.
        limit: u64,
    },
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
