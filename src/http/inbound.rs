//! Who may use the doors that are not the analysts': the event doors (`POST /v1/events`,
//! `POST /v1/events/sendgrid`) and the send-time lookup. Worked out once at start from the
//! configuration, then asked per request.
//!
//! An event door with a credential configured admits a request that presents one: a token of
//! `[events] tokens` (Bearer, or the password of HTTP Basic), or a valid signature — Standard
//! Webhooks on `/v1/events`, SendGrid's on `/v1/events/sendgrid` — checked over the raw body.
//! A door with none answers callers on loopback only, and only when the service itself listens
//! on loopback (the embedded default); listening on a public address it is closed (403) unless
//! `[events] allow_unauthenticated = true`. Behind a reverse proxy on the same host every
//! caller comes from loopback, so there credentials are the only protection.
use super::error::ApiError;
use crate::config::{Config, InboundToken, Secret};
use crate::signatures::sendgrid::{SIGNATURE_HEADER, SendgridVerifier, TIMESTAMP_HEADER};
use crate::signatures::{BodyVerifier, SigningKey, VerificationKey, segment, shopify, tokens};
use actix_web::HttpRequest;
use actix_web::http::header::AUTHORIZATION;
use chrono::Utc;

/// What delivered a request's events, as stored with them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A token of `[events] tokens`, by name.
    Token(String),
    /// A valid signature over the body.
    Signed,
    /// A door with no credential configured.
    Unauthenticated,
}

impl Credential {
    pub fn as_str(&self) -> &str {
        match self {
            Credential::Token(name) => name,
            Credential::Signed => "signed",
            Credential::Unauthenticated => "unauthenticated",
        }
    }
}

/// Whether a request may come in, or may once its body proves to be what was signed.
pub enum Admission<'a> {
    Admitted(Credential),
    IfSigned(Box<dyn BodyVerifier + 'a>),
}

/// A door whose signature can only be checked with the whole body in hand (Mailgun's is
/// inside it; Customer.io's covers it and two headers): admitted by a token, or by the key
/// the handler verifies with once it has read the body.
pub enum Keyed<'a> {
    Admitted(Credential),
    Verify(&'a Secret),
}

/// What a door with no credential configured does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WithoutCredentials {
    /// The service listens on loopback: callers on loopback come in.
    LoopbackOnly,
    /// `allow_unauthenticated = true`: anyone comes in.
    Open,
    /// A public listen address and no opt-in: nobody comes in.
    Closed,
}

impl WithoutCredentials {
    fn of(config: &Config) -> Self {
        if config.events.allow_unauthenticated {
            WithoutCredentials::Open
        } else if config.listen.ip().is_loopback() {
            WithoutCredentials::LoopbackOnly
        } else {
            WithoutCredentials::Closed
        }
    }
}

pub struct EventDoors {
    tokens: Vec<InboundToken>,
    signing: Option<SigningKey>,
    sendgrid: Vec<VerificationKey>,
    sendgrid_max_age_s: u64,
    mailgun: Option<Secret>,
    customerio: Option<Secret>,
    without: WithoutCredentials,
}

impl EventDoors {
    pub fn new(config: &Config) -> Self {
        let events = &config.events;
        let without = WithoutCredentials::of(config);
        Self {
            tokens: events.tokens.clone(),
            signing: events.signing_secret.clone(),
            sendgrid: events.sendgrid.keys(),
            sendgrid_max_age_s: events.sendgrid.max_age_s,
            mailgun: events.mailgun.signing_key.clone(),
            customerio: events.customerio.signing_secret.clone(),
            without,
        }
    }

    /// One line per door saying how it is guarded, for the log at start.
    pub fn describe(&self) -> Vec<(String, bool)> {
        let signed = |door: &'static str, by: Option<String>| (door, by);
        [
            signed(
                "POST /v1/events",
                self.signing
                    .as_ref()
                    .map(|_| "Standard Webhooks signatures".into()),
            ),
            signed(
                "POST /v1/events/sendgrid",
                (!self.sendgrid.is_empty())
                    .then(|| format!("SendGrid signatures ({} key(s))", self.sendgrid.len())),
            ),
            signed(
                "POST /v1/events/mailgun",
                self.mailgun.as_ref().map(|_| "Mailgun signatures".into()),
            ),
            signed(
                "POST /v1/events/customerio",
                self.customerio
                    .as_ref()
                    .map(|_| "Customer.io signatures".into()),
            ),
            signed("POST /v1/events/postmark", None),
            signed("POST /v1/events/braze", None),
        ]
        .into_iter()
        .map(|(door, signature)| {
            let tokens =
                (!self.tokens.is_empty()).then(|| format!("{} token(s)", self.tokens.len()));
            let guards: Vec<String> = tokens.into_iter().chain(signature).collect();
            guard_line(
                door,
                &guards,
                self.without,
                "[events] tokens or a signing key",
            )
        })
        .collect()
    }

