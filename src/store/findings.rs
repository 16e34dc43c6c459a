//! What checks found, read back: one check's findings in order, or one finding with the check
//! and campaign it belongs to. (They are written with their check, in `checks.rs`.)
use super::db::on_pool;
use super::rows::{corrupt, parse};
use super::{SqlStore, StoreError};
use crate::domain::{Finding, ReviewState, Target};
use async_trait::async_trait;

#[async_trait]
pub trait FindingStore: Send + Sync {
    /// A check's findings in the order the check found them.
    async fn findings(&self, check_id: &str) -> Result<Vec<StoredFinding>, StoreError>;

    /// One finding, with the check and campaign it belongs to.
    async fn finding(&self, id: &str) -> Result<Option<FindingRecord>, StoreError>;
}

/// A finding as stored: `is_new` when the campaign's previous check did not have it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFinding {
    pub finding: Finding,
    pub is_new: bool,
    pub review_state: ReviewState,
}

/// A finding with the check and campaign it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct FindingRecord {
    pub check_id: String,
    pub campaign_id: String,
    pub fingerprint: String,
    pub stored: StoredFinding,
}

/// The columns `FindingRow` reads, for `concat!` into each query that reads findings.
macro_rules! select_finding {
    () => {
        "SELECT id, offer_id, rule, severity, target_sku, target_location, target_link, message,
                evidence, exemption, is_new, review_state, check_id, campaign_id, fingerprint
         FROM findings "
    };
}

/// A row of `findings` as `select_finding!` reads it.
#[derive(sqlx::FromRow)]
struct FindingRow {
    id: String,
    offer_id: String,
    rule: String,
    severity: String,
    target_sku: Option<String>,
    target_location: Option<String>,
    target_link: Option<String>,
    message: String,
    evidence: String,
    exemption: Option<String>,
    is_new: i64,
    review_state: String,
    check_id: String,
    campaign_id: String,
    fingerprint: String,
}

impl FindingRow {
    fn record(self) -> Result<FindingRecord, StoreError> {
        Ok(FindingRecord {
            check_id: self.check_id,
            campaign_id: self.campaign_id,
            fingerprint: self.fingerprint,
            stored: StoredFinding {
                finding: Finding {
                    id: self.id,
                    offer_id: self.offer_id,
                    rule: parse("findings.rule", &self.rule)?,
                    severity: parse("findings.severity", &self.severity)?,
                    target: Target {
                        sku: self.target_sku,
                        location: self.target_location,
                        link: self.target_link,
                    },
                    message: self.message,
                    evidence: serde_json::from_str(&self.evidence)
                        .map_err(|e| corrupt("findings.evidence", e))?,
                    exemption: self
                        .exemption
                        .map(|e| serde_json::from_str(&e))
                        .transpose()
                        .map_err(|e| corrupt("findings.exemption", e))?,
                },
                is_new: self.is_new != 0,
                review_state: parse("findings.review_state", &self.review_state)?,
            },
        })
    }
}

#[async_trait]
impl FindingStore for SqlStore {
    async fn findings(&self, check_id: &str) -> Result<Vec<StoredFinding>, StoreError> {
        const SQL: &str = concat!(select_finding!(), "WHERE check_id = $1 ORDER BY position");
        let rows: Vec<FindingRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL).bind(check_id).fetch_all(pool).await)?;
        rows.into_iter()
            .map(|row| row.record().map(|r| r.stored))
            .collect()
    }

    async fn finding(&self, id: &str) -> Result<Option<FindingRecord>, StoreError> {
        const SQL: &str = concat!(select_finding!(), "WHERE id = $1");
        let row: Option<FindingRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL).bind(id).fetch_optional(pool).await)?;
        row.map(FindingRow::record).transpose()
    }
}
