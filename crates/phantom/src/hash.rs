//! Deterministic hashing for the phantoms: UIDs under the `2.25` root (PS3.5 B.2, a UUID-sized integer) derived
//! from a stable name, and hash-based "noise" and "speckle" that look random but are the same on every run and
//! every platform. It must not use the clock, the OS random source or floating-point hashing that differs between
//! targets: everything here is integer arithmetic on fixed seeds.

/// SplitMix64 finaliser: a well-mixed 64-bit permutation (Steele, Lea & Flood 2014).
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hash of three integer coordinates and a seed, for voxel noise.
#[inline]
pub fn hash3(seed: u64, x: i64, y: i64, z: i64) -> u64 {
    let h = mix64(seed ^ (x as u64).wrapping_mul(0xA24B_AED4_963E_E407));
    let h = mix64(h ^ (y as u64).wrapping_mul(0x9FB2_1C65_1E98_DF25));
    mix64(h ^ (z as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F))
}

/// Uniform value in [0, 1) from a hash.
#[inline]
pub fn unit(h: u64) -> f64 {
    (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Zero-mean noise in [-amplitude, +amplitude] with a triangular distribution (sum of two uniforms), so most
/// values stay near zero like scanner noise does.
#[inline]
pub fn triangular_noise(h: u64, amplitude: f64) -> f64 {
    let a = unit(h);
    let b = unit(mix64(h));
    (a + b - 1.0) * amplitude
}

/// A small deterministic pseudo-random generator (SplitMix64 stream) for building the vessel tree.
#[derive(Debug, Clone)]
pub struct SplitMix {
    state: u64,
}

impl SplitMix {
    pub fn new(seed: u64) -> Self {
        SplitMix { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.state)
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * unit(self.next_u64())
    }
}

/// 128-bit FNV-1a over a byte string: stable across platforms and Rust versions.
fn fnv1a128(bytes: &[u8]) -> u128 {
    const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
    const PRIME: u128 = 0x0000000001000000000000000000013B;
    let mut h = OFFSET;
    for &b in bytes {
        h ^= b as u128;
        h = h.wrapping_mul(PRIME);
    }
    h
}

/// A deterministic UID `2.25.<decimal>` for a stable name such as `"lumen-demo/ct/series/1"`.
///
/// PS3.5 B.2 allows a UID made of the root `2.25` and a 128-bit integer in decimal (at most 44 characters, well
/// under the 64-character limit of the UI value representation). The integer is a hash of `name`, so the same
/// name always gives the same UID and different names practically never collide.
pub fn uid(name: &str) -> String {
    // Hash twice with different prefixes and fold, to spread FNV's weak low bits.
    let a = fnv1a128(name.as_bytes());
    let b = fnv1a128(format!("lumen:{name}").as_bytes());
    let mut v = a ^ b.rotate_left(64);
    // Keep 126 bits and avoid "0", so the integer never has a leading zero.
    v = (v >> 2) | 1;
    format!("2.25.{v}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_is_stable_valid_and_distinct() {
        let a = uid("lumen-demo/ct");
        assert_eq!(a, uid("lumen-demo/ct"));
        assert_ne!(a, uid("lumen-demo/mr"));
        assert!(a.starts_with("2.25."));
        assert!(a.len() <= 64);
        let digits = &a[5..];
        assert!(digits.chars().all(|c| c.is_ascii_digit()));
        assert!(!digits.starts_with('0'));
    }

    #[test]
    fn triangular_noise_stays_within_amplitude() {
        for i in 0..10_000 {
            let n = triangular_noise(hash3(7, i, -i, 3), 10.0);
            assert!((-10.0..=10.0).contains(&n));
        }
    }

    #[test]
    fn splitmix_is_deterministic() {
        let mut a = SplitMix::new(42);
        let mut b = SplitMix::new(42);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
    }
}
