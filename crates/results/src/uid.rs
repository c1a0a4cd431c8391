//! UIDs: the ones the report needs, checks, and `2.25` UIDs from UUIDs.

use crate::{Error, InvalidUidSnafu};
use snafu::ensure;

/// The UIDs a new report needs; random ones come from the caller (see [`uid_from_random_bits`]), so the crate
/// stays deterministic. The measurement group's Tracking Unique Identifier is `<instance>.1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUids {
    /// Series Instance UID of the new SR series.
    pub series: String,
    /// SOP Instance UID of the report.
    pub instance: String,
}

/// `2.25.<decimal>` (PS3.5 B.2) from 128 random bits the caller drew (`crypto.getRandomValues`, `getrandom`…); the
/// bits are stamped as a version 4 (random) UUID, so 122 of them count.
pub fn uid_from_random_bits(bits: u128) -> String {
    let uuid = (bits & !(0xF << 76) & !(0b11 << 62)) | (0x4 << 76) | (0b10 << 62);
    format!("2.25.{uuid}")
}

/// A stable Device Observer UID for one model version: `2.25.<decimal>` of a name-based UUID (version 8, from a
/// 128-bit FNV-1a hash of `lumen-model:<id>@<version>`), so every report of the same weights names the same
/// device and a PACS can group them.
pub fn device_observer_uid(model_id: &str, model_version: &str) -> String {
    const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
    const PRIME: u128 = 0x0000000001000000000000000000013B;
    let mut h = OFFSET;
    for b in format!("lumen-model:{model_id}@{model_version}").bytes() {
        h ^= u128::from(b);
        h = h.wrapping_mul(PRIME);
    }
    let uuid = (h & !(0xF << 76) & !(0b11 << 62)) | (0x8 << 76) | (0b10 << 62);
    format!("2.25.{uuid}")
}

/// True for a syntactically valid UID (PS3.5 9.1): 1–64 characters, components of digits without leading zeros.
pub(crate) fn is_valid_uid(uid: &str) -> bool {
    !uid.is_empty()
        && uid.len() <= 64
        && uid.split('.').all(|c| {
            !c.is_empty()
                && c.bytes().all(|b| b.is_ascii_digit())
                && (c == "0" || !c.starts_with('0'))
        })
}

pub(crate) fn check_uid(what: &str, uid: &str) -> Result<(), Error> {
    ensure!(is_valid_uid(uid), InvalidUidSnafu { what, uid });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_bits_give_valid_version_4_uids() {
        for bits in [0u128, u128::MAX, 0x0123_4567_89ab_cdef_0123_4567_89ab_cdef] {
            let uid = uid_from_random_bits(bits);
            assert!(is_valid_uid(&uid), "{uid}");
            let n: u128 = uid.strip_prefix("2.25.").unwrap().parse().unwrap();
            assert_eq!((n >> 76) & 0xF, 4, "{uid}: version nibble");
            assert_eq!((n >> 62) & 0b11, 0b10, "{uid}: variant");
        }
        assert_ne!(
            uid_from_random_bits(1 << 100),
            uid_from_random_bits(2 << 100)
        );
    }

    #[test]
    fn device_uids_are_stable_per_model_version() {
        let a = device_observer_uid("cxr-pneumonia", "1.0.0");
        assert_eq!(a, device_observer_uid("cxr-pneumonia", "1.0.0"));
        assert_ne!(a, device_observer_uid("cxr-pneumonia", "1.0.1"));
        assert_ne!(a, device_observer_uid("cxr-qc", "1.0.0"));
        assert!(is_valid_uid(&a), "{a}");
    }

    #[test]
    fn uid_syntax() {
        for ok in ["1.2.840.10008.5.1.4.1.1.88.22", "2.25.0", "1"] {
            assert!(is_valid_uid(ok), "{ok}");
        }
        for bad in ["", "1..2", "1.02", "1.2.", "1.2a", &"1.".repeat(33), " 1.2"] {
            assert!(!is_valid_uid(bad), "{bad:?}");
        }
    }
}
