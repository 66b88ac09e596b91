//! Integrations and their immutable versions, as the core stores them and the console edits them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::PromptVariable;

/// Money as whole nano-dollars (1e-9 USD): sums are exact, and converting to USD happens only at
/// the edges.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct NanoUsd(pub i64);

impl NanoUsd {
    pub const ZERO: Self = Self(0);

    /// Rounds to the nearest nano-dollar; negative and non-finite amounts become zero.
    pub fn from_usd(usd: f64) -> Self {
        if usd.is_finite() && usd > 0.0 {
            // Saturating float-to-int conversion is the intent for absurd amounts.
            Self((usd * 1e9).round() as i64)
        } else {
            Self::ZERO
        }
    }

    pub fn as_usd(self) -> f64 {
        self.0 as f64 / 1e9
    }

    pub fn saturating_add(self, other: Self) -> Self {
        Self(self.0.saturating_add(other.0))
    }

    pub fn saturating_sub(self, other: Self) -> Self {
        Self(self.0.saturating_sub(other.0))
    }
}

/// Who may call an integration over the public API. The Rust API and the console ignore it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Only the Rust API and the console.
    #[default]
    Internal,
    /// The public HTTP API.
    Public,
    /// Both.
    Both,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Internal => "internal",
            Self::Public => "public",
            Self::Both => "both",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Internal, Self::Public, Self::Both]
            .into_iter()
            .find(|v| v.as_str() == value)
    }

    pub fn is_api_visible(self) -> bool {
        matches!(self, Self::Public | Self::Both)
    }
}

/// OpenRouter's `openrouter:web_search` server tool; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebSearchTool {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_results: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_total_results: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_context_size: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_domains: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_domains: Vec<String>,
}

/// OpenRouter's `openrouter:web_fetch` server tool; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebFetchTool {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_uses: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_content_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_domains: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocked_domains: Vec<String>,
}

/// The server tools a version enables; a tool is on when present.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerTools {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_search: Option<WebSearchTool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_fetch: Option<WebFetchTool>,
}

impl ServerTools {
    pub fn is_empty(&self) -> bool {
        self.web_search.is_none() && self.web_fetch.is_none()
    }
}

/// The editable surface of a version: saving a changed draft mints a new immutable version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VersionDraft {
    /// The minijinja template; `{{ name }}` inserts a variable.
    pub prompt_template: String,
    /// Mark the prompt for provider caching (sent only to models with explicit caching).
    pub cacheable: bool,
    /// Primary model first, then fallbacks in order.
    pub models: Vec<String>,
    /// Generation parameters sent with every call (typed JSON: numbers stay numbers).
    pub default_params: BTreeMap<String, serde_json::Value>,
    pub variables: Vec<PromptVariable>,
    pub server_tools: ServerTools,
    pub notes: Option<String>,
}

impl VersionDraft {
    /// The models with `model` first; the others keep their order as fallbacks. What "Promote" on
    /// a side-by-side column saves.
    pub fn promote(&mut self, model: &str) {
        self.models.retain(|m| m != model);
        self.models.insert(0, model.to_owned());
    }
}

/// A saved, immutable version of an integration's prompt and model setup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Version {
    pub id: i64,
    pub integration_id: i64,
    pub number: i32,
    pub active: bool,
    pub draft: VersionDraft,
    pub created_by: Option<String>,
    pub created_at_ms: i64,
}

/// The registry fields of an integration (everything but its versions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntegrationFields {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub active: bool,
    pub visibility: Visibility,
    pub conversational: bool,
    /// Idle minutes before a thread expires; `None` uses the deployment default.
    pub conversation_ttl_minutes: Option<u32>,
    /// Calls per minute per caller; `None` uses the deployment default.
    pub rate_limit_per_minute: Option<u32>,
    /// Daily spend cap; `None` uses the deployment default.
    pub daily_cap: Option<NanoUsd>,
    /// Callers may send `image_url` content parts.
    pub supports_vision: bool,
    /// Callers may offer function tools and send tool calls and results back.
    pub supports_tools: bool,
    /// Callers may add `system` / `developer` messages after the integration's prompt.
    #[serde(default = "allowed")]
    pub allow_system_messages: bool,
    /// Keep each call's rendered prompt and answer beside its invocation row (off by default:
    /// prompts may hold personal data).
    #[serde(default)]
    pub capture_exchanges: bool,
    /// Days a kept prompt and answer stay before the housekeeping deletes them.
    #[serde(default = "default_capture_retention_days")]
    pub capture_retention_days: u32,
}

/// How long kept prompts and answers stay unless an integration says otherwise.
pub const DEFAULT_CAPTURE_RETENTION_DAYS: u32 = 30;
/// The longest retention an integration may ask for (ten years).
pub const MAX_CAPTURE_RETENTION_DAYS: u32 = 3650;

fn default_capture_retention_days() -> u32 {
    DEFAULT_CAPTURE_RETENTION_DAYS
}

fn allowed() -> bool {
    true
}

impl IntegrationFields {
    /// An active, internal integration with no limits of its own: what a new one starts as.
    pub fn new(slug: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            slug: slug.into(),
            name: name.into(),
            description: None,
            active: true,
            visibility: Visibility::Internal,
            conversational: false,
            conversation_ttl_minutes: None,
            rate_limit_per_minute: None,
            daily_cap: None,
            supports_vision: false,
            supports_tools: false,
            allow_system_messages: true,
            capture_exchanges: false,
            capture_retention_days: DEFAULT_CAPTURE_RETENTION_DAYS,
        }
    }
}

/// A stored integration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Integration {
    pub id: i64,
    pub fields: IntegrationFields,
    pub created_by: Option<String>,
    pub updated_by: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usd_converts_to_exact_nanos_and_back() {
        assert_eq!(NanoUsd::from_usd(0.0034).0, 3_400_000);
        assert_eq!(NanoUsd::from_usd(-1.0), NanoUsd::ZERO);
        assert_eq!(NanoUsd::from_usd(f64::NAN), NanoUsd::ZERO);
        assert!((NanoUsd(1_500_000_000).as_usd() - 1.5).abs() < f64::EPSILON);
    }

    #[test]
    fn only_public_and_both_are_api_visible() {
        assert!(!Visibility::Internal.is_api_visible());
        assert!(Visibility::Public.is_api_visible());
        assert!(Visibility::Both.is_api_visible());
        assert_eq!(Visibility::parse("both"), Some(Visibility::Both));
    }

    #[test]
    fn promoting_puts_the_model_first_and_keeps_the_others_in_order() {
        let mut draft = VersionDraft {
            models: ["a", "b", "c"].map(String::from).to_vec(),
            ..VersionDraft::default()
        };
        draft.promote("c");
        assert_eq!(draft.models, ["c", "a", "b"]);
        draft.promote("new");
        assert_eq!(draft.models, ["new", "c", "a", "b"]);
        draft.promote("new");
        assert_eq!(draft.models, ["new", "c", "a", "b"]);
    }
}
