#![cfg(feature = "flex")]
//! Weights trained in PyTorch load into the built-in networks through `lumen_infer::pytorch` and give PyTorch's
//! outputs. The fixture (`models/pytorch-fixture/`) was written once by its `export.py` with real PyTorch
//! (`safetensors.torch.save_file(model.state_dict())`); this test needs no PyTorch.

use burn::prelude::*;
use lumen_infer::arch::{Classifier2d, Classifier2dSpec, Unet2d, Unet2dSpec};
use lumen_infer::pytorch::{load_pytorch_safetensors, PyTorchWeightsError};
use serde_json::{json, Map, Value};
use std::path::PathBuf;

const TOLERANCE: f32 = 1e-4;

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/pytorch-fixture")
}

fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn expected() -> Value {
    serde_json::from_slice(&fixture("expected.json")).expect("expected.json is JSON")
}

fn floats(v: &Value) -> Vec<f32> {
    v.as_array().expect("an array").iter().map(|x| x.as_f64().expect("a number") as f32).collect()
}

fn dims(v: &Value) -> Vec<usize> {
    v.as_array().expect("an array").iter().map(|x| x.as_u64().expect("a size") as usize).collect()
}

fn input(expected: &Value, device: &Device) -> Tensor<4> {
    let shape = dims(&expected["input"]["shape"]);
    let values = floats(&expected["input"]["values"]);
    Tensor::from_data(TensorData::new(values, [shape[0], shape[1], shape[2], shape[3]]), device)
}

fn classifier(expected: &Value, device: &Device) -> Classifier2d {
    let spec = &expected["classifier"]["spec"];
    let spec = Classifier2dSpec {
        in_channels: spec["in_channels"].as_u64().unwrap() as usize,
        widths: dims(&spec["widths"]),
        classes: spec["classes"].as_u64().unwrap() as usize,
        dropout: 0.2,
    };
    Classifier2d::new(&spec, device)
}

fn unet(expected: &Value, device: &Device) -> Unet2d {
    let spec = &expected["unet"]["spec"];
    let spec = Unet2dSpec {
        in_channels: spec["in_channels"].as_u64().unwrap() as usize,
        widths: dims(&spec["widths"]),
        classes: spec["classes"].as_u64().unwrap() as usize,
    };
    Unet2d::new(&spec, device)
}

/// Largest absolute difference (NaN if either side has one), after checking the shapes agree.
fn max_abs_diff(shape: &[usize], got: TensorData, expected: &Value) -> f32 {
    assert_eq!(shape, dims(&expected["shape"]), "output shape");
    let got: Vec<f32> = got.try_to_vec().expect("f32 output");
    let want = floats(&expected["values"]);
    assert_eq!(got.len(), want.len());
    // `f32::max` would drop a NaN, and a NaN output must fail the comparison.
    got.iter()
        .zip(&want)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, |m, d| if d.is_nan() || m.is_nan() { f32::NAN } else { m.max(d) })
}

fn classifier_logits(bytes: Vec<u8>) -> (Vec<usize>, TensorData) {
    let expected = expected();
    let device = Device::flex();
    let mut net = classifier(&expected, &device);
    load_pytorch_safetensors(&mut net, bytes).expect("the PyTorch classifier loads");
    let out = net.forward(input(&expected, &device));
    (out.dims().to_vec(), out.into_data())
}

#[test]
fn classifier_from_pytorch_gives_pytorchs_logits() {
    let expected = expected();
    let (shape, got) = classifier_logits(fixture("classifier.safetensors"));
    let diff = max_abs_diff(&shape, got, &expected["classifier"]["logits"]);
    eprintln!("max |burn - PyTorch| = {diff:e}");
    assert!(diff <= TOLERANCE, "max |burn - PyTorch| = {diff:e} (torch {})", expected["torch_version"]);
}

#[test]
fn classifier_saved_in_float64_is_cast_and_gives_the_same_logits() {
    let expected = expected();
    let (shape, got) = classifier_logits(fixture("classifier_f64.safetensors"));
    let diff = max_abs_diff(&shape, got, &expected["classifier"]["logits"]);
    assert!(diff <= TOLERANCE, "max |burn - PyTorch| = {diff:e}");
}

