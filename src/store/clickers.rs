//! Clickers: each (campaign, recipient) once the attribution window after their last click
//! closed — what their clicks met, whether they converted and their survey answer — and the
//! figures the promise insights are built from. The address is kept only while the events
//! are; erasure and retention set it to NULL and no figure changes.
use super::db::{Db, on_pool};
use super::rows::millis;
use super::writer::on_writer;
use super::{SqlStore, StoreError};
use crate::domain::attribution::{Decided, PromiseClicks};
use crate::domain::clicked::{Counted, ReasonsCounted, Tally};
use crate::domain::nps::Reason;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Connection;
use std::collections::{BTreeMap, HashMap};

/// A clicker to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClicker {
    pub recipient: String,
    pub decided: Decided,
}

/// Which promises a per-promise figure is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromiseKind {
    Location,
    Item,
}

impl PromiseKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PromiseKind::Location => "location",
            PromiseKind::Item => "item",
        }
    }
}

/// Which clickers a figure counts: one campaign's, and (per promise) those whose first click
/// on the promise fell from `from` (inclusive) to `to` (exclusive).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClickerFilter {
    pub campaign_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// What a per-promise insight reads: each promise's clickers counted, and the names the
/// latest checks gave the locations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PromiseCounts {
    pub tallies: HashMap<String, Tally>,
    pub names: BTreeMap<String, String>,
}

/// A count as read: key, campaign, score, converted, clickers, clicks, broken clicks.
type CountRaw = (String, Option<String>, Option<i64>, i64, i64, i64, i64);
/// Reasons as read: key, campaign, reason, answers.
type ReasonRaw = (String, Option<String>, String, i64);

fn counted(rows: Vec<CountRaw>) -> Vec<Counted> {
    rows.into_iter()
        .map(
            |(key, campaign_id, score, converted, n, clicks, broken)| Counted {
                key,
                campaign_id,
                score: score.and_then(|s| u8::try_from(s).ok()),
                converted: converted != 0,
                n: n as u64,
                clicks: clicks as u64,
                broken_clicks: broken as u64,
            },
        )
        .collect()
}

fn reasons_counted(rows: Vec<ReasonRaw>) -> Result<Vec<ReasonsCounted>, StoreError> {
    rows.into_iter()
        .map(|(key, campaign_id, reason, n)| {
            Ok(ReasonsCounted {
                key,
                campaign_id,
                reason: reason.parse::<Reason>().map_err(StoreError::Corrupt)?,
                n: n as u64,
            })
        })
        .collect()
}

#[async_trait]
pub trait ClickerStore: Send + Sync {
    /// (campaign, recipient) pairs with a click, whose last click was before `clicked_before`,
    /// not recorded as clickers yet — oldest last click first.
    async fn undecided_clickers(
        &self,
        clicked_before: DateTime<Utc>,
    ) -> Result<Vec<(String, String)>, StoreError>;

    /// Records clickers (one already recorded for the pair is left as it is), each linked to
    /// its invitation if one was queued; returns how many were new.
    async fn record_clickers(
        &self,
        clickers: &[NewClicker],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// Clickers counted per campaign by their clicks' judgement (`broken`, `kept`,
    /// `unknown`), or — with `by_campaign` — by whether their campaign broke a promise
    /// (`broken`, `kept`); all campaigns', or one's.
    async fn clicker_counts(
        &self,
        by_campaign: bool,
        campaign_id: Option<&str>,
    ) -> Result<(Vec<Counted>, Vec<ReasonsCounted>), StoreError>;

    /// Clickers counted per location or per item they clicked.
    async fn promise_counts(
        &self,
        kind: PromiseKind,
        filter: &ClickerFilter,
    ) -> Result<PromiseCounts, StoreError>;
}

/// 11 parameters a clicker row, 8 a promise row.
const CLICKERS_PER_INSERT: usize = 500;

/// Which ids a link of clickers to their invitations is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LinkBy {
    Clickers,
    Invitations,
}

