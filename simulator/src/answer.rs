//! The deterministic completion (answer text, tokens, usage, cost) and the JSON fields every
//! response shares.

use std::{
    sync::{
        LazyLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{SystemTime, UNIX_EPOCH},
};

use serde_json::{Map, Value, json};

use crate::catalog::{self, Money, Pricing};

/// How many words of the user's last message the answer echoes.
const ECHOED_WORDS: usize = 40;
/// The simulated tokenizer: one token per this many characters, rounded up.
const CHARS_PER_TOKEN: u64 = 4;

/// Tokens in `text` under the simulator's tokenizer.
pub(crate) fn count_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(CHARS_PER_TOKEN)
}

/// Why a completion ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Finish {
    Stop,
    Length,
    /// The answer is a call of one of the caller's functions.
    ToolCalls,
    /// The provider failed after part of the answer was sent.
    Error,
}

impl Finish {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Stop => "stop",
            Self::Length => "length",
            Self::ToolCalls => "tool_calls",
            Self::Error => "error",
        }
    }
}

/// Token counts and what they cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Usage {
    pub(crate) prompt_tokens: u64,
    pub(crate) completion_tokens: u64,
    pricing: Pricing,
}

impl Usage {
    pub(crate) fn zero() -> Self {
        let free = Money::default();
        Self {
            prompt_tokens: 0,
            completion_tokens: 0,
            pricing: Pricing {
                prompt: free,
                completion: free,
            },
        }
    }

    fn prompt_cost(self) -> Money {
        self.pricing.prompt.times(self.prompt_tokens)
    }

    fn completion_cost(self) -> Money {
        self.pricing.completion.times(self.completion_tokens)
    }

    pub(crate) fn cost(self) -> Money {
        self.prompt_cost() + self.completion_cost()
    }

    /// The `usage` object of responses and usage chunks.
    pub(crate) fn to_json(self) -> Value {
        let cost = self.cost().usd();
        json!({
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "cost": cost,
            "is_byok": false,
            "prompt_tokens_details": {
                "cached_tokens": 0, "cache_write_tokens": 0, "audio_tokens": 0, "video_tokens": 0
            },
            "cost_details": {
                "upstream_inference_cost": cost,
                "upstream_inference_prompt_cost": self.prompt_cost().usd(),
                "upstream_inference_completions_cost": self.completion_cost().usd()
            },
            "completion_tokens_details": {
                "reasoning_tokens": 0, "image_tokens": 0, "audio_tokens": 0
            }
        })
    }
}

/// A prompt draft shaped like the gateway's builder asks for: the request's words as the
/// instructions (without braces, so that a cut-off echo can never be broken template syntax),
/// every `{{ name }}` placeholder of the request kept as a declared variable (an "improve this
/// prompt" request keeps its inputs), and an `input` variable for the text to work on.
fn json_draft(model: &str, echo: &str, request: &str) -> String {
    let instructions: String = echo.chars().filter(|c| !matches!(c, '{' | '}')).collect();
    let mut names = placeholders(request);
    if !names.iter().any(|name| name == "input") {
        names.push("input".to_owned());
    }
    let mut template = format!("{}\n", instructions.trim());
    for name in &names {
        template.push_str(&format!("\n{name}: {{{{ {name} }}}}"));
    }
    let args: Vec<Value> = names
        .iter()
        .map(|name| {
            json!({
                "name": name,
                "type": "string",
                "required": true,
                "description": format!("The {} to work on.", name.replace('_', " ")),
            })
        })
        .collect();
    json!({
        "system_prompt": template,
        "prompt_args": args,
        "notes": format!("Simulated draft from {model}."),
    })
    .to_string()
}

/// The distinct `{{ name }}` placeholders of `text` whose names are valid variable names, in
/// order of first use.
fn placeholders(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        rest = &rest[open + 2..];
        let Some(close) = rest.find("}}") else { break };
        let name = rest[..close].trim();
        let valid = name.len() <= 32
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if valid && !names.iter().any(|known| known == name) {
            names.push(name.to_owned());
        }
        rest = &rest[close + 2..];
    }
    names
}

