//! SendGrid's Signed Event Webhook: an ECDSA P-256 signature (SHA-256, base64 DER) in
//! `X-Twilio-Email-Event-Webhook-Signature` over the `X-Twilio-Email-Event-Webhook-Timestamp`
//! header value followed by the raw body bytes — exactly what SendGrid's own libraries verify.
//! The key is the base64 DER SubjectPublicKeyInfo SendGrid shows for each webhook. The body is
//! hashed as it streams in, so a large batch is never held twice.
use super::BodyVerifier;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::signature::hazmat::PrehashVerifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use serde::{Deserialize, Deserializer};
use sha2::{Digest, Sha256};
use std::fmt;

pub const SIGNATURE_HEADER: &str = "X-Twilio-Email-Event-Webhook-Signature";
pub const TIMESTAMP_HEADER: &str = "X-Twilio-Email-Event-Webhook-Timestamp";

/// How far ahead of our clock a timestamp may be (clocks drift); how far behind is configured.
const FUTURE_SKEW_SECS: i64 = 5 * 60;

/// One webhook's verification key.
#[derive(Clone, PartialEq, Eq)]
pub struct VerificationKey(VerifyingKey);

impl VerificationKey {
    /// Reads the key as SendGrid shows it: base64 of the DER SubjectPublicKeyInfo (a PEM's
    /// `-----BEGIN PUBLIC KEY-----` lines are accepted around it too).
    pub fn from_base64(text: &str) -> Result<Self, String> {
        let b64: String = text
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<String>()
            .split_whitespace()
            .collect();
        let der = STANDARD
            .decode(b64)
            .map_err(|_| "is not base64 (paste the verification key SendGrid shows)".to_owned())?;
        VerifyingKey::from_public_key_der(&der)
            .map(Self)
            .map_err(|e| format!("is not an ECDSA P-256 public key: {e}"))
    }
}

impl fmt::Debug for VerificationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VerificationKey(P-256)")
    }
}

impl<'de> Deserialize<'de> for VerificationKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = super::secret_text(d)?;
        VerificationKey::from_base64(&text).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendgridError {
    #[error("missing {0} header")]
    Missing(&'static str),
    #[error("{TIMESTAMP_HEADER} is not a Unix time in seconds")]
    BadTimestamp,
    #[error("{TIMESTAMP_HEADER} is older than {0} s (events.sendgrid.max_age_s) or in the future")]
    Stale(u64),
    #[error("{SIGNATURE_HEADER} is not a base64 DER ECDSA signature")]
    BadSignature,
    #[error("the signature does not match any configured verification key")]
    Mismatch,
}

/// A delivery being verified: the timestamp checked up front, the body hashed as it arrives.
pub struct SendgridVerifier<'k> {
    keys: &'k [VerificationKey],
    signature: Signature,
    hash: Sha256,
}

impl<'k> SendgridVerifier<'k> {
    /// Starts verifying a delivery with these headers at `now` (Unix seconds).
    pub fn start(
        keys: &'k [VerificationKey],
        timestamp: Option<&str>,
        signature: Option<&str>,
        now: i64,
        max_age_s: u64,
    ) -> Result<Self, SendgridError> {
        let timestamp = timestamp.ok_or(SendgridError::Missing(TIMESTAMP_HEADER))?;
        let signature = signature.ok_or(SendgridError::Missing(SIGNATURE_HEADER))?;
        let at: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| SendgridError::BadTimestamp)?;
        let age = now.saturating_sub(at);
        if age > i64::try_from(max_age_s).unwrap_or(i64::MAX) || age < -FUTURE_SKEW_SECS {
            return Err(SendgridError::Stale(max_age_s));
        }
        let der = STANDARD
            .decode(signature.trim())
            .map_err(|_| SendgridError::BadSignature)?;
        let signature = Signature::from_der(&der).map_err(|_| SendgridError::BadSignature)?;
        let mut hash = Sha256::new();
        // The header's value as sent, byte for byte (SendGrid's libraries do not trim it).
        hash.update(timestamp.as_bytes());
        Ok(Self {
            keys,
            signature,
            hash,
        })
    }

    /// Verifies a whole body at once.
    pub fn verify(mut self, body: &[u8]) -> Result<(), SendgridError> {
        self.hash.update(body);
        self.check()
    }

    fn check(self) -> Result<(), SendgridError> {
        let prehash = self.hash.finalize();
        let matched = self.keys.iter().any(|k| {
            PrehashVerifier::<Signature>::verify_prehash(&k.0, &prehash, &self.signature).is_ok()
        });
        if matched {
            Ok(())
        } else {
            Err(SendgridError::Mismatch)
        }
    }
}

