//! Amazon SNS for SES events: the signing certificates (fetched from `SigningCertURL` only on
//! SNS's own host, cached), the signature check, and the subscription handshake (`SubscribeURL`
//! fetched only on the SNS host of the message's region — no other URL is ever fetched). The
//! fetcher is a trait, so tests run offline with their own CA.
use crate::signatures::sns::{self, SnsMessage};
use async_trait::async_trait;
use rustls_pki_types::{TrustAnchor, UnixTime};
use std::sync::Arc;
use std::time::Duration;

/// Bytes of a certificate or a confirmation answer read at most.
const MAX_FETCH_BYTES: usize = 64 * 1024;

/// GETs an `https://sns.<region>.amazonaws.com/…` URL.
#[async_trait]
pub trait SnsFetcher: Send + Sync {
    async fn get(&self, url: &str) -> Result<Vec<u8>, String>;
}

/// The real one: reqwest, 5 s, no redirects, at most 64 KiB.
pub struct HttpsFetcher {
    client: reqwest::Client,
}

impl HttpsFetcher {
    pub fn new() -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self { client }
    }
}

impl Default for HttpsFetcher {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl SnsFetcher for HttpsFetcher {
    async fn get(&self, url: &str) -> Result<Vec<u8>, String> {
        let res = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !res.status().is_success() {
            return Err(format!("{} answered {}", url, res.status()));
        }
        let body = res.bytes().await.map_err(|e| e.to_string())?;
        if body.len() > MAX_FETCH_BYTES {
            return Err(format!("{url} answered more than {MAX_FETCH_BYTES} bytes"));
        }
        Ok(body.to_vec())
    }
}

/// Why an SNS message was not let in.
#[derive(Debug, thiserror::Error)]
pub enum SnsRefusal {
    /// From a topic not in `[events.ses] topic_arns` (403).
    #[error("{0}")]
    Topic(String),
    /// Not SNS's: a signature, certificate or URL that does not hold (401).
    #[error("{0}")]
    Untrusted(String),
    /// The certificate or the confirmation could not be fetched: SNS retries (503).
    #[error("{0}")]
    Unavailable(String),
}

pub struct Sns {
    fetcher: Arc<dyn SnsFetcher>,
    anchors: Vec<TrustAnchor<'static>>,
    topics: Vec<String>,
    certificates: moka::future::Cache<String, Arc<Vec<u8>>>,
}

impl Sns {
    pub fn new(
        fetcher: Arc<dyn SnsFetcher>,
        anchors: Vec<TrustAnchor<'static>>,
        topics: Vec<String>,
    ) -> Self {
        Self {
            fetcher,
            anchors,
            topics,
            certificates: moka::future::Cache::builder()
                .max_capacity(64)
                .time_to_live(Duration::from_secs(24 * 3600))
                .build(),
        }
    }

    pub fn is_configured(&self) -> bool {
        !self.topics.is_empty()
    }

    /// Whether `message` is SNS's, from an allowed topic: the topic first (nothing is fetched
    /// for anyone else's), then the signature against the (cached) certificate.
    pub async fn verify(&self, message: &SnsMessage) -> Result<(), SnsRefusal> {
        if !self.topics.contains(&message.topic_arn) {
            return Err(SnsRefusal::Topic(format!(
                "topic {} is not one of [events.ses] topic_arns",
                message.topic_arn
            )));
        }
        message
            .certificate_region()
            .map_err(SnsRefusal::Untrusted)?;
        let url = message.signing_cert_url.clone();
        let fetcher = self.fetcher.clone();
        let pem = self
            .certificates
            .try_get_with(
                url.clone(),
                async move { fetcher.get(&url).await.map(Arc::new) },
            )
            .await
            .map_err(|e| SnsRefusal::Unavailable(format!("the signing certificate: {e}")))?;
        sns::verify(message, &pem, &self.anchors, UnixTime::now()).map_err(SnsRefusal::Untrusted)
    }

    /// Confirms a (verified) subscription by fetching its `SubscribeURL`, which must be on the
    /// SNS host of the topic's region.
    pub async fn confirm(&self, message: &SnsMessage) -> Result<(), SnsRefusal> {
        let url = message.subscribe_url.as_deref().unwrap_or_default();
        let topic_region = message.topic_arn.split(':').nth(3).unwrap_or_default();
        match sns::sns_region(url, false) {
            Some(region) if region == topic_region => {}
            _ => {
                return Err(SnsRefusal::Untrusted(format!(
                    "SubscribeURL must be on https://sns.{topic_region}.amazonaws.com/"
                )));
            }
        }
        self.fetcher
            .get(url)
            .await
            .map(|_| tracing::info!(topic = %message.topic_arn, "SNS subscription confirmed"))
            .map_err(|e| SnsRefusal::Unavailable(format!("confirming the subscription: {e}")))
    }
}
