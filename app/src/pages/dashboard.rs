//! The landing page (`/`): today's spend against each integration's daily cap, the last day's
//! calls and error rate by hour, the week's most expensive integrations, and the deployment's
//! status. The numbers come from `gateway::dashboard`.

use gateway_types::{CallStats, CostRow, Dashboard, IntegrationSpend, SystemStatus};
use leptos::prelude::*;

use crate::components::layout::Layout;

const HOUR_MS: i64 = 3_600_000;

/// Everything the landing page shows, as of now.
#[server]
pub async fn load_dashboard() -> Result<Dashboard, ServerFnError> {
    let gateway = crate::auth::require_admin().await?.gateway;
    gateway::dashboard::overview(&gateway)
        .await
        .map_err(crate::api::console_error)
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    // The route renders in order: the server writes the numbers into the page itself, so it
    // reads without scripts.
    let dashboard = Resource::new(|| (), |()| load_dashboard());
    let refresh = move |_| dashboard.refetch();
    view! {
        <Layout
            title="Overview"
            actions=Box::new(move || view! {
                <button
                    class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium hover:bg-slate-50"
                    on:click=refresh
                >
                    "Refresh"
                </button>
            }.into_any())
        >
            <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
                {move || dashboard.get().map(|result| match result {
                    Ok(dashboard) => view! { <Overview dashboard /> }.into_any(),
                    Err(e) => view! {
                        <p class="text-sm text-red-700" role="alert">
                            {format!("The overview could not be loaded: {}", crate::api::readable(&e))}
                        </p>
                    }.into_any(),
                })}
            </Transition>
        </Layout>
    }
}

#[component]
fn Overview(dashboard: Dashboard) -> impl IntoView {
    let Dashboard {
        status,
        spend_today,
        idle_uncapped,
        last_24h,
        top_by_cost,
        ..
    } = dashboard;
    view! {
        <div class="mx-auto max-w-6xl space-y-6">
            <StatusLine status />
            <LastDay stats=last_24h />
            <div class="grid gap-6 lg:grid-cols-2">
                <SpendToday rows=spend_today idle_uncapped />
                <TopByCost rows=top_by_cost />
            </div>
        </div>
    }
}

#[component]
fn StatusLine(status: SystemStatus) -> impl IntoView {
    let database = if status.database_reachable {
        "reachable"
    } else {
        "unreachable"
    };
    view! {
        <p class="text-sm text-slate-600" data-testid="status-result">
            <span class="font-medium text-slate-900">{status.engine.label()}</span>
            {format!(" database {database} · version {}", status.version)}
            {status.demo_mode.then(|| view! {
                <span class="ml-2 rounded bg-amber-100 px-2 py-0.5 text-amber-800">"demo mode"</span>
            })}
        </p>
    }
}

/// The last day's totals and a bar per hour (errors in red on top of the successful calls).
#[component]
fn LastDay(stats: CallStats) -> impl IntoView {
    let busiest = stats
        .hours
        .iter()
        .map(|h| h.calls)
        .max()
        .unwrap_or(0)
        .max(1);
    let rate = format!("{:.1}%", stats.error_rate() * 100.0);
    view! {
        <section class="rounded-lg border border-slate-200 bg-white p-5 shadow-sm" aria-labelledby="last-day">
            <h2 id="last-day" class="text-base font-semibold">"Last 24 hours"</h2>
            <p class="text-xs text-slate-500">"Every recorded call: API, console tests and drafts. Hours in UTC."</p>
            <dl class="mt-4 grid grid-cols-3 gap-4">
                <Stat label="Calls" value=stats.calls.to_string() testid="calls-24h" />
                <Stat label="Error rate" value=format!("{rate} ({})", count(stats.errors, "error")) testid="error-rate-24h" />
                <Stat label="Spend" value=stats.cost.cost_text() testid="cost-24h" />
            </dl>
            <div
                class="mt-5 flex h-24 items-end gap-1"
                role="img"
                aria-label=format!("Calls per hour over the last 24 hours: {} calls, {} errors", stats.calls, stats.errors)
            >
                {stats.hours.into_iter().map(|hour| {
                    // Drawn in SVG units (0..100 from the top), not `style=` heights: the console's
                    // policy runs no inline style.
                    let all = hour.calls * 100 / busiest;
                    let ok = hour.calls.saturating_sub(hour.errors) * 100 / busiest;
                    let label = format!(
                        "{:02}:00 UTC: {} calls, {} errors",
                        hour.start_ms.div_euclid(HOUR_MS).rem_euclid(24),
                        hour.calls,
                        hour.errors
                    );
                    view! {
                        <div class="h-full flex-1" title=label>
                            <svg class="block h-full w-full" viewBox="0 0 1 100" preserveAspectRatio="none" aria-hidden="true">
                                <rect class="fill-red-400" width="1" y=(100 - all).to_string() height=(all - ok).to_string() />
                                <rect class="fill-indigo-400" width="1" y=(100 - ok).to_string() height=ok.to_string() />
                            </svg>
                        </div>
                    }
                }).collect_view()}
            </div>
        </section>
    }
}

