//! Shutdown a load balancer can follow, on the real binary: SIGTERM turns `/readyz` to 503 at
//! once while requests are still served for the grace, no tick starts after it, a running
//! re-check stops, sends in flight finish and are recorded, and the process is gone within
//! 10 s.
use crate::support::app::live_offer;
use crate::support::fake_server::FakeServer;
use crate::support::process::{Served, serve};
use crate::support::smtp::SmtpSink;
use crate::support::store::last_tick;
use crate::support::surveys::clicks;
use crate::support::upstreams::{TOKEN, gbp_location, google_business_profile};
use chrono::Utc;
use promiseguard::domain::Phase;
use promiseguard::store::{CheckStore, InvitationStatus, InvitationStore, SqlStore};
use serde_json::json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Kubernetes' default grace is 30 s; the issue asks for 10.
const EXIT_WITHIN: Duration = Duration::from_secs(10);

fn write_config(dir: &Path, extra: &str) -> PathBuf {
    let file = dir.join("promiseguard.toml");
    let db = dir.join("promiseguard.db");
    let text = format!(
        "listen = \"127.0.0.1:0\"\nworkers = 2\ndatabase_url = \"sqlite://{}\"\nshutdown_grace_s = 2\n{extra}\n",
        db.display()
    );
    std::fs::write(&file, crate::support::app::test_defaults(text, extra)).unwrap();
    file
}

async fn store_of(dir: &Path) -> SqlStore {
    let url = format!("sqlite://{}", dir.join("promiseguard.db").display());
    promiseguard::store::connect(&url, false).await.unwrap()
}

