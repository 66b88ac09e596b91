//! Caller messages and tools as both public APIs take them: roles, text or content parts (text,
//! images), the assistant's tool calls and the caller's tool results, and the function tools a
//! caller offers. Read from JSON with every error keyed by its place (`messages.1.content.0`),
//! checked against what an integration allows, and sent upstream in OpenAI's shape, which
//! OpenRouter takes as is. The rendered prompt and conversation threads live elsewhere.

use gateway_types::FieldErrors;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// At most this many function tools per call (OpenAI's own limit).
pub const MAX_TOOLS: usize = 128;
/// A function's name: 1–64 letters, digits, `_` or `-` (OpenAI's rule).
const MAX_FUNCTION_NAME: usize = 64;
const IMAGE_DETAILS: &[&str] = &["auto", "low", "high"];
/// Message keys that OpenAI clients echo back from an answer and that carry nothing to act on
/// when empty; any other key, or one of these with a value, is refused.
const ECHOED_EMPTY_KEYS: &[&str] = &["refusal", "annotations", "audio", "function_call"];

/// Who speaks in a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    Developer,
    User,
    Assistant,
    /// The result of a tool call, sent back by the caller.
    Tool,
}

impl Role {
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "system" => Self::System,
            "developer" => Self::Developer,
            "user" => Self::User,
            "assistant" => Self::Assistant,
            "tool" => Self::Tool,
            _ => return None,
        })
    }

    /// System and developer messages instruct the model, as the integration's prompt does.
    pub fn instructs(self) -> bool {
        matches!(self, Self::System | Self::Developer)
    }
}

/// One part of a message's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentPart {
    Text { text: String },
    ImageUrl { image_url: ImageUrl },
}

/// An image by URL: `http(s)://…` or a `data:image/…` URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageUrl {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A message's content: plain text or a list of parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Parts(Vec<ContentPart>),
}

impl Content {
    /// The text of the content; images contribute nothing.
    pub fn text(&self) -> String {
        match self {
            Self::Text(text) => text.clone(),
            Self::Parts(parts) => parts
                .iter()
                .filter_map(|part| match part {
                    ContentPart::Text { text } => Some(text.as_str()),
                    ContentPart::ImageUrl { .. } => None,
                })
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

/// The only kind of tool a caller may offer or a model may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolKind {
    Function,
}

/// A call of one of the caller's functions, as the model asked for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: ToolKind,
    pub function: FunctionCall,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionCall {
    pub name: String,
    /// The arguments as the model wrote them: JSON text, not checked against the schema.
    pub arguments: String,
}

/// A message the caller adds after the rendered prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: Role,
    /// `None` only for an assistant message that holds tool calls.
    pub content: Option<Content>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// The call a `tool` message answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl ChatMessage {
    /// A plain text message.
    pub fn text(role: Role, text: impl Into<String>) -> Self {
        Self {
            role,
            content: Some(Content::Text(text.into())),
            name: None,
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }

    /// A `user` message.
    pub fn user(text: impl Into<String>) -> Self {
        Self::text(Role::User, text)
    }

    /// An `assistant` message: an earlier answer, replayed as history.
    pub fn assistant(text: impl Into<String>) -> Self {
        Self::text(Role::Assistant, text)
    }

    /// The message's text, images and tool calls left out.
    pub fn plain_text(&self) -> String {
        self.content.as_ref().map(Content::text).unwrap_or_default()
    }

    fn images(&self) -> impl Iterator<Item = usize> + '_ {
        let parts = match &self.content {
            Some(Content::Parts(parts)) => parts.as_slice(),
            _ => &[],
        };
        parts
            .iter()
            .enumerate()
            .filter(|(_, part)| matches!(part, ContentPart::ImageUrl { .. }))
            .map(|(index, _)| index)
    }
}

/// A function the caller offers the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    #[serde(rename = "type")]
    pub kind: ToolKind,
    pub function: FunctionDefinition,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionDefinition {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A JSON Schema object for the arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

/// Whether and which tool the model must call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ToolChoice {
    /// `none`, `auto` or `required`.
    Mode(String),
    /// One named function.
    Function {
        #[serde(rename = "type")]
        kind: ToolKind,
        function: NamedFunction,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedFunction {
    pub name: String,
}

/// The tools a caller offers on one call, with how the model may use them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tools {
    pub tools: Vec<Tool>,
    pub choice: Option<ToolChoice>,
    pub parallel_calls: Option<bool>,
}

impl Tools {
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty() && self.choice.is_none() && self.parallel_calls.is_none()
    }

    /// Adds the caller's functions to an OpenRouter request body, after the integration's own
    /// server tools.
    pub fn write_into(&self, body: &mut Map<String, Value>) {
        if !self.tools.is_empty() {
            let offered = self
                .tools
                .iter()
                .filter_map(|t| serde_json::to_value(t).ok());
            match body.get_mut("tools") {
                Some(Value::Array(existing)) => existing.extend(offered),
                _ => {
                    body.insert("tools".into(), Value::Array(offered.collect()));
                }
            }
        }
        if let Some(choice) = self
            .choice
            .as_ref()
            .and_then(|c| serde_json::to_value(c).ok())
        {
            body.insert("tool_choice".into(), choice);
        }
        if let Some(parallel) = self.parallel_calls {
            body.insert("parallel_tool_calls".into(), Value::Bool(parallel));
        }
    }
}

/// What an integration lets its callers send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowed {
    pub vision: bool,
    pub tools: bool,
    pub system_messages: bool,
}

