//! Google Business Profile (Business Information API v1):
//! `GET {base_url}/v1/locations/{id}?readMask=…` for one location, and — with `account`
//! configured — `GET {base_url}/v1/{account}/locations?pageSize=100&readMask=…` following
//! `nextPageToken`, whenever listing the account costs fewer calls than asking each id.
use super::upstream::{Retry, Upstream};
use super::{
    Located, LocationAnswer, LocationSource, SourceError, parse_open_status, path_segment,
};
use crate::config::{LocationIds, SourceConfig};
use async_trait::async_trait;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::time::Instant;

#[path = "google_business_profile_codes.rs"]
mod codes;
#[path = "google_business_profile_location.rs"]
mod location;
use location::{Location, interpret};

pub const NAME: &str = "google-business-profile";
const READ_MASK: &str = "name,title,storeCode,latlng,openInfo,regularHours,specialHours,metadata";
/// The most locations Google lists a page.
const PAGE_SIZE: usize = 100;
/// Pages followed before the list is called garbage (a loop guard: 100,000 locations).
const MAX_PAGES: usize = 1000;

pub struct GoogleBusinessProfile {
    config: SourceConfig,
    upstream: Upstream,
    /// Pages the account's list took last time (0: not listed yet).
    list_pages: AtomicUsize,
    /// `ids = "store_code"`: which location each code names, as the list last said.
    codes: std::sync::Mutex<codes::CodeMap>,
}

/// `accounts.locations.list`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LocationList {
    #[serde(default)]
    locations: Vec<Location>,
    #[serde(default)]
    next_page_token: Option<String>,
    #[serde(default)]
    total_size: Option<usize>,
}

impl GoogleBusinessProfile {
    pub fn new(config: SourceConfig, upstream: Upstream) -> Self {
        Self {
            config,
            upstream,
            list_pages: AtomicUsize::new(0),
            codes: std::sync::Mutex::new(codes::CodeMap::default()),
        }
    }

    /// Our ids by Google's (`locations/{id}` without the prefix), for reading a list.
    fn ours_by_upstream<'a>(&self, ids: &'a [String]) -> HashMap<String, &'a String> {
        ids.iter()
            .map(|id| {
                let upstream = self.config.upstream_id(id);
                let bare = upstream.strip_prefix("locations/").unwrap_or(upstream);
                (bare.to_owned(), id)
            })
            .collect()
    }

    /// One page of the account's locations.
    async fn page(
        &self,
        account: &str,
        token: Option<&str>,
        deadline: Instant,
    ) -> Result<LocationList, SourceError> {
        let url = format!("{}/v1/{account}/locations", self.config.base());
        let bearer = self.config.token_value();
        let size = PAGE_SIZE.to_string();
        let reply = self
            .upstream
            .call(
                |c| {
                    let mut q = vec![("pageSize", size.as_str()), ("readMask", READ_MASK)];
                    if let Some(t) = token {
                        q.push(("pageToken", t));
                    }
                    c.get(&url).query(&q).bearer_auth(bearer)
                },
                Retry::Idempotent,
                deadline,
            )
            .await?;
        if !reply.status.is_success() {
            return Err(SourceError::Status(reply.status.as_u16()));
        }
        reply
            .json::<LocationList>()
            .inspect_err(|_| self.upstream.note_garbage())
    }

    /// Reads `ids` from the account's list, page by page. After the first page, whose
    /// `totalSize` says how many pages there are, the ids still missing are asked one by one
    /// if that costs fewer calls than the rest of the list. An id the whole list does not
    /// contain is unknown, as a 404 would say.
    async fn listed(
        &self,
        account: &str,
        ids: &[String],
        deadline: Instant,
        permits: &tokio::sync::Semaphore,
    ) -> Located {
        let mut wanted = self.ours_by_upstream(ids);
        let mut out = HashMap::new();
        let mut token: Option<String> = None;
        let mut pages = 0;
        loop {
            let page = match self.page(account, token.as_deref(), deadline).await {
                Ok(page) => page,
                Err(e) => {
                    for id in wanted.into_values() {
                        out.insert(id.clone(), Err(e.clone()));
                    }
                    return out;
                }
            };
            pages += 1;
            for location in page.locations {
                let Some(name) = location.name.clone() else {
                    continue;
                };
                let bare = name.strip_prefix("locations/").unwrap_or(&name).to_owned();
                if let Some(id) = wanted.remove(&bare) {
                    let answer = interpret(location).inspect_err(|_| self.upstream.note_garbage());
                    out.insert(id.clone(), answer);
                }
            }
            token = page.next_page_token.filter(|t| !t.is_empty());
            let Some(_) = &token else {
                self.list_pages.store(pages, Ordering::Relaxed);
                for id in wanted.into_values() {
                    out.insert(id.clone(), Ok(LocationAnswer::unknown()));
                }
                return out;
            };
            if wanted.is_empty() {
                return out;
            }
            let pages_left = page
                .total_size
                .map(|total| total.div_ceil(PAGE_SIZE).saturating_sub(pages));
            if let Some(left) = pages_left {
                self.list_pages.store(pages + left, Ordering::Relaxed);
                if wanted.len() < left {
                    let rest: Vec<String> = wanted.into_values().cloned().collect();
                    out.extend(super::one_by_one(self, &rest, deadline, permits).await);
                    return out;
                }
            }
            if pages >= MAX_PAGES {
                let e =
                    SourceError::Garbage(format!("the location list ran past {MAX_PAGES} pages"));
                for id in wanted.into_values() {
                    out.insert(id.clone(), Err(e.clone()));
                }
                return out;
            }
        }
    }
}

