//! What the services are built from, each read from the configuration: the checker's limits,
//! the layer of observations (and the links it fetches), the shared quota, the SNS intake, and
//! the keys kept in the database, the platforms the watch reads.
use crate::check::CheckLimits;
use crate::config::Config;
use crate::domain::pushed::Topic;
use crate::domain::spacing::Spacing;
use crate::email::pace::{PacedMailer, SharedPace, shared_interval};
use crate::email::{Mailer, Relay, build_mailer};
use crate::metrics::{Known, Metrics};
use crate::observations::Observer;
use crate::observations::links::Links;
use crate::services::alerts::{AlertStores, Alerts, Signers};
use crate::services::checks::Checks;
use crate::services::quota::QuotaInDatabase;
use crate::services::sign_in::SignIn;
use crate::services::sns::{Sns, SnsFetcher};
use crate::services::surveys::{SurveyStores, Surveys};
use crate::services::watch::{Watch, WatchStores, Watched};
use crate::sources::Sources;
use crate::sources::links::{LinkFetcher, NameResolver};
use crate::sources::quota::{Pace, Quotas, SharedQuota};
use crate::store::{AlertAbout, Backend, SecretStore, SqlStore, Store};
use anyhow::Context;
use std::sync::Arc;
use std::time::Duration;

/// A pre-send check's limits (`[check]`, and each source's `max_age_s`).
pub fn check_limits(config: &Config) -> CheckLimits {
    CheckLimits {
        deadline: Duration::from_millis(config.check.deadline_ms),
        concurrency: config.check.concurrency,
        location_max_age: Duration::from_secs(config.sources.locations.max_age_s),
        inventory_max_age: Duration::from_secs(config.sources.inventory.max_age_s),
    }
}

/// The oldest answer any consumer accepts: the lookup's TTL and stale window, or a source's
/// `max_age_s` for pre-send checks.
pub fn keep_answers_for(config: &Config) -> Duration {
    let lookup = config.lookup.ttl_s + config.lookup.stale_s;
    let checks = config
        .sources
        .locations
        .max_age_s
        .max(config.sources.inventory.max_age_s);
    Duration::from_secs(lookup.max(checks).max(1))
}

/// The layer of observations over `sources`; with hosts in `[promises] check_links_hosts`, it
/// fetches the emails' links too (names resolved by `resolver`).
pub fn observer(
    config: &Config,
    sources: Sources,
    metrics: &Metrics,
    resolver: Arc<dyn NameResolver>,
) -> anyhow::Result<Observer> {
    let observer = Observer::new(sources, keep_answers_for(config));
    let promises = &config.promises;
    if promises.link_hosts().is_empty() {
        return Ok(observer);
    }
    let pace = promises.link_requests_per_minute.map(|rpm| Pace {
        requests_per_minute: rpm,
        burst: (rpm / 60).max(1),
    });
    let fetcher = LinkFetcher::new(
        promises.link_hosts().clone(),
        pace,
        Duration::from_millis(config.sources.locations.timeout_ms),
        resolver,
        metrics.clone(),
    )
    .context("cannot build the HTTP client for link checks")?;
    let max_age = Duration::from_secs(promises.link_max_age_s);
    Ok(observer.with_links(Links::new(fetcher, max_age)))
}

/// On PostgreSQL, every source's quota is one bucket in the database, shared by every instance.
pub(super) fn shared_quota(store: &SqlStore) -> Option<Arc<dyn SharedQuota>> {
    match store.db().backend() {
        Backend::Postgres => Some(Arc::new(QuotaInDatabase::new(Arc::new(store.clone())))),
        Backend::Sqlite => None,
    }
}

/// `[events.ses]` read into the SNS intake: its topics and the roots certificates must chain to.
pub(super) fn sns_intake(config: &Config, fetcher: Arc<dyn SnsFetcher>) -> anyhow::Result<Sns> {
    let ses = &config.events.ses;
    let pem = match &ses.trust_anchors_pem {
        Some(path) => Some(std::fs::read(path).with_context(|| {
            format!(
                "events.ses.trust_anchors_pem: cannot read {}",
                path.display()
            )
        })?),
        None => None,
    };
    let anchors = crate::signatures::sns::anchors(pem.as_deref())
        .map_err(|e| anyhow::anyhow!("events.ses.trust_anchors_pem: {e}"))?;
    Ok(Sns::new(fetcher, anchors, ses.topic_arns.clone()))
}

