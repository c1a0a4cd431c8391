//! The model packages the server can run: the ones embedded with the web app (`models/index.json`,
//! `models/<id>/manifest.json`, `models/<id>/<weights file>`, copied there by `scripts/build-web.sh`), or a folder
//! of packages (`models/<id>/…`) when one is configured. Manifests are read on demand; a loaded model (weights
//! checked against the manifest's SHA-256 by [`LoadedModel::load`]) is kept for the next job.

use crate::assets;
use lumen_infer::{Device, LoadedModel, ModelManifest};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Where packages are read from.
enum Packages {
    /// `<dir>/<id>/manifest.json`…
    Dir(PathBuf),
    /// The web app's `models/` embedded in the binary.
    Embedded,
}

/// Why a model cannot be used.
pub(crate) enum ModelError {
    /// No packages at all (the server was built without the web app and no folder is configured).
    Unavailable,
    /// No package with this id.
    Unknown(String),
    /// The package is there but broken (bad manifest, weights missing or not matching their hash).
    Broken(String),
}

pub(crate) struct Models {
    packages: Option<Packages>,
    loaded: Mutex<HashMap<String, Arc<LoadedModel>>>,
}

impl Models {
    /// Packages from `dir` when given, else the embedded ones when the web app was built with any.
    pub(crate) fn new(dir: Option<PathBuf>) -> Models {
        let packages = match dir {
            Some(dir) => Some(Packages::Dir(dir)),
            None => assets::asset("models/index.json").map(|_| Packages::Embedded),
        };
        Models {
            packages,
            loaded: Mutex::new(HashMap::new()),
        }
    }

    /// Whether any package source exists.
    pub(crate) fn available(&self) -> bool {
        self.packages.is_some()
    }

    fn file(&self, id: &str, name: &str) -> Result<Option<Vec<u8>>, ModelError> {
        match &self.packages {
            None => Err(ModelError::Unavailable),
            Some(Packages::Embedded) => {
                Ok(assets::asset(&format!("models/{id}/{name}")).map(|(b, _)| b.to_vec()))
            }
            Some(Packages::Dir(dir)) => match std::fs::read(dir.join(id).join(name)) {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(ModelError::Broken(format!(
                    "model {id}: cannot read {name}: {e}"
                ))),
            },
        }
    }

    /// The manifest of package `id`.
    pub(crate) fn manifest(&self, id: &str) -> Result<ModelManifest, ModelError> {
        if !self.available() {
            return Err(ModelError::Unavailable);
        }
        if !valid_id(id) {
            return Err(ModelError::Unknown(id.to_string()));
        }
        let bytes = self
            .file(id, "manifest.json")?
            .ok_or_else(|| ModelError::Unknown(id.to_string()))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| ModelError::Broken(format!("model {id}: manifest.json is not UTF-8")))?;
        ModelManifest::from_json(&text).map_err(|e| ModelError::Broken(format!("model {id}: {e}")))
    }

    /// Package `id`, loaded on the CPU (Flex) backend — from the cache, else read and verified now. Blocking.
    pub(crate) fn load(&self, id: &str) -> Result<Arc<LoadedModel>, ModelError> {
        if let Some(model) = self.loaded.lock().ok().and_then(|m| m.get(id).cloned()) {
            return Ok(model);
        }
        let manifest = self.manifest(id)?;
        let weights = self.file(id, &manifest.weights.file)?.ok_or_else(|| {
            ModelError::Broken(format!(
                "model {id}: its weights file {} is missing",
                manifest.weights.file
            ))
        })?;
        let model = LoadedModel::load(manifest, weights, &Device::flex())
            .map_err(|e| ModelError::Broken(e.to_string()))?;
        let model = Arc::new(model);
        if let Ok(mut cache) = self.loaded.lock() {
            cache.insert(id.to_string(), model.clone());
        }
        Ok(model)
    }
}

/// A package id is a folder name: letters, digits, `-`, `_`, `.` (not leading), so it can never leave the folder.
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 100
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_ids_cannot_escape_the_folder() {
        assert!(valid_id("ct-chest-seg"));
        assert!(valid_id("cxr_qc.v2"));
        assert!(!valid_id(".."));
        assert!(!valid_id("../etc"));
        assert!(!valid_id("a/b"));
        assert!(!valid_id(""));
    }

    #[test]
    fn missing_folder_package_is_unknown_not_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        let models = Models::new(Some(dir.path().to_path_buf()));
        assert!(matches!(
            models.manifest("cxr-qc"),
            Err(ModelError::Unknown(_))
        ));
        assert!(matches!(models.load("cxr-qc"), Err(ModelError::Unknown(_))));
    }
}
