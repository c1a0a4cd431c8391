//! A small 2D U-Net for per-pixel labelling (Ronneberger et al. 2015, shrunk): an encoder of `widths.len()`
//! levels of (3×3 conv, batch norm, ReLU) × 2, a 2×2 max pooling between levels, and a decoder that at each level
//! up-samples with a 2×2 stride-2 transposed convolution, concatenates the encoder's features of the same
//! resolution (skip connection) and applies another double conv; a 1×1 convolution gives one logit per class
//! and pixel, at the input's resolution.

use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::relu;

pub use crate::manifest::Unet2dSpec;

/// (3×3 conv without bias, batch norm, ReLU) × 2, same resolution.
#[derive(Module, Debug)]
pub struct DoubleConv {
    pub conv1: Conv2d,
    pub bn1: BatchNorm,
    pub conv2: Conv2d,
    pub bn2: BatchNorm,
}

impl DoubleConv {
    fn new(in_ch: usize, out_ch: usize, device: &Device) -> Self {
        let conv = |i, o| {
            Conv2dConfig::new([i, o], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .with_bias(false)
                .init(device)
        };
        Self {
            conv1: conv(in_ch, out_ch),
            bn1: BatchNormConfig::new(out_ch).init(device),
            conv2: conv(out_ch, out_ch),
            bn2: BatchNormConfig::new(out_ch).init(device),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let x = relu(self.bn1.forward(self.conv1.forward(x)));
        relu(self.bn2.forward(self.conv2.forward(x)))
    }
}

/// One decoder level: up-sample ×2, concatenate the skip, double conv.
#[derive(Module, Debug)]
pub struct UpBlock {
    pub up: ConvTranspose2d,
    pub conv: DoubleConv,
}

/// See the module documentation.
#[derive(Module, Debug)]
pub struct Unet2d {
    /// Encoder levels, finest first; the last one is the bottleneck.
    pub down: Vec<DoubleConv>,
    /// Decoder levels, coarsest first (`down.len() - 1` of them).
    pub up: Vec<UpBlock>,
    pub pool: MaxPool2d,
    /// 1×1 convolution to the class logits.
    pub head: Conv2d,
}

impl Unet2d {
    /// A freshly initialised network on `device` (random weights; load trained ones from safetensors).
    pub fn new(spec: &Unet2dSpec, device: &Device) -> Self {
        let mut down = Vec::with_capacity(spec.widths.len());
        let mut in_ch = spec.in_channels;
        for &w in &spec.widths {
            down.push(DoubleConv::new(in_ch, w, device));
            in_ch = w;
        }
        let mut up = Vec::with_capacity(spec.widths.len().saturating_sub(1));
        for pair in spec.widths.windows(2).rev() {
            let (fine, coarse) = (pair[0], pair[1]);
            up.push(UpBlock {
                up: ConvTranspose2dConfig::new([coarse, fine], [2, 2]).with_stride([2, 2]).init(device),
                conv: DoubleConv::new(2 * fine, fine, device),
            });
        }
        Self {
            down,
            up,
            pool: MaxPool2dConfig::new([2, 2]).init(),
            head: Conv2dConfig::new([spec.widths[0], spec.classes], [1, 1]).init(device),
        }
    }

    /// `[batch, channels, h, w]` → logits `[batch, classes, h, w]`; `h` and `w` must be divisible by
    /// `2^(levels − 1)`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let mut skips = Vec::with_capacity(self.down.len());
        let mut x = x;
        for (i, level) in self.down.iter().enumerate() {
            if i > 0 {
                x = self.pool.forward(x);
            }
            x = level.forward(x);
            skips.push(x.clone());
        }
        skips.pop(); // the bottleneck is `x` itself
        for block in &self.up {
            let skip = skips.pop().expect("one skip per decoder level");
            let upsampled = block.up.forward(x);
            x = block.conv.forward(Tensor::cat(vec![skip, upsampled], 1));
        }
        self.head.forward(x)
    }
}
