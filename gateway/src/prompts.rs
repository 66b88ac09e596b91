//! Prompt templates and their typed variables: schema checks, argument validation and rendering.
//!
//! Templates are MiniJinja (`{{ name }}`, `{% for item in items %}` …), compiled once per
//! [`Prompt`] and rendered many times. Unlike the reference renderer, a template that uses a
//! variable nobody declared is rejected when it is compiled instead of rendering `""` silently.
//! Validation failures come back as [`FieldErrors`] keyed by variable name, `_schema_<i>` (the
//! i-th descriptor of an untyped list) or `prompt_template` (the template itself).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;

use gateway_types::{FieldErrors, PromptVariable, VariableType};
use minijinja::value::{Value as TplValue, ValueKind};
use minijinja::{AutoEscape, Environment, Output, State, UndefinedBehavior};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The error key for everything wrong with the template text itself.
pub const TEMPLATE_FIELD: &str = "prompt_template";

/// The longest allowed variable name, in characters.
pub const MAX_NAME_LEN: usize = 32;

/// The name the template is stored under in its environment; shows up in error locations
/// (`(in prompt:3)`).
const TEMPLATE_NAME: &str = "prompt";

// ---------------------------------------------------------------------------------------------
// Variable schemas
// ---------------------------------------------------------------------------------------------

/// Validates an untyped variable list, as submitted by the console, the prompt builder or the
/// JSON API, and returns it typed.
///
/// `null` is an empty list. Errors of the i-th descriptor that has no usable name are keyed
/// `_schema_<i>`; all other errors are keyed by the variable name.
pub fn parse_variables(raw: &Value) -> Result<Vec<PromptVariable>, FieldErrors> {
    let items = match raw {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        _ => {
            return Err(FieldErrors::single(
                "_schema",
                "The variables must be a list of arg descriptors.",
            ));
        }
    };
    let mut errors = FieldErrors::new();
    let mut checker = NameChecker::default();
    let mut vars = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Some(obj) = item.as_object() else {
            errors.add(
                format!("_schema_{i}"),
                "Each arg descriptor must be an object.",
            );
            continue;
        };
        let name = match obj.get("name") {
            Some(Value::String(name)) if !name.is_empty() => name,
            _ => {
                errors.add(format!("_schema_{i}"), "Arg descriptor is missing a name.");
                continue;
            }
        };
        checker.check(name, &mut errors);
        let kind = obj
            .get("type")
            .and_then(Value::as_str)
            .and_then(VariableType::parse);
        if kind.is_none() {
            let allowed = VariableType::ALL.map(VariableType::as_str).join(", ");
            errors.add(
                name.as_str(),
                format!("Arg \"{name}\" has invalid type (must be one of: {allowed})."),
            );
        }
        let required = obj.get("required").and_then(Value::as_bool);
        if required.is_none() {
            errors.add(
                name.as_str(),
                format!("Arg \"{name}\" must declare a boolean `required` flag."),
            );
        }
        let default = obj.get("default").filter(|d| !d.is_null()).cloned();
        if let (Some(kind), Some(default)) = (kind, &default) {
            check_default(name, kind, default, &mut errors);
        }
        let description = match obj.get("description") {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(text.clone()),
            Some(_) => {
                errors.add(
                    name.as_str(),
                    format!("Arg \"{name}\" description must be a string."),
                );
                None
            }
        };
        // Only returned when no descriptor had an error, so partial results do not matter.
        if let (Some(kind), Some(required)) = (kind, required) {
            vars.push(PromptVariable {
                name: name.clone(),
                kind,
                required,
                default,
                description,
            });
        }
    }
    errors.into_result(vars)
}

/// Checks already-typed variables: name syntax and length, duplicates, and that every non-null
/// default has the declared type.
pub fn check_variables(vars: &[PromptVariable]) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut checker = NameChecker::default();
    for var in vars {
        checker.check(&var.name, &mut errors);
        if let Some(default) = var.default.as_ref().filter(|d| !d.is_null()) {
            check_default(&var.name, var.kind, default, &mut errors);
        }
    }
    errors.into_result(())
}

/// The name rules of a variable list; remembers the names seen so far to spot duplicates.
#[derive(Default)]
struct NameChecker<'a> {
    seen: HashSet<&'a str>,
}

impl<'a> NameChecker<'a> {
    fn check(&mut self, name: &'a str, errors: &mut FieldErrors) {
        if !is_valid_name(name) {
            errors.add(
                name,
                format!("Arg name \"{name}\" must match /^[a-z][a-z0-9_]*$/."),
            );
        }
        if name.chars().count() > MAX_NAME_LEN {
            errors.add(
                name,
                format!("Arg name \"{name}\" exceeds {MAX_NAME_LEN} characters."),
            );
        }
        if !self.seen.insert(name) {
            errors.add(name, format!("Arg name \"{name}\" is duplicated."));
        }
    }
}

/// `^[a-z][a-z0-9_]*$`, checked by hand.
fn is_valid_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn check_default(name: &str, kind: VariableType, default: &Value, errors: &mut FieldErrors) {
    if let Some(problem) = type_problem(kind, default) {
        errors.add(name, format!("Arg \"{name}\" default {problem}"));
    }
}

// ---------------------------------------------------------------------------------------------
// Argument validation
// ---------------------------------------------------------------------------------------------

/// Checks the caller's args against the declared variables. Args nobody declared are ignored.
///
/// A variable has a default when its `default` is present and not null (an empty string counts).
/// A supplied `null` fails every type check.
pub fn validate_args(
    vars: &[PromptVariable],
    args: &serde_json::Map<String, Value>,
) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    for var in vars {
        let name = &var.name;
        match args.get(name) {
            None => {
                if var.required && !has_default(var) {
                    errors.add(name.as_str(), format!("Arg \"{name}\" is required."));
                }
            }
            Some(value) => {
                if let Some(problem) = type_problem(var.kind, value) {
                    errors.add(name.as_str(), format!("Arg \"{name}\" {problem}"));
                }
            }
        }
    }
    errors.into_result(())
}

fn has_default(var: &PromptVariable) -> bool {
    var.default.as_ref().is_some_and(|d| !d.is_null())
}

