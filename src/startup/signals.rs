//! The signals the service takes: `SIGTERM` and `SIGINT` stop it (`shutdown_signal`, for
//! `Application::run_until_stopped`); `SIGHUP`: the configuration read again — the file and the
//! environment, every `_file` secret from its file — and the inbound doors' credentials put in
//! force for every request admitted after it (the pre-send webhook's signing secrets, `[events]`
//! tokens and secrets, the providers' and Shopify's secrets, `[analysts] tokens`, `[lookup]
//! tokens`), and the keys what the alert outbox sends is signed with (`[alerts]
//! signing_secret`, `[[surveys.webhooks]]` secrets) and the Slack webhook's URL, and the survey
//! links' keys (`[surveys] link_secret`, when configured: list the old after the new so the
//! links of emails already sent still open; unset, the key kept in the database stays), without
//! dropping a connection or a request in flight (a request reads one set of keys from start to
//! end). A configuration that does not load or validate is logged, naming the key, and the keys
//! in force are kept.
//!
//! The sources are rebuilt with the new credentials (each source's token, `http-json` headers,
//! the Shopify webhook secret; everything else of `[sources]` as it was), and a question under
//! way finishes with the sources it began with. Their quotas are kept (the rebuilt sources pace
//! on from the slots taken and the pauses a 429 set); their breakers start closed — a breaker
//! opened by a refused credential gets a trial with the new one — and a Shopify source's
//! item ↔ SKU map is asked again as it is needed.
//!
//! The platforms watched are rebuilt the same way with their new API keys (by name; a platform
//! added or removed waits for a restart).
//!
//! The SMTP relay is rebuilt when `[email] smtp_url` changed (its password, or the URL whole —
//! it is one secret): a send already under way finishes on its connection, later ones open the
//! new pool's. The OpenID client secret is replaced for every code exchanged after it.
//!
//! Never reloaded: the listen address, the database, and everything that is not a credential —
//! a restart puts those in force.
use crate::config::Config;
use crate::config::{EmailConfig, PlatformConfig, SourcesConfig, Transport};
use crate::email::{Relay, SurveyLinks, build_mailer};
use crate::http::AppState;
use crate::http::inbound::Keys;
use crate::metrics::Metrics;
use crate::observations::Observer;
use crate::services::alerts::{Alerts, Signers};
use crate::services::sign_in::SignIn;
use crate::services::watch::Watch;
use crate::sources::quota::{Quotas, SharedQuota};
use actix_web::web;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use tokio_util::sync::CancellationToken;

/// What a reload puts new credentials in: the handlers' keys, the alert outbox's signing keys,
/// the sources.
#[derive(Clone)]
pub(super) struct Held {
    state: web::Data<AppState>,
    alerts: Arc<Alerts>,
    /// The survey links' keys (shared by every clone: the senders' and the survey pages').
    links: SurveyLinks,
    sources: Arc<Rekey>,
}

impl Held {
    pub(super) fn of(services: &super::Services, state: web::Data<AppState>) -> Self {
        Self {
            state,
            alerts: services.alerts.clone(),
            links: services.surveys.links.clone(),
            sources: Arc::new(Rekey {
                observer: services.observer.clone(),
                config: Mutex::new(services.config.sources.clone()),
                watch: services.watch.clone(),
                platforms: Mutex::new(services.config.platforms.clone()),
                metrics: services.metrics.clone(),
                shared: super::parts::shared_quota(&services.store),
                quotas: services.quotas.clone(),
                relay: services.relay.clone(),
                email: Mutex::new(services.config.email.clone()),
                sign_in: services.sign_in.clone(),
            }),
        }
    }
}

/// The outbound credentials: the sources and platforms rebuilt with new ones (their quotas kept,
/// their breakers and maps afresh; a question under way finishes with the sources it began with), the SMTP relay rebuilt with a new URL, the OpenID client secret replaced.
struct Rekey {
    observer: Arc<Observer>,
    /// What the sources in force were built from.
    config: Mutex<SourcesConfig>,
    watch: Arc<Watch>,
    /// What the platforms watched were built from.
    platforms: Mutex<Vec<PlatformConfig>>,
    metrics: Metrics,
    shared: Option<Arc<dyn SharedQuota>>,
    /// The sources' and platforms' quotas, which the rebuilt ones pace on from.
    quotas: Arc<Quotas>,
    relay: Arc<Relay>,
    /// What the relay in force was built from.
    email: Mutex<EmailConfig>,
    sign_in: Option<Arc<SignIn>>,
}

