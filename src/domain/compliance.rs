//! Shopify's mandatory compliance webhooks, as Shopify sends them: the topic (the
//! `X-Shopify-Topic` header) and the body.
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// A customer asked the shop for their data: record it, and let reviewers hand over the
    /// access document.
    CustomersDataRequest,
    /// Erase a customer.
    CustomersRedact,
    /// The shop uninstalled the app 48 hours ago: erase everything that came from it.
    ShopRedact,
}

impl Topic {
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::CustomersDataRequest => "customers/data_request",
            Topic::CustomersRedact => "customers/redact",
            Topic::ShopRedact => "shop/redact",
        }
    }
}

impl std::str::FromStr for Topic {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [
            Topic::CustomersDataRequest,
            Topic::CustomersRedact,
            Topic::ShopRedact,
        ]
        .into_iter()
        .find(|t| t.as_str() == s.trim())
        .ok_or_else(|| {
            format!("unknown topic `{s}`: expected customers/data_request, customers/redact or shop/redact")
        })
    }
}

/// The body of every compliance topic (fields a topic does not have are absent).
#[derive(Debug, Clone, Deserialize)]
pub struct ComplianceInput {
    #[serde(default)]
    pub shop_id: Option<u64>,
    pub shop_domain: String,
    #[serde(default)]
    pub customer: Option<ShopifyCustomer>,
    /// `customers/data_request`.
    #[serde(default)]
    pub orders_requested: Option<Vec<u64>>,
    /// `customers/redact`.
    #[serde(default)]
    pub orders_to_redact: Option<Vec<u64>>,
    #[serde(default)]
    pub data_request: Option<DataRequest>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ShopifyCustomer {
    #[serde(default)]
    pub id: Option<u64>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DataRequest {
    pub id: u64,
}

impl ComplianceInput {
    /// The customer's address, normalised; `None` when the customer has none (a customer known
    /// by phone only).
    pub fn customer_email(&self) -> Option<String> {
        self.customer
            .as_ref()
            .and_then(|c| c.email.as_deref())
            .and_then(super::event::normalize_address)
    }

    /// The orders the topic names, for the record.
    pub fn orders(&self) -> &[u64] {
        self.orders_requested
            .as_deref()
            .or(self.orders_to_redact.as_deref())
            .unwrap_or_default()
    }
}
