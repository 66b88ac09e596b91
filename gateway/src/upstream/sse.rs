//! Streamed completions: decoding server-sent events across arbitrary chunk boundaries, and
//! folding OpenRouter's chunks into deltas and one final completion.

use std::{collections::VecDeque, fmt::Display, pin::Pin, time::Duration};

use bytes::Bytes;
use futures::{Stream, StreamExt};
use serde_json::{Map, Value, json};

use super::{
    completion::{Completion, Usage, provider_failure},
    errors::{UpstreamError, non_blank},
};

/// What a streamed completion yields, in order: deltas, then exactly one `Done`; or an error,
/// after which the stream ends.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// A piece of the answer's text.
    Delta { text: String },
    /// A piece of the model's reasoning, for models that expose it.
    Reasoning { text: String },
    /// The stream completed; the completion carries the whole text, usage and citations.
    Done(Box<Completion>),
}

/// A streamed completion. Dropping it closes the connection, which stops generation at
/// providers that support cancelling.
pub type ChatStream = Pin<Box<dyn Stream<Item = Result<StreamEvent, UpstreamError>> + Send>>;

/// Turns an SSE body into stream events. `idle` bounds the silence between two pieces of the
/// body; keep-alive comments count as activity.
pub(crate) fn events<S, E>(
    body: S,
    idle: Duration,
    generation_id: Option<String>,
    attempts: u32,
) -> ChatStream
where
    S: Stream<Item = Result<Bytes, E>> + Send + 'static,
    E: Display + Send + 'static,
{
    let reader = Reader {
        body: Some(body.boxed()),
        decoder: Decoder::default(),
        answer: Answer::new(generation_id, attempts),
        pending: VecDeque::new(),
        idle,
    };
    futures::stream::unfold(reader, Reader::next).boxed()
}

/// The stream of a completion that arrived as plain JSON although a stream was asked for.
pub(crate) fn replay(completion: Completion) -> ChatStream {
    let delta = (!completion.text.is_empty()).then(|| StreamEvent::Delta {
        text: completion.text.clone(),
    });
    let events = delta
        .into_iter()
        .chain([StreamEvent::Done(Box::new(completion))])
        .map(Ok);
    futures::stream::iter(events).boxed()
}

type Item = Result<StreamEvent, UpstreamError>;

struct Reader<E> {
    /// `None` once the stream has ended, which also releases the connection.
    body: Option<futures::stream::BoxStream<'static, Result<Bytes, E>>>,
    decoder: Decoder,
    answer: Answer,
    pending: VecDeque<Item>,
    idle: Duration,
}

impl<E: Display + Send + 'static> Reader<E> {
    async fn next(mut self) -> Option<(Item, Self)> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Some((item, self));
            }
            let body = self.body.as_mut()?;
            match tokio::time::timeout(self.idle, body.next()).await {
                Err(_) => self.end(Err(UpstreamError::Timeout)),
                Ok(Some(Ok(bytes))) => {
                    for data in self.decoder.feed(&bytes) {
                        self.take(&data);
                    }
                }
                Ok(Some(Err(error))) => {
                    tracing::warn!(%error, "the OpenRouter stream broke off");
                    let truncated = self.answer.truncated();
                    self.end(Err(truncated));
                }
                Ok(None) => {
                    if let Some(data) = self.decoder.finish() {
                        self.take(&data);
                    }
                    if self.body.is_some() {
                        let truncated = self.answer.truncated();
                        self.end(Err(truncated));
                    }
                }
            }
        }
    }

    /// Handles one event's data unless the stream has already ended.
    fn take(&mut self, data: &str) {
        if self.body.is_none() {
            return;
        }
        match self.answer.take(data) {
            Ok(Step::Events(events)) => self.pending.extend(events.into_iter().map(Ok)),
            Ok(Step::Done(completion)) => self.end(Ok(StreamEvent::Done(completion))),
            Err(error) => self.end(Err(error)),
        }
    }

    fn end(&mut self, last: Item) {
        self.pending.push_back(last);
        self.body = None;
    }
}

