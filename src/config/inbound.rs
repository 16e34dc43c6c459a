//! The inbound doors' tables: who may post events and how each provider signs
//! (`[events]` and its provider tables), where conversions come from (`[conversions]`), and
//! who may call the send-time lookup (`[lookup]`).
use super::{ConfigError, Secret, Secrets};
use crate::signatures::{SigningKeys, VerificationKey};
use serde::Deserialize;

/// Where conversions come from (`[conversions]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConversionsConfig {
    pub shopify: ShopifyConfig,
    pub segment: SegmentConfig,
}

/// The Shopify app (`[conversions.shopify]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ShopifyConfig {
    /// The app's client secret: Shopify signs every webhook of the app with it
    /// (`X-Shopify-Hmac-Sha256`), the compliance webhooks included.
    pub secret: Option<Secrets>,
    /// An order's campaign, when its landing URL carries no `utm_campaign`: the value of this
    /// note attribute (cart attribute) of the order.
    pub campaign_note_attribute: Option<String>,
    /// An order's campaign by the discount code it used (code, case-insensitive → campaign id),
    /// when neither the landing URL nor the note attribute names one.
    pub discount_campaigns: std::collections::BTreeMap<String, String>,
}

/// A Segment webhook destination (`[conversions.segment]`): Track `Order Completed`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SegmentConfig {
    /// The destination's shared secret: `X-Signature` is the HMAC-SHA1 of the body with it.
    pub secret: Option<Secrets>,
    /// Where the buyer's address is looked for, first found wins: any of
    /// `context.traits.email`, `properties.email`, `userId`.
    pub recipient_from: Vec<String>,
}

impl Default for SegmentConfig {
    fn default() -> Self {
        Self {
            secret: None,
            recipient_from: ["context.traits.email", "properties.email", "userId"]
                .map(str::to_owned)
                .to_vec(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LookupConfig {
    /// How long an answer is served from memory.
    pub ttl_s: u64,
    /// The longest a lookup waits for an upstream.
    pub deadline_ms: u64,
    /// How long past its TTL an answer may still be served, marked stale, when the source fails.
    pub stale_s: u64,
    /// Who may call `GET /v1/lookup` (Bearer or Basic). Empty: anyone who can reach it.
    pub tokens: Vec<InboundToken>,
}

impl Default for LookupConfig {
    fn default() -> Self {
        Self {
            ttl_s: 60,
            deadline_ms: 500,
            stale_s: 600,
            tokens: Vec::new(),
        }
    }
}

/// A named token a caller presents as `Authorization: Bearer <token>` or as the password of
/// HTTP Basic (any user name).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboundToken {
    pub name: String,
    pub token: Secret,
}

impl InboundToken {
    pub fn new(name: &str, token: &str) -> Self {
        Self {
            name: name.to_owned(),
            token: Secret::new(token),
        }
    }
}

/// `[events]`: the credentials that admit a request to the event doors (either one does).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EventsConfig {
    /// Bearer or Basic tokens, accepted by every event door.
    pub tokens: Vec<InboundToken>,
    /// `whsec_…`: Standard Webhooks signatures on `POST /v1/events`.
    pub signing_secret: Option<SigningKeys>,
    /// With no credential configured, admit anyone, even when listening on a public address.
    pub allow_unauthenticated: bool,
    pub sendgrid: SendgridConfig,
    pub mailgun: MailgunConfig,
    pub customerio: CustomerioConfig,
    pub ses: SesConfig,
    /// Days a quarantined event is kept (the `retention` job removes it after); 0: forever.
    pub quarantine_days: u64,
}

impl Default for EventsConfig {
    fn default() -> Self {
        Self {
            tokens: Vec::new(),
            signing_secret: None,
            allow_unauthenticated: false,
            sendgrid: SendgridConfig::default(),
            mailgun: MailgunConfig::default(),
            customerio: CustomerioConfig::default(),
            ses: SesConfig::default(),
            quarantine_days: 30,
        }
    }
}

/// `[events.mailgun]`: Mailgun's webhooks, signed in the body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailgunConfig {
    /// The HTTP webhook signing key (Mailgun: Settings → API Security → Webhook signing key).
    pub signing_key: Option<Secrets>,
    /// Oldest (or furthest ahead) signature timestamp accepted. Mailgun retries a failed
    /// delivery for 8 hours, with the signature it was first sent with: the default (a day)
    /// keeps every retry; at most 7 days.
    pub max_age_s: u64,
    /// Where an event's campaign comes from.
    pub campaign_from: MailgunCampaignFrom,
    /// With `campaign_from = "variable"`: the custom variable (sent as `v:campaign_id`).
    pub campaign_variable: String,
    /// With `campaign_from = "tag"`: the first tag starting with this prefix, prefix removed
    /// (empty: the first tag).
    pub campaign_tag_prefix: String,
}

/// `campaign_from` of `[events.mailgun]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailgunCampaignFrom {
    Variable,
    Tag,
}

