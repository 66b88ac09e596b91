//! A finished chat completion as the gateway uses it: text, usage and cost, citations and the
//! model that actually answered, read tolerantly from either era of OpenRouter's JSON.

use gateway_types::NanoUsd;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::errors::{ErrorDetail, UpstreamError, non_blank};
use crate::messages::ToolCall;

/// Token counts and the charge of one generation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
    /// Prompt tokens read from the provider's cache.
    pub cached_tokens: u64,
    /// Prompt tokens written to the provider's cache.
    pub cache_write_tokens: u64,
    /// Completion tokens spent on reasoning (already part of `completion_tokens`).
    pub reasoning_tokens: u64,
    /// What OpenRouter charged; `None` when it did not say.
    pub cost: Option<NanoUsd>,
}

impl Usage {
    /// Reads a `usage` object; counts may be numbers or numeric strings.
    pub(crate) fn from_json(usage: &Value) -> Self {
        let count = |value: &Value| number(value).map_or(0, |n| n as u64);
        let prompt_tokens = count(&usage["prompt_tokens"]);
        let completion_tokens = count(&usage["completion_tokens"]);
        let total_tokens = number(&usage["total_tokens"])
            .map_or(prompt_tokens.saturating_add(completion_tokens), |n| {
                n as u64
            });
        let prompt_details = &usage["prompt_tokens_details"];
        let cached =
            number(&prompt_details["cached_tokens"]).or_else(|| number(&usage["cached_tokens"]));
        let cache_write = number(&prompt_details["cache_write_tokens"])
            .or_else(|| number(&usage["cache_write_tokens"]));
        Self {
            prompt_tokens,
            completion_tokens,
            total_tokens,
            cached_tokens: cached.map_or(0, |n| n as u64),
            cache_write_tokens: cache_write.map_or(0, |n| n as u64),
            reasoning_tokens: count(&usage["completion_tokens_details"]["reasoning_tokens"]),
            cost: number(&usage["cost"])
                .or_else(|| number(&usage["total_cost"]))
                .map(NanoUsd::from_usd),
        }
    }
}

/// A source the answer cites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Citation {
    pub url: String,
    pub title: Option<String>,
}

/// A successful chat completion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Completion {
    /// OpenRouter's `gen-…` id: the `X-Generation-Id` header, else the body's `id`.
    pub generation_id: Option<String>,
    /// The model that actually answered (after fallbacks; may be a dated canonical slug).
    pub model: Option<String>,
    /// The provider's display name, e.g. `OpenAI`.
    pub provider: Option<String>,
    pub text: String,
    /// The caller's functions the model asked to call.
    pub tool_calls: Vec<ToolCall>,
    pub finish_reason: Option<String>,
    pub usage: Usage,
    pub citations: Vec<Citation>,
    /// The assistant message as OpenRouter sent it (reasoning, annotations and all).
    pub message: Value,
    /// HTTP attempts it took, retries included.
    pub attempts: u32,
}

impl Completion {
    /// Reads a `chat.completion` body. A body that carries an error instead of an answer, or
    /// whose choice failed part-way, is returned as that error.
    pub(crate) fn from_body(
        body: &Value,
        header_generation_id: Option<String>,
        attempts: u32,
    ) -> Result<Self, UpstreamError> {
        if !body.is_object() {
            return Err(UpstreamError::Malformed(
                "the body is not a JSON object".into(),
            ));
        }
        let generation_id =
            header_generation_id.or_else(|| non_blank(&body["id"]).map(str::to_owned));
        let provider = non_blank(&body["provider"]).map(str::to_owned);
        if let Some(error) = body.get("error").filter(|error| !error.is_null()) {
            let detail = ErrorDetail::from_error(error);
            return Err(UpstreamError::ErrorInBody {
                status: detail.status,
                code: detail.code,
                message: detail.message,
                provider: detail.provider.or(provider),
                generation_id,
            });
        }
        let choice = &body["choices"][0];
        if let Some(error) = choice.get("error").filter(|error| !error.is_null()) {
            return Err(provider_failure(error, provider, generation_id));
        }
        let message = choice
            .get("message")
            .filter(|message| message.is_object())
            .ok_or_else(|| UpstreamError::Malformed("the response has no message".into()))?;
        Ok(Self {
            generation_id,
            model: non_blank(&body["model"]).map(str::to_owned),
            provider,
            text: message_text(message),
            tool_calls: tool_calls(&message["tool_calls"])?,
            finish_reason: non_blank(&choice["finish_reason"]).map(str::to_owned),
            usage: Usage::from_json(&body["usage"]),
            citations: citations(body, message),
            message: message.clone(),
            attempts,
        })
    }
}

