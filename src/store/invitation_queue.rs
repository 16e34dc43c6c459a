//! The sweep's invitations, queued: one statement a thousand, their fields packed as one JSON
//! value that the database unpacks, and each new invitation's clicker linked to it.
use super::clickers::LinkBy;
use super::db::Db;
use super::rows::millis;
use super::writer::on_writer;
use super::{SqlStore, StoreError};
use crate::domain::judgement::Judgement;
use chrono::{DateTime, Utc};
use sqlx::Connection;

/// An invitation to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvitation {
    pub campaign_id: String,
    pub recipient: String,
    /// The shipped catalog the survey is written in (`ar`); `None`: the default.
    pub locale: Option<String>,
    /// What the person's clicks met (`Judgement::of_person`), kept with the invitation.
    pub promise_state: Option<Judgement>,
    /// The recipient's time zone (an IANA name), for their send window; `None`: none known.
    pub zone: Option<String>,
    /// Not before (their window's next opening); `None`: now.
    pub send_after: Option<DateTime<Utc>>,
}

impl NewInvitation {
    /// (campaign, recipient) pairs, in the default language.
    pub fn from_pairs(pairs: &[(String, String)]) -> Vec<NewInvitation> {
        pairs
            .iter()
            .map(|(campaign_id, recipient)| NewInvitation {
                campaign_id: campaign_id.clone(),
                recipient: recipient.clone(),
                locale: None,
                promise_state: None,
                zone: None,
                send_after: None,
            })
            .collect()
    }
}

/// Invitations an insert statement writes.
const INVITATIONS_PER_INSERT: usize = 1000;

/// An invitation as the insert unpacks it: id, campaign, recipient, not before (ms), locale,
/// promise state, zone.
#[derive(serde::Serialize)]
struct InvitationJson<'a>(
    String,
    &'a str,
    &'a str,
    i64,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
);

/// Queues the invitations of `$1` (a JSON array of `InvitationJson`) created at `$2`; a
/// (campaign, recipient) invited before is left alone. One bound value a statement, unpacked
/// by the database, rather than ten a row: binding them was most of a large sweep's insert.
const INSERT_INVITATIONS_SQLITE: &str = "
INSERT INTO invitations (id, campaign_id, recipient, status, attempts, next_attempt_at, created_at,
                         locale, promise_state, zone)
SELECT value ->> 0, value ->> 1, value ->> 2, 'queued', 0, value ->> 3, $2,
       value ->> 4, value ->> 5, value ->> 6
FROM json_each($1) WHERE true
ON CONFLICT (campaign_id, recipient) DO NOTHING";
const INSERT_INVITATIONS_POSTGRES: &str = "
INSERT INTO invitations (id, campaign_id, recipient, status, attempts, next_attempt_at, created_at,
                         locale, promise_state, zone)
SELECT v ->> 0, v ->> 1, v ->> 2, 'queued', 0, (v ->> 3)::bigint, $2::bigint,
       v ->> 4, v ->> 5, v ->> 6
FROM jsonb_array_elements($1::jsonb) AS v
ON CONFLICT (campaign_id, recipient) DO NOTHING";

/// Queues `invitations` in one transaction; a (campaign, recipient) already invited is left
/// alone. Returns how many were queued now.
pub(super) async fn queue(
    store: &SqlStore,
    invitations: &[NewInvitation],
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let now_ms = millis(now);
    let link = super::clickers::link_invitations_sql(store.db(), LinkBy::Invitations);
    let insert = match store.db() {
        Db::Sqlite(_) => INSERT_INVITATIONS_SQLITE,
        Db::Postgres(_) => INSERT_INVITATIONS_POSTGRES,
    };
    let begin = store.db().begin_write();
    on_writer!(store, conn => {
        let mut tx = conn.begin_with(begin).await?;
        let mut queued = 0;
        for chunk in invitations.chunks(INVITATIONS_PER_INSERT) {
            let rows: Vec<InvitationJson> = chunk
                .iter()
                .map(|new| InvitationJson(
                    uuid::Uuid::now_v7().to_string(),
                    &new.campaign_id,
                    &new.recipient,
                    new.send_after.map_or(now_ms, millis),
                    new.locale.as_deref(),
                    new.promise_state.map(Judgement::as_str),
                    new.zone.as_deref(),
                ))
                .collect();
            let packed = serde_json::to_string(&rows)
                .map_err(|e| StoreError::Corrupt(format!("invitations: {e}")))?;
            queued += sqlx::query(insert)
                .bind(packed)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            // Each queued invitation's clicker (recorded before it, in the same sweep): the
            // ids of pairs invited before (left alone above) name no row, and link nothing.
            let ids: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
            let list = serde_json::to_string(&ids)
                .map_err(|e| StoreError::Corrupt(format!("invitation ids: {e}")))?;
            for sql in &link {
                sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(&list)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(queued)
    })
}