impl Allowed {
    /// What a call without an integration (Draft with AI's helper) may send: text only.
    pub const TEXT_ONLY: Self = Self {
        vision: false,
        tools: false,
        system_messages: true,
    };
}

/// Refuses what the integration does not allow, naming the field and the setting.
pub fn check_allowed(
    messages: &[ChatMessage],
    tools: &Tools,
    allowed: Allowed,
) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    for (i, message) in messages.iter().enumerate() {
        if !allowed.system_messages && message.role.instructs() {
            errors.add(
                format!("messages.{i}.role"),
                "This integration does not accept system or developer messages from callers \
                 (its setting allow_system_messages is off).",
            );
        }
        if !allowed.vision {
            for part in message.images() {
                errors.add(
                    format!("messages.{i}.content.{part}"),
                    "This integration does not accept images (its setting supports_vision is off).",
                );
            }
        }
        if !allowed.tools && (message.role == Role::Tool || !message.tool_calls.is_empty()) {
            errors.add(
                format!("messages.{i}"),
                "This integration does not accept tool calls or results (its setting \
                 supports_tools is off).",
            );
        }
    }
    if !allowed.tools {
        let offered = [
            ("tools", !tools.tools.is_empty()),
            ("tool_choice", tools.choice.is_some()),
            ("parallel_tool_calls", tools.parallel_calls.is_some()),
        ];
        for (field, _) in offered.into_iter().filter(|(_, set)| *set) {
            errors.add(
                field,
                "This integration does not accept tools (its setting supports_tools is off).",
            );
        }
    }
    errors.into_result(())
}

/// Reads `messages` (absent means none). Errors are keyed `messages.{i}…`.
pub fn parse_messages(raw: Option<&Value>, errors: &mut FieldErrors) -> Vec<ChatMessage> {
    let Some(raw) = raw.filter(|raw| !raw.is_null()) else {
        return Vec::new();
    };
    let Value::Array(items) = raw else {
        errors.add("messages", "Must be a list of messages.");
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| parse_message(&format!("messages.{i}"), item, errors))
        .collect()
}