/// The error a provider reported after its answer had started.
pub(crate) fn provider_failure(
    error: &Value,
    provider: Option<String>,
    generation_id: Option<String>,
) -> UpstreamError {
    let detail = ErrorDetail::from_error(error);
    UpstreamError::Provider {
        status: detail.status,
        code: detail.code,
        message: detail.message,
        provider: detail.provider.or(provider),
        generation_id,
    }
}

/// The message's `tool_calls`: absent or null means none; anything but well-formed function calls
/// is a malformed answer (a caller could not act on it).
fn tool_calls(calls: &Value) -> Result<Vec<ToolCall>, UpstreamError> {
    match calls {
        Value::Null => Ok(Vec::new()),
        calls => serde_json::from_value(calls.clone())
            .map_err(|error| UpstreamError::Malformed(format!("the tool calls: {error}"))),
    }
}

/// The answer's text: the content string or its text blocks; when that is blank, the reasoning
/// (some reasoning models answer only there).
fn message_text(message: &Value) -> String {
    let text = match &message["content"] {
        Value::String(text) => text.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter(|block| block["type"] == "text")
            .filter_map(|block| block["text"].as_str())
            .collect(),
        _ => String::new(),
    };
    match message["reasoning"].as_str() {
        Some(reasoning) if text.trim().is_empty() => reasoning.to_owned(),
        _ => text,
    }
}

/// Cited sources from `url_citation` annotations, then Perplexity-style `citations` urls, then
/// `search_results`; the first mention of a url wins.
fn citations(body: &Value, message: &Value) -> Vec<Citation> {
    let list = |value: &Value| value.as_array().cloned().unwrap_or_default();
    let annotations = list(&message["annotations"])
        .into_iter()
        .filter(|annotation| annotation["type"] == "url_citation")
        .map(|annotation| cited(&annotation["url_citation"]));
    let urls = list(&body["citations"])
        .into_iter()
        .map(|url| (url.as_str().map(str::to_owned), None));
    let results = list(&body["search_results"])
        .into_iter()
        .map(|result| cited(&result));
    let mut citations: Vec<Citation> = Vec::new();
    for (url, title) in annotations.chain(urls).chain(results) {
        if let Some(url) = url.filter(|url| !url.is_empty())
            && !citations.iter().any(|seen| seen.url == url)
        {
            citations.push(Citation { url, title });
        }
    }
    citations
}

fn cited(source: &Value) -> (Option<String>, Option<String>) {
    (
        source["url"].as_str().map(str::to_owned),
        non_blank(&source["title"]).map(str::to_owned),
    )
}

