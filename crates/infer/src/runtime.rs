//! Loading and running model packages on a burn device (feature `runtime`).

use burn::prelude::*;
use burn::store::{FloatCastAdapter, ModuleSnapshot, SafetensorsStore};
use burn::tensor::DType;
use burn::tensor::activation::softmax;
use sha2::{Digest, Sha256};
use snafu::{ensure, Snafu};

pub use crate::arch::{Classifier2d, Meshnet3d, Unet2d};
pub use burn::tensor::Device;
use crate::{manifest, preprocess, GreyImage, ModelManifest, WeightsDtype};

/// Why a model could not be loaded or run.
#[derive(Debug, Snafu)]
pub enum InferError {
    #[snafu(display("model {id}: the weights' SHA-256 is {actual}, the manifest says {expected} (corrupt or stale download)"))]
    Hash { id: String, expected: String, actual: String },
    #[snafu(display("model {id}: cannot load the weights: {message}"))]
    Weights { id: String, message: String },
    /// The weights file is not stored in the element type the manifest's `weights.dtype` declares.
    #[snafu(display("model {id}: the manifest declares {declared} weights, but {problem}"))]
    Dtype { id: String, declared: String, problem: String },
    #[snafu(display("model {id}: {message}"))]
    Input { id: String, message: String },
    #[snafu(display("model {id}: reading the result from the device failed: {message}"))]
    Readback { id: String, message: String },
    #[snafu(display("model {id}: cancelled"))]
    Cancelled { id: String },
}

/// The largest resampled grid a 3D model is run on (voxels): 512³ / 8, e.g. 400 mm × 400 mm × 500 mm at 2 mm.
pub const MAX_GRID_VOXELS: usize = 1 << 24;

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A network of one of the built-in architectures.
#[derive(Debug)]
pub enum Network {
    Classifier2d(Classifier2d),
    Unet2d(Unet2d),
    Meshnet3d(Meshnet3d),
}

impl Network {
    /// A freshly initialised network for `manifest`'s architecture.
    pub fn new(manifest: &ModelManifest, device: &Device) -> Self {
        match &manifest.architecture {
            manifest::Architecture::Classifier2d(spec) => Network::Classifier2d(Classifier2d::new(spec, device)),
            manifest::Architecture::Unet2d(spec) => Network::Unet2d(Unet2d::new(spec, device)),
            manifest::Architecture::Meshnet3d(spec) => Network::Meshnet3d(Meshnet3d::new(spec, device)),
        }
    }

    /// The network's weights as a package's safetensors file, every tensor stored as `dtype`.
    pub fn weights_as(&self, dtype: WeightsDtype) -> Result<Vec<u8>, String> {
        match self {
            Network::Classifier2d(net) => to_safetensors_as(net, dtype),
            Network::Unet2d(net) => to_safetensors_as(net, dtype),
            Network::Meshnet3d(net) => to_safetensors_as(net, dtype),
        }
    }
}

/// Serialises a network's parameters (and batch-norm statistics) to safetensors bytes, as f32.
pub fn to_safetensors<M: ModuleSnapshot>(net: &M) -> Result<Vec<u8>, String> {
    to_safetensors_as(net, WeightsDtype::F32)
}

fn burn_dtype(dtype: WeightsDtype) -> DType {
    match dtype {
        WeightsDtype::F32 => DType::F32,
        WeightsDtype::F16 => DType::F16,
    }
}

/// Serialises a network's parameters (and batch-norm statistics) to safetensors bytes with every tensor stored
/// as `dtype` (f16: rounded to nearest, half the size).
pub fn to_safetensors_as<M: ModuleSnapshot>(net: &M, dtype: WeightsDtype) -> Result<Vec<u8>, String> {
    let mut store = SafetensorsStore::from_bytes(None);
    if dtype != WeightsDtype::F32 {
        store = store.with_to_adapter(FloatCastAdapter::to(burn_dtype(dtype)));
    }
    net.save_into(&mut store).map_err(|e| e.to_string())?;
    store.get_bytes().map_err(|e| e.to_string())
}

