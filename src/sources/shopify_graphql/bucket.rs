//! Shopify's cost-based throttle, as the client sees it: a leaky bucket of points
//! (`throttleStatus.maximumAvailable`, restored at `restoreRate` a second) that every query's
//! requested cost must fit in before it runs. Every answer says where the bucket stands
//! (`currentlyAvailable`, after the query was charged and refunded its unused points), so the
//! model is re-read from each one; until the first, a Standard shop's figures are assumed.
//! One query is in flight at a time per source — the bucket, not the round trip, bounds the
//! throughput (a 1,000-point query is ten seconds of a Standard shop's restore) — so what an
//! answer says is never blurred by another query's charge.
use serde::Deserialize;
use tokio::sync::{Mutex, MutexGuard};
use tokio::time::{Duration, Instant};

/// A Standard shop: 2,000 points, 100 restored a second.
pub const STANDARD_MAXIMUM: f64 = 2000.0;
pub const STANDARD_RESTORE: f64 = 100.0;

/// `extensions.cost.throttleStatus`.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ThrottleStatus {
    pub maximum_available: f64,
    pub currently_available: f64,
    pub restore_rate: f64,
}

#[derive(Debug)]
pub struct Level {
    /// Points available at `at`.
    available: f64,
    maximum: f64,
    restore_rate: f64,
    at: Instant,
}

impl Level {
    /// The points available at `now`.
    fn now(&self, now: Instant) -> f64 {
        let restored = now.saturating_duration_since(self.at).as_secs_f64() * self.restore_rate;
        (self.available + restored).min(self.maximum)
    }

    /// How long until `cost` points are available (zero when they are).
    pub fn wait_for(&self, cost: f64, now: Instant) -> Duration {
        let missing = cost.min(self.maximum) - self.now(now);
        if missing <= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(missing / self.restore_rate.max(1.0))
        }
    }

    /// What an answer said of the bucket, as of when it arrived.
    pub fn observe(&mut self, status: &ThrottleStatus, now: Instant) {
        self.maximum = status.maximum_available;
        self.restore_rate = status.restore_rate;
        self.available = status.currently_available;
        self.at = now;
    }

    /// A `THROTTLED` answer that said nothing of the bucket: taken as empty now.
    pub fn drain(&mut self, now: Instant) {
        self.available = 0.0;
        self.at = now;
    }

    /// How many points are available now, for the logs.
    pub fn available(&self, now: Instant) -> f64 {
        self.now(now)
    }
}

pub struct CostBucket {
    level: Mutex<Level>,
}

impl CostBucket {
    pub fn standard() -> Self {
        Self {
            level: Mutex::new(Level {
                available: STANDARD_MAXIMUM,
                maximum: STANDARD_MAXIMUM,
                restore_rate: STANDARD_RESTORE,
                at: Instant::now(),
            }),
        }
    }

    /// The turn to query: held while one query is asked and its answer read. `None` when the
    /// deadline passes first.
    pub async fn turn(&self, deadline: Instant) -> Option<MutexGuard<'_, Level>> {
        tokio::time::timeout_at(deadline, self.level.lock())
            .await
            .ok()
    }

    /// The restore rate last read, for budgets.
    pub fn restore_rate(&self) -> f64 {
        self.level
            .try_lock()
            .map_or(STANDARD_RESTORE, |l| l.restore_rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_query_waits_for_its_points_as_the_last_answer_left_them() {
        let bucket = CostBucket::standard();
        let mut level = bucket
            .turn(Instant::now() + Duration::from_secs(1))
            .await
            .unwrap();
        assert_eq!(level.wait_for(900.0, Instant::now()), Duration::ZERO);
        level.observe(
            &ThrottleStatus {
                maximum_available: 2000.0,
                currently_available: 300.0,
                restore_rate: 100.0,
            },
            Instant::now(),
        );
        // 600 points missing at 100 a second.
        assert_eq!(
            level.wait_for(900.0, Instant::now()),
            Duration::from_secs(6)
        );
        tokio::time::advance(Duration::from_secs(4)).await;
        assert_eq!(
            level.wait_for(900.0, Instant::now()),
            Duration::from_secs(2)
        );
        // Never more than the bucket holds.
        tokio::time::advance(Duration::from_secs(60)).await;
        assert_eq!(level.available(Instant::now()), 2000.0);
        // A second turn waits for the first to end.
        assert!(
            bucket
                .turn(Instant::now() + Duration::from_millis(10))
                .await
                .is_none()
        );
        drop(level);
        assert!(
            bucket
                .turn(Instant::now() + Duration::from_millis(10))
                .await
                .is_some()
        );
    }
}
