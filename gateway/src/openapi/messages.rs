//! The OpenAPI schemas of what `messages` reads: caller messages with their roles, content parts
//! and tool calls, and the function tools a caller offers. Both APIs share them.

use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};

use crate::messages::MAX_TOOLS;

/// Every role a caller message may have, as `messages::Role` reads them.
pub(super) const ROLES: [&str; 5] = ["system", "developer", "user", "assistant", "tool"];

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn one_of(value: &str) -> ObjectBuilder {
    string().enum_values(Some([value]))
}

fn object() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::Object)
}

/// `messages[]`.
pub(super) fn message() -> ObjectBuilder {
    let text_part = object()
        .property("type", one_of("text"))
        .property("text", string().min_length(Some(1)))
        .required("type")
        .required("text");
    let image_part = object()
        .property("type", one_of("image_url"))
        .property(
            "image_url",
            object()
                .property(
                    "url",
                    string().description(Some("An http(s) URL or a data:image/… URL.")),
                )
                .property(
                    "detail",
                    string().enum_values(Some(["auto", "low", "high"])),
                )
                .required("url"),
        )
        .required("type")
        .required("image_url")
        .description(Some(
            "Only in user messages, and only where the integration supports vision.",
        ));
    let parts = ArrayBuilder::new()
        .items(OneOfBuilder::new().item(text_part).item(image_part))
        .min_items(Some(1));
    let content = OneOfBuilder::new()
        .item(string().min_length(Some(1)))
        .item(parts)
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .description(Some(
            "Text, or a list of content parts; null only for an assistant message with tool calls.",
        ));
    object()
        .property(
            "role",
            string().enum_values(Some(ROLES)).description(Some(
                "system and developer messages follow the integration's prompt, unless it forbids \
             them (allow_system_messages).",
            )),
        )
        .property("content", content)
        .property("name", string())
        .property(
            "tool_calls",
            ArrayBuilder::new()
                .items(tool_call())
                .description(Some("An assistant turn's calls, sent back as they came.")),
        )
        .property(
            "tool_call_id",
            string().description(Some("In a tool message: the call it answers.")),
        )
        .required("role")
}

/// A call of one of the caller's functions, in requests and answers alike.
pub(super) fn tool_call() -> ObjectBuilder {
    object()
        .property("id", string())
        .property("type", one_of("function"))
        .property(
            "function",
            object()
                .property("name", string())
                .property(
                    "arguments",
                    string().description(Some("The arguments as JSON text.")),
                )
                .required("name")
                .required("arguments"),
        )
        .required("id")
        .required("type")
        .required("function")
}

/// `tools`, `tool_choice` and `parallel_tool_calls`, added to a request body's properties.
pub(super) fn with_tools(body: ObjectBuilder) -> ObjectBuilder {
    let function = object()
        .property("name", string().pattern(Some("^[A-Za-z0-9_-]{1,64}$")))
        .property("description", string())
        .property(
            "parameters",
            object().description(Some("A JSON Schema of the arguments.")),
        )
        .property("strict", ObjectBuilder::new().schema_type(Type::Boolean))
        .required("name");
    let tool = object()
        .property("type", one_of("function"))
        .property("function", function)
        .required("type")
        .required("function");
    let choice = OneOfBuilder::new()
        .item(string().enum_values(Some(["none", "auto", "required"])))
        .item(
            object()
                .property("type", one_of("function"))
                .property(
                    "function",
                    object().property("name", string()).required("name"),
                )
                .required("type")
                .required("function"),
        );
    body.property(
        "tools",
        ArrayBuilder::new()
            .items(tool)
            .max_items(Some(MAX_TOOLS))
            .description(Some(
                "Functions the model may call; only where the integration supports tools.",
            )),
    )
    .property("tool_choice", choice)
    .property(
        "parallel_tool_calls",
        ObjectBuilder::new()
            .schema_type(Type::Boolean)
            .description(Some(
                "Whether the model may call several functions at once.",
            )),
    )
}
