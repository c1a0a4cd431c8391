//! Loading and running model packages on a burn device (feature `runtime`).

use burn::prelude::*;
use burn::store::{ModuleSnapshot, SafetensorsStore};
use burn::tensor::activation::softmax;
use sha2::{Digest, Sha256};
use snafu::{ensure, Snafu};

pub use crate::arch::{Classifier2d, Unet2d};
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
    Unet2d(Unet2d),
}

impl Network {
    /// A freshly initialised network for `manifest`'s architecture.
    pub fn new(manifest: &ModelManifest, device: &Device) -> Self {
        match &manifest.architecture {
            manifest::Architecture::Classifier2d(spec) => Network::Classifier2d(Classifier2d::new(spec, device)),
            manifest::Architecture::Unet2d(spec) => Network::Unet2d(Unet2d::new(spec, device)),
        }
    }
}

/// Serialises a network's parameters (and batch-norm statistics) to safetensors bytes.
pub fn to_safetensors<M: ModuleSnapshot>(net: &M) -> Result<Vec<u8>, String> {
    let mut store = SafetensorsStore::from_bytes(None);
    net.save_into(&mut store).map_err(|e| e.to_string())?;
    store.get_bytes().map_err(|e| e.to_string())
}

/// Loads safetensors bytes into a network; every parameter must be present and no stray one left over.
pub fn from_safetensors<M: ModuleSnapshot>(net: &mut M, bytes: Vec<u8>) -> Result<(), String> {
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

/// A segmentation model's answer for one image.
#[derive(Debug, Clone, PartialEq)]
pub struct Segmentation {
    /// The source image's size.
    pub width: usize,
    pub height: usize,
    /// One output index per source pixel, row-major (0 = the first output, background).
    pub labels: Vec<u8>,
    /// Softmax probabilities on the model's grid (`classes × size × size`, class-major).
    pub probabilities: Vec<f32>,
}

impl Segmentation {
    /// Number of pixels of each output index.
    pub fn counts(&self, classes: usize) -> Vec<usize> {
        let mut counts = vec![0usize; classes];
        for &l in &self.labels {
            if let Some(c) = counts.get_mut(l as usize) {
                *c += 1;
            }
        }
        counts
    }
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
        let loaded = match &mut network {
            Network::Classifier2d(net) => from_safetensors(net, weights),
            Network::Unet2d(net) => from_safetensors(net, weights),
        };
        loaded.map_err(|message| InferError::Weights { id: manifest.id.clone(), message })?;
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
            Network::Unet2d(_) => self.input_error("is a segmentation model: use segment"),
        }
    }

    fn input_error<T>(&self, message: &str) -> Result<T, InferError> {
        Err(InferError::Input { id: self.manifest.id.clone(), message: message.to_string() })
    }

    /// Per-pixel class probabilities (softmax over classes) as a lazy tensor `[1, classes, size, size]`.
    fn pixel_probabilities(&self, image: &GreyImage) -> Result<Tensor<4>, InferError> {
        let x = self.input_tensor(std::slice::from_ref(image))?;
        match &self.network {
            Network::Unet2d(net) => Ok(softmax(net.forward(x), 1)),
            Network::Classifier2d(_) => self.input_error("is a classification model: use classify"),
        }
    }

    /// The label map of `image` at its own resolution ([`preprocess::label_map`]). Asynchronous read-back:
    /// safe in wasm on every backend.
    pub async fn segment(&self, image: &GreyImage) -> Result<Segmentation, InferError> {
        let data = self
            .pixel_probabilities(image)?
            .into_data_async()
            .await
            .map_err(|e| InferError::Readback { id: self.manifest.id.clone(), message: format!("{e:?}") })?;
        self.segmentation(image, data)
    }

    /// [`Self::segment`] with a blocking read (native only).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn segment_blocking(&self, image: &GreyImage) -> Result<Segmentation, InferError> {
        let data = self
            .pixel_probabilities(image)?
            .try_into_data()
            .map_err(|e| InferError::Readback { id: self.manifest.id.clone(), message: format!("{e:?}") })?;
        self.segmentation(image, data)
    }

    fn segmentation(&self, image: &GreyImage, data: TensorData) -> Result<Segmentation, InferError> {
        let probabilities: Vec<f32> = data
            .try_to_vec()
            .map_err(|e| InferError::Readback { id: self.manifest.id.clone(), message: format!("{e:?}") })?;
        let classes = self.manifest.outputs.len();
        let size = self.manifest.input.size;
        let labels = preprocess::label_map(&probabilities, classes, size, image.width, image.height)
            .ok_or_else(|| InferError::Readback { id: self.manifest.id.clone(), message: "wrong output size".into() })?;
        Ok(Segmentation { width: image.width, height: image.height, labels, probabilities })
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

    /// The numbers a package's `selftest.json` records for [`crate::selftest::image`]: a classifier's
    /// probabilities; for a segmentation model, every class's probability at an 8 × 8 lattice of grid pixels
    /// ([`selftest_lattice`]). Every runtime must reproduce them (the parity check run as the warm-up pass).
    pub async fn selftest_outputs(&self) -> Result<Vec<f32>, InferError> {
        let image = crate::selftest::image();
        match &self.network {
            Network::Classifier2d(_) => Ok(self.classify(std::slice::from_ref(&image)).await?.remove(0)),
            Network::Unet2d(_) => Ok(self.selftest_lattice(&self.segment(&image).await?.probabilities)),
        }
    }

    /// [`Self::selftest_outputs`] with a blocking read (native only).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn selftest_outputs_blocking(&self) -> Result<Vec<f32>, InferError> {
        let image = crate::selftest::image();
        match &self.network {
            Network::Classifier2d(_) => Ok(self.classify_blocking(std::slice::from_ref(&image))?.remove(0)),
            Network::Unet2d(_) => Ok(self.selftest_lattice(&self.segment_blocking(&image)?.probabilities)),
        }
    }

    /// Probabilities (class-major grid) sampled at an 8 × 8 lattice of pixel centres, every class per point.
    fn selftest_lattice(&self, probabilities: &[f32]) -> Vec<f32> {
        let (size, classes) = (self.manifest.input.size, self.manifest.outputs.len());
        let step = (size / 8).max(1);
        let mut out = Vec::with_capacity(64 * classes);
        for y in (step / 2..size).step_by(step).take(8) {
            for x in (step / 2..size).step_by(step).take(8) {
                for c in 0..classes {
                    out.push(probabilities[c * size * size + y * size + x]);
                }
            }
        }
        out
    }

    fn rows(&self, data: TensorData) -> Result<Vec<Vec<f32>>, InferError> {
        let classes = self.manifest.outputs.len();
        let values: Vec<f32> = data
            .try_to_vec()
            .map_err(|e| InferError::Readback { id: self.manifest.id.clone(), message: format!("{e:?}") })?;
        Ok(values.chunks(classes).map(|c| c.to_vec()).collect())
    }
}