    /// `POST /v1/events`: a token, or a Standard Webhooks signature.
    pub fn generic<'a>(&'a self, req: &HttpRequest) -> Result<Admission<'a>, ApiError> {
        if let Some(admitted) = self.token_or_none(req, self.signing.is_some())? {
            return Ok(Admission::Admitted(admitted));
        }
        let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
        match (&self.signing, header("webhook-signature")) {
            (Some(key), Some(_)) => key
                .start(
                    header("webhook-id"),
                    header("webhook-timestamp"),
                    header("webhook-signature"),
                    Utc::now().timestamp(),
                )
                .map(|delivery| Admission::IfSigned(Box::new(delivery)))
                .map_err(|e| ApiError::Unauthorized(format!("events signature: {e}"))),
            _ => Err(self.refused("a Standard Webhooks signature")),
        }
    }

    /// `POST /v1/events/sendgrid`: a token (Basic in the webhook's URL), or SendGrid's
    /// signature.
    pub fn sendgrid<'a>(&'a self, req: &HttpRequest) -> Result<Admission<'a>, ApiError> {
        if let Some(admitted) = self.token_or_none(req, !self.sendgrid.is_empty())? {
            return Ok(Admission::Admitted(admitted));
        }
        let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
        if self.sendgrid.is_empty() || header(SIGNATURE_HEADER).is_none() {
            return Err(self.refused("SendGrid's signature"));
        }
        SendgridVerifier::start(
            &self.sendgrid,
            header(TIMESTAMP_HEADER),
            header(SIGNATURE_HEADER),
            Utc::now().timestamp(),
            self.sendgrid_max_age_s,
        )
        .map(|v| Admission::IfSigned(Box::new(v)))
        .map_err(|e| ApiError::Unauthorized(format!("SendGrid signature: {e}")))
    }

    /// `POST /v1/events/mailgun`: a token (Basic in the webhook's URL), or Mailgun's signature
    /// in the body.
    pub fn mailgun(&self, req: &HttpRequest) -> Result<Keyed<'_>, ApiError> {
        self.keyed(req, self.mailgun.as_ref(), "Mailgun's signature")
    }

    /// `POST /v1/events/customerio`: a token, or Customer.io's `X-CIO-Signature`.
    pub fn customerio(&self, req: &HttpRequest) -> Result<Keyed<'_>, ApiError> {
        self.keyed(
            req,
            self.customerio.as_ref(),
            "Customer.io's X-CIO-Signature",
        )
    }

    /// `POST /v1/events/postmark`, `POST /v1/events/braze`: the providers sign nothing, so a
    /// token of `[events] tokens` (Basic in Postmark's webhook URL, Braze's bearer token).
    pub fn token_only(&self, req: &HttpRequest) -> Result<Credential, ApiError> {
        self.token_or_none(req, false)?.ok_or_else(|| {
            ApiError::Unauthorized(
                "this door needs a token of [events] tokens (Bearer, or the password of HTTP Basic)"
                    .into(),
            )
        })
    }

    fn keyed<'a>(
        &'a self,
        req: &HttpRequest,
        key: Option<&'a Secret>,
        signature: &str,
    ) -> Result<Keyed<'a>, ApiError> {
        if let Some(admitted) = self.token_or_none(req, key.is_some())? {
            return Ok(Keyed::Admitted(admitted));
        }
        key.map(Keyed::Verify)
            .ok_or_else(|| self.refused(signature))
    }

    /// Admitted by a matching token, or by the policy of a door with no credential; `None`
    /// when the door wants a signature instead (`signed` says whether it takes one).
    fn token_or_none(
        &self,
        req: &HttpRequest,
        signed: bool,
    ) -> Result<Option<Credential>, ApiError> {
        if self.tokens.is_empty() && !signed {
            return without_credentials(self.without, req, "[events] tokens (or a signing key)")
                .map(Some);
        }
        let authorization = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let holder = tokens::presented(authorization).and_then(|presented| {
            let configured = self
                .tokens
                .iter()
                .map(|t| (t.name.as_str(), t.token.expose()));
            tokens::holder(configured, &presented).map(str::to_owned)
        });
        Ok(holder.map(Credential::Token))
    }

    fn refused(&self, signature: &str) -> ApiError {
        let mut ways = Vec::new();
        if !self.tokens.is_empty() {
            ways.push("a token of [events] tokens (Bearer, or the password of HTTP Basic)");
        }
        let signature = format!("{signature} over the body");
        ways.push(&signature);
        ApiError::Unauthorized(format!("events need {}", ways.join(", or ")))
    }
}

/// The policy of a door with no credential configured, for a request; `key` names what to
/// configure.
fn without_credentials(
    without: WithoutCredentials,
    req: &HttpRequest,
    key: &str,
) -> Result<Credential, ApiError> {
    let on_loopback = req.peer_addr().is_some_and(|a| a.ip().is_loopback());
    match without {
        WithoutCredentials::Open => Ok(Credential::Unauthenticated),
        WithoutCredentials::LoopbackOnly if on_loopback => Ok(Credential::Unauthenticated),
        WithoutCredentials::LoopbackOnly => Err(ApiError::Forbidden(format!(
            "no credentials are configured for this door ({key}), so it answers only on loopback"
        ))),
        WithoutCredentials::Closed => Err(ApiError::Forbidden(format!(
            "no credentials are configured for this door and the service listens on a public address: configure {key}, or set [events] allow_unauthenticated = true"
        ))),
    }
}