/// Loads safetensors bytes whose every tensor is stored as `dtype` into a network, converting them to the
/// runtime's f32; every parameter must be present and no stray one left over. A file stored otherwise than
/// `dtype` is refused before anything is loaded ([`crate::weights::check_dtype`]).
pub fn from_safetensors<M: ModuleSnapshot>(net: &mut M, bytes: Vec<u8>, dtype: WeightsDtype) -> Result<(), String> {
    crate::weights::check_dtype(&bytes, dtype).map_err(|problem| format!("declared {}: {problem}", dtype.as_str()))?;
    let mut store = SafetensorsStore::from_bytes(Some(bytes));
    if dtype != WeightsDtype::F32 {
        store = store.with_from_adapter(FloatCastAdapter::to(DType::F32));
    }
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

/// A 3D model's answer for a volume.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeSegmentation {
    /// The source slices' size.
    pub width: usize,
    pub height: usize,
    /// One label map per source slice, in the volume's order (row-major, 0 = background).
    pub slices: Vec<Vec<u8>>,
    pub classes: usize,
    /// The resampled grid, `[depth, height, width]`.
    pub grid: [usize; 3],
    /// Softmax probabilities on the grid (`classes × depth × height × width`, class-major).
    pub probabilities: Vec<f32>,
}

/// Softmax over `classes` class-major planes of `cells` values each.
fn softmax_classes(mut logits: Vec<f32>, classes: usize, cells: usize) -> Vec<f32> {
    for i in 0..cells {
        let max = (0..classes).map(|c| logits[c * cells + i]).fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0;
        for c in 0..classes {
            let e = (logits[c * cells + i] - max).exp();
            logits[c * cells + i] = e;
            sum += e;
        }
        for c in 0..classes {
            logits[c * cells + i] /= sum;
        }
    }
    logits
}

/// Probabilities of every class at a 4 × 4 × 4 lattice of grid voxel centres (a 3D model's self-test numbers).
fn volume_lattice(probabilities: &[f32], classes: usize, grid: [usize; 3]) -> Vec<f32> {
    let [d, h, w] = grid;
    let at = |n: usize, i: usize| ((2 * i + 1) * n / 8).min(n - 1);
    let mut out = Vec::with_capacity(64 * classes);
    for z in 0..4 {
        for y in 0..4 {
            for x in 0..4 {
                let cell = (at(d, z) * h + at(h, y)) * w + at(w, x);
                for c in 0..classes {
                    out.push(probabilities[c * d * h * w + cell]);
                }
            }
        }
    }
    out
}

/// A 3D model's network and its input for a volume: resampled to the grid `[d, h, w]` and normalised.
struct VolumeInput<'a> {
    net: &'a Meshnet3d,
    spec: &'a manifest::Meshnet3dSpec,
    x: Vec<f32>,
    grid: [usize; 3],
}

/// A model ready to run: manifest, trained network, device.
#[derive(Debug)]
pub struct LoadedModel {
    pub manifest: ModelManifest,
    pub network: Network,
    pub device: Device,
}

impl LoadedModel {
    /// Checks the weights against the manifest's hash and declared element type (`weights.dtype`: f32 or f16,
    /// converted to f32 here) and loads them onto `device`.
    pub fn load(manifest: ModelManifest, weights: Vec<u8>, device: &Device) -> Result<Self, InferError> {
        let actual = sha256_hex(&weights);
        ensure!(
            actual == manifest.weights.sha256,
            HashSnafu { id: manifest.id.clone(), expected: manifest.weights.sha256.clone(), actual }
        );
        let dtype_error = |problem: String| InferError::Dtype {
            id: manifest.id.clone(),
            declared: manifest.weights.dtype.clone(),
            problem,
        };
        let dtype = manifest
            .weights
            .element_type()
            .ok_or_else(|| dtype_error("only f32 and f16 are supported".into()))?;
        crate::weights::check_dtype(&weights, dtype).map_err(dtype_error)?;
        let mut network = Network::new(&manifest, device);
        let loaded = match &mut network {
            Network::Classifier2d(net) => from_safetensors(net, weights, dtype),
            Network::Unet2d(net) => from_safetensors(net, weights, dtype),
            Network::Meshnet3d(net) => from_safetensors(net, weights, dtype),
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
            Network::Unet2d(_) | Network::Meshnet3d(_) => self.input_error("is a segmentation model: use segment"),
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
            Network::Meshnet3d(_) => self.input_error("is a 3D model: it labels whole volumes (segment_volume_blocking)"),
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
            Network::Meshnet3d(_) => {
                let voxel = self.manifest.input.voxel_mm.unwrap_or(1.0);
                let seg = self.segment_volume(&crate::selftest::volume(voxel), |_, _| std::future::ready(true)).await?;
                Ok(volume_lattice(&seg.probabilities, seg.classes, seg.grid))
            }
        }
    }

