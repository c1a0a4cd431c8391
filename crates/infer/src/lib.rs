//! Lumen's model runtime.
//!
//! A model package (`models/<id>/`: manifest, safetensors weights, model card) is loaded onto a burn [`Device`] —
//! WebGPU or the Flex CPU backend in the browser's AI worker, Flex (or a native GPU) on the server — and run on
//! images prepared exactly as in training ([`preprocess`]). The same code path trains (in `models/train`), serves
//! (server fallback) and runs in the browser, so the outputs agree across all three.
//!
//! Reads from the device are asynchronous ([`LoadedModel::classify`]): a synchronous read panics in wasm.

#[cfg(feature = "runtime")]
pub mod arch;
pub mod manifest;
pub mod preprocess;
pub mod presentation;
pub mod protocol;
#[cfg(feature = "runtime")]
pub mod pytorch;
pub mod qc_rules;
pub mod selftest;
pub mod volume;
pub mod weights;

pub use manifest::{Classifier2dSpec, ModelManifest, WeightsDtype};
pub use preprocess::GreyImage;
pub use volume::{GreyVolume, GreyVolumeBuilder};

#[cfg(feature = "runtime")]
mod runtime;
#[cfg(feature = "runtime")]
pub use runtime::*;

