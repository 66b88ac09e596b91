//! Operations endpoints: `/healthz` (the process serves HTTP), `/readyz` (whether its calls are
//! recorded: the database answers and the telemetry writer keeps up) and `/metrics` (Prometheus
//! text format, only where configured: its labels name every integration).

use std::sync::Arc;

use crate::auth::{bearer, same_secret};
use crate::config::Secret;
use axum::Json;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
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

/// Lets a request through only with `Authorization: Bearer <token>`.
pub(crate) async fn require_metrics_token(
    State(token): State<Arc<Secret>>,
    request: Request,
    next: Next,
) -> Response {
    let presented = bearer(request.headers()).unwrap_or_default();
    if same_secret(presented, token.expose()) {
        next.run(request).await
    } else {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "/metrics needs the token set in AI_GATEWAY_METRICS_TOKEN.",
        )
            .into_response()
    }
}
