//! Fakes of the platforms campaigns are scheduled in, answering in their documented shapes:
//! Klaviyo's JSON:API (the `revision` header required, `links.next` pages, `{"errors": […]}`),
//! Mailchimp's Marketing API 3.0 (HTTP Basic with the key as password, `count`/`offset`
//! pages, problem+json errors, 429 without `Retry-After`), Braze's REST API (Bearer key,
//! `scheduled_broadcasts`, `campaigns/details`, `{"message": …}` errors). Each serves the
//! campaigns of a shared, mutable list, so a test can edit or move one between ticks.
use super::fake_server::{FakeResponse, FakeServer};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

mod braze;
mod klaviyo;
mod mailchimp;
pub mod watcher;
pub use braze::braze;
pub use klaviyo::klaviyo;
pub use mailchimp::mailchimp;

pub const KEY: &str = "pk_test_0123456789abcdef";
pub const MAILCHIMP_KEY: &str = "0123456789abcdef0123456789abcdef-us6";

/// One campaign as a platform holds it.
#[derive(Debug, Clone)]
pub struct FakeCampaign {
    pub id: String,
    pub name: String,
    pub send_time: DateTime<Utc>,
    /// Sent in recipients' local time.
    pub local: bool,
    /// Klaviyo's `updated_at`: bump it when the content changes.
    pub updated_at: String,
    /// `(label, html)`: one, or the A/B variations.
    pub variations: Vec<(String, String)>,
    /// Scheduled (listed) or back to a draft.
    pub scheduled: bool,
    /// A Braze Canvas.
    pub canvas: bool,
    /// Started sending after it was listed: it can no longer be taken off the schedule.
    pub sending: bool,
}

impl FakeCampaign {
    pub fn new(id: &str, send_time: DateTime<Utc>, html: &str) -> Self {
        Self {
            id: id.into(),
            name: format!("Campaign {id}"),
            send_time,
            local: false,
            updated_at: "2026-12-01T00:00:00+00:00".into(),
            variations: vec![("A".into(), html.into())],
            scheduled: true,
            canvas: false,
            sending: false,
        }
    }
}

/// What a fake serves, shared with the test.
#[derive(Clone, Default)]
pub struct Campaigns {
    pub list: Arc<Mutex<Vec<FakeCampaign>>>,
    /// Answer the next N requests 429 (Klaviyo and Braze with `Retry-After: 1`, Mailchimp
    /// without).
    pub throttle: Arc<AtomicU32>,
    /// Answer every request 503 while set.
    pub down: Arc<AtomicU32>,
    /// Answer the next N writes (revert, unschedule) 503.
    pub flaky_writes: Arc<AtomicU32>,
}

impl Campaigns {
    pub fn new(list: Vec<FakeCampaign>) -> Self {
        Self {
            list: Arc::new(Mutex::new(list)),
            ..Self::default()
        }
    }

    pub fn edit(&self, id: &str, change: impl FnOnce(&mut FakeCampaign)) {
        let mut list = self.list.lock().unwrap();
        change(
            list.iter_mut()
                .find(|c| c.id == id)
                .expect("a campaign of the fake"),
        );
    }

    pub fn get(&self, id: &str) -> FakeCampaign {
        let list = self.list.lock().unwrap();
        list.iter().find(|c| c.id == id).unwrap().clone()
    }

    pub(super) fn scheduled(&self) -> Vec<FakeCampaign> {
        let list = self.list.lock().unwrap();
        list.iter().filter(|c| c.scheduled).cloned().collect()
    }

    /// 503 for a write, if the test asked for one.
    pub(super) fn write_refusal(&self) -> Option<FakeResponse> {
        let left = self.flaky_writes.load(Ordering::SeqCst);
        (left > 0).then(|| {
            self.flaky_writes.store(left - 1, Ordering::SeqCst);
            FakeResponse::text(
                503,
                "upstream connect error or disconnect/reset before headers",
            )
        })
    }

    /// 429 or 503 if the test asked for one.
    pub(super) fn refusal(&self, retry_after: bool) -> Option<FakeResponse> {
        if self.down.load(Ordering::SeqCst) > 0 {
            return Some(FakeResponse::text(503, "upstream connect error"));
        }
        let left = self.throttle.load(Ordering::SeqCst);
        if left == 0 {
            return None;
        }
        self.throttle.store(left - 1, Ordering::SeqCst);
        let answer = FakeResponse::json(429, json!({"detail": "Request was throttled."}));
        Some(if retry_after {
            answer.header("retry-after", "1")
        } else {
            answer
        })
    }
}

pub(super) fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// A started fake and what it serves.
pub struct Fake {
    pub server: FakeServer,
    pub campaigns: Campaigns,
}

impl Fake {
    pub async fn klaviyo(list: Vec<FakeCampaign>) -> Self {
        let campaigns = Campaigns::new(list);
        let base = Arc::new(Mutex::new(String::new()));
        let server = FakeServer::start(klaviyo(campaigns.clone(), base.clone())).await;
        *base.lock().unwrap() = server.url.clone();
        Self { server, campaigns }
    }

    pub async fn mailchimp(list: Vec<FakeCampaign>) -> Self {
        let campaigns = Campaigns::new(list);
        let server = FakeServer::start(mailchimp(campaigns.clone())).await;
        Self { server, campaigns }
    }

    pub async fn braze(list: Vec<FakeCampaign>) -> Self {
        let campaigns = Campaigns::new(list);
        let server = FakeServer::start(braze(campaigns.clone())).await;
        Self { server, campaigns }
    }

    /// Requests whose path starts with `prefix`.
    pub fn calls(&self, prefix: &str) -> usize {
        self.server
            .requests()
            .iter()
            .filter(|r| r.path.starts_with(prefix))
            .count()
    }
}

/// The 5xx counter's switch.
pub fn set(flag: &AtomicU32, value: u32) {
    flag.store(value, Ordering::SeqCst);
}
