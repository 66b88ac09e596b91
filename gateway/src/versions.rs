//! Versions: immutable snapshots of an integration's prompt and model setup. Saving a changed
//! draft mints the next version and activates it; any past version can be activated again.

pub mod diff;

use gateway_types::{FieldErrors, Version, VersionDiff, VersionDraft, VersionHistory, VersionView};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row, Transaction};

use crate::error::{Error, Result, StoreContext, from_json, to_json};
use crate::payload;
use crate::prompts::Prompt;
use crate::store::Store;

pub const MAX_MODELS: usize = 10;
pub const MAX_NOTES_LEN: usize = 255;

macro_rules! columns {
    () => {
        "id, integration_id, version_number, is_active, prompt_template, cacheable, models, \
         default_params, variables, server_tools, notes, created_by, created_at"
    };
}

/// What `save` did: minted a new active version, or found nothing changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Saved {
    pub version: Version,
    pub minted: bool,
}

/// Every rule a draft follows, checked when it is saved so that a broken setup never reaches a
/// caller. Returns the compiled prompt.
pub fn check_draft(draft: &VersionDraft) -> Result<Prompt, FieldErrors> {
    let mut errors = FieldErrors::new();
    crate::store::refuse_nul(&mut errors, "prompt_template", &draft.prompt_template);
    if let Some(notes) = &draft.notes {
        crate::store::refuse_nul(&mut errors, "notes", notes);
    }
    if draft.models.is_empty() {
        errors.add("models", "Choose at least one model.");
    }
    if draft.models.len() > MAX_MODELS {
        errors.add(
            "models",
            format!("At most {MAX_MODELS} models (a primary and fallbacks)."),
        );
    }
    for (i, model) in draft.models.iter().enumerate() {
        if model.trim().is_empty() || model.trim() != model {
            errors.add(
                format!("models.{i}"),
                "A model id may not be blank or padded with spaces.",
            );
        } else if draft.models[..i].contains(model) {
            errors.add(
                format!("models.{i}"),
                format!("The model \"{model}\" is listed twice."),
            );
        }
    }
    if let Err(param_errors) = payload::check_defaults(&draft.default_params) {
        errors.0.extend(param_errors.0);
    }
    if draft
        .notes
        .as_deref()
        .is_some_and(|n| n.chars().count() > MAX_NOTES_LEN)
    {
        errors.add(
            "notes",
            format!("Notes may not be longer than {MAX_NOTES_LEN} characters."),
        );
    }
    if let Err(tool_errors) = payload::check_server_tools(&draft.models, &draft.server_tools) {
        errors.0.extend(tool_errors.0);
    }
    match Prompt::compile(&draft.prompt_template, draft.variables.clone()) {
        Ok(prompt) if errors.is_empty() => Ok(prompt),
        Ok(_) => Err(errors),
        Err(prompt_errors) => {
            errors.0.extend(prompt_errors.0);
            Err(errors)
        }
    }
}

/// Mints the next version from `draft` and activates it, unless it equals the active version.
/// Concurrent saves are serialised on the integration row, so numbers never collide.
pub async fn save(
    store: &Store,
    integration_id: i64,
    draft: &VersionDraft,
    author: Option<&str>,
    now: i64,
) -> Result<Saved> {
    check_draft(draft).map_err(Error::Invalid)?;
    let mut tx = begin(store).await?;
    let saved = save_in(&mut tx, integration_id, draft, author, now).await?;
    if saved.minted {
        tx.commit().await.context("committing a new version")?;
    } else {
        // Nothing changed, not even the lock's touch of the integration row.
        tx.rollback().await.context("ending an unchanged save")?;
    }
    Ok(saved)
}

