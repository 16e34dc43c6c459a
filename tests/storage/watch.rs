//! Campaigns watched where they are scheduled: what each was when last read, actions claimed
//! once per campaign, version and kind (with their alerts), and the insight's rule that a
//! scheduled check fixed before the send broke nothing.
use crate::fixtures::{Draft, at, finding};
use promiseguard::domain::nps::SurveyAnswer;
use promiseguard::domain::watch::Scheduled;
use promiseguard::domain::{AlertChannel, AlertTarget, Phase};
use promiseguard::store::{
    ActionKind, ActionOutcome, AlertAbout, AlertStore, AnswerStore, CheckStore, Fetched,
    InvitationStore, NewAction, NewInvitation, Settled, SqlStore, WatchStore,
};

fn listed(id: &str, send: &str) -> Scheduled {
    Scheduled {
        id: id.into(),
        name: Some("Weekend".into()),
        subject: None,
        send_time: at(send),
        local_time: true,
        marker: Some("2026-12-01|2026-12-01".into()),
        messages: vec![],
        unreadable: false,
    }
}

pub async fn a_watched_campaign_is_remembered_and_acted_on_once(store: SqlStore) {
    let mut draft = Draft::new("w1", 1, "2026-12-01T10:00:00Z");
    draft.phase = Phase::Scheduled;
    store.record_check(&draft.check(), None).await.unwrap();
    assert_eq!(store.checks("w1").await.unwrap()[0].phase, Phase::Scheduled);

    let w1 = listed("w1", "2026-12-08T09:00:00Z");
    let canvas = listed("canvas", "2026-12-08T09:00:00Z");
    let now = at("2026-12-01T10:00:00Z");
    let read = |listed, hash| Fetched {
        platform: "klaviyo-main",
        listed,
        content_hash: hash,
        check_id: None,
        at: now,
    };
    store.record_fetch(read(&w1, Some("v1"))).await.unwrap();
    store.record_fetch(read(&canvas, None)).await.unwrap();
    let seen = store.watched("klaviyo-main").await.unwrap();
    assert_eq!(seen["w1"].fetched_at, Some(now));
    assert_eq!(seen["w1"].send_time, at("2026-12-08T09:00:00Z"));
    assert_eq!(seen["w1"].marker.as_deref(), Some("2026-12-01|2026-12-01"));
    assert_eq!(seen["canvas"].fetched_at, None, "listed, never read");
    assert!(store.watched("other").await.unwrap().is_empty());

    let action = |version, kind| NewAction {
        campaign_id: "w1",
        platform: "klaviyo",
        version,
        kind,
        check_id: &draft.id,
        send_time: at("2026-12-08T09:00:00Z"),
        at: now,
    };
    let alert = store
        .claim_action(action("v1", ActionKind::Alert))
        .await
        .unwrap();
    assert!(alert.is_some());
    assert_eq!(
        store
            .claim_action(action("v1", ActionKind::Alert))
            .await
            .unwrap(),
        None,
        "once a version"
    );
    let off = store
        .claim_action(action("v1", ActionKind::Unschedule))
        .await
        .unwrap()
        .unwrap();
    assert!(
        store
            .claim_action(action("v2", ActionKind::Alert))
            .await
            .unwrap()
            .is_some()
    );

    let targets = [AlertTarget {
        channel: AlertChannel::Email,
        target: "cx@example.com".into(),
    }];
    let settled = Settled {
        id: &off,
        outcome: ActionOutcome::Unscheduled,
        detail: None,
        alert_to: &targets,
    };
    // Settled twice (a retried tick): one alert a destination all the same.
    store.settle_action(settled).await.unwrap();
    store.settle_action(settled).await.unwrap();
    let row = store.action(&off).await.unwrap().unwrap();
    assert_eq!(
        (row.action, row.platform.as_str()),
        (ActionOutcome::Unscheduled, "klaviyo")
    );
    assert_eq!(row.send_time, at("2026-12-08T09:00:00Z"));
    let actions = store.actions("w1").await.unwrap();
    assert_eq!(actions.len(), 3);
    assert_eq!(
        actions
            .iter()
            .filter(|a| a.action == ActionOutcome::Pending)
            .count(),
        2
    );
    let alerts = store.alerts("w1").await.unwrap();
    assert_eq!(
        alerts.len(),
        1,
        "one alert an action and destination, however often settled"
    );
    assert_eq!(alerts[0].about, AlertAbout::Action(off.clone()));
    let claimed = store
        .claim_alert("run", at("2026-12-09T00:00:00Z"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.about, AlertAbout::Action(off));
}

pub async fn a_scheduled_check_fixed_before_the_send_broke_nothing(store: SqlStore) {
    let now = at("2026-12-09T12:00:00Z");
    // "fixed": a block at a scheduled check, then a clean one before the send.
    // "broke": a block at its last scheduled check before the send.
    for (campaign, checks) in [
        (
            "fixed",
            vec![("2026-12-01T10:00:00Z", 1), ("2026-12-07T10:00:00Z", 0)],
        ),
        (
            "broke",
            vec![("2026-12-01T10:00:00Z", 0), ("2026-12-07T10:00:00Z", 1)],
        ),
    ] {
        for (checked_at, findings) in checks {
            let mut draft = Draft::new(campaign, 0, checked_at)
                .with_findings((0..findings).map(finding).collect());
            draft.phase = Phase::Scheduled;
            let mut check = draft.check();
            check.send_at = at("2026-12-08T09:00:00Z");
            store.record_check(&check, None).await.unwrap();
        }
        let pairs = vec![(campaign.to_owned(), format!("{campaign}@x.com"))];
        store
            .queue_invitations(&NewInvitation::from_pairs(&pairs), now)
            .await
            .unwrap();
        let id = store.invitations(campaign).await.unwrap()[0].id.clone();
        let answer = SurveyAnswer {
            score: 3,
            comment: None,
            reason: None,
        };
        assert!(store.record_answer(&id, answer, now).await.unwrap());
    }
    let all = store.promise_answers(None).await.unwrap();
    let broken = |id: &str| all.iter().find(|c| c.campaign_id == id).unwrap().broken;
    assert!(!broken("fixed"), "fixed before the send");
    assert!(broken("broke"));
}

/// A campaign taken off the schedule was never sent: the live re-check passes it over while
/// its window is open, until the watch reads it again (the marketer scheduled it anew).
pub async fn a_campaign_taken_off_the_schedule_is_not_live_until_read_again(store: SqlStore) {
    let draft = Draft::new("off", 1, "2026-11-24T10:00:00Z");
    store.record_check(&draft.check(), None).await.unwrap();
    let during = at("2026-11-25T10:00:00Z");
    let live = |store: SqlStore| async move {
        let rows = store.live_campaigns(during, None, 10).await.unwrap();
        rows.iter().any(|c| c.id == "off")
    };
    assert!(live(store.clone()).await);
    let off = listed("off", "2026-11-25T09:00:00Z");
    let read_at = |when: &str| Fetched {
        platform: "klaviyo-main",
        listed: &off,
        content_hash: Some("v1"),
        check_id: None,
        at: at(when),
    };
    store
        .record_fetch(read_at("2026-11-24T08:00:00Z"))
        .await
        .unwrap();
    let action = NewAction {
        campaign_id: "off",
        platform: "klaviyo",
        version: "v1",
        kind: ActionKind::Unschedule,
        check_id: &draft.id,
        send_time: at("2026-11-25T09:00:00Z"),
        at: at("2026-11-24T08:00:01Z"),
    };
    let id = store.claim_action(action).await.unwrap().unwrap();
    let settled = Settled {
        id: &id,
        outcome: ActionOutcome::Unscheduled,
        detail: None,
        alert_to: &[],
    };
    store.settle_action(settled).await.unwrap();
    assert!(!live(store.clone()).await, "taken off, never sent");
    // Read again after it was scheduled anew: live when its window is open.
    store
        .record_fetch(read_at("2099-01-01T00:00:00Z"))
        .await
        .unwrap();
    assert!(live(store.clone()).await);
}
