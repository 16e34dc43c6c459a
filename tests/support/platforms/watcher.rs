//! The watch's parts over a fresh SQLite database, ticked by hand at any moment, with alerts
//! to an SMTP sink — what the watch tests drive.
use super::{KEY, MAILCHIMP_KEY};
use crate::support::app::test_config;
use crate::support::smtp::SmtpSink;
use chrono::{DateTime, Duration, DurationRound, Utc};
use promiseguard::services::watch::WatchReport;
use promiseguard::startup::Services;
use serde_json::Value;
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

pub const TEMPLATES: &str = "[promises]\n\
    location_links = [\"https://rent.example.com/branches/{location}\", \"https://rent.example.com/find?branch={location}\"]\n";

pub fn rental_email() -> String {
    std::fs::read_to_string("fixtures/emails/klaviyo-neighborhood-rental.html").unwrap()
}

pub fn branch_email(branch: &str) -> String {
    format!(
        "<html><body><p>Rent from {branch}</p>\
         <a href=\"https://rent.example.com/branches/{branch}\">Rent from {branch} →</a></body></html>"
    )
}

/// A send time `hours` ahead, on the hour.
pub fn ahead(hours: i64) -> DateTime<Utc> {
    (Utc::now() + Duration::hours(hours))
        .duration_trunc(Duration::hours(1))
        .unwrap()
}

pub struct Watcher {
    pub services: Services,
    pub sink: SmtpSink,
    _dir: TempDir,
}

/// The service's parts over a fresh SQLite database, with `platform` (a `[[platforms]]`
/// table's keys) and alerts to an SMTP sink; `extra` is more TOML.
pub async fn watcher(platform: &str, extra: &str) -> Watcher {
    let sink = SmtpSink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(
        &dir,
        &format!(
            "public_base_url = \"https://cx.example.com\"\n{TEMPLATES}\
             [schedule]\nrecheck = \"off\"\nsurveys = \"off\"\nalerts = \"off\"\nwatch = \"off\"\n\
             [email]\ntransport = \"smtp\"\nsmtp_url = \"{smtp}\"\nfrom = \"promiseguard <pg@example.com>\"\n\
             [alerts]\nemails = [\"cx-team@example.com\"]\n\
             [[platforms]]\n{platform}\n{extra}",
            smtp = sink.url
        ),
    );
    let services = Services::build(config).await.expect("services build");
    Watcher {
        services,
        sink,
        _dir: dir,
    }
}

impl Watcher {
    pub async fn tick(&self, now: DateTime<Utc>) -> WatchReport {
        self.services
            .watch
            .run(now, &CancellationToken::new())
            .await
    }

    pub async fn detail(&self, id: &str) -> Value {
        let detail = self.services.analysts.campaign(id).await.unwrap();
        serde_json::to_value(detail).unwrap()
    }

    /// Delivers the queued alerts; the subjects that reached the sink.
    pub async fn deliver_alerts(&self) -> Vec<String> {
        self.services
            .alerts
            .run(&CancellationToken::new())
            .await
            .unwrap();
        self.sink
            .delivered()
            .iter()
            .filter_map(|m| {
                m.data
                    .lines()
                    .find_map(|l| l.strip_prefix("Subject: ").map(str::to_owned))
            })
            .collect()
    }
}

pub fn klaviyo_table(url: &str) -> String {
    format!(
        "name = \"klaviyo-main\"\nkind = \"klaviyo\"\napi_key = \"{KEY}\"\nbase_url = \"{url}\"\non_block = \"unschedule\"\n"
    )
}

pub fn mailchimp_table(url: &str) -> String {
    format!(
        "name = \"mailchimp-us\"\nkind = \"mailchimp\"\napi_key = \"{MAILCHIMP_KEY}\"\nbase_url = \"{url}\"\non_block = \"unschedule\"\n"
    )
}

/// The service watching a Klaviyo fake every second (`extra` first in its configuration), once
/// the watch has taken the fake's one rental campaign (`k-rental`, an hour ahead, every branch
/// closed) off the schedule.
pub async fn unscheduled_rental(extra: &str) -> (super::Fake, crate::support::app::TestApp) {
    use promiseguard::store::{ActionOutcome, WatchStore};
    let fake = super::Fake::klaviyo(vec![super::FakeCampaign::new(
        "k-rental",
        ahead(1),
        &rental_email(),
    )])
    .await;
    let app = crate::support::app::spawn_app(&format!(
        "{extra}{TEMPLATES}[schedule]\nrecheck = \"off\"\nsurveys = \"off\"\nwatch = \"* * * * * *\"\n[[platforms]]\n{}",
        klaviyo_table(&fake.server.url)
    ))
    .await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    // Claimed (`pending`) before the platform is called, settled after: wait for the end.
    loop {
        let actions = app.store.actions("k-rental").await.unwrap();
        if actions.iter().any(|a| a.action != ActionOutcome::Pending) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the watch job did not act"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!fake.campaigns.get("k-rental").scheduled);
    (fake, app)
}
