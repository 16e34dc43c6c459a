//! An OpenID provider in this process, answering as OpenID Connect Core, Discovery and RFC 6749
//! / 7636 say: a discovery document, a JWKS, an authorization endpoint that signs the set
//! person in at once and redirects back with a code, and a token endpoint that checks the client
//! (Basic or in the body, as it advertises), the code (once), the redirect URI and the PKCE
//! verifier before answering with an ID token signed by `jsonwebtoken` with the fixture keys
//! (`fixtures/oidc/`). Tests set who signs in, which key signs, which keys are published, and
//! what is wrong with the token.
use crate::support::app::{TestApp, spawn_app_listening};
use crate::support::fake_server::{FakeRequest, FakeResponse, FakeServer};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use sha2::Digest;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const CLIENT_ID: &str = "promiseguard-test";
pub const CLIENT_SECRET: &str = "client-secret-0123456789";

/// A fixture key: `r1`/`r2` (RSA, RS256), `e1` (P-256, ES256).
pub fn key(name: &str) -> (EncodingKey, Algorithm) {
    let pem = |f: &str| {
        std::fs::read(format!("{}/fixtures/oidc/{f}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    };
    match name {
        "r1" => (
            EncodingKey::from_rsa_pem(&pem("rsa-1.pem")).unwrap(),
            Algorithm::RS256,
        ),
        "r2" => (
            EncodingKey::from_rsa_pem(&pem("rsa-2.pem")).unwrap(),
            Algorithm::RS256,
        ),
        "e1" => (
            EncodingKey::from_ec_pem(&pem("ec-1.pem")).unwrap(),
            Algorithm::ES256,
        ),
        other => panic!("no fixture key {other}"),
    }
}

/// What is wrong with the next ID tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tamper {
    Nothing,
    Audience,
    Issuer,
    Expired,
    Nonce,
    /// The payload changed after signing.
    Payload,
    /// `alg: none`, no signature.
    Unsigned,
}

pub struct Idp {
    /// Claims of the person who signs in (beside iss, aud, exp, iat, nonce, sub).
    pub person: Value,
    /// The `kid` the header names, and the fixture key that signs.
    pub kid: String,
    pub signer: String,
    /// The fixture keys the JWKS publishes, each under its own name.
    pub published: Vec<String>,
    pub tamper: Tamper,
    /// `client_secret_basic` or `client_secret_post`.
    pub auth_method: String,
    /// The client secret the token endpoint accepts (`CLIENT_SECRET` unless rotated).
    pub client_secret: String,
    pub pkce: bool,
    issuer: String,
    codes: HashMap<String, Grant>,
}

struct Grant {
    nonce: String,
    challenge: String,
    redirect_uri: String,
}

pub struct FakeIdp {
    pub server: FakeServer,
    pub idp: Arc<Mutex<Idp>>,
}

fn error(status: u16, code: &str) -> FakeResponse {
    FakeResponse::json(
        status,
        json!({"error": code, "error_description": format!("fake provider: {code}")}),
    )
}

impl Idp {
    fn discovery(&self) -> Value {
        let mut doc = json!({
            "issuer": self.issuer,
            "authorization_endpoint": format!("{}/authorize", self.issuer),
            "token_endpoint": format!("{}/token", self.issuer),
            "jwks_uri": format!("{}/keys", self.issuer),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            "token_endpoint_auth_methods_supported": [self.auth_method],
        });
        if self.pkce {
            doc["code_challenge_methods_supported"] = json!(["S256"]);
        }
        doc
    }

    fn jwks(&self) -> Value {
        let keys: Vec<Jwk> = self
            .published
            .iter()
            .map(|name| {
                let (k, alg) = key(name);
                let mut jwk = Jwk::from_encoding_key(&k, alg).unwrap();
                jwk.common.key_id = Some(name.clone());
                jwk
            })
            .collect();
        serde_json::to_value(JwkSet { keys }).unwrap()
    }

    fn authorize(&mut self, req: &FakeRequest) -> FakeResponse {
        let q = |k: &str| req.query(k).unwrap_or_default().to_owned();
        if q("response_type") != "code"
            || q("client_id") != CLIENT_ID
            || !q("scope").contains("openid")
        {
            return error(400, "invalid_request");
        }
        if q("code_challenge_method") != "S256" || q("code_challenge").is_empty() {
            return error(400, "invalid_request");
        }
        let code = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>());
        self.codes.insert(
            code.clone(),
            Grant {
                nonce: q("nonce"),
                challenge: q("code_challenge"),
                redirect_uri: q("redirect_uri"),
            },
        );
        let mut back = url::Url::parse(&q("redirect_uri")).unwrap();
        back.query_pairs_mut()
            .append_pair("code", &code)
            .append_pair("state", &q("state"));
        FakeResponse::text(302, "").header("location", back.as_str())
    }

    fn client_ok(&self, req: &FakeRequest, form: &HashMap<String, String>) -> bool {
        match self.auth_method.as_str() {
            "client_secret_basic" => req.header("authorization").is_some_and(|h| {
                let expected = STANDARD.encode(format!("{CLIENT_ID}:{}", self.client_secret));
                h == format!("Basic {expected}")
            }),
            _ => {
                form.get("client_id").map(String::as_str) == Some(CLIENT_ID)
                    && form.get("client_secret") == Some(&self.client_secret)
            }
        }
    }

    fn token(&mut self, req: &FakeRequest) -> FakeResponse {
        let form: HashMap<String, String> = url::form_urlencoded::parse(&req.body)
            .into_owned()
            .collect();
        if !self.client_ok(req, &form) {
            return error(401, "invalid_client");
        }
        let field = |k: &str| form.get(k).cloned().unwrap_or_default();
        let Some(grant) = self.codes.remove(&field("code")) else {
            return error(400, "invalid_grant");
        };
        let challenge =
            URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(field("code_verifier").as_bytes()));
        if field("grant_type") != "authorization_code"
            || field("redirect_uri") != grant.redirect_uri
            || challenge != grant.challenge
        {
            return error(400, "invalid_grant");
        }
        let id_token = self.id_token(&grant.nonce);
        FakeResponse::json(
            200,
            json!({"access_token": "at-opaque", "token_type": "Bearer", "expires_in": 3600,
                   "scope": "openid email profile", "id_token": id_token}),
        )
    }

    fn id_token(&self, nonce: &str) -> String {
        let now = chrono::Utc::now().timestamp();
        let mut claims = json!({"iss": self.issuer, "sub": "00u-fake-person", "aud": CLIENT_ID,
                                "exp": now + 3600, "iat": now, "nonce": nonce});
        match self.tamper {
            Tamper::Audience => claims["aud"] = json!("another-client"),
            Tamper::Issuer => claims["iss"] = json!("https://evil.example"),
            Tamper::Expired => {
                claims["exp"] = json!(now - 3600);
                claims["iat"] = json!(now - 7200);
            }
            Tamper::Nonce => claims["nonce"] = json!("a-nonce-of-another-sign-in"),
            _ => {}
        }
        for (k, v) in self.person.as_object().unwrap() {
            claims[k] = v.clone();
        }
        let (signer, alg) = key(&self.signer);
        let mut header = Header::new(alg);
        header.kid = Some(self.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &signer).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        match self.tamper {
            Tamper::Payload => {
                claims["groups"] = json!(["cx-reviewers"]);
                claims["email"] = json!("boss@retail.example");
                let forged = URL_SAFE_NO_PAD.encode(claims.to_string());
                format!("{}.{forged}.{}", parts[0], parts[2])
            }
            Tamper::Unsigned => {
                let none =
                    URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"none","kid":"{}"}}"#, self.kid));
                format!("{none}.{}.", parts[1])
            }
            _ => token,
        }
    }
}

