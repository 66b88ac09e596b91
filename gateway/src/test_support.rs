//! Fresh, isolated databases for the test suites of this crate and of the server (feature
//! `test-support`): a temporary SQLite file, or a new PostgreSQL database per test.

#![expect(
    clippy::expect_used,
    reason = "test fixtures: a database that cannot be created must fail the test loudly"
)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use gateway_types::{
    IntegrationFields, PromptVariable, ServerTools, VariableType, VersionDraft, Visibility,
};

use proptest::prelude::*;
use sqlx::{Connection, Executor};

use crate::Store;

/// The PostgreSQL server tests create their databases on, e.g.
/// `postgres://postgres@127.0.0.1:5432/test`. Unset means the PostgreSQL suite is skipped.
pub const POSTGRES_URL_VAR: &str = "AI_GATEWAY_TEST_POSTGRES_URL";

/// Declares `<name>::sqlite` and `<name>::postgres` tests, each calling `$run(database, $body)`
/// with a fresh database of that engine; the PostgreSQL one is skipped (and says so) when
/// [`POSTGRES_URL_VAR`] is unset. Test crates wrap it with their own runner.
#[macro_export]
macro_rules! on_each_engine {
    ($name:ident, $run:expr, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($run)($crate::test_support::TestDatabase::sqlite(), $body).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(database) = $crate::test_support::TestDatabase::postgres().await {
                    ($run)(database, $body).await;
                }
            }
        }
    };
}

/// Runs `body` with a migrated store on `database`, then closes the store and removes the
/// database: the runner of suites whose tests need only a store.
pub async fn with_store<F, Fut>(database: TestDatabase, body: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let store = Store::connect(database.url())
        .await
        .expect("connecting to a test database");
    store.migrate().await.expect("migrating a test database");
    body(store.clone()).await;
    store.close().await;
    database.destroy().await;
}

/// A public integration named `slug`, with no limits of its own.
pub fn sample_fields(slug: &str) -> IntegrationFields {
    IntegrationFields {
        description: Some("Answers a question".to_owned()),
        visibility: Visibility::Public,
        ..IntegrationFields::new(slug, "Helpful assistant")
    }
}

/// A template with one required string variable `question`, answered by `openai/gpt-4o-mini`.
pub fn sample_draft() -> VersionDraft {
    VersionDraft {
        prompt_template: "You are a helpful assistant. {{ question }}".to_owned(),
        cacheable: true,
        models: vec![SAMPLE_MODEL.to_owned()],
        default_params: BTreeMap::from([("max_tokens".to_owned(), serde_json::json!(1024))]),
        variables: vec![PromptVariable {
            name: "question".to_owned(),
            kind: VariableType::String,
            required: true,
            default: None,
            description: None,
        }],
        server_tools: ServerTools::default(),
        notes: None,
    }
}

/// The model of [`sample_draft`]: priced in the catalog, served by the simulator.
pub const SAMPLE_MODEL: &str = "openai/gpt-4o-mini";

/// A database that exists only for one test.
#[derive(Debug)]
pub struct TestDatabase {
    url: String,
    place: Place,
}

#[derive(Debug)]
enum Place {
    SqliteFile(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// A new SQLite file in the temporary folder.
    pub fn sqlite() -> Self {
        let path =
            std::env::temp_dir().join(format!("ai-gateway-test-{}.db", uuid::Uuid::new_v4()));
        Self {
            url: format!("sqlite:{}", path.display()),
            place: Place::SqliteFile(path),
        }
    }

    /// A new SQLite file at `path` (a folder of the test's own, e.g. on a small disk).
    pub fn sqlite_at(path: PathBuf) -> Self {
        Self {
            url: format!("sqlite:{}", path.display()),
            place: Place::SqliteFile(path),
        }
    }

    /// A new database on the server named by [`POSTGRES_URL_VAR`], or `None` (with a note on
    /// stderr) when the variable is unset.
    pub async fn postgres() -> Option<Self> {
        let Ok(admin_url) = std::env::var(POSTGRES_URL_VAR) else {
            eprintln!(
                "skipped: {POSTGRES_URL_VAR} is not set, so this PostgreSQL test did not run"
            );
            return None;
        };
        sqlx::any::install_default_drivers();
        let name = format!("ai_gateway_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::AnyConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("{POSTGRES_URL_VAR}={admin_url} is not reachable: {e}"));
        // Identifiers cannot be bound as parameters; the name is generated above, never input.
        admin
            .execute(format!("create database {name}").as_str())
            .await
            .expect("creating a test database");
        let url = with_database(&admin_url, &name);
        Some(Self {
            url,
            place: Place::Postgres { admin_url, name },
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Removes the database, even while connections to it are open (they are terminated), which
    /// is also how tests make a database unreachable.
    pub async fn destroy(&self) {
        match &self.place {
            Place::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    let _ = std::fs::remove_file(file);
                }
            }
            Place::Postgres { admin_url, name } => {
                let mut admin = sqlx::AnyConnection::connect(admin_url)
                    .await
                    .expect("reconnecting to drop a test database");
                admin
                    .execute(format!("drop database if exists {name} with (force)").as_str())
                    .await
                    .expect("dropping a test database");
            }
        }
    }

    /// Brings a database [`Self::destroy`]ed under a running gateway back, empty, with its
    /// schema: what an operator restoring storage does.
    pub async fn restore(&self) {
        if let Place::Postgres { admin_url, name } = &self.place {
            let mut admin = sqlx::AnyConnection::connect(admin_url)
                .await
                .expect("reconnecting to recreate a test database");
            admin
                .execute(format!("create database {name}").as_str())
                .await
                .expect("recreating a test database");
        }
        let store = Store::connect(&self.url)
            .await
            .expect("connecting to a restored test database");
        store
            .migrate()
            .await
            .expect("migrating a restored test database");
        store.close().await;
    }
}

/// `postgres://user@host:port/old?query` → `postgres://user@host:port/<name>?query`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let root = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

/// Any JSON value up to a few levels deep, for property tests of everything that takes JSON from
/// outside: strings of any characters (NUL, control, combining and right-to-left marks, emoji),
/// every integer and finite float, lists and maps.
pub fn any_json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("JSON has no NaN or infinity", |f| {
            serde_json::Number::from_f64(f).map(Value::Number)
        }),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// A JSON object whose keys are mostly `known` (the fields a parser looks for) and sometimes
/// anything, with any values: hostile bodies that still reach past the first check.
pub fn any_object_with(
    known: &'static [&'static str],
) -> impl Strategy<Value = serde_json::Map<String, serde_json::Value>> {
    let key = prop_oneof![
        4 => prop::sample::select(known).prop_map(str::to_owned),
        1 => any::<String>(),
    ];
    prop::collection::btree_map(key, any_json(), 0..8).prop_map(|map| map.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_name_replaces_the_path_and_keeps_the_query() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/test?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