/// What is wrong with `value` for a variable of type `kind`, as the end of a sentence that
/// starts with `Arg "<name>" `; `None` when it fits.
fn type_problem(kind: VariableType, value: &Value) -> Option<&'static str> {
    match kind {
        VariableType::String => (!value.is_string()).then_some("must be a string."),
        VariableType::Number => match value {
            Value::Number(_) => None,
            Value::String(text) if is_php_numeric(text) => None,
            _ => Some("must be numeric."),
        },
        VariableType::Boolean => (!value.is_boolean()).then_some("must be a boolean."),
        // PHP decodes `{}` and `[]` to the same empty array, so either passes as either.
        VariableType::Array => match value {
            Value::Array(_) => None,
            Value::Object(map) if map.is_empty() => None,
            Value::Object(_) => Some("must be a list (no string keys)."),
            _ => Some("must be a list."),
        },
        VariableType::Object => match value {
            Value::Object(_) => None,
            Value::Array(items) if items.is_empty() => None,
            _ => Some("must be an object (associative array)."),
        },
        VariableType::Json => match value {
            Value::String(text) => serde_json::from_str::<serde::de::IgnoredAny>(text)
                .is_err()
                .then_some("must be a valid JSON string."),
            _ => Some("must be a JSON string."),
        },
    }
}

/// Whitespace PHP allows around a numeric string.
fn is_php_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
}

/// PHP's `is_numeric` for strings: optional surrounding whitespace, an optional sign, digits
/// with an optional fraction (or a leading `.`), an optional exponent. No hex, `NaN` or `inf`.
fn is_php_numeric(text: &str) -> bool {
    let bytes = text.trim_matches(is_php_space).as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    if matches!(bytes.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let mut mantissa = digits(&mut i);
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        mantissa += digits(&mut i);
    }
    if mantissa == 0 {
        return false;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == bytes.len()
}

/// A numeric string as a template number: an integer when it is one, else a float; the string
/// itself when it overflows to infinity.
fn numeric_string_value(text: &str) -> TplValue {
    let trimmed = text.trim_matches(is_php_space);
    if let Ok(int) = trimmed.parse::<i64>() {
        return TplValue::from(int);
    }
    match trimmed.parse::<f64>() {
        Ok(float) if float.is_finite() => TplValue::from(float),
        _ => TplValue::from(text),
    }
}

// ---------------------------------------------------------------------------------------------
// Compiled prompts
// ---------------------------------------------------------------------------------------------

/// A prompt template compiled once together with its declared variables; render it as often as
/// needed, from any thread.
#[derive(Clone)]
pub struct Prompt {
    env: Environment<'static>,
    source: String,
    vars: Vec<PromptVariable>,
}

impl fmt::Debug for Prompt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prompt")
            .field("template", &self.source)
            .field("variables", &self.vars)
            .finish_non_exhaustive()
    }
}

impl Prompt {
    /// Compiles `template` and checks it against `vars`: the variables must pass
    /// [`check_variables`], the template must parse, and every variable the template uses must be
    /// declared. All problems are reported together.
    pub fn compile(template: &str, vars: Vec<PromptVariable>) -> Result<Self, FieldErrors> {
        let mut errors = check_variables(&vars).err().unwrap_or_default();
        let mut env = new_environment();
        match env.add_template_owned(TEMPLATE_NAME, template.to_owned()) {
            Ok(()) => {
                let declared: HashSet<&str> = vars.iter().map(|v| v.name.as_str()).collect();
                let undeclared: BTreeSet<String> = used_variables(&env)
                    .into_iter()
                    .filter(|name| !declared.contains(name.as_str()))
                    .collect();
                for name in undeclared {
                    errors.add(
                        TEMPLATE_FIELD,
                        format!(
                            "The template uses {{{{ {name} }}}} but no variable \"{name}\" is declared."
                        ),
                    );
                }
            }
            Err(err) => errors.add(TEMPLATE_FIELD, err.to_string()),
        }
        errors.into_result(())?;
        Ok(Self {
            env,
            source: template.to_owned(),
            vars,
        })
    }

    /// Validates `args` (see [`validate_args`]) and renders the template with them; a prompt
    /// that would grow past `max_bytes` is refused as soon as it does, on the template field.
    ///
    /// Each declared variable gets the supplied value, else its non-null default, else `""`.
    /// Numeric strings given to `number` variables become numbers; `json` strings stay strings
    /// and are inserted verbatim.
    pub fn render(
        &self,
        args: &serde_json::Map<String, Value>,
        max_bytes: usize,
    ) -> Result<String, FieldErrors> {
        validate_args(&self.vars, args)?;
        let context: BTreeMap<&str, TplValue> = self
            .vars
            .iter()
            .map(|var| {
                let value = args
                    .get(&var.name)
                    .or_else(|| var.default.as_ref().filter(|d| !d.is_null()));
                let value = match value {
                    Some(Value::String(text)) if var.kind == VariableType::Number => {
                        numeric_string_value(text)
                    }
                    Some(value) => TplValue::from_serialize(value),
                    None => TplValue::from(""),
                };
                (var.name.as_str(), value)
            })
            .collect();
        let mut out = Bounded::new(max_bytes);
        let rendered = self
            .env
            .get_template(TEMPLATE_NAME)
            .and_then(|template| template.render_captured_to(context, &mut out).map(drop));
        match rendered {
            Ok(()) => Ok(out.into_text()),
            Err(_) if out.exceeded => Err(FieldErrors::single(
                TEMPLATE_FIELD,
                format!(
                    "The rendered prompt would be longer than {max_bytes} bytes, this \
                     deployment's ceiling; shorten the arguments or the template."
                ),
            )),
            Err(err) => Err(FieldErrors::single(TEMPLATE_FIELD, err.to_string())),
        }
    }

    pub fn variables(&self) -> &[PromptVariable] {
        &self.vars
    }

    pub fn template(&self) -> &str {
        &self.source
    }
}

/// Instructions one render may execute: far above any real prompt, far below a hang.
const RENDER_FUEL: u64 = 1_000_000;

/// A render's output, refusing to grow past its limit: fuel bounds the steps of a render, not
/// its size, and one step can print a whole argument, so a loop over a large one would fill
/// memory long before the fuel runs out.
struct Bounded {
    out: Vec<u8>,
    limit: usize,
    exceeded: bool,
}

