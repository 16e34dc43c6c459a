//! `POST /v1/events/postmark`: Postmark's webhooks, one event a POST, told apart by
//! `RecordType`. Postmark signs nothing, so a token of `[events] tokens` (Basic in the
//! webhook's URL) admits it.
use super::{Door, Keys, Scheme, read};
use crate::domain::providers::Parsed;
use crate::domain::providers::postmark::PostmarkEvent;
use crate::http::AppState;
use async_trait::async_trait;

const PATH: &str = "/v1/events/postmark";

super::door! {
    /// Postmark's webhooks, one event a POST, told apart by `RecordType`.
    #[utoipa::path(
        post,
        path = "/v1/events/postmark",
        request_body(content = Object, description = "A Postmark webhook body (Click, Bounce, SpamComplaint, SubscriptionChange, …)", content_type = "application/json"),
        responses(
            (status = 200, description = "Stored, a duplicate, or quarantined", body = crate::http::schema::EventsRecorded),
            (status = 401, description = "A token of [events] tokens is required (HTTP Basic in the webhook URL)", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 403, description = "No credential is configured and the caller may not come in without one", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 413, description = "Over the size limit", body = crate::http::error::Problem, content_type = "application/problem+json"),
        )
    )]
    Postmark
}

#[async_trait(?Send)]
impl Door for Postmark {
    fn path(&self) -> &'static str {
        PATH
    }

    fn scheme(&self, _keys: &Keys) -> Scheme {
        Scheme::TokensOnly
    }

    fn one(&self, _state: &AppState, body: &[u8]) -> Option<Parsed> {
        Some(read::<PostmarkEvent>(body, "").and_then(|e| e.parse("")))
    }
}
