//! Request bodies of the public API: JSON whose every problem becomes a 422 with field errors
//! (never a framework rejection), parsed into what the core takes.

use axum::extract::{FromRequest, Request};
use gateway::invoke::ChatMessage;
use gateway::messages::{Tools, parse_messages, parse_tools};
use gateway::options;
use gateway::types::FieldErrors;
use gateway::{Audience, Call, Caller, Delivery, Target, Turn};
use serde_json::{Map, Value};

use crate::error::ApiError;

/// The longest conversation id accepted (ids are UUIDs).
const MAX_CONVERSATION_ID: usize = 64;

/// A JSON body parsed by `T::parse`; malformed JSON and field errors are 422s.
pub(crate) struct JsonBody<T>(pub T);

pub(crate) trait ParseBody: Sized {
    fn parse(body: &Map<String, Value>) -> Result<Self, FieldErrors>;
}

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: ParseBody,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|e| {
                ApiError::new(
                    e.status(),
                    format!("The request body could not be read: {}", e.body_text()),
                )
            })?;
        let value: Value = if bytes.is_empty() {
            Value::Object(Map::new())
        } else {
            serde_json::from_slice(&bytes).map_err(|e| {
                ApiError::invalid(
                    "The request body is not valid JSON.",
                    &FieldErrors::single("body", e.to_string()),
                )
            })?
        };
        let Value::Object(object) = value else {
            return Err(ApiError::invalid(
                "The request body must be a JSON object.",
                &FieldErrors::single("body", "Expected a JSON object."),
            ));
        };
        T::parse(&object)
            .map(JsonBody)
            .map_err(|errors| ApiError::invalid("Invalid request", &errors))
    }
}

/// `POST /{slug}/chat`.
pub(crate) struct ChatBody {
    args: Map<String, Value>,
    messages: Vec<ChatMessage>,
    tools: Tools,
    options: Map<String, Value>,
    stream: bool,
}

/// `POST /{slug}/converse`.
pub(crate) struct ConverseBody {
    conversation_id: Option<String>,
    message: String,
    args: Map<String, Value>,
    options: Map<String, Value>,
    stream: bool,
}

/// The top-level fields of `POST /{slug}/chat`; any other is refused naming it.
const CHAT_FIELDS: &[&str] = &[
    "args",
    "messages",
    "options",
    "stream",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
];
/// The top-level fields of `POST /{slug}/converse`; the last four are `/chat`'s, refused there with
/// a reason of their own.
const CONVERSE_FIELDS: &[&str] = &[
    "conversation_id",
    "message",
    "args",
    "options",
    "stream",
    "messages",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
];
/// `/chat` fields a conversation cannot take: threads store text turns.
const CHAT_ONLY_FIELDS: &[&str] = &["messages", "tools", "tool_choice", "parallel_tool_calls"];

impl ParseBody for ChatBody {
    fn parse(body: &Map<String, Value>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        refuse_unknown(body, CHAT_FIELDS, &mut errors);
        let parsed = Self {
            args: object(body, "args", &mut errors),
            messages: parse_messages(body.get("messages"), &mut errors),
            tools: parse_tools(body, &mut errors),
            options: object(body, "options", &mut errors),
            stream: flag(body, "stream", &mut errors),
        };
        errors.into_result(parsed)
    }
}

impl ChatBody {
    pub fn into_call(self, slug: &str, caller: Caller) -> Call {
        Call {
            args: self.args,
            messages: self.messages,
            tools: self.tools,
            options: self.options,
            caller,
            delivery: delivery(self.stream),
            ..Call::new(api_target(slug))
        }
    }
}

/// An integration as the public API may reach it.
pub(crate) fn api_target(slug: &str) -> Target {
    Target::Live {
        slug: slug.to_owned(),
        audience: Audience::Api,
    }
}

pub(crate) fn delivery(stream: bool) -> Delivery {
    if stream {
        Delivery::Streamed
    } else {
        Delivery::Whole
    }
}

