//! The OpenAPI 3.1 document of the public API, built from the configuration snapshot: per
//! API-visible integration its native endpoints with a request body typed from its prompt
//! variables, the caller options, its models and caching mode; the OpenAI-compatible endpoints;
//! the response shapes of `wire`; and the bearer-token security scheme.

use gateway_types::{PromptVariable, VariableType};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem, PathsBuilder};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, Ref, Schema,
    SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::server::Server;
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, RefOr, Required,
    ResponseBuilder, ResponsesBuilder,
};

mod messages;

use crate::catalog::{self, CatalogSnapshot};
use crate::options;
use crate::snapshot::{LiveIntegration, Snapshot};
use crate::tokens::INVOKE_ABILITY;

/// The native API's routes, relative to the prefix, with their summaries; the router registers
/// exactly these, so a route cannot be served without being described.
pub const NATIVE_ROUTES: [(&str, &str); 3] = [
    (CHAT_ROUTE, "Call the integration once"),
    ("/{slug}/start", "Start a conversation"),
    (CONVERSE_ROUTE, "One turn of a conversation"),
];
const CHAT_ROUTE: &str = "/{slug}/chat";
const CONVERSE_ROUTE: &str = "/{slug}/converse";

/// The OpenAI-compatible routes (absolute paths), registered by the router from this table too.
pub const OPENAI_CHAT_ROUTE: &str = "/v1/chat/completions";
pub const OPENAI_MODELS_ROUTE: &str = "/v1/models";

const OPENAI_TAG: &str = "OpenAI-compatible";

/// A string with something other than white space in it.
const NOT_BLANK: &str = "\\S";

/// Where the document places the API.
#[derive(Debug, Clone, Copy)]
pub struct Mount<'a> {
    /// The native API's prefix, e.g. `/api/ai`.
    pub prefix: &'a str,
    /// The deployment's public address, listed as the server when known.
    pub public_url: Option<&'a str>,
    /// The deployment's cap on `max_tokens`, stated as the option's maximum.
    pub max_tokens_ceiling: u32,
}

/// The document as the snapshot describes the API right now.
pub fn document(snapshot: &Snapshot, catalog: &CatalogSnapshot, mount: Mount<'_>) -> OpenApi {
    let callable = snapshot.api_integrations();
    let mut paths = PathsBuilder::new();
    let mut tags = Vec::with_capacity(callable.len() + 1);
    for live in &callable {
        let fields = &live.integration.fields;
        tags.push(
            TagBuilder::new()
                .name(&fields.slug)
                .description(Some(fields.name.clone()))
                .build(),
        );
        for (route, summary) in NATIVE_ROUTES {
            if route != CHAT_ROUTE && !fields.conversational {
                continue;
            }
            let path = format!("{}{}", mount.prefix, route.replace("{slug}", &fields.slug));
            paths = paths.path(
                path,
                PathItem::new(
                    HttpMethod::Post,
                    native_operation(live, catalog, route, summary, mount.max_tokens_ceiling),
                ),
            );
        }
    }
    tags.push(
        TagBuilder::new()
            .name(OPENAI_TAG)
            .description(Some(
                "The integrations as models, for the OpenAI SDKs (pass the variables as `args`)."
                    .to_owned(),
            ))
            .build(),
    );
    let slugs: Vec<&str> = callable
        .iter()
        .map(|live| live.integration.fields.slug.as_str())
        .collect();
    paths = paths
        .path(
            OPENAI_CHAT_ROUTE,
            PathItem::new(
                HttpMethod::Post,
                openai_chat_operation(&slugs, mount.max_tokens_ceiling),
            ),
        )
        .path(
            OPENAI_MODELS_ROUTE,
            PathItem::new(HttpMethod::Get, openai_models_operation()),
        );

    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("AI Gateway API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(format!(
                    "Named AI integrations, invoked by slug. Authenticate with \
                     `Authorization: Bearer <id>|<secret>`, a token with the `{INVOKE_ABILITY}` \
                     ability. Each integration's request body is shaped from its prompt's variables."
                )))
                .build(),
        )
        .servers(
            mount
                .public_url
                .map(|url| [Server::new(url.trim_end_matches('/'))]),
        )
        .tags(Some(tags))
        .paths(paths.build())
        .components(Some(
            ComponentsBuilder::new()
                .schema("AiResult", ai_result_schema())
                .schema("Error", error_schema())
                .schema("ValidationError", validation_error_schema())
                .security_scheme(
                    "bearer",
                    SecurityScheme::Http(
                        HttpBuilder::new()
                            .scheme(HttpAuthScheme::Bearer)
                            .description(Some(format!(
                                "An API token (`<id>|<secret>`) with the `{INVOKE_ABILITY}` ability."
                            )))
                            .build(),
                    ),
                )
                .build(),
        ))
        .security(Some([SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]))
        .build()
}

