//! The schema: migrations apply twice without harm, unique keys hold, and the two migration
//! folders say the same thing except where `migrations/differences.toml` declares otherwise.
use crate::fixtures::Draft;
use crate::support::store::count_checks;
use promiseguard::store::{CheckStore, FindingStore, SqlStore, WatchStore};
use std::collections::BTreeMap;
use std::path::Path;

pub async fn migrations_apply_twice_without_harm(store: SqlStore) {
    let draft = Draft::new("c4", 1, "2026-11-23T10:00:00Z");
    store.record_check(&draft.check(), None).await.unwrap();
    store.migrate().await.unwrap();
    assert_eq!(count_checks(&store).await, 1);
}

/// The schema itself refuses a duplicate check id (a bug elsewhere must not become two rows).
pub async fn unique_keys_hold_in_the_schema(store: SqlStore) {
    let draft = Draft::new("c5", 1, "2026-11-23T10:00:00Z");
    store.record_check(&draft.check(), None).await.unwrap();
    let mut dup = Draft::new("c5", 1, "2026-11-23T10:00:01Z");
    dup.id = draft.id.clone();
    assert!(store.record_check(&dup.check(), None).await.is_err());
    assert_eq!(count_checks(&store).await, 1);
    assert_eq!(
        store.findings(&draft.id).await.unwrap().len(),
        1,
        "the failed write left nothing behind"
    );
}

/// One declared difference between the two folders.
#[derive(Debug, Clone, serde::Deserialize)]
struct Difference {
    file: String,
    sqlite: String,
    postgres: String,
    why: String,
}

#[derive(Debug, serde::Deserialize)]
struct Declared {
    difference: Vec<Difference>,
}

/// Each migration file's lines (trailing white space dropped), by file name.
fn migrations(dir: &Path) -> BTreeMap<String, Vec<String>> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (
                name,
                text.lines().map(|l| l.trim_end().to_owned()).collect(),
            )
        })
        .collect()
}

/// Everything wrong with two sets of migrations, given the declared differences: files on one
/// side only, lines that differ without a declaration, and declarations that match nothing.
fn undeclared_differences(
    mut sqlite: BTreeMap<String, Vec<String>>,
    mut postgres: BTreeMap<String, Vec<String>>,
    declared: &[Difference],
) -> Vec<String> {
    let mut problems = Vec::new();
    for d in declared {
        if d.why.trim().is_empty() {
            problems.push(format!("{}: a declared difference must say why", d.file));
        }
        for (side, files, line) in [
            ("sqlite", &mut sqlite, &d.sqlite),
            ("postgres", &mut postgres, &d.postgres),
        ] {
            if line.is_empty() {
                continue;
            }
            let lines = files.entry(d.file.clone()).or_default();
            match lines.iter().position(|l| l.trim() == line.trim()) {
                Some(at) => {
                    lines.remove(at);
                }
                None => problems.push(format!(
                    "{}: the declared {side} line is not there (stale declaration?): {line}",
                    d.file
                )),
            }
        }
    }
    let names: std::collections::BTreeSet<&String> = sqlite.keys().chain(postgres.keys()).collect();
    for name in names {
        let (a, b) = (sqlite.get(name), postgres.get(name));
        match (a, b) {
            (Some(a), Some(b)) => {
                let longest = a.len().max(b.len());
                for i in 0..longest {
                    let (x, y) = (a.get(i), b.get(i));
                    if x != y {
                        problems.push(format!(
                            "{name}, line {}: sqlite has {:?}, postgres has {:?} — make them the same or declare the difference in migrations/differences.toml",
                            i + 1,
                            x.map(String::as_str).unwrap_or("(nothing)"),
                            y.map(String::as_str).unwrap_or("(nothing)")
                        ));
                        break;
                    }
                }
            }
            (Some(_), None) => problems.push(format!("{name} is in migrations/sqlite only")),
            (None, Some(_)) => problems.push(format!("{name} is in migrations/postgres only")),
            (None, None) => {}
        }
    }
    problems
}

