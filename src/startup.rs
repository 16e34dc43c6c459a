//! Builds the application from its configuration. `Application::build` binds the listener
//! first, so tests bind port 0 and ask `port()` — no sleeping, no port races.
use crate::check::{CheckLimits, Checker};
use crate::config::{Config, redact_url};
use crate::email::{Mailer, SurveyLinks, build_mailer};
use crate::http::{self, AppState};
use crate::jobs::Scheduler;
use crate::jobs::alerts::Alerts;
use crate::jobs::recheck::Recheck;
use crate::jobs::scheduler::{instance_name, parse_schedule};
use crate::jobs::surveys::Surveys;
use crate::metrics::Metrics;
use crate::store::{self, AlertChannel, AlertTarget, SqlStore, Store};
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub struct Application {
    port: u16,
    server: Server,
    store: SqlStore,
    scheduler: Scheduler,
}

/// Everything a request handler needs, built from configuration (shared by `serve` and tests).
pub async fn build_state(config: Config) -> anyhow::Result<(AppState, SqlStore)> {
    let db_url = config.database_url.expose().to_owned();
    let store = store::connect(&db_url, true).await.with_context(|| {
        format!(
            "database_url {}: cannot open or migrate",
            redact_url(&db_url)
        )
    })?;
    tracing::info!(database = %redact_url(&db_url), "database ready");
    let metrics = Metrics::new();
    let sources = crate::sources::build(&config.sources, &metrics)?;
    let lookup = Arc::new(crate::lookup::Lookup::new(
        sources.clone(),
        Duration::from_secs(config.lookup.ttl_s),
        Duration::from_secs(config.lookup.stale_s),
        Duration::from_millis(config.lookup.deadline_ms),
        Duration::from_millis(config.check.deadline_ms),
        metrics.clone(),
    ));
    let checker = Checker::new(
        sources,
        CheckLimits {
            deadline: Duration::from_millis(config.check.deadline_ms),
            concurrency: config.check.concurrency,
        },
    );
    let signing_key = match &config.webhooks.signing_secret {
        Some(secret) => Some(
            http::signature::decode_secret(secret.expose())
                .map_err(|e| anyhow::anyhow!("config key `webhooks.signing_secret`: {e}"))?,
        ),
        None => {
            tracing::warn!(
                "webhooks.signing_secret is not set: pre-send webhooks are not authenticated"
            );
            None
        }
    };
    let shared_store: Arc<dyn Store> = Arc::new(store.clone());
    let links = SurveyLinks::new(
        link_key(&config, shared_store.as_ref()).await?,
        &config.public_base_url(),
    );
    let mailer: Arc<dyn Mailer> = Arc::from(build_mailer(&config.email)?);
    let surveys = Arc::new(Surveys {
        store: shared_store.clone(),
        mailer,
        links: links.clone(),
        from: config
            .email
            .from
            .parse()
            .map_err(|e| anyhow::anyhow!("config key `email.from`: {e}"))?,
        surveys: config.surveys.clone(),
        email: config.email.clone(),
    });
    let mut alert_to: Vec<AlertTarget> = config
        .alerts
        .emails
        .iter()
        .map(|address| AlertTarget {
            channel: AlertChannel::Email,
            target: address.clone(),
        })
        .collect();
    alert_to.extend(config.alerts.webhook_url.iter().map(|url| AlertTarget {
        channel: AlertChannel::Webhook,
        target: url.clone(),
    }));
    let recheck = Arc::new(Recheck {
        store: shared_store.clone(),
        checker: checker.clone(),
        policy: config.policy().clone(),
        metrics: metrics.clone(),
        alert_to,
    });
    let alerts = Arc::new(Alerts {
        store: shared_store.clone(),
        mailer: surveys.mailer.clone(),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .context("cannot build the HTTP client for alerts")?,
        from: surveys.from.clone(),
        signing_key: match &config.alerts.signing_secret {
            Some(secret) => Some(
                http::signature::decode_secret(secret.expose())
                    .map_err(|e| anyhow::anyhow!("config key `alerts.signing_secret`: {e}"))?,
            ),
            None => None,
        },
        retry_schedule_s: config.alerts.retry_schedule_s.clone(),
        public_base_url: config.public_base_url(),
    });
    let session_key = stored_key(shared_store.as_ref(), "ui_session_key").await?;
    let state = AppState {
        session_key,
        config: Arc::new(config),
        store: shared_store,
        checker,
        metrics,
        signing_key,
        links,
        surveys,
        lookup,
        recheck,
        alerts,
    };
    Ok((state, store))
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let listen = config.listen_addr()?;
        let workers = config.workers;
        let (state, store) = build_state(config).await?;
        let scheduler = build_scheduler(&state)?;
        let listener =
            TcpListener::bind(listen).with_context(|| format!("cannot listen on {listen}"))?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(state);
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(from_fn(http::observe))
                .configure(http::routes)
                .default_service(web::to(http::not_found))
        })
        .listen(listener)?
        .shutdown_timeout(10);
        if workers > 0 {
            server = server.workers(workers);
        }
        tracing::info!(%listen, port, "promiseguard listening");
        Ok(Self {
            port,
            server: server.run(),
            store,
            scheduler,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn store(&self) -> &SqlStore {
        &self.store
    }

    /// Serves and runs the scheduled jobs until SIGINT/SIGTERM (actix handles both) or the
    /// handle stops the server; then lets a job run in progress finish before closing the pool.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let cancel = CancellationToken::new();
        let jobs = tokio::spawn(self.scheduler.run(cancel.clone()));
        let result = self.server.await;
        cancel.cancel();
        if tokio::time::timeout(Duration::from_secs(30), jobs)
            .await
            .is_err()
        {
            tracing::warn!("a scheduled job did not finish within 30 s of shutdown");
        }
        self.store.close().await;
        result
    }

    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// The store as the `Store` interface.
    pub fn store_dyn(&self) -> Arc<dyn Store> {
        Arc::new(self.store.clone())
    }
}

