//! The relay's pace: every email this process sends — surveys, reminders, alerts — goes through
//! here. With `[email] max_per_second`, a send starts only while fewer than that many others
//! are in flight or finished within the last second, so however the sends overlap, no
//! one-second span at the relay holds more than that many (a message reaches the relay after
//! its send starts and before it finishes). Whatever the pace, a relay's 421 or 451 ("try
//! again later") pauses every send: for 1 s, doubling up to a minute while it keeps saying so.
//!
//! Several instances on one database share the pace through a `SharedPace` (the quota bucket
//! in the database): each send also takes the relay's next slot there — one every
//! `1.05 / max_per_second` seconds, the margin for the time a message takes to reach the relay
//! after its slot — and a relay's pause holds for every instance.
use super::Mailer;
use crate::domain::SendError;
use async_trait::async_trait;
use lettre::Message;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

const SPAN: Duration = Duration::from_secs(1);
const FIRST_PAUSE: Duration = Duration::from_secs(1);
const MAX_PAUSE: Duration = Duration::from_secs(60);

struct Window {
    in_flight: usize,
    /// When the sends of the last second finished, oldest first.
    finished: VecDeque<Instant>,
    paused_until: Option<Instant>,
    next_pause: Duration,
}

/// The relay's pace shared by every instance (on PostgreSQL, a quota bucket in the database).
#[async_trait]
pub trait SharedPace: Send + Sync {
    /// Takes the relay's next send slot: `None`, or how long until it is due.
    async fn take(&self) -> Result<Option<Duration>, String>;

    /// Holds every instance's sends for `pause` (never shortens a pause already set).
    async fn pause(&self, pause: Duration) -> Result<(), String>;
}

pub struct PacedMailer {
    inner: Arc<dyn Mailer>,
    /// `None`: no pace, only the relay's pauses.
    per_second: Option<usize>,
    window: Mutex<Window>,
    shared: Option<Arc<dyn SharedPace>>,
}

/// The spacing of the shared slots at `per_second`: a little wider than even, so a message
/// that reaches the relay a moment after its slot does not crowd the next second.
pub fn shared_interval(per_second: u32) -> Duration {
    Duration::from_micros((1_050_000 / u64::from(per_second.max(1))).max(1))
}

impl PacedMailer {
    pub fn new(inner: Arc<dyn Mailer>, per_second: Option<u32>) -> Self {
        Self {
            inner,
            shared: None,
            per_second: per_second.map(|n| n.max(1) as usize),
            window: Mutex::new(Window {
                in_flight: 0,
                finished: VecDeque::new(),
                paused_until: None,
                next_pause: FIRST_PAUSE,
            }),
        }
    }

    /// The pace shared with other instances too (only while `max_per_second` is set).
    pub fn shared(mut self, shared: Arc<dyn SharedPace>) -> Self {
        if self.per_second.is_some() {
            self.shared = Some(shared);
        }
        self
    }

    /// Waits for the shared bucket's next slot. The database failing to answer does not stop
    /// mail: this instance's own pace still holds.
    async fn take_shared_slot(&self) {
        let Some(shared) = &self.shared else { return };
        loop {
            match shared.take().await {
                Ok(None) => return,
                Ok(Some(wait)) => tokio::time::sleep(wait).await,
                Err(error) => {
                    tracing::warn!(%error, "the shared relay pace did not answer; this instance's own pace holds");
                    return;
                }
            }
        }
    }

    fn window(&self) -> std::sync::MutexGuard<'_, Window> {
        self.window.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a turn, or says how long to wait before asking again.
    fn try_start(&self, now: Instant) -> Option<Duration> {
        let mut w = self.window();
        if let Some(until) = w.paused_until.filter(|u| *u > now) {
            return Some(until - now);
        }
        let Some(per_second) = self.per_second else {
            w.in_flight += 1;
            return None;
        };
        while w
            .finished
            .front()
            .is_some_and(|t| now.duration_since(*t) >= SPAN)
        {
            w.finished.pop_front();
        }
        if w.in_flight + w.finished.len() < per_second {
            w.in_flight += 1;
            return None;
        }
        // Full: the oldest finish leaves the window first (or, all in flight, a moment later).
        Some(
            w.finished
                .front()
                .map_or(Duration::from_millis(5), |t| SPAN - now.duration_since(*t)),
        )
    }

    /// Records a send's end; returns the pause the relay asked for, if it did.
    fn finish(&self, result: &Result<(), SendError>) -> Option<Duration> {
        let now = Instant::now();
        let mut w = self.window();
        w.in_flight -= 1;
        if self.per_second.is_some() {
            w.finished.push_back(now);
        }
        match result {
            Err(SendError::Transient(reason)) if relay_says_later(reason) => {
                let pause = w.next_pause;
                w.paused_until = Some(now + pause);
                w.next_pause = (pause * 2).min(MAX_PAUSE);
                tracing::warn!(
                    pause_s = pause.as_secs(),
                    "the relay asked us to slow down; sending pauses"
                );
                return Some(pause);
            }
            Ok(()) => w.next_pause = FIRST_PAUSE,
            Err(_) => {}
        }
        None
    }
}

