//! A person's data on request: everything stored about an address, for a reviewer to hand over
//! (GDPR article 15), and its erasure (article 17). Each request is logged with who asked and
//! what was found or erased — never the address.
use super::Analysts;
use crate::domain::Reviewer;
use crate::services::ServiceError;
use crate::store::{ErasureReceipt, RecipientData};
use chrono::Utc;

impl Analysts {
    pub async fn recipient_data(
        &self,
        reviewer: &Reviewer,
        address: &str,
    ) -> Result<RecipientData, ServiceError> {
        let data = self.store.recipients.recipient_data(address).await?;
        tracing::info!(
            reviewer = reviewer.name(),
            events = data.events.len(),
            invitations = data.invitations.len(),
            "served a person's data (access request)"
        );
        Ok(data)
    }

    /// Erases the address everywhere and lists it as do-not-contact; the receipt says what
    /// went. `who` names the requester in the log (a reviewer, the CLI, a Shopify webhook).
    pub async fn erase(&self, who: &str, address: &str) -> Result<ErasureReceipt, ServiceError> {
        let receipt = self.store.erasure.erase(address, Utc::now()).await?;
        // Every count of what went, in one field: `Erased { events: 3, invitations: 1, … }`.
        tracing::info!(
            requested_by = who,
            erased = ?receipt.erased,
            anonymised_answers = receipt.anonymised_answers,
            already_erased = receipt.already_erased,
            "erased a person's data (erasure request)"
        );
        Ok(receipt)
    }
}
