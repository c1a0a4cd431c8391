//! A DICOM folder store: the storage behind Lumen's own DICOMweb service.
//!
//! [`Store::open`] indexes a folder recursively (headers only, never pixel data; files that are not DICOM are
//! skipped and reported by [`Store::warnings`]). The index answers QIDO-RS searches ([`Store::search`]) with the
//! matching rules of PS3.4 C.2.2.2, finds instances for WADO-RS ([`Store::retrieve_instance`],
//! [`Store::metadata`], [`Store::frame_bytes`]), and [`Store::store`] adds STOW-RS uploads with atomic writes (temporary
//! file in the same folder, fsync, rename — a crash never leaves a partial file).
//!
//! This crate must not speak HTTP: it takes already-parsed parameters (a [`Query`], lists of acceptable transfer
//! syntax UIDs) and returns DICOM JSON values and bytes. It is native only (it reads and writes files).
//!
//! ```no_run
//! use lumen_store::{Level, Query, Store};
//! let store = Store::open("/data/dicom")?;
//! let query = Query::from_params([("PatientName", "doe"), ("fuzzymatching", "true")])?;
//! for study in store.search(Level::Study, &query)? {
//!     println!("{study}");
//! }
//! # Ok::<(), lumen_store::Error>(())
//! ```

mod error;
mod index;
pub mod matching;
mod pixel;
mod query;
mod search;
mod transcode;
mod write;

pub use error::{Error, ErrorKind, Result};
pub use index::is_valid_uid;
pub use pixel::{
    accepts, is_native, DEFLATED_EXPLICIT_VR_LE, EXPLICIT_VR_BE, EXPLICIT_VR_LE, IMPLICIT_VR_LE,
};
pub use query::{dictionary_vr, parse_attribute, IncludeFields, Level, Query};

use dicom_dictionary_std::tags;
use index::{Index, InstanceRecord};
use snafu::{OptionExt, ResultExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};

/// A folder of DICOM files, indexed in memory. Share it between threads behind an `Arc`: searches and reads take a
/// read lock, stores a write lock only for the moment the index changes.
#[derive(Debug)]
pub struct Store {
    root: PathBuf,
    index: RwLock<Index>,
    /// Serialises writes, so two uploads of the same SOP Instance UID cannot interleave their renames and index
    /// updates.
    write_lock: Mutex<()>,
    warnings: Vec<(PathBuf, String)>,
}

/// Identifies one instance: Study, Series and SOP Instance UIDs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceId {
    /// Study Instance UID (0020,000D).
    pub study_uid: String,
    /// Series Instance UID (0020,000E).
    pub series_uid: String,
    /// SOP Instance UID (0008,0018).
    pub sop_instance_uid: String,
}

/// The outcome of [`Store::store`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredInstance {
    /// The stored instance's UIDs.
    pub id: InstanceId,
    /// SOP Class UID (0008,0016).
    pub sop_class_uid: String,
    /// Where the file was written.
    pub path: PathBuf,
    /// Whether an instance with the same SOP Instance UID was replaced.
    pub replaced: bool,
}

/// A whole instance as a Part 10 file, in the transfer syntax chosen for the client.
#[derive(Debug, Clone)]
pub struct RetrievedInstance {
    /// Transfer Syntax UID of `bytes`.
    pub transfer_syntax: String,
    /// The Part 10 file (preamble, "DICM", file meta group, data set).
    pub bytes: Vec<u8>,
}

/// Frames of one instance, in the transfer syntax chosen for the client.
#[derive(Debug, Clone)]
pub struct Frames {
    /// Transfer Syntax UID the frames are encoded in: Explicit VR Little Endian for uncompressed frames, else the
    /// stored compressed syntax.
    pub transfer_syntax: String,
    /// The frames, in the order requested: native little-endian pixel bytes, or one compressed codestream each.
    pub frames: Vec<Vec<u8>>,
}

impl Store {
    /// Opens (creating it if needed) and indexes the folder `root`, recursively. Files that are not DICOM Part 10
    /// files with Study, Series and SOP Instance UIDs are skipped; each is listed in [`Store::warnings`]. When two
    /// files hold the same SOP Instance UID, the one found last is indexed and the other is reported.
    pub fn open(root: impl AsRef<Path>) -> Result<Store> {
        let root = root.as_ref().to_path_buf();
        std::fs::create_dir_all(&root).context(error::OpenFolderSnafu { path: &root })?;
        std::fs::read_dir(&root).context(error::OpenFolderSnafu { path: &root })?;
        let mut files = Vec::new();
        let mut warnings = Vec::new();
        index::list_files(&root, &mut files, &mut warnings);
        files.sort();
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        let mut idx = Index::default();
        for outcome in index::index_files(files, threads) {
            match outcome {
                Ok((path, header)) => {
                    let sop = header.sop_uid.clone();
                    if let Some(old) = idx.insert(header, path.clone()) {
                        warnings.push((
                            old,
                            format!(
                                "SOP Instance UID {sop} is also in {}; that file is used",
                                path.display()
                            ),
                        ));
                    }
                }
                Err((path, reason)) => warnings.push((path, reason)),
            }
        }
        Ok(Store {
            root,
            index: RwLock::new(idx),
            write_lock: Mutex::new(()),
            warnings,
        })
    }