fn parse_message(at: &str, item: &Value, errors: &mut FieldErrors) -> Option<ChatMessage> {
    let Value::Object(fields) = item else {
        errors.add(at, "Must be an object with a role and content.");
        return None;
    };
    let before = errors.0.len();
    let role = match fields
        .get("role")
        .and_then(Value::as_str)
        .and_then(Role::parse)
    {
        Some(role) => Some(role),
        None => {
            errors.add(
                format!("{at}.role"),
                "Must be \"system\", \"developer\", \"user\", \"assistant\" or \"tool\".",
            );
            None
        }
    };
    for (key, value) in fields {
        let known = matches!(
            key.as_str(),
            "role" | "content" | "name" | "tool_calls" | "tool_call_id"
        );
        let empty = value.is_null() || value.as_array().is_some_and(Vec::is_empty);
        let echoed = ECHOED_EMPTY_KEYS.contains(&key.as_str()) && empty;
        if !known && !echoed {
            errors.add(
                format!("{at}.{key}"),
                "This message field is not supported by the gateway.",
            );
        }
    }
    let name = optional_text(fields, at, "name", errors);
    let tool_calls = match fields.get("tool_calls") {
        None | Some(Value::Null) => Vec::new(),
        Some(calls) if role == Some(Role::Assistant) => {
            parse_tool_calls(&format!("{at}.tool_calls"), calls, errors)
        }
        Some(_) => {
            errors.add(
                format!("{at}.tool_calls"),
                "Only assistant messages carry tool calls.",
            );
            Vec::new()
        }
    };
    let tool_call_id = optional_text(fields, at, "tool_call_id", errors);
    let content_at = format!("{at}.content");
    let content = match fields.get("content") {
        None | Some(Value::Null) => None,
        Some(content) => parse_content(&content_at, content, role == Some(Role::User), errors),
    };
    let absent = |key: &str| fields.get(key).is_none_or(Value::is_null);
    match role {
        Some(Role::Assistant) if absent("content") && absent("tool_calls") => errors.add(
            content_at,
            "An assistant message needs content or tool calls.",
        ),
        Some(Role::Assistant) => {}
        Some(_) if absent("content") => errors.add(
            content_at,
            "Must be a non-empty string or a list of content parts.",
        ),
        _ => {}
    }
    match (role, &tool_call_id) {
        (Some(Role::Tool), None) => errors.add(
            format!("{at}.tool_call_id"),
            "A tool message names the call it answers.",
        ),
        (Some(role), Some(_)) if role != Role::Tool => errors.add(
            format!("{at}.tool_call_id"),
            "Only tool messages answer a tool call.",
        ),
        _ => {}
    }
    if errors.0.len() != before {
        return None;
    }
    Some(ChatMessage {
        role: role?,
        content,
        name,
        tool_calls,
        tool_call_id,
    })
}

/// A non-blank string or parts; images only where `images` (user messages).
fn parse_content(
    at: &str,
    content: &Value,
    images: bool,
    errors: &mut FieldErrors,
) -> Option<Content> {
    match content {
        Value::String(text) if !text.trim().is_empty() => Some(Content::Text(text.clone())),
        Value::Array(parts) if !parts.is_empty() => {
            let parsed: Vec<ContentPart> = parts
                .iter()
                .enumerate()
                .filter_map(|(j, part)| parse_part(&format!("{at}.{j}"), part, images, errors))
                .collect();
            (parsed.len() == parts.len()).then_some(Content::Parts(parsed))
        }
        _ => {
            errors.add(at, "Must be a non-empty string or a list of content parts.");
            None
        }
    }
}

fn parse_part(
    at: &str,
    part: &Value,
    images: bool,
    errors: &mut FieldErrors,
) -> Option<ContentPart> {
    let kind = part.get("type").and_then(Value::as_str);
    match kind {
        Some("text") => match part.get("text") {
            Some(Value::String(text)) if !text.is_empty() => {
                Some(ContentPart::Text { text: text.clone() })
            }
            _ => {
                errors.add(format!("{at}.text"), "Must be a non-empty string.");
                None
            }
        },
        Some("image_url") if !images => {
            errors.add(at, "Only user messages may carry images.");
            None
        }
        Some("image_url") => parse_image(at, &part["image_url"], errors),
        _ => {
            errors.add(format!("{at}.type"), "Must be \"text\" or \"image_url\".");
            None
        }
    }
}

fn parse_image(at: &str, image: &Value, errors: &mut FieldErrors) -> Option<ContentPart> {
    let url = image.get("url").and_then(Value::as_str).unwrap_or_default();
    let web = url.starts_with("https://") || url.starts_with("http://");
    if !web && !url.starts_with("data:image/") {
        errors.add(
            format!("{at}.image_url.url"),
            "Must be an http(s) URL or a data:image/… URL.",
        );
        return None;
    }
    let detail = match image.get("detail") {
        None | Some(Value::Null) => None,
        Some(Value::String(detail)) if IMAGE_DETAILS.contains(&detail.as_str()) => {
            Some(detail.clone())
        }
        Some(_) => {
            errors.add(
                format!("{at}.image_url.detail"),
                "Must be \"auto\", \"low\" or \"high\".",
            );
            return None;
        }
    };
    Some(ContentPart::ImageUrl {
        image_url: ImageUrl {
            url: url.to_owned(),
            detail,
        },
    })
}