/// A function the request offers, as far as the simulator reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OfferedTool {
    pub(crate) name: String,
    /// The `properties` of its parameters' JSON Schema, in the order they were written.
    pub(crate) properties: Vec<(String, String)>,
}

/// A call of an offered function, as the simulated model makes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ToolCall {
    pub(crate) id: String,
    pub(crate) name: String,
    /// JSON text.
    pub(crate) arguments: String,
}

impl ToolCall {
    /// Calls `tool` with every parameter filled by its type: strings with the start of the
    /// user's words, numbers with 1, booleans with true, anything else null.
    fn of(tool: &OfferedTool, echo: &str) -> Self {
        let arguments: Map<String, Value> = tool
            .properties
            .iter()
            .map(|(name, kind)| {
                let value = match kind.as_str() {
                    "string" => Value::from(echo),
                    "integer" | "number" => Value::from(1),
                    "boolean" => Value::Bool(true),
                    _ => Value::Null,
                };
                (name.clone(), value)
            })
            .collect();
        Self {
            id: format!("call_sim_{}", tool.name),
            name: tool.name.clone(),
            arguments: Value::Object(arguments).to_string(),
        }
    }

    /// OpenAI's whole `tool_calls` entry.
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "index": 0,
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments}
        })
    }
}

/// The simulated model's reply to one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Answer {
    pub(crate) text: String,
    /// Set when the model calls a function instead of answering in text.
    pub(crate) tool_call: Option<ToolCall>,
    pub(crate) finish: Finish,
    pub(crate) usage: Usage,
}

impl Answer {
    /// `"Simulated answer from <model>: "` plus the start of the user's last message, cut to
    /// `token_limit` tokens when that is smaller. In JSON mode the answer is a JSON object shaped
    /// like a prompt draft (the only JSON the gateway asks for), built from the same request.
    pub(crate) fn new(
        model: &str,
        pricing: Pricing,
        prompt_tokens: u64,
        last_user_text: &str,
        token_limit: Option<u64>,
        json_mode: bool,
    ) -> Self {
        let echo = echo(last_user_text);
        let full = if json_mode {
            json_draft(model, &echo, last_user_text)
        } else {
            format!("Simulated answer from {model}: {echo}")
        };
        let (text, finish) = match token_limit {
            Some(limit) if count_tokens(&full) > limit => {
                let chars =
                    usize::try_from(limit.saturating_mul(CHARS_PER_TOKEN)).unwrap_or(usize::MAX);
                (full.chars().take(chars).collect(), Finish::Length)
            }
            _ => (full, Finish::Stop),
        };
        let usage = Usage {
            prompt_tokens,
            completion_tokens: count_tokens(&text),
            pricing,
        };
        Self {
            text,
            tool_call: None,
            finish,
            usage,
        }
    }

    /// A call of `tool` instead of a text answer, billed for the call's name and arguments.
    pub(crate) fn calling(
        tool: &OfferedTool,
        pricing: Pricing,
        prompt_tokens: u64,
        last_user_text: &str,
    ) -> Self {
        let call = ToolCall::of(tool, &echo(last_user_text));
        let usage = Usage {
            prompt_tokens,
            completion_tokens: count_tokens(&call.name) + count_tokens(&call.arguments),
            pricing,
        };
        Self {
            text: String::new(),
            tool_call: Some(call),
            finish: Finish::ToolCalls,
            usage,
        }
    }

    /// The pieces a stream sends as deltas: word by word, each with its trailing space, so that
    /// they concatenate to exactly `text`.
    pub(crate) fn pieces(&self) -> Vec<&str> {
        self.text.split_inclusive(' ').collect()
    }

    /// How many pieces go out before a fault breaks the answer off.
    pub(crate) fn interrupted_after(&self) -> usize {
        self.pieces().len() / 2
    }

    /// The part of the answer sent before a provider failure, billed for what was sent.
    pub(crate) fn interrupted(&self) -> Self {
        self.first_pieces(self.interrupted_after())
    }

    /// The part of a streamed answer that went out before the client hung up: like a provider
    /// failure, what was sent is billed. The generation record marks it cancelled.
    pub(crate) fn cancelled_after(&self, pieces_sent: usize) -> Self {
        self.first_pieces(pieces_sent)
    }

