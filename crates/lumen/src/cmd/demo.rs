//! `lumen demo --out DIR [--small]`: write Lumen's deterministic demo studies (chest CT in five transfer
//! syntaxes, chest radiograph, MR brain, ultrasound cine) with `lumen_phantom::write_demo`, plus a
//! `manifest.json` listing every file, its UIDs and transfer syntax, and the CT nodules' known positions.
//!
//! It only composes the library: all anatomy, encoding and file writing live in `lumen-phantom`.

use std::path::PathBuf;
use std::time::Instant;

use lumen_phantom::{write_demo, DemoManifest, DemoOptions};
use serde_json::{json, Value};

#[derive(clap::Args)]
pub struct Args {
    /// Folder to write the studies into (created if missing; existing demo files are overwritten).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Write a small demo (96×96×22 CT, small radiograph, MR and cine) in about a second.
    #[arg(long)]
    pub small: bool,
    /// Worker threads (0 = one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

pub fn run(args: Args) -> Result<(), String> {
    let opts = DemoOptions {
        threads: args.threads,
        ..if args.small {
            DemoOptions::small()
        } else {
            DemoOptions::default()
        }
    };
    let start = Instant::now();
    let manifest = write_demo(&args.out, &opts).map_err(|e| format!("demo: {e}"))?;
    let elapsed = start.elapsed();
    let manifest_path = args.out.join("manifest.json");
    let text = serde_json::to_string_pretty(&manifest_json(&manifest))
        .map_err(|e| format!("demo: cannot serialise the manifest: {e}"))?;
    std::fs::write(&manifest_path, text + "\n")
        .map_err(|e| format!("demo: cannot write {}: {e}", manifest_path.display()))?;
    for (study, series) in manifest.all_series() {
        println!(
            "{}/{}  {:>4} file(s)  {}  {}",
            study.folder,
            series.folder,
            series.instances.len(),
            series.transfer_syntax.name(),
            study.patient_name
        );
    }
    println!(
        "wrote {} files to {} in {:.1} s (manifest: {})",
        manifest.instance_count(),
        args.out.display(),
        elapsed.as_secs_f64(),
        manifest_path.display()
    );
    Ok(())
}

/// The manifest as JSON: paths relative to the demo folder.
pub fn manifest_json(m: &DemoManifest) -> Value {
    let studies: Vec<Value> = m
        .studies
        .iter()
        .map(|st| {
            let series: Vec<Value> = st
                .series
                .iter()
                .map(|se| {
                    json!({
                        "folder": se.folder,
                        "seriesInstanceUID": se.series_instance_uid,
                        "seriesNumber": se.series_number,
                        "modality": se.modality,
                        "description": se.description,
                        "sopClassUID": se.sop_class_uid,
                        "transferSyntaxUID": se.transfer_syntax.uid(),
                        "transferSyntax": se.transfer_syntax.name(),
                        "rows": se.rows,
                        "columns": se.columns,
                        "framesPerInstance": se.frames_per_instance,
                        "samplesPerPixel": se.samples_per_pixel,
                        "bitsAllocated": se.bits_allocated,
                        "instances": se.instances.iter().map(|i| json!({
                            "path": i.path.to_string_lossy().replace('\\', "/"),
                            "sopInstanceUID": i.sop_instance_uid,
                            "instanceNumber": i.instance_number,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            json!({
                "folder": st.folder,
                "patientName": st.patient_name,
                "patientID": st.patient_id,
                "studyInstanceUID": st.study_instance_uid,
                "accessionNumber": st.accession_number,
                "description": st.description,
                "series": series,
            })
        })
        .collect();
    let nodules: Vec<Value> = m
        .nodules
        .iter()
        .map(|n| {
            json!({
                "location": n.location,
                "diameterMm": n.diameter_mm,
                "hu": n.hu,
                "centreMm": n.centre_mm,
                "voxelSliceRowColumn": n.voxel,
                "seriesInstanceUID": n.series_instance_uid,
            })
        })
        .collect();
    json!({ "generator": concat!("lumen-phantom ", env!("CARGO_PKG_VERSION")), "studies": studies, "nodules": nodules })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_json_lists_relative_paths_syntaxes_and_nodules() {
        let (manifest, files) = lumen_phantom::demo_in_memory(&DemoOptions::small()).unwrap();
        let v = manifest_json(&manifest);
        let studies = v["studies"].as_array().unwrap();
        assert_eq!(studies.len(), 4);
        let first = &studies[0]["series"][0];
        assert_eq!(first["transferSyntaxUID"], "1.2.840.10008.1.2.1");
        let path = first["instances"][0]["path"].as_str().unwrap();
        assert!(
            path.starts_with("ct-chest/") && path.ends_with("/0001.dcm"),
            "{path}"
        );
        assert!(files
            .iter()
            .any(|(p, _)| p.to_string_lossy().replace('\\', "/") == path));
        let nodules = v["nodules"].as_array().unwrap();
        assert_eq!(nodules[0]["diameterMm"], 4.0);
        assert_eq!(nodules[0]["centreMm"], json!([-85.0, -15.0, 75.0]));
    }
}
