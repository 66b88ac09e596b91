//! General settings: the API switch, the prompt builder and its helper model, the conversation
//! lifetime, the default rate limit and daily cap, and the model catalog's refresh. Saved
//! settings take effect on the next call.

use gateway_types::{FieldErrors, ModelChoice, Settings, SettingsPage, SettingsSaved};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::components::form::{CheckField, FieldError, OptionalNumberField, Section, UsdField};
use crate::components::layout::Layout;
use crate::components::model_picker::{ModelSearch, describe};
use crate::components::toast::Toasts;
use crate::pages::editor::catalog_models;

#[server]
pub async fn load_settings() -> Result<SettingsPage, ServerFnError> {
    let gateway = crate::auth::require_admin().await?.gateway;
    Ok(gateway.settings_page())
}

#[server(input = Json)]
pub async fn save_settings(settings: Settings) -> Result<SettingsSaved, ServerFnError> {
    let gateway = crate::auth::require_admin().await?.gateway;
    match gateway.save_settings(&settings).await {
        Ok(()) => Ok(SettingsSaved::Saved(gateway.settings_page())),
        Err(gateway::Error::Invalid(errors)) => Ok(SettingsSaved::Invalid(errors)),
        Err(other) => Err(crate::api::console_error(other)),
    }
}

/// Fetches the catalog now; a failure keeps the catalog in use and says why.
#[server]
pub async fn refresh_catalog() -> Result<SettingsPage, ServerFnError> {
    let gateway = crate::auth::require_admin().await?.gateway;
    gateway.refresh_catalog().await.map_err(|error| {
        ServerFnError::new(format!(
            "The catalog could not be refreshed, so the current one stays in use: {error}"
        ))
    })?;
    Ok(gateway.settings_page())
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let page = Resource::new(|| (), |()| load_settings());
    let catalog = Resource::new(|| (), |()| catalog_models());
    view! {
        <Layout title="Settings">
            <Suspense fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
                {move || match (page.get(), catalog.get()) {
                    (Some(Ok(page)), Some(Ok(catalog))) => view! { <SettingsForm page catalog /> }.into_any(),
                    (Some(Err(e)), _) | (_, Some(Err(e))) => view! {
                        <p class="text-sm text-red-700" role="alert">{crate::api::readable(&e)}</p>
                    }.into_any(),
                    _ => ().into_any(),
                }}
            </Suspense>
        </Layout>
    }
}

