//! Stored clicks read again in short pages, and the promise each names set anew — what
//! `promiseguard clicks rematch` does after the `[promises]` templates change — and the
//! stored checks and reviews clicks are judged against (`domain::judgement`).
use super::db::on_pool;
use super::rows::{from_millis, millis};
use super::writer::on_writer;
use super::{SqlStore, StoreError};
use crate::domain::ReviewAction;
use crate::domain::content::templates::LinkPromise;
use crate::domain::event::{EngagementEvent, EventKind};
use crate::domain::judgement::{
    CheckedPromises, Coverage, FoundBroken, Judgement, ReviewMark, Timeline,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Connection;
use std::collections::HashMap;

/// A stored click: its URL and the promise it was matched to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredClick {
    pub id: String,
    pub campaign_id: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub url: Option<String>,
    pub location: Option<String>,
    pub sku: Option<String>,
}

/// A click's promise as matched now, and its judgement against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClickPromise {
    pub id: String,
    pub location: Option<String>,
    pub sku: Option<String>,
    pub judgement: Judgement,
}

impl EngagementEvent {
    /// A stored click as an event again, naming `promise`, to be judged anew.
    pub fn stored_click(click: StoredClick, promise: Option<LinkPromise>) -> Self {
        EngagementEvent {
            id: click.id,
            source: String::new(),
            kind: EventKind::Click,
            campaign_id: click.campaign_id,
            recipient: String::new(),
            occurred_at: click.occurred_at,
            url: click.url,
            order_id: None,
            suppresses: None,
            reactivates: false,
            locale: None,
            promise,
            judgement: None,
        }
    }
}

impl From<EngagementEvent> for ClickPromise {
    fn from(e: EngagementEvent) -> Self {
        let (location, sku) = match e.promise {
            Some(LinkPromise::Location(location)) => (Some(location), None),
            Some(LinkPromise::Item { sku, location }) => (Some(location), Some(sku)),
            None => (None, None),
        };
        ClickPromise {
            id: e.id,
            location,
            sku,
            judgement: e.judgement.unwrap_or(Judgement::Unknown),
        }
    }
}

#[async_trait]
pub trait ClickStore: Send + Sync {
    /// Up to `limit` clicks with an id after `after` (none: from the first), in id order, that
    /// happened at or after `since` (none: all).
    async fn clicks_page(
        &self,
        after: Option<&str>,
        since: Option<DateTime<Utc>>,
        limit: u32,
    ) -> Result<Vec<StoredClick>, StoreError>;

    /// Sets each click's promise and judgement, in one short transaction.
    async fn set_click_promises(&self, changes: &[ClickPromise]) -> Result<(), StoreError>;

    /// What judges clicks of `campaign_id` that happened from `from` to `to`: the campaign's
    /// latest check at or before `from` and every later one up to `to`, with their coverage
    /// and their findings about a location or an item, and its reviews up to `to`.
    async fn timeline(
        &self,
        campaign_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Timeline, StoreError>;
}

/// The checks that judge clicks from `$2` to `$3`, of campaign `$1`.
const JUDGING_CHECKS: &str = "
    campaign_id = $1 AND checked_at <= $3
    AND checked_at >= COALESCE((SELECT MAX(checked_at) FROM checks
                                WHERE campaign_id = $1 AND checked_at <= $2), $2)";

#[async_trait]
impl ClickStore for SqlStore {
    async fn clicks_page(
        &self,
        after: Option<&str>,
        since: Option<DateTime<Utc>>,
        limit: u32,
    ) -> Result<Vec<StoredClick>, StoreError> {
        type Raw = (
            String,
            Option<String>,
            i64,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Raw> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT id, campaign_id, occurred_at, url, location, sku FROM events
             WHERE type = 'click' AND id > $1 AND occurred_at >= $2
             ORDER BY id LIMIT $3",
        )
        .bind(after.unwrap_or(""))
        .bind(since.map_or(i64::MIN, millis))
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|(id, campaign_id, at, url, location, sku)| StoredClick {
                id,
                campaign_id,
                occurred_at: from_millis(at),
                url,
                location,
                sku,
            })
            .collect())
    }

    async fn set_click_promises(&self, changes: &[ClickPromise]) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let begin = self.db().begin_write();
        on_writer!(self, conn => {
            let mut tx = conn.begin_with(begin).await?;
            for c in changes {
                sqlx::query("UPDATE events SET location = $2, sku = $3, judgement = $4 WHERE id = $1")
                    .bind(&c.id)
                    .bind(&c.location)
                    .bind(&c.sku)
                    .bind(c.judgement.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })
    }

    async fn timeline(
        &self,
        campaign_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Timeline, StoreError> {
        let (from, to) = (millis(from), millis(to));
        let checks: Vec<(String, i64, Option<String>)> = on_pool!(self.db(), pool => sqlx::query_as(
            sqlx::AssertSqlSafe(format!(
                "SELECT id, checked_at, covered FROM checks WHERE {JUDGING_CHECKS} ORDER BY checked_at, id"
            )),
        )
        .bind(campaign_id)
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await)?;
        let findings: Vec<(String, Option<String>, Option<String>, String)> = on_pool!(self.db(), pool => sqlx::query_as(
            sqlx::AssertSqlSafe(format!(
                "SELECT f.check_id, f.target_sku, f.target_location, f.fingerprint
                 FROM findings f JOIN checks k ON k.id = f.check_id
                 WHERE (f.target_sku IS NOT NULL OR f.target_location IS NOT NULL)
                   AND k.id IN (SELECT id FROM checks WHERE {JUDGING_CHECKS})"
            )),
        )
        .bind(campaign_id)
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await)?;
        let reviews: Vec<(String, String, i64)> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT fingerprint, action, created_at FROM reviews
             WHERE campaign_id = $1 AND created_at <= $2 ORDER BY created_at, id",
        )
        .bind(campaign_id)
        .bind(to)
        .fetch_all(pool)
        .await)?;
        let mut broken: HashMap<String, Vec<FoundBroken>> = HashMap::new();
        for (check_id, sku, location, fingerprint) in findings {
            broken.entry(check_id).or_default().push(FoundBroken {
                sku,
                location,
                fingerprint,
            });
        }
        let checks = checks
            .into_iter()
            .map(|(id, at, covered)| {
                let covered = covered
                    .map(|c| serde_json::from_str::<Coverage>(&c))
                    .transpose()
                    .map_err(|e| StoreError::Corrupt(format!("check {id} coverage: {e}")))?;
                Ok(CheckedPromises {
                    checked_at: from_millis(at),
                    covered,
                    broken: broken.remove(&id).unwrap_or_default(),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let reviews = reviews
            .into_iter()
            .map(|(fingerprint, action, at)| {
                Ok(ReviewMark {
                    fingerprint,
                    action: action
                        .parse::<ReviewAction>()
                        .map_err(StoreError::Corrupt)?,
                    at: from_millis(at),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Timeline { checks, reviews })
    }
}
