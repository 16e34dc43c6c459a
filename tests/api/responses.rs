//! Survey response webhooks (`[[surveys.webhooks]]`): each answer and unsubscribe reaches the
//! destinations that want it, signed as Standard Webhooks (verified with the reference library,
//! `standardwebhooks`, each destination with its own key) — `created` on the first answer,
//! `updated` when a later one changes it, nothing for an identical re-submission,
//! `survey.unsubscribed` once; a delivery answered 500 arrives again with the same
//! `webhook-id` and the same body; erasing the person before delivery sends nothing.
use crate::support::app::TestApp;
use crate::support::fake_server::{FakeRequest, FakeServer, in_turn};
use crate::support::smtp::SmtpSink;
use crate::support::surveys::{
    app_alerting, one_click_unsubscribe, one_clicker_surveyed, unsubscribe_url,
};
use promiseguard::store::{AlertStatus, AlertStore};
use serde_json::Value;
use std::time::Duration;

/// The reference vector's key (destination "all") and another (destination "created only").
const SECRET_ALL: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SECRET_CREATED: &str = "whsec_cHJvbWlzZWd1YXJkLXJlc3BvbnNlLWIh";

/// A clicker of the blocked fixture campaign, surveyed; responses go to `all` (every event)
/// and, when given, to `created` (`survey_response.created` only). The app, the survey page's
/// URL, the unsubscribe URL (both local) and the campaign.
struct Surveyed {
    app: TestApp,
    _sink: SmtpSink,
    survey: String,
    unsubscribe: String,
    campaign: String,
}

async fn surveyed(all: &FakeServer, created: Option<&FakeServer>) -> Surveyed {
    let sink = SmtpSink::start().await;
    let mut hooks = format!(
        "retry_schedule_s = [2, 2]\n\
         [[surveys.webhooks]]\nurl = \"{}/hooks/promiseguard\"\nsecret = \"{SECRET_ALL}\"\n",
        all.url
    );
    if let Some(created) = created {
        hooks += &format!(
            "[[surveys.webhooks]]\nurl = \"{}/created\"\nsecret = \"{SECRET_CREATED}\"\n\
             events = [\"survey_response.created\"]\n",
            created.url
        );
    }
    let app = app_alerting(&sink, &hooks).await;
    let (campaign, mail, survey) = one_clicker_surveyed(&app, &sink, "ana@example.com").await;
    let unsubscribe = unsubscribe_url(&app, &mail);
    Surveyed {
        app,
        _sink: sink,
        survey,
        unsubscribe,
        campaign,
    }
}

impl Surveyed {
    async fn answer(&self, score: &str, comment: &str) {
        let form = [
            ("score", score),
            ("reason", "location_closed"),
            ("comment", comment),
        ];
        let res = self
            .app
            .client
            .post(&self.survey)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
}

/// Verifies the delivery as a receiver would, with the Standard Webhooks reference library.
fn verified(post: &FakeRequest, secret: &str) -> Result<Value, String> {
    let mut headers = http::HeaderMap::new();
    for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        let value = post.header(name).ok_or(format!("no {name}"))?;
        headers.insert(name, value.parse().unwrap());
    }
    standardwebhooks::Webhook::new(secret)
        .unwrap()
        .verify(&post.body, &headers)
        .map_err(|e| e.to_string())?;
    Ok(post.json())
}

