//! The integration editor (create and edit): identity, models from the catalog, the system prompt
//! with its variables, caching, generation parameters, server tools, limits, visibility and
//! conversations. Saving mints a version only when the prompt or model setup changed; the server's
//! messages appear next to their inputs.

use std::collections::BTreeMap;

use gateway_types::{
    CachingMode, EditorData, FieldErrors, IntegrationFields, ModelChoice, SaveResult, ServerTools,
    Version, VersionDraft, Visibility, WebFetchTool, WebSearchTool,
};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use serde_json::Value;

use crate::components::draft_with_ai::{DraftWithAi, HelperModel, draft_helper};
use crate::components::form::{
    CheckField, FieldError, OptionalNumberField, Section, TextField, UsdField, value_text,
};
use crate::components::layout::{FrameData, Layout};
use crate::components::model_picker::ModelPicker;
use crate::components::prompt_editor::PromptEditor;
use crate::components::test_panel::TestPanel;
use crate::components::toast::Toasts;
use crate::components::variables::VariablesManager;
use crate::pages::versions::load_versions;

/// The stored integration with its active version (or the saved version `version_id`), or a
/// blank form when `id` is `None`.
#[server(input = Json)]
pub async fn load_editor(
    id: Option<i64>,
    version_id: Option<i64>,
) -> Result<EditorData, ServerFnError> {
    let gateway = crate::auth::require_admin().await?.gateway;
    gateway
        .editor_data(id, version_id)
        .await
        .map_err(crate::api::console_error)
}

/// Every model of the catalog, as the picker shows them.
#[server]
pub async fn catalog_models() -> Result<Vec<ModelChoice>, ServerFnError> {
    let gateway = crate::auth::require_admin().await?.gateway;
    let catalog = gateway.catalog().current();
    Ok(catalog
        .models()
        .iter()
        .map(gateway::catalog::choice)
        .collect())
}

/// Whether `slug` is free for a new integration; the message to show when it is not.
#[server]
pub async fn check_slug(slug: String) -> Result<Option<String>, ServerFnError> {
    let gateway = crate::auth::require_admin().await?.gateway;
    let slug = slug.trim();
    Ok(gateway
        .snapshot()
        .integration(slug)
        .map(|_| gateway::integrations::slug_taken(slug)))
}

/// Creates or updates the integration; field errors come back to be shown next to the inputs.
#[server(input = Json)]
pub async fn save_integration(
    fields: IntegrationFields,
    draft: VersionDraft,
    creating: bool,
) -> Result<SaveResult, ServerFnError> {
    let crate::auth::SignedIn { admin, gateway } = crate::auth::require_admin().await?;
    gateway
        .save_form(fields, draft, creating, &admin.email)
        .await
        .map_err(crate::api::console_error)
}

/// `/integrations/new` and `/integrations/{id}`; `?version={version id}` loads that saved
/// version into the form.
#[component]
pub fn EditorPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.with(|p| p.get("id").and_then(|id| id.parse::<i64>().ok()));
    let version = move || query.with(|q| q.get("version").and_then(|v| v.parse::<i64>().ok()));
    let data = Resource::new(
        move || (id(), version()),
        |(id, version)| load_editor(id, version),
    );
    let catalog = Resource::new(|| (), |()| catalog_models());
    // Every resource of the page is created here, never in the Suspense's children: the server
    // runs those children several times before it renders them (to find what they read), so a
    // resource created there would be created anew on each run and the HTML would come from a
    // copy that had not loaded yet, while the browser hydrates with the first copy's answer.
    // Counts saves, so the versions the test panel offers include the one just minted.
    let saves = RwSignal::new(0_u32);
    let versions = Resource::new(
        move || (id(), saves.get()),
        |(id, _)| async move {
            match id {
                Some(id) => load_versions(id)
                    .await
                    .map(|h| h.versions.into_iter().map(|v| v.version).collect()),
                None => Ok(Vec::new()),
            }
        },
    );
    let helper = Resource::new(|| (), |()| draft_helper());
    let frame = FrameData::load();
    view! {
        <Suspense fallback=|| view! { <p class="p-6 text-sm text-slate-500">"Loading…"</p> }>
            {move || match (data.get(), catalog.get()) {
                (Some(Ok(data)), Some(Ok(catalog))) => {
                    view! { <Editor data catalog versions saves helper frame /> }.into_any()
                }
                (Some(Err(e)), _) | (_, Some(Err(e))) => view! {
                    <Layout title="Integration" frame>
                        <p class="text-sm text-red-700" role="alert">{crate::api::readable(&e)}</p>
                    </Layout>
                }.into_any(),
                _ => ().into_any(),
            }}
        </Suspense>
    }
}

