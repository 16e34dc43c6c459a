//! Changes a source pushes in (Shopify's `inventory_levels/update`, `locations/update` and
//! `locations/deactivate` through `POST /v1/sources/shopify`), carried out: the item named by
//! its inventory item is found as a SKU (the GraphQL source's map, or the shop asked), Shopify's
//! ids are turned into ours, the delivery is recorded once and judged stale or current in one
//! transaction, and a current change is put on the observations' shelf at once — the send-time
//! lookup answers from it with its next request — and queued for the live campaigns it touches.
//! Those are checked again once the oldest queued change has waited `[recheck]
//! on_change_delay_s` (every change of that time checked together, one check a campaign): by the
//! instance that took the change, on a timer, or — should it stop first — by the `changes` job of
//! whichever instance runs it next.
use super::checks::Checks;
use crate::config::SourceConfig;
use crate::domain::ItemKey;
use crate::domain::pushed::{ChangedKey, Pushed, Topic};
use crate::lookup::Lookup;
use crate::metrics::Metrics;
use crate::sources::SourceError;
use crate::store::{ChangeStore, NewPush, PushRecorded};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

/// How long a claim on waiting changes holds before another instance may take them again.
const LEASE: Duration = Duration::minutes(10);
/// How long finding an item's SKU may take.
const ASK_SKU: std::time::Duration = std::time::Duration::from_secs(5);

pub struct Changes {
    store: Arc<dyn ChangeStore>,
    checks: Arc<Checks>,
    lookup: Arc<Lookup>,
    /// `[sources.inventory]`: its id map turns Shopify's SKUs and locations into ours.
    inventory: SourceConfig,
    delay: Duration,
    metrics: Metrics,
    /// When this instance's timer fires, if one is set.
    armed: Mutex<Option<DateTime<Utc>>>,
}

/// One delivery at the door: its id (deduplicated) and topic, and when Shopify says it was
/// triggered.
pub struct Delivery<'a> {
    pub id: &'a str,
    pub topic: Topic,
    pub triggered_at: Option<DateTime<Utc>>,
}

/// What became of a delivery.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PushAnswer {
    /// `applied`, `duplicate` (this delivery was taken before), `stale` (older than a change
    /// already held) or `unknown_item` (the shop has no such item, or it has no SKU).
    pub outcome: &'static str,
    /// Our keys (SKU at location, or location) the change touched.
    pub keys: usize,
    /// When the live campaigns it touches are checked again, for an applied change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recheck_due_at: Option<DateTime<Utc>>,
}

impl Changes {
    pub fn new(
        store: Arc<dyn ChangeStore>,
        checks: Arc<Checks>,
        lookup: Arc<Lookup>,
        inventory: SourceConfig,
        delay_s: u64,
        metrics: Metrics,
    ) -> Self {
        Self {
            store,
            checks,
            lookup,
            inventory,
            delay: Duration::seconds(delay_s as i64),
            metrics,
            armed: Mutex::new(None),
        }
    }

    /// Takes one pushed change at `now`. A source that cannot name the item is an error (the
    /// caller answers 503 and Shopify delivers it again).
    pub async fn receive(
        self: &Arc<Self>,
        delivery: Delivery<'_>,
        pushed: Pushed,
        now: DateTime<Utc>,
    ) -> Result<PushAnswer, SourceError> {
        let answer = self.take(&delivery, &pushed, now).await;
        let outcome = match &answer {
            Ok(a) => a.outcome,
            Err(_) => "refused",
        };
        self.metrics
            .pushes
            .received
            .with_label_values(&[delivery.topic.as_str(), outcome])
            .inc();
        answer
    }

