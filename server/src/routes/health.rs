//! Operations endpoints: `/healthz` (the process serves HTTP), `/readyz` (whether its calls are
//! recorded: the database answers and the telemetry writer keeps up) and `/metrics` (Prometheus
//! text format).

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use gateway::Gateway;
use gateway::telemetry::WriterState;
use serde_json::{Value, json};

pub(crate) async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// 200 while calls work, degraded or not; 503 only while their rows are being lost.
pub(crate) async fn readyz(State(gateway): State<Gateway>) -> (StatusCode, Json<Value>) {
    let readiness = gateway
        .telemetry()
        .health()
        .readiness(gateway.is_ready().await);
    let status = match readiness.status {
        WriterState::Failing => StatusCode::SERVICE_UNAVAILABLE,
        WriterState::Ready | WriterState::Degraded => StatusCode::OK,
    };
    (status, Json(json!(readiness)))
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