#[component]
fn Editor(
    data: EditorData,
    catalog: Vec<ModelChoice>,
    versions: Resource<Result<Vec<Version>, ServerFnError>>,
    saves: RwSignal<u32>,
    helper: HelperModel,
    frame: FrameData,
) -> impl IntoView {
    let toasts = expect_context::<Toasts>();
    let navigate = use_navigate();
    let creating = data.id.is_none();
    let loaded_version = data.loaded_version;
    let fields = RwSignal::new(data.fields);
    let draft = RwSignal::new(data.draft);
    let errors = RwSignal::new(FieldErrors::new());
    let catalog = StoredValue::new(catalog);

    let primary = Memo::new(move |_| {
        let first = draft.with(|d| d.models.first().cloned());
        first.and_then(|id| catalog.with_value(|c| c.iter().find(|m| m.id == id).cloned()))
    });

    let save = Action::new(move |(): &()| {
        let (fields, draft) = (fields.get_untracked(), draft.get_untracked());
        async move { save_integration(fields, draft, creating).await }
    });
    let versions = Signal::derive(move || versions.get().and_then(Result::ok).unwrap_or_default());
    let navigate_after_save = navigate.clone();
    Effect::new(move |_| {
        if let Some(result) = save.value().get() {
            match result {
                Ok(SaveResult::Saved { id, message }) => {
                    errors.set(FieldErrors::new());
                    toasts.success(message);
                    saves.update(|n| *n += 1);
                    if creating || loaded_version.is_some() {
                        // Off the loaded version's address: the form now is what was saved.
                        navigate_after_save(&format!("/integrations/{id}"), Default::default());
                    }
                }
                Ok(SaveResult::Invalid(found)) => {
                    let count = found.0.values().map(Vec::len).sum::<usize>();
                    errors.set(found);
                    toasts.failure(format!("Not saved: {count} field(s) need attention."));
                }
                Err(e) => toasts.failure(format!("Not saved: {}", crate::api::readable(&e))),
            }
        }
    });

    let slug_check = Action::new(move |slug: &String| {
        let slug = slug.clone();
        async move { (slug.clone(), check_slug(slug).await) }
    });
    Effect::new(move |_| {
        if let Some((slug, Ok(problem))) = slug_check.value().get() {
            errors.update(|e| {
                e.0.remove("slug");
                if let Some(problem) = problem.filter(|_| fields.with_untracked(|f| f.slug == slug))
                {
                    e.add("slug", problem);
                }
            });
        }
    });

    let promote = Callback::new(move |()| {
        save.dispatch(());
    });

    let title = if creating {
        "New integration".to_owned()
    } else {
        format!(
            "Edit {} (active version v{})",
            fields.with_untracked(|f| f.slug.clone()),
            data.active_version.unwrap_or_default()
        )
    };

    view! {
        <Layout
            title
            frame
            actions=Box::new(move || view! {
                <button
                    type="submit"
                    form="integration-form"
                    class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-50"
                    disabled=move || save.pending().get()
                >
                    {move || if save.pending().get() { "Saving…" } else { "Save" }}
                </button>
            }.into_any())
        >
            {loaded_version.map(|number| view! {
                <p class="mx-auto mb-4 max-w-5xl rounded-md border border-amber-200 bg-amber-50 px-4 py-2 text-sm text-amber-900" data-testid="loaded-version">
                    {format!("The form holds v{number}'s setup. Nothing changes until you save; saving makes it a new version.")}
                </p>
            })}
            <form
                id="integration-form"
                class="mx-auto max-w-5xl space-y-6"
                on:submit=move |ev| {
                    ev.prevent_default();
                    save.dispatch(());
                }
            >
                <div class="grid gap-6 lg:grid-cols-2">
                    <Section title="Identity" description="Stable registry fields. The slug is the call key and cannot change after creation.">
                        <TextField
                            label="Slug"
                            value=Signal::derive(move || fields.with(|f| f.slug.clone()))
                            on_change=move |v: String| {
                                fields.update(|f| f.slug = v.trim().to_owned());
                                if creating {
                                    slug_check.dispatch(fields.with_untracked(|f| f.slug.clone()));
                                }
                            }
                            errors
                            field="slug"
                            disabled=!creating
                            placeholder="lead-summary"
                            help="Lowercase letters, digits, dashes and underscores. Used as the invocation key."
                        />
                        <TextField
                            label="Name"
                            value=Signal::derive(move || fields.with(|f| f.name.clone()))
                            on_change=move |v: String| fields.update(|f| f.name = v)
                            errors
                            field="name"
                        />
                        <TextField
                            label="Description"
                            value=Signal::derive(move || fields.with(|f| f.description.clone().unwrap_or_default()))
                            on_change=move |v: String| fields.update(|f| f.description = Some(v).filter(|d| !d.trim().is_empty()))
                            errors
                            field="description"
                        />
                    </Section>
                    <Section title="Models" description="From the live OpenRouter catalog. The primary is tried first; fallbacks follow in order.">
                        <ModelPicker
                            catalog
                            chosen=Signal::derive(move || draft.with(|d| d.models.clone()))
                            on_change=Callback::new(move |(models, added): (Vec<String>, Option<ModelChoice>)| {
                                draft.update(|d| {
                                    d.models = models;
                                    if let Some(model) = added {
                                        add_defaults(&mut d.default_params, &model.defaults);
                                    }
                                });
                            })
                        />
                        <FieldError errors field="version.models" />
                    </Section>
                </div>

                <Section title="Draft with AI" description="Describe the use case and a helper model proposes the prompt and its variables.">
                    <DraftWithAi draft helper />
                </Section>

                <Section title="System prompt" description="The template rendered before each call. Use {{snake_case}} placeholders for runtime variables.">
                    <PromptEditor
                        value=Signal::derive(move || draft.with(|d| d.prompt_template.clone()))
                        on_change=Callback::new(move |text: String| draft.update(|d| d.prompt_template = text))
                        variables=Signal::derive(move || draft.with(|d| d.variables.iter().map(|v| v.name.clone()).collect()))
                    />
                    <FieldError errors field="version.prompt_template" />
                </Section>

                <Section title="Variables" description="The typed inputs callers send as args.">
                    <VariablesManager
                        variables=Signal::derive(move || draft.with(|d| d.variables.clone()))
                        on_change=Callback::new(move |variables| draft.update(|d| d.variables = variables))
                        errors
                    />
                    <FieldError errors field="version.variables" />
                </Section>

                <div class="grid gap-6 lg:grid-cols-2">
                    <Section title="Generation parameters" description="Sent with every call; callers may override only the allow-listed options.">
                        <ParamsEditor primary draft errors />
                        <CachingControl primary draft />
                    </Section>
                    <Section title="Server tools" description="Tools OpenRouter runs for the model.">
                        <ServerToolsEditor draft errors />
                    </Section>
                </div>

                <div class="grid gap-6 lg:grid-cols-2">
                    <Section title="Limits" description="Empty uses the deployment's defaults.">
                        <OptionalNumberField
                            label="Rate limit (calls per minute per caller)"
                            value=Signal::derive(move || fields.with(|f| f.rate_limit_per_minute))
                            on_change=move |v| fields.update(|f| f.rate_limit_per_minute = v)
                            errors
                            field="rate_limit_per_minute"
                        />
                        <UsdField
                            label="Daily spend cap (USD)"
                            value=Signal::derive(move || fields.with(|f| f.daily_cap))
                            on_change=move |cap| fields.update(|f| f.daily_cap = cap)
                            errors
                            field="daily_cap"
                            help="Calls are refused once today's spend reaches it. Empty uses the default."
                        />
                    </Section>
                    <Section title="Prompts and answers" description="Keep what each call sent and got back, shown in its invocation detail. Prompts may hold personal data: off by default.">
                        <CheckField
                            label="Keep each call's prompt and answer"
                            value=Signal::derive(move || fields.with(|f| f.capture_exchanges))
                            on_change=move |v| fields.update(|f| f.capture_exchanges = v)
                        />
                        <OptionalNumberField
                            label="Keep them for (days)"
                            value=Signal::derive(move || fields.with(|f| Some(f.capture_retention_days)))
                            on_change=move |v| fields.update(|f| f.capture_retention_days = Option::unwrap_or_default(v))
                            errors
                            field="capture_retention_days"
                            help="The housekeeping deletes them after this many days (1 to 3650)."
                        />
                    </Section>
                    <Section title="Visibility and status">
                        <label class="block text-sm">
                            <span class="font-medium text-slate-700">"Visibility"</span>
                            <select
                                class="mt-1 w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm"
                                aria-label="Visibility"
                                on:change=move |ev| {
                                    if let Some(v) = Visibility::parse(&event_target_value(&ev)) {
                                        fields.update(|f| f.visibility = v);
                                    }
                                }
                            >
                                {[(Visibility::Internal, "Internal: the Rust API and the console only"),
                                  (Visibility::Public, "Public: the HTTP API"),
                                  (Visibility::Both, "Both")]
                                    .map(|(v, label)| view! {
                                        <option value=v.as_str() selected=move || fields.with(|f| f.visibility == v)>{label}</option>
                                    })}
                            </select>
                        </label>
                        <CheckField
                            label="Active (callable)"
                            value=Signal::derive(move || fields.with(|f| f.active))
                            on_change=move |v| fields.update(|f| f.active = v)
                        />
                        <CheckField
                            label="Conversational (threads with /start and /converse)"
                            value=Signal::derive(move || fields.with(|f| f.conversational))
                            on_change=move |v| fields.update(|f| f.conversational = v)
                        />
                        <Show when=move || fields.with(|f| f.conversational)>
                            <OptionalNumberField
                                label="Thread lifetime in minutes"
                                value=Signal::derive(move || fields.with(|f| f.conversation_ttl_minutes))
                                on_change=move |v| fields.update(|f| f.conversation_ttl_minutes = v)
                                errors
                                field="conversation_ttl_minutes"
                                help="Empty uses the deployment default."
                            />
                        </Show>
                    </Section>
                </div>

                <Section title="What callers may send" description="Anything switched off is refused with a field error naming the setting, never dropped.">
                    <CheckField
                        label="Images in messages (the models support vision)"
                        value=Signal::derive(move || fields.with(|f| f.supports_vision))
                        on_change=move |v| fields.update(|f| f.supports_vision = v)
                    />
                    <CheckField
                        label="Tools: callers offer functions the model may call"
                        value=Signal::derive(move || fields.with(|f| f.supports_tools))
                        on_change=move |v| fields.update(|f| f.supports_tools = v)
                    />
                    <CheckField
                        label="System and developer messages after the prompt"
                        value=Signal::derive(move || fields.with(|f| f.allow_system_messages))
                        on_change=move |v| fields.update(|f| f.allow_system_messages = v)
                    />
                </Section>

                <Section title="Version notes" description="Saved with the version this save mints, if any.">
                    <TextField
                        label="Notes"
                        value=Signal::derive(move || draft.with(|d| d.notes.clone().unwrap_or_default()))
                        on_change=move |v: String| draft.update(|d| d.notes = Some(v).filter(|n| !n.trim().is_empty()))
                        errors
                        field="version.notes"
                    />
                </Section>
                <FieldErrorsSummary errors />
            </form>
            {data.id.map(|integration_id| view! {
                <div id="test" class="mx-auto mt-6 max-w-5xl">
                    <Section title="Test" description="Runs against OpenRouter (or the simulator in demo mode) and is recorded as an admin test.">
                        <TestPanel integration_id draft versions catalog on_promote=promote />
                    </Section>
                </div>
            })}
        </Layout>
    }
}

