//! The coded concepts of the report.

/// A coded concept (scheme designator, value, meaning): the model manifest's own type, so a label's code goes
/// into the report unchanged.
pub use lumen_infer::manifest::Code;

/// A coded concept known at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Concept {
    pub value: &'static str,
    pub scheme: &'static str,
    pub meaning: &'static str,
}

impl Concept {
    pub fn code(&self) -> Code {
        Code {
            scheme: self.scheme.into(),
            value: self.value.into(),
            meaning: self.meaning.into(),
        }
    }

    /// Same concept: same scheme and value (meanings may differ in wording).
    pub fn is(&self, code: &Code) -> bool {
        code.scheme == self.scheme && code.value == self.value
    }
}

const fn c(value: &'static str, scheme: &'static str, meaning: &'static str) -> Concept {
    Concept {
        value,
        scheme,
        meaning,
    }
}

pub(crate) const IMAGING_MEASUREMENT_REPORT: Concept =
    c("126000", "DCM", "Imaging Measurement Report");
pub(crate) const LANGUAGE: Concept = c("121049", "DCM", "Language of Content Item and Descendants");
pub(crate) const ENGLISH: Concept = c("en", "RFC5646", "English");
pub(crate) const OBSERVER_TYPE: Concept = c("121005", "DCM", "Observer Type");
pub(crate) const DEVICE: Concept = c("121007", "DCM", "Device");
pub(crate) const DEVICE_OBSERVER_UID: Concept = c("121012", "DCM", "Device Observer UID");
pub(crate) const DEVICE_OBSERVER_NAME: Concept = c("121013", "DCM", "Device Observer Name");
pub(crate) const DEVICE_OBSERVER_MANUFACTURER: Concept =
    c("121014", "DCM", "Device Observer Manufacturer");
pub(crate) const DEVICE_OBSERVER_MODEL_NAME: Concept =
    c("121015", "DCM", "Device Observer Model Name");
pub(crate) const DEVICE_OBSERVER_SERIAL_NUMBER: Concept =
    c("121016", "DCM", "Device Observer Serial Number");
pub(crate) const PROCEDURE_REPORTED: Concept = c("121058", "DCM", "Procedure reported");
pub(crate) const IMAGING_PROCEDURE: Concept = c("363679005", "SCT", "Imaging procedure");
pub(crate) const IMAGE_LIBRARY: Concept = c("111028", "DCM", "Image Library");
pub(crate) const IMAGE_LIBRARY_GROUP: Concept = c("126200", "DCM", "Image Library Group");
pub(crate) const MODALITY: Concept = c("121139", "DCM", "Modality");
pub(crate) const IMAGING_MEASUREMENTS: Concept = c("126010", "DCM", "Imaging Measurements");
pub(crate) const MEASUREMENT_GROUP: Concept = c("125007", "DCM", "Measurement Group");
pub(crate) const TRACKING_IDENTIFIER: Concept = c("112039", "DCM", "Tracking Identifier");
pub(crate) const TRACKING_UID: Concept = c("112040", "DCM", "Tracking Unique Identifier");
pub(crate) const FINDING: Concept = c("121071", "DCM", "Finding");
pub(crate) const SOURCE_OF_MEASUREMENT: Concept = c("121112", "DCM", "Source of Measurement");
pub(crate) const MEASUREMENT_METHOD: Concept = c("370129005", "SCT", "Measurement Method");
pub(crate) const AI_PROBABILITY: Concept = c("ai-probability", "99LUMEN", "AI probability");
pub(crate) const INFERENCE_BACKEND: Concept = c("backend", "99LUMEN", "Inference backend");
pub(crate) const ALGORITHM_NAME: Concept = c("111001", "DCM", "Algorithm Name");
pub(crate) const ALGORITHM_VERSION: Concept = c("111003", "DCM", "Algorithm Version");
pub(crate) const QUALITATIVE_EVALUATIONS: Concept =
    c("C0034375", "UMLS", "Qualitative Evaluations");
/// UCUM's dimensionless unit: probabilities and the pixel rules' fractions.
pub(crate) const NO_UNITS: Concept = c("1", "UCUM", "no units");
/// Scheme of the private concepts (pixel rules, the probability method, the backend).
pub(crate) const LUMEN_SCHEME: &str = "99LUMEN";

/// Modality (CID 29) for the Image Library's acquisition context, for the modalities Lumen's models take.
pub(crate) fn modality(code: &str) -> Option<Code> {
    let meaning = match code {
        "CR" => "Computed Radiography",
        "CT" => "Computed Tomography",
        "DX" => "Digital Radiography",
        "IO" => "Intra-oral Radiography",
        "MG" => "Mammography",
        "MR" => "Magnetic Resonance",
        "NM" => "Nuclear Medicine",
        "PT" => "Positron emission tomography",
        "PX" => "Panoramic X-Ray",
        "RF" => "Radio Fluoroscopy",
        "US" => "Ultrasound",
        "XA" => "X-Ray Angiography",
        _ => return None,
    };
    Some(Code {
        scheme: "DCM".into(),
        value: code.into(),
        meaning: meaning.into(),
    })
}

// ---- Segmentation ----

/// Segmented Property Category (CID 7150) of every label of Lumen's segmentation models.
pub(crate) const ANATOMICAL_STRUCTURE: Concept = c("123037004", "SCT", "Anatomical Structure");
/// Derivation Code (CID 7203) of a segmentation's frames.
pub(crate) const SEGMENTATION: Concept = c("113076", "DCM", "Segmentation");
/// Purpose of Reference (CID 7202) of a frame's source image.
pub(crate) const SOURCE_IMAGE_FOR_PROCESSING: Concept = c(
    "121322",
    "DCM",
    "Source image for image processing operation",
);
/// Algorithm Family (CID 7162) of a neural network's segmentation.
pub(crate) const ARTIFICIAL_INTELLIGENCE: Concept = c("123110", "DCM", "Artificial Intelligence");
