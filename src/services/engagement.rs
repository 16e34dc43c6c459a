//! Engagement coming in: the events a platform or an email provider reports, stored once each,
//! each click with the promise its URL names (`[promises]` templates).
use crate::domain::content::LinkTemplates;
use crate::domain::content::templates::LinkPromise;
use crate::domain::event::{EngagementEvent, EventKind};
use crate::domain::judgement::Judgement;
use crate::metrics::Metrics;
use crate::store::{
    ClickPromise, ClickSpan, ClickStore, ComplaintStore, Delivery, DeliveryToken, EngagementStore,
    EventsRecorded, NewComplaint, NewQuarantined, QuarantineStore, Quarantined, Store, StoreError,
};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
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
    complaints: Arc<dyn ComplaintStore>,
    /// `[surveys] complaint_window_days`: a complaint without the survey's marker counts
    /// against a survey mailed to its address this long before it.
    complaint_window: Duration,
    quarantine: Arc<dyn QuarantineStore>,
    clicks: Arc<dyn ClickStore>,
    metrics: Metrics,
    /// How a click's URL names the promise it reached for.
    templates: Arc<LinkTemplates>,
}

/// Stored clicks read again per page by `rematch` (a short transaction each).
const REMATCH_PAGE: u32 = 500;

/// What a rematch did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rematched {
    pub read: u64,
    pub changed: u64,
}

impl std::fmt::Display for Rematched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "clicks rematched: {} read, {} changed",
            self.read, self.changed
        )
    }
}

impl Engagement {
    pub fn new(
        store: Arc<dyn Store>,
        metrics: Metrics,
        templates: LinkTemplates,
        complaint_window: Duration,
    ) -> Self {
        Self {
            store: store.clone(),
            complaints: store.clone(),
            complaint_window,
            quarantine: store.clone(),
            clicks: store,
            metrics,
            templates: Arc::new(templates),
        }
    }

    /// Names, on each click, the promise its URL reached for and judges the click against it.
    async fn take_promises(&self, events: &mut [EngagementEvent]) -> Result<(), StoreError> {
        self.name_promises(events);
        self.judge(events).await
    }

    /// Judges each click against the promise it names (`domain::judgement`), from stored
    /// checks and reviews only: one read for all the batch's campaigns, and per click one
    /// lookup of its campaign.
    async fn judge(&self, events: &mut [EngagementEvent]) -> Result<(), StoreError> {
        // Each click's span (index into `spans`), if it names a promise and a campaign.
        let mut slots: Vec<Option<usize>> = Vec::with_capacity(events.len());
        let mut spans: Vec<ClickSpan> = Vec::new();
        {
            let mut index: HashMap<&str, usize> = HashMap::new();
            for e in events.iter() {
                let slot = match (&e.kind, &e.promise, &e.campaign_id) {
                    (EventKind::Click, Some(_), Some(campaign)) => {
                        let at = e.occurred_at;
                        let slot = *index.entry(campaign.as_str()).or_insert_with(|| {
                            spans.push(ClickSpan {
                                campaign_id: campaign.clone(),
                                from: at,
                                to: at,
                            });
                            spans.len() - 1
                        });
                        let span = &mut spans[slot];
                        span.from = span.from.min(at);
                        span.to = span.to.max(at);
                        Some(slot)
                    }
                    _ => None,
                };
                slots.push(slot);
            }
        }
        let timelines = self.clicks.timelines(&spans).await?;
        for (e, slot) in events.iter_mut().zip(slots) {
            if e.kind != EventKind::Click {
                continue;
            }
            e.judgement = Some(match slot.and_then(|s| timelines.get(s)) {
                Some(timeline) => timeline.judge(e.promise.as_ref(), e.occurred_at),
                None => Judgement::Unknown,
            });
        }
        Ok(())
    }

