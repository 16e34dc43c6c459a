//! bench/watch: the `watch` tick over 1,000 scheduled campaigns across two platforms — half on
//! Mailchimp, half on Braze — each a 50 KB email linking five branches, against fakes of the two
//! APIs in their real formats adding 50 ms to every call.
//!
//! Calls: each tick's calls at each fake, held against the fetch rule exactly: the first tick
//! lists (Mailchimp one page of 500, Braze one `scheduled_broadcasts`) and reads every
//! campaign once; a tick 5 minutes later only lists (nothing changed, `refetch_s` not due);
//! a tick past `refetch_s` lists and reads every campaign again (neither list carries a change
//! marker).
//!
//! Wall: the first tick against its bound. The platforms are ticked side by side, so the bound
//! is the slower platform's: Braze paced at its `requests_per_minute` (4,000, burst 10: one
//! request every 60 s ÷ 3,991 ≈ 15.04 ms after the first 10, so 501 calls take ≥ 491 ×
//! 15.04 ms ≈ 7.38 s), Mailchimp bounded by its 10 requests in flight (1 list + ⌈500 ÷ 10⌉
//! waves × 50 ms ≈ 2.55 s) — or, when it is longer, the local work alone (reading, checking and
//! storing the same 1,000 emails from fakes without latency or pacing, measured in the same
//! round on a fresh database). Target: wall ≤ 1.25 × max(platform bound, local work). Rounds
//! alternate the two measurements; the median round is shown.
//!
//! Run: `cargo bench --bench watch` (`-- --campaigns 1000 --rounds 3`).
#[path = "../tests/support/mod.rs"]
mod support;

use chrono::{DateTime, Duration as Days, DurationRound, Utc};
use promiseguard::services::watch::WatchReport;
use promiseguard::startup::Services;
use std::time::{Duration, Instant};
use support::app::test_config;
use support::fake_server::FakeServer;
use support::platforms::{Campaigns, FakeCampaign, KEY, MAILCHIMP_KEY, braze, mailchimp};
use tokio_util::sync::CancellationToken;

const LATENCY: Duration = Duration::from_millis(50);
const BRAZE_RPM: u32 = 4_000;
const BRAZE_BURST: u32 = 10;
const MAILCHIMP_IN_FLIGHT: usize = 10;
const EMAIL_BYTES: usize = 50 * 1024;

/// A 50 KB email promising five branches (one closed in every tenth campaign).
fn email(i: usize) -> String {
    let mut html = String::from("<html><head><title>Rent nearby</title></head><body><table>");
    for b in 0..5 {
        let branch = if i.is_multiple_of(10) && b == 0 {
            "loc-101".to_owned()
        } else {
            format!("loc-20{}", 1 + b % 3)
        };
        html.push_str(&format!(
            "<tr><td><a href=\"https://rent.example.com/branches/{branch}?utm_source=bench&amp;c={i}\">Rent from branch {b} →</a></td></tr>"
        ));
    }
    let filler = "<tr><td style=\"font-family:Arial;font-size:14px;color:#333\">A free day on every rental this weekend, at the branches above. Terms apply.</td></tr>";
    while html.len() < EMAIL_BYTES {
        html.push_str(filler);
    }
    html.push_str("</table></body></html>");
    html
}

fn fleet(n: usize, offset: usize, now: DateTime<Utc>) -> Vec<FakeCampaign> {
    (0..n)
        .map(|i| {
            let send = now + Days::days(3 + (i % 7) as i64);
            FakeCampaign::new(&format!("c{}", offset + i), send, &email(offset + i))
        })
        .collect()
}

struct Round {
    wall: Duration,
    report: WatchReport,
    calls: [usize; 3],
}