/// A 421 (service not available) or 451 (local error, try later) from the relay.
fn relay_says_later(reason: &str) -> bool {
    let reason = reason.trim_start();
    reason.contains("421") || reason.contains("451")
}

#[async_trait]
impl Mailer for PacedMailer {
    async fn send(&self, message: Message) -> Result<(), SendError> {
        while let Some(wait) = self.try_start(Instant::now()) {
            tokio::time::sleep(wait).await;
        }
        self.take_shared_slot().await;
        let result = self.inner.send(message).await;
        if let (Some(pause), Some(shared)) = (self.finish(&result), &self.shared)
            && let Err(error) = shared.pause(pause).await
        {
            tracing::warn!(%error, "the relay's pause could not be shared");
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Sent(Mutex<Vec<Instant>>, Duration);

    #[async_trait]
    impl Mailer for Sent {
        async fn send(&self, _message: Message) -> Result<(), SendError> {
            tokio::time::sleep(self.1).await;
            self.0.lock().unwrap().push(Instant::now());
            Ok(())
        }
    }

    fn message() -> Message {
        Message::builder()
            .from("a@example.com".parse().unwrap())
            .to("b@example.com".parse().unwrap())
            .body(String::from("x"))
            .unwrap()
    }

    /// 40 sends, 8 at once, at 5 a second: no one-second span holds more than 5 arrivals.
    #[tokio::test(start_paused = true)]
    async fn no_second_holds_more_than_the_pace() {
        let sent = Arc::new(Sent(Mutex::new(Vec::new()), Duration::from_millis(30)));
        let paced = Arc::new(PacedMailer::new(sent.clone(), Some(5)));
        let started = Instant::now();
        let sends: Vec<_> = (0..40)
            .map(|_| {
                let p = paced.clone();
                tokio::spawn(async move { p.send(message()).await })
            })
            .collect();
        for s in sends {
            s.await.unwrap().unwrap();
        }
        let at = sent.0.lock().unwrap().clone();
        assert_eq!(at.len(), 40);
        for (i, t) in at.iter().enumerate() {
            let within = at[i..]
                .iter()
                .filter(|u| u.duration_since(*t) < SPAN)
                .count();
            assert!(within <= 5, "{within} in the second from send {i}");
        }
        // And it keeps the pace rather than crawling: 40 at 5 a second is about 8 s.
        assert!(
            started.elapsed() < Duration::from_secs(9),
            "{:?}",
            started.elapsed()
        );
    }

    /// A bucket that makes the first send wait and records the pauses it is told of.
    #[derive(Default)]
    struct Bucket {
        asked: Mutex<u32>,
        pauses: Mutex<Vec<Duration>>,
    }

    #[async_trait]
    impl SharedPace for Bucket {
        async fn take(&self) -> Result<Option<Duration>, String> {
            let mut asked = self.asked.lock().unwrap();
            *asked += 1;
            Ok((*asked == 1).then_some(Duration::from_millis(300)))
        }

        async fn pause(&self, pause: Duration) -> Result<(), String> {
            self.pauses.lock().unwrap().push(pause);
            Ok(())
        }
    }

    struct Busy;

    #[async_trait]
    impl Mailer for Busy {
        async fn send(&self, _message: Message) -> Result<(), SendError> {
            Err(SendError::Transient("421 4.7.0 too many messages".into()))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_send_waits_for_the_shared_slot_and_shares_the_relays_pause() {
        let bucket = Arc::new(Bucket::default());
        let paced = PacedMailer::new(Arc::new(Busy), Some(5)).shared(bucket.clone());
        let started = Instant::now();
        assert!(paced.send(message()).await.is_err());
        assert!(
            started.elapsed() >= Duration::from_millis(300),
            "waited for its slot"
        );
        assert_eq!(*bucket.asked.lock().unwrap(), 2);
        assert_eq!(*bucket.pauses.lock().unwrap(), vec![FIRST_PAUSE]);
        // Without a pace, nothing is shared: one instance's relay pauses are its own.
        let unpaced = PacedMailer::new(Arc::new(Busy), None).shared(bucket.clone());
        assert!(unpaced.send(message()).await.is_err());
        assert_eq!(*bucket.asked.lock().unwrap(), 2);
        assert_eq!(shared_interval(5), Duration::from_millis(210));
    }

    #[test]
    fn the_relay_saying_later_is_recognised() {
        assert!(relay_says_later("451 4.3.0 try again later"));
        assert!(relay_says_later(
            "transient error (421): too many connections"
        ));
        assert!(!relay_says_later("connection reset"));
    }
}
