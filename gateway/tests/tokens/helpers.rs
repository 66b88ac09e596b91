//! Runs one token test on each engine against a database of its own, and reads token rows
//! behind the store's back.

use std::future::Future;

use gateway::Store;
use gateway::test_support::TestDatabase;
use sqlx::Connection;

/// Declares `<name>::sqlite` and `<name>::postgres` tests that run `$body(store, url)`.
/// Declares `<name>::sqlite` and `<name>::postgres` tests that run `$body` through `run_on`.
#[macro_export]
macro_rules! on_each_engine {
    ($name:ident, $body:expr) => {
        gateway::on_each_engine!($name, $crate::helpers::run_on, $body);
    };
}

pub async fn run_on<F, Fut>(db: TestDatabase, body: F)
where
    F: FnOnce(Store, String) -> Fut,
    Fut: Future<Output = ()>,
{
    let store = Store::connect(db.url()).await.unwrap();
    store.migrate().await.unwrap();
    body(store.clone(), db.url().to_owned()).await;
    store.close().await;
    db.destroy().await;
}

/// The `secret_hash` column of one token, as stored.
pub async fn stored_hash(url: &str, id: i64) -> String {
    let mut connection = sqlx::AnyConnection::connect(url).await.unwrap();
    sqlx::query_scalar("select secret_hash from ai_api_tokens where id = $1")
        .bind(id)
        .fetch_one(&mut connection)
        .await
        .unwrap()
}

/// The `last_used_at` column of one token, as stored.
pub async fn last_used_at(store: &Store, id: i64) -> Option<i64> {
    gateway::tokens::list(store)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.id == id)
        .unwrap()
        .last_used_at_ms
}
