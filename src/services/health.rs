//! Whether this instance can serve: its database answers.
use crate::store::{Store, StoreError};
use std::sync::Arc;

pub struct Health {
    store: Arc<dyn Store>,
}

impl Health {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    pub async fn database(&self) -> Result<(), StoreError> {
        self.store.ping().await
    }
}
