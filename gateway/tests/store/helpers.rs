//! Runs one store test on each engine against a database of its own.

/// Declares `<name>::sqlite` and `<name>::postgres` tests that run `$body(store)`.
#[macro_export]
macro_rules! on_each_engine {
    ($name:ident, $body:expr) => {
        gateway::on_each_engine!($name, gateway::test_support::with_store, $body);
    };
}
