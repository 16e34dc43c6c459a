//! The one reminder (`[surveys] reminder_after_days`): a silent invitee — the invitation was
//! `sent` (never one left `unknown` or `failed`), no answer, not unsubscribed or suppressed, not
//! surveyed for another campaign since — gets one more email with the same links, that many
//! days after the invitation. Claimed (committed) before it is sent, at most `max_concurrent`
//! at once; a run that dies mid-send leaves its claims `unknown`, never resent. A reminder is
//! part of its invitation: it is no new survey for the cooldown.
use super::{Surveys, Wording, wording_of};
use crate::domain::{SendError, SendReport};
use crate::email::message::{SurveyEmail, SurveyWords, build};
use crate::store::ClaimedReminder;
use chrono::{Duration, Utc};
use std::collections::HashMap;
use tokio_util::sync::CancellationToken;

impl Surveys {
    /// Sends every reminder due now, until none is or `stop` fires (the batch in flight is
    /// finished and recorded first). Off (nothing done) when `reminder_after_days` is 0.
    #[tracing::instrument(skip_all, fields(run))]
    pub async fn remind(&self, run: &str, stop: &CancellationToken) -> anyhow::Result<SendReport> {
        let mut report = SendReport::default();
        let days = self.surveys.reminder_after_days;
        if days == 0 {
            return Ok(report);
        }
        report.abandoned = self.store.abandon_unfinished_reminders(run).await?;
        if report.abandoned > 0 {
            tracing::warn!(
                abandoned = report.abandoned,
                "reminders left mid-send by an earlier run are now `unknown` and will not be resent"
            );
        }
        let batch = u32::try_from(self.email.max_concurrent.max(1)).unwrap_or(u32::MAX);
        let default_brand = self.default_brand();
        let mut wordings: HashMap<String, Wording> = HashMap::new();
        while !stop.is_cancelled() {
            let sent_before = Utc::now() - Duration::days(days as i64);
            let claimed = self.store.claim_reminders(run, sent_before, batch).await?;
            if claimed.is_empty() {
                break;
            }
            for c in &claimed {
                if !wordings.contains_key(&c.campaign_id) {
                    let w = wording_of(self.store.as_ref(), &c.campaign_id, &default_brand).await?;
                    wordings.insert(c.campaign_id.clone(), w);
                }
            }
            let sends = claimed
                .iter()
                .map(|c| self.send_reminder(c, &wordings[&c.campaign_id]));
            let outcomes = futures::future::join_all(sends).await;
            for (c, outcome) in claimed.iter().zip(outcomes) {
                let recorded = match outcome {
                    Ok(()) => {
                        report.sent += 1;
                        Ok(())
                    }
                    Err(SendError::Transient(e)) => {
                        report.retrying += 1;
                        tracing::warn!(invitation = %c.id, error = %e, "reminder not sent; due again at the next run");
                        Err((e, true))
                    }
                    Err(SendError::Permanent(e)) => {
                        report.failed += 1;
                        tracing::error!(invitation = %c.id, error = %e, "reminder refused for good");
                        Err((e, false))
                    }
                };
                self.store
                    .finish_reminder(&c.id, recorded, Utc::now())
                    .await?;
            }
            if report.retrying > 0 {
                // What failed now is due again at once; leave it to the next run.
                break;
            }
        }
        Ok(report)
    }

    async fn send_reminder(&self, c: &ClaimedReminder, wording: &Wording) -> Result<(), SendError> {
        let locale = self.locale_of(c.locale.as_deref());
        let days = (Utc::now() - c.sent_at).num_days().max(1);
        // Reminders are few and each says its own number of days: worded one by one.
        let words = SurveyWords::new(wording, &locale, Some(days));
        let email = SurveyEmail {
            invitation_id: &c.id,
            recipient: &c.recipient,
            words: &words,
        };
        let message = build(&email, &self.from, &self.links).map_err(SendError::Permanent)?;
        self.mailer.send(message).await
    }
}