impl FakeIdp {
    pub async fn start() -> Self {
        let idp = Arc::new(Mutex::new(Idp {
            person: json!({"email": "dana@retail.example", "groups": ["cx-reviewers"]}),
            kid: "r1".into(),
            signer: "r1".into(),
            published: vec!["r1".into(), "e1".into()],
            tamper: Tamper::Nothing,
            auth_method: "client_secret_basic".into(),
            client_secret: CLIENT_SECRET.into(),
            pkce: true,
            issuer: String::new(),
            codes: HashMap::new(),
        }));
        let shared = idp.clone();
        let server = FakeServer::start(move |req| {
            let mut idp = shared.lock().unwrap();
            match (req.method.as_str(), req.path.as_str()) {
                ("GET", "/.well-known/openid-configuration") => {
                    FakeResponse::json(200, idp.discovery())
                }
                ("GET", "/keys") => FakeResponse::json(200, idp.jwks()),
                ("GET", "/authorize") => idp.authorize(req),
                ("POST", "/token") => idp.token(req),
                _ => error(404, "not_found"),
            }
        })
        .await;
        idp.lock().unwrap().issuer = server.url.clone();
        Self { server, idp }
    }

    pub fn set(&self, change: impl FnOnce(&mut Idp)) {
        change(&mut self.idp.lock().unwrap());
    }

