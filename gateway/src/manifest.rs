//! Integrations as code: the registry (or part of it) as one human-editable document, reading such
//! a document, and applying it in one transaction. The rules an integration follows live in
//! `integrations` and `versions`; this module only applies them entry by entry.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use gateway_types::{FieldErrors, Integration, IntegrationFields, Version, VersionDraft};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_path_to_error::Segment;
use sqlx::{Any, Transaction};

use crate::error::{Error, Result, StoreContext};
use crate::store::Store;
use crate::{integrations, versions};

/// `{"integrations": [...]}`: what `export` writes and `apply` reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Manifest {
    pub integrations: Vec<Entry>,
}

/// One integration: its registry fields side by side with the setup of its active version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    #[serde(flatten)]
    pub fields: IntegrationFields,
    pub version: VersionDraft,
}

/// What applying a document did to one integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Applied {
    pub slug: String,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// A new integration with this version number (always 1).
    Created {
        version: i32,
    },
    /// An existing integration whose registry fields, version, or both changed.
    Updated {
        fields: bool,
        new_version: Option<i32>,
    },
    Unchanged,
}

impl Applied {
    pub fn changed(&self) -> bool {
        self.outcome != Outcome::Unchanged
    }

    /// The outcome as the console's save tells it.
    pub fn saved_message(&self) -> String {
        match self.outcome {
            Outcome::Created { version } => format!("Created with version {version}."),
            Outcome::Updated {
                new_version: Some(version),
                ..
            } => format!("Saved as version {version}."),
            Outcome::Updated { .. } => {
                "Saved; the prompt and models are unchanged, so no new version.".to_owned()
            }
            Outcome::Unchanged => "Nothing changed.".to_owned(),
        }
    }
}

impl fmt::Display for Applied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let slug = &self.slug;
        match &self.outcome {
            Outcome::Created { version } => write!(f, "{slug}: created (version {version})"),
            Outcome::Updated {
                fields,
                new_version,
            } => {
                let mut parts = Vec::new();
                if *fields {
                    parts.push("fields".to_owned());
                }
                if let Some(number) = new_version {
                    parts.push(format!("new version v{number}"));
                }
                write!(f, "{slug}: updated ({})", parts.join(", "))
            }
            Outcome::Unchanged => write!(f, "{slug}: unchanged"),
        }
    }
}

