//! The built-in architectures, written once in burn and run on any device (WebGPU, Flex CPU, native GPU).
//!
//! Parameter names follow PyTorch's `state_dict` naming for the same network written with `nn.Sequential`-free
//! modules (`blocks.0.conv1.weight`, `blocks.0.bn1.running_mean`, `head.weight`): see `docs/AI.md` for the mapping.

mod classifier2d;
mod meshnet3d;
mod unet2d;

pub use classifier2d::{Classifier2d, Classifier2dSpec};
pub use unet2d::{DoubleConv, Unet2d, Unet2dSpec, UpBlock};
#[cfg(not(target_arch = "wasm32"))]
pub use meshnet3d::chunked_logits;
pub use meshnet3d::{chunked_logits_async, ChunkError};
pub use meshnet3d::{MeshLayer, Meshnet3d, Meshnet3dSpec};
