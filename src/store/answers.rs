//! Survey answers (the last answer wins), unsubscribes, and the numbers analysts read of them:
//! NPS per campaign, and answers split by whether the campaign broke a promise.
use super::db::{Db, on_pool};
use super::responses::{ANSWER_NOW_POSTGRES, ANSWER_NOW_SQLITE, AnswerNow, queue_response};
use super::rows::{from_millis, millis};
use super::writer::on_writer;
use super::{SqlStore, StoreError};
use crate::domain::nps::{NpsSummary, Reason, SurveyAnswer};
use crate::domain::response::{ResponseEvent, ResponseHook};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Connection;

/// Whether the campaign of invitation `i` broke a promise: a finding of any of its checks —
/// except a `scheduled` check that was not its last before its send time (a campaign fixed
/// before it was sent broke nothing).
macro_rules! broke_a_promise {
    () => {
        "EXISTS (SELECT 1 FROM findings f JOIN checks k ON k.id = f.check_id
                 WHERE f.campaign_id = i.campaign_id
                   AND (k.phase <> 'scheduled'
                        OR NOT EXISTS (SELECT 1 FROM checks later
                                       WHERE later.campaign_id = k.campaign_id
                                         AND later.checked_at > k.checked_at
                                         AND later.checked_at < k.send_at)))"
    };
}
pub(super) use broke_a_promise;