    /// The folder this store indexes and writes into.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Files skipped while indexing, with the reason (not DICOM, missing UIDs, unreadable, duplicate).
    pub fn warnings(&self) -> &[(PathBuf, String)] {
        &self.warnings
    }

    /// Number of studies in the store.
    pub fn study_count(&self) -> usize {
        self.index.read().map(|i| i.studies.len()).unwrap_or(0)
    }

    /// Number of instances in the store.
    pub fn instance_count(&self) -> usize {
        self.index.read().map(|i| i.instance_count()).unwrap_or(0)
    }

    /// The instances of a study, or of one series of it, ordered by Series Number then Instance Number.
    pub fn instances(&self, study_uid: &str, series_uid: Option<&str>) -> Result<Vec<InstanceId>> {
        let idx = self.index.read().map_err(|_| Error::Poisoned)?;
        let study = idx.studies.get(study_uid).context(error::NotFoundSnafu {
            what: format!("study {study_uid}"),
        })?;
        let mut out = Vec::new();
        for (se_uid, series) in search::ordered_series(study) {
            if series_uid.is_some_and(|s| s != se_uid) {
                continue;
            }
            for (sop, _) in search::ordered_instances(series) {
                out.push(InstanceId {
                    study_uid: study_uid.to_string(),
                    series_uid: se_uid.to_string(),
                    sop_instance_uid: sop.to_string(),
                });
            }
        }
        if out.is_empty() {
            if let Some(se) = series_uid {
                return error::NotFoundSnafu {
                    what: format!("series {se} in study {study_uid}"),
                }
                .fail();
            }
        }
        Ok(out)
    }

    /// The UIDs of an instance found by its SOP Instance UID alone.
    pub fn locate_instance(&self, sop_uid: &str) -> Result<InstanceId> {
        let idx = self.index.read().map_err(|_| Error::Poisoned)?;
        let (study_uid, series_uid) =
            idx.locations
                .get(sop_uid)
                .cloned()
                .context(error::NotFoundSnafu {
                    what: format!("instance {sop_uid}"),
                })?;
        Ok(InstanceId {
            study_uid,
            series_uid,
            sop_instance_uid: sop_uid.to_string(),
        })
    }

    /// The Study Instance UID of a series found by its Series Instance UID alone.
    pub fn locate_series(&self, series_uid: &str) -> Result<String> {
        let idx = self.index.read().map_err(|_| Error::Poisoned)?;
        idx.studies
            .iter()
            .find(|(_, study)| study.series.contains_key(series_uid))
            .map(|(uid, _)| uid.clone())
            .context(error::NotFoundSnafu {
                what: format!("series {series_uid}"),
            })
    }

    /// Looks up an instance (checking it belongs to the given study and, when given, series).
    fn record(
        &self,
        study_uid: &str,
        series_uid: Option<&str>,
        sop_uid: &str,
    ) -> Result<InstanceRecord> {
        let idx = self.index.read().map_err(|_| Error::Poisoned)?;
        idx.instance(study_uid, series_uid, sop_uid)
            .cloned()
            .context(error::NotFoundSnafu {
                what: format!("instance {sop_uid} in study {study_uid}"),
            })
    }

    /// The stored file of an instance, byte for byte.
    pub fn instance_bytes(
        &self,
        study_uid: &str,
        series_uid: Option<&str>,
        sop_uid: &str,
    ) -> Result<Vec<u8>> {
        let record = self.record(study_uid, series_uid, sop_uid)?;
        if !record.part10 {
            return self.wrapped_part10(&record, sop_uid);
        }
        std::fs::read(&record.path).context(error::ReadFileSnafu { path: &record.path })
    }

    /// A bare data set written as a Part 10 file in its own transfer syntax.
    fn wrapped_part10(&self, record: &InstanceRecord, sop_uid: &str) -> Result<Vec<u8>> {
        let obj = self.open_full(record)?;
        let mut out = Vec::new();
        obj.write_all(&mut out).map_err(|e| Error::Encode {
            sop_instance_uid: sop_uid.to_string(),
            reason: e.to_string(),
        })?;
        Ok(out)
    }