/// A JSON number or a numeric string, when non-negative and finite.
fn number(value: &Value) -> Option<f64> {
    let number = match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }?;
    (number.is_finite() && number >= 0.0).then_some(number)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const REAL_COMPLETION: &str = r#"{"id":"gen-1779358422-LrEwL8SmYSWNlAzrHKq2","object":"chat.completion","created":1779358422,"model":"openai/gpt-4o-mini","provider":"Azure","system_fingerprint":"fp_eb37e061ec","choices":[{"index":0,"logprobs":null,"finish_reason":"stop","native_finish_reason":"stop","message":{"role":"assistant","content":"Hello! How can I assist you today?","refusal":null,"reasoning":null}}],"usage":{"prompt_tokens":9,"completion_tokens":10,"total_tokens":19,"cost":0.00000735,"is_byok":false,"prompt_tokens_details":{"cached_tokens":0,"cache_write_tokens":0,"audio_tokens":0,"video_tokens":0},"cost_details":{"upstream_inference_cost":0.00000735,"upstream_inference_prompt_cost":0.00000135,"upstream_inference_completions_cost":0.000006},"completion_tokens_details":{"reasoning_tokens":0,"image_tokens":0,"audio_tokens":0}}}"#;

    /// A real answer calling the caller's function, with reasoning and cached tokens.
    const TOOL_CALL_COMPLETION: &str = r#"{"id":"gen-1779334358-5uErgorPN1rJbPw8AVrM","object":"chat.completion","created":1779334358,"model":"qwen/qwen3.5-35b-a3b-20260224","provider":"Parasail","system_fingerprint":"vllm-0.20.2rc1.dev1310+gb13770ae3-tp2-24836ff9","choices":[{"index":0,"logprobs":null,"finish_reason":"tool_calls","native_finish_reason":"tool_calls","message":{"role":"assistant","content":null,"refusal":null,"reasoning":"The user is asking for a pad thai recipe. I should search for pad thai recipes using the search_recipes function. I'll use \"pad thai\" as the query parameter.\n","tool_calls":[{"type":"function","index":0,"id":"call_7b205c4c32234f3e91624804","function":{"name":"search_recipes","arguments":"{\"query\": \"pad thai\"}"}}],"reasoning_details":[{"type":"reasoning.text","text":"The user is asking for a pad thai recipe. I should search for pad thai recipes using the search_recipes function. I'll use \"pad thai\" as the query parameter.\n","format":"unknown","index":0}]}}],"usage":{"prompt_tokens":1077,"completion_tokens":66,"total_tokens":1143,"cost":0.00012195,"is_byok":false,"prompt_tokens_details":{"cached_tokens":1056,"cache_write_tokens":0,"audio_tokens":0,"video_tokens":0},"cost_details":{"upstream_inference_cost":0.00012195,"upstream_inference_prompt_cost":0.00005595,"upstream_inference_completions_cost":0.000066},"completion_tokens_details":{"reasoning_tokens":41,"image_tokens":0,"audio_tokens":0}}}"#;

    #[test]
    fn a_real_tool_call_answer_reads_its_calls() {
        let completion = parse(&serde_json::from_str(TOOL_CALL_COMPLETION).unwrap()).unwrap();
        assert_eq!(completion.finish_reason.as_deref(), Some("tool_calls"));
        assert_eq!(completion.tool_calls.len(), 1);
        let call = &completion.tool_calls[0];
        assert_eq!(call.id, "call_7b205c4c32234f3e91624804");
        assert_eq!(call.function.name, "search_recipes");
        assert_eq!(call.function.arguments, r#"{"query": "pad thai"}"#);
        assert_eq!(completion.usage.completion_tokens, 66);
    }

    #[test]
    fn malformed_tool_calls_are_a_malformed_answer() {
        let body = json!({"choices": [{"message": {"role": "assistant", "content": null,
                          "tool_calls": [{"id": 7}]}}]});
        assert!(matches!(parse(&body), Err(UpstreamError::Malformed(_))));
    }

    fn parse(body: &Value) -> Result<Completion, UpstreamError> {
        Completion::from_body(body, None, 1)
    }

    #[test]
    fn a_real_2026_completion_reads_completely() {
        let completion = parse(&serde_json::from_str(REAL_COMPLETION).unwrap()).unwrap();
        assert_eq!(
            completion.generation_id.as_deref(),
            Some("gen-1779358422-LrEwL8SmYSWNlAzrHKq2")
        );
        assert_eq!(completion.model.as_deref(), Some("openai/gpt-4o-mini"));
        assert_eq!(completion.provider.as_deref(), Some("Azure"));
        assert_eq!(completion.text, "Hello! How can I assist you today?");
        assert_eq!(completion.finish_reason.as_deref(), Some("stop"));
        assert_eq!(completion.usage.total_tokens, 19);
        assert_eq!(completion.usage.cost, Some(NanoUsd(7350)));
        assert_eq!(completion.message["role"], "assistant");
    }

    #[test]
    fn the_generation_id_header_wins_over_the_body_id() {
        let body: Value = serde_json::from_str(REAL_COMPLETION).unwrap();
        let completion = Completion::from_body(&body, Some("gen-header".into()), 2).unwrap();
        assert_eq!(completion.generation_id.as_deref(), Some("gen-header"));
        assert_eq!(completion.attempts, 2);
    }

    #[test]
    fn usage_reads_cache_reasoning_and_costs_given_as_strings() {
        let usage = Usage::from_json(&json!({
            "prompt_tokens": "1077", "completion_tokens": 66,
            "prompt_tokens_details": {"cached_tokens": 1056, "cache_write_tokens": 12},
            "completion_tokens_details": {"reasoning_tokens": 41},
            "total_cost": "0.00012195"
        }));
        assert_eq!(usage.prompt_tokens, 1077);
        assert_eq!(usage.total_tokens, 1143);
        assert_eq!(usage.cached_tokens, 1056);
        assert_eq!(usage.cache_write_tokens, 12);
        assert_eq!(usage.reasoning_tokens, 41);
        assert_eq!(usage.cost, Some(NanoUsd(121_950)));
    }

    #[test]
    fn the_2025_top_level_cached_tokens_is_accepted_and_missing_cost_is_none() {
        let usage = Usage::from_json(&json!({"prompt_tokens": 5, "cached_tokens": 3}));
        assert_eq!(usage.cached_tokens, 3);
        assert_eq!(usage.cost, None);
        assert_eq!(Usage::from_json(&Value::Null), Usage::default());
    }

    #[test]
    fn text_blocks_are_concatenated_and_blank_text_falls_back_to_reasoning() {
        let blocks = json!({"choices": [{"message": {"content": [
            {"type": "text", "text": "Hel"}, {"type": "image_url"}, {"type": "text", "text": "lo"}
        ]}}]});
        assert_eq!(parse(&blocks).unwrap().text, "Hello");
        let reasoning = json!({"choices": [{"message": {"content": " ", "reasoning": "thought"}}]});
        assert_eq!(parse(&reasoning).unwrap().text, "thought");
        let none = json!({"choices": [{"message": {"content": null, "reasoning": null}}]});
        assert_eq!(parse(&none).unwrap().text, "");
    }

    #[test]
    fn citations_come_from_annotations_citations_and_search_results_without_duplicates() {
        let body = json!({
            "choices": [{"message": {"content": "x", "annotations": [
                {"type": "url_citation", "url_citation": {"url": "https://a.example", "title": "A"}},
                {"type": "file", "file": {"url": "https://file.example"}},
                {"type": "url_citation", "url_citation": {"url": "", "title": "empty"}},
                {"type": "url_citation", "url_citation": {"url": "https://b.example", "title": ""}}
            ]}}],
            "citations": ["https://a.example", "https://c.example", 7],
            "search_results": [{"url": "https://d.example", "title": "D"}, {"title": "no url"}]
        });
        let urls: Vec<(String, Option<String>)> = parse(&body)
            .unwrap()
            .citations
            .into_iter()
            .map(|citation| (citation.url, citation.title))
            .collect();
        assert_eq!(
            urls,
            [
                ("https://a.example".into(), Some("A".into())),
                ("https://b.example".into(), None),
                ("https://c.example".into(), None),
                ("https://d.example".into(), Some("D".into())),
            ]
        );
    }

    #[test]
    fn an_error_inside_a_200_body_is_an_error() {
        let body = json!({
            "id": "gen-1", "error": {"message": "Provider returned error", "code": 429,
            "metadata": {"raw": "error code: 1015", "provider_name": "Kluster"}},
            "choices": [{"message": {"content": null}}]
        });
        let Err(UpstreamError::ErrorInBody {
            status,
            message,
            provider,
            generation_id,
            ..
        }) = parse(&body)
        else {
            panic!("expected an error in the body");
        };
        assert_eq!(status, Some(429));
        assert_eq!(message, "Provider returned error: error code: 1015");
        assert_eq!(provider.as_deref(), Some("Kluster"));
        assert_eq!(generation_id.as_deref(), Some("gen-1"));
    }

    #[test]
    fn a_choice_that_failed_part_way_is_a_provider_error() {
        let body = json!({"provider": "OpenAI", "choices": [{
            "finish_reason": "error", "message": {"content": "Once upon"},
            "error": {"code": 502, "message": "Provider returned error"}
        }]});
        let Err(UpstreamError::Provider {
            status, provider, ..
        }) = parse(&body)
        else {
            panic!("expected a provider error");
        };
        assert_eq!(status, Some(502));
        assert_eq!(provider.as_deref(), Some("OpenAI"));
    }

    #[test]
    fn bodies_without_a_message_are_malformed() {
        assert!(matches!(
            parse(&json!([1])),
            Err(UpstreamError::Malformed(_))
        ));
        assert!(matches!(
            parse(&json!({"choices": []})),
            Err(UpstreamError::Malformed(_))
        ));
    }
}