/// Adds the picked model's defaults for parameters not set yet; the admin's values stay.
fn add_defaults(params: &mut BTreeMap<String, Value>, defaults: &BTreeMap<String, Value>) {
    for (name, value) in defaults {
        params.entry(name.clone()).or_insert_with(|| value.clone());
    }
}

/// The primary model's parameters with inputs typed by what they take; parameters set on the
/// version that the model does not list stay, shown with a remove button.
#[component]
fn ParamsEditor(
    primary: Memo<Option<ModelChoice>>,
    draft: RwSignal<VersionDraft>,
    errors: RwSignal<FieldErrors>,
) -> impl IntoView {
    let names = move || {
        let mut names: Vec<String> = primary.get().map(|m| m.parameters).unwrap_or_default();
        for set in draft.with(|d| d.default_params.keys().cloned().collect::<Vec<_>>()) {
            if !names.contains(&set) {
                names.push(set);
            }
        }
        names
    };
    view! {
        <div class="grid grid-cols-2 gap-3" data-testid="params">
            {move || names()
                .into_iter()
                .map(|name| {
                    let key = name.clone();
                    let shown = name.clone();
                    let field = format!("version.default_params.{name}");
                    view! {
                        <label class="block text-sm">
                            <span class="font-mono text-xs text-slate-700">{name.clone()}</span>
                            <input
                                type="text"
                                inputmode="decimal"
                                aria-label=format!("Parameter {name}")
                                placeholder="not set"
                                class="mt-1 w-full rounded-md border border-slate-300 px-2 py-1 text-sm"
                                prop:value=move || draft.with(|d| d.default_params.get(&shown).map(value_text).unwrap_or_default())
                                on:change=move |ev| {
                                    let text = event_target_value(&ev);
                                    let key = key.clone();
                                    draft.update(|d| match parse_param(&text) {
                                        Some(value) => { d.default_params.insert(key, value); }
                                        None => { d.default_params.remove(&key); }
                                    });
                                }
                            />
                            <FieldError errors field />
                        </label>
                    }
                })
                .collect_view()}
        </div>
        <p class="text-xs text-slate-500">"Numbers stay numbers; leave a box empty to not send the parameter."</p>
    }
}

