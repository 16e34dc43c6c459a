use tracing_subscriber::EnvFilter;

/// Logs to stderr; level from `RUST_LOG` (or `PROMISEGUARD_LOG`), `info` by default.
pub fn init() {
    let filter = std::env::var("PROMISEGUARD_LOG")
        .ok()
        .and_then(|v| EnvFilter::try_new(v).ok())
        .or_else(|| EnvFilter::try_from_default_env().ok())
        .unwrap_or_else(|| EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
