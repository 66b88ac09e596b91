//! Server functions shared by several pages. Bodies run on the server only: they take the core
//! from context, call it, and return its answer.

use gateway_types::SystemStatus;
use leptos::prelude::*;

/// Where the editor's test panel streams from; the server mounts its handler at this path.
pub const TEST_RUN_PATH: &str = "/console/test-run";

/// The deployment's version, database engine and reachability.
#[server]
pub async fn check_status() -> Result<SystemStatus, ServerFnError> {
    crate::auth::require_admin().await?;
    let gateway = expect_context::<gateway::Gateway>();
    Ok(gateway.status().await)
}

/// A server function's error as a person should read it, without the framework's prefix.
pub fn readable(error: &ServerFnError) -> String {
    match error {
        ServerFnError::ServerError(message) => message.clone(),
        other => other.to_string(),
    }
}

/// The core's error as the console shows it; database trouble is logged, not shown in detail.
#[cfg(feature = "ssr")]
pub fn console_error(error: gateway::Error) -> ServerFnError {
    match error {
        gateway::Error::Store { .. } | gateway::Error::Corrupt(_) => {
            tracing::error!(%error, "console request failed");
            ServerFnError::new("The database could not complete the request; see the server log.")
        }
        other => ServerFnError::new(other.to_string()),
    }
}

// Server functions of components, named here so that the server's tests can address them.
pub use crate::components::draft_with_ai::{DraftHelper, DraftPrompt};
