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
use gateway::invoke::{self, InvokeStream, StreamItem};
use gateway::{Caller, CallerKind, Gateway, InvokeRequest, InvokeResult};
use serde_json::{Value, json};

use crate::auth::ApiCaller;
use crate::error::ApiError;
use crate::extract::{JsonBody, OpenAiBody};

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
    invoke::resolve_for_api(gateway, &body.model)?;
    let caller = Caller {
        kind: CallerKind::OpenAi,
        ..caller
    };
    let (slug, stream, include_usage) = (body.model.clone(), body.stream, body.include_usage);
    let request = InvokeRequest {
        messages: body.messages,
        options: body.options,
        caller,
        ..InvokeRequest::new(&body.model, body.args)
    };
    if stream {
        Ok(chunks(
            slug,
            include_usage,
            invoke::stream(gateway, request).await?,
        ))
    } else {
        Ok(Json(completion(&slug, &gateway.run(request).await?)).into_response())
    }
}

/// API-visible, active integrations as OpenAI models.
pub(crate) async fn models(
    State(gateway): State<Gateway>,
    caller: Result<ApiCaller, ApiError>,
) -> Response {
    if let Err(error) = caller {
        return openai_error(error);
    }
    let data: Vec<Value> = gateway
        .snapshot()
        .integrations()
        .iter()
        .filter(|live| {
            live.integration.fields.active && live.integration.fields.visibility.is_api_visible()
        })
        .map(|live| {
            json!({
                "id": live.integration.fields.slug,
                "object": "model",
                "created": live.integration.created_at_ms / 1000,
                "owned_by": "ai-gateway",
            })
        })
        .collect();
    Json(json!({ "object": "list", "data": data })).into_response()
}

fn completion(slug: &str, result: &InvokeResult) -> Value {
    json!({
        "id": format!("chatcmpl-{}", result.invocation_id.simple()),
        "object": "chat.completion",
        "created": gateway::now_ms() / 1000,
        "model": slug,
        "choices": [{
            "index": 0,
            "message": { "role": "assistant", "content": result.text, "refusal": null },
            "logprobs": null,
            "finish_reason": result.finish_reason.as_deref().unwrap_or("stop"),
        }],
        "usage": usage(result),
    })
}

fn usage(result: &InvokeResult) -> Value {
    json!({
        "prompt_tokens": result.usage.prompt_tokens,
        "completion_tokens": result.usage.completion_tokens,
        "total_tokens": result.usage.prompt_tokens + result.usage.completion_tokens,
        "prompt_tokens_details": { "cached_tokens": result.usage.cached_tokens },
        "completion_tokens_details": { "reasoning_tokens": result.usage.reasoning_tokens },
        "cost": result.cost.map(|c| c.as_usd()),
    })
}

/// OpenAI's chunk stream: a role chunk, content chunks, a finish chunk, the usage chunk when
/// asked for, then `[DONE]`; a failure ends with an `error` object and no `[DONE]`.
fn chunks(slug: String, include_usage: bool, events: InvokeStream) -> Response {
    let id = format!("chatcmpl-{}", uuid::Uuid::now_v7().simple());
    let created = gateway::now_ms() / 1000;
    let chunk = move |choices: Value, usage: Option<Value>| {
        let mut chunk = json!({
            "id": id, "object": "chat.completion.chunk", "created": created, "model": slug, "choices": choices,
        });
        if let Some(usage) = usage {
            chunk["usage"] = usage;
        }
        Event::default().data(chunk.to_string())
    };
    let delta = |delta: Value, finish: Option<&str>| json!([{ "index": 0, "delta": delta, "logprobs": null, "finish_reason": finish }]);
    let first = chunk(
        delta(json!({ "role": "assistant", "content": "" }), None),
        None,
    );
    let body = events.flat_map(move |item| {
        let out: Vec<Event> = match item {
            Ok(StreamItem::Delta(text)) => {
                vec![chunk(delta(json!({ "content": text }), None), None)]
            }
            Ok(StreamItem::Done(result)) => {
                let mut out = vec![chunk(
                    delta(
                        json!({}),
                        Some(result.finish_reason.as_deref().unwrap_or("stop")),
                    ),
                    None,
                )];
                if include_usage {
                    out.push(chunk(json!([]), Some(usage(&result))));
                }
                out.push(Event::default().data("[DONE]"));
                out
            }
            Err(error) => {
                vec![Event::default().data(openai_error_body(&ApiError::from(error)).to_string())]
            }
        };
        stream::iter(out)
    });
    let events: std::pin::Pin<Box<dyn Stream<Item = Result<Event, Infallible>> + Send>> =
        Box::pin(stream::once(async move { first }).chain(body).map(Ok));
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}

fn openai_error(error: ApiError) -> Response {
    let body = openai_error_body(&error);
    error.with_body(body).into_response()
}

/// `{error: {message, type, param, code}}` as OpenAI writes it.
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
    let param = body["errors"]
        .as_object()
        .and_then(|errors| errors.keys().next().cloned());
    json!({
        "error": {
            "message": body["message"],
            "type": kind,
            "param": param,
            "code": body.get("error_class").cloned().unwrap_or(Value::Null),
            "errors": body.get("errors").cloned().unwrap_or(Value::Null),
        }
    })
}
