//! "Draft with AI": a helper model turns an admin's description of a use case into a prompt
//! template and its variables. Nothing is saved; the console fills its form with the draft. The
//! helper call goes through the one invocation path (`invoke::call`, target `Helper`): rate
//! limited per admin, held against the deployment's default daily cap, recorded and billed like
//! any other call.

use std::collections::BTreeMap;

use gateway_types::{DraftResult, FieldErrors, PromptVariable, VariableType, VersionDraft};
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::invoke::{Call, Caller, CallerKind, ChatMessage, Target};
use crate::{Gateway, prompts};

const INSTRUCTIONS: &str = "You are a prompt engineer. You design reusable prompt templates for an \
AI gateway, where each use case is a named integration called by software.\n\
Produce:\n\
1. a production-quality prompt template. Values that change from call to call appear as \
{{ snake_case }} placeholders; everything else is fixed text.\n\
2. one variable descriptor per placeholder.\n\
Rules: variable names match ^[a-z][a-z0-9_]*$ and have at most 32 characters; placeholders and \
descriptors correspond one to one; a descriptor has name, type (one of string, number, boolean, \
array, object, json), required (true or false) and an optional short description; prefer string \
unless structure is clearly needed.\n\
Reply with ONLY a JSON object, no code fences: \
{\"system_prompt\": \"...\", \"prompt_args\": [{\"name\": \"...\", \"type\": \"string\", \
\"required\": true, \"description\": \"...\"}], \"notes\": \"one short sentence or null\"}";

const MAX_TOKENS: u32 = 2048;
/// A description longer than this is more likely a pasted document than a use case.
const MAX_BRIEF_CHARS: usize = 4000;
/// Identifies the helper's rows in telemetry; no integration has this slug (slugs start with a letter).
pub(crate) const SLUG: &str = "(prompt-builder)";
/// Drafts one admin may ask for per minute: a person clicking, not a script.
pub(crate) const RATE_PER_MINUTE: u32 = 10;

/// What the helper model proposed.
pub use gateway_types::PromptDraft as Draft;

/// Asks the helper model for a draft. `existing` (the form's current template) is improved
/// rather than replaced when it is not blank.
pub async fn draft(
    gateway: &Gateway,
    brief: &str,
    existing: Option<&str>,
    admin: Option<&str>,
) -> Result<Draft> {
    let settings = gateway.snapshot().settings.clone();
    if !settings.prompt_builder_enabled {
        return Err(Error::invalid(
            "brief",
            "Draft with AI is switched off in the settings.",
        ));
    }
    if brief.trim().is_empty() {
        return Err(Error::invalid("brief", "Describe the use case first."));
    }
    if brief.chars().count() > MAX_BRIEF_CHARS {
        return Err(Error::invalid(
            "brief",
            format!("Keep the description under {MAX_BRIEF_CHARS} characters."),
        ));
    }
    let model = settings.prompt_builder_model.trim().to_owned();
    if model.is_empty() {
        return Err(Error::invalid(
            "brief",
            "Choose a helper model for Draft with AI in the settings.",
        ));
    }
    let mut request = format!("Task description:\n{}", brief.trim());
    if let Some(existing) = existing.map(str::trim).filter(|e| !e.is_empty()) {
        request.push_str("\n\nImprove this existing prompt rather than starting from scratch:\n");
        request.push_str(existing);
    }
    let draft = VersionDraft {
        // The instructions speak of `{{ placeholders }}` themselves: sent as written.
        prompt_template: format!("{{% raw %}}{INSTRUCTIONS}{{% endraw %}}"),
        models: vec![model],
        default_params: BTreeMap::from([
            ("max_tokens".to_owned(), json!(MAX_TOKENS)),
            ("temperature".to_owned(), json!(0.4)),
            ("response_format".to_owned(), json!({"type": "json_object"})),
        ]),
        ..VersionDraft::default()
    };
    let call = Call {
        messages: vec![ChatMessage::user(request)],
        caller: Caller {
            kind: CallerKind::PromptBuilder,
            id: admin.map(str::to_owned),
        },
        ..Call::new(Target::Helper { draft })
    };
    let answer = gateway.call(call).await?.into_done()?;
    parse(&answer.text).map_err(Error::Invalid)
}

/// The helper model behind "Draft with AI", or `None` while it is switched off.
pub fn helper_model(gateway: &Gateway) -> Option<String> {
    let settings = &gateway.snapshot().settings;
    settings
        .prompt_builder_enabled
        .then(|| settings.prompt_builder_model.clone())
}

