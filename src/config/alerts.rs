//! `[alerts]`: where alerts go — emails, a Standard-Webhooks-signed webhook, a Slack incoming
//! webhook — and how their delivery is retried; and `[[surveys.webhooks]]`, where survey
//! responses go (through the same outbox, on the same retry schedule).
use super::{ConfigError, Secret, text};
use crate::domain::response::{ResponseEvent, ResponseHook};
use crate::domain::{AlertChannel, AlertTarget, RetrySchedule};
use crate::signatures::SigningKeys;
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
    pub signing_secret: Option<SigningKeys>,
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

/// `[[surveys.webhooks]]`: one destination of survey responses, each signed with its own key
/// as Standard Webhooks.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyWebhook {
    pub url: String,
    /// `whsec_…`: the key this destination verifies with (a secret: never logged).
    pub secret: SigningKeys,
    /// `survey_response.created`, `survey_response.updated`, `survey.unsubscribed`; absent:
    /// all three.
    #[serde(default = "every_response_event")]
    pub events: Vec<ResponseEvent>,
}

fn every_response_event() -> Vec<ResponseEvent> {
    ResponseEvent::ALL.to_vec()
}

impl SurveyWebhook {
    /// Where it goes and what it wants, without its key.
    pub fn hook(&self) -> ResponseHook {
        ResponseHook {
            url: self.url.clone(),
            events: self.events.clone(),
        }
    }

    /// Each an http(s) URL wanting at least one event, no URL twice (a delivery finds its
    /// key by its URL).
    pub fn validate_all(hooks: &[SurveyWebhook]) -> Result<(), ConfigError> {
        for (i, hook) in hooks.iter().enumerate() {
            let key = |field: &str| format!("surveys.webhooks[{i}].{field}");
            let scheme = url::Url::parse(&hook.url).map(|u| u.scheme().to_owned());
            if !matches!(scheme.as_deref(), Ok("http" | "https")) {
                return Err(ConfigError::new(
                    &key("url"),
                    "must be an http or https URL",
                ));
            }
            if hook.events.is_empty() {
                return Err(ConfigError::new(
                    &key("events"),
                    "names no event; leave it out to receive all three",
                ));
            }
            if hooks[..i].iter().any(|h| h.url == hook.url) {
                return Err(ConfigError::new(
                    &key("url"),
                    "is listed twice; give each destination once, with every event it wants",
                ));
            }
        }
        Ok(())
    }
}
