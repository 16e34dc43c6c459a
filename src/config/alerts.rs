//! `[alerts]`: where alerts go — emails, a Standard-Webhooks-signed webhook, a Slack incoming
//! webhook — and how their delivery is retried.
use super::{ConfigError, Secret, text};
use crate::domain::{AlertChannel, AlertTarget, RetrySchedule};
use crate::signatures::SigningKey;
use lettre::message::Mailbox;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// Addresses told about each new block finding on a running campaign.
    #[serde(deserialize_with = "text::parsed_each")]
    pub emails: Vec<Mailbox>,
    /// Receives a Standard-Webhooks-signed POST for each new block finding.
    pub webhook_url: Option<String>,
    /// `whsec_…` key that signs the POSTs; required with `webhook_url`.
    pub signing_secret: Option<SigningKey>,
    /// A Slack incoming webhook's URL (a secret: it is the credential).
    pub slack_webhook_url: Option<Secret>,
    /// Waits before each retry of an alert that could not be delivered.
    pub retry_schedule_s: Vec<u64>,
}

impl AlertsConfig {
    /// Every destination, emails first.
    pub fn targets(&self) -> Vec<AlertTarget> {
        let emails = self.emails.iter().map(|address| AlertTarget {
            channel: AlertChannel::Email,
            target: address.to_string(),
        });
        let webhook = self.webhook_url.iter().map(|url| AlertTarget {
            channel: AlertChannel::Webhook,
            target: url.clone(),
        });
        // The URL is a secret: the row names the channel, the URL is read at delivery.
        let slack = self.slack_webhook_url.iter().map(|_| AlertTarget {
            channel: AlertChannel::Slack,
            target: "slack".into(),
        });
        emails.chain(webhook).chain(slack).collect()
    }

    pub fn retry_schedule(&self) -> RetrySchedule {
        RetrySchedule::new(self.retry_schedule_s.clone())
    }
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self {
            emails: Vec::new(),
            webhook_url: None,
            signing_secret: None,
            slack_webhook_url: None,
            retry_schedule_s: vec![30, 120, 600, 1800, 7200],
        }
    }
}

impl AlertsConfig {
    /// The webhook's URL and its key go together; the Slack webhook is a URL. A secret's
    /// error names the key, never the value.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(url) = &self.webhook_url {
            let parsed = url::Url::parse(url)
                .map_err(|e| ConfigError::new("alerts.webhook_url", e.to_string()))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(ConfigError::new(
                    "alerts.webhook_url",
                    "must be an http or https URL",
                ));
            }
            if self.signing_secret.is_none() {
                return Err(ConfigError::new(
                    "alerts.signing_secret",
                    "is required with alerts.webhook_url (whsec_ followed by base64): receivers verify alerts with it",
                ));
            }
        }
        if let Some(url) = &self.slack_webhook_url {
            let scheme = url::Url::parse(url.expose()).map(|u| u.scheme().to_owned());
            if !matches!(scheme.as_deref(), Ok("http" | "https")) {
                return Err(ConfigError::new(
                    "alerts.slack_webhook_url",
                    "must be an http or https URL (Slack's is https://hooks.slack.com/services/…)",
                ));
            }
        }
        Ok(())
    }
}
