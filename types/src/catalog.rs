//! What the console and the core need to know about an OpenRouter model.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How a model takes prompt caching: marked explicitly with `cache_control`, applied by the
/// provider automatically, or not at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CachingMode {
    Explicit,
    Automatic,
    Unsupported,
}

/// Per-token prices in USD as OpenRouter lists them (decimal strings kept exact as nano-dollars
/// per million tokens would lose nothing either, but the catalog's own precision is enough).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelPricing {
    /// USD per prompt token; `None` when unknown or dynamic (router models).
    pub prompt: Option<f64>,
    /// USD per completion token.
    pub completion: Option<f64>,
    pub request: Option<f64>,
    pub input_cache_read: Option<f64>,
    pub input_cache_write: Option<f64>,
    pub web_search: Option<f64>,
}

/// One model of the catalog, trimmed to what the gateway uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub context_length: Option<u64>,
    pub max_completion_tokens: Option<u64>,
    pub pricing: ModelPricing,
    pub supported_parameters: Vec<String>,
    /// The model's own defaults (`temperature`, `top_p`, …) where OpenRouter lists them.
    pub default_parameters: BTreeMap<String, serde_json::Value>,
    pub input_modalities: Vec<String>,
    pub caching: CachingMode,
}
