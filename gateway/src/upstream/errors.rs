//! How a call to OpenRouter fails: the error type, and reading OpenRouter's error bodies (every
//! shape seen in the wild, 2025 and 2026) into it.

use std::time::Duration;

use serde_json::Value;

use super::completion::Usage;

/// How much of a provider's raw error text, or of a non-JSON error body, is kept for humans.
const DETAIL_CHARS: usize = 400;

/// Everything a call to OpenRouter can fail with. Cheap to clone, so callers can keep one for
/// telemetry and hand another to their caller.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UpstreamError {
    /// No API key is configured; nothing was sent.
    #[error("no OpenRouter API key is configured")]
    NotConfigured,
    /// The deadline passed before OpenRouter answered (or a stream went silent for too long).
    #[error("OpenRouter did not answer in time")]
    Timeout,
    /// No response arrived: the connection could not be made or broke before an answer.
    #[error("could not reach OpenRouter: {0}")]
    Connect(String),
    /// OpenRouter answered with a non-2xx status.
    #[error("OpenRouter answered HTTP {status}: {message}")]
    Status {
        status: u16,
        /// OpenRouter's typed error name (`metadata.error_type` or `availability.code`).
        code: Option<String>,
        /// Readable text: `error.message`, plus the provider's own message and remedy if given.
        message: String,
        provider: Option<String>,
        retry_after: Option<Duration>,
        generation_id: Option<String>,
        /// HTTP attempts made, this one included.
        attempts: u32,
    },
    /// An HTTP 200 whose body carries an `error` object instead of an answer.
    #[error("OpenRouter reported an error in a successful response: {message}")]
    ErrorInBody {
        /// `error.code` when it is an HTTP-like status.
        status: Option<u16>,
        code: Option<String>,
        message: String,
        provider: Option<String>,
        generation_id: Option<String>,
    },
    /// A 2xx body that is not the JSON completion it should be.
    #[error("OpenRouter sent an unreadable response: {0}")]
    Malformed(String),
    /// The provider failed after the answer had started (a mid-stream error chunk, or a choice
    /// ending in an error).
    #[error("the provider failed while answering: {message}")]
    Provider {
        status: Option<u16>,
        code: Option<String>,
        message: String,
        provider: Option<String>,
        generation_id: Option<String>,
    },
    /// The caller went away (a client disconnect) while the answer streamed.
    #[error("the caller disconnected before the answer was complete")]
    Cancelled,
    /// The answer stopped before it was complete.
    #[error("the answer broke off after {text_so_far_len} bytes of text")]
    Truncated {
        /// Usage, when OpenRouter had already reported it.
        partial_usage: Option<Usage>,
        text_so_far_len: usize,
    },
}

impl UpstreamError {
    /// A short stable name for telemetry and metrics.
    pub fn class(&self) -> &'static str {
        match self {
            Self::NotConfigured => "not_configured",
            Self::Timeout => "timeout",
            Self::Connect(_) => "connect",
            Self::Status { status, .. } => status_class(*status),
            Self::ErrorInBody { .. } => "error_in_body",
            Self::Malformed(_) => "malformed_response",
            Self::Provider { .. } => "provider_error",
            Self::Truncated { .. } => "truncated_stream",
            Self::Cancelled => "client_disconnected",
        }
    }

    /// HTTP attempts made before giving up (at least one once anything was sent).
    pub fn attempts(&self) -> u32 {
        match self {
            Self::NotConfigured => 0,
            Self::Status { attempts, .. } => *attempts,
            _ => 1,
        }
    }

    /// What OpenRouter had already reported as used when the answer broke off.
    pub fn partial_usage(&self) -> Option<&Usage> {
        match self {
            Self::Truncated { partial_usage, .. } => partial_usage.as_ref(),
            _ => None,
        }
    }

    /// Whether trying the same request again may succeed: rate limits, overloads, gateway
    /// failures and lost connections, but never a request OpenRouter rejected on its merits.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Connect(_) => true,
            Self::Status { status, .. } => is_retryable_status(*status),
            _ => false,
        }
    }

    /// The pause OpenRouter asked for before trying again.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504 | 524 | 529)
}

