//! A MeshNet-style 3D segmentation network (Fedorov et al. 2017): a stack of 3×3×3 convolutions with growing and
//! shrinking dilation (e.g. 1, 2, 4, 8, 4, 2, 1), each followed by batch norm and ReLU, at full resolution — no
//! pooling, no up-sampling — and a 1×1×1 convolution to one logit per class and voxel. Small (a few thousand
//! parameters per layer) and translation-equivariant, so a volume of any size is labelled block by block
//! ([`chunked_logits`]) with exactly the result of one pass over the whole volume.

use burn::nn::conv::{Conv3d, Conv3dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig3d};
use burn::prelude::*;
use burn::tensor::activation::relu;

pub use crate::manifest::Meshnet3dSpec;

/// One dilated 3×3×3 convolution (no bias), batch norm, ReLU; same size in and out.
#[derive(Module, Debug)]
pub struct MeshLayer {
    pub conv: Conv3d,
    pub bn: BatchNorm,
}

/// See the module documentation.
#[derive(Module, Debug)]
pub struct Meshnet3d {
    pub layers: Vec<MeshLayer>,
    /// 1×1×1 convolution to the class logits.
    pub head: Conv3d,
}

impl Meshnet3d {
    /// A freshly initialised network on `device`.
    pub fn new(spec: &Meshnet3dSpec, device: &Device) -> Self {
        let mut layers = Vec::with_capacity(spec.dilations.len());
        let mut in_ch = spec.in_channels;
        for &d in &spec.dilations {
            layers.push(MeshLayer {
                conv: Conv3dConfig::new([in_ch, spec.channels], [3, 3, 3])
                    .with_dilation([d, d, d])
                    .with_padding(PaddingConfig3d::Explicit(d, d, d))
                    .with_bias(false)
                    .init(device),
                bn: BatchNormConfig::new(spec.channels).init(device),
            });
            in_ch = spec.channels;
        }
        Self { layers, head: Conv3dConfig::new([in_ch, spec.classes], [1, 1, 1]).init(device) }
    }

    /// `[batch, channels, depth, height, width]` → logits `[batch, classes, depth, height, width]`.
    pub fn forward(&self, x: Tensor<5>) -> Tensor<5> {
        let mut x = x;
        for layer in &self.layers {
            x = relu(layer.bn.forward(layer.conv.forward(x)));
        }
        self.head.forward(x)
    }
}

/// The blocks a volume is run in: each block of `block`³ output voxels is run on its input grown by the
/// receptive radius on every side (clipped at the volume's faces, where the network's own zero padding applies as
/// in one pass), so the stitched result equals one pass over the whole volume while the device only ever holds a
/// block. Shared by [`chunked_logits`] (blocking read-back) and [`chunked_logits_async`] (the browser's).
struct BlockPlan {
    dims: [usize; 3],
    block: usize,
    radius: usize,
    classes: usize,
    /// Each block's first output voxel `[z, y, x]`, in run order.
    starts: Vec<[usize; 3]>,
}

impl BlockPlan {
    fn new(spec: &Meshnet3dSpec, values: usize, dims: [usize; 3], block: usize) -> Result<Self, ChunkError> {
        let [d, h, w] = dims;
        if values != d * h * w || d == 0 || h == 0 || w == 0 {
            return Err(ChunkError::Input(format!("a {d}×{h}×{w} volume needs {} values, got {values}", d * h * w)));
        }
        if block == 0 {
            return Err(ChunkError::Input("the block size must be positive".into()));
        }
        let mut starts = Vec::new();
        for z0 in (0..d).step_by(block) {
            for y0 in (0..h).step_by(block) {
                for x0 in (0..w).step_by(block) {
                    starts.push([z0, y0, x0]);
                }
            }
        }
        Ok(Self { dims, block, radius: spec.receptive_radius(), classes: spec.classes, starts })
    }

    /// The input region of block `k`: `[start, end)` per axis.
    fn region(&self, k: usize) -> [(usize, usize); 3] {
        let s = self.starts[k];
        std::array::from_fn(|a| (s[a].saturating_sub(self.radius), (s[a] + self.block + self.radius).min(self.dims[a])))
    }

    /// Block `k`'s input (its region of `volume`) as a `[1, 1, d, h, w]` tensor.
    fn input(&self, volume: &[f32], k: usize, device: &Device) -> Tensor<5> {
        let [_, h, w] = self.dims;
        let [(za, zb), (ya, yb), (xa, xb)] = self.region(k);
        let mut crop = Vec::with_capacity((zb - za) * (yb - ya) * (xb - xa));
        for z in za..zb {
            for y in ya..yb {
                let row = (z * h + y) * w;
                crop.extend_from_slice(&volume[row + xa..row + xb]);
            }
        }
        Tensor::<5>::from_data(TensorData::new(crop, [1, 1, zb - za, yb - ya, xb - xa]), device)
    }

