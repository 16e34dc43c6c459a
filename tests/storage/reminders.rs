//! Reminders: one per invitation, only for a silent invitee whose invitation was sent, claimed
//! before sending, `unknown` after a dead run, never twice.
use crate::fixtures::{Draft, at};
use crate::support::store::{claim_one, finish_one};
use promiseguard::domain::SendOutcome;
use promiseguard::domain::nps::SurveyAnswer;
use promiseguard::store::{AnswerStore, CheckStore, InvitationStore, ReminderStore, SqlStore};

pub async fn a_reminder_goes_once_and_only_to_a_silent_invitee(store: SqlStore) {
    let t0 = at("2026-11-20T12:00:00Z");
    for campaign in ["c1", "c2"] {
        let check = Draft::new(campaign, 0, "2026-11-19T10:00:00Z");
        store.record_check(&check.check(), None).await.unwrap();
    }
    let pairs: Vec<(String, String)> = ["a", "b", "c", "d", "e", "g"]
        .iter()
        .map(|r| ("c1".to_owned(), format!("{r}@x.com")))
        .collect();
    store
        .queue_invitations(&promiseguard::store::NewInvitation::from_pairs(&pairs), t0)
        .await
        .unwrap();
    // Everyone's invitation is sent at t0, except d's, which fails for good.
    while let Some(inv) = claim_one(&store, "run-0", t0).await {
        let outcome = if inv.recipient == "d@x.com" {
            SendOutcome::Failed {
                error: "550 no such user".into(),
            }
        } else {
            SendOutcome::Sent
        };
        finish_one(&store, &inv.id, outcome, t0).await;
    }
    let rows = store.invitations("c1").await.unwrap();
    let id = |r: &str| rows.iter().find(|i| i.recipient == r).unwrap().id.clone();
    // b answered, c unsubscribed, e was surveyed for another campaign since.
    store
        .record_answer(
            &id("b@x.com"),
            SurveyAnswer {
                score: 7,
                comment: None,
                reason: None,
            },
            t0,
        )
        .await
        .unwrap();
    store.unsubscribe(&id("c@x.com"), t0).await.unwrap();
    let later = at("2026-11-22T12:00:00Z");
    store
        .queue_invitations(
            &promiseguard::store::NewInvitation::from_pairs(&[(
                "c2".to_owned(),
                "e@x.com".to_owned(),
            )]),
            later,
        )
        .await
        .unwrap();

    let due = at("2026-11-23T12:00:00Z");
    // Not yet due when the invitations were sent after the cut-off.
    assert!(
        store
            .claim_reminders("r1", at("2026-11-19T00:00:00Z"), due, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let claimed = store.claim_reminders("r1", due, due, 10).await.unwrap();
    let mut who: Vec<&str> = claimed.iter().map(|c| c.recipient.as_str()).collect();
    who.sort();
    assert_eq!(who, ["a@x.com", "g@x.com"]);
    assert!(
        store
            .claim_reminders("r1", due, due, 10)
            .await
            .unwrap()
            .is_empty(),
        "claimed once"
    );

    // g's send fails for now: due again; then sent, and never again.
    store
        .finish_reminder(&id("g@x.com"), Err(("451 busy".into(), true)), due)
        .await
        .unwrap();
    let again = store.claim_reminders("r1", due, due, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].recipient, "g@x.com");
    // Outside g's send window: given back until it opens, not claimed before then.
    let opens = due + chrono::Duration::hours(3);
    store.defer_reminder(&again[0].id, opens).await.unwrap();
    let hour = chrono::Duration::hours(1);
    assert!(
        store
            .claim_reminders("r1", due, due + hour, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let again = store.claim_reminders("r1", due, opens, 10).await.unwrap();
    assert_eq!(again.len(), 1, "claimed once its window opens");
    store
        .finish_reminder(&again[0].id, Ok(()), due)
        .await
        .unwrap();
    assert_eq!(
        store
            .reminder_status(&again[0].id)
            .await
            .unwrap()
            .as_deref(),
        Some("sent")
    );

    // a's run died mid-send: the next run marks it unknown, and nobody claims it again.
    assert_eq!(store.abandon_unfinished_reminders("r2").await.unwrap(), 1);
    assert_eq!(
        store
            .reminder_status(&id("a@x.com"))
            .await
            .unwrap()
            .as_deref(),
        Some("unknown")
    );
    assert!(
        store
            .claim_reminders("r2", due, due, 10)
            .await
            .unwrap()
            .is_empty()
    );
}
