//! The alert's HTTP deliveries: a Standard-Webhooks-signed POST to `[alerts] webhook_url` or
//! of a survey response to a `[[surveys.webhooks]]` destination, and a Slack incoming-webhook
//! message to `slack_webhook_url`; and the keys they are signed with and the Slack URL
//! (`Signers`, replaced whole on `SIGHUP`).
use super::{AlertPayload, Alerts};
use crate::config::{Secret, SurveyWebhook};
use crate::domain::SendError;
use crate::domain::slack::SlackMessage;
use crate::signatures::SigningKeys;
use crate::store::ClaimedAlert;
use chrono::Utc;
use std::sync::Arc;

impl Alerts {
    /// One POST to the Slack incoming webhook. 2xx is delivered; 408, 429 and 5xx are retried;
    /// any other answer (400 `invalid_payload`, 403, 404 `no_service`, 410 `channel_is_archived`:
    /// a revoked or broken webhook) is not. The URL is the credential: no error names it.
    pub(super) async fn post_to_slack(&self, message: &SlackMessage) -> Result<(), SendError> {
        let signers = self.signers();
        let url = signers.slack.as_ref().ok_or_else(|| {
            SendError::Permanent("alerts.slack_webhook_url is no longer set".into())
        })?;
        let answer = self
            .http
            .post(url.expose())
            .json(message)
            .send()
            .await
            .map_err(|e| SendError::Transient(format!("POST to Slack: {}", e.without_url())))?;
        let status = answer.status();
        if status.is_success() {
            return Ok(());
        }
        let said: String = answer
            .text()
            .await
            .unwrap_or_default()
            .chars()
            .take(200)
            .collect();
        let error = format!("Slack answered {status}: {said}");
        if status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429 {
            Err(SendError::Transient(error))
        } else {
            Err(SendError::Permanent(error))
        }
    }

    /// One signed POST of an alert with `[alerts] signing_secret`, its id the `webhook-id`.
    pub(super) async fn post<D: serde::Serialize>(
        &self,
        alert: &ClaimedAlert,
        payload: &AlertPayload<D>,
    ) -> Result<(), SendError> {
        let body = serde_json::to_vec(payload).map_err(|e| SendError::Permanent(e.to_string()))?;
        let signers = self.signers();
        let key = signers
            .alerts
            .as_ref()
            .ok_or_else(|| SendError::Permanent("alerts.signing_secret is not set".into()))?;
        self.post_signed(&alert.target, &alert.id, key, body).await
    }

    /// A survey response to its `[[surveys.webhooks]]` destination (found by the alert's URL),
    /// signed with that destination's key; the response's id is the `webhook-id` at every
    /// destination and on every retry, and its body the bytes written with the answer.
    pub(super) async fn send_response(
        &self,
        alert: &ClaimedAlert,
        response_id: &str,
    ) -> Result<(), SendError> {
        let signers = self.signers();
        let hook = signers
            .responses
            .iter()
            .find(|h| h.url == alert.target)
            .ok_or_else(|| {
                SendError::Permanent("the destination is no longer in [[surveys.webhooks]]".into())
            })?;
        let response = self
            .store
            .responses
            .survey_response(response_id)
            .await
            .map_err(super::store_error)?;
        let body = response.and_then(|r| r.body).ok_or_else(|| {
            SendError::Permanent("the response is no longer held (erased or settled)".into())
        })?;
        self.post_signed(&alert.target, response_id, &hook.secret, body.into_bytes())
            .await
    }

    /// One Standard-Webhooks-signed POST. 2xx is delivered; 408, 429, 5xx and network errors
    /// are retried; any other answer means the receiver refuses it, which retrying will not
    /// change.
    async fn post_signed(
        &self,
        url: &str,
        webhook_id: &str,
        key: &SigningKeys,
        body: Vec<u8>,
    ) -> Result<(), SendError> {
        let timestamp = Utc::now().timestamp();
        let signature = key.sign(webhook_id, timestamp, &body);
        let answer = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", webhook_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await
            .map_err(|e| SendError::Transient(format!("POST {url}: {e}")))?;
        let status = answer.status();
        if status.is_success() {
            Ok(())
        } else if status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429 {
            Err(SendError::Transient(format!(
                "the receiver answered {status}"
            )))
        } else {
            Err(SendError::Permanent(format!(
                "the receiver answered {status}"
            )))
        }
    }
}

/// The keys what the alert outbox sends is signed with, and the Slack webhook's URL (which is
/// its credential).
pub struct Signers {
    /// `alerts.signing_secret`.
    pub alerts: Option<SigningKeys>,
    /// `[[surveys.webhooks]]`: where survey responses go, each with its keys.
    pub responses: Vec<SurveyWebhook>,
    /// `alerts.slack_webhook_url`.
    pub slack: Option<Secret>,
}

impl Signers {
    pub fn of(config: &crate::config::Config) -> Self {
        Self {
            alerts: config.alerts.signing_secret.clone(),
            responses: config.surveys.webhooks.clone(),
            slack: config.alerts.slack_webhook_url.clone(),
        }
    }
}

impl Alerts {
    /// The keys in force now.
    pub fn signers(&self) -> Arc<Signers> {
        self.signers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Puts `signers` in force for every delivery from now on (`SIGHUP`).
    pub fn replace_signers(&self, signers: Signers) {
        *self.signers.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(signers);
    }
}