/// The scheduled jobs this instance runs (`[schedule]`; `"off"` leaves a job out).
fn build_scheduler(state: &AppState) -> anyhow::Result<Scheduler> {
    let mut scheduler = Scheduler::new(state.store.clone(), instance_name())
        .with_lease_ttl(Duration::from_secs(state.config.schedule.lease_ttl_s));
    let expr = state.config.schedule.recheck.trim();
    if expr != "off" {
        let schedule = parse_schedule(expr)
            .map_err(|e| anyhow::anyhow!("config key `schedule.recheck`: {e}"))?;
        scheduler.add(schedule, state.recheck.clone());
    }
    let expr = state.config.schedule.surveys.trim();
    if expr != "off" {
        let schedule = parse_schedule(expr)
            .map_err(|e| anyhow::anyhow!("config key `schedule.surveys`: {e}"))?;
        scheduler.add(schedule, state.surveys.clone());
    }
    let expr = state.config.schedule.alerts.trim();
    if expr != "off" {
        let schedule = parse_schedule(expr)
            .map_err(|e| anyhow::anyhow!("config key `schedule.alerts`: {e}"))?;
        scheduler.add(schedule, state.alerts.clone());
    }
    Ok(scheduler)
}

/// A random 32-byte key generated on first start and kept in the database, so every instance
/// (and every restart) uses the same one.
async fn stored_key(store: &dyn Store, name: &str) -> anyhow::Result<Vec<u8>> {
    use base64::Engine;
    let fresh = base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>());
    let stored = store.secret(name, &fresh).await?;
    base64::engine::general_purpose::STANDARD
        .decode(stored)
        .with_context(|| format!("app_secrets.{name} is not base64"))
}

/// The key that signs survey and unsubscribe links: `surveys.link_secret`, or one generated on
/// first start and kept in the database so every instance (and every restart) signs alike.
async fn link_key(config: &Config, store: &dyn Store) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = &config.surveys.link_secret {
        return Ok(secret.expose().as_bytes().to_vec());
    }
    stored_key(store, "survey_link_key").await
}
