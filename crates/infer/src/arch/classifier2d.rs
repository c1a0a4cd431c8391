//! A small 2D CNN classifier: `widths.len()` blocks of (3×3 conv, batch norm, ReLU) × 2 followed by 2×2 max
//! pooling, global average pooling, dropout and one linear layer giving a logit per class.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{AdaptiveAvgPool2d, AdaptiveAvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::relu;

pub use crate::manifest::Classifier2dSpec;

#[derive(Module, Debug)]
pub struct ConvBlock {
    pub conv1: Conv2d,
    pub bn1: BatchNorm,
    pub conv2: Conv2d,
    pub bn2: BatchNorm,
    pub pool: MaxPool2d,
}

impl ConvBlock {
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
            pool: MaxPool2dConfig::new([2, 2]).init(),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let x = relu(self.bn1.forward(self.conv1.forward(x)));
        let x = relu(self.bn2.forward(self.conv2.forward(x)));
        self.pool.forward(x)
    }
}

/// See the module documentation.
#[derive(Module, Debug)]
pub struct Classifier2d {
    pub blocks: Vec<ConvBlock>,
    pub gap: AdaptiveAvgPool2d,
    pub dropout: Dropout,
    pub head: Linear,
}

impl Classifier2d {
    /// A freshly initialised network on `device` (random weights; load trained ones with [`crate::load_weights`]).
    pub fn new(spec: &Classifier2dSpec, device: &Device) -> Self {
        let mut blocks = Vec::with_capacity(spec.widths.len());
        let mut in_ch = spec.in_channels;
        for &w in &spec.widths {
            blocks.push(ConvBlock::new(in_ch, w, device));
            in_ch = w;
        }
        Self {
            blocks,
            gap: AdaptiveAvgPool2dConfig::new([1, 1]).init(),
            dropout: DropoutConfig::new(spec.dropout).init(),
            head: LinearConfig::new(in_ch, spec.classes).init(device),
        }
    }

    /// `[batch, channels, h, w]` → logits `[batch, classes]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let mut x = x;
        for block in &self.blocks {
            x = block.forward(x);
        }
        let [b, c, _, _] = x.dims();
        let x = self.gap.forward(x).reshape([b, c]);
        self.head.forward(self.dropout.forward(x))
    }
}