/// Splits an SSE byte stream into the data of its events. Bytes are buffered until a line is
/// complete, so multi-byte characters split across chunks survive.
#[derive(Debug, Default)]
struct Decoder {
    buffer: Vec<u8>,
    /// The data lines of the event being read.
    data: Option<String>,
}

impl Decoder {
    /// The data of every event completed by `bytes`.
    fn feed(&mut self, bytes: &[u8]) -> Vec<String> {
        self.buffer.extend_from_slice(bytes);
        let mut events = Vec::new();
        let mut start = 0;
        while let Some(end) = self.buffer[start..].iter().position(|&b| b == b'\n') {
            let line = &self.buffer[start..start + end];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let line = String::from_utf8_lossy(line).into_owned();
            start += end + 1;
            if let Some(data) = self.line(&line) {
                events.push(data);
            }
        }
        self.buffer.drain(..start);
        events
    }

    /// The event left open when the body ended without its blank line.
    fn finish(&mut self) -> Option<String> {
        let rest = std::mem::take(&mut self.buffer);
        if !rest.is_empty() {
            // The last line may lack its newline too; what it completes is handled alike.
            self.line(&String::from_utf8_lossy(&rest));
        }
        self.data.take()
    }

    fn line(&mut self, line: &str) -> Option<String> {
        if line.is_empty() {
            return self.data.take();
        }
        // Other fields (`event:`, `id:`, `retry:`) and `:` comments carry nothing for us.
        if let Some(value) = line.strip_prefix("data:") {
            let value = value.strip_prefix(' ').unwrap_or(value);
            match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            }
        }
        None
    }
}

/// What one chunk contributes.
enum Step {
    Events(Vec<StreamEvent>),
    Done(Box<Completion>),
}

/// The completion being assembled from chunks.
struct Answer {
    header_generation_id: Option<String>,
    attempts: u32,
    id: Option<String>,
    model: Option<String>,
    provider: Option<String>,
    text: String,
    reasoning: String,
    finish_reason: Option<String>,
    annotations: Vec<Value>,
    /// Tool calls assembled from their fragments, by their `index`.
    tool_calls: Vec<Value>,
    usage: Option<Value>,
    /// Perplexity-style top-level `citations` and `search_results`, as last sent.
    sources: Map<String, Value>,
}

impl Answer {
    fn new(header_generation_id: Option<String>, attempts: u32) -> Self {
        Self {
            header_generation_id,
            attempts,
            id: None,
            model: None,
            provider: None,
            text: String::new(),
            reasoning: String::new(),
            finish_reason: None,
            annotations: Vec::new(),
            tool_calls: Vec::new(),
            usage: None,
            sources: Map::new(),
        }
    }

    fn take(&mut self, data: &str) -> Result<Step, UpstreamError> {
        if data.trim() == "[DONE]" {
            return self
                .done()
                .map(|completion| Step::Done(Box::new(completion)));
        }
        let chunk: Value = serde_json::from_str(data)
            .map_err(|error| UpstreamError::Malformed(format!("a stream chunk: {error}")))?;
        remember(&mut self.id, &chunk["id"]);
        remember(&mut self.model, &chunk["model"]);
        remember(&mut self.provider, &chunk["provider"]);
        if let Some(error) = chunk.get("error").filter(|error| !error.is_null()) {
            return Err(provider_failure(
                error,
                self.provider.clone(),
                self.generation_id(),
            ));
        }
        if let Some(usage) = chunk.get("usage").filter(|usage| usage.is_object()) {
            self.usage = Some(usage.clone());
        }
        for key in ["citations", "search_results"] {
            if let Some(sources) = chunk.get(key).filter(|sources| sources.is_array()) {
                self.sources.insert(key.to_owned(), sources.clone());
            }
        }
        let choice = &chunk["choices"][0];
        if self.finish_reason.is_none() {
            remember(&mut self.finish_reason, &choice["finish_reason"]);
        }
        let delta = &choice["delta"];
        if let Some(annotations) = delta["annotations"].as_array() {
            self.annotations.extend(annotations.iter().cloned());
        }
        for fragment in delta["tool_calls"].as_array().into_iter().flatten() {
            self.add_tool_call_fragment(fragment);
        }
        let mut events = Vec::new();
        if let Some(text) = delta["reasoning"].as_str().filter(|text| !text.is_empty()) {
            self.reasoning.push_str(text);
            events.push(StreamEvent::Reasoning { text: text.into() });
        }
        if let Some(text) = delta["content"].as_str().filter(|text| !text.is_empty()) {
            self.text.push_str(text);
            events.push(StreamEvent::Delta { text: text.into() });
        }
        Ok(Step::Events(events))
    }