impl MailgunConfig {
    /// Where the adapter looks for an event's campaign.
    pub fn campaign_source(&self) -> crate::domain::providers::mailgun::CampaignFrom {
        use crate::domain::providers::mailgun::CampaignFrom;
        match self.campaign_from {
            MailgunCampaignFrom::Variable => CampaignFrom::Variable(self.campaign_variable.clone()),
            MailgunCampaignFrom::Tag => CampaignFrom::Tag(self.campaign_tag_prefix.clone()),
        }
    }
}

impl Default for MailgunConfig {
    fn default() -> Self {
        Self {
            signing_key: None,
            max_age_s: 86_400,
            campaign_from: MailgunCampaignFrom::Variable,
            campaign_variable: "campaign_id".into(),
            campaign_tag_prefix: String::new(),
        }
    }
}

/// `[events.ses]`: Amazon SES events through an SNS topic.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SesConfig {
    /// The topics whose messages are taken (required: an SNS signature only proves a message
    /// came from *some* topic); none: `POST /v1/events/ses` refuses everything (403).
    pub topic_arns: Vec<String>,
    /// PEM roots the signing certificates must chain to, instead of the Mozilla set.
    pub trust_anchors_pem: Option<std::path::PathBuf>,
}

/// `[events.customerio]`: Customer.io's reporting webhooks.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CustomerioConfig {
    /// The webhook's signing secret (Customer.io: the reporting webhook's settings).
    pub signing_secret: Option<Secrets>,
}

/// `[events.sendgrid]`: SendGrid's Signed Event Webhook.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SendgridConfig {
    /// The verification key SendGrid shows for the webhook (base64 DER, ECDSA P-256).
    pub verification_key: Option<VerificationKey>,
    /// Several webhooks, each with its own key.
    pub verification_keys: Vec<VerificationKey>,
    /// Oldest signature timestamp accepted. SendGrid retries a failed delivery for up to 24
    /// hours and documents no replay window; replays are harmless (events are deduplicated by
    /// `sg_event_id`).
    pub max_age_s: u64,
}

impl SendgridConfig {
    /// Every configured key.
    pub fn keys(&self) -> Vec<VerificationKey> {
        self.verification_key
            .iter()
            .chain(&self.verification_keys)
            .cloned()
            .collect()
    }
}

impl Default for SendgridConfig {
    fn default() -> Self {
        Self {
            verification_key: None,
            verification_keys: Vec::new(),
            max_age_s: 86_400,
        }
    }
}

/// The doors' tables, checked: the tokens, Mailgun's settings, the SES topics, Segment's
/// recipient keys.
pub(super) fn validate<'a>(
    events: &'a EventsConfig,
    conversions: &ConversionsConfig,
    lookup: &'a LookupConfig,
) -> Result<(), ConfigError> {
    let named = |t: &'a InboundToken| (t.name.as_str(), &t.token);
    super::check_tokens("events.tokens", events.tokens.iter().map(named))?;
    super::check_tokens("lookup.tokens", lookup.tokens.iter().map(named))?;
    if events.mailgun.max_age_s < 60 || events.mailgun.max_age_s > 7 * 86_400 {
        return Err(ConfigError::new(
            "events.mailgun.max_age_s",
            "must be 60 to 604800 seconds (Mailgun retries for 8 hours with the first signature)",
        ));
    }
    if events.mailgun.campaign_variable.trim().is_empty() {
        return Err(ConfigError::new(
            "events.mailgun.campaign_variable",
            "must not be empty",
        ));
    }
    for (i, arn) in events.ses.topic_arns.iter().enumerate() {
        let parts: Vec<&str> = arn.split(':').collect();
        if parts.len() != 6 || parts[0] != "arn" || parts[2] != "sns" || parts[3].is_empty() {
            return Err(ConfigError::new(
                &format!("events.ses.topic_arns[{i}]"),
                format!("`{arn}` is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:TOPIC)"),
            ));
        }
    }
    const SEGMENT_RECIPIENTS: [&str; 3] = ["context.traits.email", "properties.email", "userId"];
    let from = &conversions.segment.recipient_from;
    if from.is_empty() {
        return Err(ConfigError::new(
            "conversions.segment.recipient_from",
            "must name at least one of context.traits.email, properties.email, userId",
        ));
    }
    if let Some((i, bad)) = from
        .iter()
        .enumerate()
        .find(|(_, f)| !SEGMENT_RECIPIENTS.contains(&f.as_str()))
    {
        return Err(ConfigError::new(
            &format!("conversions.segment.recipient_from[{i}]"),
            format!("`{bad}`: expected context.traits.email, properties.email or userId"),
        ));
    }
    Ok(())
}
