//! What the console's lists ask for and get back: queries, rows and pages.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{CachingMode, FieldErrors, IntegrationFields, VersionDraft, Visibility};

/// One page of a server-paginated list, with the number of rows matching the query in all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    /// 1-based.
    pub page: u32,
    pub per_page: u32,
}

impl<T> Page<T> {
    pub fn page_count(&self) -> u32 {
        let pages = self.total.div_ceil(u64::from(self.per_page.max(1)));
        u32::try_from(pages).unwrap_or(u32::MAX).max(1)
    }
}

/// The integrations list's search, filters and page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationQuery {
    /// Matched case-insensitively against slug and name.
    #[serde(default)]
    pub search: String,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub visibility: Option<Visibility>,
    /// 1-based; 0 counts as 1.
    #[serde(default)]
    pub page: u32,
}

impl IntegrationQuery {
    pub const PER_PAGE: u32 = 10;
}

/// One row of the integrations list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub primary_model: Option<String>,
    pub fallback_count: usize,
    pub visibility: Visibility,
    pub active: bool,
    /// The active version's number.
    pub version: i32,
    pub created_at_ms: i64,
}

/// A catalog model as the editor's picker shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelChoice {
    pub id: String,
    pub name: String,
    pub context_length: Option<u64>,
    pub prompt_usd_per_million: Option<f64>,
    pub completion_usd_per_million: Option<f64>,
    pub caching: CachingMode,
    /// Generation parameters the model accepts (structural ones such as `tools` left out).
    pub parameters: Vec<String>,
    /// What picking the model adds to the version's parameters (never overwriting a set one).
    pub defaults: BTreeMap<String, serde_json::Value>,
    /// What the model reads besides text (`image`, `file`, `audio`), as the catalog lists it.
    #[serde(default)]
    pub input_modalities: Vec<String>,
    /// Whether the model takes tool definitions (function calling).
    #[serde(default)]
    pub supports_tools: bool,
}

/// What the editor opens with: the stored integration and its active version, or a blank form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditorData {
    /// `None` for a new integration.
    pub id: Option<i64>,
    pub fields: IntegrationFields,
    pub draft: VersionDraft,
    pub active_version: Option<i32>,
    /// The number of the saved version loaded into the form instead of the active one.
    #[serde(default)]
    pub loaded_version: Option<i32>,
}

/// The answer to the editor's save: where the integration now is and what changed, or the
/// messages to show next to the inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SaveResult {
    Saved { id: i64, message: String },
    Invalid(FieldErrors),
}

/// A run of the editor's test panel: the integration, what to run (the unsaved form, a saved
/// version, or else the active version), optionally on one model alone, and the inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestRun {
    pub integration_id: i64,
    #[serde(default)]
    pub draft: Option<VersionDraft>,
    #[serde(default)]
    pub version_id: Option<i64>,
    /// Run on this model alone, without fallbacks: one column of a side-by-side comparison, so
    /// a failing model shows its own error instead of a fallback's answer.
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub args: serde_json::Map<String, serde_json::Value>,
    /// An extra user message after the rendered prompt.
    #[serde(default)]
    pub message: Option<String>,
}