#[test]
fn unet_from_pytorch_gives_pytorchs_logits() {
    let expected = expected();
    let device = Device::flex();
    let mut net = unet(&expected, &device);
    load_pytorch_safetensors(&mut net, fixture("unet.safetensors")).expect("the PyTorch U-Net loads");
    let out = net.forward(input(&expected, &device));
    let shape = out.dims().to_vec();
    let diff = max_abs_diff(&shape, out.into_data(), &expected["unet"]["logits"]);
    eprintln!("max |burn - PyTorch| = {diff:e}");
    assert!(diff <= TOLERANCE, "max |burn - PyTorch| = {diff:e} (torch {})", expected["torch_version"]);
}

#[test]
fn the_fixture_is_what_pytorch_saves_and_differs_from_burn_naming() {
    // The mapping is exercised only if the file really uses PyTorch's names and layouts.
    let file = Safetensors::parse(&fixture("classifier.safetensors"));
    assert!(file.has("blocks.0.bn1.weight") && file.has("blocks.0.bn1.bias"));
    assert!(file.has("blocks.1.bn2.num_batches_tracked"));
    assert!(!file.has("blocks.0.bn1.gamma"));
    assert_eq!(file.shape("head.weight"), vec![2, 8], "PyTorch's Linear weight is [out, in]");
    let file = Safetensors::parse(&fixture("classifier_f64.safetensors"));
    assert_eq!(file.header["blocks.0.conv1.weight"]["dtype"], "F64");
    let file = Safetensors::parse(&fixture("unet.safetensors"));
    assert_eq!(file.shape("up.0.up.weight"), vec![8, 4, 2, 2], "ConvTranspose2d weight is [in, out, kh, kw]");
}

#[test]
fn data_parallel_prefix_is_stripped() {
    let expected = expected();
    let mut file = Safetensors::parse(&fixture("classifier.safetensors"));
    file.rename_all(|k| format!("module.{k}"));
    let (shape, got) = classifier_logits(file.to_bytes());
    let diff = max_abs_diff(&shape, got, &expected["classifier"]["logits"]);
    assert!(diff <= TOLERANCE, "max |burn - PyTorch| = {diff:e}");
}

fn load_classifier_err(bytes: Vec<u8>) -> String {
    let expected = expected();
    let mut net = classifier(&expected, &Device::flex());
    match load_pytorch_safetensors(&mut net, bytes) {
        Ok(()) => panic!("a broken file loaded"),
        Err(e) => {
            eprintln!("{e}");
            e.to_string()
        }
    }
}

#[test]
fn a_missing_tensor_is_named_in_the_error() {
    let mut file = Safetensors::parse(&fixture("classifier.safetensors"));
    file.remove("blocks.1.bn2.weight");
    file.remove("blocks.0.conv2.weight");
    let err = load_classifier_err(file.to_bytes());
    assert!(err.contains("missing"), "{err}");
    assert!(err.contains("blocks.1.bn2.weight"), "PyTorch's name, not burn's gamma: {err}");
    assert!(err.contains("blocks.0.conv2.weight"), "{err}");
}

#[test]
fn a_mis_shaped_tensor_is_named_with_both_shapes() {
    let mut file = Safetensors::parse(&fixture("classifier.safetensors"));
    // A head for 3 classes where the network has 2, and a 5×5 kernel where it has 3×3.
    file.insert_f32("head.weight", vec![3, 8], &[0.1; 24]);
    file.insert_f32("blocks.0.conv1.weight", vec![4, 1, 5, 5], &[0.1; 100]);
    let err = load_classifier_err(file.to_bytes());
    assert!(err.contains("head.weight has shape [3, 8], the network needs [2, 8]"), "{err}");
    assert!(err.contains("blocks.0.conv1.weight has shape [4, 1, 5, 5], the network needs [4, 1, 3, 3]"), "{err}");
}

#[test]
fn an_integer_tensor_where_floats_belong_is_named() {
    let mut file = Safetensors::parse(&fixture("classifier.safetensors"));
    let counts: Vec<u8> = (0..8i64).flat_map(|v| v.to_le_bytes()).collect();
    file.insert("blocks.1.bn1.running_mean", "I64", vec![8], counts);
    let err = load_classifier_err(file.to_bytes());
    assert!(err.contains("blocks.1.bn1.running_mean is I64"), "{err}");
}

#[test]
fn a_tensor_the_network_has_no_place_for_is_an_error() {
    let mut file = Safetensors::parse(&fixture("classifier.safetensors"));
    file.insert_f32("blocks.2.conv1.weight", vec![1, 1, 3, 3], &[0.0; 9]);
    let err = load_classifier_err(file.to_bytes());
    assert!(err.contains("no place for blocks.2.conv1.weight"), "{err}");
}

