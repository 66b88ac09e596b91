//! The invocations page: the telemetry grid (search, filters, sort, pages) with its Σ row over
//! every matching call, the calls/errors/spend chart above it, auto-refresh, the CSV export and
//! one call's detail in a dialog. Times are UTC throughout.

use std::time::Duration;

use gateway_types::{
    CALLER_TYPES, ChartBucket, InvocationChart, InvocationDetail, InvocationPage, InvocationQuery,
    InvocationRow, InvocationSort, InvocationStatus, NanoUsd, SortDirection, group_digits,
};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::components::filters::{Filter, SearchBox, choices};
use crate::components::layout::Layout;
use crate::components::pager::Pager;

/// How often the grid is read again while auto-refresh is on.
const REFRESH_EVERY: Duration = Duration::from_secs(5);

/// One page of the grid with the Σ row and the chart for the same filters. The query travels
/// as plain JSON so that a forged sort or status is refused with a message.
#[server(input = Json)]
pub async fn list_invocations(query: serde_json::Value) -> Result<InvocationPage, ServerFnError> {
    let gateway = crate::auth::require_admin().await?.gateway;
    let query: InvocationQuery = crate::api::parse_input(query)?;
    gateway
        .invocations(&query)
        .await
        .map_err(crate::api::console_error)
}

/// The integration slugs that have calls, for the integration filter.
#[server]
pub async fn invoked_integrations() -> Result<Vec<String>, ServerFnError> {
    let gateway = crate::auth::require_admin().await?.gateway;
    gateway
        .invoked_integrations()
        .await
        .map_err(crate::api::console_error)
}

#[server(input = Json)]
pub async fn get_invocation(id: String) -> Result<InvocationDetail, ServerFnError> {
    let gateway = crate::auth::require_admin().await?.gateway;
    gateway
        .invocation(&id)
        .await
        .map_err(crate::api::console_error)
}

/// `None` for an empty input or the "All" option.
fn chosen(text: String) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

