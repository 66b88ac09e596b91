//! Serde types shared by the gateway core, the server and the console; nothing here may need a
//! runtime, a database or the network, because this crate also compiles to wasm.

mod catalog;
mod console;
mod dashboard;
mod errors;
mod integration;
mod invocations;
mod prompt;
mod settings;
mod versions;

pub use catalog::{CachingMode, ModelInfo, ModelPricing};
pub use console::{
    EditorData, IntegrationQuery, IntegrationRow, ModelChoice, Page, SaveResult, TestRun,
};
pub use dashboard::{CallStats, CostRow, Dashboard, HourBucket, IntegrationSpend};
pub use errors::FieldErrors;
pub use integration::*;
pub use invocations::{
    BucketSize, CALLER_TYPES, ChartBucket, InvocationChart, InvocationDetail, InvocationExchange,
    InvocationPage, InvocationQuery, InvocationRow, InvocationSort, InvocationStatus,
    InvocationTotals, SortDirection, group_digits,
};
pub use prompt::{DraftResult, PromptDraft, PromptVariable, VariableType};
pub use settings::{
    CatalogState, NewToken, Settings, SettingsPage, SettingsSaved, TOKEN_LIFETIMES_DAYS,
    TokenCreated, TokenRow,
};
pub use versions::{
    DiffLine, Hunk, LineChange, Setting, SettingChange, VersionDiff, VersionHistory, VersionView,
};

use serde::{Deserialize, Serialize};

/// Which database engine a deployment runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn label(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        }
    }
}

/// A console administrator as the console sees one; never carries the password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Admin {
    pub id: i64,
    pub email: String,
}

/// A password as typed into a form or a prompt. Its `Debug` output never shows it, so it can
/// travel in server-function arguments and error reports safely.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Password(String);

impl Password {
    pub fn new(plain: impl Into<String>) -> Self {
        Self(plain.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// What the console shows about the running deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemStatus {
    pub version: String,
    pub engine: Engine,
    pub database_reachable: bool,
    /// True when no OpenRouter key is configured and answers come from the built-in simulator.
    pub demo_mode: bool,
    /// Where the interactive API docs are, while the API and its docs are on.
    #[serde(default)]
    pub api_docs_path: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_serialize_as_lowercase_names() {
        assert_eq!(
            serde_json::to_string(&Engine::Postgres).unwrap(),
            "\"postgres\""
        );
        assert_eq!(Engine::Sqlite.label(), "SQLite");
    }

    #[test]
    fn field_errors_summarise_in_field_order() {
        let mut errors = FieldErrors::new();
        errors.add("b", "second");
        errors.add("a", "first");
        assert_eq!(errors.summary(), "a: first; b: second");
        assert_eq!(serde_json::to_value(&errors).unwrap()["a"][0], "first");
    }
}
