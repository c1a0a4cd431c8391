//! The data source: which DICOMweb service the app reads studies from, and the study and series summaries it
//! shows, fetched with QIDO-RS.
//!
//! The server says where its DICOMweb root is in `/api/config` (`{"sources":[{"name":…,"dicomweb":…}]}`); when that
//! is missing or unreadable the app uses `/dicom-web` on its own origin, which is what `lumen serve` provides.
//! This module turns QIDO-RS answers into plain rows for the pages; it must not render anything, and it never
//! interprets pixel data.

mod http;
mod qido;

pub use qido::{SeriesSummary, StudyPage, StudySummary};

use serde::Deserialize;
use snafu::Snafu;

/// The DICOMweb service studies are read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataSource {
    /// A name for people ("Lumen demo", "Radiology PACS").
    pub name: String,
    /// The DICOMweb root URL without a trailing `/` (absolute, or a path on the app's own origin).
    pub dicomweb_root: String,
}

/// Why a list could not be loaded, worded for the person using the viewer.
#[derive(Debug, Clone, Snafu)]
pub enum LoadError {
    /// The request never got an answer (server down, network cut, blocked by the browser).
    #[snafu(display("no answer from {url}: {message}"))]
    Network { url: String, message: String },
    /// The server answered with an HTTP error status.
    #[snafu(display("{url} answered HTTP {status}{}", if status_text.is_empty() { String::new() } else { format!(" {status_text}") }))]
    Status { url: String, status: u16, status_text: String },
    /// The answer was not the JSON expected (DICOM JSON, PS3.18 F.2, for a QIDO-RS search).
    #[snafu(display("{url} did not return the expected JSON: {message}"))]
    BadJson { url: String, message: String },
}

#[derive(Deserialize)]
struct ServerConfig {
    #[serde(default)]
    sources: Vec<SourceConfig>,
}

#[derive(Deserialize)]
struct SourceConfig {
    #[serde(default)]
    name: Option<String>,
    dicomweb: String,
}

impl DataSource {
    /// `/dicom-web` on the app's own origin: the DICOMweb service of `lumen serve`.
    pub fn same_origin() -> DataSource {
        DataSource { name: "Lumen".to_string(), dicomweb_root: "/dicom-web".to_string() }
    }

    /// The first source listed by the server's `/api/config`, or [`DataSource::same_origin`] when the server has
    /// no such endpoint or its answer cannot be read (logged to the console, not shown: the default works).
    pub async fn from_server_config() -> DataSource {
        match http::get_json::<ServerConfig>("/api/config", "application/json").await {
            Ok(config) => match config.sources.into_iter().next() {
                Some(src) => DataSource::from_config(src),
                None => DataSource::same_origin(),
            },
            Err(e) => {
                if !matches!(e, LoadError::Status { status: 404, .. }) {
                    leptos::logging::warn!("Lumen: using /dicom-web, /api/config could not be read: {e}");
                }
                DataSource::same_origin()
            }
        }
    }

    fn from_config(src: SourceConfig) -> DataSource {
        let root = src.dicomweb.trim().trim_end_matches('/').to_string();
        let root = if root.is_empty() { DataSource::same_origin().dicomweb_root } else { root };
        DataSource { name: src.name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| "DICOMweb".into()), dicomweb_root: root }
    }

    /// Studies whose Patient Name (0010,0010) starts with `patient_name` (all studies when empty), newest first,
    /// at most [`qido::STUDY_LIMIT`].
    pub async fn search_studies(&self, patient_name: &str) -> Result<StudyPage, LoadError> {
        qido::search_studies(&self.dicomweb_root, patient_name).await
    }

    /// The study with this Study Instance UID (0020,000D), if the archive has it.
    pub async fn study(&self, study_instance_uid: &str) -> Result<Option<StudySummary>, LoadError> {
        qido::study(&self.dicomweb_root, study_instance_uid).await
    }

    /// The series of a study, by Series Number (0020,0011).
    pub async fn series(&self, study_instance_uid: &str) -> Result<Vec<SeriesSummary>, LoadError> {
        qido::series(&self.dicomweb_root, study_instance_uid).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_source_root_loses_its_trailing_slash() {
        let s = DataSource::from_config(SourceConfig { name: Some("PACS".into()), dicomweb: "/dicom-web/".into() });
        assert_eq!(s, DataSource { name: "PACS".into(), dicomweb_root: "/dicom-web".into() });
    }

    #[test]
    fn config_source_without_name_or_root_gets_defaults() {
        let s = DataSource::from_config(SourceConfig { name: Some("  ".into()), dicomweb: " ".into() });
        assert_eq!(s, DataSource { name: "DICOMweb".into(), dicomweb_root: "/dicom-web".into() });
    }

    #[test]
    fn status_error_names_the_url_and_code() {
        let e = LoadError::Status { url: "/dicom-web/studies".into(), status: 502, status_text: "Bad Gateway".into() };
        assert_eq!(e.to_string(), "/dicom-web/studies answered HTTP 502 Bad Gateway");
    }
}
