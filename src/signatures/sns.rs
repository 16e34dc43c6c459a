//! Amazon SNS message signatures: the canonical string of a message's fields, signed with RSA
//! PKCS#1 v1.5 — SHA1 for `SignatureVersion` 1, SHA256 for 2 — by the key of the certificate at
//! `SigningCertURL`, which must be `https://sns.<region>.amazonaws.com/…` and chain to a trusted
//! root (webpki). Pure: the certificate is fetched (and cached) by the caller.
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rustls_pki_types::{
    AlgorithmIdentifier, CertificateDer, InvalidSignature, ServerName,
    SignatureVerificationAlgorithm, TrustAnchor, UnixTime, alg_id, pem::PemObject,
};
use serde::Deserialize;
use webpki::{EndEntityCert, KeyUsage};

/// An SNS message as posted to an HTTPS subscriber (fields SNS adds are ignored).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnsMessage {
    #[serde(rename = "Type")]
    pub kind: String,
    pub message_id: String,
    pub topic_arn: String,
    #[serde(default)]
    pub subject: Option<String>,
    pub message: String,
    pub timestamp: String,
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default, rename = "SubscribeURL")]
    pub subscribe_url: Option<String>,
    pub signature_version: String,
    pub signature: String,
    #[serde(rename = "SigningCertURL")]
    pub signing_cert_url: String,
}

impl SnsMessage {
    /// The string SNS signs: each present field's name and value, one per line, in the order
    /// AWS documents for the message's type.
    pub fn string_to_sign(&self) -> Result<String, String> {
        let mut fields: Vec<(&str, &str)> =
            vec![("Message", &self.message), ("MessageId", &self.message_id)];
        match self.kind.as_str() {
            "Notification" => {
                if let Some(subject) = &self.subject {
                    fields.push(("Subject", subject));
                }
                fields.extend([
                    ("Timestamp", self.timestamp.as_str()),
                    ("TopicArn", &self.topic_arn),
                ]);
            }
            "SubscriptionConfirmation" | "UnsubscribeConfirmation" => {
                let (Some(url), Some(token)) = (&self.subscribe_url, &self.token) else {
                    return Err(format!("a {} needs SubscribeURL and Token", self.kind));
                };
                fields.extend([
                    ("SubscribeURL", url.as_str()),
                    ("Timestamp", &self.timestamp),
                    ("Token", token),
                    ("TopicArn", &self.topic_arn),
                ]);
            }
            other => return Err(format!("unknown message Type `{other}`")),
        }
        fields.push(("Type", &self.kind));
        Ok(fields.iter().map(|(k, v)| format!("{k}\n{v}\n")).collect())
    }

    /// The region of `SigningCertURL` when it is on SNS's own host; why not otherwise.
    pub fn certificate_region(&self) -> Result<String, String> {
        sns_region(&self.signing_cert_url, true).ok_or_else(|| {
            "SigningCertURL must be https://sns.<region>.amazonaws.com/….pem".to_owned()
        })
    }
}

/// The region of an `https://sns.<region>.amazonaws.com/` URL (no user, no port; a `.pem` path
/// when `pem`), or `None` for any other URL.
pub fn sns_region(url: &str, pem: bool) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    if url.scheme() != "https"
        || url.port().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return None;
    }
    let region = url
        .host_str()?
        .strip_prefix("sns.")?
        .strip_suffix(".amazonaws.com")?;
    let plain = !region.is_empty()
        && region.len() <= 32
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    (plain && (!pem || url.path().ends_with(".pem"))).then(|| region.to_owned())
}

/// RSA PKCS#1 v1.5 with SHA1, which SNS's SignatureVersion 1 uses (webpki offers no SHA1).
#[derive(Debug)]
struct RsaSha1;

impl SignatureVerificationAlgorithm for RsaSha1 {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
            public_key,
        )
        .verify(message, signature)
        .map_err(|_| InvalidSignature)
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::RSA_ENCRYPTION
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        // sha1WithRSAEncryption (1.2.840.113549.1.1.5), NULL parameters.
        AlgorithmIdentifier::from_slice(&[
            0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05, 0x05, 0x00,
        ])
    }
}

/// The roots SNS's certificates are checked against: the Mozilla set (webpki-roots), or the
/// certificates of a PEM file (a test's own CA).
pub fn anchors(pem: Option<&[u8]>) -> Result<Vec<TrustAnchor<'static>>, String> {
    let Some(pem) = pem else {
        return Ok(webpki_roots::TLS_SERVER_ROOTS.to_vec());
    };
    let mut anchors = Vec::new();
    for cert in CertificateDer::pem_slice_iter(pem) {
        let cert = cert.map_err(|e| format!("not PEM certificates: {e}"))?;
        let anchor = webpki::anchor_from_trusted_cert(&cert)
            .map_err(|e| format!("not a CA certificate: {e}"))?;
        anchors.push(anchor.to_owned());
    }
    if anchors.is_empty() {
        return Err("no certificate in the PEM file".into());
    }
    Ok(anchors)
}

