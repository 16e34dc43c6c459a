//! promiseguard: keeps marketing from making promises the business can't keep.
//!
//! The layers, from the ground up (docs/architecture.md has the map and the import rule):
//! `domain`, `signatures`, `clock`, `metrics`, `telemetry` import nothing of the crate;
//! `config` reads settings into their types; the machinery — `sources`, `check`, `lookup`,
//! `store`, `email` — does the I/O; `services` holds the use cases; the doors — `http`,
//! `jobs`, `cli` — call them; `startup` wires it all.
#[cfg(test)]
mod architecture_tests;
pub mod check;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod email;
pub mod http;
pub mod i18n;
pub mod jobs;
pub mod lookup;
pub mod metrics;
pub mod observations;
pub mod services;
pub mod signatures;
pub mod sources;
pub mod startup;
pub mod store;
pub mod telemetry;
