use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The pinned rule names (SPEC "Rules").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    LocationClosed,
    LocationClosedDuringWindow,
    LocationClosedWholeWindow,
    LocationUnknown,
    OutOfStock,
    LowStock,
    OfferExpired,
    UpstreamUnavailable,
    /// A link of the email answers 4xx or 5xx (or redirects without end).
    LinkBroken,
}

impl Rule {
    pub const ALL: [Rule; 9] = [
        Rule::LocationClosed,
        Rule::LocationClosedDuringWindow,
        Rule::LocationClosedWholeWindow,
        Rule::LocationUnknown,
        Rule::OutOfStock,
        Rule::LowStock,
        Rule::OfferExpired,
        Rule::UpstreamUnavailable,
        Rule::LinkBroken,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Rule::LocationClosed => "location_closed",
            Rule::LocationClosedDuringWindow => "location_closed_during_window",
            Rule::LocationClosedWholeWindow => "location_closed_whole_window",
            Rule::LocationUnknown => "location_unknown",
            Rule::OutOfStock => "out_of_stock",
            Rule::LowStock => "low_stock",
            Rule::OfferExpired => "offer_expired",
            Rule::UpstreamUnavailable => "upstream_unavailable",
            Rule::LinkBroken => "link_broken",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Rule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rule::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown rule `{s}`"))
    }
}

/// How bad a finding is. `ignore` is a policy action, never a severity: an ignored rule
/// produces no finding at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Flag,
    Block,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Flag => "flag",
            Severity::Block => "block",
        }
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "flag" => Ok(Severity::Flag),
            "block" => Ok(Severity::Block),
            other => Err(format!("unknown severity `{other}`")),
        }
    }
}
