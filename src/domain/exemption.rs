//! Exemptions: a finding known and accepted for a while (a branch closed for renovation that the
//! promise routes around). While one is active, a finding it covers is still reported, carrying
//! it, but does not count toward the verdict; an override, by contrast, only records a
//! decision. An exemption names a campaign, a location or a sku (a rule alone is a fleet-wide
//! policy change, which belongs in `[policy]`), expires, and may be revoked.
use super::validation::FieldError;
use super::{Finding, Rule};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The longest an exemption that names no campaign may last.
pub const MAX_FLEET_EXEMPTION_DAYS: i64 = 30;

/// Why a finding is accepted: waived for a while, or mitigated elsewhere (Azure Policy's two).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExemptionCategory {
    Waiver,
    Mitigated,
}

impl ExemptionCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            ExemptionCategory::Waiver => "waiver",
            ExemptionCategory::Mitigated => "mitigated",
        }
    }
}

impl std::str::FromStr for ExemptionCategory {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "waiver" => Ok(ExemptionCategory::Waiver),
            "mitigated" => Ok(ExemptionCategory::Mitigated),
            other => Err(format!("`{other}` is not a category: waiver or mitigated")),
        }
    }
}

/// The findings an exemption covers: every part given must match (a part left out matches
/// anything).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExemptionScope {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "location_closed")]
    pub rule: Option<Rule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
}

impl ExemptionScope {
    /// Whether a finding of `campaign_id` is covered.
    pub fn covers(&self, campaign_id: &str, finding: &Finding) -> bool {
        let matches = |part: &Option<String>, value: Option<&str>| {
            part.as_deref().is_none_or(|p| Some(p) == value)
        };
        matches(&self.campaign_id, Some(campaign_id))
            && matches(&self.offer_id, Some(&finding.offer_id))
            && self.rule.is_none_or(|r| r == finding.rule)
            && matches(&self.location, finding.target.location.as_deref())
            && matches(&self.sku, finding.target.sku.as_deref())
    }
}

/// Where an exemption stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExemptionState {
    Active,
    Expired,
    Revoked,
}

impl std::str::FromStr for ExemptionState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "active" => Ok(ExemptionState::Active),
            "expired" => Ok(ExemptionState::Expired),
            "revoked" => Ok(ExemptionState::Revoked),
            other => Err(format!(
                "`{other}` is not a state: active, expired or revoked"
            )),
        }
    }
}

/// An exemption as kept: what it covers, why, until when, and who made (and revoked) it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Exemption {
    pub id: String,
    pub scope: ExemptionScope,
    pub category: ExemptionCategory,
    pub reason: String,
    pub ticket: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Exemption {
    pub fn state(&self, now: DateTime<Utc>) -> ExemptionState {
        if self.revoked_at.is_some() {
            ExemptionState::Revoked
        } else if self.expires_at <= now {
            ExemptionState::Expired
        } else {
            ExemptionState::Active
        }
    }

    /// What a finding it covers carries.
    pub fn mark(&self) -> FindingExemption {
        FindingExemption {
            id: self.id.clone(),
            category: self.category,
            expires_at: self.expires_at,
        }
    }
}

/// The exemption a finding is under, as the finding carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FindingExemption {
    pub id: String,
    pub category: ExemptionCategory,
    pub expires_at: DateTime<Utc>,
}

/// `POST /v1/exemptions`, as received.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExemptionRequest {
    #[serde(default)]
    pub scope: Option<ExemptionScope>,
    /// waiver or mitigated.
    #[serde(default)]
    pub category: Option<String>,
    /// Why the finding may stand for a while.
    #[serde(default)]
    pub reason: Option<String>,
    /// A ticket in the team's own tracker.
    #[serde(default)]
    pub ticket: Option<String>,
    /// RFC 3339, in the future, at most `[analysts] max_exemption_days` ahead (30 days for a
    /// scope without a campaign).
    #[serde(default)]
    pub expires_at: Option<String>,
}

/// An exemption that may be kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewExemption {
    pub scope: ExemptionScope,
    pub category: ExemptionCategory,
    pub reason: String,
    pub ticket: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// Longest reason or ticket kept.
const MAX_TEXT: usize = 2000;

impl ExemptionRequest {
    /// The exemption asked for, at `now` with at most `max_days` ahead; every problem named by
    /// its pointer.
    pub fn validated(
        self,
        now: DateTime<Utc>,
        max_days: i64,
    ) -> Result<NewExemption, Vec<FieldError>> {
        let mut errors = Vec::new();
        let scope = self.scope.unwrap_or_default();
        let names_one = [&scope.campaign_id, &scope.location, &scope.sku]
            .iter()
            .any(|p| p.as_deref().is_some_and(|v| !v.trim().is_empty()));
        if !names_one {
            errors.push(FieldError::new(
                "/scope",
                "name a campaign_id, a location or a sku (a rule for every campaign belongs in [policy])",
            ));
        }
        let category = match self
            .category
            .as_deref()
            .map(str::parse::<ExemptionCategory>)
        {
            Some(Ok(c)) => Some(c),
            Some(Err(e)) => {
                errors.push(FieldError::new("/category", e));
                None
            }
            None => {
                errors.push(FieldError::new(
                    "/category",
                    "required: waiver or mitigated",
                ));
                None
            }
        };
        let reason = text(self.reason, "/reason", true, &mut errors);
        let ticket = text(self.ticket, "/ticket", false, &mut errors);
        let longest = if scope.campaign_id.is_some() {
            max_days
        } else {
            max_days.min(MAX_FLEET_EXEMPTION_DAYS)
        };
        let expires_at = match self.expires_at.as_deref().map(DateTime::parse_from_rfc3339) {
            None => Err("required: when the exemption ends (RFC 3339)".to_owned()),
            Some(Err(e)) => Err(format!("not an RFC 3339 time: {e}")),
            Some(Ok(t)) if t <= now => Err("must be in the future".to_owned()),
            Some(Ok(t)) if t > now + Duration::days(longest) => Err(format!(
                "at most {longest} days ahead{}",
                if scope.campaign_id.is_none() {
                    " for a scope without a campaign_id"
                } else {
                    " ([analysts] max_exemption_days)"
                }
            )),
            Some(Ok(t)) => Ok(t.with_timezone(&Utc)),
        }
        .map_err(|e| errors.push(FieldError::new("/expires_at", e)))
        .ok();
        match (category, reason, expires_at) {
            (Some(category), Some(reason), Some(expires_at)) if errors.is_empty() => {
                Ok(NewExemption {
                    scope,
                    category,
                    reason,
                    ticket,
                    expires_at,
                })
            }
            _ => Err(errors),
        }
    }
}

/// A trimmed text field (none when blank), at most `MAX_TEXT` characters.
fn text(
    value: Option<String>,
    pointer: &str,
    required: bool,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    match &value {
        None if required => errors.push(FieldError::new(pointer, "required")),
        Some(v) if v.chars().count() > MAX_TEXT => errors.push(FieldError::new(
            pointer,
            format!("at most {MAX_TEXT} characters"),
        )),
        _ => {}
    }
    value
}

#[cfg(test)]
#[path = "exemption_tests.rs"]
mod tests;
