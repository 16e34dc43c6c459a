//! Whether this instance can serve: alive (its database answers) and ready (alive, and not
//! stopping — a load balancer stops sending traffic as soon as this says no).
use crate::store::{Ping, StoreError};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub struct Health {
    store: Arc<dyn Ping>,
    stopping: AtomicBool,
}

/// Why an instance is not ready.
#[derive(Debug)]
pub enum NotReady {
    Stopping,
    Database(StoreError),
}

impl Health {
    pub fn new(store: Arc<dyn Ping>) -> Self {
        Self {
            store,
            stopping: AtomicBool::new(false),
        }
    }

    pub async fn database(&self) -> Result<(), StoreError> {
        self.store.ping().await
    }

    /// From now on the instance is not ready (it is shutting down).
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    pub async fn ready(&self) -> Result<(), NotReady> {
        if self.stopping.load(Ordering::SeqCst) {
            return Err(NotReady::Stopping);
        }
        self.database().await.map_err(NotReady::Database)
    }
}
