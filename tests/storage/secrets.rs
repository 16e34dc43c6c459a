//! The instance's secrets: made once, the same for every instance and restart.
use promiseguard::store::{SecretStore, SqlStore};

pub async fn a_secret_is_made_once_and_then_always_read_back(store: SqlStore) {
    let key = store.secret("k", "first").await.unwrap();
    assert_eq!(
        (
            key.as_str(),
            store.secret("k", "second").await.unwrap().as_str()
        ),
        ("first", "first")
    );
}
