//! OpenRouter-shaped error responses (`{"error":{...}}`), including the bundled real-world bodies.

use axum::{
    http::{
        HeaderValue, StatusCode,
        header::{CONTENT_TYPE, RETRY_AFTER},
    },
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use serde_json::{Value, json};

pub(crate) const NO_AUTH: &str = include_str!("../data/errors/error-401-no-auth.json");
pub(crate) const USER_NOT_FOUND: &str =
    include_str!("../data/errors/error-401-user-not-found.json");

/// An error answer: an HTTP status and its JSON body.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    body: Bytes,
}

impl ApiError {
    /// The plain shape `{"error":{"code":N,"message":"..."}}`.
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        let body = json!({"error": {"code": status.as_u16(), "message": message.into()}});
        Self::json(status, &body)
    }

    pub(crate) fn json(status: StatusCode, body: &Value) -> Self {
        Self {
            status,
            body: Bytes::from(body.to_string()),
        }
    }

    /// A bundled body, served byte for byte.
    pub(crate) const fn fixture(status: StatusCode, body: &'static str) -> Self {
        Self {
            status,
            body: Bytes::from_static(body.as_bytes()),
        }
    }

    /// The real-world body OpenRouter sends for `status`, when one is bundled.
    pub(crate) fn captured(status: StatusCode) -> Option<Self> {
        let body = match status.as_u16() {
            400 => include_str!("../data/errors/error-400-provider-openai.json"),
            401 => NO_AUTH,
            402 => include_str!("../data/errors/error-402-insufficient-credits.json"),
            403 => include_str!("../data/errors/error-403-guardrail.json"),
            404 => include_str!("../data/errors/error-404-privacy-restricted.json"),
            408 => include_str!("../data/errors/error-408-timeout.json"),
            429 => include_str!("../data/errors/error-429-rate-limit.json"),
            502 => include_str!("../data/errors/error-502-bad-gateway.json"),
            503 => include_str!("../data/errors/error-503-unavailable.json"),
            _ => return None,
        };
        Some(Self::fixture(status, body))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            self.body,
        )
            .into_response();
        // OpenRouter's retryable statuses tell clients when to come back; keep it short for tests.
        if matches!(
            self.status,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
        ) {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

/// Unknown paths answer in OpenRouter's error shape rather than with an empty body.
pub(crate) async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "Not Found")
}
