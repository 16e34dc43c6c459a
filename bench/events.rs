//! bench/events: ingest 1,000,000 events as NDJSON through `POST /v1/events` (ten requests of
//! 100,000, the most one request takes), next to the `sqlite3` command-line tool importing the
//! same rows as CSV into the same table and indexes, in the same run.
//!
//! Then the Mailgun path: `--webhooks N` (10,000) signed Mailgun webhooks, one event each as
//! Mailgun sends them, 32 at a time, next to the same events posted one per request to
//! `POST /v1/events` — the cost of the provider's verification, token and parsing on top of a
//! one-event request — and the latency of Customer.io's (which waits 4 s and then holds back
//! every later webhook): p50 / p99 / max under the same load.
//!
//! `--match`: with a `[promises]` location template every click URL matches, so each click is
//! stored with the location it reached for (issue 30) — the cost of matching on ingest — and
//! judged against the campaign's check before it (each of the 50 campaigns is checked first,
//! the check moved back before the clicks): the cost of judging too.
//!
//! Run: `cargo bench --bench events` (needs `sqlite3` on the PATH; `-- --events N` for fewer).
#[path = "../tests/support/mod.rs"]
mod support;

use chrono::{Duration, Utc};
use promiseguard::domain::judgement::Judgement;
use std::io::Write;
use std::time::Instant;
use support::app::spawn_app;

const PER_REQUEST: usize = 100_000;

fn main() {
    let total: usize = std::env::args()
        .skip_while(|a| a != "--events")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let base = Utc::now() - Duration::days(10);
    let row = |i: usize| {
        let campaign = format!("campaign-{}", i % 50);
        let recipient = format!("person{}@example.com", i % 200_000);
        let at = (base + Duration::seconds(i as i64)).to_rfc3339();
        let kind = if i.is_multiple_of(10) {
            "conversion"
        } else {
            "click"
        };
        (format!("evt-{i:07}"), kind, campaign, recipient, at)
    };

    // The same rows as NDJSON bodies and as one CSV file.
    let bodies: Vec<Vec<u8>> = (0..total)
        .collect::<Vec<_>>()
        .chunks(PER_REQUEST)
        .map(|chunk| {
            let mut body = Vec::with_capacity(chunk.len() * 200);
            for &i in chunk {
                let (id, kind, campaign, recipient, at) = row(i);
                writeln!(
                    body,
                    r#"{{"id":"{id}","type":"{kind}","campaign_id":"{campaign}","recipient":"{recipient}","occurred_at":"{at}","url":"https://rentals.example.com/b"}}"#
                )
                .unwrap();
            }
            body
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("events.csv");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&csv).unwrap());
    let received_ms = Utc::now().timestamp_millis();
    for i in 0..total {
        let (id, kind, campaign, recipient, at) = row(i);
        let at_ms = chrono::DateTime::parse_from_rfc3339(&at)
            .unwrap()
            .timestamp_millis();
        writeln!(file, "{id},api,{kind},{campaign},{recipient},{at_ms},https://rentals.example.com/b,,{received_ms}").unwrap();
    }
    file.flush().unwrap();
    drop(file);

    // `--match`: clicks name the promise their URL reached for (every click here matches).
    let matching = std::env::args().any(|a| a == "--match");
    let templates = if matching {
        "[promises]\nlocation_links = [\"https://rentals.example.com/{location}\"]\n"
    } else {
        ""
    };
    println!(
        "events: {total} events, NDJSON in requests of {PER_REQUEST}, SQLite{}",
        if matching {
            ", clicks matched to their promise"
        } else {
            ""
        }
    );
    // promiseguard
    let (ours, stored) = rt.block_on(async {
        let app = spawn_app(&format!(
            "[schedule]\nrecheck = \"off\"\nsurveys = \"off\"\n{templates}"
        ))
        .await;
        if matching {
            seed_checks(&app).await;
        }
        let started = Instant::now();
        let mut stored = 0u64;
        for body in &bodies {
            let res = app
                .client
                .post(format!("{}/v1/events", app.address))
                .header("content-type", "application/x-ndjson")
                .body(body.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            let v: serde_json::Value = res.json().await.unwrap();
            stored += v["stored"].as_u64().unwrap();
        }
        let elapsed = started.elapsed();
        if matching {
            let promiseguard::store::Db::Sqlite(pool) = app.store.db() else {
                unreachable!("the bench runs on SQLite")
            };
            let judged: Vec<(Option<i64>, i64)> = sqlx::query_as(
                "SELECT judgement, COUNT(*) FROM events WHERE type = 'click' GROUP BY judgement",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            let judged: Vec<(Option<&str>, i64)> = judged
                .into_iter()
                .map(|(code, n)| {
                    let name = code.map(|c| Judgement::from_code(c).unwrap().as_str());
                    (name, n)
                })
                .collect();
            println!("clicks judged: {judged:?}");
        }
        (elapsed, stored)
    });
    assert_eq!(stored as usize, total);

    // sqlite3's own CSV import into the same schema (table and indexes from our migration).
    let db = dir.path().join("cli.db");
    let schema =
        std::fs::read_to_string("migrations/sqlite/0003_engagement_and_surveys.sql").unwrap();
    let events_schema: String = schema
        .split(';')
        .filter(|s| s.contains("events"))
        .map(|s| format!("{};\n", s.trim()))
        .collect();
    let script = format!(
        "PRAGMA journal_mode=WAL;\nPRAGMA synchronous=NORMAL;\n{events_schema}.mode csv\n.import {} events\n",
        csv.display()
    );
    let started = Instant::now();
    let mut child = std::process::Command::new("sqlite3")
        .arg(&db)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("sqlite3 on the PATH");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    let cli = started.elapsed();
    let count = std::process::Command::new("sqlite3")
        .arg(&db)
        .arg("SELECT COUNT(*) FROM events")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&count.stdout).trim(),
        total.to_string()
    );

    let rate = |d: std::time::Duration| total as f64 / d.as_secs_f64();
    println!("{:<28} {:>9} {:>12}", "", "seconds", "events/s");
    println!(
        "{:<28} {:>9.2} {:>12.0}",
        "promiseguard POST /v1/events",
        ours.as_secs_f64(),
        rate(ours)
    );
    println!(
        "{:<28} {:>9.2} {:>12.0}",
        "sqlite3 .import (CSV)",
        cli.as_secs_f64(),
        rate(cli)
    );
    println!("ratio {:.2} (target ≥ 0.5)", rate(ours) / rate(cli));
    let webhooks: usize = std::env::args()
        .skip_while(|a| a != "--webhooks")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000);
    rt.block_on(one_event_requests(webhooks));
}