#[component]
pub fn InvocationsPage() -> impl IntoView {
    let search = RwSignal::new(String::new());
    let status = RwSignal::new(None::<InvocationStatus>);
    let caller = RwSignal::new(None::<String>);
    let integration = RwSignal::new(None::<String>);
    let from = RwSignal::new(None::<String>);
    let until = RwSignal::new(None::<String>);
    let sort = RwSignal::new((InvocationSort::Time, SortDirection::Desc));
    let page = RwSignal::new(1_u32);
    let auto_refresh = RwSignal::new(true);
    // Bumped by the timer: the grid is read again with the same filters and page.
    let tick = RwSignal::new(0_u32);
    let open = RwSignal::new(None::<String>);

    let query = move || InvocationQuery {
        search: search.get(),
        status: status.get(),
        caller_type: caller.get(),
        integration: integration.get(),
        from: from.get(),
        until: until.get(),
        sort: sort.get().0,
        direction: sort.get().1,
        page: page.get(),
    };
    let found = Resource::new(
        move || (query(), tick.get()),
        |(q, _)| list_invocations(serde_json::to_value(q).unwrap_or_default()),
    );
    let integrations = Resource::new(|| (), |()| invoked_integrations());
    let export_href = move |path: &str| format!("{path}?{}", query().to_query_string());
    let csv_href = move || export_href(crate::api::INVOCATIONS_CSV_PATH);

    // Effects run only in the browser, so the server never starts a timer.
    Effect::new(move |_| {
        let timer = set_interval_with_handle(
            move || {
                if auto_refresh.get_untracked() {
                    tick.update(|n| *n = n.wrapping_add(1));
                }
            },
            REFRESH_EVERY,
        );
        if let Ok(timer) = timer {
            on_cleanup(move || timer.clear());
        }
    });

    // A changed search or filter starts again at the first page.
    let filter = move |target: RwSignal<Option<String>>| {
        move |value: String| {
            target.set(chosen(value));
            page.set(1);
        }
    };
    let integration_options = move || {
        integrations
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .map(|slug| (slug.clone(), slug))
            .collect::<Vec<_>>()
    };
    let status_options = choices(&InvocationStatus::ALL.map(|s| (s.as_str(), s.as_str())));
    let caller_options = choices(&CALLER_TYPES.map(|c| (c, c)));

    view! {
        <Layout
            title="Invocations"
            actions=Box::new(move || view! {
                <label class="flex items-center gap-2 text-sm text-slate-600">
                    <input
                        type="checkbox"
                        prop:checked=move || auto_refresh.get()
                        on:change=move |ev| auto_refresh.set(event_target_checked(&ev))
                    />
                    "Auto-refresh (5 s)"
                </label>
                <a
                    href=csv_href
                    download=""
                    class="rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-medium text-slate-700 hover:bg-slate-50"
                >
                    "Export CSV"
                </a>
                <a
                    href=move || format!("{}&exchanges=true", csv_href())
                    download=""
                    title="Adds the prompt and answer columns, for integrations that keep them"
                    class="rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-medium text-slate-700 hover:bg-slate-50"
                >
                    "Export with prompts"
                </a>
                <a
                    href=move || {
                        format!("{}&exchanges=true", export_href(crate::api::INVOCATIONS_JSON_PATH))
                    }
                    download=""
                    title="Every matching row as JSON, with the prompt and answer where kept"
                    class="rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-medium text-slate-700 hover:bg-slate-50"
                >
                    "Export JSON"
                </a>
            }.into_any())
        >
            <div class="flex flex-wrap items-end gap-3">
                <SearchBox placeholder="Integration or model" value=search on_input=move || page.set(1) />
                <Filter
                    label="Status"
                    options=Signal::stored(status_options)
                    value=Signal::derive(move || status.get().map(|s| s.as_str().to_owned()))
                    on_change=move |value: String| {
                        status.set(InvocationStatus::parse(&value));
                        page.set(1);
                    }
                />
                <Filter
                    label="Caller"
                    options=Signal::stored(caller_options)
                    value=caller
                    on_change=filter(caller)
                />
                // The slugs come from the server: read inside Suspense so hydration waits for them.
                <Suspense fallback=move || view! {
                    <Filter label="Integration" options=Vec::new() value=integration on_change=filter(integration) />
                }>
                    {move || {
                        let options = integration_options();
                        view! {
                            <Filter label="Integration" options value=integration on_change=filter(integration) />
                        }
                    }}
                </Suspense>
                <DayInput label="From (UTC)" value=from on_change=filter(from) />
                <DayInput label="Until (UTC)" value=until on_change=filter(until) />
            </div>

            <Transition fallback=|| view! { <p class="mt-6 text-sm text-slate-500">"Loading…"</p> }>
                {move || found.get().map(|result| match result {
                    Ok(found) => {
                        let page_count = found.rows.page_count();
                        view! {
                            <UsageChart chart=found.chart.clone() />
                            <InvocationTable found sort page open />
                            <Pager page page_count />
                        }.into_any()
                    }
                    Err(e) => view! {
                        <p class="mt-6 text-sm text-red-700" role="alert">
                            {format!("The invocations could not be loaded: {}", crate::api::readable(&e))}
                        </p>
                    }.into_any(),
                })}
            </Transition>
            <DetailDialog open />
        </Layout>
    }
}

/// A date picker for a whole UTC day; cleared means "no limit".
#[component]
fn DayInput(
    label: &'static str,
    value: RwSignal<Option<String>>,
    on_change: impl Fn(String) + 'static,
) -> impl IntoView {
    view! {
        <label class="flex flex-col text-sm">
            <span class="mb-1 text-slate-600">{label}</span>
            <input
                type="date"
                class="rounded-md border border-slate-300 px-3 py-1.5"
                prop:value=move || value.get().unwrap_or_default()
                on:input=move |ev| on_change(event_target_value(&ev))
            />
        </label>
    }
}

