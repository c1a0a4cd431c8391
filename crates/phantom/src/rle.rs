//! RLE Lossless encoder (transfer syntax 1.2.840.10008.1.2.5), as specified in DICOM PS3.5 Annex G.
//!
//! A frame is split into *segments*: one per byte of each sample, most significant byte first, colour
//! components in order (R, G, B) — so 16-bit greyscale gives 2 segments and 8-bit RGB gives 3. Each segment is
//! compressed row by row with the PackBits scheme of G.3.1 (a header byte `n` in 0..=127 copies the next `n+1`
//! bytes literally; `n` in -127..=-1 repeats the next byte `1-n` times; -128 is never written) and padded to an
//! even length. The 64-byte RLE header holds the number of segments and their offsets (little endian).
//!
//! This module only encodes; it never decodes for display (that is `lumen-dicom`'s job) and it never writes files.

use snafu::{ensure, Snafu};

/// Why a frame cannot be RLE encoded.
#[derive(Debug, Snafu, PartialEq, Eq)]
pub enum RleError {
    /// PS3.5 G.5 allows at most 15 segments in one frame.
    #[snafu(display(
        "RLE Lossless allows at most 15 segments per frame, but {samples_per_pixel} samples of {bytes_per_sample} bytes need {}",
        samples_per_pixel * bytes_per_sample
    ))]
    TooManySegments {
        samples_per_pixel: usize,
        bytes_per_sample: usize,
    },
    /// _Rows_ or _Columns_ is zero: there is nothing to encode.
    #[snafu(display("cannot RLE-encode an empty frame ({rows}×{columns})"))]
    EmptyFrame { rows: usize, columns: usize },
    /// The frame buffer does not hold Rows × Columns × Samples per Pixel × bytes per sample bytes.
    #[snafu(display("RLE frame has {actual} bytes, but {rows}×{columns} pixels need {expected}"))]
    FrameSize {
        rows: usize,
        columns: usize,
        expected: usize,
        actual: usize,
    },
}

/// Encode one row (or any byte string) with PackBits as used by PS3.5 G.3.1, appending to `out`.
///
/// Replicate runs are used for three or more equal bytes; shorter repeats stay inside literal runs, where they
/// cost the same and keep literal runs long. Runs never exceed 128 bytes.
pub fn pack_bits(row: &[u8], out: &mut Vec<u8>) {
    let mut literal_start = 0;
    let mut i = 0;
    while i < row.len() {
        let byte = row[i];
        let run = row[i..]
            .iter()
            .take(128)
            .take_while(|&&b| b == byte)
            .count();
        if run >= 3 {
            flush_literal(&row[literal_start..i], out);
            // Header -(run-1) as a two's-complement byte: 2..=128 repeats map to 0xFF..=0x81.
            out.push((257 - run) as u8);
            out.push(byte);
            i += run;
            literal_start = i;
        } else {
            i += run;
        }
    }
    flush_literal(&row[literal_start..], out);
}

fn flush_literal(bytes: &[u8], out: &mut Vec<u8>) {
    for chunk in bytes.chunks(128) {
        out.push((chunk.len() - 1) as u8);
        out.extend_from_slice(chunk);
    }
}

