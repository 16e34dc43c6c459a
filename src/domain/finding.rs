use super::{Rule, Severity};
use serde::{Deserialize, Serialize};

/// What a finding is about: a location, a sku at a location, a link of the email, or (all
/// absent) the whole offer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Target {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// A link of the email (`link_broken`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

impl Target {
    pub fn location(location: &str) -> Self {
        Self {
            sku: None,
            location: Some(location.to_owned()),
            link: None,
        }
    }

    pub fn item(sku: &str, location: &str) -> Self {
        Self {
            sku: Some(sku.to_owned()),
            location: Some(location.to_owned()),
            link: None,
        }
    }

    pub fn link(href: &str) -> Self {
        Self {
            link: Some(href.to_owned()),
            ..Self::default()
        }
    }
}

/// One promise that can't (or may not) be kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Finding {
    pub id: String,
    pub offer_id: String,
    #[schema(value_type = String, example = "location_closed")]
    pub rule: Rule,
    #[schema(value_type = String, example = "block")]
    pub severity: Severity,
    pub target: Target,
    pub message: String,
    /// What the upstream said and when.
    #[schema(value_type = Object)]
    pub evidence: serde_json::Value,
    /// The active exemption it is under: reported, but not counted toward the verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exemption: Option<super::exemption::FindingExemption>,
}

impl Finding {
    /// What the finding is about — offer, rule and target — independent of when it was found:
    /// two checks that find the same broken promise give the same fingerprint. A link is
    /// named after the four parts (a finding about no link keeps the fingerprint it always had).
    pub fn fingerprint(&self) -> String {
        let mut fingerprint = format!(
            "{}|{}|{}|{}",
            self.offer_id,
            self.rule.as_str(),
            self.target.sku.as_deref().unwrap_or(""),
            self.target.location.as_deref().unwrap_or("")
        );
        if let Some(link) = &self.target.link {
            fingerprint.push('|');
            fingerprint.push_str(link);
        }
        fingerprint
    }
}
