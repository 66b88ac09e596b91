//! API tokens for the HTTP API: minting (`<id>|<secret>`, only the secret's sha256 is stored),
//! listing and revoking them, verifying a presented token against an in-memory set, and
//! recording when tokens were last used without a database write per request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use gateway_types::FieldErrors;
use rand::Rng;
use rand::distr::Alphanumeric;
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::{Error, Result, StoreContext, from_json, to_json};
use crate::store::Store;

/// The ability a token needs to call integrations over HTTP.
pub const INVOKE_ABILITY: &str = "ai-gateway:invoke";
/// The ability that grants every other one.
pub const ALL_ABILITIES: &str = "*";
pub const MAX_NAME_LEN: usize = 120;
const SECRET_LEN: usize = 40;

/// The columns `from_row` reads, as a macro so queries stay compile-time string literals.
macro_rules! columns {
    () => {
        "id, name, abilities, created_by, created_at, expires_at, last_used_at, revoked_at"
    };
}

/// A stored token as the console lists it. The secret is not part of it: it is shown once, at
/// creation, and only its hash is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub abilities: Vec<String>,
    pub created_by: Option<String>,
    pub created_at_ms: i64,
    pub expires_at_ms: Option<i64>,
    pub last_used_at_ms: Option<i64>,
    pub revoked_at_ms: Option<i64>,
}

impl ApiToken {
    pub fn is_expired(&self, now_ms: i64) -> bool {
        expired(self.expires_at_ms, now_ms)
    }

    pub fn can(&self, ability: &str) -> bool {
        grants(&self.abilities, ability)
    }
}

/// The token as the console lists it.
pub fn row(token: &ApiToken, now_ms: i64) -> gateway_types::TokenRow {
    let display = crate::versions::diff::display_time;
    gateway_types::TokenRow {
        id: token.id,
        name: token.name.clone(),
        abilities: token.abilities.clone(),
        created_by: token.created_by.clone(),
        created_at: display(token.created_at_ms),
        expires_at: token.expires_at_ms.map(display),
        expired: token.is_expired(now_ms),
        last_used_at: token.last_used_at_ms.map(display),
    }
}

/// When a token made now for `lifetime_days` expires; only the lifetimes the console offers
/// are accepted.
pub fn console_expiry(
    lifetime_days: Option<u32>,
    now_ms: i64,
) -> std::result::Result<Option<i64>, FieldErrors> {
    const DAY_MS: i64 = 24 * 60 * 60 * 1000;
    match lifetime_days {
        None => Ok(None),
        Some(days) if gateway_types::TOKEN_LIFETIMES_DAYS.contains(&days) => {
            Ok(Some(now_ms + i64::from(days) * DAY_MS))
        }
        Some(_) => Err(FieldErrors::single(
            "lifetime_days",
            "Choose never, 7, 30, 90 or 365 days.",
        )),
    }
}

fn expired(expires_at_ms: Option<i64>, now_ms: i64) -> bool {
    expires_at_ms.is_some_and(|at| at <= now_ms)
}

/// Exact matches only: a substring match would let `ai-gateway:invoke-x` pass for
/// `ai-gateway:invoke`.
fn grants(abilities: &[String], ability: &str) -> bool {
    abilities.iter().any(|a| a == ALL_ABILITIES || a == ability)
}

/// Mints a token. Returns the stored token and its plain text, which exists nowhere else
/// afterwards.
pub async fn create(
    store: &Store,
    name: &str,
    abilities: &[String],
    expires_at_ms: Option<i64>,
    created_by: Option<&str>,
    now: i64,
) -> Result<(ApiToken, String)> {
    let name = name.trim();
    let abilities: Vec<String> = abilities.iter().map(|a| a.trim().to_owned()).collect();
    check(name, &abilities, expires_at_ms, now).map_err(Error::Invalid)?;
    let secret = generate_secret();
    let row = sqlx::query(
        "insert into ai_api_tokens (name, secret_hash, abilities, created_by, created_at, expires_at)
         values ($1, $2, $3, $4, $5, $6)
         returning id",
    )
    .bind(name)
    .bind(hash_secret(&secret))
    .bind(to_json(&abilities))
    .bind(created_by)
    .bind(now)
    .bind(expires_at_ms)
    .fetch_one(store.pool())
    .await
    .context("inserting an API token")?;
    let id: i64 = row.try_get("id").context("reading the new token id")?;
    let token = ApiToken {
        id,
        name: name.to_owned(),
        abilities,
        created_by: created_by.map(str::to_owned),
        created_at_ms: now,
        expires_at_ms,
        last_used_at_ms: None,
        revoked_at_ms: None,
    };
    Ok((token, format!("{id}|{secret}")))
}

