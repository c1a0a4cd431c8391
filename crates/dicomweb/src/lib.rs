//! DICOMweb (PS3.18) for Lumen: QIDO-RS search, WADO-RS retrieve and STOW-RS store over one [`Transport`]
//! abstraction, with `multipart/related` bodies ([`multipart`]) and DICOM JSON ([`json`], PS3.18 Annex F).
//!
//! Pick a transport by feature: `native` gives [`ReqwestTransport`](transport::ReqwestTransport), `browser` gives
//! [`FetchTransport`](transport::FetchTransport) (page or worker `fetch`). This crate speaks HTTP only: it must not
//! know about folders, stores or the UI, and it never decodes pixel data.
//!
//! ```no_run
//! # #[cfg(feature = "native")]
//! # async fn demo() -> Result<(), lumen_dicomweb::Error> {
//! use lumen_dicomweb::{Client, QidoQuery, transport::ReqwestTransport, json};
//! use dicom_dictionary_std::tags;
//! let client = Client::new(ReqwestTransport::new(), "http://127.0.0.1:8042/dicom-web");
//! for study in client.search_studies(&QidoQuery::new().patient_name("DEMO*")).await? {
//!     println!("{:?}", json::person_name(&study, tags::PATIENT_NAME));
//! }
//! # Ok(()) }
//! ```

mod client;
mod error;
pub mod json;
pub mod multipart;
mod qido;
pub mod transport;

pub use client::{
    frame_media_type, Client, FailedInstance, FrameData, FramePrefix, StoreResponse,
    StoredInstance, TransferSyntaxRequest, EXPLICIT_VR_LITTLE_ENDIAN,
};
pub use error::{Error, Result};
pub use qido::{encode_query_value, QidoQuery};
pub use transport::{
    HttpRequest, HttpResponse, Method, StreamingTransport, Transport, TransportError,
};
