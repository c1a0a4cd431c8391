//! # lumen-phantom — deterministic demo studies
//!
//! Generates the studies Lumen's demo shows, from analytic models rather than noise, identically on every run
//! and platform (no clock, no OS randomness, no downloads; pseudo-randomness only from fixed seeds):
//!
//! | study folder | patient | content |
//! |---|---|---|
//! | `ct-chest` | `DEMO^CHEST CT` | chest CT phantom ([`ChestPhantom`]): 220 axial 512×512 slices of 1.25 mm, signed 16-bit, `stored = HU + 1024` (Rescale Intercept −1024), lung/mediastinum windows, 4 nodules of known size and position, ground-truth labels ([`ct_label_volume`]) |
//! | `dx-chest` | `DEMO^RADIOGRAPH` | PA chest radiograph projected from the same phantom, 2000×1800, 12 bits in 16, MONOCHROME2, plus the same image as MONOCHROME1 |
//! | `mr-brain` | `DEMO^Zoë Ångström=デモ^ゾーイ` (Specific Character Set `ISO_IR 192`) | 24 axial T1-weighted 256×256 brain slices, unsigned 12-bit, three window presets |
//! | `us-cine` | `DEMO^ULTRASOUND` | 40-frame 640×480 RGB B-mode cine of a pulsating vessel with a colour Doppler box in the second half, 30 frames/s |
//!
//! ## Transfer syntaxes
//! Every file is a DICOM Part 10 file written with dicom-object's in-memory API and `FileMetaTableBuilder`.
//! - `ct-chest/01-axial-1.25mm-explicit-le`: all slices, Explicit VR Little Endian (the main series).
//! - `ct-chest/02…05-axial-5mm-*`: every 4th slice of the same acquisition (same Frame of Reference, same
//!   anatomy and noise) in Implicit VR Little Endian, Explicit VR Big Endian, Deflated Explicit VR Little Endian
//!   and RLE Lossless (PS3.5 Annex G, encoded by [`rle`]).
//! - `us-cine`: Explicit VR Little Endian and RLE Lossless (3 segments per frame, one fragment per frame, Basic
//!   Offset Table filled).
//! - `dx-chest`, `mr-brain`: Explicit VR Little Endian.
//!
//! ## Layout and identifiers
//! Files go to `<dir>/<study>/<series>/<instance number, 4 digits>.dcm`. UIDs are `2.25.<integer>` derived from
//! stable names ([`demo_uid`]), so a regenerated demo has the same UIDs and the same bytes. [`write_demo`] returns
//! a [`DemoManifest`] listing every file with its UIDs and transfer syntax, and the nodules' positions.
//!
//! ## API
//! - Whole demo: [`write_demo`] (folder) or [`demo_in_memory`] (bytes, also on wasm32), options [`DemoOptions`].
//! - One study: [`write_ct_study`], [`write_dx_study`], [`write_mr_study`], [`write_us_study`].
//! - Pixels without DICOM: [`ChestPhantom::sample`] (HU and [`Label`] at any point), [`ct_slice`],
//!   [`ct_label_slice`], [`ct_label_volume`], [`dx_image`], [`mr_slice`], [`us_frame`]; the RLE encoder in [`rle`].
//!
//! ## Example
//! ```no_run
//! let manifest = lumen_phantom::write_demo(std::path::Path::new("demo"), &lumen_phantom::DemoOptions::small())?;
//! println!("{} files", manifest.instance_count());
//! # Ok::<(), lumen_phantom::Error>(())
//! ```
//!
//! This crate depends on dicom-rs alone and must not do I/O beyond writing the demo folder.

pub mod chest;
pub mod ct;
mod dataset;
pub mod dx;
mod geom;
mod hash;
pub mod mr;
mod par;
pub mod rle;
pub mod us;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use dicom_dictionary_std::uids;
use dicom_object::InMemDicomObject;
use snafu::{ResultExt, Snafu};

