//! Stored clicks read again in short pages, and the promise each names set anew — what
//! `promiseguard clicks rematch` does after the `[promises]` templates change — and the
//! stored checks and reviews clicks are judged against (`domain::judgement`).
use super::db::{Db, on_pool};
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
            survey_invitation: None,
            zone: None,
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

    /// What judges the clicks of each span (aligned with `spans`): the campaign's latest check
    /// at or before the span's first click and every later one up to its last, with their
    /// coverage and their findings about a location or an item, and the campaign's reviews up
    /// to its last click. Three reads however many campaigns (up to 300 a statement).
    async fn timelines(&self, spans: &[ClickSpan]) -> Result<Vec<Timeline>, StoreError>;
}

/// The clicks of one campaign that a batch judges: they happened from `from` to `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClickSpan {
    pub campaign_id: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// Spans read by one statement (three parameters each).
const SPANS_PER_READ: usize = 300;

/// A check that judges a span's clicks, as read.
type CheckRow = (String, String, i64, Option<String>);
/// A finding about a location or an item: its check, sku, location and fingerprint.
type FindingRow = (String, Option<String>, Option<String>, String);
/// A review of a span's campaign: campaign, fingerprint, action and time.
type ReviewRow = (String, String, String, i64);

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
                    .bind(c.judgement.code())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })
    }

    async fn timelines(&self, spans: &[ClickSpan]) -> Result<Vec<Timeline>, StoreError> {
        let mut timelines = Vec::with_capacity(spans.len());
        for chunk in spans.chunks(SPANS_PER_READ) {
            timelines.extend(self.timelines_of(chunk).await?);
        }
        Ok(timelines)
    }
}

impl SqlStore {
    /// `timelines` for at most `SPANS_PER_READ` spans.
    async fn timelines_of(&self, spans: &[ClickSpan]) -> Result<Vec<Timeline>, StoreError> {
        if spans.is_empty() {
            return Ok(Vec::new());
        }
        let checks: Vec<CheckRow> = self
            .read_spans(
                "SELECT w.campaign_id, k.id, k.checked_at, k.covered
                 FROM w JOIN checks k ON k.campaign_id = w.campaign_id AND k.checked_at <= w.to_ms
                  AND k.checked_at >= COALESCE((SELECT MAX(c.checked_at) FROM checks c
                                                WHERE c.campaign_id = w.campaign_id
                                                  AND c.checked_at <= w.from_ms), w.from_ms)
                 ORDER BY k.checked_at, k.id",
                spans,
            )
            .await?;
        let reviews: Vec<ReviewRow> = self
            .read_spans(
                "SELECT w.campaign_id, r.fingerprint, r.action, r.created_at
                 FROM w JOIN reviews r ON r.campaign_id = w.campaign_id AND r.created_at <= w.to_ms
                 ORDER BY r.created_at, r.id",
                spans,
            )
            .await?;
        let findings = self.judging_findings(&checks).await?;
        assemble(spans, checks, findings, reviews)
    }

    /// The rows `select` reads from the spans as the table `w (campaign_id, from_ms, to_ms)`.
    async fn read_spans<R>(&self, select: &str, spans: &[ClickSpan]) -> Result<Vec<R>, StoreError>
    where
        R: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        let rows: Vec<String> = (0..spans.len())
            .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
            .collect();
        let sql = format!(
            "WITH w (campaign_id, from_ms, to_ms) AS (VALUES {}) {select}",
            rows.join(", ")
        );
        Ok(on_pool!(self.db(), pool => {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for s in spans {
                query = query.bind(&s.campaign_id).bind(millis(s.from)).bind(millis(s.to));
            }
            query.fetch_all(pool).await
        })?)
    }

    /// The findings about a location or an item of `checks`.
    async fn judging_findings(&self, checks: &[CheckRow]) -> Result<Vec<FindingRow>, StoreError> {
        if checks.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<&str> = checks.iter().map(|(_, id, _, _)| id.as_str()).collect();
        let list = serde_json::to_string(&ids).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let unpack = match self.db() {
            Db::Sqlite(_) => "SELECT value FROM json_each($1)",
            Db::Postgres(_) => "SELECT jsonb_array_elements_text($1::jsonb)",
        };
        let sql = format!(
            "SELECT check_id, target_sku, target_location, fingerprint FROM findings
             WHERE check_id IN ({unpack})
               AND (target_sku IS NOT NULL OR target_location IS NOT NULL)"
        );
        Ok(on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(list).fetch_all(pool).await)?)
    }
}

/// Each span's timeline, from the rows read for all of them.
fn assemble(
    spans: &[ClickSpan],
    checks: Vec<CheckRow>,
    findings: Vec<FindingRow>,
    reviews: Vec<ReviewRow>,
) -> Result<Vec<Timeline>, StoreError> {
    let mut broken: HashMap<String, Vec<FoundBroken>> = HashMap::new();
    for (check_id, sku, location, fingerprint) in findings {
        broken.entry(check_id).or_default().push(FoundBroken {
            sku,
            location,
            fingerprint,
        });
    }
    let mut by_campaign: HashMap<&str, Timeline> = spans
        .iter()
        .map(|s| (s.campaign_id.as_str(), Timeline::default()))
        .collect();
    for (campaign, id, at, covered) in checks {
        let covered = covered
            .map(|c| serde_json::from_str::<Coverage>(&c))
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("check {id} coverage: {e}")))?;
        if let Some(timeline) = by_campaign.get_mut(campaign.as_str()) {
            timeline.checks.push(CheckedPromises {
                checked_at: from_millis(at),
                covered,
                broken: broken.remove(&id).unwrap_or_default(),
            });
        }
    }
    for (campaign, fingerprint, action, at) in reviews {
        let action = action
            .parse::<ReviewAction>()
            .map_err(StoreError::Corrupt)?;
        if let Some(timeline) = by_campaign.get_mut(campaign.as_str()) {
            timeline.reviews.push(ReviewMark {
                fingerprint,
                action,
                at: from_millis(at),
            });
        }
    }
    Ok(spans
        .iter()
        .map(|s| {
            by_campaign
                .remove(s.campaign_id.as_str())
                .unwrap_or_default()
        })
        .collect())
}
