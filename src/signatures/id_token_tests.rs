//! ID tokens signed by `jsonwebtoken` with the fake provider's fixture keys, each way one can
//! be wrong.
use super::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{EncodingKey, Header, encode};
use serde_json::json;

const RSA_1: &[u8] = include_bytes!("../../fixtures/oidc/rsa-1.pem");
const RSA_2: &[u8] = include_bytes!("../../fixtures/oidc/rsa-2.pem");
const EC_1: &[u8] = include_bytes!("../../fixtures/oidc/ec-1.pem");
const NOW: i64 = 1_796_000_000;
const ISSUER: &str = "https://id.example.com/oauth2/default";

fn expected() -> Expected<'static> {
    Expected {
        issuer: ISSUER,
        client_id: "promiseguard",
        nonce: "n-0S6_WzA2Mj",
        now: NOW,
    }
}

fn rsa(pem: &[u8]) -> EncodingKey {
    EncodingKey::from_rsa_pem(pem).unwrap()
}

fn jwk(key: &EncodingKey, alg: Algorithm, kid: &str) -> Jwk {
    let mut jwk = Jwk::from_encoding_key(key, alg).unwrap();
    jwk.common.key_id = Some(kid.into());
    jwk
}

/// The provider's JWKS: `rsa-1` as `r1`, `ec-1` as `e1`.
fn keys() -> JwkSet {
    JwkSet {
        keys: vec![
            jwk(&rsa(RSA_1), Algorithm::RS256, "r1"),
            jwk(
                &EncodingKey::from_ec_pem(EC_1).unwrap(),
                Algorithm::ES256,
                "e1",
            ),
        ],
    }
}

fn claims() -> Value {
    json!({"iss": ISSUER, "sub": "00u1a2b3", "aud": "promiseguard", "exp": NOW + 300,
           "iat": NOW - 5, "nonce": "n-0S6_WzA2Mj", "email": "dana@retail.example",
           "groups": ["cx-reviewers", "everyone"]})
}

fn sign(alg: Algorithm, kid: Option<&str>, key: &EncodingKey, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    encode(&header, claims, key).unwrap()
}

fn rs256(claims: &Value) -> String {
    sign(Algorithm::RS256, Some("r1"), &rsa(RSA_1), claims)
}

fn with(change: Value) -> Value {
    let mut c = claims();
    for (k, v) in change.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

#[test]
fn a_good_token_of_either_algorithm_names_its_person_and_groups() {
    let token = rs256(&claims());
    let c = verify(&token, &keys(), expected()).unwrap();
    assert_eq!(c.name(), "dana@retail.example");
    assert_eq!(c.values("groups"), ["cx-reviewers", "everyone"]);
    assert_eq!(key_id(&token).unwrap().as_deref(), Some("r1"));

    let ec = EncodingKey::from_ec_pem(EC_1).unwrap();
    let token = sign(
        Algorithm::ES256,
        Some("e1"),
        &ec,
        &with(json!({"email": null, "preferred_username": "dana"})),
    );
    assert_eq!(verify(&token, &keys(), expected()).unwrap().name(), "dana");
    let token = rs256(&with(json!({"email": null, "groups": "single-group"})));
    let c = verify(&token, &keys(), expected()).unwrap();
    assert_eq!(
        (c.name(), c.values("groups")),
        ("00u1a2b3", vec!["single-group".to_owned()])
    );
    // Several audiences with `azp` naming us; a clock a minute off either way.
    let token = rs256(&with(
        json!({"aud": ["promiseguard", "api"], "azp": "promiseguard",
                                   "exp": NOW - 60, "iat": NOW + 60}),
    ));
    assert!(verify(&token, &keys(), expected()).is_ok());
}

#[test]
fn each_wrong_claim_is_refused_by_name() {
    for (change, error) in [
        (json!({"aud": "someone-else"}), TokenError::Audience),
        (
            json!({"aud": ["promiseguard", "api"]}),
            TokenError::Audience,
        ),
        (
            json!({"aud": ["promiseguard", "api"], "azp": "api"}),
            TokenError::Audience,
        ),
        (
            json!({"iss": "https://evil.example"}),
            TokenError::Issuer("https://evil.example".into()),
        ),
        (json!({"exp": NOW - SKEW_SECS}), TokenError::Expired),
        (
            json!({"iat": NOW + SKEW_SECS + 1}),
            TokenError::IssuedInFuture,
        ),
        (
            json!({"nonce": "replayed-from-another-sign-in"}),
            TokenError::Nonce,
        ),
        (json!({"nonce": null}), TokenError::Nonce),
    ] {
        let token = rs256(&with(change.clone()));
        assert_eq!(
            verify(&token, &keys(), expected()).unwrap_err(),
            error,
            "{change}"
        );
    }
}

#[test]
fn keys_and_signatures_are_checked() {
    // A `kid` the JWKS lacks; a known `kid` signed with another key.
    let token = sign(Algorithm::RS256, Some("r2"), &rsa(RSA_2), &claims());
    assert_eq!(
        verify(&token, &keys(), expected()).unwrap_err(),
        TokenError::UnknownKey(Some("r2".into()))
    );
    let token = sign(Algorithm::RS256, Some("r1"), &rsa(RSA_2), &claims());
    assert_eq!(
        verify(&token, &keys(), expected()).unwrap_err(),
        TokenError::Signature
    );
    // An RS256 token naming the EC key's `kid`: no RSA key of that name.
    let token = sign(Algorithm::RS256, Some("e1"), &rsa(RSA_1), &claims());
    assert!(matches!(
        verify(&token, &keys(), expected()),
        Err(TokenError::UnknownKey(_))
    ));

    // The payload changed after signing (another person, same signature).
    let token = rs256(&claims());
    let parts: Vec<&str> = token.split('.').collect();
    let forged = URL_SAFE_NO_PAD.encode(with(json!({"email": "boss@retail.example"})).to_string());
    let tampered = format!("{}.{forged}.{}", parts[0], parts[2]);
    assert_eq!(
        verify(&tampered, &keys(), expected()).unwrap_err(),
        TokenError::Signature
    );

    // `alg: none` and an HMAC are never accepted.
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","kid":"r1"}"#);
    let unsigned = format!("{none_header}.{}.", parts[1]);
    assert!(matches!(
        verify(&unsigned, &keys(), expected()),
        Err(TokenError::Malformed(_))
    ));
    let hmac = sign(
        Algorithm::HS256,
        Some("r1"),
        &EncodingKey::from_secret(b"public").unwrap(),
        &claims(),
    );
    assert_eq!(
        verify(&hmac, &keys(), expected()).unwrap_err(),
        TokenError::Algorithm("HS256".into())
    );
    assert!(matches!(key_id("not.a.jwt"), Err(TokenError::Malformed(_))));
}
