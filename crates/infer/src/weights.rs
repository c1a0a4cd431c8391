//! A package's `weights.safetensors`, read as far as its header: which tensors it holds and in which element
//! type, so that weights stored otherwise than the manifest's `weights.dtype` says are refused with the reason
//! before any tensor is loaded.
//!
//! The format: an unsigned 64-bit little-endian header length `n`, then `n` bytes of JSON mapping each tensor name
//! to `{"dtype": "F32" | "F16" | …, "shape": […], "data_offsets": [begin, end]}` (plus an optional
//! `__metadata__` entry), then the tensor data.

use crate::manifest::WeightsDtype;

/// The largest header accepted (the safetensors format's own limit is 100 MB; ours are a few KB).
const MAX_HEADER: u64 = 100 * 1024 * 1024;

/// `(tensor name, safetensors dtype)` for every tensor of a safetensors file, sorted by name.
pub fn tensor_dtypes(bytes: &[u8]) -> Result<Vec<(String, String)>, String> {
    let Some(len) = bytes.get(..8) else {
        return Err(format!("not a safetensors file: {} bytes, shorter than the 8-byte header length", bytes.len()));
    };
    let len = u64::from_le_bytes(len.try_into().expect("8 bytes"));
    let available = bytes.len() as u64 - 8;
    if len > available || len > MAX_HEADER {
        return Err(format!("not a safetensors file: the header claims {len} bytes, but {available} follow"));
    }
    let header: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&bytes[8..8 + len as usize])
        .map_err(|e| format!("not a safetensors file: the header is not a JSON object ({e})"))?;
    let mut out = Vec::with_capacity(header.len());
    for (name, info) in header {
        if name == "__metadata__" {
            continue;
        }
        let dtype = info
            .get("dtype")
            .and_then(|d| d.as_str())
            .ok_or_else(|| format!("not a safetensors file: tensor {name:?} has no dtype"))?;
        out.push((name, dtype.to_string()));
    }
    out.sort();
    Ok(out)
}

/// Checks that the file holds at least one tensor and that every tensor is stored as `declared`.
pub fn check_dtype(bytes: &[u8], declared: WeightsDtype) -> Result<(), String> {
    let tensors = tensor_dtypes(bytes)?;
    if tensors.is_empty() {
        return Err("the file holds no tensors".into());
    }
    let want = declared.safetensors_name();
    let wrong: Vec<&(String, String)> = tensors.iter().filter(|(_, d)| d != want).collect();
    match wrong.first() {
        None => Ok(()),
        Some((name, dtype)) => Err(format!(
            "{} of {} tensors are not {want}, e.g. {name:?} is {dtype}",
            wrong.len(),
            tensors.len()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A safetensors file with these `(name, dtype, values)` (4 bytes per value whatever the dtype: only the
    /// header matters here).
    fn file(tensors: &[(&str, &str)]) -> Vec<u8> {
        let mut header = serde_json::Map::new();
        header.insert("__metadata__".into(), serde_json::json!({"format": "pt"}));
        for (i, (name, dtype)) in tensors.iter().enumerate() {
            header.insert(name.to_string(), serde_json::json!({"dtype": dtype, "shape": [1], "data_offsets": [4 * i, 4 * i + 4]}));
        }
        let json = serde_json::to_vec(&header).unwrap();
        let mut out = (json.len() as u64).to_le_bytes().to_vec();
        out.extend(json);
        out.extend(vec![0u8; 4 * tensors.len()]);
        out
    }

    #[test]
    fn the_declared_dtype_must_be_every_tensors_dtype() {
        let half = file(&[("a.weight", "F16"), ("a.bias", "F16")]);
        assert_eq!(tensor_dtypes(&half).unwrap(), vec![("a.bias".into(), "F16".into()), ("a.weight".into(), "F16".into())]);
        assert!(check_dtype(&half, WeightsDtype::F16).is_ok());
        let err = check_dtype(&half, WeightsDtype::F32).unwrap_err();
        assert_eq!(err, r#"2 of 2 tensors are not F32, e.g. "a.bias" is F16"#);
        let mixed = file(&[("a.weight", "F16"), ("bn.running_var", "F32")]);
        let err = check_dtype(&mixed, WeightsDtype::F16).unwrap_err();
        assert_eq!(err, r#"1 of 2 tensors are not F16, e.g. "bn.running_var" is F32"#);
        let wide = file(&[("a.weight", "F64")]);
        assert!(check_dtype(&wide, WeightsDtype::F32).unwrap_err().contains("is F64"));
        assert_eq!(check_dtype(&file(&[]), WeightsDtype::F32).unwrap_err(), "the file holds no tensors");
    }

    #[test]
    fn a_broken_header_is_an_error_not_a_panic() {
        let good = file(&[("a.weight", "F32")]);
        assert!(check_dtype(&good[..5], WeightsDtype::F32).unwrap_err().contains("shorter than the 8-byte header"));
        assert!(check_dtype(&good[..20], WeightsDtype::F32).unwrap_err().contains("the header claims"));
        let mut huge = good.clone();
        huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(check_dtype(&huge, WeightsDtype::F32).unwrap_err().contains("the header claims"));
        let mut garbled = good.clone();
        garbled[8] = b'[';
        assert!(check_dtype(&garbled, WeightsDtype::F32).unwrap_err().contains("not a JSON object"));
        let no_dtype = {
            let json = br#"{"a.weight": {"shape": [1], "data_offsets": [0, 4]}}"#;
            let mut out = (json.len() as u64).to_le_bytes().to_vec();
            out.extend(json);
            out.extend([0u8; 4]);
            out
        };
        assert!(check_dtype(&no_dtype, WeightsDtype::F32).unwrap_err().contains(r#"tensor "a.weight" has no dtype"#));
    }
}