fn status_class(status: u16) -> &'static str {
    match status {
        400 => "upstream_400",
        401 => "upstream_401",
        402 => "upstream_402",
        403 => "upstream_403",
        404 => "upstream_404",
        408 => "upstream_408",
        413 => "upstream_413",
        422 => "upstream_422",
        429 => "upstream_429",
        500 => "upstream_500",
        502 => "upstream_502",
        503 => "upstream_503",
        504 => "upstream_504",
        524 => "upstream_524",
        529 => "upstream_529",
        _ if (400..500).contains(&status) => "upstream_4xx",
        _ if (500..600).contains(&status) => "upstream_5xx",
        _ => "upstream_status",
    }
}

/// What an OpenRouter `error` object says, whichever generation of the API wrote it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ErrorDetail {
    pub(crate) status: Option<u16>,
    pub(crate) code: Option<String>,
    pub(crate) message: String,
    pub(crate) provider: Option<String>,
    pub(crate) retry_after: Option<Duration>,
}

impl ErrorDetail {
    /// Reads an `error` value: normally an object, but a bare string is taken as the message.
    pub(crate) fn from_error(error: &Value) -> Self {
        let metadata = &error["metadata"];
        let availability = &error["availability"];
        let status = error["code"]
            .as_u64()
            .or_else(|| error["http_status"].as_u64())
            .and_then(|code| u16::try_from(code).ok());
        let code = [
            &metadata["error_type"],
            &availability["code"],
            &error["error_type"],
            &error["code"],
        ]
        .into_iter()
        .find_map(non_blank)
        .map(str::to_owned);
        let base = non_blank(&error["message"])
            .or_else(|| non_blank(error))
            .unwrap_or("OpenRouter gave no error message");
        let mut message = base.trim().to_owned();
        if let Some(raw) = non_blank(&metadata["raw"]) {
            let detail = provider_detail(raw);
            if detail != message {
                message = format!("{message}: {detail}");
            }
        }
        if let Some(hint) = non_blank(&metadata["remedy_hint"]) {
            message = format!("{message} (remedy: {})", hint.trim());
        }
        Self {
            status,
            code,
            message,
            provider: non_blank(&metadata["provider_name"]).map(str::to_owned),
            retry_after: availability["retry_after"]
                .as_f64()
                .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok()),
        }
    }

    /// Reads a non-2xx response body, which may be OpenRouter's JSON, a proxy's HTML page or
    /// nothing at all.
    pub(crate) fn from_body(status: u16, body: &[u8]) -> Self {
        match serde_json::from_slice::<Value>(body) {
            Ok(value) if value.get("error").is_some_and(|error| !error.is_null()) => {
                Self::from_error(&value["error"])
            }
            _ => {
                let text = String::from_utf8_lossy(body);
                let reason = reqwest::StatusCode::from_u16(status)
                    .ok()
                    .and_then(|status| status.canonical_reason())
                    .unwrap_or("Unexpected status");
                let snippet = truncate(text.trim(), DETAIL_CHARS);
                let message = if snippet.is_empty() {
                    reason.to_owned()
                } else {
                    format!("{reason}: {snippet}")
                };
                Self {
                    status: Some(status),
                    code: None,
                    message,
                    provider: None,
                    retry_after: None,
                }
            }
        }
    }
}

/// A provider's raw error is often its own JSON error body; its message is what a human needs.
fn provider_detail(raw: &str) -> String {
    let inner = serde_json::from_str::<Value>(raw).ok().and_then(|value| {
        [
            &value["error"]["message"],
            &value["message"],
            &value["error"],
        ]
        .into_iter()
        .find_map(non_blank)
        .map(str::to_owned)
    });
    let detail = inner.unwrap_or_else(|| raw.to_owned());
    truncate(detail.trim(), DETAIL_CHARS)
}

