//! Encapsulated pixel data (PS3.5 section A.4): find the fragments of one frame (Extended Offset Table, one
//! fragment per frame, Basic Offset Table, or codestream start markers), check the codestream header against the
//! Image Pixel attributes, and decode it — RLE here, JPEG-LS with lumen-codec-jpegls, sequential lossy JPEG
//! (Baseline and Extended, 8 and 12 bits) with lumen-codec-jpeg, HTJ2K with lumen-codec-htj2k (falling back to
//! openjp2 for what it does not handle), lossless and progressive JPEG and JPEG 2000 with dicom-pixeldata's
//! decoders. The
//! header checks exist so that a codec never sees input that would make it panic. Must not apply any LUT.

use super::{expanded_photometric, native, rle, unpack};
use crate::error::*;
use crate::image::{Frame, ImageInfo, PhotometricInterpretation, PixelDataKind, Samples};
use crate::transfer_syntax::PixelEncoding;
use dicom_core::value::{InMemFragment, PixelFragmentSequence, C};
use dicom_encoding::adapters::{PixelDataObject, RawPixelData};
use dicom_encoding::TransferSyntaxIndex;
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;
use snafu::prelude::*;
use std::borrow::Cow;

/// Decode frame `index` of an encapsulated Pixel Data value.
pub(crate) fn decode(
    seq: &PixelFragmentSequence<InMemFragment>,
    eot: Option<&(Vec<u64>, Vec<u64>)>,
    encoding: PixelEncoding,
    syntax: &'static str,
    info: &ImageInfo,
    index: u32,
) -> Result<Frame> {
    ensure!(
        info.pixel_data_kind == PixelDataKind::Integer,
        UnsupportedImageSnafu {
            reason: "float pixel data cannot be encapsulated".to_string()
        }
    );
    let marker: Option<&[u8]> = match encoding {
        PixelEncoding::Jpeg | PixelEncoding::JpegLs => Some(&[0xFF, 0xD8]),
        PixelEncoding::Jpeg2000 => Some(&[0xFF, 0x4F]),
        _ => None,
    };
    let data = frame_bytes(seq, eot, info.number_of_frames, index, marker).map_err(|reason| {
        Error::Decode {
            frame: index,
            syntax: syntax.to_string(),
            reason,
        }
    })?;
    decode_codestream(&data, encoding, syntax, info, index)
}

