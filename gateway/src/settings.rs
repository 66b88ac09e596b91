//! Runtime settings: deployment defaults from configuration, overridden by values admins save
//! from the console. Stored one JSON value per key; read by the core from the snapshot.

use gateway_types::NanoUsd;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::error::{Result, StoreContext};
use crate::store::Store;

/// The key whose value changes on every configuration write, so other nodes know to reload.
pub(crate) const CONFIG_EPOCH: &str = "config_epoch";

/// Everything an admin can change at runtime, with its effective value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// The public API (and its docs) answer only while this is on.
    pub api_enabled: bool,
    pub prompt_builder_enabled: bool,
    /// The helper model behind "Draft with AI".
    pub prompt_builder_model: String,
    /// Idle minutes before a conversation expires, for integrations that leave it blank.
    pub conversation_ttl_minutes: u32,
    /// For integrations that leave their rate limit blank; `None` means unlimited.
    pub default_rate_limit_per_minute: Option<u32>,
    /// For integrations that leave their daily cap blank; `None` means uncapped.
    pub default_daily_cap: Option<NanoUsd>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            api_enabled: true,
            prompt_builder_enabled: true,
            prompt_builder_model: "anthropic/claude-haiku-4.5".to_owned(),
            conversation_ttl_minutes: 2880,
            default_rate_limit_per_minute: None,
            default_daily_cap: None,
        }
    }
}

/// The defaults overlaid with every stored value; a stored value that no longer parses (say,
/// after a type change) is ignored in favour of the default.
pub async fn load(store: &Store, defaults: &Settings) -> Result<Settings> {
    let rows = sqlx::query("select key, value from ai_settings")
        .fetch_all(store.pool())
        .await
        .context("reading settings")?;
    let mut merged = serde_json::to_value(defaults).unwrap_or_default();
    if let Some(object) = merged.as_object_mut() {
        for row in rows {
            let key: String = row.try_get("key").context("reading a setting")?;
            let value: String = row.try_get("value").context("reading a setting")?;
            if let (Some(slot), Ok(value)) = (object.get_mut(&key), serde_json::from_str(&value)) {
                *slot = value;
            }
        }
    }
    Ok(serde_json::from_value(merged).unwrap_or_else(|_| defaults.clone()))
}

/// Saves every setting (one row per key) in one transaction.
pub async fn save(store: &Store, settings: &Settings, now_ms: i64) -> Result<()> {
    let serde_json::Value::Object(values) = serde_json::to_value(settings).unwrap_or_default()
    else {
        return Ok(());
    };
    let mut tx = store
        .pool()
        .begin()
        .await
        .context("starting to save settings")?;
    for (key, value) in values {
        upsert(&mut *tx, &key, &value.to_string(), now_ms).await?;
    }
    tx.commit().await.context("committing settings")?;
    Ok(())
}

/// The stored JSON text of a setting, if it was ever saved.
pub async fn get(store: &Store, key: &str) -> Result<Option<String>> {
    sqlx::query_scalar("select value from ai_settings where key = $1")
        .bind(key)
        .fetch_optional(store.pool())
        .await
        .context("reading a setting")
}

/// Saves one setting, replacing any earlier value.
pub async fn put(store: &Store, key: &str, value_json: &str, now_ms: i64) -> Result<()> {
    upsert(store.pool(), key, value_json, now_ms).await
}

async fn upsert<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    key: &str,
    value_json: &str,
    now_ms: i64,
) -> Result<()> {
    sqlx::query(
        "insert into ai_settings (key, value, updated_at) values ($1, $2, $3)
         on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(key)
    .bind(value_json)
    .bind(now_ms)
    .execute(executor)
    .await
    .context("saving a setting")?;
    Ok(())
}
