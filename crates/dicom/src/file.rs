//! Reading DICOM Part 10 files (PS3.10 section 7) from bytes or a path into a [`DicomFile`]: with or without the
//! 128-byte preamble, with or without a File Meta Information group (the transfer syntax of a bare data set is
//! told by sniffing its first element), and deflated data sets. This module only parses; it must not decode
//! pixel data (see `decode`) and must not do any I/O other than reading the one file it is given.

use crate::attr;
use crate::decode;
use crate::error::*;
use crate::image::{Frame, ImageInfo};
use crate::transfer_syntax::{
    self, EXPLICIT_VR_BIG_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN,
};
use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_encoding::TransferSyntaxIndex;
use dicom_object::file::ReadPreamble;
use dicom_object::meta::FileMetaTable;
use dicom_object::{FileDicomObject, FileMetaTableBuilder, InMemDicomObject, OpenFileOptions};
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;
use snafu::prelude::*;
use std::path::Path;

/// A parsed DICOM object with its File Meta Information (read from the file, or synthesised when the file had
/// none).
#[derive(Debug, Clone)]
pub struct DicomFile {
    obj: FileDicomObject<InMemDicomObject>,
    has_file_meta: bool,
}

/// Value representations that may follow a tag in explicit VR encoding (PS3.5 Table 6.2-1).
const EXPLICIT_VRS: &[&[u8; 2]] = &[
    b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FD", b"FL", b"IS", b"LO", b"LT", b"OB",
    b"OD", b"OF", b"OL", b"OV", b"OW", b"PN", b"SH", b"SL", b"SQ", b"SS", b"ST", b"SV", b"TM",
    b"UC", b"UI", b"UL", b"UN", b"UR", b"US", b"UT", b"UV",
];

