//! Prompt variables: the typed inputs a version's template declares and callers fill in.

use serde::{Deserialize, Serialize};

/// The value types a prompt variable can declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VariableType {
    String,
    Number,
    Boolean,
    /// A JSON list.
    Array,
    /// A JSON object.
    Object,
    /// A string that must hold valid JSON; inserted into the prompt verbatim.
    Json,
}

impl VariableType {
    pub const ALL: [Self; 6] = [
        Self::String,
        Self::Number,
        Self::Boolean,
        Self::Array,
        Self::Object,
        Self::Json,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Number => "number",
            Self::Boolean => "boolean",
            Self::Array => "array",
            Self::Object => "object",
            Self::Json => "json",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// One declared variable of a prompt template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptVariable {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: VariableType,
    pub required: bool,
    /// Used when the caller leaves the variable out; `None` means no default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A prompt template with its variables, as "Draft with AI" proposes it; nothing is saved until
/// the admin saves the form it fills.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptDraft {
    pub prompt_template: String,
    pub variables: Vec<PromptVariable>,
    /// The helper model's one-line remark, if it made one.
    pub notes: Option<String>,
}

/// The answer to "Draft with AI": a draft, or why there is none, as a sentence to show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DraftResult {
    Drafted(PromptDraft),
    Failed(String),
}
