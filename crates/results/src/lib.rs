//! AI results back to the PACS as standard DICOM.
//!
//! [`classification_sr`] turns one run of an image classification model (a [`ModelRun`]: the model's identity
//! from its manifest, one probability per output label, the pixel-rule QC findings) on one source image (a
//! [`SourceImage`]) into a DICOM **Structured Report** following **TID 1500 Measurement Report** (PS3.16), as Part
//! 10 bytes in Explicit VR Little Endian, ready for STOW-RS. [`read_classification_sr`] recognises such a report
//! (one written by Lumen) when a study that already holds one is opened, so the viewer can show the stored result
//! instead of running the model again.
//!
//! [`segmentation_seg`] turns one run of a segmentation model (a [`SegmentationRun`]: identity and labels from the
//! manifest) over the slices of a series (one [`SourceSlice`] each: the image and its geometry) and the model's
//! label maps (one `u8` label index per pixel, 0 the background) into a DICOM **Segmentation** (PS3.3 A.51), Part
//! 10 bytes in Explicit VR Little Endian. [`read_segmentation`] reads it back — Lumen's, and other writers'
//! uncompressed BINARY or FRACTIONAL ones — into one label map per source image.
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
//!
//! # The segmentation
//!
//! SOP Class **Segmentation Storage** (1.2.840.10008.5.1.4.1.1.66.4), a new series (Modality `SEG`, Series Number
//! 9902) in the source's study, in its Frame of Reference, Patient and General Study attributes copied from the
//! first slice. Segmentation Type `BINARY`, Segments Overlap `NO`:
//!
//! ```text
//! Image Type DERIVED\PRIMARY, Content Label = model id upper-cased ("ct-organs" → CT_ORGANS),
//! Content Description "Lumen AI: <model name> <version>", Content Creator's Name empty (a device made it)
//! Manufacturer "Lumen", Manufacturer's Model Name = model name, Device Serial Number = model version,
//! Software Versions "lumen-results <version>"
//! Segment Sequence: one item per label but the background (label i = Segment Number i)
//!  ├ Segment Label = the label's display, Segment Algorithm Type AUTOMATIC, Segment Algorithm Name = model name
//!  ├ Segmentation Algorithm Identification: family (123110, DCM, "Artificial Intelligence"), Algorithm Name = model
//!  │   name, Algorithm Version = model version, Algorithm Parameters "model=<id>; backend=<backend>", Source "Lumen"
//!  ├ Segmented Property Category = (123037004, SCT, "Anatomical Structure") unless the caller sets another
//!  ├ Segmented Property Type = the label's code (OutputLabel.code)
//!  └ Recommended Display CIELab Value = the label's sRGB colour in D50 CIELab, scaled to 0–65535
//! Shared Functional Groups: Pixel Measures (Pixel Spacing, Slice Thickness), Plane Orientation (Patient)
//! Per-frame Functional Groups, one per frame:
//!  ├ Derivation Image: (113076, DCM, "Segmentation"); the source slice, purpose of reference
//!  │   (121322, DCM, "Source image for image processing operation"), Spatial Locations Preserved YES
//!  ├ Frame Content: Dimension Index Values = (segment number, slice's rank along the slice normal, from 1)
//!  ├ Plane Position (Patient): the slice's Image Position (Patient)
//!  └ Segment Identification: Referenced Segment Number
//! Dimension Organization <instance UID>.1; Dimension Index Sequence: Referenced Segment Number, then
//!   Image Position (Patient)
//! Referenced Series Sequence: every source slice, the empty ones too
//! Pixel Data (OB): 1 bit per pixel, first pixel in the least significant bit, frames back to back
//! ```
//!
//! Frames go by segment, then by position along the slice normal, and exist only for a (segment, slice) that
//! has at least one pixel; when no slice has any label, a single empty frame (segment 1 on the lowest slice) keeps
//! the object valid. As PS3.5 8.1.1 requires for native 1-bit data, frames are **not** padded to a byte: with
//! rows × columns not a multiple of 8 the next frame starts mid-byte; only the whole value is padded to an even
//! length. [`read_segmentation`] gives each source image's label map with the segment numbers as labels, 0 where
//! no segment is; where another writer's segments overlap, the highest segment number wins.

mod bits;
mod cielab;
mod codes;
mod datetime;
mod dicom;
mod read;
mod run;
mod seg_read;
mod seg_run;
mod seg_write;
mod source;
mod uid;
mod write;

pub use cielab::{dicom_lab_to_srgb, srgb_to_dicom_lab, srgb_to_lab};
pub use codes::Code;
pub use datetime::ContentDateTime;
pub use read::{read_classification_sr, SrSummary};
pub use run::{ClassOutput, ModelRun, QcRuleFinding, MANUFACTURER};
pub use seg_read::{read_segmentation, Segment, Segmentation, SliceLabelMap, MAX_LABEL_MAP_BYTES};
pub use seg_run::{SegmentLabel, SegmentationRun};
pub use seg_write::{segmentation_seg, SEGMENTATION_STORAGE, SEG_SERIES_NUMBER};
pub use source::{PatientStudy, SourceImage, SourceSlice};
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
    /// [`read_segmentation`] was given another SOP Class than Segmentation Storage.
    #[snafu(display("not a DICOM Segmentation: SOP Class UID {sop_class_uid:?}"))]
    NotSegmentation { sop_class_uid: String },
    /// A Segmentation whose frames cannot be read: inconsistent, truncated, or of a kind not supported.
    #[snafu(display("segmentation {sop_instance_uid:?} cannot be read: {problem}"))]
    BadSegmentation {
        sop_instance_uid: String,
        problem: String,
    },
    /// A report that says it is Lumen's but does not have the structure Lumen writes.
    #[snafu(display("Lumen report {sop_instance_uid:?} is malformed: {problem}"))]
    Malformed {
        sop_instance_uid: String,
        problem: String,
    },
}
