//! Erasure on both backends, checked against the schema itself: after a person is erased, no
//! column of any table — whichever tables exist, so one added later is covered without editing
//! this test — holds their address; on SQLite, neither do the database and WAL files. Their
//! scores stay in the campaign's NPS; everyone else's data stays.
use crate::fixtures::{Draft, at, event};
use crate::support::store::{claim_one, finish_one};
use promiseguard::domain::nps::Reason;
use promiseguard::domain::nps::SurveyAnswer;
use promiseguard::domain::{AlertChannel, AlertTarget, SendOutcome};
use promiseguard::store::{
    AlertStore, AnswerStore, CheckStore, Db, EngagementStore, ErasureStore, InvitationStore,
    NewInvitation, QuarantineStore, RecipientStore, SqlStore,
};

const DANA: &str = "dana.erased@example.com";

/// Every (table, column) of the schema, from the database's own catalog.
async fn columns(store: &SqlStore) -> Vec<(String, String)> {
    match store.db() {
        Db::Sqlite(pool) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            let mut out = Vec::new();
            for table in tables {
                let names: Vec<String> =
                    sqlx::query_scalar("SELECT name FROM pragma_table_info($1)")
                        .bind(&table)
                        .fetch_all(pool)
                        .await
                        .unwrap();
                out.extend(names.into_iter().map(|c| (table.clone(), c)));
            }
            out
        }
        Db::Postgres(pool) => sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = current_schema()",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
    }
}

/// Every (table, column) holding `needle` anywhere in its text, in any letter case.
pub async fn holding(store: &SqlStore, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (table, column) in columns(store).await {
        let sql = match store.db() {
            Db::Sqlite(_) => format!(
                "SELECT COUNT(*) FROM \"{table}\" WHERE instr(lower(CAST(\"{column}\" AS TEXT)), $1) > 0"
            ),
            Db::Postgres(_) => format!(
                "SELECT COUNT(*) FROM \"{table}\" WHERE strpos(lower(\"{column}\"::text), $1) > 0"
            ),
        };
        let n: i64 = match store.db() {
            Db::Sqlite(pool) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(needle)
                .fetch_one(pool)
                .await
                .unwrap(),
            Db::Postgres(pool) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(needle)
                .fetch_one(pool)
                .await
                .unwrap(),
        };
        if n > 0 {
            found.push(format!("{table}.{column} ({n})"));
        }
    }
    found
}

