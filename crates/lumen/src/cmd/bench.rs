//! `lumen bench`: decode throughput of Lumen's pixel decoders against the dcmtk and GDCM command-line tools, on
//! the same files, in the same run.
//!
//! Inputs are the deterministic demo studies (`lumen_phantom::write_demo`) in the syntaxes Lumen writes itself
//! (Explicit/Implicit VR Little Endian, Explicit VR Big Endian, Deflated, RLE Lossless), plus compressed copies
//! made by the reference tools into a temporary folder: RLE by `dcmcrle`, JPEG Lossless SV1 by `dcmcjpeg +e1`,
//! JPEG baseline on the 8-bit RGB cine by `dcmcjpeg +eb`, JPEG-LS lossless by `dcmcjpls`, JPEG 2000 lossless by
//! `gdcmconv --j2k`.
//!
//! How each side is timed (wall clock, median of `--iterations` runs, one thing at a time):
//! - Lumen: for every file of a case, read it from disk (page cache), `DicomFile::from_bytes`, then
//!   `decode_frame` for every frame. One thread. Nothing is written.
//! - dcmtk / GDCM: the whole process per file (`dcmconv +te`, `dcmdrle`, `dcmdjpeg`, `dcmdjpls`;
//!   `gdcmconv --raw`), start-up, reading, decoding and writing the decompressed file included. Nothing is
//!   subtracted, so many-file cases favour Lumen by the tools' start-up time; the multi-frame cine cases show
//!   the codecs with less of that overhead.
//!
//! Every case is also checked for correctness: frame 0 decoded by Lumen must equal frame 0 of the file the
//! reference tool decompressed.
//!
//! This module only measures and reports; decoding lives in `lumen-dicom`, the studies in `lumen-phantom`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use lumen_dicom::{DicomFile, Frame, Samples};
use lumen_phantom::{write_demo, DemoManifest, DemoOptions, SeriesEntry, TransferSyntax};
use serde_json::json;

#[derive(clap::Args)]
pub struct Args {
    /// Folder for the demo studies used as input (written there; default: a temporary folder).
    #[arg(long, value_name = "DIR")]
    pub demo: Option<PathBuf>,
    /// Use the small demo (quick smoke run; numbers are dominated by overheads).
    #[arg(long)]
    pub small: bool,
    /// Timed runs per case and decoder; the median is reported.
    #[arg(long, default_value_t = 3)]
    pub iterations: usize,
    /// Also write the results as JSON to this file.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Time Lumen only (no dcmtk/GDCM).
    #[arg(long)]
    pub lumen_only: bool,
    /// Keep the temporary folder with the reference-compressed files and decoded outputs.
    #[arg(long)]
    pub keep: bool,
}

/// A reference decoder: program and arguments placed before `<input> <output>`.
#[derive(Debug, Clone)]
struct Tool {
    program: &'static str,
    args: &'static [&'static str],
}

