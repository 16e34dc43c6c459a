//! Surveys: the sweep that queues an invitation for every eligible click-but-no-convert
//! recipient, the delivery of everything due (`delivery`), and what the survey and
//! unsubscribe pages record (`answers`).
mod answers;
mod delivery;
mod guard;
mod reminders;

pub use answers::{AnswerProblem, Answered, MAX_COMMENT};
pub use guard::{GuardStatus, ResumeProblem, ResumeView};

use crate::config::{EmailConfig, SurveysConfig};
use crate::domain::AlertTarget;
use crate::domain::attribution::{
    click_locale, click_location, click_zone, decide, eligible_campaigns, person_judgement,
};
use crate::domain::judgement::Coverage;
use crate::domain::send_window::{recipient_zone, spread_of};
pub use crate::domain::wording::Wording;
use crate::email::{Mailer, SurveyLinks};
use crate::i18n::Locale;
use crate::store::{CheckStore, NewClicker, NewInvitation, StoreError};
use chrono::{DateTime, Duration, Utc};
use lettre::message::Mailbox;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

crate::services::store_concerns! {
    /// The store's concerns surveys use: who is eligible (engagement), the invitations and
    /// their reminders, the campaign a survey is about (checks), the answers, the detractor
    /// alerts an answer queues, and the clickers whose windows closed.
    SurveyStores {
        engagement: EngagementStore,
        invitations: InvitationStore,
        reminders: ReminderStore,
        checks: CheckStore,
        answers: AnswerStore,
        alerts: AlertStore,
        clickers: ClickerStore,
        complaints: ComplaintStore,
    }
}

pub struct Surveys {
    pub store: SurveyStores,
    pub mailer: Arc<dyn Mailer>,
    pub links: SurveyLinks,
    pub from: Mailbox,
    pub surveys: SurveysConfig,
    pub email: EmailConfig,
    /// `[alerts]` destinations, for a detractor of a campaign that broke a promise and for
    /// survey mail paused by its complaints.
    pub alert_to: Vec<AlertTarget>,
    /// For the complaint guard's gauge.
    pub metrics: crate::metrics::Metrics,
}

/// The wording of a survey about `campaign_id`: its brand and offer title, from the campaign
/// as the pre-send check stored it (an event-only campaign has neither).
async fn wording_of(
    store: &dyn CheckStore,
    campaign_id: &str,
    default_brand: &str,
) -> Result<Wording, StoreError> {
    let campaign = store
        .campaign(campaign_id)
        .await?
        .and_then(|row| row.campaign().ok());
    Ok(Wording {
        brand: campaign
            .as_ref()
            .and_then(|c| c.brand.clone())
            .unwrap_or_else(|| default_brand.to_owned()),
        offer: campaign.as_ref().and_then(|c| c.offer_title()),
    })
}

/// What `[email] max_per_day` still allows one delivery (or reminder) run: the survey and
/// reminder emails of the last 24 hours counted at its start, each claim then taken from what
/// is left (and what a claim did not use given back). `None`: no cap.
struct Allowance(Option<std::sync::atomic::AtomicU64>);

impl Allowance {
    async fn now(
        store: &dyn crate::store::InvitationStore,
        cap: Option<u64>,
    ) -> Result<Self, StoreError> {
        let Some(cap) = cap else {
            return Ok(Self(None));
        };
        let mailed = store.mailed_since(Utc::now() - Duration::hours(24)).await?;
        let left = cap.saturating_sub(mailed);
        if left == 0 {
            tracing::info!(
                cap,
                "email.max_per_day reached: survey mail waits for the next run"
            );
        }
        Ok(Self(Some(std::sync::atomic::AtomicU64::new(left))))
    }

    /// Up to `wanted` of what is left, taken.
    fn take(&self, wanted: u32) -> u32 {
        use std::sync::atomic::Ordering::SeqCst;
        let Some(left) = &self.0 else { return wanted };
        let mut taken = 0;
        let _ = left.fetch_update(SeqCst, SeqCst, |n| {
            taken = n.min(u64::from(wanted));
            Some(n - taken)
        });
        taken as u32
    }

    /// What a claim took and did not use.
    fn give_back(&self, unused: u32) {
        if let Some(left) = &self.0 {
            left.fetch_add(u64::from(unused), std::sync::atomic::Ordering::SeqCst);
        }
    }
}