    /// Copies block `k`'s own voxels from its logits (read back from the device) into `out` (class-major).
    fn keep(&self, out: &mut [f32], k: usize, logits: TensorData) -> Result<(), ChunkError> {
        let logits: Vec<f32> = logits.try_to_vec().map_err(|e| ChunkError::Device(format!("{e:?}")))?;
        let [d, h, w] = self.dims;
        let [(za, zb), (ya, yb), (xa, xb)] = self.region(k);
        let (cd, ch, cw) = (zb - za, yb - ya, xb - xa);
        if logits.len() != self.classes * cd * ch * cw {
            return Err(ChunkError::Device(format!("a block came back with {} values, not {}", logits.len(), self.classes * cd * ch * cw)));
        }
        let [z0, y0, x0] = self.starts[k];
        let x1 = (x0 + self.block).min(w);
        for c in 0..self.classes {
            for z in z0..(z0 + self.block).min(d) {
                for y in y0..(y0 + self.block).min(h) {
                    let src = ((c * cd + (z - za)) * ch + (y - ya)) * cw;
                    let dst = ((c * d + z) * h + y) * w;
                    out[dst + x0..dst + x1].copy_from_slice(&logits[src + x0 - xa..src + x1 - xa]);
                }
            }
        }
        Ok(())
    }
}

/// Logits of `net` over a whole single-channel volume (`dims` = depth, height, width; `volume` in that order),
/// computed block by block (blocks of `block`³ voxels with the receptive-field margin, so the result equals one
/// pass over the whole volume while the device only ever holds a block). Returns `classes × depth × height ×
/// width` values (class-major). `progress(done, total)` is called after each block; returning `false` stops with
/// [`ChunkError::Cancelled`]. Synchronous read-back: native only ([`chunked_logits_async`] elsewhere).
#[cfg(not(target_arch = "wasm32"))]
pub fn chunked_logits(
    net: &Meshnet3d,
    spec: &Meshnet3dSpec,
    volume: &[f32],
    dims: [usize; 3],
    block: usize,
    device: &Device,
    progress: &mut dyn FnMut(usize, usize) -> bool,
) -> Result<Vec<f32>, ChunkError> {
    let plan = BlockPlan::new(spec, volume.len(), dims, block)?;
    let mut out = vec![0f32; plan.classes * dims.iter().product::<usize>()];
    let total = plan.starts.len();
    for k in 0..total {
        let logits = net.forward(plan.input(volume, k, device)).try_into_data().map_err(|e| ChunkError::Device(format!("{e:?}")))?;
        plan.keep(&mut out, k, logits)?;
        if !progress(k + 1, total) {
            return Err(ChunkError::Cancelled);
        }
    }
    Ok(out)
}

/// [`chunked_logits`] with asynchronous read-back (safe in wasm on every backend): the same blocks, the same
/// result. `between(done, total)` is awaited after each block — the caller can report progress and yield to its
/// event loop there (so a cancel message can arrive); resolving to `false` stops with [`ChunkError::Cancelled`].
pub async fn chunked_logits_async<F, Fut>(
    net: &Meshnet3d,
    spec: &Meshnet3dSpec,
    volume: &[f32],
    dims: [usize; 3],
    block: usize,
    device: &Device,
    mut between: F,
) -> Result<Vec<f32>, ChunkError>
where
    F: FnMut(usize, usize) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let plan = BlockPlan::new(spec, volume.len(), dims, block)?;
    let mut out = vec![0f32; plan.classes * dims.iter().product::<usize>()];
    let total = plan.starts.len();
    for k in 0..total {
        let logits = net
            .forward(plan.input(volume, k, device))
            .into_data_async()
            .await
            .map_err(|e| ChunkError::Device(format!("{e:?}")))?;
        plan.keep(&mut out, k, logits)?;
        if !between(k + 1, total).await {
            return Err(ChunkError::Cancelled);
        }
    }
    Ok(out)
}

/// Why [`chunked_logits`] stopped.
#[derive(Debug, Clone, PartialEq)]
pub enum ChunkError {
    /// The volume or block size is wrong.
    Input(String),
    /// Reading a block's result from the device failed.
    Device(String),
    /// The progress callback asked to stop.
    Cancelled,
}

impl std::fmt::Display for ChunkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChunkError::Input(m) | ChunkError::Device(m) => f.write_str(m),
            ChunkError::Cancelled => f.write_str("cancelled"),
        }
    }
}

