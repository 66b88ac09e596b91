//! Operations endpoints: `/healthz` (the process serves HTTP), `/readyz` (whether its calls are
//! recorded: the database answers and the telemetry writer keeps up) and `/metrics` (Prometheus
//! text format, only where configured: its labels name every integration).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use gateway::Gateway;
use gateway::telemetry::WriterState;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::Secret;

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

/// Lets a request through only with `Authorization: Bearer <token>`. Both sides are hashed
/// before a constant-time comparison, so neither the token's bytes nor its length leak through
/// timing.
pub(crate) async fn require_metrics_token(
    State(token): State<Arc<Secret>>,
    request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    let matches =
        Sha256::digest(presented.as_bytes()).ct_eq(&Sha256::digest(token.expose().as_bytes()));
    if bool::from(matches) {
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
