//! bench/sweep: a survey sweep over 100,000 eligible recipients, delivered to a local SMTP sink,
//! next to the sink's own capacity measured in the same run by a plain pooled SMTP client
//! (lettre, same pool size and concurrency) sending the same number of survey messages.
//!
//! Run: `cargo bench --bench sweep` (`-- --recipients N` for fewer, `-- --concurrency N` for
//! another number of SMTP sends at once than 8; both sides use it).
#[path = "../tests/support/mod.rs"]
mod support;

use chrono::{Duration, Utc};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use promiseguard::config::{EmailConfig, SurveysConfig};
use promiseguard::domain::event::{EngagementEvent, EventKind};
use promiseguard::email::message::{SurveyEmail, build};
use promiseguard::email::{SurveyLinks, build_mailer};
use promiseguard::jobs::surveys::Surveys;
use promiseguard::store::Store;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use support::smtp::SmtpSink;

fn arg(name: &str, default: usize) -> usize {
    std::env::args()
        .skip_while(|a| a != name)
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let n = arg("--recipients", 100_000);
    let concurrency = arg("--concurrency", 8);
    let links = SurveyLinks::new(
        b"bench-key-bench-key-bench-key-32".to_vec(),
        "https://cx.example.com",
    );
    let from: lettre::message::Mailbox = "Acme CX <cx@example.com>".parse().unwrap();
    println!("sweep: {n} eligible recipients, {concurrency} SMTP sends at once, SQLite");

    // Baseline: the sink's capacity for a plain pooled client.
    let plain_sink = SmtpSink::counting().await;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&plain_sink.url)
        .unwrap()
        .pool_config(PoolConfig::new().max_size(concurrency as u32))
        .build();
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    futures::future::join_all((0..concurrency).map(|_| async {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= n {
                break;
            }
            let id = format!("plain-{i}");
            let to = format!("person{i}@example.com");
            let message = build(
                &SurveyEmail {
                    invitation_id: &id,
                    recipient: &to,
                    campaign_name: Some("Bench"),
                },
                &from,
                &links,
            )
            .unwrap();
            transport.send(message).await.unwrap();
        }
    }))
    .await;
    let plain = started.elapsed();
    assert_eq!(plain_sink.accepted(), n);

    // promiseguard: eligible recipients in the database, then one sweep.
    let db = support::databases::sqlite().await;
    let store: Arc<dyn Store> = Arc::new(db.store.clone());
    let clicked = Utc::now() - Duration::hours(100);
    let events: Vec<EngagementEvent> = (0..n)
        .map(|i| EngagementEvent {
            id: format!("click-{i}"),
            source: "api",
            kind: EventKind::Click,
            campaign_id: Some("bench".into()),
            recipient: format!("person{i}@example.com"),
            occurred_at: clicked,
            url: None,
            order_id: None,
            suppresses: None,
        })
        .collect();
    for chunk in events.chunks(50_000) {
        store.record_events(chunk, Utc::now()).await.unwrap();
    }
    let sink = SmtpSink::counting().await;
    let email = EmailConfig {
        transport: "smtp".into(),
        smtp_url: Some(promiseguard::config::Secret::new(sink.url.clone())),
        max_concurrent: concurrency,
        ..EmailConfig::default()
    };
    let surveys = Surveys {
        store: store.clone(),
        mailer: Arc::from(build_mailer(&email).unwrap()),
        links,
        from,
        surveys: SurveysConfig {
            max_per_run: n as u64,
            ..SurveysConfig::default()
        },
        email,
    };
    let started = Instant::now();
    let queued = surveys.sweep(Utc::now()).await.unwrap();
    let queue_time = started.elapsed();
    let report = surveys.deliver("bench-run").await.unwrap();
    let ours = started.elapsed();
    assert_eq!(
        (queued as usize, report.sent as usize, sink.accepted()),
        (n, n, n)
    );

    let rate = |d: std::time::Duration| n as f64 / d.as_secs_f64();
    println!("{:<36} {:>9} {:>10}", "", "seconds", "emails/s");
    println!(
        "{:<36} {:>9.2} {:>10.0}",
        "plain pooled lettre client",
        plain.as_secs_f64(),
        rate(plain)
    );
    println!(
        "{:<36} {:>9.2} {:>10.0}   (sweep/queue {:.2} s)",
        "promiseguard sweep (queue + deliver)",
        ours.as_secs_f64(),
        rate(ours),
        queue_time.as_secs_f64()
    );
    println!("ratio {:.2} (target ≥ 0.8)", rate(ours) / rate(plain));
}
