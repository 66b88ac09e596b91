//! Console administrators: creating accounts (argon2id hashes computed off the async runtime),
//! signing in with throttling per account and per client address, the admin a session belongs
//! to, and the database-backed store tower-sessions keeps console sessions in. Cookies, CSRF and
//! HTTP belong to the server, not here.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock, PoisonError};

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
pub use gateway_types::Password;
use gateway_types::{Admin, FieldErrors};
use sqlx::Row;
use sqlx::any::AnyRow;
use tower_sessions::session::{Id, Record};
use tower_sessions::{Session, SessionStore, session_store};

use crate::error::{Error, Result, StoreContext, from_json, to_json};
use crate::store::Store;

pub const MIN_PASSWORD_LEN: usize = 12;
/// Bounds the work one sign-in attempt can cause; long enough for any passphrase.
pub const MAX_PASSWORD_LEN: usize = 1024;
const MAX_EMAIL_LEN: usize = 254;
/// Failed sign-ins an account may collect within [`THROTTLE_WINDOW_MS`] before it is locked.
pub const MAX_FAILURES: u32 = 5;
/// The same for a client address, higher because people behind one address (an office, a
/// proxy) share it; it still stops one address from guessing across many accounts.
pub const MAX_FAILURES_PER_ADDRESS: u32 = 20;
/// The throttling window; a locked key stays locked until its window is over.
pub const THROTTLE_WINDOW_MS: i64 = 15 * 60 * 1000;
/// Keys kept in memory before windows that are over are swept, so that guessing many emails
/// cannot grow the throttle without bound.
const THROTTLE_SWEEP_AT: usize = 4096;
/// The session entry naming the signed-in admin.
const SESSION_ADMIN_KEY: &str = "admin_id";

/// Why a sign-in was refused; the messages are fit to show on the login page.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown email or wrong password: one answer, so nobody learns which emails exist.
    #[error("Wrong email or password.")]
    InvalidCredentials,
    #[error("Too many failed sign-in attempts. Try again in {} minute(s).", retry_after_secs.div_ceil(60))]
    Throttled { retry_after_secs: u64 },
    #[error(transparent)]
    Internal(#[from] Error),
}

/// Creates an admin. The email is trimmed and lower-cased; a taken email is a `Conflict` on the
/// `email` field, a short password an `Invalid` one on `password`.
pub async fn create(store: &Store, email: &str, password: &Password, now: i64) -> Result<Admin> {
    let email = normalise_email(email);
    check(&email, password).map_err(Error::Invalid)?;
    let hash = hash_password(password.clone()).await?;
    let inserted = sqlx::query(
        "insert into ai_admin_users (email, password_hash, created_at) values ($1, $2, $3)
         returning id",
    )
    .bind(&email)
    .bind(hash)
    .bind(now)
    .fetch_one(store.pool())
    .await
    .context("inserting an admin");
    let row = match inserted {
        Err(e) if e.is_unique_violation() => {
            return Err(Error::Conflict(FieldErrors::single(
                "email",
                "An admin with this email already exists.",
            )));
        }
        other => other?,
    };
    let id = row.try_get("id").context("reading the new admin id")?;
    Ok(Admin { id, email })
}

/// A random 24-character password for an admin nobody chose one for.
pub fn generate_password() -> Password {
    use rand::Rng;
    let plain: String = rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(24)
        .map(char::from)
        .collect();
    Password::new(plain)
}

fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn check(email: &str, password: &Password) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    let valid_email = email.len() <= MAX_EMAIL_LEN
        && !email.chars().any(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        });
    if email.is_empty() {
        errors.add("email", "The email is required.");
    } else if !valid_email {
        errors.add("email", "Enter an email address such as admin@example.com.");
    }
    let length = password.expose().chars().count();
    if length < MIN_PASSWORD_LEN {
        errors.add(
            "password",
            format!("The password must be at least {MIN_PASSWORD_LEN} characters long."),
        );
    } else if length > MAX_PASSWORD_LEN {
        errors.add(
            "password",
            format!("The password may not be longer than {MAX_PASSWORD_LEN} characters."),
        );
    }
    errors.into_result(())
}

