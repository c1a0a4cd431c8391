//! The in-memory index of a folder store: Study → Series → Instance records holding the attributes QIDO-RS matches
//! and returns at each level (PS3.18 Table 6.7.1-2), the path of each instance's file and its Transfer Syntax.
//!
//! Files are read only up to Pixel Data (7FE0,0010), so indexing never touches pixel bytes. This module must not
//! write files or speak HTTP; it only reads headers and keeps the records consistent (one record per SOP Instance
//! UID).

use crate::error::{self, Result};
use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::mem::InMemElement;
use dicom_object::{DefaultDicomObject, InMemDicomObject, OpenFileOptions};
use snafu::ResultExt;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Patient and Study level attributes kept per study: the required QIDO-RS return attributes of the study level
/// plus those a worklist filters on.
pub(crate) const STUDY_TAGS: &[Tag] = &[
    tags::STUDY_DATE,
    tags::STUDY_TIME,
    tags::ACCESSION_NUMBER,
    tags::REFERRING_PHYSICIAN_NAME,
    tags::TIMEZONE_OFFSET_FROM_UTC,
    tags::STUDY_DESCRIPTION,
    tags::INSTITUTION_NAME,
    tags::PATIENT_NAME,
    tags::PATIENT_ID,
    tags::ISSUER_OF_PATIENT_ID,
    tags::PATIENT_BIRTH_DATE,
    tags::PATIENT_SEX,
    tags::PATIENT_AGE,
    tags::STUDY_INSTANCE_UID,
    tags::STUDY_ID,
];

/// Series level attributes kept per series.
pub(crate) const SERIES_TAGS: &[Tag] = &[
    tags::SERIES_DATE,
    tags::SERIES_TIME,
    tags::MODALITY,
    tags::MANUFACTURER,
    tags::SERIES_DESCRIPTION,
    tags::BODY_PART_EXAMINED,
    tags::PROTOCOL_NAME,
    tags::SERIES_INSTANCE_UID,
    tags::SERIES_NUMBER,
    tags::LATERALITY,
    tags::FRAME_OF_REFERENCE_UID,
    tags::PERFORMED_PROCEDURE_STEP_START_DATE,
    tags::PERFORMED_PROCEDURE_STEP_START_TIME,
];

/// Instance level attributes kept per instance.
pub(crate) const INSTANCE_TAGS: &[Tag] = &[
    tags::IMAGE_TYPE,
    tags::SOP_CLASS_UID,
    tags::SOP_INSTANCE_UID,
    tags::CONTENT_DATE,
    tags::CONTENT_TIME,
    tags::ACQUISITION_NUMBER,
    tags::INSTANCE_NUMBER,
    tags::SAMPLES_PER_PIXEL,
    tags::PHOTOMETRIC_INTERPRETATION,
    tags::NUMBER_OF_FRAMES,
    tags::ROWS,
    tags::COLUMNS,
    tags::BITS_ALLOCATED,
];

/// One indexed instance.
#[derive(Debug, Clone)]
pub(crate) struct InstanceRecord {
    /// Where the file lives.
    pub path: PathBuf,
    /// Whether the file is a Part 10 file; `false` for a bare data set without File Meta Information (legacy
    /// ACR-NEMA style), which is wrapped into Part 10 whenever it is sent.
    pub part10: bool,
    /// Transfer Syntax UID (0002,0010) of the file (detected from the data set for a bare one).
    pub transfer_syntax: String,
    /// The [`INSTANCE_TAGS`] present in the file.
    pub attrs: InMemDicomObject,
}

/// One indexed series.
#[derive(Debug, Clone)]
pub(crate) struct SeriesRecord {
    /// The [`SERIES_TAGS`] of the first instance indexed in the series.
    pub attrs: InMemDicomObject,
    /// Instances by SOP Instance UID.
    pub instances: BTreeMap<String, InstanceRecord>,
}

/// One indexed study.
#[derive(Debug, Clone)]
pub(crate) struct StudyRecord {
    /// The [`STUDY_TAGS`] of the first instance indexed in the study.
    pub attrs: InMemDicomObject,
    /// Series by Series Instance UID.
    pub series: BTreeMap<String, SeriesRecord>,
}

/// The identifying UIDs and level attributes of one file, read from its header.
#[derive(Debug, Clone)]
pub(crate) struct ParsedHeader {
    pub study_uid: String,
    pub series_uid: String,
    pub sop_uid: String,
    pub transfer_syntax: String,
    /// Whether the file has File Meta Information (see [`InstanceRecord::part10`]).
    pub part10: bool,
    pub study: InMemDicomObject,
    pub series: InMemDicomObject,
    pub instance: InMemDicomObject,
}

