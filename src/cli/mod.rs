//! Command line (pinned): `serve`, `migrate`, `check CAMPAIGN.json` (check.rs), `surveys
//! run`, `extract EMAIL.html` (extract.rs) — a door like the HTTP routes: it parses its input,
//! calls the services, and prints.
mod check;
mod extract;
mod print;

pub use check::table;

use crate::config::{Config, redact_url};
use crate::jobs::{Job, RetentionJob, SurveysJob, WatchJob};
use crate::startup::{Application, Services};
use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The crate's version and the IANA time-zone database built in (zone rules change: Iran
/// dropped daylight saving in 2022, Egypt brought it back in 2023).
static VERSION: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "{} (tzdb {})",
        env!("CARGO_PKG_VERSION"),
        chrono_tz::IANA_TZDB_VERSION
    )
});

#[derive(Debug, Parser)]
#[command(
    name = "promiseguard",
    version = VERSION.as_str(),
    about = "Keeps marketing from making promises the business can't keep."
)]
pub struct Cli {
    /// Configuration file (TOML). Without one, embedded defaults apply.
    #[arg(long, global = true, env = "PROMISEGUARD_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (migrates the database first).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Check one campaign file against the configured sources and print the findings.
    /// Exit status: 0 pass, 3 flag, 4 block, 2 bad input.
    Check {
        /// A pre-send request body (`{"campaign": …}`) or a bare campaign.
        file: PathBuf,
        /// Print the full result as JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print the promises an email's HTML makes by the configured `[promises]` link templates
    /// and its data-promise-* markup, asking no source — to try a template before a send.
    /// Exit status: 0 read, 2 unreadable markup.
    Extract {
        /// The email's HTML.
        file: PathBuf,
        /// Print `{"extracted": […], "content": {…}}` instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// NPS surveys.
    Surveys {
        #[command(subcommand)]
        action: SurveysAction,
    },
    /// Copy the database into FILE, consistently, while the service runs (SQLite, with
    /// `VACUUM INTO`; for PostgreSQL use pg_dump — see docs/operations.md). Never overwrites FILE.
    Backup {
        /// Where the copy goes: a new file, started with `database_url = "sqlite://FILE"`.
        file: PathBuf,
    },
    /// What `[retention]` no longer keeps.
    Retention {
        #[command(subcommand)]
        action: RetentionAction,
    },
    /// Stored clicks.
    Clicks {
        #[command(subcommand)]
        action: ClicksAction,
    },
    /// The campaigns scheduled on `[[platforms]]`.
    Watch {
        #[command(subcommand)]
        action: WatchAction,
    },
    /// Erase one person's data (an erasure request) and keep their address off every future
    /// survey; prints the receipt as JSON. Exit status: 0 erased (or already), 2 not an address.
    Erase {
        /// The person's email address.
        address: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum RetentionAction {
    /// One retention run now, as the daily `retention` job does (under the same lease).
    Run,
}

#[derive(Debug, Subcommand)]
pub enum ClicksAction {
    /// Match stored clicks' URLs against the `[promises]` templates again (after they, or the
    /// location ids, changed), in short batches; says how many changed.
    Rematch {
        /// Only clicks at or after this date (`2026-12-01`) or time (RFC 3339).
        #[arg(long)]
        since: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum WatchAction {
    /// One watch tick now, as the scheduled `watch` job does (under the same lease): read,
    /// check and act on every platform's scheduled campaigns; the summary on stdout.
    Run,
}

#[derive(Debug, Subcommand)]
pub enum SurveysAction {
    /// One survey sweep now: queue what is eligible, deliver everything due, exit 0 when done.
    /// Takes the same lease as the scheduled `surveys` job, waiting while another run holds it.
    Run,
}

/// Runs the command and returns the process exit status.
pub async fn run(cli: Cli) -> anyhow::Result<i32> {
    let config = Config::from_env(cli.config.as_deref())?;
    match cli.command {
        Command::Serve => {
            Application::build(config)
                .await?
                .reloading_from(cli.config.clone())
                .run_until_stopped()
                .await?;
            Ok(0)
        }
        Command::Migrate => {
            let url = config.database_url.expose();
            crate::store::connect(url, true)
                .await
                .with_context(|| format!("migrating {}", redact_url(url)))?;
            println!("migrations applied to {}", redact_url(url));
            Ok(0)
        }
        Command::Check { file, json } => check::check(&config, &file, json).await,
        Command::Extract { file, json } => extract::run(&config, &file, json),
        Command::Surveys {
            action: SurveysAction::Run,
        } => surveys_run(config).await,
        Command::Erase { address } => erase(config, &address).await,
        Command::Retention {
            action: RetentionAction::Run,
        } => {
            run_once(config, "retention run", |s| {
                Box::new(RetentionJob(s.retention.clone()))
            })
            .await
        }
        Command::Clicks {
            action: ClicksAction::Rematch { since },
        } => {
            let since = match since.as_deref().map(parse_since).transpose() {
                Ok(since) => since,
                Err(why) => {
                    eprintln!("clicks rematch: --since {why}");
                    return Ok(2);
                }
            };
            let services = Services::build(config).await?;
            println!("{}", services.engagement.rematch(since).await?);
            Ok(0)
        }
        Command::Watch {
            action: WatchAction::Run,
        } => {
            if config.platforms.is_empty() {
                eprintln!("watch run: no [[platforms]] are configured");
                return Ok(2);
            }
            run_once(config, "watch run", |s| Box::new(WatchJob(s.watch.clone()))).await
        }
        Command::Backup { file } => {
            let url = config.database_url.expose();
            // Connecting would create a missing SQLite file: a backup of nothing is a mistake.
            if let Some(path) = url.strip_prefix("sqlite://") {
                let path = path.split('?').next().unwrap_or(path);
                if !std::path::Path::new(path).exists() {
                    eprintln!("backup: there is no database at {path}");
                    return Ok(2);
                }
            }
            let store = crate::store::connect(url, false)
                .await
                .with_context(|| format!("opening {}", redact_url(url)))?;
            match store.backup_into(&file).await {
                Ok(()) => {
                    println!("backed up {} to {}", redact_url(url), file.display());
                    Ok(0)
                }
                Err(e) => {
                    eprintln!("backup: {e}");
                    Ok(2)
                }
            }
        }
    }
}

/// `--since`: a date (midnight UTC) or an RFC 3339 time.
fn parse_since(raw: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&chrono::Utc));
    }
    chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
        .map_err(|_| format!("`{raw}` is not a date (2026-12-01) or an RFC 3339 time"))
}

async fn erase(config: Config, address: &str) -> anyhow::Result<i32> {
    let Some(address) = crate::domain::event::normalize_address(address) else {
        eprintln!("erase: `{address}` is not an email address");
        return Ok(2);
    };
    let services = Services::build(config).await?;
    let receipt = services
        .analysts
        .erase("the command line", &address)
        .await?;
    println!("{}", serde_json::to_string_pretty(&receipt)?);
    Ok(0)
}

async fn surveys_run(config: Config) -> anyhow::Result<i32> {
    run_once(config, "survey run", |s| {
        Box::new(SurveysJob(s.surveys.clone()))
    })
    .await
}

/// One run of a scheduled job now, under the job's lease (waiting while another run holds
/// it); its summary on stdout.
async fn run_once(
    config: Config,
    what: &str,
    job: impl FnOnce(&Services) -> Box<dyn Job>,
) -> anyhow::Result<i32> {
    use crate::jobs::scheduler::{Scheduler, TickOutcome, instance_name};
    let ttl = Duration::from_secs(config.schedule.lease_ttl_s);
    let services = Services::build(config).await?;
    let scheduler =
        Scheduler::new(Arc::new(services.store.clone()), instance_name()).with_lease_ttl(ttl);
    let job = job(&services);
    // SIGTERM or Ctrl-C: start nothing more, let what is in hand finish and be recorded.
    let stop = CancellationToken::new();
    let on_signal = stop.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        on_signal.cancel();
    });
    #[cfg(unix)]
    if let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    {
        let on_term = stop.clone();
        tokio::spawn(async move {
            term.recv().await;
            on_term.cancel();
        });
    }
    let give_up = tokio::time::Instant::now() + ttl + Duration::from_secs(10);
    let mut told = false;
    loop {
        match scheduler
            .run_tick(job.as_ref(), chrono::Utc::now(), &stop)
            .await
        {
            TickOutcome::Ran(summary) => {
                println!("{summary}");
                return Ok(0);
            }
            TickOutcome::Failed(why) => anyhow::bail!("{what} failed: {why}"),
            TickOutcome::Stopped => anyhow::bail!("stopped before the {what} began"),
            TickOutcome::NotOurs if tokio::time::Instant::now() < give_up => {
                if !told {
                    eprintln!(
                        "another {what} holds the lease; waiting (up to {} s)",
                        ttl.as_secs() + 10
                    );
                    told = true;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            TickOutcome::NotOurs => {
                anyhow::bail!("another {what} kept the lease; try again later")
            }
        }
    }
}