    async fn take(
        self: &Arc<Self>,
        delivery: &Delivery<'_>,
        pushed: &Pushed,
        now: DateTime<Utc>,
    ) -> Result<PushAnswer, SourceError> {
        let locations = self.our_locations(pushed.location());
        let (keys, skus) = match pushed {
            Pushed::Level { item, .. } => {
                let deadline = tokio::time::Instant::now() + ASK_SKU;
                let observer = self.checks.checker.observer();
                let inventory = observer.sources().inventory;
                let Some(sku) = inventory.item_sku(&item.to_string(), deadline).await? else {
                    tracing::warn!(
                        item,
                        "a pushed level names an item the shop has no SKU for: ignored"
                    );
                    return Ok(answer("unknown_item", 0, None));
                };
                let skus = self.our_skus(&sku);
                let keys = skus
                    .iter()
                    .flat_map(|s| {
                        locations.iter().map(|l| ChangedKey {
                            sku: Some(s.clone()),
                            location: l.clone(),
                        })
                    })
                    .collect();
                (keys, skus)
            }
            Pushed::Location { .. } => {
                let keys = locations
                    .iter()
                    .map(|l| ChangedKey {
                        sku: None,
                        location: l.clone(),
                    })
                    .collect();
                (keys, Vec::new())
            }
        };
        let keys: Vec<ChangedKey> = keys;
        let at = pushed.updated_at().or(delivery.triggered_at);
        let also_after = match pushed {
            Pushed::Level { location, .. } => vec![format!("location:{location}")],
            Pushed::Location { .. } => Vec::new(),
        };
        let subject = pushed.subject();
        let push = NewPush {
            delivery: delivery.id,
            topic: delivery.topic.as_str(),
            subject: &subject,
            also_after: &also_after,
            updated_at: at,
            keys: &keys,
        };
        let recorded = self
            .store
            .record_push(&push, now)
            .await
            .map_err(|e| SourceError::Local(e.to_string()))?;
        if recorded != PushRecorded::Applied {
            tracing::info!(
                delivery = delivery.id,
                topic = delivery.topic.as_str(),
                outcome = recorded.as_str(),
                "a pushed change: nothing to do"
            );
            return Ok(answer(recorded.as_str(), keys.len(), None));
        }
        self.apply(pushed, &skus, &locations, at.unwrap_or(now))
            .await;
        let due = now + self.delay;
        self.arm(due);
        tracing::info!(delivery = delivery.id, topic = delivery.topic.as_str(), keys = keys.len(), %due, "a pushed change applied; its live campaigns are checked again when due");
        Ok(answer("applied", keys.len(), Some(due)))
    }

    /// Puts the change on the shelf (the lookup's remembered answers forgotten).
    async fn apply(
        &self,
        pushed: &Pushed,
        skus: &[String],
        locations: &[String],
        at: DateTime<Utc>,
    ) {
        let observer = self.checks.checker.observer();
        match pushed {
            Pushed::Level { available, .. } => {
                // An item Shopify does not track is not limited, as the source reads it.
                let level = available.map_or(f64::INFINITY, |n| n as f64);
                for sku in skus {
                    for location in locations {
                        observer
                            .pushed_level(ItemKey::new(sku, location), level, at)
                            .await;
                    }
                }
            }
            Pushed::Location { active: false, .. } => {
                for location in locations {
                    observer.pushed_empty(location, &[], at).await;
                }
            }
            Pushed::Location { active: true, .. } => {
                for location in locations {
                    observer.forget_items_at(location).await;
                }
            }
        }
        self.lookup.forget_answers();
    }

    /// Sets this instance's timer for `due`, unless one is set no later.
    fn arm(self: &Arc<Self>, due: DateTime<Utc>) {
        {
            let mut armed = self.armed.lock().unwrap_or_else(|e| e.into_inner());
            if armed.is_some_and(|a| a <= due) {
                return;
            }
            *armed = Some(due);
        }
        let this = self.clone();
        tokio::spawn(async move {
            let wait = (due - Utc::now()).to_std().unwrap_or_default();
            tokio::time::sleep(wait).await;
            {
                let mut armed = this.armed.lock().unwrap_or_else(|e| e.into_inner());
                if *armed == Some(due) {
                    *armed = None;
                }
            }
            match this.run_due(Utc::now(), &CancellationToken::new()).await {
                Ok(summary) => tracing::info!(%summary, "pushed changes"),
                Err(e) => {
                    tracing::warn!(error = %e, "pushed changes: the re-check failed; the changes job tries again")
                }
            }
        });
    }

