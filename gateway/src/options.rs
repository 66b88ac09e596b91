//! The generation parameters: one typed definition of each (type, range, enum, length) from which
//! both their checks and their OpenAPI schemas are made, so the document cannot promise what the
//! gateway refuses, nor the gateway forward what the document forbids. Callers set the ones marked
//! `caller`; a version's default parameters are checked against the same definitions when saved.

use serde_json::{Map, Value};
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type,
};

/// The most stop sequences a call may carry.
pub const MAX_STOP_SEQUENCES: usize = 4;
/// The longest stop sequence, in characters.
pub const MAX_STOP_CHARS: usize = 256;
/// The longest `response_format.json_schema.name` OpenRouter takes.
pub const MAX_SCHEMA_NAME_CHARS: usize = 64;
/// The field errors' text for a field the gateway does not know; the OpenAI-compatible API
/// answers it with OpenAI's `unknown_parameter` code.
pub const UNKNOWN_FIELD: &str = "Unknown field: the gateway does not accept it.";

pub const RESPONSE_FORMAT_TYPES: &[&str] = &["text", "json_object", "json_schema"];
pub const REASONING_EFFORTS: &[&str] =
    &["max", "xhigh", "high", "medium", "low", "minimal", "none"];
pub const REASONING_SUMMARIES: &[&str] = &["auto", "concise", "detailed"];

/// What values a parameter takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    /// A number in `min..=max`.
    Number {
        min: f64,
        max: f64,
    },
    /// A whole number in `min..=max`.
    Integer {
        min: i64,
        max: i64,
    },
    /// An output length: a whole number of at least 1, at most the deployment's ceiling.
    TokenLimit,
    Boolean,
    /// One stop sequence or a list of up to [`MAX_STOP_SEQUENCES`].
    Stop,
    /// `{type: text|json_object|json_schema, json_schema?}`.
    ResponseFormat,
    /// `{effort?, max_tokens?, exclude?, enabled?, summary?}`.
    Reasoning,
}

/// One generation parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Param {
    pub name: &'static str,
    pub shape: Shape,
    /// Whether callers may set it per call (`options` on the native API, the top level on `/v1`);
    /// the others only a version's default parameters set.
    pub caller: bool,
    pub description: &'static str,
}

const fn param(name: &'static str, shape: Shape, caller: bool, description: &'static str) -> Param {
    Param {
        name,
        shape,
        caller,
        description,
    }
}

/// Every parameter the gateway knows, callers' first.
pub const PARAMS: &[Param] = &[
    param(
        "max_tokens",
        Shape::TokenLimit,
        true,
        "The longest answer, in tokens (at most the deployment's ceiling).",
    ),
    param(
        "temperature",
        Shape::Number { min: 0.0, max: 2.0 },
        true,
        "Sampling temperature.",
    ),
    param(
        "top_p",
        Shape::Number { min: 0.0, max: 1.0 },
        true,
        "Nucleus sampling: the probability mass considered.",
    ),
    param(
        "top_k",
        Shape::Integer {
            min: 0,
            max: i64::MAX,
        },
        true,
        "Sample from the k likeliest tokens (0 = off).",
    ),
    param(
        "frequency_penalty",
        Shape::Number {
            min: -2.0,
            max: 2.0,
        },
        true,
        "Penalises tokens by how often they appeared.",
    ),
    param(
        "presence_penalty",
        Shape::Number {
            min: -2.0,
            max: 2.0,
        },
        true,
        "Penalises tokens that appeared at all.",
    ),
    param(
        "repetition_penalty",
        Shape::Number { min: 0.0, max: 2.0 },
        true,
        "Penalises repetition (1 = none).",
    ),
    param(
        "seed",
        Shape::Integer {
            min: i64::MIN,
            max: i64::MAX,
        },
        true,
        "Seed for best-effort deterministic sampling.",
    ),
    param(
        "stop",
        Shape::Stop,
        true,
        "A stop sequence or a list of up to 4.",
    ),
    param(
        "response_format",
        Shape::ResponseFormat,
        true,
        "The answer's format: text, any JSON object, or JSON following a schema.",
    ),
    param(
        "reasoning",
        Shape::Reasoning,
        true,
        "Reasoning settings: `effort` or `max_tokens`, `exclude`, `enabled`, `summary`.",
    ),
    param(
        "max_completion_tokens",
        Shape::TokenLimit,
        false,
        "The longest answer, in tokens (OpenAI's newer name).",
    ),
    param(
        "min_p",
        Shape::Number { min: 0.0, max: 1.0 },
        false,
        "Minimum token probability relative to the likeliest.",
    ),
    param(
        "top_a",
        Shape::Number { min: 0.0, max: 1.0 },
        false,
        "Dynamic top-p by the likeliest token's probability.",
    ),
    param(
        "logprobs",
        Shape::Boolean,
        false,
        "Return log probabilities.",
    ),
    param(
        "top_logprobs",
        Shape::Integer { min: 0, max: 20 },
        false,
        "How many likeliest tokens to return log probabilities for.",
    ),
];