/// Encode one frame as an RLE Lossless fragment (header and segments), ready to be one item of the encapsulated
/// Pixel Data (7FE0,0010).
///
/// - `frame`: the native pixel bytes of one frame as in Explicit VR Little Endian: pixels in row-major order,
///   colour samples interleaved (_Planar Configuration_ 0), each sample little endian.
/// - `rows`, `columns`: _Rows_ (0028,0010) and _Columns_ (0028,0011).
/// - `samples_per_pixel`: _Samples per Pixel_ (0028,0002).
/// - `bytes_per_sample`: _Bits Allocated_ (0028,0100) / 8.
pub fn encode_frame(
    frame: &[u8],
    rows: usize,
    columns: usize,
    samples_per_pixel: usize,
    bytes_per_sample: usize,
) -> Result<Vec<u8>, RleError> {
    let segments = samples_per_pixel * bytes_per_sample;
    ensure!(
        (1..=15).contains(&segments),
        TooManySegmentsSnafu {
            samples_per_pixel,
            bytes_per_sample
        }
    );
    ensure!(rows > 0 && columns > 0, EmptyFrameSnafu { rows, columns });
    let expected = rows * columns * segments;
    ensure!(
        frame.len() == expected,
        FrameSizeSnafu {
            rows,
            columns,
            expected,
            actual: frame.len()
        }
    );

    let mut out = vec![0u8; 64];
    let mut offsets = Vec::with_capacity(segments);
    let mut plane = vec![0u8; columns];
    let pixel_stride = segments;
    for sample in 0..samples_per_pixel {
        // Most significant byte first (G.2): for a little-endian sample that is the last byte.
        for byte in (0..bytes_per_sample).rev() {
            offsets.push(out.len() as u32);
            let within_pixel = sample * bytes_per_sample + byte;
            for row in frame.chunks_exact(columns * pixel_stride) {
                for (dst, pixel) in plane.iter_mut().zip(row.chunks_exact(pixel_stride)) {
                    *dst = pixel[within_pixel];
                }
                pack_bits(&plane, &mut out);
            }
            if out.len() % 2 == 1 {
                out.push(0);
            }
        }
    }
    out[0..4].copy_from_slice(&(segments as u32).to_le_bytes());
    for (i, off) in offsets.iter().enumerate() {
        out[4 + 4 * i..8 + 4 * i].copy_from_slice(&off.to_le_bytes());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Independent PackBits decoder following G.3.2 literally, for round trips.
    fn unpack_bits(mut data: &[u8], expected: usize) -> Vec<u8> {
        let mut out = Vec::new();
        while out.len() < expected && !data.is_empty() {
            let n = data[0] as i8;
            data = &data[1..];
            if n >= 0 {
                let count = n as usize + 1;
                out.extend_from_slice(&data[..count]);
                data = &data[count..];
            } else if n != -128 {
                let count = 1 - n as isize;
                out.extend(std::iter::repeat_n(data[0], count as usize));
                data = &data[1..];
            }
        }
        out
    }

    fn decode_frame(fragment: &[u8], pixels: usize, segments: usize, bps: usize) -> Vec<u8> {
        let count = u32::from_le_bytes(fragment[0..4].try_into().unwrap()) as usize;
        assert_eq!(count, segments);
        let offsets: Vec<usize> = (0..count)
            .map(|i| {
                u32::from_le_bytes(fragment[4 + 4 * i..8 + 4 * i].try_into().unwrap()) as usize
            })
            .collect();
        let mut out = vec![0u8; pixels * segments];
        for (s, &off) in offsets.iter().enumerate() {
            let end = offsets.get(s + 1).copied().unwrap_or(fragment.len());
            let plane = unpack_bits(&fragment[off..end], pixels);
            assert_eq!(plane.len(), pixels);
            let sample = s / bps;
            let byte = bps - 1 - s % bps;
            for (p, v) in plane.into_iter().enumerate() {
                out[p * segments + sample * bps + byte] = v;
            }
        }
        out
    }

    #[test]
    fn pack_bits_hand_made_runs() {
        // 4×0x07 is a replicate run (-3 = 0xFD); "1 2" stays literal (header 1); 2×0x09 stays literal.
        let mut out = Vec::new();
        pack_bits(&[7, 7, 7, 7, 1, 2, 9, 9], &mut out);
        assert_eq!(out, vec![0xFD, 7, 3, 1, 2, 9, 9]);
    }

    #[test]
    fn pack_bits_splits_runs_at_128() {
        let mut out = Vec::new();
        pack_bits(&[5u8; 130], &mut out);
        // 128 repeats (header -127 = 0x81), then 2 leftover bytes as a literal run.
        assert_eq!(out, vec![0x81, 5, 1, 5, 5]);
        let literal: Vec<u8> = (0..=255u8).collect();
        let mut out = Vec::new();
        pack_bits(&literal, &mut out);
        assert_eq!(out.len(), 258);
        assert_eq!(out[0], 127);
        assert_eq!(out[129], 127);
        assert_eq!(unpack_bits(&out, 256), literal);
    }

    #[test]
    fn encode_frame_16bit_round_trip_with_msb_segment_first() {
        // 2×3 frame of u16 little endian: 0x0102 and 0xFFFF values.
        let values: [u16; 6] = [0x0102, 0x0102, 0x0102, 0xFFFF, 0x0000, 0x1234];
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let frag = encode_frame(&bytes, 2, 3, 1, 2).unwrap();
        assert_eq!(&frag[0..4], &2u32.to_le_bytes());
        assert_eq!(&frag[4..8], &64u32.to_le_bytes());
        // Segment 1 = high bytes: row 1 "01 01 01" is a replicate run of 3.
        assert_eq!(&frag[64..66], &[0xFE, 0x01]);
        assert_eq!(frag.len() % 2, 0);
        assert_eq!(decode_frame(&frag, 6, 2, 2), bytes);
    }

    #[test]
    fn encode_frame_rgb_round_trip_uses_three_segments() {
        let mut bytes = Vec::new();
        for i in 0..(17 * 13) {
            bytes.extend_from_slice(&[(i % 7) as u8, 200, (i / 13) as u8]);
        }
        let frag = encode_frame(&bytes, 13, 17, 3, 1).unwrap();
        assert_eq!(&frag[0..4], &3u32.to_le_bytes());
        assert_eq!(decode_frame(&frag, 17 * 13, 3, 1), bytes);
    }

    #[test]
    fn encode_frame_rejects_wrong_size_and_too_many_segments() {
        assert_eq!(
            encode_frame(&[0; 5], 2, 2, 1, 2),
            Err(RleError::FrameSize {
                rows: 2,
                columns: 2,
                expected: 8,
                actual: 5
            })
        );
        assert!(matches!(
            encode_frame(&[0; 64], 1, 1, 4, 4),
            Err(RleError::TooManySegments { .. })
        ));
    }
}
