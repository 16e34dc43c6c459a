//! Analysts signing in through the OpenID provider (`[analysts.oidc]`), the authorization code
//! flow: the request to the provider (a fresh `state`, `nonce` and PKCE verifier, the
//! challenge S256), then its answer — the `state` checked against the one this browser was
//! given, the code exchanged, the ID token verified, and the person's groups made a role (a
//! reviewer group first, then a viewer group; in neither, refused). Nothing here is stored: what
//! the browser must carry between the two halves is a `Pending`, which the pages keep in a signed
//! cookie.
use crate::config::{OidcConfig, Secret};
use crate::domain::{Analyst, Role};
use crate::signatures::id_token::{self, Expected, TokenError};
pub use crate::sources::oidc::ProviderError;
use crate::sources::oidc::{Code, Provider};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::Digest;

/// How long a browser has between leaving for the provider and coming back.
pub const PENDING_SECS: i64 = 600;

/// What the browser carries from the start of a sign-in to its callback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub state: String,
    pub nonce: String,
    /// PKCE's `code_verifier` (RFC 7636); the provider saw only its S256 challenge.
    pub verifier: String,
    /// The page to go back to.
    pub next: String,
    /// Unix seconds.
    pub expires: i64,
}

/// Why a sign-in did not end with an analyst.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("{0}")]
    Provider(#[from] ProviderError),
    #[error("{0}")]
    Token(#[from] TokenError),
    /// No sign-in of this browser is waiting for this answer (a forged or stale `state`).
    #[error(
        "this sign-in was not started here, or it took longer than ten minutes; please sign in again"
    )]
    State,
    /// The provider said no (`error=access_denied` and its kin).
    #[error("the identity provider did not sign you in: {0}")]
    Denied(String),
    /// Signed in, but in none of the configured groups.
    #[error(
        "{name} is in none of the groups that may use these pages; ask your administrator to add you to a reviewer or viewer group"
    )]
    NoGroup { name: String },
}

/// A person signed in: who, in which role, until when (Unix seconds).
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub analyst: Analyst,
    pub expires: i64,
}

pub struct SignIn {
    provider: Provider,
    config: OidcConfig,
    /// `config.client_secret`, or what a reload (`SIGHUP`) put in its place.
    client_secret: std::sync::RwLock<Secret>,
}

fn random() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

impl SignIn {
    pub fn new(config: OidcConfig) -> anyhow::Result<Self> {
        Ok(Self {
            provider: Provider::new(&config.issuer)?,
            client_secret: std::sync::RwLock::new(config.client_secret.clone()),
            config,
        })
    }

    /// Puts a new client secret in force for every code exchanged from now on (a sign-in
    /// already exchanging its code finishes with the one it read).
    pub fn replace_client_secret(&self, secret: Secret) {
        *self
            .client_secret
            .write()
            .unwrap_or_else(|e| e.into_inner()) = secret;
    }

    /// Reads the provider's discovery document: `Unusable` when it cannot serve a sign-in as
    /// configured (no PKCE S256, no client authentication we speak), `Unavailable` when it
    /// does not answer.
    pub async fn check_provider(&self) -> Result<(), ProviderError> {
        let discovery = self.provider.discovery().await?;
        discovery.require_pkce()?;
        discovery.posts_secret()?;
        Ok(())
    }

    /// Where to send the browser, and what it must bring back.
    pub async fn start(&self, next: &str, now: i64) -> Result<(String, Pending), SignInError> {
        let discovery = self.provider.discovery().await?;
        discovery.require_pkce()?;
        let pending = Pending {
            state: random(),
            nonce: random(),
            verifier: random(),
            next: next.to_owned(),
            expires: now + PENDING_SECS,
        };
        let challenge = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(pending.verifier.as_bytes()));
        let mut url = reqwest::Url::parse(&discovery.authorization_endpoint)
            .map_err(|e| ProviderError::Unusable(format!("authorization_endpoint: {e}")))?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.config.client_id)
            .append_pair("redirect_uri", &self.config.redirect_url)
            .append_pair("scope", "openid email profile")
            .append_pair("state", &pending.state)
            .append_pair("nonce", &pending.nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        Ok((url.into(), pending))
    }

    /// The provider's answer for `pending`: `state` and `code` from the callback's query.
    pub async fn finish(
        &self,
        pending: &Pending,
        state: &str,
        code: &str,
        now: i64,
    ) -> Result<SignedIn, SignInError> {
        let same_state =
            crate::signatures::constant_time_eq(state.as_bytes(), pending.state.as_bytes());
        if pending.expires <= now || !same_state {
            return Err(SignInError::State);
        }
        let client_secret = self
            .client_secret
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let token = self
            .provider
            .exchange(Code {
                code,
                verifier: &pending.verifier,
                redirect_uri: &self.config.redirect_url,
                client_id: &self.config.client_id,
                client_secret: &client_secret,
            })
            .await?;
        let expected = Expected {
            issuer: self.config.issuer.as_str(),
            client_id: &self.config.client_id,
            nonce: &pending.nonce,
            now,
        };
        id_token::key_id(&token)?;
        let keys = self.provider.keys(false).await?;
        let claims = match id_token::verify(&token, &keys, expected) {
            // A key the kept set lacks: the provider may have rotated its keys.
            Err(TokenError::UnknownKey(_)) => {
                let keys = self.provider.keys(true).await?;
                id_token::verify(&token, &keys, expected)?
            }
            other => other?,
        };
        let groups = claims.values(&self.config.roles_claim);
        let member = |of: &[String]| groups.iter().any(|g| of.contains(g));
        let role = if member(&self.config.reviewer_groups) {
            Role::Reviewer
        } else if member(&self.config.viewer_groups) {
            Role::Viewer
        } else {
            return Err(SignInError::NoGroup {
                name: claims.name().to_owned(),
            });
        };
        Ok(SignedIn {
            analyst: Analyst {
                name: claims.name().to_owned(),
                role,
            },
            expires: now + self.config.session_hours * 3600,
        })
    }
}