/// A string value with something in it.
pub(crate) fn non_blank(value: &Value) -> Option<&str> {
    value.as_str().filter(|text| !text.trim().is_empty())
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn detail(body: &str) -> ErrorDetail {
        let value: Value = serde_json::from_str(body).unwrap();
        ErrorDetail::from_error(&value["error"])
    }

    #[test]
    fn a_plain_error_keeps_its_code_and_message() {
        let detail = detail(r#"{"error":{"message":"User not found.","code":401}}"#);
        assert_eq!(detail.status, Some(401));
        assert_eq!(detail.code, None);
        assert_eq!(detail.message, "User not found.");
    }

    #[test]
    fn a_relayed_provider_error_shows_the_providers_own_message() {
        let detail = detail(
            r#"{"error":{"message":"Provider returned error","code":400,"metadata":{"raw":"{\n  \"error\": {\n    \"message\": \"Response input messages must contain the word 'json'.\",\n    \"type\": \"invalid_request_error\"\n  }\n}","provider_name":"OpenAI"}},"user_id":"org_x"}"#,
        );
        assert_eq!(
            detail.message,
            "Provider returned error: Response input messages must contain the word 'json'."
        );
        assert_eq!(detail.provider.as_deref(), Some("OpenAI"));
    }

    #[test]
    fn a_plain_text_raw_error_and_a_remedy_hint_are_both_shown() {
        let detail = detail(
            r#"{"error":{"message":"Provider returned error","code":429,"metadata":{"raw":"z-ai/glm is temporarily rate-limited upstream.","provider_name":"BaseTen","limit_source":"upstream_provider_shared_pool","remedy_hint":"Retry shortly, add your own provider key, or route to another provider"}}}"#,
        );
        assert_eq!(
            detail.message,
            "Provider returned error: z-ai/glm is temporarily rate-limited upstream. \
             (remedy: Retry shortly, add your own provider key, or route to another provider)"
        );
    }

    #[test]
    fn availability_errors_without_a_code_use_their_typed_fields() {
        let detail = detail(
            r#"{"error":{"message":"All providers are at capacity.","error_type":"rate_limit_exceeded","http_status":429,"availability":{"code":"capacity_exhausted","retryable":true,"retry_after":40}}}"#,
        );
        assert_eq!(detail.status, Some(429));
        assert_eq!(detail.code.as_deref(), Some("capacity_exhausted"));
        assert_eq!(detail.retry_after, Some(Duration::from_secs(40)));
    }

    #[test]
    fn metadata_error_types_and_string_codes_both_name_the_error() {
        let typed = detail(
            r#"{"error":{"code":429,"message":"Rate limit exceeded","metadata":{"error_type":"rate_limit_exceeded"}}}"#,
        );
        assert_eq!(typed.code.as_deref(), Some("rate_limit_exceeded"));
        let stringly = detail(r#"{"error":{"code":"server_error","message":"Boom"}}"#);
        assert_eq!(stringly.status, None);
        assert_eq!(stringly.code.as_deref(), Some("server_error"));
    }

    #[test]
    fn a_non_json_body_becomes_the_status_reason_and_a_snippet() {
        let detail = ErrorDetail::from_body(502, b"<html>Bad gateway</html>");
        assert_eq!(detail.status, Some(502));
        assert_eq!(detail.message, "Bad Gateway: <html>Bad gateway</html>");
        assert_eq!(
            ErrorDetail::from_body(503, b"").message,
            "Service Unavailable"
        );
    }

    #[test]
    fn a_bare_string_error_is_its_own_message() {
        assert_eq!(ErrorDetail::from_error(&json!("quota")).message, "quota");
    }

    #[test]
    fn long_details_are_cut_on_a_character_boundary() {
        let raw = "é".repeat(DETAIL_CHARS + 10);
        let detail = ErrorDetail::from_error(&json!({"message": "m", "metadata": {"raw": raw}}));
        assert!(detail.message.ends_with('…'));
        assert_eq!(
            detail.message.chars().count(),
            "m: ".len() + DETAIL_CHARS + 1
        );
    }

    #[test]
    fn only_transient_statuses_and_lost_connections_are_retryable() {
        for status in [408, 429, 500, 502, 503, 504, 524, 529] {
            assert!(is_retryable_status(status), "{status}");
        }
        for status in [400, 401, 402, 403, 404, 422] {
            assert!(!is_retryable_status(status), "{status}");
        }
        assert!(UpstreamError::Connect("reset".into()).is_retryable());
        assert!(!UpstreamError::Timeout.is_retryable());
    }

    #[test]
    fn classes_are_short_stable_names() {
        let status = |status| UpstreamError::Status {
            status,
            code: None,
            message: String::new(),
            provider: None,
            retry_after: None,
            generation_id: None,
            attempts: 1,
        };
        assert_eq!(status(429).class(), "upstream_429");
        assert_eq!(status(418).class(), "upstream_4xx");
        assert_eq!(status(599).class(), "upstream_5xx");
        assert_eq!(UpstreamError::Timeout.class(), "timeout");
        let truncated = UpstreamError::Truncated {
            partial_usage: None,
            text_so_far_len: 3,
        };
        assert_eq!(truncated.class(), "truncated_stream");
    }
}
