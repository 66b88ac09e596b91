//! Serde types shared by the gateway core, the server and the console; nothing here may need a
//! runtime, a database or the network, because this crate also compiles to wasm.

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

/// What the console shows about the running deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemStatus {
    pub version: String,
    pub engine: Engine,
    pub database_reachable: bool,
    /// True when no OpenRouter key is configured and answers come from the built-in simulator.
    pub demo_mode: bool,
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
}
