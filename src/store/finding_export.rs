//! Findings read out in bulk, for the export (`GET /v1/findings?format=…`) and the findings
//! page: every finding of the campaigns' latest checks — or of every check — that a filter
//! matches, in keyset pages ordered by check time, then finding id. Each page is one short read
//! on the readers (no transaction spans two pages), so an export of a million rows never holds
//! a snapshot open or keeps SQLite from checkpointing its WAL; and the matching rows' count.
use super::db::{Db, on_pool};
use super::rows::{corrupt, from_millis, millis, parse};
use super::{ReviewFilter, SqlStore, StoreError};
use crate::domain::exemption::FindingExemption;
use crate::domain::judgement::Coverage;
use crate::domain::{Phase, ReviewAction, ReviewState, Rule, Severity};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};

/// Which findings: each part left out matches any.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FindingQuery {
    /// The check ran at or after `from` and before `to`.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub rule: Option<Rule>,
    pub severity: Option<Severity>,
    /// `Open`: nobody reviewed it and no exemption covers it (as the campaign list counts);
    /// `Reviewed`: an analyst reviewed it.
    pub review: Option<ReviewFilter>,
    pub campaign_id: Option<String>,
    /// The location the finding is about (its own, or the one its item is at).
    pub location: Option<String>,
    /// Every check's findings, not only those of each campaign's latest check.
    pub history: bool,
}

/// Where the next page starts: after this check time and finding id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingCursor {
    pub checked_at: DateTime<Utc>,
    pub finding_id: String,
}

/// One finding as exported, with its campaign, check, review and exemption.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportedFinding {
    pub finding_id: String,
    pub campaign_id: String,
    pub campaign_name: Option<String>,
    pub offer_id: String,
    pub rule: Rule,
    pub severity: Severity,
    pub location_id: Option<String>,
    /// The name the location source gave, as the finding's check saw it.
    pub location_name: Option<String>,
    pub sku: Option<String>,
    pub link: Option<String>,
    pub message: String,
    pub check_id: String,
    pub phase: Phase,
    pub checked_at: DateTime<Utc>,
    pub review_state: ReviewState,
    /// The latest review of this finding in its campaign (it carries over from check to check).
    pub last_review: Option<LastReview>,
    pub exemption: Option<FindingExemption>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LastReview {
    pub action: ReviewAction,
    pub reviewer: String,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

impl ExportedFinding {
    pub fn cursor(&self) -> FindingCursor {
        FindingCursor {
            checked_at: self.checked_at,
            finding_id: self.finding_id.clone(),
        }
    }
}

#[async_trait]
pub trait FindingExportStore: Send + Sync {
    /// Up to `limit` matching findings after `after`, by check time, then finding id.
    async fn findings_page(
        &self,
        query: &FindingQuery,
        after: Option<&FindingCursor>,
        limit: u32,
    ) -> Result<Vec<ExportedFinding>, StoreError>;

    /// How many findings match.
    async fn count_findings(&self, query: &FindingQuery) -> Result<u64, StoreError>;
}

/// Every filter, over `f` (findings), `c` (campaigns), `k` (checks) and `key` (the check time
/// the order and the keyset run on): $1 start time, $2 the last finding id at it, $3 end time,
/// $4 rule, $5 severity, $6 review, $7 campaign, $8 location.
macro_rules! filters {
    ($key:literal) => {
        concat!(
            " WHERE ",
            $key,
            " >= $1 AND (",
            $key,
            " > $1 OR f.id > $2)
              AND ($3 IS NULL OR ",
            $key,
            " < $3)
              AND ($4 IS NULL OR f.rule = $4)
              AND ($5 IS NULL OR f.severity = $5)
              AND ($6 IS NULL
                   OR ($6 = 'open' AND f.review_state = 'open' AND f.exemption IS NULL)
                   OR ($6 = 'reviewed' AND f.review_state <> 'open'))
              AND ($7 IS NULL OR f.campaign_id = $7)
              AND ($8 IS NULL OR f.target_location = $8)"
        )
    };
}

/// The latest checks, walked in the order of each campaign's latest check (an index).
macro_rules! latest {
    () => {
        " FROM campaigns c JOIN findings f ON f.check_id = c.latest_check_id
          JOIN checks k ON k.id = f.check_id"
    };
}

/// Every check, walked in the order of the findings' check time (an index).
macro_rules! history {
    () => {
        " FROM findings f JOIN checks k ON k.id = f.check_id JOIN campaigns c ON c.id = f.campaign_id"
    };
}

macro_rules! page {
    ($from:expr, $key:literal) => {
        concat!(
            "SELECT f.id, f.campaign_id, c.name, f.offer_id, f.rule, f.severity, f.target_location,
                    f.target_sku, f.target_link, f.message, f.check_id, k.phase, ",
            $key,
            " AS checked_at,
                    f.review_state, f.exemption, r.action, r.reviewer, r.note,
                    r.created_at AS reviewed_at",
            $from,
            " LEFT JOIN reviews r ON r.id = (
                 SELECT r2.id FROM reviews r2
                 WHERE r2.campaign_id = f.campaign_id AND r2.fingerprint = f.fingerprint
                 ORDER BY r2.created_at DESC, r2.id DESC LIMIT 1)",
            filters!($key),
            " ORDER BY ",
            $key,
            ", f.id LIMIT $9"
        )
    };
}

const LATEST_PAGE: &str = page!(latest!(), "c.latest_checked_at");
const HISTORY_PAGE: &str = page!(history!(), "f.created_at");
const LATEST_COUNT: &str = concat!(
    "SELECT COUNT(*)",
    latest!(),
    filters!("c.latest_checked_at")
);
const HISTORY_COUNT: &str = concat!("SELECT COUNT(*)", history!(), filters!("f.created_at"));

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    campaign_id: String,
    name: Option<String>,
    offer_id: String,
    rule: String,
    severity: String,
    target_location: Option<String>,
    target_sku: Option<String>,
    target_link: Option<String>,
    message: String,
    check_id: String,
    phase: String,
    checked_at: i64,
    review_state: String,
    exemption: Option<String>,
    action: Option<String>,
    reviewer: Option<String>,
    note: Option<String>,
    reviewed_at: Option<i64>,
}