pub async fn find(store: &Store, id: i64) -> Result<Option<Admin>> {
    let row = sqlx::query("select id, email from ai_admin_users where id = $1")
        .bind(id)
        .fetch_optional(store.pool())
        .await
        .context("finding an admin")?;
    row.as_ref().map(admin_from_row).transpose()
}

pub async fn count(store: &Store) -> Result<i64> {
    sqlx::query_scalar("select count(*) from ai_admin_users")
        .fetch_one(store.pool())
        .await
        .context("counting admins")
}

fn admin_from_row(row: &AnyRow) -> Result<Admin> {
    let read = "reading an admin";
    Ok(Admin {
        id: row.try_get("id").context(read)?,
        email: row.try_get("email").context(read)?,
    })
}

/// Checks an email and password against the stored hash, without throttling (see
/// [`Throttle`]). Unknown emails cost one hash verification too, so timing does not tell them
/// apart from wrong passwords.
pub async fn verify(
    store: &Store,
    email: &str,
    password: &Password,
    now: i64,
) -> Result<Option<Admin>> {
    let email = normalise_email(email);
    let row = sqlx::query("select id, email, password_hash from ai_admin_users where email = $1")
        .bind(&email)
        .fetch_optional(store.pool())
        .await
        .context("finding an admin to sign in")?;
    let Some(row) = row else {
        verify_password(password.clone(), decoy_hash().await?).await?;
        return Ok(None);
    };
    let stored: String = row.try_get("password_hash").context("reading an admin")?;
    if !verify_password(password.clone(), stored).await? {
        return Ok(None);
    }
    let admin = admin_from_row(&row)?;
    sqlx::query("update ai_admin_users set last_login_at = $2 where id = $1")
        .bind(admin.id)
        .bind(now)
        .execute(store.pool())
        .await
        .context("recording a sign-in")?;
    Ok(Some(admin))
}

/// Argon2id with the crate's recommended cost, on a blocking thread: one hash takes tens of
/// milliseconds of CPU, which would stall every request sharing the runtime's worker.
async fn hash_password(password: Password) -> Result<String> {
    blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| Error::Internal(format!("hashing a password: {e}")))
    })
    .await
}

async fn verify_password(password: Password, stored: String) -> Result<bool> {
    blocking(move || {
        let parsed = PasswordHash::new(&stored)
            .map_err(|e| Error::Corrupt(format!("ai_admin_users.password_hash: {e}")))?;
        Ok(Argon2::default()
            .verify_password(password.expose().as_bytes(), &parsed)
            .is_ok())
    })
    .await
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Internal(format!("password hashing task failed: {e}")))?
}

/// A hash of a random password, verified against when the email is unknown.
async fn decoy_hash() -> Result<String> {
    static DECOY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DECOY.get() {
        return Ok(hash.clone());
    }
    let hash = hash_password(Password::new(uuid::Uuid::new_v4().to_string())).await?;
    Ok(DECOY.get_or_init(|| hash).clone())
}

// --- throttling

/// Failed sign-ins per account and per client address, in memory: each node counts its own,
/// which still bounds guessing to a handful of attempts per window and node.
#[derive(Debug, Default)]
pub struct Throttle {
    windows: Mutex<HashMap<ThrottleKey, Window>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ThrottleKey {
    Account(String),
    Address(IpAddr),
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started_at: i64,
    failures: u32,
}

impl Window {
    fn is_over(self, now: i64) -> bool {
        now >= self.started_at.saturating_add(THROTTLE_WINDOW_MS)
    }
}

impl ThrottleKey {
    fn limit(&self) -> u32 {
        match self {
            Self::Account(_) => MAX_FAILURES,
            Self::Address(_) => MAX_FAILURES_PER_ADDRESS,
        }
    }
}

impl Throttle {
    fn keys(email: &str, client: Option<IpAddr>) -> Vec<ThrottleKey> {
        let mut keys = vec![ThrottleKey::Account(normalise_email(email))];
        keys.extend(client.map(ThrottleKey::Address));
        keys
    }