/// The whole index.
#[derive(Debug, Default)]
pub(crate) struct Index {
    /// Studies by Study Instance UID.
    pub studies: BTreeMap<String, StudyRecord>,
    /// SOP Instance UID → (Study Instance UID, Series Instance UID), for lookups by instance alone.
    pub locations: HashMap<String, (String, String)>,
}

impl Index {
    /// Adds an instance, replacing any record with the same SOP Instance UID (wherever it was). Returns the path
    /// of the replaced record's file, if any.
    pub fn insert(&mut self, header: ParsedHeader, path: PathBuf) -> Option<PathBuf> {
        let replaced = self.remove(&header.sop_uid).map(|r| r.path);
        let study = self
            .studies
            .entry(header.study_uid.clone())
            .or_insert_with(|| StudyRecord {
                attrs: header.study,
                series: BTreeMap::new(),
            });
        let series = study
            .series
            .entry(header.series_uid.clone())
            .or_insert_with(|| SeriesRecord {
                attrs: header.series,
                instances: BTreeMap::new(),
            });
        series.instances.insert(
            header.sop_uid.clone(),
            InstanceRecord {
                path,
                part10: header.part10,
                transfer_syntax: header.transfer_syntax,
                attrs: header.instance,
            },
        );
        self.locations
            .insert(header.sop_uid, (header.study_uid, header.series_uid));
        replaced
    }

    /// Removes an instance by SOP Instance UID, dropping its series and study when they become empty.
    pub fn remove(&mut self, sop_uid: &str) -> Option<InstanceRecord> {
        let (study_uid, series_uid) = self.locations.remove(sop_uid)?;
        let study = self.studies.get_mut(&study_uid)?;
        let series = study.series.get_mut(&series_uid)?;
        let record = series.instances.remove(sop_uid);
        if series.instances.is_empty() {
            study.series.remove(&series_uid);
        }
        if study.series.is_empty() {
            self.studies.remove(&study_uid);
        }
        record
    }

    /// The record of an instance, checking that it lies in the given study (and series, when given).
    pub fn instance(
        &self,
        study_uid: &str,
        series_uid: Option<&str>,
        sop_uid: &str,
    ) -> Option<&InstanceRecord> {
        let (st, se) = self.locations.get(sop_uid)?;
        if st != study_uid || series_uid.is_some_and(|s| s != se) {
            return None;
        }
        self.studies.get(st)?.series.get(se)?.instances.get(sop_uid)
    }

    /// Number of instances in the index.
    pub fn instance_count(&self) -> usize {
        self.locations.len()
    }
}

/// Reads the header of a file, without Pixel Data: a Part 10 file (preamble auto-detected) is read only up to
/// Pixel Data; a bare data set without File Meta Information is read whole by `lumen-dicom` (which synthesises
/// the meta group) and its Pixel Data dropped. Returns the object and whether the file is Part 10.
pub(crate) fn read_header_any(path: &Path) -> Result<(DefaultDicomObject, bool)> {
    let part10 = OpenFileOptions::new()
        .read_until(tags::PIXEL_DATA)
        .open_file(path)
        .map_err(Box::new)
        .context(error::ParseFileSnafu { path });
    match part10 {
        Ok(obj) => Ok((obj, true)),
        Err(e) => match lumen_dicom::DicomFile::open(path) {
            Ok(file) if !file.has_file_meta() => {
                let mut obj = file.file_object().clone();
                obj.remove_element(tags::PIXEL_DATA);
                Ok((obj, false))
            }
            _ => Err(e),
        },
    }
}

/// [`read_header_any`] without the Part 10 flag.
pub(crate) fn read_header(path: &Path) -> Result<DefaultDicomObject> {
    read_header_any(path).map(|(obj, _)| obj)
}

