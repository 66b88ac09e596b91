//! The frame around every console page: sidebar navigation, a header with the page title, and the
//! demo-mode banner when no OpenRouter key is configured.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// The sidebar's destinations, in order, and whether their page exists yet (the others are
/// listed so the console's shape is visible, but cannot be followed).
const NAVIGATION: [(&str, &str, bool); 6] = [
    ("/", "Overview", true),
    ("/integrations", "Integrations", true),
    ("/invocations", "Invocations", true),
    ("/settings", "Settings", false),
    ("/tokens", "API tokens", false),
    ("/docs", "API docs", false),
];

#[component]
pub fn Layout(
    /// The page's heading.
    #[prop(into)]
    title: String,
    /// Buttons shown at the right of the heading.
    #[prop(optional)]
    actions: Option<Children>,
    children: Children,
) -> impl IntoView {
    let status = Resource::new(|| (), |()| crate::api::check_status());
    // Effects run only in the browser: the marker tells tests the page is interactive.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <div class="flex min-h-screen" data-hydrated=move || hydrated.get().to_string()>
            <Sidebar />
            <div class="flex min-w-0 flex-1 flex-col">
                <Suspense fallback=|| ()>
                    {move || {
                        status
                            .get()
                            .and_then(Result::ok)
                            .filter(|s| s.demo_mode)
                            .map(|_| view! {
                                <div
                                    class="border-b border-amber-200 bg-amber-50 px-6 py-2 text-sm text-amber-900"
                                    data-testid="demo-banner"
                                >
                                    "Demo mode: no OpenRouter key is configured, so answers come from the built-in simulator and cost nothing."
                                </div>
                            })
                    }}
                </Suspense>
                <header class="flex flex-wrap items-center justify-between gap-4 border-b border-slate-200 bg-white px-6 py-4">
                    <h1 class="text-xl font-semibold tracking-tight">{title}</h1>
                    <div class="flex items-center gap-4">
                        {actions.map(|actions| actions())}
                        <crate::auth::SignedInBar />
                    </div>
                </header>
                <main class="flex-1 px-6 py-6">{children()}</main>
            </div>
        </div>
    }
}

#[component]
fn Sidebar() -> impl IntoView {
    let location = use_location();
    let is_current = move |href: &str| {
        let path = location.pathname.get();
        if href == "/" {
            path == "/"
        } else {
            path == href || path.starts_with(&format!("{href}/"))
        }
    };
    view! {
        <nav class="w-56 shrink-0 border-r border-slate-200 bg-slate-900 text-slate-100" aria-label="Console">
            <div class="px-5 py-5 text-lg font-bold tracking-tight">"AI Gateway"</div>
            <ul class="flex flex-col gap-1 px-3">
                {NAVIGATION
                    .into_iter()
                    .map(|(href, label, ready)| {
                        if !ready {
                            return view! {
                                <li>
                                    <span
                                        class="flex items-center justify-between rounded-md px-3 py-2 text-sm text-slate-500"
                                        aria-disabled="true"
                                    >
                                        {label}
                                        <span class="text-xs">"soon"</span>
                                    </span>
                                </li>
                            }
                                .into_any();
                        }
                        view! {
                            <li>
                                <a
                                    href=href
                                    class=move || {
                                        if is_current(href) {
                                            "block rounded-md bg-slate-700 px-3 py-2 text-sm font-medium text-white"
                                        } else {
                                            "block rounded-md px-3 py-2 text-sm text-slate-300 hover:bg-slate-800 hover:text-white"
                                        }
                                    }
                                    aria-current=move || is_current(href).then_some("page")
                                >
                                    {label}
                                </a>
                            </li>
                        }
                            .into_any()
                    })
                    .collect_view()}
            </ul>
        </nav>
    }
}