#[component]
fn SettingsForm(page: SettingsPage, catalog: Vec<ModelChoice>) -> impl IntoView {
    let toasts = expect_context::<Toasts>();
    let settings = RwSignal::new(page.settings);
    let catalog_state = RwSignal::new(page.catalog);
    let errors = RwSignal::new(FieldErrors::new());
    let catalog = StoredValue::new(catalog);

    let save = Action::new(move |(): &()| save_settings(settings.get_untracked()));
    Effect::new(move |_| match save.value().get() {
        Some(Ok(SettingsSaved::Saved(saved))) => {
            errors.set(FieldErrors::new());
            settings.set(saved.settings);
            toasts.success("Settings saved. The next call uses them.");
        }
        Some(Ok(SettingsSaved::Invalid(found))) => {
            errors.set(found);
            toasts.failure("Not saved: some settings need attention.");
        }
        Some(Err(e)) => toasts.failure(format!("Not saved: {}", crate::api::readable(&e))),
        None => {}
    });
    let refresh = Action::new(move |(): &()| refresh_catalog());
    Effect::new(move |_| match refresh.value().get() {
        Some(Ok(page)) => {
            toasts.success(format!(
                "Catalog refreshed: {} models.",
                page.catalog.models
            ));
            catalog_state.set(page.catalog);
        }
        Some(Err(e)) => toasts.failure(crate::api::readable(&e)),
        None => {}
    });

    let helper = Signal::derive(move || settings.with(|s| s.prompt_builder_model.clone()));
    let helper_summary = move || describe(catalog, &helper.get());
    // Left empty, it reads as 0, which the server refuses with its allowed range.
    let set_ttl = move |minutes: Option<u32>| {
        settings.update(|s| s.conversation_ttl_minutes = minutes.unwrap_or_default());
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(());
    };

    view! {
        <form class="mx-auto max-w-3xl space-y-6" on:submit=on_submit data-testid="settings-form">
            <Section title="HTTP API" description="The master switch for the public API: the native chat endpoints, the OpenAI-compatible /v1 and the API docs. Off, they answer 404.">
                <CheckField
                    label="Enable the HTTP API"
                    value=Signal::derive(move || settings.with(|s| s.api_enabled))
                    on_change=move |on| settings.update(|s| s.api_enabled = on)
                />
            </Section>
            <Section title="Draft with AI" description="A helper model drafts prompt templates and variables in the editor.">
                <CheckField
                    label="Enable Draft with AI"
                    value=Signal::derive(move || settings.with(|s| s.prompt_builder_enabled))
                    on_change=move |on| settings.update(|s| s.prompt_builder_enabled = on)
                />
                <div class="text-sm">
                    <span class="font-medium text-slate-700">"Helper model"</span>
                    <p class="mt-1 rounded-md border border-slate-200 px-3 py-2">
                        <span class="font-mono" data-testid="helper-model">{move || helper.get()}</span>
                        <span class="block text-xs text-slate-500">{helper_summary}</span>
                    </p>
                    <ModelSearch
                        catalog
                        exclude=Signal::derive(move || vec![helper.get()])
                        label="Change the helper model"
                        search_label="Search helper models"
                        on_pick=Callback::new(move |(id, _): (String, Option<ModelChoice>)| {
                            settings.update(|s| s.prompt_builder_model = id);
                        })
                    />
                    <FieldError errors field="prompt_builder_model" />
                </div>
            </Section>
            <Section title="Defaults" description="For integrations that leave these blank.">
                <OptionalNumberField
                    label="Conversation lifetime (idle minutes)"
                    value=Signal::derive(move || settings.with(|s| Some(s.conversation_ttl_minutes)))
                    on_change=set_ttl
                    errors
                    field="conversation_ttl_minutes"
                />
                <OptionalNumberField
                    label="Default rate limit (calls per minute per caller)"
                    value=Signal::derive(move || settings.with(|s| s.default_rate_limit_per_minute))
                    on_change=move |limit| settings.update(|s| s.default_rate_limit_per_minute = limit)
                    errors
                    field="default_rate_limit_per_minute"
                    help="Empty: no limit."
                />
                <UsdField
                    label="Default daily cap (USD)"
                    value=Signal::derive(move || settings.with(|s| s.default_daily_cap))
                    on_change=move |cap| settings.update(|s| s.default_daily_cap = cap)
                    errors
                    field="default_daily_cap"
                    help="Empty: no cap. Calls are refused once an integration's spend today reaches it."
                />
            </Section>
            <div class="flex justify-end">
                <button
                    type="submit"
                    class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-50"
                    disabled=move || save.pending().get()
                >
                    {move || if save.pending().get() { "Saving…" } else { "Save settings" }}
                </button>
            </div>
            <Section title="Model catalog" description="The OpenRouter models the editor offers; refreshed hourly on its own.">
                <p class="text-sm" data-testid="catalog-state">
                    {move || catalog_state.with(|c| match &c.fetched_at {
                        Some(at) => format!("{} models from {}, fetched {at}.", c.models, c.source),
                        None => format!("{} models from {}.", c.models, c.source),
                    })}
                </p>
                <button
                    type="button"
                    class="rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-50 disabled:opacity-50"
                    disabled=move || refresh.pending().get()
                    on:click=move |_| {
                        refresh.dispatch(());
                    }
                >
                    {move || if refresh.pending().get() { "Refreshing…" } else { "Refresh the catalog now" }}
                </button>
            </Section>
        </form>
    }
}
