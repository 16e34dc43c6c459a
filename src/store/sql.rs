//! The one implementation of `Store`, for both backends. SQL here is portable: `$n`
//! placeholders (SQLite reads them too), `ON CONFLICT`, TEXT and BIGINT only.
use super::db::on_pool;
use super::records::{from_millis, millis};
use super::sql_analyst::{FindingRaw, finding_record, select_finding};
use super::sqlite_claims::SqliteClaims;
use super::{
    AlertRow, AlertTarget, CampaignAnswers, CampaignFilter, CampaignRow, CampaignSummary, CheckRow,
    ClaimedAlert, ClaimedInvitation, Db, EventsRecorded, FindingRecord, InvitationRow, NewAnswer,
    NewCheck, NpsReport, Recorded, ReviewAction, ReviewRow, ReviewState, SendOutcome, Store,
    StoreError, StoredAnswer, StoredFinding,
};
use crate::domain::attribution::Touch;
use crate::domain::event::EngagementEvent;
use crate::domain::{Finding, Severity};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::pool::PoolConnection;
use sqlx::{Connection, Sqlite, SqliteConnection, SqlitePool};
use std::collections::HashMap;
use std::collections::HashSet;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct SqlStore {
    /// Reads (and, on PostgreSQL, writes).
    db: Db,
    /// Writes: on SQLite a pool of one connection, on PostgreSQL the same pool as `db`.
    writer: Db,
    /// SQLite has one writer at a time. This process's writers take turns here — and each turn
    /// uses the one writer connection, held across turns — instead of contending for the
    /// database lock, where SQLite's busy handler would put them to sleep in growing steps (1, 2,
    /// 5, 10… ms); `busy_timeout` still covers other processes. Holding the connection also
    /// spares every write the pool's check-out and check-in, each a round trip to SQLite's
    /// worker thread (bench/README.md, sweep).
    sqlite_writer: Arc<tokio::sync::Mutex<Option<PoolConnection<Sqlite>>>>,
    /// On SQLite, the connection the survey senders' group commit runs on (see its module).
    sqlite_claims: Option<Arc<SqliteClaims>>,
}

/// This process's turn to write to SQLite, with the writer connection. A turn that does not end
/// with an `Ok` from its body — an error, an early `return`, a cancelled future — gives the
/// connection back to the pool, which tests it and rolls back anything left open, and the next
/// turn checks one out again.
pub(super) struct SqliteTurn<'a> {
    held: tokio::sync::MutexGuard<'a, Option<PoolConnection<Sqlite>>>,
    clean: bool,
}

impl SqliteTurn<'_> {
    pub(super) fn connection(&mut self) -> Result<&mut SqliteConnection, StoreError> {
        // Present from `sqlite_turn` on; only this turn's own end takes it away.
        self.held
            .as_deref_mut()
            .ok_or(StoreError::Database(sqlx::Error::PoolClosed))
    }

    pub(super) fn finish<T, E>(mut self, result: Result<T, E>) -> Result<T, E> {
        self.clean = result.is_ok();
        result
    }
}

impl Drop for SqliteTurn<'_> {
    fn drop(&mut self) {
        if !self.clean {
            self.held.take();
        }
    }
}

/// Runs `$body` with `$conn` bound to a `&mut` connection that may write: on SQLite the store's
/// writer connection, for this process's turn to write (see [`SqlStore`]); on PostgreSQL one
/// checked out of the pool. Like `on_pool!`, the body is compiled once per backend.
macro_rules! on_writer {
    ($store:expr, $conn:ident => $body:expr) => {
        match $store.writer() {
            $crate::store::Db::Sqlite(pool) => {
                let mut turn = $store.sqlite_turn(pool).await?;
                let result = {
                    let $conn = turn.connection()?;
                    $body
                };
                turn.finish(result)
            }
            $crate::store::Db::Postgres(pool) => {
                let mut held = pool.acquire().await?;
                let $conn = &mut *held;
                $body
            }
        }
    };
}
pub(super) use on_writer;

