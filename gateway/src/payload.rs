//! Composing the OpenRouter request body from a version, the chat messages and the caller's
//! options, and checking a version's server-tool settings when it is saved.

use std::collections::BTreeMap;

use gateway_types::{CachingMode, FieldErrors, ServerTools, VersionDraft};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::options::{self, Shape};

/// Keys the gateway sets itself; neither version defaults nor callers can override them.
const OWNED_KEYS: &[&str] = &[
    "models",
    "messages",
    "provider",
    "usage",
    "model",
    "timeout",
    "stream",
    "stream_options",
    "tools",
];

const WEB_SEARCH_ENGINES: &[&str] = &[
    "auto",
    "native",
    "exa",
    "firecrawl",
    "parallel",
    "perplexity",
];
const WEB_FETCH_ENGINES: &[&str] = &[
    "auto",
    "native",
    "exa",
    "openrouter",
    "firecrawl",
    "parallel",
];
const SEARCH_CONTEXT_SIZES: &[&str] = &["low", "medium", "high"];
/// Vendors whose models search natively (OpenRouter's `native` web-search engine).
const NATIVE_SEARCH_VENDORS: &[&str] = &["openai", "anthropic", "google", "perplexity", "x-ai"];

/// Everything one request body is made from.
#[derive(Debug, Clone)]
pub struct PayloadInput<'a> {
    pub version: &'a VersionDraft,
    /// The chat messages, already composed (system prompt, history, user turn).
    pub messages: Vec<Value>,
    pub caller_options: &'a Map<String, Value>,
    /// How the primary model takes prompt caching.
    pub primary_caching: CachingMode,
    /// The deployment's cap on `max_tokens` / `max_completion_tokens`.
    pub max_tokens_ceiling: u32,
    pub stream: bool,
}

