use clap::Parser;
use promiseguard::cli::{Cli, run};

#[tokio::main]
async fn main() {
    promiseguard::telemetry::init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("promiseguard: {e:#}");
            std::process::exit(1);
        }
    }
}
