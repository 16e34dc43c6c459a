//! `promiseguard backup FILE`: a consistent copy taken under write load restores into a fresh
//! directory, the service starts on it, and a survey link emailed before still opens its page.
use crate::support::app::spawn_app_on;
use crate::support::smtp::SmtpSink;
use crate::support::surveys::{app_with_smtp, clicks, link_in, post_events, surveys_run_ok};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

fn backup(config: &std::path::Path, to: &std::path::Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_promiseguard"))
        .arg("backup")
        .arg(to)
        .arg("--config")
        .arg(config)
        .env("PROMISEGUARD_LOG", "warn")
        .output()
        .unwrap()
}

#[tokio::test]
async fn a_backup_under_write_load_restores_and_old_survey_links_still_open() {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(&sink, "").await;
    post_events(&app, "/v1/events", &clicks("c1", &["a@example.com"], 100)).await;
    surveys_run_ok(&app).await;
    let link = link_in(&sink.delivered()[0].data, 9);

    // Writes go on while the copy is taken.
    let writing = Arc::new(AtomicBool::new(true));
    let load = {
        let (writing, client, address) = (writing.clone(), app.client.clone(), app.address.clone());
        tokio::spawn(async move {
            let mut n = 0u64;
            while writing.load(Ordering::Relaxed) {
                let events = clicks("load", &[&format!("p{n}@example.com")], 1);
                let res = client
                    .post(format!("{address}/v1/events"))
                    .json(&events)
                    .send()
                    .await
                    .unwrap();
                assert!(res.status().is_success());
                n += 1;
            }
            n
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let restored = tempfile::tempdir().unwrap();
    let copy = restored.path().join("restored.db");
    let config = app.dir.path().join("promiseguard.toml");
    let out = tokio::task::spawn_blocking({
        let (config, copy) = (config.clone(), copy.clone());
        move || backup(&config, &copy)
    })
    .await
    .unwrap();
    writing.store(false, Ordering::Relaxed);
    let written = load.await.unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(written > 0, "writes went on during the backup");
    // Never over an existing file.
    let again = backup(&config, &copy);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));

    // No database where the configuration points: said, and nothing created.
    let empty = tempfile::tempdir().unwrap();
    let missing = empty.path().join("promiseguard.toml");
    std::fs::write(
        &missing,
        format!(
            "database_url = \"sqlite://{}/none.db\"\n",
            empty.path().display()
        ),
    )
    .unwrap();
    let none = backup(&missing, &empty.path().join("copy.db"));
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("no database at"));
    assert!(!empty.path().join("none.db").exists());

    // A service started on the copy has the same link key: the emailed link opens its page.
    app.handle.stop(true).await;
    let copy_url = format!("sqlite://{}", copy.display());
    let revived = spawn_app_on(&copy_url, "public_base_url = \"https://cx.example.com\"\n").await;
    let page = revived
        .client
        .get(link.replace("https://cx.example.com", &revived.address))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("How likely are you to recommend")
    );
}