impl ParseBody for ConverseBody {
    fn parse(body: &Map<String, Value>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        refuse_unknown(body, CONVERSE_FIELDS, &mut errors);
        let conversation_id = match body.get("conversation_id") {
            None | Some(Value::Null) => None,
            Some(Value::String(id)) if id.is_empty() => None,
            Some(Value::String(id)) if id.len() <= MAX_CONVERSATION_ID => Some(id.clone()),
            Some(_) => {
                errors.add(
                    "conversation_id",
                    format!("Must be a string of at most {MAX_CONVERSATION_ID} characters."),
                );
                None
            }
        };
        let message = match body.get("message") {
            Some(Value::String(text)) if !text.trim().is_empty() => text.clone(),
            _ => {
                errors.add(
                    "message",
                    "The message is required and must be a non-empty string.",
                );
                String::new()
            }
        };
        // Threads store text turns: images and tools need `/chat`, where the caller keeps the
        // history, rather than being dropped here.
        for &field in CHAT_ONLY_FIELDS {
            if body.get(field).is_some_and(|value| !value.is_null()) {
                errors.add(
                    field,
                    "Conversations take a text message only; send images and tools to /chat.",
                );
            }
        }
        let parsed = Self {
            conversation_id,
            message,
            args: object(body, "args", &mut errors),
            options: object(body, "options", &mut errors),
            stream: flag(body, "stream", &mut errors),
        };
        errors.into_result(parsed)
    }
}

impl ConverseBody {
    pub fn into_call(self, slug: &str, caller: Caller) -> Call {
        Call {
            args: self.args,
            options: self.options,
            caller,
            delivery: delivery(self.stream),
            turn: Turn::Continue {
                conversation_id: self.conversation_id,
                message: self.message,
            },
            ..Call::new(api_target(slug))
        }
    }
}

/// A field error for every top-level field outside `known`: nothing a caller sends is dropped
/// without a word.
fn refuse_unknown(body: &Map<String, Value>, known: &[&str], errors: &mut FieldErrors) {
    for key in body.keys().filter(|key| !known.contains(&key.as_str())) {
        errors.add(key.as_str(), options::UNKNOWN_FIELD);
    }
}

fn object(body: &Map<String, Value>, field: &str, errors: &mut FieldErrors) -> Map<String, Value> {
    match body.get(field) {
        None => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => {
            errors.add(field, "Must be a JSON object.");
            Map::new()
        }
    }
}

fn flag(body: &Map<String, Value>, field: &str, errors: &mut FieldErrors) -> bool {
    match body.get(field) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(value)) => *value,
        Some(_) => {
            errors.add(field, "Must be true or false.");
            false
        }
    }
}

/// `POST /v1/chat/completions`: OpenAI's request, with the integration slug as `model` and the
/// template variables in `args`. Generation settings come from the top level, as OpenAI has them.
pub(crate) struct OpenAiBody {
    pub model: String,
    pub messages: Vec<ChatMessage>,
    pub tools: Tools,
    pub args: Map<String, Value>,
    pub options: Map<String, Value>,
    pub stream: bool,
    pub include_usage: bool,
}

/// The top-level fields `/v1/chat/completions` acts on besides the sampling fields (the caller
/// options under their OpenAI names). With [`IGNORED_OPENAI_FIELDS`], anything else is refused
/// naming it.
const OPENAI_FIELDS: &[&str] = &[
    "model",
    "messages",
    "args",
    "stream",
    "stream_options",
    "max_completion_tokens",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
];

/// OpenAI fields that change nothing here and are accepted after a type check (`n` must be 1):
/// the end user's id and metadata are OpenAI's bookkeeping, `store` its own storage.
const IGNORED_OPENAI_FIELDS: &[&str] = &["user", "n", "store", "metadata"];

/// OpenAI's limits on `metadata`: 16 pairs, keys of 64 and values of 512 characters.
const MAX_METADATA_PAIRS: usize = 16;
const MAX_METADATA_KEY: usize = 64;
const MAX_METADATA_VALUE: usize = 512;

impl ParseBody for OpenAiBody {
    fn parse(body: &Map<String, Value>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let model = match body.get("model") {
            Some(Value::String(slug)) if !slug.is_empty() => slug.clone(),
            _ => {
                errors.add("model", "The integration slug is required as `model`.");
                String::new()
            }
        };
        if body.get("n").is_some_and(|n| n.as_u64() != Some(1)) {
            errors.add("n", "Only one choice per request is supported.");
        }
        if body
            .get("store")
            .is_some_and(|store| !matches!(store, Value::Null | Value::Bool(false)))
        {
            errors.add(
                "store",
                "The gateway does not store completions for OpenAI.",
            );
        }
        if body.contains_key("max_tokens") && body.contains_key("max_completion_tokens") {
            errors.add(
                "max_completion_tokens",
                "Set max_tokens or max_completion_tokens, not both.",
            );
        }
        let mut options = Map::new();
        for (key, value) in body {
            let option = if key == "max_completion_tokens" {
                "max_tokens"
            } else {
                key.as_str()
            };
            if options::caller_params().any(|param| param.name == option) {
                options.insert(option.to_owned(), value.clone());
            } else if !OPENAI_FIELDS.contains(&key.as_str())
                && !IGNORED_OPENAI_FIELDS.contains(&key.as_str())
            {
                errors.add(key.as_str(), options::UNKNOWN_FIELD);
            }
        }
        check_openai_bookkeeping(body, &mut errors);
        let parsed = Self {
            model,
            messages: parse_messages(body.get("messages"), &mut errors),
            tools: parse_tools(body, &mut errors),
            args: object(body, "args", &mut errors),
            options,
            stream: flag(body, "stream", &mut errors),
            include_usage: include_usage(body, &mut errors),
        };
        errors.into_result(parsed)
    }
}

