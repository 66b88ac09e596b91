//! The runtime settings admins change from the console, and what the settings and API tokens
//! pages show.

use serde::{Deserialize, Serialize};

use crate::{FieldErrors, NanoUsd};

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

/// The settings page: the effective settings and the model catalog's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingsPage {
    pub settings: Settings,
    pub catalog: CatalogState,
}

/// How many models the catalog holds, where they came from and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogState {
    pub models: usize,
    /// e.g. `Mon, 30 Nov 2026 02:26:54 GMT`; `None` before the first fetch.
    pub fetched_at: Option<String>,
    /// Where the models came from, e.g. `OpenRouter` or `the bundled snapshot`.
    pub source: String,
}

/// The answer to saving settings or refreshing the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SettingsSaved {
    Saved(SettingsPage),
    Invalid(FieldErrors),
}

/// Lifetimes the console offers for a new API token, in days; none means it never expires.
pub const TOKEN_LIFETIMES_DAYS: [u32; 4] = [7, 30, 90, 365];

/// An API token as the console lists it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub abilities: Vec<String>,
    pub created_by: Option<String>,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub expired: bool,
    pub last_used_at: Option<String>,
}

/// A token the console asks for: a name and a lifetime from [`TOKEN_LIFETIMES_DAYS`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken {
    pub name: String,
    pub lifetime_days: Option<u32>,
}

/// The answer to creating a token: its plain text, shown once, or what to fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenCreated {
    Created { token: TokenRow, secret: String },
    Invalid(FieldErrors),
}
