//! The campaigns scheduled on Klaviyo, Mailchimp and Braze, watched against fakes of their
//! APIs: a campaign whose email links closed branches is alerted when first seen a week ahead
//! and taken off the schedule inside `act_within_s` (once, with one `campaign.unscheduled`
//! alert); every A/B variation is read; content is read again only when the fetch rule says.
use crate::support::platforms::watcher::{
    ahead, branch_email, klaviyo_table, mailchimp_table, rental_email, watcher,
};
use crate::support::platforms::{Fake, FakeCampaign, KEY, set};
use chrono::{Duration, Utc};
use promiseguard::store::CheckStore;

#[tokio::test]
async fn a_klaviyo_campaign_that_breaks_promises_is_alerted_a_week_ahead_then_reverted_once() {
    let send = ahead(7 * 24);
    let fake = Fake::klaviyo(vec![
        FakeCampaign::new("k-rental", send, &rental_email()),
        FakeCampaign::new("k-open", send, &branch_email("loc-201")),
        FakeCampaign::new("k-later", ahead(30 * 24), &rental_email()),
    ])
    .await;
    let w = watcher(&klaviyo_table(&fake.server.url), "").await;

    // A week ahead: checked, alerted, left scheduled.
    let first = w.tick(Utc::now()).await;
    assert_eq!(
        (
            first.listed,
            first.checked,
            first.alerted,
            first.unscheduled
        ),
        (2, 2, 1, 0),
        "{first}"
    );
    assert!(fake.campaigns.get("k-rental").scheduled);
    assert_eq!(
        fake.calls("/api/campaigns"),
        2,
        "two pages, links.next followed"
    );
    let detail = w.detail("k-rental").await;
    assert_eq!(detail["platform"], "klaviyo");
    assert_eq!(detail["latest_check"]["phase"], "scheduled");
    assert_eq!(detail["latest_check"]["verdict"], "block");
    assert_eq!(detail["actions"][0]["action"], "alerted", "{detail}");
    let open = w.detail("k-open").await;
    assert_eq!(open["latest_check"]["verdict"], "pass");
    assert_eq!(open["actions"], serde_json::json!([]));
    assert!(
        w.services
            .store
            .campaign("k-later")
            .await
            .unwrap()
            .is_none(),
        "beyond the horizon"
    );
    let subjects = w.deliver_alerts().await;
    assert_eq!(subjects.len(), 1, "{subjects:?}");
    assert!(
        subjects[0].starts_with("Scheduled to break promises"),
        "{subjects:?}"
    );

    // Unchanged the next tick: nothing read again, nothing alerted again.
    let templates_before = fake.calls("/api/campaign-messages/");
    let again = w.tick(Utc::now() + Duration::minutes(5)).await;
    assert_eq!((again.fetched, again.alerted), (0, 0), "{again}");
    assert_eq!(fake.calls("/api/campaign-messages/"), templates_before);

    // Inside act_within_s: read once more, reverted to Draft, once.
    let soon = send - Duration::hours(1);
    let acted = w.tick(soon).await;
    assert_eq!((acted.fetched, acted.unscheduled), (2, 1), "{acted}");
    assert!(
        !fake.campaigns.get("k-rental").scheduled,
        "reverted to Draft"
    );
    let patches: Vec<_> = fake
        .server
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .collect();
    assert_eq!(patches.len(), 1);
    assert_eq!(patches[0].path, "/api/campaign-send-jobs/k-rental");
    assert_eq!(patches[0].json()["data"]["attributes"]["action"], "revert");
    assert!(
        fake.campaigns.get("k-open").scheduled,
        "a campaign that keeps its promises is untouched"
    );
    let detail = w.detail("k-rental").await;
    let actions: Vec<&str> = detail["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["alerted", "unscheduled"]);
    let subjects = w.deliver_alerts().await;
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    assert!(
        subjects[1].starts_with("Taken off the schedule"),
        "{subjects:?}"
    );
    let after = w.tick(soon + Duration::minutes(5)).await;
    assert_eq!(
        (after.listed, after.unscheduled),
        (1, 0),
        "off the schedule, not listed: {after}"
    );
    let metrics = w.services.metrics.render();
    assert!(
        metrics.contains(
            "promiseguard_watch_actions_total{action=\"unscheduled\",platform=\"klaviyo-main\"} 1"
        ),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_mailchimp_promise_only_in_the_b_variation_is_found_and_unscheduled() {
    let send = ahead(1);
    let mut ab = FakeCampaign::new("m-ab", send, &branch_email("loc-201"));
    ab.variations
        .push(("Variation B".into(), branch_email("loc-101")));
    let fake = Fake::mailchimp(vec![ab]).await;
    let w = watcher(&mailchimp_table(&fake.server.url), "").await;
    let report = w.tick(Utc::now()).await;
    assert_eq!((report.checked, report.unscheduled), (1, 1), "{report}");
    assert!(!fake.campaigns.get("m-ab").scheduled);
    let detail = w.detail("m-ab").await;
    let extracted = detail["latest_check"]["extracted"].as_array().unwrap();
    let closed = extracted
        .iter()
        .find(|e| e["location"] == "loc-101")
        .unwrap();
    assert_eq!(
        closed["variations"],
        serde_json::json!(["Variation B"]),
        "{detail}"
    );
    let open = extracted
        .iter()
        .find(|e| e["location"] == "loc-201")
        .unwrap();
    assert_eq!(open["variations"], serde_json::json!(["A"]));
    let unschedule = fake
        .server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(unschedule, 1);
}

#[tokio::test]
async fn mailchimp_content_is_read_again_only_after_refetch_s_and_a_throttle_is_waited_out() {
    let send = ahead(5 * 24);
    let fake = Fake::mailchimp(vec![FakeCampaign::new(
        "m-1",
        send,
        &branch_email("loc-201"),
    )])
    .await;
    let w = watcher(
        &mailchimp_table(&fake.server.url),
        "[watch]\nrefetch_s = 3600\n",
    )
    .await;
    let now = Utc::now();
    set(&fake.campaigns.throttle, 1);
    assert_eq!(
        w.tick(now).await.fetched,
        1,
        "a 429 without Retry-After backs off and is asked again"
    );
    assert_eq!(w.tick(now + Duration::minutes(30)).await.fetched, 0);
    assert_eq!(fake.calls("/3.0/campaigns/m-1/content"), 1);
    assert_eq!(w.tick(now + Duration::minutes(61)).await.fetched, 1);
    assert_eq!(fake.calls("/3.0/campaigns/m-1/content"), 2);
    // A moved send time is read at once.
    fake.campaigns
        .edit("m-1", |c| c.send_time = send + Duration::days(1));
    assert_eq!(w.tick(now + Duration::minutes(62)).await.fetched, 1);
}

#[tokio::test]
async fn changed_klaviyo_content_is_read_and_checked_again_and_a_429_is_waited_out() {
    let fake = Fake::klaviyo(vec![FakeCampaign::new(
        "k-1",
        ahead(3 * 24),
        &branch_email("loc-201"),
    )])
    .await;
    let w = watcher(&klaviyo_table(&fake.server.url), "").await;
    let now = Utc::now();
    // Klaviyo's 429 says how long to wait (Retry-After: 1): waited, then asked again.
    set(&fake.campaigns.throttle, 1);
    assert_eq!(w.tick(now).await.checked, 1);
    let listed = fake
        .server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/campaigns")
        .count();
    assert_eq!(listed, 2, "the throttled list asked again");
    assert_eq!(w.detail("k-1").await["latest_check"]["verdict"], "pass");
    fake.campaigns.edit("k-1", |c| {
        c.variations[0].1 = branch_email("loc-102");
        c.updated_at = "2026-12-02T00:00:00+00:00".into();
    });
    let report = w.tick(now + Duration::minutes(5)).await;
    assert_eq!((report.checked, report.alerted), (1, 1), "{report}");
    assert_eq!(w.detail("k-1").await["latest_check"]["verdict"], "block");
    assert_eq!(w.services.store.checks("k-1").await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_braze_campaign_is_alerted_and_a_canvas_is_counted_unreadable() {
    let mut canvas = FakeCampaign::new("b-canvas", ahead(48), &rental_email());
    canvas.canvas = true;
    let mut local = FakeCampaign::new("b-rental", ahead(48), &rental_email());
    local.local = true;
    let fake = Fake::braze(vec![local, canvas]).await;
    let table = format!(
        "name = \"braze-eu\"\nkind = \"braze\"\napi_key = \"{KEY}\"\nbase_url = \"{}\"\n",
        fake.server.url
    );
    let w = watcher(&table, "").await;
    let report = w.tick(Utc::now()).await;
    assert_eq!(
        (report.listed, report.checked, report.alerted),
        (2, 1, 1),
        "{report}"
    );
    let detail = w.detail("b-rental").await;
    assert_eq!(detail["actions"][0]["action"], "alerted");
    assert_eq!(detail["platform"], "braze");
    assert!(
        w.services
            .store
            .campaign("b-canvas")
            .await
            .unwrap()
            .is_none()
    );
    w.tick(Utc::now() + Duration::minutes(5)).await;
    let metrics = w.services.metrics.render();
    assert!(
        metrics.contains("promiseguard_watch_unreadable_total{platform=\"braze-eu\"} 1"),
        "{metrics}"
    );
}

/// A scheduled campaign whose broken promises are exempted passes: neither alerted nor taken
/// off the schedule, its findings still reported with the exemption.
#[tokio::test]
async fn an_exempted_scheduled_campaign_is_neither_alerted_nor_unscheduled() {
    use promiseguard::domain::exemption::{ExemptionCategory, ExemptionScope, NewExemption};
    use promiseguard::store::ExemptionStore;
    let send = ahead(7 * 24);
    let fake = Fake::klaviyo(vec![FakeCampaign::new("k-rental", send, &rental_email())]).await;
    let w = watcher(&klaviyo_table(&fake.server.url), "").await;
    let exemption = NewExemption {
        scope: ExemptionScope {
            campaign_id: Some("k-rental".into()),
            ..ExemptionScope::default()
        },
        category: ExemptionCategory::Waiver,
        reason: "the branches reopen before the send".into(),
        ticket: None,
        expires_at: Utc::now() + Duration::days(30),
    };
    w.services
        .store
        .create_exemption(&exemption, "dana", Utc::now())
        .await
        .unwrap();
    let first = w.tick(Utc::now()).await;
    assert_eq!(
        (first.checked, first.alerted, first.unscheduled),
        (1, 0, 0),
        "{first}"
    );
    let detail = w.detail("k-rental").await;
    assert_eq!(detail["latest_check"]["phase"], "scheduled");
    assert_eq!(detail["latest_check"]["verdict"], "pass", "{detail}");
    let findings = detail["latest_check"]["findings"].as_array().unwrap();
    assert!(!findings.is_empty() && findings.iter().all(|f| f["exemption"].is_object()));
    let acted = w.tick(send - Duration::hours(1)).await;
    assert_eq!(acted.unscheduled, 0, "{acted}");
    assert!(fake.campaigns.get("k-rental").scheduled);
}