/// How a door is guarded, as a line for the log at start, and whether it is.
fn guard_line(
    door: &str,
    guards: &[String],
    without: WithoutCredentials,
    key: &str,
) -> (String, bool) {
    match (guards.is_empty(), without) {
        (false, _) => (format!("{door}: admits {}", guards.join(" or ")), true),
        (true, WithoutCredentials::LoopbackOnly) => (
            format!("{door}: no credentials configured; answers callers on loopback only"),
            false,
        ),
        (true, WithoutCredentials::Open) => (
            format!(
                "{door}: no credentials configured and allow_unauthenticated = true: anyone who can reach it may post"
            ),
            false,
        ),
        (true, WithoutCredentials::Closed) => (
            format!(
                "{door}: no credentials configured and listening on a public address: closed (403) until {key} is set, or allow_unauthenticated = true"
            ),
            false,
        ),
    }
}

/// Checks a signature header over a body with a secret: `(secret, body, header)`.
type BodySignature = fn(&[u8], &[u8], &str) -> Result<(), String>;

/// A door signed with one shared secret over the raw body: Shopify's (`X-Shopify-Hmac-Sha256`,
/// keyed with `[conversions.shopify] secret`: the compliance webhooks and `orders/create`) and
/// Segment's (`X-Signature`, `[conversions.segment] secret`). A bad or missing signature is 401
/// (as Shopify requires). Without a secret the door follows the event doors' rule: loopback
/// only on a loopback listen, closed on a public one unless `[events] allow_unauthenticated`.
pub struct SecretDoor {
    doors: &'static [&'static str],
    key: &'static str,
    header: &'static str,
    verify: BodySignature,
    secret: Option<Secret>,
    without: WithoutCredentials,
}

impl SecretDoor {
    pub fn shopify(config: &Config) -> Self {
        Self {
            doors: &[
                "POST /v1/compliance/shopify",
                "POST /v1/conversions/shopify",
            ],
            key: "[conversions.shopify] secret",
            header: shopify::HMAC_HEADER,
            verify: shopify::verify,
            secret: config.conversions.shopify.secret.clone(),
            without: WithoutCredentials::of(config),
        }
    }

    pub fn segment(config: &Config) -> Self {
        Self {
            doors: &["POST /v1/conversions/segment"],
            key: "[conversions.segment] secret",
            header: segment::SIGNATURE_HEADER,
            verify: segment::verify,
            secret: config.conversions.segment.secret.clone(),
            without: WithoutCredentials::of(config),
        }
    }

    /// How the doors are guarded, for the log at start (and whether they are).
    pub fn describe(&self) -> Vec<(String, bool)> {
        let guards: Vec<String> = self
            .secret
            .iter()
            .map(|_| format!("signatures ({})", self.key))
            .collect();
        self.doors
            .iter()
            .map(|door| guard_line(door, &guards, self.without, self.key))
            .collect()
    }

    /// Admits a request whose `body` was signed with the secret.
    pub fn admit(&self, req: &HttpRequest, body: &[u8]) -> Result<Credential, ApiError> {
        let Some(secret) = &self.secret else {
            return without_credentials(self.without, req, self.key);
        };
        let header = req
            .headers()
            .get(self.header)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| ApiError::Unauthorized(format!("{} is missing", self.header)))?;
        (self.verify)(secret.expose().as_bytes(), body, header)
            .map(|()| Credential::Signed)
            .map_err(ApiError::Unauthorized)
    }
}

/// `[lookup] tokens`: with none configured the send-time lookup is open (it reads keepable and
/// broken, nothing personal).
pub struct LookupDoor {
    tokens: Vec<InboundToken>,
}

impl LookupDoor {
    pub fn new(config: &Config) -> Self {
        Self {
            tokens: config.lookup.tokens.clone(),
        }
    }

    pub fn is_open(&self) -> bool {
        self.tokens.is_empty()
    }

    pub fn admit(&self, req: &HttpRequest) -> Result<(), ApiError> {
        if self.tokens.is_empty() {
            return Ok(());
        }
        let authorization = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let presented = tokens::presented(authorization).ok_or_else(|| {
            ApiError::Unauthorized(
                "the lookup needs a token of [lookup] tokens (Bearer, or the password of HTTP Basic)"
                    .into(),
            )
        })?;
        let configured = self
            .tokens
            .iter()
            .map(|t| (t.name.as_str(), t.token.expose()));
        tokens::holder(configured, &presented)
            .map(|_| ())
            .ok_or_else(|| ApiError::Unauthorized("unknown lookup token".into()))
    }
}
