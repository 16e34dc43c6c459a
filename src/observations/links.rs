//! The links' answers, kept like every observation: one shelf under every consumer — pre-send
//! checks, manual and live re-checks — each answer good for `[promises] link_max_age_s`
//! whoever asks, so a fleet re-check does not fetch every link of every campaign every tick,
//! and one fetch for concurrent checks of one URL (single flight). A link that did not answer
//! is not kept: the next check asks again.
use super::shelf::{Fetched, Served, Shelf, Want};
use crate::domain::link::LinkAnswer;
use crate::sources::links::LinkFetcher;
use crate::sources::quota::Urgency;
use futures::FutureExt;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Links kept at once (bounded memory).
const CAPACITY: u64 = 100_000;

pub struct Links {
    fetcher: Arc<LinkFetcher>,
    shelf: Arc<Shelf<String, LinkAnswer>>,
    max_age: Duration,
}

impl Links {
    /// Answers are kept `max_age` for every consumer.
    pub fn new(fetcher: LinkFetcher, max_age: Duration) -> Self {
        Self {
            fetcher: Arc::new(fetcher),
            shelf: Arc::new(Shelf::new(max_age, CAPACITY)),
            max_age,
        }
    }

    /// What each link of a listed host answered (others are not asked, and not in the
    /// answer), by `deadline`, at most `concurrency` fetches at once.
    pub async fn answers(
        &self,
        hrefs: impl IntoIterator<Item = &str>,
        deadline: Instant,
        urgency: Urgency,
        concurrency: usize,
    ) -> HashMap<String, Served<LinkAnswer>> {
        let mut seen = HashSet::new();
        let asked: Vec<String> = hrefs
            .into_iter()
            .filter(|h| seen.insert(*h) && self.fetcher.takes(h))
            .map(str::to_owned)
            .collect();
        if asked.is_empty() {
            return HashMap::new();
        }
        let want = Want {
            max_age: self.max_age,
            stale_for: Duration::ZERO,
            deadline,
            fetch_until: deadline,
            urgency,
            permits: Arc::new(tokio::sync::Semaphore::new(concurrency.max(1))),
        };
        // A flight per link: a link that never answers holds up no other.
        let answers = futures::future::join_all(asked.into_iter().map(|href| {
            let (fetcher, permits) = (self.fetcher.clone(), want.permits.clone());
            let fetch = move |keys: Vec<String>| {
                async move {
                    // The semaphore is never closed: acquiring only waits.
                    let _permit = permits.acquire().await;
                    let mut answers = Fetched::new();
                    for href in keys {
                        let answer = fetcher.fetch(&href, deadline).await;
                        answers.insert(href, answer);
                    }
                    Ok(answers)
                }
                .boxed()
            };
            let want = &want;
            async move { self.shelf.get(&[href], want, fetch).await.0 }
        }))
        .await;
        answers.into_iter().flatten().collect()
    }
}
