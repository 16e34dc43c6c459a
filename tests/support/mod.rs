//! Shared by the integration tests and the benchmarks.
#![allow(dead_code)]
pub mod analysts;
pub mod app;
pub mod browser;
pub mod databases;
pub mod fake_server;
pub mod findings;
pub mod oidc;
pub mod platforms;
pub mod process;
pub mod shopify_graphql;
pub mod smtp;
pub mod store;
pub mod surveys;
pub mod upstreams;
pub mod webhooks;

/// A whole-number option of a benchmark's command line (`-- --rounds 7`), or `default`.
pub fn arg(name: &str, default: usize) -> usize {
    std::env::args()
        .skip_while(|a| a != name)
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// Which code ran where: the commit (`+uncommitted` when the source differs from it) and the
/// host, printed first so every recorded figure can name both.
pub fn provenance() -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
    };
    let mut commit = git(&["rev-parse", "--short", "HEAD"])
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".into());
    if git(&[
        "diff",
        "--quiet",
        "HEAD",
        "--",
        "src",
        "bench",
        "Cargo.toml",
        "Cargo.lock",
    ])
    .is_none()
    {
        commit.push_str("+uncommitted");
    }
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_default();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!(
        "commit {commit}; host {}, {cores} cores, {cpu}",
        host.trim()
    )
}