/// Calls (bars), errors (the red part of each bar) and spend (the line) per hour or day.
#[component]
fn UsageChart(chart: InvocationChart) -> impl IntoView {
    const WIDTH: f64 = 800.0;
    const HEIGHT: f64 = 170.0;
    const LEFT: f64 = 44.0;
    const RIGHT: f64 = 70.0;
    const TOP: f64 = 10.0;
    const BOTTOM: f64 = 24.0;
    let unit = match chart.bucket {
        gateway_types::BucketSize::Hour => "hour",
        gateway_types::BucketSize::Day => "day",
    };
    let buckets = chart.buckets;
    let heading = view! {
        <div class="flex flex-wrap items-center justify-between gap-2">
            <h2 class="text-sm font-semibold text-slate-700">
                {format!("Calls, errors and spend per {unit} (UTC)")}
            </h2>
            <div class="flex gap-4 text-xs text-slate-600">
                <span class="flex items-center gap-1"><span class="inline-block h-2.5 w-2.5 rounded-sm bg-indigo-400"></span>"Calls"</span>
                <span class="flex items-center gap-1"><span class="inline-block h-2.5 w-2.5 rounded-sm bg-red-500"></span>"Errors"</span>
                <span class="flex items-center gap-1"><span class="inline-block h-0.5 w-4 bg-amber-500"></span>"Spend"</span>
            </div>
        </div>
    };
    if buckets.is_empty() {
        return view! {
            <section class="mt-6 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="invocations-chart">
                {heading}
                <p class="mt-4 text-sm text-slate-500">"No calls in this range."</p>
            </section>
        }
        .into_any();
    }
    let max_calls = buckets.iter().map(|b| b.calls).max().unwrap_or(0).max(1) as f64;
    let max_cost = buckets.iter().map(|b| b.cost.0).max().unwrap_or(0).max(1) as f64;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / buckets.len() as f64;
    let bar = (slot * 0.7).max(1.0);
    let base = TOP + plot_h;
    let x_of = |i: usize| LEFT + i as f64 * slot;
    let spend: Vec<String> = buckets
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let y = base - b.cost.0 as f64 / max_cost * plot_h;
            format!("{:.1},{:.1}", x_of(i) + slot / 2.0, y)
        })
        .collect();
    let ticks: Vec<(usize, String)> = {
        let last = buckets.len() - 1;
        let mut picked = vec![0, last / 2, last];
        picked.dedup();
        picked
            .into_iter()
            .map(|i| (i, buckets[i].label.clone()))
            .collect()
    };
    let bars = buckets
        .iter()
        .enumerate()
        .map(|(i, b): (usize, &ChartBucket)| {
            let calls_h = b.calls as f64 / max_calls * plot_h;
            let errors_h = b.errors as f64 / max_calls * plot_h;
            let x = x_of(i) + (slot - bar) / 2.0;
            let title = format!(
                "{}: {} call(s), {} error(s), {}",
                b.label,
                b.calls,
                b.errors,
                b.cost.total_text()
            );
            view! {
                <g>
                    <title>{title}</title>
                    <rect x=format!("{:.1}", x_of(i)) y=TOP width=format!("{slot:.1}") height=plot_h fill="transparent" />
                    <rect x=format!("{x:.1}") y=format!("{:.1}", base - calls_h) width=format!("{bar:.1}") height=format!("{calls_h:.1}") class="fill-indigo-400" rx="1" />
                    <rect x=format!("{x:.1}") y=format!("{:.1}", base - errors_h) width=format!("{bar:.1}") height=format!("{errors_h:.1}") class="fill-red-500" rx="1" />
                </g>
            }
        })
        .collect_view();
    view! {
        <section class="mt-6 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="invocations-chart">
            {heading}
            <svg
                viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                class="mt-3 h-44 w-full"
                role="img"
                aria-label=format!("Calls, errors and spend per {unit}")
            >
                <line x1=LEFT y1=base x2=WIDTH - RIGHT y2=base class="stroke-slate-300" stroke-width="1" />
                <line x1=LEFT y1=TOP x2=WIDTH - RIGHT y2=TOP class="stroke-slate-100" stroke-width="1" />
                <text x=LEFT - 6.0 y=TOP + 4.0 text-anchor="end" class="fill-slate-500 text-[10px]">{max_calls.to_string()}</text>
                <text x=LEFT - 6.0 y=base text-anchor="end" class="fill-slate-500 text-[10px]">"0"</text>
                <text x=WIDTH - RIGHT + 6.0 y=TOP + 4.0 class="fill-amber-600 text-[10px]">{NanoUsd(max_cost as i64).total_text()}</text>
                {bars}
                <polyline points=spend.join(" ") fill="none" class="stroke-amber-500" stroke-width="2" stroke-linejoin="round" />
                {ticks
                    .into_iter()
                    .map(|(i, label)| {
                        view! {
                            <text x=format!("{:.1}", x_of(i) + slot / 2.0) y=HEIGHT - 6.0 text-anchor="middle" class="fill-slate-500 text-[10px]">{label}</text>
                        }
                    })
                    .collect_view()}
            </svg>
        </section>
    }
    .into_any()
}

