//! Fault injection: reading the fault a request asks for, and the broken non-streamed responses
//! faults produce.

use std::{io, time::Duration};

use axum::{
    body::Body,
    http::{HeaderMap, HeaderValue, StatusCode, header::CONTENT_TYPE},
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use futures::StreamExt;
use serde_json::{Value, json};

use crate::{
    FAULT_HEADER,
    answer::{Answer, ResponseMeta, Usage, completion_body, message_choice},
    error::ApiError,
};

const VALID_FAULTS: &str = "latency-<ms>, error-<400..599>, malformed-json, error-in-200, \
                            cut-stream, midstream-error, slow-stream, unavailable, nul-in-answer";

/// A way for one chat completion to misbehave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Answer normally, but only after this extra pause.
    Latency(Duration),
    /// Fail with this status and OpenRouter's body for it.
    Error(StatusCode),
    /// HTTP 200 whose JSON body is cut short.
    MalformedJson,
    /// HTTP 200 whose body carries a provider error instead of an answer.
    ErrorIn200,
    /// Break the connection halfway through the body.
    CutStream,
    /// Stream part of the answer, then OpenRouter's mid-stream error chunk.
    MidstreamError,
    /// Stream with long pauses and keep-alive comments between chunks.
    SlowStream,
    /// No provider can serve the model: as a model id it is skipped in favour of a fallback.
    Unavailable,
    /// Answer normally, with a NUL character in the text (models do emit them), which
    /// PostgreSQL cannot store as text.
    NulInAnswer,
}

impl Fault {
    pub(crate) fn parse(name: &str) -> Result<Self, ApiError> {
        let fault = match name {
            "malformed-json" => Some(Self::MalformedJson),
            "error-in-200" => Some(Self::ErrorIn200),
            "cut-stream" => Some(Self::CutStream),
            "midstream-error" => Some(Self::MidstreamError),
            "slow-stream" => Some(Self::SlowStream),
            "unavailable" => Some(Self::Unavailable),
            "nul-in-answer" => Some(Self::NulInAnswer),
            _ => parse_parameterized(name),
        };
        fault.ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("Unknown simulator fault `{name}`; valid faults are: {VALID_FAULTS}"),
            )
        })
    }

    /// The fault named by the request's [`FAULT_HEADER`], if any.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Result<Option<Self>, ApiError> {
        header_text(headers, FAULT_HEADER)?
            .map(Self::parse)
            .transpose()
    }
}

/// A simulator control header's value, trimmed; `None` when the request does not set it.
pub(crate) fn header_text<'a>(
    headers: &'a HeaderMap,
    name: &str,
) -> Result<Option<&'a str>, ApiError> {
    headers
        .get(name)
        .map(|value| {
            value.to_str().map(str::trim).map_err(|_| {
                ApiError::new(StatusCode::BAD_REQUEST, format!("{name} must be ASCII"))
            })
        })
        .transpose()
}

fn parse_parameterized(name: &str) -> Option<Fault> {
    if let Some(millis) = name.strip_prefix("latency-") {
        return millis
            .parse()
            .ok()
            .map(|millis| Fault::Latency(Duration::from_millis(millis)));
    }
    let status = name.strip_prefix("error-")?.parse::<u16>().ok()?;
    if !(400..=599).contains(&status) {
        return None;
    }
    StatusCode::from_u16(status).ok().map(Fault::Error)
}

/// The error response of an `error-<status>` fault.
pub(crate) fn error_response(status: StatusCode) -> ApiError {
    ApiError::captured(status).unwrap_or_else(|| {
        let reason = status.canonical_reason().unwrap_or("Error");
        ApiError::new(status, format!("Simulated upstream failure: {reason}"))
    })
}

/// No provider is available for `model` (and no fallback may or can be used).
pub(crate) fn unavailable(model: &str) -> ApiError {
    ApiError::json(
        StatusCode::SERVICE_UNAVAILABLE,
        &json!({"error": {
            "code": 503,
            "message": format!("No available providers for {model}. Try again later."),
            "metadata": {"error_type": "provider_unavailable"}
        }}),
    )
}

/// `malformed-json`: a 200 whose JSON body stops halfway.
pub(crate) fn malformed_json(meta: &ResponseMeta, answer: &Answer) -> Response {
    let body = full_body(meta, answer);
    json_response(Body::from(body.slice(..body.len() / 2)))
}

/// `cut-stream` without streaming: half of the body, then the connection breaks.
pub(crate) fn cut_body(meta: &ResponseMeta, answer: &Answer) -> Response {
    let body = full_body(meta, answer);
    let half = futures::stream::once(async move { Ok(body.slice(..body.len() / 2)) });
    json_response(Body::from_stream(
        half.chain(futures::stream::once(break_connection())),
    ))
}

/// `error-in-200`: the 2025 capture of a provider error delivered as a successful completion.
pub(crate) fn error_in_200(meta: &ResponseMeta) -> Response {
    let mut body = meta.envelope("chat.completion");
    body.insert(
        "error".into(),
        json!({
            "message": "Provider returned error",
            "code": 429,
            "metadata": {"raw": "error code: 1015", "provider_name": "Kluster"}
        }),
    );
    body.insert("user_id".into(), "user_simulator".into());
    body.insert(
        "choices".into(),
        Value::Array(vec![message_choice(Value::Null, None)]),
    );
    body.insert("usage".into(), Usage::zero().to_json());
    json_response(Body::from(Value::Object(body).to_string()))
}

/// The error a body stream yields to make the server drop the connection mid-body.
pub(crate) async fn break_connection() -> io::Result<Bytes> {
    // Yielding once lets the server flush what was already sent; otherwise the error would
    // discard the buffered part and the client would not even see the response headers.
    tokio::task::yield_now().await;
    Err(io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "simulated connection cut",
    ))
}

fn full_body(meta: &ResponseMeta, answer: &Answer) -> Bytes {
    Bytes::from(completion_body(meta, answer).to_string())
}

fn json_response(body: Body) -> Response {
    (
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    )
        .into_response()
}