#[async_trait]
pub trait AnswerStore: Send + Sync {
    /// Records a survey answer (the last one wins) and, in its transaction, queues the response
    /// event it is (`created`, `updated`; none for an identical re-submission) to each of
    /// `hooks` that wants it. False if there is no such invitation.
    async fn record_answer_pushed(
        &self,
        id: &str,
        answer: SurveyAnswer<'_>,
        hooks: &[ResponseHook],
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// `record_answer_pushed` with no destination.
    async fn record_answer(
        &self,
        id: &str,
        answer: SurveyAnswer<'_>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.record_answer_pushed(id, answer, &[], now).await
    }

    /// Unsubscribes the invitation's address from all surveys and, the first time, queues
    /// `survey.unsubscribed` to each of `hooks` that wants it. False if no such invitation.
    async fn unsubscribe_pushed(
        &self,
        id: &str,
        hooks: &[ResponseHook],
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// `unsubscribe_pushed` with no destination.
    async fn unsubscribe(&self, id: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.unsubscribe_pushed(id, &[], now).await
    }

    async fn nps(&self, campaign_id: &str) -> Result<NpsReport, StoreError>;

    /// Survey answers per campaign (only campaigns with answers), and whether each broke a
    /// promise; one campaign with `Some`.
    async fn promise_answers(
        &self,
        campaign_id: Option<&str>,
    ) -> Result<Vec<CampaignAnswers>, StoreError>;
}

#[derive(Debug, Clone, PartialEq)]
pub struct NpsComment {
    pub score: u8,
    pub comment: String,
    pub answered_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NpsReport {
    /// Invitations emailed (sent, or possibly sent before a crash).
    pub invited: u64,
    pub summary: NpsSummary,
    /// Newest first, at most 100.
    pub comments: Vec<NpsComment>,
}

/// Survey answers of one campaign, and whether it broke a promise (any block or flag finding
/// in any of its checks, at send or while live).
pub type CampaignAnswers = crate::domain::insight::CampaignScores;

impl SqlStore {
    /// The read of an answer before and after it is written (locking the row on PostgreSQL).
    fn answer_now(&self) -> &'static str {
        match self.writer() {
            Db::Postgres(_) => ANSWER_NOW_POSTGRES,
            Db::Sqlite(_) => ANSWER_NOW_SQLITE,
        }
    }
}

#[async_trait]
impl AnswerStore for SqlStore {
    async fn record_answer_pushed(
        &self,
        id: &str,
        answer: SurveyAnswer<'_>,
        hooks: &[ResponseHook],
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let SurveyAnswer {
            score,
            comment,
            reason,
        } = answer;
        let begin = self.db().begin_write();
        let answer_now = self.answer_now();
        let n = on_writer!(self, conn => {
            let mut tx = conn.begin_with(begin).await?;
            let before: Option<AnswerNow> = if hooks.is_empty() {
                None
            } else {
                sqlx::query_as(answer_now).bind(id).fetch_optional(&mut *tx).await?
            };
            let n = sqlx::query(
                "UPDATE invitations SET score = $2, comment = $3, answered_at = $4, reason = $5 WHERE id = $1",
            )
            .bind(id)
            .bind(i64::from(score))
            .bind(comment)
            .bind(millis(now))
            .bind(reason.map(Reason::as_str))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            // The clicker keeps the answer without the address (`store::clickers`).
            for copy in [
                "UPDATE clickers SET score = $2, reason = $3 WHERE invitation_id = $1",
                // One clicker an invitation ((campaign, recipient) is unique in both).
                "UPDATE clicker_promises SET score = $2, reason = $3
                 WHERE clicker_id = (SELECT id FROM clickers WHERE invitation_id = $1 LIMIT 1)",
            ] {
                sqlx::query(copy)
                    .bind(id)
                    .bind(i64::from(score))
                    .bind(reason.map(Reason::as_str))
                    .execute(&mut *tx)
                    .await?;
            }
            if let Some(before) = before {
                let after: AnswerNow = sqlx::query_as(answer_now).bind(id).fetch_one(&mut *tx).await?;
                if let Some(event) = ResponseEvent::of_answer(&before.state(), &after.state()) {
                    queue_response!(tx, id, event, hooks, now);
                }
            }
            tx.commit().await?;
            Ok::<_, StoreError>(n)
        })?;
        Ok(n == 1)
    }

    async fn unsubscribe_pushed(
        &self,
        id: &str,
        hooks: &[ResponseHook],
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let begin = self.db().begin_write();
        let answer_now = self.answer_now();
        on_writer!(self, conn => {
            let mut tx = conn.begin_with(begin).await?;
            let recipient: Option<(String,)> = sqlx::query_as("SELECT recipient FROM invitations WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some((recipient,)) = recipient else {
                return Ok(false);
            };
            let before: AnswerNow = sqlx::query_as(answer_now).bind(id).fetch_one(&mut *tx).await?;
            sqlx::query("UPDATE invitations SET unsubscribed_at = COALESCE(unsubscribed_at, $2) WHERE id = $1")
                .bind(id)
                .bind(millis(now))
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO suppressions (address, reason, created_at) VALUES ($1, $3, $2)
                 ON CONFLICT (address) DO NOTHING",
            )
            .bind(&recipient)
            .bind(millis(now))
            .bind(super::engagement::SURVEY_UNSUBSCRIBE)
            .execute(&mut *tx)
            .await?;
            sqlx::query(super::engagement::WITHDRAW_WAITING)
                .bind(&recipient)
                .bind(super::engagement::SURVEY_UNSUBSCRIBE)
                .execute(&mut *tx)
                .await?;
            if before.unsubscribed_at.is_none() {
                queue_response!(tx, id, ResponseEvent::Unsubscribed, hooks, now);
            }
            tx.commit().await?;
            Ok::<_, StoreError>(true)
        })
    }

    async fn nps(&self, campaign_id: &str) -> Result<NpsReport, StoreError> {
        let (invited,): (i64,) = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT COUNT(*) FROM invitations WHERE campaign_id = $1 AND status IN ('sent', 'unknown')",
        )
        .bind(campaign_id)
        .fetch_one(pool)
        .await)?;
        let scores: Vec<(i64, i64)> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT score, COUNT(*) FROM invitations WHERE campaign_id = $1 AND score IS NOT NULL GROUP BY score",
        )
        .bind(campaign_id)
        .fetch_all(pool)
        .await)?;
        let mut distribution = [0u64; 11];
        for (score, n) in scores {
            if let Some(slot) = distribution.get_mut(score as usize) {
                *slot = n as u64;
            }
        }
        let reasons: Vec<(String, i64)> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT reason, COUNT(*) FROM invitations
             WHERE campaign_id = $1 AND score IS NOT NULL AND reason IS NOT NULL GROUP BY reason",
        )
        .bind(campaign_id)
        .fetch_all(pool)
        .await)?;
        let mut summary = NpsSummary::from_distribution(distribution);
        summary.reasons = reason_counts(reasons.into_iter())?;
        let comments: Vec<(i64, String, i64)> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT score, comment, answered_at FROM invitations
             WHERE campaign_id = $1 AND score IS NOT NULL AND comment IS NOT NULL AND comment <> ''
             ORDER BY answered_at DESC LIMIT 100",
        )
        .bind(campaign_id)
        .fetch_all(pool)
        .await)?;
        Ok(NpsReport {
            invited: invited as u64,
            summary,
            comments: comments
                .into_iter()
                .map(|(score, comment, at)| NpsComment {
                    score: score as u8,
                    comment,
                    answered_at: from_millis(at),
                })
                .collect(),
        })
    }

    async fn promise_answers(
        &self,
        campaign_id: Option<&str>,
    ) -> Result<Vec<CampaignAnswers>, StoreError> {
        type Raw = (String, Option<String>, i64, i64, i64);
        let rows: Vec<Raw> = on_pool!(self.db(), pool => {
            let mut q = sqlx::QueryBuilder::new(
                concat!("SELECT i.campaign_id, c.name,
                        CAST(CASE WHEN ", broke_a_promise!(), "
                             THEN 1 ELSE 0 END AS BIGINT) AS broken,
                        i.score, COUNT(*)
                 FROM invitations i JOIN campaigns c ON c.id = i.campaign_id
                 WHERE i.score IS NOT NULL"),
            );
            if let Some(id) = campaign_id {
                q.push(" AND i.campaign_id = ").push_bind(id.to_owned());
            }
            q.push(" GROUP BY i.campaign_id, c.name, i.score ORDER BY i.campaign_id");
            q.build_query_as().fetch_all(pool).await
        })?;
        let mut out: Vec<CampaignAnswers> = Vec::new();
        for (campaign_id, name, broken, score, n) in rows {
            if out
                .last()
                .is_none_or(|last| last.campaign_id != campaign_id)
            {
                out.push(CampaignAnswers {
                    campaign_id,
                    name,
                    broken: broken != 0,
                    distribution: [0; 11],
                    reasons: Default::default(),
                });
            }
            if let (Some(last), Some(slot)) = (out.last_mut(), usize::try_from(score).ok())
                && let Some(count) = last.distribution.get_mut(slot)
            {
                *count = n as u64;
            }
        }
        let reasons: Vec<(String, String, i64)> = on_pool!(self.db(), pool => {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT campaign_id, reason, COUNT(*) FROM invitations
                 WHERE score IS NOT NULL AND reason IS NOT NULL",
            );
            if let Some(id) = campaign_id {
                q.push(" AND campaign_id = ").push_bind(id.to_owned());
            }
            q.push(" GROUP BY campaign_id, reason");
            q.build_query_as().fetch_all(pool).await
        })?;
        // By id, not by position: PostgreSQL orders text by its collation, not by bytes.
        let at: std::collections::HashMap<String, usize> = out
            .iter()
            .enumerate()
            .map(|(i, c)| (c.campaign_id.clone(), i))
            .collect();
        for (campaign_id, reason, n) in reasons {
            if let Some(&i) = at.get(&campaign_id) {
                let reason = reason.parse::<Reason>().map_err(StoreError::Corrupt)?;
                out[i].reasons.insert(reason, n as u64);
            }
        }
        Ok(out)
    }
}

/// Reason counts as stored; a reason this build does not know is corrupt data.
fn reason_counts(
    rows: impl Iterator<Item = (String, i64)>,
) -> Result<crate::domain::nps::ReasonCounts, StoreError> {
    rows.map(|(reason, n)| {
        let reason = reason.parse::<Reason>().map_err(StoreError::Corrupt)?;
        Ok((reason, n as u64))
    })
    .collect()
}
