//! Shared by the integration tests and the benchmarks.
#![allow(dead_code)]
pub mod analysts;
pub mod app;
pub mod browser;
pub mod databases;
pub mod fake_server;
pub mod platforms;
pub mod process;
pub mod smtp;
pub mod store;
pub mod surveys;
pub mod upstreams;

/// A whole-number option of a benchmark's command line (`-- --rounds 7`), or `default`.
pub fn arg(name: &str, default: usize) -> usize {
    std::env::args()
        .skip_while(|a| a != name)
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}
