//! One run of a classification model: what goes into the report's measurement group.

use lumen_infer::manifest::{ModelManifest, Task};
use lumen_infer::qc_rules::Finding;
use serde::{Deserialize, Serialize};
use snafu::ensure;

use crate::codes::Code;
use crate::{Error, InvalidInputSnafu};

/// Device Observer Manufacturer of every report Lumen writes; [`crate::read_classification_sr`] recognises
/// Lumen's reports by it.
pub const MANUFACTURER: &str = "Lumen";

/// One output class of the model and its probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassOutput {
    /// The label's coded concept (`OutputLabel.code` of the manifest): the NUM's concept name.
    pub label_code: Code,
    /// What the viewer shows (`OutputLabel.display`); not written, the code's meaning is.
    pub display: String,
    /// In [0, 1].
    pub probability: f32,
}

/// One pixel rule that fired (`lumen_infer::qc_rules::Finding`, less its threshold).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QcRuleFinding {
    /// Stable rule id (`clipped-bright`, `no-collimation`…).
    pub rule: String,
    /// The English message shown to the reader.
    pub message: String,
    /// The measured quantity (a fraction in [0, 1] for the built-in rules).
    pub value: f32,
}

impl From<&Finding> for QcRuleFinding {
    fn from(f: &Finding) -> Self {
        Self {
            rule: f.rule.clone(),
            message: f.message.clone(),
            value: f.value,
        }
    }
}

/// What a model said about one image, and who said it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRun {
    /// Manifest id (`cxr-pneumonia`): the Device Observer Name.
    pub model_id: String,
    /// Manifest name: the Device Observer Model Name and the series description.
    pub model_name: String,
    /// Manifest version: the Device Observer Serial Number and the Algorithm Version.
    pub model_version: String,
    /// Device Observer Manufacturer; [`MANUFACTURER`] for Lumen's models.
    pub manufacturer: String,
    /// One per output label, in the manifest's order.
    pub outputs: Vec<ClassOutput>,
    /// The label reported as the Finding: one of `outputs`' codes (the most probable, from [`ModelRun::from_manifest`]).
    pub finding: Code,
    /// The pixel rules that fired on the same image.
    pub qc_rule_findings: Vec<QcRuleFinding>,
    /// Where the model ran: `WebGPU`, `CPU` (browser Flex) or `native`.
    pub backend: String,
    /// Device Observer UID; [`crate::device_observer_uid`] gives a stable one per model version.
    pub device_observer_uid: String,
}

impl ModelRun {
    /// A run of `manifest`'s model that gave `probabilities` (in the manifest's output order), with the Finding
    /// set to the most probable label and the Device Observer UID from [`crate::device_observer_uid`].
    pub fn from_manifest(
        manifest: &ModelManifest,
        probabilities: &[f32],
        qc_rule_findings: &[Finding],
        backend: &str,
    ) -> Result<Self, Error> {
        let what = || format!("model {:?}", manifest.id);
        ensure!(
            manifest.task == Task::Classification,
            InvalidInputSnafu {
                what: what(),
                problem: "is not a classification model".to_string()
            }
        );
        ensure!(
            probabilities.len() == manifest.outputs.len(),
            InvalidInputSnafu {
                what: what(),
                problem: format!(
                    "{} probabilities for {} output labels",
                    probabilities.len(),
                    manifest.outputs.len()
                ),
            }
        );
        let outputs: Vec<ClassOutput> = manifest
            .outputs
            .iter()
            .zip(probabilities)
            .map(|(o, &p)| ClassOutput {
                label_code: o.code.clone(),
                display: o.display.clone(),
                probability: p,
            })
            .collect();
        check_outputs(&what(), &outputs)?;
        let finding = top(&outputs).label_code.clone();
        Ok(Self {
            model_id: manifest.id.clone(),
            model_name: manifest.name.clone(),
            model_version: manifest.version.clone(),
            manufacturer: MANUFACTURER.into(),
            outputs,
            finding,
            qc_rule_findings: qc_rule_findings.iter().map(QcRuleFinding::from).collect(),
            backend: backend.into(),
            device_observer_uid: crate::device_observer_uid(&manifest.id, &manifest.version),
        })
    }

