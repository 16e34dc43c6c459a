//! Where email goes: an SMTP server through a connection pool, or `.eml` files in a folder.
use crate::config::{EmailConfig, Transport};
use crate::domain::SendError;
use anyhow::Context;
use async_trait::async_trait;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::{Arc, RwLock};
use std::time::Duration;

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, message: Message) -> Result<(), SendError>;
}

struct SmtpMailer(AsyncSmtpTransport<Tokio1Executor>);
struct FileMailer(AsyncFileTransport<Tokio1Executor>);

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, message: Message) -> Result<(), SendError> {
        match self.0.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
            // Everything else is transient — including lettre's "incomplete response" when the
            // server dropped a pooled connection while it sat idle.
            Err(e) => Err(SendError::Transient(e.to_string())),
        }
    }
}

#[async_trait]
impl Mailer for FileMailer {
    async fn send(&self, message: Message) -> Result<(), SendError> {
        self.0
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| SendError::Transient(e.to_string()))
    }
}

/// The relay in force: the configured transport, which a reload (`SIGHUP`) may replace with
/// one built from the SMTP URL read again — a send already under way finishes on the
/// connection it took, every later one opens the new pool's.
pub struct Relay {
    current: RwLock<Arc<dyn Mailer>>,
}

impl Relay {
    pub fn new(mailer: Arc<dyn Mailer>) -> Self {
        Self {
            current: RwLock::new(mailer),
        }
    }

    pub fn replace(&self, mailer: Arc<dyn Mailer>) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = mailer;
    }
}

#[async_trait]
impl Mailer for Relay {
    async fn send(&self, message: Message) -> Result<(), SendError> {
        let mailer = self
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        mailer.send(message).await
    }
}

/// Builds the configured transport. Errors say which key to fix.
pub fn build_mailer(config: &EmailConfig) -> anyhow::Result<Box<dyn Mailer>> {
    match config.transport {
        Transport::Smtp => {
            let url = config.smtp_url.as_ref().context(
                "config key `email.smtp_url` is required when email.transport = \"smtp\"",
            )?;
            let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                .map_err(|e| {
                    anyhow::anyhow!(
                        "config key `email.smtp_url`: {e} (expected smtp://host:port, smtp://host:port?tls=required or smtps://host:port; credentials as user:password@)"
                    )
                })?
                .timeout(Some(Duration::from_secs(60)))
                .pool_config(PoolConfig::new().max_size(config.max_concurrent.max(1) as u32))
                .build();
            Ok(Box::new(SmtpMailer(transport)))
        }
        Transport::File => {
            std::fs::create_dir_all(&config.outbox_dir).with_context(|| {
                format!(
                    "config key `email.outbox_dir`: cannot create {}",
                    config.outbox_dir.display()
                )
            })?;
            Ok(Box::new(FileMailer(AsyncFileTransport::new(
                &config.outbox_dir,
            ))))
        }
    }
}
