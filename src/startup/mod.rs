//! Builds the application from its configuration — wiring only: every value it needs was
//! parsed when the configuration was read. `Application::build` binds the listener first, so
//! tests bind port 0 and ask `port()` — no sleeping, no port races.
use crate::check::Checker;
use crate::config::{Config, redact_url};
use crate::email::SurveyLinks;
use crate::http::{self, AppState};
use crate::jobs::Scheduler;
use crate::metrics::Metrics;
use crate::services::alerts::Alerts;
use crate::services::analyst::Analysts;
use crate::services::changes::Changes;
use crate::services::checks::Checks;
use crate::services::compliance::Compliance;
use crate::services::engagement::Engagement;
use crate::services::health::Health;
use crate::services::retention::Retention;
use crate::services::sign_in::SignIn;
use crate::services::sns::{HttpsFetcher, SnsFetcher};
use crate::services::surveys::Surveys;
use crate::services::watch::Watch;
use crate::sources::links::{NameResolver, SystemResolver};
use crate::store::{self, SqlStore, Store};
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

mod parts;
mod schedule;
mod signals;

use signals::{Reload, shutdown_signal};

use parts::{
    alerts, known, link_keys, lookup, mailer, shared_quota, sign_in, sns_intake, stored_key,
    surveys, watch,
};
pub use parts::{check_limits, keep_answers_for, observer};

pub struct Application {
    port: u16,
    server: Server,
    store: SqlStore,
    changes: Arc<Changes>,
    /// What a `SIGHUP` puts new credentials in.
    held: signals::Held,
    /// Where the configuration is read again on `SIGHUP` (`None`: not reloaded).
    reload: Option<Reload>,
    scheduler: Scheduler,
    health: Arc<Health>,
    /// `shutdown_grace_s`: how long requests are still served after SIGTERM.
    grace: Duration,
}

/// How long the server drains the requests in flight once the grace is over.
const DRAIN: Duration = Duration::from_secs(2);
/// What jobs get, after the grace and the drain, to return before they are dropped.
const JOBS_LAST_WAIT: Duration = Duration::from_secs(2);

/// The services of one instance, built from configuration (shared by `serve`, the CLI and
/// tests).
pub struct Services {
    pub config: Arc<Config>,
    pub store: SqlStore,
    pub metrics: Metrics,
    pub checks: Arc<Checks>,
    pub analysts: Arc<Analysts>,
    pub surveys: Arc<Surveys>,
    pub alerts: Arc<Alerts>,
    pub engagement: Arc<Engagement>,
    pub retention: Arc<Retention>,
    pub compliance: Arc<Compliance>,
    pub lookup: Arc<crate::lookup::Lookup>,
    /// Changes sources push in, and the re-checks they call for.
    pub changes: Arc<Changes>,
    /// `[limits]`: the rate limits per client address.
    pub limits: Arc<crate::http::limits::Limits>,
    /// What the sources answered, and the sources (rebuilt with new credentials on `SIGHUP`).
    pub observer: Arc<crate::observations::Observer>,
    /// The campaigns scheduled on `[[platforms]]`.
    pub watch: Arc<Watch>,
    pub health: Arc<Health>,
    /// SES events through SNS: certificates, signatures, the subscription handshake.
    pub sns: Arc<crate::services::sns::Sns>,
    /// Signs the analyst pages' session cookies.
    pub session_key: Vec<u8>,
    /// Analysts signing in through `[analysts.oidc]`.
    pub sign_in: Option<Arc<SignIn>>,
    /// The relay under the pace (rebuilt with a new SMTP URL on `SIGHUP`).
    pub relay: Arc<crate::email::Relay>,
    /// The sources' and platforms' quotas, kept across their rebuilds.
    pub quotas: Arc<crate::sources::quota::Quotas>,
}

/// What tests put in place of the outside world (`Default`: the real one).
#[derive(Default)]
pub struct Seams {
    /// Fetches SNS's certificates and subscription confirmations.
    pub sns_fetcher: Option<Arc<dyn SnsFetcher>>,
    /// Resolves the host names of the emails' links.
    pub resolver: Option<Arc<dyn NameResolver>>,
}

