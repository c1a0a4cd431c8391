//! AI triage on the worklist: each study's score from a triage model (a model package whose manifest names a
//! `triage_label`, e.g. the pneumonia probability of `cxr-pneumonia`), read from the Lumen reports (DICOM SR,
//! TID 1500) already stored in the study — written by the viewer's "Save to archive" or by the server's AI
//! endpoint — and, on request, computed for the unscored radiograph studies of the page by `lumen serve`
//! (`POST /api/ai/jobs`: the server pulls the pixels from the archive itself and stores the report; nothing
//! leaves the hospital network). The scores order the list when the reader sorts by them: **triage support, not
//! a diagnosis**, as the column says.
//!
//! This module keeps the scores and talks to the archive and the server; the table only shows them.

use crate::ai::fetch_catalog;
use crate::ai::server::server_job;
use crate::data_source::{DataSource, StudySummary};
use leptos::prelude::*;
use lumen_infer::manifest::ModelManifest;
use lumen_results::SrSummary;
use std::collections::HashMap;

/// A study's triage score.
#[derive(Clone, Debug, PartialEq)]
pub struct TriageScore {
    /// The triage label's probability, in [0, 1].
    pub probability: f32,
    pub model_name: String,
    pub model_version: String,
}

/// Where the server scoring of the page stands.
#[derive(Clone, Debug, PartialEq)]
pub enum Scoring {
    Idle,
    /// `done` of `total` studies scored by the server so far.
    Running { done: usize, total: usize },
    Failed(String),
}

/// The triage state of the study list (cheap to copy into components).
#[derive(Clone, Copy)]
pub struct Triage {
    /// The triage models the server publishes (usually one).
    pub models: RwSignal<Vec<ModelManifest>>,
    /// Study Instance UID → score.
    pub scores: RwSignal<HashMap<String, TriageScore>>,
    pub scoring: RwSignal<Scoring>,
    /// Bumped to stop a scoring run.
    cancel: RwSignal<u64>,
}

impl Triage {
    /// Fetches the model catalog (triage models only).
    pub fn new() -> Triage {
        let triage = Triage {
            models: RwSignal::new(Vec::new()),
            scores: RwSignal::new(HashMap::new()),
            scoring: RwSignal::new(Scoring::Idle),
            cancel: RwSignal::new(0),
        };
        leptos::task::spawn_local(async move {
            if let Ok(list) = fetch_catalog().await {
                let list: Vec<ModelManifest> = list.into_iter().filter(|m| m.triage_output().is_some()).collect();
                triage.models.try_set(list);
            }
        });
        triage
    }

    /// The score of a study, if known (tracks the scores).
    pub fn score(&self, study: &str) -> Option<TriageScore> {
        self.scores.with(|s| s.get(study).cloned())
    }

    /// Reads the stored reports of the studies that have an SR series and keeps their triage scores.
    pub fn load_stored(&self, source: DataSource, studies: Vec<StudySummary>) {
        let me = *self;
        leptos::task::spawn_local(async move {
            // The catalog may still be on its way.
            for _ in 0..50 {
                match me.models.try_with_untracked(|m| !m.is_empty()) {
                    Some(true) => break,
                    Some(false) => {}
                    // The list was left: nothing to show the scores in.
                    None => return,
                }
                crate::ai::server::sleep(100).await;
            }
            for study in studies.iter().filter(|s| s.modalities.iter().any(|m| m == "SR")) {
                me.read_study(&source, &study.study_instance_uid).await;
            }
        });
    }

    async fn read_study(&self, source: &DataSource, study: &str) {
        let Some(models) = self.models.try_get_untracked() else { return };
        if models.is_empty() {
            return;
        }
        let Ok(series) = source.series(study).await else {
            return;
        };
        let sr: Vec<String> =
            series.into_iter().filter(|s| s.modality == "SR").map(|s| s.series_instance_uid).collect();
        if sr.is_empty() {
            return;
        }
        let reports = crate::ai::save::stored_reports(&source.dicomweb_root, study, &sr).await;
        if let Some(score) = newest_score(&models, &reports) {
            self.scores.try_update(|s| {
                s.insert(study.to_string(), score);
            });
        }
    }

