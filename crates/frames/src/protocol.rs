//! The messages between the UI thread and the decode workers (the same wasm module loaded in Web Workers). All
//! types are serde-serialisable (`serde-wasm-bindgen` or JSON on the wire). Pixel buffers never travel inside a
//! message: a [`DecodeResponse`] carries the metadata and a [`BufferLayout`] list, and the buffers themselves are
//! posted alongside as transferable `ArrayBuffer`s in the same order ([`DecodedFrame::into_response`] splits a
//! frame that way, [`DecodedFrame::from_response`] checks and joins them again). Local files reach every worker
//! once, as `File` handles (a structured clone of a Blob: no bytes copied) in a message the web app's glue sends
//! beside this protocol; [`FrameSource::Bytes`] names them by id. This module must not fetch or touch
//! JavaScript objects: the glue in the web app does that and calls [`decode_fetched`] with the bytes.

use crate::decode::{decode_for_display, decode_wado_frame, transfer_syntax_for_media_type};
use crate::error::*;
use crate::frame::{
    DecodedFrame, FrameKey, FrameMeta, ModalityMapping, ModalityParts, ModalityValues, PixelFormat,
    Pixels, StoredSampleType, StoredSamples,
};
use lumen_dicomweb::TransferSyntaxRequest;
use serde::{Deserialize, Serialize};
use snafu::prelude::*;

/// Identifies a request; unique per worker pool.
pub type RequestId = u64;

/// UI thread → worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WorkerMessage {
    /// Fetch (if needed) and decode one frame.
    Decode(DecodeRequest),
    /// Drop request `id` if it has not finished (a late answer may still arrive; the UI ignores it).
    Cancel { id: RequestId },
}

/// Decode frame `key` from `source`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecodeRequest {
    /// Echoed in the response.
    pub id: RequestId,
    /// The frame asked for.
    pub key: FrameKey,
    /// Where its bytes come from.
    pub source: FrameSource,
}

/// Where a worker gets a frame's bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FrameSource {
    /// WADO-RS frame retrieval, `{base_url}/studies/{study}/series/{series}/instances/{instance}/frames/{n}`,
    /// decoded with the instance's metadata.
    WadoFrame {
        /// The DICOMweb root, e.g. `https://pacs.example/dicom-web`.
        base_url: String,
        /// Study Instance UID (0020,000D).
        study_instance_uid: String,
        /// Series Instance UID (0020,000E).
        series_instance_uid: String,
        /// SOP Instance UID (0008,0018).
        sop_instance_uid: String,
        /// 1-based frame number.
        frame_number: u32,
        /// Transfer syntax UIDs to accept, in order of preference; empty = the server's default (uncompressed).
        /// `"*"` alone = whatever the server holds.
        transfer_syntax_accept: Vec<String>,
        /// The instance's DICOM JSON (from WADO-RS metadata), as text.
        instance_metadata: String,
    },
    /// WADO-RS instance retrieval (Part 10), when frames cannot be fetched alone.
    WadoInstance {
        /// The DICOMweb root.
        base_url: String,
        /// Study Instance UID (0020,000D).
        study_instance_uid: String,
        /// Series Instance UID (0020,000E).
        series_instance_uid: String,
        /// SOP Instance UID (0008,0018).
        sop_instance_uid: String,
        /// 1-based frame number to decode.
        frame_number: u32,
        /// As for [`FrameSource::WadoFrame`].
        transfer_syntax_accept: Vec<String>,
    },
    /// A file from the reader's disk, handed to the workers earlier (see the module documentation).
    Bytes {
        /// The id the file was handed over with.
        file_id: String,
        /// 1-based frame number.
        frame_number: u32,
    },
}

impl FrameSource {
    /// The 1-based frame number asked for.
    pub fn frame_number(&self) -> u32 {
        match self {
            FrameSource::WadoFrame { frame_number, .. }
            | FrameSource::WadoInstance { frame_number, .. }
            | FrameSource::Bytes { frame_number, .. } => *frame_number,
        }
    }