impl Tool {
    fn label(&self) -> String {
        std::iter::once(self.program)
            .chain(self.args.iter().copied())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

const DCMCONV: Tool = Tool {
    program: "dcmconv",
    args: &["+te"],
};
const DCMDRLE: Tool = Tool {
    program: "dcmdrle",
    args: &[],
};
const DCMDJPEG: Tool = Tool {
    program: "dcmdjpeg",
    args: &[],
};
const DCMDJPLS: Tool = Tool {
    program: "dcmdjpls",
    args: &[],
};
const GDCM_RAW: Tool = Tool {
    program: "gdcmconv",
    args: &["--raw"],
};

/// One benchmark case: a set of files in one transfer syntax.
struct Case {
    name: String,
    syntax: String,
    /// Who produced the encoded files.
    encoder: String,
    files: Vec<PathBuf>,
    frames: u64,
    decoded_bytes: u64,
    dcmtk: Option<Tool>,
}

/// Result for one decoder on one case.
#[derive(Debug, Clone)]
enum Timing {
    Measured { seconds: f64, mb_per_s: f64 },
    Failed(String),
    Skipped(String),
}

impl Timing {
    fn mbps(&self) -> Option<f64> {
        match self {
            Timing::Measured { mb_per_s, .. } => Some(*mb_per_s),
            _ => None,
        }
    }
    fn cell(&self) -> String {
        match self {
            Timing::Measured { mb_per_s, .. } if *mb_per_s < 10.0 => format!("{mb_per_s:.1}"),
            Timing::Measured { mb_per_s, .. } => format!("{mb_per_s:.0}"),
            Timing::Failed(_) => "failed".into(),
            Timing::Skipped(_) => "n/a".into(),
        }
    }
    fn to_json(&self) -> serde_json::Value {
        match self {
            Timing::Measured { seconds, mb_per_s } => {
                json!({"seconds": seconds, "mbPerS": mb_per_s})
            }
            Timing::Failed(why) => json!({"failed": why}),
            Timing::Skipped(why) => json!({"skipped": why}),
        }
    }
}

struct CaseResult {
    lumen: Timing,
    dcmtk: Timing,
    gdcm: Timing,
    /// Frame 0 equal to the reference tools' output ("yes", "NO: …", or "-" when nothing to compare).
    check: String,
}

pub fn run(args: Args) -> Result<(), String> {
    let iterations = args.iterations.max(1);
    let temp = std::env::temp_dir().join(format!("lumen-bench-{}", std::process::id()));
    std::fs::create_dir_all(&temp)
        .map_err(|e| format!("bench: cannot create {}: {e}", temp.display()))?;
    let demo_dir = args.demo.clone().unwrap_or_else(|| temp.join("demo"));
    let opts = if args.small {
        DemoOptions::small()
    } else {
        DemoOptions::default()
    };
    eprintln!(
        "bench: writing the demo studies to {} …",
        demo_dir.display()
    );
    let manifest = write_demo(&demo_dir, &opts).map_err(|e| format!("bench: {e}"))?;

    let have_dcmtk = !args.lumen_only && tool_available("dcmconv");
    let have_gdcm = !args.lumen_only && tool_available("gdcmconv");
    let cases = build_cases(&manifest, &temp, have_dcmtk, have_gdcm)?;

    let mut results = Vec::new();
    for case in &cases {
        eprintln!("bench: {} ({} file(s)) …", case.name, case.files.len());
        let lumen = time_lumen(case, iterations);
        let out_dir = temp.join("out");
        std::fs::create_dir_all(&out_dir)
            .map_err(|e| format!("bench: cannot create {}: {e}", out_dir.display()))?;
        let dcmtk = match (&case.dcmtk, have_dcmtk) {
            (Some(tool), true) => time_tool(case, tool, &out_dir.join("dcmtk"), iterations),
            (None, _) => Timing::Skipped("no dcmtk decoder for this syntax".into()),
            (_, false) => Timing::Skipped("dcmtk not run".into()),
        };
        let gdcm = if have_gdcm {
            time_tool(case, &GDCM_RAW, &out_dir.join("gdcm"), iterations)
        } else {
            Timing::Skipped("GDCM not run".into())
        };
        let check = check_against_reference(case, &out_dir, &dcmtk, &gdcm);
        results.push(CaseResult {
            lumen,
            dcmtk,
            gdcm,
            check,
        });
    }

    print_table(&cases, &results, iterations);
    if let Some(path) = &args.json {
        let doc = results_json(&cases, &results, iterations, args.small);
        let text = serde_json::to_string_pretty(&doc)
            .map_err(|e| format!("bench: cannot serialise results: {e}"))?;
        std::fs::write(path, text + "\n")
            .map_err(|e| format!("bench: cannot write {}: {e}", path.display()))?;
        eprintln!("bench: results written to {}", path.display());
    }
    if args.keep {
        eprintln!("bench: kept {}", temp.display());
    } else {
        let _ = std::fs::remove_dir_all(&temp);
    }
    Ok(())
}

fn tool_available(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn find_series<'a>(
    m: &'a DemoManifest,
    study: &str,
    ts: TransferSyntax,
) -> Result<&'a SeriesEntry, String> {
    m.all_series()
        .find(|(st, se)| st.folder == study && se.transfer_syntax == ts)
        .map(|(_, se)| se)
        .ok_or_else(|| format!("bench: the demo has no {study} series in {}", ts.name()))
}

fn series_files(m: &DemoManifest, s: &SeriesEntry) -> Vec<PathBuf> {
    s.instances.iter().map(|i| m.root.join(&i.path)).collect()
}

/// The cases: demo series as written by Lumen, then reference-encoded copies of the CT subset, the radiograph
/// and the cine.
fn build_cases(
    m: &DemoManifest,
    temp: &Path,
    dcmtk: bool,
    gdcm: bool,
) -> Result<Vec<Case>, String> {
    let mut cases = Vec::new();
    let ct_main = find_series(m, "ct-chest", TransferSyntax::ExplicitVrLittleEndian)?;
    let ct_rle = find_series(m, "ct-chest", TransferSyntax::RleLossless)?;
    let stride = ct_main
        .instances
        .len()
        .div_ceil(ct_rle.instances.len().max(1))
        .max(1);
    // The Explicit VR LE slices matching the subset series (every `stride`-th slice): input for the encoders.
    let ct_subset_le: Vec<PathBuf> = series_files(m, ct_main)
        .into_iter()
        .step_by(stride)
        .collect();
    let per_ct_slice = ct_main.decoded_bytes() / ct_main.instances.len().max(1) as u64;
    let n_sub = ct_subset_le.len() as u64;
    let ct_dims = format!("CT {}×{} 16-bit", ct_main.columns, ct_main.rows);

    let native = |ts: TransferSyntax, tool: Tool| -> Result<Case, String> {
        let s = find_series(m, "ct-chest", ts)?;
        Ok(Case {
            name: format!("{ct_dims}, {}", ts.name()),
            syntax: ts.name().into(),
            encoder: "lumen-phantom".into(),
            files: series_files(m, s),
            frames: s.instances.len() as u64,
            decoded_bytes: s.decoded_bytes(),
            dcmtk: Some(tool),
        })
    };
    cases.push(native(TransferSyntax::ExplicitVrLittleEndian, DCMCONV)?);
    cases.push(native(TransferSyntax::ImplicitVrLittleEndian, DCMCONV)?);
    cases.push(native(TransferSyntax::ExplicitVrBigEndian, DCMCONV)?);
    cases.push(native(
        TransferSyntax::DeflatedExplicitVrLittleEndian,
        DCMCONV,
    )?);
    cases.push(native(TransferSyntax::RleLossless, DCMDRLE)?);

    let ct_bytes = per_ct_slice * n_sub;
    if dcmtk {
        push_encoded(
            &mut cases,
            temp,
            &format!("{ct_dims}, RLE Lossless (dcmtk-encoded)"),
            "RLE Lossless",
            ("dcmcrle", &[]),
            &ct_subset_le,
            n_sub,
            ct_bytes,
            Some(DCMDRLE),
        );
        push_encoded(
            &mut cases,
            temp,
            &format!("{ct_dims}, JPEG Lossless SV1"),
            "JPEG Lossless, Non-Hierarchical, First-Order Prediction",
            ("dcmcjpeg", &["+e1"]),
            &ct_subset_le,
            n_sub,
            ct_bytes,
            Some(DCMDJPEG),
        );
        push_encoded(
            &mut cases,
            temp,
            &format!("{ct_dims}, JPEG-LS Lossless"),
            "JPEG-LS Lossless",
            ("dcmcjpls", &[]),
            &ct_subset_le,
            n_sub,
            ct_bytes,
            Some(DCMDJPLS),
        );
    }
    if gdcm {
        push_encoded(
            &mut cases,
            temp,
            &format!("{ct_dims}, JPEG 2000 Lossless"),
            "JPEG 2000 Lossless",
            ("gdcmconv", &["--j2k"]),
            &ct_subset_le,
            n_sub,
            ct_bytes,
            None,
        );
    }

    let dx = find_series(m, "dx-chest", TransferSyntax::ExplicitVrLittleEndian)?;
    let dx_files = series_files(m, dx).into_iter().take(1).collect::<Vec<_>>();
    let dx_dims = format!("DX {}×{} 12-bit", dx.columns, dx.rows);
    let dx_bytes = dx.decoded_bytes() / dx.instances.len().max(1) as u64;
    cases.push(Case {
        name: format!("{dx_dims}, Explicit VR Little Endian"),
        syntax: TransferSyntax::ExplicitVrLittleEndian.name().into(),
        encoder: "lumen-phantom".into(),
        files: dx_files.clone(),
        frames: 1,
        decoded_bytes: dx_bytes,
        dcmtk: Some(DCMCONV),
    });
    if dcmtk {
        push_encoded(
            &mut cases,
            temp,
            &format!("{dx_dims}, JPEG Lossless SV1"),
            "JPEG Lossless, Non-Hierarchical, First-Order Prediction",
            ("dcmcjpeg", &["+e1"]),
            &dx_files,
            1,
            dx_bytes,
            Some(DCMDJPEG),
        );
    }
    if gdcm {
        push_encoded(
            &mut cases,
            temp,
            &format!("{dx_dims}, JPEG 2000 Lossless"),
            "JPEG 2000 Lossless",
            ("gdcmconv", &["--j2k"]),
            &dx_files,
            1,
            dx_bytes,
            None,
        );
    }

    for ts in [
        TransferSyntax::ExplicitVrLittleEndian,
        TransferSyntax::RleLossless,
    ] {
        let s = find_series(m, "us-cine", ts)?;
        cases.push(Case {
            name: format!(
                "US {}×{} RGB × {} frames, {}",
                s.columns,
                s.rows,
                s.frames_per_instance,
                ts.name()
            ),
            syntax: ts.name().into(),
            encoder: "lumen-phantom".into(),
            files: series_files(m, s),
            frames: u64::from(s.frames_per_instance) * s.instances.len() as u64,
            decoded_bytes: s.decoded_bytes(),
            dcmtk: Some(if ts == TransferSyntax::RleLossless {
                DCMDRLE
            } else {
                DCMCONV
            }),
        });
    }
    let us = find_series(m, "us-cine", TransferSyntax::ExplicitVrLittleEndian)?;
    let us_files = series_files(m, us);
    let us_name = format!(
        "US {}×{} RGB × {} frames",
        us.columns, us.rows, us.frames_per_instance
    );
    let us_frames = u64::from(us.frames_per_instance) * us.instances.len() as u64;
    if dcmtk {
        push_encoded(
            &mut cases,
            temp,
            &format!("{us_name}, JPEG Baseline"),
            "JPEG Baseline (Process 1)",
            ("dcmcjpeg", &["+eb"]),
            &us_files,
            us_frames,
            us.decoded_bytes(),
            Some(DCMDJPEG),
        );
    }
    if gdcm {
        push_encoded(
            &mut cases,
            temp,
            &format!("{us_name}, JPEG 2000 Lossless"),
            "JPEG 2000 Lossless",
            ("gdcmconv", &["--j2k"]),
            &us_files,
            us_frames,
            us.decoded_bytes(),
            None,
        );
    }
    Ok(cases)
}

/// Make a reference-encoded copy of `inputs` with `encoder` and add it as a case; a failing encoder only skips
/// the case (with a message), since not every tool build has every codec.
#[allow(clippy::too_many_arguments)]
fn push_encoded(
    cases: &mut Vec<Case>,
    temp: &Path,
    name: &str,
    syntax: &str,
    encoder: (&str, &[&str]),
    inputs: &[PathBuf],
    frames: u64,
    bytes: u64,
    tool: Option<Tool>,
) {
    let dir = temp.join(format!("enc-{}", cases.len()));
    match encode_all(encoder.0, encoder.1, inputs, &dir) {
        Ok(files) => cases.push(Case {
            name: name.into(),
            syntax: syntax.into(),
            encoder: std::iter::once(encoder.0)
                .chain(encoder.1.iter().copied())
                .collect::<Vec<_>>()
                .join(" "),
            files,
            frames,
            decoded_bytes: bytes,
            dcmtk: tool,
        }),
        Err(e) => eprintln!("bench: skipping {name}: {e}"),
    }
}

/// Run `program args… <input> <output>` for every input, writing into `dir`.
fn encode_all(
    program: &str,
    args: &[&str],
    inputs: &[PathBuf],
    dir: &Path,
) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut out = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.iter().enumerate() {
        let output = dir.join(format!("{:04}.dcm", i + 1));
        let result = Command::new(program)
            .args(args)
            .arg(input)
            .arg(&output)
            .output();
        match result {
            Ok(o) if o.status.success() => out.push(output),
            Ok(o) => {
                return Err(format!(
                    "{program} failed on {}: {}",
                    input.display(),
                    String::from_utf8_lossy(&o.stderr)
                        .lines()
                        .next()
                        .unwrap_or("no message")
                ))
            }
            Err(e) => return Err(format!("cannot run {program}: {e}")),
        }
    }
    Ok(out)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn measured(case: &Case, d: Duration) -> Timing {
    let seconds = d.as_secs_f64().max(1e-9);
    Timing::Measured {
        seconds,
        mb_per_s: case.decoded_bytes as f64 / 1e6 / seconds,
    }
}

fn sample_bytes(s: &Samples) -> usize {
    let width = match s {
        Samples::U8(_) | Samples::I8(_) => 1,
        Samples::U16(_) | Samples::I16(_) => 2,
        Samples::U32(_) | Samples::I32(_) | Samples::F32(_) => 4,
        Samples::F64(_) => 8,
    };
    s.len() * width
}

/// Read, parse and decode every frame of every file once; returns decoded bytes.
fn lumen_pass(files: &[PathBuf]) -> Result<u64, String> {
    let mut total = 0u64;
    for path in files {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let file = DicomFile::from_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        for i in 0..file.number_of_frames() {
            let frame = file
                .decode_frame(i)
                .map_err(|e| format!("{} frame {i}: {e}", path.display()))?;
            total += sample_bytes(&std::hint::black_box(frame).samples) as u64;
        }
    }
    Ok(total)
}

fn time_lumen(case: &Case, iterations: usize) -> Timing {
    // Warm-up pass (page cache, allocator), also checks the decoded size.
    match lumen_pass(&case.files) {
        Ok(n) if n == case.decoded_bytes => {}
        Ok(n) => {
            return Timing::Failed(format!(
                "decoded {n} bytes, expected {}",
                case.decoded_bytes
            ))
        }
        Err(e) => return Timing::Failed(e),
    }
    let mut runs = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let start = Instant::now();
        if let Err(e) = lumen_pass(&case.files) {
            return Timing::Failed(e);
        }
        runs.push(start.elapsed());
    }
    measured(case, median(runs))
}

