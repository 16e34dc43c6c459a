//! Exemptions made, listed and revoked (`domain::exemption`); each change logged with who.
use super::Analysts;
use crate::domain::exemption::{Exemption, ExemptionRequest, ExemptionState};
use crate::domain::{FieldError, Reviewer};
use crate::services::ServiceError;
use chrono::Utc;
use serde::Serialize;

/// `{exemption: …}`: one exemption as answered.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExemptionAnswer {
    pub exemption: Exemption,
}

/// `{exemptions: […]}`: those ending soonest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExemptionList {
    pub exemptions: Vec<Exemption>,
}

impl Analysts {
    /// Keeps a new exemption; every refusal named by its pointer, nothing kept.
    pub async fn create_exemption(
        &self,
        reviewer: &Reviewer,
        request: ExemptionRequest,
    ) -> Result<ExemptionAnswer, ServiceError> {
        let now = crate::clock::record_time();
        let new = request
            .validated(now, self.max_exemption_days)
            .map_err(ServiceError::Invalid)?;
        let exemption = self
            .store
            .exemptions
            .create_exemption(&new, reviewer.name(), now)
            .await?;
        tracing::info!(exemption = %exemption.id, analyst = %reviewer.name(), category = exemption.category.as_str(), expires_at = %exemption.expires_at, "exemption made");
        Ok(ExemptionAnswer { exemption })
    }

    /// Every exemption in `state` at `now` (all when none), those ending soonest first.
    pub async fn exemptions(&self, state: Option<&str>) -> Result<ExemptionList, ServiceError> {
        let state = state
            .map(str::parse::<ExemptionState>)
            .transpose()
            .map_err(|e| ServiceError::BadParams(vec![FieldError::new("/state", e)]))?;
        let now = Utc::now();
        let exemptions = self
            .store
            .exemptions
            .exemptions()
            .await?
            .into_iter()
            .filter(|e| state.is_none_or(|s| e.state(now) == s))
            .collect();
        Ok(ExemptionList { exemptions })
    }

    /// Revokes an exemption: from the next check, what it covered counts again.
    pub async fn revoke_exemption(
        &self,
        reviewer: &Reviewer,
        id: &str,
    ) -> Result<ExemptionAnswer, ServiceError> {
        let exemption = self
            .store
            .exemptions
            .revoke_exemption(id, reviewer.name(), crate::clock::record_time())
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no exemption `{id}`")))?;
        tracing::info!(exemption = %id, analyst = %reviewer.name(), "exemption revoked");
        Ok(ExemptionAnswer { exemption })
    }
}
