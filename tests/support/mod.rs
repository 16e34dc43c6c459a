//! Shared by the integration tests and the benchmarks.
#![allow(dead_code)]
pub mod analysts;
pub mod app;
pub mod browser;
pub mod databases;
pub mod fake_server;
pub mod process;
pub mod smtp;
pub mod store;
pub mod surveys;
pub mod upstreams;
