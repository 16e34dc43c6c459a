//! A retailer's whole fleet: one layer of observations under every consumer (single flight
//! across webhooks, `max_age_s`), the source's quota and 429 pauses shared by everyone, sends
//! ahead of the re-check tick, Google's location list, and a tick that stores exactly what
//! checking each campaign alone would.
use crate::support::app::{TestApp, live_offer, spawn_app};
use crate::support::fake_server::{FakeRequest, FakeResponse, FakeServer};
use crate::support::upstreams::{GBP_ACCOUNT, TOKEN, gbp_location, google_business_profile};
use promiseguard::domain::campaign::CampaignInput;
use promiseguard::domain::{Mode, Phase, Verdict};
use promiseguard::store::{CheckStore, FindingStore, NewCheck};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A fake Google whose every request is also noted with the moment it arrived.
fn timed_gbp(
    branches: HashMap<String, Value>,
    arrivals: Arc<Mutex<Vec<(String, Instant)>>>,
) -> impl Fn(&FakeRequest) -> FakeResponse {
    let gbp = google_business_profile(branches);
    move |req| {
        arrivals
            .lock()
            .unwrap()
            .push((req.path.clone(), Instant::now()));
        gbp(req)
    }
}

fn open_branches(ids: &[&str]) -> HashMap<String, Value> {
    ids.iter()
        .map(|id| (id.to_string(), gbp_location(id, "OPEN", &[])))
        .collect()
}

async fn app_on_gbp(gbp: &FakeServer, locations: &str, extra: &str) -> TestApp {
    spawn_app(&format!(
        "{extra}\n[sources.locations]\nkind = \"google-business-profile\"\nbase_url = \"{}\"\ntoken = \"{TOKEN}\"\ntimeout_ms = 3000\n{locations}\n",
        gbp.url
    ))
    .await
}

fn presend_for(id: &str, branches: &[&str]) -> Value {
    json!({"campaign": {"id": id, "offers": [live_offer("o", branches)]}})
}

fn asked(gbp: &FakeServer, branch: &str) -> usize {
    let path = format!("/v1/locations/{branch}");
    gbp.requests().iter().filter(|r| r.path == path).count()
}

#[tokio::test]
async fn two_webhooks_for_overlapping_campaigns_ask_each_branch_once() {
    let gbp = FakeServer::start_with_delay(
        google_business_profile(open_branches(&["b1", "b2", "b3", "b4"])),
        Duration::from_millis(300),
    )
    .await;
    let app = app_on_gbp(&gbp, "", "").await;
    let (first, second) = (
        presend_for("overlap-a", &["b1", "b2", "b3"]),
        presend_for("overlap-b", &["b2", "b3", "b4"]),
    );
    let (a, b) = futures::join!(app.presend(&first), app.presend(&second));
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));
    for branch in ["b1", "b2", "b3", "b4"] {
        assert_eq!(asked(&gbp, branch), 1, "{branch}");
    }
}