impl Bounded {
    fn new(limit: usize) -> Self {
        Self {
            out: Vec::new(),
            limit,
            exceeded: false,
        }
    }

    /// The output as text; MiniJinja only writes whole UTF-8 strings, so nothing is replaced.
    fn into_text(self) -> String {
        String::from_utf8(self.out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

impl std::io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.out.len().saturating_add(buf.len()) > self.limit {
            self.exceeded = true;
            return Err(std::io::Error::other("the prompt ceiling is reached"));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The one environment configuration every prompt uses: no loader, no auto-escaping, strict
/// undefined values, the trailing newline kept, and the prompt formatter.
fn new_environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_keep_trailing_newline(true);
    env.set_debug(false);
    env.set_formatter(format_value);
    // Bounds the work one render may do, so a runaway loop in a template cannot stall a call.
    env.set_fuel(Some(RENDER_FUEL));
    env
}

/// The variables the stored template reads from its context, minus the environment's globals
/// (`range`, `dict`, `namespace` …) and names the template assigns itself (`set`, loop targets).
fn used_variables(env: &Environment<'static>) -> Vec<String> {
    let Ok(template) = env.get_template(TEMPLATE_NAME) else {
        return Vec::new();
    };
    let globals: HashSet<&str> = env.globals().map(|(name, _)| name).collect();
    let mut names: Vec<String> = template
        .undeclared_variables(false)
        .into_iter()
        .filter(|name| !globals.contains(name.as_str()))
        .collect();
    names.sort();
    names
}

/// How values print into a prompt: none and undefined as nothing, booleans as `true`/`false`
/// (MiniJinja would print `True`), floats in their shortest
/// round-trip form, lists and maps as pretty JSON (4-space indent, unicode and slashes as is).
fn format_value(out: &mut Output, state: &State, value: &TplValue) -> Result<(), minijinja::Error> {
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => Ok(()),
        ValueKind::Bool => Ok(out.write_str(if value.is_true() { "true" } else { "false" })?),
        ValueKind::Number if !value.is_integer() => {
            let float = f64::try_from(value.clone())?;
            out.write_str(&format_float(float))?;
            Ok(())
        }
        ValueKind::Seq | ValueKind::Map => match pretty_json(value) {
            Some(json) => Ok(out.write_str(&json)?),
            None => minijinja::escape_formatter(out, state, value),
        },
        _ => minijinja::escape_formatter(out, state, value),
    }
}

fn pretty_json(value: &TplValue) -> Option<String> {
    let mut buf = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut buf, formatter);
    value.serialize(&mut serializer).ok()?;
    String::from_utf8(buf).ok()
}

/// A float the way PHP prints it with `serialize_precision = -1`: the shortest digits that
/// round-trip, no `.0` on whole numbers, and exponent form (`1.0E+25`, `1.5E-7`) when the
/// decimal point would sit more than 17 places right or 4 places left of the first digit.
fn format_float(float: f64) -> String {
    if float.is_nan() {
        return "NAN".to_owned();
    }
    if float.is_infinite() {
        return if float > 0.0 { "INF" } else { "-INF" }.to_owned();
    }
    let sign = if float.is_sign_negative() { "-" } else { "" };
    if float == 0.0 {
        return format!("{sign}0");
    }
    // `{:e}` gives the shortest round-trip digits: `1.2345e3`, `1e-7`.
    let scientific = format!("{:e}", float.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let point = exponent + 1; // digits before the decimal point
    if !(-3..=17).contains(&point) {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() { "0" } else { rest };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        return format!("{sign}{first}.{rest}E{exp_sign}{}", exponent.unsigned_abs());
    }
    if exponent < 0 {
        let zeros = "0".repeat(usize::try_from(-point).unwrap_or(0));
        return format!("{sign}0.{zeros}{digits}");
    }
    let point = usize::try_from(point).unwrap_or(0);
    if digits.len() <= point {
        format!("{sign}{digits}{}", "0".repeat(point - digits.len()))
    } else {
        let (whole, fraction) = digits.split_at(point);
        format!("{sign}{whole}.{fraction}")
    }
}

// ---------------------------------------------------------------------------------------------
// Placeholders and request hashes
// ---------------------------------------------------------------------------------------------

/// The unique variable names a template reads (`{{ name }}`, `{% for x in items %}` …), sorted.
///
/// Works on broken templates too: when the template does not parse, falls back to scanning for
/// `{{ name }}` placeholders with names matching `[a-z][a-z0-9_]*`.
pub fn placeholders(template: &str) -> Vec<String> {
    let mut env = new_environment();
    match env.add_template_owned(TEMPLATE_NAME, template.to_owned()) {
        Ok(()) => used_variables(&env),
        Err(_) => scan_placeholders(template),
    }
}

/// `{{`, optional whitespace, `[a-z][a-z0-9_]*`, optional whitespace, `}}` (MiniJinja's `-`/`+`
/// whitespace markers allowed inside the braces).
fn scan_placeholders(template: &str) -> Vec<String> {
    let bytes = template.as_bytes();
    let skip_space = |mut i: usize| {
        while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        i
    };
    let mut names = BTreeSet::new();
    let mut start = 0;
    while let Some(offset) = template.get(start..).and_then(|rest| rest.find("{{")) {
        let open = start + offset;
        start = open + 1;
        let mut i = open + 2;
        if matches!(bytes.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        i = skip_space(i);
        let name_start = i;
        if !bytes.get(i).is_some_and(u8::is_ascii_lowercase) {
            continue;
        }
        while bytes
            .get(i)
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
        {
            i += 1;
        }
        let name_end = i;
        i = skip_space(i);
        if matches!(bytes.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        if bytes.get(i..i + 2) == Some(b"}}".as_slice()) {
            names.insert(template[name_start..name_end].to_owned());
            start = i + 2;
        }
    }
    names.into_iter().collect()
}

/// Groups identical calls in telemetry: sha256 hex of `template + "|" + compact JSON of args`.
pub fn request_hash(template: &str, args: &serde_json::Map<String, Value>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(template.as_bytes());
    hasher.update(b"|");
    hasher.update(serde_json::to_string(args).unwrap_or_default().as_bytes());
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The prompt ceiling of renders that are not about the ceiling.
    const LIMIT: usize = 1 << 20;

    fn var(name: &str, kind: VariableType, required: bool) -> PromptVariable {
        PromptVariable {
            name: name.to_owned(),
            kind,
            required,
            default: None,
            description: None,
        }
    }

    fn with_default(mut var: PromptVariable, default: Value) -> PromptVariable {
        var.default = Some(default);
        var
    }

    fn args(value: Value) -> serde_json::Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("args must be an object, got {other}"),
        }
    }

    fn messages(errors: &FieldErrors, field: &str) -> Vec<String> {
        errors.0.get(field).cloned().unwrap_or_default()
    }

    /// The single message of `field` when validating one `kind` variable named `v` against `value`.
    fn arg_error(kind: VariableType, value: Value) -> Option<String> {
        validate_args(&[var("v", kind, true)], &args(json!({ "v": value })))
            .err()
            .map(|errors| {
                let mut all = messages(&errors, "v");
                assert_eq!(all.len(), 1, "one message per field: {errors:?}");
                all.remove(0)
            })
    }

    fn render(template: &str, vars: Vec<PromptVariable>, values: Value) -> String {
        Prompt::compile(template, vars)
            .unwrap()
            .render(&args(values), LIMIT)
            .unwrap()
    }

    // --- Ported from the reference PromptRendererTest (1–17) -----------------------------------

    #[test]
    fn accepts_a_well_formed_schema() {
        let vars = parse_variables(&json!([
            {"name": "company", "type": "string", "required": true},
            {"name": "count", "type": "number", "required": false},
        ]))
        .unwrap();
        assert_eq!(
            vars,
            vec![
                var("company", VariableType::String, true),
                var("count", VariableType::Number, false)
            ]
        );
        check_variables(&vars).unwrap();
    }

    #[test]
    fn rejects_an_arg_name_that_breaks_the_naming_rule() {
        let errors = parse_variables(&json!([
            {"name": "Bad-Name", "type": "string", "required": true},
        ]))
        .unwrap_err();
        assert_eq!(
            messages(&errors, "Bad-Name"),
            ["Arg name \"Bad-Name\" must match /^[a-z][a-z0-9_]*$/."]
        );
        assert!(check_variables(&[var("Bad-Name", VariableType::String, true)]).is_err());
    }

    #[test]
    fn rejects_an_unknown_arg_type() {
        let errors = parse_variables(&json!([
            {"name": "when", "type": "datetime", "required": true},
        ]))
        .unwrap_err();
        assert_eq!(
            messages(&errors, "when"),
            [
                "Arg \"when\" has invalid type (must be one of: string, number, boolean, array, object, json)."
            ]
        );
    }

    #[test]
    fn rejects_a_non_boolean_required_flag() {
        for required in [json!("yes"), json!(1), Value::Null] {
            let errors = parse_variables(&json!([
                {"name": "flag", "type": "string", "required": required},
            ]))
            .unwrap_err();
            assert_eq!(
                messages(&errors, "flag"),
                ["Arg \"flag\" must declare a boolean `required` flag."]
            );
        }
        let errors = parse_variables(&json!([{"name": "flag", "type": "string"}])).unwrap_err();
        assert!(errors.contains("flag"));
    }

    #[test]
    fn rejects_duplicate_arg_names() {
        let errors = parse_variables(&json!([
            {"name": "dup", "type": "datetime", "required": true},
            {"name": "dup", "type": "string", "required": true},
        ]))
        .unwrap_err();
        let dup = messages(&errors, "dup");
        assert!(dup.iter().any(|m| m.contains("duplicated")), "{dup:?}");
        // The first descriptor's error survives the second one's.
        assert!(dup.iter().any(|m| m.contains("invalid type")), "{dup:?}");
        assert_eq!(
            dup.last().map(String::as_str),
            Some("Arg name \"dup\" is duplicated.")
        );

        let typed = [
            var("dup", VariableType::String, true),
            var("dup", VariableType::Number, false),
        ];
        let errors = check_variables(&typed).unwrap_err();
        assert_eq!(
            messages(&errors, "dup"),
            ["Arg name \"dup\" is duplicated."]
        );
    }

    #[test]
    fn throws_when_a_required_arg_with_no_default_is_missing() {
        let errors = validate_args(&[var("name", VariableType::String, true)], &args(json!({})))
            .unwrap_err();
        assert!(errors.contains("name"));
        assert_eq!(messages(&errors, "name"), ["Arg \"name\" is required."]);
    }

    #[test]
    fn does_not_throw_when_a_missing_required_arg_has_a_default() {
        let vars = [with_default(
            var("name", VariableType::String, true),
            json!("Anon"),
        )];
        validate_args(&vars, &args(json!({}))).unwrap();
        // An empty string is a default too; a null default is none.
        let vars = [with_default(
            var("name", VariableType::String, true),
            json!(""),
        )];
        validate_args(&vars, &args(json!({}))).unwrap();
        let vars = [with_default(
            var("name", VariableType::String, true),
            Value::Null,
        )];
        assert!(validate_args(&vars, &args(json!({}))).is_err());
        // An absent optional arg is fine.
        validate_args(
            &[var("name", VariableType::String, false)],
            &args(json!({})),
        )
        .unwrap();
    }

    #[test]
    fn throws_on_a_type_mismatch() {
        let errors = validate_args(
            &[var("count", VariableType::Number, true)],
            &args(json!({"count": "not-a-number"})),
        )
        .unwrap_err();
        assert!(errors.contains("count"));
        assert_eq!(
            messages(&errors, "count"),
            ["Arg \"count\" must be numeric."]
        );
    }

    #[test]
    fn accepts_a_numeric_string_for_a_number_arg() {
        assert_eq!(arg_error(VariableType::Number, json!("42")), None);
    }

    #[test]
    fn rejects_an_associative_array_supplied_for_an_array_arg() {
        assert_eq!(
            arg_error(VariableType::Array, json!({"a": 1})).as_deref(),
            Some("Arg \"v\" must be a list (no string keys).")
        );
    }

    #[test]
    fn substitutes_placeholders_with_supplied_values() {
        let out = render(
            "Hello {{name}}!",
            vec![var("name", VariableType::String, true)],
            json!({"name": "Ada"}),
        );
        assert_eq!(out, "Hello Ada!");
    }

    #[test]
    fn applies_a_default_when_the_arg_is_not_supplied() {
        let vars = vec![with_default(
            var("name", VariableType::String, false),
            json!("Stranger"),
        )];
        assert_eq!(render("Hi {{name}}", vars, json!({})), "Hi Stranger");
    }

    #[test]
    fn stringifies_booleans_as_true_and_false() {
        let vars = vec![
            var("yes", VariableType::Boolean, true),
            var("no", VariableType::Boolean, true),
        ];
        let out = render(
            "{{ yes }}/{{ no }}",
            vars,
            json!({"yes": true, "no": false}),
        );
        assert_eq!(out, "true/false");
    }

    #[test]
    fn stringifies_arrays_as_json() {
        let out = render(
            "{{ items }}",
            vec![var("items", VariableType::Array, true)],
            json!({"items": ["a", "b"]}),
        );
        assert_eq!(
            serde_json::from_str::<Value>(&out).unwrap(),
            json!(["a", "b"])
        );
    }

    #[test]
    fn an_undeclared_placeholder_is_a_compile_error() {
        let errors = Prompt::compile(
            "[{{ghost}}][{{present}}]",
            vec![var("present", VariableType::String, true)],
        )
        .unwrap_err();
        assert_eq!(
            messages(&errors, TEMPLATE_FIELD),
            ["The template uses {{ ghost }} but no variable \"ghost\" is declared."]
        );
    }

    #[test]
    fn a_declared_optional_variable_without_default_renders_empty() {
        let vars = vec![
            var("ghost", VariableType::String, false),
            var("present", VariableType::String, true),
        ];
        let out = render("[{{ghost}}][{{present}}]", vars, json!({"present": "x"}));
        assert_eq!(out, "[][x]");
    }

    #[test]
    fn extracts_unique_sorted_placeholder_names() {
        assert_eq!(
            placeholders("{{zebra}} {{alpha}} {{zebra}} text {{ mid }}"),
            ["alpha", "mid", "zebra"]
        );
    }

    #[test]
    fn returns_no_placeholders_when_there_are_none() {
        assert!(placeholders("Just text, no variables.").is_empty());
        assert!(placeholders("").is_empty());
    }

    // --- Schema validation ----------------------------------------------------------------------

    #[test]
    fn schema_errors_of_nameless_descriptors_are_keyed_by_index() {
        let errors = parse_variables(&json!([
            "not an object",
            {"type": "string", "required": true},
            {"name": "", "type": "string", "required": true},
            {"name": 7, "type": "string", "required": true},
            {"name": "ok", "type": "string", "required": true},
        ]))
        .unwrap_err();
        assert_eq!(
            messages(&errors, "_schema_0"),
            ["Each arg descriptor must be an object."]
        );
        for i in 1..=3 {
            assert_eq!(
                messages(&errors, &format!("_schema_{i}")),
                ["Arg descriptor is missing a name."]
            );
        }
        assert!(!errors.contains("ok"));
        assert_eq!(errors.0.len(), 4);
    }

    #[test]
    fn schema_names_longer_than_32_characters_are_rejected() {
        let long = "a".repeat(33);
        let errors = parse_variables(&json!([
            {"name": long, "type": "string", "required": true},
            {"name": "b".repeat(32), "type": "string", "required": true},
        ]))
        .unwrap_err();
        assert_eq!(errors.0.len(), 1);
        assert_eq!(
            messages(&errors, &long),
            [format!("Arg name \"{long}\" exceeds 32 characters.")]
        );
    }

    #[test]
    fn schema_name_rule_is_exact() {
        for good in ["a", "abc", "a1", "a_b_2", "z9_"] {
            assert!(is_valid_name(good), "{good}");
        }
        for bad in ["", "A", "1a", "_a", "a-b", "aB", "a b", "a\n", "é"] {
            assert!(!is_valid_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn parse_variables_keeps_defaults_and_descriptions() {
        let vars = parse_variables(&json!([
            {"name": "tone", "type": "string", "required": false, "default": "", "description": "How to sound"},
            {"name": "count", "type": "number", "required": false, "default": null, "description": null},
        ]))
        .unwrap();
        assert_eq!(vars[0].default, Some(json!("")));
        assert_eq!(vars[0].description.as_deref(), Some("How to sound"));
        assert_eq!(vars[1].default, None);
        assert_eq!(vars[1].description, None);
        assert_eq!(parse_variables(&Value::Null).unwrap(), []);
        assert!(
            parse_variables(&json!({"name": "x"}))
                .unwrap_err()
                .contains("_schema")
        );
    }

    #[test]
    fn parse_variables_checks_default_types_and_descriptions() {
        let errors = parse_variables(&json!([
            {"name": "count", "type": "number", "required": false, "default": "many"},
            {"name": "flag", "type": "boolean", "required": false, "default": "true"},
            {"name": "items", "type": "array", "required": false, "default": {"a": 1}},
            {"name": "data", "type": "json", "required": false, "default": "{oops"},
            {"name": "note", "type": "string", "required": false, "description": 5},
            {"name": "ratio", "type": "number", "required": false, "default": " 0.5 "},
        ]))
        .unwrap_err();
        assert_eq!(
            messages(&errors, "count"),
            ["Arg \"count\" default must be numeric."]
        );
        assert_eq!(
            messages(&errors, "flag"),
            ["Arg \"flag\" default must be a boolean."]
        );
        assert_eq!(
            messages(&errors, "items"),
            ["Arg \"items\" default must be a list (no string keys)."]
        );
        assert_eq!(
            messages(&errors, "data"),
            ["Arg \"data\" default must be a valid JSON string."]
        );
        assert_eq!(
            messages(&errors, "note"),
            ["Arg \"note\" description must be a string."]
        );
        assert!(!errors.contains("ratio"));
    }

    #[test]
    fn compile_rejects_defaults_of_the_wrong_type() {
        let vars = vec![
            with_default(var("count", VariableType::Number, false), json!("lots")),
            with_default(var("title", VariableType::String, false), json!(3)),
        ];
        let errors = Prompt::compile("{{ count }} {{ title }}", vars).unwrap_err();
        assert_eq!(
            messages(&errors, "count"),
            ["Arg \"count\" default must be numeric."]
        );
        assert_eq!(
            messages(&errors, "title"),
            ["Arg \"title\" default must be a string."]
        );
        assert!(!errors.contains(TEMPLATE_FIELD));
    }

    // --- Argument type rules --------------------------------------------------------------------

    #[test]
    fn string_args_must_be_strings() {
        assert_eq!(arg_error(VariableType::String, json!("")), None);
        for bad in [json!(12345), json!(true), json!(["a"]), json!({})] {
            assert_eq!(
                arg_error(VariableType::String, bad).as_deref(),
                Some("Arg \"v\" must be a string.")
            );
        }
    }

    #[test]
    fn number_args_follow_php_numeric_rules() {
        let good = [
            json!(42),
            json!(-1.5),
            json!("42"),
            json!("  1e3 "),
            json!(".5"),
            json!("-2"),
            json!("+3.25"),
            json!("1."),
            json!("-.5e-3"),
            json!("7E+2"),
            json!("\t\n12\r\n"),
        ];
        for value in good {
            assert_eq!(
                arg_error(VariableType::Number, value.clone()),
                None,
                "{value}"
            );
        }
        let bad = [
            json!("0x1A"),
            json!("NaN"),
            json!("nan"),
            json!("inf"),
            json!("INF"),
            json!(""),
            json!(" "),
            json!("."),
            json!("-"),
            json!("1e"),
            json!("1e+"),
            json!("e3"),
            json!("1 2"),
            json!("1_000"),
            json!("12abc"),
            json!(true),
            json!([1]),
        ];
        for value in bad {
            assert_eq!(
                arg_error(VariableType::Number, value.clone()).as_deref(),
                Some("Arg \"v\" must be numeric."),
                "{value}"
            );
        }
    }

    #[test]
    fn boolean_args_must_be_real_booleans() {
        assert_eq!(arg_error(VariableType::Boolean, json!(false)), None);
        for bad in [json!("true"), json!(1), json!(0), json!("false")] {
            assert_eq!(
                arg_error(VariableType::Boolean, bad).as_deref(),
                Some("Arg \"v\" must be a boolean.")
            );
        }
    }

    #[test]
    fn array_args_must_be_lists() {
        for good in [json!([]), json!([1, "a"]), json!({})] {
            assert_eq!(arg_error(VariableType::Array, good.clone()), None, "{good}");
        }
        assert_eq!(
            arg_error(VariableType::Array, json!({"0": "a"})).as_deref(),
            Some("Arg \"v\" must be a list (no string keys).")
        );
        for bad in [json!("a,b"), json!(3), json!(true)] {
            assert_eq!(
                arg_error(VariableType::Array, bad).as_deref(),
                Some("Arg \"v\" must be a list.")
            );
        }
    }

    #[test]
    fn object_args_must_be_maps() {
        for good in [json!({}), json!({"a": 1}), json!([])] {
            assert_eq!(
                arg_error(VariableType::Object, good.clone()),
                None,
                "{good}"
            );
        }
        for bad in [json!([1]), json!("{}"), json!(1)] {
            assert_eq!(
                arg_error(VariableType::Object, bad).as_deref(),
                Some("Arg \"v\" must be an object (associative array).")
            );
        }
    }

    #[test]
    fn json_args_must_be_valid_json_strings() {
        for good in ["null", "123", "\"x\"", "{\"a\": [1, 2]}", " [] "] {
            assert_eq!(arg_error(VariableType::Json, json!(good)), None, "{good}");
        }
        for bad in ["", "{oops", "[1,]", "nul"] {
            assert_eq!(
                arg_error(VariableType::Json, json!(bad)).as_deref(),
                Some("Arg \"v\" must be a valid JSON string."),
                "{bad}"
            );
        }
        for bad in [json!({"a": 1}), json!(1), json!([])] {
            assert_eq!(
                arg_error(VariableType::Json, bad).as_deref(),
                Some("Arg \"v\" must be a JSON string.")
            );
        }
    }

    #[test]
    fn a_supplied_null_fails_every_type() {
        let messages = [
            (VariableType::String, "must be a string."),
            (VariableType::Number, "must be numeric."),
            (VariableType::Boolean, "must be a boolean."),
            (VariableType::Array, "must be a list."),
            (
                VariableType::Object,
                "must be an object (associative array).",
            ),
            (VariableType::Json, "must be a JSON string."),
        ];
        for (kind, message) in messages {
            // Optional and with a default: an explicit null is still checked.
            let vars = [with_default(var("v", kind, false), json!("x"))];
            let errors = validate_args(&vars, &args(json!({"v": null}))).unwrap_err();
            assert_eq!(
                errors.0.get("v").cloned().unwrap_or_default(),
                [format!("Arg \"v\" {message}")]
            );
        }
    }

    #[test]
    fn undeclared_args_are_ignored() {
        let vars = [var("name", VariableType::String, true)];
        validate_args(&vars, &args(json!({"name": "Ada", "extra": null}))).unwrap();
        let out = render(
            "Hi {{ name }}",
            vars.to_vec(),
            json!({"name": "Ada", "x": 1}),
        );
        assert_eq!(out, "Hi Ada");
    }

    #[test]
    fn every_failing_arg_is_reported() {
        let vars = [
            var("a", VariableType::String, true),
            var("b", VariableType::Number, true),
            var("c", VariableType::Boolean, false),
        ];
        let errors = validate_args(&vars, &args(json!({"b": "x", "c": "yes"}))).unwrap_err();
        assert_eq!(
            errors.summary(),
            "a: Arg \"a\" is required.; b: Arg \"b\" must be numeric.; c: Arg \"c\" must be a boolean."
        );
    }

    // --- Compiling and rendering ----------------------------------------------------------------

    #[test]
    fn syntax_errors_are_reported_on_the_template_field_with_a_line() {
        let errors = Prompt::compile(
            "line one\nline two {{ name ",
            vec![var("name", VariableType::String, true)],
        )
        .unwrap_err();
        let template_errors = messages(&errors, TEMPLATE_FIELD);
        assert_eq!(template_errors.len(), 1, "{errors:?}");
        assert!(
            template_errors[0].contains("syntax error"),
            "{template_errors:?}"
        );
        assert!(template_errors[0].contains(":2"), "{template_errors:?}");
    }

    #[test]
    fn compile_reports_variable_and_template_errors_together() {
        let errors = Prompt::compile(
            "{{ Bad }} {{ missing }} {{ other }}",
            vec![var("Bad", VariableType::String, true)],
        )
        .unwrap_err();
        assert!(errors.contains("Bad"));
        assert_eq!(
            messages(&errors, TEMPLATE_FIELD),
            [
                "The template uses {{ missing }} but no variable \"missing\" is declared.",
                "The template uses {{ other }} but no variable \"other\" is declared.",
            ]
        );
    }

    #[test]
    fn variables_used_in_tags_must_be_declared_too() {
        let errors = Prompt::compile(
            "{% for item in items %}{{ item }}{% endfor %}{% if urgent %}!{% endif %}",
            vec![var("items", VariableType::Array, true)],
        )
        .unwrap_err();
        assert_eq!(
            messages(&errors, TEMPLATE_FIELD),
            ["The template uses {{ urgent }} but no variable \"urgent\" is declared."]
        );
    }

    #[test]
    fn globals_and_template_locals_need_no_declaration() {
        let prompt = Prompt::compile(
            "{% set sep = ', ' %}{% for i in range(3) %}{{ i }}{% if not loop.last %}{{ sep }}{% endif %}{% endfor %}",
            Vec::new(),
        )
        .unwrap();
        assert_eq!(prompt.render(&args(json!({})), LIMIT).unwrap(), "0, 1, 2");
    }

    #[test]
    fn for_loops_over_array_variables() {
        let vars = vec![var("items", VariableType::Array, true)];
        let out = render(
            "{% for item in items %}- {{ item.name }} x{{ item.qty }}\n{% endfor %}",
            vars,
            json!({"items": [{"name": "apple", "qty": 2}, {"name": "pear", "qty": 1.5}]}),
        );
        assert_eq!(out, "- apple x2\n- pear x1.5\n");
    }

    #[test]
    fn floats_print_in_shortest_round_trip_form() {
        let vars = vec![var("n", VariableType::Number, true)];
        let prompt = Prompt::compile("{{ n }}", vars).unwrap();
        let cases = [
            (json!(1.0), "1"),
            (json!(0.1), "0.1"),
            (json!(-2.5), "-2.5"),
            (json!(1e25), "1.0E+25"),
            (json!(1.5e-7), "1.5E-7"),
            (json!(0.0001), "0.0001"),
            (json!(123456.789), "123456.789"),
            (json!(42), "42"),
            (json!(-7), "-7"),
            (json!(u64::MAX), "18446744073709551615"),
        ];
        for (value, expected) in cases {
            let out = prompt.render(&args(json!({"n": value})), LIMIT).unwrap();
            assert_eq!(out, expected, "{value}");
        }
        assert_eq!(format_float(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(format_float(-0.0), "-0");
        assert_eq!(format_float(1e16), "10000000000000000");
        assert_eq!(format_float(1e17), "1.0E+17");
        assert_eq!(format_float(1.25e20), "1.25E+20");
        assert_eq!(format_float(0.00001), "1.0E-5");
        assert_eq!(format_float(f64::INFINITY), "INF");
    }

    #[test]
    fn numeric_strings_become_numbers() {
        let vars = vec![var("n", VariableType::Number, true)];
        let prompt = Prompt::compile("{{ n }}|{{ n + 1 }}", vars).unwrap();
        let cases = [
            (" 41 ", "41|42"),
            ("1e3", "1000|1001"),
            (".5", "0.5|1.5"),
            ("-2", "-2|-1"),
        ];
        for (text, expected) in cases {
            assert_eq!(
                prompt.render(&args(json!({ "n": text })), LIMIT).unwrap(),
                expected
            );
        }
        // Defaults go through the same conversion.
        let vars = vec![with_default(
            var("n", VariableType::Number, false),
            json!("2.50"),
        )];
        assert_eq!(render("{{ n * 2 }}", vars, json!({})), "5");
    }

    #[test]
    fn lists_and_maps_print_as_pretty_json() {
        let vars = vec![
            var("items", VariableType::Array, true),
            var("info", VariableType::Object, true),
        ];
        let out = render(
            "{{ items }}\n{{ info }}",
            vars,
            json!({"items": ["é/ü", 1.0, true, null], "info": {"url": "https://a.b/c", "n": {"k": []}}}),
        );
        let expected = "[\n    \"é/ü\",\n    1.0,\n    true,\n    null\n]\n{\n    \"n\": {\n        \"k\": []\n    },\n    \"url\": \"https://a.b/c\"\n}";
        assert_eq!(out, expected);
    }

    #[test]
    fn json_strings_are_inserted_verbatim_and_nothing_is_escaped() {
        let vars = vec![
            var("data", VariableType::Json, true),
            var("html", VariableType::String, true),
        ];
        let out = render(
            "{{ data }} {{ html }}",
            vars,
            json!({"data": "{\"a\": [1,2]}", "html": "<b>&</b>"}),
        );
        assert_eq!(out, "{\"a\": [1,2]} <b>&</b>");
    }

    #[test]
    fn the_trailing_newline_is_kept() {
        let vars = vec![var("name", VariableType::String, true)];
        assert_eq!(
            render("Hi {{ name }}\n", vars, json!({"name": "Ada"})),
            "Hi Ada\n"
        );
    }

    #[test]
    fn none_values_print_as_nothing() {
        assert_eq!(render("[{{ none }}]", Vec::new(), json!({})), "[]");
        let vars = vec![var("flag", VariableType::Boolean, true)];
        assert_eq!(
            render("[{{ 'yes' if flag }}]", vars, json!({"flag": false})),
            "[]"
        );
    }

    #[test]
    fn a_compiled_prompt_renders_many_times() {
        let vars = vec![
            var("name", VariableType::String, true),
            with_default(var("greeting", VariableType::String, false), json!("Hello")),
        ];
        let prompt = Prompt::compile("{{ greeting }}, {{ name }}!", vars.clone()).unwrap();
        assert_eq!(prompt.template(), "{{ greeting }}, {{ name }}!");
        assert_eq!(prompt.variables(), vars.as_slice());
        assert_eq!(
            prompt.render(&args(json!({"name": "Ada"})), LIMIT).unwrap(),
            "Hello, Ada!"
        );
        assert_eq!(
            prompt
                .render(&args(json!({"name": "Grace", "greeting": "Hi"})), LIMIT)
                .unwrap(),
            "Hi, Grace!"
        );
        let errors = prompt.render(&args(json!({})), LIMIT).unwrap_err();
        assert_eq!(messages(&errors, "name"), ["Arg \"name\" is required."]);
        assert!(format!("{prompt:?}").contains("greeting"));
    }

    #[test]
    fn prompts_can_be_shared_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Prompt>();
        let prompt = std::sync::Arc::new(
            Prompt::compile("#{{ n }}", vec![var("n", VariableType::Number, true)]).unwrap(),
        );
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let prompt = prompt.clone();
                std::thread::spawn(move || prompt.render(&args(json!({ "n": i })), LIMIT).unwrap())
            })
            .collect();
        let outputs: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(outputs, ["#0", "#1", "#2", "#3"]);
    }

    #[test]
    fn render_time_errors_are_reported_on_the_template_field() {
        let vars = vec![var("name", VariableType::String, true)];
        let prompt = Prompt::compile("{{ name.first.second }}", vars).unwrap();
        let errors = prompt
            .render(&args(json!({"name": "Ada"})), LIMIT)
            .unwrap_err();
        assert_eq!(errors.0.len(), 1);
        assert_eq!(messages(&errors, TEMPLATE_FIELD).len(), 1, "{errors:?}");
    }

    #[test]
    fn a_prompt_over_the_ceiling_is_refused_on_the_template_field() {
        let vars = vec![var("text", VariableType::String, true)];
        let prompt =
            Prompt::compile("{% for i in range(100000) %}{{ text }}{% endfor %}", vars).unwrap();
        let text = "x".repeat(1000);
        let errors = prompt
            .render(&args(json!({ "text": text })), 64 * 1024)
            .unwrap_err();
        let all = messages(&errors, TEMPLATE_FIELD);
        assert!(all[0].contains("longer than 65536 bytes"), "{all:?}");
        // Exactly at the ceiling is still a prompt.
        let once =
            Prompt::compile("{{ text }}", vec![var("text", VariableType::String, true)]).unwrap();
        assert_eq!(
            once.render(&args(json!({ "text": text })), 1000).unwrap(),
            text
        );
        assert!(once.render(&args(json!({ "text": text })), 999).is_err());
        // Bytes, not characters, and never half a character: 250 crabs are 1,000 bytes.
        let crabs = "🦀".repeat(250);
        assert_eq!(
            once.render(&args(json!({ "text": crabs })), 1000).unwrap(),
            crabs
        );
        assert!(once.render(&args(json!({ "text": crabs })), 999).is_err());
    }

    /// Templates that use every variable type the ways prompts do: printed, looped over,
    /// filtered, compared, indexed.
    const HOSTILE_TEMPLATES: &[&str] = &[
        "{{ s }} {{ n }} {{ b }} {{ a }} {{ o }} {{ j }}",
        "{% for x in a %}{{ loop.index }}: {{ x }}{% endfor %}{% for k, v in o|items %}{{ k }}={{ v }}{% endfor %}",
        "{{ s|upper }} {{ s|length }} {{ a|join(', ') }} {{ n + 1 }} {% if b %}yes{% endif %}",
        "{{ s * 3 }}{{ a|first }}{{ o.key }}{{ a[0] }}{{ s[1:] }}{{ n > 2 }}",
        "{% for i in range(1000) %}{{ s }}{{ a }}{% endfor %}",
    ];

    fn hostile_vars() -> Vec<PromptVariable> {
        [
            ("s", VariableType::String),
            ("n", VariableType::Number),
            ("b", VariableType::Boolean),
            ("a", VariableType::Array),
            ("o", VariableType::Object),
            ("j", VariableType::Json),
        ]
        .into_iter()
        .map(|(name, kind)| var(name, kind, false))
        .collect()
    }

    proptest::proptest! {
        /// Any arguments, however odd, render within the ceiling or are refused with field
        /// errors: never a panic, never a prompt over the ceiling.
        #[test]
        fn fuzz_hostile_args_render_or_are_refused(
            template in proptest::sample::select(HOSTILE_TEMPLATES),
            values in proptest::collection::vec(crate::test_support::any_json(), 6),
            limit in 0usize..8192,
        ) {
            let vars = hostile_vars();
            let prompt = Prompt::compile(template, vars.clone()).unwrap();
            let args = vars
                .iter()
                .zip(values)
                .filter(|(_, value)| !value.is_null())
                .map(|(var, value)| (var.name.clone(), value))
                .collect();
            match prompt.render(&args, limit) {
                Ok(text) => proptest::prop_assert!(text.len() <= limit),
                Err(errors) => proptest::prop_assert!(!errors.0.is_empty()),
            }
        }
    }

    // --- Placeholders and request hashes --------------------------------------------------------

    #[test]
    fn placeholders_include_variables_used_in_tags() {
        assert_eq!(
            placeholders("{% for x in items %}{{ x }}{{ sep }}{% endfor %}{{ range(2) }}"),
            ["items", "sep"]
        );
    }

    #[test]
    fn placeholders_survive_a_broken_template() {
        let broken = "{{ zebra }} {% if %} {{alpha}} {{ Upper }} {{a-b}} {{-trim-}} {{ unclosed";
        assert_eq!(placeholders(broken), ["alpha", "trim", "zebra"]);
        assert_eq!(
            scan_placeholders("{{{name}}} {{ x }}{{y}}"),
            ["name", "x", "y"]
        );
    }

    #[test]
    fn request_hashes_are_stable_and_depend_on_args() {
        let template = "Hi {{ name }}";
        let a = request_hash(template, &args(json!({"name": "Ada"})));
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(a, request_hash(template, &args(json!({"name": "Ada"}))));
        assert_ne!(a, request_hash(template, &args(json!({"name": "Grace"}))));
        assert_ne!(
            a,
            request_hash("Hello {{ name }}", &args(json!({"name": "Ada"})))
        );
        let expected = hex::encode(Sha256::digest(b"Hi {{ name }}|{\"name\":\"Ada\"}"));
        assert_eq!(a, expected);
    }
}
