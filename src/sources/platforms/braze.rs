//! Braze REST (`Authorization: Bearer`): what is scheduled from `GET
//! /messages/scheduled_broadcasts?end_time=…` (Campaigns and Canvases), each campaign's email
//! messages from `GET /campaigns/details?campaign_id=…` (`subject`, `body` the HTML). A
//! Canvas's email bodies are not readable through REST, and no REST call unschedules a
//! dashboard campaign: configuration refuses `on_block = "unschedule"` for Braze.
use super::{Account, Platform, PlatformError, Variation, parse_time};
use crate::config::PlatformConfig;
use crate::domain::watch::{PlatformKind, Scheduled};
use crate::sources::upstream::{Reply, Retry, Upstream};
use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;

pub struct Braze {
    account: Account,
}

#[derive(Deserialize)]
struct Broadcasts {
    scheduled_broadcasts: Vec<Broadcast>,
}

#[derive(Deserialize)]
struct Broadcast {
    id: String,
    name: Option<String>,
    #[serde(rename = "type")]
    kind: String,
    next_send_time: String,
    schedule_type: Option<String>,
}

#[derive(Deserialize)]
struct Details {
    #[serde(default)]
    messages: BTreeMap<String, Message>,
}

#[derive(Deserialize)]
struct Message {
    channel: Option<String>,
    name: Option<String>,
    subject: Option<String>,
    body: Option<String>,
}

/// Braze's errors: `{"message": "…"}` (and sometimes `errors`).
fn error_detail(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value.get("message")?.as_str().map(str::to_owned)
}

impl Braze {
    pub fn new(config: &PlatformConfig, upstream: Upstream) -> Self {
        Self {
            account: Account::new(config, upstream, error_detail),
        }
    }

    async fn get(&self, url: &url::Url) -> Result<Reply, PlatformError> {
        let a = &self.account;
        a.call(
            |c| c.get(url.as_str()).bearer_auth(a.key()),
            Retry::Idempotent,
        )
        .await
    }
}

#[async_trait]
impl Platform for Braze {
    fn account(&self) -> &Account {
        &self.account
    }

    fn kind(&self) -> PlatformKind {
        PlatformKind::Braze
    }

    async fn scheduled(&self, until: DateTime<Utc>) -> Result<Vec<Scheduled>, PlatformError> {
        let end = until.to_rfc3339_opts(SecondsFormat::Secs, true);
        let url = self
            .account
            .url("/messages/scheduled_broadcasts", &[("end_time", &end)])?;
        let listed: Broadcasts = self.account.json(&self.get(&url).await?)?;
        let mut found = Vec::new();
        for b in listed.scheduled_broadcasts {
            let Some(send_time) = parse_time(&b.next_send_time) else {
                tracing::warn!(platform = %self.account.name, campaign = %b.id, "a scheduled Braze broadcast without a readable next_send_time: not watched");
                continue;
            };
            found.push(Scheduled {
                id: b.id,
                name: b.name,
                subject: None,
                send_time,
                local_time: b.schedule_type.as_deref() == Some("local_time_zones"),
                marker: None,
                messages: Vec::new(),
                unreadable: b.kind != "Campaign",
            });
        }
        Ok(found)
    }

    async fn content(&self, campaign: &Scheduled) -> Result<Vec<Variation>, PlatformError> {
        let url = self
            .account
            .url("/campaigns/details", &[("campaign_id", &campaign.id)])?;
        let details: Details = self.account.json(&self.get(&url).await?)?;
        let emails: Vec<(String, Message)> = details
            .messages
            .into_iter()
            .filter(|(_, m)| m.channel.as_deref() == Some("email"))
            .collect();
        let many = emails.len() > 1;
        Ok(emails
            .into_iter()
            .map(|(id, m)| Variation {
                label: many.then(|| m.name.unwrap_or(id)),
                subject: m.subject,
                html: m.body.unwrap_or_default(),
                text: None,
            })
            .collect())
    }

    async fn unschedule(&self, _campaign: &Scheduled) -> Result<(), PlatformError> {
        Err(PlatformError::Refused {
            status: 0,
            detail: "Braze has no REST call that unschedules a dashboard campaign".into(),
        })
    }
}