    /// The `transfer-syntax` request for `lumen_dicomweb::Client` (`None` for local files).
    pub fn transfer_syntax_request(&self) -> Option<TransferSyntaxRequest> {
        let accept = match self {
            FrameSource::WadoFrame {
                transfer_syntax_accept,
                ..
            }
            | FrameSource::WadoInstance {
                transfer_syntax_accept,
                ..
            } => transfer_syntax_accept,
            FrameSource::Bytes { .. } => return None,
        };
        Some(match accept.as_slice() {
            [] => TransferSyntaxRequest::Default,
            [any] if any == "*" => TransferSyntaxRequest::Any,
            list => TransferSyntaxRequest::OneOf(list.to_vec()),
        })
    }
}

/// The element type of a transferred buffer (the typed array to view it with).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BufferElement {
    /// `Float32Array`.
    F32,
    /// `Uint8Array`.
    U8,
    /// `Int32Array`.
    I32,
    /// `Int8Array` (stored samples of a compact monochrome frame).
    I8,
    /// `Uint16Array` (stored samples of a compact monochrome frame).
    U16,
    /// `Int16Array` (stored samples of a compact monochrome frame).
    I16,
}

/// What a transferred buffer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BufferRole {
    /// The display pixels: modality values (`F32`), the stored samples of a compact monochrome frame (`U8`, `I8`,
    /// `U16`, `I16`, with the linear Modality LUT in the metadata) or RGB8 (`U8`).
    Pixels,
    /// The stored values (`I32`), only with a Modality LUT table.
    StoredValues,
}

/// One buffer posted alongside a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BufferLayout {
    /// What it holds.
    pub role: BufferRole,
    /// Its element type.
    pub element: BufferElement,
    /// Number of elements.
    pub len: usize,
}

/// A pixel buffer on the Rust side of the boundary.
#[derive(Debug, Clone, PartialEq)]
pub enum PixelBuffer {
    /// `Float32Array` contents.
    F32(Vec<f32>),
    /// `Uint8Array` contents.
    U8(Vec<u8>),
    /// `Int32Array` contents.
    I32(Vec<i32>),
    /// `Int8Array` contents.
    I8(Vec<i8>),
    /// `Uint16Array` contents.
    U16(Vec<u16>),
    /// `Int16Array` contents.
    I16(Vec<i16>),
}

impl PixelBuffer {
    fn layout(&self, role: BufferRole) -> BufferLayout {
        let (element, len) = match self {
            PixelBuffer::F32(v) => (BufferElement::F32, v.len()),
            PixelBuffer::U8(v) => (BufferElement::U8, v.len()),
            PixelBuffer::I32(v) => (BufferElement::I32, v.len()),
            PixelBuffer::I8(v) => (BufferElement::I8, v.len()),
            PixelBuffer::U16(v) => (BufferElement::U16, v.len()),
            PixelBuffer::I16(v) => (BufferElement::I16, v.len()),
        };
        BufferLayout { role, element, len }
    }
}

/// Worker → UI thread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecodeResponse {
    /// The request's id.
    pub id: RequestId,
    /// The request's frame.
    pub key: FrameKey,
    /// What happened.
    pub result: DecodeOutcome,
}

/// The result of a decode request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DecodeOutcome {
    /// Decoded: the buffers described by `buffers` follow, in this order, as transferables.
    Decoded {
        meta: Box<FrameMeta>,
        buffers: Vec<BufferLayout>,
    },
    /// A reduced-resolution preview of the frame, decoded from its first bytes while the rest arrives (each pixel
    /// repeated to the full Rows × Columns): shown until the frame's [`Decoded`](Self::Decoded) answer, never kept
    /// as the frame. The buffers follow as for `Decoded`; the request goes on (more previews, then its answer).
    Preview {
        meta: Box<FrameMeta>,
        buffers: Vec<BufferLayout>,
        /// Resolution levels left out (each halves the detail).
        discarded_levels: u8,
    },
    /// Failed; `message` is shown on the frame's error placeholder.
    Failed { message: String },
    /// Dropped after a [`WorkerMessage::Cancel`].
    Cancelled,
}

