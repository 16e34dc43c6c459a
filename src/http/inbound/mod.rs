//! The inbound doors: every endpoint a provider, a store or a platform posts to. Each door is
//! one module behind one trait, [`Door`] — its route, how it admits a caller before the body
//! is read, how it verifies a signature over the raw body, what it makes of the body, and how
//! a quarantined payload of its is read again — and every door is a row of one table,
//! [`DOORS`], which routing, `/openapi.json`, the log at start and quarantine replay all read.
//!
//! Every request goes the same way ([`receive`]): admitted (a token, the rule for a door with no
//! credential, or "verify the body"), the body read under the door's size limit, the signature
//! verified over the raw bytes, the body taken, what it brought stored. Adding a provider is
//! its module, one row, its fixtures and its tests.
mod braze;
pub mod credentials;
mod customerio;
mod mailgun;
mod postmark;
mod reader;
mod segment;
mod sendgrid;
mod ses;
mod shopify_compliance;
mod shopify_inventory;
mod shopify_orders;
mod standard;

pub use credentials::{Credentials, DeliveredBy, Keys, Scheme, log_at_start};

use super::AppState;
use super::error::ApiError;
use crate::config::Config;
use crate::domain::FieldError;
use crate::domain::event::EngagementEvent;
use crate::domain::json::JsonError;
use crate::domain::providers::{Parsed, Taken};
use crate::http::schema::EventsRecorded;
use crate::services::engagement::Batch;
use crate::store::{DeliveryToken, NewQuarantined};
use actix_web::web::{Bytes, Payload};
use actix_web::{HttpRequest, HttpResponse, web};
use async_trait::async_trait;

/// What a door decides before the body is read.
pub enum Admission {
    /// Admitted by a token, or by the rule for a door with no credential configured.
    By(DeliveredBy),
    /// To be verified over the body once it is read ([`Door::verify`]).
    Verify,
}

/// A verified request: who delivered it, and what the storing transaction must commit with what
/// it brought (Mailgun's one-time token, so a replayed delivery is refused).
pub struct Verified {
    pub by: DeliveredBy,
    pub claim: Option<DeliveryToken>,
}

impl Verified {
    pub fn signed() -> Self {
        Verified {
            by: DeliveredBy::Signed,
            claim: None,
        }
    }
}

/// A request's body as a door takes it.
pub enum Body {
    /// Read whole (and verified, if the door asked).
    Whole(Bytes),
    /// Not read yet: a door that splits its body as it streams in ([`Door::streams`]) and was
    /// admitted without a signature to check. Its declared length is within the door's limit;
    /// the door counts what it reads against the same limit.
    Stream(Payload),
}

/// What a door made of a body.
pub enum Received {
    /// Events to store and entries to quarantine: stored, and answered with what was recorded.
    Batch(Batch),
    /// An answer of the door's own (SNS's subscription handshake, Shopify's compliance topics).
    Answer(HttpResponse),
}

/// One request at a door: the service's state, the keys in force, the request's head.
pub struct At<'a> {
    pub state: &'a AppState,
    pub keys: &'a Keys,
    pub req: &'a HttpRequest,
}

/// A replayed payload's events (`None`: the door quarantines nothing).
pub type Replayed = Option<Result<Vec<EngagementEvent>, ApiError>>;

/// One inbound door. The methods run in this order for every request: [`admit`](Door::admit)
/// (nothing read yet; a refusal reads nothing), the body read under
/// [`body_limit`](Door::body_limit), [`verify`](Door::verify) when the admission asked for it,
/// [`take`](Door::take); what it took is stored by the pipeline. A door that takes one event a
/// request says only how it reads one ([`one`](Door::one)); `take` and `replay` follow.
#[async_trait(?Send)]
pub trait Door: Sync {
    /// The route (`POST`).
    fn path(&self) -> &'static str;

    /// How the door is guarded with these keys: what `admit` and the log at start read.
    fn scheme(&self, keys: &Keys) -> Scheme;

    /// Admits a request before its body is read, by its headers.
    fn admit(&self, at: &At<'_>) -> Result<Admission, ApiError> {
        at.keys.admit(at.req, &self.scheme(at.keys))
    }

    /// The most bytes of body taken.
    fn body_limit(&self, config: &Config) -> usize {
        config.max_events_body_bytes
    }

