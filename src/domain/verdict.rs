use super::{Finding, Severity};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// The outcome of a check: `block` if any finding blocks, else `flag` if any finding, else `pass`
/// — findings under an active exemption aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Flag,
    Block,
}

impl Verdict {
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Verdict {
        findings
            .into_iter()
            .filter(|f| f.exemption.is_none())
            .map(|f| match f.severity {
                Severity::Block => Verdict::Block,
                Severity::Flag => Verdict::Flag,
            })
            .max()
            .unwrap_or(Verdict::Pass)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Flag => "flag",
            Verdict::Block => "block",
        }
    }

    /// Process exit status of `promiseguard check` (pinned: 0 pass, 3 flag, 4 block).
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::Pass => 0,
            Verdict::Flag => 3,
            Verdict::Block => 4,
        }
    }
}

impl FromStr for Verdict {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pass" => Ok(Verdict::Pass),
            "flag" => Ok(Verdict::Flag),
            "block" => Ok(Verdict::Block),
            other => Err(format!("unknown verdict `{other}`")),
        }
    }
}
