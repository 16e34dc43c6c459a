use std::time::Duration;

/// Why an upstream lookup produced no answer. Every variant ends up as an
/// `upstream_unavailable` finding; none of them is the client's fault, so none is a 500.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SourceError {
    #[error("timed out after {} ms", .0.as_millis())]
    Timeout(Duration),
    #[error("the check deadline passed before an answer")]
    Deadline,
    #[error("answered HTTP {0}")]
    Status(u16),
    /// An error status with the upstream's own words for it (Square's `errors[]`).
    #[error("answered HTTP {0}: {1}")]
    Refused(u16, String),
    #[error("connection failed: {0}")]
    Transport(String),
    #[error("answered something unparseable: {0}")]
    Garbage(String),
    #[error("circuit breaker open after repeated failures; not called")]
    CircuitOpen,
    #[error("cannot read the source: {0}")]
    Local(String),
    /// No request slot before the deadline (the source's quota, or its 429 pause).
    #[error("{0}")]
    Quota(String),
}

impl SourceError {
    /// Label for the `upstream_errors_total` metric.
    pub fn kind(&self) -> &'static str {
        match self {
            SourceError::Timeout(_) => "timeout",
            SourceError::Deadline => "deadline",
            SourceError::Status(_) | SourceError::Refused(..) => "status",
            SourceError::Transport(_) => "transport",
            SourceError::Garbage(_) => "garbage",
            SourceError::CircuitOpen => "circuit_open",
            SourceError::Local(_) => "local",
            SourceError::Quota(_) => "quota",
        }
    }
}
