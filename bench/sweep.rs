//! bench/sweep: a survey sweep over 100,000 eligible recipients, delivered to a local SMTP sink,
//! next to the sink's own capacity measured in the same run by a plain pooled SMTP client
//! (lettre, same pool size and concurrency) sending the same number of survey messages.
//!
//! Both sides run in turn for a few rounds, the order alternating, and the figure is the
//! median of the rounds' ratios: this machine is shared, and a burst of another tenant's load
//! should not land on one side only. The sink runs on threads of its own, as a separate server
//! would.
//!
//! Run: `cargo bench --bench sweep` (`-- --recipients N` for fewer, `-- --concurrency N` for
//! another number of SMTP sends at once than 8 — both sides use it — `-- --rounds N` for
//! another number of rounds than 3). `-- --max-per-second N` paces the sweep's side as
//! `[email] max_per_second = N` does: the last line is then its delivery rate (queueing left
//! out) over N, where 1 is the pace kept exactly.
#[path = "../tests/support/mod.rs"]
mod support;

use chrono::{Duration, Utc};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use promiseguard::config::{EmailConfig, SurveysConfig};
use promiseguard::domain::event::{EngagementEvent, EventKind};
use promiseguard::domain::send_window::SendWindow;
use promiseguard::email::message::{SurveyEmail, SurveyWords, build};
use promiseguard::email::pace::PacedMailer;
use promiseguard::email::{SurveyLinks, build_mailer};
use promiseguard::services::surveys::{SurveyStores, Surveys};
use promiseguard::store::Store;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use support::smtp::SmtpSink;
use support::{arg, provenance};

struct Setup {
    n: usize,
    concurrency: usize,
    /// `[email] max_per_second` for the sweep's side (`--max-per-second N`); `None`: off.
    max_per_second: Option<u32>,
    links: SurveyLinks,
    from: lettre::message::Mailbox,
}

/// The sink's capacity: a plain pooled lettre client sending `n` survey messages.
async fn plain(setup: &Setup) -> (std::time::Duration, f64) {
    let n = setup.n;
    let sink = SmtpSink::counting(2).await;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&sink.url)
        .unwrap()
        .pool_config(PoolConfig::new().max_size(setup.concurrency as u32))
        .build();
    let next = AtomicUsize::new(0);
    // A plain mailer fills one template with each recipient's links: the words are formatted
    // once, as the sweep formats them once per campaign and language.
    let words = SurveyWords::new(
        &promiseguard::domain::wording::Wording {
            brand: "Bench Rentals".into(),
            offer: Some("Bench".into()),
        },
        &promiseguard::i18n::Locale::english(),
        None,
    );
    let (started, cpu) = (Instant::now(), cpu_seconds());
    futures::future::join_all((0..setup.concurrency).map(|_| async {
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
                    words: &words,
                },
                &setup.from,
                &setup.links,
            )
            .unwrap();
            transport.send(message).await.unwrap();
        }
    }))
    .await;
    let (elapsed, cpu) = (started.elapsed(), cpu_seconds() - cpu);
    assert_eq!(sink.accepted(), n);
    (elapsed, cpu)
}

/// promiseguard: `n` eligible recipients in a fresh database, then one sweep (queue and
/// deliver). Returns the whole sweep's time, the queueing part of it and the CPU it took.
async fn ours(setup: &Setup) -> (std::time::Duration, std::time::Duration, f64) {
    let n = setup.n;
    let db = support::databases::sqlite().await;
    let store: Arc<dyn Store> = Arc::new(db.store.clone());
    let clicked = Utc::now() - Duration::hours(100);
    let events: Vec<EngagementEvent> = (0..n)
        .map(|i| EngagementEvent {
            id: format!("click-{i}"),
            source: "api".into(),
            kind: EventKind::Click,
            campaign_id: Some("bench".into()),
            recipient: format!("person{i}@example.com"),
            occurred_at: clicked,
            url: None,
            order_id: None,
            suppresses: None,
            reactivates: false,
            locale: None,
            promise: None,
            judgement: None,
            survey_invitation: None,
            zone: None,
        })
        .collect();
    for chunk in events.chunks(50_000) {
        store
            .record_events(chunk, "test", Utc::now())
            .await
            .unwrap();
    }
    let sink = SmtpSink::counting(2).await;
    let email = EmailConfig {
        transport: promiseguard::config::Transport::Smtp,
        smtp_url: Some(promiseguard::config::Secret::new(sink.url.clone())),
        max_concurrent: setup.concurrency,
        ..EmailConfig::default()
    };
    let surveys = Surveys {
        store: SurveyStores::of(&store),
        // As the service sends: through the relay's pace (off here, as by default).
        mailer: Arc::new(PacedMailer::new(
            Arc::from(build_mailer(&email).unwrap()),
            setup.max_per_second,
        )),
        links: setup.links.clone(),
        from: setup.from.clone(),
        surveys: SurveysConfig {
            max_per_run: n as u64,
            // At any hour: the bench measures sending, not waiting for a window.
            send_window: SendWindow::Always,
            ..SurveysConfig::default()
        },
        email,
        alert_to: Vec::new(),
        metrics: promiseguard::metrics::Metrics::new(),
    };
    let (started, cpu) = (Instant::now(), cpu_seconds());
    let queued = surveys.sweep(Utc::now()).await.unwrap();
    let queue_time = started.elapsed();
    let report = surveys
        .deliver("bench-run", &tokio_util::sync::CancellationToken::new())
        .await
        .unwrap();
    let (elapsed, cpu) = (started.elapsed(), cpu_seconds() - cpu);
    assert_eq!(
        (queued as usize, report.sent as usize, sink.accepted()),
        (n, n, n)
    );
    db.store.close().await;
    (elapsed, queue_time, cpu)
}

