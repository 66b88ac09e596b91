//! Console administrators: creating and deleting accounts, signing in through the throttle
//! ([`throttle`]) with a bounded number of password checks at once ([`passwords`]), the admin a
//! session belongs to, and the database-backed store tower-sessions keeps console sessions in
//! (ids stored hashed). Cookies, CSRF and HTTP belong to the server, not here.

mod passwords;
mod throttle;

use std::future::Future;
use std::net::IpAddr;

pub use gateway_types::Password;
use gateway_types::{Admin, FieldErrors};
use sqlx::Row;
use sqlx::any::AnyRow;
use tower_sessions::session::{Id, Record};
use tower_sessions::{Session, SessionStore, session_store};

use self::passwords::Slot;
pub use self::passwords::{CHECK_SLOT_WAIT, MAX_CONCURRENT_CHECKS};
pub use self::throttle::{
    MAX_FAILURES, MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ADDRESS, THROTTLE_WINDOW_MS,
};
use crate::error::{Error, Result, StoreContext, from_json, to_json};
use crate::store::Store;

pub const MIN_PASSWORD_LEN: usize = 12;
/// Bounds the work one sign-in attempt can cause; long enough for any passphrase.
pub const MAX_PASSWORD_LEN: usize = 1024;
const MAX_EMAIL_LEN: usize = 254;
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
    /// More sign-ins at once than the server checks in parallel; nothing was counted.
    #[error("Too many sign-ins at once. Try again in {retry_after_secs} seconds.")]
    Busy { retry_after_secs: u64 },
    #[error(transparent)]
    Internal(#[from] Error),
}

/// Creates an admin. The email is trimmed and lower-cased; a taken email is a `Conflict` on the
/// `email` field, a short password an `Invalid` one on `password`.
pub async fn create(store: &Store, email: &str, password: &Password, now: i64) -> Result<Admin> {
    let email = normalise_email(email);
    check(&email, password).map_err(Error::Invalid)?;
    let hash = passwords::hash(password.clone()).await?;
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

/// Trimmed, lower-cased and storable (a NUL, which PostgreSQL refuses in text, becomes U+FFFD):
/// every lookup of an account goes through here, so odd bytes are an unknown account, never a
/// database error.
fn normalise_email(email: &str) -> String {
    crate::store::storable(email.trim()).to_lowercase()
}

fn check(email: &str, password: &Password) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    let valid_email = email.len() <= MAX_EMAIL_LEN
        // U+FFFD is what a NUL became in `normalise_email`; no address holds one.
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == char::REPLACEMENT_CHARACTER)
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

/// Deletes the admin with this email; its sessions go with it (the foreign key cascades), and
/// its id is never given to another admin.
pub async fn delete(store: &Store, email: &str) -> Result<Admin> {
    let row = sqlx::query("delete from ai_admin_users where email = $1 returning id, email")
        .bind(normalise_email(email))
        .fetch_optional(store.pool())
        .await
        .context("deleting an admin")?;
    row.as_ref()
        .map(admin_from_row)
        .transpose()?
        .ok_or(Error::NotFound("admin"))
}

/// What checking credentials found.
enum Checked<T> {
    Right(T),
    Wrong,
}

/// Signs in through the throttle: the attempt is counted for the account from this address,
/// the account and the address before the password is checked, and refused when any of them
/// is at its limit; a success takes the count back.
pub async fn login(
    store: &Store,
    email: &str,
    password: &Password,
    client: Option<IpAddr>,
    now: i64,
) -> Result<Admin, LoginError> {
    let email = normalise_email(email);
    throttled(store, &email, client, now, |slot| {
        check_password(store, &email, password, now, slot)
    })
    .await
}

/// Counts a check of credentials the caller compared itself (the API docs' Basic auth, where
/// `account` is its user name) through the same throttle as sign-ins; `right` is what the
/// comparison found. Once the throttle locks, right credentials are refused too, so answers
/// stop telling right from wrong.
pub async fn check_credentials(
    store: &Store,
    account: &str,
    right: bool,
    client: Option<IpAddr>,
    now: i64,
) -> Result<(), LoginError> {
    let checked = if right {
        Checked::Right(())
    } else {
        Checked::Wrong
    };
    throttled(store, &normalise_email(account), client, now, |_| {
        std::future::ready(Ok(checked))
    })
    .await
}