    /// Seconds until every key of this attempt may try again; `None` when none is locked.
    fn locked_for(&self, keys: &[ThrottleKey], now: i64) -> Option<u64> {
        let windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        keys.iter()
            .filter_map(|key| windows.get(key).map(|w| (key, w)))
            .filter(|(key, w)| w.failures >= key.limit() && !w.is_over(now))
            .map(|(_, w)| w)
            .map(|w| w.started_at + THROTTLE_WINDOW_MS - now)
            .max()
            .map(|ms| u64::try_from(ms).unwrap_or(0).div_ceil(1000).max(1))
    }

    fn failed(&self, keys: Vec<ThrottleKey>, now: i64) {
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if windows.len() >= THROTTLE_SWEEP_AT {
            windows.retain(|_, w| !w.is_over(now));
        }
        for key in keys {
            let window = windows.entry(key).or_insert(Window {
                started_at: now,
                failures: 0,
            });
            if window.is_over(now) {
                *window = Window {
                    started_at: now,
                    failures: 0,
                };
            }
            window.failures += 1;
        }
    }

    fn succeeded(&self, email: &str) {
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        windows.remove(&ThrottleKey::Account(normalise_email(email)));
    }
}

/// Signs in through the throttle: a locked account or address is refused before any password
/// is checked; a failure counts against both; a success clears the account's failures.
pub async fn login(
    store: &Store,
    throttle: &Throttle,
    email: &str,
    password: &Password,
    client: Option<IpAddr>,
    now: i64,
) -> Result<Admin, LoginError> {
    let keys = Throttle::keys(email, client);
    if let Some(retry_after_secs) = throttle.locked_for(&keys, now) {
        return Err(LoginError::Throttled { retry_after_secs });
    }
    match verify(store, email, password, now).await? {
        Some(admin) => {
            throttle.succeeded(email);
            Ok(admin)
        }
        None => {
            throttle.failed(keys, now);
            Err(LoginError::InvalidCredentials)
        }
    }
}

// --- sessions

/// Marks `session` as signed in by `admin`, under a fresh id so that an id planted before the
/// sign-in is worthless afterwards.
pub async fn sign_in(session: &Session, admin: &Admin) -> Result<()> {
    session.cycle_id().await.map_err(session_error)?;
    session
        .insert(SESSION_ADMIN_KEY, admin.id)
        .await
        .map_err(session_error)
}

/// Ends the session: its record is deleted and its cookie cleared.
pub async fn sign_out(session: &Session) -> Result<()> {
    session.flush().await.map_err(session_error)
}

/// The admin `session` is signed in as, if that admin still exists.
pub async fn signed_in(store: &Store, session: &Session) -> Result<Option<Admin>> {
    let id: Option<i64> = session
        .get(SESSION_ADMIN_KEY)
        .await
        .map_err(session_error)?;
    match id {
        Some(id) => find(store, id).await,
        None => Ok(None),
    }
}

fn session_error(error: tower_sessions::session::Error) -> Error {
    Error::Internal(format!("reading or writing the session: {error}"))
}

/// tower-sessions' store over our database: one row per session, JSON data, expiry in epoch
/// milliseconds. Works on both engines.
#[derive(Debug, Clone)]
pub struct DatabaseSessions {
    store: Store,
}

impl DatabaseSessions {
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

/// Deletes every session whose expiry has passed; returns how many.
pub async fn delete_expired_sessions(store: &Store, now: i64) -> Result<u64> {
    let done = sqlx::query("delete from ai_sessions where expires_at <= $1")
        .bind(now)
        .execute(store.pool())
        .await
        .context("deleting expired sessions")?;
    Ok(done.rows_affected())
}

fn expiry_ms(record: &Record) -> i64 {
    i64::try_from(record.expiry_date.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn backend(error: Error) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

impl DatabaseSessions {
    /// Runs an insert of `record` (id, data, expiry); returns the rows it wrote.
    async fn write(
        &self,
        sql: &'static str,
        record: &Record,
        context: &'static str,
    ) -> session_store::Result<u64> {
        let done = sqlx::query(sql)
            .bind(record.id.to_string())
            .bind(to_json(&record.data))
            .bind(expiry_ms(record))
            .execute(self.store.pool())
            .await
            .context(context)
            .map_err(backend)?;
        Ok(done.rows_affected())
    }
}

#[async_trait::async_trait]
impl SessionStore for DatabaseSessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A new id on the rare collision, instead of overwriting someone else's session.
        while self
            .write(
                "insert into ai_sessions (id, data, expires_at) values ($1, $2, $3)
                 on conflict (id) do nothing",
                record,
                "creating a session",
            )
            .await?
            == 0
        {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.write(
            "insert into ai_sessions (id, data, expires_at) values ($1, $2, $3)
             on conflict (id) do update set data = excluded.data, expires_at = excluded.expires_at",
            record,
            "saving a session",
        )
        .await?;
        Ok(())
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let row = sqlx::query(
            "select data, expires_at from ai_sessions where id = $1 and expires_at > $2",
        )
        .bind(session_id.to_string())
        .bind(crate::now_ms())
        .fetch_optional(self.store.pool())
        .await
        .context("loading a session")
        .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let read = |row: &AnyRow| -> Result<Record> {
            let data: String = row.try_get("data").context("reading a session")?;
            let expires_at: i64 = row.try_get("expires_at").context("reading a session")?;
            let expiry_date =
                time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(expires_at) * 1_000_000)
                    .map_err(|e| Error::Corrupt(format!("ai_sessions.expires_at: {e}")))?;
            Ok(Record {
                id: *session_id,
                data: from_json("ai_sessions.data", &data)?,
                expiry_date,
            })
        };
        read(&row).map(Some).map_err(backend)
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        sqlx::query("delete from ai_sessions where id = $1")
            .bind(session_id.to_string())
            .execute(self.store.pool())
            .await
            .context("deleting a session")
            .map_err(backend)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    #[test]
    fn passwords_never_show_in_debug_output() {
        let password = Password::new("correct horse battery staple");
        assert!(!format!("{password:?}").contains("horse"));
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(normalise_email("  Admin@Example.COM "), "admin@example.com");
        let strong = Password::new("twelve chars!");
        assert!(check("admin@localhost", &strong).is_ok());
        for bad in [
            "",
            "admin",
            "@example.com",
            "admin@",
            "a b@example.com",
            "a@b@c",
        ] {
            assert!(
                check(bad, &strong).unwrap_err().contains("email"),
                "{bad:?}"
            );
        }
        let errors = check("admin@example.com", &Password::new("short")).unwrap_err();
        assert!(errors.contains("password") && !errors.contains("email"));
    }

    #[test]
    fn five_failures_lock_a_key_until_its_window_is_over() {
        let throttle = Throttle::default();
        let keys = Throttle::keys("a@example.com", None);
        for attempt in 0..MAX_FAILURES {
            assert_eq!(throttle.locked_for(&keys, NOW), None, "attempt {attempt}");
            throttle.failed(keys.clone(), NOW);
        }
        assert_eq!(throttle.locked_for(&keys, NOW + 60_000), Some(14 * 60));
        assert_eq!(throttle.locked_for(&keys, NOW + THROTTLE_WINDOW_MS), None);
        throttle.failed(keys.clone(), NOW + THROTTLE_WINDOW_MS);
        assert_eq!(throttle.locked_for(&keys, NOW + THROTTLE_WINDOW_MS), None);
    }

    #[test]
    fn a_success_clears_the_account_but_not_the_address() {
        let throttle = Throttle::default();
        let address: IpAddr = [10, 0, 0, 7].into();
        let keys = Throttle::keys("A@example.com", Some(address));
        for _ in 0..MAX_FAILURES_PER_ADDRESS {
            throttle.failed(keys.clone(), NOW);
        }
        throttle.succeeded("a@example.com");
        let account = Throttle::keys("a@example.com", None);
        assert_eq!(throttle.locked_for(&account, NOW), None);
        let other_account_same_address = Throttle::keys("b@example.com", Some(address));
        assert!(
            throttle
                .locked_for(&other_account_same_address, NOW)
                .is_some()
        );
    }
}
