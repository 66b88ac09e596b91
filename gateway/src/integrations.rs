//! Integrations: the registry of named AI use cases, the rules their fields follow, and their
//! rows. Versions (the prompt and model setup) live in `versions`.

use gateway_types::{
    FieldErrors, Integration, IntegrationFields, MAX_CAPTURE_RETENTION_DAYS, NanoUsd, Version,
    VersionDraft, Visibility,
};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row, Transaction};

use crate::error::{Error, Result, StoreContext};
use crate::store::Store;
use crate::versions;

pub const MAX_SLUG_LEN: usize = 64;
pub const MAX_NAME_LEN: usize = 120;
pub const MAX_DESCRIPTION_LEN: usize = 2000;

/// The columns `from_row` reads, as a macro so queries stay compile-time string literals.
macro_rules! columns {
    () => {
        "id, slug, name, description, is_active, visibility, is_conversational, \
         conversation_ttl_minutes, rate_limit_per_minute, daily_cap_nanos, supports_vision, \
         supports_tools, allow_system_messages, capture_exchanges, capture_retention_days, \
         created_by, updated_by, created_at, updated_at"
    };
}

/// `^[a-z][a-z0-9_-]*$`, at most 64 characters.
pub fn is_valid_slug(slug: &str) -> bool {
    let mut chars = slug.chars();
    slug.len() <= MAX_SLUG_LEN
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// Every rule the registry fields follow, reported per field.
pub fn check_fields(fields: &IntegrationFields) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    crate::store::refuse_nul(&mut errors, "name", &fields.name);
    if let Some(description) = &fields.description {
        crate::store::refuse_nul(&mut errors, "description", description);
    }
    if fields.slug.is_empty() {
        errors.add("slug", "The slug is required.");
    } else if fields.slug.len() > MAX_SLUG_LEN {
        errors.add(
            "slug",
            format!("The slug may not be longer than {MAX_SLUG_LEN} characters."),
        );
    } else if !is_valid_slug(&fields.slug) {
        errors.add(
            "slug",
            "The slug must start with a lowercase letter and contain only lowercase letters, digits, - and _.",
        );
    }
    let name_len = fields.name.trim().chars().count();
    if name_len == 0 {
        errors.add("name", "The name is required.");
    } else if name_len > MAX_NAME_LEN {
        errors.add(
            "name",
            format!("The name may not be longer than {MAX_NAME_LEN} characters."),
        );
    }
    if fields
        .description
        .as_deref()
        .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_LEN)
    {
        errors.add(
            "description",
            format!("The description may not be longer than {MAX_DESCRIPTION_LEN} characters."),
        );
    }
    if fields.conversation_ttl_minutes == Some(0) {
        errors.add(
            "conversation_ttl_minutes",
            "Must be at least 1 minute (leave blank for the default).",
        );
    }
    if fields.rate_limit_per_minute == Some(0) {
        errors.add(
            "rate_limit_per_minute",
            "Must be at least 1 call per minute (leave blank for the default).",
        );
    }
    if fields.daily_cap.is_some_and(|cap| cap <= NanoUsd::ZERO) {
        errors.add(
            "daily_cap",
            "Must be more than $0 (leave blank for the default).",
        );
    }
    if !(1..=MAX_CAPTURE_RETENTION_DAYS).contains(&fields.capture_retention_days) {
        errors.add(
            "capture_retention_days",
            format!("Must be between 1 and {MAX_CAPTURE_RETENTION_DAYS} days."),
        );
    }
    errors.into_result(())
}

/// Creates an integration and its first, active version in one transaction.
pub async fn create(
    store: &Store,
    fields: &IntegrationFields,
    draft: &VersionDraft,
    author: Option<&str>,
    now: i64,
) -> Result<(Integration, Version)> {
    let mut errors = check_fields(fields).err().unwrap_or_default();
    if let Err(draft_errors) = versions::check_draft(draft) {
        errors.0.extend(draft_errors.0);
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let mut tx = store
        .pool()
        .begin()
        .await
        .context("starting to create an integration")?;
    let version = insert(&mut tx, fields, draft, author, now).await?;
    tx.commit().await.context("committing a new integration")?;
    let integration = get(store, version.integration_id).await?;
    Ok((integration, version))
}

/// Inserts an integration with `draft` as its active version 1, within the caller's
/// transaction. The caller has checked both.
pub(crate) async fn insert(
    tx: &mut Transaction<'_, Any>,
    fields: &IntegrationFields,
    draft: &VersionDraft,
    author: Option<&str>,
    now: i64,
) -> Result<Version> {
    let insert = sqlx::query(
        "insert into ai_integrations (slug, name, description, is_active, visibility, is_conversational,
             conversation_ttl_minutes, rate_limit_per_minute, daily_cap_nanos, supports_vision,
             supports_tools, allow_system_messages, capture_exchanges, capture_retention_days,
             created_by, updated_by, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16, $16)
         returning id",
    )
    .bind(&fields.slug);
    let inserted = bind_fields(insert, fields, author, now)
        .fetch_one(&mut **tx)
        .await
        .context("inserting an integration")
        .map_err(|e| taken_slug(e, &fields.slug))?;
    let id: i64 = inserted
        .try_get("id")
        .context("reading the new integration id")?;
    let version = versions::insert(tx, id, 1, draft, author, now).await?;
    versions::make_active(tx, id, version.id).await?;
    Ok(Version {
        active: true,
        ..version
    })
}