fn native_operation(
    live: &LiveIntegration,
    catalog: &CatalogSnapshot,
    route: &str,
    summary: &str,
    ceiling: u32,
) -> utoipa::openapi::path::Operation {
    let slug = &live.integration.fields.slug;
    let action = route.trim_start_matches("/{slug}/");
    let mut operation = OperationBuilder::new()
        .operation_id(Some(format!("{action}_{slug}")))
        .tag(slug.clone())
        .summary(Some(format!("{}: {summary}", live.integration.fields.name)))
        .description(Some(describe(live, catalog)));
    operation = if route == CHAT_ROUTE || route == CONVERSE_ROUTE {
        operation
            .request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(Required::True))
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(native_body(live, route, ceiling)))
                            .build(),
                    )
                    .build(),
            ))
            .responses(error_responses(
                ResponsesBuilder::new().response(
                    "200",
                    json_response(
                        "The answer as `{data, meta}`; with `\"stream\": true`, Server-Sent Events: \
                         `delta` events with the text as it arrives, then one `done` event with the \
                         same envelope (usage, billed cost, model used, invocation id) or one \
                         `error` event.",
                        envelope_schema(Ref::from_schema_name("AiResult")),
                    ),
                ),
            ))
    } else {
        let started = object()
            .property(
                "conversation_id",
                typed(Type::String, "The new thread's id."),
            )
            .property(
                "expires_at",
                nullable(
                    Type::String,
                    "When the thread expires, RFC 3339 in UTC (`2026-12-06T23:00:00Z`).",
                )
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
            )
            .property(
                "expires_at_ms",
                nullable(
                    Type::Integer,
                    "When the thread expires (Unix milliseconds).",
                ),
            )
            .required("conversation_id");
        operation.responses(error_responses(ResponsesBuilder::new().response(
            "201",
            json_response("The thread was opened.", envelope_schema(started)),
        )))
    };
    operation.build()
}

/// The description an integration's operations carry: its own text, its models and caching.
fn describe(live: &LiveIntegration, catalog: &CatalogSnapshot) -> String {
    let draft = &live.version.draft;
    let mut lines = Vec::new();
    if let Some(text) = live.integration.fields.description.as_deref()
        && !text.trim().is_empty()
    {
        lines.push(text.trim().to_owned());
    }
    if let Some(primary) = draft.models.first() {
        let models: Vec<String> = draft.models.iter().map(|m| format!("`{m}`")).collect();
        lines.push(format!(
            "**Models:** {} (the first is primary, the rest are fallbacks in order).",
            models.join(", ")
        ));
        let caching = match catalog::caching_mode(primary) {
            gateway_types::CachingMode::Explicit => "explicit",
            gateway_types::CachingMode::Automatic => "automatic",
            gateway_types::CachingMode::Unsupported => "unsupported",
        };
        lines.push(format!("**Prompt caching:** {caching}."));
        if let Some(model) = catalog.find(primary)
            && !model.supported_parameters.is_empty()
        {
            lines.push(format!(
                "**Model parameters** (set per integration; callers may override the `options` \
                 listed in the body): {}.",
                model.supported_parameters.join(", ")
            ));
        }
    }
    lines.join("\n\n")
}

fn native_body(live: &LiveIntegration, route: &str, ceiling: u32) -> Schema {
    // Unknown fields are refused, never dropped.
    let mut body = object()
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .property("args", args_schema(&live.version.draft.variables))
        .property("options", options_schema(ceiling))
        .property(
            "stream",
            typed(Type::Boolean, "Answer as Server-Sent Events."),
        );
    if route == CONVERSE_ROUTE {
        body = body
            .property(
                "conversation_id",
                nullable(Type::String, "Omit to start a new thread."),
            )
            .property(
                "message",
                typed(Type::String, "The user's next turn (not blank).")
                    .min_length(Some(1))
                    .pattern(Some(NOT_BLANK)),
            )
            .required("message");
    } else {
        body = messages::with_tools(body).property(
            "messages",
            ArrayBuilder::new()
                .items(messages::message())
                .description(Some(
                    "Conversation turns layered after the rendered prompt.",
                )),
        );
    }
    if live
        .version
        .draft
        .variables
        .iter()
        .any(|v| v.required && v.default.is_none())
    {
        body = body.required("args");
    }
    Schema::Object(body.build())
}

fn args_schema(variables: &[PromptVariable]) -> ObjectBuilder {
    let mut args = object().description(Some("The prompt's variables."));
    for variable in variables {
        args = args.property(&variable.name, variable_schema(variable));
        if variable.required && variable.default.is_none() {
            args = args.required(&variable.name);
        }
    }
    args
}

