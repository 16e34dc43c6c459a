//! The OpenID provider analysts sign in with: its discovery document (OpenID Connect Discovery
//! 1.0, read from `{issuer}/.well-known/openid-configuration` and kept), its JWKS (kept, and
//! fetched again when a token names a `kid` it lacks — a key rotation — at most once a minute),
//! and the token endpoint's code exchange (RFC 6749 §4.1.3 with PKCE's `code_verifier`), the
//! client authenticated as discovery allows (`client_secret_basic`, else `client_secret_post`).
//! Only the configured issuer is read: the endpoints come from its own discovery document, and
//! must be https (or plain http when the issuer itself is, on a test provider).
use crate::config::Secret;
use jsonwebtoken::jwk::JwkSet;
use serde::Deserialize;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// JWKS fetched again on an unknown `kid` at most this often.
pub const JWKS_REFETCH: Duration = Duration::from_secs(60);
/// A discovery document is read again after this long.
pub const DISCOVERY_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("the identity provider could not be reached or answered badly: {0}")]
    Unavailable(String),
    #[error("the identity provider's configuration cannot be used: {0}")]
    Unusable(String),
    /// The token endpoint refused the code (RFC 6749 §5.2 `error`, `error_description`).
    #[error("the identity provider refused the sign-in: {0}")]
    Refused(String),
}

/// What discovery says, of what a sign-in needs.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
    /// Absent means `client_secret_basic` (Discovery §3).
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

impl Discovery {
    /// How the client authenticates at the token endpoint: Basic when allowed, else in the body.
    pub fn posts_secret(&self) -> Result<bool, ProviderError> {
        let Some(methods) = &self.token_endpoint_auth_methods_supported else {
            return Ok(false);
        };
        if methods.iter().any(|m| m == "client_secret_basic") {
            Ok(false)
        } else if methods.iter().any(|m| m == "client_secret_post") {
            Ok(true)
        } else {
            Err(ProviderError::Unusable(format!(
                "its token endpoint takes neither client_secret_basic nor client_secret_post (only {})",
                methods.join(", ")
            )))
        }
    }

    /// Refuses a provider that does not advertise PKCE with S256.
    pub fn require_pkce(&self) -> Result<(), ProviderError> {
        if self
            .code_challenge_methods_supported
            .iter()
            .any(|m| m == "S256")
        {
            Ok(())
        } else {
            Err(ProviderError::Unusable(
                "its discovery document does not advertise PKCE with S256 (code_challenge_methods_supported)".into(),
            ))
        }
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    id_token: Option<String>,
}

#[derive(Deserialize)]
struct TokenRefusal {
    error: String,
    error_description: Option<String>,
}

struct Kept<T> {
    value: T,
    at: Instant,
}

pub struct Provider {
    http: reqwest::Client,
    issuer: String,
    discovery: Mutex<Option<Kept<Discovery>>>,
    jwks: Mutex<Option<Kept<JwkSet>>>,
    /// When an unknown `kid` last made us fetch the JWKS again.
    refreshed: Mutex<Option<Instant>>,
}

impl Provider {
    pub fn new(issuer: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("promiseguard/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            http,
            issuer: issuer.trim_end_matches('/').to_owned(),
            discovery: Mutex::new(None),
            jwks: Mutex::new(None),
            refreshed: Mutex::new(None),
        })
    }

