//! Several instances on one PostgreSQL database (behind one load balancer): what must happen
//! once happens once. Needs `PROMISEGUARD_TEST_POSTGRES_URL`; without it each test says on
//! stderr that it was skipped.
#[path = "../support/mod.rs"]
mod support;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use promiseguard::config::JobSchedule;
use promiseguard::domain::Phase;
use promiseguard::jobs::scheduler::TickOutcome;
use promiseguard::jobs::{Job, Scheduler};
use promiseguard::signatures::SigningKey;
use promiseguard::store::{CheckStore, EngagementStore, InvitationStore, Lease, Store};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::app::{live_offer, spawn_app_on};
use support::databases::{postgres, skipped};
use tokio_util::sync::CancellationToken;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

#[tokio::test]
async fn one_webhook_delivered_to_two_instances_at_once_is_one_check() {
    let Some(db) = postgres().await else {
        return skipped("one_webhook_delivered_to_two_instances_at_once_is_one_check");
    };
    let extra =
        format!("[webhooks]\nsigning_secret = \"{SECRET}\"\n[schedule]\nrecheck = \"off\"\n");
    let (a, b) = (
        spawn_app_on(&db.url, &extra).await,
        spawn_app_on(&db.url, &extra).await,
    );
    let body = std::fs::read("fixtures/campaigns/block.json").unwrap();
    let ts = Utc::now().timestamp();
    let headers = vec![
        ("webhook-id", "msg_two_instances".to_owned()),
        ("webhook-timestamp", ts.to_string()),
        (
            "webhook-signature",
            SigningKey::from_secret(SECRET)
                .unwrap()
                .sign("msg_two_instances", ts, &body),
        ),
    ];
    for _ in 0..3 {
        let (ra, rb) = futures::join!(
            a.post_raw("/v1/presend", body.clone(), &headers),
            b.post_raw("/v1/presend", body.clone(), &headers)
        );
        assert_eq!((ra.status().as_u16(), rb.status().as_u16()), (200, 200));
        let (va, vb): (Value, Value) = (ra.json().await.unwrap(), rb.json().await.unwrap());
        assert_eq!(
            va["check_id"], vb["check_id"],
            "both answers carry the same check"
        );
    }
    assert_eq!(crate::support::store::count_checks(&a.store).await, 1);
    a.handle.stop(true).await;
    b.handle.stop(true).await;
    db.drop_database().await;
}

#[tokio::test]
async fn each_cron_tick_runs_on_exactly_one_of_two_instances() {
    let Some(db) = postgres().await else {
        return skipped("each_cron_tick_runs_on_exactly_one_of_two_instances");
    };
    let extra = "[schedule]\nrecheck = \"* * * * * *\"\n";
    let a = spawn_app_on(&db.url, extra).await;
    let body = json!({"campaign": {"id": "live-pg", "offers": [live_offer("o", &["loc-201"])]}});
    assert_eq!(a.presend(&body).await.status(), 200);
    let b = spawn_app_on(&db.url, extra).await;
    tokio::time::sleep(Duration::from_millis(4500)).await;
    a.handle.stop(true).await;
    b.handle.stop(true).await;

    let live: Vec<_> = db
        .store
        .checks("live-pg")
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.phase == Phase::Live)
        .collect();
    assert!(
        live.len() >= 3,
        "an every-second job ran {} times in 4.5 s",
        live.len()
    );
    // Every live check belongs to its own tick (second): no tick ran on both instances.
    let ticks: HashSet<i64> = live.iter().map(|c| c.checked_at.timestamp()).collect();
    assert_eq!(
        ticks.len(),
        live.len(),
        "a tick ran twice: {:?}",
        live.iter().map(|c| c.checked_at).collect::<Vec<_>>()
    );
    db.drop_database().await;
}

/// Records which ticks it ran.
struct Counting(Arc<Mutex<Vec<DateTime<Utc>>>>);

#[async_trait]
impl Job for Counting {
    fn name(&self) -> &'static str {
        "counting"
    }
    async fn run(&self, tick: DateTime<Utc>, _stop: &CancellationToken) -> anyhow::Result<String> {
        self.0.lock().unwrap().push(tick);
        Ok("counted".into())
    }
}

