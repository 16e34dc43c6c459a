//! The JSON shapes of answers whose data comes from the store as it is kept: each a type of the
//! HTTP layer, mapped from its store record, so a change of a table or a record is not a change
//! of the API (the golden tests in `tests/api/golden.rs` pin the bytes). The analysts' views
//! (`services::analyst`) are built by that service for the JSON API and the pages alike, and map
//! their store records there.
use crate::services::mapped;
use crate::store;
use chrono::{DateTime, Utc};
use serde::Serialize;

mapped! {
    /// What one events request changed.
    #[derive(Debug, Serialize, utoipa::ToSchema)]
    pub struct EventsRecorded from store::EventsRecorded {
        /// Events in the request.
        pub received: u64,
        /// Events stored now (the rest had been seen before).
        pub stored: u64,
        pub duplicates: u64,
        /// Addresses newly suppressed from surveys.
        pub suppressed: u64,
        /// Events for erased addresses, refused quietly (stored nowhere).
        pub forgotten: u64,
        /// Events (or a whole body) that could not be taken, kept in the quarantine instead.
        pub quarantined: u64,
        /// Events understood and deliberately not kept: types promiseguard does not use that name
        /// no address (Braze), orders without a customer address, other Segment events.
        pub ignored: u64,
    }
}

mapped! {
    /// One quarantined event (or body).
    #[derive(Debug, Serialize, utoipa::ToSchema)]
    pub struct Quarantined from store::Quarantined {
        pub id: String,
        pub endpoint: String,
        /// The raw JSON, as it came (an event, or a whole body that did not parse).
        pub payload: String,
        pub reason: String,
        pub pointer: String,
        pub credential: String,
        pub received_at: DateTime<Utc>,
    }
}

mapped! {
    /// A Shopify `customers/data_request`, as recorded.
    #[derive(Debug, Serialize, utoipa::ToSchema)]
    pub struct DataRequest from store::DataRequestRow {
        pub id: String,
        pub shop_domain: String,
        pub customer_email: Option<String>,
        pub data_request_id: Option<String>,
        pub orders_requested: Vec<u64>,
        pub received_at: DateTime<Utc>,
    }
}

/// Everything kept about one address.
#[derive(Debug, Serialize, utoipa::ToSchema)]
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

mapped! {
    #[derive(Debug, Serialize, utoipa::ToSchema)]
    pub struct RecipientEvent from store::RecipientEvent {
        pub id: String,
        pub source: String,
        #[serde(rename = "type")]
        pub kind: String,
        pub campaign_id: Option<String>,
        pub occurred_at: DateTime<Utc>,
        pub received_at: DateTime<Utc>,
        pub url: Option<String>,
        pub order_id: Option<String>,
        /// The language the event named (BCP 47).
        pub locale: Option<String>,
        /// The time zone the event said the person is in (IANA; Braze's `user.timezone`, our
        /// JSON's `timezone`).
        pub zone: Option<String>,
        /// What a click reached for, by the `[promises]` templates: the location its URL
        /// names, and the sku for an item link.
        pub location: Option<String>,
        pub sku: Option<String>,
        /// A click's judgement against that promise, at its own time (`broken`, `kept`,
        /// `unknown`).
        pub judgement: Option<String>,
    }
}

mapped! {
    #[derive(Debug, Serialize, utoipa::ToSchema)]
    pub struct RecipientInvitation from store::RecipientInvitation {
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
        /// What the person's clicks on the campaign met, as the invitation was queued
        /// (`broken`, `kept`, `unknown`): the answer's reason read against it.
        pub promise_state: Option<String>,
        /// While it is queued: when it will go — at its recipient's send window's opening, or
        /// after a retry's wait.
        pub send_after: Option<DateTime<Utc>>,
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Suppression {
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CampaignName {
    pub id: String,
    pub name: Option<String>,
}

impl From<store::RecipientData> for RecipientData {
    fn from(d: store::RecipientData) -> Self {
        Self {
            address: d.address,
            events: d.events.into_iter().map(RecipientEvent::from).collect(),
            invitations: d
                .invitations
                .into_iter()
                .map(RecipientInvitation::from)
                .collect(),
            suppression: d.suppression.map(|s| Suppression {
                reason: s.reason,
                created_at: s.created_at,
            }),
            campaigns: d
                .campaigns
                .into_iter()
                .map(|c| CampaignName {
                    id: c.id,
                    name: c.name,
                })
                .collect(),
            do_not_contact: d.do_not_contact,
        }
    }
}

/// What one erasure removed, counted by kind.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErasureReceipt {
    pub erased: Erased,
    /// Answers whose score and reason stay, without the address, in their campaign's NPS.
    pub anonymised_answers: u64,
    /// Always true after an erasure: the address's keyed hash is on the do-not-contact list.
    pub do_not_contact: bool,
    /// The address had been erased before (this erasure found nothing more, or only what
    /// arrived since).
    pub already_erased: bool,
    pub erased_at: DateTime<Utc>,
}

mapped! {
    #[derive(Debug, Serialize, utoipa::ToSchema)]
    pub struct Erased from store::Erased {
        /// Engagement events (clicks, conversions, sends, provider events) deleted.
        pub events: u64,
        /// Survey invitations whose address was removed.
        pub invitations: u64,
        /// Free-text survey comments deleted.
        pub comments: u64,
        /// Suppressions (unsubscribes, bounces, spam reports) deleted — the do-not-contact list
        /// takes their place.
        pub suppressions: u64,
        /// Alerts about the person's answers deleted, sent or queued (they named the address):
        /// detractor alerts, and deliveries of their responses to `[[surveys.webhooks]]`.
        pub alerts: u64,
        /// The person's survey responses held for `[[surveys.webhooks]]` deleted (a queued one
        /// is then never sent).
        pub responses: u64,
        /// Recorded data requests (Shopify's `customers/data_request`) naming the address.
        pub requests: u64,
        /// Quarantined events whose payload holds the address.
        pub quarantined: u64,
    }
}

impl From<store::ErasureReceipt> for ErasureReceipt {
    fn from(r: store::ErasureReceipt) -> Self {
        Self {
            erased: r.erased.into(),
            anonymised_answers: r.anonymised_answers,
            do_not_contact: r.do_not_contact,
            already_erased: r.already_erased,
            erased_at: r.erased_at,
        }
    }
}
