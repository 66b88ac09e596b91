//! The core's error type: what went wrong in domain terms, with no HTTP status attached.

/// Everything the core can fail with. Surfaces map variants to their own status codes.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{context}: {source}")]
    Store {
        context: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("migrating the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database url {0:?}: expected sqlite:… or postgres://…")]
    UnsupportedDatabase(String),
    #[error("preparing the database file: {0}")]
    DatabaseFile(#[source] std::io::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Adds what the store was doing to a database error.
pub(crate) trait StoreContext<T> {
    fn context(self, context: &'static str) -> Result<T>;
}

impl<T> StoreContext<T> for Result<T, sqlx::Error> {
    fn context(self, context: &'static str) -> Result<T> {
        self.map_err(|source| Error::Store { context, source })
    }
}