#[component]
fn InvocationTable(
    found: InvocationPage,
    sort: RwSignal<(InvocationSort, SortDirection)>,
    page: RwSignal<u32>,
    open: RwSignal<Option<String>>,
) -> impl IntoView {
    let rows = found.rows;
    let totals = found.totals;
    let now = found.now_ms;
    let summary = format!(
        "{} call(s) · page {} of {}",
        group_digits(totals.count),
        rows.page,
        rows.page_count()
    );
    let body = if rows.items.is_empty() {
        view! {
            <tr>
                <td colspan="10" class="px-4 py-10 text-center text-slate-500" data-testid="empty-list">
                    "No invocations match."
                </td>
            </tr>
        }
        .into_any()
    } else {
        rows.items
            .into_iter()
            .map(|row| view! { <Row row now open /> })
            .collect_view()
            .into_any()
    };
    view! {
        <div class="mt-6 overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
            <table class="min-w-full divide-y divide-slate-200 whitespace-nowrap text-sm" data-testid="invocations-table">
                <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                    <tr>
                        <SortHeader label="Created at" column=InvocationSort::Time sort page />
                        <th class="px-4 py-3">"Integration"</th>
                        <SortHeader label="Status" column=InvocationSort::Status sort page />
                        <th class="px-4 py-3">"Model"</th>
                        <th class="px-4 py-3">"Caller"</th>
                        <th class="px-4 py-3 text-right">"Prompt"</th>
                        <th class="px-4 py-3 text-right">"Completion"</th>
                        <SortHeader label="Cost" column=InvocationSort::Cost sort page numeric=true />
                        <SortHeader label="Latency" column=InvocationSort::Latency sort page numeric=true />
                        <th class="px-4 py-3 text-right">"Actions"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">{body}</tbody>
                <tfoot class="border-t-2 border-slate-200 bg-slate-50 text-slate-700" data-testid="totals">
                    <tr>
                        <td class="px-4 py-3 text-xs font-semibold uppercase tracking-wide text-slate-500" colspan="5">
                            "All matching calls"
                        </td>
                        <td class="px-4 py-3 text-right tabular-nums">
                            <span class="block text-xs text-slate-500">"Σ prompt"</span>
                            <span data-testid="sum-prompt">{group_digits(totals.prompt_tokens)}</span>
                        </td>
                        <td class="px-4 py-3 text-right tabular-nums">
                            <span class="block text-xs text-slate-500">"Σ completion"</span>
                            <span data-testid="sum-completion">{group_digits(totals.completion_tokens)}</span>
                        </td>
                        <td class="px-4 py-3 text-right tabular-nums">
                            <span class="block text-xs text-slate-500">"Σ cost"</span>
                            <span data-testid="sum-cost">{totals.cost.total_text()}</span>
                        </td>
                        <td colspan="2"></td>
                    </tr>
                </tfoot>
            </table>
        </div>
        <p class="mt-2 text-xs text-slate-500" data-testid="list-summary">{summary}</p>
    }
}

/// A column heading that sorts by its column; a second click flips the direction.
#[component]
fn SortHeader(
    label: &'static str,
    column: InvocationSort,
    sort: RwSignal<(InvocationSort, SortDirection)>,
    page: RwSignal<u32>,
    #[prop(optional)] numeric: bool,
) -> impl IntoView {
    let state = move || {
        let (current, direction) = sort.get();
        (current == column).then_some(direction)
    };
    let aria_sort = move || match state() {
        Some(SortDirection::Asc) => "ascending",
        Some(SortDirection::Desc) => "descending",
        None => "none",
    };
    let arrow = move || match state() {
        Some(SortDirection::Asc) => "↑",
        Some(SortDirection::Desc) => "↓",
        None => "",
    };
    let click = move |_| {
        sort.update(|(current, direction)| {
            if *current == column {
                *direction = match direction {
                    SortDirection::Asc => SortDirection::Desc,
                    SortDirection::Desc => SortDirection::Asc,
                };
            } else {
                *current = column;
                *direction = SortDirection::Desc;
            }
        });
        page.set(1);
    };
    view! {
        <th class=if numeric { "px-4 py-3 text-right" } else { "px-4 py-3" } aria-sort=aria_sort>
            <button
                class="inline-flex items-center gap-1 font-semibold uppercase tracking-wide hover:text-slate-900"
                on:click=click
            >
                {label}
                <span aria-hidden="true" class="text-indigo-600">{arrow}</span>
            </button>
        </th>
    }
}

