//! Mailchimp Marketing API 3.0 (HTTP Basic with the key as password): scheduled campaigns from
//! `GET /3.0/campaigns?status=schedule` in `count`/`offset` pages, the email from `GET
//! /3.0/campaigns/{id}/content` (`html`, `plain_text`, and every A/B variation in
//! `variate_contents`), and `POST /3.0/campaigns/{id}/actions/unschedule` (back to `save`).
//! Errors are problem+json; at most 10 requests in flight per key.
use super::{Account, Platform, PlatformError, Variation, parse_time};
use crate::config::{MAILCHIMP_IN_FLIGHT, PlatformConfig};
use crate::domain::watch::{PlatformKind, Scheduled};
use crate::sources::path_segment;
use crate::sources::upstream::{Reply, Retry, Upstream};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tokio::sync::Semaphore;

/// Campaigns a page (Mailchimp allows up to 1,000).
const PAGE: usize = 500;

pub struct Mailchimp {
    account: Account,
    in_flight: Semaphore,
}

#[derive(Deserialize)]
struct Page {
    campaigns: Vec<CampaignData>,
    total_items: usize,
}

#[derive(Deserialize)]
struct CampaignData {
    id: String,
    #[serde(rename = "type", default)]
    kind: String,
    send_time: Option<String>,
    #[serde(default)]
    settings: Settings,
}

#[derive(Deserialize, Default)]
struct Settings {
    title: Option<String>,
    subject_line: Option<String>,
    #[serde(default)]
    timewarp: bool,
}

#[derive(Deserialize)]
struct Content {
    html: Option<String>,
    plain_text: Option<String>,
    #[serde(default)]
    variate_contents: Vec<VariateContent>,
}

#[derive(Deserialize)]
struct VariateContent {
    content_label: Option<String>,
    html: Option<String>,
    plain_text: Option<String>,
}

/// problem+json: `title` and `detail`.
fn error_detail(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let title = value.get("title").and_then(|t| t.as_str()).unwrap_or("");
    let detail = value.get("detail").and_then(|d| d.as_str())?;
    Some(format!("{title}: {detail}"))
}

impl Mailchimp {
    pub fn new(config: &PlatformConfig, upstream: Upstream) -> Self {
        Self {
            account: Account::new(config, upstream, error_detail),
            in_flight: Semaphore::new(MAILCHIMP_IN_FLIGHT),
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        url: &str,
        retry: Retry,
    ) -> Result<Reply, PlatformError> {
        let _slot = self
            .in_flight
            .acquire()
            .await
            .map_err(|_| PlatformError::Refused {
                status: 0,
                detail: "the platform is shutting down".into(),
            })?;
        let a = &self.account;
        a.call(
            |c| {
                c.request(method.clone(), url)
                    .basic_auth("promiseguard", Some(a.key()))
                    .header("accept", "application/json")
            },
            retry,
        )
        .await
    }
}

#[async_trait]
impl Platform for Mailchimp {
    fn account(&self) -> &Account {
        &self.account
    }

    fn kind(&self) -> PlatformKind {
        PlatformKind::Mailchimp
    }

    async fn scheduled(&self, until: DateTime<Utc>) -> Result<Vec<Scheduled>, PlatformError> {
        let mut found = Vec::new();
        let mut offset = 0;
        loop {
            let url = format!(
                "{}/3.0/campaigns?status=schedule&count={PAGE}&offset={offset}",
                self.account.base_url
            );
            let reply = self
                .call(reqwest::Method::GET, &url, Retry::Idempotent)
                .await?;
            let page: Page = self.account.json(&reply)?;
            let listed = page.campaigns.len();
            for c in page.campaigns {
                if c.kind == "rss" || c.kind == "automation" {
                    continue;
                }
                let Some(send_time) = c.send_time.as_deref().and_then(parse_time) else {
                    tracing::warn!(platform = %self.account.name, campaign = %c.id, "a scheduled Mailchimp campaign without a readable send_time: not watched");
                    continue;
                };
                if send_time > until {
                    continue;
                }
                found.push(Scheduled {
                    id: c.id,
                    name: c.settings.title.or(c.settings.subject_line.clone()),
                    subject: c.settings.subject_line,
                    send_time,
                    local_time: c.settings.timewarp,
                    marker: None,
                    messages: Vec::new(),
                    unreadable: false,
                });
            }
            offset += listed;
            if listed == 0 || offset >= page.total_items {
                return Ok(found);
            }
        }
    }

    async fn content(&self, campaign: &Scheduled) -> Result<Vec<Variation>, PlatformError> {
        let url = format!(
            "{}/3.0/campaigns/{}/content",
            self.account.base_url,
            path_segment(&campaign.id)
        );
        let reply = self
            .call(reqwest::Method::GET, &url, Retry::Idempotent)
            .await?;
        let content: Content = self.account.json(&reply)?;
        if !content.variate_contents.is_empty() {
            return Ok(content
                .variate_contents
                .into_iter()
                .map(|v| Variation {
                    label: v.content_label,
                    subject: None,
                    html: v.html.unwrap_or_default(),
                    text: v.plain_text,
                })
                .collect());
        }
        Ok(vec![Variation {
            label: None,
            subject: None,
            html: content.html.unwrap_or_default(),
            text: content.plain_text,
        }])
    }

    async fn unschedule(&self, campaign: &Scheduled) -> Result<(), PlatformError> {
        let url = format!(
            "{}/3.0/campaigns/{}/actions/unschedule",
            self.account.base_url,
            path_segment(&campaign.id)
        );
        self.call(reqwest::Method::POST, &url, Retry::Never)
            .await
            .map(|_| ())
    }
}