/// Decode the encoded bytes of one frame (all its fragments, concatenated) as frame `index`.
pub(crate) fn decode_codestream(
    data: &[u8],
    encoding: PixelEncoding,
    syntax: &'static str,
    info: &ImageInfo,
    index: u32,
) -> Result<Frame> {
    let fail = |reason: String| Error::Decode {
        frame: index,
        syntax: syntax.to_string(),
        reason,
    };
    let pixels = info.pixels_per_frame();
    let spp = info.samples_per_pixel as usize;
    match encoding {
        PixelEncoding::EncapsulatedUncompressed => {
            native::frame_from_native_bytes(data, info, index)
        }
        PixelEncoding::RleLossless => {
            ensure!(
                matches!(info.bits_allocated, 8 | 16 | 32),
                UnsupportedImageSnafu {
                    reason: format!("RLE with Bits Allocated {}", info.bits_allocated)
                }
            );
            let bytes = rle::decode_frame(data, pixels, spp, info.bits_allocated as usize / 8)
                .map_err(fail)?;
            finish(
                &bytes,
                info,
                index,
                expanded_photometric(&info.photometric_interpretation),
            )
        }
        PixelEncoding::Jpeg => {
            let header = jpeg_header(data).map_err(fail)?;
            check_dimensions(
                info,
                header.columns,
                header.rows,
                header.components,
                header.precision,
                "JPEG",
            )
            .map_err(fail)?;
            ensure!(
                matches!(header.sof, 0xC0..=0xC3),
                DecodeSnafu {
                    frame: index,
                    syntax,
                    reason: format!(
                        "JPEG process SOF{} (arithmetic or hierarchical coding) is not supported",
                        header.sof - 0xC0
                    )
                }
            );
            if matches!(header.sof, 0xC0 | 0xC1) {
                return decode_sequential_jpeg(data, info, index, &fail);
            }
            let lossless = header.sof == 0xC3;
            ensure!(
                lossless || header.precision == 8,
                DecodeSnafu {
                    frame: index,
                    syntax,
                    reason: format!("{}-bit progressive JPEG is not supported", header.precision)
                }
            );
            let decoded_bits = if header.precision <= 8 { 8 } else { 16 };
            let bytes =
                run_adapter(data, info, decoded_bits, "1.2.840.10008.1.2.4.50").map_err(fail)?;
            let bytes =
                widen(bytes, decoded_bits, info.bits_allocated, pixels * spp).map_err(fail)?;
            // The adapter's progressive decoder converts YCbCr to RGB; lossless JPEG has no colour transform.
            let pi = if spp == 3 && !lossless {
                PhotometricInterpretation::Rgb
            } else {
                expanded_photometric(&info.photometric_interpretation)
            };
            finish(&bytes, info, index, pi)
        }
        PixelEncoding::Jpeg2000 => {
            let header = j2k_header(data).map_err(fail)?;
            check_dimensions(
                info,
                header.columns,
                header.rows,
                header.components,
                header.precision,
                "JPEG 2000",
            )
            .map_err(fail)?;
            // JPEG 2000 (.90, .91) and HTJ2K (.201–.203) first with lumen-codec-htj2k, which decodes Part 1 and HT
            // code-blocks; what it does not handle (several tiles, layers or precincts, HT refinement passes, the
            // bypass/termall/causal Part 1 code-block styles…) goes on to openjp2 below.
            if let Some(frame) = decode_htj2k(data, info, index, &fail)? {
                return Ok(frame);
            }
            let decoded_bits = if info.bits_allocated <= 8 { 8 } else { 16 };
            ensure!(
                header.precision <= 16,
                DecodeSnafu {
                    frame: index,
                    syntax,
                    reason: format!("{}-bit JPEG 2000 components", header.precision)
                }
            );
            let bytes =
                run_adapter(data, info, decoded_bits, "1.2.840.10008.1.2.4.90").map_err(fail)?;
            let bytes =
                widen(bytes, decoded_bits, info.bits_allocated, pixels * spp).map_err(fail)?;
            // The decoder undoes the multi-component transform: YBR_ICT/YBR_RCT come out as RGB.
            let pi = match &info.photometric_interpretation {
                PhotometricInterpretation::YbrIct | PhotometricInterpretation::YbrRct => {
                    PhotometricInterpretation::Rgb
                }
                other => expanded_photometric(other),
            };
            finish(&bytes, info, index, pi)
        }
        PixelEncoding::JpegLs => {
            let header =
                lumen_codec_jpegls::read_frame_info(data).map_err(|e| fail(e.to_string()))?;
            check_dimensions(
                info,
                header.width,
                header.height,
                u32::from(header.components),
                u32::from(header.bits_per_sample),
                "JPEG-LS",
            )
            .map_err(fail)?;
            // check_dimensions bounds the output by Rows × Columns × Samples per Pixel, so no extra size limit.
            let image = lumen_codec_jpegls::decode_with_limit(data, u64::MAX)
                .map_err(|e| fail(e.to_string()))?;
            let (bytes, decoded_bits) = match image.samples {
                lumen_codec_jpegls::Samples::U8(v) => (v, 8),
                lumen_codec_jpegls::Samples::U16(v) => {
                    let mut bytes = Vec::with_capacity(v.len() * 2);
                    for s in &v {
                        bytes.extend_from_slice(&s.to_le_bytes());
                    }
                    (bytes, 16)
                }
            };
            let bytes =
                widen(bytes, decoded_bits, info.bits_allocated, pixels * spp).map_err(fail)?;
            // JPEG-LS has no colour transform of its own (HP's is refused by the codec).
            finish(
                &bytes,
                info,
                index,
                expanded_photometric(&info.photometric_interpretation),
            )
        }
        PixelEncoding::Native | PixelEncoding::Unsupported => DecodeSnafu {
            frame: index,
            syntax,
            reason: "the pixel data is encapsulated, which this transfer syntax does not allow"
                .to_string(),
        }
        .fail(),
    }
}

/// JPEG Baseline and Extended (SOF0/SOF1, 8 or 12 bits) with lumen-codec-jpeg, byte-exact with dcmdjpeg. As
/// dcmdjpeg does by default, YCbCr is converted to RGB when Photometric Interpretation says the components are
/// YCbCr, and left as coded otherwise (RGB coded without colour transform, monochrome) — except an RGB label on a
/// codestream libjpeg would take for YCbCr (see below).
fn decode_sequential_jpeg(
    data: &[u8],
    info: &ImageInfo,
    index: u32,
    fail: &dyn Fn(String) -> Error,
) -> Result<Frame> {
    let spp = info.samples_per_pixel as usize;
    // A lossy JPEG labelled RGB whose codestream is YCbCr by libjpeg's guess (JFIF marker, Adobe transform, or
    // component ids) is converted too: some devices label the stream so, and readers expect true colours
    // (dcmdjpeg's `+cg`; Cornerstone's libjpeg-turbo does the same).
    let ycbcr = spp == 3
        && (matches!(
            info.photometric_interpretation,
            PhotometricInterpretation::YbrFull
                | PhotometricInterpretation::YbrFull422
                | PhotometricInterpretation::YbrPartial422
        ) || (info.photometric_interpretation == PhotometricInterpretation::Rgb
            && lumen_codec_jpeg::guess_ycbcr(data)));
    let options = lumen_codec_jpeg::DecodeOptions {
        color: if ycbcr {
            lumen_codec_jpeg::ColorTransform::YCbCrToRgb
        } else {
            lumen_codec_jpeg::ColorTransform::AsCoded
        },
        // check_dimensions bounds the size by Rows × Columns × Samples per Pixel.
        max_bytes: u64::MAX,
    };
    let image = lumen_codec_jpeg::decode(data, &options).map_err(|e| fail(e.to_string()))?;
    let count = info.pixels_per_frame() * spp;
    let produced = match &image.samples {
        lumen_codec_jpeg::Samples::U8(v) => v.len(),
        lumen_codec_jpeg::Samples::U16(v) => v.len(),
    };
    if produced < count {
        return Err(fail(format!(
            "the decoder produced {produced} samples, {count} were expected"
        )));
    }
    // The decoder's buffer is handed over as the frame's samples (8-bit, nothing to mask) or converted to them in
    // one pass — no detour through little-endian bytes; the stored values are those `unpack::unpack` gives.
    let samples = match image.samples {
        lumen_codec_jpeg::Samples::U8(v) => unpack::unpack_u8_values(v, info, count)?,
        lumen_codec_jpeg::Samples::U16(v) => {
            if info.bits_allocated < 16 {
                return Err(fail(format!(
                    "the decoder produced 16-bit samples, Bits Allocated is {}",
                    info.bits_allocated
                )));
            }
            unpack::unpack_u16_values(v, info, count)?
        }
    };
    let pi = if image.converted_to_rgb {
        PhotometricInterpretation::Rgb
    } else {
        expanded_photometric(&info.photometric_interpretation)
    };
    Ok(frame_of(info, index, pi, samples))
}