    /// Whether the body is split as it streams in when no signature is to be checked.
    fn streams(&self, _req: &HttpRequest) -> bool {
        false
    }

    /// Verifies the raw body's signature (the admission said [`Admission::Verify`]). A door
    /// whose provider signs nothing admits tokens only and never asks.
    async fn verify(&self, _at: &At<'_>, _body: &[u8]) -> Result<Verified, ApiError> {
        Err(ApiError::Unauthorized(
            "this door checks no signature: it admits a token of [events] tokens".into(),
        ))
    }

    /// The one event of a body, for a door that takes one event a request.
    fn one(&self, _state: &AppState, _body: &[u8]) -> Option<Parsed> {
        None
    }

    /// What the body brings; `by` is stored with it. By default the door's [`one`](Door::one)
    /// event: stored, ignored, or quarantined with the body as it came.
    async fn take(&self, at: &At<'_>, body: Body, by: &DeliveredBy) -> Result<Received, ApiError> {
        let body = whole(body)?;
        let parsed = self
            .one(at.state, &body)
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("{} takes no body", self.path())))?;
        let mut batch = Batch::default();
        sort(&mut batch, parsed, self.path(), lossy(&body), by);
        Ok(Received::Batch(batch))
    }

    /// The events of a payload this door quarantined, read as the door reads them — a
    /// reviewer's replay: no signature, no one-time token; all or nothing, so a replay that is
    /// still wrong says where. By default the door's [`one`](Door::one) event.
    fn replay(&self, state: &AppState, payload: &[u8]) -> Replayed {
        self.one(state, payload).map(one_event)
    }

    /// Lines for the log at start saying how the door is guarded, and whether it is.
    fn describe(&self, keys: &Keys) -> Vec<(String, bool)> {
        vec![keys.describe(self.path(), &self.scheme(keys))]
    }
}

