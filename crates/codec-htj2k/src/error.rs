//! Errors of the HTJ2K decoder. [`Error::Unsupported`] marks valid JPEG 2000 features this decoder leaves to a
//! general one (the caller falls back); every other variant means the codestream is damaged. This module must not
//! hold any state.

use snafu::Snafu;

/// Why an HTJ2K codestream could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Snafu)]
#[snafu(visibility(pub(crate)))]
#[non_exhaustive]
pub enum Error {
    /// The data does not start with the SOC and SIZ markers (FF4F FF51).
    #[snafu(display(
        "not a JPEG 2000 codestream: it does not start with SOC and SIZ (FF4F FF51)"
    ))]
    NotJ2k,

    /// The codestream ends before the decoder has what it needs.
    #[snafu(display("the JPEG 2000 codestream is truncated: it ends {part}"))]
    Truncated {
        /// Where the data ran out.
        part: &'static str,
    },

    /// A marker segment has a length or field that the standard does not allow.
    #[snafu(display("the JPEG 2000 {segment} marker segment is invalid: {reason}"))]
    InvalidSegment {
        /// The segment's name (SIZ, COD, QCD, SOT…).
        segment: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// A valid JPEG 2000 feature this decoder does not implement: decode with a general JPEG 2000 decoder.
    #[snafu(display("{feature} is not supported by the HTJ2K decoder"))]
    Unsupported {
        /// The feature.
        feature: String,
    },

    /// A packet header or HT code-block contradicts itself.
    #[snafu(display("the JPEG 2000 coded data is corrupt: {reason}"))]
    CorruptData {
        /// What was inconsistent.
        reason: &'static str,
    },

    /// The output buffer does not have `width × height × components` samples.
    #[snafu(display("the output holds {got} samples, the image has {needed}"))]
    OutputSize {
        /// Samples of the image.
        needed: u64,
        /// Samples of the buffer given.
        got: u64,
    },

    /// A reduced-resolution decode was asked to leave out more resolution levels than the codestream has.
    #[snafu(display(
        "cannot leave out {discard} resolution levels of a JPEG 2000 codestream with {levels} decomposition levels"
    ))]
    TooManyLevels {
        /// Levels asked to leave out.
        discard: u8,
        /// Decomposition levels of the codestream.
        levels: u8,
    },

    /// The decoded image would be larger than the caller allows.
    #[snafu(display(
        "the JPEG 2000 image needs {needed} bytes of output, more than the limit of {limit} bytes"
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

pub(crate) fn unsupported<T>(feature: impl Into<String>) -> Result<T> {
    Err(Error::Unsupported {
        feature: feature.into(),
    })
}

pub(crate) fn invalid<T>(segment: &'static str, reason: impl Into<String>) -> Result<T> {
    Err(Error::InvalidSegment {
        segment,
        reason: reason.into(),
    })
}

pub(crate) fn corrupt<T>(reason: &'static str) -> Result<T> {
    Err(Error::CorruptData { reason })
}
