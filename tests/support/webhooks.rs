//! Standard Webhooks deliveries signed by the reference library (`standardwebhooks`), not ours.

/// The three headers of a delivery of `body` with id `id`, signed now with `key` (`whsec_…`).
pub fn reference_signed(key: &str, id: &str, body: &[u8]) -> Vec<(&'static str, String)> {
    let now = chrono::Utc::now().timestamp();
    let signature = standardwebhooks::Webhook::new(key)
        .unwrap()
        .sign(id, now, body)
        .unwrap();
    vec![
        ("webhook-id", id.to_owned()),
        ("webhook-timestamp", now.to_string()),
        ("webhook-signature", signature),
    ]
}
