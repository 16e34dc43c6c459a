//! Everything stored about one person, by address (GDPR article 15: access): their events,
//! invitations with status and answers, their suppression, and the campaigns concerned.
use super::db::on_pool;
use super::rows::from_millis;
use super::{ErasureStore, SqlStore, StoreError};
use crate::domain::judgement::Judgement;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
pub trait RecipientStore: Send + Sync {
    /// What is stored about `address`, compared case-insensitively (ASCII).
    async fn recipient_data(&self, address: &str) -> Result<RecipientData, StoreError>;
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecipientData {
    pub address: String,
    pub events: Vec<RecipientEvent>,
    pub invitations: Vec<RecipientInvitation>,
    /// Present when the address is never surveyed (an unsubscribe, a bounce, a spam report).
    pub suppression: Option<Suppression>,
    /// Every campaign the events and invitations name.
    pub campaigns: Vec<CampaignName>,
    /// The address was erased: only its keyed hash is kept, on the do-not-contact list.
    pub do_not_contact: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecipientEvent {
    pub id: String,
    pub source: String,
    pub kind: String,
    pub campaign_id: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub url: Option<String>,
    pub order_id: Option<String>,
    /// The language the event named (BCP 47).
    pub locale: Option<String>,
    /// The time zone the event said the person is in (IANA).
    pub zone: Option<String>,
    /// What a click reached for: the location its URL names, and the sku for an item link.
    pub location: Option<String>,
    pub sku: Option<String>,
    /// A click's judgement against that promise: broken, kept or unknown.
    pub judgement: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecipientInvitation {
    pub id: String,
    pub campaign_id: String,
    /// queued, sending, sent, failed or unknown.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub score: Option<u8>,
    pub reason: Option<String>,
    pub comment: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub unsubscribed_at: Option<DateTime<Utc>>,
    pub reminder_status: Option<String>,
    /// The language the survey was written in.
    pub locale: Option<String>,
    /// What the person's clicks met when it was queued: broken, kept or unknown.
    pub promise_state: Option<String>,
    /// While queued: when it will go (its recipient's send window, or a retry's wait).
    pub send_after: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Suppression {
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CampaignName {
    pub id: String,
    pub name: Option<String>,
}

/// An event as `recipient_data` reads it.
#[derive(sqlx::FromRow)]
struct EventRaw {
    id: String,
    source: String,
    #[sqlx(rename = "type")]
    kind: String,
    campaign_id: Option<String>,
    occurred_at: i64,
    received_at: i64,
    url: Option<String>,
    order_id: Option<String>,
    locale: Option<String>,
    zone: Option<String>,
    location: Option<String>,
    sku: Option<String>,
    judgement: Option<i64>,
}

impl TryFrom<EventRaw> for RecipientEvent {
    type Error = StoreError;
    fn try_from(e: EventRaw) -> Result<Self, StoreError> {
        let judgement = e
            .judgement
            .map(|code| Judgement::from_code(code).map(|j| j.as_str().to_owned()))
            .transpose()
            .map_err(|err| StoreError::Corrupt(format!("event {}: {err}", e.id)))?;
        Ok(Self {
            id: e.id,
            source: e.source,
            kind: e.kind,
            campaign_id: e.campaign_id,
            occurred_at: from_millis(e.occurred_at),
            received_at: from_millis(e.received_at),
            url: e.url,
            order_id: e.order_id,
            locale: e.locale,
            zone: e.zone,
            location: e.location,
            sku: e.sku,
            judgement,
        })
    }
}
type InvitationRaw = (
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
);

#[async_trait]
impl RecipientStore for SqlStore {
    async fn recipient_data(&self, address: &str) -> Result<RecipientData, StoreError> {
        let address = crate::domain::event::fold_address(address);
        let events: Vec<EventRaw> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT id, source, type, campaign_id, occurred_at, received_at, url, order_id, locale,
                    zone, location, sku, judgement
             FROM events WHERE lower(recipient) = $1 ORDER BY occurred_at, id",
        )
        .bind(&address)
        .fetch_all(pool)
        .await)?;
        let invitations: Vec<InvitationRaw> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT id, campaign_id, status, created_at, sent_at, score, reason, comment,
                    answered_at, unsubscribed_at, reminder_status, locale, promise_state,
                    CASE WHEN status = 'queued' THEN next_attempt_at END
             FROM invitations WHERE lower(recipient) = $1 ORDER BY created_at, id",
        )
        .bind(&address)
        .fetch_all(pool)
        .await)?;
        let suppression: Option<(String, i64)> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT reason, created_at FROM suppressions WHERE lower(address) = $1",
        )
        .bind(&address)
        .fetch_optional(pool)
        .await)?;
        let campaigns: Vec<(String, Option<String>)> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT id, name FROM campaigns WHERE id IN (
                 SELECT campaign_id FROM events WHERE lower(recipient) = $1 AND campaign_id IS NOT NULL
                 UNION SELECT campaign_id FROM invitations WHERE lower(recipient) = $1)
             ORDER BY id",
        )
        .bind(&address)
        .fetch_all(pool)
        .await)?;
        Ok(RecipientData {
            events: events
                .into_iter()
                .map(RecipientEvent::try_from)
                .collect::<Result<_, _>>()?,
            invitations: invitations
                .into_iter()
                .map(
                    |(
                        id,
                        campaign_id,
                        status,
                        created,
                        sent,
                        score,
                        reason,
                        comment,
                        answered,
                        unsubscribed,
                        reminder_status,
                        locale,
                        promise_state,
                        send_after,
                    )| RecipientInvitation {
                        id,
                        campaign_id,
                        status,
                        created_at: from_millis(created),
                        sent_at: sent.map(from_millis),
                        score: score.map(|s| s as u8),
                        reason,
                        comment,
                        answered_at: answered.map(from_millis),
                        unsubscribed_at: unsubscribed.map(from_millis),
                        reminder_status,
                        locale,
                        promise_state,
                        send_after: send_after.map(from_millis),
                    },
                )
                .collect(),
            suppression: suppression.map(|(reason, at)| Suppression {
                reason,
                created_at: from_millis(at),
            }),
            campaigns: campaigns
                .into_iter()
                .map(|(id, name)| CampaignName { id, name })
                .collect(),
            do_not_contact: self.is_erased(&address).await?,
            address,
        })
    }
}