#[test]
fn the_unet_file_does_not_load_into_the_classifier() {
    let err = load_classifier_err(fixture("unet.safetensors"));
    assert!(err.contains("head.weight has shape [3, 4, 1, 1], the network needs [2, 8]"), "{err}");
    assert!(err.contains("missing") && err.contains("blocks.0.conv1.weight"), "{err}");
    assert!(err.contains("no place for") && err.contains("down.0.conv1.weight"), "{err}");
}

#[test]
fn bytes_that_are_not_safetensors_are_an_error() {
    let expected = expected();
    let mut net = classifier(&expected, &Device::flex());
    for bytes in [Vec::new(), b"not a safetensors file at all".to_vec(), {
        // Cut short: the header names more data than the file holds.
        let mut file = Safetensors::parse(&fixture("classifier.safetensors")).to_bytes();
        file.truncate(file.len() - 16);
        file
    }] {
        let err = load_pytorch_safetensors(&mut net, bytes).expect_err("garbage loaded");
        eprintln!("{err}");
        assert!(matches!(err, PyTorchWeightsError::Unreadable { .. }), "{err}");
    }
}

/// Just enough of the safetensors format (8-byte little-endian header length, JSON header, raw data) to edit a
/// fixture in a test without PyTorch.
struct Safetensors {
    header: Map<String, Value>,
    data: Vec<u8>,
}

impl Safetensors {
    fn parse(bytes: &[u8]) -> Self {
        let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        let header: Map<String, Value> = serde_json::from_slice(&bytes[8..8 + n]).expect("header JSON");
        Self { header, data: bytes[8 + n..].to_vec() }
    }

    fn has(&self, key: &str) -> bool {
        self.header.contains_key(key)
    }

    fn shape(&self, key: &str) -> Vec<usize> {
        dims(&self.header[key]["shape"])
    }

    fn tensors(&self) -> Vec<(String, Value, Vec<u8>)> {
        self.header
            .iter()
            .filter(|(k, _)| *k != "__metadata__")
            .map(|(k, v)| {
                let o = dims(&v["data_offsets"]);
                (k.clone(), v.clone(), self.data[o[0]..o[1]].to_vec())
            })
            .collect()
    }

    fn rebuild(&mut self, tensors: Vec<(String, Value, Vec<u8>)>) {
        let mut header = Map::new();
        if let Some(meta) = self.header.get("__metadata__") {
            header.insert("__metadata__".into(), meta.clone());
        }
        let mut data = Vec::new();
        for (k, mut v, bytes) in tensors {
            v["data_offsets"] = json!([data.len(), data.len() + bytes.len()]);
            data.extend(bytes);
            header.insert(k, v);
        }
        self.header = header;
        self.data = data;
    }

    fn remove(&mut self, key: &str) {
        assert!(self.has(key), "{key} is in the fixture");
        let tensors = self.tensors().into_iter().filter(|(k, _, _)| k != key).collect();
        self.rebuild(tensors);
    }

    fn rename_all(&mut self, f: impl Fn(&str) -> String) {
        let tensors = self.tensors().into_iter().map(|(k, v, b)| (f(&k), v, b)).collect();
        self.rebuild(tensors);
    }

    fn insert_f32(&mut self, key: &str, shape: Vec<usize>, values: &[f32]) {
        assert_eq!(shape.iter().product::<usize>(), values.len());
        self.insert(key, "F32", shape, values.iter().flat_map(|v| v.to_le_bytes()).collect());
    }

    fn insert(&mut self, key: &str, dtype: &str, shape: Vec<usize>, bytes: Vec<u8>) {
        let mut tensors: Vec<_> = self.tensors().into_iter().filter(|(k, _, _)| k != key).collect();
        tensors.push((key.to_string(), json!({ "dtype": dtype, "shape": shape }), bytes));
        self.rebuild(tensors);
    }

    fn to_bytes(&self) -> Vec<u8> {
        let mut header = serde_json::to_vec(&self.header).unwrap();
        while header.len() % 8 != 0 {
            header.push(b' ');
        }
        let mut out = (header.len() as u64).to_le_bytes().to_vec();
        out.extend(header);
        out.extend(&self.data);
        out
    }
}
