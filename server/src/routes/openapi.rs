//! The OpenAPI 3.1 document of the public API, built at request time from the integrations the
//! API may call: per integration its endpoints, a request body typed from its prompt variables,
//! the caller options, its models and caching mode, and the bearer-token security scheme.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use gateway::Gateway;
use gateway::snapshot::LiveIntegration;
use gateway::types::{PromptVariable, VariableType};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem, PathsBuilder};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApiBuilder, Required, ResponseBuilder,
};

use crate::auth::ensure_api_enabled;

/// The native API's routes, relative to the prefix; the router and the document both use it.
pub const NATIVE_ROUTES: [(&str, &str); 3] = [
    ("/{slug}/chat", "Call the integration once"),
    ("/{slug}/start", "Start a conversation"),
    ("/{slug}/converse", "One turn of a conversation"),
];

pub(crate) async fn document(
    State(gateway): State<Gateway>,
    prefix: axum::Extension<ApiPrefix>,
) -> Response {
    match ensure_api_enabled(&gateway) {
        Ok(()) => Json(build(&gateway, &prefix.0.0)).into_response(),
        Err(error) => error.into_response(),
    }
}

/// Where the native API is mounted, handed to the document handler.
#[derive(Clone, Debug)]
pub(crate) struct ApiPrefix(pub String);

fn build(gateway: &Gateway, prefix: &str) -> utoipa::openapi::OpenApi {
    let mut paths = PathsBuilder::new();
    for live in gateway.snapshot().integrations() {
        let fields = &live.integration.fields;
        if !fields.active || !fields.visibility.is_api_visible() {
            continue;
        }
        for (route, summary) in NATIVE_ROUTES {
            let conversational_route = route != "/{slug}/chat";
            if conversational_route && !fields.conversational {
                continue;
            }
            let path = format!("{prefix}{}", route.replace("{slug}", &fields.slug));
            let operation = OperationBuilder::new()
                .operation_id(Some(format!("{}{}", fields.slug, route.trim_start_matches("/{slug}").replace('/', "_"))))
                .tag(fields.slug.clone())
                .summary(Some(format!("{}: {summary}", fields.name)))
                .description(Some(describe(&live)))
                .request_body((route != "/{slug}/start").then(|| {
                    RequestBodyBuilder::new()
                        .required(Some(Required::True))
                        .content("application/json", ContentBuilder::new().schema(Some(body_schema(&live, route))).build())
                        .build()
                }))
                .response("200", ResponseBuilder::new().description("The answer, `{data, meta}`, or Server-Sent Events with `\"stream\": true`."))
                .response("401", ResponseBuilder::new().description("Missing, invalid, expired or revoked token."))
                .response("403", ResponseBuilder::new().description("The token lacks the ai-gateway:invoke ability."))
                .response("404", ResponseBuilder::new().description("Unknown integration or conversation, or the API is switched off."))
                .response("422", ResponseBuilder::new().description("Invalid arguments: `{message, errors}` keyed by field."))
                .response("429", ResponseBuilder::new().description("Rate limit reached; see Retry-After."))
                .response("402", ResponseBuilder::new().description("Daily spend cap reached: `{message, spent_usd, cap_usd}`."))
                .response("502", ResponseBuilder::new().description("The AI provider failed."))
                .response("504", ResponseBuilder::new().description("The AI provider did not answer in time."))
                .build();
            paths = paths.path(path, PathItem::new(HttpMethod::Post, operation));
        }
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("AI Gateway")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some("Named AI integrations, invoked by slug. Authenticate with `Authorization: Bearer <id>|<secret>` (ability `ai-gateway:invoke`)."))
                .build(),
        )
        .paths(paths.build())
        .components(Some(
            ComponentsBuilder::new()
                .security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)))
                .build(),
        ))
        .security(Some([SecurityRequirement::new("bearer", Vec::<String>::new())]))
        .build()
}

fn describe(live: &LiveIntegration) -> String {
    let fields = &live.integration.fields;
    let draft = &live.version.draft;
    let caching = draft
        .models
        .first()
        .map(|m| format!("{:?}", gateway::catalog::caching_mode(m)).to_lowercase())
        .unwrap_or_default();
    format!(
        "{}\n\nModels: {} (first is primary, the rest are fallbacks). Prompt caching: {caching}.",
        fields.description.as_deref().unwrap_or_default(),
        draft.models.join(", "),
    )
}

fn body_schema(live: &LiveIntegration, route: &str) -> Schema {
    let mut args = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some("The prompt's variables."));
    for variable in &live.version.draft.variables {
        args = args.property(&variable.name, variable_schema(variable));
        if variable.required && variable.default.is_none() {
            args = args.required(&variable.name);
        }
    }
    let mut options = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some("Generation options."));
    for option in gateway::payload::CALLER_OPTIONS {
        options = options.property(*option, Schema::default());
    }
    let mut body = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("args", args)
        .property("options", options)
        .property(
            "stream",
            ObjectBuilder::new()
                .schema_type(Type::Boolean)
                .description(Some("Answer as Server-Sent Events.")),
        );
    if route == "/{slug}/converse" {
        body = body
            .property(
                "conversation_id",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some("Omit to start a new thread.")),
            )
            .property("message", ObjectBuilder::new().schema_type(Type::String))
            .required("message");
    } else {
        body = body.property(
            "messages",
            ObjectBuilder::new()
                .schema_type(Type::Array)
                .description(Some("User and assistant turns after the prompt.")),
        );
    }
    Schema::Object(body.build())
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
}
