//! `SIGHUP` on the real binary: the configuration read again — the events token and Google's
//! token from a mounted file — and the credentials put in force (inbound, the sources', the
//! platforms') — the old token and signing secret refused, the new admitted — in the same
//! process, a connection opened before it still serving, a request in flight across the reload
//! completing; a configuration that does not load is logged, naming the key, and the credentials
//! in force are kept. The survey links' key rotated: the links the old key signed still open
//! while it is listed after the new, and stop when it is dropped.
use crate::support::app::{offer, presend_body};
use crate::support::fake_server::{FakeResponse, FakeServer};
use crate::support::platforms::Fake;
use crate::support::process::{Served, hang_up, serve};
use crate::support::upstreams::gbp_location;
use crate::support::webhooks::reference_signed;
use std::path::Path;
use std::time::Duration;

const OLD: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NEW: &str = "whsec_cHJvbWlzZWd1YXJkLXJlc3BvbnNlLWIh";

/// The configuration, the events token read from a file of its own (as a mounted secret).
fn write_config(dir: &Path, (gbp, klaviyo): (&str, &str), webhook: &str, token: &str, extra: &str) {
    let token_file = dir.join("events-token");
    std::fs::write(&token_file, format!("{token}\n")).unwrap();
    let text = format!(
        "listen = \"127.0.0.1:0\"\nworkers = 2\ndatabase_url = \"sqlite://{}\"\n\
         [schedule]\nrecheck = \"off\"\nsurveys = \"off\"\nsurvey_delivery = \"off\"\nwatch = \"* * * * * *\"\n\
         [webhooks]\nsigning_secret = \"{webhook}\"\n\
         [events]\ntokens = [{{ name = \"ops\", token_file = \"{}\" }}]\n\
         [lookup]\ntokens = [{{ name = \"send\", token = \"{token}\" }}]\n\
         [sources.locations]\nkind = \"google-business-profile\"\nbase_url = \"{gbp}\"\ntoken_file = \"{}\"\n{extra}\n\
         [[platforms]]\nname = \"klaviyo-main\"\nkind = \"klaviyo\"\nbase_url = \"{klaviyo}\"\napi_key_file = \"{}\"\n",
        dir.join("promiseguard.db").display(),
        token_file.display(),
        token_file.display(),
        token_file.display()
    );
    std::fs::write(dir.join("promiseguard.toml"), text).unwrap();
}

async fn presend(served: &Served, key: &str, id: &str) -> u16 {
    let body =
        serde_json::to_vec(&presend_body(serde_json::json!([offer("o", &["a"], &[])]))).unwrap();
    let mut req = reqwest::Client::new()
        .post(format!("{}/v1/presend", served.address))
        .header("content-type", "application/json")
        .body(body.clone());
    for (k, v) in reference_signed(key, id, &body) {
        req = req.header(k, v);
    }
    req.send().await.unwrap().status().as_u16()
}