/// Links clickers to their invitations and copies the answer (to the clicker and its
/// per-promise rows) — the clickers, or the invitations, whose ids are in `$1` (a JSON array).
pub(super) fn link_invitations_sql(db: &Db, by: LinkBy) -> [String; 2] {
    let unpack = match db {
        Db::Sqlite(_) => "SELECT value FROM json_each($1)",
        Db::Postgres(_) => "SELECT jsonb_array_elements_text($1::jsonb)",
    };
    let (clicker, linked) = match by {
        LinkBy::Clickers => ("clickers.id", "c.invitation_id IS NOT NULL AND c.id"),
        LinkBy::Invitations => ("i.id", "c.invitation_id"),
    };
    [
        format!(
            "UPDATE clickers SET invitation_id = i.id, score = i.score, reason = i.reason
             FROM invitations i
             WHERE i.campaign_id = clickers.campaign_id AND i.recipient = clickers.recipient
               AND {clicker} IN ({unpack})"
        ),
        // Driven by the ids (an index each way), never by a scan of every promise row.
        format!(
            "UPDATE clicker_promises
             SET score = (SELECT c.score FROM clickers c WHERE c.id = clicker_promises.clicker_id),
                 reason = (SELECT c.reason FROM clickers c WHERE c.id = clicker_promises.clicker_id)
             WHERE clicker_id IN (SELECT c.id FROM clickers c WHERE {linked} IN ({unpack}))"
        ),
    ]
}

/// The insert of one chunk of clickers, returning the ids of those that were new.
fn insert_clickers<DB: sqlx::Database>(
    chunk: &[(String, &NewClicker)],
    now_ms: i64,
) -> sqlx::QueryBuilder<DB>
where
    String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    &'static str: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut insert = sqlx::QueryBuilder::new(
        "INSERT INTO clickers (id, campaign_id, recipient, first_click_at, last_click_at, clicks,
                               broken_clicks, kept_clicks, judgement, converted, decided_at) ",
    );
    insert.push_values(chunk, |mut row, (id, c)| {
        let d = &c.decided;
        row.push_bind(id.clone())
            .push_bind(d.campaign.clone())
            .push_bind(c.recipient.clone())
            .push_bind(millis(d.first_click_at))
            .push_bind(millis(d.last_click_at))
            .push_bind(d.clicks as i64)
            .push_bind(d.broken_clicks as i64)
            .push_bind(d.kept_clicks as i64)
            .push_bind(d.judgement.as_str())
            .push_bind(i64::from(d.converted))
            .push_bind(now_ms);
    });
    insert.push(" ON CONFLICT (campaign_id, recipient) DO NOTHING RETURNING id");
    insert
}

/// A per-promise row: clicker id, kind, target, the clicker, clicks.
type PromiseRow<'a> = (
    &'a str,
    PromiseKind,
    &'a str,
    &'a Decided,
    &'a PromiseClicks,
);

fn promise_rows<'a>(id: &'a str, d: &'a Decided) -> Vec<PromiseRow<'a>> {
    let per = [
        (PromiseKind::Location, &d.locations),
        (PromiseKind::Item, &d.items),
    ];
    per.into_iter()
        .flat_map(|(kind, m)| {
            m.iter()
                .map(move |(target, p)| (id, kind, target.as_str(), d, p))
        })
        .collect()
}

/// The inserts of the per-promise rows of the clickers in `new`.
fn insert_promises<DB: sqlx::Database>(new: &[(String, &NewClicker)]) -> Vec<sqlx::QueryBuilder<DB>>
where
    String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    &'static str: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let rows: Vec<PromiseRow<'_>> = new
        .iter()
        .flat_map(|(id, c)| promise_rows(id, &c.decided))
        .collect();
    rows.chunks(CLICKERS_PER_INSERT * 2)
        .map(|chunk| {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO clicker_promises (clicker_id, kind, target, campaign_id, clicks,
                                               broken_clicks, first_click_at, converted) ",
            );
            insert.push_values(chunk, |mut row, (id, kind, target, d, p)| {
                row.push_bind((*id).to_owned())
                    .push_bind(kind.as_str())
                    .push_bind((*target).to_owned())
                    .push_bind(d.campaign.clone())
                    .push_bind(p.clicks as i64)
                    .push_bind(p.broken_clicks as i64)
                    .push_bind(millis(p.first_click_at))
                    .push_bind(i64::from(d.converted));
            });
            insert
        })
        .collect()
}

