//! Survey and unsubscribe links. A token names one invitation and carries an HMAC of it, so it
//! cannot be guessed or altered: `{invitation id}.{base64url HMAC-SHA256}`.
use crate::signatures::KeyedHash;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

#[derive(Clone)]
pub struct SurveyLinks {
    key: Vec<u8>,
    base_url: String,
}

impl SurveyLinks {
    pub fn new(key: Vec<u8>, base_url: &str) -> Self {
        Self {
            key,
            base_url: base_url.trim_end_matches('/').to_owned(),
        }
    }

    fn mac(&self, id: &str) -> KeyedHash {
        let mut mac = KeyedHash::new(&self.key);
        mac.update(b"promiseguard-invitation:");
        mac.update(id.as_bytes());
        mac
    }

    pub fn token(&self, invitation_id: &str) -> String {
        let tag = self.mac(invitation_id).finish();
        format!("{invitation_id}.{}", URL_SAFE_NO_PAD.encode(tag))
    }

    /// The invitation a token names, if its signature holds (compared in constant time).
    pub fn verify(&self, token: &str) -> Option<String> {
        let (id, tag) = token.rsplit_once('.')?;
        if id.is_empty() || id.len() > 64 {
            return None;
        }
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        self.mac(id).matches(&tag).then(|| id.to_owned())
    }

    pub fn survey_url(&self, invitation_id: &str, score: u8) -> String {
        self.for_invitation(invitation_id).survey_url(score)
    }

    pub fn unsubscribe_url(&self, invitation_id: &str) -> String {
        self.for_invitation(invitation_id).unsubscribe_url()
    }

    /// One invitation's links, its token signed once for all twelve of an email's links.
    pub fn for_invitation(&self, invitation_id: &str) -> InvitationLinks<'_> {
        InvitationLinks {
            base_url: &self.base_url,
            token: self.token(invitation_id),
        }
    }
}

/// The links of one invitation: eleven scores and the unsubscribe, all with one token.
pub struct InvitationLinks<'a> {
    base_url: &'a str,
    token: String,
}

impl InvitationLinks<'_> {
    pub fn survey_url(&self, score: u8) -> String {
        format!("{}/s/{}?score={score}", self.base_url, self.token)
    }

    pub fn unsubscribe_url(&self) -> String {
        format!("{}/u/{}", self.base_url, self.token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_and_tampering_fails() {
        let links = SurveyLinks::new(b"0123456789abcdef0123456789abcdef".to_vec(), "http://x/");
        let token = links.token("inv-1");
        assert_eq!(links.verify(&token), Some("inv-1".into()));
        assert_eq!(links.verify(&token.replace("inv-1", "inv-2")), None);
        let mut bad = token.clone();
        bad.pop();
        bad.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(links.verify(&bad), None);
        assert_eq!(links.verify("inv-1"), None);
        let other = SurveyLinks::new(b"another key, another signature!!".to_vec(), "http://x");
        assert_eq!(other.verify(&token), None);
        assert_eq!(
            links.survey_url("inv-1", 7),
            format!("http://x/s/{token}?score=7")
        );
    }
}