pub use chest::{ChestPhantom, Label, Nodule, SliceContext, Voxel};
pub use ct::{
    ct_label_at, ct_label_slice, ct_label_volume, ct_slice, CtGeometry, CtSlice, CT_HU_OFFSET,
    CT_NOISE_HU,
};
pub use dataset::{to_part10_bytes, TransferSyntax};
pub use dx::{dx_image, to_monochrome1, DxGeometry};
pub use geom::Vec3;
pub use hash::uid as demo_uid;
pub use mr::{mr_slice, t1_signal, MrGeometry};
pub use us::{us_frame, UsGeometry};

use dataset::{base_object, put_pixel_data, PatientInfo, PixelFormat, SeriesInfo, StudyInfo};

/// Why the demo could not be written.
#[derive(Debug, Snafu)]
#[snafu(visibility(pub(crate)))]
pub enum Error {
    /// A folder of the demo tree could not be created.
    #[snafu(display("cannot create folder {}: {source}", path.display()))]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The File Meta Information could not be built (a UID or the transfer syntax is unusable).
    #[snafu(display("cannot build the file meta group of {}: {source}", path.display()))]
    BuildMeta {
        path: PathBuf,
        #[snafu(source(from(dicom_object::WithMetaError, Box::new)))]
        source: Box<dicom_object::WithMetaError>,
    },
    /// Writing a DICOM file failed (disk full, permissions, or an encoding problem).
    #[snafu(display("cannot write DICOM file {}: {source}", path.display()))]
    WriteFile {
        path: PathBuf,
        #[snafu(source(from(dicom_object::WriteError, Box::new)))]
        source: Box<dicom_object::WriteError>,
    },
    /// A frame could not be RLE encoded.
    #[snafu(display("cannot RLE-encode a frame: {source}"))]
    EncodeRle { source: rle::RleError },
    /// The options ask for something that cannot be made.
    #[snafu(display("invalid demo options: {reason}"))]
    InvalidOptions { reason: String },
}

/// What to generate. [`DemoOptions::default`] is the full demo; [`DemoOptions::small`] a quick one for tests.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoOptions {
    /// The chest CT grid (main series).
    pub ct: CtGeometry,
    /// Every `ct_subset_stride`-th slice goes into each additional transfer-syntax series (≥ 1).
    pub ct_subset_stride: u32,
    /// The radiograph's detector.
    pub dx: DxGeometry,
    /// The MR stack.
    pub mr: MrGeometry,
    /// The ultrasound cine.
    pub us: UsGeometry,
    /// Worker threads (0 = one per available core; always 1 on wasm32).
    pub threads: usize,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            ct: CtGeometry::default(),
            ct_subset_stride: 4,
            dx: DxGeometry::default(),
            mr: MrGeometry::default(),
            us: UsGeometry::default(),
            threads: 0,
        }
    }
}

impl DemoOptions {
    /// A small demo (well under a second to write): 96×96×22 CT (12.5 mm slices), 400×360 radiograph, 64×64×6 MR, 160×120×32 cine.
    pub fn small() -> Self {
        DemoOptions {
            ct: CtGeometry::covering(96, 22),
            ct_subset_stride: 4,
            dx: DxGeometry {
                rows: 400,
                columns: 360,
                pixel_spacing: 1.1,
                projection_step_mm: 3.0,
            },
            mr: MrGeometry {
                size: 64,
                slices: 6,
                pixel_spacing: 3.75,
                slice_thickness: 5.0,
                slice_spacing: 24.0,
            },
            us: UsGeometry {
                width: 160,
                height: 120,
                frames: 32,
                frame_time_ms: 100.0 / 3.0,
            },
            threads: 0,
        }
    }