fn time_tool(case: &Case, tool: &Tool, out_dir: &Path, iterations: usize) -> Timing {
    if let Err(e) = std::fs::create_dir_all(out_dir) {
        return Timing::Failed(format!("cannot create {}: {e}", out_dir.display()));
    }
    let mut runs = Vec::with_capacity(iterations);
    // One untimed warm-up pass, then the timed ones.
    for pass in 0..=iterations {
        let start = Instant::now();
        for (i, input) in case.files.iter().enumerate() {
            let output = out_dir.join(format!("{:04}.dcm", i + 1));
            match Command::new(tool.program)
                .args(tool.args)
                .arg(input)
                .arg(&output)
                .output()
            {
                Ok(o) if o.status.success() => {}
                Ok(o) => {
                    return Timing::Failed(format!(
                        "{} failed on {}: {}",
                        tool.label(),
                        input.display(),
                        String::from_utf8_lossy(&o.stderr)
                            .lines()
                            .next()
                            .unwrap_or("no message")
                    ))
                }
                Err(e) => return Timing::Skipped(format!("cannot run {}: {e}", tool.program)),
            }
        }
        if pass > 0 {
            runs.push(start.elapsed());
        }
    }
    measured(case, median(runs))
}

fn first_frame(path: &Path) -> Result<Frame, String> {
    let file = DicomFile::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    file.decode_frame(0)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Compare Lumen's frame 0 with frame 0 of the reference tools' decompressed output.
fn check_against_reference(case: &Case, out_dir: &Path, dcmtk: &Timing, gdcm: &Timing) -> String {
    let Some(input) = case.files.first() else {
        return "-".into();
    };
    let ours = match first_frame(input) {
        Ok(f) => f,
        Err(_) => return "-".into(),
    };
    let mut verdicts = Vec::new();
    for (name, timing, dir) in [
        ("dcmtk", dcmtk, out_dir.join("dcmtk")),
        ("gdcm", gdcm, out_dir.join("gdcm")),
    ] {
        if !matches!(timing, Timing::Measured { .. }) {
            continue;
        }
        match first_frame(&dir.join("0001.dcm")) {
            Ok(theirs) if theirs.samples == ours.samples => verdicts.push(format!("{name} ok")),
            Ok(theirs) if theirs.photometric_interpretation != ours.photometric_interpretation => {
                verdicts.push(format!(
                    "{name} wrote {} (Lumen {}), not compared",
                    theirs.photometric_interpretation.as_str(),
                    ours.photometric_interpretation.as_str()
                ))
            }
            Ok(theirs) if theirs.samples.len() == ours.samples.len() => {
                // Lossy codecs may round differently between decoders: report the largest difference.
                let max = (0..ours.samples.len())
                    .filter_map(|i| Some((ours.samples.get(i)? - theirs.samples.get(i)?).abs()))
                    .fold(0.0f64, f64::max);
                verdicts.push(format!("{name} max|Δ|={max}"));
            }
            Ok(theirs) => verdicts.push(format!(
                "{name} DIFFERS ({} vs {} samples, {})",
                ours.samples.len(),
                theirs.samples.len(),
                theirs.photometric_interpretation.as_str()
            )),
            Err(e) => verdicts.push(format!("{name} unreadable ({e})")),
        }
    }
    if verdicts.is_empty() {
        "-".into()
    } else {
        verdicts.join(", ")
    }
}

fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}×", a / b),
        _ => "-".into(),
    }
}