/// The console's "Draft with AI": a draft, or a sentence saying why there is none (switched
/// off, no description, the helper model failing or answering nonsense). Only failures of the
/// gateway itself stay errors.
pub async fn draft_for_console(
    gateway: &Gateway,
    brief: &str,
    existing: Option<&str>,
    admin: &str,
) -> Result<DraftResult> {
    match draft(gateway, brief, existing, Some(admin)).await {
        Ok(draft) => Ok(DraftResult::Drafted(draft)),
        Err(Error::Invalid(errors)) => Ok(DraftResult::Failed(
            errors
                .0
                .into_values()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
        )),
        Err(refused @ (Error::RateLimited { .. } | Error::BudgetExceeded { .. })) => {
            Ok(DraftResult::Failed(format!(
                "Draft with AI is paused: {refused}. Try again later."
            )))
        }
        Err(Error::Upstream(error)) => {
            let model = gateway.snapshot().settings.prompt_builder_model.clone();
            Ok(DraftResult::Failed(format!(
                "The helper model {model} failed: {error}. Try again, or choose another helper \
                 model in the settings."
            )))
        }
        Err(other) => Err(other),
    }
}

/// Reads the helper's reply: JSON, possibly inside a markdown fence; unknown types become
/// `string`, descriptors without a name are skipped, and the result must compile.
pub fn parse(reply: &str) -> std::result::Result<Draft, FieldErrors> {
    let unusable = || {
        FieldErrors::single(
            "brief",
            "The helper model returned an answer that is not a usable draft; try again.",
        )
    };
    let body: String = reply
        .trim()
        .lines()
        .filter(|line| !line.trim_start().starts_with("```"))
        .collect::<Vec<_>>()
        .join("\n");
    let value: Value = serde_json::from_str(body.trim()).map_err(|_| unusable())?;
    let object = match &value {
        Value::Object(object) => object.clone(),
        Value::Array(_) => serde_json::Map::new(),
        _ => return Err(unusable()),
    };
    let prompt_template = object
        .get("system_prompt")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let variables: Vec<PromptVariable> = object
        .get("prompt_args")
        .and_then(Value::as_array)
        .map(|args| args.iter().filter_map(coerce_variable).collect())
        .unwrap_or_default();
    let notes = object
        .get("notes")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .filter(|n| !n.trim().is_empty());
    prompts::Prompt::compile(&prompt_template, variables.clone())?;
    Ok(Draft {
        prompt_template,
        variables,
        notes,
    })
}

fn coerce_variable(raw: &Value) -> Option<PromptVariable> {
    let name = match raw.get("name")? {
        Value::String(name) if !name.trim().is_empty() => name.trim().to_owned(),
        _ => return None,
    };
    let kind = raw
        .get("type")
        .and_then(Value::as_str)
        .and_then(VariableType::parse)
        .unwrap_or(VariableType::String);
    Some(PromptVariable {
        name,
        kind,
        required: raw
            .get("required")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        default: None,
        description: raw
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_becomes_template_variables_and_notes() {
        let draft = parse(r#"{"system_prompt":"Hi {{ name }}","prompt_args":[{"name":"name","type":"string","required":true}],"notes":"x"}"#)
            .unwrap();
        assert_eq!(draft.prompt_template, "Hi {{ name }}");
        assert_eq!(draft.notes.as_deref(), Some("x"));
        assert_eq!(draft.variables.len(), 1);
        assert_eq!(draft.variables[0].kind, VariableType::String);
        assert!(draft.variables[0].required);
    }

    #[test]
    fn unknown_types_become_strings_and_nameless_descriptors_are_skipped() {
        let draft = parse(
            r#"{"system_prompt":"On {{ when }}","prompt_args":[{"name":"when","type":"datetime"},{"type":"string"}],"notes":null}"#,
        )
        .unwrap();
        assert_eq!(draft.variables.len(), 1);
        assert_eq!(draft.variables[0].kind, VariableType::String);
        assert!(!draft.variables[0].required);
        assert_eq!(draft.notes, None);
    }

    #[test]
    fn markdown_fences_are_stripped() {
        let reply = "```json\n{\"system_prompt\":\"Fenced {{ x }}\",\"prompt_args\":[{\"name\":\"x\",\"type\":\"string\",\"required\":true}]}\n```";
        let draft = parse(reply).unwrap();
        assert_eq!(draft.prompt_template, "Fenced {{ x }}");
        assert_eq!(draft.variables.len(), 1);
    }

    #[test]
    fn prose_and_templates_with_undeclared_placeholders_are_unusable() {
        assert!(
            parse("this is definitely not json")
                .unwrap_err()
                .contains("brief")
        );
        let errors = parse(r#"{"system_prompt":"Hi {{ who }}","prompt_args":[]}"#).unwrap_err();
        assert!(errors.contains("prompt_template"), "{errors:?}");
    }
}