/// A random 32-byte key generated on first start and kept in the database, so every instance
/// (and every restart) uses the same one.
pub(super) async fn stored_key(store: &dyn SecretStore, name: &str) -> anyhow::Result<Vec<u8>> {
    use base64::Engine;
    let fresh = base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>());
    let stored = store.secret(name, &fresh).await?;
    base64::engine::general_purpose::STANDARD
        .decode(stored)
        .with_context(|| format!("app_secrets.{name} is not base64"))
}

/// The keys of survey and unsubscribe links: `surveys.link_secret` (the first signs), or one
/// generated on first start and kept in the database so every instance (and every restart)
/// signs alike.
pub(super) async fn link_keys(
    config: &Config,
    store: &dyn SecretStore,
) -> anyhow::Result<Vec<Vec<u8>>> {
    match config.surveys.link_keys() {
        Some(keys) => Ok(keys),
        None => Ok(vec![stored_key(store, "survey_link_key").await?]),
    }
}

/// The watch over `[[platforms]]` (none configured: a watch with nothing to read).
pub(super) fn watch(
    config: &Config,
    checks: &Arc<Checks>,
    store: &Arc<dyn Store>,
    metrics: &Metrics,
    (sql, quotas): (&SqlStore, &Quotas),
) -> anyhow::Result<Watch> {
    let shared = shared_quota(sql);
    let platforms = crate::sources::platforms::build(&config.platforms, metrics, shared, quotas)
        .context("cannot build the HTTP client for the platforms")?;
    for (platform, c) in platforms.iter().zip(&config.platforms) {
        tracing::info!(platform = platform.name(), kind = platform.kind().as_str(), base_url = %c.base_url(), on_block = ?c.on_block, "watching a platform");
    }
    Ok(Watch {
        platforms: std::sync::RwLock::new(Arc::new(watched(platforms, &config.platforms))),
        checks: checks.clone(),
        store: WatchStores::of(store),
        timing: config.watch.timing(),
        alert_to: config.alerts.targets(),
        metrics: metrics.clone(),
    })
}

/// Each platform with what it does about a campaign that would break a promise.
pub(super) fn watched(
    platforms: Vec<Arc<dyn crate::sources::platforms::Platform>>,
    configs: &[crate::config::PlatformConfig],
) -> Vec<Watched> {
    platforms
        .into_iter()
        .zip(configs)
        .map(|(platform, c)| Watched {
            platform,
            on_block: c.on_block,
        })
        .collect()
}

/// The OpenID sign-in: its provider read once now, so a provider that cannot serve it as
/// configured (no PKCE with S256, no client authentication we speak) stops the start with the
/// reason; one that does not answer yet is warned about and read again at the first sign-in.
pub(super) async fn sign_in(
    oidc: Option<&crate::config::OidcConfig>,
) -> anyhow::Result<Option<Arc<SignIn>>> {
    use crate::sources::oidc::ProviderError;
    let Some(oidc) = oidc else { return Ok(None) };
    let sign_in = SignIn::new(oidc.clone())?;
    match sign_in.check_provider().await {
        Ok(()) => {
            tracing::info!(issuer = %oidc.issuer, "analysts sign in through the identity provider")
        }
        Err(ProviderError::Unavailable(why)) => tracing::warn!(
            issuer = %oidc.issuer,
            error = %why,
            "the identity provider does not answer yet; sign-in will read it again"
        ),
        Err(e) => anyhow::bail!("analysts.oidc.issuer: {e}"),
    }
    Ok(Some(Arc::new(sign_in)))
}

/// The relay every email goes to, through its pace (`[email] max_per_second`, one bucket for
/// every instance when the quota machinery is shared — PostgreSQL —, the relay's
/// 421/451 pauses); and the relay under the pace, which a reload rebuilds. Says at start when
/// the survey window runs on UTC for want of a default zone.
pub(super) fn mailer(
    config: &Config,
    shared: Option<Arc<dyn SharedQuota>>,
) -> anyhow::Result<(Arc<dyn Mailer>, Arc<Relay>)> {
    if config.surveys.send_window != crate::domain::send_window::SendWindow::Always
        && config.surveys.default_timezone.is_none()
    {
        tracing::warn!(
            "surveys.default_timezone is not set: a recipient whose zone no campaign branch says gets surveys.send_window by UTC's clock"
        );
    }
    let relay = Arc::new(Relay::new(Arc::from(build_mailer(&config.email)?)));
    let mut paced = PacedMailer::new(relay.clone(), config.email.max_per_second);
    if let (Some(quota), Some(per_second)) = (shared, config.email.max_per_second) {
        paced = paced.shared(Arc::new(RelayBucket {
            quota,
            spacing: Spacing {
                interval_ms: shared_interval(per_second).as_micros().div_ceil(1000) as i64,
                tolerance_ms: 0,
            },
        }));
    }
    Ok((Arc::new(paced), relay))
}