/// The OpenRouter `chat/completions` body for `input`, or the caller's options that are wrong.
pub fn compose(input: &PayloadInput<'_>) -> Result<Value, FieldErrors> {
    let version = input.version;
    let ceiling = input.max_tokens_ceiling.max(1);
    let mut errors = FieldErrors::new();
    if version.models.is_empty() {
        errors.add("models", "The integration has no configured models.");
    }
    let mut body = Map::new();
    for (key, value) in &version.default_params {
        if OWNED_KEYS.contains(&key.as_str()) {
            continue;
        }
        match default_param(key, value, ceiling) {
            Ok(Some(value)) => {
                body.insert(key.clone(), value);
            }
            Ok(None) => {}
            // Defaults are checked when a version is saved; one saved before a rule existed must
            // not break every call, so it is left out.
            Err(problem) => {
                tracing::warn!(param = %key, problem, "left out an invalid default parameter")
            }
        }
    }
    for (key, value) in input.caller_options {
        let field = format!("options.{key}");
        match caller_option(key, value, ceiling) {
            Ok(Some(value)) => {
                body.insert(key.clone(), value);
            }
            Ok(None) => {}
            Err(problem) => errors.add(field, problem),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let mut messages = input.messages.clone();
    if input.primary_caching == CachingMode::Explicit && version.cacheable {
        mark_cacheable(&mut messages);
    }
    let tools = server_tools(&version.server_tools);
    let mut provider = json!({"data_collection": "deny", "allow_fallbacks": true});
    if tools.is_empty() {
        // Server-tool requests are left to OpenRouter's routing, which knows the endpoints that
        // can run its own tools; `require_parameters` would filter on `tools` as a user parameter.
        provider["require_parameters"] = Value::Bool(true);
    } else {
        body.insert("tools".into(), Value::Array(tools));
    }
    body.insert("models".into(), json!(version.models));
    body.insert("messages".into(), Value::Array(messages));
    body.insert("provider".into(), provider);
    body.insert("usage".into(), json!({"include": true}));
    if input.stream {
        body.insert("stream".into(), Value::Bool(true));
        body.insert("stream_options".into(), json!({"include_usage": true}));
    }
    Ok(Value::Object(body))
}

/// A caller's option as sent, `None` when it is unset, or why it is refused: every option is
/// acted on or refused, none is dropped.
fn caller_option(key: &str, value: &Value, ceiling: u32) -> Result<Option<Value>, String> {
    if key == "stream" {
        return Err("Not an option: set `stream` at the top of the body.".to_owned());
    }
    if OWNED_KEYS.contains(&key) {
        return Err("The gateway sets this itself; it cannot be an option.".to_owned());
    }
    match options::find(key) {
        Some(param) if param.caller => param.check(value, Some(ceiling)),
        Some(_) => Err("Only the integration's default parameters set this.".to_owned()),
        None => Err(options::UNKNOWN_FIELD.to_owned()),
    }
}

/// A version's default parameter as sent: a known one by its definition, capped by today's
/// ceiling (which may have been lowered since the version was saved); another one of OpenRouter's
/// many parameters passed on with its JSON type.
fn default_param(key: &str, value: &Value, ceiling: u32) -> Result<Option<Value>, String> {
    let Some(param) = options::find(key) else {
        return Ok(options::typed(None, value));
    };
    let checked = param.check(value, None)?;
    Ok(match (param.shape, checked) {
        (Shape::TokenLimit, Some(tokens)) => tokens
            .as_u64()
            .map(|tokens| Value::from(tokens.min(u64::from(ceiling)))),
        (_, checked) => checked,
    })
}

/// Checks a version's default parameters against the definitions callers' options follow, keyed
/// `default_params.<name>` as the console names its inputs.
pub fn check_defaults(params: &BTreeMap<String, Value>) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    for (key, value) in params {
        let field = format!("default_params.{key}");
        if key.trim().is_empty() {
            errors.add("default_params", "A parameter name may not be blank.");
        } else if value.is_null() {
            errors.add(field, "Remove the parameter instead of leaving it empty.");
        } else if OWNED_KEYS.contains(&key.as_str()) {
            errors.add(field, "The gateway sets this itself; remove it.");
        } else if let Some(param) = options::find(key)
            && let Err(problem) = param.check(value, None)
        {
            errors.add(field, problem);
        }
    }
    errors.into_result(())
}

/// Marks the prompt prefix for explicit provider caching: the first system message, or the
/// first user message when there is no system message, if its content is still plain text.
fn mark_cacheable(messages: &mut [Value]) {
    let with_role = |role: &str| messages.iter().position(|message| message["role"] == role);
    let Some(index) = with_role("system").or_else(|| with_role("user")) else {
        return;
    };
    let message = &mut messages[index];
    if let Some(text) = message["content"].as_str() {
        message["content"] = json!([{
            "type": "text",
            "text": text,
            "cache_control": {"type": "ephemeral"}
        }]);
    }
}

/// The `tools` entries of the enabled server tools: web search first, then web fetch.
fn server_tools(tools: &ServerTools) -> Vec<Value> {
    let search = tools
        .web_search
        .as_ref()
        .map(|search| tool_entry("openrouter:web_search", search));
    let fetch = tools
        .web_fetch
        .as_ref()
        .map(|fetch| tool_entry("openrouter:web_fetch", fetch));
    search.into_iter().chain(fetch).collect()
}

/// `{"type": kind}` plus the parameters that are set, if any.
fn tool_entry(kind: &str, parameters: &impl Serialize) -> Value {
    let mut entry = json!({ "type": kind });
    // The tool types serialize only their set fields, so an empty object means all defaults.
    if let Ok(Value::Object(parameters)) = serde_json::to_value(parameters)
        && !parameters.is_empty()
    {
        entry["parameters"] = Value::Object(parameters);
    }
    entry
}

/// Checks a version's server-tool settings against OpenRouter's documented limits before it is
/// saved; `models` are the version's models, which a `native` search engine must all support.
pub fn check_server_tools(models: &[String], tools: &ServerTools) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    if let Some(search) = &tools.web_search {
        let field = |name: &str| format!("server_tools.web_search.{name}");
        check_engine(
            &mut errors,
            &field("engine"),
            search.engine.as_deref(),
            WEB_SEARCH_ENGINES,
        );
        if search.engine.as_deref() == Some("native")
            && let Some(model) = models.iter().find(|model| !searches_natively(model))
        {
            errors.add(
                field("engine"),
                format!(
                    "Native search needs OpenAI, Anthropic, Google, Perplexity or xAI models; \
                     {model} is not one. Use auto instead."
                ),
            );
        }
        if search.max_results.is_some_and(|n| !(1..=25).contains(&n)) {
            errors.add(field("max_results"), "Must be between 1 and 25.");
        }
        check_at_least_one(
            &mut errors,
            &field("max_total_results"),
            search.max_total_results,
        );
        if let Some(size) = &search.search_context_size
            && !SEARCH_CONTEXT_SIZES.contains(&size.as_str())
        {
            errors.add(field("search_context_size"), "Must be low, medium or high.");
        }
        check_domains(
            &mut errors,
            &field("allowed_domains"),
            &search.allowed_domains,
        );
        check_domains(
            &mut errors,
            &field("excluded_domains"),
            &search.excluded_domains,
        );
    }
    if let Some(fetch) = &tools.web_fetch {
        let field = |name: &str| format!("server_tools.web_fetch.{name}");
        check_engine(
            &mut errors,
            &field("engine"),
            fetch.engine.as_deref(),
            WEB_FETCH_ENGINES,
        );
        check_at_least_one(&mut errors, &field("max_uses"), fetch.max_uses);
        check_at_least_one(
            &mut errors,
            &field("max_content_tokens"),
            fetch.max_content_tokens,
        );
        check_domains(
            &mut errors,
            &field("allowed_domains"),
            &fetch.allowed_domains,
        );
        check_domains(
            &mut errors,
            &field("blocked_domains"),
            &fetch.blocked_domains,
        );
    }
    errors.into_result(())
}