    fn validate(&self) -> Result<(), Error> {
        let bad = |reason: &str| {
            InvalidOptionsSnafu {
                reason: reason.to_string(),
            }
            .fail()
        };
        if self.ct.columns < 8 || self.ct.rows < 8 || self.ct.slices < 2 {
            return bad("the CT needs at least 8×8 pixels and 2 slices");
        }
        if !(positive(self.ct.pixel_spacing) && positive(self.ct.slice_spacing)) {
            return bad("CT spacings must be positive");
        }
        if self.ct_subset_stride == 0 {
            return bad("ct_subset_stride must be at least 1");
        }
        if self.dx.rows < 8
            || self.dx.columns < 8
            || !positive(self.dx.pixel_spacing)
            || !positive(self.dx.projection_step_mm)
        {
            return bad("the radiograph needs at least 8×8 pixels, a positive pixel spacing and projection step");
        }
        if self.mr.size < 8 || self.mr.slices < 1 || !positive(self.mr.pixel_spacing) {
            return bad("the MR needs at least 8×8 pixels, one slice and a positive pixel spacing");
        }
        if self.us.width < 8
            || self.us.height < 8
            || self.us.frames < 1
            || !positive(self.us.frame_time_ms)
        {
            return bad("the cine needs at least 8×8 pixels, one frame and a positive frame time");
        }
        Ok(())
    }
}

/// A finite number above zero (spacings, times).
fn positive(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

/// One generated file: its path relative to the demo folder and its Part 10 bytes.
pub type DemoFile = (PathBuf, Vec<u8>);

/// Everything [`write_demo`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoManifest {
    /// The folder given to [`write_demo`] (empty for [`demo_in_memory`]); instance paths are relative to it.
    pub root: PathBuf,
    pub studies: Vec<StudyEntry>,
    /// The CT nodules, with their position in the main CT series.
    pub nodules: Vec<NoduleEntry>,
}

impl DemoManifest {
    /// Total number of files.
    pub fn instance_count(&self) -> usize {
        self.studies
            .iter()
            .flat_map(|s| &s.series)
            .map(|s| s.instances.len())
            .sum()
    }

    /// Every series of every study.
    pub fn all_series(&self) -> impl Iterator<Item = (&StudyEntry, &SeriesEntry)> {
        self.studies
            .iter()
            .flat_map(|st| st.series.iter().map(move |se| (st, se)))
    }
}

/// One study of the demo.
#[derive(Debug, Clone, PartialEq)]
pub struct StudyEntry {
    /// Folder name under the root (`ct-chest`, …).
    pub folder: String,
    /// _Patient's Name_ (0010,0010).
    pub patient_name: String,
    /// _Patient ID_ (0010,0020).
    pub patient_id: String,
    /// _Study Instance UID_ (0020,000D).
    pub study_instance_uid: String,
    /// _Accession Number_ (0008,0050).
    pub accession_number: String,
    /// _Study Description_ (0008,1030).
    pub description: String,
    pub series: Vec<SeriesEntry>,
}

/// One series of the demo.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesEntry {
    /// Folder name under the study folder.
    pub folder: String,
    /// _Series Instance UID_ (0020,000E).
    pub series_instance_uid: String,
    /// _Series Number_ (0020,0011).
    pub series_number: u32,
    /// _Modality_ (0008,0060).
    pub modality: String,
    /// _Series Description_ (0008,103E).
    pub description: String,
    /// _SOP Class UID_ (0008,0016) of every instance.
    pub sop_class_uid: String,
    /// Transfer syntax of every file of the series.
    pub transfer_syntax: TransferSyntax,
    /// _Rows_, _Columns_, _Number of Frames_ per instance (1 for single-frame), samples per pixel, bits allocated.
    pub rows: u16,
    pub columns: u16,
    pub frames_per_instance: u32,
    pub samples_per_pixel: u16,
    pub bits_allocated: u16,
    pub instances: Vec<InstanceEntry>,
}

