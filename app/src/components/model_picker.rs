//! The catalog model picker: search the live OpenRouter catalog (words, fuzzily, with filters and
//! sorting: `model_filter`), see context length and prices, and keep an ordered list (primary
//! first, then fallbacks).

use gateway_types::ModelChoice;
use leptos::prelude::*;

use super::model_filter::{self, Filters, Sort, price_per_million};

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

/// A search box over the catalog listing the matching models not in `exclude`, as an ARIA
/// combobox: typing lists matches, the arrow keys move through them, Enter or a click picks one
/// and Escape closes the list. Enter never submits the form around it. With `allow_custom`, an
/// id typed in full that the catalog does not list can be picked too (a model released since the
/// last catalog refresh, or a simulator fault model).
#[component]
pub fn ModelSearch(
    catalog: StoredValue<Vec<ModelChoice>>,
    #[prop(into)] exclude: Signal<Vec<String>>,
    label: &'static str,
    /// The search box's accessible name; also names the list's element id, so it is unique per page.
    search_label: &'static str,
    /// Called with the id and, when the catalog lists it, the model.
    on_pick: Callback<(String, Option<ModelChoice>)>,
    #[prop(optional)] allow_custom: bool,
) -> impl IntoView {
    let query = RwSignal::new(String::new());
    // Escape hides the list until the query changes.
    let closed = RwSignal::new(false);
    // The highlighted option, an index into `options()`.
    let active = RwSignal::new(0_usize);
    let filters = RwSignal::new(Filters::default());
    let sort = RwSignal::new(Sort::default());
    let options = Memo::new(move |_| {
        if closed.get() {
            return Vec::new();
        }
        let taken = exclude.get();
        let mut options: Vec<Choice> = catalog
            .with_value(|models| {
                filters.with(|filters| {
                    model_filter::find(models, &query.get(), filters, sort.get(), &taken)
                })
            })
            .into_iter()
            .map(Choice::Listed)
            .collect();
        let typed = query.get().trim().to_owned();
        let unlisted = typed.contains('/')
            && !typed.contains(char::is_whitespace)
            && !taken.contains(&typed)
            && catalog.with_value(|models| models.iter().all(|m| m.id != typed));
        if allow_custom && unlisted {
            options.push(Choice::Unlisted(typed));
        }
        options
    });
    let list_id = format!("{}-options", search_label.to_lowercase().replace(' ', "-"));
    let option_id = {
        let list_id = list_id.clone();
        move |index: usize| format!("{list_id}-{index}")
    };
    let pick = move |choice: Choice| {
        match choice {
            Choice::Listed(model) => on_pick.run((model.id.clone(), Some(model))),
            Choice::Unlisted(id) => on_pick.run((id, None)),
        }
        query.set(String::new());
        active.set(0);
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let count = options.with(Vec::len);
        match ev.key().as_str() {
            "ArrowDown" | "ArrowUp" if count > 0 => {
                ev.prevent_default();
                let step = if ev.key() == "ArrowDown" {
                    1
                } else {
                    count - 1
                };
                active.update(|index| *index = (*index + step) % count);
            }
            "Enter" => {
                // Inside the editor's form, Enter would otherwise submit the whole form.
                ev.prevent_default();
                if let Some(choice) = options.with(|o| o.get(active.get_untracked()).cloned()) {
                    pick(choice);
                }
            }
            "Escape" if count > 0 => {
                ev.prevent_default();
                closed.set(true);
            }
            _ => {}
        }
    };
    let expanded = move || options.with(|o| !o.is_empty());
    let active_option = {
        let option_id = option_id.clone();
        move || expanded().then(|| option_id(active.get()))
    };
    view! {
        <label class="mt-3 block text-sm">
            <span class="font-medium text-slate-700">{label}</span>
            <input
                type="text"
                role="combobox"
                autocomplete="off"
                class="mt-1 w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm"
                placeholder="Search the catalog, e.g. claude or gpt-4o"
                aria-label=search_label
                aria-autocomplete="list"
                aria-controls=list_id.clone()
                aria-expanded=move || expanded().to_string()
                aria-activedescendant=active_option
                prop:value=move || query.get()
                on:input=move |ev| {
                    query.set(event_target_value(&ev));
                    closed.set(false);
                    active.set(0);
                }
                on:keydown=on_keydown
            />
        </label>
        <FilterControls catalog filters sort on_change=Callback::new(move |()| {
            closed.set(false);
            active.set(0);
        }) />
        <ul
            id=list_id
            class="mt-1 max-h-72 overflow-y-auto rounded-md border border-slate-200 empty:hidden"
            role="listbox"
            aria-label="Matching models"
        >
            {move || {
                options
                    .get()
                    .into_iter()
                    .enumerate()
                    .map(|(index, choice)| {
                        let (id, line) = match &choice {
                            Choice::Listed(model) => (model.id.clone(), summary(model)),
                            Choice::Unlisted(id) => (id.clone(), "Not in the catalog; use as typed".to_owned()),
                        };
                        let selected = move || active.get() == index;
                        view! {
                            <li
                                id=option_id(index)
                                role="option"
                                aria-selected=move || selected().to_string()
                                class=move || {
                                    if selected() {
                                        "cursor-pointer bg-indigo-50 px-3 py-2 text-sm"
                                    } else {
                                        "cursor-pointer px-3 py-2 text-sm hover:bg-indigo-50"
                                    }
                                }
                                on:mousemove=move |_| active.set(index)
                                on:click=move |_| pick(choice.clone())
                            >
                                <span class="font-mono">{id}</span>
                                <span class="block text-xs text-slate-500">{line}</span>
                            </li>
                        }
                    })
                    .collect_view()
            }}
        </ul>
    }
}