fn print_table(cases: &[Case], results: &[CaseResult], iterations: usize) {
    println!(
        "Decoded-output throughput in MB/s (10^6 bytes of stored values per second), median of {iterations} run(s).\n\
         Lumen: read + parse + decode all frames in-process, 1 thread. dcmtk/GDCM: one process per file \
         (start-up and writing the output included).\n"
    );
    let w = cases
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(10)
        .max(4);
    println!(
        "{:<w$} {:>5} {:>7} {:>8} {:>8} {:>8} {:>9} {:>9}  check",
        "case", "files", "MB", "Lumen", "dcmtk", "GDCM", "L/dcmtk", "L/GDCM"
    );
    for (c, r) in cases.iter().zip(results) {
        println!(
            "{:<w$} {:>5} {:>7.1} {:>8} {:>8} {:>8} {:>9} {:>9}  {}",
            c.name,
            c.files.len(),
            c.decoded_bytes as f64 / 1e6,
            r.lumen.cell(),
            r.dcmtk.cell(),
            r.gdcm.cell(),
            ratio(r.lumen.mbps(), r.dcmtk.mbps()),
            ratio(r.lumen.mbps(), r.gdcm.mbps()),
            r.check
        );
    }
    for (c, r) in cases.iter().zip(results) {
        for (who, t) in [("Lumen", &r.lumen), ("dcmtk", &r.dcmtk), ("GDCM", &r.gdcm)] {
            if let Timing::Failed(why) = t {
                println!("  {}: {who} failed: {why}", c.name);
            }
        }
    }
}

