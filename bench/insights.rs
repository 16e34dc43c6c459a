//! bench/insights: the per-branch insight (`GET /v1/insights/locations`: clickers counted per
//! branch with their clicks, broken clicks, conversions and answers) over **1,000,000 clicks**
//! — 250,000 clickers of 50 campaigns, each clicking two of 200 branches twice — and **50,000
//! survey answers**, on SQLite and (when `PROMISEGUARD_TEST_POSTGRES_URL` names a server) on
//! PostgreSQL. The clickers are written through the store as the survey sweep writes them;
//! the answers through the survey's own path. Target: median ≤ 300 ms on each backend.
//!
//! Run: `cargo bench --bench insights` (`-- --clickers N`, `-- --answers N`, `-- --rounds N`).
#[path = "../tests/support/mod.rs"]
mod support;

use chrono::{Duration, Utc};
use promiseguard::domain::attribution::{Decided, PromiseClicks};
use promiseguard::domain::clicked::ranked;
use promiseguard::domain::event::{EngagementEvent, EventKind};
use promiseguard::domain::judgement::Judgement;
use promiseguard::domain::nps::{Reason, SurveyAnswer};
use promiseguard::store::{
    AnswerStore, ClickerFilter, ClickerStore, EngagementStore, InvitationStore, NewClicker,
    NewInvitation, PromiseKind, SqlStore,
};
use std::collections::BTreeMap;
use std::time::Instant;
use support::arg;

const BRANCHES: usize = 200;
/// Branches 0 to 19 are closed: their clicks met a broken promise.
const CLOSED: usize = 20;

fn clicker(i: usize) -> NewClicker {
    let at = Utc::now() - Duration::days(5) + Duration::seconds(i as i64);
    let branches = [i % BRANCHES, (i * 7 + 3) % BRANCHES];
    let mut locations = BTreeMap::new();
    let mut broken = 0;
    for b in branches {
        let closed = b < CLOSED;
        broken += if closed { 2 } else { 0 };
        locations.insert(
            format!("loc-{b:03}"),
            PromiseClicks {
                clicks: 2,
                broken_clicks: if closed { 2 } else { 0 },
                first_click_at: at,
            },
        );
    }
    let clicks = 2 * locations.len() as u64;
    NewClicker {
        recipient: format!("person{i}@example.com"),
        decided: Decided {
            campaign: format!("campaign-{}", i % 50),
            first_click_at: at,
            last_click_at: at,
            clicks,
            broken_clicks: broken,
            kept_clicks: clicks - broken,
            judgement: if broken > 0 {
                Judgement::Broken
            } else {
                Judgement::Kept
            },
            converted: i.is_multiple_of(10),
            locations,
            items: BTreeMap::new(),
        },
    }
}

/// Writes the clickers and the answers; the clicks they hold.
async fn seed(store: &SqlStore, clickers: usize, answers: usize) -> u64 {
    let started = Instant::now();
    // The campaigns, as their first events make them.
    let firsts: Vec<EngagementEvent> = (0..50)
        .map(|c| EngagementEvent {
            campaign_id: Some(format!("campaign-{c}")),
            ..EngagementEvent::new(
                format!("first-{c}"),
                "api",
                EventKind::Click,
                format!("first{c}@example.com"),
                Utc::now(),
            )
        })
        .collect();
    store
        .record_events(&firsts, "bench", Utc::now())
        .await
        .unwrap();
    let all: Vec<NewClicker> = (0..clickers).map(clicker).collect();
    let clicks = all.iter().map(|c| c.decided.clicks).sum();
    for chunk in all.chunks(10_000) {
        store.record_clickers(chunk, Utc::now()).await.unwrap();
    }
    let recorded = started.elapsed().as_secs_f64();
    // Every fourth clicker who did not convert is surveyed, up to `answers`, and answers.
    let invited: Vec<NewInvitation> = all
        .iter()
        .filter(|c| !c.decided.converted)
        .step_by(4)
        .take(answers)
        .map(|c| NewInvitation {
            campaign_id: c.decided.campaign.clone(),
            recipient: c.recipient.clone(),
            locale: None,
            promise_state: Some(c.decided.judgement),
            zone: None,
            send_after: None,
        })
        .collect();
    store.queue_invitations(&invited, Utc::now()).await.unwrap();
    let queued = started.elapsed().as_secs_f64();
    let ids: Vec<String> = {
        let mut ids = Vec::new();
        for c in 0..50 {
            ids.extend(
                store
                    .invitations(&format!("campaign-{c}"))
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|i| i.id),
            );
        }
        ids
    };
    for (n, id) in ids.iter().enumerate() {
        let answer = SurveyAnswer {
            score: (n % 11) as u8,
            comment: None,
            reason: Some(if n % 3 == 0 {
                Reason::LocationClosed
            } else {
                Reason::Used
            }),
        };
        store.record_answer(id, answer, Utc::now()).await.unwrap();
    }
    println!(
        "  seeded {clickers} clickers, {clicks} clicks, {} answers in {:.1} s \
         (clickers {recorded:.1} s, invitations {:.1} s, answers {:.1} s)",
        ids.len(),
        started.elapsed().as_secs_f64(),
        queued - recorded,
        started.elapsed().as_secs_f64() - queued,
    );
    clicks
}

/// The per-branch insight, `rounds` times: each time's milliseconds.
async fn measure(store: &SqlStore, rounds: usize, clicks: u64) -> Vec<f64> {
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        let read = store
            .promise_counts(PromiseKind::Location, &ClickerFilter::default())
            .await
            .unwrap();
        let rows = ranked(read.tallies);
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(rows.len(), BRANCHES);
        assert_eq!(rows.iter().map(|(_, f)| f.clicks).sum::<u64>(), clicks);
    }
    times
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let clickers: usize = arg("--clickers", 250_000);
    let answers: usize = arg("--answers", 50_000);
    let rounds: usize = arg("--rounds", 7);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!(
        "insights: per-branch insight, {clickers} clickers (4 clicks each), {answers} answers, {rounds} rounds"
    );
    let mut line = Vec::new();
    rt.block_on(async {
        let sqlite = support::databases::sqlite().await;
        let clicks = seed(&sqlite.store, clickers, answers).await;
        let times = measure(&sqlite.store, rounds, clicks).await;
        println!("  sqlite: {times:.0?} ms");
        line.push(format!("sqlite {:.0} ms", median(times)));
        match support::databases::postgres().await {
            Some(pg) => {
                let clicks = seed(&pg.store, clickers, answers).await;
                // What autovacuum does within a minute of such a load: the visibility map that
                // lets the figures be read from the index alone, and fresh statistics.
                let promiseguard::store::Db::Postgres(pool) = pg.store.db() else {
                    unreachable!()
                };
                sqlx::query("VACUUM ANALYZE clicker_promises")
                    .execute(pool)
                    .await
                    .unwrap();
                let times = measure(&pg.store, rounds, clicks).await;
                println!("  postgres: {times:.0?} ms");
                line.push(format!("postgres {:.0} ms", median(times)));
                pg.drop_database().await;
            }
            None => println!("  postgres: skipped (PROMISEGUARD_TEST_POSTGRES_URL not set)"),
        }
    });
    println!("insights median: {}", line.join(", "));
}