impl Services {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with(config, Seams::default()).await
    }

    /// As `build`, with the outside world's doors of `seams` (tests: offline, with their own
    /// CA, their own names).
    pub async fn build_with(config: Config, seams: Seams) -> anyhow::Result<Self> {
        let db_url = config.database_url.expose().to_owned();
        let store = store::connect(&db_url, true).await.with_context(|| {
            format!(
                "database_url {}: cannot open or migrate",
                redact_url(&db_url)
            )
        })?;
        tracing::info!(database = %redact_url(&db_url), "database ready");
        let shared: Arc<dyn Store> = Arc::new(store.clone());
        let metrics = Metrics::new();
        let quotas = Arc::new(crate::sources::quota::Quotas::default());
        let sources = crate::sources::build_keeping(
            &config.sources,
            &metrics,
            shared_quota(&store),
            &quotas,
        )?;
        let resolver = seams.resolver.unwrap_or_else(|| Arc::new(SystemResolver));
        let observer = Arc::new(observer(&config, sources, &metrics, resolver)?);
        let lookup = Arc::new(lookup(&config, &observer, &metrics));
        let checker = Checker::new(observer.clone(), check_limits(&config));
        let checks = Arc::new(Checks::new(
            shared.clone(),
            checker,
            config.policy().clone(),
            config.alerts.targets(),
            metrics.clone(),
            config.promises.templates().clone(),
        ));
        let changes = Arc::new(Changes::new(
            shared.clone(),
            checks.clone(),
            lookup.clone(),
            config.sources.inventory.clone(),
            config.recheck.on_change_delay_s,
            metrics.clone(),
        ));
        let limits = Arc::new(crate::http::limits::Limits::new(&config.limits, &metrics));
        let links = SurveyLinks::rotating(
            link_keys(&config, shared.as_ref()).await?,
            &config.public_base_url(),
        );
        let (mailer, relay) = mailer(&config, shared_quota(&store))?;
        let surveys = Arc::new(surveys(&config, &shared, mailer.clone(), links, &metrics));
        let alerts = Arc::new(alerts(&config, &shared, mailer, &metrics)?);
        let sns_fetcher = seams
            .sns_fetcher
            .unwrap_or_else(|| Arc::new(HttpsFetcher::new()));
        let sns = Arc::new(sns_intake(&config, sns_fetcher)?);
        let watch = Arc::new(watch(
            &config,
            &checks,
            &shared,
            &metrics,
            (&store, &quotas),
        )?);
        let sign_in = sign_in(config.oidc()).await?;
        Ok(Self {
            sign_in,
            relay,
            quotas,
            watch,
            sns,
            session_key: stored_key(shared.as_ref(), "ui_session_key").await?,
            analysts: Arc::new(Analysts::new(
                shared.clone(),
                checks.clone(),
                config.max_exemption_days(),
            )),
            engagement: Arc::new(Engagement::new(
                shared.clone(),
                metrics.clone(),
                config.promises.templates().clone(),
                chrono::Duration::days(i64::from(config.surveys.complaint_window_days)),
            )),
            retention: Arc::new(Retention::new(
                shared.clone(),
                config.retention.clone(),
                config.events.quarantine_days,
            )),
            compliance: Arc::new(Compliance::new(shared.clone())),
            health: Arc::new(Health::new(shared)),
            config: Arc::new(config),
            store,
            metrics,
            checks,
            surveys,
            alerts,
            lookup,
            changes,
            limits,
            observer,
        })
    }

    /// What the HTTP handlers see.
    fn state(&self) -> AppState {
        AppState {
            sns: self.sns.clone(),
            credentials: crate::http::inbound::Credentials::new(&self.config),
            lookup_door: crate::http::lookup::LookupDoor::new(&self.config),
            config: self.config.clone(),
            metrics: self.metrics.clone(),
            checks: self.checks.clone(),
            analysts: self.analysts.clone(),
            surveys: self.surveys.clone(),
            engagement: self.engagement.clone(),
            compliance: self.compliance.clone(),
            changes: self.changes.clone(),
            limits: self.limits.clone(),
            lookup: self.lookup.clone(),
            health: self.health.clone(),
            session_key: self.session_key.clone(),
            sign_in: self.sign_in.clone(),
        }
    }
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with(config, Seams::default()).await
    }

    /// As `build`, with the outside world's doors of `seams`.
    pub async fn build_with(config: Config, seams: Seams) -> anyhow::Result<Self> {
        let listen = config.listen;
        let workers = config.workers;
        let grace = Duration::from_secs(config.shutdown_grace_s);
        crate::http::inbound::log_at_start(&config);
        let services = Services::build_with(config, seams).await?;
        let scheduler = services.scheduler();
        services.limits.sweep_every_minute();
        services
            .metrics
            .preset(&known(&services.config, &services.watch, scheduler.jobs()));
        let listener =
            TcpListener::bind(listen).with_context(|| format!("cannot listen on {listen}"))?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(services.state());
        let reloadable = state.clone();
        // The OpenID callback's path comes from the configuration; a route's path lives as long
        // as the server.
        let callback: Option<&'static str> = services
            .config
            .oidc()
            .map(|o| &*Box::leak(o.callback_path().into_boxed_str()));
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(from_fn(http::observe))
                .configure(http::routes)
                .configure(|cfg| http::ui::oidc_callback(cfg, callback))
                .default_service(web::to(http::not_found))
        })
        .listen(listener)?
        // SIGTERM and SIGINT are handled in `run_until_stopped`, which keeps serving for the
        // grace before the server drains.
        .disable_signals()
        .shutdown_timeout(DRAIN.as_secs());
        if workers > 0 {
            server = server.workers(workers);
        }
        tracing::info!(%listen, port, "promiseguard listening");
        let held = signals::Held::of(&services, reloadable);
        Ok(Self {
            port,
            server: server.run(),
            store: services.store,
            changes: services.changes,
            held,
            reload: None,
            scheduler,
            health: services.health,
            grace,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn store(&self) -> &SqlStore {
        &self.store
    }

    /// Reads the configuration again (`file`, and the environment) on every `SIGHUP` and puts
    /// its credentials in force (`reload.rs`).
    pub fn reloading_from(mut self, file: Option<std::path::PathBuf>) -> Self {
        self.reload = Some(Reload { file });
        self
    }

    /// The pushed changes and their re-checks (tests run them at a time of their choosing).
    pub fn changes(&self) -> Arc<Changes> {
        self.changes.clone()
    }

    /// Serves and runs the scheduled jobs until SIGTERM or SIGINT, or until the handle stops
    /// the server. On a signal: `/readyz` answers 503 at once, no scheduled tick starts, and a
    /// running job is told to stop; requests are still served for `shutdown_grace_s` (a second
    /// signal cuts it short), then the server drains for up to 2 s. Jobs still running 2 s
    /// after that are dropped — a re-check is redone at the next tick, and a send cut off
    /// mid-way is `unknown` to the next run, never sent twice. The process is gone within
    /// the grace and ~4 s.
    pub async fn run_until_stopped(mut self) -> std::io::Result<()> {
        let stop = CancellationToken::new();
        if let Some(reload) = self.reload.take() {
            reload.on_sighup(self.held.clone(), stop.clone());
        }
        let mut jobs = tokio::spawn(self.scheduler.run(stop.clone()));
        let handle = self.server.handle();
        let mut server = tokio::spawn(self.server);
        let served = tokio::select! {
            served = &mut server => served,
            signal = shutdown_signal() => {
                tracing::info!(signal, grace_s = self.grace.as_secs(), "stopping: /readyz answers 503; requests are served for the grace, then drained");
                self.health.stop();
                stop.cancel();
                tokio::select! {
                    _ = tokio::time::sleep(self.grace) => {}
                    signal = shutdown_signal() => tracing::info!(signal, "second signal: the grace is cut short"),
                }
                tracing::info!("draining the requests in flight");
                handle.stop(true).await;
                server.await
            }
        };
        stop.cancel();
        if tokio::time::timeout(JOBS_LAST_WAIT, &mut jobs)
            .await
            .is_err()
        {
            tracing::warn!(
                "a scheduled job was still running at shutdown and is dropped; its work is redone (or settled) by the next run"
            );
            jobs.abort();
            let _ = jobs.await;
        }
        self.store.close().await;
        tracing::info!("stopped");
        served.unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }

    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }
}
