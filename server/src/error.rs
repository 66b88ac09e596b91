//! `ApiError`: every failure of the public API as a status code and a JSON body
//! `{message, errors?}`. Server faults are logged here and answered without their details.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gateway::Error;
use gateway::accounts::LoginError;
use gateway::types::FieldErrors;
use gateway::upstream::UpstreamError;
use serde_json::{Value, json};

/// A failed API request, ready to be answered.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: Value,
    retry_after: Option<u64>,
    bearer_challenge: bool,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            body: json!({ "message": message.into() }),
            retry_after: None,
            bearer_challenge: false,
        }
    }

    /// 422 with the messages keyed by field.
    pub fn invalid(message: &str, errors: &FieldErrors) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: json!({ "message": message, "errors": errors }),
            retry_after: None,
            bearer_challenge: false,
        }
    }

    /// Marks a 401 so the response names the scheme it expects.
    pub fn www_authenticate(&mut self) {
        self.bearer_challenge = true;
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The same status and headers with another body shape (the OpenAI-compatible API's).
    pub fn with_body(self, body: Value) -> Self {
        Self { body, ..self }
    }

    /// The same error under another status (OpenAI answers bad input with 400, not 422).
    pub fn with_status(self, status: StatusCode) -> Self {
        Self { status, ..self }
    }

    /// Also usable as one line of a stream's error event.
    pub fn body(&self) -> &Value {
        &self.body
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        match error {
            Error::NotFound(what) => Self::new(
                StatusCode::NOT_FOUND,
                format!("{} not found", capitalised(what)),
            ),
            Error::Invalid(errors) => Self::invalid("Invalid arguments", &errors),
            Error::Conflict(errors) => Self {
                status: StatusCode::CONFLICT,
                body: json!({ "message": errors.0.values().flatten().next().cloned().unwrap_or_default(), "errors": errors }),
                retry_after: None,
                bearer_challenge: false,
            },
            Error::RateLimited {
                retry_after_secs, ..
            } => Self {
                retry_after: Some(retry_after_secs),
                ..Self::new(StatusCode::TOO_MANY_REQUESTS, error.to_string_for_caller())
            },
            Error::BudgetExceeded { spent, cap, .. } => Self {
                status: StatusCode::PAYMENT_REQUIRED,
                body: json!({
                    "message": error.to_string_for_caller(),
                    "spent_usd": spent.as_usd(),
                    "cap_usd": cap.as_usd(),
                }),
                retry_after: None,
                bearer_challenge: false,
            },
            Error::Upstream(upstream) => upstream_error(&upstream),
            internal => {
                tracing::error!(error = %internal, "request failed inside the gateway");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal error; the details are in the server log.",
                )
            }
        }
    }
}

/// A refused sign-in (the docs' Basic credentials): wrong is 401, throttled or busy is 429 with
/// the time to wait, a fault inside is a 500 like any other.
impl From<LoginError> for ApiError {
    fn from(error: LoginError) -> Self {
        match error {
            LoginError::Internal(error) => error.into(),
            LoginError::InvalidCredentials => {
                Self::new(StatusCode::UNAUTHORIZED, error.to_string())
            }
            LoginError::Throttled { retry_after_secs } | LoginError::Busy { retry_after_secs } => {
                Self {
                    retry_after: Some(retry_after_secs),
                    ..Self::new(StatusCode::TOO_MANY_REQUESTS, error.to_string())
                }
            }
        }
    }
}

/// The provider's failure, told without internals: what kind of failure, never raw bodies.
fn upstream_error(error: &UpstreamError) -> ApiError {
    match error {
        UpstreamError::Timeout => ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "The AI provider did not answer in time.",
        ),
        other => {
            tracing::warn!(error = %other, "upstream request failed");
            let mut failed =
                ApiError::new(StatusCode::BAD_GATEWAY, "The AI provider request failed.");
            failed.body["error_class"] = Value::from(other.class());
            failed
        }
    }
}

fn capitalised(what: &str) -> String {
    let mut chars = what.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The `Display` of limit errors is already written for callers.
trait CallerMessage {
    fn to_string_for_caller(&self) -> String;
}

impl CallerMessage for Error {
    fn to_string_for_caller(&self) -> String {
        let text = self.to_string();
        let mut chars = text.chars();
        chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect::<String>() + ".")
            .unwrap_or_default()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        if let Some(seconds) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        if self.bearer_challenge {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
