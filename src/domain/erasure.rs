//! The do-not-contact list's key: what is kept of an erased address.
use crate::signatures::{hex, hmac_sha256};

/// HMAC-SHA256 of a normalised address (see `event::normalize_address`) under the instance's
/// erasure key, in hex. Without the key it cannot be reversed or tested against a guess; with
/// it, a later event for the same address is recognised.
pub fn address_hash(key: &[u8], address: &str) -> String {
    hex(&hmac_sha256(
        key,
        &[b"promiseguard-erased-address:", address.as_bytes()],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_keyed_and_stable() {
        let a = address_hash(b"key-one", "dana@example.com");
        assert_eq!(a.len(), 64);
        assert_eq!(a, address_hash(b"key-one", "dana@example.com"));
        assert_ne!(a, address_hash(b"key-two", "dana@example.com"));
        assert_ne!(a, address_hash(b"key-one", "dan@example.com"));
        assert!(!a.contains("dana"));
    }
}
