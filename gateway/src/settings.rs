//! Runtime settings: deployment defaults from configuration, overridden by values admins save
//! from the console. Stored one JSON value per key; read by the core from the snapshot.

use gateway_types::FieldErrors;
pub use gateway_types::Settings;
use sqlx::Row;

use crate::error::{Result, StoreContext};
use crate::store::Store;

/// The key whose value changes on every configuration write, so other nodes know to reload.
pub(crate) const CONFIG_EPOCH: &str = "config_epoch";

/// A year: threads idle longer than this are not conversations any more.
const MAX_CONVERSATION_TTL_MINUTES: u32 = 525_600;

/// What is wrong with settings an admin wants to save, keyed by field.
pub fn check(settings: &Settings) -> std::result::Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    let model = settings.prompt_builder_model.trim();
    if model.is_empty() {
        errors.add(
            "prompt_builder_model",
            "Choose the model that drafts prompts.",
        );
    } else if model != settings.prompt_builder_model {
        errors.add(
            "prompt_builder_model",
            "A model id may not be padded with spaces.",
        );
    }
    if !(1..=MAX_CONVERSATION_TTL_MINUTES).contains(&settings.conversation_ttl_minutes) {
        errors.add(
            "conversation_ttl_minutes",
            format!("Between 1 and {MAX_CONVERSATION_TTL_MINUTES} minutes (a year)."),
        );
    }
    if settings.default_rate_limit_per_minute == Some(0) {
        errors.add(
            "default_rate_limit_per_minute",
            "At least 1 call per minute; leave it empty for no limit.",
        );
    }
    if settings
        .default_daily_cap
        .is_some_and(|cap| cap == gateway_types::NanoUsd::ZERO)
    {
        errors.add("default_daily_cap", "Above $0; leave it empty for no cap.");
    }
    errors.into_result(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_out_of_range_are_refused_by_field() {
        assert_eq!(check(&Settings::default()), Ok(()));
        let bad = Settings {
            prompt_builder_model: " ".to_owned(),
            conversation_ttl_minutes: 0,
            default_rate_limit_per_minute: Some(0),
            default_daily_cap: Some(gateway_types::NanoUsd::ZERO),
            ..Settings::default()
        };
        let errors = check(&bad).unwrap_err();
        let fields: Vec<&str> = errors.0.keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            [
                "conversation_ttl_minutes",
                "default_daily_cap",
                "default_rate_limit_per_minute",
                "prompt_builder_model"
            ]
        );
    }
}