/// This process's CPU time so far, user and system, in seconds (`/proc/self/stat`, in Linux's
/// 100 ticks a second). The sink runs in this process too and costs both sides the same per
/// email, so the difference between the sides' CPU per email is what the sweep adds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The command name may hold spaces: fields are counted after its closing parenthesis,
    // where utime and stime (fields 14 and 15) are the 12th and 13th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks: f64 = fields.get(11..13).map_or(0.0, |t| {
        t.iter().filter_map(|v| v.parse::<f64>().ok()).sum()
    });
    ticks / 100.0
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::main]
async fn main() {
    let setup = Setup {
        n: arg("--recipients", 100_000),
        concurrency: arg("--concurrency", 8),
        max_per_second: Some(arg("--max-per-second", 0) as u32).filter(|n| *n > 0),
        links: SurveyLinks::new(
            b"bench-key-bench-key-bench-key-32".to_vec(),
            "https://cx.example.com",
        ),
        from: "Acme CX <cx@example.com>".parse().unwrap(),
    };
    let rounds = arg("--rounds", 3).max(1);
    let n = setup.n;
    println!("{}", provenance());
    println!(
        "sweep: {n} eligible recipients, {} SMTP sends at once, SQLite, {rounds} rounds \
         (each side in turn, the order alternating)",
        setup.concurrency
    );
    let rate = |d: std::time::Duration| n as f64 / d.as_secs_f64();
    println!(
        "{:<6} {:>9} {:>10} {:>11} {:>9} {:>9} {:>10} {:>11} {:>6}",
        "round",
        "plain s",
        "plain /s",
        "plain µs/e",
        "sweep s",
        "queue s",
        "sweep /s",
        "sweep µs/e",
        "ratio"
    );
    let (mut plain_rates, mut our_rates, mut ratios) = (vec![], vec![], vec![]);
    let (mut plain_cpu, mut our_cpu) = (vec![], vec![]);
    // Paced: the sweep's delivery rate (its queueing left out) over the configured pace.
    let mut paced = vec![];
    // CPU µs per email, of the whole process (the sink included).
    let per_email = |cpu: f64| cpu * 1e6 / n as f64;
    for round in 1..=rounds {
        let ((p, pc), (o, q, oc)) = if round % 2 == 1 {
            let p = plain(&setup).await;
            (p, ours(&setup).await)
        } else {
            let o = ours(&setup).await;
            (plain(&setup).await, o)
        };
        let ratio = rate(o) / rate(p);
        println!(
            "{round:<6} {:>9.2} {:>10.0} {:>11.1} {:>9.2} {:>9.2} {:>10.0} {:>11.1} {:>6.2}",
            p.as_secs_f64(),
            rate(p),
            per_email(pc),
            o.as_secs_f64(),
            q.as_secs_f64(),
            rate(o),
            per_email(oc),
            ratio
        );
        plain_cpu.push(per_email(pc));
        our_cpu.push(per_email(oc));
        plain_rates.push(rate(p));
        our_rates.push(rate(o));
        ratios.push(ratio);
        if let Some(pace) = setup.max_per_second {
            paced.push(n as f64 / (o - q).as_secs_f64() / f64::from(pace));
        }
    }
    if let Some(pace) = setup.max_per_second {
        println!(
            "median: paced at {pace}/s, the sweep delivered at {:.3} of it; plain {:.0} emails/s unpaced",
            median(paced),
            median(plain_rates)
        );
        return;
    }
    println!(
        "median: plain {:.0} emails/s {:.1} µs CPU/email, sweep {:.0} emails/s {:.1} µs CPU/email, ratio {:.2} (target ≥ 0.85)",
        median(plain_rates),
        median(plain_cpu),
        median(our_rates),
        median(our_cpu),
        median(ratios)
    );
}
