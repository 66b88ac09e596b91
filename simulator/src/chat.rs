//! `POST /chat/completions`: request parsing, model resolution with fallbacks, and picking the
//! response (JSON, streamed or faulty).

use std::time::{Duration, Instant, SystemTime};

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use serde::Deserialize;

use crate::{
    AppState, FAULT_MODEL_PREFIX,
    account::{ApiKey, GenerationRecord, Settlement},
    answer::{Answer, OfferedTool, ResponseMeta, completion_body, count_tokens},
    catalog::{self, Pricing},
    error::ApiError,
    faults::{self, Fault},
    stream::{self, Plan},
};

/// The fields of an OpenAI-style chat request the simulator looks at; everything else is ignored.
#[derive(Deserialize)]
struct ChatRequest {
    model: Option<String>,
    models: Option<Vec<String>>,
    messages: Option<Vec<Message>>,
    max_tokens: Option<u64>,
    max_completion_tokens: Option<u64>,
    stream: Option<bool>,
    provider: Option<ProviderPreferences>,
    response_format: Option<ResponseFormat>,
    user: Option<String>,
    session_id: Option<String>,
    tools: Option<Vec<Tool>>,
}

/// An offered tool: a caller's function, or one of OpenRouter's server tools (no `function`).
#[derive(Deserialize)]
struct Tool {
    function: Option<Function>,
}

#[derive(Deserialize)]
struct Function {
    name: String,
    parameters: Option<Parameters>,
}

#[derive(Deserialize)]
struct Parameters {
    #[serde(default)]
    properties: serde_json::Map<String, serde_json::Value>,
}

impl Function {
    fn offered(&self) -> OfferedTool {
        let properties = self
            .parameters
            .iter()
            .flat_map(|parameters| &parameters.properties)
            .map(|(name, schema)| {
                let kind = schema["type"].as_str().unwrap_or_default().to_owned();
                (name.clone(), kind)
            })
            .collect();
        OfferedTool {
            name: self.name.clone(),
            properties,
        }
    }
}

/// `{"type": "json_object"}` asks for a JSON answer.
#[derive(Deserialize)]
struct ResponseFormat {
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Deserialize)]
struct ProviderPreferences {
    allow_fallbacks: Option<bool>,
}