    /// Re-checks the live campaigns of every waiting change, once the oldest has waited the
    /// delay by `now`; a summary line. Changes whose check did not finish are given back.
    pub async fn run_due(
        &self,
        now: DateTime<Utc>,
        stop: &CancellationToken,
    ) -> anyhow::Result<String> {
        let claim = uuid::Uuid::now_v7().to_string();
        let Some(changed) = self
            .store
            .claim_changes(&claim, now, self.delay, LEASE)
            .await?
        else {
            return Ok("no pushed changes due".into());
        };
        let checked = self.checks.recheck_changed(now, &changed, stop).await;
        match checked {
            Ok(summary) if !stop.is_cancelled() => {
                self.store.finish_changes(&claim).await?;
                Ok(summary)
            }
            Ok(summary) => {
                self.store.release_changes(&claim).await?;
                Ok(format!("{summary}; the changes wait for the next run"))
            }
            Err(e) => {
                self.store.release_changes(&claim).await?;
                Err(e)
            }
        }
    }

    /// Our SKUs for Shopify's: those the id map sends to it, and itself unless mapped away.
    fn our_skus(&self, upstream: &str) -> Vec<String> {
        ours(&self.inventory, |v| v == upstream, &[upstream.to_owned()])
    }

    /// Our ids for a Shopify location: those the id map sends to it (by number or gid), and its
    /// number and gid themselves unless mapped away.
    fn our_locations(&self, number: u64) -> Vec<String> {
        let (plain, gid) = (
            number.to_string(),
            format!("gid://shopify/Location/{number}"),
        );
        ours(
            &self.inventory,
            |v| v == plain || v == gid,
            &[plain.clone(), gid.clone()],
        )
    }
}

fn answer(outcome: &'static str, keys: usize, due: Option<DateTime<Utc>>) -> PushAnswer {
    PushAnswer {
        outcome,
        keys,
        recheck_due_at: due,
    }
}

/// The ids of ours that `config`'s id map sends to an upstream id `is_it` accepts, and the
/// upstream's own spellings `plain` (an id of ours too, unless the map sends it elsewhere).
fn ours(config: &SourceConfig, is_it: impl Fn(&str) -> bool, plain: &[String]) -> Vec<String> {
    let mut ids: Vec<String> = config
        .id_map
        .iter()
        .filter(|(_, upstream)| is_it(upstream))
        .map(|(ours, _)| ours.clone())
        .collect();
    ids.extend(
        plain
            .iter()
            .filter(|p| !config.id_map.contains_key(*p) || is_it(config.upstream_id(p)))
            .cloned(),
    );
    ids.sort_unstable();
    ids.dedup();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shopify_ids_become_ours_through_the_id_map() {
        let mut config = SourceConfig::static_file("x.json");
        config.id_map.insert("loc-101".into(), "24826418".into());
        config
            .id_map
            .insert("loc-102".into(), "gid://shopify/Location/24826418".into());
        config.id_map.insert("SUV".into(), "SUV-1-RED".into());
        config.id_map.insert("99".into(), "elsewhere".into());
        let plain = |n: &str| vec![n.to_owned(), format!("gid://shopify/Location/{n}")];
        let location = |v: &str| v == "24826418" || v == "gid://shopify/Location/24826418";
        assert_eq!(
            ours(&config, location, &plain("24826418")),
            vec![
                "24826418",
                "gid://shopify/Location/24826418",
                "loc-101",
                "loc-102"
            ]
        );
        let other = |v: &str| v == "99" || v == "gid://shopify/Location/99";
        assert_eq!(
            ours(&config, other, &plain("99")),
            vec!["gid://shopify/Location/99"],
            "99 of ours is another location"
        );
        assert_eq!(
            ours(&config, |v| v == "SUV-1-RED", &["SUV-1-RED".into()]),
            vec!["SUV", "SUV-1-RED"]
        );
    }
}
