//! Errors of the JPEG decoder. Each variant says which part of the codestream was wrong, in terms a user who
//! knows only "this image does not open" can pass on. This module must not format pixel data or hold any state.

use snafu::Snafu;

/// Why a JPEG codestream could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Snafu)]
#[snafu(visibility(pub(crate)))]
#[non_exhaustive]
pub enum Error {
    /// The data does not start with the SOI marker (FFD8).
    #[snafu(display("not a JPEG codestream: it does not start with the SOI marker (FFD8)"))]
    NotJpeg,

    /// The codestream ends before the decoder has what it needs.
    #[snafu(display("the JPEG codestream is truncated: it ends {part}"))]
    Truncated {
        /// Where the data ran out.
        part: &'static str,
    },

    /// A marker segment has a length or field that T.81 does not allow.
    #[snafu(display("the JPEG {segment} marker segment is invalid: {reason}"))]
    InvalidSegment {
        /// The segment's name (SOF0, DHT, DQT, SOS, DRI…).
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

    /// A valid JPEG feature this decoder does not implement.
    #[snafu(display("JPEG {feature} is not supported"))]
    Unsupported {
        /// The feature, as T.81 names it.
        feature: String,
    },

    /// The entropy-coded data contradicts itself.
    #[snafu(display(
        "the JPEG entropy-coded data is corrupt in MCU {mcu} of scan {scan}: {reason}"
    ))]
    CorruptData {
        /// 0-based scan index.
        scan: u32,
        /// 0-based MCU index within the scan.
        mcu: u32,
        /// What was inconsistent.
        reason: &'static str,
    },

    /// The decoded image would be larger than the caller allows.
    #[snafu(display(
        "the JPEG image needs {needed} bytes of memory to decode, more than the limit of {limit} bytes"
    ))]
    TooLarge {
        /// Memory the header asks for (output and component planes).
        needed: u64,
        /// The limit in force.
        limit: u64,
    },
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
