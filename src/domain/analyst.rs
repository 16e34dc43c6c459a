//! Who reads and who may change what analysts see.
use serde::Deserialize;

/// Viewers read; reviewers also review findings and re-check campaigns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Reviewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Reviewer => "reviewer",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "reviewer" => Ok(Role::Reviewer),
            other => Err(format!("unknown role `{other}`")),
        }
    }
}

/// An analyst who has been let in (by token, session, or loopback).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Analyst {
    pub name: String,
    pub role: Role,
}

/// An analyst known to be a reviewer: what every command that changes a campaign takes, so the
/// role is checked exactly once, where the command comes in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reviewer(Analyst);

/// A viewer asked to do what only a reviewer may.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name} is a viewer: only a reviewer may {what}")]
pub struct NotAReviewer {
    pub name: String,
    pub what: String,
}

impl Analyst {
    /// The analyst as a reviewer, if they are one; `what` names the command for the refusal.
    pub fn reviewer(&self, what: &str) -> Result<Reviewer, NotAReviewer> {
        match self.role {
            Role::Reviewer => Ok(Reviewer(self.clone())),
            Role::Viewer => Err(NotAReviewer {
                name: self.name.clone(),
                what: what.to_owned(),
            }),
        }
    }
}

impl Reviewer {
    pub fn name(&self) -> &str {
        &self.0.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_reviewer_becomes_one() {
        let dana = Analyst {
            name: "dana".into(),
            role: Role::Reviewer,
        };
        assert_eq!(dana.reviewer("review").unwrap().name(), "dana");
        let vic = Analyst {
            name: "vic".into(),
            role: Role::Viewer,
        };
        let refused = vic.reviewer("review findings").unwrap_err();
        assert_eq!(
            refused.to_string(),
            "vic is a viewer: only a reviewer may review findings"
        );
    }
}