const MAILGUN_KEY: &str = "key-bench-0123456789abcdef";
const CIO_SECRET: &str = "cio-bench-secret";

/// `n` single-event requests, 32 in flight: Mailgun's signed webhook against our own JSON.
async fn one_event_requests(n: usize) {
    use futures::StreamExt;
    let app = spawn_app(&format!(
        "[schedule]\nrecheck = \"off\"\nsurveys = \"off\"\n[events.mailgun]\nsigning_key = \"{MAILGUN_KEY}\"\n[events.customerio]\nsigning_secret = \"{CIO_SECRET}\"\n"
    ))
    .await;
    let at = Utc::now() - Duration::days(1);
    let mailgun = |i: usize| {
        let ts = Utc::now().timestamp().to_string();
        let token = format!("bench-token-{i:08}");
        let signature =
            promiseguard::signatures::mailgun::sign(MAILGUN_KEY.as_bytes(), &ts, &token);
        serde_json::json!({
            "signature": {"timestamp": ts, "token": token, "signature": signature},
            "event-data": {"event": "clicked", "id": format!("mg-{i:08}"), "timestamp": at.timestamp() as f64,
                "recipient": format!("person{}@example.com", i % 5000), "url": "https://rentals.example.com/b",
                "user-variables": {"campaign_id": format!("campaign-{}", i % 50)}, "tags": [], "log-level": "info"}
        })
        .to_string()
    };
    let generic = |i: usize| {
        serde_json::json!([{"id": format!("api-{i:08}"), "type": "click", "campaign_id": format!("campaign-{}", i % 50),
            "recipient": format!("person{}@example.com", i % 5000), "occurred_at": at.to_rfc3339(),
            "url": "https://rentals.example.com/b"}])
        .to_string()
    };
    let run = |path: &'static str, body: &dyn Fn(usize) -> String| {
        let bodies: Vec<String> = (0..n).map(body).collect();
        let app = &app;
        async move {
            let started = Instant::now();
            let stored: u64 = futures::stream::iter(bodies)
                .map(|b| async move {
                    let res = app
                        .client
                        .post(format!("{}{path}", app.address))
                        .header("content-type", "application/json")
                        .body(b)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(res.status(), 200);
                    let v: serde_json::Value = res.json().await.unwrap();
                    v["stored"].as_u64().unwrap()
                })
                .buffer_unordered(32)
                .fold(0, |a, s| async move { a + s })
                .await;
            assert_eq!(stored as usize, n);
            started.elapsed()
        }
    };
    let ours_generic = run("/v1/events", &generic).await;
    let ours_mailgun = run("/v1/events/mailgun", &mailgun).await;
    let latencies = customerio_latencies(&app, n).await;
    let rate = |d: std::time::Duration| n as f64 / d.as_secs_f64();
    println!("one event a request, {n} requests, 32 in flight");
    println!("{:<28} {:>9} {:>12}", "", "seconds", "events/s");
    println!(
        "{:<28} {:>9.2} {:>12.0}",
        "POST /v1/events",
        ours_generic.as_secs_f64(),
        rate(ours_generic)
    );
    println!(
        "{:<28} {:>9.2} {:>12.0}",
        "POST /v1/events/mailgun",
        ours_mailgun.as_secs_f64(),
        rate(ours_mailgun)
    );
    println!(
        "ratio {:.2} (Mailgun / generic, one event a request)",
        rate(ours_mailgun) / rate(ours_generic)
    );
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize].as_secs_f64() * 1000.0;
    println!(
        "POST /v1/events/customerio, 32 in flight: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (target: well inside 1 s)",
        at(0.5),
        at(0.99),
        at(1.0)
    );
}

