//! The email providers' and stores' own webhooks: Mailgun, Postmark, Customer.io, Braze
//! Currents (events), Shopify `orders/create` and Segment `Order Completed` (conversions).
//! Each is admitted its provider's way (`inbound`), read whole, and never stalls its stream:
//! every event that can be taken is stored, every one that cannot is quarantined (a body that
//! does not parse at all, whole), and the answer is 200 — a refusal is only ever for a caller
//! that is not the provider (401/403) or a body over the size limit (413).
use super::AppState;
use super::error::ApiError;
use super::inbound::{Credential, Keyed};
use crate::domain::FieldError;
use crate::domain::json::{JsonError, from_value_at, parse_json_at};
use crate::domain::providers::braze::{self, BrazeEvent};
use crate::domain::providers::customerio::CustomerioEvent;
use crate::domain::providers::mailgun::MailgunEvent;
use crate::domain::providers::orders::{
    SegmentEvent, SegmentRecipient, ShopifyCampaigns, ShopifyOrder,
};
use crate::domain::providers::postmark::PostmarkEvent;
use crate::domain::providers::{Parsed, Taken};
use crate::services::engagement::Batch;
use crate::services::sns::SnsRefusal;
use crate::signatures::sns::SnsMessage;
use crate::signatures::{customerio, mailgun};
use crate::store::{DeliveryToken, EventsRecorded, NewQuarantined};
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub const MAILGUN: &str = "/v1/events/mailgun";
pub const POSTMARK: &str = "/v1/events/postmark";
pub const CUSTOMERIO: &str = "/v1/events/customerio";
pub const BRAZE: &str = "/v1/events/braze";
pub const SES: &str = "/v1/events/ses";
pub const SHOPIFY_ORDERS: &str = "/v1/conversions/shopify";
pub const SEGMENT: &str = "/v1/conversions/segment";

/// Sorts what one parsed event came to into the batch (`payload` is what a reviewer sees
/// and replays if it is quarantined).
fn sort(batch: &mut Batch, parsed: Parsed, endpoint: &str, payload: String, credential: &str) {
    match parsed {
        Ok(Taken::Event(event)) => batch.events.push(*event),
        Ok(Taken::Ignored) => batch.ignored += 1,
        Err(errors) => batch
            .quarantined
            .push(set_aside(endpoint, payload, &errors, credential)),
    }
}

fn set_aside(
    endpoint: &str,
    payload: String,
    errors: &[FieldError],
    credential: &str,
) -> NewQuarantined {
    NewQuarantined {
        endpoint: endpoint.to_owned(),
        payload,
        reason: errors
            .iter()
            .map(|f| format!("{}: {}", f.pointer, f.detail))
            .collect::<Vec<_>>()
            .join("; "),
        pointer: errors
            .first()
            .map(|f| f.pointer.clone())
            .unwrap_or_default(),
        credential: credential.to_owned(),
    }
}

/// A body's JSON read into `T`, or why not as field errors (a body that is no JSON at all
/// at the pointer "").
fn read<T: DeserializeOwned>(body: &[u8], at: &str) -> Result<T, Vec<FieldError>> {
    parse_json_at(body, at).map_err(field_errors)
}

fn field_errors(e: JsonError) -> Vec<FieldError> {
    match e {
        JsonError::Malformed(detail) => vec![FieldError::new("", detail)],
        JsonError::Invalid(errors) => errors,
    }
}

async fn answer(
    state: &AppState,
    batch: Batch,
    credential: &Credential,
) -> Result<HttpResponse, ApiError> {
    let recorded: EventsRecorded = state
        .engagement
        .record_batch(&batch, credential.as_str())
        .await?;
    Ok(HttpResponse::Ok().json(recorded))
}

fn header<'r>(req: &'r HttpRequest, name: &str) -> Option<&'r str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