fn results_json(
    cases: &[Case],
    results: &[CaseResult],
    iterations: usize,
    small: bool,
) -> serde_json::Value {
    let rows: Vec<_> = cases
        .iter()
        .zip(results)
        .map(|(c, r)| {
            json!({
                "case": c.name,
                "transferSyntax": c.syntax,
                "encoder": c.encoder,
                "files": c.files.len(),
                "frames": c.frames,
                "decodedBytes": c.decoded_bytes,
                "lumen": r.lumen.to_json(),
                "dcmtk": r.dcmtk.to_json(),
                "dcmtkCommand": c.dcmtk.as_ref().map(Tool::label),
                "gdcm": r.gdcm.to_json(),
                "gdcmCommand": GDCM_RAW.label(),
                "lumenOverDcmtk": match (r.lumen.mbps(), r.dcmtk.mbps()) { (Some(a), Some(b)) => json!(a / b), _ => json!(null) },
                "lumenOverGdcm": match (r.lumen.mbps(), r.gdcm.mbps()) { (Some(a), Some(b)) => json!(a / b), _ => json!(null) },
                "check": r.check,
            })
        })
        .collect();
    json!({
        "iterations": iterations,
        "smallDemo": small,
        "threads": 1,
        "method": "wall clock, median; Lumen in-process (read+parse+decode); references one process per file incl. start-up and output writing",
        "cases": rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_picks_the_middle_run() {
        let ms = |v: u64| Duration::from_millis(v);
        assert_eq!(median(vec![ms(30), ms(10), ms(20)]), ms(20));
        assert_eq!(median(vec![]), Duration::ZERO);
    }

    #[test]
    fn ratio_is_lumen_over_reference() {
        assert_eq!(ratio(Some(300.0), Some(100.0)), "3.00×");
        assert_eq!(ratio(Some(300.0), None), "-");
        assert_eq!(ratio(Some(300.0), Some(0.0)), "-");
    }

    #[test]
    fn every_demo_series_decodes_to_its_announced_size() {
        let dir = std::env::temp_dir().join(format!("lumen-bench-test-{}", std::process::id()));
        let manifest = write_demo(&dir, &DemoOptions::small()).unwrap();
        for (study, series) in manifest.all_series() {
            let files = series_files(&manifest, series);
            let decoded = lumen_pass(&files)
                .unwrap_or_else(|e| panic!("{}/{}: {e}", study.folder, series.folder));
            assert_eq!(
                decoded,
                series.decoded_bytes(),
                "{}/{}",
                study.folder,
                series.folder
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