/// Decode an HTJ2K codestream with lumen-codec-htj2k, straight into the typed samples of the frame when the
/// codestream's precision and signedness agree with the Image Pixel attributes (no repacking), through [`finish`]
/// otherwise. `None` when the codec does not handle the codestream (`Unsupported`): the caller falls back.
fn decode_htj2k(
    data: &[u8],
    info: &ImageInfo,
    index: u32,
    fail: &dyn Fn(String) -> Error,
) -> Result<Option<Frame>> {
    Ok(htj2k_frame(data, info, index, fail, false)?.map(|(frame, _)| frame))
}

/// The preview of an HTJ2K frame whose codestream has not fully arrived: `prefix` (its first bytes) decoded at the
/// highest resolution it holds, each pixel of that reduced image repeated over the 2^d × 2^d pixels it stands for,
/// so that the frame has the full Rows × Columns. With the number of resolution levels left out (0: the prefix
/// holds the whole image). `None` while nothing is decodable yet, or when lumen-codec-htj2k does not handle the
/// codestream.
pub(crate) fn htj2k_preview(
    prefix: &[u8],
    info: &ImageInfo,
    index: u32,
    syntax: &str,
) -> Result<Option<(Frame, u8)>> {
    let fail = |reason: String| Error::Decode {
        frame: index,
        syntax: syntax.to_string(),
        reason,
    };
    htj2k_frame(prefix, info, index, &fail, true)
}

/// [`decode_htj2k`], or with `prefix` the [`htj2k_preview`] of the data.
fn htj2k_frame(
    data: &[u8],
    info: &ImageInfo,
    index: u32,
    fail: &dyn Fn(String) -> Error,
    prefix: bool,
) -> Result<Option<(Frame, u8)>> {
    // The codestream may sit in a JP2 wrapper.
    let start = data
        .windows(4)
        .position(|w| w == [0xFF, 0x4F, 0xFF, 0x51])
        .unwrap_or(0);
    let data = &data[start..];
    let (header, discard) = if prefix {
        match lumen_codec_htj2k::prefix_resolution(data) {
            Ok(Some(p)) => (p.header, p.discard),
            Ok(None) | Err(lumen_codec_htj2k::Error::Unsupported { .. }) => return Ok(None),
            Err(e) => return Err(fail(e.to_string())),
        }
    } else {
        match lumen_codec_htj2k::read_header(data) {
            Ok(h) => (h, 0),
            Err(lumen_codec_htj2k::Error::Unsupported { .. }) => return Ok(None),
            Err(e) => return Err(fail(e.to_string())),
        }
    };
    if prefix {
        // The whole decode checks the main header against the data set before it gets here.
        check_dimensions(
            info,
            header.width,
            header.height,
            u32::from(header.components),
            u32::from(header.precision),
            "JPEG 2000",
        )
        .map_err(fail)?;
    }
    if !matches!(info.bits_allocated, 8 | 16) || (info.bits_allocated == 8 && header.precision > 8)
    {
        return Ok(None);
    }
    let count = info.pixels_per_frame() * info.samples_per_pixel as usize;
    let exact = u16::from(header.precision) <= info.bits_stored
        && info.high_bit + 1 == info.bits_stored
        && header.signed == info.is_signed();
    let run = Decode {
        data,
        count,
        discard,
        prefix,
        header,
    };
    let decoded = match (info.bits_allocated, exact, info.is_signed()) {
        (8, true, false) => run.run::<u8>().map(Samples::U8),
        (8, true, true) => run.run::<i8>().map(Samples::I8),
        (16, true, false) => run.run::<u16>().map(Samples::U16),
        (16, true, true) => run.run::<i16>().map(Samples::I16),
        (8, false, _) => run.run::<u8>().map(Samples::U8),
        _ => run.run::<u16>().map(Samples::U16),
    };
    let samples = match decoded {
        Ok(s) => s,
        Err(lumen_codec_htj2k::Error::Unsupported { .. }) => return Ok(None),
        Err(e) => return Err(fail(e.to_string())),
    };
    // The decoder undoes the multi-component transform: YBR_ICT/YBR_RCT come out as RGB.
    let pi = match &info.photometric_interpretation {
        PhotometricInterpretation::YbrIct | PhotometricInterpretation::YbrRct => {
            PhotometricInterpretation::Rgb
        }
        other => expanded_photometric(other),
    };
    if exact {
        return Ok(Some((frame_of(info, index, pi, samples), discard)));
    }
    // Stored bits narrower than the codestream, a High Bit above them, or another signedness: mask and
    // sign-extend the container values as for any other decoder.
    let bytes: Vec<u8> = match samples {
        Samples::U8(v) => v,
        Samples::U16(v) => v.iter().flat_map(|s| s.to_le_bytes()).collect(),
        _ => return Err(fail("unexpected HTJ2K sample type".to_string())),
    };
    finish(&bytes, info, index, pi).map(|frame| Some((frame, discard)))
}