/// A door module's skeleton: its unit type, `DOOR`, and `handle`, the documented handler that
/// hands every request to [`receive`] (the attributes given are its OpenAPI operation's).
macro_rules! door {
    ($(#[$attr:meta])* $name:ident) => {
        pub struct $name;

        pub const DOOR: $name = $name;

        $(#[$attr])*
        pub async fn handle(
            req: actix_web::HttpRequest,
            payload: actix_web::web::Payload,
            state: actix_web::web::Data<crate::http::AppState>,
        ) -> Result<actix_web::HttpResponse, crate::http::error::ApiError> {
            super::receive(&DOOR, req, payload, state).await
        }
    };
}
use door;

/// Every inbound door: a row each. Routing, `/openapi.json`, the log at start and quarantine
/// replay read this table and nothing else. Each module holds its door (`DOOR`) and its
/// documented handler (`handle`, which calls [`receive`]).
macro_rules! doors {
    ($($module:ident),* $(,)?) => {
        /// The doors, in the order they are routed and documented.
        pub const DOORS: &[&dyn Door] = &[$(&$module::DOOR),*];

        /// Registers each door's route.
        pub fn routes(r: &mut super::Routes) {
            $(r.add(actix_web::http::Method::POST, $module::DOOR.path(), $module::handle);)*
        }

        /// Adds each door's documented operation to `/openapi.json`.
        pub fn document(paths: &mut utoipa::openapi::path::Paths) {
            use utoipa::Path;
            $(paths.add_path_operation(
                $module::__path_handle::path(),
                $module::__path_handle::methods(),
                $module::__path_handle::operation(),
            );)*
        }
    };
}

doors!(
    standard,
    sendgrid,
    mailgun,
    postmark,
    customerio,
    braze,
    ses,
    shopify_orders,
    segment,
    shopify_compliance,
    shopify_inventory,
);

/// The door at `path`, if there is one.
pub fn by_path(path: &str) -> Option<&'static dyn Door> {
    DOORS.iter().copied().find(|d| d.path() == path)
}

/// How each door is guarded with `keys`, for the log at start.
pub fn describe(keys: &Keys) -> Vec<(String, bool)> {
    DOORS.iter().flat_map(|d| d.describe(keys)).collect()
}

/// One request through `door`: admitted, read, verified, taken, stored.
pub async fn receive(
    door: &dyn Door,
    req: HttpRequest,
    payload: Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    state.limits.check(super::limits::Door::Events, &req)?;
    let keys = state.credentials.current();
    let at = At {
        state: &state,
        keys: &keys,
        req: &req,
    };
    let admission = door.admit(&at)?;
    let limit = door.body_limit(&state.config);
    let (body, verified) = match admission {
        Admission::By(by) if door.streams(&req) => {
            // A declared length over the limit is refused before anything is read.
            super::body::refuse_declared_over(&req, limit)?;
            (Body::Stream(payload), Verified { by, claim: None })
        }
        admission => {
            let body = super::body::read_limited(&req, payload, limit).await?;
            let verified = match admission {
                Admission::By(by) => Verified { by, claim: None },
                Admission::Verify => door.verify(&at, &body).await?,
            };
            (Body::Whole(body), verified)
        }
    };
    match door.take(&at, body, &verified.by).await? {
        Received::Answer(answer) => Ok(answer),
        Received::Batch(mut batch) => {
            batch.token = verified.claim;
            let recorded = state
                .engagement
                .record_batch(&mut batch, verified.by.as_str())
                .await?;
            Ok(HttpResponse::Ok().json(EventsRecorded::from(recorded)))
        }
    }
}

/// Sorts what one parsed event came to into the batch (`payload` is what a reviewer sees
/// and replays if it is quarantined).
fn sort(batch: &mut Batch, parsed: Parsed, endpoint: &str, payload: String, by: &DeliveredBy) {
    match parsed {
        Ok(Taken::Event(event)) => batch.events.push(*event),
        Ok(Taken::Ignored) => batch.ignored += 1,
        Err(errors) => batch
            .quarantined
            .push(set_aside(endpoint, payload, &errors, by)),
    }
}

/// A quarantine entry: the payload, and why it was set aside (every field error, the first
/// one's pointer).
fn set_aside(
    endpoint: &str,
    payload: String,
    errors: &[FieldError],
    by: &DeliveredBy,
) -> NewQuarantined {
    let pointer = errors
        .first()
        .map(|f| f.pointer.clone())
        .unwrap_or_default();
    set_aside_why(endpoint, payload, reason(errors), pointer, by)
}

/// A quarantine entry, the reason and the pointer given.
fn set_aside_why(
    endpoint: &str,
    payload: String,
    reason: String,
    pointer: String,
    by: &DeliveredBy,
) -> NewQuarantined {
    NewQuarantined {
        endpoint: endpoint.to_owned(),
        payload,
        reason,
        pointer,
        credential: by.as_str().to_owned(),
    }
}

/// Field errors as one reason: `pointer: detail; …`.
fn reason(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|f| format!("{}: {}", f.pointer, f.detail))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A body's JSON read into `T`, or why not as field errors (a body that is no JSON at all
/// at the pointer "").
fn read<T: serde::de::DeserializeOwned>(body: &[u8], at: &str) -> Result<T, Vec<FieldError>> {
    crate::domain::json::parse_json_at(body, at).map_err(field_errors)
}

fn field_errors(e: JsonError) -> Vec<FieldError> {
    match e {
        JsonError::Malformed(detail) => vec![FieldError::new("", detail)],
        JsonError::Invalid(errors) => errors,
    }
}

/// A replayed payload of a door that takes one event a request.
fn one_event(parsed: Parsed) -> Result<Vec<EngagementEvent>, ApiError> {
    match parsed {
        Ok(Taken::Event(event)) => Ok(vec![*event]),
        Ok(Taken::Ignored) => Ok(Vec::new()),
        Err(errors) => Err(ApiError::Invalid(errors)),
    }
}

/// The body of a door that reads it whole.
fn whole(body: Body) -> Result<Bytes, ApiError> {
    match body {
        Body::Whole(bytes) => Ok(bytes),
        Body::Stream(_) => Err(ApiError::Internal(anyhow::anyhow!(
            "a door that reads its body whole was handed a stream"
        ))),
    }
}

use super::request::header;

fn lossy(body: &[u8]) -> String {
    String::from_utf8_lossy(body).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_door_has_a_path_of_its_own_under_v1() {
        let mut paths: Vec<&str> = DOORS.iter().map(|d| d.path()).collect();
        assert!(paths.iter().all(|p| p.starts_with("/v1/")), "{paths:?}");
        paths.sort_unstable();
        let before = paths.len();
        paths.dedup();
        assert_eq!(paths.len(), before, "two doors share a path");
        assert!(by_path("/v1/events/mailgun").is_some());
        assert!(by_path("/v1/presend").is_none());
    }
}