/// Replaces the registry fields. The slug is fixed after creation: callers address integrations
/// by it, so changing it would break them silently.
pub async fn update(
    store: &Store,
    id: i64,
    fields: &IntegrationFields,
    author: Option<&str>,
    now: i64,
) -> Result<Integration> {
    check_fields(fields).map_err(Error::Invalid)?;
    let current = get(store, id).await?;
    if current.fields.slug != fields.slug {
        return Err(Error::invalid(
            "slug",
            "The slug cannot change after creation.",
        ));
    }
    let mut connection = store
        .pool()
        .acquire()
        .await
        .context("connecting to update an integration")?;
    write_fields(&mut connection, id, fields, author, now).await?;
    get(store, id).await
}

/// Writes every registry field but the slug, on a connection or within a transaction. The
/// caller has checked them.
pub(crate) async fn write_fields(
    connection: &mut AnyConnection,
    id: i64,
    fields: &IntegrationFields,
    author: Option<&str>,
    now: i64,
) -> Result<()> {
    let update = sqlx::query(
        "update ai_integrations set name = $2, description = $3, is_active = $4, visibility = $5,
             is_conversational = $6, conversation_ttl_minutes = $7, rate_limit_per_minute = $8,
             daily_cap_nanos = $9, supports_vision = $10, supports_tools = $11,
             allow_system_messages = $12, capture_exchanges = $13, capture_retention_days = $14,
             updated_by = $15, updated_at = $16
         where id = $1 and deleted_at is null",
    )
    .bind(id);
    bind_fields(update, fields, author, now)
        .execute(connection)
        .await
        .context("updating an integration")?;
    Ok(())
}

pub async fn set_active(
    store: &Store,
    id: i64,
    active: bool,
    author: Option<&str>,
    now: i64,
) -> Result<()> {
    let done = sqlx::query(
        "update ai_integrations set is_active = $2, updated_by = $3, updated_at = $4
         where id = $1 and deleted_at is null",
    )
    .bind(id)
    .bind(active)
    .bind(author)
    .bind(now)
    .execute(store.pool())
    .await
    .context("switching an integration on or off")?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound("integration"));
    }
    Ok(())
}

/// Deletes integrations: they leave the registry (freeing their slugs) while their versions,
/// invocations and conversations stay readable. Returns how many were deleted.
pub async fn delete(store: &Store, ids: &[i64], now: i64) -> Result<u64> {
    let mut tx = store
        .pool()
        .begin()
        .await
        .context("starting to delete integrations")?;
    let mut deleted = 0;
    for id in ids {
        let done = sqlx::query(
            "update ai_integrations set deleted_at = $2 where id = $1 and deleted_at is null",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .context("deleting an integration")?;
        deleted += done.rows_affected();
    }
    tx.commit().await.context("committing deletions")?;
    Ok(deleted)
}

pub async fn get(store: &Store, id: i64) -> Result<Integration> {
    let row = sqlx::query(concat!(
        "select ",
        columns!(),
        " from ai_integrations where id = $1 and deleted_at is null"
    ))
    .bind(id)
    .fetch_optional(store.pool())
    .await
    .context("reading an integration")?
    .ok_or(Error::NotFound("integration"))?;
    from_row(&row)
}

pub async fn find_by_slug(store: &Store, slug: &str) -> Result<Option<Integration>> {
    let row = sqlx::query(concat!(
        "select ",
        columns!(),
        " from ai_integrations where slug = $1 and deleted_at is null"
    ))
    .bind(slug)
    .fetch_optional(store.pool())
    .await
    .context("looking up an integration by slug")?;
    row.as_ref().map(from_row).transpose()
}

/// Every integration that is not deleted, by slug.
pub async fn list(store: &Store) -> Result<Vec<Integration>> {
    let rows = sqlx::query(concat!(
        "select ",
        columns!(),
        " from ai_integrations where deleted_at is null order by slug"
    ))
    .fetch_all(store.pool())
    .await
    .context("listing integrations")?;
    rows.iter().map(from_row).collect()
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds `$2`..`$15`, shared by the insert and the update: every registry field but the slug,
/// then the author and the time.
fn bind_fields<'q>(
    query: AnyQuery<'q>,
    fields: &'q IntegrationFields,
    author: Option<&'q str>,
    now: i64,
) -> AnyQuery<'q> {
    query
        .bind(fields.name.trim())
        .bind(fields.description.as_deref())
        .bind(fields.active)
        .bind(fields.visibility.as_str())
        .bind(fields.conversational)
        .bind(fields.conversation_ttl_minutes.map(i64::from))
        .bind(fields.rate_limit_per_minute.map(i64::from))
        .bind(fields.daily_cap.map(|c| c.0))
        .bind(fields.supports_vision)
        .bind(fields.supports_tools)
        .bind(fields.allow_system_messages)
        .bind(fields.capture_exchanges)
        .bind(i64::from(fields.capture_retention_days))
        .bind(author)
        .bind(now)
}