/// The parameters callers may set.
pub fn caller_params() -> impl Iterator<Item = &'static Param> {
    PARAMS.iter().filter(|param| param.caller)
}

/// The definition of `name`, if the gateway knows it.
pub fn find(name: &str) -> Option<&'static Param> {
    PARAMS.iter().find(|param| param.name == name)
}

/// The deployment's cap on output lengths; `None` where it is not known (saving a version), so
/// only the lower bound is checked.
pub type Ceiling = Option<u32>;

impl Param {
    /// The value to send, `None` when it is unset (null, or an empty string as the console's
    /// inputs leave it), or what is wrong with it. Text that holds a number, a boolean or JSON
    /// is read as that (the console stores text, and the reference accepts integer-like strings).
    pub fn check(&self, value: &Value, ceiling: Ceiling) -> Result<Option<Value>, String> {
        let Some(value) = typed(Some(self.shape), value) else {
            return Ok(None);
        };
        self.shape.check(&value, ceiling).map(Some)
    }

    /// The OpenAPI schema stating the same constraints `check` applies.
    pub fn schema(&self, ceiling: Ceiling) -> Schema {
        self.shape.schema(ceiling, self.description)
    }
}

impl Shape {
    fn check(self, value: &Value, ceiling: Ceiling) -> Result<Value, String> {
        match self {
            Self::Number { min, max } => {
                let number = value.as_f64().ok_or("Must be a number.")?;
                if !(min..=max).contains(&number) {
                    return Err(format!("Must be between {min} and {max}."));
                }
                Ok(value.clone())
            }
            Self::Integer { min, max } => {
                let number = whole(value)?;
                if !(min..=max).contains(&number) {
                    return Err(match (min, max) {
                        (i64::MIN, i64::MAX) => "Must be a whole number.".to_owned(),
                        (min, i64::MAX) => format!("Must be at least {min}."),
                        (min, max) => format!("Must be between {min} and {max}."),
                    });
                }
                Ok(Value::from(number))
            }
            Self::TokenLimit => {
                let number = whole(value)?;
                if number < 1 {
                    return Err("Must be at least 1.".to_owned());
                }
                if let Some(ceiling) = ceiling
                    && number > i64::from(ceiling)
                {
                    return Err(format!(
                        "Must be at most {ceiling} (this deployment's ceiling)."
                    ));
                }
                Ok(Value::from(number))
            }
            Self::Boolean => value
                .as_bool()
                .map(Value::Bool)
                .ok_or_else(|| "Must be true or false.".to_owned()),
            Self::Stop => check_stop(value),
            Self::ResponseFormat => check_response_format(value),
            Self::Reasoning => check_reasoning(value),
        }
    }