#[tokio::test]
async fn a_lease_held_by_a_crashed_instance_expires_and_the_next_tick_runs_elsewhere() {
    let Some(db) = postgres().await else {
        return skipped(
            "a_lease_held_by_a_crashed_instance_expires_and_the_next_tick_runs_elsewhere",
        );
    };
    let store: Arc<dyn Store> = Arc::new(db.store.clone());
    // The crashed instance took a tick with a 2 s lease and never came back.
    let crashed_at = Utc::now();
    assert!(
        store
            .try_lease(
                Lease {
                    job: "counting",
                    holder: "crashed",
                    ttl: Duration::from_secs(2)
                },
                crashed_at,
                crashed_at
            )
            .await
            .unwrap()
    );

    let ran = Arc::new(Mutex::new(Vec::new()));
    let job: Arc<dyn Job> = Arc::new(Counting(ran.clone()));
    let survivor = Scheduler::new(store.clone(), "survivor").with_lease_ttl(Duration::from_secs(2));
    // While the lease lives, the survivor does not run the job (no overlap).
    let soon = crashed_at + chrono::Duration::milliseconds(500);
    assert_eq!(
        survivor
            .run_tick(job.as_ref(), soon, &CancellationToken::new())
            .await,
        TickOutcome::NotOurs
    );

    let mut scheduler =
        Scheduler::new(store.clone(), "survivor").with_lease_ttl(Duration::from_secs(2));
    scheduler.add(&"* * * * * *".parse::<JobSchedule>().unwrap(), job);
    let cancel = CancellationToken::new();
    let running = tokio::spawn(scheduler.run(cancel.clone()));
    tokio::time::sleep(Duration::from_millis(4500)).await;
    cancel.cancel();
    running.await.unwrap();
    let ran = ran.lock().unwrap().clone();
    assert!(
        !ran.is_empty(),
        "the survivor took over once the lease expired"
    );
    assert!(
        ran.iter()
            .all(|t| *t >= crashed_at + chrono::Duration::seconds(2)),
        "nothing ran before expiry: {ran:?}"
    );
    db.drop_database().await;
}

#[tokio::test]
async fn two_instances_claiming_queued_invitations_never_take_the_same_one() {
    let Some(db) = postgres().await else {
        return skipped("two_instances_claiming_queued_invitations_never_take_the_same_one");
    };
    use promiseguard::domain::event::{EngagementEvent, EventKind};
    let now = Utc::now();
    let click = EngagementEvent {
        id: "click-1".into(),
        source: "api".into(),
        kind: EventKind::Click,
        campaign_id: Some("queue".into()),
        recipient: "x@example.com".into(),
        occurred_at: now,
        url: None,
        order_id: None,
        suppresses: None,
        reactivates: false,
        locale: None,
        promise: None,
        judgement: None,
        survey_invitation: None,
        zone: None,
    };
    db.store.record_events(&[click], "test", now).await.unwrap();
    let pairs: Vec<(String, String)> = (0..300)
        .map(|i| ("queue".to_owned(), format!("r{i}@example.com")))
        .collect();
    assert_eq!(
        db.store
            .queue_invitations(&promiseguard::store::NewInvitation::from_pairs(&pairs), now)
            .await
            .unwrap(),
        300
    );

    // Two instances: two separate pools on one database, four claimers each.
    let a = promiseguard::store::connect(&db.url, false).await.unwrap();
    let b = promiseguard::store::connect(&db.url, false).await.unwrap();
    let claimers = [(&a, "instance-a"), (&b, "instance-b")]
        .into_iter()
        .flat_map(|(store, name)| {
            (0..4).map(move |_| async move {
                let mut mine = Vec::new();
                while let Some(inv) =
                    crate::support::store::claim_one(store, name, Utc::now()).await
                {
                    mine.push(inv.id);
                }
                (name, mine)
            })
        });
    let results = futures::future::join_all(claimers).await;
    let mut all: Vec<String> = Vec::new();
    let mut per_instance = std::collections::HashMap::new();
    for (name, ids) in results {
        *per_instance.entry(name).or_insert(0) += ids.len();
        all.extend(ids);
    }
    let unique: HashSet<&String> = all.iter().collect();
    assert_eq!(all.len(), 300, "every invitation claimed");
    assert_eq!(unique.len(), 300, "no invitation claimed twice");
    assert!(
        per_instance.values().all(|n| *n > 0),
        "both instances took work: {per_instance:?}"
    );
    a.close().await;
    b.close().await;
    db.drop_database().await;
}

