//! Frames of an instance's Pixel Data (7FE0,0010) as WADO-RS sends them, and the choice of the transfer syntax to
//! send them in.
//!
//! Native (uncompressed) pixel data is cut into frames of Rows × Columns × Samples per Pixel × Bits Allocated / 8
//! bytes. Encapsulated pixel data (PS3.5 A.4) is split into frames from its fragments: one fragment per frame, or
//! grouped by the Basic Offset Table, or — without one — by the codestream start markers of JPEG / JPEG-LS / JPEG
//! 2000. This module never decodes compressed data and never touches files.

use crate::error::{self, Result};
use dicom_core::value::Value;
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use snafu::OptionExt;

/// Implicit VR Little Endian.
pub const IMPLICIT_VR_LE: &str = "1.2.840.10008.1.2";
/// Explicit VR Little Endian: the default transfer syntax of WADO-RS (PS3.18 8.7.3.5.2).
pub const EXPLICIT_VR_LE: &str = "1.2.840.10008.1.2.1";
/// Deflated Explicit VR Little Endian.
pub const DEFLATED_EXPLICIT_VR_LE: &str = "1.2.840.10008.1.2.1.99";
/// Explicit VR Big Endian (retired).
pub const EXPLICIT_VR_BE: &str = "1.2.840.10008.1.2.2";

/// Whether pixel data in this transfer syntax is native (not encapsulated).
pub fn is_native(transfer_syntax: &str) -> bool {
    matches!(
        transfer_syntax,
        IMPLICIT_VR_LE | EXPLICIT_VR_LE | DEFLATED_EXPLICIT_VR_LE | EXPLICIT_VR_BE
    )
}

/// Whether the client's list of acceptable transfer syntaxes (`*` meaning any) contains `uid`.
pub fn accepts(accepted: &[String], uid: &str) -> bool {
    accepted.iter().any(|a| a == "*" || a == uid)
}

/// The raw frames of an instance, 1-based `numbers`, in the stored encoding: native frames as little-endian bytes,
/// encapsulated frames as their compressed bytes.
pub(crate) fn extract_frames(
    obj: &InMemDicomObject,
    sop_instance_uid: &str,
    numbers: &[u32],
) -> Result<Vec<Vec<u8>>> {
    let bad = |reason: String| {
        error::BadPixelDataSnafu {
            sop_instance_uid,
            reason,
        }
        .build()
    };
    let pixel = obj
        .element_opt(tags::PIXEL_DATA)
        .ok()
        .flatten()
        .context(error::NoPixelDataSnafu { sop_instance_uid })?;
    let frames = number_of_frames(obj);
    for &n in numbers {
        snafu::ensure!(
            n >= 1 && n <= frames,
            error::FrameOutOfRangeSnafu { frame: n, frames }
        );
    }
    match pixel.value() {
        Value::PixelSequence(seq) => {
            let all = split_fragments(seq.offset_table(), seq.fragments(), frames).map_err(bad)?;
            Ok(numbers
                .iter()
                .filter_map(|&n| all.get(n as usize - 1).cloned())
                .collect())
        }
        Value::Primitive(p) => {
            let bytes = p.to_bytes();
            let size = native_frame_size(obj).map_err(bad)?;
            numbers
                .iter()
                .map(|&n| {
                    let start = (n as usize - 1) * size;
                    bytes
                        .get(start..start + size)
                        .map(<[u8]>::to_vec)
                        .ok_or_else(|| {
                            bad(format!(
                                "Pixel Data holds {} bytes, too few for frame {n} of {size} bytes",
                                bytes.len()
                            ))
                        })
                })
                .collect()
        }
        Value::Sequence(_) => Err(bad("Pixel Data is a sequence of items".into())),
    }
}

/// Number of Frames (0028,0008), 1 when absent or invalid.
pub(crate) fn number_of_frames(obj: &InMemDicomObject) -> u32 {
    obj.element_opt(tags::NUMBER_OF_FRAMES)
        .ok()
        .flatten()
        .and_then(|e| e.to_int::<u32>().ok())
        .filter(|&n| n >= 1)
        .unwrap_or(1)
}

/// Bytes of one native frame: Rows (0028,0010) × Columns (0028,0011) × Samples per Pixel (0028,0002) × Bits
/// Allocated (0028,0100) / 8.
fn native_frame_size(obj: &InMemDicomObject) -> std::result::Result<usize, String> {
    let get = |tag, name: &str| -> std::result::Result<usize, String> {
        obj.element_opt(tag)
            .ok()
            .flatten()
            .and_then(|e| e.to_int::<usize>().ok())
            .ok_or_else(|| format!("{name} is missing or not a number"))
    };
    let rows = get(tags::ROWS, "Rows (0028,0010)")?;
    let columns = get(tags::COLUMNS, "Columns (0028,0011)")?;
    let samples = get(tags::SAMPLES_PER_PIXEL, "Samples per Pixel (0028,0002)").unwrap_or(1);
    let bits = get(tags::BITS_ALLOCATED, "Bits Allocated (0028,0100)")?;
    let bits_per_frame = rows
        .checked_mul(columns)
        .and_then(|v| v.checked_mul(samples))
        .and_then(|v| v.checked_mul(bits))
        .ok_or_else(|| "image dimensions overflow".to_string())?;
    if bits_per_frame == 0 || bits_per_frame % 8 != 0 {
        return Err(format!(
            "frames of {bits_per_frame} bits do not start on byte boundaries"
        ));
    }
    Ok(bits_per_frame / 8)
}