#[component]
fn Stat(label: &'static str, value: String, testid: &'static str) -> impl IntoView {
    view! {
        <div>
            <dt class="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</dt>
            <dd class="mt-1 text-2xl font-semibold" data-testid=testid>{value}</dd>
        </div>
    }
}

/// Spend today against each cap, the closest to its cap first.
#[component]
fn SpendToday(rows: Vec<IntegrationSpend>, idle_uncapped: u64) -> impl IntoView {
    let empty = rows.is_empty();
    view! {
        <section class="rounded-lg border border-slate-200 bg-white p-5 shadow-sm" aria-labelledby="spend-today">
            <h2 id="spend-today" class="text-base font-semibold">"Spend today (UTC) against daily caps"</h2>
            <p class="text-xs text-slate-500">"Settled spend, as the caps count it. A cap is the integration's own or the deployment default."</p>
            {empty.then(|| view! { <p class="mt-4 text-sm text-slate-500">"No integration has a cap or has spent anything today."</p> })}
            <ul class="mt-4 space-y-3">
                {rows.into_iter().map(|row| view! { <SpendRow row /> }).collect_view()}
            </ul>
            {(idle_uncapped > 0).then(|| view! {
                <p class="mt-4 text-xs text-slate-500" data-testid="idle-uncapped">
                    {format!("{idle_uncapped} more integration(s) have no cap and no spend today.")}
                </p>
            })}
        </section>
    }
}

#[component]
fn SpendRow(row: IntegrationSpend) -> impl IntoView {
    let used = row.used();
    let cap = match (row.cap, row.cap_is_default) {
        (Some(cap), false) => format!("of {}", cap.cost_text()),
        (Some(cap), true) => format!("of {} (default)", cap.cost_text()),
        (None, _) => "no cap".to_owned(),
    };
    let percent = used.map(|u| (u * 100.0).clamp(0.0, 100.0));
    let colour = match used {
        Some(u) if u >= 0.9 => "fill-red-500",
        Some(u) if u >= 0.7 => "fill-amber-500",
        _ => "fill-emerald-500",
    };
    view! {
        <li data-testid=format!("spend-{}", row.slug)>
            <div class="flex items-baseline justify-between gap-3 text-sm">
                <a class="font-medium text-indigo-700 hover:underline" href=format!("/integrations/{}", row.id)>{row.slug.clone()}</a>
                <span class="text-slate-700">{format!("{} {cap}", row.spent.cost_text())}</span>
            </div>
            {percent.map(|percent| view! {
                <div
                    class="mt-1 h-2 w-full overflow-hidden rounded bg-slate-100"
                    role="progressbar"
                    aria-label=format!("{} spend today", row.slug)
                    aria-valuemin="0"
                    aria-valuemax="100"
                    aria-valuenow=format!("{percent:.0}")
                >
                    <svg class="block h-full w-full" viewBox="0 0 100 1" preserveAspectRatio="none" aria-hidden="true">
                        <rect class=colour width=format!("{percent:.1}") height="1" />
                    </svg>
                </div>
            })}
        </li>
    }
}

/// The week's most expensive slugs.
#[component]
fn TopByCost(rows: Vec<CostRow>) -> impl IntoView {
    let empty = rows.is_empty();
    view! {
        <section class="rounded-lg border border-slate-200 bg-white p-5 shadow-sm" aria-labelledby="top-cost">
            <h2 id="top-cost" class="text-base font-semibold">
                {format!("Top integrations by cost · last {} days", Dashboard::TOP_DAYS)}
            </h2>
            <p class="text-xs text-slate-500">"Every recorded call, errors included."</p>
            {empty.then(|| view! { <p class="mt-4 text-sm text-slate-500">"No calls in the last seven days."</p> })}
            {(!empty).then(|| view! {
                <table class="mt-4 w-full text-sm">
                    <thead class="text-left text-xs uppercase tracking-wide text-slate-500">
                        <tr>
                            <th class="py-1 font-medium">"Integration"</th>
                            <th class="py-1 text-right font-medium">"Calls"</th>
                            <th class="py-1 text-right font-medium">"Errors"</th>
                            <th class="py-1 text-right font-medium">"Cost"</th>
                        </tr>
                    </thead>
                    <tbody class="divide-y divide-slate-100">
                        {rows.into_iter().map(|row| view! {
                            <tr data-testid=format!("top-{}", row.slug)>
                                <td class="py-1.5">
                                    {match row.id {
                                        Some(id) => view! {
                                            <a class="text-indigo-700 hover:underline" href=format!("/integrations/{id}")>{row.slug.clone()}</a>
                                        }.into_any(),
                                        None => view! { <span class="text-slate-600">{row.slug.clone()}</span> }.into_any(),
                                    }}
                                </td>
                                <td class="py-1.5 text-right">{row.calls}</td>
                                <td class="py-1.5 text-right">{row.errors}</td>
                                <td class="py-1.5 text-right">{row.cost.cost_text()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    }
}

/// `1 error`, `2 errors`.
fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(count(1, "error"), "1 error");
        assert_eq!(count(0, "error"), "0 errors");
    }
}