/// One typed HTJ2K decode of [`htj2k_frame`].
struct Decode<'a> {
    data: &'a [u8],
    /// Samples of the whole frame.
    count: usize,
    discard: u8,
    prefix: bool,
    header: lumen_codec_htj2k::Header,
}

impl Decode<'_> {
    fn run<T: lumen_codec_htj2k::Sample>(&self) -> lumen_codec_htj2k::Result<Vec<T>> {
        if !self.prefix {
            let mut v = vec![T::default(); self.count];
            lumen_codec_htj2k::decode_into(self.data, &mut v)?;
            return Ok(v);
        }
        let h = &self.header;
        let (rw, rh) = lumen_codec_htj2k::reduced_size(h.width, h.height, self.discard);
        let nc = usize::from(h.components);
        let mut small = vec![T::default(); rw as usize * rh as usize * nc];
        lumen_codec_htj2k::decode_prefix_into(self.data, self.discard, &mut small)?;
        Ok(upscale(
            &small,
            rw as usize,
            h.width as usize,
            h.height as usize,
            nc,
            self.discard,
        ))
    }
}

/// The `w`×`h` image (of `nc` interleaved components) where pixel (x, y) is pixel (x >> d, y >> d) of `small`
/// (`sw` pixels a line).
fn upscale<T: Copy>(small: &[T], sw: usize, w: usize, h: usize, nc: usize, d: u8) -> Vec<T> {
    if d == 0 {
        return small.to_vec();
    }
    let mut out = Vec::with_capacity(w * h * nc);
    for y in 0..h {
        let row = &small[(y >> d) * sw * nc..((y >> d) + 1) * sw * nc];
        for x in 0..w {
            let sx = (x >> d) * nc;
            out.extend_from_slice(&row[sx..sx + nc]);
        }
    }
    out
}

fn finish(
    bytes: &[u8],
    info: &ImageInfo,
    index: u32,
    pi: PhotometricInterpretation,
) -> Result<Frame> {
    let samples = unpack::unpack(
        bytes,
        info,
        info.pixels_per_frame() * info.samples_per_pixel as usize,
    )?;
    Ok(frame_of(info, index, pi, samples))
}

/// Frame `index` of the image `info` describes, holding `samples` with photometric interpretation `pi`.
fn frame_of(
    info: &ImageInfo,
    index: u32,
    pi: PhotometricInterpretation,
    samples: Samples,
) -> Frame {
    Frame {
        index,
        rows: info.rows,
        columns: info.columns,
        samples_per_pixel: info.samples_per_pixel,
        bits_stored: info.bits_stored,
        signed: info.is_signed(),
        photometric_interpretation: pi,
        samples,
    }
}

/// Put 8-bit decoder output in a 16-bit container when Bits Allocated is 16 (and check the size).
fn widen(
    bytes: Vec<u8>,
    decoded_bits: u16,
    bits_allocated: u16,
    samples: usize,
) -> Result<Vec<u8>, String> {
    let expected = samples * decoded_bits as usize / 8;
    if bytes.len() < expected {
        return Err(format!(
            "the decoder produced {} bytes, {expected} were expected",
            bytes.len()
        ));
    }
    Ok(match (decoded_bits, bits_allocated) {
        (8, 16) => bytes[..expected].iter().flat_map(|&b| [b, 0]).collect(),
        (8, 32) => bytes[..expected]
            .iter()
            .flat_map(|&b| [b, 0, 0, 0])
            .collect(),
        (16, 32) => bytes[..expected]
            .chunks_exact(2)
            .flat_map(|c| [c[0], c[1], 0, 0])
            .collect(),
        _ => bytes,
    })
}

