//! A person's data on request (GDPR article 15): everything stored about an address, for a
//! reviewer to hand over. Each request is logged with who asked (not the address).
use super::Analysts;
use crate::domain::Reviewer;
use crate::services::ServiceError;
use crate::store::RecipientData;

impl Analysts {
    pub async fn recipient_data(
        &self,
        reviewer: &Reviewer,
        address: &str,
    ) -> Result<RecipientData, ServiceError> {
        let data = self.store.recipient_data(address).await?;
        tracing::info!(
            reviewer = reviewer.name(),
            events = data.events.len(),
            invitations = data.invitations.len(),
            "served a person's data (access request)"
        );
        Ok(data)
    }
}
