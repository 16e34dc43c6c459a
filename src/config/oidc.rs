//! `[analysts.oidc]`: signing analysts in through the team's OpenID provider (Okta, Microsoft
//! Entra ID, Google Workspace, Keycloak…) instead of shared tokens.
use super::{ConfigError, Secret};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    /// The provider's issuer URL, exactly as its ID tokens' `iss` says it.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// Where the provider sends the browser back; its path (under `/ui/`) is served as the
    /// callback, and the provider must list this URL for the client.
    pub redirect_url: String,
    /// The ID token claim that lists the person's groups.
    #[serde(default = "default_roles_claim")]
    pub roles_claim: String,
    /// Values of that claim (names, or Entra ID's group object ids) that make a reviewer.
    #[serde(default)]
    pub reviewer_groups: Vec<String>,
    /// … that make a viewer. A person in neither is refused.
    #[serde(default)]
    pub viewer_groups: Vec<String>,
    /// A sign-in lasts at most this long; groups are read again at the next one.
    #[serde(default = "default_session_hours")]
    pub session_hours: i64,
}

fn default_roles_claim() -> String {
    "groups".into()
}

fn default_session_hours() -> i64 {
    8
}

impl OidcConfig {
    /// The callback's path (from `redirect_url`).
    pub fn callback_path(&self) -> String {
        url::Url::parse(&self.redirect_url)
            .map(|u| u.path().to_owned())
            .unwrap_or_default()
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let key = |k: &str| format!("analysts.oidc.{k}");
        let issuer = url::Url::parse(&self.issuer)
            .map_err(|e| ConfigError::new(&key("issuer"), e.to_string()))?;
        let loopback = matches!(issuer.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        if issuer.scheme() != "https" && !(issuer.scheme() == "http" && loopback) {
            return Err(ConfigError::new(
                &key("issuer"),
                "must be an https URL (plain http only for a provider on loopback)",
            ));
        }
        if self.client_id.trim().is_empty() {
            return Err(ConfigError::new(&key("client_id"), "must not be empty"));
        }
        if self.client_secret.expose().trim().is_empty() {
            return Err(ConfigError::new(&key("client_secret"), "must not be empty"));
        }
        let redirect = url::Url::parse(&self.redirect_url)
            .map_err(|e| ConfigError::new(&key("redirect_url"), e.to_string()))?;
        let path = redirect.path();
        let taken = ["/ui/login", "/ui/logout", "/ui/oidc/start"];
        if !matches!(redirect.scheme(), "http" | "https")
            || !path.starts_with("/ui/")
            || path.len() <= "/ui/".len()
            || taken.contains(&path)
        {
            return Err(ConfigError::new(
                &key("redirect_url"),
                "must be an http(s) URL of this service whose path is under /ui/ (e.g. https://promiseguard.example.com/ui/oidc/callback)",
            ));
        }
        if self.roles_claim.trim().is_empty() {
            return Err(ConfigError::new(&key("roles_claim"), "must not be empty"));
        }
        if self.reviewer_groups.is_empty() && self.viewer_groups.is_empty() {
            return Err(ConfigError::new(
                &key("reviewer_groups"),
                "name at least one group (here or in viewer_groups): nobody could sign in",
            ));
        }
        if !(1..=24).contains(&self.session_hours) {
            return Err(ConfigError::new(
                &key("session_hours"),
                "must be from 1 to 24",
            ));
        }
        Ok(())
    }
}
