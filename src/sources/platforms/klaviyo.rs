//! Klaviyo (JSON:API, `revision` header): scheduled email campaigns from `GET /api/campaigns`
//! (following `links.next`), each message's HTML from `GET
//! /api/campaign-messages/{id}/template`, and `PATCH /api/campaign-send-jobs/{id}` with
//! `revert` — back to Draft, never `cancel`, which is final.
use super::{Account, Platform, PlatformError, Variation, parse_time};
use crate::config::PlatformConfig;
use crate::domain::watch::{PlatformKind, Scheduled};
use crate::sources::path_segment;
use crate::sources::upstream::{Retry, Upstream};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::HashMap;

const JSON_API: &str = "application/vnd.api+json";
const SCHEDULED_EMAIL: &str = "and(equals(messages.channel,'email'),equals(status,'Scheduled'))";
/// More pages than this is a platform answering in circles.
const MAX_PAGES: usize = 1_000;

pub struct Klaviyo {
    account: Account,
    revision: String,
}

#[derive(Deserialize)]
struct Page {
    data: Vec<CampaignData>,
    #[serde(default)]
    included: Vec<Included>,
    #[serde(default)]
    links: Links,
}

#[derive(Deserialize, Default)]
struct Links {
    next: Option<String>,
}

#[derive(Deserialize)]
struct CampaignData {
    id: String,
    attributes: CampaignAttributes,
    #[serde(default)]
    relationships: Relationships,
}

#[derive(Deserialize)]
struct CampaignAttributes {
    name: Option<String>,
    send_time: Option<String>,
    updated_at: Option<String>,
    #[serde(default)]
    send_strategy: Option<SendStrategy>,
}

#[derive(Deserialize)]
struct SendStrategy {
    options: Option<SendOptions>,
    options_static: Option<SendOptions>,
}

#[derive(Deserialize)]
struct SendOptions {
    is_local: Option<bool>,
}

#[derive(Deserialize, Default)]
struct Relationships {
    #[serde(rename = "campaign-messages")]
    messages: Option<Related>,
}

#[derive(Deserialize)]
struct Related {
    data: Vec<Reference>,
}

#[derive(Deserialize)]
struct Reference {
    id: String,
}

#[derive(Deserialize)]
struct Included {
    #[serde(rename = "type")]
    kind: String,
    id: String,
    #[serde(default)]
    attributes: serde_json::Value,
}

#[derive(Deserialize)]
struct Template {
    data: TemplateData,
}

#[derive(Deserialize)]
struct TemplateData {
    attributes: TemplateAttributes,
}

#[derive(Deserialize)]
struct TemplateAttributes {
    html: Option<String>,
    text: Option<String>,
}

/// `{"errors":[{id, code, title, detail, source}]}`: the first error's title and detail.
fn error_detail(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let first = value.get("errors")?.get(0)?;
    let code = first.get("code").and_then(|c| c.as_str()).unwrap_or("");
    let detail = first
        .get("detail")
        .or_else(|| first.get("title"))
        .and_then(|d| d.as_str())?;
    Some(format!("{code}: {detail}"))
}

impl Klaviyo {
    pub fn new(config: &PlatformConfig, upstream: Upstream) -> Self {
        Self {
            account: Account::new(config, upstream, error_detail),
            revision: config.revision().to_owned(),
        }
    }

    fn request(
        &self,
        client: &reqwest::Client,
        method: reqwest::Method,
        url: &str,
    ) -> reqwest::RequestBuilder {
        client
            .request(method, url)
            .header(
                "authorization",
                format!("Klaviyo-API-Key {}", self.account.key()),
            )
            .header("revision", &self.revision)
            .header("accept", JSON_API)
    }

    async fn get(&self, url: &str) -> Result<crate::sources::upstream::Reply, PlatformError> {
        self.account
            .call(
                |c| self.request(c, reqwest::Method::GET, url),
                Retry::Idempotent,
            )
            .await
    }

