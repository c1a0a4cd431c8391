//! Errors of the folder store, each carrying what a user or integrator needs to act on it (the file, the UID, the
//! query parameter). [`Error::kind`] sorts them into the few classes an HTTP layer maps to status codes; this module
//! must not know those codes itself.

use snafu::Snafu;
use std::path::PathBuf;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while indexing, searching, reading or storing.
#[derive(Debug, Snafu)]
#[snafu(visibility(pub(crate)))]
pub enum Error {
    /// The store's root folder cannot be created or listed.
    #[snafu(display("cannot open the DICOM folder {}: {source}", path.display()))]
    OpenFolder {
        path: PathBuf,
        source: std::io::Error,
    },

    /// A file of the store cannot be read back (removed or changed since indexing?).
    #[snafu(display("cannot read {}: {source}", path.display()))]
    ReadFile {
        path: PathBuf,
        source: std::io::Error,
    },

    /// A file of the store no longer parses as DICOM.
    #[snafu(display("{} is not a readable DICOM file: {source}", path.display()))]
    ParseFile {
        path: PathBuf,
        source: Box<dicom_object::ReadError>,
    },

    /// A file indexed as a bare data set (no File Meta Information) no longer parses.
    #[snafu(display("{} is not a readable DICOM data set: {reason}", path.display()))]
    ParseBareDataSet { path: PathBuf, reason: String },

    /// Uploaded bytes are not a DICOM Part 10 file.
    #[snafu(display("not a DICOM Part 10 file: {reason}"))]
    NotPart10 { reason: String },

    /// An uploaded instance lacks one of the UIDs that identify it.
    #[snafu(display("the instance has no {attribute}, so it cannot be stored"))]
    MissingUid { attribute: &'static str },

    /// A UID is not made of digits and dots, or is longer than 64 characters (PS3.5 9.1).
    #[snafu(display(
        "{attribute} \"{value}\" is not a valid UID (digits and dots, at most 64 characters)"
    ))]
    InvalidUid {
        attribute: &'static str,
        value: String,
    },

    /// The target study of a STOW-RS request differs from the instance's Study Instance UID.
    #[snafu(display("the instance belongs to study {found}, not to the target study {expected}"))]
    StudyMismatch { expected: String, found: String },

    /// Writing a received instance to disk failed; nothing partial is left behind.
    #[snafu(display("cannot write {}: {source}", path.display()))]
    WriteFile {
        path: PathBuf,
        source: std::io::Error,
    },

    /// No study, series or instance with this UID is in the store.
    #[snafu(display("{what} not found"))]
    NotFound { what: String },

    /// A requested frame number is outside 1..=Number of Frames.
    #[snafu(display(
        "frame {frame} does not exist: the instance has {frames} frame(s), numbered from 1"
    ))]
    FrameOutOfRange { frame: u32, frames: u32 },

    /// The instance has no Pixel Data, so it has no frames.
    #[snafu(display("instance {sop_instance_uid} has no pixel data"))]
    NoPixelData { sop_instance_uid: String },

    /// The pixel data cannot be cut into frames (inconsistent attributes or fragments).
    #[snafu(display("cannot extract frames of instance {sop_instance_uid}: {reason}"))]
    BadPixelData {
        sop_instance_uid: String,
        reason: String,
    },

    /// None of the transfer syntaxes the client accepts can be produced from the stored one.
    #[snafu(display(
        "the instance is stored as {stored}; it cannot be sent in any accepted transfer syntax ({accepted})"
    ))]
    NotAcceptable { stored: String, accepted: String },

    /// Re-encoding a data set in another transfer syntax failed.
    #[snafu(display("cannot re-encode instance {sop_instance_uid}: {reason}"))]
    Encode {
        sop_instance_uid: String,
        reason: String,
    },

    /// A query parameter names no DICOM attribute (neither a keyword such as `PatientName` nor a tag `00100010`).
    #[snafu(display("unknown query parameter \"{key}\": not a DICOM attribute keyword or tag"))]
    UnknownAttribute { key: String },

    /// A query parameter is not supported (e.g. matching inside sequences).
    #[snafu(display("unsupported query parameter \"{key}\": {reason}"))]
    UnsupportedQuery { key: String, reason: &'static str },

    /// `limit` or `offset` is not a non-negative integer.
    #[snafu(display("query parameter {key}={value} is not a non-negative integer"))]
    InvalidNumber { key: &'static str, value: String },

    /// Another thread panicked while holding the index (a bug); the store refuses further work.
    #[snafu(display("the store index is unavailable after an internal error"))]
    Poisoned,
}

/// The classes of [`Error`], for callers that map errors onto protocol status codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request names something that does not exist (study, series, instance, frame).
    NotFound,
    /// The request itself is malformed (bad query parameter, bad upload).
    BadRequest,
    /// The data exists but not in a representation the client accepts.
    NotAcceptable,
    /// The store failed (I/O, corrupt file, internal error).
    Internal,
}

impl Error {
    /// The class of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::NotFound { .. } | Error::FrameOutOfRange { .. } | Error::NoPixelData { .. } => {
                ErrorKind::NotFound
            }
            Error::NotPart10 { .. }
            | Error::MissingUid { .. }
            | Error::InvalidUid { .. }
            | Error::StudyMismatch { .. }
            | Error::UnknownAttribute { .. }
            | Error::UnsupportedQuery { .. }
            | Error::InvalidNumber { .. } => ErrorKind::BadRequest,
            Error::NotAcceptable { .. } => ErrorKind::NotAcceptable,
            Error::OpenFolder { .. }
            | Error::ReadFile { .. }
            | Error::ParseFile { .. }
            | Error::ParseBareDataSet { .. }
            | Error::WriteFile { .. }
            | Error::BadPixelData { .. }
            | Error::Encode { .. }
            | Error::Poisoned => ErrorKind::Internal,
        }
    }
}