/// Typed from the text: numbers, booleans and JSON stay typed, anything else is text.
fn parse_param(text: &str) -> Option<Value> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    Some(serde_json::from_str::<Value>(text).unwrap_or_else(|_| Value::String(text.to_owned())))
}

/// The caching switch, offered the way the primary model takes caching.
#[component]
fn CachingControl(
    primary: Memo<Option<ModelChoice>>,
    draft: RwSignal<VersionDraft>,
) -> impl IntoView {
    view! {
        <div class="rounded-md bg-slate-50 p-3 text-sm" data-testid="caching">
            {move || match primary.get().map(|m| m.caching) {
                Some(CachingMode::Explicit) => view! {
                    <CheckField
                        label="Cache the system prompt (this model needs it marked)"
                        value=Signal::derive(move || draft.with(|d| d.cacheable))
                        on_change=move |v| draft.update(|d| d.cacheable = v)
                    />
                }.into_any(),
                Some(CachingMode::Automatic) => view! {
                    <p>"This model's provider caches repeated prompts automatically."</p>
                }.into_any(),
                Some(CachingMode::Unsupported) => view! {
                    <p>"This model does not offer prompt caching."</p>
                }.into_any(),
                None => view! { <p>"Pick a primary model to see its caching."</p> }.into_any(),
            }}
        </div>
    }
}

