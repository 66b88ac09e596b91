//! The variables manager: the prompt's typed inputs, added, edited, reordered and removed in place.
//! Duplicate and malformed names are flagged here as you type; the server checks again on save.

use gateway_types::{FieldErrors, PromptVariable, VariableType};
use leptos::prelude::*;
use serde_json::Value;

use crate::components::form::{FieldError, value_text};

#[component]
pub fn VariablesManager(
    #[prop(into)] variables: Signal<Vec<PromptVariable>>,
    on_change: Callback<Vec<PromptVariable>>,
    errors: RwSignal<FieldErrors>,
) -> impl IntoView {
    let edit = move |index: usize, change: Box<dyn FnOnce(&mut PromptVariable)>| {
        let mut all = variables.get_untracked();
        if let Some(variable) = all.get_mut(index) {
            change(variable);
        }
        on_change.run(all);
    };
    let add = move |_| {
        let mut all = variables.get_untracked();
        all.push(PromptVariable {
            name: String::new(),
            kind: VariableType::String,
            required: true,
            default: None,
            description: None,
        });
        on_change.run(all);
    };
    view! {
        <div>
            // On a narrow screen the table scrolls in its own box, not the page.
            <div class="relative overflow-x-auto">
            <table class="w-full text-sm" data-testid="variables">
                <thead class="text-left text-xs uppercase text-slate-500">
                    <tr>
                        <th class="pb-2">"Name"</th>
                        <th class="pb-2">"Type"</th>
                        <th class="pb-2">"Required"</th>
                        <th class="pb-2">"Default"</th>
                        <th class="pb-2">"Description"</th>
                        <th class="pb-2"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {move || {
                        let all = variables.get();
                        let count = all.len();
                        all.into_iter()
                            .enumerate()
                            .map(|(index, variable)| {
                                let problem = name_problem(&variables.get_untracked(), index);
                                let field = format!("version.variables[{index}].name");
                                view! {
                                    <tr class="align-top">
                                        <td class="pr-2 pb-2">
                                            <input
                                                type="text"
                                                aria-label=format!("Variable {} name", index + 1)
                                                class="w-40 rounded-md border border-slate-300 px-2 py-1 font-mono"
                                                prop:value=variable.name.clone()
                                                on:change=move |ev| {
                                                    let name = event_target_value(&ev).trim().to_owned();
                                                    edit(index, Box::new(move |v| v.name = name));
                                                }
                                            />
                                            {problem.map(|p| view! { <p class="mt-1 text-xs text-red-700">{p}</p> })}
                                            <FieldError errors field />
                                        </td>
                                        <td class="pr-2 pb-2">
                                            <select
                                                aria-label=format!("Variable {} type", index + 1)
                                                class="rounded-md border border-slate-300 px-2 py-1"
                                                on:change=move |ev| {
                                                    if let Some(kind) = VariableType::parse(&event_target_value(&ev)) {
                                                        edit(index, Box::new(move |v| v.kind = kind));
                                                    }
                                                }
                                            >
                                                {VariableType::ALL.map(|kind| view! {
                                                    <option value=kind.as_str() selected=kind == variable.kind>{kind.as_str()}</option>
                                                })}
                                            </select>
                                        </td>
                                        <td class="pr-2 pb-2 text-center">
                                            <input
                                                type="checkbox"
                                                aria-label=format!("Variable {} required", index + 1)
                                                prop:checked=variable.required
                                                on:change=move |ev| {
                                                    let required = event_target_checked(&ev);
                                                    edit(index, Box::new(move |v| v.required = required));
                                                }
                                            />
                                        </td>
                                        <td class="pr-2 pb-2">
                                            <input
                                                type="text"
                                                aria-label=format!("Variable {} default", index + 1)
                                                class="w-32 rounded-md border border-slate-300 px-2 py-1"
                                                prop:value=variable.default.as_ref().map(value_text).unwrap_or_default()
                                                on:change=move |ev| {
                                                    let text = event_target_value(&ev);
                                                    edit(index, Box::new(move |v| v.default = parse_default(v.kind, &text)));
                                                }
                                            />
                                        </td>
                                        <td class="pr-2 pb-2">
                                            <input
                                                type="text"
                                                aria-label=format!("Variable {} description", index + 1)
                                                class="w-full rounded-md border border-slate-300 px-2 py-1"
                                                prop:value=variable.description.clone().unwrap_or_default()
                                                on:change=move |ev| {
                                                    let text = event_target_value(&ev);
                                                    edit(index, Box::new(move |v| {
                                                        v.description = Some(text.trim().to_owned()).filter(|t| !t.is_empty());
                                                    }));
                                                }
                                            />
                                        </td>
                                        <td class="whitespace-nowrap pb-2 text-xs">
                                            <button
                                                type="button"
                                                class="text-indigo-600 hover:underline disabled:invisible"
                                                disabled=index == 0
                                                aria-label=format!("Move variable {} up", index + 1)
                                                on:click=move |_| {
                                                    let mut all = variables.get_untracked();
                                                    all.swap(index, index - 1);
                                                    on_change.run(all);
                                                }
                                            >
                                                "Up"
                                            </button>
                                            " "
                                            <button
                                                type="button"
                                                class="text-indigo-600 hover:underline disabled:invisible"
                                                disabled=index + 1 == count
                                                aria-label=format!("Move variable {} down", index + 1)
                                                on:click=move |_| {
                                                    let mut all = variables.get_untracked();
                                                    all.swap(index, index + 1);
                                                    on_change.run(all);
                                                }
                                            >
                                                "Down"
                                            </button>
                                            " "
                                            <button
                                                type="button"
                                                class="text-red-600 hover:underline"
                                                aria-label=format!("Delete variable {}", index + 1)
                                                on:click=move |_| {
                                                    let mut all = variables.get_untracked();
                                                    all.remove(index);
                                                    on_change.run(all);
                                                }
                                            >
                                                "Delete"
                                            </button>
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()
                    }}
                </tbody>
            </table>
            </div>
            <button
                type="button"
                class="mt-2 rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm hover:bg-slate-50"
                on:click=add
            >
                "Add variable"
            </button>
        </div>
    }
}

/// What is wrong with the name of the variable at `index`, as the admin types it.
fn name_problem(variables: &[PromptVariable], index: usize) -> Option<&'static str> {
    let name = variables.get(index)?.name.as_str();
    let well_formed = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if name.is_empty() {
        Some("A name is required.")
    } else if !well_formed {
        Some("Letters, digits and underscores, not starting with a digit.")
    } else if variables[..index].iter().any(|v| v.name == name) {
        Some("Another variable already has this name.")
    } else {
        None
    }
}

/// The typed default for what was typed; empty means none, and text that does not fit the type
/// is kept as text so the server's check can say what is wrong with it.
fn parse_default(kind: VariableType, text: &str) -> Option<Value> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let typed = match kind {
        VariableType::String | VariableType::Json => None,
        VariableType::Number
        | VariableType::Boolean
        | VariableType::Array
        | VariableType::Object => serde_json::from_str::<Value>(text).ok(),
    };
    Some(typed.unwrap_or_else(|| Value::String(text.to_owned())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(names: &[&str]) -> Vec<PromptVariable> {
        names
            .iter()
            .map(|name| PromptVariable {
                name: (*name).to_owned(),
                kind: VariableType::String,
                required: true,
                default: None,
                description: None,
            })
            .collect()
    }

    #[test]
    fn duplicate_and_malformed_names_are_flagged() {
        let variables = named(&["topic", "topic", "9lives", "", "ok_2"]);
        assert_eq!(name_problem(&variables, 0), None);
        assert_eq!(
            name_problem(&variables, 1),
            Some("Another variable already has this name.")
        );
        assert!(name_problem(&variables, 2).is_some());
        assert_eq!(name_problem(&variables, 3), Some("A name is required."));
        assert_eq!(name_problem(&variables, 4), None);
    }

    #[test]
    fn defaults_are_typed_by_the_variable_type() {
        assert_eq!(
            parse_default(VariableType::Number, "2.5"),
            Some(Value::from(2.5))
        );
        assert_eq!(
            parse_default(VariableType::Boolean, "true"),
            Some(Value::Bool(true))
        );
        assert_eq!(
            parse_default(VariableType::String, "42"),
            Some(Value::from("42"))
        );
        assert_eq!(
            parse_default(VariableType::Number, "many"),
            Some(Value::from("many"))
        );
        assert_eq!(parse_default(VariableType::Object, " "), None);
    }
}