    fn schema(self, ceiling: Ceiling, description: &str) -> Schema {
        let object = match self {
            Self::Number { min, max } => ObjectBuilder::new()
                .schema_type(Type::Number)
                .minimum(Some(min))
                .maximum(Some(max)),
            Self::Integer { min, max } => ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum((min != i64::MIN).then_some(min))
                .maximum((max != i64::MAX).then_some(max)),
            Self::TokenLimit => ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(ceiling),
            Self::Boolean => ObjectBuilder::new().schema_type(Type::Boolean),
            // Text or a list of text: two schemas, since an array's limits need an array schema.
            Self::Stop => {
                let text = || {
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .max_length(Some(MAX_STOP_CHARS))
                };
                return OneOfBuilder::new()
                    .item(text())
                    .item(
                        ArrayBuilder::new()
                            .items(text())
                            .max_items(Some(MAX_STOP_SEQUENCES)),
                    )
                    .description(Some(description))
                    .into();
            }
            Self::ResponseFormat => closed_object()
                .property("type", enumeration(RESPONSE_FORMAT_TYPES))
                .property(
                    "json_schema",
                    closed_object()
                        .property(
                            "name",
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .min_length(Some(1))
                                .max_length(Some(MAX_SCHEMA_NAME_CHARS))
                                .pattern(Some("^[A-Za-z0-9_-]+$")),
                        )
                        .property(
                            "description",
                            ObjectBuilder::new().schema_type(Type::String),
                        )
                        .property("schema", ObjectBuilder::new().schema_type(Type::Object))
                        .property("strict", ObjectBuilder::new().schema_type(Type::Boolean))
                        .required("name"),
                )
                .required("type"),
            Self::Reasoning => closed_object()
                .property("effort", enumeration(REASONING_EFFORTS))
                .property(
                    "max_tokens",
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(0)),
                )
                .property("exclude", ObjectBuilder::new().schema_type(Type::Boolean))
                .property("enabled", ObjectBuilder::new().schema_type(Type::Boolean))
                .property("summary", enumeration(REASONING_SUMMARIES)),
        };
        object.description(Some(description)).into()
    }
}

fn closed_object() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
}

fn enumeration(values: &'static [&'static str]) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().copied()))
}

/// A whole number: an integer, or a float with nothing after the point (`1.0`, `1e3`).
fn whole(value: &Value) -> Result<i64, String> {
    if let Some(integer) = value.as_i64() {
        return Ok(integer);
    }
    if value.is_u64() {
        return Err("Is too large.".to_owned());
    }
    let float = value.as_f64().ok_or("Must be a whole number.")?;
    // The bounds are exact powers of two, so the comparison is exact and the cast cannot saturate.
    if float.fract() != 0.0 || !(-(2f64.powi(63))..2f64.powi(63)).contains(&float) {
        return Err("Must be a whole number.".to_owned());
    }
    Ok(float as i64)
}

fn check_stop(value: &Value) -> Result<Value, String> {
    let too_long = |text: &str| text.chars().count() > MAX_STOP_CHARS;
    match value {
        Value::String(text) if too_long(text) => Err(format!(
            "A stop sequence may be at most {MAX_STOP_CHARS} characters."
        )),
        Value::String(_) => Ok(value.clone()),
        Value::Array(items) if items.len() > MAX_STOP_SEQUENCES => {
            Err(format!("At most {MAX_STOP_SEQUENCES} stop sequences."))
        }
        Value::Array(items) => {
            for item in items {
                match item.as_str() {
                    Some(text) if !too_long(text) => {}
                    Some(_) => {
                        return Err(format!(
                            "A stop sequence may be at most {MAX_STOP_CHARS} characters."
                        ));
                    }
                    None => return Err("Every stop sequence must be a string.".to_owned()),
                }
            }
            Ok(value.clone())
        }
        _ => Err("Must be a string or a list of strings.".to_owned()),
    }
}