    /// How many times the JWKS was fetched.
    pub fn jwks_fetches(&self) -> usize {
        self.server
            .requests()
            .iter()
            .filter(|r| r.path == "/keys")
            .count()
    }

    /// `[analysts.oidc]` for an app listening on `port`.
    pub fn config(&self, port: u16) -> String {
        format!(
            "[analysts.oidc]\nissuer = \"{}\"\nclient_id = \"{CLIENT_ID}\"\nclient_secret = \"{CLIENT_SECRET}\"\n\
             redirect_url = \"http://127.0.0.1:{port}/ui/oidc/callback\"\n\
             reviewer_groups = [\"cx-reviewers\"]\nviewer_groups = [\"cx-viewers\", \"7f1c2a4e-0b1d-4c55-9a57-1d1e2f3a4b5c\"]\n",
            self.server.url
        )
    }
}

/// The service signing analysts in through `idp`, on a port known before it starts (the
/// provider redirects browsers back to it); `extra` appended to its configuration.
pub async fn app_with_sign_in(idp: &FakeIdp, extra: &str) -> TestApp {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    spawn_app_listening(
        &format!("127.0.0.1:{port}"),
        &format!("{}{extra}", idp.config(port)),
    )
    .await
}

/// A browser's sign-in, by hand: start, the provider, the callback. The callback's answer (its
/// status, and the session cookie it set, if any).
pub async fn sign_in(app: &TestApp, next: &str) -> (u16, Option<String>, String) {
    sign_in_at(&app.address, next).await
}

/// `sign_in` at the service listening at `address`.
pub async fn sign_in_at(address: &str, next: &str) -> (u16, Option<String>, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let start = client
        .get(format!("{address}/ui/oidc/start?next={next}"))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 303, "{}", start.text().await.unwrap());
    let pending = cookie(&start, "pg_oidc").expect("the pending cookie");
    let to_provider = start.headers()["location"].to_str().unwrap().to_owned();
    let provider = client.get(&to_provider).send().await.unwrap();
    assert_eq!(provider.status(), 302, "{}", provider.text().await.unwrap());
    let back = provider.headers()["location"].to_str().unwrap().to_owned();
    finish_at(&back, &pending).await
}

/// The callback at `url` with the pending cookie `pending`.
pub async fn finish(app: &TestApp, url: &str, pending: &str) -> (u16, Option<String>, String) {
    let _ = app;
    finish_at(url, pending).await
}

async fn finish_at(url: &str, pending: &str) -> (u16, Option<String>, String) {
    let answer = reqwest::Client::new()
        .get(url)
        .header("cookie", format!("pg_oidc={pending}"))
        .send()
        .await
        .unwrap();
    let session = cookie(&answer, "pg_session").filter(|v| !v.is_empty());
    (
        answer.status().as_u16(),
        session,
        answer.text().await.unwrap(),
    )
}

pub fn cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap_or_default().to_owned())
}
