//! Shopify's compliance webhooks, recorded: one row per delivery (`X-Shopify-Webhook-Id`), so a
//! redelivery is recognised; the data requests reviewers hand over; and a shop's erasure.
use super::db::on_pool;
use super::rows::{from_millis, millis};
use super::writer::on_writer;
use super::{SqlStore, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Connection;

#[async_trait]
pub trait ComplianceStore: Send + Sync {
    /// Whether this delivery was recorded already.
    async fn compliance_seen(&self, id: &str) -> Result<bool, StoreError>;

    /// Records one delivery once; false when it was recorded already.
    async fn record_compliance(
        &self,
        record: &ComplianceRecord<'_>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// The customers' data requests, newest first.
    async fn data_requests(
        &self,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<DataRequestRow>, StoreError>;

    /// Everything that came from `shop_domain`: its events (source `shopify:{domain}`) and its
    /// compliance records.
    async fn erase_shop(&self, shop_domain: &str) -> Result<ShopErased, StoreError>;
}

pub struct ComplianceRecord<'a> {
    pub id: &'a str,
    pub topic: &'a str,
    pub shop_domain: &'a str,
    /// Kept for a data request only.
    pub customer_email: Option<&'a str>,
    pub data_request_id: Option<String>,
    pub orders: &'a [u64],
    /// What was done, as JSON (a receipt).
    pub outcome: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DataRequestRow {
    pub id: String,
    pub shop_domain: String,
    pub customer_email: Option<String>,
    pub data_request_id: Option<String>,
    pub orders_requested: Vec<u64>,
    pub received_at: DateTime<Utc>,
}

/// Serialized as it is kept in a compliance record (`services::compliance`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ShopErased {
    pub events: u64,
    pub compliance_records: u64,
}

/// The source events delivered from a Shopify shop are stored with.
pub fn shop_source(shop_domain: &str) -> String {
    format!("shopify:{}", shop_domain.trim().to_lowercase())
}

#[async_trait]
impl ComplianceStore for SqlStore {
    async fn compliance_seen(&self, id: &str) -> Result<bool, StoreError> {
        let n: i64 = on_pool!(self.db(), pool => sqlx::query_scalar(
            "SELECT COUNT(*) FROM compliance_requests WHERE id = $1",
        )
        .bind(id)
        .fetch_one(pool)
        .await)?;
        Ok(n > 0)
    }

    async fn record_compliance(
        &self,
        r: &ComplianceRecord<'_>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let orders =
            serde_json::to_string(r.orders).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let n = on_writer!(self, conn => sqlx::query(
            "INSERT INTO compliance_requests
                 (id, topic, shop_domain, customer_email, data_request_id, orders, outcome, received_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING",
        )
        .bind(r.id)
        .bind(r.topic)
        .bind(r.shop_domain)
        .bind(r.customer_email)
        .bind(r.data_request_id.as_deref())
        .bind(&orders)
        .bind(r.outcome.to_string())
        .bind(millis(now))
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    async fn data_requests(
        &self,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<DataRequestRow>, StoreError> {
        let rows: Vec<(
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            i64,
        )> = on_pool!(self.db(), pool => sqlx::query_as(
                "SELECT id, shop_domain, customer_email, data_request_id, orders, received_at
                 FROM compliance_requests WHERE topic = 'customers/data_request'
                 ORDER BY received_at DESC, id LIMIT $1 OFFSET $2",
            )
            .bind(i64::from(limit))
            .bind(i64::from(offset))
            .fetch_all(pool)
            .await)?;
        rows.into_iter()
            .map(
                |(id, shop_domain, customer_email, data_request_id, orders, at)| {
                    Ok(DataRequestRow {
                        id,
                        shop_domain,
                        customer_email,
                        data_request_id,
                        orders_requested: match orders {
                            Some(o) => serde_json::from_str(&o).map_err(|e| {
                                StoreError::Corrupt(format!("compliance_requests.orders: {e}"))
                            })?,
                            None => Vec::new(),
                        },
                        received_at: from_millis(at),
                    })
                },
            )
            .collect()
    }

    async fn erase_shop(&self, shop_domain: &str) -> Result<ShopErased, StoreError> {
        let source = shop_source(shop_domain);
        let domain = shop_domain.trim().to_lowercase();
        let begin = self.db().begin_write();
        on_writer!(self, conn => {
            let mut tx = conn.begin_with(begin).await?;
            let events = sqlx::query("DELETE FROM events WHERE source = $1")
                .bind(&source)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let compliance_records =
                sqlx::query("DELETE FROM compliance_requests WHERE lower(shop_domain) = $1")
                    .bind(&domain)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            tx.commit().await?;
            Ok::<_, StoreError>(ShopErased { events, compliance_records })
        })
    }
}
