//! Signing and verifying what crosses the service's edge: Standard Webhooks signatures (the
//! pre-send webhook and events in, alerts out), SendGrid's signed event webhook, shared-secret
//! tokens (Bearer or Basic), and a constant-time comparison for every secret presented. Pure
//! functions on bytes: no I/O, nothing of the rest of the crate.
pub mod customerio;
pub mod mailgun;
pub mod segment;
pub mod sendgrid;
pub mod shopify;
pub mod sns;
pub mod standard_webhooks;
pub mod tokens;

pub use sendgrid::VerificationKey;
pub use standard_webhooks::{SignatureError, SigningKey};

/// A signature checked over a body as it streams in: fed every chunk, then asked once.
pub trait BodyVerifier: Send {
    fn update(&mut self, chunk: &[u8]);
    /// Whether the body fed so far is what was signed; why not, if it is not.
    fn finish(self: Box<Self>) -> Result<(), String>;
}

/// HMAC-SHA256 of the concatenated `parts`, keyed with `key`.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac =
        <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).expect("HMAC accepts any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

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
