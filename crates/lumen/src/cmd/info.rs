//! `lumen info FILE [--json]`: a readable summary of one DICOM file (patient, study, series, SOP class, transfer
//! syntax with its name, image attributes, windows, geometry), or with `--json` the DICOM JSON model (PS3.18 F.2)
//! of its data set. It only composes `lumen-dicom` and `dicom-json`: it must not parse or interpret DICOM itself.

use dicom_dictionary_std::tags;
use lumen_dicom::{display, geometry::ImagePlane, DicomFile, Error};
use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The DICOM file (Part 10, with or without preamble, or a bare data set).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Print the data set as DICOM JSON (PS3.18 F.2) instead of the summary; binary values are inline Base64.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> Result<(), String> {
    let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", args.file.display());
    let file = DicomFile::open(&args.file).map_err(|e| fail(&e))?;
    if args.json {
        let text = dicom_json::to_string_pretty(file.object())
            .map_err(|e| fail(&format!("cannot write DICOM JSON: {e}")))?;
        println!("{text}");
        return Ok(());
    }
    print!("{}", summary(&args.file, &file));
    Ok(())
}

/// Format the summary; attributes that are absent are left out.
fn summary(path: &std::path::Path, file: &DicomFile) -> String {
    let mut out = String::new();
    let mut line = |label: &str, value: Option<String>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            let _ = writeln!(out, "{label:<19}{v}");
        }
    };
    let s = |tag| file.string(tag);
    let join = |parts: &[Option<String>], sep: &str| -> Option<String> {
        let parts: Vec<String> = parts.iter().flatten().cloned().collect();
        (!parts.is_empty()).then(|| parts.join(sep))
    };
    line("File", Some(path.display().to_string()));
    line(
        "Patient",
        join(
            &[
                s(tags::PATIENT_NAME),
                s(tags::PATIENT_ID).map(|id| format!("ID {id}")),
                s(tags::PATIENT_BIRTH_DATE).map(|d| format!("born {d}")),
                s(tags::PATIENT_SEX).map(|x| format!("sex {x}")),
            ],
            ", ",
        ),
    );
    line(
        "Study",
        join(
            &[
                s(tags::STUDY_DATE),
                s(tags::STUDY_DESCRIPTION),
                s(tags::ACCESSION_NUMBER).map(|a| format!("accession {a}")),
            ],
            ", ",
        ),
    );
    line("Study UID", file.study_instance_uid());
    line(
        "Series",
        join(
            &[
                s(tags::MODALITY),
                s(tags::SERIES_NUMBER).map(|n| format!("#{n}")),
                s(tags::SERIES_DESCRIPTION),
            ],
            " ",
        ),
    );
    line("Series UID", file.series_instance_uid());
    line(
        "SOP Class",
        file.sop_class_uid().map(|uid| match file.sop_class_name() {
            Some(name) => format!("{uid} ({name})"),
            None => uid,
        }),
    );
    line("SOP Instance UID", file.sop_instance_uid());
    line(
        "Instance",
        s(tags::INSTANCE_NUMBER).map(|n| format!("#{n}")),
    );
    line(
        "Transfer Syntax",
        Some(format!(
            "{} ({}){}",
            file.transfer_syntax(),
            file.transfer_syntax_name(),
            if file.has_file_meta() {
                ""
            } else {
                ", no File Meta Information: told from the data set"
            }
        )),
    );
    match file.image_info() {
        Ok(info) => {
            line(
                "Image",
                Some(format!(
                    "{} columns × {} rows, {} frame(s), {} sample(s) per pixel, {}",
                    info.columns,
                    info.rows,
                    info.number_of_frames,
                    info.samples_per_pixel,
                    info.photometric_interpretation
                )),
            );
            line(
                "Pixel encoding",
                Some(format!(
                    "{} bits allocated, {} stored, high bit {}, {}{}",
                    info.bits_allocated,
                    info.bits_stored,
                    info.high_bit,
                    if info.is_signed() {
                        "signed"
                    } else {
                        "unsigned"
                    },
                    match info.pixel_data_kind {
                        lumen_dicom::PixelDataKind::Integer => "",
                        lumen_dicom::PixelDataKind::Float => ", Float Pixel Data",
                        lumen_dicom::PixelDataKind::DoubleFloat => ", Double Float Pixel Data",
                    }
                )),
            );
            if info.samples_per_pixel > 1 {
                line(
                    "Planar config.",
                    Some(match info.planar_configuration {
                        lumen_dicom::PlanarConfiguration::Interleaved => {
                            "0 (colour-by-pixel)".to_string()
                        }
                        lumen_dicom::PlanarConfiguration::Planar => {
                            "1 (colour-by-plane)".to_string()
                        }
                    }),
                );
            }
            let signed = info.is_signed();
            match display::ModalityLut::from_object(file.object(), 0, signed) {
                Ok(display::ModalityLut::Identity) => {}
                Ok(display::ModalityLut::Rescale {
                    slope,
                    intercept,
                    rescale_type,
                }) => line(
                    "Modality LUT",
                    Some(format!(
                        "rescale slope {slope}, intercept {intercept}{}",
                        rescale_type.map(|t| format!(" ({t})")).unwrap_or_default()
                    )),
                ),
                Ok(display::ModalityLut::Lut { lut, lut_type }) => line(
                    "Modality LUT",
                    Some(format!(
                        "table of {} entries from {}{}",
                        lut.entries.len(),
                        lut.first_mapped,
                        lut_type.map(|t| format!(" ({t})")).unwrap_or_default()
                    )),
                ),
                Err(e) => line("Modality LUT", Some(format!("unusable: {e}"))),
            }
            match display::voi_choices(file.object(), 0, true) {
                Ok(choices) => {
                    for (i, voi) in choices.iter().enumerate() {
                        line(if i == 0 { "VOI" } else { "" }, Some(voi.to_string()));
                    }
                }
                Err(e) => line("VOI", Some(format!("unusable: {e}"))),
            }
            if let [row, column] = file.numbers(tags::PIXEL_SPACING)[..] {
                line(
                    "Pixel spacing",
                    Some(format!(
                        "{row} mm between rows, {column} mm between columns"
                    )),
                );
            }
            if let Ok(plane) = ImagePlane::from_object(file.object(), 0) {
                let l = plane.edge_labels();
                line(
                    "Orientation",
                    Some(format!(
                        "left {} · right {} · top {} · bottom {}",
                        l.left, l.right, l.top, l.bottom
                    )),
                );
            }
        }
        Err(Error::MissingPixelData) => line("Image", Some("none (no pixel data)".to_string())),
        Err(e) => line("Image", Some(format!("unusable: {e}"))),
    }
    out
}
