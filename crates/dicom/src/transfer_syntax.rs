//! Which transfer syntaxes (PS3.5 section 10 and Annex A) Lumen knows by name, and how each one's pixel data is
//! decoded. This is a table, not a decoder: it must not touch pixel data.

/// How the pixel data of a transfer syntax is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelEncoding {
    /// Native (uncompressed) pixel data: Implicit/Explicit VR Little Endian, Explicit VR Big Endian and
    /// Deflated Explicit VR Little Endian (the whole data set is deflated, the pixel data itself is native).
    Native,
    /// Encapsulated Uncompressed Explicit VR Little Endian: native frames inside fragments.
    EncapsulatedUncompressed,
    /// RLE Lossless (PS3.5 Annex G), decoded by Lumen itself.
    RleLossless,
    /// JPEG Baseline (Process 1) and Extended (Processes 2 & 4) via lumen-codec-jpeg, JPEG Lossless (Processes 14
    /// and 14 SV1) via dicom-pixeldata.
    Jpeg,
    /// JPEG 2000 Part 1 (lossless only, and lossy) and High-Throughput JPEG 2000 (Part 15: lossless, lossless RPCL
    /// and lossy), via dicom-pixeldata/openjp2, whose decoder reads both block coders.
    Jpeg2000,
    /// JPEG-LS lossless and near-lossless (ITU-T T.87), via lumen-codec-jpegls.
    JpegLs,
    /// Known to Lumen, but its pixel data cannot be decoded yet.
    Unsupported,
}

/// A transfer syntax Lumen knows: its UID, its PS3.6 name and how its pixel data is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferSyntaxInfo {
    /// The Transfer Syntax UID (0002,0010).
    pub uid: &'static str,
    /// The name from PS3.6 Annex A.
    pub name: &'static str,
    /// How pixel data in this syntax is decoded.
    pub encoding: PixelEncoding,
}

/// Implicit VR Little Endian, the DICOM default transfer syntax.
pub const IMPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2";
/// Explicit VR Little Endian.
pub const EXPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2.1";
/// Deflated Explicit VR Little Endian.
pub const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2.1.99";
/// Explicit VR Big Endian (retired).
pub const EXPLICIT_VR_BIG_ENDIAN: &str = "1.2.840.10008.1.2.2";

use PixelEncoding::*;

