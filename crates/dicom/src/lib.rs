//! # lumen-dicom — the DICOM core of Lumen
//!
//! Parses DICOM Part 10 data ([`DicomFile`]), decodes pixel data of any supported transfer syntax to typed
//! frames of stored values ([`Frame`]), renders frames for display exactly as PS3.3 C.11 prescribes
//! ([`display`]: Modality LUT → VOI LUT → presentation, and the colour photometric interpretations), and works
//! out patient geometry ([`geometry`]: planes, volume sorting, orientation labels).
//!
//! It builds for `wasm32-unknown-unknown` as well as native targets. It must not do I/O beyond reading the one
//! file path it is given, and it knows nothing about HTTP, folders of studies or the user interface.
//!
//! ```no_run
//! use lumen_dicom::{display, DicomFile};
//! let file = DicomFile::open("image.dcm")?;
//! let frame = file.decode_frame(0)?;
//! let params = display::DisplayParams::from_file(&file, &frame)?;
//! let image = display::render_frame(&frame, &params)?;
//! assert_eq!(image.data.len(), image.width as usize * image.height as usize * 4);
//! # Ok::<(), lumen_dicom::Error>(())
//! ```

pub mod attr;
pub mod decode;
pub mod display;
pub mod error;
pub mod file;
pub mod geometry;
pub mod image;
pub mod transfer_syntax;

pub use dicom_object::InMemDicomObject;
pub use error::{Error, Result};
pub use file::DicomFile;
pub use image::{
    Frame, ImageInfo, PhotometricInterpretation, PixelDataKind, PixelRepresentation,
    PlanarConfiguration, Samples,
};