impl SeriesEntry {
    /// Bytes of decoded pixel data in the whole series.
    pub fn decoded_bytes(&self) -> u64 {
        u64::from(self.rows)
            * u64::from(self.columns)
            * u64::from(self.samples_per_pixel)
            * u64::from(self.bits_allocated / 8)
            * u64::from(self.frames_per_instance)
            * self.instances.len() as u64
    }
}

/// One file of the demo.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceEntry {
    /// Path relative to [`DemoManifest::root`].
    pub path: PathBuf,
    /// _SOP Instance UID_ (0008,0018).
    pub sop_instance_uid: String,
    /// _Instance Number_ (0020,0013).
    pub instance_number: u32,
}

/// A nodule of the CT phantom, located in the main CT series.
#[derive(Debug, Clone, PartialEq)]
pub struct NoduleEntry {
    pub location: String,
    pub diameter_mm: f64,
    /// CT number inside (HU).
    pub hu: f64,
    /// Centre in patient coordinates (mm).
    pub centre_mm: Vec3,
    /// Fractional (slice index from 0, row, column) of the centre in the main CT series.
    pub voxel: [f64; 3],
    /// _Series Instance UID_ of the main CT series.
    pub series_instance_uid: String,
}

/// Where generated files go: a folder on disk, or memory.
trait Sink: Sync {
    fn put(&self, relative: &Path, obj: InMemDicomObject, ts: TransferSyntax) -> Result<(), Error>;
    fn make_dir(&self, relative: &Path) -> Result<(), Error>;
}

struct FolderSink<'a> {
    root: &'a Path,
}

impl Sink for FolderSink<'_> {
    fn put(&self, relative: &Path, obj: InMemDicomObject, ts: TransferSyntax) -> Result<(), Error> {
        dataset::write_part10(obj, ts, &self.root.join(relative))
    }
    fn make_dir(&self, relative: &Path) -> Result<(), Error> {
        let path = self.root.join(relative);
        std::fs::create_dir_all(&path).context(CreateDirSnafu { path })
    }
}

struct MemorySink {
    files: Mutex<Vec<(PathBuf, Vec<u8>)>>,
}

impl Sink for MemorySink {
    fn put(&self, relative: &Path, obj: InMemDicomObject, ts: TransferSyntax) -> Result<(), Error> {
        let bytes = to_part10_bytes(obj, ts)?;
        if let Ok(mut files) = self.files.lock() {
            files.push((relative.to_path_buf(), bytes));
        }
        Ok(())
    }
    fn make_dir(&self, _relative: &Path) -> Result<(), Error> {
        Ok(())
    }
}

/// Write the whole demo into `dir` (created if missing) and return what was written.
pub fn write_demo(dir: &Path, opts: &DemoOptions) -> Result<DemoManifest, Error> {
    std::fs::create_dir_all(dir).context(CreateDirSnafu { path: dir })?;
    let mut manifest = generate(&FolderSink { root: dir }, opts)?;
    manifest.root = dir.to_path_buf();
    Ok(manifest)
}

/// Generate the whole demo in memory: the manifest and every file's relative path and Part 10 bytes, sorted by
/// path. For the browser (no file system) and for tests.
pub fn demo_in_memory(opts: &DemoOptions) -> Result<(DemoManifest, Vec<DemoFile>), Error> {
    let sink = MemorySink {
        files: Mutex::new(Vec::new()),
    };
    let manifest = generate(&sink, opts)?;
    let mut files = sink.files.into_inner().unwrap_or_else(|p| p.into_inner());
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok((manifest, files))
}

/// Write only the chest CT study into `dir` (all five series) and return it with the nodules' positions. Paths
/// in the entry are relative to `dir`.
pub fn write_ct_study(
    dir: &Path,
    opts: &DemoOptions,
) -> Result<(StudyEntry, Vec<NoduleEntry>), Error> {
    opts.validate()?;
    ct_study(&FolderSink { root: dir }, opts, &ChestPhantom::new())
}

