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
use crate::config::{Config, InboundToken};
use crate::signatures::sendgrid::{SIGNATURE_HEADER, SendgridVerifier, TIMESTAMP_HEADER};
use crate::signatures::{BodyVerifier, SigningKey, VerificationKey, shopify, tokens};
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

pub struct EventDoors {
    tokens: Vec<InboundToken>,
    signing: Option<SigningKey>,
    sendgrid: Vec<VerificationKey>,
    sendgrid_max_age_s: u64,
    without: WithoutCredentials,
}

impl EventDoors {
    pub fn new(config: &Config) -> Self {
        let events = &config.events;
        let without = if events.allow_unauthenticated {
            WithoutCredentials::Open
        } else if config.listen.ip().is_loopback() {
            WithoutCredentials::LoopbackOnly
        } else {
            WithoutCredentials::Closed
        };
        Self {
            tokens: events.tokens.clone(),
            signing: events.signing_secret.clone(),
            sendgrid: events.sendgrid.keys(),
            sendgrid_max_age_s: events.sendgrid.max_age_s,
            without,
        }
    }

    /// One line per door saying how it is guarded, for the log at start.
    pub fn describe(&self) -> [(String, bool); 2] {
        let tokens = match self.tokens.len() {
            0 => None,
            n => Some(format!("{n} token(s)")),
        };
        let generic: Vec<String> = tokens
            .iter()
            .cloned()
            .chain(
                self.signing
                    .iter()
                    .map(|_| "Standard Webhooks signatures".into()),
            )
            .collect();
        let sendgrid: Vec<String> = tokens
            .into_iter()
            .chain(
                (!self.sendgrid.is_empty())
                    .then(|| format!("SendGrid signatures ({} key(s))", self.sendgrid.len())),
            )
            .collect();
        [("POST /v1/events", generic), ("POST /v1/events/sendgrid", sendgrid)].map(
            |(door, guards)| match (guards.is_empty(), self.without) {
                (false, _) => (format!("{door}: admits {}", guards.join(" or ")), true),
                (true, WithoutCredentials::LoopbackOnly) => (
                    format!("{door}: no credentials configured; answers callers on loopback only"),
                    false,
                ),
                (true, WithoutCredentials::Open) => (
                    format!("{door}: no credentials configured and allow_unauthenticated = true: anyone who can reach it may post events"),
                    false,
                ),
                (true, WithoutCredentials::Closed) => (
                    format!("{door}: no credentials configured and listening on a public address: closed (403) until [events] tokens or a signing key is set, or allow_unauthenticated = true"),
                    false,
                ),
            },
        )
    }

    /// `POST /v1/events`: a token, or a Standard Webhooks signature.
    pub fn generic<'a>(&'a self, req: &HttpRequest) -> Result<Admission<'a>, ApiError> {
        if let Some(admitted) = self.token_or_none(req, self.signing.is_some())? {
            return Ok(admitted);
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
            return Ok(admitted);
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

    /// Admitted by a matching token, or by the policy of a door with no credential; `None`
    /// when the door wants a signature instead (`signed` says whether it takes one).
    fn token_or_none(
        &self,
        req: &HttpRequest,
        signed: bool,
    ) -> Result<Option<Admission<'_>>, ApiError> {
        if self.tokens.is_empty() && !signed {
            return self.without_credentials(req).map(Some);
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
        Ok(holder.map(|name| Admission::Admitted(Credential::Token(name))))
    }

    fn without_credentials(&self, req: &HttpRequest) -> Result<Admission<'_>, ApiError> {
        let on_loopback = req.peer_addr().is_some_and(|a| a.ip().is_loopback());
        match self.without {
            WithoutCredentials::Open => Ok(Admission::Admitted(Credential::Unauthenticated)),
            WithoutCredentials::LoopbackOnly if on_loopback => {
                Ok(Admission::Admitted(Credential::Unauthenticated))
            }
            WithoutCredentials::LoopbackOnly => Err(ApiError::Forbidden(
                "no event credentials are configured, so this door answers only on loopback".into(),
            )),
            WithoutCredentials::Closed => Err(ApiError::Forbidden(
                "no event credentials are configured and the service listens on a public address: configure [events] tokens (or a signing key), or set [events] allow_unauthenticated = true".into(),
            )),
        }
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

/// `POST /v1/compliance/shopify`: Shopify's signature (`X-Shopify-Hmac-Sha256`, keyed with
/// `[conversions.shopify] secret`) over the raw body; a bad or missing one is 401, as Shopify
/// requires. Without a secret configured the door follows the event doors' rule: loopback
/// only on a loopback listen, closed on a public one unless `[events] allow_unauthenticated`.
pub struct ShopifyDoor {
    secret: Option<crate::config::Secret>,
    without: WithoutCredentials,
}

impl ShopifyDoor {
    pub fn new(config: &Config) -> Self {
        Self {
            secret: config.conversions.shopify.secret.clone(),
            without: EventDoors::new(config).without,
        }
    }

    /// How the door is guarded, for the log at start (and whether it is).
    pub fn describe(&self) -> (String, bool) {
        let door = "POST /v1/compliance/shopify";
        match (&self.secret, self.without) {
            (Some(_), _) => (format!("{door}: admits Shopify signatures"), true),
            (None, WithoutCredentials::LoopbackOnly) => (
                format!(
                    "{door}: no [conversions.shopify] secret; answers callers on loopback only"
                ),
                false,
            ),
            (None, WithoutCredentials::Open) => (
                format!(
                    "{door}: no [conversions.shopify] secret and allow_unauthenticated = true: anyone may post"
                ),
                false,
            ),
            (None, WithoutCredentials::Closed) => (
                format!(
                    "{door}: no [conversions.shopify] secret on a public address: closed (403)"
                ),
                false,
            ),
        }
    }

    /// Admits a request whose `body` Shopify signed.
    pub fn admit(&self, req: &HttpRequest, body: &[u8]) -> Result<Credential, ApiError> {
        let Some(secret) = &self.secret else {
            let on_loopback = req.peer_addr().is_some_and(|a| a.ip().is_loopback());
            return match self.without {
                WithoutCredentials::Open => Ok(Credential::Unauthenticated),
                WithoutCredentials::LoopbackOnly if on_loopback => Ok(Credential::Unauthenticated),
                _ => Err(ApiError::Forbidden(
                    "no [conversions.shopify] secret is configured, so Shopify's webhooks cannot be verified".into(),
                )),
            };
        };
        let header = req
            .headers()
            .get(shopify::HMAC_HEADER)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| ApiError::Unauthorized("X-Shopify-Hmac-Sha256 is missing".into()))?;
        shopify::verify(secret.expose().as_bytes(), body, header)
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