impl SqlStore {
    pub fn new(db: Db, writer: Db) -> Self {
        let sqlite_claims = match &writer {
            Db::Sqlite(pool) => Some(Arc::new(SqliteClaims::new(
                pool.connect_options().get_filename().to_owned(),
            ))),
            Db::Postgres(_) => None,
        };
        Self {
            db,
            writer,
            sqlite_writer: Arc::new(tokio::sync::Mutex::new(None)),
            sqlite_claims,
        }
    }

    /// The SQLite store's claims connection (every SQLite store has one, made in `new`).
    pub(super) fn sqlite_claims(&self) -> Result<&SqliteClaims, StoreError> {
        self.sqlite_claims.as_deref().ok_or_else(|| {
            StoreError::Database(sqlx::Error::Configuration(
                "a SQLite store without its survey claims connection".into(),
            ))
        })
    }

    /// Waits for this process's turn to write to SQLite (FIFO), and checks the writer
    /// connection out of its pool if no earlier turn holds it.
    pub(super) async fn sqlite_turn(
        &self,
        pool: &SqlitePool,
    ) -> Result<SqliteTurn<'_>, StoreError> {
        let mut held = self.sqlite_writer.lock().await;
        if held.is_none() {
            *held = Some(pool.acquire().await?);
        }
        Ok(SqliteTurn { held, clean: false })
    }

    /// The pool for reads.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The pool for writes (see [`Db::connect`]).
    pub(super) fn writer(&self) -> &Db {
        &self.writer
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        // The migrator checks the writer connection out of its pool itself: the one held across
        // writes goes back for as long as it runs, and this process's writers wait.
        let mut held = self.sqlite_writer.lock().await;
        held.take();
        self.writer.migrate().await
    }

    /// Closes both pools, waiting for connections in use to be returned.
    pub async fn close(&self) {
        let mut held = self.sqlite_writer.lock().await;
        if let Some(claims) = &self.sqlite_claims {
            claims.close();
        }
        held.take();
        drop(held);
        self.writer.close().await;
        self.db.close().await;
    }
}

const UPSERT_CAMPAIGN: &str = "
INSERT INTO campaigns (id, name, platform, definition, window_start, window_end, created_at, updated_at,
                       latest_check_id, latest_verdict, latest_checked_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10)
ON CONFLICT (id) DO UPDATE SET
    name = COALESCE(excluded.name, campaigns.name),
    platform = COALESCE(excluded.platform, campaigns.platform),
    definition = excluded.definition,
    window_start = excluded.window_start,
    window_end = excluded.window_end,
    updated_at = excluded.updated_at,
    latest_check_id = excluded.latest_check_id,
    latest_verdict = excluded.latest_verdict,
    latest_checked_at = excluded.latest_checked_at";

const INSERT_CHECK: &str = "
INSERT INTO checks (id, campaign_id, phase, mode, verdict, send_at, checked_at, result)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

const INSERT_FINDINGS: &str = "
INSERT INTO findings (id, check_id, position, campaign_id, offer_id, rule, severity, target_sku,
                      target_location, message, evidence, created_at, fingerprint, is_new,
                      review_state) ";
/// 15 parameters a row: 500 rows stay well under SQLite's limit of 32,766 parameters.
const FINDINGS_PER_INSERT: usize = 500;

/// Fingerprints and review states of the findings of the campaign's latest check, read before
/// this check becomes the latest. Through `findings_check`, not a join the planner could run
/// through every finding the campaign ever had.
const PREVIOUS_FINGERPRINTS: &str = "
SELECT fingerprint, review_state FROM findings
WHERE check_id = (SELECT latest_check_id FROM campaigns WHERE id = $1)";

const INSERT_ALERTS: &str = "
INSERT INTO alerts (id, finding_id, campaign_id, channel, target, status, attempts, next_attempt_at,
                    created_at) ";