/// Two pre-send checks of campaign `id` promising branch b1, a few ms apart.
async fn twice(app: &TestApp, id: &str) -> Vec<Value> {
    let mut answers = Vec::new();
    for _ in 0..2 {
        let answer: Value = app
            .presend(&presend_for(id, &["b1"]))
            .await
            .json()
            .await
            .unwrap();
        answers.push(answer);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    answers
}

#[tokio::test]
async fn a_presend_check_takes_answers_as_old_as_max_age_s_allows_and_no_older() {
    let closed: HashMap<String, Value> = HashMap::from([(
        "b1".to_owned(),
        gbp_location("b1", "CLOSED_TEMPORARILY", &[]),
    )]);
    let gbp = FakeServer::start(google_business_profile(closed)).await;
    let fetched_at = |answer: &Value| answer["findings"][0]["evidence"]["fetched_at"].clone();
    // Default 0: every pre-send check asks, and its evidence says it fetched anew.
    let answers = twice(&app_on_gbp(&gbp, "", "").await, "age-0").await;
    assert_eq!(asked(&gbp, "b1"), 2);
    assert_ne!(fetched_at(&answers[0]), fetched_at(&answers[1]));
    // max_age_s = 600: the second check uses the first one's answer, and its evidence says
    // when that answer was fetched.
    let tolerant = app_on_gbp(&gbp, "max_age_s = 600", "").await;
    let answers = twice(&tolerant, "age-600").await;
    assert_eq!(asked(&gbp, "b1"), 3, "the second check asked again");
    for answer in &answers {
        assert_eq!(answer["verdict"], "block", "{answer}");
        assert_eq!(answer["findings"][0]["rule"], "location_closed", "{answer}");
    }
    assert!(fetched_at(&answers[0]).is_string(), "{}", answers[0]);
    assert_eq!(fetched_at(&answers[0]), fetched_at(&answers[1]));
    assert_eq!(tolerant.store.checks("age-600").await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_429_with_retry_after_pauses_the_source_for_everyone() {
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let answered_429 = Arc::new(Mutex::new(false));
    let gbp = {
        let inner = timed_gbp(open_branches(&["b1", "b2", "b3"]), arrivals.clone());
        let answered_429 = answered_429.clone();
        FakeServer::start(move |req| {
            let first = !std::mem::replace(&mut *answered_429.lock().unwrap(), true);
            let answer = inner(req);
            if first {
                return FakeResponse::json(429, json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "Quota exceeded."}}))
                    .header("Retry-After", "1");
            }
            answer
        })
        .await
    };
    let app = app_on_gbp(&gbp, "", "").await;
    let first_body = presend_for("paused-1", &["b1"]);
    let first = app.presend(&first_body);
    let second = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        app.presend(&presend_for("paused-2", &["b2", "b3"])).await
    };
    let (a, b) = futures::join!(first, second);
    let (a, b): (Value, Value) = (a.json().await.unwrap(), b.json().await.unwrap());
    assert_eq!(
        (a["verdict"].as_str(), b["verdict"].as_str()),
        (Some("pass"), Some("pass")),
        "{a}\n{b}"
    );
    let arrivals = arrivals.lock().unwrap().clone();
    let throttled_at = arrivals[0].1;
    let during_pause: Vec<&String> = arrivals[1..]
        .iter()
        .filter(|(_, at)| *at < throttled_at + Duration::from_millis(900))
        .map(|(path, _)| path)
        .collect();
    assert!(
        during_pause.is_empty(),
        "called during the source's 1 s pause: {during_pause:?}"
    );
    assert_eq!(
        arrivals.len(),
        4,
        "b1 again after the pause, then b2 and b3"
    );
}

/// Stores a live campaign as if a pre-send check had, without asking any source.
async fn store_live_campaign(app: &TestApp, id: &str, branches: &[&str]) {
    store_live_campaign_with(app, id, json!([live_offer("o", branches)])).await;
}

/// The same, with its offers.
pub(crate) async fn store_live_campaign_with(app: &TestApp, id: &str, offers: Value) {
    let input: CampaignInput = serde_json::from_value(json!({"id": id, "offers": offers})).unwrap();
    let campaign = input.parse("/campaign", chrono::Utc::now()).unwrap();
    let check_id = format!("seed-{id}");
    let check = NewCheck {
        id: &check_id,
        campaign: &campaign,
        phase: Phase::PreSend,
        mode: Mode::Enforce,
        verdict: Verdict::Pass,
        send_at: chrono::Utc::now(),
        checked_at: chrono::Utc::now(),
        findings: &[],
        result: "{}",
        alert_to: &[],
        definition: None,
        covered: None,
    };
    app.store.record_check(&check, None).await.unwrap();
}

