//! The data source: which DICOMweb service the app reads studies from, and the study and series summaries it
//! shows, fetched with QIDO-RS.
//!
//! The server lists its DICOMweb services in `/api/config` (`{"sources":[{"name":…,"dicomweb":…}, …]}`); the user
//! picks one in the header (remembered in localStorage, by DICOMweb root), the first by default. When the list is
//! missing or unreadable the app uses `/dicom-web` on its own origin, which is what `lumen serve` provides.
//! This module turns QIDO-RS answers into plain rows for the pages; it must not render anything, and it never
//! interprets pixel data.

mod qido;

pub(crate) use qido::{series_row, sort_by_series_number, study_row};
pub use qido::{series as series_of_study, SeriesSummary, StudyPage, StudySearch, StudySummary, STUDY_PAGE};

use bytes::Bytes;
use lumen_dicomweb::transport::FetchTransport;
use lumen_dicomweb::{HttpRequest, Method, Transport};
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

/// Why a list could not be loaded, worded for the person using the viewer: the DICOMweb client's message, which
/// names the URL and the HTTP status or network failure.
#[derive(Debug, Clone, PartialEq, Eq, Snafu)]
#[snafu(display("{message}"))]
pub struct LoadError {
    message: String,
}

impl From<lumen_dicomweb::Error> for LoadError {
    fn from(e: lumen_dicomweb::Error) -> Self {
        LoadError {
            message: e.to_string(),
        }
    }
}

#[derive(Deserialize)]
struct ServerConfig {
    #[serde(default)]
    sources: Vec<SourceConfig>,
    /// Origins allowed to frame the app, whose pages may post a bearer token (see `crate::auth`).
    #[serde(default)]
    embedders: Vec<String>,
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
        DataSource {
            name: "Lumen".to_string(),
            dicomweb_root: "/dicom-web".to_string(),
        }
    }

    /// Every source listed by the server's `/api/config` (never empty): [`DataSource::same_origin`] alone when the
    /// server has no such endpoint (404), lists none, or its answer cannot be read (logged to the console, not
    /// shown: the default works). The origins allowed to embed the app go to `crate::auth` on the way.
    pub async fn all_from_server_config() -> Vec<DataSource> {
        let listed: Vec<DataSource> = match read_server_config().await {
            Ok(Some(config)) => {
                crate::auth::trust_embedders(config.embedders);
                config
                    .sources
                    .into_iter()
                    .map(DataSource::from_config)
                    .collect()
            }
            Ok(None) => {
                crate::auth::trust_embedders(Vec::new());
                Vec::new()
            }
            Err(problem) => {
                crate::auth::trust_embedders(Vec::new());
                leptos::logging::warn!(
                    "Lumen: using /dicom-web, as /api/config could not be read: {problem}"
                );
                Vec::new()
            }
        };
        if listed.is_empty() {
            vec![DataSource::same_origin()]
        } else {
            listed
        }
    }

    /// The source chosen earlier in the header (localStorage, by DICOMweb root) among `sources`, else the first.
    pub fn chosen(sources: &[DataSource]) -> Option<DataSource> {
        let remembered = leptos::prelude::window()
            .local_storage()
            .ok()
            .flatten()
            .and_then(|s| s.get_item(SOURCE_STORAGE_KEY).ok().flatten());
        pick(sources, remembered.as_deref())
    }

    /// Remembers this source as the user's choice for the next visits.
    pub fn remember(&self) {
        if let Some(storage) = leptos::prelude::window().local_storage().ok().flatten() {
            // Private browsing may refuse: the choice then lasts for this page only.
            let _ = storage.set_item(SOURCE_STORAGE_KEY, &self.dicomweb_root);
        }
    }

    fn from_config(src: SourceConfig) -> DataSource {
        let root = src.dicomweb.trim().trim_end_matches('/').to_string();
        let root = if root.is_empty() {
            DataSource::same_origin().dicomweb_root
        } else {
            root
        };
        DataSource {
            name: src
                .name
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| "DICOMweb".into()),
            dicomweb_root: root,
        }
    }

    /// One page ([`STUDY_PAGE`] studies from `search.offset`) of the studies matching `search`, newest first
    /// within the page, and whether more follow.
    pub async fn search_studies(&self, search: &StudySearch) -> Result<StudyPage, LoadError> {
        qido::search_studies(&self.dicomweb_root, search).await
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

/// The localStorage key holding the DICOMweb root of the chosen source.
const SOURCE_STORAGE_KEY: &str = "lumen.source";

/// The source whose DICOMweb root is `remembered`, else the first of `sources`.
fn pick(sources: &[DataSource], remembered: Option<&str>) -> Option<DataSource> {
    remembered
        .and_then(|root| sources.iter().find(|s| s.dicomweb_root == root))
        .or_else(|| sources.first())
        .cloned()
}

/// The server's `/api/config`, `None` when it has none (404), or why it could not be read.
async fn read_server_config() -> Result<Option<ServerConfig>, String> {
    let origin = leptos::prelude::location().origin().unwrap_or_default();
    let request = HttpRequest {
        method: Method::Get,
        url: format!("{origin}/api/config"),
        headers: vec![("Accept".to_string(), "application/json".to_string())],
        body: Bytes::new(),
    };
    let response = FetchTransport::new()
        .send(request)
        .await
        .map_err(|e| e.to_string())?;
    match response.status {
        404 => Ok(None),
        200 => serde_json::from_slice(&response.body)
            .map(Some)
            .map_err(|e| format!("not the expected JSON: {e}")),
        status => Err(format!("HTTP {status}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn config_source_root_loses_its_trailing_slash() {
        let s = DataSource::from_config(SourceConfig {
            name: Some("PACS".into()),
            dicomweb: "/dicom-web/".into(),
        });
        assert_eq!(
            s,
            DataSource {
                name: "PACS".into(),
                dicomweb_root: "/dicom-web".into()
            }
        );
    }

    #[test]
    fn config_source_without_name_or_root_gets_defaults() {
        let s = DataSource::from_config(SourceConfig {
            name: Some("  ".into()),
            dicomweb: " ".into(),
        });
        assert_eq!(
            s,
            DataSource {
                name: "DICOMweb".into(),
                dicomweb_root: "/dicom-web".into()
            }
        );
    }

    #[test]
    fn the_remembered_source_is_chosen_else_the_first() {
        let a = DataSource {
            name: "Lumen".into(),
            dicomweb_root: "/dicom-web".into(),
        };
        let b = DataSource {
            name: "PACS".into(),
            dicomweb_root: "https://pacs.example/dicom-web".into(),
        };
        let both = [a.clone(), b.clone()];
        assert_eq!(pick(&both, Some("https://pacs.example/dicom-web")), Some(b));
        assert_eq!(
            pick(&both, Some("https://gone.example/dicom-web")),
            Some(a.clone())
        );
        assert_eq!(pick(&both, None), Some(a));
        assert_eq!(pick(&[], Some("/dicom-web")), None);
    }
}