/// Web search and web fetch; settings the form does not show are kept as they are.
#[component]
fn ServerToolsEditor(
    draft: RwSignal<VersionDraft>,
    errors: RwSignal<FieldErrors>,
) -> impl IntoView {
    view! {
        <ToolSettings
            draft
            errors
            label="Web search"
            key="web_search"
            limit_label="Max results"
            limit_key="max_results"
            tool=|tools| tools.web_search.as_mut().map(|t| t as &mut dyn DomainTool)
            switch=|tools, on| tools.web_search = on.then(WebSearchTool::default)
        />
        <ToolSettings
            draft
            errors
            label="Web fetch"
            key="web_fetch"
            limit_label="Max uses"
            limit_key="max_uses"
            tool=|tools| tools.web_fetch.as_mut().map(|t| t as &mut dyn DomainTool)
            switch=|tools, on| tools.web_fetch = on.then(WebFetchTool::default)
        />
    }
}

/// What the form edits of either server tool.
trait DomainTool {
    fn engine(&mut self) -> &mut Option<String>;
    fn limit(&mut self) -> &mut Option<u32>;
    fn domains(&mut self) -> &mut Vec<String>;
}

impl DomainTool for WebSearchTool {
    fn engine(&mut self) -> &mut Option<String> {
        &mut self.engine
    }
    fn limit(&mut self) -> &mut Option<u32> {
        &mut self.max_results
    }
    fn domains(&mut self) -> &mut Vec<String> {
        &mut self.allowed_domains
    }
}

