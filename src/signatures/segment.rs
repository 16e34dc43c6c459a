//! Segment's webhook-destination signature: `X-Signature` is the hex HMAC-SHA1 of the raw
//! body, keyed with the destination's shared secret.
use super::{constant_time_eq, hex, hmac_sha1};

pub const SIGNATURE_HEADER: &str = "x-signature";

/// The header value Segment sends for `body` (for fakes and tests).
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    hex(&hmac_sha1(secret, body))
}

/// Whether `signature` is Segment's for `body`; why not, if it is not.
pub fn verify(secret: &[u8], body: &[u8], signature: &str) -> Result<(), String> {
    if constant_time_eq(
        signature.trim().to_ascii_lowercase().as_bytes(),
        sign(secret, body).as_bytes(),
    ) {
        Ok(())
    } else {
        Err(format!("{SIGNATURE_HEADER} does not match the body"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Computed outside this code, as Segment's documentation does it in Node:
    /// `crypto.createHmac('sha1', secret).update(body).digest('hex')`.
    const SECRET: &[u8] = b"segment-shared-secret";
    const BODY: &[u8] = br#"{"type":"track","event":"Order Completed","userId":"dana@example.com","messageId":"ajs-next-1764633600"}"#;
    const SIGNATURE: &str = "003944e874aec5fe801a8eae89aec380b8b6a5d0";

    #[test]
    fn the_fixed_vector_verifies_and_anything_else_does_not() {
        assert_eq!(sign(SECRET, BODY), SIGNATURE);
        assert_eq!(verify(SECRET, BODY, SIGNATURE), Ok(()));
        assert_eq!(verify(SECRET, BODY, &SIGNATURE.to_uppercase()), Ok(()));
        assert!(verify(b"another", BODY, SIGNATURE).is_err());
        assert!(verify(SECRET, &BODY[1..], SIGNATURE).is_err());
        assert!(verify(SECRET, BODY, "").is_err());
    }
}