fn check(
    name: &str,
    abilities: &[String],
    expires_at_ms: Option<i64>,
    now: i64,
) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    let name_len = name.chars().count();
    if name_len == 0 {
        errors.add("name", "The token name is required.");
    } else if name_len > MAX_NAME_LEN {
        errors.add(
            "name",
            format!("The token name may not be longer than {MAX_NAME_LEN} characters."),
        );
    }
    if abilities.is_empty() {
        errors.add("abilities", "A token needs at least one ability.");
    } else if abilities.iter().any(String::is_empty) {
        errors.add("abilities", "Abilities may not be blank.");
    }
    if expired(expires_at_ms, now) {
        errors.add("expires_at", "The expiry must be in the future.");
    }
    errors.into_result(())
}

/// Every token, revoked ones included, newest first.
pub async fn list(store: &Store) -> Result<Vec<ApiToken>> {
    let rows = sqlx::query(concat!(
        "select ",
        columns!(),
        " from ai_api_tokens order by created_at desc, id desc"
    ))
    .fetch_all(store.pool())
    .await
    .context("listing API tokens")?;
    rows.iter().map(from_row).collect()
}

fn from_row(row: &AnyRow) -> Result<ApiToken> {
    let read = "reading an API token";
    Ok(ApiToken {
        id: row.try_get("id").context(read)?,
        name: row.try_get("name").context(read)?,
        abilities: from_json(
            "ai_api_tokens.abilities",
            &row.try_get::<String, _>("abilities").context(read)?,
        )?,
        created_by: row.try_get("created_by").context(read)?,
        created_at_ms: row.try_get("created_at").context(read)?,
        expires_at_ms: row.try_get("expires_at").context(read)?,
        last_used_at_ms: row.try_get("last_used_at").context(read)?,
        revoked_at_ms: row.try_get("revoked_at").context(read)?,
    })
}

/// Revokes a token for good; the row stays so the console can still show it.
pub async fn revoke(store: &Store, id: i64, now: i64) -> Result<()> {
    let done = sqlx::query(
        "update ai_api_tokens set revoked_at = $2 where id = $1 and revoked_at is null",
    )
    .bind(id)
    .bind(now)
    .execute(store.pool())
    .await
    .context("revoking an API token")?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound("API token"));
    }
    Ok(())
}

/// Records `(id, used_at_ms)` pairs. `last_used_at` only moves forward, so a late or repeated
/// write never hides a newer use recorded by another node.
pub async fn record_use(store: &Store, uses: &[(i64, i64)]) -> Result<()> {
    if uses.is_empty() {
        return Ok(());
    }
    let mut tx = store
        .pool()
        .begin()
        .await
        .context("starting to record token use")?;
    for &(id, used_at) in uses {
        sqlx::query(
            "update ai_api_tokens set last_used_at = $2
             where id = $1 and (last_used_at is null or last_used_at < $2)",
        )
        .bind(id)
        .bind(used_at)
        .execute(&mut *tx)
        .await
        .context("recording token use")?;
    }
    tx.commit().await.context("committing token use")?;
    Ok(())
}

fn generate_secret() -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(SECRET_LEN)
        .map(char::from)
        .collect()
}

pub(crate) fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Equality whose running time depends only on the lengths, so a wrong guess reveals nothing
/// about how much of it matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let difference = a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(difference) == 0
}

/// Why a presented token was refused; the messages are fit for a 401 body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("Missing bearer token.")]
    Missing,
    /// Malformed, unknown, wrong secret or revoked: one answer, so a caller learns nothing about
    /// which ids exist.
    #[error("Invalid token.")]
    Invalid,
    #[error("This token has expired.")]
    Expired,
}

/// A token that passed verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    pub id: i64,
    pub name: String,
    pub abilities: Vec<String>,
}

impl VerifiedToken {
    pub fn can(&self, ability: &str) -> bool {
        grants(&self.abilities, ability)
    }

    /// Who owns the conversations this token starts.
    pub fn caller_id(&self) -> String {
        format!("token:{}", self.id)
    }
}

/// Every non-revoked token, held in memory so verifying a request never waits on the database.
#[derive(Default)]
pub struct TokenSet {
    tokens: HashMap<i64, Entry>,
}

struct Entry {
    secret_hash: String,
    name: String,
    abilities: Vec<String>,
    expires_at_ms: Option<i64>,
}

