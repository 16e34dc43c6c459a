//! Signing and verifying what crosses the service's edge: Standard Webhooks signatures (the
//! pre-send webhook in, alerts out) and a constant-time comparison for every secret presented.
//! Pure functions on bytes: no I/O, nothing of the rest of the crate.
pub mod standard_webhooks;

pub use standard_webhooks::{SignatureError, SigningKey};

/// Compares two secrets in time that depends only on their lengths, never on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn equal_only_when_every_byte_and_the_length_match() {
        assert!(constant_time_eq(b"secret-token", b"secret-token"));
        assert!(!constant_time_eq(b"secret-token", b"secret-tokeN"));
        assert!(!constant_time_eq(b"secret", b"secret-token"));
        assert!(constant_time_eq(b"", b""));
    }
}
