//! Runs one store test on each engine against a database of its own.

use std::future::Future;

use gateway::Store;
use gateway::test_support::TestDatabase;

/// Declares `<name>::sqlite` and `<name>::postgres` tests that run `$body(store)`.
/// Declares `<name>::sqlite` and `<name>::postgres` tests that run `$body` through `run_on`.
#[macro_export]
macro_rules! on_each_engine {
    ($name:ident, $body:expr) => {
        gateway::on_each_engine!($name, $crate::helpers::run_on, $body);
    };
}

pub async fn run_on<F, Fut>(db: TestDatabase, body: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    let store = Store::connect(db.url()).await.expect("connecting");
    store.migrate().await.expect("migrating");
    body(store.clone()).await;
    store.close().await;
    db.destroy().await;
}
