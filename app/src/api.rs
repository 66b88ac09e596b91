//! Server functions shared by several pages. Bodies run on the server only: they take the core
//! from context, call it, and return its answer.

use gateway_types::SystemStatus;
use leptos::prelude::*;

/// Where the editor's test panel streams from; the server mounts its handler at this path.
pub const TEST_RUN_PATH: &str = "/console/test-run";

/// Where the invocations grid's CSV export is downloaded from, with the grid's filters as the
/// query string (`InvocationQuery::to_query_string`).
pub const INVOCATIONS_CSV_PATH: &str = "/console/invocations.csv";
/// The same export as `{"invocations": [{…}, …]}`.
pub const INVOCATIONS_JSON_PATH: &str = "/console/invocations.json";

/// The deployment's version, database engine and reachability.
#[server]
pub async fn check_status() -> Result<SystemStatus, ServerFnError> {
    let gateway = crate::auth::require_admin().await?.gateway;
    Ok(gateway.status().await)
}

/// A server function's error as a person should read it, without the framework's prefix.
///
/// Every error the console shows passes through here, so this is also where a signed-out
/// answer sends the browser to sign in (`auth::session_ended`) instead of leaving the page up.
pub fn readable(error: &ServerFnError) -> String {
    match error {
        ServerFnError::ServerError(message) => {
            if message == crate::auth::SIGN_IN_REQUIRED {
                crate::auth::session_ended();
            }
            message.clone()
        }
        other => other.to_string(),
    }
}

/// Reads a server function's JSON argument as `T`, refusing a malformed one with 422 and
/// serde's reason; typed arguments would be refused by the framework with a bare 500.
#[cfg(feature = "ssr")]
pub fn parse_input<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
) -> Result<T, ServerFnError> {
    serde_json::from_value(value).map_err(|e| {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(leptos::server_fn::http_export::StatusCode::UNPROCESSABLE_ENTITY);
        }
        ServerFnError::new(format!("The request is not valid: {e}"))
    })
}

/// The core's error as the console shows it, with a status that says whose fault it was (422
/// for bad input, 404, 409); database trouble is logged, not shown in detail.
#[cfg(feature = "ssr")]
pub fn console_error(error: gateway::Error) -> ServerFnError {
    use leptos::server_fn::http_export::StatusCode;
    let status = match &error {
        gateway::Error::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        gateway::Error::NotFound(_) => StatusCode::NOT_FOUND,
        gateway::Error::Conflict(_) => StatusCode::CONFLICT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(status);
    }
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
