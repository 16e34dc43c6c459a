//! The analyst pages over plain HTTP: what a browser test cannot easily show — CSRF refusals,
//! forged and expired sessions, open redirects, the loopback rule, and cookie attributes.
use crate::support::app::{TestApp, spawn_app};
use promiseguard::store::{CheckStore, FindingStore, ReviewStore};

const REVIEWER: &str = "reviewer-token-0123456789";
const VIEWER: &str = "viewer-token-0123456789ab";

fn tokens() -> String {
    format!(
        "public_base_url = \"https://cx.example.com\"\n[analysts]\ntokens = [{{ name = \"dana\", role = \"reviewer\", token = \"{REVIEWER}\" }}, \
         {{ name = \"vic\", role = \"viewer\", token = \"{VIEWER}\" }}]\n"
    )
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn set_cookies(res: &reqwest::Response) -> Vec<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

fn cookie_value(set: &[String], name: &str) -> Option<String> {
    set.iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .map(|rest| rest.split(';').next().unwrap().to_owned())
}

/// Signs in as the holder of `token`; the Cookie header to send afterwards and the CSRF value.
async fn sign_in(app: &TestApp, token: &str) -> (String, String) {
    let c = client();
    let page = c
        .get(format!("{}/ui/login", app.address))
        .send()
        .await
        .unwrap();
    let csrf = cookie_value(&set_cookies(&page), "pg_csrf").expect("the page sets a CSRF cookie");
    let res = c
        .post(format!("{}/ui/login", app.address))
        .header("cookie", format!("pg_csrf={csrf}"))
        .form(&[("token", token), ("csrf", &csrf), ("next", "/ui/insights")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/ui/insights");
    let set = set_cookies(&res);
    let session_line = set.iter().find(|c| c.starts_with("pg_session=")).unwrap();
    for attribute in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/ui"] {
        assert!(session_line.contains(attribute), "{session_line}");
    }
    let session = cookie_value(&set, "pg_session").unwrap();
    (format!("pg_csrf={csrf}; pg_session={session}"), csrf)
}

async fn blocked_finding(app: &TestApp) -> String {
    let body: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("fixtures/campaigns/block.json").unwrap())
            .unwrap();
    assert_eq!(app.presend(&body).await.status(), 200);
    let checks = app.store.checks("rentals-free-day-2026-11").await.unwrap();
    app.store.findings(&checks[0].id).await.unwrap()[0]
        .finding
        .id
        .clone()
}

#[tokio::test]
async fn pages_need_a_session_and_forms_need_the_csrf_value() {
    let app = spawn_app(&tokens()).await;
    let finding = blocked_finding(&app).await;
    let c = client();

    // No session: the sign-in form, with a 401.
    let res = c
        .get(format!("{}/ui/campaigns", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("name=\"token\""));
    // A forged session is no session.
    let res = c
        .get(format!("{}/ui/campaigns", app.address))
        .header("cookie", "pg_session=ZGFuYQ.99999999999.AAAA")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    let (cookies, csrf) = sign_in(&app, REVIEWER).await;
    let res = c
        .get(format!("{}/ui/campaigns", app.address))
        .header("cookie", &cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("Neighborhood rental"));

    // A review without the CSRF value, or with another one, is refused and stores nothing.
    let url = format!("{}/ui/findings/{finding}/review", app.address);
    for form in [
        vec![("action", "acknowledge")],
        vec![("action", "acknowledge"), ("csrf", "guessed")],
    ] {
        let res = c
            .post(&url)
            .header("cookie", &cookies)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
    }
    assert!(
        app.store
            .reviews("rentals-free-day-2026-11")
            .await
            .unwrap()
            .is_empty()
    );
    let res = c
        .post(&url)
        .header("cookie", &cookies)
        .form(&[
            ("action", "acknowledge"),
            ("csrf", csrf.as_str()),
            ("campaign", "rentals-free-day-2026-11"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/ui/campaigns/rentals-free-day-2026-11#finding-")
    );
    let reviews = app.store.reviews("rentals-free-day-2026-11").await.unwrap();
    assert_eq!(reviews[0].1.reviewer, "dana");

    // Signing in also needs the CSRF value (no login CSRF).
    let res = c
        .post(format!("{}/ui/login", app.address))
        .form(&[("token", REVIEWER)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(
        set_cookies(&res)
            .iter()
            .all(|c| !c.starts_with("pg_session="))
    );
}

#[tokio::test]
async fn a_viewer_may_not_review_and_sign_in_never_redirects_off_site() {
    let app = spawn_app(&tokens()).await;
    let finding = blocked_finding(&app).await;
    let (cookies, csrf) = sign_in(&app, VIEWER).await;
    let c = client();
    let res = c
        .post(format!("{}/ui/findings/{finding}/review", app.address))
        .header("cookie", &cookies)
        .form(&[("action", "resolve"), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("viewer"));
    let res = c
        .post(format!(
            "{}/ui/campaigns/rentals-free-day-2026-11/recheck",
            app.address
        ))
        .header("cookie", &cookies)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(
        app.store
            .checks("rentals-free-day-2026-11")
            .await
            .unwrap()
            .len(),
        1
    );

    let page = c
        .get(format!("{}/ui/login", app.address))
        .send()
        .await
        .unwrap();
    let csrf = cookie_value(&set_cookies(&page), "pg_csrf").unwrap();
    for next in [
        "https://evil.example/",
        "//evil.example/ui/",
        "/ui//evil.example",
    ] {
        let res = c
            .post(format!("{}/ui/login", app.address))
            .header("cookie", format!("pg_csrf={csrf}"))
            .form(&[("token", VIEWER), ("csrf", csrf.as_str()), ("next", next)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["location"], "/ui/", "{next}");
    }
}

#[tokio::test]
async fn without_tokens_the_pages_answer_on_loopback_without_sign_in() {
    let app = spawn_app("").await;
    blocked_finding(&app).await;
    let res = client()
        .get(format!(
            "{}/ui/campaigns/rentals-free-day-2026-11",
            app.address
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("local (reviewer)"));
    assert!(html.contains("Save review"));
    // Offer windows read like the page's other times, not as stored RFC 3339.
    assert!(
        html.contains("2026-11-24 00:00 UTC – 2026-12-01 00:00 UTC"),
        "{html}"
    );
    assert!(!html.contains("2026-11-24T00:00:00Z"));
    let res = client()
        .get(format!("{}/ui/campaigns/nope", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("no campaign `nope`"));
    let res = client()
        .get(format!("{}/ui/campaigns?verdict=purple", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("verdict: must be pass, flag or block")
    );
}

/// The campaign page's bulk form: the ticked findings (`finding_id` once each) reviewed with
/// one note, all or none; the CSRF value and the reviewer role needed as for one finding.
#[tokio::test]
async fn ticked_findings_are_reviewed_together_or_not_at_all() {
    let app = spawn_app(&tokens()).await;
    blocked_finding(&app).await;
    let checks = app.store.checks("rentals-free-day-2026-11").await.unwrap();
    let ids: Vec<String> = app.store.findings(&checks[0].id).await.unwrap()[..3]
        .iter()
        .map(|f| f.finding.id.clone())
        .collect();
    let c = client();
    let url = format!("{}/ui/findings/review", app.address);
    let (viewer, viewer_csrf) = sign_in(&app, VIEWER).await;
    let (cookies, csrf) = sign_in(&app, REVIEWER).await;
    let form = |csrf: &str, ids: &[&str]| {
        let mut form = vec![
            ("csrf".to_owned(), csrf.to_owned()),
            ("campaign".to_owned(), "rentals-free-day-2026-11".to_owned()),
            ("action".to_owned(), "acknowledge".to_owned()),
            ("note".to_owned(), "renovation until the 30th".to_owned()),
        ];
        form.extend(
            ids.iter()
                .map(|id| ("finding_id".to_owned(), (*id).to_owned())),
        );
        form
    };
    let all: Vec<&str> = ids.iter().map(String::as_str).collect();
    let refused = [
        (&viewer, form(&viewer_csrf, &all), 403),
        (&cookies, form("guessed", &all), 403),
        (
            &cookies,
            form(&csrf, &[all[0], "no-such-finding", all[1]]),
            422,
        ),
        (&cookies, form(&csrf, &[]), 422),
    ];
    for (session, form, status) in refused {
        let res = c
            .post(&url)
            .header("cookie", session.as_str())
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status);
    }
    let stored = app.store.reviews("rentals-free-day-2026-11").await.unwrap();
    assert!(stored.is_empty(), "nothing reviewed: {stored:?}");

    let res = c
        .post(&url)
        .header("cookie", &cookies)
        .form(&form(&csrf, &all))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        "/ui/campaigns/rentals-free-day-2026-11"
    );
    let stored = app.store.reviews("rentals-free-day-2026-11").await.unwrap();
    assert_eq!(stored.len(), 3);
    assert!(
        stored
            .iter()
            .all(|(_, r)| r.note.as_deref() == Some("renovation until the 30th"))
    );
}