/// Each signed Customer.io request's time to its answer, sorted.
async fn customerio_latencies(app: &support::app::TestApp, n: usize) -> Vec<std::time::Duration> {
    use futures::StreamExt;
    let bodies: Vec<(String, String, String)> = (0..n)
        .map(|i| {
            let body = serde_json::json!({"data": {"recipient": format!("cio{}@example.com", i % 5000), "campaign_id": i % 50,
                "href": "https://rentals.example.com/b"}, "event_id": format!("cio-{i:08}"), "metric": "clicked",
                "object_type": "email", "timestamp": Utc::now().timestamp() - 3600})
            .to_string();
            let ts = Utc::now().timestamp().to_string();
            let signature =
                promiseguard::signatures::customerio::sign(CIO_SECRET.as_bytes(), &ts, body.as_bytes());
            (body, ts, signature)
        })
        .collect();
    let mut latencies: Vec<std::time::Duration> = futures::stream::iter(bodies)
        .map(|(body, ts, signature)| async move {
            let started = Instant::now();
            let res = app
                .client
                .post(format!("{}/v1/events/customerio", app.address))
                .header("content-type", "application/json")
                .header("x-cio-timestamp", ts)
                .header("x-cio-signature", signature)
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            started.elapsed()
        })
        .buffer_unordered(32)
        .collect()
        .await;
    latencies.sort();
    latencies
}

/// A pre-send check of each of the bench's 50 campaigns, promising the branch its clicks name,
/// moved back before the first click: every click has a check to be judged against.
async fn seed_checks(app: &support::app::TestApp) {
    let now = Utc::now();
    for c in 0..50 {
        let campaign = serde_json::json!({"campaign": {"id": format!("campaign-{c}"), "offers": [{
            "id": "o", "valid_from": (now - Duration::days(11)).to_rfc3339(),
            "valid_until": (now + Duration::days(1)).to_rfc3339(), "locations": ["b", "loc-201"]}]},
            "mode": "dry_run"});
        assert_eq!(app.presend(&campaign).await.status(), 200);
    }
    let promiseguard::store::Db::Sqlite(pool) = app.store.db() else {
        unreachable!("the bench runs on SQLite")
    };
    sqlx::query("UPDATE checks SET checked_at = checked_at - 11 * 86400000")
        .execute(pool)
        .await
        .unwrap();
}
