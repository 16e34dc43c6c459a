//! The configuration's tables, each with its defaults.
use super::schedule::JobSchedule;
use super::{Secret, text};
use crate::domain::{AlertChannel, AlertTarget, RetrySchedule, Role};
use crate::i18n::Locale;
use crate::signatures::{SigningKey, VerificationKey};
use lettre::message::Mailbox;
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CheckConfig {
    /// A whole pre-send check, retries included.
    pub deadline_ms: u64,
    /// Upstream calls in flight per check.
    pub concurrency: usize,
}

impl Default for CheckConfig {
    fn default() -> Self {
        Self {
            deadline_ms: 5000,
            concurrency: 32,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhooksConfig {
    /// `whsec_…` (Standard Webhooks). Absent: signatures are not required.
    pub signing_secret: Option<SigningKey>,
}

/// Where email goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// `.eml` files in `outbox_dir`.
    File,
    /// The server at `smtp_url`.
    Smtp,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmailConfig {
    pub transport: Transport,
    pub smtp_url: Option<Secret>,
    #[serde(deserialize_with = "text::parsed")]
    pub from: Mailbox,
    pub outbox_dir: PathBuf,
    pub retry_schedule_s: Vec<u64>,
    pub max_concurrent: usize,
}

impl EmailConfig {
    pub fn retry_schedule(&self) -> RetrySchedule {
        RetrySchedule::new(self.retry_schedule_s.clone())
    }
}

impl Default for EmailConfig {
    fn default() -> Self {
        Self {
            transport: Transport::File,
            smtp_url: None,
            from: "promiseguard <noreply@localhost>"
                .parse()
                .expect("the default sender is an address"),
            outbox_dir: PathBuf::from("outbox"),
            retry_schedule_s: vec![60, 300, 1800, 7200],
            max_concurrent: 4,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SurveysConfig {
    pub attribution_hours: u64,
    pub cooldown_days: u64,
    pub max_per_run: u64,
    /// Key for survey and unsubscribe links. Absent: one is generated and kept in the database,
    /// shared by every instance.
    pub link_secret: Option<Secret>,
    /// The name customers know the sender by, in the survey's subject, question and pages
    /// (a campaign's own `brand` wins). Absent: the display name of `[email] from`.
    pub brand: Option<String>,
    /// Days after an invitation was sent that a silent invitee gets its one reminder; 0: off.
    pub reminder_after_days: u64,
    /// The survey's language when neither the recipient's events nor the campaign name one
    /// that a catalog ships (`en`, `ar`, `fa`; `ar-EG` gets `ar`).
    pub default_locale: Locale,
}

impl Default for SurveysConfig {
    fn default() -> Self {
        Self {
            attribution_hours: 72,
            cooldown_days: 90,
            max_per_run: 10_000,
            link_secret: None,
            brand: None,
            reminder_after_days: 0,
            default_locale: Locale::english(),
        }
    }
}

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
    pub secret: Option<Secret>,
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
    pub secret: Option<Secret>,
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

/// How long personal data and evidence are kept (`[retention]`), in days; `0` keeps forever.
/// The daily `retention` job removes what is older, in short batches.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Engagement events (clicks, conversions, provider events), by when they occurred:
    /// deleted.
    pub events_days: u64,
    /// Survey invitations, by when they were queued: their address removed (as an erasure
    /// does), their score and reason kept in the campaign's counts.
    pub invitations_days: u64,
    /// Survey comments, by when they were answered: deleted.
    pub comments_days: u64,
    /// Checks' evidence (what the sources said, in findings and stored results) and the
    /// replay records of pre-send webhooks, by when the check ran.
    pub evidence_days: u64,
    /// Rows per write transaction (evidence: a tenth as many checks), so no batch holds the
    /// SQLite writer for long.
    pub batch: u32,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            events_days: 400,
            invitations_days: 400,
            comments_days: 400,
            evidence_days: 800,
            batch: 500,
        }
    }
}

/// Cron expressions with seconds (6 or 7 fields); `"off"` disables a job on this instance.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScheduleConfig {
    pub recheck: JobSchedule,
    pub surveys: JobSchedule,
    /// Delivers queued alerts (and their retries).
    pub alerts: JobSchedule,
    /// Removes what `[retention]` no longer keeps.
    pub retention: JobSchedule,
    /// A job's lease, renewed every third of it while the job runs; how long a crashed
    /// instance's lease blocks the job.
    pub lease_ttl_s: u64,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        let cron = |expr: &str| expr.parse().expect("the default schedules parse");
        Self {
            recheck: cron("0 */15 * * * *"),
            surveys: cron("0 5 * * * *"),
            alerts: cron("*/30 * * * * *"),
            retention: cron("0 30 3 * * *"),
            lease_ttl_s: 60,
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
    pub signing_secret: Option<SigningKey>,
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
    pub signing_key: Option<Secret>,
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
    pub signing_secret: Option<Secret>,
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

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalystsConfig {
    pub tokens: Vec<AnalystToken>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalystToken {
    pub name: String,
    pub role: Role,
    pub token: Secret,
}

impl AnalystToken {
    pub fn new(name: &str, role: Role, token: &str) -> Self {
        Self {
            name: name.to_owned(),
            role,
            token: Secret::new(token),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// Addresses told about each new block finding on a running campaign.
    #[serde(deserialize_with = "text::parsed_each")]
    pub emails: Vec<Mailbox>,
    /// Receives a Standard-Webhooks-signed POST for each new block finding.
    pub webhook_url: Option<String>,
    /// `whsec_…` key that signs the POSTs; required with `webhook_url`.
    pub signing_secret: Option<SigningKey>,
    /// Waits before each retry of an alert that could not be delivered.
    pub retry_schedule_s: Vec<u64>,
}

impl AlertsConfig {
    /// Every destination, emails first.
    pub fn targets(&self) -> Vec<AlertTarget> {
        let emails = self.emails.iter().map(|address| AlertTarget {
            channel: AlertChannel::Email,
            target: address.to_string(),
        });
        let webhook = self.webhook_url.iter().map(|url| AlertTarget {
            channel: AlertChannel::Webhook,
            target: url.clone(),
        });
        emails.chain(webhook).collect()
    }

    pub fn retry_schedule(&self) -> RetrySchedule {
        RetrySchedule::new(self.retry_schedule_s.clone())
    }
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self {
            emails: Vec::new(),
            webhook_url: None,
            signing_secret: None,
            retry_schedule_s: vec![30, 120, 600, 1800, 7200],
        }
    }
}
