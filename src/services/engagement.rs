//! Engagement coming in: the events a platform or an email provider reports, stored once each.
use crate::domain::event::EngagementEvent;
use crate::metrics::Metrics;
use crate::store::{
    Delivery, DeliveryToken, EngagementStore, EventsRecorded, NewQuarantined, QuarantineStore,
    Quarantined, Store, StoreError,
};
use chrono::Utc;
use std::sync::Arc;

/// What one request delivered, read and sorted.
#[derive(Debug, Default)]
pub struct Batch {
    pub events: Vec<EngagementEvent>,
    pub quarantined: Vec<NewQuarantined>,
    pub ignored: u64,
    pub token: Option<DeliveryToken>,
}

pub struct Engagement {
    store: Arc<dyn EngagementStore>,
    quarantine: Arc<dyn QuarantineStore>,
    metrics: Metrics,
}

impl Engagement {
    pub fn new(store: Arc<dyn Store>, metrics: Metrics) -> Self {
        Self {
            store: store.clone(),
            quarantine: store,
            metrics,
        }
    }

    /// Stores what a request could deliver and quarantines what it could not (the provider
    /// endpoints, `?partial=true`): the events first, then the quarantine, so a crash between
    /// loses no event (the provider's redelivery brings the rest again). A one-time `token`
    /// (Mailgun's) is marked used with the events; `ignored` counts what was understood and
    /// left on purpose.
    pub async fn record_batch(
        &self,
        batch: &Batch,
        delivered_by: &str,
    ) -> Result<EventsRecorded, StoreError> {
        let Batch {
            events,
            quarantined,
            ignored,
            token,
        } = batch;
        let mut recorded = match token {
            Some(token) if !events.is_empty() => {
                self.store
                    .record_events_once(
                        events,
                        Delivery {
                            by: delivered_by,
                            token,
                        },
                        Utc::now(),
                    )
                    .await?
            }
            _ => self.record(events, delivered_by).await?,
        };
        recorded.ignored = *ignored;
        recorded.received += ignored;
        recorded.quarantined = self.quarantine.quarantine(quarantined, Utc::now()).await?;
        for q in quarantined {
            self.metrics
                .quarantined
                .with_label_values(&[q.endpoint.as_str()])
                .inc();
            tracing::warn!(endpoint = %q.endpoint, pointer = %q.pointer, reason = %q.reason, "event quarantined");
        }
        recorded.received += quarantined.len() as u64;
        Ok(recorded)
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

    pub async fn quarantined(
        &self,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<Quarantined>, StoreError> {
        self.quarantine.quarantined(limit, offset).await
    }

    pub async fn quarantined_one(&self, id: &str) -> Result<Option<Quarantined>, StoreError> {
        self.quarantine.quarantined_one(id).await
    }

    /// Stores a quarantined entry's events (parsed again, perhaps corrected) under the
    /// credential that first delivered them, then drops the entry; a crash between leaves the
    /// entry, and replaying it again stores nothing twice (events are idempotent by id).
    pub async fn replay(
        &self,
        entry: &Quarantined,
        events: &[EngagementEvent],
        reviewer: &str,
    ) -> Result<EventsRecorded, StoreError> {
        let recorded = self.record(events, &entry.credential).await?;
        self.quarantine.drop_quarantined(&entry.id).await?;
        tracing::info!(reviewer, entry = %entry.id, endpoint = %entry.endpoint, stored = recorded.stored, "quarantined events replayed");
        Ok(recorded)
    }

    pub async fn drop_quarantined(&self, id: &str, reviewer: &str) -> Result<bool, StoreError> {
        let dropped = self.quarantine.drop_quarantined(id).await?;
        if dropped {
            tracing::info!(reviewer, entry = id, "quarantined entry dropped");
        }
        Ok(dropped)
    }
}
