//! Clicks keep the promise they reached for, and are read again in id order, in pages, from a
//! date, to have it set anew.
use crate::fixtures::{at, event};
use promiseguard::domain::content::templates::LinkPromise;
use promiseguard::domain::judgement::Judgement;
use promiseguard::store::{ClickPromise, ClickStore, EngagementStore, SqlStore};

pub async fn clicks_keep_their_promise_and_are_read_again_in_pages(store: SqlStore) {
    let mut item = event("e2", "click", Some("c"), "a@x.com", "2026-12-02T10:00:00Z");
    item.url = Some("https://shop.example.com/p/TENT?store=loc-2".into());
    item.promise = Some(LinkPromise::Item {
        sku: "TENT".into(),
        location: "loc-2".into(),
    });
    let mut branch = event("e1", "click", Some("c"), "a@x.com", "2026-12-01T10:00:00Z");
    branch.url = Some("https://rent.example.com/branches/loc-1".into());
    branch.promise = Some(LinkPromise::Location("loc-1".into()));
    let sent = event("e3", "sent", Some("c"), "a@x.com", "2026-12-03T10:00:00Z");
    let plain = event("e4", "click", Some("c"), "b@x.com", "2026-12-04T10:00:00Z");
    store
        .record_events(
            &[item, branch, sent, plain],
            "api",
            at("2026-12-05T00:00:00Z"),
        )
        .await
        .unwrap();

    let first = store.clicks_page(None, None, 2).await.unwrap();
    let ids: Vec<&str> = first.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["e1", "e2"], "clicks only, in id order");
    assert_eq!(first[0].location.as_deref(), Some("loc-1"));
    assert_eq!(first[0].sku, None);
    assert_eq!(
        (first[1].location.as_deref(), first[1].sku.as_deref()),
        (Some("loc-2"), Some("TENT"))
    );
    let rest = store.clicks_page(Some("e2"), None, 2).await.unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!((rest[0].id.as_str(), rest[0].url.as_deref()), ("e4", None));
    let since = store
        .clicks_page(None, Some(at("2026-12-02T00:00:00Z")), 10)
        .await
        .unwrap();
    assert_eq!(
        since.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["e2", "e4"]
    );

    let changes = [
        ClickPromise {
            id: "e1".into(),
            location: None,
            sku: None,
            judgement: Judgement::Unknown,
        },
        ClickPromise {
            id: "e4".into(),
            location: Some("loc-9".into()),
            sku: None,
            judgement: Judgement::Kept,
        },
    ];
    store.set_click_promises(&changes).await.unwrap();
    let now = store.clicks_page(None, None, 10).await.unwrap();
    let named: Vec<Option<&str>> = now.iter().map(|c| c.location.as_deref()).collect();
    assert_eq!(named, [None, Some("loc-2"), Some("loc-9")]);
}
