use crate::support::app::{live_offer, spawn_app};
use crate::support::fake_server::FakeServer;
use crate::support::upstreams::{TOKEN, gbp_location, google_business_profile};
use promiseguard::check::{CheckLimits, Checker};
use promiseguard::domain::{Phase, Rule};
use promiseguard::jobs::{Job, RecheckJob};
use promiseguard::metrics::Metrics;
use promiseguard::observations::Observer;
use promiseguard::services::checks::Checks;
use promiseguard::store::{CheckStore, FindingStore};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// A Google Business Profile whose answers the test can change between checks.
fn changing_gbp(
    state: Arc<Mutex<HashMap<String, Value>>>,
) -> impl Fn(&crate::support::fake_server::FakeRequest) -> crate::support::fake_server::FakeResponse
{
    move |req| google_business_profile(state.lock().unwrap().clone())(req)
}

#[tokio::test]
async fn a_branch_that_closes_after_the_send_is_a_new_finding_on_the_live_recheck() {
    let branches = Arc::new(Mutex::new(HashMap::from([
        ("a".to_owned(), gbp_location("a", "OPEN", &[])),
        ("b".to_owned(), gbp_location("b", "OPEN", &[])),
    ])));
    let gbp = FakeServer::start(changing_gbp(branches.clone())).await;
    let app = spawn_app(&format!(
        "[schedule]\nrecheck = \"off\"\n[sources.locations]\nkind = \"google-business-profile\"\nbase_url = \"{}\"\ntoken = \"{TOKEN}\"\n",
        gbp.url
    ))
    .await;
    let body = json!({"campaign": {"id": "live-1", "offers": [live_offer("o", &["a", "b"])]}});
    let sent: Value = app.presend(&body).await.json().await.unwrap();
    assert_eq!(sent["verdict"], "pass");

    // After the send, branch b closes.
    branches
        .lock()
        .unwrap()
        .insert("b".into(), gbp_location("b", "CLOSED_TEMPORARILY", &[]));
    let job = RecheckJob(Arc::new(Checks::new(
        app.store(),
        Checker::new(
            Arc::new(Observer::new(
                promiseguard::sources::build(&app.config.sources, &Metrics::new(), None).unwrap(),
                Duration::from_secs(60),
            )),
            CheckLimits {
                deadline: Duration::from_secs(5),
                concurrency: 4,
                location_max_age: Duration::ZERO,
                inventory_max_age: Duration::ZERO,
            },
        ),
        app.config.policy().clone(),
        Vec::new(),
        Metrics::new(),
        app.config.promises.templates().clone(),
    )));
    let summary = job
        .run(chrono::Utc::now(), &CancellationToken::new())
        .await
        .unwrap();
    assert!(
        summary.starts_with("1 live campaigns re-checked"),
        "{summary}"
    );
    let checks = app.store.checks("live-1").await.unwrap();
    assert_eq!(checks.len(), 2);
    assert_eq!(checks[0].phase, Phase::Live);
    assert_eq!(checks[0].verdict.as_str(), "block");
    let findings = app.store.findings(&checks[0].id).await.unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].finding.rule, Rule::LocationClosed);
    assert_eq!(findings[0].finding.target.location.as_deref(), Some("b"));
    assert!(findings[0].is_new, "b broke after the send");

    // Next tick: still closed, no longer new.
    job.run(chrono::Utc::now(), &CancellationToken::new())
        .await
        .unwrap();
    let checks = app.store.checks("live-1").await.unwrap();
    assert_eq!(checks.len(), 3);
    assert!(!app.store.findings(&checks[0].id).await.unwrap()[0].is_new);
}

#[tokio::test]
async fn the_scheduler_runs_the_recheck_on_its_cron_schedule() {
    let app = spawn_app("[schedule]\nrecheck = \"* * * * * *\"\n").await;
    let body = json!({"campaign": {"id": "live-2", "offers": [live_offer("o", &["loc-201"])]}});
    assert_eq!(app.presend(&body).await.status(), 200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let checks = app.store.checks("live-2").await.unwrap();
        if checks.iter().any(|c| c.phase == Phase::Live) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no live check within 10 s of an every-second schedule"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn two_hundred_concurrent_webhooks_on_one_sqlite_instance_all_land() {
    let app = spawn_app("").await;
    let bodies: Vec<Value> = (0..200)
        .map(|i| {
            let mut b: Value = serde_json::from_str(
                &std::fs::read_to_string("fixtures/campaigns/flag.json").unwrap(),
            )
            .unwrap();
            b["campaign"]["id"] = format!("concurrent-{i}").into();
            b
        })
        .collect();
    let answers = futures::future::join_all(bodies.iter().map(|b| app.presend(b))).await;
    for res in answers {
        assert_eq!(res.status(), 200);
    }
    assert_eq!(app.checks_stored().await, 200);
    assert_eq!(app.store.checks("concurrent-199").await.unwrap().len(), 1);
}