    /// OpenAI's incremental form: the first fragment of a call has its `index`, `id`, `type`
    /// and `function.name`; later ones only the `index` and pieces of `function.arguments`.
    fn add_tool_call_fragment(&mut self, fragment: &Value) {
        let index = fragment["index"]
            .as_u64()
            .and_then(|i| usize::try_from(i).ok())
            .unwrap_or(self.tool_calls.len().saturating_sub(1));
        // A fragment naming a far-off index is not an answer to honour with a huge list.
        if index > self.tool_calls.len() {
            return;
        }
        if index == self.tool_calls.len() {
            self.tool_calls.push(json!({
                "id": "", "type": "function", "function": {"name": "", "arguments": ""}
            }));
        }
        let call = &mut self.tool_calls[index];
        if let Some(id) = non_blank(&fragment["id"]) {
            call["id"] = Value::from(id);
        }
        if let Some(name) = non_blank(&fragment["function"]["name"]) {
            call["function"]["name"] = Value::from(name);
        }
        if let Some(piece) = fragment["function"]["arguments"].as_str() {
            let arguments = call["function"]["arguments"].as_str().unwrap_or_default();
            call["function"]["arguments"] = Value::from(format!("{arguments}{piece}"));
        }
    }

    fn generation_id(&self) -> Option<String> {
        self.header_generation_id
            .clone()
            .or_else(|| self.id.clone())
    }

    /// The completion the chunks add up to, read like a non-streamed body so that both paths
    /// extract text, usage and citations the same way.
    fn done(&self) -> Result<Completion, UpstreamError> {
        let reasoning = (!self.reasoning.is_empty()).then(|| self.reasoning.clone());
        let mut message = json!({
            "role": "assistant",
            "content": self.text,
            "reasoning": reasoning,
        });
        if !self.annotations.is_empty() {
            message["annotations"] = Value::Array(self.annotations.clone());
        }
        // Fragments that never named their function make no call anyone could run.
        let calls: Vec<Value> = self
            .tool_calls
            .iter()
            .filter(|call| non_blank(&call["function"]["name"]).is_some())
            .cloned()
            .collect();
        if !calls.is_empty() {
            message["tool_calls"] = Value::Array(calls);
        }
        let mut body = self.sources.clone();
        body.insert("id".into(), self.id.clone().into());
        body.insert("model".into(), self.model.clone().into());
        body.insert("provider".into(), self.provider.clone().into());
        body.insert(
            "choices".into(),
            json!([{"finish_reason": self.finish_reason, "message": message}]),
        );
        body.insert("usage".into(), self.usage.clone().unwrap_or(Value::Null));
        Completion::from_body(
            &Value::Object(body),
            self.header_generation_id.clone(),
            self.attempts,
        )
    }

    fn truncated(&self) -> UpstreamError {
        UpstreamError::Truncated {
            partial_usage: self.usage.as_ref().map(Usage::from_json),
            text_so_far_len: self.text.len(),
        }
    }
}