/// Names the tokens but never their hashes, which would allow offline guessing if logged.
impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut ids: Vec<(&i64, &str)> = self
            .tokens
            .iter()
            .map(|(id, entry)| (id, entry.name.as_str()))
            .collect();
        ids.sort_unstable();
        f.debug_struct("TokenSet").field("tokens", &ids).finish()
    }
}

/// Reads every non-revoked token. Expired ones are kept so they can be told apart from unknown
/// ones.
pub async fn load(store: &Store) -> Result<TokenSet> {
    let rows = sqlx::query(
        "select id, name, secret_hash, abilities, expires_at from ai_api_tokens
         where revoked_at is null",
    )
    .fetch_all(store.pool())
    .await
    .context("loading API tokens")?;
    let read = "reading an API token";
    let mut tokens = HashMap::with_capacity(rows.len());
    for row in &rows {
        let entry = Entry {
            secret_hash: row.try_get("secret_hash").context(read)?,
            name: row.try_get("name").context(read)?,
            abilities: from_json(
                "ai_api_tokens.abilities",
                &row.try_get::<String, _>("abilities").context(read)?,
            )?,
            expires_at_ms: row.try_get("expires_at").context(read)?,
        };
        tokens.insert(row.try_get("id").context(read)?, entry);
    }
    Ok(TokenSet { tokens })
}

impl TokenSet {
    /// Checks a presented `<id>|<secret>` (without any `Bearer ` prefix). The secret is checked
    /// before the expiry, so only its holder learns that a token expired.
    pub fn verify(&self, presented: &str, now_ms: i64) -> Result<VerifiedToken, TokenError> {
        if presented.is_empty() {
            return Err(TokenError::Missing);
        }
        let (id, secret) = presented.split_once('|').ok_or(TokenError::Invalid)?;
        let id: i64 = id.parse().map_err(|_| TokenError::Invalid)?;
        let entry = self.tokens.get(&id).ok_or(TokenError::Invalid)?;
        if !constant_time_eq(hash_secret(secret).as_bytes(), entry.secret_hash.as_bytes()) {
            return Err(TokenError::Invalid);
        }
        if expired(entry.expires_at_ms, now_ms) {
            return Err(TokenError::Expired);
        }
        Ok(VerifiedToken {
            id,
            name: entry.name.clone(),
            abilities: entry.abilities.clone(),
        })
    }
}

/// Remembers when tokens were used and writes that in batches: one `flush` every few seconds
/// instead of one write per request. Cheap to clone; clones share the pending uses.
#[derive(Debug, Clone, Default)]
pub struct UsageTracker {
    pending: Arc<Mutex<HashMap<i64, i64>>>,
}

impl UsageTracker {
    pub fn touch(&self, id: i64, now_ms: i64) {
        merge_latest(&mut self.lock(), id, now_ms);
    }

    /// Writes every pending use and returns how many tokens it covered. On failure the uses are
    /// kept for the next flush.
    pub async fn flush(&self, store: &Store) -> Result<usize> {
        let pending = std::mem::take(&mut *self.lock());
        if pending.is_empty() {
            return Ok(0);
        }
        let uses: Vec<(i64, i64)> = pending.into_iter().collect();
        if let Err(e) = record_use(store, &uses).await {
            let mut kept = self.lock();
            for (id, used_at) in uses {
                merge_latest(&mut kept, id, used_at);
            }
            return Err(e);
        }
        Ok(uses.len())
    }

    /// A panic elsewhere while holding the lock leaves a map that is still valid, so poisoning
    /// is ignored rather than turned into a failed request.
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, i64>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn merge_latest(uses: &mut HashMap<i64, i64>, id: i64, used_at: i64) {
    uses.entry(id)
        .and_modify(|latest| *latest = (*latest).max(used_at))
        .or_insert(used_at);
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    fn set_with(id: i64, secret: &str, expires_at_ms: Option<i64>) -> TokenSet {
        let entry = Entry {
            secret_hash: hash_secret(secret),
            name: "n8n production".to_owned(),
            abilities: vec![INVOKE_ABILITY.to_owned()],
            expires_at_ms,
        };
        TokenSet {
            tokens: HashMap::from([(id, entry)]),
        }
    }

    #[test]
    fn a_generated_secret_is_forty_alphanumerics_and_differs_each_time() {
        let a = generate_secret();
        assert_eq!(a.len(), SECRET_LEN);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, generate_secret());
    }

    #[test]
    fn the_stored_hash_is_sha256_hex_of_the_secret() {
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn constant_time_eq_matches_only_identical_bytes() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(constant_time_eq(b"", b""));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(!constant_time_eq(b"xbc", b"abc"));
    }

