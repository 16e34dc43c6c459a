//! Everything stored about one person, on both backends.
use crate::fixtures::{Draft, at, event};
use promiseguard::domain::nps::Reason;
use promiseguard::domain::nps::SurveyAnswer;
use promiseguard::store::{
    AnswerStore, CheckStore, EngagementStore, InvitationStore, RecipientStore, SqlStore,
};

pub async fn a_persons_data_is_found_by_address_whatever_its_case(store: SqlStore) {
    let now = at("2026-11-23T12:00:00Z");
    let check = Draft::new("c1", 0, "2026-11-20T10:00:00Z");
    store.record_check(&check.check(), None).await.unwrap();
    store
        .record_events(
            &[
                event(
                    "e1",
                    "click",
                    Some("c1"),
                    "Dana@Example.com",
                    "2026-11-20T11:00:00Z",
                ),
                event(
                    "e2",
                    "click",
                    Some("c1"),
                    "b@example.com",
                    "2026-11-20T11:00:00Z",
                ),
            ],
            "test",
            now,
        )
        .await
        .unwrap();
    store
        .queue_invitations(
            &promiseguard::store::NewInvitation::from_pairs(&[(
                "c1".to_owned(),
                "Dana@Example.com".to_owned(),
            )]),
            now,
        )
        .await
        .unwrap();
    let inv = store.invitations("c1").await.unwrap().remove(0);
    store
        .record_answer(
            &inv.id,
            SurveyAnswer {
                score: 4,
                comment: Some("closed"),
                reason: Some(Reason::LocationClosed),
            },
            now,
        )
        .await
        .unwrap();
    store.unsubscribe(&inv.id, now).await.unwrap();

    let data = store.recipient_data(" dana@example.com ").await.unwrap();
    assert_eq!(data.events.len(), 1);
    assert_eq!(data.events[0].id, "e1");
    assert_eq!(data.invitations.len(), 1);
    assert_eq!(data.invitations[0].score, Some(4));
    assert_eq!(
        data.invitations[0].reason.as_deref(),
        Some("location_closed")
    );
    assert_eq!(data.invitations[0].comment.as_deref(), Some("closed"));
    assert!(data.suppression.is_some());
    assert_eq!(data.campaigns.len(), 1);
    let nobody = store.recipient_data("nobody@example.com").await.unwrap();
    assert!(
        nobody.events.is_empty() && nobody.invitations.is_empty() && nobody.suppression.is_none()
    );
}