const BADGE: &str = "rounded px-2 py-0.5 text-xs font-medium";

fn status_badge(status: InvocationStatus) -> impl IntoView {
    let colours = match status {
        InvocationStatus::Ok => "bg-emerald-100 text-emerald-800",
        InvocationStatus::Fallback => "bg-amber-100 text-amber-800",
        InvocationStatus::Error => "bg-red-100 text-red-800",
        InvocationStatus::Cancelled => "bg-slate-100 text-slate-700",
    };
    view! { <span class=format!("{BADGE} {colours}")>{status.as_str()}</span> }
}

fn gray_badge(text: String) -> impl IntoView {
    view! { <span class=format!("{BADGE} bg-slate-100 text-slate-700")>{text}</span> }
}

/// At most 28 characters, the rest replaced by an ellipsis.
fn shortened(text: &str) -> String {
    const MAX: usize = 28;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        let head: String = text.chars().take(MAX - 1).collect();
        format!("{head}…")
    }
}

/// "23 minutes ago", measured against the server's clock when the page was read.
fn ago(now_ms: i64, then_ms: i64) -> String {
    let seconds = (now_ms - then_ms).max(0) / 1000;
    let (count, unit) = match seconds {
        s if s < 45 => return "just now".to_owned(),
        s if s < 3_600 => ((s / 60).max(1), "minute"),
        s if s < 86_400 => (s / 3_600, "hour"),
        s if s < 30 * 86_400 => (s / 86_400, "day"),
        s if s < 365 * 86_400 => (s / (30 * 86_400), "month"),
        s => (s / (365 * 86_400), "year"),
    };
    let plural = if count == 1 { "" } else { "s" };
    format!("{count} {unit}{plural} ago")
}

fn tokens(count: Option<i64>) -> String {
    count.map_or_else(|| "—".to_owned(), group_digits)
}

fn cost(cost: Option<NanoUsd>) -> String {
    cost.map_or_else(|| "—".to_owned(), NanoUsd::cost_text)
}

#[component]
fn Row(row: InvocationRow, now: i64, open: RwSignal<Option<String>>) -> impl IntoView {
    let id = row.id.clone();
    let view_detail = move |_| open.set(Some(id.clone()));
    let model = row.model_used.clone().unwrap_or_else(|| "—".to_owned());
    view! {
        <tr data-testid=format!("invocation-{}", row.id) class="hover:bg-slate-50">
            <td class="whitespace-nowrap px-4 py-3 text-slate-600" title=row.created_at.clone()>
                {ago(now, row.created_at_ms)}
            </td>
            <td class="px-4 py-3">{gray_badge(row.integration_slug.clone())}</td>
            <td class="px-4 py-3">{status_badge(row.status)}</td>
            <td class="px-4 py-3 font-mono text-xs" title=model.clone()>{shortened(&model)}</td>
            <td class="px-4 py-3">{gray_badge(row.caller_type.clone())}</td>
            <td class="px-4 py-3 text-right tabular-nums">{tokens(row.prompt_tokens)}</td>
            <td class="px-4 py-3 text-right tabular-nums">{tokens(row.completion_tokens)}</td>
            <td class="px-4 py-3 text-right tabular-nums">{cost(row.cost)}</td>
            <td class="px-4 py-3 text-right tabular-nums">{format!("{} ms", group_digits(row.latency_ms))}</td>
            <td class="px-4 py-3 text-right">
                <button class="text-indigo-600 hover:underline" on:click=view_detail>"View"</button>
            </td>
        </tr>
    }
}