/// The search's filters and sort, folded away until wanted.
#[component]
fn FilterControls(
    catalog: StoredValue<Vec<ModelChoice>>,
    filters: RwSignal<Filters>,
    sort: RwSignal<Sort>,
    /// Called after any change, so the list shows its new content.
    on_change: Callback<()>,
) -> impl IntoView {
    let providers = catalog.with_value(|models| {
        let mut providers: Vec<String> = models
            .iter()
            .map(|m| model_filter::provider(&m.id).to_owned())
            .collect();
        providers.sort();
        providers.dedup();
        providers
    });
    let update = move |change: &dyn Fn(&mut Filters)| {
        filters.update(|f| change(f));
        on_change.run(());
    };
    // An empty or unreadable number sets no limit; the inputs themselves refuse negatives.
    let number = |ev: &leptos::ev::Event| {
        event_target_value(ev)
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite() && *n >= 0.0)
    };
    let field = "mt-1 w-full rounded-md border border-slate-300 px-2 py-1 text-sm";
    view! {
        <details class="mt-2 text-sm" data-testid="model-filters">
            <summary class="cursor-pointer text-slate-600">"Filters and sort"</summary>
            <div class="mt-2 grid grid-cols-2 gap-2 sm:grid-cols-3">
                <label class="block">
                    <span class="text-xs text-slate-600">"Provider"</span>
                    <select class=field on:change=move |ev| {
                        let value = event_target_value(&ev);
                        update(&|f| f.provider = (!value.is_empty()).then(|| value.clone()));
                    }>
                        <option value="">"Any"</option>
                        {providers.into_iter().map(|p| view! { <option value=p.clone()>{p.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <label class="block">
                    <span class="text-xs text-slate-600">"Max input $ / M tokens"</span>
                    <input type="number" min="0" step="any" class=field on:input=move |ev| {
                        let max = number(&ev);
                        update(&|f| f.max_prompt_per_million = max);
                    } />
                </label>
                <label class="block">
                    <span class="text-xs text-slate-600">"Max output $ / M tokens"</span>
                    <input type="number" min="0" step="any" class=field on:input=move |ev| {
                        let max = number(&ev);
                        update(&|f| f.max_completion_per_million = max);
                    } />
                </label>
                <label class="block">
                    <span class="text-xs text-slate-600">"Min context (k tokens)"</span>
                    <input type="number" min="0" step="1" class=field on:input=move |ev| {
                        // Thousands of tokens; a value too large for a count admits nothing.
                        let min = number(&ev).map(|k| (k * 1000.0).min(u64::MAX as f64) as u64);
                        update(&|f| f.min_context = min);
                    } />
                </label>
                <label class="block">
                    <span class="text-xs text-slate-600">"Reads"</span>
                    <select class=field on:change=move |ev| {
                        let value = event_target_value(&ev);
                        update(&|f| f.modality = (!value.is_empty()).then(|| value.clone()));
                    }>
                        <option value="">"Any input"</option>
                        <option value="image">"Images"</option>
                        <option value="file">"Files"</option>
                        <option value="audio">"Audio"</option>
                    </select>
                </label>
                <label class="block">
                    <span class="text-xs text-slate-600">"Sort by"</span>
                    <select class=field on:change=move |ev| {
                        sort.set(Sort::from_value(&event_target_value(&ev)));
                        on_change.run(());
                    }>
                        {Sort::ALL.into_iter().map(|(_, label)| view! { <option value=label>{label}</option> }).collect_view()}
                    </select>
                </label>
                <label class="col-span-2 flex items-center gap-2 sm:col-span-3">
                    <input type="checkbox" on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        update(&|f| f.tools = on);
                    } />
                    <span>"Supports tools (function calling)"</span>
                </label>
            </div>
        </details>
    }
}

/// An entry of the search's list: a catalog model, or an id the catalog does not list.
#[derive(Clone, PartialEq)]
enum Choice {
    Listed(ModelChoice),
    Unlisted(String),
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

/// `Name · 128k context · $0.15 / $0.60 per M tokens (in / out)`.
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
            "{} / {} per M tokens (in / out)",
            price_per_million(prompt),
            price_per_million(completion)
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