impl DecodeResponse {
    /// A failure answer to request `id` for `key`.
    pub fn failed(id: RequestId, key: FrameKey, message: impl Into<String>) -> Self {
        DecodeResponse {
            id,
            key,
            result: DecodeOutcome::Failed {
                message: message.into(),
            },
        }
    }
}

impl DecodedFrame {
    /// Split into the response to request `id` and the buffers to post alongside as transferables (pixels
    /// first, then stored values when present). A compact monochrome frame sends its stored samples as they are
    /// (no `f32` buffer is made).
    pub fn into_response(self, id: RequestId) -> (DecodeResponse, Vec<PixelBuffer>) {
        let mut buffers = Vec::new();
        match self.pixels {
            Pixels::Modality { values, stored } => {
                // The Modality LUT of a compact frame travels in the metadata (`modality_lut`).
                let pixels = match values.into_parts() {
                    ModalityParts::F32(v) => PixelBuffer::F32(v),
                    ModalityParts::Stored { samples, .. } => match samples {
                        StoredSamples::U8(v) => PixelBuffer::U8(v),
                        StoredSamples::I8(v) => PixelBuffer::I8(v),
                        StoredSamples::U16(v) => PixelBuffer::U16(v),
                        StoredSamples::I16(v) => PixelBuffer::I16(v),
                    },
                };
                buffers.push((BufferRole::Pixels, pixels));
                if let Some(stored) = stored {
                    buffers.push((BufferRole::StoredValues, PixelBuffer::I32(stored)));
                }
            }
            Pixels::Rgb8(rgb) => buffers.push((BufferRole::Pixels, PixelBuffer::U8(rgb))),
        }
        let layouts = buffers.iter().map(|(role, b)| b.layout(*role)).collect();
        let key = self.meta.key.clone();
        let response = DecodeResponse {
            id,
            key,
            result: DecodeOutcome::Decoded {
                meta: Box::new(self.meta),
                buffers: layouts,
            },
        };
        (response, buffers.into_iter().map(|(_, b)| b).collect())
    }

    /// As [`into_response`](Self::into_response), for a preview leaving out `discarded_levels` resolution levels
    /// ([`DecodeOutcome::Preview`]).
    pub fn into_preview_response(
        self,
        id: RequestId,
        discarded_levels: u8,
    ) -> (DecodeResponse, Vec<PixelBuffer>) {
        let (mut response, buffers) = self.into_response(id);
        if let DecodeOutcome::Decoded { meta, buffers } = response.result {
            response.result = DecodeOutcome::Preview {
                meta,
                buffers,
                discarded_levels,
            };
        }
        (response, buffers)
    }