#[async_trait]
impl ClickerStore for SqlStore {
    async fn undecided_clickers(
        &self,
        clicked_before: DateTime<Utc>,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let sql = "
            SELECT e.campaign_id, e.recipient
            FROM events e
            WHERE e.type = 'click' AND e.campaign_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM clickers c
                              WHERE c.campaign_id = e.campaign_id AND c.recipient = e.recipient)
            GROUP BY e.campaign_id, e.recipient
            HAVING MAX(e.occurred_at) < $1
            ORDER BY MAX(e.occurred_at), e.campaign_id, e.recipient";
        let rows: Vec<(String, String)> = on_pool!(self.db(), pool =>
            sqlx::query_as(sql).bind(millis(clicked_before)).fetch_all(pool).await)?;
        Ok(rows)
    }

    async fn record_clickers(
        &self,
        clickers: &[NewClicker],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let now_ms = millis(now);
        let link = link_invitations_sql(self.db(), LinkBy::Clickers);
        let mut recorded = 0;
        // A short transaction a chunk: SQLite's writer is not held for a whole sweep.
        for chunk in clickers.chunks(CLICKERS_PER_INSERT) {
            let named: Vec<(String, &NewClicker)> = chunk
                .iter()
                .map(|c| (uuid::Uuid::now_v7().to_string(), c))
                .collect();
            let begin = self.db().begin_write();
            recorded += on_writer!(self, conn => {
                let mut tx = conn.begin_with(begin).await?;
                let ids: Vec<(String,)> = insert_clickers(&named, now_ms)
                    .build_query_as()
                    .fetch_all(&mut *tx)
                    .await?;
                let ids: std::collections::HashSet<String> = ids.into_iter().map(|(id,)| id).collect();
                let new: Vec<(String, &NewClicker)> = named
                    .iter()
                    .filter(|(id, _)| ids.contains(id))
                    .map(|(id, c)| (id.clone(), *c))
                    .collect();
                for mut insert in insert_promises(&new) {
                    insert.build().execute(&mut *tx).await?;
                }
                let list = serde_json::to_string(&ids)
                    .map_err(|e| StoreError::Corrupt(format!("clicker ids: {e}")))?;
                for sql in &link {
                    sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                        .bind(&list)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok::<_, StoreError>(new.len() as u64)
            })?;
        }
        Ok(recorded)
    }

    async fn clicker_counts(
        &self,
        by_campaign: bool,
        campaign_id: Option<&str>,
    ) -> Result<(Vec<Counted>, Vec<ReasonsCounted>), StoreError> {
        // `i` is the clicker: `broke_a_promise!` reads `i.campaign_id`.
        let key = if by_campaign {
            concat!(
                "CASE WHEN ",
                super::answers::broke_a_promise!(),
                " THEN 'broken' ELSE 'kept' END"
            )
        } else {
            "i.judgement"
        };
        let only = if campaign_id.is_some() {
            "i.campaign_id = $1"
        } else {
            "$1 IS NULL"
        };
        let counts = format!(
            "SELECT {key} AS key, i.campaign_id, i.score, i.converted, COUNT(*) AS n,
                    CAST(SUM(i.clicks) AS BIGINT) AS clicks,
                    CAST(SUM(i.broken_clicks) AS BIGINT) AS broken_clicks
             FROM clickers i WHERE {only}
             GROUP BY {key}, i.campaign_id, i.score, i.converted"
        );
        let reasons = format!(
            "SELECT {key} AS key, i.campaign_id, i.reason, COUNT(*) AS n FROM clickers i
             WHERE {only} AND i.score IS NOT NULL AND i.reason IS NOT NULL
             GROUP BY {key}, i.campaign_id, i.reason"
        );
        let campaign_id = campaign_id.map(str::to_owned);
        let counts: Vec<CountRaw> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(counts)).bind(campaign_id.clone()).fetch_all(pool).await)?;
        let reasons: Vec<ReasonRaw> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(reasons)).bind(campaign_id.clone()).fetch_all(pool).await)?;
        Ok((counted(counts), reasons_counted(reasons)?))
    }

    async fn promise_counts(
        &self,
        kind: PromiseKind,
        filter: &ClickerFilter,
    ) -> Result<PromiseCounts, StoreError> {
        self.read_promise_counts(kind, filter).await
    }
}
