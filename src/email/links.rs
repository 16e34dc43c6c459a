//! Survey and unsubscribe links. A token names one invitation and carries an HMAC of it, so it
//! cannot be guessed or altered: `{invitation id}.{base64url HMAC-SHA256}`. While a key is
//! rotated there are several: the first signs, each verifies. Every clone shares the keys, so
//! `replace_keys` (a `SIGHUP`) reaches every sender and the survey pages at once.
use crate::signatures::KeyedHash;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::sync::{Arc, RwLock};

/// `keys`, or one empty key in place of none (a configuration never gives none).
fn non_empty(keys: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    if keys.is_empty() {
        vec![Vec::new()]
    } else {
        keys
    }
}

#[derive(Clone)]
pub struct SurveyLinks {
    /// The first signs; each verifies. Never empty.
    keys: Arc<RwLock<Arc<Vec<Vec<u8>>>>>,
    base_url: String,
}

fn mac(key: &[u8], id: &str) -> KeyedHash {
    let mut mac = KeyedHash::new(key);
    mac.update(b"promiseguard-invitation:");
    mac.update(id.as_bytes());
    mac
}

impl SurveyLinks {
    pub fn new(key: Vec<u8>, base_url: &str) -> Self {
        Self::rotating(vec![key], base_url)
    }

    /// Links signed with the first of `keys` and verified with any (`key` when it is empty).
    pub fn rotating(keys: Vec<Vec<u8>>, base_url: &str) -> Self {
        Self {
            keys: Arc::new(RwLock::new(Arc::new(non_empty(keys)))),
            base_url: base_url.trim_end_matches('/').to_owned(),
        }
    }

    /// Puts `keys` in force for every link signed or verified from now on, in every clone
    /// (nothing, if `keys` is empty).
    pub fn replace_keys(&self, keys: Vec<Vec<u8>>) {
        if !keys.is_empty() {
            *self.keys.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(keys);
        }
    }

    fn keys(&self) -> Arc<Vec<Vec<u8>>> {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn token(&self, invitation_id: &str) -> String {
        let tag = mac(&self.keys()[0], invitation_id).finish();
        format!("{invitation_id}.{}", URL_SAFE_NO_PAD.encode(tag))
    }

    /// The invitation a token names, if its signature holds under any key (each compared in
    /// constant time).
    pub fn verify(&self, token: &str) -> Option<String> {
        let (id, tag) = token.rsplit_once('.')?;
        if id.is_empty() || id.len() > 64 {
            return None;
        }
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        self.keys()
            .iter()
            .any(|key| mac(key, id).matches(&tag))
            .then(|| id.to_owned())
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

    #[test]
    fn a_rotated_key_signs_from_then_on_and_the_old_still_verifies_what_it_signed() {
        let old = b"the old key, sixteen bytes plus".to_vec();
        let new = b"the new key, sixteen bytes plus".to_vec();
        let links = SurveyLinks::new(old.clone(), "http://x");
        let sender = links.clone();
        let sent = sender.token("inv-1");
        // A reload puts the new key first and keeps the old: every clone sees it.
        links.replace_keys(vec![new.clone(), old.clone()]);
        let fresh = sender.token("inv-2");
        assert_eq!(
            fresh,
            SurveyLinks::new(new.clone(), "http://x").token("inv-2")
        );
        assert_eq!(links.verify(&sent), Some("inv-1".into()));
        assert_eq!(links.verify(&fresh), Some("inv-2".into()));
        // The old key dropped: what it signed no longer verifies.
        links.replace_keys(vec![new]);
        assert_eq!(sender.verify(&sent), None);
        assert_eq!(sender.verify(&fresh), Some("inv-2".into()));
        links.replace_keys(Vec::new());
        assert_eq!(
            sender.verify(&fresh),
            Some("inv-2".into()),
            "none is no change"
        );
    }
}
