//! Adding instances to the store (the storage half of STOW-RS): validate the upload, write it atomically, index it.
//!
//! An upload is accepted only when it is a DICOM Part 10 file that parses completely and carries valid Study,
//! Series, SOP Instance and SOP Class UIDs. It is written to a temporary file in the destination folder, flushed to
//! disk (fsync) and renamed over its final name, so readers and crashes never see a partial file. A SOP Instance
//! UID already in the store is replaced in place. This module must not speak HTTP.

use crate::error::{self, Result};
use crate::index;
use crate::{InstanceId, Store, StoredInstance};
use dicom_dictionary_std::tags;
use dicom_object::file::ReadPreamble;
use dicom_object::OpenFileOptions;
use snafu::ResultExt;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes temporary files of concurrent writes within one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl Store {
    /// Stores one uploaded Part 10 file (with or without its 128-byte preamble). Returns where it was written and
    /// whether an instance with the same SOP Instance UID was replaced. On any error nothing is written.
    pub fn store(&self, bytes: &[u8]) -> Result<StoredInstance> {
        self.store_in_study(bytes, None)
    }

    /// As [`Store::store`], but when `target_study` is given (STOW-RS `POST /studies/{study}`) the instance must
    /// belong to that study, else [`crate::Error::StudyMismatch`].
    pub fn store_in_study(
        &self,
        bytes: &[u8],
        target_study: Option<&str>,
    ) -> Result<StoredInstance> {
        let has_preamble = bytes.get(128..132) == Some(b"DICM");
        let no_preamble = bytes.get(..4) == Some(b"DICM");
        snafu::ensure!(
            has_preamble || no_preamble,
            error::NotPart10Snafu {
                reason: "no \"DICM\" prefix at byte 128 (or 0): the file meta group is missing"
            }
        );
        let obj = OpenFileOptions::new()
            .read_preamble(if has_preamble {
                ReadPreamble::Always
            } else {
                ReadPreamble::Never
            })
            .from_reader(bytes)
            .map_err(|e| {
                error::NotPart10Snafu {
                    reason: e.to_string(),
                }
                .build()
            })?;
        let header = index::parse_header(&obj)?;
        if let Some(expected) = target_study {
            snafu::ensure!(
                expected == header.study_uid,
                error::StudyMismatchSnafu {
                    expected,
                    found: header.study_uid.clone()
                }
            );
        }
        let sop_class_uid = obj
            .element_opt(tags::SOP_CLASS_UID)
            .ok()
            .flatten()
            .and_then(|e| e.to_str().ok())
            .map(|s| s.trim_end_matches(['\0', ' ']).to_string())
            .unwrap_or_default();
        drop(obj);

        let _guard = self.write_lock.lock().map_err(|_| crate::Error::Poisoned)?;
        let existing = {
            let idx = self.index.read().map_err(|_| crate::Error::Poisoned)?;
            idx.locations
                .get(&header.sop_uid)
                .and_then(|(st, se)| idx.instance(st, Some(se), &header.sop_uid))
                .map(|r| r.path.clone())
        };
        // UIDs were validated (digits and dots only), so they are safe as path components.
        let path = existing.clone().unwrap_or_else(|| {
            self.root
                .join(&header.study_uid)
                .join(&header.series_uid)
                .join(format!("{}.dcm", header.sop_uid))
        });
        let preamble: &[u8] = if has_preamble { &[] } else { &[0u8; 128] };
        write_atomically(&path, &[preamble, bytes])?;

        let id = InstanceId {
            study_uid: header.study_uid.clone(),
            series_uid: header.series_uid.clone(),
            sop_instance_uid: header.sop_uid.clone(),
        };
        let mut idx = self.index.write().map_err(|_| crate::Error::Poisoned)?;
        idx.insert(header, path.clone());
        Ok(StoredInstance {
            id,
            sop_class_uid,
            path,
            replaced: existing.is_some(),
        })
    }
}

/// Writes `chunks` to `path` through a temporary file in the same folder: write, fsync, rename, then fsync the
/// folder so the rename itself is durable. The temporary file is removed on failure.
pub(crate) fn write_atomically(path: &Path, chunks: &[&[u8]]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).context(error::WriteFileSnafu { path: dir })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(
        ".lumen-tmp-{}-{}-{name}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        for chunk in chunks {
            file.write_all(chunk)?;
        }
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temp, path)?;
        // Directory fsync makes the rename durable on POSIX file systems; other platforms cannot open folders.
        #[cfg(unix)]
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result.context(error::WriteFileSnafu { path })
}
