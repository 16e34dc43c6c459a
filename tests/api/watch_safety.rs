//! What the watch must never do: take a campaign off the schedule for a source outage, for a
//! finding an analyst overrode, or from a platform that refused its key or is down.
use crate::support::platforms::watcher::{
    ahead, branch_email, klaviyo_table, rental_email, watcher,
};
use crate::support::platforms::{Fake, FakeCampaign, KEY, set};
use chrono::{Duration, Utc};
use promiseguard::domain::review::Decision;
use promiseguard::domain::{Phase, ReviewAction};
use promiseguard::store::{CheckStore, FindingStore, ReviewStore};

#[tokio::test]
async fn a_source_outage_unschedules_nothing() {
    let gbp = crate::support::fake_server::FakeServer::start(|_| {
        crate::support::fake_server::FakeResponse::text(503, "unavailable")
    })
    .await;
    let fake = Fake::klaviyo(vec![FakeCampaign::new(
        "k-out",
        ahead(1),
        &branch_email("101"),
    )])
    .await;
    let sources = format!(
        "[sources.locations]\nkind = \"google-business-profile\"\nbase_url = \"{}\"\ntoken = \"t\"\n",
        gbp.url
    );
    let w = watcher(&klaviyo_table(&fake.server.url), &sources).await;
    let report = w.tick(Utc::now()).await;
    assert_eq!((report.checked, report.unscheduled), (1, 0), "{report}");
    assert!(fake.campaigns.get("k-out").scheduled);
    let detail = w.detail("k-out").await;
    let rules: Vec<&str> = detail["latest_check"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.iter().all(|r| *r == "upstream_unavailable"),
        "{rules:?}"
    );
}

#[tokio::test]
async fn an_overridden_finding_does_not_unschedule_the_rescheduled_campaign() {
    let send = ahead(1);
    let fake = Fake::klaviyo(vec![FakeCampaign::new(
        "k-ok",
        send,
        &branch_email("loc-101"),
    )])
    .await;
    let w = watcher(&klaviyo_table(&fake.server.url), "").await;
    assert_eq!(w.tick(Utc::now()).await.unscheduled, 1);
    let check = &w.services.store.checks("k-ok").await.unwrap()[0];
    assert_eq!(check.phase, Phase::Scheduled);
    for f in w.services.store.findings(&check.id).await.unwrap() {
        let decision = Decision {
            action: ReviewAction::Override,
            note: Some("branch reopens for the event"),
            reviewer: "cx-lead",
        };
        w.services
            .store
            .review_finding(&f.finding.id, decision, Utc::now())
            .await
            .unwrap();
    }
    // The marketer schedules it again, a day later, as it was.
    fake.campaigns.edit("k-ok", |c| {
        c.scheduled = true;
        c.send_time = send + Duration::days(1);
    });
    let report = w.tick(send + Duration::days(1) - Duration::hours(1)).await;
    assert_eq!(
        (report.checked, report.unscheduled, report.alerted),
        (1, 0, 0),
        "{report}"
    );
    assert!(fake.campaigns.get("k-ok").scheduled);
}

#[tokio::test]
async fn a_refused_key_names_its_platform_and_acts_on_nothing() {
    let fake = Fake::klaviyo(vec![FakeCampaign::new("k-1", ahead(1), &rental_email())]).await;
    let table = klaviyo_table(&fake.server.url).replace(KEY, "pk_wrong");
    let w = watcher(&table, "").await;
    let report = w.tick(Utc::now()).await;
    assert_eq!((report.platform_errors, report.checked), (1, 0), "{report}");
    let metrics = w.services.metrics.render();
    assert!(
        metrics.contains(
            "promiseguard_watch_errors_total{kind=\"key_refused\",platform=\"klaviyo-main\"} 1"
        ),
        "{metrics}"
    );
    // A revision the endpoint lacks is answered as Klaviyo answers it, and refused the same way.
    let old = format!(
        "{}revision = \"2023-02-22\"\n",
        klaviyo_table(&fake.server.url)
    );
    let w = watcher(&old, "").await;
    assert_eq!(w.tick(Utc::now()).await.platform_errors, 1);
    set(&fake.campaigns.down, 1);
    let w = watcher(&klaviyo_table(&fake.server.url), "").await;
    let down = w.tick(Utc::now()).await;
    assert_eq!((down.platform_errors, down.checked), (1, 0), "{down}");
    assert!(fake.campaigns.get("k-1").scheduled);
}

