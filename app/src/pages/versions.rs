//! An integration's versions: the history newest first, any version read-only, the diff between
//! two, and activating one (roll back or forward) after a confirmation. Updates in place.

use gateway_types::{
    DiffLine, LineChange, SettingChange, VersionDiff, VersionHistory, VersionView,
};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_router::hooks::use_params_map;

use crate::components::confirm::Confirm;
use crate::components::layout::Layout;
use crate::components::toast::Toasts;

/// The integration and all of its versions, newest first.
#[server(input = Json)]
pub async fn load_versions(integration_id: i64) -> Result<VersionHistory, ServerFnError> {
    let gateway = crate::auth::require_admin().await?.gateway;
    gateway
        .version_history(integration_id)
        .await
        .map_err(crate::api::console_error)
}

/// How version `to_id` differs from version `from_id`.
#[server(input = Json)]
pub async fn compare_versions(
    integration_id: i64,
    from_id: i64,
    to_id: i64,
) -> Result<VersionDiff, ServerFnError> {
    let gateway = crate::auth::require_admin().await?.gateway;
    gateway
        .compare_versions(integration_id, from_id, to_id)
        .await
        .map_err(crate::api::console_error)
}

/// Makes the version the active one; the next API call uses it.
#[server(input = Json)]
pub async fn activate_version(integration_id: i64, version_id: i64) -> Result<i32, ServerFnError> {
    let gateway = crate::auth::require_admin().await?.gateway;
    gateway
        .activate_version(integration_id, version_id)
        .await
        .map(|version| version.number)
        .map_err(crate::api::console_error)
}

/// A version the page refers to by id, with the number people know it by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pick {
    id: i64,
    number: i32,
}

#[component]
pub fn VersionsPage() -> impl IntoView {
    let toasts = expect_context::<Toasts>();
    let params = use_params_map();
    let integration_id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
    });
    // Bumped after an activation so the list is fetched again in place.
    let refresh = RwSignal::new(0_u32);
    let viewing = RwSignal::new(None::<i64>);
    let confirming = RwSignal::new(None::<Pick>);

    let history = Resource::new(
        move || (integration_id.get(), refresh.get()),
        |(id, _)| async move {
            match id {
                Some(id) => load_versions(id).await,
                None => Err(ServerFnError::new(
                    "There is no integration at this address.",
                )),
            }
        },
    );
    let compare = Action::new(move |&(integration, from, to): &(i64, i64, i64)| {
        compare_versions(integration, from, to)
    });
    let activate = Action::new(move |&(integration, pick): &(i64, Pick)| async move {
        match activate_version(integration, pick.id).await {
            Ok(number) => toasts.success(format!("Version v{number} activated.")),
            Err(e) => toasts.failure(format!(
                "Could not activate v{}: {}",
                pick.number,
                crate::api::readable(&e)
            )),
        }
        confirming.set(None);
        refresh.update(|n| *n += 1);
    });

    view! {
        <Layout
            title="Versions"
            actions=Box::new(|| view! {
                <a
                    href="/integrations"
                    class="rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-medium hover:bg-slate-50"
                >
                    "All integrations"
                </a>
            }.into_any())
        >
            {move || confirming.get().map(|pick| view! {
                <div class="mb-4">
                    <Confirm
                        id="confirm-activate-title"
                        question=format!(
                            "Activate v{}? API calls use it from the next request; no version is deleted.",
                            pick.number
                        )
                        action=format!("Activate v{}", pick.number)
                        busy_label="Activating…"
                        busy=activate.pending()
                        on_confirm=move || {
                            if let Some(integration) = integration_id.get_untracked() {
                                activate.dispatch((integration, pick));
                            }
                        }
                        on_cancel=move || confirming.set(None)
                    />
                </div>
            })}

            <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
                {move || history.get().map(|result| match result {
                    Ok(history) => {
                        let integration = history.integration.id;
                        view! {
                            <p class="text-sm text-slate-600" data-testid="integration-name">
                                <span class="font-mono font-semibold text-slate-900">
                                    {history.integration.fields.slug.clone()}
                                </span>
                                {format!(" · {}", history.integration.fields.name)}
                            </p>
                            <VersionTable versions=history.versions.clone() viewing confirming />
                            <Viewed versions=history.versions.clone() viewing />
                            <Compare integration versions=history.versions compare />
                        }
                        .into_any()
                    }
                    Err(e) => view! {
                        <p class="text-sm text-red-700" role="alert">
                            {format!("The versions could not be loaded: {}", crate::api::readable(&e))}
                        </p>
                    }
                    .into_any(),
                })}
            </Transition>

            <DiffResult compare />
        </Layout>
    }
}