impl Manifest {
    /// Reads a JSON document. Every entry is read, so that one pass reports every unreadable
    /// value and unknown key, each keyed by its place (`integrations[1].version.models`).
    pub fn from_json(text: &str) -> Result<Self> {
        let document: Value = serde_json::from_str(text)
            .map_err(|e| Error::invalid("file", format!("This is not valid JSON: {e}.")))?;
        let mut errors = FieldErrors::new();
        let entries = match document.as_object() {
            Some(object) => {
                for key in object.keys().filter(|k| *k != "integrations") {
                    errors.add(key.as_str(), "Unknown key.");
                }
                object.get("integrations").and_then(Value::as_array)
            }
            None => None,
        };
        let Some(entries) = entries else {
            return Err(Error::invalid(
                "integrations",
                "The document must be an object with an \"integrations\" list.",
            ));
        };
        let mut integrations = Vec::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            let at = format!("integrations[{i}]");
            let Some(object) = entry.as_object() else {
                errors.add(at, "Each integration must be an object.");
                continue;
            };
            let mut registry = object.clone();
            let version = registry.remove("version");
            let fields = read::<IntegrationFields>(Value::Object(registry), &at, &mut errors);
            let version_at = format!("{at}.version");
            let Some(version) = version else {
                errors.add(
                    version_at,
                    "The version (prompt template, models, parameters) is required.",
                );
                continue;
            };
            let version = read::<VersionDraft>(version, &version_at, &mut errors);
            // The rules of a readable part are checked too, so one pass reports every problem.
            if let Some(fields) = &fields
                && let Err(field_errors) = integrations::check_fields(&fields.typed)
            {
                errors.0.extend(under(&at, field_errors).0);
            }
            if let Some(version) = &version
                && let Err(mut draft_errors) = versions::check_draft(&version.typed)
            {
                if version
                    .pruned
                    .iter()
                    .any(|path| path.starts_with("variables"))
                {
                    // A variable left out as unreadable would read as undeclared in the template.
                    draft_errors.0.remove(crate::prompts::TEMPLATE_FIELD);
                }
                errors.0.extend(under(&version_at, draft_errors).0);
            }
            if let (Some(fields), Some(version)) = (fields, version) {
                integrations.push(Entry {
                    fields: fields.typed,
                    version: version.typed,
                });
            }
        }
        errors
            .into_result(Self { integrations })
            .map_err(Error::Invalid)
    }

    /// The document as indented JSON, the form people edit and keep under version control.
    pub fn to_json_pretty(&self) -> String {
        // Plain data with string keys always serialises.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// How many unreadable values of one part are reported before the rest of it is given up.
const MAX_READ_ERRORS: usize = 50;

/// A part of the document read as a `T`, with the lists that had items left out as unreadable.
struct Read<T> {
    typed: T,
    pruned: Vec<String>,
}

/// A list item left out: the list's place and the item's index in the document.
type Removed = (String, usize);

/// Deserialises `value` as a `T`, adding field errors under `at` for every unreadable value and
/// for keys `T` does not know. An unreadable list item is left out and the rest read again, so
/// every bad item is reported (at its place in the document), not only the first; a part read
/// after leaving items out is still returned for its other checks.
fn read<T: DeserializeOwned + Serialize>(
    mut value: Value,
    at: &str,
    errors: &mut FieldErrors,
) -> Option<Read<T>> {
    let mut removed: Vec<Removed> = Vec::new();
    while removed.len() < MAX_READ_ERRORS {
        let typed: Result<T, _> = serde_path_to_error::deserialize(value.clone());
        match typed {
            Ok(typed) => {
                // Serde ignores unknown keys; a typo must not silently fall back to a default.
                let known = serde_json::to_value(&typed).unwrap_or(Value::Null);
                unknown_keys(&value, &known, at, errors);
                let pruned = removed.into_iter().map(|(list, _)| list).collect();
                return Some(Read { typed, pruned });
            }
            Err(e) => {
                let segments: Vec<&Segment> = e.path().iter().collect();
                errors.add(join(at, &place(&segments, &removed)), e.inner().to_string());
                let item = segments
                    .iter()
                    .rposition(|segment| matches!(segment, Segment::Seq { .. }))?;
                let Segment::Seq { index } = segments[item] else {
                    return None;
                };
                let list = place(&segments[..item], &removed);
                let original = original_index(&list, *index, &removed);
                value
                    .pointer_mut(&pointer(&segments[..item]))?
                    .as_array_mut()
                    .filter(|items| *index < items.len())?
                    .remove(*index);
                removed.push((list, original));
            }
        }
    }
    None
}

/// `variables[1].type` for a path in the value as read now, with list indexes as in the document.
fn place(segments: &[&Segment], removed: &[Removed]) -> String {
    let mut place = String::new();
    for segment in segments {
        match segment {
            Segment::Seq { index } => {
                let index = original_index(&place, *index, removed);
                place.push_str(&format!("[{index}]"));
            }
            Segment::Map { key } => {
                if !place.is_empty() {
                    place.push('.');
                }
                place.push_str(key);
            }
            Segment::Enum { variant } => {
                if !place.is_empty() {
                    place.push('.');
                }
                place.push_str(variant);
            }
            Segment::Unknown => place.push_str(".?"),
        }
    }
    place
}

/// The document's index of what is item `index` of `list` after the removals so far.
fn original_index(list: &str, index: usize, removed: &[Removed]) -> usize {
    let mut gone: Vec<usize> = removed
        .iter()
        .filter(|(place, _)| place == list)
        .map(|(_, index)| *index)
        .collect();
    gone.sort_unstable();
    gone.into_iter()
        .fold(index, |index, gone| index + usize::from(gone <= index))
}

/// The JSON pointer (`/variables/0`) of a path in the value as read now.
fn pointer(segments: &[&Segment]) -> String {
    segments
        .iter()
        .map(|segment| match segment {
            Segment::Seq { index } => format!("/{index}"),
            Segment::Map { key } => format!("/{}", key.replace('~', "~0").replace('/', "~1")),
            Segment::Enum { variant } => format!("/{variant}"),
            Segment::Unknown => "/".to_owned(),
        })
        .collect()
}

/// Adds an error for every key of `given` with a value that reading it into `known` dropped.
/// Null values are let through: types leave out absent optional values when written back.
fn unknown_keys(given: &Value, known: &Value, at: &str, errors: &mut FieldErrors) {
    match (given, known) {
        (Value::Object(given), Value::Object(known)) => {
            for (key, value) in given {
                match known.get(key) {
                    Some(known) => unknown_keys(value, known, &join(at, key), errors),
                    None if !value.is_null() => errors.add(join(at, key), "Unknown key."),
                    None => {}
                }
            }
        }
        (Value::Array(given), Value::Array(known)) => {
            for (i, (value, known)) in given.iter().zip(known).enumerate() {
                unknown_keys(value, known, &format!("{at}[{i}]"), errors);
            }
        }
        _ => {}
    }
}

/// `integrations[0]` + `version.models` → `integrations[0].version.models`; serde's `.` (the
/// value itself) adds nothing.
fn join(at: &str, path: &str) -> String {
    match path {
        "." | "" => at.to_owned(),
        _ if path.starts_with('[') => format!("{at}{path}"),
        _ => format!("{at}.{path}"),
    }
}

/// The integrations named by `slugs` (every one when empty), each with its active version, by
/// slug. An unknown slug is an error naming it.
pub async fn export(store: &Store, slugs: &[String]) -> Result<Manifest> {
    let all = integrations::list(store).await?;
    let mut unknown = FieldErrors::new();
    for slug in slugs {
        if !all.iter().any(|i| &i.fields.slug == slug) {
            unknown.add("slugs", format!("No integration has the slug \"{slug}\"."));
        }
    }
    unknown.into_result(()).map_err(Error::Invalid)?;
    let mut active = active_versions(store).await?;
    let integrations = all
        .into_iter()
        .filter(|i| slugs.is_empty() || slugs.contains(&i.fields.slug))
        .map(|integration| {
            let version = active.remove(&integration.id).ok_or_else(|| {
                Error::Corrupt(format!(
                    "integration \"{}\" has no active version",
                    integration.fields.slug
                ))
            })?;
            Ok(Entry {
                fields: integration.fields,
                version: version.draft,
            })
        })
        .collect::<Result<_>>()?;
    Ok(Manifest { integrations })
}

/// Checks every entry with the rules the console and the API apply, keyed by the entry's place
/// in the document (`integrations[1].version.models`), and that no slug appears twice.
pub fn check(manifest: &Manifest) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut seen = BTreeSet::new();
    for (i, entry) in manifest.integrations.iter().enumerate() {
        let at = format!("integrations[{i}]");
        if let Err(field_errors) = integrations::check_fields(&entry.fields) {
            errors.0.extend(under(&at, field_errors).0);
        }
        if let Err(draft_errors) = versions::check_draft(&entry.version) {
            errors
                .0
                .extend(under(&format!("{at}.version"), draft_errors).0);
        }
        if !seen.insert(entry.fields.slug.as_str()) {
            errors.add(
                format!("{at}.slug"),
                format!(
                    "The slug \"{}\" appears more than once in the document.",
                    entry.fields.slug
                ),
            );
        }
    }
    errors.into_result(())
}