/// Groups the fragments of encapsulated Pixel Data into `frames` frames (PS3.5 A.4).
pub(crate) fn split_fragments(
    offset_table: &[u32],
    fragments: &[Vec<u8>],
    frames: u32,
) -> std::result::Result<Vec<Vec<u8>>, String> {
    let frames = frames as usize;
    if fragments.is_empty() {
        return Err("the pixel data has no fragments".into());
    }
    if frames == 1 {
        return Ok(vec![fragments.concat()]);
    }
    if fragments.len() == frames {
        return Ok(fragments.to_vec());
    }
    if fragments.len() < frames {
        return Err(format!(
            "{} fragments cannot hold {frames} frames",
            fragments.len()
        ));
    }
    let mut starts: Vec<usize> = Vec::with_capacity(frames);
    if offset_table.len() == frames {
        // The Basic Offset Table gives each frame's first byte, counted from the first fragment's item tag; each
        // fragment occupies an 8-byte item header plus its length.
        let mut position = 0u64;
        let positions: Vec<u64> = fragments
            .iter()
            .map(|f| {
                let p = position;
                position += 8 + f.len() as u64;
                p
            })
            .collect();
        for &offset in offset_table {
            let index = positions
                .iter()
                .position(|&p| p == u64::from(offset))
                .ok_or_else(|| {
                    format!("Basic Offset Table entry {offset} is not the start of a fragment")
                })?;
            starts.push(index);
        }
    } else {
        // No usable offset table: a new frame starts at each fragment opening with a codestream start marker.
        starts = fragments
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                f.starts_with(&[0xFF, 0xD8]) || f.starts_with(&[0xFF, 0x4F, 0xFF, 0x51])
            })
            .map(|(i, _)| i)
            .collect();
        if starts.len() != frames || starts.first() != Some(&0) {
            return Err(format!(
                "{} fragments for {frames} frames without a Basic Offset Table, and the frame boundaries cannot be found",
                fragments.len()
            ));
        }
    }
    if starts.windows(2).any(|w| w[0] >= w[1]) {
        return Err("the Basic Offset Table is not increasing".into());
    }
    let mut out = Vec::with_capacity(frames);
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(fragments.len());
        out.push(
            fragments
                .get(start..end)
                .map(|f| f.concat())
                .unwrap_or_default(),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_fragment_per_frame_maps_directly() {
        let f = vec![vec![1, 2], vec![3, 4]];
        assert_eq!(split_fragments(&[], &f, 2).unwrap(), f);
    }

    #[test]
    fn single_frame_concatenates_all_fragments() {
        let f = vec![vec![1, 2], vec![3], vec![4, 5]];
        assert_eq!(
            split_fragments(&[], &f, 1).unwrap(),
            vec![vec![1, 2, 3, 4, 5]]
        );
    }

    #[test]
    fn basic_offset_table_groups_fragments() {
        // Fragments of 4, 2 and 6 bytes: items start at 0, 12, 22. Frame 2 starts at the third fragment.
        let f = vec![
            vec![0xFF, 0xD8, 0, 0],
            vec![1, 1],
            vec![0xFF, 0xD8, 2, 2, 2, 2],
        ];
        let frames = split_fragments(&[0, 22], &f, 2).unwrap();
        assert_eq!(
            frames,
            vec![vec![0xFF, 0xD8, 0, 0, 1, 1], vec![0xFF, 0xD8, 2, 2, 2, 2]]
        );
    }

    #[test]
    fn offset_table_entry_inside_a_fragment_is_an_error() {
        let f = vec![vec![0; 4], vec![1; 2], vec![2; 6]];
        assert!(split_fragments(&[0, 5], &f, 2).is_err());
    }

    #[test]
    fn without_offset_table_jpeg_start_markers_delimit_frames() {
        let f = vec![vec![0xFF, 0xD8, 9], vec![7], vec![0xFF, 0xD8, 8]];
        assert_eq!(
            split_fragments(&[], &f, 2).unwrap(),
            vec![vec![0xFF, 0xD8, 9, 7], vec![0xFF, 0xD8, 8]]
        );
    }

    #[test]
    fn undelimitable_fragments_are_an_error() {
        let f = vec![vec![1], vec![2], vec![3]];
        assert!(split_fragments(&[], &f, 2).is_err());
    }

    #[test]
    fn star_accepts_everything() {
        assert!(accepts(&["*".into()], "1.2.840.10008.1.2.4.50"));
        assert!(!accepts(&[EXPLICIT_VR_LE.into()], "1.2.840.10008.1.2.4.50"));
    }
}
