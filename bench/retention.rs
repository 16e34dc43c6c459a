//! bench/retention: the daily `retention` job over **1,000,000 events past `events_days`**
//! (and 100,000 old invitations) in a SQLite database, while a request writes one event every
//! 5 ms — the writes a live service keeps making. Measured side by side in one run: the same
//! request loop first alone (its own write time), then during the retention run. Target: no
//! request waits more than ~100 ms on the writer while retention runs.
//!
//! Run: `cargo bench --bench retention` (`-- --events N` for another number, `-- --batch N` for
//! another `[retention] batch`).
#[path = "../tests/support/mod.rs"]
mod support;

use chrono::{DateTime, Duration, Utc};
use promiseguard::config::RetentionConfig;
use promiseguard::domain::event::{EngagementEvent, EventKind};
use promiseguard::services::retention::Retention;
use promiseguard::store::{EngagementStore, InvitationStore, NewInvitation, SqlStore};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;
use support::arg;
use tokio_util::sync::CancellationToken;

/// The campaign a bench person clicked (so their invitation's campaign exists).
fn campaign_of(recipient: &str) -> String {
    format!("campaign-{}", recipient.len() % 7)
}

fn click(id: String, recipient: String, at: DateTime<Utc>) -> EngagementEvent {
    EngagementEvent {
        id,
        source: "api".into(),
        kind: EventKind::Click,
        campaign_id: Some(campaign_of(&recipient)),
        recipient,
        occurred_at: at,
        url: Some("https://rentals.example.com/branches".into()),
        order_id: None,
        suppresses: None,
        reactivates: false,
        locale: None,
        promise: None,
        judgement: None,
        survey_invitation: None,
        zone: None,
    }
}

/// Writes one fresh event every 5 ms until `done`; each write's time, in ms.
async fn requests(store: SqlStore, done: Arc<AtomicBool>, tag: &'static str) -> Vec<f64> {
    let mut times = Vec::new();
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(5));
    let mut i = 0u64;
    while !done.load(Ordering::Relaxed) {
        tick.tick().await;
        let event = click(
            format!("{tag}-{i}"),
            format!("live{i}@example.com"),
            Utc::now(),
        );
        let started = Instant::now();
        store
            .record_events(&[event], "bench", Utc::now())
            .await
            .unwrap();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        i += 1;
    }
    times
}

fn summary(times: &mut [f64]) -> String {
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    format!(
        "{:>7} writes   p50 {:>6.2} ms   p99 {:>6.2} ms   max {:>7.2} ms",
        times.len(),
        at(0.5),
        at(0.99),
        at(1.0)
    )
}

#[tokio::main]
async fn main() {
    let total = arg("--events", 1_000_000);
    let batch = arg("--batch", RetentionConfig::default().batch as usize) as u32;
    let db = support::databases::sqlite().await;
    let store = db.store.clone();
    let old = Utc::now() - Duration::days(500);

    let started = Instant::now();
    for (n, chunk) in (0..total).collect::<Vec<_>>().chunks(100_000).enumerate() {
        let events: Vec<EngagementEvent> = chunk
            .iter()
            .map(|&i| {
                click(
                    format!("old-{i:08}"),
                    format!("person{}@example.com", i % 200_000),
                    old + Duration::seconds(i as i64),
                )
            })
            .collect();
        store
            .record_events(&events, "bench", Utc::now())
            .await
            .unwrap();
        eprint!("\rloading: {} events", (n + 1) * chunk.len());
    }
    let invitations: Vec<NewInvitation> = (0..total / 10)
        .map(|i| {
            let recipient = format!("person{i}@example.com");
            NewInvitation {
                campaign_id: campaign_of(&recipient),
                recipient,
                locale: None,
                promise_state: None,
                zone: None,
                send_after: None,
            }
        })
        .collect();
    store.queue_invitations(&invitations, old).await.unwrap();
    eprintln!(
        "\rloaded {total} old events and {} old invitations in {:.1} s",
        invitations.len(),
        started.elapsed().as_secs_f64()
    );

    // The request loop alone, for as long as a short run.
    let done = Arc::new(AtomicBool::new(false));
    let alone = tokio::spawn(requests(store.clone(), done.clone(), "alone"));
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    done.store(true, Ordering::Relaxed);
    let mut alone = alone.await.unwrap();

    // The same loop while retention runs.
    let done = Arc::new(AtomicBool::new(false));
    let during = tokio::spawn(requests(store.clone(), done.clone(), "during"));
    let retention = Retention::new(
        Arc::new(store.clone()),
        RetentionConfig {
            batch,
            ..RetentionConfig::default()
        },
        30,
    );
    let started = Instant::now();
    let report = retention
        .run(Utc::now(), &CancellationToken::new())
        .await
        .unwrap();
    let took = started.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let mut during = during.await.unwrap();

    println!(
        "retention: {total} old events, batch {batch}: {report} in {took:.1} s ({:.0} events/s)",
        report.events as f64 / took
    );
    println!("request alone:           {}", summary(&mut alone));
    println!("request during retention: {}", summary(&mut during));
    let worst = during.last().copied().unwrap_or_default();
    println!(
        "longest wait during retention: {worst:.1} ms (target ≤ ~100 ms): {}",
        if worst <= 100.0 { "met" } else { "NOT met" }
    );
}