/// Creates the integrations the document adds and updates those it changes, minting a version
/// only where the draft differs from the active one. Nothing is written unless every entry is
/// valid, and the writes share one transaction, so a failure part-way (a slug taken meanwhile, a
/// lost connection) leaves the registry as it was.
pub async fn apply(
    store: &Store,
    manifest: &Manifest,
    author: Option<&str>,
    now: i64,
) -> Result<Vec<Applied>> {
    check(manifest).map_err(Error::Invalid)?;
    // Read before the transaction: on SQLite its first statement must be a write, which takes
    // the write lock up front instead of failing to upgrade a read lock later.
    let current: HashMap<String, Integration> = integrations::list(store)
        .await?
        .into_iter()
        .map(|i| (i.fields.slug.clone(), i))
        .collect();
    let active = active_versions(store).await?;
    let mut tx = store
        .pool()
        .begin()
        .await
        .context("starting to apply integrations")?;
    let mut report = Vec::with_capacity(manifest.integrations.len());
    for (i, entry) in manifest.integrations.iter().enumerate() {
        let outcome = match current.get(&entry.fields.slug) {
            None => create(&mut tx, entry, author, now)
                .await
                .map_err(|e| match e {
                    Error::Conflict(errors) => {
                        Error::Conflict(under(&format!("integrations[{i}]"), errors))
                    }
                    other => other,
                })?,
            Some(existing) => {
                let active = active.get(&existing.id);
                update(&mut tx, existing, active, entry, author, now).await?
            }
        };
        report.push(Applied {
            slug: entry.fields.slug.clone(),
            outcome,
        });
    }
    tx.commit()
        .await
        .context("committing the applied integrations")?;
    Ok(report)
}