#[cfg(all(test, feature = "flex"))]
mod tests {
    use super::*;

    #[test]
    fn block_by_block_equals_one_pass_over_the_volume() {
        let device = Device::flex();
        device.seed(7);
        let spec = Meshnet3dSpec { in_channels: 1, channels: 4, dilations: vec![1, 2, 4, 2, 1], classes: 3 };
        assert_eq!(spec.receptive_radius(), 10);
        let net = Meshnet3d::new(&spec, &device);
        let dims = [13usize, 17, 19];
        let n = dims.iter().product::<usize>();
        let volume: Vec<f32> = (0..n).map(|i| ((i * 7919 % 1000) as f32 / 500.0) - 1.0).collect();
        let whole: Vec<f32> = net
            .forward(Tensor::<5>::from_data(TensorData::new(volume.clone(), [1, 1, 13, 17, 19]), &device))
            .into_data()
            .try_to_vec()
            .unwrap();
        for block in [4, 6, 32] {
            let mut calls = Vec::new();
            let chunked = chunked_logits(&net, &spec, &volume, dims, block, &device, &mut |done, total| {
                calls.push((done, total));
                true
            })
            .unwrap();
            let total = dims.iter().map(|n| n.div_ceil(block)).product::<usize>();
            assert_eq!(calls, (1..=total).map(|k| (k, total)).collect::<Vec<_>>(), "one progress call per block");
            assert_eq!(chunked.len(), whole.len());
            let diff = whole.iter().zip(&chunked).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            assert!(diff < 1e-4, "block {block}: max difference {diff}");
        }
        // With too small a margin the blocks' seams show: the comparison above can tell.
        let short = Meshnet3dSpec { dilations: vec![1], ..spec.clone() };
        let seamed = chunked_logits(&net, &short, &volume, dims, 4, &device, &mut |_, _| true).unwrap();
        let diff = whole.iter().zip(&seamed).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        assert!(diff > 1e-3, "a one-voxel margin should not be exact ({diff})");
    }

    /// Polls a future to the end on this thread (Flex's read-back is ready at once).
    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        loop {
            if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }

    #[test]
    fn async_read_back_gives_the_blocking_logits_and_stops_when_asked() {
        let device = Device::flex();
        device.seed(11);
        let spec = Meshnet3dSpec { in_channels: 1, channels: 4, dilations: vec![1, 2, 1], classes: 3 };
        let net = Meshnet3d::new(&spec, &device);
        let dims = [9usize, 11, 14];
        let volume: Vec<f32> = (0..dims.iter().product::<usize>()).map(|i| ((i * 613 % 97) as f32 / 48.0) - 1.0).collect();
        let mut sync_calls = Vec::new();
        let blocking = chunked_logits(&net, &spec, &volume, dims, 5, &device, &mut |d, t| {
            sync_calls.push((d, t));
            true
        })
        .unwrap();
        let mut async_calls = Vec::new();
        let asynchronous = block_on(chunked_logits_async(&net, &spec, &volume, dims, 5, &device, |d, t| {
            async_calls.push((d, t));
            std::future::ready(true)
        }))
        .unwrap();
        assert_eq!(sync_calls.len(), 2 * 3 * 3);
        assert_eq!(async_calls, sync_calls, "the same blocks in the same order");
        assert!(asynchronous == blocking, "async and blocking logits differ");
        // Cancelling after the third block: no result.
        let stopped = block_on(chunked_logits_async(&net, &spec, &volume, dims, 5, &device, |d, _| std::future::ready(d < 3)));
        assert_eq!(stopped, Err(ChunkError::Cancelled));
        let bad = block_on(chunked_logits_async(&net, &spec, &volume[1..], dims, 5, &device, |_, _| std::future::ready(true)));
        assert!(matches!(bad, Err(ChunkError::Input(m)) if m.contains("needs 1386 values")));
    }

    #[test]
    fn bad_volumes_are_refused() {
        let device = Device::flex();
        let spec = Meshnet3dSpec { in_channels: 1, channels: 2, dilations: vec![1], classes: 2 };
        let net = Meshnet3d::new(&spec, &device);
        let go = &mut |_, _| true;
        assert!(chunked_logits(&net, &spec, &[0.0; 7], [2, 2, 2], 4, &device, go).unwrap_err().to_string().contains("needs 8 values"));
        assert!(chunked_logits(&net, &spec, &[0.0; 8], [2, 2, 2], 0, &device, go).is_err());
        // Stopping after the second of eight blocks.
        let stop = &mut |done, _| done < 2;
        assert_eq!(chunked_logits(&net, &spec, &[0.0; 8], [2, 2, 2], 1, &device, stop), Err(ChunkError::Cancelled));
    }
}
