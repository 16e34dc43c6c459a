//! The one reminder (`[surveys] reminder_after_days`): a silent invitee — the invitation was
//! `sent` (never one left `unknown` or `failed`), no answer, not unsubscribed or suppressed, not
//! surveyed for another campaign since — gets one more email with the same links, that many
//! days after the invitation. An outbox of its own (`services::outbox` runs it): claimed
//! (committed) before it is sent, at most `max_concurrent` at once; a run that dies mid-send
//! leaves its claims `unknown`, never resent. A reminder is part of its invitation: it is no new
//! survey for the cooldown.
use super::{Allowance, Surveys, Wordings};
use crate::domain::send_window::{SendWindow, spread_of};
use crate::domain::{SendError, SendOutcome, SendReport};
use crate::email::message::{SurveyEmail, SurveyWords, build};
use crate::email::{Mailer, SurveyLinks};
use crate::i18n::Locale;
use crate::services::outbox::{self, Outbox};
use crate::store::{ClaimedReminder, ReminderStore, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use lettre::message::Mailbox;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio_util::sync::CancellationToken;

impl Surveys {
    /// Sends every reminder due now, until none is or `stop` fires (the sends in flight are
    /// finished and recorded first). Off (nothing done) when `reminder_after_days` is 0.
    #[tracing::instrument(skip_all, fields(run))]
    pub async fn remind(&self, run: &str, stop: &CancellationToken) -> anyhow::Result<SendReport> {
        let days = self.surveys.reminder_after_days;
        if days == 0 {
            return Ok(SendReport::default());
        }
        let allowance =
            Allowance::now(self.store.invitations.as_ref(), self.email.max_per_day).await?;
        let reminding = Arc::new(Reminding {
            allowance,
            window: self.surveys.window(),
            default_zone: self.surveys.default_zone(),
            reminders: self.store.reminders.clone(),
            mailer: self.mailer.clone(),
            links: self.links.clone(),
            from: self.from.clone(),
            default_locale: self.surveys.default_locale.clone(),
            days: Duration::try_days(i64::try_from(days).unwrap_or(i64::MAX))
                .unwrap_or(Duration::MAX),
            wordings: self.wordings(),
            deferred: AtomicBool::new(false),
        });
        outbox::deliver(reminding, run, self.email.max_concurrent, stop).await
    }
}

/// Claims in a row that may all be given back to their windows before one run stops claiming.
const MAX_DEFERRING_CLAIMS: usize = 20;

/// What the sending workers of one reminder run share.
struct Reminding {
    /// `[email] max_per_day`.
    allowance: Allowance,
    /// `[surveys] send_window`: a reminder waits for its recipient's window too.
    window: SendWindow,
    default_zone: chrono_tz::Tz,
    reminders: Arc<dyn ReminderStore>,
    mailer: Arc<dyn Mailer>,
    links: SurveyLinks,
    from: Mailbox,
    default_locale: Locale,
    /// `reminder_after_days`.
    days: Duration,
    wordings: Wordings,
    /// A send failed for now: its reminder is due again at once, so this run claims no more
    /// and leaves it to the next.
    deferred: AtomicBool,
}

#[async_trait]
impl Outbox for Reminding {
    type Item = ClaimedReminder;
    const WHAT: &'static str = "reminder";

    fn id(item: &ClaimedReminder) -> &str {
        &item.id
    }

    async fn abandon(&self, run: &str) -> Result<u64, StoreError> {
        self.reminders.abandon_unfinished_reminders(run).await
    }

    async fn finish_and_claim(
        &self,
        run: &str,
        finished: &[(String, SendOutcome)],
        wanted: u32,
    ) -> Result<Vec<ClaimedReminder>, StoreError> {
        for (id, outcome) in finished {
            let recorded = match outcome {
                SendOutcome::Sent => Ok(()),
                SendOutcome::Retry { error, .. } => Err((error.clone(), true)),
                SendOutcome::Failed { error } => Err((error.clone(), false)),
            };
            self.reminders
                .finish_reminder(id, recorded, Utc::now())
                .await?;
        }
        if wanted == 0 || self.deferred.load(Ordering::Relaxed) {
            return Ok(Vec::new());
        }
        let sent_before = Utc::now()
            .checked_sub_signed(self.days)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let claims = self.allowance.take(wanted);
        if claims == 0 {
            return Ok(Vec::new());
        }
        // A claim whose recipient's window is shut is given back until it opens; claim again
        // while a whole claim was given back (those are not claimed again before then).
        let now = Utc::now();
        let mut ready = Vec::new();
        for _ in 0..MAX_DEFERRING_CLAIMS {
            let claimed = self
                .reminders
                .claim_reminders(run, sent_before, now, claims)
                .await?;
            let found = claimed.len();
            for c in claimed {
                let zone = c.zone.as_deref().and_then(|z| z.parse().ok());
                let at = self.window.send_at(
                    now,
                    zone.unwrap_or(self.default_zone),
                    spread_of(&c.recipient),
                );
                if at > now {
                    self.reminders.defer_reminder(&c.id, at).await?;
                } else {
                    ready.push(c);
                }
            }
            if !ready.is_empty() || found < claims as usize {
                break;
            }
        }
        self.allowance
            .give_back(claims.saturating_sub(ready.len() as u32));
        Ok(ready)
    }

    async fn send(&self, c: &ClaimedReminder) -> Result<(), SendError> {
        let wording = self
            .wordings
            .get(&c.campaign_id)
            .await
            .map_err(|e| SendError::Transient(e.to_string()))?;
        let locale = Locale::choose([c.locale.as_deref()], &self.default_locale);
        let days = (Utc::now() - c.sent_at).num_days().max(1);
        // Reminders are few and each says its own number of days: worded one by one.
        let words = SurveyWords::new(&wording, &locale, Some(days));
        let email = SurveyEmail {
            invitation_id: &c.id,
            recipient: &c.recipient,
            words: &words,
        };
        let message = build(&email, &self.from, &self.links).map_err(SendError::Permanent)?;
        self.mailer.send(message).await
    }

    /// No retry schedule: a reminder that failed for now is due again at the next run.
    fn outcome(&self, _: &ClaimedReminder, result: Result<(), SendError>) -> SendOutcome {
        match result {
            Ok(()) => SendOutcome::Sent,
            Err(SendError::Transient(error)) => {
                self.deferred.store(true, Ordering::Relaxed);
                SendOutcome::Retry {
                    at: Utc::now(),
                    error,
                }
            }
            Err(SendError::Permanent(error)) => SendOutcome::Failed { error },
        }
    }
}
