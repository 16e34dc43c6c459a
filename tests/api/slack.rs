//! Alerts to Slack: a detractor of a campaign that broke a promise reaches a Slack incoming
//! webhook as Slack documents its body (`text` plus Block Kit `blocks`), the customer's comment
//! escaped so it cannot ping `<!channel>`; the webhook's URL is never stored with the alert;
//! a revoked webhook (404 `no_service`) is not retried, a 500 is; erasing the person before
//! delivery deletes the queued alert.
use crate::support::app::TestApp;
use crate::support::fake_server::{FakeServer, in_turn};
use crate::support::smtp::SmtpSink;
use crate::support::surveys::{app_alerting, one_clicker_surveyed};
use promiseguard::store::{AlertStatus, AlertStore};
use serde_json::Value;
use std::time::Duration;

/// A blocked campaign whose clicker answers 2 with `comment`, alerting Slack at `hook`.
async fn detractor_alerted(
    hook: &FakeServer,
    comment: &'static str,
) -> (TestApp, SmtpSink, String) {
    let sink = SmtpSink::start().await;
    let app = app_alerting(
        &sink,
        &format!(
            "slack_webhook_url = \"{}/services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX\"\nretry_schedule_s = [2, 2]",
            hook.url
        ),
    )
    .await;
    let (campaign, _, url) = one_clicker_surveyed(&app, &sink, "a@example.com").await;
    let form = [
        ("score", "2"),
        ("reason", "location_closed"),
        ("comment", comment),
    ];
    let res = app.client.post(url).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 200);
    (app, sink, campaign)
}

/// Every block is one Slack documents for messages, each text object well formed.
fn check_blocks(body: &Value) {
    assert!(
        body["text"].as_str().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    for block in body["blocks"].as_array().unwrap() {
        match block["type"].as_str().unwrap() {
            "section" => {
                let texts: Vec<&Value> = match block.get("fields") {
                    Some(fields) => fields.as_array().unwrap().iter().collect(),
                    None => vec![&block["text"]],
                };
                for t in texts {
                    assert_eq!(t["type"], "mrkdwn", "{block}");
                    let text = t["text"].as_str().unwrap();
                    assert!(!text.is_empty() && text.chars().count() <= 3000, "{block}");
                }
            }
            "actions" => {
                let button = &block["elements"][0];
                assert_eq!(button["type"], "button");
                assert_eq!(button["text"]["type"], "plain_text");
                assert!(
                    button["url"]
                        .as_str()
                        .unwrap()
                        .starts_with("https://cx.example.com/ui/campaigns/")
                );
            }
            other => panic!("a block Slack messages do not take here: {other}"),
        }
    }
}

#[tokio::test]
async fn a_detractors_comment_reaches_slack_escaped_in_slacks_format() {
    let hook = FakeServer::start(in_turn(Vec::new())).await;
    let (app, _sink, campaign) = detractor_alerted(
        &hook,
        "<!channel> the branch was closed & dark <https://evil.example|click>",
    )
    .await;
    hook.wait_for(1).await;
    let post = &hook.requests()[0];
    assert_eq!(post.method, "POST");
    assert_eq!(post.path, "/services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX");
    assert!(
        post.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let body = post.json();
    check_blocks(&body);
    let raw = String::from_utf8(post.body.clone()).unwrap();
    assert!(
        !raw.contains("<!channel>") && !raw.contains("<https://evil"),
        "{raw}"
    );
    assert!(
        raw.contains(
            "&lt;!channel&gt; the branch was closed &amp; dark &lt;https://evil.example|click&gt;"
        ),
        "{raw}"
    );
    assert!(
        body["text"].as_str().unwrap().starts_with("Detractor: "),
        "{body}"
    );
    // The alert row names the channel, never the webhook's URL (the credential).
    let alerts = app.store.alerts(&campaign).await.unwrap();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(
        (alerts[0].channel.as_str(), alerts[0].target.as_str()),
        ("slack", "slack")
    );
    assert_eq!(alerts[0].status, AlertStatus::Sent);
}

#[tokio::test]
async fn a_revoked_slack_webhook_is_not_retried_and_a_failing_one_is() {
    let revoked = FakeServer::start(in_turn(vec![(404, "no_service")])).await;
    let (app, _sink, campaign) = detractor_alerted(&revoked, "closed").await;
    revoked.wait_for(1).await;
    // Past when a retry (2 s) would have come.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert_eq!(revoked.count(), 1, "a 404 is not retried");
    let alerts = app.store.alerts(&campaign).await.unwrap();
    assert_eq!(alerts[0].status, AlertStatus::Failed);
    let error = alerts[0].last_error.as_deref().unwrap();
    assert!(error.contains("404") && !error.contains("XXXX"), "{error}");

    let flaky = FakeServer::start(in_turn(vec![
        (500, "internal_error"),
        (429, "rate_limited"),
    ]))
    .await;
    let (app, _sink, campaign) = detractor_alerted(&flaky, "closed").await;
    flaky.wait_for(3).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while app.store.alerts(&campaign).await.unwrap()[0].status != AlertStatus::Sent {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not delivered after 500 and 429"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The detractor alert carries the person's address and comment: erasing them before it is
/// delivered deletes it, so a retry never sends it (to Slack as to any destination).
#[tokio::test]
async fn an_erasure_before_delivery_deletes_the_queued_slack_alert() {
    let hook = FakeServer::start(in_turn(vec![(503, "service_unavailable")])).await;
    let (app, _sink, campaign) = detractor_alerted(&hook, "closed").await;
    hook.wait_for(1).await;
    let erased = app
        .client
        .delete(format!("{}/v1/recipients/a@example.com", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(erased.status(), 200);
    let receipt: Value = erased.json().await.unwrap();
    assert_eq!(receipt["erased"]["alerts"], 1, "{receipt}");
    assert!(app.store.alerts(&campaign).await.unwrap().is_empty());
    // Past when the retry (2 s) would have come: nothing more reaches Slack.
    tokio::time::sleep(Duration::from_millis(4000)).await;
    assert_eq!(hook.count(), 1);
}