impl Row {
    fn read(self) -> Result<ExportedFinding, StoreError> {
        let last_review = match (self.action, self.reviewer, self.reviewed_at) {
            (Some(action), Some(reviewer), Some(at)) => Some(LastReview {
                action: parse("reviews.action", &action)?,
                reviewer,
                note: self.note,
                at: from_millis(at),
            }),
            _ => None,
        };
        Ok(ExportedFinding {
            finding_id: self.id,
            campaign_id: self.campaign_id,
            campaign_name: self.name,
            offer_id: self.offer_id,
            rule: parse("findings.rule", &self.rule)?,
            severity: parse("findings.severity", &self.severity)?,
            location_id: self.target_location,
            location_name: None,
            sku: self.target_sku,
            link: self.target_link,
            message: self.message,
            check_id: self.check_id,
            phase: parse("checks.phase", &self.phase)?,
            checked_at: from_millis(self.checked_at),
            review_state: parse("findings.review_state", &self.review_state)?,
            last_review,
            exemption: self
                .exemption
                .map(|e| serde_json::from_str(&e))
                .transpose()
                .map_err(|e| corrupt("findings.exemption", e))?,
        })
    }
}

/// The values bound to $1–$8, in order.
struct Binds {
    start: i64,
    after_id: String,
    end: Option<i64>,
    rule: Option<&'static str>,
    severity: Option<&'static str>,
    review: Option<&'static str>,
    campaign: Option<String>,
    location: Option<String>,
}

