//! The inputs above a server-paginated list: its search box and its filter selects.

use leptos::prelude::*;

/// The list's search box; `on_input` runs after every change (lists go back to page one).
#[component]
pub fn SearchBox(
    placeholder: &'static str,
    value: RwSignal<String>,
    on_input: impl Fn() + 'static,
) -> impl IntoView {
    view! {
        <label class="flex flex-col text-sm">
            <span class="mb-1 text-slate-600">"Search"</span>
            <input
                type="search"
                placeholder=placeholder
                class="w-60 rounded-md border border-slate-300 px-3 py-1.5"
                prop:value=move || value.get()
                on:input=move |ev| {
                    value.set(event_target_value(&ev));
                    on_input();
                }
            />
        </label>
    }
}

/// A labelled select whose first option, "All", means "no filter"; its accessible name is
/// "<label> filter". The options may arrive later (they are read from the server).
#[component]
pub fn Filter(
    label: &'static str,
    #[prop(into)] options: Signal<Vec<(String, String)>>,
    #[prop(into)] value: Signal<Option<String>>,
    on_change: impl Fn(String) + 'static,
) -> impl IntoView {
    view! {
        <label class="flex flex-col text-sm">
            <span class="mb-1 text-slate-600">{label}</span>
            <select
                class="rounded-md border border-slate-300 bg-white px-3 py-1.5"
                aria-label=format!("{label} filter")
                on:change=move |ev| on_change(event_target_value(&ev))
            >
                <option value="">"All"</option>
                {move || {
                    let current = value.get();
                    options
                        .get()
                        .into_iter()
                        .map(|(value, text)| {
                            let selected = current.as_deref() == Some(value.as_str());
                            view! { <option value=value selected=selected>{text}</option> }
                        })
                        .collect_view()
                }}
            </select>
        </label>
    }
}

/// `(value, text)` options for [`Filter`] from string literals.
pub fn choices(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(value, text)| ((*value).to_owned(), (*text).to_owned()))
        .collect()
}
