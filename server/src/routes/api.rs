//! The public invocation API under the configurable prefix (default `/api/ai`):
//! `POST /{slug}/chat`, `/{slug}/start`, `/{slug}/converse`. Handlers extract, call the core and
//! map the result; streaming answers are Server-Sent Events.

use std::convert::Infallible;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt};
use gateway::invoke::{InvokeStream, StreamItem};
use gateway::{Call, Gateway, Outcome, Turn, wire};
use serde_json::json;

use crate::auth::ApiCaller;
use crate::error::ApiError;
use crate::extract::{ChatBody, ConverseBody, JsonBody, api_target};

pub(crate) async fn chat(
    State(gateway): State<Gateway>,
    caller: ApiCaller,
    Path(slug): Path<String>,
    JsonBody(body): JsonBody<ChatBody>,
) -> Result<Response, ApiError> {
    let outcome = gateway.call(body.into_call(&slug, caller.0)).await?;
    Ok(respond(&slug, outcome))
}

pub(crate) async fn start(
    State(gateway): State<Gateway>,
    caller: ApiCaller,
    Path(slug): Path<String>,
) -> Result<Response, ApiError> {
    let call = Call {
        caller: caller.0,
        turn: Turn::Start,
        ..Call::new(api_target(&slug))
    };
    let outcome = gateway.call(call).await?;
    Ok(respond(&slug, outcome))
}

pub(crate) async fn converse(
    State(gateway): State<Gateway>,
    caller: ApiCaller,
    Path(slug): Path<String>,
    JsonBody(body): JsonBody<ConverseBody>,
) -> Result<Response, ApiError> {
    let outcome = gateway.call(body.into_call(&slug, caller.0)).await?;
    Ok(respond(&slug, outcome))
}

/// The native API's answer to each outcome: the `{data, meta}` envelope, an event stream, or
/// the new thread (201).
fn respond(slug: &str, outcome: Outcome) -> Response {
    match outcome {
        Outcome::Done(result) => Json(wire::envelope(slug, &result)).into_response(),
        Outcome::Stream { items, .. } => sse(items),
        Outcome::Started(conversation) => {
            let data = json!({
                "conversation_id": conversation.id,
                "expires_at": gateway::invocations::rfc3339(conversation.expires_at_ms),
                "expires_at_ms": conversation.expires_at_ms,
            });
            (
                StatusCode::CREATED,
                Json(json!({ "data": data, "meta": { "integration": slug } })),
            )
                .into_response()
        }
    }
}

/// `delta` events as text arrives, then one `done` event with the envelope, or one `error`
/// event when the answer fails part way (a broken answer never ends like a clean one).
pub(crate) fn sse(events: InvokeStream) -> Response {
    let events: std::pin::Pin<Box<dyn Stream<Item = Result<Event, Infallible>> + Send>> =
        Box::pin(events.map(|item| {
            Ok(match item {
                Ok(StreamItem::Delta(text)) => Event::default()
                    .event("delta")
                    .data(json!({ "text": text }).to_string()),
                Ok(StreamItem::Done(result)) => Event::default()
                    .event("done")
                    .data(wire::envelope(&result.slug, &result).to_string()),
                Err(error) => Event::default()
                    .event("error")
                    .data(ApiError::from(error).body().to_string()),
            })
        }));
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}