/// An object, where null means the same as absent (OpenAI clients send both).
fn nullable_object(
    body: &Map<String, Value>,
    field: &str,
    errors: &mut FieldErrors,
) -> Map<String, Value> {
    match body.get(field) {
        Some(Value::Null) => Map::new(),
        _ => object(body, field, errors),
    }
}

/// `stream_options`: `{include_usage?: bool}`.
fn include_usage(body: &Map<String, Value>, errors: &mut FieldErrors) -> bool {
    let options = nullable_object(body, "stream_options", errors);
    for key in options.keys().filter(|key| *key != "include_usage") {
        errors.add(
            format!("stream_options.{key}"),
            "This field is not supported by the gateway.",
        );
    }
    flag(&options, "include_usage", errors)
}

/// `user` is a string and `metadata` string pairs within OpenAI's limits.
fn check_openai_bookkeeping(body: &Map<String, Value>, errors: &mut FieldErrors) {
    if body
        .get("user")
        .is_some_and(|user| !user.is_null() && !user.is_string())
    {
        errors.add("user", "Must be a string.");
    }
    let metadata = nullable_object(body, "metadata", errors);
    let fits = metadata.len() <= MAX_METADATA_PAIRS
        && metadata.iter().all(|(key, value)| {
            key.chars().count() <= MAX_METADATA_KEY
                && value
                    .as_str()
                    .is_some_and(|v| v.chars().count() <= MAX_METADATA_VALUE)
        });
    if !fits {
        errors.add(
            "metadata",
            format!(
                "Must be at most {MAX_METADATA_PAIRS} string pairs, keys of at most \
                 {MAX_METADATA_KEY} and values of at most {MAX_METADATA_VALUE} characters."
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::StatusCode;
    use gateway::test_support::{any_json, any_object_with};
    use proptest::prelude::*;

    use super::*;

    /// The fields the three bodies read, so generated bodies reach past the first checks.
    const FIELDS: &[&str] = &[
        "args",
        "messages",
        "options",
        "stream",
        "conversation_id",
        "message",
        "model",
        "n",
        "max_completion_tokens",
        "max_tokens",
        "temperature",
        "stream_options",
        "response_format",
    ];

    /// The status of reading `bytes` as a `T` body: `None` when it parsed.
    fn refusal<T: ParseBody>(bytes: &[u8]) -> Option<StatusCode> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let request = Request::builder().body(Body::from(bytes.to_vec())).unwrap();
        runtime
            .block_on(JsonBody::<T>::from_request(request, &()))
            .err()
            .map(|error| error.status())
    }

    fn bodies() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..256),
            any_json().prop_map(|value| value.to_string().into_bytes()),
            any_object_with(FIELDS)
                .prop_map(|object| Value::Object(object).to_string().into_bytes()),
        ]
    }

    proptest! {
        /// Any bytes at all are a body or a 422: never a panic, never a 5xx.
        #[test]
        fn fuzz_any_bytes_are_a_body_or_a_422(bytes in bodies()) {
            for status in [
                refusal::<ChatBody>(&bytes),
                refusal::<ConverseBody>(&bytes),
                refusal::<OpenAiBody>(&bytes),
            ]
            .into_iter()
            .flatten()
            {
                prop_assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
            }
        }

        /// A refused object always says which fields are wrong.
        #[test]
        fn fuzz_refused_objects_name_their_fields(body in any_object_with(FIELDS)) {
            for refused in [
                ChatBody::parse(&body).err(),
                ConverseBody::parse(&body).err(),
                OpenAiBody::parse(&body).err(),
            ]
            .into_iter()
            .flatten()
            {
                prop_assert!(!refused.is_empty());
            }
        }
    }
}
