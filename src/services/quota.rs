//! The sources' request quotas, kept in the database so every instance shares one bucket per
//! source (PostgreSQL; on SQLite one instance paces in memory).
use crate::domain::spacing::Spacing;
use crate::sources::quota::SharedQuota;
use crate::store::{QuotaStore, Store};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;

pub struct QuotaInDatabase {
    store: Arc<dyn QuotaStore>,
}

impl QuotaInDatabase {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl SharedQuota for QuotaInDatabase {
    async fn take(
        &self,
        source: &str,
        now_ms: i64,
        spacing: Spacing,
    ) -> Result<Option<Duration>, String> {
        self.store
            .take_quota_slot(source, now_ms, spacing)
            .await
            .map_err(|e| e.to_string())
    }

    async fn pause(&self, source: &str, until_ms: i64) -> Result<(), String> {
        self.store
            .pause_quota(source, until_ms)
            .await
            .map_err(|e| e.to_string())
    }
}