    /// An instance as a Part 10 file in a transfer syntax from `accepted` (UIDs; `*` accepts any): the stored file
    /// unchanged when its syntax is accepted, else re-encoded to Explicit VR Little Endian (or Implicit VR Little
    /// Endian) when one of those is accepted — decoding compressed pixel data if needed — else
    /// [`Error::NotAcceptable`].
    pub fn retrieve_instance(
        &self,
        study_uid: &str,
        series_uid: Option<&str>,
        sop_uid: &str,
        accepted: &[String],
    ) -> Result<RetrievedInstance> {
        let record = self.record(study_uid, series_uid, sop_uid)?;
        let read =
            || std::fs::read(&record.path).context(error::ReadFileSnafu { path: &record.path });
        if accepts(accepted, &record.transfer_syntax) {
            let bytes = if record.part10 {
                read()?
            } else {
                self.wrapped_part10(&record, sop_uid)?
            };
            return Ok(RetrievedInstance {
                transfer_syntax: record.transfer_syntax.clone(),
                bytes,
            });
        }
        let target = [EXPLICIT_VR_LE, IMPLICIT_VR_LE]
            .into_iter()
            .find(|ts| accepted.iter().any(|a| a == ts))
            .with_context(|| error::NotAcceptableSnafu {
                stored: record.transfer_syntax.clone(),
                accepted: accepted.join(", "),
            })?;
        let obj = self.open_full(&record)?;
        let bytes = transcode::to_native_part10(obj, sop_uid, target)?;
        Ok(RetrievedInstance {
            transfer_syntax: target.to_string(),
            bytes,
        })
    }

    /// Frames `numbers` (1-based) of an instance in a transfer syntax from `accepted` (UIDs; `*` accepts any).
    /// Uncompressed pixel data is sent as little-endian frames when Explicit (or Implicit) VR Little Endian is
    /// accepted; compressed pixel data as its stored codestreams when that syntax is accepted, else decoded to
    /// uncompressed frames when Explicit (or Implicit) VR Little Endian is accepted; otherwise
    /// [`Error::NotAcceptable`].
    pub fn frame_bytes(
        &self,
        study_uid: &str,
        series_uid: Option<&str>,
        sop_uid: &str,
        numbers: &[u32],
        accepted: &[String],
    ) -> Result<Frames> {
        let record = self.record(study_uid, series_uid, sop_uid)?;
        let stored = record.transfer_syntax.as_str();
        // Uncompressed frames are little-endian pixel bytes, the same in Explicit and Implicit VR Little Endian
        // (the VR encoding concerns the data set, not the frame); they are labelled with the one the client
        // accepts. Big Endian or Deflated frames are never produced.
        let uncompressed = [EXPLICIT_VR_LE, IMPLICIT_VR_LE]
            .into_iter()
            .find(|ts| accepts(accepted, ts));
        let not_acceptable = || {
            error::NotAcceptableSnafu {
                stored,
                accepted: accepted.join(", "),
            }
            .build()
        };
        if is_native(stored) {
            let label = uncompressed.ok_or_else(not_acceptable)?;
            let obj = self.open_full(&record)?;
            let frames = pixel::extract_frames(&obj, sop_uid, numbers)?;
            return Ok(Frames {
                transfer_syntax: label.to_string(),
                frames,
            });
        }
        if accepts(accepted, stored) {
            let obj = self.open_full(&record)?;
            let frames = pixel::extract_frames(&obj, sop_uid, numbers)?;
            return Ok(Frames {
                transfer_syntax: stored.to_string(),
                frames,
            });
        }
        let label = uncompressed.ok_or_else(not_acceptable)?;
        let obj = self.open_full(&record)?;
        let frames = transcode::decoded_frames(obj, sop_uid, numbers)?;
        Ok(Frames {
            transfer_syntax: label.to_string(),
            frames,
        })
    }

    /// All frames of an instance (its Pixel Data as bulk data), as [`Store::frame_bytes`].
    pub fn pixel_data(
        &self,
        study_uid: &str,
        series_uid: Option<&str>,
        sop_uid: &str,
        accepted: &[String],
    ) -> Result<Frames> {
        let record = self.record(study_uid, series_uid, sop_uid)?;
        let count = record
            .attrs
            .element_opt(tags::NUMBER_OF_FRAMES)
            .ok()
            .flatten()
            .and_then(|e| e.to_int::<u32>().ok())
            .filter(|&n| n >= 1)
            .unwrap_or(1);
        let numbers: Vec<u32> = (1..=count).collect();
        self.frame_bytes(study_uid, series_uid, sop_uid, &numbers, accepted)
    }

    /// Number of Frames (0028,0008) of an instance (1 for single-frame images).
    pub fn number_of_frames(
        &self,
        study_uid: &str,
        series_uid: Option<&str>,
        sop_uid: &str,
    ) -> Result<u32> {
        let record = self.record(study_uid, series_uid, sop_uid)?;
        Ok(record
            .attrs
            .element_opt(tags::NUMBER_OF_FRAMES)
            .ok()
            .flatten()
            .and_then(|e| e.to_int::<u32>().ok())
            .filter(|&n| n >= 1)
            .unwrap_or(1))
    }

    /// The Transfer Syntax UID an instance is stored in.
    pub fn transfer_syntax(
        &self,
        study_uid: &str,
        series_uid: Option<&str>,
        sop_uid: &str,
    ) -> Result<String> {
        Ok(self.record(study_uid, series_uid, sop_uid)?.transfer_syntax)
    }

    fn open_full(&self, record: &InstanceRecord) -> Result<dicom_object::DefaultDicomObject> {
        index::read_full(record)
    }
}

#[cfg(test)]
mod tests;
