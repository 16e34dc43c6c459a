//! Mailgun's webhook signature, carried in the body (`signature: {timestamp, token,
//! signature}`): the hex HMAC-SHA256 of `timestamp + token`, keyed with the account's HTTP
//! webhook signing key. Mailgun calls the staleness and one-time-token checks optional; the
//! staleness check is here, the token's single use is the store's (it is marked used in the
//! transaction that stores its event).
use super::{constant_time_eq, hex, hmac_sha256};

/// The `signature` object of a Mailgun webhook body.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct MailgunSignature {
    pub timestamp: String,
    pub token: String,
    pub signature: String,
}

/// The hex signature Mailgun sends for `timestamp` and `token` (for fakes and tests).
pub fn sign(key: &[u8], timestamp: &str, token: &str) -> String {
    hex(&hmac_sha256(key, &[timestamp.as_bytes(), token.as_bytes()]))
}

/// Whether `presented` is Mailgun's, made within `max_age_s` of `now` (either side: a clock
/// ahead of ours is skew, not an attack); why not, if it is not. Compared in constant time.
pub fn verify(
    key: &[u8],
    presented: &MailgunSignature,
    now: i64,
    max_age_s: u64,
) -> Result<(), String> {
    let at: i64 = presented
        .timestamp
        .trim()
        .parse()
        .map_err(|_| "signature.timestamp is not a Unix time".to_owned())?;
    if now.abs_diff(at) > max_age_s {
        return Err(format!(
            "signature.timestamp is {}s away from now (at most {max_age_s}s, [events.mailgun] max_age_s)",
            now.abs_diff(at)
        ));
    }
    if presented.token.is_empty() || presented.token.len() > 256 {
        return Err("signature.token must be 1 to 256 characters".into());
    }
    let expected = sign(key, &presented.timestamp, &presented.token);
    if constant_time_eq(
        presented.signature.trim().to_ascii_lowercase().as_bytes(),
        expected.as_bytes(),
    ) {
        Ok(())
    } else {
        Err("signature.signature does not match the timestamp and token".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Computed outside this code, as Mailgun's documentation does it in Python:
    /// `hmac.new(key, (timestamp + token).encode(), hashlib.sha256).hexdigest()`.
    const KEY: &[u8] = b"key-7c1ab3f0e9d24b8a96b1c0e4d5f6a7b8";
    const TIMESTAMP: &str = "1764633600";
    const TOKEN: &str = "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0";
    const SIGNATURE: &str = "dce6ebdfb2a0033c42c7ef51866757552c94d80d3f046aff5acc3a4f56e350c2";

    fn presented(signature: &str) -> MailgunSignature {
        MailgunSignature {
            timestamp: TIMESTAMP.into(),
            token: TOKEN.into(),
            signature: signature.into(),
        }
    }

    #[test]
    fn the_fixed_vector_verifies_and_anything_else_does_not() {
        let now = 1_764_633_600;
        assert_eq!(sign(KEY, TIMESTAMP, TOKEN), SIGNATURE);
        assert_eq!(verify(KEY, &presented(SIGNATURE), now, 300), Ok(()));
        assert_eq!(
            verify(KEY, &presented(&SIGNATURE.to_uppercase()), now, 300),
            Ok(())
        );
        assert!(verify(b"another-key", &presented(SIGNATURE), now, 300).is_err());
        let mut other_token = presented(SIGNATURE);
        other_token.token.push('0');
        assert!(verify(KEY, &other_token, now, 300).is_err());
        assert!(verify(KEY, &presented(""), now, 300).is_err());
    }

    #[test]
    fn a_signature_outside_the_window_is_stale_either_way() {
        let at = 1_764_633_600;
        assert!(verify(KEY, &presented(SIGNATURE), at + 300, 300).is_ok());
        assert!(verify(KEY, &presented(SIGNATURE), at - 300, 300).is_ok());
        let stale = verify(KEY, &presented(SIGNATURE), at + 301, 300).unwrap_err();
        assert!(stale.contains("max_age_s"), "{stale}");
        assert!(verify(KEY, &presented(SIGNATURE), at - 301, 300).is_err());
        let mut not_a_time = presented(SIGNATURE);
        not_a_time.timestamp = "yesterday".into();
        assert!(verify(KEY, &not_a_time, at, 300).is_err());
    }
}
