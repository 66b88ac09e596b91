//! Probes: `/healthz` says the process serves HTTP, `/readyz` that its database answers.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use gateway::Gateway;
use serde_json::{Value, json};

pub(crate) async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

pub(crate) async fn readyz(State(gateway): State<Gateway>) -> (StatusCode, Json<Value>) {
    if gateway.is_ready().await {
        (StatusCode::OK, Json(json!({ "status": "ready" })))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "message": "the database does not answer" })),
        )
    }
}
