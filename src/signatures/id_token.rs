//! OpenID Connect ID tokens (a JWS, RFC 7515, checked as OpenID Connect Core §3.1.3.7 says):
//! signed with RS256 or ES256 only — never `none`, never an HMAC keyed with something public —
//! by the provider's key named by `kid` in its JWKS; then `iss`, `aud` (and `azp` when there
//! are several audiences), `exp` and `iat` within a small allowed skew, and `nonce`. The
//! signature itself is checked by `jsonwebtoken` (over aws-lc-rs), the claims here.
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;

/// Clock difference allowed between us and the provider, each way.
pub const SKEW_SECS: i64 = 120;

/// What the token must say.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    /// Unix seconds.
    pub now: i64,
}

/// The claims read from a verified token.
#[derive(Debug, Clone, Deserialize)]
pub struct IdClaims {
    pub iss: String,
    pub sub: String,
    #[serde(deserialize_with = "one_or_many")]
    pub aud: Vec<String>,
    pub exp: i64,
    pub iat: i64,
    pub nonce: Option<String>,
    pub azp: Option<String>,
    pub email: Option<String>,
    pub preferred_username: Option<String>,
    /// Every other claim (the groups claim among them).
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

impl IdClaims {
    /// Who signed in, for every review and audit row: `email`, else `preferred_username`, else
    /// `sub`.
    pub fn name(&self) -> &str {
        self.email
            .as_deref()
            .or(self.preferred_username.as_deref())
            .unwrap_or(&self.sub)
    }

    /// The claim's values as strings: an array of strings, or one string.
    pub fn values(&self, claim: &str) -> Vec<String> {
        match self.other.get(claim) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            Some(Value::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        }
    }
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the ID token is not a signed JWT: {0}")]
    Malformed(String),
    #[error("the ID token is signed with {0}; only RS256 and ES256 are accepted")]
    Algorithm(String),
    /// No key of the JWKS has the token's `kid` (the caller may fetch the JWKS again).
    #[error("no key of the provider's JWKS is named {0:?}")]
    UnknownKey(Option<String>),
    #[error("the ID token's signature does not verify")]
    Signature,
    #[error("the ID token was issued by {0:?}, not by the configured issuer")]
    Issuer(String),
    #[error("the ID token is not for this client (aud / azp)")]
    Audience,
    #[error("the ID token has expired")]
    Expired,
    #[error("the ID token was issued in the future")]
    IssuedInFuture,
    #[error("the ID token's nonce is not this sign-in's")]
    Nonce,
}

/// The token's `kid` (and that its algorithm is one we accept), before any key is looked up.
pub fn key_id(token: &str) -> Result<Option<String>, TokenError> {
    let header =
        jsonwebtoken::decode_header(token).map_err(|e| TokenError::Malformed(e.to_string()))?;
    accepted(header.alg)?;
    Ok(header.kid)
}

fn accepted(alg: Algorithm) -> Result<(), TokenError> {
    match alg {
        Algorithm::RS256 | Algorithm::ES256 => Ok(()),
        other => Err(TokenError::Algorithm(format!("{other:?}"))),
    }
}

/// The key a token names: by `kid`, of the algorithm's key type, for signing; a token without
/// a `kid` only when the set holds exactly one such key.
fn key_for<'k>(keys: &'k JwkSet, kid: Option<&str>, alg: Algorithm) -> Option<&'k Jwk> {
    let fits = |k: &&Jwk| {
        let kind = matches!(
            (&k.algorithm, alg),
            (AlgorithmParameters::RSA(_), Algorithm::RS256)
                | (AlgorithmParameters::EllipticCurve(_), Algorithm::ES256)
        );
        let usable =
            !matches!(k.common.public_key_use, Some(ref u) if *u != PublicKeyUse::Signature);
        kind && usable
    };
    match kid {
        Some(kid) => keys
            .keys
            .iter()
            .filter(|k| k.common.key_id.as_deref() == Some(kid))
            .find(fits),
        None => {
            let mut candidates = keys.keys.iter().filter(fits);
            let only = candidates.next()?;
            candidates.next().is_none().then_some(only)
        }
    }
}

/// Verifies `token` against `keys` and what `expected` says.
pub fn verify(token: &str, keys: &JwkSet, expected: Expected<'_>) -> Result<IdClaims, TokenError> {
    let header =
        jsonwebtoken::decode_header(token).map_err(|e| TokenError::Malformed(e.to_string()))?;
    accepted(header.alg)?;
    let jwk = key_for(keys, header.kid.as_deref(), header.alg)
        .ok_or_else(|| TokenError::UnknownKey(header.kid.clone()))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| TokenError::Signature)?;
    // The library checks the signature; the claims are checked below, against `expected.now`.
    let mut validation = Validation::new(header.alg);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<IdClaims>(token, &key, &validation)
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => TokenError::Signature,
            _ => TokenError::Malformed(e.to_string()),
        })?
        .claims;
    if claims.iss != expected.issuer {
        return Err(TokenError::Issuer(claims.iss));
    }
    let for_us = claims.aud.iter().any(|a| a == expected.client_id);
    let azp_ok = match (&claims.azp, claims.aud.len()) {
        (Some(azp), _) => azp == expected.client_id,
        (None, n) => n == 1,
    };
    if !for_us || !azp_ok {
        return Err(TokenError::Audience);
    }
    if claims.exp + SKEW_SECS <= expected.now {
        return Err(TokenError::Expired);
    }
    if claims.iat > expected.now + SKEW_SECS {
        return Err(TokenError::IssuedInFuture);
    }
    let nonce_ok = claims.nonce.as_deref().is_some_and(|n| {
        crate::signatures::constant_time_eq(n.as_bytes(), expected.nonce.as_bytes())
    });
    if !nonce_ok {
        return Err(TokenError::Nonce);
    }
    Ok(claims)
}

#[cfg(test)]
#[path = "id_token_tests.rs"]
mod tests;
