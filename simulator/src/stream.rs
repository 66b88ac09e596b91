//! Server-sent-event bodies of streamed completions: chunk framing, pacing, usage-chunk variants
//! and broken endings.

use std::{collections::VecDeque, time::Duration};

use axum::{
    body::Body,
    http::{
        HeaderMap, HeaderValue, StatusCode,
        header::{CACHE_CONTROL, CONTENT_TYPE},
    },
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::{
    CHUNK_DELAY_HEADER, USAGE_VARIANT_HEADER,
    account::Settlement,
    answer::{Answer, ResponseMeta, ToolCall, provider_failure},
    error::ApiError,
    faults::{Fault, break_connection, header_text},
};

const KEEP_ALIVE: &[u8] = b": OPENROUTER PROCESSING\n\n";
const DONE: &[u8] = b"data: [DONE]\n\n";
/// A keep-alive comment goes between deltas this often on a normal stream.
const KEEP_ALIVE_EVERY: usize = 4;
/// The pause between chunks of the `slow-stream` fault unless the request sets its own.
const SLOW_CHUNK_DELAY: Duration = Duration::from_millis(100);

/// The three shapes of the final usage chunk seen from OpenRouter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UsageVariant {
    /// The documented one: `choices: []`.
    Documented,
    /// 2025: one choice with an empty delta and `finish_reason: null`.
    EmptyDelta,
    /// 2026: one choice repeating the finish reason, plus `service_tier: null`.
    RepeatFinish,
}

impl UsageVariant {
    fn from_headers(headers: &HeaderMap) -> Result<Self, ApiError> {
        match header_text(headers, USAGE_VARIANT_HEADER)? {
            None | Some("documented") => Ok(Self::Documented),
            Some("empty-delta") => Ok(Self::EmptyDelta),
            Some("repeat-finish") => Ok(Self::RepeatFinish),
            Some(other) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!(
                    "Unknown {USAGE_VARIANT_HEADER} `{other}`; \
                     use documented, empty-delta or repeat-finish"
                ),
            )),
        }
    }
}

/// How a stream ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ending {
    /// Finish chunk, usage chunk, `[DONE]`.
    Complete(UsageVariant),
    /// Half the deltas, then the connection breaks.
    Cut,
    /// Half the deltas, then OpenRouter's error chunk and no `[DONE]`.
    MidstreamError,
}

/// The rhythm of a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pacing {
    delay: Duration,
    keep_alive_every: usize,
}

impl Pacing {
    /// The `slow-stream` fault: long pauses, each bridged by a keep-alive comment.
    fn slow(headers: &HeaderMap) -> Result<Self, ApiError> {
        let delay = match header_text(headers, CHUNK_DELAY_HEADER)? {
            None => SLOW_CHUNK_DELAY,
            Some(millis) => millis.parse().map(Duration::from_millis).map_err(|_| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("{CHUNK_DELAY_HEADER} must be a whole number of milliseconds"),
                )
            })?,
        };
        Ok(Self {
            delay,
            keep_alive_every: 1,
        })
    }
}

/// How one streamed response unfolds, decided (and validated) before the answer is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Plan {
    ending: Ending,
    pacing: Pacing,
}

impl Plan {
    pub(crate) fn for_request(
        fault: Option<Fault>,
        headers: &HeaderMap,
        chunk_delay: Duration,
    ) -> Result<Self, ApiError> {
        let ending = match fault {
            Some(Fault::CutStream) => Ending::Cut,
            Some(Fault::MidstreamError) => Ending::MidstreamError,
            _ => Ending::Complete(UsageVariant::from_headers(headers)?),
        };
        let pacing = if fault == Some(Fault::SlowStream) {
            Pacing::slow(headers)?
        } else {
            Pacing {
                delay: chunk_delay,
                keep_alive_every: KEEP_ALIVE_EVERY,
            }
        };
        Ok(Self { ending, pacing })
    }
}

/// One step of the body.
enum Event {
    KeepAlive,
    /// A chunk that carries no part of the answer's text.
    Data(Bytes),
    /// A delta carrying the next piece of the answer; counted, to bill an abandoned stream.
    Piece(Bytes),
    /// The mid-stream error chunk that ends a `midstream-error` stream.
    Failure(Bytes),
    /// `data: [DONE]`; the generation is complete and gets billed.
    Done,
    Break,
}

