//! Typed settings. Every key has a default, so a file need only name what differs, and with no
//! file at all the service runs on SQLite, the `static` fixtures and a file outbox.
mod load;
mod secret;
mod sources;

pub use load::load;
pub use secret::{Secret, redact_url};
pub use sources::{SourceConfig, SourceKind, SourcesConfig};

use crate::domain::Policy;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

/// A configuration problem, named by its key (`check.deadline_ms`) so the operator knows where
/// to look.
#[derive(Debug, thiserror::Error)]
#[error("config key `{key}`: {message}")]
pub struct ConfigError {
    pub key: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(key: &str, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub listen: String,
    pub database_url: Secret,
    /// Base of links in emails; defaults to `http://{listen}`.
    pub public_base_url: Option<String>,
    /// Largest request body accepted, in bytes; larger bodies get 413.
    pub max_body_bytes: usize,
    /// Largest body of an events request (up to 100,000 events).
    pub max_events_body_bytes: usize,
    pub sources: SourcesConfig,
    pub check: CheckConfig,
    pub policy: BTreeMap<String, serde_json::Value>,
    pub webhooks: WebhooksConfig,
    pub email: EmailConfig,
    pub surveys: SurveysConfig,
    pub schedule: ScheduleConfig,
    pub lookup: LookupConfig,
    pub analysts: Option<AnalystsConfig>,
    pub alerts: AlertsConfig,
    /// Worker threads for the HTTP server; 0 means one per core.
    pub workers: usize,
    #[serde(skip)]
    parsed_policy: Policy,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            database_url: Secret::new("sqlite://promiseguard.db"),
            public_base_url: None,
            max_body_bytes: 1024 * 1024,
            max_events_body_bytes: 64 * 1024 * 1024,
            sources: SourcesConfig::default(),
            check: CheckConfig::default(),
            policy: BTreeMap::new(),
            webhooks: WebhooksConfig::default(),
            email: EmailConfig::default(),
            surveys: SurveysConfig::default(),
            schedule: ScheduleConfig::default(),
            lookup: LookupConfig::default(),
            analysts: None,
            alerts: AlertsConfig::default(),
            workers: 0,
            parsed_policy: Policy::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CheckConfig {
    /// A whole pre-send check, retries included.
    pub deadline_ms: u64,
    /// Upstream calls in flight per check.
    pub concurrency: usize,
}

impl Default for CheckConfig {
    fn default() -> Self {
        Self {
            deadline_ms: 5000,
            concurrency: 32,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhooksConfig {
    /// `whsec_…` (Standard Webhooks). Absent: signatures are not required.
    pub signing_secret: Option<Secret>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmailConfig {
    pub transport: String,
    pub smtp_url: Option<Secret>,
    pub from: String,
    pub outbox_dir: PathBuf,
    pub retry_schedule_s: Vec<u64>,
    pub max_concurrent: usize,
}

impl Default for EmailConfig {
    fn default() -> Self {
        Self {
            transport: "file".into(),
            smtp_url: None,
            from: "promiseguard <noreply@localhost>".into(),
            outbox_dir: PathBuf::from("outbox"),
            retry_schedule_s: vec![60, 300, 1800, 7200],
            max_concurrent: 4,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SurveysConfig {
    pub attribution_hours: u64,
    pub cooldown_days: u64,
    pub max_per_run: u64,
    /// Key for survey and unsubscribe links. Absent: one is generated and kept in the database,
    /// shared by every instance.
    pub link_secret: Option<Secret>,
}

impl Default for SurveysConfig {
    fn default() -> Self {
        Self {
            attribution_hours: 72,
            cooldown_days: 90,
            max_per_run: 10_000,
            link_secret: None,
        }
    }
}

/// Cron expressions with seconds (6 or 7 fields); `"off"` disables a job on this instance.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScheduleConfig {
    pub recheck: String,
    pub surveys: String,
    /// Delivers queued alerts (and their retries).
    pub alerts: String,
    /// A job's lease, renewed every third of it while the job runs; how long a crashed
    /// instance's lease blocks the job.
    pub lease_ttl_s: u64,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        Self {
            recheck: "0 */15 * * * *".into(),
            surveys: "0 5 * * * *".into(),
            alerts: "*/30 * * * * *".into(),
            lease_ttl_s: 60,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LookupConfig {
    /// How long an answer is served from memory.
    pub ttl_s: u64,
    /// The longest a lookup waits for an upstream.
    pub deadline_ms: u64,
    /// How long past its TTL an answer may still be served, marked stale, when the source fails.
    pub stale_s: u64,
}

impl Default for LookupConfig {
    fn default() -> Self {
        Self {
            ttl_s: 60,
            deadline_ms: 500,
            stale_s: 600,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalystsConfig {
    pub tokens: Vec<AnalystToken>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalystToken {
    pub name: String,
    pub role: String,
    pub token: Secret,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// Addresses told about each new block finding on a running campaign.
    pub emails: Vec<String>,
    /// Receives a Standard-Webhooks-signed POST for each new block finding.
    pub webhook_url: Option<String>,
    /// `whsec_…` key that signs the POSTs; required with `webhook_url`.
    pub signing_secret: Option<Secret>,
    /// Waits before each retry of an alert that could not be delivered.
    pub retry_schedule_s: Vec<u64>,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self {
            emails: Vec::new(),
            webhook_url: None,
            signing_secret: None,
            retry_schedule_s: vec![30, 120, 600, 1800, 7200],
        }
    }
}

impl Config {
    /// Reads `--config FILE` (if any) and the process environment.
    pub fn from_env(file: Option<&std::path::Path>) -> Result<Config, ConfigError> {
        load(file, std::env::vars())
    }

    pub fn policy(&self) -> &Policy {
        &self.parsed_policy
    }

    pub fn listen_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.listen.parse().map_err(|e| {
            ConfigError::new(
                "listen",
                format!("`{}` is not host:port ({e})", self.listen),
            )
        })
    }

    pub fn public_base_url(&self) -> String {
        match &self.public_base_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.listen),
        }
    }

    fn validated(mut self) -> Result<Config, ConfigError> {
        self.listen_addr()?;
        let db = self.database_url.expose();
        if !(db.starts_with("sqlite:")
            || db.starts_with("postgres://")
            || db.starts_with("postgresql://"))
        {
            return Err(ConfigError::new(
                "database_url",
                "must start with sqlite: or postgres:// (the value is not shown: it may hold a password)",
            ));
        }
        if let Some(url) = &self.public_base_url {
            url::Url::parse(url).map_err(|e| ConfigError::new("public_base_url", e.to_string()))?;
        }
        if self.max_body_bytes < 1024 {
            return Err(ConfigError::new("max_body_bytes", "must be at least 1024"));
        }
        if self.check.deadline_ms == 0 {
            return Err(ConfigError::new("check.deadline_ms", "must be more than 0"));
        }
        if self.lookup.ttl_s == 0 {
            return Err(ConfigError::new("lookup.ttl_s", "must be at least 1"));
        }
        if self.lookup.deadline_ms == 0 {
            return Err(ConfigError::new(
                "lookup.deadline_ms",
                "must be more than 0",
            ));
        }
        if self.check.concurrency == 0 {
            return Err(ConfigError::new("check.concurrency", "must be at least 1"));
        }
        self.parsed_policy =
            Policy::default()
                .with_overrides(&self.policy, "")
                .map_err(|errs| {
                    let first = &errs[0];
                    ConfigError::new(
                        &format!("policy.{}", first.pointer.trim_start_matches('/')),
                        first.detail.clone(),
                    )
                })?;
        if let Some(secret) = &self.webhooks.signing_secret {
            crate::http::signature::decode_secret(secret.expose())
                .map_err(|e| ConfigError::new("webhooks.signing_secret", e))?;
        }
        self.sources.validate()?;
        for (key, expr) in [
            ("schedule.recheck", &self.schedule.recheck),
            ("schedule.surveys", &self.schedule.surveys),
            ("schedule.alerts", &self.schedule.alerts),
        ] {
            if expr.trim() != "off" {
                crate::jobs::scheduler::parse_schedule(expr)
                    .map_err(|e| ConfigError::new(key, e))?;
            }
        }
        if !matches!(self.email.transport.as_str(), "file" | "smtp") {
            return Err(ConfigError::new(
                "email.transport",
                "must be `file` or `smtp`",
            ));
        }
        for (i, address) in self.alerts.emails.iter().enumerate() {
            address
                .parse::<lettre::message::Mailbox>()
                .map_err(|e| ConfigError::new(&format!("alerts.emails[{i}]"), e.to_string()))?;
        }
        if let Some(url) = &self.alerts.webhook_url {
            let parsed = url::Url::parse(url)
                .map_err(|e| ConfigError::new("alerts.webhook_url", e.to_string()))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(ConfigError::new(
                    "alerts.webhook_url",
                    "must be an http or https URL",
                ));
            }
            let secret = self.alerts.signing_secret.as_ref().ok_or_else(|| {
                ConfigError::new(
                    "alerts.signing_secret",
                    "is required with alerts.webhook_url (whsec_ followed by base64): receivers verify alerts with it",
                )
            })?;
            crate::http::signature::decode_secret(secret.expose())
                .map_err(|e| ConfigError::new("alerts.signing_secret", e))?;
        }
        if let Some(analysts) = &self.analysts {
            for (i, t) in analysts.tokens.iter().enumerate() {
                let key = |field: &str| format!("analysts.tokens[{i}].{field}");
                if !matches!(t.role.as_str(), "viewer" | "reviewer") {
                    return Err(ConfigError::new(&key("role"), "must be viewer or reviewer"));
                }
                if t.name.trim().is_empty() {
                    return Err(ConfigError::new(&key("name"), "must not be empty"));
                }
                if analysts.tokens[..i].iter().any(|o| o.name == t.name) {
                    return Err(ConfigError::new(
                        &key("name"),
                        format!("`{}` is named twice: reviews record who made them", t.name),
                    ));
                }
                if t.token.expose().trim().chars().count() < 16 {
                    return Err(ConfigError::new(
                        &key("token"),
                        "must be at least 16 characters (e.g. `openssl rand -hex 24`)",
                    ));
                }
                if analysts.tokens[..i]
                    .iter()
                    .any(|o| o.token.expose() == t.token.expose())
                {
                    return Err(ConfigError::new(
                        &key("token"),
                        "is the same as another analyst's",
                    ));
                }
            }
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests;
