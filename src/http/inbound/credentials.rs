//! Who may come in through the inbound doors (the send-time lookup's door is `http::lookup`'s):
//! the keys read from the configuration ([`Keys`], swapped whole at run time through
//! [`Credentials`]), the ways a door is guarded ([`Scheme`]), and the one outcome of every admission
//! ([`DeliveredBy`]).
//!
//! A door with a credential configured admits a request that presents one: a token of
//! `[events] tokens` (Bearer, or the password of HTTP Basic), or a valid signature over the
//! raw body. A door with none answers callers on loopback only, and only when the service
//! itself listens on loopback (the embedded default); listening on a public address it is
//! closed (403) unless `[events] allow_unauthenticated = true`. Who the caller is comes from
//! `http::client` (behind a proxy of `[limits] trusted_proxies`, its `X-Forwarded-For`); behind
//! an untrusted proxy on the same host every caller comes from loopback, so there credentials are
//! the only protection.
use super::Admission;
use crate::config::{AnalystToken, Config, InboundToken, Secrets};
use crate::http::client::Proxies;
use crate::http::error::ApiError;
use crate::signatures::{SigningKeys, VerificationKey, tokens};
use actix_web::HttpRequest;
use actix_web::http::header::AUTHORIZATION;
use std::sync::{Arc, RwLock};

/// Who delivered a request, as stored with what it brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveredBy {
    /// A token of `[events] tokens`, by name.
    Token(String),
    /// A valid signature over the body.
    Signed,
    /// A door with no credential configured.
    Unauthenticated,
}

impl DeliveredBy {
    pub fn as_str(&self) -> &str {
        match self {
            DeliveredBy::Token(name) => name,
            DeliveredBy::Signed => "signed",
            DeliveredBy::Unauthenticated => "unauthenticated",
        }
    }
}

