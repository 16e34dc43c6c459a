//! Engagement: events stored once each, suppressions, and what the sweep reads.
use crate::fixtures::{at, event};
use crate::support::store::event_credential;
use promiseguard::store::{CheckStore, EngagementStore, SqlStore};

pub async fn events_are_idempotent_and_feed_the_sweep(store: SqlStore) {
    use promiseguard::domain::attribution::Touch;
    let now = at("2026-11-23T12:00:00Z");
    let events = vec![
        event(
            "e1",
            "click",
            Some("c8"),
            "a@example.com",
            "2026-11-18T10:00:00Z",
        ),
        event(
            "e2",
            "click",
            Some("c8"),
            "a@example.com",
            "2026-11-19T10:00:00Z",
        ),
        event(
            "e3",
            "click",
            Some("c8"),
            "b@example.com",
            "2026-11-19T09:00:00Z",
        ),
        event(
            "e4",
            "conversion",
            None,
            "b@example.com",
            "2026-11-19T11:00:00Z",
        ),
        event(
            "e5",
            "click",
            Some("c8"),
            "late@example.com",
            "2026-11-23T11:00:00Z",
        ),
        event(
            "e6",
            "click",
            Some("c8"),
            "gone@example.com",
            "2026-11-18T10:00:00Z",
        ),
        event(
            "e7",
            "unsubscribe",
            Some("c8"),
            "gone@example.com",
            "2026-11-18T11:00:00Z",
        ),
    ];
    let r = store.record_events(&events, "platform", now).await.unwrap();
    assert_eq!(
        (r.received, r.stored, r.duplicates, r.suppressed),
        (7, 7, 0, 1)
    );
    // A redelivery through another door stores nothing, and the first credential stands.
    let again = store
        .record_events(&events[..2], "signed", now)
        .await
        .unwrap();
    assert_eq!((again.stored, again.duplicates), (0, 2));
    assert_eq!(
        event_credential(&store, "e1").await.as_deref(),
        Some("platform")
    );
    assert!(
        store.campaign("c8").await.unwrap().is_some(),
        "an event-only campaign exists"
    );

    // Clicked before the cut-off, not invited, not suppressed; oldest last click first.
    let candidates = store
        .sweep_candidates(at("2026-11-20T12:00:00Z"))
        .await
        .unwrap();
    assert_eq!(
        candidates,
        vec![
            ("c8".to_owned(), "b@example.com".to_owned()),
            ("c8".to_owned(), "a@example.com".to_owned())
        ]
    );
    let touches = store.touches(&["b@example.com".to_owned()]).await.unwrap();
    let mut b = touches["b@example.com"].clone();
    b.sort_by_key(|t| match t {
        Touch::Click { at, .. } | Touch::Conversion { at, .. } => *at,
    });
    assert_eq!(
        b,
        vec![
            Touch::Click {
                campaign: "c8".into(),
                at: at("2026-11-19T09:00:00Z"),
                locale: None,
                zone: None,
                promise: Default::default(),
            },
            Touch::Conversion {
                campaign: None,
                at: at("2026-11-19T11:00:00Z")
            }
        ]
    );
}

/// A suppression recorded from a provider's event withdraws, in the same transaction, the
/// invitations still waiting to be sent to that address — no other.
pub async fn a_suppression_withdraws_the_invitations_waiting_for_its_address(store: SqlStore) {
    use promiseguard::store::{InvitationStatus, InvitationStore, NewInvitation};
    let now = at("2026-11-23T12:00:00Z");
    let clicks = [
        event(
            "c:1",
            "click",
            Some("spring"),
            "a@example.com",
            "2026-11-20T10:00:00Z",
        ),
        event(
            "c:2",
            "click",
            Some("spring"),
            "b@example.com",
            "2026-11-20T10:00:00Z",
        ),
    ];
    store.record_events(&clicks, "test", now).await.unwrap();
    let waiting = |recipient: &str| NewInvitation {
        campaign_id: "spring".into(),
        recipient: recipient.into(),
        locale: None,
        promise_state: None,
        zone: None,
        send_after: None,
    };
    let queued = store
        .queue_invitations(&[waiting("a@example.com"), waiting("b@example.com")], now)
        .await
        .unwrap();
    assert_eq!(queued, 2);
    let mut bounce = event(
        "p:1",
        "bounce",
        None,
        "a@example.com",
        "2026-11-23T11:00:00Z",
    );
    bounce.suppresses = Some("bounce".into());
    store.record_events(&[bounce], "test", now).await.unwrap();
    let rows = store.invitations("spring").await.unwrap();
    let of = |r: &str| rows.iter().find(|i| i.recipient == r).unwrap();
    assert_eq!(of("a@example.com").status, InvitationStatus::Failed);
    assert_eq!(
        of("a@example.com").last_error.as_deref(),
        Some("withdrawn before it was sent: the address was suppressed (bounce)")
    );
    assert_eq!(of("b@example.com").status, InvitationStatus::Queued);
}