fn parse_tool_calls(at: &str, calls: &Value, errors: &mut FieldErrors) -> Vec<ToolCall> {
    let Value::Array(calls) = calls else {
        errors.add(at, "Must be a list of tool calls.");
        return Vec::new();
    };
    let mut parsed = Vec::with_capacity(calls.len());
    for (k, call) in calls.iter().enumerate() {
        let at = format!("{at}.{k}");
        let id = call
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty());
        let name = call["function"]["name"].as_str();
        let arguments = call["function"]["arguments"].as_str();
        let kind_ok =
            matches!(call.get("type"), None | Some(Value::Null)) || call["type"] == "function";
        match (id, name, arguments, kind_ok) {
            (Some(id), Some(name), Some(arguments), true) if valid_function_name(name) => {
                parsed.push(ToolCall {
                    id: id.to_owned(),
                    kind: ToolKind::Function,
                    function: FunctionCall {
                        name: name.to_owned(),
                        arguments: arguments.to_owned(),
                    },
                });
            }
            _ => errors.add(
                at,
                "Must be {id, type: \"function\", function: {name, arguments}} with string \
                 arguments.",
            ),
        }
    }
    parsed
}

fn optional_text(
    fields: &Map<String, Value>,
    at: &str,
    key: &str,
    errors: &mut FieldErrors,
) -> Option<String> {
    match fields.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if !text.is_empty() => Some(text.clone()),
        Some(_) => {
            errors.add(format!("{at}.{key}"), "Must be a non-empty string.");
            None
        }
    }
}

fn valid_function_name(name: &str) -> bool {
    (1..=MAX_FUNCTION_NAME).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Reads `tools`, `tool_choice` and `parallel_tool_calls` from a request body.
pub fn parse_tools(body: &Map<String, Value>, errors: &mut FieldErrors) -> Tools {
    let mut parsed = Tools::default();
    match body.get("tools") {
        None | Some(Value::Null) => {}
        Some(Value::Array(tools)) if tools.len() <= MAX_TOOLS => {
            for (i, tool) in tools.iter().enumerate() {
                if let Some(tool) = parse_tool(&format!("tools.{i}"), tool, errors) {
                    parsed.tools.push(tool);
                }
            }
        }
        Some(_) => errors.add(
            "tools",
            format!("Must be a list of at most {MAX_TOOLS} function tools."),
        ),
    }
    parsed.choice = match body.get("tool_choice") {
        None | Some(Value::Null) => None,
        Some(Value::String(mode)) if matches!(mode.as_str(), "none" | "auto" | "required") => {
            Some(ToolChoice::Mode(mode.clone()))
        }
        Some(choice) => match serde_json::from_value::<ToolChoice>(choice.clone()) {
            Ok(named @ ToolChoice::Function { .. }) => Some(named),
            _ => {
                errors.add(
                    "tool_choice",
                    "Must be \"none\", \"auto\", \"required\" or {type: \"function\", \
                     function: {name}}.",
                );
                None
            }
        },
    };
    if let Some(ToolChoice::Function { function, .. }) = &parsed.choice
        && !parsed
            .tools
            .iter()
            .any(|t| t.function.name == function.name)
    {
        errors.add("tool_choice", "Names a function that is not in tools.");
    }
    parsed.parallel_calls = match body.get("parallel_tool_calls") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(parallel)) => Some(*parallel),
        Some(_) => {
            errors.add("parallel_tool_calls", "Must be true or false.");
            None
        }
    };
    parsed
}