/// How a door is guarded.
pub enum Scheme {
    /// A token of `[events] tokens`, or a signature once its key is configured: `signature`
    /// names it in a refusal, `configured` says how the log at start describes it (`None`: no
    /// key configured).
    TokensOr {
        signature: &'static str,
        configured: Option<String>,
    },
    /// A token of `[events] tokens` only: the provider signs nothing.
    TokensOnly,
    /// One shared secret over the body (`key` names its setting), no tokens.
    Secret { key: &'static str, configured: bool },
    /// Amazon SNS's signature, from one of `topics` configured topics (none: nothing comes in,
    /// as a signature alone proves only that some topic sent it).
    Sns { topics: usize },
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

/// The keys the doors check against, as one configuration gave them (and `SIGHUP` gives again:
/// `startup`'s reload puts a new set in force for every request admitted after it).
pub struct Keys {
    tokens: Vec<InboundToken>,
    /// `[webhooks] signing_secret`: the pre-send webhook's signatures.
    pub webhook: Option<SigningKeys>,
    /// `[analysts] tokens`: the analyst API and pages.
    pub analysts: Vec<AnalystToken>,
    /// `[events] signing_secret`: Standard Webhooks on `POST /v1/events`.
    pub signing: Option<SigningKeys>,
    pub sendgrid: Vec<VerificationKey>,
    pub sendgrid_max_age_s: u64,
    pub mailgun: Option<Secrets>,
    pub mailgun_max_age_s: u64,
    pub customerio: Option<Secrets>,
    /// `[conversions.shopify] secret`: the compliance webhooks and `orders/create`.
    pub shopify: Option<Secrets>,
    pub segment: Option<Secrets>,
    /// `[sources.inventory] webhook_secret`: Shopify's stock and location changes.
    pub shopify_inventory: Option<Secrets>,
    /// Whether the inventory source is one Shopify pushes changes of (`shopify-graphql`).
    pub shopify_pushes: bool,
    /// Who a request comes from, for the loopback rule (`[limits] trusted_proxies`).
    proxies: Proxies,
    /// How many `[events.ses] topic_arns`.
    pub ses_topics: usize,
    without: WithoutCredentials,
}

impl Keys {
    pub fn new(config: &Config) -> Self {
        let events = &config.events;
        Self {
            tokens: events.tokens.clone(),
            webhook: config.webhooks.signing_secret.clone(),
            analysts: config.analyst_tokens().to_vec(),
            signing: events.signing_secret.clone(),
            sendgrid: events.sendgrid.keys(),
            sendgrid_max_age_s: events.sendgrid.max_age_s,
            mailgun: events.mailgun.signing_key.clone(),
            mailgun_max_age_s: events.mailgun.max_age_s,
            customerio: events.customerio.signing_secret.clone(),
            shopify: config.conversions.shopify.secret.clone(),
            segment: config.conversions.segment.secret.clone(),
            shopify_inventory: config.sources.inventory.webhook_secret.clone(),
            shopify_pushes: config.sources.inventory.kind
                == crate::config::SourceKind::ShopifyGraphql,
            proxies: Proxies::new(config.limits.proxies()),
            ses_topics: events.ses.topic_arns.len(),
            without: WithoutCredentials::of(config),
        }
    }

    /// Admits a request by `scheme` before its body is read.
    pub fn admit(&self, req: &HttpRequest, scheme: &Scheme) -> Result<Admission, ApiError> {
        match scheme {
            Scheme::TokensOr {
                signature,
                configured,
            } => match self.token_or_none(req, configured.is_some())? {
                Some(by) => Ok(Admission::By(by)),
                None if configured.is_some() => Ok(Admission::Verify),
                None => Err(self.refused(signature)),
            },
            Scheme::TokensOnly => self
                .token_or_none(req, false)?
                .map(Admission::By)
                .ok_or_else(|| {
                    ApiError::Unauthorized(
                        "this door needs a token of [events] tokens (Bearer, or the password of HTTP Basic)"
                            .into(),
                    )
                }),
            // Checked with the body in hand (`verify_secret`): Shopify requires 401 for a bad
            // signature whatever else is wrong.
            Scheme::Secret { .. } => Ok(Admission::Verify),
            Scheme::Sns { topics: 0 } => Err(ApiError::Forbidden(
                "no [events.ses] topic_arns are configured: an SNS signature alone proves only that some topic sent it".into(),
            )),
            Scheme::Sns { .. } => Ok(Admission::Verify),
        }
    }

    /// Admits a request whose `body` was signed with `secret` (`key` names its setting):
    /// `verify(secret, body, header value)` over the value of `header`. Without a secret the
    /// door follows the rule for doors with no credential.
    pub fn verify_secret(
        &self,
        req: &HttpRequest,
        body: &[u8],
        secrets: Option<&Secrets>,
        key: &str,
        header: &str,
        verify: BodySignature,
    ) -> Result<DeliveredBy, ApiError> {
        let Some(secrets) = secrets else {
            return self.without_credentials(req, key);
        };
        let value = super::header(req, header)
            .ok_or_else(|| ApiError::Unauthorized(format!("{header} is missing")))?;
        // Any of the secrets (one being rotated in, one out) admits the body.
        secrets
            .any(|secret| verify(secret, body, value))
            .map(|()| DeliveredBy::Signed)
            .map_err(ApiError::Unauthorized)
    }

    /// A refusal naming the ways in: a token (when any is configured), or `signature` over the
    /// body.
    pub fn refused(&self, signature: &str) -> ApiError {
        let mut ways = Vec::new();
        if !self.tokens.is_empty() {
            ways.push("a token of [events] tokens (Bearer, or the password of HTTP Basic)");
        }
        let signature = format!("{signature} over the body");
        ways.push(&signature);
        ApiError::Unauthorized(format!("events need {}", ways.join(", or ")))
    }

    /// How the door at `path` is guarded by `scheme`, as a line for the log at start, and
    /// whether it is.
    pub fn describe(&self, path: &str, scheme: &Scheme) -> (String, bool) {
        let door = format!("POST {path}");
        let tokens = (!self.tokens.is_empty()).then(|| format!("{} token(s)", self.tokens.len()));
        match scheme {
            Scheme::TokensOr { configured, .. } => {
                let guards: Vec<String> = tokens.into_iter().chain(configured.clone()).collect();
                guard_line(
                    &door,
                    &guards,
                    self.without,
                    "[events] tokens or a signing key",
                )
            }
            Scheme::TokensOnly => {
                let guards: Vec<String> = tokens.into_iter().collect();
                guard_line(
                    &door,
                    &guards,
                    self.without,
                    "[events] tokens or a signing key",
                )
            }
            Scheme::Secret { key, configured } => {
                let guards: Vec<String> = configured
                    .then(|| format!("signatures ({key})"))
                    .into_iter()
                    .collect();
                guard_line(&door, &guards, self.without, key)
            }
            Scheme::Sns { topics: 0 } => (
                format!("{door}: no [events.ses] topic_arns; refuses every message (403)"),
                true,
            ),
            Scheme::Sns { topics } => (
                format!("{door}: admits SNS-signed messages of {topics} topic(s)"),
                true,
            ),
        }
    }

    /// Admitted by a matching token, or by the rule for a door with no credential; `None`
    /// when the door wants a signature instead (`signed` says whether it takes one).
    fn token_or_none(
        &self,
        req: &HttpRequest,
        signed: bool,
    ) -> Result<Option<DeliveredBy>, ApiError> {
        if self.tokens.is_empty() && !signed {
            return self
                .without_credentials(req, "[events] tokens (or a signing key)")
                .map(Some);
        }
        let holder =
            tokens::presented(super::header(req, AUTHORIZATION.as_str())).and_then(|presented| {
                let configured = self
                    .tokens
                    .iter()
                    .map(|t| (t.name.as_str(), t.token.expose()));
                tokens::holder(configured, &presented).map(str::to_owned)
            });
        Ok(holder.map(DeliveredBy::Token))
    }

    /// The rule for a door with no credential configured, for a request; `key` names what to
    /// configure.
    fn without_credentials(&self, req: &HttpRequest, key: &str) -> Result<DeliveredBy, ApiError> {
        // The client, not the peer: behind a trusted proxy on this host every peer is local.
        let on_loopback = self.proxies.client(req).is_some_and(|ip| ip.is_loopback());
        match self.without {
            WithoutCredentials::Open => Ok(DeliveredBy::Unauthenticated),
            WithoutCredentials::LoopbackOnly if on_loopback => Ok(DeliveredBy::Unauthenticated),
            WithoutCredentials::LoopbackOnly => Err(ApiError::Forbidden(format!(
                "no credentials are configured for this door ({key}), so it answers only on loopback"
            ))),
            WithoutCredentials::Closed => Err(ApiError::Forbidden(format!(
                "no credentials are configured for this door and the service listens on a public address: configure {key}, or set [events] allow_unauthenticated = true"
            ))),
        }
    }
}

/// Says at start how each door is guarded: the pre-send webhook, every inbound door of the
/// table, and the lookup (a door left open is a warning).
pub fn log_at_start(config: &Config) {
    if config.webhooks.signing_secret.is_none() {
        tracing::warn!(
            "webhooks.signing_secret is not set: pre-send webhooks are not authenticated"
        );
    }
    for (line, guarded) in super::describe(&Keys::new(config)) {
        if guarded {
            tracing::info!("{line}");
        } else {
            tracing::warn!("{line}");
        }
    }
    if config.lookup.tokens.is_empty() {
        tracing::info!(
            "GET /v1/lookup: open (no [lookup] tokens); it answers keepable/broken only"
        );
    } else {
        tracing::info!(
            tokens = config.lookup.tokens.len(),
            "GET /v1/lookup: admits [lookup] tokens"
        );
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

/// Checks a signature header's value over a body with a secret: `(secret, body, value)`.
pub type BodySignature = fn(&[u8], &[u8], &str) -> Result<(), String>;

/// The keys in force, swapped whole at run time: a request reads one set from start to end.
pub struct Credentials {
    current: RwLock<Arc<Keys>>,
}

impl Credentials {
    pub fn new(config: &Config) -> Self {
        Self {
            current: RwLock::new(Arc::new(Keys::new(config))),
        }
    }

    /// The keys in force now.
    pub fn current(&self) -> Arc<Keys> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Puts `keys` in force for every request admitted from now on.
    pub fn replace(&self, keys: Keys) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(keys);
    }
}

#[cfg(test)]
#[path = "credentials_tests.rs"]
mod tests;