    /// An endpoint discovery named: https, or http only when the issuer is.
    fn endpoint(&self, url: &str) -> Result<reqwest::Url, ProviderError> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| ProviderError::Unusable(format!("endpoint {url:?}: {e}")))?;
        let plain_ok = self.issuer.starts_with("http://");
        match parsed.scheme() {
            "https" => Ok(parsed),
            "http" if plain_ok => Ok(parsed),
            _ => Err(ProviderError::Unusable(format!(
                "endpoint {url:?} is not https"
            ))),
        }
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: reqwest::Url,
    ) -> Result<T, ProviderError> {
        let unavailable = |e: reqwest::Error| ProviderError::Unavailable(e.to_string());
        let res = self
            .http
            .get(url.clone())
            .send()
            .await
            .map_err(unavailable)?;
        if !res.status().is_success() {
            return Err(ProviderError::Unavailable(format!(
                "GET {url} answered {}",
                res.status()
            )));
        }
        res.json().await.map_err(unavailable)
    }

    /// The discovery document, read once and kept for a day (read again after a failure).
    pub async fn discovery(&self) -> Result<Discovery, ProviderError> {
        let mut kept = self.discovery.lock().await;
        if let Some(k) = kept.as_ref().filter(|k| k.at.elapsed() < DISCOVERY_MAX_AGE) {
            return Ok(k.value.clone());
        }
        let url = self.endpoint(&format!("{}/.well-known/openid-configuration", self.issuer))?;
        let found: Discovery = self.get_json(url).await?;
        if found.issuer.trim_end_matches('/') != self.issuer {
            return Err(ProviderError::Unusable(format!(
                "its discovery document names the issuer {:?}, not the configured {:?}",
                found.issuer, self.issuer
            )));
        }
        for endpoint in [
            &found.authorization_endpoint,
            &found.token_endpoint,
            &found.jwks_uri,
        ] {
            self.endpoint(endpoint)?;
        }
        *kept = Some(Kept {
            value: found.clone(),
            at: Instant::now(),
        });
        Ok(found)
    }

    /// The provider's keys, fetched once and kept. `refresh`: a token named a `kid` the kept
    /// set lacks, so fetch again — unless an unknown `kid` did so within `JWKS_REFETCH` (a
    /// stream of forged tokens cannot make us hammer the provider).
    pub async fn keys(&self, refresh: bool) -> Result<JwkSet, ProviderError> {
        let mut kept = self.jwks.lock().await;
        if let Some(k) = kept.as_ref() {
            if !refresh {
                return Ok(k.value.clone());
            }
            let mut refreshed = self.refreshed.lock().await;
            if refreshed.is_some_and(|at| at.elapsed() < JWKS_REFETCH) {
                return Ok(k.value.clone());
            }
            *refreshed = Some(Instant::now());
        }
        let discovery = self.discovery().await?;
        let set: JwkSet = self.get_json(self.endpoint(&discovery.jwks_uri)?).await?;
        tracing::info!(keys = set.keys.len(), "identity provider keys fetched");
        *kept = Some(Kept {
            value: set.clone(),
            at: Instant::now(),
        });
        Ok(set)
    }

    /// Exchanges an authorization code for the ID token.
    pub async fn exchange(&self, code: Code<'_>) -> Result<String, ProviderError> {
        let discovery = self.discovery().await?;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.code),
            ("redirect_uri", code.redirect_uri),
            ("code_verifier", code.verifier),
        ];
        let mut request = self.http.post(self.endpoint(&discovery.token_endpoint)?);
        if discovery.posts_secret()? {
            form.push(("client_id", code.client_id));
            form.push(("client_secret", code.client_secret.expose()));
        } else {
            // RFC 6749 §2.3.1: each part form-encoded before Basic's base64.
            let enc =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            request =
                request.basic_auth(enc(code.client_id), Some(enc(code.client_secret.expose())));
        }
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&form)
            .finish();
        let res = request
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await
            .map_err(|e| ProviderError::Unavailable(e.to_string()))?;
        let status = res.status();
        let body = res
            .bytes()
            .await
            .map_err(|e| ProviderError::Unavailable(e.to_string()))?;
        if !status.is_success() {
            return Err(match serde_json::from_slice::<TokenRefusal>(&body) {
                Ok(r) if status.is_client_error() => {
                    ProviderError::Refused(match r.error_description {
                        Some(d) => format!("{} ({d})", r.error),
                        None => r.error,
                    })
                }
                _ => ProviderError::Unavailable(format!("the token endpoint answered {status}")),
            });
        }
        let answer: TokenAnswer = serde_json::from_slice(&body)
            .map_err(|e| ProviderError::Unavailable(format!("the token answer: {e}")))?;
        answer
            .id_token
            .ok_or_else(|| ProviderError::Unavailable("the token answer has no id_token".into()))
    }
}

/// A code to exchange, with what the exchange must repeat and prove.
pub struct Code<'a> {
    pub code: &'a str,
    pub verifier: &'a str,
    pub redirect_uri: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a Secret,
}
