//! bench/findings: the findings export and the fleet dashboard on a database of **100,000
//! checks** (5,000 campaigns checked 20 times, 10 findings a check: 1,000,000 findings, 50,000
//! of them in the latest checks), SQLite. Two measures:
//!
//! - **The dashboard**: each panel's one query, the median of `--rounds` runs, and the whole
//!   page's reads together (the panels run at once). Target: well under a second.
//! - **The export streams in constant memory**: `GET /v1/findings?format=…&history=true`
//!   through the real service, read as it arrives and thrown away, the process's resident
//!   memory (VmRSS) sampled after every megabyte; the peak's growth over the resident memory
//!   before it, for the 50,000 latest findings and for all 1,000,000, as JSON lines and as CSV,
//!   and the first million once more on warm caches. Flat memory: past SQLite's bounded page
//!   caches, the growth does not follow the row count.
//!
//! Run: `cargo bench --bench findings` (`-- --campaigns N --checks-per-campaign N
//! --findings-per-check N --rounds N`).
#[path = "../tests/support/mod.rs"]
mod support;

use chrono::{Duration, Utc};
use futures::StreamExt;
use promiseguard::store::{DashboardStore, ReviewStore};
use std::time::Instant;
use support::analysts::{VIEWER, tokens};
use support::app::spawn_app;
use support::findings::{Fleet, seed};
use support::{arg, provenance};

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Streams one export and throws it away: rows (lines), MiB, seconds, RSS before, RSS growth at
/// peak.
async fn export(app: &support::app::TestApp, query: &str) -> (usize, f64, f64, f64, f64) {
    let before = rss_mib();
    let started = Instant::now();
    let res = app
        .client
        .get(format!("{}/v1/findings?{query}", app.address))
        .bearer_auth(VIEWER)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut body = res.bytes_stream();
    let (mut bytes, mut lines, mut next_sample, mut peak) = (0usize, 0usize, 0usize, before);
    while let Some(chunk) = body.next().await {
        let chunk = chunk.unwrap();
        bytes += chunk.len();
        lines += chunk.iter().filter(|&&b| b == b'\n').count();
        if bytes >= next_sample {
            peak = peak.max(rss_mib());
            next_sample = bytes + (1 << 20);
        }
    }
    peak = peak.max(rss_mib());
    (
        lines,
        bytes as f64 / (1 << 20) as f64,
        started.elapsed().as_secs_f64(),
        before,
        peak - before,
    )
}

#[tokio::main]
async fn main() {
    let campaigns = arg("--campaigns", 5_000);
    let per_campaign = arg("--checks-per-campaign", 20);
    let per_check = arg("--findings-per-check", 10);
    let rounds = arg("--rounds", 5);
    println!("{}", provenance());
    let app = spawn_app(&tokens()).await;
    let name = |i: usize| format!("Winter rentals, wave {i}");
    let fleet = Fleet {
        campaigns,
        checks_per_campaign: per_campaign,
        findings_per_check: per_check,
        locations: 300,
        last: Utc::now(),
        // Spread over the dashboard's 30 days.
        step: Duration::milliseconds((30 * 86_400_000 / (campaigns * per_campaign).max(1)) as i64),
        name: &name,
    };
    let started = Instant::now();
    let written = seed(&app.store, &fleet).await;
    println!(
        "seeded {} checks, {written} findings in {:.1} s",
        campaigns * per_campaign,
        started.elapsed().as_secs_f64()
    );

    let store = &app.store;
    let now = Utc::now();
    let since = now - Duration::days(29);
    let mut times: Vec<(&str, Vec<f64>)> = [
        "open by severity",
        "open by rule",
        "top 10 branches",
        "checks per day",
        "taken off a schedule",
        "scheduled and blocking",
        "exemptions ending",
        "the whole page (at once)",
    ]
    .into_iter()
    .map(|n| (n, Vec::new()))
    .collect();
    for _ in 0..rounds {
        let t = Instant::now();
        store.open_findings().await.unwrap();
        times[0].1.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        store.open_by_rule().await.unwrap();
        times[1].1.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        store.top_open_locations(10).await.unwrap();
        times[2].1.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        store.checks_per_day(since).await.unwrap();
        times[3].1.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        store.unscheduled_campaigns().await.unwrap();
        times[4].1.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        store.scheduled_blocking().await.unwrap();
        times[5].1.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        store
            .exemptions_ending(now, now + Duration::days(7))
            .await
            .unwrap();
        times[6].1.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let page = app.get("/ui/").await;
        assert_eq!(
            page.status(),
            401,
            "the page wants a session; its reads are timed below"
        );
        tokio::try_join!(
            store.open_findings(),
            store.open_by_rule(),
            store.top_open_locations(10),
            store.checks_per_day(since),
            store.unscheduled_campaigns(),
            store.scheduled_blocking(),
            store.exemptions_ending(now, now + Duration::days(7)),
        )
        .unwrap();
        times[7].1.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!("\ndashboard, median of {rounds} rounds:");
    for (panel, t) in times {
        println!("  {panel:<26} {:>8.1} ms", median(t));
    }

    // The readers' SQLite page caches (`cache_size`, 64 MiB a connection) fill as the first
    // exports read the database; the last export runs on warm caches, so what it adds is what
    // an export itself holds.
    println!("\nexport (read as it streams, thrown away; RSS of the whole process):");
    println!(
        "  {:<28} {:>9} {:>8} {:>7} {:>11} {:>11}",
        "query", "rows", "MiB", "s", "RSS before", "RSS growth"
    );
    for query in [
        "format=jsonl",
        "format=csv",
        "format=jsonl&history=true",
        "format=csv&history=true",
        "format=jsonl&history=true",
    ] {
        let (lines, mib, secs, before, growth) = export(&app, query).await;
        println!(
            "  {query:<28} {lines:>9} {mib:>8.1} {secs:>7.2} {before:>7.1} MiB {growth:>7.1} MiB"
        );
    }
}