#[async_trait]
impl LocationSource for GoogleBusinessProfile {
    super::upstream_source!();

    fn begin_tick(&self) {
        self.codes_stale();
    }

    #[tracing::instrument(skip_all, fields(source = NAME, location = id))]
    async fn location(&self, id: &str, deadline: Instant) -> Result<LocationAnswer, SourceError> {
        if self.config.ids == LocationIds::StoreCode {
            let ids = [id.to_owned()];
            let permits = tokio::sync::Semaphore::new(1);
            let mut answers = self.by_codes(&ids, deadline, &permits).await;
            return answers
                .remove(id)
                .unwrap_or_else(|| Ok(LocationAnswer::unknown()));
        }
        let upstream_id = self.config.upstream_id(id);
        self.get(upstream_id, deadline).await
    }

    /// With an account, the list whenever it costs fewer calls than asking each id: more ids
    /// than the list had pages last time (or, before any listing, more than one). By store
    /// code, through the code map (`codes.rs`).
    async fn locations(
        &self,
        ids: &[String],
        deadline: Instant,
        permits: &tokio::sync::Semaphore,
    ) -> Located {
        if self.config.ids == LocationIds::StoreCode {
            return self.by_codes(ids, deadline, permits).await;
        }
        let pages = self.list_pages.load(Ordering::Relaxed);
        match &self.config.account {
            Some(account) if ids.len() > pages.max(1) => {
                self.listed(account, ids, deadline, permits).await
            }
            _ => super::one_by_one(self, ids, deadline, permits).await,
        }
    }
}

impl GoogleBusinessProfile {
    /// One location by Google's id (`locations/123` or `123`).
    async fn get(
        &self,
        upstream_id: &str,
        deadline: Instant,
    ) -> Result<LocationAnswer, SourceError> {
        let upstream_id = upstream_id
            .strip_prefix("locations/")
            .unwrap_or(upstream_id);
        let base = self.config.base();
        let url = format!("{base}/v1/locations/{}", path_segment(upstream_id));
        let token = self.config.token_value();
        self.upstream
            .location(
                |c| {
                    c.get(&url)
                        .query(&[("readMask", READ_MASK)])
                        .bearer_auth(token)
                },
                deadline,
                |reply| SourceError::Status(reply.status.as_u16()),
                interpret,
            )
            .await
    }
}

#[cfg(test)]
#[path = "google_business_profile_tests.rs"]
mod tests;