impl DomainTool for WebFetchTool {
    fn engine(&mut self) -> &mut Option<String> {
        &mut self.engine
    }
    fn limit(&mut self) -> &mut Option<u32> {
        &mut self.max_uses
    }
    fn domains(&mut self) -> &mut Vec<String> {
        &mut self.allowed_domains
    }
}

type ToolAccess = fn(&mut ServerTools) -> Option<&mut dyn DomainTool>;

/// One server tool: a switch, then its engine, limit and allowed domains.
#[component]
fn ToolSettings(
    draft: RwSignal<VersionDraft>,
    errors: RwSignal<FieldErrors>,
    label: &'static str,
    key: &'static str,
    limit_label: &'static str,
    limit_key: &'static str,
    tool: ToolAccess,
    switch: fn(&mut ServerTools, bool),
) -> impl IntoView {
    // Reads go through a clone: the accessor needs `&mut`, and reading must not notify.
    let read = move |get: fn(&mut dyn DomainTool) -> String| {
        Signal::derive(move || {
            let mut tools = draft.with(|d| d.server_tools.clone());
            tool(&mut tools).map(get).unwrap_or_default()
        })
    };
    let write = move |set: fn(&mut dyn DomainTool, String), text: String| {
        draft.update(|d| {
            if let Some(t) = tool(&mut d.server_tools) {
                set(t, text);
            }
        });
    };
    let on = Signal::derive(move || {
        let mut tools = draft.with(|d| d.server_tools.clone());
        tool(&mut tools).is_some()
    });
    view! {
        <CheckField
            label=label
            value=on
            on_change=move |enabled| draft.update(|d| switch(&mut d.server_tools, enabled))
        />
        <Show when=move || on.get()>
            <div class="grid grid-cols-2 gap-3 pl-6">
                <TextField
                    label="Engine"
                    value=read(|t| t.engine().clone().unwrap_or_default())
                    on_change=move |v| write(|t, v| *t.engine() = Some(v).filter(|e| !e.is_empty()), v)
                    errors
                    field=format!("version.server_tools.{key}.engine")
                />
                <TextField
                    label=limit_label
                    value=read(|t| t.limit().map(|n| n.to_string()).unwrap_or_default())
                    on_change=move |v| write(|t, v| *t.limit() = v.trim().parse().ok(), v)
                    errors
                    field=format!("version.server_tools.{key}.{limit_key}")
                />
                <TextField
                    label="Allowed domains"
                    value=read(|t| t.domains().join(", "))
                    on_change=move |v| write(|t, v| *t.domains() = domains(&v), v)
                    errors
                    field=format!("version.server_tools.{key}.allowed_domains")
                    help="Comma separated."
                />
            </div>
        </Show>
    }
}

fn domains(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Errors for fields the form has no input for, so that none goes unseen.
#[component]
fn FieldErrorsSummary(errors: RwSignal<FieldErrors>) -> impl IntoView {
    view! {
        <Show when=move || !errors.with(FieldErrors::is_empty)>
            <div class="rounded-md border border-red-200 bg-red-50 p-4 text-sm text-red-900" role="alert" data-testid="save-errors">
                <p class="font-medium">"Please correct:"</p>
                <ul class="mt-1 list-disc pl-5">
                    {move || errors.with(|e| e.lines().collect::<Vec<_>>()).into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
                </ul>
            </div>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_picked_model_adds_its_defaults_without_overwriting() {
        let mut params = BTreeMap::from([("temperature".to_owned(), Value::from(0.1))]);
        let defaults = BTreeMap::from([
            ("temperature".to_owned(), Value::from(0.7)),
            ("top_p".to_owned(), Value::from(1.0)),
        ]);
        add_defaults(&mut params, &defaults);
        assert_eq!(params["temperature"], Value::from(0.1));
        assert_eq!(params["top_p"], Value::from(1.0));
    }

    #[test]
    fn parameters_keep_their_types() {
        assert_eq!(parse_param("0.3"), Some(Value::from(0.3)));
        assert_eq!(parse_param("512"), Some(Value::from(512)));
        assert_eq!(parse_param("high"), Some(Value::from("high")));
        assert_eq!(parse_param("  "), None);
    }
}