fn check_dimensions(
    info: &ImageInfo,
    columns: u32,
    rows: u32,
    components: u32,
    precision: u32,
    codec: &str,
) -> Result<(), String> {
    if columns != info.columns as u32 || rows != info.rows as u32 {
        return Err(format!(
            "the {codec} codestream is {columns}×{rows}, the data set says {}×{} (Columns × Rows)",
            info.columns, info.rows
        ));
    }
    if components != info.samples_per_pixel as u32 {
        return Err(format!(
            "the {codec} codestream has {components} components, Samples per Pixel is {}",
            info.samples_per_pixel
        ));
    }
    if precision == 0 || precision > info.bits_allocated.max(8) as u32 {
        return Err(format!(
            "the {codec} codestream has {precision}-bit samples, Bits Allocated is {}",
            info.bits_allocated
        ));
    }
    Ok(())
}

/// The bytes of frame `index`: its fragments concatenated.
fn frame_bytes<'a>(
    seq: &'a PixelFragmentSequence<InMemFragment>,
    eot: Option<&(Vec<u64>, Vec<u64>)>,
    frames: u32,
    index: u32,
    marker: Option<&[u8]>,
) -> Result<Cow<'a, [u8]>, String> {
    let fragments = seq.fragments();
    if fragments.is_empty() {
        return Err("the pixel data has no fragments".to_string());
    }
    let concat = |range: std::ops::Range<usize>| -> Cow<'a, [u8]> {
        match fragments.get(range.clone()) {
            Some([one]) => Cow::Borrowed(one.as_slice()),
            Some(many) => Cow::Owned(many.concat()),
            None => Cow::Owned(Vec::new()),
        }
    };
    if frames == 1 {
        return Ok(concat(0..fragments.len()));
    }
    // Item start positions relative to the first fragment's item tag, as offset tables count them.
    let mut positions = Vec::with_capacity(fragments.len());
    let mut pos = 0u64;
    for f in fragments {
        positions.push(pos);
        pos += 8 + f.len() as u64;
    }
    let by_offsets = |offsets: &[u64]| -> Result<Cow<'a, [u8]>, String> {
        let start = *offsets
            .get(index as usize)
            .ok_or("offset table too short")?;
        let end = offsets.get(index as usize + 1).copied().unwrap_or(u64::MAX);
        let first = positions.iter().position(|&p| p == start).ok_or_else(|| {
            format!("the offset table points to byte {start}, which is not the start of a fragment")
        })?;
        let last = positions
            .iter()
            .position(|&p| p >= end)
            .unwrap_or(fragments.len());
        Ok(concat(first..last.max(first + 1)))
    };
    if let Some((offsets, _lengths)) = eot {
        if offsets.len() == frames as usize {
            return by_offsets(offsets);
        }
    }
    if fragments.len() == frames as usize {
        return Ok(concat(index as usize..index as usize + 1));
    }
    let bot = seq.offset_table();
    if bot.len() == frames as usize {
        let offsets: Vec<u64> = bot.iter().map(|&o| o as u64).collect();
        return by_offsets(&offsets);
    }
    if let Some(marker) = marker {
        let starts: Vec<usize> = (0..fragments.len())
            .filter(|&i| fragments[i].starts_with(marker))
            .collect();
        if starts.len() == frames as usize && starts.first() == Some(&0) {
            let first = starts[index as usize];
            let last = starts
                .get(index as usize + 1)
                .copied()
                .unwrap_or(fragments.len());
            return Ok(concat(first..last));
        }
    }
    Err(format!(
        "cannot tell which of the {} fragments belong to frame {index} of {frames}: no usable offset table",
        fragments.len()
    ))
}

struct CodestreamHeader {
    sof: u8,
    precision: u32,
    rows: u32,
    columns: u32,
    components: u32,
}