    #[test]
    fn the_star_ability_grants_everything_and_others_need_an_exact_match() {
        let star = VerifiedToken {
            id: 1,
            name: "all".to_owned(),
            abilities: vec![ALL_ABILITIES.to_owned()],
        };
        assert!(star.can(INVOKE_ABILITY));
        assert!(star.can("anything"));
        let invoke = VerifiedToken {
            abilities: vec![format!("{INVOKE_ABILITY}-x")],
            ..star
        };
        assert!(!invoke.can(INVOKE_ABILITY));
        assert!(invoke.can("ai-gateway:invoke-x"));
        assert_eq!(invoke.caller_id(), "token:1");
    }

    #[test]
    fn a_stored_token_knows_its_expiry_and_abilities() {
        let token = ApiToken {
            id: 3,
            name: "ci".to_owned(),
            abilities: vec![INVOKE_ABILITY.to_owned()],
            created_by: None,
            created_at_ms: NOW,
            expires_at_ms: Some(NOW + 1),
            last_used_at_ms: None,
            revoked_at_ms: None,
        };
        assert!(!token.is_expired(NOW));
        assert!(token.is_expired(NOW + 1));
        assert!(token.can(INVOKE_ABILITY));
        assert!(!token.can("admin"));
    }

    #[test]
    fn the_right_secret_verifies_with_the_tokens_identity() {
        let set = set_with(7, "s3cret", None);
        let verified = set.verify("7|s3cret", NOW).unwrap();
        assert_eq!(verified.id, 7);
        assert_eq!(verified.name, "n8n production");
        assert!(verified.can(INVOKE_ABILITY));
    }

    #[test]
    fn malformed_unknown_and_wrong_tokens_are_all_just_invalid() {
        let set = set_with(7, "s3cret", None);
        assert_eq!(set.verify("", NOW), Err(TokenError::Missing));
        for presented in [
            "s3cret",
            "7s3cret",
            "x|s3cret",
            "|s3cret",
            "7|",
            "7|s3creT",
            "8|s3cret",
            "Bearer 7|s3cret",
            "7|s3cret|",
        ] {
            assert_eq!(
                set.verify(presented, NOW),
                Err(TokenError::Invalid),
                "{presented}"
            );
        }
    }

    #[test]
    fn an_expired_token_is_told_apart_but_only_with_the_right_secret() {
        let set = set_with(7, "s3cret", Some(NOW));
        assert_eq!(set.verify("7|s3cret", NOW), Err(TokenError::Expired));
        assert_eq!(set.verify("7|wrong", NOW), Err(TokenError::Invalid));
        assert!(set.verify("7|s3cret", NOW - 1).is_ok());
    }

    #[test]
    fn the_refusals_read_well_in_a_401_body() {
        assert_eq!(TokenError::Missing.to_string(), "Missing bearer token.");
        assert_eq!(TokenError::Invalid.to_string(), "Invalid token.");
        assert_eq!(TokenError::Expired.to_string(), "This token has expired.");
    }

    #[test]
    fn a_token_sets_debug_output_never_shows_a_hash() {
        let set = set_with(7, "s3cret", None);
        let debug = format!("{set:?}");
        assert!(debug.contains("n8n production"), "{debug}");
        assert!(!debug.contains(&hash_secret("s3cret")), "{debug}");
        assert!(!debug.contains("s3cret"), "{debug}");
    }

    #[test]
    fn touching_a_token_keeps_only_its_latest_use() {
        let tracker = UsageTracker::default();
        tracker.touch(1, 20);
        tracker.touch(1, 10);
        tracker.touch(2, 5);
        let pending = tracker.lock().clone();
        assert_eq!(pending, HashMap::from([(1, 20), (2, 5)]));
    }

    #[test]
    fn creation_rules_are_reported_per_field() {
        let errors = check("", &[], Some(NOW), NOW).unwrap_err();
        assert!(errors.contains("name"));
        assert!(errors.contains("abilities"));
        assert!(errors.contains("expires_at"));
        let long = "x".repeat(MAX_NAME_LEN + 1);
        let errors = check(&long, &[String::new()], None, NOW).unwrap_err();
        assert!(errors.contains("name"));
        assert!(errors.contains("abilities"));
        let fine = "x".repeat(MAX_NAME_LEN);
        assert!(check(&fine, &[INVOKE_ABILITY.to_owned()], Some(NOW + 1), NOW).is_ok());
    }
}
