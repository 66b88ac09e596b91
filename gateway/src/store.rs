//! The database handle: connecting to SQLite or PostgreSQL through one portable driver, running
//! the engine's migrations, and health checks. Queries live with their domain modules.

use std::str::FromStr;
use std::sync::Once;
use std::time::Duration;

use gateway_types::Engine;
use sqlx::AnyPool;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;

use crate::error::{Error, Result, StoreContext};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

/// A pooled connection to the deployment's database. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    engine: Engine,
}

impl Store {
    /// Connects to `sqlite:<path>` (the file and its folder are created) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Self> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);

        let engine = engine_of(url)?;
        if engine == Engine::Sqlite {
            prepare_sqlite_file(url)?;
        }
        let options = AnyConnectOptions::from_str(url).context("parsing the database url")?;
        let pool = AnyPoolOptions::new()
            // SQLite serialises writers anyway; a small pool avoids lock contention.
            .max_connections(if engine == Engine::Sqlite { 4 } else { 16 })
            .acquire_timeout(Duration::from_secs(3))
            .connect_with(options)
            .await
            .context("connecting to the database")?;
        if engine == Engine::Sqlite {
            // WAL lets readers proceed while the telemetry writer commits; it is stored in the
            // file, so setting it once per start is enough.
            sqlx::query("pragma journal_mode = wal")
                .execute(&pool)
                .await
                .context("enabling write-ahead logging")?;
        }
        Ok(Self { pool, engine })
    }

    pub async fn migrate(&self) -> Result<()> {
        let migrator = match self.engine {
            Engine::Sqlite => &SQLITE_MIGRATIONS,
            Engine::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.pool).await?;
        Ok(())
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn ping(&self) -> Result<()> {
        sqlx::query("select 1")
            .execute(&self.pool)
            .await
            .context("pinging the database")?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Text as both engines can store it: PostgreSQL refuses NUL characters in text columns (and
/// SQLite cuts C strings at them), so each becomes U+FFFD, the character for "unreadable here".
/// Everything the core stores from callers or from the upstream goes through this first.
pub fn storable(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains('\0') {
        std::borrow::Cow::Owned(text.replace('\0', "\u{FFFD}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Adds a field error when `text` holds a NUL character: admin input is refused rather than
/// altered, so what is saved is what was typed.
pub(crate) fn refuse_nul(errors: &mut gateway_types::FieldErrors, field: &str, text: &str) {
    if text.contains('\0') {
        errors.add(field, "Must not contain NUL characters (\\u0000).");
    }
}

/// [`storable`] in place.
pub fn make_storable(text: &mut String) {
    if text.contains('\0') {
        *text = text.replace('\0', "\u{FFFD}");
    }
}

/// Reads a flag column: a boolean on PostgreSQL, an integer 0/1 on SQLite.
pub(crate) fn flag(row: &sqlx::any::AnyRow, column: &str) -> Result<bool, sqlx::Error> {
    use sqlx::Row;
    row.try_get::<bool, _>(column)
        .or_else(|_| row.try_get::<i64, _>(column).map(|v| v != 0))
}

fn engine_of(url: &str) -> Result<Engine> {
    if url.starts_with("sqlite:") {
        Ok(Engine::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Engine::Postgres)
    } else {
        Err(Error::UnsupportedDatabase(url.to_owned()))
    }
}

/// Creates the folder of a SQLite file and the file itself, so `sqlite:data/x.db` works on a
/// fresh checkout without `?mode=rwc`. Both are private to the owner: the file holds prompts,
/// answers and password hashes, and SQLite gives its `-wal` and `-shm` files the mode of the
/// database file.
fn prepare_sqlite_file(url: &str) -> Result<()> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    let path = std::path::Path::new(path);
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        let mut folder = std::fs::DirBuilder::new();
        folder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut folder, 0o700);
        folder.create(parent).map_err(Error::DatabaseFile)?;
    }
    let mut file = std::fs::OpenOptions::new();
    file.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut file, 0o600);
    file.open(path).map_err(Error::DatabaseFile)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_is_chosen_by_url_scheme() {
        assert_eq!(engine_of("sqlite:data/a.db").unwrap(), Engine::Sqlite);
        assert_eq!(engine_of("sqlite://data/a.db").unwrap(), Engine::Sqlite);
        assert_eq!(engine_of("postgres://u@h/db").unwrap(), Engine::Postgres);
        assert_eq!(engine_of("postgresql://u@h/db").unwrap(), Engine::Postgres);
        assert!(matches!(
            engine_of("mysql://u@h/db"),
            Err(Error::UnsupportedDatabase(_))
        ));
    }

    #[test]
    fn nul_characters_become_replacement_characters() {
        assert_eq!(storable("a\0b"), "a\u{FFFD}b");
        assert!(matches!(
            storable("plain"),
            std::borrow::Cow::Borrowed("plain")
        ));
        let mut text = "\0x\0".to_owned();
        make_storable(&mut text);
        assert_eq!(text, "\u{FFFD}x\u{FFFD}");
    }
}