impl Binds {
    fn of(query: &FindingQuery, after: Option<&FindingCursor>) -> Self {
        let from = query.from.map_or(i64::MIN, millis);
        let (start, after_id) = match after {
            Some(c) if millis(c.checked_at) >= from => (millis(c.checked_at), c.finding_id.clone()),
            _ => (from, String::new()),
        };
        Binds {
            start,
            after_id,
            end: query.to.map(millis),
            rule: query.rule.map(Rule::as_str),
            severity: query.severity.map(Severity::as_str),
            review: query.review.map(|r| match r {
                ReviewFilter::Open => "open",
                ReviewFilter::Reviewed => "reviewed",
            }),
            campaign: query.campaign_id.clone(),
            location: query.location.clone(),
        }
    }
}

/// Binds `Binds` to a query of either backend, in the order the filters number them.
macro_rules! bind_filters {
    ($query:expr, $b:expr) => {
        $query
            .bind($b.start)
            .bind($b.after_id.clone())
            .bind($b.end)
            .bind($b.rule)
            .bind($b.severity)
            .bind($b.review)
            .bind($b.campaign.clone())
            .bind($b.location.clone())
    };
}

impl SqlStore {
    /// The location names the page's checks saw, from what each check covered.
    async fn name_locations(&self, rows: &mut [ExportedFinding]) -> Result<(), StoreError> {
        let mut checks: Vec<&str> = rows
            .iter()
            .filter(|r| r.location_id.is_some())
            .map(|r| r.check_id.as_str())
            .collect();
        checks.sort_unstable();
        checks.dedup();
        if checks.is_empty() {
            return Ok(());
        }
        let list = serde_json::to_string(&checks).map_err(|e| corrupt("check ids", e))?;
        let sql = match self.db() {
            Db::Sqlite(_) => {
                "SELECT id, covered FROM checks WHERE id IN (SELECT value FROM json_each($1))"
            }
            Db::Postgres(_) => {
                "SELECT id, covered FROM checks WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb))"
            }
        };
        let covered: Vec<(String, Option<String>)> = on_pool!(self.db(), pool =>
            sqlx::query_as(sql).bind(list).fetch_all(pool).await)?;
        let mut names: HashMap<String, BTreeMap<String, String>> = HashMap::new();
        for (id, covered) in covered {
            let Some(covered) = covered else { continue };
            let covered: Coverage =
                serde_json::from_str(&covered).map_err(|e| corrupt("checks.covered", e))?;
            names.insert(id, covered.names);
        }
        for row in rows.iter_mut() {
            if let Some(location) = &row.location_id {
                row.location_name = names
                    .get(&row.check_id)
                    .and_then(|n| n.get(location))
                    .cloned();
            }
        }
        Ok(())
    }
}

#[async_trait]
impl FindingExportStore for SqlStore {
    async fn findings_page(
        &self,
        query: &FindingQuery,
        after: Option<&FindingCursor>,
        limit: u32,
    ) -> Result<Vec<ExportedFinding>, StoreError> {
        let sql = if query.history {
            HISTORY_PAGE
        } else {
            LATEST_PAGE
        };
        let b = Binds::of(query, after);
        let rows: Vec<Row> = on_pool!(self.db(), pool =>
            bind_filters!(sqlx::query_as(sql), b).bind(i64::from(limit)).fetch_all(pool).await)?;
        let mut rows = rows
            .into_iter()
            .map(Row::read)
            .collect::<Result<Vec<_>, _>>()?;
        self.name_locations(&mut rows).await?;
        Ok(rows)
    }

    async fn count_findings(&self, query: &FindingQuery) -> Result<u64, StoreError> {
        let sql = if query.history {
            HISTORY_COUNT
        } else {
            LATEST_COUNT
        };
        let b = Binds::of(query, None);
        let n: i64 = on_pool!(self.db(), pool =>
            bind_filters!(sqlx::query_scalar(sql), b).fetch_one(pool).await)?;
        Ok(n as u64)
    }
}
