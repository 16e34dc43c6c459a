//! `POST /v1/conversions/segment`: Segment's webhook destination; Track `Order Completed` is a
//! conversion, every other event is understood and ignored. Verified by `X-Signature` over the
//! raw body with `[conversions.segment] secret`.
use super::{At, Door, Keys, Scheme, Verified, read};
use crate::domain::providers::Parsed;
use crate::domain::providers::orders::{SegmentEvent, SegmentRecipient};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::signatures::segment;
use async_trait::async_trait;

const PATH: &str = "/v1/conversions/segment";

const KEY: &str = "[conversions.segment] secret";

super::door! {
    /// Segment's webhook destination: Track `Order Completed` is a conversion.
    #[utoipa::path(
        post,
        path = "/v1/conversions/segment",
        request_body(content = Object, description = "A Segment event; only Track `Order Completed` is kept", content_type = "application/json"),
        responses(
            (status = 200, description = "Stored, a duplicate, ignored (another event) or quarantined", body = crate::http::schema::EventsRecorded),
            (status = 401, description = "X-Signature missing or wrong", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 403, description = "No secret configured and the caller may not come in without one", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 413, description = "Over the size limit", body = crate::http::error::Problem, content_type = "application/problem+json"),
        )
    )]
    Segment
}

fn parse(state: &AppState, body: &[u8]) -> Parsed {
    let from: Vec<SegmentRecipient> = state
        .config
        .conversions
        .segment
        .recipient_from
        .iter()
        .filter_map(|k| SegmentRecipient::from_key(k))
        .collect();
    read::<SegmentEvent>(body, "")?.parse(&from)
}

#[async_trait(?Send)]
impl Door for Segment {
    fn path(&self) -> &'static str {
        PATH
    }

    fn scheme(&self, keys: &Keys) -> Scheme {
        Scheme::Secret {
            key: KEY,
            configured: keys.segment.is_some(),
        }
    }

    async fn verify(&self, at: &At<'_>, body: &[u8]) -> Result<Verified, ApiError> {
        let by = at.keys.verify_secret(
            at.req,
            body,
            at.keys.segment.as_ref(),
            KEY,
            segment::SIGNATURE_HEADER,
            segment::verify,
        )?;
        Ok(Verified { by, claim: None })
    }

    fn one(&self, state: &AppState, body: &[u8]) -> Option<Parsed> {
        Some(parse(state, body))
    }
}
