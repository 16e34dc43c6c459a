//! Typed settings. Every key has a default, so a file need only name what differs, and with no
//! file at all the service runs on SQLite, the `static` fixtures and a file outbox.
//!
//! Everything is parsed here, once, into the types the service uses — signing keys, schedules,
//! roles, addresses — so a bad value is refused at start-up, named by its key, and nothing
//! downstream parses configuration again.
mod alerts;
mod files;
mod inbound;
pub(crate) mod keys;
mod limits;
mod load;
mod oidc;
mod platforms;
mod promises;
mod schedule;
mod secret;
mod sections;
mod source_rules;
mod sources;
mod text;
// Test-only: the keys the code accepts, held against docs/configuration.md.
#[cfg(test)]
mod keys_docs;

pub use alerts::{AlertsConfig, SurveyWebhook};
pub use inbound::{
    ConversionsConfig, CustomerioConfig, EventsConfig, InboundToken, LookupConfig,
    MailgunCampaignFrom, MailgunConfig, SegmentConfig, SendgridConfig, SesConfig, ShopifyConfig,
};
pub use limits::LimitsConfig;
pub use load::load;
pub use oidc::OidcConfig;
pub use platforms::{KLAVIYO_REVISION, MAILCHIMP_IN_FLIGHT, PlatformConfig, WatchConfig};
pub use promises::PromisesConfig;
pub use schedule::JobSchedule;
pub use secret::{Secret, Secrets, redact_url};
pub use sections::{
    AnalystToken, AnalystsConfig, CheckConfig, EmailConfig, RecheckConfig, RetentionConfig,
    ScheduleConfig, SurveysConfig, Transport, WebhooksConfig,
};
pub use sources::{LocationIds, SourceConfig, SourceKind, SourcesConfig};

use crate::domain::Policy;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;

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
    #[serde(deserialize_with = "text::parsed")]
    pub listen: SocketAddr,
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
    /// Who may post engagement events.
    pub events: EventsConfig,
    pub retention: RetentionConfig,
    /// Live campaigns checked again when a source pushes a change.
    pub recheck: RecheckConfig,
    /// Requests a client address may make a minute at the public doors; trusted proxies.
    pub limits: LimitsConfig,
    pub conversions: ConversionsConfig,
    /// Which links of an email promise a location or an item.
    pub promises: PromisesConfig,
    /// Where campaigns are scheduled (Klaviyo, Mailchimp, Braze): watched by the `watch` job.
    pub platforms: Vec<PlatformConfig>,
    pub watch: WatchConfig,
    /// After SIGTERM or SIGINT, how long `/readyz` answers 503 while requests are still served,
    /// before the server drains and stops.
    pub shutdown_grace_s: u64,
    /// Worker threads for the HTTP server; 0 means one per core.
    pub workers: usize,
    #[serde(skip)]
    parsed_policy: Policy,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
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
            events: EventsConfig::default(),
            retention: RetentionConfig::default(),
            recheck: RecheckConfig::default(),
            limits: LimitsConfig::default(),
            conversions: ConversionsConfig::default(),
            promises: PromisesConfig::default(),
            platforms: Vec::new(),
            watch: WatchConfig::default(),
            shutdown_grace_s: 5,
            workers: 0,
            parsed_policy: Policy::default(),
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

    /// The analyst tokens; empty when none are configured (the analyst API is then loopback
    /// only).
    pub fn analyst_tokens(&self) -> &[AnalystToken] {
        self.analysts
            .as_ref()
            .map(|a| a.tokens.as_slice())
            .unwrap_or_default()
    }

    /// `[analysts.oidc]`, when analysts sign in through an OpenID provider.
    pub fn oidc(&self) -> Option<&OidcConfig> {
        self.analysts.as_ref().and_then(|a| a.oidc.as_ref())
    }

    /// `[analysts] max_exemption_days` (default 90).
    pub fn max_exemption_days(&self) -> i64 {
        self.analysts.as_ref().map_or_else(
            || AnalystsConfig::default().max_exemption_days,
            |a| a.max_exemption_days,
        )
    }

    pub fn public_base_url(&self) -> String {
        match &self.public_base_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.listen),
        }
    }

    fn validated(mut self) -> Result<Config, ConfigError> {
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
        if self.retention.batch == 0 || self.retention.batch > 10_000 {
            return Err(ConfigError::new(
                "retention.batch",
                "must be 1 to 10000 rows a transaction",
            ));
        }
        if self.recheck.on_change_delay_s > 3600 {
            return Err(ConfigError::new(
                "recheck.on_change_delay_s",
                "must be at most 3600 (the recheck job's ticks catch slower changes)",
            ));
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
        self.sources.validate()?;
        self.promises.validate()?;
        platforms::validate(&self.platforms, &self.watch)?;
        self.alerts.validate()?;
        let max_days = self.max_exemption_days();
        if !(1..=365).contains(&max_days) {
            return Err(ConfigError::new(
                "analysts.max_exemption_days",
                "must be from 1 to 365: an exemption is for a while, not for good",
            ));
        }
        self.email.validate()?;
        self.surveys.validate()?;
        let events_days = self.retention.events_days;
        if events_days > 0 && events_days < u64::from(self.surveys.complaint_window_days) {
            return Err(ConfigError::new(
                "retention.events_days",
                format!(
                    "must be at least surveys.complaint_window_days ({}): complaints go with the events, and the guard counts them over its window",
                    self.surveys.complaint_window_days
                ),
            ));
        }
        if let Some(oidc) = self.oidc() {
            oidc.validate()?;
        }
        let analysts = self.analyst_tokens().iter();
        check_tokens(
            "analysts.tokens",
            analysts.map(|t| (t.name.as_str(), &t.token)),
        )?;
        inbound::validate(&self.events, &self.conversions, &self.lookup)?;
        self.limits.validate()?;
        if self.shutdown_grace_s > 60 {
            return Err(ConfigError::new(
                "shutdown_grace_s",
                "must be at most 60 (a load balancer needs seconds to notice, not minutes)",
            ));
        }
        Ok(self)
    }
}

/// A list of named tokens: names present and distinct (stored records name them), tokens long
/// enough to be secrets and distinct (each names one holder).
fn check_tokens<'a>(
    key: &str,
    tokens: impl Iterator<Item = (&'a str, &'a Secret)>,
) -> Result<(), ConfigError> {
    let tokens: Vec<(&str, &Secret)> = tokens.collect();
    for (i, (name, token)) in tokens.iter().enumerate() {
        let key = |field: &str| format!("{key}[{i}].{field}");
        if name.trim().is_empty() {
            return Err(ConfigError::new(&key("name"), "must not be empty"));
        }
        if tokens[..i].iter().any(|(other, _)| other == name) {
            return Err(ConfigError::new(
                &key("name"),
                format!("`{name}` is named twice: what it does is recorded under its name"),
            ));
        }
        if token.expose().trim().chars().count() < 16 {
            return Err(ConfigError::new(
                &key("token"),
                "must be at least 16 characters (e.g. `openssl rand -hex 24`)",
            ));
        }
        if tokens[..i]
            .iter()
            .any(|(_, other)| other.expose() == token.expose())
        {
            return Err(ConfigError::new(
                &key("token"),
                "is the same as another token",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
