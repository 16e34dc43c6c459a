//! Survey responses for `[[surveys.webhooks]]`: queued with the answer that makes them (one per
//! change, none for a repeat), one delivery per destination that wants the event, sent again
//! as the same response after a crash, the body forgotten once every delivery has settled, and
//! everything deleted by an erasure.
use crate::fixtures::{Draft, at};
use promiseguard::domain::SendOutcome;
use promiseguard::domain::nps::SurveyAnswer;
use promiseguard::domain::response::{ResponseEvent, ResponseHook};
use promiseguard::store::{
    AlertAbout, AlertRow, AlertStore, AnswerStore, CheckStore, ErasureStore, InvitationStore,
    NewInvitation, ResponseStore, SqlStore,
};

fn hooks() -> Vec<ResponseHook> {
    vec![
        ResponseHook {
            url: "http://hooks.example.com/all".into(),
            events: ResponseEvent::ALL.to_vec(),
        },
        ResponseHook {
            url: "http://hooks.example.com/created".into(),
            events: vec![ResponseEvent::Created],
        },
    ]
}

fn answer(score: u8, comment: Option<&str>) -> SurveyAnswer<'_> {
    SurveyAnswer {
        score,
        comment,
        reason: None,
    }
}

/// The response each alert is about, with its event, in the order they were queued.
async fn responses(store: &SqlStore) -> Vec<(AlertRow, ResponseEvent, Option<String>)> {
    let mut out = Vec::new();
    for alert in store.alerts("r1").await.unwrap() {
        let AlertAbout::Response(id) = &alert.about else {
            panic!("{alert:?}");
        };
        let held = store.survey_response(id).await.unwrap().unwrap();
        out.push((alert, held.event, held.body));
    }
    out
}

pub async fn a_response_is_queued_with_its_answer_and_forgotten_once_delivered(store: SqlStore) {
    let now = at("2026-11-25T10:00:00Z");
    let hooks = hooks();
    store
        .record_check(&Draft::new("r1", 0, "2026-11-24T10:00:00Z").check(), None)
        .await
        .unwrap();
    let pairs: Vec<(String, String)> = [("r1", "a@x.com"), ("r1", "b@x.com")]
        .map(|(c, r)| (c.to_owned(), r.to_owned()))
        .to_vec();
    store
        .queue_invitations(&NewInvitation::from_pairs(&pairs), now)
        .await
        .unwrap();
    let invitations = store.invitations("r1").await.unwrap();
    let id = |r: &str| {
        invitations
            .iter()
            .find(|i| i.recipient == r)
            .unwrap()
            .id
            .clone()
    };
    let (a, b) = (id("a@x.com"), id("b@x.com"));

    // Without destinations an answer queues nothing.
    store.record_answer(&b, answer(9, None), now).await.unwrap();
    assert!(store.alerts("r1").await.unwrap().is_empty());

    // The first answer: `created`, to both destinations, one body.
    assert!(
        store
            .record_answer_pushed(&a, answer(4, None), &hooks, now)
            .await
            .unwrap()
    );
    let queued = responses(&store).await;
    assert_eq!(queued.len(), 2);
    assert!(queued.iter().all(|(_, e, _)| *e == ResponseEvent::Created));
    assert_eq!(
        queued[0].0.about, queued[1].0.about,
        "one response, two deliveries"
    );
    let body: serde_json::Value = serde_json::from_str(queued[0].2.as_deref().unwrap()).unwrap();
    assert_eq!(body["type"], "survey_response.created");
    assert_eq!(
        (
            body["data"]["recipient"].as_str(),
            body["data"]["score"].as_u64()
        ),
        (Some("a@x.com"), Some(4))
    );
    // The same again: nothing. A comment: `updated`, to the destination that wants it.
    let later = at("2026-11-25T10:05:00Z");
    store
        .record_answer_pushed(&a, answer(4, None), &hooks, later)
        .await
        .unwrap();
    assert_eq!(responses(&store).await.len(), 2);
    store
        .record_answer_pushed(&a, answer(4, Some("closed")), &hooks, later)
        .await
        .unwrap();
    // Unsubscribing twice: one `survey.unsubscribed`.
    for _ in 0..2 {
        assert!(store.unsubscribe_pushed(&a, &hooks, later).await.unwrap());
    }
    let queued = responses(&store).await;
    let events: Vec<_> = queued
        .iter()
        .map(|(a, e, _)| (*e, a.target.as_str()))
        .collect();
    assert_eq!(
        events[2..],
        [
            (ResponseEvent::Updated, "http://hooks.example.com/all"),
            (ResponseEvent::Unsubscribed, "http://hooks.example.com/all"),
        ]
    );

    // A run that died mid-delivery: the delivery goes again, the same response (its id is the
    // `webhook-id`) with the same body.
    let lost = store.claim_alert("dead-run", later).await.unwrap().unwrap();
    assert_eq!(store.abandon_unfinished_alerts("run").await.unwrap(), 1);
    let first = store.claim_alert("run", later).await.unwrap().unwrap();
    let second = store.claim_alert("run", later).await.unwrap().unwrap();
    // The two deliveries of `created`, due at once, come in either order.
    let again = [&first, &second]
        .into_iter()
        .find(|a| a.id == lost.id)
        .unwrap();
    assert_eq!((again.attempts, &again.about), (2, &lost.about));
    assert!(first.about == queued[0].0.about && second.about == queued[0].0.about);
    // The body stays while a delivery waits, and goes when the last one settles.
    store
        .finish_alert(&first.id, &SendOutcome::Sent, later)
        .await
        .unwrap();
    assert!(responses(&store).await[0].2.is_some());
    let refused = SendOutcome::Failed {
        error: "the receiver answered 410 Gone".into(),
    };
    store
        .finish_alert(&second.id, &refused, later)
        .await
        .unwrap();
    let settled = responses(&store).await;
    assert_eq!((settled[0].2.as_ref(), settled[1].2.as_ref()), (None, None));
    assert!(settled[2].2.is_some() && settled[3].2.is_some());

    // An erasure deletes the person's responses and every delivery of them, sent or not.
    let receipt = store.erase("A@x.com", later).await.unwrap();
    assert_eq!((receipt.erased.responses, receipt.erased.alerts), (3, 4));
    assert!(store.alerts("r1").await.unwrap().is_empty());
    assert!(
        store
            .survey_response(match &queued[2].0.about {
                AlertAbout::Response(id) => id,
                other => panic!("{other:?}"),
            })
            .await
            .unwrap()
            .is_none()
    );
}
