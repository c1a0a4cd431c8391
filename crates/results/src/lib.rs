//! AI results back to the PACS as standard DICOM.
//!
//! [`classification_sr`] turns one run of an image classification model (a [`ModelRun`]: the model's identity
//! from its manifest, one probability per output label, the pixel-rule QC findings) on one source image (a
//! [`SourceImage`]) into a DICOM **Structured Report** following **TID 1500 Measurement Report** (PS3.16), as Part
//! 10 bytes in Explicit VR Little Endian, ready for STOW-RS. [`read_classification_sr`] recognises such a report
//! (one written by Lumen) when a study that already holds one is opened, so the viewer can show the stored result
//! instead of running the model again.
//!
//! The crate does no I/O and draws no random numbers: new UIDs come in through [`NewUids`] (make them with
//! [`uid_from_random_bits`]) and the content time through [`ContentDateTime`], so the same inputs always give the
//! same bytes. It builds for `wasm32-unknown-unknown` (the viewer) and natively (`lumen`, tests).
//!
//! # The report
//!
//! SOP Class **Enhanced SR** (1.2.840.10008.5.1.4.1.1.88.22), a new series (Modality `SR`) in the source image's
//! study, Patient and General Study attributes copied from the source, Completion Flag `COMPLETE`, Verification
//! Flag `UNVERIFIED`, the source image in the Current Requested Procedure Evidence Sequence, UTF-8 (ISO_IR 192)
//! only when a value needs it, and the private scheme 99LUMEN declared in the Coding Scheme Identification
//! Sequence. The content tree (relationship, value type, concept name = value):
//!
//! ```text
//! CONTAINER (126000, DCM, "Imaging Measurement Report")                    template 1500 (DCMR)
//!  ├ HAS CONCEPT MOD  CODE    (121049, DCM, "Language of Content Item and Descendants") = (en, RFC5646, "English")
//!  ├ HAS OBS CONTEXT  CODE    (121005, DCM, "Observer Type")                 = (121007, DCM, "Device")
//!  ├ HAS OBS CONTEXT  UIDREF  (121012, DCM, "Device Observer UID")           = run.device_observer_uid
//!  ├ HAS OBS CONTEXT  TEXT    (121013, DCM, "Device Observer Name")          = model id
//!  ├ HAS OBS CONTEXT  TEXT    (121014, DCM, "Device Observer Manufacturer")  = "Lumen"
//!  ├ HAS OBS CONTEXT  TEXT    (121015, DCM, "Device Observer Model Name")    = model name
//!  ├ HAS OBS CONTEXT  TEXT    (121016, DCM, "Device Observer Serial Number") = model version
//!  ├ HAS CONCEPT MOD  CODE    (121058, DCM, "Procedure reported")   = source Procedure Code, else (363679005, SCT, "Imaging procedure")
//!  ├ CONTAINS CONTAINER (111028, DCM, "Image Library")                                     TID 1600
//!  │   └ CONTAINS CONTAINER (126200, DCM, "Image Library Group")
//!  │       ├ HAS ACQ CONTEXT CODE (121139, DCM, "Modality") = e.g. (DX, DCM, "Digital Radiography")   when known
//!  │       └ CONTAINS IMAGE = the source image (SOP Class, SOP Instance, frame)
//!  └ CONTAINS CONTAINER (126010, DCM, "Imaging Measurements")
//!      └ CONTAINS CONTAINER (125007, DCM, "Measurement Group")                             TID 1501
//!          ├ HAS OBS CONTEXT TEXT   (112039, DCM, "Tracking Identifier")        = "<model id> classification"
//!          ├ HAS OBS CONTEXT UIDREF (112040, DCM, "Tracking Unique Identifier") = <SR instance UID>.1
//!          ├ HAS CONCEPT MOD CODE   (121071, DCM, "Finding")                    = the top label's code
//!          ├ HAS CONCEPT MOD TEXT   (backend, 99LUMEN, "Inference backend")     = "WebGPU" | "CPU" | "native"
//!          ├ CONTAINS IMAGE         (121112, DCM, "Source of Measurement")      = the source image
//!          ├ CONTAINS NUM  <label code> = probability, units ("1", UCUM, "no units")     one per output label
//!          │   ├ HAS CONCEPT MOD CODE (370129005, SCT, "Measurement Method") = (ai-probability, 99LUMEN, "AI probability")
//!          │   ├ HAS CONCEPT MOD TEXT (111001, DCM, "Algorithm Name")    = model name
//!          │   └ HAS CONCEPT MOD TEXT (111003, DCM, "Algorithm Version") = model version
//!          └ CONTAINS TEXT (C0034375, UMLS, "Qualitative Evaluations") = the QC rule's message   one per QC finding
//!              └ INFERRED FROM NUM (<rule id>, 99LUMEN, "Pixel rule <rule id>") = the rule's measured value, ("1", UCUM, "no units")
//! ```
//!
//! A probability has no standard code in DICOM, so the class's own coded concept (from the model manifest's
//! `OutputLabel.code`) names the NUM and the private concept (ai-probability, 99LUMEN, "AI probability") says,
//! as its Measurement Method, what kind of number it is. "99" scheme designators are private (PS3.16 8.1).

mod codes;
mod datetime;
mod dicom;
mod read;
mod run;
mod source;
mod uid;
mod write;

pub use codes::Code;
pub use datetime::ContentDateTime;
pub use read::{read_classification_sr, SrSummary};
pub use run::{ClassOutput, ModelRun, QcRuleFinding, MANUFACTURER};
pub use source::{PatientStudy, SourceImage};
pub use uid::{device_observer_uid, uid_from_random_bits, NewUids};
pub use write::{classification_sr, ENHANCED_SR, SR_SERIES_NUMBER};

use snafu::Snafu;

/// Why a report could not be written or read.
#[derive(Debug, Snafu)]
#[snafu(visibility(pub(crate)))]
pub enum Error {
    /// A UID given to the writer is not a DICOM UID.
    #[snafu(display(
        "{what} {uid:?} is not a valid DICOM UID (digits and dots, at most 64 characters, no empty or zero-led component)"
    ))]
    InvalidUid { what: String, uid: String },
    /// A value given to the writer is out of range or inconsistent.
    #[snafu(display("{what}: {problem}"))]
    InvalidInput { what: String, problem: String },
    /// The source image's DICOM JSON lacks an attribute the report cannot do without, or is not DICOM JSON.
    #[snafu(display("source image metadata: {problem}"))]
    Metadata { problem: String },
    /// dicom-object refused the file meta group.
    #[snafu(display("cannot build the file meta group: {source}"))]
    Meta {
        #[snafu(source(from(dicom_object::WithMetaError, Box::new)))]
        source: Box<dicom_object::WithMetaError>,
    },
    /// dicom-object could not encode the data set.
    #[snafu(display("cannot encode the report: {source}"))]
    Encode {
        #[snafu(source(from(dicom_object::WriteError, Box::new)))]
        source: Box<dicom_object::WriteError>,
    },
    /// The bytes are not a readable DICOM Part 10 file.
    #[snafu(display("not a readable DICOM Part 10 file: {source}"))]
    Parse {
        #[snafu(source(from(dicom_object::ReadError, Box::new)))]
        source: Box<dicom_object::ReadError>,
    },
    /// A report that says it is Lumen's but does not have the structure Lumen writes.
    #[snafu(display("Lumen report {sop_instance_uid:?} is malformed: {problem}"))]
    Malformed {
        sop_instance_uid: String,
        problem: String,
    },
}
