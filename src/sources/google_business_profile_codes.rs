//! Locations named by the retailer's store code (`[sources.locations] ids = "store_code"`).
//! Google has no get-by-storeCode; the account's list gives every location's `storeCode`, so
//! the list is read into a code → location map: once a re-check tick (which answers its
//! codes from that same list), and again on a code the map does not hold — at most once a
//! minute, so a typo in a campaign cannot make every check read the whole list. Between
//! listings a code is asked by its location's id. A code no location has is unknown; a code
//! two locations share is judged as the first (by id) and says so as a warning.
use super::location::{Location, interpret};
use super::{GoogleBusinessProfile, MAX_PAGES};
use crate::sources::{Located, LocationAnswer, SourceError};
use std::collections::HashMap;
use tokio::sync::Semaphore;
use tokio::time::{Duration, Instant};

/// How soon a code the map does not hold may make the list be read again.
const UNKNOWN_REFRESH: Duration = Duration::from_secs(60);

/// Each code's locations (Google's ids without `locations/`, in order), as the list last said.
#[derive(Default)]
pub(super) struct CodeMap {
    by_code: HashMap<String, Vec<String>>,
    read_at: Option<Instant>,
    /// A tick began since the list was last read.
    stale: bool,
}

impl CodeMap {
    /// Whether asking for `codes` now reads the list.
    fn must_read(&self, codes: &[String], now: Instant) -> bool {
        let Some(read_at) = self.read_at else {
            return true;
        };
        let unknown = codes.iter().any(|c| !self.by_code.contains_key(c));
        self.stale || (unknown && now.duration_since(read_at) >= UNKNOWN_REFRESH)
    }
}

impl GoogleBusinessProfile {
    pub(super) fn codes_stale(&self) {
        self.codes.lock().unwrap_or_else(|e| e.into_inner()).stale = true;
    }

    /// Answers for store codes: from the list when it must be read, else each by its id.
    pub(super) async fn by_codes(
        &self,
        codes: &[String],
        deadline: Instant,
        permits: &Semaphore,
    ) -> Located {
        let Some(account) = self.config.account.as_deref() else {
            // The configuration refuses store codes without an account.
            let e = SourceError::Local("store codes need [sources.locations] account".into());
            return codes.iter().map(|c| (c.clone(), Err(e.clone()))).collect();
        };
        let now = Instant::now();
        let known = {
            let map = self.codes.lock().unwrap_or_else(|e| e.into_inner());
            (!map.must_read(codes, now)).then(|| map.by_code.clone())
        };
        let Some(known) = known else {
            return match self.whole_list(account, deadline).await {
                Ok(locations) => self.answer_from_list(codes, locations, now),
                Err(e) => codes.iter().map(|c| (c.clone(), Err(e.clone()))).collect(),
            };
        };
        let asked = codes.iter().map(|code| {
            let ids = known.get(code).cloned();
            async move {
                let Some(ids) = ids else {
                    return (code.clone(), Ok(LocationAnswer::unknown()));
                };
                // The semaphore is never closed: acquiring only waits.
                let _permit = permits.acquire().await;
                let answer = self.get(&ids[0], deadline).await;
                (code.clone(), answer.map(|a| coded(a, code, &ids)))
            }
        });
        futures::future::join_all(asked).await.into_iter().collect()
    }

    /// Every location of the account, all pages.
    async fn whole_list(
        &self,
        account: &str,
        deadline: Instant,
    ) -> Result<Vec<Location>, SourceError> {
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = self.page(account, token.as_deref(), deadline).await?;
            all.extend(page.locations);
            token = page.next_page_token.filter(|t| !t.is_empty());
            if token.is_none() {
                return Ok(all);
            }
        }
        self.upstream.note_garbage();
        Err(SourceError::Garbage(format!(
            "the location list ran past {MAX_PAGES} pages"
        )))
    }

    /// Keeps the list's codes as the map, and answers `codes` from it.
    fn answer_from_list(&self, codes: &[String], list: Vec<Location>, now: Instant) -> Located {
        let mut listed: HashMap<String, Vec<(String, Location)>> = HashMap::new();
        for location in list {
            let (Some(name), Some(code)) = (location.name.clone(), location.store_code.clone())
            else {
                continue;
            };
            let id = name.strip_prefix("locations/").unwrap_or(&name).to_owned();
            listed.entry(code).or_default().push((id, location));
        }
        for locations in listed.values_mut() {
            locations.sort_by(|a, b| a.0.cmp(&b.0));
        }
        {
            let mut map = self.codes.lock().unwrap_or_else(|e| e.into_inner());
            map.by_code = listed
                .iter()
                .map(|(code, l)| (code.clone(), l.iter().map(|(id, _)| id.clone()).collect()))
                .collect();
            map.read_at = Some(now);
            map.stale = false;
        }
        codes
            .iter()
            .map(|code| {
                let answer = match listed.remove(code) {
                    None => Ok(LocationAnswer::unknown()),
                    Some(mut locations) => {
                        let ids: Vec<String> = locations.iter().map(|(id, _)| id.clone()).collect();
                        let (_, first) = locations.swap_remove(0);
                        interpret(first)
                            .inspect_err(|_| self.upstream.note_garbage())
                            .map(|a| coded(a, code, &ids))
                    }
                };
                (code.clone(), answer)
            })
            .collect()
    }
}

/// The answer for `code`, judged as `ids[0]`: Google's id beside it, and a warning when the
/// code names more than one location.
fn coded(mut answer: LocationAnswer, code: &str, ids: &[String]) -> LocationAnswer {
    answer.source_id = Some(format!("locations/{}", ids[0]));
    if ids.len() > 1 {
        let all: Vec<String> = ids.iter().map(|id| format!("locations/{id}")).collect();
        answer.notes.push(format!(
            "store code {code} is used by {}; judged as locations/{}",
            all.join(" and "),
            ids[0]
        ));
    }
    answer
}