#[derive(Deserialize)]
struct Message {
    role: Option<String>,
    content: Option<Content>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Content {
    Text(String),
    Parts(Vec<ContentPart>),
}

/// Only text parts count as words; images are counted to say they were seen.
#[derive(Deserialize)]
struct ContentPart {
    #[serde(rename = "type")]
    kind: Option<String>,
    text: Option<String>,
}

impl Message {
    fn text(&self) -> String {
        match &self.content {
            None => String::new(),
            Some(Content::Text(text)) => text.clone(),
            Some(Content::Parts(parts)) => parts
                .iter()
                .filter_map(|part| part.text.as_deref())
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    fn images(&self) -> usize {
        match &self.content {
            Some(Content::Parts(parts)) => parts
                .iter()
                .filter(|part| part.kind.as_deref() == Some("image_url"))
                .count(),
            _ => 0,
        }
    }
}

impl ChatRequest {
    /// OpenRouter's order: the `models` list, with `model` in front unless the list has it.
    fn candidates(&self) -> Vec<&str> {
        let mut candidates: Vec<&str> = self.models.iter().flatten().map(String::as_str).collect();
        if let Some(model) = self.model.as_deref()
            && !candidates.contains(&model)
        {
            candidates.insert(0, model);
        }
        candidates
    }

    fn allows_fallbacks(&self) -> bool {
        self.provider
            .as_ref()
            .and_then(|provider| provider.allow_fallbacks)
            .unwrap_or(true)
    }

    fn token_limit(&self) -> Result<Option<u64>, ApiError> {
        let limit = match (self.max_tokens, self.max_completion_tokens) {
            (Some(max_tokens), Some(max_completion_tokens)) => {
                Some(max_tokens.min(max_completion_tokens))
            }
            (max_tokens, max_completion_tokens) => max_tokens.or(max_completion_tokens),
        };
        if limit == Some(0) {
            return Err(bad_request("max_tokens must be at least 1"));
        }
        Ok(limit)
    }
}

/// The model that answers, and the fault it stands for when it is a reserved id.
struct ServedModel {
    id: String,
    pricing: Pricing,
    fault: Option<Fault>,
}

enum Candidate {
    Served(ServedModel),
    Unavailable,
    Unknown,
}

fn classify(id: &str) -> Result<Candidate, ApiError> {
    if let Some(fault) = id.strip_prefix(FAULT_MODEL_PREFIX) {
        return Ok(match Fault::parse(fault)? {
            Fault::Unavailable => Candidate::Unavailable,
            fault => Candidate::Served(ServedModel {
                id: id.to_owned(),
                pricing: Pricing::RESERVED,
                fault: Some(fault),
            }),
        });
    }
    Ok(catalog::pricing(id).map_or(Candidate::Unknown, |pricing| {
        Candidate::Served(ServedModel {
            id: id.to_owned(),
            pricing,
            fault: None,
        })
    }))
}

/// The first candidate that can be served, like OpenRouter's fallback routing.
fn resolve(request: &ChatRequest) -> Result<ServedModel, ApiError> {
    let candidates = request.candidates();
    let mut first_unknown = None;
    for (position, id) in candidates.iter().copied().enumerate() {
        match classify(id)? {
            Candidate::Served(model) => return Ok(model),
            Candidate::Unavailable if position == 0 && !request.allows_fallbacks() => {
                return Err(faults::unavailable(id));
            }
            Candidate::Unavailable => {}
            Candidate::Unknown => {
                first_unknown.get_or_insert(id);
            }
        }
    }
    match (first_unknown, candidates.first()) {
        (Some(unknown), _) => Err(bad_request(format!("{unknown} is not a valid model ID"))),
        (None, Some(unavailable)) => Err(faults::unavailable(unavailable)),
        (None, None) => Err(bad_request("No models provided: set `model` or `models`")),
    }
}

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, message)
}

pub(crate) async fn completions(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let started = Instant::now();
    state.seen.record(&headers);
    let header_fault = Fault::from_headers(&headers)?;
    let request: ChatRequest = serde_json::from_slice(&body)
        .map_err(|error| bad_request(format!("Invalid request body: {error}")))?;
    let messages = request
        .messages
        .as_deref()
        .filter(|messages| !messages.is_empty())
        .ok_or_else(|| bad_request("messages: at least one message is required"))?;
    let token_limit = request.token_limit()?;
    let served = resolve(&request)?;
    // The header lets a test fault any model; a reserved model id lets configuration do it.
    let fault = header_fault.or(served.fault);
    let plan = match request.stream {
        Some(true) => Some(Plan::for_request(
            fault,
            &headers,
            state.config.chunk_delay,
        )?),
        _ => None,
    };
    tracing::debug!(
        model = %served.id,
        ?fault,
        streamed = plan.is_some(),
        "simulated chat completion"
    );

    let mut delay = state.config.latency;
    if let Some(Fault::Latency(extra)) = fault {
        delay += extra;
    }
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    match fault {
        Some(Fault::Error(status)) => return Err(faults::error_response(status)),
        Some(Fault::Unavailable) => return Err(faults::unavailable(&served.id)),
        _ => {}
    }

    let prompt_tokens = messages
        .iter()
        .map(|message| count_tokens(&message.text()))
        .sum();
    let heard = heard(messages);
    // A model offered functions calls the first one, until the caller sends back its result.
    let called = request
        .tools
        .iter()
        .flatten()
        .find_map(|tool| tool.function.as_ref())
        .filter(|_| messages.last().and_then(|m| m.role.as_deref()) != Some("tool"));
    let mut answer = match called {
        Some(function) => {
            Answer::calling(&function.offered(), served.pricing, prompt_tokens, &heard)
        }
        None => Answer::new(
            &served.id,
            served.pricing,
            prompt_tokens,
            &heard,
            token_limit,
            request
                .response_format
                .as_ref()
                .and_then(|format| format.kind.as_deref())
                == Some("json_object"),
        ),
    };
    if fault == Some(Fault::NulInAnswer) {
        answer.text.insert(0, '\0');
    }
    let meta = ResponseMeta::new(&served.id);
    let settlement = Settlement {
        ledger: state.ledger.clone(),
        key,
        record: GenerationRecord {
            meta: meta.clone(),
            answer: answer.clone(),
            streamed: plan.is_some(),
            created_at: SystemTime::now(),
            latency: started.elapsed(),
            generation_time: Duration::ZERO,
            external_user: request.user,
            session_id: request.session_id,
            cancelled: false,
        },
        started,
    };
    let mut response = match (fault, plan) {
        (Some(Fault::MalformedJson), _) => faults::malformed_json(&meta, &answer),
        (Some(Fault::ErrorIn200), _) => faults::error_in_200(&meta),
        (_, Some(plan)) => stream::respond(&meta, &answer, plan, settlement),
        (Some(Fault::CutStream), None) => faults::cut_body(&meta, &answer),
        (Some(Fault::MidstreamError), None) => {
            Json(completion_body(&meta, &answer.interrupted())).into_response()
        }
        (_, None) => {
            settlement.settle();
            Json(completion_body(&meta, &answer)).into_response()
        }
    };
    if let Ok(id) = HeaderValue::from_str(&meta.id) {
        response.headers_mut().insert("x-generation-id", id);
    }
    Ok(response)
}

/// The text the answer echoes: a tool's result when the last message is one, else the last user
/// message (or the last message when no user spoke); led by how many images the request
/// showed, so a test can tell that they arrived.
fn heard(messages: &[Message]) -> String {
    let last = messages.last();
    let said = match last.filter(|m| m.role.as_deref() == Some("tool")) {
        Some(result) => format!("the tool returned {}", result.text()),
        None => messages
            .iter()
            .rev()
            .find(|message| message.role.as_deref() == Some("user"))
            .or(last)
            .map(Message::text)
            .unwrap_or_default(),
    };
    match messages.iter().map(Message::images).sum::<usize>() {
        0 => said,
        1 => format!("I see 1 image. {said}"),
        images => format!("I see {images} images. {said}"),
    }
}
