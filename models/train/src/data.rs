//! The chest radiograph data set in `../shared/data/cxr-pneumonia` (read its README): 1000 grey PNGs, 256², with
//! `labels.csv` (`file,label,source_file,split`), split by patient into train / val / test.

use std::path::{Path, PathBuf};

/// One radiograph, 8-bit grey levels as stored.
#[derive(Debug, Clone)]
pub struct Radiograph {
    /// File name in the data folder (for error messages and per-film results).
    #[allow(dead_code)]
    pub file: String,
    pub label: u8,
    pub split: Split,
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    Train,
    Val,
    Test,
}

/// The default location relative to the repository root, and the environment override.
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("LUMEN_CXR_DATA") {
        return PathBuf::from(dir);
    }
    // models/train → repository root → its parent holds shared/.
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/cxr-pneumonia")
}

/// Loads every image listed in `labels.csv`.
pub fn load(dir: &Path) -> Result<Vec<Radiograph>, String> {
    let csv_path = dir.join("labels.csv");
    let csv = std::fs::read_to_string(&csv_path).map_err(|e| format!("{}: {e}", csv_path.display()))?;
    let mut lines = csv.lines();
    let header = lines.next().ok_or_else(|| format!("{}: empty", csv_path.display()))?;
    let cols: Vec<&str> = header.split(',').map(str::trim).collect();
    let col = |name: &str| cols.iter().position(|c| *c == name).ok_or_else(|| format!("labels.csv has no {name} column"));
    let (c_file, c_label, c_split) = (col("file")?, col("label")?, col("split")?);
    let mut out = Vec::new();
    for (n, line) in lines.enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        let get = |i: usize| f.get(i).copied().ok_or_else(|| format!("labels.csv line {}: too few columns", n + 2));
        let file = get(c_file)?.to_string();
        let label: u8 = get(c_label)?.parse().map_err(|_| format!("labels.csv line {}: bad label", n + 2))?;
        let split = match get(c_split)? {
            "train" => Split::Train,
            "val" => Split::Val,
            "test" => Split::Test,
            other => return Err(format!("labels.csv line {}: unknown split {other:?}", n + 2)),
        };
        let (width, height, pixels) = read_grey_png(&dir.join(&file))?;
        out.push(Radiograph { file, label, split, width, height, pixels });
    }
    Ok(out)
}

/// Decodes an 8-bit grey (or grey+alpha / RGB(A) with R=G=B) PNG.
pub fn read_grey_png(path: &Path) -> Result<(usize, usize, Vec<u8>), String> {
    let err = |e: String| format!("{}: {e}", path.display());
    let file = std::fs::File::open(path).map_err(|e| err(e.to_string()))?;
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| err(e.to_string()))?;
    let mut buf = vec![0; reader.output_buffer_size().ok_or_else(|| err("image too large".into()))?];
    let info = reader.next_frame(&mut buf).map_err(|e| err(e.to_string()))?;
    let (w, h) = (info.width as usize, info.height as usize);
    let step = info.color_type.samples();
    let px: Vec<u8> = buf[..info.buffer_size()].chunks(step).map(|c| c[0]).collect();
    if px.len() != w * h {
        return Err(err(format!("unexpected PNG layout {:?}", info.color_type)));
    }
    Ok((w, h, px))
}