/// Write only the chest radiograph study (MONOCHROME2 and MONOCHROME1 series) into `dir`.
pub fn write_dx_study(dir: &Path, opts: &DemoOptions) -> Result<StudyEntry, Error> {
    opts.validate()?;
    dx_study(&FolderSink { root: dir }, opts, &ChestPhantom::new())
}

/// Write only the MR brain study into `dir`.
pub fn write_mr_study(dir: &Path, opts: &DemoOptions) -> Result<StudyEntry, Error> {
    opts.validate()?;
    mr_study(&FolderSink { root: dir }, opts)
}

/// Write only the ultrasound cine study (Explicit VR Little Endian and RLE Lossless series) into `dir`.
pub fn write_us_study(dir: &Path, opts: &DemoOptions) -> Result<StudyEntry, Error> {
    opts.validate()?;
    us_study(&FolderSink { root: dir }, opts)
}

fn generate(sink: &dyn Sink, opts: &DemoOptions) -> Result<DemoManifest, Error> {
    opts.validate()?;
    let phantom = ChestPhantom::new();
    let (ct, nodules) = ct_study(sink, opts, &phantom)?;
    let dx = dx_study(sink, opts, &phantom)?;
    let mr = mr_study(sink, opts)?;
    let us = us_study(sink, opts)?;
    Ok(DemoManifest {
        root: PathBuf::new(),
        studies: vec![ct, dx, mr, us],
        nodules,
    })
}

fn study_entry(folder: &str, patient: &PatientInfo, study: &StudyInfo) -> StudyEntry {
    StudyEntry {
        folder: folder.into(),
        patient_name: patient.name.clone(),
        patient_id: patient.id.clone(),
        study_instance_uid: study.uid.clone(),
        accession_number: study.accession.clone(),
        description: study.description.clone(),
        series: Vec::new(),
    }
}

fn series_info(
    key: &str,
    number: u32,
    description: String,
    modality: &'static str,
    body_part: &'static str,
) -> SeriesInfo {
    SeriesInfo {
        uid: demo_uid(&format!("lumen-demo/{key}/series/{number}")),
        number,
        description,
        modality,
        body_part,
    }
}

#[allow(clippy::too_many_arguments)]
fn series_entry(
    folder: String,
    info: &SeriesInfo,
    sop_class_uid: &str,
    ts: TransferSyntax,
    fmt: PixelFormat,
    frames_per_instance: u32,
    instances: Vec<InstanceEntry>,
) -> SeriesEntry {
    SeriesEntry {
        folder,
        series_instance_uid: info.uid.clone(),
        series_number: info.number,
        modality: info.modality.into(),
        description: info.description.clone(),
        sop_class_uid: sop_class_uid.into(),
        transfer_syntax: ts,
        rows: fmt.rows,
        columns: fmt.columns,
        frames_per_instance,
        samples_per_pixel: fmt.samples_per_pixel,
        bits_allocated: fmt.bits_allocated,
        instances,
    }
}

fn instance_path(study: &str, series: &str, number: u32) -> PathBuf {
    Path::new(study)
        .join(series)
        .join(format!("{number:04}.dcm"))
}

