//! Engagement coming in: the events a platform or an email provider reports, stored once each.
use crate::domain::event::EngagementEvent;
use crate::store::{EventsRecorded, Store, StoreError};
use chrono::Utc;
use std::sync::Arc;

pub struct Engagement {
    store: Arc<dyn Store>,
}

impl Engagement {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// Stores one request's events, all or nothing (idempotent by event id), with the name of
    /// the credential that delivered them.
    pub async fn record(
        &self,
        events: &[EngagementEvent],
        delivered_by: &str,
    ) -> Result<EventsRecorded, StoreError> {
        let recorded = self
            .store
            .record_events(events, delivered_by, Utc::now())
            .await?;
        tracing::info!(
            delivered_by,
            received = recorded.received,
            stored = recorded.stored,
            suppressed = recorded.suppressed,
            forgotten = recorded.forgotten,
            "events recorded"
        );
        Ok(recorded)
    }
}