/// What the `slug` field says when another integration has it.
pub fn slug_taken(slug: &str) -> String {
    format!("The slug \"{slug}\" is already taken.")
}

fn taken_slug(error: Error, slug: &str) -> Error {
    if error.is_unique_violation() {
        Error::Conflict(FieldErrors::single("slug", slug_taken(slug)))
    } else {
        error
    }
}

fn from_row(row: &AnyRow) -> Result<Integration> {
    let read = || -> Result<Integration, sqlx::Error> {
        let visibility: String = row.try_get("visibility")?;
        let optional_u32 = |column: &str| -> Result<Option<u32>, sqlx::Error> {
            Ok(row
                .try_get::<Option<i64>, _>(column)?
                .and_then(|v| u32::try_from(v).ok()))
        };
        Ok(Integration {
            id: row.try_get("id")?,
            fields: IntegrationFields {
                slug: row.try_get("slug")?,
                name: row.try_get("name")?,
                description: row.try_get("description")?,
                active: crate::store::flag(row, "is_active")?,
                visibility: Visibility::parse(&visibility).unwrap_or_default(),
                conversational: crate::store::flag(row, "is_conversational")?,
                conversation_ttl_minutes: optional_u32("conversation_ttl_minutes")?,
                rate_limit_per_minute: optional_u32("rate_limit_per_minute")?,
                daily_cap: row
                    .try_get::<Option<i64>, _>("daily_cap_nanos")?
                    .map(NanoUsd),
                supports_vision: crate::store::flag(row, "supports_vision")?,
                supports_tools: crate::store::flag(row, "supports_tools")?,
                allow_system_messages: crate::store::flag(row, "allow_system_messages")?,
                capture_exchanges: crate::store::flag(row, "capture_exchanges")?,
                capture_retention_days: optional_u32("capture_retention_days")?
                    .unwrap_or(gateway_types::DEFAULT_CAPTURE_RETENTION_DAYS),
            },
            created_by: row.try_get("created_by")?,
            updated_by: row.try_get("updated_by")?,
            created_at_ms: row.try_get("created_at")?,
            updated_at_ms: row.try_get("updated_at")?,
        })
    };
    read().context("decoding an integration row")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(slug: &str) -> IntegrationFields {
        IntegrationFields {
            visibility: Visibility::Public,
            ..IntegrationFields::new(slug, "Summaries")
        }
    }

    #[test]
    fn slugs_follow_the_documented_pattern() {
        assert!(is_valid_slug("support-bot_2"));
        assert!(!is_valid_slug("2fast"));
        assert!(!is_valid_slug("Upper"));
        assert!(!is_valid_slug("with space"));
        assert!(!is_valid_slug(""));
        assert!(is_valid_slug(&"a".repeat(64)));
        assert!(!is_valid_slug(&"a".repeat(65)));
    }

    #[test]
    fn field_errors_name_the_field() {
        let mut bad = fields("Bad Slug");
        bad.name = "x".repeat(121);
        bad.rate_limit_per_minute = Some(0);
        bad.daily_cap = Some(NanoUsd::ZERO);
        bad.capture_retention_days = 0;
        let errors = check_fields(&bad).unwrap_err();
        for field in [
            "slug",
            "name",
            "rate_limit_per_minute",
            "daily_cap",
            "capture_retention_days",
        ] {
            assert!(errors.contains(field), "{field} missing in {errors:?}");
        }
        assert!(check_fields(&fields("ok")).is_ok());
        let mut long = fields("ok");
        long.capture_retention_days = MAX_CAPTURE_RETENTION_DAYS + 1;
        assert!(
            check_fields(&long)
                .unwrap_err()
                .contains("capture_retention_days")
        );
    }
}