fn check_response_format(value: &Value) -> Result<Value, String> {
    let object = value
        .as_object()
        .ok_or("Must be an object such as {\"type\": \"json_object\"}.")?;
    only_keys(object, &["type", "json_schema"])?;
    let kind = one_of(object, "type", RESPONSE_FORMAT_TYPES)?
        .ok_or("`type` is required (text, json_object or json_schema).")?;
    match (kind, object.get("json_schema")) {
        ("json_schema", Some(Value::Object(schema))) => {
            only_keys(schema, &["name", "description", "schema", "strict"])?;
            let name = schema.get("name").and_then(Value::as_str).unwrap_or("");
            let valid_name = !name.is_empty()
                && name.chars().count() <= MAX_SCHEMA_NAME_CHARS
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !valid_name {
                return Err(format!(
                    "`json_schema.name` is required: up to {MAX_SCHEMA_NAME_CHARS} letters, \
                     digits, `_` or `-`."
                ));
            }
            if schema.get("schema").is_some_and(|s| !s.is_object()) {
                return Err("`json_schema.schema` must be an object.".to_owned());
            }
            if schema.get("strict").is_some_and(|s| !s.is_boolean()) {
                return Err("`json_schema.strict` must be true or false.".to_owned());
            }
            if schema.get("description").is_some_and(|s| !s.is_string()) {
                return Err("`json_schema.description` must be a string.".to_owned());
            }
        }
        ("json_schema", _) => {
            return Err("`json_schema` must be an object with the schema's `name`.".to_owned());
        }
        (_, Some(_)) => {
            return Err("`json_schema` is only for `\"type\": \"json_schema\"`.".to_owned());
        }
        _ => {}
    }
    Ok(value.clone())
}

fn check_reasoning(value: &Value) -> Result<Value, String> {
    let object = value
        .as_object()
        .ok_or("Must be an object such as {\"effort\": \"low\"}.")?;
    only_keys(
        object,
        &["effort", "max_tokens", "exclude", "enabled", "summary"],
    )?;
    one_of(object, "effort", REASONING_EFFORTS)?;
    one_of(object, "summary", REASONING_SUMMARIES)?;
    if let Some(tokens) = object.get("max_tokens") {
        let tokens = whole(tokens).map_err(|problem| format!("`max_tokens`: {problem}"))?;
        if tokens < 0 {
            return Err("`max_tokens` must be at least 0.".to_owned());
        }
        if object.contains_key("effort") {
            return Err("Set `effort` or `max_tokens`, not both.".to_owned());
        }
    }
    for flag in ["exclude", "enabled"] {
        if object.get(flag).is_some_and(|v| !v.is_boolean()) {
            return Err(format!("`{flag}` must be true or false."));
        }
    }
    Ok(value.clone())
}

fn only_keys(object: &Map<String, Value>, known: &[&str]) -> Result<(), String> {
    match object.keys().find(|key| !known.contains(&key.as_str())) {
        Some(key) => Err(format!(
            "Unknown key `{key}` (known: {}).",
            known.join(", ")
        )),
        None => Ok(()),
    }
}

/// The string at `key` when it is one of `allowed`; absent is `None`.
fn one_of<'a>(
    object: &'a Map<String, Value>,
    key: &str,
    allowed: &[&str],
) -> Result<Option<&'a str>, String> {
    match object.get(key) {
        None => Ok(None),
        Some(Value::String(text)) if allowed.contains(&text.as_str()) => Ok(Some(text)),
        Some(_) => Err(format!("`{key}` must be one of: {}.", allowed.join(", "))),
    }
}

/// A value as the console's text inputs store it, read by the parameter's shape: numeric text
/// becomes a number, `"true"`/`"false"` a boolean, JSON object or array text that JSON. Null and
/// blank text mean "not set"; a stop sequence stays text whatever it spells. `shape` is `None`
/// for parameters the gateway passes on without a definition.
pub(crate) fn typed(shape: Option<Shape>, value: &Value) -> Option<Value> {
    let text = match value {
        Value::Null => return None,
        Value::String(text) => text.trim(),
        other => return Some(other.clone()),
    };
    if text.is_empty() {
        return None;
    }
    if text.starts_with(['{', '[']) {
        return match serde_json::from_str::<Value>(text) {
            Ok(parsed) if !parsed.is_null() => Some(parsed),
            _ => Some(value.clone()),
        };
    }
    if shape == Some(Shape::Stop) {
        return Some(value.clone());
    }
    let typed = match text {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => number(text).unwrap_or_else(|| value.clone()),
    };
    Some(typed)
}