/// The chest CT study: main series plus one subset series per other transfer syntax.
fn ct_study(
    sink: &dyn Sink,
    opts: &DemoOptions,
    phantom: &ChestPhantom,
) -> Result<(StudyEntry, Vec<NoduleEntry>), Error> {
    let g = opts.ct;
    let patient = PatientInfo {
        name: "DEMO^CHEST CT".into(),
        id: "LUMEN-CT-0001".into(),
        birth_date: "19580412",
        sex: "M",
    };
    let study = StudyInfo {
        uid: demo_uid("lumen-demo/ct/study"),
        date: "20240315",
        time: "093012",
        accession: "LUMDEMO0001".into(),
        description: "CT CHEST WITH CONTRAST".into(),
        id: "1",
    };
    let folder = "ct-chest";
    let for_uid = demo_uid("lumen-demo/ct/frame-of-reference");
    let mut plans = Vec::new();
    for (i, ts) in TransferSyntax::ALL.into_iter().enumerate() {
        let number = i as u32 + 1;
        let main = i == 0;
        let spacing = if main {
            g.slice_spacing
        } else {
            g.slice_spacing * f64::from(opts.ct_subset_stride)
        };
        let description = if main {
            format!("Chest {} mm ({})", dataset::ds(g.slice_spacing), ts.name())
        } else {
            format!("Chest {} mm subset ({})", dataset::ds(spacing), ts.name())
        };
        let series_folder = format!("{number:02}-axial-{}mm-{}", dataset::ds(spacing), ts.slug());
        let info = series_info("ct", number, description, "CT", "CHEST");
        sink.make_dir(&Path::new(folder).join(&series_folder))?;
        plans.push((ts, info, series_folder, spacing, main));
    }
    let fmt = PixelFormat {
        rows: g.rows,
        columns: g.columns,
        samples_per_pixel: 1,
        bits_allocated: 16,
        bits_stored: 16,
        pixel_representation: 1,
        photometric: "MONOCHROME2",
    };
    let stride = opts.ct_subset_stride;
    let written = par::map(g.slices as usize, opts.threads, |k| {
        let k = k as u32;
        let slice = ct_slice(phantom, &g, k);
        let frame = vec![slice.stored_le_bytes()];
        let mut entries = Vec::new();
        for (s, (ts, info, series_folder, spacing, main)) in plans.iter().enumerate() {
            if !*main && k.checked_rem(stride) != Some(0) {
                continue;
            }
            let number = if *main { k + 1 } else { k / stride + 1 };
            let sop_uid = demo_uid(&format!(
                "lumen-demo/ct/series/{}/instance/{number}",
                info.number
            ));
            let mut obj = base_object(
                None,
                uids::CT_IMAGE_STORAGE,
                &sop_uid,
                &patient,
                &study,
                info,
                number,
            );
            ct::put_ct_attributes(&mut obj, &g, k, &for_uid, *spacing);
            put_pixel_data(&mut obj, fmt, &frame, *ts)?;
            let path = instance_path(folder, series_folder, number);
            sink.put(&path, obj, *ts)?;
            entries.push((
                s,
                InstanceEntry {
                    path,
                    sop_instance_uid: sop_uid,
                    instance_number: number,
                },
            ));
        }
        Ok::<_, Error>(entries)
    })?;
    let mut entry = study_entry(folder, &patient, &study);
    for (s, (ts, info, series_folder, _, _)) in plans.iter().enumerate() {
        let instances: Vec<InstanceEntry> = written
            .iter()
            .flatten()
            .filter(|(i, _)| *i == s)
            .map(|(_, e)| e.clone())
            .collect();
        entry.series.push(series_entry(
            series_folder.clone(),
            info,
            uids::CT_IMAGE_STORAGE,
            *ts,
            fmt,
            1,
            instances,
        ));
    }
    let main_uid = entry
        .series
        .first()
        .map(|s| s.series_instance_uid.clone())
        .unwrap_or_default();
    let nodules = phantom
        .nodules()
        .iter()
        .map(|n| NoduleEntry {
            location: n.location.into(),
            diameter_mm: n.diameter_mm,
            hu: n.hu,
            centre_mm: n.centre,
            voxel: g.index_of(n.centre),
            series_instance_uid: main_uid.clone(),
        })
        .collect();
    Ok((entry, nodules))
}