fn check_engine(errors: &mut FieldErrors, field: &str, engine: Option<&str>, known: &[&str]) {
    if let Some(engine) = engine
        && !known.contains(&engine)
    {
        errors.add(field, format!("Must be one of: {}.", known.join(", ")));
    }
}

fn check_at_least_one(errors: &mut FieldErrors, field: &str, value: Option<u32>) {
    if value == Some(0) {
        errors.add(field, "Must be at least 1.");
    }
}

fn check_domains(errors: &mut FieldErrors, field: &str, domains: &[String]) {
    if domains.iter().any(|domain| domain.trim().is_empty()) {
        errors.add(field, "Domains cannot be blank.");
    }
}

/// Whether a model id (`vendor/model`, maybe `~`-aliased) belongs to a natively searching vendor.
fn searches_natively(model: &str) -> bool {
    let vendor = model
        .trim_start_matches('~')
        .split('/')
        .next()
        .unwrap_or_default();
    NATIVE_SEARCH_VENDORS.contains(&vendor)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use gateway_types::{WebFetchTool, WebSearchTool};

    use super::*;

    fn version(models: &[&str]) -> VersionDraft {
        VersionDraft {
            models: models.iter().map(|model| (*model).to_owned()).collect(),
            ..VersionDraft::default()
        }
    }

    fn with_defaults(defaults: Value) -> VersionDraft {
        let defaults: BTreeMap<String, Value> = serde_json::from_value(defaults).unwrap();
        VersionDraft {
            default_params: defaults,
            ..version(&["openai/gpt-4o-mini"])
        }
    }

    fn options(options: Value) -> Map<String, Value> {
        options.as_object().unwrap().clone()
    }

    fn user(text: &str) -> Value {
        json!({"role": "user", "content": text})
    }

    fn input<'a>(version: &'a VersionDraft, caller: &'a Map<String, Value>) -> PayloadInput<'a> {
        PayloadInput {
            version,
            messages: vec![user("Hi")],
            caller_options: caller,
            primary_caching: CachingMode::Automatic,
            max_tokens_ceiling: 8192,
            stream: false,
        }
    }

    fn compose_with(version: &VersionDraft, caller: Value) -> Result<Value, FieldErrors> {
        let caller = options(caller);
        compose(&input(version, &caller))
    }

    #[test]
    fn string_params_are_sent_with_their_json_types() {
        let version = with_defaults(json!({
            "max_tokens": "1024", "temperature": "0.7", "logprobs": "true",
            "parallel_tool_calls": "false", "plugins": "[{\"id\": \"web\"}]",
            "response_format": " {\"type\": \"json_object\"}", "verbosity": "low",
            "transforms": "[not json", "stop": "42", "user": null, "top_p": ""
        }));
        let body = compose_with(&version, json!({})).unwrap();
        assert_eq!(body["max_tokens"], json!(1024));
        assert!(body["max_tokens"].is_u64());
        assert_eq!(body["temperature"], json!(0.7));
        assert_eq!(body["logprobs"], json!(true));
        assert_eq!(body["parallel_tool_calls"], json!(false));
        assert_eq!(body["plugins"], json!([{"id": "web"}]));
        assert_eq!(body["response_format"], json!({"type": "json_object"}));
        assert_eq!(body["verbosity"], json!("low"));
        assert_eq!(body["transforms"], json!("[not json"));
        assert_eq!(body["stop"], json!("42"));
        assert!(body.get("user").is_none());
        assert!(body.get("top_p").is_none());
    }

    #[test]
    fn caller_options_are_typed_too_and_win_over_defaults() {
        let version = with_defaults(json!({"temperature": 0.2, "seed": 1, "top_p": 0.5}));
        let body = compose_with(
            &version,
            json!({"temperature": "0.9", "seed": 7, "stop": ["\n"], "top_p": null,
                   "reasoning": "{\"effort\": \"low\"}"}),
        )
        .unwrap();
        assert_eq!(body["temperature"], json!(0.9));
        assert_eq!(body["seed"], json!(7));
        assert_eq!(body["stop"], json!(["\n"]));
        // A null option means "no override", not "remove the integration's default".
        assert_eq!(body["top_p"], json!(0.5));
        assert_eq!(body["reasoning"], json!({"effort": "low"}));
    }

    #[test]
    fn owned_keys_are_removed_from_defaults_and_caller_options() {
        let version = with_defaults(json!({
            "model": "evil/model", "models": ["evil/model"], "provider": {"order": ["x"]},
            "usage": false, "timeout": "5", "stream": true, "stream_options": {}, "tools": [],
            "messages": []
        }));
        let body = compose_with(&version, json!({})).unwrap();
        assert_eq!(body["models"], json!(["openai/gpt-4o-mini"]));
        assert!(body.get("model").is_none());
        assert!(body.get("timeout").is_none());
        assert!(body.get("stream").is_none());
        assert!(body.get("stream_options").is_none());
        assert!(body.get("tools").is_none());
        assert_eq!(body["usage"], json!({"include": true}));
        assert_eq!(body["messages"], json!([user("Hi")]));
        assert_eq!(body["provider"]["data_collection"], "deny");
        // A caller's attempt is refused, not dropped.
        let errors = compose_with(
            &version,
            json!({"model": "evil/model", "stream": true, "tools": [{"type": "function"}],
                   "provider": {"sort": "price"}}),
        )
        .unwrap_err();
        let fields: Vec<&str> = errors.0.keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            [
                "options.model",
                "options.provider",
                "options.stream",
                "options.tools"
            ]
        );
        assert!(errors.0["options.stream"][0].contains("top of the body"));
    }

    #[test]
    fn options_outside_the_allow_list_are_field_errors() {
        let version = version(&["openai/gpt-4o-mini"]);
        let errors = compose_with(
            &version,
            json!({"plugins": [], "logit_bias": {}, "seed": 3}),
        )
        .unwrap_err();
        assert_eq!(errors.0["options.plugins"], [options::UNKNOWN_FIELD]);
        assert!(errors.contains("options.logit_bias"));
        let errors = compose_with(&version, json!({"min_p": 0.1})).unwrap_err();
        assert_eq!(
            errors.0["options.min_p"],
            ["Only the integration's default parameters set this."]
        );
        assert!(!errors.contains("options.seed"));
    }

    #[test]
    fn non_numeric_caller_values_for_numeric_options_are_field_errors() {
        let version = version(&["openai/gpt-4o-mini"]);
        let errors =
            compose_with(&version, json!({"temperature": "warm", "top_k": true})).unwrap_err();
        assert_eq!(errors.0["options.temperature"], ["Must be a number."]);
        assert_eq!(errors.0["options.top_k"], ["Must be a whole number."]);
    }

    #[test]
    fn invalid_defaults_are_left_out_rather_than_failing_the_call() {
        let version = with_defaults(json!({"temperature": "warm", "max_tokens": "0"}));
        let body = compose_with(&version, json!({})).unwrap();
        assert!(body.get("temperature").is_none());
        assert!(body.get("max_tokens").is_none());
    }

    #[test]
    fn the_token_ceiling_caps_defaults_and_refuses_larger_caller_values() {
        let version = with_defaults(json!({"max_tokens": "20000", "max_completion_tokens": 9000}));
        let caller = options(json!({}));
        let mut request = input(&version, &caller);
        request.max_tokens_ceiling = 4096;
        let body = compose(&request).unwrap();
        assert_eq!(body["max_tokens"], json!(4096));
        assert_eq!(body["max_completion_tokens"], json!(4096));

        let with_caller = |caller: &Map<String, Value>| {
            compose(&PayloadInput {
                caller_options: caller,
                ..request.clone()
            })
        };
        let errors = with_caller(&options(json!({"max_tokens": 100_000}))).unwrap_err();
        assert_eq!(
            errors.0["options.max_tokens"],
            ["Must be at most 4096 (this deployment's ceiling)."]
        );
        // A fraction is refused, never cut to a whole number.
        assert!(with_caller(&options(json!({"max_tokens": "256.9"}))).is_err());
        let body = with_caller(&options(json!({"max_tokens": "256"}))).unwrap();
        assert_eq!(body["max_tokens"], json!(256));
    }

    #[test]
    fn token_limits_below_one_are_field_errors() {
        let version = version(&["openai/gpt-4o-mini"]);
        let errors = compose_with(&version, json!({"max_tokens": 0})).unwrap_err();
        assert_eq!(errors.0["options.max_tokens"], ["Must be at least 1."]);
        assert!(compose_with(&version, json!({"max_tokens": -5})).is_err());
    }

    #[test]
    fn default_params_are_checked_by_the_caller_options_definitions() {
        let defaults: BTreeMap<String, Value> = serde_json::from_value(json!({
            "temperature": "abc", "max_tokens": -5, "stream": true, "top_logprobs": 30,
            "verbosity": "low", "seed": "42", "max_completion_tokens": 100_000
        }))
        .unwrap();
        let errors = check_defaults(&defaults).unwrap_err();
        let fields: Vec<&str> = errors.0.keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            [
                "default_params.max_tokens",
                "default_params.stream",
                "default_params.temperature",
                "default_params.top_logprobs"
            ]
        );
        assert_eq!(
            errors.0["default_params.temperature"],
            ["Must be a number."]
        );
    }

    #[test]
    fn a_version_without_models_is_a_field_error() {
        let errors = compose_with(&version(&[]), json!({})).unwrap_err();
        assert_eq!(
            errors.0["models"],
            ["The integration has no configured models."]
        );
    }

    #[test]
    fn the_prompt_is_marked_for_caching_only_for_explicit_caching_models() {
        let mut version = version(&["anthropic/claude-haiku-4.5"]);
        version.cacheable = true;
        let caller = Map::new();
        let system = json!({"role": "system", "content": "You are terse."});
        let mut request = input(&version, &caller);
        request.messages = vec![
            system.clone(),
            user("Hi"),
            json!({"role": "system", "content": "x"}),
        ];

        for caching in [CachingMode::Automatic, CachingMode::Unsupported] {
            let body = compose(&PayloadInput {
                primary_caching: caching,
                ..request.clone()
            })
            .unwrap();
            assert_eq!(body["messages"][0], system);
        }

        request.primary_caching = CachingMode::Explicit;
        let body = compose(&request).unwrap();
        assert_eq!(
            body["messages"][0]["content"],
            json!([{"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}])
        );
        assert_eq!(body["messages"][1], user("Hi"));
        assert_eq!(body["messages"][2]["content"], "x");

        let mut not_cacheable = version.clone();
        not_cacheable.cacheable = false;
        let body = compose(&PayloadInput {
            version: &not_cacheable,
            ..request.clone()
        })
        .unwrap();
        assert_eq!(body["messages"][0], system);
    }

    #[test]
    fn without_a_system_message_the_first_user_message_is_marked() {
        let mut version = version(&["anthropic/claude-haiku-4.5"]);
        version.cacheable = true;
        let caller = Map::new();
        let mut request = input(&version, &caller);
        request.primary_caching = CachingMode::Explicit;
        request.messages = vec![user("first"), user("second")];
        let body = compose(&request).unwrap();
        assert_eq!(body["messages"][0]["content"][0]["text"], "first");
        assert_eq!(
            body["messages"][0]["content"][0]["cache_control"]["type"],
            "ephemeral"
        );
        assert_eq!(body["messages"][1], user("second"));

        let blocks = json!({"role": "user", "content": [{"type": "text", "text": "b"}]});
        request.messages = vec![blocks.clone()];
        assert_eq!(compose(&request).unwrap()["messages"][0], blocks);
    }

    #[test]
    fn server_tools_are_sent_in_order_with_set_parameters_and_fallbacks_kept() {
        let mut version = version(&["openai/gpt-4o-mini", "anthropic/claude-haiku-4.5"]);
        version.server_tools = ServerTools {
            web_search: Some(WebSearchTool {
                engine: Some("exa".into()),
                max_results: Some(3),
                allowed_domains: vec!["example.com".into()],
                ..WebSearchTool::default()
            }),
            web_fetch: Some(WebFetchTool::default()),
        };
        let body = compose_with(&version, json!({})).unwrap();
        assert_eq!(
            body["tools"],
            json!([
                {"type": "openrouter:web_search",
                 "parameters": {"engine": "exa", "max_results": 3, "allowed_domains": ["example.com"]}},
                {"type": "openrouter:web_fetch"}
            ])
        );
        assert_eq!(
            body["models"],
            json!(["openai/gpt-4o-mini", "anthropic/claude-haiku-4.5"])
        );
        assert!(body.get("model").is_none());
        assert_eq!(
            body["provider"],
            json!({"data_collection": "deny", "allow_fallbacks": true})
        );
    }

    #[test]
    fn without_server_tools_the_provider_must_support_every_parameter() {
        let body = compose_with(&version(&["openai/gpt-4o-mini"]), json!({})).unwrap();
        assert_eq!(
            body["provider"],
            json!({"data_collection": "deny", "allow_fallbacks": true, "require_parameters": true})
        );
        assert_eq!(body["models"], json!(["openai/gpt-4o-mini"]));
    }

    #[test]
    fn streaming_requests_ask_for_a_stream_with_usage() {
        let version = version(&["openai/gpt-4o-mini"]);
        let caller = Map::new();
        let body = compose(&PayloadInput {
            stream: true,
            ..input(&version, &caller)
        })
        .unwrap();
        assert_eq!(body["stream"], json!(true));
        assert_eq!(body["stream_options"], json!({"include_usage": true}));
    }

    #[test]
    fn valid_server_tools_pass_the_save_time_check() {
        let tools = ServerTools {
            web_search: Some(WebSearchTool {
                engine: Some("native".into()),
                max_results: Some(25),
                max_total_results: Some(40),
                search_context_size: Some("high".into()),
                allowed_domains: vec!["example.com".into()],
                excluded_domains: vec!["spam.example".into()],
            }),
            web_fetch: Some(WebFetchTool {
                engine: Some("openrouter".into()),
                max_uses: Some(1),
                max_content_tokens: Some(5000),
                ..WebFetchTool::default()
            }),
        };
        let models = [
            "openai/gpt-4o-mini".to_owned(),
            "~anthropic/claude-haiku-latest".to_owned(),
        ];
        assert_eq!(check_server_tools(&models, &tools), Ok(()));
        assert_eq!(check_server_tools(&[], &ServerTools::default()), Ok(()));
    }

    #[test]
    fn out_of_range_server_tool_settings_are_field_errors() {
        let tools = ServerTools {
            web_search: Some(WebSearchTool {
                engine: Some("bing".into()),
                max_results: Some(26),
                max_total_results: Some(0),
                search_context_size: Some("huge".into()),
                allowed_domains: vec![" ".into()],
                excluded_domains: vec![String::new()],
            }),
            web_fetch: Some(WebFetchTool {
                engine: Some("perplexity".into()),
                max_uses: Some(0),
                max_content_tokens: Some(0),
                allowed_domains: vec![],
                blocked_domains: vec!["".into()],
            }),
        };
        let errors = check_server_tools(&["openai/gpt-4o-mini".into()], &tools).unwrap_err();
        let fields: Vec<&str> = errors.0.keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            [
                "server_tools.web_fetch.blocked_domains",
                "server_tools.web_fetch.engine",
                "server_tools.web_fetch.max_content_tokens",
                "server_tools.web_fetch.max_uses",
                "server_tools.web_search.allowed_domains",
                "server_tools.web_search.engine",
                "server_tools.web_search.excluded_domains",
                "server_tools.web_search.max_results",
                "server_tools.web_search.max_total_results",
                "server_tools.web_search.search_context_size",
            ]
        );
        assert_eq!(
            errors.0["server_tools.web_search.max_results"],
            ["Must be between 1 and 25."]
        );
        let zero = ServerTools {
            web_search: Some(WebSearchTool {
                max_results: Some(0),
                ..WebSearchTool::default()
            }),
            web_fetch: None,
        };
        assert!(check_server_tools(&[], &zero).is_err());
    }

    #[test]
    fn native_search_is_refused_when_a_model_cannot_search_natively() {
        let tools = ServerTools {
            web_search: Some(WebSearchTool {
                engine: Some("native".into()),
                ..WebSearchTool::default()
            }),
            web_fetch: None,
        };
        let models = [
            "openai/gpt-4o-mini".to_owned(),
            "meta-llama/llama-3.3-70b-instruct".to_owned(),
        ];
        let errors = check_server_tools(&models, &tools).unwrap_err();
        let messages = &errors.0["server_tools.web_search.engine"];
        assert!(
            messages[0].contains("meta-llama/llama-3.3-70b-instruct"),
            "{messages:?}"
        );
    }
}