#[tokio::test]
async fn answers_reach_each_destination_signed_created_then_updated_then_unsubscribed() {
    let all = FakeServer::start(in_turn(vec![(500, "receiver down")])).await;
    let created_only = FakeServer::start(in_turn(Vec::new())).await;
    let s = surveyed(&all, Some(&created_only)).await;

    s.answer("2", "").await;
    // The first delivery is answered 500, the retry (2 s later) 200.
    all.wait_for(2).await;
    created_only.wait_for(1).await;
    let posts = all.requests();
    assert_eq!(posts[0].path, "/hooks/promiseguard");
    assert_eq!(posts[0].header("webhook-id"), posts[1].header("webhook-id"));
    assert_eq!(posts[0].body, posts[1].body, "a retry sends the same bytes");
    let created = verified(&posts[1], SECRET_ALL).unwrap();
    assert_eq!(created["type"], "survey_response.created");
    let data = &created["data"];
    assert_eq!(data["campaign_id"], s.campaign.as_str());
    assert_eq!(data["campaign_name"], "Neighborhood rental: a free day");
    assert_eq!(data["recipient"], "ana@example.com");
    assert_eq!(
        (data["score"].as_u64(), data["reason"].as_str()),
        (Some(2), Some("location_closed"))
    );
    assert_eq!(data["comment"], Value::Null);
    assert_eq!(data["locale"], "en");
    assert!(data["answered_at"].as_str().is_some(), "{data}");
    assert!(data["invitation_id"].as_str().is_some(), "{data}");
    assert!(data.as_object().unwrap().contains_key("promise_state"));
    // Each destination verifies with its own key, and only with it.
    let other = &created_only.requests()[0];
    assert_eq!(other.path, "/created");
    assert_eq!(other.header("webhook-id"), posts[1].header("webhook-id"));
    assert_eq!(
        verified(other, SECRET_CREATED).unwrap()["type"],
        "survey_response.created"
    );
    assert!(verified(other, SECRET_ALL).is_err());

    // The same answer again: nothing. A comment added: `updated`, to the destination that
    // wants it only.
    s.answer("2", "").await;
    s.answer("2", "The branch was closed").await;
    all.wait_for(3).await;
    let updated = verified(&all.requests()[2], SECRET_ALL).unwrap();
    assert_eq!(updated["type"], "survey_response.updated");
    assert_eq!(updated["data"]["comment"], "The branch was closed");
    assert_ne!(
        all.requests()[2].header("webhook-id"),
        posts[1].header("webhook-id")
    );
    assert!(
        updated["timestamp"].as_str().unwrap() > created["timestamp"].as_str().unwrap(),
        "{updated} {created}"
    );

    // Unsubscribing (RFC 8058 one-click) sends `survey.unsubscribed`, once.
    for _ in 0..2 {
        one_click_unsubscribe(&s.app, &s.unsubscribe).await;
    }
    all.wait_for(4).await;
    let unsubscribed = verified(&all.requests()[3], SECRET_ALL).unwrap();
    assert_eq!(unsubscribed["type"], "survey.unsubscribed");
    assert_eq!(unsubscribed["data"]["score"], 2);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        all.count(),
        4,
        "an identical answer, a second unsubscribe: nothing"
    );
    assert_eq!(created_only.count(), 1);
    // Every delivery settled: the outbox shows them sent, and no body naming ana is kept.
    let alerts = s.app.store.alerts(&s.campaign).await.unwrap();
    assert_eq!(alerts.len(), 4, "{alerts:?}");
    assert!(alerts.iter().all(|a| a.status == AlertStatus::Sent));
    for a in &alerts {
        let promiseguard::store::AlertAbout::Response(id) = &a.about else {
            panic!("{a:?}");
        };
        let held = promiseguard::store::ResponseStore::survey_response(&s.app.store, id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(held.body, None, "{held:?}");
    }
}

/// The response names the person and holds their comment: erasing them before it is delivered
/// deletes it and its queued deliveries, so a retry never sends it.
#[tokio::test]
async fn an_erasure_before_delivery_sends_nothing_more() {
    let all = FakeServer::start(in_turn(vec![(503, "busy"); 5])).await;
    let s = surveyed(&all, None).await;
    s.answer("3", "closed").await;
    all.wait_for(1).await;
    let erased = s
        .app
        .client
        .delete(format!("{}/v1/recipients/ana@example.com", s.app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(erased.status(), 200);
    let receipt: Value = erased.json().await.unwrap();
    assert_eq!(receipt["erased"]["responses"], 1, "{receipt}");
    assert_eq!(receipt["erased"]["alerts"], 1, "{receipt}");
    assert!(s.app.store.alerts(&s.campaign).await.unwrap().is_empty());
    tokio::time::sleep(Duration::from_millis(4000)).await;
    assert_eq!(all.count(), 1, "nothing after the erasure");
}