/// The send-time lookup over `observer`, as `[lookup]` and `[check] deadline_ms` say.
pub(super) fn lookup(
    config: &Config,
    observer: &Arc<Observer>,
    metrics: &Metrics,
) -> crate::lookup::Lookup {
    crate::lookup::Lookup::new(
        observer.clone(),
        Duration::from_secs(config.lookup.ttl_s),
        Duration::from_secs(config.lookup.stale_s),
        Duration::from_millis(config.lookup.deadline_ms),
        Duration::from_millis(config.check.deadline_ms),
        metrics.clone(),
    )
}

/// The surveys: invitations, their emails through `mailer`, reminders, answers.
pub(super) fn surveys(
    config: &Config,
    store: &Arc<dyn Store>,
    mailer: Arc<dyn Mailer>,
    links: crate::email::SurveyLinks,
    metrics: &Metrics,
) -> Surveys {
    Surveys {
        store: SurveyStores::of(store),
        mailer,
        links,
        from: config.email.from.clone(),
        surveys: config.surveys.clone(),
        email: config.email.clone(),
        alert_to: config.alerts.targets(),
        metrics: metrics.clone(),
    }
}

/// The bucket of the shared quotas that paces the relay for every instance.
const RELAY_BUCKET: &str = "relay:email";

/// `[email] max_per_second` as one bucket in the database (PostgreSQL), which every
/// instance's sends take their slots from: evenly spaced, no burst.
struct RelayBucket {
    quota: Arc<dyn SharedQuota>,
    spacing: Spacing,
}

#[async_trait::async_trait]
impl SharedPace for RelayBucket {
    async fn take(&self) -> Result<Option<Duration>, String> {
        let now_ms = chrono::Utc::now().timestamp_millis();
        self.quota.take(RELAY_BUCKET, now_ms, self.spacing).await
    }

    async fn pause(&self, pause: Duration) -> Result<(), String> {
        let until_ms = chrono::Utc::now().timestamp_millis() + pause.as_millis() as i64;
        self.quota.pause(RELAY_BUCKET, until_ms).await
    }
}

/// The alert outbox: every `[alerts]` destination, and the `[[surveys.webhooks]]` ones.
pub(super) fn alerts(
    config: &Config,
    store: &Arc<dyn Store>,
    mailer: Arc<dyn Mailer>,
    metrics: &Metrics,
) -> anyhow::Result<Alerts> {
    Ok(Alerts {
        store: AlertStores::of(store),
        mailer,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .context("cannot build the HTTP client for alerts")?,
        from: config.email.from.clone(),
        signers: std::sync::RwLock::new(Arc::new(Signers::of(config))),
        retry: config.alerts.retry_schedule(),
        public_base_url: config.public_base_url(),
        complaint_window_days: config.surveys.complaint_window_days,
        metrics: metrics.clone(),
    })
}

/// Every label value known at start, for the metrics' series exported at zero.
pub(super) fn known(config: &Config, watch: &Watch, jobs: Vec<(String, f64)>) -> Known {
    Known {
        jobs,
        routes: crate::http::route_patterns()
            .into_iter()
            .map(|(method, path)| (method, path.to_owned()))
            .collect(),
        doors: crate::http::inbound::DOORS
            .iter()
            .map(|d| d.path().to_owned())
            .collect(),
        platforms: watch
            .platforms()
            .iter()
            .map(|w| w.platform.name().to_owned())
            .collect(),
        alert_kinds: AlertAbout::KINDS.map(str::to_owned).to_vec(),
        push_topics: Topic::ALL.map(|t| t.as_str().to_owned()).to_vec(),
        check_deadline: config.check.deadline_ms as f64 / 1000.0,
    }
}
