use serde::{Deserialize, Deserializer};
use std::fmt;

/// A value that must never reach a log: `Debug` and `Display` print `[redacted]`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::signatures::secret_text(d).map(Secret)
    }
}

/// One secret or several at once — a secret being rotated, each of which is accepted:
/// configured as a string or a list of strings (never empty). `Debug` prints none of them.
#[derive(Clone, PartialEq, Eq)]
pub struct Secrets(Vec<Secret>);

impl Secrets {
    pub fn new(secrets: Vec<Secret>) -> Option<Self> {
        (!secrets.is_empty()).then_some(Self(secrets))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Secret> {
        self.0.iter()
    }

    /// Whether any of the secrets passes `check` (its bytes): the first pass, or the last
    /// refusal.
    pub fn any<E>(&self, check: impl Fn(&[u8]) -> Result<(), E>) -> Result<(), E> {
        let mut refusal = None;
        for secret in &self.0 {
            match check(secret.expose().as_bytes()) {
                Ok(()) => return Ok(()),
                Err(e) => refusal = Some(e),
            }
        }
        refusal.map_or(Ok(()), Err)
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{} redacted]", self.0.len())
    }
}

impl<'de> Deserialize<'de> for Secrets {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let texts = crate::signatures::secret_texts(d)?;
        Secrets::new(texts.into_iter().map(Secret).collect())
            .ok_or_else(|| serde::de::Error::custom("at least one secret"))
    }
}

/// A database URL with any password replaced, safe to log.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "[unparseable url]".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_passwords_never_print() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "[redacted]");
        let shown = redact_url("postgres://app:hunter2@db:5432/pg");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
