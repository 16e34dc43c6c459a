//! Pacing an upstream to its request quota (`requests_per_minute`), as Google asks clients to:
//! evenly, never beyond it. Each source has one `Quota`, consulted before every HTTP request
//! it makes, pages and retries included. Work waits for its slot instead of failing; only a
//! slot that would come after the caller's deadline is refused (`SourceError::Quota`).
//!
//! The pacing is GCRA (a token bucket kept as one "theoretical arrival time"): up to `burst`
//! requests at once after a quiet spell, then one every `60 s / (requests_per_minute − burst
//! + 1)`, so that no rolling minute holds more than `requests_per_minute`. Work for
//! a send that is waiting (a pre-send check, the send-time lookup) goes first: it reserves the
//! next free slot, while background work (a re-check tick) takes a slot only when one is free
//! now and no urgent request is waiting. A 429 pauses the whole source — everyone's work — for
//! its `Retry-After`, or, without one, for a backoff that doubles from 1 s up to 60 s.
//!
//! On PostgreSQL the bucket lives in the database (`SharedQuota`), so every instance takes
//! from the same one and ten instances still stay inside one quota.
use super::error::SourceError;
use crate::domain::spacing::Spacing;
use async_trait::async_trait;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// How much a request's caller is waiting on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Urgency {
    /// A re-check tick: it can wait.
    Background = 0,
    /// A send is waiting (pre-send check, send-time lookup).
    Send = 1,
}

impl Urgency {
    fn from_u8(v: u8) -> Self {
        if v == Urgency::Send as u8 {
            Urgency::Send
        } else {
            Urgency::Background
        }
    }
}

tokio::task_local! {
    /// The urgency of the work the current task does for its callers. Shared, because callers
    /// that join an in-flight call may raise it (a send joining a re-check's call).
    pub static URGENCY: Arc<AtomicU8>;
}

/// A handle on some work's urgency, to run it under (`URGENCY.scope`) and to raise.
pub fn urgency_handle(urgency: Urgency) -> Arc<AtomicU8> {
    Arc::new(AtomicU8::new(urgency as u8))
}

/// The current task's urgency; work outside any scope is a send's.
fn current_urgency() -> Urgency {
    URGENCY
        .try_with(|u| Urgency::from_u8(u.load(Ordering::Relaxed)))
        .unwrap_or(Urgency::Send)
}

/// The database's side of a bucket shared by every instance (milliseconds since the epoch).
#[async_trait]
pub trait SharedQuota: Send + Sync {
    /// Takes the next slot if it is due at `now`: `Ok(None)`; otherwise, how long until it is.
    async fn take(
        &self,
        source: &str,
        now_ms: i64,
        spacing: Spacing,
    ) -> Result<Option<Duration>, String>;

    /// Pauses the source for every instance until `until_ms` (never shortens a pause).
    async fn pause(&self, source: &str, until_ms: i64) -> Result<(), String>;
}

/// The pacing settings of one source.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    pub requests_per_minute: u32,
    pub burst: u32,
}

impl Pace {
    /// The even spacing of requests. A burst of `b` followed by one request every interval
    /// puts `b + ⌈60 s ÷ interval⌉ − 1` requests in the first minute, so the interval is
    /// 60 s ÷ (`requests_per_minute` − `burst` + 1): no rolling minute ever holds more than
    /// `requests_per_minute` requests, however the burst falls. Rounded up to whole
    /// milliseconds (the shared bucket keeps milliseconds), which never shortens it.
    fn interval(&self) -> Duration {
        let rpm = self.requests_per_minute.max(1);
        let per_minute = rpm - self.burst.clamp(1, rpm) + 1;
        Duration::from_millis(60_000u64.div_ceil(u64::from(per_minute)))
    }

    /// How far ahead of its even schedule a request may go (the burst).
    fn tolerance(&self) -> Duration {
        self.interval() * self.burst.max(1).saturating_sub(1)
    }
}

struct Local {
    /// The theoretical arrival time of the next request.
    tat: Instant,
    paused_until: Instant,
    /// The pause after the next 429 without `Retry-After`.
    backoff: Duration,
}