#[component]
fn VersionTable(
    versions: Vec<VersionView>,
    viewing: RwSignal<Option<i64>>,
    confirming: RwSignal<Option<Pick>>,
) -> impl IntoView {
    view! {
        <div class="mt-4 overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
            <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="versions-table">
                <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                    <tr>
                        <th class="px-4 py-3">"Version"</th>
                        <th class="px-4 py-3">"Author"</th>
                        <th class="px-4 py-3">"Created"</th>
                        <th class="px-4 py-3">"Notes"</th>
                        <th class="px-4 py-3">"Status"</th>
                        <th class="px-4 py-3 text-right">"Actions"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {versions
                        .into_iter()
                        .map(|view| {
                            let created_at = view.created_at;
                            let version = view.version;
                            let pick = Pick { id: version.id, number: version.number };
                            view! {
                                <tr data-testid=format!("version-{}", version.number)>
                                    <td class="px-4 py-3 font-mono font-semibold">{format!("v{}", version.number)}</td>
                                    <td class="px-4 py-3">{version.created_by.unwrap_or_else(|| "—".to_owned())}</td>
                                    <td class="px-4 py-3 text-slate-600">{created_at}</td>
                                    <td class="px-4 py-3 text-slate-600">{version.draft.notes.unwrap_or_default()}</td>
                                    <td class="px-4 py-3">
                                        {version.active.then(|| view! {
                                            <span class="rounded bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-800">
                                                "Active"
                                            </span>
                                        })}
                                    </td>
                                    <td class="px-4 py-3 text-right">
                                        <div class="flex justify-end gap-3">
                                            <button
                                                class="text-indigo-600 hover:underline"
                                                aria-label=format!("View v{}", pick.number)
                                                on:click=move |_| viewing.set(Some(pick.id))
                                            >
                                                "View"
                                            </button>
                                            <a
                                                class="text-indigo-600 hover:underline"
                                                aria-label=format!("Load v{} into the editor", pick.number)
                                                href=format!("/integrations/{}?version={}", version.integration_id, pick.id)
                                            >
                                                "Load into editor"
                                            </a>
                                            {(!version.active).then(|| view! {
                                                <button
                                                    class="text-indigo-600 hover:underline"
                                                    aria-label=format!("Activate v{}", pick.number)
                                                    on:click=move |_| confirming.set(Some(pick))
                                                >
                                                    "Activate"
                                                </button>
                                            })}
                                        </div>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// Two version pickers and the button that asks for their diff. Defaults to the version before
/// the newest against the newest.
#[component]
fn Compare(
    integration: i64,
    versions: Vec<VersionView>,
    compare: Action<(i64, i64, i64), Result<VersionDiff, ServerFnError>>,
) -> impl IntoView {
    let ids: Vec<(i64, i32)> = versions
        .iter()
        .map(|v| (v.version.id, v.version.number))
        .collect();
    let newest = ids.first().map(|&(id, _)| id);
    let from = RwSignal::new(ids.get(1).map(|&(id, _)| id).or(newest));
    let to = RwSignal::new(newest);
    let picker = move |label: &'static str, chosen: RwSignal<Option<i64>>| {
        view! {
            <label class="flex flex-col text-sm">
                <span class="mb-1 text-slate-600">{label}</span>
                <select
                    class="rounded-md border border-slate-300 px-3 py-1.5"
                    aria-label=label
                    on:change=move |ev| chosen.set(event_target_value(&ev).parse().ok())
                >
                    {ids
                        .iter()
                        .map(|&(id, number)| view! {
                            <option value=id.to_string() selected=chosen.get_untracked() == Some(id)>
                                {format!("v{number}")}
                            </option>
                        })
                        .collect_view()}
                </select>
            </label>
        }
    };
    view! {
        <section class="mt-8" aria-labelledby="compare-title">
            <h2 id="compare-title" class="text-base font-semibold">"Compare versions"</h2>
            <div class="mt-3 flex flex-wrap items-end gap-3">
                {picker("From version", from)}
                {picker("To version", to)}
                <button
                    class="rounded-md bg-indigo-600 px-4 py-1.5 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-50"
                    disabled=move || compare.pending().get() || from.get().is_none() || to.get().is_none()
                    on:click=move |_| {
                        if let (Some(from), Some(to)) = (from.get(), to.get()) {
                            compare.dispatch((integration, from, to));
                        }
                    }
                >
                    {move || if compare.pending().get() { "Comparing…" } else { "Show diff" }}
                </button>
            </div>
        </section>
    }
}

#[component]
fn DiffResult(
    compare: Action<(i64, i64, i64), Result<VersionDiff, ServerFnError>>,
) -> impl IntoView {
    move || {
        compare.value().get().map(|result| match result {
            Ok(diff) => view! { <DiffView diff /> }.into_any(),
            Err(e) => view! {
                <p class="mt-4 text-sm text-red-700" role="alert">
                    {format!("The diff could not be made: {}", crate::api::readable(&e))}
                </p>
            }
            .into_any(),
        })
    }
}

#[component]
fn DiffView(diff: VersionDiff) -> impl IntoView {
    let title = format!("v{} → v{}", diff.from, diff.to);
    let unchanged = diff.is_empty();
    let prompt_unchanged = diff.prompt.is_empty();
    view! {
        <div class="mt-4 space-y-4" data-testid="diff">
            <h3 class="text-sm font-semibold">{title}</h3>
            {unchanged.then(|| view! {
                <p class="text-sm text-slate-600">"The two versions are the same."</p>
            })}
            {(!prompt_unchanged).then(|| view! {
                <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white font-mono text-xs">
                    <table class="min-w-full" data-testid="prompt-diff">
                        <caption class="sr-only">"Prompt template"</caption>
                        <tbody>
                            {diff.prompt.into_iter().map(|hunk| view! {
                                <tr class="bg-slate-100 text-slate-500">
                                    <td colspan="4" class="px-3 py-1">{hunk.header()}</td>
                                </tr>
                                {hunk.lines.into_iter().map(|line| view! { <Line line /> }).collect_view()}
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
            {(!diff.settings.is_empty()).then(|| view! { <SettingChanges changes=diff.settings /> })}
        </div>
    }
}

#[component]
fn Line(line: DiffLine) -> impl IntoView {
    let (mark, class, test_id) = match line.change {
        LineChange::Kept => (" ", "text-slate-700", "diff-kept"),
        LineChange::Added => ("+", "bg-emerald-50 text-emerald-900", "diff-added"),
        LineChange::Removed => ("-", "bg-red-50 text-red-900", "diff-removed"),
    };
    let number = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
    view! {
        <tr class=class data-testid=test_id>
            <td class="w-10 select-none px-2 text-right text-slate-400">{number(line.old_number)}</td>
            <td class="w-10 select-none px-2 text-right text-slate-400">{number(line.new_number)}</td>
            <td class="w-4 select-none px-1">{mark}</td>
            <td class="whitespace-pre-wrap px-2">{line.text}</td>
        </tr>
    }
}

#[component]
fn SettingChanges(changes: Vec<SettingChange>) -> impl IntoView {
    view! {
        <table class="min-w-full divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white text-sm" data-testid="settings-diff">
            <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                <tr>
                    <th class="px-4 py-2">"Setting"</th>
                    <th class="px-4 py-2">"Before"</th>
                    <th class="px-4 py-2">"After"</th>
                </tr>
            </thead>
            <tbody class="divide-y divide-slate-100">
                {changes.into_iter().map(|change| view! {
                    <tr>
                        <td class="px-4 py-2 font-medium">{change.field}</td>
                        <td class="px-4 py-2 font-mono text-xs text-red-800">{change.before}</td>
                        <td class="px-4 py-2 font-mono text-xs text-emerald-800">{change.after}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The version picked with "View", read-only: its prompt and every setting.
#[component]
fn Viewed(versions: Vec<VersionView>, viewing: RwSignal<Option<i64>>) -> impl IntoView {
    move || {
        let chosen = viewing.get()?;
        let view = versions.iter().find(|v| v.version.id == chosen)?.clone();
        let number = view.version.number;
        Some(view! {
            <section class="mt-8 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" aria-labelledby="viewed-title" data-testid="viewed-version">
                <div class="flex items-center justify-between">
                    <h2 id="viewed-title" class="text-base font-semibold">{format!("Version v{number}")}</h2>
                    <button class="text-sm text-slate-500 hover:text-slate-900" on:click=move |_| viewing.set(None)>
                        "Close"
                    </button>
                </div>
                <pre class="mt-3 whitespace-pre-wrap rounded-md bg-slate-50 p-3 font-mono text-xs" data-testid="viewed-prompt">
                    {view.version.draft.prompt_template}
                </pre>
                <dl class="mt-3 grid grid-cols-[12rem_1fr] gap-x-4 gap-y-1 text-sm">
                    {view.settings.into_iter().map(|setting| view! {
                        <dt class="text-slate-500">{setting.field}</dt>
                        <dd class="font-mono text-xs">{setting.value}</dd>
                    }).collect_view()}
                </dl>
            </section>
        })
    }
}