/// Keeps the first non-blank string seen for a field that every chunk repeats.
fn remember(slot: &mut Option<String>, value: &Value) {
    if slot.is_none() {
        *slot = non_blank(value).map(str::to_owned);
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use gateway_types::NanoUsd;

    use super::*;

    /// OpenRouter's documented stream: keep-alives (also between chunks), a usage chunk with
    /// `choices: []`, then `[DONE]`.
    const DOCUMENTED: &str = concat!(
        ": OPENROUTER PROCESSING\n\n",
        ": OPENROUTER PROCESSING\n\n",
        r#"data: {"id":"gen-1786990000-AbCd","provider":"OpenAI","model":"openai/gpt-4o-mini","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#,
        "\n\n",
        r#"data: {"id":"gen-1786990000-AbCd","provider":"OpenAI","model":"openai/gpt-4o-mini","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":"Hello"},"finish_reason":null}]}"#,
        "\n\n: OPENROUTER PROCESSING\n\n",
        r#"data: {"id":"gen-1786990000-AbCd","provider":"OpenAI","model":"openai/gpt-4o-mini","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":" thère!"},"finish_reason":null}]}"#,
        "\n\n",
        r#"data: {"id":"gen-1786990000-AbCd","provider":"OpenAI","model":"openai/gpt-4o-mini","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":""},"finish_reason":"stop"}]}"#,
        "\n\n",
        r#"data: {"id":"gen-1786990000-AbCd","provider":"OpenAI","model":"openai/gpt-4o-mini","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12,"cost":0.00000315,"prompt_tokens_details":{"cached_tokens":0}}}"#,
        "\n\n",
        "data: [DONE]\n\n",
    );

    /// The real 2026-08 capture: the usage chunk repeats `finish_reason` and adds `service_tier`.
    const REPEAT_FINISH: &str = concat!(
        r#"data: {"id":"gen-1786988078-NGfm","model":"qwen/qwen3-coder-next","provider":"Parasail","choices":[{"index":0,"delta":{"content":"pong","role":"assistant"},"finish_reason":null}]}"#,
        "\r\n\r\n",
        r#"data: {"id":"gen-1786988078-NGfm","model":"qwen/qwen3-coder-next","provider":"Parasail","choices":[{"index":0,"delta":{"content":"","role":"assistant"},"finish_reason":"stop"}]}"#,
        "\r\n\r\n",
        r#"data: {"id":"gen-1786988078-NGfm","model":"qwen/qwen3-coder-next","provider":"Parasail","service_tier":null,"choices":[{"index":0,"delta":{"content":"","role":"assistant"},"finish_reason":"length"}],"usage":{"prompt_tokens":20,"completion_tokens":2,"total_tokens":22,"cost":0.000004}}"#,
        "\r\n\r\n",
        "data: [DONE]\r\n\r\n",
    );

    /// The 2025-11 capture: a finish chunk, then usage on a choice with an empty delta.
    const EMPTY_DELTA: &str = concat!(
        r#"data: {"id":"gen-1764031697-vqvW","model":"openai/gpt-4o","provider":"OpenAI","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}"#,
        "\n\n",
        r#"data: {"id":"gen-1764031697-vqvW","model":"openai/gpt-4o","provider":"OpenAI","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":"stop"}]}"#,
        "\n\n",
        r#"data: {"id":"gen-1764031697-vqvW","model":"openai/gpt-4o","provider":"OpenAI","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":{"prompt_tokens":1697,"completion_tokens":52,"total_tokens":1749}}"#,
        "\n\n",
        "data: [DONE]\n\n",
    );

    const MIDSTREAM_ERROR: &str = concat!(
        ": OPENROUTER PROCESSING\n\n",
        r#"data: {"id":"gen-1786990200-MiDs","provider":"OpenAI","model":"openai/gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":"Once upon a"},"finish_reason":null}]}"#,
        "\n\n",
        r#"data: {"id":"gen-1786990200-MiDs","model":"openai/gpt-4o","provider":"OpenAI","error":{"code":429,"message":"Rate limit exceeded","metadata":{"error_type":"rate_limit_exceeded"}},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}"#,
        "\n\n",
    );

    /// Runs `body`, delivered in `pieces`, through the stream reader.
    async fn collect(pieces: Vec<Vec<u8>>) -> Vec<Item> {
        let body = futures::stream::iter(
            pieces
                .into_iter()
                .map(|p| Ok::<_, Infallible>(Bytes::from(p))),
        );
        events(body, Duration::from_secs(5), None, 1)
            .collect()
            .await
    }

    fn split_at(text: &str, cuts: &[usize]) -> Vec<Vec<u8>> {
        let bytes = text.as_bytes();
        let mut pieces = Vec::new();
        let mut start = 0;
        for &cut in cuts {
            pieces.push(bytes[start..cut].to_vec());
            start = cut;
        }
        pieces.push(bytes[start..].to_vec());
        pieces
    }

    fn deltas(items: &[Item]) -> String {
        items
            .iter()
            .filter_map(|item| match item {
                Ok(StreamEvent::Delta { text }) => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    fn done(items: &[Item]) -> &Completion {
        match items.last() {
            Some(Ok(StreamEvent::Done(completion))) => completion,
            other => panic!("the stream did not end with Done: {other:?}"),
        }
    }

    /// A streamed tool call in OpenAI's incremental form (id and name first, then pieces of the
    /// arguments), as OpenRouter relays it from Anthropic.
    const TOOL_CALL: &str = concat!(
        ": OPENROUTER PROCESSING\n\n",
        r#"data: {"id":"gen-1786990100-ToOlCaLlStReAmExAmPl","provider":"Anthropic","model":"anthropic/claude-sonnet-4.5","object":"chat.completion.chunk","created":1786990100,"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null,"native_finish_reason":null,"logprobs":null}]}"#,
        "\n\n",
        r#"data: {"id":"gen-1786990100-ToOlCaLlStReAmExAmPl","provider":"Anthropic","model":"anthropic/claude-sonnet-4.5","object":"chat.completion.chunk","created":1786990100,"choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"toolu_01AbCdEfGhIjKlMnOpQrStUv","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null,"native_finish_reason":null,"logprobs":null}]}"#,
        "\n\n",
        r#"data: {"id":"gen-1786990100-ToOlCaLlStReAmExAmPl","provider":"Anthropic","model":"anthropic/claude-sonnet-4.5","object":"chat.completion.chunk","created":1786990100,"choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"type":"function","function":{"arguments":"{\"location\": "}}]},"finish_reason":null,"native_finish_reason":null,"logprobs":null}]}"#,
        "\n\n",
        r#"data: {"id":"gen-1786990100-ToOlCaLlStReAmExAmPl","provider":"Anthropic","model":"anthropic/claude-sonnet-4.5","object":"chat.completion.chunk","created":1786990100,"choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"type":"function","function":{"arguments":"\"Paris\"}"}}]},"finish_reason":null,"native_finish_reason":null,"logprobs":null}]}"#,
        "\n\n",
        r#"data: {"id":"gen-1786990100-ToOlCaLlStReAmExAmPl","provider":"Anthropic","model":"anthropic/claude-sonnet-4.5","object":"chat.completion.chunk","created":1786990100,"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":"tool_calls","native_finish_reason":"tool_use","logprobs":null}]}"#,
        "\n\n",
        r#"data: {"id":"gen-1786990100-ToOlCaLlStReAmExAmPl","provider":"Anthropic","model":"anthropic/claude-sonnet-4.5","object":"chat.completion.chunk","created":1786990100,"choices":[],"usage":{"prompt_tokens":412,"completion_tokens":38,"total_tokens":450,"cost":0.001806,"is_byok":false,"prompt_tokens_details":{"cached_tokens":0,"cache_write_tokens":0,"audio_tokens":0,"video_tokens":0},"cost_details":{"upstream_inference_cost":0.001806,"upstream_inference_prompt_cost":0.001236,"upstream_inference_completions_cost":0.00057},"completion_tokens_details":{"reasoning_tokens":0,"image_tokens":0,"audio_tokens":0}}}"#,
        "\n\n",
        "data: [DONE]\n\n",
    );

    #[tokio::test]
    async fn a_streamed_tool_call_is_assembled_from_its_fragments() {
        for cut in [0, 200, 700, TOOL_CALL.len() / 2] {
            let items = collect(split_at(TOOL_CALL, &[cut])).await;
            let completion = done(&items);
            assert_eq!(deltas(&items), "");
            assert_eq!(completion.finish_reason.as_deref(), Some("tool_calls"));
            assert_eq!(
                serde_json::to_value(&completion.tool_calls).unwrap(),
                json!([{"id": "toolu_01AbCdEfGhIjKlMnOpQrStUv", "type": "function",
                        "function": {"name": "get_weather", "arguments": "{\"location\": \"Paris\"}"}}])
            );
            assert_eq!(completion.usage.completion_tokens, 38);
        }
    }

    #[tokio::test]
    async fn a_tool_call_fragment_for_a_far_off_index_is_ignored() {
        let far = TOOL_CALL.replacen("\"index\":0,\"id\"", "\"index\":5000000,\"id\"", 1);
        let items = collect(vec![far.into_bytes()]).await;
        assert!(done(&items).tool_calls.is_empty());
    }

    #[tokio::test]
    async fn the_documented_stream_parses_at_every_chunk_boundary() {
        for cut in 0..=DOCUMENTED.len() {
            let items = collect(split_at(DOCUMENTED, &[cut])).await;
            assert_eq!(deltas(&items), "Hello thère!", "cut at {cut}");
            let completion = done(&items);
            assert_eq!(completion.text, "Hello thère!");
            assert_eq!(completion.model.as_deref(), Some("openai/gpt-4o-mini"));
            assert_eq!(completion.provider.as_deref(), Some("OpenAI"));
            assert_eq!(completion.finish_reason.as_deref(), Some("stop"));
            assert_eq!(completion.usage.total_tokens, 12);
            assert_eq!(completion.usage.cost, Some(NanoUsd(3150)));
            assert_eq!(
                completion.generation_id.as_deref(),
                Some("gen-1786990000-AbCd")
            );
        }
    }

    #[tokio::test]
    async fn a_stream_delivered_byte_by_byte_parses() {
        let pieces = DOCUMENTED.bytes().map(|b| vec![b]).collect();
        let items = collect(pieces).await;
        assert_eq!(done(&items).text, "Hello thère!");
    }

    #[tokio::test]
    async fn the_repeated_finish_usage_variant_keeps_the_first_finish_reason() {
        let items = collect(split_at(REPEAT_FINISH, &[7, 300])).await;
        let completion = done(&items);
        assert_eq!(completion.text, "pong");
        assert_eq!(completion.finish_reason.as_deref(), Some("stop"));
        assert_eq!(completion.usage.prompt_tokens, 20);
        assert_eq!(completion.usage.cost, Some(NanoUsd(4000)));
    }

    #[tokio::test]
    async fn the_empty_delta_usage_variant_is_read() {
        let items = collect(vec![EMPTY_DELTA.as_bytes().to_vec()]).await;
        let completion = done(&items);
        assert_eq!(completion.text, "Hi");
        assert_eq!(completion.finish_reason.as_deref(), Some("stop"));
        assert_eq!(completion.usage.total_tokens, 1749);
        assert_eq!(completion.usage.cost, None);
    }

    #[tokio::test]
    async fn an_error_chunk_ends_the_stream_with_a_provider_error() {
        let items = collect(vec![MIDSTREAM_ERROR.as_bytes().to_vec()]).await;
        assert_eq!(deltas(&items), "Once upon a");
        let Some(Err(UpstreamError::Provider {
            status,
            code,
            message,
            provider,
            generation_id,
        })) = items.last()
        else {
            panic!("expected a provider error: {items:?}");
        };
        assert_eq!(*status, Some(429));
        assert_eq!(code.as_deref(), Some("rate_limit_exceeded"));
        assert_eq!(message, "Rate limit exceeded");
        assert_eq!(provider.as_deref(), Some("OpenAI"));
        assert_eq!(generation_id.as_deref(), Some("gen-1786990200-MiDs"));
    }

    #[tokio::test]
    async fn a_body_ending_before_done_is_truncated_with_what_arrived() {
        let cut = DOCUMENTED.find("data: [DONE]").unwrap();
        let items = collect(vec![DOCUMENTED.as_bytes()[..cut].to_vec()]).await;
        let Some(Err(UpstreamError::Truncated {
            partial_usage,
            text_so_far_len,
        })) = items.last()
        else {
            panic!("expected a truncation: {items:?}");
        };
        assert_eq!(*text_so_far_len, "Hello thère!".len());
        assert_eq!(
            partial_usage.as_ref().map(|usage| usage.total_tokens),
            Some(12)
        );
    }

    #[tokio::test]
    async fn a_broken_body_is_truncated() {
        let body = futures::stream::iter([
            Ok(Bytes::from_static(
                b"data: {\"choices\":[{\"delta\":{\"content\":\"ab\"}}]}\n\n",
            )),
            Err("connection reset"),
        ]);
        let items: Vec<Item> = events(body, Duration::from_secs(5), None, 1)
            .collect()
            .await;
        assert_eq!(
            items.last(),
            Some(&Err(UpstreamError::Truncated {
                partial_usage: None,
                text_so_far_len: 2
            }))
        );
    }

    #[tokio::test]
    async fn done_without_a_final_blank_line_still_completes() {
        let body = "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\ndata: [DONE]";
        let items = collect(vec![body.as_bytes().to_vec()]).await;
        assert_eq!(done(&items).text, "x");
    }

    #[tokio::test]
    async fn reasoning_deltas_and_streamed_annotations_are_collected() {
        let body = concat!(
            r#"data: {"choices":[{"delta":{"reasoning":"think"}}]}"#,
            "\n\n",
            r#"data: {"choices":[{"delta":{"content":"ok","annotations":[{"type":"url_citation","url_citation":{"url":"https://a.example","title":"A"}}]}}],"citations":["https://b.example"]}"#,
            "\n\ndata: [DONE]\n\n",
        );
        let items = collect(vec![body.as_bytes().to_vec()]).await;
        assert_eq!(
            items[0],
            Ok(StreamEvent::Reasoning {
                text: "think".into()
            })
        );
        let completion = done(&items);
        assert_eq!(completion.message["reasoning"], "think");
        let urls: Vec<&str> = completion
            .citations
            .iter()
            .map(|c| c.url.as_str())
            .collect();
        assert_eq!(urls, ["https://a.example", "https://b.example"]);
    }

    #[tokio::test]
    async fn a_chunk_that_is_not_json_is_malformed() {
        let items = collect(vec![b"data: {oops\n\n".to_vec()]).await;
        assert!(matches!(
            items.last(),
            Some(Err(UpstreamError::Malformed(_)))
        ));
        assert_eq!(items.len(), 1);
    }

    #[tokio::test]
    async fn multi_line_data_fields_join_with_newlines() {
        let mut decoder = Decoder::default();
        let events = decoder.feed(b"event: x\ndata: {\"a\":\ndata:1}\nid: 4\n\n");
        assert_eq!(events, ["{\"a\":\n1}"]);
    }

    #[tokio::test]
    async fn a_silent_body_times_out() {
        let body = futures::stream::pending::<Result<Bytes, Infallible>>();
        let items: Vec<Item> = events(body, Duration::from_millis(50), None, 1)
            .collect()
            .await;
        assert_eq!(items, [Err(UpstreamError::Timeout)]);
    }
}
