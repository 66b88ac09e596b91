//! What the browser shows when the console's code fails: a banner that says so and offers a
//! reload, instead of a page that still looks right but no longer answers a click.

use leptos::prelude::*;

/// The banner's text; the app-wide error boundary and the panic banner say the same thing.
const MESSAGE: &str = "Something went wrong";

/// The banner as static markup around [`MESSAGE`], for the panic hook: after a panic the
/// reactive system cannot be trusted to render, so the banner is written into the page directly.
/// The reload is a plain link to this same address (`rel="external"` keeps the router, whose
/// code just failed, out of it), so it works without any of the app's code.
#[cfg(feature = "hydrate")]
fn panic_banner() -> String {
    format!(
        r#"<div role="alert" data-testid="crash-banner" class="fixed inset-x-0 top-0 z-50 flex items-center justify-center gap-4 bg-red-700 px-4 py-3 text-sm font-medium text-white shadow-lg">{MESSAGE} — <a href="" rel="external" class="rounded-md bg-white px-3 py-1 text-red-800 hover:bg-red-50">Reload</a></div>"#
    )
}

/// Shows the banner at the top of the page, once however many panics follow.
#[cfg(feature = "hydrate")]
pub fn show_panic_banner() {
    let Some(body) = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.body())
    else {
        return;
    };
    if body
        .query_selector("[data-testid=crash-banner]")
        .ok()
        .flatten()
        .is_none()
    {
        // Nothing is left to report a failure to: the panic itself is already in the console.
        let _ = body.insert_adjacent_html("afterbegin", &panic_banner());
    }
}

/// The app's error boundary: a view that fails shows the banner and what failed in its place,
/// rather than nothing.
#[component]
pub fn CrashBoundary(children: Children) -> impl IntoView {
    view! {
        <ErrorBoundary fallback=|errors| {
            view! {
                <div role="alert" data-testid="error-boundary" class="m-6 rounded-md border border-red-200 bg-red-50 p-4 text-sm text-red-900">
                    <p class="font-medium">
                        {MESSAGE} " — "
                        <a href="" rel="external" class="rounded-md bg-red-700 px-3 py-1 text-white hover:bg-red-600">"Reload"</a>
                    </p>
                    <ul class="mt-2 list-disc pl-5">
                        {move || errors.get().into_iter().map(|(_, error)| view! { <li>{error.to_string()}</li> }).collect_view()}
                    </ul>
                </div>
            }
        }>{children()}</ErrorBoundary>
    }
}
