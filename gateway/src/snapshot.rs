//! The configuration snapshot: integrations, their active versions (with compiled prompts) and
//! the settings, held in memory so that no call waits on the database for configuration. Every
//! admin write rebuilds it; other nodes notice a changed epoch and rebuild within a second.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use gateway_types::{
    EditorData, Integration, IntegrationFields, IntegrationQuery, IntegrationRow, Page, Version,
    VersionDraft,
};

use crate::error::{Error, Result};
use crate::prompts::Prompt;
use crate::settings::{self, Settings};
use crate::store::Store;
use crate::{integrations, versions};

/// One integration as calls see it.
#[derive(Debug)]
pub struct LiveIntegration {
    pub integration: Integration,
    pub version: Version,
    /// `Err` when the stored template no longer compiles (it was checked on save, so only a
    /// hand-edited database gets here); calls then fail with the reason.
    pub prompt: std::result::Result<Arc<Prompt>, gateway_types::FieldErrors>,
}

impl LiveIntegration {
    fn is_api_callable(&self) -> bool {
        self.integration.fields.active && self.integration.fields.visibility.is_api_visible()
    }
}

/// An immutable view of the configuration at one moment.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub settings: Settings,
    by_slug: HashMap<String, Arc<LiveIntegration>>,
    /// The epoch this snapshot was built from.
    pub(crate) epoch: Option<String>,
}

impl Snapshot {
    pub fn integration(&self, slug: &str) -> Option<&Arc<LiveIntegration>> {
        self.by_slug.get(slug)
    }

    /// The integration with this id (the console addresses integrations by id).
    pub fn integration_by_id(&self, id: i64) -> Option<&Arc<LiveIntegration>> {
        self.by_slug.values().find(|live| live.integration.id == id)
    }

    /// The editor's starting point: the integration with its active version, or a blank form
    /// when `id` is `None`.
    pub fn editor_data(&self, id: Option<i64>) -> Result<EditorData> {
        let Some(id) = id else {
            return Ok(EditorData {
                id: None,
                fields: IntegrationFields::new("", ""),
                draft: VersionDraft::default(),
                active_version: None,
                loaded_version: None,
            });
        };
        let live = self
            .integration_by_id(id)
            .ok_or(Error::NotFound("integration"))?;
        Ok(EditorData {
            id: Some(id),
            fields: live.integration.fields.clone(),
            draft: live.version.draft.clone(),
            active_version: Some(live.version.number),
            loaded_version: None,
        })
    }

    /// The integration if the public API may call it: active and visible to the API.
    pub fn api_integration(&self, slug: &str) -> Option<&Arc<LiveIntegration>> {
        self.by_slug.get(slug).filter(|live| live.is_api_callable())
    }

    /// Every integration the public API may call, in slug order.
    pub fn api_integrations(&self) -> Vec<Arc<LiveIntegration>> {
        let mut all = self.integrations();
        all.retain(|live| live.is_api_callable());
        all
    }

    /// The console's integrations list: search over slug and name, the filters, one page, in
    /// slug order. Served from memory, so the list reflects every write on this node at once.
    pub fn search(&self, query: &IntegrationQuery) -> Page<IntegrationRow> {
        let needle = query.search.trim().to_lowercase();
        let matching: Vec<Arc<LiveIntegration>> = self
            .integrations()
            .into_iter()
            .filter(|live| {
                let fields = &live.integration.fields;
                (needle.is_empty()
                    || fields.slug.to_lowercase().contains(&needle)
                    || fields.name.to_lowercase().contains(&needle))
                    && query.active.is_none_or(|active| fields.active == active)
                    && query.visibility.is_none_or(|v| fields.visibility == v)
            })
            .collect();
        let per_page = IntegrationQuery::PER_PAGE;
        let page = query.page.max(1);
        let skip = usize::try_from((page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX);
        let items = matching
            .iter()
            .skip(skip)
            .take(per_page as usize)
            .map(|live| {
                let models = &live.version.draft.models;
                IntegrationRow {
                    id: live.integration.id,
                    slug: live.integration.fields.slug.clone(),
                    name: live.integration.fields.name.clone(),
                    primary_model: models.first().cloned(),
                    fallback_count: models.len().saturating_sub(1),
                    visibility: live.integration.fields.visibility,
                    active: live.integration.fields.active,
                    version: live.version.number,
                    created_at_ms: live.integration.created_at_ms,
                }
            })
            .collect();
        Page {
            items,
            total: matching.len() as u64,
            page,
            per_page,
        }
    }

    /// Every integration that is not deleted, in slug order.
    pub fn integrations(&self) -> Vec<Arc<LiveIntegration>> {
        let mut all: Vec<_> = self.by_slug.values().cloned().collect();
        all.sort_by(|a, b| a.integration.fields.slug.cmp(&b.integration.fields.slug));
        all
    }
}

/// The current snapshot, swapped whole.
#[derive(Debug, Default)]
pub struct SnapshotCell {
    current: RwLock<Arc<Snapshot>>,
}

impl SnapshotCell {
    pub fn get(&self) -> Arc<Snapshot> {
        self.current
            .read()
            .map_or_else(|poisoned| poisoned.into_inner().clone(), |s| s.clone())
    }

    /// Reads the configuration from the database and swaps it in. Compiled prompts of versions
    /// that did not change are reused.
    pub async fn reload(&self, store: &Store, defaults: &Settings) -> Result<Arc<Snapshot>> {
        let epoch = settings::get(store, settings::CONFIG_EPOCH).await?;
        let settings = settings::load(store, defaults).await?;
        let integrations = integrations::list(store).await?;
        let mut active: HashMap<i64, Version> = versions::all_active(store)
            .await?
            .into_iter()
            .map(|v| (v.integration_id, v))
            .collect();
        let previous = self.get();
        let mut by_slug = HashMap::with_capacity(integrations.len());
        for integration in integrations {
            let Some(version) = active.remove(&integration.id) else {
                tracing::warn!(slug = %integration.fields.slug, "integration without an active version is skipped");
                continue;
            };
            let reused = previous
                .by_slug
                .get(&integration.fields.slug)
                .filter(|live| live.version.id == version.id)
                .and_then(|live| live.prompt.as_ref().ok().cloned());
            let prompt = match reused {
                Some(prompt) => Ok(prompt),
                None => Prompt::compile(
                    &version.draft.prompt_template,
                    version.draft.variables.clone(),
                )
                .map(Arc::new),
            };
            if let Err(errors) = &prompt {
                tracing::error!(slug = %integration.fields.slug, %errors, "stored prompt does not compile");
            }
            let slug = integration.fields.slug.clone();
            by_slug.insert(
                slug,
                Arc::new(LiveIntegration {
                    integration,
                    version,
                    prompt,
                }),
            );
        }
        let snapshot = Arc::new(Snapshot {
            settings,
            by_slug,
            epoch,
        });
        match self.current.write() {
            Ok(mut current) => *current = snapshot.clone(),
            Err(poisoned) => *poisoned.into_inner() = snapshot.clone(),
        }
        Ok(snapshot)
    }
}
