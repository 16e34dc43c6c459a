//! Standard Webhooks signatures: `webhook-id`, `webhook-timestamp` and `webhook-signature`
//! (`v1,<base64>` entries, space separated), HMAC-SHA256 over `id.timestamp.body` with the
//! key in `whsec_<base64>`. Comparison is constant-time (`Mac::verify_slice`).
use super::{BodyVerifier, KeyedHash};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer};
use std::fmt;

/// How far a timestamp may be from now, either way.
pub const TOLERANCE_SECS: i64 = 5 * 60;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing {0} header")]
    Missing(&'static str),
    #[error("webhook-timestamp is not a Unix time in seconds")]
    BadTimestamp,
    #[error("webhook-timestamp is more than 5 minutes away from now")]
    Stale,
    #[error("no signature matches")]
    Mismatch,
}

/// The key of a `whsec_…` secret, decoded once (when the configuration is read). Its `Debug`
/// never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey(Vec<u8>);

impl SigningKey {
    /// Decodes `whsec_<base64>` (the prefix is optional); the key must be at least 16 bytes.
    pub fn from_secret(secret: &str) -> Result<Self, String> {
        let b64 = secret.strip_prefix("whsec_").unwrap_or(secret);
        let key = STANDARD
            .decode(b64)
            .map_err(|_| "must be whsec_ followed by base64".to_owned())?;
        if key.len() < 16 {
            return Err("the key must be at least 16 bytes".into());
        }
        Ok(Self(key))
    }

    fn mac(&self, id: &str, timestamp: &str, body: &[u8]) -> KeyedHash {
        let mut mac = KeyedHash::new(&self.0);
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// The `webhook-signature` value for a message (outgoing webhooks sign with it).
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = self.mac(id, &timestamp.to_string(), body).finish();
        format!("v1,{}", STANDARD.encode(tag))
    }
}

/// Several keys at once — a secret being rotated: a delivery signed with any of them is
/// admitted, and what is sent carries one signature per key (`webhook-signature` holds
/// several, as Standard Webhooks intends, so a receiver can rotate too). Configured as one
/// `whsec_…` string or a list of them.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKeys(Vec<SigningKey>);

impl SigningKeys {
    pub fn new(keys: Vec<SigningKey>) -> Option<Self> {
        (!keys.is_empty()).then_some(Self(keys))
    }

    pub fn keys(&self) -> &[SigningKey] {
        &self.0
    }

    /// `webhook-signature`: one `v1,…` per key, space separated.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        self.0
            .iter()
            .map(|k| k.sign(id, timestamp, body))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Verifies a delivery's three headers over its raw body, at `now` (Unix seconds): any
    /// key, any signature.
    pub fn verify(
        &self,
        id: Option<&str>,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
        now: i64,
    ) -> Result<(), SignatureError> {
        let mut delivery = self.start(id, timestamp, signature, now)?;
        for mac in &mut delivery.macs {
            mac.update(body);
        }
        delivery.check()
    }

    /// Starts verifying a delivery whose body is still to come: the headers and the timestamp
    /// are checked now, the body as it streams in (`BodyVerifier`), against every key.
    pub fn start(
        &self,
        id: Option<&str>,
        timestamp: Option<&str>,
        signature: Option<&str>,
        now: i64,
    ) -> Result<Delivery, SignatureError> {
        let id = id.ok_or(SignatureError::Missing("webhook-id"))?;
        let timestamp = timestamp.ok_or(SignatureError::Missing("webhook-timestamp"))?;
        let signature = signature.ok_or(SignatureError::Missing("webhook-signature"))?;
        let ts: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| SignatureError::BadTimestamp)?;
        if (now - ts).abs() > TOLERANCE_SECS {
            return Err(SignatureError::Stale);
        }
        Ok(Delivery {
            macs: self
                .0
                .iter()
                .map(|k| k.mac(id, timestamp.trim(), b""))
                .collect(),
            signatures: signature.to_owned(),
        })
    }
}

/// One delivery being verified (see `SigningKeys::start`): a MAC per key.
pub struct Delivery {
    macs: Vec<KeyedHash>,
    signatures: String,
}

