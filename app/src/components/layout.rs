//! The frame around every console page: sidebar navigation (a menu button on narrow screens), a
//! header with the page title, and the demo-mode banner when no OpenRouter key is configured.

use gateway_types::{Admin, SystemStatus};
use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// The sidebar's destinations, in order.
const NAVIGATION: [(&str, &str); 6] = [
    ("/", "Overview"),
    ("/integrations", "Integrations"),
    ("/invocations", "Invocations"),
    ("/settings", "Settings"),
    ("/tokens", "API tokens"),
    (DOCS_HREF, "API docs"),
];

/// Listed only while the deployment serves its API docs and the API is on.
const DOCS_HREF: &str = "/docs";

/// What the frame loads for itself: the deployment's status and who is signed in.
///
/// A page that renders its `Layout` inside a `Suspense` loads this before the `Suspense` and passes
/// it in: the server runs a `Suspense`'s children several times before rendering them, so
/// resources created there would be created again on every run, and the browser would hydrate
/// with other copies than the ones the HTML was rendered from.
#[derive(Clone, Copy)]
pub struct FrameData {
    status: Resource<Result<SystemStatus, ServerFnError>>,
    admin: Resource<Result<Admin, ServerFnError>>,
}

impl FrameData {
    pub fn load() -> Self {
        Self {
            status: Resource::new(|| (), |()| crate::api::check_status()),
            admin: Resource::new(|| (), |()| crate::auth::current_admin()),
        }
    }
}

#[component]
pub fn Layout(
    /// The page's heading.
    #[prop(into)]
    title: String,
    /// Buttons shown at the right of the heading.
    #[prop(optional)]
    actions: Option<Children>,
    /// Loaded here when not given.
    #[prop(optional)]
    frame: Option<FrameData>,
    children: Children,
) -> impl IntoView {
    let FrameData { status, admin } = frame.unwrap_or_else(FrameData::load);
    // Effects run only in the browser: the marker tells tests the page is interactive.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <div class="flex min-h-screen flex-col md:flex-row" data-hydrated=move || hydrated.get().to_string()>
            <Sidebar docs_served=Signal::derive(move || {
                status.get().and_then(Result::ok).is_some_and(|s| s.api_docs_path.is_some())
            }) />
            <div class="flex min-w-0 flex-1 flex-col">
                <Suspense fallback=|| ()>
                    {move || {
                        status
                            .get()
                            .and_then(Result::ok)
                            .filter(|s| s.demo_mode)
                            .map(|_| view! {
                                <div
                                    class="border-b border-amber-200 bg-amber-50 px-4 py-2 text-sm text-amber-900 md:px-6"
                                    data-testid="demo-banner"
                                >
                                    "Demo mode: no OpenRouter key is configured, so answers come from the built-in simulator and cost nothing."
                                </div>
                            })
                    }}
                </Suspense>
                <header class="flex flex-wrap items-center justify-between gap-4 border-b border-slate-200 bg-white px-4 py-4 md:px-6">
                    <h1 class="text-xl font-semibold tracking-tight">{title}</h1>
                    <div class="flex flex-wrap items-center gap-4">
                        {actions.map(|actions| actions())}
                        <super::theme::ThemeToggle />
                        <crate::auth::SignedInBar admin />
                    </div>
                </header>
                <main class="min-w-0 flex-1 px-4 py-6 md:px-6">{children()}</main>
            </div>
        </div>
    }
}

#[component]
fn Sidebar(docs_served: Signal<bool>) -> impl IntoView {
    let location = use_location();
    let is_current = move |href: &str| {
        let path = location.pathname.get();
        if href == "/" {
            path == "/"
        } else {
            path == href || path.starts_with(&format!("{href}/"))
        }
    };
    // Gray, not slate: the dark palette swaps slate's shades, and the sidebar is dark in both.
    // Below `md` the list is a menu behind a button; following a link closes it again.
    let open = RwSignal::new(false);
    Effect::new(move |_| {
        location.pathname.track();
        open.set(false);
    });
    view! {
        <nav class="shrink-0 bg-gray-900 text-gray-100 md:w-56 md:border-r md:border-gray-200" aria-label="Console">
            <div class="flex items-center justify-between px-4 py-3 md:px-5 md:py-5">
                <span class="text-lg font-bold tracking-tight">"AI Gateway"</span>
                <button
                    type="button"
                    class="rounded-md border border-gray-600 px-3 py-1 text-sm hover:bg-gray-800 md:hidden"
                    aria-controls="console-menu"
                    aria-expanded=move || open.get().to_string()
                    data-testid="menu-button"
                    on:click=move |_| open.update(|open| *open = !*open)
                >
                    {move || if open.get() { "Close menu" } else { "Menu" }}
                </button>
            </div>
            <ul
                id="console-menu"
                class=move || {
                    if open.get() {
                        "flex flex-col gap-1 px-3 pb-3"
                    } else {
                        "hidden flex-col gap-1 px-3 md:flex"
                    }
                }
            >
                {NAVIGATION
                    .into_iter()
                    .map(|(href, label)| {
                        let item = move || view! {
                            <li>
                                <a
                                    href=href
                                    class=move || {
                                        if is_current(href) {
                                            "block rounded-md bg-gray-700 px-3 py-2 text-sm font-medium text-gray-50"
                                        } else {
                                            "block rounded-md px-3 py-2 text-sm text-gray-300 hover:bg-gray-800 hover:text-gray-50"
                                        }
                                    }
                                    aria-current=move || is_current(href).then_some("page")
                                >
                                    {label}
                                </a>
                            </li>
                        };
                        if href == DOCS_HREF {
                            // Read inside Suspense, so hydration waits for the answer.
                            return view! {
                                <Suspense fallback=|| ()>{move || docs_served.get().then(item)}</Suspense>
                            }
                                .into_any();
                        }
                        item().into_any()
                    })
                    .collect_view()}
            </ul>
        </nav>
    }
}
