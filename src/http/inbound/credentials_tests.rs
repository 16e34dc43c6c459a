use super::*;
use actix_web::test::TestRequest;

fn config(text: &str) -> Config {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), text).unwrap();
    crate::config::load(Some(file.path()), []).unwrap()
}

#[test]
fn keys_swapped_at_run_time_admit_from_the_next_request_on() {
    let credentials = Credentials::new(&config(""));
    let req = TestRequest::default()
        .insert_header(("authorization", "Bearer rotated-token-0123456789"))
        .peer_addr("203.0.113.9:4000".parse().unwrap())
        .to_http_request();
    let scheme = Scheme::TokensOnly;
    assert!(matches!(
        credentials.current().admit(&req, &scheme),
        Err(ApiError::Forbidden(_))
    ));
    credentials.replace(Keys::new(&config(
        "[events]\ntokens = [{ name = \"rotated\", token = \"rotated-token-0123456789\" }]\n",
    )));
    match credentials.current().admit(&req, &scheme) {
        Ok(Admission::By(by)) => assert_eq!(by, DeliveredBy::Token("rotated".into())),
        Ok(Admission::Verify) => panic!("a token door never asks for a signature"),
        Err(e) => panic!("refused: {e}"),
    }
}
