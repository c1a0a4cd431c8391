//! `lumen decode FILE [--frame N] --out PATH [--format raw|png]`: decode pixel data with `lumen-dicom`.
//!
//! - `raw`: the stored values after decompression and before any LUT — bits above Bits Stored masked off and
//!   sign-extended when Pixel Representation is 1 — little-endian in a Bits Allocated container (1-bit data: one
//!   byte per sample), colour samples interleaved; every frame concatenated when `--frame` is not given. Colour
//!   is as the decoder delivers it: RGB after JPEG baseline and JPEG 2000 with a colour transform, and native
//!   YBR_FULL_422 expanded to one Cb/Cr pair per pixel.
//! - `png`: the displayed image (Modality LUT, the file's first window or else the full modality range,
//!   presentation), 8-bit gray for monochrome and RGB for colour; the first frame when `--frame` is not given.
//!
//! It only composes `lumen-dicom` and the `png` crate; it must not decode or transform pixels itself.

use lumen_dicom::display::{self, DisplayParams};
use lumen_dicom::DicomFile;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Stored values, little-endian, Bits Allocated container.
    Raw,
    /// The displayed image as an 8-bit PNG.
    Png,
}

#[derive(clap::Args)]
pub struct Args {
    /// The DICOM file to decode.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Decode only this frame (0-based). Default: all frames for raw, the first frame for png.
    #[arg(long, value_name = "N")]
    pub frame: Option<u32>,
    /// Where to write the result.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// Output format; default: png when PATH ends in .png, raw otherwise.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
}

pub fn run(args: Args) -> Result<(), String> {
    let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", args.file.display());
    let format = args.format.unwrap_or_else(|| {
        if args
            .out
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("png"))
        {
            Format::Png
        } else {
            Format::Raw
        }
    });
    let file = DicomFile::open(&args.file).map_err(|e| fail(&e))?;
    let info = file.image_info().map_err(|e| fail(&e))?;
    let bytes = match format {
        Format::Raw => {
            let frames: Vec<u32> = match args.frame {
                Some(i) => vec![i],
                None => (0..info.number_of_frames).collect(),
            };
            let mut out = Vec::new();
            for i in frames {
                let frame = file.decode_frame(i).map_err(|e| fail(&e))?;
                out.extend(frame.samples.to_le_bytes());
            }
            out
        }
        Format::Png => {
            let frame = file
                .decode_frame(args.frame.unwrap_or(0))
                .map_err(|e| fail(&e))?;
            let params = DisplayParams::from_file(&file, &frame).map_err(|e| fail(&e))?;
            if frame.photometric_interpretation.is_monochrome() {
                let img = display::render_gray8(&frame, &params).map_err(|e| fail(&e))?;
                encode_png(img.width, img.height, png::ColorType::Grayscale, &img.data)
                    .map_err(|e| fail(&e))?
            } else {
                let img = display::render_frame(&frame, &params).map_err(|e| fail(&e))?;
                let rgb: Vec<u8> = img
                    .data
                    .chunks_exact(4)
                    .flat_map(|p| [p[0], p[1], p[2]])
                    .collect();
                encode_png(img.width, img.height, png::ColorType::Rgb, &rgb)
                    .map_err(|e| fail(&e))?
            }
        }
    };
    write_file(&args.out, &bytes).map_err(|e| {
        format!(
            "{}: cannot write {}: {e}",
            args.file.display(),
            args.out.display()
        )
    })
}

fn encode_png(
    width: u32,
    height: u32,
    color: png::ColorType,
    data: &[u8],
) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(color);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder
        .write_header()
        .map_err(|e| format!("cannot encode PNG: {e}"))?;
    writer
        .write_image_data(data)
        .map_err(|e| format!("cannot encode PNG: {e}"))?;
    writer
        .finish()
        .map_err(|e| format!("cannot encode PNG: {e}"))?;
    Ok(out)
}

fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = fs::File::create(path)?;
    f.write_all(bytes)?;
    f.flush()
}
