//! bench/storage: insert 100,000 findings (1,000 checks of 100, each check one transaction with
//! its campaign upsert, as the webhook writes them) and read them all back, on SQLite and on
//! PostgreSQL, side by side in one run.
//!
//! Run: `cargo bench --bench storage`. PostgreSQL comes from `PROMISEGUARD_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`); a fresh database is made and dropped.
#[path = "../tests/support/mod.rs"]
mod support;

use promiseguard::domain::campaign::CampaignInput;
use promiseguard::domain::{Finding, Mode, Phase, Rule, Severity, Target, Verdict};
use promiseguard::store::{CheckStore, FindingStore, NewCheck, SqlStore};
use serde_json::json;
use std::time::{Duration, Instant};

const CHECKS: usize = 1_000;
const PER_CHECK: usize = 100;
/// Checks written at once (webhooks arrive concurrently).
const WRITERS: usize = 8;

struct Rates {
    insert: Duration,
    read: Duration,
}

async fn run(store: &SqlStore) -> Rates {
    let campaign = CampaignInput::parse(
        serde_json::from_value(
            json!({"id": "bench", "offers": [{"id": "o", "valid_from": "2026-11-24T00:00:00Z",
            "valid_until": "2026-12-01T00:00:00Z", "locations": ["loc"]}]}),
        )
        .unwrap(),
        "",
        chrono::Utc::now(),
    )
    .unwrap();
    let checks: Vec<(String, Vec<Finding>)> = (0..CHECKS)
        .map(|c| {
            let findings = (0..PER_CHECK)
                .map(|i| Finding {
                    id: uuid::Uuid::new_v4().to_string(),
                    offer_id: format!("offer-{i}"),
                    rule: Rule::OutOfStock,
                    severity: Severity::Block,
                    target: Target::item(&format!("SKU-{i}"), &format!("loc-{c}")),
                    message: format!("SKU-{i} at loc-{c} is out of stock (0 available, 1 promised)"),
                    evidence: json!({"source": "square", "available": 0, "required": 1, "fetched_at": "2026-11-23T14:00:00Z"}),
                    exemption: None,
                })
                .collect();
            (uuid::Uuid::new_v4().to_string(), findings)
        })
        .collect();
    let now = chrono::Utc::now();
    let started = Instant::now();
    for chunk in checks.chunks(WRITERS) {
        futures::future::join_all(chunk.iter().map(|(id, findings)| {
            let store = store.clone();
            let campaign = &campaign;
            async move {
                let check = NewCheck {
                    id,
                    campaign,
                    phase: Phase::PreSend,
                    mode: Mode::Enforce,
                    verdict: Verdict::Block,
                    send_at: now,
                    checked_at: now,
                    findings,
                    result: "{}",
                    alert_to: &[],
                    definition: None,
                    covered: None,
                };
                store.record_check(&check, None).await.unwrap();
            }
        }))
        .await;
    }
    let insert = started.elapsed();
    let started = Instant::now();
    let mut read = 0;
    for (id, _) in &checks {
        read += store.findings(id).await.unwrap().len();
    }
    assert_eq!(read, CHECKS * PER_CHECK);
    Rates {
        insert,
        read: started.elapsed(),
    }
}

fn row(name: &str, r: &Rates) {
    let n = (CHECKS * PER_CHECK) as f64;
    println!(
        "{name:<10} {:>10.1} {:>14.0} {:>10.1} {:>14.0}",
        r.insert.as_secs_f64(),
        n / r.insert.as_secs_f64(),
        r.read.as_secs_f64(),
        n / r.read.as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    if std::env::var(support::databases::POSTGRES_URL_VAR).is_err() {
        // SAFETY: set before any other thread reads the environment.
        unsafe {
            std::env::set_var(
                support::databases::POSTGRES_URL_VAR,
                "postgres://postgres@127.0.0.1:5432/postgres",
            )
        };
    }
    println!(
        "storage: {} findings in {CHECKS} checks of {PER_CHECK}, {WRITERS} writers at once",
        CHECKS * PER_CHECK
    );
    println!(
        "{:<10} {:>10} {:>14} {:>10} {:>14}",
        "backend", "insert s", "inserted/s", "read s", "read/s"
    );
    let sqlite = support::databases::sqlite().await;
    row("sqlite", &run(&sqlite.store).await);
    match support::databases::postgres().await {
        Some(pg) => {
            row("postgres", &run(&pg.store).await);
            pg.drop_database().await;
        }
        None => println!("postgres   skipped: no server"),
    }
}
