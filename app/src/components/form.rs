//! Form inputs bound to signals, each with its label and the server's messages for its field.

use gateway_types::{FieldErrors, NanoUsd};
use leptos::prelude::*;

/// The messages for `field` (and nothing when there are none).
#[component]
pub fn FieldError(errors: RwSignal<FieldErrors>, #[prop(into)] field: String) -> impl IntoView {
    let id = format!("error-{}", field.replace(['.', '[', ']'], "-"));
    view! {
        {move || {
            errors
                .with(|e| e.0.get(&field).cloned())
                .map(|messages| view! {
                    <p class="mt-1 text-xs text-red-700" id=id.clone() data-testid="field-error">
                        {messages.join(" ")}
                    </p>
                })
        }}
    }
}

const INPUT: &str = "mt-1 w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm \
                     focus:border-indigo-500 disabled:bg-slate-100";

/// A one-line text input.
#[component]
pub fn TextField(
    #[prop(into)] label: String,
    #[prop(into)] value: Signal<String>,
    on_change: impl Fn(String) + 'static,
    errors: RwSignal<FieldErrors>,
    #[prop(into)] field: String,
    #[prop(optional, into)] help: Option<String>,
    #[prop(optional, into)] disabled: Signal<bool>,
    #[prop(optional, into)] placeholder: String,
) -> impl IntoView {
    view! {
        <label class="block text-sm">
            <span class="font-medium text-slate-700">{label}</span>
            <input
                type="text"
                class=INPUT
                placeholder=placeholder
                prop:value=move || value.get()
                disabled=move || disabled.get()
                on:input=move |ev| on_change(event_target_value(&ev))
            />
            {help.map(|help| view! { <span class="mt-1 block text-xs text-slate-500">{help}</span> })}
            <FieldError errors field />
        </label>
    }
}

/// A whole number that may be left empty (`None` means "use the default").
#[component]
pub fn OptionalNumberField(
    #[prop(into)] label: String,
    #[prop(into)] value: Signal<Option<u32>>,
    on_change: impl Fn(Option<u32>) + 'static,
    errors: RwSignal<FieldErrors>,
    #[prop(into)] field: String,
    #[prop(optional, into)] help: Option<String>,
) -> impl IntoView {
    view! {
        <label class="block text-sm">
            <span class="font-medium text-slate-700">{label}</span>
            <input
                type="number"
                min="0"
                step="1"
                class=INPUT
                prop:value=move || value.get().map(|n| n.to_string()).unwrap_or_default()
                on:input=move |ev| on_change(event_target_value(&ev).trim().parse().ok())
            />
            {help.map(|help| view! { <span class="mt-1 block text-xs text-slate-500">{help}</span> })}
            <FieldError errors field />
        </label>
    }
}

/// A checkbox with its label to the right.
/// An optional amount in US dollars, kept in nano-dollars; text that is not an amount is flagged,
/// never dropped. Read when the input is left, so that half-typed amounts ("5.") are not
/// reformatted under the caret.
#[component]
pub fn UsdField(
    #[prop(into)] label: String,
    #[prop(into)] value: Signal<Option<NanoUsd>>,
    on_change: impl Fn(Option<NanoUsd>) + 'static,
    errors: RwSignal<FieldErrors>,
    #[prop(into)] field: String,
    #[prop(optional, into)] help: Option<String>,
) -> impl IntoView {
    let shown = field.clone();
    view! {
        <label class="block text-sm">
            <span class="font-medium text-slate-700">{label.clone()}</span>
            <input
                type="text"
                inputmode="decimal"
                aria-label=label
                class="mt-1 w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm"
                prop:value=move || value.get().map(|c| c.as_usd().to_string()).unwrap_or_default()
                on:change=move |ev| {
                    let text = event_target_value(&ev);
                    let text = text.trim().trim_start_matches('$');
                    let amount = text.parse::<f64>().ok().filter(|usd| usd.is_finite() && *usd >= 0.0);
                    errors.update(|e| {
                        e.0.remove(&field);
                    });
                    match amount {
                        _ if text.is_empty() => on_change(None),
                        Some(usd) => on_change(Some(NanoUsd::from_usd(usd))),
                        None => errors.update(|e| e.add(field.clone(), "Enter an amount in dollars, such as 5 or 2.50.")),
                    }
                }
            />
            {help.map(|h| view! { <span class="mt-1 block text-xs text-slate-500">{h}</span> })}
            <FieldError errors field=shown />
        </label>
    }
}

#[component]
pub fn CheckField(
    #[prop(into)] label: String,
    #[prop(into)] value: Signal<bool>,
    on_change: impl Fn(bool) + 'static,
) -> impl IntoView {
    view! {
        <label class="flex items-center gap-2 text-sm">
            <input
                type="checkbox"
                class="h-4 w-4 rounded border-slate-300"
                prop:checked=move || value.get()
                on:change=move |ev| on_change(event_target_checked(&ev))
            />
            <span class="text-slate-700">{label}</span>
        </label>
    }
}

/// A titled block of the form.
#[component]
pub fn Section(
    #[prop(into)] title: String,
    #[prop(optional, into)] description: Option<String>,
    children: Children,
) -> impl IntoView {
    view! {
        <section class="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
            <h2 class="text-base font-semibold">{title}</h2>
            {description.map(|d| view! { <p class="mt-1 text-sm text-slate-500">{d}</p> })}
            <div class="mt-4 space-y-4">{children()}</div>
        </section>
    }
}

/// A JSON value as a text input shows it: strings bare, everything else as JSON.
pub fn value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}
