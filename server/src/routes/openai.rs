//! The OpenAI-compatible API: `POST /v1/chat/completions` with an integration slug as `model`
//! (template variables in an extra `args` field) and `GET /v1/models`, in OpenAI's exact shapes so
//! the official SDKs work unchanged. Same tokens, limits and telemetry as the native API.

use std::convert::Infallible;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt, stream};
use gateway::invoke::{InvokeStream, StreamItem};
use gateway::options;
use gateway::{Call, Caller, CallerKind, Gateway, Outcome, wire};
use serde_json::{Value, json};

use crate::auth::ApiCaller;
use crate::error::ApiError;
use crate::extract::{JsonBody, OpenAiBody, api_target, delivery};

pub(crate) async fn chat_completions(
    State(gateway): State<Gateway>,
    caller: Result<ApiCaller, ApiError>,
    body: Result<JsonBody<OpenAiBody>, ApiError>,
) -> Response {
    match complete(&gateway, caller, body).await {
        Ok(response) => response,
        Err(error) => openai_error(error),
    }
}

async fn complete(
    gateway: &Gateway,
    caller: Result<ApiCaller, ApiError>,
    body: Result<JsonBody<OpenAiBody>, ApiError>,
) -> Result<Response, ApiError> {
    let ApiCaller(caller) = caller?;
    let JsonBody(body) = body?;
    let (slug, include_usage) = (body.model.clone(), body.include_usage);
    let call = Call {
        args: body.args,
        messages: body.messages,
        tools: body.tools,
        options: body.options,
        caller: Caller {
            kind: CallerKind::OpenAi,
            ..caller
        },
        delivery: delivery(body.stream),
        ..Call::new(api_target(&body.model))
    };
    match gateway.call(call).await? {
        Outcome::Stream {
            items,
            generation_id,
        } => Ok(chunks(
            &slug,
            generation_id.as_deref(),
            include_usage,
            items,
        )),
        outcome => {
            let result = outcome.into_done()?;
            Ok(Json(wire::openai_completion(&slug, &result)).into_response())
        }
    }
}

/// API-visible, active integrations as OpenAI models.
pub(crate) async fn models(
    State(gateway): State<Gateway>,
    caller: Result<ApiCaller, ApiError>,
) -> Response {
    match caller {
        Ok(_) => Json(wire::openai_models(&gateway.snapshot())).into_response(),
        Err(error) => openai_error(error),
    }
}

/// OpenAI's chunk stream: a role chunk, content chunks, the tool calls when the model made
/// some, a finish chunk, the usage chunk when
/// asked for, then `[DONE]`; a failure ends with an `error` object and no `[DONE]`.
fn chunks(
    slug: &str,
    generation_id: Option<&str>,
    include_usage: bool,
    events: InvokeStream,
) -> Response {
    let shapes = wire::OpenAiChunks::new(slug, generation_id);
    let event = |chunk: Value| Event::default().data(chunk.to_string());
    let first = event(shapes.role());
    let body = events.flat_map(move |item| {
        let out: Vec<Event> = match item {
            Ok(StreamItem::Delta(text)) => vec![event(shapes.content(&text))],
            Ok(StreamItem::Done(result)) => {
                let mut out: Vec<Event> =
                    shapes.tool_calls(&result).map(event).into_iter().collect();
                out.push(event(shapes.finish(&result)));
                if include_usage {
                    out.push(event(shapes.usage(&result)));
                }
                out.push(Event::default().data("[DONE]"));
                out
            }
            Err(error) => vec![event(openai_error_body(&ApiError::from(error)))],
        };
        stream::iter(out)
    });
    let events: std::pin::Pin<Box<dyn Stream<Item = Result<Event, Infallible>> + Send>> =
        Box::pin(stream::once(async move { first }).chain(body).map(Ok));
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// OpenAI's error shape, and its status for bad input: 400 where the native API says 422.
fn openai_error(error: ApiError) -> Response {
    let body = openai_error_body(&error);
    // OpenAI answers invalid requests with 400, where the native API says 422.
    let status = match error.status() {
        StatusCode::UNPROCESSABLE_ENTITY => StatusCode::BAD_REQUEST,
        status => status,
    };
    error.with_body(body).with_status(status).into_response()
}

/// `{error: {message, type, param, code}}` as OpenAI writes it: `param` is the first field at
/// fault under its `/v1` name (the options are top-level fields here), `code` the failure's class,
/// or for a refused field OpenAI's `unknown_parameter` / `invalid_value`.
fn openai_error_body(error: &ApiError) -> Value {
    let body = error.body();
    let kind = match error.status() {
        StatusCode::UNAUTHORIZED => "authentication_error",
        StatusCode::FORBIDDEN => "permission_error",
        StatusCode::NOT_FOUND => "not_found_error",
        StatusCode::TOO_MANY_REQUESTS => "rate_limit_error",
        StatusCode::PAYMENT_REQUIRED => "insufficient_quota",
        s if s.is_server_error() => "api_error",
        _ => "invalid_request_error",
    };
    let first = body["errors"]
        .as_object()
        .and_then(|errors| errors.iter().next());
    let param = first.map(|(field, _)| field.strip_prefix("options.").unwrap_or(field));
    let code = match (body.get("error_class"), first) {
        (Some(class), _) => class.clone(),
        (None, Some((_, messages))) if messages[0] == options::UNKNOWN_FIELD => {
            Value::from("unknown_parameter")
        }
        (None, Some(_)) => Value::from("invalid_value"),
        (None, None) => Value::Null,
    };
    // OpenAI clients show only `message`: it says what is wrong, not just that something is.
    let message = match first
        .and_then(|(_, problems)| problems[0].as_str())
        .zip(param)
    {
        Some((problem, param)) => Value::from(format!("{param}: {problem}")),
        None => body["message"].clone(),
    };
    json!({
        "error": {
            "message": message,
            "type": kind,
            "param": param,
            "code": code,
            "errors": body.get("errors").cloned().unwrap_or(Value::Null),
        }
    })
}