/// Campaigns' wordings for the emails of one run, each looked up once.
struct Wordings {
    checks: Arc<dyn CheckStore>,
    default_brand: String,
    cache: std::sync::Mutex<HashMap<String, Wording>>,
}

impl Wordings {
    fn new(checks: Arc<dyn CheckStore>, default_brand: String) -> Self {
        Self {
            checks,
            default_brand,
            cache: std::sync::Mutex::new(HashMap::new()),
        }
    }

    async fn get(&self, campaign_id: &str) -> Result<Wording, StoreError> {
        if let Some(w) = crate::services::outbox::lock(&self.cache).get(campaign_id) {
            return Ok(w.clone());
        }
        let wording = wording_of(self.checks.as_ref(), campaign_id, &self.default_brand).await?;
        crate::services::outbox::lock(&self.cache).insert(campaign_id.to_owned(), wording.clone());
        Ok(wording)
    }
}

impl Surveys {
    /// The brand when a campaign names none.
    pub fn default_brand(&self) -> String {
        self.surveys
            .brand
            .clone()
            .or_else(|| self.from.name.clone())
            .filter(|b| !b.trim().is_empty())
            .unwrap_or_else(|| self.from.email.domain().to_owned())
    }

    /// The wording of a survey about `campaign_id`.
    pub async fn wording(&self, campaign_id: &str) -> Result<Wording, StoreError> {
        wording_of(
            self.store.checks.as_ref(),
            campaign_id,
            &self.default_brand(),
        )
        .await
    }

    /// A cache of campaigns' wordings for one run.
    fn wordings(&self) -> Wordings {
        Wordings::new(self.store.checks.clone(), self.default_brand())
    }

    /// One survey run (the `surveys` job, `promiseguard surveys run`): record the clickers
    /// whose window closed, queue everyone eligible now, then deliver everything due; a
    /// summary line for the log. When `stop` fires, delivery claims nothing more: the sends in
    /// flight finish and are recorded, and what is still queued waits for the next run.
    pub async fn run(&self, stop: &CancellationToken) -> anyhow::Result<String> {
        let run = uuid::Uuid::new_v4().to_string();
        let clickers = self.record_clickers(Utc::now()).await?;
        let queued = self.sweep(Utc::now()).await?;
        if let Some(reason) = self.paused_by_complaints(Utc::now()).await? {
            return Ok(format!(
                "{queued} invitations queued; survey mail paused ({reason}): nothing sent; {clickers} clickers recorded"
            ));
        }
        let d = self.deliver(&run, stop).await?;
        let r = self.remind(&run, stop).await?;
        let reminders = if self.surveys.reminder_after_days == 0 {
            String::new()
        } else {
            format!("; reminders: {r}")
        };
        Ok(format!(
            "{queued} invitations queued; {d}{reminders}; {clickers} clickers recorded"
        ))
    }

    /// What is due now, delivered: survey emails (those that waited for their recipient's
    /// window among them) and reminders — unless the complaint guard holds them paused. A
    /// summary line for the log.
    pub async fn deliver_due(&self, stop: &CancellationToken) -> anyhow::Result<String> {
        if let Some(reason) = self.paused_by_complaints(Utc::now()).await? {
            return Ok(format!("survey mail paused ({reason}): nothing sent"));
        }
        let run = uuid::Uuid::new_v4().to_string();
        let d = self.deliver(&run, stop).await?;
        if self.surveys.reminder_after_days == 0 {
            return Ok(d.to_string());
        }
        let r = self.remind(&run, stop).await?;
        Ok(format!("{d}; reminders: {r}"))
    }

    /// Records every clicker whose attribution window has closed at `now` — what their clicks
    /// met, whether they converted — for the promise insights; each is linked to its
    /// invitation, whichever is stored first. Returns how many were new.
    #[tracing::instrument(skip_all)]
    pub async fn record_clickers(&self, now: DateTime<Utc>) -> anyhow::Result<u64> {
        let window = Duration::hours(self.surveys.attribution_hours as i64);
        let undecided = self.store.clickers.undecided_clickers(now - window).await?;
        if undecided.is_empty() {
            return Ok(0);
        }
        let touches = self
            .store
            .engagement
            .touches(&recipients_of(&undecided))
            .await?;
        let clickers: Vec<NewClicker> = undecided
            .into_iter()
            .filter_map(|(campaign, recipient)| {
                let t = touches
                    .get(&recipient)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let decided = decide(t, &campaign, window, now)?;
                Some(NewClicker { recipient, decided })
            })
            .collect();
        Ok(self.store.clickers.record_clickers(&clickers, now).await?)
    }