/// The console's save of one integration: created or updated exactly as a one-entry document
/// would be, with the field errors keyed as the form names its inputs (`slug`, `version.models`).
pub async fn save(store: &Store, entry: Entry, author: Option<&str>, now: i64) -> Result<Applied> {
    const AT: &str = "integrations[0].";
    let unprefixed = |errors: FieldErrors| {
        FieldErrors(
            errors
                .0
                .into_iter()
                .map(|(field, messages)| match field.strip_prefix(AT) {
                    Some(inner) => (inner.to_owned(), messages),
                    None => (field, messages),
                })
                .collect(),
        )
    };
    let document = Manifest {
        integrations: vec![entry],
    };
    match apply(store, &document, author, now).await {
        Ok(mut report) => report
            .pop()
            .ok_or_else(|| Error::Corrupt("applying one integration reported nothing".to_owned())),
        Err(Error::Invalid(errors)) => Err(Error::Invalid(unprefixed(errors))),
        Err(Error::Conflict(errors)) => Err(Error::Conflict(unprefixed(errors))),
        Err(other) => Err(other),
    }
}

async fn create(
    tx: &mut Transaction<'_, Any>,
    entry: &Entry,
    author: Option<&str>,
    now: i64,
) -> Result<Outcome> {
    let version = integrations::insert(tx, &entry.fields, &entry.version, author, now).await?;
    Ok(Outcome::Created {
        version: version.number,
    })
}

/// Writes what differs between `entry` and the stored integration and its active version.
async fn update(
    tx: &mut Transaction<'_, Any>,
    existing: &Integration,
    active: Option<&Version>,
    entry: &Entry,
    author: Option<&str>,
    now: i64,
) -> Result<Outcome> {
    // The store keeps the name trimmed; compare it the way it will be stored.
    let wanted = IntegrationFields {
        name: entry.fields.name.trim().to_owned(),
        ..entry.fields.clone()
    };
    let fields = existing.fields != wanted;
    if fields {
        integrations::write_fields(tx, existing.id, &wanted, author, now).await?;
    }
    let mut new_version = None;
    if active.is_none_or(|v| v.draft != entry.version) {
        let saved = versions::save_in(tx, existing.id, &entry.version, author, now).await?;
        new_version = saved.minted.then_some(saved.version.number);
    }
    Ok(if fields || new_version.is_some() {
        Outcome::Updated {
            fields,
            new_version,
        }
    } else {
        Outcome::Unchanged
    })
}

async fn active_versions(store: &Store) -> Result<HashMap<i64, Version>> {
    Ok(versions::all_active(store)
        .await?
        .into_iter()
        .map(|v| (v.integration_id, v))
        .collect())
}

