//! The inbound doors' answers, pinned byte for byte: status, content type and body of a
//! representative request to each door — stored, duplicate, quarantined, ignored and every
//! refusal a caller can cause — and of the quarantine reviewers read. The reshaping of the
//! inbound side must leave every one of them as it is (`tests/api/golden/inbound.txt`).
//!
//! What a run makes fresh is masked: UUIDs as `<uuid>`, RFC 3339 instants as `<time>`, and a
//! signature made now (a quoted ten-digit Unix time, 64 hex digits) as `"<unix>"` and `<hex>`;
//! nothing else is touched. After a deliberate change of an answer, rewrite the file
//! with `PROMISEGUARD_BLESS=1 cargo test --test api golden` and read the diff.
use crate::providers::{
    CIO_SECRET, EVENTS_TOKEN, SEGMENT_SECRET, SHOP_SECRET, basic, config, fake_sns, fixture,
    mailgun_body, shopify_headers,
};
use crate::support::analysts::REVIEWER;
use crate::support::app::{TestApp, spawn_app_listening, spawn_app_with_sns};
use promiseguard::signatures::{customerio, segment, shopify};

const GOLDEN: &str = "tests/api/golden/inbound.txt";
const ANALYST_GOLDEN: &str = "tests/api/golden/analyst.txt";

/// One request, and the answer written down as the golden file keeps it.
struct Case<'a> {
    name: &'a str,
    method: reqwest::Method,
    path: String,
    headers: Vec<(&'static str, String)>,
    content_type: &'a str,
    body: String,
}

impl<'a> Case<'a> {
    fn post(name: &'a str, path: &str, body: impl Into<String>) -> Self {
        Case {
            name,
            method: reqwest::Method::POST,
            path: path.to_owned(),
            headers: Vec::new(),
            content_type: "application/json",
            body: body.into(),
        }
    }

    fn get(name: &'a str, path: &str) -> Self {
        Case {
            method: reqwest::Method::GET,
            ..Case::post(name, path, "")
        }
    }

    fn delete(name: &'a str, path: &str) -> Self {
        Case {
            method: reqwest::Method::DELETE,
            ..Case::post(name, path, "")
        }
    }