async fn status(client: &reqwest::Client, served: &Served, path: &str) -> u16 {
    client
        .get(format!("{}{path}", served.address))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

/// Live checks of these campaigns, with their times.
async fn live_checks(store: &SqlStore, campaigns: &[String]) -> Vec<i64> {
    let mut at = Vec::new();
    for id in campaigns {
        for check in store.checks(id).await.unwrap() {
            if check.phase == Phase::Live {
                at.push(check.checked_at.timestamp_millis());
            }
        }
    }
    at
}

/// When the service logged the first line holding `text`, in Unix milliseconds (each line of
/// `Served::logged`, colour codes already removed, starts with its RFC 3339 time).
fn logged_at(log: &str, text: &str) -> Option<i64> {
    let line = log.lines().find(|l| l.contains(text))?;
    let stamp = line.split_whitespace().next()?;
    chrono::DateTime::parse_from_rfc3339(stamp)
        .ok()
        .map(|t| t.timestamp_millis())
}

#[tokio::test]
async fn sigterm_during_a_long_recheck_drains_promptly_and_the_next_start_rechecks() {
    // Twenty live campaigns on twenty branches of a Google that takes 700 ms a call: one
    // re-check tick takes ~14 s, longer than the process may take to stop.
    let branches: HashMap<String, serde_json::Value> = (0..20)
        .map(|i| (format!("b{i}"), gbp_location(&format!("b{i}"), "OPEN", &[])))
        .collect();
    let gbp = FakeServer::start_with_delay(
        google_business_profile(branches),
        Duration::from_millis(700),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            "[schedule]\nrecheck = \"* * * * * *\"\nsurveys = \"off\"\nalerts = \"off\"\nlease_ttl_s = 3\n\
             [sources.locations]\nkind = \"google-business-profile\"\nbase_url = \"{}\"\ntoken = \"{TOKEN}\"\ntimeout_ms = 5000\n",
            gbp.url
        ),
    );
    let mut served = serve(&config).await;
    let client = reqwest::Client::new();
    let campaigns: Vec<String> = (0..20).map(|i| format!("fleet-{i}")).collect();
    let sends = campaigns.iter().enumerate().map(|(i, id)| {
        let body =
            json!({"campaign": {"id": id, "offers": [live_offer("o", &[&format!("b{i}")])]}});
        client
            .post(format!("{}/v1/presend", served.address))
            .json(&body)
            .send()
    });
    for res in futures::future::join_all(sends).await {
        assert_eq!(res.unwrap().status(), 200);
    }
    let store = store_of(dir.path()).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while live_checks(&store, &campaigns).await.is_empty() {
        assert!(
            Instant::now() < deadline,
            "no re-check got going:\n{}",
            served.logged()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // SIGTERM mid-tick.
    let signalled = Instant::now();
    let signalled_at = Utc::now().timestamp_millis();
    served.terminate();
    let not_ready = async {
        loop {
            if status(&client, &served, "/readyz").await == 503 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_millis(1000), not_ready)
        .await
        .expect("/readyz answers 503 at once after SIGTERM");
    // During the grace (2 s) requests are still served.
    assert_eq!(status(&client, &served, "/healthz").await, 200);
    let answered = client
        .get(format!("{}/v1/lookup?locations=b3", served.address))
        .send()
        .await
        .unwrap();
    assert_eq!(
        answered.status(),
        200,
        "a request during the grace is answered"
    );
    let exit = served.exits_within(EXIT_WITHIN).await;
    assert!(exit.success(), "{exit:?}\n{}", served.logged());
    eprintln!("stopped {:?} after SIGTERM", signalled.elapsed());

    // No tick started after the service took the signal (a tick due between the test's clock
    // reading and the signal's arrival may rightly start), and the tick that was running
    // stopped: at most the campaign in hand when the signal came was checked after it.
    let logged = served.logged();
    let stopping_at = logged_at(&logged, "stopping: /readyz answers 503")
        .unwrap_or_else(|| panic!("no stopping line with a time:\n{logged}"));
    assert!(
        stopping_at >= signalled_at - 1,
        "the service logged its stop before the signal was sent"
    );
    let tick = last_tick(&store, "recheck").await;
    assert!(
        tick < stopping_at,
        "a re-check tick ({tick}) started after the service took SIGTERM ({stopping_at})\n{logged}"
    );
    let after = live_checks(&store, &campaigns)
        .await
        .into_iter()
        .filter(|at| *at > signalled_at)
        .count();
    assert!(after <= 2, "{after} campaigns were checked after SIGTERM");
    assert!(served.logged().contains("stopping"), "{}", served.logged());

    // The next start re-checks as usual.
    let restarted_at = Utc::now().timestamp_millis();
    let mut again = serve(&config).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let newer = live_checks(&store, &campaigns)
            .await
            .into_iter()
            .any(|at| at > restarted_at);
        if newer {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no re-check after the restart:\n{}",
            again.logged()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    again.terminate();
    assert!(again.exits_within(EXIT_WITHIN).await.success());
}

#[tokio::test]
async fn sigterm_mid_survey_delivery_records_the_sends_in_flight_and_emails_nobody_twice() {
    let sink = SmtpSink::scripted(
        std::sync::Arc::new(|_, _| (250, "2.0.0 OK")),
        Duration::from_millis(150),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            "public_base_url = \"https://cx.example.com\"\n\
             [schedule]\nrecheck = \"off\"\nsurveys = \"* * * * * *\"\nalerts = \"off\"\nlease_ttl_s = 2\n\
             [email]\ntransport = \"smtp\"\nsmtp_url = \"{}\"\nfrom = \"Acme CX <cx@example.com>\"\nmax_concurrent = 2\n",
            sink.url
        ),
    );
    let mut served = serve(&config).await;
    let people: Vec<String> = (0..30).map(|i| format!("p{i:02}@example.com")).collect();
    let refs: Vec<&str> = people.iter().map(String::as_str).collect();
    let posted = reqwest::Client::new()
        .post(format!("{}/v1/events", served.address))
        .json(&clicks("drain", &refs, 100))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);
    let deadline = Instant::now() + Duration::from_secs(20);
    while sink.all().len() < 6 {
        assert!(
            Instant::now() < deadline,
            "the sweep did not get going:\n{}",
            served.logged()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    served.terminate();
    assert!(served.exits_within(EXIT_WITHIN).await.success());

    // The sends that were in flight finished and were recorded: nothing is left `sending`,
    // so nothing becomes `unknown`, and nothing was sent twice.
    let store = store_of(dir.path()).await;
    let rows = store.invitations("drain").await.unwrap();
    let sending = rows
        .iter()
        .filter(|i| i.status == InvitationStatus::Sending)
        .count();
    assert_eq!(sending, 0, "claimed-but-unrecorded after a graceful stop");
    let sent_before = rows
        .iter()
        .filter(|i| i.status == InvitationStatus::Sent)
        .count();
    assert!(
        sent_before < 30,
        "the whole sweep finished before the signal; nothing was tested"
    );

    // The next run sends the rest, once each.
    let mut again = serve(&config).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let rows = store.invitations("drain").await.unwrap();
        if rows.len() == 30 && rows.iter().all(|i| i.status == InvitationStatus::Sent) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the rest was not sent:\n{}",
            again.logged()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    again.terminate();
    assert!(again.exits_within(EXIT_WITHIN).await.success());
    for person in &people {
        assert_eq!(sink.count_to(person), 1, "{person}");
    }
}