impl Delivery {
    fn check(self) -> Result<(), SignatureError> {
        for entry in self.signatures.split_whitespace() {
            let Some(b64) = entry.strip_prefix("v1,") else {
                continue;
            };
            let Ok(candidate) = STANDARD.decode(b64) else {
                continue;
            };
            if self.macs.iter().any(|mac| mac.clone().matches(&candidate)) {
                return Ok(());
            }
        }
        Err(SignatureError::Mismatch)
    }
}

impl BodyVerifier for Delivery {
    fn update(&mut self, chunk: &[u8]) {
        for mac in &mut self.macs {
            mac.update(chunk);
        }
    }

    fn finish(self: Box<Self>) -> Result<(), String> {
        (*self).check().map_err(|e| e.to_string())
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey([redacted])")
    }
}

/// Read from configuration as the `whsec_…` text; a bad one is refused when the file is read.
impl fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKeys([{} redacted])", self.0.len())
    }
}

impl<'de> Deserialize<'de> for SigningKeys {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let texts = super::secret_texts(d)?;
        let keys = texts
            .iter()
            .map(|t| SigningKey::from_secret(t))
            .collect::<Result<Vec<_>, _>>()
            .map_err(serde::de::Error::custom)?;
        SigningKeys::new(keys).ok_or_else(|| serde::de::Error::custom("at least one key"))
    }
}

impl<'de> Deserialize<'de> for SigningKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = super::secret_text(d)?;
        SigningKey::from_secret(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    fn key() -> SigningKeys {
        SigningKeys::new(vec![SigningKey::from_secret(SECRET).unwrap()]).unwrap()
    }

    #[test]
    fn matches_the_standard_webhooks_reference_vector() {
        // From the Standard Webhooks reference implementation's tests.
        let key = key();
        let body = br#"{"test": 2432232314}"#;
        let sig = key.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        let now = 1614265330 + 10;
        assert_eq!(
            key.verify(
                Some("msg_p5jXN8AQM9LWM0D4loKWxJek"),
                Some("1614265330"),
                Some(&format!("v1,bogus {sig}")),
                body,
                now
            ),
            Ok(())
        );
    }

    #[test]
    fn refuses_tampering_staleness_and_missing_headers() {
        let key = key();
        let sig = key.sign("id", 1000, b"body");
        let verify = |id, ts, body: &[u8], now| key.verify(Some(id), ts, Some(&sig), body, now);
        assert_eq!(
            verify("id", Some("1000"), b"body!", 1000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("id2", Some("1000"), b"body", 1000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("id", Some("1000"), b"body", 1000 + 301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify("id", Some("1000"), b"body", 1000 - 301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify("id", None, b"body", 1000),
            Err(SignatureError::Missing("webhook-timestamp"))
        );
        assert_eq!(
            verify("id", Some("x"), b"body", 1000),
            Err(SignatureError::BadTimestamp)
        );
    }

    #[test]
    fn a_body_fed_in_pieces_verifies_like_a_whole_one() {
        let key = key();
        let body = br#"[{"id":"e1","type":"click"}]"#;
        let sig = key.sign("msg_1", 1000, body);
        let mut delivery: Box<dyn BodyVerifier> = Box::new(
            key.start(Some("msg_1"), Some("1000"), Some(&sig), 1000)
                .unwrap(),
        );
        for chunk in body.chunks(5) {
            delivery.update(chunk);
        }
        assert_eq!(delivery.finish(), Ok(()));
        let mut short: Box<dyn BodyVerifier> = Box::new(
            key.start(Some("msg_1"), Some("1000"), Some(&sig), 1000)
                .unwrap(),
        );
        short.update(&body[..body.len() - 1]);
        assert!(short.finish().is_err());
    }

    #[test]
    fn secrets_must_decode_and_never_print() {
        assert!(SigningKey::from_secret("whsec_%%%").is_err());
        assert!(SigningKey::from_secret("whsec_c2hvcnQ=").is_err());
        assert_eq!(format!("{:?}", key()), "SigningKeys([1 redacted])");
        assert_eq!(
            format!("{:?}", SigningKey::from_secret(SECRET).unwrap()),
            "SigningKey([redacted])"
        );
    }
}