async fn events(served: &Served, token: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{}/v1/events", served.address))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body("[]")
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn lookup(served: &Served, token: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{}/v1/lookup?locations=a", served.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// One HTTP/1.1 connection held open across the reload.
struct Connection(tokio::io::BufReader<tokio::net::TcpStream>);

impl Connection {
    async fn open(served: &Served) -> Self {
        let stream = tokio::net::TcpStream::connect(served.address.trim_start_matches("http://"))
            .await
            .unwrap();
        Self(tokio::io::BufReader::new(stream))
    }

    /// A lookup on this connection: its status (the answer read whole, the connection kept).
    async fn lookup(&mut self, token: &str) -> u16 {
        use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
        let request = format!(
            "GET /v1/lookup?locations=a HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n"
        );
        self.0
            .get_mut()
            .write_all(request.as_bytes())
            .await
            .unwrap();
        let mut line = String::new();
        assert!(
            self.0.read_line(&mut line).await.unwrap() > 0,
            "the connection was closed"
        );
        let status: u16 = line.split(' ').nth(1).unwrap().parse().unwrap();
        let mut length = 0;
        loop {
            line.clear();
            self.0.read_line(&mut line).await.unwrap();
            if line.trim_end().is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        self.0.read_exact(&mut body).await.unwrap();
        status
    }
}

#[tokio::test]
async fn sighup_puts_new_credentials_in_force_in_the_same_process_and_keeps_them_on_a_bad_file() {
    // Google answers after a second: a pre-send check is in flight across the reload.
    let gbp = FakeServer::start(|_| {
        FakeResponse::json(200, gbp_location("a", "OPEN", &[])).after(Duration::from_millis(1500))
    })
    .await;
    let klaviyo = Fake::klaviyo(Vec::new()).await;
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        (&gbp.url, &klaviyo.server.url),
        OLD,
        "old-token-0123456789",
        "",
    );
    let mut served = serve(&dir.path().join("promiseguard.toml")).await;
    let pid = served.child.id();
    assert_eq!(events(&served, "old-token-0123456789").await, 200);
    assert_eq!(lookup(&served, "old-token-0123456789").await, 200);
    assert_eq!(presend(&served, OLD, "msg_1").await, 200);
    let mut kept = Connection::open(&served).await;
    assert_eq!(kept.lookup("old-token-0123456789").await, 200);

    let in_flight = {
        let address = served.address.clone();
        let body = serde_json::to_vec(&presend_body(serde_json::json!([offer("o", &["a"], &[])])))
            .unwrap();
        let headers = reference_signed(OLD, "msg_in_flight", &body);
        tokio::spawn(async move {
            let mut req = reqwest::Client::new()
                .post(format!("{address}/v1/presend"))
                .header("content-type", "application/json")
                .body(body);
            for (k, v) in headers {
                req = req.header(k, v);
            }
            req.send().await.unwrap().status().as_u16()
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    write_config(
        dir.path(),
        (&gbp.url, &klaviyo.server.url),
        NEW,
        "new-token-0123456789",
        "",
    );
    hang_up(&served, "configuration read again", 1).await;
    // The connection opened before the reload still serves, with the new credentials.
    assert_eq!(kept.lookup("new-token-0123456789").await, 200);
    assert_eq!(kept.lookup("old-token-0123456789").await, 401);
    assert_eq!(
        in_flight.await.unwrap(),
        200,
        "the request in flight completes"
    );
    assert_eq!(events(&served, "old-token-0123456789").await, 401);
    assert_eq!(events(&served, "new-token-0123456789").await, 200);
    assert_eq!(lookup(&served, "old-token-0123456789").await, 401);
    assert_eq!(lookup(&served, "new-token-0123456789").await, 200);
    assert_eq!(presend(&served, OLD, "msg_2").await, 401);
    assert_eq!(presend(&served, NEW, "msg_3").await, 200);
    // Klaviyo is called with the new key from the next watch tick on.
    let newest = || {
        klaviyo
            .server
            .requests()
            .last()
            .and_then(|r| r.header("authorization").map(str::to_owned))
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while newest().as_deref() != Some("Klaviyo-API-Key new-token-0123456789") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "Klaviyo still asked with {:?}",
            newest()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        klaviyo.server.requests()[0].header("authorization"),
        Some("Klaviyo-API-Key old-token-0123456789")
    );
    // Google is called with the new token: the sources were rebuilt with it.
    let asked = gbp.requests();
    assert_eq!(
        asked.last().unwrap().header("authorization"),
        Some("Bearer new-token-0123456789")
    );
    assert_eq!(
        asked[0].header("authorization"),
        Some("Bearer old-token-0123456789")
    );

    // A configuration that does not load: logged with its key; the new credentials stay.
    write_config(
        dir.path(),
        (&gbp.url, &klaviyo.server.url),
        NEW,
        "newer-token-0123456789",
        "[limits]\ntrusted_proxies = [\"not-a-network\"]\n",
    );
    hang_up(&served, "the credentials in force are kept", 1).await;
    assert!(
        served
            .log
            .lock()
            .unwrap()
            .contains("limits.trusted_proxies[0]")
    );
    assert_eq!(events(&served, "new-token-0123456789").await, 200);
    assert_eq!(events(&served, "newer-token-0123456789").await, 401);
    assert_eq!(served.child.id(), pid, "the same process");
    assert!(served.child.try_wait().unwrap().is_none(), "still running");
}

/// A service with nothing scheduled, `[surveys] link_secret`
/// the `keys` given.
fn write_link_config(dir: &Path, keys: &[&str]) {
    let text = format!(
        "listen = \"127.0.0.1:0\"\nworkers = 1\ndatabase_url = \"sqlite://{}\"\n\
         [schedule]\nrecheck = \"off\"\nsurveys = \"off\"\nsurvey_delivery = \"off\"\nalerts = \"off\"\n\
         [surveys]\nlink_secret = {}\n",
        dir.join("promiseguard.db").display(),
        serde_json::to_string(keys).unwrap()
    );
    std::fs::write(dir.join("promiseguard.toml"), text).unwrap();
}

#[tokio::test]
async fn sighup_rotates_the_survey_link_key_and_the_old_links_open_while_it_is_listed() {
    use promiseguard::email::SurveyLinks;
    use promiseguard::store::{InvitationStore, NewInvitation};
    const OLD_LINK: &str = "the-old-survey-link-key-0123";
    const NEW_LINK: &str = "the-new-survey-link-key-4567";
    let dir = tempfile::tempdir().unwrap();
    write_link_config(dir.path(), &[OLD_LINK]);
    let served = serve(&dir.path().join("promiseguard.toml")).await;
    // A campaign checked before its send, and an invitation queued for one of its clickers in
    // the database the service runs on, as a sweep queues it.
    let checked = reqwest::Client::new()
        .post(format!("{}/v1/presend", served.address))
        .json(&presend_body(serde_json::json!([offer(
            "o",
            &["loc-101"],
            &[]
        )])))
        .send()
        .await
        .unwrap();
    assert_eq!(checked.status(), 200);
    let db = format!("sqlite://{}", dir.path().join("promiseguard.db").display());
    let store = promiseguard::store::connect(&db, false).await.unwrap();
    let invitation = NewInvitation {
        campaign_id: "c-test".into(),
        recipient: "ana@example.com".into(),
        locale: None,
        promise_state: None,
        zone: None,
        send_after: None,
    };
    store
        .queue_invitations(&[invitation], chrono::Utc::now())
        .await
        .unwrap();
    let id = store.invitations("c-test").await.unwrap()[0].id.clone();
    let opens = |key: &'static str| {
        let url = format!(
            "{}/s/{}?score=9",
            served.address,
            SurveyLinks::new(key.as_bytes().to_vec(), "").token(&id)
        );
        async move { reqwest::get(url).await.unwrap().status().as_u16() }
    };
    assert_eq!((opens(OLD_LINK).await, opens(NEW_LINK).await), (200, 404));
    // Rotating: the new key signs from now on, the old still opens the links already sent.
    write_link_config(dir.path(), &[NEW_LINK, OLD_LINK]);
    hang_up(&served, "configuration read again", 1).await;
    assert_eq!((opens(OLD_LINK).await, opens(NEW_LINK).await), (200, 200));
    // The old key retired.
    write_link_config(dir.path(), &[NEW_LINK]);
    hang_up(&served, "configuration read again", 2).await;
    assert_eq!((opens(OLD_LINK).await, opens(NEW_LINK).await), (404, 200));
    store.close().await;
}
