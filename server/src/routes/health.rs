//! Operations endpoints: `/healthz` (the process serves HTTP), `/readyz` (its database answers)
//! and `/metrics` (Prometheus text format).

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
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

pub(crate) async fn metrics(State(gateway): State<Gateway>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        gateway.telemetry().render_metrics(),
    )
}