    /// The first `count` pieces, billed for exactly that text, with the prompt and pricing of the
    /// full answer, ended by an error because the answer did not run its course.
    fn first_pieces(&self, count: usize) -> Self {
        let text: String = self.pieces().into_iter().take(count).collect();
        let usage = Usage {
            completion_tokens: count_tokens(&text),
            ..self.usage
        };
        Self {
            text,
            tool_call: None,
            finish: Finish::Error,
            usage,
        }
    }
}

/// The first words of what the user said, or a marker when there are none.
fn echo(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().take(ECHOED_WORDS).collect();
    if words.is_empty() {
        "(nothing to echo)".to_owned()
    } else {
        words.join(" ")
    }
}

/// The fields that identify one generation in every response and chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ResponseMeta {
    pub(crate) id: String,
    pub(crate) created: u64,
    pub(crate) model: String,
    pub(crate) provider: String,
}

impl ResponseMeta {
    pub(crate) fn new(model: &str) -> Self {
        let created = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|since| since.as_secs())
            .unwrap_or_default();
        Self {
            id: generation_id(created),
            created,
            model: model.to_owned(),
            provider: catalog::provider_name(model),
        }
    }

    /// `id`, `object`, `created`, `model` and `provider`, to which a body adds its own fields.
    pub(crate) fn envelope(&self, object: &str) -> Map<String, Value> {
        let mut fields = Map::new();
        fields.insert("id".into(), self.id.clone().into());
        fields.insert("object".into(), object.into());
        fields.insert("created".into(), self.created.into());
        fields.insert("model".into(), self.model.clone().into());
        fields.insert("provider".into(), self.provider.clone().into());
        fields
    }
}

/// The `error` OpenRouter attaches when a provider fails after output has started.
pub(crate) fn provider_failure() -> Value {
    json!({
        "code": 502,
        "message": "Provider returned error",
        "metadata": {"error_type": "provider_unavailable"}
    })
}

/// A non-streamed choice carrying the assistant's `content` (a string, or null when it failed).
pub(crate) fn message_choice(content: Value, finish_reason: Option<&str>) -> Value {
    json!({
        "index": 0,
        "logprobs": null,
        "finish_reason": finish_reason,
        "native_finish_reason": finish_reason,
        "message": {"role": "assistant", "content": content, "refusal": null, "reasoning": null}
    })
}

/// The non-streamed `chat.completion` body.
pub(crate) fn completion_body(meta: &ResponseMeta, answer: &Answer) -> Value {
    let content = match answer.tool_call {
        Some(_) => Value::Null,
        None => answer.text.as_str().into(),
    };
    let mut choice = message_choice(content, Some(answer.finish.as_str()));
    if let Some(call) = &answer.tool_call {
        choice["message"]["tool_calls"] = json!([call.to_json()]);
    }
    if answer.finish == Finish::Error
        && let Some(choice) = choice.as_object_mut()
    {
        choice.insert("error".into(), provider_failure());
    }
    let mut body = meta.envelope("chat.completion");
    body.insert("system_fingerprint".into(), Value::Null);
    body.insert("choices".into(), Value::Array(vec![choice]));
    body.insert("usage".into(), answer.usage.to_json());
    Value::Object(body)
}

const ID_ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `gen-<unix seconds>-<20 alphanumerics>`, unique within the process.
fn generation_id(created: u64) -> String {
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    // The seed makes ids differ between runs; the sequence makes them differ within one.
    static SEED: LazyLock<u64> = LazyLock::new(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|since| since.as_nanos() as u64)
            .unwrap_or_default()
    });
    // Mixing is a bijection, so distinct sequence numbers give distinct first 11 characters.
    let unique = mix(SEQUENCE.fetch_add(1, Ordering::Relaxed).wrapping_add(*SEED));
    let mut id = format!("gen-{created}-");
    push_base62(&mut id, unique, 11);
    push_base62(&mut id, mix(unique), 9);
    id
}

/// The splitmix64 finalizer.
fn mix(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn push_base62(out: &mut String, mut value: u64, digits: usize) {
    for _ in 0..digits {
        out.push(char::from(ID_ALPHABET[(value % 62) as usize]));
        value /= 62;
    }
}