#[tokio::test]
async fn a_send_waiting_goes_ahead_of_the_ticks_remaining_calls() {
    let branches: Vec<String> = (0..8).map(|i| format!("t{i}")).collect();
    let mut all: Vec<&str> = branches.iter().map(String::as_str).collect();
    all.push("urgent");
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let gbp = FakeServer::start(timed_gbp(open_branches(&all), arrivals.clone())).await;
    // One request a second: the tick's eight branches take eight seconds.
    let app = app_on_gbp(
        &gbp,
        "requests_per_minute = 60\nburst = 1",
        "[schedule]\nrecheck = \"* * * * * *\"\n",
    )
    .await;
    for (i, branch) in branches.iter().enumerate() {
        store_live_campaign(&app, &format!("tick-{i}"), &[branch]).await;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while arrivals.lock().unwrap().len() < 2 {
        assert!(Instant::now() < deadline, "the tick did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let sent = Instant::now();
    let answer: Value = app
        .presend(&presend_for("waiting-send", &["urgent"]))
        .await
        .json()
        .await
        .unwrap();
    let waited = sent.elapsed();
    assert_eq!(answer["verdict"], "pass", "{answer}");
    assert!(
        waited < Duration::from_millis(2500),
        "the send waited {waited:?}"
    );
    let order: Vec<String> = arrivals
        .lock()
        .unwrap()
        .iter()
        .map(|(p, _)| p.clone())
        .collect();
    let urgent = order
        .iter()
        .position(|p| p.ends_with("/urgent"))
        .expect("asked");
    assert!(
        urgent < 5,
        "the send was asked after {urgent} of the tick's calls: {order:?}"
    );
}

#[tokio::test]
async fn a_many_branch_campaign_reads_googles_list_instead_of_asking_each_branch() {
    let ids: Vec<String> = (0..250).map(|i| format!("br{i:03}")).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let gbp = FakeServer::start(google_business_profile(open_branches(&refs))).await;
    let app = app_on_gbp(&gbp, &format!("account = \"{GBP_ACCOUNT}\""), "").await;
    let mut promised = refs.clone();
    promised.push("not-in-the-account");
    let body: Value = app
        .presend(&presend_for("fleet-wide", &promised))
        .await
        .json()
        .await
        .unwrap();
    let listed = gbp
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/locations") && r.path.contains("/accounts/"))
        .count();
    let one_by_one = gbp
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/v1/locations/"))
        .count();
    assert_eq!(
        (listed, one_by_one),
        (3, 0),
        "250 branches are 3 pages of 100"
    );
    assert_eq!(
        body["offers"][0]["keepable_locations"]
            .as_array()
            .unwrap()
            .len(),
        250
    );
    assert_eq!(body["findings"][0]["rule"], "location_unknown", "{body}");
    assert_eq!(
        body["findings"][0]["target"]["location"],
        "not-in-the-account"
    );
    // One branch: cheaper to ask it alone than to list three pages.
    app.presend(&presend_for("one-branch", &["br007"])).await;
    assert_eq!(
        gbp.requests()
            .iter()
            .filter(|r| r.path == "/v1/locations/br007")
            .count(),
        1
    );
}

#[tokio::test]
async fn a_quota_that_leaves_no_room_before_the_deadline_is_named_as_the_reason() {
    let gbp = FakeServer::start(google_business_profile(open_branches(&[
        "q1", "q2", "q3", "q4",
    ])))
    .await;
    let app = app_on_gbp(
        &gbp,
        "requests_per_minute = 60\nburst = 1",
        "[check]\ndeadline_ms = 1500\n",
    )
    .await;
    let body: Value = app
        .presend(&presend_for("over-quota", &["q1", "q2", "q3", "q4"]))
        .await
        .json()
        .await
        .unwrap();
    let unavailable: Vec<&Value> = body["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "upstream_unavailable")
        .collect();
    assert_eq!(
        unavailable.len(),
        2,
        "two of four fit in 1.5 s at one a second: {body}"
    );
    assert!(
        unavailable[0]["message"]
            .as_str()
            .unwrap()
            .contains("quota (60 a minute)"),
        "{}",
        unavailable[0]["message"]
    );
    let metrics = app.get("/metrics").await.text().await.unwrap();
    let waited: f64 = metrics
        .lines()
        .find_map(|l| {
            l.strip_prefix(
                "promiseguard_quota_wait_seconds_total{source=\"google-business-profile\"} ",
            )
        })
        .unwrap_or_else(|| panic!("{metrics}"))
        .parse()
        .unwrap();
    assert!(
        waited >= 0.9,
        "the second branch waited a second for its slot: {waited}"
    );
}

/// What a campaign's latest check found, as comparable values.
pub(crate) async fn latest_findings(
    app: &TestApp,
    campaign: &str,
) -> Vec<(String, String, String, bool)> {
    let checks = app.store.checks(campaign).await.unwrap();
    let mut found: Vec<(String, String, String, bool)> = app
        .store
        .findings(&checks[0].id)
        .await
        .unwrap()
        .into_iter()
        .map(|f| {
            (
                f.finding.rule.as_str().to_owned(),
                f.finding.severity.as_str().to_owned(),
                format!("{:?}", f.finding.target),
                f.is_new,
            )
        })
        .collect();
    found.sort();
    found
}

#[tokio::test]
async fn a_tick_stores_what_checking_each_campaign_alone_would() {
    let alerts = "[alerts]\nemails = [\"cx-team@example.com\"]\n";
    let campaigns: Vec<(String, Value)> = (0..6)
        .map(|i| {
            let mut offer = live_offer("o", &["loc-101", "loc-102", "loc-201"][..=(i % 3)]);
            offer["items"] =
                json!([{"sku": "SUV-STD", "location": "loc-101", "min_available": i + 1}]);
            (format!("fleet-{i}"), offer)
        })
        .collect();
    let fleet = spawn_app(&format!(
        "{alerts}[schedule]\nrecheck = \"* * * * * *\"\nalerts = \"off\"\n"
    ))
    .await;
    let alone = spawn_app(&format!(
        "{alerts}[schedule]\nrecheck = \"off\"\nalerts = \"off\"\n"
    ))
    .await;
    for app in [&fleet, &alone] {
        for (id, offer) in &campaigns {
            let body = json!({"campaign": {"id": id, "offers": [offer]}});
            assert_eq!(app.presend(&body).await.status(), 200);
        }
    }
    // The fleet's tick checks every campaign; the other app checks them one by one.
    let deadline = Instant::now() + Duration::from_secs(15);
    for (id, _) in &campaigns {
        while !fleet
            .store
            .checks(id)
            .await
            .unwrap()
            .iter()
            .any(|c| c.phase == Phase::Live)
        {
            assert!(Instant::now() < deadline, "{id} was not re-checked");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    for (id, _) in &campaigns {
        let res = alone
            .client
            .post(format!("{}/v1/campaigns/{id}/recheck", alone.address))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    for (id, _) in &campaigns {
        assert_eq!(
            latest_findings(&fleet, id).await,
            latest_findings(&alone, id).await,
            "{id}"
        );
        use promiseguard::store::AlertStore;
        let count = |app: &TestApp| {
            let store = app.store.clone();
            let id = id.clone();
            async move { store.alerts(&id).await.unwrap().len() }
        };
        assert_eq!(count(&fleet).await, count(&alone).await, "{id}: alerts");
    }
    assert!(
        latest_findings(&fleet, "fleet-0")
            .await
            .iter()
            .any(|f| f.0 == "location_closed"),
        "the fixtures' loc-101 is closed"
    );
    // The tick's figures, and the open findings (every latest check's, none reviewed).
    let open_block: usize = {
        let mut n = 0;
        for (id, _) in &campaigns {
            n += latest_findings(&fleet, id)
                .await
                .iter()
                .filter(|f| f.1 == "block")
                .count();
        }
        n
    };
    assert!(open_block > 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let metrics = fleet.get("/metrics").await.text().await.unwrap();
        let has = |line: &str| metrics.lines().any(|l| l == line);
        if has("promiseguard_recheck_campaigns 6")
            && has(&format!(
                "promiseguard_open_findings{{severity=\"block\"}} {open_block}"
            ))
        {
            assert!(has("promiseguard_recheck_questions 4"), "{metrics}");
            assert!(
                metrics
                    .lines()
                    .any(|l| l.starts_with("promiseguard_recheck_seconds ")),
                "{metrics}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "{metrics}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
