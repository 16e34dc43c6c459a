//! The `retention` job: removes what `[retention]` no longer keeps — old events deleted (and
//! old clickers' addresses), old invitations' addresses and comments removed (their scores and reasons stay, so every NPS and
//! the insight stay as they were), old checks' evidence cleared — one short batch at a time.
use crate::config::RetentionConfig;
use crate::store::{Cutoff, Expiring, ExpiringPage, QuarantineStore, RetentionStore, Store};
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

pub struct Retention {
    store: Arc<dyn RetentionStore>,
    quarantine: Arc<dyn QuarantineStore>,
    config: RetentionConfig,
    /// `[events] quarantine_days`: quarantined payloads are personal data too.
    quarantine_days: u64,
}

/// What one run removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionReport {
    pub events: u64,
    /// Clickers whose address was removed (their figures stay).
    pub clickers: u64,
    pub invitations: u64,
    pub comments: u64,
    /// Checks whose evidence was cleared.
    pub evidence: u64,
    /// Quarantined events dropped.
    pub quarantined: u64,
    /// Spam complaints counted against survey mail deleted (with the events, by `events_days`).
    pub complaints: u64,
    /// Deliveries of pushed source changes forgotten (by `events_days`).
    pub pushes: u64,
}

impl Retention {
    pub fn new(store: Arc<dyn Store>, config: RetentionConfig, quarantine_days: u64) -> Self {
        Self {
            store: store.clone(),
            quarantine: store,
            config,
            quarantine_days,
        }
    }

    /// One run at `now`: each kind in pages of `[retention] batch` rows, each page found on the
    /// readers and removed in its own write transaction. When `stop` fires the page in hand
    /// finishes and the rest waits for the next run.
    pub async fn run(
        &self,
        now: DateTime<Utc>,
        stop: &CancellationToken,
    ) -> anyhow::Result<RetentionReport> {
        let c = &self.config;
        let mut report = RetentionReport::default();
        let kinds = [
            (Expiring::Clickers, c.events_days, &mut report.clickers),
            (Expiring::Events, c.events_days, &mut report.events),
            (
                Expiring::Invitations,
                c.invitations_days,
                &mut report.invitations,
            ),
            (Expiring::Comments, c.comments_days, &mut report.comments),
            (Expiring::Evidence, c.evidence_days, &mut report.evidence),
            (Expiring::Complaints, c.events_days, &mut report.complaints),
            (Expiring::Pushes, c.events_days, &mut report.pushes),
        ];
        for (kind, days, count) in kinds {
            if days == 0 {
                continue;
            }
            let cutoff = Cutoff {
                kind,
                before: now - Duration::days(days as i64),
            };
            // A check's result can be large: a tenth as many a transaction.
            let limit = match kind {
                Expiring::Evidence => (c.batch / 10).max(1),
                _ => c.batch,
            };
            let mut after: Option<String> = None;
            while !stop.is_cancelled() {
                let ids = self.store.expiring(cutoff, after.as_deref(), limit).await?;
                let Some(last) = ids.last().cloned() else {
                    break;
                };
                let results = match kind {
                    Expiring::Evidence => self
                        .store
                        .check_results(&ids)
                        .await?
                        .into_iter()
                        .map(|(id, raw)| Ok((id, without_evidence(&raw)?)))
                        .collect::<anyhow::Result<Vec<_>>>()?,
                    _ => Vec::new(),
                };
                let page = ExpiringPage {
                    ids: &ids,
                    results: &results,
                };
                *count += self.store.expire(cutoff, page, now).await?;
                after = Some(last);
                // Other writers (the requests) take their turn between pages.
                tokio::task::yield_now().await;
            }
        }
        if self.quarantine_days > 0 && !stop.is_cancelled() {
            let before = now - Duration::days(self.quarantine_days as i64);
            report.quarantined = self.quarantine.expire_quarantine(before).await?;
        }
        Ok(report)
    }
}

/// A stored check result with every `evidence` in it set to null (findings keep their rule,
/// message and target; what the sources said goes).
fn without_evidence(raw: &str) -> anyhow::Result<String> {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(map) => {
                for (key, value) in map.iter_mut() {
                    if key == "evidence" {
                        *value = Value::Null;
                    } else {
                        strip(value);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut value: Value = serde_json::from_str(raw)
        .map_err(|e| anyhow::anyhow!("a stored check result is not JSON: {e}"))?;
    strip(&mut value);
    Ok(value.to_string())
}

impl std::fmt::Display for RetentionReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} events deleted, {} clickers' addresses removed, {} invitations anonymised, {} comments deleted, {} checks' evidence cleared, {} quarantined events dropped, {} spam complaints and {} pushed deliveries forgotten",
            self.events,
            self.clickers,
            self.invitations,
            self.comments,
            self.evidence,
            self.quarantined,
            self.complaints,
            self.pushes
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_is_cleared_wherever_it_is_and_nothing_else() {
        let raw = r#"{"verdict":"block","offers":[{"id":"o1","findings":[{"rule":"location_closed","evidence":{"status":"CLOSED_PERMANENTLY"},"message":"closed"}]}],"evidence":[1]}"#;
        let out: Value = serde_json::from_str(&without_evidence(raw).unwrap()).unwrap();
        assert_eq!(out["evidence"], Value::Null);
        assert_eq!(out["offers"][0]["findings"][0]["evidence"], Value::Null);
        assert_eq!(out["offers"][0]["findings"][0]["message"], "closed");
        assert_eq!(out["verdict"], "block");
        assert!(without_evidence("not json").is_err());
    }
}