/// The whole object of an indexed file, pixel data included (a bare data set gets synthesised File Meta
/// Information).
pub(crate) fn read_full(record: &InstanceRecord) -> Result<DefaultDicomObject> {
    let path = record.path.as_path();
    if record.part10 {
        return OpenFileOptions::new()
            .open_file(path)
            .map_err(Box::new)
            .context(error::ParseFileSnafu { path });
    }
    lumen_dicom::DicomFile::open(path)
        .map(|f| f.file_object().clone())
        .map_err(|e| error::Error::ParseBareDataSet {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
}

/// Extracts the identifying UIDs and the per-level attributes of a parsed object. Fails when a UID that places the
/// instance in the hierarchy is absent or malformed: such a file can be neither searched nor retrieved.
pub(crate) fn parse_header(obj: &DefaultDicomObject) -> Result<ParsedHeader> {
    let study_uid = required_uid(
        obj,
        tags::STUDY_INSTANCE_UID,
        "Study Instance UID (0020,000D)",
    )?;
    let series_uid = required_uid(
        obj,
        tags::SERIES_INSTANCE_UID,
        "Series Instance UID (0020,000E)",
    )?;
    let sop_uid = required_uid(obj, tags::SOP_INSTANCE_UID, "SOP Instance UID (0008,0018)")?;
    required_uid(obj, tags::SOP_CLASS_UID, "SOP Class UID (0008,0016)")?;
    Ok(ParsedHeader {
        study_uid,
        series_uid,
        sop_uid,
        transfer_syntax: obj
            .meta()
            .transfer_syntax()
            .trim_end_matches(['\0', ' '])
            .to_string(),
        part10: true,
        study: select(obj, STUDY_TAGS),
        series: select(obj, SERIES_TAGS),
        instance: select(obj, INSTANCE_TAGS),
    })
}

/// A UID attribute's value, checked to be a syntactically valid UID (PS3.5 9.1): it is used in file names and
/// URLs, so anything else is refused.
fn required_uid(obj: &InMemDicomObject, tag: Tag, attribute: &'static str) -> Result<String> {
    let value = obj
        .element_opt(tag)
        .ok()
        .flatten()
        .and_then(|e| e.to_str().ok())
        .map(|s| s.trim_end_matches(['\0', ' ']).to_string())
        .unwrap_or_default();
    snafu::ensure!(!value.is_empty(), error::MissingUidSnafu { attribute });
    snafu::ensure!(
        is_valid_uid(&value),
        error::InvalidUidSnafu { attribute, value }
    );
    Ok(value)
}

/// Whether `uid` is a valid UID: 1 to 64 characters, digits and dots, no empty component.
pub fn is_valid_uid(uid: &str) -> bool {
    !uid.is_empty()
        && uid.len() <= 64
        && uid
            .split('.')
            .all(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()))
}

/// A new object holding only the listed attributes of `obj` that are present.
fn select(obj: &InMemDicomObject, tags: &[Tag]) -> InMemDicomObject {
    InMemDicomObject::from_element_iter(
        tags.iter()
            .filter_map(|t| obj.element_opt(*t).ok().flatten())
            .cloned()
            .collect::<Vec<InMemElement>>(),
    )
}

/// Outcome of indexing one file.
pub(crate) type FileOutcome = std::result::Result<(PathBuf, ParsedHeader), (PathBuf, String)>;

/// Reads and parses the headers of `files`, on up to `threads` threads.
pub(crate) fn index_files(files: Vec<PathBuf>, threads: usize) -> Vec<FileOutcome> {
    let threads = threads.clamp(1, 16);
    let chunk = files.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|paths| {
                scope.spawn(move || {
                    paths
                        .iter()
                        .map(|p| {
                            match read_header_any(p).and_then(|(obj, part10)| {
                                parse_header(&obj).map(|h| ParsedHeader { part10, ..h })
                            }) {
                                Ok(h) => Ok((p.clone(), h)),
                                Err(e) => Err((p.clone(), e.to_string())),
                            }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(v) => v,
                // A panic inside dicom-rs on a hostile file must not take the server down with it.
                Err(_) => vec![Err((
                    PathBuf::new(),
                    "internal error while reading a file".to_string(),
                ))],
            })
            .collect()
    })
}

/// Lists the regular files under `dir`, recursively, skipping hidden entries (names starting with `.`, which
/// include the store's own temporary files) and not following directory symlinks (no cycles).
pub(crate) fn list_files(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    warnings: &mut Vec<(PathBuf, String)>,
) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            warnings.push((dir.to_path_buf(), format!("cannot list folder: {e}")));
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        match entry.file_type() {
            Ok(t) if t.is_dir() => list_files(&path, out, warnings),
            Ok(t) if t.is_file() => out.push(path),
            Ok(t) if t.is_symlink() && path.is_file() => out.push(path),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_validity_follows_ps3_5_section_9_1() {
        assert!(is_valid_uid("1.2.840.10008.1.2.1"));
        assert!(!is_valid_uid(""));
        assert!(!is_valid_uid("1..2"));
        assert!(!is_valid_uid("1.2."));
        assert!(!is_valid_uid("../etc/passwd"));
        assert!(!is_valid_uid(&"1".repeat(65)));
        assert!(is_valid_uid(&"1".repeat(64)));
    }
}
