//! The integrations list: search over slug and name, filters, pagination, the inline active
//! switch, row actions and bulk delete. Every change updates the list in place.

use std::collections::BTreeSet;

use gateway_types::{IntegrationQuery, IntegrationRow, Page, Visibility};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::components::confirm::Confirm;
use crate::components::filters::{Filter, SearchBox, choices};
use crate::components::layout::Layout;
use crate::components::pager::Pager;
use crate::components::toast::Toasts;

/// One page of the list, from the in-memory configuration (no database read).
#[server(input = Json)]
pub async fn list_integrations(
    query: IntegrationQuery,
) -> Result<Page<IntegrationRow>, ServerFnError> {
    let gateway = crate::auth::require_admin().await?.gateway;
    Ok(gateway.snapshot().search(&query))
}

/// Switches an integration on or off; the next API call already sees it.
#[server(input = Json)]
pub async fn set_integration_active(id: i64, active: bool) -> Result<(), ServerFnError> {
    let crate::auth::SignedIn { admin, gateway } = crate::auth::require_admin().await?;
    gateway
        .set_integration_active(id, active, Some(&admin.email))
        .await
        .map_err(crate::api::console_error)
}

/// Deletes the integrations (their versions and telemetry stay for the record).
#[server(input = Json)]
pub async fn delete_integrations(ids: Vec<i64>) -> Result<u64, ServerFnError> {
    let gateway = crate::auth::require_admin().await?.gateway;
    gateway
        .delete_integrations(&ids)
        .await
        .map_err(crate::api::console_error)
}

#[component]
pub fn IntegrationsPage() -> impl IntoView {
    let toasts = expect_context::<Toasts>();
    let search = RwSignal::new(String::new());
    let active = RwSignal::new(None::<bool>);
    let visibility = RwSignal::new(None::<Visibility>);
    let page = RwSignal::new(1_u32);
    // Bumped after every write so the list is fetched again in place.
    let refresh = RwSignal::new(0_u32);
    let selected = RwSignal::new(BTreeSet::<i64>::new());
    let confirming = RwSignal::new(false);

    let rows = Resource::new(
        move || {
            (
                IntegrationQuery {
                    search: search.get(),
                    active: active.get(),
                    visibility: visibility.get(),
                    page: page.get(),
                },
                refresh.get(),
            )
        },
        |(query, _)| list_integrations(query),
    );

    let toggle = Action::new(move |(id, on): &(i64, bool)| {
        let (id, on) = (*id, *on);
        async move {
            match set_integration_active(id, on).await {
                Ok(()) => toasts.success(if on {
                    "Integration switched on."
                } else {
                    "Integration switched off."
                }),
                Err(e) => {
                    toasts.failure(format!("Could not switch it: {}", crate::api::readable(&e)))
                }
            }
            refresh.update(|n| *n += 1);
        }
    });
    let delete = Action::new(move |ids: &Vec<i64>| {
        let ids = ids.clone();
        async move {
            match delete_integrations(ids).await {
                Ok(count) => {
                    toasts.success(format!("Deleted {count} integration(s)."));
                    selected.set(BTreeSet::new());
                }
                Err(e) => toasts.failure(format!("Could not delete: {}", crate::api::readable(&e))),
            }
            confirming.set(false);
            refresh.update(|n| *n += 1);
        }
    });

    // A changed search or filter starts again at the first page.
    let reset_page = move || page.set(1);

    view! {
        <Layout
            title="Integrations"
            actions=Box::new(|| view! {
                <a
                    href="/integrations/new"
                    class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-500"
                >
                    "New integration"
                </a>
            }.into_any())
        >
            <div class="flex flex-wrap items-end gap-3">
                <SearchBox placeholder="Slug or name" value=search on_input=reset_page />
                <Filter
                    label="Active"
                    options=choices(&[("yes", "Active"), ("no", "Inactive")])
                    value=Signal::derive(move || active.get().map(|on| if on { "yes" } else { "no" }.to_owned()))
                    on_change=move |value: String| {
                        active.set(match value.as_str() {
                            "yes" => Some(true),
                            "no" => Some(false),
                            _ => None,
                        });
                        reset_page();
                    }
                />
                <Filter
                    label="Visibility"
                    options=choices(&[("internal", "Internal"), ("public", "Public"), ("both", "Both")])
                    value=Signal::derive(move || visibility.get().map(|v| v.as_str().to_owned()))
                    on_change=move |value: String| {
                        visibility.set(Visibility::parse(&value));
                        reset_page();
                    }
                />
                <Show when=move || !selected.get().is_empty()>
                    <button
                        class="ml-auto rounded-md border border-red-300 bg-white px-3 py-1.5 text-sm font-medium text-red-700 hover:bg-red-50"
                        on:click=move |_| confirming.set(true)
                    >
                        {move || format!("Delete selected ({})", selected.get().len())}
                    </button>
                </Show>
            </div>

            <Show when=move || confirming.get()>
                <div class="mt-4">
                    <Confirm
                        id="confirm-delete-title"
                        question=Signal::derive(move || format!(
                            "Delete {} integration(s)? API calls to them stop at once; their versions and telemetry are kept.",
                            selected.get().len()
                        ))
                        action="Delete".to_owned()
                        busy_label="Deleting…"
                        busy=delete.pending()
                        destructive=true
                        on_confirm=move || {
                            delete.dispatch(selected.get().into_iter().collect());
                        }
                        on_cancel=move || confirming.set(false)
                    />
                </div>
            </Show>

            <Transition fallback=|| view! { <p class="mt-6 text-sm text-slate-500">"Loading…"</p> }>
                {move || rows.get().map(|result| match result {
                    Ok(found) => {
                        let page_count = found.page_count();
                        view! {
                            <IntegrationTable found selected toggle />
                            <Pager page page_count />
                        }.into_any()
                    }
                    Err(e) => view! {
                        <p class="mt-6 text-sm text-red-700" role="alert">
                            {format!("The list could not be loaded: {}", crate::api::readable(&e))}
                        </p>
                    }.into_any(),
                })}
            </Transition>
        </Layout>
    }
}

