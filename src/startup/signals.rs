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
//! Not reloaded yet: the listen address and the database (never), and the keys we call out
//! with (sources, platforms, the OpenID client secret, the SMTP password) — a restart puts those
//! in force.
use crate::config::Config;
use crate::http::AppState;
use crate::http::inbound::Keys;
use crate::services::alerts::{Alerts, Signers};
use actix_web::web;
use std::path::PathBuf;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

pub(super) struct Reload {
    /// `--config FILE`, if one was given.
    pub(super) file: Option<PathBuf>,
}

impl Reload {
    /// Listens for `SIGHUP` until `stop`, reloading on each.
    pub(super) fn on_sighup(
        self,
        state: web::Data<AppState>,
        alerts: Arc<Alerts>,
        stop: CancellationToken,
    ) {
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
                    self.reload(&state, &alerts);
                }
            });
        }
        #[cfg(not(unix))]
        {
            let _ = (state, alerts, stop);
            tracing::info!("no SIGHUP here: credentials are read at start only");
        }
    }

    /// One reload: the new credentials in force, or the old kept and why logged.
    fn reload(&self, state: &AppState, alerts: &Alerts) {
        match Config::from_env(self.file.as_deref()) {
            Ok(config) => {
                state.credentials.replace(Keys::new(&config));
                state.lookup_door.replace(&config);
                alerts.replace_signers(Signers::of(&config));
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
