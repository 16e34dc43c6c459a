//! The life of anything the service sends on its own (survey emails, alerts): queued, claimed
//! (`sending`, committed before anything is sent), then sent, retried later, failed — or
//! `unknown` when the run that claimed it died mid-send, because it may have gone out and a
//! duplicate is worse than a missing one. One retry policy serves every outbox.
use chrono::{DateTime, Duration, Utc};

/// How an attempt to deliver failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// SMTP 4xx, a dropped or refused connection, a timeout, an HTTP 408/429/5xx: worth trying
    /// again later.
    #[error("temporary failure: {0}")]
    Transient(String),
    /// SMTP 5xx, an HTTP answer that refuses the message: retrying will not change it.
    #[error("permanent failure: {0}")]
    Permanent(String),
}

/// How one attempt ended, as it is recorded.
#[derive(Debug, Clone, PartialEq)]
pub enum SendOutcome {
    Sent,
    /// Try again at `at`.
    Retry {
        at: DateTime<Utc>,
        error: String,
    },
    /// Refused for good, or retries used up.
    Failed {
        error: String,
    },
}

/// What one delivery run of an outbox did (survey emails, reminders, alerts alike).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SendReport {
    pub sent: u64,
    /// Failed for now (an SMTP 4xx, a dropped connection, an HTTP 5xx): due again later.
    pub retrying: u64,
    pub failed: u64,
    /// Left mid-send by an earlier run: now `unknown`, never sent again by itself.
    pub abandoned: u64,
}

impl SendReport {
    /// Counts one attempt by how it ended.
    pub fn count(&mut self, outcome: &SendOutcome) {
        match outcome {
            SendOutcome::Sent => self.sent += 1,
            SendOutcome::Retry { .. } => self.retrying += 1,
            SendOutcome::Failed { .. } => self.failed += 1,
        }
    }

    /// Adds what another part of the same run did.
    pub fn add(&mut self, other: &SendReport) {
        self.sent += other.sent;
        self.retrying += other.retrying;
        self.failed += other.failed;
        self.abandoned += other.abandoned;
    }
}

impl std::fmt::Display for SendReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} sent, {} to retry, {} failed, {} abandoned by an earlier run",
            self.sent, self.retrying, self.failed, self.abandoned
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    Queued,
    Sending,
    Sent,
    Failed,
    Unknown,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Unknown => "unknown",
        }
    }
}

impl std::str::FromStr for DeliveryStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "queued" => Self::Queued,
            "sending" => Self::Sending,
            "sent" => Self::Sent,
            "failed" => Self::Failed,
            "unknown" => Self::Unknown,
            other => return Err(format!("unknown delivery status `{other}`")),
        })
    }
}

/// Waits before each retry of a transient failure (`retry_schedule_s`): the first retry waits
/// the first entry, and so on; when the entries run out, the next transient failure fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(Vec<u64>);

impl RetrySchedule {
    pub fn new(waits_s: Vec<u64>) -> Self {
        Self(waits_s)
    }

    /// How attempt number `attempt` (1 for the first) that ended in `result` at `now` is
    /// recorded.
    pub fn outcome(
        &self,
        attempt: u32,
        result: Result<(), SendError>,
        now: DateTime<Utc>,
    ) -> SendOutcome {
        match result {
            Ok(()) => SendOutcome::Sent,
            Err(SendError::Permanent(error)) => SendOutcome::Failed { error },
            Err(SendError::Transient(error)) => {
                let retry = usize::try_from(attempt.saturating_sub(1)).unwrap_or(usize::MAX);
                match self.0.get(retry) {
                    Some(wait) => SendOutcome::Retry {
                        at: now
                            + Duration::seconds(i64::try_from(*wait).unwrap_or(i64::MAX / 1000)),
                        error,
                    },
                    None => SendOutcome::Failed {
                        error: format!("gave up after {attempt} attempts: {error}"),
                    },
                }
            }
        }
    }
}

/// What one commit of the sending workers carries: how the sends that ended since went, and
/// how many items to claim for the workers waiting (one each).
#[derive(Debug, Clone, Copy)]
pub struct GroupCommit<'a> {
    pub finished: &'a [(String, SendOutcome)],
    pub claims: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_failures_wait_their_turn_then_give_up() {
        let now: DateTime<Utc> = "2026-11-23T12:00:00Z".parse().unwrap();
        let schedule = RetrySchedule::new(vec![60, 300]);
        let transient = || Err(SendError::Transient("451 busy".into()));
        assert_eq!(schedule.outcome(1, Ok(()), now), SendOutcome::Sent);
        assert_eq!(
            schedule.outcome(1, transient(), now),
            SendOutcome::Retry {
                at: now + Duration::seconds(60),
                error: "451 busy".into()
            }
        );
        assert_eq!(
            schedule.outcome(2, transient(), now),
            SendOutcome::Retry {
                at: now + Duration::seconds(300),
                error: "451 busy".into()
            }
        );
        assert_eq!(
            schedule.outcome(3, transient(), now),
            SendOutcome::Failed {
                error: "gave up after 3 attempts: 451 busy".into()
            }
        );
        assert_eq!(
            schedule.outcome(1, Err(SendError::Permanent("550 no".into())), now),
            SendOutcome::Failed {
                error: "550 no".into()
            }
        );
    }

    #[test]
    fn an_attempt_count_of_zero_is_the_first_retry_not_a_panic() {
        // A claim always counts its attempt, but a row written by hand might not.
        let now: DateTime<Utc> = "2026-11-23T12:00:00Z".parse().unwrap();
        let schedule = RetrySchedule::new(vec![30]);
        assert!(matches!(
            schedule.outcome(0, Err(SendError::Transient("x".into())), now),
            SendOutcome::Retry { .. }
        ));
        assert!(matches!(
            RetrySchedule::new(Vec::new()).outcome(1, Err(SendError::Transient("x".into())), now),
            SendOutcome::Failed { .. }
        ));
    }

    #[test]
    fn statuses_round_trip() {
        for s in ["queued", "sending", "sent", "failed", "unknown"] {
            assert_eq!(s.parse::<DeliveryStatus>().unwrap().as_str(), s);
        }
    }
}