/// Where `needle`'s bytes occur in the SQLite database's files (the database, its WAL).
fn in_files(store: &SqlStore, needle: &str) -> Vec<String> {
    let Db::Sqlite(pool) = store.db() else {
        return Vec::new();
    };
    let db = pool.connect_options().get_filename().to_owned();
    let mut found = Vec::new();
    for suffix in ["", "-wal"] {
        let path = format!("{}{suffix}", db.display());
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let hits = bytes
            .windows(needle.len())
            .filter(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
            .count();
        if hits > 0 {
            found.push(format!("{path}: {hits}"));
        }
    }
    found
}

pub async fn an_erased_address_is_nowhere_in_the_schema_or_the_files(store: SqlStore) {
    let now = at("2026-11-25T10:00:00Z");
    let broken = Draft::new("broken", 0, "2026-11-24T10:00:00Z")
        .with_findings(vec![crate::fixtures::finding(1)]);
    store.record_check(&broken.check(), None).await.unwrap();
    store
        .record_check(
            &Draft::new("other", 0, "2026-11-24T10:00:00Z").check(),
            None,
        )
        .await
        .unwrap();
    // Dana clicked, bought, unsubscribed; Bob clicked.
    let mut events = vec![
        event("e1", "click", Some("broken"), DANA, "2026-11-20T10:00:00Z"),
        event("e2", "conversion", None, DANA, "2026-11-20T11:00:00Z"),
        event(
            "e3",
            "unsubscribe",
            Some("broken"),
            DANA,
            "2026-11-21T10:00:00Z",
        ),
        event(
            "e4",
            "click",
            Some("broken"),
            "bob@example.com",
            "2026-11-20T10:00:00Z",
        ),
    ];
    events[0].url = Some(format!("https://rentals.example.com/?email={DANA}"));
    events[0].locale = Some("fa".into());
    store.record_events(&events, "test", now).await.unwrap();
    // Invited twice: answered (a detractor with a comment, alerted) and still queued.
    let pairs = [
        ("broken".to_owned(), DANA.to_owned()),
        ("broken".to_owned(), "bob@example.com".to_owned()),
    ];
    store
        .queue_invitations(&NewInvitation::from_pairs(&pairs), now)
        .await
        .unwrap();
    while let Some(inv) = claim_one(&store, "run-1", now).await {
        finish_one(&store, &inv.id, SendOutcome::Sent, now).await;
    }
    store
        .queue_invitations(
            &NewInvitation::from_pairs(&[("other".to_owned(), DANA.to_owned())]),
            now,
        )
        .await
        .unwrap();
    let rows = store.invitations("broken").await.unwrap();
    let id = |r: &str| rows.iter().find(|i| i.recipient == r).unwrap().id.clone();
    // Her answer is also queued for a response webhook (its body names her).
    let hook = promiseguard::domain::response::ResponseHook {
        url: "http://hooks.example.com/responses".into(),
        events: promiseguard::domain::response::ResponseEvent::ALL.to_vec(),
    };
    store
        .record_answer_pushed(
            &id(DANA),
            SurveyAnswer {
                score: 2,
                comment: Some(&format!("Closed. Write to me at {DANA}")),
                reason: Some(Reason::LocationClosed),
            },
            &[hook],
            now,
        )
        .await
        .unwrap();
    store
        .record_answer(
            &id("bob@example.com"),
            SurveyAnswer {
                score: 9,
                comment: Some("Fine"),
                reason: None,
            },
            now,
        )
        .await
        .unwrap();
    let target = AlertTarget {
        channel: AlertChannel::Email,
        target: "cx@example.com".into(),
    };
    assert_eq!(
        store
            .queue_detractor_alerts(&id(DANA), &[target], now)
            .await
            .unwrap(),
        1
    );
    // A provider event of hers that could not be taken, kept in the quarantine as it came.
    store
        .quarantine(
            &[promiseguard::store::NewQuarantined {
                endpoint: "/v1/events/sendgrid".into(),
                payload: format!(r#"{{"email":"{}","event":"click"}}"#, DANA.to_uppercase()),
                reason: "/0/sg_event_id: missing field".into(),
                pointer: "/0/sg_event_id".into(),
                credential: "test".into(),
            }],
            now,
        )
        .await
        .unwrap();
    let nps_before = store.nps("broken").await.unwrap();
    assert!(
        !holding(&store, DANA).await.is_empty(),
        "the test must store the address first"
    );

    let receipt = store.erase(&DANA.to_uppercase(), now).await.unwrap();
    assert_eq!(
        serde_json::to_value(&receipt).unwrap(),
        serde_json::json!({
            "erased": {"events": 3, "invitations": 2, "comments": 1, "suppressions": 1, "alerts": 2, "responses": 1, "requests": 0, "quarantined": 1},
            "anonymised_answers": 1, "do_not_contact": true, "already_erased": false,
            "erased_at": "2026-11-25T10:00:00Z"
        })
    );
    assert_eq!(holding(&store, DANA).await, Vec::<String>::new());
    assert_eq!(in_files(&store, DANA), Vec::<String>::new());

    // The score stays in the campaign's NPS; Bob's data stays.
    let nps_after = store.nps("broken").await.unwrap();
    assert_eq!(
        (nps_after.invited, &nps_after.summary),
        (nps_before.invited, &nps_before.summary)
    );
    assert_eq!(
        nps_after.comments.len(),
        1,
        "Dana's comment is gone, Bob's stays"
    );
    let bob = store.recipient_data("bob@example.com").await.unwrap();
    assert_eq!((bob.events.len(), bob.invitations.len()), (1, 1));
    assert_eq!(bob.invitations[0].comment.as_deref(), Some("Fine"));
    // Dana's links open nothing; the access document says what is kept.
    assert!(store.invitation(&id(DANA)).await.unwrap().is_none());
    let dana = store.recipient_data(DANA).await.unwrap();
    assert!(dana.events.is_empty() && dana.invitations.is_empty() && dana.do_not_contact);

    // Never again: a later click is refused quietly; erasing twice is harmless.
    let again = event("e9", "click", Some("broken"), DANA, "2026-11-26T10:00:00Z");
    let recorded = store.record_events(&[again], "test", now).await.unwrap();
    assert_eq!((recorded.stored, recorded.forgotten), (0, 1));
    assert!(store.is_erased(DANA).await.unwrap());
    assert!(!store.is_erased("bob@example.com").await.unwrap());
    let twice = store.erase(DANA, now).await.unwrap();
    assert!(twice.already_erased);
    assert_eq!(twice.erased, Default::default());
    assert_eq!(holding(&store, DANA).await, Vec::<String>::new());
}