    /// Asks `lumen serve` to score the page's radiograph studies that have no score yet, one study at a time,
    /// then reads each stored report back.
    pub fn score_on_server(&self, source: DataSource, studies: Vec<StudySummary>) {
        let me = *self;
        let Some(model) = self.models.get_untracked().into_iter().next() else {
            return;
        };
        let todo: Vec<String> = studies
            .into_iter()
            .filter(|s| s.modalities.iter().any(|m| model.matches_modality(m)))
            .filter(|s| self.scores.with_untracked(|sc| !sc.contains_key(&s.study_instance_uid)))
            .map(|s| s.study_instance_uid)
            .collect();
        let generation = self.cancel.get_untracked();
        let total = todo.len();
        self.scoring.set(Scoring::Running { done: 0, total });
        leptos::task::spawn_local(async move {
            // Cancelled, or the list was left (its state is gone): stop.
            let stopped = move || me.cancel.try_get_untracked().is_none_or(|g| g != generation);
            let mut failures = Vec::new();
            for (i, study) in todo.iter().enumerate() {
                if stopped() {
                    me.scoring.try_set(Scoring::Idle);
                    return;
                }
                // One study that cannot be scored (an image that does not decode, a refused store) does not stop
                // the others; the failures are reported at the end.
                match server_job(&model.id, study, None, |_, _| {}, stopped).await {
                    Ok(_) => me.read_study(&source, study).await,
                    Err(e) => failures.push(e),
                }
                me.scoring.try_set(Scoring::Running { done: i + 1, total });
            }
            me.scoring.try_set(if failures.is_empty() {
                Scoring::Idle
            } else {
                Scoring::Failed(format!("{} of {total} not scored: {}", failures.len(), failures.join("; ")))
            });
        });
    }

    /// Stops a scoring run after the study in progress.
    pub fn cancel(&self) {
        self.cancel.update(|g| *g += 1);
        self.scoring.set(Scoring::Idle);
    }
}

impl Default for Triage {
    fn default() -> Self {
        Self::new()
    }
}

/// The newest report of a triage model among `reports`, as a score.
fn newest_score(models: &[ModelManifest], reports: &[SrSummary]) -> Option<TriageScore> {
    reports
        .iter()
        .filter_map(|r| {
            let m = models.iter().find(|m| m.id == r.model_id)?;
            let code = &m.outputs[m.triage_output()?].code;
            let p = r.probability(code)?;
            Some(((r.content_date.clone(), r.content_time.clone()), TriageScore {
                probability: p,
                model_name: r.model_name.clone(),
                model_version: r.model_version.clone(),
            }))
        })
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, s)| s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lumen_results::ClassOutput;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn manifest() -> ModelManifest {
        let text = include_str!("../../../models/cxr-pneumonia/manifest.json");
        ModelManifest::from_json(text).unwrap()
    }

    fn report(date: &str, time: &str, p: f32) -> SrSummary {
        let m = manifest();
        SrSummary {
            sr_sop_instance_uid: format!("1.2.{date}{time}"),
            sr_series_instance_uid: "1.2.3".into(),
            study_instance_uid: "1.2".into(),
            content_date: date.into(),
            content_time: time.into(),
            model_id: m.id.clone(),
            model_name: m.name.clone(),
            model_version: m.version.clone(),
            device_observer_uid: "1.2.4".into(),
            source_sop_class_uid: "1.2.840.10008.5.1.4.1.1.1.1".into(),
            source_sop_instance_uid: "1.2.5".into(),
            source_frame_number: None,
            finding: None,
            outputs: m
                .outputs
                .iter()
                .enumerate()
                .map(|(i, o)| ClassOutput {
                    label_code: o.code.clone(),
                    display: o.display.clone(),
                    probability: if i == 1 { p } else { 1.0 - p },
                })
                .collect(),
            qc_rule_findings: vec![],
            backend: None,
        }
    }

    #[test]
    fn the_newest_report_of_a_triage_model_gives_the_score() {
        let models = vec![manifest()];
        let reports = vec![report("20261101", "101010", 0.2), report("20261127", "090000", 0.83), report("20261127", "080000", 0.5)];
        let s = newest_score(&models, &reports).unwrap();
        assert!((s.probability - 0.83).abs() < 1e-6, "{s:?}");
        // A report of another model gives no score.
        let mut other = report("20261201", "000000", 0.9);
        other.model_id = "cxr-qc".into();
        assert_eq!(newest_score(&models, &[other]), None);
    }
}