/// One call in a dialog over the page; closes with its button, Escape or a click beside it.
#[component]
fn DetailDialog(open: RwSignal<Option<String>>) -> impl IntoView {
    let detail = Resource::new(
        move || open.get(),
        |id| async move {
            match id {
                Some(id) => Some(get_invocation(id).await),
                None => None,
            }
        },
    );
    let close = move |_| open.set(None);
    let escape = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" {
            open.set(None);
        }
    });
    on_cleanup(move || escape.remove());
    view! {
        <Show when=move || open.get().is_some()>
            <div class="fixed inset-0 z-40 flex items-start justify-center overflow-y-auto bg-slate-900/40 p-6" on:click=close>
                <div
                    role="dialog"
                    aria-modal="true"
                    aria-labelledby="invocation-detail-title"
                    class="mt-10 w-full max-w-3xl rounded-lg bg-white shadow-xl"
                    on:click=|ev| ev.stop_propagation()
                >
                    <div class="flex items-center justify-between border-b border-slate-200 px-6 py-4">
                        <h2 id="invocation-detail-title" class="text-lg font-semibold">"Invocation detail"</h2>
                        <button
                            class="rounded-md border border-slate-300 px-3 py-1 text-sm hover:bg-slate-50"
                            on:click=close
                        >
                            "Close"
                        </button>
                    </div>
                    <Suspense fallback=|| view! { <p class="px-6 py-6 text-sm text-slate-500">"Loading…"</p> }>
                        {move || detail.get().flatten().map(|result| match result {
                            Ok(detail) => view! { <DetailBody detail /> }.into_any(),
                            Err(e) => view! {
                                <p class="px-6 py-6 text-sm text-red-700" role="alert">
                                    {format!("The invocation could not be loaded: {}", crate::api::readable(&e))}
                                </p>
                            }.into_any(),
                        })}
                    </Suspense>
                </div>
            </div>
        </Show>
    }
}

/// A labelled value in the detail; `—` when empty.
fn field(label: &'static str, value: Option<String>) -> impl IntoView {
    view! {
        <div>
            <dt class="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</dt>
            <dd class="mt-1 break-words text-sm text-slate-900">{value.unwrap_or_else(|| "—".to_owned())}</dd>
        </div>
    }
}

