//! Files from the reader's disk grouped the way an archive would list them: studies (Study Instance UID), their
//! series (Series Instance UID) in Series Number order, and the files that cannot be shown with the reason for
//! each. The rows are built by the same code as the QIDO-RS rows, from each file's DICOM JSON.
//!
//! This module must not read files or render anything; it only sorts metadata.

use crate::data_source::{
    series_row, sort_by_series_number, study_row, SeriesSummary, StudySummary,
};
use crate::viewer::LocalSeries;
use dicom_dictionary_std::tags;
use lumen_dicomweb::json;
use serde_json::Value;
use std::collections::HashMap;

/// One file after its metadata was read (or not).
pub struct Scanned {
    /// The id the file is handed to the decode workers with.
    pub file_id: String,
    /// The file's name (with its folder path when a folder was opened).
    pub name: String,
    /// Its DICOM JSON without pixels, or why it cannot be read.
    pub metadata: Result<Value, String>,
}

/// A file left out, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub name: String,
    pub reason: String,
}

/// The opened files, grouped.
#[derive(Default)]
pub struct LocalStudies {
    /// Studies in the order their first file came, each with its series.
    pub studies: Vec<(StudySummary, Vec<SeriesSummary>)>,
    /// Series Instance UID → (file id, metadata) of each of its files.
    pub instances: HashMap<String, Vec<(String, Value)>>,
    /// Files that are not shown.
    pub skipped: Vec<Skipped>,
    /// The browser's handles of the shown files, by file id (handed to the decode workers, never uploaded).
    pub files: Vec<(String, web_sys::File)>,
}

impl LocalStudies {
    /// The series and file handles, as the viewer takes them.
    pub fn for_viewer(&self) -> (Vec<LocalSeries>, Vec<(String, web_sys::File)>) {
        let series = self
            .studies
            .iter()
            .flat_map(|(study, series)| {
                series.iter().map(move |s| LocalSeries {
                    study_instance_uid: study.study_instance_uid.clone(),
                    summary: s.clone(),
                    instances: self
                        .instances
                        .get(&s.series_instance_uid)
                        .cloned()
                        .unwrap_or_default(),
                })
            })
            .collect();
        (series, self.files.clone())
    }
}

/// Groups scanned files into studies and series (see the module documentation). `handles` are the files' browser
/// handles by file id; only those of shown files are kept.
pub fn group(scanned: Vec<Scanned>, mut handles: HashMap<String, web_sys::File>) -> LocalStudies {
    let (studies, instances, skipped) = group_metadata(scanned);
    let files = instances
        .values()
        .flatten()
        .filter_map(|(id, _)| handles.remove(id).map(|f| (id.clone(), f)))
        .collect();
    LocalStudies {
        studies,
        instances,
        skipped,
        files,
    }
}

type Grouped = (
    Vec<(StudySummary, Vec<SeriesSummary>)>,
    HashMap<String, Vec<(String, Value)>>,
    Vec<Skipped>,
);