/// Integers stay integers (`"1024"` → `1024`), other finite decimals become floats.
fn number(text: &str) -> Option<Value> {
    if let Ok(integer) = text.parse::<i64>() {
        return Some(integer.into());
    }
    if let Ok(integer) = text.parse::<u64>() {
        return Some(integer.into());
    }
    let float = text.parse::<f64>().ok()?;
    serde_json::Number::from_f64(float).map(Value::Number)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(name: &str, value: Value) -> Result<Option<Value>, String> {
        find(name).unwrap().check(&value, Some(8192))
    }

    #[test]
    fn numbers_are_held_to_their_ranges_and_numeric_text_is_read() {
        assert_eq!(check("temperature", json!("0.7")), Ok(Some(json!(0.7))));
        assert_eq!(check("temperature", json!(2)), Ok(Some(json!(2))));
        assert!(check("temperature", json!(2.5)).is_err());
        assert!(check("temperature", json!(-0.1)).is_err());
        assert!(check("temperature", json!("abc")).is_err());
        assert!(check("frequency_penalty", json!(-2.01)).is_err());
        assert_eq!(check("top_p", json!(null)), Ok(None));
        assert_eq!(check("top_p", json!(" ")), Ok(None));
    }

    #[test]
    fn whole_numbers_refuse_fractions_and_the_token_limit_its_ceiling() {
        assert_eq!(check("max_tokens", json!("1024")), Ok(Some(json!(1024))));
        assert_eq!(check("max_tokens", json!(16.0)), Ok(Some(json!(16))));
        assert!(check("max_tokens", json!(1.5)).is_err());
        assert!(check("max_tokens", json!("1.5")).is_err());
        assert!(check("max_tokens", json!(0)).is_err());
        assert!(check("max_tokens", json!(8193)).is_err());
        assert!(check("max_tokens", json!(1e300)).is_err());
        assert!(check("max_tokens", json!(u64::MAX)).is_err());
        assert_eq!(
            find("max_tokens").unwrap().check(&json!(100_000), None),
            Ok(Some(json!(100_000)))
        );
        assert!(check("top_k", json!(-1)).is_err());
        assert!(check("top_logprobs", json!(21)).is_err());
        assert_eq!(check("seed", json!(-7)), Ok(Some(json!(-7))));
    }

    #[test]
    fn stop_is_text_or_a_short_list_of_text() {
        assert_eq!(check("stop", json!("42")), Ok(Some(json!("42"))));
        assert!(check("stop", json!(["a", "b", "c", "d"])).is_ok());
        assert!(check("stop", json!(["a", "b", "c", "d", "e"])).is_err());
        assert!(check("stop", json!([1])).is_err());
        assert!(check("stop", json!({"a": 1})).is_err());
        assert!(check("stop", json!("x".repeat(MAX_STOP_CHARS + 1))).is_err());
    }

    #[test]
    fn response_formats_follow_openrouters_shapes() {
        assert!(check("response_format", json!({"type": "json_object"})).is_ok());
        assert!(check("response_format", json!("{\"type\": \"text\"}")).is_ok());
        let schema = json!({"type": "json_schema",
            "json_schema": {"name": "answer", "schema": {"type": "object"}, "strict": true}});
        assert!(check("response_format", schema).is_ok());
        for bad in [
            json!([null, null]),
            json!({}),
            json!({"type": "yaml"}),
            json!({"type": "json_schema"}),
            json!({"type": "json_schema", "json_schema": {"name": "a b"}}),
            json!({"type": "text", "json_schema": {"name": "x"}}),
            json!({"type": "text", "extra": 1}),
        ] {
            assert!(check("response_format", bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn reasoning_takes_its_documented_keys_only() {
        assert!(check("reasoning", json!({"effort": "low", "exclude": true})).is_ok());
        assert!(check("reasoning", json!({"max_tokens": 2000})).is_ok());
        for bad in [
            json!("low"),
            json!({"effort": "extreme"}),
            json!({"effort": "low", "max_tokens": 10}),
            json!({"max_tokens": -1}),
            json!({"exclude": "yes"}),
            json!({"budget": 1}),
        ] {
            assert!(check("reasoning", bad.clone()).is_err(), "{bad}");
        }
    }
}
