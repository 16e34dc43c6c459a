//! What the survey and unsubscribe pages do: find the invitation a signed link names, record
//! an answer (the last one wins), unsubscribe its address.
use super::Surveys;
use crate::domain::nps::{Reason, SurveyAnswer};
use crate::domain::response::ResponseHook;
use crate::store::{InvitationRow, StoreError};
use chrono::Utc;

/// Longest comment kept with an answer, in characters.
pub const MAX_COMMENT: usize = 2000;

/// An answer as the survey form posts it, checked: a score from 0 to 10, an optional comment
/// of at most `MAX_COMMENT` characters, and an optional reason (the promise question).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answered {
    pub score: u8,
    /// Trimmed; `None` when empty.
    pub comment: Option<String>,
    /// "Were you able to use the offer?"; `None` when not answered.
    pub reason: Option<Reason>,
}

/// Why a posted answer cannot be recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerProblem {
    /// No score, or not a whole number from 0 to 10.
    NoScore,
    /// The score is good; the comment is longer than `MAX_COMMENT`.
    CommentTooLong { score: u8 },
    /// The score is good; the reason is none of the offered values (a tampered form).
    UnknownReason { score: u8 },
}

impl Answered {
    pub fn parse(
        score: Option<&str>,
        comment: Option<&str>,
        reason: Option<&str>,
    ) -> Result<Self, AnswerProblem> {
        let score = score
            .and_then(|s| s.trim().parse::<u8>().ok())
            .filter(|s| *s <= 10)
            .ok_or(AnswerProblem::NoScore)?;
        let comment = comment.unwrap_or_default().trim();
        if comment.chars().count() > MAX_COMMENT {
            return Err(AnswerProblem::CommentTooLong { score });
        }
        let reason = match reason.map(str::trim).filter(|r| !r.is_empty()) {
            None => None,
            Some(r) => Some(
                r.parse::<Reason>()
                    .map_err(|_| AnswerProblem::UnknownReason { score })?,
            ),
        };
        Ok(Self {
            score,
            comment: (!comment.is_empty()).then(|| comment.to_owned()),
            reason,
        })
    }
}

impl Surveys {
    /// The invitation a survey or unsubscribe link names; `None` for a tampered token or an
    /// invitation that does not exist.
    pub async fn invitation(&self, token: &str) -> Result<Option<InvitationRow>, StoreError> {
        match self.links.verify(token) {
            Some(id) => self.store.invitations.invitation(&id).await,
            None => Ok(None),
        }
    }

    /// Records the answer, queuing in its transaction the response event it is for each
    /// `[[surveys.webhooks]]` destination that wants it; a detractor's (0–6) on a campaign that
    /// broke a promise queues one alert per `[alerts]` destination — once per invitation,
    /// however often it is re-sent.
    pub async fn answer(
        &self,
        invitation: &InvitationRow,
        answer: &Answered,
    ) -> Result<(), StoreError> {
        let now = Utc::now();
        self.store
            .answers
            .record_answer_pushed(
                &invitation.id,
                SurveyAnswer {
                    score: answer.score,
                    comment: answer.comment.as_deref(),
                    reason: answer.reason,
                },
                &self.response_hooks(),
                now,
            )
            .await?;
        if invitation.score.is_none() {
            self.metrics.ops.surveys_answered.inc();
        }
        if answer.score <= 6 && !self.alert_to.is_empty() {
            let queued = self
                .store
                .alerts
                .queue_detractor_alerts(&invitation.id, &self.alert_to, now)
                .await?;
            if queued > 0 {
                tracing::info!(invitation = %invitation.id, campaign = %invitation.campaign_id, queued, "a detractor of a campaign that broke a promise: alert queued");
            }
        }
        Ok(())
    }

    /// Suppresses the invitation's address from every later survey (the first time, queuing
    /// `survey.unsubscribed` for the destinations that want it).
    pub async fn unsubscribe(&self, invitation: &InvitationRow) -> Result<(), StoreError> {
        self.store
            .answers
            .unsubscribe_pushed(&invitation.id, &self.response_hooks(), Utc::now())
            .await?;
        self.metrics.ops.surveys_unsubscribed.inc();
        tracing::info!(invitation = %invitation.id, "unsubscribed from surveys");
        Ok(())
    }
}

impl Surveys {
    /// `[[surveys.webhooks]]`, without their keys.
    fn response_hooks(&self) -> Vec<ResponseHook> {
        self.surveys.webhooks.iter().map(|w| w.hook()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_need_a_score_from_0_to_10_and_a_short_comment() {
        assert_eq!(
            Answered::parse(Some(" 9 "), Some("  great  "), Some("used")),
            Ok(Answered {
                score: 9,
                comment: Some("great".into()),
                reason: Some(Reason::Used),
            })
        );
        let plain = Answered::parse(Some("0"), Some(""), Some("")).unwrap();
        assert_eq!((plain.comment, plain.reason), (None, None));
        for bad in [None, Some("11"), Some("-1"), Some("nine")] {
            assert_eq!(
                Answered::parse(bad, None, None),
                Err(AnswerProblem::NoScore)
            );
        }
        let long = "é".repeat(MAX_COMMENT + 1);
        assert_eq!(
            Answered::parse(Some("3"), Some(&long), None),
            Err(AnswerProblem::CommentTooLong { score: 3 })
        );
        assert!(Answered::parse(Some("3"), Some(&"é".repeat(MAX_COMMENT)), None).is_ok());
        assert_eq!(
            Answered::parse(Some("3"), None, Some("closed")),
            Err(AnswerProblem::UnknownReason { score: 3 })
        );
    }
}