fn variable_schema(variable: &PromptVariable) -> ObjectBuilder {
    let kind = match variable.kind {
        VariableType::String | VariableType::Json => Type::String,
        VariableType::Number => Type::Number,
        VariableType::Boolean => Type::Boolean,
        VariableType::Array => Type::Array,
        VariableType::Object => Type::Object,
    };
    let description = match (variable.kind, variable.description.as_deref()) {
        (VariableType::Json, Some(text)) => Some(format!("{text} (a JSON text)")),
        (VariableType::Json, None) => Some("A JSON text.".to_owned()),
        (_, text) => text.map(str::to_owned),
    };
    ObjectBuilder::new()
        .schema_type(kind)
        .description(description)
        .default(variable.default.clone())
}

/// The per-call overrides a caller may send, from the definitions their checks use; anything
/// else is refused with a field error.
fn options_schema(ceiling: u32) -> ObjectBuilder {
    let mut options = object()
        .description(Some(
            "Per-call generation overrides (allow-listed; other keys are refused). Numeric \
             options also take their number as text (`\"1024\"`).",
        ))
        .additional_properties(Some(AdditionalProperties::FreeForm(false)));
    for param in options::caller_params() {
        options = options.property(param.name, param.schema(Some(ceiling)));
    }
    options
}

fn openai_chat_operation(slugs: &[&str], ceiling: u32) -> utoipa::openapi::path::Operation {
    let mut body = object()
        .property(
            "model",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("The integration's slug."))
                .enum_values((!slugs.is_empty()).then(|| slugs.iter().copied())),
        )
        .property("messages", ArrayBuilder::new().items(messages::message()))
        .property(
            "args",
            object().description(Some(
                "The integration's prompt variables (the SDKs send it as an extra body field).",
            )),
        )
        .property("stream", ObjectBuilder::new().schema_type(Type::Boolean))
        .property(
            "stream_options",
            object().property(
                "include_usage",
                typed(Type::Boolean, "End the stream with a usage chunk."),
            ),
        )
        .property(
            "n",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .enum_values(Some([1])),
        )
        .property(
            "user",
            typed(Type::String, "Accepted for OpenAI clients; not used."),
        )
        .property(
            "metadata",
            object()
                .description(Some(
                    "Accepted for OpenAI clients (at most 16 string pairs); not used.",
                ))
                .additional_properties(Some(ObjectBuilder::new().schema_type(Type::String))),
        )
        .required("model");
    // OpenAI's sampling fields sit at the top level, checked by the native options' definitions;
    // `max_completion_tokens` is OpenAI's newer name for `max_tokens`.
    for param in options::caller_params() {
        body = body.property(param.name, param.schema(Some(ceiling)));
        if param.name == "max_tokens" {
            body = body.property("max_completion_tokens", param.schema(Some(ceiling)));
        }
    }
    let body = messages::with_tools(body);
    OperationBuilder::new()
        .operation_id(Some("openai_chat_completions"))
        .tag(OPENAI_TAG)
        .summary(Some("Chat completion (OpenAI's shapes)"))
        .description(Some(
            "Calls the integration named by `model` and answers as OpenAI's `chat.completion`, or \
             with `\"stream\": true` as `chat.completion.chunk` events ending in `[DONE]`; the \
             `id` is OpenRouter's generation id. Tool calls come as `message.tool_calls` (streamed: \
             `delta.tool_calls`) with `finish_reason` `tool_calls`. Usage carries OpenRouter's \
             billed `cost`. Bad input is a 400 \
             `{error: {message, type, param, code}}` naming the field in `param`.",
        ))
        .request_body(Some(
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .content(
                    "application/json",
                    ContentBuilder::new().schema(Some(body)).build(),
                )
                .build(),
        ))
        .responses(error_responses(ResponsesBuilder::new().response(
            "200",
            json_response("An OpenAI `chat.completion` object.", object()),
        )))
        .build()
}

fn openai_models_operation() -> utoipa::openapi::path::Operation {
    let model = object()
        .property("id", typed(Type::String, "The integration's slug."))
        .property("object", ObjectBuilder::new().schema_type(Type::String))
        .property("created", ObjectBuilder::new().schema_type(Type::Integer))
        .property("owned_by", ObjectBuilder::new().schema_type(Type::String));
    OperationBuilder::new()
        .operation_id(Some("openai_models"))
        .tag(OPENAI_TAG)
        .summary(Some("The callable integrations as models"))
        .responses(
            ResponsesBuilder::new()
                .response(
                    "200",
                    json_response(
                        "OpenAI's model list.",
                        object()
                            .property("object", ObjectBuilder::new().schema_type(Type::String))
                            .property("data", ArrayBuilder::new().items(model)),
                    ),
                )
                .response(
                    "401",
                    error_response("Missing, invalid, expired or revoked token."),
                ),
        )
        .build()
}

