//! The JSON the public APIs answer with: the native `{data, meta}` envelope, and OpenAI's chat
//! completion, chunk, usage and model list. Kept beside the OpenAPI document that describes them,
//! so the HTTP edge only frames them (body, SSE event) and the shapes are tested without a server.

use serde_json::{Value, json};

use crate::InvokeResult;
use crate::snapshot::Snapshot;

/// `{data, meta}`: the answer without the provider's raw message (it may carry reasoning).
pub fn envelope(slug: &str, result: &InvokeResult) -> Value {
    let usage = &result.usage;
    let mut data = json!({
        "text": result.text,
        "tool_calls": result.tool_calls,
        "citations": result.citations.iter().map(|c| json!({ "url": c.url, "title": c.title })).collect::<Vec<_>>(),
        "usage": {
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.total_tokens,
            "cached_tokens": usage.cached_tokens,
            "reasoning_tokens": usage.reasoning_tokens,
        },
        "model_requested": result.model_requested,
        "model_used": result.model_used,
        "status": result.status.as_str(),
        "finish_reason": result.finish_reason,
        "cost_usd": result.cost.map(|c| c.as_usd()),
        "latency_ms": result.latency_ms,
        "attempts": result.attempts,
        "generation_id": result.generation_id,
        "invocation_id": result.invocation_id.to_string(),
    });
    if let Some(conversation_id) = &result.conversation_id {
        data["conversation_id"] = Value::from(conversation_id.as_str());
    }
    json!({ "data": data, "meta": { "integration": slug } })
}

/// OpenAI's `chat.completion` object for a finished call to the integration `slug`. Its `id` is
/// OpenRouter's generation id, so an answer can be looked up there.
pub fn openai_completion(slug: &str, result: &InvokeResult) -> Value {
    let id = completion_id(result.generation_id.as_deref());
    let mut message = json!({ "role": "assistant", "content": result.text, "refusal": null });
    if !result.tool_calls.is_empty() {
        message["tool_calls"] = json!(result.tool_calls);
        if result.text.is_empty() {
            message["content"] = Value::Null;
        }
    }
    json!({
        "id": id,
        "object": "chat.completion",
        "created": crate::now_ms() / 1000,
        "model": slug,
        "choices": [{
            "index": 0,
            "message": message,
            "logprobs": null,
            "finish_reason": finish_reason(result),
        }],
        "usage": openai_usage(result),
    })
}

/// The generation id, or a `chatcmpl-` id of our own when OpenRouter named none.
fn completion_id(generation_id: Option<&str>) -> String {
    generation_id.map_or_else(
        || format!("chatcmpl-{}", uuid::Uuid::now_v7().simple()),
        str::to_owned,
    )
}

/// OpenAI's `usage` object, with OpenRouter's billed `cost` beside the token counts.
pub fn openai_usage(result: &InvokeResult) -> Value {
    json!({
        "prompt_tokens": result.usage.prompt_tokens,
        "completion_tokens": result.usage.completion_tokens,
        "total_tokens": result.usage.prompt_tokens + result.usage.completion_tokens,
        "prompt_tokens_details": { "cached_tokens": result.usage.cached_tokens },
        "completion_tokens_details": { "reasoning_tokens": result.usage.reasoning_tokens },
        "cost": result.cost.map(|c| c.as_usd()),
    })
}

/// The `finish_reason` OpenAI clients expect; an upstream that gave none finished normally, or
/// with tool calls when it made some.
pub fn finish_reason(result: &InvokeResult) -> &str {
    match result.finish_reason.as_deref() {
        Some(reason) => reason,
        None if !result.tool_calls.is_empty() => "tool_calls",
        None => "stop",
    }
}

/// Builds the `chat.completion.chunk` objects of one streamed answer; they all share its id,
/// creation time and model.
#[derive(Debug, Clone)]
pub struct OpenAiChunks {
    id: String,
    created: i64,
    model: String,
}

impl OpenAiChunks {
    /// The chunks of one answer; `generation_id` is OpenRouter's, when it named one.
    pub fn new(slug: &str, generation_id: Option<&str>) -> Self {
        Self {
            id: completion_id(generation_id),
            created: crate::now_ms() / 1000,
            model: slug.to_owned(),
        }
    }

    /// The first chunk: the assistant role with empty content.
    pub fn role(&self) -> Value {
        self.choice(json!({ "role": "assistant", "content": "" }), None)
    }

    pub fn content(&self, text: &str) -> Value {
        self.choice(json!({ "content": text }), None)
    }

    /// The answer's tool calls, each whole in one fragment, or `None` when it made none.
    pub fn tool_calls(&self, result: &InvokeResult) -> Option<Value> {
        if result.tool_calls.is_empty() {
            return None;
        }
        let calls: Vec<Value> = result
            .tool_calls
            .iter()
            .enumerate()
            .map(|(index, call)| {
                let mut fragment = json!(call);
                fragment["index"] = Value::from(index);
                fragment
            })
            .collect();
        Some(self.choice(json!({ "tool_calls": calls }), None))
    }

    /// The chunk that closes the choice.
    pub fn finish(&self, result: &InvokeResult) -> Value {
        self.choice(json!({}), Some(finish_reason(result)))
    }

    /// The chunk sent when the caller asked for `stream_options.include_usage`: no choices.
    pub fn usage(&self, result: &InvokeResult) -> Value {
        let mut chunk = self.chunk(json!([]));
        chunk["usage"] = openai_usage(result);
        chunk
    }

    fn choice(&self, delta: Value, finish_reason: Option<&str>) -> Value {
        self.chunk(json!([{ "index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason }]))
    }

    fn chunk(&self, choices: Value) -> Value {
        json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": choices,
        })
    }
}

/// The integrations the API may call, as OpenAI's model list.
pub fn openai_models(snapshot: &Snapshot) -> Value {
    let data: Vec<Value> = snapshot
        .api_integrations()
        .iter()
        .map(|live| {
            json!({
                "id": live.integration.fields.slug,
                "object": "model",
                "created": live.integration.created_at_ms / 1000,
                "owned_by": "ai-gateway",
            })
        })
        .collect();
    json!({ "object": "list", "data": data })
}
