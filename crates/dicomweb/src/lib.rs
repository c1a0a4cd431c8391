//! DICOMweb (PS3.18) for Lumen: QIDO-RS search, WADO-RS retrieve and STOW-RS store over one [`Transport`]
//! abstraction, with `multipart/related` bodies and DICOM JSON (PS3.18 Annex F).
//!
//! This crate speaks HTTP through a transport chosen by feature (`native`: reqwest; `browser`: `fetch`); it must not
//! know about folders, stores or the UI, and it never decodes pixel data.

pub mod multipart;
