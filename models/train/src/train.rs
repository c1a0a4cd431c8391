//! The training loop shared by the classifiers: mini-batch Adam with cosine learning-rate decay on burn's Flex
//! CPU backend (multi-threaded), model selection on the validation split.

use std::time::Instant;

use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use burn::tensor::activation::softmax;
use lumen_infer::{to_safetensors, Classifier2d, Classifier2dSpec};

use crate::rng::Rng;

/// One prepared example: the normalised `size`² input and its class.
#[derive(Debug, Clone)]
pub struct Sample {
    pub input: Vec<f32>,
    pub label: usize,
}

#[derive(Debug, Clone)]
pub struct TrainConfig {
    pub size: usize,
    pub epochs: usize,
    pub batch: usize,
    pub lr: f64,
    pub weight_decay: f32,
    pub seed: u64,
}

/// What training produced.
pub struct Trained {
    /// Safetensors bytes of the epoch with the best validation score.
    pub weights: Vec<u8>,
    pub best_epoch: usize,
    pub best_val: f64,
    /// One line per epoch: epoch, mean training loss, validation score, seconds.
    pub log: Vec<(usize, f64, f64, f64)>,
}

/// Trains `spec` from scratch. `epoch_samples` yields the (augmented) training samples of an epoch;
/// `score` rates validation probabilities against labels (higher is better).
pub fn train(
    spec: &Classifier2dSpec,
    cfg: &TrainConfig,
    mut epoch_samples: impl FnMut(usize, &mut Rng) -> Vec<Sample>,
    val: &[Sample],
    score: impl Fn(&[Vec<f32>], &[usize]) -> f64,
) -> Trained {
    let plain = Device::flex();
    plain.seed(cfg.seed);
    let device = plain.clone().autodiff();
    let mut rng = Rng::new(cfg.seed ^ 0x5EED);
    let mut model = Classifier2d::new(spec, &device);
    let mut optim = AdamConfig::new().with_weight_decay(Some(WeightDecayConfig::new(cfg.weight_decay))).init();
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    let val_labels: Vec<usize> = val.iter().map(|s| s.label).collect();
    let mut best: Option<(f64, usize, Vec<u8>)> = None;
    let mut log = Vec::new();
    let total_steps = cfg.epochs;
    for epoch in 0..cfg.epochs {
        let t0 = Instant::now();
        let mut samples = epoch_samples(epoch, &mut rng);
        rng.shuffle(&mut samples);
        let lr = epoch_lr(cfg.lr, epoch, total_steps);
        let (mut loss_sum, mut batches) = (0.0, 0);
        for chunk in samples.chunks(cfg.batch) {
            if chunk.len() < 2 {
                continue; // batch norm needs more than one sample
            }
            let x = batch_tensor(chunk.iter().map(|s| &s.input), chunk.len(), cfg.size, &device);
            let y: Vec<i64> = chunk.iter().map(|s| s.label as i64).collect();
            let y = Tensor::<1, Int>::from_data(TensorData::new(y, [chunk.len()]), &device);
            let loss = loss_fn.forward(model.forward(x), y);
            loss_sum += loss.clone().into_scalar::<f32>() as f64;
            batches += 1;
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(lr, model, grads);
        }
        let eval = model.valid();
        let probs = predict(&eval, val, cfg.size, &plain);
        let val_score = score(&probs, &val_labels);
        let secs = t0.elapsed().as_secs_f64();
        let loss = loss_sum / batches.max(1) as f64;
        eprintln!("epoch {:>3}: lr {lr:.5}  loss {loss:.4}  val {val_score:.4}  ({secs:.1} s)", epoch + 1);
        log.push((epoch + 1, loss, val_score, secs));
        if best.as_ref().is_none_or(|(b, _, _)| val_score > *b) {
            let bytes = to_safetensors(&eval).expect("serialising weights");
            best = Some((val_score, epoch + 1, bytes));
        }
    }
    let (best_val, best_epoch, weights) = best.expect("at least one epoch");
    Trained { weights, best_epoch, best_val, log }
}

fn batch_tensor<'a>(inputs: impl Iterator<Item = &'a Vec<f32>>, n: usize, size: usize, device: &Device) -> Tensor<4> {
    let mut data = Vec::with_capacity(n * size * size);
    for i in inputs {
        data.extend_from_slice(i);
    }
    Tensor::from_data(TensorData::new(data, [n, 1, size, size]), device)
}

/// Softmax probabilities of an inference-mode model for `samples`, in batches of 32.
pub fn predict(model: &Classifier2d, samples: &[Sample], size: usize, device: &Device) -> Vec<Vec<f32>> {
    let mut out = Vec::with_capacity(samples.len());
    for chunk in samples.chunks(32) {
        let x = batch_tensor(chunk.iter().map(|s| &s.input), chunk.len(), size, device);
        let p = softmax(model.forward(x), 1);
        let classes = p.dims()[1];
        let v: Vec<f32> = p.into_data().try_to_vec().expect("f32 probabilities");
        out.extend(v.chunks(classes).map(|c| c.to_vec()));
    }
    out
}

/// The learning rate of `epoch` of `epochs`: one warm-up epoch at a third of `lr0`, then cosine decay per epoch.
pub fn epoch_lr(lr0: f64, epoch: usize, epochs: usize) -> f64 {
    if epoch == 0 {
        lr0 / 3.0
    } else {
        lr0 * 0.5 * (1.0 + (std::f64::consts::PI * epoch as f64 / epochs as f64).cos())
    }
}