/// Starts both fakes (`latency` on every call), ticks at now, +5 min and +61 min; the first
/// tick's wall time, its report, and each tick's calls.
async fn round(n: usize, latency: Duration, braze_rpm: u32) -> Round {
    let now = Utc::now().duration_trunc(Days::hours(1)).unwrap();
    let half = n / 2;
    let mc = Campaigns::new(fleet(half, 0, now));
    let bz = Campaigns::new(fleet(n - half, half, now));
    let mc_server = FakeServer::start_with_delay(mailchimp(mc.clone()), latency).await;
    let bz_server = FakeServer::start_with_delay(braze(bz.clone()), latency).await;
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(
        &dir,
        &format!(
            "[promises]\nlocation_links = [\"https://rent.example.com/branches/{{location}}\"]\n\
             [schedule]\nrecheck = \"off\"\nsurveys = \"off\"\nalerts = \"off\"\nwatch = \"off\"\n\
             [[platforms]]\nname = \"mailchimp\"\nkind = \"mailchimp\"\napi_key = \"{MAILCHIMP_KEY}\"\nbase_url = \"{}\"\n\
             [[platforms]]\nname = \"braze\"\nkind = \"braze\"\napi_key = \"{KEY}\"\nbase_url = \"{}\"\nrequests_per_minute = {braze_rpm}\n",
            mc_server.url, bz_server.url
        ),
    );
    let services = Services::build(config).await.unwrap();
    let stop = CancellationToken::new();
    let calls = || mc_server.requests().len() + bz_server.requests().len();
    let started = Instant::now();
    let report = services.watch.run(Utc::now(), &stop).await;
    let wall = started.elapsed();
    let first = calls();
    services
        .watch
        .run(Utc::now() + Days::minutes(5), &stop)
        .await;
    let second = calls() - first;
    services
        .watch
        .run(Utc::now() + Days::minutes(61), &stop)
        .await;
    let third = calls() - first - second;
    services.store.close().await;
    Round {
        wall,
        report,
        calls: [first, second, third],
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let n = support::arg("--campaigns", 1_000);
    let rounds = support::arg("--rounds", 3);
    let half = n / 2;
    // Every tick lists once per platform; the first and the one past refetch_s read them all.
    let expected = [2 + n, 2, 2 + n];
    let braze_calls = (n - half + 1) as f64;
    let interval = 60.0 / f64::from(BRAZE_RPM - BRAZE_BURST + 1);
    let braze_bound = (braze_calls - f64::from(BRAZE_BURST)).max(0.0) * interval;
    let mailchimp_bound = (1 + half.div_ceil(MAILCHIMP_IN_FLIGHT)) as f64 * LATENCY.as_secs_f64();
    let platform_bound = braze_bound.max(mailchimp_bound);
    println!(
        "watch: {n} campaigns ({half} Mailchimp, {} Braze), {} KB emails, {} ms a call; platform bound {platform_bound:.2} s (Braze {braze_bound:.2} s, Mailchimp {mailchimp_bound:.2} s)",
        n - half,
        EMAIL_BYTES / 1024,
        LATENCY.as_millis()
    );
    println!(
        "{:>5} {:>8} {:>8} {:>20} {:>8} {:>7}",
        "round", "wall_s", "local_s", "calls (tick 1/2/3)", "bound_s", "ratio"
    );
    let mut ratios = Vec::new();
    for r in 1..=rounds {
        let measured = round(n, LATENCY, BRAZE_RPM).await;
        let local = round(n, Duration::ZERO, 1_000_000).await;
        assert_eq!(
            measured.calls, expected,
            "calls per tick as the fetch rule says"
        );
        assert_eq!(local.calls, expected);
        assert_eq!(measured.report.checked, n as u64, "{}", measured.report);
        assert_eq!(
            measured.report.alerted,
            n.div_ceil(10) as u64,
            "{}",
            measured.report
        );
        let bound = platform_bound.max(local.wall.as_secs_f64());
        let ratio = measured.wall.as_secs_f64() / bound;
        ratios.push(ratio);
        println!(
            "{r:>5} {:>8.2} {:>8.2} {:>20} {bound:>8.2} {ratio:>7.2}",
            measured.wall.as_secs_f64(),
            local.wall.as_secs_f64(),
            format!(
                "{}/{}/{}",
                measured.calls[0], measured.calls[1], measured.calls[2]
            ),
        );
    }
    println!("median wall ÷ bound: {:.2}", median(ratios));
}