/// `errors` keyed by their place in the document: `models` under `integrations[1].version`.
fn under(at: &str, errors: FieldErrors) -> FieldErrors {
    FieldErrors(
        errors
            .0
            .into_iter()
            .map(|(field, messages)| (join(at, &field), messages))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENTRY: &str = r#"{
        "slug": "faq", "name": "FAQ", "description": null, "active": true,
        "visibility": "public", "conversational": false, "conversation_ttl_minutes": null,
        "rate_limit_per_minute": 30, "daily_cap": null, "supports_vision": false,
        "supports_tools": false,
        "version": {
            "prompt_template": "Answer: {{ question }}", "cacheable": false,
            "models": ["openai/gpt-4o-mini"], "default_params": {"temperature": 0.2},
            "variables": [{"name": "question", "type": "string", "required": true}],
            "server_tools": {}, "notes": null
        }
    }"#;

    fn document(entries: &[&str]) -> String {
        format!(r#"{{"integrations": [{}]}}"#, entries.join(","))
    }

    #[test]
    fn a_written_document_reads_back_the_same() {
        let manifest = Manifest::from_json(&document(&[ENTRY])).unwrap();
        assert_eq!(
            manifest.integrations[0].fields.rate_limit_per_minute,
            Some(30)
        );
        let again = Manifest::from_json(&manifest.to_json_pretty()).unwrap();
        assert_eq!(again, manifest);
    }

    #[test]
    fn keeping_prompts_is_off_unless_the_document_says_so_and_is_written_back() {
        let manifest = Manifest::from_json(&document(&[ENTRY])).unwrap();
        let fields = &manifest.integrations[0].fields;
        assert!(!fields.capture_exchanges);
        assert_eq!(
            fields.capture_retention_days,
            gateway_types::DEFAULT_CAPTURE_RETENTION_DAYS
        );
        let kept = ENTRY.replace(
            "\"supports_tools\": false,",
            "\"supports_tools\": false, \"capture_exchanges\": true, \"capture_retention_days\": 7,",
        );
        let manifest = Manifest::from_json(&document(&[&kept])).unwrap();
        let text = manifest.to_json_pretty();
        assert!(text.contains("\"capture_exchanges\": true"), "{text}");
        assert!(text.contains("\"capture_retention_days\": 7"), "{text}");
        let wrong = kept.replace(
            "\"capture_retention_days\": 7",
            "\"capture_retention_days\": -1",
        );
        let Err(Error::Invalid(errors)) = Manifest::from_json(&document(&[&wrong])) else {
            panic!("expected a field error");
        };
        assert!(
            errors.contains("integrations[0].capture_retention_days"),
            "{errors:?}"
        );
    }

    #[test]
    fn unreadable_values_and_unknown_keys_are_keyed_by_their_place() {
        let typo = ENTRY.replace("\"rate_limit_per_minute\"", "\"rate_limit_per_minut\"");
        let wrong_type = ENTRY.replace("[\"openai/gpt-4o-mini\"]", "\"openai/gpt-4o-mini\"");
        let Err(Error::Invalid(errors)) = Manifest::from_json(&document(&[&typo, &wrong_type]))
        else {
            panic!("expected field errors");
        };
        assert!(
            errors.contains("integrations[0].rate_limit_per_minut"),
            "{errors:?}"
        );
        assert!(
            errors.contains("integrations[1].version.models"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_document_without_an_integrations_list_is_refused() {
        for text in ["[]", "{}", r#"{"integrations": 3}"#] {
            let Err(Error::Invalid(errors)) = Manifest::from_json(text) else {
                panic!("expected field errors for {text}");
            };
            assert!(errors.contains("integrations"), "{errors:?}");
        }
        let Err(Error::Invalid(errors)) = Manifest::from_json("{oops") else {
            panic!("expected a syntax error");
        };
        assert!(errors.contains("file"), "{errors:?}");
    }

    #[test]
    fn the_report_names_what_changed() {
        let applied = |outcome| Applied {
            slug: "faq".to_owned(),
            outcome,
        };
        assert_eq!(
            applied(Outcome::Created { version: 1 }).to_string(),
            "faq: created (version 1)"
        );
        assert_eq!(
            applied(Outcome::Updated {
                fields: true,
                new_version: Some(3)
            })
            .to_string(),
            "faq: updated (fields, new version v3)"
        );
        assert_eq!(applied(Outcome::Unchanged).to_string(), "faq: unchanged");
    }
}
