//! A per-source circuit breaker: after `threshold` consecutive failures the source is not
//! called for `cooldown`; then one trial call decides whether it closes again. A breaker that
//! reports (`reporting`) sets its gauge to 1 from opening until a trial closes it again.
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct CircuitBreaker {
    threshold: u32,
    cooldown: Duration,
    state: Mutex<State>,
    /// `promiseguard_breaker_open{source}`.
    gauge: Option<prometheus::IntGauge>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { trial_started: Instant },
}

impl CircuitBreaker {
    pub fn new(threshold: u32, cooldown: Duration) -> Self {
        Self {
            threshold: threshold.max(1),
            cooldown,
            state: Mutex::new(State::Closed { failures: 0 }),
            gauge: None,
        }
    }

    /// The same breaker, saying on `gauge` whether it is open (0 now).
    pub fn reporting(mut self, gauge: prometheus::IntGauge) -> Self {
        gauge.set(0);
        self.gauge = Some(gauge);
        self
    }

    fn report(&self, state: State) {
        if let Some(gauge) = &self.gauge {
            gauge.set(i64::from(!matches!(state, State::Closed { .. })));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A poisoned lock only means another thread panicked mid-update of a Copy value.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// May a call go out now?
    pub fn allow(&self, now: Instant) -> bool {
        let mut state = self.lock();
        match *state {
            State::Closed { .. } => true,
            State::Open { until } if now >= until => {
                *state = State::HalfOpen { trial_started: now };
                true
            }
            State::Open { .. } => false,
            // A trial that never reported back (its future was dropped) must not wedge the
            // breaker: after another cooldown, let a new trial through.
            State::HalfOpen { trial_started } if now >= trial_started + self.cooldown => {
                *state = State::HalfOpen { trial_started: now };
                true
            }
            State::HalfOpen { .. } => false,
        }
    }

    pub fn on_success(&self) {
        let closed = State::Closed { failures: 0 };
        *self.lock() = closed;
        self.report(closed);
    }

    pub fn on_failure(&self, now: Instant) {
        let mut state = self.lock();
        *state = match *state {
            State::Closed { failures } if failures + 1 < self.threshold => State::Closed {
                failures: failures + 1,
            },
            _ => State::Open {
                until: now + self.cooldown,
            },
        };
        self.report(*state);
    }

    pub fn is_open(&self) -> bool {
        matches!(*self.lock(), State::Open { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_threshold_and_recovers_after_a_good_trial() {
        let b = CircuitBreaker::new(3, Duration::from_secs(10));
        let t0 = Instant::now();
        for _ in 0..2 {
            assert!(b.allow(t0));
            b.on_failure(t0);
        }
        assert!(b.allow(t0));
        b.on_failure(t0);
        assert!(!b.allow(t0 + Duration::from_secs(5)), "open fails fast");
        assert!(
            b.allow(t0 + Duration::from_secs(11)),
            "one trial after cooldown"
        );
        assert!(
            !b.allow(t0 + Duration::from_secs(11)),
            "only one trial at a time"
        );
        b.on_success();
        assert!(b.allow(t0 + Duration::from_secs(12)));
    }

    #[test]
    fn a_failed_trial_opens_again() {
        let b = CircuitBreaker::new(1, Duration::from_secs(10));
        let t0 = Instant::now();
        b.on_failure(t0);
        assert!(b.allow(t0 + Duration::from_secs(10)));
        b.on_failure(t0 + Duration::from_secs(10));
        assert!(b.is_open());
        assert!(!b.allow(t0 + Duration::from_secs(15)));
    }

    #[test]
    fn success_resets_the_failure_count() {
        let b = CircuitBreaker::new(2, Duration::from_secs(10));
        let t0 = Instant::now();
        b.on_failure(t0);
        b.on_success();
        b.on_failure(t0);
        assert!(!b.is_open());
    }
}