impl DicomFile {
    /// Read and parse the file at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).context(ReadFileSnafu {
            path: path.to_path_buf(),
        })?;
        Self::from_bytes(&bytes)
    }

    /// Parse DICOM from memory: a Part 10 file with or without preamble, or a bare data set in Implicit VR Little
    /// Endian, Explicit VR Little Endian or Explicit VR Big Endian.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() >= 132 && &bytes[128..132] == b"DICM" {
            return Self::from_part10(&bytes[128..]);
        }
        if bytes.starts_with(b"DICM") {
            return Self::from_part10(bytes);
        }
        let syntax = sniff_bare_dataset(bytes)?;
        if syntax == "meta-without-magic" {
            let mut with_magic = Vec::with_capacity(bytes.len() + 4);
            with_magic.extend_from_slice(b"DICM");
            with_magic.extend_from_slice(bytes);
            return Self::from_part10(&with_magic);
        }
        Self::from_bare_dataset(bytes, syntax)
    }

    /// Wrap an object built in memory (e.g. with dicom-object's API).
    pub fn from_object(obj: FileDicomObject<InMemDicomObject>) -> Self {
        DicomFile {
            obj,
            has_file_meta: true,
        }
    }

    fn from_part10(bytes_from_magic: &[u8]) -> Result<Self> {
        // Before dicom-parser allocates for any declared length: see check_declared_lengths.
        let mut data_set = bytes_from_magic;
        if let Ok(meta) = FileMetaTable::from_reader(&mut data_set) {
            check_declared_lengths(data_set, meta.transfer_syntax())?;
        }
        match OpenFileOptions::new()
            .read_preamble(ReadPreamble::Never)
            .from_reader(bytes_from_magic)
        {
            Ok(obj) => Ok(DicomFile {
                obj,
                has_file_meta: true,
            }),
            Err(dicom_object::ReadError::ReadUnrecognizedTransferSyntax { .. }) => {
                // A transfer syntax dicom-rs does not know: every syntax beyond the three native ones encodes its
                // data set in Explicit VR Little Endian (PS3.5 A.4), so the attributes stay readable; decoding
                // its pixel data will report the syntax as unsupported.
                let mut rest = bytes_from_magic;
                let meta = FileMetaTable::from_reader(&mut rest).map_err(|e| Error::NotDicom {
                    reason: format!("invalid File Meta Information: {e}"),
                })?;
                let ts = TransferSyntaxRegistry
                    .get(EXPLICIT_VR_LITTLE_ENDIAN)
                    .context(UnsupportedTransferSyntaxSnafu {
                        uid: EXPLICIT_VR_LITTLE_ENDIAN,
                        name: transfer_syntax::name(EXPLICIT_VR_LITTLE_ENDIAN),
                    })?;
                let dataset = InMemDicomObject::read_dataset_with_ts(rest, ts)
                    .map_err(|e| classify_read_error(&e))?;
                Ok(DicomFile {
                    obj: dataset.with_exact_meta(meta),
                    has_file_meta: true,
                })
            }
            Err(e) => Err(classify_read_error(&e)),
        }
    }

    fn from_bare_dataset(bytes: &[u8], syntax_uid: &'static str) -> Result<Self> {
        let ts =
            TransferSyntaxRegistry
                .get(syntax_uid)
                .context(UnsupportedTransferSyntaxSnafu {
                    uid: syntax_uid,
                    name: transfer_syntax::name(syntax_uid),
                })?;
        check_declared_lengths(bytes, syntax_uid)?;
        let dataset = InMemDicomObject::read_dataset_with_ts(bytes, ts)
            .map_err(|e| classify_read_error(&e))?;
        let sop_class = attr::string(&dataset, tags::SOP_CLASS_UID).unwrap_or_default();
        let sop_instance = attr::string(&dataset, tags::SOP_INSTANCE_UID).unwrap_or_default();
        let meta = FileMetaTableBuilder::new()
            .transfer_syntax(syntax_uid)
            .media_storage_sop_class_uid(sop_class)
            .media_storage_sop_instance_uid(sop_instance)
            .build()
            .map_err(|e| Error::Parse {
                detail: format!("cannot synthesise File Meta Information: {e}"),
            })?;
        Ok(DicomFile {
            obj: dataset.with_exact_meta(meta),
            has_file_meta: false,
        })
    }

    /// The data set (without the File Meta Information).
    pub fn object(&self) -> &InMemDicomObject {
        &self.obj
    }

    /// The data set together with its File Meta Information, as dicom-object models a file.
    pub fn file_object(&self) -> &FileDicomObject<InMemDicomObject> {
        &self.obj
    }

    /// File Meta Information (PS3.10 7.1). Synthesised from the data set when the file had none: see
    /// [`DicomFile::has_file_meta`].
    pub fn meta(&self) -> &FileMetaTable {
        self.obj.meta()
    }

    /// Whether the File Meta Information was read from the file (false: the file was a bare data set).
    pub fn has_file_meta(&self) -> bool {
        self.has_file_meta
    }

    /// The Transfer Syntax UID (0002,0010), without padding.
    pub fn transfer_syntax(&self) -> &str {
        self.obj
            .meta()
            .transfer_syntax()
            .trim_end_matches(['\0', ' '])
    }

    /// The PS3.6 name of the transfer syntax.
    pub fn transfer_syntax_name(&self) -> &'static str {
        transfer_syntax::name(self.transfer_syntax())
    }

    /// The value of a text attribute of the data set, trimmed (`None` when absent or empty).
    pub fn string(&self, tag: Tag) -> Option<String> {
        attr::string(&self.obj, tag)
    }

    /// Each value of a multi-valued text attribute.
    pub fn strings(&self, tag: Tag) -> Vec<String> {
        attr::strings(&self.obj, tag)
    }

    /// The first value of a numeric attribute (binary, DS or IS).
    pub fn number(&self, tag: Tag) -> Option<f64> {
        attr::f64(&self.obj, tag)
    }

    /// Every value of a numeric attribute.
    pub fn numbers(&self, tag: Tag) -> Vec<f64> {
        attr::f64s(&self.obj, tag)
    }

    /// The first value of an integer attribute.
    pub fn int(&self, tag: Tag) -> Option<i64> {
        attr::int(&self.obj, tag)
    }

    /// SOP Class UID (0008,0016), falling back to Media Storage SOP Class UID (0002,0002).
    pub fn sop_class_uid(&self) -> Option<String> {
        self.string(tags::SOP_CLASS_UID)
            .or_else(|| non_empty(self.meta().media_storage_sop_class_uid()))
    }

    /// SOP Instance UID (0008,0018), falling back to Media Storage SOP Instance UID (0002,0003).
    pub fn sop_instance_uid(&self) -> Option<String> {
        self.string(tags::SOP_INSTANCE_UID)
            .or_else(|| non_empty(self.meta().media_storage_sop_instance_uid()))
    }

    /// Study Instance UID (0020,000D).
    pub fn study_instance_uid(&self) -> Option<String> {
        self.string(tags::STUDY_INSTANCE_UID)
    }

    /// Series Instance UID (0020,000E).
    pub fn series_instance_uid(&self) -> Option<String> {
        self.string(tags::SERIES_INSTANCE_UID)
    }

    /// The PS3.6 name of the SOP Class (e.g. "CT Image Storage"), when the UID is a standard one.
    pub fn sop_class_name(&self) -> Option<&'static str> {
        use dicom_core::dictionary::{UidDictionary, UidDictionaryEntry};
        let uid = self.sop_class_uid()?;
        dicom_dictionary_std::StandardSopClassDictionary
            .by_uid(&uid)
            .map(|e| e.name())
    }

    /// The Image Pixel attributes; [`Error::MissingPixelData`] when the object holds no image.
    pub fn image_info(&self) -> Result<ImageInfo> {
        ImageInfo::from_object(&self.obj)
    }

    /// Number of Frames (0028,0008), 1 when absent.
    pub fn number_of_frames(&self) -> u32 {
        match self.int(tags::NUMBER_OF_FRAMES) {
            Some(n) if n >= 1 && n <= u32::MAX as i64 => n as u32,
            _ => 1,
        }
    }

    /// Decode frame `index` (0-based) to stored values, without decoding the other frames.
    pub fn decode_frame(&self, index: u32) -> Result<Frame> {
        let info = self.image_info()?;
        decode::decode_frame(&self.obj, self.transfer_syntax(), &info, index)
    }
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim_matches(|c: char| c == ' ' || c == '\0');
    (!s.is_empty()).then(|| s.to_string())
}