/// Read the SOF segment of a JPEG codestream (ITU-T T.81 B.2.2).
fn jpeg_header(data: &[u8]) -> Result<CodestreamHeader, String> {
    if !data.starts_with(&[0xFF, 0xD8]) {
        return Err("the frame does not start with a JPEG SOI marker".to_string());
    }
    let mut i = 2;
    while i + 4 <= data.len() {
        if data[i] != 0xFF {
            i += 1;
            continue;
        }
        let marker = data[i + 1];
        if marker == 0xFF || marker == 0x00 || (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            i += 1;
            continue;
        }
        let len = u16::from_be_bytes([data[i + 2], data[i + 3]]) as usize;
        let is_sof = (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof {
            let seg = data
                .get(i + 4..i + 2 + len)
                .ok_or("the JPEG SOF segment is truncated")?;
            if seg.len() < 6 {
                return Err("the JPEG SOF segment is too short".to_string());
            }
            return Ok(CodestreamHeader {
                sof: marker,
                precision: seg[0] as u32,
                rows: u16::from_be_bytes([seg[1], seg[2]]) as u32,
                columns: u16::from_be_bytes([seg[3], seg[4]]) as u32,
                components: seg[5] as u32,
            });
        }
        if marker == 0xDA || marker == 0xD9 {
            break;
        }
        i += 2 + len;
    }
    Err("no JPEG frame header (SOF marker) before the scan data".to_string())
}

/// Read the SIZ segment of a JPEG 2000 codestream (ITU-T T.800 A.5.1), inside a JP2 wrapper if there is one.
fn j2k_header(data: &[u8]) -> Result<CodestreamHeader, String> {
    let start = if data.starts_with(&[0xFF, 0x4F, 0xFF, 0x51]) {
        0
    } else {
        data.windows(4)
            .position(|w| w == [0xFF, 0x4F, 0xFF, 0x51])
            .ok_or("no JPEG 2000 codestream (SOC and SIZ markers) in the frame")?
    };
    let siz = data
        .get(start + 4..)
        .ok_or("the JPEG 2000 SIZ segment is truncated")?;
    let be32 = |o: usize| -> Result<u32, String> {
        siz.get(o..o + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or_else(|| "the JPEG 2000 SIZ segment is truncated".to_string())
    };
    // Lsiz(2) Rsiz(2) Xsiz Ysiz XOsiz YOsiz XTsiz YTsiz XTOsiz YTOsiz (4 each) Csiz(2), then Ssiz XRsiz YRsiz each.
    let (xsiz, ysiz, xo, yo) = (be32(4)?, be32(8)?, be32(12)?, be32(16)?);
    let csiz = siz
        .get(36..38)
        .map(|b| u16::from_be_bytes([b[0], b[1]]) as u32)
        .ok_or("SIZ truncated")?;
    let mut precision = 0;
    for c in 0..csiz as usize {
        let comp = siz
            .get(38 + 3 * c..41 + 3 * c)
            .ok_or("the JPEG 2000 SIZ segment is truncated")?;
        precision = precision.max((comp[0] & 0x7F) as u32 + 1);
        if comp[1] != 1 || comp[2] != 1 {
            return Err("subsampled JPEG 2000 components are not supported".to_string());
        }
    }
    Ok(CodestreamHeader {
        sof: 0,
        precision,
        rows: ysiz.saturating_sub(yo),
        columns: xsiz.saturating_sub(xo),
        components: csiz,
    })
}

/// One frame's codestream presented to a dicom-pixeldata decoder as a single-frame object.
struct OneFrame<'a> {
    data: &'a [u8],
    info: &'a ImageInfo,
    bits_allocated: u16,
    syntax: &'static str,
}

impl PixelDataObject for OneFrame<'_> {
    fn transfer_syntax_uid(&self) -> &str {
        self.syntax
    }
    fn rows(&self) -> Option<u16> {
        Some(self.info.rows)
    }
    fn cols(&self) -> Option<u16> {
        Some(self.info.columns)
    }
    fn samples_per_pixel(&self) -> Option<u16> {
        Some(self.info.samples_per_pixel)
    }
    fn bits_allocated(&self) -> Option<u16> {
        Some(self.bits_allocated)
    }
    fn bits_stored(&self) -> Option<u16> {
        Some(self.info.bits_stored.min(self.bits_allocated))
    }
    fn photometric_interpretation(&self) -> Option<&str> {
        Some(self.info.photometric_interpretation.as_str())
    }
    fn number_of_frames(&self) -> Option<u32> {
        Some(1)
    }
    fn number_of_fragments(&self) -> Option<u32> {
        Some(1)
    }
    fn fragment(&self, fragment: usize) -> Option<Cow<'_, [u8]>> {
        (fragment == 0).then_some(Cow::Borrowed(self.data))
    }
    fn offset_table(&self) -> Option<Cow<'_, [u32]>> {
        Some(Cow::Owned(vec![0]))
    }
    fn raw_pixel_data(&self) -> Option<RawPixelData> {
        Some(RawPixelData {
            fragments: C::from_vec(vec![self.data.to_vec()]),
            offset_table: C::from_vec(vec![0]),
        })
    }
}

