//! The alert's two HTTP deliveries: a Standard-Webhooks-signed POST to `[alerts]
//! webhook_url`, and a Slack incoming-webhook message to `slack_webhook_url`.
use super::{AlertPayload, Alerts};
use crate::domain::SendError;
use crate::domain::slack::SlackMessage;
use crate::store::ClaimedAlert;
use chrono::Utc;

impl Alerts {
    /// One POST to the Slack incoming webhook. 2xx is delivered; 408, 429 and 5xx are retried;
    /// any other answer (400 `invalid_payload`, 403, 404 `no_service`, 410 `channel_is_archived`:
    /// a revoked or broken webhook) is not. The URL is the credential: no error names it.
    pub(super) async fn post_to_slack(&self, message: &SlackMessage) -> Result<(), SendError> {
        let url = self.slack_url.as_ref().ok_or_else(|| {
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

    /// One signed POST. 2xx is delivered; 408, 429, 5xx and network errors are retried;
    /// any other answer means the receiver refuses it, which retrying will not change.
    pub(super) async fn post<D: serde::Serialize>(
        &self,
        alert: &ClaimedAlert,
        payload: &AlertPayload<D>,
    ) -> Result<(), SendError> {
        let body = serde_json::to_vec(payload).map_err(|e| SendError::Permanent(e.to_string()))?;
        let key = self
            .signing_key
            .as_ref()
            .ok_or_else(|| SendError::Permanent("alerts.signing_secret is not set".into()))?;
        let timestamp = Utc::now().timestamp();
        let signature = key.sign(&alert.id, timestamp, &body);
        let answer = self
            .http
            .post(&alert.target)
            .header("content-type", "application/json")
            .header("webhook-id", &alert.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await
            .map_err(|e| SendError::Transient(format!("POST {}: {e}", alert.target)))?;
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