/// Tell the transfer syntax of a data set that has no File Meta Information from its first element header.
/// Returns "meta-without-magic" when the bytes start with a group 0002 element (a meta group without "DICM").
fn sniff_bare_dataset(bytes: &[u8]) -> Result<&'static str> {
    let head: [u8; 8] = match bytes.get(..8).and_then(|b| b.try_into().ok()) {
        Some(h) => h,
        None => {
            return NotDicomSnafu {
                reason: format!("only {} bytes", bytes.len()),
            }
            .fail()
        }
    };
    let vr_is_explicit = EXPLICIT_VRS.iter().any(|vr| head[4..6] == vr[..]);
    let plausible_group = |g: u16| g % 2 == 0 && (0x0002..=0x0028).contains(&g);
    let group_le = u16::from_le_bytes([head[0], head[1]]);
    let group_be = u16::from_be_bytes([head[0], head[1]]);
    if plausible_group(group_le) {
        if group_le == 0x0002 {
            return Ok("meta-without-magic");
        }
        if vr_is_explicit {
            return Ok(EXPLICIT_VR_LITTLE_ENDIAN);
        }
        let length = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        if length == u32::MAX || (length as usize) <= bytes.len() - 8 {
            return Ok(IMPLICIT_VR_LITTLE_ENDIAN);
        }
    } else if plausible_group(group_be) && vr_is_explicit {
        return Ok(EXPLICIT_VR_BIG_ENDIAN);
    }
    NotDicomSnafu {
        reason:
            "no \"DICM\" prefix at byte 0 or 128, and the first bytes are not a DICOM data element"
                .to_string(),
    }
    .fail()
}

/// Turn a dicom-object read error into a user-facing one, telling truncation apart from other parse failures.
fn classify_read_error(e: &dicom_object::ReadError) -> Error {
    let mut chain = vec![e.to_string()];
    let mut truncated = false;
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::UnexpectedEof {
                truncated = true;
            }
        }
        let text = s.to_string();
        if text.contains("UnexpectedEof") || text.contains("failed to fill whole buffer") {
            truncated = true;
        }
        chain.push(text);
        source = s.source();
    }
    chain.dedup();
    let detail = chain.join(": ");
    if let dicom_object::ReadError::ReadUnsupportedTransferSyntax { uid, name, .. }
    | dicom_object::ReadError::ReadUnsupportedTransferSyntaxWithSuggestion {
        uid, name, ..
    } = e
    {
        return Error::UnsupportedTransferSyntax {
            uid: uid.to_string(),
            name: name.to_string(),
        };
    }
    if let dicom_object::ReadError::ReadUnrecognizedTransferSyntax { uid, .. } = e {
        return Error::UnsupportedTransferSyntax {
            uid: uid.clone(),
            name: transfer_syntax::name(uid).to_string(),
        };
    }
    if truncated {
        Error::Truncated { detail }
    } else if matches!(e, dicom_object::ReadError::ParseMetaDataSet { .. }) {
        Error::NotDicom { reason: detail }
    } else {
        Error::Parse { detail }
    }
}

