//! The editor's test panel: a form generated from the prompt's variables, an optional extra user
//! message, and a run of the unsaved form (or the active version) whose answer streams in, then
//! its tokens, cost, latency, model, finish reason and citations. Runs count as admin tests.

use std::collections::BTreeMap;

use gateway_types::{PromptVariable, TestRun, VariableType, VersionDraft};
use leptos::prelude::*;
use serde_json::{Map, Value};

/// What one run shows while it goes and after it ends.
#[derive(Debug, Clone, Copy)]
struct RunView {
    text: RwSignal<String>,
    summary: RwSignal<Option<Value>>,
    error: RwSignal<Option<String>>,
    running: RwSignal<bool>,
}

impl RunView {
    fn new() -> Self {
        Self {
            text: RwSignal::new(String::new()),
            summary: RwSignal::new(None),
            error: RwSignal::new(None),
            running: RwSignal::new(false),
        }
    }
}

#[component]
pub fn TestPanel(integration_id: i64, draft: RwSignal<VersionDraft>) -> impl IntoView {
    let inputs = RwSignal::new(BTreeMap::<String, String>::new());
    let input_errors = RwSignal::new(BTreeMap::<String, String>::new());
    let message = RwSignal::new(String::new());
    let use_form = RwSignal::new(true);
    let view_of_run = RunView::new();

    let run = move |_| {
        let variables = draft.with_untracked(|d| d.variables.clone());
        match typed_args(&variables, &inputs.get_untracked()) {
            Err(problems) => input_errors.set(problems),
            Ok(args) => {
                input_errors.set(BTreeMap::new());
                let run = TestRun {
                    integration_id,
                    draft: use_form.get_untracked().then(|| draft.get_untracked()),
                    version_id: None,
                    args,
                    message: Some(message.get_untracked()).filter(|m| !m.trim().is_empty()),
                };
                start(view_of_run, run);
            }
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
            <div class="flex flex-wrap items-center gap-4 text-sm">
                <label class="flex items-center gap-2">
                    <input type="radio" name="test-target" prop:checked=move || use_form.get() on:change=move |_| use_form.set(true) />
                    "The form as it is (unsaved)"
                </label>
                <label class="flex items-center gap-2">
                    <input type="radio" name="test-target" prop:checked=move || !use_form.get() on:change=move |_| use_form.set(false) />
                    "The active version"
                </label>
                <button
                    type="button"
                    class="ml-auto rounded-md bg-emerald-600 px-4 py-2 font-medium text-white hover:bg-emerald-500 disabled:opacity-50"
                    disabled=move || view_of_run.running.get()
                    on:click=run
                >
                    {move || if view_of_run.running.get() { "Running…" } else { "Run test" }}
                </button>
            </div>
            <RunOutput run=view_of_run />
        </div>
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

/// Sends the run and fills `view` from its events; only browsers run it.
#[cfg(feature = "hydrate")]
fn start(view: RunView, run: TestRun) {
    view.text.set(String::new());
    view.summary.set(None);
    view.error.set(None);
    view.running.set(true);
    leptos::task::spawn_local(async move {
        let body = serde_json::to_value(&run).unwrap_or_default();
        let outcome = crate::sse::post_events(crate::api::TEST_RUN_PATH, &body, |event| {
            let data: Value = serde_json::from_str(&event.data).unwrap_or_default();
            match event.name.as_str() {
                "delta" => view
                    .text
                    .update(|t| t.push_str(data["text"].as_str().unwrap_or_default())),
                "done" => view.summary.set(Some(data["data"].clone())),
                "error" => view
                    .error
                    .set(Some(crate::sse::error_message(&data, "The run failed."))),
                _ => {}
            }
        })
        .await;
        if let Err(message) = outcome {
            view.error.set(Some(message));
        }
        view.running.set(false);
    });
}

/// Servers never run a test from a click; rendering the panel there needs no sender.
#[cfg(not(feature = "hydrate"))]
fn start(view: RunView, run: TestRun) {
    let _ = (view, run);
}

#[component]
fn RunOutput(run: RunView) -> impl IntoView {
    view! {
        <div class="rounded-md border border-slate-200 bg-slate-50 p-4 text-sm" data-testid="test-output">
            <pre class="whitespace-pre-wrap font-sans" data-testid="test-answer">{move || run.text.get()}</pre>
            {move || run.error.get().map(|e| view! {
                <p class="mt-2 whitespace-pre-line text-red-700" role="alert" data-testid="test-error">{e}</p>
            })}
            {move || run.summary.get().map(|s| view! { <RunSummary summary=s /> })}
        </div>
    }
}

#[component]
fn RunSummary(summary: Value) -> impl IntoView {
    let usage = &summary["usage"];
    let count = |v: &Value| v.as_u64().unwrap_or_default();
    let tokens = format!(
        "{} → {} tokens{}",
        count(&usage["prompt_tokens"]),
        count(&usage["completion_tokens"]),
        match count(&usage["cached_tokens"]) {
            0 => String::new(),
            cached => format!(" ({cached} cached)"),
        }
    );
    let cost = summary["cost_usd"]
        .as_f64()
        .map_or_else(|| "unknown".to_owned(), |c| format!("${c:.6}"));
    let rows = [
        ("Tokens", tokens),
        ("Cost", cost),
        ("Latency", format!("{} ms", count(&summary["latency_ms"]))),
        (
            "Model used",
            summary["model_used"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        ),
        (
            "Finish reason",
            summary["finish_reason"].as_str().unwrap_or("—").to_owned(),
        ),
    ];
    let citations: Vec<(String, String)> = summary["citations"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|c| {
                    let url = c["url"].as_str().unwrap_or_default().to_owned();
                    (
                        c["title"]
                            .as_str()
                            .map_or_else(|| url.clone(), str::to_owned),
                        url,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    view! {
        <dl class="mt-3 grid grid-cols-2 gap-x-6 gap-y-1 border-t border-slate-200 pt-3 md:grid-cols-5" data-testid="test-summary">
            {rows.into_iter().map(|(label, value)| view! {
                <div>
                    <dt class="text-xs uppercase text-slate-500">{label}</dt>
                    <dd class="font-medium">{value}</dd>
                </div>
            }).collect_view()}
        </dl>
        {(!citations.is_empty()).then(|| view! {
            <ul class="mt-2 list-disc pl-5 text-xs">
                {citations.into_iter().map(|(title, url)| view! {
                    <li><a class="text-indigo-600 hover:underline" href=url target="_blank" rel="noopener noreferrer">{title}</a></li>
                }).collect_view()}
            </ul>
        })}
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