const TABLE: &[TransferSyntaxInfo] = &[
    ts(
        IMPLICIT_VR_LITTLE_ENDIAN,
        "Implicit VR Little Endian",
        Native,
    ),
    ts(
        EXPLICIT_VR_LITTLE_ENDIAN,
        "Explicit VR Little Endian",
        Native,
    ),
    ts(
        "1.2.840.10008.1.2.1.98",
        "Encapsulated Uncompressed Explicit VR Little Endian",
        EncapsulatedUncompressed,
    ),
    ts(
        DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
        "Deflated Explicit VR Little Endian",
        Native,
    ),
    ts(EXPLICIT_VR_BIG_ENDIAN, "Explicit VR Big Endian", Native),
    ts("1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)", Jpeg),
    ts(
        "1.2.840.10008.1.2.4.51",
        "JPEG Extended (Process 2 & 4)",
        Jpeg,
    ),
    ts(
        "1.2.840.10008.1.2.4.57",
        "JPEG Lossless, Non-Hierarchical (Process 14)",
        Jpeg,
    ),
    ts(
        "1.2.840.10008.1.2.4.70",
        "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])",
        Jpeg,
    ),
    ts(
        "1.2.840.10008.1.2.4.80",
        "JPEG-LS Lossless Image Compression",
        JpegLs,
    ),
    ts(
        "1.2.840.10008.1.2.4.81",
        "JPEG-LS Lossy (Near-Lossless) Image Compression",
        JpegLs,
    ),
    ts(
        "1.2.840.10008.1.2.4.90",
        "JPEG 2000 Image Compression (Lossless Only)",
        Jpeg2000,
    ),
    ts(
        "1.2.840.10008.1.2.4.91",
        "JPEG 2000 Image Compression",
        Jpeg2000,
    ),
    ts(
        "1.2.840.10008.1.2.4.92",
        "JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)",
        Unsupported,
    ),
    ts(
        "1.2.840.10008.1.2.4.93",
        "JPEG 2000 Part 2 Multi-component Image Compression",
        Unsupported,
    ),
    ts("1.2.840.10008.1.2.4.94", "JPIP Referenced", Unsupported),
    ts(
        "1.2.840.10008.1.2.4.95",
        "JPIP Referenced Deflate",
        Unsupported,
    ),
    ts(
        "1.2.840.10008.1.2.4.100",
        "MPEG2 Main Profile / Main Level",
        Unsupported,
    ),
    ts(
        "1.2.840.10008.1.2.4.101",
        "MPEG2 Main Profile / High Level",
        Unsupported,
    ),
    ts(
        "1.2.840.10008.1.2.4.102",
        "MPEG-4 AVC/H.264 High Profile / Level 4.1",
        Unsupported,
    ),
    ts(
        "1.2.840.10008.1.2.4.103",
        "MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1",
        Unsupported,
    ),
    ts(
        "1.2.840.10008.1.2.4.104",
        "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video",
        Unsupported,
    ),
    ts(
        "1.2.840.10008.1.2.4.105",
        "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video",
        Unsupported,
    ),
    ts(
        "1.2.840.10008.1.2.4.106",
        "MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2",
        Unsupported,
    ),
    ts(
        "1.2.840.10008.1.2.4.107",
        "HEVC/H.265 Main Profile / Level 5.1",
        Unsupported,
    ),
    ts(
        "1.2.840.10008.1.2.4.108",
        "HEVC/H.265 Main 10 Profile / Level 5.1",
        Unsupported,
    ),
    ts("1.2.840.10008.1.2.4.110", "JPEG XL Lossless", Unsupported),
    ts(
        "1.2.840.10008.1.2.4.111",
        "JPEG XL JPEG Recompression",
        Unsupported,
    ),
    ts("1.2.840.10008.1.2.4.112", "JPEG XL", Unsupported),
    ts(
        "1.2.840.10008.1.2.4.201",
        "High-Throughput JPEG 2000 Image Compression (Lossless Only)",
        Jpeg2000,
    ),
    ts(
        "1.2.840.10008.1.2.4.202",
        "High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)",
        Jpeg2000,
    ),
    ts(
        "1.2.840.10008.1.2.4.203",
        "High-Throughput JPEG 2000 Image Compression",
        Jpeg2000,
    ),
    ts(
        "1.2.840.10008.1.2.4.204",
        "JPIP HTJ2K Referenced",
        Unsupported,
    ),
    ts(
        "1.2.840.10008.1.2.4.205",
        "JPIP HTJ2K Referenced Deflate",
        Unsupported,
    ),
    ts("1.2.840.10008.1.2.5", "RLE Lossless", RleLossless),
    ts(
        "1.2.840.10008.1.2.6.1",
        "RFC 2557 MIME encapsulation",
        Unsupported,
    ),
    ts("1.2.840.10008.1.2.6.2", "XML Encoding", Unsupported),
    ts(
        "1.2.840.10008.1.2.7.1",
        "SMPTE ST 2110-20 Uncompressed Progressive Active Video",
        Unsupported,
    ),
    ts(
        "1.2.840.10008.1.2.7.2",
        "SMPTE ST 2110-20 Uncompressed Interlaced Active Video",
        Unsupported,
    ),
    ts(
        "1.2.840.10008.1.2.7.3",
        "SMPTE ST 2110-30 PCM Digital Audio",
        Unsupported,
    ),
    ts(
        "1.2.840.10008.1.2.8.1",
        "Deflated Image Frame Compression",
        Unsupported,
    ),
];

const fn ts(uid: &'static str, name: &'static str, encoding: PixelEncoding) -> TransferSyntaxInfo {
    TransferSyntaxInfo {
        uid,
        name,
        encoding,
    }
}

/// Look up a Transfer Syntax UID (trailing NUL/space padding is ignored). Unknown UIDs give an entry named
/// "unknown transfer syntax" whose pixel data is unsupported.
pub fn lookup(uid: &str) -> TransferSyntaxInfo {
    let uid = uid.trim_end_matches(['\0', ' ']);
    TABLE
        .iter()
        .find(|t| t.uid == uid)
        .copied()
        .unwrap_or(TransferSyntaxInfo {
            uid: "",
            name: "unknown transfer syntax",
            encoding: Unsupported,
        })
}

/// The PS3.6 name of a Transfer Syntax UID, or "unknown transfer syntax".
pub fn name(uid: &str) -> &'static str {
    lookup(uid).name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_syntaxes_are_named_and_classified() {
        assert_eq!(name("1.2.840.10008.1.2.4.50"), "JPEG Baseline (Process 1)");
        assert_eq!(
            lookup("1.2.840.10008.1.2.4.51").encoding,
            PixelEncoding::Jpeg
        );
        assert_eq!(
            lookup("1.2.840.10008.1.2.4.70\0").encoding,
            PixelEncoding::Jpeg
        );
        assert_eq!(
            lookup("1.2.840.10008.1.2.4.80").encoding,
            PixelEncoding::JpegLs
        );
        assert_eq!(
            lookup("1.2.840.10008.1.2.4.203").encoding,
            PixelEncoding::Jpeg2000
        );
        assert_eq!(
            lookup("1.2.840.10008.1.2.4.204").encoding,
            PixelEncoding::Unsupported
        );
        assert_eq!(
            lookup("1.2.840.10008.1.2.5").encoding,
            PixelEncoding::RleLossless
        );
    }

    #[test]
    fn unknown_uid_is_unsupported() {
        let info = lookup("1.2.3.4");
        assert_eq!(info.name, "unknown transfer syntax");
        assert_eq!(info.encoding, PixelEncoding::Unsupported);
    }
}