    /// [`Self::selftest_outputs`] with a blocking read (native only).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn selftest_outputs_blocking(&self) -> Result<Vec<f32>, InferError> {
        let image = crate::selftest::image();
        match &self.network {
            Network::Classifier2d(_) => Ok(self.classify_blocking(std::slice::from_ref(&image))?.remove(0)),
            Network::Unet2d(_) => Ok(self.selftest_lattice(&self.segment_blocking(&image)?.probabilities)),
            Network::Meshnet3d(_) => {
                let voxel = self.manifest.input.voxel_mm.unwrap_or(1.0);
                let seg = self.segment_volume_blocking(&crate::selftest::volume(voxel), &mut |_, _| true)?;
                Ok(volume_lattice(&seg.probabilities, seg.classes, seg.grid))
            }
        }
    }

    /// For a 3D model: how many blocks [`Self::segment_volume_blocking`] runs for a `width × height × depth`
    /// series of this voxel `spacing` (mm: column, row, slice); `None` for a 2D model.
    pub fn volume_blocks(&self, width: usize, height: usize, depth: usize, spacing: [f32; 3]) -> Option<usize> {
        let voxel = self.manifest.input.voxel_mm.filter(|_| self.manifest.is_volumetric())?;
        let probe = crate::GreyVolume { width, height, depth, spacing, plane: [height, width], data: Vec::new() };
        let block = self.manifest.input.size.max(1);
        Some(probe.grid_dims(voxel).iter().map(|n| n.div_ceil(block)).product())
    }

    /// For a 3D model: a builder that puts a `width × height × depth` series of this voxel `spacing` (mm:
    /// column, row, slice) onto this model's grid slice by slice ([`crate::GreyVolumeBuilder`]), so the
    /// full-resolution stack is never held.
    pub fn volume_builder(&self, width: usize, height: usize, depth: usize, spacing: [f32; 3]) -> Result<crate::GreyVolumeBuilder, InferError> {
        if !self.manifest.is_volumetric() {
            return self.input_error("is not a 3D model: use segment");
        }
        let voxel = self.manifest.input.voxel_mm.unwrap_or(1.0);
        crate::GreyVolumeBuilder::new(width, height, depth, spacing, voxel)
            .map_err(|message| InferError::Input { id: self.manifest.id.clone(), message })
    }

    /// Labels every voxel of `volume` with a 3D model: the volume is resampled to the manifest's isotropic
    /// `voxel_mm` grid, run block by block ([`crate::arch::chunked_logits`], blocks of `input.size`³ voxels with
    /// the network's receptive-field margin, so the result equals one pass), turned into probabilities (softmax
    /// per voxel) and mapped back to one label map per source slice ([`crate::volume::slice_label_maps`]).
    /// `progress(done, total)` is called after every block; returning `false` cancels (→ [`InferError::Cancelled`]).
    /// Native only (blocking read-back); [`Self::segment_volume`] is the same with asynchronous read-back.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn segment_volume_blocking(
        &self,
        volume: &crate::GreyVolume,
        progress: &mut dyn FnMut(usize, usize) -> bool,
    ) -> Result<VolumeSegmentation, InferError> {
        let VolumeInput { net, spec, x, grid } = self.volume_input(volume)?;
        let logits = crate::arch::chunked_logits(net, spec, &x, grid, self.manifest.input.size.max(1), &self.device, progress)
            .map_err(|e| self.chunk_error(e))?;
        self.volume_segmentation(volume, grid, logits)
    }

    /// [`Self::segment_volume_blocking`] with asynchronous read-back, safe in wasm on every backend (the browser's
    /// AI worker): the same grid, blocks and label maps. `between(done, total)` is awaited after every block —
    /// report progress and yield to the event loop there; resolving to `false` cancels (→
    /// [`InferError::Cancelled`]).
    pub async fn segment_volume<F, Fut>(&self, volume: &crate::GreyVolume, between: F) -> Result<VolumeSegmentation, InferError>
    where
        F: FnMut(usize, usize) -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let VolumeInput { net, spec, x, grid } = self.volume_input(volume)?;
        let block = self.manifest.input.size.max(1);
        let logits = crate::arch::chunked_logits_async(net, spec, &x, grid, block, &self.device, between)
            .await
            .map_err(|e| self.chunk_error(e))?;
        self.volume_segmentation(volume, grid, logits)
    }

    /// A 3D model's network and its input for `volume`: checked, resampled to the grid and normalised.
    fn volume_input(&self, volume: &crate::GreyVolume) -> Result<VolumeInput<'_>, InferError> {
        let id = || self.manifest.id.clone();
        let (Network::Meshnet3d(net), manifest::Architecture::Meshnet3d(spec)) = (&self.network, &self.manifest.architecture) else {
            return self.input_error("is not a 3D model: use segment");
        };
        ensure!(
            volume.is_complete(),
            InputSnafu { id: id(), message: "the volume's values do not match its size" }
        );
        let voxel = self.manifest.input.voxel_mm.unwrap_or(1.0);
        let grid = volume.grid_dims(voxel);
        let cells = grid.iter().product::<usize>();
        ensure!(
            cells <= MAX_GRID_VOXELS,
            InputSnafu { id: id(), message: format!("the series spans {grid:?} voxels of {voxel} mm, more than {MAX_GRID_VOXELS}") }
        );
        let input = &self.manifest.input;
        let x: Vec<f32> = volume.resample(grid).iter().map(|v| (v - input.mean) / input.std).collect();
        Ok(VolumeInput { net, spec, x, grid })
    }

    fn chunk_error(&self, e: crate::arch::ChunkError) -> InferError {
        let id = self.manifest.id.clone();
        match e {
            crate::arch::ChunkError::Cancelled => InferError::Cancelled { id },
            crate::arch::ChunkError::Input(message) => InferError::Input { id, message },
            crate::arch::ChunkError::Device(message) => InferError::Readback { id, message },
        }
    }

    /// The grid's logits → probabilities (softmax per voxel) → one label map per source slice.
    fn volume_segmentation(&self, volume: &crate::GreyVolume, grid: [usize; 3], logits: Vec<f32>) -> Result<VolumeSegmentation, InferError> {
        let classes = self.manifest.outputs.len();
        let probabilities = softmax_classes(logits, classes, grid.iter().product());
        let slices = crate::volume::slice_label_maps(&probabilities, classes, grid, volume.width, volume.height, volume.depth)
            .ok_or_else(|| InferError::Readback { id: self.manifest.id.clone(), message: "wrong output size".into() })?;
        Ok(VolumeSegmentation { width: volume.width, height: volume.height, slices, classes, grid, probabilities })
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

#[cfg(all(test, feature = "flex"))]
mod tests {
    use super::*;

    /// A tiny classifier package (random weights, 16² input) whose weights are stored as `dtype`.
    fn package(dtype: WeightsDtype) -> (ModelManifest, Vec<u8>, Vec<u8>) {
        let json = r#"{
          "id": "tiny", "name": "Tiny", "version": "1", "task": "classification",
          "architecture": {"kind": "classifier-2d", "in_channels": 1, "widths": [4, 8], "classes": 3},
          "input": {"modalities": ["DX"], "source": "displayed-grey", "size": 16, "mean": 0.5, "std": 0.25},
          "outputs": [
            {"name": "a", "display": "A", "colour": [1, 2, 3], "code": {"scheme": "99LUMEN", "value": "a", "meaning": "A"}},
            {"name": "b", "display": "B", "colour": [1, 2, 3], "code": {"scheme": "99LUMEN", "value": "b", "meaning": "B"}},
            {"name": "c", "display": "C", "colour": [1, 2, 3], "code": {"scheme": "99LUMEN", "value": "c", "meaning": "C"}}
          ],
          "weights": {"file": "w.safetensors", "sha256": "00000000000000000000000000000000000000000000000000000000000000ff", "bytes": 0, "dtype": "f32"},
          "card": "MODEL_CARD.md", "disclaimer": "test"
        }"#;
        let mut manifest = ModelManifest::from_json(json).unwrap();
        let manifest::Architecture::Classifier2d(spec) = &manifest.architecture else { unreachable!() };
        let net = Classifier2d::new(spec, &Device::flex());
        let f32_bytes = to_safetensors(&net).unwrap();
        let bytes = to_safetensors_as(&net, dtype).unwrap();
        manifest.weights.dtype = dtype.as_str().into();
        manifest.weights.sha256 = sha256_hex(&bytes);
        manifest.weights.bytes = bytes.len() as u64;
        (manifest, bytes, f32_bytes)
    }

    fn with_weights(mut manifest: ModelManifest, bytes: &[u8], dtype: &str) -> ModelManifest {
        manifest.weights.sha256 = sha256_hex(bytes);
        manifest.weights.dtype = dtype.into();
        manifest
    }

    #[test]
    fn f16_weights_are_half_the_size_and_load_as_the_f32_weights_rounded() {
        let device = Device::flex();
        let (m16, f16_bytes, f32_bytes) = package(WeightsDtype::F16);
        let dtypes = crate::weights::tensor_dtypes(&f16_bytes).unwrap();
        assert!(dtypes.len() > 10 && dtypes.iter().all(|(_, d)| d == "F16"), "{dtypes:?}");
        assert!(crate::weights::tensor_dtypes(&f32_bytes).unwrap().iter().all(|(_, d)| d == "F32"));
        // The tensor data (after the 8-byte length and the JSON header) is exactly half as large.
        let data = |b: &[u8]| b.len() - 8 - u64::from_le_bytes(b[..8].try_into().unwrap()) as usize;
        assert_eq!(2 * data(&f16_bytes), data(&f32_bytes), "f16 {} bytes vs f32 {}", f16_bytes.len(), f32_bytes.len());
        let half = LoadedModel::load(m16.clone(), f16_bytes.clone(), &device).unwrap();
        let full = LoadedModel::load(with_weights(m16, &f32_bytes, "f32"), f32_bytes, &device).unwrap();
        // Loaded as f32 values that are exactly the f16 ones: written back as f16 they are the same tensors (the
        // header's metadata order may differ).
        let again = half.network.weights_as(WeightsDtype::F16).unwrap();
        let tensors = |b: &[u8]| b[b.len() - data(b)..].to_vec();
        assert!(tensors(&again) == tensors(&f16_bytes), "the f16 values changed on a load and save");
        assert_eq!(crate::weights::tensor_dtypes(&again).unwrap(), dtypes);
        // And the network computes in f32 with them: close to the f32 weights' answer, not identical.
        let image = crate::selftest::image();
        let (p16, p32) = (half.classify_blocking(std::slice::from_ref(&image)).unwrap(), full.classify_blocking(&[image]).unwrap());
        let diff = p16[0].iter().zip(&p32[0]).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        assert!(diff < 1e-2, "f16 vs f32 probabilities differ by {diff}");
        assert!((p16[0].iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }

    #[test]
    fn weights_stored_otherwise_than_the_manifest_declares_are_refused() {
        let device = Device::flex();
        let (m16, f16_bytes, f32_bytes) = package(WeightsDtype::F16);
        let cases = [
            (with_weights(m16.clone(), &f16_bytes, "f32"), f16_bytes.clone(), "the manifest declares f32 weights, but"),
            (with_weights(m16.clone(), &f32_bytes, "f16"), f32_bytes.clone(), "tensors are not F16, e.g."),
            (with_weights(m16.clone(), &f32_bytes, "bf16"), f32_bytes.clone(), "only f32 and f16 are supported"),
            (with_weights(m16.clone(), b"garbage", "f16"), b"garbage".to_vec(), "not a safetensors file"),
            (with_weights(m16.clone(), &f16_bytes[..100], "f16"), f16_bytes[..100].to_vec(), "the header claims"),
        ];
        for (manifest, bytes, why) in cases {
            match LoadedModel::load(manifest, bytes, &device) {
                Err(e @ InferError::Dtype { .. }) => assert!(e.to_string().contains(why), "{e} lacks {why:?}"),
                other => panic!("expected a dtype error ({why}), got {other:?}"),
            }
        }
        // The same check guards from_safetensors used directly.
        let manifest::Architecture::Classifier2d(spec) = &m16.architecture else { unreachable!() };
        let mut net = Classifier2d::new(spec, &device);
        let err = from_safetensors(&mut net, f32_bytes, WeightsDtype::F16).unwrap_err();
        assert!(err.starts_with("declared f16: ") && err.contains("is F32"), "{err}");
    }
}