impl Rekey {
    /// Builds the sources, the platforms and the relay with `next`'s credentials, then puts them
    /// in force with its OpenID client secret (nothing, if any cannot be built).
    fn rekey(&self, next: &Config) -> anyhow::Result<()> {
        let mut current = self.config.lock().unwrap_or_else(|e| e.into_inner());
        let rekeyed = crate::sources::with_credentials(&current, &next.sources);
        let shared = self.shared.clone();
        let sources = crate::sources::build_keeping(&rekeyed, &self.metrics, shared, &self.quotas)?;
        let mut platforms = self.platforms.lock().unwrap_or_else(|e| e.into_inner());
        // Each platform's API key from the new configuration's entry of the same name.
        let keyed: Vec<PlatformConfig> = platforms
            .iter()
            .map(|p| {
                let mut p = p.clone();
                if let Some(n) = next.platforms.iter().find(|n| n.name == p.name) {
                    p.api_key = n.api_key.clone();
                }
                p
            })
            .collect();
        let shared = self.shared.clone();
        let built = crate::sources::platforms::build(&keyed, &self.metrics, shared, &self.quotas)?;
        let mut email = self.email.lock().unwrap_or_else(|e| e.into_inner());
        let relay = match &next.email.smtp_url {
            Some(url)
                if email.transport == Transport::Smtp && email.smtp_url.as_ref() != Some(url) =>
            {
                let rekeyed = EmailConfig {
                    smtp_url: Some(url.clone()),
                    ..email.clone()
                };
                Some((build_mailer(&rekeyed)?, rekeyed))
            }
            _ => None,
        };
        if let Some((mailer, rekeyed)) = relay {
            self.relay.replace(Arc::from(mailer));
            *email = rekeyed;
            tracing::info!(
                "SIGHUP: the SMTP relay is reached with the new URL from the next send on"
            );
        }
        if let (Some(sign_in), Some(oidc)) = (&self.sign_in, next.oidc()) {
            sign_in.replace_client_secret(oidc.client_secret.clone());
        }
        self.observer.replace_sources(sources);
        self.watch
            .replace_platforms(super::parts::watched(built, &keyed));
        *current = rekeyed;
        *platforms = keyed;
        Ok(())
    }
}

pub(super) struct Reload {
    /// `--config FILE`, if one was given.
    pub(super) file: Option<PathBuf>,
}

impl Reload {
    /// Listens for `SIGHUP` until `stop`, reloading on each.
    pub(super) fn on_sighup(self, held: Held, stop: CancellationToken) {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let mut hangups = match signal(SignalKind::hangup()) {
                Ok(hangups) => hangups,
                Err(e) => {
                    tracing::error!(error = %e, "cannot listen for SIGHUP: credentials are not reloaded");
                    return;
                }
            };
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        got = hangups.recv() => if got.is_none() { return },
                    }
                    self.reload(&held);
                }
            });
        }
        #[cfg(not(unix))]
        {
            let _ = (held, stop);
            tracing::info!("no SIGHUP here: credentials are read at start only");
        }
    }

    /// One reload: the new credentials in force, or the old kept and why logged.
    fn reload(&self, held: &Held) {
        match Config::from_env(self.file.as_deref()) {
            Ok(config) => {
                if let Err(e) = held.sources.rekey(&config) {
                    tracing::error!(error = %e, "SIGHUP: the new credentials cannot be put in force; nothing is changed");
                    return;
                }
                held.state.credentials.replace(Keys::new(&config));
                held.state.lookup_door.replace(&config);
                held.alerts.replace_signers(Signers::of(&config));
                if let Some(keys) = config.surveys.link_keys() {
                    held.links.replace_keys(keys);
                }
                tracing::info!(
                    "SIGHUP: configuration read again; the new credentials are in force (inbound, sources, platforms, alerts' signing keys, SMTP, OpenID)"
                );
            }
            Err(e) => tracing::error!(
                key = %e.key,
                error = %e,
                "SIGHUP: the configuration does not load; the credentials in force are kept"
            ),
        }
    }
}

/// Resolves on SIGTERM (what Kubernetes and Docker send) or SIGINT (Ctrl-C), naming it.
pub(super) async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = tokio::signal::ctrl_c() => "SIGINT",
            },
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM; only SIGINT stops the service gracefully");
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "SIGINT"
    }
}