#[test]
fn the_two_schemas_differ_only_where_declared() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let declared: Declared =
        toml::from_str(&std::fs::read_to_string(root.join("differences.toml")).unwrap())
            .expect("migrations/differences.toml parses");
    let problems = undeclared_differences(
        migrations(&root.join("sqlite")),
        migrations(&root.join("postgres")),
        &declared.difference,
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn an_undeclared_difference_or_a_stale_declaration_is_caught() {
    let files = |lines: &[&str]| {
        BTreeMap::from([(
            "0009_x.sql".to_owned(),
            lines.iter().map(|l| l.to_string()).collect::<Vec<_>>(),
        )])
    };
    let sqlite = files(&["CREATE TABLE t (id TEXT);", "CREATE INDEX t_id ON t (id);"]);
    let postgres = files(&[
        "CREATE TABLE t (id TEXT);",
        "CREATE INDEX t_id ON t (id) WHERE id IS NOT NULL;",
    ]);
    let problems = undeclared_differences(sqlite.clone(), postgres.clone(), &[]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("line 2"), "{problems:?}");
    let declared = Difference {
        file: "0009_x.sql".into(),
        sqlite: "CREATE INDEX t_id ON t (id);".into(),
        postgres: "CREATE INDEX t_id ON t (id) WHERE id IS NOT NULL;".into(),
        why: "a partial index".into(),
    };
    assert_eq!(
        undeclared_differences(
            sqlite.clone(),
            postgres.clone(),
            std::slice::from_ref(&declared)
        ),
        Vec::<String>::new()
    );
    let stale = Difference {
        postgres: "CREATE INDEX gone ON t (id);".into(),
        ..declared
    };
    let problems = undeclared_differences(sqlite, postgres, &[stale]);
    assert!(problems.iter().any(|p| p.contains("stale")), "{problems:?}");
    let mut only_one = files(&["x"]);
    only_one.insert("0010_y.sql".into(), vec![]);
    let problems = undeclared_differences(only_one, files(&["x"]), &[]);
    assert_eq!(problems, ["0010_y.sql is in migrations/sqlite only"]);
}

/// Upgrading a database that holds alerts: migration 0008 rebuilds the `alerts` table, and
/// every alert queued before it is still there afterwards, about the same finding (SQLite,
/// where the rebuild is the risky part; PostgreSQL runs the same statements).
#[tokio::test]
async fn alerts_queued_before_the_answer_alerts_migration_survive_it() {
    use crate::fixtures::Draft;
    use promiseguard::domain::{AlertChannel, AlertTarget, Phase};
    use promiseguard::store::{AlertAbout, AlertStore};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    // The schema as it stood before 0008: the migrations up to 0007 only — and the findings'
    // `target_link` (0017), which today's writer below writes: a column of its own, apart from
    // the alerts this test is about.
    // And the checks' `covered` (0021) and the findings' `exemption` (0023), for the same
    // reason; nothing below rebuilds checks.
    sqlite_at(&url, |name| {
        name < "0008"
            || ["0017_", "0021_", "0023_"]
                .iter()
                .any(|m| name.starts_with(m))
    })
    .await;
    let store = promiseguard::store::connect(&url, false).await.unwrap();
    let targets = [AlertTarget {
        channel: AlertChannel::Email,
        target: "cx@example.com".into(),
    }];
    let mut draft = Draft::new("a1", 2, "2026-11-25T09:00:00Z");
    draft.phase = Phase::Live;
    let mut check = draft.check();
    check.alert_to = &targets;
    store.record_check(&check, None).await.unwrap();
    store.migrate().await.unwrap();
    let alerts = store.alerts("a1").await.unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(
        alerts[0].about,
        AlertAbout::Finding(draft.findings[0].id.clone())
    );
}

/// The migrations whose file names `keep` accepts, applied to a fresh SQLite file: the schema
/// an older release left behind.
async fn sqlite_at(url: &str, keep: impl Fn(&str) -> bool) {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir("migrations/sqlite").unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if keep(&name) {
            std::fs::copy(&path, dir.path().join(&name)).unwrap();
        }
    }
    let options = url
        .parse::<sqlx::sqlite::SqliteConnectOptions>()
        .unwrap()
        .create_if_missing(true)
        .foreign_keys(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    sqlx::migrate::Migrator::new(dir.path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    pool.close().await;
}

/// SQLite rebuilds `checks` to let a check be `scheduled` (0018, outside the migrator's
/// transaction, foreign keys off while it runs): the checks, findings and idempotency records
/// written before it are all there after it, every reference holds, and foreign keys are on
/// again for what follows.
#[tokio::test]
async fn the_checks_rebuild_keeps_what_was_written_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    sqlite_at(&url, |name| name < "0018").await;
    // Written as the release before 0018 wrote them (today's writer knows later columns).
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let draft = Draft::new("before", 2, "2026-11-23T10:00:00Z");
    for sql in [
        "INSERT INTO campaigns (id, definition, window_start, window_end, created_at, updated_at,
                                latest_check_id, latest_verdict, latest_checked_at)
         VALUES ('before', '{}', 0, 0, 1, 1, $1, 'block', 1)",
        "INSERT INTO checks (id, campaign_id, phase, mode, verdict, send_at, checked_at, result)
         VALUES ($1, 'before', 'pre_send', 'enforce', 'block', 1, 1, '{}')",
        "INSERT INTO idempotency_keys (key, request_hash, check_id, status, body, created_at)
         VALUES ('presend:msg_1', 'h', $1, 200, '{}', 1)",
    ] {
        sqlx::query(sql)
            .bind(&draft.id)
            .execute(&pool)
            .await
            .unwrap();
    }
    for (position, f) in draft.findings.iter().enumerate() {
        sqlx::query(
            "INSERT INTO findings (id, check_id, position, campaign_id, offer_id, rule, severity,
                                   message, evidence, created_at, fingerprint)
             VALUES ($1, $2, $3, 'before', $4, $5, $6, $7, '{}', 1, $8)",
        )
        .bind(&f.id)
        .bind(&draft.id)
        .bind(position as i64)
        .bind(&f.offer_id)
        .bind(f.rule.as_str())
        .bind(f.severity.as_str())
        .bind(&f.message)
        .bind(f.fingerprint())
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;

    let store = promiseguard::store::connect(&url, true).await.unwrap();
    assert_eq!(count_checks(&store).await, 1);
    assert_eq!(store.findings(&draft.id).await.unwrap().len(), 2);
    assert!(
        store
            .idempotent_answer("presend:msg_1")
            .await
            .unwrap()
            .is_some()
    );
    let promiseguard::store::Db::Sqlite(pool) = store.db() else {
        unreachable!()
    };
    let broken: Vec<(String,)> = sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
        .fetch_all(pool)
        .await
        .unwrap();
    assert!(broken.is_empty(), "{broken:?}");
    let mut scheduled = Draft::new("before", 1, "2026-11-24T10:00:00Z");
    scheduled.phase = promiseguard::domain::Phase::Scheduled;
    store.record_check(&scheduled.check(), None).await.unwrap();
    // Foreign keys are enforced again on the writing connection the migration ran on: an
    // action about no campaign is refused.
    let orphan = promiseguard::store::NewAction {
        campaign_id: "no-such-campaign",
        platform: "klaviyo",
        version: "v",
        kind: promiseguard::store::ActionKind::Alert,
        check_id: &scheduled.id,
        send_time: scheduled.checked_at,
        at: scheduled.checked_at,
    };
    assert!(
        store.claim_action(orphan).await.is_err(),
        "foreign keys are on"
    );
}

