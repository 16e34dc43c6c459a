//! Signing and verifying what crosses the service's edge: Standard Webhooks signatures (the
//! pre-send webhook and events in, alerts out), SendGrid's signed event webhook, shared-secret
//! tokens (Bearer or Basic), OpenID Connect ID tokens, and a constant-time comparison for every
//! secret presented. Pure
//! functions on bytes: no I/O, nothing of the rest of the crate.
pub mod customerio;
pub mod id_token;
pub mod mailgun;
pub mod segment;
pub mod sendgrid;
pub mod shopify;
pub mod sns;
pub mod standard_webhooks;
pub mod tokens;

pub use sendgrid::VerificationKey;

/// The newtype name of a setting that takes one secret or a list of them (a secret being
/// rotated): its key is a list of secrets (`key[]`) to `config::keys::secret_keys`.
pub const SECRETS: &str = "Secrets";

/// One secret's text or several: a string, or a list of strings (read as the newtype
/// [`SECRETS`]).
pub fn secret_texts<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct Texts;
    impl<'de> serde::de::Visitor<'de> for Texts {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a secret, or a list of secrets")
        }
        fn visit_newtype_struct<D: serde::Deserializer<'de>>(
            self,
            d: D,
        ) -> Result<Vec<String>, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Vec<String>, E> {
            Ok(vec![v.to_owned()])
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Vec<String>, A::Error> {
            let mut texts = Vec::new();
            while let Some(text) = seq.next_element::<String>()? {
                texts.push(text);
            }
            Ok(texts)
        }
    }
    d.deserialize_newtype_struct(SECRETS, Texts)
}

/// The newtype name every secret value of the configuration deserializes as, whatever type
/// holds it (`config::Secret`, [`SigningKey`], [`VerificationKey`]): how the configuration
/// finds its secret keys from the types (`config::keys::secret_keys`).
pub const SECRET: &str = "Secret";

/// A secret's text, read as the newtype [`SECRET`] (a plain string to any deserializer that
/// does not look at newtypes).
pub fn secret_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    struct Text;
    impl<'de> serde::de::Visitor<'de> for Text {
        type Value = String;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a secret (a string)")
        }
        fn visit_newtype_struct<D: serde::Deserializer<'de>>(
            self,
            d: D,
        ) -> Result<String, D::Error> {
            serde::Deserialize::deserialize(d)
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_owned())
        }
        fn visit_string<E: serde::de::Error>(self, v: String) -> Result<String, E> {
            Ok(v)
        }
    }
    d.deserialize_newtype_struct(SECRET, Text)
}
pub use standard_webhooks::{SignatureError, SigningKey, SigningKeys};

/// A signature checked over a body as it streams in: fed every chunk, then asked once.
pub trait BodyVerifier: Send {
    fn update(&mut self, chunk: &[u8]);
    /// Whether the body fed so far is what was signed; why not, if it is not.
    fn finish(self: Box<Self>) -> Result<(), String>;
}

/// The one keyed hash: HMAC-SHA256, fed part by part (a body as it streams in). Every
/// signature, token and keyed digest the service makes is one of these, but Segment's
/// (HMAC-SHA1, its format).
#[derive(Clone)]
pub struct KeyedHash(hmac::Hmac<sha2::Sha256>);

impl KeyedHash {
    pub fn new(key: &[u8]) -> Self {
        use hmac::KeyInit;
        Self(hmac::Hmac::new_from_slice(key).expect("HMAC accepts any key length"))
    }

    pub fn update(&mut self, part: &[u8]) {
        hmac::Mac::update(&mut self.0, part);
    }

    pub fn finish(self) -> [u8; 32] {
        hmac::Mac::finalize(self.0).into_bytes().into()
    }

    /// Whether `tag` is this hash, compared in constant time.
    pub fn matches(self, tag: &[u8]) -> bool {
        constant_time_eq(&self.finish(), tag)
    }
}

/// HMAC-SHA256 of the concatenated `parts`, keyed with `key`.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut hash = KeyedHash::new(key);
    for part in parts {
        hash.update(part);
    }
    hash.finish()
}

/// HMAC-SHA1 of `body`, keyed with `key` (Segment's signatures; nothing of ours).
pub fn hmac_sha1(key: &[u8], body: &[u8]) -> [u8; 20] {
    use hmac::{KeyInit, Mac};
    let mut mac = <hmac::Hmac<sha1::Sha1> as KeyInit>::new_from_slice(key)
        .expect("HMAC accepts any key length");
    mac.update(body);
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
