//! What analysts do to findings, and what a later check inherits from it.
use crate::domain::Finding;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Where a finding stands with the analysts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    Open,
    Acknowledged,
    Overridden,
    Resolved,
}

impl ReviewState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Acknowledged => "acknowledged",
            Self::Overridden => "overridden",
            Self::Resolved => "resolved",
        }
    }

    /// The state a later check's finding about the same thing starts in: an acknowledgement
    /// or override still stands; a resolved finding that comes back is open (and new) again.
    pub fn carried_over(self) -> Self {
        match self {
            Self::Acknowledged | Self::Overridden => self,
            Self::Open | Self::Resolved => Self::Open,
        }
    }
}

impl std::str::FromStr for ReviewState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "open" => Self::Open,
            "acknowledged" => Self::Acknowledged,
            "overridden" => Self::Overridden,
            "resolved" => Self::Resolved,
            other => return Err(format!("unknown review state `{other}`")),
        })
    }
}

/// What an analyst does to a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewAction {
    Acknowledge,
    Override,
    Resolve,
}

impl ReviewAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Acknowledge => "acknowledge",
            Self::Override => "override",
            Self::Resolve => "resolve",
        }
    }

    /// The state a finding is in after this review.
    pub fn state(self) -> ReviewState {
        match self {
            Self::Acknowledge => ReviewState::Acknowledged,
            Self::Override => ReviewState::Overridden,
            Self::Resolve => ReviewState::Resolved,
        }
    }
}

impl std::str::FromStr for ReviewAction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "acknowledge" => Self::Acknowledge,
            "override" => Self::Override,
            "resolve" => Self::Resolve,
            other => {
                return Err(format!(
                    "unknown action `{other}` (acknowledge, override or resolve)"
                ));
            }
        })
    }
}

/// How one finding of a new check is stored, next to the campaign's previous check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inherited {
    pub fingerprint: String,
    /// The previous check did not have it, or an analyst had resolved it there.
    pub is_new: bool,
    pub review_state: ReviewState,
}

/// For each finding of a check, what it inherits from the review states of the campaign's
/// previous check (keyed by fingerprint).
pub fn inherit(findings: &[Finding], previous: &HashMap<String, ReviewState>) -> Vec<Inherited> {
    findings
        .iter()
        .map(|f| {
            let fingerprint = f.fingerprint();
            let (is_new, review_state) = match previous.get(&fingerprint) {
                None | Some(ReviewState::Resolved) => (true, ReviewState::Open),
                Some(state) => (false, state.carried_over()),
            };
            Inherited {
                fingerprint,
                is_new,
                review_state,
            }
        })
        .collect()
}

/// One analyst's decision about a finding: what, why, and who.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision<'a> {
    pub action: ReviewAction,
    pub note: Option<&'a str>,
    pub reviewer: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Rule, Severity, Target};

    fn finding(location: &str) -> Finding {
        Finding {
            id: format!("f-{location}"),
            offer_id: "o".into(),
            rule: Rule::LocationClosed,
            severity: Severity::Block,
            target: Target::location(location),
            message: String::new(),
            evidence: serde_json::Value::Null,
            exemption: None,
        }
    }

    #[test]
    fn reviews_carry_over_until_resolved_and_new_findings_start_open() {
        let [a, b, c, d] = ["a", "b", "c", "d"].map(finding);
        let previous = HashMap::from([
            (a.fingerprint(), ReviewState::Overridden),
            (b.fingerprint(), ReviewState::Resolved),
            (c.fingerprint(), ReviewState::Open),
        ]);
        let got: Vec<(bool, ReviewState)> = inherit(&[a, b, c, d], &previous)
            .into_iter()
            .map(|i| (i.is_new, i.review_state))
            .collect();
        assert_eq!(
            got,
            [
                (false, ReviewState::Overridden),
                (true, ReviewState::Open),
                (false, ReviewState::Open),
                (true, ReviewState::Open),
            ]
        );
    }

    #[test]
    fn names_round_trip() {
        for s in ["open", "acknowledged", "overridden", "resolved"] {
            assert_eq!(s.parse::<ReviewState>().unwrap().as_str(), s);
        }
        for a in ["acknowledge", "override", "resolve"] {
            assert_eq!(a.parse::<ReviewAction>().unwrap().as_str(), a);
        }
        assert!("approve".parse::<ReviewAction>().is_err());
    }
}