#[component]
fn DetailBody(detail: InvocationDetail) -> impl IntoView {
    let copied = RwSignal::new(false);
    let generation = detail.generation_id.clone();
    let copy = move |_| {
        if let Some(id) = &generation {
            copy_text(id);
            copied.set(true);
            set_timeout(move || copied.set(false), Duration::from_secs(2));
        }
    };
    let link = detail.openrouter_url().zip(detail.generation_id.clone());
    let failed = detail.status == InvocationStatus::Error;
    let section = "border-b border-slate-100 px-6 py-5";
    let grid = "mt-3 grid grid-cols-1 gap-4 sm:grid-cols-3";
    view! {
        <section class=section data-testid="detail-call">
            <h3 class="text-sm font-semibold text-slate-700">"Call"</h3>
            <dl class=grid>
                {field("Integration", Some(detail.integration_slug.clone()))}
                <div>
                    <dt class="text-xs font-medium uppercase tracking-wide text-slate-500">"Status"</dt>
                    <dd class="mt-1">{status_badge(detail.status)}</dd>
                </div>
                {field("Caller", Some(detail.caller_type.clone()))}
                {field("Caller id", detail.caller_id.clone())}
                {field("Requested model", detail.model_requested.clone())}
                {field("Used model", detail.model_used.clone())}
                {field("Created at", Some(detail.created_at.clone()))}
                {field("Invocation id", Some(detail.id.clone()))}
                {field("Conversation", detail.conversation_id.clone())}
            </dl>
        </section>
        <section class=section data-testid="detail-usage">
            <h3 class="text-sm font-semibold text-slate-700">"Usage & cost"</h3>
            <dl class=grid>
                {field("Prompt tokens", detail.prompt_tokens.map(group_digits))}
                {field("Completion tokens", detail.completion_tokens.map(group_digits))}
                {field("Cached tokens", detail.cached_tokens.map(group_digits))}
                {field("Reasoning tokens", detail.reasoning_tokens.map(group_digits))}
                {field("Cost", detail.cost.map(NanoUsd::cost_text))}
                {field("Latency", Some(format!("{} ms", group_digits(detail.latency_ms))))}
                {field("Citations", detail.citation_count.map(|n| n.to_string()))}
                {field("Attempts", Some(detail.attempts.to_string()))}
                {field("Finish reason", detail.finish_reason.clone())}
            </dl>
            <div class="mt-4">
                <dt class="text-xs font-medium uppercase tracking-wide text-slate-500">"OpenRouter generation id"</dt>
                <dd class="mt-1 flex flex-wrap items-center gap-3 text-sm">
                    {match link {
                        Some((url, id)) => view! {
                            <a
                                href=url
                                target="_blank"
                                rel="noopener noreferrer"
                                class="font-mono text-indigo-600 hover:underline"
                                title="Open in OpenRouter logs (new tab)"
                                data-testid="generation-link"
                            >
                                {id}
                            </a>
                            <button
                                class="rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-50"
                                on:click=copy
                            >
                                {move || if copied.get() { "Copied!" } else { "Copy id" }}
                            </button>
                        }.into_any(),
                        None => view! { <span>"—"</span> }.into_any(),
                    }}
                </dd>
            </div>
        </section>
        {detail.exchange.clone().map(|exchange| view! {
            <section class=section data-testid="detail-exchange">
                <h3 class="text-sm font-semibold text-slate-700">"Prompt & answer"</h3>
                <dl class="mt-3 grid grid-cols-1 gap-4">
                    <div>
                        <dt class="text-xs font-medium uppercase tracking-wide text-slate-500">"Messages sent"</dt>
                        <dd class="mt-1 max-h-80 overflow-auto whitespace-pre-wrap break-words rounded bg-slate-50 p-3 font-mono text-xs text-slate-900" data-testid="exchange-prompt">
                            {readable_json(&exchange.prompt)}
                        </dd>
                    </div>
                    <div>
                        <dt class="text-xs font-medium uppercase tracking-wide text-slate-500">"Answer"</dt>
                        <dd class="mt-1 max-h-80 overflow-auto whitespace-pre-wrap break-words rounded bg-slate-50 p-3 font-mono text-xs text-slate-900" data-testid="exchange-answer">
                            {exchange.answer.as_deref().map_or_else(|| "— (no answer)".to_owned(), readable_json)}
                        </dd>
                    </div>
                </dl>
            </section>
        })}
        <Show when=move || failed>
            <section class="px-6 py-5" data-testid="detail-error">
                <h3 class="text-sm font-semibold text-red-700">"Error"</h3>
                <dl class="mt-3 grid grid-cols-1 gap-4">
                    {field("Error class", detail.error_class.clone())}
                    <div>
                        <dt class="text-xs font-medium uppercase tracking-wide text-slate-500">"Message"</dt>
                        <dd class="mt-1 whitespace-pre-wrap break-words rounded bg-red-50 p-3 font-mono text-xs text-red-900">
                            {detail.error_message.clone().unwrap_or_else(|| "—".to_owned())}
                        </dd>
                    </div>
                </dl>
            </section>
        </Show>
    }
}

/// Kept JSON indented for reading; text that is not JSON (cut at the size bound) as it is.
fn readable_json(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|value| serde_json::to_string_pretty(&value).ok())
        .unwrap_or_else(|| text.to_owned())
}

/// Puts the text on the clipboard; only browsers have one.
fn copy_text(text: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        // The promise only says whether the browser allowed it; the button shows "Copied!" anyway.
        let _ = window.navigator().clipboard().write_text(text);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = text;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_how_long_ago() {
        let now = 1_000_000_000_000;
        assert_eq!(ago(now, now - 10_000), "just now");
        assert_eq!(ago(now, now - 23 * 60_000), "23 minutes ago");
        assert_eq!(ago(now, now - 3_600_000), "1 hour ago");
        assert_eq!(ago(now, now - 3 * 86_400_000), "3 days ago");
        assert_eq!(ago(now, now - 400 * 86_400_000), "1 year ago");
    }

    #[test]
    fn kept_json_is_indented_and_cut_text_shown_as_is() {
        assert_eq!(
            readable_json(r#"{"content":"hi"}"#),
            "{\n  \"content\": \"hi\"\n}"
        );
        let cut = r#"[{"role":"user","content":"abc…[truncated: 9 bytes in all]"#;
        assert_eq!(readable_json(cut), cut);
    }

    #[test]
    fn long_model_names_are_cut_to_28_characters() {
        assert_eq!(shortened("openai/gpt-4o-mini"), "openai/gpt-4o-mini");
        let cut = shortened("anthropic/claude-3.5-sonnet-20241022");
        assert_eq!(cut.chars().count(), 28);
        assert!(cut.ends_with('…'));
    }
}