#[tokio::test]
async fn a_campaign_that_starts_sending_before_it_is_taken_off_is_a_failed_action() {
    use crate::support::platforms::watcher::mailchimp_table;
    let mut sending = FakeCampaign::new("m-sending", ahead(1), &branch_email("loc-103"));
    sending.sending = true;
    let fake = Fake::mailchimp(vec![sending]).await;
    let w = watcher(&mailchimp_table(&fake.server.url), "").await;
    let report = w.tick(Utc::now()).await;
    assert_eq!(
        (report.failed, report.unscheduled, report.campaign_errors),
        (1, 0, 0),
        "{report}"
    );
    let detail = w.detail("m-sending").await;
    assert_eq!(detail["actions"][0]["action"], "failed");
    let said = detail["actions"][0]["detail"].as_str().unwrap();
    assert!(
        said.contains("currently sending"),
        "the platform's own words: {said}"
    );
    let subjects = w.deliver_alerts().await;
    assert_eq!(subjects.len(), 1, "{subjects:?}");
    assert!(
        subjects[0].starts_with("Scheduled to break promises"),
        "{subjects:?}"
    );
    let body = &w.sink.delivered()[0].data;
    assert!(body.contains("Taking it off the schedule failed"), "{body}");
    // Not tried again for the same content.
    assert_eq!(w.tick(Utc::now() + Duration::minutes(5)).await.failed, 0);
}

/// `promiseguard watch run`: one tick from the command line, its summary on stdout; with no
/// platform configured it says so and exits 2.
#[tokio::test(flavor = "multi_thread")]
async fn watch_run_ticks_once_from_the_command_line() {
    use crate::support::platforms::watcher::TEMPLATES;
    let fake = Fake::klaviyo(vec![FakeCampaign::new("k-cli", ahead(48), &rental_email())]).await;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let bare = dir.path().join("bare.toml");
    std::fs::write(&bare, format!("database_url = \"{db}\"\n")).unwrap();
    let config = dir.path().join("watch.toml");
    std::fs::write(
        &config,
        format!(
            "database_url = \"{db}\"\n{TEMPLATES}[[platforms]]\n{}",
            klaviyo_table(&fake.server.url)
        ),
    )
    .unwrap();
    let run = |file: std::path::PathBuf| {
        tokio::task::spawn_blocking(move || {
            crate::support::process::cli(&["--config", file.to_str().unwrap(), "watch", "run"])
        })
    };
    let (code, _, err) = run(bare).await.unwrap();
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no [[platforms]] are configured"), "{err}");
    let (code, out, err) = run(config).await.unwrap();
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("watch: 1 scheduled, 1 read, 1 checked"),
        "{out}"
    );
    assert!(out.contains("1 alerted"), "{out}");
    assert!(!err.contains("pk_test"), "the key is never logged: {err}");
}

#[tokio::test]
async fn the_same_broken_email_scheduled_again_unreviewed_is_taken_off_again() {
    let send = ahead(1);
    let fake = Fake::klaviyo(vec![FakeCampaign::new(
        "k-again",
        send,
        &branch_email("loc-102"),
    )])
    .await;
    let w = watcher(&klaviyo_table(&fake.server.url), "").await;
    assert_eq!(w.tick(Utc::now()).await.unscheduled, 1);
    // Scheduled again an hour later, nothing changed and nothing reviewed.
    fake.campaigns.edit("k-again", |c| {
        c.scheduled = true;
        c.send_time = send + Duration::hours(1);
    });
    let report = w.tick(Utc::now() + Duration::minutes(5)).await;
    assert_eq!((report.unscheduled, report.alerted), (1, 0), "{report}");
    assert!(!fake.campaigns.get("k-again").scheduled);
    let patches = fake
        .server
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .count();
    assert_eq!(patches, 2);
}

#[tokio::test]
async fn a_platform_that_does_not_answer_the_unschedule_is_asked_again() {
    use crate::support::platforms::watcher::mailchimp_table;
    let fake = Fake::mailchimp(vec![FakeCampaign::new(
        "m-flaky",
        ahead(1),
        &branch_email("loc-104"),
    )])
    .await;
    set(&fake.campaigns.flaky_writes, 1);
    let w = watcher(&mailchimp_table(&fake.server.url), "").await;
    let report = w.tick(Utc::now()).await;
    assert_eq!((report.unscheduled, report.failed), (1, 0), "{report}");
    let posts = fake
        .server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(posts, 2, "a 503, then taken off");
    assert!(!fake.campaigns.get("m-flaky").scheduled);
}