/// Takes a slot (or refuses as busy), counts the attempt, runs `check` and settles the count.
async fn throttled<T, F>(
    store: &Store,
    account: &str,
    client: Option<IpAddr>,
    now: i64,
    check: impl FnOnce(Slot) -> F,
) -> Result<T, LoginError>
where
    F: Future<Output = Result<Checked<T>>>,
{
    let Some(slot) = passwords::slot(CHECK_SLOT_WAIT).await? else {
        return Err(LoginError::Busy {
            retry_after_secs: CHECK_SLOT_WAIT.as_secs(),
        });
    };
    let attempt = throttle::Attempt::new(account, client);
    let reservation = match throttle::reserve(store, attempt, now).await? {
        Ok(reservation) => reservation,
        Err(retry_after_secs) => return Err(LoginError::Throttled { retry_after_secs }),
    };
    match check(Slot::clone(&slot)).await {
        Ok(Checked::Right(value)) => {
            reservation.succeeded(store).await?;
            Ok(value)
        }
        // Stays counted, as does an attempt whose client went away while it was checked.
        Ok(Checked::Wrong) => Err(LoginError::InvalidCredentials),
        Err(error) => {
            if let Err(refund) = reservation.refund(store).await {
                tracing::warn!(error = %refund, "taking back an undecided sign-in attempt failed");
            }
            Err(error.into())
        }
    }
}

/// Checks an email and password against the stored hash. Unknown emails cost one verification
/// too, so timing does not tell them apart from wrong passwords.
async fn check_password(
    store: &Store,
    email: &str,
    password: &Password,
    now: i64,
    slot: Slot,
) -> Result<Checked<Admin>> {
    let row = sqlx::query("select id, email, password_hash from ai_admin_users where email = $1")
        .bind(email)
        .fetch_optional(store.pool())
        .await
        .context("finding an admin to sign in")?;
    let stored: Option<String> = row
        .as_ref()
        .map(|row| row.try_get("password_hash"))
        .transpose()
        .context("reading an admin")?;
    let right = passwords::verify(slot, password.clone(), stored).await?;
    let admin = match row {
        Some(row) if right => admin_from_row(&row)?,
        _ => return Ok(Checked::Wrong),
    };
    sqlx::query("update ai_admin_users set last_login_at = $2 where id = $1")
        .bind(admin.id)
        .bind(now)
        .execute(store.pool())
        .await
        .context("recording a sign-in")?;
    Ok(Checked::Right(admin))
}

/// Forgets the failed sign-ins counted for `email` (from every address and in total); for the
/// API docs' Basic auth, pass its user name. Returns how many counts were cleared.
pub async fn unlock_account(store: &Store, email: &str) -> Result<u64> {
    throttle::unlock_account(store, &normalise_email(email)).await
}

/// Forgets the failed sign-ins counted for a client address (IPv6: its /64 network).
pub async fn unlock_address(store: &Store, address: IpAddr) -> Result<u64> {
    throttle::unlock_address(store, address).await
}

/// Deletes the sign-in counts whose window is over; returns how many.
pub async fn delete_expired_throttle(store: &Store, now: i64) -> Result<u64> {
    throttle::sweep(store, now).await
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

/// tower-sessions' store over our database: one row per session under the SHA-256 of its id,
/// with the signed-in admin's id (so that deleting the admin deletes the row), JSON data and
/// the expiry in epoch milliseconds. Works on both engines.
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

/// What a session row is stored under: whoever reads the table learns no cookie.
fn id_hash(id: &Id) -> String {
    crate::tokens::hash_secret(&id.to_string())
}

fn expiry_ms(record: &Record) -> i64 {
    i64::try_from(record.expiry_date.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn backend(error: Error) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

impl DatabaseSessions {
    /// Runs `sql` with the record's id hash, admin, data and expiry; returns the rows it wrote.
    async fn write(
        &self,
        sql: &'static str,
        record: &Record,
        context: &'static str,
    ) -> session_store::Result<u64> {
        let admin_id = record
            .data
            .get(SESSION_ADMIN_KEY)
            .and_then(serde_json::Value::as_i64);
        let done = sqlx::query(sql)
            .bind(id_hash(&record.id))
            .bind(admin_id)
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
                "insert into ai_sessions (id_hash, admin_id, data, expires_at)
                 values ($1, $2, $3, $4)
                 on conflict (id_hash) do nothing",
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

    /// Updates the session if it still exists: a request that was in flight when its session
    /// was signed out (or its admin deleted) must not write the session back.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.write(
            "update ai_sessions set admin_id = $2, data = $3, expires_at = $4 where id_hash = $1",
            record,
            "saving a session",
        )
        .await?;
        Ok(())
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let row = sqlx::query(
            "select data, expires_at from ai_sessions where id_hash = $1 and expires_at > $2",
        )
        .bind(id_hash(session_id))
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
        sqlx::query("delete from ai_sessions where id_hash = $1")
            .bind(id_hash(session_id))
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
}
