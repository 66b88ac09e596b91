//! Server functions shared by several pages. Bodies run on the server only: they take the core
//! from context, call it, and return its answer.

use gateway_types::SystemStatus;
use leptos::prelude::*;

/// The deployment's version, database engine and reachability.
#[server]
pub async fn check_status() -> Result<SystemStatus, ServerFnError> {
    crate::auth::require_admin().await?;
    let gateway = expect_context::<gateway::Gateway>();
    Ok(gateway.status().await)
}