/// `save` within the caller's transaction, which commits it. The caller has checked the draft.
/// An unchanged draft still locked (and touched) the integration row.
pub(crate) async fn save_in(
    tx: &mut Transaction<'_, Any>,
    integration_id: i64,
    draft: &VersionDraft,
    author: Option<&str>,
    now: i64,
) -> Result<Saved> {
    lock_integration(tx, integration_id, now).await?;
    let active = sqlx::query(concat!(
        "select ",
        columns!(),
        " from ai_integration_versions where integration_id = $1 and is_active"
    ))
    .bind(integration_id)
    .fetch_optional(&mut **tx)
    .await
    .context("reading the active version")?
    .as_ref()
    .map(from_row)
    .transpose()?;
    if let Some(active) = active.filter(|v| &v.draft == draft) {
        return Ok(Saved {
            version: active,
            minted: false,
        });
    }
    let latest: Option<i64> = sqlx::query_scalar(
        "select max(version_number) from ai_integration_versions where integration_id = $1",
    )
    .bind(integration_id)
    .fetch_one(&mut **tx)
    .await
    .context("reading the latest version number")?;
    let number = i32::try_from(latest.unwrap_or(0) + 1)
        .map_err(|_| Error::Corrupt("version number overflow".into()))?;
    let version = insert(tx, integration_id, number, draft, author, now).await?;
    make_active(tx, integration_id, version.id).await?;
    Ok(Saved {
        version: Version {
            active: true,
            ..version
        },
        minted: true,
    })
}

/// Makes `version_id` the one active version of its integration (a roll back or forward); the
/// history is untouched.
pub async fn activate(
    store: &Store,
    integration_id: i64,
    version_id: i64,
    now: i64,
) -> Result<Version> {
    let mut tx = begin(store).await?;
    lock_integration(&mut tx, integration_id, now).await?;
    let version = get_of(&mut *tx, integration_id, version_id).await?;
    make_active(&mut tx, integration_id, version_id).await?;
    tx.commit()
        .await
        .context("committing a version activation")?;
    Ok(Version {
        active: true,
        ..version
    })
}

async fn begin(store: &Store) -> Result<Transaction<'static, Any>> {
    store
        .pool()
        .begin()
        .await
        .context("starting a version change")
}

/// Takes hold of the integration's row. Writing the row first takes its lock (PostgreSQL) or the
/// write lock (SQLite) before anything is read, so two saves cannot both read the same latest
/// number.
async fn lock_integration(
    tx: &mut Transaction<'_, Any>,
    integration_id: i64,
    now: i64,
) -> Result<()> {
    let locked = sqlx::query(
        "update ai_integrations set updated_at = $2 where id = $1 and deleted_at is null",
    )
    .bind(integration_id)
    .bind(now)
    .execute(&mut **tx)
    .await
    .context("locking an integration for a version change")?;
    if locked.rows_affected() == 0 {
        return Err(Error::NotFound("integration"));
    }
    Ok(())
}

/// Every version of an integration, newest first.
pub async fn list(store: &Store, integration_id: i64) -> Result<Vec<Version>> {
    let rows = sqlx::query(concat!(
        "select ",
        columns!(),
        " from ai_integration_versions where integration_id = $1 order by version_number desc"
    ))
    .bind(integration_id)
    .fetch_all(store.pool())
    .await
    .context("listing versions")?;
    rows.iter().map(from_row).collect()
}

/// An integration with every one of its versions, newest first, settings spelled out.
pub async fn history(store: &Store, integration_id: i64) -> Result<VersionHistory> {
    let integration = crate::integrations::get(store, integration_id).await?;
    let versions = list(store, integration_id)
        .await?
        .into_iter()
        .map(|version| VersionView {
            created_at: diff::display_time(version.created_at_ms),
            settings: diff::settings(&version.draft),
            version,
        })
        .collect();
    Ok(VersionHistory {
        integration,
        versions,
    })
}

/// How version `to_id` differs from version `from_id`; both must belong to the integration.
pub async fn compare(
    store: &Store,
    integration_id: i64,
    from_id: i64,
    to_id: i64,
) -> Result<VersionDiff> {
    let from = get_of(store.pool(), integration_id, from_id).await?;
    let to = get_of(store.pool(), integration_id, to_id).await?;
    Ok(between(&from, &to))
}

/// How `to` differs from `from`: the prompt as unified hunks, the rest as changed settings.
pub fn between(from: &Version, to: &Version) -> VersionDiff {
    VersionDiff {
        from: from.number,
        to: to.number,
        prompt: diff::prompt_hunks(&from.draft.prompt_template, &to.draft.prompt_template),
        settings: diff::setting_changes(&from.draft, &to.draft),
    }
}

/// A version of the given integration; another integration's version is not found.
async fn get_of<'e>(
    executor: impl Executor<'e, Database = Any>,
    integration_id: i64,
    version_id: i64,
) -> Result<Version> {
    let row = sqlx::query(concat!(
        "select ",
        columns!(),
        " from ai_integration_versions where id = $1 and integration_id = $2"
    ))
    .bind(version_id)
    .bind(integration_id)
    .fetch_optional(executor)
    .await
    .context("reading a version")?
    .ok_or(Error::NotFound("version"))?;
    from_row(&row)
}

