//! Fresh databases for one test each.
use promiseguard::store::{self, SqlStore};
use std::io::Write;
use tempfile::TempDir;

pub const POSTGRES_URL_VAR: &str = "PROMISEGUARD_TEST_POSTGRES_URL";

pub struct TestDb {
    pub store: SqlStore,
    pub url: String,
    admin_url: Option<String>,
    name: String,
    _dir: Option<TempDir>,
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("store.db").display());
    let store = store::connect(&url, true).await.unwrap();
    TestDb {
        store,
        url,
        admin_url: None,
        name: String::new(),
        _dir: Some(dir),
    }
}

/// A new database on the server `PROMISEGUARD_TEST_POSTGRES_URL` names, migrated.
pub async fn postgres() -> Option<TestDb> {
    let admin_url = std::env::var(POSTGRES_URL_VAR)
        .ok()
        .filter(|u| !u.is_empty())?;
    let name = format!("promiseguard_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = url::Url::parse(&admin_url).expect("PROMISEGUARD_TEST_POSTGRES_URL is a URL");
    let pool = sqlx::PgPool::connect(admin.as_str())
        .await
        .expect("the test PostgreSQL server answers");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    admin.set_path(&format!("/{name}"));
    let url = admin.to_string();
    let store = store::connect(&url, true).await.unwrap();
    Some(TestDb {
        store,
        url,
        admin_url: Some(admin_url),
        name,
        _dir: None,
    })
}

impl TestDb {
    pub async fn drop_database(self) {
        self.store.close().await;
        if let Some(admin_url) = &self.admin_url {
            let pool = sqlx::PgPool::connect(admin_url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            )))
            .execute(&pool)
            .await
            .unwrap();
            pool.close().await;
        }
    }
}

/// Says so where a person reads it: libtest captures `eprintln!`, not direct writes to stderr.
pub fn skipped(test: &str) {
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED postgres::{test}: set {POSTGRES_URL_VAR} (e.g. postgres://postgres@127.0.0.1:5432/postgres) to run the PostgreSQL half"
    );
}