    fn with(mut self, headers: impl IntoIterator<Item = (&'static str, String)>) -> Self {
        self.headers.extend(headers);
        self
    }

    fn typed(mut self, content_type: &'a str) -> Self {
        self.content_type = content_type;
        self
    }

    async fn answer(&self, app: &TestApp, documented: &Documented) -> String {
        let mut req = app
            .client
            .request(self.method.clone(), format!("{}{}", app.address, self.path));
        if self.method == reqwest::Method::POST {
            req = req
                .header("content-type", self.content_type)
                .body(self.body.clone());
        }
        for (name, value) in &self.headers {
            req = req.header(*name, value);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let content_type = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
            .to_owned();
        let body = res.text().await.unwrap();
        documented.check(&self.method, &self.path, status);
        format!(
            "## {}\n{} {} -> {status} {content_type}\n{}\n\n",
            self.name,
            self.method,
            masked(&self.path),
            masked(&body)
        )
    }
}

/// The answers `/openapi.json` documents: every status a golden request got must be one.
struct Documented(serde_json::Value);

impl Documented {
    async fn of(app: &TestApp) -> Self {
        let doc = app
            .client
            .get(format!("{}/openapi.json", app.address))
            .send();
        Documented(doc.await.unwrap().json().await.unwrap())
    }

    /// Panics unless `status` is documented for `method` on the route `path` matches.
    fn check(&self, method: &reqwest::Method, path: &str, status: u16) {
        let path = path.split('?').next().unwrap_or(path);
        let matches = |template: &str| {
            let (t, p): (Vec<&str>, Vec<&str>) =
                (template.split('/').collect(), path.split('/').collect());
            t.len() == p.len()
                && t.iter()
                    .zip(&p)
                    .all(|(t, p)| t == p || (t.starts_with('{') && t.ends_with('}')))
        };
        let paths = self.0["paths"].as_object().unwrap();
        let (template, item) = paths
            .iter()
            .find(|(template, _)| matches(template))
            .unwrap_or_else(|| panic!("{path} is not in /openapi.json"));
        let method = method.as_str().to_ascii_lowercase();
        assert!(
            !item[&method]["responses"][status.to_string()].is_null(),
            "{method} {template} answered {status}, which /openapi.json does not document"
        );
    }
}

/// `text` with every UUID written `<uuid>`, every RFC 3339 instant `<time>`, every quoted
/// ten-digit number `"<unix>"` and every run of 64 hex digits `<hex>`.
fn masked(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        if let Some(n) = uuid_at(rest) {
            out.push_str("<uuid>");
            i += n;
        } else if let Some(n) = instant_at(rest) {
            out.push_str("<time>");
            i += n;
        } else if let Some(n) = unix_at(rest) {
            out.push_str("\"<unix>");
            i += n;
        } else if let Some(n) = hex64_at(rest) {
            out.push_str("<hex>");
            i += n;
        } else {
            let ch = text[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// The length of `"` and ten digits before a closing quote (`"`, or `\"` inside an escaped
/// string) at the start of `b`; the closing quote is kept.
fn unix_at(b: &[u8]) -> Option<usize> {
    let digits = b.get(1..11)?;
    let closed = matches!(b.get(11), Some(b'"' | b'\\'));
    (b[0] == b'"' && digits.iter().all(u8::is_ascii_digit) && closed).then_some(11)
}

/// 64 if 64 hex digits, and no more, start `b`.
fn hex64_at(b: &[u8]) -> Option<usize> {
    let hex = |c: Option<&u8>| c.is_some_and(u8::is_ascii_hexdigit);
    ((0..64).all(|i| hex(b.get(i))) && !hex(b.get(64))).then_some(64)
}

/// The length of a UUID (8-4-4-4-12 hex digits) at the start of `b`.
fn uuid_at(b: &[u8]) -> Option<usize> {
    let groups = [8, 4, 4, 4, 12];
    let mut at = 0;
    for (g, len) in groups.iter().enumerate() {
        if g > 0 {
            (b.get(at) == Some(&b'-')).then_some(())?;
            at += 1;
        }
        let digits = b.get(at..at + len)?;
        digits.iter().all(u8::is_ascii_hexdigit).then_some(())?;
        at += len;
    }
    Some(at)
}

/// The length of an RFC 3339 instant (`2026-12-04T21:32:10.123456Z`, `…+00:00`) at the start
/// of `b`.
fn instant_at(b: &[u8]) -> Option<usize> {
    let shape = b"dddd-dd-ddTdd:dd:dd";
    let head = b.get(..shape.len())?;
    let fits = head.iter().zip(shape).all(|(c, s)| match s {
        b'd' => c.is_ascii_digit(),
        s => c == s,
    });
    fits.then_some(())?;
    let mut at = shape.len();
    if b.get(at) == Some(&b'.') {
        at += 1;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
    }
    match b.get(at) {
        Some(b'Z') => Some(at + 1),
        Some(b'+' | b'-') if b.len() >= at + 6 => Some(at + 6),
        _ => Some(at),
    }
}

fn bearer(token: &str) -> (&'static str, String) {
    ("authorization", format!("Bearer {token}"))
}

fn shopify_signed(topic: &str, body: &str) -> Vec<(&'static str, String)> {
    vec![
        ("x-shopify-topic", topic.into()),
        ("x-shopify-shop-domain", "rentals-shop.myshopify.com".into()),
        ("x-shopify-webhook-id", format!("golden-{topic}")),
        (
            "x-shopify-hmac-sha256",
            shopify::sign(SHOP_SECRET.as_bytes(), body.as_bytes()),
        ),
    ]
}

fn cio_signed(body: &str) -> Vec<(&'static str, String)> {
    let ts = "1700000000";
    vec![
        (customerio::TIMESTAMP_HEADER, ts.into()),
        (
            customerio::SIGNATURE_HEADER,
            customerio::sign(CIO_SECRET.as_bytes(), ts, body.as_bytes()),
        ),
    ]
}

/// The requests, in order (later ones see what earlier ones stored).
fn cases<'a>() -> Vec<Case<'a>> {
    let token = bearer(EVENTS_TOKEN);
    let events = r#"[{"id":"g-1","type":"click","campaign_id":"spring","recipient":"Golden.One@Example.com","occurred_at":"2026-11-01T10:00:00Z","url":"https://rent.example.com/branches/loc-101"},
{"id":"g-2","type":"sent","campaign_id":"spring","recipient":"golden.two@example.com","occurred_at":"2026-11-01T09:00:00Z"}]"#;
    let one_bad = r#"[{"id":"g-3","type":"click","campaign_id":"spring","recipient":"golden.three@example.com","occurred_at":"2026-11-01T10:00:00Z"},
{"id":"g-4","type":"teleport","campaign_id":"spring","recipient":"golden.four@example.com","occurred_at":"2026-11-01T10:00:00Z"}]"#;
    let order = fixture("shopify/orders_create.json");
    let mut no_shop = shopify_headers(&order, "golden-no-shop");
    no_shop.retain(|(name, _)| *name != "x-shopify-shop-domain");
    let completed = fixture("segment/order-completed.json");
    let cio = fixture("customerio/email-clicked.json");
    let redact = fixture("shopify/customers_redact.json");
    let braze = fixture("braze/currents-batch.json");
    vec![
        Case::post("events: stored", "/v1/events", events).with([token.clone()]),
        Case::post("events: duplicates", "/v1/events", events).with([token.clone()]),
        Case::post("events: an invalid event", "/v1/events", one_bad).with([token.clone()]),
        Case::post(
            "events: partial, one quarantined",
            "/v1/events?partial=true",
            one_bad,
        )
        .with([token.clone()]),
        Case::post("events: a bad parameter", "/v1/events?partial=yes", events)
            .with([token.clone()]),
        Case::post("events: malformed", "/v1/events", "[{\"id\":").with([token.clone()]),
        Case::post("events: no credential", "/v1/events", events),
        Case::post("events: a wrong token", "/v1/events", events).with([bearer("nope")]),
        Case::post(
            "sendgrid: stored",
            "/v1/events/sendgrid",
            fixture("sendgrid/multiple-events.body"),
        )
        .with([basic(EVENTS_TOKEN)]),
        Case::post(
            "sendgrid: no credential",
            "/v1/events/sendgrid",
            fixture("sendgrid/multiple-events.body"),
        ),
        Case::post(
            "mailgun: stored",
            "/v1/events/mailgun",
            mailgun_body("mailgun/clicked.json", "golden-token-0001", 0, |_| {}),
        ),
        Case::post(
            "mailgun: the token again",
            "/v1/events/mailgun",
            mailgun_body("mailgun/clicked.json", "golden-token-0001", 0, |b| {
                b["event-data"]["id"] = "golden-other".into();
            }),
        ),
        Case::post("mailgun: no signature", "/v1/events/mailgun", "{}"),
        Case::post(
            "mailgun: quarantined",
            "/v1/events/mailgun",
            mailgun_body("mailgun/clicked.json", "golden-token-0002", 0, |b| {
                b["event-data"]["recipient"] = 42.into();
            }),
        ),
        Case::post(
            "postmark: stored",
            "/v1/events/postmark",
            fixture("postmark/click.json"),
        )
        .with([basic(EVENTS_TOKEN)]),
        Case::post(
            "postmark: bounce suppresses",
            "/v1/events/postmark",
            fixture("postmark/hard-bounce.json"),
        )
        .with([basic(EVENTS_TOKEN)]),
        Case::post(
            "postmark: no credential",
            "/v1/events/postmark",
            fixture("postmark/click.json"),
        ),
        Case::post("customerio: stored", "/v1/events/customerio", cio.clone())
            .with(cio_signed(&cio)),
        Case::post(
            "customerio: a wrong signature",
            "/v1/events/customerio",
            cio.replace("clicked", "spammed"),
        )
        .with(cio_signed(&cio)),
        Case::post("braze: stored and ignored", "/v1/events/braze", braze).with([token.clone()]),
        Case::post(
            "braze: not a batch, quarantined",
            "/v1/events/braze",
            "[1, 2]",
        )
        .with([token.clone()]),
        Case::post(
            "ses: subscription confirmed",
            "/v1/events/ses",
            fixture("ses/subscription-confirmation.json"),
        )
        .typed("text/plain; charset=UTF-8"),
        Case::post(
            "ses: stored",
            "/v1/events/ses",
            fixture("ses/notification-bounce.json"),
        )
        .typed("text/plain; charset=UTF-8"),
        Case::post(
            "ses: tampered",
            "/v1/events/ses",
            fixture("ses/notification-click-v2.json")
                .replace("Lee.Other@Example.com", "someone@example.com"),
        )
        .typed("text/plain; charset=UTF-8"),
        Case::post(
            "ses: another topic",
            "/v1/events/ses",
            fixture("ses/notification-click-v2.json").replace("ses-events", "someone-elses"),
        )
        .typed("text/plain; charset=UTF-8"),
        Case::post("ses: not an SNS message", "/v1/events/ses", "not SNS")
            .typed("text/plain; charset=UTF-8"),
        Case::post(
            "shopify orders: stored",
            "/v1/conversions/shopify",
            order.clone(),
        )
        .with(shopify_headers(&order, "golden-1")),
        Case::post(
            "shopify orders: no shop domain",
            "/v1/conversions/shopify",
            order.clone(),
        )
        .with(no_shop),
        Case::post(
            "shopify orders: a wrong signature",
            "/v1/conversions/shopify",
            format!("{order} "),
        )
        .with(shopify_headers(&order, "golden-2")),
        Case::post(
            "shopify orders: over the size limit",
            "/v1/conversions/shopify",
            format!("\"{}\"", "x".repeat(2 * 1024 * 1024)),
        ),
        Case::post(
            "segment: stored",
            "/v1/conversions/segment",
            completed.clone(),
        )
        .with([(
            segment::SIGNATURE_HEADER,
            segment::sign(SEGMENT_SECRET.as_bytes(), completed.as_bytes()),
        )]),
        Case::post(
            "segment: unsigned",
            "/v1/conversions/segment",
            completed.clone(),
        ),
        Case::post(
            "shopify compliance: customers/redact",
            "/v1/compliance/shopify",
            redact.clone(),
        )
        .with(shopify_signed("customers/redact", &redact)),
        Case::post(
            "shopify compliance: unsigned",
            "/v1/compliance/shopify",
            redact,
        ),
        Case::get("quarantine: the list", "/v1/quarantine").with([bearer(REVIEWER)]),
        Case::get("quarantine: no token", "/v1/quarantine"),
        Case::get("quarantine: a bad page", "/v1/quarantine?limit=0").with([bearer(REVIEWER)]),
        Case::post(
            "quarantine: no such entry to replay",
            "/v1/quarantine/nothing/replay",
            "",
        )
        .with([bearer(REVIEWER)]),
    ]
}

#[tokio::test]
async fn the_inbound_doors_answer_as_pinned() {
    let app = spawn_app_with_sns(&config(), fake_sns()).await;
    let mut written = String::new();
    let documented = Documented::of(&app).await;
    for case in cases() {
        written.push_str(&case.answer(&app, &documented).await);
    }
    // A door with no credential on a public listen address is closed.
    let public = spawn_app_listening("0.0.0.0:0", "").await;
    for case in [
        Case::post("public, no credentials: events", "/v1/events", "[]"),
        Case::post(
            "public, no credentials: postmark",
            "/v1/events/postmark",
            "{}",
        ),
        Case::post(
            "public, no credentials: shopify orders",
            "/v1/conversions/shopify",
            "{}",
        ),
    ] {
        written.push_str(&case.answer(&public, &documented).await);
    }
    held_against(GOLDEN, &written);
}

/// Compares `written` with the golden file `path`, or writes it there with
/// `PROMISEGUARD_BLESS=1`.
fn held_against(path: &str, written: &str) {
    if std::env::var_os("PROMISEGUARD_BLESS").is_some() {
        std::fs::write(path, written).unwrap();
        return;
    }
    let pinned = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!("{path}: {e} (write it with PROMISEGUARD_BLESS=1 on the code it pins)")
    });
    if pinned != written {
        let at = pinned
            .lines()
            .zip(written.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(pinned.lines().count().min(written.lines().count()));
        panic!(
            "the answers differ from {path} from line {}:\n  pinned:  {:?}\n  now:     {:?}",
            at + 1,
            pinned.lines().nth(at),
            written.lines().nth(at)
        );
    }
}

/// The analyst API's answers over one story — a blocked campaign and a passing one, clicks,
/// a review — pinned the same way (`tests/api/golden/analyst.txt`): the response types these
/// routes answer with may move out of the store, their JSON may not change.
#[tokio::test]
async fn the_analyst_api_answers_as_pinned() {
    use crate::support::analysts::{fixture as campaign, get};
    use crate::support::surveys::{clicks, post_events};
    let app = spawn_app_with_sns(&config(), fake_sns()).await;
    let documented = Documented::of(&app).await;
    let reviewer = || [bearer(REVIEWER)];
    let mut written = String::new();
    for (name, body) in [
        ("presend: block", campaign("block")),
        ("presend: pass", campaign("pass")),
    ] {
        let case = Case::post(name, "/v1/presend", body.to_string());
        written.push_str(&case.answer(&app, &documented).await);
    }
    let events = clicks("rentals-free-day-2026-11", &["golden@example.com"], 30);
    let (status, _) = post_events(&app, "/v1/events", &events).await;
    assert_eq!(
        status, 401,
        "the events door wants the providers' token here"
    );
    let ingest = Case::post(
        "events: a click",
        "/v1/events",
        serde_json::to_string(&events).unwrap(),
    )
    .with([bearer(EVENTS_TOKEN)]);
    written.push_str(&ingest.answer(&app, &documented).await);
    let (_, detail) = get(
        &app,
        "/v1/campaigns/rentals-free-day-2026-11",
        Some(REVIEWER),
    )
    .await;
    let finding = detail["latest_check"]["findings"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let review = format!("/v1/findings/{finding}/review");
    let cases = [
        Case::get("campaigns", "/v1/campaigns").with(reviewer()),
        Case::get("campaigns: blocked only", "/v1/campaigns?verdict=block").with(reviewer()),
        Case::get("a campaign", "/v1/campaigns/rentals-free-day-2026-11").with(reviewer()),
        Case::get("no such campaign", "/v1/campaigns/nope").with(reviewer()),
        Case::post(
            "a review",
            &review,
            r#"{"action":"acknowledge","note":"known"}"#,
        )
        .with(reviewer()),
        Case::post(
            "a review without a note",
            &review,
            r#"{"action":"override"}"#,
        )
        .with(reviewer()),
        Case::get(
            "a campaign's NPS",
            "/v1/campaigns/rentals-free-day-2026-11/nps",
        )
        .with(reviewer()),
        Case::get("the insight", "/v1/insights/promises").with(reviewer()),
        Case::get("one person's data", "/v1/recipients/golden@example.com").with(reviewer()),
        Case::get("data requests", "/v1/compliance/requests").with(reviewer()),
        Case::get(
            "a campaign, reviewed",
            "/v1/campaigns/rentals-free-day-2026-11",
        )
        .with(reviewer()),
        Case::get(
            "the lookup",
            "/v1/lookup?locations=loc-101,loc-102&items=SUV-STD@loc-101",
        ),
        Case::get(
            "the lookup, a bad item",
            "/v1/lookup?locations=loc-101&items=nosku",
        ),
    ];
    for case in cases {
        written.push_str(&case.answer(&app, &documented).await);
    }
    let erase = Case::delete("erase a person", "/v1/recipients/golden@example.com");
    written.push_str(&erase.with(reviewer()).answer(&app, &documented).await);
    held_against(ANALYST_GOLDEN, &written);
}

#[test]
fn masking_replaces_only_uuids_and_instants() {
    assert_eq!(
        masked(
            r#"{"id":"0190b6f1-2c3d-7e4f-8a9b-0c1d2e3f4a5b","at":"2026-12-04T21:32:10.123Z","n":"2026-12-04"}"#
        ),
        r#"{"id":"<uuid>","at":"<time>","n":"2026-12-04"}"#
    );
    assert_eq!(masked("2026-12-04T21:32:10+00:00 ok"), "<time> ok");
    assert_eq!(masked("deadbeef-no"), "deadbeef-no");
    assert_eq!(
        masked(&format!(
            r#"{{"timestamp":"1796421481","signature":"{}"}}"#,
            "ab".repeat(32)
        )),
        r#"{"timestamp":"<unix>","signature":"<hex>"}"#
    );
    assert_eq!(masked(r#"\"1796421481\""#), r#"\"<unix>\""#);
    assert_eq!(
        masked(r#""12345678901" 1764633600.5"#),
        r#""12345678901" 1764633600.5"#
    );
}
