//! The configuration's tables, each with its defaults.
use super::schedule::JobSchedule;
use super::{Secret, text};
use crate::domain::send_window::SendWindow;
use crate::domain::{RetrySchedule, Role};
use crate::i18n::Locale;
use crate::signatures::SigningKeys;
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
    pub signing_secret: Option<SigningKeys>,
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
    /// Most emails a second at the relay (surveys, reminders and alerts together); absent:
    /// as fast as the relay takes them.
    pub max_per_second: Option<u32>,
    /// Most survey and reminder emails in any 24 hours (alerts are never held back by it);
    /// absent: no cap.
    pub max_per_day: Option<u64>,
}

impl EmailConfig {
    pub fn validate(&self) -> Result<(), super::ConfigError> {
        if self.max_per_second == Some(0) {
            return Err(super::ConfigError::new(
                "email.max_per_second",
                "must be at least 1 (leave it out for no pace)",
            ));
        }
        if self.max_per_day == Some(0) {
            return Err(super::ConfigError::new(
                "email.max_per_day",
                "must be at least 1 (leave it out for no cap)",
            ));
        }
        Ok(())
    }

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
            max_per_second: None,
            max_per_day: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SurveysConfig {
    pub attribution_hours: u64,
    pub cooldown_days: u64,
    pub max_per_run: u64,
    /// Key for survey and unsubscribe links, or several while one is rotated: the first signs
    /// the links of every email from now on, each verifies (keep the old after the new while
    /// emails signed with it may still be answered). Absent: one is generated and kept in the
    /// database, shared by every instance.
    pub link_secret: Option<super::Secrets>,
    /// The name customers know the sender by, in the survey's subject, question and pages
    /// (a campaign's own `brand` wins). Absent: the display name of `[email] from`.
    pub brand: Option<String>,
    /// Days after an invitation was sent that a silent invitee gets its one reminder; 0: off.
    pub reminder_after_days: u64,
    /// The survey's language when neither the recipient's events nor the campaign name one
    /// that a catalog ships (`en`, `ar`, `fa`; `ar-EG` gets `ar`).
    pub default_locale: Locale,
    /// When in the recipient's own day a survey may reach them (`"09:00-20:00"`, or
    /// `"always"`); one due outside waits for the next opening.
    #[serde(deserialize_with = "text::parsed")]
    pub send_window: SendWindow,
    /// The days a window opens on (`["mon", "tue", …]`); empty: every day.
    #[serde(deserialize_with = "text::parsed_each")]
    pub send_days: Vec<chrono::Weekday>,
    /// The recipient's zone when nothing else says it (an IANA name, `Europe/Berlin`); unset:
    /// UTC, warned about at start while a window is on.
    pub default_timezone: Option<String>,
    /// The complaint guard's rolling window, in days (`domain::complaint`).
    pub complaint_window_days: u32,
    /// Spam complaints over survey mail sent in the window above which survey and reminder
    /// mail pause (0.001: Gmail's and Yahoo's 0.1 %).
    pub pause_complaint_rate: f64,
    /// Survey emails the window must hold before the rate is judged.
    pub complaint_min_sent: u64,
    /// Where each answer and unsubscribe is pushed (`[[surveys.webhooks]]`).
    pub webhooks: Vec<super::alerts::SurveyWebhook>,
}

impl SurveysConfig {
    /// `pause_complaint_rate` and `complaint_min_sent`.
    pub fn complaint_limit(&self) -> crate::domain::complaint::ComplaintLimit {
        crate::domain::complaint::ComplaintLimit {
            rate: self.pause_complaint_rate,
            min_sent: self.complaint_min_sent,
        }
    }

    /// The window, on its days.
    pub fn window(&self) -> SendWindow {
        self.send_window.clone().with_days(&self.send_days)
    }

    /// `default_timezone`, or UTC.
    pub fn default_zone(&self) -> chrono_tz::Tz {
        self.default_timezone
            .as_deref()
            .and_then(|z| z.parse().ok())
            .unwrap_or(chrono_tz::UTC)
    }

