//! The editor's test panel: a form generated from the prompt's variables, an optional extra user
//! message, and either one run of the unsaved form or a saved version, or a side-by-side
//! comparison. Runs count as admin tests.

use std::collections::BTreeMap;

use gateway_types::{ModelChoice, PromptVariable, TestRun, VariableType, Version, VersionDraft};
use leptos::prelude::*;
use serde_json::{Map, Value};

use crate::components::run::{RunOutput, RunView, start};
use crate::components::side_by_side::SideBySide;

#[component]
pub fn TestPanel(
    integration_id: i64,
    draft: RwSignal<VersionDraft>,
    /// The integration's saved versions, newest first.
    #[prop(into)]
    versions: Signal<Vec<Version>>,
    catalog: StoredValue<Vec<ModelChoice>>,
    /// Saves the form (after a side-by-side column was promoted into it).
    on_promote: Callback<()>,
) -> impl IntoView {
    let inputs = RwSignal::new(BTreeMap::<String, String>::new());
    let input_errors = RwSignal::new(BTreeMap::<String, String>::new());
    let message = RwSignal::new(String::new());
    let side_by_side = RwSignal::new(false);

    // The inputs as a run takes them, or `None` after showing what is wrong with them.
    let request = Callback::new(move |()| {
        let variables = draft.with_untracked(|d| d.variables.clone());
        match typed_args(&variables, &inputs.get_untracked()) {
            Err(problems) => {
                input_errors.set(problems);
                None
            }
            Ok(args) => {
                input_errors.set(BTreeMap::new());
                Some(TestRun {
                    integration_id,
                    draft: None,
                    version_id: None,
                    model: None,
                    args,
                    message: Some(message.get_untracked()).filter(|m| !m.trim().is_empty()),
                })
            }
        }
    });

    let tab = move |label: &'static str, compare: bool| {
        view! {
            <button
                type="button"
                role="tab"
                aria-selected=move || (side_by_side.get() == compare).to_string()
                class="border-b-2 px-3 py-1.5"
                class=("border-indigo-600", move || side_by_side.get() == compare)
                class=("font-semibold", move || side_by_side.get() == compare)
                class=("border-transparent", move || side_by_side.get() != compare)
                on:click=move |_| side_by_side.set(compare)
            >
                {label}
            </button>
        }
    };

    view! {
        <div class="space-y-4" data-testid="test-panel">
            <div class="grid gap-3 md:grid-cols-2">
                {move || draft.with(|d| d.variables.clone()).into_iter().map(|variable| {
                    view! { <ArgInput variable inputs input_errors /> }
                }).collect_view()}
            </div>
            <label class="block text-sm">
                <span class="font-medium text-slate-700">"Extra user message (optional)"</span>
                <textarea
                    aria-label="Extra user message"
                    class="mt-1 w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm"
                    rows="2"
                    prop:value=move || message.get()
                    on:input=move |ev| message.set(event_target_value(&ev))
                ></textarea>
            </label>
            <div class="flex gap-2 border-b border-slate-200 text-sm" role="tablist">
                {tab("Single run", false)}
                {tab("Side by side", true)}
            </div>
            <Show
                when=move || side_by_side.get()
                fallback=move || view! { <SingleRun draft versions request /> }
            >
                <SideBySide draft versions catalog request on_promote />
            </Show>
        </div>
    }
    .into_any()
}

/// One run of the unsaved form or of a saved version (the active one by default).
#[component]
fn SingleRun(
    draft: RwSignal<VersionDraft>,
    versions: Signal<Vec<Version>>,
    request: Callback<(), Option<TestRun>>,
) -> impl IntoView {
    let use_form = RwSignal::new(true);
    // `None` stands for the active version, whichever that is when the run starts.
    let chosen_version = RwSignal::new(None::<i64>);
    let view_of_run = RunView::default();
    let run = move |_| {
        if let Some(mut run) = request.run(()) {
            if use_form.get_untracked() {
                run.draft = Some(draft.get_untracked());
            } else {
                run.version_id = chosen_version.get_untracked();
            }
            start(view_of_run, run);
        }
    };
    view! {
        <div class="flex flex-wrap items-center gap-4 text-sm">
            <label class="flex items-center gap-2">
                <input type="radio" name="test-target" prop:checked=move || use_form.get() on:change=move |_| use_form.set(true) />
                "The form as it is (unsaved)"
            </label>
            <label class="flex items-center gap-2">
                <input type="radio" name="test-target" prop:checked=move || !use_form.get() on:change=move |_| use_form.set(false) />
                "A saved version:"
            </label>
            <select
                aria-label="Saved version to test"
                class="rounded-md border border-slate-300 px-2 py-1 text-sm"
                on:change=move |ev| {
                    chosen_version.set(event_target_value(&ev).parse().ok());
                    use_form.set(false);
                }
            >
                <option value="">"The active version"</option>
                <VersionOptions versions />
            </select>
            <button
                type="button"
                class="ml-auto rounded-md bg-emerald-700 px-4 py-2 font-medium text-white hover:bg-emerald-600 disabled:opacity-50"
                disabled=move || view_of_run.running.get()
                on:click=run
            >
                {move || if view_of_run.running.get() { "Running…" } else { "Run test" }}
            </button>
        </div>
        <RunOutput run=view_of_run />
    }
    .into_any()
}

/// An `<option>` for each saved version, valued by its id.
#[component]
pub fn VersionOptions(versions: Signal<Vec<Version>>) -> impl IntoView {
    move || {
        versions
            .get()
            .into_iter()
            .map(|v| view! { <option value=v.id.to_string()>{version_label(&v)}</option> })
            .collect_view()
    }
}