    /// Names, on each click with a URL, the promise the URL reached for. A batch's clicks
    /// mostly repeat a campaign's few links, so each distinct URL is matched once.
    fn name_promises(&self, events: &mut [EngagementEvent]) {
        if self.templates.is_empty() {
            return;
        }
        let mut matched: HashMap<String, Option<LinkPromise>> = HashMap::new();
        for e in events.iter_mut() {
            let (EventKind::Click, Some(url)) = (&e.kind, &e.url) else {
                continue;
            };
            e.promise = match matched.get(url.as_str()) {
                Some(promise) => promise.clone(),
                None => {
                    let promise = self.templates.promise(url);
                    matched.insert(url.clone(), promise.clone());
                    promise
                }
            };
        }
    }

    /// Matches stored clicks (those at or after `since`, or all) against the templates again,
    /// page by page, and stores what changed, judged anew at the click's own time: after the
    /// templates (or the location ids) change.
    pub async fn rematch(&self, since: Option<DateTime<Utc>>) -> Result<Rematched, StoreError> {
        let mut done = Rematched::default();
        let mut after: Option<String> = None;
        loop {
            let page = self
                .clicks
                .clicks_page(after.as_deref(), since, REMATCH_PAGE)
                .await?;
            let Some(last) = page.last() else {
                break;
            };
            after = Some(last.id.clone());
            done.read += page.len() as u64;
            let mut changed: Vec<EngagementEvent> = page
                .into_iter()
                .filter_map(|click| {
                    let promise = click.url.as_deref().and_then(|u| self.templates.promise(u));
                    let (location, sku) = match &promise {
                        Some(LinkPromise::Location(location)) => (Some(location), None),
                        Some(LinkPromise::Item { sku, location }) => (Some(location), Some(sku)),
                        None => (None, None),
                    };
                    let same = location == click.location.as_ref() && sku == click.sku.as_ref();
                    (!same).then(|| EngagementEvent::stored_click(click, promise))
                })
                .collect();
            self.judge(&mut changed).await?;
            let changes: Vec<ClickPromise> = changed.into_iter().map(ClickPromise::from).collect();
            done.changed += changes.len() as u64;
            self.clicks.set_click_promises(&changes).await?;
        }
        tracing::info!(read = done.read, changed = done.changed, "clicks rematched");
        Ok(done)
    }

    /// Stores what a request could deliver and quarantines what it could not (the provider
    /// endpoints, `?partial=true`): the events first, then the quarantine, so a crash between
    /// loses no event (the provider's redelivery brings the rest again). A one-time `token`
    /// (Mailgun's) is marked used with the events; `ignored` counts what was understood and
    /// left on purpose.
    pub async fn record_batch(
        &self,
        batch: &mut Batch,
        delivered_by: &str,
    ) -> Result<EventsRecorded, StoreError> {
        self.take_promises(&mut batch.events).await?;
        let Batch {
            events,
            quarantined,
            ignored,
            token,
        } = &*batch;
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
        self.count_complaints(events).await?;
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

    /// Counts the spam complaints among stored events that are about a survey email against
    /// the survey mail (`domain::complaint`), each once: after the events, so a crash between
    /// is mended by the provider's redelivery (whose events are duplicates, whose complaints
    /// are counted then).
    async fn count_complaints(&self, events: &[EngagementEvent]) -> Result<(), StoreError> {
        let complaints: Vec<NewComplaint> = events
            .iter()
            .filter(|e| e.may_be_about_a_survey())
            .map(|e| NewComplaint {
                event_id: e.id.clone(),
                source: e.source.clone(),
                recipient: e.recipient.clone(),
                invitation_id: e.survey_invitation.clone(),
                occurred_at: e.occurred_at,
            })
            .collect();
        if complaints.is_empty() {
            return Ok(());
        }
        let counted = self
            .complaints
            .record_complaints(&complaints, self.complaint_window, Utc::now())
            .await?;
        if counted > 0 {
            tracing::warn!(counted, "spam complaints about survey emails");
        }
        Ok(())
    }

    /// Stores one request's events, all or nothing (idempotent by event id), with the name of
    /// the credential that delivered them.
    async fn record(
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
        mut events: Vec<EngagementEvent>,
        reviewer: &str,
    ) -> Result<EventsRecorded, StoreError> {
        self.take_promises(&mut events).await?;
        let recorded = self.record(&events, &entry.credential).await?;
        self.count_complaints(&events).await?;
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
