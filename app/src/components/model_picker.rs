//! The catalog model picker: search the live OpenRouter catalog by id or name, see context length
//! and prices, and keep an ordered list (primary first, then fallbacks).

use gateway_types::ModelChoice;
use leptos::prelude::*;

const SHOWN: usize = 12;

#[component]
pub fn ModelPicker(
    catalog: StoredValue<Vec<ModelChoice>>,
    /// The chosen ids, primary first.
    #[prop(into)]
    chosen: Signal<Vec<String>>,
    /// Called with the new list; the second argument is the model just added, if any.
    on_change: Callback<(Vec<String>, Option<ModelChoice>)>,
) -> impl IntoView {
    let change = move |models: Vec<String>| on_change.run((models, None));
    view! {
        <div>
            <ol class="space-y-2" data-testid="chosen-models">
                {move || {
                    let models = chosen.get();
                    let count = models.len();
                    models
                        .into_iter()
                        .enumerate()
                        .map(|(index, id)| {
                            let meta = describe(catalog, &id);
                            let role = if index == 0 { "Primary" } else { "Fallback" };
                            let (up, remove) = (id.clone(), id.clone());
                            view! {
                                <li class="flex items-center gap-3 rounded-md border border-slate-200 px-3 py-2 text-sm">
                                    <span class="w-16 text-xs font-semibold uppercase text-slate-500">{role}</span>
                                    <span class="flex-1">
                                        <span class="font-mono">{id.clone()}</span>
                                        <span class="block text-xs text-slate-500">{meta}</span>
                                    </span>
                                    <button
                                        type="button"
                                        class="text-xs text-indigo-600 hover:underline disabled:invisible"
                                        disabled=index == 0
                                        aria-label=if index == 1 { format!("Make {id} primary") } else { format!("Move {id} up") }
                                        on:click=move |_| change(moved_up(&chosen.get_untracked(), &up))
                                    >
                                        {if index == 1 { "Make primary" } else { "Up" }}
                                    </button>
                                    <button
                                        type="button"
                                        class="text-xs text-red-600 hover:underline"
                                        aria-label=format!("Remove {id}")
                                        on:click=move |_| {
                                            change(chosen.get_untracked().into_iter().filter(|m| *m != remove).collect())
                                        }
                                    >
                                        "Remove"
                                    </button>
                                    <span class="sr-only">{format!("{} of {count}", index + 1)}</span>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ol>
            <ModelSearch
                catalog
                exclude=chosen
                label="Add a model"
                search_label="Search models"
                on_pick=Callback::new(move |(id, model): (String, Option<ModelChoice>)| {
                    let mut models = chosen.get_untracked();
                    models.push(id);
                    on_change.run((models, model));
                })
            />
        </div>
    }
}

/// A search box over the catalog listing the matching models not in `exclude`; clicking one
/// picks it. With `allow_custom`, an id typed in full that the catalog does not list can be
/// picked too (a model released since the last catalog refresh, or a simulator fault model).
#[component]
pub fn ModelSearch(
    catalog: StoredValue<Vec<ModelChoice>>,
    #[prop(into)] exclude: Signal<Vec<String>>,
    label: &'static str,
    /// The search box's accessible name.
    search_label: &'static str,
    /// Called with the id and, when the catalog lists it, the model.
    on_pick: Callback<(String, Option<ModelChoice>)>,
    #[prop(optional)] allow_custom: bool,
) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let matches = move || {
        let needle = query.get().trim().to_lowercase();
        if needle.is_empty() {
            return Vec::new();
        }
        let taken = exclude.get();
        catalog.with_value(|models| {
            models
                .iter()
                .filter(|m| !taken.contains(&m.id))
                .filter(|m| {
                    m.id.to_lowercase().contains(&needle) || m.name.to_lowercase().contains(&needle)
                })
                .take(SHOWN)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let custom = move || {
        let typed = query.get().trim().to_owned();
        let unlisted = typed.contains('/')
            && !typed.contains(char::is_whitespace)
            && !exclude.with(|e| e.contains(&typed))
            && catalog.with_value(|models| models.iter().all(|m| m.id != typed));
        (allow_custom && unlisted).then_some(typed)
    };
    let pick = move |id: String, model: Option<ModelChoice>| {
        on_pick.run((id, model));
        query.set(String::new());
    };
    view! {
        <label class="mt-3 block text-sm">
            <span class="font-medium text-slate-700">{label}</span>
            <input
                type="search"
                class="mt-1 w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm"
                placeholder="Search the catalog, e.g. claude or gpt-4o"
                aria-label=search_label
                prop:value=move || query.get()
                on:input=move |ev| query.set(event_target_value(&ev))
            />
        </label>
        <ul class="mt-1 max-h-72 overflow-y-auto rounded-md border border-slate-200 empty:hidden" role="listbox" aria-label="Matching models">
            {move || matches()
                .into_iter()
                .map(|model| {
                    let line = summary(&model);
                    let id = model.id.clone();
                    view! {
                        <li role="option" aria-selected="false">
                            <button
                                type="button"
                                class="block w-full px-3 py-2 text-left text-sm hover:bg-indigo-50"
                                on:click=move |_| pick(model.id.clone(), Some(model.clone()))
                            >
                                <span class="font-mono">{id}</span>
                                <span class="block text-xs text-slate-500">{line}</span>
                            </button>
                        </li>
                    }
                })
                .collect_view()}
            {move || custom().map(|id| {
                let label = format!("Use {id} (not in the catalog)");
                view! {
                    <li role="option" aria-selected="false">
                        <button
                            type="button"
                            class="block w-full px-3 py-2 text-left text-sm hover:bg-amber-50"
                            on:click=move |_| pick(id.clone(), None)
                        >
                            {label}
                        </button>
                    </li>
                }
            })}
        </ul>
    }
}

/// The catalog's summary of `id`, or that the catalog no longer lists it (the id is kept).
pub fn describe(catalog: StoredValue<Vec<ModelChoice>>, id: &str) -> String {
    catalog.with_value(|models| {
        models.iter().find(|m| m.id == id).map_or_else(
            || "Not in the current catalog; kept as saved.".to_owned(),
            summary,
        )
    })
}

/// `Name · 128k context · $0.15 / $0.60 per M tokens`.
pub fn summary(model: &ModelChoice) -> String {
    let mut parts = vec![model.name.clone()];
    if let Some(context) = model.context_length {
        parts.push(if context >= 1000 {
            format!("{}k context", context / 1000)
        } else {
            format!("{context} context")
        });
    }
    if let (Some(prompt), Some(completion)) = (
        model.prompt_usd_per_million,
        model.completion_usd_per_million,
    ) {
        parts.push(format!(
            "${prompt:.2} / ${completion:.2} per M tokens (in / out)"
        ));
    }
    parts.join(" · ")
}

/// The list with `id` one place earlier.
fn moved_up(models: &[String], id: &str) -> Vec<String> {
    let mut models = models.to_vec();
    if let Some(index) = models.iter().position(|m| m == id).filter(|&i| i > 0) {
        models.swap(index, index - 1);
    }
    models
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moving_up_swaps_with_the_previous_model_only() {
        let models: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        assert_eq!(moved_up(&models, "c"), ["a", "c", "b"]);
        assert_eq!(moved_up(&models, "a"), ["a", "b", "c"]);
        assert_eq!(moved_up(&models, "zz"), ["a", "b", "c"]);
    }
}
