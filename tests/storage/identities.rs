//! One identity for a person, on both backends: stored addresses folded once at migration
//! (colliding rows merged, not failing), one-time delivery tokens, and a provider's
//! reactivation lifting the suppression a provider set (and only that).
use crate::fixtures::{Draft, at, event};
use promiseguard::domain::nps::SurveyAnswer;
use promiseguard::store::{AnswerStore, Db, Delivery};
use promiseguard::store::{
    CheckStore, DeliveryToken, EngagementStore, InvitationStore, NewInvitation, RecipientStore,
    SqlStore, StoreError,
};

async fn execute(store: &SqlStore, sql: &'static str) {
    match store.db() {
        Db::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
        Db::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
    }
    .unwrap();
}

async fn count(store: &SqlStore, sql: &'static str) -> i64 {
    match store.db() {
        Db::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
    }
    .unwrap()
}

pub async fn stored_addresses_are_folded_once_and_what_collides_is_merged(store: SqlStore) {
    let now = at("2026-11-23T12:00:00Z");
    store
        .record_check(&Draft::new("c1", 0, "2026-11-20T10:00:00Z").check(), None)
        .await
        .unwrap();
    // Written as an older version (or a hand-made import) left them: unfolded.
    let events = [
        event(
            "e1",
            "click",
            Some("c1"),
            "Straße@Example.de",
            "2026-11-20T11:00:00Z",
        ),
        event(
            "e2",
            "click",
            Some("c1"),
            "STRASSE@example.de",
            "2026-11-20T11:05:00Z",
        ),
        event(
            "e3",
            "unsubscribe",
            Some("c1"),
            "Dana@Example.com",
            "2026-11-20T11:00:00Z",
        ),
        event(
            "e4",
            "unsubscribe",
            Some("c1"),
            "dana@example.com",
            "2026-11-20T11:00:00Z",
        ),
    ];
    store.record_events(&events, "test", now).await.unwrap();
    let pairs = [
        ("c1".to_owned(), "Straße@Example.de".to_owned()),
        ("c1".to_owned(), "STRASSE@EXAMPLE.DE".to_owned()),
    ];
    store
        .queue_invitations(&NewInvitation::from_pairs(&pairs), now)
        .await
        .unwrap();
    assert_eq!(count(&store, "SELECT COUNT(*) FROM invitations").await, 2);
    // Migration ran when the store was opened; run it again as if these rows predated it.
    execute(&store, "DELETE FROM data_migrations").await;
    let folded = store.fold_addresses().await.unwrap().expect("runs once");
    assert_eq!((folded.events, folded.invitations), (3, 1), "{folded:?}");
    assert_eq!(
        folded.merged, 2,
        "one suppression and one invitation merged"
    );
    assert_eq!(store.fold_addresses().await.unwrap(), None, "once only");

    assert_eq!(count(&store, "SELECT COUNT(*) FROM invitations").await, 1);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM suppressions").await, 1);
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(DISTINCT recipient) FROM events WHERE recipient = 'strasse@example.de'"
        )
        .await,
        1
    );
    let person = store.recipient_data("STRASSE@example.de").await.unwrap();
    assert_eq!((person.events.len(), person.invitations.len()), (2, 1));
    // The merged invitation still answers its survey.
    let id = person.invitations[0].id.clone();
    assert!(
        store
            .record_answer(
                &id,
                SurveyAnswer {
                    score: 9,
                    comment: None,
                    reason: None
                },
                now
            )
            .await
            .unwrap()
    );
}

pub async fn a_one_time_token_goes_with_one_event_and_expires(store: SqlStore) {
    let now = at("2026-11-23T12:00:00Z");
    let token = DeliveryToken {
        token: "t-1".into(),
        keep_until: at("2026-11-24T12:00:00Z"),
    };
    let click = [event(
        "mailgun:a",
        "click",
        Some("c1"),
        "a@example.com",
        "2026-11-23T11:00:00Z",
    )];
    let other = [event(
        "mailgun:b",
        "click",
        Some("c1"),
        "a@example.com",
        "2026-11-23T11:00:00Z",
    )];
    let first = store
        .record_events_once(
            &click,
            Delivery {
                by: "signed",
                token: &token,
            },
            now,
        )
        .await
        .unwrap();
    assert_eq!(first.stored, 1);
    let again = store
        .record_events_once(
            &click,
            Delivery {
                by: "signed",
                token: &token,
            },
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        (again.stored, again.duplicates),
        (0, 1),
        "the provider's redelivery"
    );
    let replay = store
        .record_events_once(
            &other,
            Delivery {
                by: "signed",
                token: &token,
            },
            now,
        )
        .await;
    assert!(
        matches!(replay, Err(StoreError::TokenReplayed(_))),
        "{replay:?}"
    );
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM events WHERE id = 'mailgun:b'").await,
        0
    );
    // Past its keep_until the token is dropped (its signature is stale by then anyway).
    let later = at("2026-11-25T12:00:00Z");
    let fresh = DeliveryToken {
        token: "t-2".into(),
        keep_until: at("2026-11-26T12:00:00Z"),
    };
    store
        .record_events_once(
            &[],
            Delivery {
                by: "signed",
                token: &fresh,
            },
            later,
        )
        .await
        .unwrap();
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM webhook_tokens WHERE token = 't-1'"
        )
        .await,
        0
    );
}

pub async fn a_reactivation_lifts_a_providers_suppression_but_not_a_survey_unsubscribe(
    store: SqlStore,
) {
    let now = at("2026-11-23T12:00:00Z");
    let mut bounce = event(
        "p:1",
        "bounce",
        None,
        "a@example.com",
        "2026-11-23T10:00:00Z",
    );
    bounce.suppresses = Some("bounce".into());
    let mut reactivated = event(
        "p:2",
        "subscriptionchange",
        None,
        "a@example.com",
        "2026-11-23T11:00:00Z",
    );
    reactivated.reactivates = true;
    store
        .record_events(&[bounce.clone()], "test", now)
        .await
        .unwrap();
    assert_eq!(count(&store, "SELECT COUNT(*) FROM suppressions").await, 1);
    store
        .record_events(&[reactivated.clone()], "test", now)
        .await
        .unwrap();
    assert_eq!(count(&store, "SELECT COUNT(*) FROM suppressions").await, 0);
    // In one request, in order: bounce, reactivation, bounce again → suppressed.
    let mut again = bounce.clone();
    again.id = "p:3".into();
    let mut back = reactivated.clone();
    back.id = "p:4".into();
    store
        .record_events(&[back, again], "test", now)
        .await
        .unwrap();
    assert_eq!(count(&store, "SELECT COUNT(*) FROM suppressions").await, 1);
    // The person's own word to us (the survey's unsubscribe link) stays.
    execute(
        &store,
        "UPDATE suppressions SET reason = 'unsubscribe link'",
    )
    .await;
    let mut later = reactivated;
    later.id = "p:5".into();
    store.record_events(&[later], "test", now).await.unwrap();
    assert_eq!(count(&store, "SELECT COUNT(*) FROM suppressions").await, 1);
}