    /// Queues invitations for everyone eligible at `now`; returns how many.
    #[tracing::instrument(skip_all)]
    pub async fn sweep(&self, now: DateTime<Utc>) -> anyhow::Result<u64> {
        let window = Duration::hours(self.surveys.attribution_hours as i64);
        let candidates = self.store.engagement.sweep_candidates(now - window).await?;
        if candidates.is_empty() {
            return Ok(0);
        }
        let recipients = recipients_of(&candidates);
        let touches = self.store.engagement.touches(&recipients).await?;
        let mut eligible: HashMap<&str, Vec<String>> = HashMap::new();
        for r in &recipients {
            let t = touches.get(r).map(Vec::as_slice).unwrap_or_default();
            eligible.insert(r, eligible_campaigns(t, window, now));
        }
        let cooldown = Duration::days(self.surveys.cooldown_days as i64);
        // Anyone surveyed within the cooldown — and anyone picked in this sweep — is skipped.
        let mut surveyed = self
            .store
            .invitations
            .surveyed_since(now - cooldown)
            .await?;
        let mut campaign_locales: HashMap<String, Option<String>> = HashMap::new();
        let mut coverages: HashMap<String, Option<Coverage>> = HashMap::new();
        let window = self.surveys.window();
        let mut queue = Vec::new();
        for (campaign, recipient) in candidates {
            if queue.len() as u64 >= self.surveys.max_per_run {
                break;
            }
            let ok = eligible
                .get(recipient.as_str())
                .is_some_and(|c| c.contains(&campaign));
            if !ok || surveyed.contains(&recipient) {
                continue;
            }
            if !campaign_locales.contains_key(&campaign) {
                let locale = self.campaign_locale(&campaign).await?;
                campaign_locales.insert(campaign.clone(), locale);
            }
            let t = touches
                .get(&recipient)
                .map(Vec::as_slice)
                .unwrap_or_default();
            // The recipient's own language first, then the campaign's audience's, then ours.
            let locale = Locale::choose(
                [
                    click_locale(t, &campaign),
                    campaign_locales[&campaign].as_deref(),
                ],
                &self.surveys.default_locale,
            );
            if !coverages.contains_key(&campaign) {
                let covered = self.store.checks.latest_coverage(&campaign).await?;
                coverages.insert(campaign.clone(), covered);
            }
            // Their own zone as an event gave it, else their branch's, else the campaign's.
            let zone = click_zone(t, &campaign).map(str::to_owned).or_else(|| {
                let c = coverages[&campaign].as_ref()?;
                recipient_zone(click_location(t, &campaign), &c.locations, &c.zones)
            });
            let tz = zone
                .as_deref()
                .and_then(|z| z.parse().ok())
                .unwrap_or_else(|| self.surveys.default_zone());
            surveyed.insert(recipient.clone());
            queue.push(NewInvitation {
                promise_state: Some(person_judgement(t, &campaign)),
                send_after: Some(window.send_at(now, tz, spread_of(&recipient))),
                campaign_id: campaign,
                recipient,
                locale: Some(locale.tag()),
                zone,
            });
        }
        let queued = self
            .store
            .invitations
            .queue_invitations(&queue, now)
            .await?;
        self.metrics.ops.surveys_queued.inc_by(queued);
        Ok(queued)
    }

    /// The `locale` the pre-send campaign named, if any.
    async fn campaign_locale(&self, campaign_id: &str) -> anyhow::Result<Option<String>> {
        Ok(self
            .store
            .checks
            .campaign(campaign_id)
            .await?
            .and_then(|row| row.campaign().ok())
            .and_then(|c| c.locale))
    }

    /// The language an invitation is written in: the one chosen when it was queued, else (a
    /// row from before languages, or a catalog since removed) the default.
    pub fn locale_of(&self, stored: Option<&str>) -> Locale {
        Locale::choose([stored], &self.surveys.default_locale)
    }
}

/// The distinct recipients of (campaign, recipient) pairs.
fn recipients_of(pairs: &[(String, String)]) -> Vec<String> {
    pairs
        .iter()
        .map(|(_, r)| r.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect()
}
