//! Survey invitations: unique per (campaign, recipient), claimed once, group-committed with the
//! outcomes of finished sends.
use crate::fixtures::{at, event};
use crate::support::store::{claim_one, finish_one};
use chrono::{DateTime, Utc};
use promiseguard::domain::SendOutcome;
use promiseguard::domain::event::{EngagementEvent, EventKind};
use promiseguard::domain::nps::SurveyAnswer;
use promiseguard::domain::outbox::GroupCommit;
use promiseguard::store::{
    AnswerStore, EngagementStore, InvitationStatus, InvitationStore, ReminderStore, SqlStore,
};

pub async fn invitations_are_unique_claimed_once_and_answered(store: SqlStore) {
    let now = at("2026-11-23T12:00:00Z");
    store
        .record_events(
            &[event(
                "e1",
                "click",
                Some("c9"),
                "a@example.com",
                "2026-11-18T10:00:00Z",
            )],
            "test",
            now,
        )
        .await
        .unwrap();
    let pairs = vec![
        ("c9".to_owned(), "a@example.com".to_owned()),
        ("c9".to_owned(), "b@example.com".to_owned()),
    ];
    assert_eq!(
        store
            .queue_invitations(&promiseguard::store::NewInvitation::from_pairs(&pairs), now)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .queue_invitations(&promiseguard::store::NewInvitation::from_pairs(&pairs), now)
            .await
            .unwrap(),
        0,
        "(campaign, recipient) is unique"
    );
    assert_eq!(store.surveyed_since(now).await.unwrap().len(), 2);

    let first = claim_one(&store, "run-1", now).await.unwrap();
    assert_eq!(
        (first.recipient.as_str(), first.attempts),
        ("a@example.com", 1)
    );
    let retry_at = at("2026-11-23T12:05:00Z");
    finish_one(
        &store,
        &first.id,
        SendOutcome::Retry {
            at: retry_at,
            error: "451 busy".into(),
        },
        now,
    )
    .await;
    let second = claim_one(&store, "run-1", now).await.unwrap();
    assert_eq!(second.recipient, "b@example.com");
    assert!(
        claim_one(&store, "run-1", now).await.is_none(),
        "a's retry is not due yet"
    );
    // run-1 dies holding b; run-2 finds it and marks it unknown, never to be sent again.
    assert_eq!(store.abandon_unfinished_sends("run-2").await.unwrap(), 1);
    let again = claim_one(&store, "run-2", retry_at).await.unwrap();
    assert_eq!(
        (again.recipient.as_str(), again.attempts),
        ("a@example.com", 2)
    );
    finish_one(&store, &again.id, SendOutcome::Sent, retry_at).await;
    assert!(claim_one(&store, "run-2", retry_at).await.is_none());

    let rows = store.invitations("c9").await.unwrap();
    assert_eq!(
        rows.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![InvitationStatus::Sent, InvitationStatus::Unknown]
    );

    assert!(
        store
            .record_answer(
                &again.id,
                SurveyAnswer {
                    score: 9,
                    comment: Some("great"),
                    reason: None
                },
                retry_at
            )
            .await
            .unwrap()
    );
    assert!(
        store
            .record_answer(
                &again.id,
                SurveyAnswer {
                    score: 4,
                    comment: None,
                    reason: None
                },
                retry_at
            )
            .await
            .unwrap(),
        "the last answer wins"
    );
    assert!(
        !store
            .record_answer(
                "nope",
                SurveyAnswer {
                    score: 4,
                    comment: None,
                    reason: None
                },
                retry_at
            )
            .await
            .unwrap()
    );
    let nps = store.nps("c9").await.unwrap();
    assert_eq!(
        (
            nps.invited,
            nps.summary.responses,
            nps.summary.detractors,
            nps.summary.nps
        ),
        (2, 1, 1, Some(-100.0))
    );
    assert!(nps.comments.is_empty());

    assert!(store.unsubscribe(&second.id, retry_at).await.unwrap());
    store
        .record_events(
            &[event(
                "e9",
                "click",
                Some("c10"),
                "b@example.com",
                "2026-11-18T10:00:00Z",
            )],
            "test",
            now,
        )
        .await
        .unwrap();
    let candidates = store.sweep_candidates(now).await.unwrap();
    assert!(candidates.iter().all(|(_, r)| r != "b@example.com"));
}