const INSERT_ANSWER: &str = "
INSERT INTO idempotency_keys (key, request_hash, check_id, status, body, created_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (key) DO NOTHING";

const SELECT_ANSWER: &str =
    "SELECT request_hash, check_id, status, body FROM idempotency_keys WHERE key = $1";

/// For each finding of a check: its fingerprint, whether it is new (the previous check did not
/// have it, or an analyst had resolved it there), and the review state it starts in.
fn stored_states(
    findings: &[Finding],
    previous: &HashMap<String, ReviewState>,
) -> Vec<(String, bool, ReviewState)> {
    findings
        .iter()
        .map(|f| {
            let fingerprint = f.fingerprint();
            let (is_new, state) = match previous.get(&fingerprint) {
                None | Some(ReviewState::Resolved) => (true, ReviewState::Open),
                Some(state) => (false, state.carried_over()),
            };
            (fingerprint, is_new, state)
        })
        .collect()
}

pub(super) fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

pub(super) fn parse<T: std::str::FromStr>(what: &str, s: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e| corrupt(what, e))
}

#[async_trait]
impl Store for SqlStore {
    async fn ping(&self) -> Result<(), StoreError> {
        on_pool!(&self.db, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    async fn idempotent_answer(&self, key: &str) -> Result<Option<StoredAnswer>, StoreError> {
        let row: Option<(String, String, i64, String)> = on_pool!(&self.db, pool =>
            sqlx::query_as(SELECT_ANSWER).bind(key).fetch_optional(pool).await)?;
        Ok(
            row.map(|(request_hash, check_id, status, body)| StoredAnswer {
                request_hash,
                check_id,
                status: status as u16,
                body,
            }),
        )
    }

    #[tracing::instrument(skip_all, fields(check = check.id, campaign = %check.campaign.id))]
    async fn record_check(
        &self,
        check: &NewCheck<'_>,
        idempotency: Option<&NewAnswer<'_>>,
    ) -> Result<Recorded, StoreError> {
        let campaign = check.campaign;
        let definition = serde_json::to_string(campaign).map_err(|e| corrupt("campaign", e))?;
        let (start, end) = campaign.window();
        let checked_at = millis(check.checked_at);
        let begin = self.db.begin_write();
        let inserted = on_writer!(self, conn => {
            let mut tx = conn.begin_with(begin).await?;
            let previous: Vec<(String, String)> = sqlx::query_as(PREVIOUS_FINGERPRINTS)
                .bind(&campaign.id)
                .fetch_all(&mut *tx)
                .await?;
            let previous: HashMap<String, ReviewState> = previous
                .into_iter()
                .map(|(f, state)| Ok((f, parse("findings.review_state", &state)?)))
                .collect::<Result<_, StoreError>>()?;
            let stored = stored_states(check.findings, &previous);
            sqlx::query(UPSERT_CAMPAIGN)
                .bind(&campaign.id)
                .bind(&campaign.name)
                .bind(&campaign.platform)
                .bind(&definition)
                .bind(millis(start))
                .bind(millis(end))
                .bind(checked_at)
                .bind(check.id)
                .bind(check.verdict.as_str())
                .bind(checked_at)
                .execute(&mut *tx)
                .await?;
            sqlx::query(INSERT_CHECK)
                .bind(check.id)
                .bind(&campaign.id)
                .bind(check.phase.as_str())
                .bind(check.mode.as_str())
                .bind(check.verdict.as_str())
                .bind(millis(check.send_at))
                .bind(checked_at)
                .bind(check.result)
                .execute(&mut *tx)
                .await?;
            // Many rows per statement: one round trip per chunk instead of per finding.
            for (chunk_no, chunk) in check.findings.chunks(FINDINGS_PER_INSERT).enumerate() {
                let mut insert = sqlx::QueryBuilder::new(INSERT_FINDINGS);
                let states = &stored[chunk_no * FINDINGS_PER_INSERT..];
                insert.push_values(chunk.iter().enumerate(), |mut row, (i, f)| {
                    let (fingerprint, is_new, state) = &states[i];
                    row.push_bind(f.id.clone())
                        .push_bind(check.id.to_owned())
                        .push_bind((chunk_no * FINDINGS_PER_INSERT + i) as i64)
                        .push_bind(campaign.id.clone())
                        .push_bind(f.offer_id.clone())
                        .push_bind(f.rule.as_str())
                        .push_bind(f.severity.as_str())
                        .push_bind(f.target.sku.clone())
                        .push_bind(f.target.location.clone())
                        .push_bind(f.message.clone())
                        .push_bind(f.evidence.to_string())
                        .push_bind(checked_at)
                        .push_bind(fingerprint.clone())
                        .push_bind(i64::from(*is_new))
                        .push_bind(state.as_str());
                });
                insert.build().execute(&mut *tx).await?;
            }
            let alerts: Vec<(&Finding, &AlertTarget)> = check
                .findings
                .iter()
                .zip(&stored)
                .filter(|(f, (_, is_new, _))| *is_new && f.severity == Severity::Block)
                .flat_map(|(f, _)| check.alert_to.iter().map(move |t| (f, t)))
                .collect();
            for chunk in alerts.chunks(FINDINGS_PER_INSERT) {
                let mut insert = sqlx::QueryBuilder::new(INSERT_ALERTS);
                insert.push_values(chunk, |mut row, (f, t)| {
                    row.push_bind(uuid::Uuid::new_v4().to_string())
                        .push_bind(f.id.clone())
                        .push_bind(campaign.id.clone())
                        .push_bind(t.channel.as_str())
                        .push_bind(t.target.clone())
                        .push_bind("queued")
                        .push_bind(0i64)
                        .push_bind(checked_at)
                        .push_bind(checked_at);
                });
                insert.push(" ON CONFLICT (finding_id, channel, target) DO NOTHING");
                insert.build().execute(&mut *tx).await?;
            }
            let inserted = match idempotency {
                None => true,
                Some(answer) => {
                    let done = sqlx::query(INSERT_ANSWER)
                        .bind(answer.key)
                        .bind(answer.request_hash)
                        .bind(check.id)
                        .bind(i64::from(answer.status))
                        .bind(answer.body)
                        .bind(checked_at)
                        .execute(&mut *tx)
                        .await?;
                    done.rows_affected() == 1
                }
            };
            if inserted {
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            Ok::<bool, StoreError>(inserted)
        })?;
        if inserted {
            return Ok(Recorded::Stored);
        }
        let key = idempotency.map(|a| a.key).unwrap_or_default();
        match self.idempotent_answer(key).await? {
            Some(first) => Ok(Recorded::Replayed(first)),
            None => Err(StoreError::Corrupt(format!(
                "idempotency key {key} conflicted but cannot be read"
            ))),
        }
    }

    async fn campaign(&self, id: &str) -> Result<Option<CampaignRow>, StoreError> {
        let sql = "SELECT id, name, platform, definition, window_start, window_end, created_at,
                          latest_check_id, latest_verdict FROM campaigns WHERE id = $1";
        let row = on_pool!(&self.db, pool => {
            sqlx::query(sql).bind(id).fetch_optional(pool).await?.map(|r| {
                Ok::<_, StoreError>(CampaignRow {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    platform: r.try_get("platform")?,
                    definition: r.try_get("definition")?,
                    window_start: from_millis(r.try_get("window_start")?),
                    window_end: from_millis(r.try_get("window_end")?),
                    created_at: from_millis(r.try_get("created_at")?),
                    latest_check_id: r.try_get("latest_check_id")?,
                    latest_verdict: r
                        .try_get::<Option<String>, _>("latest_verdict")?
                        .map(|v| parse("campaigns.latest_verdict", &v))
                        .transpose()?,
                })
            })
        });
        row.transpose()
    }

    async fn checks(&self, campaign_id: &str) -> Result<Vec<CheckRow>, StoreError> {
        let sql = "SELECT id, campaign_id, phase, mode, verdict, send_at, checked_at, result
                   FROM checks WHERE campaign_id = $1 ORDER BY checked_at DESC, id DESC";
        type Raw = (String, String, String, String, String, i64, i64, String);
        let rows: Vec<Raw> = on_pool!(&self.db, pool =>
            sqlx::query_as(sql).bind(campaign_id).fetch_all(pool).await)?;
        rows.into_iter()
            .map(
                |(id, campaign_id, phase, mode, verdict, send_at, checked_at, result)| {
                    Ok(CheckRow {
                        id,
                        campaign_id,
                        phase: parse("checks.phase", &phase)?,
                        mode: parse("checks.mode", &mode)?,
                        verdict: parse("checks.verdict", &verdict)?,
                        send_at: from_millis(send_at),
                        checked_at: from_millis(checked_at),
                        result,
                    })
                },
            )
            .collect()
    }

    async fn findings(&self, check_id: &str) -> Result<Vec<StoredFinding>, StoreError> {
        const SQL: &str = concat!(select_finding!(), "WHERE check_id = $1 ORDER BY position");
        let rows: Vec<FindingRaw> = on_pool!(&self.db, pool =>
            sqlx::query_as(SQL).bind(check_id).fetch_all(pool).await)?;
        rows.into_iter()
            .map(|raw| finding_record(raw).map(|r| r.stored))
            .collect()
    }

    async fn live_campaigns(&self, now: DateTime<Utc>) -> Result<Vec<CampaignRow>, StoreError> {
        let sql =
            "SELECT id FROM campaigns WHERE window_start <= $1 AND window_end > $1 ORDER BY id";
        let ids: Vec<(String,)> = on_pool!(&self.db, pool =>
            sqlx::query_as(sql).bind(millis(now)).fetch_all(pool).await)?;
        let mut rows = Vec::with_capacity(ids.len());
        for (id,) in ids {
            if let Some(row) = self.campaign(&id).await? {
                rows.push(row);
            }
        }
        Ok(rows)
    }

    async fn try_lease(
        &self,
        job: &str,
        tick: DateTime<Utc>,
        holder: &str,
        now: DateTime<Utc>,
        ttl: std::time::Duration,
    ) -> Result<bool, StoreError> {
        let until = now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::seconds(60));
        let taken = on_writer!(self, conn => {
            sqlx::query("INSERT INTO job_leases (job) VALUES ($1) ON CONFLICT (job) DO NOTHING")
                .bind(job)
                .execute(&mut *conn)
                .await?;
            // One statement, so the check and the claim are atomic on both backends.
            sqlx::query(
                "UPDATE job_leases SET holder = $2, expires_at = $3, last_tick = $4
                 WHERE job = $1 AND last_tick < $4 AND (holder IS NULL OR expires_at <= $5)",
            )
            .bind(job)
            .bind(holder)
            .bind(millis(until))
            .bind(millis(tick))
            .bind(millis(now))
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected() == 1)
        })?;
        Ok(taken)
    }

    async fn renew_lease(
        &self,
        job: &str,
        holder: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let renewed = on_writer!(self, conn => {
            sqlx::query("UPDATE job_leases SET expires_at = $3 WHERE job = $1 AND holder = $2")
                .bind(job)
                .bind(holder)
                .bind(millis(until))
                .execute(&mut *conn)
                .await
                .map(|r| r.rows_affected() == 1)
        })?;
        Ok(renewed)
    }

    async fn release_lease(&self, job: &str, holder: &str) -> Result<(), StoreError> {
        on_writer!(self, conn => {
            sqlx::query("UPDATE job_leases SET holder = NULL, expires_at = 0 WHERE job = $1 AND holder = $2")
                .bind(job)
                .bind(holder)
                .execute(&mut *conn)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    async fn count_checks(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = on_pool!(&self.db, pool =>
            sqlx::query_as("SELECT COUNT(*) FROM checks").fetch_one(pool).await)?;
        Ok(n)
    }

    async fn record_events(
        &self,
        events: &[EngagementEvent],
        now: DateTime<Utc>,
    ) -> Result<EventsRecorded, StoreError> {
        self.record_events_impl(events, now).await
    }

    async fn sweep_candidates(
        &self,
        clicked_before: DateTime<Utc>,
    ) -> Result<Vec<(String, String)>, StoreError> {
        self.sweep_candidates_impl(clicked_before).await
    }

    async fn touches(
        &self,
        recipients: &[String],
    ) -> Result<HashMap<String, Vec<Touch>>, StoreError> {
        self.touches_impl(recipients).await
    }

    async fn surveyed_since(&self, since: DateTime<Utc>) -> Result<HashSet<String>, StoreError> {
        self.surveyed_since_impl(since).await
    }

    async fn queue_invitations(
        &self,
        pairs: &[(String, String)],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        self.queue_invitations_impl(pairs, now).await
    }

    async fn abandon_unfinished_sends(&self, run: &str) -> Result<u64, StoreError> {
        self.abandon_unfinished_sends_impl(run).await
    }

    async fn claim_invitation(
        &self,
        run: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ClaimedInvitation>, StoreError> {
        Ok(self
            .finish_and_claim_impl(run, now, &[], 1)
            .await?
            .into_iter()
            .next())
    }

    async fn finish_and_claim(
        &self,
        run: &str,
        now: DateTime<Utc>,
        finished: &[(String, SendOutcome)],
        claims: u32,
    ) -> Result<Vec<ClaimedInvitation>, StoreError> {
        self.finish_and_claim_impl(run, now, finished, claims).await
    }

    async fn finish_invitation(
        &self,
        id: &str,
        outcome: &SendOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.finish_invitation_impl(id, outcome, now).await
    }

    async fn invitation(&self, id: &str) -> Result<Option<InvitationRow>, StoreError> {
        self.invitation_impl(id).await
    }

    async fn invitations(&self, campaign_id: &str) -> Result<Vec<InvitationRow>, StoreError> {
        self.invitations_impl(campaign_id).await
    }

    async fn record_answer(
        &self,
        id: &str,
        score: u8,
        comment: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.record_answer_impl(id, score, comment, now).await
    }

    async fn unsubscribe(&self, id: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.unsubscribe_impl(id, now).await
    }

    async fn nps(&self, campaign_id: &str) -> Result<NpsReport, StoreError> {
        self.nps_impl(campaign_id).await
    }

    async fn secret(&self, name: &str, fresh: &str) -> Result<String, StoreError> {
        self.secret_impl(name, fresh).await
    }

    async fn list_campaigns(
        &self,
        filter: &CampaignFilter,
    ) -> Result<Vec<CampaignSummary>, StoreError> {
        self.list_campaigns_impl(filter).await
    }

    async fn finding(&self, id: &str) -> Result<Option<FindingRecord>, StoreError> {
        self.finding_impl(id).await
    }

    async fn review_finding(
        &self,
        finding_id: &str,
        action: ReviewAction,
        note: Option<&str>,
        reviewer: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ReviewRow>, StoreError> {
        self.review_finding_impl(finding_id, action, note, reviewer, now)
            .await
    }

    async fn reviews(&self, campaign_id: &str) -> Result<Vec<(String, ReviewRow)>, StoreError> {
        self.reviews_impl(campaign_id).await
    }

    async fn claim_alert(
        &self,
        run: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ClaimedAlert>, StoreError> {
        self.claim_alert_impl(run, now).await
    }

    async fn finish_alert(
        &self,
        id: &str,
        outcome: &SendOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.finish_alert_impl(id, outcome, now).await
    }

    async fn abandon_unfinished_alerts(&self, run: &str) -> Result<u64, StoreError> {
        self.abandon_unfinished_alerts_impl(run).await
    }

    async fn alerts(&self, campaign_id: &str) -> Result<Vec<AlertRow>, StoreError> {
        self.alerts_impl(campaign_id).await
    }

    async fn promise_answers(
        &self,
        campaign_id: Option<&str>,
    ) -> Result<Vec<CampaignAnswers>, StoreError> {
        self.promise_answers_impl(campaign_id).await
    }
}
