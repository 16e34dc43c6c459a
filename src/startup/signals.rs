//! The signals the service takes: `SIGTERM` and `SIGINT` stop it (`shutdown_signal`, for
//! `Application::run_until_stopped`); `SIGHUP`: the configuration read again — the file and the environment, every `_file` secret
//! from its file — and the inbound doors' credentials put in force for every request admitted
//! after it (the pre-send webhook's signing secrets, `[events]` tokens and secrets, the
//! providers' and Shopify's secrets, `[analysts] tokens`, `[lookup] tokens`), and the keys what
//! the alert outbox sends is signed with (`[alerts] signing_secret`, `[[surveys.webhooks]]`
//! secrets), without dropping a connection or a request in flight (a request reads one set of
//! keys from start to end). A configuration that does not load or validate is logged, naming the
//! key, and the keys in force are kept.
//!
//! The sources are rebuilt with the new credentials (each source's token, `http-json` headers,
//! the Shopify webhook secret; everything else of `[sources]` as it was): their breakers,
//! in-process quotas and maps start afresh, and a question under way finishes with the sources
//! it began with.
//!
//! The platforms watched are rebuilt the same way with their new API keys (by name; a platform
//! added or removed waits for a restart).
//!
//! Not reloaded yet: the listen address and the database (never), the OpenID client secret and
//! the SMTP password — a restart puts those in force.
use crate::config::Config;
use crate::config::{PlatformConfig, SourcesConfig};
use crate::http::AppState;
use crate::http::inbound::Keys;
use crate::metrics::Metrics;
use crate::observations::Observer;
use crate::services::alerts::{Alerts, Signers};
use crate::services::watch::Watch;
use crate::sources::quota::SharedQuota;
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
    sources: Arc<Rekey>,
}

impl Held {
    pub(super) fn of(services: &super::Services, state: web::Data<AppState>) -> Self {
        Self {
            state,
            alerts: services.alerts.clone(),
            sources: Arc::new(Rekey {
                observer: services.observer.clone(),
                config: Mutex::new(services.config.sources.clone()),
                watch: services.watch.clone(),
                platforms: Mutex::new(services.config.platforms.clone()),
                metrics: services.metrics.clone(),
                shared: super::parts::shared_quota(&services.store),
            }),
        }
    }
}

/// The sources, rebuilt with new credentials (their breakers, quotas in this process and maps
/// start afresh; a question under way finishes with the sources it began with).
struct Rekey {
    observer: Arc<Observer>,
    /// What the sources in force were built from.
    config: Mutex<SourcesConfig>,
    watch: Arc<Watch>,
    /// What the platforms watched were built from.
    platforms: Mutex<Vec<PlatformConfig>>,
    metrics: Metrics,
    shared: Option<Arc<dyn SharedQuota>>,
}

impl Rekey {
    /// Builds the sources and the platforms with `next`'s credentials, then puts both in force
    /// (nothing, if either cannot be built).
    fn rekey(&self, next: &Config) -> anyhow::Result<()> {
        let mut current = self.config.lock().unwrap_or_else(|e| e.into_inner());
        let rekeyed = crate::sources::with_credentials(&current, &next.sources);
        let sources = crate::sources::build(&rekeyed, &self.metrics, self.shared.clone())?;
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
        let built = crate::sources::platforms::build(&keyed, &self.metrics, self.shared.clone())?;
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
                    tracing::error!(error = %e, "SIGHUP: the sources cannot be built with the new credentials; nothing is changed");
                    return;
                }
                held.state.credentials.replace(Keys::new(&config));
                held.state.lookup_door.replace(&config);
                held.alerts.replace_signers(Signers::of(&config));
                tracing::info!(
                    "SIGHUP: configuration read again; the inbound doors' credentials and the alerts' signing keys are in force"
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
