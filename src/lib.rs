//! promiseguard: keeps marketing from making promises the business can't keep.
pub mod check;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod email;
pub mod http;
pub mod jobs;
pub mod lookup;
pub mod metrics;
pub mod sources;
pub mod startup;
pub mod store;
pub mod telemetry;
