//! One run of a segmentation model: its identity and labels, what goes into the Segment Sequence.

use lumen_infer::manifest::{ModelManifest, OutputLabel, Task};
use serde::{Deserialize, Serialize};
use snafu::ensure;

use crate::codes::{self, Code};
use crate::run::{check_code, same, MANUFACTURER};
use crate::{Error, InvalidInputSnafu};

/// One output label of a segmentation model (a manifest's `OutputLabel`, plus the segment's category).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentLabel {
    /// Machine name (`lung`).
    pub name: String,
    /// Shown to the user: the Segment Label.
    pub display: String,
    /// sRGB: the Recommended Display CIELab Value.
    pub colour: [u8; 3],
    /// The Segmented Property Type.
    pub code: Code,
    /// The Segmented Property Category (CID 7150).
    pub category: Code,
}

impl From<&OutputLabel> for SegmentLabel {
    /// The manifest has no category; Lumen's segmentation models label anatomy, so it is (123037004, SCT,
    /// "Anatomical Structure") — change it for a label that is not.
    fn from(o: &OutputLabel) -> Self {
        Self {
            name: o.name.clone(),
            display: o.display.clone(),
            colour: o.colour,
            code: o.code.clone(),
            category: codes::ANATOMICAL_STRUCTURE.code(),
        }
    }
}

/// A run of a segmentation model: the label maps it gave are passed to [`crate::segmentation_seg`] beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentationRun {
    /// Manifest id (`ct-organs`): the Content Label, upper-cased.
    pub model_id: String,
    /// Manifest name: the Segment Algorithm Name, the Manufacturer's Model Name and the series description.
    pub model_name: String,
    /// Manifest version: the Algorithm Version and the Device Serial Number.
    pub model_version: String,
    /// [`MANUFACTURER`] for Lumen's models.
    pub manufacturer: String,
    /// The manifest's outputs in order: label index `i` of a label map is `labels[i]`. `labels[0]` is the
    /// background and is not written; each other label is the segment numbered by its index.
    pub labels: Vec<SegmentLabel>,
    /// Where the model ran: `WebGPU`, `CPU` or `native` (the Algorithm Parameters); may be empty.
    pub backend: String,
}

impl SegmentationRun {
    /// A run of `manifest`'s segmentation model, every label's category Anatomical Structure.
    pub fn from_manifest(manifest: &ModelManifest, backend: &str) -> Result<Self, Error> {
        ensure!(
            manifest.task == Task::Segmentation,
            InvalidInputSnafu {
                what: format!("model {:?}", manifest.id),
                problem: "is not a segmentation model"
            }
        );
        let run = Self {
            model_id: manifest.id.clone(),
            model_name: manifest.name.clone(),
            model_version: manifest.version.clone(),
            manufacturer: MANUFACTURER.into(),
            labels: manifest.outputs.iter().map(SegmentLabel::from).collect(),
            backend: backend.into(),
        };
        run.validate()?;
        Ok(run)
    }

    /// Everything the writer needs to hold.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        let what = format!("model {:?}", self.model_id);
        let bad = |problem: String| InvalidInputSnafu {
            what: what.clone(),
            problem,
        };
        crate::run::check_identity(&self.model_id, &self.model_version, &self.manufacturer)?;
        ensure!(
            (2..=256).contains(&self.labels.len()),
            bad(format!(
                "{} labels: a label map needs the background and 1 to 255 segments",
                self.labels.len()
            ))
        );
        for (i, l) in self.labels.iter().enumerate().skip(1) {
            check_code(&what, &format!("label {i} ({:?})", l.name), &l.code)?;
            check_code(&what, &format!("label {i}'s category"), &l.category)?;
            ensure!(
                !self.labels[1..i].iter().any(|p| same(&p.code, &l.code)),
                bad(format!(
                    "two labels share the code ({}, {})",
                    l.code.scheme, l.code.value
                ))
            );
        }
        Ok(())
    }
}
