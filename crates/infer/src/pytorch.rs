//! Loading weights trained in PyTorch into the built-in architectures (feature `runtime`).
//!
//! A network written in PyTorch with the same module names as [`crate::arch`] (see `docs/AI.md`, "Loading
//! PyTorch weights", and `models/pytorch-fixture/export.py` for the reference definitions) saves a
//! `state_dict` whose keys are the burn parameter paths, with these differences, all handled here:
//!
//! | PyTorch `state_dict`                         | burn                                  |
//! |----------------------------------------------|---------------------------------------|
//! | `*.bnN.weight`, `*.bnN.bias` (BatchNorm2d)   | `gamma`, `beta`                       |
//! | `*.bnN.num_batches_tracked`                  | (not used at inference: ignored)      |
//! | `head.weight` of a `nn.Linear`, `[out, in]`  | `[in, out]` (transposed on load)      |
//! | `module.` / `_orig_mod.` key prefix          | removed (`DataParallel`, `torch.compile`) |
//! | float16 / bfloat16 / float64 tensors         | cast to float32                       |
//!
//! Convolution weights (`[out, in, kh, kw]`), transposed-convolution weights (`[in, out, kh, kw]`), biases and the
//! batch-norm running statistics have the same names and layouts in both. Every other difference — a tensor that
//! is missing, of the wrong shape or kind, or one the network has no place for — is an error that names the
//! PyTorch key, never a silent partial load.

use burn::store::{
    ApplyError, ApplyResult, FloatCastAdapter, ModuleAdapter, ModuleSnapshot, PyTorchToBurnAdapter,
    SafetensorsStore,
};
use burn::tensor::DType;
use snafu::Snafu;

/// Why a PyTorch safetensors file could not be loaded into a network.
#[derive(Debug, Snafu)]
pub enum PyTorchWeightsError {
    /// The bytes are not a safetensors file burn can read.
    #[snafu(display("not a readable safetensors file: {message}"))]
    Unreadable { message: String },
    /// The file is a safetensors file but does not fit the network.
    #[snafu(display("the PyTorch weights do not fit the network: {}", problems.join("; ")))]
    Mismatch {
        /// One line per problem, naming the PyTorch key.
        problems: Vec<String>,
    },
}

/// A burn parameter path as the PyTorch `state_dict` key it is read from (`bn1.gamma` → `bn1.weight`).
pub fn pytorch_key(burn_path: &str) -> String {
    if let Some(stem) = burn_path.strip_suffix(".gamma") {
        format!("{stem}.weight")
    } else if let Some(stem) = burn_path.strip_suffix(".beta") {
        format!("{stem}.bias")
    } else {
        burn_path.to_string()
    }
}

/// PyTorch-only entries that carry nothing the network needs at inference.
fn ignorable(key: &str) -> bool {
    key.ends_with(".num_batches_tracked")
}

/// Loads a safetensors file written by PyTorch (`safetensors.torch.save_file(model.state_dict(), path)`) into
/// `net`, mapping names and layouts as described in the module documentation. Every parameter and running
/// statistic of `net` must be in the file with the right shape, and the file may hold nothing else except
/// `num_batches_tracked` counters. On an error `net` may hold some of the file's tensors: drop it.
pub fn load_pytorch_safetensors<M: ModuleSnapshot>(net: &mut M, bytes: Vec<u8>) -> Result<(), PyTorchWeightsError> {
    let mut store = SafetensorsStore::from_bytes(Some(bytes))
        .with_key_remapping(r"^(module\.|_orig_mod\.)+", "")
        .with_from_adapter(PyTorchToBurnAdapter.chain(FloatCastAdapter::to(DType::F32)))
        // Report missing tensors and shape errors through the ApplyResult, so they can be named below.
        .allow_partial(true)
        .validate(false);
    let result = net.load_from(&mut store).map_err(|e| PyTorchWeightsError::Unreadable { message: e.to_string() })?;
    check(&result)
}

fn check(result: &ApplyResult) -> Result<(), PyTorchWeightsError> {
    let mut problems = Vec::new();
    for error in &result.errors {
        problems.push(match error {
            ApplyError::ShapeMismatch { path, expected, found } => {
                let (mut found, mut expected) = (found.to_vec(), expected.to_vec());
                // Only Linear weights are 2D in these networks, and burn holds them as [in, out]: show the
                // PyTorch layout [out, in]. A 2D tensor in the file has already been transposed by the adapter.
                if expected.len() == 2 {
                    expected.reverse();
                    if found.len() == 2 {
                        found.reverse();
                    }
                }
                format!("{} has shape {found:?}, the network needs {expected:?}", pytorch_key(path))
            }
            ApplyError::DTypeMismatch { path, expected, found } => {
                format!("{} is {found:?}, the network needs {expected:?}", pytorch_key(path))
            }
            ApplyError::AdapterError { path, message } | ApplyError::LoadError { path, message } => {
                format!("{}: {message}", pytorch_key(path))
            }
        });
    }
    let missing: Vec<String> = result.missing.iter().map(|(path, _)| pytorch_key(path)).collect();
    if !missing.is_empty() {
        problems.push(format!("missing {}", missing.join(", ")));
    }
    let unexpected: Vec<&str> = result.unused.iter().map(String::as_str).filter(|k| !ignorable(k)).collect();
    if !unexpected.is_empty() {
        problems.push(format!("the network has no place for {}", unexpected.join(", ")));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(PyTorchWeightsError::Mismatch { problems })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_norm_names_map_back_to_pytorch_keys() {
        assert_eq!(pytorch_key("blocks.0.bn1.gamma"), "blocks.0.bn1.weight");
        assert_eq!(pytorch_key("down.1.bn2.beta"), "down.1.bn2.bias");
        assert_eq!(pytorch_key("down.1.bn2.running_var"), "down.1.bn2.running_var");
        assert_eq!(pytorch_key("head.weight"), "head.weight");
    }
}