/// The chest radiograph study: the PA view as MONOCHROME2 and as MONOCHROME1.
fn dx_study(
    sink: &dyn Sink,
    opts: &DemoOptions,
    phantom: &ChestPhantom,
) -> Result<StudyEntry, Error> {
    let g = opts.dx;
    let patient = PatientInfo {
        name: "DEMO^RADIOGRAPH".into(),
        id: "LUMEN-DX-0001".into(),
        birth_date: "19720830",
        sex: "F",
    };
    let study = StudyInfo {
        uid: demo_uid("lumen-demo/dx/study"),
        date: "20240316",
        time: "141503",
        accession: "LUMDEMO0002".into(),
        description: "XR CHEST PA".into(),
        id: "2",
    };
    let folder = "dx-chest";
    let image = dx::dx_image_with_threads(phantom, &g, opts.threads);
    let windows = dx::dx_windows(&image);
    let fmt2 = PixelFormat {
        rows: g.rows,
        columns: g.columns,
        samples_per_pixel: 1,
        bits_allocated: 16,
        bits_stored: 12,
        pixel_representation: 0,
        photometric: "MONOCHROME2",
    };
    let mut entry = study_entry(folder, &patient, &study);
    for (number, mono1) in [(1u32, false), (2u32, true)] {
        let label = if mono1 { "MONOCHROME1" } else { "MONOCHROME2" };
        let info = series_info("dx", number, format!("Chest PA ({label})"), "DX", "CHEST");
        let series_folder = format!("{number:02}-pa-{}", label.to_lowercase());
        sink.make_dir(&Path::new(folder).join(&series_folder))?;
        let sop_uid = demo_uid(&format!("lumen-demo/dx/series/{number}/instance/1"));
        let mut obj = base_object(
            None,
            uids::DIGITAL_X_RAY_IMAGE_STORAGE_FOR_PRESENTATION,
            &sop_uid,
            &patient,
            &study,
            &info,
            1,
        );
        dx::put_dx_attributes(&mut obj, &g, windows, mono1);
        let values = if mono1 {
            to_monochrome1(&image)
        } else {
            image.clone()
        };
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let fmt = PixelFormat {
            photometric: if mono1 { "MONOCHROME1" } else { "MONOCHROME2" },
            ..fmt2
        };
        let ts = TransferSyntax::ExplicitVrLittleEndian;
        put_pixel_data(&mut obj, fmt, &[bytes], ts)?;
        let path = instance_path(folder, &series_folder, 1);
        sink.put(&path, obj, ts)?;
        let inst = InstanceEntry {
            path,
            sop_instance_uid: sop_uid,
            instance_number: 1,
        };
        entry.series.push(series_entry(
            series_folder,
            &info,
            uids::DIGITAL_X_RAY_IMAGE_STORAGE_FOR_PRESENTATION,
            ts,
            fmt,
            1,
            vec![inst],
        ));
    }
    Ok(entry)
}