/// Whether `message` is signed by the certificate `pem` (fetched from its `SigningCertURL`),
/// valid at `now`, issued for `sns.<region>.amazonaws.com` and chaining to `anchors`.
pub fn verify(
    message: &SnsMessage,
    pem: &[u8],
    anchors: &[TrustAnchor<'_>],
    now: UnixTime,
) -> Result<(), String> {
    let region = message.certificate_region()?;
    let certs: Vec<CertificateDer<'_>> = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("the signing certificate is not PEM: {e}"))?;
    let (leaf, intermediates) = certs
        .split_first()
        .ok_or("the signing certificate is empty")?;
    let cert =
        EndEntityCert::try_from(leaf).map_err(|e| format!("the signing certificate: {e}"))?;
    cert.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        anchors,
        intermediates,
        now,
        KeyUsage::server_auth(),
        None,
        None,
    )
    .map_err(|e| format!("the signing certificate is not trusted: {e}"))?;
    let host = format!("sns.{region}.amazonaws.com");
    let name = ServerName::try_from(host.as_str()).map_err(|e| e.to_string())?;
    cert.verify_is_valid_for_subject_name(&name)
        .map_err(|_| format!("the signing certificate is not issued for {host}"))?;
    let signed = message.string_to_sign()?;
    let signature = STANDARD
        .decode(message.signature.trim())
        .map_err(|_| "Signature is not base64".to_owned())?;
    let algorithm: &dyn SignatureVerificationAlgorithm = match message.signature_version.as_str() {
        "1" => &RsaSha1,
        "2" => webpki::ring::RSA_PKCS1_2048_8192_SHA256,
        other => return Err(format!("SignatureVersion `{other}`: expected 1 or 2")),
    };
    cert.verify_signature(algorithm, signed.as_bytes(), &signature)
        .map_err(|_| "Signature does not match the message".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/fixtures/providers/ses/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    fn message(name: &str) -> SnsMessage {
        serde_json::from_slice(&fixture(name)).unwrap()
    }

    fn now() -> UnixTime {
        UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_830_000_000))
    }

    /// The messages were signed by openssl (fixtures/providers/ses/make.sh), both versions.
    #[test]
    fn openssl_signed_messages_verify_with_the_certificate_and_its_ca() {
        let anchors = anchors(Some(&fixture("test-ca.pem"))).unwrap();
        let cert = fixture("signing-cert.pem");
        for name in [
            "notification-click-v1.json",
            "notification-click-v2.json",
            "notification-bounce.json",
            "subscription-confirmation.json",
        ] {
            assert_eq!(
                verify(&message(name), &cert, &anchors, now()),
                Ok(()),
                "{name}"
            );
        }
    }

    #[test]
    fn a_changed_field_another_root_or_another_host_does_not_verify() {
        let anchors = anchors(Some(&fixture("test-ca.pem"))).unwrap();
        let cert = fixture("signing-cert.pem");
        let mut changed = message("notification-click-v2.json");
        changed.message = changed.message.replace("Lee.Other", "Someone.Else");
        assert!(
            verify(&changed, &cert, &anchors, now())
                .unwrap_err()
                .contains("does not match")
        );
        let mut subject = message("notification-click-v1.json");
        subject.subject = Some("added".into());
        assert!(verify(&subject, &cert, &anchors, now()).is_err());
        // The real roots do not know the test CA.
        let mozilla = super::anchors(None).unwrap();
        assert!(
            verify(
                &message("notification-click-v2.json"),
                &cert,
                &mozilla,
                now()
            )
            .unwrap_err()
            .contains("not trusted")
        );
        // Issued for us-east-1: a message claiming another region's URL is refused.
        let mut region = message("notification-click-v2.json");
        region.signing_cert_url = region.signing_cert_url.replace("us-east-1", "eu-west-1");
        assert!(
            verify(&region, &cert, &anchors, now())
                .unwrap_err()
                .contains("not issued for")
        );
        let mut version = message("notification-click-v2.json");
        version.signature_version = "3".into();
        assert!(verify(&version, &cert, &anchors, now()).is_err());
    }

    #[test]
    fn only_sns_hosts_are_certificate_or_subscription_urls() {
        assert_eq!(
            sns_region(
                "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
                true
            )
            .as_deref(),
            Some("us-east-1")
        );
        assert_eq!(
            sns_region(
                "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=x",
                false
            )
            .as_deref(),
            Some("eu-west-1")
        );
        for bad in [
            "http://sns.us-east-1.amazonaws.com/a.pem",
            "https://sns.us-east-1.amazonaws.com.evil.example/a.pem",
            "https://evil.example/sns.us-east-1.amazonaws.com/a.pem",
            "https://sns.us-east-1.amazonaws.com:8443/a.pem",
            "https://user@sns.us-east-1.amazonaws.com/a.pem",
            "https://sns..amazonaws.com/a.pem",
            "https://sns.us-east-1.amazonaws.com/a.txt",
            "https://s3.us-east-1.amazonaws.com/a.pem",
        ] {
            assert_eq!(sns_region(bad, true), None, "{bad}");
        }
    }
}
