//! Loading and running model packages on a burn device (feature `runtime`).

use burn::prelude::*;
use burn::store::{ModuleSnapshot, SafetensorsStore};
use burn::tensor::activation::softmax;
use sha2::{Digest, Sha256};
use snafu::{ensure, Snafu};

pub use crate::arch::Classifier2d;
pub use burn::tensor::Device;
use crate::{manifest, preprocess, GreyImage, ModelManifest};

/// Why a model could not be loaded or run.
#[derive(Debug, Snafu)]
pub enum InferError {
    #[snafu(display("model {id}: the weights' SHA-256 is {actual}, the manifest says {expected} (corrupt or stale download)"))]
    Hash { id: String, expected: String, actual: String },
    #[snafu(display("model {id}: cannot load the weights: {message}"))]
    Weights { id: String, message: String },
    #[snafu(display("model {id}: {message}"))]
    Input { id: String, message: String },
    #[snafu(display("model {id}: reading the result from the device failed: {message}"))]
    Readback { id: String, message: String },
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A network of one of the built-in architectures.
#[derive(Debug)]
pub enum Network {
    Classifier2d(Classifier2d),
}

impl Network {
    /// A freshly initialised network for `manifest`'s architecture.
    pub fn new(manifest: &ModelManifest, device: &Device) -> Self {
        match &manifest.architecture {
            manifest::Architecture::Classifier2d(spec) => Network::Classifier2d(Classifier2d::new(spec, device)),
        }
    }
}

/// Serialises a classifier's parameters (and batch-norm statistics) to safetensors bytes.
pub fn classifier_to_safetensors(net: &Classifier2d) -> Result<Vec<u8>, String> {
    let mut store = SafetensorsStore::from_bytes(None);
    net.save_into(&mut store).map_err(|e| e.to_string())?;
    store.get_bytes().map_err(|e| e.to_string())
}

/// Loads safetensors bytes into a classifier; every parameter must be present and no stray one left over.
pub fn classifier_from_safetensors(net: &mut Classifier2d, bytes: Vec<u8>) -> Result<(), String> {
    let mut store = SafetensorsStore::from_bytes(Some(bytes));
    let applied = net.load_from(&mut store).map_err(|e| e.to_string())?;
    if !applied.errors.is_empty() || !applied.missing.is_empty() || !applied.unused.is_empty() {
        return Err(format!(
            "missing {:?}, unexpected {:?}, errors {:?}",
            applied.missing.iter().map(|m| &m.0).collect::<Vec<_>>(),
            applied.unused,
            applied.errors
        ));
    }
    Ok(())
}

/// A model ready to run: manifest, trained network, device.
#[derive(Debug)]
pub struct LoadedModel {
    pub manifest: ModelManifest,
    pub network: Network,
    pub device: Device,
}

impl LoadedModel {
    /// Checks the weights against the manifest's hash and loads them onto `device`.
    pub fn load(manifest: ModelManifest, weights: Vec<u8>, device: &Device) -> Result<Self, InferError> {
        let actual = sha256_hex(&weights);
        ensure!(
            actual == manifest.weights.sha256,
            HashSnafu { id: manifest.id.clone(), expected: manifest.weights.sha256.clone(), actual }
        );
        let mut network = Network::new(&manifest, device);
        match &mut network {
            Network::Classifier2d(net) => classifier_from_safetensors(net, weights)
                .map_err(|message| InferError::Weights { id: manifest.id.clone(), message })?,
        }
        Ok(Self { manifest, network, device: device.clone() })
    }

    /// The input batch `[n, 1, size, size]` for `images`, prepared as the manifest says.
    pub fn input_tensor(&self, images: &[GreyImage]) -> Result<Tensor<4>, InferError> {
        let spec = &self.manifest.input;
        ensure!(!images.is_empty(), InputSnafu { id: self.manifest.id.clone(), message: "no image to run on" });
        let mut data = Vec::with_capacity(images.len() * spec.size * spec.size);
        for img in images {
            data.extend(preprocess::model_input(img, spec.size, spec.mean, spec.std));
        }
        Ok(Tensor::from_data(TensorData::new(data, [images.len(), 1, spec.size, spec.size]), &self.device))
    }

    /// Class probabilities (softmax) as a lazy tensor `[n, classes]`.
    fn probabilities(&self, images: &[GreyImage]) -> Result<Tensor<2>, InferError> {
        let x = self.input_tensor(images)?;
        match &self.network {
            Network::Classifier2d(net) => Ok(softmax(net.forward(x), 1)),
        }
    }

    /// Class probabilities for each image, in the order of the manifest's outputs. Asynchronous read-back: safe
    /// in wasm on every backend.
    pub async fn classify(&self, images: &[GreyImage]) -> Result<Vec<Vec<f32>>, InferError> {
        let probs = self.probabilities(images)?;
        let data = probs
            .into_data_async()
            .await
            .map_err(|e| InferError::Readback { id: self.manifest.id.clone(), message: format!("{e:?}") })?;
        self.rows(data)
    }

    /// [`Self::classify`] with a blocking read (native only: wasm cannot block on the device).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn classify_blocking(&self, images: &[GreyImage]) -> Result<Vec<Vec<f32>>, InferError> {
        let data = self
            .probabilities(images)?
            .try_into_data()
            .map_err(|e| InferError::Readback { id: self.manifest.id.clone(), message: format!("{e:?}") })?;
        self.rows(data)
    }

    fn rows(&self, data: TensorData) -> Result<Vec<Vec<f32>>, InferError> {
        let classes = self.manifest.outputs.len();
        let values: Vec<f32> = data
            .try_to_vec()
            .map_err(|e| InferError::Readback { id: self.manifest.id.clone(), message: format!("{e:?}") })?;
        Ok(values.chunks(classes).map(|c| c.to_vec()).collect())
    }
}
