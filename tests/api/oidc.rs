//! Analysts signing in through an OpenID provider (the in-process fake of `support::oidc`,
//! signing real JWTs): the whole flow with RS256 and ES256, every way its answer can be wrong
//! refused, key rotation picked up (and a stream of unknown keys not fetched again within the
//! minute), groups made roles, a viewer unable to review, sign-out, and a provider without PKCE
//! refused at start.
use crate::support::app::{live_offer, presend_body, test_config};
use crate::support::oidc::{FakeIdp, Tamper, app_with_sign_in, cookie, finish, sign_in};
use serde_json::json;

async fn page(app: &crate::support::app::TestApp, path: &str, session: &str) -> (u16, String) {
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}{path}", app.address))
        .header("cookie", format!("pg_session={session}; pg_csrf=c"))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test]
async fn a_reviewer_and_a_viewer_sign_in_through_the_provider_with_rs256_and_es256() {
    let idp = FakeIdp::start().await;
    let app = app_with_sign_in(&idp, "").await;
    // No session: the sign-in page offers the provider (no tokens are configured).
    let (status, text) = page(&app, "/ui/", "").await;
    assert_eq!(status, 401);
    assert!(text.contains("Sign in with your company account") && !text.contains("Analyst token"));

    let (status, session, text) = sign_in(&app, "/ui/findings").await;
    assert_eq!(status, 200, "{text}");
    assert!(
        text.contains("url=/ui/findings"),
        "moves on by itself: {text}"
    );
    let session = session.expect("a session");
    let (status, text) = page(&app, "/ui/", &session).await;
    assert_eq!(status, 200);
    assert!(text.contains("dana@retail.example (reviewer)"), "{text}");

    // ES256; `preferred_username` when there is no email; an Entra ID group object id.
    idp.set(|i| {
        i.kid = "e1".into();
        i.signer = "e1".into();
        i.person = json!({"preferred_username": "vic", "groups": ["7f1c2a4e-0b1d-4c55-9a57-1d1e2f3a4b5c"]});
    });
    let (status, viewer, text) = sign_in(&app, "/ui/").await;
    assert_eq!(status, 200, "{text}");
    let viewer = viewer.unwrap();
    assert!(page(&app, "/ui/", &viewer).await.1.contains("vic (viewer)"));

    // A viewer cannot review a finding.
    let body = presend_body(json!([live_offer("o", &["gone-1"])]));
    let answer: serde_json::Value = app.presend(&body).await.json().await.unwrap();
    let finding = answer["findings"][0]["id"].as_str().unwrap().to_owned();
    let review = |session: String| {
        let url = format!("{}/ui/findings/{finding}/review", app.address);
        async move {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap()
                .post(url)
                .header("cookie", format!("pg_session={session}; pg_csrf=c"))
                .form(&[("csrf", "c"), ("action", "acknowledge"), ("note", "seen")])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(review(viewer.clone()).await, 403);
    assert_eq!(review(session.clone()).await, 303, "the reviewer may");
    let reviews = app
        .get("/v1/campaigns/c-test")
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let text = reviews.to_string();
    assert!(
        text.contains("\"reviewer\":\"dana@retail.example\""),
        "{text}"
    );

    // Sign-out ends the session in the browser.
    let out = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/ui/logout", app.address))
        .header("cookie", format!("pg_session={session}; pg_csrf=c"))
        .form(&[("csrf", "c")])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    assert_eq!(cookie(&out, "pg_session").as_deref(), Some(""));
}

#[tokio::test]
async fn every_wrong_answer_from_the_provider_is_refused() {
    let idp = FakeIdp::start().await;
    let app = app_with_sign_in(&idp, "").await;
    for tamper in [
        Tamper::Audience,
        Tamper::Issuer,
        Tamper::Expired,
        Tamper::Nonce,
        Tamper::Payload,
        Tamper::Unsigned,
    ] {
        idp.set(|i| i.tamper = tamper);
        let (status, session, text) = sign_in(&app, "/ui/").await;
        assert_eq!(
            (status, session.is_none()),
            (401, true),
            "{tamper:?}: {text}"
        );
        assert!(text.contains("could not be trusted"), "{tamper:?}");
    }
    idp.set(|i| i.tamper = Tamper::Nothing);
    // A key the JWKS does not have (fetched again once: still not there); a published `kid`
    // signed with another key.
    idp.set(|i| {
        i.kid = "r2".into();
        i.signer = "r2".into();
    });
    assert_eq!(sign_in(&app, "/ui/").await.0, 401);
    idp.set(|i| i.kid = "r1".into());
    assert_eq!(sign_in(&app, "/ui/").await.0, 401);
    idp.set(|i| i.signer = "r1".into());

    // A person in no group: refused, and told so.
    idp.set(|i| i.person = json!({"email": "mo@retail.example", "groups": ["marketing"]}));
    let (status, session, text) = sign_in(&app, "/ui/").await;
    assert_eq!((status, session.is_none()), (403, true));
    assert!(
        text.contains("mo@retail.example is in none of the groups"),
        "{text}"
    );

    // A forged `state`, and a callback no sign-in of this browser started.
    idp.set(|i| i.person = json!({"email": "dana@retail.example", "groups": ["cx-reviewers"]}));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let start = client
        .get(format!("{}/ui/oidc/start", app.address))
        .send()
        .await
        .unwrap();
    let pending = cookie(&start, "pg_oidc").unwrap();
    let to_provider = start.headers()["location"].to_str().unwrap().to_owned();
    let back = client.get(&to_provider).send().await.unwrap();
    let back = back.headers()["location"].to_str().unwrap().to_owned();
    let mut forged = url::Url::parse(&back).unwrap();
    let code = forged
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    forged.set_query(Some(&format!("code={code}&state=forged")));
    assert_eq!(finish(&app, forged.as_str(), &pending).await.0, 400);
    assert_eq!(finish(&app, &back, "").await.0, 400, "no pending sign-in");
    // The provider's own refusal is said.
    let denied = format!(
        "{}/ui/oidc/callback?error=access_denied&state=x",
        app.address
    );
    let (status, _, text) = finish(&app, &denied, &pending).await;
    assert_eq!(status, 401);
    assert!(text.contains("access_denied"));
}

#[tokio::test]
async fn a_rotated_key_is_fetched_once_and_unknown_keys_are_not_fetched_again_within_a_minute() {
    let idp = FakeIdp::start().await;
    idp.set(|i| i.auth_method = "client_secret_post".into());
    let app = app_with_sign_in(&idp, "").await;
    assert_eq!(sign_in(&app, "/ui/").await.0, 200, "client_secret_post");
    assert_eq!(idp.jwks_fetches(), 1);
    // The provider rotates to a new key: the unknown `kid` makes us fetch the JWKS again.
    idp.set(|i| {
        i.published = vec!["r2".into()];
        i.kid = "r2".into();
        i.signer = "r2".into();
    });
    assert_eq!(sign_in(&app, "/ui/").await.0, 200);
    assert_eq!(idp.jwks_fetches(), 2);
    // Within the minute another unknown `kid` does not fetch again: refused on the kept keys.
    idp.set(|i| {
        i.published = vec!["r2".into(), "e1".into()];
        i.kid = "e1".into();
        i.signer = "e1".into();
    });
    assert_eq!(sign_in(&app, "/ui/").await.0, 401);
    assert_eq!(idp.jwks_fetches(), 2);
}

#[tokio::test]
async fn a_provider_without_pkce_is_refused_at_start_and_bad_settings_are_named() {
    let idp = FakeIdp::start().await;
    idp.set(|i| i.pkce = false);
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(&dir, &idp.config(9));
    let refused = promiseguard::startup::Application::build(config)
        .await
        .err()
        .expect("refused at start");
    assert!(
        format!("{refused:#}").contains("PKCE with S256"),
        "{refused:#}"
    );

    for (setting, key) in [
        (
            "redirect_url = \"http://127.0.0.1:9/callback\"",
            "analysts.oidc.redirect_url",
        ),
        ("issuer = \"http://id.example.com\"", "analysts.oidc.issuer"),
        ("session_hours = 0", "analysts.oidc.session_hours"),
    ] {
        let name = setting.split(' ').next().unwrap();
        let table: String = idp
            .config(9)
            .lines()
            .filter(|l| !l.starts_with(&format!("{name} ")))
            .chain([setting])
            .collect::<Vec<_>>()
            .join("\n");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("promiseguard.toml"),
            format!(
                "database_url = \"sqlite://{}/db\"\n{table}\n",
                dir.path().display()
            ),
        )
        .unwrap();
        let err = promiseguard::config::load(Some(&dir.path().join("promiseguard.toml")), [])
            .expect_err("refused");
        assert!(err.to_string().contains(key), "{setting}: {err}");
    }
}
