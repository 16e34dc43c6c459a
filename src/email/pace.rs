//! The relay's pace: every email this process sends — surveys, reminders, alerts — goes through
//! here. With `[email] max_per_second`, a send starts only while fewer than that many others
//! are in flight or finished within the last second, so however the sends overlap, no
//! one-second span at the relay holds more than that many (a message reaches the relay after
//! its send starts and before it finishes). Whatever the pace, a relay's 421 or 451 ("try
//! again later") pauses every send: for 1 s, doubling up to a minute while it keeps saying so.
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

pub struct PacedMailer {
    inner: Arc<dyn Mailer>,
    /// `None`: no pace, only the relay's pauses.
    per_second: Option<usize>,
    window: Mutex<Window>,
}

impl PacedMailer {
    pub fn new(inner: Arc<dyn Mailer>, per_second: Option<u32>) -> Self {
        Self {
            inner,
            per_second: per_second.map(|n| n.max(1) as usize),
            window: Mutex::new(Window {
                in_flight: 0,
                finished: VecDeque::new(),
                paused_until: None,
                next_pause: FIRST_PAUSE,
            }),
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

    fn finish(&self, result: &Result<(), SendError>) {
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
            }
            Ok(()) => w.next_pause = FIRST_PAUSE,
            Err(_) => {}
        }
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
        let result = self.inner.send(message).await;
        self.finish(&result);
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

    #[test]
    fn the_relay_saying_later_is_recognised() {
        assert!(relay_says_later("451 4.3.0 try again later"));
        assert!(relay_says_later(
            "transient error (421): too many connections"
        ));
        assert!(!relay_says_later("connection reset"));
    }
}