#[component]
fn IntegrationTable(
    found: Page<IntegrationRow>,
    selected: RwSignal<BTreeSet<i64>>,
    toggle: Action<(i64, bool), ()>,
) -> impl IntoView {
    let total = found.total;
    let page_count = found.page_count();
    let current = found.page;
    if found.items.is_empty() {
        return view! {
            <div class="mt-6 rounded-lg border border-dashed border-slate-300 bg-white p-10 text-center text-sm text-slate-600" data-testid="empty-list">
                "No integrations match. "
                <a class="text-indigo-600 hover:underline" href="/integrations/new">"Create one"</a>
            </div>
        }
        .into_any();
    }
    view! {
        <div class="mt-6 overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
            <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="integrations-table">
                <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                    <tr>
                        <th class="w-10 px-4 py-3"><span class="sr-only">"Select"</span></th>
                        <th class="px-4 py-3">"Slug"</th>
                        <th class="px-4 py-3">"Name"</th>
                        <th class="px-4 py-3">"Model"</th>
                        <th class="px-4 py-3">"Visibility"</th>
                        <th class="px-4 py-3">"Version"</th>
                        <th class="px-4 py-3">"Active"</th>
                        <th class="px-4 py-3 text-right">"Actions"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {found.items.into_iter().map(|row| view! { <Row row selected toggle /> }).collect_view()}
                </tbody>
            </table>
        </div>
        <p class="mt-2 text-xs text-slate-500" data-testid="list-summary">
            {format!("{total} integration(s) · page {current} of {page_count}")}
        </p>
    }
    .into_any()
}

#[component]
fn Row(
    row: IntegrationRow,
    selected: RwSignal<BTreeSet<i64>>,
    toggle: Action<(i64, bool), ()>,
) -> impl IntoView {
    let id = row.id;
    let slug = row.slug.clone();
    let model = match (&row.primary_model, row.fallback_count) {
        (None, _) => "—".to_owned(),
        (Some(primary), 0) => primary.clone(),
        (Some(primary), n) => format!("{primary}  +{n}"),
    };
    let (badge, badge_class) = match row.visibility {
        Visibility::Public => ("public", "bg-emerald-100 text-emerald-800"),
        Visibility::Both => ("both", "bg-amber-100 text-amber-800"),
        Visibility::Internal => ("internal", "bg-slate-100 text-slate-700"),
    };
    let active = row.active;
    view! {
        <tr data-testid=format!("row-{slug}")>
            <td class="px-4 py-3">
                <input
                    type="checkbox"
                    aria-label=format!("Select {slug}")
                    prop:checked=move || selected.with(|s| s.contains(&id))
                    on:change=move |ev| {
                        let checked = event_target_checked(&ev);
                        selected.update(|s| {
                            if checked { s.insert(id); } else { s.remove(&id); }
                        });
                    }
                />
            </td>
            <td class="px-4 py-3 font-mono font-semibold">{row.slug.clone()}</td>
            <td class="px-4 py-3">{row.name.clone()}</td>
            <td class="px-4 py-3">
                <span class="rounded bg-slate-100 px-2 py-0.5 font-mono text-xs text-slate-700">{model}</span>
            </td>
            <td class="px-4 py-3">
                <span class=format!("rounded px-2 py-0.5 text-xs font-medium {badge_class}")>{badge}</span>
            </td>
            <td class="px-4 py-3 text-slate-600">{format!("v{}", row.version)}</td>
            <td class="px-4 py-3">
                <button
                    role="switch"
                    aria-checked=active.to_string()
                    aria-label=format!("Active: {slug}")
                    class=if active {
                        "relative inline-flex h-6 w-11 items-center rounded-full bg-indigo-600 transition disabled:opacity-50"
                    } else {
                        "relative inline-flex h-6 w-11 items-center rounded-full bg-slate-300 transition disabled:opacity-50"
                    }
                    disabled=move || toggle.pending().get()
                    on:click=move |_| {
                        toggle.dispatch((id, !active));
                    }
                >
                    <span class=if active {
                        "inline-block h-5 w-5 translate-x-5 rounded-full bg-white shadow transition"
                    } else {
                        "inline-block h-5 w-5 translate-x-0.5 rounded-full bg-white shadow transition"
                    } />
                </button>
            </td>
            <td class="px-4 py-3 text-right">
                <div class="flex justify-end gap-3 text-indigo-600">
                    <a class="hover:underline" href=format!("/integrations/{id}")>"Edit"</a>
                    <a class="hover:underline" href=format!("/integrations/{id}#test")>"Test"</a>
                    <a class="hover:underline" href=format!("/integrations/{id}/versions")>"Versions"</a>
                </div>
            </td>
        </tr>
    }
}