    /// The most probable output (the first of equals).
    pub fn top(&self) -> Option<&ClassOutput> {
        (!self.outputs.is_empty()).then(|| top(&self.outputs))
    }

    /// Everything the writer needs to hold: see [`crate::classification_sr`].
    pub(crate) fn validate(&self) -> Result<(), Error> {
        let what = || format!("model {:?}", self.model_id);
        let bad = |problem: String| InvalidInputSnafu {
            what: what(),
            problem,
        };
        check_identity(&self.model_id, &self.model_version, &self.manufacturer)?;
        crate::uid::check_uid("Device Observer UID", &self.device_observer_uid)?;
        check_outputs(&what(), &self.outputs)?;
        check_code(&what(), "finding", &self.finding)?;
        ensure!(
            self.outputs
                .iter()
                .any(|o| same(&o.label_code, &self.finding)),
            bad(format!(
                "the finding {:?} is not one of the output labels",
                self.finding.value
            ))
        );
        for f in &self.qc_rule_findings {
            ensure!(
                !f.rule.trim().is_empty(),
                bad("a QC rule finding has an empty rule id".into())
            );
            ensure!(
                f.value.is_finite(),
                bad(format!(
                    "QC rule {:?} has a value that is not a finite number ({})",
                    f.rule, f.value
                ))
            );
        }
        Ok(())
    }
}

fn top(outputs: &[ClassOutput]) -> &ClassOutput {
    outputs.iter().fold(&outputs[0], |best, o| {
        if o.probability > best.probability {
            o
        } else {
            best
        }
    })
}

pub(crate) fn same(a: &Code, b: &Code) -> bool {
    a.scheme == b.scheme && a.value == b.value
}

pub(crate) fn check_code(what: &str, role: &str, code: &Code) -> Result<(), Error> {
    let bad = |problem: String| InvalidInputSnafu {
        what: what.to_string(),
        problem,
    };
    ensure!(
        !code.value.trim().is_empty()
            && !code.scheme.trim().is_empty()
            && !code.meaning.trim().is_empty(),
        bad(format!(
            "the {role} code ({:?}, {:?}, {:?}) needs a value, a scheme and a meaning",
            code.value, code.scheme, code.meaning
        ))
    );
    ensure!(
        code.scheme.len() <= 16 && !code.scheme.contains('\\'),
        bad(format!(
            "the {role} code's scheme {:?} is longer than 16 characters or holds a backslash",
            code.scheme
        ))
    );
    ensure!(
        !code.value.contains('\\'),
        bad(format!(
            "the {role} code's value {:?} holds a backslash",
            code.value
        ))
    );
    Ok(())
}

fn check_outputs(what: &str, outputs: &[ClassOutput]) -> Result<(), Error> {
    let bad = |problem: String| InvalidInputSnafu {
        what: what.to_string(),
        problem,
    };
    ensure!(!outputs.is_empty(), bad("no output labels".into()));
    for (i, o) in outputs.iter().enumerate() {
        check_code(what, &format!("output {i}"), &o.label_code)?;
        ensure!(
            o.probability.is_finite() && (0.0..=1.0).contains(&o.probability),
            bad(format!(
                "the probability of {:?} is {}, not in [0, 1]",
                o.label_code.value, o.probability
            ))
        );
        ensure!(
            !outputs[..i]
                .iter()
                .any(|p| same(&p.label_code, &o.label_code)),
            bad(format!(
                "two output labels share the code ({}, {})",
                o.label_code.scheme, o.label_code.value
            ))
        );
    }
    Ok(())
}

/// A model run's identity (SR observer device, SEG algorithm): id, version and manufacturer must be given.
pub(crate) fn check_identity(model_id: &str, version: &str, manufacturer: &str) -> Result<(), Error> {
    let bad = |problem: &str| InvalidInputSnafu { what: format!("model {model_id:?}"), problem: problem.to_string() };
    ensure!(!model_id.trim().is_empty(), bad("the model id is empty"));
    ensure!(!version.trim().is_empty(), bad("the model version is empty"));
    ensure!(!manufacturer.trim().is_empty(), bad("the manufacturer is empty"));
    Ok(())
}