    /// `link_secret`'s keys, the signing one first (`None`: not configured).
    pub fn link_keys(&self) -> Option<Vec<Vec<u8>>> {
        let secrets = self.link_secret.as_ref()?;
        Some(
            secrets
                .iter()
                .map(|s| s.expose().as_bytes().to_vec())
                .collect(),
        )
    }

    pub fn validate(&self) -> Result<(), super::ConfigError> {
        if let Some(zone) = &self.default_timezone
            && zone.parse::<chrono_tz::Tz>().is_err()
        {
            return Err(super::ConfigError::new(
                "surveys.default_timezone",
                format!(
                    "`{zone}` is not an IANA time zone (e.g. Europe/Berlin, America/Los_Angeles)"
                ),
            ));
        }
        super::alerts::SurveyWebhook::validate_all(&self.webhooks)?;
        // The signing key; the older ones after it only open links already sent.
        if let Some(secrets) = &self.link_secret
            && secrets
                .iter()
                .next()
                .is_some_and(|s| s.expose().chars().count() < 16)
        {
            return Err(super::ConfigError::new(
                "surveys.link_secret",
                "the first (the key that signs) must be at least 16 characters (e.g. `openssl rand -hex 24`)",
            ));
        }
        if self.complaint_window_days == 0 {
            return Err(super::ConfigError::new(
                "surveys.complaint_window_days",
                "must be at least 1",
            ));
        }
        if !(self.pause_complaint_rate > 0.0 && self.pause_complaint_rate < 1.0) {
            return Err(super::ConfigError::new(
                "surveys.pause_complaint_rate",
                "must be a fraction between 0 and 1 (0.001 is 0.1 %)",
            ));
        }
        Ok(())
    }
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
            send_window: "09:00-20:00".parse().expect("the default window parses"),
            send_days: Vec::new(),
            default_timezone: None,
            complaint_window_days: 7,
            pause_complaint_rate: 0.001,
            complaint_min_sent: 200,
            webhooks: Vec::new(),
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

/// `[recheck]`: how live campaigns are checked again besides the `recheck` job's ticks.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RecheckConfig {
    /// After a change a source pushes in (Shopify's inventory webhooks), how long until the live
    /// campaigns it touches are checked again; the changes of that time are checked together.
    pub on_change_delay_s: u64,
}

impl Default for RecheckConfig {
    fn default() -> Self {
        Self {
            on_change_delay_s: 30,
        }
    }
}

/// Cron expressions with seconds (6 or 7 fields); `"off"` disables a job on this instance.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScheduleConfig {
    pub recheck: JobSchedule,
    pub surveys: JobSchedule,
    /// Delivers the survey emails and reminders due (those that waited for a send window).
    pub survey_delivery: JobSchedule,
    /// Delivers queued alerts (and their retries).
    pub alerts: JobSchedule,
    /// Removes what `[retention]` no longer keeps.
    pub retention: JobSchedule,
    /// Reads the campaigns scheduled on `[[platforms]]` and checks them.
    pub watch: JobSchedule,
    /// Re-checks the live campaigns that pushed changes touch, once their delay is over: the
    /// instance that took a change does so on time by itself; this catches what a stopped
    /// instance left (scheduled only with a `shopify-graphql` inventory source).
    pub changes: JobSchedule,
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
            survey_delivery: cron("0 * * * * *"),
            alerts: cron("*/30 * * * * *"),
            retention: cron("0 30 3 * * *"),
            watch: cron("0 */5 * * * *"),
            changes: cron("30 * * * * *"),
            lease_ttl_s: 60,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalystsConfig {
    #[serde(default)]
    pub tokens: Vec<AnalystToken>,
    /// How far ahead an exemption may end (one naming no campaign: at most 30 days anyway).
    #[serde(default = "default_max_exemption_days")]
    pub max_exemption_days: i64,
    /// Sign-in through an OpenID provider, beside (or instead of) tokens.
    #[serde(default)]
    pub oidc: Option<super::oidc::OidcConfig>,
}

fn default_max_exemption_days() -> i64 {
    90
}

impl Default for AnalystsConfig {
    fn default() -> Self {
        Self {
            tokens: Vec::new(),
            max_exemption_days: default_max_exemption_days(),
            oidc: None,
        }
    }
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