pub async fn claims_are_group_committed_with_the_outcomes_of_finished_sends(store: SqlStore) {
    let now = at("2026-11-23T12:00:00Z");
    store
        .record_events(
            &[event(
                "g1",
                "click",
                Some("c7"),
                "r0@example.com",
                "2026-11-18T10:00:00Z",
            )],
            "test",
            now,
        )
        .await
        .unwrap();
    let pairs: Vec<(String, String)> = (0..7)
        .map(|i| ("c7".to_owned(), format!("r{i}@example.com")))
        .collect();
    assert_eq!(
        store
            .queue_invitations(&promiseguard::store::NewInvitation::from_pairs(&pairs), now)
            .await
            .unwrap(),
        7
    );

    // Two committers at once (two workers' batches, or two instances) take disjoint rows.
    let (a, b) = futures::join!(
        store.finish_and_claim(
            "run-1",
            now,
            GroupCommit {
                finished: &[],
                claims: 3
            }
        ),
        store.finish_and_claim(
            "run-1",
            now,
            GroupCommit {
                finished: &[],
                claims: 2
            }
        )
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!((a.len(), b.len()), (3, 2));
    let mut taken: Vec<&str> = a.iter().chain(&b).map(|c| c.id.as_str()).collect();
    taken.sort();
    taken.dedup();
    assert_eq!(taken.len(), 5, "no invitation claimed twice");
    assert!(a.iter().chain(&b).all(|c| c.attempts == 1));

    // One transaction: three outcomes recorded, and the two remaining due rows claimed (the
    // retried one is not due yet, so it is not among them).
    let later = at("2026-11-23T13:00:00Z");
    let finished = vec![
        (a[0].id.clone(), SendOutcome::Sent),
        (
            a[1].id.clone(),
            SendOutcome::Failed {
                error: "550 no such user".into(),
            },
        ),
        (
            a[2].id.clone(),
            SendOutcome::Retry {
                at: later,
                error: "451 busy".into(),
            },
        ),
        (b[0].id.clone(), SendOutcome::Sent),
    ];
    let next = store
        .finish_and_claim(
            "run-1",
            now,
            GroupCommit {
                finished: &finished,
                claims: 8,
            },
        )
        .await
        .unwrap();
    assert_eq!(next.len(), 2);
    assert!(next.iter().all(|c| !taken.contains(&c.id.as_str())));
    let status = |rows: &[promiseguard::store::InvitationRow], id: &str| {
        rows.iter().find(|r| r.id == id).unwrap().status
    };
    let rows = store.invitations("c7").await.unwrap();
    assert_eq!(status(&rows, &a[0].id), InvitationStatus::Sent);
    assert_eq!(status(&rows, &a[1].id), InvitationStatus::Failed);
    assert_eq!(status(&rows, &a[2].id), InvitationStatus::Queued);
    assert_eq!(status(&rows, &b[0].id), InvitationStatus::Sent);
    assert_eq!(status(&rows, &b[1].id), InvitationStatus::Sending);
    assert_eq!(
        rows.iter()
            .filter(|r| r.status == InvitationStatus::Sending)
            .count(),
        3
    );

    // Outcomes alone (the last requests of workers that find nothing due): nothing claimed.
    let last: Vec<(String, SendOutcome)> = next
        .iter()
        .chain(&b[1..])
        .map(|c| (c.id.clone(), SendOutcome::Sent))
        .collect();
    assert!(
        store
            .finish_and_claim(
                "run-1",
                now,
                GroupCommit {
                    finished: &last,
                    claims: 3
                }
            )
            .await
            .unwrap()
            .is_empty()
    );
    let rows = store.invitations("c7").await.unwrap();
    assert_eq!(
        rows.iter()
            .filter(|r| r.status == InvitationStatus::Sent)
            .count(),
        5
    );
    // The retry comes due and is claimed for its second attempt.
    let retried = store
        .finish_and_claim(
            "run-2",
            later,
            GroupCommit {
                finished: &[],
                claims: 8,
            },
        )
        .await
        .unwrap();
    assert_eq!(retried.len(), 1);
    assert_eq!(
        (retried[0].id.as_str(), retried[0].attempts),
        (a[2].id.as_str(), 2)
    );
}

/// SQLite only: the survey claims' connection runs on the calling thread with SQLite's busy
/// handler off, so a write lock held by another process must make a claim wait — without
/// blocking its thread — and then go through, not fail.
#[tokio::test(flavor = "current_thread")]
async fn a_claim_waits_for_another_processs_write_lock_then_goes_through() {
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::{ConnectOptions, Connection};
    use std::str::FromStr;
    use std::time::{Duration, Instant};
    let db = crate::support::databases::sqlite().await;
    let now: DateTime<Utc> = "2026-11-23T12:00:00Z".parse().unwrap();
    let click = EngagementEvent {
        id: "k1".into(),
        source: "api".into(),
        kind: EventKind::Click,
        campaign_id: Some("c1".into()),
        recipient: "r0@example.com".into(),
        occurred_at: now,
        url: None,
        order_id: None,
        suppresses: None,
        reactivates: false,
        locale: None,
        promise: None,
        judgement: None,
        survey_invitation: None,
        zone: None,
    };
    db.store.record_events(&[click], "test", now).await.unwrap();
    let pairs: Vec<(String, String)> = (0..3)
        .map(|i| ("c1".to_owned(), format!("r{i}@example.com")))
        .collect();
    db.store
        .queue_invitations(&promiseguard::store::NewInvitation::from_pairs(&pairs), now)
        .await
        .unwrap();

    // Another process takes the write lock and holds it for 300 ms.
    let mut other = SqliteConnectOptions::from_str(&db.url)
        .unwrap()
        .connect()
        .await
        .unwrap();
    sqlx::raw_sql("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();
    let held = Instant::now();
    let release = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        sqlx::raw_sql("COMMIT").execute(&mut other).await.unwrap();
    };
    // On a single-threaded runtime, the lock is only ever released if the waiting claim
    // leaves the thread free.
    let (claimed, ()) = tokio::join!(
        db.store.finish_and_claim(
            "run-1",
            now,
            GroupCommit {
                finished: &[],
                claims: 2
            }
        ),
        release
    );
    let claimed = claimed.unwrap();
    assert!(held.elapsed() >= Duration::from_millis(300));
    assert_eq!(claimed.len(), 2);
    assert!(claimed.iter().all(|c| c.attempts == 1));
    other.close().await.unwrap();
}

/// The survey's language on both backends: an event's `locale` reaches the sweep with its
/// click; an invitation's comes back with its claim, its reminder's claim and its row.
pub async fn an_invitations_language_is_kept_from_queue_to_claim_and_reminder(store: SqlStore) {
    let now = at("2026-11-23T12:00:00Z");
    let mut click = event(
        "e-ar",
        "click",
        Some("c5"),
        "a@example.com",
        "2026-11-18T10:00:00Z",
    );
    click.locale = Some("ar-EG".into());
    store.record_events(&[click], "test", now).await.unwrap();
    let touches = store.touches(&["a@example.com".to_owned()]).await.unwrap();
    assert_eq!(
        promiseguard::domain::attribution::click_locale(&touches["a@example.com"], "c5"),
        Some("ar-EG")
    );
    let new = |recipient: &str, locale: Option<&str>| promiseguard::store::NewInvitation {
        campaign_id: "c5".into(),
        recipient: recipient.into(),
        locale: locale.map(Into::into),
        promise_state: None,
        zone: None,
        send_after: None,
    };
    store
        .queue_invitations(
            &[new("a@example.com", Some("ar")), new("b@example.com", None)],
            now,
        )
        .await
        .unwrap();
    let mut claimed = Vec::new();
    while let Some(inv) = claim_one(&store, "run-1", now).await {
        finish_one(&store, &inv.id, SendOutcome::Sent, now).await;
        claimed.push((inv.recipient, inv.locale));
    }
    claimed.sort();
    assert_eq!(
        claimed,
        [
            ("a@example.com".to_owned(), Some("ar".to_owned())),
            ("b@example.com".to_owned(), None)
        ]
    );
    let rows = store.invitations("c5").await.unwrap();
    assert_eq!(rows[0].locale.as_deref(), Some("ar"));
    let reminders = store
        .claim_reminders("r1", now + chrono::Duration::days(1), now, 10)
        .await
        .unwrap();
    let a = reminders
        .iter()
        .find(|r| r.recipient == "a@example.com")
        .unwrap();
    assert_eq!((a.locale.as_deref(), a.sent_at), (Some("ar"), now));
}

/// What the sweep reads and writes goes to and from the database packed as JSON (one value a
/// statement): every field comes back as it went in, quotes, backslashes and non-ASCII
/// characters included, and a send-after time holds the invitation until then.
pub async fn a_queued_invitation_keeps_what_the_sweep_chose_whatever_its_characters(
    store: SqlStore,
) {
    let now = at("2026-11-23T12:00:00Z");
    let (campaign, person) = ("c-\"ü\"\\n", "o'brien+zoë@example.com");
    let mut click = event(
        "e-z",
        "click",
        Some(campaign),
        person,
        "2026-11-18T10:00:00Z",
    );
    click.locale = Some("fa".into());
    click.zone = Some("Asia/Tehran".into());
    store.record_events(&[click], "test", now).await.unwrap();
    let pair = (campaign.to_owned(), person.to_owned());
    assert!(store.sweep_candidates(now).await.unwrap().contains(&pair));
    let touches = store.touches(&[person.to_owned()]).await.unwrap();
    let touched = &touches[person];
    assert_eq!(
        (
            promiseguard::domain::attribution::click_locale(touched, campaign),
            promiseguard::domain::attribution::click_zone(touched, campaign),
        ),
        (Some("fa"), Some("Asia/Tehran"))
    );
    let later = now + chrono::Duration::hours(3);
    let invitation = promiseguard::store::NewInvitation {
        campaign_id: campaign.into(),
        recipient: person.into(),
        locale: Some("fa".into()),
        promise_state: Some(promiseguard::domain::judgement::Judgement::Broken),
        zone: Some("Asia/Tehran".into()),
        send_after: Some(later),
    };
    assert_eq!(
        store.queue_invitations(&[invitation], now).await.unwrap(),
        1
    );
    assert!(!store.sweep_candidates(now).await.unwrap().contains(&pair));
    assert_eq!(
        claim_one(&store, "run-1", now).await,
        None,
        "not before its time"
    );
    let claimed = claim_one(&store, "run-1", later).await.unwrap();
    assert_eq!(
        (
            claimed.campaign_id.as_str(),
            claimed.recipient.as_str(),
            claimed.locale.as_deref(),
            claimed.zone.as_deref(),
        ),
        (campaign, person, Some("fa"), Some("Asia/Tehran"))
    );
}

/// The due index holds queued rows only (migration 0031): claims still take them earliest
/// first — by not-before time, then queueing time, then recipient — and a row that was claimed,
/// sent, failed or settled never comes back, while a retry re-enters the order at its new time.
/// Settling a dead run's sends reads the index of rows in flight and leaves the live run's.
pub async fn claims_take_the_due_invitations_earliest_first_and_only_queued_ones(store: SqlStore) {
    let now = at("2026-11-23T12:00:00Z");
    let (campaign, later) = ("c-order", now + chrono::Duration::minutes(30));
    store
        .record_events(
            &[event(
                "o1",
                "click",
                Some(campaign),
                "z@example.com",
                "2026-11-18T10:00:00Z",
            )],
            "test",
            now,
        )
        .await
        .unwrap();
    let new = |recipient: &str, send_after| promiseguard::store::NewInvitation {
        send_after,
        ..promiseguard::store::NewInvitation::from_pairs(&[(campaign.into(), recipient.into())])
            .remove(0)
    };
    let first = [
        new("d@example.com", Some(later)),
        new("c@example.com", None),
        new("b@example.com", Some(now - chrono::Duration::minutes(5))),
    ];
    assert_eq!(store.queue_invitations(&first, now).await.unwrap(), 3);
    // Queued a minute later, due at the same time as c: after c.
    let second = [new("a@example.com", None)];
    let queued_later = now + chrono::Duration::minutes(1);
    assert_eq!(
        store
            .queue_invitations(&second, queued_later)
            .await
            .unwrap(),
        1
    );

    let mut order = Vec::new();
    while let Some(c) = claim_one(&store, "run-1", queued_later).await {
        order.push(c);
    }
    let recipients: Vec<&str> = order.iter().map(|c| c.recipient.as_str()).collect();
    assert_eq!(
        recipients,
        ["b@example.com", "c@example.com", "a@example.com"]
    );

    // b sent, c failed for good, a to be retried after d's time; nothing is due before then.
    finish_one(&store, &order[0].id, SendOutcome::Sent, queued_later).await;
    let failed = SendOutcome::Failed {
        error: "550 no such user".into(),
    };
    finish_one(&store, &order[1].id, failed, queued_later).await;
    let retry = SendOutcome::Retry {
        at: later + chrono::Duration::minutes(1),
        error: "451".into(),
    };
    finish_one(&store, &order[2].id, retry, queued_later).await;
    assert!(
        claim_one(&store, "run-1", later - chrono::Duration::seconds(1))
            .await
            .is_none()
    );
    let d = claim_one(&store, "run-2", later).await.unwrap();
    assert_eq!(d.recipient, "d@example.com");
    assert!(
        claim_one(&store, "run-2", later).await.is_none(),
        "a's retry is not due yet"
    );
    let a = claim_one(&store, "run-2", later + chrono::Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!((a.recipient.as_str(), a.attempts), ("a@example.com", 2));

    // run-2 holds d and a: run-2 itself settles nothing; run-3 settles both, and they are never
    // claimed again.
    assert_eq!(store.abandon_unfinished_sends("run-2").await.unwrap(), 0);
    assert_eq!(store.abandon_unfinished_sends("run-3").await.unwrap(), 2);
    assert_eq!(store.abandon_unfinished_sends("run-3").await.unwrap(), 0);
    let end = later + chrono::Duration::days(1);
    assert!(claim_one(&store, "run-3", end).await.is_none());
    let rows = store.invitations(campaign).await.unwrap();
    let status = |r: &str| rows.iter().find(|row| row.recipient == r).unwrap().status;
    assert_eq!(
        ["a", "b", "c", "d"].map(|p| status(&format!("{p}@example.com"))),
        [
            InvitationStatus::Unknown,
            InvitationStatus::Sent,
            InvitationStatus::Failed,
            InvitationStatus::Unknown
        ]
    );
}