/// Two instances ticking the watch at the same moment over one Klaviyo account: the campaign
/// is taken off the schedule once — one `PATCH`, one `unscheduled` action — whoever wins the
/// action's claim (the lease keeps scheduled ticks apart; the unique action row is what holds
/// even when ticks meet).
#[tokio::test]
async fn two_instances_watching_one_platform_take_one_action() {
    use support::platforms::{Fake, FakeCampaign, KEY};
    let Some(db) = postgres().await else {
        return skipped("two_instances_watching_one_platform_take_one_action");
    };
    let html = std::fs::read_to_string("fixtures/emails/klaviyo-neighborhood-rental.html").unwrap();
    let send = Utc::now() + chrono::Duration::hours(1);
    let fake = Fake::klaviyo(vec![FakeCampaign::new("k-both", send, &html)]).await;
    let extra = format!(
        "[promises]\nlocation_links = [\"https://rent.example.com/branches/{{location}}\", \"https://rent.example.com/find?branch={{location}}\"]\n\
         [schedule]\nrecheck = \"off\"\nsurveys = \"off\"\nalerts = \"off\"\nwatch = \"off\"\n\
         [alerts]\nemails = [\"cx@example.com\"]\n\
         [[platforms]]\nname = \"klaviyo-main\"\nkind = \"klaviyo\"\napi_key = \"{KEY}\"\nbase_url = \"{}\"\non_block = \"unschedule\"\n",
        fake.server.url
    );
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = promiseguard::startup::Services::build(support::app::test_config_on(
        &dir_a, &db.url, &extra,
    ))
    .await
    .unwrap();
    let b = promiseguard::startup::Services::build(support::app::test_config_on(
        &dir_b, &db.url, &extra,
    ))
    .await
    .unwrap();
    let stop = CancellationToken::new();
    let now = Utc::now();
    let (ra, rb) = tokio::join!(a.watch.run(now, &stop), b.watch.run(now, &stop));
    assert_eq!(ra.unscheduled + rb.unscheduled, 1, "{ra} / {rb}");
    let patches = fake
        .server
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .count();
    assert_eq!(patches, 1);
    let actions = promiseguard::store::WatchStore::actions(&a.store, "k-both")
        .await
        .unwrap();
    let unscheduled = actions
        .iter()
        .filter(|x| x.action == promiseguard::store::ActionOutcome::Unscheduled)
        .count();
    assert_eq!(unscheduled, 1, "{actions:?}");
    a.store.close().await;
    b.store.close().await;
    db.drop_database().await;
}

/// `[email] max_per_second` is one bucket for every instance on PostgreSQL: two instances
/// sending at once (say one's survey delivery and the other's alerts) together never put more
/// than that many messages into any one second at the relay (timed at the SMTP server).
#[tokio::test]
async fn two_instances_sending_at_once_keep_one_relay_pace() {
    let Some(db) = postgres().await else {
        return skipped("two_instances_sending_at_once_keep_one_relay_pace");
    };
    let sink = support::smtp::SmtpSink::start().await;
    let extra = format!(
        "[email]\ntransport = \"smtp\"\nsmtp_url = \"{}\"\nfrom = \"cx@example.com\"\nmax_per_second = 5\nmax_concurrent = 4\n",
        sink.url
    );
    let mut instances = Vec::new();
    let mut dirs = Vec::new();
    for _ in 0..2 {
        let dir = tempfile::tempdir().unwrap();
        let config = support::app::test_config_on(&dir, &db.url, &extra);
        instances.push(
            promiseguard::startup::Services::build(config)
                .await
                .unwrap(),
        );
        dirs.push(dir);
    }
    let started = std::time::Instant::now();
    let sends = (0..30).map(|i| {
        let mailer = instances[i % 2].surveys.mailer.clone();
        let message = lettre::Message::builder()
            .from("cx@example.com".parse().unwrap())
            .to(format!("r{i}@example.com").parse().unwrap())
            .subject("paced")
            .body(String::from("x"))
            .unwrap();
        async move { mailer.send(message).await }
    });
    for sent in futures::future::join_all(sends).await {
        sent.unwrap();
    }
    let mut at: Vec<std::time::Instant> = sink.delivered().iter().map(|m| m.at).collect();
    assert_eq!(at.len(), 30);
    at.sort();
    for (i, t) in at.iter().enumerate() {
        let within = at[i..]
            .iter()
            .filter(|u| u.duration_since(*t) < Duration::from_secs(1))
            .count();
        assert!(within <= 5, "{within} emails in the second after email {i}");
    }
    // One pace for both: 30 at 5 a second take about 6 s, not the 3 s of two paces.
    assert!(
        started.elapsed() >= Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    for services in &instances {
        services.store.close().await;
    }
    db.drop_database().await;
}