    /// Rebuild a frame on the UI thread from a response's metadata, its layouts and the buffers received, checking
    /// that they agree (count, element types, lengths against Rows × Columns).
    pub fn from_response(
        meta: FrameMeta,
        layouts: &[BufferLayout],
        buffers: Vec<PixelBuffer>,
    ) -> Result<Self> {
        ensure!(
            layouts.len() == buffers.len(),
            BufferMismatchSnafu {
                reason: format!(
                    "{} buffers announced, {} received",
                    layouts.len(),
                    buffers.len()
                )
            }
        );
        for (layout, buffer) in layouts.iter().zip(&buffers) {
            let actual = buffer.layout(layout.role);
            ensure!(
                actual == *layout,
                BufferMismatchSnafu {
                    reason: format!("announced {layout:?}, received {actual:?}")
                }
            );
        }
        let n = meta.pixel_count();
        let linear = match meta.modality_lut {
            ModalityMapping::Identity => Some((1.0, 0.0)),
            ModalityMapping::Rescale { slope, intercept } => Some((slope, intercept)),
            ModalityMapping::Table { .. } => None,
        };
        let mismatch = |meta: &FrameMeta| {
            BufferMismatchSnafu {
                reason: format!(
                    "{:?} {}×{} (stored values: {}, stored samples: {:?}, Modality LUT: {:?}) does not match buffers {layouts:?}",
                    meta.format,
                    meta.rows,
                    meta.columns,
                    meta.has_stored_values,
                    meta.stored_samples,
                    meta.modality_lut
                ),
            }
            .fail()
        };
        let mut it = buffers.into_iter();
        let first = it.next();
        let second = it.next();
        if meta.format == PixelFormat::ModalityF32 && meta.stored_samples.is_some() {
            // A compact frame: its stored samples, of the announced type, under a linear Modality LUT.
            let samples = match (meta.stored_samples, first, &second) {
                (Some(StoredSampleType::U8), Some(PixelBuffer::U8(v)), None) => {
                    StoredSamples::U8(v)
                }
                (Some(StoredSampleType::I8), Some(PixelBuffer::I8(v)), None) => {
                    StoredSamples::I8(v)
                }
                (Some(StoredSampleType::U16), Some(PixelBuffer::U16(v)), None) => {
                    StoredSamples::U16(v)
                }
                (Some(StoredSampleType::I16), Some(PixelBuffer::I16(v)), None) => {
                    StoredSamples::I16(v)
                }
                _ => return mismatch(&meta),
            };
            let (Some((slope, intercept)), false, true) =
                (linear, meta.has_stored_values, samples.len() == n)
            else {
                return mismatch(&meta);
            };
            let pixels = Pixels::Modality {
                values: ModalityValues::from_stored(samples, slope, intercept),
                stored: None,
            };
            return Ok(DecodedFrame { meta, pixels });
        }
        let pixels = match (meta.format, first, second, meta.has_stored_values) {
            (PixelFormat::ModalityF32, Some(PixelBuffer::F32(values)), None, false)
                if values.len() == n =>
            {
                Pixels::Modality {
                    values: values.into(),
                    stored: None,
                }
            }
            (
                PixelFormat::ModalityF32,
                Some(PixelBuffer::F32(values)),
                Some(PixelBuffer::I32(stored)),
                true,
            ) if values.len() == n && stored.len() == n => Pixels::Modality {
                values: values.into(),
                stored: Some(stored),
            },
            (PixelFormat::Rgb8, Some(PixelBuffer::U8(rgb)), None, _)
                if Some(rgb.len()) == n.checked_mul(3) =>
            {
                Pixels::Rgb8(rgb)
            }
            _ => return mismatch(&meta),
        };
        Ok(DecodedFrame { meta, pixels })
    }
}

/// Decode the bytes a worker obtained for `source`: for [`FrameSource::WadoFrame`], the frame part's bytes with
/// its transfer syntax (`frame_transfer_syntax`, else derived from `frame_media_type`); for the other sources,
/// the Part 10 bytes of the instance. The frame key in the result is `key` (the request's), whatever the data set
/// says.
pub fn decode_fetched(
    key: &FrameKey,
    source: &FrameSource,
    bytes: &[u8],
    frame_transfer_syntax: Option<&str>,
    frame_media_type: Option<&str>,
) -> Result<DecodedFrame> {
    let mut frame = match source {
        FrameSource::WadoFrame {
            instance_metadata,
            frame_number,
            ..
        } => {
            let metadata: serde_json::Value =
                serde_json::from_str(instance_metadata).map_err(|e| Error::Metadata {
                    reason: format!("not JSON: {e}"),
                })?;
            // WADO-RS metadata is an array of one data set; accept the data set itself too.
            let dataset = match &metadata {
                serde_json::Value::Array(items) => {
                    items.first().cloned().unwrap_or(serde_json::Value::Null)
                }
                other => other.clone(),
            };
            let syntax = match frame_transfer_syntax {
                Some(ts) => ts.to_string(),
                None => {
                    let media_type = frame_media_type.unwrap_or("application/octet-stream");
                    transfer_syntax_for_media_type(media_type)
                        .context(UnknownFrameSyntaxSnafu { media_type })?
                        .to_string()
                }
            };
            decode_wado_frame(bytes, &syntax, &dataset, *frame_number)?
        }
        FrameSource::WadoInstance { frame_number, .. }
        | FrameSource::Bytes { frame_number, .. } => decode_for_display(bytes, *frame_number)?,
    };
    frame.meta.key = key.clone();
    Ok(frame)
}
