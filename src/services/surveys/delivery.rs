//! Survey emails as an outbox (`services::outbox` runs it): each due invitation claimed in the
//! sending workers' group commit, its email built from its campaign's words in its language
//! (formatted once per run) and sent. An invitation found claimed by a run that did not finish
//! becomes `unknown` and is never sent by itself: a duplicate survey is worse than a missing
//! one.
use super::{Allowance, Surveys, Wordings};
use crate::domain::outbox::GroupCommit;
use crate::domain::send_window::{SendWindow, spread_of};
use crate::domain::{RetrySchedule, SendError, SendOutcome, SendReport};
use crate::email::message::{SurveyEmail, SurveyWords, build};
use crate::email::{Mailer, SurveyLinks};
use crate::i18n::Locale;
use crate::services::outbox::{self, Outbox, lock};
use crate::store::{ClaimedInvitation, InvitationStore, StoreError};
use async_trait::async_trait;
use chrono::Utc;
use lettre::message::Mailbox;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

impl Surveys {
    /// Sends every invitation due now, `max_concurrent` at a time, until none is due — or
    /// until `stop` fires: then nothing more is claimed, and the sends in flight finish and are
    /// recorded.
    #[tracing::instrument(skip_all, fields(run))]
    pub async fn deliver(&self, run: &str, stop: &CancellationToken) -> anyhow::Result<SendReport> {
        let allowance =
            Allowance::now(self.store.invitations.as_ref(), self.email.max_per_day).await?;
        let delivery = Arc::new(Delivery {
            allowance,
            window: self.surveys.window(),
            default_zone: self.surveys.default_zone(),
            invitations: self.store.invitations.clone(),
            mailer: self.mailer.clone(),
            links: self.links.clone(),
            from: self.from.clone(),
            retry: self.email.retry_schedule(),
            default_locale: self.surveys.default_locale.clone(),
            wordings: self.wordings(),
            words: Mutex::new(HashMap::new()),
        });
        let report = outbox::deliver(delivery, run, self.email.max_concurrent, stop).await?;
        self.metrics.ops.surveys_sent.inc_by(report.sent);
        Ok(report)
    }
}

/// The email's words by (campaign, the invitation's stored locale).
type WordsByCampaign = HashMap<(String, Option<String>), Arc<SurveyWords>>;

/// What the sending workers of one delivery run share.
struct Delivery {
    /// `[email] max_per_day`.
    allowance: Allowance,
    /// `[surveys] send_window`: a retry waits for the recipient's window too.
    window: SendWindow,
    default_zone: chrono_tz::Tz,
    invitations: Arc<dyn InvitationStore>,
    mailer: Arc<dyn Mailer>,
    links: SurveyLinks,
    from: Mailbox,
    retry: RetrySchedule,
    /// For invitations queued before languages (no `locale`).
    default_locale: Locale,
    wordings: Wordings,
    /// The email's words for each (campaign, stored locale), formatted once per run.
    words: Mutex<WordsByCampaign>,
}

impl Delivery {
    /// The words of a campaign's email in an invitation's language, formatted once per run.
    async fn words(&self, inv: &ClaimedInvitation) -> Result<Arc<SurveyWords>, StoreError> {
        let key = (inv.campaign_id.clone(), inv.locale.clone());
        if let Some(words) = lock(&self.words).get(&key) {
            return Ok(words.clone());
        }
        let wording = self.wordings.get(&inv.campaign_id).await?;
        let locale = Locale::choose([inv.locale.as_deref()], &self.default_locale);
        let words = Arc::new(SurveyWords::new(&wording, &locale, None));
        lock(&self.words).insert(key, words.clone());
        Ok(words)
    }
}

#[async_trait]
impl Outbox for Delivery {
    type Item = ClaimedInvitation;
    const WHAT: &'static str = "survey email";

    fn id(item: &ClaimedInvitation) -> &str {
        &item.id
    }

    async fn abandon(&self, run: &str) -> Result<u64, StoreError> {
        self.invitations.abandon_unfinished_sends(run).await
    }

    async fn finish_and_claim(
        &self,
        run: &str,
        finished: &[(String, SendOutcome)],
        wanted: u32,
    ) -> Result<Vec<ClaimedInvitation>, StoreError> {
        let claims = self.allowance.take(wanted);
        let claimed = self
            .invitations
            .finish_and_claim(run, Utc::now(), GroupCommit { finished, claims })
            .await?;
        self.allowance
            .give_back(claims.saturating_sub(claimed.len() as u32));
        Ok(claimed)
    }

    async fn send(&self, inv: &ClaimedInvitation) -> Result<(), SendError> {
        // The store failing to give a campaign's words is worth trying again.
        let words = self
            .words(inv)
            .await
            .map_err(|e| SendError::Transient(e.to_string()))?;
        let email = SurveyEmail {
            invitation_id: &inv.id,
            recipient: &inv.recipient,
            words: &words,
        };
        let message = build(&email, &self.from, &self.links).map_err(SendError::Permanent)?;
        self.mailer.send(message).await
    }

    fn outcome(&self, inv: &ClaimedInvitation, result: Result<(), SendError>) -> SendOutcome {
        match self.retry.outcome(inv.attempts, result, Utc::now()) {
            SendOutcome::Retry { at, error } => {
                let zone = inv.zone.as_deref().and_then(|z| z.parse().ok());
                let zone = zone.unwrap_or(self.default_zone);
                let at = self.window.send_at(at, zone, spread_of(&inv.recipient));
                SendOutcome::Retry { at, error }
            }
            other => other,
        }
    }
}