/// A `text/event-stream` response carrying `answer`. `settlement` is booked when `[DONE]` goes out,
/// so a client that read the whole stream finds the generation on `/generation`. A client that
/// hangs up earlier gets it booked as cancelled, for the pieces sent until the server noticed.
pub(crate) fn respond(
    meta: &ResponseMeta,
    answer: &Answer,
    plan: Plan,
    settlement: Settlement,
) -> Response {
    let state = BodyState {
        events: events(meta, answer, plan),
        delay: plan.pacing.delay,
        data_sent: false,
        pieces_sent: 0,
        settlement: Some(settlement),
    };
    let body = futures::stream::unfold(state, BodyState::next);
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static("text/event-stream")),
            (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

fn events(meta: &ResponseMeta, answer: &Answer, plan: Plan) -> VecDeque<Event> {
    let pieces = answer.pieces();
    let sent_pieces = match plan.ending {
        Ending::Complete(_) => pieces.len(),
        Ending::Cut | Ending::MidstreamError => answer.interrupted_after(),
    };
    let mut events = VecDeque::from([
        Event::KeepAlive,
        Event::KeepAlive,
        data(chunk(meta, vec![choice("", None)])),
    ]);
    for (index, piece) in pieces[..sent_pieces].iter().enumerate() {
        if index > 0 && index % plan.pacing.keep_alive_every.max(1) == 0 {
            events.push_back(Event::KeepAlive);
        }
        events.push_back(Event::Piece(sse(chunk(meta, vec![choice(piece, None)]))));
    }
    if let Some(call) = &answer.tool_call {
        events.extend(tool_call_fragments(call).map(|delta| data(chunk(meta, vec![delta]))));
    }
    match plan.ending {
        Ending::Complete(variant) => {
            let finish = answer.finish.as_str();
            events.push_back(data(chunk(meta, vec![choice("", Some(finish))])));
            let mut usage = match variant {
                UsageVariant::Documented => chunk(meta, Vec::new()),
                UsageVariant::EmptyDelta => chunk(meta, vec![choice("", None)]),
                UsageVariant::RepeatFinish => {
                    let mut usage = chunk(meta, vec![choice("", Some(finish))]);
                    usage.insert("service_tier".into(), Value::Null);
                    usage
                }
            };
            usage.insert("usage".into(), answer.usage.to_json());
            events.push_back(data(usage));
            events.push_back(Event::Done);
        }
        Ending::Cut => events.push_back(Event::Break),
        Ending::MidstreamError => {
            let mut failure = chunk(meta, vec![choice("", Some("error"))]);
            failure.insert("error".into(), provider_failure());
            events.push_back(Event::Failure(sse(failure)));
        }
    }
    events
}

fn chunk(meta: &ResponseMeta, choices: Vec<Value>) -> serde_json::Map<String, Value> {
    let mut chunk = meta.envelope("chat.completion.chunk");
    chunk.insert("choices".into(), Value::Array(choices));
    chunk
}

fn choice(content: &str, finish_reason: Option<&str>) -> Value {
    json!({
        "index": 0,
        "delta": {"role": "assistant", "content": content},
        "finish_reason": finish_reason,
        "native_finish_reason": finish_reason,
        "logprobs": null
    })
}

/// OpenAI's incremental form of a tool call: the id, type and name with empty arguments, then the
/// arguments in two pieces that concatenate to the whole.
fn tool_call_fragments(call: &ToolCall) -> impl Iterator<Item = Value> {
    let mut opening = call.to_json();
    opening["function"]["arguments"] = Value::from("");
    let split = call.arguments.len() / 2;
    let split = (0..=split)
        .rev()
        .find(|&i| call.arguments.is_char_boundary(i))
        .unwrap_or(0);
    let (head, tail) = call.arguments.split_at(split);
    let pieces = [head, tail].map(|piece| json!({"index": 0, "function": {"arguments": piece}}));
    std::iter::once(opening).chain(pieces).map(|fragment| {
        json!({
            "index": 0,
            "delta": {"role": "assistant", "content": null, "tool_calls": [fragment]},
            "finish_reason": null,
            "native_finish_reason": null,
            "logprobs": null
        })
    })
}

fn data(chunk: serde_json::Map<String, Value>) -> Event {
    Event::Data(sse(chunk))
}

fn sse(chunk: serde_json::Map<String, Value>) -> Bytes {
    Bytes::from(format!("data: {}\n\n", Value::Object(chunk)))
}

struct BodyState {
    events: VecDeque<Event>,
    delay: Duration,
    data_sent: bool,
    /// Content deltas handed to the server so far.
    pieces_sent: usize,
    /// `None` once the stream reached its planned ending, billed or not.
    settlement: Option<Settlement>,
}

impl BodyState {
    async fn next(mut self) -> Option<(std::io::Result<Bytes>, Self)> {
        let event = self.events.pop_front()?;
        if !matches!(event, Event::KeepAlive) {
            // The pause separates chunks; nothing waits before the first one.
            if self.data_sent && !self.delay.is_zero() {
                tokio::time::sleep(self.delay).await;
            }
            self.data_sent = true;
        }
        let item = match event {
            Event::KeepAlive => Ok(Bytes::from_static(KEEP_ALIVE)),
            Event::Data(bytes) => Ok(bytes),
            Event::Piece(bytes) => {
                self.pieces_sent += 1;
                Ok(bytes)
            }
            // Faulted streams stay unbilled, as they were before cancellation was booked: whether
            // OpenRouter bills a provider failure or a broken connection is not documented.
            Event::Failure(bytes) => {
                self.settlement = None;
                Ok(bytes)
            }
            Event::Done => {
                if let Some(settlement) = self.settlement.take() {
                    settlement.settle();
                }
                Ok(Bytes::from_static(DONE))
            }
            Event::Break => {
                self.settlement = None;
                break_connection().await
            }
        };
        Some((item, self))
    }
}

/// The server drops the body when the client disconnects, possibly mid-pause. A settlement still
/// held then means the stream ended before `[DONE]` by the client's doing, which OpenRouter bills
/// for what was generated and records as cancelled.
impl Drop for BodyState {
    fn drop(&mut self) {
        if let Some(settlement) = self.settlement.take() {
            settlement.cancel(self.pieces_sent);
        }
    }
}