/// The MR brain study, with a non-ASCII patient name in UTF-8 (ISO_IR 192).
fn mr_study(sink: &dyn Sink, opts: &DemoOptions) -> Result<StudyEntry, Error> {
    let g = opts.mr;
    let patient = PatientInfo {
        name: "DEMO^Zoë Ångström=デモ^ゾーイ".into(),
        id: "LUMEN-MR-0001".into(),
        birth_date: "19890221",
        sex: "F",
    };
    let study = StudyInfo {
        uid: demo_uid("lumen-demo/mr/study"),
        date: "20240317",
        time: "080045",
        accession: "LUMDEMO0003".into(),
        description: "IRM cérébrale / MR brain".into(),
        id: "3",
    };
    let folder = "mr-brain";
    let for_uid = demo_uid("lumen-demo/mr/frame-of-reference");
    let info = series_info("mr", 1, "Axial T1 SE (coupe axiale)".into(), "MR", "HEAD");
    let series_folder = "01-axial-t1-explicit-le".to_string();
    sink.make_dir(&Path::new(folder).join(&series_folder))?;
    let fmt = PixelFormat {
        rows: g.size,
        columns: g.size,
        samples_per_pixel: 1,
        bits_allocated: 16,
        bits_stored: 12,
        pixel_representation: 0,
        photometric: "MONOCHROME2",
    };
    let ts = TransferSyntax::ExplicitVrLittleEndian;
    let instances = par::map(g.slices as usize, opts.threads, |k| {
        let k = k as u32;
        let number = k + 1;
        let sop_uid = demo_uid(&format!("lumen-demo/mr/series/1/instance/{number}"));
        let mut obj = base_object(
            Some("ISO_IR 192"),
            uids::MR_IMAGE_STORAGE,
            &sop_uid,
            &patient,
            &study,
            &info,
            number,
        );
        mr::put_mr_attributes(&mut obj, &g, k, &for_uid);
        let bytes: Vec<u8> = mr_slice(&g, k)
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        put_pixel_data(&mut obj, fmt, &[bytes], ts)?;
        let path = instance_path(folder, &series_folder, number);
        sink.put(&path, obj, ts)?;
        Ok::<_, Error>(InstanceEntry {
            path,
            sop_instance_uid: sop_uid,
            instance_number: number,
        })
    })?;
    let mut entry = study_entry(folder, &patient, &study);
    entry.series.push(series_entry(
        series_folder,
        &info,
        uids::MR_IMAGE_STORAGE,
        ts,
        fmt,
        1,
        instances,
    ));
    Ok(entry)
}

/// The ultrasound cine study: the same loop in Explicit VR Little Endian and RLE Lossless.
fn us_study(sink: &dyn Sink, opts: &DemoOptions) -> Result<StudyEntry, Error> {
    let g = opts.us;
    let patient = PatientInfo {
        name: "DEMO^ULTRASOUND".into(),
        id: "LUMEN-US-0001".into(),
        birth_date: "19660105",
        sex: "M",
    };
    let study = StudyInfo {
        uid: demo_uid("lumen-demo/us/study"),
        date: "20240318",
        time: "103300",
        accession: "LUMDEMO0004".into(),
        description: "US VASCULAR NECK".into(),
        id: "4",
    };
    let folder = "us-cine";
    let frames = par::map(g.frames as usize, opts.threads, |f| {
        Ok::<_, Error>(us_frame(&g, f as u32))
    })?;
    let fmt = PixelFormat {
        rows: g.height,
        columns: g.width,
        samples_per_pixel: 3,
        bits_allocated: 8,
        bits_stored: 8,
        pixel_representation: 0,
        photometric: "RGB",
    };
    let mut entry = study_entry(folder, &patient, &study);
    for (number, ts) in [
        (1u32, TransferSyntax::ExplicitVrLittleEndian),
        (2u32, TransferSyntax::RleLossless),
    ] {
        let info = series_info(
            "us",
            number,
            format!("Neck vessel cine ({})", ts.name()),
            "US",
            "NECK",
        );
        let series_folder = format!("{number:02}-cine-{}", ts.slug());
        sink.make_dir(&Path::new(folder).join(&series_folder))?;
        let sop_uid = demo_uid(&format!("lumen-demo/us/series/{number}/instance/1"));
        let mut obj = base_object(
            None,
            uids::ULTRASOUND_MULTI_FRAME_IMAGE_STORAGE,
            &sop_uid,
            &patient,
            &study,
            &info,
            1,
        );
        us::put_us_attributes(&mut obj, &g);
        put_pixel_data(&mut obj, fmt, &frames, ts)?;
        let path = instance_path(folder, &series_folder, 1);
        sink.put(&path, obj, ts)?;
        let inst = InstanceEntry {
            path,
            sop_instance_uid: sop_uid,
            instance_number: 1,
        };
        entry.series.push(series_entry(
            series_folder,
            &info,
            uids::ULTRASOUND_MULTI_FRAME_IMAGE_STORAGE,
            ts,
            fmt,
            g.frames,
            vec![inst],
        ));
    }
    Ok(entry)
}