/// 0022 stores a click's judgement as a code: the clicks judged before it keep their meaning
/// (a name becomes its code, a click never judged stays without one), read back by name.
#[tokio::test]
async fn judgements_stored_by_name_keep_their_meaning_as_codes() {
    use promiseguard::store::RecipientStore;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    sqlite_at(&url, |name| name < "0022").await;
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    for (n, judgement) in [Some("broken"), Some("kept"), Some("unknown"), None]
        .into_iter()
        .enumerate()
    {
        sqlx::query(
            "INSERT INTO events (id, source, type, recipient, occurred_at, received_at, judgement)
             VALUES ($1, 'api', 'click', 'ana@example.com', $2, $2, $3)",
        )
        .bind(format!("click-{n}"))
        .bind(n as i64)
        .bind(judgement)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;

    let store = promiseguard::store::connect(&url, true).await.unwrap();
    let promiseguard::store::Db::Sqlite(pool) = store.db() else {
        unreachable!()
    };
    let codes: Vec<(String, Option<i64>)> =
        sqlx::query_as("SELECT id, judgement FROM events ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(
        codes,
        [
            ("click-0".to_owned(), Some(1)),
            ("click-1".to_owned(), Some(2)),
            ("click-2".to_owned(), Some(0)),
            ("click-3".to_owned(), None),
        ]
    );
    let data = store.recipient_data("ana@example.com").await.unwrap();
    let names: Vec<Option<&str>> = data.events.iter().map(|e| e.judgement.as_deref()).collect();
    assert_eq!(names, [Some("broken"), Some("kept"), Some("unknown"), None]);
    // The code's CHECK holds.
    assert!(
        sqlx::query("UPDATE events SET judgement = 7 WHERE id = 'click-0'")
            .execute(pool)
            .await
            .is_err()
    );
}