impl BodyVerifier for SendgridVerifier<'_> {
    fn update(&mut self, chunk: &[u8]) {
        self.hash.update(chunk);
    }

    fn finish(self: Box<Self>) -> Result<(), String> {
        (*self).check().map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A vector from SendGrid's own library (`@sendgrid/eventwebhook`'s tests), kept in
    /// `fixtures/providers/sendgrid/`: key, timestamp, the exact body bytes, signature.
    struct Vector {
        key: String,
        timestamp: String,
        body: Vec<u8>,
        signature: String,
    }

    fn vector(name: &str) -> Vector {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/providers/sendgrid");
        let meta: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join(format!("{name}.json"))).unwrap())
                .unwrap();
        Vector {
            key: meta["verification_key"].as_str().unwrap().to_owned(),
            timestamp: meta["timestamp"].as_str().unwrap().to_owned(),
            signature: meta["signature"].as_str().unwrap().to_owned(),
            body: std::fs::read(dir.join(format!("{name}.body"))).unwrap(),
        }
    }

    fn check(v: &Vector, keys: &[VerificationKey], body: &[u8]) -> Result<(), SendgridError> {
        let now = v.timestamp.parse::<i64>().unwrap() + 30;
        SendgridVerifier::start(keys, Some(&v.timestamp), Some(&v.signature), now, 86_400)?
            .verify(body)
    }

    #[test]
    fn sendgrids_own_vectors_verify_with_their_key_among_several() {
        let single = vector("single-event");
        let multiple = vector("multiple-events");
        let keys = [
            VerificationKey::from_base64(&multiple.key).unwrap(),
            VerificationKey::from_base64(&single.key).unwrap(),
        ];
        assert_eq!(check(&single, &keys, &single.body), Ok(()));
        assert_eq!(check(&multiple, &keys, &multiple.body), Ok(()));
        // Only the other webhook's key: no match.
        assert_eq!(
            check(&single, &keys[..1], &single.body),
            Err(SendgridError::Mismatch)
        );
    }

    #[test]
    fn the_raw_bytes_are_what_is_signed() {
        let v = vector("single-event");
        let keys = [VerificationKey::from_base64(&v.key).unwrap()];
        let mut tampered = v.body.clone();
        tampered[10] ^= 1;
        assert_eq!(check(&v, &keys, &tampered), Err(SendgridError::Mismatch));
        // The same JSON, re-serialized (no trailing CRLF, other spacing), no longer verifies.
        let value: serde_json::Value = serde_json::from_slice(&v.body).unwrap();
        let again = serde_json::to_vec(&value).unwrap();
        assert_ne!(again, v.body);
        assert_eq!(check(&v, &keys, &again), Err(SendgridError::Mismatch));
        // Fed in pieces as the body streams, it verifies the same.
        let mut streamed: Box<dyn BodyVerifier> = Box::new(
            SendgridVerifier::start(
                &keys,
                Some(&v.timestamp),
                Some(&v.signature),
                v.timestamp.parse::<i64>().unwrap(),
                60,
            )
            .unwrap(),
        );
        for chunk in v.body.chunks(7) {
            streamed.update(chunk);
        }
        assert_eq!(streamed.finish(), Ok(()));
    }

    #[test]
    fn stale_missing_and_malformed_headers_are_refused() {
        let v = vector("single-event");
        let keys = [VerificationKey::from_base64(&v.key).unwrap()];
        let at: i64 = v.timestamp.parse().unwrap();
        let start = |ts: Option<&str>, sig: Option<&str>, now: i64, max: u64| {
            SendgridVerifier::start(&keys, ts, sig, now, max).map(|_| ())
        };
        let (ts, sig) = (Some(v.timestamp.as_str()), Some(v.signature.as_str()));
        assert_eq!(start(ts, sig, at + 86_400, 86_400), Ok(()));
        assert_eq!(
            start(ts, sig, at + 86_401, 86_400),
            Err(SendgridError::Stale(86_400))
        );
        assert_eq!(
            start(ts, sig, at - 3600, 86_400),
            Err(SendgridError::Stale(86_400))
        );
        assert_eq!(
            start(None, sig, at, 60),
            Err(SendgridError::Missing(TIMESTAMP_HEADER))
        );
        assert_eq!(
            start(ts, None, at, 60),
            Err(SendgridError::Missing(SIGNATURE_HEADER))
        );
        assert_eq!(
            start(Some("soon"), sig, at, 60),
            Err(SendgridError::BadTimestamp)
        );
        assert_eq!(
            start(ts, Some("bm90IGEgc2lnbmF0dXJl"), at, 60),
            Err(SendgridError::BadSignature)
        );
    }

    #[test]
    fn keys_must_be_p256_public_keys() {
        let v = vector("single-event");
        let pem = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----",
            v.key
        );
        assert!(VerificationKey::from_base64(&pem).is_ok());
        assert!(VerificationKey::from_base64("%%%").is_err());
        assert!(VerificationKey::from_base64("c2hvcnQ=").is_err());
    }
}