pub struct Quota {
    source: &'static str,
    pace: Option<Pace>,
    local: Mutex<Local>,
    shared: Option<Arc<dyn SharedQuota>>,
    /// Urgent requests waiting for a slot: background work stands aside while there are any.
    urgent_waiting: AtomicUsize,
    /// Time spent waiting for slots (or a pause), for the metrics.
    waited: Box<dyn Fn(Duration) + Send + Sync>,
}

/// The quotas of the sources and platforms built so far, by name: a rebuild (new credentials
/// on `SIGHUP`) paces on from where the last build left off — its slots taken, a 429's pause —
/// instead of granting a fresh burst.
#[derive(Default)]
pub struct Quotas(Mutex<std::collections::HashMap<&'static str, Arc<Quota>>>);

impl Quotas {
    /// The quota kept under `name`, else `make`'s, kept from now on.
    pub fn get_or(&self, name: &str, make: impl FnOnce() -> Quota) -> Arc<Quota> {
        let mut kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(quota) = kept.get(name) {
            return quota.clone();
        }
        let quota = Arc::new(make());
        kept.insert(quota.source, quota.clone());
        quota
    }
}

const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How often background work looks again while it stands aside.
const BACKGROUND_POLL: Duration = Duration::from_millis(20);

impl Quota {
    /// `pace` `None`: no quota to keep (a 429 still pauses the source).
    pub fn new(
        source: &'static str,
        pace: Option<Pace>,
        shared: Option<Arc<dyn SharedQuota>>,
        waited: Box<dyn Fn(Duration) + Send + Sync>,
    ) -> Self {
        let now = Instant::now();
        Self {
            source,
            pace,
            local: Mutex::new(Local {
                tat: now,
                paused_until: now,
                backoff: FIRST_BACKOFF,
            }),
            shared,
            urgent_waiting: AtomicUsize::new(0),
            waited,
        }
    }

    pub fn pace(&self) -> Option<Pace> {
        self.pace
    }

    /// The source (or platform) it paces.
    pub fn name(&self) -> &'static str {
        self.source
    }

    fn local(&self) -> std::sync::MutexGuard<'_, Local> {
        self.local.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for this request's slot; refuses (`SourceError::Quota`) a slot after `deadline`.
    pub async fn take(&self, deadline: Instant) -> Result<(), SourceError> {
        let started = Instant::now();
        let urgency = current_urgency();
        if urgency == Urgency::Send {
            self.urgent_waiting.fetch_add(1, Ordering::SeqCst);
        }
        let result = match (&self.shared, self.pace) {
            (Some(shared), Some(pace)) => self.take_shared(shared, pace, urgency, deadline).await,
            _ if urgency == Urgency::Send => self.take_urgent(deadline).await,
            _ => self.take_background(deadline).await,
        };
        if urgency == Urgency::Send {
            self.urgent_waiting.fetch_sub(1, Ordering::SeqCst);
        }
        let waited = started.elapsed();
        if waited > Duration::from_millis(1) {
            (self.waited)(waited);
        }
        result
    }

    async fn take_urgent(&self, deadline: Instant) -> Result<(), SourceError> {
        loop {
            match self.slot(Some(deadline)) {
                Slot::Now => return Ok(()),
                Slot::Reserved(at) => {
                    tokio::time::sleep_until(at).await;
                    return Ok(());
                }
                Slot::Wait(at) if at > deadline => return Err(self.exhausted()),
                Slot::Wait(at) => tokio::time::sleep_until(at).await,
            }
        }
    }

    async fn take_background(&self, deadline: Instant) -> Result<(), SourceError> {
        loop {
            let next = if self.urgent_waiting.load(Ordering::SeqCst) > 0 {
                Instant::now() + BACKGROUND_POLL
            } else {
                match self.slot(None) {
                    Slot::Now | Slot::Reserved(_) => return Ok(()),
                    Slot::Wait(at) => at,
                }
            };
            if next > deadline {
                return Err(self.exhausted());
            }
            tokio::time::sleep_until(next).await;
        }
    }

    /// The bucket in the database: a slot is taken by one atomic statement, so instances
    /// share it; urgency orders this instance's own waiters.
    async fn take_shared(
        &self,
        shared: &Arc<dyn SharedQuota>,
        pace: Pace,
        urgency: Urgency,
        deadline: Instant,
    ) -> Result<(), SourceError> {
        let spacing = Spacing {
            interval_ms: pace.interval().as_millis() as i64,
            tolerance_ms: pace.tolerance().as_millis() as i64,
        };
        loop {
            let paused = self.local().paused_until;
            let standing_aside =
                urgency == Urgency::Background && self.urgent_waiting.load(Ordering::SeqCst) > 0;
            let next = if paused > Instant::now() {
                paused
            } else if standing_aside {
                Instant::now() + BACKGROUND_POLL
            } else {
                let now_ms = chrono::Utc::now().timestamp_millis();
                match shared.take(self.source, now_ms, spacing).await {
                    Ok(None) => return Ok(()),
                    Ok(Some(wait)) => Instant::now() + wait.max(Duration::from_millis(1)),
                    Err(e) => {
                        // The database is the bucket; without it, pace locally rather than
                        // stop, and say so.
                        tracing::warn!(source = self.source, error = %e, "shared quota unavailable; pacing locally");
                        return self.take_urgent(deadline).await;
                    }
                }
            };
            if next > deadline {
                return Err(self.exhausted());
            }
            tokio::time::sleep_until(next).await;
        }
    }

    fn exhausted(&self) -> SourceError {
        SourceError::Quota(match self.pace {
            Some(p) => format!(
                "{}'s request quota ({} a minute) left no room before the deadline",
                self.source, p.requests_per_minute
            ),
            None => format!(
                "{} asked us to slow down (429) and its pause outlasts the deadline",
                self.source
            ),
        })
    }

    /// Takes a slot now if one is free; with `reserve_until`, books the next free one if it
    /// comes by then. A pause is waited out, never booked.
    fn slot(&self, reserve_until: Option<Instant>) -> Slot {
        let now = Instant::now();
        let mut local = self.local();
        if local.paused_until > now {
            return Slot::Wait(local.paused_until);
        }
        let Some(pace) = self.pace else {
            return Slot::Now;
        };
        let earliest = local.tat.checked_sub(pace.tolerance()).unwrap_or(local.tat);
        if earliest <= now {
            local.tat = local.tat.max(now) + pace.interval();
            return Slot::Now;
        }
        match reserve_until {
            Some(deadline) if earliest <= deadline => {
                local.tat += pace.interval();
                Slot::Reserved(earliest)
            }
            _ => Slot::Wait(earliest),
        }
    }

    /// A 429: pauses the source for `retry_after`, or for the doubling backoff without one.
    pub fn pause(&self, retry_after: Option<Duration>) -> Duration {
        let mut local = self.local();
        let wait = match retry_after {
            Some(wait) => wait.min(MAX_BACKOFF),
            None => {
                let wait = local.backoff;
                local.backoff = (local.backoff * 2).min(MAX_BACKOFF);
                wait
            }
        };
        let until = Instant::now() + wait;
        if until > local.paused_until {
            local.paused_until = until;
        }
        if let Some(shared) = self.shared.clone() {
            // Every instance pauses, not only this one.
            let (source, until_ms) = (
                self.source,
                chrono::Utc::now().timestamp_millis() + wait.as_millis() as i64,
            );
            tokio::spawn(async move {
                if let Err(e) = shared.pause(source, until_ms).await {
                    tracing::warn!(source, error = %e, "cannot record the source's pause for the other instances");
                }
            });
        }
        wait
    }

    /// A request went through: the next 429 without `Retry-After` starts the backoff again.
    pub fn on_success(&self) {
        self.local().backoff = FIRST_BACKOFF;
    }

    /// The shared bucket, if there is one (PostgreSQL).
    pub fn shared(&self) -> Option<&Arc<dyn SharedQuota>> {
        self.shared.as_ref()
    }

    pub fn source(&self) -> &'static str {
        self.source
    }
}

enum Slot {
    Now,
    /// Booked: go at this moment.
    Reserved(Instant),
    /// Nothing free or bookable: look again at this moment.
    Wait(Instant),
}

#[cfg(test)]
#[path = "quota_tests.rs"]
mod tests;