async fn body(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<Bytes, ApiError> {
    super::body::read_limited(req, payload, state.config.max_events_body_bytes).await
}

/// Mailgun's webhooks: `{signature: {timestamp, token, signature}, "event-data": {…}}`.
#[utoipa::path(
    post,
    path = "/v1/events/mailgun",
    request_body(content = Object, description = "A Mailgun webhook body; campaign from the custom variable `campaign_id` (or a tag, per [events.mailgun])", content_type = "application/json"),
    responses(
        (status = 200, description = "Stored, a duplicate, or quarantined", body = EventsRecorded),
        (status = 401, description = "Bad, stale or missing signature, a token used before by another event, or a wrong token", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "No credential is configured and the caller may not come in without one", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Over the size limit", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn mailgun(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let admitted = state.event_doors.mailgun(&req)?;
    let body = body(&req, payload, &state).await?;
    // Parsed once: the signature and the event are read from the same value.
    let parsed: Result<Value, serde_json::Error> = serde_json::from_slice(&body);
    let mailgun = &state.config.events.mailgun;
    let (credential, token) = match admitted {
        Keyed::Admitted(credential) => (credential, None),
        Keyed::Verify(key) => {
            let signature = parsed
                .as_ref()
                .ok()
                .and_then(|v| v.get("signature"))
                .and_then(|s| mailgun::MailgunSignature::deserialize(s).ok())
                .ok_or_else(|| {
                    ApiError::Unauthorized(
                        "Mailgun's signature {timestamp, token, signature} is missing from the body"
                            .into(),
                    )
                })?;
            let now = Utc::now();
            mailgun::verify(
                key.expose().as_bytes(),
                &signature,
                now.timestamp(),
                mailgun.max_age_s,
            )
            .map_err(|e| ApiError::Unauthorized(format!("Mailgun signature: {e}")))?;
            let signed_at = signature
                .timestamp
                .trim()
                .parse::<i64>()
                .unwrap_or_default();
            let keep_until = DateTime::from_timestamp(signed_at, 0).unwrap_or(now)
                + chrono::Duration::seconds(mailgun.max_age_s as i64);
            let token = DeliveryToken {
                token: signature.token,
                keep_until,
            };
            (Credential::Signed, Some(token))
        }
    };
    let mut batch = Batch {
        token,
        ..Batch::default()
    };
    let parsed = match parsed {
        Ok(value) => parse_mailgun(value, &state),
        Err(e) => Err(field_errors(JsonError::Malformed(e.to_string()))),
    };
    sort(
        &mut batch,
        parsed,
        MAILGUN,
        lossy(&body),
        credential.as_str(),
    );
    answer(&state, batch, &credential).await
}

/// `event-data` of a Mailgun body already parsed.
fn parse_mailgun(mut body: Value, state: &AppState) -> Parsed {
    let data = body
        .get_mut("event-data")
        .map(Value::take)
        .ok_or_else(|| vec![FieldError::new("/event-data", "is required")])?;
    let event: MailgunEvent = from_value_at(data, "/event-data").map_err(field_errors)?;
    let from = state.config.events.mailgun.campaign_source();
    event.parse("/event-data", &from)
}

fn lossy(body: &[u8]) -> String {
    String::from_utf8_lossy(body).into_owned()
}

/// Postmark's webhooks, one event a POST, told apart by `RecordType`.
#[utoipa::path(
    post,
    path = "/v1/events/postmark",
    request_body(content = Object, description = "A Postmark webhook body (Click, Bounce, SpamComplaint, SubscriptionChange, …)", content_type = "application/json"),
    responses(
        (status = 200, description = "Stored, a duplicate, or quarantined", body = EventsRecorded),
        (status = 401, description = "A token of [events] tokens is required (HTTP Basic in the webhook URL)", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "No credential is configured and the caller may not come in without one", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Over the size limit", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn postmark(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let credential = state.event_doors.token_only(&req)?;
    let body = body(&req, payload, &state).await?;
    let mut batch = Batch::default();
    let parsed = read::<PostmarkEvent>(&body, "").and_then(|e| e.parse(""));
    sort(
        &mut batch,
        parsed,
        POSTMARK,
        lossy(&body),
        credential.as_str(),
    );
    answer(&state, batch, &credential).await
}

/// Customer.io's reporting webhooks, one event a POST.
#[utoipa::path(
    post,
    path = "/v1/events/customerio",
    request_body(content = Object, description = "A Customer.io reporting webhook body", content_type = "application/json"),
    responses(
        (status = 200, description = "Stored, a duplicate, ignored (no address) or quarantined", body = EventsRecorded),
        (status = 401, description = "X-CIO-Signature missing or wrong (never for the timestamp's age)", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "No credential is configured and the caller may not come in without one", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Over the size limit", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn customerio(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let admitted = state.event_doors.customerio(&req)?;
    let body = body(&req, payload, &state).await?;
    let credential = match admitted {
        Keyed::Admitted(credential) => credential,
        Keyed::Verify(secret) => {
            let (Some(timestamp), Some(signature)) = (
                header(&req, customerio::TIMESTAMP_HEADER),
                header(&req, customerio::SIGNATURE_HEADER),
            ) else {
                return Err(ApiError::Unauthorized(
                    "X-CIO-Timestamp and X-CIO-Signature are required".into(),
                ));
            };
            customerio::verify(secret.expose().as_bytes(), timestamp, &body, signature)
                .map_err(ApiError::Unauthorized)?;
            Credential::Signed
        }
    };
    let mut batch = Batch::default();
    let parsed = read::<CustomerioEvent>(&body, "").and_then(|e| e.parse(""));
    sort(
        &mut batch,
        parsed,
        CUSTOMERIO,
        lossy(&body),
        credential.as_str(),
    );
    answer(&state, batch, &credential).await
}

/// Braze Currents (custom HTTP connector): `{"events": [...]}`.
#[utoipa::path(
    post,
    path = "/v1/events/braze",
    request_body(content = Object, description = "A Currents batch `{\"events\": [...]}` (up to 100)", content_type = "application/json"),
    responses(
        (status = 200, description = "Stored; unknown types are stored or ignored, never refused", body = EventsRecorded),
        (status = 401, description = "A bearer token of [events] tokens is required", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "No credential is configured and the caller may not come in without one", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Over the size limit", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn braze(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let credential = state.event_doors.token_only(&req)?;
    let body = body(&req, payload, &state).await?;
    let mut batch = Batch::default();
    let whole: Result<Value, _> = serde_json::from_slice(&body);
    match whole.as_ref().ok().and_then(braze::batch) {
        Some(events) => {
            for (i, event) in events.iter().enumerate() {
                let parsed = BrazeEvent::read(event).parse(&format!("/events/{i}"));
                sort(
                    &mut batch,
                    parsed,
                    BRAZE,
                    event.to_string(),
                    credential.as_str(),
                );
            }
        }
        None => {
            let why = FieldError::new("", "expected a Currents batch {\"events\": [...]}");
            batch
                .quarantined
                .push(set_aside(BRAZE, lossy(&body), &[why], credential.as_str()));
        }
    }
    answer(&state, batch, &credential).await
}

/// Amazon SES events through an SNS topic: the subscription handshake and notifications.
#[utoipa::path(
    post,
    path = "/v1/events/ses",
    request_body(content = Object, description = "An SNS message (SNS posts it as text/plain): SubscriptionConfirmation, or a Notification whose Message is an SES event", content_type = "text/plain"),
    responses(
        (status = 200, description = "Confirmed, stored, a duplicate or quarantined", body = EventsRecorded),
        (status = 400, description = "Not an SNS message", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "The signature, the certificate or its URL is not SNS's", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "No [events.ses] topic_arns, or the topic is not one of them", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Over the size limit", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "SNS's certificate or confirmation URL did not answer (SNS retries)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn ses(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if !state.sns.is_configured() {
        return Err(ApiError::Forbidden(
            "no [events.ses] topic_arns are configured: an SNS signature alone proves only that some topic sent it".into(),
        ));
    }
    let body = body(&req, payload, &state).await?;
    let message: SnsMessage = parse_json_at(&body, "")?;
    state.sns.verify(&message).await.map_err(|e| match e {
        SnsRefusal::Topic(why) => ApiError::Forbidden(why),
        SnsRefusal::Untrusted(why) => ApiError::Unauthorized(format!("SNS signature: {why}")),
        SnsRefusal::Unavailable(why) => ApiError::Unavailable(why),
    })?;
    let credential = Credential::Signed;
    match message.kind.as_str() {
        "SubscriptionConfirmation" => {
            state.sns.confirm(&message).await.map_err(|e| match e {
                SnsRefusal::Untrusted(why) | SnsRefusal::Topic(why) => ApiError::Unauthorized(why),
                SnsRefusal::Unavailable(why) => ApiError::Unavailable(why),
            })?;
            Ok(HttpResponse::Ok().json(serde_json::json!({"confirmed": message.topic_arn})))
        }
        "Notification" => {
            let mut batch = Batch::default();
            match ses_events(&message) {
                Ok(events) if events.is_empty() => batch.ignored += 1,
                Ok(events) => batch.events = events,
                Err(errors) => batch.quarantined.push(set_aside(
                    SES,
                    lossy(&body),
                    &errors,
                    credential.as_str(),
                )),
            }
            answer(&state, batch, &credential).await
        }
        // An unsubscribe confirmation: nothing to do, never fetched.
        _ => {
            tracing::info!(topic = %message.topic_arn, kind = %message.kind, "SNS message acknowledged");
            answer(&state, Batch::default(), &credential).await
        }
    }
}

fn ses_events(
    message: &SnsMessage,
) -> Result<Vec<crate::domain::event::EngagementEvent>, Vec<FieldError>> {
    crate::domain::providers::ses::parse(&message.message_id, &message.message)
}

/// What a quarantined Shopify order keeps besides the order: the shop and delivery id that
/// came in headers.
#[derive(serde::Serialize, serde::Deserialize)]
struct QuarantinedOrder {
    shop: String,
    delivery: Option<String>,
    order: Value,
}

/// Shopify's `orders/create` webhook: a conversion for the order's customer.
#[utoipa::path(
    post,
    path = "/v1/conversions/shopify",
    request_body(content = Object, description = "The order as Shopify sends it (topic orders/create)", content_type = "application/json"),
    responses(
        (status = 200, description = "Stored, a duplicate, ignored (no customer address) or quarantined", body = EventsRecorded),
        (status = 400, description = "X-Shopify-Shop-Domain is missing", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "X-Shopify-Hmac-Sha256 missing or wrong", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "No secret configured and the caller may not come in without one", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Over the size limit", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn shopify_orders(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = super::body::read_limited(&req, payload, state.config.max_body_bytes).await?;
    let credential = state.shopify_door.admit(&req, &body)?;
    let shop = header(&req, "x-shopify-shop-domain")
        .map(|d| d.trim().to_ascii_lowercase())
        .filter(|d| !d.is_empty() && d.len() <= 255)
        .ok_or_else(|| ApiError::BadRequest("X-Shopify-Shop-Domain is missing".into()))?;
    let delivery = header(&req, "x-shopify-event-id")
        .or_else(|| header(&req, "x-shopify-webhook-id"))
        .map(str::to_owned);
    let mut batch = Batch::default();
    let parsed = parse_order(&state, &shop, delivery.as_deref(), &body);
    let kept = match serde_json::from_slice::<Value>(&body) {
        Ok(order) => serde_json::to_string(&QuarantinedOrder {
            shop,
            delivery,
            order,
        })
        .unwrap_or_else(|_| lossy(&body)),
        Err(_) => lossy(&body),
    };
    sort(
        &mut batch,
        parsed,
        SHOPIFY_ORDERS,
        kept,
        credential.as_str(),
    );
    answer(&state, batch, &credential).await
}

fn parse_order(state: &AppState, shop: &str, delivery: Option<&str>, body: &[u8]) -> Parsed {
    let shopify = &state.config.conversions.shopify;
    let campaigns = ShopifyCampaigns {
        note_attribute: shopify.campaign_note_attribute.clone(),
        by_discount_code: shopify.discount_campaigns.clone(),
    };
    read::<ShopifyOrder>(body, "")?.parse(shop, delivery, &campaigns)
}

/// Segment's webhook destination: Track `Order Completed` is a conversion.
#[utoipa::path(
    post,
    path = "/v1/conversions/segment",
    request_body(content = Object, description = "A Segment event; only Track `Order Completed` is kept", content_type = "application/json"),
    responses(
        (status = 200, description = "Stored, a duplicate, ignored (another event) or quarantined", body = EventsRecorded),
        (status = 401, description = "X-Signature missing or wrong", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "No secret configured and the caller may not come in without one", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Over the size limit", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn segment(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = body(&req, payload, &state).await?;
    let credential = state.segment_door.admit(&req, &body)?;
    let mut batch = Batch::default();
    let parsed = parse_segment(&state, &body);
    sort(
        &mut batch,
        parsed,
        SEGMENT,
        lossy(&body),
        credential.as_str(),
    );
    answer(&state, batch, &credential).await
}

fn parse_segment(state: &AppState, body: &[u8]) -> Parsed {
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

/// The events of an entry one of these endpoints quarantined, read as the endpoint reads them
/// (a reviewer's replay: no signature, no one-time token); `None` for another endpoint.
pub(super) fn replay(
    state: &AppState,
    endpoint: &str,
    payload: &[u8],
) -> Option<Result<Vec<crate::domain::event::EngagementEvent>, ApiError>> {
    let parsed = match endpoint {
        MAILGUN => read::<Value>(payload, "").and_then(|v| parse_mailgun(v, state)),
        POSTMARK => read::<PostmarkEvent>(payload, "").and_then(|e| e.parse("")),
        CUSTOMERIO => read::<CustomerioEvent>(payload, "").and_then(|e| e.parse("")),
        BRAZE => read::<Value>(payload, "").and_then(|e| BrazeEvent::read(&e).parse("")),
        SHOPIFY_ORDERS => read::<QuarantinedOrder>(payload, "").and_then(|q| {
            let order = serde_json::to_vec(&q.order).unwrap_or_default();
            parse_order(state, &q.shop, q.delivery.as_deref(), &order)
        }),
        SEGMENT => parse_segment(state, payload),
        SES => {
            return Some(
                read::<SnsMessage>(payload, "")
                    .and_then(|m| ses_events(&m))
                    .map_err(ApiError::Invalid),
            );
        }
        _ => return None,
    };
    Some(match parsed {
        Ok(Taken::Event(event)) => Ok(vec![*event]),
        Ok(Taken::Ignored) => Ok(Vec::new()),
        Err(errors) => Err(ApiError::Invalid(errors)),
    })
}