    /// A page's campaigns, with each one's marker: its `updated_at` and its messages'.
    fn read_page(&self, page: Page, until: DateTime<Utc>, into: &mut Vec<Scheduled>) {
        let messages_updated: HashMap<&str, &str> = page
            .included
            .iter()
            .filter(|i| i.kind == "campaign-message")
            .filter_map(|i| Some((i.id.as_str(), i.attributes.get("updated_at")?.as_str()?)))
            .collect();
        for campaign in &page.data {
            let a = &campaign.attributes;
            let Some(send_time) = a.send_time.as_deref().and_then(parse_time) else {
                tracing::warn!(platform = %self.account.name, campaign = %campaign.id, "a scheduled Klaviyo campaign without a readable send_time: not watched");
                continue;
            };
            if send_time > until {
                continue;
            }
            let messages: Vec<String> = campaign
                .relationships
                .messages
                .as_ref()
                .map(|m| m.data.iter().map(|r| r.id.clone()).collect())
                .unwrap_or_default();
            let mut marker = a.updated_at.clone().unwrap_or_default();
            for m in &messages {
                marker.push('|');
                marker.push_str(messages_updated.get(m.as_str()).copied().unwrap_or(""));
            }
            let local = a.send_strategy.as_ref().is_some_and(|s| {
                [&s.options, &s.options_static]
                    .into_iter()
                    .flatten()
                    .any(|o| o.is_local == Some(true))
            });
            into.push(Scheduled {
                id: campaign.id.clone(),
                name: a.name.clone(),
                subject: None,
                send_time,
                local_time: local,
                marker: Some(marker),
                messages,
                unreadable: false,
            });
        }
    }
}

#[async_trait]
impl Platform for Klaviyo {
    fn account(&self) -> &Account {
        &self.account
    }

    fn kind(&self) -> PlatformKind {
        PlatformKind::Klaviyo
    }

    async fn scheduled(&self, until: DateTime<Utc>) -> Result<Vec<Scheduled>, PlatformError> {
        let first = url::Url::parse_with_params(
            &format!("{}/api/campaigns", self.account.base_url),
            [
                ("filter", SCHEDULED_EMAIL),
                ("include", "campaign-messages"),
            ],
        )
        .map_err(|e| PlatformError::Refused {
            status: 0,
            detail: format!("the configured base_url: {e}"),
        })?;
        let mut next = Some(first.to_string());
        let mut found = Vec::new();
        let mut pages = 0;
        while let Some(url) = next.take() {
            pages += 1;
            if pages > MAX_PAGES || !url.starts_with(&format!("{}/", self.account.base_url)) {
                return Err(PlatformError::Unavailable(
                    crate::sources::error::SourceError::Garbage(format!(
                        "links.next leads off the configured base_url or past {MAX_PAGES} pages"
                    )),
                ));
            }
            let reply = self.get(&url).await?;
            let page: Page = self.account.json(&reply)?;
            next = page.links.next.clone().filter(|n| !n.is_empty());
            self.read_page(page, until, &mut found);
        }
        Ok(found)
    }

    async fn content(&self, campaign: &Scheduled) -> Result<Vec<Variation>, PlatformError> {
        let mut variations = Vec::new();
        let many = campaign.messages.len() > 1;
        for message in &campaign.messages {
            let url = format!(
                "{}/api/campaign-messages/{}/template",
                self.account.base_url,
                path_segment(message)
            );
            let reply = self.get(&url).await?;
            let template: Template = self.account.json(&reply)?;
            let a = template.data.attributes;
            variations.push(Variation {
                label: many.then(|| message.clone()),
                subject: None,
                html: a.html.unwrap_or_default(),
                text: a.text,
            });
        }
        Ok(variations)
    }

    async fn unschedule(&self, campaign: &Scheduled) -> Result<(), PlatformError> {
        let url = format!(
            "{}/api/campaign-send-jobs/{}",
            self.account.base_url,
            path_segment(&campaign.id)
        );
        let body = serde_json::json!({
            "data": {"type": "campaign-send-job", "id": campaign.id, "attributes": {"action": "revert"}}
        })
        .to_string();
        self.account
            .call(
                |c| {
                    self.request(c, reqwest::Method::PATCH, &url)
                        .header("content-type", JSON_API)
                        .body(body.clone())
                },
                Retry::Never,
            )
            .await
            .map(|_| ())
    }
}
