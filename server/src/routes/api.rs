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
use gateway::invoke::{self, Either, InvokeStream, StreamItem};
use gateway::{Gateway, wire};
use serde_json::json;

use crate::auth::ApiCaller;
use crate::error::ApiError;
use crate::extract::{ChatBody, ConverseBody, JsonBody};

pub(crate) async fn chat(
    State(gateway): State<Gateway>,
    caller: ApiCaller,
    Path(slug): Path<String>,
    JsonBody(body): JsonBody<ChatBody>,
) -> Result<Response, ApiError> {
    invoke::resolve_for_api(&gateway, &slug)?;
    let stream = body.stream;
    let request = body.into_request(&slug, caller.0);
    if stream {
        Ok(sse(&slug, invoke::stream(&gateway, request).await?))
    } else {
        Ok(Json(wire::envelope(&slug, &gateway.run(request).await?)).into_response())
    }
}

pub(crate) async fn start(
    State(gateway): State<Gateway>,
    caller: ApiCaller,
    Path(slug): Path<String>,
) -> Result<Response, ApiError> {
    invoke::resolve_for_api(&gateway, &slug)?;
    let conversation = invoke::start_conversation(&gateway, &slug, &caller.0).await?;
    let data = json!({
        "conversation_id": conversation.id,
        "expires_at_ms": conversation.expires_at_ms,
    });
    Ok((
        StatusCode::CREATED,
        Json(json!({ "data": data, "meta": { "integration": slug } })),
    )
        .into_response())
}

pub(crate) async fn converse(
    State(gateway): State<Gateway>,
    caller: ApiCaller,
    Path(slug): Path<String>,
    JsonBody(body): JsonBody<ConverseBody>,
) -> Result<Response, ApiError> {
    invoke::resolve_for_api(&gateway, &slug)?;
    let (conversation_id, message, stream) = (
        body.conversation_id.clone(),
        body.message.clone(),
        body.stream,
    );
    let request = body.into_request(&slug, caller.0);
    match invoke::converse(
        &gateway,
        conversation_id.as_deref(),
        message,
        request,
        stream,
    )
    .await?
    {
        Either::Done(result) => Ok(Json(wire::envelope(&slug, &result)).into_response()),
        Either::Stream(events) => Ok(sse(&slug, events)),
    }
}

/// `delta` events as text arrives, then one `done` event with the envelope, or one `error`
/// event when the answer fails part way (a broken answer never ends like a clean one).
pub(crate) fn sse(slug: &str, events: InvokeStream) -> Response {
    let slug = slug.to_owned();
    let events: std::pin::Pin<Box<dyn Stream<Item = Result<Event, Infallible>> + Send>> =
        Box::pin(events.map(move |item| {
            Ok(match item {
                Ok(StreamItem::Delta(text)) => Event::default()
                    .event("delta")
                    .data(json!({ "text": text }).to_string()),
                Ok(StreamItem::Done(result)) => Event::default()
                    .event("done")
                    .data(wire::envelope(&slug, &result).to_string()),
                Err(error) => Event::default()
                    .event("error")
                    .data(ApiError::from(error).body().to_string()),
            })
        }));
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}