/// A version of this integration; another integration's version is "not found".
pub async fn get_in(store: &Store, integration_id: i64, version_id: i64) -> Result<Version> {
    get_of(store.pool(), integration_id, version_id).await
}

pub async fn get(store: &Store, version_id: i64) -> Result<Version> {
    let row = sqlx::query(concat!(
        "select ",
        columns!(),
        " from ai_integration_versions where id = $1"
    ))
    .bind(version_id)
    .fetch_optional(store.pool())
    .await
    .context("reading a version")?
    .ok_or(Error::NotFound("version"))?;
    from_row(&row)
}

/// The active version of every integration that is not deleted.
pub(crate) async fn all_active(store: &Store) -> Result<Vec<Version>> {
    let rows = sqlx::query(concat!(
        "select ",
        columns!(),
        " from ai_integration_versions v where v.is_active and exists
             (select 1 from ai_integrations i where i.id = v.integration_id and i.deleted_at is null)"
    ))
    .fetch_all(store.pool())
    .await
    .context("reading the active versions")?;
    rows.iter().map(from_row).collect()
}

pub(crate) async fn insert(
    tx: &mut Transaction<'_, Any>,
    integration_id: i64,
    number: i32,
    draft: &VersionDraft,
    author: Option<&str>,
    now: i64,
) -> Result<Version> {
    let row = sqlx::query(
        "insert into ai_integration_versions (integration_id, version_number, is_active, prompt_template,
             cacheable, models, default_params, variables, server_tools, notes, created_by, created_at)
         values ($1, $2, false, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         returning id",
    )
    .bind(integration_id)
    .bind(i64::from(number))
    .bind(&draft.prompt_template)
    .bind(draft.cacheable)
    .bind(to_json(&draft.models))
    .bind(to_json(&draft.default_params))
    .bind(to_json(&draft.variables))
    .bind(to_json(&draft.server_tools))
    .bind(draft.notes.as_deref())
    .bind(author)
    .bind(now)
    .fetch_one(&mut **tx)
    .await
    .context("inserting a version")?;
    Ok(Version {
        id: row.try_get("id").context("reading the new version id")?,
        integration_id,
        number,
        active: false,
        draft: draft.clone(),
        created_by: author.map(str::to_owned),
        created_at_ms: now,
    })
}

pub(crate) async fn make_active(
    tx: &mut Transaction<'_, Any>,
    integration_id: i64,
    version_id: i64,
) -> Result<()> {
    // Two statements, not one: the one-active index is checked row by row.
    sqlx::query("update ai_integration_versions set is_active = false where integration_id = $1 and is_active")
        .bind(integration_id)
        .execute(&mut **tx)
        .await
        .context("deactivating the previous version")?;
    sqlx::query("update ai_integration_versions set is_active = true where id = $1")
        .bind(version_id)
        .execute(&mut **tx)
        .await
        .context("activating a version")?;
    Ok(())
}

fn from_row(row: &AnyRow) -> Result<Version> {
    let text = |column: &'static str| {
        row.try_get::<String, _>(column)
            .context("decoding a version row")
    };
    let number: i64 = row
        .try_get("version_number")
        .context("decoding a version row")?;
    Ok(Version {
        id: row.try_get("id").context("decoding a version row")?,
        integration_id: row
            .try_get("integration_id")
            .context("decoding a version row")?,
        number: i32::try_from(number).map_err(|_| Error::Corrupt("version number".into()))?,
        active: crate::store::flag(row, "is_active").context("decoding a version row")?,
        draft: VersionDraft {
            prompt_template: text("prompt_template")?,
            cacheable: crate::store::flag(row, "cacheable").context("decoding a version row")?,
            models: from_json("models", &text("models")?)?,
            default_params: from_json("default_params", &text("default_params")?)?,
            variables: from_json("variables", &text("variables")?)?,
            server_tools: from_json("server_tools", &text("server_tools")?)?,
            notes: row.try_get("notes").context("decoding a version row")?,
        },
        created_by: row
            .try_get("created_by")
            .context("decoding a version row")?,
        created_at_ms: row
            .try_get("created_at")
            .context("decoding a version row")?,
    })
}
