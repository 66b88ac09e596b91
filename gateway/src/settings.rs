//! Runtime settings: named JSON values edited from the console and read by the core.

use crate::error::{Result, StoreContext};
use crate::store::Store;

/// The stored JSON text of a setting, if it was ever saved.
pub async fn get(store: &Store, key: &str) -> Result<Option<String>> {
    sqlx::query_scalar("select value from ai_settings where key = $1")
        .bind(key)
        .fetch_optional(store.pool())
        .await
        .context("reading a setting")
}

/// Saves a setting, replacing any earlier value.
pub async fn put(store: &Store, key: &str, value_json: &str, now_ms: i64) -> Result<()> {
    sqlx::query(
        "insert into ai_settings (key, value, updated_at) values ($1, $2, $3)
         on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(key)
    .bind(value_json)
    .bind(now_ms)
    .execute(store.pool())
    .await
    .context("saving a setting")?;
    Ok(())
}
