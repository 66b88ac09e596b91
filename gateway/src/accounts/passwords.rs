//! Password hashing with bounded memory: argon2id runs on blocking threads, at most
//! [`MAX_CONCURRENT_CHECKS`] at once, and verifications reuse a fixed set of memory areas
//! instead of allocating 19 MiB each time. Throttling and the admin table are not here.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use gateway_types::Password;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::error::{Error, Result};

/// Credential checks (a sign-in from counting to settling, a docs password) and password hashes
/// running at once in this process. One argon2id computation works in about 19 MiB, so this
/// bounds the memory sign-ins take however many arrive, and the database connections they hold.
pub const MAX_CONCURRENT_CHECKS: usize = 4;
/// How long a credential check waits for one of those slots before it is refused as busy (429,
/// nothing counted); a waiting attempt holds nothing but its request.
pub const CHECK_SLOT_WAIT: Duration = Duration::from_secs(5);

/// The slots credential checks and password hashing run in.
static SLOTS: Semaphore = Semaphore::const_new(MAX_CONCURRENT_CHECKS);

/// Memory areas verifications worked in, kept for the next one. Allocating a fresh 19 MiB area
/// per verification grows the process without bound under glibc: the 64-byte-aligned block no
/// longer fits in the space the previous one left, so the freed space is never reused. Only
/// slot holders take an area, so there are never more than [`MAX_CONCURRENT_CHECKS`].
static AREAS: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// A slot of [`SLOTS`], shared by a credential check and the blocking thread hashing for it: it
/// is free again once both are done, so a client that goes away mid-hash frees nothing early.
pub(super) type Slot = Arc<SemaphorePermit<'static>>;

/// A slot, or `None` when none came free within `patience`.
pub(super) async fn slot(patience: Duration) -> Result<Option<Slot>> {
    match tokio::time::timeout(patience, SLOTS.acquire()).await {
        Ok(permit) => Ok(Some(Arc::new(permit.map_err(closed)?))),
        Err(_) => Ok(None),
    }
}

fn closed(error: tokio::sync::AcquireError) -> Error {
    Error::Internal(format!("waiting for a credential check slot: {error}"))
}

/// A new admin's argon2id hash with the crate's recommended cost; waits for a slot however long
/// it takes (operators, not strangers, create admins).
pub(super) async fn hash(password: Password) -> Result<String> {
    let slot = Arc::new(SLOTS.acquire().await.map_err(closed)?);
    on_hash_thread(slot, move || hash_now(&password)).await
}

/// Whether `password` matches `stored`; without a stored hash (an unknown email) it is checked
/// against a decoy, so the work is the same either way.
pub(super) async fn verify(slot: Slot, password: Password, stored: Option<String>) -> Result<bool> {
    on_hash_thread(slot, move || {
        let stored = match &stored {
            Some(stored) => stored,
            None => decoy_hash()?,
        };
        verify_now(&password, stored)
    })
    .await
}

/// Runs `work` on a blocking thread (one hash takes tens of milliseconds of CPU, which would
/// stall every request sharing the runtime's worker) that holds `slot` until it is done.
async fn on_hash_thread<T: Send + 'static>(
    slot: Slot,
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        work()
    })
    .await
    .map_err(|e| Error::Internal(format!("password hashing task failed: {e}")))?
}

fn hash_now(password: &Password) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| Error::Internal(format!("hashing a password: {e}")))
}

/// What the crate's `verify_password` does, in a reused memory area.
fn verify_now(password: &Password, stored: &str) -> Result<bool> {
    let corrupt =
        |e: &dyn std::fmt::Display| Error::Corrupt(format!("ai_admin_users.password_hash: {e}"));
    let parsed = PasswordHash::new(stored).map_err(|e| corrupt(&e))?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(corrupt(&"no salt or no hash"));
    };
    let algorithm = Algorithm::try_from(parsed.algorithm).map_err(|e| corrupt(&e))?;
    let version = parsed
        .version
        .map(Version::try_from)
        .transpose()
        .map_err(|e| corrupt(&e))?
        .unwrap_or_default();
    let params = Params::try_from(&parsed).map_err(|e| corrupt(&e))?;
    let mut salt_bytes = [0; 64];
    let salt = salt.decode_b64(&mut salt_bytes).map_err(|e| corrupt(&e))?;
    let blocks = params.block_count();
    let mut computed = vec![0; expected.len()];
    in_area(blocks, |area| {
        Argon2::new(algorithm, version, params).hash_password_into_with_memory(
            password.expose().as_bytes(),
            salt,
            &mut computed,
            area,
        )
    })
    .map_err(|e| corrupt(&e))?;
    // `Output`'s equality takes the same time wherever the bytes differ.
    Ok(Output::new(&computed).map_err(|e| corrupt(&e))? == expected)
}

/// Runs `work` in a memory area of at least `blocks` blocks, taken from [`AREAS`] and put back.
fn in_area<T>(blocks: usize, work: impl FnOnce(&mut [Block]) -> T) -> T {
    let taken = AREAS.lock().unwrap_or_else(PoisonError::into_inner).pop();
    let mut area = taken.unwrap_or_default();
    if area.len() < blocks {
        area.resize(blocks, Block::default());
    }
    let done = work(&mut area);
    AREAS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(area);
    done
}

/// A hash of a random password, computed once (in the slot of the first unknown email).
fn decoy_hash() -> Result<&'static str> {
    static DECOY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DECOY.get() {
        return Ok(hash);
    }
    let hash = hash_now(&Password::new(uuid::Uuid::new_v4().to_string()))?;
    Ok(DECOY.get_or_init(|| hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verification_in_a_reused_area_agrees_with_the_hash() {
        let password = Password::new("correct horse battery staple");
        let stored = hash_now(&password).unwrap();
        for _ in 0..2 {
            assert!(verify_now(&password, &stored).unwrap());
            assert!(!verify_now(&Password::new("correct horse battery stapler"), &stored).unwrap());
        }
        assert!(matches!(
            verify_now(&password, "not a hash"),
            Err(Error::Corrupt(_))
        ));
    }
}