/// `v3 (active)`.
pub fn version_label(version: &Version) -> String {
    if version.active {
        format!("v{} (active)", version.number)
    } else {
        format!("v{}", version.number)
    }
}

/// One variable's input, typed by the variable's type.
#[component]
fn ArgInput(
    variable: PromptVariable,
    inputs: RwSignal<BTreeMap<String, String>>,
    input_errors: RwSignal<BTreeMap<String, String>>,
) -> impl IntoView {
    let name = variable.name.clone();
    let (read, write, problem) = (name.clone(), name.clone(), name.clone());
    let value = move || inputs.with(|i| i.get(&read).cloned().unwrap_or_default());
    let set = move |text: String| {
        inputs.update(|i| {
            i.insert(write.clone(), text);
        })
    };
    let label = format!(
        "{}{} ({})",
        variable.name,
        if variable.required && variable.default.is_none() {
            " *"
        } else {
            ""
        },
        variable.kind.as_str()
    );
    let input = match variable.kind {
        VariableType::Boolean => view! {
            <select
                aria-label=format!("Argument {name}")
                class="mt-1 w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm"
                on:change=move |ev| set(event_target_value(&ev))
            >
                <option value="">"not set"</option>
                <option value="true">"true"</option>
                <option value="false">"false"</option>
            </select>
        }
        .into_any(),
        VariableType::String | VariableType::Number => view! {
            <input
                type=if variable.kind == VariableType::Number { "number" } else { "text" }
                step="any"
                aria-label=format!("Argument {name}")
                class="mt-1 w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm"
                prop:value=value
                on:input=move |ev| set(event_target_value(&ev))
            />
        }
        .into_any(),
        VariableType::Array | VariableType::Object | VariableType::Json => view! {
            <textarea
                aria-label=format!("Argument {name}")
                class="mt-1 w-full rounded-md border border-slate-300 px-3 py-1.5 font-mono text-sm"
                rows="3"
                placeholder="JSON"
                prop:value=value
                on:input=move |ev| set(event_target_value(&ev))
            ></textarea>
        }
        .into_any(),
    };
    view! {
        <label class="block text-sm">
            <span class="font-medium text-slate-700">{label}</span>
            {input}
            {variable.description.map(|d| view! { <span class="mt-1 block text-xs text-slate-500">{d}</span> })}
            {move || input_errors.with(|e| e.get(&problem).cloned()).map(|p| view! {
                <p class="mt-1 text-xs text-red-700">{p}</p>
            })}
        </label>
    }
}

/// The arguments as the API takes them, typed by each variable's type; empty inputs are left
/// out (the server then applies defaults or says what is required). JSON that does not parse is
/// reported here, before anything is sent.
fn typed_args(
    variables: &[PromptVariable],
    inputs: &BTreeMap<String, String>,
) -> Result<Map<String, Value>, BTreeMap<String, String>> {
    let mut args = Map::new();
    let mut problems = BTreeMap::new();
    for variable in variables {
        let Some(text) = inputs
            .get(&variable.name)
            .map(|t| t.trim())
            .filter(|t| !t.is_empty())
        else {
            continue;
        };
        let value = match variable.kind {
            VariableType::String => Ok(Value::from(text)),
            VariableType::Number => text
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or("Must be a number."),
            VariableType::Boolean => Ok(Value::Bool(text == "true")),
            VariableType::Array | VariableType::Object => serde_json::from_str::<Value>(text)
                .ok()
                .filter(|v| {
                    if variable.kind == VariableType::Array {
                        v.is_array()
                    } else {
                        v.is_object()
                    }
                })
                .ok_or(if variable.kind == VariableType::Array {
                    "Must be a JSON list."
                } else {
                    "Must be a JSON object."
                }),
            VariableType::Json => serde_json::from_str::<Value>(text)
                .map(|_| Value::from(text))
                .map_err(|_| "Must be valid JSON."),
        };
        match value {
            Ok(value) => {
                args.insert(variable.name.clone(), value);
            }
            Err(problem) => {
                problems.insert(variable.name.clone(), problem.to_owned());
            }
        }
    }
    if problems.is_empty() {
        Ok(args)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variable(name: &str, kind: VariableType) -> PromptVariable {
        PromptVariable {
            name: name.to_owned(),
            kind,
            required: true,
            default: None,
            description: None,
        }
    }

    #[test]
    fn arguments_are_typed_and_bad_json_is_caught_before_sending() {
        let variables = [
            variable("topic", VariableType::String),
            variable("count", VariableType::Number),
            variable("tags", VariableType::Array),
            variable("payload", VariableType::Json),
            variable("unset", VariableType::String),
        ];
        let inputs = BTreeMap::from([
            ("topic".to_owned(), "rust".to_owned()),
            ("count".to_owned(), "3".to_owned()),
            ("tags".to_owned(), "[\"a\"]".to_owned()),
            ("payload".to_owned(), "{\"k\": 1}".to_owned()),
        ]);
        let args = typed_args(&variables, &inputs).unwrap();
        assert_eq!(args["topic"], "rust");
        assert_eq!(args["count"], 3.0);
        assert_eq!(args["tags"], serde_json::json!(["a"]));
        assert_eq!(args["payload"], "{\"k\": 1}");
        assert!(!args.contains_key("unset"));

        let bad = BTreeMap::from([
            ("tags".to_owned(), "{}".to_owned()),
            ("count".to_owned(), "x".to_owned()),
        ]);
        let problems = typed_args(&variables, &bad).unwrap_err();
        assert_eq!(problems["tags"], "Must be a JSON list.");
        assert_eq!(problems["count"], "Must be a number.");
    }
}
