//! One identity for a person: every address is stored folded (`event::normalize_address`:
//! trimmed, Unicode case-folded). Rows written before folding was Unicode-wide (or by hand)
//! are folded once, at migration, in one write transaction; where two rows then collide on a
//! unique key they are merged rather than failing: a suppression kept once, and of two
//! invitations of one campaign the one further along (answered, then sent, then the older).
use super::db::on_pool;
use super::rows::millis;
use super::writer::on_writer;
use super::{SqlStore, StoreError};
use crate::domain::event::fold_address;
use chrono::Utc;
use sqlx::Connection;
use std::collections::HashMap;

const FOLD: &str = "fold_addresses";

/// What folding changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Folded {
    pub events: u64,
    pub suppressions: u64,
    pub invitations: u64,
    /// Rows removed because a folded twin was kept.
    pub merged: u64,
}

/// An invitation as the merge ranks it.
type InvitationRow = (String, String, String, String, Option<i64>, i64);

fn rank(row: &InvitationRow) -> (bool, bool, std::cmp::Reverse<i64>) {
    let (_, _, _, status, answered_at, created_at) = row;
    (
        answered_at.is_some(),
        status == "sent",
        std::cmp::Reverse(*created_at),
    )
}

/// How a campaign's invitations fold when their addresses do: of the invitations of one
/// campaign to one folded address the best (by `rank`) is kept, the others dropped (their ids),
/// and a kept one written differently takes the folded address (its id and that address).
fn invitation_folds(rows: Vec<InvitationRow>) -> (Vec<String>, Vec<(String, String)>) {
    let mut groups: HashMap<(String, String), Vec<InvitationRow>> = HashMap::new();
    for row in rows {
        groups
            .entry((row.1.clone(), fold_address(&row.2)))
            .or_default()
            .push(row);
    }
    let (mut dropped, mut renamed) = (Vec::new(), Vec::new());
    for ((_, address), mut group) in groups {
        group.sort_by_key(|r| std::cmp::Reverse(rank(r)));
        let mut group = group.into_iter();
        let Some(keep) = group.next() else {
            continue;
        };
        dropped.extend(group.map(|loser| loser.0));
        if keep.2 != address {
            renamed.push((keep.0, address));
        }
    }
    (dropped, renamed)
}

impl SqlStore {
    /// Folds every stored address, once per database (a no-op after the first run).
    pub async fn fold_addresses(&self) -> Result<Option<Folded>, StoreError> {
        // Done already (every start after the first): answered by a read, no turn to write.
        let done_sql = "SELECT name FROM data_migrations WHERE name = $1";
        let done: Option<String> = on_pool!(self.db(), pool =>
            sqlx::query_scalar(done_sql).bind(FOLD).fetch_optional(pool).await)?;
        if done.is_some() {
            return Ok(None);
        }
        let begin = self.db().begin_write();
        on_writer!(self, conn => {
            let mut tx = conn.begin_with(begin).await?;
            // Checked again in the transaction: another instance may have just done it.
            let done: Option<String> = sqlx::query_scalar(done_sql)
                .bind(FOLD)
                .fetch_optional(&mut *tx)
                .await?;
            if done.is_some() {
                return Ok(None);
            }
            let mut folded = Folded::default();
            let recipients: Vec<String> = sqlx::query_scalar("SELECT DISTINCT recipient FROM events")
                .fetch_all(&mut *tx)
                .await?;
            for r in recipients.iter().filter(|r| fold_address(r) != **r) {
                folded.events += sqlx::query("UPDATE events SET recipient = $1 WHERE recipient = $2")
                    .bind(fold_address(r))
                    .bind(r)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            let addresses: Vec<String> = sqlx::query_scalar("SELECT address FROM suppressions")
                .fetch_all(&mut *tx)
                .await?;
            for a in addresses.iter().filter(|a| fold_address(a) != **a) {
                let twin: Option<String> =
                    sqlx::query_scalar("SELECT address FROM suppressions WHERE address = $1")
                        .bind(fold_address(a))
                        .fetch_optional(&mut *tx)
                        .await?;
                if twin.is_some() {
                    folded.merged += 1;
                    sqlx::query("DELETE FROM suppressions WHERE address = $1")
                        .bind(a)
                        .execute(&mut *tx)
                        .await?;
                } else {
                    folded.suppressions += 1;
                    sqlx::query("UPDATE suppressions SET address = $1 WHERE address = $2")
                        .bind(fold_address(a))
                        .bind(a)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            let rows: Vec<InvitationRow> = sqlx::query_as(
                "SELECT id, campaign_id, recipient, status, answered_at, created_at FROM invitations",
            )
            .fetch_all(&mut *tx)
            .await?;
            let (dropped, renamed) = invitation_folds(rows);
            for id in &dropped {
                sqlx::query("DELETE FROM alerts WHERE invitation_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM invitations WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                folded.merged += 1;
            }
            for (id, address) in &renamed {
                sqlx::query("UPDATE invitations SET recipient = $1 WHERE id = $2")
                    .bind(address)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                folded.invitations += 1;
            }
            sqlx::query("INSERT INTO data_migrations (name, applied_at) VALUES ($1, $2)")
                .bind(FOLD)
                .bind(millis(Utc::now()))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<_, StoreError>(Some(folded))
        })
    }
}
