//! Shopify's mandatory compliance webhooks, carried out: a customer's data request recorded for
//! reviewers to answer with the access document, a customer's redaction as an erasure, a
//! shop's redaction as the erasure of everything that came from it. Each delivery is done
//! once (a redelivery is recognised by its webhook id and only acknowledged).
use crate::domain::compliance::{ComplianceInput, Topic};
use crate::services::ServiceError;
use crate::store::{ComplianceRecord, ComplianceStore, DataRequestRow, ErasureStore, Store};
use chrono::Utc;
use serde::Serialize;
use serde_json::json;
use std::sync::Arc;

pub struct Compliance {
    store: Arc<dyn ComplianceStore>,
    erasure: Arc<dyn ErasureStore>,
}

/// What a delivery did, as the webhook's answer.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ComplianceAnswer {
    pub topic: String,
    /// Delivered before: acknowledged, nothing done again.
    pub duplicate: bool,
    /// What was done: for a data request, where reviewers read the person's data; for a
    /// redaction, the erasure receipt.
    #[schema(value_type = Object)]
    pub outcome: serde_json::Value,
}

impl Compliance {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store: store.clone(),
            erasure: store,
        }
    }

    pub async fn handle(
        &self,
        delivery: &str,
        topic: Topic,
        input: &ComplianceInput,
    ) -> Result<ComplianceAnswer, ServiceError> {
        let answer = |duplicate, outcome| ComplianceAnswer {
            topic: topic.as_str().to_owned(),
            duplicate,
            outcome,
        };
        if self.store.compliance_seen(delivery).await? {
            tracing::info!(
                topic = topic.as_str(),
                delivery,
                "compliance webhook redelivered; acknowledged"
            );
            return Ok(answer(true, json!(null)));
        }
        let now = Utc::now();
        let email = input.customer_email();
        let (outcome, keep_email) = match topic {
            Topic::CustomersDataRequest => {
                let access = email.as_deref().map(|e| {
                    format!(
                        "/v1/recipients/{}",
                        url::form_urlencoded::byte_serialize(e.as_bytes()).collect::<String>()
                    )
                });
                (
                    json!({"recorded": true, "access": access}),
                    email.as_deref(),
                )
            }
            Topic::CustomersRedact => match &email {
                Some(address) => {
                    let receipt = self.erasure.erase(address, now).await?;
                    (
                        serde_json::to_value(receipt).map_err(anyhow::Error::from)?,
                        None,
                    )
                }
                None => (
                    json!({"erased": null, "why": "the customer has no email address: nothing of theirs is stored"}),
                    None,
                ),
            },
            Topic::ShopRedact => {
                let erased = self.store.erase_shop(&input.shop_domain).await?;
                (
                    serde_json::to_value(erased).map_err(anyhow::Error::from)?,
                    None,
                )
            }
        };
        self.store
            .record_compliance(
                &ComplianceRecord {
                    id: delivery,
                    topic: topic.as_str(),
                    shop_domain: &input.shop_domain,
                    customer_email: keep_email,
                    data_request_id: input.data_request.as_ref().map(|d| d.id.to_string()),
                    orders: input.orders(),
                    outcome: outcome.clone(),
                },
                now,
            )
            .await?;
        // The receipts hold counts only; a data request's outcome names the address: not logged.
        let logged = match topic {
            Topic::CustomersDataRequest => json!("recorded for reviewers"),
            _ => outcome.clone(),
        };
        tracing::info!(
            topic = topic.as_str(),
            shop = %input.shop_domain,
            delivery,
            outcome = %logged,
            "compliance webhook carried out"
        );
        Ok(answer(false, outcome))
    }

    pub async fn data_requests(
        &self,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<DataRequestRow>, ServiceError> {
        Ok(self.store.data_requests(limit, offset).await?)
    }
}
