//! Survey responses for `[[surveys.webhooks]]` (`domain::response`): an answer or unsubscribe
//! that a destination wants is written in the transaction that records it (`answers.rs` calls
//! `queue_response!`) — its event, the body as it stands then, and one alert per destination
//! that wants it, so a crash can neither lose the event nor send it twice under two ids. The
//! alert outbox delivers them (the response's id is the `webhook-id` at every destination and
//! on every retry); when the last destination has settled, the body — which names the person —
//! is cleared.
use super::db::on_pool;
use super::rows::from_millis;
use super::{SqlStore, StoreError};
use crate::domain::response::{
    AnswerState, ResponseBody, ResponseData, ResponseEvent, ResponseHook,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
pub trait ResponseStore: Send + Sync {
    /// A response as queued; its body is `None` once every destination has settled it, or
    /// when it is missing.
    async fn survey_response(&self, id: &str) -> Result<Option<StoredResponse>, StoreError>;
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredResponse {
    pub id: String,
    pub invitation_id: String,
    pub event: ResponseEvent,
    pub occurred_at: DateTime<Utc>,
    /// The JSON sent, byte for byte on every retry.
    pub body: Option<String>,
}

/// The invitation's answer as it stands, read before and after an answer in its transaction
/// (on PostgreSQL the first read locks the row, so two answers at once are told apart).
pub(super) const ANSWER_NOW_POSTGRES: &str =
    "SELECT score, reason, comment, unsubscribed_at FROM invitations WHERE id = $1 FOR UPDATE";
pub(super) const ANSWER_NOW_SQLITE: &str =
    "SELECT score, reason, comment, unsubscribed_at FROM invitations WHERE id = $1";

#[derive(sqlx::FromRow)]
pub(super) struct AnswerNow {
    score: Option<i64>,
    reason: Option<String>,
    comment: Option<String>,
    pub(super) unsubscribed_at: Option<i64>,
}

impl AnswerNow {
    pub(super) fn state(&self) -> AnswerState {
        AnswerState {
            score: self.score.and_then(|s| u8::try_from(s).ok()),
            reason: self.reason.clone(),
            comment: self.comment.clone(),
        }
    }
}

/// The body's `data`, as the invitation stands after the write.
pub(super) const RESPONSE_DATA: &str = "
SELECT i.id, i.campaign_id, c.name AS campaign_name, i.recipient, i.locale, i.score, i.reason,
       i.comment, i.promise_state, i.answered_at
FROM invitations i LEFT JOIN campaigns c ON c.id = i.campaign_id WHERE i.id = $1";

#[derive(sqlx::FromRow)]
pub(super) struct DataRaw {
    id: String,
    campaign_id: String,
    campaign_name: Option<String>,
    recipient: String,
    locale: Option<String>,
    score: Option<i64>,
    reason: Option<String>,
    comment: Option<String>,
    promise_state: Option<String>,
    answered_at: Option<i64>,
}

pub(super) const INSERT_RESPONSE: &str = "
INSERT INTO survey_responses (id, invitation_id, type, occurred_at, body)
VALUES ($1, $2, $3, $4, $5)";
pub(super) const INSERT_RESPONSE_ALERT: &str = "
INSERT INTO alerts (id, response_id, campaign_id, channel, target, status, attempts,
                    next_attempt_at, created_at)
VALUES ($1, $2, $3, 'webhook', $4, 'queued', 0, $5, $5)";

/// After an alert about a response settles: the body goes once no delivery of it waits.
pub(super) const FORGET_SETTLED_BODY: &str = "
UPDATE survey_responses SET body = NULL
WHERE id = (SELECT response_id FROM alerts WHERE id = $1)
  AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.response_id = survey_responses.id
                                          AND a.status IN ('queued', 'sending'))";

/// What one event queues: the response row and an alert to each destination that wants it.
pub(super) struct QueuedResponse {
    pub(super) id: String,
    pub(super) campaign_id: String,
    pub(super) body: String,
    /// (alert id, destination URL).
    pub(super) alerts: Vec<(String, String)>,
}

impl QueuedResponse {
    /// `None` when no destination wants `event`.
    pub(super) fn new(
        event: ResponseEvent,
        data: DataRaw,
        hooks: &[ResponseHook],
        now: DateTime<Utc>,
    ) -> Result<Option<Self>, StoreError> {
        let alerts: Vec<_> = hooks
            .iter()
            .filter(|h| h.wants(event))
            .map(|h| (uuid::Uuid::new_v4().to_string(), h.url.clone()))
            .collect();
        if alerts.is_empty() {
            return Ok(None);
        }
        let campaign_id = data.campaign_id.clone();
        let body = ResponseBody {
            kind: event,
            timestamp: now,
            data: ResponseData {
                invitation_id: data.id,
                campaign_id: data.campaign_id,
                campaign_name: data.campaign_name,
                recipient: data.recipient,
                locale: data.locale,
                score: data.score.and_then(|s| u8::try_from(s).ok()),
                reason: data.reason,
                comment: data.comment,
                promise_state: data.promise_state,
                answered_at: data.answered_at.map(from_millis),
            },
        };
        Ok(Some(Self {
            id: uuid::Uuid::new_v4().to_string(),
            campaign_id,
            body: serde_json::to_string(&body).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            alerts,
        }))
    }
}

/// Queues `$event` about invitation `$id` to the destinations in `$hooks` that want it, in the
/// open transaction `$tx` (after the answer or unsubscribe was written in it).
macro_rules! queue_response {
    ($tx:expr, $id:expr, $event:expr, $hooks:expr, $now:expr) => {{
        use $crate::store::responses::{
            DataRaw, INSERT_RESPONSE, INSERT_RESPONSE_ALERT, QueuedResponse, RESPONSE_DATA,
        };
        let data: DataRaw = sqlx::query_as(RESPONSE_DATA)
            .bind($id)
            .fetch_one(&mut *$tx)
            .await?;
        if let Some(queued) = QueuedResponse::new($event, data, $hooks, $now)? {
            let at = $crate::store::rows::millis($now);
            sqlx::query(INSERT_RESPONSE)
                .bind(&queued.id)
                .bind($id)
                .bind($event.as_str())
                .bind(at)
                .bind(&queued.body)
                .execute(&mut *$tx)
                .await?;
            for (alert_id, url) in &queued.alerts {
                sqlx::query(INSERT_RESPONSE_ALERT)
                    .bind(alert_id)
                    .bind(&queued.id)
                    .bind(&queued.campaign_id)
                    .bind(url)
                    .bind(at)
                    .execute(&mut *$tx)
                    .await?;
            }
        }
    }};
}
pub(super) use queue_response;

#[derive(sqlx::FromRow)]
struct StoredRaw {
    id: String,
    invitation_id: String,
    #[sqlx(rename = "type")]
    kind: String,
    occurred_at: i64,
    body: Option<String>,
}

#[async_trait]
impl ResponseStore for SqlStore {
    async fn survey_response(&self, id: &str) -> Result<Option<StoredResponse>, StoreError> {
        let raw: Option<StoredRaw> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT id, invitation_id, type, occurred_at, body FROM survey_responses WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await)?;
        raw.map(|raw| {
            Ok(StoredResponse {
                event: super::rows::parse("survey_responses.type", &raw.kind)?,
                id: raw.id,
                invitation_id: raw.invitation_id,
                occurred_at: from_millis(raw.occurred_at),
                body: raw.body,
            })
        })
        .transpose()
    }
}