fn parse_tool(at: &str, tool: &Value, errors: &mut FieldErrors) -> Option<Tool> {
    let parsed = serde_json::from_value::<Tool>(tool.clone());
    match parsed {
        Ok(tool) if !valid_function_name(&tool.function.name) => {
            errors.add(
                format!("{at}.function.name"),
                "Must be 1 to 64 letters, digits, _ or -.",
            );
            None
        }
        Ok(tool) => Some(tool),
        Err(error) => {
            errors.add(
                at,
                format!(
                    "Must be {{type: \"function\", function: {{name, description?, \
                     parameters?, strict?}}}}: {error}."
                ),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn read(messages: Value) -> Result<Vec<ChatMessage>, FieldErrors> {
        let mut errors = FieldErrors::new();
        let parsed = parse_messages(Some(&messages), &mut errors);
        errors.into_result(parsed)
    }

    const ALL: Allowed = Allowed {
        vision: true,
        tools: true,
        system_messages: true,
    };

    #[test]
    fn openai_messages_read_and_write_back_unchanged() {
        let messages = json!([
            {"role": "developer", "content": "Be brief."},
            {"role": "user", "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "low"}}
            ]},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "look", "arguments": "{}"}}
            ]},
            {"role": "tool", "tool_call_id": "call_1", "content": "a cat"}
        ]);
        let parsed = read(messages.clone()).unwrap();
        assert_eq!(parsed.len(), 4);
        assert_eq!(parsed[1].plain_text(), "What is this?");
        assert_eq!(serde_json::to_value(&parsed).unwrap(), messages);
    }

    #[test]
    fn each_wrong_piece_is_named_by_its_place() {
        let errors = read(json!([
            {"role": "boss", "content": "x"},
            {"role": "user", "content": [{"type": "audio"}, {"type": "text", "text": 3}]},
            {"role": "system", "content": [{"type": "image_url", "image_url": {"url": "https://x"}}]},
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "file:///etc/passwd"}}]},
            {"role": "tool", "content": "result"},
            {"role": "assistant"},
            {"role": "user", "content": "hi", "tool_calls": []},
            {"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "bad name", "arguments": "{}"}}]},
            {"role": "user", "content": "   "},
            "text",
            {"role": "user", "content": "x", "logprobs": true, "refusal": null}
        ]))
        .unwrap_err();
        let fields: Vec<&str> = errors.0.keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            [
                "messages.0.role",
                "messages.1.content.0.type",
                "messages.1.content.1.text",
                "messages.10.logprobs",
                "messages.2.content.0",
                "messages.3.content.0.image_url.url",
                "messages.4.tool_call_id",
                "messages.5.content",
                "messages.6.tool_calls",
                "messages.7.tool_calls.0",
                "messages.8.content",
                "messages.9",
            ]
        );
    }

    #[test]
    fn what_the_integration_does_not_allow_names_the_field_and_the_setting() {
        let messages = read(json!([
            {"role": "system", "content": "obey"},
            {"role": "user", "content": [
                {"type": "text", "text": "see"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
            ]},
            {"role": "tool", "tool_call_id": "c", "content": "r"}
        ]))
        .unwrap();
        let mut errors = FieldErrors::new();
        let tools = parse_tools(
            json!({"tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": "auto"})
                .as_object()
                .unwrap(),
            &mut errors,
        );
        assert!(errors.is_empty());
        assert_eq!(check_allowed(&messages, &tools, ALL), Ok(()));
        let none = Allowed {
            vision: false,
            tools: false,
            system_messages: false,
        };
        let refused = check_allowed(&messages, &tools, none).unwrap_err();
        assert!(refused.0["messages.0.role"][0].contains("allow_system_messages"));
        assert!(refused.0["messages.1.content.1"][0].contains("supports_vision"));
        assert!(refused.0["messages.2"][0].contains("supports_tools"));
        assert!(refused.0["tools"][0].contains("supports_tools"));
        assert!(refused.contains("tool_choice"));
        assert!(!refused.contains("parallel_tool_calls"));
    }

    #[test]
    fn tools_are_checked_and_added_after_server_tools() {
        let body = json!({
            "tools": [{"type": "function", "function": {"name": "get_weather",
                       "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}],
            "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
            "parallel_tool_calls": false
        });
        let mut errors = FieldErrors::new();
        let tools = parse_tools(body.as_object().unwrap(), &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        let mut request = json!({"tools": [{"type": "openrouter:web_search"}]});
        let request_fields = request.as_object_mut().unwrap();
        tools.write_into(request_fields);
        assert_eq!(request["tools"][0]["type"], "openrouter:web_search");
        assert_eq!(request["tools"][1], body["tools"][0]);
        assert_eq!(request["tool_choice"], body["tool_choice"]);
        assert_eq!(request["parallel_tool_calls"], false);
    }

    #[test]
    fn malformed_tools_are_field_errors() {
        let body = json!({
            "tools": [{"type": "code_interpreter"}, {"type": "function", "function": {"name": ""}}],
            "tool_choice": {"type": "function", "function": {"name": "missing"}},
            "parallel_tool_calls": "yes"
        });
        let mut errors = FieldErrors::new();
        parse_tools(body.as_object().unwrap(), &mut errors);
        let fields: Vec<&str> = errors.0.keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            [
                "parallel_tool_calls",
                "tool_choice",
                "tools.0",
                "tools.1.function.name"
            ]
        );
        let mut errors = FieldErrors::new();
        let many = json!({"tools": vec![json!({"type": "function", "function": {"name": "f"}}); MAX_TOOLS + 1]});
        parse_tools(many.as_object().unwrap(), &mut errors);
        assert!(errors.contains("tools"));
    }
}