/// Decode one codestream with the registry's decoder for `syntax`, guarding against codec panics on native
/// targets (on wasm32 a panic aborts, which the header checks above are there to prevent).
fn run_adapter(
    data: &[u8],
    info: &ImageInfo,
    bits_allocated: u16,
    syntax: &'static str,
) -> Result<Vec<u8>, String> {
    let ts = TransferSyntaxRegistry
        .get(syntax)
        .ok_or("the decoder is not built into this program")?;
    let reader = ts
        .pixel_data_reader()
        .ok_or("the decoder is not built into this program")?;
    let object = OneFrame {
        data,
        info,
        bits_allocated,
        syntax,
    };
    let mut out = Vec::new();
    #[cfg(panic = "unwind")]
    {
        let call = || {
            reader
                .decode_frame(&object, 0, &mut out)
                .map_err(|e| error_chain(&e))
        };
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)) {
            Ok(r) => r?,
            Err(_) => return Err("the decoder failed on malformed data".to_string()),
        }
    }
    #[cfg(not(panic = "unwind"))]
    reader
        .decode_frame(&object, 0, &mut out)
        .map_err(|e| error_chain(&e))?;
    Ok(out)
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpeg_header_reads_the_frame_header() {
        // SOI, APP0 (length 4), SOF3 with P=12, Y=3, X=5, Nf=1.
        let data = [
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xC3, 0x00, 0x0B, 12, 0, 3, 0, 5,
            1, 1, 0x11, 0,
        ];
        let h = jpeg_header(&data).unwrap();
        assert_eq!(
            (h.sof, h.precision, h.rows, h.columns, h.components),
            (0xC3, 12, 3, 5, 1)
        );
    }

    #[test]
    fn truncated_jpeg_header_is_an_error_not_a_panic() {
        assert!(jpeg_header(&[0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 8]).is_err());
        assert!(jpeg_header(&[0x00, 0x01]).is_err());
        assert!(j2k_header(&[0xFF, 0x4F, 0xFF, 0x51, 0x00]).is_err());
    }

    fn htj2k_test_codestream(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/../codec-htj2k/tests/data/{name}.j2c",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn mono_info(columns: u16, rows: u16, bits_stored: u16, signed: bool) -> ImageInfo {
        use crate::image::{PixelRepresentation, PlanarConfiguration};
        ImageInfo {
            rows,
            columns,
            samples_per_pixel: 1,
            bits_allocated: if bits_stored > 8 { 16 } else { 8 },
            bits_stored,
            high_bit: bits_stored - 1,
            pixel_representation: if signed {
                PixelRepresentation::Signed
            } else {
                PixelRepresentation::Unsigned
            },
            photometric_interpretation: PhotometricInterpretation::Monochrome2,
            planar_configuration: PlanarConfiguration::Interleaved,
            number_of_frames: 1,
            pixel_data_kind: PixelDataKind::Integer,
        }
    }

    #[test]
    fn htj2k_is_decoded_by_lumen_codec_htj2k_into_typed_samples() {
        // A signed 16-bit CT-like image (lumen-codec-htj2k's test data), with the extremes in its first pixels.
        let cs = htj2k_test_codestream("ct16s_96x80");
        let info = mono_info(96, 80, 16, true);
        let fail = |reason: String| Error::Decode {
            frame: 0,
            syntax: String::new(),
            reason,
        };
        let frame = decode_htj2k(&cs, &info, 0, &fail)
            .unwrap()
            .expect("handled, not left to openjp2");
        let Samples::I16(v) = &frame.samples else {
            panic!("{:?}", frame.samples)
        };
        assert_eq!((v[0], v[1], v[96]), (-32768, 32767, -2048));
        // The same codestream through the public path of a .201 frame.
        let via = decode_codestream(
            &cs,
            PixelEncoding::Jpeg2000,
            "1.2.840.10008.1.2.4.201",
            &info,
            0,
        )
        .unwrap();
        assert_eq!(via.samples, frame.samples);
    }

    #[test]
    fn jpeg2000_part1_is_decoded_by_lumen_codec_htj2k_like_openjp2() {
        // OpenJPEG-made Part 1 codestreams (lumen-codec-htj2k's p1_* test data): lossless 5/3 and lossy 9/7.
        for (name, max_diff) in [("p1_ct16s_96x80", 0), ("p1_ct16s_96x80_lossy", 1)] {
            let cs = htj2k_test_codestream(name);
            let info = mono_info(96, 80, 16, true);
            let fail = |reason: String| Error::Decode {
                frame: 0,
                syntax: String::new(),
                reason,
            };
            let frame = decode_htj2k(&cs, &info, 0, &fail)
                .unwrap()
                .expect("handled, not left to openjp2");
            let Samples::I16(got) = &frame.samples else {
                panic!("{name}: {:?}", frame.samples)
            };
            let bytes = run_adapter(&cs, &info, 16, "1.2.840.10008.1.2.4.90").unwrap();
            let want: Vec<i16> = bytes
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]))
                .collect();
            assert_eq!(got.len(), want.len(), "{name}");
            let diff = got
                .iter()
                .zip(&want)
                .map(|(&a, &b)| (i32::from(a) - i32::from(b)).abs())
                .max()
                .unwrap();
            assert!(diff <= max_diff, "{name}: differs from openjp2 by {diff}");
            // The public path of a .90/.91 frame goes through lumen-codec-htj2k too.
            let via = decode_codestream(
                &cs,
                PixelEncoding::Jpeg2000,
                "JPEG 2000 Image Compression",
                &info,
                0,
            )
            .unwrap();
            assert_eq!(via.samples, frame.samples, "{name}");
        }
    }

    #[test]
    fn htj2k_with_stored_bits_narrower_than_the_codestream_is_masked_like_other_decoders() {
        // 12-bit unsigned samples declared as 10 bits stored: values keep their low 10 bits, as unpack does.
        let cs = htj2k_test_codestream("u12_7x13_l3");
        let mut info = mono_info(7, 13, 10, false);
        info.bits_allocated = 16;
        let fail = |reason: String| Error::Decode {
            frame: 0,
            syntax: String::new(),
            reason,
        };
        let frame = decode_htj2k(&cs, &info, 0, &fail).unwrap().unwrap();
        let full = lumen_codec_htj2k::decode(&cs).unwrap();
        let (Samples::U16(got), lumen_codec_htj2k::Samples::U16(want)) =
            (&frame.samples, &full.samples)
        else {
            panic!("16-bit samples expected")
        };
        assert!(
            want.iter().any(|&v| v >= 1024),
            "the test needs values above 10 bits"
        );
        assert_eq!(got, &want.iter().map(|v| v & 0x3FF).collect::<Vec<_>>());
    }

    #[test]
    fn htj2k_previews_of_a_prefix_have_the_full_geometry_and_end_in_the_whole_frame() {
        // 300×200 12-bit RPCL with 5 levels: the first bytes give the small images, each pixel repeated.
        let cs = htj2k_test_codestream("u12_rpcl_300x200");
        let info = mono_info(300, 200, 12, false);
        let ts = "1.2.840.10008.1.2.4.202";
        let whole = super::super::decode_frame_data(&cs, ts, &info, 0).unwrap();
        let mut seen = Vec::new();
        for cut in (0..=cs.len()).step_by(97).chain([cs.len()]) {
            let Some(p) = super::super::preview_frame_data(&cs[..cut], ts, &info, 0).unwrap()
            else {
                assert!(seen.is_empty(), "nothing at {cut} after a preview");
                continue;
            };
            assert_eq!((p.frame.columns, p.frame.rows), (300, 200));
            let d = p.discarded_levels;
            if seen.last() != Some(&d) {
                seen.push(d);
            }
            let reduced = lumen_codec_htj2k::decode_reduced(&cs, d).unwrap();
            let (Samples::U16(got), lumen_codec_htj2k::Samples::U16(small)) =
                (&p.frame.samples, &reduced.samples)
            else {
                panic!("16-bit samples expected")
            };
            let sw = reduced.width as usize;
            for (i, &v) in got.iter().enumerate() {
                let (x, y) = (i % 300, i / 300);
                assert_eq!(
                    v,
                    small[(y >> d) * sw + (x >> d)],
                    "({x}, {y}) at -{d}, {cut} bytes"
                );
            }
            if d == 0 {
                assert_eq!(p.frame, whole);
            }
        }
        assert_eq!(seen, [5, 4, 3, 2, 1, 0]);
        // Another syntax, or a codestream that contradicts the data set.
        assert!(
            super::super::preview_frame_data(&cs, "1.2.840.10008.1.2.4.90", &info, 0)
                .unwrap()
                .is_none()
        );
        let wrong = mono_info(301, 200, 12, false);
        assert!(super::super::preview_frame_data(&cs, ts, &wrong, 0).is_err());
        assert!(super::super::preview_frame_data(&cs[..20], ts, &wrong, 0)
            .unwrap()
            .is_none());
    }

    #[test]
    fn htj2k_the_codec_does_not_handle_is_left_to_openjp2() {
        // Two quality layers: lumen-codec-htj2k says Unsupported, so the caller falls back.
        let mut cs = htj2k_test_codestream("u12_7x13_l3");
        let cod = cs.windows(2).position(|w| w == [0xFF, 0x52]).unwrap();
        cs[cod + 6..cod + 8].copy_from_slice(&2u16.to_be_bytes());
        let fail = |reason: String| Error::Decode {
            frame: 0,
            syntax: String::new(),
            reason,
        };
        assert!(decode_htj2k(&cs, &mono_info(7, 13, 12, false), 0, &fail)
            .unwrap()
            .is_none());
    }

    fn seq(fragments: Vec<Vec<u8>>, bot: Vec<u32>) -> PixelFragmentSequence<InMemFragment> {
        PixelFragmentSequence::new(bot, fragments)
    }

    #[test]
    fn frames_split_over_fragments_are_found_with_the_basic_offset_table() {
        // Frame 0 = fragments 0 and 1 (2 + 2 bytes), frame 1 = fragment 2; item headers are 8 bytes.
        let s = seq(vec![vec![1, 2], vec![3, 4], vec![5, 6]], vec![0, 20]);
        assert_eq!(&*frame_bytes(&s, None, 2, 0, None).unwrap(), &[1, 2, 3, 4]);
        assert_eq!(&*frame_bytes(&s, None, 2, 1, None).unwrap(), &[5, 6]);
    }

    #[test]
    fn frames_without_offset_table_are_found_by_start_marker() {
        let s = seq(
            vec![vec![0xFF, 0xD8, 1], vec![2], vec![0xFF, 0xD8, 3]],
            vec![],
        );
        assert_eq!(
            &*frame_bytes(&s, None, 2, 0, Some(&[0xFF, 0xD8])).unwrap(),
            &[0xFF, 0xD8, 1, 2]
        );
        assert_eq!(
            &*frame_bytes(&s, None, 2, 1, Some(&[0xFF, 0xD8])).unwrap(),
            &[0xFF, 0xD8, 3]
        );
        assert!(frame_bytes(&s, None, 2, 1, None).is_err());
    }
}