/// The failures every invoking operation can answer with.
fn error_responses(responses: ResponsesBuilder) -> utoipa::openapi::Responses {
    responses
        .response("401", error_response("Missing, invalid, expired or revoked token."))
        .response(
            "403",
            error_response(&format!("The token lacks the `{INVOKE_ABILITY}` ability.")),
        )
        .response(
            "404",
            error_response(
                "Unknown or inactive integration, an integration not visible to the API, an unknown \
                 conversation, or the API is switched off.",
            ),
        )
        .response(
            "413",
            error_response("The request body is larger than the limit."),
        )
        .response(
            "422",
            json_response(
                "Invalid input: `{message, errors}` keyed by field; or the AI provider refused the \
                 request as invalid: `{message, error_class: \"upstream_rejected_request\"}` with \
                 its reason (the call costs nothing).",
                OneOfBuilder::new()
                    .item(Ref::from_schema_name("ValidationError"))
                    .item(Ref::from_schema_name("Error")),
            ),
        )
        .response(
            "429",
            error_response("Rate limit reached; retry after the `Retry-After` seconds."),
        )
        .response(
            "402",
            error_response("The integration's daily spend cap is reached (with `spent_usd`, `cap_usd`)."),
        )
        .response("502", error_response("The AI provider failed."))
        .response(
            "504",
            error_response("The AI provider did not answer in time."),
        )
        .build()
}

fn error_response(description: &str) -> utoipa::openapi::Response {
    json_response(description, Ref::from_schema_name("Error"))
}

fn json_response(description: &str, schema: impl Into<RefOr<Schema>>) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new().schema(Some(schema)).build(),
        )
        .build()
}

fn envelope_schema(data: impl Into<RefOr<Schema>>) -> ObjectBuilder {
    object()
        .property("data", data)
        .property(
            "meta",
            object().property(
                "integration",
                ObjectBuilder::new().schema_type(Type::String),
            ),
        )
        .required("data")
        .required("meta")
}

/// The `data` of a native answer, as `wire::envelope` writes it.
fn ai_result_schema() -> ObjectBuilder {
    let count = || {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(0))
    };
    object()
        .property("text", ObjectBuilder::new().schema_type(Type::String))
        .property(
            "tool_calls",
            ArrayBuilder::new()
                .items(messages::tool_call())
                .description(Some(
                    "The caller's functions the model asked to call (`finish_reason` \
                     `tool_calls`); empty otherwise.",
                )),
        )
        .property(
            "citations",
            ArrayBuilder::new().items(
                object()
                    .property("url", ObjectBuilder::new().schema_type(Type::String))
                    .property("title", nullable(Type::String, "")),
            ),
        )
        .property(
            "usage",
            object()
                .property("prompt_tokens", count())
                .property("completion_tokens", count())
                .property("total_tokens", count())
                .property("cached_tokens", count())
                .property("reasoning_tokens", count()),
        )
        .property(
            "model_requested",
            ObjectBuilder::new().schema_type(Type::String),
        )
        .property("model_used", ObjectBuilder::new().schema_type(Type::String))
        .property("status", ObjectBuilder::new().schema_type(Type::String))
        .property("finish_reason", nullable(Type::String, ""))
        .property(
            "cost_usd",
            nullable(Type::Number, "What OpenRouter billed for the call, in USD."),
        )
        .property("latency_ms", count())
        .property("attempts", count())
        .property(
            "generation_id",
            nullable(Type::String, "OpenRouter's generation id."),
        )
        .property(
            "invocation_id",
            typed(Type::String, "This call's telemetry row."),
        )
        .property(
            "conversation_id",
            typed(Type::String, "The thread, for conversation turns."),
        )
        .required("text")
        .required("usage")
        .required("model_used")
        .required("invocation_id")
}

fn error_schema() -> ObjectBuilder {
    object()
        .property("message", ObjectBuilder::new().schema_type(Type::String))
        .property(
            "error_class",
            typed(
                Type::String,
                "The kind of provider failure (`upstream_rejected_request` with 422).",
            ),
        )
        .property(
            "spent_usd",
            typed(Type::Number, "With 402: spent today, in USD."),
        )
        .property(
            "cap_usd",
            typed(Type::Number, "With 402: the daily cap, in USD."),
        )
        .required("message")
}

fn validation_error_schema() -> ObjectBuilder {
    object()
        .property("message", ObjectBuilder::new().schema_type(Type::String))
        .property(
            "errors",
            object().additional_properties(Some(
                ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::String)),
            )),
        )
        .required("message")
        .required("errors")
}

fn object() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::Object)
}

fn typed(kind: Type, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(kind)
        .description(Some(description))
}

fn nullable(kind: Type, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([kind, Type::Null]))
        .description((!description.is_empty()).then_some(description))
}