/// Refuse a data set in which some element declares a value longer than the bytes that follow its header.
///
/// Found by fuzzing (`fuzz/regressions/dicom_parse/`, docs/FUZZING.md): dicom-parser 0.10.1 sizes its read
/// buffer from the declared length *before* reading (`Vec::resize_with` for text values, infallibly), so a file
/// of a few hundred bytes declaring a 4 GiB string made it allocate and zero-fill 4 GiB — an abort where that
/// much memory is not available (wasm32, the browser viewer) and seconds of work elsewhere. The whole input is
/// in memory here, so every defined length can be checked against what is left before dicom-parser sees it.
///
/// This walks element headers only, without a dictionary: sequences and items are stepped into (their elements
/// follow), fragments of encapsulated Pixel Data are skipped, and a defined-length implicit-VR value that starts
/// with an Item tag is treated as a sequence. Where the encoding cannot be followed without a dictionary (an
/// undefined-length UN, whose contents are implicit VR) or is compressed (deflated syntaxes), it stops checking
/// and leaves the rest to dicom-parser: it only ever rejects a declared length that cannot fit in the input.
fn check_declared_lengths(data: &[u8], ts_uid: &str) -> Result<()> {
    let ts_uid = ts_uid.trim_end_matches(['\0', ' ']);
    let (explicit, big_endian) = match ts_uid {
        IMPLICIT_VR_LITTLE_ENDIAN => (false, false),
        EXPLICIT_VR_BIG_ENDIAN => (true, true),
        transfer_syntax::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN => return Ok(()),
        // Every other syntax, known or not, encodes its data set in Explicit VR Little Endian (PS3.5 A.4).
        _ => (true, false),
    };
    let u16_at = |p: usize| {
        let b = [data[p], data[p + 1]];
        if big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        }
    };
    let u32_at = |p: usize| {
        let b = [data[p], data[p + 1], data[p + 2], data[p + 3]];
        if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    };
    const UNDEFINED: u32 = u32::MAX;
    let mut pos = 0usize;
    // Inside undefined-length encapsulated Pixel Data, whose items are opaque fragments.
    let mut in_fragments = false;
    while data.len() - pos >= 8 {
        let (group, element) = (u16_at(pos), u16_at(pos + 2));
        let (header, length, vr) = if group == 0xFFFE {
            (8, u32_at(pos + 4), None)
        } else if explicit {
            let vr = [data[pos + 4], data[pos + 5]];
            if EXPLICIT_VRS.iter().any(|v| **v == vr) && !is_long_vr(vr) {
                (8, u32::from(u16_at(pos + 6)), Some(vr))
            } else {
                // OB, SQ, UN, … and (as dicom-parser reads them) unknown VRs: 2 reserved bytes, 32-bit length.
                if data.len() - pos < 12 {
                    break;
                }
                (12, u32_at(pos + 8), Some(vr))
            }
        } else {
            (8, u32_at(pos + 4), None)
        };
        pos += header;
        let rest = data.len() - pos;
        if group == 0xFFFE {
            match element {
                // A fragment: opaque bytes. A data-set item: its elements follow.
                // A fragment cut short (a partly received file) is left to the pixel-data decoder, which reports
                // the frames it cannot decode and keeps the others: dicom-parser reads fragments with a fallible
                // allocation, and nothing after the last fragment needs checking.
                0xE000 if in_fragments => {
                    if (length as usize) > rest {
                        return Ok(());
                    }
                    pos += length as usize;
                }
                0xE000 if length != UNDEFINED => ensure_fits(group, element, length, rest)?,
                0xE0DD => in_fragments = false,
                _ => {}
            }
            continue;
        }
        if length == UNDEFINED {
            match vr {
                Some(vr) if &vr == b"UN" => return Ok(()),
                Some(vr) if &vr != b"SQ" => in_fragments = true,
                None if (group, element) == (0x7FE0, 0x0010) => in_fragments = true,
                _ => {}
            }
            continue;
        }
        ensure_fits(group, element, length, rest)?;
        let starts_with_item = length >= 8 && u16_at(pos) == 0xFFFE && u16_at(pos + 2) == 0xE000;
        let is_sequence = match vr {
            Some(vr) => &vr == b"SQ",
            None => starts_with_item,
        };
        if !is_sequence {
            pos += length as usize;
        }
    }
    Ok(())
}

fn is_long_vr(vr: [u8; 2]) -> bool {
    matches!(
        &vr,
        b"OB"
            | b"OD"
            | b"OF"
            | b"OL"
            | b"OV"
            | b"OW"
            | b"SQ"
            | b"SV"
            | b"UC"
            | b"UN"
            | b"UR"
            | b"UT"
            | b"UV"
    )
}

fn ensure_fits(group: u16, element: u16, length: u32, rest: usize) -> Result<()> {
    ensure!(
        length as usize <= rest,
        TruncatedSnafu {
            detail: format!(
                "element ({group:04X},{element:04X}) declares {length} bytes, but only {rest} follow"
            )
        }
    );
    Ok(())
}