/// [`group`] without the browser handles (testable anywhere).
pub fn group_metadata(scanned: Vec<Scanned>) -> Grouped {
    let mut studies: Vec<(StudySummary, Vec<SeriesSummary>)> = Vec::new();
    let mut instances: HashMap<String, Vec<(String, Value)>> = HashMap::new();
    let mut skipped = Vec::new();
    // SOP Instance UID → the name of the file that brought it first.
    let mut seen: HashMap<String, String> = HashMap::new();
    for Scanned {
        file_id,
        name,
        metadata,
    } in scanned
    {
        let metadata = match metadata {
            Ok(m) => m,
            Err(reason) => {
                skipped.push(Skipped { name, reason });
                continue;
            }
        };
        let uid = |tag| {
            json::string(&metadata, tag)
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let (Some(study_uid), Some(series_uid), Some(sop)) = (
            uid(tags::STUDY_INSTANCE_UID),
            uid(tags::SERIES_INSTANCE_UID),
            uid(tags::SOP_INSTANCE_UID),
        ) else {
            skipped.push(Skipped {
                name,
                reason: "no Study, Series or SOP Instance UID: not an instance that can be shown (a DICOMDIR?)"
                    .to_string(),
            });
            continue;
        };
        if let Some(first) = seen.get(&sop) {
            skipped.push(Skipped {
                reason: format!("the same instance (SOP Instance UID) as {first}"),
                name,
            });
            continue;
        }
        seen.insert(sop, name);
        let study = match studies
            .iter()
            .position(|(s, _)| s.study_instance_uid == study_uid)
        {
            Some(i) => i,
            None => {
                studies.push((study_row(&metadata), Vec::new()));
                studies.len() - 1
            }
        };
        let series = &mut studies[study].1;
        if !series.iter().any(|s| s.series_instance_uid == series_uid) {
            series.push(series_row(&metadata));
        }
        instances
            .entry(series_uid)
            .or_default()
            .push((file_id, metadata));
    }
    for (study, series) in &mut studies {
        for s in series.iter_mut() {
            s.number_of_instances = instances
                .get(&s.series_instance_uid)
                .map(|v| v.len() as u32);
        }
        sort_by_series_number(series);
        let mut modalities: Vec<String> = Vec::new();
        for s in series.iter() {
            if !s.modality.is_empty() && !modalities.contains(&s.modality) {
                modalities.push(s.modality.clone());
            }
        }
        study.modalities = modalities;
        study.number_of_series = Some(series.len() as u32);
        study.number_of_instances = Some(series.iter().filter_map(|s| s.number_of_instances).sum());
    }
    (studies, instances, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn instance(study: &str, series: &str, number: i64, sop: &str, modality: &str) -> Value {
        json!({
            "0020000D": {"vr": "UI", "Value": [study]},
            "0020000E": {"vr": "UI", "Value": [series]},
            "00080018": {"vr": "UI", "Value": [sop]},
            "00200011": {"vr": "IS", "Value": [number]},
            "00080060": {"vr": "CS", "Value": [modality]},
            "00100010": {"vr": "PN", "Value": [{"Alphabetic": "DOE^JANE"}]},
        })
    }

    fn scanned(id: &str, metadata: Result<Value, String>) -> Scanned {
        Scanned {
            file_id: id.to_string(),
            name: format!("{id}.dcm"),
            metadata,
        }
    }

    #[wasm_bindgen_test]
    fn files_group_into_studies_and_series_in_series_number_order() {
        let (studies, instances, skipped) = group_metadata(vec![
            scanned("a", Ok(instance("1.1", "1.1.2", 2, "1.1.2.1", "CT"))),
            scanned("b", Ok(instance("1.1", "1.1.1", 1, "1.1.1.1", "CT"))),
            scanned("c", Ok(instance("1.1", "1.1.2", 2, "1.1.2.2", "CT"))),
            scanned("d", Ok(instance("2.2", "2.2.1", 1, "2.2.1.1", "DX"))),
        ]);
        assert!(skipped.is_empty());
        assert_eq!(studies.len(), 2);
        let (study, series) = &studies[0];
        assert_eq!(study.study_instance_uid, "1.1");
        assert_eq!(study.patient_name, "DOE^JANE");
        assert_eq!(study.modalities, vec!["CT".to_string()]);
        assert_eq!(
            (study.number_of_series, study.number_of_instances),
            (Some(2), Some(3))
        );
        let uids: Vec<&str> = series
            .iter()
            .map(|s| s.series_instance_uid.as_str())
            .collect();
        assert_eq!(uids, ["1.1.1", "1.1.2"]);
        assert_eq!(series[1].number_of_instances, Some(2));
        let ids: Vec<&str> = instances["1.1.2"]
            .iter()
            .map(|(id, _)| id.as_str())
            .collect();
        assert_eq!(ids, ["a", "c"]);
        assert_eq!(studies[1].0.modalities, vec!["DX".to_string()]);
    }

    #[wasm_bindgen_test]
    fn unreadable_uidless_and_duplicate_files_are_listed_with_their_reason() {
        let (studies, instances, skipped) = group_metadata(vec![
            scanned("a", Ok(instance("1.1", "1.1.1", 1, "1.1.1.1", "MR"))),
            scanned(
                "notes",
                Err("not a readable DICOM file: no preamble".to_string()),
            ),
            scanned(
                "dir",
                Ok(json!({"00041130": {"vr": "CS", "Value": ["ROOT"]}})),
            ),
            scanned("copy", Ok(instance("1.1", "1.1.1", 1, "1.1.1.1", "MR"))),
        ]);
        assert_eq!(studies.len(), 1);
        assert_eq!(instances["1.1.1"].len(), 1);
        let names: Vec<&str> = skipped.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["notes.dcm", "dir.dcm", "copy.dcm"]);
        assert!(skipped[0].reason.contains("DICOM"));
        assert!(skipped[1].reason.contains("UID"));
        assert!(skipped[2].reason.contains("a.dcm"), "{}", skipped[2].reason);
    }
}
